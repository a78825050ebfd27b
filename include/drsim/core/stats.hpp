// Statistics: running moments, a log-linear latency histogram, fixed-width
// time-binned series and Student-t confidence intervals.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "drsim/core/time.hpp"

namespace drsim {

/// Welford's running mean and variance: one pass, numerically stable, mergeable.
class RunningStats {
 public:
  void add(double x) {
    ++n_;
    const double d = x - mean_;
    mean_ += d / static_cast<double>(n_);
    m2_ += d * (x - mean_);
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }
  void merge(const RunningStats& o) {
    if (o.n_ == 0) return;
    if (n_ == 0) {
      *this = o;
      return;
    }
    const double n = static_cast<double>(n_ + o.n_);
    const double d = o.mean_ - mean_;
    mean_ += d * static_cast<double>(o.n_) / n;
    m2_ += o.m2_ + d * d * static_cast<double>(n_) * static_cast<double>(o.n_) / n;
    n_ += o.n_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }
  [[nodiscard]] std::uint64_t count() const { return n_; }
  [[nodiscard]] double mean() const { return mean_; }
  /// Sample variance (n - 1 denominator); 0 with fewer than two values.
  [[nodiscard]] double variance() const { return n_ > 1 ? m2_ / static_cast<double>(n_ - 1) : 0.0; }
  [[nodiscard]] double stddev() const { return std::sqrt(variance()); }
  [[nodiscard]] double min() const { return min_; }
  [[nodiscard]] double max() const { return max_; }

 private:
  std::uint64_t n_ = 0;
  double mean_ = 0, m2_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

namespace detail {
/// Continued fraction for the incomplete beta (modified Lentz).
inline double beta_continued_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300;
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 500; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < 1e-15) break;
  }
  return h;
}
/// Regularized incomplete beta I_x(a, b).
inline double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front =
      std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(a, b, x) / a;
  return 1 - front * beta_continued_fraction(b, a, 1 - x) / b;
}
}  // namespace detail

/// CDF of Student's t with `dof` degrees of freedom.
inline double student_t_cdf(double t, double dof) {
  const double x = dof / (dof + t * t);
  const double tail = 0.5 * detail::incomplete_beta(dof / 2, 0.5, x);
  return t >= 0 ? 1 - tail : tail;
}

/// Quantile of Student's t (p in (0,1)), by bisection on the CDF.
inline double student_t_quantile(double p, double dof) {
  if (!(p > 0 && p < 1) || !(dof > 0)) throw std::invalid_argument("student_t_quantile: p in (0,1), dof > 0");
  double lo = -1e3, hi = 1e3;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (student_t_cdf(mid, dof) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

struct ConfidenceInterval {
  double mean = 0;
  double lo = 0;
  double hi = 0;
  std::uint64_t n = 0;
  [[nodiscard]] double half_width() const { return 0.5 * (hi - lo); }
};

/// Two-sided Student-t interval for the mean at `level` (e.g. 0.95). With one
/// value the interval collapses to the value.
inline ConfidenceInterval t_interval(const RunningStats& s, double level = 0.95) {
  ConfidenceInterval ci{s.mean(), s.mean(), s.mean(), s.count()};
  if (s.count() < 2) return ci;
  const double t = student_t_quantile(0.5 + level / 2, static_cast<double>(s.count() - 1));
  const double h = t * s.stddev() / std::sqrt(static_cast<double>(s.count()));
  ci.lo = s.mean() - h;
  ci.hi = s.mean() + h;
  return ci;
}

/// HDR-style log-linear histogram of non-negative durations (ns). Values are
/// grouped by power of two, each power split into 2^SubBits linear buckets,
/// so a reported quantile is within 2^-SubBits of the true value (< 1 % for
/// LatencyHistogram). Fixed size, no allocation on record, mergeable by
/// adding counts. `Count` holds one bucket's count (32 bits for the
/// per-second cells, which a second of requests cannot fill).
template <int SubBits, class Count = std::uint64_t>
class BasicLatencyHistogram {
 public:
  static constexpr int kSubBits = SubBits;
  static constexpr std::size_t kSub = std::size_t{1} << kSubBits;
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) * kSub;

  void record(Duration d) { record_ns(d.ns() < 0 ? 0 : static_cast<std::uint64_t>(d.ns())); }
  void record_ns(std::uint64_t v) {
    ++counts_[index_of(v)];
    ++total_;
    sum_ += static_cast<double>(v);
    max_ = std::max(max_, v);
    min_ = std::min(min_, v);
  }
  void merge(const BasicLatencyHistogram& o) {
    for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    sum_ += o.sum_;
    max_ = std::max(max_, o.max_);
    min_ = std::min(min_, o.min_);
  }
  [[nodiscard]] std::uint64_t count() const { return total_; }
  [[nodiscard]] double mean_ns() const { return total_ ? sum_ / static_cast<double>(total_) : 0.0; }
  [[nodiscard]] std::uint64_t max_ns() const { return total_ ? max_ : 0; }
  [[nodiscard]] std::uint64_t min_ns() const { return total_ ? min_ : 0; }

  /// Value at quantile q in [0, 1]: the midpoint of the bucket holding the
  /// ceil(q * n)-th smallest value, clamped to the observed min and max.
  [[nodiscard]] std::uint64_t quantile_ns(double q) const {
    if (total_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
    rank = std::clamp<std::uint64_t>(rank, 1, total_);
    if (rank == total_) return max_;
    if (rank == 1) return min_;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        const std::uint64_t lo = lower_bound_of(i);
        const std::uint64_t width = width_of(i);
        return std::clamp<std::uint64_t>(lo + width / 2, min_, max_);
      }
    }
    return max_;
  }

  /// Visits the non-empty buckets as (lower ns, upper ns exclusive, count).
  template <class F>
  void for_each_bucket(F&& f) const {
    for (std::size_t i = 0; i < kBuckets; ++i)
      if (counts_[i]) f(lower_bound_of(i), lower_bound_of(i) + width_of(i), counts_[i]);
  }

 private:
  static std::size_t index_of(std::uint64_t v) {
    if (v < kSub) return static_cast<std::size_t>(v);
    const int msb = 63 - std::countl_zero(v);
    const int shift = msb - kSubBits;
    return static_cast<std::size_t>(shift + 1) * kSub + static_cast<std::size_t>((v >> shift) - kSub);
  }
  static std::uint64_t lower_bound_of(std::size_t i) {
    if (i < kSub) return i;
    const std::size_t shift = i / kSub - 1;
    return (kSub + i % kSub) << shift;
  }
  static std::uint64_t width_of(std::size_t i) { return i < kSub ? 1 : std::uint64_t{1} << (i / kSub - 1); }

  std::array<Count, kBuckets> counts_{};
  std::uint64_t total_ = 0;
  double sum_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
};

/// Quantiles within 1/128 (< 1 %): the run's latency distribution.
using LatencyHistogram = BasicLatencyHistogram<7>;
/// Quantiles within 1/8 (12.5 %) in 2 KB: per-second latency over time.
using CoarseLatencyHistogram = BasicLatencyHistogram<3, std::uint32_t>;

/// Counts in fixed-width time bins from t = 0 ("per second" series). Bins
/// beyond the preallocated horizon are dropped into the last bin, so adding
/// never allocates.
class TimeSeries {
 public:
  TimeSeries() = default;
  TimeSeries(Duration bin_width, Duration horizon)
      : width_(bin_width.ns()), bins_(static_cast<std::size_t>(horizon.ns() / bin_width.ns()) + 1, 0.0) {
    if (bin_width <= Duration::zero()) throw std::invalid_argument("TimeSeries: bin width must be > 0");
  }
  void add(TimePoint t, double v = 1.0) {
    if (bins_.empty()) return;
    const auto i = static_cast<std::size_t>(std::max<std::int64_t>(0, t.ns() / width_));
    bins_[std::min(i, bins_.size() - 1)] += v;
  }
  void set_max(TimePoint t, double v) {
    if (bins_.empty()) return;
    const auto i = std::min(static_cast<std::size_t>(std::max<std::int64_t>(0, t.ns() / width_)), bins_.size() - 1);
    bins_[i] = std::max(bins_[i], v);
  }
  [[nodiscard]] std::size_t size() const { return bins_.size(); }
  [[nodiscard]] double operator[](std::size_t i) const { return bins_[i]; }
  [[nodiscard]] Duration bin_width() const { return Duration::nanoseconds(width_); }
  [[nodiscard]] const std::vector<double>& values() const { return bins_; }

 private:
  std::int64_t width_ = 1'000'000'000;
  std::vector<double> bins_;
};

}  // namespace drsim
