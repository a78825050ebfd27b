// A model file as plain data, section by section, before names are turned
// into indices: what the generic reader fills from the JSON document and
// the scenario reader assembles into a ModelSpec. Its field tables (with
// those of every component below them) are the model reference:
// `drsim explain` and docs/model-reference.md print them.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drsim/core/fields.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/model_spec.hpp"
#include "drsim/model/resolver_population.hpp"

namespace drsim {

/// A two-way link from the node that lists it, by the other node's name.
struct LinkSpec {
  std::string to;
  Duration rtt;
};

struct RegionSpec {
  std::string name;
  std::string cluster;  // empty: "<name>-cluster"
  GatewaySpec gateway;
  std::vector<LinkSpec> links;

  [[nodiscard]] std::string cluster_name() const { return cluster.empty() ? name + "-cluster" : cluster; }
};

template <>
inline const FieldTable& fields_of<RegionSpec>() {
  static const FieldTable table = FieldTable::build<RegionSpec>("region", [](auto& t) {
    using P = RegionSpec;
    t.means("A region with one cluster and its gateway")
        .states("app {cluster}",
                "{gateway.app.services#} services, entry {gateway.app.services[0].name}, cluster-local traffic "
                "retention {gateway.cluster_local?on|off}, connect timeout {gateway.app.connect_timeout}",
                "gateway.app");
    t.add("name", &P::name).must().means("the region's name, unique among regions and sites");
    t.add("cluster", &P::cluster).means("its cluster's name, unique").default_is("\"<region name>-cluster\"")
        .source_is("drsim convention");
    t.object("gateway", &P::gateway);
    t.custom("links", FieldKind::reference, "an object of RTTs by region or site name, e.g. {\"region-1\": \"2ms\"}")
        .means("two-way links; RTTs between nodes are shortest paths over links that are up")
        .default_is("none");
  });
  return table;
}

struct SiteSpec {
  std::string name;
  SiteKind kind = SiteKind::client;
  std::vector<LinkSpec> links;
};

template <>
inline const FieldTable& fields_of<SiteSpec>() {
  static const FieldTable table = FieldTable::build<SiteSpec>("site", [](auto& t) {
    using P = SiteSpec;
    t.means("A place clients or probes sit, or a transit point; client and probe sites are path ends only");
    t.add("name", &P::name).must().means("the site's name, unique among regions and sites");
    t.add("kind", &P::kind).means("client, probe or transit (region is for regions only)").source_is("drsim convention");
    t.custom("links", FieldKind::reference, "an object of RTTs by region or site name, e.g. {\"region-1\": \"2ms\"}")
        .must().means("two-way links to regions or sites");
  });
  return table;
}

/// The whole file.
struct ModelFile {
  std::string name = "model";
  std::string description;
  std::vector<std::string> notes;
  Duration duration = Duration::zero();
  bool log_events = true;
  std::vector<RegionSpec> regions;
  std::vector<SiteSpec> sites;
  GtmParams gtm;
  std::vector<ResolverParams> resolvers;
  std::vector<PopulationSpec> clients;
  std::vector<FaultSpec> faults;
  std::vector<AlertSpec> alerts;
  std::optional<ResolverPopulationSpec> population;
  std::optional<MeshSpec> mesh;
};

template <>
inline const FieldTable& fields_of<ModelFile>() {
  static const FieldTable table = FieldTable::build<ModelFile>("model", [](auto& t) {
    using P = ModelFile;
    t.means("A drsim model file");
    t.add("name", &P::name).means("shown in results").source_is("drsim convention");
    t.add("description", &P::description).means("read and ignored").source_is("drsim convention");
    t.custom("notes", FieldKind::custom, "a string or an array of strings")
        .means("copied into the result's notes").default_is("none");
    t.add("duration", &P::duration).at_most(kMaxRunSeconds).in_unit("s")
        .means("the run's horizon, at most 7 days (the per-second series of a run are kept in memory)")
        .default_is("0s: the end of the last load generator + 60 s").source_is("assumption");
    t.add("log_events", &P::log_events).means("event log (events.csv) of replication 0; other replications never log")
        .source_is("drsim convention");
    t.objects("regions", &P::regions, true).must();
    t.objects("sites", &P::sites, true);
    t.object("gtm", &P::gtm).must();
    t.objects("resolvers", &P::resolvers, true).default_is("none; required without a population section");
    t.objects("clients", &P::clients, true).default_is("none; required without a population section");
    t.objects("faults", &P::faults);
    t.objects("alerts", &P::alerts, true);
    t.object("population", &P::population);
    t.object("mesh", &P::mesh);
  });
  return table;
}

}  // namespace drsim
