#include "drsim/version.hpp"

namespace drsim {
const char* version() { return "0.1.0"; }
}  // namespace drsim
