// Architectures x faults: which architecture fails fewer requests for which
// failure. A plan (a JSON file: models/compare/mesh-architectures.json) names
// each architecture as overrides of one model and each fault as a fault
// object; compare() runs every pair with the same seeds (common random
// numbers) and reports failed % with its 95 % interval, and the mesh's
// ejections and retries.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "drsim/core/stats.hpp"
#include "drsim/run.hpp"
#include "drsim/scenario/scenario.hpp"

namespace drsim {

struct ComparePlan {
  struct Architecture {
    std::string name, title;
    std::vector<Override> sets;  ///< override path -> value text
  };
  struct Fault {
    std::string name;
    std::string json;  ///< the fault object, its `at` added from the plan's
  };
  std::string at_json;  ///< when every fault starts, as a fault's `at`
  std::vector<Architecture> architectures;
  std::vector<Fault> faults;
};

/// Reads a plan; a bad one is a ModelError naming the file and JSON path.
ComparePlan load_compare_plan(const std::string& path);

struct CompareRow {
  std::string fault, architecture;
  ConfidenceInterval failed_pct;
  double ejections = std::numeric_limits<double>::quiet_NaN();  ///< means; NaN without a mesh section
  double retries = std::numeric_limits<double>::quiet_NaN();
};

/// Every fault under every architecture, fault-major, each fault replacing the model's.
std::vector<CompareRow> compare(const Scenario& base, const ComparePlan& plan, const RunOptions& options);

/// A text table: fault, then failed % [95 % interval] per architecture.
std::string compare_report(const ComparePlan& plan, const std::vector<CompareRow>& rows);
std::string compare_json(const std::vector<CompareRow>& rows, int indent = 2);

}  // namespace drsim
