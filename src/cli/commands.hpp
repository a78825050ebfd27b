// The analysis subcommands of the drsim CLI (analysis_commands.cpp). Each
// takes the arguments after its name, prints its own usage on a bad argument
// and returns the exit code (2 for bad arguments); a bad model raises
// drsim::ModelError for main() to report.
#pragma once

#include <unistd.h>

#include <cstdlib>

#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace drsim::cli {

/// A bad command line: the message says which argument and what was expected.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Legal but too much work for one command without being told it is fine:
/// exit 2 with the way to allow it, without repeating the usage text.
struct WorkLimitError : UsageError {
  using UsageError::UsageError;
};

/// Reads `v`, the value of `flag`, as a whole number in [lo, hi].
inline long long parse_whole(const std::string& flag, const std::string& v, long long lo, long long hi) {
  try {
    std::size_t pos = 0;
    const long long x = std::stoll(v, &pos);
    if (pos != v.size() || x < lo || x > hi) throw std::out_of_range(v);
    return x;
  } catch (const std::exception&) {
    throw UsageError(flag + " expects a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                     ", found \"" + v + "\"");
  }
}

int sweep_command(const std::vector<std::string>& args);
int solve_command(const std::vector<std::string>& args);
int sensitivity_command(const std::vector<std::string>& args);
int calibrate_command(const std::vector<std::string>& args);
int validate_command(const std::vector<std::string>& args);
int init_command(const std::vector<std::string>& args);
int report_command(const std::vector<std::string>& args);
int compare_command(const std::vector<std::string>& args);

/// The usage text of each analysis command (for `drsim help COMMAND`).
const std::string& sweep_usage();
const std::string& solve_usage();
const std::string& sensitivity_usage();
const std::string& calibrate_usage();
const std::string& validate_usage();
const std::string& init_usage();
const std::string& report_usage();
const std::string& compare_usage();

/// "[#######.......] 12/27 points  170 runs/s  eta 3s" on stderr, redrawn at
/// most ten times a second, only when stderr is a terminal.
class ProgressBar {
 public:
  ProgressBar(bool enabled, std::string unit) : enabled_(enabled && ::isatty(STDERR_FILENO)), unit_(std::move(unit)) {}
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() { finish(); }

  [[nodiscard]] bool enabled() const { return enabled_; }
  /// (runs done, runs in all, units done, units in all).
  std::function<void(std::size_t, std::size_t, std::size_t, std::size_t)> callback() {
    if (!enabled_) return {};
    start_ = Clock::now();
    return [this](std::size_t runs, std::size_t total, std::size_t done, std::size_t all) { update(runs, total, done, all); };
  }

  void finish() {
    if (drawn_) std::fputs("\n", stderr);
    drawn_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;

  void update(std::size_t runs, std::size_t total, std::size_t done, std::size_t all) {
    const auto now = Clock::now();
    const bool last = runs == total;
    if (!last && drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(runs) / elapsed : 0.0;
    const double left = rate > 0 ? static_cast<double>(total - runs) / rate : 0.0;
    constexpr int kWidth = 28;
    const int filled = total ? static_cast<int>(kWidth * runs / total) : kWidth;
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(kWidth - filled), '.');
    std::fprintf(stderr, "\r[%s] %zu/%zu %s  %.0f runs/s  %s %.0fs ", bar.c_str(), done, all, unit_.c_str(), rate,
                 last ? "took" : "eta", last ? elapsed : left);
    std::fflush(stderr);
    drawn_ = true;
  }

  bool enabled_;
  std::string unit_;
  Clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

/// How much work a command may start without being told it is fine
/// (--max-requests, --max-runs): a legal but huge request is refused before
/// it runs, with the way to raise the limit.
struct WorkLimits {
  double max_requests = 5e9;  // simulated requests in all (about an hour of CPU)
  double max_runs = 1e6;      // replications x points
};

/// Refuses work past the limits, saying how much it would be and how to allow it.
inline void check_work(double requests_per_run, double runs, const WorkLimits& limits) {
  char text[256];
  if (runs > limits.max_runs) {
    std::snprintf(text, sizeof text, "this would make %.3g runs, over the limit of %.3g; pass --max-runs %.0f to run it anyway",
                  runs, limits.max_runs, runs);
    throw WorkLimitError(text);
  }
  const double requests = requests_per_run * runs;
  if (requests > limits.max_requests) {
    std::snprintf(text, sizeof text,
                  "this would simulate about %.3g requests (%.3g runs x %.3g), over the limit of %.3g; pass "
                  "--max-requests %.3g to run it anyway",
                  requests, runs, requests_per_run, limits.max_requests, requests);
    throw WorkLimitError(text);
  }
}

/// Reads --max-requests / --max-runs at args[i]; false when it is neither.
inline bool work_limit_option(const std::vector<std::string>& args, std::size_t& i, WorkLimits& limits) {
  const std::string& a = args[i];
  if (a != "--max-requests" && a != "--max-runs") return false;
  if (i + 1 >= args.size()) throw UsageError(a + " needs a value");
  const std::string v = args[++i];
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != 0 || !(x > 0) || x > 1e18) throw UsageError(a + " expects a positive number, found \"" + v + "\"");
  (a == "--max-requests" ? limits.max_requests : limits.max_runs) = x;
  return true;
}

}  // namespace drsim::cli
