"""Attacker text becomes inert: no byte of it can act on a terminal."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from ircli.core.text import inert, is_inert

PAYLOADS = {
    "csi clear": "\x1b[2J\x1b[H",
    "osc title": "\x1b]0;owned\x07",
    "osc 52 clipboard": "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGU=\x07",
    "osc 8 hyperlink": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "c1 csi": "\x9b2J",
    "bidi override": "abc\u202edcba",
    "zero width": "ad\u200bmin",
    "carriage return": "ok\rEVIL",
    "backspace": "secret\x08\x08\x08",
}

_DANGEROUS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


def test_each_payload_is_neutralised_and_visible() -> None:
    for name, payload in PAYLOADS.items():
        shown = inert(payload)
        assert not _DANGEROUS.search(shown), name
        assert shown  # made visible, not silently dropped
    assert inert("\x1b[2J") == "␛[2J"
    assert inert("abc\u202edcba") == "abc<U+202E>dcba"


def test_markup_is_left_literal() -> None:
    assert inert("[bold red]x[/]") == "[bold red]x[/]"


def test_newlines_only_when_asked() -> None:
    assert inert("a\nb") == "a␊b"
    assert inert("a\nb", keep_newlines=True) == "a\nb"


def test_limit_truncates() -> None:
    assert inert("x" * 10, limit=5) == "xxxx…"


@given(st.text())
def test_inert_output_has_no_control_characters(text: str) -> None:
    shown = inert(text)
    assert not _DANGEROUS.search(shown)
    assert is_inert(shown)


def _reference(text: str, keep_newlines: bool) -> str:
    """The character-by-character definition the fast paths must agree with."""
    out = []
    for c in text:
        code = ord(c)
        if c == "\n" and keep_newlines:
            out.append(c)
        elif code < 0x20:
            out.append(chr(0x2400 + code))
        elif code == 0x7F:
            out.append("\u2421")
        elif (
            0x80 <= code <= 0x9F
            or c in "\u2028\u2029\u061c\u00ad\u180e"
            or unicodedata.category(c) in ("Cf", "Co", "Cs")
        ):
            out.append(f"<U+{code:04X}>")
        else:
            out.append(c)
    return "".join(out)


@given(
    st.text(
        alphabet=st.one_of(
            st.characters(max_codepoint=0x7F),
            st.characters(),
            st.sampled_from("\u202e\u200b\ufeff\ue000\x9b\x1b\n\t"),
        )
    ),
    st.booleans(),
)
def test_fast_paths_agree_with_the_definition(text: str, keep_newlines: bool) -> None:
    assert inert(text, keep_newlines=keep_newlines) == _reference(text, keep_newlines)
