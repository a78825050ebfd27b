"""drsim.calibrate gives drsim calibrate's answer, from counts, files or a fortio result."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import drsim
from conftest import DRILL, ROOT

SEEN = ROOT / "models" / "observed" / "seed-drill.txt"
GRID = {"gtm.ttl": ["60s", "300s"], "gtm.health_check.interval": ["15s", "60s"]}


def test_calibrate_is_the_clis_answer(cli_path: Path, drill: drsim.Scenario) -> None:
    cal = drsim.calibrate(drill, SEEN, grid=GRID, replications=6, seed=3)
    args = [str(cli_path), "calibrate", str(DRILL), "--observed", str(SEEN), "--replications", "6", "--seed", "3",
            "--json", "--quiet"]
    for path, values in GRID.items():
        args += ["--grid", f"{path}={','.join(values)}"]
    cli = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    assert cal.document["posterior"] == cli["posterior"]
    assert cal.map == cli["map"]
    frame = cal.posterior
    assert list(frame.columns) == ["gtm.ttl", "gtm.health_check.interval", "probability", "in_credible_set"]
    assert frame["probability"].sum() == pytest.approx(1.0, abs=1e-5)


def test_calibrate_takes_counts_and_fortio_results(drill: drsim.Scenario) -> None:
    by_counts = drsim.calibrate(drill, {200: 25800, -1: 4200}, grid={"gtm.ttl": ["60s", "300s"]}, replications=4)
    fortio = drill.run(seed=5).fortio_json()  # a parsed fortio result, as json.load would give
    by_fortio = drsim.calibrate(drill, fortio, grid={"gtm.ttl": ["60s", "300s"]}, replications=4)
    assert by_counts.document["observed"]["calls"] == 30000
    assert by_fortio.document["observed"]["calls"] == sum(fortio["RetCodes"].values())


def test_posterior_plot_marks_the_credible_set(drill: drsim.Scenario) -> None:
    cal = drsim.calibrate(drill, {200: 25800, -1: 4200}, grid={"gtm.ttl": ["60s", "300s"]}, replications=4,
                          progress=False)
    ax = drsim.plot.posterior(cal)
    assert len(ax.patches) == 2
    assert sum(p.get_height() for p in ax.patches) == pytest.approx(1.0, abs=1e-5)


def test_fortio_formats_are_the_clis_bytes(cli: Any, drill: drsim.Scenario) -> None:
    r = drill.run(seed=4, replications=3)
    assert r.fortio_summary() == cli(str(DRILL), "--seed", "4", "--replications", "3", "--quiet", fmt="fortio")
    assert r.fortio_json() == cli(str(DRILL), "--seed", "4", "--replications", "3", "--quiet", fmt="fortio-json")


def test_prediction_is_the_clis(cli_path: Path, drill: drsim.Scenario) -> None:
    cal = drsim.calibrate(drill, SEEN, grid={"gtm.ttl": ["60s", "300s"]}, replications=4, progress=False,
                          predict={"gtm.health_check.failures": 1})
    args = [str(cli_path), "calibrate", str(DRILL), "--observed", str(SEEN), "--grid", "gtm.ttl=60s,300s",
            "--replications", "4", "--predict", "gtm.health_check.failures=1", "--json", "--quiet"]
    cli = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    assert cal.prediction == cli["prediction"]
    assert cal.prediction["interval95"][0] <= cal.prediction["median"] <= cal.prediction["interval95"][1]
