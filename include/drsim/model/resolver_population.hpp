// A model's `population` section: many resolvers with Zipf-like client
// shares and a mixture of TTL behaviours, and groups of clients behind them.
//
// The scenario layer expands it into `count` resolvers of one preset (named
// population-1 .. population-N, resolver k serving a share proportional to
// 1 / k^zipf_exponent of each group's clients) and one client population per
// group. Which resolvers extend TTLs is drawn per replication: each is a
// violator with probability violator_share and then holds every answer for
// max(TTL, a draw of violator_hold).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "drsim/core/fields.hpp"
#include "drsim/core/random.hpp"
#include "drsim/model/dns.hpp"
#include "drsim/model/model_spec.hpp"
#include "drsim/model/sources.hpp"

namespace drsim {

inline constexpr const char* kSourceFlavel2014 =
    "Flavel, Mani, Maltz, Re-evaluating the responsiveness of DNS-based network control, IEEE LANMAN 2014, "
    "https://doi.org/10.1109/LANMAN.2014.7028641 (TTL 20 s: 90 % of requests switched within 60 s, 2 % of users "
    "still on the old answer after 15 min)";
inline constexpr const char* kSourceAkamaiDemand =
    "https://techdocs.akamai.com/gtm/docs/nameserver-demand-estimation (some nameservers represent more traffic)";

/// How a population section's groups run: request by request, or in
/// aggregate (aggregated_clients.hpp) where that gives the same figures.
enum class PopulationExecution : std::uint8_t { aggregated, per_request };
constexpr std::array<std::string_view, 2> enum_names(PopulationExecution) { return {"aggregated", "per_request"}; }

struct ResolverPopulationSpec {
  std::size_t count = 100;
  PopulationExecution execution = PopulationExecution::aggregated;
  std::string preset = "unbound";
  double zipf_exponent = 1.0;
  double violator_share = 0.0874;
  /// Median 10 min, log-sd 0.75 (mean 795 s, sd 691 s).
  Distribution violator_hold_s = Distribution::lognormal(795.0, 691.0);
  std::vector<PopulationSpec> groups;
};

template <>
inline const FieldTable& fields_of<ResolverPopulationSpec>() {
  static const FieldTable table = FieldTable::build<ResolverPopulationSpec>("population", [](auto& t) {
    using P = ResolverPopulationSpec;
    t.means("Many resolvers with Zipf-like client shares and a mixture of TTL behaviours, and groups of clients "
            "behind them (expanded into resolvers population-1 .. population-N and one client population per group)")
        .states("population", "{resolvers} {resolver_preset} resolvers, client shares 1/k^{zipf_exponent}, "
                              "{violator_share} of them TTL violators");
    t.add("resolvers", &P::count).range(1, 100000).in_unit("resolvers")
        .means("how many resolvers the clients are spread over").source_is("drsim convention");
    // A choice among the resolver presets, held by name.
    Field& preset = t.value(
        "resolver_preset", FieldKind::choice,
        [](const P& p) -> FieldValue {
          const auto names = resolver_preset_names();
          return static_cast<std::int64_t>(std::find(names.begin(), names.end(), p.preset) - names.begin());
        },
        [](P& p, const FieldValue& v) { p.preset = resolver_preset_names().at(static_cast<std::size_t>(std::get<std::int64_t>(v))); });
    preset.names = resolver_preset_names();
    preset.means("the implementation every population resolver runs (a resolvers[] preset name)")
        .source_is("drsim convention");
    t.add("zipf_exponent", &P::zipf_exponent).range(0, 10)
        .means("resolver k (1-based) serves a share of the clients proportional to 1 / k^zipf_exponent (Zipf-like "
               "demand; the exponent is an assumption)")
        .source_is(kSourceAkamaiDemand);
    t.add("violator_share", &P::violator_share).as_share()
        .means("the chance that a resolver extends TTLs, drawn per resolver and replication (8.74 % of 8,524 "
               "resolvers, PAM 2023: a share of resolvers, not of clients)")
        .source_is(kSourcePam2023TtlViolations);
    t.add("violator_hold", &P::violator_hold_s).in_unit("s")
        .means("a violator holds every answer for max(TTL, a draw of this): lognormal, median 10 min, log-sd 0.75, "
               "an interpolation (no holding time is published) through Flavel et al.'s two points with PAM 2023's "
               "share: about 8 % of requests on the old answer 60 s after a change (TTL 20 s), about 2 % of clients "
               "after 15 min")
        .source_is(std::string("interpolation: ") + kSourceFlavel2014);
    t.add("execution", &P::execution)
        .means("aggregated: each client's DNS cache epochs are simulated and the requests of an epoch played "
               "against the recorded gateway states, with no event per request (the same figures in "
               "distribution; groups it does not cover run per request, and the run's warnings say why); "
               "per_request: every request an event")
        .source_is("drsim convention (docs/architecture.md, Aggregated populations)");
    t.objects("groups", &P::groups, true).must();
  });
  return table;
}

/// Resolver k's (0-based) share of a group's clients.
inline std::vector<double> zipf_shares(std::size_t n, double exponent) {
  std::vector<double> w(n);
  double total = 0;
  for (std::size_t k = 0; k < n; ++k) total += w[k] = 1.0 / std::pow(static_cast<double>(k + 1), exponent);
  for (auto& x : w) x /= total;
  return w;
}

/// The population as resolvers population-1 .. population-N after those
/// already there, and one client population per group spread over them.
inline void expand_population(const ResolverPopulationSpec& pop, std::vector<ResolverParams>& resolvers,
                              std::vector<PopulationSpec>& populations) {
  const std::size_t base = resolvers.size();
  for (std::size_t k = 0; k < pop.count; ++k) {
    ResolverParams r = resolver_preset(pop.preset);
    r.name = "population-" + std::to_string(k + 1);
    r.violator_hold_s = pop.violator_hold_s;
    r.violator_chance = pop.violator_share;
    resolvers.push_back(std::move(r));
  }
  const std::vector<double> shares = zipf_shares(pop.count, pop.zipf_exponent);
  for (PopulationSpec g : pop.groups) {
    g.aggregate = pop.execution == PopulationExecution::aggregated;
    for (std::size_t k = 0; k < pop.count; ++k) g.resolvers.emplace_back(base + k, shares[k]);
    populations.push_back(std::move(g));
  }
}

/// Why a client population cannot run in aggregate, or nullopt when it can.
inline std::optional<std::string> aggregation_blocker(const ModelSpec& spec, const PopulationSpec& ps) {
  const ClientProfile& p = ps.profile;
  if (ps.load.kind != LoadKind::open_loop) return "its load is not open_loop";
  if (ps.load.arrivals != ArrivalProcess::poisson) return "its arrivals are not poisson";
  if (!ps.load.rate.constant_from_start() || ps.load.diurnal) return "its rate varies in time";
  if (p.retries > 0) return "its clients retry";
  if (p.choice == AddressChoice::round_robin) return "its clients choose addresses round robin (a per-client counter)";
  if (p.cache == DnsCacheRule::refresh) return "its clients refresh their cache on a grid (a per-client phase)";
  for (std::size_t c = 0; c < spec.gateways.size(); ++c) {
    if (spec.gateways[c].capacity_model)
      return "gateway " + spec.topology.clusters()[c].name + " has a capacity model (queues and rate limits are simulated request by request)";
    if (spec.gateways[c].app) return "gateway " + spec.topology.clusters()[c].name + " has an app";
  }
  for (const auto& f : spec.faults)
    if (f.kind == FaultKind::partition) return "a partition fault changes client paths during the run";
  for (const auto& [r, share] : ps.resolvers) {
    const auto& rp = spec.resolvers.at(r);
    if (rp.lookup_latency + rp.stale_wait > Duration::seconds(4)) return "a resolver's lookup takes more than 4 s";
  }
  return std::nullopt;
}

/// Leaves `aggregate` set only where the whole model can run in aggregate
/// (every population qualifies: the clients share resolvers, whose queries
/// must come in time order); otherwise every group runs per request and a
/// warning says why.
inline void settle_execution(ModelSpec& spec, std::vector<std::string>* warnings) {
  std::vector<std::string> reasons;
  bool wanted = false;
  for (const auto& ps : spec.populations) {
    if (!ps.aggregate) {
      reasons.push_back("clients " + ps.name + " run per request");
      continue;
    }
    wanted = true;
    if (const auto why = aggregation_blocker(spec, ps)) reasons.push_back("population group " + ps.name + ": " + *why);
  }
  if (!wanted || reasons.empty()) return;
  for (auto& ps : spec.populations) ps.aggregate = false;
  if (!warnings) return;
  std::string w = "population.execution aggregated does not cover this model, so every request runs as events (";
  for (std::size_t i = 0; i < reasons.size(); ++i) w += (i ? "; " : "") + reasons[i];
  warnings->push_back(w + ")");
}

}  // namespace drsim
