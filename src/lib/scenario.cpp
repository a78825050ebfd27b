// Model files -> typed ModelSpec. Every field is read through ObjectReader,
// which knows the JSON path it stands at, turns bad values into ModelError
// and rejects fields nobody read (with the nearest valid name).
#include "drsim/scenario/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "drsim/scenario/units.hpp"

namespace drsim {

using nlohmann::json;

namespace detail {

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

struct Context {
  std::string file;
  std::vector<std::string>* warnings = nullptr;
  [[noreturn]] void fail(const std::string& path, const std::string& expected, const std::string& found,
                         const std::string& hint = {}) const {
    throw ModelError(file, path, expected, found, hint);
  }
};

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

double read_rate(const Context& ctx, const json& v, const std::string& path) {
  const std::string expected = "a rate like \"100/s\" or \"6000/min\"";
  if (v.is_number()) {
    if (v.get<double>() < 0) ctx.fail(path, expected, describe(v));
    return v.get<double>();
  }
  if (!v.is_string()) ctx.fail(path, expected, describe(v));
  try {
    return parse_rate(v.get<std::string>());
  } catch (const std::invalid_argument& e) {
    ctx.fail(path, expected, describe(v), e.what());
  }
}

/// Reads the fields of one JSON object, tracking which were used.
class ObjectReader {
 public:
  ObjectReader(const Context& ctx, const json& j, std::string path) : ctx_(ctx), j_(j), path_(std::move(path)) {
    if (!j.is_object()) ctx_.fail(path_, "an object", describe(j));
  }

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const Context& ctx() const { return ctx_; }
  [[nodiscard]] std::string at(const std::string& key) const { return join(path_, key); }

  const json* field(const std::string& key) {
    known_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  bool has(const std::string& key) {
    known_.insert(key);
    return j_.contains(key);
  }
  const json& required(const std::string& key, const std::string& expected) {
    const json* v = field(key);
    if (!v) ctx_.fail(at(key), expected, "nothing (the field is required)");
    return *v;
  }

  std::string string(const std::string& key, const std::string& def) {
    const json* v = field(key);
    if (!v) return def;
    if (!v->is_string()) ctx_.fail(at(key), "a string", describe(*v));
    return v->get<std::string>();
  }
  std::string required_string(const std::string& key) {
    const json& v = required(key, "a string");
    if (!v.is_string()) ctx_.fail(at(key), "a string", describe(v));
    return v.get<std::string>();
  }
  bool boolean(const std::string& key, bool def) {
    const json* v = field(key);
    if (!v) return def;
    if (!v->is_boolean()) ctx_.fail(at(key), "true or false", describe(*v));
    return v->get<bool>();
  }
  double number(const std::string& key, double def, double lo, double hi, const std::string& what = "a number") {
    const json* v = field(key);
    if (!v) return def;
    if (!v->is_number()) ctx_.fail(at(key), what, describe(*v));
    const double x = v->get<double>();
    if (!(x >= lo && x <= hi)) {
      std::ostringstream range;
      range << what << " in [" << lo << ", " << hi << "]";
      ctx_.fail(at(key), range.str(), describe(*v));
    }
    return x;
  }
  long long integer(const std::string& key, long long def, long long lo, long long hi, const std::string& what) {
    const json* v = field(key);
    if (!v) return def;
    if (!v->is_number_integer() && !v->is_number_unsigned()) ctx_.fail(at(key), what, describe(*v));
    const long long x = v->get<long long>();
    if (x < lo || x > hi) ctx_.fail(at(key), what, describe(*v));
    return x;
  }
  double share(const std::string& key, double def) {
    return number(key, def, 0.0, 1.0, "a share between 0 and 1");
  }
  Duration duration(const std::string& key, Duration def, bool allow_zero = true) {
    const json* v = field(key);
    if (!v) return def;
    return read_duration(*v, at(key), allow_zero);
  }
  Duration read_duration(const json& v, const std::string& path, bool allow_zero) const {
    const std::string expected = allow_zero ? "a duration like \"15s\", \"250ms\" or \"1m30s\""
                                            : "a positive duration like \"15s\", \"250ms\" or \"1m30s\"";
    if (!v.is_string()) ctx_.fail(path, expected, describe(v));
    Duration d;
    try {
      d = parse_duration(v.get<std::string>());
    } catch (const TimeError& e) {
      ctx_.fail(path, expected, describe(v), e.what());
    }
    if (d.is_negative()) ctx_.fail(path, expected, describe(v) + " (negative)");
    if (!allow_zero && d == Duration::zero()) ctx_.fail(path, expected, describe(v) + " (zero)");
    return d;
  }
  double rate(const std::string& key, double def) {
    const json* v = field(key);
    if (!v) return def;
    return read_rate(ctx_, *v, at(key));
  }
  template <class Enum>
  Enum choice(const std::string& key, Enum def, const std::vector<std::pair<std::string, Enum>>& options) {
    const json* v = field(key);
    if (!v) return def;
    std::string names;
    std::vector<std::string> list;
    for (const auto& o : options) {
      names += (names.empty() ? "" : ", ") + o.first;
      list.push_back(o.first);
    }
    if (!v->is_string()) ctx_.fail(at(key), "one of " + names, describe(*v));
    for (const auto& o : options)
      if (o.first == v->get<std::string>()) return o.second;
    ctx_.fail(at(key), "one of " + names, describe(*v), "did you mean \"" + nearest(v->get<std::string>(), list) + "\"?");
  }

  /// Rejects every field that was not read.
  void done() const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (known_.count(it.key())) continue;
      std::vector<std::string> known(known_.begin(), known_.end());
      std::string hint;
      if (!known.empty()) hint = "did you mean \"" + nearest(it.key(), known) + "\"?";
      ctx_.fail(at(it.key()), "a known field", "unknown field \"" + it.key() + "\"", hint);
    }
  }

 private:
  const Context& ctx_;
  const json& j_;
  std::string path_;
  std::set<std::string> known_;
};

Distribution read_distribution(const Context& ctx, const json& v, const std::string& path) {
  // A bare duration is a constant; otherwise {"kind": params}.
  auto secs = [&](const json& x, const std::string& p) {
    if (x.is_number()) {
      if (x.get<double>() < 0) ctx.fail(p, "a non-negative number of seconds or a duration", describe(x));
      return x.get<double>();
    }
    ObjectReader dummy(ctx, json::object(), p);
    return dummy.read_duration(x, p, true).seconds_f();
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
      ObjectReader o(ctx, p, pp);
      const json& m = o.required("mean", "a duration");
      const json& s = o.required("stddev", "a duration");
      const double mean = secs(m, o.at("mean")), sd = secs(s, o.at("stddev"));
      o.done();
      if (kind == "lognormal" && mean <= 0) ctx.fail(o.at("mean"), "a positive mean", describe(m));
      return kind == "normal" ? Distribution::normal(mean, sd) : Distribution::lognormal(mean, sd);
    }
    if (kind == "empirical") {
      if (!p.is_array() || p.empty()) ctx.fail(pp, "a non-empty array of durations", describe(p));
      std::vector<double> xs;
      for (std::size_t i = 0; i < p.size(); ++i) xs.push_back(secs(p[i], pp + "[" + std::to_string(i) + "]"));
      return Distribution::empirical(xs);
    }
  } catch (const DistributionError& e) {
    ctx.fail(pp, expected, describe(p), e.what());
  }
  ctx.fail(path, expected, "unknown distribution \"" + kind + "\"",
           "did you mean \"" + nearest(kind, {"constant", "uniform", "exponential", "normal", "lognormal", "empirical"}) + "\"?");
}

TimeSpec read_time_spec(const Context& ctx, const json& v, const std::string& path) {
  ObjectReader helper(ctx, json::object(), path);
  if (v.is_string()) {
    const Duration d = helper.read_duration(v, path, true);
    return {d, d};
  }
  if (v.is_object() && v.size() == 1 && v.contains("uniform") && v["uniform"].is_array() && v["uniform"].size() == 2) {
    const Duration lo = helper.read_duration(v["uniform"][0], path + ".uniform[0]", true);
    const Duration hi = helper.read_duration(v["uniform"][1], path + ".uniform[1]", true);
    if (hi < lo) ctx.fail(path + ".uniform", "[earliest, latest] with earliest <= latest", describe(v["uniform"]));
    return {lo, hi};
  }
  ctx.fail(path, "a time like \"150s\" or {\"uniform\": [\"100s\", \"200s\"]}", describe(v));
}

/// Iterates an array field, each element an object with a unique "name".
template <class F>
void for_each_named(ObjectReader& parent, const std::string& key, bool required, F&& f) {
  const json* arr = parent.field(key);
  if (!arr) {
    if (required) parent.ctx().fail(parent.at(key), "an array", "nothing (the field is required)");
    return;
  }
  if (!arr->is_array()) parent.ctx().fail(parent.at(key), "an array", describe(*arr));
  if (required && arr->empty()) parent.ctx().fail(parent.at(key), "at least one element", "an empty array");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const std::string path = parent.at(key) + "[" + std::to_string(i) + "]";
    ObjectReader o(parent.ctx(), (*arr)[i], path);
    const std::string name = o.required_string("name");
    if (!seen.insert(name).second) parent.ctx().fail(o.at("name"), "a unique name", "a second \"" + name + "\"");
    f(o, name, i);
    o.done();
  }
}

struct Names {
  std::map<std::string, std::size_t> regions, clusters, nodes, resolvers;
};

std::size_t lookup(const Context& ctx, const std::map<std::string, std::size_t>& names, const json& v,
                   const std::string& path, const std::string& what) {
  std::vector<std::string> list;
  for (const auto& [k, _] : names) list.push_back(k);
  std::string known;
  for (const auto& k : list) known += (known.empty() ? "" : ", ") + k;
  if (!v.is_string()) ctx.fail(path, "the name of " + what + " (" + known + ")", describe(v));
  auto it = names.find(v.get<std::string>());
  if (it == names.end())
    ctx.fail(path, "the name of " + what + " (" + known + ")", describe(v) + ", which does not exist",
             list.empty() ? "" : "did you mean \"" + nearest(v.get<std::string>(), list) + "\"?");
  return it->second;
}

ClientProfile read_profile(const Context& ctx, const json& v, const std::string& path) {
  if (v.is_string()) {
    try {
      return client_preset(v.get<std::string>());
    } catch (const UnknownPreset&) {
      auto names = client_preset_names();
      ctx.fail(path, "a client profile preset", describe(v), "did you mean \"" + nearest(v.get<std::string>(), names) + "\"?");
    }
  }
  ObjectReader o(ctx, v, path);
  ClientProfile p;
  const std::string preset = o.string("preset", "");
  if (!preset.empty()) {
    try {
      p = client_preset(preset);
    } catch (const UnknownPreset&) {
      ctx.fail(o.at("preset"), "a client profile preset", "\"" + preset + "\"",
               "did you mean \"" + nearest(preset, client_preset_names()) + "\"?");
    }
  }
  p.name = o.string("name", preset.empty() ? "custom" : preset + " (modified)");
  p.cache = o.choice<DnsCacheRule>("dns_cache", p.cache,
                                   {{"per_connection", DnsCacheRule::per_connection}, {"honour_ttl", DnsCacheRule::honour_ttl},
                                    {"fixed", DnsCacheRule::fixed}, {"refresh", DnsCacheRule::refresh},
                                    {"forever", DnsCacheRule::forever}});
  p.hold = o.duration("dns_hold", p.hold);
  if ((p.cache == DnsCacheRule::fixed || p.cache == DnsCacheRule::refresh) && p.hold == Duration::zero())
    ctx.fail(o.at("dns_hold"), "a positive duration for the " + std::string(p.cache == DnsCacheRule::fixed ? "fixed" : "refresh") + " cache rule", "0s or nothing");
  p.choice = o.choice<AddressChoice>("choice", p.choice,
                                     {{"first", AddressChoice::first}, {"round_robin", AddressChoice::round_robin},
                                      {"random", AddressChoice::random}});
  p.fallback_on_refused = o.boolean("fallback_on_refused", p.fallback_on_refused);
  p.fallback_on_timeout = o.boolean("fallback_on_timeout", p.fallback_on_timeout);
  p.split = o.choice<ConnectSplit>("connect_split", p.split,
                                   {{"whole", ConnectSplit::whole}, {"go", ConnectSplit::go}, {"even", ConnectSplit::even}});
  p.connect_timeout = o.duration("connect_timeout", p.connect_timeout, false);
  p.read_timeout = o.duration("read_timeout", p.read_timeout, false);
  p.total_timeout = o.duration("timeout", p.total_timeout, true);
  p.keepalive = o.boolean("keepalive", p.keepalive);
  p.retries = static_cast<int>(o.integer("retries", p.retries, 0, 100, "a whole number of retries from 0 to 100"));
  p.retry_backoff = o.duration("retry_backoff", p.retry_backoff);
  p.retry_on_5xx = o.boolean("retry_on_5xx", p.retry_on_5xx);
  o.done();
  return p;
}

ResolverParams resolver_preset(const std::string& name) {
  ResolverParams p;
  if (name == "unbound") {
    // cache-min-ttl 0, cache-max-ttl 86400, serve-expired off, rrset-roundrobin on
    p.min_ttl = Duration::zero();
    p.max_ttl = Duration::seconds(86400);
    p.rotation = RecordRotation::round_robin;
  } else if (name == "bind") {
    // max-cache-ttl 1 week, serve-stale off (stale-answer-ttl 30 s when on), no rotation by default
    p.max_ttl = Duration::seconds(7 * 86400);
    p.rotation = RecordRotation::none;
  } else if (name == "systemd-resolved") {
    // honours the TTL, caps it at 2 h
    p.max_ttl = Duration::seconds(7200);
    p.rotation = RecordRotation::none;
  } else {
    throw std::invalid_argument(name);
  }
  return p;
}

HpaScalingRules read_scaling_rules(const Context& ctx, const json& v, const std::string& path, HpaScalingRules rules) {
  ObjectReader o(ctx, v, path);
  rules.stabilization_window = o.duration("stabilization_window", rules.stabilization_window);
  rules.select_policy = o.choice<ScalingPolicySelect>("select_policy", rules.select_policy,
                                                      {{"max", ScalingPolicySelect::max}, {"min", ScalingPolicySelect::min},
                                                       {"disabled", ScalingPolicySelect::disabled}});
  if (const json* pol = o.field("policies")) {
    if (!pol->is_array()) ctx.fail(o.at("policies"), "an array of {\"type\", \"value\", \"period\"}", describe(*pol));
    rules.policies.clear();
    for (std::size_t i = 0; i < pol->size(); ++i) {
      ObjectReader po(ctx, (*pol)[i], o.at("policies") + "[" + std::to_string(i) + "]");
      HpaScalingPolicy hp;
      hp.type = po.choice<ScalingPolicyType>("type", ScalingPolicyType::pods,
                                             {{"pods", ScalingPolicyType::pods}, {"percent", ScalingPolicyType::percent}});
      hp.value = static_cast<std::int32_t>(po.integer("value", 1, 1, 100000, "a whole number >= 1"));
      hp.period = po.duration("period", Duration::seconds(15), false);
      po.done();
      rules.policies.push_back(hp);
    }
  }
  o.done();
  return rules;
}

GatewayCapacitySpec read_capacity(const Context& ctx, ObjectReader& go) {
  GatewayCapacitySpec c;
  c.replicas = static_cast<std::int32_t>(go.integer("replicas", 1, 1, 100000, "a whole number of replicas >= 1 (zero capacity serves nothing)"));
  if (const json* pod = go.field("pod")) {
    ObjectReader po(ctx, *pod, go.at("pod"));
    c.pod.workers = static_cast<std::uint32_t>(po.integer("workers", 2, 1, 1024, "a whole number of workers >= 1"));
    if (const json* cpu = po.field("cpu_per_request")) c.pod.service_time = read_distribution(ctx, *cpu, po.at("cpu_per_request"));
    c.pod.max_pending = static_cast<std::uint32_t>(po.integer("max_pending", 1024, 0, 4294967295LL, "a whole number of pending requests >= 0"));
    if (const json* st = po.field("startup_time")) c.startup_s = read_distribution(ctx, *st, po.at("startup_time"));
    po.done();
  }
  if (const json* req = go.field("cpu_request")) {
    const std::string expected = "a CPU quantity like \"100m\" or \"0.5\"";
    double cores = -1;
    if (req->is_number()) cores = req->get<double>();
    else if (req->is_string()) {
      const std::string t = req->get<std::string>();
      char* end = nullptr;
      const double x = std::strtod(t.c_str(), &end);
      if (end && *end == 'm' && end[1] == 0) cores = x / 1000;
      else if (end && *end == 0 && !t.empty()) cores = x;
    }
    if (!(cores > 0)) ctx.fail(go.at("cpu_request"), expected, describe(*req));
    c.cpu_request = CpuQuantity::millicores(static_cast<std::int64_t>(std::llround(cores * 1000)));
  }
  c.rejected_cpu_share = go.share("rejected_cpu_share", c.rejected_cpu_share);
  if (const json* rl = go.field("rate_limit")) {
    ObjectReader ro(ctx, *rl, go.at("rate_limit"));
    const Duration fill = ro.duration("fill_interval", Duration::seconds(1), false);
    if (fill < Duration::milliseconds(50))
      ctx.fail(ro.at("fill_interval"), "a fill_interval of at least 50ms (Envoy rejects faster timers)", "\"" + to_string(fill) + "\"");
    const auto quota = ro.integer("quota", 100, 1, 1'000'000'000, "a whole number of tokens >= 1");
    const auto refill = ro.choice<TokenRefill>("refill", TokenRefill::timer,
                                               {{"timer", TokenRefill::timer}, {"continuous", TokenRefill::continuous}});
    TokenBucketConfig tb = TokenBucketConfig::from_quota(quota, fill, refill);
    tb.max_tokens = ro.integer("max_tokens", quota, 1, 1'000'000'000, "a whole number of tokens >= 1");
    c.rate_limit_per_connection = ro.boolean("per_downstream_connection", false);
    ro.integer("port", 80, 1, 65535, "a port number");
    ro.string("route", "");
    ro.done();
    try {
      tb.validate();
    } catch (const std::invalid_argument& e) {
      ctx.fail(go.at("rate_limit"), "a token bucket Envoy accepts", describe(*rl), e.what());
    }
    c.rate_limit = tb;
  }
  if (const json* h = go.field("hpa")) {
    ObjectReader ho(ctx, *h, go.at("hpa"));
    HpaSpec hs;
    hs.min_replicas = static_cast<std::int32_t>(ho.integer("min_replicas", 1, 0, 100000, "a whole number of replicas >= 0"));
    hs.max_replicas = static_cast<std::int32_t>(ho.integer("max_replicas", 5, 1, 100000, "a whole number of replicas >= 1"));
    if (hs.max_replicas < hs.min_replicas)
      ctx.fail(ho.at("max_replicas"), "max_replicas >= min_replicas (" + std::to_string(hs.min_replicas) + ")", std::to_string(hs.max_replicas));
    hs.target_cpu_utilization = static_cast<std::int32_t>(ho.integer("target_cpu_utilization", 80, 1, 10000, "a percentage of the CPU request >= 1"));
    if (const json* b = ho.field("behavior")) {
      HpaBehavior beh;
      if (!(b->is_string() && b->get<std::string>() == "default")) {
        ObjectReader bo(ctx, *b, ho.at("behavior"));
        if (const json* up = bo.field("scale_up")) beh.scale_up = read_scaling_rules(ctx, *up, bo.at("scale_up"), beh.scale_up);
        if (const json* down = bo.field("scale_down")) beh.scale_down = read_scaling_rules(ctx, *down, bo.at("scale_down"), beh.scale_down);
        bo.done();
      }
      hs.behavior = beh;
    }
    c.hpa_sync_period = ho.duration("sync_period", c.hpa_sync_period, false);
    c.metrics_resolution = ho.duration("metrics_resolution", c.metrics_resolution, false);
    c.hpa_options.tolerance = ho.number("tolerance", c.hpa_options.tolerance, 0, 10, "a tolerance >= 0");
    c.hpa_options.cpu_initialization_period = ho.duration("cpu_initialization_period", c.hpa_options.cpu_initialization_period);
    c.hpa_options.initial_readiness_delay = ho.duration("initial_readiness_delay", c.hpa_options.initial_readiness_delay);
    c.hpa_options.downscale_stabilization = ho.duration("downscale_stabilization", c.hpa_options.downscale_stabilization);
    ho.done();
    if (c.replicas < hs.min_replicas || c.replicas > hs.max_replicas)
      ctx.fail(go.at("replicas"), "replicas within the HPA's [min_replicas, max_replicas] = [" + std::to_string(hs.min_replicas) + ", " +
               std::to_string(hs.max_replicas) + "]", std::to_string(c.replicas));
    try {
      HorizontalPodAutoscaler check(hs, c.hpa_options);  // what the API server would refuse
    } catch (const std::invalid_argument& e) {
      ctx.fail(go.at("hpa"), "an HPA the API server accepts", describe(*h), e.what());
    }
    c.hpa = hs;
  }
  return c;
}

/// One call of a service: "details", ["reviews-v1", "reviews-v2"] (one of
/// them, equal chance) or {"reviews-v1": 1, "reviews-v3": 2} (by weight).
ServiceCall read_call(const Context& ctx, const json& v, const std::string& path) {
  const std::string expected =
      "a service name, an array of alternative names, or an object of alternative names and weights";
  ServiceCall c;
  if (v.is_string()) {
    c.to.push_back(v.get<std::string>());
    return c;
  }
  if (v.is_array()) {
    if (v.empty()) ctx.fail(path, expected, "an empty array");
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) ctx.fail(path + "[" + std::to_string(i) + "]", "a service name", describe(v[i]));
      c.to.push_back(v[i].get<std::string>());
    }
    return c;
  }
  if (!v.is_object() || v.empty()) ctx.fail(path, expected, describe(v));
  ObjectReader o(ctx, v, path);
  double total = 0;
  for (auto it = v.begin(); it != v.end(); ++it) {
    c.to.push_back(it.key());
    c.weights.push_back(o.number(it.key(), 1.0, 0.0, 1e9, "a weight >= 0"));
    total += c.weights.back();
  }
  o.done();
  if (!(total > 0)) ctx.fail(path, "weights with a positive sum", describe(v));
  return c;
}

/// The application behind a gateway: "bookinfo", or {"preset", "services",
/// "connect_timeout"} where services without a preset list the whole app
/// (the first is the entry) and with one add services or change them by name.
ServiceGraphSpec read_app(const Context& ctx, const json& v, const std::string& path) {
  const std::vector<std::string> presets = {"bookinfo"};
  auto preset = [&](const std::string& name, const std::string& p) {
    if (name != "bookinfo")
      ctx.fail(p, "an app preset (bookinfo)", "\"" + name + "\"", "did you mean \"" + nearest(name, presets) + "\"?");
    return ServiceGraphSpec::bookinfo();
  };
  if (v.is_string()) return preset(v.get<std::string>(), path);
  if (!v.is_object()) ctx.fail(path, "\"bookinfo\" or an object with \"services\"", describe(v));
  ObjectReader o(ctx, v, path);
  ServiceGraphSpec app;
  const bool has_preset = o.has("preset");
  if (has_preset) app = preset(o.string("preset", ""), o.at("preset"));
  app.connect_timeout = o.duration("connect_timeout", app.connect_timeout, false);
  std::vector<std::vector<std::string>> call_paths(app.services.size());  // where each call was written
  for_each_named(o, "services", !has_preset, [&](ObjectReader& so, const std::string& sname, std::size_t) {
    std::size_t i = 0;
    while (i < app.services.size() && app.services[i].name != sname) ++i;
    if (i == app.services.size()) {
      app.services.emplace_back();
      app.services.back().name = sname;
      call_paths.emplace_back();
    }
    ServiceSpec& ss = app.services[i];
    ss.replicas = static_cast<std::uint32_t>(so.integer("replicas", ss.replicas, 1, 100000, "a whole number of pods >= 1"));
    ss.workers = static_cast<std::uint32_t>(so.integer("workers", ss.workers, 1, 100000, "a whole number of workers >= 1"));
    if (const json* st = so.field("service_time")) ss.service_time_s = read_distribution(ctx, *st, so.at("service_time"));
    ss.max_pending = static_cast<std::uint32_t>(
        so.integer("max_pending", ss.max_pending, 0, 4294967295LL, "a whole number of pending calls >= 0"));
    if (const json* calls = so.field("calls")) {
      if (!calls->is_array()) ctx.fail(so.at("calls"), "an array of calls, made in order", describe(*calls));
      ss.calls.clear();
      call_paths[i].clear();
      for (std::size_t k = 0; k < calls->size(); ++k) {
        const std::string cp = so.at("calls") + "[" + std::to_string(k) + "]";
        ss.calls.push_back(read_call(ctx, (*calls)[k], cp));
        call_paths[i].push_back(cp);
      }
    }
  });
  o.done();
  std::vector<std::string> names;
  for (const auto& ss : app.services) names.push_back(ss.name);
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  for (std::size_t i = 0; i < app.services.size(); ++i) {
    for (std::size_t k = 0; k < app.services[i].calls.size(); ++k) {
      for (const auto& to : app.services[i].calls[k].to) {
        if (std::find(names.begin(), names.end(), to) != names.end()) continue;
        const std::string cp = k < call_paths[i].size() ? call_paths[i][k] : path;
        ctx.fail(cp, "the name of a service of the app (" + known + ")", "\"" + to + "\", which does not exist",
                 "did you mean \"" + nearest(to, names) + "\"?");
      }
    }
  }
  try {
    ServiceGraph check(app);
  } catch (const std::invalid_argument& e) {
    ctx.fail(path, "a call graph without cycles, at most " + std::to_string(ServiceGraph::kMaxDepth) + " calls deep",
             e.what());
  }
  return app;
}

void read_model(const Context& ctx, const json& doc, ModelSpec& spec, std::string& name, std::vector<std::string>& notes,
                std::vector<Assumption>& assumptions) {
  ObjectReader top(ctx, doc, "");
  name = top.string("name", "model");
  top.string("description", "");
  if (const json* n = top.field("notes")) {
    if (n->is_string()) notes.push_back(n->get<std::string>());
    else if (n->is_array()) {
      for (std::size_t i = 0; i < n->size(); ++i) {
        if (!(*n)[i].is_string()) ctx.fail("notes[" + std::to_string(i) + "]", "a string", describe((*n)[i]));
        notes.push_back((*n)[i].get<std::string>());
      }
    } else {
      ctx.fail("notes", "a string or an array of strings", describe(*n));
    }
  }
  spec.horizon = top.duration("duration", Duration::zero());
  spec.log_events = top.boolean("log_events", true);

  Names names;
  Topology& topo = spec.topology;
  std::vector<std::pair<std::string, const json*>> deferred_links;  // (path, links object) of regions

  for_each_named(top, "regions", true, [&](ObjectReader& r, const std::string& rname, std::size_t) {
    const std::size_t ri = topo.add_region(rname);
    names.regions[rname] = ri;
    names.nodes[rname] = topo.region_node(ri);
    const std::string cname = r.string("cluster", rname + "-cluster");
    if (names.clusters.count(cname)) ctx.fail(r.at("cluster"), "a unique cluster name", "a second \"" + cname + "\"");
    const std::size_t ci = topo.add_cluster(cname, ri);
    names.clusters[cname] = ci;
    GatewaySpec gw;
    if (const json* g = r.field("gateway")) {
      ObjectReader go(ctx, *g, r.at("gateway"));
      gw.address = go.string("address", cname);
      if (const json* st = go.field("service_time")) gw.service_time_s = read_distribution(ctx, *st, go.at("service_time"));
      if (const json* lb = go.field("load_balancer")) {
        ObjectReader lo(ctx, *lb, go.at("load_balancer"));
        gw.lb.health_check_interval = lo.duration("health_check_interval", gw.lb.health_check_interval, false);
        gw.lb.unhealthy_threshold = static_cast<int>(lo.integer("unhealthy_threshold", gw.lb.unhealthy_threshold, 1, 100, "a whole number from 1 to 100"));
        gw.lb.healthy_threshold = static_cast<int>(lo.integer("healthy_threshold", gw.lb.healthy_threshold, 1, 100, "a whole number from 1 to 100"));
        gw.lb.when_no_backend = lo.choice<NoBackendBehaviour>("when_no_backend", gw.lb.when_no_backend,
                                                             {{"refuse", NoBackendBehaviour::refuse}, {"drop", NoBackendBehaviour::drop}});
        gw.lb.traffic_policy = lo.choice<TrafficPolicy>("external_traffic_policy", gw.lb.traffic_policy,
                                                        {{"Cluster", TrafficPolicy::cluster}, {"Local", TrafficPolicy::local}});
        lo.done();
      }
      if (const json* app = go.field("app")) gw.app = read_app(ctx, *app, go.at("app"));
      gw.cluster_local = go.boolean("cluster_local", gw.cluster_local);
      if (go.has("cluster_local") && !gw.app)
        ctx.fail(go.at("cluster_local"), "an \"app\" beside it (retention applies to the app's calls)", "no app");
      if (go.has("replicas")) gw.capacity = read_capacity(ctx, go);
      else {
        for (const char* k : {"pod", "rate_limit", "hpa", "cpu_request", "rejected_cpu_share"})
          if (go.has(k)) ctx.fail(go.at("replicas"), std::string("a replica count (\"") + k + "\" needs the capacity model)", "nothing");
      }
      go.done();
    } else {
      gw.address = cname;
    }
    spec.gateways.push_back(gw);
    if (const json* l = r.field("links")) deferred_links.emplace_back(r.at("links"), l);
  });

  for_each_named(top, "sites", false, [&](ObjectReader& s, const std::string& sname, std::size_t) {
    if (names.nodes.count(sname)) ctx.fail(s.at("name"), "a name no region or site has", "\"" + sname + "\"");
    const SiteKind kind = s.choice<SiteKind>("kind", SiteKind::client,
                                             {{"client", SiteKind::client}, {"probe", SiteKind::probe}, {"transit", SiteKind::transit}});
    names.nodes[sname] = topo.add_site(sname, kind);
    if (const json* l = s.field("links")) deferred_links.emplace_back(s.at("links"), l);
    else ctx.fail(s.at("links"), "an object of RTTs by region or site name, e.g. {\"region-1\": \"2ms\"}", "nothing");
  });

  for (const auto& [path, links] : deferred_links) {
    const std::string from = path.substr(0, path.rfind('.'));
    // The owner's name: find the node whose links these are.
    const json& owner_links = *links;
    if (!owner_links.is_object()) ctx.fail(path, "an object of RTTs by region or site name", describe(owner_links));
    std::size_t owner = Topology::npos;
    // Recover the owner from the path "regions[i]" / "sites[i]".
    const bool is_region = path.rfind("regions[", 0) == 0;
    const std::size_t idx = std::stoul(path.substr(path.find('[') + 1));
    if (is_region) owner = topo.region_node(idx);
    else owner = names.nodes.at(doc["sites"][idx]["name"].get<std::string>());
    ObjectReader lo(ctx, owner_links, path);
    for (auto it = owner_links.begin(); it != owner_links.end(); ++it) {
      const std::size_t other = lookup(ctx, names.nodes, json(it.key()), lo.at(it.key()), "a region or site");
      const Duration rtt = lo.duration(it.key(), Duration::zero());
      topo.add_link(owner, other, rtt);
    }
    lo.done();
    (void)from;
  }

  // Apps: one call graph across the mesh; retention off needs a route between regions.
  {
    std::optional<ServiceGraph> first;
    std::size_t first_region = 0;
    for (std::size_t c = 0; c < spec.gateways.size(); ++c) {
      const GatewaySpec& gw = spec.gateways[c];
      if (!gw.app) continue;
      if (!first) {
        first.emplace(*gw.app);
        first_region = topo.clusters()[c].region;
      } else if (!first->same_calls(ServiceGraph(*gw.app))) {
        ctx.fail("regions[" + std::to_string(topo.clusters()[c].region) + "].gateway.app",
                 "the same services and calls as regions[" + std::to_string(first_region) +
                     "].gateway.app (capacities and service times may differ)",
                 "a different call graph");
      }
    }
    for (std::size_t c = 0; c < spec.gateways.size() && ctx.warnings; ++c) {
      if (!spec.gateways[c].app || spec.gateways[c].cluster_local) continue;
      for (std::size_t d = 0; d < spec.gateways.size(); ++d) {
        if (d == c || !spec.gateways[d].app) continue;
        const auto& from = topo.regions()[topo.clusters()[c].region].name;
        const auto& to = topo.regions()[topo.clusters()[d].region].name;
        if (topo.rtt(topo.region_node(topo.clusters()[c].region), topo.region_node(topo.clusters()[d].region))) continue;
        ctx.warnings->push_back("regions[" + std::to_string(topo.clusters()[c].region) +
                                "].gateway.cluster_local is false but no link joins " + from + " and " + to +
                                ": every call sent there fails (add \"links\": {\"" + to + "\": \"30ms\"} to " + from + ")");
      }
    }
  }

  // GTM
  {
    ObjectReader g(ctx, top.required("gtm", "an object"), "gtm");
    GtmParams& p = spec.gtm;
    if (const json* hc = g.field("health_check")) {
      ObjectReader h(ctx, *hc, "gtm.health_check");
      p.protocol = h.choice<ProbeProtocol>("protocol", p.protocol,
                                           {{"ping", ProbeProtocol::ping}, {"tcp", ProbeProtocol::tcp}, {"http", ProbeProtocol::http}});
      p.interval = h.duration("interval", p.interval, false);
      p.timeout = h.duration("timeout", p.timeout, false);
      p.failures = static_cast<int>(h.integer("failures", p.failures, 1, 100, "a whole number of consecutive failures >= 1"));
      p.recovery = static_cast<int>(h.integer("recovery", p.failures, 1, 100, "a whole number of consecutive successes >= 1"));
      if (const json* nodes = h.field("nodes")) {
        if (!nodes->is_array() || nodes->empty()) ctx.fail(h.at("nodes"), "a non-empty array of probe site names", describe(*nodes));
        for (std::size_t i = 0; i < nodes->size(); ++i) {
          const std::string np = h.at("nodes") + "[" + std::to_string(i) + "]";
          const std::size_t n = lookup(ctx, names.nodes, (*nodes)[i], np, "a probe site");
          if (topo.node_kind(n) != SiteKind::probe) ctx.fail(np, "a site of kind probe", describe((*nodes)[i]));
          p.probe_sites.push_back(n);
        }
      }
      if (const json* rule = h.field("rule")) {
        ObjectReader ro(ctx, *rule, h.at("rule"));
        const bool failing = ro.has("failing_share_above"), healthy = ro.has("healthy_share_above");
        if (failing == healthy)
          ctx.fail(h.at("rule"), "exactly one of {\"failing_share_above\": x} (Alibaba) or {\"healthy_share_above\": x} (Route 53)", describe(*rule));
        p.rule.kind = failing ? HealthRule::Kind::failing_share_above : HealthRule::Kind::healthy_share_above;
        p.rule.threshold = ro.share(failing ? "failing_share_above" : "healthy_share_above", 0.5);
        ro.done();
      }
      if (const json* ph = h.field("phases")) {
        if (!ph->is_array()) ctx.fail(h.at("phases"), "an array of durations", describe(*ph));
        for (std::size_t i = 0; i < ph->size(); ++i)
          p.phases.push_back(h.read_duration((*ph)[i], h.at("phases") + "[" + std::to_string(i) + "]", true));
      }
      h.done();
    }
    if (p.probe_sites.empty()) {
      // No probe sites named: every probe site in the model probes.
      for (std::size_t n = 0; n < topo.node_count(); ++n)
        if (topo.node_kind(n) == SiteKind::probe) p.probe_sites.push_back(n);
      if (p.probe_sites.empty())
        ctx.fail("gtm.health_check.nodes", "at least one site of kind probe in \"sites\"", "none");
    }
    p.policy = g.choice<AnswerPolicy>("policy", p.policy,
                                      {{"all_random", AnswerPolicy::all_random}, {"all_rotated", AnswerPolicy::all_rotated},
                                       {"weighted", AnswerPolicy::weighted}, {"sequence", AnswerPolicy::sequence}});
    p.preemptive_failback = g.boolean("preemptive_failback", p.preemptive_failback);
    p.min_available = static_cast<std::size_t>(g.integer("min_available", 1, 0, 8, "a whole number from 0 to 8"));
    p.when_all_down = g.choice<AllDownAnswer>("when_all_down", p.when_all_down,
                                              {{"all_addresses", AllDownAnswer::all_addresses}, {"empty", AllDownAnswer::empty}});
    p.ttl = g.duration("ttl", p.ttl, false);
    p.publish_delay = g.duration("publish_delay", p.publish_delay);
    auto read_pool = [&](const json& arr, const std::string& path) {
      std::vector<PoolMember> pool;
      if (!arr.is_array()) ctx.fail(path, "an array of region or cluster names (or {\"target\", \"weight\"})", describe(arr));
      for (std::size_t i = 0; i < arr.size(); ++i) {
        const std::string ep = path + "[" + std::to_string(i) + "]";
        const json* target = &arr[i];
        double weight = 1.0;
        std::optional<ObjectReader> mo;
        if (arr[i].is_object()) {
          mo.emplace(ctx, arr[i], ep);
          target = &mo->required("target", "a region or cluster name");
          weight = mo->number("weight", 1.0, 0.0, 1e9, "a weight >= 0");
          mo->done();
        }
        std::map<std::string, std::size_t> targets = names.clusters;
        for (const auto& [rn, ri] : names.regions) targets[rn] = topo.regions()[ri].clusters.front();
        const std::size_t c = lookup(ctx, targets, *target, mo ? ep + ".target" : ep, "a region or cluster");
        pool.push_back({static_cast<std::uint16_t>(c), weight});
      }
      return pool;
    };
    if (const json* pools = g.field("pools")) {
      ObjectReader po(ctx, *pools, "gtm.pools");
      p.primary = read_pool(po.required("primary", "an array"), "gtm.pools.primary");
      if (p.primary.empty()) ctx.fail("gtm.pools.primary", "at least one address", "an empty array");
      if (const json* f = po.field("failover")) p.failover = read_pool(*f, "gtm.pools.failover");
      po.done();
    } else {
      for (std::size_t c = 0; c < topo.clusters().size(); ++c) p.primary.push_back({static_cast<std::uint16_t>(c), 1.0});
    }
    g.done();
    if (p.interval < Duration::seconds(15) && ctx.warnings)
      ctx.warnings->push_back("gtm.health_check.interval " + to_string(p.interval) + " is below Alibaba GTM's 15 s minimum (fine for a test rig)");
    const Duration choices[] = {Duration::seconds(60), Duration::seconds(120), Duration::seconds(300), Duration::seconds(600)};
    if (std::find(std::begin(choices), std::end(choices), p.ttl) == std::end(choices) && ctx.warnings)
      ctx.warnings->push_back("gtm.ttl " + to_string(p.ttl) + " is not a GTM 2.0 choice (60, 120, 300, 600 s); GTM 3.0 allows custom TTLs");
  }

  // Resolvers
  for_each_named(top, "resolvers", true, [&](ObjectReader& r, const std::string& rname, std::size_t i) {
    ResolverParams p;
    const std::string preset = r.string("preset", "unbound");
    try {
      p = resolver_preset(preset);
    } catch (const std::invalid_argument&) {
      ctx.fail(r.at("preset"), "one of unbound, bind, systemd-resolved", "\"" + preset + "\"",
               "did you mean \"" + nearest(preset, {"unbound", "bind", "systemd-resolved"}) + "\"?");
    }
    p.name = rname;
    p.min_ttl = r.duration("min_ttl", p.min_ttl);
    p.max_ttl = r.duration("max_ttl", p.max_ttl, false);
    if (p.max_ttl < p.min_ttl) ctx.fail(r.at("max_ttl"), "max_ttl >= min_ttl (" + to_string(p.min_ttl) + ")", to_string(p.max_ttl));
    p.serve_stale = r.boolean("serve_stale", p.serve_stale);
    p.stale_reply_ttl = r.duration("stale_reply_ttl", p.stale_reply_ttl, false);
    p.rotation = r.choice<RecordRotation>("rotation", p.rotation,
                                          {{"none", RecordRotation::none}, {"round_robin", RecordRotation::round_robin},
                                           {"random", RecordRotation::random}});
    p.caches = static_cast<std::size_t>(r.integer("caches", 1, 1, 100000, "a whole number of caches >= 1"));
    p.lookup_latency = r.duration("lookup_latency", p.lookup_latency);
    p.warm = r.boolean("warm", p.warm);
    if (const json* hold = r.field("violator_hold")) p.violator_hold_s = read_distribution(ctx, *hold, r.at("violator_hold"));
    names.resolvers[rname] = i;
    spec.resolvers.push_back(p);
  });

  // Client populations
  for_each_named(top, "clients", true, [&](ObjectReader& c, const std::string& cname, std::size_t) {
    PopulationSpec p;
    p.name = cname;
    p.site = lookup(ctx, names.nodes, c.required("site", "a client site name"), c.at("site"), "a client site");
    if (topo.node_kind(p.site) != SiteKind::client) ctx.fail(c.at("site"), "a site of kind client", "\"" + topo.node_name(p.site) + "\"");
    p.profile = read_profile(ctx, c.required("profile", "a client profile"), c.at("profile"));
    if (const json* res = c.field("resolvers")) {
      if (res->is_string()) {
        p.resolvers.emplace_back(lookup(ctx, names.resolvers, *res, c.at("resolvers"), "a resolver"), 1.0);
      } else {
        ObjectReader ro(ctx, *res, c.at("resolvers"));
        double total = 0;
        for (auto it = res->begin(); it != res->end(); ++it) {
          const std::size_t ri = lookup(ctx, names.resolvers, json(it.key()), ro.at(it.key()), "a resolver");
          const double share = ro.share(it.key(), 0);
          total += share;
          p.resolvers.emplace_back(ri, share);
        }
        ro.done();
        if (std::abs(total - 1.0) > 1e-6) ctx.fail(c.at("resolvers"), "shares that sum to 1", std::to_string(total));
      }
    } else {
      p.resolvers.emplace_back(0, 1.0);
    }
    ObjectReader l(ctx, c.required("load", "a load description"), c.at("load"));
    p.load = l.choice<LoadKind>("kind", LoadKind::fortio,
                                {{"fortio", LoadKind::fortio}, {"open_loop", LoadKind::open_loop}, {"closed_loop", LoadKind::closed_loop}});
    p.start = l.duration("start", Duration::zero());
    switch (p.load) {
      case LoadKind::fortio:
        p.fortio.qps = l.number("qps", 8, 1e-9, 1e9, "a positive number of queries per second");
        p.fortio.connections = static_cast<int>(l.integer("connections", 1, 1, 100000, "a whole number of connections >= 1"));
        p.fortio.duration = l.duration("duration", Duration::seconds(5), false);
        p.fortio.calls = l.integer("calls", 0, 0, 1'000'000'000'000LL, "a whole number of calls >= 0");
        p.fortio.catchup = l.boolean("catchup", true);
        p.fortio.jitter = l.boolean("jitter", false);
        break;
      case LoadKind::open_loop: {
        p.duration = l.duration("duration", p.duration, false);
        p.clients = static_cast<std::size_t>(l.integer("clients", 1, 1, 10'000'000, "a whole number of clients >= 1"));
        p.arrivals = l.choice<ArrivalProcess>("arrivals", ArrivalProcess::poisson,
                                              {{"poisson", ArrivalProcess::poisson}, {"constant", ArrivalProcess::constant}});
        const json& rate = l.required("rate", "a rate like \"100/s\" or an array of {\"at\", \"rate\"} steps");
        if (rate.is_array()) {
          std::vector<RateProfile::Step> steps;
          for (std::size_t i = 0; i < rate.size(); ++i) {
            ObjectReader so(ctx, rate[i], l.at("rate") + "[" + std::to_string(i) + "]");
            const Duration at = so.duration("at", Duration::zero());
            const double r = read_rate(ctx, so.required("rate", "a rate like \"100/s\""), so.at("rate"));
            so.done();
            steps.push_back({at, r});
          }
          if (steps.empty()) ctx.fail(l.at("rate"), "at least one step", "an empty array");
          p.rate = RateProfile(steps);
        } else {
          p.rate = RateProfile(read_rate(ctx, rate, l.at("rate")));
        }
        if (const json* d = l.field("diurnal")) {
          ObjectReader dd(ctx, *d, l.at("diurnal"));
          const double amp = dd.share("amplitude", 0.3);
          const Duration period = dd.duration("period", Duration::seconds(86400), false);
          const Duration peak = dd.duration("peak_at", Duration::seconds(14 * 3600));
          dd.done();
          p.rate.set_diurnal(amp, period, peak);
        }
        break;
      }
      case LoadKind::closed_loop:
        p.duration = l.duration("duration", p.duration, false);
        p.clients = static_cast<std::size_t>(l.integer("users", 1, 1, 10'000'000, "a whole number of users >= 1"));
        if (const json* t = l.field("think_time")) p.think_s = read_distribution(ctx, *t, l.at("think_time"));
        break;
    }
    l.done();
    spec.populations.push_back(p);
  });

  // Faults
  if (const json* faults = top.field("faults")) {
    if (!faults->is_array()) ctx.fail("faults", "an array", describe(*faults));
    for (std::size_t i = 0; i < faults->size(); ++i) {
      ObjectReader f(ctx, (*faults)[i], "faults[" + std::to_string(i) + "]");
      FaultSpec fs;
      fs.kind = f.choice<FaultKind>("kind", FaultKind::gateway_deleted,
                                    {{"gateway_deleted", FaultKind::gateway_deleted}, {"gateway_blackholed", FaultKind::gateway_blackholed},
                                     {"region_outage", FaultKind::region_outage}, {"gray_failure", FaultKind::gray_failure},
                                     {"partition", FaultKind::partition}, {"gtm_outage", FaultKind::gtm_outage}});
      fs.at = read_time_spec(ctx, f.required("at", "a time"), f.at("at"));
      if (f.has("duration")) fs.duration = f.duration("duration", Duration::zero(), false);
      switch (fs.kind) {
        case FaultKind::gateway_deleted:
        case FaultKind::gateway_blackholed:
        case FaultKind::gray_failure: {
          std::map<std::string, std::size_t> targets = names.clusters;
          for (const auto& [rn, ri] : names.regions) targets[rn] = topo.regions()[ri].clusters.front();
          fs.clusters.push_back(lookup(ctx, targets, f.required("target", "a cluster or region name"), f.at("target"), "a cluster or region"));
          if (fs.kind == FaultKind::gray_failure) {
            fs.error_share = f.share("error_share", 0.0);
            fs.extra_latency = f.duration("extra_latency", Duration::zero());
          }
          break;
        }
        case FaultKind::region_outage:
          fs.region = lookup(ctx, names.regions, f.required("target", "a region name"), f.at("target"), "a region");
          break;
        case FaultKind::partition: {
          const json& links = f.required("links", "an array of [site, region] pairs");
          if (!links.is_array() || links.empty()) ctx.fail(f.at("links"), "a non-empty array of [node, node] pairs", describe(links));
          for (std::size_t k = 0; k < links.size(); ++k) {
            const std::string lp = f.at("links") + "[" + std::to_string(k) + "]";
            if (!links[k].is_array() || links[k].size() != 2) ctx.fail(lp, "a pair [node, node]", describe(links[k]));
            const std::size_t a = lookup(ctx, names.nodes, links[k][0], lp + "[0]", "a region or site");
            const std::size_t b = lookup(ctx, names.nodes, links[k][1], lp + "[1]", "a region or site");
            if (topo.links_between(a, b).empty()) ctx.fail(lp, "a pair joined by a link", describe(links[k]));
            fs.links.emplace_back(a, b);
          }
          break;
        }
        case FaultKind::gtm_outage: break;
      }
      f.done();
      spec.faults.push_back(fs);
    }
  }
  for_each_named(top, "alerts", false, [&](ObjectReader& a, const std::string& aname, std::size_t) {
    AlertSpec al;
    al.name = aname;
    al.region = lookup(ctx, names.regions, a.required("region", "a region name"), a.at("region"), "a region");
    al.metric = a.choice<AlertMetric>("metric", AlertMetric::throttled_rate,
                                      {{"throttled_rate", AlertMetric::throttled_rate}, {"error_rate", AlertMetric::error_rate},
                                       {"failed_share", AlertMetric::failed_share}, {"cpu_utilization", AlertMetric::cpu_utilization},
                                       {"p99_latency_s", AlertMetric::p99_latency_s}});
    al.rule.op = a.choice<Comparison>("op", Comparison::greater,
                                      {{">", Comparison::greater}, {">=", Comparison::greater_equal}, {"<", Comparison::less},
                                       {"<=", Comparison::less_equal}, {"==", Comparison::equal}, {"!=", Comparison::not_equal}});
    const json& th = a.required("threshold", "a number");
    if (!th.is_number()) ctx.fail(a.at("threshold"), "a number", describe(th));
    al.rule.threshold = th.get<double>();
    al.rule.for_duration = a.duration("for", Duration::zero());
    spec.alerts.push_back(al);
  });
  top.done();

  // Assumptions the result states.
  const GtmParams& g = spec.gtm;
  static const char* kProto[] = {"ping", "tcp", "http"};
  assumptions.push_back({"gtm", std::string(kProto[static_cast<int>(g.protocol)]) + " probes every " + to_string(g.interval) +
                                    " from " + std::to_string(g.probe_sites.size()) + " node(s), unhealthy after " +
                                    std::to_string(g.failures) + " consecutive failures, timeout " + to_string(g.timeout)});
  assumptions.push_back({"ttl", to_string(g.ttl) + ", publish delay " + to_string(g.publish_delay)});
  for (const auto& p : spec.populations) {
    static const char* kCache[] = {"re-resolves per connection", "honours the TTL", "holds answers a fixed time",
                                   "refreshes periodically", "resolves once"};
    static const char* kChoice[] = {"first address", "round robin", "random address"};
    assumptions.push_back({"client " + p.name, p.profile.name + ": " + kCache[static_cast<int>(p.profile.cache)] + ", " +
                                                   kChoice[static_cast<int>(p.profile.choice)] +
                                                   (p.profile.fallback_on_refused ? ", falls back on refusal" : ", no fallback") +
                                                   ", keepalive " + (p.profile.keepalive ? "on" : "off")});
  }
  for (std::size_t c = 0; c < spec.gateways.size(); ++c) {
    const GatewaySpec& gw = spec.gateways[c];
    if (!gw.app) continue;
    assumptions.push_back({"app " + topo.clusters()[c].name,
                           std::to_string(gw.app->services.size()) + " services, entry " + gw.app->services.front().name +
                               ", cluster-local traffic retention " + (gw.cluster_local ? "on" : "off") +
                               ", connect timeout " + to_string(gw.app->connect_timeout)});
  }
  for (const auto& r : spec.resolvers)
    assumptions.push_back({"resolver " + r.name, "TTL clamp [" + to_string(r.min_ttl) + ", " + to_string(r.max_ttl) + "]" +
                                                     (r.serve_stale ? ", serve-stale" : "") +
                                                     (r.violator_hold_s ? ", TTL violator" : "")});
}

/// Converts an override value: JSON if it parses, else a plain string.
json parse_override_value(const std::string& value) {
  try {
    return json::parse(value);
  } catch (const json::parse_error&) {
    return json(value);
  }
}

}  // namespace detail

Scenario Scenario::from_json(const std::string& text, const std::string& name) {
  Scenario s;
  s.file_ = name;
  try {
    s.doc_ = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // Byte offset -> line and column for the message.
    const std::size_t at = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < at; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    const auto colon = what.rfind(": ");
    throw ModelError(name, "line " + std::to_string(line) + ", column " + std::to_string(col), "valid JSON",
                     colon == std::string::npos ? what : what.substr(colon + 2));
  }
  s.rebuild();
  return s;
}

Scenario Scenario::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError(path, "", "a readable model file", "no such file or no permission");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_json(ss.str(), path);
}

void Scenario::rebuild() {
  detail::Context ctx{file_, &warnings_};
  ModelSpec spec;
  std::string name;
  std::vector<std::string> notes;
  std::vector<Assumption> assumptions;
  warnings_.clear();
  detail::read_model(ctx, doc_, spec, name, notes, assumptions);
  spec_ = std::move(spec);
  name_ = std::move(name);
  notes_ = std::move(notes);
  assumptions_ = std::move(assumptions);
}

namespace detail {

/// Puts `value` (override text) at a dotted path of `doc`, arrays entered by element name.
void place_override(const std::string& file, nlohmann::json& doc, const std::string& path, const std::string& value) {
  if (path.empty()) throw ModelError(file, "", "an override path like gtm.ttl", "an empty path");
  nlohmann::json* node = &doc;
  std::string walked;
  std::size_t pos = 0;
  while (true) {
    const std::size_t dot = path.find('.', pos);
    const std::string key = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (key.empty()) throw ModelError(file, path, "an override path like gtm.ttl", "an empty segment in \"" + path + "\"");
    const bool last = dot == std::string::npos;
    if (node->is_array()) {
      nlohmann::json* found = nullptr;
      std::vector<std::string> available;
      for (auto& e : *node) {
        if (e.is_object() && e.contains("name") && e["name"].is_string()) {
          available.push_back(e["name"].get<std::string>());
          if (e["name"] == key) found = &e;
        }
      }
      if (!found) {
        std::string list;
        for (const auto& a : available) list += (list.empty() ? "" : ", ") + a;
        throw ModelError(file, join(walked, key), "the name of an element of " + walked + " (" + list + ")",
                         "\"" + key + "\"", available.empty() ? "" : "did you mean \"" + nearest(key, available) + "\"?");
      }
      if (last) throw ModelError(file, path, "a path to a field inside " + join(walked, key), "a whole element");
      node = found;
    } else if (node->is_object()) {
      if (last) {
        (*node)[key] = parse_override_value(value);
        return;
      }
      if (!node->contains(key)) (*node)[key] = nlohmann::json::object();
      node = &(*node)[key];
    } else {
      throw ModelError(file, walked, "an object or array to enter with \"" + key + "\"", describe(*node),
                       "bad override path \"" + path + "\"");
    }
    walked = join(walked, key);
    pos = dot + 1;
  }
}

}  // namespace detail

Scenario& Scenario::set(const std::string& path, const std::string& value) { return set({{path, value}}); }

Scenario& Scenario::set(const std::vector<Override>& overrides) {
  nlohmann::json copy = doc_;
  for (const auto& o : overrides) detail::place_override(file_, copy, o.path, o.value);
  // Check the whole model with the overrides in place; keep the old one on error.
  std::swap(doc_, copy);
  try {
    rebuild();
  } catch (...) {
    std::swap(doc_, copy);
    rebuild();
    throw;
  }
  return *this;
}

std::vector<std::string> Scenario::region_names() const {
  std::vector<std::string> out;
  for (const auto& r : spec_.topology.regions()) out.push_back(r.name);
  return out;
}

}  // namespace drsim
