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

/// How a client spends its connect time over the addresses of an answer.
enum class ConnectSplit : std::uint8_t {
  whole,            // one budget: each attempt may use all that remains of it (Chromium's connect job)
  per_address,      // each address gets the full connect_timeout, however many there are (Python, nginx)
  split_remaining,  // remaining / addresses left, at least 2 s, never more than remains (Go's partialDeadline)
  halve,            // each address but the last gets half of what remains (curl up to 8.15)
  race,             // the next address starts attempt_delay after the previous one while it is pending (curl >= 8.16)
  attempt_limit,    // each address but the last is abandoned after attempt_delay (Node's autoSelectFamily)
};
constexpr std::array<std::string_view, 6> enum_names(ConnectSplit) {
  return {"whole", "per_address", "split_remaining", "halve", "race", "attempt_limit"};
}

/// A connect attempt with no timeout of its own ends when the kernel gives
/// up on the SYN: Linux, tcp_syn_retries 6.
inline constexpr Duration kOsConnectLimit = Duration::nanoseconds(127LL * 1000000000);
/// A kept-alive connection that goes silent, with no read timeout: Linux
/// gives up after tcp_retries2 15 retransmissions, about 924.6 s.
inline constexpr Duration kOsRetransmitLimit = Duration::nanoseconds(924600LL * 1000000);

struct ClientProfile {
  std::string name = "custom";
  DnsCacheRule cache = DnsCacheRule::per_connection;
  Duration hold = Duration::zero();      // fixed / refresh period / honour_ttl minimum
  /// false: an answer with a single address is not kept (fortio's cached-rr caches only lists of several).
  bool cache_single = true;
  AddressChoice choice = AddressChoice::first;
  bool fallback_on_refused = false;
  bool fallback_on_timeout = false;
  ConnectSplit split = ConnectSplit::whole;
  Duration attempt_delay = Duration::milliseconds(200);  // race / attempt_limit
  Duration connect_timeout = Duration::seconds(3);
  Duration read_timeout = Duration::seconds(3);          // zero: none
  /// Budget of the whole call (connect + read); zero: none.
  Duration total_timeout = Duration::zero();
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
  // fortio: -timeout 3 s for the connect, then a new 3 s deadline for the
  // reply (no budget for the whole call); -1 on any socket error and no
  // fallback to another address.
  p.connect_timeout = p.read_timeout = Duration::seconds(3);
  p.total_timeout = Duration::zero();
  return p;
}
/// A client that tries every address in turn after any failure, with no
/// timeouts of its own (the kernel's connect limit, no read timeout).
inline ClientProfile falls_back(const std::string& name, ConnectSplit split) {
  ClientProfile p;
  p.name = name;
  p.cache = DnsCacheRule::per_connection;
  p.choice = AddressChoice::first;
  p.fallback_on_refused = p.fallback_on_timeout = true;
  p.split = split;
  p.connect_timeout = kOsConnectLimit;
  p.read_timeout = Duration::zero();
  p.total_timeout = Duration::zero();
  p.keep_on_http_error = true;  // an HTTP error is a complete response: the connection stays usable
  return p;
}
}  // namespace detail

/// Names of the built-in profiles.
inline std::vector<std::string> client_preset_names() {
  return {"fortio-cached-rr", "fortio-rr", "fortio-rnd",        "fortio-first",      "go",
          "java",             "chrome",    "curl",              "curl-8.16",         "python",
          "node",             "envoy-strict-dns", "envoy-logical-dns", "nginx"};
}

inline ClientProfile client_preset(const std::string& name) {
  using detail::fortio_base;
  if (name == "fortio-cached-rr") {
    // fortio >= 1.31 default: first multi-IP answer cached for the process, never refreshed, round robin over it.
    auto p = fortio_base("fortio-cached-rr");
    p.cache = DnsCacheRule::forever;
    p.cache_single = false;  // checkCache: only answers of more than one address are kept
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
  if (name == "go") {
    // Go net/http: no DNS cache in process, addresses in resolver order, next
    // address at once on refusal, dial deadline split remaining/n (>= 2 s);
    // no read timeout unless the program sets one.
    auto p = detail::falls_back(name, ConnectSplit::split_remaining);
    p.connect_timeout = Duration::seconds(30);  // http.DefaultTransport dialer
    p.keepalive = true;
    p.keep_on_http_error = true;  // an HTTP error is a complete response: the connection stays usable
    return p;
  }
  if (name == "python") {
    // socket.create_connection (urllib, requests): getaddrinfo per
    // connection, each address in turn with the full timeout; none by default.
    return detail::falls_back(name, ConnectSplit::per_address);
  }
  if (name == "node") {
    // dns.lookup (getaddrinfo, no cache) and autoSelectFamily: each address but the last abandoned after 250 ms.
    auto p = detail::falls_back(name, ConnectSplit::attempt_limit);
    p.attempt_delay = Duration::milliseconds(250);
    p.keepalive = true;  // http.globalAgent keeps connections alive since Node 19
    return p;
  }
  if (name == "curl" || name == "curl-8.16") {
    // libcurl: 60 s DNS cache in process, ignoring the TTL; next address on
    // failure, halving the time left (<= 8.15) or racing 200 ms apart (>= 8.16).
    auto p = detail::falls_back(name, name == "curl" ? ConnectSplit::halve : ConnectSplit::race);
    p.cache = DnsCacheRule::fixed;
    p.hold = Duration::seconds(60);
    p.connect_timeout = Duration::seconds(300);  // CURLOPT_CONNECTTIMEOUT default
    return p;
  }
  ClientProfile p;
  p.name = name;
  if (name == "java") {
    // networkaddress.cache.ttl 30 s; HttpURLConnection connects to the first address only; no timeouts by default.
    p.cache = DnsCacheRule::fixed;
    p.hold = Duration::seconds(30);
    p.choice = AddressChoice::first;
    p.split = ConnectSplit::per_address;
    p.connect_timeout = kOsConnectLimit;
    p.read_timeout = Duration::zero();
    p.total_timeout = Duration::zero();
    p.keepalive = true;
    p.keep_on_http_error = true;  // an HTTP error is a complete response: the connection stays usable
    return p;
  }
  if (name == "chrome") {
    // Chrome's own DNS client: TTL honoured but at least 60 s; next address on failure within one connect job.
    p.cache = DnsCacheRule::honour_ttl;
    p.hold = Duration::seconds(60);
    p.choice = AddressChoice::first;
    p.fallback_on_refused = p.fallback_on_timeout = true;
    p.split = ConnectSplit::whole;
    p.connect_timeout = Duration::seconds(240);  // kTransportConnectJobTimeoutInSeconds
    p.read_timeout = Duration::seconds(60);
    p.total_timeout = Duration::zero();
    p.keepalive = true;
    p.keep_on_http_error = true;  // an HTTP error is a complete response: the connection stays usable
    return p;
  }
  if (name == "envoy-strict-dns" || name == "envoy-logical-dns") {
    // STRICT_DNS: re-resolved every dns_refresh_rate (5 s), TTL ignored by
    // default, every address a host balanced round robin. LOGICAL_DNS: the
    // first address of each refresh takes the new connections.
    p.cache = DnsCacheRule::refresh;
    p.hold = Duration::seconds(5);
    p.choice = name == "envoy-strict-dns" ? AddressChoice::round_robin : AddressChoice::first;
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
    // robin over the addresses; proxy_next_upstream "error timeout", each
    // attempt with its own proxy_connect_timeout.
    p.cache = DnsCacheRule::forever;
    p.choice = AddressChoice::round_robin;
    p.fallback_on_refused = p.fallback_on_timeout = true;
    p.split = ConnectSplit::per_address;
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
                  std::string("split_remaining; ") + kSourceGoPartialDeadline +
                      "; golang/go:src/net/http/transport.go (DefaultTransport: 30 s dial timeout, no response "
                      "timeout)",
                  "per_address, one address: openjdk/jdk:src/java.base/share/classes/sun/net/NetworkClient.java "
                  "(doConnect: the first resolved address; connect and read timeouts -1, none, so the kernel's "
                  "127 s); openjdk/jdk:src/java.base/share/classes/sun/net/InetAddressCachePolicy.java (30 s)",
                  "whole; chromium/src:net/dns/host_resolver_manager.cc (60 s minimum TTL); "
                  "chromium/src:net/socket/transport_connect_job.cc (kTransportConnectJobTimeoutInSeconds 240, one "
                  "timer for every address); its 60 s read timeout is an assumption",
                  std::string("halve: ") + kSourceCurlHalving + "; curl/curl:lib/connect.h@curl-8_21_0 (300 s "
                      "connect); curl/curl:docs/libcurl/opts/CURLOPT_DNS_CACHE_TIMEOUT.md@curl-8_21_0 (60 s); "
                      "CURLOPT_TIMEOUT (-m) 0: no transfer limit unless set",
                  std::string("race: ") + kSourceCurlRace + "; otherwise as curl",
                  std::string("per_address: ") + kSourcePythonCreateConnection + " (socket timeout None: the "
                      "kernel's limit, " + kSourceLinuxSynRetries + ")",
                  std::string("attempt_limit: ") + kSourceNodeAutoSelectFamily +
                      "; dns.lookup is getaddrinfo, no cache; https://nodejs.org/api/http.html (globalAgent keepAlive "
                      "since 19.0.0)",
                  std::string(kSourceEnvoyClusterDns) +
                      "; api/envoy/config/route/v3/route_components.proto (route timeout 15 s)",
                  std::string(kSourceEnvoyClusterDns) + " (LOGICAL_DNS: new connections go to the first address of "
                      "the latest resolution)",
                  "per_address: https://nginx.org/en/docs/http/ngx_http_proxy_module.html (resolved at load; "
                  "proxy_connect_timeout and proxy_read_timeout 60 s, each attempt its own; proxy_next_upstream "
                  "error timeout)"});
    t.add("name", &P::name).means("shown in the result's assumptions")
        .default_is("\"custom\", or \"<preset> (modified)\"").source_is("drsim convention");
    t.add("dns_cache", &P::cache)
        .means("when the client asks its resolver again: every new connection; after the resolver's remaining TTL but "
               "at least dns_hold; after dns_hold; on a dns_hold grid with a random phase; never (the object's "
               "defaults are fortio's -dns-method first, not its default cached-rr)")
        .source_is(kSourceFortioDnsMethods);
    t.add("dns_hold", &P::hold).in_unit("s").means("see dns_cache (> 0 for fixed and refresh)")
        .source_is(kSourceFortioDnsMethods);
    t.add("cache_single", &P::cache_single)
        .means("keep an answer of one address too; false: only lists of several are kept, a single address is "
               "looked up again per connection (fortio's cached-rr)")
        .source_is(kSourceFortioDnsMethods);
    t.add("choice", &P::choice).means("which address of the cached list a connection tries first")
        .source_is(kSourceFortioDnsMethods);
    t.add("fallback_on_refused", &P::fallback_on_refused).means("try the next address after a refusal")
        .source_is(kSourceFortioDnsMethods);
    t.add("fallback_on_timeout", &P::fallback_on_timeout).means("try the next address after a connect timeout")
        .source_is(kSourceFortioDnsMethods);
    t.add("connect_split", &P::split)
        .means("how the connect time is spent over the addresses: whole (one budget, an attempt may use all that "
               "remains); per_address (each address the full connect_timeout); split_remaining (remaining / addresses "
               "left, at least 2 s); halve (each but the last half of what remains); race (the next address "
               "attempt_delay after the previous while it is pending; a pending attempt that would connect still "
               "wins); attempt_limit (each but the last abandoned after attempt_delay)")
        .source_is(std::string(kSourceGoPartialDeadline) + "; " + kSourceCurlHalving);
    t.add("attempt_delay", &P::attempt_delay).positive().in_unit("s")
        .means("race and attempt_limit: when the next address starts (curl CURLOPT_HAPPY_EYEBALLS_TIMEOUT_MS 200 ms, "
               "Node autoSelectFamilyAttemptTimeout 250 ms)")
        .source_is(kSourceCurlRace);
    t.add("connect_timeout", &P::connect_timeout).positive().in_unit("s")
        .means("connect budget: over all attempts, or per attempt with per_address (curl --connect-timeout; a client "
               "with none has the kernel's 127 s)")
        .source_is(kSourceFortioTimeout);
    t.add("read_timeout", &P::read_timeout).in_unit("s")
        .means("from connected to the response; 0s: none (a silent kept-alive connection then ends after the "
               "kernel's 924.6 s of retransmissions)")
        .source_is(kSourceFortioTimeout);
    t.add("timeout", &P::total_timeout).in_unit("s")
        .means("budget of the whole call, retries included, which also bounds the connect phase (curl -m); 0s: none "
               "(fortio has no whole-call budget: its 3 s apply to the connect and again to the reply)")
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
  s.valid = r.ok && !r.addresses.empty() && (p.cache_single || r.addresses.size() > 1);
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

/// Time allowed for the connect attempt to the next address, given what
/// remains of the connect budget (with per_address: of this attempt's own),
/// at most the kernel's limit.
inline Duration attempt_timeout(const ClientProfile& p, Duration remaining, std::size_t addresses_left) {
  if (remaining <= Duration::zero()) return Duration::zero();
  const auto n = static_cast<std::int64_t>(std::max<std::size_t>(1, addresses_left));
  Duration share = remaining;
  switch (p.split) {
    case ConnectSplit::whole:
    case ConnectSplit::per_address: break;
    case ConnectSplit::split_remaining:
      // net.Dialer partialDeadline: remaining / n, raised to 2 s, capped by what remains.
      share = remaining / n;
      if (share < Duration::seconds(2)) share = std::min(Duration::seconds(2), remaining);
      break;
    case ConnectSplit::halve: share = n > 1 ? remaining / 2 : remaining; break;
    case ConnectSplit::race:
    case ConnectSplit::attempt_limit: share = n > 1 ? std::min(p.attempt_delay, remaining) : remaining; break;
  }
  // Whatever the client allows, the kernel abandons a SYN nobody answers after kOsConnectLimit.
  return std::min(share, kOsConnectLimit);
}

}  // namespace drsim
