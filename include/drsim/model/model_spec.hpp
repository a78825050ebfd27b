// What a failover model is made of, as plain data: the topology, one gateway
// per cluster, the GTM, resolvers, client populations, faults and alerts.
// The scenario layer fills it from a model file; FailoverModel runs it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drsim/core/error.hpp"
#include "drsim/core/fields.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/alerts.hpp"
#include "drsim/model/client.hpp"
#include "drsim/model/dns.hpp"
#include "drsim/model/faults.hpp"
#include "drsim/model/gateway_deployment.hpp"
#include "drsim/model/gtm.hpp"
#include "drsim/model/load.hpp"
#include "drsim/model/load_balancer.hpp"
#include "drsim/model/mesh_traffic.hpp"
#include "drsim/model/service_graph_spec.hpp"
#include "drsim/model/sources.hpp"
#include "drsim/model/topology.hpp"

namespace drsim {

/// The gateway behind one cluster's balancer, as the failover model sees it.
struct GatewaySpec {
  std::string address;  // the public address shown in answers and logs
  LoadBalancerParams lb;
  /// Time per request behind the gateway (the application); with no
  /// capacity model it stands for gateway and application together.
  Distribution service_time_s = Distribution::constant(0.004);
  /// Pods, queues, rate limit and HPA (a model file turns it on with
  /// `replicas`); off: unlimited capacity.
  bool capacity_model = false;
  GatewayCapacitySpec capacity;
  /// The application behind the gateway as a service call graph; when set it
  /// replaces service_time_s. nullopt: the single draw above.
  std::optional<ServiceGraphSpec> app;
  /// Cluster-local traffic retention for calls made in this cluster (the
  /// seed enables it); off, a call may go to another cluster's instance.
  bool cluster_local = true;
};

template <>
inline const FieldTable& fields_of<GatewaySpec>() {
  static const FieldTable table = FieldTable::build<GatewaySpec>("gateway", [](auto& t) {
    using P = GatewaySpec;
    auto cap = [](P& p) -> GatewayCapacitySpec& { return p.capacity; };
    t.means("The ingress gateway behind one cluster's load balancer; `replicas` turns on the capacity model "
            "(pods, rate limit, HPA), without it capacity is unlimited");
    t.add("address", &P::address).means("the public address as shown in answers and logs")
        .default_is("the cluster name").source_is("drsim convention");
    t.add("service_time", &P::service_time_s).in_unit("s")
        .means("time behind the gateway (the application); without a capacity model it stands for gateway and "
               "application together")
        .source_is("assumption");
    t.object("load_balancer", &P::lb);
    t.object("app", &P::app);
    t.add("cluster_local", &P::cluster_local)
        .means("cluster-local traffic retention for the app's calls; false: each call goes to the local or the peer "
               "cluster with equal chance (needs app)")
        .source_is(kSourceSeedDrill);
    t.add("replicas", [cap](P& p) -> auto& { return cap(p).replicas; }).range(1, 100000).in_unit("replicas")
        .expecting("(zero capacity serves nothing)")
        .means("gateway pods at t = 0, ready at once; within the HPA's [min_replicas, max_replicas]")
        .default_is("absent: no capacity model").source_is("drsim convention");
    t.group("pod", "One gateway pod (an Envoy process)", [cap](auto& pod) {
      pod.add("workers", [cap](P& p) -> auto& { return cap(p).pod.workers; }).range(1, 1024).in_unit("workers")
          .means("requests a pod serves at once (Envoy worker threads)").source_is(kSourceIstioConcurrency);
      pod.add("cpu_per_request", [cap](P& p) -> auto& { return cap(p).pod.service_time; }).in_unit("CPU s")
          .means("CPU one request costs; negative draws count as 0").source_is("assumption");
      pod.add("max_pending", [cap](P& p) -> auto& { return cap(p).pod.max_pending; }).range(0, 4294967295.0)
          .in_unit("requests")
          .means("requests a pod holds beyond its busy workers before 503 UO (Envoy's circuit-breaker default; Istio "
                 "raises it to 4294967295 unless a DestinationRule sets it)")
          .source_is(std::string(kSourceEnvoyCircuitBreakers) + "; " + kSourceIstioCircuitBreakers);
      pod.add("startup_time", [cap](P& p) -> auto& { return cap(p).startup_s; }).in_unit("s")
          .means("from scheduling to Ready, for pods the HPA adds (anecdotally 5-10 s)").source_is("assumption");
    });
    t.value(
         "cpu_request", FieldKind::cpu,
         [](const P& p) -> FieldValue { return static_cast<double>(p.capacity.cpu_request.millicores()) / 1000.0; },
         [](P& p, const FieldValue& v) {
           p.capacity.cpu_request = CpuQuantity::millicores(static_cast<std::int64_t>(std::llround(std::get<double>(v) * 1000)));
         })
        .in_unit("cores").means("the pod's CPU request; the HPA's utilisation divides by it")
        .source_is(kSourceIstioGatewayChart);
    t.add("rejected_cpu_share", [cap](P& p) -> auto& { return cap(p).rejected_cpu_share; }).as_share()
        .means("CPU of a 429 as a share of a served request's mean CPU (undocumented: a parameter)")
        .source_is("assumption");
    t.object("rate_limit", [cap](P& p) -> auto& { return cap(p).rate_limit; });
    t.object("hpa", [cap](P& p) -> auto& { return cap(p).hpa; });
  });
  return table;
}

/// A group of clients with one profile and one load.
struct PopulationSpec {
  std::string name = "clients";
  std::size_t site = 0;  // topology node the clients sit at
  ClientProfile profile;
  LoadSpec load;
  std::vector<std::pair<std::size_t, double>> resolvers;  // (resolver index, share)
  /// Run in aggregate (aggregated_clients.hpp): set for the groups of a
  /// population section whose execution is aggregated and that qualify.
  bool aggregate = false;
};

template <>
inline const FieldTable& fields_of<PopulationSpec>() {
  static const FieldTable table = FieldTable::build<PopulationSpec>("clients", [](auto& t) {
    using P = PopulationSpec;
    t.means("A population of clients at one site, with one client profile and one load")
        .states("client {name}", "{profile.name}: {profile.dns_cache:phrase}, {profile.choice:phrase}"
                                 "{profile.fallback_on_refused?, falls back on refusal|, no fallback}, "
                                 "keepalive {profile.keepalive?on|off}");
    t.add("name", &P::name).must().means("the population's name");
    t.custom("site", FieldKind::reference, "the name of a site of kind client").must().means("where the clients are");
    t.object("profile", &P::profile).must();
    t.custom("resolvers", FieldKind::reference,
             "a resolver name, or {resolver name: share} with shares summing to 1")
        .means("each client is assigned one resolver by these shares").default_is("the first resolver")
        .source_is("drsim convention");
    t.object("load", &P::load).must();
  });
  return table;
}

struct ModelSpec {
  Topology topology;
  std::vector<GatewaySpec> gateways;  // one per topology cluster, same index
  GtmParams gtm;
  std::vector<ResolverParams> resolvers;
  std::vector<PopulationSpec> populations;
  std::vector<FaultSpec> faults;
  std::vector<AlertSpec> alerts;
  std::optional<MeshSpec> mesh;  // the mesh's own failover (needs an app)
  Duration horizon = Duration::zero();  // zero: the end of the load plus a minute
  bool log_events = true;
  /// What only a reported replication needs (replication 0 of a run): the
  /// per-second latency quantiles and fortio's own per-call statistics. Off,
  /// a replication still yields every headline figure.
  bool report_detail = true;
  /// The request path settles a request whose end is known and takes it at
  /// the pods before its arrival event when nothing is due in between
  /// (failover_model.hpp). Off, every step is an event of its own: the specs
  /// hold both to the same figures.
  bool request_shortcuts = true;
};

/// What a model needs to run at all (the scenario reader ensures it; a
/// ModelSpec built by hand is checked by FailoverModel).
inline void check_model(const ModelSpec& spec) {
  const auto& topo = spec.topology;
  if (spec.gateways.size() != topo.clusters().size()) throw ParameterError("one gateway per cluster is required");
  if (spec.resolvers.empty()) throw ParameterError("at least one resolver is required");
  if (spec.populations.empty()) throw ParameterError("at least one client population is required");
  if (topo.clusters().size() >= 0xFFFF) throw ParameterError("too many clusters");
}

/// The end of the last load generator, the natural end of a run.
inline Duration load_end(const ModelSpec& spec) {
  Duration end = Duration::zero();
  for (const auto& p : spec.populations) end = std::max(end, p.load.end());
  return end;
}

}  // namespace drsim
