"""Prompt families: paraphrased templates × topics × slot fillers, addressed by an index.

A family's text is a pure function of a 64-bit index, so a curriculum can be walked,
sharded and replayed (same index → same text → same ``prompt_hash``) without keeping
millions of strings in memory. Each slot's choice is a different hash of the index, so
consecutive curriculum items differ everywhere, as a real harvest queue's do.

Composition is vectorised: rows are grouped by template and each template is joined
from its literal parts and slot columns as numpy object arrays, so a row costs little
more than the string concatenation itself.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeAlias, Union

import numpy as np

# A slot filler: a list of alternatives, an integer range, or a nested family.
Filler: TypeAlias = Union[Sequence[str], range, "Family"]

_GOLDEN_INT = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1
_S27, _S30, _S31 = np.uint64(27), np.uint64(30), np.uint64(31)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix(x: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64 of ``x`` under ``salt``: a fast, well-spread uint64 hash (vectorised)."""
    # Array arithmetic on uint64 wraps silently; only the scalar offset is computed in Python.
    z = x.astype(np.uint64) + np.uint64((salt * _GOLDEN_INT) & _MASK)
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return np.asarray(z ^ (z >> _S31))


def _salt(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big")


@dataclass(frozen=True, eq=False)
class Family:
    """A set of prompt templates sharing slots; ``texts(idx)`` composes prompts by index."""

    name: str
    templates: Sequence[str]
    slots: Mapping[str, Filler] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for _lits, names in self._parts:
            for slot in names:
                if slot not in self.slots:
                    raise ValueError(f"family {self.name}: template uses unknown slot {slot!r}")

    @cached_property
    def _parts(self) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
        # Each template as literal pieces interleaved with slot names (len(lits) = len(names)+1).
        out = []
        fmt = string.Formatter()
        for tpl in self.templates:
            lits, names = [""], []
            for literal, slot, _spec, _conv in fmt.parse(tpl):
                lits[-1] += literal
                if slot is not None:
                    names.append(slot)
                    lits.append("")
            out.append((tuple(lits), tuple(names)))
        return tuple(out)

    @cached_property
    def _columns(self) -> dict[str, tuple[int, np.ndarray | None]]:
        # Per slot: its salt and, for plain alternatives, an object array to take from.
        cols: dict[str, tuple[int, np.ndarray | None]] = {}
        for name, filler in self.slots.items():
            salt = _salt(f"{self.name}.{name}")
            if isinstance(filler, Family):
                cols[name] = (salt, None)
            else:
                values = [str(v) for v in filler] if isinstance(filler, range) else list(filler)
                arr = np.empty(len(values), dtype=object)
                arr[:] = values
                cols[name] = (salt, arr)
        return cols

    @cached_property
    def _users(self) -> dict[str, np.ndarray]:
        # For each slot, the templates that use it.
        return {
            name: np.array([t for t, (_, names) in enumerate(self._parts) if name in names])
            for name in self.slots
        }

    def texts(self, idx: np.ndarray) -> np.ndarray:
        """The prompts at indices ``idx`` (uint64 or int64 array), as an object array."""
        idx = np.asarray(idx).astype(np.uint64)
        out = np.empty(len(idx), dtype=object)
        if len(idx) == 0:
            return out
        which = (mix(idx, _salt(self.name)) % np.uint64(len(self.templates))).astype(np.intp)
        # One hash per slot over the rows that need it, then one join per template.
        cols: dict[str, tuple[np.ndarray | None, np.ndarray]] = {}
        for name, users in self._users.items():
            rows = None if len(users) == len(self._parts) else np.flatnonzero(np.isin(which, users))
            sub = idx if rows is None else idx[rows]
            if len(sub):
                cols[name] = (rows, self._slot(name, sub))
        for t, (lits, names) in enumerate(self._parts):
            rows = np.flatnonzero(which == t)
            if len(rows) == 0:
                continue
            acc = np.full(len(rows), lits[0], dtype=object)
            for name, lit in zip(names, lits[1:], strict=True):
                slot_rows, col = cols[name]
                acc = acc + (
                    col[rows] if slot_rows is None else col[np.searchsorted(slot_rows, rows)]
                )
                if lit:
                    acc = acc + lit
            out[rows] = acc
        return out

    def _slot(self, name: str, idx: np.ndarray) -> np.ndarray:
        salt, values = self._columns[name]
        h = mix(idx, salt)
        if values is None:
            nested = self.slots[name]
            assert isinstance(nested, Family)
            return nested.texts(h)
        return np.asarray(values[(h % np.uint64(len(values))).astype(np.intp)])

    def text(self, i: int) -> str:
        """The prompt at index ``i``."""
        return str(self.texts(np.array([i], dtype=np.uint64))[0])


def prompt_hash(text: str) -> str:
    """sha256 hex of the UTF-8 text, as the canonical schema defines ``prompt_hash``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
