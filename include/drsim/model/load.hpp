// Load generators: when requests are sent.
//
// FortioPacer reproduces fortio's periodic runner: each connection (-c) owns
// a target schedule start + i * c/qps; a call that ends late makes the next
// ones go out back to back until the schedule is met again (catch-up, on by
// default), or, with -nocatchup, the schedule restarts from the late call so
// the missed calls are never sent. -jitter moves each wait by up to +-10 %.
// Open-loop generators send on a rate profile regardless of responses
// (constant spacing or Poisson); closed-loop users wait for the response and
// think before the next call.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "drsim/core/error.hpp"
#include "drsim/core/fields.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/sources.hpp"

namespace drsim {

namespace detail {
/// std::llround for x >= 0, inline: the integer part, then one more from
/// one half. The same integer as llround wherever the double has a fraction
/// (below 2^52); from 2^52 on every double is whole and is returned as it
/// is. On the request path: one draw's rounding a request (libm's llround
/// was a call and 27 instructions of a 1,750-instruction request).
inline std::int64_t round_nonnegative(double x) {
  if (!(x < 0x1p52)) [[unlikely]] return std::llround(x);
  auto n = static_cast<std::int64_t>(x);
  if (x - static_cast<double>(n) >= 0.5) ++n;
  return n;
}
}  // namespace detail

/// A Poisson process's next gap, mean `mean_ns`: an exponential draw in whole
/// nanoseconds (llround's), at least 1 ns so that arrivals move time on.
/// Open-loop arrivals and the aggregated groups draw their gaps here.
inline Duration exponential_gap(RandomStream& rng, double mean_ns) {
  return Duration::nanoseconds(std::max<std::int64_t>(1, detail::round_nonnegative(rng.exponential(mean_ns))));
}

/// Requests per second as a function of time: steps, optionally modulated by
/// a diurnal sine.
class RateProfile {
 public:
  struct Step {
    Duration at;
    double rate;  // requests per second
  };
  RateProfile() = default;
  explicit RateProfile(double constant) : steps_{{Duration::zero(), constant}} {}
  explicit RateProfile(std::vector<Step> steps) : steps_(std::move(steps)) {
    if (steps_.empty()) throw ParameterError("a rate profile needs at least one step");
    std::sort(steps_.begin(), steps_.end(), [](const Step& a, const Step& b) { return a.at < b.at; });
    for (const auto& s : steps_)
      if (s.rate < 0) throw ParameterError("rates must not be negative");
  }
  /// rate(t) *= 1 + amplitude * sin(2 pi (t - peak_at) / period + pi/2): peaks at peak_at.
  void set_diurnal(double amplitude, Duration period, Duration peak_at) {
    if (amplitude < 0 || amplitude > 1) throw ParameterError("diurnal amplitude must be in [0, 1]");
    amplitude_ = amplitude;
    period_ = period;
    peak_at_ = peak_at;
  }

  /// The step in force at t: the last one starting at or before it; none before the first.
  [[nodiscard]] std::optional<std::size_t> step_at(TimePoint t) const {
    std::optional<std::size_t> in_force;
    for (std::size_t k = 0; k < steps_.size() && steps_[k].at.ns() <= t.ns(); ++k) in_force = k;
    return in_force;
  }
  [[nodiscard]] double rate_at(TimePoint t) const {
    const auto step = step_at(t);
    double r = step ? steps_[*step].rate : 0.0;
    if (amplitude_ > 0 && period_ > Duration::zero()) {
      const double x = 2 * 3.14159265358979323846 * (t.ns() - peak_at_.ns()) / static_cast<double>(period_.ns());
      r *= 1 + amplitude_ * std::cos(x);
    }
    return r;
  }
  [[nodiscard]] double max_rate() const {
    double m = 0;
    for (const auto& s : steps_) m = std::max(m, s.rate);
    return m * (1 + amplitude_);
  }
  [[nodiscard]] const std::vector<Step>& steps() const { return steps_; }
  /// Whether the rate changes other than at a step's start (a diurnal curve).
  [[nodiscard]] bool varies_between_steps() const { return amplitude_ > 0 && period_ > Duration::zero(); }
  /// Whether the rate is one and the same from t = 0 on (a single step
  /// starting later is a change from 0).
  [[nodiscard]] bool constant_from_start() const {
    return steps_.size() == 1 && steps_.front().at <= Duration::zero() && !varies_between_steps();
  }

 private:
  std::vector<Step> steps_{{Duration::zero(), 0.0}};
  double amplitude_ = 0;
  Duration period_;
  Duration peak_at_;
};

struct FortioParams {
  double qps = 8;            // fortio's default -qps
  int connections = 1;       // -c
  Duration duration = Duration::seconds(5);  // -t
  std::int64_t calls = 0;    // -n (0: qps * duration)
  bool catchup = true;       // -nocatchup turns it off
  bool jitter = false;       // -jitter
};

/// One fortio connection's schedule.
class FortioPacer {
 public:
  FortioPacer(const FortioParams& p, TimePoint start)
      : period_ns_(static_cast<double>(p.connections) / p.qps * 1e9), start_(start), end_(start + p.duration),
        catchup_(p.catchup), jitter_(p.jitter) {
    if (!(p.qps > 0)) throw ParameterError("fortio qps must be > 0");
    const std::int64_t total = p.calls > 0 ? p.calls : static_cast<std::int64_t>(std::llround(p.qps * p.duration.seconds_f()));
    calls_ = total / p.connections;
  }

  /// When call `i` (0-based) is due on the target schedule.
  [[nodiscard]] TimePoint target(std::int64_t i) const {
    return base_ + Duration::nanoseconds(detail::round_nonnegative(period_ns_ * static_cast<double>(i)));
  }

  /// The send time of the next call after the previous one ended at `now`,
  /// or nullopt-like TimePoint::max() when the run is over.
  TimePoint next_send(TimePoint now, RandomStream& rng) {
    if (sent_ >= calls_ || now >= end_) return TimePoint::max();
    TimePoint due = target(sent_ - skipped_base_);
    if (now > due && !catchup_) {
      // -nocatchup: restart the schedule at the late call instead of bursting.
      base_ = now;
      skipped_base_ = sent_;
      due = now;
    }
    TimePoint t = std::max(now, due);
    if (jitter_ && t > now) {
      const std::int64_t wait = (t - now).ns();
      const double j = rng.uniform(-0.1, 0.1) * static_cast<double>(wait);
      t = now + Duration::nanoseconds(wait + static_cast<std::int64_t>(j));
    }
    if (t >= end_) return TimePoint::max();
    ++sent_;
    return t;
  }
  /// The first call.
  TimePoint first_send() {
    base_ = start_;
    ++sent_;
    return start_;
  }

  [[nodiscard]] std::int64_t calls_planned() const { return calls_; }
  [[nodiscard]] std::int64_t calls_sent() const { return sent_; }

 private:
  double period_ns_;
  TimePoint start_, end_;
  TimePoint base_;
  std::int64_t calls_ = 0;
  std::int64_t sent_ = 0;
  std::int64_t skipped_base_ = 0;
  bool catchup_;
  bool jitter_;
};

enum class ArrivalProcess : std::uint8_t { constant, poisson };
constexpr std::array<std::string_view, 2> enum_names(ArrivalProcess) { return {"constant", "poisson"}; }

/// Open-loop arrivals on a rate profile. Poisson arrivals on steps alone are
/// drawn exactly, one exponential gap at the step's rate a request: a gap
/// that reaches the next step restarts there at the new rate (the process is
/// memoryless, so this is the same process in distribution, Cinlar 1975, and
/// a constant rate takes no draw but the gap). With a diurnal curve the rate
/// varies continuously and arrivals are drawn by thinning (Lewis and Shedler
/// 1979) against the profile's maximum.
class OpenLoopArrivals {
 public:
  OpenLoopArrivals(RateProfile profile, ArrivalProcess process, TimePoint end)
      : profile_(std::move(profile)), process_(process), end_(end), max_rate_(profile_.max_rate()),
        stepwise_(!profile_.varies_between_steps()) {
    for (const auto& s : profile_.steps()) step_mean_gap_ns_.push_back(s.rate > 0 ? 1e9 / s.rate : 0.0);
    if (profile_.constant_from_start()) constant_mean_gap_ns_ = step_mean_gap_ns_.front();
  }

  /// The next arrival strictly after `now`; TimePoint::max() when none is left.
  TimePoint next(TimePoint now, RandomStream& rng) const {
    if (max_rate_ <= 0) return TimePoint::max();
    TimePoint t = now;
    if (process_ == ArrivalProcess::constant) {
      // Spacing 1/rate(t); a zero-rate stretch is skipped by probing forward.
      for (int guard = 0; guard < 1'000'000; ++guard) {
        const double r = profile_.rate_at(t);
        if (r > 0) {
          t = t + Duration::nanoseconds(std::max<std::int64_t>(1, detail::round_nonnegative(1e9 / r)));
          return t < end_ ? t : TimePoint::max();
        }
        t = t + Duration::milliseconds(100);
        if (t >= end_) return TimePoint::max();
      }
      return TimePoint::max();
    }
    if (constant_mean_gap_ns_ > 0) {  // one rate throughout (the usual case): its gap, nothing else
      const TimePoint a = t + exponential_gap(rng, constant_mean_gap_ns_);
      return a < end_ ? a : TimePoint::max();
    }
    if (stepwise_) return next_on_steps(t, rng);
    for (;;) {
      t = t + exponential_gap(rng, 1e9 / max_rate_);
      if (t >= end_) return TimePoint::max();
      if (rng.uniform01() * max_rate_ < profile_.rate_at(t)) return t;
    }
  }

  [[nodiscard]] const RateProfile& profile() const { return profile_; }

 private:
  // Poisson on steps: the gap at the rate of the step holding t; one that
  // reaches the next step's start is dropped and drawn again from there.
  TimePoint next_on_steps(TimePoint t, RandomStream& rng) const {
    const auto& steps = profile_.steps();
    std::optional<std::size_t> step = profile_.step_at(t);  // none: before the first, rate 0
    for (;;) {
      const std::size_t following = step ? *step + 1 : 0;
      const TimePoint boundary = following < steps.size() ? TimePoint::start() + steps[following].at : TimePoint::max();
      if (step && step_mean_gap_ns_[*step] > 0) {
        const TimePoint a = t + exponential_gap(rng, step_mean_gap_ns_[*step]);
        if (a < boundary) return a < end_ ? a : TimePoint::max();
      }
      if (boundary >= end_) return TimePoint::max();
      t = boundary;  // no arrival before the next step: start again at its rate
      step = following;
    }
  }

  RateProfile profile_;
  ArrivalProcess process_;
  TimePoint end_;
  double max_rate_;
  bool stepwise_;                         // no diurnal curve: the rate is constant between steps
  std::vector<double> step_mean_gap_ns_;  // per step: 1e9 / rate, 0 for a zero rate
  double constant_mean_gap_ns_ = 0;       // > 0: a single step from t = 0 with this mean gap
};

/// How a population's requests are generated.
enum class LoadKind : std::uint8_t { fortio, open_loop, closed_loop };
constexpr std::array<std::string_view, 3> enum_names(LoadKind) { return {"fortio", "open_loop", "closed_loop"}; }

/// A daily swing of an open-loop rate: rate x (1 + amplitude x cos(2 pi (t - peak_at) / period)).
struct DiurnalSpec {
  double amplitude = 0.3;
  Duration period = Duration::seconds(86400);
  Duration peak_at = Duration::seconds(14 * 3600);
};

template <>
inline const FieldTable& fields_of<DiurnalSpec>() {
  static const FieldTable table = FieldTable::build<DiurnalSpec>("diurnal", [](auto& t) {
    using P = DiurnalSpec;
    t.means("A daily swing of the rate: rate x (1 + amplitude x cos(2 pi (t - peak_at) / period))");
    t.add("amplitude", &P::amplitude).as_share().means("relative swing around the rate").source_is("assumption");
    t.add("period", &P::period).positive().in_unit("s").means("length of one cycle").source_is("assumption");
    t.add("peak_at", &P::peak_at).in_unit("s").means("time of the peak, since the start of the run")
        .source_is("assumption");
  });
  return table;
}

/// One population's load: fortio's paced connections, open-loop arrivals or
/// closed-loop users.
struct LoadSpec {
  LoadKind kind = LoadKind::fortio;
  Duration start = Duration::zero();
  FortioParams fortio;                         // kind fortio: one client per connection
  RateProfile rate;                            // open loop
  ArrivalProcess arrivals = ArrivalProcess::poisson;
  std::optional<DiurnalSpec> diurnal;          // open loop
  std::size_t clients = 1;                     // open loop: clients sharing the rate; closed loop: users
  Distribution think_s = Distribution::exponential(1.0);  // closed loop
  Duration duration = Duration::seconds(300);  // open and closed loop

  /// When the load stops sending.
  [[nodiscard]] Duration end() const { return start + (kind == LoadKind::fortio ? fortio.duration : duration); }
};

template <>
inline const FieldTable& fields_of<LoadSpec>() {
  static const FieldTable table = FieldTable::build<LoadSpec>("load", [](auto& t) {
    using P = LoadSpec;
    const std::vector<std::string> fortio = {"fortio"}, open = {"open_loop"}, closed = {"closed_loop"},
                                   loops = {"open_loop", "closed_loop"};
    t.means("How the population sends: fortio's paced connections, open-loop arrivals, or closed-loop users")
        .discriminated_by("kind");
    t.add("kind", &P::kind).means("fortio: -c connections each on fortio's schedule; open_loop: sends regardless "
                                  "of responses; closed_loop: each user thinks, sends, waits for the end")
        .source_is(kSourceSeedDrill);
    t.add("start", &P::start).in_unit("s").means("when the load starts").source_is("drsim convention");
    t.add("qps", [](P& p) -> auto& { return p.fortio.qps; }).range(1e-9, 1e9).in_unit("requests/s").only(fortio)
        .means("fortio -qps, over all connections").source_is(kSourceFortioRunner);
    t.add("connections", [](P& p) -> auto& { return p.fortio.connections; }).range(1, 100000).in_unit("connections")
        .only(fortio).means("fortio -c (fortio's own default is 4; 1 matches the drill)").source_is(kSourceFortioRunner);
    t.add("duration", [](P& p) -> auto& { return p.fortio.duration; }).positive().in_unit("s").only(fortio)
        .means("fortio -t").source_is(kSourceFortioRunner);
    t.add("calls", [](P& p) -> auto& { return p.fortio.calls; }).range(0, 1e12).in_unit("calls").only(fortio)
        .means("fortio -n, divided evenly between connections; 0: round(qps x duration)").source_is(kSourceFortioFlags);
    t.add("catchup", [](P& p) -> auto& { return p.fortio.catchup; }).only(fortio)
        .means("late calls go out back to back (false: fortio -nocatchup)").source_is(kSourceFortioFlags);
    t.add("jitter", [](P& p) -> auto& { return p.fortio.jitter; }).only(fortio)
        .means("fortio -jitter: each wait moved by up to +-10 %").source_is(kSourceFortioFlags);
    t.add("duration", &P::duration).positive().in_unit("s").only(loops).means("no send at or after start + duration")
        .source_is("assumption");
    t.custom("rate", FieldKind::rate, "a rate like \"100/s\", or an array of {\"at\": duration, \"rate\": rate} steps")
        .must().only(open).means("requests per second; step times are since the start of the run");
    t.add("arrivals", &P::arrivals).only(open).means("Poisson arrivals or constant spacing").source_is("assumption");
    t.add("clients", &P::clients).range(1, 1e7).in_unit("clients").only(open)
        .means("clients sharing the rate (each arrival picks one at random); each keeps its own DNS cache and "
               "connection")
        .source_is("assumption");
    t.object("diurnal", &P::diurnal).only(open);
    t.add("users", &P::clients).range(1, 1e7).in_unit("users").only(closed)
        .means("users, their first sends spread over one think time").source_is("assumption");
    t.add("think_time", &P::think_s).in_unit("s").only(closed).means("time between a user's end and next send")
        .source_is("assumption");
  });
  return table;
}

}  // namespace drsim
