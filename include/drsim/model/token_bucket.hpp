// Envoy's local rate limit (envoy.filters.http.local_ratelimit), the filter
// behind ASM's ASMLocalRateLimiter: a token bucket that admits a request when
// it holds a token and answers 429 (`local_rate_limited`) otherwise.
//
// Two refill semantics, because the gateway fleet in a drill may run either:
//   - timer (Envoy < 1.31): a timer adds `tokens_per_fill` every
//     `fill_interval`, capped at `max_tokens`. Tokens arrive in steps, so a
//     full bucket drained just before a tick is full again just after it:
//     up to 2 x quota can pass in an instant around a tick.
//   - continuous (Envoy >= 1.31): tokens accrue lazily at
//     tokens_per_fill / fill_interval per second, up to `max_tokens`,
//     fractions included. No tick, no 2x burst beyond `max_tokens`.
// Both start full. Neither needs simulator events: the timer's effect is a
// function of how many ticks have elapsed, computed when a request arrives.
//
// Scope: one bucket per Envoy process (per gateway pod), shared by its
// workers (`LocalRateLimit`), or with `per_downstream_connection` one bucket
// per client connection, full when the connection opens
// (`PerConnectionRateLimit`).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "drsim/core/error.hpp"
#include "drsim/core/fields.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/sources.hpp"

namespace drsim {

/// A token-bucket configuration Envoy would refuse (fill_interval below
/// 50 ms, no tokens, ...).
class RateLimitConfigError : public ParameterError {
 public:
  using ParameterError::ParameterError;
};

/// How the bucket gets its tokens back (see the file comment).
enum class TokenRefill : std::uint8_t {
  timer,       ///< Envoy < 1.31: +tokens_per_fill at every fill_interval tick
  continuous,  ///< Envoy >= 1.31: lazy refill at tokens_per_fill / fill_interval
};
constexpr std::array<std::string_view, 2> enum_names(TokenRefill) { return {"timer", "continuous"}; }

/// The `token_bucket` of a local_ratelimit config, plus which refill
/// semantics the Envoy version has.
struct TokenBucketConfig {
  std::int64_t max_tokens = 100;
  std::int64_t tokens_per_fill = 100;
  Duration fill_interval = Duration::seconds(1);
  TokenRefill refill = TokenRefill::continuous;

  /// ASM's `quota` per `fill_interval`: both max_tokens and tokens_per_fill
  /// become the quota. ASM does not document this mapping; it is inferred.
  static TokenBucketConfig from_quota(std::int64_t quota, Duration fill_interval, TokenRefill refill) {
    return TokenBucketConfig{quota, quota, fill_interval, refill};
  }

  /// Throws RateLimitConfigError for what Envoy rejects at config load, and
  /// for a bucket too large to account exactly in nanoseconds.
  void validate() const {
    // Envoy refuses a fill timer faster than 50 ms.
    if (fill_interval < Duration::milliseconds(50)) {
      throw RateLimitConfigError("local rate limit: fill_interval must be at least 50ms, got " +
                                 to_string(fill_interval));
    }
    if (max_tokens < 1) {
      throw RateLimitConfigError("local rate limit: max_tokens must be at least 1, got " + std::to_string(max_tokens));
    }
    if (tokens_per_fill < 1) {
      throw RateLimitConfigError("local rate limit: tokens_per_fill must be at least 1, got " +
                                 std::to_string(tokens_per_fill));
    }
    std::int64_t product = 0;
    if (__builtin_mul_overflow(max_tokens, fill_interval.ns(), &product)) {
      throw RateLimitConfigError("local rate limit: max_tokens x fill_interval is too large (" +
                                 std::to_string(max_tokens) + " x " + to_string(fill_interval) + ")");
    }
  }
};

/// A gateway's local rate limit as ASM's ASMLocalRateLimiter writes it: a
/// quota per fill interval, one bucket per gateway pod.
struct RateLimitSpec {
  Duration fill_interval = Duration::seconds(1);
  std::int64_t quota = 100;
  std::optional<std::int64_t> max_tokens;  // unset: the quota
  TokenRefill refill = TokenRefill::timer;
  bool per_downstream_connection = false;  // a full bucket per new connection
  std::int64_t port = 80;                  // accepted, not modelled
  std::string route;                       // accepted, not modelled

  [[nodiscard]] TokenBucketConfig bucket() const {
    TokenBucketConfig tb = TokenBucketConfig::from_quota(quota, fill_interval, refill);
    tb.max_tokens = max_tokens.value_or(quota);
    return tb;
  }
};

template <>
inline const FieldTable& fields_of<RateLimitSpec>() {
  static const FieldTable table = FieldTable::build<RateLimitSpec>("rate limit", [](auto& t) {
    using P = RateLimitSpec;
    t.means("Envoy's local rate limit on the gateway, one token bucket per pod (ASMLocalRateLimiter)");
    t.add("fill_interval", &P::fill_interval).at_least(0.05).in_unit("s")
        .means("the bucket's refill period (Envoy rejects faster timers than 50ms)")
        .expecting("(Envoy rejects faster timers)").source_is(kSourceEnvoyLocalRateLimit);
    t.add("quota", &P::quota).range(1, 1e9).in_unit("tokens")
        .means("tokens per fill interval (ASM's quota)").source_is(kSourceSeedDrill);
    t.add("max_tokens", &P::max_tokens).range(1, 1e9).in_unit("tokens")
        .means("the bucket's size; ASM maps quota to both max_tokens and tokens_per_fill (inferred: ASM does not "
               "document it)")
        .default_is("the quota").source_is("assumption");
    t.add("refill", &P::refill)
        .means("timer: +quota at every fill tick (Envoy < 1.31); continuous: lazy refill at quota / fill_interval "
               "(Envoy >= 1.31)")
        .source_is(kSourceEnvoyRefill1_31);
    t.add("per_downstream_connection", &P::per_downstream_connection)
        .means("one bucket per downstream connection instead of per pod: a kept-alive connection keeps its bucket "
               "across requests, a connection opened for one request starts full and always passes")
        .source_is(kSourceEnvoyLocalRateLimitDocs);
    t.add("port", &P::port).range(1, 65535).means("the gateway port the limit applies to (not modelled)")
        .source_is(kSourceSeedDrill);
    t.add("route", &P::route).means("the route the limit applies to (not modelled)").source_is(kSourceSeedDrill);
  });
  return table;
}

/// Envoy's `<stat_prefix>.http_local_rate_limit.*` counters. With the filter
/// enabled and enforced for every request, `enforced` equals `rate_limited`,
/// so it is not kept separately.
struct RateLimitCounters {
  std::uint64_t enabled = 0;       ///< requests the filter evaluated
  std::uint64_t ok = 0;            ///< requests that got a token
  std::uint64_t rate_limited = 0;  ///< requests answered 429

  RateLimitCounters& operator+=(const RateLimitCounters& o) {
    enabled += o.enabled;
    ok += o.ok;
    rate_limited += o.rate_limited;
    return *this;
  }
  friend bool operator==(const RateLimitCounters&, const RateLimitCounters&) = default;
};

/// One token bucket. `admit` is O(1) and never allocates. Calls are expected
/// in non-decreasing time; an earlier time is treated as the latest one seen.
class TokenBucket {
 public:
  /// A full bucket whose fill timer (timer mode) is armed at `start`: ticks
  /// fall at start + k x fill_interval, and a request arriving at a tick's
  /// instant already sees that tick's tokens.
  TokenBucket(const TokenBucketConfig& config, TimePoint start) : config_(config) {
    config_.validate();
    reset(start);
  }

  /// Takes a token if there is one. Counts the request either way.
  bool admit(TimePoint now) {
    ++counters_.enabled;
    refill(now);
    if (balance_ >= token_cost()) {
      balance_ -= token_cost();
      ++counters_.ok;
      return true;
    }
    ++counters_.rate_limited;
    return false;
  }

  /// Whole tokens the bucket holds at `now` (does not change the bucket).
  [[nodiscard]] std::int64_t available_tokens(TimePoint now) const {
    TokenBucket copy = *this;
    copy.refill(now);
    return copy.balance_ / copy.token_cost();
  }

  /// Full again, timer re-armed at `start` (a restarted Envoy).
  void reset(TimePoint start) {
    origin_ = start;
    last_ = start;
    last_tick_ = 0;
    next_tick_at_ = start + config_.fill_interval;
    balance_ = capacity();
  }

  [[nodiscard]] const RateLimitCounters& counters() const { return counters_; }
  [[nodiscard]] const TokenBucketConfig& config() const { return config_; }

 private:
  // Timer mode keeps whole tokens. Continuous mode keeps credit in units of
  // 1 / fill_interval_ns of a token, so refilling tokens_per_fill units per
  // nanosecond is exact integer arithmetic: no drift over a long run.
  [[nodiscard]] std::int64_t token_cost() const {
    return config_.refill == TokenRefill::timer ? 1 : config_.fill_interval.ns();
  }
  [[nodiscard]] std::int64_t capacity() const { return config_.max_tokens * token_cost(); }

  void refill(TimePoint now) {
    if (now <= last_) return;
    if (config_.refill == TokenRefill::timer) {
      if (now < next_tick_at_) {  // no tick since the last request: no division on the request path
        last_ = now;
        return;
      }
      const std::int64_t tick = (now - origin_) / config_.fill_interval;
      next_tick_at_ = origin_ + config_.fill_interval * (tick + 1);
      const std::int64_t ticks = tick - last_tick_;
      last_tick_ = tick;
      balance_ = add_capped(balance_, ticks, config_.tokens_per_fill);
    } else {
      balance_ = add_capped(balance_, (now - last_).ns(), config_.tokens_per_fill);
    }
    last_ = now;
  }

  // balance + steps x per_step, capped at capacity, without overflowing when
  // the bucket sat idle for a long time.
  [[nodiscard]] std::int64_t add_capped(std::int64_t balance, std::int64_t steps, std::int64_t per_step) const {
    const std::int64_t room = capacity() - balance;
    if (steps <= 0 || room <= 0) return std::min(balance, capacity());
    if (steps >= room / per_step + 1) return capacity();
    return std::min(capacity(), balance + steps * per_step);
  }

  TokenBucketConfig config_;
  TimePoint origin_;            // when the fill timer was armed (timer mode)
  TimePoint last_;              // latest time seen
  std::int64_t last_tick_ = 0;  // fill-timer ticks already credited (timer mode)
  TimePoint next_tick_at_;      // when tick last_tick_ + 1 falls (timer mode)
  std::int64_t balance_ = 0;    // tokens, in units of token_cost()
  RateLimitCounters counters_;
};

/// The local rate limit of a gateway Deployment: one bucket per pod, shared
/// by that pod's workers. The Deployment admits at most
/// replicas x tokens_per_fill per fill_interval in steady state.
class LocalRateLimit {
 public:
  explicit LocalRateLimit(const TokenBucketConfig& config) : config_(config) { config_.validate(); }

  /// A new pod with a full bucket, its fill timer armed at `started`.
  /// Returns the pod's index, used by `admit`.
  std::size_t add_pod(TimePoint started) {
    buckets_.emplace_back(config_, started);
    return buckets_.size() - 1;
  }
  /// The pod's Envoy restarted: full bucket, timer re-armed (counters kept).
  void restart_pod(std::size_t pod, TimePoint started) { buckets_.at(pod).reset(started); }

  bool admit(std::size_t pod, TimePoint now) { return buckets_[pod].admit(now); }

  [[nodiscard]] std::size_t pods() const { return buckets_.size(); }
  [[nodiscard]] const TokenBucket& bucket(std::size_t pod) const { return buckets_.at(pod); }
  [[nodiscard]] const TokenBucketConfig& config() const { return config_; }
  /// Counters summed over every pod.
  [[nodiscard]] RateLimitCounters counters() const {
    RateLimitCounters total;
    for (const auto& b : buckets_) total += b.counters();
    return total;
  }

 private:
  TokenBucketConfig config_;
  std::vector<TokenBucket> buckets_;
};

/// `per_downstream_connection: true`: each client connection gets its own
/// bucket, full when the connection opens. Slots of closed connections are
/// reused, so a steady open/close churn allocates nothing.
class PerConnectionRateLimit {
 public:
  using ConnectionId = std::uint32_t;

  explicit PerConnectionRateLimit(const TokenBucketConfig& config) : config_(config) { config_.validate(); }

  /// A new connection with a full bucket.
  ConnectionId open_connection(TimePoint now) {
    if (!free_.empty()) {
      const ConnectionId id = free_.back();
      free_.pop_back();
      buckets_[id] = TokenBucket(config_, now);
      open_[id] = true;
      ++generation_[id];
      ++open_count_;
      return id;
    }
    buckets_.emplace_back(config_, now);
    open_.push_back(true);
    generation_.push_back(0);
    ++open_count_;
    return static_cast<ConnectionId>(buckets_.size() - 1);
  }

  /// Closes the connection; its counts stay in `counters()`.
  void close_connection(ConnectionId id) {
    if (id >= buckets_.size() || !open_[id]) throw std::out_of_range("close_connection: connection is not open");
    closed_ += buckets_[id].counters();
    open_[id] = false;
    --open_count_;
    free_.push_back(id);
  }

  bool admit(ConnectionId id, TimePoint now) { return buckets_[id].admit(now); }
  /// How many connections had the id before the one open now (or last): ids are reused.
  [[nodiscard]] std::uint32_t generation(ConnectionId id) const { return generation_[id]; }
  /// Whether the connection that had `generation` of the id is still open.
  [[nodiscard]] bool is_open(ConnectionId id, std::uint32_t generation) const {
    return id < buckets_.size() && open_[id] && generation_[id] == generation;
  }

  [[nodiscard]] std::size_t open_connections() const { return open_count_; }
  /// Counters over every connection, open or closed.
  [[nodiscard]] RateLimitCounters counters() const {
    RateLimitCounters total = closed_;
    for (std::size_t i = 0; i < buckets_.size(); ++i)
      if (open_[i]) total += buckets_[i].counters();
    return total;
  }
  /// Pre-sizes for `connections` open at once.
  void reserve(std::size_t connections) {
    buckets_.reserve(connections);
    open_.reserve(connections);
    generation_.reserve(connections);
    free_.reserve(connections);
  }

 private:
  TokenBucketConfig config_;
  std::vector<TokenBucket> buckets_;
  std::vector<bool> open_;
  std::vector<std::uint32_t> generation_;
  std::vector<ConnectionId> free_;
  std::size_t open_count_ = 0;
  RateLimitCounters closed_;
};

}  // namespace drsim
