// Field values as people read them: defaults in the model reference, values
// in the result's assumption lines. Private to the library.
#pragma once

#include <optional>
#include <string>

#include "drsim/core/fields.hpp"

namespace drsim::detail {

/// A value as the model file would write it ("15s", "tcp", "exponential, mean 2ms").
std::string format_value(const Field& f, const FieldValue& v);

/// A FieldTable::Statement's text with its placeholders filled from `obj`
/// (see FieldTable::Statement); nullopt when its `when` field is absent.
std::optional<std::string> render(const FieldTable& table, const void* obj, const std::string& text);
bool present(const FieldTable& table, const void* obj, const std::string& path);

}  // namespace drsim::detail
