// Envoy's outlier detection for one upstream cluster of one proxy: the
// consecutive-error detectors (5xx, gateway errors, local-origin failures),
// ejection with its back-off, return at interval ticks, decay, and the
// max_ejection_percent cap in both of Envoy's semantics.
//
// What Envoy does (source/common/upstream/outlier_detection_impl.cc):
// - every result a proxy sees from a host updates the host's counters; the
//   Nth consecutive error (the test is `==`) posts to the main thread, which
//   ejects the host (if the cap allows) and resets that counter either way;
// - a non-5xx response resets the 5xx and gateway counters;
// - "connection refused" and a connect timeout are both LocalOriginConnectFailed
//   (mapped to 503: a 5xx and a gateway error); a response timeout is 504;
// - an ejected host stays out for min(base x backoff, max_ejection_time),
//   backoff counting ejections (+1 per ejection while base x backoff <
//   max + base); it returns only at an interval tick (so between that time
//   and that time + interval); a host in for a whole interval loses one
//   backoff step per tick;
// - max_ejection_percent counts every host of the cluster, all priorities:
//   Envoy >= 1.28 refuses an ejection that would exceed it even when nothing
//   is ejected (fewer than 10 hosts at 10 %: nothing is ever ejected); older
//   Envoys always ejected the first host.
//
// Allocation-free per result: the monitors are sized at construction; the
// interval timer is one periodic event; an ejection posted to the main
// thread is one event capturing (this, host, detector).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "drsim/core/error.hpp"
#include "drsim/core/fields.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/event_kinds.hpp"

namespace drsim {

inline constexpr const char* kSourceEnvoyOutlierCode =
    "envoyproxy/envoy:source/common/upstream/outlier_detection_impl.cc@00c7146 (putHttpResponseCode, ejectHost, "
    "checkHostForUneject)";
inline constexpr const char* kSourceEnvoyOutlierDoc =
    "envoyproxy/envoy:docs/root/intro/arch_overview/upstream/outlier.rst@0336fd6";
inline constexpr const char* kSourceEnvoyOutlierProto =
    "envoyproxy/envoy:api/envoy/config/cluster/v3/outlier_detection.proto@1282f875";
inline constexpr const char* kSourceIstioOutlierApi =
    "istio/api:networking/v1alpha3/destination_rule.proto (message OutlierDetection)";
inline constexpr const char* kSourceIstioApplyOutlier =
    "istio/istio:pilot/pkg/networking/core/cluster_traffic_policy.go (applyOutlierDetection)";
inline constexpr const char* kSourceEnvoy128Mep =
    "envoyproxy/envoy:changelogs/1.28.0.yaml (outlier detection always respects max_ejection_percent; "
    "runtime guard check_mep_on_first_eject) and envoyproxy/envoy#27909";

/// Which of Envoy's two max_ejection_percent rules the proxies run.
enum class EnvoyVersion : std::uint8_t { v1_28_or_later, before_1_28 };
constexpr std::array<std::string_view, 2> enum_names(EnvoyVersion) { return {"1.28+", "before-1.28"}; }

/// A DestinationRule's outlierDetection, with the Envoy settings Istio leaves at their defaults.
struct OutlierParams {
  /// consecutive5xxErrors: 0 turns the detector off.
  std::uint32_t consecutive_5xx = 5;
  /// consecutiveGatewayErrors (502, 503, 504): 0, the default, is off (Envoy's enforcing 0).
  std::uint32_t consecutive_gateway = 0;
  Duration interval = Duration::seconds(10);
  Duration base_ejection_time = Duration::seconds(30);
  /// Envoy's max_ejection_time (Istio does not expose it): 300 s or the base, whichever is larger.
  Duration max_ejection_time = Duration::seconds(300);
  double max_ejection_percent = 10;
  /// minHealthPercent: Istio makes it the cluster's panic threshold (0: panic off).
  double min_health_percent = 0;
  bool split_external_local_origin_errors = false;
  std::uint32_t consecutive_local_origin_failures = 5;
  /// The post from the worker to the main thread that ejects (undocumented).
  Duration main_thread_delay = Duration::zero();
  EnvoyVersion envoy = EnvoyVersion::v1_28_or_later;

  [[nodiscard]] Duration effective_max_ejection_time() const {
    return max_ejection_time > base_ejection_time ? max_ejection_time : base_ejection_time;
  }
};

template <>
inline const FieldTable& fields_of<OutlierParams>() {
  static const FieldTable table = FieldTable::build<OutlierParams>("outlier_detection", [](auto& t) {
    using P = OutlierParams;
    t.means("A DestinationRule's outlierDetection as Envoy runs it for each proxy's upstream cluster; present, it "
            "also turns on locality failover and sets the panic threshold to min_health_percent (Istio)");
    t.add("consecutive_5xx_errors", &P::consecutive_5xx).range(0, 1e6).in_unit("errors")
        .means("consecutive 5xx (connect failures and timeouts included, as 503/504) that eject a host, on exactly "
               "the Nth; 0 off")
        .source_is(std::string(kSourceIstioOutlierApi) + "; " + kSourceEnvoyOutlierCode);
    t.add("consecutive_gateway_errors", &P::consecutive_gateway).range(0, 1e6).in_unit("errors")
        .means("consecutive 502/503/504 (connect failures and timeouts included) that eject a host; 0 off (Envoy's "
               "enforcing default is 0; without effect at or above consecutive_5xx_errors)")
        .source_is(std::string(kSourceIstioApplyOutlier) + "; " + kSourceEnvoyOutlierProto);
    t.add("interval", &P::interval).period().in_unit("s")
        .means("the ejection sweep: an ejected host returns only at a tick (inference from the code: out for "
               "[ejection time, ejection time + interval)), and a host in for a whole interval loses one back-off step")
        .source_is(std::string(kSourceEnvoyOutlierCode) + "; " + kSourceEnvoyOutlierDoc);
    t.add("base_ejection_time", &P::base_ejection_time).positive().in_unit("s")
        .means("an ejection lasts base x (number of ejections, decayed), capped by max_ejection_time")
        .source_is(kSourceIstioOutlierApi);
    t.add("max_ejection_time", &P::max_ejection_time).positive().in_unit("s")
        .means("Envoy's cap on an ejection (Istio does not set it): 300 s or base_ejection_time, whichever is larger")
        .source_is(kSourceEnvoyOutlierProto);
    t.add("max_ejection_percent", &P::max_ejection_percent).range(0, 100).in_unit("%")
        .means("ejected hosts at most, over every host of the cluster (all priorities, an east-west gateway one "
               "host); Envoy >= 1.28 applies it to the first ejection too: under 10 hosts at 10 % nothing is ejected")
        .source_is(std::string(kSourceEnvoyOutlierCode) + "; " + kSourceEnvoy128Mep);
    t.add("min_health_percent", &P::min_health_percent).range(0, 100).in_unit("%")
        .means("Istio sets the cluster's panic threshold to it when outlier detection is present (0: panic off, "
               "\"no healthy upstream\" once every host is out)")
        .source_is(kSourceIstioApplyOutlier);
    t.add("split_external_local_origin_errors", &P::split_external_local_origin_errors)
        .means("connect failures and timeouts count apart (consecutive_local_origin_failures), not as 5xx")
        .source_is(kSourceIstioOutlierApi);
    t.add("consecutive_local_origin_failures", &P::consecutive_local_origin_failures).range(0, 1e6).in_unit("errors")
        .means("with the split: consecutive connect failures and timeouts that eject a host; 0 off")
        .source_is(kSourceIstioOutlierApi);
    t.add("main_thread_delay", &P::main_thread_delay).in_unit("s")
        .means("from the Nth error to the ejection (the worker posts it to the main thread; undocumented, 0 is "
               "drsim's choice; envoy#40697 reports errors slipping through meanwhile)")
        .source_is("assumption");
    t.add("envoy", &P::envoy)
        .means("the proxies' Envoy: 1.28+ caps the first ejection by max_ejection_percent too, before-1.28 always "
               "ejects the first host")
        .source_is(kSourceEnvoy128Mep);
  });
  return table;
}

/// What a proxy saw from one attempt to a host.
enum class UpstreamResult : std::uint8_t {
  success,         ///< a non-5xx response
  http_5xx,        ///< a 5xx other than a gateway error (500)
  gateway_error,   ///< a 502/503/504 response
  connect_failed,  ///< refused, reset before headers or connect timeout: local origin, 503
  timeout,         ///< the per-try or route timeout: local origin, 504
};

/// Told of every ejection and return (a function pointer and its context).
struct OutlierListener {
  void* context = nullptr;
  void (*on_change)(void* context, std::uint16_t host, bool ejected) = nullptr;
};

/// One proxy's outlier detector over the hosts of one upstream cluster.
class OutlierDetector {
 public:
  static constexpr EventKind kTickEvent = EventKind::outlier_tick;
  static constexpr EventKind kEjectEvent = EventKind::outlier_eject;

  using Listener = OutlierListener;

  OutlierDetector(Simulator& sim, const OutlierParams& params, std::size_t hosts, Listener listener = {},
                  std::uint16_t component = 0)
      : sim_(&sim), p_(params), monitors_(hosts), listener_(listener), component_(component) {
    if (hosts == 0 || hosts > 0xFFFF) throw ParameterError("outlier detection: 1 to 65535 hosts");
    if (p_.interval <= Duration::zero()) throw ParameterError("outlier detection: the interval must be positive");
    present_ = hosts;
  }
  OutlierDetector(const OutlierDetector&) = delete;
  OutlierDetector& operator=(const OutlierDetector&) = delete;
  ~OutlierDetector() { stop(); }

  /// Starts the interval timer; its first tick `phase` from now (Envoy arms it
  /// when the cluster is created).
  void start(Duration phase) {
    stop();
    timer_ = sim_->every_from(sim_->now() + phase, p_.interval, [this] { tick(); }, tag(kTickEvent, component_));
  }
  void stop() {
    if (timer_.valid()) sim_->cancel(timer_);
    timer_ = EventHandle{};
  }

  /// A host joins or leaves the cluster (EDS): a leaving host's monitor goes
  /// (an ejected one no longer counts), a joining one starts afresh.
  void set_present(std::uint16_t h, bool present) {
    Monitor& m = monitors_[h];
    if (m.present == present) return;
    if (!present && m.ejected) --ejected_;
    m = Monitor{};
    m.present = present;
    present_ += present ? 1 : -1;
  }

  /// The result of one attempt to host `h`.
  void report(std::uint16_t h, UpstreamResult r) {
    Monitor& m = monitors_[h];
    if (!m.present) return;
    const bool local_origin = r == UpstreamResult::connect_failed || r == UpstreamResult::timeout;
    if (p_.split_external_local_origin_errors && local_origin) {
      if (p_.consecutive_local_origin_failures > 0 && ++m.local == p_.consecutive_local_origin_failures)
        post(h, Detector::local_origin);
      return;
    }
    if (r == UpstreamResult::success) {
      m.c5xx = m.gateway = m.local = 0;
      return;
    }
    if (r == UpstreamResult::http_5xx) {
      m.gateway = 0;
    } else if (p_.consecutive_gateway > 0 && ++m.gateway == p_.consecutive_gateway) {
      post(h, Detector::gateway);
    }
    if (p_.consecutive_5xx > 0 && ++m.c5xx == p_.consecutive_5xx) post(h, Detector::c5xx);
  }

  [[nodiscard]] bool ejected(std::uint16_t h) const { return monitors_[h].ejected; }
  [[nodiscard]] bool present(std::uint16_t h) const { return monitors_[h].present; }
  [[nodiscard]] std::size_t hosts() const { return monitors_.size(); }
  [[nodiscard]] std::size_t ejections_active() const { return ejected_; }
  /// Ejections so far (each counted once, when it happens).
  [[nodiscard]] std::uint64_t ejections() const { return ejections_; }
  /// Ejections refused by max_ejection_percent.
  [[nodiscard]] std::uint64_t refused_ejections() const { return refused_; }
  /// The host's ejection multiplier (Envoy's ejectTimeBackoff).
  [[nodiscard]] std::uint32_t backoff(std::uint16_t h) const { return monitors_[h].backoff; }
  [[nodiscard]] const OutlierParams& params() const { return p_; }

 private:
  enum class Detector : std::uint8_t { c5xx, gateway, local_origin };
  struct Monitor {
    std::uint32_t c5xx = 0, gateway = 0, local = 0;
    std::uint32_t backoff = 0;
    TimePoint ejected_at, unejected_at;
    bool ever_unejected = false;
    bool ejected = false;
    bool present = true;
  };

  [[nodiscard]] static EventTag tag(EventKind k, std::uint16_t c) { return drsim::tag(k, c); }

  void post(std::uint16_t h, Detector d) {
    if (p_.main_thread_delay <= Duration::zero()) {
      eject(h, d);
      return;
    }
    const auto di = static_cast<std::uint8_t>(d);
    sim_->after(p_.main_thread_delay, [this, h, di] { eject(h, static_cast<Detector>(di)); }, tag(kEjectEvent, component_));
  }

  /// The main thread's part: reset the counter that fired, then eject if the cap allows.
  void eject(std::uint16_t h, Detector d) {
    Monitor& m = monitors_[h];
    if (!m.present || m.ejected) return;
    (d == Detector::c5xx ? m.c5xx : d == Detector::gateway ? m.gateway : m.local) = 0;
    const double n = static_cast<double>(present_ == 0 ? 1 : present_);
    const double percent = 100.0 * static_cast<double>(ejected_ + 1) / n;
    bool allowed = percent <= p_.max_ejection_percent;
    if (p_.envoy == EnvoyVersion::before_1_28) allowed = allowed || ejected_ == 0;
    if (!allowed) {
      ++refused_;
      return;
    }
    m.ejected = true;
    m.ejected_at = sim_->now();
    ++ejected_;
    ++ejections_;
    const Duration base = p_.base_ejection_time, max = p_.effective_max_ejection_time();
    if (base * static_cast<std::int64_t>(m.backoff) < max + base) ++m.backoff;
    if (listener_.on_change) listener_.on_change(listener_.context, h, true);
  }

  [[nodiscard]] Duration ejection_time(const Monitor& m) const {
    const Duration t = p_.base_ejection_time * static_cast<std::int64_t>(m.backoff);
    const Duration max = p_.effective_max_ejection_time();
    return t < max ? t : max;
  }

  void tick() {
    const TimePoint now = sim_->now();
    for (std::size_t i = 0; i < monitors_.size(); ++i) {
      Monitor& m = monitors_[i];
      if (!m.present) continue;
      if (!m.ejected) {
        if (m.backoff > 0 && m.ever_unejected && now - m.unejected_at >= p_.interval) --m.backoff;
        continue;
      }
      if (ejection_time(m) <= now - m.ejected_at) {
        m.ejected = false;
        m.ever_unejected = true;
        m.unejected_at = now;
        m.c5xx = m.gateway = m.local = 0;
        --ejected_;
        if (listener_.on_change) listener_.on_change(listener_.context, static_cast<std::uint16_t>(i), false);
      }
    }
  }

  Simulator* sim_;
  OutlierParams p_;
  std::vector<Monitor> monitors_;
  Listener listener_;
  std::uint16_t component_;
  std::size_t present_ = 0, ejected_ = 0;
  std::uint64_t ejections_ = 0, refused_ = 0;
  EventHandle timer_;
};

}  // namespace drsim
