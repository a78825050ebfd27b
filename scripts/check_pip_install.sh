#!/usr/bin/env bash
# CI: `pip install .` works offline in a fresh virtual environment that sees
# Debian's numpy, pandas and matplotlib (--system-site-packages), builds the
# extension through CMake in build-python/, and the installed package runs a
# scenario from outside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
python=${PYTHON:-/usr/bin/python3}
venv=$(mktemp -d /tmp/drsim-venv.XXXXXX)
trap 'rm -rf "$venv"' EXIT

"$python" -m venv --system-site-packages "$venv"
"$venv/bin/pip" install --quiet --no-build-isolation --no-index --disable-pip-version-check "$root"

cd "$venv"   # away from python/, so the import can only find the installed package
"$venv/bin/python" - "$root/models/asm-gtm-drill.json" <<'PY'
import sys
from pathlib import Path

import drsim

location = Path(drsim.__file__).resolve()
assert "site-packages" in str(location), f"drsim imported from {location}, not the venv"
result = drsim.Scenario.load(sys.argv[1]).run(seed=1, replications=4)
summary = result.summary
assert summary["requests"] == 30_000, summary
assert result.series["sent"].sum() == summary["ok"] + summary["failed"]
print(f"check_pip_install: drsim {drsim.__version__} from {location.parent}: "
      f"drill seed 1 failed {summary['failed_pct']:.2f} % of {summary['requests']} requests")
PY
