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
# The packaging is checked, not the speed: no profile-guided build here (make test builds one).
DRSIM_PGO=OFF "$venv/bin/pip" install --quiet --no-build-isolation --no-index --disable-pip-version-check "$root"

cd "$venv"   # away from python/, so the import can only find the installed package
"$venv/bin/python" - "$root/models/asm-gtm-drill.json" <<'PY'
import sys
from pathlib import Path

import drsim

location = Path(drsim.__file__).resolve()
assert "site-packages" in str(location), f"drsim imported from {location}, not the venv"
# The shipped models come with the package, the same bytes as the checkout's.
packaged = drsim.models.path("asm-gtm-drill")
assert "site-packages" in str(packaged.resolve()), packaged
assert packaged.read_bytes() == Path(sys.argv[1]).read_bytes()
result = drsim.models.load("asm-gtm-drill").run(seed=1, replications=4)
summary = result.summary
assert summary["requests"] == 30_000, summary
assert result.series["sent"].sum() == summary["ok"] + summary["failed"]
print(f"check_pip_install: drsim {drsim.__version__} from {location.parent}: "
      f"drill seed 1 failed {summary['failed_pct']:.2f} % of {summary['requests']} requests")
PY

# The console script is the CLI: the same bytes as the checkout's build for the same run.
"$venv/bin/drsim" --help >/dev/null
installed=$("$venv/bin/drsim" run "$root/models/asm-gtm-drill.json" --seed 3 --json)
if [ -x "$root/build/bin/drsim" ]; then
  built=$("$root/build/bin/drsim" run "$root/models/asm-gtm-drill.json" --seed 3 --json)
  [ "$installed" = "$built" ] || { echo "check_pip_install: the console script's result differs from build/bin/drsim" >&2; exit 1; }
fi
set +e
"$venv/bin/drsim" run "$root/tests/models/bad/unknown_field.json" 2>/dev/null
code=$?
set -e
[ "$code" -eq 2 ] || { echo "check_pip_install: a bad model gave exit $code from the console script, expected 2" >&2; exit 1; }
echo "check_pip_install: the drsim console script runs the CLI ($(command -v "$venv/bin/drsim"))"
