// An outside program using drsim the way a user would.
#include <drsim/drsim.hpp>

#include <iostream>

int main(int, char**) {
  using namespace drsim::literals;
  drsim::Simulator sim{7};
  int probes = 0;
  auto* p = &probes;
  sim.every(15_s, [p] { ++*p; });
  sim.run_until(drsim::TimePoint::start() + 5_min);
  std::cout << "drsim " << drsim::version() << ": " << probes << " probes in 5 minutes\n";
  return probes == 20 ? 0 : 1;
}
