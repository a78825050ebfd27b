"""drsim.sweep / solve / sensitivity: the bound C++ analyses give the CLI's answers, locally and on Dask."""

from __future__ import annotations

import importlib
import inspect
import json
import math
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

import drsim
from conftest import DRILL
from drsim._native import native

sweep_module = importlib.import_module("drsim.sweep")

GRID = {"gtm.ttl": ["10s", "60s", "300s"], "gtm.health_check.failures": [1, 3]}
FIGURES = ["failed_pct", "time_to_detect_s"]
#: failures = 50 never lets GTM judge the address down within the run: those
#: points report no time_to_detect_s, so the default columns depend on every point.
NO_DETECTION_GRID = {"gtm.health_check.failures": [50, 3], "gtm.ttl": ["10s", "60s"]}


def run_cli(cli_path: Path, *args: str) -> str:
    return subprocess.run([str(cli_path), *args, "--quiet"], check=True, capture_output=True, text=True).stdout


def grid_args(grid: dict[str, list[Any]]) -> list[str]:
    return [a for path, values in grid.items() for a in ("--grid", f"{path}={','.join(map(str, values))}")]


def number(x: Any) -> float:
    """A JSON number as the C++ wrote it (null: not finite)."""
    return math.nan if x is None else float(x)


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.fixture(scope="module")
def local_frame(drill: drsim.Scenario) -> pd.DataFrame:
    return drsim.sweep(drill, grid=GRID, replications=6, seed=3, figures=FIGURES)


# -- sweeps ---------------------------------------------------------------------------


def test_grid_columns_and_failed_pct_rises_with_ttl(local_frame: pd.DataFrame) -> None:
    df = local_frame
    assert list(df.columns) == ["gtm.ttl", "gtm.health_check.failures"] + [
        f"{f}_{p}" for f in FIGURES for p in ("mean", "lo", "hi")]
    assert df.index.name == "point" and len(df) == 6
    assert df["gtm.health_check.failures"].dtype == "int64" and df["gtm.ttl"].dtype == object
    for failures in (1, 3):
        means = df[df["gtm.health_check.failures"] == failures]["failed_pct_mean"].tolist()
        assert means[0] < means[1] <= means[2], means
    assert (df["failed_pct_lo"] <= df["failed_pct_mean"]).all()
    assert (df["failed_pct_mean"] <= df["failed_pct_hi"]).all()
    assert df.attrs["replications"] == 6 and df.attrs["seed"] == 3


def test_same_frame_with_threads_and_point_runs(drill: drsim.Scenario, local_frame: pd.DataFrame) -> None:
    again = drsim.sweep(drill, grid=GRID, replications=6, seed=3, figures=FIGURES, threads=1)
    pd.testing.assert_frame_equal(local_frame, again, check_exact=True)
    # Common random numbers: a point equals a plain run at the same seed.
    r = drill.with_overrides({"gtm.ttl": "60s", "gtm.health_check.failures": 3}).run(seed=3, replications=6)
    row = local_frame.iloc[3]
    assert (row["gtm.ttl"], row["gtm.health_check.failures"]) == ("60s", 3)
    assert row["failed_pct_mean"] == r.replications["failed_pct"]["mean"]


@pytest.mark.parametrize(
    "kwargs,args",
    [
        (dict(grid=GRID, replications=6, seed=3, figures=FIGURES),
         [*grid_args(GRID), "--replications", "6", "--seed", "3", "--figures", ",".join(FIGURES)]),
        (dict(grid=NO_DETECTION_GRID, replications=3, seed=2),
         [*grid_args(NO_DETECTION_GRID), "--replications", "3", "--seed", "2"]),
        (dict(ranges={"gtm.ttl": ("10s", "2m"), "gtm.health_check.failures": (1, 4)}, samples=4, replications=2, seed=5,
              method="random", figures=["failed_pct"]),
         ["--range", "gtm.ttl=10s..2m", "--range", "gtm.health_check.failures=1..4", "--samples", "4", "--method",
          "random", "--replications", "2", "--seed", "5", "--figures", "failed_pct"]),
    ],
    ids=["grid", "default-figures", "random-samples"],
)
def test_sweep_is_the_clis_table(cli_path: Path, tmp_path: Path, drill: drsim.Scenario, kwargs: dict[str, Any],
                                 args: list[str]) -> None:
    out = tmp_path / "table.csv"
    run_cli(cli_path, "sweep", str(DRILL), *args, "--out", str(out))
    expected = pd.read_csv(out, index_col="point", float_precision="round_trip")
    assert (expected.pop("replications") == kwargs["replications"]).all()
    frame = drsim.sweep(drill, **kwargs)
    # Figures are floats (pandas reads a column of whole numbers such as requests as int64).
    figures = [c for c in expected.columns if c.endswith(("_mean", "_lo", "_hi"))]
    expected[figures] = expected[figures].astype(float)
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)


def test_default_columns_follow_the_figure_order_even_where_a_point_lacks_one(drill: drsim.Scenario) -> None:
    frame = drsim.sweep(drill, grid=NO_DETECTION_GRID, replications=2)
    names = frame.attrs["figures"]
    known = native.figure_names()
    assert names == [f for f in known if f in names]
    assert "time_to_detect_s" in names
    assert frame.loc[frame["gtm.health_check.failures"] == 50, "time_to_detect_s_mean"].isna().all()
    assert frame.loc[frame["gtm.health_check.failures"] == 3, "time_to_detect_s_mean"].notna().all()


def test_dask_local_cluster_matches_a_local_run(drill: drsim.Scenario) -> None:
    distributed = pytest.importorskip("distributed")
    kwargs = dict(grid=NO_DETECTION_GRID, replications=3, seed=2)
    local = drsim.sweep(drill, **kwargs)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        # One point per task: the point lacking time_to_detect_s comes back in a part of its own.
        remote = drsim.sweep(drill, client=client, chunk_size=1, **kwargs)
        chunked = drsim.sweep(drill, client=client, chunk_size=3, **kwargs)
    pd.testing.assert_frame_equal(local, remote, check_exact=True)
    pd.testing.assert_frame_equal(local, chunked, check_exact=True)
    assert remote.attrs == local.attrs


def test_sweep_points_are_the_cli_samples_and_typed_in_the_table(drill: drsim.Scenario) -> None:
    ranges = {"gtm.ttl": ("10s", "120s"), "gtm.health_check.failures": (1, 5)}
    a = sweep_module.sweep_points(ranges=ranges, samples=8, seed=4)
    assert a == sweep_module.sweep_points(ranges=ranges, samples=8, seed=4)
    seconds = sorted(native.parse_param_value("gtm.ttl", p["gtm.ttl"]).numeric for p in a)
    # Latin hypercube: one sample in each eighth of 10 s .. 120 s.
    assert [int((s - 10) / 110 * 8) for s in seconds] == list(range(8))
    frame = drsim.sweep(drill, ranges=ranges, samples=8, seed=4, replications=1, figures=["failed_pct"])
    assert frame["gtm.health_check.failures"].tolist() == [int(p["gtm.health_check.failures"]) for p in a]
    assert frame["gtm.ttl"].tolist() == [p["gtm.ttl"] for p in a]


def test_bad_sweeps_raise_value_error(drill: drsim.Scenario) -> None:
    with pytest.raises(ValueError, match="samples"):
        drsim.sweep(drill, ranges={"gtm.ttl": ("10s", "2m")})
    with pytest.raises(ValueError, match="unknown figure"):
        drsim.sweep(drill, grid={"gtm.ttl": ["10s"]}, figures=["nope"], replications=1)
    with pytest.raises(drsim.ModelError):
        drsim.sweep(drill, grid={"gtm.ttl": ["10s", "banana"]}, replications=1)


def test_progress_is_called_from_the_c_threads_with_the_gil_released(drill: drsim.Scenario) -> None:
    # The callback runs on the threads doing the runs (the C++ workers and the
    # calling thread, taking the GIL for each call) while this thread keeps
    # running Python: the run itself holds no GIL.
    points = native.sweep_points(sweep_module.sweep_spec(grid={"gtm.ttl": ["10s", "30s", "60s", "300s"]}))
    seen: list[int] = []
    threads: set[int] = set()

    def progress(p: Any) -> None:
        seen.append(p.runs_done)
        threads.add(threading.get_ident())

    options = native.SweepOptions(seed=1, replications=15, threads=2, progress=progress)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (native.run_points(drill._native, points, options), done.set()))
    ticks = 0
    worker.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    assert seen == list(range(1, 61))  # one call per run, one at a time
    assert threading.get_ident() not in threads and len(threads) == 2
    assert ticks > 20


# -- solve ------------------------------------------------------------------------------


def check_probes(solution: dict[str, Any], doc: dict[str, Any]) -> None:
    assert len(solution["probes"]) == len(doc["probes"])
    for mine, theirs in zip(solution["probes"], doc["probes"]):
        assert str(mine["value"]) == theirs["value"] and mine["verdict"] == theirs["verdict"]
        assert mine["n"] == theirs["figure"]["n"]
        for key in ("mean", "lo", "hi"):
            assert same(mine[key], number(theirs["figure"][key])), (key, mine, theirs)


@pytest.mark.parametrize(
    "args,kwargs",
    [
        (["--param", "gtm.ttl", "--range", "10s..300s", "--target", "failed_pct<=10", "--replications", "10"],
         dict(param="gtm.ttl", lo="10s", hi="300s", target="failed_pct<=10", replications=10)),
        (["--param", "gtm.health_check.failures", "--range", "1..6", "--target", "failed_pct<=0.001",
          "--replications", "4", "--seed", "3"],
         dict(param="gtm.health_check.failures", lo=1, hi=6, target="failed_pct<=0.001", replications=4, seed=3)),
        (["--param", "gtm.health_check.interval", "--range", "5s..60s", "--target", "time_to_detect_s<=40",
          "--smallest", "--resolution", "5s", "--replications", "6", "--seed", "2"],
         dict(param="gtm.health_check.interval", lo="5s", hi="60s", target="time_to_detect_s<=40", goal="smallest",
              resolution=5, replications=6, seed=2)),
    ],
    ids=["ttl-found", "failures-none", "interval-smallest"],
)
def test_solve_gives_the_clis_answer(cli_path: Path, drill: drsim.Scenario, args: list[str],
                                     kwargs: dict[str, Any]) -> None:
    text = run_cli(cli_path, "solve", str(DRILL), *args, "--json")
    doc = json.loads(text)
    solution = drsim.solve(drill, **kwargs)
    assert solution.to_json() + "\n" == text
    assert solution["status"] == doc["status"] and solution["goal"] == doc["goal"]
    answer = doc["answer"]
    assert (None if solution["answer"] is None else str(solution["answer"])) == (answer and answer["value"])
    check_probes(solution, doc)
    assert solution.report() == run_cli(cli_path, "solve", str(DRILL), *args)


def test_solve_brackets_the_answer(drill: drsim.Scenario) -> None:
    r = drsim.solve(drill, "gtm.ttl", "10s", "300s", target="failed_pct<=10", replications=10, seed=1)
    assert r["status"] == "found" and r["goal"] == "largest"
    good, bad = r["bracket"]
    assert good == r["answer"]
    by_value = {p["value"]: p for p in r["probes"]}
    g, b = by_value[good]["numeric"], by_value[bad]["numeric"]
    assert 10 <= g < b <= 300 and b - g <= 2.9 + 1e-6  # the default resolution: a hundredth of the range
    assert by_value[good]["verdict"] == "meets" and by_value[good]["hi"] <= 10
    assert by_value[bad]["verdict"] != "meets"
    assert by_value["10s"]["verdict"] == "meets"
    assert list(r.probes_frame["value"]) == [p["value"] for p in r["probes"]]


def test_solve_integer_none(drill: drsim.Scenario) -> None:
    r = drsim.solve(drill, "gtm.health_check.failures", 1, 6, target="failed_pct<=0.001", replications=4)
    assert r["status"] == "none" and r["answer"] is None
    assert [p["value"] for p in r["probes"]] == [1, 6]


def test_solve_and_sensitivity_refuse_a_dask_client(drill: drsim.Scenario) -> None:
    with pytest.raises(NotImplementedError, match="sweep only"):
        drsim.solve(drill, "gtm.ttl", "10s", "60s", client=object())
    with pytest.raises(NotImplementedError, match="sweep only"):
        drsim.sensitivity(drill, ["gtm.ttl"], client=object())


# -- sensitivity ---------------------------------------------------------------------------


def test_sensitivity_gives_the_clis_answer(cli_path: Path, drill: drsim.Scenario) -> None:
    args = ["--params", "gtm.ttl,gtm.health_check.failures,gtm.publish_delay=2s", "--replications", "8", "--seed", "2",
            "--step", "0.2"]
    text = run_cli(cli_path, "sensitivity", str(DRILL), *args, "--json")
    doc = json.loads(text)
    frame = drsim.sensitivity(drill, {"gtm.ttl": None, "gtm.health_check.failures": None, "gtm.publish_delay": "2s"},
                              replications=8, seed=2, step=0.2)
    assert frame.attrs["json"] + "\n" == text
    assert frame.attrs["report"] == run_cli(cli_path, "sensitivity", str(DRILL), *args)
    assert same(frame.attrs["base_mean"], number(doc["base"]["mean"]))
    assert list(frame["path"]) == [e["parameter"] for e in doc["parameters"]]
    for row, entry in zip(frame.to_dict("records"), doc["parameters"]):
        assert row["rank"] == entry["rank"]
        assert [str(row[k]) for k in ("base", "low", "high")] == [entry[k]["value"] for k in ("base", "low", "high")]
        for column, (key, part) in {"at_low": ("at_low", "mean"), "at_high": ("at_high", "mean"),
                                    "swing": ("swing", "mean"), "swing_lo": ("swing", "lo"),
                                    "swing_hi": ("swing", "hi"), "elasticity": ("elasticity", "mean"),
                                    "elasticity_lo": ("elasticity", "lo"),
                                    "elasticity_hi": ("elasticity", "hi")}.items():
            assert same(row[column], number(entry[key][part])), (column, row, entry)
        assert same(row["slope"], number(entry["slope"]))


def test_sensitivity_ranks_by_elasticity(drill: drsim.Scenario) -> None:
    s = drsim.sensitivity(drill, ["gtm.ttl", "gtm.health_check.failures"], replications=10, step=0.5)
    assert list(s.columns) == ["path", "base", "low", "high", "at_low", "at_high", "swing", "swing_lo", "swing_hi",
                               "slope", "elasticity", "elasticity_lo", "elasticity_hi", "rank"]
    assert list(s["rank"]) == [1, 2]
    assert s["elasticity"].abs().is_monotonic_decreasing
    assert (s["elasticity_lo"] <= s["elasticity"]).all() and (s["elasticity"] <= s["elasticity_hi"]).all()
    ttl = s.set_index("path").loc["gtm.ttl"]
    assert (ttl["base"], ttl["low"], ttl["high"]) == ("60s", "30s", "1m30s") and ttl["elasticity"] > 0
    failures = s.set_index("path").loc["gtm.health_check.failures"]
    assert (failures["base"], failures["low"], failures["high"]) == (3, 1, 5)  # 3 x (1 -/+ 0.5), rounded
    with pytest.raises(TypeError, match="base value"):
        drsim.sensitivity(drill, {"gtm.ttl": ("30s", "90s")})


# -- defaults -----------------------------------------------------------------------------------


@pytest.mark.parametrize("command,name", [("sweep", "SWEEP_REPLICATIONS"), ("solve", "SOLVE_REPLICATIONS"),
                                          ("sensitivity", "SENSITIVITY_REPLICATIONS")])
def test_default_replications_are_the_clis(cli_path: Path, command: str, name: str) -> None:
    usage = subprocess.run([str(cli_path), command, "--help"], check=True, capture_output=True, text=True).stdout
    cli_default = int(re.search(r"--replications R.*?\(default (\d+)\)", usage).group(1))  # type: ignore[union-attr]
    assert getattr(sweep_module, name) == getattr(native, name) == cli_default
    function = getattr(drsim, command)
    assert inspect.signature(function).parameters["replications"].default is None  # read from the C++ at run time


def test_a_sweep_without_replications_runs_the_clis_count(cli_path: Path, tmp_path: Path,
                                                          drill: drsim.Scenario) -> None:
    out = tmp_path / "one.csv"
    run_cli(cli_path, "sweep", str(DRILL), "--grid", "gtm.ttl=30s", "--figures", "failed_pct", "--out", str(out))
    expected = pd.read_csv(out, index_col="point", float_precision="round_trip")
    frame = drsim.sweep(drill, grid={"gtm.ttl": ["30s"]}, figures=["failed_pct"])
    expected["failed_pct_mean"] = expected["failed_pct_mean"].astype(float)
    assert frame.attrs["replications"] == expected.pop("replications").iloc[0] == sweep_module.SWEEP_REPLICATIONS
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)


def test_solve_without_replications_is_the_clis(cli_path: Path, drill: drsim.Scenario) -> None:
    args = ["--param", "gtm.health_check.failures", "--range", "1..6", "--target", "failed_pct<=0.001"]
    text = run_cli(cli_path, "solve", str(DRILL), *args, "--json")
    solution = drsim.solve(drill, "gtm.health_check.failures", 1, 6, target="failed_pct<=0.001")
    assert solution["replications"] == json.loads(text)["replications"] == sweep_module.SOLVE_REPLICATIONS
    assert solution.to_json() + "\n" == text


def test_heatmap_returns_axes(local_frame: pd.DataFrame) -> None:
    import matplotlib.pyplot as plt

    ax = drsim.plot.heatmap(local_frame, x="gtm.ttl", y="gtm.health_check.failures", figure="failed_pct")
    assert isinstance(ax, matplotlib.axes.Axes)
    assert ax.get_xlabel() == "gtm.ttl" and ax.get_ylabel() == "gtm.health_check.failures"
    assert len(ax.texts) == 6
    plt.close(ax.figure)


def test_a_population_sweep_on_dask_is_the_local_table() -> None:
    """The million-client model scaled to 3,000 clients: its groups run in aggregate on every worker too."""
    distributed = pytest.importorskip("distributed")
    population = drsim.Scenario.load(drsim.models.path("population-region-outage")).with_overrides({
        "population.resolvers": 200,
        "population.groups.browsers.load.clients": 1800, "population.groups.browsers.load.rate": "180/s",
        "population.groups.java-services.load.clients": 750, "population.groups.java-services.load.rate": "75/s",
        "population.groups.python-scripts.load.clients": 450, "population.groups.python-scripts.load.rate": "45/s",
    })
    assert not any("per request" in w for w in population.warnings)
    kwargs = dict(grid={"gtm.ttl": ["30s", "60s"], "population.violator_share": [0.0, 0.2]}, replications=2, seed=5,
                  figures=["failed_pct", "time_to_drain_s", "requests"])
    local = drsim.sweep(population, **kwargs)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = drsim.sweep(population, client=client, chunk_size=1, **kwargs)
    pd.testing.assert_frame_equal(local, remote, check_exact=True)
    assert (local["failed_pct_mean"] > 0).all()
