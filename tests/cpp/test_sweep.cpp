// Sweeps: points from grids and samples, replications with intervals,
// common random numbers across points, determinism across threads, tables.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

#include "cli_runner.hpp"
#include "drsim/analysis/sweep.hpp"
#include "drsim/run.hpp"

using namespace drsim;
using drsim::testing::drsim_cli;
using drsim::testing::source_path;

namespace {

const std::string kDrill = source_path("models/asm-gtm-drill.json");

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string value_of(const SweepPoint& p, const std::string& path) {
  for (const auto& s : p.settings)
    if (s.path == path) return s.value;
  return "";
}

}  // namespace

TEST_CASE("A parameter value takes its kind from the model reference, not from its text", "[sweep]") {
  CHECK(parse_param_value("gtm.health_check.failures", "3").kind == ParamKind::integer);
  CHECK(parse_param_value("gtm.health_check.failures", "3").numeric == 3);
  // qps is a number even when written as a whole one.
  CHECK(parse_param_value("clients.fortio.load.qps", "100").kind == ParamKind::number);
  CHECK(parse_param_value("clients.fortio.load.qps", "1e3").numeric == 1000);
  CHECK(parse_param_value("gtm.ttl", "1m30s").kind == ParamKind::duration);
  CHECK(parse_param_value("gtm.ttl", "1m30s").numeric == 90);  // seconds
  CHECK(parse_param_value("gtm.ttl", "250ms").numeric == Approx(0.25));
  CHECK(parse_param_value("gtm.ttl", "0").numeric == 0);
  // Not of the field's kind: no numeric reading (Scenario::set says why).
  CHECK(std::isnan(parse_param_value("gtm.ttl", "60").numeric));
  CHECK(std::isnan(parse_param_value("gtm.health_check.failures", "2.5").numeric));
  CHECK(parse_param_value("clients.fortio.profile", "fortio-first").kind == ParamKind::text);
  CHECK(std::isnan(parse_param_value("clients.fortio.profile", "fortio-first").numeric));
  CHECK(std::isnan(parse_param_value("regions.region-1.gateway.hpa.tolerance", "inf").numeric));  // not a plain decimal
  CHECK(param_kind("no.such.path") == ParamKind::text);
}

TEST_CASE("A range's kind is its parameter's", "[sweep]") {
  CHECK(range_kind({"gtm.health_check.failures", "1", "3"}) == ParamKind::integer);
  CHECK(range_kind({"clients.fortio.load.qps", "50", "150"}) == ParamKind::number);
  CHECK(range_kind({"gtm.ttl", "0", "2m"}) == ParamKind::duration);
  CHECK_THROWS_WITH(range_kind({"gtm.ttl", "10", "60"}), Catch::Contains("durations"));
  CHECK_THROWS_WITH(range_kind({"gtm.health_check.failures", "1", "2.5"}), Catch::Contains("whole numbers"));
  CHECK_THROWS_WITH(range_kind({"gtm.policy", "a", "b"}), Catch::Contains("has no range"));
  CHECK_THROWS_WITH(range_kind({"gtm.tll", "1s", "2s"}), Catch::Contains("no field gtm.tll"));
}

TEST_CASE("Grid and range arguments are PATH=V1,V2 and PATH=LO..HI", "[sweep]") {
  const GridAxis g = parse_grid_arg("gtm.ttl=10s,30s,60s");
  CHECK(g.path == "gtm.ttl");
  CHECK(g.values == std::vector<std::string>{"10s", "30s", "60s"});
  CHECK_THROWS_AS(parse_grid_arg("gtm.ttl"), std::invalid_argument);
  CHECK_THROWS_AS(parse_grid_arg("gtm.ttl=10s,,60s"), std::invalid_argument);

  const ParamRange r = parse_range_arg("gtm.health_check.rule.failing_share_above=0.2..0.8");
  CHECK(r.path == "gtm.health_check.rule.failing_share_above");
  CHECK(r.lo == "0.2");
  CHECK(r.hi == "0.8");
  CHECK(range_kind(r) == ParamKind::number);
  CHECK(range_kind(parse_range_arg("gtm.health_check.failures=1..5")) == ParamKind::integer);
  CHECK(range_kind(parse_range_arg("gtm.ttl=10s..2m")) == ParamKind::duration);
  CHECK(range_kind(parse_range_arg("gtm.publish_delay=0..30s")) == ParamKind::duration);  // "0" is 0 s
  CHECK_THROWS_AS(parse_range_arg("gtm.ttl=10s..3"), std::invalid_argument);   // a duration and a number
  CHECK_THROWS_AS(parse_range_arg("gtm.ttl=2m..10s"), std::invalid_argument);   // low above high
  CHECK_THROWS_AS(parse_range_arg("gtm.ttl=10s"), std::invalid_argument);
}

TEST_CASE("Grid points are the cartesian product, first axis slowest", "[sweep]") {
  SweepSpec spec;
  spec.grid = {{"gtm.ttl", {"10s", "60s"}}, {"gtm.health_check.failures", {"1", "2", "3"}}};
  const auto points = sweep_points(spec);
  REQUIRE(points.size() == 6);  // 2 x 3
  CHECK(value_of(points[0], "gtm.ttl") == "10s");
  CHECK(value_of(points[0], "gtm.health_check.failures") == "1");
  CHECK(value_of(points[2], "gtm.health_check.failures") == "3");
  CHECK(value_of(points[3], "gtm.ttl") == "60s");
  CHECK(value_of(points[3], "gtm.health_check.failures") == "1");
  CHECK(sweep_parameters(spec) == std::vector<std::string>{"gtm.ttl", "gtm.health_check.failures"});

  SECTION("no axis: the base point alone") { CHECK(sweep_points(SweepSpec{}).size() == 1); }
  SECTION("a path swept twice is an error") {
    spec.ranges = {{"gtm.ttl", "10s", "20s"}};
    spec.samples = 3;
    CHECK_THROWS_AS(sweep_points(spec), std::invalid_argument);
  }
}

TEST_CASE("Latin hypercube samples use every stratum of every range once", "[sweep]") {
  const std::string kShare = "regions.region-1.gateway.rejected_cpu_share";
  SweepSpec spec;
  spec.ranges = {{"gtm.health_check.failures", "1", "5"}, {"gtm.ttl", "0s", "100s"}, {kShare, "0", "1.0"}};
  spec.samples = 5;
  const auto points = sweep_points(spec);
  REQUIRE(points.size() == 5);
  // Five samples over the five integers 1..5: each integer exactly once.
  std::set<std::string> failures;
  // Five strata of 20 s over 0..100 s: one sample in each.
  std::set<int> ttl_strata, x_strata;
  for (const auto& p : points) {
    failures.insert(value_of(p, "gtm.health_check.failures"));
    const double ttl = parse_param_value("gtm.ttl", value_of(p, "gtm.ttl")).numeric;
    CHECK(ttl >= 0);
    CHECK(ttl <= 100);
    ttl_strata.insert(static_cast<int>(ttl / 20));
    x_strata.insert(static_cast<int>(parse_param_value(kShare, value_of(p, kShare)).numeric * 5));
  }
  CHECK(failures == std::set<std::string>{"1", "2", "3", "4", "5"});
  CHECK(ttl_strata.size() == 5);
  CHECK(x_strata.size() == 5);

  SECTION("the same sample seed draws the same points, another seed others") {
    const auto again = sweep_points(spec);
    for (std::size_t i = 0; i < points.size(); ++i) CHECK(value_of(again[i], "gtm.ttl") == value_of(points[i], "gtm.ttl"));
    spec.sample_seed = 2;
    const auto other = sweep_points(spec);
    bool differs = false;
    for (std::size_t i = 0; i < points.size(); ++i) differs = differs || value_of(other[i], "gtm.ttl") != value_of(points[i], "gtm.ttl");
    CHECK(differs);
  }
  SECTION("samples combine with every grid point") {
    spec.grid = {{"gtm.publish_delay", {"0s", "5s"}}};
    CHECK(sweep_points(spec).size() == 10);  // 2 grid points x 5 samples
  }
  SECTION("random samples stay inside their ranges") {
    spec.method = SampleMethod::random;
    spec.samples = 50;
    for (const auto& p : sweep_points(spec)) {
      const double f = parse_param_value("gtm.health_check.failures", value_of(p, "gtm.health_check.failures")).numeric;
      CHECK(f >= 1);
      CHECK(f <= 5);
      CHECK(f == std::floor(f));
    }
  }
  SECTION("samples need ranges and ranges need samples") {
    spec.samples = 0;
    CHECK_THROWS_AS(sweep_points(spec), std::invalid_argument);
    SweepSpec only_samples;
    only_samples.samples = 3;
    CHECK_THROWS_AS(sweep_points(only_samples), std::invalid_argument);
  }
}

TEST_CASE("A sweep point reports what drsim::run reports for the same settings", "[sweep]") {
  // Replication k of a point runs with replication_seed(seed, k), exactly as
  // drsim::run does, so a point is a run with its overrides.
  auto base = Scenario::load(kDrill);
  SweepSpec spec;
  spec.grid = {{"gtm.ttl", {"30s"}}};
  const SweepResult s = sweep(base, spec, {.seed = 11, .replications = 6, .threads = 2});
  auto sc = base;
  sc.set("gtm.ttl", "30s");
  const Result r = run(sc, {.seed = 11, .replications = 6, .threads = 1});
  REQUIRE(s.points.size() == 1);
  CHECK(s.points[0].per_replication == r.per_replication());
  for (const auto& [figure, ci] : r.replications()) {
    INFO(figure);
    REQUIRE(s.points[0].figures.count(figure));
    CHECK(s.points[0].figures.at(figure).mean == ci.mean);
    CHECK(s.points[0].figures.at(figure).hi == ci.hi);
  }
}

TEST_CASE("A sweep gives the same table with 1, 2 or 8 threads", "[sweep][determinism]") {
  // (point, replication) pairs go to whichever thread is free, but each has
  // its own seed and its own slot, and the table is gathered in order.
  const auto base = Scenario::load(kDrill);
  SweepSpec spec;
  spec.grid = {{"gtm.ttl", {"10s", "60s"}}, {"gtm.health_check.failures", {"1", "3"}}};
  const std::string one = sweep_csv(sweep(base, spec, {.seed = 3, .replications = 5, .threads = 1}));
  const std::string two = sweep_csv(sweep(base, spec, {.seed = 3, .replications = 5, .threads = 2}));
  const std::string eight = sweep_csv(sweep(base, spec, {.seed = 3, .replications = 5, .threads = 8}));
  CHECK(one == two);
  CHECK(one == eight);
  SECTION("and a subset of the points run on their own gives the same rows (how a cluster splits the work)") {
    const auto points = sweep_points(spec);
    const SweepResult tail = run_points(base, {points[2], points[3]}, {.seed = 3, .replications = 5, .threads = 1});
    const SweepResult all = run_points(base, points, {.seed = 3, .replications = 5, .threads = 2});
    CHECK(tail.points[0].per_replication == all.points[2].per_replication);
    CHECK(tail.points[1].per_replication == all.points[3].per_replication);
  }
}

TEST_CASE("Common random numbers: two nearby points differ by their settings, not their luck", "[sweep][crn]") {
  // Replication k of every point shares the probe phases, the fault time and
  // the resolver's cache phase, so the paired difference b_k - a_k cancels
  // the run-to-run spread that each point's own interval carries. Required:
  // half-width(difference) <= half-width(each point) / 3. Without common
  // random numbers the difference of independent means has a half-width of
  // about sqrt(2) times a point's, four times the allowed width.
  const auto base = Scenario::load(kDrill);
  const SweepOptions opts{.seed = 7, .replications = 40, .threads = 2};
  auto check_pair = [&](const std::string& path, const std::string& a, const std::string& b, const std::string& figure) {
    SweepSpec spec;
    spec.grid = {{path, {a, b}}};
    const SweepResult r = sweep(base, spec, opts);
    const ConfidenceInterval d = paired_difference(r.points[0], r.points[1], figure);
    const double own_a = r.points[0].figures.at(figure).half_width();
    const double own_b = r.points[1].figures.at(figure).half_width();
    INFO(path << " " << a << " vs " << b << ": " << figure << " difference " << d.mean << " +- " << d.half_width()
              << ", own half-widths " << own_a << " and " << own_b);
    CHECK(own_a > 0);
    CHECK(d.half_width() <= own_a / 3);
    CHECK(d.half_width() <= own_b / 3);
    return d;
  };

  SECTION("100 vs 110 qps: the failed share does not depend on the rate, and the pairs show it") {
    // The window (detection + remaining TTL) is the same in both runs of a
    // pair; only the count of calls inside it scales with the rate.
    const auto d = check_pair("clients.fortio.load.qps", "100", "110", "failed_pct");
    CHECK(std::fabs(d.mean) < 0.2);
  }
  SECTION("2 vs 3 consecutive failures: detection moves by exactly one 15 s interval") {
    // E[detect] = m/(K+1) I + (N-1) I + probe time: with the phases shared,
    // each replication's detection moves by I = 15 s, so the difference has
    // no spread at all.
    const auto d = check_pair("gtm.health_check.failures", "2", "3", "time_to_detect_s");
    CHECK(d.mean == Approx(15.0).margin(1e-6));
  }
  SECTION("publish delay 0 vs 5 s: the published answer changes exactly 5 s later") {
    const auto d = check_pair("gtm.publish_delay", "0s", "5s", "time_to_answer_change_s");
    CHECK(d.mean == Approx(5.0).margin(1e-6));
  }
  SECTION("with independent seeds the same pair is not resolved (the check has teeth)") {
    SweepSpec spec;
    spec.grid = {{"clients.fortio.load.qps", {"100"}}};
    const SweepResult a = sweep(base, spec, opts);
    SweepOptions other = opts;
    other.seed = 8;
    spec.grid = {{"clients.fortio.load.qps", {"110"}}};
    const SweepResult b = sweep(base, spec, other);
    const ConfidenceInterval d = paired_difference(a.points[0], b.points[0], "failed_pct");
    CHECK(d.half_width() > a.points[0].figures.at("failed_pct").half_width() / 3);
  }
}

TEST_CASE("On the drill, failed % rises with the TTL and with the failure count", "[sweep][drill]") {
  // Window = detection + remaining TTL, detection = m/(K+1) I + (N-1) I:
  // E[failed %] = 0.5 x (7.5 + 15 (N - 1) + TTL / 2) / 300 x 100 when the
  // window fits in the run, so each step up in TTL or N adds to it.
  const auto base = Scenario::load(kDrill);
  SweepSpec spec;
  spec.grid = {{"gtm.ttl", {"10s", "30s", "60s"}}, {"gtm.health_check.failures", {"1", "2", "3"}}};
  const SweepResult r = sweep(base, spec, {.seed = 1, .replications = 20, .threads = 2, .figures = {"failed_pct"}});
  REQUIRE(r.points.size() == 9);
  auto at = [&](int ttl, int failures) { return r.points[static_cast<std::size_t>(ttl * 3 + failures)]; };
  for (int t = 0; t < 3; ++t)
    for (int f = 0; f < 3; ++f) {
      INFO("ttl index " << t << ", failures index " << f);
      const double here = at(t, f).figures.at("failed_pct").mean;
      if (t < 2) CHECK(at(t + 1, f).figures.at("failed_pct").mean > here);
      if (f < 2) {
        CHECK(at(t, f + 1).figures.at("failed_pct").mean > here);
        // One more failure adds 15 s to every replication's detection (the
        // phases are shared), so the rise is resolved pair by pair. A longer
        // TTL is not: the resolver refreshes on a grid of TTL-long steps, and
        // a replication's remaining TTL at publish time, TTL x (1 - frac(T /
        // TTL - u)), can be shorter at the longer TTL; only the mean rises.
        // At a 60 s TTL the 15 s later publication often falls in the same
        // refresh step (the window ends at the same refetch): the difference
        // is then 0 for most replications and only its mean is positive.
        const auto diff = paired_difference(at(t, f), at(t, f + 1), "failed_pct");
        if (t < 2) CHECK(diff.lo > 0);
        else CHECK(diff.mean > 0);
      }
    }
  // Hand check of one corner: TTL 10 s, N = 1: 0.5 x (7.5 + 0 + 5) / 3 = 2.08 %.
  CHECK(at(0, 0).figures.at("failed_pct").lo < 2.09);
  CHECK(at(0, 0).figures.at("failed_pct").hi > 2.08);
}

TEST_CASE("The table: one header line, one row per point, mean and interval per figure", "[sweep]") {
  const auto base = Scenario::load(kDrill);
  SweepSpec spec;
  spec.grid = {{"gtm.ttl", {"10s", "60s"}}, {"gtm.health_check.failures", {"1", "3"}}};
  const SweepResult r = sweep(base, spec, {.seed = 2, .replications = 4, .threads = 2, .figures = {"failed_pct", "time_to_detect_s"}});
  const auto lines = lines_of(sweep_csv(r));
  REQUIRE(lines.size() == 5);  // header + 4 points
  CHECK(lines[0] ==
        "point,gtm.ttl,gtm.health_check.failures,replications,failed_pct_mean,failed_pct_lo,failed_pct_hi,"
        "time_to_detect_s_mean,time_to_detect_s_lo,time_to_detect_s_hi");
  CHECK(lines[1].rfind("0,10s,1,4,", 0) == 0);
  CHECK(lines[4].rfind("3,60s,3,4,", 0) == 0);
  for (const auto& p : r.points) {
    const auto& ci = p.figures.at("failed_pct");
    CHECK(ci.lo <= ci.mean);
    CHECK(ci.mean <= ci.hi);
    CHECK(ci.n == 4);
  }

  SECTION("JSON carries the same rows with numeric values") {
    const auto doc = nlohmann::json::parse(sweep_json(r));
    CHECK(doc["format"] == "drsim.sweep/1");
    CHECK(doc["points"].size() == 4);
    CHECK(doc["points"][3]["settings"]["gtm.ttl"] == "60s");
    CHECK(doc["points"][3]["values"]["gtm.ttl"] == 60.0);
    CHECK(doc["points"][3]["figures"]["failed_pct"]["mean"].get<double>() == r.points[3].figures.at("failed_pct").mean);
  }
  SECTION("write_sweep picks the format by extension and leaves no temporary behind") {
    const auto dir = std::filesystem::temp_directory_path() / ("drsim-sweep-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    write_sweep(r, (dir / "t.csv").string());
    write_sweep(r, (dir / "t.json").string());
    std::ifstream csv(dir / "t.csv"), json(dir / "t.json");
    std::stringstream a, b;
    a << csv.rdbuf();
    b << json.rdbuf();
    CHECK(a.str() == sweep_csv(r));
    CHECK(nlohmann::json::parse(b.str())["format"] == "drsim.sweep/1");
    CHECK_FALSE(std::filesystem::exists(dir / "t.csv.tmp"));
    std::filesystem::remove_all(dir);
  }
  SECTION("a figure no replication reports leaves empty cells") {
    // No fault in the model: nothing to detect.
    auto quiet = base;
    quiet.set("faults", "[]");
    const SweepResult q = sweep(quiet, SweepSpec{}, {.seed = 1, .replications = 2, .threads = 1, .figures = {"failed_pct", "time_to_detect_s"}});
    CHECK(lines_of(sweep_csv(q))[1] == "0,2,0,0,0,,,");
  }
}

TEST_CASE("A bad point is reported before anything runs, and progress counts every run", "[sweep]") {
  const auto base = Scenario::load(kDrill);
  SweepSpec spec;
  spec.grid = {{"gtm.health_check.failures", {"2", "0"}}};  // 0 consecutive failures is not a setting
  int calls = 0;
  SweepOptions opts{.seed = 1, .replications = 2, .threads = 2};
  opts.progress = [&](const SweepProgress&) { ++calls; };
  CHECK_THROWS_AS(sweep(base, spec, opts), ModelError);
  CHECK(calls == 0);

  spec.grid = {{"gtm.health_check.failures", {"2", "3"}}};
  std::vector<SweepProgress> seen;  // checked here: Catch2 assertions belong on the test's own thread
  opts.progress = [&](const SweepProgress& p) { seen.push_back(p); };
  (void)sweep(base, spec, opts);
  REQUIRE(seen.size() == 4);  // one call per finished run, one at a time
  for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i].runs_done == i + 1);
  CHECK(seen.back().runs_total == 4);
  CHECK(seen.back().points_done == 2);
  CHECK(seen.back().points_total == 2);
  CHECK_THROWS_AS(sweep(base, spec, {.replications = 1, .figures = {"no_such_figure"}}), std::invalid_argument);
}

TEST_CASE("drsim sweep writes the table and rejects bad arguments with exit 2", "[sweep][cli]") {
  const auto dir = std::filesystem::temp_directory_path() / ("drsim-sweep-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "ttl.csv").string();
  const auto r = drsim_cli("sweep " + kDrill +
                           " --grid gtm.ttl=10s,60s --grid gtm.health_check.failures=1,3 --replications 3 --threads 2"
                           " --figures failed_pct --out " + out);
  REQUIRE(r.exit_code == 0);
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  const auto lines = lines_of(text.str());
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == "point,gtm.ttl,gtm.health_check.failures,replications,failed_pct_mean,failed_pct_lo,failed_pct_hi");
  CHECK(r.err.find("4 points x 3 replications") != std::string::npos);  // the summary line
  CHECK(r.err.find('\r') == std::string::npos);                        // no progress bar: stderr is a file

  SECTION("stdout and sampled ranges, the same bytes with one thread") {
    const auto a = drsim_cli("sweep " + kDrill + " --range gtm.ttl=10s..60s --samples 3 --replications 2 --threads 1 --quiet");
    const auto b = drsim_cli("sweep " + kDrill + " --range gtm.ttl=10s..60s --samples 3 --replications 2 --threads 2 --quiet");
    CHECK(a.exit_code == 0);
    CHECK(lines_of(a.out).size() == 4);
    CHECK(a.out == b.out);
    // --quiet drops the progress bar and the summary line; the model's warnings still travel
    CHECK(a.err.find("points x") == std::string::npos);
    CHECK(a.err.find('\r') == std::string::npos);
    CHECK(a.err.find("warning: at gtm.ttl=") != std::string::npos);
  }
  SECTION("bad arguments") {
    CHECK(drsim_cli("sweep " + kDrill + " --grid gtm.ttl").exit_code == 2);
    CHECK(drsim_cli("sweep " + kDrill + " --range gtm.ttl=10s..60s").exit_code == 2);  // no --samples
    CHECK(drsim_cli("sweep " + kDrill + " --grid gtm.ttl=10s --figures nope").exit_code == 2);
    const auto bad = drsim_cli("sweep " + kDrill + " --grid gtm.health_check.failures=0 --replications 1");
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("gtm.health_check.failures") != std::string::npos);
    CHECK(drsim_cli("sweep").exit_code == 2);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("A figure's interval stays inside the figure's range", "[sweep]") {
  // Two replications, 0 % and 50 %: the Student-t interval is
  // 25 +/- t(0.975, 1) x 35.36 / sqrt(2) = 25 +/- 12.706 x 25 = [-292.6, 342.6].
  drsim::RunningStats s;
  s.add(0);
  s.add(50);
  const auto raw = drsim::t_interval(s, 0.95);
  CHECK(raw.lo == Approx(-292.65).epsilon(1e-3));
  const auto pct = drsim::figure_interval("failed_pct", s, 0.95);
  CHECK(pct.mean == 25);
  CHECK(pct.lo == 0);
  CHECK(pct.hi == 100);
  const auto secs = drsim::figure_interval("time_to_stable_s", s, 0.95);
  CHECK(secs.lo == 0);
  CHECK(secs.hi == Approx(raw.hi));  // no upper bound on a time
}
