"""Loading and validating playbooks: every problem at once, each as ``FILE:LINE:COL: message``.

Three passes over one safely parsed document: the YAML itself (syntax, duplicate
keys, aliases), the published JSON Schema (shapes, kinds, unknown keys), and the
meaning (step references, bounded loops, sandboxed expressions). Nothing in a
playbook is executed while loading it.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path as FsPath
from typing import Any

from ircli.core.canonical import sha256_hex
from ircli.errors import ValidationError
from ircli.playbooks import sandbox
from ircli.playbooks.model import END, Playbook, build_playbook
from ircli.playbooks.yamltext import Parsed, Path, Positions, Problem, parse_yaml

MAX_PROBLEMS = 200


class PlaybookInvalid(ValidationError):
    """A playbook with problems; ``problems`` lists every one of them."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        first = str(self.problems[0]) if self.problems else f"{file}: invalid playbook"
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
        super().__init__(
            first + suffix, hint=f"see every problem with: ircli playbook validate {file}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The error with every problem, for ``--json``."""
        out = super().to_dict()
        out["problems"] = [
            {"file": p.file, "line": p.line, "col": p.col, "message": p.message}
            for p in self.problems
        ]
        return out


@cache
def playbook_schema() -> dict[str, Any]:
    """The playbook JSON Schema shipped with ircli."""
    text = resources.files("ircli.playbooks").joinpath("playbook.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_playbook_file(path: FsPath) -> Playbook:
    """Read and validate a playbook file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read playbook {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlaybookInvalid(
            str(path), [Problem(str(path), 1, 1, f"not UTF-8 text (byte {exc.start})")]
        ) from None
    key = (str(path), sha256_hex(text))
    cached = _CACHE.get(key)
    if cached is None:
        cached = load_playbook_text(text, str(path))
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = cached
    return cached


_CACHE: dict[tuple[str, str], Playbook] = {}
"""Validated playbooks by file and content hash: a run re-reads its playbook at every move."""


def load_playbook_text(text: str, file: str = "<playbook>") -> Playbook:
    """Validate playbook text; raises :class:`PlaybookInvalid` listing every problem."""
    parsed = parse_yaml(text, file)
    problems = _problems(parsed, file)
    if problems:
        raise PlaybookInvalid(file, problems)
    return build_playbook(parsed.data, source=file, digest=sha256_hex(text))


def playbook_problems(text: str, file: str = "<playbook>") -> list[Problem]:
    """Every problem of a playbook text, sorted by position (empty when valid)."""
    return _problems(parse_yaml(text, file), file)


def _problems(parsed: Parsed, file: str) -> list[Problem]:
    if parsed.problems:
        return sorted(parsed.problems)[:MAX_PROBLEMS]
    data, positions = parsed.data, parsed.positions
    problems = list(_schema_problems(data, positions, file))
    if isinstance(data, dict):
        problems.extend(_meaning_problems(data, positions, file))
    return sorted(set(problems))[:MAX_PROBLEMS]


# -- schema pass ----------------------------------------------------------------------

_STEP_KEYS = [
    "id",
    "kind",
    "title",
    "instructions",
    "when",
    "next",
    "closes_incident",
    "fields",
    "items",
    "options",
    "approvals",
    "uses",
    "with",
    "text",
    "playbook",
]


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(playbook_schema())


def _schema_problems(data: Any, positions: Positions, file: str) -> Iterator[Problem]:
    validator = _validator()
    for error in validator.iter_errors(data):
        path: Path = tuple(error.absolute_path)
        for message, key_path in _describe(error, path):
            line, col = positions.of(key_path, key=key_path != path)
            yield Problem(file, line, col, message)


def _describe(error: Any, path: Path) -> Iterator[tuple[str, Path]]:
    where = _path_text(path)
    prefix = f"{where}: " if where else ""
    kind = error.validator
    if kind in ("additionalProperties", "unevaluatedProperties"):
        known = _known_keys(path, error.schema)
        allowed = _step_keys_for(error.instance) if kind == "unevaluatedProperties" else set()
        for name in re.findall(r"'([^']*)'", str(error.message).split("(", 1)[-1]):
            if name in allowed:
                continue  # reported through the kind's own schema error, not as unknown
            if kind == "unevaluatedProperties" and name in _STEP_KEYS:
                step_kind = error.instance.get("kind")
                yield f"{prefix}'{name}' is not used by {step_kind} steps", (*path, name)
                continue
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            yield f"{prefix}unknown key '{name}'{hint}", (*path, name)
    elif kind == "required":
        missing = re.findall(r"'([^']*)'", str(error.message))
        name = missing[0] if missing else "?"
        yield f"{prefix}missing required key '{name}'", path
    elif kind == "enum":
        choices = ", ".join(str(v) for v in error.validator_value)
        close = difflib.get_close_matches(
            str(error.instance), [str(v) for v in error.validator_value], n=1
        )
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        yield (
            f"{prefix}unknown value {_short(error.instance)}{hint}; expected one of {choices}",
            path,
        )
    elif kind == "type":
        expected = error.validator_value
        if isinstance(expected, list):
            expected = " or ".join(expected)
        yield (
            f"{prefix}expected {_type_name(expected)}, got {_type_name(_json_type(error.instance))}",
            path,
        )
    elif kind == "pattern":
        yield (
            f"{prefix}{_short(error.instance)} is not a valid name (lowercase letters, digits, - and _, starting with a letter)",
            path,
        )
    elif kind == "minItems":
        yield f"{prefix}needs at least {error.validator_value} item(s)", path
    elif kind == "minLength":
        yield f"{prefix}must not be empty", path
    else:
        message = str(error.message)
        if len(message) > 200:
            message = message[:199] + "…"
        yield f"{prefix}{message}", path


def _step_keys_for(step: Any) -> set[str]:
    """Keys a step of this kind may have (every step key when the kind is unknown)."""
    schema = playbook_schema()["$defs"]["step"]
    keys = set(schema["properties"])
    kind = step.get("kind") if isinstance(step, dict) else None
    for branch in schema["allOf"]:
        if branch["if"]["properties"]["kind"]["const"] == kind:
            return keys | set(branch["then"]["properties"])
    return set(_STEP_KEYS)


def _known_keys(path: Path, schema: Any) -> list[str]:
    if len(path) == 2 and path[0] == "steps":
        return _STEP_KEYS
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        return list(schema["properties"])
    return list(playbook_schema()["properties"])


def _path_text(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:59] + "…"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _type_name(name: Any) -> str:
    names = {
        "array": "a list",
        "object": "a mapping",
        "string": "text",
        "integer": "a whole number",
    }
    return str(names.get(str(name), name))


# -- meaning pass -----------------------------------------------------------------------


class _Checker:
    def __init__(self, data: dict[str, Any], positions: Positions, file: str) -> None:
        self.data, self.positions, self.file = data, positions, file
        self.problems: list[Problem] = []
        raw = data.get("steps")
        self.steps: list[tuple[int, dict[str, Any]]] = [
            (i, s)
            for i, s in enumerate(raw if isinstance(raw, list) else [])
            if isinstance(s, dict)
        ]
        self.ids: list[str] = [s["id"] for _, s in self.steps if isinstance(s.get("id"), str)]

    def add(self, path: Path, message: str, *, key: bool = False) -> None:
        """Record a problem at the position of ``path`` (of its key with ``key``)."""
        line, col = self.positions.of(path, key=key)
        self.problems.append(Problem(self.file, line, col, message))

    def target(self, path: Path, name: Any) -> None:
        """Check that ``name`` is a step id or ``end``."""
        if not isinstance(name, str) or name == END or name in self.ids:
            return
        close = difflib.get_close_matches(name, self.ids, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        self.add(path, f"{_path_text(path)}: no step '{name}'{hint}")


def _meaning_problems(data: dict[str, Any], positions: Positions, file: str) -> list[Problem]:
    check = _Checker(data, positions, file)
    seen: set[str] = set()
    for i, step in check.steps:
        sid = step.get("id")
        if isinstance(sid, str):
            if sid == END:
                check.add(
                    ("steps", i, "id"),
                    f"steps[{i}].id: '{END}' is reserved for the end of the playbook",
                )
            elif sid in seen:
                check.add(("steps", i, "id"), f"steps[{i}].id: duplicate step id '{sid}'")
            seen.add(sid)
        _check_step(check, i, step)
    _check_loops(check)
    return check.problems


def _check_step(check: _Checker, i: int, step: dict[str, Any]) -> None:
    base: Path = ("steps", i)
    check.target((*base, "next"), step.get("next"))
    for key, is_expr in (("when", True), ("instructions", False), ("text", False)):
        value = step.get(key)
        if isinstance(value, str):
            found = sandbox.check_expression(value) if is_expr else sandbox.check_template(value)
            for problem in found[:3]:
                check.add((*base, key), f"{_path_text((*base, key))}: {problem}")
    params = step.get("with")
    if isinstance(params, dict):
        for name, value in params.items():
            for source in sandbox.template_sources(value):
                for problem in sandbox.check_value(source)[:3]:
                    check.add(
                        (*base, "with", name), f"{_path_text((*base, 'with', name))}: {problem}"
                    )
    options = step.get("options")
    if isinstance(options, list):
        _unique(check, base, "options", options, "id", "option id")
        for j, option in enumerate(options):
            if isinstance(option, dict):
                check.target((*base, "options", j, "next"), option.get("next"))
    fields = step.get("fields")
    if isinstance(fields, list):
        _unique(check, base, "fields", fields, "name", "field name")
        for j, fld in enumerate(fields):
            if isinstance(fld, dict) and fld.get("default") is not None:
                _check_default(check, (*base, "fields", j, "default"), fld)
            if isinstance(fld, dict) and fld.get("type") == "choice" and not fld.get("choices"):
                check.add(
                    (*base, "fields", j),
                    f"{_path_text((*base, 'fields', j))}: a choice field needs 'choices'",
                )
    items = step.get("items")
    if isinstance(items, list):
        _unique(check, base, "items", items, "id", "item id")
    if step.get("closes_incident") is True:
        names = (
            [f.get("name") for f in fields if isinstance(f, dict)]
            if isinstance(fields, list)
            else []
        )
        if step.get("kind") != "form" or "summary" not in names:
            check.add(
                (*base, "closes_incident"),
                f"{_path_text(base)}: a step that closes the incident must be a form with a 'summary' field",
                key=True,
            )
    if step.get("kind") == "playbook" and step.get("playbook") == check.data.get("playbook"):
        check.add((*base, "playbook"), f"{_path_text(base)}: a playbook cannot hand off to itself")


def _check_default(check: _Checker, path: Path, fld: dict[str, Any]) -> None:
    from ircli.playbooks.forms import coerce_value
    from ircli.playbooks.model import Field

    try:
        spec = Field(
            name=str(fld.get("name")),
            label="",
            type=str(fld.get("type")),
            choices=tuple(str(c) for c in fld.get("choices") or ()),
            min=fld.get("min") if isinstance(fld.get("min"), int | float) else None,
            max=fld.get("max") if isinstance(fld.get("max"), int | float) else None,
        )
        coerce_value(spec, fld["default"])
    except (ValueError, TypeError) as exc:
        check.add(path, f"{_path_text(path)}: {exc}")


def _unique(check: _Checker, base: Path, key: str, items: list[Any], attr: str, what: str) -> None:
    seen: set[Any] = set()
    for j, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get(attr), str):
            continue
        if item[attr] in seen:
            check.add(
                (*base, key, j, attr),
                f"{_path_text((*base, key, j))}: duplicate {what} '{item[attr]}'",
            )
        seen.add(item[attr])


def _check_loops(check: _Checker) -> None:
    """Only decide options with ``max_loops`` may close a cycle; everything else flows forward."""
    by_id = {s["id"]: (i, s) for i, s in check.steps if isinstance(s.get("id"), str)}
    order = [s.get("id") for _, s in check.steps]
    edges: dict[str, list[tuple[str, Path]]] = {}
    for pos, (i, step) in enumerate(check.steps):
        sid = step.get("id")
        if not isinstance(sid, str):
            continue
        out: list[tuple[str, Path]] = []
        options = step.get("options") if step.get("kind") == "decide" else None
        if step.get("kind") == "playbook":
            pass  # a hand-off ends this playbook's run
        elif isinstance(options, list):
            for j, option in enumerate(options):
                if (
                    isinstance(option, dict)
                    and isinstance(option.get("next"), str)
                    and option.get("max_loops") is None
                ):
                    out.append((option["next"], ("steps", i, "options", j, "next")))
        else:
            nxt = step.get("next")
            if not isinstance(nxt, str):
                nxt = order[pos + 1] if pos + 1 < len(order) else END
            if isinstance(nxt, str):
                out.append((nxt, ("steps", i, "next")))
        edges[sid] = out
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> bool:
        """Depth-first search; True once an unbounded cycle was reported."""
        state[node] = 1
        stack.append(node)
        for target, path in edges.get(node, []):
            if target not in by_id:
                continue
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                check.add(
                    path,
                    f"{_path_text(path)}: steps loop without a bound ({' → '.join(cycle)}); "
                    "only a decide option with max_loops may lead back",
                )
                return True
            if state.get(target, 0) == 0 and visit(target):
                return True
        stack.pop()
        state[node] = 2
        return False

    for sid in by_id:
        if state.get(sid, 0) == 0 and visit(sid):
            break
