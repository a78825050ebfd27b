// Sweeps: one scenario run at many settings of its override paths, with
// replications and 95 % intervals at every point.
//
//   drsim::SweepSpec spec;
//   spec.grid = {{"gtm.ttl", {"10s", "30s", "60s"}}, {"gtm.health_check.failures", {"1", "2", "3"}}};
//   auto table = drsim::sweep(scenario, spec, {.seed = 7, .replications = 20});
//   std::cout << drsim::sweep_csv(table);
//
// Common random numbers: replication k of every point runs with seed
// replication_seed(seed, k), whatever the point, the thread count or the
// machine, so two points differ by their settings and not by their luck.
// The work is (point, replication) pairs handed to threads and gathered in
// order, so the table is the same bytes with 1, 2 or 8 threads, and a subset
// of the points run elsewhere (a Dask worker) gives the same rows.
//
// Everything here is a plain struct so the Python bindings map it directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "drsim/analysis/defaults.hpp"
#include "drsim/core/stats.hpp"
#include "drsim/scenario/scenario.hpp"

namespace drsim {

class RunMetrics;

/// How a parameter's value reads, from the kind the model reference gives
/// its path: a whole number, a number, a duration, or text (a name, a
/// choice, a JSON value).
enum class ParamKind : std::uint8_t { integer, number, duration, text };

/// One value of a parameter: the text handed to Scenario::set and its
/// numeric reading (seconds for durations, NaN for text).
struct ParamValue {
  std::string text{};
  double numeric = std::numeric_limits<double>::quiet_NaN();
  ParamKind kind = ParamKind::text;
};

/// The kind of the field at an override path (drsim::field_at); text for a
/// path the model reference does not know.
ParamKind param_kind(const std::string& path);

/// `text` read as a value of the field at `path` (its numeric reading is NaN
/// when the text is not of the field's kind; Scenario::set then says why).
ParamValue parse_param_value(const std::string& path, const std::string& text);

/// `text` read as a value of a known kind.
ParamValue make_param_value(ParamKind kind, const std::string& text);

/// One override of a point: Scenario::set(path, value).
struct Setting {
  std::string path{};
  std::string value{};
};

/// A grid axis: every value is combined with every value of the other axes.
struct GridAxis {
  std::string path{};
  std::vector<std::string> values{};
};

/// A range to sample or solve over, of a parameter whose kind is integer,
/// number or duration ("1".."5", "0.2".."0.8", "10s".."2m").
struct ParamRange {
  std::string path{};
  std::string lo{}, hi{};
};

/// The kind of a range's parameter. Throws std::invalid_argument when the
/// parameter is not an integer, number or duration, an end is not a value of
/// that kind, or lo > hi.
ParamKind range_kind(const ParamRange& r);

/// "path=lo..hi" -> ParamRange; "path=v1,v2,v3" -> GridAxis. Throw
/// std::invalid_argument naming the argument.
ParamRange parse_range_arg(const std::string& arg);
GridAxis parse_grid_arg(const std::string& arg);

enum class SampleMethod : std::uint8_t {
  latin_hypercube,  // each range cut into `samples` equal strata, each stratum used once
  random,           // independent uniform draws
};

struct SweepSpec {
  std::vector<GridAxis> grid{};
  std::vector<ParamRange> ranges{};
  std::size_t samples = 0;        // sampled points over `ranges`, each combined with every grid point
  SampleMethod method = SampleMethod::latin_hypercube;
  std::uint64_t sample_seed = 1;  // the samples drawn; independent of the run seed's streams
};

/// The settings of one point, in parameter order.
struct SweepPoint {
  std::vector<Setting> settings{};
};

/// The points of a spec: the grid's cartesian product (first axis slowest)
/// times the samples; one point with no settings when the spec is empty.
/// Throws std::invalid_argument for a path given twice, samples without
/// ranges or ranges without samples.
std::vector<SweepPoint> sweep_points(const SweepSpec& spec);

/// The points' parameter paths, in column order.
std::vector<std::string> sweep_parameters(const SweepSpec& spec);

/// Where a sweep is: called after every finished run, one call at a time.
struct SweepProgress {
  std::size_t runs_done = 0, runs_total = 0;
  std::size_t points_done = 0, points_total = 0;
};

struct SweepOptions {
  std::uint64_t seed = 1;
  int replications = kSweepReplications;
  int threads = 0;                     // 0: every core
  std::vector<std::string> figures{};  // empty: every figure some replication reports
  double level = 0.95;                 // of the intervals
  bool keep_replications = true;       // keep each replication's figures in PointResult
  std::function<void(const SweepProgress&)> progress{};
  /// Called with (point, replication, metrics) after each run, from the
  /// worker threads (each pair once): for analyses that need more than the
  /// headline figures, such as calibration's counts by code.
  std::function<void(std::size_t, std::size_t, const RunMetrics&)> inspect{};
};

struct PointResult {
  std::vector<Setting> settings{};
  std::vector<ParamValue> values{};  // the settings read as numbers, same order
  /// Mean and interval of each figure over the replications that report it.
  std::map<std::string, ConfidenceInterval> figures{};
  /// Each replication's figures, in replication order (empty unless kept).
  std::vector<std::map<std::string, double>> per_replication{};
};

struct SweepResult {
  std::string model{};
  std::uint64_t seed = 0;
  int replications = 0;
  double level = 0.95;
  std::vector<std::string> parameters{};  // column order
  std::vector<std::string> figures{};     // column order
  std::vector<PointResult> points{};
  /// The model's warnings, and those a point's settings raise ("at gtm.ttl=5s: ...").
  std::vector<std::string> warnings{};
};

/// Every figure name a run can report, in the table's column order.
std::vector<std::string> figure_names();

/// Runs `points` on copies of `base` (each with its settings applied) with
/// options.replications replications each. A bad setting raises ModelError
/// before anything runs.
SweepResult run_points(const Scenario& base, const std::vector<SweepPoint>& points, const SweepOptions& options);

/// sweep_points + run_points.
SweepResult sweep(const Scenario& base, const SweepSpec& spec, const SweepOptions& options);

/// The tidy table: one header line, one row per point; columns point, the
/// parameters, replications, then FIGURE_mean, FIGURE_lo, FIGURE_hi per
/// figure (empty cells where no replication reported the figure).
std::string sweep_csv(const SweepResult& result);
/// drsim.sweep/1 JSON: the same rows with settings, numeric values and intervals.
std::string sweep_json(const SweepResult& result, int indent = 2);
/// Writes JSON when `path` ends in .json, else CSV; the file appears whole or not at all.
void write_sweep(const SweepResult& result, const std::string& path);

/// Interval of the paired difference b - a over replications both report
/// (common random numbers make it much narrower than either point's own).
ConfidenceInterval paired_difference(const PointResult& a, const PointResult& b, const std::string& figure,
                                     double level = 0.95);

}  // namespace drsim
