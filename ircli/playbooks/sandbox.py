"""Expressions and templates of playbooks, evaluated in a sandbox.

A playbook is data written by people we trust only to describe a procedure: it
must never run code. Expressions (``when:``) and templates (instructions, ``with:``
parameters) go through Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment`, and
before that through a static check that refuses, with a readable message, what
could reach Python internals or exhaust the machine:

- names other than the playbook variables (``inputs``, ``steps``, ``incident``,
  ``analysis``, ``vars``) — no ``cycler``, ``lipsum``, ``namespace`` globals;
- attributes or keys starting with ``_`` and any string containing ``__``;
- method calls (``x.format(...)``, ``d.items()``); only ``range`` may be called;
- filters outside a short allow-list (no ``attr``, no ``format``, no ``map(attribute=…)``);
- ``include``/``import``/``extends``/``macro`` and nested loops;
- exponents above 64, ranges above 1,000 items, repetition of strings or lists
  beyond 10,000 items (checked again at run time for computed values).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

ROOT_NAMES = frozenset({"inputs", "steps", "incident", "analysis", "vars"})
"""The variables an expression or template can read."""

ALLOWED_FILTERS = frozenset(
    {
        "abs",
        "capitalize",
        "count",
        "default",
        "d",
        "first",
        "float",
        "int",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "max",
        "min",
        "replace",
        "reverse",
        "round",
        "sort",
        "string",
        "sum",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
        "wordcount",
    }
)
ALLOWED_TESTS = frozenset(
    {
        "defined",
        "undefined",
        "none",
        "number",
        "string",
        "mapping",
        "sequence",
        "in",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "true",
        "false",
        "boolean",
        "integer",
        "float",
        "even",
        "odd",
        "divisibleby",
    }
)
MAX_EXPONENT = 64
MAX_RANGE = 1_000
MAX_REPEAT = 10_000
MAX_OUTPUT = 100_000
MAX_SOURCE = 20_000


class ExpressionError(Exception):
    """An expression or template that is refused or fails; the message is for a person."""


@dataclass(frozen=True, slots=True)
class _Limits:
    exponent: int = MAX_EXPONENT
    repeat: int = MAX_REPEAT


class PlaybookSandbox(SandboxedEnvironment):
    """The one Jinja2 environment playbooks use: sandboxed, no globals, limited arithmetic."""

    intercepted_binops = frozenset({"**", "*"})

    def __init__(self) -> None:
        super().__init__(autoescape=False, keep_trailing_newline=True)
        self.globals.clear()
        self.globals["range"] = _bounded_range
        self.filters = {name: f for name, f in self.filters.items() if name in ALLOWED_FILTERS}
        self.tests = {name: t for name, t in self.tests.items() if name in ALLOWED_TESTS}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Only plain data attributes: nothing private, nothing callable."""
        if attr.startswith("_") or callable(value):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        """Refuse results that would take the machine's memory or time."""
        if op == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"exponent {right} is above the limit of {MAX_EXPONENT}")
            return operator.pow(left, right)
        if op == "*":
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(count, int)
                    and count * max(len(seq), 1) > MAX_REPEAT
                ):
                    raise SecurityError(f"repeating a value {count} times is above the limit")
            return operator.mul(left, right)
        return super().call_binop(context, op, left, right)


def _bounded_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise SecurityError(f"range of {len(result)} items is above the limit of {MAX_RANGE}")
    return result


_ENV: PlaybookSandbox | None = None


def sandbox() -> PlaybookSandbox:
    """The shared sandbox (built on first use: nothing happens at import)."""
    global _ENV
    if _ENV is None:
        _ENV = PlaybookSandbox()
    return _ENV


# -- static checks -----------------------------------------------------------------------


def check_expression(source: str) -> list[str]:
    """Problems with an expression (``when:``); empty when it may be evaluated."""
    return _check(source, expression=True)


def check_template(source: str) -> list[str]:
    """Problems with a template (instructions, ``with:`` values); empty when it may render."""
    return _check(source, expression=False)


def _check(source: str, *, expression: bool) -> list[str]:
    if len(source) > MAX_SOURCE:
        return [f"is {len(source)} characters long; at most {MAX_SOURCE}"]
    env = sandbox()
    try:
        if expression:
            tree: nodes.Node = env.parse("{{ (" + source + ") }}")
        else:
            tree = env.parse(source)
    except TemplateSyntaxError as exc:
        return [f"syntax error: {exc.message}"]
    except RecursionError:
        return ["is nested too deeply"]
    try:
        return list(_problems(tree))
    except RecursionError:
        return ["is nested too deeply"]


def _problems(tree: nodes.Node) -> Iterator[str]:
    loop_depth = _max_loop_depth(tree)
    if loop_depth > 1:
        yield "nested loops are not allowed"
    # Names a template assigns itself ({% for x in ... %}, {% set x = ... %}) may be read.
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for node in tree.find_all(nodes.Node):
        yield from _node_problems(node, local)


def _node_problems(node: nodes.Node, local: set[str]) -> Iterator[str]:
    if isinstance(node, nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends):
        yield "include, import and extends are not allowed"
    elif isinstance(node, nodes.Macro | nodes.CallBlock | nodes.Block | nodes.FilterBlock):
        yield "macros, call blocks and blocks are not allowed"
    elif isinstance(node, nodes.Name) and node.ctx == "load":
        if node.name not in ROOT_NAMES and node.name not in ("range", "loop", *local):
            known = ", ".join(sorted(ROOT_NAMES))
            yield f"unknown variable '{node.name}' (known: {known})"
    elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
        yield f"attribute '{node.attr}' reaches Python internals and is not allowed"
    elif isinstance(node, nodes.Const) and isinstance(node.value, str) and "__" in node.value:
        yield f"the string {node.value[:40]!r} looks like a Python internal name and is not allowed"
    elif isinstance(node, nodes.Call):
        yield from _call_problems(node)
    elif isinstance(node, nodes.Filter):
        if node.name not in ALLOWED_FILTERS:
            yield f"filter '{node.name}' is not allowed"
        elif node.kwargs:
            yield f"filter '{node.name}' takes no keyword arguments here"
    elif isinstance(node, nodes.Test) and node.name not in ALLOWED_TESTS:
        yield f"test '{node.name}' is not allowed"
    elif isinstance(node, nodes.Pow):
        right = node.right
        if not isinstance(right, nodes.Const) or not isinstance(right.value, int | float):
            yield "exponents must be a literal number"
        elif abs(right.value) > MAX_EXPONENT:
            yield f"exponent {right.value} is above the limit of {MAX_EXPONENT}"
    elif isinstance(node, nodes.Mul):
        for side in (node.left, node.right):
            if (
                isinstance(side, nodes.Const)
                and isinstance(side.value, int)
                and side.value > MAX_REPEAT
            ):
                yield f"multiplier {side.value} is above the limit of {MAX_REPEAT}"


def _call_problems(node: nodes.Call) -> Iterator[str]:
    if not (isinstance(node.node, nodes.Name) and node.node.name == "range"):
        yield "calling functions or methods is not allowed (only range(...))"
        return
    if node.kwargs or node.dyn_args or node.dyn_kwargs:
        yield "range() takes plain numbers only"
    for arg in node.args:
        if (
            isinstance(arg, nodes.Const)
            and isinstance(arg.value, int)
            and abs(arg.value) > MAX_RANGE
        ):
            yield f"range bound {arg.value} is above the limit of {MAX_RANGE}"


def _max_loop_depth(node: nodes.Node, depth: int = 0) -> int:
    here = depth + 1 if isinstance(node, nodes.For) else depth
    deepest = here
    for child in node.iter_child_nodes():
        deepest = max(deepest, _max_loop_depth(child, here))
    return deepest


# -- evaluation --------------------------------------------------------------------------


def evaluate(source: str, variables: Mapping[str, Any]) -> Any:
    """Evaluate an expression; refused or failing expressions raise :class:`ExpressionError`."""
    problems = check_expression(source)
    if problems:
        raise ExpressionError(f"expression {source!r}: {problems[0]}")
    try:
        compiled = sandbox().compile_expression(source, undefined_to_none=True)
        return compiled(**_roots(variables))
    except RecursionError:
        raise ExpressionError(f"expression {source!r} is too deeply nested") from None
    except Exception as exc:  # whatever a playbook's expression does wrong is the playbook's error
        raise ExpressionError(f"expression {source!r} failed: {exc}") from None


def render(source: str, variables: Mapping[str, Any]) -> str:
    """Render a template to text (at most 100,000 characters)."""
    problems = check_template(source)
    if problems:
        raise ExpressionError(f"template: {problems[0]}")
    try:
        text = sandbox().from_string(source).render(**_roots(variables))
    except RecursionError:
        raise ExpressionError("template is too deeply nested") from None
    except Exception as exc:  # whatever a playbook's template does wrong is the playbook's error
        raise ExpressionError(f"template failed: {exc}") from None
    if len(text) > MAX_OUTPUT:
        raise ExpressionError(f"template output is {len(text)} characters; at most {MAX_OUTPUT}")
    return text


def render_value(value: Any, variables: Mapping[str, Any]) -> Any:
    """Render a ``with:`` value: ``"{{ expr }}"`` alone keeps the expression's type
    (a list stays a list); other strings render as text; containers recurse."""
    if isinstance(value, str):
        inner = _sole_expression(value)
        if inner is not None:
            return evaluate(inner, variables)
        return render(value, variables) if "{" in value else value
    if isinstance(value, list):
        return [render_value(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: render_value(item, variables) for key, item in value.items()}
    return value


def template_sources(value: Any) -> Iterator[str]:
    """Every string inside a ``with:`` value, for static checking."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from template_sources(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from template_sources(item)


def check_value(value: str) -> list[str]:
    """Static problems with one ``with:`` string."""
    inner = _sole_expression(value)
    return check_expression(inner) if inner is not None else check_template(value)


def _sole_expression(value: str) -> str | None:
    text = value.strip()
    if text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1:
        return text[2:-2].strip()
    return None


def _roots(variables: Mapping[str, Any]) -> dict[str, Any]:
    return {name: variables.get(name, {}) for name in ROOT_NAMES}
