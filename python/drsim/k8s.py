"""Scenario overrides from the manifests a team already has.

:func:`overrides_from_manifests` reads Kubernetes, ASM and Istio/Envoy YAML
(several documents per file, ``kind: List`` included) and turns the objects
that describe one region's ingress gateway into overrides by dotted path, for
:meth:`drsim.Scenario.with_overrides`:

- an ``autoscaling/v2`` HorizontalPodAutoscaler (``v2beta2`` and ``v1`` read
  the same way) -> ``gateway.hpa.min_replicas``, ``.max_replicas``,
  ``.target_cpu_utilization`` and, when set, ``.behavior.scale_up`` /
  ``.behavior.scale_down`` (``stabilization_window``, ``select_policy``,
  ``policies``);
- ASM's ``ASMLocalRateLimiter`` (the seed drill's 100 requests per second) ->
  ``gateway.rate_limit.quota`` and ``.fill_interval`` (plus ``.port`` and
  ``.route`` from its ``match.vhost``, ``.per_downstream_connection`` when set);
- an Envoy ``envoy.filters.http.local_ratelimit`` filter, inside an Istio
  EnvoyFilter, a plain Envoy config or a ConfigMap holding one ->
  ``gateway.rate_limit.quota`` (``tokens_per_fill``), ``.fill_interval``,
  ``.max_tokens`` when it differs from ``tokens_per_fill``, and
  ``.per_downstream_connection`` when set;
- the gateway Deployment -> ``gateway.cpu_request`` (the pod's CPU request,
  what the HPA divides usage by, in millicores: ``"100m"``) and
  ``gateway.replicas``;
- ASM's ``IstioGateway`` (the gateway as ASM declares it) -> ``gateway.replicas``
  (``spec.replicaCount``), ``gateway.cpu_request`` (``spec.resources.requests.cpu``)
  and ``gateway.hpa.target_cpu_utilization`` (``spec.cpu.targetAverageUtilization``);
- Istio DestinationRules (``outlierDetection``, ``localityLbSetting``,
  ``connectionPool.tcp.connectTimeout``) and VirtualService ``retries`` ->
  ``mesh.*`` and ``gateway.app.connect_timeout`` (see :mod:`drsim.k8s_mesh`).

Nothing is dropped without a word: a kind drsim does not read gets a
:class:`drsim.ManifestWarning` (with a did-you-mean when it is close to one it
reads, ``HorizontalPodAutoscalar``), unless it is one that never carries
anything modelled (Service, Secret, RBAC, ...); a field that is not part of a
read object's API (``minReplica`` in an HPA) gets one too.

Every path but the ``mesh.*`` ones starts with ``regions.<region>.gateway.``. The Envoy version, which
decides ``rate_limit.refill`` (``timer`` before 1.31, ``continuous`` from
1.31), is not in any manifest: set it yourself. Settings the model does
not represent raise a :class:`drsim.ManifestWarning` and are left out; a
manifest that cannot be read as intended raises :class:`drsim.ManifestError`.

>>> drsim.k8s.overrides_from_manifests(["hpa.yaml", "ratelimit.yaml"], region="region-2")
{'regions.region-2.gateway.hpa.min_replicas': 2, ...}
"""

from __future__ import annotations

import difflib
import math
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import yaml

from .errors import ManifestError, ManifestWarning
from .k8s_mesh import MeshPolicy

PathLike = Union[str, "os.PathLike[str]"]

#: Kubernetes fills these in when a HorizontalPodAutoscaler leaves them out.
HPA_DEFAULT_MIN_REPLICAS = 1
HPA_DEFAULT_CPU_UTILIZATION = 80  # autoscaling/v2: no metrics means 80 % average CPU utilization

_LOCAL_RATELIMIT_HTTP = "envoy.extensions.filters.http.local_ratelimit"
_LOCAL_RATELIMIT_NETWORK = "envoy.extensions.filters.network.local_ratelimit"
_DENOMINATORS = {"HUNDRED": 100, "TEN_THOUSAND": 10_000, "MILLION": 1_000_000}
_GATEWAY_LABELS = (("istio", "ingressgateway"), ("app", "istio-ingressgateway"))

#: The kinds read (EnvoyFilter and ConfigMap for the Envoy filters inside them).
_READ_KINDS = ("HorizontalPodAutoscaler", "ASMLocalRateLimiter", "Deployment", "IstioGateway", "DestinationRule",
               "VirtualService", "EnvoyFilter", "ConfigMap")
#: Kinds that sit beside a gateway but carry nothing the model represents: left out silently.
_NOTHING_MODELLED_KINDS = frozenset({
    "Service", "ServiceAccount", "Secret", "Namespace", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding",
    "PodDisruptionBudget", "NetworkPolicy", "Ingress", "IngressClass", "Gateway", "VirtualService",
    "PeerAuthentication", "AuthorizationPolicy", "RequestAuthentication", "Sidecar", "ServiceEntry",
    "Telemetry", "CustomResourceDefinition", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "HTTPRoute", "GRPCRoute", "ReferenceGrant", "Certificate",
})
#: Fields of the read objects, from the API references: a field outside these
#: gets a warning. The Kubernetes sets are complete (every unknown field warns);
#: for ASM's CRDs only a near miss of a read field does (their schemas are larger).
_K8S_FIELDS: dict[tuple[str, str], tuple[frozenset[str], bool]] = {
    # https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/
    ("HorizontalPodAutoscaler", "spec"): (frozenset({
        "scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior", "targetCPUUtilizationPercentage"}), True),
    ("HorizontalPodAutoscaler", "spec.behavior"): (frozenset({"scaleUp", "scaleDown"}), True),
    ("HorizontalPodAutoscaler", "rules"): (frozenset({"stabilizationWindowSeconds", "selectPolicy", "policies"}), True),
    # https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/#DeploymentSpec
    ("Deployment", "spec"): (frozenset({
        "replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit", "paused",
        "progressDeadlineSeconds"}), True),
    # https://help.aliyun.com/en/asm/sidecar/crd-fields-for-an-asm-gateway
    ("IstioGateway", "spec"): (frozenset({"replicaCount", "resources", "cpu"}), False),
    ("ASMLocalRateLimiter", "spec"): (frozenset({"workloadSelector", "isGateway", "configs"}), False),
    ("ASMLocalRateLimiter", "limit"): (frozenset({"quota", "fill_interval", "per_downstream_connection"}), False),
}


@dataclass
class _Document:
    body: Mapping[str, Any]
    source: str  # "file.yaml[2]"

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def name(self) -> str:
        meta = self.body.get("metadata") or {}
        return str(meta.get("name", "")) if isinstance(meta, Mapping) else ""


@dataclass
class _RateLimit:
    values: dict[str, Any]
    source: str


@dataclass
class _Collected:
    overrides: dict[str, Any] = field(default_factory=dict)
    rate_limits: list[_RateLimit] = field(default_factory=list)
    hpa_targets: list[str] = field(default_factory=list)
    deployments: list[_Document] = field(default_factory=list)


# -- entry points ---------------------------------------------------------------


def overrides_from_manifests(
    paths: Union[PathLike, Iterable[PathLike]],
    region: str,
    *,
    deployment: Optional[str] = None,
) -> dict[str, Any]:
    """Scenario overrides for ``region``'s gateway from YAML manifest files.

    ``paths`` is one path or several; a directory stands for its ``*.yaml`` and
    ``*.yml`` files. Among several Deployments, the gateway is the one an HPA
    scales, else the one named by ``deployment``, else the one labelled
    ``istio: ingressgateway`` (or ``app: istio-ingressgateway``), else the only
    one. Returns ``{"regions.<region>.gateway.<field>": value, ...}``.
    """
    documents: list[_Document] = []
    for path in _expand(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise ManifestError(str(path), "", f"cannot read the manifest ({e.strerror or e})") from e
        documents.extend(_parse(text, str(path)))
    return _overrides(documents, region, deployment)


def overrides_from_yaml(text: str, region: str, *, deployment: Optional[str] = None, source: str = "<yaml>") -> dict[str, Any]:
    """As :func:`overrides_from_manifests`, from YAML text (one or more documents)."""
    return _overrides(list(_parse(text, source)), region, deployment)


# -- reading --------------------------------------------------------------------------


def _expand(paths: Union[PathLike, Iterable[PathLike]]) -> Iterator[Path]:
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not items:
        raise ValueError("overrides_from_manifests: no manifest paths given")
    for item in items:
        path = Path(os.fspath(item))
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
            if not found:
                raise ManifestError(str(path), "", "the folder holds no .yaml or .yml file")
            yield from found
        else:
            yield path


def _parse(text: str, source: str) -> Iterator[_Document]:
    try:
        raw = list(yaml.safe_load_all(text))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ManifestError(source, where, f"not valid YAML ({getattr(e, 'problem', None) or e})") from e
    for index, body in enumerate(raw):
        if body is None:
            continue  # an empty document between ---
        label = f"{source}[{index}]" if len(raw) > 1 else source
        if not isinstance(body, Mapping):
            raise ManifestError(label, "", f"expected a manifest (a mapping), found {type(body).__name__}")
        if body.get("kind") == "List" and isinstance(body.get("items"), list):
            for k, item in enumerate(body["items"]):
                if isinstance(item, Mapping):
                    yield _Document(item, f"{label}.items[{k}]")
        else:
            yield _Document(body, label)


# -- conversion ------------------------------------------------------------------


def _overrides(documents: list[_Document], region: str, deployment: Optional[str]) -> dict[str, Any]:
    if not region or not isinstance(region, str):
        raise ValueError("overrides_from_manifests: region must be a region name, e.g. 'region-2'")
    collected = _Collected()
    mesh = MeshPolicy(_duration, _int, _mapping)
    for doc in documents:
        kind = doc.kind
        if mesh.read(doc):
            continue
        if kind == "HorizontalPodAutoscaler":
            _read_hpa(doc, collected)
        elif kind == "ASMLocalRateLimiter":
            _read_asm_limiter(doc, collected)
        elif kind == "Deployment":
            _check_fields(doc, doc.body.get("spec"), "spec", "spec")
            collected.deployments.append(doc)
        elif kind == "IstioGateway":
            _read_istio_gateway(doc, collected)
        elif kind in _READ_KINDS or not kind:
            _read_envoy_limits(doc, collected)
        elif kind not in _NOTHING_MODELLED_KINDS:
            before = len(collected.rate_limits)
            _read_envoy_limits(doc, collected)
            if len(collected.rate_limits) == before:
                _warn_unread_kind(doc)

    _merge_rate_limits(collected)
    gateway = _pick_gateway(collected, deployment)
    if gateway is not None:
        _read_deployment(gateway, collected)

    prefix = f"regions.{region}.gateway."
    out = {prefix + key: value for key, value in {**collected.overrides, **mesh.gateway}.items()}
    return {**out, **mesh.mesh}


def _warn_unread_kind(doc: _Document) -> None:
    close = difflib.get_close_matches(doc.kind, _READ_KINDS, n=1, cutoff=0.75)
    hint = f" (did you mean {close[0]}?)" if close else ""
    warnings.warn(
        f"{doc.source}: kind {doc.kind} {doc.name!r} is not one drsim reads{hint}; left out "
        f"(it reads {', '.join(_READ_KINDS[:4])} and Envoy local_ratelimit filters)",
        ManifestWarning,
        stacklevel=5,
    )


def _check_fields(doc: _Document, block: Any, where: str, schema: str) -> None:
    """Warns about fields of a read object that its API does not have, with a did-you-mean."""
    known, complete = _K8S_FIELDS[(doc.kind, schema)]
    if not isinstance(block, Mapping):
        return
    for key in block:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.75)
        if close:
            message = f"{doc.source}: {where}.{key} is not a {doc.kind} field (did you mean {close[0]}?); left out"
        elif complete:
            message = f"{doc.source}: {where}.{key} is not a {doc.kind} field; left out"
        else:
            continue
        warnings.warn(message, ManifestWarning, stacklevel=5)


def _read_istio_gateway(doc: _Document, out: _Collected) -> None:
    """ASM's IstioGateway: the replica count, the pod's CPU request and the HPA's CPU target."""
    spec = _mapping(doc, doc.body.get("spec"), "spec")
    _check_fields(doc, spec, "spec", "spec")
    if "replicaCount" in spec:
        out.overrides["replicas"] = _int(doc, spec["replicaCount"], "spec.replicaCount")
    requests = (spec.get("resources") or {}).get("requests") or {}
    if isinstance(requests, Mapping) and requests.get("cpu") is not None:
        millicores = cpu_millicores(requests["cpu"], source=doc.source, path="spec.resources.requests.cpu")
        out.overrides["cpu_request"] = f"{millicores}m"
    cpu = spec.get("cpu") or {}
    if isinstance(cpu, Mapping) and "targetAverageUtilization" in cpu:
        out.overrides["hpa.target_cpu_utilization"] = _int(
            doc, cpu["targetAverageUtilization"], "spec.cpu.targetAverageUtilization")


def _read_hpa(doc: _Document, out: _Collected) -> None:
    spec = _mapping(doc, doc.body.get("spec"), "spec")
    _check_fields(doc, spec, "spec", "spec")
    _check_fields(doc, spec.get("behavior"), "spec.behavior", "spec.behavior")
    api = str(doc.body.get("apiVersion", ""))
    if "maxReplicas" not in spec:
        raise ManifestError(doc.source, "spec.maxReplicas", "a HorizontalPodAutoscaler needs maxReplicas")
    out.overrides["hpa.min_replicas"] = _int(doc, spec.get("minReplicas", HPA_DEFAULT_MIN_REPLICAS), "spec.minReplicas")
    out.overrides["hpa.max_replicas"] = _int(doc, spec["maxReplicas"], "spec.maxReplicas")

    target = spec.get("scaleTargetRef") or {}
    if isinstance(target, Mapping) and target.get("kind", "Deployment") == "Deployment" and target.get("name"):
        out.hpa_targets.append(str(target["name"]))

    if api == "autoscaling/v1":
        utilization = spec.get("targetCPUUtilizationPercentage", HPA_DEFAULT_CPU_UTILIZATION)
        out.overrides["hpa.target_cpu_utilization"] = _int(doc, utilization, "spec.targetCPUUtilizationPercentage")
        return

    metrics = spec.get("metrics") or []
    if not isinstance(metrics, list):
        raise ManifestError(doc.source, "spec.metrics", "expected a list of metrics")
    utilization: Optional[int] = HPA_DEFAULT_CPU_UTILIZATION if not metrics else None
    for i, metric in enumerate(metrics):
        where = f"spec.metrics[{i}]"
        metric = _mapping(doc, metric, where)
        kind = metric.get("type")
        block_key = {"Resource": "resource", "ContainerResource": "containerResource"}.get(str(kind))
        block = metric.get(block_key) if block_key else None
        if not isinstance(block, Mapping) or block.get("name") != "cpu":
            warnings.warn(
                f"{doc.source}: {where}: only CPU utilization is modelled; the {kind} metric "
                f"{_metric_name(metric)!r} is left out",
                ManifestWarning,
                stacklevel=4,
            )
            continue
        if kind == "ContainerResource":
            warnings.warn(
                f"{doc.source}: {where}: a ContainerResource CPU metric is read as the pod's CPU utilization",
                ManifestWarning,
                stacklevel=4,
            )
        tgt = _mapping(doc, block.get("target"), f"{where}.{block_key}.target")
        if tgt.get("type") != "Utilization" or "averageUtilization" not in tgt:
            raise ManifestError(
                doc.source,
                f"{where}.{block_key}.target",
                f"only a CPU target of type Utilization with averageUtilization is modelled, found {dict(tgt)}",
            )
        utilization = _int(doc, tgt["averageUtilization"], f"{where}.{block_key}.target.averageUtilization")
    if utilization is None:
        raise ManifestError(doc.source, "spec.metrics", "no CPU utilization metric: the model scales on CPU only")
    out.overrides["hpa.target_cpu_utilization"] = utilization

    behavior = spec.get("behavior")
    if behavior:
        behavior = _mapping(doc, behavior, "spec.behavior")
        for api_key, key in (("scaleUp", "scale_up"), ("scaleDown", "scale_down")):
            rules = behavior.get(api_key)
            if rules is None:
                continue
            rules = _mapping(doc, rules, f"spec.behavior.{api_key}")
            _check_fields(doc, rules, f"spec.behavior.{api_key}", "rules")
            base = f"hpa.behavior.{key}."
            if "stabilizationWindowSeconds" in rules:
                seconds = _int(doc, rules["stabilizationWindowSeconds"], f"spec.behavior.{api_key}.stabilizationWindowSeconds")
                out.overrides[base + "stabilization_window"] = f"{seconds}s"
            if "selectPolicy" in rules:
                out.overrides[base + "select_policy"] = str(rules["selectPolicy"]).lower()
            if "policies" in rules:
                policies = []
                for j, policy in enumerate(rules["policies"] or []):
                    where = f"spec.behavior.{api_key}.policies[{j}]"
                    policy = _mapping(doc, policy, where)
                    kind = str(policy.get("type", ""))
                    if kind not in ("Pods", "Percent"):
                        raise ManifestError(doc.source, f"{where}.type", f"expected Pods or Percent, found {kind!r}")
                    policies.append(
                        {
                            "type": kind.lower(),
                            "value": _int(doc, policy.get("value"), f"{where}.value"),
                            "period": f"{_int(doc, policy.get('periodSeconds'), f'{where}.periodSeconds')}s",
                        }
                    )
                out.overrides[base + "policies"] = policies


def _metric_name(metric: Mapping[str, Any]) -> str:
    for key in ("resource", "containerResource"):
        if isinstance(metric.get(key), Mapping):
            return str(metric[key].get("name", "?"))
    for key in ("pods", "object", "external"):
        block = metric.get(key)
        if isinstance(block, Mapping) and isinstance(block.get("metric"), Mapping):
            return str(block["metric"].get("name", "?"))
    return "?"


def _read_asm_limiter(doc: _Document, out: _Collected) -> None:
    spec = _mapping(doc, doc.body.get("spec"), "spec")
    _check_fields(doc, spec, "spec", "spec")
    if spec.get("isGateway") is False:
        warnings.warn(
            f"{doc.source}: isGateway is false: a sidecar limiter, not the gateway's; left out",
            ManifestWarning,
            stacklevel=4,
        )
        return
    configs = spec.get("configs") or []
    if not isinstance(configs, list) or not configs:
        raise ManifestError(doc.source, "spec.configs", "expected at least one config with a limit")
    for i, config in enumerate(configs):
        where = f"spec.configs[{i}].limit"
        limit = _mapping(doc, _mapping(doc, config, f"spec.configs[{i}]").get("limit"), where)
        _check_fields(doc, limit, where, "limit")
        if "quota" not in limit or "fill_interval" not in limit:
            raise ManifestError(doc.source, where, "a limit needs quota and fill_interval")
        values: dict[str, Any] = {
            # ASM's quota per fill_interval becomes max_tokens = tokens_per_fill = quota in Envoy.
            "quota": _int(doc, limit["quota"], f"{where}.quota"),
            "fill_interval": _duration(doc, limit["fill_interval"], f"{where}.fill_interval"),
        }
        if limit.get("per_downstream_connection"):
            values["per_downstream_connection"] = True
        vhost = (config.get("match") or {}).get("vhost") or {}
        if isinstance(vhost, Mapping):
            if "port" in vhost:
                values["port"] = _int(doc, vhost["port"], f"spec.configs[{i}].match.vhost.port")
            route = vhost.get("route") or {}
            if isinstance(route, Mapping) and route.get("name_match"):
                values["route"] = str(route["name_match"])
        out.rate_limits.append(_RateLimit(values, f"{doc.source} {where}"))


def _read_envoy_limits(doc: _Document, out: _Collected) -> None:
    """Finds local_ratelimit configs anywhere in the document (EnvoyFilter patches, Envoy bootstrap)."""
    for where, config, type_url in _find_local_ratelimits(_embedded(doc.body), ""):
        if _LOCAL_RATELIMIT_NETWORK in type_url:
            warnings.warn(
                f"{doc.source}: {where}: a network (connection) local rate limit, not the HTTP one; left out",
                ManifestWarning,
                stacklevel=4,
            )
            continue
        context = _patch_context(doc.body, where)
        if context.startswith("SIDECAR"):
            warnings.warn(
                f"{doc.source}: {where}: applies to sidecars ({context}), not the gateway; left out",
                ManifestWarning,
                stacklevel=4,
            )
            continue
        bucket = _mapping(doc, config.get("token_bucket"), f"{where}.token_bucket")
        if "max_tokens" not in bucket or "fill_interval" not in bucket:
            raise ManifestError(doc.source, f"{where}.token_bucket", "a token_bucket needs max_tokens and fill_interval")
        max_tokens = _int(doc, bucket["max_tokens"], f"{where}.token_bucket.max_tokens")
        # Envoy's TokenBucket: tokens_per_fill defaults to 1.
        per_fill = _int(doc, bucket.get("tokens_per_fill", 1), f"{where}.token_bucket.tokens_per_fill")
        enforced = _fraction(doc, config.get("filter_enabled"), f"{where}.filter_enabled") * _fraction(
            doc, config.get("filter_enforced"), f"{where}.filter_enforced"
        )
        if enforced == 0:
            # Envoy: filter_enabled and filter_enforced default to 0 % "for safety".
            warnings.warn(
                f"{doc.source}: {where}: filter_enabled x filter_enforced is 0 % (a missing one counts 0 %): "
                "Envoy counts but never rejects; left out",
                ManifestWarning,
                stacklevel=4,
            )
            continue
        if enforced < 1:
            warnings.warn(
                f"{doc.source}: {where}: only {enforced:.0%} of requests are enforced; the model enforces all",
                ManifestWarning,
                stacklevel=4,
            )
        status = config.get("status")
        if isinstance(status, Mapping) and str(status.get("code", "TooManyRequests")) not in ("TooManyRequests", "429"):
            warnings.warn(
                f"{doc.source}: {where}.status: a custom status {status.get('code')} is counted as 429",
                ManifestWarning,
                stacklevel=4,
            )
        # The model's quota is tokens_per_fill; max_tokens defaults to it (ASM's shape).
        values: dict[str, Any] = {"quota": per_fill}
        if max_tokens != per_fill:
            values["max_tokens"] = max_tokens
        values["fill_interval"] = _duration(doc, bucket["fill_interval"], f"{where}.token_bucket.fill_interval")
        if config.get("local_rate_limit_per_downstream_connection"):
            values["per_downstream_connection"] = True
        out.rate_limits.append(_RateLimit(values, f"{doc.source} {where}"))


def _embedded(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """A ConfigMap's data values parsed as YAML when they are Envoy configs (envoy.yaml: |...)."""
    if body.get("kind") != "ConfigMap" or not isinstance(body.get("data"), Mapping):
        return body
    data: dict[str, Any] = {}
    for key, value in body["data"].items():
        parsed: Any = value
        if isinstance(value, str) and "local_ratelimit" in value:
            try:
                parsed = yaml.safe_load(value)
            except yaml.YAMLError:
                parsed = value
        data[key] = parsed
    return {**body, "data": data}


def _find_local_ratelimits(node: Any, where: str) -> Iterator[tuple[str, Mapping[str, Any], str]]:
    if isinstance(node, Mapping):
        type_url = str(node.get("type_url") or node.get("@type") or "")
        if "local_ratelimit" in type_url and isinstance(node.get("value"), Mapping) and "@type" in node:
            # udpa TypedStruct: {"@type": ...TypedStruct, type_url: ...LocalRateLimit, value: {...}}
            value = node["value"]
            if "token_bucket" in value:
                yield f"{where}.value", value, type_url
            return
        if "local_ratelimit" in type_url and "token_bucket" in node:
            yield where, node, type_url
            return
        for key, child in node.items():
            yield from _find_local_ratelimits(child, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _find_local_ratelimits(child, f"{where}[{i}]")


def _patch_context(body: Mapping[str, Any], where: str) -> str:
    """The EnvoyFilter configPatches[i].match.context enclosing ``where`` ("" outside an EnvoyFilter)."""
    m = re.match(r"spec\.configPatches\[(\d+)\]", where)
    if not m or body.get("kind") != "EnvoyFilter":
        return ""
    try:
        patch = body["spec"]["configPatches"][int(m.group(1))]
        return str((patch.get("match") or {}).get("context", ""))
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def _merge_rate_limits(out: _Collected) -> None:
    if not out.rate_limits:
        return
    first = out.rate_limits[0]
    for other in out.rate_limits[1:]:
        if other.values != first.values:
            raise ManifestError(
                other.source,
                "",
                f"a second, different rate limit {other.values} (first: {first.values} from {first.source}); "
                "the model has one local rate limit per gateway",
            )
    for key, value in first.values.items():
        out.overrides[f"rate_limit.{key}"] = value


def _pick_gateway(out: _Collected, wanted: Optional[str]) -> Optional[_Document]:
    deployments = out.deployments
    if not deployments:
        if wanted:
            raise ManifestError("<manifests>", "", f"no Deployment named {wanted!r} among the manifests")
        return None
    names = [d.name for d in deployments]
    if wanted:
        matches = [d for d in deployments if d.name == wanted]
        if not matches:
            raise ManifestError("<manifests>", "", f"no Deployment named {wanted!r} (found {names})")
        return matches[0]
    for target in out.hpa_targets:
        matches = [d for d in deployments if d.name == target]
        if matches:
            return matches[0]
    labelled = [d for d in deployments if _has_gateway_label(d)]
    if len(labelled) == 1:
        return labelled[0]
    if len(deployments) == 1:
        return deployments[0]
    raise ManifestError(
        "<manifests>",
        "",
        f"several Deployments ({names}) and none is clearly the gateway; pass deployment='<name>'",
    )


def _has_gateway_label(doc: _Document) -> bool:
    labels: dict[str, Any] = {}
    meta = doc.body.get("metadata") or {}
    if isinstance(meta, Mapping):
        labels.update(meta.get("labels") or {})
    template_meta = ((doc.body.get("spec") or {}).get("template") or {}).get("metadata") or {}
    if isinstance(template_meta, Mapping):
        labels.update(template_meta.get("labels") or {})
    return any(labels.get(k) == v for k, v in _GATEWAY_LABELS)


def _read_deployment(doc: _Document, out: _Collected) -> None:
    spec = _mapping(doc, doc.body.get("spec"), "spec")
    if "replicas" in spec:
        out.overrides["replicas"] = _int(doc, spec["replicas"], "spec.replicas")
    pod = _mapping(doc, _mapping(doc, spec.get("template"), "spec.template").get("spec"), "spec.template.spec")
    # The HPA divides usage by the sum of the pod's container requests (native
    # sidecars, init containers that keep running, count too).
    containers = [(f"spec.template.spec.containers[{i}]", c) for i, c in enumerate(pod.get("containers") or [])]
    containers += [
        (f"spec.template.spec.initContainers[{i}]", c)
        for i, c in enumerate(pod.get("initContainers") or [])
        if isinstance(c, Mapping) and c.get("restartPolicy") == "Always"
    ]
    if not containers:
        raise ManifestError(doc.source, "spec.template.spec.containers", "a Deployment needs containers")
    total_millicores = 0
    for where, container in containers:
        resources = _mapping(doc, container, where).get("resources") or {}
        requests = resources.get("requests") or {}
        limits = resources.get("limits") or {}
        # Kubernetes: a limit without a request makes the request equal to the limit.
        cpu = requests.get("cpu", limits.get("cpu"))
        if cpu is None:
            warnings.warn(
                f"{doc.source}: {where} ({container.get('name', '?')}) has no CPU request: the HPA cannot compute "
                "utilization for this pod (an injected gateway gets the injection template's request); "
                "cpu_request left out",
                ManifestWarning,
                stacklevel=4,
            )
            return
        total_millicores += cpu_millicores(cpu, source=doc.source, path=f"{where}.resources.requests.cpu")
    out.overrides["cpu_request"] = f"{total_millicores}m"


# -- values -------------------------------------------------------------------------


def cpu_millicores(quantity: Union[str, int, float], *, source: str = "<value>", path: str = "") -> int:
    """A Kubernetes CPU quantity ("100m", "0.5", 2, "1500m") in millicores, rounded up as the API does."""
    if isinstance(quantity, bool):
        raise ManifestError(source, path, f"expected a CPU quantity like '100m' or '0.5', found {quantity!r}")
    if isinstance(quantity, (int, float)):
        return int(math.ceil(float(quantity) * 1000 - 1e-9))
    text = str(quantity).strip()
    m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)(m|k|M|G)?", text)
    if not m:
        raise ManifestError(source, path, f"expected a CPU quantity like '100m' or '0.5', found {quantity!r}")
    number = float(m.group(1))
    scale = {"m": 1.0, None: 1000.0, "k": 1e6, "M": 1e9, "G": 1e12}[m.group(2)]
    return int(math.ceil(number * scale - 1e-9))


def _duration(doc: _Document, value: Any, path: str) -> str:
    """A protobuf Duration ({seconds, nanos}, "1s", "0.5s", "1.5s") as a model duration ("1s", "500ms")."""
    if isinstance(value, Mapping):
        seconds = _int(doc, value.get("seconds", 0), f"{path}.seconds")
        nanos = _int(doc, value.get("nanos", 0), f"{path}.nanos")
        total_ns = seconds * 1_000_000_000 + nanos
    elif isinstance(value, str) and re.fullmatch(r"\d+(\.\d{1,9})?s", value.strip()):
        whole, _, frac = value.strip()[:-1].partition(".")
        total_ns = int(whole) * 1_000_000_000 + int((frac or "0").ljust(9, "0"))
    elif isinstance(value, str) and re.fullmatch(r"\d+(ms|us|ns|m|h)", value.strip()):
        return value.strip()
    else:
        raise ManifestError(doc.source, path, f"expected a duration ('1s', {{seconds: 1}}), found {value!r}")
    if total_ns <= 0:
        raise ManifestError(doc.source, path, f"expected a positive duration, found {value!r}")
    for unit, ns in (("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)):
        if total_ns % ns == 0:
            return f"{total_ns // ns}{unit}"
    return f"{total_ns}ns"


def _fraction(doc: _Document, value: Any, path: str) -> float:
    """A RuntimeFractionalPercent's default as a fraction; a missing one is 0 (Envoy's default)."""
    if value is None:
        return 0.0
    default = _mapping(doc, value, path).get("default_value") or {}
    default = _mapping(doc, default, f"{path}.default_value")
    numerator = float(default.get("numerator", 0))
    denominator = _DENOMINATORS.get(str(default.get("denominator", "HUNDRED")))
    if denominator is None:
        raise ManifestError(doc.source, f"{path}.default_value.denominator", f"unknown denominator {default.get('denominator')!r}")
    return min(1.0, numerator / denominator)


def _int(doc: _Document, value: Any, path: str) -> int:
    if isinstance(value, bool) or value is None:
        raise ManifestError(doc.source, path, f"expected a whole number, found {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ManifestError(doc.source, path, f"expected a whole number, found {value!r}") from None
    if not number.is_integer():
        raise ManifestError(doc.source, path, f"expected a whole number, found {value!r}")
    return int(number)


def _mapping(doc: _Document, value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ManifestError(doc.source, path, f"expected a mapping, found {'nothing' if value is None else repr(value)}")
    return value


__all__ = ["overrides_from_manifests", "overrides_from_yaml", "cpu_millicores"]
