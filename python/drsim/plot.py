"""Matplotlib figures of a :class:`drsim.Result` (replication 0).

Each function draws on ``ax`` (a new figure when None) and returns the Axes;
axes carry units, and markers name what happened when.

- :func:`timeline`: per-second ok and failed requests per region, with the
  fault, GTM detection, answer change, scale events and alerts marked.
- :func:`traffic_split`: where each second's requests went (ok per region, failed).
- :func:`replicas`: gateway replicas over time, when the run has any.
- :func:`latency`: the latency histogram with its percentiles.
- :func:`heatmap`: a figure over a grid of two parameters (e.g. a what-if sweep).
- :func:`drain_curve`: share of requests and clients still sent to a removed address after the answer changed.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Optional

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .result import Result

#: Which logged events become timeline markers: (label, colour, line style, test on (component, event)).
#: Colours stay off the region palette's first entries and styles off the
#: failed lines' dashes, so an event line never reads as a region's failures.
_MARKERS: tuple[tuple[str, str, Any, Any], ...] = (
    ("fault", "black", "-", lambda comp, ev: ev.startswith("fault_")),
    ("GTM: address unhealthy", "#8c564b", "-.", lambda comp, ev: ev == "address_unhealthy"),
    ("GTM: answer changed", "#6a3d9a", (0, (1, 1.5)), lambda comp, ev: ev == "answer_changed"),
    ("HPA scale event", "#2ca02c", "none", lambda comp, ev: ev in ("scale_up", "scale_down")),
    ("alert firing", "#e377c2", (0, (4, 1, 1, 1, 1, 1)), lambda comp, ev: ev == "alert_firing"),
    ("mesh: host ejected", "#7f0000", (0, (1, 3)), lambda comp, ev: ev == "ejected"),
    ("istiod: endpoints pushed", "#0e7c86", (0, (5, 1, 1, 1)), lambda comp, ev: ev == "eds_push"),
)

_DEFAULT_SIZE = (10, 4.5)


def _axes(ax: Optional[Axes], size: tuple[float, float] = _DEFAULT_SIZE) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _active_end(result: Result) -> float:
    """The end of the last second in which any request started (the series runs on past the load)."""
    series = result.series
    active = series.loc[series["sent"] > 0, "second"]
    return float(active.max() + 1) if len(active) else 1.0


def _mark_events(ax: Axes, result: Result) -> None:
    """Vertical lines for the fault, detection, answer change and alerts; triangles along the top for scale events."""
    events = result.events
    events = events[events["time_s"] <= _active_end(result)]  # not after the load ended
    labelled: set[str] = set()
    along_top = ax.get_xaxis_transform()  # x in data, y in axes fraction
    for row in events.itertuples(index=False):
        for label, colour, style, test in _MARKERS:
            if not test(str(row.component), str(row.event)):
                continue
            name = None if label in labelled else label
            labelled.add(label)
            if label == "HPA scale event":
                up = row.event == "scale_up"
                ax.plot([row.time_s], [0.97 if up else 0.93], marker="^" if up else "v", color=colour,
                        markersize=5, linestyle="none", transform=along_top, label=name)
            else:
                if row.event == "fault_end":
                    style = (0, (6, 3))
                ax.axvline(row.time_s, color=colour, linestyle=style, linewidth=1.2, alpha=0.85, label=name)
            break


def timeline(result: Result, ax: Optional[Axes] = None, *, events: bool = True) -> Axes:
    """Per-second ok (solid) and failed (dashed) requests per region, by start time.

    Vertical lines mark the fault (solid black), the GTM judging the address
    unhealthy, the published answer changing, scale events, alerts, and with a
    mesh section outlier ejections and istiod's endpoint pushes found in the
    run's event log. Requests that got no address at all count under "none".
    """
    ax = _axes(ax)
    series = result.series
    regions = list(dict.fromkeys(series["region"]))
    palette = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0", "C1", "C2", "C3"])
    for i, region in enumerate(regions):
        part = series[series["region"] == region]
        colour = palette[i % len(palette)]
        # Earlier regions draw wider, so equal counts (50/s each) still show every line.
        width = 1.4 + 1.4 * (len(regions) - 1 - i)
        ax.plot(part["second"], part["ok"], color=colour, linewidth=width, label=f"{region} ok")
        if part["failed"].any():
            ax.plot(part["second"], part["failed"], color=colour, linestyle=(0, (3, 2)), linewidth=1.4,
                    label=f"{region} failed", zorder=3)
    if events:
        _mark_events(ax, result)
    ax.set_xlabel("time since start (s)")
    ax.set_ylabel("requests started per second (1/s)")
    ax.set_title(f"{result.model_name}: requests per second by region (seed {result.seed}, replication 0)")
    top = float(max(series["ok"].max(), series["failed"].max(), 1))
    ax.set_ylim(0, top * 1.12)  # room above the lines for the scale-event triangles
    ax.set_xlim(0, _active_end(result))
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small", frameon=False)
    return ax


def traffic_split(result: Result, ax: Optional[Axes] = None) -> Axes:
    """Each second's requests as shares (%): ok per region stacked, failed on top."""
    ax = _axes(ax)
    series = result.series
    sent = series.groupby("second")["sent"].sum()
    seconds = sent.index.to_numpy()
    total = sent.to_numpy().astype(float)
    safe = np.where(total > 0, total, np.nan)
    layers: list[np.ndarray] = []
    labels: list[str] = []
    for region in result.region_names:
        ok = series[series["region"] == region].set_index("second")["ok"].reindex(sent.index, fill_value=0)
        layers.append(100.0 * ok.to_numpy() / safe)
        labels.append(f"ok via {region}")
    failed = series.groupby("second")["failed"].sum().reindex(sent.index, fill_value=0)
    layers.append(100.0 * failed.to_numpy() / safe)
    labels.append("failed")
    colours = [f"C{i}" for i in range(len(layers) - 1)] + ["#d62728"]
    ax.stackplot(seconds, np.nan_to_num(np.vstack(layers)), labels=labels, colors=colours, alpha=0.85, step="post")
    _mark_events(ax, result)
    ax.set_xlabel("time since start (s)")
    ax.set_ylabel("share of requests started (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(0, _active_end(result))
    ax.set_title(f"{result.model_name}: where each second's requests went")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small", frameon=False)
    return ax


def replica_counts(result: Result) -> pd.DataFrame:
    """Gateway replicas per second and region: ``second``, ``region``, ``replicas_ready``, ``replicas_desired``.

    Only regions whose gateway has a capacity model (``gateway.replicas``) have
    replica figures; the frame is empty when no region has one.
    """
    series = result.series
    columns = [c for c in ("replicas_ready", "replicas_desired") if c in series.columns]
    if not columns:
        return pd.DataFrame(columns=["second", "region", "replicas_ready", "replicas_desired"])
    frame = series[["second", "region", *columns]].dropna(subset=columns, how="all")
    return frame.reset_index(drop=True)


def replicas(result: Result, ax: Optional[Axes] = None) -> Axes:
    """Ready (solid) and desired (dashed, the HPA's latest decision) gateway replicas per region.

    Scale events and alerts are marked. When no region's gateway has a
    capacity model (no ``gateway.replicas`` in the model, as in the seed drill)
    there is nothing to draw: the Axes says so in words and a
    :class:`UserWarning` is issued; nothing fails.
    """
    ax = _axes(ax)
    counts = replica_counts(result)
    ax.set_xlabel("time since start (s)")
    ax.set_ylabel("gateway replicas (pods)")
    ax.set_title(f"{result.model_name}: gateway replicas per region")
    if counts.empty:
        message = (
            "no replica data in this run: no region's gateway has a capacity model "
            "(gateway.replicas, pod, hpa) in this scenario"
        )
        warnings.warn(f"drsim.plot.replicas: {message}", UserWarning, stacklevel=2)
        ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, wrap=True, color="0.35")
        ax.set_xticks([])
        ax.set_yticks([])
        return ax
    for i, (region, part) in enumerate(counts.groupby("region", sort=False)):
        colour = f"C{i}"
        if "replicas_ready" in part and part["replicas_ready"].notna().any():
            ax.step(part["second"], part["replicas_ready"], where="post", color=colour, label=f"{region} ready")
        if "replicas_desired" in part and part["replicas_desired"].notna().any():
            ax.step(part["second"], part["replicas_desired"], where="post", color=colour, linestyle="--",
                    alpha=0.8, label=f"{region} desired")
    _mark_events(ax, result)
    ax.set_xlim(0, _active_end(result))
    top = float(counts[[c for c in ("replicas_ready", "replicas_desired") if c in counts]].max().max())
    ax.set_ylim(0, top * 1.15 + 0.5)  # room above the lines for the scale-event triangles
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small", frameon=False)
    return ax


def latency(result: Result, ax: Optional[Axes] = None, *, quantiles: Sequence[float] = (0.5, 0.9, 0.99, 0.999)) -> Axes:
    """Latency histogram of replication 0 (log-spaced bins, milliseconds) with percentile lines.

    Failed requests count too, with the time they took to fail (a refused
    connection fails in about one round trip).
    """
    ax = _axes(ax)
    hist = result.latency_histogram
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("requests per bin")
    ax.set_title(f"{result.model_name}: latency, replication 0")
    if hist.empty:
        ax.text(0.5, 0.5, "no completed requests", ha="center", va="center", transform=ax.transAxes)
        return ax
    mid_ms = 1e3 * 0.5 * (hist["start_s"].to_numpy() + hist["end_s"].to_numpy())
    lo, hi = max(mid_ms.min(), 1e-3), max(mid_ms.max(), 1e-3)
    edges = np.geomspace(lo / 1.05, hi * 1.05, 61)
    counts, _ = np.histogram(np.clip(mid_ms, edges[0], edges[-1]), bins=edges, weights=hist["count"].to_numpy())
    ax.stairs(counts, edges, fill=True, alpha=0.6, color="C0", label="requests")
    ax.set_xscale("log")
    for i, (q, value) in enumerate(result.latency_quantiles(quantiles).items()):
        ax.axvline(value * 1e3, color=f"C{i + 1}", linestyle="--", linewidth=1.2, label=f"p{q * 100:g} = {value * 1e3:.2f} ms")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper center", fontsize="small", frameon=False)
    return ax


def heatmap(
    frame: pd.DataFrame,
    x: str,
    y: str,
    value: Optional[str] = None,
    ax: Optional[Axes] = None,
    *,
    figure: Optional[str] = None,
    fmt: str = "{:.1f}",
    cmap: str = "viridis_r",
    label: Optional[str] = None,
) -> Axes:
    """A heatmap of ``value`` over the ``x`` and ``y`` columns of ``frame``, each cell annotated.

    Rows with the same (x, y) are averaged; axis ticks keep the order in which
    the values first appear (so "10s", "30s", "60s" stay in that order).
    ``figure="failed_pct"`` on a :func:`drsim.sweep` frame plots its mean column
    ``failed_pct_mean`` (``value`` names any column directly).
    """
    if value is None:
        if figure is None:
            raise ValueError("heatmap needs figure= (a sweep figure) or value= (a column)")
        value = f"{figure}_mean" if f"{figure}_mean" in frame.columns else figure
        label = label or f"{figure} (mean)"
    ax = _axes(ax, (7, 4.5))
    xs = list(dict.fromkeys(frame[x]))
    ys = list(dict.fromkeys(frame[y]))
    table = frame.groupby([y, x], sort=False)[value].mean().unstack(x).reindex(index=ys, columns=xs)
    data = table.to_numpy(dtype=float)
    image = ax.imshow(data, cmap=cmap, aspect="auto", origin="lower")
    ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_yticks(range(len(ys)), [str(v) for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    finite = data[np.isfinite(data)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (i, j), v in np.ndenumerate(data):
        if np.isfinite(v):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize="small",
                    color="white" if (v > middle) == (cmap.endswith("_r")) else "black")
    ax.figure.colorbar(image, ax=ax, label=label or value)
    return ax


def posterior(calibration: Any, ax: Optional[Axes] = None) -> Axes:
    """The posterior of a :func:`drsim.calibrate`, one bar per point, most probable first.

    Points in the credible set are drawn in colour, the others in grey; a bar's
    label is the point's values in parameter order.
    """
    frame = calibration.posterior.sort_values("probability", ascending=False, kind="stable")
    params = [c for c in frame.columns if c not in ("probability", "in_credible_set")]
    ax = _axes(ax, (max(6.0, 0.55 * len(frame) + 2), 4))
    colours = ["C0" if inside else "0.75" for inside in frame["in_credible_set"]]
    ax.bar(range(len(frame)), frame["probability"], color=colours)
    labels = [" / ".join(str(row[p]) for p in params) for _, row in frame.iterrows()]
    ax.set_xticks(range(len(frame)), labels, rotation=60, ha="right", fontsize="small")
    ax.set_ylabel("posterior probability")
    level = calibration.document.get("credible_level", 0.95)
    ax.set_title(f"{calibration.document['model']}: {' / '.join(params)} (colour: {level:.0%} credible set)")
    ax.grid(True, axis="y", alpha=0.3)
    return ax


__all__ = ["timeline", "traffic_split", "replicas", "replica_counts", "latency", "heatmap", "drain_curve", "posterior"]


def drain_curve(result: Result, ax: Optional[Axes] = None, *, log_time: bool = True) -> Axes:
    """The drain curve of replication 0: share of requests (and of clients) still sent to an
    address the answer change removed, against the time since the change.

    Requests are counted per second of sending; clients by their latest send. Points
    marked with dots are the ``summary["drain_curve"]`` ladder.
    """
    ax = _axes(ax)
    drain = result.drain
    if drain.empty:
        ax.text(0.5, 0.5, "no answer change removed an address", ha="center", va="center", transform=ax.transAxes)
        return ax
    t = drain["t_s"].to_numpy(dtype=float)
    shown = t + 1 if log_time else t  # second s covers [s, s + 1)
    ax.plot(shown, 100 * drain["requests_old"], linewidth=1.0, alpha=0.6, label="requests sent in that second")
    ax.plot(shown, 100 * drain["clients_old"], linewidth=1.6, label="clients (latest send)")
    points = pd.DataFrame(result.summary.get("drain_curve") or [])
    if not points.empty:
        at = points["t_s"].to_numpy(dtype=float) + (1 if log_time else 0)
        ax.plot(at, 100 * points["requests_old"], "o", color="C0", markersize=4)
        ax.plot(at, 100 * points["clients_old"], "o", color="C1", markersize=4)
    if log_time:
        ax.set_xscale("log")
        ax.set_xlabel("time since the answer changed + 1 s (s, log)")
    else:
        ax.set_xlabel("time since the answer changed (s)")
    ax.set_ylabel("still sent to the removed address (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"{result.model_name}: drain curve (seed {result.seed}, replication 0)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small", frameon=False)
    return ax
