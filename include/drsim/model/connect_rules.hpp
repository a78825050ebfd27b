// One connect attempt by a client's rules, shared by the request path
// (FailoverModel::attempt / connect_failed) and the aggregated populations
// (AggregatedClients::attempts): how long the attempt may take, whether it
// connects, how and when it fails, and until when a failure may fall back.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>

#include "drsim/core/time.hpp"
#include "drsim/model/client.hpp"
#include "drsim/model/load_balancer.hpp"
#include "drsim/model/outcome.hpp"

namespace drsim {

struct ConnectAttempt {
  TimePoint limit;  // until when it may try: the call's deadline and the connect budget
  Duration budget;  // what this attempt gets of it (attempt_timeout)
  bool wins = false;  // connected, one RTT after it started
  Cause failure = Cause::connect_timeout;  // else: connect_refused or connect_timeout ...
  TimePoint failed_at;                     // ... at this time
  Duration took;  // what fortio's connect histogram records
};

/// The attempt starting at `now` to an address that answers `cr` after
/// `rtt` (none: unreachable), with `addresses_left` counting this one;
/// `dial_deadline` is the connect budget shared from the first attempt.
inline ConnectAttempt connect_attempt(const ClientProfile& p, TimePoint now, TimePoint dial_deadline, TimePoint deadline,
                                      std::size_t addresses_left, std::optional<Duration> rtt, ConnectResult cr) {
  ConnectAttempt a;
  // With per_address each attempt has a whole connect_timeout of its own.
  a.limit = p.split == ConnectSplit::per_address ? std::min(now + p.connect_timeout, deadline) : std::min(dial_deadline, deadline);
  a.budget = attempt_timeout(p, a.limit - now, addresses_left);
  if (!rtt) cr = ConnectResult::drop;
  a.took = cr == ConnectResult::drop || *rtt > a.budget ? a.budget : *rtt;
  // Racing clients leave a pending attempt running: one that would connect still wins.
  a.wins = cr == ConnectResult::accept && (*rtt <= a.budget || (p.split == ConnectSplit::race && now + *rtt <= a.limit));
  if (a.wins) return a;
  const bool refused = cr == ConnectResult::refuse && *rtt <= a.budget;
  a.failure = refused ? Cause::connect_refused : Cause::connect_timeout;
  a.failed_at = refused ? now + *rtt : now + a.budget;
  return a;
}

/// Whether an attempt that failed with `cause` at `now` goes on to the next
/// address (`more`: one is left).
inline bool falls_back(const ClientProfile& p, Cause cause, bool more, TimePoint now, TimePoint dial_deadline, TimePoint deadline) {
  const bool may = cause == Cause::connect_refused ? p.fallback_on_refused : p.fallback_on_timeout;
  const TimePoint until = p.split == ConnectSplit::per_address ? deadline : std::min(dial_deadline, deadline);
  return may && more && now < until;
}

}  // namespace drsim
