// The drsim command-line tool (front end only: the work happens in the library).
#include <drsim/drsim.hpp>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

namespace {

int demo() {
  // A small demonstration of the engine: three GTM-style probe nodes on their
  // own phases, probing every 15 s for 5 simulated minutes.
  using namespace drsim::literals;
  drsim::Simulator sim{7};
  auto rng = sim.stream("demo/phases");
  int probes[3] = {0, 0, 0};
  struct Probe {
    int* count;
    void operator()() const { ++*count; }
  };
  for (int node = 0; node < 3; ++node) {
    const auto phase = drsim::Duration::from_seconds(rng.uniform(0, 15));
    sim.every_from(drsim::TimePoint::start() + phase, 15_s, Probe{&probes[node]},
                   drsim::EventTag{1, static_cast<std::uint16_t>(node)});
  }
  sim.run_until(drsim::TimePoint::start() + 5_min);
  std::cout << "drsim " << drsim::version() << " engine demo: 3 probe nodes, 15s interval, 5m\n";
  for (int node = 0; node < 3; ++node) std::cout << "  node " << node << ": " << probes[node] << " probes\n";
  std::cout << "  events executed: " << sim.executed_events() << ", fingerprint: " << std::hex
            << sim.fingerprint() << std::dec << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "demo") == 0) return demo();
  if (argc >= 2 && (std::strcmp(argv[1], "--version") == 0)) {
    std::cout << "drsim " << drsim::version() << "\n";
    return 0;
  }
  std::cerr << "usage: drsim demo | drsim --version\n";
  return 2;
}
