#include <catch2/catch.hpp>

#include "drsim/model/client.hpp"

using namespace drsim;
using namespace drsim::literals;

namespace {
TimePoint at(Duration d) { return TimePoint::start() + d; }
Resolution answer(std::initializer_list<std::uint16_t> a, Duration ttl) {
  Resolution r;
  for (auto x : a) r.addresses.push(x);
  r.ttl = ttl;
  return r;
}
}  // namespace

TEST_CASE("Every preset is a named set of knobs", "[client]") {
  for (const auto& name : client_preset_names()) CHECK(client_preset(name).name == name);
  CHECK_THROWS_WITH(client_preset("netscape"), Catch::Contains("unknown client profile") && Catch::Contains("fortio-cached-rr"));
}

TEST_CASE("Cache lifetime rules decide when a client asks its resolver again", "[client]") {
  ClientDnsState s;
  SECTION("Java holds its answer 30 s whatever the TTL") {
    auto p = client_preset("java");
    store_resolution(p, s, answer({0, 1}, 5_s), at(10_s));
    CHECK_FALSE(needs_lookup(p, s, at(39_s)));
    CHECK(needs_lookup(p, s, at(40_s)));
  }
  SECTION("curl holds 60 s") {
    auto p = client_preset("curl");
    store_resolution(p, s, answer({0, 1}, 600_s), at(0_s));
    CHECK_FALSE(needs_lookup(p, s, at(59_s)));
    CHECK(needs_lookup(p, s, at(60_s)));
  }
  SECTION("Chrome honours the TTL but at least 60 s") {
    auto p = client_preset("chrome");
    store_resolution(p, s, answer({0, 1}, 20_s), at(0_s));
    CHECK_FALSE(needs_lookup(p, s, at(59_s)));
    store_resolution(p, s, answer({0, 1}, 300_s), at(0_s));
    CHECK_FALSE(needs_lookup(p, s, at(299_s)));
    CHECK(needs_lookup(p, s, at(300_s)));
  }
  SECTION("nginx and fortio cached-rr never re-resolve") {
    for (const char* n : {"nginx", "fortio-cached-rr"}) {
      auto p = client_preset(n);
      store_resolution(p, s, answer({0, 1}, 1_s), at(0_s));
      CHECK_FALSE(needs_lookup(p, s, at(Duration::seconds(86400 * 365))));
    }
  }
  SECTION("Go and fortio rr/rnd/first look up for every connection") {
    for (const char* n : {"go", "fortio-rr", "fortio-rnd", "fortio-first"}) {
      auto p = client_preset(n);
      store_resolution(p, s, answer({0, 1}, 60_s), at(0_s));
      CHECK(needs_lookup(p, s, at(1_ms)));
    }
  }
  SECTION("Envoy STRICT_DNS refreshes on its 5 s grid") {
    auto p = client_preset("envoy-strict-dns");
    s.refresh_phase = 2_s;
    store_resolution(p, s, answer({0, 1}, 600_s), at(3_s));
    CHECK(s.expires == at(7_s));
    store_resolution(p, s, answer({0, 1}, 600_s), at(7_s));
    CHECK(s.expires == at(12_s));
  }
}

TEST_CASE("Address choice: first, round robin, random", "[client]") {
  AddressList list;
  list.push(0);
  list.push(1);
  RandomStream rng(1, "choice");
  ClientDnsState s;
  auto p = client_preset("fortio-first");
  CHECK(candidates(p, s, list, rng)[0] == 0);
  CHECK(candidates(p, s, list, rng)[0] == 0);
  p = client_preset("fortio-cached-rr");
  CHECK(candidates(p, s, list, rng)[0] == 0);
  CHECK(candidates(p, s, list, rng)[0] == 1);
  CHECK(candidates(p, s, list, rng)[0] == 0);
  CHECK(candidates(p, s, list, rng)[1] == 0);  // the fallback order continues after the chosen one
  p = client_preset("fortio-rnd");
  int zeros = 0;
  for (int i = 0; i < 1000; ++i) zeros += candidates(p, s, list, rng)[0] == 0;
  CHECK(zeros > 400);
  CHECK(zeros < 600);
}

TEST_CASE("Connect budgets split across addresses as each client does", "[client]") {
  auto go = client_preset("go");
  // Go: remaining / n, at least 2 s, never more than remains.
  CHECK(attempt_timeout(go, 30_s, 2) == 15_s);
  CHECK(attempt_timeout(go, 3_s, 2) == 2_s);
  CHECK(attempt_timeout(go, 2_s, 2) == 2_s);  // the whole 2 s budget to the first: none left for the second
  CHECK(attempt_timeout(go, 1_s, 2) == 1_s);
  auto fortio = client_preset("fortio-first");
  CHECK(attempt_timeout(fortio, 3_s, 2) == 3_s);
  // curl up to 8.15 (lib/connect.c): each address but the last gets half of what is left.
  auto curl = client_preset("curl");
  CHECK(attempt_timeout(curl, 10_s, 2) == 5_s);
  CHECK(attempt_timeout(curl, 10_s, 3) == 5_s);
  CHECK(attempt_timeout(curl, 5_s, 1) == 5_s);      // the last address: all that is left
  CHECK(attempt_timeout(curl, 300_s, 2) == 127_s);  // 150 s allowed; the kernel gives up on a SYN at 127 s
  // curl >= 8.16 and Node: the next address after 200 ms / 250 ms.
  CHECK(attempt_timeout(client_preset("curl-8.16"), 300_s, 2) == 200_ms);
  CHECK(attempt_timeout(client_preset("node"), 127_s, 2) == 250_ms);
  CHECK(attempt_timeout(client_preset("node"), 127_s, 1) == 127_s);
  // Python and nginx: each attempt its own full timeout (the caller passes that attempt's budget).
  CHECK(attempt_timeout(client_preset("nginx"), 60_s, 2) == 60_s);
  CHECK(attempt_timeout(client_preset("python"), 127_s, 5) == 127_s);
}

TEST_CASE("fortio's cached-rr keeps only answers of several addresses", "[client]") {
  // fnet/network.go checkCache: the cache is filled only when the answer has more than one address.
  ClientDnsState s;
  auto p = client_preset("fortio-cached-rr");
  store_resolution(p, s, answer({0}, 60_s), at(0_s));
  CHECK(needs_lookup(p, s, at(1_ms)));   // one address: looked up again on the next connection
  store_resolution(p, s, answer({0, 1}, 60_s), at(1_s));
  CHECK_FALSE(needs_lookup(p, s, at(Duration::seconds(86400))));  // two: kept for the process
}
