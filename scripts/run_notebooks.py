#!/usr/bin/env python3
"""Executes notebooks headless through nbclient, each within a time limit.

    scripts/run_notebooks.py [--timeout 60] [--save] [NOTEBOOK_OR_FOLDER ...]

Runs every notebook given (default: notebooks/*.ipynb) in a fresh kernel with
the notebook's folder as working directory. A notebook fails when a cell
raises (the assertion cells state each notebook's key figures with their
tolerances) or when the whole notebook takes longer than --timeout seconds.
Without --save the notebooks on disk are left untouched (what `make test`
does); with --save the executed notebooks, outputs included, are written back
(how the committed outputs are made).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Optional

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent


class NotebookTimeout(Exception):
    pass


def _on_alarm(signum: int, frame: Optional[FrameType]) -> None:
    raise NotebookTimeout()


def run(path: Path, timeout: float, kernel: str, save: bool) -> tuple[bool, float, str]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=int(timeout),  # per cell; the whole notebook is bounded by the alarm below
        kernel_name=kernel,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        client.execute()
    except NotebookTimeout:
        return False, time.perf_counter() - start, f"took longer than {timeout:g} s"
    except CellExecutionError as e:
        return False, time.perf_counter() - start, str(e)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    took = time.perf_counter() - start
    if save:
        nbformat.write(nb, path)
    return True, took, ""


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, default=[ROOT / "notebooks"])
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds allowed per notebook (default 60)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    parser.add_argument("--save", action="store_true", help="write the executed notebooks, outputs included, back")
    args = parser.parse_args(argv)

    notebooks: list[Path] = []
    for p in args.paths:
        notebooks.extend(sorted(p.glob("*.ipynb")) if p.is_dir() else [p])
    if not notebooks:
        print("run_notebooks: no notebooks found", file=sys.stderr)
        return 1

    # The debugger's frozen-modules notice on Python 3.11 says nothing about the notebooks.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    failures = 0
    for nb in notebooks:
        ok, took, why = run(nb.resolve(), args.timeout, args.kernel, args.save)
        shown = os.path.relpath(nb.resolve(), Path.cwd())
        if ok:
            print(f"run_notebooks: {shown}: ok in {took:.1f} s{' (saved)' if args.save else ''}")
        else:
            failures += 1
            print(f"run_notebooks: {shown}: FAILED after {took:.1f} s: {why}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
