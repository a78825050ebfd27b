// Recursive resolvers between clients and the GTM.
//
// A resolver caches the GTM's answer for the TTL, clamped to its own
// [min_ttl, max_ttl] (unbound: 0 and 86400 s; systemd-resolved caps at 2 h),
// rotates the record order per reply (unbound's rrset-roundrobin, on by
// default), may serve a stale answer when the GTM cannot be reached
// (serve-expired, reply TTL 30 s), and, for the share of resolvers that
// violate TTLs (8.74 % of 8,524 resolvers in PAM 2023), holds an answer for a
// drawn time instead. A large public resolver is several independent caches
// behind one address: each query lands on one of them, so clients see old
// and new answers mixed while the caches expire one by one.
#pragma once

#include <algorithm>
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

namespace drsim {

enum class RecordRotation : std::uint8_t {
  none,         // records in the order the GTM gave them
  round_robin,  // rotate by one on every reply
  random,       // rotate by a random offset per reply (unbound takes it from the query id)
};
constexpr std::array<std::string_view, 3> enum_names(RecordRotation) { return {"none", "round_robin", "random"}; }

struct ResolverParams {
  std::string name = "resolver";
  Duration min_ttl = Duration::zero();        // unbound cache-min-ttl 0
  Duration max_ttl = Duration::seconds(86400);  // unbound cache-max-ttl
  bool serve_stale = false;                   // unbound serve-expired off by default
  Duration stale_reply_ttl = Duration::seconds(30);
  RecordRotation rotation = RecordRotation::round_robin;
  /// TTL violator: holds every answer for max(TTL, a draw from this).
  std::optional<Distribution> violator_hold_s;
  std::size_t caches = 1;                     // independent caches behind the address
  Duration lookup_latency = Duration::zero(); // client <-> resolver round trip
  /// A shared resolver already holds the record when the run starts, fetched
  /// at a random moment by someone else: its first expiry is U(0, TTL) away.
  /// Off, the cache starts empty and the run's first query fetches (the
  /// cache phase is then set by the client's first call).
  bool warm = true;
};

/// Names of the resolver presets.
inline std::vector<std::string> resolver_preset_names() { return {"unbound", "bind", "systemd-resolved"}; }

/// A resolver implementation's defaults; std::invalid_argument for an unknown name.
inline ResolverParams resolver_preset(const std::string& name) {
  ResolverParams p;
  if (name == "unbound") {
    // cache-min-ttl 0, cache-max-ttl 86400, serve-expired off, rrset-roundrobin on
    p.min_ttl = Duration::zero();
    p.max_ttl = Duration::seconds(86400);
    p.rotation = RecordRotation::round_robin;
  } else if (name == "bind") {
    // max-cache-ttl 1 week, serve-stale off (stale-answer-ttl 30 s when on), no rotation by default
    p.max_ttl = Duration::seconds(7 * 86400);
    p.rotation = RecordRotation::none;
  } else if (name == "systemd-resolved") {
    // honours the TTL, caps it at 2 h
    p.max_ttl = Duration::seconds(7200);
    p.rotation = RecordRotation::none;
  } else {
    throw ParameterError("unknown resolver preset \"" + name + "\"");
  }
  return p;
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
                 {std::string(kSourceUnboundConf) + "; " + kSourceUnboundRotation,
                  std::string(kSourceBindDefaults) + " (min-cache-ttl 0, max-cache-ttl 1 week, stale-answer-ttl 30; "
                                                     "its rrset-order is random, drsim's preset keeps the order)",
                  std::string(kSourceSystemdResolvedCache) + " (2 h cap, stale TTL 30 s; it shuffles cached answers, "
                                                             "drsim's preset keeps the order)"})
        .states("resolver {name}", "TTL clamp [{min_ttl}, {max_ttl}]{serve_stale?, serve-stale|}{violator_hold?, TTL violator|}");
    t.add("name", &P::name).must().means("the resolver's name, unique among resolvers");
    t.add("min_ttl", &P::min_ttl).in_unit("s")
        .means("answers are kept at least this long (unbound cache-min-ttl, BIND min-cache-ttl)")
        .source_is(kSourceUnboundConf);
    t.add("max_ttl", &P::max_ttl).positive().in_unit("s")
        .means("answers are kept at most this long, >= min_ttl (unbound cache-max-ttl 1 day, BIND max-cache-ttl "
               "1 week, systemd-resolved 2 h)")
        .source_is(kSourceUnboundConf);
    t.add("serve_stale", &P::serve_stale)
        .means("answer from an expired entry when the GTM cannot be reached (unbound serve-expired, BIND "
               "serve-stale); drsim serves them without a time limit where unbound >= 1.23 and BIND stop after 1 day")
        .source_is(kSourceUnboundConf);
    t.add("stale_reply_ttl", &P::stale_reply_ttl).positive().in_unit("s")
        .means("the TTL a stale answer carries (unbound serve-expired-reply-ttl)")
        .source_is(kSourceUnboundConf);
    t.add("rotation", &P::rotation)
        .means("record order per reply: as the GTM gave it, rotated by one per reply, or by a random offset (unbound's "
               "rrset-roundrobin rotates by query id + time, closer to random)")
        .source_is(kSourceUnboundRotation);
    t.add("caches", &P::caches).range(1, 100000).in_unit("caches")
        .means("independent caches behind one address (a large public resolver); each query lands on one at random")
        .source_is("assumption");
    t.add("lookup_latency", &P::lookup_latency).in_unit("s")
        .means("the client-resolver round trip").source_is("assumption");
    t.add("warm", &P::warm)
        .means("the cache already holds the record at t = 0, expiring U(0, TTL) later; false: the first query fetches")
        .source_is("assumption");
    t.add("violator_hold", &P::violator_hold_s).in_unit("s")
        .means("a TTL violator holds every answer for max(TTL, a draw from this); the share of violators is set "
               "through clients[].resolvers shares")
        .default_is("none: honours the TTL").source_is(kSourcePam2023TtlViolations);
  });
  return table;
}

/// What a client gets back from a lookup.
struct Resolution {
  AddressList addresses;
  Duration ttl;     // remaining TTL as the client sees it
  bool ok = true;   // false: SERVFAIL (GTM unreachable, nothing stale)
};

/// The authority the resolver asks on a miss (the GTM, or a test double).
class Authority {
 public:
  virtual ~Authority() = default;
  /// nullopt when unreachable.
  virtual std::optional<AddressList> query(RandomStream& rng) = 0;
  virtual Duration ttl() const = 0;
};

class RecursiveResolver {
 public:
  RecursiveResolver(ResolverParams p, Authority& authority, std::uint64_t seed, std::size_t index)
      : p_(std::move(p)), authority_(&authority), caches_(std::max<std::size_t>(1, p_.caches)),
        rng_(seed, detail::fnv1a("resolver/" + p_.name) + index) {}

  Resolution resolve(TimePoint now) {
    Cache& c = caches_.size() == 1 ? caches_[0] : caches_[rng_.below(caches_.size())];
    if (!c.valid || now >= c.expires) {
      if (auto fresh = authority_->query(rng_)) {
        Duration hold = std::clamp(authority_->ttl(), p_.min_ttl, p_.max_ttl);
        if (p_.violator_hold_s) hold = std::max(hold, Duration::from_seconds(std::max(0.0, p_.violator_hold_s->sample(rng_))));
        if (p_.warm && !c.used) {
          // Fetched earlier by another user of this resolver: a uniform share of the hold is left.
          hold = Duration::nanoseconds(static_cast<std::int64_t>(rng_.uniform01() * static_cast<double>(hold.ns())) + 1);
        }
        c.answer = *fresh;
        c.valid = true;
        c.used = true;
        c.expires = now + hold;
        ++fetches_;
      } else if (c.valid && p_.serve_stale) {
        ++stale_served_;
        return {rotate(c.answer), p_.stale_reply_ttl, true};
      } else {
        return {AddressList{}, Duration::zero(), false};
      }
    }
    return {rotate(c.answer), c.expires - now, true};
  }

  [[nodiscard]] const ResolverParams& params() const { return p_; }
  [[nodiscard]] std::uint64_t fetches() const { return fetches_; }
  [[nodiscard]] std::uint64_t stale_served() const { return stale_served_; }

 private:
  struct Cache {
    AddressList answer;
    TimePoint expires;
    bool valid = false;
    bool used = false;
  };

  AddressList rotate(const AddressList& a) {
    if (a.n <= 1) return a;
    switch (p_.rotation) {
      case RecordRotation::none: return a;
      case RecordRotation::round_robin: return a.rotated(replies_++ % a.n);
      case RecordRotation::random: return a.rotated(rng_.below(a.n));
    }
    return a;
  }

  ResolverParams p_;
  Authority* authority_;
  std::vector<Cache> caches_;
  RandomStream rng_;
  std::uint64_t replies_ = 0;
  std::uint64_t fetches_ = 0;
  std::uint64_t stale_served_ = 0;
};

/// The GTM seen as a DNS authority, reachable unless a fault cuts it off.
class GtmAuthority final : public Authority {
 public:
  explicit GtmAuthority(GlobalTrafficManager& gtm) : gtm_(&gtm) {}
  std::optional<AddressList> query(RandomStream& rng) override {
    if (!reachable_) return std::nullopt;
    return gtm_->answer(rng);
  }
  Duration ttl() const override { return gtm_->ttl(); }
  void set_reachable(bool r) { reachable_ = r; }

 private:
  GlobalTrafficManager* gtm_;
  bool reachable_ = true;
};

}  // namespace drsim
