// The assembled failover model: topology, balancers, GTM, resolvers, client
// populations, load and faults on one simulator, and the request path that
// ties them together.
//
// A request is: (maybe) a DNS lookup through the client's cache and its
// resolver, the choice of an address by the client profile, connect attempts
// (falling back to the next address when the profile does), the response
// (through the gateway's pods and the app's call graph, when the model has
// them), and retries. Every request ends exactly once in RunMetrics. Requests
// live in a pooled vector and events capture (this, request index), so the
// request path allocates nothing once the pool has grown to the peak
// concurrency.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/alerts.hpp"
#include "drsim/model/client.hpp"
#include "drsim/model/dns.hpp"
#include "drsim/model/faults.hpp"
#include "drsim/model/gateway_deployment.hpp"
#include "drsim/model/gtm.hpp"
#include "drsim/model/load.hpp"
#include "drsim/model/load_balancer.hpp"
#include "drsim/model/metrics.hpp"
#include "drsim/model/model_spec.hpp"
#include "drsim/model/outcome.hpp"
#include "drsim/model/service_graph.hpp"
#include "drsim/model/topology.hpp"

namespace drsim {

class FailoverModel {
 public:
  FailoverModel(const ModelSpec& spec, std::uint64_t seed)
      : spec_(spec), sim_(seed), probes_(this),
        horizon_(spec.horizon > Duration::zero() ? spec.horizon : load_end(spec) + Duration::seconds(60)),
        metrics_(spec.topology.regions().size(), horizon_, spec.detailed_series) {
    validate();
    metrics_.log().set_enabled(spec_.log_events);
    build();
  }
  FailoverModel(const FailoverModel&) = delete;
  FailoverModel& operator=(const FailoverModel&) = delete;

  /// Runs to the horizon and returns what was measured.
  RunMetrics& run() {
    start();
    sim_.run_until(TimePoint::start() + horizon_);
    finish_metrics();
    return metrics_;
  }

  [[nodiscard]] Simulator& simulator() { return sim_; }
  [[nodiscard]] GlobalTrafficManager& gtm() { return *gtm_; }
  [[nodiscard]] RunMetrics& metrics() { return metrics_; }
  [[nodiscard]] LoadBalancer& balancer(std::size_t cluster) { return lbs_.at(cluster); }
  /// The cluster's gateway Deployment, or nullptr without a capacity model.
  [[nodiscard]] GatewayDeployment* deployment(std::size_t cluster) { return deployments_.at(cluster).get(); }
  /// The application's services in every cluster, or nullptr when no gateway has an app.
  [[nodiscard]] ServiceMesh* mesh() { return mesh_.get(); }
  [[nodiscard]] RecursiveResolver& resolver(std::size_t i) { return resolvers_.at(i); }
  [[nodiscard]] const std::vector<TimePoint>& fault_times() const { return fault_times_; }
  [[nodiscard]] Duration horizon() const { return horizon_; }
  /// Peak number of requests in flight at once (size of the request pool).
  [[nodiscard]] std::size_t peak_in_flight() const { return requests_.size(); }

 private:
  static constexpr std::uint16_t kNoAddress = 0xFFFF;
  enum EventKind : std::uint16_t {
    kSend = 1, kAttempt, kConnectFailed, kFinish, kRetry, kArrival, kFault, kArrive, kEnterApp
  };

  struct Client {
    std::uint32_t population = 0;
    std::uint32_t resolver = 0;
    ClientDnsState dns;
    std::uint16_t conn_address = kNoAddress;  // kept-alive connection, if any
    std::int32_t pacer = -1;                   // index into pacers_ for fortio clients
  };

  struct Request {
    TimePoint start;
    TimePoint dial_deadline;
    TimePoint deadline;
    AddressList cands;
    std::uint32_t client = 0;
    std::uint32_t next_free = UINT32_MAX;
    std::uint8_t next = 0;
    std::uint8_t retries_left = 0;
    std::uint16_t first_address = kNoAddress;
    std::uint16_t address = kNoAddress;  // where the gateway is serving it
    bool first_faulty = false;
    Duration half_rtt;
    TimePoint read_deadline;
  };

  struct Population {
    RandomStream rng;
    std::optional<OpenLoopArrivals> arrivals;
    std::uint32_t first_client = 0;
    std::uint32_t clients = 0;
  };

  class Probes final : public ProbeTarget {
   public:
    explicit Probes(FailoverModel* m) : m_(m) {}
    ProbeResult probe(std::size_t address, std::size_t site, ProbeProtocol protocol, Duration timeout,
                      TimePoint) override {
      return m_->probe(address, site, protocol, timeout);
    }

   private:
    FailoverModel* m_;
  };

  // East-west calls between clusters: the RTT between their regions; none
  // while either region is down (its balancer and services are gone).
  class MeshRoutes final : public MeshNetwork {
   public:
    explicit MeshRoutes(FailoverModel* m) : m_(m) {}
    [[nodiscard]] std::optional<Duration> rtt(std::size_t from, std::size_t to) const override {
      const auto down = [this](std::size_t c) { return m_->lbs_[c].condition() == GatewayCondition::lb_down; };
      if (down(from) || down(to)) return std::nullopt;
      const auto& topo = m_->spec_.topology;
      return topo.rtt(topo.region_node(topo.clusters()[from].region), topo.region_node(topo.clusters()[to].region));
    }

   private:
    FailoverModel* m_;
  };

  void validate() const {
    const auto& topo = spec_.topology;
    if (spec_.gateways.size() != topo.clusters().size())
      throw std::invalid_argument("one gateway per cluster is required");
    if (spec_.resolvers.empty()) throw std::invalid_argument("at least one resolver is required");
    if (spec_.populations.empty()) throw std::invalid_argument("at least one client population is required");
    if (topo.clusters().size() >= kNoAddress) throw std::invalid_argument("too many clusters");
  }

  void build() {
    const auto& topo = spec_.topology;
    std::vector<std::string> names;
    for (std::size_t c = 0; c < topo.clusters().size(); ++c) {
      names.push_back(spec_.gateways[c].address.empty() ? topo.clusters()[c].name : spec_.gateways[c].address);
      lbs_.emplace_back(sim_, topo.clusters()[c].name, spec_.gateways[c].lb, &metrics_.log(),
                        static_cast<std::uint16_t>(c));
    }
    faulty_.assign(topo.clusters().size(), 0);
    deployments_.resize(topo.clusters().size());
    for (std::size_t c = 0; c < topo.clusters().size(); ++c) {
      if (!spec_.gateways[c].capacity_model) continue;
      deployments_[c] = std::make_unique<GatewayDeployment>(sim_, spec_.gateways[c].capacity, topo.clusters()[c].name,
                                                            GatewayCompletion::to(*this), &metrics_.log());
    }
    for (std::size_t c = 0; c < topo.clusters().size(); ++c) {
      if (!spec_.gateways[c].app) continue;
      if (!mesh_) mesh_ = std::make_unique<ServiceMesh>(sim_, topo.clusters().size(), routes_, MeshCompletion::to(*this));
      mesh_->add_app(c, *spec_.gateways[c].app, spec_.gateways[c].cluster_local, topo.clusters()[c].name);
    }
    gtm_ = std::make_unique<GlobalTrafficManager>(sim_, spec_.gtm, probes_, &metrics_.log(), names);
    authority_ = std::make_unique<GtmAuthority>(*gtm_);
    resolvers_.reserve(spec_.resolvers.size());
    for (std::size_t i = 0; i < spec_.resolvers.size(); ++i)
      resolvers_.emplace_back(spec_.resolvers[i], *authority_, sim_.seed(), i);
    service_rng_ = sim_.stream("gateways/service");
    gray_rng_ = sim_.stream("gateways/gray");

    for (std::size_t pi = 0; pi < spec_.populations.size(); ++pi) {
      const auto& ps = spec_.populations[pi];
      Population pop;
      pop.rng = sim_.stream("population/" + ps.name);
      pop.first_client = static_cast<std::uint32_t>(clients_.size());
      const std::size_t n = ps.load.kind == LoadKind::fortio ? static_cast<std::size_t>(std::max(1, ps.load.fortio.connections))
                                                        : std::max<std::size_t>(1, ps.load.clients);
      pop.clients = static_cast<std::uint32_t>(n);
      RandomStream assign = sim_.stream("population/" + ps.name + "/resolvers");
      for (std::size_t k = 0; k < n; ++k) {
        Client c;
        c.population = static_cast<std::uint32_t>(pi);
        c.resolver = static_cast<std::uint32_t>(pick_resolver(ps, assign));
        if (ps.profile.cache == DnsCacheRule::refresh)
          c.dns.refresh_phase = Duration::from_seconds(assign.uniform(0, ps.profile.hold.seconds_f()));
        if (ps.load.kind == LoadKind::fortio) {
          c.pacer = static_cast<std::int32_t>(pacers_.size());
          pacers_.emplace_back(ps.load.fortio, TimePoint::start() + ps.load.start);
        }
        clients_.push_back(c);
      }
      if (ps.load.kind == LoadKind::open_loop)
        pop.arrivals.emplace(ps.load.rate, ps.load.arrivals, TimePoint::start() + ps.load.start + ps.load.duration);
      populations_.push_back(std::move(pop));
    }
  }

  std::size_t pick_resolver(const PopulationSpec& ps, RandomStream& rng) const {
    if (ps.resolvers.empty()) return 0;
    double total = 0;
    for (const auto& r : ps.resolvers) total += r.second;
    double x = rng.uniform01() * total;
    for (const auto& r : ps.resolvers) {
      x -= r.second;
      if (x < 0) return r.first;
    }
    return ps.resolvers.back().first;
  }

  void start() {
    RandomStream lb_rng = sim_.stream("balancers/phases");
    for (auto& lb : lbs_) lb.start(lb_rng);
    for (auto& d : deployments_)
      if (d) d->start();
    RandomStream phases = sim_.stream("gtm/phases");
    gtm_->start(phases);

    RandomStream fault_rng = sim_.stream("faults");
    for (std::size_t i = 0; i < spec_.faults.size(); ++i) {
      const TimePoint at = spec_.faults[i].at.draw(fault_rng);
      fault_times_.push_back(at);
      const auto fi = static_cast<std::uint32_t>(i);
      sim_.at(at, [this, fi] { apply_fault(fi, true); }, EventTag{kFault, static_cast<std::uint16_t>(i)});
      if (spec_.faults[i].duration)
        sim_.at(at + *spec_.faults[i].duration, [this, fi] { apply_fault(fi, false); },
                EventTag{kFault, static_cast<std::uint16_t>(i)});
    }

    for (std::size_t pi = 0; pi < spec_.populations.size(); ++pi) {
      const auto& ps = spec_.populations[pi];
      Population& pop = populations_[pi];
      const TimePoint t0 = TimePoint::start() + ps.load.start;
      switch (ps.load.kind) {
        case LoadKind::fortio:
          for (std::uint32_t k = 0; k < pop.clients; ++k) {
            const std::uint32_t ci = pop.first_client + k;
            const TimePoint t = pacers_[static_cast<std::size_t>(clients_[ci].pacer)].first_send();
            schedule_send(ci, t);
          }
          break;
        case LoadKind::closed_loop:
          for (std::uint32_t k = 0; k < pop.clients; ++k) {
            // Users start spread over one think time so they are not in lock-step.
            const auto offset = Duration::from_seconds(std::max(0.0, ps.load.think_s.sample(pop.rng)));
            schedule_send(pop.first_client + k, t0 + offset);
          }
          break;
        case LoadKind::open_loop: {
          const TimePoint first = pop.arrivals->next(t0, pop.rng);
          if (first != TimePoint::max()) {
            const auto p = static_cast<std::uint32_t>(pi);
            sim_.at(first, [this, p] { arrival(p); }, EventTag{kArrival, static_cast<std::uint16_t>(pi)});
          }
          break;
        }
      }
    }
  }

  void finish_metrics() {
    const auto& topo = spec_.topology;
    for (std::size_t c = 0; c < deployments_.size(); ++c) {
      if (!deployments_[c]) continue;
      const auto& cap = spec_.gateways[c].capacity;
      metrics_.add_deployment(topo.clusters()[c].region, deployments_[c]->samples(),
                              cap.hpa ? std::optional<double>(cap.hpa->spec.target_cpu_utilization) : std::nullopt,
                              (cap.hpa ? *cap.hpa : HpaSettings{}).controller.tolerance);
    }
    evaluate_alerts();
    metrics_.log().sort_by_time();
    if (fault_times_.empty()) return;
    // Headline timing refers to the earliest fault that hits a gateway address.
    std::optional<std::size_t> first;
    for (std::size_t i = 0; i < spec_.faults.size(); ++i) {
      const auto& f = spec_.faults[i];
      const bool hits_gateway = !f.clusters.empty() || f.kind == FaultKind::region_outage;
      if (hits_gateway && (!first || fault_times_[i] < fault_times_[*first])) first = i;
    }
    if (!first) return;
    const auto& f = spec_.faults[*first];
    std::vector<std::size_t> hit = f.clusters;
    if (f.kind == FaultKind::region_outage) hit = spec_.topology.regions().at(f.region).clusters;
    const TimePoint at = fault_times_[*first];
    metrics_.fault_at = at;
    for (std::size_t c : hit) {
      if (auto t = gtm_->judged_unhealthy_at(static_cast<std::uint16_t>(c), at)) {
        if (!metrics_.detected_at || *t < *metrics_.detected_at) metrics_.detected_at = t;
      }
    }
    metrics_.answer_changed_at = gtm_->answer_changed_at(at);
  }

  void evaluate_alerts() {
    for (const auto& a : spec_.alerts) {
      std::vector<double> values(metrics_.seconds(), 0.0);
      for (std::size_t s = 0; s < values.size(); ++s) {
        const SeriesCell& c = metrics_.at(s, a.region);
        switch (a.metric) {
          case AlertMetric::throttled_rate: values[s] = c.by_cause[static_cast<std::size_t>(Cause::http_429)]; break;
          case AlertMetric::error_rate: values[s] = c.sent - c.by_cause[0]; break;
          case AlertMetric::failed_share: values[s] = c.sent ? static_cast<double>(c.sent - c.by_cause[0]) / c.sent : 0.0; break;
          case AlertMetric::cpu_utilization: {
            const auto& cap = metrics_.capacity(a.region).samples;
            values[s] = s < cap.size() ? cap[s].cpu_utilization_pct : 0.0;
            break;
          }
          case AlertMetric::p99_latency_s: {
            const auto* h = metrics_.latency_at(s, a.region);
            values[s] = h && h->count() ? static_cast<double>(h->quantile_ns(0.99)) * 1e-9 : std::nan("");
            break;
          }
        }
      }
      for (const auto& e : evaluate_alert(a.rule, values, Duration::seconds(1))) {
        metrics_.alerts.push_back({a.name, e.fired_at, e.resolved() ? std::optional<TimePoint>(e.resolved_at) : std::nullopt});
        metrics_.log().add(e.fired_at, "alert/" + a.name, "alert_firing", "since " + to_string(e.active_at));
        if (e.resolved()) metrics_.log().add(e.resolved_at, "alert/" + a.name, "alert_resolved");
      }
    }
  }

  // ---- faults -------------------------------------------------------------

  void apply_fault(std::size_t i, bool begin) {
    const FaultSpec& f = spec_.faults[i];
    const auto& topo = spec_.topology;
    static constexpr const char* kNames[] = {"gateway_deleted", "gateway_blackholed", "region_outage",
                                             "gray_failure", "partition", "gtm_outage"};
    std::string what = kNames[static_cast<std::size_t>(f.kind)];
    auto set_condition = [&](std::size_t c, GatewayCondition cond) {
      lbs_[c].set_condition(begin ? cond : GatewayCondition::serving);
      faulty_[c] += begin ? 1 : -1;
      what += " " + topo.clusters()[c].name;
      // A deleted Deployment or a dead region takes the pods and the HPA's
      // target with it; a black hole in the network leaves them running.
      if (deployments_[c] && (cond == GatewayCondition::deleted || cond == GatewayCondition::lb_down))
        deployments_[c]->set_down(begin);
    };
    switch (f.kind) {
      case FaultKind::gateway_deleted:
        for (auto c : f.clusters) set_condition(c, GatewayCondition::deleted);
        break;
      case FaultKind::gateway_blackholed:
        for (auto c : f.clusters) set_condition(c, GatewayCondition::blackholed);
        break;
      case FaultKind::region_outage:
        for (auto c : topo.regions().at(f.region).clusters) set_condition(c, GatewayCondition::lb_down);
        what += " (" + topo.regions()[f.region].name + ")";
        break;
      case FaultKind::gray_failure:
        for (auto c : f.clusters) {
          lbs_[c].set_gray(begin ? f.error_share : 0.0, begin ? f.extra_latency : Duration::zero());
          faulty_[c] += begin ? 1 : -1;
          what += " " + topo.clusters()[c].name;
        }
        break;
      case FaultKind::partition:
        for (const auto& [a, b] : f.links) {
          for (auto l : spec_.topology.links_between(a, b)) topology_link_up(l, !begin);
          what += " " + topo.node_name(a) + "<->" + topo.node_name(b);
        }
        break;
      case FaultKind::gtm_outage: authority_->set_reachable(!begin); break;
    }
    metrics_.log().add(sim_.now(), "fault", begin ? "fault_start" : "fault_end", what);
  }

  void topology_link_up(std::size_t link, bool up) { spec_.topology.set_link_up(link, up); }

  // ---- probes -------------------------------------------------------------

  ProbeResult probe(std::size_t address, std::size_t site, ProbeProtocol protocol, Duration timeout) {
    const auto& topo = spec_.topology;
    const auto rtt = topo.rtt(site, topo.region_node(topo.clusters()[address].region));
    if (!rtt) return {false, timeout};
    const LoadBalancer& lb = lbs_[address];
    const ConnectResult cr = lb.connect();
    switch (protocol) {
      case ProbeProtocol::ping:
        // ICMP to the balancer's address: answered while the balancer stands,
        // whatever happened to the gateway behind it.
        if (lb.condition() == GatewayCondition::lb_down || lb.condition() == GatewayCondition::blackholed)
          return {false, timeout};
        return {true, *rtt};
      case ProbeProtocol::tcp:
        if (cr == ConnectResult::accept) return {true, *rtt};
        if (cr == ConnectResult::refuse) return {false, *rtt};
        return {false, timeout};
      case ProbeProtocol::http:
        if (cr == ConnectResult::refuse) return {false, *rtt};
        if (cr == ConnectResult::drop) return {false, timeout};
        if (lb.gray_error_share() > 0 && gray_rng_.bernoulli(lb.gray_error_share())) return {false, *rtt * 2};
        return {true, *rtt * 2 + lb.gray_extra_latency()};
    }
    return {true, *rtt};
  }

  // ---- load ---------------------------------------------------------------

  void schedule_send(std::uint32_t client, TimePoint t) {
    sim_.at(t, [this, client] { send(client); }, EventTag{kSend, static_cast<std::uint16_t>(clients_[client].population)});
  }

  void arrival(std::uint32_t pi) {
    Population& pop = populations_[pi];
    const std::uint32_t ci = pop.first_client + static_cast<std::uint32_t>(pop.rng.below(pop.clients));
    send(ci);
    const TimePoint next = pop.arrivals->next(sim_.now(), pop.rng);
    if (next != TimePoint::max())
      sim_.at(next, [this, pi] { arrival(pi); }, EventTag{kArrival, static_cast<std::uint16_t>(pi)});
  }

  void request_done(std::uint32_t client) {
    const Client& c = clients_[client];
    const PopulationSpec& ps = spec_.populations[c.population];
    switch (ps.load.kind) {
      case LoadKind::fortio: {
        Population& pop = populations_[c.population];
        const TimePoint next = pacers_[static_cast<std::size_t>(c.pacer)].next_send(sim_.now(), pop.rng);
        if (next != TimePoint::max()) schedule_send(client, next);
        break;
      }
      case LoadKind::closed_loop: {
        Population& pop = populations_[c.population];
        const TimePoint end = TimePoint::start() + ps.load.start + ps.load.duration;
        const TimePoint next = sim_.now() + Duration::from_seconds(std::max(0.0, ps.load.think_s.sample(pop.rng)));
        if (next < end) schedule_send(client, next);
        break;
      }
      case LoadKind::open_loop: break;
    }
  }

  // ---- the request path ---------------------------------------------------

  std::uint32_t allocate_request() {
    if (free_request_ != UINT32_MAX) {
      const std::uint32_t r = free_request_;
      free_request_ = requests_[r].next_free;
      return r;
    }
    requests_.emplace_back();
    return static_cast<std::uint32_t>(requests_.size() - 1);
  }
  void free_request(std::uint32_t r) {
    requests_[r].next_free = free_request_;
    free_request_ = r;
  }

  [[nodiscard]] const ClientProfile& profile_of(std::uint32_t client) const {
    return spec_.populations[clients_[client].population].profile;
  }

  void send(std::uint32_t client) {
    const std::uint32_t ri = allocate_request();
    Request& r = requests_[ri];
    const ClientProfile& p = profile_of(client);
    r = Request{};
    r.client = client;
    r.start = sim_.now();
    r.deadline = p.total_timeout > Duration::zero() ? r.start + p.total_timeout : TimePoint::max();
    r.retries_left = static_cast<std::uint8_t>(std::clamp(p.retries, 0, 255));
    metrics_.request_started();
    begin(ri);
  }

  /// Resolves (or reuses a connection) and starts the connect attempts.
  void begin(std::uint32_t ri) {
    Request& r = requests_[ri];
    Client& c = clients_[r.client];
    const ClientProfile& p = profile_of(r.client);
    if (p.keepalive && c.conn_address != kNoAddress) {
      reuse_connection(ri);
      return;
    }
    Duration lookup = Duration::zero();
    if (needs_lookup(p, c.dns, sim_.now())) {
      RecursiveResolver& res = resolvers_[c.resolver];
      const Resolution resolution = res.resolve(sim_.now());
      lookup = res.params().lookup_latency;
      store_resolution(p, c.dns, resolution, sim_.now());
      if (!resolution.ok || resolution.addresses.empty()) {
        finish_at(ri, sim_.now() + lookup, Cause::dns_failure, kNoAddress);
        return;
      }
    }
    r.cands = candidates(p, c.dns, c.dns.cached, populations_[c.population].rng);
    r.next = 0;
    r.dial_deadline = sim_.now() + lookup + p.connect_timeout;
    if (lookup > Duration::zero()) {
      sim_.after(lookup, [this, ri] { attempt(ri); }, EventTag{kAttempt, 0});
    } else {
      attempt(ri);
    }
  }

  [[nodiscard]] std::optional<Duration> client_rtt(std::uint32_t client, std::uint16_t address) const {
    const auto& topo = spec_.topology;
    const std::size_t site = spec_.populations[clients_[client].population].site;
    return topo.rtt(site, topo.region_node(topo.clusters()[address].region));
  }

  [[nodiscard]] std::size_t region_of(std::uint16_t address) const {
    return address == kNoAddress ? spec_.topology.regions().size() : spec_.topology.clusters()[address].region;
  }

  void note_first_address(Request& r, std::uint16_t address) {
    if (r.first_address != kNoAddress) return;
    r.first_address = address;
    r.first_faulty = faulty_[address] > 0;
  }

  void reuse_connection(std::uint32_t ri) {
    Request& r = requests_[ri];
    Client& c = clients_[r.client];
    const std::uint16_t a = c.conn_address;
    note_first_address(r, a);
    metrics_.attempt_made();
    const auto rtt = client_rtt(r.client, a);
    const ConnectResult cr = rtt ? lbs_[a].connect() : ConnectResult::drop;
    if (cr == ConnectResult::accept) {
      respond(ri, a, sim_.now(), *rtt);
    } else if (cr == ConnectResult::refuse) {
      // The gateway behind the connection is gone: the peer resets it.
      c.conn_address = kNoAddress;
      finish_at(ri, sim_.now() + *rtt, Cause::connection_reset, a);
    } else {
      c.conn_address = kNoAddress;
      const ClientProfile& p = profile_of(r.client);
      finish_at(ri, std::min(r.deadline, sim_.now() + p.read_timeout), Cause::read_timeout, a);
    }
  }

  void attempt(std::uint32_t ri) {
    Request& r = requests_[ri];
    const ClientProfile& p = profile_of(r.client);
    const std::uint16_t a = r.cands[r.next++];
    note_first_address(r, a);
    metrics_.attempt_made();
    const TimePoint now = sim_.now();
    const TimePoint limit = std::min(r.dial_deadline, r.deadline);
    const Duration budget = attempt_timeout(p, limit - now, r.cands.size() - (r.next - 1));
    const auto rtt = client_rtt(r.client, a);
    const ConnectResult cr = rtt ? lbs_[a].connect() : ConnectResult::drop;
    if (cr == ConnectResult::accept && *rtt <= budget) {
      respond(ri, a, now + *rtt, *rtt);
    } else if (cr == ConnectResult::refuse && *rtt <= budget) {
      const std::uint16_t addr = a;
      sim_.at(now + *rtt, [this, ri, addr] { connect_failed(ri, addr, Cause::connect_refused); },
              EventTag{kConnectFailed, 0});
    } else {
      const std::uint16_t addr = a;
      sim_.at(now + budget, [this, ri, addr] { connect_failed(ri, addr, Cause::connect_timeout); },
              EventTag{kConnectFailed, 1});
    }
  }

  void connect_failed(std::uint32_t ri, std::uint16_t address, Cause cause) {
    Request& r = requests_[ri];
    const ClientProfile& p = profile_of(r.client);
    const bool may_fall_back = cause == Cause::connect_refused ? p.fallback_on_refused : p.fallback_on_timeout;
    const TimePoint limit = std::min(r.dial_deadline, r.deadline);
    if (may_fall_back && r.next < r.cands.size() && sim_.now() < limit) {
      attempt(ri);
      return;
    }
    finish_now(ri, cause, address);
  }

  /// Connected at `connected`: the response comes one RTT plus service later.
  void respond(std::uint32_t ri, std::uint16_t address, TimePoint connected, Duration rtt) {
    Request& r = requests_[ri];
    const ClientProfile& p = profile_of(r.client);
    const LoadBalancer& lb = lbs_[address];
    if (deployments_[address]) {
      // The request reaches the gateway half an RTT after the connection is up.
      r.address = address;
      r.half_rtt = rtt / 2;
      r.read_deadline = std::min(r.deadline, connected + p.read_timeout);
      if (keepalive_ok(p)) clients_[r.client].conn_address = address;
      sim_.at(connected + r.half_rtt, [this, ri] { arrive(ri); }, EventTag{kArrive, 0});
      return;
    }
    if (has_app(address)) {
      // The request reaches the app half an RTT after the connection is up.
      r.address = address;
      r.half_rtt = rtt / 2;
      r.read_deadline = std::min(r.deadline, connected + p.read_timeout);
      if (keepalive_ok(p)) clients_[r.client].conn_address = address;
      sim_.at(connected + r.half_rtt, [this, ri] { enter_app(ri); }, EventTag{kEnterApp, 0});
      return;
    }
    const double service = std::max(0.0, spec_.gateways[address].service_time_s.sample(service_rng_));
    const TimePoint response = connected + rtt + Duration::from_seconds(service) + lb.gray_extra_latency();
    const TimePoint read_deadline = std::min(r.deadline, connected + p.read_timeout);
    if (response > read_deadline) {
      finish_at(ri, read_deadline, Cause::read_timeout, address);
      return;
    }
    Cause cause = Cause::ok;
    if (lb.gray_error_share() > 0 && gray_rng_.bernoulli(lb.gray_error_share())) cause = Cause::http_503;
    if (p.keepalive && cause == Cause::ok) clients_[r.client].conn_address = address;
    finish_at(ri, response, cause, address);
  }

  static bool keepalive_ok(const ClientProfile& p) { return p.keepalive; }

  [[nodiscard]] bool has_app(std::uint16_t address) const { return mesh_ && mesh_->has_app(address); }

  /// Past the gateway: the request goes through the app's call graph, which
  /// must answer half an RTT before the client's read deadline.
  void enter_app(std::uint32_t ri) {
    const auto wait = time_to_answer(ri);
    if (!wait) return;
    mesh_->handle(ri, requests_[ri].address, *wait);
  }

  /// How long the server side has to answer so the reply reaches the client
  /// before its read deadline; nullopt (and the request ends as a read
  /// timeout) when that time is already gone.
  std::optional<Duration> time_to_answer(std::uint32_t ri) {
    const Request& r = requests_[ri];
    const TimePoint now = sim_.now();
    const Duration wait = r.read_deadline > now ? r.read_deadline - now - r.half_rtt : Duration::zero();
    if (wait > Duration::zero()) return wait;
    finish_at(ri, std::max(now, r.read_deadline), Cause::read_timeout, r.address);
    return std::nullopt;
  }

  /// At the gateway: rate limit, queue, or an immediate rejection.
  void arrive(std::uint32_t ri) {
    const auto wait_or_gone = time_to_answer(ri);
    if (!wait_or_gone) return;
    const Duration wait = *wait_or_gone;
    Request& r = requests_[ri];
    const TimePoint now = sim_.now();
    if (deployments_[r.address]->down()) {
      // Connected just before the Deployment went away: the node resets the
      // connection (fortio -1), it is not an HTTP answer.
      finish_at(ri, now + r.half_rtt, Cause::connection_reset, r.address);
      return;
    }
    switch (deployments_[r.address]->submit(ri, wait)) {
      case GatewayVerdict::accepted: return;  // on_done follows
      case GatewayVerdict::rate_limited: finish_at(ri, now + r.half_rtt, Cause::http_429, r.address); return;
      case GatewayVerdict::overflow:
      case GatewayVerdict::no_ready_pod: finish_at(ri, now + r.half_rtt, Cause::http_503, r.address); return;
    }
  }

 public:
  /// Completion from a gateway Deployment (GatewayCompletion target).
  void on_done(std::uint32_t ri, GatewayOutcome outcome, Duration) {
    Request& r = requests_[ri];
    if (outcome == GatewayOutcome::client_timeout) {
      finish_now(ri, Cause::read_timeout, r.address);
      return;
    }
    if (has_app(r.address)) {
      enter_app(ri);
      return;
    }
    const LoadBalancer& lb = lbs_[r.address];
    const double app = std::max(0.0, spec_.gateways[r.address].service_time_s.sample(service_rng_));
    const TimePoint response = sim_.now() + Duration::from_seconds(app) + lb.gray_extra_latency() + r.half_rtt;
    if (response > r.read_deadline) {
      finish_at(ri, r.read_deadline, Cause::read_timeout, r.address);
      return;
    }
    Cause cause = Cause::ok;
    if (lb.gray_error_share() > 0 && gray_rng_.bernoulli(lb.gray_error_share())) cause = Cause::http_503;
    finish_at(ri, response, cause, r.address);
  }

  /// Completion from the app (MeshCompletion target): the entry service
  /// answered, a call failed (503: UF, UO or UC), or the deadline passed.
  void on_app_response(std::uint32_t ri, MeshOutcome outcome) {
    Request& r = requests_[ri];
    if (outcome == MeshOutcome::client_timeout) {
      finish_at(ri, r.read_deadline, Cause::read_timeout, r.address);
      return;
    }
    const LoadBalancer& lb = lbs_[r.address];
    const TimePoint response = sim_.now() + lb.gray_extra_latency() + r.half_rtt;
    if (response > r.read_deadline) {
      finish_at(ri, r.read_deadline, Cause::read_timeout, r.address);
      return;
    }
    Cause cause = outcome == MeshOutcome::ok ? Cause::ok : Cause::http_503;
    if (cause == Cause::ok && lb.gray_error_share() > 0 && gray_rng_.bernoulli(lb.gray_error_share()))
      cause = Cause::http_503;
    finish_at(ri, response, cause, r.address);
  }

 private:
  void finish_at(std::uint32_t ri, TimePoint t, Cause cause, std::uint16_t address) {
    const auto c = static_cast<std::uint8_t>(cause);
    sim_.at(t, [this, ri, c, address] { finish_now(ri, static_cast<Cause>(c), address); }, EventTag{kFinish, c});
  }

  void finish_now(std::uint32_t ri, Cause cause, std::uint16_t address) {
    Request& r = requests_[ri];
    Client& c = clients_[r.client];
    const ClientProfile& p = profile_of(r.client);
    if (cause != Cause::ok) {
      // fortio (and most clients) close the socket after an error.
      if (c.conn_address == address) c.conn_address = kNoAddress;
      const bool retryable = cause != Cause::http_429 && (cause != Cause::http_503 || p.retry_on_5xx) &&
                             (cause != Cause::http_504 || p.retry_on_5xx);
      if (r.retries_left > 0 && retryable) {
        const int attempt_no = p.retries - r.retries_left;
        --r.retries_left;
        const Duration backoff = p.retry_backoff * (std::int64_t{1} << std::min(attempt_no, 20));
        if (sim_.now() + backoff < r.deadline) {
          sim_.after(backoff, [this, ri] { begin(ri); }, EventTag{kRetry, 0});
          return;
        }
      }
    }
    if (r.first_address == kNoAddress && address != kNoAddress) note_first_address(r, address);
    metrics_.record(r.start, sim_.now(), region_of(address), cause, r.first_faulty);
    const std::uint32_t client = r.client;
    free_request(ri);
    request_done(client);
  }

  ModelSpec spec_;
  Simulator sim_;
  Probes probes_;
  MeshRoutes routes_{this};
  Duration horizon_;
  RunMetrics metrics_;
  std::vector<LoadBalancer> lbs_;
  std::vector<std::unique_ptr<GatewayDeployment>> deployments_;
  std::unique_ptr<ServiceMesh> mesh_;  // nullptr: no gateway has an app
  std::unique_ptr<GlobalTrafficManager> gtm_;
  std::unique_ptr<GtmAuthority> authority_;
  std::vector<RecursiveResolver> resolvers_;
  std::vector<Client> clients_;
  std::vector<FortioPacer> pacers_;
  std::vector<Population> populations_;
  std::vector<Request> requests_;
  std::uint32_t free_request_ = UINT32_MAX;
  std::vector<int> faulty_;
  std::vector<TimePoint> fault_times_;
  RandomStream service_rng_, gray_rng_;
};

}  // namespace drsim
