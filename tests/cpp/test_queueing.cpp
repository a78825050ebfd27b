// Specification of the M/M/c closed forms, and the check that a simulated
// gateway pod (c workers, Poisson arrivals, exponential CPU cost) agrees
// with them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "drsim/analysis/queueing.hpp"
#include "drsim/core/stats.hpp"
#include "drsim/model/gateway.hpp"

using namespace drsim;
using namespace drsim::literals;

TEST_CASE("With one server Erlang C is the utilisation and the mean wait rho / (1 - rho) service times",
          "[queueing]") {
  // M/M/1: P(wait) = rho; Wq = rho / (mu (1 - rho)) = 0.8 / 0.2 x 1 s = 4 s.
  const auto q = MMcQueue::at_utilisation(1, 0.8, 1_s);
  CHECK(q.offered_load == Approx(0.8));
  CHECK(q.utilisation() == Approx(0.8));
  CHECK(q.probability_of_wait() == Approx(0.8));
  CHECK(q.mean_wait().seconds_f() == Approx(4.0));
  CHECK(q.mean_response_time().seconds_f() == Approx(5.0));
  CHECK(q.mean_queue_length() == Approx(3.2));  // Little: lambda Wq = 0.8/s x 4 s
}

TEST_CASE("Erlang B and C agree with the textbook sums", "[queueing]") {
  // B(c, a) = (a^c / c!) / sum_{k=0..c} a^k / k!
  // C(c, a) = (a^c / c! x c / (c - a)) / (sum_{k=0..c-1} a^k / k! + a^c / c! x c / (c - a))
  SECTION("c = 2, a = 1") {
    // B = 0.5 / (1 + 1 + 0.5) = 0.2; C = (0.5 x 2) / (1 + 1 + 0.5 x 2) = 1/3;
    // Wq = C x E[S] / (c - a) = 1/3 x 3 s / 1 = 1 s.
    CHECK(erlang_b(2, 1.0) == Approx(0.2));
    CHECK(erlang_c(2, 1.0) == Approx(1.0 / 3.0));
    const MMcQueue q{2, 1.0, 3_s};
    CHECK(q.mean_wait() == 1_s);
    CHECK(q.mean_queue_length() == Approx(1.0 / 3.0));
  }
  SECTION("c = 10, a = 8 and c = 16, a = 8 (sums evaluated in double precision)") {
    CHECK(erlang_b(10, 8.0) == Approx(0.12166106425295149).epsilon(1e-12));
    CHECK(erlang_c(10, 8.0) == Approx(0.4091801507964435).epsilon(1e-12));
    CHECK(erlang_c(16, 8.0) == Approx(0.009018809742151971).epsilon(1e-12));
  }
}

TEST_CASE("Erlang B's recursion stays finite where the textbook sums overflow", "[queueing]") {
  // 950^1000 / 1000! overflows a double; the recursion never forms it.
  const double b = erlang_b(1000, 950.0);
  const double c = erlang_c(1000, 950.0);
  CHECK(b > 0.0);
  CHECK(b < 1.0);
  CHECK(c > b);  // waiting is likelier than blocking at the same load
  CHECK(c < 1.0);
}

TEST_CASE("An M/M/c queue at or above its capacity waits for ever", "[queueing]") {
  const MMcQueue q{4, 4.0, 1_s};
  CHECK_FALSE(q.stable());
  CHECK(q.probability_of_wait() == 1.0);
  CHECK(q.mean_wait() == Duration::max());
  CHECK(q.mean_response_time() == Duration::max());
}

namespace {

// The client of the simulated pod does nothing with completions.
struct NullClient {
  void on_done(std::uint32_t, GatewayOutcome, Duration) {}
};

// Poisson arrivals as a chain of simulator events, one submit each.
struct PoissonArrivals {
  Simulator* sim;
  Gateway* gateway;
  RandomStream gaps;
  double mean_gap_s;
  std::uint32_t next_request = 0;

  void schedule_next() {
    sim->after(Duration::from_seconds(gaps.exponential(mean_gap_s)), [this] {
      gateway->submit(next_request++);
      schedule_next();
    });
  }
};

struct MMcCase {
  int servers;
  double utilisation;
  double customers;  // length of the measured run, in arrivals
};

struct MMcEstimate {
  ConfidenceInterval mean_wait_s;
  ConfidenceInterval utilisation;
};

// One gateway pod with `servers` workers, unbounded pending queue, CPU cost
// Exp(1 s), fed Poisson arrivals at utilisation x servers per second. Starts
// empty; the first 2 % of the run is discarded, the rest cut into 100 batches
// of equal time. A batch's mean wait is its summed queue time over the
// requests that started in it; its utilisation is CPU time / (c x batch length).
MMcEstimate simulate(const MMcCase& mmc, std::uint64_t seed) {
  constexpr int kBatches = 100;
  Simulator sim(seed);
  NullClient client;
  GatewayConfig config;
  config.workers = static_cast<std::uint32_t>(mmc.servers);
  config.service_time = Distribution::exponential(1.0);
  config.max_pending = UINT32_MAX;
  config.startup_time = Duration::zero();
  Gateway gateway(sim, config, GatewayCompletion::to(client));
  const auto pod = gateway.add_pod(Duration::zero());

  PoissonArrivals source{&sim, &gateway, sim.stream("arrivals"), 1.0 / (mmc.utilisation * mmc.servers)};
  source.schedule_next();

  const double run_s = mmc.customers / (mmc.utilisation * mmc.servers);
  sim.run_until(TimePoint::start() + Duration::from_seconds(0.02 * run_s));
  const Duration batch = Duration::from_seconds(run_s / kBatches);
  RunningStats waits, utilisations;
  for (int b = 0; b < kBatches; ++b) {
    const GatewayPodStats before = gateway.stats(pod);
    const Duration cpu_before = gateway.cpu_time(pod);
    sim.run_until(sim.now() + batch);
    const GatewayPodStats& after = gateway.stats(pod);
    waits.add((after.queue_time - before.queue_time).seconds_f() / static_cast<double>(after.started - before.started));
    utilisations.add((gateway.cpu_time(pod) - cpu_before).seconds_f() / (mmc.servers * batch.seconds_f()));
  }
  return {t_interval(waits, 0.99), t_interval(utilisations, 0.99)};
}

}  // namespace

TEST_CASE("A simulated gateway pod matches Erlang C: mean wait and utilisation inside 99 % batch-means intervals "
          "no wider than +-2 %",
          "[queueing][slow]") {
  // Run lengths. The wait interval's half-width as a share of Wq, times
  // sqrt(N / 1 M), averaged over pilot runs with several seeds:
  //   c = 1:  1.41 (rho 0.5), 2.92 (0.8), 10.8 (0.95)
  //   c = 4:  2.85,           3.9,        11.5
  //   c = 16: 13.8,           6.4,        13.0
  // (for c = 1 these match the M/M/1 asymptotic variance of the average
  // wait, rho (2 + 5 rho - 4 rho^2 + rho^3) / (mu^2 (1 - rho)^4)). So
  // N = (that / 1.6)^2 million arrivals aims at +-1.6 %, leaving room below
  // 2 % for the sampling noise of the half-width itself (about 7-10 %).
  // Heavy load needs long runs because waits stay correlated for about
  // 1 / (1 - sqrt(rho))^2 services; light load on 16 servers because only
  // 0.9 % of arrivals wait at all. The utilisation intervals are far narrower.
  // About 270 M arrivals in all; listed longest first so the threads below
  // finish together.
  const std::vector<MMcCase> cases = {
      {16, 0.50, 75e6}, {16, 0.95, 66e6}, {4, 0.95, 52e6},  {1, 0.95, 46e6},  {16, 0.80, 16e6},
      {4, 0.80, 6e6},   {4, 0.50, 3.5e6}, {1, 0.80, 3.5e6}, {1, 0.50, 1e6},
  };
  // Independent runs: spread them over the cores, check on this thread.
  std::vector<MMcEstimate> estimates(cases.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < cases.size(); i = next++) estimates[i] = simulate(cases[i], 20240501);
  };
  const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1U, 4U);
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  for (std::size_t i = 0; i < cases.size(); ++i) {
    const MMcCase& mmc = cases[i];
    const MMcQueue theory = MMcQueue::at_utilisation(mmc.servers, mmc.utilisation, 1_s);
    const double wait_s = theory.mean_wait().seconds_f();
    const MMcEstimate& sim = estimates[i];
    INFO("c = " << mmc.servers << ", rho = " << mmc.utilisation << ": Wq theory " << wait_s << " s, simulated "
                << sim.mean_wait_s.mean << " s +- " << sim.mean_wait_s.half_width() << "; utilisation simulated "
                << sim.utilisation.mean << " +- " << sim.utilisation.half_width());
    CHECK(sim.mean_wait_s.lo <= wait_s);
    CHECK(wait_s <= sim.mean_wait_s.hi);
    CHECK(sim.mean_wait_s.half_width() <= 0.02 * wait_s);
    CHECK(sim.utilisation.lo <= theory.utilisation());
    CHECK(theory.utilisation() <= sim.utilisation.hi);
    CHECK(sim.utilisation.half_width() <= 0.02 * theory.utilisation());
  }
}
