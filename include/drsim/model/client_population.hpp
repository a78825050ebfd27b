// The clients of a model and the load they generate: fortio's paced
// connections, open-loop arrivals and closed-loop users, each client with its
// own DNS cache, resolver and kept-alive connection.
//
// The populations decide when a client sends; what a request then does is
// the request path's (the Sink: FailoverModel), which calls done() when the
// request has ended so the client's next send can be scheduled. Clients live
// in one array; an event captures (this, client index), so generating load
// allocates nothing.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/client.hpp"
#include "drsim/model/event_kinds.hpp"
#include "drsim/model/load.hpp"
#include "drsim/model/model_spec.hpp"

namespace drsim {

/// An address index that stands for "none".
inline constexpr std::uint16_t kNoAddress = 0xFFFF;

/// One client: its population, resolver, DNS cache and kept-alive connection.
struct Client {
  std::uint32_t population = 0;
  std::uint32_t resolver = 0;
  ClientDnsState dns;
  std::uint16_t conn_address = kNoAddress;  // kept-alive connection, if any
  std::uint64_t conn_bucket = UINT64_MAX;    // its rate-limit bucket at the gateway (GatewayDeployment::Connection)
  std::int32_t pacer = -1;                   // index into the fortio pacers
};

/// Draws each client's resolver by the population's shares (a binary search
/// over the running sums: a population section has thousands of resolvers).
class ResolverPicker {
 public:
  explicit ResolverPicker(const PopulationSpec& ps) {
    double total = 0;
    for (const auto& r : ps.resolvers) {
      total += r.second;
      sums_.push_back(total);
      index_.push_back(r.first);
    }
  }
  std::size_t pick(RandomStream& rng) const {
    if (index_.empty()) return 0;
    const double x = rng.uniform01() * sums_.back();
    const auto it = std::upper_bound(sums_.begin(), sums_.end(), x);
    return it == sums_.end() ? index_.back() : index_[static_cast<std::size_t>(it - sums_.begin())];
  }

 private:
  std::vector<double> sums_;
  std::vector<std::size_t> index_;
};

/// `Sink` has `void send(std::uint32_t client)`: a client sends a request now.
/// Populations run in aggregate (PopulationSpec::aggregate) have no clients here.
template <class Sink>
class ClientPopulations {
 public:
  /// `sends_at_once`: a send asked for while a send runs is taken without an
  /// event when nothing is due before it (send_from_event); off, every send
  /// is an event (ModelSpec::request_shortcuts).
  ClientPopulations(Simulator& sim, const std::vector<PopulationSpec>& specs, Sink& sink, bool sends_at_once = true)
      : sim_(&sim), specs_(&specs), sink_(&sink), sends_at_once_(sends_at_once) {
    for (std::size_t pi = 0; pi < specs.size(); ++pi) {
      const auto& ps = specs[pi];
      Population pop;
      pop.rng = sim.stream("population/" + ps.name);
      pop.first_client = static_cast<std::uint32_t>(clients_.size());
      if (ps.aggregate) {
        populations_.push_back(std::move(pop));
        continue;
      }
      const std::size_t n = ps.load.kind == LoadKind::fortio ? static_cast<std::size_t>(std::max(1, ps.load.fortio.connections))
                                                             : std::max<std::size_t>(1, ps.load.clients);
      pop.clients = static_cast<std::uint32_t>(n);
      RandomStream assign = sim.stream("population/" + ps.name + "/resolvers");
      const ResolverPicker picker(ps);
      for (std::size_t k = 0; k < n; ++k) {
        Client c;
        c.population = static_cast<std::uint32_t>(pi);
        c.resolver = static_cast<std::uint32_t>(picker.pick(assign));
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

  /// Schedules every population's first sends.
  void start() {
    for (std::size_t pi = 0; pi < specs().size(); ++pi) {
      const auto& ps = specs()[pi];
      Population& pop = populations_[pi];
      if (ps.aggregate) continue;
      const TimePoint t0 = TimePoint::start() + ps.load.start;
      switch (ps.load.kind) {
        case LoadKind::fortio:
          for (std::uint32_t k = 0; k < pop.clients; ++k) {
            const std::uint32_t ci = pop.first_client + k;
            schedule_send(ci, pacers_[static_cast<std::size_t>(clients_[ci].pacer)].first_send());
          }
          break;
        case LoadKind::closed_loop:
          for (std::uint32_t k = 0; k < pop.clients; ++k) {
            // Users start spread over one think time so they are not in lock-step.
            const auto offset = Duration::from_seconds(std::max(0.0, ps.load.think_s.sample(pop.rng)));
            schedule_send(pop.first_client + k, t0 + offset);
          }
          break;
        case LoadKind::open_loop: schedule_arrival(static_cast<std::uint32_t>(pi), pop.arrivals->next(t0, pop.rng)); break;
      }
    }
  }

  /// The client's request has ended at `ended` (now, or later when the
  /// request path knew its end early): fortio paces the next call, a
  /// closed-loop user thinks first, open-loop arrivals run on their own.
  void done(std::uint32_t client, TimePoint ended) {
    const Client& c = clients_[client];
    const PopulationSpec& ps = specs()[c.population];
    Population& pop = populations_[c.population];
    switch (ps.load.kind) {
      case LoadKind::fortio: {
        const TimePoint next = pacers_[static_cast<std::size_t>(c.pacer)].next_send(ended, pop.rng);
        if (next != TimePoint::max()) schedule_send(client, next);
        break;
      }
      case LoadKind::closed_loop: {
        const TimePoint end = TimePoint::start() + ps.load.start + ps.load.duration;
        const TimePoint next = ended + Duration::from_seconds(std::max(0.0, ps.load.think_s.sample(pop.rng)));
        if (next < end) schedule_send(client, next);
        break;
      }
      case LoadKind::open_loop: break;
    }
  }

  /// The next open-loop arrival while one is being sent (it is not an event
  /// yet, and may never be one); TimePoint::max() otherwise.
  [[nodiscard]] TimePoint next_arrival_at() const { return next_arrival_; }

  [[nodiscard]] Client& client(std::uint32_t i) { return clients_[i]; }
  [[nodiscard]] const PopulationSpec& spec_of(std::uint32_t client) const { return specs()[clients_[client].population]; }
  [[nodiscard]] const ClientProfile& profile_of(std::uint32_t client) const { return spec_of(client).profile; }
  /// The population's stream: its schedule, arrivals and the clients' address choices.
  [[nodiscard]] RandomStream& rng_of(std::uint32_t client) { return populations_[clients_[client].population].rng; }
  [[nodiscard]] std::size_t size() const { return clients_.size(); }

 private:
  struct Population {
    RandomStream rng;
    std::optional<OpenLoopArrivals> arrivals;
    std::uint32_t first_client = 0;
    std::uint32_t clients = 0;
  };

  [[nodiscard]] const std::vector<PopulationSpec>& specs() const { return *specs_; }

  // A client's next send. Asked while that client's send is running (its
  // request settled at once), it is left to the loop in send_from_event,
  // which takes it without an event when nothing is due before it.
  void schedule_send(std::uint32_t client, TimePoint t) {
    if (sending_ && sends_at_once_ && !next_.pending) {
      // Field by field: a braced temporary is stored narrow and copied wide, a store-forwarding stall.
      next_.client = client;
      next_.at = t;
      next_.pending = true;
      return;
    }
    sim_->at(t, [this, client] { send_from_event(client); },
             tag(EventKind::send, static_cast<std::uint16_t>(clients_[client].population)));
  }

  // A send event: the client sends; while the next send it asks for can be
  // taken at once (Simulator::advance_to: nothing else is due first), it is,
  // so a paced client whose requests end before its next one costs no event
  // per request. Otherwise the next send becomes an event.
  void send_from_event(std::uint32_t client) {
    sending_ = true;
    sink_->send(client);
    while (next_.pending) {
      next_.pending = false;
      if (!sim_->advance_to(next_.at)) {
        sending_ = false;
        schedule_send(next_.client, next_.at);
        return;
      }
      sink_->send(next_.client);
    }
    sending_ = false;
  }

  void schedule_arrival(std::uint32_t pi, TimePoint t) {
    if (t != TimePoint::max())
      sim_->at(t, [this, pi] { arrival(pi); }, tag(EventKind::arrival, static_cast<std::uint16_t>(pi)));
  }

  // An open-loop arrival goes to a random client of the population. The
  // next arrival is drawn first and, while the request path runs, is known
  // (next_arrival_at: FailoverModel takes a request at the pods at once only
  // when nothing comes before it); then it is taken without an event when
  // nothing is due before it, as a paced client's next send is.
  void arrival(std::uint32_t pi) {
    Population& pop = populations_[pi];
    for (;;) {
      const std::uint32_t ci = pop.first_client + static_cast<std::uint32_t>(pop.rng.below(pop.clients));
      const TimePoint next = pop.arrivals->next(sim_->now(), pop.rng);
      if (!sends_at_once_) {
        schedule_arrival(pi, next);
        sink_->send(ci);
        return;
      }
      next_arrival_ = next;
      sink_->send(ci);
      next_arrival_ = TimePoint::max();
      if (next == TimePoint::max()) return;
      if (!sim_->advance_to(next)) {
        schedule_arrival(pi, next);
        return;
      }
    }
  }

  struct NextSend {
    std::uint32_t client = 0;
    TimePoint at;
    bool pending = false;
  };

  Simulator* sim_;
  const std::vector<PopulationSpec>* specs_;
  Sink* sink_;
  bool sends_at_once_ = true;
  bool sending_ = false;  // inside send_from_event
  NextSend next_;         // a send asked for during it
  TimePoint next_arrival_ = TimePoint::max();  // arrival(): the next one, while this one is sent
  std::vector<Client> clients_;
  std::vector<FortioPacer> pacers_;
  std::vector<Population> populations_;
};

}  // namespace drsim
