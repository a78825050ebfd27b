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
:data:`FAULTS` the failures to compare on, both read from the plan file
``models/compare/mesh-architectures.json`` that ``drsim compare`` reads too, each hitting region 2 (or the
control plane's region 1) at a time drawn per replication. :func:`compare`
runs every pair with common random numbers (the same seeds everywhere)::

    >>> import drsim
    >>> from drsim.compare import compare
    >>> table = compare(drsim.Scenario.load("models/asm-mesh-locality-failover.json"), replications=10)
    >>> table.pivot(index="fault", columns="architecture", values="failed_pct")
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Optional, Union

import pandas as pd

from .scenario import Scenario

#: The plan ``drsim compare`` reads by default: the architectures and faults below come from it.
PLAN = Path(__file__).resolve().parents[2] / "models" / "compare" / "mesh-architectures.json"


def load_plan(path: Union[str, Path] = PLAN) -> dict[str, Any]:
    """A plan file as ``drsim compare --plan`` reads it: ``at``, ``architectures`` and ``faults``."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


_plan = load_plan() if PLAN.exists() else {"architectures": [], "faults": [], "at": {"uniform": ["100s", "200s"]}}
#: Overrides of models/asm-mesh-locality-failover.json that make each architecture.
ARCHITECTURES: dict[str, dict[str, Any]] = {a["name"]: a.get("set", {}) for a in _plan["architectures"]}
#: What each architecture letter stands for, for tables and plots.
ARCHITECTURE_NAMES: dict[str, str] = {a["name"]: a.get("title", a["name"]) for a in _plan["architectures"]}
#: The faults to compare on (the ``at`` time is added by :func:`compare`).
FAULTS: dict[str, dict[str, Any]] = {f["name"]: f["fault"] for f in _plan["faults"]}
#: When each fault starts, drawn per replication.
AT: dict[str, Any] = _plan.get("at", {"uniform": ["100s", "200s"]})


def compare(
    scenario: Scenario,
    architectures: Optional[Mapping[str, Mapping[str, Any]]] = None,
    faults: Optional[Mapping[str, Mapping[str, Any]]] = None,
    at: Optional[Any] = None,
    replications: int = 10,
    seed: int = 1,
    threads: Optional[int] = None,
) -> pd.DataFrame:
    """Runs every fault under every architecture; one row per pair.

    Columns: ``fault``, ``architecture``, ``failed_pct`` (mean over the
    replications) with its 95 % interval ``lo`` and ``hi``, and the means of
    ``ejections`` and ``retries`` (NaN without a mesh section). Each fault
    starts at ``at`` (a fault's ``at``: the plan's, a time drawn per replication
    in 100-200 s, by default) and never recovers; it replaces the model's
    faults. The same numbers as ``drsim compare MODEL``.
    """
    architectures = ARCHITECTURES if architectures is None else architectures
    faults = FAULTS if faults is None else faults
    rows = []
    for fault_name, fault in faults.items():
        timed = dict(fault, at=AT if at is None else at)
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


__all__ = ["ARCHITECTURES", "ARCHITECTURE_NAMES", "AT", "FAULTS", "PLAN", "compare", "fewer", "load_plan"]
