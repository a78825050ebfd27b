#include <catch2/catch.hpp>

#include "drsim/core/stats.hpp"
#include "drsim/model/dns.hpp"

using namespace drsim;
using namespace drsim::literals;

namespace {
/// An authority that answers [0, 1] (or [0] after `switch_at`) with a TTL.
class FakeAuthority final : public Authority {
 public:
  Duration ttl_ = 60_s;
  Duration negative_ttl_ = 60_s;
  bool reachable = true;
  bool single = false;
  bool empty = false;
  int queries = 0;
  std::optional<AddressList> query(RandomStream&, TimePoint) override {
    if (!reachable) return std::nullopt;
    ++queries;
    AddressList a;
    if (empty) return a;
    a.push(0);
    if (!single) a.push(1);
    return a;
  }
  Duration ttl() const override { return ttl_; }
  Duration negative_ttl() const override { return negative_ttl_; }
};
TimePoint at(Duration d) { return TimePoint::start() + d; }
/// A resolver whose cache starts empty, so the first query fetches, and
/// counts time exactly (the clocks have their own specs below).
ResolverParams cold() {
  ResolverParams p;
  p.start = CacheStart::cold;
  p.clock = TtlClock::exact;
  return p;
}
/// A preset, cold, with the wall clock's second boundary at t = 0.
ResolverParams preset(const char* name) {
  ResolverParams p = resolver_preset(name);
  p.start = CacheStart::cold;
  p.clock_phase = Duration::zero();
  return p;
}
}  // namespace

TEST_CASE("A warm resolver starts with the record cached at a random age", "[dns]") {
  FakeAuthority auth;
  RunningStats first_ttl;
  for (std::uint64_t seed = 0; seed < 2000; ++seed) {
    ResolverParams p;
    p.clock = TtlClock::exact;
    RecursiveResolver r(p, auth, seed, 0);
    const auto ttl = r.resolve(at(0_s)).ttl;
    REQUIRE(ttl > Duration::zero());
    REQUIRE(ttl <= 60_s);
    first_ttl.add(ttl.seconds_f());
  }
  // Uniform on (0, 60]: mean 30 s, standard error 17.3 / sqrt(2000) = 0.39 s.
  CHECK(first_ttl.mean() == Approx(30).margin(1.6));
}

TEST_CASE("A resolver caches the answer for the TTL and counts down", "[dns]") {
  FakeAuthority auth;
  RecursiveResolver r(cold(), auth, 1, 0);
  auto first = r.resolve(at(0_s));
  CHECK(first.ttl == 60_s);
  CHECK(r.resolve(at(20_s)).ttl == 40_s);
  CHECK(auth.queries == 1);
  auth.single = true;
  CHECK(r.resolve(at(59_s)).addresses.size() == 2);  // still the cached answer
  CHECK(r.resolve(at(60_s)).addresses.size() == 1);  // expired: fetched anew
  CHECK(auth.queries == 2);
}

TEST_CASE("TTL clamps bound how long the resolver keeps an answer", "[dns]") {
  FakeAuthority auth;
  auth.ttl_ = 5_s;
  ResolverParams p = cold();
  p.min_ttl = 30_s;
  RecursiveResolver r(p, auth, 1, 0);
  CHECK(r.resolve(at(0_s)).ttl == 30_s);
  auth.ttl_ = 172800_s;
  ResolverParams q = cold();
  q.max_ttl = 7200_s;  // systemd-resolved's cap
  RecursiveResolver r2(q, auth, 1, 0);
  CHECK(r2.resolve(at(0_s)).ttl == 7200_s);
}

TEST_CASE("Record order rotates per reply when rrset-roundrobin is on", "[dns]") {
  FakeAuthority auth;
  SECTION("round robin alternates the first record") {
    ResolverParams p = cold();
    p.rotation = RecordRotation::round_robin;
    RecursiveResolver r(p, auth, 1, 0);
    CHECK(r.resolve(at(0_s)).addresses[0] == 0);
    CHECK(r.resolve(at(1_s)).addresses[0] == 1);
    CHECK(r.resolve(at(2_s)).addresses[0] == 0);
  }
  SECTION("none keeps the authority's order") {
    ResolverParams p = cold();
    p.rotation = RecordRotation::none;
    RecursiveResolver r(p, auth, 1, 0);
    for (int i = 0; i < 5; ++i) CHECK(r.resolve(at(Duration::seconds(i))).addresses[0] == 0);
  }
  SECTION("random gives both orders") {
    ResolverParams p = cold();
    p.rotation = RecordRotation::random;
    RecursiveResolver r(p, auth, 1, 0);
    int zeros = 0;
    for (int i = 0; i < 1000; ++i) zeros += r.resolve(at(1_s)).addresses[0] == 0;
    CHECK(zeros > 400);
    CHECK(zeros < 600);
  }
}

TEST_CASE("Serve-stale answers from the expired cache when the GTM is unreachable", "[dns]") {
  FakeAuthority auth;
  ResolverParams p = cold();
  p.serve_stale = true;
  RecursiveResolver r(p, auth, 1, 0);
  r.resolve(at(0_s));
  auth.reachable = false;
  auto stale = r.resolve(at(100_s));
  CHECK(stale.ok);
  CHECK(stale.ttl == 30_s);                       // unbound's serve-expired reply TTL
  CHECK(stale.wait == Duration::milliseconds(1800));  // after serve-expired-client-timeout
  CHECK(r.stale_served() == 1);
  // Expired at 60 s; serve-expired-ttl 1 day: stale data is served until 60 + 86400 s.
  CHECK(r.resolve(at(86459_s)).ok);
  CHECK_FALSE(r.resolve(at(86460_s)).ok);

  SECTION("without serve-stale the lookup fails") {
    RecursiveResolver plain(cold(), auth, 1, 0);
    auth.reachable = true;
    plain.resolve(at(0_s));
    auth.reachable = false;
    CHECK_FALSE(plain.resolve(at(100_s)).ok);
  }
}

TEST_CASE("A TTL violator holds answers for the drawn time instead", "[dns]") {
  FakeAuthority auth;
  ResolverParams p = cold();
  p.violator_hold_s = Distribution::constant(900);
  RecursiveResolver r(p, auth, 1, 0);
  r.resolve(at(0_s));
  auth.single = true;
  CHECK(r.resolve(at(600_s)).addresses.size() == 2);
  CHECK(r.resolve(at(900_s)).addresses.size() == 1);
}

TEST_CASE("Several caches behind one resolver expire independently", "[dns]") {
  FakeAuthority auth;
  ResolverParams p = cold();
  p.caches = 4;
  RecursiveResolver r(p, auth, 7, 0);
  for (int i = 0; i < 200; ++i) r.resolve(at(Duration::milliseconds(i * 100)));
  CHECK(auth.queries == 4);  // each cache fetched once in the first 20 s
}

// ---- how each implementation keeps time ------------------------------------

TEST_CASE("unbound before 1.25 serves an answer through its stored whole second: up to TTL + 1 s", "[dns][clock]") {
  // daemon/worker.c answer_from_cache (<= 1.24): expired only when rep->ttl < timenow; rep->ttl = TTL + the
  // whole second of arrival. Fetched at 0.3 s (second 0) with TTL 10: stored 10, served while the wall second
  // is <= 10, i.e. until 11.0 s.
  FakeAuthority auth;
  auth.ttl_ = 10_s;
  RecursiveResolver r(preset("unbound"), auth, 1, 0);
  CHECK(r.resolve(at(300_ms)).ttl == 10_s);
  CHECK(r.resolve(at(5500_ms)).ttl == 5_s);    // 10 - 5: replies carry whole seconds
  const auto last = r.resolve(at(10900_ms));
  CHECK(last.ttl == 0_s);                      // served with TTL 0 in its last second
  CHECK(auth.queries == 1);
  r.resolve(at(11_s));
  CHECK(auth.queries == 2);                    // refetched at 11.0 s
  CHECK(r.expires() == at(22_s));              // fetched in second 11: stored 21, gone at 22.0 s

  SECTION("where the second boundary sits decides how long past TTL the answer lives") {
    // Phase 0.8 s: wall second = floor(t + 0.8). Fetched at 0.3 s -> second 1, stored 11, gone when t + 0.8
    // reaches 12: at 11.2 s, a life of 10.9 s. Fetched at 0.15 s with phase 0 -> life 10.85 s.
    ResolverParams p = preset("unbound");
    p.clock_phase = 800_ms;
    FakeAuthority a2;
    a2.ttl_ = 10_s;
    RecursiveResolver shifted(p, a2, 1, 0);
    shifted.resolve(at(300_ms));
    CHECK(shifted.expires() == at(11200_ms));
  }
  SECTION("a phase left to the model is drawn once per replication and shared by every resolver") {
    RecursiveResolver drawn(resolver_preset("unbound"), auth, 1, 0, 250_ms);
    CHECK(drawn.wall_second(at(750_ms)) == 1);
    CHECK(drawn.wall_second(at(749_ms)) == 0);
  }
}

TEST_CASE("BIND, dnsmasq and unbound 1.25 drop the answer when its stored second begins", "[dns][clock]") {
  // BIND qpcache ACTIVE: header->ttl > now; dnsmasq is_expired: now >= ttd; unbound 1.25 TTL_IS_EXPIRED:
  // ttl <= now. Fetched at 0.3 s with TTL 10: stored 10, gone at 10.0 s (a life of 9.7 s).
  for (const char* name : {"bind", "dnsmasq", "unbound-1.25"}) {
    INFO(name);
    FakeAuthority auth;
    auth.ttl_ = 10_s;
    ResolverParams p = preset(name);
    p.prefetch = PrefetchRule::off;  // BIND would refresh at 8.0 s (its prefetch has a spec of its own)
    RecursiveResolver r(p, auth, 1, 0);
    r.resolve(at(300_ms));
    CHECK(r.resolve(at(9900_ms)).ttl == 1_s);  // BIND's replies never reach 0 while active
    CHECK(auth.queries == 1);
    r.resolve(at(10_s));
    CHECK(auth.queries == 2);
  }
}

TEST_CASE("systemd-resolved and CoreDNS count exactly; glibc keeps nothing", "[dns][clock]") {
  for (const char* name : {"systemd-resolved", "coredns", "coredns-kubernetes", "nodelocaldns"}) {
    INFO(name);
    FakeAuthority auth;
    auth.ttl_ = 10_s;
    RecursiveResolver r(preset(name), auth, 1, 0);
    r.resolve(at(300_ms));
    CHECK(r.resolve(at(10299_ms)).ttl == 1_ms);
    CHECK(auth.queries == 1);
    r.resolve(at(10300_ms));
    CHECK(auth.queries == 2);
  }
  FakeAuthority auth;
  RecursiveResolver glibc(preset("glibc"), auth, 1, 0);
  for (int i = 0; i < 5; ++i) CHECK(glibc.resolve(at(Duration::milliseconds(i))).ttl == 60_s);
  CHECK(auth.queries == 5);
}

TEST_CASE("CoreDNS clamps TTLs to [5 s, 3600 s], Kubernetes' Corefiles to 30 s", "[dns][clock]") {
  FakeAuthority auth;
  auth.ttl_ = 1_s;
  CHECK(RecursiveResolver(preset("coredns"), auth, 1, 0).resolve(at(0_s)).ttl == 5_s);
  auth.ttl_ = 60_s;
  CHECK(RecursiveResolver(preset("coredns-kubernetes"), auth, 1, 0).resolve(at(0_s)).ttl == 30_s);
  CHECK(RecursiveResolver(preset("nodelocaldns"), auth, 1, 0).resolve(at(0_s)).ttl == 30_s);
  CHECK(RecursiveResolver(preset("coredns"), auth, 1, 0).resolve(at(0_s)).ttl == 60_s);
}

// ---- prefetch and serve-stale ---------------------------------------------------

TEST_CASE("Prefetch refreshes a queried entry before it expires", "[dns][prefetch]") {
  SECTION("unbound: once less than TTL/10 is left") {
    // Fetched at 0.3 s, TTL 10: stored 10, prefetch_ttl = 10 - 10/10 = 9: a query in second 9 refreshes.
    FakeAuthority auth;
    auth.ttl_ = 10_s;
    ResolverParams p = preset("unbound");
    p.prefetch = PrefetchRule::share_left;
    RecursiveResolver r(p, auth, 1, 0);
    r.resolve(at(300_ms));
    r.resolve(at(8900_ms));
    CHECK(auth.queries == 1);
    auth.single = true;  // the answer changes
    const auto served = r.resolve(at(9_s));
    CHECK(served.addresses.size() == 2);  // the query that triggers it is answered from the old entry
    CHECK(auth.queries == 2);
    CHECK(r.prefetches() == 1);
    CHECK(r.resolve(at(9100_ms)).addresses.size() == 1);  // the new answer, before the old one would expire
    CHECK(r.expires() == at(20_s));                        // second 9 + 10, served through it
  }
  SECTION("BIND: 2 s before expiry, only for TTLs of 9 s or more (on by default)") {
    FakeAuthority auth;
    auth.ttl_ = 10_s;
    RecursiveResolver r(preset("bind"), auth, 1, 0);
    r.resolve(at(300_ms));
    r.resolve(at(7900_ms));  // 10 - 7 = 3 s left
    CHECK(auth.queries == 1);
    r.resolve(at(8_s));      // 2 s left: refreshed
    CHECK(auth.queries == 2);
    FakeAuthority shorter;
    shorter.ttl_ = 8_s;      // below the eligibility of 9 s: never prefetched
    RecursiveResolver r8(preset("bind"), shorter, 1, 0);
    r8.resolve(at(300_ms));
    r8.resolve(at(7900_ms));
    CHECK(shorter.queries == 1);
    r8.resolve(at(8_s));
    CHECK(shorter.queries == 2);  // expired, not prefetched
    CHECK(r8.prefetches() == 0);
  }
  SECTION("CoreDNS: at 10 % of the TTL left, counted exactly") {
    FakeAuthority auth;
    auth.ttl_ = 30_s;
    ResolverParams p = preset("coredns");
    p.prefetch = PrefetchRule::share_left;
    RecursiveResolver r(p, auth, 1, 0);
    r.resolve(at(300_ms));
    r.resolve(at(27299_ms));  // 3.001 s left
    CHECK(auth.queries == 1);
    r.resolve(at(27300_ms));  // 3 s = 10 % of 30 left
    CHECK(auth.queries == 2);
  }
}

TEST_CASE("CoreDNS serve_stale answers from the expired entry at once and refreshes behind it", "[dns][stale]") {
  FakeAuthority auth;
  auth.ttl_ = 10_s;
  ResolverParams p = preset("coredns");
  p.serve_stale = true;
  RecursiveResolver r(p, auth, 1, 0);
  r.resolve(at(0_s));
  auth.single = true;
  const auto stale = r.resolve(at(12_s));  // expired at 10 s, the GTM reachable
  CHECK(stale.addresses.size() == 2);      // the old answer, TTL 0
  CHECK(stale.ttl == 0_s);
  CHECK(r.stale_served() == 1);
  CHECK(r.resolve(at(12001_ms)).addresses.size() == 1);  // refreshed behind the stale reply
  // Beyond the 1 h serve_stale duration the expired entry is not served.
  auth.reachable = false;
  CHECK(r.resolve(at(22_s + 3599_s)).ok);
  CHECK_FALSE(r.resolve(at(22_s + 3600_s)).ok);
}

// ---- the cache at the start of a run -------------------------------------------

TEST_CASE("A cold resolver fetches at the first query; its refreshes follow the first query after each expiry", "[dns][start]") {
  // unbound, TTL 10, phase 0, queries every 0.1 s from 3.7 s: fetched at 3.7 (second 3: stored 13, gone at
  // 14.0), at 14.0 (stored 24, gone at 25.0), at 25.0.
  FakeAuthority auth;
  auth.ttl_ = 10_s;
  RecursiveResolver r(preset("unbound"), auth, 1, 0);
  std::vector<double> fetched;
  for (int i = 37; i < 300; ++i) {
    const auto before = auth.queries;
    r.resolve(at(Duration::milliseconds(i * 100)));
    if (auth.queries > before) fetched.push_back(i / 10.0);
  }
  REQUIRE(fetched.size() == 3);
  CHECK(fetched[0] == Approx(3.7));
  CHECK(fetched[1] == Approx(14.0));
  CHECK(fetched[2] == Approx(25.0));
}

TEST_CASE("A resolver can start with an answer of a given age", "[dns][start]") {
  FakeAuthority auth;
  ResolverParams p = cold();
  p.start = CacheStart::aged;
  p.start_age = 50_s;
  RecursiveResolver r(p, auth, 1, 0);
  CHECK(r.resolve(at(0_s)).ttl == 10_s);  // fetched at -50 s with TTL 60
  CHECK(auth.queries == 1);
  r.resolve(at(10_s));
  CHECK(auth.queries == 2);
  p.start_age = 70_s;  // already expired at t = 0: the first query fetches again
  FakeAuthority a2;
  RecursiveResolver old(p, a2, 1, 0);
  CHECK(old.resolve(at(0_s)).ttl == 60_s);
  CHECK(a2.queries == 2);
}

TEST_CASE("A warm violator's remaining hold is the length-biased residual a random moment sees", "[dns][start]") {
  // Holds uniform on [60, 1200] s, one after another: a random moment falls in a hold H with density
  // proportional to H, at a uniform point of it. Mean residual = E[H^2] / (2 E[H])
  // = ((1200^3 - 60^3) / (3 x 1140)) / 1260 = 400.95 s; a plain draw would give E[H] / 2 = 315 s.
  FakeAuthority auth;
  RunningStats residual;
  for (std::uint64_t seed = 0; seed < 4000; ++seed) {
    ResolverParams p;
    p.clock = TtlClock::exact;
    p.violator_hold_s = Distribution::uniform(60, 1200);
    RecursiveResolver r(p, auth, seed, 0);
    residual.add(r.resolve(at(0_s)).ttl.seconds_f());
  }
  // Residual sd about 290 s: standard error 290 / sqrt(4000) = 4.6 s.
  CHECK(residual.mean() == Approx(400.95).margin(15));
}

TEST_CASE("Every resolver preset states its rule", "[dns][preset]") {
  // One table: the first instant each preset no longer serves an answer fetched at 0.3 s with TTL 10
  // (wall clock boundary at t = 0).
  const std::vector<std::pair<const char*, Duration>> gone = {
      {"unbound", 11_s},          {"unbound-1.25", 10_s},        {"bind", 10_s},
      {"dnsmasq", 10_s},          {"systemd-resolved", 10300_ms}, {"coredns", 10300_ms},
      {"coredns-kubernetes", 10300_ms}, {"nodelocaldns", 10300_ms}};
  for (const auto& [name, t] : gone) {
    INFO(name);
    FakeAuthority auth;
    auth.ttl_ = 10_s;
    RecursiveResolver r(preset(name), auth, 1, 0);
    r.resolve(at(300_ms));
    CHECK(r.expires() == at(t));  // (BIND would prefetch a queried entry 2 s earlier)
  }
  CHECK(resolver_preset_names().size() == gone.size() + 1);  // and glibc, which keeps nothing
  CHECK_THROWS_AS(resolver_preset("powerdns-recursor"), ParameterError);
}

TEST_CASE("An empty answer is cached for the negative TTL, capped by the resolver", "[dns][negative]") {
  // The GTM answers nothing (when_all_down: empty) with a SOA minimum of 300 s; unbound keeps a negative
  // answer at most cache-max-negative-ttl 3600 s, NodeLocal DNSCache's CoreDNS at most its 30 s cap.
  FakeAuthority auth;
  auth.empty = true;
  auth.negative_ttl_ = 300_s;
  ResolverParams p = cold();
  RecursiveResolver r(p, auth, 1, 0);
  CHECK(r.resolve(at(0_s)).addresses.empty());
  auth.empty = false;  // the GTM answers again
  CHECK(r.resolve(at(299_s)).addresses.empty());
  CHECK(r.resolve(at(300_s)).addresses.size() == 2);
  FakeAuthority a2;
  a2.empty = true;
  a2.negative_ttl_ = 300_s;
  RecursiveResolver node(preset("nodelocaldns"), a2, 1, 0);
  CHECK(node.resolve(at(0_s)).addresses.empty());
  a2.empty = false;
  CHECK(node.resolve(at(30_s)).addresses.size() == 2);
}
