// Pinned behaviour: what `drsim run` prints and writes for every shipped
// model, byte for byte, and the event fingerprints of its first replications.
// A redesign must leave these untouched; a deliberate change of behaviour
// regenerates them (scripts/update-golden.sh) in a commit of its own that
// says why.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "cli_runner.hpp"
#include "drsim/drsim.hpp"
#include "drsim/model/failover_model.hpp"

using drsim::testing::drsim_cli;
using drsim::testing::source_path;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The first line where two texts differ, for a readable failure.
std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool ea = !std::getline(sa, la), eb = !std::getline(sb, lb);
    if (ea && eb) return "identical";
    if (ea != eb || la != lb)
      return "line " + std::to_string(line) + ":\n  golden:  " + (ea ? "<end>" : la) + "\n  current: " + (eb ? "<end>" : lb);
  }
}

void check_model(const std::string& name) {
  const std::string model = source_path("models/" + name + ".json");
  const std::string golden = source_path("tests/golden/" + name);
  const std::string out = std::filesystem::temp_directory_path() / ("drsim-golden-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(out);
  const std::string args = "run " + model + " --seed 1 --replications 20 --threads 2";

  const auto json = drsim_cli(args + " --json --out " + out);
  REQUIRE(json.exit_code == 0);
  INFO("run.json: " << first_difference(slurp(golden + "/run.json"), json.out));
  CHECK(json.out == slurp(golden + "/run.json"));
  for (const char* file : {"result.json", "series.csv", "events.csv", "drain.csv"}) {
    const std::string want = slurp(golden + "/out/" + file), got = slurp(out + "/" + file);
    INFO(file << ": " << first_difference(want, got));
    CHECK(got == want);
  }
  std::filesystem::remove_all(out);

  const auto text = drsim_cli(args);
  REQUIRE(text.exit_code == 0);
  INFO("run.txt: " << first_difference(slurp(golden + "/run.txt"), text.out));
  CHECK(text.out == slurp(golden + "/run.txt"));
}

/// "model replication fingerprint" lines for replications 0-2 of every shipped model at seed 1.
std::string fingerprints() {
  std::ostringstream os;
  for (const char* name : {"asm-gtm-drill", "asm-gtm-drill-cached-rr", "bookinfo-cross-cluster", "surviving-region-spike",
                           "resolver-population", "asm-mesh-locality-failover"}) {
    const auto scenario = drsim::Scenario::load(source_path(std::string("models/") + name + ".json"));
    for (std::uint64_t k = 0; k < 3; ++k) {
      drsim::FailoverModel model(scenario.spec(), drsim::replication_seed(1, k));
      model.run();
      os << name << ' ' << k << ' ' << std::hex << model.simulator().fingerprint() << std::dec << ' '
         << model.simulator().executed_events() << '\n';
    }
  }
  return os.str();
}

}  // namespace

TEST_CASE("The seed drill's outputs are the golden ones", "[golden]") { check_model("asm-gtm-drill"); }
TEST_CASE("The cached-rr drill's outputs are the golden ones", "[golden]") { check_model("asm-gtm-drill-cached-rr"); }
TEST_CASE("The Bookinfo cross-cluster model's outputs are the golden ones", "[golden]") {
  check_model("bookinfo-cross-cluster");
}
TEST_CASE("The surviving-region spike's outputs are the golden ones", "[golden][slow]") {
  check_model("surviving-region-spike");
}

TEST_CASE("The mesh locality failover model's outputs are the golden ones", "[golden]") {
  check_model("asm-mesh-locality-failover");
}

TEST_CASE("The resolver population's outputs are the golden ones", "[golden][slow]") {
  check_model("resolver-population");
}

TEST_CASE("Event fingerprints of every shipped model are the golden ones", "[golden][slow]") {
  const std::string path = source_path("tests/golden/fingerprints.txt");
  const std::string now = fingerprints();
  if (const char* update = std::getenv("DRSIM_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << now;
    WARN("wrote " << path);
  }
  INFO(first_difference(slurp(path), now));
  CHECK(now == slurp(path));
}
