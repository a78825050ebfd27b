// A two-region model built by hand, for the specs of the model components:
// one fortio client at a site 1 ms from both regions, one TTL-honouring
// resolver, GTM over the two gateway addresses.
#pragma once

#include "drsim/model/failover_model.hpp"

namespace drsim::testing {

using namespace drsim::literals;

struct TwoRegionOptions {
  std::string client = "fortio-first";
  double qps = 100;
  Duration duration = 300_s;
  Duration interval = 15_s;
  int failures = 3;
  std::size_t probe_nodes = 1;
  Duration ttl = 60_s;
  Duration probe_timeout = 2_s;
  RecordRotation rotation = RecordRotation::round_robin;
  std::optional<FaultSpec> fault;
  Duration fault_at = 150_s;
  FaultKind fault_kind = FaultKind::gateway_deleted;
  Distribution service = Distribution::constant(0.004);
};

inline ModelSpec two_region_spec(const TwoRegionOptions& o = {}) {
  ModelSpec s;
  auto& t = s.topology;
  const auto r1 = t.add_region("region-1");
  const auto r2 = t.add_region("region-2");
  t.add_cluster("cluster-1", r1);
  t.add_cluster("cluster-2", r2);
  const auto clients = t.add_site("fortio", SiteKind::client);
  t.add_link(clients, t.region_node(r1), 1_ms);
  t.add_link(clients, t.region_node(r2), 1_ms);
  for (std::size_t k = 0; k < o.probe_nodes; ++k) {
    const auto p = t.add_site("probe-" + std::to_string(k), SiteKind::probe);
    t.add_link(p, t.region_node(r1), 10_ms);
    t.add_link(p, t.region_node(r2), 10_ms);
    s.gtm.probe_sites.push_back(p);
  }
  auto gateway = [&](const char* address) {
    GatewaySpec g;
    g.address = address;
    g.service_time_s = o.service;
    return g;
  };
  s.gateways = {gateway("198.51.100.1"), gateway("198.51.100.2")};
  s.gtm.interval = o.interval;
  s.gtm.failures = o.failures;
  s.gtm.timeout = o.probe_timeout;
  s.gtm.ttl = o.ttl;
  s.gtm.primary = {{0, 1.0}, {1, 1.0}};
  ResolverParams res;
  res.name = "unbound";
  res.rotation = o.rotation;
  res.start = CacheStart::cold;  // the cache phase is known: fetches at 0, TTL, 2 TTL, ... (fortio's calls land on them)
  res.clock = TtlClock::exact;   // these specs are about other mechanisms; test_dns.cpp specifies the clocks
  s.resolvers = {res};
  PopulationSpec pop;
  pop.name = "fortio";
  pop.site = clients;
  pop.profile = client_preset(o.client);
  pop.load.kind = LoadKind::fortio;
  pop.load.fortio.qps = o.qps;
  pop.load.fortio.connections = 1;
  pop.load.fortio.duration = o.duration;
  s.populations = {pop};
  if (o.fault) {
    s.faults = {*o.fault};
  } else {
    FaultSpec f;
    f.kind = o.fault_kind;
    f.clusters = {1};
    f.region = 1;
    f.at = TimeSpec{o.fault_at, o.fault_at};
    s.faults = {f};
  }
  return s;
}

}  // namespace drsim::testing
