// The mesh section's checks across sections (private to the library).
#pragma once

#include "drsim/model/model_spec.hpp"
#include "drsim/scenario/model_file.hpp"
#include "field_reader.hpp"

namespace drsim::detail {

/// Checks the `mesh` section against the regions and the faults, turns its
/// names into indices and puts it in the spec; without one, refuses the
/// faults that need it.
void check_mesh(const ReadContext& ctx, const ModelFile& file, ModelSpec& spec);

}  // namespace drsim::detail
