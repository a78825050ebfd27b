// What a run measured: every request's outcome by cause, per-second series
// per region, the latency histogram, and the headline figures derived from
// them (failed %, failure window, time to detect, time to drain).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "drsim/core/stats.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/drain.hpp"
#include "drsim/model/event_log.hpp"
#include "drsim/model/fortio_stats.hpp"
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
  double throttled_pct = 0;                      // 429s over requests ended, from the fault on
};

/// The figures a replication reports (headline_figures in run.hpp), each
/// with its definition, for the model reference.
struct FigureDefinition {
  std::string_view name;
  std::string_view definition;
  double upper = std::numeric_limits<double>::infinity();  // every figure is >= 0; a share of requests <= 100
};
inline constexpr std::array<FigureDefinition, 18> kFigureDefinitions = {{
    {"requests", "requests started"},
    {"failed", "requests ended with a cause other than `ok`"},
    {"failed_pct", "100 x failed / requests ended; requests still in flight at the horizon are left out", 100},
    {"refused_pct", "100 x `connect_refused` / requests ended", 100},
    {"timeout_pct", "100 x (`connect_timeout` + `read_timeout`) / requests ended", 100},
    {"throttled_pct", "100 x `http_429` / requests ended, over requests started at or after `fault_at_s` (the whole run without a fault)", 100},
    {"code_503_pct", "100 x requests answered 503 (`http_503` and, with a mesh section, its three kinds) / requests ended", 100},
    {"ejections", "mesh section only: hosts ejected by outlier detection, over every proxy cluster's view of every service"},
    {"retries", "mesh section only: retries the proxies made (the gateway's and the sidecars')"},
    {"fault_at_s", "start of the earliest fault that hits a gateway address"},
    {"time_to_detect_s",
     "from `fault_at_s` to the first time at or after it that the GTM judged one of the hit addresses unhealthy "
     "(absent if never)"},
    {"time_to_answer_change_s", "from `fault_at_s` to the first change of the published answer at or after it"},
    {"time_to_drain_s",
     "let s be the last whole second at or after floor(`fault_at_s`) in which more than 1 % of the requests started "
     "had their first attempt aimed at an address under an active fault; (s + 1) - `fault_at_s`, or 0 when none"},
    {"failure_window_s",
     "start time of the last failed request - start time of the first, every cause, over requests started at or "
     "after `fault_at_s` (the whole run without a fault); the JSON summary gives the pair [first, last] and counts "
     "failures of requests started before the fault as `pre_fault_failed`"},
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

/// The largest value a figure can take (100 for a share of requests in %,
/// none otherwise); every figure is at least 0.
inline double figure_upper_bound(std::string_view name) {
  for (const auto& d : kFigureDefinitions)
    if (d.name == name) return d.upper;
  return std::numeric_limits<double>::infinity();
}

/// A figure's mean and Student-t interval over replications, clipped to the
/// figure's range ([0, 100] for a share in %, [0, inf) otherwise): with few
/// replications or a skewed figure the symmetric interval can leave it.
inline ConfidenceInterval figure_interval(std::string_view name, const RunningStats& s, double level = 0.95) {
  ConfidenceInterval ci = t_interval(s, level);
  ci.lo = std::clamp(ci.lo, 0.0, figure_upper_bound(name));
  ci.hi = std::clamp(ci.hi, 0.0, figure_upper_bound(name));
  return ci;
}

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
  /// `detailed`: keep what only a reported replication shows (per-second
  /// latency quantiles, fortio's per-call statistics); the headline figures
  /// need neither.
  RunMetrics(std::size_t regions, Duration horizon, bool detailed = true)
      : regions_(regions), seconds_(static_cast<std::size_t>(horizon.ns() / 1'000'000'000) + 2),
        cells_(seconds_ * (regions + 1)), capacity_(regions), fortio_on_(detailed) {
    if (detailed) latency_slot_.assign(seconds_ * regions, kNoLatency);
  }

  /// Per-second latency histograms kept at most (2 KB each): beyond them a
  /// long busy run keeps its per-second counts but not its per-second quantiles.
  static constexpr std::size_t kMaxLatencyCells = 32768;

  /// Called once per request when it ends. `region` == regions() for "no
  /// address" (DNS failure).
  void record(TimePoint started, TimePoint ended, std::size_t region, Cause cause, bool to_faulty,
              std::uint32_t client = 0) {
    ++completed_;
    if (fortio_on_) fortio_.call(client, started, ended, is_failure(cause));
    if (completed_ == 1 || started < first_start_) first_start_ = started;
    if (ended > last_completion_) last_completion_ = ended;
    ++by_cause_[static_cast<std::size_t>(cause)];
    latency_.record(ended - started);
    const std::size_t sec = second_of(started);
    if (!latency_slot_.empty() && region < regions_)
      if (CoarseLatencyHistogram* h = latency_cell(sec * regions_ + region)) h->record(ended - started);
    SeriesCell& c = cells_[sec * (regions_ + 1) + region];
    ++c.sent;
    c.to_faulty += to_faulty ? 1 : 0;
    ++c.by_cause[static_cast<std::size_t>(cause)];
    // The failure window and the throttled share are about the fault: what
    // failed before it (a cold start's 429s) is counted apart.
    const bool before_fault = fault_at && started < *fault_at;
    if (!before_fault) {
      ++completed_since_fault_;
      if (cause == Cause::http_429) ++throttled_since_fault_;
    }
    if (is_failure(cause)) {
      if (before_fault) {
        ++pre_fault_failed_;
      } else {
        if (!first_failure_ || started < *first_failure_) first_failure_ = started;
        if (!last_failure_ || started > *last_failure_) last_failure_ = started;
      }
    }
  }
  void request_started() { ++started_; }
  void attempt_made() { ++attempts_; }
  /// A new connection (a socket, in fortio's words) from `client` to `address`, resolved or refused after `took`.
  void connection_opened(std::uint32_t client, std::size_t address, Duration took) {
    ++attempts_;
    if (fortio_on_) fortio_.connect(client, address, took);
  }
  /// The run as fortio would have measured it (drsim run --format fortio);
  /// empty for a run without report detail.
  [[nodiscard]] const FortioCalls& fortio() const { return fortio_; }

  [[nodiscard]] std::uint64_t started() const { return started_; }
  [[nodiscard]] std::uint64_t completed() const { return completed_; }
  [[nodiscard]] std::uint64_t in_flight() const { return started_ - completed_; }
  [[nodiscard]] std::uint64_t attempts() const { return attempts_; }
  [[nodiscard]] std::uint64_t count(Cause c) const { return by_cause_[static_cast<std::size_t>(c)]; }
  [[nodiscard]] std::uint64_t ok() const { return count(Cause::ok); }
  /// Requests answered 503, whatever its kind.
  [[nodiscard]] std::uint64_t count_503() const {
    std::uint64_t n = 0;
    for (std::size_t k = 0; k < kCauseCount; ++k)
      if (fortio_code(static_cast<Cause>(k)) == 503) n += by_cause_[k];
    return n;
  }
  /// The causes results name: the mesh's 503 kinds only for a model with a mesh section.
  [[nodiscard]] std::size_t cause_columns() const { return mesh ? kCauseCount : kBasicCauseCount; }
  [[nodiscard]] std::uint64_t failed() const { return completed_ - ok(); }
  [[nodiscard]] const LatencyHistogram& latency() const { return latency_; }
  [[nodiscard]] std::size_t regions() const { return regions_; }
  [[nodiscard]] std::size_t seconds() const { return seconds_; }
  [[nodiscard]] const SeriesCell& at(std::size_t second, std::size_t region) const {
    return cells_[second * (regions_ + 1) + region];
  }
  /// With a mesh section: the proxies' ejections and retries over the run.
  struct MeshCounts {
    std::uint64_t ejections = 0, retries = 0, pushes = 0;
  };
  std::optional<MeshCounts> mesh;
  /// Failures of requests started before the headline fault (fault_at).
  [[nodiscard]] std::uint64_t pre_fault_failed() const { return pre_fault_failed_; }
  [[nodiscard]] std::optional<TimePoint> first_failure() const { return first_failure_; }
  [[nodiscard]] TimePoint first_start() const { return first_start_; }
  [[nodiscard]] TimePoint last_completion() const { return last_completion_; }
  [[nodiscard]] std::optional<TimePoint> last_failure() const { return last_failure_; }
  /// Latency of the requests started in one second at one region (coarse), if kept.
  [[nodiscard]] const CoarseLatencyHistogram* latency_at(std::size_t second, std::size_t region) const {
    if (latency_slot_.empty() || region >= regions_) return nullptr;
    const std::uint32_t slot = latency_slot_[second * regions_ + region];
    return slot == kNoLatency ? nullptr : &latency_blocks_[slot / kLatencyBlock][slot % kLatencyBlock];
  }
  /// Whether some second with requests has no per-second quantiles (kMaxLatencyCells reached).
  [[nodiscard]] bool latency_detail_truncated() const { return latency_truncated_; }
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
    h.throttled_pct = completed_since_fault_ ? 100.0 * static_cast<double>(throttled_since_fault_) /
                                                   static_cast<double>(completed_since_fault_)
                                             : 0.0;
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
          for (std::size_t k = 0; k < kCauseCount && stable; ++k)
            if (c.by_cause[k] && (fortio_code(static_cast<Cause>(k)) == 429 || fortio_code(static_cast<Cause>(k)) == 503)) stable = false;
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
  /// The series' second holding t (the last one for later times).
  [[nodiscard]] std::size_t second_of(TimePoint t) const {
    return std::min<std::size_t>(static_cast<std::size_t>(t.ns() / 1'000'000'000), seconds_ - 1);
  }

  std::size_t regions_ = 0;
  std::size_t seconds_ = 0;
  std::vector<SeriesCell> cells_;
  std::array<std::uint64_t, kCauseCount> by_cause_{};
  std::uint64_t started_ = 0, completed_ = 0, attempts_ = 0;
  std::uint64_t pre_fault_failed_ = 0, completed_since_fault_ = 0, throttled_since_fault_ = 0;
  LatencyHistogram latency_;
  FortioCalls fortio_;
  std::optional<TimePoint> first_failure_, last_failure_;
  TimePoint first_start_, last_completion_;
  // Per-second latency, by (second, region): a histogram only for the cells
  // that have requests, in blocks allocated as the run goes (one allocation
  // per 256 such cells), so memory follows what is recorded, not the horizon.
  static constexpr std::uint32_t kNoLatency = UINT32_MAX;
  static constexpr std::size_t kLatencyBlock = 256;
  CoarseLatencyHistogram* latency_cell(std::size_t cell) {
    std::uint32_t& slot = latency_slot_[cell];
    if (slot == kNoLatency) {
      if (latency_cells_ >= kMaxLatencyCells) {
        latency_truncated_ = true;
        return nullptr;
      }
      if (latency_cells_ % kLatencyBlock == 0) latency_blocks_.emplace_back().reserve(kLatencyBlock);
      latency_blocks_.back().emplace_back();
      slot = static_cast<std::uint32_t>(latency_cells_++);
    }
    return &latency_blocks_[slot / kLatencyBlock][slot % kLatencyBlock];
  }
  std::vector<std::uint32_t> latency_slot_;
  std::vector<std::vector<CoarseLatencyHistogram>> latency_blocks_;
  std::size_t latency_cells_ = 0;
  bool latency_truncated_ = false;
  std::vector<RegionCapacitySeries> capacity_;
  bool fortio_on_ = true;
  EventLog log_;
};

}  // namespace drsim
