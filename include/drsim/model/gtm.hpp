// The global traffic manager (GTM): DNS answers for one domain, steered by
// health probes of the gateway addresses.
//
// Each probe node probes every address on its own phase (nodes are not in
// lock-step), counts consecutive failures per address, and says "down" after
// `failures` of them. An address is judged across nodes by a share rule:
// Alibaba GTM marks it unhealthy when the share of failing nodes exceeds
// 20/50/80/100 %; Route 53 keeps it healthy while more than 18 % of checkers
// say healthy. A probe of a black-holed address fails only at its timeout.
// A changed judgement reaches the DNS answer after a publish delay, and the
// answer is built by the pool policy (all addresses in random or rotated
// order, one by weight, or a priority sequence with optional preemptive
// failback), falling back to a failover pool below `min_available`.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "drsim/core/error.hpp"
#include "drsim/core/fields.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/event_kinds.hpp"
#include "drsim/model/event_log.hpp"
#include "drsim/model/sources.hpp"

namespace drsim {

/// Up to 8 addresses in answer order; a value type (no allocation).
struct AddressList {
  static constexpr std::size_t kMax = 8;
  std::array<std::uint16_t, kMax> addr{};
  std::uint8_t n = 0;

  AddressList() = default;
  // Copied record by record: lists are built record by record (rotated,
  // push), and a whole-struct copy of one just written reads wider than it
  // was stored, which stalls store forwarding on the request path. Only the
  // first n records mean anything.
  AddressList(const AddressList& o) : n(o.n) {
    for (std::size_t i = 0; i < n; ++i) addr[i] = o.addr[i];
  }
  AddressList& operator=(const AddressList& o) {
    n = o.n;
    for (std::size_t i = 0; i < n; ++i) addr[i] = o.addr[i];
    return *this;
  }

  void push(std::uint16_t a) {
    if (n < kMax) addr[n++] = a;
  }
  [[nodiscard]] bool empty() const { return n == 0; }
  [[nodiscard]] std::size_t size() const { return n; }
  std::uint16_t operator[](std::size_t i) const { return addr[i]; }
  [[nodiscard]] bool contains(std::uint16_t a) const { return std::find(addr.begin(), addr.begin() + n, a) != addr.begin() + n; }
  /// The list rotated left by k (round robin of record order).
  [[nodiscard]] AddressList rotated(std::size_t k) const {
    AddressList r;
    r.n = n;
    if (n == 0) return r;
    std::size_t j = k < n ? k : k % n;  // one division at most, not one per record
    for (std::size_t i = 0; i < n; ++i) {
      r.addr[i] = addr[j];
      if (++j == n) j = 0;
    }
    return r;
  }
  friend bool operator==(const AddressList& a, const AddressList& b) {
    return a.n == b.n && std::equal(a.addr.begin(), a.addr.begin() + a.n, b.addr.begin());
  }
};

enum class ProbeProtocol : std::uint8_t { ping, tcp, http };
constexpr std::array<std::string_view, 3> enum_names(ProbeProtocol) { return {"ping", "tcp", "http"}; }

/// Result of one probe of one address from one node.
struct ProbeResult {
  bool ok = true;
  Duration elapsed;  // when the verdict is known: an RTT, or the timeout
};

/// What the probes hit: implemented by the model that knows the network and
/// the gateways' condition.
class ProbeTarget {
 public:
  virtual ~ProbeTarget() = default;
  virtual ProbeResult probe(std::size_t address, std::size_t probe_site, ProbeProtocol protocol, Duration timeout,
                            TimePoint now) = 0;
};

struct HealthRule {
  enum class Kind : std::uint8_t {
    failing_share_above,  // Alibaba: unhealthy when failing nodes / nodes > threshold (1.0: all fail)
    healthy_share_above,  // Route 53: healthy while healthy nodes / nodes > threshold
  };
  Kind kind = Kind::failing_share_above;
  double threshold = 0.5;

  [[nodiscard]] bool healthy(std::size_t failing, std::size_t nodes) const {
    if (nodes == 0) return true;
    const double failing_share = static_cast<double>(failing) / static_cast<double>(nodes);
    const double healthy_share = 1.0 - failing_share;
    if (kind == Kind::failing_share_above) {
      // "More than 100 %" can never hold: the 100 % setting means every node fails.
      return threshold >= 1.0 ? failing < nodes : !(failing_share > threshold);
    }
    return healthy_share > threshold;
  }
};

enum class AnswerPolicy : std::uint8_t { all_random, all_rotated, weighted, sequence };
constexpr std::array<std::string_view, 4> enum_names(AnswerPolicy) {
  return {"all_random", "all_rotated", "weighted", "sequence"};
}
/// How the authority serving the GTM's answers builds them.
enum class AuthorityAnswers : std::uint8_t {
  dynamic,        // computed per query from the health state, never from the packet cache (PowerDNS Lua records)
  static_records, // records rewritten on a change and served from the authority's packet cache
};
constexpr std::array<std::string_view, 2> enum_names(AuthorityAnswers) { return {"dynamic", "static"}; }
enum class AllDownAnswer : std::uint8_t { all_addresses, empty };
constexpr std::array<std::string_view, 2> enum_names(AllDownAnswer) { return {"all_addresses", "empty"}; }

struct PoolMember {
  std::uint16_t address = 0;
  double weight = 1.0;
};

struct GtmParams {
  ProbeProtocol protocol = ProbeProtocol::tcp;
  Duration interval = Duration::seconds(60);  // Alibaba GTM default; 15 s minimum on the top edition
  Duration timeout = Duration::seconds(5);    // Alibaba choices 2, 3, 5, 10 s
  int failures = 3;                           // consecutive failures per node: 1, 2 or 3
  int recovery = 3;                           // consecutive successes to be healthy again
  std::vector<std::size_t> probe_sites;       // one probe node per site
  HealthRule rule;
  AnswerPolicy policy = AnswerPolicy::all_random;
  bool preemptive_failback = true;            // sequence policy: return to the first address when it recovers
  std::vector<PoolMember> primary;
  std::vector<PoolMember> failover;           // secondary pool, used below min_available
  std::size_t min_available = 1;
  AllDownAnswer when_all_down = AllDownAnswer::all_addresses;
  Duration ttl = Duration::seconds(60);
  Duration publish_delay = Duration::zero();  // UNCONFIRMED: how long GTM takes to publish a change
  /// Added to publish_delay, drawn per change (seconds); nullopt: none.
  std::optional<Distribution> publish_spread_s;
  AuthorityAnswers answers = AuthorityAnswers::dynamic;
  Duration packet_cache_ttl = Duration::seconds(20);  // PowerDNS cache-ttl
  /// How long resolvers may cache an empty answer (the SOA minimum, RFC 2308).
  Duration negative_ttl = Duration::seconds(60);
  /// Probe phases per node; empty: drawn uniformly in [0, interval) per run.
  std::vector<Duration> phases;
};

template <>
inline const FieldTable& fields_of<GtmParams>() {
  static const FieldTable table = FieldTable::build<GtmParams>("gtm", [](auto& t) {
    using P = GtmParams;
    t.means("The global traffic manager: health probes of every gateway address and the DNS answer built from them")
        .states("gtm", "{health_check.protocol} probes every {health_check.interval} from {health_check.nodes#} node(s), "
                       "unhealthy after {health_check.failures} consecutive failures, timeout {health_check.timeout}")
        .states("ttl", "{ttl}, publish delay {publish_delay}");
    t.group("health_check", "How the probe nodes check each address and judge it", [](auto& h) {
      h.add("protocol", &P::protocol)
          .means("ping: answered unless the balancer is gone or black-holed; tcp: fails on refusal or drop; "
                 "http: also fails on a gray-failure error (Alibaba's console defaults to ping; tcp is drsim's choice)")
          .source_is(kSourceAlibabaGtmProtocols);
      h.add("interval", &P::interval).period().in_unit("s")
          .means("time between two probes of an address from one node (below 15s the result warns)")
          .source_is(kSourceAlibabaGtmHealthCheck);
      h.add("timeout", &P::timeout).positive().in_unit("s")
          .means("a probe with no verdict by then fails (Alibaba offers 2, 3, 5 or 10 s; 5 s is drsim's choice)")
          .source_is(kSourceAlibabaGtmHealthCheck);
      h.add("failures", &P::failures).range(1, 100).in_unit("consecutive failures")
          .means("consecutive failed probes after which a node says the address is down (Alibaba: 1, 2 or 3; Route 53's "
                 "default is 3)")
          .source_is(std::string(kSourceAlibabaGtmHealthCheck) + "; " + kSourceRoute53HealthCheckConfig);
      h.add("recovery", &P::recovery).range(1, 100).in_unit("consecutive successes")
          .means("consecutive successful probes after which a node says the address is up again (Route 53 applies its "
                 "failure threshold both ways; Alibaba does not say)")
          .default_is("the value of failures").source_is(kSourceRoute53HealthCheckConfig);
      h.custom("nodes", FieldKind::reference, "an array of names of sites of kind probe",
               [](const P& p) { return p.probe_sites.size(); })
          .means("the probe nodes, one per probe site").default_is("every site of kind probe")
          .source_is("drsim convention");
      h.group("rule", "How the nodes' verdicts make a judgement: exactly one of the two rules", [](auto& r) {
        // One HealthRule seen as two exclusive fields, each present when the rule is of its kind.
        auto rule_field = [&r](const char* key, HealthRule::Kind kind) -> Field& {
          return r.value(
              key, FieldKind::share,
              [kind](const P& p) -> FieldValue {
                return p.rule.kind == kind ? FieldValue{p.rule.threshold} : FieldValue{};
              },
              [kind](P& p, const FieldValue& v) {
                p.rule.kind = kind;
                p.rule.threshold = std::get<double>(v);
              });
        };
        rule_field("failing_share_above", HealthRule::Kind::failing_share_above).range(0, 1)
            .means("Alibaba: unhealthy when the share of failing nodes exceeds this (20/50/80/100 %; 1.0: every node "
                   "fails); 0.5 is drsim's choice")
            .source_is(kSourceAlibabaGtmHealthCheck);
        rule_field("healthy_share_above", HealthRule::Kind::healthy_share_above).range(0, 1)
            .means("Route 53: healthy while the share of healthy checkers exceeds this (0.18)")
            .default_is("none").source_is(kSourceRoute53Health);
      });
      h.custom("phases", FieldKind::custom, "an array of durations, one per node")
          .means("when in the interval each node probes; nodes past the end of the array draw U(0, interval)")
          .default_is("drawn U(0, interval) per node and run")
          .source_is(std::string(kSourceRoute53Health) + " (checkers do not coordinate)");
    });
    t.add("policy", &P::policy)
        .means("the answer: every healthy address in random or rotated order, one drawn by weight, or the first "
               "healthy one in pool order")
        .source_is(kSourceAlibabaGtmSettings);
    t.add("preemptive_failback", &P::preemptive_failback)
        .means("sequence policy: go back to the first address as soon as it recovers")
        .source_is("assumption");
    t.add("min_available", &P::min_available).range(0, 8).in_unit("addresses")
        .means("below this many healthy primary addresses the failover pool answers")
        .source_is(kSourceAlibabaGtmPools);
    t.add("when_all_down", &P::when_all_down)
        .means("the answer when no address is healthy: all of them (fail open, as Route 53 does) or none (clients "
               "get dns_failure); Alibaba does not say")
        .source_is(kSourceRoute53FailOpen);
    t.add("ttl", &P::ttl).positive().in_unit("s")
        .means("TTL of every answer (GTM 2.0 offers 60, 120, 300 or 600 s; another value warns)")
        .source_is(kSourceAlibabaGtmSettings);
    t.add("publish_delay", &P::publish_delay).in_unit("s")
        .means("from a changed judgement to the changed answer (not documented by Alibaba: a parameter)")
        .source_is("assumption");
    t.add("publish_spread", &P::publish_spread_s).in_unit("s")
        .means("a further delay drawn per change and added to publish_delay (negative draws count as 0), for a "
               "publication time that varies")
        .default_is("none").source_is("assumption");
    t.add("answers", &P::answers)
        .means("dynamic: each query computes the answer from the health state and bypasses the authority's packet "
               "cache (PowerDNS never caches Lua-record answers); static: the records are rewritten on a change and "
               "served from the packet cache, so a change reaches resolvers up to packet_cache_ttl later")
        .source_is("PowerDNS/pdns:pdns/packethandler.cc (the Lua-record branch sets noCache)");
    t.add("packet_cache_ttl", &P::packet_cache_ttl).in_unit("s")
        .means("static answers: how long the authority's packet cache serves a reply (PowerDNS cache-ttl 20)")
        .source_is("https://doc.powerdns.com/authoritative/settings.html#cache-ttl (20 s)");
    t.add("negative_ttl", &P::negative_ttl).in_unit("s")
        .means("how long resolvers may cache an empty answer (when_all_down empty): the zone's SOA minimum, RFC 2308, "
               "capped by each resolver's max_negative_ttl; Alibaba does not say")
        .source_is("assumption");
    t.custom("pools", FieldKind::custom,
             "{\"primary\": [...], \"failover\": [...]}, each element a region or cluster name or "
             "{\"target\": name, \"weight\": w}")
        .means("the addresses answered: the primary pool, and the failover pool used below min_available")
        .default_is("every cluster in the primary pool, weight 1, no failover pool")
        .source_is(kSourceAlibabaGtmPools);
  });
  return table;
}

class GlobalTrafficManager {
 public:
  GlobalTrafficManager(Simulator& sim, GtmParams p, ProbeTarget& target, EventLog* log, std::vector<std::string> address_names)
      : sim_(&sim), p_(std::move(p)), target_(&target), log_(log), names_(std::move(address_names)),
        publish_rng_(sim.stream("gtm/publish")) {
    if (p_.primary.empty()) throw ParameterError("GTM needs at least one address in its primary pool");
    if (p_.interval <= Duration::zero()) throw ParameterError("GTM probe interval must be > 0");
    if (p_.failures < 1 || p_.recovery < 1) throw ParameterError("GTM failure and recovery counts must be >= 1");
    for (const auto& m : p_.primary) track(m.address);
    for (const auto& m : p_.failover) track(m.address);
    nodes_.resize(p_.probe_sites.size());
    for (auto& n : nodes_) n.per_address.resize(addresses_.size());
    judged_healthy_.assign(addresses_.size(), true);
    published_healthy_ = judged_healthy_;
    recompute_answer_base();
  }

  /// Starts every probe node on its own phase, drawn uniformly in [0, interval).
  void start(RandomStream& phases) {
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
      const auto drawn = Duration::from_seconds(phases.uniform(0, p_.interval.seconds_f()));
      const auto phase = k < p_.phases.size() ? p_.phases[k] : drawn;
      nodes_[k].phase = phase;
      sim_->every_from(sim_->now() + phase, p_.interval, [this, k] { probe_round(k); },
                       tag(EventKind::gtm_probe_round, static_cast<std::uint16_t>(k)));
    }
  }

  /// The answer to one query: addresses in the order the policy gives.
  AddressList answer(RandomStream& rng) { return answer_from(answer_base_, rng); }
  /// The answer to a query at `t` from the history of published answers:
  /// queries replayed after the run (aggregated populations), in time order.
  AddressList answer_at(TimePoint t, RandomStream& rng) { return answer_from(answer_set_at(t), rng); }
  /// The published answer set at `t`: the last change at or before it.
  [[nodiscard]] const AddressList& answer_set_at(TimePoint t) const {
    const auto it = std::upper_bound(answer_history_.begin(), answer_history_.end(), t,
                                     [](TimePoint x, const AnswerChange& c) { return x < c.at; });
    if (it != answer_history_.begin()) return std::prev(it)->after;
    return answer_history_.empty() ? answer_base_ : answer_history_.front().before;
  }

 private:
  AddressList answer_from(const AddressList& base, RandomStream& rng) {
    ++queries_;
    if (base.n <= 1) return base;
    switch (active_policy()) {
      case AnswerPolicy::all_random: {
        AddressList a = base;
        for (std::size_t i = a.n - 1; i > 0; --i) std::swap(a.addr[i], a.addr[rng.below(i + 1)]);
        return a;
      }
      case AnswerPolicy::all_rotated: return base.rotated(rotation_++ % base.n);
      case AnswerPolicy::weighted: {
        double total = 0;
        for (std::size_t i = 0; i < base.n; ++i) total += weight_of(base[i]);
        double x = rng.uniform01() * total;
        for (std::size_t i = 0; i < base.n; ++i) {
          x -= weight_of(base[i]);
          if (x < 0) {
            AddressList one;
            one.push(base[i]);
            return one;
          }
        }
        AddressList last;
        last.push(base[base.n - 1]);
        return last;
      }
      case AnswerPolicy::sequence: return base;  // already a single address
    }
    return base;
  }

 public:
  [[nodiscard]] Duration ttl() const { return p_.ttl; }
  [[nodiscard]] const GtmParams& params() const { return p_; }
  [[nodiscard]] bool judged_healthy(std::uint16_t address) const { return judged_healthy_[slot(address)]; }
  [[nodiscard]] bool published_healthy(std::uint16_t address) const { return published_healthy_[slot(address)]; }
  /// The published answer set, before per-query ordering.
  [[nodiscard]] const AddressList& answer_set() const { return answer_base_; }
  [[nodiscard]] std::uint64_t queries() const { return queries_; }
  [[nodiscard]] std::uint64_t probes_sent() const { return probes_; }
  /// When the GTM first judged an address unhealthy at or after `since`.
  [[nodiscard]] std::optional<TimePoint> judged_unhealthy_at(std::uint16_t address, TimePoint since) const {
    for (const auto& c : changes_)
      if (c.address == address && !c.healthy && c.time >= since) return c.time;
    return std::nullopt;
  }
  [[nodiscard]] std::optional<TimePoint> answer_changed_at(TimePoint since) const {
    for (TimePoint t : answer_changes_)
      if (t >= since) return t;
    return std::nullopt;
  }
  [[nodiscard]] Duration node_phase(std::size_t node) const { return nodes_.at(node).phase; }
  /// A change of the published answer set.
  struct AnswerChange {
    TimePoint at;
    AddressList before, after;
  };
  [[nodiscard]] const std::vector<AnswerChange>& answer_history() const { return answer_history_; }

 private:
  struct NodeAddressState {
    int consecutive_failures = 0;
    int consecutive_successes = 0;
    bool says_down = false;
  };
  struct Node {
    Duration phase;
    std::vector<NodeAddressState> per_address;
  };
  struct Change {
    TimePoint time;
    std::uint16_t address;
    bool healthy;
  };

  void track(std::uint16_t a) {
    if (std::find(addresses_.begin(), addresses_.end(), a) == addresses_.end()) addresses_.push_back(a);
  }
  [[nodiscard]] std::size_t slot(std::uint16_t a) const {
    return static_cast<std::size_t>(std::find(addresses_.begin(), addresses_.end(), a) - addresses_.begin());
  }
  [[nodiscard]] double weight_of(std::uint16_t a) const {
    for (const auto& m : p_.primary)
      if (m.address == a) return m.weight;
    for (const auto& m : p_.failover)
      if (m.address == a) return m.weight;
    return 1.0;
  }
  [[nodiscard]] AnswerPolicy active_policy() const { return p_.policy; }
  [[nodiscard]] const std::string& name_of(std::uint16_t a) const { return names_.at(a); }

  void probe_round(std::size_t node) {
    const TimePoint now = sim_->now();
    for (std::size_t i = 0; i < addresses_.size(); ++i) {
      ++probes_;
      const ProbeResult r = target_->probe(addresses_[i], p_.probe_sites[node], p_.protocol, p_.timeout, now);
      const auto elapsed = std::min(r.elapsed, p_.timeout);
      const bool ok = r.ok && r.elapsed <= p_.timeout;
      const auto ni = static_cast<std::uint32_t>(node), ai = static_cast<std::uint32_t>(i);
      sim_->after(elapsed, [this, ni, ai, ok] { record(ni, ai, ok); },
                  tag(EventKind::gtm_probe_verdict, static_cast<std::uint16_t>(node)));
    }
  }

  void record(std::size_t node, std::size_t i, bool ok) {
    NodeAddressState& s = nodes_[node].per_address[i];
    if (ok) {
      s.consecutive_failures = 0;
      ++s.consecutive_successes;
      if (s.says_down && s.consecutive_successes >= p_.recovery) {
        s.says_down = false;
        if (log_) log_->add(sim_->now(), "gtm/node-" + std::to_string(node), "node_says_up", name_of(addresses_[i]));
        judge(i);
      }
    } else {
      s.consecutive_successes = 0;
      ++s.consecutive_failures;
      if (!s.says_down && s.consecutive_failures >= p_.failures) {
        s.says_down = true;
        if (log_)
          log_->add(sim_->now(), "gtm/node-" + std::to_string(node), "node_says_down",
                    name_of(addresses_[i]) + " after " + std::to_string(s.consecutive_failures) + " failed probes");
        judge(i);
      }
    }
  }

  void judge(std::size_t i) {
    std::size_t failing = 0;
    for (const auto& n : nodes_) failing += n.per_address[i].says_down ? 1 : 0;
    const bool healthy = p_.rule.healthy(failing, nodes_.size());
    if (healthy == judged_healthy_[i]) return;
    judged_healthy_[i] = healthy;
    changes_.push_back({sim_->now(), addresses_[i], healthy});
    if (log_)
      log_->add(sim_->now(), "gtm", healthy ? "address_healthy" : "address_unhealthy",
                name_of(addresses_[i]) + " (" + std::to_string(failing) + "/" + std::to_string(nodes_.size()) +
                    " nodes failing)");
    const auto ai = static_cast<std::uint32_t>(i);
    const bool h = healthy;
    auto publish = [this, ai, h] {
      published_healthy_[ai] = h;
      const AddressList before = answer_base_;
      recompute_answer_base();
      if (!(before == answer_base_)) {
        answer_changes_.push_back(sim_->now());
        answer_history_.push_back({sim_->now(), before, answer_base_});
        if (log_) log_->add(sim_->now(), "gtm", "answer_changed", describe(answer_base_));
      }
    };
    Duration delay = p_.publish_delay;
    if (p_.publish_spread_s) delay += Duration::from_seconds(std::max(0.0, p_.publish_spread_s->sample(publish_rng_)));
    if (delay > Duration::zero()) {
      sim_->after(delay, publish, tag(EventKind::gtm_publish));
    } else {
      publish();
    }
  }

  [[nodiscard]] std::string describe(const AddressList& a) const {
    std::string s = "[";
    for (std::size_t i = 0; i < a.n; ++i) s += (i ? ", " : "") + name_of(a[i]);
    return s + "]";
  }

  [[nodiscard]] AddressList healthy_members(const std::vector<PoolMember>& pool) const {
    AddressList out;
    for (const auto& m : pool)
      if (published_healthy_[slot(m.address)]) out.push(m.address);
    return out;
  }

  void recompute_answer_base() {
    AddressList healthy = healthy_members(p_.primary);
    const std::vector<PoolMember>* pool = &p_.primary;
    if (healthy.size() < p_.min_available) {
      AddressList secondary = healthy_members(p_.failover);
      if (!p_.failover.empty() && !secondary.empty()) {
        healthy = secondary;
        pool = &p_.failover;
      } else if (healthy.empty()) {
        // Nothing healthy anywhere: fail open with every address (Route 53
        // does this) or answer empty.
        healthy = AddressList{};
        if (p_.when_all_down == AllDownAnswer::all_addresses)
          for (const auto& m : p_.primary) healthy.push(m.address);
      }
    }
    if (p_.policy == AnswerPolicy::sequence && !healthy.empty()) {
      // One address: the first healthy in priority order, or (no preemptive
      // failback) the current one while it stays healthy.
      std::uint16_t chosen = healthy[0];
      if (!p_.preemptive_failback && sequence_active_ && healthy.contains(*sequence_active_)) chosen = *sequence_active_;
      sequence_active_ = chosen;
      AddressList one;
      one.push(chosen);
      healthy = one;
    }
    (void)pool;
    answer_base_ = healthy;
  }

  Simulator* sim_;
  GtmParams p_;
  ProbeTarget* target_;
  EventLog* log_;
  std::vector<std::string> names_;
  std::vector<std::uint16_t> addresses_;  // addresses the GTM knows, in pool order
  std::vector<Node> nodes_;
  std::vector<bool> judged_healthy_;
  std::vector<bool> published_healthy_;
  std::vector<Change> changes_;
  std::vector<TimePoint> answer_changes_;
  std::vector<AnswerChange> answer_history_;
  AddressList answer_base_;
  std::optional<std::uint16_t> sequence_active_;
  RandomStream publish_rng_;
  std::uint64_t rotation_ = 0;
  std::uint64_t queries_ = 0;
  std::uint64_t probes_ = 0;
};

}  // namespace drsim
