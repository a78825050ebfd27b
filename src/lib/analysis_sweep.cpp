// Sweeps: points from grids and samples, (point, replication) pairs run on a
// pool of threads, tables out.
#include "drsim/analysis/sweep.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>

#include "drsim/core/random.hpp"
#include "drsim/model/metrics.hpp"
#include "drsim/scenario/reference.hpp"
#include "worker_pool.hpp"
#include "drsim/run.hpp"

namespace drsim {

namespace {

bool is_integer_text(const std::string& s) {
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

bool read_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  const char* begin = s.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (end != begin + s.size() || !std::isfinite(v)) return false;
  // strtod also reads "inf", "nan" and hex; only plain decimals count here.
  for (char c : s)
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) return false;
  out = v;
  return true;
}

/// Shortest text that reads back as the same double.
std::string format_double(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string format_sample(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

ParamKind param_kind(const std::string& path) {
  const Field* f = field_at(path);
  if (!f) return ParamKind::text;
  switch (f->kind) {
    case FieldKind::integer: return ParamKind::integer;
    case FieldKind::number:
    case FieldKind::share: return ParamKind::number;
    case FieldKind::duration: return ParamKind::duration;
    default: return ParamKind::text;
  }
}

ParamValue make_param_value(ParamKind kind, const std::string& text) {
  ParamValue v;
  v.text = text;
  v.kind = kind;
  double x = 0;
  switch (kind) {
    case ParamKind::integer:
      if (is_integer_text(text) && read_number(text, x)) v.numeric = x;
      break;
    case ParamKind::number:
      if (read_number(text, x)) v.numeric = x;
      break;
    case ParamKind::duration:
      try {
        // ns / 1e9 rather than ns x 1e-9: whole seconds stay whole (60, not 60.00000000000001).
        v.numeric = static_cast<double>(parse_duration(text).ns()) / 1e9;
      } catch (const TimeError&) {
      }
      break;
    case ParamKind::text: break;
  }
  return v;
}

ParamValue parse_param_value(const std::string& path, const std::string& text) {
  return make_param_value(param_kind(path), text);
}

ParamKind range_kind(const ParamRange& r) {
  auto fail = [&](const std::string& why) -> std::invalid_argument {
    return std::invalid_argument("range " + r.path + "=" + r.lo + ".." + r.hi + ": " + why);
  };
  const Field* field = field_at(r.path);
  if (!field) throw fail("no field " + r.path + " in the model reference (`drsim explain` lists them)");
  const ParamKind kind = param_kind(r.path);
  const char* what = kind == ParamKind::integer ? "whole numbers" : kind == ParamKind::number ? "numbers" : "durations";
  if (kind == ParamKind::text)
    throw fail(r.path + " is " + kind_text(*field) + ", not an integer, number or duration, so it has no range");
  const ParamValue lo = make_param_value(kind, r.lo), hi = make_param_value(kind, r.hi);
  if (std::isnan(lo.numeric) || std::isnan(hi.numeric))
    throw fail(std::string("both ends must be ") + what + (kind == ParamKind::duration ? " (\"10s\", \"2m\")" : "") +
               " within its range, as " + r.path + " is " + kind_text(*field));
  if (!(lo.numeric <= hi.numeric)) throw fail("the low end is above the high end");
  return kind;
}

ParamRange parse_range_arg(const std::string& arg) {
  const auto eq = arg.find('=');
  const auto dots = arg.find("..", eq == std::string::npos ? 0 : eq);
  if (eq == std::string::npos || eq == 0 || dots == std::string::npos)
    throw std::invalid_argument("expected PATH=LO..HI (e.g. gtm.ttl=10s..2m), found \"" + arg + "\"");
  ParamRange r{arg.substr(0, eq), arg.substr(eq + 1, dots - eq - 1), arg.substr(dots + 2)};
  if (r.lo.empty() || r.hi.empty())
    throw std::invalid_argument("expected PATH=LO..HI (e.g. gtm.ttl=10s..2m), found \"" + arg + "\"");
  (void)range_kind(r);
  return r;
}

GridAxis parse_grid_arg(const std::string& arg) {
  const auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    throw std::invalid_argument("expected PATH=V1,V2,... (e.g. gtm.ttl=10s,30s,60s), found \"" + arg + "\"");
  GridAxis axis{arg.substr(0, eq), {}};
  const std::string list = arg.substr(eq + 1);
  std::size_t pos = 0;
  while (true) {
    const auto comma = list.find(',', pos);
    std::string v = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (v.empty()) throw std::invalid_argument("empty value in \"" + arg + "\"");
    axis.values.push_back(std::move(v));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return axis;
}

std::vector<std::string> sweep_parameters(const SweepSpec& spec) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& p) {
    if (!seen.insert(p).second) throw std::invalid_argument("parameter " + p + " is swept twice");
    out.push_back(p);
  };
  for (const auto& a : spec.grid) add(a.path);
  for (const auto& r : spec.ranges) add(r.path);
  return out;
}

std::vector<SweepPoint> sweep_points(const SweepSpec& spec) {
  (void)sweep_parameters(spec);  // duplicate paths
  for (const auto& a : spec.grid)
    if (a.values.empty()) throw std::invalid_argument("grid axis " + a.path + " has no values");
  if (spec.samples > 0 && spec.ranges.empty()) throw std::invalid_argument("samples need at least one range to draw from");
  if (spec.samples == 0 && !spec.ranges.empty()) throw std::invalid_argument("ranges need a number of samples");

  // Grid: odometer with the first axis slowest.
  std::vector<SweepPoint> grid(1);
  for (const auto& axis : spec.grid) {
    std::vector<SweepPoint> next;
    next.reserve(grid.size() * axis.values.size());
    for (const auto& p : grid)
      for (const auto& v : axis.values) {
        SweepPoint q = p;
        q.settings.push_back({axis.path, v});
        next.push_back(std::move(q));
      }
    grid = std::move(next);
  }
  if (spec.samples == 0) return grid;

  // Samples: u[i][d] in [0, 1) per sample i and range d.
  const std::size_t n = spec.samples, dims = spec.ranges.size();
  RandomStream rng(spec.sample_seed, "sweep/samples");
  std::vector<std::vector<double>> u(n, std::vector<double>(dims));
  for (std::size_t d = 0; d < dims; ++d) {
    if (spec.method == SampleMethod::random) {
      for (std::size_t i = 0; i < n; ++i) u[i][d] = rng.uniform01();
    } else {
      // Latin hypercube: stratum perm[i] of n equal strata, a uniform spot inside it.
      std::vector<std::size_t> perm(n);
      for (std::size_t i = 0; i < n; ++i) perm[i] = i;
      for (std::size_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);
      for (std::size_t i = 0; i < n; ++i) u[i][d] = (static_cast<double>(perm[i]) + rng.uniform01()) / static_cast<double>(n);
    }
  }
  std::vector<std::vector<Setting>> samples(n);
  for (std::size_t d = 0; d < dims; ++d) {
    const ParamRange& r = spec.ranges[d];
    const ParamKind kind = range_kind(r);
    const double lo = make_param_value(kind, r.lo).numeric, hi = make_param_value(kind, r.hi).numeric;
    for (std::size_t i = 0; i < n; ++i) {
      std::string text;
      switch (kind) {
        case ParamKind::integer: {
          // Each of the hi - lo + 1 integers gets an equal share of [0, 1).
          const double k = std::floor(lo + u[i][d] * (hi - lo + 1));
          text = std::to_string(static_cast<long long>(std::min(k, hi)));
          break;
        }
        case ParamKind::duration: {
          // Whole milliseconds: the table shows the value the model ran with.
          const double ms = std::round((lo + u[i][d] * (hi - lo)) * 1e3);
          text = to_string(Duration::milliseconds(static_cast<std::int64_t>(ms)));
          break;
        }
        default: text = format_sample(lo + u[i][d] * (hi - lo)); break;
      }
      samples[i].push_back({r.path, std::move(text)});
    }
  }
  std::vector<SweepPoint> out;
  out.reserve(grid.size() * n);
  for (const auto& g : grid)
    for (const auto& s : samples) {
      SweepPoint q = g;
      q.settings.insert(q.settings.end(), s.begin(), s.end());
      out.push_back(std::move(q));
    }
  return out;
}

std::vector<std::string> figure_names() {
  // headline_figures() reports some figures only when they apply (no
  // detection without a fault, no peak utilisation without gateway pods), so
  // they are listed here by name. A figure added there later that every run
  // reports joins at the end by itself; one that is conditional must be
  // added here to be accepted in --figures and targets before a run.
  std::vector<std::string> names = {"failed_pct",         "failed",          "requests",
                                    "refused_pct",        "timeout_pct",     "throttled_pct",
                                    "code_503_pct",       "time_to_detect_s", "time_to_answer_change_s",
                                    "time_to_drain_s",    "failure_window_s", "fault_at_s",
                                    "latency_p50_s",      "latency_p99_s",   "peak_utilization_pct",
                                    "time_to_stable_s"};
  for (const auto& [name, value] : headline_figures(RunMetrics{})) {
    (void)value;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

SweepResult run_points(const Scenario& base, const std::vector<SweepPoint>& points, const SweepOptions& options) {
  if (options.replications < 1) throw std::invalid_argument("replications must be >= 1");
  if (!(options.level > 0 && options.level < 1)) throw std::invalid_argument("level must be in (0, 1)");
  const std::vector<std::string> known = figure_names();
  for (const auto& f : options.figures)
    if (std::find(known.begin(), known.end(), f) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw std::invalid_argument("unknown figure \"" + f + "\" (known: " + list + ")");
    }

  SweepResult result;
  result.model = base.name();
  result.seed = options.seed;
  result.replications = options.replications;
  result.level = options.level;
  result.figures = options.figures;
  for (const auto& p : points)
    for (const auto& s : p.settings)
      if (std::find(result.parameters.begin(), result.parameters.end(), s.path) == result.parameters.end())
        result.parameters.push_back(s.path);

  // Every point's model, checked before anything runs.
  std::vector<ModelSpec> specs;
  specs.reserve(points.size());
  result.warnings = base.warnings();
  for (const auto& p : points) {
    Scenario sc = base;
    for (const auto& s : p.settings) sc.set(s.path, s.value);
    std::string at;
    for (const auto& s : p.settings) at += (at.empty() ? "" : ", ") + s.path + "=" + s.value;
    for (const auto& w : sc.warnings()) {
      if (std::find(base.warnings().begin(), base.warnings().end(), w) != base.warnings().end()) continue;
      const std::string line = "at " + at + ": " + w;
      if (std::find(result.warnings.begin(), result.warnings.end(), line) == result.warnings.end())
        result.warnings.push_back(line);
    }
    ModelSpec spec = sc.spec();
    spec.log_events = false;  // a sweep reports figures, not event logs or fortio's statistics
    spec.report_detail = false;
    specs.push_back(std::move(spec));
  }

  const std::size_t reps = static_cast<std::size_t>(options.replications);
  const std::size_t total = points.size() * reps;
  std::vector<std::vector<std::map<std::string, double>>> figures(points.size(),
                                                                   std::vector<std::map<std::string, double>>(reps));
  std::vector<std::atomic<std::size_t>> reps_done(points.size());
  std::size_t runs_done = 0, points_done = 0;  // guarded by progress_mutex
  std::mutex progress_mutex;
  // Point-major order: a point's replications finish close together, so
  // "points done" moves steadily.
  detail::for_each_task(total, options.threads, [&](std::size_t t) {
    const std::size_t p = t / reps, k = t % reps;
    const RunMetrics m = run_replication(specs[p], replication_seed(options.seed, k));
    figures[p][k] = headline_figures(m);
    if (options.inspect) options.inspect(p, k, m);
    const bool point_finished = reps_done[p].fetch_add(1) + 1 == reps;
    if (options.progress) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      ++runs_done;
      if (point_finished) ++points_done;
      options.progress(SweepProgress{runs_done, total, points_done, points.size()});
    }
  });

  // Without a choice, the columns are the figures some replication reported:
  // the known ones in their order, then any others by name.
  if (result.figures.empty()) {
    std::set<std::string> seen;
    for (const auto& point : figures)
      for (const auto& f : point)
        for (const auto& [name, v] : f) {
          (void)v;
          seen.insert(name);
        }
    for (const auto& name : known)
      if (seen.erase(name)) result.figures.push_back(name);
    result.figures.insert(result.figures.end(), seen.begin(), seen.end());
  }

  // Gather in (point, replication) order: the same numbers whatever the threads did.
  result.points.reserve(points.size());
  for (std::size_t p = 0; p < points.size(); ++p) {
    PointResult pr;
    pr.settings = points[p].settings;
    for (const auto& s : pr.settings) pr.values.push_back(parse_param_value(s.path, s.value));
    std::map<std::string, RunningStats> stats;
    for (const auto& f : figures[p])
      for (const auto& [name, v] : f) stats[name].add(v);
    for (const auto& name : result.figures) {
      auto it = stats.find(name);
      if (it != stats.end()) pr.figures[name] = figure_interval(name, it->second, options.level);
    }
    if (options.keep_replications) pr.per_replication = std::move(figures[p]);
    result.points.push_back(std::move(pr));
  }
  return result;
}

SweepResult sweep(const Scenario& base, const SweepSpec& spec, const SweepOptions& options) {
  SweepResult r = run_points(base, sweep_points(spec), options);
  r.parameters = sweep_parameters(spec);
  return r;
}

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

const std::string* setting_of(const PointResult& p, const std::string& path) {
  for (const auto& s : p.settings)
    if (s.path == path) return &s.value;
  return nullptr;
}

}  // namespace

std::string sweep_csv(const SweepResult& r) {
  std::string out = "point";
  for (const auto& p : r.parameters) {
    out += ',';
    out += csv_field(p);
  }
  out += ",replications";
  for (const auto& f : r.figures)
    for (const char* suffix : {"_mean", "_lo", "_hi"}) {
      out += ',';
      out += f;
      out += suffix;
    }
  out += "\n";
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const PointResult& pt = r.points[i];
    out += std::to_string(i);
    for (const auto& p : r.parameters) {
      const std::string* v = setting_of(pt, p);
      out += ',';
      if (v) out += csv_field(*v);
    }
    out += ',';
    out += std::to_string(r.replications);
    for (const auto& f : r.figures) {
      auto it = pt.figures.find(f);
      if (it == pt.figures.end()) {
        out += ",,,";
        continue;
      }
      // Appended piece by piece: g++ 12 misreads "," + std::string temporaries (-Wrestrict).
      for (const double x : {it->second.mean, it->second.lo, it->second.hi}) {
        out += ',';
        out += format_double(x);
      }
    }
    out += "\n";
  }
  return out;
}

std::string sweep_json(const SweepResult& r, int indent) {
  using nlohmann::json;
  json doc;
  doc["format"] = "drsim.sweep/1";
  doc["model"] = r.model;
  doc["seed"] = r.seed;
  doc["replications"] = r.replications;
  doc["level"] = r.level;
  doc["parameters"] = r.parameters;
  doc["figures"] = r.figures;
  doc["warnings"] = r.warnings;
  json rows = json::array();
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const PointResult& pt = r.points[i];
    json row;
    row["point"] = i;
    json settings = json::object(), values = json::object(), figs = json::object();
    for (std::size_t s = 0; s < pt.settings.size(); ++s) {
      settings[pt.settings[s].path] = pt.settings[s].value;
      const double x = s < pt.values.size() ? pt.values[s].numeric : std::nan("");
      values[pt.settings[s].path] = std::isfinite(x) ? json(x) : json(nullptr);
    }
    for (const auto& f : r.figures) {
      auto it = pt.figures.find(f);
      if (it == pt.figures.end()) {
        figs[f] = nullptr;
        continue;
      }
      figs[f] = {{"mean", it->second.mean}, {"lo", it->second.lo}, {"hi", it->second.hi}, {"n", it->second.n}};
    }
    row["settings"] = std::move(settings);
    row["values"] = std::move(values);
    row["figures"] = std::move(figs);
    rows.push_back(std::move(row));
  }
  doc["points"] = std::move(rows);
  return doc.dump(indent);
}

void write_sweep(const SweepResult& r, const std::string& path) {
  const bool json = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  const std::string text = json ? sweep_json(r) + "\n" : sweep_csv(r);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out << text;
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw std::runtime_error("cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot move " + tmp + " to " + path);
  }
}

ConfidenceInterval paired_difference(const PointResult& a, const PointResult& b, const std::string& figure, double level) {
  RunningStats d;
  const std::size_t n = std::min(a.per_replication.size(), b.per_replication.size());
  for (std::size_t k = 0; k < n; ++k) {
    auto ia = a.per_replication[k].find(figure), ib = b.per_replication[k].find(figure);
    if (ia != a.per_replication[k].end() && ib != b.per_replication[k].end()) d.add(ib->second - ia->second);
  }
  return t_interval(d, level);
}

}  // namespace drsim
