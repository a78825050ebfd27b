// Client profiles: how an HTTP client picks up a DNS change.
//
// A profile is a few orthogonal knobs: how long the client keeps an answer
// (cache rule), which address it picks (first, round robin, random), whether
// it falls back to the next address on refusal or timeout and how it splits
// its connect budget across addresses, its timeouts, keepalive, and retries.
// The presets are named after real clients; docs/model-reference.md cites the
// source of each setting. Any other client is the same knobs set by hand.
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
#include "drsim/model/dns.hpp"
#include "drsim/model/gtm.hpp"
#include "drsim/model/sources.hpp"

namespace drsim {

enum class DnsCacheRule : std::uint8_t {
  per_connection,  // no cache in process: every new connection looks up (Go, fortio rr/rnd/first)
  honour_ttl,      // keep for the TTL the resolver returned, at least min_hold (Chrome: 60 s)
  fixed,           // keep for a fixed time whatever the TTL (Java 30 s, curl 60 s)
  refresh,         // refreshed on a fixed period whatever the TTL (Envoy STRICT_DNS: 5 s)
  forever,         // resolved once for the life of the process (fortio cached-rr, nginx)
};
constexpr std::array<std::string_view, 5> enum_names(DnsCacheRule) {
  return {"per_connection", "honour_ttl", "fixed", "refresh", "forever"};
}
constexpr std::array<std::string_view, 5> enum_phrases(DnsCacheRule) {
  return {"re-resolves per connection", "honours the TTL", "holds answers a fixed time", "refreshes periodically",
          "resolves once"};
}

enum class AddressChoice : std::uint8_t { first, round_robin, random };
constexpr std::array<std::string_view, 3> enum_names(AddressChoice) { return {"first", "round_robin", "random"}; }
constexpr std::array<std::string_view, 3> enum_phrases(AddressChoice) {
  return {"first address", "round robin", "random address"};
}

enum class ConnectSplit : std::uint8_t {
  whole,  // each attempt may use all of what remains of the connect budget
  go,     // Go's net.Dialer: remaining / addresses left, but at least 2 s (never more than remains)
  even,   // remaining / addresses left
};
constexpr std::array<std::string_view, 3> enum_names(ConnectSplit) { return {"whole", "go", "even"}; }

struct ClientProfile {
  std::string name = "custom";
  DnsCacheRule cache = DnsCacheRule::per_connection;
  Duration hold = Duration::zero();      // fixed / refresh period / honour_ttl minimum
  AddressChoice choice = AddressChoice::first;
  bool fallback_on_refused = false;
  bool fallback_on_timeout = false;
  ConnectSplit split = ConnectSplit::whole;
  Duration connect_timeout = Duration::seconds(3);
  Duration read_timeout = Duration::seconds(3);
  /// Budget of the whole call (connect + read); zero: none. fortio's -timeout covers both.
  Duration total_timeout = Duration::seconds(3);
  bool keepalive = false;
  /// Keep the kept-alive connection after an HTTP error (429, 503, 504): most
  /// clients read the error and reuse the connection; fortio closes it after
  /// any response that is not OK. Socket errors always close it.
  bool keep_on_http_error = false;
  int retries = 0;
  Duration retry_backoff = Duration::milliseconds(25);
  bool retry_on_5xx = false;
};

class UnknownPreset : public ParameterError {
 public:
  using ParameterError::ParameterError;
};

namespace detail {
inline ClientProfile fortio_base(const char* name) {
  ClientProfile p;
  p.name = name;
  // fortio: -timeout 3 s default covers connect and read; -1 on any socket
  // error and no fallback to another address.
  p.connect_timeout = p.read_timeout = p.total_timeout = Duration::seconds(3);
  return p;
}
}  // namespace detail

/// Names of the built-in profiles.
inline std::vector<std::string> client_preset_names() {
  return {"fortio-cached-rr", "fortio-rr", "fortio-rnd", "fortio-first", "go", "java",
          "chrome", "curl", "envoy-strict-dns", "nginx"};
}

inline ClientProfile client_preset(const std::string& name) {
  using detail::fortio_base;
  if (name == "fortio-cached-rr") {
    // fortio >= 1.31 default: first multi-IP answer cached for the process, never refreshed, round robin over it.
    auto p = fortio_base("fortio-cached-rr");
    p.cache = DnsCacheRule::forever;
    p.choice = AddressChoice::round_robin;
    return p;
  }
  if (name == "fortio-rr" || name == "fortio-rnd" || name == "fortio-first") {
    // fortio >= 1.35: a new lookup per new connection.
    auto p = fortio_base(name.c_str());
    p.cache = DnsCacheRule::per_connection;
    p.choice = name == "fortio-rr" ? AddressChoice::round_robin
               : name == "fortio-rnd" ? AddressChoice::random
                                      : AddressChoice::first;
    return p;
  }
  ClientProfile p;
  p.name = name;
  if (name == "go") {
    // Go net/http: no DNS cache in process, addresses in resolver order, next
    // address at once on refusal, dial deadline split remaining/n (>= 2 s).
    p.cache = DnsCacheRule::per_connection;
    p.choice = AddressChoice::first;
    p.fallback_on_refused = p.fallback_on_timeout = true;
    p.split = ConnectSplit::go;
    p.connect_timeout = Duration::seconds(30);  // http.DefaultTransport dialer
    p.read_timeout = Duration::seconds(30);
    p.total_timeout = Duration::zero();
    p.keepalive = true;
    p.keep_on_http_error = true;  // an HTTP error is a complete response: the connection stays usable
    return p;
  }
  if (name == "java") {
    // networkaddress.cache.ttl 30 s; first address; fallback depends on the library (off here).
    p.cache = DnsCacheRule::fixed;
    p.hold = Duration::seconds(30);
    p.choice = AddressChoice::first;
    p.connect_timeout = Duration::seconds(10);  // assumption: a typical explicit client setting
    p.read_timeout = Duration::seconds(10);
    p.total_timeout = Duration::zero();
    p.keepalive = true;
    p.keep_on_http_error = true;  // an HTTP error is a complete response: the connection stays usable
    return p;
  }
  if (name == "chrome") {
    // Chrome's own DNS client: TTL honoured but at least 60 s; next address on failure.
    p.cache = DnsCacheRule::honour_ttl;
    p.hold = Duration::seconds(60);
    p.choice = AddressChoice::first;
    p.fallback_on_refused = p.fallback_on_timeout = true;
    p.split = ConnectSplit::whole;
    p.connect_timeout = Duration::seconds(20);  // assumption
    p.read_timeout = Duration::seconds(60);
    p.total_timeout = Duration::zero();
    p.keepalive = true;
    p.keep_on_http_error = true;  // an HTTP error is a complete response: the connection stays usable
    return p;
  }
  if (name == "curl") {
    // libcurl: 60 s DNS cache in process, ignoring the TTL; next address on failure.
    p.cache = DnsCacheRule::fixed;
    p.hold = Duration::seconds(60);
    p.choice = AddressChoice::first;
    p.fallback_on_refused = p.fallback_on_timeout = true;
    p.split = ConnectSplit::even;
    p.connect_timeout = Duration::seconds(300);  // CURLOPT_CONNECTTIMEOUT default
    p.read_timeout = Duration::seconds(300);
    p.total_timeout = Duration::zero();
    p.keepalive = false;
    p.keep_on_http_error = true;  // an HTTP error is a complete response: the connection stays usable
    return p;
  }
  if (name == "envoy-strict-dns") {
    // STRICT_DNS cluster: re-resolved every dns_refresh_rate (5 s), TTL
    // ignored by default; every address a host, balanced round robin.
    p.cache = DnsCacheRule::refresh;
    p.hold = Duration::seconds(5);
    p.choice = AddressChoice::round_robin;
    p.connect_timeout = Duration::seconds(5);  // cluster connect_timeout default
    p.read_timeout = Duration::seconds(15);    // route timeout default
    p.total_timeout = Duration::seconds(15);
    // Envoy picks a host per request; modelled without connection reuse so
    // the per-request round robin over hosts is kept.
    p.keepalive = false;
    p.keep_on_http_error = true;  // an HTTP error is a complete response: the connection stays usable
    return p;
  }
  if (name == "nginx") {
    // proxy_pass with a hostname: resolved once at start or reload; round
    // robin over the addresses; proxy_next_upstream "error timeout".
    p.cache = DnsCacheRule::forever;
    p.choice = AddressChoice::round_robin;
    p.fallback_on_refused = p.fallback_on_timeout = true;
    p.split = ConnectSplit::whole;
    p.connect_timeout = Duration::seconds(60);  // proxy_connect_timeout
    p.read_timeout = Duration::seconds(60);     // proxy_read_timeout
    p.total_timeout = Duration::zero();
    p.keepalive = false;
    p.keep_on_http_error = true;  // an HTTP error is a complete response: the connection stays usable
    return p;
  }
  std::string known;
  for (const auto& n : client_preset_names()) known += (known.empty() ? "" : ", ") + n;
  throw UnknownPreset("unknown client profile \"" + name + "\" (known: " + known + ")");
}

template <>
inline const FieldTable& fields_of<ClientProfile>() {
  static const FieldTable table = FieldTable::build<ClientProfile>("client profile", [](auto& t) {
    using P = ClientProfile;
    t.means("How an HTTP client picks up a DNS change: its cache, address choice, fallback, timeouts and retries")
        .presets(client_preset_names(),
                 [](P& p, const std::string& name, bool whole) {
                   p = client_preset(name);
                   if (!whole) p.name = name + " (modified)";
                 },
                 true,
                 {std::string(kSourceFortioDnsMethods) + " (cached-rr, the default since 1.31: the first answer of "
                                                         "more than one address kept for the process)",
                  std::string(kSourceFortioDnsMethods) + "; fortio/fortio:fhttp/http_client.go@v1.75.2 (a lookup "
                                                         "per new connection since 1.35)",
                  std::string(kSourceFortioDnsMethods) + " (rnd)", std::string(kSourceFortioDnsMethods) + " (first)",
                  std::string(kSourceGoPartialDeadline) + "; golang/go:src/net/http/transport.go (DefaultTransport: "
                                                          "30 s dial timeout; its read timeout of 30 s is an assumption)",
                  "openjdk/jdk:src/java.base/share/classes/sun/net/InetAddressCachePolicy.java (30 s); timeouts "
                  "and fallback are assumptions (they depend on the HTTP library)",
                  "chromium/src:net/dns/host_resolver_manager.cc (60 s minimum TTL); its 20 s connect and 60 s read "
                  "timeouts are assumptions (Chromium's connect job allows 240 s)",
                  "curl/curl:docs/libcurl/opts/CURLOPT_DNS_CACHE_TIMEOUT.md@curl-8_21_0 (60 s); "
                  "curl/curl:lib/connect.h@curl-8_21_0 (300 s connect); the even split and the 300 s read timeout "
                  "are assumptions (curl 8 races addresses 200 ms apart)",
                  "envoyproxy/envoy:api/envoy/config/cluster/v3/cluster.proto (dns_refresh_rate 5 s, connect_timeout "
                  "5 s); api/envoy/config/route/v3/route_components.proto (route timeout 15 s)",
                  "https://nginx.org/en/docs/http/ngx_http_proxy_module.html (resolved at load; proxy_connect_timeout "
                  "and proxy_read_timeout 60 s, each attempt its own; proxy_next_upstream error timeout)"});
    t.add("name", &P::name).means("shown in the result's assumptions")
        .default_is("\"custom\", or \"<preset> (modified)\"").source_is("drsim convention");
    t.add("dns_cache", &P::cache)
        .means("when the client asks its resolver again: every new connection; after the resolver's remaining TTL but "
               "at least dns_hold; after dns_hold; on a dns_hold grid with a random phase; never (the object's "
               "defaults are fortio's -dns-method first, not its default cached-rr)")
        .source_is(kSourceFortioDnsMethods);
    t.add("dns_hold", &P::hold).in_unit("s").means("see dns_cache (> 0 for fixed and refresh)")
        .source_is(kSourceFortioDnsMethods);
    t.add("choice", &P::choice).means("which address of the cached list a connection tries first")
        .source_is(kSourceFortioDnsMethods);
    t.add("fallback_on_refused", &P::fallback_on_refused).means("try the next address after a refusal")
        .source_is(kSourceFortioDnsMethods);
    t.add("fallback_on_timeout", &P::fallback_on_timeout).means("try the next address after a connect timeout")
        .source_is(kSourceFortioDnsMethods);
    t.add("connect_split", &P::split)
        .means("each attempt's share of the connect budget: all that remains; remaining / addresses left but at least "
               "2 s (Go's partialDeadline); remaining / addresses left")
        .source_is(kSourceGoPartialDeadline);
    t.add("connect_timeout", &P::connect_timeout).positive().in_unit("s").means("connect budget over all attempts")
        .source_is(kSourceFortioTimeout);
    t.add("read_timeout", &P::read_timeout).positive().in_unit("s").means("from connected to the response")
        .source_is(kSourceFortioTimeout);
    t.add("timeout", &P::total_timeout).in_unit("s")
        .means("budget of the whole call, retries included; 0s: none (fortio has no whole-call budget: its 3 s apply to "
               "the connect and again to the reply)")
        .source_is(kSourceFortioTimeout);
    t.add("keepalive", &P::keepalive)
        .means("reuse the connection; any failure closes it (fortio's own default is on; off matches the drill's "
               "-keepalive=False)")
        .source_is(kSourceFortioFlags);
    t.add("keep_on_http_error", &P::keep_on_http_error)
        .means("a kept-alive connection survives an HTTP error (429, 503, 504); false: any response that is not OK "
               "closes it, as fortio does")
        .source_is(kSourceFortioKeepalive);
    t.add("retries", &P::retries).range(0, 100).in_unit("retries")
        .means("retries after a failure (never after 429; after 503/504 only with retry_on_5xx)").source_is("assumption");
    t.add("retry_backoff", &P::retry_backoff).in_unit("s")
        .means("wait before retry n (0-based): retry_backoff x 2^n").source_is("assumption");
    t.add("retry_on_5xx", &P::retry_on_5xx).means("retry 503 and 504 too").source_is("assumption");
  });
  return table;
}

/// One client's DNS cache and address-choice state.
struct ClientDnsState {
  AddressList cached;
  TimePoint expires;
  bool valid = false;
  std::uint64_t rr_counter = 0;
  Duration refresh_phase;  // refresh rule: when in the period the refresh happens
};

/// Whether the client must ask its resolver before the next connection.
inline bool needs_lookup(const ClientProfile& p, const ClientDnsState& s, TimePoint now) {
  switch (p.cache) {
    case DnsCacheRule::per_connection: return true;
    case DnsCacheRule::forever: return !s.valid;
    default: return !s.valid || now >= s.expires;
  }
}

/// Stores a resolution in the client cache according to the profile.
inline void store_resolution(const ClientProfile& p, ClientDnsState& s, const Resolution& r, TimePoint now) {
  s.cached = r.addresses;
  s.valid = r.ok && !r.addresses.empty();
  switch (p.cache) {
    case DnsCacheRule::per_connection: s.expires = now; break;
    case DnsCacheRule::honour_ttl: s.expires = now + std::max(r.ttl, p.hold); break;
    case DnsCacheRule::fixed: s.expires = now + p.hold; break;
    case DnsCacheRule::refresh: {
      // Next point of the refresh grid (phase + k * period) after now.
      const std::int64_t period = std::max<std::int64_t>(1, p.hold.ns());
      const std::int64_t since = now.ns() - s.refresh_phase.ns();
      const std::int64_t k = since < 0 ? 0 : since / period + 1;
      s.expires = TimePoint::from_ns(s.refresh_phase.ns() + k * period);
      break;
    }
    case DnsCacheRule::forever: s.expires = TimePoint::max(); break;
  }
}

/// The addresses to try, in order: the chosen one first, then (for fallback)
/// the rest in list order after it.
inline AddressList candidates(const ClientProfile& p, ClientDnsState& s, const AddressList& list, RandomStream& rng) {
  if (list.n == 0) return list;
  std::size_t start = 0;
  switch (p.choice) {
    case AddressChoice::first: start = 0; break;
    case AddressChoice::round_robin: start = static_cast<std::size_t>(s.rr_counter++ % list.n); break;
    case AddressChoice::random: start = static_cast<std::size_t>(rng.below(list.n)); break;
  }
  return list.rotated(start);
}

/// Time allowed for the connect attempt to the next address.
inline Duration attempt_timeout(const ClientProfile& p, Duration remaining, std::size_t addresses_left) {
  if (remaining <= Duration::zero()) return Duration::zero();
  const auto n = static_cast<std::int64_t>(std::max<std::size_t>(1, addresses_left));
  switch (p.split) {
    case ConnectSplit::whole: return remaining;
    case ConnectSplit::even: return remaining / n;
    case ConnectSplit::go: {
      // net.Dialer partialDeadline: remaining / n, raised to 2 s, capped by what remains.
      Duration share = remaining / n;
      const Duration sane_min = Duration::seconds(2);
      if (share < sane_min) share = std::min(sane_min, remaining);
      return share;
    }
  }
  return remaining;
}

}  // namespace drsim
