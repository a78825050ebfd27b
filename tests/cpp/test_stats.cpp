#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "drsim/core/random.hpp"
#include "drsim/core/stats.hpp"

using namespace drsim;
using namespace drsim::literals;

TEST_CASE("RunningStats matches the two-pass formulas and merges", "[stats]") {
  const std::vector<double> xs{2, 4, 4, 4, 5, 5, 7, 9};
  RunningStats all, left, right;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    all.add(xs[i]);
    (i < 3 ? left : right).add(xs[i]);
  }
  // mean 5, sum of squared deviations 32, sample variance 32/7.
  CHECK(all.mean() == Approx(5));
  CHECK(all.variance() == Approx(32.0 / 7));
  left.merge(right);
  CHECK(left.mean() == Approx(all.mean()));
  CHECK(left.variance() == Approx(all.variance()));
  CHECK(left.min() == 2);
  CHECK(left.max() == 9);
}

TEST_CASE("Student-t quantiles match the published table", "[stats]") {
  // Two-sided 95 %: t(0.975; 1) = 12.706, (4) = 2.776, (9) = 2.262, (29) = 2.045, (inf) -> 1.960.
  CHECK(student_t_quantile(0.975, 1) == Approx(12.706).epsilon(1e-3));
  CHECK(student_t_quantile(0.975, 4) == Approx(2.776).epsilon(1e-3));
  CHECK(student_t_quantile(0.975, 9) == Approx(2.262).epsilon(1e-3));
  CHECK(student_t_quantile(0.975, 29) == Approx(2.045).epsilon(1e-3));
  CHECK(student_t_quantile(0.975, 1e6) == Approx(1.960).epsilon(1e-3));
  CHECK(student_t_quantile(0.5, 5) == Approx(0).margin(1e-6));
}

TEST_CASE("95 % t intervals cover the true mean about 95 % of the time", "[stats][slow]") {
  // 4000 intervals of 10 exponential draws each; the coverage estimate has
  // a standard error of sqrt(0.95 * 0.05 / 4000) = 0.0034. Skewed data at
  // n = 10 under-covers (about 90 % in the literature on t intervals for
  // exponential samples), so the band is 0.88..0.93.
  RandomStream r(99, "coverage");
  int covered = 0;
  const int trials = 4000;
  for (int t = 0; t < trials; ++t) {
    RunningStats s;
    for (int i = 0; i < 10; ++i) s.add(r.exponential(1.0));
    auto ci = t_interval(s);
    covered += ci.lo <= 1.0 && 1.0 <= ci.hi;
  }
  const double coverage = static_cast<double>(covered) / trials;
  CHECK(coverage > 0.88);
  CHECK(coverage < 0.93);

  SECTION("and normal data covers 95 % within sampling error") {
    RandomStream n(100, "coverage-normal");
    int c = 0;
    for (int t = 0; t < trials; ++t) {
      RunningStats s;
      for (int i = 0; i < 5; ++i) s.add(n.standard_normal());
      auto ci = t_interval(s);
      c += ci.lo <= 0.0 && 0.0 <= ci.hi;
    }
    CHECK(static_cast<double>(c) / trials == Approx(0.95).margin(0.015));
  }
}

TEST_CASE("Histogram quantiles are within 1 % of the exact order statistic", "[stats]") {
  RandomStream r(5, "hist");
  LatencyHistogram h;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 100000; ++i) {
    // Lognormal latencies spanning microseconds to seconds.
    const auto v = static_cast<std::uint64_t>(std::exp(13.0 + 3.0 * r.standard_normal()));
    values.push_back(v);
    h.record_ns(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999}) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size()))) - 1;
    const double exact = static_cast<double>(values[rank]);
    INFO("q = " << q);
    CHECK(std::fabs(static_cast<double>(h.quantile_ns(q)) - exact) <= 0.01 * exact + 1);
  }
  CHECK(h.count() == 100000);
  CHECK(h.quantile_ns(1.0) == values.back());
  CHECK(h.quantile_ns(0.0) == values.front());

  SECTION("merging two histograms equals recording everything in one") {
    LatencyHistogram a, b, both;
    for (std::uint64_t i = 0; i < 5000; ++i) {
      a.record_ns(i * 37);
      b.record_ns(i * 101 + 5);
      both.record_ns(i * 37);
      both.record_ns(i * 101 + 5);
    }
    a.merge(b);
    for (double q : {0.25, 0.5, 0.75, 0.99}) CHECK(a.quantile_ns(q) == both.quantile_ns(q));
    CHECK(a.mean_ns() == Approx(both.mean_ns()));
  }
}

TEST_CASE("TimeSeries counts into fixed-width bins", "[stats]") {
  TimeSeries s(1_s, 10_s);
  s.add(TimePoint::start() + 500_ms);
  s.add(TimePoint::start() + 999_ms);
  s.add(TimePoint::start() + 1_s, 3);
  s.add(TimePoint::start() + 1_h);  // beyond the horizon: last bin
  CHECK(s[0] == 2);
  CHECK(s[1] == 3);
  CHECK(s[s.size() - 1] == 1);
}
