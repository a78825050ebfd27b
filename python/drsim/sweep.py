"""Sweeps, target solving and sensitivity from Python, locally in threads or on a Dask cluster.

Every point runs with the same base seed, so replication ``k`` of every point
uses the same random streams (common random numbers), as ``drsim sweep`` does.
Results do not depend on where points ran: rows are ordered by point index.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional

import numpy as np
import pandas as pd

from .scenario import Scenario

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ns|us|ms|s|m|h)\s*$")
_UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
#: Override paths whose last key holds a whole number.
_INTEGER_KEYS = {"failures", "recovery", "replicas", "min_replicas", "max_replicas", "quota", "workers",
                 "unhealthy_threshold", "healthy_threshold", "max_pending", "connections", "attempts", "retries"}


def _duration_seconds(value: Any) -> Optional[float]:
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1)) * _UNIT[m.group(2)]
    return None


def _format_duration(seconds: float) -> str:
    text = f"{round(seconds, 3):.3f}".rstrip("0").rstrip(".")
    return f"{text}s"


def _kind(path: str, lo: Any, hi: Any, integer: Optional[bool] = None) -> str:
    if _duration_seconds(lo) is not None and _duration_seconds(hi) is not None:
        return "duration"
    if isinstance(lo, str) or isinstance(hi, str):
        raise ValueError(f"{path}: range {lo!r}..{hi!r} is neither numbers nor durations like '10s'")
    if integer is None:
        integer = path.rsplit(".", 1)[-1] in _INTEGER_KEYS or (isinstance(lo, int) and isinstance(hi, int)
                                                              and not isinstance(lo, bool))
    return "integer" if integer else "number"


def _numeric(kind: str, v: Any) -> float:
    return _duration_seconds(v) if kind == "duration" else float(v)  # type: ignore[return-value]


def _value(kind: str, x: float) -> Any:
    if kind == "duration":
        return _format_duration(x)
    if kind == "integer":
        return int(round(x))
    return float(x)


# -- points -------------------------------------------------------------------

def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The cartesian product of ``{path: [values]}``, last path varying fastest."""
    paths = list(grid)
    return [dict(zip(paths, combo)) for combo in itertools.product(*(list(grid[p]) for p in paths))]


def latin_hypercube(ranges: Mapping[str, tuple[Any, Any]], samples: int, seed: int = 1) -> list[dict[str, Any]]:
    """``samples`` Latin-hypercube points over ``{path: (lo, hi)}`` from ``numpy.random.default_rng(seed)``.

    Numbers stay floats, integer-valued paths are rounded, durations are written
    back as seconds (``"37.5s"``).
    """
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    rng = np.random.default_rng(seed)
    columns = {}
    for path, (lo, hi) in ranges.items():
        kind = _kind(path, lo, hi)
        a, b = _numeric(kind, lo), _numeric(kind, hi)
        u = (rng.permutation(samples) + rng.random(samples)) / samples
        columns[path] = [_value(kind, a + (b - a) * ui) for ui in u]
    return [{p: columns[p][i] for p in columns} for i in range(samples)]


def run_point(model: Mapping[str, Any], name: str, overrides: Mapping[str, Any], seed: int, replications: int,
              figures: Optional[Sequence[str]] = None, threads: Optional[int] = None) -> dict[str, Any]:
    """One point's row: the overrides, then ``<fig>_mean``, ``<fig>_lo``, ``<fig>_hi`` per figure."""
    scenario = Scenario.from_dict(model, name).with_overrides(dict(overrides))
    reps = scenario.run(seed=seed, replications=replications, threads=threads).replications
    row: dict[str, Any] = dict(overrides)
    for fig in (figures or sorted(reps)):
        ci = reps.get(fig)
        if ci is None:
            raise KeyError(f"no figure {fig!r}; figures are {sorted(reps)}")
        row[f"{fig}_mean"], row[f"{fig}_lo"], row[f"{fig}_hi"] = ci["mean"], ci["lo"], ci["hi"]
    return row


def run_chunk(model: Mapping[str, Any], name: str, chunk: Sequence[tuple[int, Mapping[str, Any]]], seed: int,
              replications: int, figures: Optional[Sequence[str]] = None) -> list[tuple[int, dict[str, Any]]]:
    """Pure: runs a chunk of (index, overrides) points (what a Dask task does)."""
    return [(i, run_point(model, name, ov, seed, replications, figures, threads=1)) for i, ov in chunk]


def sweep(scenario: Scenario, grid: Optional[Mapping[str, Sequence[Any]]] = None, samples: Optional[int] = None,
          ranges: Optional[Mapping[str, tuple[Any, Any]]] = None, replications: int = 10, seed: int = 1,
          figures: Optional[Sequence[str]] = None, client: Any = None, threads: Optional[int] = None,
          chunk_size: Optional[int] = None, progress: Optional[bool] = None) -> pd.DataFrame:
    """Runs every point of a grid (or a Latin hypercube) and returns one row per point.

    Columns: one per parameter (its override path), then ``<fig>_mean``,
    ``<fig>_lo``, ``<fig>_hi`` (95 % interval) for each figure (all figures when
    ``figures`` is None). ``client``: a ``dask.distributed.Client`` to run
    chunks of points on; None runs them here in ``threads`` threads (None: every
    core). The frame is the same either way.
    """
    if (grid is None) == (ranges is None):
        raise ValueError("give either grid={path: [values]} or samples=N with ranges={path: (lo, hi)}")
    if ranges is not None:
        if samples is None:
            raise ValueError("ranges need samples=N")
        points = latin_hypercube(ranges, samples, seed)
    else:
        points = grid_points(grid)  # type: ignore[arg-type]
    if not points:
        raise ValueError("the sweep has no points")
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    model, name = scenario.to_dict(), scenario.file
    figs = list(figures) if figures is not None else None
    indexed = list(enumerate(points))
    rows: dict[int, dict[str, Any]] = {}

    if client is not None:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or 1)
        size = chunk_size or max(1, math.ceil(len(indexed) / (4 * n_workers)))
        chunks = [indexed[k:k + size] for k in range(0, len(indexed), size)]
        model_future = client.scatter(model, broadcast=True)
        futures = [client.submit(run_chunk, model_future, name, c, seed, replications, figs, pure=False)
                   for c in chunks]
        for part in client.gather(futures):
            rows.update(dict(part))
    else:
        from tqdm.auto import tqdm

        show = sys.stderr.isatty() if progress is None else progress
        with ThreadPoolExecutor(max_workers=threads) as pool, \
                tqdm(total=len(indexed), disable=not show, desc="drsim sweep") as bar:
            futures = {pool.submit(run_point, model, name, ov, seed, replications, figs, 1): i for i, ov in indexed}
            for fut, i in futures.items():
                rows[i] = fut.result()
                bar.update(1)
    frame = pd.DataFrame([rows[i] for i in range(len(indexed))])
    frame.index.name = "point"
    return frame


# -- solve -------------------------------------------------------------------------

_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=)\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$")


def parse_target(text: str) -> tuple[str, str, float]:
    """``"failed_pct<=1"`` -> ("failed_pct", "<=", 1.0)."""
    m = _TARGET.match(text)
    if not m:
        raise ValueError(f"target {text!r} is not FIGURE<=X or FIGURE>=X")
    return m.group(1), m.group(2), float(m.group(3))


def _judge(op: str, bound: float, ci: Mapping[str, float]) -> str:
    if not ci or ci.get("n", 0) == 0:
        return "undecided"
    if op == "<=":
        if ci["hi"] <= bound:
            return "meets"
        if ci["lo"] > bound:
            return "fails"
    else:
        if ci["lo"] >= bound:
            return "meets"
        if ci["hi"] < bound:
            return "fails"
    return "undecided"


def solve(scenario: Scenario, param: str, lo: Any, hi: Any, target: str = "failed_pct<=1", replications: int = 20,
          seed: int = 1, integer: Optional[bool] = None, goal: Optional[str] = None,
          resolution: Optional[float] = None, max_probes: int = 64) -> dict[str, Any]:
    """Bisects a monotone parameter for the best value meeting ``target`` at 95 % confidence (as ``drsim solve``).

    A value meets FIGURE<=X when the whole 95 % interval lies at or below X
    (>=: at or above); an undecided value does not meet it. Both ends are
    probed first; if exactly one meets, the bracket is bisected down to
    ``resolution`` (default 1 for integers, a hundredth of the range otherwise;
    durations snap to whole milliseconds). Returns ``status`` (found,
    whole_range, none), ``goal``, ``answer``, ``bracket`` (meets, fails),
    ``probes`` (value, mean, lo, hi, n, verdict, in order) and ``explanation``.
    """
    figure, op, bound = parse_target(target)
    kind = _kind(param, lo, hi, integer)
    a, b = _numeric(kind, lo), _numeric(kind, hi)
    if not a < b:
        raise ValueError(f"range {lo!r}..{hi!r} must go from low to high")
    if goal not in (None, "smallest", "largest"):
        raise ValueError(f"goal must be 'smallest' or 'largest', got {goal!r}")
    if resolution is None:
        res = 1.0 if kind == "integer" else (b - a) / 100.0
        if kind == "duration":
            res = max(res, 1e-3)
    else:
        res = max(1.0, math.floor(resolution)) if kind == "integer" else float(resolution)
    probes: list[dict[str, Any]] = []
    result: dict[str, Any] = {"path": param, "target": target, "replications": replications, "seed": seed,
                              "answer": None, "bracket": (None, None), "probes": probes}

    def probe(x: float) -> str:
        v = _value(kind, x)
        reps = scenario.with_overrides({param: v}).run(seed=seed, replications=replications).replications
        ci = reps.get(figure, {})
        verdict = _judge(op, bound, ci)
        probes.append({"value": v, "mean": ci.get("mean", math.nan), "lo": ci.get("lo", math.nan),
                       "hi": ci.get("hi", math.nan), "n": ci.get("n", 0), "verdict": verdict})
        return verdict

    lo_meets, hi_meets = probe(a) == "meets", probe(b) == "meets"
    lo_v, hi_v = _value(kind, a), _value(kind, b)
    if not lo_meets and not hi_meets:
        result.update(status="none", goal=goal or "largest",
                      explanation=f"neither end of {param}={lo_v}..{hi_v} meets {target}, so no value in the range does")
        return result
    if lo_meets and hi_meets:
        result.update(status="whole_range", goal=goal or "largest",
                      explanation=f"both ends of {param}={lo_v}..{hi_v} meet {target}: every value in the range does")
        if goal:
            result["answer"] = hi_v if goal == "largest" else lo_v
            result["bracket"] = (result["answer"], None)
        return result
    natural = "largest" if lo_meets else "smallest"
    result["goal"] = goal or natural
    if result["goal"] != natural:
        answer = lo_v if lo_meets else hi_v
        result.update(status="found", answer=answer, bracket=(answer, None),
                      explanation=f"only the {'low' if lo_meets else 'high'} end {answer} meets {target}; "
                                  "the answer may lie beyond the range")
        return result
    good, bad = (a, b) if lo_meets else (b, a)
    n = 2
    while abs(bad - good) > res * (1 + 1e-9) and n < max_probes:
        mid = 0.5 * (good + bad)
        if kind == "integer":
            mid = math.floor(mid)
        elif kind == "duration" and res >= 1e-3:
            mid = round(mid * 1e3) / 1e3
        if _value(kind, mid) in (_value(kind, good), _value(kind, bad)):
            break
        verdict = probe(mid)
        n += 1
        if verdict == "meets":
            good = mid
        else:
            bad = mid
    answer = _value(kind, good)
    result.update(status="found", answer=answer, bracket=(answer, _value(kind, bad)),
                  explanation=f"{result['goal']} {param} meeting {target} at 95 % confidence: {answer} "
                              f"(next probed value {_value(kind, bad)} does not)")
    return result


# -- sensitivity -------------------------------------------------------------------

def _model_value(model: Mapping[str, Any], path: str) -> Any:
    node: Any = model
    for key in path.split("."):
        if isinstance(node, list):
            node = next((e for e in node if isinstance(e, dict) and e.get("name") == key), None)
        elif isinstance(node, dict):
            node = node.get(key)
        else:
            node = None
        if node is None:
            raise KeyError(f"{path}: no value in the model")
    return node


def _t95(df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, df)) if df > 0 else math.nan


def sensitivity(scenario: Scenario, params: Mapping[str, Any], figure: str = "failed_pct", replications: int = 20,
                seed: int = 1, step: float = 0.1) -> pd.DataFrame:
    """One-at-a-time sensitivity around the base, ranked by |elasticity| (as ``drsim sensitivity``).

    ``params``: ``{path: (low, high)}`` for explicit values, or ``{path: step}``
    (or None for ``step``) to move the base value by that fraction each way
    (integers by at least 1). Every point shares the base seed, so
    ``figure(high) - figure(low)`` is a paired difference; the elasticity
    ``((y_high - y_low) / y_base) / ((x_high - x_low) / x_base)`` gets a 95 %
    interval from the delta method over the replications.
    Columns: path, base, low, high, at_low, at_high, swing, swing_lo, swing_hi,
    slope, elasticity, elasticity_lo, elasticity_hi, rank.
    """
    model = scenario.to_dict()

    def per_rep(overrides: Mapping[str, Any]) -> np.ndarray:
        sc = scenario.with_overrides(dict(overrides)) if overrides else scenario
        frame = sc.run(seed=seed, replications=replications).per_replication
        return frame[figure].to_numpy(dtype=float)

    y_base = per_rep({})
    rows = []
    for path, spec in params.items():
        base = _model_value(model, path)
        if isinstance(spec, (tuple, list)):
            low, high = spec
            kind = _kind(path, low, high)
        else:
            rel = step if spec is None else float(spec)
            kind = _kind(path, base, base)
            xb = _numeric(kind, base)
            if kind == "integer":
                d = max(1, round(abs(xb) * rel))
                low, high = _value(kind, xb - d), _value(kind, xb + d)
            else:
                low, high = _value(kind, xb * (1 - rel)), _value(kind, xb * (1 + rel))
        xb, xl, xh = _numeric(kind, base), _numeric(kind, low), _numeric(kind, high)
        y_low, y_high = per_rep({path: low}), per_rep({path: high})
        d = y_high - y_low
        n = len(d)
        t = _t95(n - 1)
        swing = float(np.mean(d))
        swing_half = t * float(np.std(d, ddof=1)) / math.sqrt(n) if n > 1 else math.nan
        my = float(np.mean(y_base))
        dx_rel = (xh - xl) / xb if xb else math.nan
        if my and dx_rel and np.isfinite(dx_rel):
            e_raw = swing / my
            psi = (d - e_raw * y_base) / my
            half = t * float(np.std(psi, ddof=1)) / math.sqrt(n) if n > 1 else math.nan
            e, e_lo, e_hi = e_raw / dx_rel, (e_raw - half) / dx_rel, (e_raw + half) / dx_rel
            e_lo, e_hi = min(e_lo, e_hi), max(e_lo, e_hi)
        else:
            e = e_lo = e_hi = math.nan
        rows.append({"path": path, "base": base, "low": low, "high": high,
                     "at_low": float(np.mean(y_low)), "at_high": float(np.mean(y_high)),
                     "swing": swing, "swing_lo": swing - swing_half, "swing_hi": swing + swing_half,
                     "slope": swing / (xh - xl) if xh != xl else math.nan,
                     "elasticity": e, "elasticity_lo": e_lo, "elasticity_hi": e_hi})
    frame = pd.DataFrame(rows)
    order = frame["elasticity"].abs().fillna(-1).sort_values(ascending=False, kind="stable").index
    frame = frame.loc[order].reset_index(drop=True)
    frame["rank"] = range(1, len(frame) + 1)
    frame.attrs["figure"] = figure
    frame.attrs["base_mean"] = float(np.mean(y_base))
    return frame


__all__ = ["sweep", "solve", "sensitivity", "grid_points", "latin_hypercube", "parse_target", "run_point",
           "run_chunk"]
