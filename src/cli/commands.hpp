// The analysis subcommands of the drsim CLI (analysis_commands.cpp). Each
// takes the arguments after its name, prints its own usage on a bad argument
// and returns the exit code (2 for bad arguments); a bad model raises
// drsim::ModelError for main() to report.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace drsim::cli {

/// A bad command line: the message says which argument and what was expected.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
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
int compare_command(const std::vector<std::string>& args);

}  // namespace drsim::cli
