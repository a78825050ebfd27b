"""drsim.plot: every figure draws from a Result, labels its axes with units and marks what happened."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import drsim
from conftest import MODELS


@pytest.fixture(autouse=True)
def close_figures() -> None:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def with_gateways(bare_drill: drsim.Scenario) -> drsim.Result:
    """The drill with a capacity model and an HPA on both gateways, so replicas exist."""
    overrides = {}
    for region in bare_drill.region_names:
        gw = f"regions.{region}.gateway."
        overrides.update({gw + "replicas": 2, gw + "cpu_request": "100m", gw + "hpa.min_replicas": 1, gw + "hpa.max_replicas": 6})
    return bare_drill.with_overrides(overrides).run(seed=1)


def legend_labels(ax: plt.Axes) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def test_timeline_plots_ok_and_failed_per_region_and_marks_fault_detection_answer(drill_result: drsim.Result) -> None:
    ax = drsim.plot.timeline(drill_result)
    assert ax.get_xlabel() == "time since start (s)"
    assert "(1/s)" in ax.get_ylabel()
    labels = legend_labels(ax)
    for expected in ("region-1 ok", "region-2 ok", "region-2 failed", "fault", "GTM: address unhealthy", "GTM: answer changed"):
        assert expected in labels
    assert "region-1 failed" not in labels  # region-1 never failed a request
    fault_line = next(line for line in ax.get_lines() if line.get_label() == "fault")
    assert fault_line.get_xdata()[0] == pytest.approx(drill_result.summary["fault_at_s"], abs=1e-6)
    assert ax.get_xlim() == (0, 300)  # the load's 300 s, not the series' tail


def test_timeline_events_never_look_like_a_regions_failed_line(drill_result: drsim.Result) -> None:
    import matplotlib.colors as mcolors

    ax = drsim.plot.timeline(drill_result)
    lines = {line.get_label(): line for line in ax.get_lines()}

    def look(line):  # what the eye compares: colour and dash pattern
        return (mcolors.to_hex(line.get_color()), str(line.get_linestyle()), str(line._dash_pattern))

    failed = {look(line) for label, line in lines.items() if label.endswith(" failed")}
    assert failed
    for label in ("fault", "GTM: address unhealthy", "GTM: answer changed"):
        assert look(lines[label]) not in failed, label
        assert mcolors.to_hex(lines[label].get_color()) not in {c[0] for c in failed}, label


def test_timeline_draws_on_a_given_axes(drill_result: drsim.Result) -> None:
    fig, axes = plt.subplots(2, 1)
    assert drsim.plot.timeline(drill_result, ax=axes[1]) is axes[1]
    assert not axes[0].get_lines()


def test_traffic_split_stacks_shares_to_100_percent(drill_result: drsim.Result) -> None:
    ax = drsim.plot.traffic_split(drill_result)
    assert ax.get_ylabel() == "share of requests started (%)"
    assert ax.get_ylim() == (0, 100)
    assert legend_labels(ax)[:3] == ["ok via region-1", "ok via region-2", "failed"]


def test_latency_marks_the_percentiles_in_milliseconds(drill_result: drsim.Result) -> None:
    ax = drsim.plot.latency(drill_result)
    assert ax.get_xlabel() == "latency (ms, log scale)" and ax.get_xscale() == "log"
    p99 = drill_result.latency_quantiles([0.99])[0.99]
    assert f"p99 = {p99 * 1e3:.2f} ms" in legend_labels(ax)


def test_replicas_without_a_capacity_model_says_so_and_does_not_fail(bare_drill: drsim.Scenario) -> None:
    result = bare_drill.run(seed=1)
    with pytest.warns(UserWarning, match="no replica data"):
        ax = drsim.plot.replicas(result)
    assert any("no replica data" in t.get_text() for t in ax.texts)
    assert drsim.plot.replica_counts(result).empty


def test_replicas_plots_ready_and_desired_per_region(with_gateways: drsim.Result) -> None:
    ax = drsim.plot.replicas(with_gateways)
    assert ax.get_ylabel() == "gateway replicas (pods)"
    assert {"region-1 ready", "region-1 desired", "region-2 ready"} <= set(legend_labels(ax))
    counts = drsim.plot.replica_counts(with_gateways)
    assert set(counts["region"]) == {"region-1", "region-2"}
    during_load = counts[counts["second"] < 300]
    # The surviving region always has a ready pod; the deleted Deployment has none after the fault.
    assert (during_load.loc[during_load["region"] == "region-1", "replicas_ready"] >= 1).all()
    fault_at = with_gateways.summary["fault_at_s"]
    after = during_load[(during_load["region"] == "region-2") & (during_load["second"] > fault_at + 1)]
    assert (after["replicas_ready"] == 0).all()


def test_timeline_marks_scale_events_and_alerts_when_there_are_some() -> None:
    spike = MODELS / "surviving-region-spike.json"
    if not spike.exists():
        pytest.skip("models/surviving-region-spike.json is not in this checkout")
    result = drsim.Scenario.load(spike).with_overrides({"clients.users.load.duration": "15m"}).run(seed=1)
    events = set(result.events["event"])
    ax = drsim.plot.timeline(result)
    labels = legend_labels(ax)
    assert ("scale_up" in events) == ("HPA scale event" in labels)
    assert ("alert_firing" in events) == ("alert firing" in labels)
    assert "scale_up" in events


def test_heatmap_annotates_every_cell_in_the_order_given() -> None:
    frame = pd.DataFrame(
        {"ttl": ["10s", "60s", "10s", "60s"], "interval": ["15s", "15s", "30s", "30s"], "failed_pct": [1.0, 2.0, 3.0, 4.0]}
    )
    ax = drsim.plot.heatmap(frame, x="ttl", y="interval", value="failed_pct", label="failed (%)")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10s", "60s"]
    assert sorted(t.get_text() for t in ax.texts) == ["1.0", "2.0", "3.0", "4.0"]


def test_drain_curve_plots_requests_and_clients_from_the_answer_change(drill_result: drsim.Result) -> None:
    # The drill's answer drops gw-2: half the calls go there until the resolver's copy expires (60-61 s
    # after the answer changed, unbound's whole-second rule), none after.
    drain = drill_result.drain
    assert list(drain.columns) == ["t_s", "requests", "requests_old", "clients_old"]
    assert drain.loc[drain["t_s"] < 30, "requests_old"].between(0.45, 0.55).all()
    assert (drain.loc[drain["t_s"] >= 62, "requests_old"] == 0).all()
    points = drill_result.summary["drain_curve"]
    assert [p["t_s"] for p in points][:4] == [0, 5, 10, 20]
    ax = drsim.plot.drain_curve(drill_result)
    assert len(ax.get_lines()) == 4
    assert "removed address" in ax.get_ylabel()
