// The closed form of a DNS failover's expected cost, to set next to the
// simulation.
//
// After a gateway fails at a moment unrelated to the GTM's probe phases:
//
//   detection  Each of the K probe nodes has its next probe U(0, I) away
//              (phases uniform, independent of the fault); a node says down
//              after N consecutive failures, i.e. U_k + (N - 1) I + the time
//              a failed probe takes to come back (the RTT for a refused
//              connection, the probe timeout for a dropped one). The share
//              rule judges the address unhealthy when m nodes say down, m the
//              smallest count the rule rejects, so detection waits for the
//              m-th order statistic of K uniforms:
//                E[detect] = m / (K + 1) x I + (N - 1) x I + probe time.
//   publish    the GTM's publish delay P.
//   TTL        the resolver's cached answer, refreshed every TTL (clamped to
//              its [min_ttl, max_ttl]) on a phase unrelated to the fault,
//              still lists the address for U(0, TTL): TTL / 2 on average.
//
//   E[window] = E[detect] + P + TTL / 2
//
// A client that looks up per connection and takes the first (or a random)
// address of a rotated or shuffled A-address answer sends 1 / A of its calls
// to the dead address during the window and none after it, so at a constant
// rate over a run of length L (the window inside the run):
//
//   E[failed %] = (1 / A) x E[window] / L x 100
//
// which for the seed drill (I = 15 s, N = 3, K = 3 with "more than 50 %"
// so m = 2, TTL 60 s, P = 0, A = 2, L = 300 s) is
// 0.5 x (7.5 + 30 + 0.027 + 30) / 300 x 100 = 11.25 %.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "drsim/core/time.hpp"
#include "drsim/model/failover_model.hpp"
#include "drsim/model/gtm.hpp"

namespace drsim {

namespace detail {
/// Seconds as ns / 1e9, so whole seconds stay whole (Duration::seconds_f multiplies by 1e-9).
inline double exact_seconds(Duration d) { return static_cast<double>(d.ns()) / 1e9; }
}  // namespace detail

/// The smallest number of failing nodes (out of `nodes`) the rule judges
/// unhealthy; nullopt when no count does.
inline std::optional<std::size_t> failing_nodes_needed(const HealthRule& rule, std::size_t nodes) {
  for (std::size_t m = 1; m <= nodes; ++m)
    if (!rule.healthy(m, nodes)) return m;
  return std::nullopt;
}

struct DnsFailoverInputs {
  Duration interval = Duration::seconds(15);  // probe interval I
  int failures = 3;                           // consecutive failures per node N
  std::size_t nodes = 3;                      // probe nodes K
  HealthRule rule;                            // gives m
  Duration probe_time = Duration::zero();     // how long a failed probe takes to be counted
  Duration publish_delay = Duration::zero();  // P
  Duration ttl = Duration::seconds(60);       // the resolver's effective TTL
  double client_share = 0.5;                  // share of the client's calls aimed at the dead address
  Duration run_length = Duration::seconds(300);  // L: the load's duration at a constant rate
};

struct DnsFailoverEstimate {
  std::size_t nodes_needed = 0;  // m
  double detect_s = 0;           // E[detect]
  double publish_s = 0;
  double remaining_ttl_s = 0;    // TTL / 2
  double window_s = 0;           // E[window]
  double failed_pct = 0;         // client_share x window / L x 100
};

/// Throws std::invalid_argument when the rule never judges the address unhealthy.
inline DnsFailoverEstimate dns_failover_estimate(const DnsFailoverInputs& in) {
  const auto m = failing_nodes_needed(in.rule, in.nodes);
  if (!m) throw std::invalid_argument("the health rule never judges an address unhealthy with these nodes");
  DnsFailoverEstimate e;
  e.nodes_needed = *m;
  const double interval = detail::exact_seconds(in.interval);
  e.detect_s = static_cast<double>(*m) / static_cast<double>(in.nodes + 1) * interval + (in.failures - 1) * interval +
               detail::exact_seconds(in.probe_time);
  e.publish_s = detail::exact_seconds(in.publish_delay);
  e.remaining_ttl_s = detail::exact_seconds(in.ttl) / 2;
  e.window_s = e.detect_s + e.publish_s + e.remaining_ttl_s;
  e.failed_pct = in.client_share * e.window_s / detail::exact_seconds(in.run_length) * 100.0;
  return e;
}

/// The closed form's inputs read from a model, or why the model lies outside
/// what the closed form covers.
struct DnsFailoverDerivation {
  std::optional<DnsFailoverInputs> inputs;
  std::string reason;  // empty when inputs is set
};

/// Reads the inputs from a model with one fortio (constant-rate) client
/// population that looks up per connection through one plain resolver (no
/// TTL violators, one cache), one fault on one gateway address of the
/// primary pool deleted behind a balancer that refuses (so fortio keeps its
/// pace), and TCP or HTTP probes (ping misses a deleted gateway).
inline DnsFailoverDerivation dns_failover_inputs(const ModelSpec& spec) {
  DnsFailoverDerivation d;
  auto outside = [&](std::string why) {
    d.reason = std::move(why);
    return d;
  };
  if (spec.populations.size() != 1) return outside("the closed form covers one client population");
  const PopulationSpec& pop = spec.populations[0];
  if (pop.load.kind != LoadKind::fortio || pop.load.fortio.calls != 0) return outside("the closed form covers fortio load for a fixed duration");
  if (pop.profile.cache != DnsCacheRule::per_connection) return outside("the closed form covers clients that look up per connection");
  if (pop.resolvers.size() != 1) return outside("the closed form covers clients behind one resolver");
  const ResolverParams& res = spec.resolvers.at(pop.resolvers[0].first);
  if (res.violator_hold_s || res.caches != 1) return outside("the closed form covers a resolver with one cache that honours the TTL");
  if (spec.faults.size() != 1) return outside("the closed form covers one fault");
  const FaultSpec& f = spec.faults[0];
  std::vector<std::size_t> hit = f.clusters;
  if (f.kind == FaultKind::region_outage) hit = spec.topology.regions().at(f.region).clusters;
  if (hit.size() != 1 || f.duration) return outside("the closed form covers one gateway address failing for good");
  const auto dead = static_cast<std::uint16_t>(hit[0]);
  const GtmParams& g = spec.gtm;
  bool in_pool = false;
  for (const auto& m : g.primary) in_pool = in_pool || m.address == dead;
  if (!in_pool || g.policy == AnswerPolicy::weighted || g.policy == AnswerPolicy::sequence)
    return outside("the closed form covers an all-addresses answer that includes the failed address");

  // A refused connection fails at once and fortio keeps its pace; a dropped
  // one holds the connection for the client's timeout, so the rate is not
  // constant and the closed form does not apply.
  if (f.kind != FaultKind::gateway_deleted) return outside("the closed form covers a deleted gateway (connections refused)");
  const LoadBalancerParams& lb = spec.gateways.at(hit[0]).lb;
  if (lb.traffic_policy != TrafficPolicy::cluster || lb.when_no_backend != NoBackendBehaviour::refuse)
    return outside("the closed form covers a balancer that refuses connections to a deleted gateway");
  if (g.protocol == ProbeProtocol::ping) return outside("ping probes do not see a deleted gateway");

  DnsFailoverInputs in;
  in.interval = g.interval;
  in.failures = g.failures;
  in.nodes = g.probe_sites.size();
  in.rule = g.rule;
  // A refused probe comes back after the RTT from its site to the failed
  // region; the m-th node to say down is one of the K, so take their mean
  // (the spread is tens of milliseconds against a window of tens of seconds).
  const auto& topo = spec.topology;
  const std::size_t region_node = topo.region_node(topo.clusters().at(hit[0]).region);
  double sum = 0;
  for (std::size_t s : g.probe_sites) sum += topo.rtt(s, region_node).value_or(g.timeout).seconds_f();
  in.probe_time = Duration::from_seconds(g.probe_sites.empty() ? 0.0 : sum / static_cast<double>(g.probe_sites.size()));
  in.publish_delay = g.publish_delay;
  in.ttl = std::clamp(g.ttl, res.min_ttl, res.max_ttl);
  // A client that falls back to the next address on refusal loses nothing.
  in.client_share = pop.profile.fallback_on_refused ? 0.0 : 1.0 / static_cast<double>(g.primary.size());
  in.run_length = pop.load.fortio.duration;
  d.inputs = in;
  return d;
}

}  // namespace drsim
