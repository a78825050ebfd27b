// Simulated time: int64 nanoseconds behind two strong types.
//
// `Duration` is a signed span, `TimePoint` an instant on the simulation clock
// (nanoseconds since the start of the run). Arithmetic that would overflow the
// int64 range throws `TimeError` instead of wrapping, so a model with a huge
// duration fails loudly rather than scheduling events in the past.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

namespace drsim {

/// Raised for unparsable duration text, overflow, or a negative span where
/// none makes sense.
class TimeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {
// The throw lives out of line and cold, so the checks inline on the request
// path as one add and a never-taken branch (with the throw inline, GCC kept
// checked_add a call: 2.5 % of a drill replication's instructions).
[[noreturn]] __attribute__((noinline, cold)) inline void throw_time_overflow() {
  throw TimeError("simulated time overflow (beyond +-292 years)");
}
// Out of line so that from_seconds, on the request path, inlines.
[[noreturn]] __attribute__((noinline, cold)) inline void throw_duration_out_of_range(double s) {
  throw TimeError("duration out of range: " + std::to_string(s) + " s");
}
inline std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t r{};
  if (__builtin_add_overflow(a, b, &r)) [[unlikely]] throw_time_overflow();
  return r;
}
inline std::int64_t checked_sub(std::int64_t a, std::int64_t b) {
  std::int64_t r{};
  if (__builtin_sub_overflow(a, b, &r)) [[unlikely]] throw_time_overflow();
  return r;
}
inline std::int64_t checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t r{};
  if (__builtin_mul_overflow(a, b, &r)) [[unlikely]] throw_time_overflow();
  return r;
}
}  // namespace detail

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration nanoseconds(std::int64_t ns) { return Duration(ns); }
  static Duration microseconds(std::int64_t us) { return Duration(detail::checked_mul(us, 1'000)); }
  static Duration milliseconds(std::int64_t ms) { return Duration(detail::checked_mul(ms, 1'000'000)); }
  static Duration seconds(std::int64_t s) { return Duration(detail::checked_mul(s, 1'000'000'000)); }
  /// Rounds to the nearest nanosecond; throws when out of range or NaN.
  static Duration from_seconds(double s) {
    const double ns = s * 1e9;
    if (!(ns > -9.2e18 && ns < 9.2e18)) [[unlikely]] detail::throw_duration_out_of_range(s);
    return Duration(static_cast<std::int64_t>(ns < 0 ? ns - 0.5 : ns + 0.5));
  }
  static constexpr Duration zero() { return Duration(0); }
  static constexpr Duration max() { return Duration(std::numeric_limits<std::int64_t>::max()); }

  [[nodiscard]] constexpr std::int64_t ns() const { return ns_; }
  [[nodiscard]] constexpr double seconds_f() const { return static_cast<double>(ns_) * 1e-9; }
  [[nodiscard]] constexpr bool is_negative() const { return ns_ < 0; }

  friend constexpr auto operator<=>(Duration, Duration) = default;
  friend Duration operator+(Duration a, Duration b) { return Duration(detail::checked_add(a.ns_, b.ns_)); }
  friend Duration operator-(Duration a, Duration b) { return Duration(detail::checked_sub(a.ns_, b.ns_)); }
  friend Duration operator*(Duration a, std::int64_t k) { return Duration(detail::checked_mul(a.ns_, k)); }
  friend Duration operator*(std::int64_t k, Duration a) { return a * k; }
  friend constexpr Duration operator/(Duration a, std::int64_t k) { return Duration(a.ns_ / k); }
  friend constexpr std::int64_t operator/(Duration a, Duration b) { return a.ns_ / b.ns_; }
  friend constexpr Duration operator%(Duration a, Duration b) { return Duration(a.ns_ % b.ns_); }
  constexpr Duration operator-() const { return Duration(-ns_); }
  Duration& operator+=(Duration o) { return *this = *this + o; }
  Duration& operator-=(Duration o) { return *this = *this - o; }

 private:
  constexpr explicit Duration(std::int64_t ns) : ns_(ns) {}
  std::int64_t ns_ = 0;
};

class TimePoint {
 public:
  constexpr TimePoint() = default;
  static constexpr TimePoint from_ns(std::int64_t ns) { return TimePoint(ns); }
  static constexpr TimePoint start() { return TimePoint(0); }
  static constexpr TimePoint max() { return TimePoint(std::numeric_limits<std::int64_t>::max()); }

  [[nodiscard]] constexpr std::int64_t ns() const { return ns_; }
  [[nodiscard]] constexpr double seconds_f() const { return static_cast<double>(ns_) * 1e-9; }
  [[nodiscard]] constexpr Duration since_start() const { return Duration::nanoseconds(ns_); }

  friend constexpr auto operator<=>(TimePoint, TimePoint) = default;
  friend TimePoint operator+(TimePoint t, Duration d) { return TimePoint(detail::checked_add(t.ns_, d.ns())); }
  friend TimePoint operator+(Duration d, TimePoint t) { return t + d; }
  friend TimePoint operator-(TimePoint t, Duration d) { return TimePoint(detail::checked_sub(t.ns_, d.ns())); }
  friend Duration operator-(TimePoint a, TimePoint b) { return Duration::nanoseconds(detail::checked_sub(a.ns_, b.ns_)); }
  TimePoint& operator+=(Duration d) { return *this = *this + d; }

 private:
  constexpr explicit TimePoint(std::int64_t ns) : ns_(ns) {}
  std::int64_t ns_ = 0;
};

namespace literals {
constexpr Duration operator""_ns(unsigned long long v) { return Duration::nanoseconds(static_cast<std::int64_t>(v)); }
constexpr Duration operator""_us(unsigned long long v) { return Duration::nanoseconds(static_cast<std::int64_t>(v) * 1'000); }
constexpr Duration operator""_ms(unsigned long long v) { return Duration::nanoseconds(static_cast<std::int64_t>(v) * 1'000'000); }
constexpr Duration operator""_s(unsigned long long v) { return Duration::nanoseconds(static_cast<std::int64_t>(v) * 1'000'000'000); }
constexpr Duration operator""_min(unsigned long long v) { return Duration::nanoseconds(static_cast<std::int64_t>(v) * 60'000'000'000); }
constexpr Duration operator""_h(unsigned long long v) { return Duration::nanoseconds(static_cast<std::int64_t>(v) * 3'600'000'000'000); }
}  // namespace literals

namespace detail {
struct UnitScale {
  std::string_view suffix;
  std::int64_t ns;
};
// Longest suffixes first so "ms" is not read as "m" followed by junk.
inline constexpr UnitScale kDurationUnits[] = {
    {"ns", 1}, {"us", 1'000}, {"\xC2\xB5s", 1'000}, {"ms", 1'000'000}, {"min", 60'000'000'000},
    {"s", 1'000'000'000}, {"m", 60'000'000'000}, {"h", 3'600'000'000'000}, {"d", 86'400'000'000'000},
};
}  // namespace detail

/// Parses Go-style duration text: "250ms", "1m30s", "2h", "1.5s", "-3s", "0".
/// Throws TimeError naming the text and what was expected.
inline Duration parse_duration(std::string_view text) {
  const std::string original(text);
  auto fail = [&](const std::string& why) -> TimeError {
    return TimeError("invalid duration \"" + original + "\": " + why +
                     " (expected a number with a unit, e.g. \"250ms\", \"15s\", \"1m30s\", \"2h\")");
  };
  if (text.empty()) throw fail("empty text");
  bool negative = false;
  if (text.front() == '-' || text.front() == '+') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return Duration::zero();
  if (text.empty()) throw fail("no number");
  long double total_ns = 0;
  while (!text.empty()) {
    std::size_t i = 0;
    long double whole = 0;
    bool digits = false;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      whole = whole * 10 + (text[i] - '0');
      ++i;
      digits = true;
    }
    long double frac = 0, scale = 1;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        scale /= 10;
        frac += (text[i] - '0') * scale;
        ++i;
        digits = true;
      }
    }
    if (!digits) throw fail("expected a number at \"" + std::string(text) + "\"");
    text.remove_prefix(i);
    const detail::UnitScale* unit = nullptr;
    for (const auto& u : detail::kDurationUnits) {
      if (text.substr(0, u.suffix.size()) == u.suffix) {
        // "m" must not swallow the "m" of "ms" or "min": those come first in the table.
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) {
      throw fail(text.empty() ? std::string("missing unit") : "unknown unit at \"" + std::string(text) + "\"");
    }
    text.remove_prefix(unit->suffix.size());
    total_ns += (whole + frac) * static_cast<long double>(unit->ns);
    if (total_ns > 9.2e18L) throw fail("too large (beyond 292 years)");
  }
  auto ns = static_cast<std::int64_t>(total_ns + 0.5L);
  return Duration::nanoseconds(negative ? -ns : ns);
}

/// Parses a duration that must not be negative (a TTL, an interval, a timeout).
inline Duration parse_nonnegative_duration(std::string_view text) {
  Duration d = parse_duration(text);
  if (d.is_negative()) {
    throw TimeError("invalid duration \"" + std::string(text) + "\": must not be negative");
  }
  return d;
}

/// Prints a duration in the shortest exact Go-style form: "1m30s", "250ms", "2h", "1.5s".
inline std::string to_string(Duration d) {
  std::int64_t ns = d.ns();
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out += '-';
    if (ns == std::numeric_limits<std::int64_t>::min()) return "-292y";  // not representable as positive
    ns = -ns;
  }
  constexpr std::int64_t kSec = 1'000'000'000;
  if (ns < kSec) {
    if (ns % 1'000'000 == 0) return out + std::to_string(ns / 1'000'000) + "ms";
    if (ns % 1'000 == 0) return out + std::to_string(ns / 1'000) + "us";
    return out + std::to_string(ns) + "ns";
  }
  const std::int64_t h = ns / (3600 * kSec);
  ns -= h * 3600 * kSec;
  const std::int64_t m = ns / (60 * kSec);
  ns -= m * 60 * kSec;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (ns) {
    out += std::to_string(ns / kSec);
    std::int64_t frac = ns % kSec;
    if (frac) {
      std::string digits = std::to_string(frac);
      digits.insert(0, 9 - digits.size(), '0');
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      out += "." + digits;
    }
    out += "s";
  }
  return out;
}

inline std::string to_string(TimePoint t) { return to_string(t.since_start()); }

}  // namespace drsim
