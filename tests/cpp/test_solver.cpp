// Target solvers and one-at-a-time sensitivity, checked on a drill made
// exact: fixed probe phases, a fixed fault time and no DNS caching, so the
// failed share is a closed form of the settings and the answers are known.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

#include "cli_runner.hpp"
#include "drsim/analysis/sensitivity.hpp"
#include "drsim/analysis/solver.hpp"

using namespace drsim;
using drsim::testing::drsim_cli;
using drsim::testing::source_path;

namespace {

const std::string kDrill = source_path("models/asm-gtm-drill.json");

// The drill with nothing left to chance in its failed share:
//   - all three probe nodes probe at 5 s, 20 s, ..., 95 s, 110 s, ... (phase 5 s, I = 15 s);
//   - cluster-2's gateway is deleted at exactly 100 s;
//   - the resolver keeps answers 1 ms (max_ttl), so every call sees the GTM's
//     current answer, and the GTM rotates the two addresses per query
//     (all_rotated, resolver rotation off): calls alternate gw-1, gw-2.
// Each node's probes fail from 110 s; a refused probe is counted after the
// RTT from its site (probe-b 15 ms, probe-a 30 ms, probe-c 35 ms), and with
// "more than 50 %" the second node decides (m = 2): probe-a at
//   D = 110 s + (N - 1) x 15 s + 30 ms - 100 s = 10.03 s + 15 s (N - 1)
// after the fault. The answer drops gw-2 after the publish delay P, so the
// window is W = D + P, half the calls in it fail (50 per second at
// 100 qps), out of 30,000 calls in 300 s:
//   failed % = 50 W / 30,000 x 100 = W / 6.
// (Up to one call either way where a send and the fault share an instant:
// 0.003 points.)
Scenario exact_drill() {
  std::ifstream in(kDrill);
  nlohmann::json doc = nlohmann::json::parse(in);
  doc["name"] = "exact-drill";
  doc["gtm"]["health_check"]["phases"] = {"5s", "5s", "5s"};
  doc["gtm"]["policy"] = "all_rotated";
  doc["resolvers"][0]["rotation"] = "none";
  doc["resolvers"][0]["max_ttl"] = "1ms";
  doc["resolvers"][0]["clock"] = "exact";  // a 1 ms hold: no whole-second rounding
  doc["faults"][0]["at"] = "100s";
  return Scenario::from_json(doc.dump(), "exact-drill");
}

double window_s(int failures, double publish_s) { return 10.03 + 15.0 * (failures - 1) + publish_s; }

const SweepOptions kOpts{.seed = 5, .replications = 4, .threads = 2};

}  // namespace

TEST_CASE("The exact drill's failed share is W / 6 with W = 10.03 s + 15 s (N - 1) + P", "[solver]") {
  // The premise of the solver specs below, checked at three settings.
  const auto base = exact_drill();
  SweepSpec spec;
  spec.grid = {{"gtm.health_check.failures", {"1", "3"}}, {"gtm.publish_delay", {"0s", "20s"}}};
  const SweepResult r = sweep(base, spec, kOpts);
  const double expected[] = {window_s(1, 0) / 6, window_s(1, 20) / 6, window_s(3, 0) / 6, window_s(3, 20) / 6};
  for (std::size_t i = 0; i < 4; ++i) {
    INFO("point " << i);
    const auto& ci = r.points[i].figures.at("failed_pct");
    CHECK(ci.mean == Approx(expected[i]).margin(0.004));
    CHECK(ci.half_width() < 0.004);  // every replication the same up to a call
  }
}

TEST_CASE("Targets read FIGURE<=X or FIGURE>=X and judge an interval", "[solver]") {
  const Target t = Target::parse("failed_pct<=1");
  CHECK(t.figure == "failed_pct");
  CHECK(t.op == Target::Op::at_most);
  CHECK(t.bound == 1.0);
  CHECK(Target::parse(" throttled_pct >= 0.5 ").op == Target::Op::at_least);
  CHECK(Target::parse("failed_pct<=1").to_string() == "failed_pct<=1");
  CHECK_THROWS_AS(Target::parse("failed_pct<1"), std::invalid_argument);
  CHECK_THROWS_AS(Target::parse("failed_pct<=lots"), std::invalid_argument);
  CHECK_THROWS_AS(Target::parse("no_such_figure<=1"), std::invalid_argument);

  // Met only when the whole 95 % interval is on the right side of the bound.
  CHECK(judge(t, {0.8, 0.7, 0.9, 10}) == Verdict::meets);
  CHECK(judge(t, {0.9, 0.8, 1.1, 10}) == Verdict::undecided);
  CHECK(judge(t, {1.3, 1.1, 1.5, 10}) == Verdict::fails);
  CHECK(judge(t, {}) == Verdict::undecided);  // nothing reported
  const Target at_least = Target::parse("requests>=100");
  CHECK(judge(at_least, {120, 110, 130, 10}) == Verdict::meets);
  CHECK(judge(at_least, {95, 90, 99, 10}) == Verdict::fails);
}

TEST_CASE("The solver finds the largest publish delay with failed % <= 10 (a duration)", "[solver]") {
  // failed % <= 10  <=>  W <= 60 s  <=>  P <= 60 - 40.03 = 19.97 s (N = 3).
  SolveSpec spec{.range = {"gtm.publish_delay", "0s", "60s"}, .target = Target::parse("failed_pct<=10"), .resolution = "100ms"};
  const SolveResult r = solve(exact_drill(), spec, kOpts);
  REQUIRE(r.status == SolveResult::Status::found);
  CHECK(r.goal == SolveGoal::largest);  // read from the ends: 0 s meets, 60 s does not
  REQUIRE(r.answer);
  REQUIRE(r.bracket_fails);
  const double answer = r.answer->numeric, fails = r.bracket_fails->numeric;
  CHECK(answer <= 19.97 + 0.02);
  CHECK(fails >= 19.97 - 0.02);
  CHECK(fails - answer <= 0.1 + 1e-9);
  // The evidence: every probe, its interval and verdict, consistent with W / 6.
  CHECK(r.probes.size() >= 3);
  for (const auto& p : r.probes) {
    INFO(p.value.text);
    CHECK(p.figure.mean == Approx(window_s(3, p.value.numeric) / 6).margin(0.004));
    CHECK((p.verdict == Verdict::meets) == (p.value.numeric <= answer));
  }
  CHECK(r.probes[0].value.text == "0s");
  CHECK(r.probes[1].value.text == "1m");
}

TEST_CASE("The solver finds the largest failure count with failed % <= 10 (an integer)", "[solver]") {
  // W(N) = 10.03 + 15 (N - 1): N = 4 gives 55.03 s (9.17 %), N = 5 gives 70.03 s (11.67 %).
  SolveSpec spec{.range = {"gtm.health_check.failures", "1", "10"}, .target = Target::parse("failed_pct<=10")};
  const SolveResult r = solve(exact_drill(), spec, kOpts);
  REQUIRE(r.status == SolveResult::Status::found);
  REQUIRE(r.answer);
  CHECK(r.answer->text == "4");
  CHECK(r.bracket_fails->text == "5");
  for (const auto& p : r.probes) CHECK(p.value.kind == ParamKind::integer);
  // 1 and 10 first, then bisection: 5, 3, 4 (floor of the midpoints).
  REQUIRE(r.probes.size() == 5);
  CHECK(r.probes[2].value.text == "5");
  CHECK(r.probes[3].value.text == "3");
  CHECK(r.probes[4].value.text == "4");
}

TEST_CASE("The solver finds the smallest run length with failed % <= 5 (a decreasing figure)", "[solver]") {
  // 50 x 40.03 = 2001.5 failed calls whatever the run length L, out of
  // 100 L: failed % = 2001.5 / L <= 5  <=>  L >= 400.3 s.
  SolveSpec spec{.range = {"clients.fortio.load.duration", "150s", "1000s"}, .target = Target::parse("failed_pct<=5"),
                 .resolution = "1s"};
  const SolveResult r = solve(exact_drill(), spec, kOpts);
  REQUIRE(r.status == SolveResult::Status::found);
  CHECK(r.goal == SolveGoal::smallest);  // 1000 s meets, 150 s does not
  REQUIRE(r.answer);
  CHECK(r.answer->numeric >= 400.3 - 0.1);
  CHECK(r.answer->numeric <= 400.3 + 1.0 + 1e-9);
  CHECK(r.bracket_fails->numeric < r.answer->numeric);
}

TEST_CASE("The solver says when the whole range or none of it meets the target", "[solver]") {
  const auto base = exact_drill();
  SECTION("both ends meet") {
    SolveSpec spec{.range = {"gtm.publish_delay", "0s", "10s"}, .target = Target::parse("failed_pct<=50")};
    const SolveResult r = solve(base, spec, kOpts);
    CHECK(r.status == SolveResult::Status::whole_range);
    CHECK_FALSE(r.answer);  // no goal given: both ends qualify
    CHECK(r.probes.size() == 2);
    spec.goal = SolveGoal::largest;
    CHECK(solve(base, spec, kOpts).answer->text == "10s");
  }
  SECTION("neither end meets") {
    SolveSpec spec{.range = {"gtm.publish_delay", "0s", "10s"}, .target = Target::parse("failed_pct<=1")};
    const SolveResult r = solve(base, spec, kOpts);
    CHECK(r.status == SolveResult::Status::none);
    CHECK_FALSE(r.answer);
  }
  SECTION("a goal pointing at the meeting end answers with that end") {
    SolveSpec spec{.range = {"gtm.publish_delay", "0s", "60s"}, .target = Target::parse("failed_pct<=10"),
                   .goal = SolveGoal::smallest};
    const SolveResult r = solve(base, spec, kOpts);
    CHECK(r.status == SolveResult::Status::found);
    CHECK(r.answer->text == "0s");
  }
  SECTION("report and JSON carry the probes") {
    SolveSpec spec{.range = {"gtm.health_check.failures", "1", "10"}, .target = Target::parse("failed_pct<=10")};
    const SolveResult r = solve(base, spec, kOpts);
    const auto doc = nlohmann::json::parse(solve_json(r));
    CHECK(doc["format"] == "drsim.solve/1");
    CHECK(doc["answer"]["value"] == "4");
    CHECK(doc["probes"].size() == r.probes.size());
    CHECK(doc["probes"][0]["verdict"] == "meets");
    CHECK(solve_report(r).find("answer: 4") != std::string::npos);
  }
  SECTION("a bad range or resolution") {
    SolveSpec spec{.range = {"gtm.publish_delay", "0s", "3"}, .target = Target::parse("failed_pct<=10")};
    CHECK_THROWS_AS(solve(base, spec, kOpts), std::invalid_argument);
    spec.range.hi = "10s";
    spec.resolution = "2";  // a number for a duration
    CHECK_THROWS_AS(solve(base, spec, kOpts), std::invalid_argument);
  }
}

TEST_CASE("Sensitivity ranks the parameters by elasticity, with intervals", "[solver][sensitivity]") {
  // Around N = 3, P = 10 s: W0 = 40.03 + 10 = 50.03 s, failed % = W / 6.
  //   failures N +-1 (10 % of 3 rounds to 1): W 35.03 .. 65.03, swing 30 / 6 = 5 points,
  //     E = (30 / 50.03) / (2 / 3) = 0.8995
  //   publish delay P +-1 s: swing 2 / 6 = 0.333 points, E = (2 / 50.03) / (2 / 10) = 0.1999
  //   TTL 54 .. 66 s: the resolver clamps every TTL to 1 ms, so E = 0.
  SensitivitySpec spec;
  spec.params = {parse_sensitivity_param("gtm.ttl"), parse_sensitivity_param("gtm.publish_delay=10s"),
                 parse_sensitivity_param("gtm.health_check.failures")};
  spec.figure = "failed_pct";
  const SensitivityResult r = sensitivity(exact_drill(), spec, kOpts);
  CHECK(r.base.mean == Approx(50.03 / 6).margin(0.004));
  REQUIRE(r.entries.size() == 3);
  CHECK(r.entries[0].path == "gtm.health_check.failures");
  CHECK(r.entries[0].rank == 1);
  CHECK(r.entries[0].low.text == "2");
  CHECK(r.entries[0].high.text == "4");
  CHECK(r.entries[0].swing.mean == Approx(5.0).margin(0.01));
  CHECK(r.entries[0].slope == Approx(2.5).margin(0.005));  // points per extra failure
  CHECK(r.entries[0].elasticity.mean == Approx(0.8995).margin(0.005));
  CHECK(r.entries[1].path == "gtm.publish_delay");
  CHECK(r.entries[1].low.text == "9s");
  CHECK(r.entries[1].high.text == "11s");
  CHECK(r.entries[1].elasticity.mean == Approx(0.1999).margin(0.01));
  CHECK(r.entries[1].slope == Approx(1.0 / 6).margin(0.005));  // points per second
  CHECK(r.entries[2].path == "gtm.ttl");
  CHECK(r.entries[2].base.text == "60s");  // read from the model file
  CHECK(r.entries[2].elasticity.mean == Approx(0.0).margin(0.005));
  for (const auto& e : r.entries) {
    CHECK(e.elasticity.lo <= e.elasticity.mean);
    CHECK(e.elasticity.mean <= e.elasticity.hi);
  }

  SECTION("a move the model rejects stays at the base (one-sided)") {
    SensitivitySpec one;
    one.params = {parse_sensitivity_param("gtm.health_check.failures=1")};
    const SensitivityResult s = sensitivity(exact_drill(), one, kOpts);
    CHECK(s.entries[0].low.text == "1");  // 0 consecutive failures is not a setting
    CHECK(s.entries[0].high.text == "2");
    // W 10.03 -> 25.03: E = (15 / 10.03) / (1 / 1) = 1.4955
    CHECK(s.entries[0].elasticity.mean == Approx(1.4955).margin(0.005));
  }
  SECTION("a parameter with no value in the model needs its base") {
    SensitivitySpec none;
    none.params = {parse_sensitivity_param("gtm.health_check.no_such_field")};
    CHECK_THROWS_AS(sensitivity(exact_drill(), none, kOpts), std::invalid_argument);
  }
  SECTION("JSON") {
    const auto doc = nlohmann::json::parse(sensitivity_json(r));
    CHECK(doc["format"] == "drsim.sensitivity/1");
    CHECK(doc["parameters"][0]["parameter"] == "gtm.health_check.failures");
  }
}

TEST_CASE("drsim solve and drsim sensitivity on the command line", "[solver][cli]") {
  const auto solve = drsim_cli("solve " + kDrill +
                               " --param gtm.health_check.failures --range 1..3 --target \"time_to_detect_s<=30\""
                               " --replications 5 --threads 2 --json");
  REQUIRE(solve.exit_code == 0);
  // Detection 7.5 + 15 (N - 1) s on average: N = 2 (about 22.5 s) meets, N = 3 (37.5 s) does not.
  const auto doc = nlohmann::json::parse(solve.out);
  CHECK(doc["answer"]["value"] == "2");
  CHECK(doc["bracket"]["fails"]["value"] == "3");

  const auto sens = drsim_cli("sensitivity " + kDrill +
                              " --params gtm.health_check.failures,gtm.health_check.interval --figure time_to_detect_s"
                              " --replications 5 --threads 2");
  REQUIRE(sens.exit_code == 0);
  CHECK(sens.out.find("sensitivity of time_to_detect_s") != std::string::npos);

  CHECK(drsim_cli("solve " + kDrill + " --param gtm.ttl --range 10s..1m").exit_code == 2);  // no target
  CHECK(drsim_cli("solve " + kDrill + " --param gtm.ttl --range 10s..1m --target \"failed_pct<1\"").exit_code == 2);
  CHECK(drsim_cli("sensitivity " + kDrill).exit_code == 2);  // no parameters
}
