// Closed forms of the M/M/c queue (Poisson arrivals, exponential service,
// c servers, FIFO, unlimited waiting room): Erlang B and C, utilisation,
// mean wait. They are the yardstick for the gateway simulation, whose pods
// are M/M/c queues when fed Poisson traffic with exponential CPU costs.
//
// Load is given as offered load a = lambda x E[S] in Erlangs (a
// dimensionless number of busy servers), so no rate type is needed; times
// come out as Durations.
#pragma once

#include <cmath>
#include <stdexcept>

#include "drsim/core/time.hpp"

namespace drsim {

/// Erlang B: probability that all `servers` are busy in M/M/c/c with offered
/// load `offered_load` (Erlangs). Uses the recursion
/// B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)), stable for any c.
inline double erlang_b(int servers, double offered_load) {
  if (servers < 1) throw std::invalid_argument("erlang_b: servers must be at least 1");
  if (!(offered_load >= 0)) throw std::invalid_argument("erlang_b: offered load must be >= 0");
  double b = 1.0;
  for (int k = 1; k <= servers; ++k) b = offered_load * b / (k + offered_load * b);
  return b;
}

/// Erlang C: probability that an arrival has to wait in M/M/c,
/// C = c B / (c - a (1 - B)). 1 when the queue is unstable (a >= c).
inline double erlang_c(int servers, double offered_load) {
  if (offered_load >= servers) return 1.0;
  const double b = erlang_b(servers, offered_load);
  return servers * b / (servers - offered_load * (1.0 - b));
}

/// An M/M/c queue and its steady-state measures.
struct MMcQueue {
  int servers = 1;
  double offered_load = 0;     ///< a = lambda x E[S], in Erlangs
  Duration mean_service_time;  ///< E[S]

  /// The queue whose servers are busy a fraction `utilisation` of the time.
  static MMcQueue at_utilisation(int servers, double utilisation, Duration mean_service_time) {
    return MMcQueue{servers, utilisation * servers, mean_service_time};
  }

  /// rho = a / c: the long-run fraction of time a server is busy.
  [[nodiscard]] double utilisation() const { return offered_load / servers; }
  [[nodiscard]] bool stable() const { return offered_load < servers; }
  /// P(wait > 0), Erlang C.
  [[nodiscard]] double probability_of_wait() const { return erlang_c(servers, offered_load); }
  /// Wq = C x E[S] / (c - a): mean time in the queue before service.
  /// Duration::max() when unstable.
  [[nodiscard]] Duration mean_wait() const {
    if (!stable()) return Duration::max();
    return Duration::from_seconds(probability_of_wait() * mean_service_time.seconds_f() / (servers - offered_load));
  }
  /// W = Wq + E[S].
  [[nodiscard]] Duration mean_response_time() const {
    return stable() ? mean_wait() + mean_service_time : Duration::max();
  }
  /// Lq = C x a / (c - a) (Little: lambda x Wq). Infinite when unstable.
  [[nodiscard]] double mean_queue_length() const {
    if (!stable()) return HUGE_VAL;
    return probability_of_wait() * offered_load / (servers - offered_load);
  }
};

}  // namespace drsim
