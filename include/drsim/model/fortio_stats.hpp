// fortio's statistics, kept the way fortio keeps them so that drsim can print
// fortio's text and JSON exactly: a counter (count, min, max, sum, sum of
// squares; population standard deviation), a histogram on fortio's fixed
// bucket boundaries, its export (cumulative percent per non-empty bucket,
// first start = min, last end = max) and fortio's interpolated percentiles.
// Semantics from fortio's stats/stats.go (see docs/file-format.md, "fortio
// formats"); values are in seconds as fortio records them.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "drsim/core/time.hpp"

namespace drsim {

/// fortio's Counter: what "count ... avg ... +/- ... min ... max ... sum" prints.
class FortioCounter {
 public:
  std::int64_t count = 0;
  double sum = 0, sum_of_squares = 0;

  void record(double v) {
    // fortio takes min and max from the first value and moves them after;
    // from +-infinity they are the same values with no branch on the count
    // (5 values a request on the request path).
    ++count;
    lo_ = std::min(lo_, v);
    hi_ = std::max(hi_, v);
    sum += v;
    sum_of_squares += v * v;
  }
  void merge(const FortioCounter& o) {
    if (o.count == 0) return;
    if (count == 0) {
      *this = o;
      return;
    }
    count += o.count;
    lo_ = std::min(lo_, o.lo_);
    hi_ = std::max(hi_, o.hi_);
    sum += o.sum;
    sum_of_squares += o.sum_of_squares;
  }
  /// The least and greatest value recorded; 0 before any, as fortio prints them.
  [[nodiscard]] double min() const { return count ? lo_ : 0.0; }
  [[nodiscard]] double max() const { return count ? hi_ : 0.0; }
  [[nodiscard]] double avg() const { return count ? sum / static_cast<double>(count) : 0.0; }
  /// Population standard deviation, fortio's formula; rounding can make the
  /// variance of equal values a hair below zero, where fortio would print NaN: 0 here.
  [[nodiscard]] double stddev() const {
    if (count == 0) return 0.0;
    const double n = static_cast<double>(count);
    return std::sqrt(std::max(0.0, (sum_of_squares - sum * sum / n) / n));
  }

 private:
  double lo_ = std::numeric_limits<double>::infinity();
  double hi_ = -std::numeric_limits<double>::infinity();
};

/// fortio's bucket upper bounds, in units of the resolution (1 ms by default).
inline constexpr std::array<int, 62> kFortioBucketBounds = {
    0,    1,    2,    3,    4,    5,    6,    7,     8,     9,     10,    11,    12,    14,    16,    18,
    20,   25,   30,   35,   40,   45,   50,   60,    70,    80,    90,    100,   120,   140,   160,   180,
    200,  250,  300,  350,  400,  450,  500,  600,   700,   800,   900,   1000,  2000,  3000,  4000,  5000,
    7500, 10000, 20000, 30000, 40000, 50000, 75000, 100000, 0, 0, 0, 0, 0, 0};
inline constexpr std::size_t kFortioBoundCount = 56;              // the values above (the rest is padding)
inline constexpr std::size_t kFortioBuckets = kFortioBoundCount + 1;  // plus one for values past the last bound

namespace detail {
/// The bucket of each whole number of units below 1000 (the first bound
/// above it), so that recording is a lookup on the request path, as in fortio.
inline constexpr std::array<std::uint8_t, 1000> kFortioBucketOfWhole = [] {
  std::array<std::uint8_t, 1000> t{};
  std::size_t b = 0;
  for (int i = 0; i < 1000; ++i) {
    while (kFortioBucketBounds[b] <= i) ++b;
    t[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(b);
  }
  return t;
}();
inline constexpr std::size_t kFortioBucketOf1000 = 43;  // kFortioBucketBounds[43] == 1000
static_assert(kFortioBucketBounds[kFortioBucketOf1000] == 1000);
}  // namespace detail

/// One exported bucket: (start, end], cumulative percent, count.
struct FortioBucket {
  double start = 0, end = 0, percent = 0;
  std::int64_t count = 0;
};

/// fortio's HistogramData: what its JSON holds and its text prints.
struct FortioHistogramData {
  std::int64_t count = 0;
  double min = 0, max = 0, sum = 0, avg = 0, stddev = 0;
  std::vector<FortioBucket> data;
  std::vector<std::pair<double, double>> percentiles;  // (percentile, value)

  /// fortio's CalcPercentile: min up to 100/count %, max from 100 %, else
  /// linear inside the bucket that holds it.
  [[nodiscard]] double percentile(double p) const {
    if (data.empty()) return 0;
    if (p >= 100) return max;
    double prev = 100.0 / static_cast<double>(count);
    if (p <= prev) return min;
    for (const auto& b : data) {
      if (p <= b.percent) return b.start + (p - prev) / (b.percent - prev) * (b.end - b.start);
      prev = b.percent;
    }
    return max;
  }
};

/// Go's time.Duration.Seconds(): whole seconds plus the rest, as fortio
/// turns a measured duration into the value it records.
inline double go_seconds(Duration d) {
  const std::int64_t ns = d.ns();
  if (ns >= 0 && ns < 1'000'000'000) return static_cast<double>(ns) / 1e9;  // 0.0 + x: the same double
  return static_cast<double>(ns / 1'000'000'000) + static_cast<double>(ns % 1'000'000'000) / 1e9;
}

/// fortio's Histogram: a counter plus counts per bucket of (v - offset) / divider.
class FortioHistogram {
 public:
  explicit FortioHistogram(double offset = 0.0, double divider = 0.001)
      : offset_(offset), divider_(divider), default_scale_(offset == 0.0 && divider == 0.001) {}

  void record(double v) {
    counter_.record(v);
    ++counts_[bucket_of(v)];
  }
  /// record(go_seconds(d)), with the bucket found without a second division
  /// where the scale is fortio's default (offset 0, divider 1 ms) and d is
  /// under a second (bucket_of_ns says why that is the same bucket).
  void record(Duration d) { record(d, go_seconds(d)); }
  /// record(d) with go_seconds(d) already known (`v`).
  void record(Duration d, double v) {
    counter_.record(v);
    const std::int64_t ns = d.ns();
    ++counts_[default_scale_ && ns < 1'000'000'000 ? bucket_of_ns(ns) : bucket_of(v)];
  }
  /// bucket_of(go_seconds(ns)) at the default scale for 0 <= ns < 10^9 in
  /// integers: the value in ms is ns / 10^6, whose fraction is 0 or at least
  /// 10^-6; fortio's floating quotient is within 4 x 10^-13 of it below 1000
  /// (a few units in the last place), so its "whole part, one less on a
  /// bound (within 10^-12)" is (ns - 1) / 10^6 (the specs check every bound).
  [[nodiscard]] static std::size_t bucket_of_ns(std::int64_t ns) {
    if (ns <= 0) return 0;
    return detail::kFortioBucketOfWhole[static_cast<std::size_t>((ns - 1) / 1'000'000)];
  }
  void merge(const FortioHistogram& o) {
    counter_.merge(o.counter_);
    for (std::size_t i = 0; i < kFortioBuckets; ++i) counts_[i] += o.counts_[i];
  }
  [[nodiscard]] const FortioCounter& counter() const { return counter_; }
  [[nodiscard]] std::int64_t bucket_count(std::size_t i) const { return counts_[i]; }

  /// Intervals are open on the left: a value exactly on a bound (within
  /// 1e-12 of a unit) belongs to the bucket below.
  [[nodiscard]] std::size_t bucket_of(double v) const {
    const double scaled = (v - offset_) / divider_;
    if (scaled <= kFortioBucketBounds[0]) return 0;
    if (scaled > kFortioBucketBounds[kFortioBoundCount - 1]) return kFortioBuckets - 1;
    auto whole = static_cast<std::int64_t>(scaled);
    if (scaled - static_cast<double>(whole) < 1e-12) --whole;
    // The first bound greater than the whole part.
    if (whole < 1000) return whole < 0 ? 0 : detail::kFortioBucketOfWhole[static_cast<std::size_t>(whole)];
    std::size_t b = detail::kFortioBucketOf1000;
    while (kFortioBucketBounds[b] <= whole) ++b;
    return b;
  }

  /// fortio's Export, then CalcPercentiles for `percentiles`.
  [[nodiscard]] FortioHistogramData export_data(const std::vector<double>& percentiles) const {
    FortioHistogramData d;
    d.count = counter_.count;
    d.min = counter_.min();
    d.max = counter_.max();
    d.sum = counter_.sum;
    d.avg = counter_.avg();
    d.stddev = counter_.stddev();
    std::int64_t total = 0;
    int prev = kFortioBucketBounds[0];
    for (std::size_t i = 0; i < kFortioBuckets; ++i) {
      if (counts_[i] == 0) {
        if (i < kFortioBoundCount) prev = kFortioBucketBounds[i];
        continue;
      }
      total += counts_[i];
      FortioBucket b;
      b.start = d.data.empty() ? counter_.min() : divider_ * prev + offset_;
      b.percent = 100.0 * static_cast<double>(total) / static_cast<double>(counter_.count);
      if (i < kFortioBoundCount) {
        b.end = divider_ * kFortioBucketBounds[i] + offset_;
        prev = kFortioBucketBounds[i];
      } else {
        b.start = divider_ * prev + offset_;
        b.end = counter_.max();
      }
      b.count = counts_[i];
      d.data.push_back(b);
    }
    if (!d.data.empty()) d.data.back().end = counter_.max();
    if (d.count > 0)
      for (double p : percentiles) d.percentiles.emplace_back(p, d.percentile(p));
    return d;
  }

 private:
  double offset_, divider_;
  bool default_scale_;
  FortioCounter counter_;
  std::array<std::int64_t, kFortioBuckets> counts_{};
};


/// What a run's calls look like to fortio, call by call: the function-time
/// and error histograms, the sleeps between a connection's calls, and each
/// connection's sockets (connects), connect times and addresses.
/// A client whose calls count in the histograms but that has no per-client
/// record (fortio's sockets and sleeps): the clients of aggregated populations.
inline constexpr std::uint32_t kUntrackedClient = UINT32_MAX;

class FortioCalls {
 public:
  struct PerClient {
    std::vector<std::int64_t> sockets_by_address;
    FortioCounter connect_time;
    TimePoint last_end;
    bool ended_once = false;
  };

  void call(std::uint32_t client, TimePoint started, TimePoint ended, bool failed) {
    const Duration took = ended - started;
    const double took_s = go_seconds(took);
    durations_.record(took, took_s);
    if (failed) errors_.record(took, took_s);
    if (client == kUntrackedClient) return;
    PerClient& c = of(client);
    // fortio sleeps from the end of a call to the next one's target time;
    // a call that starts late (catching up) is recorded as a zero sleep.
    if (c.ended_once) sleeps_.record(go_seconds(std::max(Duration::zero(), started - c.last_end)));
    // (A counter, not a histogram: fortio prints the sleeps' histogram only when
    // more than 5 % fell behind, and a late call here is a zero sleep.)
    c.last_end = ended;
    c.ended_once = true;
  }
  void connect(std::uint32_t client, std::size_t address, Duration connect_time) {
    // Connects mostly take one RTT, the same few durations over and over:
    // their value in seconds (a division) is worked out once per new one.
    if (connect_time != last_connect_) {
      last_connect_ = connect_time;
      last_connect_s_ = go_seconds(connect_time);
    }
    connections_.record(connect_time, last_connect_s_);
    if (client == kUntrackedClient) return;
    PerClient& c = of(client);
    if (c.sockets_by_address.size() <= address) c.sockets_by_address.resize(address + 1, 0);
    ++c.sockets_by_address[address];
    c.connect_time.record(last_connect_s_);
  }

  [[nodiscard]] const FortioHistogram& durations() const { return durations_; }
  [[nodiscard]] const FortioHistogram& errors() const { return errors_; }
  [[nodiscard]] const FortioCounter& sleeps() const { return sleeps_; }
  [[nodiscard]] const FortioHistogram& connections() const { return connections_; }
  [[nodiscard]] const std::vector<PerClient>& clients() const { return clients_; }

 private:
  PerClient& of(std::uint32_t client) {
    if (clients_.size() <= client) clients_.resize(static_cast<std::size_t>(client) + 1);
    return clients_[client];
  }
  FortioHistogram durations_, errors_;
  FortioCounter sleeps_;
  FortioHistogram connections_;
  Duration last_connect_ = Duration::zero();
  double last_connect_s_ = 0.0;  // go_seconds(last_connect_)
  std::vector<PerClient> clients_;
};

}  // namespace drsim
