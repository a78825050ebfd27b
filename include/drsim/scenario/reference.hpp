// The model reference, read from the field tables: every path a model file
// may hold, with its kind, unit, range, default, meaning and source.
//
//   drsim::field_at("gtm.health_check.interval")->source;   // an override path
//   std::cout << drsim::explain_markdown();                  // docs/model-reference.md
#pragma once

#include <string>
#include <vector>

#include "drsim/core/fields.hpp"

namespace drsim {

/// One field of the reference and where it sits ("regions[].gateway.hpa.min_replicas").
struct ReferenceEntry {
  std::string path;
  const Field* field = nullptr;
  const FieldTable* table = nullptr;  // the table declaring it
};

/// Every field of a model file, depth first in file order.
std::vector<ReferenceEntry> model_fields();

/// The field at an override path (arrays entered by element name:
/// "regions.region-2.gateway.replicas") or a reference path
/// ("regions[].gateway.replicas"); nullptr when no table declares it.
const Field* field_at(const std::string& path);

/// `drsim explain PATH`: kind, unit, range, default, meaning and source of
/// one field. Throws std::invalid_argument (with the nearest path) for an
/// unknown one.
std::string explain_field(const std::string& path);
/// `drsim explain`: one line per path, the path first.
std::string explain_paths();
/// `drsim explain --markdown`: docs/model-reference.md.
std::string explain_markdown();

/// A field's kind with its unit and range, as the reference writes it
/// ("duration > 0 (s)", "integer 1..100 (consecutive failures)").
std::string kind_text(const Field& f);
/// Its default as the reference writes it.
std::string default_text(const Field& f);

}  // namespace drsim
