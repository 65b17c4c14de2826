"""Typed form inputs: what a responder (or an answers file) types, checked and normalised."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ircli.errors import ValidationError
from ircli.playbooks.model import Field, Step

MAX_STRING = 1_000
MAX_TEXT = 20_000
MAX_ACCOUNTS = 100_000
_DURATION = re.compile(r"^(\d{1,6})\s*([smhdw])$")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def form_defaults(step: Step, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Initial values: the run's ``--input`` values first, then each field's default."""
    out: dict[str, Any] = {}
    for fld in step.fields:
        if fld.name in inputs:
            out[fld.name] = inputs[fld.name]
        elif fld.default is not None:
            out[fld.name] = fld.default
    return out


def missing_fields(step: Step, values: Mapping[str, Any]) -> list[str]:
    """Required fields without a value."""
    return [f.name for f in step.fields if f.required and values.get(f.name) in (None, "", [])]


def coerce_form(step: Step, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise every value; all problems are reported at once."""
    problems: list[str] = []
    known = {f.name: f for f in step.fields}
    for name in values:
        if name not in known:
            problems.append(f"unknown field '{name}' (fields: {', '.join(known)})")
    out: dict[str, Any] = {}
    for fld in step.fields:
        raw = values.get(fld.name)
        if raw in (None, "", []):
            if fld.required:
                problems.append(f"{fld.name}: a value is required ({fld.label})")
            continue
        try:
            out[fld.name] = coerce_value(fld, raw)
        except ValueError as exc:
            problems.append(f"{fld.name}: {exc}")
    if problems:
        raise ValidationError(
            f"step '{step.id}': " + "; ".join(problems),
            hint="fix the values in the answers file (or at the prompt) and run again",
        )
    return out


def coerce_value(fld: Field, raw: Any) -> Any:
    """One field's value in its type; ``ValueError`` with a readable reason otherwise."""
    kind = fld.type
    if kind in ("string", "text"):
        text = (
            str(raw) if isinstance(raw, str | int | float) and not isinstance(raw, bool) else None
        )
        if text is None:
            raise ValueError("expected text")
        limit = MAX_STRING if kind == "string" else MAX_TEXT
        if len(text) > limit:
            raise ValueError(f"at most {limit} characters")
        if kind == "string" and ("\n" in text or "\r" in text):
            raise ValueError("must be a single line")
        return text.strip()
    if kind in ("integer", "number"):
        return _number(fld, raw, integer=kind == "integer")
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError("expected yes or no")
    if kind == "choice":
        if str(raw) not in fld.choices:
            raise ValueError(f"{str(raw)[:40]!r} is not one of {', '.join(fld.choices)}")
        return str(raw)
    if kind == "duration":
        match = _DURATION.match(str(raw).strip().lower())
        if not match:
            raise ValueError(f"{str(raw)[:40]!r} is not a duration like 14d, 12h or 30m")
        return f"{int(match.group(1))}{match.group(2)}"
    if kind == "accounts":
        return parse_accounts(raw)
    raise ValueError(f"unknown field type {kind}")


def _number(fld: Field, raw: Any, *, integer: bool) -> int | float:
    if isinstance(raw, bool):
        raise ValueError("expected a number")
    try:
        value: int | float = int(str(raw).strip()) if integer else float(str(raw).strip())
    except ValueError:
        raise ValueError(
            f"{str(raw)[:40]!r} is not {'a whole number' if integer else 'a number'}"
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("expected a finite number")
    if fld.min is not None and value < fld.min:
        raise ValueError(f"at least {fld.min}")
    if fld.max is not None and value > fld.max:
        raise ValueError(f"at most {fld.max}")
    return value


def parse_accounts(raw: Any) -> list[str]:
    """Account ids from a list or comma/newline-separated text: trimmed, deduplicated,
    checked (no control characters, at most 256 characters each)."""
    parts = raw if isinstance(raw, list) else str(raw).replace("\n", ",").split(",")
    out: list[str] = []
    seen: set[str] = set()
    for part in parts:
        account = str(part).strip()
        if not account or account in seen:
            continue
        if len(account) > 256 or any(ord(c) < 32 for c in account):
            raise ValueError(f"invalid account id {account[:40]!r}")
        seen.add(account)
        out.append(account)
    if len(out) > MAX_ACCOUNTS:
        raise ValueError(f"{len(out)} accounts; at most {MAX_ACCOUNTS}")
    return out
