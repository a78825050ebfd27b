"""The shipped models come with the package, and `python -m drsim` is the CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

import drsim


def test_every_shipped_model_is_listed_and_loads():
    names = drsim.models.names()
    assert "asm-gtm-drill" in names
    for name in names:
        assert drsim.models.path(name).is_file()
        assert drsim.models.path(name + ".json") == drsim.models.path(name)
        drsim.models.load(name)  # every shipped model is valid


def test_a_misspelt_model_name_gets_a_did_you_mean():
    with pytest.raises(ValueError, match='did you mean "asm-gtm-drill"'):
        drsim.models.path("asm-gtm-dril")


def test_python_m_drsim_is_the_cli_with_its_exit_codes():
    run = subprocess.run([sys.executable, "-m", "drsim", "version"], capture_output=True, text=True)
    assert run.returncode == 0
    assert run.stdout == f"drsim {drsim.__version__}\n"
    bare = subprocess.run([sys.executable, "-m", "drsim"], capture_output=True, text=True)
    assert bare.returncode == 2 and "usage: drsim" in bare.stderr
    out = subprocess.run([sys.executable, "-m", "drsim", "run", str(drsim.models.path("asm-gtm-drill")), "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0
    assert drsim.models.load("asm-gtm-drill").run(seed=1).to_json() == out.stdout.strip()
