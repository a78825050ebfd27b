// Mesh-native locality failover: Envoy's priority load and panic threshold,
// outlier detection's timing and its max_ejection_percent trap, with the
// numbers of the sources themselves.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drsim/model/envoy_lb.hpp"
#include "drsim/model/failover_model.hpp"
#include "drsim/model/mesh_traffic.hpp"
#include "drsim/model/outlier_detection.hpp"
#include "drsim/scenario/scenario.hpp"

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

// ---- the mesh's endpoints and control plane (MeshTraffic) --------------------

namespace {

/// Two clusters (a region each), Bookinfo-sized: 1 pod per service, one service.
struct TwoClusters {
  Simulator sim{1};
  MeshSpec spec;
  std::unique_ptr<MeshTraffic> traffic;
  explicit TwoClusters(ControlPlaneModel cp = ControlPlaneModel::multi_primary) {
    spec.outlier_detection.emplace();
    spec.outlier_detection->max_ejection_percent = 100;
    spec.control_plane = cp;
    std::vector<MeshClusterInfo> info(2);
    for (std::size_t c = 0; c < 2; ++c) info[c] = {"cluster-" + std::to_string(c + 1), true, false, {3}};
    traffic = std::make_unique<MeshTraffic>(sim, spec, std::move(info), nullptr);
    traffic->start();
  }
  /// Whether cluster-1's proxies still have cluster-2's east-west endpoint (host 3: after the 3 local pods).
  bool sees_remote() { return traffic->upstream(0, 0).present(3); }
  void run_to(Duration t) { sim.run_until(TimePoint::start() + t); }
};

}  // namespace

TEST_CASE("A cluster's pods in the other network are one east-west endpoint weighted by their count, at P1",
          "[mesh]") {
  TwoClusters m;
  UpstreamCluster& u = m.traffic->upstream(0, 0);
  REQUIRE(u.size() == 4);
  CHECK(u.host(3).east_west);
  CHECK(u.host(3).weight == 3);
  CHECK(u.host(3).priority == 1);
  CHECK(u.host(0).priority == 0);
  SECTION("without outlier detection every endpoint is P0 (Istio applies no failover)") {
    Simulator sim{1};
    MeshSpec spec;
    std::vector<MeshClusterInfo> info(2);
    for (std::size_t c = 0; c < 2; ++c) info[c] = {"c" + std::to_string(c), true, false, {3}};
    MeshTraffic t(sim, spec, std::move(info), nullptr);
    CHECK(t.upstream(0, 0).host(3).priority == 0);
    CHECK(t.upstream(0, 0).priorities() == 1);
  }
}

TEST_CASE("istiod pushes an endpoint removal after its debounce and the push delay", "[mesh]") {
  // App down in cluster-2 at 10 s: istiod (up, able to read cluster-2) pushes at 10.1 s (debounce_after
  // 100 ms), cluster-1's proxies apply it 500 ms later: 10.6 s.
  TwoClusters m;
  m.run_to(10_s);
  m.traffic->set_app_down(1, true);
  m.run_to(10_s + 599_ms);
  CHECK(m.sees_remote());
  m.run_to(10_s + 600_ms);
  CHECK_FALSE(m.sees_remote());
  CHECK(m.traffic->stats().pushes >= 1);
  SECTION("changes that keep coming are pushed 10 s after the first at the latest (debounce_max)") {
    TwoClusters k;
    k.run_to(20_s);
    // A change every 50 ms from 20 s on: each restarts the 100 ms wait, the first push comes at 30 s.
    for (int i = 0; i < 400; ++i) {
      k.traffic->set_app_down(1, i % 2 == 0);
      k.run_to(20_s + 50_ms * (i + 1));
      if (k.sim.now() < TimePoint::start() + 30_s) CHECK(k.traffic->stats().pushes == 0);
    }
    CHECK(k.traffic->stats().pushes >= 1);
  }
}

TEST_CASE("With the control plane down, a deleted remote Deployment's endpoints stay until outlier detection ejects them",
          "[mesh]") {
  // primary_remote with istiod in cluster-1, down from 5 s; cluster-2's app down at 10 s. Nothing is pushed: the
  // proxies keep cluster-2's east-west endpoint, and calls through it fail until 5 consecutive errors eject it.
  TwoClusters m(ControlPlaneModel::primary_remote);
  m.run_to(5_s);
  m.traffic->set_control_plane_down(0, true);
  m.run_to(10_s);
  m.traffic->set_app_down(1, true);
  m.run_to(100_s);
  CHECK(m.sees_remote());
  CHECK(m.traffic->stats().pushes == 0);
  UpstreamCluster& u = m.traffic->upstream(0, 0);
  for (int i = 0; i < 4; ++i) u.report(3, UpstreamResult::connect_failed);
  CHECK_FALSE(u.ejected(3));
  u.report(3, UpstreamResult::connect_failed);
  CHECK(u.ejected(3));
  SECTION("istiod back: it resyncs and pushes the removal") {
    m.traffic->set_control_plane_down(0, false);
    m.run_to(100_s + 600_ms);
    CHECK_FALSE(m.sees_remote());
  }
}

TEST_CASE("Retries: Istio before 1.24 retries 503, from 1.24 only connect failures; back-off is Envoy's jitter",
          "[mesh]") {
  auto traffic = [](IstioVersion v) {
    static Simulator sim{1};
    MeshSpec spec;
    spec.istio = v;
    std::vector<MeshClusterInfo> info = {{"c", true, true, {1}}};
    return std::make_unique<MeshTraffic>(sim, spec, std::move(info), nullptr);
  };
  const auto now = traffic(IstioVersion::v1_24_or_later);
  const auto old = traffic(IstioVersion::before_1_24);
  CHECK(now->retries(UpstreamResult::connect_failed, 1));
  CHECK(now->retries(UpstreamResult::connect_failed, 2));
  CHECK_FALSE(now->retries(UpstreamResult::connect_failed, 3));  // 2 retries: 3 tries in all
  CHECK_FALSE(now->retries(UpstreamResult::gateway_error, 1));
  CHECK(old->retries(UpstreamResult::gateway_error, 1));
  // Retry 1 waits U[0, 25 ms), retry 2 U[0, 75 ms), then (2^n - 1) x 25 ms up to 250 ms.
  Simulator sim{1};
  RandomStream rng = sim.stream("t");
  Duration max1, max2, max5;
  for (int i = 0; i < 2000; ++i) {
    max1 = std::max(max1, now->backoff(1, rng));
    max2 = std::max(max2, now->backoff(2, rng));
    max5 = std::max(max5, now->backoff(5, rng));
  }
  CHECK(max1 < 25_ms);
  CHECK(max1 > 24_ms);
  CHECK(max2 < 75_ms);
  CHECK(max2 > 73_ms);
  CHECK(max5 < 250_ms);
  CHECK(max5 > 245_ms);
}

// ---- the model: models/asm-mesh-locality-failover.json -----------------------

namespace {

struct MeshRun {
  std::uint64_t requests = 0, failed = 0, ejections = 0, retries = 0;
  std::uint64_t sent_2 = 0, ok_2 = 0;  // requests through region 2 (gw-2) started from 151 s on, and its ok ones
  std::array<std::uint64_t, kCauseCount> by_cause{};
};

MeshRun run_mesh_model(const std::vector<std::pair<std::string, std::string>>& sets, std::uint64_t seed = 1) {
  auto sc = Scenario::load(std::string(DRSIM_SOURCE_DIR) + "/models/asm-mesh-locality-failover.json");
  for (const auto& [path, value] : sets) sc.set(path, value);
  FailoverModel model(sc.spec(), seed);
  const RunMetrics& m = model.run();
  MeshRun r;
  r.requests = m.completed();
  r.failed = m.failed();
  REQUIRE(m.mesh.has_value());
  r.ejections = m.mesh->ejections;
  r.retries = m.mesh->retries;
  for (std::size_t c = 0; c < kCauseCount; ++c) r.by_cause[c] = m.count(static_cast<Cause>(c));
  for (std::size_t sec = 151; sec < m.seconds(); ++sec) {
    r.sent_2 += m.at(sec, 1).sent;
    r.ok_2 += m.at(sec, 1).by_cause[0];
  }
  return r;
}
std::uint64_t count(const MeshRun& r, Cause c) { return r.by_cause[static_cast<std::size_t>(c)]; }

const std::string kGray503 = R"([{"kind": "app_gray", "target": "cluster-2", "at": "150s", "error_share": 1.0}])";

}  // namespace

TEST_CASE("The mesh model: region 2's pods down, its gateway up: ejection, retries and failover keep failures rare",
          "[mesh]") {
  // The first request through gw-2 after the fault tries the dead productpage 3 times (refused, 2 retries) and
  // fails (503 UF); the next one's first try is the 5th consecutive error: ejected, and its retry goes to P1,
  // cluster-1 through the east-west gateway. istiod then removes the endpoints 0.6 s after the fault.
  const MeshRun r = run_mesh_model({});
  CHECK(r.ejections >= 1);
  CHECK(r.retries >= 4);
  CHECK(r.failed >= 1);
  CHECK(r.failed <= 5);
  CHECK(count(r, Cause::upstream_connect_failure) == r.failed);
}

TEST_CASE("The maxEjectionPercent trap: 1 pod + 1 east-west endpoint at 10 % on Envoy >= 1.28 never fails over",
          "[mesh]") {
  // Region 2's app answers every call 503 from 150 s (its pods stay in EDS, only outlier detection can act).
  // Every service has 2 hosts per proxy: 1/2 = 50 % > 10 %: no ejection, every gw-2 request fails.
  const MeshRun trapped = run_mesh_model({{"faults", kGray503}, {"mesh.outlier_detection.max_ejection_percent", "10"}});
  CHECK(trapped.ejections == 0);
  CHECK(trapped.sent_2 > 7000);
  CHECK(trapped.ok_2 == 0);
  // Before 1.28 the first ejection is always allowed: the local pod goes, P1 takes the load.
  const MeshRun old = run_mesh_model({{"faults", kGray503},
                                      {"mesh.outlier_detection.max_ejection_percent", "10"},
                                      {"mesh.outlier_detection.envoy", "before-1.28"}});
  CHECK(old.ejections >= 1);
  CHECK(old.failed < 100);
  const MeshRun open = run_mesh_model({{"faults", kGray503}});  // the model's 100 %
  CHECK(open.ejections >= 1);
  CHECK(open.failed < 100);
}

TEST_CASE("The mesh model with the control plane down: dead endpoints stay, outlier detection alone fails over",
          "[mesh]") {
  const std::string faults = R"([{"kind": "control_plane_down", "target": "cluster-1", "at": "50s"},
                                 {"kind": "app_down", "target": "cluster-2", "at": "150s"}])";
  const MeshRun with = run_mesh_model({{"faults", faults}});
  CHECK(with.ejections >= 1);
  CHECK(with.failed < 100);
  // Without outlier detection's 5xx detector nothing removes them: every gw-2 request fails (the retries go to
  // the same single P0 host after 5 re-picks, and nothing fails over without an ejection).
  const MeshRun without = run_mesh_model({{"faults", faults}, {"mesh.outlier_detection.consecutive_5xx_errors", "0"}});
  CHECK(without.ejections == 0);
  CHECK(without.sent_2 > 1000);
  CHECK(without.ok_2 == 0);
  CHECK(without.retries == 2 * without.failed);
}

TEST_CASE("A bad mesh section is a ModelError naming the JSON path, what was expected and what was found", "[mesh]") {
  auto sc = Scenario::load(std::string(DRSIM_SOURCE_DIR) + "/models/asm-mesh-locality-failover.json");
  auto fails_at = [&](const std::string& path, const std::string& value, const std::string& where,
                      const std::string& found) {
    INFO(path << "=" << value);
    try {
      auto s = sc;
      s.set(path, value);
      FAIL("no error");
    } catch (const ModelError& e) {
      CHECK(e.path() == where);
      CHECK_THAT(e.found(), Catch::Contains(found));
    }
  };
  fails_at("mesh.primary", "cluster-9", "mesh.primary", "cluster-9");
  fails_at("mesh.failover", R"([{"from": "region-1", "to": "mars"}])", "mesh.failover[0].to", "mars");
  fails_at("mesh.retries.retry_on", "connect-failure,sometimes", "mesh.retries.retry_on", "sometimes");
  fails_at("mesh.retries.retriable_status_codes", "503,teapot", "mesh.retries.retriable_status_codes", "teapot");
  fails_at("mesh.outlier_detection.max_ejection_percent", "150", "mesh.outlier_detection.max_ejection_percent", "150");
  fails_at("mesh.control_plane", "\"single\"", "mesh.control_plane", "single");
  SECTION("a mesh fault in a model without a mesh section") {
    auto drill = Scenario::load(std::string(DRSIM_SOURCE_DIR) + "/models/asm-gtm-drill.json");
    try {
      drill.set("faults", R"([{"kind": "app_down", "target": "cluster-2", "at": "100s"}])");
      FAIL("no error");
    } catch (const ModelError& e) {
      CHECK(e.path() == "faults[0].kind");
      CHECK_THAT(e.hint(), Catch::Contains("mesh"));
    }
  }
}

TEST_CASE("A deleted app Deployment leaves EDS as termination starts: its pods drain while istiod pushes", "[mesh]") {
  // The endpoints go at once (terminating endpoints are not ready, Istio drops them); istiod pushes 0.6 s later,
  // well within the sidecar's 5 s drain: no request meets a dead pod.
  const std::string deleted = R"([{"kind": "app_deleted", "target": "cluster-2", "at": "150s"}])";
  const MeshRun r = run_mesh_model({{"faults", deleted}});
  CHECK(r.failed == 0);
  CHECK(r.ejections == 0);
  CHECK(r.ok_2 == r.sent_2);
  SECTION("with the control plane down the dead pods stay listed: failures from the drain's end until ejected") {
    const std::string both = R"([{"kind": "control_plane_down", "target": "cluster-1", "at": "50s"},
                                 {"kind": "app_deleted", "target": "cluster-2", "at": "150s"}])";
    const MeshRun stale = run_mesh_model({{"faults", both}});
    CHECK(stale.ejections >= 1);
    CHECK(stale.failed >= 1);
    CHECK(stale.failed < 10);
  }
}
