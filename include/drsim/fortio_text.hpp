// fortio's printing, for drsim's fortio formats (Result::fortio_summary and
// Result::fortio_json): Go's number and duration formats, which C's printf
// does not reproduce, and fortio's histogram text.
#pragma once

#include <cstdint>
#include <string>

#include "drsim/model/fortio_stats.hpp"

namespace drsim::fortio {

/// Go's %g with no precision: the shortest digits that read back as the same
/// double, exponent form when the exponent is < -4 or >= 6 ("1.234567e+06", "1e-05").
std::string go_g(double v);
/// Go's encoding/json float64: shortest digits, fixed unless |v| < 1e-6 or >= 1e21 ("1e-7").
std::string go_json(double v);
/// Go's time.Duration.String() of `ns` nanoseconds: "5m0s", "5.059691387s", "1h0m0s", "1.5ms".
std::string go_duration(std::int64_t ns);
/// fortio's HistogramData.Print: the counter line, "# range, mid point,
/// percentile, count", one line per bucket, "# target" lines; "MSG : no data" when empty.
std::string histogram_text(const std::string& msg, const FortioHistogramData& d);

}  // namespace drsim::fortio
