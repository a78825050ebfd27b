// Availability over a year: a continuous-time Markov chain over which regions
// are up, turning the cost of one failover (from the simulation or the
// closed form) into expected failed requests per year.
//
//   drsim::AvailabilityInputs in;
//   const auto mttr = drsim::Duration::seconds(2 * 3600);
//   in.regions = {{"region-1", 4, mttr, 3375}, {"region-2", 4, mttr, 3375}};
//   in.requests_per_second = 100;
//   auto a = drsim::solve_availability(in);   // a.failed_requests_per_year
//
// State s is a set of down regions (bit i set: region i down). An up region
// fails at rate lambda_i (failures per year); a down region is repaired at
// rate mu_i = 1 / MTTR_i, or, with k repair crews shared equally among the d
// regions down, at mu_i x min(1, k / d), which couples the regions and is
// why this is a chain solved numerically (Eigen, full-pivot LU on
// pi Q = 0 with sum(pi) = 1) rather than a product of per-region
// availabilities. Two costs follow from the stationary distribution pi:
//
//   failovers   a region failing while another is up sends its traffic
//               through a DNS failover costing L_i failed requests:
//               sum_s pi(s) sum_{i up in s, another up} lambda_i L_i per year;
//   outages     with every region down every request fails:
//               pi(all down) x requests per second x seconds per year.
//
// L_i is "failed" from a run of the drill scaled to the real request rate
// (failed requests per failover grow with the rate: L = share x window x rate).
#pragma once

#include <Eigen/Dense>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "drsim/core/time.hpp"

namespace drsim {

inline constexpr double kSecondsPerYear = 365.25 * 86400.0;

struct RegionReliability {
  std::string name;
  double failures_per_year = 2;                          // lambda
  Duration mean_time_to_repair = Duration::seconds(4 * 3600);  // 1 / mu
  double failed_requests_per_failover = 0;               // L: lost when it fails while another region serves
};

struct AvailabilityInputs {
  std::vector<RegionReliability> regions;
  double requests_per_second = 0;  // offered to the service as a whole
  int repair_crews = 0;            // 0: every down region is repaired at once
};

struct AvailabilityResult {
  std::vector<double> state_probability;  // by state: bit i set = region i down
  std::vector<double> region_up;          // marginal probability each region is up
  double all_down = 0;                    // probability that no region is up
  double availability = 0;                // 1 - all_down
  double failovers_per_year = 0;          // failures while another region is up
  double failover_failed_requests_per_year = 0;
  double outage_failed_requests_per_year = 0;
  double failed_requests_per_year = 0;
  double failed_fraction = 0;             // of the year's requests
};

namespace detail {
inline void check_availability_inputs(const AvailabilityInputs& in) {
  if (in.regions.empty()) throw std::invalid_argument("availability: at least one region");
  if (in.regions.size() > 10) throw std::invalid_argument("availability: at most 10 regions (2^R states, dense)");
  if (in.repair_crews < 0) throw std::invalid_argument("availability: repair crews must be >= 0");
  if (!(in.requests_per_second >= 0)) throw std::invalid_argument("availability: requests per second must be >= 0");
  for (const auto& r : in.regions) {
    if (!(r.failures_per_year >= 0)) throw std::invalid_argument("availability: " + r.name + ": failures per year must be >= 0");
    if (r.mean_time_to_repair <= Duration::zero())
      throw std::invalid_argument("availability: " + r.name + ": mean time to repair must be > 0");
    if (!(r.failed_requests_per_failover >= 0))
      throw std::invalid_argument("availability: " + r.name + ": failed requests per failover must be >= 0");
  }
}
}  // namespace detail

/// The generator Q (rates per year): Q(s, t) the rate from state s to t,
/// rows summing to zero.
inline Eigen::MatrixXd availability_generator(const AvailabilityInputs& in) {
  detail::check_availability_inputs(in);
  const std::size_t regions = in.regions.size();
  const auto states = static_cast<Eigen::Index>(std::size_t{1} << regions);
  Eigen::MatrixXd q = Eigen::MatrixXd::Zero(states, states);
  for (Eigen::Index s = 0; s < states; ++s) {
    const int down = __builtin_popcountll(static_cast<unsigned long long>(s));
    const double crew_share =
        in.repair_crews == 0 || down <= in.repair_crews ? 1.0 : static_cast<double>(in.repair_crews) / down;
    for (std::size_t i = 0; i < regions; ++i) {
      const Eigen::Index bit = Eigen::Index{1} << i;
      const RegionReliability& r = in.regions[i];
      if (s & bit) {
        const double mu = kSecondsPerYear / r.mean_time_to_repair.seconds_f();
        q(s, s & ~bit) += mu * crew_share;
      } else {
        q(s, s | bit) += r.failures_per_year;
      }
    }
    q(s, s) = -q.row(s).sum();
  }
  return q;
}

/// The stationary distribution of an irreducible generator: pi Q = 0,
/// sum(pi) = 1, solved as Q^T pi = 0 with the last equation replaced by the
/// normalisation.
inline Eigen::VectorXd stationary_distribution(const Eigen::MatrixXd& q) {
  const Eigen::Index n = q.rows();
  if (n == 0 || q.cols() != n) throw std::invalid_argument("stationary_distribution: a square, non-empty generator");
  Eigen::MatrixXd a = q.transpose();
  a.row(n - 1).setOnes();
  Eigen::VectorXd b = Eigen::VectorXd::Zero(n);
  b(n - 1) = 1.0;
  Eigen::FullPivLU<Eigen::MatrixXd> lu(a);
  if (lu.rank() < n) throw std::invalid_argument("stationary_distribution: the chain is not irreducible");
  Eigen::VectorXd pi = lu.solve(b);
  for (Eigen::Index i = 0; i < n; ++i)
    if (pi(i) < 0 && pi(i) > -1e-15) pi(i) = 0;  // rounding around states that are almost never visited
  return pi;
}

inline AvailabilityResult solve_availability(const AvailabilityInputs& in) {
  const Eigen::MatrixXd q = availability_generator(in);
  bool any_failures = false;
  for (const auto& r : in.regions) any_failures = any_failures || r.failures_per_year > 0;
  const std::size_t regions = in.regions.size();
  const std::size_t states = std::size_t{1} << regions;
  Eigen::VectorXd pi = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(states));
  if (any_failures) {
    pi = stationary_distribution(q);
  } else {
    pi(0) = 1.0;  // nothing ever fails: the all-up state is absorbing
  }

  AvailabilityResult a;
  a.state_probability.assign(pi.data(), pi.data() + pi.size());
  a.region_up.assign(regions, 0.0);
  const std::size_t all = states - 1;
  for (std::size_t s = 0; s < states; ++s) {
    const double p = a.state_probability[s];
    const int up = static_cast<int>(regions) - __builtin_popcountll(static_cast<unsigned long long>(s));
    for (std::size_t i = 0; i < regions; ++i) {
      if (s & (std::size_t{1} << i)) continue;
      a.region_up[i] += p;
      if (up >= 2) {  // region i fails and another region takes its traffic
        a.failovers_per_year += p * in.regions[i].failures_per_year;
        a.failover_failed_requests_per_year += p * in.regions[i].failures_per_year * in.regions[i].failed_requests_per_failover;
      }
    }
  }
  a.all_down = a.state_probability[all];
  a.availability = 1.0 - a.all_down;
  a.outage_failed_requests_per_year = a.all_down * in.requests_per_second * kSecondsPerYear;
  a.failed_requests_per_year = a.failover_failed_requests_per_year + a.outage_failed_requests_per_year;
  const double yearly = in.requests_per_second * kSecondsPerYear;
  a.failed_fraction = yearly > 0 ? a.failed_requests_per_year / yearly : 0.0;
  return a;
}

}  // namespace drsim
