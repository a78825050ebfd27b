// The availability chain (availability.hpp), solved with Eigen: kept out of
// the public header so only this file needs it.
#include "drsim/analysis/availability.hpp"

#include <Eigen/Dense>

#include <cmath>
#include <stdexcept>

namespace drsim {

namespace {

void check_inputs(const AvailabilityInputs& in) {
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

Eigen::MatrixXd generator(const AvailabilityInputs& in) {
  check_inputs(in);
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

Eigen::VectorXd stationary(const Eigen::MatrixXd& q) {
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

}  // namespace

RateMatrix availability_generator(const AvailabilityInputs& in) {
  const Eigen::MatrixXd q = generator(in);
  RateMatrix m;
  m.n = static_cast<std::size_t>(q.rows());
  m.values.resize(m.n * m.n);
  for (std::size_t r = 0; r < m.n; ++r)
    for (std::size_t c = 0; c < m.n; ++c) m.values[r * m.n + c] = q(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c));
  return m;
}

std::vector<double> stationary_distribution(const RateMatrix& q) {
  if (q.n == 0 || q.values.size() != q.n * q.n)
    throw std::invalid_argument("stationary_distribution: a square, non-empty generator");
  const auto n = static_cast<Eigen::Index>(q.n);
  const Eigen::MatrixXd m = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      q.values.data(), n, n);
  const Eigen::VectorXd pi = stationary(m);
  return {pi.data(), pi.data() + pi.size()};
}

AvailabilityResult solve_availability(const AvailabilityInputs& in) {
  const Eigen::MatrixXd q = generator(in);
  bool any_failures = false;
  for (const auto& r : in.regions) any_failures = any_failures || r.failures_per_year > 0;
  const std::size_t regions = in.regions.size();
  const std::size_t states = std::size_t{1} << regions;
  Eigen::VectorXd pi = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(states));
  if (any_failures) {
    pi = stationary(q);
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
