"""Attacker-controlled text made inert for a terminal.

Prompts, user agents and account names come from the adversary. Before such text
reaches a terminal it goes through :func:`inert`: control characters (ESC, CSI,
OSC, BEL, backspace, carriage return…), Unicode bidi overrides and zero-width
characters are replaced by visible stand-ins, so nothing can move the cursor, clear
the screen, retitle the window, write the clipboard or reorder what is shown.
Rich markup is not interpreted here; front ends must still render as plain text.
"""

from __future__ import annotations

import re
import unicodedata

# Bidi embeddings/overrides/isolates, zero-width and other invisible format characters.
_INVISIBLE = {
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u2060",
    "\u2061",
    "\u2062",
    "\u2063",
    "\u2064",
    "\ufeff",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u061c",
    "\u00ad",
    "\u180e",
}
_UNSAFE_RE = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(sorted(_INVISIBLE)) + "\u2028\u2029]")


def _stand_in(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # ␛, ␇, ␈, ␍ … (Unicode control pictures)
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


_FORMAT_CATEGORIES = ("Cf", "Co", "Cs")


def _neutralise(value: str, keep_newlines: bool) -> str:
    if keep_newlines:
        value = "\n".join(_UNSAFE_RE.sub(_stand_in, line) for line in value.split("\n"))
    else:
        value = _UNSAFE_RE.sub(_stand_in, value)
    # Other format/private characters a terminal might act on are shown by code point too
    # (ASCII has none, so only the distinct non-ASCII characters are looked up).
    odd = {c for c in set(value) if c > "\x7f" and unicodedata.category(c) in _FORMAT_CATEGORIES}
    if odd:
        value = "".join(f"<U+{ord(c):04X}>" if c in odd else c for c in value)
    return value


def inert(text: object, *, keep_newlines: bool = False, limit: int | None = None) -> str:
    """``text`` with every character that could act on a terminal made visible and harmless.

    ``keep_newlines`` keeps ``\\n`` (for multi-line panes); ``limit`` truncates with ``…``.
    """
    value = str(text)
    # Fast path: printable ASCII (most prompts, ids and user agents) has nothing to change.
    plain = value.replace("\n", "") if keep_newlines else value
    if not (plain.isascii() and plain.isprintable()):
        value = _neutralise(value, keep_newlines)
    if limit is not None and len(value) > limit:
        value = value[: max(limit - 1, 0)] + "…"
    return value


def is_inert(text: str) -> bool:
    """True when ``text`` contains nothing :func:`inert` would change."""
    return inert(text, keep_newlines=True) == text
