// The one error type model components throw for a parameter they cannot
// work with: a negative replica count, a probe interval of zero, a cycle in
// a call graph, a preset that does not exist. The scenario reader checks
// model files and overrides first, so a valid model never meets one; what a
// bad file or override gets is a ModelError (scenario/model_error.hpp), with
// the file and the JSON path.
#pragma once

#include <stdexcept>

namespace drsim {

class ParameterError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace drsim
