// libFuzzer target over the model loader and, for what loads, one short run.
//
// What it holds the code to:
// - every input either loads or is refused with drsim::ModelError (the CLI's
//   exit 2 with file and JSON path); any other exception, a crash, a hang
//   (-timeout) or unbounded memory (-rss_limit_mb) is a finding;
// - a model that loads and is small enough to run quickly runs one
//   replication, which may stop only with drsim::ParameterError (a limit a
//   component checks when the run starts, also exit 2), and its accounting
//   holds: requests started = ok + failed + still in flight.
//
// Built by `make fuzz` (clang-14, -fsanitize=fuzzer,address,undefined): a short
// deterministic run over the seed corpus is part of `make test`; `make fuzz
// FUZZ_SECONDS=600` runs longer and keeps what it finds in build-fuzz/corpus.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "drsim/core/error.hpp"
#include "drsim/run.hpp"
#include "drsim/scenario/scenario.hpp"

namespace {

// Runs bigger than this are loaded and checked but not simulated, so one
// input stays well under libFuzzer's per-input timeout.
constexpr double kMaxFuzzedRequests = 50000;

[[noreturn]] void finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "drsim fuzz finding: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::optional<drsim::Scenario> scenario;
  try {
    scenario.emplace(drsim::Scenario::from_json(text, "fuzz.json"));
  } catch (const drsim::ModelError&) {
    return 0;  // refused with file and path: the error path held
  } catch (const drsim::ParameterError&) {
    return 0;
  }
  if (!(drsim::expected_requests(scenario->spec()) <= kMaxFuzzedRequests)) return 0;
  try {
    const drsim::Result result = drsim::run(*scenario, {.seed = 1, .replications = 1, .threads = 1});
    const drsim::Summary& s = result.summary();
    if (s.requests != s.ok + s.failed + s.in_flight) {
      finding("accounting", "requests " + std::to_string(s.requests) + " != ok " + std::to_string(s.ok) + " + failed " +
                                std::to_string(s.failed) + " + in flight " + std::to_string(s.in_flight));
    }
  } catch (const drsim::ParameterError&) {
    return 0;
  }
  return 0;
}
