// An outside program using drsim the way a user would: load the seed drill,
// override a value, run replications, print the fortio summary.
#include <drsim/drsim.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: consumer MODEL\n";
    return 2;
  }
  auto scenario = drsim::Scenario::load(argv[1]);
  scenario.set("gtm.ttl", "30s");
  const auto result = drsim::run(scenario, {.seed = 7, .replications = 4, .threads = 2});
  std::cout << "drsim " << drsim::version() << "\n" << result.fortio_summary();
  const auto& s = result.summary();
  // Every request accounted for, and the failover did happen.
  if (s.requests != s.ok + s.failed + s.in_flight) return 1;
  if (s.failed == 0 || !s.headline.time_to_detect_s) return 1;
  std::cout << "mean failed % over 4 replications: " << result.replications().at("failed_pct").mean << "\n";
  return 0;
}
