#include <catch2/catch.hpp>

#include <limits>

#include "drsim/core/time.hpp"

using namespace drsim;
using namespace drsim::literals;

TEST_CASE("Durations are int64 nanoseconds with literals", "[time]") {
  CHECK((15_s).ns() == 15'000'000'000);
  CHECK((250_ms).ns() == 250'000'000);
  CHECK((2_min).ns() == 120'000'000'000);
  CHECK((1_h) == 60_min);
  CHECK(1_s + 500_ms == Duration::from_seconds(1.5));
  CHECK((TimePoint::start() + 3_s) - TimePoint::start() == 3_s);
}

TEST_CASE("Duration text parses in Go's notation", "[time]") {
  CHECK(parse_duration("1m30s") == 90_s);
  CHECK(parse_duration("250ms") == 250_ms);
  CHECK(parse_duration("2h") == 2_h);
  CHECK(parse_duration("1.5s") == 1500_ms);
  CHECK(parse_duration("10us") == 10_us);
  CHECK(parse_duration("3min") == 3_min);
  CHECK(parse_duration("0") == Duration::zero());
  CHECK(parse_duration("-3s") == -(3_s));

  SECTION("and prints back in the shortest exact form") {
    CHECK(to_string(90_s) == "1m30s");
    CHECK(to_string(250_ms) == "250ms");
    CHECK(to_string(2_h) == "2h");
    CHECK(to_string(1500_ms) == "1.5s");
    CHECK(to_string(Duration::zero()) == "0s");
    CHECK(to_string(-(3_s)) == "-3s");
    for (const char* s : {"1m30s", "250ms", "2h", "1.5s", "1h0m5s", "45s"}) {
      CHECK(parse_duration(to_string(parse_duration(s))) == parse_duration(s));
    }
  }
}

TEST_CASE("Bad duration text is rejected with a message naming it", "[time]") {
  CHECK_THROWS_WITH(parse_duration(""), Catch::Contains("empty"));
  CHECK_THROWS_WITH(parse_duration("15"), Catch::Contains("\"15\"") && Catch::Contains("missing unit"));
  CHECK_THROWS_WITH(parse_duration("15x"), Catch::Contains("unknown unit"));
  CHECK_THROWS_WITH(parse_duration("s"), Catch::Contains("expected a number"));
  CHECK_THROWS_WITH(parse_duration("999999999h"), Catch::Contains("too large"));
  CHECK_THROWS_WITH(parse_nonnegative_duration("-1s"), Catch::Contains("must not be negative"));
}

TEST_CASE("Time arithmetic rejects overflow instead of wrapping", "[time]") {
  CHECK_THROWS_AS(Duration::max() + 1_ns, TimeError);
  CHECK_THROWS_AS(TimePoint::max() + 1_s, TimeError);
  CHECK_THROWS_AS(Duration::seconds(INT64_MAX / 2), TimeError);
  CHECK_THROWS_AS(Duration::from_seconds(1e300), TimeError);
  SECTION("differences: an overflow throws, every difference that fits is exact, to the last nanosecond") {
    constexpr std::int64_t lo = std::numeric_limits<std::int64_t>::min();
    CHECK_THROWS_AS(Duration::nanoseconds(-2) - Duration::max(), TimeError);
    CHECK_THROWS_AS(Duration::zero() - Duration::nanoseconds(lo), TimeError);
    CHECK_THROWS_AS(TimePoint::from_ns(-2) - TimePoint::max(), TimeError);
    CHECK_THROWS_AS(TimePoint::start() - Duration::nanoseconds(lo), TimeError);
    CHECK((Duration::nanoseconds(-1) - Duration::max()).ns() == lo);
    CHECK((Duration::nanoseconds(-1) - Duration::nanoseconds(lo)).ns() == std::numeric_limits<std::int64_t>::max());
    CHECK((TimePoint::from_ns(-1) - TimePoint::max()).ns() == lo);
    CHECK((TimePoint::max() - Duration::max()).ns() == 0);
  }
}
