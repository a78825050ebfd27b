#pragma once

namespace drsim {
/// The library version, "MAJOR.MINOR.PATCH".
const char* version();
}  // namespace drsim
