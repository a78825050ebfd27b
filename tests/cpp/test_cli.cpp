// `drsim run` as a user meets it: bad models, determinism, threads, outputs.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "cli_runner.hpp"

using drsim::testing::CliRun;
using drsim::testing::drsim_cli;
using drsim::testing::source_path;

namespace {
const std::string kDrill = source_path("models/asm-gtm-drill.json");
std::string bad(const std::string& name) { return source_path("tests/models/bad/" + name); }
}  // namespace

TEST_CASE("A bad model exits 2 with a message naming the file and the JSON path", "[cli]") {
  struct Case {
    const char* file;
    const char* path;
    const char* says;
  };
  const Case cases[] = {
      {"syntax_error.json", "line 164, column", "valid JSON"},
      {"wrong_type.json", "gtm.health_check.failures", "found string \"three\""},
      {"bad_unit.json", "gtm.health_check.interval", "unknown unit"},
      {"negative_duration.json", "gtm.ttl", "(negative)"},
      {"zero_capacity.json", "regions[0].gateway.replicas", "zero capacity"},
      {"zero_connections.json", "clients[0].load.connections", "connections >= 1"},
      {"fill_interval_too_short.json", "regions[1].gateway.rate_limit.fill_interval", "at least 50ms"},
      {"replicas_outside_hpa.json", "regions[0].gateway.replicas", "[min_replicas, max_replicas] = [1, 1]"},
      {"share_above_1.json", "gtm.health_check.rule.failing_share_above", "between 0 and 1"},
      {"unknown_field.json", "gtm.health_check.intervall", "did you mean \"interval\""},
      {"missing_reference.json", "faults[0].target", "\"cluster-3\", which does not exist"},
      {"missing_region.json", "gtm.pools.primary[1]", "\"region-3\", which does not exist"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    const auto r = drsim_cli("run " + bad(c.file));
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::Contains(c.file) && Catch::Contains(c.path) && Catch::Contains(c.says));
  }
}

TEST_CASE("Bad overrides exit 2 and name the override path", "[cli]") {
  SECTION("an unknown field") {
    const auto r = drsim_cli("run " + kDrill + " --set gtm.health_check.intervall=30s");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("gtm.health_check.intervall") && Catch::Contains("did you mean \"interval\""));
  }
  SECTION("an array element that does not exist") {
    const auto r = drsim_cli("run " + kDrill + " --set regions.region-9.gateway.address=x");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("regions.region-9") && Catch::Contains("region-1, region-2"));
  }
  SECTION("a path through a value") {
    const auto r = drsim_cli("run " + kDrill + " --set gtm.ttl.seconds=5");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("bad override path"));
  }
  SECTION("a number where a duration is expected gets the duration it probably meant") {
    // The field table says gtm.ttl is a duration, so "30" is read as text and lacks a unit.
    const auto r = drsim_cli("run " + kDrill + " --set gtm.ttl=30");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("gtm.ttl") && Catch::Contains("did you mean \"30s\"?"));
  }
  SECTION("a number for a duration in the file gets the same suggestion") {
    const auto r = drsim_cli("run " + kDrill + " --set 'gtm.health_check.timeout=\"2\"'");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("gtm.health_check.timeout") && Catch::Contains("did you mean \"2s\"?"));
  }
  SECTION("a missing file") {
    const auto r = drsim_cli("run /nonexistent/model.json");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("/nonexistent/model.json"));
  }
}

TEST_CASE("The same seed gives the same bytes, another seed other numbers", "[cli][determinism]") {
  const auto a = drsim_cli("run " + kDrill + " --seed 3 --replications 8 --json");
  const auto b = drsim_cli("run " + kDrill + " --seed 3 --replications 8 --json");
  const auto c = drsim_cli("run " + kDrill + " --seed 4 --replications 8 --json");
  REQUIRE(a.exit_code == 0);
  CHECK(a.out == b.out);
  CHECK(a.out != c.out);
}

TEST_CASE("One thread or every core: the same bytes", "[cli][determinism]") {
  const auto one = drsim_cli("run " + kDrill + " --replications 16 --threads 1 --json");
  const auto many = drsim_cli("run " + kDrill + " --replications 16 --threads 8 --json");
  REQUIRE(one.exit_code == 0);
  CHECK(one.out == many.out);
}

TEST_CASE("The JSON output (--json) is the drsim.result/1 document with consistent counts", "[cli]") {
  const auto r = drsim_cli("run " + kDrill + " --replications 4 --json");
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["schema"] == "drsim.result/1");
  const auto& s = j["summary"];
  CHECK(s["requests"].get<long>() == s["ok"].get<long>() + s["failed"].get<long>() + s["in_flight"].get<long>());
  long by_code = 0;
  for (const auto& [code, n] : s["by_code"].items()) by_code += n.get<long>();
  CHECK(by_code == s["ok"].get<long>() + s["failed"].get<long>());
  CHECK(j["replications"]["n"] == 4);
  CHECK(j["replications"]["failed_pct"]["ci95"].size() == 2);
  CHECK(s["failure_window_s"].size() == 2);
}

TEST_CASE("The fortio-json format has fortio's shape", "[cli]") {
  const auto r = drsim_cli("run " + kDrill + " --format fortio-json");
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.contains("RetCodes"));
  CHECK(j["DurationHistogram"]["Percentiles"].size() == 5);
  CHECK(j["ActualQPS"].get<double>() == Approx(100).margin(1));
}

TEST_CASE("drsim init writes a model that validates and runs, for 2, 3 and 4 regions", "[cli][init]") {
  namespace fs = std::filesystem;
  for (const char* gtm : {"alibaba", "route53"})
    for (int n : {2, 3, 4}) {
      INFO(gtm << " " << n);
      const auto init = drsim_cli("init --regions " + std::to_string(n) + " --gtm " + gtm + " --client fortio-first");
      REQUIRE(init.exit_code == 0);
      const auto j = nlohmann::json::parse(init.out);  // strict JSON
      CHECK(j["regions"].size() == static_cast<std::size_t>(n));
      CHECK(j["notes"].size() >= 5);
      const fs::path file = fs::temp_directory_path() / ("drsim-init-" + std::to_string(::getpid()) + ".json");
      std::ofstream(file) << init.out;
      const auto valid = drsim_cli("validate " + file.string());
      CHECK(valid.exit_code == 0);
      CHECK(valid.out.find(": ok (" + std::to_string(n) + " regions") != std::string::npos);
      const auto run = drsim_cli("run " + file.string() + " --json --quiet");
      REQUIRE(run.exit_code == 0);
      const auto res = nlohmann::json::parse(run.out);
      CHECK(res["summary"]["requests"].get<long>() == 30000);
      CHECK(res["summary"]["by_code"].contains("-1"));  // the deleted gateway refuses
      fs::remove(file);
    }
  CHECK(drsim_cli("init").exit_code == 2);
  CHECK(drsim_cli("init --regions 3 --gtm azure").exit_code == 2);
  CHECK(drsim_cli("init --regions 3 --client lynx").exit_code == 2);
  CHECK(drsim_cli("init --regions 3 --mesh sidecarless").exit_code == 2);
}

TEST_CASE("drsim init --mesh locality-failover writes a mesh model whose proxies fail over", "[cli][init][mesh]") {
  namespace fs = std::filesystem;
  for (int n : {2, 3}) {
    INFO(n << " regions");
    const auto init = drsim_cli("init --regions " + std::to_string(n) + " --mesh locality-failover");
    REQUIRE(init.exit_code == 0);
    const auto j = nlohmann::json::parse(init.out);
    CHECK(j["mesh"]["control_plane"] == "primary_remote");
    CHECK(j["faults"][0]["kind"] == "app_down");
    const fs::path file = fs::temp_directory_path() / ("drsim-init-mesh-" + std::to_string(::getpid()) + ".json");
    std::ofstream(file) << init.out;
    CHECK(drsim_cli("validate " + file.string()).exit_code == 0);
    const auto run = drsim_cli("run " + file.string() + " --json --quiet --replications 3");
    fs::remove(file);
    REQUIRE(run.exit_code == 0);
    const auto res = nlohmann::json::parse(run.out);
    // The last region's app pods go down behind a gateway GTM keeps answering: the proxies eject
    // them and fail over, so few calls fail (without the mesh, every call sent there would).
    CHECK(res["summary"]["ejections"].get<long>() >= 1);
    CHECK(res["replications"]["failed_pct"]["mean"].get<double>() < 1.0);
  }
}

TEST_CASE("drsim validate checks a model without running it: exit 0, or 2 with where and what", "[cli][init]") {
  const auto good = drsim_cli("validate " + kDrill);
  CHECK(good.exit_code == 0);
  CHECK(good.out.find("ok (2 regions") != std::string::npos);
  const auto bad = drsim_cli("validate " + source_path("tests/models/bad/unknown_field.json"));
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("gtm.health_check.intervall") != std::string::npos);
  CHECK(drsim_cli("validate " + kDrill + " --set gtm.ttl=-5s").exit_code == 2);
  CHECK(drsim_cli("validate").exit_code == 2);
}

TEST_CASE("Writing to a folder (--out) gives complete files, and a failing run leaves none", "[cli]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("drsim-out-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  SECTION("a good run") {
    const auto r = drsim_cli("run " + kDrill + " --out " + dir.string());
    REQUIRE(r.exit_code == 0);
    CHECK(fs::exists(dir / "result.json"));
    CHECK(fs::exists(dir / "series.csv"));
    CHECK(fs::exists(dir / "events.csv"));
    for (const auto& e : fs::directory_iterator(dir)) CHECK(e.path().filename().string()[0] != '.');
    CHECK_NOTHROW(nlohmann::json::parse(std::ifstream(dir / "result.json")));
  }
  SECTION("a bad override") {
    const auto r = drsim_cli("run " + kDrill + " --set gtm.ttl=-5s --out " + dir.string());
    CHECK(r.exit_code == 2);
    CHECK_FALSE(fs::exists(dir / "result.json"));
  }
  fs::remove_all(dir);
}

TEST_CASE("The cached-rr drill fails exactly half the calls after the deletion", "[cli][drill]") {
  const auto r = drsim_cli("run " + source_path("models/asm-gtm-drill-cached-rr.json") + " --json");
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  const double fault_at = j["summary"]["fault_at_s"].get<double>();
  // fortio sends call i at i x 10 ms: the calls at or after the deletion are
  // 30,000 - ceil(fault_at x 100); cached-rr alternates over the two cached
  // addresses, so half of them (+-1) hit the deleted gateway.
  const double after = 30000 - std::ceil(fault_at * 100);
  CHECK(j["summary"]["by_code"]["-1"].get<double>() == Approx(after / 2).margin(1));
}

TEST_CASE("Over replications the drill's -1 share lands in the seed's 14 +- 3 %", "[cli][drill][slow]") {
  const auto r = drsim_cli("run " + kDrill + " --replications 400 --json");
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  const double mean = j["replications"]["failed_pct"]["mean"].get<double>();
  CHECK(mean > 11.0);
  CHECK(mean < 17.0);
  // The mechanism: half the calls fail for detection + the remaining TTL.
  const double detect = j["replications"]["time_to_detect_s"]["mean"].get<double>();
  const double window = j["replications"]["failure_window_s"]["mean"].get<double>();
  CHECK(window == Approx(detect + 30).margin(3));          // mean remaining TTL = 60 / 2
  CHECK(mean == Approx(100 * 0.5 * window / 300).margin(0.3));
}

TEST_CASE("Every command answers --help, drsim help lists them all, a bare drsim prints usage to stderr", "[cli][conventions]") {
  const char* commands[] = {"run",    "sweep",   "solve", "sensitivity", "calibrate", "validate",
                            "init",   "report",  "compare", "explain", "demo", "version", "help"};
  const CliRun overview = drsim_cli("--help");
  REQUIRE(overview.exit_code == 0);
  CHECK(drsim_cli("help").out == overview.out);
  for (const char* c : commands) {
    INFO(c);
    CHECK(overview.out.find(std::string("  ") + c + " ") != std::string::npos);
    const CliRun h = drsim_cli(std::string(c) + " --help");
    CHECK(h.exit_code == 0);
    CHECK(h.out.rfind("usage: drsim " + std::string(c), 0) == 0);
    CHECK(drsim_cli(std::string("help ") + c).out == h.out);
  }
  const CliRun bare = drsim_cli("");
  CHECK(bare.exit_code == 2);
  CHECK(bare.out.empty());
  CHECK(bare.err.find("usage: drsim") != std::string::npos);
  const CliRun version = drsim_cli("version");
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("drsim ", 0) == 0);
  CHECK(drsim_cli("--version").out == version.out);
  CHECK(drsim_cli("frobnicate").exit_code == 2);
}

TEST_CASE("A threshold (--threshold) tests the mean over the replications: exit 99 when violated, 0 when met", "[cli][conventions]") {
  const std::string model = source_path("models/asm-gtm-drill.json");
  SECTION("one replication: the single value") {
    const CliRun bad = drsim_cli("run " + model + " --quiet --threshold 'failed_pct<=1'");
    CHECK(bad.exit_code == 99);
    CHECK(bad.err.find("failed_pct<=1 NOT met") != std::string::npos);
    const CliRun good = drsim_cli("run " + model + " --quiet --threshold 'failed_pct<=50' --threshold 'requests>=29000'");
    CHECK(good.exit_code == 0);
    CHECK(good.err.find("failed_pct<=50 met: mean") != std::string::npos);
  }
  SECTION("several replications: the mean with its interval") {
    const CliRun r = drsim_cli("run " + model + " --quiet --replications 4 --threshold 'failed_pct>=90'");
    CHECK(r.exit_code == 99);
    CHECK(r.err.find("over 4 replication(s)") != std::string::npos);
  }
  SECTION("a sweep: every point is held to it") {
    const CliRun r = drsim_cli("sweep " + model + " --quiet --grid gtm.ttl=60s,120s --replications 2 --threshold 'failed_pct<=0.5'");
    CHECK(r.exit_code == 99);
    CHECK(r.err.find("not met at point 0") != std::string::npos);
    CHECK(r.err.find("not met at point 1") != std::string::npos);
  }
  SECTION("an unknown figure is a usage error") {
    CHECK(drsim_cli("run " + model + " --threshold 'bogus<=1'").exit_code == 2);
  }
}

TEST_CASE("Work past the limits is refused before it starts, saying how to allow it", "[cli][conventions]") {
  const std::string model = source_path("models/asm-gtm-drill.json");
  const CliRun runs = drsim_cli("run " + model + " --replications 10000000");
  CHECK(runs.exit_code == 2);
  CHECK(runs.err.find("--max-runs 10000000") != std::string::npos);
  const CliRun requests = drsim_cli("run " + model + " --replications 1000 --max-requests 1e6");
  CHECK(requests.exit_code == 2);
  CHECK(requests.err.find("--max-requests") != std::string::npos);
  const CliRun samples = drsim_cli("sweep " + model + " --range gtm.ttl=1s..600s --samples 100000000");
  CHECK(samples.exit_code == 2);
}

TEST_CASE("drsim compare runs every fault of the plan under every architecture", "[cli][mesh]") {
  const std::string model = source_path("models/asm-mesh-locality-failover.json");
  const auto r = drsim_cli("compare " + model + " --replications 2 --threads 2 --json --quiet");
  REQUIRE(r.exit_code == 0);
  const auto rows = nlohmann::json::parse(r.out);
  REQUIRE(rows.size() == 8 * 3);  // models/compare/mesh-architectures.json: 8 faults x A, B, C
  CHECK(rows[0]["fault"] == "region 2 outage");
  CHECK(rows[0]["architecture"] == "A");
  for (const auto& row : rows) CHECK(row["lo"].get<double>() <= row["failed_pct"].get<double>());
  SECTION("a bad plan exits 2 naming the plan file and the JSON path") {
    const std::string plan = "/tmp/drsim-bad-plan-" + std::to_string(::getpid()) + ".json";
    std::ofstream(plan) << R"({"architectures": [{"title": "no name"}], "faults": []})";
    const auto bad_plan = drsim_cli("compare " + model + " --plan " + plan);
    std::filesystem::remove(plan);
    CHECK(bad_plan.exit_code == 2);
    CHECK_THAT(bad_plan.err, Catch::Contains(plan) && Catch::Contains("architectures[0].name"));
  }
}
