// Calibration: observations in, likelihood on a grid from replications, a
// posterior out (the method and why: include/drsim/analysis/calibrate.hpp).
#include "drsim/analysis/calibrate.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>

#include "drsim/model/metrics.hpp"
#include "drsim/run.hpp"

namespace drsim {

namespace {

/// fortio's success test (codeIsOK): 2xx or 418.
bool code_is_ok(int code) { return (code >= 200 && code <= 299) || code == 418; }

bool read_int(const std::string& s, long long& out) {
  if (s.empty()) return false;
  std::size_t pos = 0;
  try {
    out = std::stoll(s, &pos);
  } catch (const std::exception&) {
    return false;
  }
  return pos == s.size();
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::invalid_argument bad(const std::string& where, const std::string& expected, const std::string& found) {
  return std::invalid_argument(where + ": expected " + expected + ", found " + found);
}

/// {"200": n, "-1": m} at `path` of `name`.
std::map<int, std::uint64_t> codes_from_json(const nlohmann::json& obj, const std::string& name, const std::string& path) {
  std::map<int, std::uint64_t> codes;
  for (const auto& [key, value] : obj.items()) {
    long long code = 0;
    if (!read_int(key, code) || code < -1 || code > 999)
      throw bad(name + ": " + path, "keys that are fortio codes (-1 or an HTTP status)", "\"" + key + "\"");
    if (!value.is_number_integer() && !value.is_number_unsigned())
      throw bad(name + ": " + path + "." + key, "a whole number of calls", value.dump());
    if (value.get<long long>() < 0) throw bad(name + ": " + path + "." + key, "a count >= 0", value.dump());
    codes[static_cast<int>(code)] += value.get<std::uint64_t>();
  }
  return codes;
}

}  // namespace

std::uint64_t Observation::total() const {
  std::uint64_t n = 0;
  for (const auto& [code, k] : codes) n += k;
  return n;
}

Observation parse_observation(const std::string& text, const std::string& name) {
  Observation o;
  o.source = name;
  const std::string t = trim(text.substr(0, std::min<std::size_t>(text.size(), 64)));
  if (!t.empty() && t[0] == '{') {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw bad(name, "JSON (fortio's result or counts by code)", std::string("invalid JSON (") + e.what() + ")");
    }
    if (j.contains("RetCodes")) {
      if (!j["RetCodes"].is_object()) throw bad(name + ": RetCodes", "an object of counts by code", j["RetCodes"].dump());
      o.codes = codes_from_json(j["RetCodes"], name, "RetCodes");
      o.format = "fortio-json";
    } else if (j.contains("codes") && j["codes"].is_object()) {
      o.codes = codes_from_json(j["codes"], name, "codes");
      o.format = "counts";
    } else {
      bool all_codes = !j.empty();
      for (const auto& [key, value] : j.items()) {
        long long c = 0;
        (void)value;
        all_codes = all_codes && read_int(key, c);
      }
      if (!all_codes) {
        std::string keys;
        for (const auto& [key, value] : j.items()) {
          (void)value;
          if (keys.size() < 60) keys += (keys.empty() ? "" : ", ") + key;
        }
        throw bad(name, "fortio's JSON (with RetCodes) or counts by code such as {\"200\": 25800, \"-1\": 4200}",
                  "an object with keys " + (keys.empty() ? std::string("(none)") : keys));
      }
      o.codes = codes_from_json(j, name, "(top level)");
      o.format = "counts";
    }
  } else {
    std::istringstream in(text);
    std::string line;
    int number = 0;
    bool fortio = text.find("Code ") != std::string::npos && text.find(" : ") != std::string::npos;
    o.format = fortio ? "fortio-text" : "counts";
    while (std::getline(in, line)) {
      ++number;
      const std::string where = name + ":" + std::to_string(number);
      if (fortio) {
        // fortio's "Code %3d : %d (%.1f %%)"; every other line is skipped.
        if (line.rfind("Code ", 0) != 0) continue;
        const auto colon = line.find(" : ");
        long long code = 0, n = 0;
        std::string count = colon == std::string::npos ? "" : trim(line.substr(colon + 3));
        count = count.substr(0, count.find(' '));
        if (colon == std::string::npos || !read_int(trim(line.substr(5, colon - 5)), code) || !read_int(count, n) || n < 0)
          throw bad(where, "fortio's \"Code %3d : %d (%.1f %)\"", "\"" + line + "\"");
        o.codes[static_cast<int>(code)] += static_cast<std::uint64_t>(n);
        continue;
      }
      std::string l = trim(line.substr(0, line.find('#')));
      if (l.empty()) continue;
      for (char& c : l)
        if (c == ':' || c == '=' || c == '\t' || c == ',') c = ' ';
      std::istringstream fields(l);
      std::string a, b, extra;
      fields >> a >> b >> extra;
      long long code = 0, n = 0;
      if (!read_int(a, code) || !read_int(b, n) || !extra.empty() || code < -1 || code > 999 || n < 0)
        throw bad(where, "\"CODE COUNT\" (e.g. \"200 25800\" or \"-1: 4200\"), fortio's text or JSON",
                  "\"" + trim(line) + "\"");
      o.codes[static_cast<int>(code)] += static_cast<std::uint64_t>(n);
    }
  }
  if (o.total() == 0)
    throw bad(name, "at least one call with a code (fortio's Code lines, RetCodes, or counts by code)",
              o.codes.empty() ? "no codes" : "codes that add up to 0 calls");
  return o;
}

Observation read_observation(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(path + ": cannot read the observed drill (no such file or no permission)");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_observation(text.str(), path);
}

CalibrationRuns calibration_runs(const Scenario& base, const SweepSpec& spec, const SweepOptions& options) {
  CalibrationRuns runs;
  runs.points = sweep_points(spec);
  const std::size_t reps = static_cast<std::size_t>(std::max(1, options.replications));
  // Each replication's calls by fortio code, gathered by (point, replication).
  runs.code_pct.assign(runs.points.size(), std::vector<std::map<int, double>>(reps));
  SweepOptions so = options;
  so.keep_replications = false;
  so.figures = {"failed_pct"};
  so.inspect = [&](std::size_t p, std::size_t k, const RunMetrics& m) {
    std::map<int, double> s;
    const double n = static_cast<double>(std::max<std::uint64_t>(1, m.completed()));
    for (std::size_t c = 0; c < kCauseCount; ++c) {
      const auto cause = static_cast<Cause>(c);
      if (m.count(cause)) s[fortio_code(cause)] += 100.0 * static_cast<double>(m.count(cause)) / n;
    }
    runs.code_pct[p][k] = std::move(s);
  };
  const SweepResult sweep = run_points(base, runs.points, so);
  runs.model = base.name();
  runs.seed = options.seed;
  runs.replications = static_cast<int>(reps);
  runs.parameters = sweep_parameters(spec);
  runs.warnings = sweep.warnings;
  return runs;
}

CalibrationResult calibrate(const Scenario& base, const SweepSpec& spec, const Observation& observed,
                            const CalibrationOptions& options) {
  if (observed.total() == 0) throw std::invalid_argument("the observation has no calls");
  if (!(options.level > 0 && options.level < 1)) throw std::invalid_argument("level must be in (0, 1)");
  return weigh(calibration_runs(base, spec, options.sweep), observed, options.level);
}

CalibrationResult weigh(const CalibrationRuns& runs, const Observation& observed, double level) {
  if (observed.total() == 0) throw std::invalid_argument("the observation has no calls");
  if (!(level > 0 && level < 1)) throw std::invalid_argument("level must be in (0, 1)");
  if (runs.points.empty() || runs.code_pct.empty()) throw std::invalid_argument("no simulated points to weigh");
  const auto& shares = runs.code_pct;
  const auto& points = runs.points;
  const std::size_t reps = static_cast<std::size_t>(runs.replications);
  CalibrationResult r;
  r.model = runs.model;
  r.seed = runs.seed;
  r.replications = runs.replications;
  r.level = level;
  r.parameters = runs.parameters;
  r.observed = observed;
  r.warnings = runs.warnings;

  // The codes compared: every failing code seen in the drill or in a run
  // (the ok share is what the others leave).
  std::set<int> codes;
  for (const auto& [code, n] : observed.codes)
    if (!code_is_ok(code)) codes.insert(code);
  for (const auto& point : shares)
    for (const auto& rep : point)
      for (const auto& [code, v] : rep)
        if (!code_is_ok(code)) codes.insert(code);
  const double total = static_cast<double>(observed.total());
  for (int c : codes) {
    auto it = observed.codes.find(c);
    r.observed_pct[c] = 100.0 * static_cast<double>(it == observed.codes.end() ? 0 : it->second) / total;
  }

  // A kernel density per point: each code's bandwidth from Silverman's rule
  // on the point's own replications, combined with the observation's binomial
  // noise and a floor of 0.01 percentage points, so that identical
  // replications still give a density.
  constexpr double kLogSqrt2Pi = 0.91893853320467274178;
  std::vector<double> ll(points.size());
  std::vector<std::map<int, double>> bandwidth(points.size());
  for (std::size_t p = 0; p < points.size(); ++p) {
    for (int c : codes) {
      RunningStats st;
      for (const auto& rep : shares[p]) {
        auto it = rep.find(c);
        st.add(it == rep.end() ? 0.0 : it->second);
      }
      const double silverman = 1.06 * st.stddev() * std::pow(static_cast<double>(reps), -0.2);
      const double q = std::max(r.observed_pct[c] / 100.0, 0.5 / total);
      const double binomial = 100.0 * std::sqrt(q * (1 - q) / total);
      bandwidth[p][c] = std::sqrt(silverman * silverman + binomial * binomial + 0.01 * 0.01);
    }
    std::vector<double> terms(reps);
    for (std::size_t k = 0; k < reps; ++k) {
      double t = 0;
      for (int c : codes) {
        auto it = shares[p][k].find(c);
        const double h = bandwidth[p][c];
        const double z = (r.observed_pct[c] - (it == shares[p][k].end() ? 0.0 : it->second)) / h;
        t += -0.5 * z * z - std::log(h) - kLogSqrt2Pi;
      }
      terms[k] = t;
    }
    const double top = *std::max_element(terms.begin(), terms.end());
    double sum = 0;
    for (double t : terms) sum += std::exp(t - top);
    ll[p] = top + std::log(sum / static_cast<double>(reps));
  }
  const double best = *std::max_element(ll.begin(), ll.end());
  double norm = 0;
  for (double l : ll) norm += std::exp(l - best);

  for (std::size_t p = 0; p < points.size(); ++p) {
    CalibrationPoint cp;
    cp.settings = points[p].settings;
    cp.log_likelihood = ll[p];
    cp.probability = std::exp(ll[p] - best) / norm;
    cp.bandwidth_pct = bandwidth[p];
    for (int c : codes) {
      RunningStats st;
      for (const auto& rep : shares[p]) {
        auto it = rep.find(c);
        st.add(it == rep.end() ? 0.0 : it->second);
      }
      ConfidenceInterval ci = t_interval(st, 0.95);
      ci.lo = std::clamp(ci.lo, 0.0, 100.0);
      ci.hi = std::clamp(ci.hi, 0.0, 100.0);
      cp.code_pct[c] = ci;
    }
    r.points.push_back(std::move(cp));
  }
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return r.points[a].probability > r.points[b].probability; });
  r.map = order.front();
  double mass = 0;
  for (std::size_t i : order) {
    r.credible_set.push_back(i);
    mass += r.points[i].probability;
    if (mass >= level) break;
  }
  return r;
}

Prediction predict(const Scenario& base, const CalibrationResult& calibration, const std::vector<Setting>& what_if,
                   const SweepOptions& options, const std::string& figure) {
  if (calibration.credible_set.empty()) throw std::invalid_argument("the calibration has no credible point");
  std::vector<SweepPoint> points;
  std::vector<double> weights;
  for (std::size_t i : calibration.credible_set) {
    SweepPoint p{calibration.points[i].settings};
    p.settings.insert(p.settings.end(), what_if.begin(), what_if.end());
    points.push_back(std::move(p));
    weights.push_back(calibration.points[i].probability);
  }
  SweepOptions so = options;
  so.keep_replications = true;
  so.figures = {figure};
  const SweepResult runs = run_points(base, points, so);
  // (value, weight) of every replication that reports the figure.
  std::vector<std::pair<double, double>> mix;
  for (std::size_t p = 0; p < runs.points.size(); ++p) {
    std::vector<double> values;
    for (const auto& rep : runs.points[p].per_replication)
      if (auto it = rep.find(figure); it != rep.end()) values.push_back(it->second);
    for (double v : values) mix.emplace_back(v, weights[p] / static_cast<double>(values.size()));
  }
  if (mix.empty()) throw std::invalid_argument("no replication of the what-if reports " + figure);
  std::stable_sort(mix.begin(), mix.end());
  double total = 0, mean = 0;
  for (const auto& [v, w] : mix) {
    total += w;
    mean += v * w;
  }
  Prediction out;
  out.what_if = what_if;
  out.figure = figure;
  out.replications = so.replications;
  out.mean = mean / total;
  // The weighted quantile: the first value whose cumulative weight reaches q.
  auto quantile = [&](double q) {
    double cumulative = 0;
    for (const auto& [v, w] : mix) {
      cumulative += w / total;
      if (cumulative >= q - 1e-12) return v;
    }
    return mix.back().first;
  };
  out.lo = quantile(0.025);
  out.median = quantile(0.5);
  out.hi = quantile(0.975);
  return out;
}

namespace {

nlohmann::ordered_json point_json(const CalibrationPoint& p) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& s : p.settings) j[s.path] = s.value;
  return j;
}

double tidy(double x) { return std::round(x * 1e6) / 1e6; }

}  // namespace

std::string calibration_json(const CalibrationResult& r, int indent, const Prediction* prediction) {
  nlohmann::ordered_json j;
  j["schema"] = "drsim.calibration/1";
  j["model"] = r.model;
  j["seed"] = r.seed;
  j["replications"] = r.replications;
  j["method"] = "likelihood on a grid from replications: product Gaussian kernel density (Silverman bandwidth per point "
                "and code) of each failing code's share over a point's replications, read at the observed shares; "
                "uniform prior over the grid";
  nlohmann::ordered_json obs;
  obs["source"] = r.observed.source;
  obs["format"] = r.observed.format;
  obs["calls"] = r.observed.total();
  nlohmann::ordered_json codes = nlohmann::ordered_json::object();
  for (const auto& [c, n] : r.observed.codes) codes[std::to_string(c)] = n;
  obs["codes"] = codes;
  nlohmann::ordered_json pct = nlohmann::ordered_json::object();
  for (const auto& [c, v] : r.observed_pct) pct[std::to_string(c)] = tidy(v);
  obs["pct"] = pct;
  j["observed"] = obs;
  nlohmann::ordered_json post = nlohmann::ordered_json::array();
  for (const auto& p : r.points) {
    nlohmann::ordered_json e;
    e["point"] = point_json(p);
    e["probability"] = tidy(p.probability);
    e["log_likelihood"] = std::isfinite(p.log_likelihood) ? nlohmann::ordered_json(tidy(p.log_likelihood)) : nullptr;
    nlohmann::ordered_json sim = nlohmann::ordered_json::object();
    for (const auto& [c, ci] : p.code_pct)
      sim[std::to_string(c)] = {{"mean", tidy(ci.mean)}, {"ci95", {tidy(ci.lo), tidy(ci.hi)}}};
    e["simulated_pct"] = sim;
    nlohmann::ordered_json bw = nlohmann::ordered_json::object();
    for (const auto& [c, v] : p.bandwidth_pct) bw[std::to_string(c)] = tidy(v);
    e["bandwidth_pct"] = bw;
    post.push_back(e);
  }
  j["posterior"] = post;
  nlohmann::ordered_json set = nlohmann::ordered_json::array();
  for (std::size_t i : r.credible_set) set.push_back(point_json(r.points[i]));
  j["credible_set"] = set;
  j["credible_level"] = r.level;
  j["map"] = point_json(r.points[r.map]);
  if (prediction) {
    nlohmann::ordered_json what = nlohmann::ordered_json::object();
    for (const auto& w : prediction->what_if) what[w.path] = w.value;
    j["prediction"] = {{"what_if", what},
                       {"figure", prediction->figure},
                       {"replications_per_point", prediction->replications},
                       {"mean", tidy(prediction->mean)},
                       {"median", tidy(prediction->median)},
                       {"interval95", {tidy(prediction->lo), tidy(prediction->hi)}}};
  }
  j["warnings"] = r.warnings;
  return j.dump(indent);
}

std::string calibration_table(const CalibrationResult& r, const Prediction* prediction) {
  std::ostringstream o;
  o << "== drsim calibrate: " << r.model << ", " << r.points.size() << " points x " << r.replications
    << " replications (seed " << r.seed << ")\n";
  o << "observed (" << r.observed.source << ", " << r.observed.format << "): " << r.observed.total() << " calls";
  for (const auto& [c, v] : r.observed_pct) {
    char b[64];
    std::snprintf(b, sizeof b, ", code %d %.2f %%", c, v);
    o << b;
  }
  o << "\n\nposterior (uniform prior over the grid), most probable first; * = in the " << r.level * 100 << " % credible set\n";
  std::vector<std::size_t> order(r.points.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return r.points[a].probability > r.points[b].probability; });
  const std::set<std::size_t> in_set(r.credible_set.begin(), r.credible_set.end());
  // Columns: each parameter, the probability, each code's simulated share.
  std::vector<std::size_t> width;
  for (const auto& p : r.parameters) width.push_back(std::max<std::size_t>(p.size(), 8));
  o << "  ";
  for (std::size_t i = 0; i < r.parameters.size(); ++i) {
    char b[256];
    std::snprintf(b, sizeof b, "%-*s  ", static_cast<int>(width[i]), r.parameters[i].c_str());
    o << b;
  }
  o << "probability";
  for (const auto& [c, v] : r.observed_pct) o << "   code " << c << " % simulated [95 % interval]";
  o << "\n";
  for (std::size_t i : order) {
    const auto& p = r.points[i];
    o << (in_set.count(i) ? "* " : "  ");
    for (std::size_t k = 0; k < r.parameters.size(); ++k) {
      std::string v;
      for (const auto& s : p.settings)
        if (s.path == r.parameters[k]) v = s.value;
      char b[256];
      std::snprintf(b, sizeof b, "%-*s  ", static_cast<int>(width[k]), v.c_str());
      o << b;
    }
    char b[64];
    std::snprintf(b, sizeof b, "%11.4f", p.probability);
    o << b;
    for (const auto& [c, v] : r.observed_pct) {
      auto it = p.code_pct.find(c);
      const ConfidenceInterval ci = it == p.code_pct.end() ? ConfidenceInterval{} : it->second;
      char cell[96];
      std::snprintf(cell, sizeof cell, "   %8.2f [%.2f, %.2f]", ci.mean, ci.lo, ci.hi);
      o << cell;
    }
    o << "\n";
  }
  o << "\nmost probable:";
  for (const auto& s : r.points[r.map].settings) o << " " << s.path << "=" << s.value;
  o << "\n";
  if (prediction) {
    o << "\nwhat if";
    for (const auto& w : prediction->what_if) o << " " << w.path << "=" << w.value;
    char line[256];
    std::snprintf(line, sizeof line,
                  ": %s median %.3f, 95 %% predictive interval [%.3f, %.3f], mean %.3f\n  (the change at each of the %zu "
                  "credible points, %d replications each, weighted by the posterior)\n",
                  prediction->figure.c_str(), prediction->median, prediction->lo, prediction->hi, prediction->mean,
                  r.credible_set.size(), prediction->replications);
    o << line;
  }
  for (const auto& w : r.warnings) o << "warning: " << w << "\n";
  return o.str();
}

}  // namespace drsim
