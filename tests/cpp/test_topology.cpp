#include <catch2/catch.hpp>

#include "drsim/model/topology.hpp"

using namespace drsim;
using namespace drsim::literals;

TEST_CASE("RTTs are shortest paths over the links", "[topology]") {
  Topology t;
  const auto r1 = t.add_region("region-1");
  const auto r2 = t.add_region("region-2");
  t.add_cluster("cluster-1", r1);
  const auto users = t.add_site("users", SiteKind::client);
  const auto probe = t.add_site("probe", SiteKind::probe);
  const auto hub = t.add_site("hub", SiteKind::transit);
  t.add_link(users, t.region_node(r1), 5_ms);
  t.add_link(probe, hub, 3_ms);
  const auto direct = t.add_link(probe, t.region_node(r2), 20_ms);
  t.add_link(hub, t.region_node(r2), 4_ms);
  CHECK(*t.rtt(probe, t.region_node(r2)) == 7_ms);  // via the hub, not the 20 ms link
  CHECK_FALSE(t.rtt(users, t.region_node(r2)).has_value());
  CHECK(t.find_region("region-2") == r2);
  CHECK(t.find_cluster("cluster-1") == 0);
  CHECK(t.find_cluster("nope") == Topology::npos);

  SECTION("client and probe sites never carry other traffic") {
    // users -> region-1 is 5 ms; a client site linked to both regions is not a bridge.
    const auto other = t.add_site("other-users", SiteKind::client);
    t.add_link(other, t.region_node(r1), 1_ms);
    t.add_link(other, t.region_node(r2), 1_ms);
    CHECK_FALSE(t.rtt(users, t.region_node(r2)).has_value());
    CHECK(*t.rtt(other, t.region_node(r2)) == 1_ms);
  }
  SECTION("a partition cuts the probe path and leaves user paths alone") {
    for (auto l : t.links_between(probe, hub)) t.set_link_up(l, false);
    t.set_link_up(direct, false);
    CHECK_FALSE(t.rtt(probe, t.region_node(r2)).has_value());
    CHECK(*t.rtt(users, t.region_node(r1)) == 5_ms);
    t.set_link_up(direct, true);
    CHECK(*t.rtt(probe, t.region_node(r2)) == 20_ms);
  }
}
