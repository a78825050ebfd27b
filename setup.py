"""Builds the `_drsim` extension with the project's own CMake build, for pip.

    python3 -m venv --system-site-packages /tmp/v
    /tmp/v/bin/pip install --no-build-isolation .

The metadata lives in pyproject.toml; this file only teaches setuptools to run
CMake (in build-python/, never build/, which belongs to `make`) and to put the
built module into the package as drsim/_drsim*.so. Set DRSIM_PIP_BUILD_DIR to
build elsewhere, DRSIM_PIP_JOBS to limit parallel compile jobs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    """An extension whose sources CMake knows (python/CMakeLists.txt)."""

    def __init__(self, name: str) -> None:
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    """Configures and builds the `_drsim` CMake target, then copies the module into the package."""

    def build_extension(self, ext: Extension) -> None:
        build_dir = Path(os.environ.get("DRSIM_PIP_BUILD_DIR", ROOT / "build-python")).resolve()
        # The real interpreter behind a venv: its headers and extension suffix.
        python = os.path.realpath(sys.executable)
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            "-DDRSIM_BUILD_PYTHON=ON", "-DDRSIM_BUILD_TESTS=OFF", "-DDRSIM_BUILD_CLI=ON",
            "-DDRSIM_BUILD_BENCH=OFF", "-DDRSIM_INSTALL=OFF",
            f"-DPython3_EXECUTABLE={python}",
        ]
        # DRSIM_PGO=OFF skips the profile-guided build (its instrumented build and training run).
        if os.environ.get("DRSIM_PGO"):
            configure.append(f"-DDRSIM_PGO={os.environ['DRSIM_PGO']}")
        if not (build_dir / "CMakeCache.txt").exists() and shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        jobs = os.environ.get("DRSIM_PIP_JOBS", str(os.cpu_count() or 1))
        subprocess.check_call(configure)
        subprocess.check_call(["cmake", "--build", str(build_dir), "--target", "_drsim", "drsim_cli", "-j", jobs])

        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        built = build_dir / "python" / f"_drsim{suffix}"
        if not built.is_file():
            found = sorted((build_dir / "python").glob("_drsim*"))
            raise RuntimeError(f"CMake built no {built.name} in {build_dir / 'python'} (found {[p.name for p in found]})")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, target)
        # The CLI itself, run by the `drsim` console script (drsim/__main__.py):
        # the same binary as build/bin/drsim, so the same bytes for the same run.
        cli = target.parent / "_bin" / "drsim"
        cli.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(build_dir / "bin" / "drsim", cli)


class BuildPyWithModels(build_py):
    """Ships models/ (models, observed drills, compare plans) in the package: drsim.models.path("asm-gtm-drill")."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "drsim" / "model_files"
        target.mkdir(parents=True, exist_ok=True)
        # Every file under models/: the models, the observed drills (drsim.calibrate's worked
        # example) and the compare plans (drsim compare finds compare/ beside its model).
        for source in sorted((ROOT / "models").rglob("*")):
            if source.is_file():
                dest = target / source.relative_to(ROOT / "models")
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest)


# setuptools' own staging (build/lib.*, build/bdist.*, *.egg-info) goes under
# build-python/ too: build/ is make's, and python/ stays a clean source folder.
(ROOT / "build-python").mkdir(exist_ok=True)
setup(
    ext_modules=[CMakeExtension("drsim._drsim")],
    cmdclass={"build_ext": CMakeBuild, "build_py": BuildPyWithModels},
    options={"build": {"build_base": "build-python/setuptools"}, "egg_info": {"egg_base": "build-python"}},
)
