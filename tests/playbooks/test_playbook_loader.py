"""Loading and validating playbooks: shipped ones pass, broken ones say FILE:LINE:COL: why."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ircli.errors import ValidationError
from ircli.playbooks.loader import PlaybookInvalid, load_playbook_text, playbook_problems
from ircli.services.playbooks import shipped_dir

HEAD = "playbook: broken\ntitle: Broken\nsteps:\n"


def _steps(body: str) -> str:
    return HEAD + textwrap.indent(textwrap.dedent(body).strip("\n"), "  ") + "\n"


@pytest.mark.parametrize("name", ["distillation", "ratelimit-evasion"])
def test_shipped_playbooks_validate(name: str, ircli) -> None:  # type: ignore[no-untyped-def]
    path = shipped_dir() / f"{name}.yaml"
    assert playbook_problems(path.read_text("utf-8"), str(path)) == []
    result = ircli("playbook", "validate", name)
    assert result.code == 0, result.err
    assert "ok" in result.err


def test_every_step_has_instructions_a_responder_can_follow() -> None:
    from ircli.playbooks.loader import load_playbook_file

    for path in sorted(shipped_dir().glob("*.yaml")):
        playbook = load_playbook_file(path)
        for step in playbook.steps:
            assert len(step.instructions.split()) >= 15, (
                f"{path.name}:{step.id} instructions too thin"
            )


def test_the_distillation_journey_is_complete() -> None:
    from ircli.playbooks.loader import load_playbook_file

    book = load_playbook_file(shipped_dir() / "distillation.yaml")
    kinds = {s.id: s.kind for s in book.steps}
    assert list(kinds)[:6] == ["intake", "preserve", "expand", "assess", "intel", "exculpatory"]
    classify = book.step("classify")
    assert classify is not None
    assert {o.id: o.next for o in classify.options} == {
        "campaign": "contain",
        "ratelimit": "ratelimit-evasion",
        "benign": "close",
        "more-evidence": "expand",
    }
    assert classify.option("more-evidence").max_loops == 2  # type: ignore[union-attr]
    contain, report = book.step("contain"), book.step("report")
    assert contain and contain.approvals and contain.approvals.required == 2
    assert report and report.approvals and report.approvals.required == 1
    assert kinds["notify"] == "check" and kinds["export"] == "export"
    assert book.step("close").closes_incident  # type: ignore[union-attr]
    assert book.step("ratelimit-evasion").playbook == "ratelimit-evasion"  # type: ignore[union-attr]


BROKEN = [
    (
        "yaml syntax",
        HEAD + "  - id: a\n    kind: note\n    title: A: B\n    instructions: x\n",
        "6:13",
        "invalid YAML: mapping values are not allowed",
    ),
    (
        "unknown kind",
        _steps("""
            - id: a
              kind: fomr
              title: A
              instructions: Do it.
        """),
        "5:11",
        "steps[0].kind: unknown value 'fomr' (did you mean 'form'?)",
    ),
    (
        "unknown key with suggestion",
        _steps("""
            - id: a
              kind: note
              title: A
              instructions: Do it.
              nxt: end
        """),
        "8:5",
        "steps[0]: unknown key 'nxt' (did you mean 'next'?)",
    ),
    (
        "missing instructions",
        _steps("""
            - id: a
              kind: note
              title: A
        """),
        "4:5",
        "steps[0]: missing required key 'instructions'",
    ),
    (
        "next to an unknown step",
        _steps("""
            - id: a
              kind: note
              title: A
              instructions: Do it.
              next: clsoe
            - id: close
              kind: note
              title: Close
              instructions: Done.
        """),
        "8:11",
        "steps[0].next: no step 'clsoe' (did you mean 'close'?)",
    ),
    (
        "duplicate step id",
        _steps("""
            - id: a
              kind: note
              title: A
              instructions: Do it.
            - id: a
              kind: note
              title: B
              instructions: Do it again.
        """),
        "8:9",
        "steps[1].id: duplicate step id 'a'",
    ),
    (
        "loop without a bound",
        _steps("""
            - id: a
              kind: note
              title: A
              instructions: Do it.
            - id: b
              kind: decide
              title: B
              instructions: Choose.
              options:
                - {id: again, label: Again, next: a}
                - {id: stop, label: Stop, next: end}
        """),
        "13:41",
        "steps loop without a bound (a → b → a)",
    ),
    (
        "sandbox escape in a template",
        _steps("""
            - id: a
              kind: note
              title: A
              instructions: "{{ steps.__class__.__mro__ }}"
        """),
        "7:19",
        "attribute '__class__' reaches Python internals and is not allowed",
    ),
    (
        "huge exponent in a condition",
        _steps("""
            - id: a
              kind: note
              title: A
              instructions: Do it.
              when: "9 ** 999999 > 1"
        """),
        "8:11",
        "steps[0].when: exponent 999999 is above the limit of 64",
    ),
    (
        "wrong type",
        _steps("""
            - id: a
              kind: check
              title: A
              instructions: Tick.
              items: legal
        """),
        "8:12",
        "steps[0].items: expected a list, got text",
    ),
    (
        "default outside the choices",
        _steps("""
            - id: a
              kind: form
              title: A
              instructions: Fill it in.
              fields:
                - {name: sev, label: Severity, type: choice, choices: [sev1, sev2], default: sev9}
        """),
        "9:84",
        "steps[0].fields[0].default: 'sev9' is not one of sev1, sev2",
    ),
    (
        "duplicate key",
        _steps("""
            - id: a
              kind: note
              title: A
              title: B
              instructions: Do it.
        """),
        "7:5",
        "duplicate key 'title'",
    ),
    (
        "alias",
        HEAD + "  - &s {id: a, kind: note, title: A, instructions: x}\n  - *s\n",
        "5:5",
        "anchors and aliases",
    ),
]


@pytest.mark.parametrize(("label", "text", "where", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_playbooks_point_at_the_line(
    label: str, text: str, where: str, message: str
) -> None:
    problems = [str(p) for p in playbook_problems(text, "broken.yaml")]
    expected = f"broken.yaml:{where}: "
    matching = [p for p in problems if p.startswith(expected) and message in p]
    assert matching, f"{label}: wanted {expected}…{message}, got {problems}"


def test_all_problems_are_reported_at_once(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "many.yaml"
    path.write_text(
        _steps("""
            - id: a
              kind: fomr
              title: A
              instructions: Do it.
            - id: b
              kind: note
              title: B
              instructions: "{{ lipsum() }}"
              next: nowhere
        """),
        encoding="utf-8",
    )
    result = ircli("playbook", "validate", str(path))
    assert result.code == 4
    lines = result.out.strip().splitlines()
    assert len(lines) >= 3
    assert all(line.startswith(f"{path}:") for line in lines)
    assert any("unknown variable 'lipsum'" in line for line in lines)
    assert any("no step 'nowhere'" in line for line in lines)
    with pytest.raises(PlaybookInvalid) as caught:
        load_playbook_text(path.read_text(), str(path))
    assert len(caught.value.problems) == len(lines)
    assert "more problem" in caught.value.message


def test_validate_json_lists_problems(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.yaml"
    path.write_text("playbook: Bad Name\ntitle: x\nsteps: []\n", encoding="utf-8")
    result = ircli("playbook", "validate", str(path), "--json")
    assert result.code == 4
    report = json.loads(result.out)[0]
    assert report["ok"] is False
    assert {(p["line"], p["col"]) for p in report["problems"]} == {(1, 11), (3, 8)}


def test_schema_command_prints_the_shipped_schema(ircli) -> None:  # type: ignore[no-untyped-def]
    result = ircli("playbook", "schema")
    assert result.code == 0
    schema = json.loads(result.out)
    assert schema["$schema"].endswith("2020-12/schema")
    assert "step" in schema["$defs"]


def test_unsafe_yaml_tags_are_refused() -> None:
    text = HEAD + "  - !!python/object/apply:os.system ['echo pwned']\n"
    problems = [str(p) for p in playbook_problems(text, "evil.yaml")]
    assert problems and problems[0].startswith("evil.yaml:4:")
    assert "invalid YAML" in problems[0]


# -- property-based: nothing but validation errors --------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["form", "note", "decide", "end", "{{ steps.__class__ }}", "a", "b"]),
)
_keys = st.sampled_from(
    [
        "playbook",
        "title",
        "steps",
        "id",
        "kind",
        "title",
        "instructions",
        "next",
        "when",
        "options",
        "fields",
        "items",
        "approvals",
        "uses",
        "with",
        "label",
        "name",
        "type",
        "required",
        "max_loops",
        "x",
    ]
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=6)),
    max_leaves=30,
)


def _assert_only_validation_errors(text: str) -> None:
    try:
        load_playbook_text(text, "fuzz.yaml")
    except ValidationError as exc:
        assert "fuzz.yaml" in exc.message
        for problem in getattr(exc, "problems", []):
            assert problem.line >= 1 and problem.col >= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_values)
def test_random_structures_give_only_validation_errors(value: object) -> None:
    try:
        text = yaml.safe_dump(value)
    except yaml.YAMLError:
        return
    _assert_only_validation_errors(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.sampled_from([*list("ab:-{}[]&*!|>'\"#\n %@`,?\t"), "\x00", "é"]), max_size=120
    )
)
def test_random_text_gives_only_validation_errors(text: str) -> None:
    _assert_only_validation_errors(text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_shipped_playbook_gives_only_validation_errors(data: st.DataObject) -> None:
    base = yaml.safe_load((shipped_dir() / "distillation.yaml").read_text("utf-8"))
    steps = base["steps"]
    index = data.draw(st.integers(0, len(steps) - 1))
    key = data.draw(_keys)
    steps[index][key] = data.draw(_values)
    _assert_only_validation_errors(yaml.safe_dump(base, sort_keys=False))
