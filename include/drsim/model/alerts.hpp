// Alert rules of the form "metric op threshold for duration", evaluated the
// way Prometheus evaluates an alerting rule with a `for` clause:
//   - at each evaluation the condition holds or not (no data never holds);
//   - the first evaluation where it holds makes the alert pending, with
//     active_at = that evaluation's time;
//   - it fires at the first evaluation where it still holds and
//     now - active_at >= for (at once when `for` is zero);
//   - the first evaluation where it no longer holds resolves a firing alert
//     and silently drops a pending one.
// So with per-second evaluation, "> 10 for 60s" fires after 61 consecutive
// breaching evaluations, 60 s after the first, and a breach of exactly 60
// evaluations never fires.
//
// Series of per-second values (throttled requests per second, 5xx rate, ...)
// are evaluated at the end of each bin, when the bin's value is complete.
#pragma once

#include <cmath>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <span>
#include <vector>

#include "drsim/core/fields.hpp"
#include "drsim/core/stats.hpp"
#include "drsim/model/sources.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/metrics.hpp"

namespace drsim {

/// The comparison of an alert expression (`metric op threshold`).
enum class Comparison : std::uint8_t { greater, greater_equal, less, less_equal, equal, not_equal };
constexpr std::array<std::string_view, 6> enum_names(Comparison) { return {">", ">=", "<", "<=", "==", "!="}; }

/// `metric op threshold for for_duration`, e.g. throttled rate > 10 for 60 s.
struct AlertRule {
  Comparison op = Comparison::greater;
  double threshold = 0;
  Duration for_duration;  ///< Prometheus `for`: how long the condition must hold before firing

  /// Whether `value` breaches the rule; NaN (no data) never does.
  [[nodiscard]] bool breached_by(double value) const {
    if (std::isnan(value)) return false;
    switch (op) {
      case Comparison::greater: return value > threshold;
      case Comparison::greater_equal: return value >= threshold;
      case Comparison::less: return value < threshold;
      case Comparison::less_equal: return value <= threshold;
      case Comparison::equal: return value == threshold;
      case Comparison::not_equal: return value != threshold;
    }
    return false;
  }
};

enum class AlertState : std::uint8_t { inactive, pending, firing };

/// One firing of an alert: from the first breaching evaluation to the first
/// evaluation that no longer breaches.
struct AlertEpisode {
  TimePoint active_at;                       ///< first breaching evaluation (start of pending)
  TimePoint fired_at;                        ///< when it began firing
  TimePoint resolved_at = TimePoint::max();  ///< max(): still firing at the last evaluation

  [[nodiscard]] bool resolved() const { return resolved_at != TimePoint::max(); }
  friend bool operator==(const AlertEpisode&, const AlertEpisode&) = default;
};

/// What one evaluation changed.
enum class AlertTransition : std::uint8_t { none, fired, resolved };

/// Evaluates one rule evaluation by evaluation, keeping its state and the
/// episodes it has fired. Evaluations must come in increasing time.
class AlertEvaluator {
 public:
  explicit AlertEvaluator(AlertRule rule) : rule_(rule) {}

  AlertTransition evaluate(TimePoint now, double value) {
    if (!rule_.breached_by(value)) {
      const bool was_firing = state_ == AlertState::firing;
      state_ = AlertState::inactive;
      if (!was_firing) return AlertTransition::none;
      episodes_.back().resolved_at = now;
      return AlertTransition::resolved;
    }
    if (state_ == AlertState::inactive) {
      state_ = AlertState::pending;
      active_at_ = now;
    }
    if (state_ == AlertState::pending && now - active_at_ >= rule_.for_duration) {
      state_ = AlertState::firing;
      episodes_.push_back({active_at_, now, TimePoint::max()});
      return AlertTransition::fired;
    }
    return AlertTransition::none;
  }

  [[nodiscard]] AlertState state() const { return state_; }
  /// Start of the current pending or firing period (meaningless when inactive).
  [[nodiscard]] TimePoint active_at() const { return active_at_; }
  [[nodiscard]] const std::vector<AlertEpisode>& episodes() const { return episodes_; }
  [[nodiscard]] const AlertRule& rule() const { return rule_; }

 private:
  AlertRule rule_;
  AlertState state_ = AlertState::inactive;
  TimePoint active_at_;
  std::vector<AlertEpisode> episodes_;
};

/// Evaluates `rule` over values[i] covering [first + i x step, first + (i+1) x step),
/// each at the end of its bin. Returns the episodes in order; the last one is
/// unresolved if it still fires at the end of the series.
inline std::vector<AlertEpisode> evaluate_alert(const AlertRule& rule, std::span<const double> values, Duration step,
                                                TimePoint first = TimePoint::start()) {
  AlertEvaluator evaluator(rule);
  for (std::size_t i = 0; i < values.size(); ++i)
    evaluator.evaluate(first + step * static_cast<std::int64_t>(i + 1), values[i]);
  return evaluator.episodes();
}

/// The same over a TimeSeries (bins from t = 0).
inline std::vector<AlertEpisode> evaluate_alert(const AlertRule& rule, const TimeSeries& series) {
  return evaluate_alert(rule, series.values(), series.bin_width());
}

/// What an alert rule watches, per second of one region.
enum class AlertMetric : std::uint8_t {
  throttled_rate,   // 429 responses per second
  error_rate,       // failed requests per second, any cause
  failed_share,     // failed / sent in the second
  cpu_utilization,  // gateway CPU, % of request (the HPA's view)
  p99_latency_s,    // 99th percentile latency of the second's requests
};
constexpr std::array<std::string_view, 5> enum_names(AlertMetric) {
  return {"throttled_rate", "error_rate", "failed_share", "cpu_utilization", "p99_latency_s"};
}

/// An alert rule on one region's per-second series.
struct AlertSpec {
  std::string name;
  std::size_t region = 0;
  AlertMetric metric = AlertMetric::throttled_rate;
  AlertRule rule;
};

template <>
inline const FieldTable& fields_of<AlertSpec>() {
  static const FieldTable table = FieldTable::build<AlertSpec>("alert", [](auto& t) {
    using P = AlertSpec;
    t.means("\"metric op threshold for duration\" on one region's per-second series, as a Prometheus rule");
    t.add("name", &P::name).must().means("the alert's name");
    t.custom("region", FieldKind::reference, "a region name").must().means("the region whose series it watches");
    t.add("metric", &P::metric)
        .means("per second of the region: 429s; failed requests; failed / sent; gateway CPU % of request; p99 "
               "latency (replication 0 only)")
        .source_is("drsim convention");
    t.add("op", [](P& p) -> auto& { return p.rule.op; }).means("the comparison").source_is("drsim convention");
    t.add("threshold", [](P& p) -> auto& { return p.rule.threshold; }).must().means("the value compared with");
    t.add("for", [](P& p) -> auto& { return p.rule.for_duration; }).in_unit("s")
        .means("how long the condition must hold before firing (Prometheus for)")
        .source_is(kSourcePrometheusFor);
  });
  return table;
}

/// One region's per-second values of an alert's metric, from a run's series.
inline std::vector<double> alert_metric_values(const RunMetrics& m, std::size_t region, AlertMetric metric) {
  std::vector<double> values(m.seconds(), 0.0);
  for (std::size_t s = 0; s < values.size(); ++s) {
    const SeriesCell& c = m.at(s, region);
    switch (metric) {
      case AlertMetric::throttled_rate: values[s] = c.by_cause[static_cast<std::size_t>(Cause::http_429)]; break;
      case AlertMetric::error_rate: values[s] = c.sent - c.by_cause[0]; break;
      case AlertMetric::failed_share: values[s] = c.sent ? static_cast<double>(c.sent - c.by_cause[0]) / c.sent : 0.0; break;
      case AlertMetric::cpu_utilization: {
        const auto& cap = m.capacity(region).samples;
        values[s] = s < cap.size() ? cap[s].cpu_utilization_pct : 0.0;
        break;
      }
      case AlertMetric::p99_latency_s: {
        const auto* h = m.latency_at(s, region);
        values[s] = h && h->count() ? static_cast<double>(h->quantile_ns(0.99)) * 1e-9 : std::nan("");
        break;
      }
    }
  }
  return values;
}

/// Evaluates every alert over a finished run: its firings go into the
/// metrics and the event log.
inline void evaluate_alerts(const std::vector<AlertSpec>& alerts, RunMetrics& m) {
  for (const auto& a : alerts) {
    for (const auto& e : evaluate_alert(a.rule, alert_metric_values(m, a.region, a.metric), Duration::seconds(1))) {
      m.alerts.push_back({a.name, e.fired_at, e.resolved() ? std::optional<TimePoint>(e.resolved_at) : std::nullopt});
      m.log().add(e.fired_at, "alert/" + a.name, "alert_firing", "since " + to_string(e.active_at));
      if (e.resolved()) m.log().add(e.resolved_at, "alert/" + a.name, "alert_resolved");
    }
  }
}

}  // namespace drsim
