"""The command outputs in README.md and docs/*.md are what the current code prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_every_transcript_in_the_docs_is_current() -> None:
    if not (ROOT / "build" / "bin" / "drsim").exists():
        pytest.skip("build/bin/drsim is not built (make build)")
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "update_docs.py"), "--check"], cwd=ROOT,
                           capture_output=True, text=True, env=dict(os.environ), timeout=900)
    assert check.returncode == 0, check.stdout[-4000:] + check.stderr
