"""CACAO 2.0: exports validate against the CS01 schemas; YAML → CACAO → YAML round-trips."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ircli.playbooks.cacao import cacao_problems, from_cacao, to_cacao
from ircli.playbooks.loader import load_playbook_file
from ircli.services.playbooks import shipped_dir

CREATED = "2026-03-01T09:00:00.000Z"
NAMES = ["distillation", "ratelimit-evasion"]


def _allowed_keys(schemas: Path, relative: str) -> set[str]:
    """Properties a CS01 schema file defines, following its allOf/$ref chain."""
    data = json.loads((schemas / relative).read_text("utf-8"))
    keys = set(data.get("properties", {}))
    for part in data.get("allOf", []):
        ref = part.get("$ref")
        if ref:
            keys |= _allowed_keys(schemas, str(Path(relative).parent / ref).replace("\\", "/"))
        keys |= set(part.get("properties", {}))
    return keys


@pytest.mark.parametrize("name", NAMES)
def test_export_validates_against_the_cs01_schemas(name: str, cacao_schemas: Path) -> None:
    playbook = load_playbook_file(shipped_dir() / f"{name}.yaml")
    document = to_cacao(playbook, created=CREATED)
    assert cacao_problems(document, cacao_schemas) == []
    # The CS01 files are draft-07, which ignores their unevaluatedProperties; check that
    # rule ourselves: every step uses only properties its CS01 schema defines.
    for step_id, step in document["workflow"].items():
        kind = step["type"]
        allowed = _allowed_keys(cacao_schemas, f"workflows/{kind}.json")
        assert set(step) <= allowed, (step_id, set(step) - allowed)
        for variable in step.get("step_variables", {}).values():
            assert set(variable) <= _allowed_keys(cacao_schemas, "data-types/variable.json")
        for command in step.get("commands", []):
            assert set(command) <= _allowed_keys(cacao_schemas, f"commands/{command['type']}.json")
    top = json.loads((cacao_schemas / "playbook.json").read_text("utf-8"))["properties"]
    assert set(document) <= set(top)
    extension = _allowed_keys(cacao_schemas, "extension-definition/extension-definition.json")
    for definition in document["extension_definitions"].values():
        assert set(definition) <= extension
    for agent in document["agent_definitions"].values():
        assert set(agent) <= _allowed_keys(cacao_schemas, f"agent-target/{agent['type']}.json")


def test_schema_check_catches_a_broken_export(cacao_schemas: Path) -> None:
    document = to_cacao(load_playbook_file(shipped_dir() / "distillation.yaml"), created=CREATED)
    action = next(k for k in document["workflow"] if k.startswith("action--"))
    del document["workflow"][action]["agent"]
    document["created"] = "yesterday"
    problems = cacao_problems(document, cacao_schemas)
    assert any("'agent' is a required property" in p for p in problems)
    assert any(p.startswith("created:") for p in problems)


@pytest.mark.parametrize("name", NAMES)
def test_round_trip_keeps_graph_kinds_conditions_and_texts(name: str) -> None:
    original = load_playbook_file(shipped_dir() / f"{name}.yaml")
    document = to_cacao(original, created=CREATED)
    back = from_cacao(json.loads(json.dumps(document)))
    assert back.to_dict() == original.to_dict()
    # The graph really came from CACAO's own structures, not only from the extension:
    decide = next(s for s in original.steps if s.kind == "decide")
    switch = next(v for v in document["workflow"].values() if v["type"] == "switch-condition")
    assert set(switch["cases"]) == {o.id for o in decide.options}
    conditions = [
        v["condition"] for v in document["workflow"].values() if v["type"] == "if-condition"
    ]
    assert conditions == [s.when for s in original.steps if s.when]


def test_graph_edits_in_cacao_show_up_on_import() -> None:
    original = load_playbook_file(shipped_dir() / "distillation.yaml")
    document = to_cacao(original, created=CREATED)
    workflow: dict[str, Any] = document["workflow"]
    by_name = {v.get("name"): k for k, v in workflow.items()}
    # Someone edits the CACAO: notify now goes straight to export, and intel is renamed.
    workflow[by_name["Notify"]]["on_completion"] = by_name["Export the timeline"]
    workflow[by_name["Check Forum intel"]]["name"] = "Check shared intel"
    back = from_cacao(document)
    assert back.step("notify").next == "export"  # type: ignore[union-attr]
    assert back.step("intel").title == "Check shared intel"  # type: ignore[union-attr]


def test_a_plain_cacao_playbook_imports(tmp_path: Path) -> None:
    ids = {
        "start": "start--11111111-1111-4111-8111-111111111111",
        "a": "action--22222222-2222-4222-8222-222222222222",
        "if": "if-condition--33333333-3333-4333-8333-333333333333",
        "b": "action--44444444-4444-4444-8444-444444444444",
        "end": "end--55555555-5555-4555-8555-555555555555",
    }
    document = {
        "type": "playbook",
        "spec_version": "cacao-2.0",
        "id": "playbook--66666666-6666-4666-8666-666666666666",
        "name": "Phishing triage",
        "workflow_start": ids["start"],
        "workflow": {
            ids["start"]: {"type": "start", "on_completion": ids["a"]},
            ids["a"]: {
                "type": "action",
                "name": "Collect headers",
                "commands": [{"type": "manual", "command": "Save the full headers"}],
                "on_completion": ids["if"],
            },
            ids["if"]: {
                "type": "if-condition",
                "condition": "vars.malicious",
                "on_true": ids["b"],
                "on_false": ids["end"],
            },
            ids["b"]: {
                "type": "action",
                "name": "Block sender",
                "description": "Block the sender domain at the gateway.",
                "commands": [{"type": "manual", "command": "Block the domain"}],
                "on_completion": ids["end"],
            },
            ids["end"]: {"type": "end"},
        },
    }
    playbook = from_cacao(document)
    assert playbook.name == "phishing-triage"
    assert [(s.id, s.kind, s.when) for s in playbook.steps] == [
        ("step-1", "check", None),
        ("step-2", "check", "vars.malicious"),
    ]
    assert playbook.steps[0].items[0].text == "Save the full headers"


def test_cli_export_and_import(ircli, tmp_path: Path, cacao_schemas: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "d.json"
    exported = ircli(
        "playbook",
        "export-cacao",
        "distillation",
        "-o",
        str(out),
        "--check-with",
        str(cacao_schemas),
    )
    assert exported.code == 0, exported.err
    assert "valid against the CACAO 2.0 schemas" in exported.err
    imported = ircli("playbook", "import-cacao", str(out))
    assert imported.code == 0, imported.err
    yaml_file = tmp_path / "distillation.yaml"
    yaml_file.write_text(imported.out)
    assert ircli("playbook", "validate", str(yaml_file)).code == 0
    again = load_playbook_file(yaml_file)
    assert again.to_dict() == load_playbook_file(shipped_dir() / "distillation.yaml").to_dict()
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "bundle"}')
    result = ircli("playbook", "import-cacao", str(bad))
    assert result.code == 4 and "not a CACAO playbook" in result.err
    unsupported = json.loads(out.read_text())
    next(iter(unsupported["workflow"].values()))["type"] = "parallel"
    bad.write_text(json.dumps(unsupported))
    assert ircli("playbook", "import-cacao", str(bad)).code == 4


def test_foreign_conditions_that_are_not_expressions_are_named(tmp_path: Path) -> None:
    from ircli.errors import ValidationError

    document = to_cacao(load_playbook_file(shipped_dir() / "distillation.yaml"), created=CREATED)
    condition = next(v for v in document["workflow"].values() if v["type"] == "if-condition")
    condition["condition"] = "[ipv4-addr:value = '198.51.100.1']"
    with pytest.raises(ValidationError, match="does not translate to a valid ircli playbook"):
        from_cacao(document)


_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_cacao_imports_give_only_validation_errors(data: st.DataObject) -> None:
    from ircli.errors import ValidationError

    document = to_cacao(
        load_playbook_file(shipped_dir() / "ratelimit-evasion.yaml"), created=CREATED
    )
    workflow = document["workflow"]
    for _ in range(data.draw(st.integers(1, 3))):
        target = data.draw(st.sampled_from([document, *workflow.values()]))
        key = data.draw(
            st.sampled_from(
                [
                    "type",
                    "on_completion",
                    "on_true",
                    "cases",
                    "step_extensions",
                    "name",
                    "workflow_start",
                    "commands",
                    "condition",
                    "description",
                    "switch",
                ]
            )
        )
        target[key] = data.draw(st.one_of(_JSON, st.sampled_from(list(workflow))))
    with contextlib.suppress(ValidationError):
        from_cacao(document)
