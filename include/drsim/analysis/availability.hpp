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
// why this is a chain solved numerically (Eigen's full-pivot LU, behind this header, on
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

/// A dense square matrix of rates, row-major: (r, c) is entry r * n + c.
struct RateMatrix {
  std::size_t n = 0;
  std::vector<double> values;
  [[nodiscard]] double operator()(std::size_t r, std::size_t c) const { return values[r * n + c]; }
  [[nodiscard]] double row_sum(std::size_t r) const {
    double s = 0;
    for (std::size_t c = 0; c < n; ++c) s += values[r * n + c];
    return s;
  }
};

/// The generator Q (rates per year): Q(s, t) the rate from state s to t,
/// rows summing to zero. Throws std::invalid_argument for bad inputs.
RateMatrix availability_generator(const AvailabilityInputs& in);

/// The stationary distribution of an irreducible generator: pi Q = 0,
/// sum(pi) = 1, solved as Q^T pi = 0 with the last equation replaced by the
/// normalisation (Eigen, full-pivot LU, in src/lib/analysis_availability.cpp).
std::vector<double> stationary_distribution(const RateMatrix& q);

AvailabilityResult solve_availability(const AvailabilityInputs& in);

}  // namespace drsim
