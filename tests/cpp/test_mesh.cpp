// Mesh-native locality failover: Envoy's priority load and panic threshold,
// outlier detection's timing and its max_ejection_percent trap, with the
// numbers of the sources themselves.
#include <catch2/catch.hpp>

#include <vector>

#include "drsim/model/envoy_lb.hpp"
#include "drsim/model/outlier_detection.hpp"

using namespace drsim;
using namespace drsim::literals;

namespace {

PriorityLoad two_priorities(std::uint32_t p0_healthy_pct) {
  // 100 hosts in P0 (so a count is a percentage), P1 fully healthy.
  const PriorityHosts levels[] = {{p0_healthy_pct, 100}, {100, 100}};
  return priority_load(levels, 2);
}

OutlierParams od(std::uint32_t n = 5) {
  OutlierParams p;
  p.consecutive_5xx = n;
  p.max_ejection_percent = 100;
  return p;
}

}  // namespace

TEST_CASE("Envoy's two-priority table: P0 keeps all traffic until less than ~71.4 % of it is healthy", "[mesh]") {
  // priority.rst: P0 healthy 100/72/71/50/25/0 % -> 100/100/99/70/35/0 % to P0.
  // health(P0) = min(100, 140 x healthy / 100) in integers: 140, 100 (100.8), 99 (99.4), 70, 35, 0.
  const std::uint32_t healthy[] = {100, 72, 71, 50, 25, 0};
  const std::uint32_t to_p0[] = {100, 100, 99, 70, 35, 0};
  for (std::size_t i = 0; i < 6; ++i) {
    const PriorityLoad l = two_priorities(healthy[i]);
    INFO("P0 healthy " << healthy[i] << " %");
    CHECK(l.load[0] == to_p0[i]);
    CHECK(l.load[1] == 100 - to_p0[i]);
    CHECK_FALSE(l.no_host);
  }
}

TEST_CASE("The panic threshold: in panic a priority sends to all its hosts; at 0 an empty cluster is 503", "[mesh]") {
  SECTION("below 50 % healthy with nowhere to fail over: panic, load stays on P0") {
    const PriorityHosts one[] = {{1, 3}};  // 33 % healthy, health 46 (140 / 3)
    const PriorityLoad l = priority_load(one, 1, 140, 50);
    CHECK(l.panic[0]);
    CHECK(l.load[0] == 100);
  }
  SECTION("normalized total availability 100 %: panic is disregarded") {
    const PriorityHosts levels[] = {{1, 4}, {4, 4}};  // P0 25 % healthy, P1 all
    const PriorityLoad l = priority_load(levels, 2, 140, 50);
    CHECK_FALSE(l.panic[0]);
    CHECK(l.load[0] == 35);
    CHECK(l.load[1] == 65);
  }
  SECTION("every priority in panic: load by host counts") {
    const PriorityHosts levels[] = {{0, 3}, {0, 1}};
    const PriorityLoad l = priority_load(levels, 2, 140, 50);
    CHECK(l.panic[0]);
    CHECK(l.panic[1]);
    CHECK(l.load[0] == 75);
    CHECK(l.load[1] == 25);
    CHECK_FALSE(l.no_host);
  }
  SECTION("threshold 0 (Istio with outlier detection) and nothing healthy: no healthy upstream") {
    const PriorityHosts levels[] = {{0, 3}, {0, 1}};
    CHECK(priority_load(levels, 2, 140, 0).no_host);
  }
}

TEST_CASE("Outlier detection ejects on exactly the Nth consecutive error, and a success resets the count", "[mesh]") {
  Simulator sim{1};
  OutlierDetector d(sim, od(5), 4);
  d.start(10_s);
  for (int i = 0; i < 4; ++i) d.report(0, UpstreamResult::gateway_error);
  CHECK_FALSE(d.ejected(0));
  d.report(0, UpstreamResult::success);
  for (int i = 0; i < 4; ++i) d.report(0, UpstreamResult::connect_failed);
  CHECK_FALSE(d.ejected(0));
  d.report(0, UpstreamResult::connect_failed);  // the 5th in a row
  CHECK(d.ejected(0));
  CHECK(d.ejections() == 1);
  CHECK(d.ejections_active() == 1);

  SECTION("a 500 counts as 5xx but resets the gateway-error count") {
    OutlierParams p = od(0);
    p.consecutive_gateway = 3;
    OutlierDetector g(sim, p, 4);
    g.report(1, UpstreamResult::gateway_error);
    g.report(1, UpstreamResult::gateway_error);
    g.report(1, UpstreamResult::http_5xx);
    g.report(1, UpstreamResult::gateway_error);
    CHECK_FALSE(g.ejected(1));
    g.report(1, UpstreamResult::timeout);
    g.report(1, UpstreamResult::connect_failed);
    CHECK(g.ejected(1));
  }
  SECTION("split local-origin errors: connect failures count apart from 5xx") {
    OutlierParams p = od(2);
    p.split_external_local_origin_errors = true;
    p.consecutive_local_origin_failures = 3;
    OutlierDetector s(sim, p, 4);
    s.report(2, UpstreamResult::connect_failed);
    s.report(2, UpstreamResult::connect_failed);
    CHECK_FALSE(s.ejected(2));  // 2 local-origin failures: not 5xx
    s.report(2, UpstreamResult::connect_failed);
    CHECK(s.ejected(2));
  }
}

TEST_CASE("An ejected host returns at the first interval tick after its ejection time; a repeat lasts 2 x base",
          "[mesh]") {
  // Ticks every 10 s from t = 10 s; base 30 s. Ejected at 3 s: out until 33 s, back at the tick of 40 s.
  Simulator sim{1};
  OutlierDetector d(sim, od(1), 4);
  d.start(10_s);
  sim.run_until(TimePoint::start() + 3_s);
  d.report(0, UpstreamResult::gateway_error);
  REQUIRE(d.ejected(0));
  sim.run_until(TimePoint::start() + 39_s);
  CHECK(d.ejected(0));
  sim.run_until(TimePoint::start() + 40_s);
  CHECK_FALSE(d.ejected(0));
  CHECK(d.backoff(0) == 1);
  // Ejected again at 41 s before any decay (a decay needs a whole interval in): 2 x 30 = 60 s,
  // out until 101 s, back at the tick of 110 s.
  sim.run_until(TimePoint::start() + 41_s);
  d.report(0, UpstreamResult::gateway_error);
  REQUIRE(d.ejected(0));
  CHECK(d.backoff(0) == 2);
  sim.run_until(TimePoint::start() + 109_s);
  CHECK(d.ejected(0));
  sim.run_until(TimePoint::start() + 110_s);
  CHECK_FALSE(d.ejected(0));
  // Decay: one step per tick once in for a whole interval: 120 s -> 1, 130 s -> 0.
  sim.run_until(TimePoint::start() + 120_s);
  CHECK(d.backoff(0) == 1);
  sim.run_until(TimePoint::start() + 130_s);
  CHECK(d.backoff(0) == 0);
}

TEST_CASE("Ejection time is capped by max_ejection_time (300 s)", "[mesh]") {
  // base 100 s: backoff grows while base x backoff < 300 + 100, so up to 4; the time is min(400, 300) = 300 s.
  Simulator sim{1};
  OutlierParams p = od(1);
  p.base_ejection_time = 100_s;
  p.interval = 1_s;
  OutlierDetector d(sim, p, 2);
  d.start(1_s);
  TimePoint back;
  for (int k = 0; k < 5; ++k) {
    d.report(0, UpstreamResult::gateway_error);
    REQUIRE(d.ejected(0));
    const TimePoint out = sim.now();
    while (d.ejected(0)) sim.run_until(sim.now() + 1_s);
    back = sim.now();
    INFO("ejection " << k + 1);
    CHECK((back - out) == std::min(100_s * (k + 1), 300_s));
  }
  CHECK(d.backoff(0) == 4);
}

TEST_CASE("maxEjectionPercent: 3 local pods + 1 east-west endpoint at 10 % on Envoy >= 1.28 ejects nothing",
          "[mesh]") {
  // P0: three local pods; P1: the peer cluster's east-west gateway, one host for its pods.
  std::vector<UpstreamHost> hosts = {{0, 0, 1, false}, {0, 0, 1, false}, {0, 0, 1, false}, {1, 1, 3, true}};
  auto run = [&](double mep, EnvoyVersion v) {
    Simulator sim{1};
    UpstreamCluster::Settings s;
    s.outlier = od(5);
    s.outlier->max_ejection_percent = mep;
    s.outlier->envoy = v;
    s.panic_threshold = 0;
    UpstreamCluster c(sim, hosts, s);
    c.start(10_s);
    // Every local pod fails every call (the app is down, the gateway up).
    for (int round = 0; round < 5; ++round)
      for (std::uint16_t h = 0; h < 3; ++h) c.report(h, UpstreamResult::connect_failed);
    return std::pair<std::size_t, std::uint32_t>{c.outlier()->ejections_active(), c.load().load[1]};
  };
  // 1/4 = 25 % > 10 %: refused, whatever the number of errors.
  CHECK(run(10, EnvoyVersion::v1_28_or_later) == std::pair<std::size_t, std::uint32_t>{0, 0});
  // Before 1.28 the first ejection is always allowed: one pod out, P0 at 2/3 healthy: health 93, 93 % stays.
  CHECK(run(10, EnvoyVersion::before_1_28) == std::pair<std::size_t, std::uint32_t>{1, 7});
  // At 100 % all three go and P1 (the east-west gateway) takes everything: failover.
  CHECK(run(100, EnvoyVersion::v1_28_or_later) == std::pair<std::size_t, std::uint32_t>{3, 100});
}

TEST_CASE("Host choice follows the priority load; with every host out and panic off there is no healthy upstream",
          "[mesh]") {
  Simulator sim{1};
  RandomStream rng = sim.stream("test");
  std::vector<UpstreamHost> hosts = {{0, 0, 1, false}, {1, 1, 1, true}};
  UpstreamCluster::Settings s;
  s.outlier = od(1);
  s.panic_threshold = 0;
  UpstreamCluster c(sim, hosts, s);
  for (int i = 0; i < 100; ++i) CHECK(c.pick(rng) == 0);
  c.report(0, UpstreamResult::connect_failed);
  for (int i = 0; i < 100; ++i) CHECK(c.pick(rng) == 1);
  c.report(1, UpstreamResult::connect_failed);
  CHECK(c.pick(rng) == UpstreamCluster::npos);
  SECTION("EDS removal: an empty P0 has health 0, P1 gets everything") {
    UpstreamCluster e(sim, hosts, s);
    e.set_present(0, false);
    CHECK(e.load().load[1] == 100);
    CHECK(e.pick(rng) == 1);
  }
  SECTION("a retry skipping the tried priority goes to P1") {
    UpstreamCluster r(sim, hosts, s);
    CHECK(r.pick(rng, /*skip=*/1) == 1);
  }
}

TEST_CASE("Istio's locality priorities: the failover task's table, compacted", "[mesh]") {
  // istio.io docs/tasks/traffic-management/locality-load-balancing/failover: a proxy in region1/zone1 with
  // failover region1 -> region2 sees P0 region1.zone1, P1 none (no subzones), P2 region1.zone2,
  // P3 region2.zone3 (failover defined), P4 region3.zone4 (no failover defined).
  const Locality proxy{"region1", "zone1", ""};
  const std::vector<LocalityFailoverRule> failover = {{"region1", "region2"}};
  std::vector<std::uint32_t> p = {istio_lb_priority(proxy, {"region1", "zone1", ""}, failover),
                                  istio_lb_priority(proxy, {"region1", "zone2", ""}, failover),
                                  istio_lb_priority(proxy, {"region2", "zone3", ""}, failover),
                                  istio_lb_priority(proxy, {"region3", "zone4", ""}, failover)};
  CHECK(p == std::vector<std::uint32_t>{0, 2, 3, 4});
  CHECK(istio_lb_priority(proxy, {"region1", "zone1", "sub-a"}) == 1);
  CHECK(istio_lb_priority(proxy, {"region3", "zone4", ""}) == 3);  // no failover rule: 3
  compact_priorities(p);
  CHECK(p == std::vector<std::uint32_t>{0, 1, 2, 3});
}
