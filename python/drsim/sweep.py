"""Sweeps, target solving and sensitivity: the C++ analyses behind ``drsim sweep``, ``drsim solve`` and
``drsim sensitivity``, with pandas views and a Dask client to spread sweeps over a cluster.

Nothing here computes points, intervals, bisections or elasticities: the
bound C++ does, so Python and the CLI give the same answers for the same
model, seed and settings. Replication ``k`` of every point runs with the same
seed (common random numbers), so a table does not depend on how many threads
or which Dask workers ran its points.

Default replication counts are the CLI's: :data:`SWEEP_REPLICATIONS`,
:data:`SOLVE_REPLICATIONS` and :data:`SENSITIVITY_REPLICATIONS`, read from the
C++ (``include/drsim/analysis/defaults.hpp``).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from ._native import native
from .scenario import Scenario, override_text

#: Replications per point of :func:`sweep` when none are given (``drsim sweep``'s default).
SWEEP_REPLICATIONS: int = native.SWEEP_REPLICATIONS
#: Replications per probe of :func:`solve` when none are given (``drsim solve``'s default).
SOLVE_REPLICATIONS: int = native.SOLVE_REPLICATIONS
#: Replications per point of :func:`sensitivity` when none are given (``drsim sensitivity``'s default).
SENSITIVITY_REPLICATIONS: int = native.SENSITIVITY_REPLICATIONS

_METHODS = {"lhs": native.SampleMethod.latin_hypercube, "latin_hypercube": native.SampleMethod.latin_hypercube,
            "random": native.SampleMethod.random}

Progress = Optional[bool]


# -- values ---------------------------------------------------------------------------


def _value(v: Any) -> Any:
    """A parameter value for Python: int for integers, float for numbers, the text for durations and the rest."""
    if v.kind == native.ParamKind.integer:
        return int(v.text)
    if v.kind == native.ParamKind.number:
        return float(v.numeric)
    return v.text


def _column(values: Sequence[Any]) -> Any:
    """One parameter's values down a table, typed as ``pandas.read_csv`` types the CLI's CSV column."""
    kinds = {v.kind for v in values if v is not None}
    missing = any(v is None for v in values)
    if kinds == {native.ParamKind.integer} and not missing:
        return np.array([int(v.text) for v in values], dtype=np.int64)
    if kinds <= {native.ParamKind.integer, native.ParamKind.number}:
        return np.array([math.nan if v is None else v.numeric for v in values], dtype=float)
    return [math.nan if v is None else v.text for v in values]


def _replications(given: Optional[int], default: int) -> int:
    replications = default if given is None else int(given)
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    return replications


def _threads(threads: Optional[int]) -> int:
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be >= 1 or None, got {threads}")
    return int(threads or 0)


def _options(seed: int, replications: int, threads: Optional[int], figures: Optional[Sequence[str]] = None,
             progress: Optional[Callable[[Any], None]] = None) -> Any:
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return native.SweepOptions(seed=int(seed), replications=replications, threads=_threads(threads),
                               figures=list(figures or []), keep_replications=False, progress=progress)


@contextmanager
def _progress_bar(show: Progress, desc: str, total: Optional[int] = None) -> Iterator[Optional[Callable[[Any], None]]]:
    """A tqdm bar of finished runs, fed by the C++ progress callback (which takes the GIL for each call).

    Yields None (no callback, no GIL traffic) when the bar is not shown:
    ``show`` None means "when stderr is a terminal and tqdm is installed".
    """
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if show:
            raise
        show = False
    if not (sys.stderr.isatty() if show is None else show):
        yield None
        return

    with tqdm(total=total, desc=desc, unit="run") as bar:
        done = [0]

        def update(p: Any) -> None:
            # Runs restart at 1 for each batch (each probe of a solve).
            step = p.runs_done - done[0] if p.runs_done > done[0] else p.runs_done
            done[0] = p.runs_done
            bar.update(step)

        yield update


# -- sweeps ---------------------------------------------------------------------------


def sweep_spec(grid: Optional[Mapping[str, Sequence[Any]]] = None,
               ranges: Optional[Mapping[str, tuple[Any, Any]]] = None, samples: Optional[int] = None,
               method: str = "lhs", seed: int = 1) -> Any:
    """The C++ ``SweepSpec`` of a grid and sampled ranges, as ``drsim sweep --grid/--range/--samples/--method``.

    Values follow :func:`drsim.override_text` (strings as on the command line,
    other values as JSON). Samples are drawn with ``seed``, as the CLI draws
    them with ``--seed``.
    """
    if method not in _METHODS:
        raise ValueError(f"method must be 'lhs' or 'random', got {method!r}")
    axes = [native.GridAxis(str(path), [override_text(v) for v in values]) for path, values in (grid or {}).items()]
    spans = [native.ParamRange(str(path), override_text(lo), override_text(hi))
             for path, (lo, hi) in (ranges or {}).items()]
    if samples is not None and samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    return native.SweepSpec(grid=axes, ranges=spans, samples=int(samples or 0), method=_METHODS[method],
                            sample_seed=int(seed))


def sweep_points(grid: Optional[Mapping[str, Sequence[Any]]] = None,
                 ranges: Optional[Mapping[str, tuple[Any, Any]]] = None, samples: Optional[int] = None,
                 method: str = "lhs", seed: int = 1) -> list[dict[str, str]]:
    """The points :func:`sweep` runs, as ``{path: value text}`` in run order (the grid's first path slowest).

    Latin hypercube (``method="lhs"``) or independent uniform samples over
    ``ranges``, each combined with every grid point; integers stay whole,
    durations whole milliseconds (``"1m7.5s"``).
    """
    points = native.sweep_points(sweep_spec(grid, ranges, samples, method, seed))
    return [{s.path: s.value for s in p.settings} for p in points]


def run_points(scenario: Scenario, points: Sequence[Any], seed: int, replications: int,
               figures: Optional[Sequence[str]] = None, threads: Optional[int] = None) -> Any:
    """Runs C++ ``SweepPoint``\\ s of ``scenario`` and returns the C++ ``SweepResult`` (what a Dask task runs).

    Replication ``k`` of every point uses the seed of replication ``k`` of
    ``seed``, so any subset of points gives the same rows as the whole sweep.
    """
    return native.run_points(scenario._native, list(points), _options(seed, replications, threads, figures))


def _merge(parts: Sequence[Any], parameters: list[str], figures: Optional[Sequence[str]]) -> Any:
    """One SweepResult from the results of consecutive subsets of the points, as if run at once.

    Without chosen figures a result's columns are the figures some replication
    reported, known ones in ``figure_names()`` order and others by name, so the
    union of the parts' columns is put back in that order.
    """
    merged = native.SweepResult()
    first = parts[0]
    merged.model, merged.seed, merged.replications, merged.level = first.model, first.seed, first.replications, first.level
    merged.parameters = parameters
    if figures:
        merged.figures = list(figures)
    else:
        seen = set().union(*(set(p.figures) for p in parts))
        known = [f for f in native.figure_names() if f in seen]
        merged.figures = known + sorted(seen - set(known))
    merged.points = [point for part in parts for point in part.points]
    merged.warnings = list(dict.fromkeys(w for part in parts for w in part.warnings))  # in order, once each
    return merged


def sweep_frame(result: Any) -> pd.DataFrame:
    """A C++ ``SweepResult`` as the table of :func:`sweep` (``sweep_csv``'s rows, less its replications column)."""
    points = result.points
    values = [dict(zip((s.path for s in point.settings), point.values)) for point in points]
    columns: dict[str, Any] = {path: _column([v.get(path) for v in values]) for path in result.parameters}
    figures = [point.figures for point in points]
    for name in result.figures:
        cells = [f.get(name) for f in figures]
        for part in ("mean", "lo", "hi"):
            columns[f"{name}_{part}"] = np.array([math.nan if c is None else getattr(c, part) for c in cells],
                                                 dtype=float)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(points), name="point"))
    frame.attrs.update(model=result.model, seed=result.seed, replications=result.replications, level=result.level,
                       parameters=list(result.parameters), figures=list(result.figures),
                       warnings=list(result.warnings))
    return frame


def sweep(scenario: Scenario, grid: Optional[Mapping[str, Sequence[Any]]] = None, samples: Optional[int] = None,
          ranges: Optional[Mapping[str, tuple[Any, Any]]] = None, replications: Optional[int] = None, seed: int = 1,
          figures: Optional[Sequence[str]] = None, client: Any = None, threads: Optional[int] = None,
          chunk_size: Optional[int] = None, progress: Progress = None, method: str = "lhs") -> pd.DataFrame:
    """Runs every point of a grid and/or sampled ranges and returns one row per point (``drsim sweep``).

    ``grid``: ``{path: [values]}``, combined as a cartesian product (first path
    slowest); ``ranges``: ``{path: (lo, hi)}`` sampled ``samples`` times
    (``method`` "lhs" or "random", drawn with ``seed``), each sample combined
    with every grid point. ``replications`` per point, default
    :data:`SWEEP_REPLICATIONS` (the CLI's).

    Index ``point``; columns: one per parameter (its override path; integers,
    numbers or text such as durations), then ``<fig>_mean``, ``<fig>_lo``,
    ``<fig>_hi`` (95 % interval) for each figure (``figures``; None: every
    figure some replication reports); NaN where a point's replications never
    report a figure. ``frame.attrs`` holds model, seed, replications, level,
    parameters and figures. The numbers are those of
    ``drsim sweep --out table.csv`` with the same options.

    ``client``: a ``dask.distributed.Client``; subsets of ``chunk_size``
    consecutive points (default: about four subsets per worker) go to its
    workers as tasks, each run by the bound C++ on ``threads`` threads
    (default 1). Without a client the points run here in
    one C++ call on ``threads`` threads (None: every core). The frame is the
    same either way. ``progress``: a tqdm bar (None: when stderr is a terminal).
    """
    spec = sweep_spec(grid, ranges, samples, method, seed)
    points = native.sweep_points(spec)
    parameters = native.sweep_parameters(spec)
    reps = _replications(replications, SWEEP_REPLICATIONS)
    figs = list(figures) if figures is not None else None
    if client is None:
        with _progress_bar(progress, "drsim sweep", len(points) * reps) as update:
            result = native.run_points(scenario._native, points, _options(seed, reps, threads, figs, update))
        result.parameters = parameters
    else:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        size = chunk_size or max(1, math.ceil(len(points) / (4 * workers)))
        chunks = [points[k:k + size] for k in range(0, len(points), size)]
        _options(seed, reps, threads or 1, figs)  # bad options fail here, not on a worker
        shared = client.scatter(scenario, broadcast=True)
        futures = [client.submit(run_points, shared, chunk, seed, reps, figs, threads or 1, pure=False)
                   for chunk in chunks]
        if progress:
            from distributed import as_completed
            from tqdm.auto import tqdm

            sizes = {future.key: len(chunk) for future, chunk in zip(futures, chunks)}
            with tqdm(total=len(points), desc="drsim sweep", unit="point") as bar:
                for future in as_completed(futures):
                    bar.update(sizes[future.key])
        result = _merge(client.gather(futures), parameters, figs)
    return sweep_frame(result)


# -- solve ------------------------------------------------------------------------------


class Solution(dict):
    """What :func:`solve` found: a dict, plus the CLI's report and JSON of the same result.

    Keys: ``path``, ``target``, ``goal`` ("smallest" or "largest"), ``status``
    ("found", "whole_range" or "none"), ``answer`` (None when no value is shown
    to meet the target), ``bracket`` (the last value that met it, the nearest
    that did not), ``probes`` (in the order they ran: ``value``, ``numeric``,
    ``mean``, ``lo``, ``hi``, ``n``, ``verdict``), ``explanation``,
    ``replications`` and ``seed``. Values are ints for integer parameters,
    floats for numbers and text for durations (``"1m30s"``), as in ``drsim solve``.
    """

    def __init__(self, result: Any) -> None:
        def value(v: Any) -> Any:
            return None if v is None else _value(v)

        super().__init__(
            path=result.path, target=result.target.to_string(), goal=result.goal.name, status=result.status.name,
            answer=value(result.answer), bracket=(value(result.bracket_meets), value(result.bracket_fails)),
            probes=[{"value": _value(p.value), "numeric": p.value.numeric, "mean": p.figure.mean if p.figure.n else math.nan,
                     "lo": p.figure.lo if p.figure.n else math.nan, "hi": p.figure.hi if p.figure.n else math.nan,
                     "n": p.figure.n, "verdict": p.verdict.name} for p in result.probes],
            explanation=result.explanation, replications=result.replications, seed=result.seed)
        self._report = native.solve_report(result)
        self._json = native.solve_json(result, 2)

    def report(self) -> str:
        """The text ``drsim solve`` prints: one line per probe, the answer and the explanation."""
        return self._report

    def to_json(self) -> str:
        """The ``drsim.solve/1`` document ``drsim solve --json`` prints (without its final newline)."""
        return self._json

    @property
    def probes_frame(self) -> pd.DataFrame:
        """The probes as a DataFrame, one row per probe in the order they ran."""
        return pd.DataFrame(self["probes"], columns=["value", "numeric", "mean", "lo", "hi", "n", "verdict"])


def _no_client(client: Any, what: str) -> None:
    if client is not None:
        raise NotImplementedError(f"drsim.{what} runs on C++ threads in this process; a Dask client spreads "
                                  "drsim.sweep only (its points are independent, a bisection's probes are not)")


def solve(scenario: Scenario, param: str, lo: Any, hi: Any, target: str = "failed_pct<=1",
          replications: Optional[int] = None, seed: int = 1, goal: Optional[str] = None, resolution: Any = None,
          max_probes: int = 64, threads: Optional[int] = None, progress: Progress = None,
          client: Any = None) -> Solution:
    """The smallest or largest value of ``param`` in ``lo..hi`` meeting ``target`` at 95 % confidence (``drsim solve``).

    ``target``: ``"FIGURE<=X"`` or ``"FIGURE>=X"``, met when the figure's whole
    95 % interval lies on the right side; an undecided value does not meet it.
    ``lo``/``hi`` read as integers, numbers or durations (``"10s"``, ``"10m"``);
    ``goal`` "smallest" or "largest" (None: read from which end meets);
    ``resolution``: stop when the bracket is this narrow (default 1 for
    integers, a hundredth of the range otherwise; a number of seconds or a
    duration text for durations). ``replications`` per probe, default
    :data:`SOLVE_REPLICATIONS` (the CLI's). Runs in this process
    (``client`` is not supported).
    """
    _no_client(client, "solve")
    if goal not in (None, "smallest", "largest"):
        raise ValueError(f"goal must be 'smallest' or 'largest', got {goal!r}")
    span = native.parse_range_arg(f"{param}={override_text(lo)}..{override_text(hi)}")
    if resolution is None:
        res = ""
    elif isinstance(resolution, str):
        res = resolution
    else:
        res = override_text(resolution) + ("s" if native.range_kind(span) == native.ParamKind.duration else "")
    spec = native.SolveSpec(range=span, target=native.Target.parse(target),
                            goal=None if goal is None else getattr(native.SolveGoal, goal), resolution=res,
                            max_probes=int(max_probes))
    reps = _replications(replications, SOLVE_REPLICATIONS)
    with _progress_bar(progress, "drsim solve") as update:
        result = native.solve(scenario._native, spec, _options(seed, reps, threads, None, update))
    return Solution(result)


# -- sensitivity -----------------------------------------------------------------------------

Params = Union[str, Sequence[str], Mapping[str, Any]]


def _sensitivity_params(params: Params) -> list[Any]:
    if isinstance(params, str):
        params = [params]
    if isinstance(params, Mapping):
        out = []
        for path, base in params.items():
            if isinstance(base, (tuple, list)):
                raise TypeError(f"{path}: give a base value (or None for the model's), not {base!r}; the low and "
                                "high values are the base moved by step each way")
            out.append(native.SensitivityParam(str(path), "" if base is None else override_text(base)))
        return out
    return [native.parse_sensitivity_param(str(p)) for p in params]


def sensitivity(scenario: Scenario, params: Params, figure: str = "failed_pct", replications: Optional[int] = None,
                seed: int = 1, step: float = 0.1, threads: Optional[int] = None, progress: Progress = None,
                client: Any = None) -> pd.DataFrame:
    """One-at-a-time sensitivity around the base, ranked by |elasticity| (``drsim sensitivity``).

    ``params``: override paths (``["gtm.ttl", "gtm.publish_delay=2s"]``, as
    ``--params``) or ``{path: base}`` with None for the model file's value.
    Each is moved to base x (1 - ``step``) and base x (1 + ``step``) (integers
    by at least 1; a side the model rejects stays at the base), the others
    held at their base. Every point shares the seed, so
    ``figure(high) - figure(low)`` is a paired difference; the elasticity
    ``((y_high - y_low) / y_base) / ((x_high - x_low) / x_base)`` gets a 95 %
    interval from the delta method. ``replications`` per point, default
    :data:`SENSITIVITY_REPLICATIONS` (the CLI's). Runs in this process
    (``client`` is not supported).

    Columns: path, base, low, high, at_low, at_high, swing, swing_lo,
    swing_hi, slope (per unit; per second for durations), elasticity,
    elasticity_lo, elasticity_hi, rank. ``frame.attrs``: figure, base_mean,
    base_lo, base_hi, step, replications, seed, and ``report`` (the text the
    CLI prints) and ``json`` (its ``--json`` document).
    """
    _no_client(client, "sensitivity")
    spec = native.SensitivitySpec(params=_sensitivity_params(params), figure=figure, step=float(step))
    reps = _replications(replications, SENSITIVITY_REPLICATIONS)
    with _progress_bar(progress, "drsim sensitivity") as update:
        result = native.sensitivity(scenario._native, spec, _options(seed, reps, threads, None, update))
    rows = [{"path": e.path, "base": _value(e.base), "low": _value(e.low), "high": _value(e.high),
             "at_low": e.at_low.mean, "at_high": e.at_high.mean, "swing": e.swing.mean, "swing_lo": e.swing.lo,
             "swing_hi": e.swing.hi, "slope": e.slope, "elasticity": e.elasticity.mean,
             "elasticity_lo": e.elasticity.lo, "elasticity_hi": e.elasticity.hi, "rank": e.rank}
            for e in result.entries]
    frame = pd.DataFrame(rows)
    frame.attrs.update(figure=result.figure, base_mean=result.base.mean, base_lo=result.base.lo,
                       base_hi=result.base.hi, step=result.step, replications=result.replications, seed=result.seed,
                       report=native.sensitivity_report(result), json=native.sensitivity_json(result, 2))
    return frame


__all__ = ["sweep", "solve", "sensitivity", "Solution", "sweep_spec", "sweep_points", "sweep_frame", "run_points",
           "SWEEP_REPLICATIONS", "SOLVE_REPLICATIONS", "SENSITIVITY_REPLICATIONS"]
