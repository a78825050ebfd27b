// The one reader of model files: walks a FieldTable over a JSON object,
// converts and range-checks every value by its kind, rejects fields no
// table declares (with the nearest valid name), and hands the forms a table
// cannot describe (name references, either-or values) to hooks the scenario
// reader registers. Private to the library: nlohmann_json stays out of the
// public headers.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "drsim/core/fields.hpp"
#include "drsim/core/time.hpp"
#include "drsim/scenario/model_error.hpp"

namespace drsim::detail {

using nlohmann::json;

std::size_t edit_distance(const std::string& a, const std::string& b);
std::string nearest(const std::string& word, const std::vector<std::string>& options);
/// "string \"x\"", "number 4", "an object": what a value is, for messages.
std::string describe(const json& j);
/// A path segment as messages show it: control characters escaped (a NUL
/// would cut the message short).
std::string printable(const std::string& text);
std::string join(const std::string& path, const std::string& key);
std::string join_list(const std::vector<std::string>& items);

/// A hand-written reader for one field: (value, its JSON path, the struct).
using FieldHook = std::function<void(const json&, const std::string&, void*)>;

struct ReadContext {
  std::string file;
  std::vector<std::string>* warnings = nullptr;
  /// Hooks by "<table name>/<key>", e.g. "gtm.health_check/nodes".
  std::map<std::string, FieldHook> hooks;

  [[noreturn]] void fail(const std::string& path, const std::string& expected, const std::string& found,
                         const std::string& hint = {}) const {
    throw ModelError(file, path, expected, found, hint);
  }
};

/// Rejects every field of `obj` not in `known`, with the nearest known name.
void reject_unknown(const ReadContext& ctx, const json& obj, const std::string& path, const std::vector<std::string>& known);

/// Reads `j` into the struct `obj` of `table`: fields present are set,
/// fields absent keep the struct's value (its default, or a preset's).
void read_object(const ReadContext& ctx, const FieldTable& table, const json& j, const std::string& path, void* obj);

/// What a field's value must look like ("a positive duration like ...").
std::string expected_of(const Field& f);

/// One value of a field's kind, converted and range-checked.
FieldValue read_value(const ReadContext& ctx, const Field& f, const json& v, const std::string& path);

// Value forms shared with the hand-written reader.
Duration read_duration(const ReadContext& ctx, const json& v, const std::string& path, bool allow_zero = true);
double read_rate(const ReadContext& ctx, const json& v, const std::string& path);
Distribution read_distribution(const ReadContext& ctx, const json& v, const std::string& path);

/// A JSON parser callback that refuses a key given twice in one object
/// (nlohmann keeps the last; a model file that says two things is wrong),
/// naming the key's JSON path.
class DuplicateKeys {
 public:
  explicit DuplicateKeys(std::string file);
  [[nodiscard]] json::parser_callback_t callback() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// An override's text as JSON, typed by the field at its path when there is
/// one (a duration stays text, an integer becomes a number), else JSON when
/// it parses and text otherwise.
json override_json(const Field* field, const std::string& text);

}  // namespace drsim::detail
