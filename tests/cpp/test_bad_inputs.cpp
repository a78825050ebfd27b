// Inputs that once escaped the error path (fuzzing and legal extremes): each
// must end in exit 2 naming the file and the JSON path, a clear usage error,
// or a run that finishes in bounded memory. The reproducers are kept in
// tests/models/repro/.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "cli_runner.hpp"

using drsim::testing::drsim_cli;
using drsim::testing::source_path;

namespace {
std::string repro(const std::string& name) { return source_path("tests/models/repro/" + name); }
const std::string kDrill = source_path("models/asm-gtm-drill.json");
std::string temp_dir(const std::string& name) {
  const auto d = std::filesystem::temp_directory_path() / ("drsim-bad-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(d);
  return d.string();
}
}  // namespace

TEST_CASE("Reproducers of the fuzz campaign are model errors with a path", "[cli][bad-input]") {
  struct Case {
    const char* file;
    const char* path;
    const char* says;
  };
  const Case cases[] = {
      {"f1-number-overflow.json", "line 1, column 9", "number 1e400"},
      {"f2-cpu-request-0.4m.json", "regions[0].gateway.cpu_request", "1m (Kubernetes' granularity)"},
      {"f2-cpu-request-inf.json", "regions[0].gateway.cpu_request", "CPU quantity"},
      {"f3-rate-inf.json", "clients[0].load.rate", "at most 1e7/s"},
      {"f4-rate-tiny-constant.json", "clients[0].load.rate", "at least one request in the load's duration"},
      {"f4-rate-tiny-poisson.json", "clients[0].load.rate", "at least one request in the load's duration"},
      {"f5-service-time-1e10.json", "regions[0].gateway.service_time", "100 days"},
      {"f6-horizon-30d.json", "duration", "at most 168h"},
      {"f10-gtm-interval-1ns.json", "gtm.health_check.interval", "at least 100ms"},
      {"f12-key-with-nul.json", "x\\u0000y", "unknown field"},
      {"duplicate-json-key.json", "gtm.ttl", "a second \"ttl\""},
      {"empty-top-level-key.json", "\"\"", "unknown field"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    const auto r = drsim_cli("run " + repro(c.file));
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::Contains(c.file) && Catch::Contains(c.path) && Catch::Contains(c.says));
  }
}

TEST_CASE("Values beyond range and text that is not UTF-8 in overrides are model errors with a path", "[cli][bad-input]") {
  SECTION("a number beyond double range in --set") {
    const auto r = drsim_cli("run " + kDrill + " --set gtm.health_check.failures=1e400");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("gtm.health_check.failures"));
  }
  SECTION("a number beyond double range in a sweep grid") {
    const auto r = drsim_cli("sweep " + kDrill + " --grid gtm.health_check.failures=1e400 --replications 1");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("gtm.health_check.failures"));
  }
  SECTION("a sweep range ending at 1e20 on a whole-number field") {
    const auto r = drsim_cli("sweep " + kDrill + " --range gtm.health_check.failures=1..1e20 --samples 2 --replications 1");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("whole numbers") && !Catch::Contains("-9223372036854775808"));
  }
  SECTION("invalid UTF-8 in a value, before anything runs") {
    const std::string out = temp_dir("utf8");
    const auto r = drsim_cli("run " + kDrill + " --set \"name=$(printf '\\377')\" --json --out " + out);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::Contains("name") && Catch::Contains("UTF-8"));
    CHECK_FALSE(std::filesystem::exists(out + "/result.json"));
    std::filesystem::remove_all(out);
  }
  SECTION("a directory given as the model") {
    const auto r = drsim_cli("run " + source_path("models"));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("a model file") && Catch::Contains("a directory"));
  }
}

TEST_CASE("An output folder is checked before the run and a result appears whole or not at all", "[cli][bad-input]") {
  SECTION("an empty name") {
    const auto r = drsim_cli("run " + kDrill + " --out ''");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--out needs a directory"));
  }
  SECTION("a file") {
    const std::string f = temp_dir("file");
    std::ofstream(f) << "x";
    const auto r = drsim_cli("run " + kDrill + " --out " + f);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("is a file"));
    std::filesystem::remove(f);
  }
  SECTION("a rename that fails half way leaves no result.json beside new files") {
    const std::string d = temp_dir("half");
    std::filesystem::create_directories(d + "/events.csv/x");  // events.csv cannot be replaced
    std::ofstream(d + "/result.json") << "{\"model\":\"STALE\"}";
    const auto r = drsim_cli("run " + kDrill + " --out " + d);
    CHECK(r.exit_code != 0);
    CHECK_FALSE(std::filesystem::exists(d + "/result.json"));  // the old set is gone, the new one incomplete
    for (const auto& e : std::filesystem::directory_iterator(d)) CHECK(e.path().extension() != ".tmp");
    std::filesystem::remove_all(d);
  }
}

TEST_CASE("A one-day run of a few requests runs in bounded memory", "[cli][bad-input][slow]") {
  // Per-second series follow what is recorded, not the horizon: under a 150 MB
  // address-space limit (the 1-day run once took 350 MB of per-second
  // latency histograms up front, 86,400 x 4 KB) it runs.
  const auto r = drsim_cli("--version >/dev/null; (ulimit -v 150000; " + std::string(DRSIM_CLI) + " run " +
                           repro("f6-horizon-1d.json") + " >/dev/null); echo rc=$?");
  CHECK_THAT(r.out, Catch::Contains("rc=0"));
}
