// What a run measured: every request's outcome by cause, per-second series
// per region, the latency histogram, and the headline figures derived from
// them (failed %, failure window, time to detect, time to drain).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "drsim/core/stats.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/event_log.hpp"
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
};

class RunMetrics {
 public:
  RunMetrics() = default;
  RunMetrics(std::size_t regions, Duration horizon)
      : regions_(regions), seconds_(static_cast<std::size_t>(horizon.ns() / 1'000'000'000) + 2),
        cells_(seconds_ * (regions + 1)) {}

  /// Called once per request when it ends. `region` == regions() for "no
  /// address" (DNS failure).
  void record(TimePoint started, TimePoint ended, std::size_t region, Cause cause, bool to_faulty) {
    ++completed_;
    if (completed_ == 1 || started < first_start_) first_start_ = started;
    if (ended > last_completion_) last_completion_ = ended;
    ++by_cause_[static_cast<std::size_t>(cause)];
    latency_.record(ended - started);
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
  EventLog& log() { return log_; }
  [[nodiscard]] const EventLog& log() const { return log_; }

  /// Fault and detection times are filled in by the model after the run.
  std::optional<TimePoint> fault_at;
  std::optional<TimePoint> detected_at;
  std::optional<TimePoint> answer_changed_at;

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
  EventLog log_;
};

}  // namespace drsim
