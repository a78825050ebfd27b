// Units in model values: rates ("100/s", "6000/min", "2.5/ms") next to the
// durations of core/time.hpp.
#pragma once

#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "drsim/core/time.hpp"

namespace drsim {

/// Parses a rate "N/unit" into events per second; a bare number is per second.
inline double parse_rate(const std::string& text) {
  const auto slash = text.find('/');
  const std::string num = text.substr(0, slash);
  char* end = nullptr;
  const double n = std::strtod(num.c_str(), &end);
  if (num.empty() || end != num.c_str() + num.size() || !(n >= 0) || !std::isfinite(n))
    throw std::invalid_argument("invalid rate \"" + text + "\" (expected e.g. \"100/s\", \"6000/min\")");
  if (slash == std::string::npos) return n;
  const std::string unit = text.substr(slash + 1);
  Duration per;
  if (unit == "s" || unit == "sec") per = Duration::seconds(1);
  else if (unit == "min" || unit == "m") per = Duration::seconds(60);
  else if (unit == "h") per = Duration::seconds(3600);
  else if (unit == "ms") per = Duration::milliseconds(1);
  else throw std::invalid_argument("invalid rate \"" + text + "\": unknown unit \"" + unit + "\" (s, min, h, ms)");
  return n / per.seconds_f();
}

}  // namespace drsim
