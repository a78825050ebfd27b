// Mesh-native locality failover: how each cluster's proxies (the ingress
// gateway's Envoy and the sidecars) see the application's services in every
// cluster, and what the control plane tells them.
//
// MeshSpec is the model file's `mesh` section: a DestinationRule's
// outlierDetection and localityLbSetting.failover for every service, the
// VirtualService retries, the Istio version, the multicluster topology
// (multi-primary or primary-remote; one network or several, with east-west
// gateways) and istiod's push timing. MeshTraffic is its run-time state:
//
// - one UpstreamCluster (envoy_lb.hpp) per (calling cluster, service): the
//   local pods, and for each other cluster running the app either its pods
//   (one network) or one east-west gateway endpoint weighted by its pod
//   count (several networks; EndpointsByNetworkFilter), in Istio's locality
//   priorities when outlier detection is set (applyLocalityFailover), all at
//   P0 otherwise; all the cluster's proxies share that view (drsim's
//   simplification: a real sidecar counts its own errors, so ejection here
//   comes sooner by up to the number of calling pods);
// - the endpoints each proxy cluster has been told about: an app going down
//   in a cluster removes its endpoints from the API server at once
//   (terminating and unready endpoints leave EDS); an istiod that is up and
//   can read that cluster's API server debounces the change (100 ms quiet,
//   10 s at most) and pushes it, and the proxies it serves apply it a push
//   delay later. An istiod that is down pushes nothing: its proxies keep
//   their last endpoints and only outlier detection protects them. A
//   cluster whose region is down cannot be read: its endpoints stay as they
//   were (inference: informer caches keep the last endpoints);
// - the faults the mesh sees: app pods down (the gateway up), an app that
//   answers 503 or slowly, the east-west gateway down, istiod down.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drsim/core/error.hpp"
#include "drsim/core/fields.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/envoy_lb.hpp"
#include "drsim/model/event_kinds.hpp"
#include "drsim/model/event_log.hpp"
#include "drsim/model/outlier_detection.hpp"

namespace drsim {

inline constexpr const char* kSourceIstioRetryDefaults =
    "istio/istio:pilot/pkg/networking/core/route/retry/retry.go (DefaultPolicy)";
inline constexpr const char* kSourceIstio124Retry503 =
    "istio/istio#52111 (commit 65aaaf4 \"exclude unsafe 503 from default RetryPolicy\", first in 1.24.0)";
inline constexpr const char* kSourceEnvoyRetryBackoff =
    "envoyproxy/envoy:docs/root/configuration/http/http_filters/router_filter.rst (x-envoy-max-retries: "
    "fully jittered exponential back-off, base 25 ms, at most 10 x base)";
inline constexpr const char* kSourceIstioDebounce = "istio/istio:pilot/pkg/features/tuning.go (PILOT_DEBOUNCE_AFTER, "
                                                    "PILOT_DEBOUNCE_MAX)";
inline constexpr const char* kSourceIstioDeploymentModels =
    "istio.io:docs/ops/deployment/deployment-models/index.md; istio/istio:pilot/pkg/xds/endpoints/ep_filters.go "
    "(EndpointsByNetworkFilter)";
inline constexpr const char* kSourceK8sPodTermination =
    "kubernetes/website:content/en/docs/concepts/workloads/pods/pod-termination.md (default grace period 30 s; "
    "terminating endpoints are not ready)";
inline constexpr const char* kSourceIstioDrainDuration =
    "istio/api:mesh/v1alpha1/proxy.proto (terminationDrainDuration: \"If not set, a default of 5s will be applied\"); "
    "istio/istio:pkg/config/mesh/mesh.go";
inline constexpr const char* kSourceIstioLocalityFailoverApi =
    "istio/api:networking/v1alpha3/destination_rule.proto (LocalityLoadBalancerSetting); istio/istio:pkg/config/mesh/"
    "mesh.go (DefaultMeshConfig: LocalityLbSetting{Enabled: true})";

enum class IstioVersion : std::uint8_t { v1_24_or_later, before_1_24 };
constexpr std::array<std::string_view, 2> enum_names(IstioVersion) { return {"1.24+", "before-1.24"}; }

enum class ControlPlaneModel : std::uint8_t { multi_primary, primary_remote };
constexpr std::array<std::string_view, 2> enum_names(ControlPlaneModel) {
  return {"multi_primary", "primary_remote"};
}

enum class MeshNetworks : std::uint8_t { multi_network, single_network };
constexpr std::array<std::string_view, 2> enum_names(MeshNetworks) { return {"multi_network", "single_network"}; }

/// How a call to a pod that is gone fails (depends on the CNI; undocumented).
enum class PodGone : std::uint8_t { refused, timeout };
constexpr std::array<std::string_view, 2> enum_names(PodGone) { return {"refused", "timeout"}; }

/// A VirtualService's retries as the proxies run them.
struct MeshRetrySpec {
  std::uint32_t attempts = 2;
  std::string retry_on = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";
  /// Status codes retried under retriable-status-codes, comma separated.
  std::string retriable_status_codes;
  std::uint32_t host_selection_max_attempts = 5;
  bool retry_remote_localities = false;
  Duration backoff_base = Duration::milliseconds(25);
};

template <>
inline const FieldTable& fields_of<MeshRetrySpec>() {
  static const FieldTable table = FieldTable::build<MeshRetrySpec>("mesh_retries", [](auto& t) {
    using P = MeshRetrySpec;
    t.means("A VirtualService's retries, run by the calling proxy (the gateway's or the sidecar's Envoy); Istio's "
            "default outbound policy unless set. The per-try timeout is not modelled (Istio's default is none)");
    t.add("attempts", &P::attempts).range(0, 100).in_unit("retries").means("retries after the first try; 0 off")
        .source_is(kSourceIstioRetryDefaults);
    t.add("retry_on", &P::retry_on)
        .means("comma-separated Envoy conditions; drsim acts on connect-failure, reset, 5xx, gateway-error and "
               "retriable-status-codes (refused-stream, unavailable and cancelled never arise here)")
        .source_is(kSourceIstioRetryDefaults);
    t.add("retriable_status_codes", &P::retriable_status_codes)
        .means("comma-separated codes retried under retriable-status-codes; istio before-1.24 adds 503")
        .default_is("none").source_is(std::string(kSourceIstioRetryDefaults) + "; " + kSourceIstio124Retry503);
    t.add("host_selection_max_attempts", &P::host_selection_max_attempts).range(0, 100).in_unit("picks")
        .means("re-picks while the previous_hosts predicate rejects a host already tried; then the last pick goes")
        .source_is(kSourceIstioRetryDefaults);
    t.add("retry_remote_localities", &P::retry_remote_localities)
        .means("previous_priorities (update_frequency 2): from the second retry on, priorities already tried are "
               "skipped; off, a retry follows the same priority load")
        .source_is(kSourceIstioRetryDefaults);
    t.add("backoff_base", &P::backoff_base).positive().in_unit("s")
        .means("retry n waits a uniform draw in [0, (2^n - 1) x base), at most 10 x base")
        .source_is(kSourceEnvoyRetryBackoff);
  });
  return table;
}

/// istiod's push timing.
struct EdsPropagationSpec {
  Duration debounce_after = Duration::milliseconds(100);
  Duration debounce_max = Duration::seconds(10);
  Duration push_delay = Duration::milliseconds(500);
};

template <>
inline const FieldTable& fields_of<EdsPropagationSpec>() {
  static const FieldTable table = FieldTable::build<EdsPropagationSpec>("eds", [](auto& t) {
    using P = EdsPropagationSpec;
    t.means("How an endpoint change reaches the proxies: istiod's debounce, then the push");
    t.add("debounce_after", &P::debounce_after).positive().in_unit("s")
        .means("a push waits this long after the last change (PILOT_DEBOUNCE_AFTER)").source_is(kSourceIstioDebounce);
    t.add("debounce_max", &P::debounce_max).positive().in_unit("s")
        .means("but no longer than this after the first (PILOT_DEBOUNCE_MAX)").source_is(kSourceIstioDebounce);
    t.add("push_delay", &P::push_delay).in_unit("s")
        .means("from the push to the proxies applying it: no published figure (pilot_proxy_convergence_time "
               "measures it), an assumption")
        .source_is("assumption");
  });
  return table;
}

/// A localityLbSetting.failover entry, by region name.
template <>
inline const FieldTable& fields_of<LocalityFailoverRule>() {
  static const FieldTable table = FieldTable::build<LocalityFailoverRule>("failover", [](auto& t) {
    using P = LocalityFailoverRule;
    t.means("localityLbSetting.failover: where a proxy in region `from` fails over to");
    t.add("from", &P::from).must().means("the proxies' region");
    t.add("to", &P::to).must().means("the region its traffic fails over to; other regions come after it");
  });
  return table;
}

/// The model's `mesh` section.
struct MeshSpec {
  /// The DestinationRule's outlierDetection; present, it also turns on
  /// locality failover and sets the panic threshold to min_health_percent.
  std::optional<OutlierParams> outlier_detection;
  bool locality_lb = true;
  std::vector<LocalityFailoverRule> failover;
  MeshRetrySpec retries;
  IstioVersion istio = IstioVersion::v1_24_or_later;
  ControlPlaneModel control_plane = ControlPlaneModel::multi_primary;
  std::string primary;  ///< primary_remote: the cluster (or region) running istiod
  MeshNetworks networks = MeshNetworks::multi_network;
  PodGone pod_gone = PodGone::refused;
  Duration termination_grace_period = Duration::seconds(30);
  Duration termination_drain_duration = Duration::seconds(5);
  EdsPropagationSpec eds;
  // Filled by the reader from the names above.
  std::size_t primary_cluster = 0;
  std::vector<std::uint16_t> region_of_cluster;
  std::vector<std::string> region_names;
  std::vector<std::string> cluster_names;
};

template <>
inline const FieldTable& fields_of<MeshSpec>() {
  static const FieldTable table = FieldTable::build<MeshSpec>("mesh", [](auto& t) {
    using P = MeshSpec;
    t.means("The service mesh's own failover (needs an app behind the gateways): every call is balanced by the "
            "calling proxy over the endpoints istiod gave it, with outlier detection, locality priorities and "
            "retries; without this section the app's calls follow cluster_local alone")
        .states("mesh", "{control_plane}, {networks}, outlier detection {outlier_detection?on|off}, retries "
                        "{retries.attempts}, istio {istio}");
    t.object("outlier_detection", &P::outlier_detection);
    t.add("locality_lb", &P::locality_lb)
        .means("localityLbSetting.enabled: with outlier detection, endpoints go into priorities by locality "
               "(same region first); off, or without outlier detection, every endpoint is P0")
        .source_is(kSourceIstioLocalityFailoverApi);
    t.objects("failover", &P::failover).means("localityLbSetting.failover rules by region").default_is("none");
    t.object("retries", &P::retries);
    t.add("istio", &P::istio)
        .means("Istio's version: before-1.24 retries 503 by default (retriable-status-codes held 503 from 1.1 to "
               "1.23)")
        .source_is(kSourceIstio124Retry503);
    t.add("control_plane", &P::control_plane)
        .means("multi_primary: an istiod per cluster, each reading every cluster; primary_remote: one istiod in "
               "`primary` configures every cluster's proxies")
        .source_is(kSourceIstioDeploymentModels);
    t.add("primary", &P::primary).means("primary_remote: the cluster (or region) where istiod runs")
        .default_is("the first cluster").source_is("drsim convention");
    t.add("networks", &P::networks)
        .means("multi_network: another cluster's pods are reached through its east-west gateway, one endpoint "
               "weighted by their count (and one host for health and max_ejection_percent); single_network: pod to "
               "pod")
        .source_is(kSourceIstioDeploymentModels);
    t.add("pod_gone", &P::pod_gone)
        .means("what a call to a pod that is down gets: refused at once, or nothing until the connect timeout "
               "(depends on the CNI: undocumented, a parameter); both count as a connect failure (503 UF)")
        .source_is("assumption");
    t.add("termination_grace_period", &P::termination_grace_period).in_unit("s")
        .means("app_deleted: the pods' terminationGracePeriodSeconds; they serve at most this long after deletion "
               "starts")
        .source_is(kSourceK8sPodTermination);
    t.add("termination_drain_duration", &P::termination_drain_duration).in_unit("s")
        .means("app_deleted: the sidecar drains for this long after SIGTERM, then its Envoy is killed: calls "
               "reaching the pod after min(this, grace period) get pod_gone (inference: the drain keeps serving)")
        .source_is(kSourceIstioDrainDuration);
    t.object("eds", &P::eds);
  });
  return table;
}

/// The retry conditions a proxy acts on, from retry_on and the status codes;
/// throws ParameterError naming an unknown condition or a code that is not one.
struct RetryConditions {
  bool connect_failure = false, any_5xx = false, gateway_error = false, status_503 = false;

  static RetryConditions parse(const MeshRetrySpec& r, IstioVersion istio) {
    auto each = [](const std::string& list, auto&& f) {
      std::size_t i = 0;
      while (i <= list.size()) {
        const std::size_t j = std::min(list.find(',', i), list.size());
        std::string item = list.substr(i, j - i);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) f(item);
        i = j + 1;
      }
    };
    RetryConditions c;
    bool codes_on = false;
    each(r.retry_on, [&](const std::string& w) {
      if (w == "connect-failure" || w == "reset") c.connect_failure = true;
      else if (w == "5xx") c.any_5xx = true;
      else if (w == "gateway-error") c.gateway_error = true;
      else if (w == "retriable-status-codes") codes_on = true;
      else if (w != "refused-stream" && w != "unavailable" && w != "cancelled" && w != "retriable-4xx" &&
               w != "deadline-exceeded" && w != "resource-exhausted" && w != "internal")
        throw ParameterError("unknown retry_on condition \"" + w + "\"");
    });
    bool has_503 = istio == IstioVersion::before_1_24;
    each(r.retriable_status_codes, [&](const std::string& w) {
      if (w.find_first_not_of("0123456789") != std::string::npos)
        throw ParameterError("\"" + w + "\" is not a status code");
      has_503 = has_503 || w == "503";
    });
    c.status_503 = codes_on && has_503;
    return c;
  }
};

/// What a proxy made of one try, for the request path.
enum class TryEnd : std::uint8_t { connected, connect_failed, refused_after_rtt, no_host };

/// The clusters as the mesh sees them: region, app replicas per service,
/// cluster-local retention. Filled by ServiceMesh.
struct MeshClusterInfo {
  std::string name;
  bool has_app = false;
  bool cluster_local = true;
  std::vector<std::uint32_t> replicas;  ///< per service
};

/// Counters over the run.
struct MeshTrafficStats {
  std::uint64_t retries = 0;
  std::uint64_t no_healthy_upstream = 0;
  std::uint64_t pushes = 0;
};

class MeshTraffic {
 public:
  static constexpr std::uint16_t npos = UpstreamCluster::npos;

  MeshTraffic(Simulator& sim, const MeshSpec& spec, std::vector<MeshClusterInfo> clusters, EventLog* log)
      : sim_(sim), spec_(spec), clusters_(std::move(clusters)), log_(log), rng_(sim.stream("mesh/faults")) {
    const std::size_t n = clusters_.size();
    if (spec_.region_of_cluster.empty())  // built by hand: a region per cluster
      for (std::size_t c = 0; c < n; ++c) {
        spec_.region_of_cluster.push_back(static_cast<std::uint16_t>(c));
        spec_.region_names.push_back("region-" + std::to_string(c + 1));
      }
    if (spec_.region_of_cluster.size() != n || spec_.region_names.empty())
      throw ParameterError("mesh: a region per cluster is required");
    services_ = 0;
    for (const auto& c : clusters_)
      if (c.has_app) services_ = c.replicas.size();
    retry_ = RetryConditions::parse(spec_.retries, spec_.istio);
    state_.resize(n);
    istiods_.resize(n);
    known_.assign(n, std::vector<char>(n, 1));
    seen_.assign(n, std::vector<char>(n, 1));
    upstreams_.resize(n * services_);
    maps_.resize(n * services_);
    UpstreamCluster::Settings settings;
    settings.outlier = spec_.outlier_detection;
    if (settings.outlier) settings.panic_threshold = settings.outlier->min_health_percent;
    for (std::size_t c = 0; c < n; ++c) {
      if (!clusters_[c].has_app) continue;
      for (std::size_t s = 0; s < services_; ++s) build_upstream(c, s, settings);
    }
  }
  MeshTraffic(const MeshTraffic&) = delete;
  MeshTraffic& operator=(const MeshTraffic&) = delete;

  /// Starts outlier detection (first sweep one interval after the start).
  void start() {
    for (auto& u : upstreams_)
      if (u) u->start(spec_.outlier_detection ? spec_.outlier_detection->interval : Duration::seconds(10));
  }

  [[nodiscard]] const MeshSpec& spec() const { return spec_; }
  [[nodiscard]] const MeshTrafficStats& stats() const { return stats_; }
  [[nodiscard]] UpstreamCluster& upstream(std::size_t from, std::size_t service) { return *upstreams_[from * services_ + service]; }
  /// Ejections so far, over every proxy cluster's view.
  [[nodiscard]] std::uint64_t ejections() const {
    std::uint64_t n = 0;
    for (const auto& u : upstreams_)
      if (u && u->outlier()) n += u->outlier()->ejections();
    return n;
  }

  /// A host for a try from `from` to `service`: `avoid` holds the hosts
  /// tried already (previous_hosts), `skip` the priorities to pass over.
  std::uint16_t pick(std::size_t from, std::size_t service, RandomStream& rng, std::uint64_t avoid, std::uint8_t skip) {
    const std::uint16_t h = upstream(from, service).pick(rng, skip, avoid, avoid ? static_cast<int>(spec_.retries.host_selection_max_attempts) : 0);
    if (h == npos) ++stats_.no_healthy_upstream;
    return h;
  }
  [[nodiscard]] std::size_t cluster_of(std::size_t from, std::size_t service, std::uint16_t host) {
    return upstream(from, service).host(host).cluster;
  }
  [[nodiscard]] std::uint8_t priority_of(std::size_t from, std::size_t service, std::uint16_t host) {
    return upstream(from, service).host(host).priority;
  }

  /// How a try from `from` to cluster `to` (through `host`) gets on, before
  /// the network: connected (the call goes on), or failed at the far end.
  [[nodiscard]] TryEnd reach(std::size_t from, std::size_t to, bool east_west) const {
    if (east_west && state_[to].east_west_down) return TryEnd::refused_after_rtt;
    if (!state_[to].app_down) return TryEnd::connected;
    // The pods are gone: an east-west gateway resets (no upstream); a pod IP refuses or times out.
    if (east_west) return TryEnd::refused_after_rtt;
    (void)from;
    return spec_.pod_gone == PodGone::refused ? TryEnd::refused_after_rtt : TryEnd::connect_failed;
  }
  [[nodiscard]] bool east_west(std::size_t from, std::size_t service, std::uint16_t host) {
    return upstream(from, service).host(host).east_west;
  }

  void report(std::size_t from, std::size_t service, std::uint16_t host, UpstreamResult r) {
    upstream(from, service).report(host, r);
  }

  /// Whether the proxy retries a try that ended with `r` (a 503 response for
  /// gateway_error) after `tries` tries.
  [[nodiscard]] bool retries(UpstreamResult r, std::uint32_t tries) const {
    if (tries > spec_.retries.attempts) return false;
    switch (r) {
      case UpstreamResult::success: return false;
      case UpstreamResult::connect_failed: return retry_.connect_failure;
      case UpstreamResult::gateway_error: return retry_.any_5xx || retry_.gateway_error || retry_.status_503;
      case UpstreamResult::http_5xx: return retry_.any_5xx;
      case UpstreamResult::timeout: return retry_.any_5xx || retry_.gateway_error;
    }
    return false;
  }
  /// Envoy's fully jittered back-off before retry number `retry` (1, 2, ...).
  Duration backoff(std::uint32_t retry, RandomStream& rng) {
    ++stats_.retries;
    const std::int64_t base = spec_.retries.backoff_base.ns();
    const std::int64_t max = 10 * base;
    const std::int64_t span = std::min(max, ((std::int64_t{1} << std::min<std::uint32_t>(retry, 20)) - 1) * base);
    return Duration::nanoseconds(static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(span))));
  }
  /// The priorities to skip on the try after `tries` tries over `tried`
  /// priorities (previous_priorities, update_frequency 2).
  [[nodiscard]] std::uint8_t skip(std::uint32_t tries, std::uint8_t tried) const {
    return spec_.retries.retry_remote_localities && tries >= 2 ? tried : 0;
  }

  // ---- the app's faults, as the service mesh sees them -----------------------

  [[nodiscard]] double error_share(std::size_t cluster) const { return state_[cluster].error_share; }
  [[nodiscard]] Duration extra_latency(std::size_t cluster) const { return state_[cluster].extra_latency; }
  RandomStream& fault_rng() { return rng_; }

  /// The app's pods in a cluster go down (or come back): the API server
  /// knows at once, each istiod that can read it pushes the change.
  void set_app_down(std::size_t cluster, bool down) {
    state_[cluster].app_down = down;
    state_[cluster].unlisted = down;
    log(down ? "app_down" : "app_up", clusters_[cluster].name);
    changed(cluster);
  }
  /// The app's Deployment in a cluster is deleted (or created again): its
  /// endpoints leave the API server at once (terminating, not ready), the
  /// pods serve until the sidecar's drain or the grace period ends.
  void set_app_deleted(std::size_t cluster, bool deleted) {
    state_[cluster].unlisted = deleted;
    log(deleted ? "app_deleted" : "app_created", clusters_[cluster].name);
    changed(cluster);
    if (!deleted) {
      state_[cluster].app_down = false;
      return;
    }
    const Duration serving = std::min(spec_.termination_grace_period, spec_.termination_drain_duration);
    const auto c = static_cast<std::uint16_t>(cluster);
    sim_.after(serving, [this, c] {
      if (state_[c].unlisted) state_[c].app_down = true;
    }, tag(EventKind::eds_apply, c));
  }
  void set_app_gray(std::size_t cluster, double share, Duration extra) {
    state_[cluster].error_share = share;
    state_[cluster].extra_latency = extra;
  }
  void set_east_west_down(std::size_t cluster, bool down) { state_[cluster].east_west_down = down; }
  /// istiod in `cluster` goes down (its proxies keep their last endpoints) or comes back (and resyncs).
  void set_control_plane_down(std::size_t cluster, bool down) {
    istiods_[cluster].down = down;
    if (!down) resync(cluster);
  }
  /// The istiod that serves the proxies of `cluster`.
  [[nodiscard]] std::size_t istiod_of(std::size_t cluster) const {
    return spec_.control_plane == ControlPlaneModel::multi_primary ? cluster : spec_.primary_cluster;
  }
  /// The whole region of `cluster` is down: its istiod, and its API server (nobody reads its endpoints).
  void set_region_down(std::size_t cluster, bool down) {
    state_[cluster].api_down = down;
    set_control_plane_down(cluster, down);
    if (!down) changed(cluster);
  }

 private:
  struct ClusterState {
    bool app_down = false, east_west_down = false, api_down = false;
    bool unlisted = false;  // the API server lists no ready endpoint of the app
    double error_share = 0;
    Duration extra_latency;
  };
  struct Istiod {
    bool down = false, pending = false;
    TimePoint first;
    EventHandle push;
  };

  [[nodiscard]] bool serves(std::size_t istiod, std::size_t proxy_cluster) const {
    return spec_.control_plane == ControlPlaneModel::multi_primary ? istiod == proxy_cluster
                                                                   : istiod == spec_.primary_cluster;
  }
  [[nodiscard]] bool runs_istiod(std::size_t c) const {
    return spec_.control_plane == ControlPlaneModel::multi_primary || c == spec_.primary_cluster;
  }

  void log(const std::string& what, const std::string& detail) {
    if (log_) log_->add(sim_.now(), "mesh", what, detail);
  }

  /// The API server of `cluster` changed: every istiod up that can read it learns it and schedules a push.
  void changed(std::size_t cluster) {
    if (state_[cluster].api_down) return;
    for (std::size_t i = 0; i < istiods_.size(); ++i) {
      if (!runs_istiod(i) || istiods_[i].down) continue;
      known_[i][cluster] = state_[cluster].unlisted ? 0 : 1;
      schedule_push(i);
    }
  }
  void resync(std::size_t i) {
    if (!runs_istiod(i)) return;
    for (std::size_t d = 0; d < state_.size(); ++d)
      if (!state_[d].api_down) known_[i][d] = state_[d].unlisted ? 0 : 1;
    schedule_push(i);
  }

  /// istiod's debounce: push debounce_after after the last change, at most debounce_max after the first.
  void schedule_push(std::size_t i) {
    Istiod& d = istiods_[i];
    const TimePoint now = sim_.now();
    if (!d.pending) {
      d.pending = true;
      d.first = now;
    } else if (d.push.valid()) {
      sim_.cancel(d.push);
    }
    const TimePoint at = std::min(now + spec_.eds.debounce_after, d.first + spec_.eds.debounce_max);
    const auto ii = static_cast<std::uint16_t>(i);
    d.push = sim_.at(at, [this, ii] { push(ii); }, tag(EventKind::eds_push, ii));
  }
  void push(std::uint16_t i) {
    Istiod& d = istiods_[i];
    d.pending = false;
    d.push = EventHandle{};
    if (d.down) return;
    ++stats_.pushes;
    log("eds_push", "istiod of " + clusters_[i].name);
    const std::vector<char> snapshot = known_[i];
    for (std::size_t c = 0; c < clusters_.size(); ++c) {
      if (!serves(i, c) || !clusters_[c].has_app) continue;
      const auto cc = static_cast<std::uint16_t>(c);
      for (std::size_t e = 0; e < snapshot.size(); ++e) {
        if (seen_[c][e] == snapshot[e]) continue;
        const auto ee = static_cast<std::uint16_t>(e);
        const bool present = snapshot[e] != 0;
        sim_.after(spec_.eds.push_delay, [this, cc, ee, present] { apply(cc, ee, present); },
                   tag(EventKind::eds_apply, cc));
      }
    }
  }

  /// The proxies of cluster `c` now see cluster `e`'s endpoints (or not).
  void apply(std::size_t c, std::size_t e, bool present) {
    seen_[c][e] = present ? 1 : 0;
    for (std::size_t s = 0; s < services_; ++s) {
      const auto& map = maps_[c * services_ + s];
      for (std::size_t h = 0; h < map.size(); ++h)
        if (map[h] == e) upstream(c, s).set_present(static_cast<std::uint16_t>(h), present);
    }
  }

  void build_upstream(std::size_t c, std::size_t s, const UpstreamCluster::Settings& settings) {
    std::vector<UpstreamHost> hosts;
    std::vector<std::uint32_t> priority;
    const bool localities = spec_.outlier_detection && spec_.locality_lb;
    const auto& regions = spec_.region_names;
    const Locality proxy{regions[spec_.region_of_cluster[c]], {}, {}};
    for (std::size_t d = 0; d < clusters_.size(); ++d) {
      if (!clusters_[d].has_app || (d != c && clusters_[c].cluster_local)) continue;
      const std::uint32_t pods = clusters_[d].replicas[s];
      const std::uint32_t p =
          localities ? istio_lb_priority(proxy, {regions[spec_.region_of_cluster[d]], {}, {}}, spec_.failover) : 0;
      const bool gateway = d != c && spec_.networks == MeshNetworks::multi_network;
      for (std::uint32_t k = 0; k < (gateway ? 1u : pods); ++k) {
        hosts.push_back({static_cast<std::uint16_t>(d), 0, gateway ? pods : 1u, gateway});
        priority.push_back(p);
      }
    }
    compact_priorities(priority);
    auto& map = maps_[c * services_ + s];
    for (std::size_t h = 0; h < hosts.size(); ++h) {
      hosts[h].priority = static_cast<std::uint8_t>(priority[h]);
      map.push_back(hosts[h].cluster);
    }
    const auto id = static_cast<std::uint32_t>(c * services_ + s);
    upstreams_[id] = std::make_unique<UpstreamCluster>(
        sim_, std::move(hosts), settings, id,
        UpstreamListener{this, [](void* m, std::uint32_t up, std::uint16_t host, bool ejected) {
                           static_cast<MeshTraffic*>(m)->ejection_changed(up, host, ejected);
                         }});
  }

  void ejection_changed(std::uint32_t up, std::uint16_t host, bool ejected) {
    if (!log_ || !log_->enabled()) return;
    const std::size_t c = up / services_, s = up % services_;
    log(ejected ? "ejected" : "returned", "proxies of " + clusters_[c].name + " -> service " + std::to_string(s) +
                                              " host " + std::to_string(host) + " in " +
                                              clusters_[maps_[up][host]].name);
  }


  Simulator& sim_;
  MeshSpec spec_;
  std::vector<MeshClusterInfo> clusters_;
  EventLog* log_;
  RandomStream rng_;
  std::size_t services_ = 0;
  std::vector<ClusterState> state_;
  std::vector<Istiod> istiods_;
  std::vector<std::vector<char>> known_;  // istiod x cluster: endpoints present as it last read them
  std::vector<std::vector<char>> seen_;   // proxy cluster x cluster: as its proxies were last told
  std::vector<std::unique_ptr<UpstreamCluster>> upstreams_;  // proxy cluster x service; null without the app
  std::vector<std::vector<std::uint16_t>> maps_;              // the cluster of each host, same index
  RetryConditions retry_;
  MeshTrafficStats stats_;
};

}  // namespace drsim
