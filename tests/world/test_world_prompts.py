"""Prompt families: text is a pure function of the index, varied, and validated."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ircli.world.families import FAMILIES, family
from ircli.world.prompts import Family, prompt_hash


def test_text_is_a_pure_function_of_the_index() -> None:
    f = family("cot_explain")
    idx = np.array([5, 2**40 + 3, 7, 5], dtype=np.uint64)
    batch = f.texts(idx)
    assert batch[0] == batch[3] == f.text(5)
    assert batch[1] == f.text(2**40 + 3)
    assert list(f.texts(idx[::-1])) == list(batch[::-1])  # order and batch size do not matter


@pytest.mark.parametrize("name", [f.name for f in FAMILIES])
def test_families_paraphrase_and_vary(name: str) -> None:
    f = family(name)
    texts = f.texts(np.arange(3000, dtype=np.uint64))
    assert len(f.templates) >= 4
    floor = 60 if name == "support" else 500
    assert len(set(texts)) >= floor, name
    unfilled = re.compile(r"\{[a-z_0-9]+\}")
    assert all(isinstance(t, str) and t.strip() and not unfilled.search(t) for t in texts)


def test_unknown_slot_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown slot"):
        Family("broken", ("Hello {who}",), {"name": ("x",)})


def test_prompt_hash_is_sha256_hex() -> None:
    import hashlib

    assert prompt_hash("héllo") == hashlib.sha256("héllo".encode()).hexdigest()


def test_coercion_family_covers_several_scripts() -> None:
    texts = " ".join(family("coercion").texts(np.arange(500, dtype=np.uint64)))
    for marker in ("中文", "Deutsch", "español", "français", "по-русски", "日本語", "한국어"):
        assert marker in texts, marker
