// A scenario: a model file (JSON) with its overrides, and the typed model
// built from it.
//
//   auto sc = drsim::Scenario::load("models/asm-gtm-drill.json");
//   sc.set("gtm.ttl", "30s");                      // any field of the model reference
//   sc.set("regions.region-2.gateway.address", "203.0.113.9");  // arrays by element name
//
// Every value is checked when loaded or set; a problem raises ModelError
// naming the file, the JSON path, what was expected and what was found.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drsim/model/model_spec.hpp"
#include "drsim/scenario/model_error.hpp"

namespace drsim {

/// A headline assumption the result states ("client: fortio-first (...)").
struct Assumption {
  std::string key;
  std::string value;
};

/// One override: the value text at a dotted path (as `--set path=value`).
struct Override {
  std::string path;
  std::string value;
};

class Scenario {
 public:
  /// Reads and checks a model file.
  static Scenario load(const std::string& path);
  /// Checks a model given as JSON text; `name` stands for the file in errors.
  static Scenario from_json(const std::string& text, const std::string& name = "<string>");

  /// Overrides one value by dotted path; arrays are entered by element name
  /// ("regions.region-2.gateway.replicas"). The field's kind in the model
  /// reference says how `value` reads: text for durations, rates, names and
  /// choices ("30s", "100/s", "fortio-rr"), JSON for numbers, booleans and
  /// objects ("4", "true", "{...}"); for a path the reference does not know,
  /// JSON when it parses, else text.
  Scenario& set(const std::string& path, const std::string& value);
  /// Applies every override, then checks the model once: values that only
  /// make sense together (a gateway's replicas and its HPA bounds) may come
  /// in any order. On error the scenario is left as it was.
  Scenario& set(const std::vector<Override>& overrides);

  /// The value at a dotted path in the model document, as override text
  /// (strings as they are, anything else as JSON); nullopt where the file
  /// has nothing there.
  [[nodiscard]] std::optional<std::string> value_at(const std::string& path) const;

  [[nodiscard]] const ModelSpec& spec() const { return spec_; }
  /// The model document (every override applied) as JSON text.
  [[nodiscard]] std::string to_json(int indent = 2) const;
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] const std::vector<std::string>& notes() const { return notes_; }
  [[nodiscard]] const std::vector<Assumption>& assumptions() const { return assumptions_; }
  [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }
  /// Names of the regions, in model order (series columns).
  [[nodiscard]] std::vector<std::string> region_names() const;

  struct Document;  // the JSON document, kept out of this header

 private:
  Scenario() = default;
  void rebuild();

  std::shared_ptr<const Document> doc_;  // immutable: set() makes a new one, copies share it
  std::string file_;
  std::string name_;
  ModelSpec spec_;
  std::vector<std::string> notes_;
  std::vector<Assumption> assumptions_;
  std::vector<std::string> warnings_;
};

}  // namespace drsim
