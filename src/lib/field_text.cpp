#include "field_text.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace drsim::detail {

namespace {

std::string number_text(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

std::string seconds_text(double s) { return to_string(Duration::from_seconds(s)); }

std::string distribution_text(const Distribution& d) {
  switch (d.kind()) {
    case Distribution::Kind::constant: return seconds_text(d.a());
    case Distribution::Kind::uniform: return "uniform " + seconds_text(d.a()) + ".." + seconds_text(d.b());
    case Distribution::Kind::exponential: return "exponential, mean " + seconds_text(d.a());
    case Distribution::Kind::normal: return "normal, mean " + seconds_text(d.a()) + ", stddev " + seconds_text(d.b());
    case Distribution::Kind::lognormal: {
      const double mean = d.mean();
      return "lognormal, mean " + seconds_text(mean) + ", stddev " +
             seconds_text(mean * std::sqrt(std::exp(d.b() * d.b()) - 1));
    }
    case Distribution::Kind::empirical: return "empirical";
  }
  return "?";
}

/// The field a placeholder path names, and the struct holding it.
struct Resolved {
  const Field* field = nullptr;
  const void* obj = nullptr;  // nullptr: an optional object on the way is absent
};

Resolved resolve(const FieldTable& table, const void* obj, const std::string& path) {
  const FieldTable* t = &table;
  const void* o = obj;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t dot = path.find('.', pos);
    std::string key = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    std::optional<std::size_t> index;
    if (const auto br = key.find('['); br != std::string::npos) {
      index = std::stoul(key.substr(br + 1));
      key = key.substr(0, br);
    }
    const Field* f = t->find(key);
    if (!f) throw std::logic_error("statement of " + table.name() + " names an unknown field " + path);
    if (dot == std::string::npos && !index) return {f, o};
    if (!o) return {f, nullptr};
    if (index) {
      if (!f->at || *index >= f->count(o)) return {f, nullptr};
      o = f->at(o, *index);
    } else {
      o = f->peek(o);
    }
    t = f->fields;
    if (dot == std::string::npos) return {nullptr, o};
    pos = dot + 1;
  }
}

}  // namespace

std::string format_value(const Field& f, const FieldValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return "none";
  switch (f.kind) {
    case FieldKind::choice: {
      const auto i = static_cast<std::size_t>(std::get<std::int64_t>(v));
      return i < f.names.size() ? f.names[i] : "?";
    }
    case FieldKind::rate: return number_text(std::get<double>(v)) + "/s";
    case FieldKind::cpu: return std::to_string(std::llround(std::get<double>(v) * 1000)) + "m";
    default: break;
  }
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return number_text(*d);
  if (const auto* d = std::get_if<Duration>(&v)) return to_string(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* d = std::get_if<Distribution>(&v)) return distribution_text(*d);
  return "?";
}

bool present(const FieldTable& table, const void* obj, const std::string& path) {
  const Resolved r = resolve(table, obj, path);
  if (!r.obj) return false;
  if (!r.field) return true;
  if (r.field->count) return r.field->count(r.obj) > 0;
  if (r.field->get) return !std::holds_alternative<std::monostate>(r.field->get(r.obj));
  return true;
}

std::optional<std::string> render(const FieldTable& table, const void* obj, const std::string& text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find('{', pos);
    if (open == std::string::npos) {
      out += text.substr(pos);
      break;
    }
    const std::size_t close = text.find('}', open);
    if (close == std::string::npos) throw std::logic_error("unclosed placeholder in \"" + text + "\"");
    out += text.substr(pos, open - pos);
    std::string spec = text.substr(open + 1, close - open - 1);
    pos = close + 1;
    if (const auto q = spec.find('?'); q != std::string::npos) {
      // {path?if present or true|otherwise}
      const std::string path = spec.substr(0, q), choices = spec.substr(q + 1);
      const auto bar = choices.find('|');
      const Resolved r = resolve(table, obj, path);
      bool yes = present(table, obj, path);
      if (yes && r.field && r.field->kind == FieldKind::boolean) yes = std::get<bool>(r.field->get(r.obj));
      out += yes ? choices.substr(0, bar) : (bar == std::string::npos ? "" : choices.substr(bar + 1));
      continue;
    }
    if (!spec.empty() && spec.back() == '#') {
      const Resolved r = resolve(table, obj, spec.substr(0, spec.size() - 1));
      out += std::to_string(r.obj && r.field && r.field->count ? r.field->count(r.obj) : 0);
      continue;
    }
    const auto colon = spec.find(':');
    const Resolved r = resolve(table, obj, spec.substr(0, colon));
    if (!r.obj || !r.field || !r.field->get) return std::nullopt;
    const FieldValue v = r.field->get(r.obj);
    if (colon != std::string::npos && spec.substr(colon + 1) == "phrase" && r.field->kind == FieldKind::choice) {
      out += r.field->phrases.at(static_cast<std::size_t>(std::get<std::int64_t>(v)));
    } else {
      out += format_value(*r.field, v);
    }
  }
  return out;
}

}  // namespace drsim::detail
