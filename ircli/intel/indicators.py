"""Shared indicators as ircli keeps them: parsed, with their source lab, or kept as unsupported.

Objects come from another lab's server and are data, never trusted: each is checked for
the few properties ircli relies on, text is bounded, and an object that fails is counted
as rejected with the reason rather than aborting the pull.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ircli.intel.patterns import PatternUnsupported, Term, parse_pattern

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}--[0-9a-fA-F-]{36}$")
MAX_NAME = 300


@dataclass(frozen=True)
class IntelIndicator:
    """One shared indicator; ``terms`` is empty and ``unsupported`` says why when ircli
    cannot match its pattern."""

    id: str
    modified: str
    pattern: str
    source: str | None
    source_name: str | None
    name: str = ""
    terms: tuple[Term, ...] = ()
    unsupported: str | None = None
    revoked: bool = False
    valid_until: str | None = None
    markings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the journal."""
        return {
            "id": self.id,
            "modified": self.modified,
            "name": self.name,
            "pattern": self.pattern,
            "source": self.source,
            "source_name": self.source_name,
            "terms": [t.to_dict() for t in self.terms],
            "unsupported": self.unsupported,
            "revoked": self.revoked,
            "valid_until": self.valid_until,
            "markings": list(self.markings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IntelIndicator:
        """Rebuild from :meth:`to_dict`."""
        return cls(
            id=str(data["id"]),
            modified=str(data.get("modified", "")),
            pattern=str(data.get("pattern", "")),
            source=data.get("source"),
            source_name=data.get("source_name"),
            name=str(data.get("name", "")),
            terms=tuple(Term.from_dict(t) for t in data.get("terms", [])),
            unsupported=data.get("unsupported"),
            revoked=bool(data.get("revoked", False)),
            valid_until=data.get("valid_until"),
            markings=tuple(str(m) for m in data.get("markings", [])),
        )


@dataclass
class IntelBatch:
    """What one pull yielded: indicators (supported or not), identities and rejects."""

    indicators: list[IntelIndicator] = field(default_factory=list)
    identities: dict[str, str] = field(default_factory=dict)
    rejected: list[dict[str, str]] = field(default_factory=list)
    other_objects: int = 0


def read_objects(
    objects: Iterable[Any], known_identities: dict[str, str] | None = None
) -> IntelBatch:
    """Sort a stream of STIX objects into indicators, identity names and rejects."""
    batch = IntelBatch()
    raw_indicators: list[dict[str, Any]] = []
    for index, obj in enumerate(objects):
        problem = _shape_problem(obj)
        if problem:
            ident = obj.get("id") if isinstance(obj, dict) else None
            batch.rejected.append(
                {"id": _short(ident) if isinstance(ident, str) else f"#{index}", "reason": problem}
            )
            continue
        if obj["type"] == "identity" and isinstance(obj.get("name"), str):
            batch.identities[obj["id"]] = _short(obj["name"], MAX_NAME)
        elif obj["type"] == "indicator":
            raw_indicators.append(obj)
        else:
            batch.other_objects += 1
    names = {**(known_identities or {}), **batch.identities}
    for obj in raw_indicators:
        problem = _indicator_problem(obj)
        if problem:
            batch.rejected.append({"id": obj["id"], "reason": problem})
            continue
        batch.indicators.append(_indicator(obj, names))
    return batch


def _shape_problem(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return "not a JSON object"
    if not isinstance(obj.get("type"), str) or not isinstance(obj.get("id"), str):
        return "no 'type' or 'id'"
    if not _ID_RE.match(obj["id"]) or not obj["id"].startswith(obj["type"] + "--"):
        return "the id is not '<type>--<uuid>'"
    return None


def _indicator_problem(obj: dict[str, Any]) -> str | None:
    if not isinstance(obj.get("pattern"), str) or not obj["pattern"].strip():
        return "indicator without a pattern"
    if obj.get("pattern_type", "stix") != "stix":
        return None  # kept, reported unsupported below
    for key in ("modified", "created"):
        if key in obj and not isinstance(obj[key], str):
            return f"'{key}' is not a timestamp"
    refs = obj.get("object_marking_refs", [])
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        return "'object_marking_refs' is not a list of ids"
    return None


def _indicator(obj: dict[str, Any], names: dict[str, str]) -> IntelIndicator:
    pattern = obj["pattern"]
    terms: tuple[Term, ...] = ()
    unsupported: str | None = None
    pattern_type = obj.get("pattern_type", "stix")
    if pattern_type != "stix":
        unsupported = f"pattern_type '{_short(str(pattern_type), 40)}' is not STIX patterning"
    else:
        try:
            terms = tuple(parse_pattern(pattern))
        except PatternUnsupported as exc:
            unsupported = str(exc)
        except RecursionError:
            unsupported = "the pattern nests too deeply"
    source = obj.get("created_by_ref") if isinstance(obj.get("created_by_ref"), str) else None
    valid_until = obj.get("valid_until")
    return IntelIndicator(
        id=obj["id"],
        modified=str(obj.get("modified") or obj.get("created") or ""),
        pattern=_short(pattern, 2000),
        source=source,
        source_name=names.get(source) if source else None,
        name=_short(obj["name"], MAX_NAME) if isinstance(obj.get("name"), str) else "",
        terms=terms,
        unsupported=unsupported,
        revoked=obj.get("revoked") is True,
        valid_until=valid_until if isinstance(valid_until, str) else None,
        markings=tuple(obj.get("object_marking_refs", [])),
    )


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def latest(indicators: Iterable[IntelIndicator]) -> list[IntelIndicator]:
    """One entry per indicator id: its latest version (by ``modified``), revoked ones removed."""
    best: dict[str, IntelIndicator] = {}
    for indicator in indicators:
        current = best.get(indicator.id)
        if current is None or indicator.modified >= current.modified:
            best[indicator.id] = indicator
    return [i for i in best.values() if not i.revoked]
