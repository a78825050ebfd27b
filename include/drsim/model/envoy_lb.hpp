// An Envoy upstream cluster as one proxy sees it: hosts grouped into
// priorities, the load each priority gets from the share of its hosts that
// are healthy (overprovisioning factor 1.4, Envoy's integer arithmetic), the
// panic threshold, and the choice of a host; outlier detection
// (outlier_detection.hpp) marks hosts out, EDS adds and removes them.
//
// Envoy (source/common/upstream/load_balancer_impl.cc,
// recalculatePerPriorityState, distributeLoad, recalculatePerPriorityPanic,
// recalculateLoadInTotalPanic):
//   health(P)   = min(100, 140 * healthy(P) / hosts(P))          integer division
//   total       = min(100, sum of health)
//   load(P)     = min(left, health(P) * 100 / total)             in priority order
//   what rounding leaves goes to the first priority with health > 0;
//   panic(P)    = total < 100 and 100 * healthy(P) / hosts(P) < threshold;
//   every priority in panic: load by host counts, any host of the priority;
//   threshold 0 and total 0: no host ("no healthy upstream", 503).
// Health counts hosts, not weights (weighted_priority_health is off by
// default), so an east-west gateway standing for N remote pods is one host.
//
// Host choice within a priority is by weight at random (drsim's choice;
// Istio's default LEAST_REQUEST with equal loads is close to it). No
// allocation: priorities are fixed arrays, the load is recomputed only when a
// host's health or membership changes.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drsim/core/error.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/model/outlier_detection.hpp"

namespace drsim {

inline constexpr const char* kSourceEnvoyPriority =
    "envoyproxy/envoy:docs/root/intro/arch_overview/upstream/load_balancing/priority.rst and "
    "source/common/upstream/load_balancer_impl.cc (recalculatePerPriorityState, distributeLoad)";
inline constexpr const char* kSourceEnvoyPanic =
    "envoyproxy/envoy:docs/root/intro/arch_overview/upstream/load_balancing/panic_threshold.rst@0d03076 and "
    "source/common/upstream/load_balancer_impl.cc (recalculatePerPriorityPanic, recalculateLoadInTotalPanic)";

inline constexpr const char* kSourceIstioLbPriority =
    "istio/istio:pilot/pkg/networking/core/loadbalancer/loadbalancer.go (applyLocalityFailover) and "
    "pilot/pkg/networking/util/util.go (LbPriority)";

inline constexpr std::size_t kMaxPriorities = 8;

/// Where a proxy or an endpoint is: region/zone/subzone (drsim's clusters name
/// a region only; zone and subzone then stay empty and match).
struct Locality {
  std::string_view region, zone, subzone;
};

/// A DestinationRule's localityLbSetting.failover entry: from region -> to region.
struct LocalityFailoverRule {
  std::string from, to;
};

/// Istio's priority of an endpoint for a proxy, before compaction: 0 region,
/// zone and subzone match; 1 region and zone; 2 region; 3 nothing; 4 when a
/// failover rule exists for the proxy's region and points elsewhere.
inline std::uint32_t istio_lb_priority(const Locality& proxy, const Locality& endpoint,
                                       const std::vector<LocalityFailoverRule>& failover = {}) {
  std::uint32_t p = 3;
  if (proxy.region == endpoint.region) p = proxy.zone != endpoint.zone ? 2 : proxy.subzone != endpoint.subzone ? 1 : 0;
  if (p > 2)
    for (const auto& rule : failover)
      if (rule.from == proxy.region) {
        if (endpoint.region != rule.to) p = 4;
        break;
      }
  return p;
}

/// Istio compacts the priorities to 0..N with no gaps, keeping their order.
inline void compact_priorities(std::vector<std::uint32_t>& priorities) {
  std::vector<std::uint32_t> used = priorities;
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  for (auto& p : priorities)
    p = static_cast<std::uint32_t>(std::lower_bound(used.begin(), used.end(), p) - used.begin());
}

/// One priority's host counts.
struct PriorityHosts {
  std::uint32_t healthy = 0;
  std::uint32_t total = 0;
};

/// The load Envoy gives each priority, in percent, and which ones are in panic.
struct PriorityLoad {
  std::array<std::uint32_t, kMaxPriorities> load{};
  std::array<std::uint32_t, kMaxPriorities> health{};
  std::array<bool, kMaxPriorities> panic{};
  std::size_t priorities = 0;
  /// Panic off and nothing available: every request gets "no healthy upstream".
  bool no_host = false;
};

/// Envoy's priority load for the given priorities (at most kMaxPriorities).
/// `overprovisioning` in percent (140 = 1.4); `panic_threshold` in percent.
inline PriorityLoad priority_load(const PriorityHosts* levels, std::size_t n, std::uint32_t overprovisioning = 140,
                                  double panic_threshold = 50) {
  if (n == 0 || n > kMaxPriorities) throw ParameterError("priority load: 1 to 8 priorities");
  PriorityLoad out;
  out.priorities = n;
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& l = levels[i];
    out.health[i] = l.total == 0 ? 0
                                 : static_cast<std::uint32_t>(std::min<std::uint64_t>(
                                       100, std::uint64_t{overprovisioning} * l.healthy / l.total));
    sum += out.health[i];
  }
  const std::uint32_t total = std::min<std::uint32_t>(100, sum);
  if (total > 0) {
    std::uint32_t left = 100;
    int first = -1;
    for (std::size_t i = 0; i < n; ++i) {
      if (first < 0 && out.health[i] > 0) first = static_cast<int>(i);
      out.load[i] = std::min<std::uint32_t>(left, out.health[i] * 100 / total);
      left -= out.load[i];
    }
    if (left > 0) out.load[static_cast<std::size_t>(first)] += left;
  }
  const double threshold = std::min(100.0, panic_threshold);
  if (threshold <= 0 && total == 0) {
    out.load = {};
    out.load[0] = 100;
    out.no_host = true;
    return out;
  }
  bool all = true;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& l = levels[i];
    const double healthy_pct = l.total == 0 ? 0.0 : 100.0 * l.healthy / l.total;
    out.panic[i] = total == 100 ? false : healthy_pct < threshold;
    all = all && out.panic[i];
  }
  if (all) {
    // Total panic: load by host counts, healthy or not.
    std::uint32_t hosts = 0;
    for (std::size_t i = 0; i < n; ++i) hosts += levels[i].total;
    out.load = {};
    if (hosts == 0) {
      out.load[0] = 100;
      out.no_host = true;  // nothing to send to at all
      return out;
    }
    std::uint32_t left = 100;
    int first = -1;
    for (std::size_t i = 0; i < n; ++i) {
      if (first < 0 && levels[i].total > 0) first = static_cast<int>(i);
      out.load[i] = 100 * levels[i].total / hosts;
      left -= out.load[i];
    }
    out.load[static_cast<std::size_t>(first)] += left;
  }
  return out;
}

/// One upstream host of a cluster: a pod, or an east-west gateway standing
/// for a remote cluster's pods.
struct UpstreamHost {
  std::uint16_t cluster = 0;  ///< where the calls it takes are served
  std::uint8_t priority = 0;
  std::uint32_t weight = 1;
  bool east_west = false;
};

/// Told of every ejection and return: (context, cluster id, host, ejected).
struct UpstreamListener {
  void* context = nullptr;
  void (*on_change)(void* context, std::uint32_t id, std::uint16_t host, bool ejected) = nullptr;
};

/// A proxy's upstream cluster: its hosts, their membership (EDS), outlier
/// detection, the priority load and host choice.
class UpstreamCluster {
 public:
  static constexpr std::uint16_t npos = 0xFFFF;

  struct Settings {
    std::uint32_t overprovisioning = 140;
    double panic_threshold = 50;  ///< percent; Istio: min_health_percent when outlier detection is set
    std::optional<OutlierParams> outlier;
  };

  using Listener = UpstreamListener;

  UpstreamCluster(Simulator& sim, std::vector<UpstreamHost> hosts, const Settings& settings, std::uint32_t id = 0,
                  Listener listener = {})
      : hosts_(std::move(hosts)), present_(hosts_.size(), true), settings_(settings), id_(id), listener_(listener) {
    if (hosts_.empty() || hosts_.size() >= npos) throw ParameterError("upstream cluster: 1 to 65534 hosts");
    for (const auto& h : hosts_) {
      if (h.priority >= kMaxPriorities) throw ParameterError("upstream cluster: priorities 0 to 7");
      levels_ = std::max<std::size_t>(levels_, h.priority + 1u);
    }
    if (settings_.outlier)
      outlier_.emplace(sim, *settings_.outlier, hosts_.size(),
                       OutlierDetector::Listener{this, [](void* c, std::uint16_t h, bool e) {
                                                   static_cast<UpstreamCluster*>(c)->changed(h, e);
                                                 }},
                       static_cast<std::uint16_t>(id));
    recompute();
  }
  UpstreamCluster(const UpstreamCluster&) = delete;
  UpstreamCluster& operator=(const UpstreamCluster&) = delete;

  /// Starts outlier detection's interval timer (first tick after `phase`).
  void start(Duration phase) {
    if (outlier_) outlier_->start(phase);
  }

  [[nodiscard]] std::size_t size() const { return hosts_.size(); }
  [[nodiscard]] const UpstreamHost& host(std::uint16_t h) const { return hosts_[h]; }
  [[nodiscard]] std::size_t priorities() const { return levels_; }
  [[nodiscard]] bool present(std::uint16_t h) const { return present_[h]; }
  [[nodiscard]] bool ejected(std::uint16_t h) const { return outlier_ && outlier_->ejected(h); }
  [[nodiscard]] bool healthy(std::uint16_t h) const { return present_[h] && !ejected(h); }
  [[nodiscard]] const PriorityLoad& load() const { return load_; }
  [[nodiscard]] OutlierDetector* outlier() { return outlier_ ? &*outlier_ : nullptr; }
  [[nodiscard]] const OutlierDetector* outlier() const { return outlier_ ? &*outlier_ : nullptr; }

  /// EDS adds or removes a host.
  void set_present(std::uint16_t h, bool present) {
    if (present_[h] == present) return;
    present_[h] = present;
    if (outlier_) outlier_->set_present(h, present);
    recompute();
  }

  /// The result of an attempt to host `h`, for outlier detection.
  void report(std::uint16_t h, UpstreamResult r) {
    if (outlier_) outlier_->report(h, r);
  }

  /// Chooses a host: a priority by load (with the priorities in `skip`
  /// treated as having no healthy host, as Envoy's previous_priorities does
  /// for a retry), then a host of it by weight; a host in `avoid` (bit h % 64)
  /// is drawn again up to `redraws` times (previous_hosts). npos: no healthy
  /// upstream.
  std::uint16_t pick(RandomStream& rng, std::uint8_t skip = 0, std::uint64_t avoid = 0, int redraws = 0) {
    const PriorityLoad* l = &load_;
    PriorityLoad skipped;
    if (skip != 0) {
      std::array<PriorityHosts, kMaxPriorities> lv = counts_;
      bool any = false;
      for (std::size_t p = 0; p < levels_; ++p) {
        if (skip & (1u << p)) lv[p].healthy = 0;
        any = any || lv[p].healthy > 0;
      }
      if (any) {
        skipped = priority_load(lv.data(), levels_, settings_.overprovisioning, settings_.panic_threshold);
        l = &skipped;
      }
    }
    if (l->no_host) return npos;
    std::uint16_t chosen = npos;
    for (int attempt = 0; attempt <= redraws; ++attempt) {
      const std::uint32_t x = static_cast<std::uint32_t>(rng.below(100));
      std::uint32_t acc = 0;
      std::size_t p = 0;
      for (; p + 1 < levels_; ++p) {
        acc += l->load[p];
        if (x < acc) break;
      }
      chosen = pick_in(p, l->panic[p], rng);
      if (chosen == npos || (avoid & (std::uint64_t{1} << (chosen % 64))) == 0) break;
    }
    return chosen;
  }

 private:
  std::uint16_t pick_in(std::size_t p, bool panic, RandomStream& rng) const {
    std::uint64_t total = 0;
    for (std::size_t h = 0; h < hosts_.size(); ++h)
      if (eligible(h, p, panic)) total += hosts_[h].weight;
    if (total == 0) return npos;
    std::uint64_t x = rng.below(total);
    for (std::size_t h = 0; h < hosts_.size(); ++h) {
      if (!eligible(h, p, panic)) continue;
      if (x < hosts_[h].weight) return static_cast<std::uint16_t>(h);
      x -= hosts_[h].weight;
    }
    return npos;
  }
  [[nodiscard]] bool eligible(std::size_t h, std::size_t p, bool panic) const {
    const auto hi = static_cast<std::uint16_t>(h);
    return hosts_[h].priority == p && present_[h] && (panic || !ejected(hi));
  }

  void changed(std::uint16_t h, bool ejected) {
    recompute();
    if (listener_.on_change) listener_.on_change(listener_.context, id_, h, ejected);
  }

  void recompute() {
    counts_ = {};
    for (std::size_t h = 0; h < hosts_.size(); ++h) {
      if (!present_[h]) continue;
      auto& c = counts_[hosts_[h].priority];
      ++c.total;
      if (!ejected(static_cast<std::uint16_t>(h))) ++c.healthy;
    }
    load_ = priority_load(counts_.data(), levels_, settings_.overprovisioning, settings_.panic_threshold);
  }

  std::vector<UpstreamHost> hosts_;
  std::vector<bool> present_;
  Settings settings_;
  std::uint32_t id_;
  Listener listener_;
  std::size_t levels_ = 1;
  std::optional<OutlierDetector> outlier_;
  std::array<PriorityHosts, kMaxPriorities> counts_{};
  PriorityLoad load_;
};

}  // namespace drsim
