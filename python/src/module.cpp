// The `_drsim` extension: a thin layer over the C++ API (Scenario, run,
// Result) for the `drsim` Python package, which adds the Pythonic surface
// (dicts, DataFrames, plots). Nothing here models anything; it converts.
//
// Runs release the GIL: a replication never touches Python objects, and the
// Scenario it reads is not changed by the package once built.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <drsim/drsim.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings.hpp"

namespace py = pybind11;

namespace {

// The Python type of drsim.ModelError (owned by the module object).
PyObject* model_error_type = nullptr;

py::list events(const drsim::Result& r) {
  py::list out;
  for (const auto& e : r.metrics().log().events())
    out.append(py::make_tuple(e.time.seconds_f(), e.component, e.kind, e.detail));
  return out;
}

py::list latency_buckets(const drsim::Result& r) {
  py::list out;
  r.metrics().latency().for_each_bucket([&](std::uint64_t lo, std::uint64_t hi, std::uint64_t n) {
    out.append(py::make_tuple(static_cast<double>(lo) * 1e-9, static_cast<double>(hi) * 1e-9, n));
  });
  return out;
}

py::dict replications(const drsim::Result& r) {
  py::dict d;
  for (const auto& [name, ci] : r.replications()) {
    py::dict e;
    e["mean"] = ci.mean;
    e["lo"] = ci.lo;
    e["hi"] = ci.hi;
    e["n"] = ci.n;
    d[py::str(name)] = e;
  }
  return d;
}

}  // namespace

PYBIND11_MODULE(_drsim, m) {
  m.doc() = "drsim's C++ core (use the `drsim` package, not this module)";
  m.attr("__version__") = std::string(drsim::version());

  auto error = py::exception<drsim::ModelError>(m, "ModelError", PyExc_ValueError);
  model_error_type = error.ptr();  // the module attribute keeps it alive
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const drsim::ModelError& e) {
      py::object err = py::reinterpret_borrow<py::object>(model_error_type)(e.what());
      err.attr("file") = e.file();
      err.attr("path") = e.path();
      err.attr("expected") = e.expected();
      err.attr("found") = e.found();
      err.attr("hint") = e.hint();
      PyErr_SetObject(model_error_type, err.ptr());
    }
  });

  std::vector<std::string> causes;
  std::vector<int> codes;
  for (std::size_t k = 0; k < drsim::kCauseCount; ++k) {
    causes.emplace_back(drsim::cause_name(static_cast<drsim::Cause>(k)));
    codes.push_back(drsim::fortio_code(static_cast<drsim::Cause>(k)));
  }
  m.attr("CAUSES") = py::tuple(py::cast(causes));
  m.attr("FORTIO_CODES") = py::tuple(py::cast(codes));
  m.attr("CLIENT_PRESETS") = py::tuple(py::cast(drsim::client_preset_names()));

  py::class_<drsim::Scenario>(m, "Scenario")
      .def_static("load", &drsim::Scenario::load, py::arg("path"))
      .def_static("from_json", &drsim::Scenario::from_json, py::arg("text"), py::arg("name") = "<string>")
      .def("set", py::overload_cast<const std::string&, const std::string&>(&drsim::Scenario::set), py::arg("path"),
           py::arg("value"), py::return_value_policy::reference_internal)
      .def(
          "set_all",
          [](drsim::Scenario& s, const std::vector<std::pair<std::string, std::string>>& overrides) -> drsim::Scenario& {
            std::vector<drsim::Override> list;
            for (const auto& [path, value] : overrides) list.push_back({path, value});
            return s.set(list);
          },
          py::arg("overrides"), py::return_value_policy::reference_internal)
      .def("copy", [](const drsim::Scenario& s) { return drsim::Scenario(s); })
      .def("to_json", &drsim::Scenario::to_json, py::arg("indent") = 2)
      .def_property_readonly("name", &drsim::Scenario::name)
      .def_property_readonly("file", &drsim::Scenario::file)
      .def_property_readonly("notes", &drsim::Scenario::notes)
      .def_property_readonly("warnings", &drsim::Scenario::warnings)
      .def_property_readonly("region_names", &drsim::Scenario::region_names)
      .def_property_readonly("assumptions", [](const drsim::Scenario& s) {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& a : s.assumptions()) out.emplace_back(a.key, a.value);
        return out;
      });

  py::class_<drsim::Result>(m, "Result")
      .def("to_json", &drsim::Result::to_json, py::arg("indent") = -1)
      .def("fortio_summary", &drsim::Result::fortio_summary)
      .def("fortio_json", &drsim::Result::fortio_json)
      .def("report", &drsim::Result::report)
      .def("series_csv", &drsim::Result::series_csv)
      .def("events_csv", &drsim::Result::events_csv)
      .def("write", &drsim::Result::write, py::arg("dir"), py::call_guard<py::gil_scoped_release>())
      .def("replications", &replications)
      .def("per_replication", &drsim::Result::per_replication)
      .def("events", &events)
      .def("latency_buckets", &latency_buckets)
      .def("latency_quantile", [](const drsim::Result& r, double q) {
        return static_cast<double>(r.metrics().latency().quantile_ns(q)) * 1e-9;
      }, py::arg("q"))
      .def_property_readonly("seed", &drsim::Result::seed)
      .def_property_readonly("model_name", &drsim::Result::model_name)
      .def_property_readonly("region_names", &drsim::Result::region_names)
      .def_property_readonly("replication_count", &drsim::Result::replication_count)
      .def_property_readonly("assumptions", [](const drsim::Result& r) {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& a : r.assumptions()) out.emplace_back(a.key, a.value);
        return out;
      });

  m.def(
      "run",
      [](const drsim::Scenario& scenario, std::uint64_t seed, int replications, int threads) {
        return drsim::run(scenario, drsim::RunOptions{seed, replications, threads});
      },
      py::arg("scenario"), py::arg("seed") = 1, py::arg("replications") = 1, py::arg("threads") = 0,
      py::call_guard<py::gil_scoped_release>(),
      "Runs the scenario's replications (the GIL is released meanwhile).");

  drsim::python::bind_analysis(m);
}
