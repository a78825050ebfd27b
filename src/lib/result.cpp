// Result outputs: the drsim.result/1 JSON, fortio's text and JSON shapes,
// the human report, CSV series and events, and atomic writing to a folder.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "drsim/run.hpp"

namespace drsim {

using nlohmann::ordered_json;

namespace {

/// Rounds to 6 decimal places so JSON output is stable and readable.
double tidy(double x) { return std::round(x * 1e6) / 1e6; }

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

ordered_json optional_number(const std::optional<double>& v) { return v ? ordered_json(tidy(*v)) : ordered_json(nullptr); }

}  // namespace

namespace {
/// summary.drain_curve: the ladder's points, or null when no answer change removed an address.
ordered_json drain_curve_json(const RunMetrics& m) {
  if (!m.drain.started()) return nullptr;
  ordered_json curve = ordered_json::array();
  for (const auto& p : m.drain.curve())
    curve.push_back({{"t_s", tidy(p.t_s)}, {"requests_old", tidy(p.requests_old)}, {"clients_old", tidy(p.clients_old)}});
  return curve;
}
}  // namespace

std::string Result::drain_csv() const {
  std::ostringstream o;
  o << "t_s,requests,requests_old,clients_old\n";
  const auto& d = metrics_.drain;
  for (std::size_t s = 0; d.started() && s < d.seconds(); ++s) {
    const auto p = d.at(s);
    o << s << "," << p.requests << "," << fmt("%.6f", p.requests_old) << "," << fmt("%.6f", p.clients_old) << "\n";
  }
  return o.str();
}

std::string Result::to_json(int indent) const {
  ordered_json j;
  j["schema"] = "drsim.result/1";
  j["model"] = model_;
  j["seed"] = seed_;
  const Summary& s = summary_;
  ordered_json sum;
  sum["requests"] = s.requests;
  sum["ok"] = s.ok;
  sum["failed"] = s.failed;
  sum["in_flight"] = s.in_flight;
  sum["failed_pct"] = tidy(s.headline.failed_pct);
  ordered_json codes = ordered_json::object();
  for (const auto& [code, n] : s.by_code) codes[std::to_string(code)] = n;
  sum["by_code"] = codes;
  ordered_json causes = ordered_json::object();
  for (const auto& [cause, n] : s.by_cause)
    if (cause != "ok") causes[cause] = n;
  sum["by_cause"] = causes;
  if (s.ejections) sum["ejections"] = *s.ejections;
  if (s.retries) sum["retries"] = *s.retries;
  sum["attempts"] = s.attempts;
  sum["fault_at_s"] = optional_number(s.headline.fault_at_s);
  sum["time_to_detect_s"] = optional_number(s.headline.time_to_detect_s);
  sum["time_to_answer_change_s"] = optional_number(s.headline.time_to_answer_change_s);
  sum["time_to_drain_s"] = optional_number(s.headline.time_to_drain_s);
  sum["pre_fault_failed"] = s.pre_fault_failed;
  if (s.headline.failure_window_start_s && s.headline.failure_window_end_s)
    sum["failure_window_s"] = {tidy(*s.headline.failure_window_start_s), tidy(*s.headline.failure_window_end_s)};
  else
    sum["failure_window_s"] = nullptr;
  ordered_json share = ordered_json::object();
  for (std::size_t r = 0; r < regions_.size() && r < s.headline.ok_share_by_region.size(); ++r)
    share[regions_[r]] = tidy(s.headline.ok_share_by_region[r]);
  sum["ok_share_by_region"] = share;
  sum["latency_s"] = {{"avg", tidy(s.latency_avg_s)}, {"p50", tidy(s.latency_p50_s)}, {"p90", tidy(s.latency_p90_s)},
                      {"p99", tidy(s.latency_p99_s)}, {"p99.9", tidy(s.latency_p999_s)}, {"max", tidy(s.latency_max_s)}};
  sum["actual_qps"] = tidy(s.actual_qps);
  sum["throttled_pct"] = tidy(s.headline.throttled_pct);
  sum["peak_utilization_pct"] = optional_number(s.headline.peak_utilization_pct);
  sum["time_to_stable_s"] = optional_number(s.headline.time_to_stable_s);
  ordered_json alerts = ordered_json::array();
  for (const auto& a : metrics_.alerts)
    alerts.push_back({{"name", a.name}, {"fired_at_s", tidy(a.fired_at.seconds_f())},
                      {"resolved_at_s", a.resolved_at ? ordered_json(tidy(a.resolved_at->seconds_f())) : ordered_json(nullptr)}});
  sum["alerts"] = alerts;
  sum["drain_curve"] = drain_curve_json(metrics_);
  j["summary"] = sum;
  if (figures_.size() > 1) {
    ordered_json reps;
    reps["n"] = figures_.size();
    for (const auto& [name, ci] : aggregates_)
      reps[name] = {{"mean", tidy(ci.mean)}, {"ci95", {tidy(ci.lo), tidy(ci.hi)}}, {"n", ci.n}};
    j["replications"] = reps;
  }
  ordered_json as = ordered_json::object();
  for (const auto& a : assumptions_) as[a.key] = a.value;
  j["assumptions"] = as;
  j["notes"] = notes_;
  j["warnings"] = warnings_;
  return j.dump(indent);
}

std::string Result::replications_report() const {
  if (figures_.size() < 2) return {};
  std::ostringstream o;
  o << "== drsim: " << model_ << ", " << figures_.size() << " replications (seed " << seed_
    << "): mean [95 % Student-t interval, clipped to the figure's range]\n";
  for (const char* k : {"failed_pct", "time_to_detect_s", "failure_window_s", "time_to_drain_s", "throttled_pct",
                        "time_to_stable_s"}) {
    auto it = aggregates_.find(k);
    if (it == aggregates_.end() || (std::string(k) == "throttled_pct" && it->second.hi == 0)) continue;
    char line[160];
    std::snprintf(line, sizeof line, "  %-18s %10.3f [%.3f, %.3f]%s\n", k, it->second.mean, it->second.lo, it->second.hi,
                  it->second.n < figures_.size() ? (" over " + std::to_string(it->second.n) + " replications").c_str() : "");
    o << line;
  }
  o << "\n== replication 0 of " << figures_.size() << ", one possible drill:\n";
  return o.str();
}

std::string Result::report() const {
  const Summary& s = summary_;
  const Headline& h = s.headline;
  std::ostringstream o;
  o << "\n== drsim: " << model_ << " (seed " << seed_ << ", replication 0 of " << figures_.size() << ")\n";
  o << "requests " << s.requests << ", ok " << s.ok << ", failed " << s.failed << " (" << fmt("%.2f", h.failed_pct)
    << " %), in flight " << s.in_flight << "\n";
  for (const auto& [cause, n] : s.by_cause)
    if (cause != "ok" && n) o << "  " << cause << ": " << n << "\n";
  if (h.fault_at_s) o << "fault at             " << fmt("%.2f", *h.fault_at_s) << " s\n";
  if (h.time_to_detect_s) o << "time to detect       " << fmt("%.2f", *h.time_to_detect_s) << " s (GTM judged the address unhealthy)\n";
  if (h.time_to_answer_change_s) o << "answer changed after " << fmt("%.2f", *h.time_to_answer_change_s) << " s\n";
  if (h.failure_window_start_s && h.failure_window_end_s)
    o << "failure window       " << fmt("%.2f", *h.failure_window_start_s) << " s .. " << fmt("%.2f", *h.failure_window_end_s)
      << " s (" << fmt("%.1f", *h.failure_window_end_s - *h.failure_window_start_s) << " s)\n";
  if (s.ejections) o << "mesh                 " << *s.ejections << " ejections, " << *s.retries << " retries\n";
  if (s.pre_fault_failed) o << "before the fault     " << s.pre_fault_failed << " failed (not in the window above)\n";
  if (h.time_to_drain_s) o << "time to drain        " << fmt("%.1f", *h.time_to_drain_s) << " s (99 % of new requests on healthy gateways)\n";
  if (const auto curve = metrics_.drain.curve(); !curve.empty()) {
    o << "drain curve          after the answer changed at " << fmt("%.2f", metrics_.drain.changed_at()->seconds_f())
      << " s, % still sent to a removed address (drain.csv: every second)\n";
    std::string t = "  seconds after     ", req = "  requests in that s", cli = "  clients (latest)  ";
    for (const auto& p : curve) {
      t += fmt("%7.0f", p.t_s);
      req += fmt("%7.2f", 100 * p.requests_old);
      cli += fmt("%7.2f", 100 * p.clients_old);
    }
    o << t << "\n" << req << "\n" << cli << "\n";
  }
  if (s.by_cause.count("http_429") && s.by_cause.at("http_429")) o << "throttled (429)      " << fmt("%.2f", h.throttled_pct) << " %\n";
  if (h.peak_utilization_pct) o << "peak gateway CPU     " << fmt("%.0f", *h.peak_utilization_pct) << " % of request\n";
  if (metrics_.has_capacity_model()) {
    if (h.time_to_stable_s) o << "time to stable       " << fmt("%.0f", *h.time_to_stable_s) << " s after the fault (no 429/503 and the HPA content with the ready pods for 60 s)\n";
    else o << "time to stable       not reached before the end of the run\n";
  }
  for (const auto& a : metrics_.alerts)
    o << "alert " << a.name << " fired at " << fmt("%.0f", a.fired_at.seconds_f()) << " s"
      << (a.resolved_at ? ", resolved at " + fmt("%.0f", a.resolved_at->seconds_f()) + " s" : std::string(", still firing")) << "\n";
  o << "ok share by region  ";
  for (std::size_t r = 0; r < regions_.size() && r < h.ok_share_by_region.size(); ++r)
    o << " " << regions_[r] << " " << fmt("%.1f", 100 * h.ok_share_by_region[r]) << " %";
  o << "\n";
  o << "assumptions:\n";
  for (const auto& a : assumptions_) o << "  " << a.key << ": " << a.value << "\n";
  for (const auto& w : warnings_) o << "warning: " << w << "\n";
  return o.str();
}

std::string Result::series_csv() const {
  std::ostringstream o;
  o << "second,region,sent";
  for (std::size_t c = 0; c < metrics_.cause_columns(); ++c) o << "," << cause_name(static_cast<Cause>(c));
  o << ",to_faulty,latency_p50_s,latency_p99_s,replicas_desired,replicas_ready,cpu_utilization_pct,busy_share,queue_length\n";
  const RunMetrics& m = metrics_;
  for (std::size_t s = 0; s < m.seconds(); ++s) {
    for (std::size_t r = 0; r <= m.regions(); ++r) {
      const SeriesCell& c = m.at(s, r);
      if (r == m.regions() && c.sent == 0) continue;  // the "no address" row only when used
      o << s << "," << (r < regions_.size() ? regions_[r] : std::string("none")) << "," << c.sent;
      for (std::size_t k = 0; k < m.cause_columns(); ++k) o << "," << c.by_cause[k];
      o << "," << c.to_faulty;
      const auto* h = m.latency_at(s, r);
      if (h && h->count())
        o << "," << fmt("%.6f", static_cast<double>(h->quantile_ns(0.5)) * 1e-9) << ","
          << fmt("%.6f", static_cast<double>(h->quantile_ns(0.99)) * 1e-9);
      else
        o << ",,";
      const bool cap = r < m.regions() && s < m.capacity(r).samples.size();
      if (cap) {
        const auto& d = m.capacity(r).samples[s];
        o << "," << d.desired << "," << d.ready << "," << fmt("%.2f", d.cpu_utilization_pct) << ","
          << fmt("%.4f", d.busy_share) << "," << d.queue_length;
      } else {
        o << ",,,,,";
      }
      o << "\n";
    }
  }
  return o.str();
}

std::string Result::events_csv() const {
  auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::ostringstream o;
  o << "time_s,component,event,detail\n";
  for (const auto& e : metrics_.log().events())
    o << fmt("%.6f", e.time.seconds_f()) << "," << quote(e.component) << "," << e.kind << "," << quote(e.detail) << "\n";
  return o.str();
}

void prepare_output_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  if (dir.empty()) throw std::invalid_argument("--out needs a directory, found an empty name");
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw std::invalid_argument("--out " + dir + " is a file, not a directory");
  fs::create_directories(dir, ec);
  if (ec) throw std::invalid_argument("--out " + dir + ": cannot create the directory (" + ec.message() + ")");
  const fs::path probe = fs::path(dir) / ".drsim-write-check";
  std::ofstream(probe) << "ok";
  const bool writable = fs::exists(probe, ec);
  fs::remove(probe, ec);
  if (!writable) throw std::invalid_argument("--out " + dir + ": cannot write there");
}

void Result::write(const std::string& dir) const {
  namespace fs = std::filesystem;
  prepare_output_dir(dir);
  const std::pair<const char*, std::string> files[] = {
      {"series.csv", series_csv()}, {"events.csv", events_csv()}, {"drain.csv", drain_csv()},
      {"result.json", to_json(2) + "\n"}};
  // Every file goes under a temporary name first; only when all are written
  // does the old result.json go, then the new files take their names,
  // result.json last. result.json marks a complete set: a failure at any
  // point leaves either the old set or a folder without result.json.
  std::vector<fs::path> temps;
  std::size_t renamed = 0;
  try {
    for (const auto& [name, text] : files) {
      const fs::path tmp = fs::path(dir) / (std::string(".") + name + ".tmp");
      temps.push_back(tmp);
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << text;
      out.close();
      if (!out) throw std::runtime_error("cannot write " + tmp.string() + " (disk full or no permission?)");
    }
    fs::remove(fs::path(dir) / "result.json");
    for (; renamed < temps.size(); ++renamed) fs::rename(temps[renamed], fs::path(dir) / files[renamed].first);
  } catch (...) {
    for (std::size_t i = renamed; i < temps.size(); ++i) {
      std::error_code ec;
      fs::remove(temps[i], ec);
    }
    throw;
  }
}

}  // namespace drsim
