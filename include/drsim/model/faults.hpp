// Faults on a timeline: what breaks, when, and when it recovers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drsim/core/random.hpp"
#include "drsim/core/time.hpp"

namespace drsim {

enum class FaultKind : std::uint8_t {
  gateway_deleted,     // gateway Deployment deleted: connections refused (see LoadBalancer)
  gateway_blackholed,  // packets to the gateway dropped: connect timeouts
  region_outage,       // the whole region: every balancer in it gone (timeouts)
  gray_failure,        // a share of requests fail with 503 and all get slower
  partition,           // links taken down (e.g. probe sites cut off from a region)
  gtm_outage,          // resolvers cannot reach the GTM (serve-stale or SERVFAIL)
};

/// A fixed time, or one drawn uniformly per replication.
struct TimeSpec {
  Duration lo;
  Duration hi;  // == lo for a fixed time
  [[nodiscard]] bool random() const { return hi > lo; }
  [[nodiscard]] TimePoint draw(RandomStream& rng) const {
    if (!random()) return TimePoint::start() + lo;
    return TimePoint::start() + lo + Duration::nanoseconds(static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>((hi - lo).ns()) + 1)));
  }
};

struct FaultSpec {
  FaultKind kind = FaultKind::gateway_deleted;
  std::vector<std::size_t> clusters;                        // gateway faults, gray failure
  std::size_t region = 0;                                   // region outage
  std::vector<std::pair<std::size_t, std::size_t>> links;   // partition: node pairs whose links go down
  TimeSpec at;
  std::optional<Duration> duration;                         // recover after; nullopt: never
  double error_share = 0;                                   // gray failure
  Duration extra_latency;                                   // gray failure
};

}  // namespace drsim
