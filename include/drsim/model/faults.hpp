// Faults on a timeline: what breaks, when, and when it recovers.
//
// A FaultSpec says what breaks; the FaultInjector schedules each fault's
// start (drawn per replication when its time is a range) and end, and
// changes the state of the components it hits: a balancer's condition and
// the gateway Deployment behind it, a gray failure's error share and extra
// latency, topology links, the GTM's reachability. It never touches a
// request: the request path sees the faults through those components.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drsim/core/fields.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/dns.hpp"
#include "drsim/model/event_kinds.hpp"
#include "drsim/model/event_log.hpp"
#include "drsim/model/gateway_deployment.hpp"
#include "drsim/model/load_balancer.hpp"
#include "drsim/model/mesh_traffic.hpp"
#include "drsim/model/topology.hpp"

namespace drsim {

enum class FaultKind : std::uint8_t {
  gateway_deleted,     // gateway Deployment deleted: connections refused (see LoadBalancer)
  gateway_blackholed,  // packets to the gateway dropped: connect timeouts
  region_outage,       // the whole region: every balancer in it gone (timeouts)
  gray_failure,        // a share of requests fail with 503 and all get slower
  partition,           // links taken down (e.g. probe sites cut off from a region)
  gtm_outage,          // resolvers cannot reach the GTM (serve-stale or SERVFAIL)
  // The mesh's own faults (need a mesh section): see MeshTraffic.
  app_down,                // the app's pods in a cluster down, its gateways up
  app_deleted,             // the app's Deployment deleted: endpoints leave at once, pods drain, then go
  app_gray,                // the app in a cluster answers a share of calls 503, all of them slower
  control_plane_down,      // the cluster's istiod down: the proxies it serves keep their last config
  east_west_gateway_down,  // the cluster's east-west gateway gone: calls from other networks are refused
};
constexpr std::array<std::string_view, 11> enum_names(FaultKind) {
  return {"gateway_deleted", "gateway_blackholed", "region_outage", "gray_failure", "partition", "gtm_outage",
          "app_down", "app_deleted", "app_gray", "control_plane_down", "east_west_gateway_down"};
}

/// A fixed time, or one drawn uniformly per replication.
struct TimeSpec {
  Duration lo;
  Duration hi;  // == lo for a fixed time
  [[nodiscard]] bool random() const { return hi > lo; }
  [[nodiscard]] TimePoint draw(RandomStream& rng) const {
    if (!random()) return TimePoint::start() + lo;
    return TimePoint::start() + lo + Duration::nanoseconds(static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>((hi - lo).ns()) + 1)));
  }
};

struct FaultSpec {
  FaultKind kind = FaultKind::gateway_deleted;
  std::vector<std::size_t> clusters;                        // gateway faults, gray failure
  std::size_t region = 0;                                   // region outage
  std::vector<std::pair<std::size_t, std::size_t>> links;   // partition: node pairs whose links go down
  TimeSpec at;
  std::optional<Duration> duration;                         // recover after; nullopt: never
  double error_share = 0;                                   // gray failure
  Duration extra_latency;                                   // gray failure
};

template <>
inline const FieldTable& fields_of<FaultSpec>() {
  static const FieldTable table = FieldTable::build<FaultSpec>("fault", [](auto& t) {
    using P = FaultSpec;
    t.means("Something that breaks at a time and may recover").discriminated_by("kind");
    t.add("kind", &P::kind)
        .means("gateway_deleted: no endpoints behind the balancer; gateway_blackholed: packets dropped; "
               "region_outage: every balancer of the region gone; gray_failure: a share of requests fail with 503 "
               "and all slow down; partition: links taken down; gtm_outage: resolvers cannot reach the GTM; with a "
               "mesh section: app_down: the app's pods in the cluster down (gateways up, TCP probes pass); app_deleted: "
               "the app's Deployment deleted (endpoints leave EDS as termination starts, the pods serve through the "
               "sidecar's drain); app_gray: "
               "the app answers error_share of calls 503 and all extra_latency later; control_plane_down: the "
               "cluster's istiod (primary_remote: the primary's) down; east_west_gateway_down: the cluster's "
               "east-west gateway gone")
        .source_is("drsim convention");
    t.custom("at", FieldKind::time, "\"150s\" or {\"uniform\": [\"100s\", \"200s\"]}").must()
        .means("when it starts; a uniform start is drawn per replication");
    t.add("duration", &P::duration).positive().in_unit("s").means("recovers after this long")
        .default_is("never recovers").source_is("drsim convention");
    t.custom("target", FieldKind::reference, "a cluster or region name (region_outage: a region name)").must()
        .only({"gateway_deleted", "gateway_blackholed", "gray_failure", "region_outage", "app_down", "app_deleted",
               "app_gray", "control_plane_down", "east_west_gateway_down"})
        .means("what breaks; a region name means its cluster");
    t.add("error_share", &P::error_share).as_share().only({"gray_failure", "app_gray"}).means("share of served requests that fail")
        .source_is("drsim convention");
    t.add("extra_latency", &P::extra_latency).in_unit("s").only({"gray_failure", "app_gray"}).means("added to every response")
        .source_is("drsim convention");
    t.custom("links", FieldKind::reference, "a non-empty array of [node, node] pairs, each joined by a link").must()
        .only({"partition"}).means("every link between each pair goes down");
  });
  return table;
}

/// What the faults act on: the model's components, by cluster index.
struct FaultTargets {
  std::vector<LoadBalancer>* balancers = nullptr;
  std::vector<std::unique_ptr<GatewayDeployment>>* deployments = nullptr;  // nullptr where no capacity model
  Topology* topology = nullptr;
  GtmAuthority* authority = nullptr;
  EventLog* log = nullptr;
  MeshTraffic* mesh = nullptr;  // with a mesh section
};

class FaultInjector {
 public:
  FaultInjector(Simulator& sim, const std::vector<FaultSpec>& faults, FaultTargets targets)
      : sim_(&sim), faults_(&faults), t_(targets), faulty_(targets.balancers->size(), 0) {}

  /// Draws each fault's start and schedules its start and end.
  void start(RandomStream& rng) {
    for (std::size_t i = 0; i < faults().size(); ++i) {
      const TimePoint at = faults()[i].at.draw(rng);
      times_.push_back(at);
      const auto fi = static_cast<std::uint32_t>(i);
      const EventTag t = tag(EventKind::fault, static_cast<std::uint16_t>(i));
      sim_->at(at, [this, fi] { apply(fi, true); }, t);
      changes_.push_back(at);
      if (faults()[i].duration) {
        sim_->at(at + *faults()[i].duration, [this, fi] { apply(fi, false); }, t);
        changes_.push_back(at + *faults()[i].duration);
      }
    }
    std::sort(changes_.begin(), changes_.end());
  }

  /// When the next fault starts or ends (TimePoint::max() when none is left):
  /// nothing a fault changes changes before it.
  [[nodiscard]] TimePoint next_change_at() const {
    return applied_ < changes_.size() ? changes_[applied_] : TimePoint::max();
  }

  /// Called after each fault starts or ends.
  void on_change(std::function<void()> f) { on_change_ = std::move(f); }
  /// Whether a fault is active on the address (a request aimed there counts as "to faulty").
  [[nodiscard]] bool faulty(std::uint16_t address) const { return faulty_[address] > 0; }
  /// Each fault's drawn start, in file order (after start()).
  [[nodiscard]] const std::vector<TimePoint>& times() const { return times_; }

  /// The earliest fault that hits a gateway address, and the clusters it hits:
  /// what the headline timing figures refer to.
  struct GatewayFault {
    TimePoint at;
    std::vector<std::size_t> clusters;
  };
  [[nodiscard]] std::optional<GatewayFault> first_gateway_fault() const {
    std::optional<std::size_t> first;
    for (std::size_t i = 0; i < faults().size(); ++i) {
      const auto& f = faults()[i];
      const bool hits_gateway = !f.clusters.empty() || f.kind == FaultKind::region_outage;
      if (hits_gateway && (!first || times_[i] < times_[*first])) first = i;
    }
    if (!first) return std::nullopt;
    const auto& f = faults()[*first];
    return GatewayFault{times_[*first],
                        f.kind == FaultKind::region_outage ? t_.topology->regions().at(f.region).clusters : f.clusters};
  }

 private:
  [[nodiscard]] const std::vector<FaultSpec>& faults() const { return *faults_; }

  void mesh_fault(const FaultSpec& f, std::size_t c, bool begin) {
    MeshTraffic& m = *t_.mesh;
    switch (f.kind) {
      case FaultKind::app_down: m.set_app_down(c, begin); break;
      case FaultKind::app_deleted: m.set_app_deleted(c, begin); break;
      case FaultKind::app_gray: m.set_app_gray(c, begin ? f.error_share : 0.0, begin ? f.extra_latency : Duration::zero()); break;
      case FaultKind::control_plane_down: m.set_control_plane_down(m.istiod_of(c), begin); break;
      default: m.set_east_west_down(c, begin); break;
    }
    if (f.kind == FaultKind::app_down || f.kind == FaultKind::app_deleted || f.kind == FaultKind::app_gray)
      faulty_[c] += begin ? 1 : -1;
  }

  void apply(std::size_t i, bool begin) {
    const FaultSpec& f = faults()[i];
    const Topology& topo = *t_.topology;
    std::string what(name_of(f.kind));
    auto set_condition = [&](std::size_t c, GatewayCondition cond) {
      (*t_.balancers)[c].set_condition(begin ? cond : GatewayCondition::serving);
      faulty_[c] += begin ? 1 : -1;
      what += " " + topo.clusters()[c].name;
      // A deleted Deployment or a dead region takes the pods and the HPA's
      // target with it; a black hole in the network leaves them running.
      auto& d = (*t_.deployments)[c];
      if (d && (cond == GatewayCondition::deleted || cond == GatewayCondition::lb_down)) d->set_down(begin);
    };
    switch (f.kind) {
      case FaultKind::gateway_deleted:
        for (auto c : f.clusters) set_condition(c, GatewayCondition::deleted);
        break;
      case FaultKind::gateway_blackholed:
        for (auto c : f.clusters) set_condition(c, GatewayCondition::blackholed);
        break;
      case FaultKind::region_outage:
        for (auto c : topo.regions().at(f.region).clusters) {
          set_condition(c, GatewayCondition::lb_down);
          if (t_.mesh) t_.mesh->set_region_down(c, begin);
        }
        what += " (" + topo.regions()[f.region].name + ")";
        break;
      case FaultKind::gray_failure:
        for (auto c : f.clusters) {
          (*t_.balancers)[c].set_gray(begin ? f.error_share : 0.0, begin ? f.extra_latency : Duration::zero());
          faulty_[c] += begin ? 1 : -1;
          what += " " + topo.clusters()[c].name;
        }
        break;
      case FaultKind::partition:
        for (const auto& [a, b] : f.links) {
          for (auto l : topo.links_between(a, b)) t_.topology->set_link_up(l, !begin);
          what += " " + topo.node_name(a) + "<->" + topo.node_name(b);
        }
        break;
      case FaultKind::gtm_outage: t_.authority->set_reachable(!begin, sim_->now()); break;
      case FaultKind::app_down:
      case FaultKind::app_deleted:
      case FaultKind::app_gray:
      case FaultKind::control_plane_down:
      case FaultKind::east_west_gateway_down:
        if (!t_.mesh) throw ParameterError(what + " needs a mesh section");
        for (auto c : f.clusters) {
          mesh_fault(f, c, begin);
          what += " " + topo.clusters()[c].name;
        }
        break;
    }
    t_.log->add(sim_->now(), "fault", begin ? "fault_start" : "fault_end", what);
    ++applied_;  // the changes run in time order, so the next one is next in changes_
    if (on_change_) on_change_();
  }

  Simulator* sim_;
  const std::vector<FaultSpec>* faults_;
  FaultTargets t_;
  std::vector<int> faulty_;
  std::vector<TimePoint> times_;
  std::vector<TimePoint> changes_;  // every start and end, in time order
  std::size_t applied_ = 0;         // how many of changes_ have run
  std::function<void()> on_change_;
};

}  // namespace drsim
