"""The sandbox: playbook expressions and templates can never reach Python or exhaust the machine."""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ircli.playbooks import sandbox
from ircli.playbooks.loader import playbook_problems

VARS = {
    "inputs": {"seeds": ["a", "b"]},
    "steps": {"assess": {"outputs": {"alert_accounts": 40}, "state": "done"}},
    "incident": {"id": "INC-0001", "subjects": ["a"]},
    "analysis": {"alert_accounts": 40},
    "vars": {},
}

ESCAPES = [
    ("steps.__class__", "reaches Python internals"),
    ("steps.__class__.__mro__[1].__subclasses__()", "reaches Python internals"),
    ("inputs.seeds.__globals__", "reaches Python internals"),
    ("cycler.__init__.__globals__.os", "unknown variable 'cycler'"),
    ("lipsum.__globals__", "unknown variable 'lipsum'"),
    ("namespace()", "unknown variable 'namespace'"),
    ("steps['__class__']", "looks like a Python internal name"),
    ("inputs | attr('__class__')", "filter 'attr' is not allowed"),
    ("'{0.__class__}'.format(inputs)", "calling functions or methods is not allowed"),
    ("inputs.items()", "calling functions or methods is not allowed"),
    ("steps._private", "reaches Python internals"),
    ("range(10000000) | list", "range bound 10000000 is above the limit"),
    ("2 ** 100000", "exponent 100000 is above the limit"),
    ("2 ** analysis.alert_accounts", "exponents must be a literal number"),
    ("'x' * 100000000", "multiplier 100000000 is above the limit"),
    ("inputs | map(attribute='__class__') | list", "filter 'map' is not allowed"),
]


@pytest.mark.parametrize(("expr", "message"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_escape_attempts_are_refused_statically(expr: str, message: str) -> None:
    problems = sandbox.check_expression(expr)
    assert any(message in p for p in problems), problems
    with pytest.raises(sandbox.ExpressionError):
        sandbox.evaluate(expr, VARS)


def test_escape_in_a_playbook_is_a_validation_error_with_position() -> None:
    text = (
        "playbook: evil\ntitle: Evil\nsteps:\n"
        "  - id: a\n    kind: note\n    title: A\n"
        "    instructions: \"{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}\"\n"
    )
    problems = [str(p) for p in playbook_problems(text, "evil.yaml")]
    assert problems == [
        "evil.yaml:7:19: steps[0].instructions: attribute '__class__' reaches Python internals "
        "and is not allowed",
        "evil.yaml:7:19: steps[0].instructions: attribute '__mro__' reaches Python internals "
        "and is not allowed",
    ]


def test_statements_that_load_code_or_nest_loops_are_refused() -> None:
    assert any("include" in p for p in sandbox.check_template("{% include 'x' %}"))
    assert any("macros" in p for p in sandbox.check_template("{% macro m() %}x{% endmacro %}"))
    nested = "{% for a in range(9) %}{% for b in range(9) %}x{% endfor %}{% endfor %}"
    assert any("nested loops" in p for p in sandbox.check_template(nested))


def test_computed_values_are_limited_at_run_time() -> None:
    # Passes the static check (no literal is too big) but computes something huge.
    started = time.monotonic()
    with pytest.raises(sandbox.ExpressionError, match="limit"):
        sandbox.evaluate("'x' * (analysis.alert_accounts * 1000)", VARS)
    with pytest.raises(sandbox.ExpressionError, match="limit"):
        sandbox.evaluate("range(analysis.alert_accounts * 1000) | list", VARS)
    assert time.monotonic() - started < 1


def test_runtime_attribute_access_to_internals_is_blocked_even_without_the_static_check() -> None:
    env = sandbox.sandbox()
    template = env.from_string("{{ x.__class__ }}|{{ x.upper }}")
    assert template.render(x="abc") == "|"


def test_ordinary_expressions_work() -> None:
    assert sandbox.evaluate("analysis.alert_accounts > 0", VARS) is True
    assert sandbox.evaluate("(analysis.missing | default(1)) > 0", VARS) is True
    assert sandbox.evaluate("steps.assess.outputs.alert_accounts + 2", VARS) == 42
    assert sandbox.evaluate("inputs.seeds | length", VARS) == 2
    assert sandbox.evaluate("'a' in incident.subjects", VARS) is True
    assert sandbox.render("Seeds: {{ inputs.seeds | join(', ') }}", VARS) == "Seeds: a, b"
    assert sandbox.render_value({"accounts": "{{ inputs.seeds }}", "n": 3}, VARS) == {
        "accounts": ["a", "b"],
        "n": 3,
    }


def test_template_output_is_bounded() -> None:
    template = "{% for i in range(1000) %}{{ inputs.seeds | join('') * 200 }}{% endfor %}"
    assert sandbox.check_template(template) == []
    with pytest.raises(sandbox.ExpressionError, match="characters"):
        sandbox.render(template, VARS)


_TOKENS = st.sampled_from(
    [
        "inputs",
        "steps",
        "analysis",
        "vars",
        "incident",
        ".",
        "[",
        "]",
        "(",
        ")",
        "'a'",
        "'__'",
        "__class__",
        "_x",
        "1",
        "9",
        "**",
        "*",
        "+",
        "-",
        "/",
        "//",
        "%",
        " ",
        "|",
        "length",
        "upper",
        "attr",
        "range",
        "~",
        "==",
        "and",
        "not",
        "in",
        "if",
        "else",
        ",",
        "{",
        "}",
        ":",
        "seeds",
        "alert_accounts",
        "10000000",
        "lipsum",
        "self",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TOKENS, max_size=12).map("".join))
def test_random_expressions_only_ever_raise_expression_errors(source: str) -> None:
    with contextlib.suppress(sandbox.ExpressionError):
        sandbox.evaluate(source, VARS)
    with contextlib.suppress(sandbox.ExpressionError):
        sandbox.render("{{ " + source + " }}", VARS)


def test_deeply_nested_expressions_are_refused_not_crashed() -> None:
    assert sandbox.check_expression("(" * 5000 + "1" + ")" * 5000) == ["is nested too deeply"]
    with pytest.raises(sandbox.ExpressionError):
        sandbox.evaluate("(" * 900 + "1" + ")" * 900, VARS)
