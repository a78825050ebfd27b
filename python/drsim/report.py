"""A self-contained HTML report of a model's run, to share.

``drsim report MODEL --out report.html`` runs this module; from Python:

>>> import drsim.report
>>> html = drsim.report.render(drsim.Scenario.load("models/asm-gtm-drill.json"), replications=20)

The page needs no network to open: the plots are matplotlib figures embedded
as base64 PNG, the styles inline. It holds the question, the headline figures
with their 95 % intervals over the replications, the assumptions and
warnings, the timeline and traffic-split plots, the distribution of the
failed share over replications, the drain curve where there is one, and the
model file itself.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import os
import sys
from typing import Any, Optional, Sequence

import matplotlib

matplotlib.use("Agg")  # a report is drawn without a display

import matplotlib.pyplot as plt  # noqa: E402

from . import plot  # noqa: E402
from .errors import ModelError  # noqa: E402
from .result import Result  # noqa: E402
from .scenario import Scenario  # noqa: E402

#: Figures shown in the headline table, in this order, when the run reports them.
HEADLINE = (
    ("failed_pct", "failed requests", "%"),
    ("refused_pct", "refused", "%"),
    ("timeout_pct", "timed out", "%"),
    ("throttled_pct", "throttled (429) after the fault", "%"),
    ("time_to_detect_s", "time to detect", "s"),
    ("time_to_answer_change_s", "answer changed after", "s"),
    ("failure_window_s", "failure window", "s"),
    ("time_to_drain_s", "time to drain", "s"),
    ("peak_utilization_pct", "peak gateway CPU", "% of request"),
    ("time_to_stable_s", "time to stable", "s"),
)

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; } td, th { padding: .25em .8em; border-bottom: 1px solid #eee; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img.plot { max-width: 100%; border: 1px solid #eee; margin: .5em 0; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: .85em; }
.warning { color: #a40; }
"""


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    # No timestamp or software tag: the same run draws the same bytes.
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(data: str, alt: str) -> str:
    return f'<img class="plot" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _replication_histogram(result: Result) -> Optional[str]:
    frame = result.per_replication
    if "failed_pct" not in frame or len(frame) < 2:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.hist(frame["failed_pct"], bins=min(30, max(5, len(frame) // 3)), color="#4878cf", edgecolor="white")
    mean = result.replications["failed_pct"]["mean"]
    ax.axvline(mean, color="#c44", label=f"mean {mean:.2f} %")
    ax.set_xlabel("failed requests (% of calls)")
    ax.set_ylabel("replications")
    ax.set_title(f"failed share over {len(frame)} replications")
    ax.legend()
    return _png(fig)


def _plot(draw: Any, result: Result) -> Optional[str]:
    ax = draw(result)
    return _png(ax.figure)


def render(
    scenario: Scenario,
    *,
    replications: int = 20,
    seed: int = 1,
    title: Optional[str] = None,
    model_text: Optional[str] = None,
) -> str:
    """Runs ``scenario`` and returns the report as one HTML document."""
    result = scenario.run(seed=seed, replications=replications)
    summary = result.summary
    reps = result.replications
    model = scenario.to_dict()
    question = title or model.get("description") or f"What does the model {scenario.name} predict?"
    esc = html.escape
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>drsim report: {esc(scenario.name)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>drsim report: {esc(scenario.name)}</h1>",
        f'<p class="question"><b>The question.</b> {esc(question)}</p>',
        f"<p>{replications} replication(s), seed {seed}; replication 0 is shown in the plots as one possible drill."
        f" drsim {esc(_version())}.</p>",
        "<h2>Headline figures</h2>",
        "<table><tr><th>figure</th><th>mean</th><th>95 % interval</th><th>replication 0</th><th>unit</th></tr>",
    ]
    rep0 = result.per_replication.iloc[0].to_dict() if len(result.per_replication) else {}
    for key, label, unit in HEADLINE:
        if key not in reps and key not in rep0:
            continue
        ci = reps.get(key)
        mean = f"{ci['mean']:.3f}" if ci else ""
        interval = f"[{ci['lo']:.3f}, {ci['hi']:.3f}]" if ci else ""
        first = rep0.get(key)
        first_text = f"{first:.3f}" if isinstance(first, float) and first == first else ""
        parts.append(
            f'<tr><td>{esc(label)}</td><td class="num">{mean}</td><td class="num">{interval}</td>'
            f'<td class="num">{first_text}</td><td>{esc(unit)}</td></tr>'
        )
    parts.append("</table>")
    codes = summary.get("by_code", {})
    calls = sum(codes.values()) or 1
    parts.append("<p>Replication 0 by fortio code: " + ", ".join(
        f"{esc(str(c))}: {n} ({100 * n / calls:.1f} %)" for c, n in sorted(codes.items(), key=lambda kv: int(kv[0]))
    ) + ".</p>")

    parts.append("<h2>Assumptions and warnings</h2><ul>")
    for key, value in result.assumptions.items():
        parts.append(f"<li><b>{esc(key)}</b>: {esc(value)}</li>")
    parts.append("</ul>")
    warnings = scenario.warnings
    if warnings:
        parts.append("<ul>" + "".join(f'<li class="warning">{esc(w)}</li>' for w in warnings) + "</ul>")
    else:
        parts.append("<p>No warnings.</p>")
    notes = scenario.notes
    if notes:
        parts.append("<h3>Notes from the model</h3><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")

    parts.append("<h2>Timeline (replication 0)</h2>")
    parts.append(_img(_plot(plot.timeline, result), "requests per second by region and outcome"))
    parts.append("<h2>Traffic split (replication 0)</h2>")
    parts.append(_img(_plot(plot.traffic_split, result), "share of requests served by each region"))
    hist = _replication_histogram(result)
    if hist:
        parts.append("<h2>Over the replications</h2>")
        parts.append(_img(hist, "distribution of the failed share over replications"))
    if summary.get("drain_curve"):
        parts.append("<h2>Drain curve (replication 0)</h2>")
        parts.append(_img(_plot(plot.drain_curve, result), "share still sent to the removed address"))

    parts.append("<h2>The model file</h2>")
    text = model_text if model_text is not None else json.dumps(model, indent=2)
    parts.append(f"<pre>{esc(text)}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="drsim report", description="a self-contained HTML report of a model's run")
    p.add_argument("model")
    p.add_argument("--out", required=True)
    p.add_argument("--replications", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    p.add_argument("--title")
    args = p.parse_args(argv)
    try:
        sc = Scenario.load(args.model)
        overrides = {}
        for kv in args.set:
            path, _, value = kv.partition("=")
            overrides[path] = value
        if overrides:
            sc = sc.with_overrides(overrides)
        with open(args.model, encoding="utf-8") as f:
            model_text = f.read()
        page = render(sc, replications=args.replications, seed=args.seed, title=args.title, model_text=model_text)
    except ModelError as e:
        print(f"drsim: bad model: {e}", file=sys.stderr)
        return 2
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, args.out)
    print(f"drsim: wrote {args.out} ({len(page) // 1024} KB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
