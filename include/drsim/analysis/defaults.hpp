// Default replication counts of the analyses, declared once: the CLI's
// options, its usage text and the Python package's default arguments
// (through the _drsim extension) all read them from here.
#pragma once

namespace drsim {

/// Replications per point of a sweep (drsim sweep, drsim.sweep).
inline constexpr int kSweepReplications = 20;
/// Replications per probe of the target solver (drsim solve, drsim.solve).
inline constexpr int kSolveReplications = 50;
/// Replications per point of a sensitivity study (drsim sensitivity, drsim.sensitivity).
inline constexpr int kSensitivityReplications = 50;
/// Replications per candidate point of a calibration (drsim calibrate, drsim.calibrate).
inline constexpr int kCalibrateReplications = 50;

}  // namespace drsim
