#include <catch2/catch.hpp>

#include <array>

#include "drsim/core/stats.hpp"
#include "drsim/model/load.hpp"

using namespace drsim;
using namespace drsim::literals;

TEST_CASE("fortio paces i/qps per connection: 30,000 calls in 300 s at 100 qps", "[load]") {
  FortioParams p;
  p.qps = 100;
  p.connections = 1;
  p.duration = 300_s;
  FortioPacer pacer(p, TimePoint::start());
  RandomStream rng(1, "p");
  TimePoint t = pacer.first_send();
  std::int64_t calls = 1;
  // Each call takes 4 ms, well inside the 10 ms period.
  for (;;) {
    const TimePoint next = pacer.next_send(t + 4_ms, rng);
    if (next == TimePoint::max()) break;
    CHECK((next - TimePoint::start()).ns() == calls * 10'000'000);
    t = next;
    ++calls;
  }
  CHECK(calls == 30000);
}

TEST_CASE("After a 3 s timeout the late calls go out back to back (catch-up)", "[load]") {
  FortioParams p;
  p.qps = 100;
  p.duration = 300_s;
  FortioPacer pacer(p, TimePoint::start());
  RandomStream rng(1, "p");
  pacer.first_send();
  // Call 0 times out at 3 s: calls 1..300 were due meanwhile.
  TimePoint now = TimePoint::start() + 3_s;
  TimePoint next = pacer.next_send(now, rng);
  CHECK(next == now);
  // Back-to-back 4 ms calls gain 6 ms per call on the schedule: after k calls
  // the clock is 3 s + 4k ms and call k+1 is due at 10(k+1) ms, so the
  // schedule is met again at k = 500 (3 + 2.0 = 5.0 s = 10 * 500 ms).
  int burst = 0;
  for (;;) {
    now = next + 4_ms;
    next = pacer.next_send(now, rng);
    if (next > now) break;
    ++burst;
  }
  CHECK(burst == Approx(499).margin(2));
  CHECK(pacer.calls_planned() == 30000);

  SECTION("with -nocatchup the missed calls are skipped") {
    FortioParams q = p;
    q.catchup = false;
    FortioPacer nc(q, TimePoint::start());
    nc.first_send();
    TimePoint n = TimePoint::start() + 3_s;
    TimePoint nx = nc.next_send(n, rng);
    CHECK(nx == n);
    nx = nc.next_send(nx + 4_ms, rng);
    CHECK(nx == n + 10_ms);  // the schedule restarted at the late call
    std::int64_t calls = 3;  // the first call, the late one at 3 s, and the one at 3.01 s
    while (nx != TimePoint::max()) {
      nx = nc.next_send(nx + 4_ms, rng);
      calls += nx != TimePoint::max();
    }
    // 300 calls (3 s) were never sent.
    CHECK(calls == 30000 - 300 + 1);
  }
}

TEST_CASE("fortio -jitter moves each send by at most 10 % of its wait", "[load]") {
  FortioParams p;
  p.qps = 10;
  p.duration = 10_s;
  p.jitter = true;
  FortioPacer pacer(p, TimePoint::start());
  RandomStream rng(2, "j");
  TimePoint t = pacer.first_send();
  bool moved = false;
  for (int i = 1; i < 50; ++i) {
    const TimePoint done = t + 1_ms;
    const TimePoint next = pacer.next_send(done, rng);
    if (next == TimePoint::max()) break;
    const TimePoint due = pacer.target(i);
    const double wait = (due - done).seconds_f();
    CHECK(std::abs((next - due).seconds_f()) <= 0.1 * wait + 1e-9);
    moved = moved || next != due;
    t = next;
  }
  CHECK(moved);
}

TEST_CASE("Open-loop arrivals follow the rate profile", "[load]") {
  RandomStream rng(3, "arrivals");
  SECTION("constant spacing: exactly rate x duration") {
    OpenLoopArrivals a(RateProfile(50.0), ArrivalProcess::constant, TimePoint::start() + 10_s);
    int n = 0;
    for (TimePoint t = TimePoint::start(); (t = a.next(t, rng)) != TimePoint::max();) ++n;
    CHECK(n == 499);  // arrivals at 20 ms, 40 ms, ..., 9.98 s
  }
  SECTION("Poisson: count ~ rate x duration within sampling error") {
    OpenLoopArrivals a(RateProfile(200.0), ArrivalProcess::poisson, TimePoint::start() + 100_s);
    int n = 0;
    for (TimePoint t = TimePoint::start(); (t = a.next(t, rng)) != TimePoint::max();) ++n;
    CHECK(n == Approx(20000).margin(600));  // sd sqrt(20000) = 141
  }
  SECTION("steps change the rate at their time") {
    RateProfile steps({{0_s, 10.0}, {10_s, 100.0}});
    CHECK(steps.rate_at(TimePoint::start() + 5_s) == 10.0);
    CHECK(steps.rate_at(TimePoint::start() + 10_s) == 100.0);
    OpenLoopArrivals a(steps, ArrivalProcess::poisson, TimePoint::start() + 20_s);
    int early = 0, late = 0;
    for (TimePoint t = TimePoint::start(); (t = a.next(t, rng)) != TimePoint::max();)
      (t < TimePoint::start() + 10_s ? early : late)++;
    CHECK(early == Approx(100).margin(40));
    CHECK(late == Approx(1000).margin(130));
  }
  SECTION("a constant Poisson rate takes one exponential gap an arrival, nothing else") {
    OpenLoopArrivals a(RateProfile(2000.0), ArrivalProcess::poisson, TimePoint::start() + 10_s);
    RandomStream twin(3, "arrivals");
    TimePoint expected = TimePoint::start();
    for (TimePoint t = TimePoint::start(); (t = a.next(t, rng)) != TimePoint::max();) {
      expected = expected + exponential_gap(twin, 1e9 / 2000.0);
      REQUIRE(t == expected);
    }
    CHECK(expected + exponential_gap(twin, 1e9 / 2000.0) >= TimePoint::start() + 10_s);
  }
  SECTION("a step with rate zero has no arrivals; the next step starts afresh at its rate") {
    RateProfile steps({{0_s, 0.0}, {5_s, 400.0}, {10_s, 0.0}, {15_s, 50.0}});
    OpenLoopArrivals a(steps, ArrivalProcess::poisson, TimePoint::start() + 20_s);
    std::array<int, 4> in{};
    for (TimePoint t = TimePoint::start(); (t = a.next(t, rng)) != TimePoint::max();)
      ++in[static_cast<std::size_t>((t - TimePoint::start()).ns() / 5'000'000'000)];
    CHECK(in[0] == 0);
    CHECK(in[1] == Approx(2000).margin(180));  // sd sqrt(2000) = 45
    CHECK(in[2] == 0);
    CHECK(in[3] == Approx(250).margin(64));  // sd 16
  }
  SECTION("gaps stay exponential across a step: the count in the second after it is the new rate's") {
    // 1,000 runs of a rate 1/s up to 1 s and 100/s after: arrivals in [1 s, 1.01 s)
    // number Poisson(1) a run, whatever the last gap drawn before the step.
    RateProfile steps({{0_s, 1.0}, {1_s, 100.0}});
    OpenLoopArrivals a(steps, ArrivalProcess::poisson, TimePoint::start() + 2_s);
    int just_after = 0;
    for (int run = 0; run < 1000; ++run)
      for (TimePoint t = TimePoint::start(); (t = a.next(t, rng)) != TimePoint::max();)
        if (t >= TimePoint::start() + 1_s && t < TimePoint::start() + 1010_ms) ++just_after;
    CHECK(just_after == Approx(1000).margin(130));  // sd sqrt(1000) = 32
  }
  SECTION("a diurnal curve peaks at its peak time") {
    RateProfile d(100.0);
    d.set_diurnal(0.5, 24_h, 12_h);
    CHECK(d.rate_at(TimePoint::start() + 12_h) == Approx(150));
    CHECK(d.rate_at(TimePoint::start()) == Approx(50));
    CHECK(d.max_rate() == Approx(150));
  }
}

TEST_CASE("The request path's rounding gives llround's integer for every non-negative draw", "[load]") {
  // Halves round up, whatever the integer part; just below a half rounds down.
  for (double x : {0.0, 0.5, 1.5, 2.5, 0.49999999999999994, 1e9 + 0.5, 4503599627370495.5, 0x1p52, 0x1p52 + 2,
                   1e300, std::nextafter(0.5, 0.0), std::nextafter(0.5, 1.0)})
    CHECK(detail::round_nonnegative(x) == std::llround(x));
  RandomStream rng(3, "rounding");
  for (int i = 0; i < 1'000'000; ++i) {
    const double x = rng.exponential(5e5);  // an open-loop gap in ns at 2,000/s
    REQUIRE(detail::round_nonnegative(x) == std::llround(x));
  }
}
