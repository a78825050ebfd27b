// The application behind a gateway as plain data: its services, their
// capacities and the calls each makes (Istio's Bookinfo by default), with the
// fields a model file gives them. ServiceGraph (service_graph.hpp) compiles it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "drsim/core/fields.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/sources.hpp"

namespace drsim {

/// One step of a service's handler: a call to one service, or to one of
/// several alternatives chosen per request.
struct ServiceCall {
  std::vector<std::string> to;  ///< the callee, or the alternatives
  std::vector<double> weights;  ///< one per alternative; empty: equal chance
};

/// A service of the application, as deployed in one cluster.
struct ServiceSpec {
  std::string name;
  /// Pods of the service; a call goes to them round robin.
  std::uint32_t replicas = 1;
  /// Calls a pod works on at once (its worker threads).
  std::uint32_t workers = 4;
  /// The service's own work per call, seconds; negative draws count as zero.
  Distribution service_time_s = Distribution::exponential(0.001);
  /// Calls a pod holds beyond its busy workers before refusing (503 UO). Istio
  /// lifts Envoy's circuit-breaker default (1024) to 4294967295 unless a
  /// DestinationRule sets http1MaxPendingRequests.
  std::uint32_t max_pending = 4294967295U;
  /// What the service calls while handling a call, in order.
  std::vector<ServiceCall> calls;
};

/// The application of one cluster. The first service is the entry: the one
/// the ingress gateway routes to.
struct ServiceGraphSpec {
  std::vector<ServiceSpec> services;
  /// How long a sidecar waits for a connection to a callee that does not
  /// answer before failing the call with 503 UF. Istio's DestinationRule
  /// default (connectionPool.tcp.connectTimeout) is 10 s; drsim assumes 1 s.
  Duration connect_timeout = Duration::seconds(1);

  /// Istio's Bookinfo sample: productpage calls details, then reviews (v1,
  /// v2 or v3 with equal chance, as with no VirtualService); reviews v2 and
  /// v3 call ratings, v1 does not. One pod per service, as the sample
  /// deploys them. Worker counts and service times are ASSUMED (the sample
  /// publishes none): exponential means of 1.5 ms (productpage), 0.5 ms
  /// (details), 1.5 ms (reviews) and 0.75 ms (ratings), so the mean path
  /// costs 1.5 + 0.5 + 1.5 + 2/3 x 0.75 = 4 ms, the single service time the
  /// model used before it had an application.
  static ServiceGraphSpec bookinfo() {
    ServiceGraphSpec g;
    auto service = [](std::string name, std::uint32_t workers, double mean_s, std::vector<ServiceCall> calls) {
      ServiceSpec s;
      s.name = std::move(name);
      s.workers = workers;
      s.service_time_s = Distribution::exponential(mean_s);
      s.calls = std::move(calls);
      return s;
    };
    g.services = {
        service("productpage", 8, 0.0015, {{{"details"}, {}}, {{"reviews-v1", "reviews-v2", "reviews-v3"}, {}}}),
        service("details", 4, 0.0005, {}),
        service("reviews-v1", 4, 0.0015, {}),
        service("reviews-v2", 4, 0.0015, {{{"ratings"}, {}}}),
        service("reviews-v3", 4, 0.0015, {{{"ratings"}, {}}}),
        service("ratings", 4, 0.00075, {}),
    };
    return g;
  }
};

template <>
inline const FieldTable& fields_of<ServiceSpec>() {
  static const FieldTable table = FieldTable::build<ServiceSpec>("service", [](auto& t) {
    using P = ServiceSpec;
    t.means("A service of the application, as deployed in one cluster");
    t.add("name", &P::name).must().means("the service's name; a preset's service of that name is changed");
    t.add("replicas", &P::replicas).range(1, 100000).in_unit("pods").means("pods; calls go to them round robin")
        .source_is(kSourceIstioBookinfo);
    t.add("workers", &P::workers).range(1, 100000).in_unit("workers").means("calls a pod works on at once")
        .source_is("assumption");
    t.add("service_time", &P::service_time_s).in_unit("s").means("the service's own work per call")
        .source_is("assumption");
    t.add("max_pending", &P::max_pending).range(0, 4294967295.0).in_unit("calls")
        .means("calls a pod holds beyond its busy workers before 503 UO (Istio lifts Envoy's 1024 unless a "
               "DestinationRule sets it)")
        .source_is(kSourceIstioCircuitBreakers);
    t.custom("calls", FieldKind::custom,
             "an array of calls made in order, each \"svc\", [\"a\", \"b\"] (alternatives, equal chance) or "
             "{\"a\": 1, \"b\": 3} (by weight)")
        .means("what the service calls while handling a call, each after its own work").default_is("none");
  });
  return table;
}

template <>
inline const FieldTable& fields_of<ServiceGraphSpec>() {
  static const FieldTable table = FieldTable::build<ServiceGraphSpec>("app", [](auto& t) {
    using P = ServiceGraphSpec;
    t.means("The application behind the gateway as a call graph of services; \"bookinfo\": Istio's Bookinfo sample")
        .presets({"bookinfo"}, [](P& p, const std::string&, bool) { p = ServiceGraphSpec::bookinfo(); }, true,
                 {kSourceIstioBookinfo});
    t.add("connect_timeout", &P::connect_timeout).positive().in_unit("s")
        .means("how long a call to an unreachable peer cluster waits before failing with 503 UF (Istio's own "
               "default is 10 s; 1 s is drsim's choice)")
        .source_is(kSourceIstioConnectTimeout);
    t.objects("services", &P::services, true)
        .means("the services, the first being the entry; with a preset, services change its services by name or "
               "add new ones");
  });
  return table;
}

}  // namespace drsim
