// Specification of the Envoy local rate limit token bucket (both refill
// semantics) and its per-pod and per-connection scopes.
#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "drsim/model/token_bucket.hpp"

using namespace drsim;
using namespace drsim::literals;

namespace {

TimePoint at(Duration d) { return TimePoint::start() + d; }

// Offers `n` requests at the same instant; returns how many were admitted.
std::int64_t burst(TokenBucket& bucket, TimePoint t, int n) {
  std::int64_t admitted = 0;
  for (int i = 0; i < n; ++i) admitted += bucket.admit(t) ? 1 : 0;
  return admitted;
}

// Offers `n` requests spaced `gap` apart from t = 0; returns how many were admitted.
std::int64_t constant_arrivals(TokenBucket& bucket, int n, Duration gap) {
  std::int64_t admitted = 0;
  for (int i = 0; i < n; ++i) admitted += bucket.admit(at(gap * i)) ? 1 : 0;
  return admitted;
}

// The drill's limit: quota 100 per 1 s fill_interval, so max_tokens = tokens_per_fill = 100.
TokenBucketConfig drill_limit(TokenRefill refill) { return TokenBucketConfig::from_quota(100, 1_s, refill); }

}  // namespace

TEST_CASE("A fill_interval under 50 ms is rejected with a clear invalid_argument", "[ratelimit]") {
  auto config = drill_limit(TokenRefill::timer);
  config.fill_interval = 49_ms;
  CHECK_THROWS_AS(TokenBucket(config, TimePoint::start()), RateLimitConfigError);
  CHECK_THROWS_AS(LocalRateLimit(config), std::invalid_argument);
  CHECK_THROWS_WITH(config.validate(), Catch::Contains("fill_interval must be at least 50ms, got 49ms"));

  config.fill_interval = 50_ms;  // the boundary itself is allowed
  CHECK_NOTHROW(config.validate());

  SECTION("so is a bucket without tokens") {
    config.max_tokens = 0;
    CHECK_THROWS_WITH(config.validate(), Catch::Contains("max_tokens must be at least 1"));
  }
  SECTION("or a refill without tokens") {
    config.tokens_per_fill = 0;
    CHECK_THROWS_WITH(config.validate(), Catch::Contains("tokens_per_fill must be at least 1"));
  }
}

TEST_CASE("ASM quota and fill_interval map to max_tokens = tokens_per_fill = quota", "[ratelimit]") {
  const auto config = TokenBucketConfig::from_quota(100, 1_s, TokenRefill::continuous);
  CHECK(config.max_tokens == 100);
  CHECK(config.tokens_per_fill == 100);
  CHECK(config.fill_interval == 1_s);
  CHECK(config.refill == TokenRefill::continuous);
}

TEST_CASE("A bucket starts full and counts enabled, ok and rate_limited", "[ratelimit]") {
  for (auto refill : {TokenRefill::timer, TokenRefill::continuous}) {
    TokenBucket bucket(drill_limit(refill), TimePoint::start());
    CHECK(bucket.available_tokens(TimePoint::start()) == 100);
    // 150 requests at t = 0 against a full bucket of 100: 100 ok, 50 limited.
    CHECK(burst(bucket, TimePoint::start(), 150) == 100);
    CHECK(bucket.counters() == RateLimitCounters{150, 100, 50});
    CHECK(bucket.available_tokens(TimePoint::start()) == 0);
  }
}

TEST_CASE("Below its quota the bucket admits every request in both refill modes", "[ratelimit]") {
  // 50 req/s (every 20 ms) for 10 s against 100 tokens/s: 500 offered, 500 admitted.
  for (auto refill : {TokenRefill::timer, TokenRefill::continuous}) {
    TokenBucket bucket(drill_limit(refill), TimePoint::start());
    CHECK(constant_arrivals(bucket, 500, 20_ms) == 500);
    CHECK(bucket.counters().rate_limited == 0);
  }
}

TEST_CASE("Under constant overload the timer bucket admits one quota per fill window", "[ratelimit]") {
  // 200 req/s (every 5 ms, t_i = 5 ms x i, i = 0..1999, last at 9.995 s).
  // Window [0, 1 s) starts with the full 100 tokens; each tick at k = 1..9 s
  // refills the empty bucket to 100 and the request arriving exactly at the
  // tick already sees them. Every window offers 200 and admits 100:
  // 10 windows x 100 = 1000.
  TokenBucket bucket(drill_limit(TokenRefill::timer), TimePoint::start());
  CHECK(constant_arrivals(bucket, 2000, 5_ms) == 1000);
  CHECK(bucket.counters() == RateLimitCounters{2000, 1000, 1000});
}

TEST_CASE("Under constant overload the continuous bucket admits floor(max_tokens + rate x t_last)", "[ratelimit]") {
  // Same 200 req/s, refill 100 tokens/s = 0.5 token per 5 ms gap.
  // Before arrival i the credit is 100 + 0.5 i - i = 100 - 0.5 i (full at
  // t = 0, never capped again), which is >= 1 for i <= 198: 199 admitted.
  // From then on the credit alternates 0.5 (odd i: limited) and 1.0 (even i:
  // admitted), so the even i in 200..1998 add (1998 - 200) / 2 + 1 = 900.
  // 199 + 900 = 1099 = floor(100 + 100/s x 9.995 s) = floor(1099.5).
  TokenBucket bucket(drill_limit(TokenRefill::continuous), TimePoint::start());
  CHECK(constant_arrivals(bucket, 2000, 5_ms) == 1099);
  CHECK(bucket.counters() == RateLimitCounters{2000, 1099, 901});
}

TEST_CASE("The timer bucket lets up to 2 x quota through around a tick, the continuous one does not",
          "[ratelimit]") {
  // Two bursts of 150, 1 ms before and 1 ms after the tick at t = 1 s.
  SECTION("timer: 100 before the tick from the full bucket, 100 after it from the refill = 200 in 2 ms") {
    TokenBucket bucket(drill_limit(TokenRefill::timer), TimePoint::start());
    CHECK(burst(bucket, at(999_ms), 150) == 100);
    CHECK(burst(bucket, at(1001_ms), 150) == 100);
  }
  SECTION("continuous: 100 from the full bucket, then 2 ms x 100/s = 0.2 token, so nothing") {
    TokenBucket bucket(drill_limit(TokenRefill::continuous), TimePoint::start());
    CHECK(burst(bucket, at(999_ms), 150) == 100);
    CHECK(burst(bucket, at(1001_ms), 150) == 0);
    // A full second after the first burst it holds 100 x 1.0 s = 100 tokens again.
    CHECK(burst(bucket, at(1999_ms), 150) == 100);
  }
}

TEST_CASE("Bursty arrivals: 30 every 100 ms admit 1000 with the timer and 1090 continuously", "[ratelimit]") {
  // Bursts of 30 at t_j = 50 ms + 100 ms x j, j = 0..99 (last at 9.95 s): 300 req/s offered.
  auto run = [](TokenRefill refill) {
    TokenBucket bucket(drill_limit(refill), TimePoint::start());
    std::int64_t admitted = 0;
    for (int j = 0; j < 100; ++j) admitted += burst(bucket, at(50_ms + 100_ms * j), 30);
    return admitted;
  };
  // Timer: each 1 s window holds 10 bursts (300 offered) and gets 100 tokens:
  // 30 + 30 + 30 + 10, then nothing until the tick. 10 windows x 100 = 1000.
  CHECK(run(TokenRefill::timer) == 1000);
  // Continuous: full (100, capped) at 50 ms. Bursts take 30, 30, 30, 30 while
  // the credit goes 100 -> 70 -> 80/50 -> 60/30 -> 40/10, burst 4 takes the
  // remaining 20, and each of bursts 5..99 takes the 10 tokens accrued in
  // 100 ms: 4 x 30 + 20 + 95 x 10 = 1090 = 100 + 100/s x (9.95 - 0.05) s.
  CHECK(run(TokenRefill::continuous) == 1090);
}

TEST_CASE("Timer refill comes in tokens_per_fill steps, continuous refill in fractions, both capped at max_tokens",
          "[ratelimit]") {
  // max_tokens 50, 20 tokens per 100 ms (200 tokens/s).
  TokenBucketConfig config{50, 20, 100_ms, TokenRefill::timer};
  SECTION("timer") {
    TokenBucket bucket(config, TimePoint::start());
    CHECK(burst(bucket, TimePoint::start(), 100) == 50);  // starts full at max_tokens
    CHECK(burst(bucket, at(150_ms), 100) == 20);          // one tick (100 ms) since: 1 x 20
    CHECK(burst(bucket, at(10_s), 100) == 50);            // 98 ticks of 20, capped at 50
  }
  SECTION("continuous") {
    config.refill = TokenRefill::continuous;
    TokenBucket bucket(config, TimePoint::start());
    CHECK(burst(bucket, TimePoint::start(), 100) == 50);
    CHECK(burst(bucket, at(150_ms), 100) == 30);  // 150 ms x 200/s = 30
    CHECK(burst(bucket, at(10_s), 100) == 50);    // 9.85 s x 200/s = 1970, capped at 50
  }
}

TEST_CASE("A long idle period refills to max_tokens without overflowing", "[ratelimit]") {
  for (auto refill : {TokenRefill::timer, TokenRefill::continuous}) {
    TokenBucket bucket(TokenBucketConfig{1'000'000, 1'000'000, 50_ms, refill}, TimePoint::start());
    CHECK(burst(bucket, TimePoint::start(), 10) == 10);
    // 100 years later: 6.3e10 ticks x 1e6 tokens would overflow int64 if not capped first.
    CHECK(bucket.available_tokens(at(Duration::seconds(100LL * 365 * 86400))) == 1'000'000);
  }
}

TEST_CASE("A gateway Deployment's local rate limit is one bucket per pod, replicas x quota in total",
          "[ratelimit]") {
  LocalRateLimit limit(drill_limit(TokenRefill::timer));
  for (int i = 0; i < 3; ++i) limit.add_pod(TimePoint::start());
  REQUIRE(limit.pods() == 3);

  // 200 requests per pod at 0.5 s: each pod's own 100 tokens, 3 x 100 = 300 admitted.
  std::int64_t admitted = 0;
  for (int i = 0; i < 600; ++i) admitted += limit.admit(static_cast<std::size_t>(i % 3), at(500_ms)) ? 1 : 0;
  CHECK(admitted == 300);
  CHECK(limit.counters() == RateLimitCounters{600, 300, 300});
  CHECK(limit.bucket(0).counters() == RateLimitCounters{200, 100, 100});

  SECTION("a restarted pod comes back full, with its fill timer re-armed at the restart") {
    limit.restart_pod(1, at(600_ms));  // ticks now at 1.6 s, 2.6 s, ...
    CHECK(limit.bucket(1).available_tokens(at(700_ms)) == 100);
    CHECK(limit.bucket(0).available_tokens(at(700_ms)) == 0);  // pod 0 waits for its tick at 1 s
    for (int i = 0; i < 100; ++i) limit.admit(1, at(700_ms));
    CHECK(limit.bucket(0).available_tokens(at(1500_ms)) == 100);  // ticked at 1 s
    CHECK(limit.bucket(1).available_tokens(at(1500_ms)) == 0);    // drained at 0.7 s, next tick at 1.6 s
    CHECK(limit.bucket(1).available_tokens(at(1600_ms)) == 100);
  }
}

TEST_CASE("per_downstream_connection gives every connection its own bucket, full when it opens", "[ratelimit]") {
  PerConnectionRateLimit limit(TokenBucketConfig::from_quota(10, 1_s, TokenRefill::continuous));
  const auto a = limit.open_connection(TimePoint::start());
  const auto b = limit.open_connection(TimePoint::start());
  CHECK(limit.open_connections() == 2);

  // 15 requests on each connection at t = 0: 10 from each connection's own bucket.
  int admitted_a = 0, admitted_b = 0;
  for (int i = 0; i < 15; ++i) {
    admitted_a += limit.admit(a, TimePoint::start()) ? 1 : 0;
    admitted_b += limit.admit(b, TimePoint::start()) ? 1 : 0;
  }
  CHECK(admitted_a == 10);
  CHECK(admitted_b == 10);

  // A new connection 10 ms later starts full even though a and b are empty.
  limit.close_connection(a);
  const auto c = limit.open_connection(at(10_ms));
  CHECK(c == a);  // the closed connection's slot is reused
  int admitted_c = 0;
  for (int i = 0; i < 15; ++i) admitted_c += limit.admit(c, at(10_ms)) ? 1 : 0;
  CHECK(admitted_c == 10);

  // Counts of the closed connection stay: 45 evaluated, 30 ok, 15 limited.
  CHECK(limit.counters() == RateLimitCounters{45, 30, 15});
  CHECK(limit.open_connections() == 2);
  CHECK_THROWS_AS(limit.close_connection(a + 100), std::out_of_range);
}
