// The error a bad model file or override gets: which file, where in it (the
// JSON path, and line and column for syntax errors), what was expected and
// what was found.
#pragma once

#include <stdexcept>
#include <string>

namespace drsim {

class ModelError : public std::runtime_error {
 public:
  ModelError(std::string file, std::string path, std::string expected, std::string found, std::string hint = {})
      : std::runtime_error(format(file, path, expected, found, hint)),
        file_(std::move(file)), path_(std::move(path)), expected_(std::move(expected)), found_(std::move(found)),
        hint_(std::move(hint)) {}

  [[nodiscard]] const std::string& file() const { return file_; }
  /// Dotted JSON path ("gtm.health_check.interval", "faults[0].at"); for a
  /// syntax error, "line L, column C".
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& expected() const { return expected_; }
  [[nodiscard]] const std::string& found() const { return found_; }
  [[nodiscard]] const std::string& hint() const { return hint_; }

 private:
  static std::string format(const std::string& file, const std::string& path, const std::string& expected,
                            const std::string& found, const std::string& hint) {
    std::string s = (file.empty() ? std::string("<model>") : file) + ": " + (path.empty() ? "(top level)" : path) +
                    ": expected " + expected + ", found " + found;
    if (!hint.empty()) s += " (" + hint + ")";
    return s;
  }
  std::string file_, path_, expected_, found_, hint_;
};

}  // namespace drsim
