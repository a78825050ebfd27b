"""Scenario.run and Result: the same numbers as the CLI, DataFrames that add up, the GIL released."""

from __future__ import annotations

import io
import math
import re
import threading
import time
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest

import drsim
from conftest import CACHED_RR, DRILL

CLI = Callable[..., Any]


# -- the same numbers as the CLI -----------------------------------------------------------


@pytest.mark.parametrize(
    "seed,replications,overrides",
    [
        (1, 1, {}),
        (7, 8, {}),
        (7, 4, {"gtm.ttl": "30s", "gtm.health_check.interval": "30s", "gtm.health_check.failures": 2}),
        (3, 2, {"clients.fortio.profile": "java"}),
    ],
)
def test_python_and_the_cli_give_the_same_result_document(
    cli: CLI, drill: drsim.Scenario, seed: int, replications: int, overrides: dict[str, Any]
) -> None:
    sets = [arg for path, value in overrides.items() for arg in ("--set", f"{path}={value}")]
    expected = cli(str(DRILL), "--seed", str(seed), "--replications", str(replications), *sets)
    result = drill.with_overrides(overrides).run(seed=seed, replications=replications)
    assert result.to_dict() == expected


def test_the_fortio_summary_is_the_clis_text(cli: CLI, drill_result: drsim.Result) -> None:
    assert drill_result.fortio_summary() == cli(str(DRILL), "--seed", "1", fmt="fortio")


def test_the_fortio_json_is_the_clis(cli: CLI, drill_result: drsim.Result) -> None:
    assert drill_result.fortio_json() == cli(str(DRILL), "--seed", "1", fmt="fortio-json")


def test_threads_do_not_change_the_numbers(drill: drsim.Scenario) -> None:
    one = drill.run(seed=11, replications=6, threads=1)
    two = drill.run(seed=11, replications=6, threads=2)
    every = drill.run(seed=11, replications=6)
    assert one.to_json() == two.to_json() == every.to_json()
    pd.testing.assert_frame_equal(one.per_replication, two.per_replication)


def test_different_seeds_give_different_runs(drill: drsim.Scenario) -> None:
    assert drill.run(seed=1).summary["fault_at_s"] != drill.run(seed=2).summary["fault_at_s"]


def test_bad_run_options_raise_value_error(drill: drsim.Scenario) -> None:
    for kwargs in ({"replications": 0}, {"threads": 0}, {"seed": -1}):
        with pytest.raises(ValueError):
            drill.run(**kwargs)


# -- summary, replications -------------------------------------------------------------------


def test_summary_accounts_for_every_request(drill_result: drsim.Result) -> None:
    s = drill_result.summary
    # fortio -qps 100 -t 300s: 30,000 calls.
    assert s["requests"] == 30_000
    assert s["ok"] + s["failed"] + s["in_flight"] == s["requests"]
    assert sum(s["by_code"].values()) == s["ok"] + s["failed"]
    assert s["by_code"]["200"] == s["ok"]
    assert s["failed_pct"] == pytest.approx(100 * s["failed"] / (s["ok"] + s["failed"]), abs=1e-6)
    # A deleted gateway behind kube-proxy refuses: every failure is fortio's -1.
    assert s["by_code"]["-1"] == s["failed"] == s["by_cause"]["connect_refused"]


def test_replications_give_mean_and_95_percent_interval(drill: drsim.Scenario) -> None:
    r = drill.run(seed=5, replications=20)
    ci = r.replications["failed_pct"]
    assert ci["n"] == 20
    assert ci["lo"] < ci["mean"] < ci["hi"]
    per = r.per_replication["failed_pct"]
    assert len(per) == 20 and r.replication_count == 20
    assert ci["mean"] == pytest.approx(per.mean(), rel=1e-12)
    # Student t, 19 degrees of freedom: t(0.975) = 2.0930.
    half = 2.0930 * per.std(ddof=1) / math.sqrt(20)
    assert ci["hi"] - ci["mean"] == pytest.approx(half, rel=1e-3)
    # Replication 0 of the set is the summary's run.
    assert per.iloc[0] == pytest.approx(r.summary["failed_pct"], abs=1e-6)


def test_one_replication_collapses_the_interval_to_the_value(drill_result: drsim.Result) -> None:
    ci = drill_result.replications["failed_pct"]
    assert ci["n"] == 1 and ci["lo"] == ci["mean"] == ci["hi"]


# -- DataFrames -------------------------------------------------------------------------


#: Decimals series.csv prints of its rounded columns; every other column is exact.
CSV_DECIMALS = {"latency_p50_s": 6, "latency_p99_s": 6, "cpu_utilization_pct": 2, "busy_share": 4}


@pytest.mark.parametrize("model", ["drill", "bare_drill"])
def test_series_is_series_csv_as_a_dataframe_plus_failed(request: pytest.FixtureRequest, model: str) -> None:
    # The C++ builds the columns (no CSV in between): the same rows, columns and
    # dtypes as pandas reading series.csv, and the same numbers before rounding.
    result = request.getfixturevalue(model).run(seed=1)
    csv = pd.read_csv(io.StringIO(result._native.series_csv()), keep_default_na=False, na_values=[""])
    series = result.series
    assert list(series.columns) == list(csv.columns) + ["failed"]
    assert dict(series[csv.columns].dtypes) == dict(csv.dtypes)
    exact = [c for c in csv.columns if c not in CSV_DECIMALS]
    pd.testing.assert_frame_equal(series[exact], csv[exact], check_exact=True)
    rounded = 0
    for column, decimals in CSV_DECIMALS.items():
        mine, printed = series[column].to_numpy(), csv[column].to_numpy()
        assert (np.isnan(mine) == np.isnan(printed)).all(), column
        gap = np.abs(mine - printed)[~np.isnan(mine)]
        assert (gap <= 0.5 * 10.0**-decimals + 1e-12).all(), column
        rounded += int((gap > 0).sum())
    assert (series["failed"] == series["sent"] - series["ok"]).all()
    assert set(drsim.CAUSES) - set(drsim.MESH_CAUSES) <= set(series.columns)  # no mesh section here
    if model == "drill":
        assert rounded > 0  # unrounded: the CSV's rounding is not in the frame
        assert series["replicas_ready"].notna().any() and series["latency_p50_s"].notna().any()
    else:  # no gateway Deployment: its columns have no value anywhere
        assert series["replicas_ready"].isna().all() and series["replicas_ready"].dtype == "float64"


def test_summary_is_the_documents_summary_unrounded(drill_result: drsim.Result) -> None:
    # The C++ builds the dict from the run (no JSON in between): the same keys
    # and shapes as the drsim.result/1 summary, which rounds to 6 decimals.
    def close(mine: Any, doc: Any, where: str) -> None:
        if isinstance(doc, dict):
            assert isinstance(mine, dict) and list(mine) == list(doc), where
            for key in doc:
                close(mine[key], doc[key], f"{where}.{key}")
        elif isinstance(doc, list):
            assert isinstance(mine, list) and len(mine) == len(doc), where
            for i, (a, b) in enumerate(zip(mine, doc)):
                close(a, b, f"{where}[{i}]")
        elif isinstance(doc, float):
            assert isinstance(mine, float) and abs(mine - doc) <= 5e-7 + 1e-12, where
        else:
            assert mine == doc and type(mine) is type(doc), where

    doc = drill_result.to_dict()["summary"]
    summary = drill_result.summary
    close(summary, doc, "summary")
    assert summary["failed_pct"] == pytest.approx(100 * summary["failed"] / (summary["ok"] + summary["failed"]),
                                                  rel=1e-12)


def test_series_adds_up_to_the_summary(drill_result: drsim.Result) -> None:
    series, s = drill_result.series, drill_result.summary
    assert series["sent"].sum() == s["ok"] + s["failed"]
    assert series["ok"].sum() == s["ok"]
    causes = series[[c for c in drsim.CAUSES if c in series.columns]].sum(axis=1)
    assert (causes == series["sent"]).all()  # each request ends once, as ok or one cause
    # fortio at 100 qps: 100 requests start in each whole second of the load.
    per_second = series.groupby("second")["sent"].sum()
    assert (per_second.loc[0:299] == 100).all()


def test_failures_sit_in_the_failure_window(drill_result: drsim.Result) -> None:
    s = drill_result.summary
    start, end = s["failure_window_s"]
    failing = drill_result.series.loc[drill_result.series["failed"] > 0, "second"]
    assert failing.min() == math.floor(start) and failing.max() == math.floor(end)
    assert start >= s["fault_at_s"]


def test_events_is_the_event_log(drill_result: drsim.Result) -> None:
    events = drill_result.events
    assert list(events.columns) == ["time_s", "component", "event", "detail"]
    assert events["time_s"].is_monotonic_increasing
    first = {e: t for e, t in zip(events["event"][::-1], events["time_s"][::-1])}  # first time of each kind
    s = drill_result.summary
    assert first["fault_start"] == pytest.approx(s["fault_at_s"], abs=1e-6)
    assert first["address_unhealthy"] - first["fault_start"] == pytest.approx(s["time_to_detect_s"], abs=1e-6)
    assert first["answer_changed"] - first["fault_start"] == pytest.approx(s["time_to_answer_change_s"], abs=1e-6)
    csv = pd.read_csv(io.StringIO(drill_result._native.events_csv()))
    assert list(csv["event"]) == list(events["event"])


def test_latency_quantiles_are_fortios_targets(drill_result: drsim.Result) -> None:
    q = drill_result.latency_quantiles([0.5, 0.9, 0.99, 0.999])
    lat = drill_result.summary["latency_s"]
    assert q[0.5] == pytest.approx(lat["p50"], abs=1e-6)
    assert q[0.99] == pytest.approx(lat["p99"], abs=1e-6)
    assert q[0.5] < q[0.9] < q[0.99] < q[0.999]
    # fortio's own # target lines (the first block: the function time) interpolate inside fortio's
    # coarser buckets, 1 ms wide here, so they agree with the fine histogram within a bucket.
    function_time = drill_result.fortio_summary().split("Error cases")[0]
    targets = dict(re.findall(r"# target (\S+)% (\S+)", function_time))
    assert float(targets["99"]) == pytest.approx(q[0.99], abs=0.001)
    with pytest.raises(ValueError):
        drill_result.latency_quantiles([1.5])


def test_latency_histogram_counts_every_completed_request(drill_result: drsim.Result) -> None:
    hist = drill_result.latency_histogram
    s = drill_result.summary
    assert hist["count"].sum() == s["ok"] + s["failed"]
    assert (hist["end_s"] > hist["start_s"]).all()


def test_write_puts_the_four_files_in_a_folder(tmp_path: Any, drill_result: drsim.Result) -> None:
    drill_result.write(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["drain.csv", "events.csv", "result.json", "series.csv"]


# -- the drill's mechanisms -------------------------------------------------------------------


def test_cached_rr_fails_half_the_calls_after_the_deletion() -> None:
    # fortio's cached-rr keeps the first answer (both gateways) for the whole run and
    # alternates: every second call after the deletion goes to the deleted gateway.
    # Calls leave every 10 ms from t = 0, so calls at or after the fault number
    # 30000 - ceil(fault_at_s x 100).
    r = drsim.Scenario.load(CACHED_RR).run(seed=4)
    s = r.summary
    after = 30_000 - math.ceil(s["fault_at_s"] * 100)
    assert s["by_code"]["-1"] == pytest.approx(after / 2, abs=1)


def test_first_method_failures_end_when_the_resolver_cache_expires(drill: drsim.Scenario) -> None:
    # fortio-first re-resolves per connection: failures stop once the unbound cache
    # (TTL 60 s) holding both addresses expires after GTM's answer changed.
    s = drill.run(seed=2).summary
    window_end = s["failure_window_s"][1]
    changed_at = s["fault_at_s"] + s["time_to_answer_change_s"]
    assert changed_at <= window_end <= changed_at + 60 + 0.1


def test_failed_share_rises_with_the_ttl(drill: drsim.Scenario) -> None:
    means = [
        drill.with_overrides({"gtm.ttl": ttl}).run(seed=9, replications=20).replications["failed_pct"]["mean"]
        for ttl in ("10s", "60s", "300s")
    ]
    assert means[0] < means[1] < means[2]


# -- the GIL ---------------------------------------------------------------------------------


def test_a_run_releases_the_gil(drill: drsim.Scenario) -> None:
    # While a long run works in another thread, this thread keeps running Python:
    # with the GIL held for the whole run it would stall until the run ended.
    done = threading.Event()
    holder: dict[str, Any] = {}

    def work() -> None:
        start = time.perf_counter()
        holder["result"] = drill.run(seed=1, replications=500, threads=1)
        holder["took"] = time.perf_counter() - start
        done.set()

    thread = threading.Thread(target=work)
    ticks, longest_gap = 0, 0.0
    thread.start()
    last = time.perf_counter()
    while not done.is_set():
        now = time.perf_counter()
        longest_gap = max(longest_gap, now - last)
        last = now
        ticks += 1
        time.sleep(0.001)
    thread.join()
    assert holder["took"] > 0.3, "the run should be long enough to tell"
    assert ticks > 50
    assert longest_gap < holder["took"] / 3
