// drsim sweep, drsim solve, drsim sensitivity: the capacity-planning
// what-ifs on the command line. Results go to stdout (or --out); a progress
// bar goes to stderr, and only when stderr is a terminal.
#include "commands.hpp"

#include <drsim/analysis/calibrate.hpp>
#include <drsim/analysis/compare.hpp>
#include <drsim/analysis/defaults.hpp>
#include <drsim/analysis/sensitivity.hpp>
#include <drsim/analysis/solver.hpp>
#include <drsim/analysis/sweep.hpp>
#include <drsim/run.hpp>
#include <drsim/scenario/scenario.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace drsim::cli {

namespace {

const std::string kSweepUsage = std::string(
    "usage: drsim sweep MODEL [options]\n"
    "         --grid PATH=V1,V2,...   values of one override path; grids multiply (repeatable)\n"
    "         --range PATH=LO..HI     a range to sample, integers, numbers or durations (repeatable)\n"
    "         --samples N             sampled points over the ranges (each combined with every grid point)\n"
    "         --method lhs|random     Latin hypercube (default) or independent uniform samples\n"
    "         --set PATH=VALUE        a fixed override for every point (repeatable)\n"
    "         --seed N                base seed (default 1); replication k uses the same seed at every point\n"
    "         --replications R        replications per point (default ") + std::to_string(kSweepReplications) + ")\n" +
    "         --threads T             worker threads (default: every core)\n"
    "         --figures F1,F2,...     figures in the table (default: every headline figure)\n"
    "         --out FILE              write FILE.csv (default format) or FILE.json; stdout when absent\n"
    "         --quiet                 no progress bar and no summary line on stderr\n"
    "         --threshold \"F<=X\"      every point's mean of F must meet it, else exit 99 (repeatable)\n"
    "         --max-runs N, --max-requests N   allow more work than 1e6 runs or 5e9 requests\n"
    "  e.g. drsim sweep models/asm-gtm-drill.json --grid gtm.ttl=10s,30s,60s \\\n"
    "         --grid gtm.health_check.failures=1,2,3 --replications 20 --out ttl.csv\n";

const std::string kSolveUsage = std::string(
    "usage: drsim solve MODEL --param PATH --range LO..HI --target \"FIGURE<=X\" [options]\n"
    "         --param PATH            the parameter to search (integer, number or duration)\n"
    "         --range LO..HI          the values to search, e.g. 10s..10m or 1..20\n"
    "         --target T              FIGURE<=X or FIGURE>=X, met when the 95 % interval is on the right side\n"
    "         --smallest | --largest  which end of the values meeting the target (default: read from the range ends)\n"
    "         --resolution R          stop bisecting when the bracket is this narrow (default 1 or range/100)\n"
    "         --set PATH=VALUE        a fixed override (repeatable)\n"
    "         --seed N --replications R (default ") + std::to_string(kSolveReplications) + ") --threads T --json --quiet\n" +
    "         --max-runs N --max-requests N (allow more work than 1e6 runs or 5e9 requests)\n"
    "  e.g. drsim solve models/asm-gtm-drill.json --param gtm.ttl --range 10s..10m --target \"failed_pct<=5\"\n";

const std::string kSensitivityUsage = std::string(
    "usage: drsim sensitivity MODEL --params P1[=BASE],P2,... [options]\n"
    "         --params LIST           override paths to move one at a time; BASE when the model has no value\n"
    "         --figure F              the figure to explain (default failed_pct)\n"
    "         --step S                relative move each way (default 0.1)\n"
    "         --set PATH=VALUE        a fixed override (repeatable)\n"
    "         --seed N --replications R (default ") + std::to_string(kSensitivityReplications) + ") --threads T --json --quiet\n" +
    "         --max-runs N --max-requests N (allow more work than 1e6 runs or 5e9 requests)\n"
    "  e.g. drsim sensitivity models/asm-gtm-drill.json \\\n"
    "         --params gtm.ttl,gtm.health_check.interval,gtm.health_check.failures --figure failed_pct\n";

const std::string kCalibrateUsage = std::string(
    "usage: drsim calibrate MODEL --observed FILE --grid PATH=V1,V2,... [options]\n"
    "         which settings of the model could have produced a real drill, and how probable each is:\n"
    "         likelihood on the grid from replications (a kernel density of each failing code's share),\n"
    "         uniform prior over the grid (docs/calibration.md says why)\n"
    "         --observed FILE         the drill: fortio's JSON (-json) or text output, or counts by code\n"
    "                                 (lines \"200 25800\" / \"-1: 4200\", or {\"200\": 25800, \"-1\": 4200})\n"
    "         --grid PATH=V1,V2,...   candidate values of one unknown; grids multiply (repeatable)\n"
    "         --range PATH=LO..HI     a range of candidates to sample, with --samples N (repeatable)\n"
    "         --samples N             sampled candidates over the ranges (each combined with every grid point)\n"
    "         --level L               mass of the credible set (default 0.95)\n"
    "         --predict PATH=VALUE    a what-if under the calibrated settings: run at every credible point,\n"
    "                                 mixed by posterior weight, its figure's median and 95 % predictive\n"
    "                                 interval (repeatable: one change of several settings)\n"
    "         --figure F              the figure --predict reports (default failed_pct)\n"
    "         --set PATH=VALUE        a fixed override for every point (repeatable)\n"
    "         --seed N --replications R (default ") + std::to_string(kCalibrateReplications) + ") --threads T\n" +
    "         --json                  print {\"posterior\": [...], \"credible_set\": [...], \"map\": {...}}\n"
    "         --quiet                 no progress bar on stderr\n"
    "         --max-runs N --max-requests N (allow more work than 1e6 runs or 5e9 requests)\n"
    "  e.g. drsim calibrate models/asm-gtm-drill.json --observed models/observed/seed-drill.txt \\\n"
    "         --grid gtm.ttl=30s,60s,120s --grid gtm.health_check.interval=15s,30s\n";
const std::string kCompareUsage =
    "usage: drsim compare MODEL [options]\n"
    "         --plan FILE             architectures (overrides of MODEL) and faults to run each under\n"
    "                                 (default: compare/mesh-architectures.json beside MODEL)\n"
    "         --set PATH=VALUE        a fixed override for every run (repeatable)\n"
    "         --seed N --replications R (default 10) --threads T --json --quiet\n"
    "  e.g. drsim compare models/asm-mesh-locality-failover.json --replications 10\n";

using BadArguments = UsageError;

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    const auto comma = s.find(',', pos);
    const std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

/// The options every analysis command shares.
struct Common {
  std::string model;
  std::vector<Setting> sets;
  SweepOptions options;
  bool quiet = false;
  bool json = false;
};

/// Reads a shared option at args[i] (advancing i past its value); false when
/// args[i] is not one.
bool common_option(const std::vector<std::string>& args, std::size_t& i, Common& c) {
  const std::string& a = args[i];
  auto value = [&]() -> std::string {
    if (i + 1 >= args.size()) throw BadArguments(a + " needs a value");
    return args[++i];
  };
  if (a == "--seed") c.options.seed = static_cast<std::uint64_t>(parse_whole(a, value(), 0, INT64_MAX));
  else if (a == "--replications") c.options.replications = static_cast<int>(parse_whole(a, value(), 1, 10'000'000));
  else if (a == "--threads") c.options.threads = static_cast<int>(parse_whole(a, value(), 1, 4096));
  else if (a == "--set") {
    const std::string kv = value();
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw BadArguments("--set expects PATH=VALUE, found \"" + kv + "\"");
    c.sets.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
  } else if (a == "--quiet") c.quiet = true;
  else if (a == "--json") c.json = true;
  else if (!a.empty() && a[0] == '-') return false;
  else if (c.model.empty()) c.model = a;
  else throw BadArguments("more than one model given: " + c.model + " and " + a);
  return true;
}

Scenario load_scenario(const Common& c, const char* command) {
  if (c.model.empty()) throw BadArguments(std::string("drsim ") + command + " needs a model file");
  Scenario sc = Scenario::load(c.model);
  for (const auto& s : c.sets) sc.set(s.path, s.value);
  return sc;
}

/// A progress callback for the analyses: SweepProgress onto the shared bar.
std::function<void(const SweepProgress&)> sweep_progress(ProgressBar& bar) {
  auto draw = bar.callback();
  if (!draw) return {};
  return [draw](const SweepProgress& p) { draw(p.runs_done, p.runs_total, p.points_done, p.points_total); };
}

template <class F>
int guarded(const std::string& usage, F&& body) {
  try {
    return body();
  } catch (const BadArguments& e) {
    std::cerr << "drsim: " << e.what() << "\n" << usage;
    return 2;
  } catch (const ParameterError& e) {
    std::cerr << "drsim: bad model (found when the run started): " << e.what() << "\n";
    return 2;
  } catch (const std::invalid_argument& e) {
    // Bad grids, ranges, targets and parameters come back as invalid_argument.
    std::cerr << "drsim: " << e.what() << "\n" << usage;
    return 2;
  }
}

}  // namespace

const std::string& sweep_usage() { return kSweepUsage; }
const std::string& solve_usage() { return kSolveUsage; }
const std::string& sensitivity_usage() { return kSensitivityUsage; }
const std::string& compare_usage() { return kCompareUsage; }
const std::string& calibrate_usage() { return kCalibrateUsage; }

int calibrate_command(const std::vector<std::string>& args) {
  return guarded(kCalibrateUsage, [&] {
    Common c;
    c.options.replications = kCalibrateReplications;
    SweepSpec spec;
    WorkLimits limits;
    CalibrationOptions copts;
    std::string observed, figure = "failed_pct";
    std::vector<Setting> what_if;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= args.size()) throw BadArguments(a + " needs a value");
        return args[++i];
      };
      if (a == "--observed") observed = value();
      else if (a == "--predict") {
        const std::string kv = value();
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) throw BadArguments("--predict expects PATH=VALUE, found \"" + kv + "\"");
        what_if.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
      } else if (a == "--figure") figure = value();
      else if (a == "--grid") spec.grid.push_back(parse_grid_arg(value()));
      else if (a == "--range") spec.ranges.push_back(parse_range_arg(value()));
      else if (a == "--samples") spec.samples = static_cast<std::size_t>(parse_whole(a, value(), 1, 100'000'000));
      else if (a == "--level") {
        const std::string v = value();
        char* end = nullptr;
        copts.level = std::strtod(v.c_str(), &end);
        if (v.empty() || *end || !(copts.level > 0 && copts.level < 1))
          throw BadArguments("--level expects a number between 0 and 1 (e.g. 0.95), found \"" + v + "\"");
      } else if (!work_limit_option(args, i, limits) && !common_option(args, i, c))
        throw BadArguments("unknown option " + a);
    }
    if (observed.empty()) throw BadArguments("drsim calibrate needs --observed FILE (the drill's fortio output or counts by code)");
    if (spec.grid.empty() && spec.ranges.empty())
      throw BadArguments("drsim calibrate needs the unknowns: --grid PATH=V1,V2,... (or --range with --samples)");
    spec.sample_seed = c.options.seed;
    const Observation seen = read_observation(observed);
    const Scenario scenario = load_scenario(c, "calibrate");
    const auto points = sweep_points(spec);
    check_work(expected_requests(scenario.spec()), static_cast<double>(points.size()) * c.options.replications, limits);
    ProgressBar bar(!c.quiet, "points");
    c.options.progress = sweep_progress(bar);
    copts.sweep = c.options;
    const CalibrationResult result = calibrate(scenario, spec, seen, copts);
    bar.finish();
    std::optional<Prediction> prediction;
    if (!what_if.empty()) {
      ProgressBar again(!c.quiet, "credible points");
      copts.sweep.progress = sweep_progress(again);
      prediction = predict(scenario, result, what_if, copts.sweep, figure);
    }
    const Prediction* p = prediction ? &*prediction : nullptr;
    if (c.json) std::cout << calibration_json(result, 2, p) << "\n";
    else std::cout << calibration_table(result, p);
    return 0;
  });
}

int sweep_command(const std::vector<std::string>& args) {
  return guarded(kSweepUsage, [&] {
    Common c;
    SweepSpec spec;
    WorkLimits limits;
    std::vector<Target> thresholds;
    std::string out;
    bool samples_given = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= args.size()) throw BadArguments(a + " needs a value");
        return args[++i];
      };
      if (a == "--help" || a == "-h") {
        std::cout << kSweepUsage;
        return 0;
      }
      if (a == "--grid") spec.grid.push_back(parse_grid_arg(value()));
      else if (a == "--range") spec.ranges.push_back(parse_range_arg(value()));
      else if (a == "--samples") {
        spec.samples = static_cast<std::size_t>(parse_whole(a, value(), 1, 100'000'000));
        samples_given = true;
      } else if (a == "--method") {
        const std::string m = value();
        if (m == "lhs" || m == "latin_hypercube") spec.method = SampleMethod::latin_hypercube;
        else if (m == "random") spec.method = SampleMethod::random;
        else throw BadArguments("--method expects lhs or random, found \"" + m + "\"");
      } else if (a == "--figures") c.options.figures = split_list(value());
      else if (a == "--out") out = value();
      else if (a == "--threshold") thresholds.push_back(Target::parse(value()));
      else if (!work_limit_option(args, i, limits) && !common_option(args, i, c))
        throw BadArguments("unknown option " + a);
    }
    if (c.json) throw BadArguments("drsim sweep writes JSON with --out FILE.json");
    // The number of points, before making them (a 10-axis grid or 10^8 samples would not fit).
    double npoints = static_cast<double>(std::max<std::size_t>(1, spec.samples));
    for (const auto& g : spec.grid) npoints *= static_cast<double>(g.values.size());
    check_work(0, npoints * c.options.replications, limits);
    if (!spec.ranges.empty() && !samples_given) throw BadArguments("--range needs --samples N");
    if (samples_given && spec.ranges.empty()) throw BadArguments("--samples needs at least one --range");
    spec.sample_seed = c.options.seed;
    const Scenario scenario = load_scenario(c, "sweep");
    const auto points = sweep_points(spec);

    check_work(expected_requests(scenario.spec()), static_cast<double>(points.size()) * c.options.replications, limits);
    ProgressBar bar(!c.quiet, "points");
    c.options.progress = sweep_progress(bar);
    const auto t0 = std::chrono::steady_clock::now();
    SweepResult result = run_points(scenario, points, c.options);
    result.parameters = sweep_parameters(spec);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bar.finish();

    for (const auto& w : result.warnings) std::cerr << "drsim: warning: " << w << "\n";
    if (out.empty()) std::cout << sweep_csv(result);
    else write_sweep(result, out);
    if (!c.quiet) {
      const std::size_t runs = points.size() * static_cast<std::size_t>(c.options.replications);
      std::fprintf(stderr, "drsim: %zu points x %d replications = %zu runs in %.2f s (%.0f runs/s)%s%s\n", points.size(),
                   c.options.replications, runs, seconds, seconds > 0 ? static_cast<double>(runs) / seconds : 0.0,
                   out.empty() ? "" : " -> ", out.c_str());
    }
    // Thresholds hold at every point, on the mean over its replications.
    int status = 0;
    for (const auto& t : thresholds)
      for (std::size_t p = 0; p < result.points.size(); ++p) {
        const auto it = result.points[p].figures.find(t.figure);
        if (it == result.points[p].figures.end()) continue;
        const bool met = t.op == Target::Op::at_most ? it->second.mean <= t.bound : it->second.mean >= t.bound;
        if (met) continue;
        std::string at;
        for (const auto& s : result.points[p].settings) at += (at.empty() ? "" : ", ") + s.path + "=" + s.value;
        std::fprintf(stderr, "drsim: threshold %s not met at point %zu (%s): mean %.4g [%.4g, %.4g]\n",
                     t.to_string().c_str(), p, at.c_str(), it->second.mean, it->second.lo, it->second.hi);
        status = 99;
      }
    return status;
  });
}

int solve_command(const std::vector<std::string>& args) {
  return guarded(kSolveUsage, [&] {
    Common c;
    c.options.replications = kSolveReplications;
    SolveSpec spec;
    WorkLimits limits;
    std::string range, target;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= args.size()) throw BadArguments(a + " needs a value");
        return args[++i];
      };
      if (a == "--help" || a == "-h") {
        std::cout << kSolveUsage;
        return 0;
      }
      if (a == "--param") spec.range.path = value();
      else if (a == "--range") range = value();
      else if (a == "--target") target = value();
      else if (a == "--smallest") spec.goal = SolveGoal::smallest;
      else if (a == "--largest") spec.goal = SolveGoal::largest;
      else if (a == "--resolution") spec.resolution = value();
      else if (!work_limit_option(args, i, limits) && !common_option(args, i, c))
        throw BadArguments("unknown option " + a);
    }
    if (spec.range.path.empty()) throw BadArguments("drsim solve needs --param PATH");
    if (range.empty()) throw BadArguments("drsim solve needs --range LO..HI");
    if (target.empty()) throw BadArguments("drsim solve needs --target \"FIGURE<=X\"");
    const ParamRange r = parse_range_arg(spec.range.path + "=" + range);
    spec.range = r;
    spec.target = Target::parse(target);
    const Scenario scenario = load_scenario(c, "solve");
    check_work(expected_requests(scenario.spec()), static_cast<double>(spec.max_probes) * c.options.replications, limits);

    ProgressBar bar(!c.quiet, "probes");
    std::size_t probe_no = 0;
    auto draw = bar.callback();
    if (draw) {
      // One progress line per probe batch: the runs of the probe under way.
      c.options.progress = [&](const SweepProgress& p) {
        if (p.runs_done == 1) ++probe_no;
        draw(p.runs_done, p.runs_total, probe_no, probe_no);
      };
    }
    const SolveResult result = solve(scenario, spec, c.options);
    bar.finish();
    std::cout << (c.json ? solve_json(result) + "\n" : solve_report(result));
    return 0;
  });
}

int sensitivity_command(const std::vector<std::string>& args) {
  return guarded(kSensitivityUsage, [&] {
    Common c;
    c.options.replications = kSensitivityReplications;
    SensitivitySpec spec;
    WorkLimits limits;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= args.size()) throw BadArguments(a + " needs a value");
        return args[++i];
      };
      if (a == "--help" || a == "-h") {
        std::cout << kSensitivityUsage;
        return 0;
      }
      if (a == "--params" || a == "--param") {
        for (const auto& p : split_list(value())) spec.params.push_back(parse_sensitivity_param(p));
      } else if (a == "--figure") spec.figure = value();
      else if (a == "--step") {
        const ParamValue v = make_param_value(ParamKind::number, value());
        if (!(v.numeric > 0 && v.numeric < 1))
          throw BadArguments("--step expects a number between 0 and 1, found \"" + v.text + "\"");
        spec.step = v.numeric;
      } else if (!work_limit_option(args, i, limits) && !common_option(args, i, c))
        throw BadArguments("unknown option " + a);
    }
    if (spec.params.empty()) throw BadArguments("drsim sensitivity needs --params P1,P2,...");
    const Scenario scenario = load_scenario(c, "sensitivity");
    check_work(expected_requests(scenario.spec()),
               static_cast<double>(2 * spec.params.size() + 1) * c.options.replications, limits);
    ProgressBar bar(!c.quiet, "points");
    c.options.progress = sweep_progress(bar);
    const SensitivityResult result = sensitivity(scenario, spec, c.options);
    bar.finish();
    std::cout << (c.json ? sensitivity_json(result) + "\n" : sensitivity_report(result));
    return 0;
  });
}

int compare_command(const std::vector<std::string>& args) {
  return guarded(kCompareUsage, [&] {
    Common c;
    c.options.replications = 10;
    std::string plan_path;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "--help" || a == "-h") {
        std::cout << kCompareUsage;
        return 0;
      }
      if (a == "--plan") {
        if (i + 1 >= args.size()) throw BadArguments("--plan needs a value");
        plan_path = args[++i];
      } else if (!common_option(args, i, c)) {
        throw BadArguments("unknown option " + a);
      }
    }
    const Scenario scenario = load_scenario(c, "compare");
    if (plan_path.empty()) {
      const auto slash = c.model.find_last_of('/');
      plan_path = (slash == std::string::npos ? std::string() : c.model.substr(0, slash + 1)) +
                  "compare/mesh-architectures.json";
    }
    const ComparePlan plan = load_compare_plan(plan_path);
    ProgressBar bar(!c.quiet, "runs");
    RunOptions options{c.options.seed, c.options.replications, c.options.threads, {}};
    if (auto show = bar.callback())
      options.progress = [show, reps = static_cast<std::size_t>(c.options.replications)](std::size_t done,
                                                                                            std::size_t total) {
        show(done * reps, total * reps, done, total);
      };
    const auto rows = compare(scenario, plan, options);
    bar.finish();
    std::cout << (c.json ? compare_json(rows) + "\n" : compare_report(plan, rows));
    return 0;
  });
}

}  // namespace drsim::cli
