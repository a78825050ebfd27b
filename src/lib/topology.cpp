// Topology's shortest paths on Boost.Graph, kept out of the public header.
#include "drsim/model/topology.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>

namespace drsim {

// All-pairs shortest paths by one Dijkstra per node; graphs here have tens
// of nodes and change only when a partition starts or ends.
void Topology::refresh() const {
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property,
                                      boost::property<boost::edge_weight_t, std::int64_t>>;
  const std::size_t n = nodes_.size();
  // Vertex v is a node's exit (or the node itself, for transit kinds);
  // vertex n + v is an endpoint node's entry.
  auto transit = [&](std::size_t v) { return nodes_[v].kind == SiteKind::region || nodes_[v].kind == SiteKind::transit; };
  auto entry = [&](std::size_t v) { return transit(v) ? v : n + v; };
  Graph g(2 * n);
  for (const auto& l : links_) {
    if (!l.up) continue;
    boost::add_edge(l.a, entry(l.b), l.rtt.ns(), g);
    boost::add_edge(l.b, entry(l.a), l.rtt.ns(), g);
  }
  dist_.assign(n * n, kUnreachable);
  std::vector<std::int64_t> d(2 * n);
  for (std::size_t s = 0; s < n; ++s) {
    boost::dijkstra_shortest_paths(
        g, s, boost::distance_map(boost::make_iterator_property_map(d.begin(), boost::get(boost::vertex_index, g)))
                  .distance_inf(kUnreachable));
    for (std::size_t t = 0; t < n; ++t) dist_[s * n + t] = t == s ? 0 : d[entry(t)];
  }
  dirty_ = false;
}

}  // namespace drsim
