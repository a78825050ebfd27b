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
  bool reachable = true;
  bool single = false;
  int queries = 0;
  std::optional<AddressList> query(RandomStream&) override {
    if (!reachable) return std::nullopt;
    ++queries;
    AddressList a;
    a.push(0);
    if (!single) a.push(1);
    return a;
  }
  Duration ttl() const override { return ttl_; }
};
TimePoint at(Duration d) { return TimePoint::start() + d; }
/// A resolver whose cache starts empty, so the first query fetches.
ResolverParams cold() {
  ResolverParams p;
  p.warm = false;
  return p;
}
}  // namespace

TEST_CASE("A warm resolver starts with the record cached at a random age", "[dns]") {
  FakeAuthority auth;
  RunningStats first_ttl;
  for (std::uint64_t seed = 0; seed < 2000; ++seed) {
    RecursiveResolver r(ResolverParams{}, auth, seed, 0);
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
    RecursiveResolver r(cold(), auth, 1, 0);
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
  CHECK(stale.ttl == 30_s);  // unbound's serve-expired reply TTL
  CHECK(r.stale_served() == 1);

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
