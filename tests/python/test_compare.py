"""drsim.compare: architectures x faults, with common random numbers."""

from __future__ import annotations

from pathlib import Path

import drsim
from drsim.compare import ARCHITECTURES, FAULTS, compare, fewer

MODEL = Path(__file__).resolve().parents[2] / "models" / "asm-mesh-locality-failover.json"


def test_compare_gives_one_row_per_fault_and_architecture() -> None:
    faults = {"app pods down": FAULTS["app pods down"]}
    table = compare(drsim.Scenario.load(MODEL), faults=faults, replications=3)
    assert list(table["architecture"]) == list(ARCHITECTURES)
    assert set(table.columns) == {"fault", "architecture", "failed_pct", "lo", "hi", "ejections", "retries"}
    assert (table["lo"] <= table["failed_pct"]).all() and (table["failed_pct"] <= table["hi"]).all()
    # The app dies behind a live gateway: only the mesh fails over.
    assert fewer(table, "app pods down", "B", "A")
    assert table.set_index("architecture").loc["A", "ejections"] == 0


def test_mesh_results_name_the_503_kinds() -> None:
    result = drsim.Scenario.load(MODEL).run(seed=1)
    summary = result.summary
    assert set(drsim.MESH_CAUSES) <= set(summary["by_cause"])
    assert summary["ejections"] >= 1 and summary["retries"] >= 1
    assert set(drsim.MESH_CAUSES) <= set(result.series.columns)
    assert {"ejected", "eds_push"} <= set(result.events["event"])
