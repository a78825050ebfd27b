"""Calibration from a real drill: which settings could have produced it (``drsim calibrate``).

>>> import drsim
>>> sc = drsim.Scenario.load("models/asm-gtm-drill.json")
>>> cal = drsim.calibrate(sc, {200: 25800, -1: 4200},
...                       grid={"gtm.ttl": ["30s", "60s", "120s"]}, replications=50)
>>> cal.posterior            # one row per grid point: the settings, probability, in the credible set
>>> cal.map, cal.credible_set

The C++ behind ``drsim calibrate`` does the work (the same numbers for the
same seed): likelihood on the grid from replications, with a kernel density
of each failing code's share over a point's replications read at the observed
shares, and a uniform prior over the grid (docs/calibration.md says why).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

import pandas as pd

from ._native import native
from .scenario import Scenario, override_text
from .sweep import _options, _progress_bar, sweep_spec

Observed = Union[str, "os.PathLike[str]", Mapping[Any, Any]]


class Calibration:
    """What ``drsim calibrate --json`` prints, with the posterior as a DataFrame."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @property
    def posterior(self) -> pd.DataFrame:
        """One row per point in grid order: the parameters, ``probability``, ``in_credible_set``."""
        rows = []
        in_set = [json.dumps(p, sort_keys=True) for p in self.document["credible_set"]]
        for entry in self.document["posterior"]:
            row = dict(entry["point"])
            row["probability"] = entry["probability"]
            row["in_credible_set"] = json.dumps(entry["point"], sort_keys=True) in in_set
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame.index.name = "point"
        frame.attrs.update(model=self.document["model"], seed=self.document["seed"],
                           replications=self.document["replications"], observed=self.document["observed"])
        return frame

    @property
    def credible_set(self) -> list[dict[str, str]]:
        return list(self.document["credible_set"])

    @property
    def map(self) -> dict[str, str]:
        """The most probable point."""
        return dict(self.document["map"])

    @property
    def prediction(self) -> Optional[dict[str, Any]]:
        """The what-if under the calibrated settings (``predict=``), or None."""
        return self.document.get("prediction")

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self.document, indent=indent)

    def __repr__(self) -> str:
        return f"<Calibration {self.document['model']}: map {self.map}, {len(self.credible_set)} point(s) in the set>"


def _codes(observed: Observed) -> tuple[dict[int, int], str]:
    if isinstance(observed, Mapping):
        if "RetCodes" in observed:  # a fortio result already parsed
            return {int(k): int(v) for k, v in observed["RetCodes"].items()}, "fortio-json"
        return {int(k): int(v) for k, v in observed.items()}, "counts"
    path = os.fspath(observed)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    codes, _ = native.parse_observation(text, path)
    return dict(codes), path


def calibrate(scenario: Scenario, observed: Observed, grid: Optional[Mapping[str, Sequence[Any]]] = None,
              ranges: Optional[Mapping[str, tuple[Any, Any]]] = None, samples: Optional[int] = None,
              replications: Optional[int] = None, seed: int = 1, level: float = 0.95,
              threads: Optional[int] = None, progress: Optional[bool] = None,
              predict: Optional[Mapping[str, Any]] = None, figure: str = "failed_pct") -> Calibration:
    """Weighs each point of ``grid`` (and sampled ``ranges``) by how likely it makes the observed drill.

    ``observed``: a path to fortio's JSON or text output or to counts by code,
    a ``{code: count}`` mapping, or a parsed fortio JSON result. Replications
    default to ``drsim calibrate``'s (50 per point). ``predict``: a what-if
    (``{path: value}``) run at every credible point and mixed by posterior
    weight, as ``--predict``; its ``figure`` lands in ``Calibration.prediction``.
    """
    codes, source = _codes(observed)
    reps = native.CALIBRATE_REPLICATIONS if replications is None else int(replications)
    spec = sweep_spec(grid, ranges, samples, "lhs", seed)
    what_if = [native.Setting(str(k), override_text(v)) for k, v in (predict or {}).items()]
    if progress is False:  # no bar asked for: tqdm is not even imported
        text = native.calibrate(scenario._native, spec, codes, source, _options(seed, reps, threads), float(level),
                                what_if, figure)
    else:
        with _progress_bar(progress, "calibrate") as bar:
            options = _options(seed, reps, threads, progress=bar)
            text = native.calibrate(scenario._native, spec, codes, source, options, float(level), what_if, figure)
    return Calibration(json.loads(text))
