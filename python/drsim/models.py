"""The model files drsim ships (models/*.json), wherever drsim is installed.

>>> import drsim
>>> drsim.models.names()
['asm-gtm-drill', 'asm-gtm-drill-cached-rr', ...]
>>> drill = drsim.Scenario.load(drsim.models.path("asm-gtm-drill"))
>>> drill = drsim.models.load("asm-gtm-drill")  # the same

pip puts them in the package (``drsim/model_files``); from a checkout they
are the checkout's ``models/``.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .scenario import Scenario


def directory() -> Path:
    """The folder holding the shipped model files."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "model_files", here.parents[1] / "models"):
        if any(candidate.glob("*.json")):
            return candidate
    raise FileNotFoundError(f"drsim ships no model files here ({here / 'model_files'} is missing)")


def names() -> list[str]:
    """The shipped models' names (file names without .json), sorted."""
    return _names_in(directory())


def _names_in(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.json"))


def path(name: str) -> Path:
    """The file of the shipped model `name` ("asm-gtm-drill" or "asm-gtm-drill.json")."""
    stem = name[:-5] if name.endswith(".json") else name
    folder = directory()  # looked up once: the names and the file come from the same folder
    known = _names_in(folder)
    if stem not in known:
        close = difflib.get_close_matches(stem, known, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        raise ValueError(f'no shipped model "{name}"{hint}; shipped: {", ".join(known)}')
    return folder / f"{stem}.json"


def load(name: str) -> "Scenario":
    """The shipped model `name` as a Scenario."""
    from .scenario import Scenario

    return Scenario.load(path(name))
