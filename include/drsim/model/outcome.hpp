// How a request ends: exactly once, as ok or a named cause, with the code a
// load tester (fortio) would print for it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace drsim {

enum class Cause : std::uint8_t {
  ok,
  connect_refused,   // TCP RST on connect (deleted gateway behind kube-proxy, refusing LB)
  connect_timeout,   // no answer to SYN within the connect budget (black hole, region down)
  read_timeout,      // connected, no complete response before the deadline
  connection_reset,  // a kept-alive connection broken by the failure
  dns_failure,       // no address: resolver SERVFAIL, empty answer
  http_429,          // rate limited (Envoy local_ratelimit, RL)
  http_503,          // overflow (UO), no healthy upstream (UH), gray failure error
  http_504,          // upstream timeout (UT)
  // The app's 503s by kind, named only in models with a mesh section (else http_503).
  no_healthy_upstream,       // a proxy had no host left (UH)
  upstream_connect_failure,  // a proxy could not connect, or was reset before headers (UF, UC)
  upstream_overflow,         // a callee's pending queue was full (UO)
};

inline constexpr std::size_t kCauseCount = 12;
/// The causes before the mesh's 503 kinds: what models without a mesh section report.
inline constexpr std::size_t kBasicCauseCount = 9;

inline constexpr std::array<std::string_view, kCauseCount> kCauseNames = {
    "ok", "connect_refused", "connect_timeout", "read_timeout", "connection_reset",
    "dns_failure", "http_429", "http_503", "http_504", "no_healthy_upstream", "upstream_connect_failure",
    "upstream_overflow"};

/// When each cause happens, for the model reference.
inline constexpr std::array<std::string_view, kCauseCount> kCauseMeanings = {
    "a response within the deadlines",
    "the balancer refuses (deleted gateway behind kube-proxy, or `when_no_backend: refuse`) and no fallback follows",
    "the connect is dropped (black hole, region outage, `when_no_backend: drop`, no path) or takes longer than the "
    "attempt's budget",
    "connected, no complete response before min(deadline, connected + read_timeout); also a kept-alive connection "
    "whose balancer now drops",
    "a kept-alive connection to a balancer that now refuses, or a request reaching a gateway Deployment just deleted",
    "no address: SERVFAIL (GTM unreachable, nothing stale) or an empty answer",
    "the pod's local rate limit",
    "the pod's pending queue is full (UO), no ready pod, a failed call of the app (UF), or a gray-failure error",
    "not produced by the current model",
    "mesh section only: a calling proxy found no host (every endpoint ejected or removed, panic off): 503 UH",
    "mesh section only: a calling proxy could not connect (refused, connect timeout, east-west gateway reset, "
    "callee lost with its cluster) on its last try: 503 UF/UC",
    "mesh section only: a callee's pending queue was full: 503 UO"};

inline constexpr std::string_view cause_name(Cause c) { return kCauseNames[static_cast<std::size_t>(c)]; }

/// fortio's RetCodes key: -1 for any socket-level error (fortio counts
/// refused, connect and read timeouts, EOF and DNS errors all as -1), else the
/// HTTP status.
inline constexpr int fortio_code(Cause c) {
  switch (c) {
    case Cause::ok: return 200;
    case Cause::http_429: return 429;
    case Cause::http_503:
    case Cause::no_healthy_upstream:
    case Cause::upstream_connect_failure:
    case Cause::upstream_overflow: return 503;
    case Cause::http_504: return 504;
    default: return -1;
  }
}

inline constexpr bool is_failure(Cause c) { return c != Cause::ok; }

}  // namespace drsim
