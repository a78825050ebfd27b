// Public sources that several model defaults share, named once. Every field
// table cites one of these, a URL or `repository:path@tag` of its own, or
// "assumption" where no public source backs the value. docs/model-reference.md
// prints them beside each default.
#pragma once

namespace drsim {

// Alibaba Cloud Global Traffic Manager.
inline constexpr const char* kSourceAlibabaGtmHealthCheck =
    "https://www.alibabacloud.com/help/en/dns/health-check-settings";
inline constexpr const char* kSourceAlibabaGtmPools = "https://www.alibabacloud.com/help/en/dns/address-pools";
inline constexpr const char* kSourceAlibabaGtmTtl = "https://www.alibabacloud.com/help/en/dns/access-policies";
// The seed drill this project reproduces (ASM multi-cluster DR, Alibaba Cloud).
inline constexpr const char* kSourceSeedDrill =
    "https://www.alibabacloud.com/help/en/asm/use-cases/multi-cluster-disaster-recovery";

// Resolvers.
inline constexpr const char* kSourceUnboundConf = "https://nlnetlabs.nl/documentation/unbound/unbound.conf/";
inline constexpr const char* kSourceBindArm = "https://bind9.readthedocs.io/en/v9.18.24/reference.html";
inline constexpr const char* kSourceSystemdResolved = "systemd/systemd:src/resolve/resolved-dns-cache.c@v252";
inline constexpr const char* kSourcePam2023TtlViolations = "https://doi.org/10.1007/978-3-031-28486-1_9";

// Clients.
inline constexpr const char* kSourceFortioTimeout = "fortio/fortio:fhttp/http_opts.go@v1.63.0 (HTTPReqTimeOutDefaultValue 3 s)";
inline constexpr const char* kSourceGoDialPartialDeadline = "golang/go:src/net/dial.go@go1.21.0 (partialDeadline, saneMinimum 2 s)";
inline constexpr const char* kSourceClientPresets =
    "fortio: fortio/fortio:dnsmethod.go@v1.63.0; go: golang/go:src/net/dial.go@go1.21.0; java: "
    "https://docs.oracle.com/en/java/javase/17/docs/api/java.base/java/net/doc-files/net-properties.html; "
    "chrome: chromium/chromium:net/dns/host_cache.cc; curl: https://curl.se/libcurl/c/CURLOPT_DNS_CACHE_TIMEOUT.html; "
    "envoy-strict-dns: https://www.envoyproxy.io/docs/envoy/v1.28.0/api-v3/config/cluster/v3/cluster.proto; "
    "nginx: https://nginx.org/en/docs/http/ngx_http_proxy_module.html";

// Load balancers and Kubernetes Services.
inline constexpr const char* kSourceAlibabaClbHealthCheck =
    "https://www.alibabacloud.com/help/en/slb/classic-load-balancer/user-guide/configure-health-checks";
inline constexpr const char* kSourceK8sTrafficPolicy =
    "https://kubernetes.io/docs/reference/networking/virtual-ips/#external-traffic-policy";

// Envoy and ASM rate limits.
inline constexpr const char* kSourceEnvoyLocalRateLimit =
    "https://www.envoyproxy.io/docs/envoy/v1.28.0/configuration/http/http_filters/local_rate_limit_filter";
inline constexpr const char* kSourceEnvoyTokenBucketRefill =
    "envoyproxy/envoy:source/common/common/token_bucket_impl.cc@v1.31.0";
inline constexpr const char* kSourceAsmLocalRateLimiter =
    "https://www.alibabacloud.com/help/en/asm/user-guide/configure-local-throttling-on-an-ingress-gateway";

// Kubernetes and Istio.
inline constexpr const char* kSourceK8sHpaBehavior =
    "kubernetes/kubernetes:pkg/apis/autoscaling/v2/defaults.go@v1.28.0";
inline constexpr const char* kSourceK8sControllerManager =
    "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/";
inline constexpr const char* kSourceMetricsServerManifest =
    "kubernetes-sigs/metrics-server:manifests/base/deployment.yaml@v0.6.4 (--metric-resolution=15s)";
inline constexpr const char* kSourceIstioGatewayChart = "istio/istio:manifests/charts/gateway/values.yaml@1.20.0";
inline constexpr const char* kSourceEnvoyCircuitBreakers =
    "https://www.envoyproxy.io/docs/envoy/v1.28.0/api-v3/config/cluster/v3/circuit_breaker.proto";
inline constexpr const char* kSourceIstioBookinfo = "istio/istio:samples/bookinfo/platform/kube/bookinfo.yaml@1.20.0";

// fortio.
inline constexpr const char* kSourceFortioFlags = "fortio/fortio:README.md@v1.63.0 (fortio load flags)";
inline constexpr const char* kSourceFortioPeriodic = "fortio/fortio:periodic/periodic.go@v1.63.0";

}  // namespace drsim
