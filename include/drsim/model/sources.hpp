// Public sources that several model defaults share, named once. Every field
// table cites one of these, a URL or `repository:path@tag` of its own, or
// "assumption" where no public source backs the value. docs/model-reference.md
// prints them beside each default. Where a source says something other than
// drsim's default, the field's meaning says so.
#pragma once

namespace drsim {

// The seed drill this project reproduces (ASM + GTM geo-disaster recovery).
inline constexpr const char* kSourceSeedDrill =
    "https://www.alibabacloud.com/help/en/asm/sidecar/use-cases/"
    "implement-geo-disaster-recovery-by-combining-asm-with-gtm";

// Alibaba Cloud Global Traffic Manager, with Route 53 where it is the one documented.
inline constexpr const char* kSourceAlibabaGtmHealthCheck = "https://www.alibabacloud.com/help/en/dns/gtm2-tcp-health-check";
inline constexpr const char* kSourceAlibabaGtmProtocols = "https://www.alibabacloud.com/help/en/gtm/enable-health-check";
inline constexpr const char* kSourceAlibabaGtmSettings = "https://www.alibabacloud.com/help/doc-detail/87308.htm";
inline constexpr const char* kSourceAlibabaGtmPools = "https://www.alibabacloud.com/help/en/dns/address-pool-configuration";
inline constexpr const char* kSourceRoute53HealthCheckConfig =
    "https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html";
inline constexpr const char* kSourceRoute53Health =
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html";
inline constexpr const char* kSourceRoute53FailOpen =
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html";

// Resolvers.
inline constexpr const char* kSourceUnboundConf = "NLnetLabs/unbound:doc/example.conf.in@release-1.26.0";
inline constexpr const char* kSourceUnboundRotation =
    "NLnetLabs/unbound:util/data/msgencode.c@release-1.26.0 (reply_info_encode: offset = query id + time)";
inline constexpr const char* kSourceBindDefaults = "isc-projects/bind9:bin/named/config.c@v9.20.27";
inline constexpr const char* kSourceSystemdResolvedCache =
    "systemd/systemd:src/resolve/resolved-dns-cache.c (CACHE_TTL_MAX_USEC, CACHE_STALE_TTL_MAX_USEC)";
inline constexpr const char* kSourceUnboundExpiry =
    "NLnetLabs/unbound:daemon/worker.c@release-1.24.0 (answer_from_cache: expired only when rep->ttl < timenow; "
    "util/data/msgreply.c reply_info_set_ttls: stored expiry = TTL + the whole second it arrived in)";
inline constexpr const char* kSourceUnbound125Expiry =
    "NLnetLabs/unbound:util/data/msgparse.h@release-1.25.0 (TTL_IS_EXPIRED: ttl <= now, used by answer_from_cache)";
inline constexpr const char* kSourceUnboundPrefetch =
    "NLnetLabs/unbound:daemon/worker.c@release-1.26.0 (prefetch when rep->prefetch_ttl <= now; "
    "util/data/msgreply.h PREFETCH_TTL_CALC: ttl - ttl/10)";
inline constexpr const char* kSourceBindExpiry =
    "isc-projects/bind9:lib/dns/qpcache.c@v9.20.27 (ACTIVE: header->ttl > now, whole seconds; rdataset ttl = "
    "header->ttl - now)";
inline constexpr const char* kSourceBindPrefetch =
    "isc-projects/bind9:lib/ns/query.c@v9.20.27 (query_prefetch: remaining ttl <= prefetch trigger); "
    "bin/named/config.c@v9.20.27 (prefetch 2 9)";
inline constexpr const char* kSourceDnsmasqExpiry =
    "https://thekelleys.org.uk/gitweb/?p=dnsmasq.git;a=blob;f=src/cache.c (is_expired: expired once now >= ttd, "
    "whole seconds)";
inline constexpr const char* kSourceCorednsCache =
    "coredns/coredns:plugin/cache/item.go (ttl = origTTL - whole seconds elapsed, served while > 0); "
    "plugin/cache/README.md (max TTL 3600 s, MINTTL 5 s, prefetch at 10 % left, serve_stale 1h, TTL 0)";
inline constexpr const char* kSourceKubernetesCorefile =
    "kubernetes/kubernetes:cluster/addons/dns/coredns/coredns.yaml.base (cache 30, loadbalance)";
inline constexpr const char* kSourceNodeLocalDns =
    "kubernetes/kubernetes:cluster/addons/dns/nodelocaldns/nodelocaldns.yaml (.:53 { cache 30 }, no loadbalance)";
inline constexpr const char* kSourceSystemdResolvedExpiry =
    "systemd/systemd:src/resolve/resolved-dns-cache.c (calculate_until: timestamp + ttl in microseconds; "
    "dns_transaction_randomize_answer in resolved-dns-transaction.c shuffles cached answers)";
inline constexpr const char* kSourceGlibcNoCache =
    "https://man7.org/linux/man-pages/man5/resolv.conf.5.html (the stub sends every getaddrinfo to a nameserver; "
    "glibc caches only through nscd)";
inline constexpr const char* kSourcePam2023TtlViolations =
    "Bhowmick et al., TTL Violation of DNS Resolvers in the Wild, PAM 2023, https://doi.org/10.1007/978-3-031-28486-1_23";

// Clients.
inline constexpr const char* kSourceFortioTimeout =
    "fortio/fortio:fhttp/http_client.go@v1.75.2 (HTTPReqTimeOutDefaultValue 3 s, for the connect and again for the reply)";
inline constexpr const char* kSourceFortioDnsMethods = "fortio/fortio:fnet/network.go@v1.75.2 (ResolveByProto)";
inline constexpr const char* kSourceFortioKeepalive =
    "fortio/fortio:fhttp/http_client.go@v1.75.2 (FastClient closes the socket after a response that is not OK)";
inline constexpr const char* kSourceGoPartialDeadline =
    "golang/go:src/net/dial.go (partialDeadline, saneMinimum 2 s)";

inline constexpr const char* kSourceCurlHalving =
    "curl/curl:lib/connect.c@curl-7_88_0 (baller_start: each address but the last gets half the connect time left)";
inline constexpr const char* kSourceCurlRace =
    "curl/curl:lib/cf-ip-happy.c@curl-8_21_0 (a further attempt every CURLOPT_HAPPY_EYEBALLS_TIMEOUT_MS, 200 ms, "
    "while earlier ones are pending; since 8.16)";
inline constexpr const char* kSourcePythonCreateConnection =
    "python/cpython:Lib/socket.py (create_connection: each getaddrinfo address in turn, each with the full timeout)";
inline constexpr const char* kSourceNodeAutoSelectFamily =
    "nodejs/node:lib/net.js (internalConnectMultiple: each address but the last abandoned after "
    "autoSelectFamilyAttemptTimeout, 250 ms by default: https://nodejs.org/api/net.html)";
inline constexpr const char* kSourceLinuxSynRetries =
    "torvalds/linux:Documentation/networking/ip-sysctl.rst@v5.15 (tcp_syn_retries 6: a connect attempt gives up "
    "after 127 s, 131 s on kernels with tcp_syn_linear_timeouts)";
inline constexpr const char* kSourceEnvoyClusterDns =
    "envoyproxy/envoy:api/envoy/config/cluster/v3/cluster.proto (STRICT_DNS and LOGICAL_DNS, dns_refresh_rate 5 s, "
    "respect_dns_ttl false, connect_timeout 5 s)";

// Load balancers and Kubernetes Services.
inline constexpr const char* kSourceAlibabaClbAnnotations =
    "kubernetes/cloud-provider-alibaba-cloud:docs/usage.md@v2.14.0 (health-check annotations)";
inline constexpr const char* kSourceKubeProxyReject =
    "kubernetes/kubernetes:pkg/proxy/iptables/proxier.go (syncProxyRules: REJECT with no endpoints, DROP with no "
    "local endpoints)";

// Envoy, Istio and ASM.
inline constexpr const char* kSourceEnvoyLocalRateLimit =
    "envoyproxy/envoy:source/extensions/filters/common/local_ratelimit/local_ratelimit_impl.cc (fill timer >= 50ms)";
inline constexpr const char* kSourceEnvoyRefill1_31 =
    "envoyproxy/envoy:changelogs/1.31.0.yaml (local_ratelimit: non-timer based token bucket)";
inline constexpr const char* kSourceEnvoyLocalRateLimitDocs =
    "envoyproxy/envoy:docs/root/configuration/http/http_filters/local_rate_limit_filter.rst";
inline constexpr const char* kSourceEnvoyCircuitBreakers =
    "https://www.envoyproxy.io/docs/envoy/v1.18.2/api-v3/config/cluster/v3/circuit_breaker.proto";
inline constexpr const char* kSourceIstioCircuitBreakers =
    "istio/istio:pilot/pkg/networking/core/cluster_traffic_policy.go@1.30.3 (getDefaultCircuitBreakerThresholds)";
inline constexpr const char* kSourceIstioGatewayChart = "istio/istio:manifests/charts/gateway/values.yaml@1.30.3";
inline constexpr const char* kSourceIstioConcurrency =
    "istio/istio:pilot/cmd/pilot-agent/config/config.go@1.30.3 (Envoy concurrency = CPU limit, 2000m in the chart)";
inline constexpr const char* kSourceIstioBookinfo = "istio/istio:samples/bookinfo/platform/kube/bookinfo.yaml@1.30.3";
inline constexpr const char* kSourceIstioConnectTimeout =
    "istio/istio:pkg/config/mesh/mesh.go@1.30.3 (DefaultMeshConfig ConnectTimeout 10 s)";

// Kubernetes HPA and metrics-server.
inline constexpr const char* kSourceK8sHpaBehavior = "kubernetes/kubernetes:pkg/apis/autoscaling/v2/defaults.go";
inline constexpr const char* kSourceK8sHpaControllerDefaults =
    "kubernetes/kubernetes:pkg/controller/podautoscaler/config/v1alpha1/defaults.go "
    "(RecommendedDefaultHPAControllerConfiguration)";
inline constexpr const char* kSourceK8sHpaLegacy =
    "kubernetes/kubernetes:pkg/controller/podautoscaler/horizontal.go (scaleUpLimitFactor 2, scaleUpLimitMinimum 4)";
inline constexpr const char* kSourceMetricsServerManifest =
    "kubernetes-sigs/metrics-server:manifests/base/deployment.yaml@v0.9.0 (--metric-resolution=15s)";

// fortio's load.
inline constexpr const char* kSourceFortioRunner = "fortio/fortio:periodic/periodic.go@v1.75.2 (DefaultRunnerOptions)";
inline constexpr const char* kSourceFortioFlags = "fortio/fortio:cli/fortio_main.go@v1.75.2";

inline constexpr const char* kSourcePrometheusFor = "https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/";

}  // namespace drsim
