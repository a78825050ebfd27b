// The availability chain: regions up and down with failure and repair rates,
// its stationary distribution, and failed requests per year.
#include <catch2/catch.hpp>

#include <cmath>

#include "drsim/analysis/availability.hpp"

using namespace drsim;

namespace {

// 4 failures a year, 2 h to repair: mu = 31,557,600 s / 7,200 s = 4,383 repairs a year.
constexpr double kLambda = 4.0;
constexpr double kMu = kSecondsPerYear / 7200.0;
const Duration kMttr = Duration::seconds(7200);

// One failover of the seed drill at 100 qps by the closed form: half the
// calls for a 67.5 s window, 0.5 x 67.5 x 100 = 3,375 failed requests.
constexpr double kLoss = 3375.0;

AvailabilityInputs two_regions(int crews = 0) {
  AvailabilityInputs in;
  in.regions = {{"region-1", kLambda, kMttr, kLoss}, {"region-2", kLambda, kMttr, kLoss}};
  in.requests_per_second = 100;
  in.repair_crews = crews;
  return in;
}

}  // namespace

TEST_CASE("The generator's rows sum to zero and the distribution solves pi Q = 0", "[availability]") {
  const AvailabilityInputs in = two_regions();
  const RateMatrix q = availability_generator(in);
  REQUIRE(q.n == 4);  // 2^2 states
  for (std::size_t s = 0; s < 4; ++s) CHECK(std::fabs(q.row_sum(s)) < 1e-9);
  CHECK(q(0, 1) == kLambda);             // region-1 fails from all-up
  CHECK(q(1, 0) == Approx(kMu));         // and is repaired
  CHECK(q(0, 3) == 0.0);                 // never two at once
  const std::vector<double> pi = stationary_distribution(q);
  double total = 0;
  for (double p : pi) total += p;
  CHECK(total == Approx(1.0));
  for (std::size_t t = 0; t < 4; ++t) {  // (pi Q)(t) = sum_s pi(s) Q(s, t) = 0
    double flow = 0;
    for (std::size_t s = 0; s < 4; ++s) flow += pi[s] * q(s, t);
    CHECK(std::fabs(flow) < 1e-9);
  }
}

TEST_CASE("Independent repairs: the chain matches the product of per-region availabilities", "[availability]") {
  // Each region is up with probability mu / (lambda + mu) = 4383 / 4387,
  // independently, so all down has probability (4 / 4387)^2 = 8.3136e-7.
  const AvailabilityResult a = solve_availability(two_regions());
  const double up = kMu / (kLambda + kMu), down = 1 - up;
  CHECK(a.region_up[0] == Approx(up).epsilon(1e-12));
  CHECK(a.state_probability[0] == Approx(up * up).epsilon(1e-12));
  CHECK(a.state_probability[1] == Approx(down * up).epsilon(1e-9));
  CHECK(a.all_down == Approx(down * down).epsilon(1e-9));
  CHECK(a.all_down == Approx(8.3136e-7).epsilon(1e-4));
  CHECK(a.availability == Approx(1 - down * down).epsilon(1e-12));
  // A failover happens when one region fails while the other is up:
  // 2 x lambda x P(both up) = 8 x (4383/4387)^2 = 7.9854 a year.
  CHECK(a.failovers_per_year == Approx(2 * kLambda * up * up).epsilon(1e-9));
  CHECK(a.failovers_per_year == Approx(7.9854).epsilon(1e-4));
  // Failed requests: 7.9854 x 3,375 = 26,951 in failovers, plus every request
  // while both are down: 8.3136e-7 x 100 x 31,557,600 = 2,624.
  CHECK(a.failover_failed_requests_per_year == Approx(7.9854 * 3375).epsilon(1e-4));
  CHECK(a.outage_failed_requests_per_year == Approx(8.3136e-7 * 100 * kSecondsPerYear).epsilon(1e-4));
  CHECK(a.failed_requests_per_year == Approx(a.failover_failed_requests_per_year + a.outage_failed_requests_per_year));
  CHECK(a.failed_fraction == Approx(a.failed_requests_per_year / (100 * kSecondsPerYear)));
}

TEST_CASE("One repair crew couples the regions: a birth-death chain", "[availability]") {
  // Counting down regions: 0 -> 1 at 2 lambda, 1 -> 2 at lambda, and one crew
  // repairs at mu whether one or two are down (two share it: mu/2 each).
  // pi1 = pi0 x 2 lambda / mu, pi2 = pi1 x lambda / mu.
  const AvailabilityResult a = solve_availability(two_regions(/*crews=*/1));
  const double r1 = 2 * kLambda / kMu, r2 = r1 * kLambda / kMu;
  const double pi0 = 1 / (1 + r1 + r2);
  CHECK(a.state_probability[0] == Approx(pi0).epsilon(1e-12));
  CHECK(a.state_probability[1] + a.state_probability[2] == Approx(pi0 * r1).epsilon(1e-9));
  CHECK(a.all_down == Approx(pi0 * r2).epsilon(1e-9));
  // Twice the independent case: with one crew the second repair waits.
  const double independent = solve_availability(two_regions()).all_down;
  CHECK(a.all_down / independent == Approx(2.0).epsilon(1e-3));
}

TEST_CASE("Three unlike regions: marginals match each region's own availability", "[availability]") {
  AvailabilityInputs in;
  in.regions = {{"a", 2, Duration::seconds(3600), 100},
                {"b", 6, Duration::seconds(4 * 3600), 200},
                {"c", 12, Duration::seconds(30 * 60), 300}};
  in.requests_per_second = 50;
  const AvailabilityResult a = solve_availability(in);
  REQUIRE(a.state_probability.size() == 8);
  double down_all = 1;
  for (std::size_t i = 0; i < 3; ++i) {
    const double mu = kSecondsPerYear / in.regions[i].mean_time_to_repair.seconds_f();
    const double up = mu / (mu + in.regions[i].failures_per_year);
    CHECK(a.region_up[i] == Approx(up).epsilon(1e-10));
    down_all *= 1 - up;
  }
  CHECK(a.all_down == Approx(down_all).epsilon(1e-6));
  // Failures of a region while at least one other is up are failovers; the
  // third failure (everything down) is an outage instead.
  double failovers = 0;
  for (std::size_t s = 0; s < 8; ++s) {
    const int up = 3 - __builtin_popcount(static_cast<unsigned>(s));
    for (std::size_t i = 0; i < 3; ++i)
      if (!(s & (1u << i)) && up >= 2) failovers += a.state_probability[s] * in.regions[i].failures_per_year;
  }
  CHECK(a.failovers_per_year == Approx(failovers));
  CHECK(a.failovers_per_year < 2 + 6 + 12);
}

TEST_CASE("One region: no failover, only outages", "[availability]") {
  AvailabilityInputs in;
  in.regions = {{"only", kLambda, kMttr, kLoss}};
  in.requests_per_second = 10;
  const AvailabilityResult a = solve_availability(in);
  CHECK(a.failovers_per_year == 0.0);
  CHECK(a.all_down == Approx(kLambda / (kLambda + kMu)).epsilon(1e-12));
  // Expected down time 4 x 2 h a year, less the failures that cannot happen while down:
  // 31,557,600 x 4 / 4387 = 28,774 s, at 10 requests a second.
  CHECK(a.outage_failed_requests_per_year == Approx(10 * kSecondsPerYear * kLambda / (kLambda + kMu)).epsilon(1e-9));
}

TEST_CASE("Availability inputs are checked", "[availability]") {
  CHECK_THROWS_AS(solve_availability(AvailabilityInputs{}), std::invalid_argument);
  AvailabilityInputs in = two_regions();
  in.regions[0].mean_time_to_repair = Duration::zero();
  CHECK_THROWS_AS(solve_availability(in), std::invalid_argument);
  in = two_regions();
  in.regions[1].failures_per_year = -1;
  CHECK_THROWS_AS(solve_availability(in), std::invalid_argument);
  SECTION("nothing ever fails: always up") {
    in = two_regions();
    in.regions[0].failures_per_year = in.regions[1].failures_per_year = 0;
    const AvailabilityResult a = solve_availability(in);
    CHECK(a.state_probability[0] == 1.0);
    CHECK(a.failed_requests_per_year == 0.0);
  }
}
