// The mesh section's checks across sections: names of regions and clusters,
// an app to balance, and the faults only a mesh can have.
#include "scenario_mesh.hpp"

#include <string>
#include <vector>

namespace drsim::detail {
namespace {

bool needs_mesh(FaultKind k) {
  return k == FaultKind::app_down || k == FaultKind::app_deleted || k == FaultKind::app_gray || k == FaultKind::control_plane_down ||
         k == FaultKind::east_west_gateway_down;
}

std::size_t find_name(const ReadContext& ctx, const std::vector<std::string>& names, const std::string& name,
                      const std::string& path, const std::string& what) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on "literal" + std::string&&.
  std::string found = "\"";
  found.append(printable(name)).append("\"");
  std::string hint = "did you mean \"";
  hint.append(nearest(name, names)).append("\"?");
  ctx.fail(path, "the name of " + what + " (" + join_list(names) + ")", found, hint);
}

}  // namespace

void check_mesh(const ReadContext& ctx, const ModelFile& file, ModelSpec& spec) {
  for (std::size_t i = 0; i < file.faults.size(); ++i)
    if (!file.mesh && needs_mesh(file.faults[i].kind))
      ctx.fail("faults[" + std::to_string(i) + "].kind", "a fault kind a model without a mesh section can have",
               "\"" + std::string(name_of(file.faults[i].kind)) + "\"", "add a \"mesh\" section");
  if (!file.mesh) return;
  MeshSpec mesh = *file.mesh;
  std::vector<std::string> regions, clusters;
  bool app = false;
  for (const auto& r : file.regions) {
    regions.push_back(r.name);
    clusters.push_back(r.cluster_name());
    app = app || r.gateway.app.has_value();
  }
  if (!app) ctx.fail("mesh", "an app behind at least one gateway (regions[i].gateway.app)", "no app", "add \"app\": \"bookinfo\"");
  mesh.region_names = regions;
  mesh.cluster_names = clusters;
  mesh.region_of_cluster.clear();
  for (std::size_t c = 0; c < clusters.size(); ++c) mesh.region_of_cluster.push_back(static_cast<std::uint16_t>(c));
  if (!mesh.primary.empty()) {
    // A region name stands for its cluster.
    std::vector<std::string> both = clusters;
    both.insert(both.end(), regions.begin(), regions.end());
    mesh.primary_cluster = find_name(ctx, both, mesh.primary, "mesh.primary", "a cluster or region") % clusters.size();
  }
  for (std::size_t i = 0; i < mesh.failover.size(); ++i) {
    const std::string path = "mesh.failover[" + std::to_string(i) + "]";
    find_name(ctx, regions, mesh.failover[i].from, path + ".from", "a region");
    find_name(ctx, regions, mesh.failover[i].to, path + ".to", "a region");
  }
  try {
    (void)RetryConditions::parse(mesh.retries, mesh.istio);
  } catch (const ParameterError& e) {
    const bool codes = std::string(e.what()).find("status code") != std::string::npos;
    ctx.fail(codes ? "mesh.retries.retriable_status_codes" : "mesh.retries.retry_on",
             codes ? "comma-separated status codes" : "comma-separated Envoy retry conditions (connect-failure, "
                                                       "reset, 5xx, gateway-error, retriable-status-codes, ...)",
             e.what());
  }
  spec.mesh = std::move(mesh);
}

}  // namespace drsim::detail
