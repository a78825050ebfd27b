#include <catch2/catch.hpp>

#include <cmath>

#include "drsim/core/random.hpp"
#include "drsim/core/stats.hpp"

using namespace drsim;

TEST_CASE("A stream gives the same numbers for the same seed and name", "[random]") {
  RandomStream a(7, "gtm"), b(7, "gtm");
  for (int i = 0; i < 100; ++i) REQUIRE(a.next_u64() == b.next_u64());

  SECTION("the generator is xoshiro256**: the reference implementation's output from state {1,2,3,4}") {
    auto g = RandomStream::from_state(1, 2, 3, 4);
    // First output: rotl(2 * 5, 7) * 9 = 1280 * 9 = 11520.
    CHECK(g.next_u64() == 11520ULL);
    CHECK(g.next_u64() == 0ULL);
    CHECK(g.next_u64() == 1509978240ULL);
    CHECK(g.next_u64() == 1215971899390074240ULL);
  }
  SECTION("golden values pin the seeding (SplitMix64 over seed and stream id)") {
    // Update only for an intended change of the seeding: every result moves.
    RandomStream g(1, std::uint64_t{0});
    CHECK(g.next_u64() == 0xb3f2af6d0fc710c5ULL);
    CHECK(g.next_u64() == 0x853b559647364ceaULL);
    CHECK(g.next_u64() == 0x92f89756082a4514ULL);
  }
}

TEST_CASE("Streams with different names or seeds are independent", "[random]") {
  RandomStream a(7, "gtm"), b(7, "dns"), c(8, "gtm");
  int same_ab = 0, same_ac = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.next_u64();
    same_ab += x == b.next_u64();
    same_ac += x == c.next_u64();
  }
  CHECK(same_ab == 0);
  CHECK(same_ac == 0);

  SECTION("their uniform draws are uncorrelated") {
    RandomStream u(11, "a"), v(11, "b");
    RunningStats sx, sy;
    double sxy = 0;
    const int n = 100000;
    for (int i = 0; i < n; ++i) {
      const double x = u.uniform01(), y = v.uniform01();
      sx.add(x);
      sy.add(y);
      sxy += (x - 0.5) * (y - 0.5);
    }
    const double corr = (sxy / n) / (1.0 / 12.0);
    // Standard error of a correlation estimate at n = 1e5 is 1/sqrt(n) ~ 0.0032.
    CHECK(std::fabs(corr) < 0.015);
  }
}

TEST_CASE("Replication seeds differ per index and repeat per (seed, index)", "[random]") {
  CHECK(replication_seed(1, 0) == replication_seed(1, 0));
  CHECK(replication_seed(1, 0) != replication_seed(1, 1));
  CHECK(replication_seed(1, 0) != replication_seed(2, 0));
}

TEST_CASE("below(n) is uniform over 0 .. n-1", "[random]") {
  RandomStream r(5, "below");
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 30000; ++i) ++counts[r.below(3)];
  // Each count ~ Binomial(30000, 1/3): sd ~ 82, so +-400 is ~5 sd.
  for (int c : counts) CHECK(std::abs(c - 10000) < 400);
}

TEST_CASE("Distributions have the moments they promise at a fixed seed", "[random][slow]") {
  RandomStream r(2024, "moments");
  auto moments = [&](const Distribution& d, int n = 200000) {
    RunningStats s;
    for (int i = 0; i < n; ++i) s.add(d.sample(r));
    return s;
  };
  // With n = 2e5 the standard error of a mean is sd / 447: tolerances are ~5 standard errors.
  SECTION("constant") {
    auto s = moments(Distribution::constant(3.5), 10);
    CHECK(s.mean() == 3.5);
    CHECK(s.variance() == 0);
  }
  SECTION("uniform(2, 4): mean 3, variance 4/12") {
    auto s = moments(Distribution::uniform(2, 4));
    CHECK(s.mean() == Approx(3).margin(0.01));
    CHECK(s.variance() == Approx(4.0 / 12).margin(0.005));
    CHECK(s.min() >= 2);
    CHECK(s.max() < 4);
  }
  SECTION("exponential(mean 2): variance 4") {
    auto s = moments(Distribution::exponential(2));
    CHECK(s.mean() == Approx(2).margin(0.025));
    CHECK(s.variance() == Approx(4).margin(0.15));
  }
  SECTION("normal(10, 3)") {
    auto s = moments(Distribution::normal(10, 3));
    CHECK(s.mean() == Approx(10).margin(0.035));
    CHECK(s.stddev() == Approx(3).margin(0.03));
  }
  SECTION("lognormal given the variable's own mean 1 and sd 0.5") {
    auto s = moments(Distribution::lognormal(1, 0.5));
    CHECK(s.mean() == Approx(1).margin(0.006));
    CHECK(s.stddev() == Approx(0.5).margin(0.01));
    CHECK(Distribution::lognormal(1, 0.5).mean() == Approx(1));
  }
  SECTION("empirical interpolates between the observed points") {
    auto d = Distribution::empirical({5, 1, 3});
    auto s = moments(d);
    // Inverse CDF piecewise linear through 1, 3, 5: uniform on [1, 5], mean 3.
    CHECK(s.mean() == Approx(3).margin(0.02));
    CHECK(s.min() >= 1);
    CHECK(s.max() <= 5);
  }
}

TEST_CASE("Bad distribution parameters are rejected", "[random]") {
  CHECK_THROWS_AS(Distribution::uniform(3, 2), DistributionError);
  CHECK_THROWS_AS(Distribution::exponential(0), DistributionError);
  CHECK_THROWS_AS(Distribution::lognormal(-1, 1), DistributionError);
  CHECK_THROWS_AS(Distribution::empirical({}), DistributionError);
}

namespace {
/// Kolmogorov-Smirnov distance between n sorted draws and a CDF.
template <class Cdf>
double ks_distance(std::vector<double> xs, Cdf cdf) {
  std::sort(xs.begin(), xs.end());
  const double n = static_cast<double>(xs.size());
  double d = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double f = cdf(xs[i]);
    d = std::max({d, f - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - f});
  }
  return d;
}
}  // namespace

TEST_CASE("The ziggurat samplers follow their distributions, tails included", "[random]") {
  // 10^6 draws: the KS distance stays under 1.95 / sqrt(n) with probability 0.999.
  constexpr std::size_t n = 1'000'000;
  const double critical = 1.95 / std::sqrt(static_cast<double>(n));
  RandomStream rng(42, "ziggurat");
  SECTION("standard exponential") {
    std::vector<double> xs(n);
    std::size_t tail = 0;
    double excess = 0;
    for (auto& x : xs) {
      x = rng.standard_exponential();
      if (x > detail::kZigExpR) ++tail, excess += x - detail::kZigExpR;
    }
    CHECK(ks_distance(xs, [](double x) { return 1 - std::exp(-x); }) < critical);
    // Beyond r = 7.697 (the ziggurat's tail): P = e^-r, and the excess is again Exp(1).
    const double expected = static_cast<double>(n) * std::exp(-detail::kZigExpR);
    CHECK(std::fabs(static_cast<double>(tail) - expected) < 5 * std::sqrt(expected));
    CHECK(excess / static_cast<double>(tail) == Approx(1).margin(5 / std::sqrt(static_cast<double>(tail))));
  }
  SECTION("standard normal") {
    std::vector<double> xs(n);
    std::size_t tail = 0, negative = 0;
    for (auto& x : xs) {
      x = rng.standard_normal();
      tail += std::fabs(x) > detail::kZigNormalR ? 1 : 0;
      negative += x < 0 ? 1 : 0;
    }
    CHECK(ks_distance(xs, [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }) < critical);
    // |x| beyond r = 3.654 on both sides: P = erfc(r / sqrt 2).
    const double expected = static_cast<double>(n) * std::erfc(detail::kZigNormalR / std::sqrt(2.0));
    CHECK(std::fabs(static_cast<double>(tail) - expected) < 5 * std::sqrt(expected));
    CHECK(std::fabs(static_cast<double>(negative) - 0.5 * n) < 5 * std::sqrt(0.25 * n));
  }
  SECTION("the layers tile the density: each has the same area v") {
    for (int i = 1; i < 255; ++i) {
      const auto& z = detail::kZigNormal;
      CHECK(z.x[i] * (z.f[i + 1] - z.f[i]) == Approx(detail::kZigNormalV).epsilon(1e-6));
    }
  }
}

TEST_CASE("Draws made a block ahead are the draws made one at a time", "[random]") {
  // The request path draws the app's service times ahead (DrawsAhead); the
  // run must not notice: the same values, in the same order, clamped at 0.
  const auto d = GENERATE(drsim::Distribution::lognormal(0.003, 0.001), drsim::Distribution::normal(0.001, 0.002),
                          drsim::Distribution::exponential(0.0011));
  drsim::RandomStream one(42, "gateways/cluster-1/service");
  drsim::DrawsAhead ahead(d, drsim::RandomStream(42, "gateways/cluster-1/service"));
  for (int i = 0; i < 1000; ++i) REQUIRE(ahead.next() == std::max(0.0, d.sample(one)));
}
