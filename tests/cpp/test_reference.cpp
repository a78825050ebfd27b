// The model reference is the field tables: the docs are their output, every
// default names a source, override paths take their kind from them.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_runner.hpp"
#include "drsim/drsim.hpp"
#include "drsim/scenario/model_file.hpp"
#include "drsim/scenario/reference.hpp"

using drsim::testing::drsim_cli;
using drsim::testing::source_path;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("docs/model-reference.md is exactly the output of drsim explain --markdown", "[reference]") {
  const std::string committed = slurp(source_path("docs/model-reference.md"));
  INFO("regenerate it with: build/bin/drsim explain --markdown > docs/model-reference.md");
  CHECK(committed == drsim::explain_markdown());
  const auto cli = drsim_cli("explain --markdown");
  CHECK(cli.exit_code == 0);
  CHECK(cli.out == committed);
}

TEST_CASE("Every field says what it means and every default names its source", "[reference]") {
  const auto fields = drsim::model_fields();
  REQUIRE(fields.size() > 100);
  for (const auto& e : fields) {
    INFO(e.path);
    const drsim::Field& f = *e.field;
    CHECK_FALSE((f.meaning.empty() && !f.is_container()));
    const std::string def = drsim::default_text(f);
    const bool has_default = !f.is_container() && !f.required && def != "none" && def.rfind("absent", 0) != 0;
    if (has_default) CHECK_FALSE(f.source.empty());
  }
}

TEST_CASE("Override paths find their field through arrays entered by name", "[reference]") {
  using drsim::FieldKind;
  const drsim::Field* ttl = drsim::field_at("gtm.ttl");
  REQUIRE(ttl);
  CHECK(ttl->kind == FieldKind::duration);
  CHECK(drsim::field_at("gtm.health_check.failures")->kind == FieldKind::integer);
  CHECK(drsim::field_at("regions.region-2.gateway.replicas")->kind == FieldKind::integer);
  CHECK(drsim::field_at("regions[].gateway.replicas") == drsim::field_at("regions.anything.gateway.replicas"));
  CHECK(drsim::field_at("regions.region-2.gateway.hpa.tolerance")->kind == FieldKind::number);
  CHECK(drsim::field_at("clients.fortio.profile.dns_cache")->kind == FieldKind::choice);
  CHECK(drsim::field_at("clients.fortio.load.qps")->kind == FieldKind::number);
  CHECK(drsim::field_at("gtm.tll") == nullptr);
  CHECK(drsim::field_at("regions.gateway") == nullptr);  // the element name is missing
}

TEST_CASE("A field's default is read from its struct, never restated", "[reference]") {
  // GtmParams{}.ttl is 60 s: the table holds that value, formatted as a model file writes it.
  const drsim::Field* ttl = drsim::field_at("gtm.ttl");
  REQUIRE(std::holds_alternative<drsim::Duration>(ttl->default_value));
  CHECK(std::get<drsim::Duration>(ttl->default_value) == drsim::GtmParams{}.ttl);
  CHECK(drsim::default_text(*ttl) == "1m");
  CHECK(drsim::default_text(*drsim::field_at("regions[].gateway.pod.workers")) ==
        std::to_string(drsim::GatewayConfig{}.workers));
}

TEST_CASE("Enum names are declared once and read both ways", "[reference]") {
  CHECK(drsim::name_of(drsim::ProbeProtocol::http) == "http");
  CHECK(drsim::enum_from_name<drsim::ProbeProtocol>("ping") == drsim::ProbeProtocol::ping);
  CHECK_FALSE(drsim::enum_from_name<drsim::ProbeProtocol>("icmp").has_value());
  const drsim::Field* protocol = drsim::field_at("gtm.health_check.protocol");
  CHECK(protocol->names == std::vector<std::string>{"ping", "tcp", "http"});
}

TEST_CASE("drsim explain lists every path and explains one", "[reference][cli]") {
  SECTION("alone: one path per line, the path first") {
    const auto r = drsim_cli("explain");
    REQUIRE(r.exit_code == 0);
    std::istringstream lines(r.out);
    std::string line;
    std::size_t n = 0;
    while (std::getline(lines, line)) {
      ++n;
      const std::string first = line.substr(0, line.find(' '));
      INFO(line);
      CHECK(drsim::field_at(first) != nullptr);
    }
    CHECK(n == drsim::model_fields().size());
  }
  SECTION("one path: kind, unit, range, default, meaning and source") {
    const auto r = drsim_cli("explain gtm.health_check.interval");
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("duration >= 100ms") && Catch::Contains("default  1m") &&
                          Catch::Contains("meaning") && Catch::Contains("source   https://"));
  }
  SECTION("an override path works too") {
    const auto r = drsim_cli("explain regions.region-1.gateway.hpa.min_replicas");
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::StartsWith("regions[].gateway.hpa.min_replicas") && Catch::Contains("values.yaml"));
  }
  SECTION("an unknown path exits 2 with the nearest one") {
    const auto r = drsim_cli("explain gtm.tll");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("did you mean \"gtm.ttl\""));
  }
}

TEST_CASE("No public header includes nlohmann_json, Boost or Eigen (the compiled part keeps them)", "[reference]") {
  namespace fs = std::filesystem;
  std::size_t headers = 0;
  for (const auto& entry : fs::recursive_directory_iterator(source_path("include/drsim"))) {
    if (entry.path().extension() != ".hpp") continue;
    ++headers;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("#include", 0) != 0) continue;
      INFO(entry.path().string() << ": " << line);
      CHECK(line.find("nlohmann") == std::string::npos);
      CHECK(line.find("boost") == std::string::npos);
      CHECK(line.find("Eigen") == std::string::npos);
    }
  }
  CHECK(headers > 30);
}
