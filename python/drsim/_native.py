"""Finds and imports the compiled ``_drsim`` extension.

Installed by pip, the extension sits inside this package (``drsim/_drsim*.so``).
In a source checkout it is built by ``make build`` into ``build/python/``; this
module finds it there, or on ``sys.path`` (``PYTHONPATH=python:build/python``),
or in the folder named by the ``DRSIM_BUILD_DIR`` environment variable
(``$DRSIM_BUILD_DIR/python``).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType


def _candidate_dirs() -> list[Path]:
    dirs: list[Path] = []
    env = os.environ.get("DRSIM_BUILD_DIR")
    if env:
        dirs.append(Path(env) / "python")
    # python/drsim/_native.py -> the checkout's build/python
    dirs.append(Path(__file__).resolve().parent.parent.parent / "build" / "python")
    return dirs


def _load_from(directory: Path) -> ModuleType | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = directory / f"_drsim{suffix}"
        if candidate.is_file():
            spec = importlib.util.spec_from_file_location("_drsim", candidate)
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            sys.modules["_drsim"] = module
            spec.loader.exec_module(module)
            return module
    return None


def load() -> ModuleType:
    """Returns the ``_drsim`` extension module, wherever it was built or installed."""
    try:
        return importlib.import_module("drsim._drsim")
    except ImportError:
        pass
    try:
        return importlib.import_module("_drsim")
    except ImportError:
        pass
    for directory in _candidate_dirs():
        module = _load_from(directory)
        if module is not None:
            return module
    searched = ", ".join(str(d) for d in _candidate_dirs())
    raise ImportError(
        "drsim: the compiled extension _drsim was not found (searched the drsim package, "
        f"sys.path and {searched}). Build it with `make build`, or install the package "
        "with `pip install --no-build-isolation .`."
    )


native = load()
