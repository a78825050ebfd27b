// The cloud load balancer in front of a gateway (one public address per
// cluster) and the condition of what stands behind it.
//
// What a client's connect sees depends on both: a deleted gateway Deployment
// leaves the nodes registered (externalTrafficPolicy Cluster) and kube-proxy
// refuses the connection; with Local the node drops it. Once the balancer's
// own backend health check has marked every backend down, its stated
// no-healthy-backend behaviour applies (refuse or drop: UNCONFIRMED for
// Alibaba CLB, so a parameter). A region outage takes the balancer with it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "drsim/core/fields.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/event_kinds.hpp"
#include "drsim/model/event_log.hpp"
#include "drsim/model/gtm.hpp"
#include "drsim/model/sources.hpp"
#include "drsim/model/topology.hpp"

namespace drsim {

/// What a new TCP connection to an address gets.
enum class ConnectResult : std::uint8_t { accept, refuse, drop };

enum class NoBackendBehaviour : std::uint8_t { refuse, drop };
constexpr std::array<std::string_view, 2> enum_names(NoBackendBehaviour) { return {"refuse", "drop"}; }
enum class TrafficPolicy : std::uint8_t { cluster, local };
constexpr std::array<std::string_view, 2> enum_names(TrafficPolicy) { return {"Cluster", "Local"}; }

/// Condition of the gateway behind a balancer, set by faults.
enum class GatewayCondition : std::uint8_t {
  serving,
  deleted,     // no endpoints (Deployment deleted)
  blackholed,  // packets silently dropped
  lb_down,     // the region (and its balancer) is gone
};

struct LoadBalancerParams {
  // Alibaba CLB via the cloud controller: TCP check every 2 s, unhealthy after
  // 3 failures, connect timeout 5 s (domain-facts.md section 5).
  Duration health_check_interval = Duration::seconds(2);
  int unhealthy_threshold = 3;
  int healthy_threshold = 3;
  NoBackendBehaviour when_no_backend = NoBackendBehaviour::refuse;
  TrafficPolicy traffic_policy = TrafficPolicy::cluster;
};

template <>
inline const FieldTable& fields_of<LoadBalancerParams>() {
  static const FieldTable table = FieldTable::build<LoadBalancerParams>("load balancer", [](auto& t) {
    using P = LoadBalancerParams;
    t.means("The cloud load balancer in front of the gateway and its own backend health check");
    t.add("health_check_interval", &P::health_check_interval).period().in_unit("s")
        .means("time between the balancer's TCP checks of its backends").source_is(kSourceAlibabaClbAnnotations);
    t.add("unhealthy_threshold", &P::unhealthy_threshold).range(1, 100).in_unit("failed checks")
        .means("consecutive failed checks after which a backend is marked down").source_is(kSourceAlibabaClbAnnotations);
    t.add("healthy_threshold", &P::healthy_threshold).range(1, 100).in_unit("passed checks")
        .means("consecutive passed checks after which it is marked up again").source_is(kSourceAlibabaClbAnnotations);
    t.add("when_no_backend", &P::when_no_backend)
        .means("what a client's connect gets once every backend is marked down: a refusal or silence (not "
               "documented for CLB: a parameter)")
        .source_is("assumption");
    t.add("external_traffic_policy", &P::traffic_policy)
        .means("the Service's externalTrafficPolicy: with Cluster a node without endpoints refuses (kube-proxy "
               "rejects), with Local drsim drops the packets (kube-proxy drops only while endpoints remain on other "
               "nodes; with none anywhere it rejects under Local too)")
        .source_is(kSourceKubeProxyReject);
  });
  return table;
}

class LoadBalancer {
 public:
  LoadBalancer(Simulator& sim, std::string name, LoadBalancerParams p, EventLog* log, std::uint16_t component_id)
      : sim_(&sim), name_(std::move(name)), p_(p), log_(log), component_(component_id) {}

  /// Starts the backend health checker on a phase drawn from `rng`.
  void start(RandomStream& rng) {
    const auto phase = Duration::from_seconds(rng.uniform(0, p_.health_check_interval.seconds_f()));
    sim_->every_from(sim_->now() + phase, p_.health_check_interval, [this] { check_backends(); },
                     tag(EventKind::lb_health_check, component_));
  }

  [[nodiscard]] ConnectResult connect() const {
    switch (condition_) {
      case GatewayCondition::serving: return ConnectResult::accept;
      case GatewayCondition::blackholed:
      case GatewayCondition::lb_down: return ConnectResult::drop;
      case GatewayCondition::deleted:
        if (backends_marked_down_) {
          return p_.when_no_backend == NoBackendBehaviour::refuse ? ConnectResult::refuse : ConnectResult::drop;
        }
        return p_.traffic_policy == TrafficPolicy::cluster ? ConnectResult::refuse : ConnectResult::drop;
    }
    return ConnectResult::accept;
  }

  void set_condition(GatewayCondition c) {
    condition_ = c;
    changed();
  }
  /// Called after anything a connect or a reply sees has changed (for
  /// populations run in aggregate, which read the states afterwards).
  void on_change(std::function<void()> f) { on_change_ = std::move(f); }
  [[nodiscard]] GatewayCondition condition() const { return condition_; }
  [[nodiscard]] bool backends_marked_down() const { return backends_marked_down_; }
  /// Gray failure: a share of served requests fail (503) and all slow down.
  void set_gray(double error_share, Duration extra_latency) {
    gray_error_share_ = error_share;
    gray_extra_latency_ = extra_latency;
    changed();
  }
  [[nodiscard]] double gray_error_share() const { return gray_error_share_; }
  [[nodiscard]] Duration gray_extra_latency() const { return gray_extra_latency_; }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  void changed() {
    if (on_change_) on_change_();
  }
  void check_backends() {
    if (condition_ == GatewayCondition::lb_down) return;  // nothing left to check from
    const bool ok = condition_ == GatewayCondition::serving;
    if (ok) {
      fails_ = 0;
      if (backends_marked_down_ && ++oks_ >= p_.healthy_threshold) {
        backends_marked_down_ = false;
        changed();
        if (log_) log_->add(sim_->now(), "lb/" + name_, "backends_healthy", "backend health check passes again");
      }
    } else {
      oks_ = 0;
      if (!backends_marked_down_ && ++fails_ >= p_.unhealthy_threshold) {
        backends_marked_down_ = true;
        changed();
        if (log_) log_->add(sim_->now(), "lb/" + name_, "backends_unhealthy", "every backend marked unhealthy");
      }
    }
  }

  Simulator* sim_;
  std::string name_;
  LoadBalancerParams p_;
  EventLog* log_;
  std::uint16_t component_;
  GatewayCondition condition_ = GatewayCondition::serving;
  bool backends_marked_down_ = false;
  int fails_ = 0, oks_ = 0;
  double gray_error_share_ = 0;
  Duration gray_extra_latency_;
  std::function<void()> on_change_;
};

/// What the GTM's probes of the gateway addresses see: the path from the
/// probe site (none while partitioned: the probe times out) and the balancer.
/// ping is answered while the balancer stands, whatever is behind it; tcp
/// sees the balancer's accept, refuse or drop; http also sees gray-failure
/// errors and latency.
class GatewayProbes final : public ProbeTarget {
 public:
  /// `gray` is the stream gray-failure draws share with the requests.
  GatewayProbes(const Topology& topology, const std::vector<LoadBalancer>& balancers, RandomStream& gray)
      : topo_(&topology), lbs_(&balancers), gray_(&gray) {}

  ProbeResult probe(std::size_t address, std::size_t site, ProbeProtocol protocol, Duration timeout,
                    TimePoint) override {
    const auto rtt = topo_->rtt(site, topo_->region_node(topo_->clusters()[address].region));
    if (!rtt) return {false, timeout};
    const LoadBalancer& lb = (*lbs_)[address];
    const ConnectResult cr = lb.connect();
    switch (protocol) {
      case ProbeProtocol::ping:
        if (lb.condition() == GatewayCondition::lb_down || lb.condition() == GatewayCondition::blackholed)
          return {false, timeout};
        return {true, *rtt};
      case ProbeProtocol::tcp:
        if (cr == ConnectResult::accept) return {true, *rtt};
        if (cr == ConnectResult::refuse) return {false, *rtt};
        return {false, timeout};
      case ProbeProtocol::http:
        if (cr == ConnectResult::refuse) return {false, *rtt};
        if (cr == ConnectResult::drop) return {false, timeout};
        if (lb.gray_error_share() > 0 && gray_->bernoulli(lb.gray_error_share())) return {false, *rtt * 2};
        return {true, *rtt * 2 + lb.gray_extra_latency()};
    }
    return {true, *rtt};
  }

 private:
  const Topology* topo_;
  const std::vector<LoadBalancer>* lbs_;
  RandomStream* gray_;
};

}  // namespace drsim
