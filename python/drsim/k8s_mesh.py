"""The mesh part of :mod:`drsim.k8s`: Istio DestinationRules and VirtualService retries -> ``mesh.*`` overrides.

- a DestinationRule's ``trafficPolicy.outlierDetection`` ->
  ``mesh.outlier_detection.*`` (``consecutive5xxErrors``,
  ``consecutiveGatewayErrors``, ``interval``, ``baseEjectionTime``,
  ``maxEjectionPercent``, ``minHealthPercent``,
  ``splitExternalLocalOriginErrors``, ``consecutiveLocalOriginFailures``);
- its ``loadBalancer.localityLbSetting`` -> ``mesh.locality_lb`` (``enabled``)
  and ``mesh.failover`` (``failover`` from/to regions);
- its ``connectionPool.tcp.connectTimeout`` ->
  ``regions.<region>.gateway.app.connect_timeout``;
- a VirtualService's ``http[].retries`` -> ``mesh.retries.attempts``,
  ``.retry_on`` (status codes in it go to ``.retriable_status_codes``, as Istio
  moves them) and ``.retry_remote_localities``.

drsim's mesh section holds one policy for every service: rules for several
hosts that disagree raise a :class:`drsim.ManifestWarning` and the first one
read is kept. What the model does not represent (``failoverPriority``,
``distribute``, ``perTryTimeout``, connection-pool limits other than the
connect timeout) is left out with a warning.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from typing import Any, Callable

from .errors import ManifestError, ManifestWarning

_OUTLIER_FIELDS: dict[str, tuple[str, str]] = {
    # Istio field -> (model field, kind)
    "consecutive5xxErrors": ("consecutive_5xx_errors", "int"),
    "consecutiveGatewayErrors": ("consecutive_gateway_errors", "int"),
    "interval": ("interval", "duration"),
    "baseEjectionTime": ("base_ejection_time", "duration"),
    "maxEjectionPercent": ("max_ejection_percent", "int"),
    "minHealthPercent": ("min_health_percent", "int"),
    "splitExternalLocalOriginErrors": ("split_external_local_origin_errors", "bool"),
    "consecutiveLocalOriginFailures": ("consecutive_local_origin_failures", "int"),
}


class MeshPolicy:
    """What the DestinationRules and VirtualServices of a set of manifests say, as overrides."""

    def __init__(
        self,
        duration: Callable[[Any, Any, str], str],
        whole: Callable[[Any, Any, str], int],
        mapping: Callable[[Any, Any, str], Mapping[str, Any]],
    ) -> None:
        # drsim.k8s's readers of a duration, a whole number and a mapping, with its errors.
        self._duration = duration
        self._int = whole
        self._mapping = mapping
        self.mesh: dict[str, Any] = {}
        self.gateway: dict[str, Any] = {}  # keys below regions.<region>.gateway.
        self._origin: dict[str, str] = {}

    def read(self, doc: Any) -> bool:
        """Reads ``doc`` if it is a DestinationRule or VirtualService; False otherwise."""
        if doc.kind == "DestinationRule":
            self._destination_rule(doc)
        elif doc.kind == "VirtualService":
            self._virtual_service(doc)
        else:
            return False
        return True

    # -- DestinationRule ---------------------------------------------------------------

    def _destination_rule(self, doc: Any) -> None:
        spec = self._mapping(doc, doc.body.get("spec"), "spec")
        policy = spec.get("trafficPolicy")
        if policy is None:
            return
        policy = self._mapping(doc, policy, "spec.trafficPolicy")
        if spec.get("subsets"):
            _warn(doc, "spec.subsets", "subsets' own traffic policies are not modelled; the top-level policy is read")
        outlier = policy.get("outlierDetection")
        if outlier is not None:
            where = "spec.trafficPolicy.outlierDetection"
            for key, value in self._mapping(doc, outlier, where).items():
                if key not in _OUTLIER_FIELDS:
                    _warn(doc, f"{where}.{key}", "not modelled; left out")
                    continue
                field, kind = _OUTLIER_FIELDS[key]
                if isinstance(value, Mapping) and "value" in value:  # UInt32Value / BoolValue in JSON form
                    value = value["value"]
                self._put(doc, f"mesh.outlier_detection.{field}", self._value(doc, value, f"{where}.{key}", kind))
        lb = policy.get("loadBalancer")
        if lb is not None:
            self._locality(doc, self._mapping(doc, lb, "spec.trafficPolicy.loadBalancer"))
        pool = policy.get("connectionPool")
        if pool is not None:
            where = "spec.trafficPolicy.connectionPool"
            pool = self._mapping(doc, pool, where)
            for section, body in pool.items():
                for key, value in self._mapping(doc, body, f"{where}.{section}").items():
                    if section == "tcp" and key == "connectTimeout":
                        timeout = self._duration(doc, value, f"{where}.tcp.connectTimeout")
                        self._put(doc, "app.connect_timeout", timeout, gateway=True)
                    else:
                        _warn(doc, f"{where}.{section}.{key}", "not modelled; left out")

    def _locality(self, doc: Any, lb: Mapping[str, Any]) -> None:
        where = "spec.trafficPolicy.loadBalancer.localityLbSetting"
        setting = lb.get("localityLbSetting")
        if setting is None:
            return
        setting = self._mapping(doc, setting, where)
        for key, value in setting.items():
            if key == "enabled":
                if isinstance(value, Mapping) and "value" in value:
                    value = value["value"]
                self._put(doc, "mesh.locality_lb", self._value(doc, value, f"{where}.enabled", "bool"))
            elif key == "failover":
                if not isinstance(value, list):
                    raise ManifestError(doc.source, f"{where}.failover", f"expected a list of from/to, found {value!r}")
                rules = []
                for i, rule in enumerate(value):
                    rule = self._mapping(doc, rule, f"{where}.failover[{i}]")
                    if not rule.get("from") or not rule.get("to"):
                        raise ManifestError(doc.source, f"{where}.failover[{i}]", "a failover rule needs from and to")
                    rules.append({"from": str(rule["from"]), "to": str(rule["to"])})
                self._put(doc, "mesh.failover", json.dumps(rules))
            else:
                _warn(doc, f"{where}.{key}", "not modelled (drsim has failover by region only); left out")

    # -- VirtualService -----------------------------------------------------------------

    def _virtual_service(self, doc: Any) -> None:
        spec = self._mapping(doc, doc.body.get("spec"), "spec")
        for i, route in enumerate(spec.get("http") or []):
            retries = self._mapping(doc, route, f"spec.http[{i}]").get("retries")
            if retries is None:
                continue
            where = f"spec.http[{i}].retries"
            for key, value in self._mapping(doc, retries, where).items():
                if key == "attempts":
                    self._put(doc, "mesh.retries.attempts", max(0, self._int(doc, value, f"{where}.attempts")))
                elif key == "retryOn":
                    words = [w.strip() for w in str(value).split(",") if w.strip()]
                    codes = [w for w in words if w.isdigit()]
                    conditions = [w for w in words if not w.isdigit()]
                    if codes and "retriable-status-codes" not in conditions:
                        conditions.append("retriable-status-codes")  # Istio adds it for the codes
                    self._put(doc, "mesh.retries.retry_on", ",".join(conditions))
                    if codes:
                        self._put(doc, "mesh.retries.retriable_status_codes", ",".join(codes))
                elif key == "retryRemoteLocalities":
                    self._put(doc, "mesh.retries.retry_remote_localities", self._value(doc, value, f"{where}.{key}", "bool"))
                else:
                    _warn(doc, f"{where}.{key}", "not modelled; left out")

    # -- helpers ---------------------------------------------------------------------------

    def _value(self, doc: Any, value: Any, path: str, kind: str) -> Any:
        if kind == "int":
            return self._int(doc, value, path)
        if kind == "duration":
            return self._duration(doc, value, path)
        if not isinstance(value, bool):
            raise ManifestError(doc.source, path, f"expected true or false, found {value!r}")
        return value

    def _put(self, doc: Any, key: str, value: Any, gateway: bool = False) -> None:
        target = self.gateway if gateway else self.mesh
        if key in target and target[key] != value:
            _warn(doc, key, f"{value!r} differs from {target[key]!r} read in {self._origin[key]} "
                            "(drsim's mesh has one policy for every service); the first is kept")
            return
        target.setdefault(key, value)
        self._origin.setdefault(key, doc.source)


def _warn(doc: Any, path: str, what: str) -> None:
    warnings.warn(f"{doc.source}: {path}: {what}", ManifestWarning, stacklevel=5)


__all__ = ["MeshPolicy"]
