// Where things are and how far apart: regions (each with clusters, each
// cluster with one gateway behind a load balancer with a public address),
// client sites and GTM probe sites, joined by links with round-trip times.
// Round-trip times are shortest paths over the link graph (Boost.Graph's
// Dijkstra, in src/lib/topology.cpp), so cutting a link (a probe-path partition) can isolate probe
// sites from a region while users still reach it by another path. A client
// or probe site is never a hop on someone else's path: each such site is
// split into an entry and an exit vertex with no edge between them.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "drsim/core/error.hpp"
#include "drsim/core/time.hpp"

namespace drsim {

struct Cluster {
  std::string name;
  std::size_t region = 0;  // index into Topology::regions()
};

struct Region {
  std::string name;
  std::vector<std::size_t> clusters;  // indices into Topology::clusters()
};

/// Client and probe sites are path endpoints only: traffic never transits
/// through them. Regions and transit sites (exchanges, backbones) carry
/// traffic between other nodes.
enum class SiteKind : std::uint8_t { region, client, probe, transit };
constexpr std::array<std::string_view, 4> enum_names(SiteKind) { return {"region", "client", "probe", "transit"}; }

class Topology {
 public:
  static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

  std::size_t add_region(const std::string& name) {
    regions_.push_back({name, {}});
    region_node_.push_back(add_node(name, SiteKind::region));
    return regions_.size() - 1;
  }
  /// A cluster in a region; its gateway's public address has the same index.
  std::size_t add_cluster(const std::string& name, std::size_t region) {
    clusters_.push_back({name, region});
    regions_.at(region).clusters.push_back(clusters_.size() - 1);
    return clusters_.size() - 1;
  }
  std::size_t add_site(const std::string& name, SiteKind kind) { return add_node(name, kind); }

  /// A bidirectional link between two nodes (sites or regions) with its RTT.
  std::size_t add_link(std::size_t a, std::size_t b, Duration rtt) {
    if (rtt.is_negative()) throw ParameterError("link RTT must not be negative");
    links_.push_back({a, b, rtt, true});
    dirty_ = true;
    return links_.size() - 1;
  }
  void set_link_up(std::size_t link, bool up) {
    links_.at(link).up = up;
    dirty_ = true;
  }
  /// Node index of a region, for links and RTT queries.
  [[nodiscard]] std::size_t region_node(std::size_t region) const { return region_node_.at(region); }

  /// Shortest RTT between two nodes over links that are up; nullopt when cut off.
  [[nodiscard]] std::optional<Duration> rtt(std::size_t from, std::size_t to) const {
    if (dirty_) refresh();
    const std::int64_t d = dist_[from * nodes_.size() + to];
    if (d == kUnreachable) return std::nullopt;
    return Duration::nanoseconds(d);
  }

  [[nodiscard]] const std::vector<Region>& regions() const { return regions_; }
  [[nodiscard]] const std::vector<Cluster>& clusters() const { return clusters_; }
  [[nodiscard]] std::size_t node_count() const { return nodes_.size(); }
  [[nodiscard]] const std::string& node_name(std::size_t n) const { return nodes_.at(n).name; }
  [[nodiscard]] SiteKind node_kind(std::size_t n) const { return nodes_.at(n).kind; }
  [[nodiscard]] std::size_t find_node(const std::string& name) const {
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].name == name) return i;
    return npos;
  }
  [[nodiscard]] std::size_t find_region(const std::string& name) const {
    for (std::size_t i = 0; i < regions_.size(); ++i)
      if (regions_[i].name == name) return i;
    return npos;
  }
  [[nodiscard]] std::size_t find_cluster(const std::string& name) const {
    for (std::size_t i = 0; i < clusters_.size(); ++i)
      if (clusters_[i].name == name) return i;
    return npos;
  }
  /// Links touching a node (for partitions that isolate a site).
  [[nodiscard]] std::vector<std::size_t> links_between(std::size_t a, std::size_t b) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < links_.size(); ++i)
      if ((links_[i].a == a && links_[i].b == b) || (links_[i].a == b && links_[i].b == a)) out.push_back(i);
    return out;
  }

 private:
  static constexpr std::int64_t kUnreachable = std::numeric_limits<std::int64_t>::max();
  struct Node {
    std::string name;
    SiteKind kind;
  };
  struct Link {
    std::size_t a, b;
    Duration rtt;
    bool up;
  };

  std::size_t add_node(const std::string& name, SiteKind kind) {
    nodes_.push_back({name, kind});
    dirty_ = true;
    return nodes_.size() - 1;
  }

  // All-pairs shortest paths by one Dijkstra per node (Boost.Graph, in
  // src/lib/topology.cpp); graphs here have tens of nodes and change only
  // when a partition starts or ends.
  void refresh() const;

  std::vector<Region> regions_;
  std::vector<Cluster> clusters_;
  std::vector<std::size_t> region_node_;
  std::vector<Node> nodes_;
  std::vector<Link> links_;
  mutable std::vector<std::int64_t> dist_;
  mutable bool dirty_ = true;
};

}  // namespace drsim
