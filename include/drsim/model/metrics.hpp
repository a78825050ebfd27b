// What a run measured: every request's outcome by cause, per-second series
// per region, the latency histogram, and the headline figures derived from
// them (failed %, failure window, time to detect, time to drain).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "drsim/core/stats.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/drain.hpp"
#include "drsim/model/event_log.hpp"
#include "drsim/model/gateway_deployment.hpp"
#include "drsim/model/outcome.hpp"

namespace drsim {

/// One second of one region: requests started in that second, by outcome.
struct SeriesCell {
  std::uint32_t sent = 0;
  std::uint32_t to_faulty = 0;  // first attempt aimed at an address under an active fault
  std::array<std::uint32_t, kCauseCount> by_cause{};
};

/// The headline figures of one run.
struct Headline {
  double failed_pct = 0;
  std::optional<double> failure_window_start_s, failure_window_end_s;
  std::optional<double> fault_at_s;
  std::optional<double> time_to_detect_s;        // fault -> GTM judges the address unhealthy
  std::optional<double> time_to_answer_change_s;  // fault -> published answer changes
  std::optional<double> time_to_drain_s;         // fault -> 99 % of new requests avoid faulty addresses for good
  std::vector<double> ok_share_by_region;        // share of ok requests served by each region
  std::optional<double> peak_utilization_pct;    // highest per-second gateway CPU, % of request
  std::optional<double> time_to_stable_s;        // fault -> CPU under target and no 429/503 for 60 s
  double throttled_pct = 0;                      // 429s over completed requests
};

/// The figures a replication reports (headline_figures in run.hpp), each
/// with its definition, for the model reference.
struct FigureDefinition {
  std::string_view name;
  std::string_view definition;
};
inline constexpr std::array<FigureDefinition, 16> kFigureDefinitions = {{
    {"requests", "requests started"},
    {"failed", "requests ended with a cause other than `ok`"},
    {"failed_pct", "100 x failed / requests ended; requests still in flight at the horizon are left out"},
    {"refused_pct", "100 x `connect_refused` / requests ended"},
    {"timeout_pct", "100 x (`connect_timeout` + `read_timeout`) / requests ended"},
    {"throttled_pct", "100 x `http_429` / requests ended"},
    {"code_503_pct", "100 x `http_503` / requests ended"},
    {"fault_at_s", "start of the earliest fault that hits a gateway address"},
    {"time_to_detect_s",
     "from `fault_at_s` to the first time at or after it that the GTM judged one of the hit addresses unhealthy "
     "(absent if never)"},
    {"time_to_answer_change_s", "from `fault_at_s` to the first change of the published answer at or after it"},
    {"time_to_drain_s",
     "let s be the last whole second at or after floor(`fault_at_s`) in which more than 1 % of the requests started "
     "had their first attempt aimed at an address under an active fault; (s + 1) - `fault_at_s`, or 0 when none"},
    {"failure_window_s",
     "start time of the last failed request - start time of the first, over the whole run and every cause; the "
     "JSON summary gives the pair [first, last]"},
    {"latency_p50_s", "median of every ended request's time from send to end (failures included), within 1/128"},
    {"latency_p99_s", "99th percentile of the same"},
    {"peak_utilization_pct",
     "capacity model only: the highest per-second gateway CPU of any region, as CPU used in the second (429s at "
     "`rejected_cpu_share`) / (ready pods x `cpu_request`) x 100"},
    {"time_to_stable_s",
     "capacity model only: from `fault_at_s` to the end of the last second in which a request ended with 429 or 503 "
     "or an HPA wanted other than its ready replicas, if 60 scanned seconds follow it; 0 when none; absent when not "
     "reached"},
}};

/// One firing of an alert rule.
struct AlertRecord {
  std::string name;
  TimePoint fired_at;
  std::optional<TimePoint> resolved_at;
};

/// A region's gateway Deployment, second by second.
struct RegionCapacitySeries {
  std::vector<DeploymentSample> samples;  // index = second
  std::optional<double> target_pct;       // the HPA's CPU target, if any
  double tolerance = 0.1;                 // the HPA's tolerance around the target
};

class RunMetrics {
 public:
  RunMetrics() = default;
  RunMetrics(std::size_t regions, Duration horizon, bool detailed = true)
      : regions_(regions), seconds_(static_cast<std::size_t>(horizon.ns() / 1'000'000'000) + 2),
        cells_(seconds_ * (regions + 1)), capacity_(regions) {
    if (detailed) per_second_latency_.resize(seconds_ * regions);
  }

  /// Called once per request when it ends. `region` == regions() for "no
  /// address" (DNS failure).
  void record(TimePoint started, TimePoint ended, std::size_t region, Cause cause, bool to_faulty) {
    ++completed_;
    if (completed_ == 1 || started < first_start_) first_start_ = started;
    if (ended > last_completion_) last_completion_ = ended;
    ++by_cause_[static_cast<std::size_t>(cause)];
    latency_.record(ended - started);
    if (!per_second_latency_.empty() && region < regions_) {
      const auto sec = std::min<std::size_t>(static_cast<std::size_t>(started.ns() / 1'000'000'000), seconds_ - 1);
      per_second_latency_[sec * regions_ + region].record(ended - started);
    }
    SeriesCell& c = cell(started, region);
    ++c.sent;
    c.to_faulty += to_faulty ? 1 : 0;
    ++c.by_cause[static_cast<std::size_t>(cause)];
    if (is_failure(cause)) {
      if (!first_failure_ || started < *first_failure_) first_failure_ = started;
      if (!last_failure_ || started > *last_failure_) last_failure_ = started;
    }
  }
  void request_started() { ++started_; }
  void attempt_made() { ++attempts_; }

  [[nodiscard]] std::uint64_t started() const { return started_; }
  [[nodiscard]] std::uint64_t completed() const { return completed_; }
  [[nodiscard]] std::uint64_t in_flight() const { return started_ - completed_; }
  [[nodiscard]] std::uint64_t attempts() const { return attempts_; }
  [[nodiscard]] std::uint64_t count(Cause c) const { return by_cause_[static_cast<std::size_t>(c)]; }
  [[nodiscard]] std::uint64_t ok() const { return count(Cause::ok); }
  [[nodiscard]] std::uint64_t failed() const { return completed_ - ok(); }
  [[nodiscard]] const LatencyHistogram& latency() const { return latency_; }
  [[nodiscard]] std::size_t regions() const { return regions_; }
  [[nodiscard]] std::size_t seconds() const { return seconds_; }
  [[nodiscard]] const SeriesCell& at(std::size_t second, std::size_t region) const {
    return cells_[second * (regions_ + 1) + region];
  }
  [[nodiscard]] std::optional<TimePoint> first_failure() const { return first_failure_; }
  [[nodiscard]] TimePoint first_start() const { return first_start_; }
  [[nodiscard]] TimePoint last_completion() const { return last_completion_; }
  [[nodiscard]] std::optional<TimePoint> last_failure() const { return last_failure_; }
  /// Latency of the requests started in one second at one region (coarse), if kept.
  [[nodiscard]] const CoarseLatencyHistogram* latency_at(std::size_t second, std::size_t region) const {
    if (per_second_latency_.empty() || region >= regions_) return nullptr;
    return &per_second_latency_[second * regions_ + region];
  }
  void add_deployment(std::size_t region, const std::vector<DeploymentSample>& samples, std::optional<double> target,
                      double tolerance = 0.1) {
    auto& c = capacity_.at(region);
    if (c.samples.size() < samples.size()) c.samples.resize(samples.size());
    for (std::size_t i = 0; i < samples.size(); ++i) {
      DeploymentSample& d = c.samples[i];
      const DeploymentSample& s = samples[i];
      // Several clusters in a region add up; utilisation is weighted by ready pods.
      const double w0 = d.ready, w1 = s.ready;
      d.cpu_utilization_pct = (w0 + w1) > 0 ? (d.cpu_utilization_pct * w0 + s.cpu_utilization_pct * w1) / (w0 + w1) : 0;
      d.busy_share = (w0 + w1) > 0 ? (d.busy_share * w0 + s.busy_share * w1) / (w0 + w1) : 0;
      d.desired += s.desired;
      d.ready += s.ready;
      d.queue_length += s.queue_length;
    }
    if (target) c.target_pct = target;
    c.tolerance = tolerance;
  }
  [[nodiscard]] const RegionCapacitySeries& capacity(std::size_t region) const { return capacity_.at(region); }
  [[nodiscard]] bool has_capacity_model() const {
    for (const auto& c : capacity_)
      if (!c.samples.empty()) return true;
    return false;
  }
  EventLog& log() { return log_; }
  [[nodiscard]] const EventLog& log() const { return log_; }

  /// Fault and detection times are filled in by the model after the run.
  std::optional<TimePoint> fault_at;
  std::optional<TimePoint> detected_at;
  std::optional<TimePoint> answer_changed_at;
  std::vector<AlertRecord> alerts;
  /// Share of traffic and clients still sent to a removed address after the answer changed.
  DrainTracker drain;

  [[nodiscard]] Headline headline() const {
    Headline h;
    h.failed_pct = completed_ ? 100.0 * static_cast<double>(failed()) / static_cast<double>(completed_) : 0.0;
    if (first_failure_) h.failure_window_start_s = first_failure_->seconds_f();
    if (last_failure_) h.failure_window_end_s = last_failure_->seconds_f();
    if (fault_at) {
      h.fault_at_s = fault_at->seconds_f();
      if (detected_at) h.time_to_detect_s = (*detected_at - *fault_at).seconds_f();
      if (answer_changed_at) h.time_to_answer_change_s = (*answer_changed_at - *fault_at).seconds_f();
      // Drain: the end of the last second after the fault in which more than
      // 1 % of new requests still went to a faulty address.
      const auto first_sec = static_cast<std::size_t>(fault_at->ns() / 1'000'000'000);
      std::optional<std::size_t> last_bad;
      for (std::size_t s = first_sec; s < seconds_; ++s) {
        std::uint64_t sent = 0, faulty = 0;
        for (std::size_t r = 0; r <= regions_; ++r) {
          sent += at(s, r).sent;
          faulty += at(s, r).to_faulty;
        }
        if (sent > 0 && static_cast<double>(faulty) > 0.01 * static_cast<double>(sent)) last_bad = s;
      }
      if (last_bad) h.time_to_drain_s = static_cast<double>(*last_bad + 1) - fault_at->seconds_f();
      else h.time_to_drain_s = 0.0;
    }
    std::uint64_t ok_total = 0;
    std::vector<std::uint64_t> ok_region(regions_, 0);
    for (std::size_t s = 0; s < seconds_; ++s)
      for (std::size_t r = 0; r < regions_; ++r) ok_region[r] += at(s, r).by_cause[0];
    for (auto v : ok_region) ok_total += v;
    for (auto v : ok_region) h.ok_share_by_region.push_back(ok_total ? static_cast<double>(v) / static_cast<double>(ok_total) : 0.0);
    h.throttled_pct = completed_ ? 100.0 * static_cast<double>(count(Cause::http_429)) / static_cast<double>(completed_) : 0.0;
    if (has_capacity_model()) {
      double peak = 0;
      for (const auto& c : capacity_)
        for (const auto& s : c.samples) peak = std::max(peak, s.cpu_utilization_pct);
      h.peak_utilization_pct = peak;
      // Stable: a second with no 429/503 anywhere and every HPA content with
      // what is ready (its CPU view within target and tolerance, no pod still
      // starting). Time to stable: from the fault to the end of
      // the last unstable second, if at least 60 stable seconds follow it.
      const std::size_t from = fault_at ? static_cast<std::size_t>(fault_at->ns() / 1'000'000'000) : 0;
      const std::size_t end = last_completion_.ns() / 1'000'000'000 < static_cast<std::int64_t>(seconds_)
                                  ? static_cast<std::size_t>(last_completion_.ns() / 1'000'000'000)
                                  : seconds_;
      std::optional<std::size_t> last_unstable;
      for (std::size_t s = from; s < end; ++s) {
        bool stable = true;
        for (std::size_t r = 0; r <= regions_ && stable; ++r) {
          const SeriesCell& c = at(s, r);
          if (c.by_cause[static_cast<std::size_t>(Cause::http_429)] || c.by_cause[static_cast<std::size_t>(Cause::http_503)]) stable = false;
        }
        for (const auto& c : capacity_) {
          // Under target as the controller sees it: the HPA asks for no
          // other replica count than the ready one.
          if (stable && c.target_pct && s < c.samples.size() && c.samples[s].desired != c.samples[s].ready) stable = false;
        }
        if (!stable) last_unstable = s;
      }
      const double fault_s = fault_at ? fault_at->seconds_f() : 0.0;
      if (!last_unstable) {
        h.time_to_stable_s = 0.0;
      } else if (*last_unstable + 1 + 60 <= end) {
        h.time_to_stable_s = std::max(0.0, static_cast<double>(*last_unstable + 1) - fault_s);
      }
    }
    return h;
  }

 private:
  SeriesCell& cell(TimePoint t, std::size_t region) {
    auto s = static_cast<std::size_t>(t.ns() / 1'000'000'000);
    if (s >= seconds_) s = seconds_ - 1;
    return cells_[s * (regions_ + 1) + region];
  }

  std::size_t regions_ = 0;
  std::size_t seconds_ = 0;
  std::vector<SeriesCell> cells_;
  std::array<std::uint64_t, kCauseCount> by_cause_{};
  std::uint64_t started_ = 0, completed_ = 0, attempts_ = 0;
  LatencyHistogram latency_;
  std::optional<TimePoint> first_failure_, last_failure_;
  TimePoint first_start_, last_completion_;
  std::vector<CoarseLatencyHistogram> per_second_latency_;
  std::vector<RegionCapacitySeries> capacity_;
  EventLog log_;
};

}  // namespace drsim
