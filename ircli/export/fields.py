"""Defensive readers for payload fields written by other parts of ircli.

Exports must never crash on an event written by an older or newer ircli, or by a
plugin: every field is optional, every type is checked, and a missing value reads
as empty rather than raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ircli.core.canonical import canonical_json
from ircli.core.text import inert


def first(payload: Mapping[str, Any], *keys: str) -> Any:
    """The first present, non-empty value among ``keys``."""
    for key in keys:
        value = payload.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def text(value: Any, limit: int = 500) -> str:
    """Any value as one line of text (structures as canonical JSON)."""
    if value is None:
        return ""
    if isinstance(value, str):
        out = value
    elif isinstance(value, dict | list):
        try:
            out = canonical_json(value)
        except ValueError:
            out = repr(value)
    else:
        out = str(value)
    out = " ".join(out.split())
    return out if len(out) <= limit else out[: limit - 1] + "…"


def number(value: Any) -> int | None:
    """An integer count: ints, numeric strings, or the length of a list."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value:
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    if isinstance(value, list | tuple):
        return len(value)
    return None


def measure(value: Any) -> float | None:
    """A finite real number, or ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        as_float = float(value)
        return as_float if as_float == as_float and abs(as_float) != float("inf") else None
    if isinstance(value, str):
        try:
            return measure(float(value))
        except ValueError:
            return None
    return None


def names(value: Any) -> list[str]:
    """A list of names from a list, a comma-separated string or a single value."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [text(item, 120) for item in value if item not in (None, "")]
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [text(value, 120)]


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a dict, else an empty dict."""
    return value if isinstance(value, dict) else {}


def visible(value: object, limit: int | None = None) -> str:
    """:func:`inert` text, skipping its per-character scan for plain printable ASCII.

    Printable ASCII holds nothing ``inert`` would change; most journal values are such,
    and the scan dominates the cost of a large report.
    """
    text = str(value)
    if text.isascii() and text.isprintable():
        return text if limit is None or len(text) <= limit else text[: max(limit - 1, 0)] + "…"
    return inert(text, keep_newlines=True, limit=limit)
