// Recursive resolvers between clients and the GTM.
//
// A resolver caches the GTM's answer for the TTL, clamped to its own
// [min_ttl, max_ttl], and keeps time the way its implementation does: unbound
// (before 1.25) stores the expiry as a whole second and serves the entry
// through that second, so an answer lives up to TTL + 1 s; BIND, dnsmasq and
// unbound >= 1.25 stop at the start of that second; systemd-resolved and
// CoreDNS count exactly; glibc's stub keeps nothing. Where the wall clock's
// second boundary sits relative to t = 0 is a parameter (clock_phase). A
// resolver may prefetch (refresh an entry a query finds close to expiry),
// rotate the record order per reply, serve a stale answer (when the GTM
// cannot be reached, or at once while refreshing behind it) for a limited
// time, and, for the share of resolvers that violate TTLs (8.74 % of 8,524
// resolvers in PAM 2023), hold an answer for a drawn time instead. Its cache
// starts cold, warm at a random age, or at a given age. A large public
// resolver is several independent caches behind one address: each query
// lands on one of them, so clients see old and new answers mixed while the
// caches expire one by one.
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
#include "drsim/core/time.hpp"
#include "drsim/model/event_log.hpp"
#include "drsim/model/gtm.hpp"
#include "drsim/model/sources.hpp"

namespace drsim {

enum class RecordRotation : std::uint8_t {
  none,         // records in the order the GTM gave them
  round_robin,  // rotate by one on every reply
  random,       // rotate by a random offset per reply (unbound takes it from the query id)
};
constexpr std::array<std::string_view, 3> enum_names(RecordRotation) { return {"none", "round_robin", "random"}; }

/// How a resolver's cache keeps time (the rule that decides when an entry
/// has expired and what TTL a reply carries).
enum class TtlClock : std::uint8_t {
  exact,           // expires TTL after the fetch; the reply carries the exact remaining time
  whole_seconds,   // expiry stored as the whole wall second of the fetch + TTL; expired once the wall second reaches it
  through_second,  // stored the same, but served through that second: expired once the wall second passes it
  no_cache,        // nothing kept: every query goes to the authority
};
constexpr std::array<std::string_view, 4> enum_names(TtlClock) {
  return {"exact", "whole_seconds", "through_second", "no_cache"};
}

/// When a query that finds a fresh entry also refreshes it.
enum class PrefetchRule : std::uint8_t {
  off,
  share_left,    // remaining TTL <= floor(prefetch_share x TTL) (unbound: TTL/10; CoreDNS: 10 %)
  seconds_left,  // remaining TTL <= prefetch_seconds, for TTLs >= prefetch_min_ttl (BIND: 2 s, 9 s)
};
constexpr std::array<std::string_view, 3> enum_names(PrefetchRule) { return {"off", "share_left", "seconds_left"}; }

/// What the cache holds when the run starts.
enum class CacheStart : std::uint8_t {
  warm,   // fetched by someone else at a random moment: age uniform over one holding time (length-biased for violators)
  cold,   // empty: the first query fetches
  aged,   // fetched start_age before t = 0
};
constexpr std::array<std::string_view, 3> enum_names(CacheStart) { return {"warm", "cold", "aged"}; }

struct ResolverParams {
  std::string name = "resolver";
  TtlClock clock = TtlClock::through_second;    // unbound before 1.25
  /// Where the wall clock's second boundary sits: wall second = floor(t + phase).
  /// nullopt: drawn U(0, 1 s) once per replication and shared by every resolver.
  std::optional<Duration> clock_phase;
  Duration min_ttl = Duration::zero();          // unbound cache-min-ttl 0
  Duration max_ttl = Duration::seconds(86400);  // unbound cache-max-ttl
  Duration max_negative_ttl = Duration::seconds(3600);  // unbound cache-max-negative-ttl
  PrefetchRule prefetch = PrefetchRule::off;    // unbound prefetch: no
  double prefetch_share = 0.1;
  Duration prefetch_seconds = Duration::seconds(2);
  Duration prefetch_min_ttl = Duration::zero();
  bool serve_stale = false;                     // unbound serve-expired off by default
  bool stale_first = false;                     // serve the expired entry at once and refresh behind it
  Duration stale_max = Duration::seconds(86400);  // unbound serve-expired-ttl (>= 1.23), BIND max-stale-ttl
  Duration stale_reply_ttl = Duration::seconds(30);
  Duration stale_wait = Duration::milliseconds(1800);  // unbound serve-expired-client-timeout (>= 1.23)
  RecordRotation rotation = RecordRotation::random;  // rrset-roundrobin: offset = query id + time
  /// TTL violator: holds every answer for max(TTL, a draw from this).
  std::optional<Distribution> violator_hold_s;
  std::size_t caches = 1;                     // independent caches behind the address
  Duration lookup_latency = Duration::zero(); // client <-> resolver round trip
  CacheStart start = CacheStart::warm;
  Duration start_age = Duration::zero();
  /// Set by a population section (not a file field): the chance, drawn per
  /// replication, that this resolver is a violator (violator_hold applies).
  double violator_chance = 1.0;
};

/// Names of the resolver presets.
inline std::vector<std::string> resolver_preset_names() {
  return {"unbound",  "unbound-1.25", "bind",    "systemd-resolved", "dnsmasq",
          "coredns", "coredns-kubernetes", "nodelocaldns", "glibc"};
}

/// A resolver implementation's defaults; ParameterError for an unknown name.
inline ResolverParams resolver_preset(const std::string& name) {
  ResolverParams p;  // the struct's defaults are unbound's (releases up to 1.24)
  if (name == "unbound") {
    return p;
  }
  if (name == "unbound-1.25") {
    p.clock = TtlClock::whole_seconds;
    return p;
  }
  if (name == "bind") {
    p.clock = TtlClock::whole_seconds;
    p.max_ttl = Duration::seconds(7 * 86400);
    p.max_negative_ttl = Duration::seconds(10800);  // max-ncache-ttl
    p.prefetch = PrefetchRule::seconds_left;  // prefetch 2 9, on by default
    p.prefetch_seconds = Duration::seconds(2);
    p.prefetch_min_ttl = Duration::seconds(9);
    p.stale_max = Duration::seconds(86400);   // max-stale-ttl
    p.stale_wait = Duration::seconds(10);     // stale-answer-client-timeout off: after resolver-query-timeout
    p.rotation = RecordRotation::random;      // rrset-order { order random; }
    return p;
  }
  if (name == "systemd-resolved") {
    p.clock = TtlClock::exact;
    p.max_ttl = Duration::seconds(7200);
    p.stale_max = Duration::zero();           // StaleRetentionSec=0: nothing kept past expiry
    p.stale_wait = Duration::zero();
    p.rotation = RecordRotation::random;      // cached answers are shuffled
    return p;
  }
  if (name == "dnsmasq") {
    p.clock = TtlClock::whole_seconds;
    p.max_ttl = Duration::seconds(3650LL * 86400);  // no max-cache-ttl unless configured
    p.stale_max = Duration::zero();
    p.stale_wait = Duration::zero();
    p.rotation = RecordRotation::none;
    return p;
  }
  if (name == "coredns" || name == "coredns-kubernetes" || name == "nodelocaldns") {
    p.clock = TtlClock::exact;
    p.min_ttl = Duration::seconds(5);           // success MINTTL default
    p.max_ttl = Duration::seconds(name == "coredns" ? 3600 : 30);  // cache [TTL]; Kubernetes Corefiles: cache 30
    // denial: 1800 s by default, capped by cache [TTL]; NodeLocal DNSCache's cluster zone sets 5 s.
    p.max_negative_ttl = Duration::seconds(name == "coredns" ? 1800 : 30);
    p.prefetch_share = 0.1;                     // prefetch PERCENTAGE default when configured
    p.stale_first = true;                       // serve_stale REFRESH_MODE immediate
    p.stale_max = Duration::seconds(3600);      // serve_stale DURATION 1h
    p.stale_reply_ttl = Duration::zero();       // stale replies carry TTL 0
    p.stale_wait = Duration::zero();
    p.rotation = name == "coredns-kubernetes" ? RecordRotation::random : RecordRotation::none;  // loadbalance plugin
    return p;
  }
  if (name == "glibc") {
    p.clock = TtlClock::no_cache;
    p.rotation = RecordRotation::none;
    p.stale_wait = Duration::zero();
    return p;
  }
  throw ParameterError("unknown resolver preset \"" + name + "\"");
}

template <>
inline const FieldTable& fields_of<ResolverParams>() {
  static const FieldTable table = FieldTable::build<ResolverParams>("resolver", [](auto& t) {
    using P = ResolverParams;
    t.means("A recursive resolver between clients and the GTM, with its cache")
        .presets(resolver_preset_names(),
                 [](P& p, const std::string& name, bool) {
                   const std::string keep = p.name;
                   p = resolver_preset(name);
                   p.name = keep;
                 },
                 false,
                 {std::string("through_second: an answer fetched at wall second s with TTL T is served until second "
                              "s + T has passed (up to T + 1 s); ") + kSourceUnboundExpiry + "; " + kSourceUnboundConf +
                      " (cache-max-ttl 86400, prefetch no, serve-expired no, serve-expired-ttl 86400, "
                      "serve-expired-client-timeout 1800); " + kSourceUnboundRotation,
                  std::string("whole_seconds: served until second s + T begins (T - 1 s < life <= T); ") +
                      kSourceUnbound125Expiry,
                  std::string("whole_seconds; ") + kSourceBindExpiry + "; " + kSourceBindDefaults +
                      " (max-cache-ttl 1 week, prefetch 2 9, max-stale-ttl 1 day, stale-answer-ttl 30, "
                      "stale-answer-client-timeout off so stale data follows resolver-query-timeout 10 s, "
                      "rrset-order random); " + kSourceBindPrefetch,
                  std::string("exact (microseconds); ") + kSourceSystemdResolvedExpiry + "; " +
                      kSourceSystemdResolvedCache + " (2 h cap, StaleRetentionSec=0)",
                  std::string("whole_seconds; ") + kSourceDnsmasqExpiry +
                      " (no max-cache-ttl unless set: drsim caps at 10 years; record order as cached: assumption)",
                  std::string("exact (Go time, whole seconds elapsed subtracted); ") + kSourceCorednsCache,
                  std::string("the cache plugin as the Kubernetes Corefile configures it: max 30 s; loadbalance "
                              "shuffles records; ") + kSourceKubernetesCorefile + "; " + kSourceCorednsCache,
                  std::string("the cache plugin as NodeLocal DNSCache configures it for other names: max 30 s; ") +
                      kSourceNodeLocalDns + "; " + kSourceCorednsCache,
                  std::string("no_cache: every lookup asks the nameserver; ") + kSourceGlibcNoCache})
        .states("resolver {name}", "{clock} clock, TTL clamp [{min_ttl}, {max_ttl}]{serve_stale?, serve-stale|}"
                                   "{violator_hold?, TTL violator|}");
    t.add("name", &P::name).must().means("the resolver's name, unique among resolvers");
    t.add("clock", &P::clock)
        .means("how the cache keeps time: exact; whole_seconds (expiry stored as a whole wall second, gone when that "
               "second begins: BIND, dnsmasq, unbound >= 1.25); through_second (served through that second, up to "
               "TTL + 1 s: unbound before 1.25); no_cache (glibc's stub)")
        .source_is(kSourceUnboundExpiry);
    t.add("clock_phase", &P::clock_phase).in_unit("s").range(0, 1)
        .means("where the wall clock's second boundary sits: wall second = floor(t + clock_phase)")
        .default_is("drawn U(0, 1 s) once per replication, shared by every resolver").source_is("drsim convention");
    t.add("min_ttl", &P::min_ttl).in_unit("s")
        .means("answers are kept at least this long (unbound cache-min-ttl, BIND min-cache-ttl, CoreDNS MINTTL 5 s)")
        .source_is(kSourceUnboundConf);
    t.add("max_ttl", &P::max_ttl).positive().in_unit("s")
        .means("answers are kept at most this long, >= min_ttl (unbound cache-max-ttl 1 day, BIND max-cache-ttl "
               "1 week, systemd-resolved 2 h, CoreDNS 3600 s, 30 s in Kubernetes' Corefiles)")
        .source_is(kSourceUnboundConf);
    t.add("max_negative_ttl", &P::max_negative_ttl).in_unit("s")
        .means("an empty answer is kept for the GTM's negative_ttl, at most this long (unbound "
               "cache-max-negative-ttl 3600 s, BIND max-ncache-ttl 3 h, CoreDNS denial 1800 s, 5 s in NodeLocal "
               "DNSCache)")
        .source_is(kSourceUnboundConf);
    t.add("prefetch", &P::prefetch)
        .means("a query that finds a fresh entry close to expiry is answered from it and refreshes it: off; "
               "share_left (remaining <= floor(prefetch_share x TTL): unbound prefetch, CoreDNS prefetch); "
               "seconds_left (remaining <= prefetch_seconds for TTLs >= prefetch_min_ttl: BIND, on by default)")
        .source_is(kSourceUnboundPrefetch);
    t.add("prefetch_share", &P::prefetch_share).as_share()
        .means("share_left: the share of the TTL left that triggers a refresh (unbound TTL/10; CoreDNS 10 %, "
               "rounded up)")
        .source_is(kSourceUnboundPrefetch);
    t.add("prefetch_seconds", &P::prefetch_seconds).in_unit("s")
        .means("seconds_left: remaining TTL that triggers a refresh (BIND prefetch trigger 2)")
        .source_is(kSourceBindPrefetch);
    t.add("prefetch_min_ttl", &P::prefetch_min_ttl).in_unit("s")
        .means("seconds_left: answers with a shorter TTL are never prefetched (BIND eligibility 9)")
        .source_is(kSourceBindPrefetch);
    t.add("serve_stale", &P::serve_stale)
        .means("answer from an expired entry (unbound serve-expired, BIND stale-answer-enable, CoreDNS serve_stale)")
        .source_is(kSourceUnboundConf);
    t.add("stale_first", &P::stale_first)
        .means("serve_stale: answer from the expired entry at once and refresh it behind the reply (CoreDNS "
               "immediate, unbound with serve-expired-client-timeout 0, its default before 1.23); false: only "
               "when the GTM cannot be reached, after stale_wait")
        .source_is(kSourceCorednsCache);
    t.add("stale_max", &P::stale_max).in_unit("s")
        .means("how long past expiry an entry may still be served stale; 0s: unlimited (unbound serve-expired-ttl "
               "86400 since 1.23, 0 before; BIND max-stale-ttl 1 day; CoreDNS 1 h)")
        .source_is(kSourceUnboundConf);
    t.add("stale_reply_ttl", &P::stale_reply_ttl).in_unit("s")
        .means("the TTL a stale answer carries (unbound serve-expired-reply-ttl 30, BIND stale-answer-ttl 30, "
               "CoreDNS 0)")
        .source_is(kSourceUnboundConf);
    t.add("stale_wait", &P::stale_wait).in_unit("s")
        .means("when the GTM cannot be reached: how long the client waits before the stale answer (unbound "
               "serve-expired-client-timeout 1.8 s)")
        .source_is(kSourceUnboundConf);
    t.add("rotation", &P::rotation)
        .means("record order per reply: as the GTM gave it, rotated by one per reply, or by a random offset (unbound's "
               "rrset-roundrobin offsets by query id + time, BIND's rrset-order is random, systemd-resolved shuffles)")
        .source_is(kSourceUnboundRotation);
    t.add("caches", &P::caches).range(1, 100000).in_unit("caches")
        .means("independent caches behind one address (a large public resolver); each query lands on one at random")
        .source_is("assumption");
    t.add("lookup_latency", &P::lookup_latency).in_unit("s")
        .means("the client-resolver round trip").source_is("assumption");
    t.add("start", &P::start)
        .means("the cache at the first query: warm (fetched by another user at a random age, uniform over one holding "
               "time; a violator's holding time drawn length-biased, as a random moment sees it); cold (empty: the "
               "first query fetches); aged (fetched start_age before t = 0)")
        .source_is("drsim convention");
    t.add("start_age", &P::start_age).in_unit("s")
        .means("start aged: how long before t = 0 the cached answer was fetched").source_is("drsim convention");
    t.add("violator_hold", &P::violator_hold_s).in_unit("s")
        .means("a TTL violator holds every answer for max(TTL, a draw from this); the share of violators is set "
               "through clients[].resolvers shares or the population section")
        .default_is("none: honours the TTL").source_is(kSourcePam2023TtlViolations);
  });
  return table;
}

/// What a client gets back from a lookup.
struct Resolution {
  AddressList addresses;
  Duration ttl;     // remaining TTL as the client sees it (whole seconds where the resolver's clock keeps them)
  bool ok = true;   // false: SERVFAIL (GTM unreachable, nothing stale)
  Duration wait;    // extra time before the reply (a stale answer after stale_wait)
};

/// The authority the resolver asks on a miss (the GTM, or a test double).
class Authority {
 public:
  virtual ~Authority() = default;
  /// nullopt when unreachable.
  virtual std::optional<AddressList> query(RandomStream& rng, TimePoint now) = 0;
  virtual Duration ttl() const = 0;
  /// How long an empty answer may be cached (the SOA minimum).
  virtual Duration negative_ttl() const { return ttl(); }
};

class RecursiveResolver {
 public:
  /// `clock_phase` is used unless the parameters set their own.
  RecursiveResolver(ResolverParams p, Authority& authority, std::uint64_t seed, std::size_t index,
                    Duration clock_phase = Duration::zero())
      : p_(std::move(p)), authority_(&authority), caches_(std::max<std::size_t>(1, p_.caches)),
        rng_(seed, detail::fnv1a("resolver/" + p_.name) + index),
        phase_ns_(p_.clock_phase.value_or(clock_phase).ns()) {
    if (p_.violator_hold_s && p_.violator_chance < 1.0 && !rng_.bernoulli(p_.violator_chance)) p_.violator_hold_s.reset();
  }

  Resolution resolve(TimePoint now) {
    if (p_.clock == TtlClock::no_cache) {
      auto fresh = authority_->query(rng_, now);
      if (!fresh) return {AddressList{}, Duration::zero(), false, Duration::zero()};
      ++fetches_;
      return {rotate(*fresh), authority_->ttl(), true, Duration::zero()};
    }
    Cache& c = caches_.size() == 1 ? caches_[0] : caches_[rng_.below(caches_.size())];
    if (!c.used) {
      c.used = true;
      if (p_.start != CacheStart::cold) start(c, now);
    }
    if (c.valid && now < c.expires) {
      Resolution r{rotate(c.answer), remaining(c, now), true, Duration::zero()};
      if (prefetch_due(c, r.ttl)) {
        ++prefetches_;
        refresh(c, now);
      }
      return r;
    }
    const bool stale_ok = c.valid && p_.serve_stale &&
                          (p_.stale_max == Duration::zero() || now < c.expires + p_.stale_max);
    if (stale_ok && p_.stale_first) {
      ++stale_served_;
      Resolution r{rotate(c.answer), p_.stale_reply_ttl, true, Duration::zero()};
      refresh(c, now);
      return r;
    }
    if (refresh(c, now)) return {rotate(c.answer), remaining(c, now), true, Duration::zero()};
    if (stale_ok) {
      ++stale_served_;
      return {rotate(c.answer), p_.stale_reply_ttl, true, p_.stale_wait};
    }
    return {AddressList{}, Duration::zero(), false, Duration::zero()};
  }

  [[nodiscard]] const ResolverParams& params() const { return p_; }
  [[nodiscard]] std::uint64_t fetches() const { return fetches_; }
  [[nodiscard]] std::uint64_t prefetches() const { return prefetches_; }
  [[nodiscard]] std::uint64_t stale_served() const { return stale_served_; }
  /// When the (single) cache's entry expires; TimePoint::max() when empty.
  [[nodiscard]] TimePoint expires(std::size_t cache = 0) const {
    return caches_.at(cache).valid ? caches_[cache].expires : TimePoint::max();
  }
  /// The whole wall-clock second that `t` falls in.
  [[nodiscard]] std::int64_t wall_second(TimePoint t) const {
    // Division by the constant (a multiplication), floored for times before the phase.
    const std::int64_t x = t.ns() + phase_ns_;
    const std::int64_t q = x / kSecond;
    return x % kSecond < 0 ? q - 1 : q;
  }

 private:
  static constexpr std::int64_t kSecond = 1'000'000'000;
  struct Cache {
    AddressList answer;
    TimePoint expires;          // the first instant the entry is no longer served fresh
    std::int64_t stored = 0;    // whole-second clocks: the stored expiry second
    std::int64_t ttl_s = 0;     // the TTL it was stored with, in whole seconds (prefetch thresholds)
    bool valid = false;
    bool used = false;
  };


  /// How long the resolver keeps an answer fetched now; `length_biased` for a
  /// violator's hold seen at a random moment (the warm start). An empty
  /// answer is held for the negative TTL, capped by max_negative_ttl.
  Duration hold(bool length_biased, const AddressList& answer) {
    if (answer.empty()) return std::min(authority_->negative_ttl(), p_.max_negative_ttl);
    Duration h = std::clamp(authority_->ttl(), p_.min_ttl, p_.max_ttl);
    if (p_.violator_hold_s) {
      const double draw = length_biased ? p_.violator_hold_s->sample_length_biased(rng_) : p_.violator_hold_s->sample(rng_);
      h = std::max(h, Duration::from_seconds(std::max(0.0, draw)));
    }
    return h;
  }

  /// Stores `answer`, fetched at `fetched`, for `h` by the resolver's clock.
  void store(Cache& c, const AddressList& answer, TimePoint fetched, Duration h) {
    c.answer = answer;
    c.valid = true;
    c.ttl_s = h.ns() / kSecond;
    switch (p_.clock) {
      case TtlClock::exact:
      case TtlClock::no_cache: c.expires = fetched + h; break;
      case TtlClock::whole_seconds:
        c.stored = wall_second(fetched) + c.ttl_s;
        c.expires = TimePoint::from_ns(c.stored * kSecond - phase_ns_);
        break;
      case TtlClock::through_second:
        c.stored = wall_second(fetched) + c.ttl_s;
        c.expires = TimePoint::from_ns((c.stored + 1) * kSecond - phase_ns_);
        break;
    }
  }

  /// Fetches from the authority now; false (the entry kept) when unreachable.
  bool refresh(Cache& c, TimePoint now) {
    auto fresh = authority_->query(rng_, now);
    if (!fresh) return false;
    store(c, *fresh, now, hold(false, *fresh));
    ++fetches_;
    return true;
  }

  /// The run's first query finds what another user fetched earlier.
  void start(Cache& c, TimePoint now) {
    auto fresh = authority_->query(rng_, now);
    if (!fresh) return;
    ++fetches_;
    if (p_.start == CacheStart::aged) {
      store(c, *fresh, TimePoint::start() - p_.start_age, hold(false, *fresh));
      return;
    }
    const Duration h = hold(true, *fresh);
    const auto age = Duration::nanoseconds(static_cast<std::int64_t>(rng_.uniform01() * static_cast<double>(h.ns())));
    store(c, *fresh, now - age, h);
  }

  /// The TTL a reply from the entry carries.
  [[nodiscard]] Duration remaining(const Cache& c, TimePoint now) const {
    if (p_.clock == TtlClock::exact) return c.expires - now;
    return Duration::seconds(std::max<std::int64_t>(0, c.stored - wall_second(now)));
  }

  /// `left`: the entry's remaining TTL now (remaining()).
  [[nodiscard]] bool prefetch_due(const Cache& c, Duration left) const {
    switch (p_.prefetch) {
      case PrefetchRule::off: return false;
      case PrefetchRule::share_left: {
        // unbound: prefetch_ttl = stored - TTL/10 (integer division), due once now >= prefetch_ttl.
        const auto threshold = static_cast<std::int64_t>(p_.prefetch_share * static_cast<double>(c.ttl_s));
        return left <= Duration::seconds(threshold);
      }
      case PrefetchRule::seconds_left:
        return Duration::seconds(c.ttl_s) >= p_.prefetch_min_ttl && left <= p_.prefetch_seconds;
    }
    return false;
  }

  AddressList rotate(const AddressList& a) {
    if (a.n <= 1) return a;
    switch (p_.rotation) {
      case RecordRotation::none: return a;
      case RecordRotation::round_robin: {
        // replies_ mod n; a mask when n is a power of two (two addresses, mostly): no division per reply.
        const std::uint64_t k = (a.n & (a.n - 1)) == 0 ? replies_ & (a.n - 1u) : replies_ % a.n;
        ++replies_;
        return a.rotated(k);
      }
      case RecordRotation::random: return a.rotated(rng_.below(a.n));
    }
    return a;
  }

  ResolverParams p_;
  Authority* authority_;
  std::vector<Cache> caches_;
  RandomStream rng_;
  std::int64_t phase_ns_ = 0;
  std::uint64_t replies_ = 0;
  std::uint64_t fetches_ = 0;
  std::uint64_t prefetches_ = 0;
  std::uint64_t stale_served_ = 0;
};

/// The GTM seen as a DNS authority, reachable unless a fault cuts it off.
class GtmAuthority final : public Authority {
 public:
  explicit GtmAuthority(GlobalTrafficManager& gtm) : gtm_(&gtm) {}
  std::optional<AddressList> query(RandomStream& rng, TimePoint now) override {
    if (!(replay_ ? reachable_at(now) : reachable_)) return std::nullopt;
    const GtmParams& p = gtm_->params();
    if (p.answers == AuthorityAnswers::dynamic || p.packet_cache_ttl <= Duration::zero()) return answer(rng, now);
    // Static records: one reply serves every query until the packet cache entry expires.
    if (!cached_ || now >= cached_until_) {
      cached_ = answer(rng, now);
      cached_until_ = now + p.packet_cache_ttl;
    }
    return cached_;
  }
  Duration ttl() const override { return gtm_->ttl(); }
  Duration negative_ttl() const override { return gtm_->params().negative_ttl; }
  void set_reachable(bool r, TimePoint now) {
    reachable_ = r;
    reachable_history_.emplace_back(now, r);
  }
  /// From now on queries are answered as at their own time, from the GTM's
  /// history (the run has ended; aggregated populations replay their lookups).
  void replay_history() { replay_ = true; }

 private:
  AddressList answer(RandomStream& rng, TimePoint now) { return replay_ ? gtm_->answer_at(now, rng) : gtm_->answer(rng); }
  [[nodiscard]] bool reachable_at(TimePoint t) const {
    bool r = true;
    for (const auto& [at, value] : reachable_history_) {
      if (at > t) break;
      r = value;
    }
    return r;
  }

  GlobalTrafficManager* gtm_;
  bool reachable_ = true;
  bool replay_ = false;
  std::vector<std::pair<TimePoint, bool>> reachable_history_;
  std::optional<AddressList> cached_;  // the packet cache's reply (static answers)
  TimePoint cached_until_;
};

}  // namespace drsim
