// The model reference from the field tables: `drsim explain` and
// docs/model-reference.md.
#include "drsim/scenario/reference.hpp"

#include <cmath>
#include <functional>
#include <sstream>
#include <stdexcept>

#include "drsim/model/metrics.hpp"
#include "drsim/model/outcome.hpp"
#include "drsim/scenario/model_file.hpp"
#include "field_reader.hpp"
#include "field_text.hpp"

namespace drsim {

namespace {

std::string number_text(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

/// Visits every field depth first: (its path, the field, its table).
void walk(const FieldTable& table, const std::string& prefix,
          const std::function<void(const std::string&, const Field&, const FieldTable&)>& visit) {
  for (const Field& f : table.fields()) {
    const std::string path = prefix.empty() ? f.key : prefix + "." + f.key;
    visit(path, f, table);
    if (f.fields && f.is_container()) walk(*f.fields, f.kind == FieldKind::object ? path : path + "[]", visit);
  }
}

std::string source_text(const Field& f) {
  if (!f.source.empty()) return f.source;
  return f.kind == FieldKind::object || f.kind == FieldKind::objects || f.kind == FieldKind::named_objects ? "" : "-";
}

std::string only_text(const Field& f) {
  if (f.only_for.empty()) return "";
  return " (" + detail::join_list(f.only_for) + " only)";
}

std::string escape_cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

}  // namespace

std::string kind_text(const Field& f) {
  std::string k(name_of(f.kind));
  if (f.kind == FieldKind::text) k = "string";
  if (f.kind == FieldKind::objects) k = "array of objects";
  if (f.kind == FieldKind::named_objects) k = "array of objects with a unique name";
  const bool has_lo = std::isfinite(f.lo), has_hi = std::isfinite(f.hi);
  switch (f.kind) {
    case FieldKind::integer: {
      const bool real_lo = has_lo && f.lo > -2147483648.0, real_hi = has_hi && f.hi < 4294967295.0;
      if (real_lo && real_hi) k += " " + number_text(f.lo) + ".." + number_text(f.hi);
      else if (real_lo) k += " >= " + number_text(f.lo);
      else if (real_hi) k += " <= " + number_text(f.hi);
      break;
    }
    case FieldKind::number:
      if (has_lo && has_hi) k += " " + number_text(f.lo) + ".." + number_text(f.hi);
      else if (has_lo) k += (f.lo_open ? " > " : " >= ") + number_text(f.lo);
      break;
    case FieldKind::share: k += " 0..1"; break;
    case FieldKind::duration:
      if (f.lo_open && f.lo == 0) k += " > 0";
      else if (has_lo && f.lo > 0) k += " >= " + to_string(Duration::from_seconds(f.lo));
      else k += " >= 0";
      break;
    case FieldKind::choice: k = detail::join_list(f.names); break;
    case FieldKind::object:
      if (f.fields && f.fields->preset() && f.fields->preset()->bare_name)
        k = "object, or a preset name (" + detail::join_list(f.fields->preset()->names) + ")";
      break;
    case FieldKind::reference:
    case FieldKind::custom:
      if (!f.form.empty()) k = f.form;
      break;
    default: break;
  }
  if (!f.unit.empty() && f.kind != FieldKind::choice) k += " (" + f.unit + ")";
  if (f.required) k += ", required";
  return k;
}

std::string default_text(const Field& f) {
  if (!f.default_note.empty()) return f.default_note;
  if (f.required) return "required";
  if (f.is_container()) return f.optional ? "absent" : "";
  if (!f.get) return "-";
  if (std::holds_alternative<std::monostate>(f.default_value)) return "none";
  const std::string v = detail::format_value(f, f.default_value);
  return f.kind == FieldKind::text ? "\"" + v + "\"" : v;
}

std::vector<ReferenceEntry> model_fields() {
  std::vector<ReferenceEntry> out;
  walk(fields_of<ModelFile>(), "", [&](const std::string& path, const Field& f, const FieldTable& t) {
    out.push_back({path, &f, &t});
  });
  return out;
}

const Field* field_at(const std::string& path) {
  // A reference path ("regions[].gateway.replicas") first.
  for (const auto& e : model_fields())
    if (e.path == path) return e.field;
  // An override path: arrays of named objects are entered by element name.
  const FieldTable* table = &fields_of<ModelFile>();
  const Field* field = nullptr;
  bool expect_name = false;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t dot = path.find('.', pos);
    const std::string key = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (expect_name) {
      expect_name = false;
      if (dot == std::string::npos) return nullptr;  // a whole element, not a field
    } else {
      if (!table) return nullptr;
      field = table->find(key);
      if (!field) return nullptr;
      if (field->kind == FieldKind::named_objects) expect_name = true;
      table = field->is_container() ? field->fields : nullptr;
    }
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return expect_name ? nullptr : field;
}

std::string explain_field(const std::string& path) {
  const Field* f = field_at(path);
  std::string ref_path = path;
  if (f) {
    for (const auto& e : model_fields())
      if (e.field == f) ref_path = e.path;
  } else {
    std::vector<std::string> paths;
    for (const auto& e : model_fields()) paths.push_back(e.path);
    throw std::invalid_argument("no field \"" + path + "\" in the model reference (did you mean \"" +
                                detail::nearest(path, paths) + "\"? `drsim explain` lists every path)");
  }
  std::ostringstream os;
  os << ref_path << "\n";
  os << "  kind     " << kind_text(*f) << only_text(*f) << "\n";
  if (!f->unit.empty()) os << "  unit     " << f->unit << "\n";
  const std::string def = default_text(*f);
  if (!def.empty()) os << "  default  " << def << "\n";
  if (!f->meaning.empty()) os << "  meaning  " << f->meaning << "\n";
  const std::string src = source_text(*f);
  if (!src.empty()) os << "  source   " << src << "\n";
  if (!f->alias_of.empty()) os << "  renamed  to " << f->alias_of << " (the old name still reads, with a warning)\n";
  if (f->fields && f->is_container()) {
    os << "  fields  ";
    for (const Field& sub : f->fields->fields()) os << " " << sub.key;
    os << "\n";
  }
  return os.str();
}

std::string explain_paths() {
  std::ostringstream os;
  for (const auto& e : model_fields()) {
    os << e.path << "  " << kind_text(*e.field) << only_text(*e.field);
    const std::string def = default_text(*e.field);
    if (!def.empty() && def != "required" && !e.field->is_container()) os << "; default " << def;
    os << "\n";
  }
  return os.str();
}

namespace {

void table_section(std::ostringstream& os, const FieldTable& table, const std::string& prefix, int level) {
  os << std::string(static_cast<std::size_t>(level), '#') << " " << (prefix.empty() ? "Top level" : "`" + prefix + "`")
     << "\n\n";
  if (!table.meaning().empty()) os << table.meaning() << ".\n\n";
  if (table.preset()) {
    os << "`preset` (one of " << detail::join_list(table.preset()->names)
       << ") sets every field below to the preset's value before the others are read"
       << (table.preset()->bare_name ? "; the value may also be just the preset's name" : "") << ".\n\n";
  }
  if (!table.discriminator().empty())
    os << "`" << table.discriminator() << "` selects which fields apply; the others are rejected as unknown.\n\n";
  os << "| field | kind | default | meaning | source |\n|---|---|---|---|---|\n";
  std::vector<std::pair<std::string, const Field*>> nested;
  for (const Field& f : table.fields()) {
    const std::string path = prefix.empty() ? f.key : prefix + "." + f.key;
    std::string meaning = f.meaning;
    if (f.fields && f.is_container()) {
      const std::string sub = f.kind == FieldKind::object ? path : path + "[]";
      meaning += std::string(meaning.empty() ? "" : "; ") + "see `" + sub + "`";
      nested.emplace_back(sub, &f);
    }
    if (!f.alias_of.empty()) meaning = "old name of `" + f.alias_of + "` (reads with a warning)";
    const std::string def = f.required ? "-" : default_text(f);
    os << "| `" << f.key << "` | " << escape_cell(kind_text(f) + only_text(f)) << " | " << escape_cell(def)
       << " | " << escape_cell(meaning) << " | " << escape_cell(source_text(f)) << " |\n";
  }
  os << "\n";
  if (const auto& preset = table.preset(); preset && table.make()) {
    // Each preset's values, read from the preset itself.
    std::vector<const Field*> cols;
    for (const Field& f : table.fields())
      if (f.get && !f.is_container() && f.key != "name") cols.push_back(&f);
    os << "| preset |";
    for (const Field* c : cols) os << " `" << c->key << "` |";
    os << "\n|---|";
    for (std::size_t i = 0; i < cols.size(); ++i) os << "---|";
    os << "\n";
    for (const auto& name : preset->names) {
      const auto obj = table.make();
      preset->apply(obj.get(), name, true);
      os << "| `" << name << "` |";
      for (const Field* c : cols) os << " " << escape_cell(detail::format_value(*c, c->get(obj.get()))) << " |";
      os << "\n";
    }
    os << "\n| preset | where its values come from |\n|---|---|\n";
    for (std::size_t i = 0; i < preset->names.size(); ++i)
      os << "| `" << preset->names[i] << "` | " << escape_cell(i < preset->sources.size() ? preset->sources[i] : "-")
         << " |\n";
    os << "\n";
  }
  for (const auto& [sub, f] : nested) table_section(os, *f->fields, sub, std::min(level + 1, 4));
}

}  // namespace

std::string explain_markdown() {
  std::ostringstream os;
  os << "# Model reference\n\n"
        "Every field a model file may hold, with its kind, default, meaning and the public source of the default. "
        "This file is generated from the field tables declared beside each component "
        "(`include/drsim/model/*.hpp`, `include/drsim/scenario/model_file.hpp`) by `drsim explain --markdown`; a "
        "test fails when it differs from that output, so edit the tables, not this file. `drsim explain PATH` "
        "prints one field.\n\n"
        "Value syntax (durations, rates, CPU, distributions) is in [file-format.md](file-format.md). A field no table "
        "declares is an error that names the nearest valid field. **Source** is a URL or `repository:path@tag` of the "
        "system the value comes from; \"assumption\" means drsim chose it and no public source backs it; \"-\" means "
        "the field has no default to source; \"drsim convention\" marks a default that is a naming or bookkeeping choice, "
        "not a claim about a real system. Paths use `[]` for array elements: "
        "`regions[].gateway.replicas` is the `replicas` of the `gateway` of any element of `regions`.\n\n";
  table_section(os, fields_of<ModelFile>(), "", 2);

  os << "## Overrides\n\n"
        "`drsim run --set PATH=VALUE` (repeatable), `Scenario::set(path, value)` and Python's "
        "`Scenario.with_overrides({path: value})` change one value of the model document and check the whole model "
        "again.\n\n"
        "- PATH is dotted. Arrays of named objects are entered by the element's `name`: "
        "`regions.region-2.gateway.replicas`, `clients.fortio.profile`, `resolvers.isp.caches`. Arrays whose elements "
        "have no name (`faults`, `gtm.pools.primary`) can only be replaced whole: `--set 'faults=[]'`.\n"
        "- Missing objects on the way are created: `--set regions.region-1.gateway.hpa.max_replicas=10` on a gateway "
        "without `hpa` adds an HPA with every other field at its default.\n"
        "- VALUE is read by the field's kind: durations, rates, CPU quantities, names and choices as text (`30s`, "
        "`100/s`, `fortio-rr`), numbers, booleans, objects and arrays as JSON. A bare number where a duration belongs "
        "(`gtm.ttl=60`) is an error that suggests `60s`. For a path no table declares, VALUE is JSON when it parses, "
        "else text.\n"
        "- From the CLI each `--set` is checked on its own, in order; `Scenario::set` with a list (Python's "
        "`with_overrides`) applies them all and checks once.\n\n";

  os << "## Outcome causes\n\n"
        "How a request ends (`include/drsim/model/outcome.hpp`); fortio counts every socket-level error as -1.\n\n"
        "| cause | fortio code | produced when |\n|---|---|---|\n";
  for (std::size_t c = 0; c < kCauseCount; ++c)
    os << "| `" << kCauseNames[c] << "` | " << fortio_code(static_cast<Cause>(c)) << " | " << kCauseMeanings[c] << " |\n";
  os << "\n## Result figures\n\n"
        "Each replication's figures (`headline_figures`, `src/lib/run.cpp`); `--replications N` reports their mean and "
        "95 % Student-t interval, clipped to the figure's range (0 to 100 for a share of requests in %, at least 0 "
        "for the rest), and the summary of `drsim.result/1` holds replication 0's values.\n\n"
        "| figure | definition |\n|---|---|\n";
  for (const auto& d : kFigureDefinitions) os << "| `" << d.name << "` | " << d.definition << " |\n";
  os << "\n## Errors\n\n"
        "A bad model file or override exits with code 2 and names the file, the JSON path, what was expected and "
        "what was found (`ModelError`). Limits the components check themselves (an HPA the API server would "
        "refuse, a token bucket Envoy would refuse, a call graph with a cycle) are checked when the model is read, "
        "with the same message; a component that still meets a parameter it cannot work with throws "
        "`ParameterError` (`include/drsim/core/error.hpp`), also exit code 2.\n";
  return os.str();
}

}  // namespace drsim
