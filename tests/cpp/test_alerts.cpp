// Specification of alert rules "metric op threshold for duration" over
// per-second values, with Prometheus' pending/firing/resolved semantics.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "drsim/model/alerts.hpp"

namespace Catch {
template <>
struct StringMaker<drsim::AlertEpisode> {
  static std::string convert(const drsim::AlertEpisode& e) {
    return "{active " + drsim::to_string(e.active_at) + ", fired " + drsim::to_string(e.fired_at) + ", resolved " +
           (e.resolved() ? drsim::to_string(e.resolved_at) : std::string("never")) + "}";
  }
};
}  // namespace Catch

using namespace drsim;
using namespace drsim::literals;

namespace {

TimePoint at(Duration d) { return TimePoint::start() + d; }

// Per-second values: `value` on bins [from, to), 0 elsewhere, `length` bins.
std::vector<double> per_second(int length, int from, int to, double value) {
  std::vector<double> v(static_cast<std::size_t>(length), 0.0);
  for (int i = from; i < to; ++i) v[static_cast<std::size_t>(i)] = value;
  return v;
}

// The drill's throttling alert: more than 10 rate-limited requests per second for a minute.
const AlertRule kThrottled{Comparison::greater, 10.0, 60_s};

}  // namespace

TEST_CASE("An alert 'throttled > 10 for 60s' fires 60 s after the first breaching second and resolves at the first "
          "clean one",
          "[alerts]") {
  // Bins 100..219 s carry 20/s. Each bin is evaluated at its end: the first
  // breach is seen at t = 101 s (pending from then), the alert fires at
  // 101 + 60 = 161 s, and the first clean evaluation is bin 220's, at 221 s.
  const auto values = per_second(300, 100, 220, 20.0);
  const auto episodes = evaluate_alert(kThrottled, values, 1_s);
  REQUIRE(episodes.size() == 1);
  CHECK(episodes[0] == AlertEpisode{at(101_s), at(161_s), at(221_s)});
  CHECK(episodes[0].resolved());
}

TEST_CASE("A breach of exactly 60 evaluations does not fire 'for 60s', 61 do", "[alerts]") {
  // 60 breaching bins (100..159) are evaluated at 101..160 s: at 160 s the
  // alert has been pending 59 s, and at 161 s the condition is gone.
  CHECK(evaluate_alert(kThrottled, per_second(300, 100, 160, 20.0), 1_s).empty());
  // One more bin: at 161 s it has been pending 60 s.
  const auto episodes = evaluate_alert(kThrottled, per_second(300, 100, 161, 20.0), 1_s);
  REQUIRE(episodes.size() == 1);
  CHECK(episodes[0] == AlertEpisode{at(101_s), at(161_s), at(162_s)});
}

TEST_CASE("One clean evaluation resets a pending alert", "[alerts]") {
  // Breach on bins 100..149, a clean bin 150, breach again on 151..249.
  // Pending from 101 s, dropped at 151 s; pending again from 152 s, fires at
  // 212 s (not 161 s); bin 250 is clean, so it resolves at 251 s.
  auto values = per_second(300, 100, 250, 20.0);
  values[150] = 0.0;
  const auto episodes = evaluate_alert(kThrottled, values, 1_s);
  REQUIRE(episodes.size() == 1);
  CHECK(episodes[0] == AlertEpisode{at(152_s), at(212_s), at(251_s)});
}

TEST_CASE("An alert still firing at the end of the series is reported unresolved", "[alerts]") {
  const auto episodes = evaluate_alert(kThrottled, per_second(200, 100, 200, 20.0), 1_s);
  REQUIRE(episodes.size() == 1);
  CHECK(episodes[0].fired_at == at(161_s));
  CHECK_FALSE(episodes[0].resolved());
  CHECK(episodes[0].resolved_at == TimePoint::max());
}

TEST_CASE("Each episode of a flapping metric is reported", "[alerts]") {
  // 'for 0s' fires at the first breaching evaluation. Breaches on bins
  // 10..11 (evaluated at 11 and 12 s; bin 12 is clean, seen at 13 s) and
  // 20..24 (evaluated at 21..25 s; clean again at 26 s).
  const AlertRule rule{Comparison::greater_equal, 5.0, Duration::zero()};
  auto values = per_second(40, 10, 12, 5.0);
  for (int i = 20; i < 25; ++i) values[static_cast<std::size_t>(i)] = 7.0;
  const auto episodes = evaluate_alert(rule, values, 1_s);
  CHECK(episodes == std::vector<AlertEpisode>{{at(11_s), at(11_s), at(13_s)}, {at(21_s), at(21_s), at(26_s)}});
}

TEST_CASE("The evaluator reports fired and resolved at the evaluations where they happen", "[alerts]") {
  AlertEvaluator alert(AlertRule{Comparison::less, 0.5, 30_s});  // e.g. success ratio < 0.5 for 30 s
  CHECK(alert.evaluate(at(0_s), 0.9) == AlertTransition::none);
  CHECK(alert.state() == AlertState::inactive);
  CHECK(alert.evaluate(at(15_s), 0.2) == AlertTransition::none);
  CHECK(alert.state() == AlertState::pending);
  CHECK(alert.active_at() == at(15_s));
  CHECK(alert.evaluate(at(30_s), 0.2) == AlertTransition::none);  // pending 15 s
  CHECK(alert.evaluate(at(45_s), 0.1) == AlertTransition::fired);  // pending 30 s
  CHECK(alert.state() == AlertState::firing);
  CHECK(alert.evaluate(at(60_s), 0.3) == AlertTransition::none);
  CHECK(alert.evaluate(at(75_s), 0.8) == AlertTransition::resolved);
  CHECK(alert.state() == AlertState::inactive);
  CHECK(alert.episodes() == std::vector<AlertEpisode>{{at(15_s), at(45_s), at(75_s)}});
}

TEST_CASE("Missing data (NaN) never breaches a rule, whatever the comparison", "[alerts]") {
  const double no_data = std::numeric_limits<double>::quiet_NaN();
  for (auto op : {Comparison::greater, Comparison::greater_equal, Comparison::less, Comparison::less_equal,
                  Comparison::equal, Comparison::not_equal}) {
    CHECK_FALSE(AlertRule{op, 10.0, Duration::zero()}.breached_by(no_data));
  }
  // A gap in the data resets a pending alert like a clean value does.
  auto values = per_second(300, 100, 250, 20.0);
  values[150] = no_data;
  CHECK(evaluate_alert(kThrottled, values, 1_s).front().active_at == at(152_s));
}

TEST_CASE("Comparisons compare the metric to the threshold as written", "[alerts]") {
  auto breached = [](Comparison op, double v) { return AlertRule{op, 10.0, Duration::zero()}.breached_by(v); };
  CHECK(breached(Comparison::greater, 10.5));
  CHECK_FALSE(breached(Comparison::greater, 10.0));
  CHECK(breached(Comparison::greater_equal, 10.0));
  CHECK(breached(Comparison::less, 9.5));
  CHECK_FALSE(breached(Comparison::less, 10.0));
  CHECK(breached(Comparison::less_equal, 10.0));
  CHECK(breached(Comparison::equal, 10.0));
  CHECK_FALSE(breached(Comparison::equal, 10.5));
  CHECK(breached(Comparison::not_equal, 10.5));
}

TEST_CASE("Alerts evaluate a TimeSeries of per-second counts bin by bin", "[alerts]") {
  // 15 throttled requests in every second from 30 s to 119 s: pending from
  // 31 s, firing at 91 s, resolved at 121 s.
  TimeSeries throttled(1_s, 300_s);
  for (int s = 30; s < 120; ++s)
    for (int k = 0; k < 15; ++k) throttled.add(at(Duration::milliseconds(s * 1000 + k * 50)));
  const auto episodes = evaluate_alert(kThrottled, throttled);
  CHECK(episodes == std::vector<AlertEpisode>{{at(31_s), at(91_s), at(121_s)}});
}
