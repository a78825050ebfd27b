"""Committed notebooks show outputs a reader can trust: no paths of the machine that ran them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
# An absolute path into a home, a temporary folder, a checkout or site-packages.
MACHINE_PATH = re.compile(r"(/(home|root|tmp|work|usr/lib/python3[^/]*/site-packages)/|[A-Z]:\\\\Users\\\\)")


def output_text(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append("".join(out.get("text", "")))
        for kind, value in out.get("data", {}).items():
            if not kind.startswith("image/"):
                parts.append("".join(value) if isinstance(value, list) else str(value))
        parts.append("".join(out.get("traceback", [])))
    return "\n".join(parts)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_outputs_hold_no_machine_paths(notebook: Path) -> None:
    cells = json.loads(notebook.read_text())["cells"]
    for i, cell in enumerate(cells):
        match = MACHINE_PATH.search(output_text(cell))
        assert match is None, f"{notebook.name} cell {i} output shows a machine path near {match.group(0)!r}"
