// The assembled failover model: the components of a ModelSpec on one
// simulator, and the request path that ties them together.
//
// The components keep their own state and say what they see: balancers
// (load_balancer.hpp), the GTM and its probes (gtm.hpp, GatewayProbes),
// resolvers (dns.hpp), client populations and their load
// (client_population.hpp), gateway Deployments (gateway_deployment.hpp), the
// app's call graph (service_graph.hpp), faults (faults.hpp) and the response
// bookkeeping (metrics.hpp). What stays here is the request, step by step:
//
//   send -> begin (connection reuse, or DNS: client cache, resolver, GTM)
//        -> attempt (connect, falling back to the next address) -> connected
//        -> the gateway's pods (arrive), the app (enter_app), or the direct answer
//        -> reply (one place that turns the server side's answer into the client's)
//        -> finish (retry, or record once in RunMetrics and tell the population)
//
// Requests live in an IndexPool and events capture (this, request index), so
// the request path allocates nothing once the pool has grown to the peak
// concurrency.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "drsim/core/error.hpp"
#include "drsim/core/pool.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/aggregated_clients.hpp"
#include "drsim/model/alerts.hpp"
#include "drsim/model/client.hpp"
#include "drsim/model/client_population.hpp"
#include "drsim/model/connect_rules.hpp"
#include "drsim/model/dns.hpp"
#include "drsim/model/event_kinds.hpp"
#include "drsim/model/faults.hpp"
#include "drsim/model/gateway_deployment.hpp"
#include "drsim/model/gtm.hpp"
#include "drsim/model/load_balancer.hpp"
#include "drsim/model/metrics.hpp"
#include "drsim/model/model_spec.hpp"
#include "drsim/model/outcome.hpp"
#include "drsim/model/service_graph.hpp"

namespace drsim {

class FailoverModel {
 public:
  FailoverModel(const ModelSpec& spec, std::uint64_t seed)
      : spec_(spec), sim_(seed),
        horizon_(spec.horizon > Duration::zero() ? spec.horizon : load_end(spec) + Duration::seconds(60)),
        metrics_(spec.topology.regions().size(), horizon_, spec.report_detail) {
    check_model(spec_);
    metrics_.log().set_enabled(spec_.log_events);
    build();
  }
  FailoverModel(const FailoverModel&) = delete;
  FailoverModel& operator=(const FailoverModel&) = delete;

  /// Runs to the horizon and returns what was measured.
  RunMetrics& run() {
    start();
    sim_.run_until(end_);
    aggregated_->replay(*authority_);
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
  [[nodiscard]] const std::vector<TimePoint>& fault_times() const { return faults_->times(); }
  [[nodiscard]] Duration horizon() const { return horizon_; }
  /// Peak number of requests in flight at once (size of the request pool).
  [[nodiscard]] std::size_t peak_in_flight() const { return requests_.size(); }

  /// A client sends a request now (called by its population).
  void send(std::uint32_t client) {
    const std::uint32_t ri = requests_.acquire();
    Request& r = requests_[ri];
    const ClientProfile& p = clients_->profile_of(client);
    r = Request{};
    r.client = client;
    r.profile = &p;
    r.start = sim_.now();
    r.deadline = p.total_timeout > Duration::zero() ? r.start + p.total_timeout : TimePoint::max();
    r.retries_left = static_cast<std::uint8_t>(std::clamp(p.retries, 0, 255));
    metrics_.request_started();
    begin(ri);
  }

  /// Completion from the app (MeshCompletion target): the entry service
  /// answered, a call failed (503: UF, UO or UC), or the deadline passed.
  void on_app_response(std::uint32_t ri, MeshOutcome outcome) {
    Request& r = requests_[ri];
    if (outcome == MeshOutcome::client_timeout) {
      finish_at(ri, r.read_deadline, Cause::read_timeout, r.address);
      return;
    }
    reply(ri, sim_.now(), client_cause(outcome, spec_.mesh.has_value()));
  }

 private:
  struct Request {
    const ClientProfile* profile = nullptr;  // its client's (read at every step: looked up once)
    TimePoint start;
    TimePoint dial_deadline;
    TimePoint deadline;
    AddressList cands;
    std::uint32_t client = 0;
    std::uint8_t next = 0;
    std::uint8_t retries_left = 0;
    std::uint16_t first_address = kNoAddress;
    std::uint16_t address = kNoAddress;  // where the server side is answering it
    bool first_faulty = false;
    Duration back;  // the reply's way back to the client: half an RTT (or a whole one, answered at connect)
    TimePoint read_deadline;
    // The kept-alive connection it went on (its rate-limit bucket), if any.
    GatewayDeployment::Connection connection = GatewayDeployment::kNoConnection;
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

  void build() {
    const auto& topo = spec_.topology;
    const std::size_t n = topo.clusters().size();
    std::vector<std::string> names;
    for (std::size_t c = 0; c < n; ++c) {
      names.push_back(spec_.gateways[c].address.empty() ? topo.clusters()[c].name : spec_.gateways[c].address);
      lbs_.emplace_back(sim_, topo.clusters()[c].name, spec_.gateways[c].lb, &metrics_.log(), static_cast<std::uint16_t>(c));
    }
    deployments_.resize(n);
    for (std::size_t c = 0; c < n; ++c) {
      if (!spec_.gateways[c].capacity_model) continue;
      deployments_[c] = std::make_unique<GatewayDeployment>(sim_, spec_.gateways[c].capacity, topo.clusters()[c].name,
                                                            &metrics_.log(), static_cast<std::uint16_t>(c));
    }
    for (std::size_t c = 0; c < n; ++c) {
      if (!spec_.gateways[c].app) continue;
      if (!mesh_) mesh_ = std::make_unique<ServiceMesh>(sim_, n, routes_, MeshCompletion::to(*this));
      mesh_->add_app(c, *spec_.gateways[c].app, spec_.gateways[c].cluster_local, topo.clusters()[c].name);
    }
    if (mesh_ && spec_.mesh) mesh_->use_traffic(*spec_.mesh, &metrics_.log());
    gray_rng_ = sim_.stream("gateways/gray");
    service_rng_ = sim_.stream("gateways/service");
    // A Deployment's requests draw the app's service time from a stream of
    // its own, in the order they reach its pods, whichever of them are taken
    // before their arrival (connected).
    deployment_service_.resize(n);
    for (std::size_t c = 0; c < n; ++c)
      if (deployments_[c])
        deployment_service_[c] = DrawsAhead(spec_.gateways[c].service_time_s, sim_.stream("gateways/" + topo.clusters()[c].name + "/service"));
    on_the_way_.resize(n);
    arrival_lead_.assign(n, Duration::max());
    probes_ = std::make_unique<GatewayProbes>(spec_.topology, lbs_, gray_rng_);
    gtm_ = std::make_unique<GlobalTrafficManager>(sim_, spec_.gtm, *probes_, &metrics_.log(), names);
    authority_ = std::make_unique<GtmAuthority>(*gtm_);
    // The wall clock's second boundary, shared by every resolver (their own clock_phase wins).
    RandomStream clock = sim_.stream("resolvers/clock");
    const auto clock_phase = Duration::nanoseconds(static_cast<std::int64_t>(clock.below(1'000'000'000)));
    resolvers_.reserve(spec_.resolvers.size());
    for (std::size_t i = 0; i < spec_.resolvers.size(); ++i)
      resolvers_.emplace_back(spec_.resolvers[i], *authority_, sim_.seed(), i, clock_phase);
    faults_ = std::make_unique<FaultInjector>(
        sim_, spec_.faults,
        FaultTargets{&lbs_, &deployments_, &spec_.topology, authority_.get(), &metrics_.log(), mesh_ ? mesh_->traffic() : nullptr});
    clients_ = std::make_unique<ClientPopulations<FailoverModel>>(sim_, spec_.populations, *this, spec_.request_shortcuts);
    aggregated_ = std::make_unique<AggregatedClients>(
        AggregateWorld{&sim_, &spec_, &metrics_, &resolvers_, &lbs_, faults_.get(), gtm_.get(), end_},
        static_cast<std::uint32_t>(clients_->size()));
    for (auto& lb : lbs_) lb.on_change([this] { aggregated_->mark(); });
    faults_->on_change([this] {
      aggregated_->mark();
      refresh_arrival_leads();  // a partition's start or end changes the routes
    });
    metrics_.drain.configure(clients_->size() + aggregated_->size(), static_cast<std::size_t>(horizon_.ns() / 1'000'000'000) + 1);
  }

  // The order components start in is the order of their first events at
  // equal times, so it is part of the run fingerprint.
  void start() {
    RandomStream lb_rng = sim_.stream("balancers/phases");
    for (auto& lb : lbs_) lb.start(lb_rng);
    for (auto& d : deployments_)
      if (d) d->start();
    if (mesh_) mesh_->start();
    RandomStream phases = sim_.stream("gtm/phases");
    gtm_->start(phases);
    RandomStream fault_rng = sim_.stream("faults");
    faults_->start(fault_rng);
    // The headline fault is known once its time is drawn: metrics split what
    // fails before it, and the drain curve counts from it.
    if (const auto fault = faults_->first_gateway_fault()) metrics_.fault_at = fault->at;
    refresh_arrival_leads();
    clients_->start();
    aggregated_->mark();
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
    if (MeshTraffic* t = mesh_ ? mesh_->traffic() : nullptr) metrics_.mesh = {{t->ejections(), t->stats().retries, t->stats().pushes}};
    evaluate_alerts(spec_.alerts, metrics_);
    metrics_.log().sort_by_time();
    // Headline timing refers to the earliest fault that hits a gateway address.
    const auto fault = faults_->first_gateway_fault();
    if (!fault) return;
    metrics_.fault_at = fault->at;
    for (std::size_t c : fault->clusters)
      if (auto t = gtm_->judged_unhealthy_at(static_cast<std::uint16_t>(c), fault->at))
        if (!metrics_.detected_at || *t < *metrics_.detected_at) metrics_.detected_at = t;
    metrics_.answer_changed_at = gtm_->answer_changed_at(fault->at);
    metrics_.drain.finish(TimePoint::start() + horizon_);
  }

  // ---- the request path ---------------------------------------------------

  /// Reuses a kept connection, or resolves and starts the connect attempts
  /// (also where a retry starts again).
  void begin(std::uint32_t ri) {
    Request& r = requests_[ri];
    Client& c = clients_->client(r.client);
    const ClientProfile& p = *r.profile;
    if (p.keepalive && c.conn_address != kNoAddress) {
      reuse_connection(ri);
      return;
    }
    Duration lookup = Duration::zero();
    if (needs_lookup(p, c.dns, sim_.now())) {
      RecursiveResolver& res = resolvers_[c.resolver];
      const Resolution resolution = res.resolve(sim_.now());
      lookup = res.params().lookup_latency + resolution.wait;
      store_resolution(p, c.dns, resolution, sim_.now());
      if (!resolution.ok || resolution.addresses.empty()) {
        finish_at(ri, sim_.now() + lookup, Cause::dns_failure, kNoAddress);
        return;
      }
    }
    r.cands = candidates(p, c.dns, c.dns.cached, clients_->rng_of(r.client));
    r.next = 0;
    r.dial_deadline = sim_.now() + lookup + p.connect_timeout;
    if (lookup > Duration::zero()) {
      sim_.after(lookup, [this, ri] { attempt(ri); }, tag(EventKind::attempt));
    } else {
      attempt(ri);
    }
  }

  [[nodiscard]] std::optional<Duration> client_rtt(std::uint32_t client, std::uint16_t address) const {
    const auto& topo = spec_.topology;
    return topo.rtt(clients_->spec_of(client).site, topo.region_node(topo.clusters()[address].region));
  }

  void note_first_address(Request& r, std::uint16_t address) {
    if (r.first_address != kNoAddress) return;
    r.first_address = address;
    r.first_faulty = faults_->faulty(address);
    metrics_.drain.watch(gtm_->answer_history(), metrics_.fault_at);
    metrics_.drain.sent(r.client, address, sim_.now());
  }

  void reuse_connection(std::uint32_t ri) {
    Request& r = requests_[ri];
    Client& c = clients_->client(r.client);
    const std::uint16_t a = c.conn_address;
    note_first_address(r, a);
    metrics_.attempt_made();
    const auto rtt = client_rtt(r.client, a);
    const ConnectResult cr = rtt ? lbs_[a].connect() : ConnectResult::drop;
    if (cr == ConnectResult::accept) {
      connected(ri, a, sim_.now(), *rtt);
    } else if (cr == ConnectResult::refuse) {
      // The gateway behind the connection is gone: the peer resets it.
      close_connection(c);
      finish_at(ri, sim_.now() + *rtt, Cause::connection_reset, a);
    } else {
      close_connection(c);
      const Duration read = r.profile->read_timeout;
      finish_at(ri, std::min(r.deadline, sim_.now() + (read > Duration::zero() ? read : kOsRetransmitLimit)),
                Cause::read_timeout, a);
    }
  }

  void attempt(std::uint32_t ri) {
    Request& r = requests_[ri];
    const ClientProfile& p = *r.profile;
    const std::uint16_t a = r.cands[r.next++];
    note_first_address(r, a);
    const TimePoint now = sim_.now();
    const auto rtt = client_rtt(r.client, a);
    const ConnectAttempt c = connect_attempt(p, now, r.dial_deadline, r.deadline, r.cands.size() - (r.next - 1), rtt,
                                             rtt ? lbs_[a].connect() : ConnectResult::drop);
    metrics_.connection_opened(r.client, a, c.took);
    if (c.wins) {
      connected(ri, a, now + *rtt, *rtt);
    } else if (spec_.request_shortcuts &&
               !falls_back(p, c.failure, r.next < r.cands.size(), c.failed_at, r.dial_deadline, r.deadline)) {
      // No next address to fall back to: the request ends when the attempt fails.
      finish_at(ri, c.failed_at, c.failure, a);
    } else {
      const Cause cause = c.failure;
      sim_.at(c.failed_at, [this, ri, a, cause] { connect_failed(ri, a, cause); },
              tag(EventKind::connect_failed, cause == Cause::connect_refused ? 0 : 1));
    }
  }

  void connect_failed(std::uint32_t ri, std::uint16_t address, Cause cause) {
    Request& r = requests_[ri];
    const ClientProfile& p = *r.profile;
    if (falls_back(p, cause, r.next < r.cands.size(), sim_.now(), r.dial_deadline, r.deadline)) {
      attempt(ri);
      return;
    }
    finish(ri, cause, address);
  }

  /// Connected at `at`: the request goes to the gateway's pods, to the app,
  /// or (neither modelled) is answered after one service time.
  void connected(std::uint32_t ri, std::uint16_t address, TimePoint at, Duration rtt) {
    Request& r = requests_[ri];
    const ClientProfile& p = *r.profile;
    r.address = address;
    r.read_deadline = p.read_timeout > Duration::zero() ? std::min(r.deadline, at + p.read_timeout) : r.deadline;
    if (deployments_[address] || has_app(address)) {
      // The request reaches the server side half an RTT after the connection is up.
      r.back = rtt / 2;
      if (p.keepalive) keep_connection(clients_->client(r.client), address);
      r.connection = p.keepalive ? clients_->client(r.client).conn_bucket : GatewayDeployment::kNoConnection;
      const TimePoint arrival = at + r.back;
      if (deployments_[address] && !has_app(address) && spec_.request_shortcuts && arrival <= end_ &&
          (std::min(sim_.next_event_time(), clients_->next_arrival_at()) > arrival ||
           deployment_quiet_until(address, arrival, p)) &&
          take_in_order(address, ri, arrival)) {
        // The Deployment would see the request in the state it is in now
        // (plus the requests due there before it): taken now, one event
        // fewer per request.
      } else if (deployments_[address]) {
        const EventHandle e = sim_.at(arrival, [this, address, ri] { arrived(address, ri); }, tag(EventKind::arrive_at_gateway));
        on_the_way_[address].add(arrival, ri, e, !uses_connection_bucket(address, p));
      } else {
        sim_.at(arrival, [this, ri] { enter_app(ri); }, tag(EventKind::enter_app));
      }
      return;
    }
    r.back = rtt;
    const std::uint32_t client = r.client;
    const double service = std::max(0.0, spec_.gateways[address].service_time_s.sample(service_rng_));
    const Cause cause = reply(ri, at + Duration::from_seconds(service), Cause::ok);
    if (p.keepalive && cause == Cause::ok) keep_connection(clients_->client(client), address);
  }

  /// Whether a request reaching `address`'s pods at `arrival` (later than
  /// now) can be taken now, though other events are due before it: nothing
  /// but requests touches the Deployment before `arrival` (its own next
  /// event, and the next fault, come after it), no request sent from now on
  /// can reach it before `arrival` (arrival_lead_), and the reply draws no
  /// gray-failure error from the stream the GTM's probes share. Requests on
  /// their way there as events that arrive first are taken first
  /// (take_in_order). A request on a connection with a rate-limit bucket of
  /// its own keeps its event: the bucket can be closed and reused in between.
  [[nodiscard]] bool deployment_quiet_until(std::uint16_t address, TimePoint arrival, const ClientProfile& p) const {
    return !uses_connection_bucket(address, p) && arrival - sim_.now() <= arrival_lead_[address] &&
           arrival < deployments_[address]->next_event_at() && arrival < faults_->next_change_at() &&
           lbs_[address].gray_error_share() == 0;
  }

  /// Whether the pods admit the request by its kept-alive connection's own
  /// rate-limit bucket, which the client can close (and the id be reused)
  /// while the request is on its way: what they see depends on when it arrives.
  [[nodiscard]] bool uses_connection_bucket(std::uint16_t address, const ClientProfile& p) const {
    return p.keepalive && deployments_[address]->limits_per_connection();
  }

  /// Takes a request at `address`'s pods at `arrival` (now, or a time
  /// deployment_quiet_until allows): the requests on their way there as
  /// events that arrive at or before it go first, their events cancelled.
  /// False, taking none, when one of those must keep its event.
  bool take_in_order(std::uint16_t address, std::uint32_t ri, TimePoint arrival) {
    ArrivalsOnTheWay& way = on_the_way_[address];
    if (!way.may_take_through(arrival)) return false;
    while (!way.empty() && way.front().at <= arrival) {
      const ArrivalsOnTheWay::Item first = way.front();
      way.pop_front();
      sim_.cancel(first.event);
      arrive_at(first.ri, first.at);
    }
    arrive_at(ri, arrival);
    return true;
  }

  /// An arrival event: the request leaves the ones on their way.
  void arrived(std::uint16_t address, std::uint32_t ri) {
    on_the_way_[address].remove(ri);
    arrive_at(ri, sim_.now());
  }

  /// The least time from an event that sends or retries a request to that
  /// request reaching each Deployment's pods: 1.5 RTTs over a new connection
  /// (connect, then half an RTT), half an RTT over a kept-alive one, for
  /// every site a population sends from.
  void refresh_arrival_leads() {
    const auto& topo = spec_.topology;
    std::fill(arrival_lead_.begin(), arrival_lead_.end(), Duration::max());
    for (const auto& ps : spec_.populations) {
      if (ps.aggregate) continue;
      for (std::size_t c = 0; c < arrival_lead_.size(); ++c) {
        const auto rtt = topo.rtt(ps.site, topo.region_node(topo.clusters()[c].region));
        if (!rtt) continue;
        const Duration lead = ps.profile.keepalive ? *rtt / 2 : *rtt + *rtt / 2;
        arrival_lead_[c] = std::min(arrival_lead_[c], lead);
      }
    }
  }

  /// The server side answered at `answered` (`answer`: ok, or a 503's cause); the reply
  /// reaches the client after any gray-failure delay and the way back, unless
  /// the client's read deadline comes first. The one place a response ends.
  Cause reply(std::uint32_t ri, TimePoint answered, Cause answer) {
    const Request& r = requests_[ri];
    const LoadBalancer& lb = lbs_[r.address];
    const TimePoint response = answered + lb.gray_extra_latency() + r.back;
    if (response > r.read_deadline) {
      finish_at(ri, r.read_deadline, Cause::read_timeout, r.address);
      return Cause::read_timeout;
    }
    Cause cause = answer;
    if (cause == Cause::ok && lb.gray_error_share() > 0 && gray_rng_.bernoulli(lb.gray_error_share())) cause = Cause::http_503;
    finish_at(ri, response, cause, r.address);
    return cause;
  }

  [[nodiscard]] bool has_app(std::uint16_t address) const { return mesh_ && mesh_->has_app(address); }

  /// The client keeps its connection to `address` open for the next request;
  /// a new one gets its own rate-limit bucket where the gateway limits per
  /// downstream connection.
  void keep_connection(Client& c, std::uint16_t address) {
    if (c.conn_address == address) return;
    close_connection(c);
    c.conn_address = address;
    if (deployments_[address]) c.conn_bucket = deployments_[address]->open_connection();
  }
  void close_connection(Client& c) {
    if (c.conn_bucket != GatewayDeployment::kNoConnection) deployments_[c.conn_address]->close_connection(c.conn_bucket);
    c.conn_address = kNoAddress;
    c.conn_bucket = GatewayDeployment::kNoConnection;
  }

  /// How long the server side has to answer so the reply reaches the client
  /// before its read deadline; nullopt (and the request ends as a read
  /// timeout) when that time is already gone. `now`: when the request reaches it.
  std::optional<Duration> time_to_answer(std::uint32_t ri, TimePoint now) {
    const Request& r = requests_[ri];
    const Duration wait = r.read_deadline > now ? r.read_deadline - now - r.back : Duration::zero();
    if (wait > Duration::zero()) return wait;
    finish_at(ri, std::max(now, r.read_deadline), Cause::read_timeout, r.address);
    return std::nullopt;
  }

  /// Past the gateway: the request goes through the app's call graph.
  void enter_app(std::uint32_t ri) {
    if (const auto wait = time_to_answer(ri, sim_.now())) mesh_->handle(ri, requests_[ri].address, *wait);
  }

  /// At the gateway's pods at `at` (now, or a time with nothing due before
  /// it): rate limit, queue, or an immediate rejection. An accepted request's
  /// plan says when its pod is done with it and whether its client gave up
  /// first, so its end is known here.
  void arrive_at(std::uint32_t ri, TimePoint at) {
    const auto wait = time_to_answer(ri, at);
    if (!wait) return;
    const Request& r = requests_[ri];
    const TimePoint back = at + r.back;
    GatewayDeployment& d = *deployments_[r.address];
    if (d.down()) {
      // Connected just before the Deployment went away: the node resets the
      // connection (fortio -1), it is not an HTTP answer.
      finish_at(ri, back, Cause::connection_reset, r.address);
      return;
    }
    GatewayPlan plan;
    switch (d.submit(at, *wait, r.connection, plan)) {
      case GatewayVerdict::accepted: break;
      case GatewayVerdict::rate_limited: finish_at(ri, back, Cause::http_429, r.address); return;
      case GatewayVerdict::overflow:
      case GatewayVerdict::no_ready_pod: finish_at(ri, back, Cause::http_503, r.address); return;
    }
    if (plan.abandoned) {
      // The client stops waiting at its read deadline; the pod still does the work.
      finish_at(ri, r.read_deadline, Cause::read_timeout, r.address);
      return;
    }
    if (has_app(r.address)) {
      sim_.at(plan.done, [this, ri] { enter_app(ri); }, tag(EventKind::enter_app));
      return;
    }
    const double app = deployment_service_[r.address].next();
    reply(ri, plan.done + Duration::from_seconds(app), Cause::ok);
  }

  /// The request ends at `t` (>= now). Known now and nothing it does can
  /// change what another event sees before `t` (no retry, no kept-alive
  /// connection to close), it is settled at once: recorded with its end time
  /// and its client told when it was done. Otherwise an event at `t` does it.
  void finish_at(std::uint32_t ri, TimePoint t, Cause cause, std::uint16_t address) {
    if (spec_.request_shortcuts && t <= end_ && settles_early(requests_[ri], cause, address)) {
      settle(ri, cause, address, t);
      return;
    }
    const auto c = static_cast<std::uint8_t>(cause);
    sim_.at(t, [this, ri, c, address] { finish(ri, static_cast<Cause>(c), address); }, tag(EventKind::finish, c));
  }

  [[nodiscard]] static bool retryable(Cause cause, const ClientProfile& p) {
    return cause != Cause::http_429 && (fortio_code(cause) < 500 || p.retry_on_5xx);
  }

  [[nodiscard]] bool settles_early(const Request& r, Cause cause, std::uint16_t address) const {
    if (cause == Cause::ok) return r.first_address != kNoAddress || address == kNoAddress;
    const ClientProfile& p = *r.profile;
    return !p.keepalive && !(r.retries_left > 0 && retryable(cause, p)) &&
           (r.first_address != kNoAddress || address == kNoAddress);
  }

  /// The request ends now: retried when the profile says so, else recorded once.
  void finish(std::uint32_t ri, Cause cause, std::uint16_t address) {
    Request& r = requests_[ri];
    Client& c = clients_->client(r.client);
    const ClientProfile& p = *r.profile;
    if (cause != Cause::ok) {
      // A socket error closes the connection; an HTTP error does too unless
      // the client keeps connections across them (fortio does not).
      const bool http_answer = fortio_code(cause) >= 400;
      if (c.conn_address == address && !(http_answer && p.keep_on_http_error)) close_connection(c);
      if (r.retries_left > 0 && retryable(cause, p)) {
        const int attempt_no = p.retries - r.retries_left;
        --r.retries_left;
        const Duration backoff = p.retry_backoff * (std::int64_t{1} << std::min(attempt_no, 20));
        if (sim_.now() + backoff < r.deadline) {
          sim_.after(backoff, [this, ri] { begin(ri); }, tag(EventKind::retry));
          return;
        }
      }
    }
    if (r.first_address == kNoAddress && address != kNoAddress) note_first_address(r, address);
    settle(ri, cause, address, sim_.now());
  }

  /// Records the request, ended at `end`, once, and frees it.
  void settle(std::uint32_t ri, Cause cause, std::uint16_t address, TimePoint end) {
    const Request& r = requests_[ri];
    const std::size_t region = address == kNoAddress ? spec_.topology.regions().size() : spec_.topology.clusters()[address].region;
    metrics_.record(r.start, end, region, cause, r.first_faulty, r.client);
    const std::uint32_t client = r.client;
    requests_.release(ri);
    clients_->done(client, end);
  }

  ModelSpec spec_;
  Simulator sim_;
  MeshRoutes routes_{this};
  Duration horizon_;
  TimePoint end_ = TimePoint::start() + horizon_;  // the run's last instant: nothing after it is recorded
  RunMetrics metrics_;
  std::vector<LoadBalancer> lbs_;
  std::vector<std::unique_ptr<GatewayDeployment>> deployments_;
  std::unique_ptr<ServiceMesh> mesh_;  // nullptr: no gateway has an app
  std::unique_ptr<GatewayProbes> probes_;
  std::unique_ptr<GlobalTrafficManager> gtm_;
  std::unique_ptr<GtmAuthority> authority_;
  std::vector<RecursiveResolver> resolvers_;
  std::unique_ptr<FaultInjector> faults_;
  std::unique_ptr<ClientPopulations<FailoverModel>> clients_;
  std::unique_ptr<AggregatedClients> aggregated_;  // the populations run in aggregate
  IndexPool<Request> requests_;
  RandomStream service_rng_, gray_rng_;
  std::vector<DrawsAhead> deployment_service_;  // the app's service times, per address with a Deployment

  // The requests on their way to one Deployment's pods as events, in the
  // order those events run (arrival time, then scheduling order).
  class ArrivalsOnTheWay {
   public:
    struct Item {
      TimePoint at;
      std::uint32_t ri = 0;
      EventHandle event;
      bool early = true;  // may be taken before its event
    };
    void add(TimePoint at, std::uint32_t ri, EventHandle event, bool early) {
      if (head_ > 64 && 2 * head_ > items_.size()) {  // reuse the room of those gone
        items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
      }
      items_.push_back({at, ri, event, early});
      // Usually last already; otherwise moved before the later ones (after equal times).
      for (std::size_t i = items_.size() - 1; i > head_ && items_[i - 1].at > items_[i].at; --i)
        std::swap(items_[i - 1], items_[i]);
    }
    [[nodiscard]] bool empty() const { return head_ == items_.size(); }
    /// Whether every request arriving at or before `t` may be taken early.
    [[nodiscard]] bool may_take_through(TimePoint t) const {
      for (std::size_t i = head_; i < items_.size() && items_[i].at <= t; ++i)
        if (!items_[i].early) return false;
      return true;
    }
    [[nodiscard]] const Item& front() const { return items_[head_]; }
    void pop_front() {
      if (++head_ == items_.size()) {
        items_.clear();
        head_ = 0;
      }
    }
    /// The request whose event runs (the first, as events run in this order).
    void remove(std::uint32_t ri) {
      if (!empty() && front().ri == ri) {
        pop_front();
        return;
      }
      for (std::size_t i = head_; i < items_.size(); ++i)
        if (items_[i].ri == ri) {
          items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i));
          return;
        }
    }

   private:
    std::vector<Item> items_;
    std::size_t head_ = 0;
  };
  std::vector<ArrivalsOnTheWay> on_the_way_;  // per address
  std::vector<Duration> arrival_lead_;        // per address: refresh_arrival_leads
};

}  // namespace drsim
