// The application behind the gateway: Bookinfo's call graph, calls in order
// through per-cluster service queues, cluster-local traffic retention on and
// off, and the app on the failover model's request path.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "drsim/model/service_graph.hpp"
#include "drsim/run.hpp"
#include "model_fixture.hpp"

using namespace drsim;
using namespace drsim::literals;

namespace {

/// Receives the mesh's outcomes and times them from handle() on.
struct Recorder {
  explicit Recorder(Simulator& s) : sim(&s) {}
  Simulator* sim;
  std::vector<TimePoint> sent;
  std::vector<TimePoint> answered;
  std::vector<MeshOutcome> outcome;
  std::vector<int> reports;

  std::uint32_t send(ServiceMesh& mesh, std::size_t cluster, Duration timeout = Duration::max()) {
    const auto id = static_cast<std::uint32_t>(sent.size());
    sent.push_back(sim->now());
    answered.push_back(TimePoint::max());
    outcome.push_back(MeshOutcome::ok);
    reports.push_back(0);
    mesh.handle(id, cluster, timeout);
    return id;
  }
  void on_app_response(std::uint32_t request, MeshOutcome o) {
    answered[request] = sim->now();
    outcome[request] = o;
    ++reports[request];
  }
  [[nodiscard]] Duration latency(std::uint32_t request) const { return answered[request] - sent[request]; }
  [[nodiscard]] std::size_t count(MeshOutcome o) const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < outcome.size(); ++i) n += reports[i] > 0 && outcome[i] == o ? 1 : 0;
    return n;
  }
};

/// Every call as (request, service name, from cluster, to cluster).
struct Trace {
  explicit Trace(const ServiceGraph& g) : graph(&g) {}
  const ServiceGraph* graph;
  struct Call {
    std::uint32_t request;
    std::string service;
    std::size_t from, to;
  };
  std::vector<Call> calls;
  ServiceMesh::CallObserver observer() {
    return {this, [](void* c, std::uint32_t r, std::size_t s, std::size_t from, std::size_t to) {
              auto* t = static_cast<Trace*>(c);
              t->calls.push_back({r, t->graph->name(s), from, to});
            }};
  }
};

/// Bookinfo with constant service times, so a path's latency is exact.
ServiceGraphSpec constant_bookinfo() {
  ServiceGraphSpec g = ServiceGraphSpec::bookinfo();
  const std::map<std::string, double> ms = {{"productpage", 3},  {"details", 1},     {"reviews-v1", 2},
                                            {"reviews-v2", 5},   {"reviews-v3", 7},  {"ratings", 11}};
  for (auto& s : g.services) s.service_time_s = Distribution::constant(ms.at(s.name) * 1e-3);
  return g;
}

}  // namespace

TEST_CASE("Bookinfo: productpage calls details, then reviews v1, v2 or v3, and v2 and v3 call ratings", "[app]") {
  const ServiceGraph g(ServiceGraphSpec::bookinfo());
  const auto id = [&](const char* n) { return g.find(n); };

  SECTION("the graph") {
    REQUIRE(g.size() == 6);
    CHECK(g.name(ServiceGraph::entry()) == "productpage");
    // productpage -> details, -> reviews-v1, -v2, -v3; reviews-v2 -> ratings; reviews-v3 -> ratings.
    CHECK(g.edge_count() == 6);
    CHECK(g.steps(id("productpage")) == 2);
    CHECK(g.callees(id("productpage"), 0) == std::vector<std::size_t>{id("details")});
    CHECK(g.callees(id("productpage"), 1) ==
          std::vector<std::size_t>{id("reviews-v1"), id("reviews-v2"), id("reviews-v3")});
    CHECK(g.steps(id("details")) == 0);
    CHECK(g.steps(id("reviews-v1")) == 0);  // v1 shows no stars: it never calls ratings
    CHECK(g.callees(id("reviews-v2"), 0) == std::vector<std::size_t>{id("ratings")});
    CHECK(g.callees(id("reviews-v3"), 0) == std::vector<std::size_t>{id("ratings")});
    CHECK(g.steps(id("ratings")) == 0);
    CHECK(g.depth() == 3);  // productpage -> reviews -> ratings
    CHECK(g.find("nope") == ServiceGraph::npos);
  }

  SECTION("calls in order, one reviews version per request, each a third of the time") {
    Simulator sim(7);
    Recorder rec(sim);
    UniformMeshNetwork net(20_ms);
    ServiceMesh mesh(sim, 1, net, MeshCompletion::to(rec));
    mesh.add_app(0, ServiceGraphSpec::bookinfo(), true, "cluster-1");
    Trace trace(mesh.graph());
    mesh.set_call_observer(trace.observer());
    const int n = 3000;
    for (int i = 0; i < n; ++i) sim.at(TimePoint::start() + 10_ms * i, [&] { rec.send(mesh, 0); });
    sim.run();
    REQUIRE(rec.count(MeshOutcome::ok) == static_cast<std::size_t>(n));

    std::vector<std::vector<std::string>> per_request(n);
    for (const auto& c : trace.calls) per_request[c.request].push_back(c.service);
    std::map<std::string, int> versions;
    for (const auto& calls : per_request) {
      REQUIRE(calls.size() >= 3);
      CHECK(calls[0] == "productpage");  // the gateway's call
      CHECK(calls[1] == "details");
      const std::string& reviews = calls[2];
      ++versions[reviews];
      if (reviews == "reviews-v1") {
        CHECK(calls.size() == 3);
      } else {
        REQUIRE(calls.size() == 4);
        CHECK(calls[3] == "ratings");
      }
    }
    // Binomial(3000, 1/3): mean 1000, sd 25.8; 5 sd = 129.
    CHECK(versions.size() == 3);
    for (const auto& [v, count] : versions) CHECK(count == Approx(1000).margin(129));
    CHECK(mesh.stats().calls == trace.calls.size());
    CHECK(mesh.stats().cross_cluster_calls == 0);
  }
}

TEST_CASE("With ample capacity a request takes the sum of its path's service times", "[app]") {
  // Constant times (ms): productpage 3, details 1, reviews v1 2, v2 5, v3 7,
  // ratings 11. Requests 100 ms apart never meet, so nothing queues and a
  // request takes its path's sum:
  //   via v1: 3 + 1 + 2      =  6 ms
  //   via v2: 3 + 1 + 5 + 11 = 20 ms
  //   via v3: 3 + 1 + 7 + 11 = 22 ms
  // (a service's own work comes before its calls; the response adds nothing
  // inside a cluster). Mean over equally likely versions: 48 / 3 = 16 ms.
  Simulator sim(3);
  Recorder rec(sim);
  UniformMeshNetwork net(30_ms);

  SECTION("in one cluster") {
    ServiceMesh mesh(sim, 1, net, MeshCompletion::to(rec));
    mesh.add_app(0, constant_bookinfo(), true);
    Trace trace(mesh.graph());
    mesh.set_call_observer(trace.observer());
    const int n = 600;
    for (int i = 0; i < n; ++i) sim.at(TimePoint::start() + 100_ms * i, [&] { rec.send(mesh, 0); });
    sim.run();
    std::vector<std::string> version(n);
    for (const auto& c : trace.calls)
      if (c.service.rfind("reviews", 0) == 0) version[c.request] = c.service;
    const std::map<std::string, Duration> expected = {{"reviews-v1", 6_ms}, {"reviews-v2", 20_ms}, {"reviews-v3", 22_ms}};
    double sum_ms = 0;
    for (std::uint32_t r = 0; r < n; ++r) {
      REQUIRE(rec.outcome[r] == MeshOutcome::ok);
      CHECK(rec.latency(r) == expected.at(version[r]));
      sum_ms += rec.latency(r).seconds_f() * 1e3;
    }
    // The sample mean of 600 draws from {6, 20, 22}: sd of one draw 7.1 ms, of the mean 0.29 ms.
    CHECK(sum_ms / n == Approx(16).margin(1.5));
  }

  SECTION("across clusters, each cross-cluster call adds the RTT") {
    // Retention off: each of a request's calls picks one of the two clusters.
    // A call that leaves its caller's cluster costs RTT / 2 there and RTT / 2
    // back: latency = path sum + 30 ms x (calls that changed cluster).
    ServiceMesh mesh(sim, 2, net, MeshCompletion::to(rec));
    mesh.add_app(0, constant_bookinfo(), false);
    mesh.add_app(1, constant_bookinfo(), false);
    Trace trace(mesh.graph());
    mesh.set_call_observer(trace.observer());
    const int n = 400;
    for (int i = 0; i < n; ++i) sim.at(TimePoint::start() + 500_ms * i, [&] { rec.send(mesh, 0); });
    sim.run();
    const std::map<std::string, Duration> path = {{"reviews-v1", 6_ms}, {"reviews-v2", 20_ms}, {"reviews-v3", 22_ms}};
    std::vector<std::string> version(n);
    std::vector<int> crossings(n, 0);
    for (const auto& c : trace.calls) {
      if (c.service.rfind("reviews", 0) == 0) version[c.request] = c.service;
      crossings[c.request] += c.from != c.to ? 1 : 0;
    }
    for (std::uint32_t r = 0; r < n; ++r) {
      REQUIRE(rec.outcome[r] == MeshOutcome::ok);
      CHECK(rec.latency(r) == path.at(version[r]) + 30_ms * crossings[r]);
    }
  }
}

TEST_CASE("A saturated service queues its calls, then refuses them with 503 UO", "[app]") {
  // frontend (ample, no work) -> backend: 1 worker, 10 ms a call, 5 pending.
  // Ten requests at t = 0 reach backend in order: the first takes the worker,
  // the next five wait (FIFO), the last four find the queue full.
  // Request k (k = 0..5) ends at (k + 1) x 10 ms; the waits sum to
  // 10 x (0 + 1 + 2 + 3 + 4 + 5) = 150 ms.
  ServiceGraphSpec app;
  ServiceSpec front;
  front.name = "frontend";
  front.workers = 100;
  front.service_time_s = Distribution::constant(0);
  front.calls = {{{"backend"}, {}}};
  ServiceSpec back;
  back.name = "backend";
  back.workers = 1;
  back.service_time_s = Distribution::constant(0.010);
  back.max_pending = 5;
  app.services = {front, back};

  Simulator sim(1);
  Recorder rec(sim);
  UniformMeshNetwork net(1_ms);
  ServiceMesh mesh(sim, 1, net, MeshCompletion::to(rec));
  mesh.add_app(0, app, true);
  for (int i = 0; i < 10; ++i) rec.send(mesh, 0);
  sim.run();
  for (std::uint32_t k = 0; k < 6; ++k) {
    CHECK(rec.outcome[k] == MeshOutcome::ok);
    CHECK(rec.latency(k) == 10_ms * static_cast<std::int64_t>(k + 1));
  }
  for (std::uint32_t k = 6; k < 10; ++k) {
    CHECK(rec.outcome[k] == MeshOutcome::overflow);
    CHECK(rec.latency(k) == Duration::zero());
  }
  const GatewayPodStats st = mesh.instance(0, 1).total_stats();
  CHECK(st.served == 6);
  CHECK(st.overflowed == 4);
  CHECK(st.queue_time == 150_ms);
  CHECK(mesh.stats().overflows == 4);
  CHECK(mesh.stats().failed == 4);
}

TEST_CASE("Retention off sends half the calls to the peer cluster and fails them when its region is down", "[app]") {
  Simulator sim(11);
  Recorder rec(sim);
  UniformMeshNetwork net(20_ms);
  const int n = 4000;
  auto load = [&](ServiceMesh& mesh) {
    for (int i = 0; i < n; ++i) sim.at(sim.now() + 50_ms * i, [&] { rec.send(mesh, 0); });
    sim.run();
  };

  SECTION("both regions up: about half the calls cross, all succeed") {
    ServiceMesh mesh(sim, 2, net, MeshCompletion::to(rec));
    mesh.add_app(0, ServiceGraphSpec::bookinfo(), false);
    mesh.add_app(1, ServiceGraphSpec::bookinfo(), false);
    load(mesh);
    // Calls per request: gateway -> productpage, -> details, -> reviews, and
    // -> ratings 2/3 of the time: 3.67, so ~14,700 calls. Each leaves the
    // caller's cluster with chance 1/2: the share's sd is 0.004.
    const MeshStats& st = mesh.stats();
    CHECK(st.calls == Approx(n * 11.0 / 3).epsilon(0.03));
    CHECK(static_cast<double>(st.cross_cluster_calls) / st.calls == Approx(0.5).margin(0.02));
    CHECK(rec.count(MeshOutcome::ok) == static_cast<std::size_t>(n));
    CHECK(mesh.instance(1, 0).total_stats().served > 0);  // the peer's productpage served some
  }

  SECTION("the peer region down: a request succeeds only if every call stays local") {
    // A request makes 3 calls, plus one to ratings with chance 2/3, each local
    // with chance 1/2 (a failure stops the rest, but the request fails then
    // anyway): P(ok) = 1/3 x (1/2)^3 + 2/3 x (1/2)^4 = 1/24 + 1/24 = 1/12.
    // Binomial(4000, 1/12): mean 333, sd 17.5; 5 sd = 88.
    ServiceMesh mesh(sim, 2, net, MeshCompletion::to(rec));
    mesh.add_app(0, ServiceGraphSpec::bookinfo(), false);
    mesh.add_app(1, ServiceGraphSpec::bookinfo(), false);
    net.set_down(1, true);
    load(mesh);
    const std::size_t ok = rec.count(MeshOutcome::ok);
    CHECK(static_cast<double>(ok) == Approx(n / 12.0).margin(88));
    CHECK(rec.count(MeshOutcome::upstream_connect_failure) == n - ok);
    CHECK(mesh.stats().connect_failures == n - ok);  // one failed call ends each failed request
    // A failed request waited the 1 s connect timeout once.
    for (std::uint32_t r = 0; r < n; ++r) {
      if (rec.outcome[r] == MeshOutcome::ok) continue;
      CHECK(rec.latency(r) >= 1_s);
      CHECK(rec.latency(r) < 1_s + 50_ms);
    }
    CHECK(mesh.instance(1, 0).total_stats().accepted == 0);  // nothing reached the dead region
  }

  SECTION("retention on: the peer's outage costs nothing") {
    ServiceMesh mesh(sim, 2, net, MeshCompletion::to(rec));
    mesh.add_app(0, ServiceGraphSpec::bookinfo(), true);
    mesh.add_app(1, ServiceGraphSpec::bookinfo(), true);
    net.set_down(1, true);
    load(mesh);
    CHECK(rec.count(MeshOutcome::ok) == static_cast<std::size_t>(n));
    CHECK(mesh.stats().cross_cluster_calls == 0);
  }
}

TEST_CASE("Every request handed to the mesh ends exactly once", "[app]") {
  // Overload with deadlines, retention off and the peer dying half way:
  // outcomes of every kind, each request reported once, nothing left in flight.
  Simulator sim(5);
  Recorder rec(sim);
  UniformMeshNetwork net(40_ms);
  ServiceGraphSpec tight = ServiceGraphSpec::bookinfo();
  for (auto& s : tight.services) {
    s.workers = 1;
    s.max_pending = 50;
  }
  ServiceMesh mesh(sim, 2, net, MeshCompletion::to(rec));
  mesh.add_app(0, tight, false);
  mesh.add_app(1, tight, true);
  RandomStream arrivals = sim.stream("test/arrivals");
  // ~900 req/s into cluster 0 for 20 s: productpage's single worker (1.5 ms)
  // is past saturation once the peer's share is added, so queues build.
  TimePoint t = TimePoint::start();
  for (int i = 0; i < 18000; ++i) {
    t = t + Duration::from_seconds(arrivals.exponential(1.0 / 900));
    const std::size_t cluster = i % 3 == 0 ? 1 : 0;
    sim.at(t, [&rec, &mesh, cluster] { rec.send(mesh, cluster, 200_ms); });
  }
  sim.at(TimePoint::start() + 10_s, [&net] { net.set_down(1, true); });
  sim.run();
  std::size_t reported = 0;
  for (std::size_t r = 0; r < rec.reports.size(); ++r) {
    CHECK(rec.reports[r] == 1);
    reported += static_cast<std::size_t>(rec.reports[r]);
    CHECK(rec.latency(r) <= 200_ms);
  }
  const MeshStats& st = mesh.stats();
  CHECK(reported == rec.sent.size());
  CHECK(st.requests == rec.sent.size());
  CHECK(st.ok + st.failed + st.abandoned == st.requests);
  CHECK(st.ok > 0);
  CHECK(st.abandoned > 0);
  CHECK(rec.count(MeshOutcome::upstream_connect_failure) == 0);  // the 1 s connect timeout outlasts the 200 ms deadline
  CHECK(st.connect_failures > 0);
  CHECK(mesh.in_flight() == 0);
}

TEST_CASE("A service graph rejects cycles, unknown callees and chains deeper than its call stack", "[app]") {
  ServiceGraphSpec g;
  ServiceSpec a;
  a.name = "a";
  a.calls = {{{"b"}, {}}};
  ServiceSpec b;
  b.name = "b";
  b.calls = {{{"a"}, {}}};
  g.services = {a, b};
  CHECK_THROWS_WITH(ServiceGraph(g), Catch::Contains("cycle"));
  g.services[1].calls = {{{"c"}, {}}};
  CHECK_THROWS_WITH(ServiceGraph(g), Catch::Contains("unknown service c"));
  g.services.clear();
  // Appending, not "s" + std::to_string(i): GCC 12 warns on the latter (-Wrestrict, bug 105329).
  const auto name = [](int i) {
    std::string n = "s";
    n += std::to_string(i);
    return n;
  };
  for (int i = 0; i < 9; ++i) {
    ServiceSpec s;
    s.name = name(i);
    if (i < 8) s.calls = {{{name(i + 1)}, {}}};
    g.services.push_back(s);
  }
  CHECK_THROWS_WITH(ServiceGraph(g), Catch::Contains("deeper than 8"));
}

// ---- on the failover model's request path ---------------------------------

namespace {
void check_conservation(const RunMetrics& m) {
  std::uint64_t sum = 0;
  for (std::size_t c = 0; c < kCauseCount; ++c) sum += m.count(static_cast<Cause>(c));
  CHECK(sum == m.completed());
  CHECK(m.started() == m.completed() + m.in_flight());
}
}  // namespace

TEST_CASE("The failover model runs requests through the app when the gateway has one", "[app][failover]") {
  using drsim::testing::TwoRegionOptions;
  using drsim::testing::two_region_spec;
  TwoRegionOptions o;
  o.fault_kind = FaultKind::region_outage;
  o.fault_at = 150_s;

  SECTION("no capacity model: fortio's calls all pass through productpage") {
    auto spec = two_region_spec(o);
    spec.gateways[0].app = constant_bookinfo();
    spec.gateways[1].app = constant_bookinfo();
    spec.faults.clear();
    FailoverModel model(spec, 1);
    auto& m = model.run();
    REQUIRE(model.mesh() != nullptr);
    CHECK(m.failed() == 0);
    CHECK(model.mesh()->stats().requests == m.started());
    CHECK(model.mesh()->stats().ok == m.completed());
    check_conservation(m);
  }

  SECTION("behind gateway pods: the gateway serves, then the app") {
    auto spec = two_region_spec(o);
    spec.faults.clear();
    for (auto& gw : spec.gateways) {
      gw.app = ServiceGraphSpec::bookinfo();
      gw.capacity_model = true;
      gw.capacity.replicas = 2;
    }
    FailoverModel model(spec, 2);
    auto& m = model.run();
    CHECK(m.failed() == 0);
    const std::uint64_t served =
        model.deployment(0)->gateway().total_stats().served + model.deployment(1)->gateway().total_stats().served;
    CHECK(model.mesh()->stats().requests == served);
    CHECK(model.mesh()->stats().ok == m.completed());
    check_conservation(m);
  }

  SECTION("retention off: region 2's outage fails region 1's calls to it (503); on: it does not") {
    auto failed_503 = [&](bool cluster_local) {
      auto spec = two_region_spec(o);
      auto& t = spec.topology;
      t.add_link(t.region_node(0), t.region_node(1), 30_ms);
      for (auto& gw : spec.gateways) {
        gw.app = ServiceGraphSpec::bookinfo();
        gw.cluster_local = cluster_local;
      }
      FailoverModel model(spec, 3);
      auto& m = model.run();
      check_conservation(m);
      if (!cluster_local) CHECK(model.mesh()->stats().connect_failures > 0);
      return m.count(Cause::http_503);
    };
    CHECK(failed_503(true) == 0);
    // fortio's one connection waits out each 1 s connect timeout, so after
    // the outage it sends about one call a second, 11 in 12 of them failing.
    CHECK(failed_503(false) > 50);
  }

  SECTION("the same seed gives the same run") {
    auto spec = two_region_spec(o);
    auto& t = spec.topology;
    t.add_link(t.region_node(0), t.region_node(1), 30_ms);
    for (auto& gw : spec.gateways) {
      gw.app = ServiceGraphSpec::bookinfo();
      gw.cluster_local = false;
    }
    FailoverModel a(spec, 9), b(spec, 9), c(spec, 10);
    a.run();
    b.run();
    c.run();
    CHECK(a.simulator().fingerprint() == b.simulator().fingerprint());
    CHECK(a.metrics().count(Cause::http_503) == b.metrics().count(Cause::http_503));
    CHECK(a.simulator().fingerprint() != c.simulator().fingerprint());
  }

  SECTION("a deadline shorter than the path: read timeouts, each request still ends once") {
    auto spec = two_region_spec(o);
    spec.faults.clear();
    spec.populations[0].profile.read_timeout = 15_ms;  // via v2 or v3 the path alone is 20-22 ms
    for (auto& gw : spec.gateways) gw.app = constant_bookinfo();
    FailoverModel model(spec, 4);
    auto& m = model.run();
    CHECK(m.count(Cause::read_timeout) > 0);
    CHECK(m.count(Cause::ok) > 0);
    CHECK(model.mesh()->stats().abandoned == m.count(Cause::read_timeout));
    check_conservation(m);
  }
}

TEST_CASE("Model files describe the app under each region gateway", "[app][scenario]") {
  auto scenario = Scenario::load(std::string(DRSIM_SOURCE_DIR) + "/models/bookinfo-cross-cluster.json");
  const ModelSpec& spec = scenario.spec();
  REQUIRE(spec.gateways[0].app.has_value());
  CHECK(spec.gateways[0].app->services.front().name == "productpage");
  CHECK_FALSE(spec.gateways[0].cluster_local);

  SECTION("a custom graph with weighted alternatives") {
    // Both regions at once: every cluster's app must have the same calls.
    std::ifstream in(std::string(DRSIM_SOURCE_DIR) + "/models/bookinfo-cross-cluster.json");
    nlohmann::json doc = nlohmann::json::parse(in);
    for (auto& region : doc["regions"])
      region["gateway"]["app"] = nlohmann::json::parse(
          R"({"services": [{"name": "web", "workers": 2, "service_time": "2ms", "calls": ["db", {"a": 1, "b": 3}]},
                           {"name": "db"}, {"name": "a"}, {"name": "b", "max_pending": 10}]})");
    const auto custom = Scenario::from_json(doc.dump(), "custom.json");
    const auto& app = *custom.spec().gateways[0].app;
    REQUIRE(app.services.size() == 4);
    CHECK(app.services[0].workers == 2);
    CHECK(app.services[0].calls[1].weights == std::vector<double>{1, 3});
    CHECK(app.services[3].max_pending == 10);
  }

  SECTION("errors name the JSON path") {
    auto fails_at = [&](const std::string& path, const std::string& value, const std::string& where) {
      auto s = scenario;
      try {
        s.set(path, value);
        FAIL("no error for " << value);
      } catch (const ModelError& e) {
        CHECK_THAT(std::string(e.what()), Catch::Contains(where));
      }
    };
    fails_at("regions.region-1.gateway.app", "\"bookinf\"", "regions[0].gateway.app");
    fails_at("regions.region-1.gateway.app", R"({"services": [{"name": "web", "calls": ["dbx"]}, {"name": "db"}]})",
             "regions[0].gateway.app.services[0].calls[0]");
    fails_at("regions.region-1.gateway.app", R"({"services": [{"name": "web", "wrkers": 2}]})",
             "regions[0].gateway.app.services[0].wrkers");
    fails_at("regions.region-1.gateway.app", R"({"services": [{"name": "a", "calls": ["a"]}]})",
             "regions[0].gateway.app");
    fails_at("regions.region-1.gateway.app", R"({"preset": "bookinfo", "services": [{"name": "ratings", "calls": ["reviews-v2"]}]})",
             "cycle");
    fails_at("regions.region-2.gateway.app", R"({"services": [{"name": "productpage"}]})",
             "regions[1].gateway.app");  // a different graph from region-1's
  }
}

TEST_CASE("Bookinfo across clusters: retention off fails most requests once region 2 is down", "[app][scenario]") {
  // The shipped model: 200 req/s for 10 minutes, region 2 down at 5 min.
  // Retention off: after the outage, a request served by region 1 succeeds
  // only if all of its calls stay in region 1: 1/12 (see the mesh case above),
  // so about 11/12 of the later half fails; retention on: only the DNS
  // window's connect timeouts.
  auto scenario = Scenario::load(std::string(DRSIM_SOURCE_DIR) + "/models/bookinfo-cross-cluster.json");
  const Result off = run(scenario, {.seed = 1, .replications = 1});
  scenario.set("regions.region-1.gateway.cluster_local", "true");
  scenario.set("regions.region-2.gateway.cluster_local", "true");
  const Result on = run(scenario, {.seed = 1, .replications = 1});
  const Summary& a = off.summary();
  const Summary& b = on.summary();
  CHECK(a.by_cause.at("http_503") > a.requests / 3);
  CHECK(b.by_cause.at("http_503") == 0);
  CHECK(a.failed > 4 * b.failed);
}
