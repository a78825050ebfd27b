// Running a scenario: replications across threads, and what comes back.
//
//   auto result = drsim::run(scenario, {.seed = 7, .replications = 100});
//   std::cout << result.fortio_summary();
//   result.replications().at("failed_pct").mean;
//
// Replication k runs with seed replication_seed(seed, k) whatever the thread
// count, and results are gathered in replication order, so the output is the
// same bytes with 1 thread or 8.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "drsim/core/stats.hpp"
#include "drsim/model/metrics.hpp"
#include "drsim/scenario/scenario.hpp"

namespace drsim {

struct RunOptions {
  std::uint64_t seed = 1;
  int replications = 1;
  int threads = 0;  // 0: every core
  /// Called after each finished replication with (done, total), one call at a time.
  std::function<void(std::size_t, std::size_t)> progress{};
};

/// About how many requests one replication of the model sends (fortio's
/// calls, open-loop rates over their durations at their peak, closed-loop
/// users at one request per think time): the size of a run before it starts.
double expected_requests(const ModelSpec& spec);

/// One replication of `spec` with `seed`, on the calling thread: the model
/// built, run to its horizon, and what it measured. drsim::run and the sweeps
/// run every replication through it (replication k of a run with seed s uses
/// replication_seed(s, k)). It is compiled into the library, so a caller runs
/// the library's request path, the one a profile-guided build optimises
/// (docs/architecture.md, "Build").
RunMetrics run_replication(const ModelSpec& spec, std::uint64_t seed);

namespace detail {
/// What the engine did in one replication of `spec` (the benchmarks replay
/// it on the bare engine as their same-run baseline): the events executed,
/// and the mean number pending, sampled every `sample_every` (zero: not
/// sampled; the sampler's own events count in neither).
struct EngineLoad {
  std::uint64_t events = 0;
  double mean_pending = 0;
};
EngineLoad engine_load(const ModelSpec& spec, std::uint64_t seed, Duration sample_every = Duration::zero());
}  // namespace detail

/// Replication 0's counts and headline figures.
struct Summary {
  std::uint64_t requests = 0;  // started
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t pre_fault_failed = 0;  // failed, started before the headline fault
  std::uint64_t attempts = 0;
  std::map<int, std::uint64_t> by_code;
  std::map<std::string, std::uint64_t> by_cause;
  std::optional<std::uint64_t> ejections, retries;  // with a mesh section
  Headline headline;
  double duration_s = 0;    // first request to the last completion
  double actual_qps = 0;
  double latency_p50_s = 0, latency_p90_s = 0, latency_p99_s = 0, latency_p999_s = 0, latency_avg_s = 0, latency_max_s = 0;
};

/// The fortio command line a model's load stands for, for the fortio
/// formats: the first fortio population's settings (-qps, -c, -t, -n,
/// -jitter, -nocatchup, -keepalive, -timeout); without one, the mean rate of
/// the whole load over its duration, one thread per client.
struct FortioSettings {
  double qps = 0;
  int threads = 1;
  Duration duration = Duration::zero();
  std::int64_t exactly = 0;           // -n; 0: by duration
  std::int64_t calls_per_thread = 0;  // as the pacer plans them
  bool jitter = false, catchup = true, keepalive = false;
  Duration timeout = Duration::seconds(3);
  std::vector<std::string> addresses;  // each cluster's public address, by cluster index
  std::string url;
};

class Result {
 public:
  [[nodiscard]] const Summary& summary() const { return summary_; }
  /// Replication 0 in full: per-second series, events, latency histogram.
  [[nodiscard]] const RunMetrics& metrics() const { return metrics_; }
  /// Mean and 95 % Student-t interval of every headline figure over the replications.
  [[nodiscard]] const std::map<std::string, ConfidenceInterval>& replications() const { return aggregates_; }
  /// Each replication's figures, in replication order.
  [[nodiscard]] const std::vector<std::map<std::string, double>>& per_replication() const { return figures_; }
  [[nodiscard]] int replication_count() const { return static_cast<int>(figures_.size()); }
  [[nodiscard]] std::uint64_t seed() const { return seed_; }
  [[nodiscard]] const std::string& model_name() const { return model_; }
  [[nodiscard]] const std::vector<std::string>& region_names() const { return regions_; }
  [[nodiscard]] const std::vector<Assumption>& assumptions() const { return assumptions_; }

  /// The drsim.result/1 document.
  [[nodiscard]] std::string to_json(int indent = -1) const;
  /// With several replications: their means and 95 % intervals, then a line
  /// introducing replication 0 as one possible drill; empty with one.
  [[nodiscard]] std::string replications_report() const;
  /// fortio's text for replication 0, line for line as `fortio load` prints
  /// it (docs/file-format.md lists what drsim cannot know and fills in),
  /// after "# drsim" lines with the replications' means and intervals.
  [[nodiscard]] std::string fortio_summary() const;
  /// The lines of fortio_summary a person reads first: the function time,
  /// its percentiles, the codes and "All done" (drsim run's default text).
  [[nodiscard]] std::string fortio_digest() const;
  /// fortio's JSON result for replication 0, every field fortio writes, the
  /// replication in Labels and the replications under a "drsim" key.
  [[nodiscard]] std::string fortio_json() const;
  [[nodiscard]] const FortioSettings& fortio_settings() const { return fortio_; }
  /// Headline figures and the assumptions behind them, for people.
  [[nodiscard]] std::string report() const;
  [[nodiscard]] std::string series_csv() const;
  [[nodiscard]] std::string events_csv() const;
  /// The drain curve second by second since the answer changed (empty but
  /// for the header when no change removed an address).
  [[nodiscard]] std::string drain_csv() const;
  /// Writes result.json, series.csv and events.csv into `dir`: each file
  /// appears complete or not at all.
  void write(const std::string& dir) const;

 private:
  friend Result run(const Scenario&, const RunOptions&);
  Summary summary_;
  RunMetrics metrics_;
  std::map<std::string, ConfidenceInterval> aggregates_;
  std::vector<std::map<std::string, double>> figures_;
  std::uint64_t seed_ = 0;
  std::string model_;
  std::vector<std::string> regions_;
  std::vector<Assumption> assumptions_;
  std::vector<std::string> warnings_;
  std::vector<std::string> notes_;
  FortioSettings fortio_;
};

/// The fortio command line a model's load stands for (Result::fortio_settings).
FortioSettings fortio_settings(const ModelSpec& spec, const std::string& model_name);

/// Checks that `dir` can take a result (Result::write) before a run: it must
/// be a directory or creatable, and writable. Throws std::invalid_argument
/// saying what is wrong (an empty name, a file, no permission).
void prepare_output_dir(const std::string& dir);

/// Runs the scenario's replications and gathers the result.
Result run(const Scenario& scenario, const RunOptions& options = {});

/// The figures one replication contributes (names used in JSON, sweeps and solvers).
std::map<std::string, double> headline_figures(const RunMetrics& m);

}  // namespace drsim
