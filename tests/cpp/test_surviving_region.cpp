// The surviving region under the spike, end to end on the shipped model.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "drsim/model/failover_model.hpp"
#include "drsim/run.hpp"

using namespace drsim;

namespace {
const std::string kSpike = std::string(DRSIM_SOURCE_DIR) + "/models/surviving-region-spike.json";
}

TEST_CASE("Surviving region: 2,000 req/s for 30 minutes, region 2 down at minute 10", "[overload][slow]") {
  auto scenario = Scenario::load(kSpike);
  const Result result = run(scenario, {.seed = 1, .replications = 1});
  const Summary& s = result.summary();
  const RunMetrics& m = result.metrics();

  SECTION("3.6 M requests, every one accounted for") {
    // 2,000/s x 1,800 s = 3,600,000; Poisson arrivals: sd 1,897, so +-1 % is ~19 sd.
    CHECK(static_cast<double>(s.requests) == Approx(3'600'000).epsilon(0.01));
    std::uint64_t by_cause = 0;
    for (const auto& [cause, n] : s.by_cause) by_cause += n;
    CHECK(by_cause == s.ok + s.failed);
    CHECK(s.requests == s.ok + s.failed + s.in_flight);
  }

  SECTION("429s appear only while ready replicas x 100/s is below the offered load") {
    // Region 1's offered load in a second is what was sent to it; its
    // limiter admits at most ready x quota (100) per second. Seconds with
    // 429s while capacity exceeds the load by more than 10 % would be a
    // limiter bug; allow 1 % of all 429s for bucket phase and Poisson bursts.
    const auto& cap = m.capacity(0).samples;
    std::uint64_t throttled = 0, with_headroom = 0;
    for (std::size_t sec = 0; sec + 1 < cap.size() && sec < m.seconds(); ++sec) {
      const SeriesCell& c = m.at(sec, 0);
      const std::uint32_t n429 = c.by_cause[static_cast<std::size_t>(Cause::http_429)];
      throttled += n429;
      // The pods ready at the start of the second (the sample at its end may include newcomers).
      const int ready = sec > 0 ? std::min(cap[sec - 1].ready, cap[sec].ready) : cap[sec].ready;
      if (ready * 100.0 > 1.1 * c.sent) with_headroom += n429;
    }
    REQUIRE(throttled > 0);
    CHECK(static_cast<double>(with_headroom) <= 0.01 * static_cast<double>(throttled));
  }

  SECTION("the HPA scales region 1 out and the region stabilises") {
    const auto& cap = m.capacity(0).samples;
    REQUIRE(cap.size() > 1700);
    CHECK(cap[590].ready < cap[1500].ready);  // more pods after the failover than before
    CHECK(cap[1500].ready <= 30);             // maxReplicas
    REQUIRE(s.headline.time_to_stable_s.has_value());
    CHECK(*s.headline.time_to_stable_s > 0);
    CHECK(*s.headline.peak_utilization_pct > 80);
    CHECK(s.by_cause.at("http_429") > 0);
    CHECK(s.by_cause.at("connect_timeout") > 0);  // clients still sent to the dead region until DNS moved them
  }

}

TEST_CASE("Surviving region over replications: stable within minutes, the throttling alert fires and resolves",
          "[overload][slow]") {
  // One replication is one draw of the probe phases, the violators' holds and
  // the HPA's path: the time to stable is bimodal (about 2.5 minutes when the
  // first scale-outs suffice, 8 to 18 when the region flaps), and a mild
  // failover may throttle too briefly for the 10 s alert. So over 8
  // replications: the median time to stable is under 10 minutes, and the
  // alert fires in at least half of them, each time after the failure and
  // resolving before the end. A region that still flaps in the run's last
  // minute has no time to stable (it counts as never, after every other): at
  // most one replication in four.
  const ModelSpec spec = Scenario::load(kSpike).spec();
  std::vector<double> stable;
  int fired = 0;
  for (std::uint64_t k = 0; k < 8; ++k) {
    FailoverModel model(spec, replication_seed(1, k));
    const RunMetrics& m = model.run();
    const Headline h = m.headline();
    stable.push_back(h.time_to_stable_s.value_or(std::numeric_limits<double>::infinity()));
    for (const auto& a : m.alerts) {
      if (a.name != "region-1-throttling") continue;
      ++fired;
      CHECK(a.fired_at.seconds_f() > 600);
      CHECK(a.resolved_at.has_value());
    }
  }
  std::sort(stable.begin(), stable.end());
  INFO("times to stable (s), sorted: " << stable[0] << " " << stable[1] << " " << stable[2] << " " << stable[3] << " "
                                        << stable[4] << " " << stable[5] << " " << stable[6] << " " << stable[7]);
  CHECK(0.5 * (stable[3] + stable[4]) < 600);
  CHECK(std::isfinite(stable[5]));
  CHECK(fired >= 4);
}

TEST_CASE("The drill carries the surviving-region detail without throttling", "[overload]") {
  auto scenario = Scenario::load(std::string(DRSIM_SOURCE_DIR) + "/models/asm-gtm-drill.json");
  const Result result = run(scenario, {.seed = 2, .replications = 1});
  const auto& s = result.summary();
  // 100 qps over 2 pods of 100 req/s each: no 429s, CPU well under the target.
  CHECK(s.by_cause.at("http_429") == 0);
  REQUIRE(s.headline.peak_utilization_pct.has_value());
  CHECK(*s.headline.peak_utilization_pct < 80);
  CHECK(result.metrics().capacity(0).samples.size() >= 300);
}

TEST_CASE("per_downstream_connection gives a kept-alive connection its own bucket across requests", "[overload][ratelimit]") {
  // The drill without its fault: one fortio connection at 196 qps, each gateway
  // pod limited to 100 per second per downstream connection (fill 1 s, timer).
  auto sc = Scenario::load(std::string(DRSIM_SOURCE_DIR) + "/models/asm-gtm-drill.json");
  sc.set({{"faults", "[]"},
          {"clients.fortio.load.qps", "196"},
          {"regions.region-1.gateway.rate_limit.per_downstream_connection", "true"},
          {"regions.region-2.gateway.rate_limit.per_downstream_connection", "true"}});
  SECTION("a client that keeps its connection after a 429: 96 of every 196 requests a second are throttled") {
    sc.set("clients.fortio.profile", R"({"preset": "fortio-first", "keepalive": true, "keep_on_http_error": true})");
    const auto r = run(sc, {.seed = 3});
    // 100 tokens a second pass; (196 - 100) / 196 = 48.98 %.
    CHECK(r.summary().headline.throttled_pct == Approx(48.98).margin(0.5));
  }
  SECTION("fortio closes the connection after a 429: the next one starts with a full bucket") {
    sc.set("clients.fortio.profile", R"({"preset": "fortio-first", "keepalive": true})");
    const auto r = run(sc, {.seed = 3});
    // A connection's 100 tokens pass 100 requests, the 101st gets 429 and
    // closes it, and the next connection starts full: 1 in 101 = 0.99 %.
    CHECK(r.summary().headline.throttled_pct == Approx(0.99).margin(0.1));
  }
  SECTION("without keepalive every request has a connection, and a full bucket, of its own") {
    const auto r = run(sc, {.seed = 3});
    CHECK(r.summary().by_cause.at("http_429") == 0);
  }
}
