// The assembled model: closed forms of the failover window, client profiles
// reacting to a failure as their sources say, faults, conservation and
// determinism.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "cli_runner.hpp"
#include "drsim/core/stats.hpp"
#include "drsim/run.hpp"
#include "drsim/scenario/scenario.hpp"
#include "model_fixture.hpp"

using namespace drsim;
using namespace drsim::literals;
using drsim::testing::TwoRegionOptions;
using drsim::testing::two_region_spec;

namespace {
void check_conservation(const RunMetrics& m) {
  std::uint64_t sum = 0;
  for (std::size_t c = 0; c < kCauseCount; ++c) sum += m.count(static_cast<Cause>(c));
  CHECK(sum == m.completed());
  CHECK(m.started() == m.completed() + m.in_flight());
}
std::uint64_t sent_after(const RunMetrics& m, double t_s) {
  std::uint64_t n = 0;
  for (std::size_t s = static_cast<std::size_t>(t_s); s < m.seconds(); ++s)
    for (std::size_t r = 0; r <= m.regions(); ++r) n += m.at(s, r).sent;
  return n;
}
}  // namespace

TEST_CASE("fortio 'first' through a rotating resolver fails r/2 x (D + remaining TTL)", "[failover][outcome]") {
  // Gateway 2 deleted at 150 s (refused). One probe node on phase 1 s, I = 15 s,
  // N = 3: probes at 151, 166, 181 s fail; judged on the last result, 10 ms
  // later: D = 181.01 - 150 = 31.01 s. The resolver fetched at 0, 60, 120 and
  // 180 s (fortio's calls land on those instants), so the answer it holds at
  // 181.01 s lives until 240 s: remaining TTL = 58.99 s. The resolver rotates
  // per reply and 'first' takes the head, so calls alternate: failures =
  // 100/2 x (31.01 + 58.99) = 4500.
  TwoRegionOptions o;
  auto spec = two_region_spec(o);
  spec.gtm.phases = {1_s};
  FailoverModel model(spec, 1);
  auto& m = model.run();
  const auto h = m.headline();
  REQUIRE(h.time_to_detect_s.has_value());
  CHECK(*h.time_to_detect_s == Approx(31.01).margin(1e-6));
  CHECK(m.failed() == Approx(4500).margin(1));
  CHECK(m.count(Cause::connect_refused) == m.failed());
  CHECK(m.started() == 30000);
  check_conservation(m);
  // The window: from the deletion to the resolver's refetch at 240 s.
  CHECK(*h.failure_window_start_s == Approx(150).margin(0.011));
  CHECK(*h.failure_window_end_s == Approx(240).margin(0.031));
}

TEST_CASE("fortio's default cached-rr fails half the calls after the deletion, whatever GTM does", "[failover][outcome]") {
  for (Duration ttl : {10_s, 60_s, 300_s}) {
    for (int failures : {1, 3}) {
      TwoRegionOptions o;
      o.client = "fortio-cached-rr";
      o.ttl = ttl;
      o.failures = failures;
      o.fault_at = 123_s;
      FailoverModel model(two_region_spec(o), 5);
      auto& m = model.run();
      // Calls at 123.00 .. 299.99 s: 17,700 of them, alternating over the two
      // cached addresses for the life of the process: 8,850 fail.
      INFO("ttl " << to_string(ttl) << ", failures " << failures);
      CHECK(sent_after(m, 123) == 17700);
      CHECK(m.failed() == Approx(8850).margin(1));
      check_conservation(m);
    }
  }
}

TEST_CASE("A black hole with a 1 s timeout costs about one failure per second of window", "[failover][outcome]") {
  TwoRegionOptions o;
  o.fault_kind = FaultKind::gateway_blackholed;
  auto spec = two_region_spec(o);
  spec.gtm.phases = {1_s};
  spec.populations[0].profile.connect_timeout = 1_s;
  spec.populations[0].profile.total_timeout = 1_s;
  FailoverModel model(spec, 1);
  auto& m = model.run();
  // Every call to the dead address blocks the single connection for 1 s; the
  // call after it goes out at once (catch-up) to the live address, so the
  // window passes at about one failure per second. D = 181 + 2 s probe
  // timeout - 150 = 33 s; the resolver's answer lives to 240 s: a 90 s window.
  CHECK(m.count(Cause::connect_timeout) == m.failed());
  CHECK(static_cast<double>(m.failed()) == Approx(90).margin(6));
  check_conservation(m);
}

TEST_CASE("Client profiles react to the failure as their sources say", "[failover][client]") {
  SECTION("Go falls back to the next address at once on refusal: no failures") {
    TwoRegionOptions o;
    o.client = "go";
    auto spec = two_region_spec(o);
    spec.populations[0].profile.keepalive = false;
    FailoverModel model(spec, 1);
    auto& m = model.run();
    CHECK(m.failed() == 0);
    CHECK(m.attempts() > m.started());  // the fallbacks happened
  }
  SECTION("Go with a 2 s budget has no time left for the second address on a black hole") {
    TwoRegionOptions o;
    o.client = "go";
    o.fault_kind = FaultKind::gateway_blackholed;
    auto spec = two_region_spec(o);
    spec.populations[0].profile.keepalive = false;
    spec.populations[0].profile.connect_timeout = 2_s;
    FailoverModel model(spec, 1);
    auto& m = model.run();
    CHECK(m.failed() > 0);
    CHECK(m.count(Cause::connect_timeout) == m.failed());

    SECTION("while its default 30 s budget gives each address 15 s and the fallback succeeds") {
      spec.populations[0].profile.connect_timeout = 30_s;
      FailoverModel m30(spec, 1);
      auto& r = m30.run();
      CHECK(r.failed() == 0);
      CHECK(r.latency().max_ns() >= static_cast<std::uint64_t>((15_s).ns()));
    }
  }
  SECTION("curl falls back on refusal") {
    TwoRegionOptions o;
    o.client = "curl";
    FailoverModel model(two_region_spec(o), 1);
    CHECK(model.run().failed() == 0);
  }
  SECTION("Java without fallback keeps failing until its 30 s cache and the TTL run out") {
    TwoRegionOptions o;
    o.client = "java";
    auto spec = two_region_spec(o);
    spec.populations[0].profile.keepalive = false;
    spec.gtm.phases = {1_s};
    FailoverModel model(spec, 3);
    auto& m = model.run();
    const auto h = m.headline();
    // The old answer can live in the resolver until 240 s and then 30 s in Java.
    if (m.failed() > 0) CHECK(*h.failure_window_end_s <= 270.0 + 1e-9);
    check_conservation(m);
  }
  SECTION("nginx never re-resolves: it keeps trying the dead address first to the end") {
    TwoRegionOptions o;
    o.client = "nginx";
    FailoverModel model(two_region_spec(o), 1);
    auto& m = model.run();
    CHECK(m.failed() == 0);                       // proxy_next_upstream saves every call
    const auto h = m.headline();
    CHECK(*h.time_to_drain_s == Approx(150).margin(1));  // but it never drains
  }
}

TEST_CASE("Faults: region outage, gray failure, partition, GTM outage, balancer checks", "[failover][fault]") {
  SECTION("a region outage turns into connect timeouts") {
    TwoRegionOptions o;
    o.fault_kind = FaultKind::region_outage;
    FailoverModel model(two_region_spec(o), 1);
    auto& m = model.run();
    CHECK(m.failed() > 0);
    CHECK(m.count(Cause::connect_timeout) == m.failed());
  }
  SECTION("a gray failure fails its share with 503 and slows the rest") {
    TwoRegionOptions o;
    FaultSpec f;
    f.kind = FaultKind::gray_failure;
    f.clusters = {1};
    f.at = TimeSpec{0_s, 0_s};
    f.error_share = 0.2;
    f.extra_latency = 1_ms;
    o.fault = f;
    o.probe_nodes = 1;
    auto spec = two_region_spec(o);
    spec.gtm.protocol = ProbeProtocol::tcp;  // a TCP probe does not see the errors
    FailoverModel model(spec, 1);
    auto& m = model.run();
    // Half the 30,000 calls reach gateway 2; 20 % of those fail: 3,000 (sd 49).
    CHECK(m.count(Cause::http_503) == Approx(3000).margin(200));
    CHECK(m.failed() == m.count(Cause::http_503));
  }
  SECTION("a probe-path partition makes the GTM pull a healthy address") {
    TwoRegionOptions o;
    FaultSpec f;
    f.kind = FaultKind::partition;
    f.at = TimeSpec{100_s, 100_s};
    o.fault = f;
    auto spec = two_region_spec(o);
    // Cut the probe site's link to region 2 only; the users' links stay.
    spec.faults[0].links = {{spec.gtm.probe_sites[0], spec.topology.region_node(1)}};
    FailoverModel model(spec, 1);
    auto& m = model.run();
    CHECK(m.failed() == 0);
    CHECK_FALSE(model.gtm().judged_healthy(1));
    // After the answer change and the TTL, region 1 serves everything.
    CHECK(m.at(290, 1).sent == 0);
  }
  SECTION("a GTM outage: SERVFAIL after expiry without serve-stale, old answers with it") {
    TwoRegionOptions o;
    FaultSpec f;
    f.kind = FaultKind::gtm_outage;
    f.at = TimeSpec{100_s, 100_s};
    o.fault = f;
    auto spec = two_region_spec(o);
    FailoverModel plain(spec, 1);
    auto& m = plain.run();
    // The cache fetched at 60 s expires at 120 s: every call from then fails (180 s x 100).
    CHECK(m.count(Cause::dns_failure) == Approx(18000).margin(1));
    spec.resolvers[0].serve_stale = true;
    FailoverModel stale(spec, 1);
    CHECK(stale.run().failed() == 0);
  }
  SECTION("externalTrafficPolicy Local drops until the balancer marks the backends down") {
    TwoRegionOptions o;
    auto spec = two_region_spec(o);
    spec.gateways[1].lb.traffic_policy = TrafficPolicy::local;
    spec.gateways[1].lb.when_no_backend = NoBackendBehaviour::refuse;
    FailoverModel model(spec, 1);
    auto& m = model.run();
    CHECK(m.count(Cause::connect_timeout) > 0);
    CHECK(m.count(Cause::connect_refused) > 0);
    CHECK(model.balancer(1).backends_marked_down());
    const auto* marked = m.log().first("backends_unhealthy");
    REQUIRE(marked != nullptr);
    // Check every 2 s, 3 failures: marked 4 to 6 s after the deletion.
    CHECK((marked->time - (TimePoint::start() + 150_s)).seconds_f() >= 4.0);
    CHECK((marked->time - (TimePoint::start() + 150_s)).seconds_f() <= 6.0);
  }
}

TEST_CASE("Runs are deterministic: same seed, same fingerprint and numbers", "[failover][determinism]") {
  TwoRegionOptions o;
  o.client = "fortio-rnd";
  auto spec = two_region_spec(o);
  spec.faults[0].at = TimeSpec{100_s, 200_s};
  FailoverModel a(spec, 11), b(spec, 11), c(spec, 12);
  auto& ma = a.run();
  auto& mb = b.run();
  auto& mc = c.run();
  CHECK(a.simulator().fingerprint() == b.simulator().fingerprint());
  CHECK(ma.failed() == mb.failed());
  CHECK(a.simulator().fingerprint() != c.simulator().fingerprint());
  check_conservation(ma);
  check_conservation(mc);
}

TEST_CASE("fortio pacing inside the model: catch-up, and -nocatchup skipping calls", "[failover][load]") {
  TwoRegionOptions o;
  SECTION("refused connections fail fast: all 30,000 calls go out") {
    FailoverModel refused(two_region_spec(o), 1);
    CHECK(refused.run().started() == 30000);
  }
  SECTION("3 s timeouts put the single connection behind; -nocatchup never sends the missed calls") {
    o.fault_kind = FaultKind::gateway_blackholed;
    auto spec = two_region_spec(o);
    FailoverModel catchup(spec, 1);
    const auto with_catchup = catchup.run().started();
    spec.populations[0].load.fortio.catchup = false;
    FailoverModel skip(spec, 1);
    auto& m = skip.run();
    // Each 3 s timeout restarts the schedule 3 s late: 299 of the 300 slots
    // it covered are never used.
    CHECK(static_cast<double>(m.started()) == Approx(30000.0 - 299.0 * static_cast<double>(m.failed())).margin(5));
    CHECK(with_catchup > m.started());
    check_conservation(m);
  }
}

TEST_CASE("A component given a parameter it cannot work with throws ParameterError", "[failover]") {
  auto spec = drsim::testing::two_region_spec();
  spec.resolvers.clear();
  CHECK_THROWS_AS(drsim::FailoverModel(spec, 1), drsim::ParameterError);
  spec = drsim::testing::two_region_spec();
  spec.gtm.interval = drsim::Duration::zero();
  CHECK_THROWS_AS(drsim::FailoverModel(spec, 1), drsim::ParameterError);
  CHECK_THROWS_AS(drsim::Distribution::exponential(0), drsim::ParameterError);
}

namespace {
/// One call at t = 0 to an answer [gw-2, gw-1] whose first address is
/// black-holed from the start (RTT 1 ms, 4 ms of service, so a call that
/// connects at T ends at T + 6 ms). Returns the model's metrics.
RunMetrics one_call_past_a_black_hole(const ClientProfile& profile) {
  TwoRegionOptions o;
  o.qps = 1;
  o.duration = 1_s;
  o.fault_kind = FaultKind::gateway_blackholed;
  o.fault_at = 0_s;
  o.rotation = RecordRotation::none;
  auto spec = two_region_spec(o);
  spec.gtm.policy = AnswerPolicy::all_rotated;
  spec.gtm.primary = {{1, 1.0}, {0, 1.0}};  // the first answer lists gw-2 first
  spec.horizon = 400_s;
  spec.populations[0].profile = profile;
  FailoverModel model(spec, 1);
  return model.run();
}
}  // namespace

TEST_CASE("Two addresses, the first black-holed: each client's connect rule decides which attempt succeeds and when",
          "[failover][client][connect]") {
  struct Case {
    const char* preset;
    std::optional<Duration> connect_timeout, total_timeout;
    bool ok;
    double at_s;  // when the call ends
  };
  const std::vector<Case> cases = {
      // python: each address the full timeout, None by default: the kernel gives up on the SYN after 127 s.
      {"python", {}, {}, true, 127.006},
      {"python", 5_s, {}, true, 5.006},            // socket timeout 5 s: per address
      // Go: 30 s dial timeout split over 2 addresses: 15 s each (>= 2 s).
      {"go", {}, {}, true, 15.006},
      {"go", 3_s, {}, true, 2.006},                // 3 / 2 < 2 s: raised to 2 s; the last address gets the 1 s left
      // curl up to 8.15: half of the time left to the first address: 150 s, cut by the kernel at 127 s.
      {"curl", {}, {}, true, 127.006},
      {"curl", {}, 10_s, true, 5.006},             // -m 10 bounds the connect phase: 10 / 2 = 5 s
      {"curl", 2_s, 10_s, true, 1.006},            // --connect-timeout 2: 1 s to the first address
      // curl >= 8.16: the second attempt starts 200 ms after the first.
      {"curl-8.16", {}, {}, true, 0.206},
      // Node: the first attempt abandoned after 250 ms.
      {"node", {}, {}, true, 0.256},
      // Chrome: one 240 s connect job; the kernel ends the first attempt at 127 s.
      {"chrome", {}, {}, true, 127.006},
      // nginx: proxy_connect_timeout 60 s per attempt, then proxy_next_upstream.
      {"nginx", {}, {}, true, 60.006},
      // No fallback: the black-holed address is the only attempt.
      {"java", {}, {}, false, 127.0},
      {"fortio-first", {}, {}, false, 3.0},
      {"envoy-strict-dns", {}, {}, false, 5.0},
  };
  for (const auto& c : cases) {
    ClientProfile p = client_preset(c.preset);
    if (c.connect_timeout) p.connect_timeout = *c.connect_timeout;
    if (c.total_timeout) p.total_timeout = *c.total_timeout;
    INFO(c.preset << ", connect " << to_string(p.connect_timeout) << ", timeout " << to_string(p.total_timeout));
    const RunMetrics m = one_call_past_a_black_hole(p);
    REQUIRE(m.completed() == 1);
    CHECK(m.ok() == (c.ok ? 1u : 0u));
    if (!c.ok) CHECK(m.count(Cause::connect_timeout) == 1);
    CHECK(static_cast<double>(m.latency().max_ns()) * 1e-9 == Approx(c.at_s).margin(0.002));
  }
}

TEST_CASE("Static answers from the authority's packet cache reach resolvers later than dynamic ones", "[failover][authority]") {
  // As the first spec: detection at 181.01 s. The resolver (TTL 10 s) fetches at 0, 10, ..., 180, 190 s.
  // Dynamic answers (PowerDNS Lua records bypass the packet cache): the fetch at 190 s gets the new answer,
  // so calls fail from 150 to 190 s: 50/s x 40 s = 2,000. Static records behind a 20 s packet cache: the
  // authority refreshed its reply at 180 s (until 200 s), so the fetch at 190 s still gets the old one and
  // the window ends at 200 s: 50/s x 50 s = 2,500.
  for (const auto& [answers, failed] : {std::pair{AuthorityAnswers::dynamic, 2000.0},
                                        std::pair{AuthorityAnswers::static_records, 2500.0}}) {
    TwoRegionOptions o;
    o.ttl = 10_s;
    auto spec = two_region_spec(o);
    spec.gtm.phases = {1_s};
    spec.gtm.answers = answers;
    spec.gtm.packet_cache_ttl = 20_s;
    FailoverModel model(spec, 1);
    auto& m = model.run();
    INFO(name_of(answers));
    CHECK(static_cast<double>(m.failed()) == Approx(failed).margin(1));
    check_conservation(m);
  }
}

TEST_CASE("The publish delay may vary per change: publish_delay + a draw of publish_spread", "[failover][authority]") {
  TwoRegionOptions o;
  auto spec = two_region_spec(o);
  spec.gtm.phases = {1_s};
  spec.gtm.publish_delay = 2_s;
  spec.gtm.publish_spread_s = Distribution::uniform(3, 3);  // a constant 3 s drawn per change
  FailoverModel model(spec, 1);
  const auto h = model.run().headline();
  // Judged at 181.01 s (31.01 s after the fault), published 2 + 3 s later.
  CHECK(*h.time_to_detect_s == Approx(31.01).margin(1e-6));
  CHECK(*h.time_to_answer_change_s == Approx(36.01).margin(1e-6));
  RunningStats spread;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    auto s2 = two_region_spec(o);
    s2.gtm.phases = {1_s};
    s2.gtm.publish_spread_s = Distribution::exponential(10);
    FailoverModel m2(s2, seed);
    const auto h2 = m2.run().headline();
    spread.add(*h2.time_to_answer_change_s - *h2.time_to_detect_s);
  }
  // Exponential with mean 10 s: 40 draws, standard error 10 / sqrt(40) = 1.6 s.
  CHECK(spread.mean() == Approx(10).margin(5));
  CHECK(spread.max() > spread.min());
}

TEST_CASE("The drain curve follows the resolver's copy of the old answer", "[failover][drain]") {
  // As the first spec: the answer drops gw-2 at 181.01 s; the resolver's copy (fetched at 180 s) lives to
  // 240 s, i.e. 58.99 s after the change. Calls alternate, so half of each second's requests go to gw-2
  // until then, none after; the one client's latest send alternates too (0 or 1).
  TwoRegionOptions o;
  auto spec = two_region_spec(o);
  spec.gtm.phases = {1_s};
  FailoverModel model(spec, 1);
  const auto& m = model.run();
  const DrainTracker& d = m.drain;
  REQUIRE(d.started());
  CHECK(d.changed_at()->seconds_f() == Approx(181.01).margin(1e-6));
  CHECK(d.removed().size() == 1);
  CHECK(d.removed()[0] == 1);
  for (std::size_t s = 0; s < 58; ++s) CHECK(d.at(s).requests_old == Approx(0.5).margin(0.011));
  CHECK(d.at(58).requests_old > 0.0);   // [58, 59) s: sends until 58.99 s
  CHECK(d.at(59).requests_old == 0.0);  // the new answer from 240 s on
  CHECK(d.at(60).clients_old == 0.0);
  CHECK(d.seconds() == 178);  // whole seconds to the horizon (load end 300 s + 60 s): floor(178.99)
  const auto curve = d.curve();
  REQUIRE(curve.size() == 8);  // the ladder's 0, 5, 10, 20, 30, 60, 90, 120 s; 180 s is past the horizon
  CHECK(curve.back().t_s == 120);
}

TEST_CASE("A run without a fault that changes the answer has no drain curve", "[failover][drain]") {
  TwoRegionOptions o;
  o.fault_at = 1000_s;  // after the run
  FailoverModel model(two_region_spec(o), 1);
  CHECK_FALSE(model.run().drain.started());
}

namespace {
std::string model_text(const std::string& file) {
  std::ifstream in(drsim::testing::source_path("models/" + file));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}
std::string replaced_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
  return text;
}
/// The spike shortened to 3 minutes, with a second client site 4 ms from
/// region-1 and 45 ms from region-2 whose clients open a connection a request
/// (`kept`: keep them alive, each with a rate-limit bucket of its own), a
/// region outage, a gray failure and a partition starting between seconds.
std::string two_sites_spike(bool kept) {
  std::string text = replaced(model_text("surviving-region-spike.json"), R"("at": "10m")", R"("at": "100.5s")");
  text = replaced(text, R"("duration": "30m")", R"("duration": "3m")");
  if (kept)
    text = replaced_all(text, R"("refill": "timer", "port": 80})", R"("refill": "timer", "port": 80, "per_downstream_connection": true})");
  text = replaced(text, R"({"name": "users", "kind": "client", "links": {"region-1": "20ms", "region-2": "20ms"}},)",
                  R"({"name": "users", "kind": "client", "links": {"region-1": "20ms", "region-2": "20ms"}},
                     {"name": "mobile", "kind": "client", "links": {"region-1": "4ms", "region-2": "45ms"}},)");
  text = replaced(text, R"("load": {"kind": "open_loop", "rate": "2000/s", "arrivals": "poisson", "clients": 500, "duration": "3m"}
    })",
                  std::string(R"("load": {"kind": "open_loop", "rate": "2000/s", "arrivals": "poisson", "clients": 500, "duration": "3m"}
    },
    {"name": "near", "site": "mobile",
     "profile": {"name": "near", "dns_cache": "honour_ttl", "choice": "random", "connect_timeout": "3s", "read_timeout": "10s", "timeout": "0s", "keepalive": )") +
                      (kept ? "true" : "false") + R"(},
     "resolvers": {"isp": 1},
     "load": {"kind": "open_loop", "rate": "700/s", "arrivals": "poisson", "clients": )" +
                      (kept ? "4" : "20") + R"(, "duration": "3m"}})");
  return replaced(text, R"({"kind": "region_outage", "target": "region-2", "at": "100.5s"})",
                  R"({"kind": "region_outage", "target": "region-2", "at": "100.5s"},
                     {"kind": "gray_failure", "target": "cluster-1", "at": "60.25s", "duration": "30s", "error_share": 0.2, "extra_latency": "10ms"},
                     {"kind": "partition", "links": [["mobile", "region-2"]], "at": "30.75s", "duration": "20.1s"})");
}
/// Every count and figure a run reports, with and without the request
/// path's shortcuts (early settling, taking a request at the pods before its
/// arrival event), for the same seed.
void check_shortcuts_change_nothing(const Scenario& sc, std::uint64_t seed) {
  ModelSpec plain = sc.spec();
  plain.request_shortcuts = false;
  FailoverModel fast(sc.spec(), seed), slow(plain, seed);
  const RunMetrics& a = fast.run();
  const RunMetrics& b = slow.run();
  CHECK(fast.simulator().executed_events() < slow.simulator().executed_events());
  CHECK(a.started() == b.started());
  CHECK(a.completed() == b.completed());
  for (std::size_t c = 0; c < kCauseCount; ++c) CHECK(a.count(static_cast<Cause>(c)) == b.count(static_cast<Cause>(c)));
  CHECK(headline_figures(a) == headline_figures(b));
  for (std::size_t s = 0; s < a.seconds(); ++s)
    for (std::size_t r = 0; r <= a.regions(); ++r) CHECK(a.at(s, r).by_cause == b.at(s, r).by_cause);
  for (std::size_t r = 0; r < a.regions(); ++r) {
    const auto& ca = a.capacity(r).samples;
    const auto& cb = b.capacity(r).samples;
    REQUIRE(ca.size() == cb.size());
    for (std::size_t s = 0; s < ca.size(); ++s) {
      CHECK(ca[s].ready == cb[s].ready);
      CHECK(ca[s].cpu_utilization_pct == cb[s].cpu_utilization_pct);
      CHECK(ca[s].queue_length == cb[s].queue_length);
    }
  }
}
}  // namespace

TEST_CASE("The request path's shortcuts change no figure, only the number of events", "[failover][determinism]") {
  SECTION("the seed drill: one fortio connection, a gateway deleted") {
    const Scenario sc = Scenario::from_json(model_text("asm-gtm-drill.json"), "drill");
    for (std::uint64_t seed : {1, 2, 3}) check_shortcuts_change_nothing(sc, seed);
  }
  SECTION("the surviving-region spike: 500 open-loop clients, rate limits, the HPA, queues, a region outage") {
    std::string text = replaced(model_text("surviving-region-spike.json"), R"("at": "10m")", R"("at": "2m")");
    text = replaced(text, R"("duration": "30m")", R"("duration": "5m")");
    const Scenario sc = Scenario::from_json(text, "spike");
    check_shortcuts_change_nothing(sc, 1);
  }
  SECTION("two sites at different distances, a gray failure and a partition") {
    // Requests from the near site overtake the far site's on their way to a
    // region's pods, and the faults change what the pods and replies see
    // mid-run, between the Deployments' per-second samples.
    const Scenario sc = Scenario::from_json(two_sites_spike(false), "two-sites");
    REQUIRE(sc.spec().populations.size() == 2);
    REQUIRE(sc.spec().faults.size() == 3);
    check_shortcuts_change_nothing(sc, 2);
  }
  SECTION("kept-alive connections with rate-limit buckets of their own") {
    // 175 requests/s on each of the 4 near clients' connections against a
    // quota of 100/s: each 429 closes its connection (and the next request
    // opens one with a full bucket) while other requests are on their way.
    const Scenario sc = Scenario::from_json(two_sites_spike(true), "kept-alive");
    REQUIRE(sc.spec().populations.size() == 2);
    check_shortcuts_change_nothing(sc, 3);
    FailoverModel m(sc.spec(), 3);
    CHECK(m.run().count(Cause::http_429) > 1000);
  }
  SECTION("an overloaded gateway: requests wait, time out and are rate limited") {
    std::string text = replaced(model_text("surviving-region-spike.json"), R"("at": "10m")", R"("at": "1m")");
    text = replaced(text, R"("duration": "30m")", R"("duration": "3m")");
    // 40 ms of CPU a request: a pod's 2 workers take 50/s, its rate limit admits 100/s.
    text = replaced_all(text, R"({"exponential": "1.1ms"})", R"({"exponential": "40ms"})");
    text = replaced(text, R"("rate": "2000/s")", R"("rate": "3000/s")");
    const Scenario sc = Scenario::from_json(text, "overload");
    check_shortcuts_change_nothing(sc, 4);
    FailoverModel m(sc.spec(), 4);
    const RunMetrics& r = m.run();
    CHECK(r.count(Cause::http_429) > 1000);
    CHECK(r.count(Cause::read_timeout) > 1000);
    CHECK(r.count(Cause::http_503) > 0);
  }
}
