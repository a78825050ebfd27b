// Deterministic random streams and distributions.
//
// Every component draws from its own stream, derived from (scenario seed,
// stream identity), so adding a component or reordering events elsewhere
// does not shift anyone else's numbers (ns-3's numbered streams). The
// generator is xoshiro256** (Blackman & Vigna) seeded through SplitMix64;
// distributions are written here rather than taken from <random>, whose
// algorithms differ between standard libraries, so a seed gives the same
// numbers with libstdc++, libc++ and MSVC.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drsim/core/error.hpp"

namespace drsim {

namespace detail {
inline constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
/// FNV-1a over the bytes of a name: a stable stream identity.
inline constexpr std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return h;
}
inline constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/// The layers of a 256-layer ziggurat (Marsaglia & Tsang, "The Ziggurat
/// Method for Generating Random Variables", J. Stat. Software 5(8), 2000,
/// with Doornik's 2005 improvement: the layer index and the uniform come
/// from independent bits of one 64-bit draw). x[0] is the base layer's
/// virtual width v / f(r), x[1] = r, x[256] = 0, and each layer has area v;
/// f[i] = pdf(x[i]). Built once at start-up from the density's formula.
struct ZigguratTables {
  double x[257];
  double f[257];
};
template <class Pdf, class InversePdf>
inline ZigguratTables make_ziggurat(double r, double v, Pdf pdf, InversePdf inverse_pdf) {
  ZigguratTables t{};
  t.x[0] = v / pdf(r);
  t.x[1] = r;
  for (int i = 2; i < 256; ++i) t.x[i] = inverse_pdf(v / t.x[i - 1] + pdf(t.x[i - 1]));
  t.x[256] = 0;
  for (int i = 0; i < 257; ++i) t.f[i] = pdf(t.x[i]);
  return t;
}
// r and v for 256 layers: the values of Marsaglia & Tsang's tables.
inline constexpr double kZigNormalR = 3.6541528853610088;
inline constexpr double kZigNormalV = 0.00492867323399;
inline constexpr double kZigExpR = 7.69711747013104972;
inline constexpr double kZigExpV = 0.0039496598225815571993;
inline const ZigguratTables kZigNormal = make_ziggurat(
    kZigNormalR, kZigNormalV, [](double x) { return std::exp(-0.5 * x * x); },
    [](double y) { return std::sqrt(-2.0 * std::log(y)); });
inline const ZigguratTables kZigExp = make_ziggurat(
    kZigExpR, kZigExpV, [](double x) { return std::exp(-x); }, [](double y) { return -std::log(y); });

}  // namespace detail

/// Derives the seed of replication `index` from a base seed, so replication k
/// of every sweep point uses the same streams (common random numbers).
inline constexpr std::uint64_t replication_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t s = seed ^ (0xD1B54A32D192ED03ULL * (index + 1));
  detail::splitmix64(s);
  return detail::splitmix64(s);
}

/// One independent xoshiro256** stream.
class RandomStream {
 public:
  RandomStream() : RandomStream(0, 0) {}
  RandomStream(std::uint64_t seed, std::uint64_t stream_id) {
    std::uint64_t sm = seed ^ detail::rotl(stream_id, 32) ^ (stream_id * 0x9E3779B97F4A7C15ULL);
    for (auto& w : s_) w = detail::splitmix64(sm);
  }
  RandomStream(std::uint64_t seed, std::string_view name) : RandomStream(seed, detail::fnv1a(name)) {}
  /// A stream with an explicit generator state (reference test vectors).
  static RandomStream from_state(std::uint64_t s0, std::uint64_t s1, std::uint64_t s2, std::uint64_t s3) {
    RandomStream r;
    r.s_[0] = s0;
    r.s_[1] = s1;
    r.s_[2] = s2;
    r.s_[3] = s3;
    return r;
  }

  std::uint64_t next_u64() {
    const std::uint64_t result = detail::rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = detail::rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform in (0, 1]: safe under log().
  double uniform01_open0() { return 1.0 - uniform01(); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }
  /// Uniform integer in [0, n), n > 0 (Lemire's nearly divisionless method).
  std::uint64_t below(std::uint64_t n) {
    std::uint64_t x = next_u64();
    __uint128_t m = static_cast<__uint128_t>(x) * n;
    auto l = static_cast<std::uint64_t>(m);
    if (l < n) {
      const std::uint64_t t = (0 - n) % n;
      while (l < t) {
        x = next_u64();
        m = static_cast<__uint128_t>(x) * n;
        l = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }
  bool bernoulli(double p) { return uniform01() < p; }
  /// Exponential with the given mean, by the ziggurat: about 99 % of draws
  /// are one generator step, a multiplication and a comparison (no log).
  double exponential(double mean) { return mean * standard_exponential(); }
  double standard_exponential() {
    const detail::ZigguratTables& z = detail::kZigExp;
    for (;;) {
      const std::uint64_t bits = next_u64();
      const std::size_t i = bits & 0xff;
      const double x = static_cast<double>(bits >> 11) * 0x1.0p-53 * z.x[i];
      if (x < z.x[i + 1]) return x;
      if (i == 0) return detail::kZigExpR - std::log(uniform01_open0());  // the tail beyond r, memoryless
      if (z.f[i + 1] + (z.f[i] - z.f[i + 1]) * uniform01() < std::exp(-x)) return x;
    }
  }
  /// Standard normal by the ziggurat (symmetric: the sign from the same
  /// draw's uniform); the tail beyond r by Marsaglia's method.
  double standard_normal() {
    const detail::ZigguratTables& z = detail::kZigNormal;
    for (;;) {
      const std::uint64_t bits = next_u64();
      const std::size_t i = bits & 0xff;
      const double u = 2.0 * (static_cast<double>(bits >> 11) * 0x1.0p-53) - 1.0;  // [-1, 1)
      const double x = u * z.x[i];
      if (std::fabs(x) < z.x[i + 1]) return x;
      if (i == 0) {
        double tx, ty;
        do {
          tx = std::log(uniform01_open0()) / detail::kZigNormalR;
          ty = std::log(uniform01_open0());
        } while (-2.0 * ty < tx * tx);
        return u < 0 ? tx - detail::kZigNormalR : detail::kZigNormalR - tx;
      }
      if (z.f[i + 1] + (z.f[i] - z.f[i + 1]) * uniform01() < std::exp(-0.5 * x * x)) return x;
    }
  }

 private:
  std::uint64_t s_[4]{};
};

class DistributionError : public ParameterError {
 public:
  using ParameterError::ParameterError;
};

/// A univariate distribution of non-negative or real values (seconds, costs,
/// holding times). A value type: cheap to copy except the empirical table.
class Distribution {
 public:
  enum class Kind { constant, uniform, exponential, normal, lognormal, empirical };

  static Distribution constant(double v) { return Distribution(Kind::constant, v, 0); }
  static Distribution uniform(double lo, double hi) {
    if (!(hi >= lo)) throw DistributionError("uniform: hi must be >= lo");
    return Distribution(Kind::uniform, lo, hi);
  }
  static Distribution exponential(double mean) {
    if (!(mean > 0)) throw DistributionError("exponential: mean must be > 0");
    return Distribution(Kind::exponential, mean, 0);
  }
  static Distribution normal(double mean, double stddev) {
    if (!(stddev >= 0)) throw DistributionError("normal: stddev must be >= 0");
    return Distribution(Kind::normal, mean, stddev);
  }
  /// Lognormal given the mean and standard deviation of the variable itself
  /// (what a user measures), not of its logarithm.
  static Distribution lognormal(double mean, double stddev) {
    if (!(mean > 0) || !(stddev >= 0)) throw DistributionError("lognormal: mean must be > 0 and stddev >= 0");
    const double s2 = std::log(1.0 + (stddev * stddev) / (mean * mean));
    return Distribution(Kind::lognormal, std::log(mean) - 0.5 * s2, std::sqrt(s2));
  }
  /// Empirical: piecewise-linear inverse CDF through sorted samples
  /// (values drawn between observed points, never outside them).
  static Distribution empirical(std::vector<double> samples) {
    if (samples.empty()) throw DistributionError("empirical: needs at least one sample");
    std::sort(samples.begin(), samples.end());
    Distribution d(Kind::empirical, samples.front(), samples.back());
    d.table_ = std::move(samples);
    return d;
  }

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] double a() const { return a_; }
  [[nodiscard]] double b() const { return b_; }

  double sample(RandomStream& rng) const {
    switch (kind_) {
      case Kind::constant: return a_;
      case Kind::uniform: return rng.uniform(a_, b_);
      case Kind::exponential: return rng.exponential(a_);
      case Kind::normal: return a_ + b_ * rng.standard_normal();
      case Kind::lognormal: return std::exp(a_ + b_ * rng.standard_normal());
      case Kind::empirical: {
        if (table_.size() == 1) return table_[0];
        const double x = rng.uniform01() * static_cast<double>(table_.size() - 1);
        const auto i = static_cast<std::size_t>(x);
        const double f = x - static_cast<double>(i);
        return i + 1 < table_.size() ? table_[i] + f * (table_[i + 1] - table_[i]) : table_.back();
      }
    }
    return a_;
  }

  /// A draw from the length-biased distribution (density x f(x) / mean):
  /// the length of the interval that a random moment falls into when
  /// intervals of this distribution follow each other. Exact for constant,
  /// uniform (on [lo, hi] with lo >= 0), exponential (Gamma(2, mean)) and
  /// lognormal (mu + sigma^2, same sigma); normal and empirical fall back to
  /// an ordinary draw.
  double sample_length_biased(RandomStream& rng) const {
    switch (kind_) {
      case Kind::constant: return a_;
      case Kind::uniform: {
        if (a_ < 0) return sample(rng);
        return std::sqrt(a_ * a_ + rng.uniform01() * (b_ * b_ - a_ * a_));
      }
      case Kind::exponential: return rng.exponential(a_) + rng.exponential(a_);
      case Kind::lognormal: return std::exp(a_ + b_ * b_ + b_ * rng.standard_normal());
      case Kind::normal:
      case Kind::empirical: return sample(rng);
    }
    return a_;
  }

  [[nodiscard]] double mean() const {
    switch (kind_) {
      case Kind::constant: return a_;
      case Kind::uniform: return 0.5 * (a_ + b_);
      case Kind::exponential: return a_;
      case Kind::normal: return a_;
      case Kind::lognormal: return std::exp(a_ + 0.5 * b_ * b_);
      case Kind::empirical: {
        double s = 0;
        for (std::size_t i = 0; i + 1 < table_.size(); ++i) s += 0.5 * (table_[i] + table_[i + 1]);
        return table_.size() == 1 ? table_[0] : s / static_cast<double>(table_.size() - 1);
      }
    }
    return a_;
  }

 private:
  Distribution(Kind k, double a, double b) : kind_(k), a_(a), b_(b) {}
  Kind kind_ = Kind::constant;
  double a_ = 0, b_ = 0;
  std::vector<double> table_;
};

/// Non-negative draws of one distribution (max(0, sample)) from a stream
/// that nothing else draws from, made a block at a time: the same values in
/// the same order as one draw per call, but a block's draws do not wait for
/// each other. A lognormal's exp() is the slowest step of a request (libm,
/// some 20 cycles); one at a time it sits on the request's chain, a block of
/// them the CPU runs side by side.
class DrawsAhead {
 public:
  DrawsAhead() = default;
  /// `d` must outlive this (the model's spec holds it).
  DrawsAhead(const Distribution& d, RandomStream rng) : d_(&d), rng_(rng) {}
  double next() {
    if (pos_ == kBlock) refill();
    return block_[pos_++];
  }

 private:
  static constexpr std::size_t kBlock = 16;
  void refill() {
    for (double& v : block_) v = std::max(0.0, d_->sample(rng_));
    pos_ = 0;
  }
  const Distribution* d_ = nullptr;
  RandomStream rng_;
  std::array<double, kBlock> block_{};
  std::size_t pos_ = kBlock;
};

}  // namespace drsim
