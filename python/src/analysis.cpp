// The analysis API for Python: sweeps, the target solver and one-at-a-time
// sensitivity, bound as the plain structs and functions of
// drsim/analysis/{sweep,solver,sensitivity}.hpp. python/drsim/sweep.py turns
// them into DataFrames and sends subsets of points to Dask workers.
//
// Runs release the GIL. A progress callback given from Python is called from
// the run's worker threads; pybind11's std::function wrapper takes the GIL
// for each call (and for each copy the C++ makes of it).
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <drsim/analysis/calibrate.hpp>
#include <drsim/analysis/defaults.hpp>
#include <drsim/analysis/sensitivity.hpp>
#include <drsim/analysis/solver.hpp>
#include <drsim/analysis/sweep.hpp>

#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"

namespace py = pybind11;

namespace drsim::python {

namespace {

std::string interval_repr(const ConfidenceInterval& ci) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "<ConfidenceInterval mean %.6g [%.6g, %.6g] n %llu>", ci.mean, ci.lo, ci.hi,
                static_cast<unsigned long long>(ci.n));
  return buf;
}

void bind_values(py::module_& m) {
  py::enum_<ParamKind>(m, "ParamKind")
      .value("integer", ParamKind::integer)
      .value("number", ParamKind::number)
      .value("duration", ParamKind::duration)
      .value("text", ParamKind::text);

  py::class_<ConfidenceInterval>(m, "ConfidenceInterval")
      .def(py::init<>())
      .def_readwrite("mean", &ConfidenceInterval::mean)
      .def_readwrite("lo", &ConfidenceInterval::lo)
      .def_readwrite("hi", &ConfidenceInterval::hi)
      .def_readwrite("n", &ConfidenceInterval::n)
      .def("__repr__", &interval_repr)
      .def(py::pickle([](const ConfidenceInterval& c) { return py::make_tuple(c.mean, c.lo, c.hi, c.n); },
                      [](const py::tuple& t) {
                        return ConfidenceInterval{t[0].cast<double>(), t[1].cast<double>(), t[2].cast<double>(),
                                                  t[3].cast<std::uint64_t>()};
                      }));

  py::class_<ParamValue>(m, "ParamValue")
      .def(py::init(&parse_param_value), py::arg("path"), py::arg("text"))
      .def_readonly("text", &ParamValue::text)
      .def_readonly("numeric", &ParamValue::numeric)
      .def_readonly("kind", &ParamValue::kind)
      .def("__repr__", [](const ParamValue& v) { return "<ParamValue " + v.text + ">"; })
      .def(py::pickle([](const ParamValue& v) { return py::make_tuple(static_cast<int>(v.kind), v.text); },
                      [](const py::tuple& t) {
                        return make_param_value(static_cast<ParamKind>(t[0].cast<int>()), t[1].cast<std::string>());
                      }));
  m.def("parse_param_value", &parse_param_value, py::arg("path"), py::arg("text"));
  m.def("param_kind", &param_kind, py::arg("path"));

  py::class_<Setting>(m, "Setting")
      .def(py::init([](std::string path, std::string value) { return Setting{std::move(path), std::move(value)}; }),
           py::arg("path"), py::arg("value"))
      .def_readwrite("path", &Setting::path)
      .def_readwrite("value", &Setting::value)
      .def("__repr__", [](const Setting& s) { return "<Setting " + s.path + "=" + s.value + ">"; })
      .def(py::pickle([](const Setting& s) { return py::make_tuple(s.path, s.value); },
                      [](const py::tuple& t) { return Setting{t[0].cast<std::string>(), t[1].cast<std::string>()}; }));

  py::class_<GridAxis>(m, "GridAxis")
      .def(py::init([](std::string path, std::vector<std::string> values) {
             return GridAxis{std::move(path), std::move(values)};
           }),
           py::arg("path"), py::arg("values"))
      .def_readwrite("path", &GridAxis::path)
      .def_readwrite("values", &GridAxis::values);
  m.def("parse_grid_arg", &parse_grid_arg, py::arg("arg"));

  py::class_<ParamRange>(m, "ParamRange")
      .def(py::init([](std::string path, std::string lo, std::string hi) {
             return ParamRange{std::move(path), std::move(lo), std::move(hi)};
           }),
           py::arg("path"), py::arg("lo"), py::arg("hi"))
      .def_readwrite("path", &ParamRange::path)
      .def_readwrite("lo", &ParamRange::lo)
      .def_readwrite("hi", &ParamRange::hi);
  m.def("parse_range_arg", &parse_range_arg, py::arg("arg"));
  m.def("range_kind", &range_kind, py::arg("range"));
}

void bind_sweep(py::module_& m) {
  py::enum_<SampleMethod>(m, "SampleMethod")
      .value("latin_hypercube", SampleMethod::latin_hypercube)
      .value("random", SampleMethod::random);

  py::class_<SweepSpec>(m, "SweepSpec")
      .def(py::init([](std::vector<GridAxis> grid, std::vector<ParamRange> ranges, std::size_t samples,
                       SampleMethod method, std::uint64_t sample_seed) {
             return SweepSpec{std::move(grid), std::move(ranges), samples, method, sample_seed};
           }),
           py::arg("grid") = std::vector<GridAxis>{}, py::arg("ranges") = std::vector<ParamRange>{},
           py::arg("samples") = 0, py::arg("method") = SampleMethod::latin_hypercube, py::arg("sample_seed") = 1)
      .def_readwrite("grid", &SweepSpec::grid)
      .def_readwrite("ranges", &SweepSpec::ranges)
      .def_readwrite("samples", &SweepSpec::samples)
      .def_readwrite("method", &SweepSpec::method)
      .def_readwrite("sample_seed", &SweepSpec::sample_seed);

  py::class_<SweepPoint>(m, "SweepPoint")
      .def(py::init([](std::vector<Setting> settings) { return SweepPoint{std::move(settings)}; }),
           py::arg("settings") = std::vector<Setting>{})
      .def_readwrite("settings", &SweepPoint::settings)
      .def(py::pickle([](const SweepPoint& p) { return py::make_tuple(p.settings); },
                      [](const py::tuple& t) { return SweepPoint{t[0].cast<std::vector<Setting>>()}; }));

  m.def("sweep_points", &sweep_points, py::arg("spec"));
  m.def("sweep_parameters", &sweep_parameters, py::arg("spec"));
  m.def("figure_names", &figure_names);

  py::class_<SweepProgress>(m, "SweepProgress")
      .def_readonly("runs_done", &SweepProgress::runs_done)
      .def_readonly("runs_total", &SweepProgress::runs_total)
      .def_readonly("points_done", &SweepProgress::points_done)
      .def_readonly("points_total", &SweepProgress::points_total);

  py::class_<SweepOptions>(m, "SweepOptions")
      .def(py::init([](std::uint64_t seed, int replications, int threads, std::vector<std::string> figures, double level,
                       bool keep_replications, std::function<void(const SweepProgress&)> progress) {
             return SweepOptions{seed, replications, threads, std::move(figures), level, keep_replications,
                                 std::move(progress)};
           }),
           py::arg("seed") = 1, py::arg("replications") = kSweepReplications, py::arg("threads") = 0,
           py::arg("figures") = std::vector<std::string>{}, py::arg("level") = 0.95,
           py::arg("keep_replications") = true, py::arg("progress") = nullptr)
      .def_readwrite("seed", &SweepOptions::seed)
      .def_readwrite("replications", &SweepOptions::replications)
      .def_readwrite("threads", &SweepOptions::threads)
      .def_readwrite("figures", &SweepOptions::figures)
      .def_readwrite("level", &SweepOptions::level)
      .def_readwrite("keep_replications", &SweepOptions::keep_replications)
      .def_readwrite("progress", &SweepOptions::progress);

  py::class_<PointResult>(m, "PointResult")
      .def(py::init<>())
      .def_readwrite("settings", &PointResult::settings)
      .def_readwrite("values", &PointResult::values)
      .def_readwrite("figures", &PointResult::figures)
      .def_readwrite("per_replication", &PointResult::per_replication)
      .def(py::pickle(
          [](const PointResult& p) { return py::make_tuple(p.settings, p.values, p.figures, p.per_replication); },
          [](const py::tuple& t) {
            return PointResult{t[0].cast<std::vector<Setting>>(), t[1].cast<std::vector<ParamValue>>(),
                               t[2].cast<std::map<std::string, ConfidenceInterval>>(),
                               t[3].cast<std::vector<std::map<std::string, double>>>()};
          }));

  py::class_<SweepResult>(m, "SweepResult")
      .def(py::init<>())
      .def_readwrite("model", &SweepResult::model)
      .def_readwrite("seed", &SweepResult::seed)
      .def_readwrite("replications", &SweepResult::replications)
      .def_readwrite("level", &SweepResult::level)
      .def_readwrite("parameters", &SweepResult::parameters)
      .def_readwrite("figures", &SweepResult::figures)
      .def_readwrite("points", &SweepResult::points)
      .def_readwrite("warnings", &SweepResult::warnings)
      .def(py::pickle(
          [](const SweepResult& r) {
            return py::make_tuple(r.model, r.seed, r.replications, r.level, r.parameters, r.figures, r.points,
                                  r.warnings);
          },
          [](const py::tuple& t) {
            return SweepResult{t[0].cast<std::string>(),         t[1].cast<std::uint64_t>(),
                               t[2].cast<int>(),                 t[3].cast<double>(),
                               t[4].cast<std::vector<std::string>>(), t[5].cast<std::vector<std::string>>(),
                               t[6].cast<std::vector<PointResult>>(), t[7].cast<std::vector<std::string>>()};
          }));

  m.def("run_points", &run_points, py::arg("scenario"), py::arg("points"), py::arg("options"),
        py::call_guard<py::gil_scoped_release>(),
        "Runs the points' replications on C++ threads (the GIL released meanwhile).");
  m.def("sweep", &sweep, py::arg("scenario"), py::arg("spec"), py::arg("options"),
        py::call_guard<py::gil_scoped_release>());
  m.def("sweep_csv", &sweep_csv, py::arg("result"));
  m.def("sweep_json", &sweep_json, py::arg("result"), py::arg("indent") = 2);
  m.def("paired_difference", &paired_difference, py::arg("a"), py::arg("b"), py::arg("figure"),
        py::arg("level") = 0.95);
}

void bind_solve(py::module_& m) {
  py::class_<Target> target(m, "Target");
  py::enum_<Target::Op>(target, "Op").value("at_most", Target::Op::at_most).value("at_least", Target::Op::at_least);
  target.def(py::init(&Target::parse), py::arg("text"))
      .def_static("parse", &Target::parse, py::arg("text"))
      .def_readwrite("figure", &Target::figure)
      .def_readwrite("op", &Target::op)
      .def_readwrite("bound", &Target::bound)
      .def("to_string", &Target::to_string)
      .def("__str__", &Target::to_string)
      .def("__repr__", [](const Target& t) { return "<Target " + t.to_string() + ">"; });

  py::enum_<Verdict>(m, "Verdict")
      .value("meets", Verdict::meets)
      .value("fails", Verdict::fails)
      .value("undecided", Verdict::undecided);
  m.def("judge", &judge, py::arg("target"), py::arg("interval"));

  py::enum_<SolveGoal>(m, "SolveGoal").value("smallest", SolveGoal::smallest).value("largest", SolveGoal::largest);

  py::class_<SolveSpec>(m, "SolveSpec")
      .def(py::init([](ParamRange range, Target target, std::optional<SolveGoal> goal, std::string resolution,
                       int max_probes) {
             return SolveSpec{std::move(range), std::move(target), goal, std::move(resolution), max_probes};
           }),
           py::arg("range"), py::arg("target"), py::arg("goal") = std::nullopt, py::arg("resolution") = "",
           py::arg("max_probes") = SolveSpec{}.max_probes)
      .def_readwrite("range", &SolveSpec::range)
      .def_readwrite("target", &SolveSpec::target)
      .def_readwrite("goal", &SolveSpec::goal)
      .def_readwrite("resolution", &SolveSpec::resolution)
      .def_readwrite("max_probes", &SolveSpec::max_probes);

  py::class_<SolveProbe>(m, "SolveProbe")
      .def_readonly("value", &SolveProbe::value)
      .def_readonly("figure", &SolveProbe::figure)
      .def_readonly("verdict", &SolveProbe::verdict);

  py::class_<SolveResult> result(m, "SolveResult");
  py::enum_<SolveResult::Status>(result, "Status")
      .value("found", SolveResult::Status::found)
      .value("whole_range", SolveResult::Status::whole_range)
      .value("none", SolveResult::Status::none);
  result.def_readonly("status", &SolveResult::status)
      .def_readonly("goal", &SolveResult::goal)
      .def_readonly("path", &SolveResult::path)
      .def_readonly("target", &SolveResult::target)
      .def_readonly("answer", &SolveResult::answer)
      .def_readonly("bracket_meets", &SolveResult::bracket_meets)
      .def_readonly("bracket_fails", &SolveResult::bracket_fails)
      .def_readonly("probes", &SolveResult::probes)
      .def_readonly("explanation", &SolveResult::explanation)
      .def_readonly("replications", &SolveResult::replications)
      .def_readonly("seed", &SolveResult::seed);

  m.def("solve", &solve, py::arg("scenario"), py::arg("spec"), py::arg("options"),
        py::call_guard<py::gil_scoped_release>(),
        "Bisects the range for the target (the GIL released meanwhile).");
  m.def("solve_report", &solve_report, py::arg("result"));
  m.def("solve_json", &solve_json, py::arg("result"), py::arg("indent") = 2);
}

void bind_sensitivity(py::module_& m) {
  py::class_<SensitivityParam>(m, "SensitivityParam")
      .def(py::init([](std::string path, std::string base) { return SensitivityParam{std::move(path), std::move(base)}; }),
           py::arg("path"), py::arg("base") = "")
      .def_readwrite("path", &SensitivityParam::path)
      .def_readwrite("base", &SensitivityParam::base);
  m.def("parse_sensitivity_param", &parse_sensitivity_param, py::arg("arg"));

  py::class_<SensitivitySpec>(m, "SensitivitySpec")
      .def(py::init([](std::vector<SensitivityParam> params, std::string figure, double step) {
             return SensitivitySpec{std::move(params), std::move(figure), step};
           }),
           py::arg("params"), py::arg("figure") = SensitivitySpec{}.figure, py::arg("step") = SensitivitySpec{}.step)
      .def_readwrite("params", &SensitivitySpec::params)
      .def_readwrite("figure", &SensitivitySpec::figure)
      .def_readwrite("step", &SensitivitySpec::step);

  py::class_<SensitivityEntry>(m, "SensitivityEntry")
      .def_readonly("path", &SensitivityEntry::path)
      .def_readonly("base", &SensitivityEntry::base)
      .def_readonly("low", &SensitivityEntry::low)
      .def_readonly("high", &SensitivityEntry::high)
      .def_readonly("at_low", &SensitivityEntry::at_low)
      .def_readonly("at_high", &SensitivityEntry::at_high)
      .def_readonly("swing", &SensitivityEntry::swing)
      .def_readonly("slope", &SensitivityEntry::slope)
      .def_readonly("elasticity", &SensitivityEntry::elasticity)
      .def_readonly("rank", &SensitivityEntry::rank);

  py::class_<SensitivityResult>(m, "SensitivityResult")
      .def_readonly("figure", &SensitivityResult::figure)
      .def_readonly("base", &SensitivityResult::base)
      .def_readonly("entries", &SensitivityResult::entries)
      .def_readonly("step", &SensitivityResult::step)
      .def_readonly("replications", &SensitivityResult::replications)
      .def_readonly("seed", &SensitivityResult::seed);

  m.def("model_value", &model_value, py::arg("scenario"), py::arg("path"));
  m.def("sensitivity", &sensitivity, py::arg("scenario"), py::arg("spec"), py::arg("options"),
        py::call_guard<py::gil_scoped_release>(),
        "Runs the base and the moved points (the GIL released meanwhile).");
  m.def("sensitivity_report", &sensitivity_report, py::arg("result"));
  m.def("sensitivity_json", &sensitivity_json, py::arg("result"), py::arg("indent") = 2);
}

void bind_calibrate(py::module_& m) {
  // Observations travel as {code: count}; the result as its JSON document,
  // which python/drsim/calibrate.py turns into a DataFrame.
  m.def(
      "parse_observation",
      [](const std::string& text, const std::string& name) {
        const Observation o = parse_observation(text, name);
        return py::make_tuple(o.codes, o.format);
      },
      py::arg("text"), py::arg("name") = "text");
  m.def(
      "calibrate",
      [](const Scenario& scenario, const SweepSpec& spec, const std::map<int, std::uint64_t>& codes,
         const std::string& source, const SweepOptions& options, double level, const std::vector<Setting>& what_if,
         const std::string& figure) {
        Observation o;
        o.codes = codes;
        o.source = source;
        o.format = "counts";
        CalibrationOptions c;
        c.sweep = options;
        c.level = level;
        const CalibrationResult r = calibrate(scenario, spec, o, c);
        if (what_if.empty()) return calibration_json(r);
        const Prediction p = predict(scenario, r, what_if, options, figure);
        return calibration_json(r, 2, &p);
      },
      py::arg("scenario"), py::arg("spec"), py::arg("codes"), py::arg("source"), py::arg("options"),
      py::arg("level") = 0.95, py::arg("what_if") = std::vector<Setting>{}, py::arg("figure") = "failed_pct",
      py::call_guard<py::gil_scoped_release>(),
      "Calibrates the grid against counts by code (and predicts a what-if); returns the drsim.calibration/1 JSON.");
}

}  // namespace

void bind_analysis(py::module_& m) {
  m.attr("CALIBRATE_REPLICATIONS") = kCalibrateReplications;
  m.attr("SWEEP_REPLICATIONS") = kSweepReplications;
  m.attr("SOLVE_REPLICATIONS") = kSolveReplications;
  m.attr("SENSITIVITY_REPLICATIONS") = kSensitivityReplications;
  bind_values(m);
  bind_sweep(m);
  bind_solve(m);
  bind_sensitivity(m);
  bind_calibrate(m);
}

}  // namespace drsim::python
