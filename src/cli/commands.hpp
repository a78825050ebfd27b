// The analysis subcommands of the drsim CLI (analysis_commands.cpp). Each
// takes the arguments after its name, prints its own usage on a bad argument
// and returns the exit code (2 for bad arguments); a bad model raises
// drsim::ModelError for main() to report.
#pragma once

#include <string>
#include <vector>

namespace drsim::cli {

int sweep_command(const std::vector<std::string>& args);
int solve_command(const std::vector<std::string>& args);
int sensitivity_command(const std::vector<std::string>& args);

}  // namespace drsim::cli
