// The parts of the _drsim extension, each binding one area of the C++ API.
#pragma once

#include <pybind11/pybind11.h>

namespace drsim::python {

/// Sweeps, the target solver, sensitivity and the default replication counts (analysis.cpp).
void bind_analysis(pybind11::module_& m);

}  // namespace drsim::python
