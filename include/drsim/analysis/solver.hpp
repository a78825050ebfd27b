// Target solvers: the smallest or largest value of one parameter that meets
// a target on a figure at 95 % confidence.
//
//   drsim::SolveSpec spec{.range = {"gtm.ttl", "10s", "10m"}, .target = drsim::Target::parse("failed_pct<=1")};
//   auto r = drsim::solve(scenario, spec, {.seed = 7, .replications = 50});
//   // r.answer: the largest TTL whose 95 % interval of failed % lies below 1
//
// A value "meets" a target FIGURE<=X when the whole 95 % interval of the
// figure's mean lies at or below X (FIGURE>=X: at or above), "fails" when the
// whole interval lies on the wrong side, and is "undecided" otherwise; an
// undecided value is not taken as meeting it, so an answer is a value the
// evidence shows meets the target. Probes of the same parameter share common
// random numbers (replication k has the same seed at every value).
//
// The parameter must act monotonically on the figure over the range: the
// values meeting the target then form one end of the range, found by probing
// both ends and bisecting the bracket between a meeting and a failing value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "drsim/analysis/sweep.hpp"
#include "drsim/core/stats.hpp"
#include "drsim/scenario/scenario.hpp"

namespace drsim {

/// "failed_pct<=1", "throttled_pct <= 0.5", "requests>=29000".
struct Target {
  enum class Op : std::uint8_t { at_most, at_least };
  std::string figure{};
  Op op = Op::at_most;
  double bound = 0;

  /// Throws std::invalid_argument naming the text when it is not FIGURE<=X or FIGURE>=X.
  static Target parse(const std::string& text);
  [[nodiscard]] std::string to_string() const;
};

enum class Verdict : std::uint8_t { meets, fails, undecided };
[[nodiscard]] const char* verdict_name(Verdict v);
/// Where an interval stands against a target.
[[nodiscard]] Verdict judge(const Target& target, const ConfidenceInterval& ci);

enum class SolveGoal : std::uint8_t { smallest, largest };

struct SolveSpec {
  ParamRange range{};               // the parameter and the values to search (integers, numbers or durations)
  Target target{};
  std::optional<SolveGoal> goal{};  // unset: read from which end of the range meets the target
  std::string resolution{};         // stop when the bracket is this narrow; default 1 for integers, range/100 otherwise
  int max_probes = 64;
};

/// One probed value and the evidence about it.
struct SolveProbe {
  ParamValue value{};
  ConfidenceInterval figure{};  // the target figure's mean and interval at this value
  Verdict verdict = Verdict::undecided;
};

struct SolveResult {
  enum class Status : std::uint8_t {
    found,        // a boundary bracketed to the resolution (or an end of the range meets, the other not)
    whole_range,  // both ends meet: every value in the range meets (the goal's end is the answer)
    none,         // neither end meets: no value in the range does
  };
  Status status = Status::none;
  SolveGoal goal = SolveGoal::largest;
  std::string path{};
  Target target{};
  std::optional<ParamValue> answer{};         // the best value shown to meet the target
  std::optional<ParamValue> bracket_meets{};  // last value that met it
  std::optional<ParamValue> bracket_fails{};  // nearest value that did not
  std::vector<SolveProbe> probes{};           // in the order they ran
  std::string explanation{};                  // one sentence for people
  int replications = 0;
  std::uint64_t seed = 0;
};

[[nodiscard]] const char* status_name(SolveResult::Status s);

/// Bisects spec.range on `base` with options.replications replications per
/// probe; options.figures is ignored (the target's figure is used). Throws
/// std::invalid_argument for a bad range, target or goal and ModelError for a
/// value the model rejects.
SolveResult solve(const Scenario& base, const SolveSpec& spec, const SweepOptions& options);

/// The result for people (one line per probe, then the answer) and as drsim.solve/1 JSON.
std::string solve_report(const SolveResult& r);
std::string solve_json(const SolveResult& r, int indent = 2);

}  // namespace drsim
