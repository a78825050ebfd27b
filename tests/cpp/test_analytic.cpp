// The closed form of a DNS failover's failed share next to the simulation,
// on three scenarios: the closed form must sit inside the simulation's 95 %
// interval, and that interval must be narrow (half-width <= 0.5 points) for
// the agreement to mean something.
#include <catch2/catch.hpp>

#include "cli_runner.hpp"
#include "drsim/analysis/dns_failover_formula.hpp"
#include "drsim/run.hpp"

using namespace drsim;
using namespace drsim::literals;
using drsim::testing::source_path;

namespace {

const std::string kDrill = source_path("models/asm-gtm-drill.json");

HealthRule failing_above(double x) { return {HealthRule::Kind::failing_share_above, x}; }
HealthRule healthy_above(double x) { return {HealthRule::Kind::healthy_share_above, x}; }

// The probe sites' RTTs to region-2 in the drill: probe-a 30 ms, probe-b
// 15 ms, probe-c 35 ms; their mean is the probe time of a refused probe.
constexpr double kProbeTime = (0.030 + 0.015 + 0.035) / 3;  // 26.67 ms

}  // namespace

TEST_CASE("The share rule needs m failing nodes out of K", "[analytic]") {
  // Alibaba: unhealthy when the failing share exceeds the threshold.
  CHECK(failing_nodes_needed(failing_above(0.5), 3) == 2u);   // 2/3 > 50 %
  CHECK(failing_nodes_needed(failing_above(0.2), 3) == 1u);   // 1/3 > 20 %
  CHECK(failing_nodes_needed(failing_above(0.8), 3) == 3u);
  CHECK(failing_nodes_needed(failing_above(1.0), 3) == 3u);   // "100 %": every node
  CHECK(failing_nodes_needed(failing_above(0.5), 5) == 3u);
  // Route 53: healthy while more than 18 % of checkers say healthy; with 3
  // checkers one healthy checker (33 %) keeps it healthy, so all 3 must fail.
  CHECK(failing_nodes_needed(healthy_above(0.18), 3) == 3u);
  CHECK(failing_nodes_needed(healthy_above(0.5), 4) == 2u);  // 2 healthy of 4 is not more than 50 %
}

TEST_CASE("The closed form by hand: the seed drill loses 11.25 % of its calls", "[analytic]") {
  // m = 2 of K = 3, I = 15 s, N = 3: E[detect] = 2/4 x 15 + 2 x 15 + 0.027 = 37.527 s;
  // TTL 60 s: + 30 s; P = 0: window 67.527 s; half the calls for 67.527 s of
  // 300 s: 0.5 x 67.527 / 300 x 100 = 11.254 %.
  DnsFailoverInputs in;
  in.interval = 15_s;
  in.failures = 3;
  in.nodes = 3;
  in.rule = failing_above(0.5);
  in.probe_time = Duration::from_seconds(kProbeTime);
  in.ttl = 60_s;
  in.client_share = 0.5;
  in.run_length = 300_s;
  const DnsFailoverEstimate e = dns_failover_estimate(in);
  CHECK(e.nodes_needed == 2u);
  CHECK(e.detect_s == Approx(37.5267).epsilon(1e-4));
  CHECK(e.remaining_ttl_s == 30.0);  // exactly: whole seconds stay whole
  CHECK(e.window_s == Approx(67.5267).epsilon(1e-4));
  CHECK(e.failed_pct == Approx(11.2544).epsilon(1e-4));

  SECTION("read from the model file, the same inputs") {
    const auto d = dns_failover_inputs(Scenario::load(kDrill).spec());
    REQUIRE(d.inputs);
    CHECK(d.reason.empty());
    CHECK(d.inputs->interval == 15_s);
    CHECK(d.inputs->failures == 3);
    CHECK(d.inputs->nodes == 3u);
    CHECK(d.inputs->probe_time.seconds_f() == Approx(kProbeTime).epsilon(1e-6));
    CHECK(d.inputs->client_share == 0.5);
    CHECK(d.inputs->run_length == 300_s);
    CHECK(dns_failover_estimate(*d.inputs).failed_pct == Approx(11.2544).epsilon(1e-4));
  }
  SECTION("the resolver's TTL clamp is the TTL that counts") {
    auto sc = Scenario::load(kDrill);
    sc.set("resolvers.unbound.min_ttl", "90s");
    CHECK(dns_failover_inputs(sc.spec()).inputs->ttl == 90_s);
  }
  SECTION("a client that falls back on refusal loses nothing") {
    auto sc = Scenario::load(kDrill);
    sc.set("clients.fortio.profile", "go");
    const auto d = dns_failover_inputs(sc.spec());
    REQUIRE(d.inputs);
    CHECK(d.inputs->client_share == 0.0);
  }
  SECTION("models outside the closed form say why") {
    // fortio cached-rr never looks up again: the window never ends.
    const auto d = dns_failover_inputs(Scenario::load(source_path("models/asm-gtm-drill-cached-rr.json")).spec());
    CHECK_FALSE(d.inputs);
    CHECK(d.reason.find("per connection") != std::string::npos);
    auto sc = Scenario::load(kDrill);
    sc.set("gtm.health_check.protocol", "ping");  // ping does not see a deleted gateway
    CHECK_FALSE(dns_failover_inputs(sc.spec()).inputs);
  }
}

TEST_CASE("Closed form vs simulation on three scenarios: inside the 95 % interval, half-width <= 0.5 points",
          "[analytic][drill][slow]") {
  struct Case {
    const char* name;
    std::vector<std::pair<std::string, std::string>> overrides;
    double expected_pct;  // by hand, below
  };
  const Case cases[] = {
      // The seed drill: 0.5 x (2/4 x 15 + 2 x 15 + 0.027 + 60/2) / 300 x 100 = 11.254 %.
      {"seed drill", {}, 11.2544},
      // Faster judgement, slower probes, a publish delay: "more than 20 %"
      // of 3 nodes is 1 (m = 1), I = 30 s, N = 2, P = 5 s, TTL 20 s:
      // 0.5 x (1/4 x 30 + 1 x 30 + 0.027 + 5 + 10) / 300 x 100 = 8.754 %.
      {"one node decides, 30 s probes, 5 s publish delay, TTL 20 s",
       {{"gtm.health_check.rule", "{\"failing_share_above\": 0.2}"},
        {"gtm.health_check.interval", "30s"},
        {"gtm.health_check.failures", "2"},
        {"gtm.publish_delay", "5s"},
        {"gtm.ttl", "20s"}},
       8.7544},
      // Route 53's rule (healthy while > 18 % healthy: all 3 must fail,
      // m = 3), one failure per node, TTL 10 s:
      // 0.5 x (3/4 x 15 + 0 + 0.027 + 5) / 300 x 100 = 2.713 %.
      {"Route 53 rule, N = 1, TTL 10 s",
       {{"gtm.health_check.rule", "{\"healthy_share_above\": 0.18}"},
        {"gtm.health_check.failures", "1"},
        {"gtm.ttl", "10s"}},
       2.7128},
  };
  for (const auto& c : cases) {
    auto sc = Scenario::load(kDrill);
    for (const auto& [path, value] : c.overrides) sc.set(path, value);
    const auto d = dns_failover_inputs(sc.spec());
    REQUIRE(d.inputs);
    const double closed = dns_failover_estimate(*d.inputs).failed_pct;
    // 300 replications: the drill's failed % has a spread of about 2.9
    // points (the remaining TTL alone is U(0, 60 s): 17.3 s / 300 s x 50),
    // so the half-width is about 1.97 x 2.9 / sqrt(300) = 0.33 points.
    const Result r = run(sc, {.seed = 2024, .replications = 300, .threads = 2});
    const ConfidenceInterval ci = r.replications().at("failed_pct");
    INFO(c.name << ": closed form " << closed << " %, simulated " << ci.mean << " [" << ci.lo << ", " << ci.hi << "]");
    CHECK(closed == Approx(c.expected_pct).epsilon(1e-4));
    CHECK(ci.half_width() <= 0.5);
    CHECK(ci.lo <= closed);
    CHECK(closed <= ci.hi);
  }
}
