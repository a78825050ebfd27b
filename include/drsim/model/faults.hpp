// Faults on a timeline: what breaks, when, and when it recovers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drsim/core/fields.hpp"
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
constexpr std::array<std::string_view, 6> enum_names(FaultKind) {
  return {"gateway_deleted", "gateway_blackholed", "region_outage", "gray_failure", "partition", "gtm_outage"};
}

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

template <>
inline const FieldTable& fields_of<FaultSpec>() {
  static const FieldTable table = FieldTable::build<FaultSpec>("fault", [](auto& t) {
    using P = FaultSpec;
    t.means("Something that breaks at a time and may recover").discriminated_by("kind");
    t.add("kind", &P::kind)
        .means("gateway_deleted: no endpoints behind the balancer; gateway_blackholed: packets dropped; "
               "region_outage: every balancer of the region gone; gray_failure: a share of requests fail with 503 "
               "and all slow down; partition: links taken down; gtm_outage: resolvers cannot reach the GTM")
        .source_is("drsim convention");
    t.custom("at", FieldKind::time, "\"150s\" or {\"uniform\": [\"100s\", \"200s\"]}").must()
        .means("when it starts; a uniform start is drawn per replication");
    t.add("duration", &P::duration).positive().in_unit("s").means("recovers after this long")
        .default_is("never recovers").source_is("drsim convention");
    t.custom("target", FieldKind::reference, "a cluster or region name (region_outage: a region name)").must()
        .only({"gateway_deleted", "gateway_blackholed", "gray_failure", "region_outage"})
        .means("what breaks; a region name means its cluster");
    t.add("error_share", &P::error_share).as_share().only({"gray_failure"}).means("share of served requests that fail")
        .source_is("drsim convention");
    t.add("extra_latency", &P::extra_latency).in_unit("s").only({"gray_failure"}).means("added to every response")
        .source_is("drsim convention");
    t.custom("links", FieldKind::reference, "a non-empty array of [node, node] pairs, each joined by a link").must()
        .only({"partition"}).means("every link between each pair goes down");
  });
  return table;
}

}  // namespace drsim
