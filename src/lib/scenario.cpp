// Model files -> ModelSpec. The field tables declared beside each component
// say what every value is; the generic reader (field_reader.cpp) checks them
// all. What stays here is what a table cannot say: names that refer to other
// sections (regions, sites, resolvers), values that take one of several
// forms, checks across fields, and the assembly of the topology.
#include "drsim/scenario/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "drsim/model/service_graph.hpp"
#include "drsim/scenario/model_file.hpp"
#include "drsim/scenario/reference.hpp"
#include "field_reader.hpp"
#include "field_text.hpp"
#include "scenario_mesh.hpp"

namespace drsim {

struct Scenario::Document {
  nlohmann::json json;
};

namespace detail {
namespace {

std::string at(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

/// Names a section declares, for the references of other sections.
using NameMap = std::map<std::string, std::size_t>;

std::size_t lookup(const ReadContext& ctx, const NameMap& names, const json& v, const std::string& path,
                   const std::string& what) {
  std::vector<std::string> list;
  for (const auto& [k, _] : names) list.push_back(k);
  const std::string expected = "the name of " + what + " (" + join_list(list) + ")";
  if (!v.is_string()) ctx.fail(path, expected, describe(v));
  const auto it = names.find(v.get<std::string>());
  if (it == names.end())
    ctx.fail(path, expected, describe(v) + ", which does not exist",
             list.empty() ? "" : "did you mean \"" + nearest(v.get<std::string>(), list) + "\"?");
  return it->second;
}

/// The model file being read: each hook looks names up in the sections
/// read before it (regions, then sites, then resolvers), as the file's
/// order of sections in the model table guarantees.
class ModelReader {
 public:
  ModelReader(ReadContext& ctx, const json& doc) : ctx_(ctx), doc_(doc) { install_hooks(); }

  void read(ModelSpec& spec, std::string& name, std::vector<std::string>& notes, std::vector<Assumption>& assumptions) {
    read_object(ctx_, fields_of<ModelFile>(), doc_, "", &file_);
    for (const char* section : {"resolvers", "clients"})
      if (!file_.population && !doc_.contains(section))
        ctx_.fail(section, "an array (or a \"population\" section)", "nothing (the field is required)");
    check_regions();
    build_topology(spec.topology);
    check_gtm();
    check_clients();
    for (std::size_t i = 0; i < file_.resolvers.size(); ++i) {
      const auto& r = file_.resolvers[i];
      if (r.max_ttl < r.min_ttl)
        ctx_.fail(at("resolvers", i) + ".max_ttl", "max_ttl >= min_ttl (" + to_string(r.min_ttl) + ")",
                  to_string(r.max_ttl));
    }
    for (const auto& r : file_.regions) spec.gateways.push_back(r.gateway);
    spec.gtm = file_.gtm;
    spec.resolvers = file_.resolvers;
    spec.populations = file_.clients;
    if (file_.population) expand_population(*file_.population, spec.resolvers, spec.populations);
    spec.faults = file_.faults;
    spec.alerts = file_.alerts;
    check_mesh(ctx_, file_, spec);
    settle_execution(spec, ctx_.warnings);
    spec.horizon = file_.duration;
    spec.log_events = file_.log_events;
    name = file_.name;
    notes = file_.notes;
    state(assumptions);
  }

 private:
  // ---- names -------------------------------------------------------------

  NameMap regions() const {
    NameMap m;
    for (std::size_t i = 0; i < file_.regions.size(); ++i) m[file_.regions[i].name] = i;
    return m;
  }
  /// Clusters by name, and regions standing for their (first) cluster.
  NameMap clusters_and_regions() const {
    NameMap m = regions();
    for (std::size_t i = 0; i < file_.regions.size(); ++i) m[file_.regions[i].cluster_name()] = i;
    return m;
  }
  /// Topology nodes: regions first, then sites, in file order.
  NameMap nodes() const {
    NameMap m = regions();
    for (std::size_t i = 0; i < file_.sites.size(); ++i) m[file_.sites[i].name] = file_.regions.size() + i;
    return m;
  }
  SiteKind node_kind(std::size_t node) const {
    return node < file_.regions.size() ? SiteKind::region : file_.sites[node - file_.regions.size()].kind;
  }
  std::size_t site_of_kind(const json& v, const std::string& path, SiteKind kind) const {
    const std::string what = std::string("a ") + std::string(name_of(kind)) + " site";
    const std::size_t n = lookup(ctx_, nodes(), v, path, what);
    if (node_kind(n) != kind) ctx_.fail(path, "a site of kind " + std::string(name_of(kind)), describe(v));
    return n;
  }

  template <class S>
  static S& as(void* obj) {
    return *static_cast<S*>(obj);
  }

  // ---- hooks: values a table cannot describe --------------------------------

  void install_hooks() {
    auto& h = ctx_.hooks;
    h["model/notes"] = [this](const json& v, const std::string& path, void*) {
      if (v.is_string()) file_.notes.push_back(v.get<std::string>());
      else if (!v.is_array()) ctx_.fail(path, "a string or an array of strings", describe(v));
      else
        for (std::size_t i = 0; i < v.size(); ++i) {
          if (!v[i].is_string()) ctx_.fail(at(path, i), "a string", describe(v[i]));
          file_.notes.push_back(v[i].get<std::string>());
        }
    };
    h["region/cluster"] = [this](const json& v, const std::string& path, void* obj) {
      if (!v.is_string()) ctx_.fail(path, "a string", describe(v));
      const std::string cname = v.get<std::string>();
      for (const auto& r : file_.regions)
        if (&r != obj && r.cluster_name() == cname) ctx_.fail(path, "a unique cluster name", "a second \"" + cname + "\"");
      as<RegionSpec>(obj).cluster = cname;
    };
    h["site/name"] = [this](const json& v, const std::string& path, void* obj) {
      if (regions().count(v.get<std::string>()))
        ctx_.fail(path, "a name no region or site has", "\"" + v.get<std::string>() + "\"");
      as<SiteSpec>(obj).name = v.get<std::string>();
    };
    h["site/kind"] = [this](const json& v, const std::string& path, void* obj) {
      const std::vector<std::string> kinds = {"client", "probe", "transit"};
      if (!v.is_string() || std::find(kinds.begin(), kinds.end(), v.get<std::string>()) == kinds.end())
        ctx_.fail(path, "one of " + join_list(kinds), describe(v),
                  v.is_string() ? "did you mean \"" + nearest(v.get<std::string>(), kinds) + "\"?" : "");
      as<SiteSpec>(obj).kind = *enum_from_name<SiteKind>(v.get<std::string>());
    };
    h["region/links"] = [this](const json& v, const std::string& path, void* obj) { read_links(v, path, as<RegionSpec>(obj).links); };
    h["site/links"] = [this](const json& v, const std::string& path, void* obj) { read_links(v, path, as<SiteSpec>(obj).links); };

    h["gtm.health_check/nodes"] = [this](const json& v, const std::string& path, void* obj) {
      if (!v.is_array() || v.empty()) ctx_.fail(path, "a non-empty array of probe site names", describe(v));
      for (std::size_t i = 0; i < v.size(); ++i)
        as<GtmParams>(obj).probe_sites.push_back(site_of_kind(v[i], at(path, i), SiteKind::probe));
    };
    h["gtm.health_check/phases"] = [this](const json& v, const std::string& path, void* obj) {
      if (!v.is_array()) ctx_.fail(path, "an array of durations", describe(v));
      for (std::size_t i = 0; i < v.size(); ++i) as<GtmParams>(obj).phases.push_back(read_duration(ctx_, v[i], at(path, i)));
    };
    h["gtm/pools"] = [this](const json& v, const std::string& path, void* obj) {
      if (!v.is_object()) ctx_.fail(path, "an object", describe(v));
      auto& p = as<GtmParams>(obj);
      if (!v.contains("primary")) ctx_.fail(join(path, "primary"), "an array", "nothing (the field is required)");
      p.primary = read_pool(v["primary"], join(path, "primary"));
      if (p.primary.empty()) ctx_.fail(join(path, "primary"), "at least one address", "an empty array");
      if (v.contains("failover")) p.failover = read_pool(v["failover"], join(path, "failover"));
      reject_unknown(ctx_, v, path, {"primary", "failover"});
    };

    h["service/calls"] = [this](const json& v, const std::string& path, void* obj) {
      if (!v.is_array()) ctx_.fail(path, "an array of calls, made in order", describe(v));
      auto& calls = as<ServiceSpec>(obj).calls;
      calls.clear();
      for (std::size_t k = 0; k < v.size(); ++k) calls.push_back(read_call(v[k], at(path, k)));
    };

    h["clients/site"] = [this](const json& v, const std::string& path, void* obj) {
      as<PopulationSpec>(obj).site = site_of_kind(v, path, SiteKind::client);
    };
    h["clients/resolvers"] = [this](const json& v, const std::string& path, void* obj) {
      NameMap names;
      for (std::size_t i = 0; i < file_.resolvers.size(); ++i) names[file_.resolvers[i].name] = i;
      auto& shares = as<PopulationSpec>(obj).resolvers;
      if (v.is_string()) {
        shares.emplace_back(lookup(ctx_, names, v, path, "a resolver"), 1.0);
        return;
      }
      if (!v.is_object()) ctx_.fail(path, "a resolver name or {resolver name: share}", describe(v));
      double total = 0;
      Field share;
      share.kind = FieldKind::share;
      share.range(0, 1);
      for (auto it = v.begin(); it != v.end(); ++it) {
        const std::size_t ri = lookup(ctx_, names, json(it.key()), join(path, it.key()), "a resolver");
        const double s = std::get<double>(read_value(ctx_, share, it.value(), join(path, it.key())));
        total += s;
        shares.emplace_back(ri, s);
      }
      if (std::abs(total - 1.0) > 1e-6) ctx_.fail(path, "shares that sum to 1", std::to_string(total));
    };
    h["load/rate"] = [this](const json& v, const std::string& path, void* obj) {
      auto& load = as<LoadSpec>(obj);
      if (!v.is_array()) {
        load.rate = RateProfile(read_rate(ctx_, v, path));
        return;
      }
      if (v.empty()) ctx_.fail(path, "at least one step", "an empty array");
      std::vector<RateProfile::Step> steps;
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string sp = at(path, i);
        if (!v[i].is_object()) ctx_.fail(sp, "an object", describe(v[i]));
        if (!v[i].contains("rate")) ctx_.fail(join(sp, "rate"), "a rate like \"100/s\"", "nothing (the field is required)");
        reject_unknown(ctx_, v[i], sp, {"at", "rate"});
        const Duration step_at = v[i].contains("at") ? read_duration(ctx_, v[i]["at"], join(sp, "at")) : Duration::zero();
        steps.push_back({step_at, read_rate(ctx_, v[i]["rate"], join(sp, "rate"))});
      }
      load.rate = RateProfile(steps);
    };

    h["fault/at"] = [this](const json& v, const std::string& path, void* obj) {
      auto& f = as<FaultSpec>(obj);
      if (v.is_string()) {
        f.at.lo = f.at.hi = read_duration(ctx_, v, path);
        return;
      }
      if (!(v.is_object() && v.size() == 1 && v.contains("uniform") && v["uniform"].is_array() && v["uniform"].size() == 2))
        ctx_.fail(path, "a time like \"150s\" or {\"uniform\": [\"100s\", \"200s\"]}", describe(v));
      f.at.lo = read_duration(ctx_, v["uniform"][0], path + ".uniform[0]");
      f.at.hi = read_duration(ctx_, v["uniform"][1], path + ".uniform[1]");
      if (f.at.hi < f.at.lo)
        ctx_.fail(path + ".uniform", "[earliest, latest] with earliest <= latest", describe(v["uniform"]));
    };
    h["fault/target"] = [this](const json& v, const std::string& path, void* obj) {
      auto& f = as<FaultSpec>(obj);
      if (f.kind == FaultKind::region_outage) f.region = lookup(ctx_, regions(), v, path, "a region");
      else f.clusters.push_back(lookup(ctx_, clusters_and_regions(), v, path, "a cluster or region"));
    };
    h["fault/links"] = [this](const json& v, const std::string& path, void* obj) {
      if (!v.is_array() || v.empty()) ctx_.fail(path, "a non-empty array of [node, node] pairs", describe(v));
      for (std::size_t k = 0; k < v.size(); ++k) {
        const std::string lp = at(path, k);
        if (!v[k].is_array() || v[k].size() != 2) ctx_.fail(lp, "a pair [node, node]", describe(v[k]));
        const std::size_t a = lookup(ctx_, nodes(), v[k][0], lp + "[0]", "a region or site");
        const std::size_t b = lookup(ctx_, nodes(), v[k][1], lp + "[1]", "a region or site");
        as<FaultSpec>(obj).links.emplace_back(a, b);
      }
    };
    h["alert/region"] = [this](const json& v, const std::string& path, void* obj) {
      as<AlertSpec>(obj).region = lookup(ctx_, regions(), v, path, "a region");
    };
  }

  void read_links(const json& v, const std::string& path, std::vector<LinkSpec>& out) {
    if (!v.is_object()) ctx_.fail(path, "an object of RTTs by region or site name", describe(v));
    for (auto it = v.begin(); it != v.end(); ++it) out.push_back({it.key(), read_duration(ctx_, it.value(), join(path, it.key()))});
  }

  std::vector<PoolMember> read_pool(const json& arr, const std::string& path) {
    if (!arr.is_array()) ctx_.fail(path, "an array of region or cluster names (or {\"target\", \"weight\"})", describe(arr));
    std::vector<PoolMember> pool;
    Field weight;
    weight.kind = FieldKind::number;
    weight.range(0, 1e9);
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string ep = at(path, i);
      const json* target = &arr[i];
      std::string target_path = ep;
      double w = 1.0;
      if (arr[i].is_object()) {
        if (!arr[i].contains("target")) ctx_.fail(ep + ".target", "a region or cluster name", "nothing (the field is required)");
        target = &arr[i]["target"];
        target_path = ep + ".target";
        if (arr[i].contains("weight")) w = std::get<double>(read_value(ctx_, weight, arr[i]["weight"], ep + ".weight"));
        reject_unknown(ctx_, arr[i], ep, {"target", "weight"});
      }
      pool.push_back({static_cast<std::uint16_t>(lookup(ctx_, clusters_and_regions(), *target, target_path, "a region or cluster")), w});
    }
    return pool;
  }

  /// One call of a service: "details", ["reviews-v1", "reviews-v2"] (one of
  /// them, equal chance) or {"reviews-v1": 1, "reviews-v3": 2} (by weight).
  ServiceCall read_call(const json& v, const std::string& path) {
    const std::string expected = "a service name, an array of alternative names, or an object of alternative names and weights";
    ServiceCall c;
    if (v.is_string()) {
      c.to.push_back(v.get<std::string>());
    } else if (v.is_array()) {
      if (v.empty()) ctx_.fail(path, expected, "an empty array");
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string()) ctx_.fail(at(path, i), "a service name", describe(v[i]));
        c.to.push_back(v[i].get<std::string>());
      }
    } else {
      if (!v.is_object() || v.empty()) ctx_.fail(path, expected, describe(v));
      Field weight;
      weight.kind = FieldKind::number;
      weight.range(0, 1e9);
      double total = 0;
      for (auto it = v.begin(); it != v.end(); ++it) {
        c.to.push_back(it.key());
        c.weights.push_back(std::get<double>(read_value(ctx_, weight, it.value(), join(path, it.key()))));
        total += c.weights.back();
      }
      if (!(total > 0)) ctx_.fail(path, "weights with a positive sum", describe(v));
    }
    return c;
  }

  // ---- checks across fields ------------------------------------------------

  void check_regions() {
    std::optional<ServiceGraph> first_app;
    std::size_t first_region = 0;
    for (std::size_t i = 0; i < file_.regions.size(); ++i) {
      RegionSpec& r = file_.regions[i];
      GatewaySpec& gw = r.gateway;
      const std::string path = at("regions", i) + ".gateway";
      const json& g = doc_["regions"][i].contains("gateway") ? doc_["regions"][i]["gateway"] : json::object();
      if (gw.address.empty()) gw.address = r.cluster_name();
      if (g.contains("cluster_local") && !gw.app)
        ctx_.fail(path + ".cluster_local", "an \"app\" beside it (retention applies to the app's calls)", "no app");
      gw.capacity_model = g.contains("replicas");
      if (!gw.capacity_model) {
        for (const char* k : {"pod", "rate_limit", "hpa", "cpu_request", "rejected_cpu_share"})
          if (g.contains(k))
            ctx_.fail(path + ".replicas", std::string("a replica count (\"") + k + "\" needs the capacity model)", "nothing");
      } else {
        check_capacity(gw.capacity, g, path);
      }
      if (gw.app) {
        check_app(*gw.app, g["app"], path + ".app");
        ServiceGraph graph(*gw.app);
        if (!first_app) {
          first_app.emplace(*gw.app);
          first_region = i;
        } else if (!first_app->same_calls(graph)) {
          ctx_.fail(path + ".app",
                    "the same services and calls as regions[" + std::to_string(first_region) +
                        "].gateway.app (capacities and service times may differ)",
                    "a different call graph");
        }
      }
    }
  }

  void check_capacity(const GatewayCapacitySpec& c, const json& g, const std::string& path) {
    if (c.rate_limit) {
      try {
        c.rate_limit->bucket().validate();
      } catch (const std::invalid_argument& e) {
        ctx_.fail(path + ".rate_limit", "a token bucket Envoy accepts", describe(g["rate_limit"]), e.what());
      }
    }
    if (!c.hpa) return;
    const HpaSpec& hs = c.hpa->spec;
    if (hs.max_replicas < hs.min_replicas)
      ctx_.fail(path + ".hpa.max_replicas", "max_replicas >= min_replicas (" + std::to_string(hs.min_replicas) + ")",
                std::to_string(hs.max_replicas));
    if (c.replicas < hs.min_replicas || c.replicas > hs.max_replicas)
      ctx_.fail(path + ".replicas",
                "replicas within the HPA's [min_replicas, max_replicas] = [" + std::to_string(hs.min_replicas) + ", " +
                    std::to_string(hs.max_replicas) + "]",
                std::to_string(c.replicas));
    try {
      HorizontalPodAutoscaler check(hs, c.hpa->controller);  // what the API server would refuse
    } catch (const std::invalid_argument& e) {
      ctx_.fail(path + ".hpa", "an HPA the API server accepts", describe(g["hpa"]), e.what());
    }
  }

  /// Services named in calls exist, and the graph has no cycle.
  void check_app(const ServiceGraphSpec& app, const json& v, const std::string& path) {
    if (v.is_object() && !v.contains("preset") && !v.contains("services"))
      ctx_.fail(path + ".services", "an array", "nothing (the field is required)");
    std::vector<std::string> names;
    for (const auto& s : app.services) names.push_back(s.name);
    const json services = v.is_object() && v.contains("services") ? v["services"] : json::array();
    for (const auto& s : app.services) {
      // Where the calls were written: the file's element of that name, or the app (a preset's).
      std::string where = path;
      for (std::size_t j = 0; j < services.size(); ++j)
        if (services[j].value("name", "") == s.name && services[j].contains("calls")) where = at(path + ".services", j) + ".calls";
      for (std::size_t k = 0; k < s.calls.size(); ++k)
        for (const auto& to : s.calls[k].to)
          if (std::find(names.begin(), names.end(), to) == names.end())
            ctx_.fail(where == path ? path : at(where, k), "the name of a service of the app (" + join_list(names) + ")",
                      "\"" + to + "\", which does not exist", "did you mean \"" + nearest(to, names) + "\"?");
    }
    try {
      ServiceGraph check(app);
    } catch (const std::invalid_argument& e) {
      ctx_.fail(path, "a call graph without cycles, at most " + std::to_string(ServiceGraph::kMaxDepth) + " calls deep",
                e.what());
    }
  }

  void check_gtm() {
    GtmParams& p = file_.gtm;
    const json& gtm = doc_["gtm"];
    const json& hc = gtm.contains("health_check") ? gtm["health_check"] : json::object();
    if (gtm.contains("health_check") && !hc.contains("recovery")) p.recovery = p.failures;
    if (hc.contains("rule") && hc["rule"].size() != 1)
      ctx_.fail("gtm.health_check.rule",
                "exactly one of {\"failing_share_above\": x} (Alibaba) or {\"healthy_share_above\": x} (Route 53)",
                describe(hc["rule"]));
    if (p.probe_sites.empty()) {
      // No probe sites named: every probe site in the model probes.
      for (std::size_t n = file_.regions.size(); n < file_.regions.size() + file_.sites.size(); ++n)
        if (node_kind(n) == SiteKind::probe) p.probe_sites.push_back(n);
      if (p.probe_sites.empty()) ctx_.fail("gtm.health_check.nodes", "at least one site of kind probe in \"sites\"", "none");
    }
    if (p.primary.empty())
      for (std::size_t c = 0; c < file_.regions.size(); ++c) p.primary.push_back({static_cast<std::uint16_t>(c), 1.0});
    if (!ctx_.warnings) return;
    if (p.interval < Duration::seconds(15))
      ctx_.warnings->push_back("gtm.health_check.interval " + to_string(p.interval) +
                               " is below Alibaba GTM's 15 s minimum (fine for a test rig)");
    const Duration choices[] = {Duration::seconds(60), Duration::seconds(120), Duration::seconds(300), Duration::seconds(600)};
    if (std::find(std::begin(choices), std::end(choices), p.ttl) == std::end(choices))
      ctx_.warnings->push_back("gtm.ttl " + to_string(p.ttl) +
                               " is not a GTM 2.0 choice (60, 120, 300, 600 s); GTM 3.0 allows custom TTLs");
  }

  void check_clients() {
    for (std::size_t i = 0; i < file_.clients.size(); ++i) check_client(file_.clients[i], at("clients", i));
    if (!file_.population) return;
    auto& groups = file_.population->groups;
    for (std::size_t i = 0; i < groups.size(); ++i) {
      if (!groups[i].resolvers.empty())
        ctx_.fail(at("population.groups", i) + ".resolvers", "nothing (a group's clients use the population's resolvers)",
                  "a resolvers field");
      check_client(groups[i], at("population.groups", i));
    }
  }

  void check_client(PopulationSpec& c, const std::string& path) {
    const ClientProfile& p = c.profile;
    if ((p.cache == DnsCacheRule::fixed || p.cache == DnsCacheRule::refresh) && p.hold == Duration::zero())
      ctx_.fail(path + ".profile.dns_hold",
                "a positive duration for the " + std::string(name_of(p.cache)) + " cache rule", "0s or nothing");
    if (p.cache == DnsCacheRule::refresh && p.hold.seconds_f() < kMinPeriodSeconds)
      ctx_.fail(path + ".profile.dns_hold", "a refresh period of at least 100ms", to_string(p.hold));
    if (c.load.kind == LoadKind::open_loop)
      for (const auto& step : c.load.rate.steps())
        if (step.rate > 0 && 1.0 / step.rate > c.load.duration.seconds_f())
          ctx_.fail(path + ".load.rate",
                    "a rate of at least one request in the load's duration (" + to_string(c.load.duration) + ")",
                    std::to_string(step.rate) + "/s");
    const Duration horizon = file_.duration > Duration::zero() ? file_.duration : c.load.end() + Duration::seconds(60);
    if (horizon.seconds_f() > kMaxRunSeconds)
      ctx_.fail(path + ".load", "a load that ends within 7 days (the longest run)",
                "one that ends at " + to_string(c.load.end()));
    if (c.resolvers.empty() && !file_.resolvers.empty()) c.resolvers.emplace_back(0, 1.0);
    if (c.load.diurnal) c.load.rate.set_diurnal(c.load.diurnal->amplitude, c.load.diurnal->period, c.load.diurnal->peak_at);
  }

  // ---- assembly -------------------------------------------------------------

  void build_topology(Topology& topo) {
    for (const auto& r : file_.regions) topo.add_cluster(r.cluster_name(), topo.add_region(r.name));
    for (const auto& s : file_.sites) topo.add_site(s.name, s.kind);
    const NameMap names = nodes();
    auto link = [&](std::size_t owner, const std::vector<LinkSpec>& links, const std::string& path) {
      for (const auto& l : links) topo.add_link(owner, lookup(ctx_, names, json(l.to), join(path, l.to), "a region or site"), l.rtt);
    };
    for (std::size_t i = 0; i < file_.regions.size(); ++i) link(topo.region_node(i), file_.regions[i].links, at("regions", i) + ".links");
    for (std::size_t i = 0; i < file_.sites.size(); ++i) link(file_.regions.size() + i, file_.sites[i].links, at("sites", i) + ".links");
    for (std::size_t i = 0; i < file_.faults.size(); ++i)
      for (std::size_t k = 0; k < file_.faults[i].links.size(); ++k) {
        const auto [a, b] = file_.faults[i].links[k];
        if (topo.links_between(a, b).empty())
          ctx_.fail(at(at("faults", i) + ".links", k), "a pair joined by a link", describe(doc_["faults"][i]["links"][k]));
      }
    // Retention off sends calls to the peer cluster: it needs a route there.
    for (std::size_t c = 0; c < file_.regions.size() && ctx_.warnings; ++c) {
      if (!file_.regions[c].gateway.app || file_.regions[c].gateway.cluster_local) continue;
      for (std::size_t d = 0; d < file_.regions.size(); ++d) {
        if (d == c || !file_.regions[d].gateway.app || topo.rtt(topo.region_node(c), topo.region_node(d))) continue;
        const auto& from = file_.regions[c].name;
        const auto& to = file_.regions[d].name;
        ctx_.warnings->push_back(at("regions", c) + ".gateway.cluster_local is false but no link joins " + from + " and " +
                                 to + ": every call sent there fails (add \"links\": {\"" + to + "\": \"30ms\"} to " +
                                 from + ")");
      }
    }
  }

  /// The assumption lines, from the tables' statements, in the order results have always given them.
  void state(std::vector<Assumption>& out) const {
    auto say = [&](const FieldTable& table, const void* obj) {
      for (const auto& s : table.statements()) {
        if (!s.when.empty() && !present(table, obj, s.when)) continue;
        out.push_back({*render(table, obj, s.key), *render(table, obj, s.value)});
      }
    };
    say(fields_of<GtmParams>(), &file_.gtm);
    for (const auto& c : file_.clients) say(fields_of<PopulationSpec>(), &c);
    for (const auto& r : file_.regions) say(fields_of<RegionSpec>(), &r);
    for (const auto& r : file_.resolvers) say(fields_of<ResolverParams>(), &r);
    if (file_.mesh) say(fields_of<MeshSpec>(), &*file_.mesh);
    if (file_.population) {
      say(fields_of<ResolverPopulationSpec>(), &*file_.population);
      for (const auto& g : file_.population->groups) say(fields_of<PopulationSpec>(), &g);
    }
  }

  ReadContext& ctx_;
  const json& doc_;
  ModelFile file_;
};

/// Puts `value` (override text) at a dotted path of `doc`, arrays entered by element name.
/// The offset of the first byte that is not valid UTF-8, or npos.
std::size_t invalid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return i;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return i;
    i += n;
  }
  return std::string::npos;
}

void place_override(const std::string& file, json& doc, const std::string& path, const std::string& value) {
  if (path.empty()) throw ModelError(file, "", "an override path like gtm.ttl", "an empty path");
  for (const auto* text : {&path, &value})
    if (const std::size_t bad = invalid_utf8(*text); bad != std::string::npos) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>((*text)[bad]));
      throw ModelError(file, printable(text == &path ? path.substr(0, bad) : path), "UTF-8 text",
                       std::string("a byte ") + byte + " that is not UTF-8 at offset " + std::to_string(bad) + " of the " +
                           (text == &path ? "path" : "value"));
    }
  json* node = &doc;
  std::string walked;
  std::size_t pos = 0;
  while (true) {
    const std::size_t dot = path.find('.', pos);
    const std::string key = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (key.empty()) throw ModelError(file, path, "an override path like gtm.ttl", "an empty segment in \"" + path + "\"");
    const bool last = dot == std::string::npos;
    if (node->is_array()) {
      json* found = nullptr;
      std::vector<std::string> available;
      for (auto& e : *node) {
        if (e.is_object() && e.contains("name") && e["name"].is_string()) {
          available.push_back(e["name"].get<std::string>());
          if (e["name"] == key) found = &e;
        }
      }
      if (!found)
        throw ModelError(file, join(walked, key), "the name of an element of " + walked + " (" + join_list(available) + ")",
                         "\"" + key + "\"", available.empty() ? "" : "did you mean \"" + nearest(key, available) + "\"?");
      if (last) throw ModelError(file, path, "a path to a field inside " + join(walked, key), "a whole element");
      node = found;
    } else if (node->is_object()) {
      if (last) {
        try {
          (*node)[key] = override_json(field_at(path), value);
        } catch (const nlohmann::json::exception& e) {
          throw ModelError(file, path, "a value within JSON's range", json(value).dump(), e.what());
        }
        return;
      }
      if (!node->contains(key)) (*node)[key] = json::object();
      node = &(*node)[key];
    } else {
      throw ModelError(file, walked, "an object or array to enter with \"" + key + "\"", describe(*node),
                       "bad override path \"" + path + "\"");
    }
    walked = join(walked, key);
    pos = dot + 1;
  }
}

}  // namespace
}  // namespace detail

Scenario Scenario::from_json(const std::string& text, const std::string& name) {
  Scenario s;
  s.file_ = name;
  auto doc = std::make_shared<Document>();
  // Byte offset -> "line L, column C" for the message.
  auto where = [&](std::size_t pos) {
    pos = std::min(pos, text.size());
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < pos; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(col);
  };
  auto reason = [](const std::string& what) {
    const auto colon = what.rfind(": ");
    return detail::printable(colon == std::string::npos ? what : what.substr(colon + 2));
  };
  try {
    doc->json = nlohmann::json::parse(text, detail::DuplicateKeys(name).callback());
  } catch (const nlohmann::json::parse_error& e) {
    throw ModelError(name, where(e.byte == 0 ? 0 : e.byte - 1), "valid JSON", reason(e.what()));
  } catch (const nlohmann::json::out_of_range& e) {
    // A number beyond double range ("1e400"): point at its text.
    std::string what = e.what();
    const auto q = what.find('\''), q2 = what.rfind('\'');
    const std::string number = q != std::string::npos && q2 > q ? what.substr(q + 1, q2 - q - 1) : "";
    const std::size_t pos = number.empty() ? std::string::npos : text.find(number);
    throw ModelError(name, pos == std::string::npos ? "" : where(pos), "a number within double range",
                     number.empty() ? reason(what) : "number " + number);
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(name, "", "valid JSON", reason(e.what()));
  }
  s.doc_ = std::move(doc);
  s.rebuild();
  return s;
}

Scenario Scenario::load(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ModelError(path, "", "a model file", "a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError(path, "", "a readable model file", "no such file or no permission");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_json(ss.str(), path);
}

void Scenario::rebuild() {
  std::vector<std::string> warnings;
  detail::ReadContext ctx{file_, &warnings, {}};
  ModelSpec spec;
  std::string name;
  std::vector<std::string> notes;
  std::vector<Assumption> assumptions;
  detail::ModelReader(ctx, doc_->json).read(spec, name, notes, assumptions);
  spec_ = std::move(spec);
  name_ = std::move(name);
  notes_ = std::move(notes);
  assumptions_ = std::move(assumptions);
  warnings_ = std::move(warnings);
}

std::string Scenario::to_json(int indent) const { return doc_->json.dump(indent); }

Scenario& Scenario::set(const std::string& path, const std::string& value) { return set({{path, value}}); }

Scenario& Scenario::set(const std::vector<Override>& overrides) {
  auto doc = std::make_shared<Document>(*doc_);
  for (const auto& o : overrides) detail::place_override(file_, doc->json, o.path, o.value);
  // Check the whole model with the overrides in place; keep the old one on error.
  Scenario next = *this;
  next.doc_ = std::move(doc);
  next.rebuild();
  *this = std::move(next);
  return *this;
}

std::optional<std::string> Scenario::value_at(const std::string& path) const {
  const nlohmann::json* node = &doc_->json;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t dot = path.find('.', pos);
    const std::string key = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    const nlohmann::json* next = nullptr;
    if (node->is_object() && node->contains(key)) next = &(*node)[key];
    if (node->is_array())
      for (const auto& e : *node)
        if (e.is_object() && e.contains("name") && e["name"] == key) next = &e;
    if (!next) return std::nullopt;
    node = next;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return node->is_string() ? node->get<std::string>() : node->dump();
}

std::vector<std::string> Scenario::region_names() const {
  std::vector<std::string> out;
  for (const auto& r : spec_.topology.regions()) out.push_back(r.name);
  return out;
}

}  // namespace drsim
