// Calibration: which settings of a model are consistent with a drill that
// really happened, and how strongly.
//
//   auto seen = drsim::read_observation("drill.json");     // fortio JSON or text, or counts by code
//   drsim::SweepSpec grid;
//   grid.grid = {{"gtm.ttl", {"30s", "60s", "120s"}}};
//   auto post = drsim::calibrate(scenario, grid, seen, {.seed = 1, .replications = 50});
//   post.points[post.map].probability;
//
// Method: likelihood on a grid, estimated from replications (simulation-based
// inference with a kernel density estimate, as in approximate Bayesian
// computation with a Gaussian kernel). A drill's outcome is one replication:
// its calls are not independent coin flips (one deletion time, one cache
// phase, one set of probe phases decide thousands of them together), so a
// binomial likelihood over 30,000 calls would be far too sure of itself. What
// varies from drill to drill is what the replications vary; at each point the
// replications' code shares are smoothed into a density (product Gaussian
// kernel, a bandwidth per code from Silverman's rule on the point's own
// spread, plus the observation's own binomial noise), read at the observed
// shares. With a uniform prior over the grid the
// posterior is the normalised likelihood. Replication k uses the same seed at
// every point (common random numbers), so points differ by their settings.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "drsim/analysis/sweep.hpp"

namespace drsim {

/// A drill's outcome: how many calls ended with each fortio code (-1 for
/// socket errors, else the HTTP status).
struct Observation {
  std::map<int, std::uint64_t> codes{};
  std::string source{};  // file name or "text"
  std::string format{};  // "fortio-json", "fortio-text", "counts"
  [[nodiscard]] std::uint64_t total() const;
};

/// Reads a drill's outcome from text: fortio's JSON (RetCodes), fortio's
/// text ("Code -1 : 4200 (14.0 %)" lines), or counts by code as JSON
/// ({"200": 25800, "-1": 4200}) or lines ("200 25800", "-1: 4200").
/// Throws std::invalid_argument naming `name`, where, what was expected and
/// what was found.
Observation parse_observation(const std::string& text, const std::string& name = "text");
/// parse_observation of a file's contents (the error names the file).
Observation read_observation(const std::string& path);

struct CalibrationPoint {
  std::vector<Setting> settings{};
  double probability = 0;
  double log_likelihood = 0;
  /// Mean and interval over the replications of each code's share in % (key: fortio code).
  std::map<int, ConfidenceInterval> code_pct{};
  /// The kernel's bandwidth for each code at this point, in percentage points.
  std::map<int, double> bandwidth_pct{};
};

struct CalibrationResult {
  std::string model{};
  std::uint64_t seed = 0;
  int replications = 0;
  double level = 0.95;  // of the credible set
  std::vector<std::string> parameters{};
  Observation observed{};
  std::map<int, double> observed_pct{};  // the observed share of each code compared, in %
  std::vector<CalibrationPoint> points{};  // in grid order
  std::vector<std::size_t> credible_set{};  // indices into points, most probable first
  std::size_t map = 0;                      // the most probable point
  std::vector<std::string> warnings{};
};

/// The simulated side of a calibration: every point's replications, as the
/// share in % of each fortio code per replication. Independent of the
/// observation, so one set can weigh many observations (calibration_runs, weigh).
struct CalibrationRuns {
  std::string model{};
  std::uint64_t seed = 0;
  int replications = 0;
  std::vector<std::string> parameters{};
  std::vector<SweepPoint> points{};
  std::vector<std::vector<std::map<int, double>>> code_pct{};  // [point][replication] -> code -> %
  std::vector<std::string> warnings{};
};

struct CalibrationOptions {
  SweepOptions sweep{};  // seed, replications, threads, progress
  double level = 0.95;   // of the credible set
};

/// Runs the grid's points (drsim::sweep_points) with `options` (through drsim::run_points).
CalibrationRuns calibration_runs(const Scenario& base, const SweepSpec& spec, const SweepOptions& options);

/// Weighs each point of `runs` by how likely its replications make `observed`.
CalibrationResult weigh(const CalibrationRuns& runs, const Observation& observed, double level = 0.95);

/// calibration_runs with options.sweep, then weigh.
/// Throws std::invalid_argument for an empty observation or bad spec.
CalibrationResult calibrate(const Scenario& base, const SweepSpec& spec, const Observation& observed,
                            const CalibrationOptions& options);

/// What a change would do under the calibrated settings: the change run at
/// every point of the credible set, each replication weighted by its point's
/// posterior probability (renormalised over the set).
struct Prediction {
  std::vector<Setting> what_if{};
  std::string figure = "failed_pct";
  int replications = 0;  // per point
  double mean = 0, median = 0, lo = 0, hi = 0;  // lo, hi: the central 95 % of the weighted replications
};

/// Runs `what_if` (overrides applied after each credible point's settings)
/// with options.replications per point and mixes the replications of
/// `figure` by posterior weight. Throws std::invalid_argument for a figure
/// no replication reports.
Prediction predict(const Scenario& base, const CalibrationResult& calibration, const std::vector<Setting>& what_if,
                   const SweepOptions& options, const std::string& figure = "failed_pct");

/// {"posterior": [{"point": {...}, "probability": p, ...}], "credible_set": [...], "map": {...}, ...}
/// With a prediction, also {"prediction": {"what_if", "figure", "mean", "median", "interval95"}}.
std::string calibration_json(const CalibrationResult& result, int indent = 2, const Prediction* prediction = nullptr);
/// A table for people: the posterior by point, most probable first, the credible set marked.
std::string calibration_table(const CalibrationResult& result, const Prediction* prediction = nullptr);

}  // namespace drsim
