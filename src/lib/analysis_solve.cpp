// The target solver (bisection on a monotone parameter) and one-at-a-time
// sensitivity, both built on run_points so every probe shares common random
// numbers with every other.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "drsim/analysis/sensitivity.hpp"
#include "drsim/analysis/solver.hpp"
#include "drsim/core/time.hpp"

namespace drsim {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::string fixed(double v, int digits = 3) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json interval_json(const ConfidenceInterval& ci) {
  return {{"mean", number_or_null(ci.mean)}, {"lo", number_or_null(ci.lo)}, {"hi", number_or_null(ci.hi)}, {"n", ci.n}};
}

nlohmann::json value_json(const ParamValue& v) {
  return {{"value", v.text}, {"numeric", number_or_null(v.numeric)}};
}

/// A value of the parameter at numeric position x (seconds for durations).
ParamValue value_at(ParamKind kind, double x) {
  switch (kind) {
    case ParamKind::integer: return make_param_value(kind, std::to_string(std::llround(x)));
    case ParamKind::duration: {
      const auto ns = static_cast<std::int64_t>(std::llround(x * 1e9));
      return make_param_value(kind, to_string(Duration::nanoseconds(ns)));
    }
    default: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.10g", x);
      return make_param_value(ParamKind::number, buf);
    }
  }
}

/// Rounds a bisection midpoint to the grid the parameter lives on: whole
/// numbers for integers, whole milliseconds for durations when the
/// resolution allows it.
double snap(ParamKind kind, double x, double resolution) {
  if (kind == ParamKind::integer) return std::floor(x);
  if (kind == ParamKind::duration && resolution >= 1e-3) return std::round(x * 1e3) / 1e3;
  return x;
}

}  // namespace

// ---- targets ----------------------------------------------------------------

Target Target::parse(const std::string& text) {
  const auto le = text.find("<="), ge = text.find(">=");
  const bool at_most = le != std::string::npos;
  if (at_most == (ge != std::string::npos))
    throw std::invalid_argument("a target is FIGURE<=X or FIGURE>=X (e.g. \"failed_pct<=1\"), found \"" + text + "\"");
  const auto at = at_most ? le : ge;
  Target t;
  t.figure = trim(text.substr(0, at));
  t.op = at_most ? Op::at_most : Op::at_least;
  const std::string bound = trim(text.substr(at + 2));
  const ParamValue v = make_param_value(ParamKind::number, bound);
  if (t.figure.empty() || std::isnan(v.numeric))
    throw std::invalid_argument("a target is FIGURE<=X or FIGURE>=X with X a number (e.g. \"failed_pct<=1\"), found \"" +
                                text + "\"");
  t.bound = v.numeric;
  const auto names = figure_names();
  if (std::find(names.begin(), names.end(), t.figure) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown figure \"" + t.figure + "\" in target \"" + text + "\" (known: " + list + ")");
  }
  return t;
}

std::string Target::to_string() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", bound);
  return figure + (op == Op::at_most ? "<=" : ">=") + buf;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::meets: return "meets";
    case Verdict::fails: return "fails";
    case Verdict::undecided: return "undecided";
  }
  return "undecided";
}

Verdict judge(const Target& t, const ConfidenceInterval& ci) {
  if (ci.n == 0) return Verdict::undecided;
  if (t.op == Target::Op::at_most) {
    if (ci.hi <= t.bound) return Verdict::meets;
    if (ci.lo > t.bound) return Verdict::fails;
  } else {
    if (ci.lo >= t.bound) return Verdict::meets;
    if (ci.hi < t.bound) return Verdict::fails;
  }
  return Verdict::undecided;
}

const char* status_name(SolveResult::Status s) {
  switch (s) {
    case SolveResult::Status::found: return "found";
    case SolveResult::Status::whole_range: return "whole_range";
    case SolveResult::Status::none: return "none";
  }
  return "none";
}

// ---- the solver -------------------------------------------------------------

SolveResult solve(const Scenario& base, const SolveSpec& spec, const SweepOptions& options) {
  const ParamKind kind = range_kind(spec.range);
  const ParamValue lo = value_at(kind, make_param_value(kind, spec.range.lo).numeric);
  const ParamValue hi = value_at(kind, make_param_value(kind, spec.range.hi).numeric);
  if (spec.target.figure.empty()) throw std::invalid_argument("solve needs a target (FIGURE<=X or FIGURE>=X)");

  double resolution = 0;
  if (spec.resolution.empty()) {
    resolution = kind == ParamKind::integer ? 1.0 : (hi.numeric - lo.numeric) / 100.0;
    if (kind == ParamKind::duration) resolution = std::max(resolution, 1e-3);
  } else {
    const ParamValue r =
        make_param_value(kind == ParamKind::duration ? ParamKind::duration : ParamKind::number, spec.resolution);
    if (!(r.numeric > 0))
      throw std::invalid_argument("resolution \"" + spec.resolution + "\" must be a positive " +
                                  (kind == ParamKind::duration ? "duration" : "number"));
    resolution = kind == ParamKind::integer ? std::max(1.0, std::floor(r.numeric)) : r.numeric;
  }

  SolveResult result;
  result.path = spec.range.path;
  result.target = spec.target;
  result.replications = options.replications;
  result.seed = options.seed;

  SweepOptions opts = options;
  opts.figures = {spec.target.figure};
  opts.keep_replications = false;
  auto probe = [&](const std::vector<ParamValue>& values) {
    std::vector<SweepPoint> points;
    for (const auto& v : values) points.push_back(SweepPoint{{Setting{spec.range.path, v.text}}});
    const SweepResult r = run_points(base, points, opts);
    std::vector<Verdict> verdicts;
    for (std::size_t i = 0; i < values.size(); ++i) {
      SolveProbe p;
      p.value = values[i];
      auto it = r.points[i].figures.find(spec.target.figure);
      if (it != r.points[i].figures.end()) p.figure = it->second;
      p.verdict = judge(spec.target, p.figure);
      verdicts.push_back(p.verdict);
      result.probes.push_back(p);
    }
    return verdicts;
  };

  const auto ends = probe({lo, hi});
  const bool lo_meets = ends[0] == Verdict::meets, hi_meets = ends[1] == Verdict::meets;
  const std::string what = spec.target.to_string() + " at " + fixed(100 * options.level, 0) + " % confidence";

  if (!lo_meets && !hi_meets) {
    result.status = SolveResult::Status::none;
    result.goal = spec.goal.value_or(SolveGoal::largest);
    result.explanation = "neither end of " + spec.range.path + "=" + lo.text + ".." + hi.text + " meets " + what +
                         ", so no value in the range does (if the figure is monotone in the parameter)";
    return result;
  }
  if (lo_meets && hi_meets) {
    result.status = SolveResult::Status::whole_range;
    result.goal = spec.goal.value_or(SolveGoal::largest);
    if (spec.goal) result.answer = result.bracket_meets = (*spec.goal == SolveGoal::largest ? hi : lo);
    result.explanation = "both ends of " + spec.range.path + "=" + lo.text + ".." + hi.text + " meet " + what +
                         ": every value in the range does" +
                         (spec.goal ? std::string(", and the answer may lie beyond the range") : std::string());
    return result;
  }
  // One end meets: with the goal pointing at it the answer is that end;
  // otherwise bisect between the meeting end and the failing one.
  const SolveGoal natural = lo_meets ? SolveGoal::largest : SolveGoal::smallest;
  result.goal = spec.goal.value_or(natural);
  if (result.goal != natural) {
    result.status = SolveResult::Status::found;
    result.answer = result.bracket_meets = lo_meets ? lo : hi;
    result.explanation = "only the " + std::string(lo_meets ? "low" : "high") + " end " + result.answer->text +
                         " meets " + what + "; it is the " + (result.goal == SolveGoal::largest ? "largest" : "smallest") +
                         " value in the range, and the answer may lie beyond it";
    return result;
  }

  ParamValue good = lo_meets ? lo : hi, bad = lo_meets ? hi : lo;
  int probes = 2;
  while (std::fabs(bad.numeric - good.numeric) > resolution * (1 + 1e-9) && probes < spec.max_probes) {
    const double mid_x = snap(kind, 0.5 * (good.numeric + bad.numeric), resolution);
    const ParamValue mid = value_at(kind, mid_x);
    if (mid.text == good.text || mid.text == bad.text) break;  // nothing left between them on the parameter's grid
    const Verdict v = probe({mid})[0];
    ++probes;
    (v == Verdict::meets ? good : bad) = mid;
  }
  result.status = SolveResult::Status::found;
  result.answer = result.bracket_meets = good;
  result.bracket_fails = bad;
  result.explanation = std::string(result.goal == SolveGoal::largest ? "largest" : "smallest") + " " + spec.range.path +
                       " meeting " + what + ": " + good.text + " (" + good.text + " meets, " + bad.text +
                       " does not; " + std::to_string(result.probes.size()) + " probes of " +
                       std::to_string(options.replications) + " replications)";
  return result;
}

std::string solve_report(const SolveResult& r) {
  std::string out = "solve: " + std::string(r.goal == SolveGoal::largest ? "largest" : "smallest") + " " + r.path +
                    " with " + r.target.to_string() + " (" + std::to_string(r.replications) +
                    " replications per probe, seed " + std::to_string(r.seed) + ")\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-5s %-14s %-38s %s\n", "probe", r.path.size() <= 14 ? r.path.c_str() : "value",
                (r.target.figure + " mean [95 % interval]").c_str(), "verdict");
  out += line;
  for (std::size_t i = 0; i < r.probes.size(); ++i) {
    const SolveProbe& p = r.probes[i];
    const std::string ci = p.figure.n ? fixed(p.figure.mean) + " [" + fixed(p.figure.lo) + ", " + fixed(p.figure.hi) + "]"
                                      : std::string("not reported");
    std::snprintf(line, sizeof line, "  %-5zu %-14s %-38s %s\n", i + 1, p.value.text.c_str(), ci.c_str(),
                  verdict_name(p.verdict));
    out += line;
  }
  out += std::string("answer: ") + (r.answer ? r.answer->text : std::string("none")) + "\n";
  if (r.bracket_meets && r.bracket_fails)
    out += "bracket: " + r.bracket_meets->text + " meets, " + r.bracket_fails->text + " does not\n";
  out += r.explanation + "\n";
  return out;
}

std::string solve_json(const SolveResult& r, int indent) {
  using nlohmann::json;
  json doc;
  doc["format"] = "drsim.solve/1";
  doc["parameter"] = r.path;
  doc["target"] = r.target.to_string();
  doc["goal"] = r.goal == SolveGoal::largest ? "largest" : "smallest";
  doc["status"] = status_name(r.status);
  doc["answer"] = r.answer ? value_json(*r.answer) : json(nullptr);
  doc["bracket"] = {{"meets", r.bracket_meets ? value_json(*r.bracket_meets) : json(nullptr)},
                    {"fails", r.bracket_fails ? value_json(*r.bracket_fails) : json(nullptr)}};
  doc["replications"] = r.replications;
  doc["seed"] = r.seed;
  json probes = json::array();
  for (const auto& p : r.probes) {
    json pj = value_json(p.value);
    pj["figure"] = interval_json(p.figure);
    pj["verdict"] = verdict_name(p.verdict);
    probes.push_back(std::move(pj));
  }
  doc["probes"] = std::move(probes);
  doc["explanation"] = r.explanation;
  return doc.dump(indent);
}

// ---- sensitivity --------------------------------------------------------------

SensitivityParam parse_sensitivity_param(const std::string& arg) {
  const auto eq = arg.find('=');
  SensitivityParam p;
  p.path = trim(arg.substr(0, eq));
  if (eq != std::string::npos) p.base = trim(arg.substr(eq + 1));
  if (p.path.empty() || (eq != std::string::npos && p.base.empty()))
    throw std::invalid_argument("expected PATH or PATH=BASE (e.g. gtm.ttl or gtm.publish_delay=2s), found \"" + arg + "\"");
  return p;
}

std::optional<std::string> model_value(const Scenario& scenario, const std::string& path) {
  return scenario.value_at(path);
}

namespace {

/// Whether the model accepts `value` at `path`.
bool accepts(const Scenario& base, const std::string& path, const std::string& value) {
  try {
    Scenario copy = base;
    copy.set(path, value);
    return true;
  } catch (const ModelError&) {
    return false;
  }
}

}  // namespace

SensitivityResult sensitivity(const Scenario& base, const SensitivitySpec& spec, const SweepOptions& options) {
  if (spec.params.empty()) throw std::invalid_argument("sensitivity needs at least one parameter");
  if (!(spec.step > 0 && spec.step < 1)) throw std::invalid_argument("step must be in (0, 1)");
  SweepOptions opts = options;
  opts.figures = {spec.figure};
  opts.keep_replications = true;
  (void)Target::parse(spec.figure + "<=0");  // names the figure if it is unknown

  SensitivityResult result;
  result.figure = spec.figure;
  result.step = spec.step;
  result.replications = options.replications;
  result.seed = options.seed;

  // Point 0 is the base (every parameter at its base value); then low and
  // high per parameter, the others left at base.
  std::vector<SweepPoint> points(1);
  std::vector<SensitivityEntry> entries;
  std::vector<Setting> base_settings;
  for (const auto& p : spec.params) {
    SensitivityEntry e;
    e.path = p.path;
    std::string text = p.base;
    if (text.empty()) {
      const auto v = model_value(base, p.path);
      if (!v)
        throw std::invalid_argument(p.path + " has no value in the model file; give its base as " + p.path + "=VALUE");
      text = *v;
    }
    e.base = parse_param_value(p.path, text);
    if (e.base.kind == ParamKind::text || std::isnan(e.base.numeric))
      throw std::invalid_argument(p.path + "=" + text + " is not a number or a duration, so it has no elasticity");
    base_settings.push_back({p.path, e.base.text});
    entries.push_back(std::move(e));
  }
  for (const auto& s : base_settings) points[0].settings.push_back(s);
  Scenario at_base = base;
  for (const auto& s : base_settings) at_base.set(s.path, s.value);

  std::vector<std::size_t> low_point(entries.size()), high_point(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    SensitivityEntry& e = entries[i];
    const double x0 = e.base.numeric;
    double delta = spec.step * std::fabs(x0);
    if (e.base.kind == ParamKind::integer) delta = std::max(1.0, std::round(delta));
    if (delta == 0) delta = spec.step;  // x0 == 0: an absolute step (seconds for durations); no elasticity there
    const ParamKind kind = e.base.kind == ParamKind::integer ? ParamKind::integer
                           : e.base.kind == ParamKind::duration ? ParamKind::duration
                                                                : ParamKind::number;
    auto side = [&](double x) {
      ParamValue v = value_at(kind, kind == ParamKind::duration ? std::round(x * 1e3) / 1e3 : x);
      if (!accepts(at_base, e.path, v.text)) return e.base;
      return v;
    };
    e.low = side(x0 - delta);
    e.high = side(x0 + delta);
    if (e.low.text == e.base.text && e.high.text == e.base.text)
      throw std::invalid_argument("the model accepts neither " + e.path + " below nor above " + e.base.text);
    auto add_point = [&](const ParamValue& v) -> std::size_t {
      if (v.text == e.base.text) return 0;
      SweepPoint pt = points[0];
      for (auto& s : pt.settings)
        if (s.path == e.path) s.value = v.text;
      points.push_back(std::move(pt));
      return points.size() - 1;
    };
    low_point[i] = add_point(e.low);
    high_point[i] = add_point(e.high);
  }

  const SweepResult run = run_points(base, points, opts);
  auto figure_at = [&](std::size_t p) {
    auto it = run.points[p].figures.find(spec.figure);
    return it == run.points[p].figures.end() ? ConfidenceInterval{} : it->second;
  };
  result.base = figure_at(0);
  const double t_level = 0.5 + options.level / 2;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    SensitivityEntry& e = entries[i];
    const PointResult &pb = run.points[0], &pl = run.points[low_point[i]], &ph = run.points[high_point[i]];
    e.at_low = figure_at(low_point[i]);
    e.at_high = figure_at(high_point[i]);
    e.swing = paired_difference(pl, ph, spec.figure, options.level);
    const double dx = e.high.numeric - e.low.numeric;
    e.slope = e.swing.mean / dx;

    // Delta method for E' = mean(d) / mean(y) over the replications where
    // the base, low and high points all report the figure.
    std::vector<double> d, y;
    for (std::size_t k = 0; k < pb.per_replication.size(); ++k) {
      auto yb = pb.per_replication[k].find(spec.figure);
      auto yl = pl.per_replication[k].find(spec.figure);
      auto yh = ph.per_replication[k].find(spec.figure);
      if (yb == pb.per_replication[k].end() || yl == pl.per_replication[k].end() || yh == ph.per_replication[k].end())
        continue;
      d.push_back(yh->second - yl->second);
      y.push_back(yb->second);
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    e.elasticity = {nan, nan, nan, d.size()};
    RunningStats sd, sy;
    for (std::size_t k = 0; k < d.size(); ++k) {
      sd.add(d[k]);
      sy.add(y[k]);
    }
    const double x0 = e.base.numeric;
    if (!d.empty() && sy.mean() != 0 && x0 != 0) {
      const double ratio = sd.mean() / sy.mean();
      const double scale = x0 / dx;
      RunningStats psi;
      for (std::size_t k = 0; k < d.size(); ++k) psi.add((d[k] - ratio * y[k]) / sy.mean());
      double h = 0;
      if (d.size() > 1)
        h = student_t_quantile(t_level, static_cast<double>(d.size() - 1)) * psi.stddev() /
            std::sqrt(static_cast<double>(d.size()));
      e.elasticity.mean = ratio * scale;
      e.elasticity.lo = std::min((ratio - h) * scale, (ratio + h) * scale);
      e.elasticity.hi = std::max((ratio - h) * scale, (ratio + h) * scale);
    }
  }
  // Rank by |elasticity|; parameters without one (base value or figure 0) after them by |swing|.
  std::stable_sort(entries.begin(), entries.end(), [](const SensitivityEntry& a, const SensitivityEntry& b) {
    const bool fa = std::isfinite(a.elasticity.mean), fb = std::isfinite(b.elasticity.mean);
    if (fa != fb) return fa;
    if (fa) return std::fabs(a.elasticity.mean) > std::fabs(b.elasticity.mean);
    return std::fabs(a.swing.mean) > std::fabs(b.swing.mean);
  });
  for (std::size_t i = 0; i < entries.size(); ++i) entries[i].rank = static_cast<int>(i + 1);
  result.entries = std::move(entries);
  return result;
}

std::string sensitivity_report(const SensitivityResult& r) {
  std::string out = "sensitivity of " + r.figure + " (one at a time, +/-" + fixed(100 * r.step, 0) + " %, " +
                    std::to_string(r.replications) + " replications, seed " + std::to_string(r.seed) + ")\n";
  out += "base: " + fixed(r.base.mean) + " [" + fixed(r.base.lo) + ", " + fixed(r.base.hi) + "]\n";
  char line[512];
  std::snprintf(line, sizeof line, "  %-4s %-32s %-22s %-30s %s\n", "rank", "parameter", "low .. base .. high",
                "elasticity [95 %]", "swing [95 %]");
  out += line;
  for (const auto& e : r.entries) {
    const std::string values = e.low.text + " .. " + e.base.text + " .. " + e.high.text;
    const std::string el = std::isfinite(e.elasticity.mean)
                               ? fixed(e.elasticity.mean) + " [" + fixed(e.elasticity.lo) + ", " + fixed(e.elasticity.hi) + "]"
                               : std::string("n/a");
    const std::string sw = fixed(e.swing.mean) + " [" + fixed(e.swing.lo) + ", " + fixed(e.swing.hi) + "]";
    std::snprintf(line, sizeof line, "  %-4d %-32s %-22s %-30s %s\n", e.rank, e.path.c_str(), values.c_str(), el.c_str(),
                  sw.c_str());
    out += line;
  }
  return out;
}

std::string sensitivity_json(const SensitivityResult& r, int indent) {
  using nlohmann::json;
  json doc;
  doc["format"] = "drsim.sensitivity/1";
  doc["figure"] = r.figure;
  doc["step"] = r.step;
  doc["replications"] = r.replications;
  doc["seed"] = r.seed;
  doc["base"] = interval_json(r.base);
  json entries = json::array();
  for (const auto& e : r.entries) {
    entries.push_back({{"rank", e.rank},
                       {"parameter", e.path},
                       {"base", value_json(e.base)},
                       {"low", value_json(e.low)},
                       {"high", value_json(e.high)},
                       {"at_low", interval_json(e.at_low)},
                       {"at_high", interval_json(e.at_high)},
                       {"swing", interval_json(e.swing)},
                       {"slope", number_or_null(e.slope)},
                       {"elasticity", interval_json(e.elasticity)}});
  }
  doc["parameters"] = std::move(entries);
  return doc.dump(indent);
}

}  // namespace drsim
