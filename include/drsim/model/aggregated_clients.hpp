// Client populations run in aggregate: a million clients without an event
// per request.
//
// What a request of a population client does depends on three things: the
// answer its DNS cache holds, the state of the gateway address it connects
// to, and, where the gateway has pods, queues and rate limits, the other
// requests. Where the third does not apply (no capacity model, no app, no
// kept-alive connection, no retry), requests of one client cannot interact,
// nothing a client does changes the gateways, the probes or the GTM, and the
// only state that links a client's requests is its DNS cache and its
// resolver's. So a run has two phases:
//
//   1. the simulator runs the control plane to the horizon (balancers,
//      faults, GTM probes and publications) and records what clients would
//      meet: every gateway address's state over time (AddressHistory) and the
//      GTM's published answers (GlobalTrafficManager::answer_history);
//   2. replay(): every client's cache epochs, in time order over all clients
//      (so each resolver and the GTM's packet cache see their queries in
//      order): a lookup at the first request after the cache runs out, made
//      on the real resolver (dns.hpp) and answered as the GTM answered at that
//      time; the epoch's requests are that one plus a Poisson process of the
//      client's rate up to the expiry (open-loop Poisson arrivals split over
//      the clients are independent Poisson processes per client, and a
//      Poisson process is memoryless, so this is the same process); the next
//      lookup is at the first arrival after the expiry: expiry + Exp(rate).
//      Each request goes through the attempt rules of the request path
//      (client.hpp: candidates, connect budgets, fallback, read deadline)
//      against the recorded states at its attempts' times.
//
// A kept-alive connection lives from the attempt that made it until a
// request on it fails (FailoverModel::reuse_connection's rules); the client
// looks up only without one, so its requests are walked from one lookup to
// the next, and the connection needs no room between lookups.
//
// A client costs one 16-byte entry in a radix queue (its next lookup's
// time, its number, its resolver) and its drain-curve byte; nothing is kept
// per request.
//
// Not covered (the model then runs per request, and the run's warnings say
// why): capacity models and apps (queues and limits interact), retries, round-robin address choice and the refresh cache rule (per-client
// counters), fortio or closed-loop loads, rates that vary in time,
// partitions (client paths that change), and models that also have
// per-request clients (they share the resolvers).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drsim/core/event_queue.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/client.hpp"
#include "drsim/model/client_population.hpp"
#include "drsim/model/connect_rules.hpp"
#include "drsim/model/dns.hpp"
#include "drsim/model/event_kinds.hpp"
#include "drsim/model/faults.hpp"
#include "drsim/model/gtm.hpp"
#include "drsim/model/load.hpp"
#include "drsim/model/load_balancer.hpp"
#include "drsim/model/metrics.hpp"
#include "drsim/model/model_spec.hpp"
#include "drsim/model/outcome.hpp"
#include "drsim/model/resolver_population.hpp"

namespace drsim {

/// What a new connection to a gateway address meets at one time.
struct AddressState {
  ConnectResult connect = ConnectResult::accept;
  bool faulty = false;  // a fault is active on it (the request counts as "to faulty")
  double gray_error_share = 0;
  Duration gray_extra_latency;
  friend bool operator==(const AddressState&, const AddressState&) = default;
};

/// Every address's state over the run, recorded when something changes it.
class AddressHistory {
 public:
  explicit AddressHistory(std::size_t addresses = 0) : changes_(addresses) {}
  void record(std::size_t address, TimePoint t, const AddressState& s) {
    auto& h = changes_[address];
    if (!h.empty() && h.back().at == t) h.back().state = s;
    else if (h.empty() || !(h.back().state == s)) h.push_back({t, s});
  }
  /// The state at `t`: the last change at or before it.
  [[nodiscard]] const AddressState& at(std::size_t address, TimePoint t) const {
    const auto& h = changes_[address];
    auto it = std::upper_bound(h.begin(), h.end(), t, [](TimePoint x, const Change& c) { return x < c.at; });
    return it == h.begin() ? kServing : std::prev(it)->state;
  }

 private:
  struct Change {
    TimePoint at;
    AddressState state;
  };
  static inline const AddressState kServing{};
  std::vector<std::vector<Change>> changes_;
};

/// The parts of a FailoverModel the aggregate engine reads and writes.
struct AggregateWorld {
  Simulator* sim;
  const ModelSpec* spec;
  RunMetrics* metrics;
  std::vector<RecursiveResolver>* resolvers;
  const std::vector<LoadBalancer>* balancers;
  const FaultInjector* faults;
  const GlobalTrafficManager* gtm;
  TimePoint horizon;
};

class AggregatedClients {
 public:
  /// Builds the clients of every population with `aggregate` set; their
  /// client numbers (drain curve) start at `first_client`.
  AggregatedClients(AggregateWorld w, std::uint32_t first_client)
      : w_(w), history_(w.balancers->size()), first_client_(first_client) {
    const auto& topo = w_.spec->topology;
    for (std::size_t pi = 0; pi < w_.spec->populations.size(); ++pi) {
      const PopulationSpec& ps = w_.spec->populations[pi];
      if (!ps.aggregate) continue;
      if (const auto why = aggregation_blocker(*w_.spec, ps))
        throw ParameterError("population " + ps.name + " cannot run in aggregate: " + *why);
      Group g;
      g.spec = &ps;
      g.rng = w_.sim->stream("population/" + ps.name);
      g.first = clients_;
      g.count = static_cast<std::uint32_t>(std::max<std::size_t>(1, ps.load.clients));
      g.mean_gap_ns = 1e9 * static_cast<double>(g.count) / std::max(1e-300, ps.load.rate.max_rate());
      g.begin = TimePoint::start() + ps.load.start;
      g.end = std::min(TimePoint::start() + ps.load.end(), w_.horizon);
      for (std::size_t a = 0; a < w_.balancers->size(); ++a)
        g.rtt.push_back(topo.rtt(ps.site, topo.region_node(topo.clusters()[a].region)));
      // The same draws as ClientPopulations: a client has the same resolver in either mode.
      RandomStream assign = w_.sim->stream("population/" + ps.name + "/resolvers");
      const ResolverPicker picker(ps);
      g.resolvers.reserve(g.count);
      for (std::uint32_t k = 0; k < g.count; ++k) g.resolvers.push_back(static_cast<std::uint32_t>(picker.pick(assign)));
      clients_ += g.count;
      groups_.push_back(std::move(g));
    }
  }

  [[nodiscard]] std::size_t size() const { return clients_; }
  [[nodiscard]] bool empty() const { return clients_ == 0; }

  /// Something changed an address's state now: records every address's.
  void mark() {
    if (empty()) return;
    const TimePoint now = w_.sim->now();
    for (std::size_t a = 0; a < w_.balancers->size(); ++a) {
      const LoadBalancer& lb = (*w_.balancers)[a];
      const auto ai = static_cast<std::uint16_t>(a);
      history_.record(a, now, {lb.connect(), w_.faults->faulty(ai), lb.gray_error_share(), lb.gray_extra_latency()});
    }
  }

  /// Phase 2, after the simulator has run to the horizon: every client's
  /// lookups in time order, and the requests of each cache epoch.
  void replay(GtmAuthority& authority) {
    if (empty()) return;
    authority.replay_history();
    for (Group& g : groups_) {
      for (std::uint32_t k = 0; k < g.count; ++k) {
        const TimePoint t = g.begin + gap(g);
        if (t < g.end) due_.push({t.ns(), g.first + k, g.resolvers[k]});
      }
      g.resolvers = {};  // from here on each client's resolver travels in its queue entry
    }
    // The GTM's answers are all known: the drain curve starts where they say.
    w_.metrics->drain.watch(w_.gtm->answer_history(), w_.metrics->fault_at);
    while (!due_.empty()) {
      const detail::EventRecord rec = due_.top();
      due_.pop();
      lookup(rec.slot, rec.gen, TimePoint::from_ns(rec.time));
    }
  }

 private:
  struct Group {
    const PopulationSpec* spec = nullptr;
    RandomStream rng;
    std::uint32_t first = 0, count = 0;
    double mean_gap_ns = 0;  // mean time between one client's requests
    TimePoint begin, end;
    std::vector<std::optional<Duration>> rtt;  // by address
    std::vector<std::uint32_t> resolvers;      // by client, until the replay starts
  };
  // A request in the middle of its connect attempts.
  struct Attempts {
    TimePoint sent, deadline, dial_deadline, at;  // at: the next attempt's time
    AddressList cands;
    std::uint32_t client = 0;
    std::uint16_t first_address = kNoAddress;
    std::uint8_t next = 0;
    bool first_faulty = false;
  };

  Duration gap(Group& g) { return exponential_gap(g.rng, g.mean_gap_ns); }

  // A client's kept-alive connection, as the request path keeps it: open
  // from the attempt that made it, closed when a request on it fails.
  struct Connection {
    std::uint16_t address = kNoAddress;
    TimePoint open_at, close_at = TimePoint::max();
    [[nodiscard]] bool open(TimePoint t) const { return address != kNoAddress && open_at <= t && t < close_at; }
  };

  // The client's request at `now` has no connection and finds its cache run
  // out: it looks up. Its requests are then walked in time order, on the
  // answer and on a kept-alive connection, until one needs the next lookup
  // (no connection, the cache run out), which is queued.
  void lookup(std::uint32_t ci, std::uint32_t resolver, TimePoint now) {
    Group& g = group_of(ci);
    const ClientProfile& p = g.spec->profile;
    RecursiveResolver& res = (*w_.resolvers)[resolver];
    const Resolution r = res.resolve(now);
    ClientDnsState s;
    store_resolution(p, s, r, now);
    const bool ok = r.ok && !r.addresses.empty();
    // No answer kept (a failure, or a single address a cached-rr client does not keep): the next request looks up.
    const TimePoint expiry = s.valid ? std::max(s.expires, now) : now;
    Connection conn;
    for (TimePoint t = now; t < g.end; t = t + gap(g)) {
      const bool first = t == now;
      if (p.keepalive && conn.open(t)) {
        reuse(g, ci, t, conn);
        continue;
      }
      if (!first && t >= expiry) {
        due_.push({t.ns(), ci, resolver});
        return;
      }
      const Ended e = request(g, ci, t, first ? res.params().lookup_latency + r.wait : Duration::zero(), !first || ok, r.addresses);
      // The request path keeps a new connection when its first answer is OK.
      if (p.keepalive && e.cause == Cause::ok) conn = {e.address, e.connected_at, TimePoint::max()};
    }
  }

  Group& group_of(std::uint32_t ci) {
    std::size_t i = 0;
    while (i + 1 < groups_.size() && ci >= groups_[i + 1].first) ++i;
    return groups_[i];
  }

  // What a request came to: its cause, the address of its last attempt and
  // when that attempt started (a kept connection is open from then).
  struct Ended {
    Cause cause = Cause::dns_failure;
    std::uint16_t address = kNoAddress;
    TimePoint connected_at;
  };

  // One request sent at `sent` whose first attempt starts `lookup` later.
  Ended request(Group& g, std::uint32_t ci, TimePoint sent, Duration lookup, bool answered, const AddressList& answer) {
    if (sent > w_.horizon) return {};
    const ClientProfile& p = g.spec->profile;
    w_.metrics->request_started();
    if (!answered) {
      record(sent, sent + lookup, kNoAddress, Cause::dns_failure, false);
      return {};
    }
    Attempts r;
    r.sent = sent;
    r.deadline = p.total_timeout > Duration::zero() ? sent + p.total_timeout : TimePoint::max();
    r.at = sent + lookup;
    r.dial_deadline = r.at + p.connect_timeout;
    ClientDnsState unused;
    r.cands = candidates(p, unused, answer, g.rng);
    r.client = ci;
    return attempts(g, r);
  }

  // FailoverModel::reuse_connection: a request on the kept-alive connection,
  // which a refusal or silence closes at once and a failed answer when it ends.
  void reuse(Group& g, std::uint32_t ci, TimePoint t, Connection& conn) {
    if (t > w_.horizon) return;
    const ClientProfile& p = g.spec->profile;
    const std::uint16_t a = conn.address;
    const AddressState& st = history_.at(a, t);
    w_.metrics->request_started();
    w_.metrics->drain.sent(first_client_ + ci, a, t);
    w_.metrics->attempt_made();
    const auto& rtt = g.rtt[a];
    const ConnectResult cr = rtt ? st.connect : ConnectResult::drop;
    const TimePoint deadline = p.total_timeout > Duration::zero() ? t + p.total_timeout : TimePoint::max();
    if (cr == ConnectResult::refuse) {
      conn.close_at = t;  // the gateway behind it is gone: the peer resets it
      record(t, t + *rtt, a, Cause::connection_reset, st.faulty);
      return;
    }
    if (cr == ConnectResult::drop) {
      conn.close_at = t;
      record(t, std::min(deadline, t + (p.read_timeout > Duration::zero() ? p.read_timeout : kOsRetransmitLimit)), a,
             Cause::read_timeout, st.faulty);
      return;
    }
    const auto [cause, ended] = answer(g, a, st, t, t, *rtt, deadline, st.faulty);
    // A read timeout closes the connection when it ends, and so does an HTTP
    // error unless the client keeps connections across them.
    if (cause == Cause::read_timeout || (cause == Cause::http_503 && !p.keep_on_http_error))
      conn.close_at = std::min(conn.close_at, ended);
  }

  // The gateway answers a request whose connection is up at `at`
  // (FailoverModel::connected and reply, for a gateway that answers at once):
  // the reply comes back after the service time, any gray-failure delay and
  // the way back, unless the read deadline comes first. Records the request.
  std::pair<Cause, TimePoint> answer(Group& g, std::uint16_t a, const AddressState& st, TimePoint sent, TimePoint at,
                                     Duration rtt, TimePoint deadline, bool to_faulty) {
    const ClientProfile& p = g.spec->profile;
    const TimePoint read_deadline = p.read_timeout > Duration::zero() ? std::min(deadline, at + p.read_timeout) : deadline;
    const double service = std::max(0.0, w_.spec->gateways[a].service_time_s.sample(service_rng_));
    const TimePoint response = at + Duration::from_seconds(service) + st.gray_extra_latency + rtt;
    if (response > read_deadline) {
      record(sent, read_deadline, a, Cause::read_timeout, to_faulty);
      return {Cause::read_timeout, read_deadline};
    }
    const Cause cause = st.gray_error_share > 0 && gray_rng_.bernoulli(st.gray_error_share) ? Cause::http_503 : Cause::ok;
    record(sent, response, a, cause, to_faulty);
    return {cause, response};
  }

  // The attempt rules of FailoverModel::attempt / connect_failed / connected /
  // reply, for a gateway that answers at once, against the recorded states.
  Ended attempts(Group& g, Attempts& r) {
    const ClientProfile& p = g.spec->profile;
    for (;;) {
      const TimePoint t = r.at;
      if (t > w_.horizon) return {};  // still in flight at the end, as a per-request run leaves it
      const std::uint16_t a = r.cands[r.next++];
      const AddressState& st = history_.at(a, t);
      if (r.first_address == kNoAddress) {
        r.first_address = a;
        r.first_faulty = st.faulty;
        w_.metrics->drain.sent(first_client_ + r.client, a, t);
      }
      const auto& rtt = g.rtt[a];
      const ConnectAttempt c = connect_attempt(p, t, r.dial_deadline, r.deadline, r.cands.size() - (r.next - 1), rtt, st.connect);
      w_.metrics->connection_opened(kUntrackedClient, a, c.took);
      if (c.wins) return {answer(g, a, st, r.sent, t + *rtt, *rtt, r.deadline, r.first_faulty).first, a, t};
      if (falls_back(p, c.failure, r.next < r.cands.size(), c.failed_at, r.dial_deadline, r.deadline)) {
        r.at = c.failed_at;
        continue;
      }
      record(r.sent, c.failed_at, a, c.failure, r.first_faulty);
      return {c.failure, a, t};
    }
  }

  // The request ended: recorded as the request path records it, unless it
  // ends after the horizon (then it is still in flight, as a per-request run leaves it).
  void record(TimePoint sent, TimePoint ended, std::uint16_t address, Cause cause, bool to_faulty) {
    if (ended > w_.horizon) return;
    const auto& topo = w_.spec->topology;
    const std::size_t region = address == kNoAddress ? topo.regions().size() : topo.clusters()[address].region;
    w_.metrics->record(sent, ended, region, cause, to_faulty, kUntrackedClient);
  }

  AggregateWorld w_;
  AddressHistory history_;
  std::uint32_t first_client_;
  std::vector<Group> groups_;
  std::uint32_t clients_ = 0;
  // Each client's next lookup: (time, client, its resolver). The queue is all
  // a client costs: 16 bytes, read in time order, nothing looked up beside it.
  detail::RadixEventQueue due_;
  RandomStream service_rng_ = w_.sim->stream("aggregate/service");
  RandomStream gray_rng_ = w_.sim->stream("aggregate/gray");
};

}  // namespace drsim
