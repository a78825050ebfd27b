// Runs the drsim CLI from a test and captures what it printed.
#pragma once

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>

namespace drsim::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

inline std::string source_path(const std::string& rel) { return std::string(DRSIM_SOURCE_DIR) + "/" + rel; }

/// Runs `drsim <args>` through the shell; args are passed as written.
inline CliRun drsim_cli(const std::string& args) {
  static int counter = 0;
  const std::string err_file = "/tmp/drsim-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".err";
  const std::string cmd = std::string(DRSIM_CLI) + " " + args + " 2>" + err_file;
  CliRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (FILE* e = std::fopen(err_file.c_str(), "r")) {
    while ((n = std::fread(buf.data(), 1, buf.size(), e)) > 0) r.err.append(buf.data(), n);
    std::fclose(e);
  }
  std::remove(err_file.c_str());
  return r;
}

}  // namespace drsim::testing
