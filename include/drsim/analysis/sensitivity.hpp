// One-at-a-time sensitivity: which parameter moves a figure most around a
// base point.
//
//   drsim::SensitivitySpec spec{.params = {{"gtm.ttl", ""}, {"gtm.health_check.interval", ""}}, .figure = "failed_pct"};
//   auto s = drsim::sensitivity(scenario, spec, {.seed = 7, .replications = 100});
//   // s.entries[0]: the parameter with the largest |elasticity|
//
// Each parameter is moved to base x (1 - step) and base x (1 + step) (integers
// by at least 1; a side the model rejects, such as failures = 0, stays at the
// base), every other parameter held at its base. With common random numbers
// the swing y(high) - y(low) is a paired difference, and the elasticity
//
//   E = ((y_high - y_low) / y_base) / ((x_high - x_low) / x_base)
//
// is a ratio of means whose 95 % interval comes from the delta method on the
// per-replication pairs: psi_k = (d_k - E' y_k) / mean(y), E' = mean(d) / mean(y).
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "drsim/analysis/sweep.hpp"
#include "drsim/core/stats.hpp"
#include "drsim/scenario/scenario.hpp"

namespace drsim {

struct SensitivityParam {
  std::string path{};
  std::string base{};  // empty: the model file's value at `path`
};

/// "gtm.ttl" or "gtm.publish_delay=2s" -> SensitivityParam.
SensitivityParam parse_sensitivity_param(const std::string& arg);

struct SensitivitySpec {
  std::vector<SensitivityParam> params{};
  std::string figure = "failed_pct";
  double step = 0.1;  // relative move each way
};

struct SensitivityEntry {
  std::string path{};
  ParamValue base{}, low{}, high{};                         // the values run (low or high equals base on a one-sided move)
  ConfidenceInterval at_low{}, at_high{};                   // the figure there
  ConfidenceInterval swing{};                               // figure(high) - figure(low), paired over replications
  double slope = std::numeric_limits<double>::quiet_NaN();  // swing per unit (per second for durations)
  ConfidenceInterval elasticity{};                          // NaN mean when the base value or the base figure is 0
  int rank = 0;                                             // 1: moves the figure most
};

struct SensitivityResult {
  std::string figure{};
  ConfidenceInterval base{};                // the figure at the base point
  std::vector<SensitivityEntry> entries{};  // by rank
  double step = 0.1;
  int replications = 0;
  std::uint64_t seed = 0;
};

/// The value at a dotted override path in the model file (arrays entered by
/// element name), as override text: strings as they are, numbers as JSON.
std::optional<std::string> model_value(const Scenario& scenario, const std::string& path);

/// Runs the base point and two points per parameter in one batch (common
/// random numbers), options.figures ignored. Throws std::invalid_argument for
/// a parameter with no numeric base value.
SensitivityResult sensitivity(const Scenario& base, const SensitivitySpec& spec, const SweepOptions& options);

std::string sensitivity_report(const SensitivityResult& r);
std::string sensitivity_json(const SensitivityResult& r, int indent = 2);

}  // namespace drsim
