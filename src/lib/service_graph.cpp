// ServiceGraph's checks on Boost.Graph (a topological order for cycles and
// depth), kept out of the public header.
#include "drsim/model/service_graph.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/exception.hpp>
#include <boost/graph/topological_sort.hpp>

#include <iterator>

namespace drsim {

ServiceGraph::ServiceGraph(const ServiceGraphSpec& spec) {
  // The call graph, for the cycle check and the depth of the call stack.
  boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS> g;
  const auto& ss = spec.services;
  if (ss.empty()) throw ParameterError("service graph: at least one service is required");
  if (ss.size() > 0xFFFE) throw ParameterError("service graph: too many services");
  for (std::size_t i = 0; i < ss.size(); ++i) {
    if (ss[i].name.empty()) throw ParameterError("service graph: a service needs a name");
    if (find_in(ss, ss[i].name) != i) throw ParameterError("service graph: two services named " + ss[i].name);
    if (ss[i].workers < 1 || ss[i].replicas < 1)
      throw ParameterError("service graph: " + ss[i].name + " needs at least one pod with one worker");
    boost::add_vertex(g);
    names_.push_back(ss[i].name);
  }
  step_begin_.push_back(0);
  for (std::size_t i = 0; i < ss.size(); ++i) {
    if (ss[i].calls.size() > 0xFFFF) throw ParameterError("service graph: " + ss[i].name + " makes too many calls");
    for (std::size_t k = 0; k < ss[i].calls.size(); ++k) {
      const ServiceCall& c = ss[i].calls[k];
      const std::string where = ss[i].name + "'s call " + std::to_string(k + 1);
      if (c.to.empty()) throw ParameterError("service graph: " + where + " names no service");
      if (!c.weights.empty() && c.weights.size() != c.to.size())
        throw ParameterError("service graph: " + where + " needs one weight per alternative");
      Step step{static_cast<std::uint32_t>(alts_.size()), static_cast<std::uint32_t>(c.to.size()), 0.0};
      for (std::size_t a = 0; a < c.to.size(); ++a) {
        const std::size_t callee = find_in(ss, c.to[a]);
        if (callee == npos) throw ParameterError("service graph: " + where + " names an unknown service " + c.to[a]);
        const double w = c.weights.empty() ? 1.0 : c.weights[a];
        if (!(w >= 0)) throw ParameterError("service graph: " + where + " has a negative weight");
        boost::add_edge(i, callee, g);
        step.total += w;
        alts_.push_back({static_cast<std::uint16_t>(callee), step.total});
      }
      if (!(step.total > 0)) throw ParameterError("service graph: " + where + " has weights summing to zero");
      steps_.push_back(step);
    }
    step_begin_.push_back(static_cast<std::uint32_t>(steps_.size()));
  }
  // Longest chain below each service, callees first (reverse topological order).
  std::vector<std::size_t> order;
  try {
    boost::topological_sort(g, std::back_inserter(order));
  } catch (const boost::not_a_dag&) {
    throw ParameterError("service graph: the calls form a cycle");
  }
  std::vector<std::size_t> depth(ss.size(), 1);
  for (const std::size_t v : order) {
    for (auto [e, end] = boost::out_edges(v, g); e != end; ++e)
      depth[v] = std::max(depth[v], 1 + depth[boost::target(*e, g)]);
    depth_ = std::max(depth_, depth[v]);
  }
  if (depth_ > kMaxDepth)
    throw ParameterError("service graph: a chain of " + std::to_string(depth_) + " calls, deeper than " +
                                std::to_string(kMaxDepth));
}

}  // namespace drsim
