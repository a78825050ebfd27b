// Every kind of event the model schedules, in one table. The run
// fingerprint hashes (time, kind, component) of each executed event, so a
// kind must say which component's event it is: no two components share a
// number, and a new component adds its kinds here.
#pragma once

#include <cstdint>

#include "drsim/core/simulator.hpp"

namespace drsim {

enum class EventKind : std::uint16_t {
  // The request path (FailoverModel); component: the population, or 0.
  send = 1,
  attempt = 2,
  connect_failed = 3,
  finish = 4,
  retry = 5,
  arrival = 6,
  fault = 7,
  arrive_at_gateway = 8,
  enter_app = 9,
  // LoadBalancer; component: the cluster.
  lb_health_check = 10,
  // GlobalTrafficManager; component: the probe node (0 for a publication).
  gtm_probe_round = 20,
  gtm_probe_verdict = 21,
  gtm_publish = 22,
  // Gateway (pods as queues); component: the cluster of a gateway Deployment,
  // or the service instance of the app.
  gateway_pod_ready = 50,
  gateway_request_done = 51,
  gateway_client_timeout = 52,
  // GatewayDeployment; component: the deployment's own.
  deployment_scrape = 30,
  deployment_sync = 31,
  deployment_sample = 32,
  deployment_pod_ready = 33,
  // ServiceMesh (the app's calls); component: the mesh's own.
  mesh_arrive = 40,
  mesh_return = 41,
  mesh_connect_failed = 42,
  mesh_timeout = 43,
  mesh_retry = 44,
  // OutlierDetector (outlier_detection.hpp); component: the upstream cluster.
  outlier_tick = 60,
  outlier_eject = 61,
  // MeshTraffic (mesh_traffic.hpp); component: the istiod's cluster, or the proxies' cluster.
  eds_push = 70,
  eds_apply = 71,
};

/// Every kind, for the spec that no two share a number.
inline constexpr EventKind kAllEventKinds[] = {
    EventKind::send, EventKind::attempt, EventKind::connect_failed, EventKind::finish, EventKind::retry,
    EventKind::arrival, EventKind::fault, EventKind::arrive_at_gateway, EventKind::enter_app,
    EventKind::lb_health_check, EventKind::gtm_probe_round, EventKind::gtm_probe_verdict, EventKind::gtm_publish,
    EventKind::gateway_pod_ready, EventKind::gateway_request_done, EventKind::gateway_client_timeout,
    EventKind::deployment_scrape, EventKind::deployment_sync, EventKind::deployment_sample,
    EventKind::deployment_pod_ready, EventKind::mesh_arrive, EventKind::mesh_return, EventKind::mesh_connect_failed,
    EventKind::mesh_timeout, EventKind::outlier_tick, EventKind::outlier_eject,
    EventKind::mesh_retry, EventKind::eds_push, EventKind::eds_apply};

/// The tag an event of `kind` carries for `component`.
constexpr EventTag tag(EventKind kind, std::uint16_t component = 0) {
  return EventTag{static_cast<std::uint16_t>(kind), component};
}

}  // namespace drsim
