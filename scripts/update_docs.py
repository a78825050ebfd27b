#!/usr/bin/env python3
"""Regenerates the command outputs shown in the docs, so they show what the current code prints.

A fenced block whose first line starts with "$ " is a transcript: each "$ " line
is a command (continued on the next line after a trailing backslash), run with
bash from the checkout's root (stdout and stderr together), and the lines after
it, up to the next command, are its output.

    scripts/update_docs.py           rewrite the outputs in README.md and docs/*.md, redraw docs/img/
    scripts/update_docs.py --check   exit 1 and show the difference when one is stale (a test runs this)

The CLI must be built (build/bin/drsim, or $DRSIM_CLI's folder first on PATH).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```[a-z]*\n(\$ .*?)^```\n", re.S | re.M)


def run(command: str) -> str:
    env = dict(os.environ, COLUMNS="100", LC_ALL="C.UTF-8")
    env.pop("DRSIM_UPDATE_GOLDEN", None)
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=600)
    out = done.stdout  # stderr merged in the order it was written
    if done.returncode not in (0, 2, 99):  # 2 and 99 are outputs the docs show (bad model, threshold)
        raise SystemExit(f"update_docs: `{command}` failed with exit {done.returncode}:\n{out}")
    return out if out.endswith("\n") or not out else out + "\n"


def commands_of(block: str) -> list[list[str]]:
    """The commands of a transcript, each as its lines ("$ cmd \\" continues on the next line)."""
    commands: list[list[str]] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("$ "):
            command = [lines[i]]
            while command[-1].endswith("\\") and i + 1 < len(lines):
                i += 1
                command.append(lines[i])
            commands.append(command)
        i += 1
    return commands


def regenerate(block: str) -> str:
    out = []
    for command in commands_of(block):
        text = "\n".join(command)
        out.append(text + "\n" + run(text[2:]))
    return "".join(out)


def redraw_images() -> None:
    """docs/img/drill-timeline.png: replication 0 of the shipped drill, seed 1 (not compared by --check:
    PNG bytes depend on the matplotlib version)."""
    sys.path[:0] = [str(ROOT / "python"), str(ROOT / "build" / "python")]
    import matplotlib

    matplotlib.use("Agg")
    import drsim

    ax = drsim.plot.timeline(drsim.models.load("asm-gtm-drill").run(seed=1))
    ax.figure.savefig(ROOT / "docs" / "img" / "drill-timeline.png", dpi=80)
    print("update_docs: docs/img/drill-timeline.png redrawn")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when an output is stale")
    args = parser.parse_args()
    stale = []
    for doc in DOCS:
        text = doc.read_text()
        new = FENCE.sub(lambda m: m.group(0).replace(m.group(1), regenerate(m.group(1))), text)
        if new == text:
            continue
        stale.append(doc)
        if args.check:
            rel = str(doc.relative_to(ROOT))
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True), rel, rel + " (now)"))
        else:
            doc.write_text(new)
            print(f"update_docs: {doc.relative_to(ROOT)} regenerated")
    if not args.check:
        redraw_images()
    if args.check and stale:
        print(f"\nupdate_docs: stale outputs in {', '.join(str(d.relative_to(ROOT)) for d in stale)}; "
              "run scripts/update_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
