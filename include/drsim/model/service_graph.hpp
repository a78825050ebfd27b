// The application behind the gateway: a call graph of services (Istio's
// Bookinfo by default) deployed in each cluster, and the mesh that carries
// the calls between them.
//
// ServiceGraphSpec names the services, their capacity (pods x workers), their
// service time and the calls each one makes, in order; a call may name
// alternatives (reviews v1 | v2 | v3), one of which serves each request.
// ServiceGraph is the validated graph on Boost.Graph (vertices are services,
// edges are calls tagged with their step), flattened into tables for the
// request path.
//
// ServiceMesh runs requests through the graph. Each service instance (one
// per cluster) is a multi-server queue: a Gateway with the service's pods.
// A call is the callee's own work in its queue, then its calls in order, then
// the response. Handlers are asynchronous: a worker is not held while its
// service waits for the services it calls.
//
// Cluster-local traffic retention ON (the seed's setting) keeps every call in
// the caller's cluster. OFF, the caller's sidecar balances over every cluster
// that runs the callee, with equal chance (Istio's default balancing over all
// endpoints of a multi-cluster mesh, without locality or outlier detection,
// neither of which Istio enables by default). A cross-cluster call pays the
// RTT between the two clusters; a call to a cluster that cannot be reached
// (its region is down, or no route joins them) fails after the connect
// timeout, 503 with Envoy's flag UF. A failed call fails its caller and so on
// up to the request: no retries, and no graceful degradation (the real
// productpage renders "reviews unavailable" with a 200; here the request
// fails). The gateway's own call to the entry service follows the same rule.
//
// With a `mesh` section (MeshTraffic, mesh_traffic.hpp) the calling proxy
// picks a host instead: locality priorities, outlier detection, the endpoints
// istiod gave it, retries with back-off, and the app's faults (pods down,
// 503s, slowness, the east-west gateway down); see try_call and settle.
//
// Clients give up at their deadline: the mesh then reports client_timeout at
// once, and the calls carry on to the end (wasted work), as the gateway pods do.
//
// Hot path: a request's state is a pooled Flight with a fixed call stack
// (calls are sequential, so only the top frame is ever in a queue, and the
// Gateway's request id is the flight index); events capture `this` and the
// flight index; the outcome goes through one function pointer. Once the pools
// have grown to the working size nothing allocates.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drsim/core/error.hpp"
#include "drsim/core/pool.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/model/event_kinds.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/gateway.hpp"
#include "drsim/model/mesh_traffic.hpp"
#include "drsim/model/outcome.hpp"
#include "drsim/model/service_graph_spec.hpp"

namespace drsim {

/// A ServiceGraphSpec checked and compiled into flat tables of steps and
/// alternatives for the request path.
class ServiceGraph {
 public:
  /// Longest call chain (in services, the entry included) a graph may have:
  /// the size of a request's call stack.
  static constexpr std::size_t kMaxDepth = 8;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  /// Throws std::invalid_argument naming the problem: no services, a
  /// duplicate or empty name, an unknown callee, bad weights, a cycle, or a
  /// chain deeper than kMaxDepth. (Built on Boost.Graph in src/lib/service_graph.cpp.)
  explicit ServiceGraph(const ServiceGraphSpec& spec);

  [[nodiscard]] std::size_t size() const { return names_.size(); }
  /// Caller-to-callee edges, one per alternative of every call.
  [[nodiscard]] std::size_t edge_count() const { return alts_.size(); }
  /// The service the gateway routes to.
  [[nodiscard]] static constexpr std::size_t entry() { return 0; }
  [[nodiscard]] const std::string& name(std::size_t service) const { return names_[service]; }
  [[nodiscard]] std::size_t find(std::string_view name) const {
    for (std::size_t v = 0; v < size(); ++v)
      if (names_[v] == name) return v;
    return npos;
  }
  /// Longest call chain, in services.
  [[nodiscard]] std::size_t depth() const { return depth_; }

  /// Number of calls the service makes per call it handles.
  [[nodiscard]] std::size_t steps(std::size_t service) const { return step_begin_[service + 1] - step_begin_[service]; }
  /// The services that may take the service's call number `step`.
  [[nodiscard]] std::vector<std::size_t> callees(std::size_t service, std::size_t step) const {
    const Step& s = steps_.at(step_begin_[service] + step);
    std::vector<std::size_t> out;
    for (std::uint32_t a = s.first; a < s.first + s.count; ++a) out.push_back(alts_[a].service);
    return out;
  }
  /// Chooses the callee of call number `step` (by weight among alternatives).
  std::size_t pick(std::size_t service, std::size_t step, RandomStream& rng) const {
    const Step& s = steps_[step_begin_[service] + step];
    if (s.count == 1) return alts_[s.first].service;
    const double x = rng.uniform01() * s.total;
    for (std::uint32_t a = s.first; a + 1 < s.first + s.count; ++a)
      if (x < alts_[a].cumulative) return alts_[a].service;
    return alts_[s.first + s.count - 1].service;
  }

  /// Same services (names, order) and calls (callees, weights): two
  /// clusters' deployments of one application, whatever their capacities.
  [[nodiscard]] bool same_calls(const ServiceGraph& o) const {
    if (size() != o.size() || step_begin_ != o.step_begin_ || steps_.size() != o.steps_.size() ||
        alts_.size() != o.alts_.size())
      return false;
    for (std::size_t v = 0; v < size(); ++v)
      if (name(v) != o.name(v)) return false;
    for (std::size_t a = 0; a < alts_.size(); ++a)
      if (alts_[a].service != o.alts_[a].service || alts_[a].cumulative != o.alts_[a].cumulative) return false;
    return true;
  }

 private:
  struct Step {
    std::uint32_t first = 0;  // into alts_
    std::uint32_t count = 0;
    double total = 0;
  };
  struct Alternative {
    std::uint16_t service = 0;
    double cumulative = 0;  // weights up to and including this one
  };

  static std::size_t find_in(const std::vector<ServiceSpec>& ss, const std::string& name) {
    for (std::size_t i = 0; i < ss.size(); ++i)
      if (ss[i].name == name) return i;
    return npos;
  }

  std::vector<std::string> names_;
  std::vector<std::uint32_t> step_begin_;  // per service, its first step; one more entry at the end
  std::vector<Step> steps_;
  std::vector<Alternative> alts_;
  std::size_t depth_ = 0;
};

/// How a request sent into the mesh ended.
enum class MeshOutcome : std::uint8_t {
  ok,                        ///< the entry service responded
  upstream_connect_failure,  ///< a callee's cluster could not be reached: 503 UF
  overflow,                  ///< a callee's pending queue was full: 503 UO
  upstream_reset,            ///< a callee's cluster went down holding the call: 503 UC
  client_timeout,            ///< the deadline passed first; the calls go on (wasted work)
  no_healthy_upstream,       ///< a caller's proxy had no host to send to: 503 UH (mesh section only)
  app_error,                 ///< a service answered 503 itself (an app fault; mesh section only)
};

/// What the client gets for a failed mesh outcome: a 503, named by its kind
/// when the model has a mesh section (`detailed`), plain http_503 otherwise.
inline Cause client_cause(MeshOutcome o, bool detailed) {
  if (o == MeshOutcome::ok) return Cause::ok;
  if (!detailed) return Cause::http_503;
  switch (o) {
    case MeshOutcome::upstream_connect_failure:
    case MeshOutcome::upstream_reset: return Cause::upstream_connect_failure;
    case MeshOutcome::overflow: return Cause::upstream_overflow;
    case MeshOutcome::no_healthy_upstream: return Cause::no_healthy_upstream;
    default: return Cause::http_503;
  }
}

/// Where the mesh reports each request's outcome: a function pointer and its
/// context, so a report is one indirect call and never allocates.
struct MeshCompletion {
  void* context = nullptr;
  void (*on_response)(void* context, std::uint32_t request, MeshOutcome outcome) = nullptr;

  /// Reports to `receiver.on_app_response(request, outcome)`.
  template <class Receiver>
  static MeshCompletion to(Receiver& receiver) {
    return {&receiver, [](void* c, std::uint32_t request, MeshOutcome outcome) {
              static_cast<Receiver*>(c)->on_app_response(request, outcome);
            }};
  }
  void operator()(std::uint32_t request, MeshOutcome outcome) const { on_response(context, request, outcome); }
};

/// The east-west network as the mesh sees it.
class MeshNetwork {
 public:
  virtual ~MeshNetwork() = default;
  /// Round trip between two clusters for a call; nullopt when the call cannot
  /// connect (a region down, no route). Asked only for distinct clusters.
  [[nodiscard]] virtual std::optional<Duration> rtt(std::size_t from_cluster, std::size_t to_cluster) const = 0;
};

/// Every cluster reaches every other at one RTT (for tests and simple rigs).
class UniformMeshNetwork final : public MeshNetwork {
 public:
  explicit UniformMeshNetwork(Duration rtt) : rtt_(rtt), down_() {}
  [[nodiscard]] std::optional<Duration> rtt(std::size_t from, std::size_t to) const override {
    if (is_down(from) || is_down(to)) return std::nullopt;
    return rtt_;
  }
  void set_down(std::size_t cluster, bool down) {
    if (cluster >= down_.size()) down_.resize(cluster + 1, false);
    down_[cluster] = down;
  }

 private:
  [[nodiscard]] bool is_down(std::size_t c) const { return c < down_.size() && down_[c]; }
  Duration rtt_;
  std::vector<bool> down_;
};

/// Counters over the whole mesh.
struct MeshStats {
  std::uint64_t requests = 0;             ///< handed in by gateways
  std::uint64_t ok = 0;                   ///< reported ok
  std::uint64_t failed = 0;               ///< reported with a failure (any 503)
  std::uint64_t abandoned = 0;            ///< reported client_timeout
  std::uint64_t calls = 0;                ///< calls made, the gateway's to the entry included
  std::uint64_t cross_cluster_calls = 0;  ///< of which to another cluster
  std::uint64_t connect_failures = 0;     ///< calls that could not connect (UF)
  std::uint64_t overflows = 0;            ///< calls refused by a full queue (UO)
  std::uint64_t resets = 0;               ///< responses lost with their cluster (UC)
};

/// The application's services in every cluster that runs them, and the calls
/// between them.
class ServiceMesh {
 public:
  static constexpr std::size_t kMaxDepth = ServiceGraph::kMaxDepth;
  /// Event kinds in the run fingerprint (component: the constructor's).
  static constexpr EventKind kArriveEvent = EventKind::mesh_arrive;
  static constexpr EventKind kReturnEvent = EventKind::mesh_return;
  static constexpr EventKind kConnectFailedEvent = EventKind::mesh_connect_failed;
  static constexpr EventKind kTimeoutEvent = EventKind::mesh_timeout;
  static constexpr EventKind kRetryEvent = EventKind::mesh_retry;

  /// A call as it is made, for tracing (tests, debugging).
  struct CallObserver {
    void* context = nullptr;
    void (*on_call)(void* context, std::uint32_t request, std::size_t service, std::size_t from_cluster,
                    std::size_t to_cluster) = nullptr;
  };

  /// `clusters`: how many clusters the mesh spans (apps are added per cluster).
  ServiceMesh(Simulator& sim, std::size_t clusters, const MeshNetwork& network, MeshCompletion completion,
              std::uint16_t component = 0)
      : sim_(sim),
        network_(network),
        completion_(completion),
        rng_(sim.stream("mesh/routes")),
        component_(component),
        clusters_(clusters) {
    if (completion_.on_response == nullptr) throw ParameterError("service mesh: a completion function is required");
    if (clusters_ == 0 || clusters_ > 0xFFFF) throw ParameterError("service mesh: 1 to 65535 clusters");
  }
  // Scheduled events and the service queues point at this object.
  ServiceMesh(const ServiceMesh&) = delete;
  ServiceMesh& operator=(const ServiceMesh&) = delete;

  /// Deploys the application in a cluster. Every cluster's app must have the
  /// same services and calls (capacities and service times may differ).
  /// `cluster_local`: the cluster's sidecars keep calls in the cluster.
  void add_app(std::size_t cluster, const ServiceGraphSpec& app, bool cluster_local, std::string_view cluster_name = {}) {
    if (cluster >= clusters_) throw ParameterError("service mesh: no such cluster");
    if (has_app(cluster)) throw ParameterError("service mesh: the cluster already runs the app");
    // Built in place: a Boost adjacency_list is copied edge by edge.
    if (!graph_) {
      graph_.emplace(app);
      instances_.resize(clusters_ * graph_->size());
      settings_.resize(clusters_);
    } else if (!graph_->same_calls(ServiceGraph(app))) {
      throw ParameterError("service mesh: every cluster's app must have the same services and calls");
    }
    const std::string prefix =
        "app/" + (cluster_name.empty() ? std::to_string(cluster) : std::string(cluster_name)) + "/";
    for (std::size_t s = 0; s < graph_->size(); ++s) {
      const ServiceSpec& ss = app.services[s];
      GatewayConfig cfg;
      cfg.workers = ss.workers;
      cfg.service_time = ss.service_time_s;
      cfg.max_pending = ss.max_pending;
      cfg.startup_time = Duration::zero();
      const auto instance = static_cast<std::uint16_t>(cluster * graph_->size() + s);
      auto q = std::make_unique<Gateway>(sim_, cfg, GatewayCompletion::to(*this), prefix + ss.name, instance);
      for (std::uint32_t p = 0; p < ss.replicas; ++p) q->add_pod(Duration::zero());
      instances_[cluster * graph_->size() + s] = std::move(q);
    }
    settings_[cluster] = {true, cluster_local, app.connect_timeout, {}};
    for (const auto& ss : app.services) settings_[cluster].replicas.push_back(ss.replicas);
    hosts_.push_back(static_cast<std::uint16_t>(cluster));
    std::sort(hosts_.begin(), hosts_.end());
  }

  [[nodiscard]] bool has_app(std::size_t cluster) const {
    return cluster < settings_.size() && settings_[cluster].has_app;
  }
  [[nodiscard]] bool cluster_local(std::size_t cluster) const { return has_app(cluster) && settings_[cluster].local; }
  /// The call graph (after the first add_app).
  [[nodiscard]] const ServiceGraph& graph() const {
    if (!graph_) throw std::logic_error("service mesh: no app deployed");
    return *graph_;
  }
  /// The queue of a service's instance in a cluster.
  [[nodiscard]] const Gateway& instance(std::size_t cluster, std::size_t service) const {
    if (!has_app(cluster) || service >= graph_->size()) throw std::out_of_range("service mesh: no such instance");
    return *instances_[cluster * graph_->size() + service];
  }
  [[nodiscard]] const MeshStats& stats() const { return stats_; }

  /// Turns on the mesh's own failover (after every add_app).
  void use_traffic(const MeshSpec& spec, EventLog* log) {
    std::vector<MeshClusterInfo> info(clusters_);
    for (std::size_t c = 0; c < clusters_; ++c) {
      info[c].name = c < spec.cluster_names.size() ? spec.cluster_names[c] : std::to_string(c);
      if (!has_app(c)) continue;
      info[c].has_app = true;
      info[c].cluster_local = settings_[c].local;
      info[c].replicas = settings_[c].replicas;
    }
    traffic_ = std::make_unique<MeshTraffic>(sim_, spec, std::move(info), log);
  }
  /// The mesh's own failover, or nullptr.
  [[nodiscard]] MeshTraffic* traffic() { return traffic_.get(); }
  void start() {
    if (traffic_) traffic_->start();
  }
  /// Requests handed in whose calls have not all ended (abandoned ones included).
  [[nodiscard]] std::size_t in_flight() const { return flights_.live(); }
  void set_call_observer(CallObserver observer) { observer_ = observer; }
  /// Pre-sizes the request pool and every instance's queue, for `requests` in flight at once.
  void reserve(std::size_t requests) {
    flights_.reserve(requests);
    for (auto& q : instances_)
      if (q) q->reserve(requests);
  }

  /// A request reaches the cluster's gateway, which calls the entry service.
  /// Exactly one outcome follows through the completion, at `timeout` at the
  /// latest (Duration::max(): no deadline).
  void handle(std::uint32_t request, std::size_t cluster, Duration timeout = Duration::max()) {
    if (!has_app(cluster)) throw ParameterError("service mesh: the cluster runs no app");
    const std::uint32_t f = allocate();
    Flight& fl = flights_[f];
    fl.request = request;
    fl.origin = static_cast<std::uint16_t>(cluster);
    fl.depth = 0;
    fl.outcome = MeshOutcome::ok;
    fl.abandoned = false;
    fl.timeout = EventHandle{};
    ++stats_.requests;
    if (timeout < Duration::max()) fl.timeout = sim_.after(timeout, [this, f] { abandon(f); }, tag(kTimeoutEvent));
    call(f, ServiceGraph::entry(), cluster);
  }

  /// Completion from a service's queue (GatewayCompletion target): the
  /// service's own work is done; its calls follow.
  void on_done(std::uint32_t flight, GatewayOutcome, Duration) {
    if (traffic_) {
      app_fault(flight);
      return;
    }
    proceed(flight);
  }

 private:
  struct Frame {
    std::uint16_t service = 0;
    std::uint16_t cluster = 0;
    std::uint16_t step = 0;  // calls made so far
    // With MeshTraffic, the caller's tries of this call: the host of the
    // last, how many, the hosts (bit h % 64) and priorities tried.
    std::uint16_t host = 0;
    std::uint8_t tries = 0;
    std::uint8_t tried_priorities = 0;
    std::uint64_t tried_hosts = 0;
  };
  struct Flight {
    std::array<Frame, kMaxDepth> stack;
    EventHandle timeout;
    std::uint32_t request = 0;
    std::uint16_t origin = 0;  // the cluster whose gateway handed it in
    std::uint8_t depth = 0;
    MeshOutcome outcome = MeshOutcome::ok;  // the first failure, ok so far
    bool abandoned = false;
  };
  struct ClusterSettings {
    bool has_app = false;
    bool local = true;
    Duration connect_timeout;
    std::vector<std::uint32_t> replicas;  // per service
  };

  [[nodiscard]] EventTag tag(EventKind kind) const { return drsim::tag(kind, component_); }

  std::uint32_t allocate() { return flights_.acquire(); }
  void release(std::uint32_t f) { flights_.release(f); }

  Gateway& queue(const Frame& fr) { return *instances_[fr.cluster * graph_->size() + fr.service]; }

  std::size_t choose_cluster(std::size_t from) {
    if (settings_[from].local || hosts_.size() == 1) return from;
    return hosts_[rng_.below(hosts_.size())];
  }

  /// The top frame (or the gateway, at depth 0) in cluster `from` calls `service`.
  void call(std::uint32_t f, std::size_t service, std::size_t from) {
    if (traffic_) {
      push(f, service, from);
      try_call(f);
      return;
    }
    const std::size_t to = choose_cluster(from);
    ++stats_.calls;
    if (observer_.on_call) observer_.on_call(observer_.context, flights_[f].request, service, from, to);
    if (to == from) {
      push(f, service, to);
      arrive(f);
      return;
    }
    ++stats_.cross_cluster_calls;
    const std::optional<Duration> rtt = network_.rtt(from, to);
    if (!rtt) {
      ++stats_.connect_failures;
      sim_.after(settings_[from].connect_timeout, [this, f] { connect_failed(f); }, tag(kConnectFailedEvent));
      return;
    }
    push(f, service, to);
    sim_.after(*rtt / 2, [this, f] { arrive(f); }, tag(kArriveEvent));
  }

  void push(std::uint32_t f, std::size_t service, std::size_t cluster) {
    Flight& fl = flights_[f];
    fl.stack[fl.depth++] = Frame{static_cast<std::uint16_t>(service), static_cast<std::uint16_t>(cluster), 0};
  }

  /// The call reaches the callee's queue.
  void arrive(std::uint32_t f) {
    Flight& fl = flights_[f];
    switch (queue(fl.stack[fl.depth - 1]).submit(f)) {
      case GatewayAdmission::accepted: return;  // on_done follows
      case GatewayAdmission::overflow:
        ++stats_.overflows;
        fail(fl, MeshOutcome::overflow);
        respond(f);
        return;
      case GatewayAdmission::no_ready_pod:  // every instance has its pods from the start
        fail(fl, MeshOutcome::upstream_connect_failure);
        respond(f);
        return;
    }
  }

  /// The top frame makes its next call, or responds when it has made them all.
  void proceed(std::uint32_t f) {
    Frame& top = flights_[f].stack[flights_[f].depth - 1];
    if (top.step < graph_->steps(top.service)) {
      const std::size_t callee = graph_->pick(top.service, top.step, rng_);
      ++top.step;
      call(f, callee, top.cluster);
      return;
    }
    respond(f);
  }

  /// The top frame responds (with the flight's outcome) to its caller.
  void respond(std::uint32_t f) {
    Flight& fl = flights_[f];
    const Frame done = fl.stack[--fl.depth];
    const std::size_t to = fl.depth == 0 ? fl.origin : fl.stack[fl.depth - 1].cluster;
    if (done.cluster == to) {
      returned(f);
      return;
    }
    const std::optional<Duration> rtt = network_.rtt(done.cluster, to);
    if (!rtt) {
      // The callee's cluster went down (or off the network) while it held the call.
      ++stats_.resets;
      fail(fl, MeshOutcome::upstream_reset);
      returned(f);
      return;
    }
    sim_.after(*rtt / 2, [this, f] { returned(f); }, tag(kReturnEvent));
  }

  /// A response reaches the caller: it goes on, or fails in turn.
  void returned(std::uint32_t f) {
    if (traffic_) {
      const MeshOutcome o = flights_[f].outcome;
      settle(f, o == MeshOutcome::ok               ? UpstreamResult::success
                : o == MeshOutcome::upstream_reset ? UpstreamResult::connect_failed
                                                   : UpstreamResult::gateway_error);
      return;
    }
    go_on(f);
  }
  void go_on(std::uint32_t f) {
    const Flight& fl = flights_[f];
    if (fl.depth == 0) {
      complete(f);
    } else if (fl.outcome == MeshOutcome::ok) {
      proceed(f);
    } else {
      respond(f);
    }
  }

  /// The caller's connection attempt timed out: the caller fails (503 UF).
  void connect_failed(std::uint32_t f) {
    Flight& fl = flights_[f];
    fail(fl, MeshOutcome::upstream_connect_failure);
    if (fl.depth == 0) {
      complete(f);  // the gateway could not reach the entry service
    } else {
      respond(f);
    }
  }

  // ---- with MeshTraffic ----------------------------------------------------

  /// The top frame's caller: the frame below it, or the gateway of the origin cluster.
  static std::size_t caller_of_top(const Flight& fl) { return fl.depth >= 2 ? fl.stack[fl.depth - 2].cluster : fl.origin; }

  /// The caller's proxy picks a host for the top frame's call and connects to it.
  void try_call(std::uint32_t f) {
    Flight& fl = flights_[f];
    Frame& top = fl.stack[fl.depth - 1];
    const std::size_t from = caller_of_top(fl);
    MeshTraffic& t = *traffic_;
    const std::uint16_t h = t.pick(from, top.service, rng_, top.tried_hosts, t.skip(top.tries, top.tried_priorities));
    if (h == MeshTraffic::npos) {  // 503 UH, a local reply: neither counted nor retried
      --fl.depth;
      fail(fl, MeshOutcome::no_healthy_upstream);
      go_on(f);
      return;
    }
    top.host = h;
    ++top.tries;
    top.tried_hosts |= std::uint64_t{1} << (h % 64);
    top.tried_priorities = static_cast<std::uint8_t>(top.tried_priorities | (1u << t.priority_of(from, top.service, h)));
    const std::size_t to = t.cluster_of(from, top.service, h);
    top.cluster = static_cast<std::uint16_t>(to);
    ++stats_.calls;
    if (observer_.on_call) observer_.on_call(observer_.context, fl.request, top.service, from, to);
    if (to != from) ++stats_.cross_cluster_calls;
    const std::optional<Duration> rtt = to == from ? std::optional<Duration>(Duration::zero()) : network_.rtt(from, to);
    const TryEnd end = rtt ? t.reach(from, to, t.east_west(from, top.service, h)) : TryEnd::connect_failed;
    if (end != TryEnd::connected) {
      ++stats_.connect_failures;
      const Duration after = end == TryEnd::refused_after_rtt ? *rtt : settings_[from].connect_timeout;
      sim_.after(after, [this, f] { try_failed(f); }, tag(kConnectFailedEvent));
      return;
    }
    if (to == from) {
      arrive(f);
    } else {
      sim_.after(*rtt / 2, [this, f] { arrive(f); }, tag(kArriveEvent));
    }
  }

  /// The try could not connect (refused, reset by the east-west gateway, timed out): 503 UF at the caller.
  void try_failed(std::uint32_t f) {
    Flight& fl = flights_[f];
    --fl.depth;
    fail(fl, MeshOutcome::upstream_connect_failure);
    settle(f, UpstreamResult::connect_failed);
  }

  /// The caller's proxy has the result of a try (the callee's frame just
  /// popped): outlier detection counts it; a failure is retried or goes up.
  void settle(std::uint32_t f, UpstreamResult result) {
    Flight& fl = flights_[f];
    const Frame& done = fl.stack[fl.depth];
    const std::size_t from = fl.depth == 0 ? fl.origin : fl.stack[fl.depth - 1].cluster;
    traffic_->report(from, done.service, done.host, result);
    if (result != UpstreamResult::success && !fl.abandoned && traffic_->retries(result, done.tries)) {
      fl.outcome = MeshOutcome::ok;  // the flight is on this call alone: the failure was this try's
      ++fl.depth;
      sim_.after(traffic_->backoff(done.tries, rng_), [this, f] { try_call(f); }, tag(kRetryEvent));
      return;
    }
    go_on(f);
  }

  /// A service finished its own work in a cluster whose app may be faulty:
  /// a share of calls answer 503, all may answer later.
  void app_fault(std::uint32_t f) {
    const Frame& top = flights_[f].stack[flights_[f].depth - 1];
    const double share = traffic_->error_share(top.cluster);
    if (share > 0 && traffic_->fault_rng().bernoulli(share)) fail(flights_[f], MeshOutcome::app_error);
    const Duration extra = traffic_->extra_latency(top.cluster);
    if (extra > Duration::zero()) {
      sim_.after(extra, [this, f] { after_work(f); }, tag(kReturnEvent));
    } else {
      after_work(f);
    }
  }
  void after_work(std::uint32_t f) {
    if (flights_[f].outcome != MeshOutcome::ok) {
      respond(f);
    } else {
      proceed(f);
    }
  }

  static void fail(Flight& fl, MeshOutcome why) {
    if (fl.outcome == MeshOutcome::ok) fl.outcome = why;
  }

  void complete(std::uint32_t f) {
    Flight& fl = flights_[f];
    const std::uint32_t request = fl.request;
    const MeshOutcome outcome = fl.outcome;
    const bool abandoned = fl.abandoned;
    if (!abandoned && fl.timeout.valid()) sim_.cancel(fl.timeout);
    release(f);
    if (abandoned) return;
    ++(outcome == MeshOutcome::ok ? stats_.ok : stats_.failed);
    completion_(request, outcome);
  }

  void abandon(std::uint32_t f) {
    Flight& fl = flights_[f];
    fl.abandoned = true;
    fl.timeout = EventHandle{};
    ++stats_.abandoned;
    completion_(fl.request, MeshOutcome::client_timeout);
  }

  Simulator& sim_;
  const MeshNetwork& network_;
  MeshCompletion completion_;
  RandomStream rng_;
  std::uint16_t component_;
  std::size_t clusters_;
  std::optional<ServiceGraph> graph_;
  std::vector<std::unique_ptr<Gateway>> instances_;  // cluster x service; null where no app runs
  std::vector<ClusterSettings> settings_;
  std::vector<std::uint16_t> hosts_;  // clusters that run the app, ascending
  IndexPool<Flight> flights_;
  MeshStats stats_;
  CallObserver observer_;
  std::unique_ptr<MeshTraffic> traffic_;  // the mesh section's failover; null: cluster_local alone
};

}  // namespace drsim
