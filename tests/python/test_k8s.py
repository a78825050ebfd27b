"""drsim.k8s: manifests as a team has them -> scenario overrides by path.

The manifests under tests/python/manifests are written as a user would keep
them (the seed's ASMLocalRateLimiter verbatim, a gateway Deployment with its
HPA and Service in one file, an Istio EnvoyFilter); the smaller cases are
inline YAML.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import drsim
from conftest import MANIFESTS
from drsim.k8s import cpu_millicores, overrides_from_manifests, overrides_from_yaml

GW = "regions.region-1.gateway."


def test_the_seeds_asm_limiter_becomes_100_per_second_on_port_80() -> None:
    assert overrides_from_manifests(MANIFESTS / "asm-local-ratelimiter.yaml", region="region-1") == {
        GW + "rate_limit.quota": 100,
        GW + "rate_limit.fill_interval": "1s",
        GW + "rate_limit.port": 80,
        GW + "rate_limit.route": "gw-to-productage",
    }


def test_the_region_names_the_gateway_in_every_path() -> None:
    out = overrides_from_manifests(MANIFESTS / "asm-local-ratelimiter.yaml", region="region-2")
    assert all(path.startswith("regions.region-2.gateway.") for path in out)


def test_a_gateway_deployment_with_its_hpa_gives_replicas_request_and_hpa() -> None:
    # One file, three documents: Deployment, HPA, Service (the Service adds nothing).
    assert overrides_from_manifests(MANIFESTS / "istio-ingressgateway.yaml", region="region-1") == {
        GW + "hpa.min_replicas": 10,
        GW + "hpa.max_replicas": 30,
        GW + "hpa.target_cpu_utilization": 80,
        GW + "replicas": 10,
        GW + "cpu_request": "100m",
    }


def test_hpa_behavior_becomes_scaling_rules_in_the_models_words() -> None:
    out = overrides_from_manifests(MANIFESTS / "hpa-with-behavior.yaml", region="region-1")
    assert out == {
        GW + "hpa.min_replicas": 3,
        GW + "hpa.max_replicas": 40,
        GW + "hpa.target_cpu_utilization": 60,
        GW + "hpa.behavior.scale_up.stabilization_window": "0s",
        GW + "hpa.behavior.scale_up.select_policy": "max",
        GW + "hpa.behavior.scale_up.policies": [
            {"type": "pods", "value": 10, "period": "15s"},
            {"type": "percent", "value": 200, "period": "15s"},
        ],
        GW + "hpa.behavior.scale_down.stabilization_window": "600s",
        GW + "hpa.behavior.scale_down.policies": [{"type": "percent", "value": 10, "period": "60s"}],
    }


def test_an_envoyfilter_local_ratelimit_gives_quota_burst_and_interval() -> None:
    # quota is tokens_per_fill; max_tokens (the burst) only when it differs.
    assert overrides_from_manifests(MANIFESTS / "envoyfilter-local-ratelimit.yaml", region="region-1") == {
        GW + "rate_limit.quota": 100,
        GW + "rate_limit.max_tokens": 200,
        GW + "rate_limit.fill_interval": "1s",
    }


def test_several_files_and_folders_combine() -> None:
    out = overrides_from_manifests(
        [MANIFESTS / "istio-ingressgateway.yaml", MANIFESTS / "asm-local-ratelimiter.yaml"], region="region-1"
    )
    assert out[GW + "rate_limit.quota"] == 100 and out[GW + "hpa.max_replicas"] == 30
    with pytest.raises(drsim.ManifestError, match="one local rate limit per gateway"):
        overrides_from_manifests(MANIFESTS, region="region-1")  # the folder holds two different limits


def test_the_overrides_apply_to_a_scenario_and_it_runs(bare_drill: drsim.Scenario) -> None:
    overrides = overrides_from_manifests(
        [MANIFESTS / "istio-ingressgateway.yaml", MANIFESTS / "asm-local-ratelimiter.yaml"], region="region-1"
    )
    sc = bare_drill.with_overrides(overrides)
    gateway = sc.to_dict()["regions"][0]["gateway"]
    assert gateway["replicas"] == 10 and gateway["cpu_request"] == "100m"
    assert gateway["hpa"] == {"min_replicas": 10, "max_replicas": 30, "target_cpu_utilization": 80}
    assert gateway["rate_limit"] == {"quota": 100, "fill_interval": "1s", "port": 80, "route": "gw-to-productage"}
    result = sc.run(seed=1)
    assert result.summary["requests"] == 30_000
    series = result.series
    during_load = series[(series["region"] == "region-1") & (series["second"] < 300)]
    assert (during_load["replicas_ready"] >= 10).all()


@pytest.mark.parametrize(
    "bucket,expected",
    [
        ("{max_tokens: 50, tokens_per_fill: 50, fill_interval: 0.5s}", {"quota": 50, "fill_interval": "500ms"}),
        # tokens_per_fill defaults to 1 in Envoy's TokenBucket.
        ("{max_tokens: 10, fill_interval: 60s}", {"quota": 1, "max_tokens": 10, "fill_interval": "60s"}),
        ("{max_tokens: 5, tokens_per_fill: 5, fill_interval: {seconds: 0, nanos: 250000000}}", {"quota": 5, "fill_interval": "250ms"}),
    ],
)
def test_plain_envoy_token_buckets(bucket: str, expected: dict[str, object]) -> None:
    text = f"""
static_resources:
  listeners:
    - name: ingress
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                http_filters:
                  - name: envoy.filters.http.local_ratelimit
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                      stat_prefix: local
                      token_bucket: {bucket}
                      filter_enabled: {{default_value: {{numerator: 100, denominator: HUNDRED}}}}
                      filter_enforced: {{default_value: {{numerator: 100, denominator: HUNDRED}}}}
                  - name: envoy.filters.http.router
"""
    assert overrides_from_yaml(text, region="r") == {f"regions.r.gateway.rate_limit.{k}": v for k, v in expected.items()}


def test_an_envoy_config_inside_a_configmap_is_read() -> None:
    text = """
apiVersion: v1
kind: ConfigMap
metadata: {name: envoy-config}
data:
  envoy.yaml: |
    http_filters:
      - name: envoy.filters.http.local_ratelimit
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
          token_bucket: {max_tokens: 300, tokens_per_fill: 300, fill_interval: 1s}
          filter_enabled: {default_value: {numerator: 100}}
          filter_enforced: {default_value: {numerator: 100}}
          local_rate_limit_per_downstream_connection: true
"""
    assert overrides_from_yaml(text, region="r") == {
        "regions.r.gateway.rate_limit.quota": 300,
        "regions.r.gateway.rate_limit.fill_interval": "1s",
        "regions.r.gateway.rate_limit.per_downstream_connection": True,
    }


def test_a_filter_envoy_never_enforces_is_left_out_with_a_warning() -> None:
    # filter_enabled and filter_enforced default to 0 % "for safety": no limit at all.
    text = """
typed_config:
  "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
  token_bucket: {max_tokens: 100, tokens_per_fill: 100, fill_interval: 1s}
  filter_enabled: {default_value: {numerator: 100}}
"""
    with pytest.warns(drsim.ManifestWarning, match="never rejects"):
        assert overrides_from_yaml(text, region="r") == {}


def test_a_sidecar_envoyfilter_is_not_the_gateways_limit() -> None:
    text = (MANIFESTS / "envoyfilter-local-ratelimit.yaml").read_text().replace("context: GATEWAY", "context: SIDECAR_INBOUND")
    with pytest.warns(drsim.ManifestWarning, match="sidecars"):
        assert overrides_from_yaml(text, region="r") == {}


def test_the_hpa_defaults_fill_what_the_manifest_leaves_out() -> None:
    text = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: gw}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: gw}
  maxReplicas: 5
"""
    # minReplicas defaults to 1; no metrics means 80 % average CPU utilization.
    assert overrides_from_yaml(text, region="r") == {
        "regions.r.gateway.hpa.min_replicas": 1,
        "regions.r.gateway.hpa.max_replicas": 5,
        "regions.r.gateway.hpa.target_cpu_utilization": 80,
    }


def test_an_autoscaling_v1_hpa_reads_target_cpu_utilization_percentage() -> None:
    text = """
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: gw}
spec: {scaleTargetRef: {kind: Deployment, name: gw}, minReplicas: 2, maxReplicas: 8, targetCPUUtilizationPercentage: 70}
"""
    assert overrides_from_yaml(text, region="r")["regions.r.gateway.hpa.target_cpu_utilization"] == 70


def test_non_cpu_hpa_metrics_are_left_out_with_a_warning() -> None:
    text = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: gw}
spec:
  scaleTargetRef: {kind: Deployment, name: gw}
  maxReplicas: 5
  metrics:
    - {type: Resource, resource: {name: memory, target: {type: Utilization, averageUtilization: 70}}}
    - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}
"""
    with pytest.warns(drsim.ManifestWarning, match="memory"):
        out = overrides_from_yaml(text, region="r")
    assert out["regions.r.gateway.hpa.target_cpu_utilization"] == 50


def test_the_cpu_request_is_the_pods_sum_and_a_limit_stands_in_for_a_missing_request() -> None:
    text = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: gw, labels: {istio: ingressgateway}}
spec:
  template:
    spec:
      containers:
        - {name: istio-proxy, resources: {requests: {cpu: "0.25"}}}
        - {name: log-shipper, resources: {limits: {cpu: 50m}}}
      initContainers:
        - {name: native-sidecar, restartPolicy: Always, resources: {requests: {cpu: 25m}}}
        - {name: setup, resources: {requests: {cpu: "2"}}}
"""
    # 250m + 50m (limit as request) + 25m (a native sidecar runs all along); the
    # one-shot init container does not count.
    assert overrides_from_yaml(text, region="r") == {"regions.r.gateway.cpu_request": "325m"}


def test_the_gateway_deployment_is_the_one_the_hpa_scales_or_the_one_named() -> None:
    text = (MANIFESTS / "istio-ingressgateway.yaml").read_text() + """
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: productpage-v1}
spec:
  replicas: 1
  template: {spec: {containers: [{name: productpage, resources: {requests: {cpu: 500m}}}]}}
"""
    assert overrides_from_yaml(text, region="r")["regions.r.gateway.cpu_request"] == "100m"
    assert overrides_from_yaml(text, region="r", deployment="productpage-v1")["regions.r.gateway.cpu_request"] == "500m"
    with pytest.raises(drsim.ManifestError, match="no Deployment named 'nope'"):
        overrides_from_yaml(text, region="r", deployment="nope")


def test_several_unlabelled_deployments_ask_which_is_the_gateway() -> None:
    doc = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {}}}\nspec: {{template: {{spec: {{containers: [{{name: c}}]}}}}}}\n"
    with pytest.raises(drsim.ManifestError, match="deployment="):
        overrides_from_yaml(doc.format("a") + "---\n" + doc.format("b"), region="r")


def test_a_container_without_cpu_request_leaves_cpu_request_out() -> None:
    text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gw}\nspec: {replicas: 2, template: {spec: {containers: [{name: istio-proxy, image: auto}]}}}\n"
    with pytest.warns(drsim.ManifestWarning, match="no CPU request"):
        assert overrides_from_yaml(text, region="r") == {"regions.r.gateway.replicas": 2}


def test_bad_manifests_raise_manifest_error_naming_file_and_place(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: [1\n")
    with pytest.raises(drsim.ManifestError) as info:
        overrides_from_manifests(broken, region="r")
    assert info.value.file == str(broken) and info.value.path.startswith("line ")

    no_max = tmp_path / "hpa.yaml"
    no_max.write_text("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec: {minReplicas: 2}\n")
    with pytest.raises(drsim.ManifestError) as info:
        overrides_from_manifests(no_max, region="r")
    assert info.value.path == "spec.maxReplicas"

    with pytest.raises(drsim.ManifestError, match="cannot read"):
        overrides_from_manifests(tmp_path / "missing.yaml", region="r")


def test_the_seeds_files_raise_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        overrides_from_manifests(
            [MANIFESTS / "asm-local-ratelimiter.yaml", MANIFESTS / "istio-ingressgateway.yaml"], region="region-1"
        )


@pytest.mark.parametrize(
    "quantity,millicores",
    [("100m", 100), ("0.1", 100), ("1", 1000), (2, 2000), (0.5, 500), ("1500m", 1500), ("0.0001", 1)],
)
def test_cpu_quantities_in_millicores_round_up(quantity: object, millicores: int) -> None:
    assert cpu_millicores(quantity) == millicores  # type: ignore[arg-type]


def test_a_misspelt_kind_is_not_dropped_silently() -> None:
    text = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscalar
metadata: {name: gw}
spec: {minReplicas: 2, maxReplicas: 5}
---
apiVersion: v1
kind: Service
metadata: {name: gw}
"""
    with pytest.warns(drsim.ManifestWarning, match="kind HorizontalPodAutoscalar 'gw' is not one drsim reads "
                                                   r"\(did you mean HorizontalPodAutoscaler\?\)") as record:
        assert overrides_from_yaml(text, region="r") == {}
    assert len(record) == 1  # the Service never carries anything modelled: no warning for it


def test_an_unknown_field_of_a_read_object_gets_a_did_you_mean() -> None:
    text = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: gw}
spec:
  minReplica: 2
  maxReplicas: 5
  behavior:
    scaleUp: {stabilizationWindowSecond: 10}
"""
    with pytest.warns(drsim.ManifestWarning) as record:
        overrides = overrides_from_yaml(text, region="r")
    messages = [str(w.message) for w in record]
    assert any("spec.minReplica is not a HorizontalPodAutoscaler field (did you mean minReplicas?)" in m for m in messages)
    assert any("spec.behavior.scaleUp.stabilizationWindowSecond" in m and "stabilizationWindowSeconds" in m
               for m in messages)
    assert overrides["regions.r.gateway.hpa.min_replicas"] == 1  # Kubernetes' default, as the API server would read it


def test_asms_istiogateway_gives_replicas_request_and_cpu_target() -> None:
    text = """
apiVersion: istio.alibabacloud.com/v1beta1
kind: IstioGateway
metadata: {name: ingressgateway, namespace: istio-system}
spec:
  gatewayType: ingress
  replicaCount: 2
  cpu: {targetAverageUtilization: 80}
  resources:
    requests: {cpu: 200m, memory: 256Mi}
    limits: {cpu: '2', memory: 2G}
"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        overrides = overrides_from_yaml(text, region="region-1")
    assert overrides == {
        "regions.region-1.gateway.replicas": 2,
        "regions.region-1.gateway.cpu_request": "200m",
        "regions.region-1.gateway.hpa.target_cpu_utilization": 80,
    }
    with pytest.warns(drsim.ManifestWarning, match=r"spec.replicaCout .*did you mean replicaCount\?"):
        overrides_from_yaml(text.replace("replicaCount", "replicaCout"), region="region-1")


# -- the mesh: DestinationRule and VirtualService ------------------------------------------


def test_a_destination_rule_and_its_retries_become_the_mesh_section() -> None:
    out = overrides_from_manifests(MANIFESTS / "bookinfo-locality-failover.yaml", region="region-1")
    assert out == {
        GW + "app.connect_timeout": "2s",
        "mesh.locality_lb": True,
        "mesh.failover": '[{"from": "region-1", "to": "region-2"}]',
        "mesh.outlier_detection.consecutive_5xx_errors": 1,
        "mesh.outlier_detection.interval": "1s",
        "mesh.outlier_detection.base_ejection_time": "10m",
        "mesh.outlier_detection.max_ejection_percent": 100,
        "mesh.retries.attempts": 3,
        # Istio moves the status codes of retryOn into retriable_status_codes.
        "mesh.retries.retry_on": "connect-failure,refused-stream,retriable-status-codes",
        "mesh.retries.retriable_status_codes": "503",
        "mesh.retries.retry_remote_localities": True,
    }


def test_the_mesh_overrides_apply_to_the_bookinfo_model_and_it_runs() -> None:
    out = overrides_from_manifests(MANIFESTS / "bookinfo-locality-failover.yaml", region="region-1")
    model = drsim.Scenario.load(Path(__file__).resolve().parents[2] / "models" / "bookinfo-cross-cluster.json")
    # The model names its app by preset ("bookinfo"): an object form lets the connect timeout in.
    result = model.with_overrides({GW + "app": {"preset": "bookinfo"}, **out}).run(seed=1)
    assert "ejections" in result.summary
    assert result.summary["failed_pct"] < 46  # the model without a mesh section fails 46.5 %


def test_mesh_settings_drsim_does_not_model_are_left_out_with_a_warning() -> None:
    rule = """
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    connectionPool: {http: {http1MaxPendingRequests: 10}}
    loadBalancer: {localityLbSetting: {failoverPriority: [topology.istio.io/network]}}
    outlierDetection: {consecutive5xxErrors: 7}
---
kind: DestinationRule
metadata: {name: ratings}
spec:
  host: ratings
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 3}
"""
    with pytest.warns(drsim.ManifestWarning) as caught:
        out = overrides_from_yaml(rule, region="region-1")
    messages = " | ".join(str(w.message) for w in caught)
    assert "http1MaxPendingRequests" in messages and "failoverPriority" in messages
    assert "differs" in messages  # one policy for every service: the first is kept
    assert out == {"mesh.outlier_detection.consecutive_5xx_errors": 7}

    with pytest.raises(drsim.ManifestError) as info:
        overrides_from_yaml("kind: DestinationRule\nspec: {trafficPolicy: {outlierDetection: {interval: soon}}}\n", "r")
    assert info.value.path == "spec.trafficPolicy.outlierDetection.interval"
