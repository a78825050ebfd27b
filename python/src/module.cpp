// The `_drsim` extension: a thin layer over the C++ API (Scenario, run,
// Result) for the `drsim` Python package, which adds the Pythonic surface
// (dicts, DataFrames, plots). Nothing here models anything; it converts.
//
// Runs release the GIL: a replication never touches Python objects, and the
// Scenario it reads is not changed by the package once built.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <drsim/drsim.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
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

py::object number_or_none(const std::optional<double>& v) { return v ? py::object(py::float_(*v)) : py::object(py::none()); }

/// Replication 0's Summary with the keys and shapes of the `summary` object of
/// Result::to_json, unrounded: by_code keyed by the code as text, by_cause
/// without "ok", None where a figure does not apply.
py::dict summary(const drsim::Result& r) {
  const drsim::Summary& s = r.summary();
  const drsim::Headline& h = s.headline;
  py::dict d;
  d["requests"] = s.requests;
  d["ok"] = s.ok;
  d["failed"] = s.failed;
  d["in_flight"] = s.in_flight;
  d["failed_pct"] = h.failed_pct;
  py::dict codes, causes, share;
  for (const auto& [code, n] : s.by_code) codes[py::str(std::to_string(code))] = n;
  for (const auto& [cause, n] : s.by_cause)
    if (cause != "ok") causes[py::str(cause)] = n;
  d["by_code"] = codes;
  d["by_cause"] = causes;
  if (s.ejections) d["ejections"] = *s.ejections;
  if (s.retries) d["retries"] = *s.retries;
  d["attempts"] = s.attempts;
  d["fault_at_s"] = number_or_none(h.fault_at_s);
  d["time_to_detect_s"] = number_or_none(h.time_to_detect_s);
  d["time_to_answer_change_s"] = number_or_none(h.time_to_answer_change_s);
  d["time_to_drain_s"] = number_or_none(h.time_to_drain_s);
  d["pre_fault_failed"] = s.pre_fault_failed;
  if (h.failure_window_start_s && h.failure_window_end_s) {
    py::list window;
    window.append(*h.failure_window_start_s);
    window.append(*h.failure_window_end_s);
    d["failure_window_s"] = window;
  } else {
    d["failure_window_s"] = py::none();
  }
  const auto& regions = r.region_names();
  for (std::size_t k = 0; k < regions.size() && k < h.ok_share_by_region.size(); ++k)
    share[py::str(regions[k])] = h.ok_share_by_region[k];
  d["ok_share_by_region"] = share;
  py::dict latency;
  latency["avg"] = s.latency_avg_s;
  latency["p50"] = s.latency_p50_s;
  latency["p90"] = s.latency_p90_s;
  latency["p99"] = s.latency_p99_s;
  latency["p99.9"] = s.latency_p999_s;
  latency["max"] = s.latency_max_s;
  d["latency_s"] = latency;
  d["actual_qps"] = s.actual_qps;
  d["throttled_pct"] = h.throttled_pct;
  d["peak_utilization_pct"] = number_or_none(h.peak_utilization_pct);
  d["time_to_stable_s"] = number_or_none(h.time_to_stable_s);
  py::list alerts;
  for (const auto& a : r.metrics().alerts) {
    py::dict alert;
    alert["name"] = a.name;
    alert["fired_at_s"] = a.fired_at.seconds_f();
    alert["resolved_at_s"] = a.resolved_at ? py::object(py::float_(a.resolved_at->seconds_f())) : py::object(py::none());
    alerts.append(alert);
  }
  d["alerts"] = alerts;
  if (r.metrics().drain.started()) {
    py::list curve;
    for (const auto& p : r.metrics().drain.curve()) {
      py::dict point;
      point["t_s"] = p.t_s;
      point["requests_old"] = p.requests_old;
      point["clients_old"] = p.clients_old;
      curve.append(point);
    }
    d["drain_curve"] = curve;
  } else {
    d["drain_curve"] = py::none();
  }
  return d;
}

/// Replication 0's per-second series as columns (name -> numpy array, in the
/// order of Result::series_csv's header and with its rows: one per second and
/// region, the "none" region only in seconds where a request got no address).
/// Unrounded. A whole-number column with no value in some row (a region with
/// no gateway Deployment) is float64 with NaN there, as pandas reads the CSV.
py::dict series_columns(const drsim::Result& result) {
  const drsim::RunMetrics& m = result.metrics();
  const auto& names = result.region_names();
  std::vector<std::pair<std::size_t, std::size_t>> rows;  // (second, region)
  for (std::size_t s = 0; s < m.seconds(); ++s)
    for (std::size_t r = 0; r <= m.regions(); ++r)
      if (r < m.regions() || m.at(s, r).sent != 0) rows.emplace_back(s, r);
  const auto n = static_cast<py::ssize_t>(rows.size());
  constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

  auto whole = [&](auto&& get) {
    py::array_t<std::int64_t> a(n);
    auto w = a.mutable_unchecked<1>();
    for (py::ssize_t i = 0; i < n; ++i) w(i) = static_cast<std::int64_t>(get(rows[i].first, rows[i].second));
    return a;
  };
  auto real = [&](auto&& get) {  // get -> std::optional<double>
    py::array_t<double> a(n);
    auto w = a.mutable_unchecked<1>();
    for (py::ssize_t i = 0; i < n; ++i) w(i) = get(rows[i].first, rows[i].second).value_or(kMissing);
    return a;
  };
  auto maybe_whole = [&](auto&& get) -> py::object {  // get -> std::optional<std::int64_t>
    bool missing = false;
    for (const auto& [s, r] : rows) missing = missing || !get(s, r);
    if (!missing) return whole([&](std::size_t s, std::size_t r) { return *get(s, r); });
    return real([&](std::size_t s, std::size_t r) -> std::optional<double> {
      const auto v = get(s, r);
      return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
    });
  };
  auto latency = [&](double q) {
    return real([&, q](std::size_t s, std::size_t r) -> std::optional<double> {
      const auto* h = m.latency_at(s, r);
      if (!h || !h->count()) return std::nullopt;
      return static_cast<double>(h->quantile_ns(q)) / 1e9;  // whole nanoseconds read as such (0.005505024)
    });
  };
  auto sample = [&](std::size_t s, std::size_t r) -> const drsim::DeploymentSample* {
    return r < m.regions() && s < m.capacity(r).samples.size() ? &m.capacity(r).samples[s] : nullptr;
  };
  auto deployment_whole = [&](auto member) {
    return maybe_whole([&, member](std::size_t s, std::size_t r) -> std::optional<std::int64_t> {
      const auto* d = sample(s, r);
      return d ? std::optional<std::int64_t>(d->*member) : std::nullopt;
    });
  };
  auto deployment_real = [&](auto member) {
    return real([&, member](std::size_t s, std::size_t r) -> std::optional<double> {
      const auto* d = sample(s, r);
      return d ? std::optional<double>(d->*member) : std::nullopt;
    });
  };

  py::dict d;
  d["second"] = whole([](std::size_t s, std::size_t) { return s; });
  py::list region;
  for (const auto& [s, r] : rows) region.append(r < names.size() ? names[r] : std::string("none"));
  d["region"] = region;
  d["sent"] = whole([&](std::size_t s, std::size_t r) { return m.at(s, r).sent; });
  for (std::size_t k = 0; k < m.cause_columns(); ++k)
    d[py::str(drsim::cause_name(static_cast<drsim::Cause>(k)))] =
        whole([&, k](std::size_t s, std::size_t r) { return m.at(s, r).by_cause[k]; });
  d["to_faulty"] = whole([&](std::size_t s, std::size_t r) { return m.at(s, r).to_faulty; });
  d["latency_p50_s"] = latency(0.5);
  d["latency_p99_s"] = latency(0.99);
  d["replicas_desired"] = deployment_whole(&drsim::DeploymentSample::desired);
  d["replicas_ready"] = deployment_whole(&drsim::DeploymentSample::ready);
  d["cpu_utilization_pct"] = deployment_real(&drsim::DeploymentSample::cpu_utilization_pct);
  d["busy_share"] = deployment_real(&drsim::DeploymentSample::busy_share);
  d["queue_length"] = deployment_whole(&drsim::DeploymentSample::queue_length);
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
      .def("drain_csv", &drsim::Result::drain_csv)
      .def("write", &drsim::Result::write, py::arg("dir"), py::call_guard<py::gil_scoped_release>())
      .def("summary", &summary)
      .def("series_columns", &series_columns)
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
