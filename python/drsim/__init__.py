"""drsim: discrete-event simulation of region-level DNS failover, from Python.

>>> import drsim
>>> sc = drsim.Scenario.load("models/asm-gtm-drill.json").with_overrides({"gtm.ttl": "30s"})
>>> r = sc.run(seed=7, replications=100)
>>> r.replications["failed_pct"]["mean"], r.series.head()
>>> drsim.plot.timeline(r)

Submodules: :mod:`drsim.models` (the shipped model files:
``drsim.models.path("asm-gtm-drill")``), :mod:`drsim.plot` (matplotlib figures of a Result),
:mod:`drsim.report` (a self-contained HTML report) and :mod:`drsim.k8s` (scenario overrides
from Kubernetes, ASM and Envoy manifests); plot, report and k8s load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import models
from ._native import native as _native
from .errors import ManifestError, ManifestWarning, ModelError
from .result import CAUSES, FAILURE_CAUSES, FORTIO_CODES, MESH_CAUSES, Result
from .scenario import Scenario, override_text
from .calibrate import Calibration, calibrate
from .sweep import sensitivity, solve, sweep

if TYPE_CHECKING:  # pragma: no cover
    from . import k8s, plot, report

__version__: str = _native.__version__

#: Names of the built-in client profiles (``clients.<name>.profile``).
CLIENT_PRESETS: tuple[str, ...] = tuple(_native.CLIENT_PRESETS)

_LAZY = ("plot", "k8s", "report")


def __getattr__(name: str) -> Any:
    # matplotlib and yaml load only when drsim.plot / drsim.k8s are used.
    if name in _LAZY:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'drsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))


__all__ = [
    "Scenario",
    "Result",
    "ModelError",
    "ManifestError",
    "ManifestWarning",
    "CAUSES",
    "FAILURE_CAUSES",
    "FORTIO_CODES",
    "MESH_CAUSES",
    "CLIENT_PRESETS",
    "override_text",
    "sweep",
    "solve",
    "sensitivity",
    "calibrate",
    "Calibration",
    "plot",
    "report",
    "k8s",
]
