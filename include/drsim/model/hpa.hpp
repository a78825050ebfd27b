// The Kubernetes HorizontalPodAutoscaler (autoscaling/v2) as
// kube-controller-manager computes it for a CPU utilization target: the
// replica calculator (which pods count, how missing and unready pods are
// treated, the tolerance band) followed by either the legacy normalization
// (no `behavior`) or the behavior normalization (stabilization windows and
// scaling policies).
//
// The class is pure: it holds the controller's memory for one HPA (recent
// recommendations, recent scale events) and answers `recommend` when the
// caller's sync loop asks, every 15 s by default. It neither schedules events
// nor reads a clock. Time comparisons follow the controller's: a
// recommendation or scale event at exactly `now - window` is outside the
// window (Go's time.After), except in the legacy downscale window, which
// keeps it (the legacy code drops only samples strictly before the cutoff).
//
// Semantics follow pkg/controller/podautoscaler/horizontal.go and
// replica_calculator.go of Kubernetes 1.28.
#pragma once

#include <algorithm>
#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "drsim/core/error.hpp"
#include "drsim/core/fields.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/sources.hpp"

namespace drsim {

/// An amount of CPU, as Kubernetes writes it ("100m" = 0.1 core).
class CpuQuantity {
 public:
  constexpr CpuQuantity() = default;
  static constexpr CpuQuantity millicores(std::int64_t m) { return CpuQuantity(m); }
  static constexpr CpuQuantity cores(std::int64_t c) { return CpuQuantity(c * 1000); }
  /// The average CPU of work that consumed `cpu_time` over `window`, in whole
  /// millicores rounded down (what metrics-server reports for a scrape).
  static CpuQuantity average_usage(Duration cpu_time, Duration window) {
    if (window <= Duration::zero()) throw ParameterError("CpuQuantity::average_usage: window must be > 0");
    const long double m = static_cast<long double>(cpu_time.ns()) * 1000.0L / static_cast<long double>(window.ns());
    return CpuQuantity(static_cast<std::int64_t>(std::floor(m)));
  }

  [[nodiscard]] constexpr std::int64_t millicores() const { return m_; }
  friend constexpr auto operator<=>(CpuQuantity, CpuQuantity) = default;
  friend constexpr CpuQuantity operator+(CpuQuantity a, CpuQuantity b) { return CpuQuantity(a.m_ + b.m_); }

 private:
  constexpr explicit CpuQuantity(std::int64_t m) : m_(m) {}
  std::int64_t m_ = 0;
};

/// The pod phases the replica calculator distinguishes.
enum class PodPhase : std::uint8_t { pending, running, failed };

/// What the controller knows about one pod of the target at a sync: its
/// status (phase, Ready condition, start time) and its metrics-server sample.
struct HpaPodSample {
  CpuQuantity request;     ///< sum of the containers' CPU requests
  CpuQuantity usage;       ///< CPU over the metric window (meaningful when has_metric)
  bool has_metric = true;  ///< metrics-server returned a sample for the pod
  bool ready = true;       ///< Ready condition status
  PodPhase phase = PodPhase::running;
  bool terminating = false;                        ///< deletionTimestamp set
  TimePoint start_time;                            ///< status.startTime
  TimePoint ready_transition_time;                 ///< Ready condition lastTransitionTime
  TimePoint metric_timestamp;                      ///< end of the metric window
  Duration metric_window = Duration::seconds(15);  ///< metrics-server resolution in the shipped manifests
};

/// HPAScalingPolicy.type.
enum class ScalingPolicyType : std::uint8_t { pods, percent };
constexpr std::array<std::string_view, 2> enum_names(ScalingPolicyType) { return {"pods", "percent"}; }

/// One HPAScalingPolicy: at most `value` pods (or `value` percent of the
/// replicas at the start of the period) added or removed per `period`
/// (periodSeconds).
struct HpaScalingPolicy {
  ScalingPolicyType type = ScalingPolicyType::pods;
  std::int32_t value = 1;
  Duration period = Duration::seconds(15);
};

/// HPAScalingRules.selectPolicy.
enum class ScalingPolicySelect : std::uint8_t {
  max,       ///< the policy allowing the largest change
  min,       ///< the policy allowing the smallest change
  disabled,  ///< no scaling in this direction
};
constexpr std::array<std::string_view, 3> enum_names(ScalingPolicySelect) { return {"max", "min", "disabled"}; }

/// HPAScalingRules: one direction of `behavior`.
struct HpaScalingRules {
  Duration stabilization_window;  ///< stabilizationWindowSeconds
  std::vector<HpaScalingPolicy> policies;
  ScalingPolicySelect select_policy = ScalingPolicySelect::max;

  /// The API defaults for scaleUp: window 0, max of {4 pods, 100 %} per 15 s.
  static HpaScalingRules default_scale_up() {
    return {
        Duration::zero(),
        {{ScalingPolicyType::pods, 4, Duration::seconds(15)}, {ScalingPolicyType::percent, 100, Duration::seconds(15)}},
        ScalingPolicySelect::max};
  }
  /// The API defaults for scaleDown: window 300 s, 100 % per 15 s.
  static HpaScalingRules default_scale_down() {
    return {
        Duration::seconds(300), {{ScalingPolicyType::percent, 100, Duration::seconds(15)}}, ScalingPolicySelect::max};
  }
};

/// HorizontalPodAutoscalerBehavior; each direction defaults as the API does.
struct HpaBehavior {
  HpaScalingRules scale_up = HpaScalingRules::default_scale_up();
  HpaScalingRules scale_down = HpaScalingRules::default_scale_down();
};

/// The HPA object: a CPU Resource metric with an averageUtilization target.
/// The defaults are the Istio gateway chart's (min 1, max 5, 80 %).
struct HpaSpec {
  std::int32_t min_replicas = 1;
  std::int32_t max_replicas = 5;
  std::int32_t target_cpu_utilization = 80;  ///< averageUtilization, percent of the request
  std::optional<HpaBehavior> behavior;       ///< unset: the legacy normalization
};

/// kube-controller-manager flags (--horizontal-pod-autoscaler-*), at their defaults.
struct HpaControllerOptions {
  double tolerance = 0.1;
  Duration cpu_initialization_period = Duration::seconds(300);
  Duration initial_readiness_delay = Duration::seconds(30);
  Duration downscale_stabilization = Duration::seconds(300);  ///< the legacy path's window
};

/// An HPA on a gateway Deployment as a model file gives it: the object, the
/// controller's flags and metrics-server's scrape window.
struct HpaSettings {
  HpaSpec spec;
  HpaControllerOptions controller;
  Duration sync_period = Duration::seconds(15);         // --horizontal-pod-autoscaler-sync-period
  Duration metrics_resolution = Duration::seconds(15);  // metrics-server --metric-resolution in the shipped manifests
};

template <>
inline const FieldTable& fields_of<HpaScalingPolicy>() {
  static const FieldTable table = FieldTable::build<HpaScalingPolicy>("hpa scaling policy", [](auto& t) {
    using P = HpaScalingPolicy;
    t.means("One HPAScalingPolicy: at most value pods (or percent) per period");
    t.add("type", &P::type).means("Pods or Percent (required in the API)").source_is("assumption");
    t.add("value", &P::value).range(1, 100000).means("pods, or percent of the replicas at the period's start (required "
                                                     "in the API)")
        .source_is("assumption");
    t.add("period", &P::period).positive().in_unit("s").means("periodSeconds, at most 1800 s")
        .source_is("assumption");
  });
  return table;
}

template <>
inline const FieldTable& fields_of<HpaScalingRules>() {
  static const FieldTable table = FieldTable::build<HpaScalingRules>("hpa scaling rules", [](auto& t) {
    using P = HpaScalingRules;
    t.means("One direction of the HPA's behavior");
    t.add("stabilization_window", &P::stabilization_window).in_unit("s")
        .means("stabilizationWindowSeconds, at most 3600 s").source_is(kSourceK8sHpaBehavior);
    t.add("select_policy", &P::select_policy).means("the policy allowing the largest or smallest change, or none")
        .source_is(kSourceK8sHpaBehavior);
    t.objects("policies", &P::policies).means("the rate limits of this direction; a given list replaces the defaults")
        .source_is(kSourceK8sHpaBehavior);
  });
  return table;
}

template <>
inline const FieldTable& fields_of<HpaBehavior>() {
  static const FieldTable table = FieldTable::build<HpaBehavior>("hpa behavior", [](auto& t) {
    using P = HpaBehavior;
    t.means("The HPA's behavior field; \"default\" or {} takes the API's defaults")
        .presets({"default"}, [](P& p, const std::string&, bool) { p = HpaBehavior{}; }, true, {kSourceK8sHpaBehavior});
    t.object("scale_up", &P::scale_up).means("scaleUp: window 0s, max of 4 pods and 100 % per 15 s")
        .source_is(kSourceK8sHpaBehavior);
    t.object("scale_down", &P::scale_down).means("scaleDown: window 300s, 100 % per 15 s")
        .source_is(kSourceK8sHpaBehavior);
  });
  return table;
}

template <>
inline const FieldTable& fields_of<HpaSettings>() {
  static const FieldTable table = FieldTable::build<HpaSettings>("hpa", [](auto& t) {
    using P = HpaSettings;
    t.means("HorizontalPodAutoscaler on the gateway's CPU (Kubernetes 1.28 replica calculator)");
    t.add("min_replicas", [](P& p) -> auto& { return p.spec.min_replicas; }).range(0, 100000).in_unit("pods")
        .means("minReplicas").source_is(kSourceIstioGatewayChart);
    t.add("max_replicas", [](P& p) -> auto& { return p.spec.max_replicas; }).range(1, 100000).in_unit("pods")
        .means("maxReplicas, >= min_replicas").source_is(kSourceIstioGatewayChart);
    t.add("target_cpu_utilization", [](P& p) -> auto& { return p.spec.target_cpu_utilization; }).range(1, 10000)
        .in_unit("% of cpu_request").means("averageUtilization of the CPU Resource metric")
        .source_is(kSourceIstioGatewayChart);
    t.object("behavior", [](P& p) -> auto& { return p.spec.behavior; })
        .means("the behavior field; absent: the legacy normalization (max over 5 min, at most max(2 x current, 4) "
               "per sync)")
        .source_is(kSourceK8sHpaLegacy);
    t.add("sync_period", &P::sync_period).period().in_unit("s")
        .means("--horizontal-pod-autoscaler-sync-period").source_is(kSourceK8sHpaControllerDefaults);
    t.add("metrics_resolution", &P::metrics_resolution).period().in_unit("s")
        .means("metrics-server's scrape window (--metric-resolution: 15s in the shipped manifests, 60s in code)")
        .source_is(kSourceMetricsServerManifest);
    t.add("tolerance", [](P& p) -> auto& { return p.controller.tolerance; }).range(0, 10)
        .means("--horizontal-pod-autoscaler-tolerance: no change while |1 - ratio| <= tolerance")
        .source_is(kSourceK8sHpaControllerDefaults);
    t.add("cpu_initialization_period", [](P& p) -> auto& { return p.controller.cpu_initialization_period; })
        .in_unit("s").means("--horizontal-pod-autoscaler-cpu-initialization-period").source_is(kSourceK8sHpaControllerDefaults);
    t.add("initial_readiness_delay", [](P& p) -> auto& { return p.controller.initial_readiness_delay; })
        .in_unit("s").means("--horizontal-pod-autoscaler-initial-readiness-delay").source_is(kSourceK8sHpaControllerDefaults);
    t.add("downscale_stabilization", [](P& p) -> auto& { return p.controller.downscale_stabilization; })
        .in_unit("s").means("--horizontal-pod-autoscaler-downscale-stabilization (the legacy path's window)")
        .source_is(kSourceK8sHpaControllerDefaults);
  });
  return table;
}

/// Thrown for an HPA the API server would not accept.
class HpaSpecError : public ParameterError {
 public:
  using ParameterError::ParameterError;
};

/// What the last `recommend` saw and decided, for plots and tests.
struct HpaStatus {
  bool metrics_valid = false;            ///< false: no usable metric, replicas left unchanged
  std::int32_t current_utilization = 0;  ///< percent over the pods that counted, before adjustments
  std::int32_t metric_replicas = 0;      ///< the replica calculator's proposal
  std::int32_t stabilized_replicas = 0;  ///< after the stabilization window
  std::int32_t desired_replicas = 0;     ///< after min/max and rate limits: what `recommend` returned
  std::int32_t ready_pods = 0;           ///< pods whose metric counted as is
  std::int32_t unready_pods = 0;         ///< pending, unready or still initializing
  std::int32_t missing_pods = 0;         ///< running pods without a metric
};

namespace detail {
struct TimestampedRecommendation {
  std::int32_t replicas;
  TimePoint time;
};
struct ScaleEvent {
  std::int32_t change;  // always positive: pods added (up list) or removed (down list)
  TimePoint time;
  bool outdated;
};
}  // namespace detail

class HorizontalPodAutoscaler {
 public:
  explicit HorizontalPodAutoscaler(HpaSpec spec, HpaControllerOptions options = {})
      : spec_(std::move(spec)), options_(options) {
    validate();
  }

  /// One sync of the controller: given the target's current replica count
  /// (scale.spec.replicas) and its pods, returns the replica count the
  /// controller writes back (equal to `current_replicas` when it does not
  /// scale). The returned count is remembered as a scale event, as the
  /// controller does after a successful rescale.
  std::int32_t recommend(std::int32_t current_replicas, std::span<const HpaPodSample> pods, TimePoint now) {
    status_ = HpaStatus{};
    if (recommendations_.empty()) recommendations_.push_back({current_replicas, now});

    std::int32_t desired = 0;
    if (current_replicas == 0 && spec_.min_replicas != 0) {
      desired = 0;  // a target scaled to zero by hand disables autoscaling
    } else if (current_replicas > spec_.max_replicas) {
      desired = spec_.max_replicas;
    } else if (current_replicas < spec_.min_replicas) {
      desired = spec_.min_replicas;
    } else {
      const std::optional<std::int32_t> proposal = replicas_for_cpu(current_replicas, pods, now);
      if (!proposal) {
        // The controller reports FailedComputeMetricsReplicas and leaves the scale alone.
        status_.desired_replicas = current_replicas;
        return current_replicas;
      }
      status_.metrics_valid = true;
      status_.metric_replicas = *proposal;
      desired = std::max(*proposal, 0);
      desired = spec_.behavior ? normalize_with_behavior(current_replicas, desired, now)
                               : normalize_legacy(current_replicas, desired, now);
    }
    if (desired != current_replicas) record_scale_event(current_replicas, desired, now);
    status_.desired_replicas = desired;
    return desired;
  }

  [[nodiscard]] const HpaStatus& status() const { return status_; }
  [[nodiscard]] const HpaSpec& spec() const { return spec_; }
  [[nodiscard]] const HpaControllerOptions& options() const { return options_; }

 private:
  void validate() const {
    if (spec_.max_replicas < 1) throw HpaSpecError("HPA: maxReplicas must be at least 1");
    if (spec_.min_replicas < 0 || spec_.min_replicas > spec_.max_replicas)
      throw HpaSpecError("HPA: minReplicas must be between 0 and maxReplicas (" + std::to_string(spec_.min_replicas) +
                         " vs " + std::to_string(spec_.max_replicas) + ")");
    if (spec_.target_cpu_utilization < 1) throw HpaSpecError("HPA: averageUtilization must be at least 1");
    if (!(options_.tolerance >= 0)) throw HpaSpecError("HPA: tolerance must be >= 0");
    if (spec_.behavior) {
      for (const HpaScalingRules* rules : {&spec_.behavior->scale_up, &spec_.behavior->scale_down}) {
        // The API's validation: windows within an hour, periods within 30 min, positive values.
        if (rules->stabilization_window.is_negative() || rules->stabilization_window > Duration::seconds(3600))
          throw HpaSpecError("HPA: stabilizationWindowSeconds must be within 0..3600 s");
        for (const auto& p : rules->policies) {
          if (p.value < 1) throw HpaSpecError("HPA: a scaling policy's value must be at least 1");
          if (p.period <= Duration::zero() || p.period > Duration::seconds(1800))
            throw HpaSpecError("HPA: a scaling policy's periodSeconds must be within 1..1800 s");
        }
      }
    }
  }

  // ---- replica calculator (GetResourceReplicas) ----

  static std::int32_t utilization_percent(std::int64_t usage, std::int64_t requests) {
    return static_cast<std::int32_t>(usage * 100 / requests);
  }

  std::optional<std::int32_t> replicas_for_cpu(std::int32_t current, std::span<const HpaPodSample> pods,
                                               TimePoint now) {
    std::int64_t usage = 0, requests = 0;
    std::int32_t ready = 0, unready = 0, missing = 0;
    std::int64_t unready_requests = 0, missing_requests = 0;
    for (const HpaPodSample& pod : pods) {
      if (pod.terminating || pod.phase == PodPhase::failed) continue;  // ignored outright
      if (pod.phase == PodPhase::pending) {
        ++unready;
        unready_requests += pod.request.millicores();
        continue;
      }
      if (!pod.has_metric) {
        ++missing;
        missing_requests += pod.request.millicores();
        continue;
      }
      if (cpu_sample_unready(pod, now)) {
        ++unready;
        unready_requests += pod.request.millicores();
        continue;
      }
      ++ready;
      usage += pod.usage.millicores();
      requests += pod.request.millicores();
    }
    status_.ready_pods = ready;
    status_.unready_pods = unready;
    status_.missing_pods = missing;
    if (ready == 0 || requests <= 0) return std::nullopt;  // "did not receive metrics for targeted pods"

    const std::int32_t target = spec_.target_cpu_utilization;
    const std::int32_t utilization = utilization_percent(usage, requests);
    status_.current_utilization = utilization;
    const double ratio = static_cast<double>(utilization) / static_cast<double>(target);

    const bool scale_up_with_unready = unready > 0 && ratio > 1.0;
    if (!scale_up_with_unready && missing == 0) {
      if (std::fabs(1.0 - ratio) <= options_.tolerance) return current;
      return static_cast<std::int32_t>(std::ceil(ratio * ready));
    }

    // Second pass: assume the worst for the direction the first pass chose.
    std::int32_t counted = ready;
    if (missing > 0) {
      if (ratio < 1.0) {
        // Scale-down: pods without a metric count as using 100 % of their
        // request (or the target, when the target is above 100 %).
        usage += missing_requests * std::max<std::int64_t>(100, target) / 100;
        requests += missing_requests;
        counted += missing;
      } else if (ratio > 1.0) {
        requests += missing_requests;  // scale-up: they count as 0 %
        counted += missing;
      }
    }
    if (scale_up_with_unready) {
      requests += unready_requests;  // not-ready pods count as 0 % on a scale-up
      counted += unready;
    }
    const double new_ratio = static_cast<double>(utilization_percent(usage, requests)) / static_cast<double>(target);
    // Keep the current count when the change is small or the direction flipped.
    if (std::fabs(1.0 - new_ratio) <= options_.tolerance || (ratio < 1.0 && new_ratio > 1.0) ||
        (ratio > 1.0 && new_ratio < 1.0))
      return current;
    const auto proposal = static_cast<std::int32_t>(std::ceil(new_ratio * counted));
    if ((new_ratio < 1.0 && proposal > current) || (new_ratio > 1.0 && proposal < current)) return current;
    return proposal;
  }

  // A CPU sample taken while the pod was starting reflects start-up work,
  // not load, so the calculator leaves it out (groupPods).
  bool cpu_sample_unready(const HpaPodSample& pod, TimePoint now) const {
    if (pod.start_time + options_.cpu_initialization_period > now) {
      // Still initializing: unready, or ready for less than one metric window.
      return !pod.ready || pod.metric_timestamp < pod.ready_transition_time + pod.metric_window;
    }
    // Past initialization: only a pod that has never been ready is left out,
    // recognised by its Ready condition last changing within the initial
    // readiness delay after start.
    return !pod.ready && pod.start_time + options_.initial_readiness_delay > pod.ready_transition_time;
  }

  // ---- legacy normalization (no behavior) ----

  std::int32_t normalize_legacy(std::int32_t current, std::int32_t proposal, TimePoint now) {
    // Highest recommendation of the downscale window; a sample exactly at the
    // cutoff still counts. The oldest slot past the window is reused.
    const TimePoint cutoff = now - options_.downscale_stabilization;
    std::int32_t stabilized = proposal;
    std::size_t old_slot = recommendations_.size();
    for (std::size_t i = 0; i < recommendations_.size(); ++i) {
      const auto& rec = recommendations_[i];
      if (rec.time < cutoff) {
        old_slot = i;
      } else {
        stabilized = std::max(stabilized, rec.replicas);
      }
    }
    store_recommendation(old_slot, proposal, now);
    status_.stabilized_replicas = stabilized;

    // At most double (at least 4) per sync: a guard against bogus usage spikes.
    const auto scale_up_limit = static_cast<std::int32_t>(std::max(2.0 * current, 4.0));
    const std::int32_t max_allowed = std::min(spec_.max_replicas, scale_up_limit);
    if (stabilized < spec_.min_replicas) return spec_.min_replicas;
    if (stabilized > max_allowed) return max_allowed;
    return stabilized;
  }

  // ---- behavior normalization ----

  std::int32_t normalize_with_behavior(std::int32_t current, std::int32_t proposal, TimePoint now) {
    const HpaBehavior& behavior = *spec_.behavior;
    const TimePoint up_cutoff = now - behavior.scale_up.stabilization_window;
    const TimePoint down_cutoff = now - behavior.scale_down.stabilization_window;
    std::int32_t up_recommendation = proposal;    // lowest in the scale-up window
    std::int32_t down_recommendation = proposal;  // highest in the scale-down window
    std::size_t old_slot = recommendations_.size();
    for (std::size_t i = 0; i < recommendations_.size(); ++i) {
      const auto& rec = recommendations_[i];
      if (rec.time > up_cutoff) up_recommendation = std::min(up_recommendation, rec.replicas);
      if (rec.time > down_cutoff) down_recommendation = std::max(down_recommendation, rec.replicas);
      if (rec.time < up_cutoff && rec.time < down_cutoff) old_slot = i;
    }
    store_recommendation(old_slot, proposal, now);
    // Move only as far as every recommendation of the window agrees.
    const std::int32_t stabilized = std::min(std::max(current, up_recommendation), down_recommendation);
    status_.stabilized_replicas = stabilized;

    if (stabilized > current) {
      const std::int32_t limit = std::max(scale_up_limit(current, behavior.scale_up, now), current);
      return std::min({stabilized, spec_.max_replicas, limit});
    }
    if (stabilized < current) {
      const std::int32_t limit = std::min(scale_down_limit(current, behavior.scale_down, now), current);
      return std::max({stabilized, spec_.min_replicas, limit});
    }
    return stabilized;
  }

  // Replicas at the start of the period: undo the changes made within it.
  std::int32_t period_start_replicas(std::int32_t current, Duration period, TimePoint now) const {
    const TimePoint cutoff = now - period;
    std::int32_t added = 0, removed = 0;
    for (const auto& e : scale_up_events_)
      if (e.time > cutoff) added += e.change;
    for (const auto& e : scale_down_events_)
      if (e.time > cutoff) removed += e.change;
    return current - added + removed;
  }

  std::int32_t scale_up_limit(std::int32_t current, const HpaScalingRules& rules, TimePoint now) const {
    if (rules.select_policy == ScalingPolicySelect::disabled) return current;
    const bool pick_min = rules.select_policy == ScalingPolicySelect::min;
    std::int32_t result =
        pick_min ? std::numeric_limits<std::int32_t>::max() : std::numeric_limits<std::int32_t>::min();
    for (const auto& p : rules.policies) {
      const std::int32_t start = period_start_replicas(current, p.period, now);
      // Percent rounds up so that a small deployment can always grow.
      const std::int32_t proposed =
          p.type == ScalingPolicyType::pods
              ? start + p.value
              : static_cast<std::int32_t>(std::ceil(static_cast<double>(start) * (1.0 + p.value / 100.0)));
      result = pick_min ? std::min(result, proposed) : std::max(result, proposed);
    }
    return result;
  }

  std::int32_t scale_down_limit(std::int32_t current, const HpaScalingRules& rules, TimePoint now) const {
    if (rules.select_policy == ScalingPolicySelect::disabled) return current;
    // For a scale-down the "largest change" is the lowest replica count.
    const bool pick_max = rules.select_policy == ScalingPolicySelect::min;
    std::int32_t result =
        pick_max ? std::numeric_limits<std::int32_t>::min() : std::numeric_limits<std::int32_t>::max();
    for (const auto& p : rules.policies) {
      const std::int32_t start = period_start_replicas(current, p.period, now);
      const std::int32_t proposed =
          p.type == ScalingPolicyType::pods
              ? start - p.value
              : static_cast<std::int32_t>(static_cast<double>(start) * (1.0 - p.value / 100.0));
      result = pick_max ? std::max(result, proposed) : std::min(result, proposed);
    }
    return result;
  }

  // ---- controller memory ----

  void store_recommendation(std::size_t slot, std::int32_t replicas, TimePoint now) {
    if (slot < recommendations_.size()) {
      recommendations_[slot] = {replicas, now};
    } else {
      recommendations_.push_back({replicas, now});
    }
  }

  void record_scale_event(std::int32_t from, std::int32_t to, TimePoint now) {
    if (!spec_.behavior) return;  // only the behavior path reads them
    const bool up = to > from;
    auto& events = up ? scale_up_events_ : scale_down_events_;
    const auto& rules = up ? spec_.behavior->scale_up : spec_.behavior->scale_down;
    Duration longest = Duration::zero();
    for (const auto& p : rules.policies) longest = std::max(longest, p.period);
    std::size_t slot = events.size();
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (events[i].time < now - longest) events[i].outdated = true;
      if (events[i].outdated) slot = i;
    }
    const detail::ScaleEvent event{up ? to - from : from - to, now, false};
    if (slot < events.size()) {
      events[slot] = event;
    } else {
      events.push_back(event);
    }
  }

  HpaSpec spec_;
  HpaControllerOptions options_;
  HpaStatus status_;
  std::vector<detail::TimestampedRecommendation> recommendations_;
  std::vector<detail::ScaleEvent> scale_up_events_;
  std::vector<detail::ScaleEvent> scale_down_events_;
};

}  // namespace drsim
