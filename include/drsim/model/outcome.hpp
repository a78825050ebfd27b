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
};

inline constexpr std::size_t kCauseCount = 9;

inline constexpr std::array<std::string_view, kCauseCount> kCauseNames = {
    "ok", "connect_refused", "connect_timeout", "read_timeout", "connection_reset",
    "dns_failure", "http_429", "http_503", "http_504"};

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
    "not produced by the current model"};

inline constexpr std::string_view cause_name(Cause c) { return kCauseNames[static_cast<std::size_t>(c)]; }

/// fortio's RetCodes key: -1 for any socket-level error (fortio counts
/// refused, connect and read timeouts, EOF and DNS errors all as -1), else the
/// HTTP status.
inline constexpr int fortio_code(Cause c) {
  switch (c) {
    case Cause::ok: return 200;
    case Cause::http_429: return 429;
    case Cause::http_503: return 503;
    case Cause::http_504: return 504;
    default: return -1;
  }
}

inline constexpr bool is_failure(Cause c) { return c != Cause::ok; }

}  // namespace drsim
