"""The ``drsim`` console script (and ``python -m drsim``): the C++ command-line tool.

pip installs the CLI binary inside the package (``drsim/_bin/drsim``, built
from the same sources as ``build/bin/drsim``); from a checkout the script
uses ``$DRSIM_CLI`` or the checkout's ``build/bin/drsim``. Arguments, output
and exit codes are the binary's own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def cli_path() -> Path:
    """Where the drsim binary is: $DRSIM_CLI, the installed package's, or the checkout's build."""
    env = os.environ.get("DRSIM_CLI")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve().parent
    candidates += [here / "_bin" / "drsim", here.parents[1] / "build" / "bin" / "drsim"]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError(
        "drsim: no CLI binary found (looked at " + ", ".join(str(c) for c in candidates)
        + "); install the package with pip, or build the checkout with `make`"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        binary = cli_path()
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(str(binary), ["drsim", *args])
    return 0  # not reached: execv replaces the process


if __name__ == "__main__":
    sys.exit(main())
