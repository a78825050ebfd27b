"""Shared fixtures: the checkout's models, the CLI, and a headless matplotlib."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import matplotlib
import pytest

matplotlib.use("Agg")

import drsim  # noqa: E402  (after choosing the backend)

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
DRILL = MODELS / "asm-gtm-drill.json"
CACHED_RR = MODELS / "asm-gtm-drill-cached-rr.json"
BAD_MODELS = ROOT / "tests" / "models" / "bad"
MANIFESTS = Path(__file__).resolve().parent / "manifests"


@pytest.fixture(scope="session")
def drill() -> drsim.Scenario:
    return drsim.Scenario.load(DRILL)


#: Gateway fields that switch on the capacity model (pods, rate limit, HPA).
CAPACITY_FIELDS = ("replicas", "pod", "cpu_request", "rejected_cpu_share", "rate_limit", "hpa")


@pytest.fixture(scope="session")
def bare_drill(drill: drsim.Scenario) -> drsim.Scenario:
    """The drill with no gateway capacity model: gateways that always serve."""
    d = drill.to_dict()
    for region in d["regions"]:
        for key in CAPACITY_FIELDS:
            region["gateway"].pop(key, None)
    return drsim.Scenario.from_dict(d, name="bare-drill")


@pytest.fixture(scope="session")
def drill_result(drill: drsim.Scenario) -> drsim.Result:
    """The seed drill, seed 1, one replication (shared: results are read-only)."""
    return drill.run(seed=1)


@pytest.fixture(scope="session")
def cli_path() -> Path:
    """The built CLI: $DRSIM_CLI, else build/bin/drsim of this checkout."""
    exe = Path(os.environ.get("DRSIM_CLI", ROOT / "build" / "bin" / "drsim"))
    if not exe.is_file():
        pytest.skip(f"the drsim CLI is not built at {exe} (make build, or set DRSIM_CLI)")
    return exe


@pytest.fixture(scope="session")
def cli(cli_path: Path) -> Callable[..., Any]:
    """Runs `drsim run ... --format F` with the built CLI; JSON formats come back parsed."""
    exe = cli_path

    def run(*args: str, fmt: str = "json") -> Any:
        out = subprocess.run([str(exe), "run", *args, "--format", fmt], check=True, capture_output=True, text=True)
        return json.loads(out.stdout) if fmt in ("json", "fortio-json") else out.stdout

    return run
