// fortio's text and JSON, as `fortio load` writes them, from replication 0's
// FortioCalls (include/drsim/model/fortio_stats.hpp). The formats follow
// fortio's source (periodic/periodic.go, stats/stats.go, fhttp/httprunner.go,
// cli/fortio_main.go); Go's number and duration printing is reproduced here
// because C's differs (%g without a precision, JSON floats, time.Duration).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "drsim/fortio_text.hpp"
#include "drsim/run.hpp"
#include "drsim/version.hpp"

namespace drsim {

namespace {
std::string cfmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

/// `whole.frac` with `digits` fractional digits, trailing zeros dropped.
std::string decimal(std::int64_t n, int digits) {
  std::int64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string out = std::to_string(n / scale);
  std::int64_t frac = n % scale;
  if (frac == 0) return out;
  std::string f = std::to_string(frac);
  f.insert(0, static_cast<std::size_t>(digits) - f.size(), '0');
  while (!f.empty() && f.back() == '0') f.pop_back();
  return out + "." + f;
}
}  // namespace

namespace fortio {

/// Go's %g without a precision: the shortest digits that read back as the
/// same double, in exponent form when the exponent is < -4 or >= 6.
std::string go_g(double v) {
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char sci[64], fixed[512];
  auto r1 = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  const std::string s(sci, r1.ptr);
  const int exp = std::stoi(s.substr(s.find('e') + 1));
  if (exp < -4 || exp >= 6) return s;
  auto r2 = std::to_chars(fixed, fixed + sizeof fixed, v, std::chars_format::fixed);
  return std::string(fixed, r2.ptr);
}

/// Go's encoding/json float64: shortest digits, fixed notation unless
/// |v| < 1e-6 or >= 1e21, where the exponent loses its leading zero (1e-7).
std::string go_json(double v) {
  if (!std::isfinite(v)) return "0";  // Go refuses to marshal these; fortio never produces them
  const double a = std::fabs(v);
  char buf[512];
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    std::string s(buf, r.ptr);
    const auto e = s.find('e');
    if (s.size() - e == 4 && s[e + 2] == '0') s.erase(e + 2, 1);  // e-07 -> e-7
    return s;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

/// Go's time.Duration.String(): "5m0s", "5.059691387s", "1h0m0s", "1.5ms", "250µs".
std::string go_duration(std::int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  std::uint64_t u = ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  constexpr std::uint64_t kSec = 1'000'000'000;
  if (u < kSec) {
    if (u < 1'000) return sign + std::to_string(u) + "ns";
    if (u < 1'000'000) return sign + decimal(static_cast<std::int64_t>(u), 3) + "\xC2\xB5s";
    return sign + decimal(static_cast<std::int64_t>(u), 6) + "ms";
  }
  const std::uint64_t h = u / (3600 * kSec), m = u / (60 * kSec) % 60;
  const std::uint64_t rest = u % (60 * kSec);
  std::string out = sign;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  return out + decimal(static_cast<std::int64_t>(rest), 9) + "s";
}

/// fortio's HistogramData.Print.
std::string histogram_text(const std::string& msg, const FortioHistogramData& d) {
  if (d.data.empty()) return msg + " : no data\n";
  std::string out = msg + " : count " + std::to_string(d.count) + " avg " + cfmt("%.8g", d.avg) + " +/- " +
                    cfmt("%.4g", d.stddev) + " min " + go_g(d.min) + " max " + go_g(d.max) + " sum " +
                    cfmt("%.9g", d.sum) + "\n";
  out += "# range, mid point, percentile, count\n";
  for (std::size_t i = 0; i < d.data.size(); ++i) {
    const auto& b = d.data[i];
    char line[200];
    std::snprintf(line, sizeof line, "%s %.6g <= %.6g , %.6g , %.2f, %lld\n", i == 0 ? ">=" : ">", b.start, b.end,
                  (b.start + b.end) / 2., b.percent, static_cast<long long>(b.count));
    out += line;
  }
  for (const auto& [p, v] : d.percentiles) out += "# target " + go_g(p) + "% " + cfmt("%.6g", v) + "\n";
  return out;
}

}  // namespace fortio

using fortio::go_duration;
using fortio::go_g;
using fortio::go_json;
using fortio::histogram_text;

namespace {

std::string quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

/// fortio's Counter.Print.
std::string counter_line(const std::string& msg, const FortioCounter& c) {
  return msg + " : count " + std::to_string(c.count) + " avg " + cfmt("%.8g", c.avg()) + " +/- " +
         cfmt("%.4g", c.stddev()) + " min " + go_g(c.min()) + " max " + go_g(c.max()) + " sum " + cfmt("%.9g", c.sum) + "\n";
}

/// fortio's HistogramData as JSON (MarshalIndent with two spaces at `depth`).
std::string histogram_json(const FortioHistogramData& d, int depth, bool with_percentiles) {
  const std::string in(static_cast<std::size_t>(depth + 1) * 2, ' '), out(static_cast<std::size_t>(depth) * 2, ' ');
  std::ostringstream o;
  o << "{\n" << in << "\"Count\": " << d.count << ",\n" << in << "\"Min\": " << go_json(d.min) << ",\n"
    << in << "\"Max\": " << go_json(d.max) << ",\n" << in << "\"Sum\": " << go_json(d.sum) << ",\n"
    << in << "\"Avg\": " << go_json(d.avg) << ",\n" << in << "\"StdDev\": " << go_json(d.stddev) << ",\n"
    << in << "\"Data\": ";
  if (d.data.empty()) {
    o << "null";
  } else {
    const std::string b2 = in + "  ", b3 = in + "    ";
    o << "[\n";
    for (std::size_t i = 0; i < d.data.size(); ++i) {
      const auto& b = d.data[i];
      o << b2 << "{\n" << b3 << "\"Start\": " << go_json(b.start) << ",\n" << b3 << "\"End\": " << go_json(b.end)
        << ",\n" << b3 << "\"Percent\": " << go_json(b.percent) << ",\n" << b3 << "\"Count\": " << b.count << "\n"
        << b2 << "}" << (i + 1 < d.data.size() ? "," : "") << "\n";
    }
    o << in << "]";
  }
  if (with_percentiles && !d.percentiles.empty()) {
    const std::string b2 = in + "  ", b3 = in + "    ";
    o << ",\n" << in << "\"Percentiles\": [\n";
    for (std::size_t i = 0; i < d.percentiles.size(); ++i)
      o << b2 << "{\n" << b3 << "\"Percentile\": " << go_json(d.percentiles[i].first) << ",\n" << b3
        << "\"Value\": " << go_json(d.percentiles[i].second) << "\n" << b2 << "}"
        << (i + 1 < d.percentiles.size() ? "," : "") << "\n";
    o << in << "]";
  }
  o << "\n" << out << "}";
  return o.str();
}

/// fortio's -p default.
const std::vector<double> kPercentiles = {50, 75, 90, 99, 99.9};

/// Sockets (connects) of every address over every client, and each client's.
struct SocketTally {
  std::vector<std::int64_t> by_address;
  std::vector<std::int64_t> by_client;
  std::int64_t total = 0;
};

SocketTally tally_sockets(const FortioCalls& f, std::size_t addresses) {
  SocketTally t;
  t.by_address.assign(addresses, 0);
  for (const auto& c : f.clients()) {
    std::int64_t n = 0;
    for (std::size_t a = 0; a < c.sockets_by_address.size(); ++a) {
      if (a >= t.by_address.size()) t.by_address.resize(a + 1, 0);
      t.by_address[a] += c.sockets_by_address[a];
      n += c.sockets_by_address[a];
    }
    t.by_client.push_back(n);
    t.total += n;
  }
  return t;
}

std::string address_key(const FortioSettings& f, std::size_t a) {
  return (a < f.addresses.size() ? f.addresses[a] : "address-" + std::to_string(a)) + ":80";
}

double elapsed_s(const Summary& s) { return s.duration_s; }

/// fortio's "Code %3d : %d (%.1f %%)" lines, the percent of all calls.
std::string code_lines(const Summary& s, std::int64_t calls) {
  std::string out;
  for (const auto& [code, k] : s.by_code) {
    char line[96];
    std::snprintf(line, sizeof line, "Code %3d : %llu (%.1f %%)\n", code, static_cast<unsigned long long>(k),
                  100.0 * static_cast<double>(k) / static_cast<double>(calls));
    out += line;
  }
  return out;
}

/// fortio's last line: calls, warmup calls (-c, none with -n), average in ms, qps.
std::string all_done_line(const Summary& s, const FortioSettings& f, const FortioCalls& calls) {
  return "All done " + std::to_string(calls.durations().counter().count) + " calls (plus " +
         std::to_string(f.exactly > 0 ? 0 : f.threads) + " warmup) " +
         cfmt("%.3f", 1000.0 * calls.durations().counter().avg()) + " ms avg, " + cfmt("%.1f", s.actual_qps) + " qps\n";
}

}  // namespace

std::string Result::fortio_summary() const {
  const Summary& s = summary_;
  const FortioSettings& f = fortio_;
  const FortioCalls& calls = metrics_.fortio();
  std::ostringstream o;
  // drsim's own lines first, as comments: which replication follows and,
  // with several, the means and intervals over them.
  if (figures_.size() > 1) {
    std::istringstream rep(replications_report());
    for (std::string line; std::getline(rep, line);)
      if (!line.empty()) o << "# " << line << "\n";
  } else {
    o << "# drsim " << model_ << ": replication 0 of 1 (seed " << seed_ << ")\n";
  }
  const std::string dur = go_duration(f.duration.ns());
  const std::int64_t total = f.calls_per_thread * f.threads;
  o << "Fortio drsim-" << version() << " running at " << go_g(f.qps) << " queries per second, 1->1 procs";
  if (f.exactly > 0) o << ", for " << f.exactly << " calls: " << f.url << "\n";
  else o << ", for " << dur << ": " << f.url << "\n";
  if (f.exactly > 0)
    o << "Starting at " << go_g(f.qps) << " qps with " << f.threads << " thread(s) [gomax 1] : exactly " << f.exactly
      << ", " << f.calls_per_thread << " calls each (total " << total << " + " << (f.exactly - total) << ")\n";
  else
    o << "Starting at " << go_g(f.qps) << " qps with " << f.threads << " thread(s) [gomax 1] for " << dur << " : "
      << f.calls_per_thread << " calls each (total " << total << ")\n";
  const auto count = calls.durations().counter().count;
  const std::int64_t elapsed_ns = std::llround(elapsed_s(s) * 1e9);
  o << "Ended after " << go_duration(elapsed_ns) << " : " << count << " calls. qps="
    << cfmt("%.5g", s.actual_qps) << "\n";
  // fortio prints the sleeps' histogram and a warning instead when more than
  // 5 % of them fell behind by a millisecond or more; drsim's late calls
  // start as soon as the previous one ends, a zero sleep, so never.
  if (f.qps > 0) o << counter_line("Sleep times", calls.sleeps());
  o << histogram_text("Aggregated Function Time", calls.durations().export_data(kPercentiles));
  o << histogram_text("Error cases", calls.errors().export_data(kPercentiles));
  const SocketTally sockets = tally_sockets(calls, f.addresses.size());
  o << "# Socket and IP used for each connection:\n";
  for (std::size_t c = 0; c < calls.clients().size(); ++c) {
    const auto& pc = calls.clients()[c];
    std::vector<std::size_t> used;
    for (std::size_t a = 0; a < pc.sockets_by_address.size(); ++a)
      if (pc.sockets_by_address[a]) used.push_back(a);
    std::string resolved;
    if (used.size() == 1) {
      resolved = address_key(f, used[0]);
    } else {
      resolved = "[";
      for (std::size_t i = 0; i < used.size(); ++i)
        resolved += (i ? ", " : "") + address_key(f, used[i]) + " (" + std::to_string(pc.sockets_by_address[used[i]]) + ")";
      resolved += "]";
    }
    char head[64];
    std::snprintf(head, sizeof head, "[%zu] %3lld socket used, resolved to ", c, static_cast<long long>(sockets.by_client[c]));
    const std::string timing = counter_line(", connection timing", pc.connect_time);
    o << head << resolved << timing;
  }
  o << histogram_text("Connection time histogram (s)", calls.connections().export_data(kPercentiles));
  o << "Sockets used: " << sockets.total << " (for perfect keepalive, would be " << f.threads << ")\n";
  o << "Uniform: false, Jitter: " << (f.jitter ? "true" : "false") << ", Catchup allowed: " << (f.catchup ? "true" : "false")
    << "\n";
  o << "IP addresses distribution:\n";
  std::vector<std::size_t> order;
  for (std::size_t a = 0; a < sockets.by_address.size(); ++a)
    if (sockets.by_address[a]) order.push_back(a);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return sockets.by_address[x] > sockets.by_address[y]; });
  for (std::size_t a : order) o << address_key(f, a) << ": " << sockets.by_address[a] << "\n";
  o << code_lines(s, count) << all_done_line(s, f, calls);
  return o.str();
}

std::string Result::fortio_digest() const {
  const FortioCalls& calls = metrics_.fortio();
  const FortioHistogramData d = calls.durations().export_data(kPercentiles);
  std::string out = counter_line("Aggregated Function Time", calls.durations().counter());
  for (const auto& [p, v] : d.percentiles) out += "# target " + go_g(p) + "% " + cfmt("%.6g", v) + "\n";
  return out + code_lines(summary_, calls.durations().counter().count) + all_done_line(summary_, fortio_, calls);
}

std::string Result::fortio_json() const {
  const Summary& s = summary_;
  const FortioSettings& f = fortio_;
  const FortioCalls& calls = metrics_.fortio();
  const SocketTally sockets = tally_sockets(calls, f.addresses.size());
  const auto b = [](bool x) { return x ? "true" : "false"; };
  std::ostringstream o;
  o << "{\n";
  o << "  \"RunType\": \"HTTP\",\n";
  o << "  \"Labels\": " << quote("drsim " + model_ + " replication 0 of " + std::to_string(figures_.size()) + " (seed " +
                                 std::to_string(seed_) + ")")
    << ",\n";
  // Simulated time starts at the Unix epoch; the load's first call is the start.
  const std::int64_t start_ns = metrics_.first_start().ns();
  const std::int64_t sec = start_ns / 1'000'000'000;
  char start[64];
  std::snprintf(start, sizeof start, "1970-01-01T%02lld:%02lld:%02lld", static_cast<long long>(sec / 3600),
                static_cast<long long>(sec / 60 % 60), static_cast<long long>(sec % 60));
  const std::string frac = decimal(start_ns % 1'000'000'000 + 1'000'000'000, 9);  // "1" or "1.xxx"
  o << "  \"StartTime\": \"" << start << frac.substr(1) << "Z\",\n";
  o << "  \"RequestedQPS\": " << quote(f.qps > 0 ? cfmt("%.9g", f.qps) : "max") << ",\n";
  o << "  \"RequestedDuration\": "
    << quote(f.exactly > 0 ? "exactly " + std::to_string(f.exactly) + " calls" : go_duration(f.duration.ns())) << ",\n";
  o << "  \"ActualQPS\": " << go_json(s.actual_qps) << ",\n";
  o << "  \"ActualDuration\": " << std::llround(elapsed_s(s) * 1e9) << ",\n";
  o << "  \"NumThreads\": " << f.threads << ",\n";
  o << "  \"Version\": " << quote(std::string("drsim-") + version()) << ",\n";
  o << "  \"DurationHistogram\": " << histogram_json(calls.durations().export_data(kPercentiles), 1, true) << ",\n";
  o << "  \"ErrorsDurationHistogram\": " << histogram_json(calls.errors().export_data(kPercentiles), 1, true) << ",\n";
  o << "  \"Exactly\": " << f.exactly << ",\n";
  o << "  \"Jitter\": " << b(f.jitter) << ",\n";
  o << "  \"Uniform\": false,\n";
  o << "  \"NoCatchUp\": " << b(!f.catchup) << ",\n";
  o << "  \"RunID\": 0,\n";
  o << "  \"AccessLoggerInfo\": \"\",\n";
  o << "  \"ID\": \"\",\n";
  o << "  \"RetCodes\": {";
  {
    // Go writes a map's keys sorted as strings.
    std::vector<std::pair<std::string, std::uint64_t>> codes;
    for (const auto& [code, k] : s.by_code) codes.emplace_back(std::to_string(code), k);
    std::sort(codes.begin(), codes.end());
    for (std::size_t i = 0; i < codes.size(); ++i) o << (i ? "," : "") << "\n    " << quote(codes[i].first) << ": " << codes[i].second;
    o << (codes.empty() ? "}" : "\n  }") << ",\n";
  }
  o << "  \"IPCountMap\": {";
  {
    // Go writes map keys sorted.
    std::vector<std::pair<std::string, std::int64_t>> ips;
    for (std::size_t a = 0; a < sockets.by_address.size(); ++a)
      if (sockets.by_address[a]) ips.emplace_back(address_key(f, a), sockets.by_address[a]);
    std::sort(ips.begin(), ips.end());
    for (std::size_t i = 0; i < ips.size(); ++i) o << (i ? "," : "") << "\n    " << quote(ips[i].first) << ": " << ips[i].second;
    o << (ips.empty() ? "}" : "\n  }") << ",\n";
  }
  o << "  \"Insecure\": false,\n  \"MTLS\": false,\n  \"CACert\": \"\",\n  \"Cert\": \"\",\n  \"Key\": \"\",\n"
    << "  \"UnixDomainSocket\": \"\",\n";
  o << "  \"URL\": " << quote(f.url) << ",\n";
  o << "  \"NumConnections\": 1,\n  \"Compression\": false,\n  \"DisableFastClient\": false,\n  \"HTTP10\": false,\n"
    << "  \"H2\": false,\n";
  o << "  \"DisableKeepAlive\": " << b(!f.keepalive) << ",\n";
  o << "  \"AllowHalfClose\": false,\n  \"FollowRedirects\": false,\n  \"Resolve\": \"\",\n";
  o << "  \"HTTPReqTimeOut\": " << f.timeout.ns() << ",\n";
  o << "  \"UserCredentials\": \"\",\n  \"ContentType\": \"\",\n  \"Payload\": null,\n  \"MethodOverride\": \"\",\n"
    << "  \"LogErrors\": false,\n  \"SequentialWarmup\": false,\n  \"ConnReuseRange\": [\n    0,\n    0\n  ],\n"
    << "  \"NoResolveEachConn\": false,\n  \"Offset\": 0,\n  \"Resolution\": 0.001,\n";
  // Response sizes are not modelled: null rather than invented numbers.
  o << "  \"Sizes\": null,\n  \"HeaderSizes\": null,\n";
  o << "  \"Sockets\": [";
  for (std::size_t i = 0; i < sockets.by_client.size(); ++i) o << (i ? "," : "") << "\n    " << sockets.by_client[i];
  o << (sockets.by_client.empty() ? "]" : "\n  ]") << ",\n";
  o << "  \"SocketCount\": " << sockets.total << ",\n";
  o << "  \"ConnectionStats\": " << histogram_json(calls.connections().export_data(kPercentiles), 1, true) << ",\n";
  o << "  \"AbortOn\": 0,\n";
  // drsim's own key, which fortio readers ignore: what this object is and the replications.
  o << "  \"drsim\": {\n    \"model\": " << quote(model_) << ",\n    \"seed\": " << seed_ << ",\n    \"replication\": 0,\n"
    << "    \"replications\": " << figures_.size() << ",\n    \"figures\": {";
  {
    std::size_t i = 0;
    for (const auto& [name, ci] : aggregates_)
      o << (i++ ? "," : "") << "\n      " << quote(name) << ": {\"mean\": " << go_json(ci.mean) << ", \"ci95\": ["
        << go_json(ci.lo) << ", " << go_json(ci.hi) << "], \"n\": " << ci.n << "}";
    o << (aggregates_.empty() ? "}" : "\n    }") << "\n  }\n";
  }
  o << "}";
  return o.str();
}

}  // namespace drsim
