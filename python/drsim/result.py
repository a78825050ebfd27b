"""What a run returns: replication 0 in full, and every replication's figures."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from functools import cached_property
from typing import Any, Optional

import pandas as pd

from ._native import native

#: Outcome causes in the order of the series columns ("ok" first).
CAUSES: tuple[str, ...] = tuple(native.CAUSES)
#: fortio's RetCodes key for each cause (-1: any socket-level error).
FORTIO_CODES: dict[str, int] = dict(zip(native.CAUSES, native.FORTIO_CODES))
#: Failure causes (every cause but "ok").
FAILURE_CAUSES: tuple[str, ...] = tuple(c for c in CAUSES if c != "ok")
#: The app's 503s by kind: columns and ``by_cause`` keys only of models with a ``mesh`` section.
MESH_CAUSES: tuple[str, ...] = ("no_healthy_upstream", "upstream_connect_failure", "upstream_overflow")


class Result:
    """The outcome of :meth:`drsim.Scenario.run`.

    ``summary``, ``series``, ``events`` and the latency figures describe
    replication 0 in full; ``replications`` and ``per_replication`` cover all of
    them. ``to_json()`` is the ``drsim.result/1`` document ``drsim run --json``
    prints for the same model, overrides and seed.
    """

    def __init__(self, _native_result: Any) -> None:
        """Internal: results come from :meth:`drsim.Scenario.run`."""
        self._native = _native_result

    # -- documents ----------------------------------------------------------

    def to_json(self, indent: Optional[int] = None) -> str:
        """The ``drsim.result/1`` JSON document (figures rounded to 6 decimals)."""
        return self._native.to_json(-1 if indent is None else indent)

    def to_dict(self) -> dict[str, Any]:
        """The ``drsim.result/1`` document as a dict."""
        return json.loads(self._native.to_json(-1))

    def fortio_summary(self) -> str:
        """fortio's text for replication 0 as ``fortio load`` prints it (``drsim run --format fortio``)."""
        return self._native.fortio_summary()

    def fortio_json(self) -> dict[str, Any]:
        """fortio's JSON result of replication 0, every field fortio writes (``drsim run --format fortio-json``), parsed."""
        return json.loads(self._native.fortio_json())

    def report(self) -> str:
        """The human-readable report of the CLI: headline figures and assumptions."""
        return self._native.report()

    def write(self, directory: str) -> None:
        """Writes result.json, series.csv and events.csv into ``directory`` (each file complete or absent)."""
        self._native.write(str(directory))

    # -- replication 0 ----------------------------------------------------------

    @cached_property
    def summary(self) -> dict[str, Any]:
        """Replication 0's counts and headline figures: the ``summary`` object of :meth:`to_json`.

        Keys include ``requests``, ``ok``, ``failed``, ``failed_pct``, ``by_code``
        (fortio codes as strings: ``{"-1": n, "200": n}``), ``by_cause``,
        ``fault_at_s``, ``time_to_detect_s``, ``time_to_answer_change_s``,
        ``time_to_drain_s``, ``failure_window_s`` (``[start, end]`` or None),
        ``ok_share_by_region``, ``latency_s`` and ``actual_qps``; with a ``mesh``
        section also ``ejections`` and ``retries``.

        Built by the C++ from the run (no JSON in between) and unrounded: the
        document's figures are these rounded to 6 decimals.
        """
        return self._native.summary()

    @cached_property
    def series(self) -> pd.DataFrame:
        """Per-second figures of replication 0, one row per (second, region): ``series.csv`` plus ``failed``.

        Columns: ``second`` (requests started in [second, second + 1)),
        ``region`` (``"none"`` for requests that got no address, present only in
        seconds where that happened), ``sent``, one column per cause in
        :data:`CAUSES` (``ok``, ``connect_refused``, ...; those in :data:`MESH_CAUSES`
        only with a ``mesh`` section), ``to_faulty`` (first
        attempt aimed at an address under an active fault), then whatever
        per-second figures the model provides (``latency_p50_s``,
        ``replicas_ready``, ``cpu_utilization_pct``, ...; NaN where a region has
        no such part), and ``failed`` (``sent - ok``).

        Columns come as arrays from the C++ (no CSV in between), unrounded:
        ``series.csv`` prints the same numbers to 6 (latency), 2 (CPU) and 4
        (busy share) decimals. Counts are int64; a count column with gaps (a
        region without a gateway Deployment) is float64 with NaN there.
        """
        frame = pd.DataFrame(self._native.series_columns())
        frame["failed"] = frame["sent"] - frame["ok"]
        return frame

    @cached_property
    def drain(self) -> pd.DataFrame:
        """Replication 0's drain curve second by second since the answer changed.

        Columns ``t_s``, ``requests`` (sent in that second), ``requests_old``
        (their share aimed at an address the change removed) and
        ``clients_old`` (the share of clients that sent since the change whose
        latest send went there); no rows when no change removed an address.
        ``summary["drain_curve"]`` holds the same at 0, 5, 10, 20, 30, 60 s, ...
        """
        return pd.read_csv(io.StringIO(self._native.drain_csv()))

    @cached_property
    def events(self) -> pd.DataFrame:
        """Replication 0's event log: ``time_s``, ``component``, ``event``, ``detail``.

        Events are state changes only: ``fault_start``/``fault_end``, GTM nodes'
        verdicts (``node_says_down``), ``address_unhealthy``, ``answer_changed``,
        load-balancer backend health, and whatever newer components log.
        """
        rows = self._native.events()
        return pd.DataFrame(rows, columns=["time_s", "component", "event", "detail"])

    def latency_quantiles(self, quantiles: Iterable[float] = (0.5, 0.9, 0.99, 0.999)) -> dict[float, float]:
        """Latency of replication 0 at each quantile in [0, 1], in seconds.

        From the run's log-linear histogram (relative error at most 1/128);
        fortio's ``# target`` lines (``fortio_summary``) interpolate inside
        fortio's coarser fixed buckets instead, as fortio does.
        """
        out: dict[float, float] = {}
        for q in quantiles:
            q = float(q)
            if not 0.0 <= q <= 1.0:
                raise ValueError(f"quantile must be within [0, 1], got {q}")
            out[q] = self._native.latency_quantile(q)
        return out

    @cached_property
    def latency_histogram(self) -> pd.DataFrame:
        """Replication 0's latency histogram: non-empty buckets as ``start_s``, ``end_s``, ``count``."""
        return pd.DataFrame(self._native.latency_buckets(), columns=["start_s", "end_s", "count"])

    # -- every replication --------------------------------------------------------

    @cached_property
    def replications(self) -> dict[str, dict[str, float]]:
        """Mean and 95 % Student-t interval of every headline figure over the replications.

        ``{"failed_pct": {"mean": m, "lo": lo, "hi": hi, "n": n}, ...}``, unrounded.
        Figures include ``failed_pct``, ``refused_pct``, ``timeout_pct``,
        ``throttled_pct``, ``time_to_detect_s``, ``time_to_drain_s``,
        ``failure_window_s``, ``fault_at_s``, ``latency_p99_s``. A figure a
        replication did not have (no detection, say) counts only where present
        (``n`` says how often). With one replication the interval is the value.
        """
        return self._native.replications()

    @cached_property
    def per_replication(self) -> pd.DataFrame:
        """Every replication's headline figures, one row per replication in order (NaN where absent)."""
        frame = pd.DataFrame(self._native.per_replication())
        frame.index.name = "replication"
        return frame

    # -- identity -------------------------------------------------------------------

    @property
    def seed(self) -> int:
        """The base seed given to run()."""
        return self._native.seed

    @property
    def model_name(self) -> str:
        """The model's name."""
        return self._native.model_name

    @property
    def region_names(self) -> list[str]:
        """Region names in model order."""
        return list(self._native.region_names)

    @property
    def replication_count(self) -> int:
        """How many replications ran."""
        return self._native.replication_count

    @property
    def assumptions(self) -> dict[str, str]:
        """The headline assumptions the result states (client DNS method, TTL, probes)."""
        return dict(self._native.assumptions)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<drsim.Result {self.model_name!r} seed {self.seed}, {self.replication_count} replication(s): "
            f"replication 0 failed {s['failed']} of {s['requests']} ({s['failed_pct']:.2f} %)>"
        )


__all__ = ["Result", "CAUSES", "FAILURE_CAUSES", "FORTIO_CODES", "MESH_CAUSES"]
