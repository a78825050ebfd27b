// Field tables: every parameter of a component declared once, beside its
// struct, with its key, kind, unit, range, meaning and public source; the
// default is read from the struct itself, never restated.
//
//   template <> inline const FieldTable& fields_of<GtmParams>() {
//     static const FieldTable table = FieldTable::build<GtmParams>("gtm", [](auto& t) {
//       t.add("ttl", &GtmParams::ttl).positive().means("TTL of every answer").source("https://...");
//     });
//     return table;
//   }
//
// The scenario reader walks these tables (values, ranges and unknown fields
// are checked in one place), `drsim explain` and docs/model-reference.md are
// printed from them, and override paths take their type from them. In the
// spirit of ns-3's TypeId::AddAttribute and OMNeT++'s NED parameters.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "drsim/core/random.hpp"
#include "drsim/core/time.hpp"

namespace drsim {

// ---- enum names -------------------------------------------------------------
//
// An enum's names are declared once, beside it, as a function found by
// argument-dependent lookup:
//
//   enum class ProbeProtocol : std::uint8_t { ping, tcp, http };
//   constexpr std::array<std::string_view, 3> enum_names(ProbeProtocol) { return {"ping", "tcp", "http"}; }
//
// and read both ways with name_of(e) and enum_from_name<E>(text).

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires(E e) { enum_names(e); };

template <NamedEnum E>
constexpr std::string_view name_of(E e) {
  const auto names = enum_names(E{});
  const auto i = static_cast<std::size_t>(e);
  return i < names.size() ? names[i] : std::string_view{"?"};
}

template <NamedEnum E>
constexpr std::optional<E> enum_from_name(std::string_view text) {
  const auto names = enum_names(E{});
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return static_cast<E>(i);
  return std::nullopt;
}

template <NamedEnum E>
std::vector<std::string> enum_name_list() {
  const auto names = enum_names(E{});
  return {names.begin(), names.end()};
}

/// Optional words per value for the result's assumption lines, declared the
/// same way: constexpr std::array<std::string_view, N> enum_phrases(E).
template <class E>
concept PhrasedEnum = NamedEnum<E> && requires(E e) { enum_phrases(e); };

// ---- limits every model value keeps to -------------------------------------------

/// The longest duration a model value may name (a TTL, a hold time, a service
/// time, a distribution's mean): 100 days, far beyond any real setting and
/// far inside the simulated clock's range, so no draw can overflow it.
inline constexpr double kMaxModelSeconds = 100.0 * 86400;
/// The longest run: per-second series are kept in memory for the whole run.
inline constexpr double kMaxRunSeconds = 7.0 * 86400;
/// The fastest rate a model may name (requests per second, all clients together).
inline constexpr double kMaxRatePerSecond = 1e7;
/// The shortest period of anything that repeats (probe intervals, health
/// checks, HPA syncs, refresh periods): a shorter one would flood the run.
inline constexpr double kMinPeriodSeconds = 0.1;

// ---- fields ---------------------------------------------------------------------

enum class FieldKind : std::uint8_t {
  boolean,
  integer,
  number,
  share,         // a number in [0, 1]
  duration,      // "15s", "250ms", "1m30s"
  rate,          // "100/s", "6000/min"
  text,
  choice,        // one of `names`
  distribution,  // a duration, or {"exponential": "2ms"}, ...
  cpu,           // "100m", "0.5"
  time,          // "150s" or {"uniform": ["100s", "200s"]}
  object,        // a nested object whose fields are `fields`
  objects,       // an array of objects, each read by `fields`
  named_objects, // an array of objects with a unique "name", each read by `fields`
  reference,     // the name of something another section declares
  custom,        // a form the table cannot describe (read by the scenario reader; `form` says it)
};

constexpr std::array<std::string_view, 16> enum_names(FieldKind) {
  return {"boolean", "integer", "number", "share", "duration", "rate", "text", "choice",
          "distribution", "cpu", "time", "object", "objects", "named_objects", "reference", "custom"};
}

/// A field's value in a form every kind shares: a choice is its index, a
/// duration a Duration, an absent optional std::monostate.
using FieldValue = std::variant<std::monostate, bool, std::int64_t, double, Duration, std::string, Distribution>;

class FieldTable;

/// One parameter: what the file calls it, what it holds, and where its
/// default comes from. Built through FieldTable::build's fluent setters.
struct Field {
  std::string key;
  FieldKind kind = FieldKind::custom;
  std::string unit;     // "s", "pods", "%", "tokens"; empty when none
  double lo = -std::numeric_limits<double>::infinity();  // range, seconds for durations
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;                                  // lo itself excluded (a positive duration)
  bool required = false;
  bool optional = false;                                 // absent means "none" (no default value)
  std::vector<std::string> names;                        // choice names in enum order
  std::vector<std::string> phrases;                      // choice: words for assumption lines
  std::vector<std::string> only_for;                     // values of the table's discriminator it applies to
  std::string meaning;
  std::string source;                                    // URL, repository:path@tag, or "assumption"
  std::string default_note;                              // said instead of the value ("the cluster name")
  std::string form;                                      // custom/reference: what the value looks like
  std::string expect;                                    // extra words for an error message
  std::string alias_of;                                  // an old name kept for files written before a rename
  FieldValue default_value;                              // from a default-constructed struct
  const FieldTable* fields = nullptr;                    // object, objects, named_objects

  // Access, type-erased: the struct is the one the table was built for.
  std::function<void(void*, const FieldValue&)> set;
  std::function<FieldValue(const void*)> get;
  std::function<void*(void*)> enter;                        // object: the struct holding its fields (engaged)
  std::function<const void*(const void*)> peek;             // object: the same, or nullptr when absent
  std::function<const void*(const void*, std::size_t)> at;  // objects: element i
  std::function<void*(void*)> append;                       // objects: a new element, returned
  std::function<void(void*)> clear;                         // objects: empty the list before reading
  std::function<std::size_t(const void*)> count;            // objects, custom lists: how many

  // Fluent declaration.
  Field& means(std::string text) { meaning = std::move(text); return *this; }
  Field& source_is(std::string text) { source = std::move(text); return *this; }
  Field& in_unit(std::string u) { unit = std::move(u); return *this; }
  Field& at_least(double v) { lo = v; lo_open = false; return *this; }
  Field& above(double v) { lo = v; lo_open = true; return *this; }
  Field& at_most(double v) { hi = v; return *this; }
  Field& range(double a, double b) { lo = a; hi = b; lo_open = false; return *this; }
  Field& positive() { lo = 0; lo_open = true; return *this; }
  /// A period of something that repeats: at least kMinPeriodSeconds.
  Field& period() { return at_least(kMinPeriodSeconds); }
  Field& as_share() { kind = FieldKind::share; return range(0, 1); }
  Field& must() { required = true; return *this; }
  Field& only(std::vector<std::string> kinds) { only_for = std::move(kinds); return *this; }
  Field& default_is(std::string note) { default_note = std::move(note); return *this; }
  Field& looks_like(std::string text) { form = std::move(text); return *this; }
  Field& expecting(std::string words) { expect = std::move(words); return *this; }

  [[nodiscard]] bool applies_to(std::string_view kind) const {
    if (only_for.empty()) return true;
    for (const auto& k : only_for)
      if (k == kind) return true;
    return false;
  }
  [[nodiscard]] bool is_container() const {
    return kind == FieldKind::object || kind == FieldKind::objects || kind == FieldKind::named_objects;
  }
};

/// How a table's struct starts from a named preset before its fields are read.
struct PresetRule {
  std::vector<std::string> names;
  /// Sets the struct to the preset; `whole` when the value was just the
  /// preset's name. Throws std::invalid_argument for an unknown name.
  std::function<void(void*, const std::string&, bool whole)> apply;
  bool bare_name = false;            // the whole value may be just the preset's name
  std::vector<std::string> sources;  // where each preset's values come from, one per name
};

/// The fields of one struct, in the order they are read and documented.
class FieldTable {
 public:
  template <class S>
  class Builder;

  /// Builds the table of struct S: `declare(builder)` adds its fields;
  /// defaults are read from a default-constructed S.
  template <class S, class Declare>
  static FieldTable build(std::string name, Declare&& declare);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::string& meaning() const { return meaning_; }
  [[nodiscard]] const std::vector<Field>& fields() const { return fields_; }
  [[nodiscard]] const Field* find(std::string_view key) const {
    for (const auto& f : fields_)
      if (f.key == key) return &f;
    return nullptr;
  }
  /// The field whose value selects which others apply ("kind"), if any.
  [[nodiscard]] const std::string& discriminator() const { return discriminator_; }
  [[nodiscard]] const std::optional<PresetRule>& preset() const { return preset_; }
  /// A default-constructed struct of the table's type (for the reference's preset tables).
  [[nodiscard]] std::shared_ptr<void> make() const { return make_(); }
  /// The lines the result states about this component ("assumptions").
  struct Statement {
    std::string key;    // with {field} placeholders, e.g. "resolver {name}"
    std::string value;  // {f}, {f?yes|no}, {f#} (how many), {f:phrase}; paths through objects: {a.b}, {a[0].b}
    std::string when;   // a field that must be present for the line to be said; empty: always
  };
  [[nodiscard]] const std::vector<Statement>& statements() const { return statements_; }

 private:
  std::string name_;
  std::string meaning_;
  std::string discriminator_;
  std::vector<Statement> statements_;
  std::optional<PresetRule> preset_;
  std::vector<Field> fields_;
  std::vector<std::unique_ptr<FieldTable>> groups_;  // tables of nested objects over the same struct
  std::function<std::shared_ptr<void>()> make_;
};

/// The table of a parameter struct; each component header specialises it.
template <class S>
const FieldTable& fields_of();

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {
  using type = T;
};

/// The kind and value conversions of a member type.
template <class M>
struct FieldType;

template <>
struct FieldType<bool> {
  static constexpr FieldKind kind = FieldKind::boolean;
  static FieldValue to(bool v) { return v; }
  static bool from(const FieldValue& v) { return std::get<bool>(v); }
};
template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
struct FieldType<I> {
  static constexpr FieldKind kind = FieldKind::integer;
  static FieldValue to(I v) { return static_cast<std::int64_t>(v); }
  static I from(const FieldValue& v) { return static_cast<I>(std::get<std::int64_t>(v)); }
};
template <>
struct FieldType<double> {
  static constexpr FieldKind kind = FieldKind::number;
  static FieldValue to(double v) { return v; }
  static double from(const FieldValue& v) { return std::get<double>(v); }
};
template <>
struct FieldType<Duration> {
  static constexpr FieldKind kind = FieldKind::duration;
  static FieldValue to(Duration v) { return v; }
  static Duration from(const FieldValue& v) { return std::get<Duration>(v); }
};
template <>
struct FieldType<std::string> {
  static constexpr FieldKind kind = FieldKind::text;
  static FieldValue to(const std::string& v) { return v; }
  static std::string from(const FieldValue& v) { return std::get<std::string>(v); }
};
template <>
struct FieldType<Distribution> {
  static constexpr FieldKind kind = FieldKind::distribution;
  static FieldValue to(const Distribution& v) { return v; }
  static Distribution from(const FieldValue& v) { return std::get<Distribution>(v); }
};
template <NamedEnum E>
struct FieldType<E> {
  static constexpr FieldKind kind = FieldKind::choice;
  static FieldValue to(E v) { return static_cast<std::int64_t>(v); }
  static E from(const FieldValue& v) { return static_cast<E>(std::get<std::int64_t>(v)); }
};
template <class T>
struct FieldType<std::optional<T>> {
  static constexpr FieldKind kind = FieldType<T>::kind;
  static FieldValue to(const std::optional<T>& v) { return v ? FieldType<T>::to(*v) : FieldValue{}; }
  static std::optional<T> from(const FieldValue& v) {
    if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
    return FieldType<T>::from(v);
  }
};

}  // namespace detail

/// Declares the fields of struct S (see FieldTable::build).
template <class S>
class FieldTable::Builder {
 public:
  Builder(FieldTable& table, S& defaults) : table_(&table), defaults_(&defaults) {}

  /// The table's one-line description.
  Builder& means(std::string text) {
    table_->meaning_ = std::move(text);
    return *this;
  }
  /// The field named `key` selects which fields apply (their `only`).
  Builder& discriminated_by(std::string key) {
    table_->discriminator_ = std::move(key);
    return *this;
  }
  /// A line the result states about this component (see FieldTable::Statement).
  Builder& states(std::string key, std::string value, std::string when = {}) {
    table_->statements_.push_back({std::move(key), std::move(value), std::move(when)});
    return *this;
  }
  /// Named presets set the struct before its fields are read.
  template <class Apply>
  Builder& presets(std::vector<std::string> names, Apply apply, bool bare_name, std::vector<std::string> sources) {
    table_->preset_ = PresetRule{
        std::move(names),
        [apply](void* s, const std::string& name, bool whole) { apply(*static_cast<S*>(s), name, whole); },
        bare_name, std::move(sources)};
    return *this;
  }

  /// A value member (bool, integers, double, Duration, std::string,
  /// Distribution, a named enum, or std::optional of one).
  template <class M>
  Field& add(std::string key, M S::*member) {
    return add(std::move(key), [member](S& s) -> M& { return s.*member; });
  }
  /// A value reached through an accessor returning a reference (a member of a member).
  template <class Access>
    requires std::is_invocable_v<Access, S&>
  Field& add(std::string key, Access access) {
    using M = std::remove_cvref_t<std::invoke_result_t<Access, S&>>;
    using T = detail::FieldType<M>;
    Field f;
    f.key = std::move(key);
    f.kind = T::kind;
    if constexpr (detail::is_optional<M>::value) f.optional = true;
    if constexpr (T::kind == FieldKind::integer) {
      using I = std::conditional_t<detail::is_optional<M>::value, typename detail::is_optional<M>::type, M>;
      f.lo = static_cast<double>(std::numeric_limits<I>::min());
      f.hi = static_cast<double>(std::numeric_limits<I>::max());
    }
    if constexpr (T::kind == FieldKind::duration) {
      f.lo = 0;
      f.hi = kMaxModelSeconds;
    }
    if constexpr (T::kind == FieldKind::choice) {
      using E = std::conditional_t<detail::is_optional<M>::value, typename detail::is_optional<M>::type, M>;
      f.names = enum_name_list<E>();
      if constexpr (PhrasedEnum<E>) {
        const auto phrases = enum_phrases(E{});
        f.phrases.assign(phrases.begin(), phrases.end());
      }
    }
    f.set = [access](void* s, const FieldValue& v) { access(*static_cast<S*>(s)) = T::from(v); };
    f.get = [access](const void* s) { return T::to(access(*const_cast<S*>(static_cast<const S*>(s)))); };
    return push(std::move(f));
  }
  /// A value with its own conversion (a rate held as a double, a CPU quantity).
  template <class Get, class Set>
  Field& value(std::string key, FieldKind kind, Get get, Set set) {
    Field f;
    f.key = std::move(key);
    f.kind = kind;
    f.set = [set](void* s, const FieldValue& v) { set(*static_cast<S*>(s), v); };
    f.get = [get](const void* s) -> FieldValue { return get(*static_cast<const S*>(s)); };
    return push(std::move(f));
  }

  /// A nested object whose fields live in S itself ("health_check" of GtmParams).
  template <class Declare>
  Field& group(std::string key, std::string meaning, Declare declare) {
    table_->groups_.push_back(std::make_unique<FieldTable>());
    FieldTable& sub = *table_->groups_.back();
    sub.name_ = table_->name_ + "." + key;
    sub.meaning_ = meaning;
    sub.make_ = table_->make_;
    Builder<S> nested(sub, *defaults_);
    declare(nested);
    Field f;
    f.key = std::move(key);
    f.kind = FieldKind::object;
    f.meaning = std::move(meaning);
    f.fields = &sub;
    f.enter = [](void* s) { return s; };
    f.peek = [](const void* s) { return s; };
    return push(std::move(f));
  }
  /// A nested object held in a member of type T (with fields_of<T>()), or
  /// reached through an accessor returning T&.
  template <class T>
  Field& object(std::string key, T S::*member) {
    return object(std::move(key), [member](S& s) -> T& { return s.*member; });
  }
  template <class Access>
    requires std::is_invocable_v<Access, S&>
  Field& object(std::string key, Access access) {
    using T = std::remove_cvref_t<std::invoke_result_t<Access, S&>>;
    Field f;
    f.key = std::move(key);
    f.kind = FieldKind::object;
    if constexpr (detail::is_optional<T>::value) {
      // Optional: present in the file, the member is engaged (from its
      // type's defaults) and its fields read; absent, it stays empty.
      using V = typename detail::is_optional<T>::type;
      f.optional = true;
      f.fields = &fields_of<V>();
      f.enter = [access](void* s) -> void* {
        auto& o = access(*static_cast<S*>(s));
        if (!o) o.emplace();
        return &*o;
      };
      f.peek = [access](const void* s) -> const void* {
        const auto& o = access(*const_cast<S*>(static_cast<const S*>(s)));
        return o ? &*o : nullptr;
      };
      f.count = [access](const void* s) -> std::size_t { return access(*const_cast<S*>(static_cast<const S*>(s))) ? 1 : 0; };
    } else {
      f.fields = &fields_of<T>();
      f.enter = [access](void* s) -> void* { return &access(*static_cast<S*>(s)); };
      f.peek = [access](const void* s) -> const void* { return &access(*const_cast<S*>(static_cast<const S*>(s))); };
    }
    f.meaning = f.fields->meaning();
    return push(std::move(f));
  }
  /// An array of objects of type T, replacing the list when present; named,
  /// each element has a unique "name" and one that names an element already
  /// there (from a preset) changes it instead of adding one.
  template <class T>
  Field& objects(std::string key, std::vector<T> S::*member, bool named = false) {
    Field f;
    f.key = std::move(key);
    f.kind = named ? FieldKind::named_objects : FieldKind::objects;
    f.fields = &fields_of<T>();
    f.meaning = f.fields->meaning();
    f.append = [member](void* s) -> void* { return &(static_cast<S*>(s)->*member).emplace_back(); };
    f.clear = [member](void* s) { (static_cast<S*>(s)->*member).clear(); };
    f.count = [member](const void* s) { return (static_cast<const S*>(s)->*member).size(); };
    f.at = [member](const void* s, std::size_t i) -> const void* { return &(static_cast<const S*>(s)->*member)[i]; };
    return push(std::move(f));
  }
  /// Something the scenario reader reads by hand (`form` says what it looks
  /// like): a name reference, a list of pairs, an either-or value.
  Field& custom(std::string key, FieldKind kind, std::string form) {
    Field f;
    f.key = std::move(key);
    f.kind = kind;
    f.form = std::move(form);
    return push(std::move(f));
  }
  /// A custom field whose count the assumption lines may use ({key#}).
  template <class Count>
  Field& custom(std::string key, FieldKind kind, std::string form, Count count) {
    Field& f = custom(std::move(key), kind, std::move(form));
    f.count = [count](const void* s) -> std::size_t { return count(*static_cast<const S*>(s)); };
    return f;
  }
  /// An old key that still reads as `current` (a warning says so).
  void alias(std::string old_key, const std::string& current) {
    const Field* target = table_->find(current);
    if (!target) throw std::logic_error("alias of an unknown field " + current);
    Field f = *target;
    f.key = std::move(old_key);
    f.alias_of = current;
    table_->fields_.push_back(std::move(f));
  }

 private:
  Field& push(Field f) {
    if (f.get) f.default_value = f.get(defaults_);
    table_->fields_.push_back(std::move(f));
    return table_->fields_.back();
  }
  FieldTable* table_;
  S* defaults_;
};

template <class S, class Declare>
FieldTable FieldTable::build(std::string name, Declare&& declare) {
  FieldTable table;
  table.name_ = std::move(name);
  table.make_ = [] { return std::static_pointer_cast<void>(std::make_shared<S>()); };
  S defaults{};
  Builder<S> builder(table, defaults);
  declare(builder);
  // Builder::push hands out references into fields_ that are only used
  // while `declare` runs; once built a table never changes.
  return table;
}

}  // namespace drsim
