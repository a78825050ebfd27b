"""drsim.sweep / solve / sensitivity and plot.heatmap: CRN sweeps, local vs Dask, bisection."""

from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

import drsim
from drsim.sweep import latin_hypercube

MODEL = pathlib.Path(__file__).resolve().parents[2] / "models" / "asm-gtm-drill.json"
GRID = {"gtm.ttl": ["10s", "60s", "300s"], "gtm.health_check.failures": [1, 3]}


@pytest.fixture(scope="module")
def drill() -> drsim.Scenario:
    return drsim.Scenario.load(MODEL)


@pytest.fixture(scope="module")
def local_frame(drill: drsim.Scenario) -> pd.DataFrame:
    return drsim.sweep(drill, grid=GRID, replications=6, seed=3, figures=["failed_pct", "time_to_detect_s"])


def test_grid_columns_and_failed_pct_rises_with_ttl(local_frame: pd.DataFrame) -> None:
    df = local_frame
    assert list(df.columns[:2]) == ["gtm.ttl", "gtm.health_check.failures"]
    for c in ("failed_pct_mean", "failed_pct_lo", "failed_pct_hi", "time_to_detect_s_mean"):
        assert c in df.columns
    assert len(df) == 6
    for failures in (1, 3):
        means = df[df["gtm.health_check.failures"] == failures]["failed_pct_mean"].tolist()
        assert means[0] < means[1] < means[2] or (means[0] < means[1] <= means[2]), means
    assert (df["failed_pct_lo"] <= df["failed_pct_mean"]).all()
    assert (df["failed_pct_mean"] <= df["failed_pct_hi"]).all()


def test_same_frame_with_threads_and_point_runs(drill: drsim.Scenario, local_frame: pd.DataFrame) -> None:
    again = drsim.sweep(drill, grid=GRID, replications=6, seed=3, figures=["failed_pct", "time_to_detect_s"], threads=1)
    pd.testing.assert_frame_equal(local_frame, again)
    # Common random numbers: a point equals a plain run at the same seed.
    r = drill.with_overrides({"gtm.ttl": "60s", "gtm.health_check.failures": 3}).run(seed=3, replications=6)
    row = local_frame.iloc[3]
    assert row["failed_pct_mean"] == r.replications["failed_pct"]["mean"]


def test_dask_local_cluster_matches_threads(drill: drsim.Scenario, local_frame: pd.DataFrame) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = drsim.sweep(drill, grid=GRID, replications=6, seed=3, figures=["failed_pct", "time_to_detect_s"],
                             client=client)
    pd.testing.assert_frame_equal(local_frame, remote)


def test_latin_hypercube_is_deterministic_and_formatted() -> None:
    ranges = {"gtm.ttl": ("10s", "120s"), "gtm.health_check.failures": (1, 5)}
    a, b = latin_hypercube(ranges, 8, seed=4), latin_hypercube(ranges, 8, seed=4)
    assert a == b
    for p in a:
        assert p["gtm.ttl"].endswith("s") and 10 <= float(p["gtm.ttl"][:-1]) <= 120
        assert isinstance(p["gtm.health_check.failures"], int) and 1 <= p["gtm.health_check.failures"] <= 5
    # one sample per stratum
    strata = sorted(int((float(p["gtm.ttl"][:-1]) - 10) / 110 * 8) for p in a)
    assert strata == list(range(8))


def test_sweep_with_samples(drill: drsim.Scenario) -> None:
    df = drsim.sweep(drill, samples=3, ranges={"gtm.ttl": ("10s", "120s")}, replications=2, figures=["failed_pct"])
    assert len(df) == 3 and list(df.columns) == ["gtm.ttl", "failed_pct_mean", "failed_pct_lo", "failed_pct_hi"]


def test_solve_monotone_ttl(drill: drsim.Scenario) -> None:
    r = drsim.solve(drill, "gtm.ttl", "10s", "300s", target="failed_pct<=10", replications=10, seed=1)
    assert r["status"] == "found" and r["goal"] == "largest"
    good, bad = r["bracket"]
    assert good == r["answer"]
    g, b = float(good[:-1]), float(bad[:-1])
    assert 10 <= g < b <= 300 and b - g <= 2.9 + 1e-6
    by_value = {p["value"]: p for p in r["probes"]}
    assert by_value[good]["verdict"] == "meets" and by_value[good]["hi"] <= 10
    assert by_value[bad]["verdict"] != "meets"
    assert by_value["10s"]["verdict"] == "meets"


def test_solve_integer_and_none(drill: drsim.Scenario) -> None:
    r = drsim.solve(drill, "gtm.health_check.failures", 1, 6, target="failed_pct<=0.001", replications=4)
    assert r["status"] == "none" and r["answer"] is None


def test_sensitivity_ranks_by_elasticity(drill: drsim.Scenario) -> None:
    s = drsim.sensitivity(drill, {"gtm.ttl": 0.5, "gtm.health_check.failures": None}, replications=10)
    assert list(s["rank"]) == [1, 2]
    assert s["elasticity"].abs().is_monotonic_decreasing
    assert (s["elasticity_lo"] <= s["elasticity"]).all() and (s["elasticity"] <= s["elasticity_hi"]).all()
    ttl = s.set_index("path").loc["gtm.ttl"]
    assert (ttl["low"], ttl["high"]) == ("30s", "90s") and ttl["elasticity"] > 0


def test_heatmap_returns_axes(local_frame: pd.DataFrame) -> None:
    import matplotlib.pyplot as plt

    ax = drsim.plot.heatmap(local_frame, x="gtm.ttl", y="gtm.health_check.failures", figure="failed_pct")
    assert isinstance(ax, matplotlib.axes.Axes)
    assert ax.get_xlabel() == "gtm.ttl" and ax.get_ylabel() == "gtm.health_check.failures"
    assert len(ax.texts) == 6
    plt.close(ax.figure)
