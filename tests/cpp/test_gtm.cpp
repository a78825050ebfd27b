#include <catch2/catch.hpp>

#include <cmath>

#include "drsim/core/stats.hpp"
#include "drsim/model/gtm.hpp"

using namespace drsim;
using namespace drsim::literals;

namespace {

/// Every address answers probes until `fail_at`; address 1 then fails,
/// refused (after the RTT) or black-holed (at the probe timeout).
class ScriptedTarget final : public ProbeTarget {
 public:
  TimePoint fail_at = TimePoint::max();
  TimePoint recover_at = TimePoint::max();
  bool black_hole = false;
  Duration rtt = 10_ms;
  ProbeResult probe(std::size_t address, std::size_t, ProbeProtocol, Duration timeout, TimePoint now) override {
    const bool failed = address == 1 && now >= fail_at && now < recover_at;
    if (!failed) return {true, rtt};
    return black_hole ? ProbeResult{false, timeout} : ProbeResult{false, rtt};
  }
};

GtmParams params(std::size_t nodes, Duration interval, int failures) {
  GtmParams p;
  p.interval = interval;
  p.failures = failures;
  p.recovery = 1;
  p.timeout = 2_s;
  p.primary = {{0, 1}, {1, 1}};
  for (std::size_t k = 0; k < nodes; ++k) p.probe_sites.push_back(k);
  return p;
}

/// Detection delay after a failure at 1000 s, for one seed.
double detection_delay(const GtmParams& p, std::uint64_t seed, bool black_hole = false) {
  Simulator sim{seed};
  ScriptedTarget target;
  target.fail_at = TimePoint::start() + 1000_s;
  target.black_hole = black_hole;
  GlobalTrafficManager gtm(sim, p, target, nullptr, {"a", "b"});
  auto phases = sim.stream("phases");
  gtm.start(phases);
  sim.run_until(TimePoint::start() + 1200_s);
  auto t = gtm.judged_unhealthy_at(1, target.fail_at);
  REQUIRE(t.has_value());
  return (*t - target.fail_at).seconds_f();
}

RunningStats detection_stats(const GtmParams& p, int runs, bool black_hole = false) {
  RunningStats s;
  for (int i = 0; i < runs; ++i) s.add(detection_delay(p, 1000 + static_cast<std::uint64_t>(i), black_hole));
  return s;
}

}  // namespace

TEST_CASE("One probe node detects after U(0,I) + (N-1) I + probe time", "[gtm][slow]") {
  // I = 15 s, N = 3, probe time = 10 ms RTT for a refused connection:
  // mean = 7.5 + 30 + 0.01 = 37.51 s; range [30.01, 45.01].
  // 2000 runs: the standard error of the mean is (15 / sqrt(12)) / sqrt(2000) = 0.097 s.
  auto s = detection_stats(params(1, 15_s, 3), 2000);
  CHECK(s.mean() == Approx(37.51).margin(0.4));
  CHECK(s.min() >= 30.01 - 1e-9);
  CHECK(s.max() <= 45.01 + 1e-9);
  CHECK(s.stddev() == Approx(15 / std::sqrt(12.0)).margin(0.3));

  SECTION("a black-holed address fails only at the probe timeout") {
    // Same arithmetic with the 2 s timeout in place of the RTT: mean 39.5 s, range [32, 47].
    auto b = detection_stats(params(1, 15_s, 3), 2000, true);
    CHECK(b.mean() == Approx(39.5).margin(0.4));
    CHECK(b.min() >= 32.0 - 1e-9);
    CHECK(b.max() <= 47.0 + 1e-9);
  }
}

TEST_CASE("Across nodes the failing-share rule picks an order statistic of the phases", "[gtm][slow]") {
  // With K nodes on independent uniform phases, the address is judged when
  // the m-th node reaches N failures: E[U_(m)] = m / (K + 1) * I.
  SECTION("Alibaba, 3 nodes, unhealthy when more than 50 % fail: m = 2") {
    auto p = params(3, 15_s, 3);
    p.rule = {HealthRule::Kind::failing_share_above, 0.5};
    // 2/4 * 15 + 30 + 0.01 = 37.51 s
    CHECK(detection_stats(p, 1500).mean() == Approx(37.51).margin(0.4));
  }
  SECTION("Alibaba, 5 nodes, 80 %: more than 4 of 5, so all 5: m = 5") {
    auto p = params(5, 15_s, 3);
    p.rule = {HealthRule::Kind::failing_share_above, 0.8};
    // 5/6 * 15 + 30 + 0.01 = 42.51 s
    CHECK(detection_stats(p, 1500).mean() == Approx(42.51).margin(0.4));
  }
  SECTION("Alibaba, 4 nodes, 100 %: every node must fail: m = 4") {
    auto p = params(4, 60_s, 1);
    p.rule = {HealthRule::Kind::failing_share_above, 1.0};
    // 4/5 * 60 + 0 + 0.01 = 48.01 s
    CHECK(detection_stats(p, 1500).mean() == Approx(48.01).margin(1.5));
  }
  SECTION("Route 53 style, 15 checkers, healthy while more than 18 % say healthy") {
    auto p = params(15, 30_s, 3);
    p.rule = {HealthRule::Kind::healthy_share_above, 0.18};
    // Unhealthy when at most 2 of 15 (13.3 %) say healthy: 13 failing, m = 13.
    // 13/16 * 30 + 60 + 0.01 = 84.385 s
    CHECK(detection_stats(p, 1000).mean() == Approx(84.385).margin(0.8));
  }
}

TEST_CASE("The share rule itself", "[gtm]") {
  HealthRule alibaba50{HealthRule::Kind::failing_share_above, 0.5};
  CHECK(alibaba50.healthy(1, 2));   // 50 % is not more than 50 %
  CHECK_FALSE(alibaba50.healthy(2, 3));
  HealthRule alibaba100{HealthRule::Kind::failing_share_above, 1.0};
  CHECK(alibaba100.healthy(2, 3));
  CHECK_FALSE(alibaba100.healthy(3, 3));
  HealthRule r53{HealthRule::Kind::healthy_share_above, 0.18};
  CHECK(r53.healthy(12, 15));       // 3/15 = 20 % healthy
  CHECK_FALSE(r53.healthy(13, 15)); // 2/15 = 13 % healthy
}

TEST_CASE("GTM answers by its pool policy and min_available", "[gtm]") {
  Simulator sim{1};
  ScriptedTarget target;
  target.fail_at = TimePoint::start() + 100_s;
  target.recover_at = TimePoint::start() + 300_s;
  auto rng = sim.stream("q");

  SECTION("all addresses in random order: both orders appear") {
    auto p = params(1, 15_s, 1);
    GlobalTrafficManager gtm(sim, p, target, nullptr, {"a", "b"});
    int first_is_0 = 0;
    for (int i = 0; i < 1000; ++i) first_is_0 += gtm.answer(rng)[0] == 0;
    CHECK(first_is_0 > 400);
    CHECK(first_is_0 < 600);
  }
  SECTION("rotated order alternates") {
    auto p = params(1, 15_s, 1);
    p.policy = AnswerPolicy::all_rotated;
    GlobalTrafficManager gtm(sim, p, target, nullptr, {"a", "b"});
    CHECK(gtm.answer(rng)[0] == 0);
    CHECK(gtm.answer(rng)[0] == 1);
    CHECK(gtm.answer(rng)[0] == 0);
  }
  SECTION("weighted returns one address in proportion to weight") {
    auto p = params(1, 15_s, 1);
    p.policy = AnswerPolicy::weighted;
    p.primary = {{0, 3}, {1, 1}};
    GlobalTrafficManager gtm(sim, p, target, nullptr, {"a", "b"});
    int zeros = 0;
    for (int i = 0; i < 4000; ++i) {
      auto a = gtm.answer(rng);
      REQUIRE(a.size() == 1);
      zeros += a[0] == 0;
    }
    CHECK(zeros == Approx(3000).margin(120));  // Binomial(4000, 0.75): sd 27
  }
  SECTION("an unhealthy address leaves the answer; it returns after recovery") {
    auto p = params(1, 15_s, 1);
    p.phases = {1_s};
    EventLog log;
    GlobalTrafficManager gtm(sim, p, target, &log, {"a", "b"});
    auto ph = sim.stream("ph");
    gtm.start(ph);
    sim.run_until(TimePoint::start() + 200_s);
    CHECK(gtm.answer_set().size() == 1);
    CHECK(gtm.answer_set()[0] == 0);
    // Probes at 1, 16, ..., 106 s: the first failed probe is at 106 s, judged on its result 10 ms later.
    CHECK(gtm.judged_unhealthy_at(1, TimePoint::start())->ns() == (106_s + 10_ms).ns());
    sim.run_until(TimePoint::start() + 400_s);
    CHECK(gtm.answer_set().size() == 2);
    CHECK(log.first("address_healthy") != nullptr);
  }
  SECTION("sequence with preemptive failback returns to the first address") {
    auto p = params(1, 15_s, 1);
    p.policy = AnswerPolicy::sequence;
    p.primary = {{1, 1}, {0, 1}};  // address 1 first in priority
    p.phases = {1_s};
    GlobalTrafficManager gtm(sim, p, target, nullptr, {"a", "b"});
    auto ph = sim.stream("ph");
    gtm.start(ph);
    CHECK(gtm.answer(rng)[0] == 1);
    sim.run_until(TimePoint::start() + 200_s);
    CHECK(gtm.answer(rng)[0] == 0);
    sim.run_until(TimePoint::start() + 400_s);
    CHECK(gtm.answer(rng)[0] == 1);

    SECTION("and without preemption stays on the second") {
      Simulator s2{1};
      auto p2 = p;
      p2.preemptive_failback = false;
      GlobalTrafficManager g2(s2, p2, target, nullptr, {"a", "b"});
      auto ph2 = s2.stream("ph");
      g2.start(ph2);
      s2.run_until(TimePoint::start() + 200_s);
      CHECK(g2.answer(rng)[0] == 0);
      s2.run_until(TimePoint::start() + 400_s);
      CHECK(g2.answer(rng)[0] == 0);
    }
  }
  SECTION("below min_available the failover pool answers") {
    auto p = params(1, 15_s, 1);
    p.primary = {{0, 1}, {1, 1}};
    p.failover = {{2, 1}};
    p.min_available = 2;
    p.phases = {1_s};
    GlobalTrafficManager gtm(sim, p, target, nullptr, {"a", "b", "c"});
    auto ph = sim.stream("ph");
    gtm.start(ph);
    sim.run_until(TimePoint::start() + 200_s);
    CHECK(gtm.answer_set().size() == 1);
    CHECK(gtm.answer_set()[0] == 2);
  }
  SECTION("a publish delay holds the old answer that much longer") {
    auto p = params(1, 15_s, 1);
    p.phases = {1_s};
    p.publish_delay = 20_s;
    GlobalTrafficManager gtm(sim, p, target, nullptr, {"a", "b"});
    auto ph = sim.stream("ph");
    gtm.start(ph);
    sim.run_until(TimePoint::start() + 120_s);
    CHECK_FALSE(gtm.judged_healthy(1));
    CHECK(gtm.answer_set().size() == 2);  // judged at 106.01 s, published at 126.01 s
    sim.run_until(TimePoint::start() + 127_s);
    CHECK(gtm.answer_set().size() == 1);
    CHECK(gtm.answer_changed_at(TimePoint::start())->ns() == (126_s + 10_ms).ns());
  }
}
