"""drsim.Scenario: loading, dicts, overrides by path (as the CLI's --set), and model errors."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
from pathlib import Path

import pytest

import drsim
from conftest import BAD_MODELS, CACHED_RR, DRILL


def test_load_reads_the_model_and_its_regions(drill: drsim.Scenario) -> None:
    assert drill.name == "asm-gtm-drill"
    assert drill.file == str(DRILL)
    assert drill.region_names == ["region-1", "region-2"]
    assert any("fortio" in note for note in drill.notes)
    assert drill.assumptions["ttl"].startswith("1m")


def test_load_accepts_a_pathlib_path() -> None:
    assert drsim.Scenario.load(CACHED_RR).name == "asm-gtm-drill-cached-rr"


def test_to_dict_and_from_dict_round_trip(drill: drsim.Scenario) -> None:
    d = drill.to_dict()
    assert d == json.loads(DRILL.read_text())
    again = drsim.Scenario.from_dict(d)
    assert again.to_dict() == d
    assert again.file == "<dict>"
    # Same document, same seed: the same numbers.
    assert again.run(seed=3).to_json() == drill.run(seed=3).to_json()


def test_to_dict_is_a_copy(drill: drsim.Scenario) -> None:
    d = drill.to_dict()
    d["gtm"]["ttl"] = "1s"
    assert drill.to_dict()["gtm"]["ttl"] == "60s"


def test_from_dict_edits_a_model_like_a_file() -> None:
    d = json.loads(DRILL.read_text())
    d["clients"][0]["profile"] = "java"
    sc = drsim.Scenario.from_dict(d, name="java-drill")
    assert sc.file == "java-drill"
    assert sc.assumptions["client fortio"].startswith("java")


def test_with_overrides_returns_a_new_scenario_and_leaves_the_old_one(drill: drsim.Scenario) -> None:
    faster = drill.with_overrides({"gtm.ttl": "10s", "gtm.health_check.interval": "30s", "gtm.health_check.failures": 2})
    assert faster is not drill
    assert faster.to_dict()["gtm"]["ttl"] == "10s"
    assert faster.to_dict()["gtm"]["health_check"] == {**drill.to_dict()["gtm"]["health_check"], "interval": "30s", "failures": 2}
    assert drill.to_dict()["gtm"]["ttl"] == "60s"


def test_overrides_that_only_make_sense_together_apply_in_any_order(bare_drill: drsim.Scenario) -> None:
    # Checked one by one (as chained --set options are), an HPA on a gateway without
    # replicas is an error; checked as a whole, the model is valid.
    gw = "regions.region-1.gateway."
    hpa_first = {gw + "hpa.min_replicas": 4, gw + "hpa.max_replicas": 12, gw + "replicas": 4}
    replicas_first = dict(reversed(list(hpa_first.items())))
    a, b = bare_drill.with_overrides(hpa_first), bare_drill.with_overrides(replicas_first)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict()["regions"][0]["gateway"]["hpa"] == {"min_replicas": 4, "max_replicas": 12}
    with pytest.raises(drsim.ModelError) as info:
        bare_drill.with_overrides({gw + "hpa.max_replicas": 12})
    assert info.value.path == "regions[0].gateway.replicas"


def test_override_values_are_read_as_the_cli_reads_them() -> None:
    # A str goes through as the CLI's text (JSON if it parses, else a plain string);
    # anything else becomes JSON.
    assert drsim.override_text("30s") == "30s"
    assert drsim.override_text("3") == "3"
    assert drsim.override_text(3) == "3"
    assert drsim.override_text(True) == "true"
    assert drsim.override_text(0.5) == "0.5"
    assert drsim.override_text([1, "a"]) == '[1, "a"]'
    assert drsim.override_text({"uniform": ["100s", "200s"]}) == '{"uniform": ["100s", "200s"]}'


def test_arrays_are_entered_by_element_name(drill: drsim.Scenario) -> None:
    sc = drill.with_overrides({"clients.fortio.profile": "curl", "regions.region-2.gateway.address": "gw-b"})
    d = sc.to_dict()
    assert d["clients"][0]["profile"] == "curl"
    assert d["regions"][1]["gateway"]["address"] == "gw-b"


def test_scenarios_pickle_and_copy(drill: drsim.Scenario) -> None:
    sc = drill.with_overrides({"gtm.ttl": "30s"})
    back = pickle.loads(pickle.dumps(sc))
    assert back.to_dict() == sc.to_dict()
    assert back.file == sc.file
    assert copy.deepcopy(sc) is sc  # immutable: copies are the object itself


def test_every_client_preset_loads(drill: drsim.Scenario) -> None:
    assert "fortio-cached-rr" in drsim.CLIENT_PRESETS and "java" in drsim.CLIENT_PRESETS
    for preset in drsim.CLIENT_PRESETS:
        sc = drill.with_overrides({"clients.fortio.profile": preset})
        assert sc.assumptions["client fortio"].startswith(preset)


# -- errors ---------------------------------------------------------------------------

BAD_MODEL_FILES = sorted(BAD_MODELS.glob("*.json"))


@pytest.mark.parametrize("file", BAD_MODEL_FILES, ids=[f.name for f in BAD_MODEL_FILES])
def test_every_bad_model_raises_the_model_error_the_cli_reports(file: Path, cli_path: Path) -> None:
    # The CLI prints "drsim: bad model: <the ModelError's message>" and exits 2.
    cli = subprocess.run([str(cli_path), "run", str(file)], capture_output=True, text=True)
    assert cli.returncode == 2
    with pytest.raises(drsim.ModelError) as info:
        drsim.Scenario.load(file)
    e = info.value
    assert cli.stderr.strip() == f"drsim: bad model: {e}"
    assert e.file == str(file)
    assert e.path and e.expected and e.found
    assert str(e).startswith(f"{file}: {e.path}: expected {e.expected}, found {e.found}")


@pytest.mark.parametrize(
    "name,path,words",
    [
        ("wrong_type.json", "gtm.health_check.failures", 'string "three"'),
        ("unknown_field.json", "gtm.health_check.intervall", 'did you mean "interval"'),
        ("missing_region.json", "gtm.pools.primary[1]", "region-3"),
        ("syntax_error.json", "line ", "valid JSON"),
    ],
)
def test_a_bad_model_error_names_the_json_path_expected_and_found(name: str, path: str, words: str) -> None:
    with pytest.raises(drsim.ModelError) as info:
        drsim.Scenario.load(BAD_MODELS / name)
    e = info.value
    assert e.path.startswith(path)
    assert words in f"{e.expected} {e.found} {e.hint}"


def test_model_error_is_a_value_error_exported_by_the_package() -> None:
    assert issubclass(drsim.ModelError, ValueError)
    assert drsim.ModelError.__module__ == "drsim"


def test_a_missing_file_raises_model_error() -> None:
    with pytest.raises(drsim.ModelError) as info:
        drsim.Scenario.load("/nonexistent/model.json")
    assert info.value.file == "/nonexistent/model.json"
    assert "no such file" in info.value.found


def test_a_bad_dict_raises_model_error_with_the_name_given() -> None:
    d = json.loads(DRILL.read_text())
    d["gtm"]["ttl"] = -5
    with pytest.raises(drsim.ModelError) as info:
        drsim.Scenario.from_dict(d, name="my-edit")
    assert info.value.file == "my-edit"
    assert info.value.path == "gtm.ttl"


@pytest.mark.parametrize(
    "overrides,path,words",
    [
        ({"gtm.health_check.intervall": "30s"}, "gtm.health_check.intervall", 'did you mean "interval"'),
        ({"regions.region-9.gateway.address": "x"}, "regions.region-9", "region-1, region-2"),
        ({"gtm.ttl": 30}, "gtm.ttl", 'did you mean "30s"?'),  # a duration needs its unit, as on the CLI
        ({"gtm.ttl": "30"}, "gtm.ttl", 'did you mean "30s"?'),
        ({"clients.fortio.profile": "firefox"}, "clients[0].profile", "firefox"),
    ],
)
def test_a_bad_override_raises_model_error_and_changes_nothing(
    drill: drsim.Scenario, overrides: dict[str, object], path: str, words: str
) -> None:
    before = drill.to_dict()
    with pytest.raises(drsim.ModelError) as info:
        drill.with_overrides(overrides)
    assert info.value.path.startswith(path)
    assert words in str(info.value)
    assert drill.to_dict() == before
