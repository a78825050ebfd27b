// The generic reader of model files over the field tables (see field_reader.hpp).
#include "field_reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <stdexcept>

#include "drsim/scenario/units.hpp"

namespace drsim::detail {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string nearest(const std::string& word, const std::vector<std::string>& options) {
  std::string best;
  std::size_t best_d = SIZE_MAX;
  for (const auto& o : options) {
    const std::size_t d = edit_distance(word, o);
    if (d < best_d) {
      best_d = d;
      best = o;
    }
  }
  return best;
}

std::string describe(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return std::string("boolean ") + (j.get<bool>() ? "true" : "false");
    case json::value_t::string: return "string " + j.dump();
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "number " + j.dump();
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    default: return j.dump();
  }
}

std::string printable(const std::string& text) {
  if (text.empty()) return "\"\"";  // an empty key still shows in a path
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? printable(key) : path + "." + printable(key);
}

void reject_unknown(const ReadContext& ctx, const json& obj, const std::string& path, const std::vector<std::string>& known) {
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      ctx.fail(join(path, it.key()), "a known field", "unknown field " + json(it.key()).dump(),
               known.empty() ? "" : "did you mean \"" + nearest(it.key(), known) + "\"?");
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

namespace {

std::string number_text(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

std::string element(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

const char* kDurationForm = "like \"15s\", \"250ms\" or \"1m30s\"";

/// "did you mean \"60s\"?" for a bare number where a duration belongs.
std::string seconds_hint(const json& v) {
  std::string n;
  if (v.is_number()) n = v.dump();
  else if (v.is_string()) n = v.get<std::string>();
  char* end = nullptr;
  std::strtod(n.c_str(), &end);
  if (n.empty() || end != n.c_str() + n.size()) return {};
  return "did you mean \"" + n + "s\"?";
}

/// Sets the struct to a preset named by `v`.
void apply_preset(const ReadContext& ctx, const PresetRule& rule, const json& v, const std::string& path, void* obj,
                  bool whole) {
  const std::string expected = "one of " + join_list(rule.names);
  if (!v.is_string()) ctx.fail(path, expected, describe(v));
  const std::string name = v.get<std::string>();
  if (std::find(rule.names.begin(), rule.names.end(), name) == rule.names.end())
    ctx.fail(path, expected, describe(v), "did you mean \"" + nearest(name, rule.names) + "\"?");
  rule.apply(obj, name, whole);
}

void read_field(const ReadContext& ctx, const FieldTable& table, const Field& f, const json& v, const std::string& path,
                void* obj) {
  if (auto hook = ctx.hooks.find(table.name() + "/" + f.key); hook != ctx.hooks.end()) {
    hook->second(v, path, obj);
    return;
  }
  switch (f.kind) {
    case FieldKind::object: read_object(ctx, *f.fields, v, path, f.enter(obj)); return;
    case FieldKind::objects: {
      if (!v.is_array()) ctx.fail(path, "an array of objects", describe(v));
      if (f.required && v.empty()) ctx.fail(path, "at least one element", "an empty array");
      f.clear(obj);
      for (std::size_t i = 0; i < v.size(); ++i) read_object(ctx, *f.fields, v[i], element(path, i), f.append(obj));
      return;
    }
    case FieldKind::named_objects: {
      if (!v.is_array()) ctx.fail(path, "an array", describe(v));
      if (f.required && v.empty()) ctx.fail(path, "at least one element", "an empty array");
      const Field* name_field = f.fields->find("name");
      std::set<std::string> seen;
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string ep = element(path, i);
        const json& e = v[i];
        if (!e.is_object()) ctx.fail(ep, "an object", describe(e));
        auto n = e.find("name");
        if (n == e.end()) ctx.fail(join(ep, "name"), "a string", "nothing (the field is required)");
        if (!n->is_string()) ctx.fail(join(ep, "name"), "a string", describe(*n));
        const std::string name = n->get<std::string>();
        if (!seen.insert(name).second) ctx.fail(join(ep, "name"), "a unique name", "a second \"" + name + "\"");
        // An element of that name already there (from a preset) is changed, not repeated.
        void* target = nullptr;
        for (std::size_t k = 0; k < f.count(obj) && !target; ++k) {
          void* existing = const_cast<void*>(f.at(obj, k));
          if (std::get<std::string>(name_field->get(existing)) == name) target = existing;
        }
        read_object(ctx, *f.fields, e, ep, target ? target : f.append(obj));
      }
      return;
    }
    default: break;
  }
  if (!f.set) throw std::logic_error("field " + table.name() + "/" + f.key + " has no reader");
  f.set(obj, read_value(ctx, f, v, path));
}

}  // namespace

Duration read_duration(const ReadContext& ctx, const json& v, const std::string& path, bool allow_zero) {
  const std::string expected = std::string(allow_zero ? "a duration " : "a positive duration ") + kDurationForm;
  if (!v.is_string()) ctx.fail(path, expected, describe(v), seconds_hint(v));
  Duration d;
  try {
    d = parse_duration(v.get<std::string>());
  } catch (const TimeError& e) {
    const std::string hint = seconds_hint(v);
    ctx.fail(path, expected, describe(v), hint.empty() ? e.what() : hint);
  }
  if (d.is_negative()) ctx.fail(path, expected, describe(v) + " (negative)");
  if (!allow_zero && d == Duration::zero()) ctx.fail(path, expected, describe(v) + " (zero)");
  if (d.seconds_f() > kMaxModelSeconds)
    ctx.fail(path, expected + " of at most " + to_string(Duration::from_seconds(kMaxModelSeconds)) + " (100 days)",
             describe(v));
  return d;
}

double read_rate(const ReadContext& ctx, const json& v, const std::string& path) {
  const std::string expected = "a rate like \"100/s\" or \"6000/min\", at most 1e7/s";
  double r = 0;
  if (v.is_number()) {
    r = v.get<double>();
  } else if (v.is_string()) {
    try {
      r = parse_rate(v.get<std::string>());
    } catch (const std::invalid_argument& e) {
      ctx.fail(path, expected, describe(v), e.what());
    }
  } else {
    ctx.fail(path, expected, describe(v));
  }
  if (!(r >= 0) || r > kMaxRatePerSecond) ctx.fail(path, expected, describe(v));
  return r;
}

Distribution read_distribution(const ReadContext& ctx, const json& v, const std::string& path) {
  // A bare duration (or number of seconds) is a constant; otherwise {"kind": params}.
  auto secs = [&](const json& x, const std::string& p) {
    if (x.is_number()) {
      if (!(x.get<double>() >= 0 && x.get<double>() <= kMaxModelSeconds))
        ctx.fail(p, "a number of seconds from 0 to 8640000 (100 days), or a duration", describe(x));
      return x.get<double>();
    }
    return read_duration(ctx, x, p).seconds_f();
  };
  if (v.is_string() || v.is_number()) return Distribution::constant(secs(v, path));
  const std::string expected =
      "a duration or one of {\"constant\": d}, {\"uniform\": [lo, hi]}, {\"exponential\": mean}, "
      "{\"normal\": {\"mean\", \"stddev\"}}, {\"lognormal\": {\"mean\", \"stddev\"}}, {\"empirical\": [...]}";
  if (!v.is_object() || v.size() != 1) ctx.fail(path, expected, describe(v));
  const std::string kind = v.begin().key();
  const json& p = v.begin().value();
  const std::string pp = join(path, kind);
  try {
    if (kind == "constant") return Distribution::constant(secs(p, pp));
    if (kind == "exponential") {
      const double m = secs(p, pp);
      if (m <= 0) ctx.fail(pp, "a positive mean", describe(p));
      return Distribution::exponential(m);
    }
    if (kind == "uniform") {
      if (!p.is_array() || p.size() != 2) ctx.fail(pp, "[lo, hi]", describe(p));
      const double lo = secs(p[0], pp + "[0]"), hi = secs(p[1], pp + "[1]");
      if (hi < lo) ctx.fail(pp, "hi >= lo", describe(p));
      return Distribution::uniform(lo, hi);
    }
    if (kind == "normal" || kind == "lognormal") {
      if (!p.is_object()) ctx.fail(pp, "an object", describe(p));
      for (const char* k : {"mean", "stddev"})
        if (!p.contains(k)) ctx.fail(join(pp, k), "a duration", "nothing (the field is required)");
      reject_unknown(ctx, p, pp, {"mean", "stddev"});
      const double mean = secs(p["mean"], join(pp, "mean")), sd = secs(p["stddev"], join(pp, "stddev"));
      if (kind == "lognormal" && mean <= 0) ctx.fail(join(pp, "mean"), "a positive mean", describe(p["mean"]));
      return kind == "normal" ? Distribution::normal(mean, sd) : Distribution::lognormal(mean, sd);
    }
    if (kind == "empirical") {
      if (!p.is_array() || p.empty()) ctx.fail(pp, "a non-empty array of durations", describe(p));
      std::vector<double> xs;
      for (std::size_t i = 0; i < p.size(); ++i) xs.push_back(secs(p[i], element(pp, i)));
      return Distribution::empirical(xs);
    }
  } catch (const DistributionError& e) {
    ctx.fail(pp, expected, describe(p), e.what());
  }
  ctx.fail(path, expected, "unknown distribution \"" + kind + "\"",
           "did you mean \"" +
               nearest(kind, {"constant", "uniform", "exponential", "normal", "lognormal", "empirical"}) + "\"?");
}

std::string expected_of(const Field& f) {
  std::string e;
  const bool has_lo = std::isfinite(f.lo), has_hi = std::isfinite(f.hi);
  switch (f.kind) {
    case FieldKind::boolean: e = "true or false"; break;
    case FieldKind::integer: {
      e = "a whole number";
      if (!f.unit.empty()) e += " of " + f.unit;
      // Type limits (int32, uint32, ...) are not worth stating.
      const bool real_lo = has_lo && f.lo > -2147483648.0, real_hi = has_hi && f.hi < 4294967295.0;
      if (real_lo) e += " >= " + number_text(f.lo);
      if (real_hi) e += std::string(real_lo ? " (at most " : " at most ") + number_text(f.hi) + (real_lo ? ")" : "");
      break;
    }
    case FieldKind::number:
      e = "a number";
      if (has_lo && has_hi) e += " in [" + number_text(f.lo) + ", " + number_text(f.hi) + "]";
      else if (has_lo) e += (f.lo_open ? " > " : " >= ") + number_text(f.lo);
      break;
    case FieldKind::share: e = "a share between 0 and 1"; break;
    case FieldKind::duration:
      if (f.lo_open && f.lo == 0) e = std::string("a positive duration ") + kDurationForm;
      else if (has_lo && f.lo > 0)
        e = "a duration of at least " + to_string(Duration::from_seconds(f.lo)) + " " + kDurationForm;
      else e = std::string("a duration ") + kDurationForm;
      if (has_hi && f.hi < kMaxModelSeconds) e += ", at most " + to_string(Duration::from_seconds(f.hi));
      break;
    case FieldKind::rate: e = "a rate like \"100/s\" or \"6000/min\""; break;
    case FieldKind::text: e = "a string"; break;
    case FieldKind::choice: e = "one of " + join_list(f.names); break;
    case FieldKind::distribution: e = "a duration or a distribution like {\"exponential\": \"2ms\"}"; break;
    case FieldKind::cpu: e = "a CPU quantity like \"100m\" or \"0.5\""; break;
    case FieldKind::object: e = "an object"; break;
    case FieldKind::objects:
    case FieldKind::named_objects: e = "an array"; break;
    default: e = f.form.empty() ? "a value" : f.form; break;
  }
  if (!f.expect.empty()) e += " " + f.expect;
  return e;
}

FieldValue read_value(const ReadContext& ctx, const Field& f, const json& v, const std::string& path) {
  const auto out_of_range = [&](double x) { return x < f.lo || x > f.hi || (f.lo_open && x == f.lo); };
  switch (f.kind) {
    case FieldKind::boolean:
      if (!v.is_boolean()) ctx.fail(path, expected_of(f), describe(v));
      return v.get<bool>();
    case FieldKind::integer: {
      if (!v.is_number_integer() && !v.is_number_unsigned()) ctx.fail(path, expected_of(f), describe(v));
      if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
        ctx.fail(path, expected_of(f), describe(v));
      const auto x = v.get<std::int64_t>();
      if (out_of_range(static_cast<double>(x))) ctx.fail(path, expected_of(f), describe(v));
      return x;
    }
    case FieldKind::number:
    case FieldKind::share: {
      if (!v.is_number()) ctx.fail(path, expected_of(f), describe(v));
      const double x = v.get<double>();
      if (!(x == x) || out_of_range(x)) ctx.fail(path, expected_of(f), describe(v));
      return x;
    }
    case FieldKind::duration: {
      const Duration d = read_duration(ctx, v, path, !(f.lo_open && f.lo == 0));
      if (out_of_range(d.seconds_f())) ctx.fail(path, expected_of(f), "\"" + to_string(d) + "\"");
      return d;
    }
    case FieldKind::rate: return read_rate(ctx, v, path);
    case FieldKind::text:
      if (!v.is_string()) ctx.fail(path, expected_of(f), describe(v));
      return v.get<std::string>();
    case FieldKind::choice: {
      if (!v.is_string()) ctx.fail(path, expected_of(f), describe(v));
      const std::string name = v.get<std::string>();
      for (std::size_t i = 0; i < f.names.size(); ++i)
        if (f.names[i] == name) return static_cast<std::int64_t>(i);
      ctx.fail(path, expected_of(f), describe(v), "did you mean \"" + nearest(name, f.names) + "\"?");
    }
    case FieldKind::distribution: return read_distribution(ctx, v, path);
    case FieldKind::cpu: {
      double cores = -1;
      if (v.is_number()) cores = v.get<double>();
      else if (v.is_string()) {
        const std::string t = v.get<std::string>();
        char* end = nullptr;
        const double x = std::strtod(t.c_str(), &end);
        if (end && *end == 'm' && end[1] == 0) cores = x / 1000;
        else if (end && *end == 0 && !t.empty()) cores = x;
      }
      if (!(cores > 0) || !std::isfinite(cores)) ctx.fail(path, expected_of(f), describe(v));
      // Kubernetes counts CPU in whole millicores: what rounds to 0m is no request at all.
      const double millicores = std::round(cores * 1000);
      if (millicores < 1 || millicores > 1e9)
        ctx.fail(path, "a CPU quantity from 1m (Kubernetes' granularity) to 1000000 cores", describe(v));
      return millicores / 1000;
    }
    default: break;
  }
  throw std::logic_error("field " + f.key + ": no value reader for its kind");
}

void read_object(const ReadContext& ctx, const FieldTable& table, const json& j, const std::string& path, void* obj) {
  const auto& preset = table.preset();
  if (preset && preset->bare_name && j.is_string()) {
    apply_preset(ctx, *preset, j, path, obj, true);
    return;
  }
  if (!j.is_object())
    ctx.fail(path, preset && preset->bare_name ? "a preset name (" + join_list(preset->names) + ") or an object" : "an object",
             describe(j));
  if (preset)
    if (auto p = j.find("preset"); p != j.end()) apply_preset(ctx, *preset, *p, join(path, "preset"), obj, false);

  // The discriminator ("kind") first: it says which other fields apply.
  std::string kind;
  const Field* discriminator = table.discriminator().empty() ? nullptr : table.find(table.discriminator());
  if (discriminator) {
    if (auto d = j.find(discriminator->key); d != j.end())
      read_field(ctx, table, *discriminator, *d, join(path, discriminator->key), obj);
    kind = discriminator->names.at(static_cast<std::size_t>(std::get<std::int64_t>(discriminator->get(obj))));
  }
  for (const Field& f : table.fields()) {
    if (&f == discriminator || !f.applies_to(kind)) continue;
    const auto it = j.find(f.key);
    if (it == j.end()) {
      if (f.required) ctx.fail(join(path, f.key), expected_of(f), "nothing (the field is required)");
      continue;
    }
    if (!f.alias_of.empty()) {
      if (j.contains(f.alias_of))
        ctx.fail(join(path, f.key), "one of \"" + f.key + "\" (its old name) and \"" + f.alias_of + "\"", "both");
      if (ctx.warnings)
        ctx.warnings->push_back(join(path, f.key) + " is the old name of " + join(path, f.alias_of) + "; it still reads");
    }
    read_field(ctx, table, f, *it, join(path, f.key), obj);
  }
  // Every field of the object must be one the table declares (for this kind).
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (preset && it.key() == "preset") continue;
    bool known = false;
    std::vector<std::string> keys;
    for (const Field& f : table.fields()) {
      if (!f.applies_to(kind)) continue;
      keys.push_back(f.key);
      known = known || f.key == it.key();
    }
    if (known) continue;
    if (preset) keys.push_back("preset");
    ctx.fail(join(path, it.key()), "a known field", "unknown field " + json(it.key()).dump(),
             keys.empty() ? "" : "did you mean \"" + nearest(it.key(), keys) + "\"?");
  }
}

struct DuplicateKeys::State {
  struct Frame {
    bool array = false;
    std::size_t index = 0;
    std::string key;
    std::set<std::string> keys;
  };
  std::string file;
  std::vector<Frame> frames;

  [[nodiscard]] std::string path() const {
    std::string p;
    for (std::size_t i = 0; i + 1 < frames.size(); ++i) {
      const Frame& f = frames[i];
      p = f.array ? p + "[" + std::to_string(f.index) + "]" : join(p, f.key);
    }
    return join(p, frames.back().key);
  }
  void element_done() {
    if (!frames.empty() && frames.back().array) ++frames.back().index;
  }
};

DuplicateKeys::DuplicateKeys(std::string file) : state_(std::make_shared<State>()) { state_->file = std::move(file); }

json::parser_callback_t DuplicateKeys::callback() const {
  return [s = state_](int, json::parse_event_t event, json& parsed) {
    using E = json::parse_event_t;
    switch (event) {
      case E::object_start: s->frames.push_back({}); break;
      case E::array_start: s->frames.push_back({true}); break;
      case E::key: {
        auto& top = s->frames.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second)
          throw ModelError(s->file, s->path(), "each key once in an object", "a second " + json(top.key).dump());
        break;
      }
      case E::object_end:
      case E::array_end:
        s->frames.pop_back();
        s->element_done();
        break;
      case E::value: s->element_done(); break;
    }
    return true;
  };
}

json override_json(const Field* field, const std::string& text) {
  auto as_json = [&]() -> json {
    try {
      return json::parse(text);
    } catch (const json::parse_error&) {
      return json(text);
    }
  };
  if (!field) return as_json();
  switch (field->kind) {
    case FieldKind::duration:
    case FieldKind::rate:
    case FieldKind::text:
    case FieldKind::choice:
    case FieldKind::cpu:
      // Text kinds take the text as it is ("60" for a TTL is then caught as
      // a missing unit); a quoted JSON string is unquoted.
      if (!text.empty() && text.front() == '"') return as_json();
      return json(text);
    case FieldKind::distribution:
    case FieldKind::time:
      if (!text.empty() && (text.front() == '{' || text.front() == '"')) return as_json();
      return json(text);
    default: return as_json();
  }
}

}  // namespace drsim::detail
