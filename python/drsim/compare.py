"""Which architecture fails fewer requests for which failure: a table of failed % per fault x architecture.

The seed guide's decision table names two architectures for region-level DR
on ASM; drsim models both, and the two together:

- **A** multi-master control plane + DNS failover through GTM (the seed): an
  istiod per cluster, cluster-local traffic retention on, no outlier
  detection (Istio sets none by default), so the mesh never leaves the
  cluster and only GTM moves traffic;
- **B** single control plane + mesh-native locality failover: istiod in one
  cluster (primary-remote), retention off, outlier detection on, and the
  domain answering both gateway addresses with no health check that can act
  (``failures`` 100: never within the run), so each gateway's Envoy fails
  over across clusters and DNS never does;
- **C** both: GTM's health checks in front, locality failover behind.

:data:`ARCHITECTURES` holds each as overrides of
``models/asm-mesh-locality-failover.json`` (which is C as shipped), and
:data:`FAULTS` the failures to compare on, each hitting region 2 (or the
control plane's region 1) at a time drawn per replication. :func:`compare`
runs every pair with common random numbers (the same seeds everywhere)::

    >>> import drsim
    >>> from drsim.compare import compare
    >>> table = compare(drsim.Scenario.load("models/asm-mesh-locality-failover.json"), replications=10)
    >>> table.pivot(index="fault", columns="architecture", values="failed_pct")
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional, Sequence

import pandas as pd

from .scenario import Scenario

#: Overrides of models/asm-mesh-locality-failover.json that make each architecture.
ARCHITECTURES: dict[str, dict[str, Any]] = {
    "A": {
        "regions.region-1.gateway.cluster_local": True,
        "regions.region-2.gateway.cluster_local": True,
        "mesh.control_plane": "multi_primary",
        "mesh.outlier_detection.consecutive_5xx_errors": 0,
    },
    "B": {"gtm.health_check.failures": 100},
    "C": {},
}

#: What each architecture letter stands for, for tables and plots.
ARCHITECTURE_NAMES: dict[str, str] = {
    "A": "A: multi-master + GTM",
    "B": "B: one control plane + locality failover",
    "C": "C: GTM + locality failover",
}

#: The faults to compare on (the ``at`` time is added by :func:`compare`).
FAULTS: dict[str, dict[str, Any]] = {
    "region 2 outage": {"kind": "region_outage", "target": "region-2"},
    "region 1 outage (istiod's)": {"kind": "region_outage", "target": "region-1"},
    "ingress gateway deleted": {"kind": "gateway_deleted", "target": "cluster-2"},
    "app pods down": {"kind": "app_down", "target": "cluster-2"},
    "app answers 503 (50 %)": {"kind": "app_gray", "target": "cluster-2", "error_share": 0.5},
    "control plane down": {"kind": "control_plane_down", "target": "cluster-1"},
    "east-west gateway down": {"kind": "east_west_gateway_down", "target": "cluster-2"},
}


def compare(
    scenario: Scenario,
    architectures: Optional[Mapping[str, Mapping[str, Any]]] = None,
    faults: Optional[Mapping[str, Mapping[str, Any]]] = None,
    at: Sequence[str] = ("100s", "200s"),
    replications: int = 10,
    seed: int = 1,
    threads: Optional[int] = None,
) -> pd.DataFrame:
    """Runs every fault under every architecture; one row per pair.

    Columns: ``fault``, ``architecture``, ``failed_pct`` (mean over the
    replications) with its 95 % interval ``lo`` and ``hi``, and the means of
    ``ejections`` and ``retries`` (NaN without a mesh section). Each fault
    starts at a time drawn uniformly in ``at`` per replication and never
    recovers; it replaces the model's faults.
    """
    architectures = ARCHITECTURES if architectures is None else architectures
    faults = FAULTS if faults is None else faults
    rows = []
    for fault_name, fault in faults.items():
        timed = dict(fault, at={"uniform": list(at)})
        for arch, overrides in architectures.items():
            sc = scenario.with_overrides(dict(overrides, faults=json.dumps([timed])))
            reps = sc.run(seed=seed, replications=replications, threads=threads).replications
            failed = reps["failed_pct"]
            mean = lambda figure: reps[figure]["mean"] if figure in reps else float("nan")  # noqa: E731
            rows.append(
                {
                    "fault": fault_name,
                    "architecture": arch,
                    "failed_pct": failed["mean"],
                    "lo": failed["lo"],
                    "hi": failed["hi"],
                    "ejections": mean("ejections"),
                    "retries": mean("retries"),
                }
            )
    return pd.DataFrame(rows)


def fewer(table: pd.DataFrame, fault: str, better: str, worse: str) -> bool:
    """Whether ``better`` fails fewer requests than ``worse`` under ``fault``, their 95 % intervals apart."""
    row = table.set_index(["fault", "architecture"])
    return bool(row.loc[(fault, better), "hi"] < row.loc[(fault, worse), "lo"])


__all__ = ["ARCHITECTURES", "ARCHITECTURE_NAMES", "FAULTS", "compare", "fewer"]
