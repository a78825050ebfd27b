// Sweep throughput: the 3 x 3 x 3 grid of the seed drill
// (gtm.ttl x gtm.health_check.interval x gtm.health_check.failures) with 20
// replications per point, 540 runs, timed with 1 thread and with every core.
// The target is under 15 s for the 540 runs on a 2-core machine.
//
// stdout: one JSON object per line per thread count, e.g.
//   {"name":"sweep_drill_3x3x3x20","threads":2,"runs":540,"seconds":...,"runs_per_sec":...}
// and the tables' bytes are compared across thread counts (exit 1 if they differ).
//
// Usage: drsim_bench_sweep [MODEL] [--reps R] [--replications N]
//   MODEL defaults to models/asm-gtm-drill.json under the source tree.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "drsim/analysis/sweep.hpp"

#ifndef DRSIM_SOURCE_DIR
#define DRSIM_SOURCE_DIR "."
#endif

int main(int argc, char** argv) {
  std::string model = std::string(DRSIM_SOURCE_DIR) + "/models/asm-gtm-drill.json";
  int reps = 3, replications = 20;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else if (std::strcmp(argv[i], "--replications") == 0 && i + 1 < argc) replications = std::max(1, std::atoi(argv[++i]));
    else model = argv[i];
  }
  const auto scenario = drsim::Scenario::load(model);
  drsim::SweepSpec spec;
  spec.grid = {{"gtm.ttl", {"10s", "30s", "60s"}},
               {"gtm.health_check.interval", {"15s", "30s", "60s"}},
               {"gtm.health_check.failures", {"1", "2", "3"}}};
  const auto points = drsim::sweep_points(spec);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<int> thread_counts{1};
  if (cores > 1) thread_counts.push_back(cores);

  std::string reference;
  for (const int threads : thread_counts) {
    std::vector<double> seconds;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto result = drsim::run_points(scenario, points, {.seed = 1, .replications = replications, .threads = threads});
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      const std::string table = drsim::sweep_csv(result);
      if (reference.empty()) reference = table;
      if (table != reference) {
        std::fprintf(stderr, "drsim_bench_sweep: the table with %d threads differs from the first one\n", threads);
        return 1;
      }
    }
    std::sort(seconds.begin(), seconds.end());
    const double median = seconds[seconds.size() / 2];
    const std::size_t runs = points.size() * static_cast<std::size_t>(replications);
    std::printf("{\"name\":\"sweep_drill_3x3x3x%d\",\"threads\":%d,\"runs\":%zu,\"seconds\":%.3f,\"runs_per_sec\":%.1f}\n",
                replications, threads, runs, median, static_cast<double>(runs) / median);
    std::fflush(stdout);
  }
  return 0;
}
