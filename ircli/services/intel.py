"""Forum intelligence: pull shared indicators over TAXII 2.1 and match them as sightings.

Pulls are incremental: each ``intel.pulled`` event journals the collection's high-water
mark (the server's ``X-TAXII-Date-Added-Last``), and the next pull asks only for what was
added after it. A pull is journaled only once every page arrived, so an interrupted pull
records nothing and is simply run again.

Evidence is the normalised Parquet file of each finished pull (``evidence.added``), found
through the evidence service.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ircli.core.canonical import sha256_hex
from ircli.core.events import Event
from ircli.errors import ConfigError, NotFoundError
from ircli.intel.indicators import IntelIndicator, latest, read_objects
from ircli.intel.settings import TaxiiEndpoint, forum_settings, taxii_source
from ircli.intel.source import TaxiiSource
from ircli.services.incidents import get_incident, resolve_incident_id
from ircli.services.workspace import Workspace

if TYPE_CHECKING:
    import httpx

    from ircli.core.redaction import RedactionPolicy
    from ircli.intel.match import Sighting


@dataclass
class PullResult:
    """What one pull brought in."""

    incident: str
    collection: str
    added_after: str | None
    high_water: str | None
    pages: int
    objects: int
    indicators: int
    unsupported: list[dict[str, str]] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    recorded: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``--json``)."""
        return {
            "incident": self.incident,
            "collection": self.collection,
            "added_after": self.added_after,
            "high_water": self.high_water,
            "pages": self.pages,
            "objects": self.objects,
            "indicators": self.indicators,
            "unsupported": self.unsupported,
            "rejected": self.rejected,
            "recorded": self.recorded,
        }


def intel_endpoint(ws: Workspace, source: str | None = None) -> TaxiiEndpoint:
    """The TAXII endpoint to pull from: ``[sources.NAME]`` (type taxii) or the Forum's."""
    if source is None:
        return forum_settings(ws.config.forum).intel_endpoint()
    table = ws.config.sources.get(source)
    if table is None:
        raise NotFoundError(
            f"no source named '{source}' in the configuration",
            hint="add [sources.NAME] with type = 'taxii', or leave --source out to use [forum]",
        )
    if table.get("type") != "taxii":
        raise ConfigError(f"source '{source}' is of type {table.get('type')!r}, not 'taxii'")
    return taxii_source(source, table)


def pull_intel(
    ws: Workspace,
    incident: str,
    *,
    source: str | None = None,
    full: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> PullResult:
    """Pull new indicators into the incident's journal (``intel.pulled``)."""
    state = get_incident(ws, incident)
    endpoint = intel_endpoint(ws, source)
    key = _collection_key(endpoint)
    previous = [e.payload for e in ws.store.events(state.id, types=["intel.pulled"])]
    mine = [p for p in previous if _collection_key_of(p) == key]
    added_after = None if full or not mine else mine[-1].get("high_water")
    known = {k: v for p in previous for k, v in p.get("identities", {}).items()}

    fetched = TaxiiSource(endpoint, source or "forum").fetch(
        added_after=added_after, transport=transport
    )
    objects, high_water, pages = fetched.objects, fetched.high_water, fetched.pages
    batch = read_objects(objects, known)
    unsupported = [
        {"id": i.id, "reason": i.unsupported or ""} for i in batch.indicators if i.unsupported
    ]
    result = PullResult(
        incident=state.id,
        collection=endpoint.collection,
        added_after=added_after,
        high_water=high_water,
        pages=pages,
        objects=len(objects),
        indicators=len(batch.indicators),
        unsupported=unsupported,
        rejected=batch.rejected,
    )
    if not objects and added_after is not None:
        result.recorded = False  # nothing new: the journal already holds this high-water mark
        return result
    file_info = _keep_raw(ws, objects)
    ws.store.append(
        state.id,
        "intel.pulled",
        {
            "source": source or "forum",
            "url": endpoint.url,
            "api_root": endpoint.api_root,
            "collection": endpoint.collection,
            "added_after": added_after,
            "high_water": high_water,
            "pages": pages,
            "objects": len(objects),
            "indicators": [i.to_dict() for i in batch.indicators],
            "unsupported": unsupported,
            "rejected": batch.rejected,
            "identities": batch.identities,
            "file": file_info,
        },
        ws.actor,
    )
    return result


def describe_intel_server(
    ws: Workspace, *, source: str | None = None, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """The TAXII server's discovery, API root and collections (``ircli intel collections``)."""
    from ircli.intel.source import describe_server

    return describe_server(intel_endpoint(ws, source), transport=transport)


def _collection_key(endpoint: TaxiiEndpoint) -> tuple[str, str, str]:
    return (endpoint.url.rstrip("/"), endpoint.api_root.strip("/"), endpoint.collection)


def _collection_key_of(payload: dict[str, Any]) -> tuple[str, str, str]:
    return (
        str(payload.get("url", "")).rstrip("/"),
        str(payload.get("api_root", "")).strip("/"),
        str(payload.get("collection", "")),
    )


def _keep_raw(ws: Workspace, objects: list[Any]) -> dict[str, str]:
    """The pulled objects as a content-addressed JSON file beside the store."""
    data = json.dumps({"objects": objects}, sort_keys=True, ensure_ascii=False).encode("utf-8")
    digest = sha256_hex(data)
    folder = ws.store.files_dir / "intel"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / f"{digest}.json"
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return {"path": f"intel/{digest}.json", "sha256": digest}


def intel_indicators(ws: Workspace, incident: str) -> list[IntelIndicator]:
    """The incident's pulled indicators: latest version of each, revoked ones removed."""
    incident = resolve_incident_id(ws, incident)
    return latest(
        IntelIndicator.from_dict(d)
        for e in ws.store.events(incident, types=["intel.pulled"])
        for d in e.payload.get("indicators", [])
    )


def evidence_files(ws: Workspace, incident: str) -> tuple[list[Path], list[Path]]:
    """The incident's normalised Parquet files of the ``requests`` and ``accounts`` tables."""
    from ircli.services.evidence import evidence_file, list_evidence

    incident = resolve_incident_id(ws, incident)
    tables: dict[str, list[Path]] = {"requests": [], "accounts": []}
    for item in list_evidence(ws, incident):
        if item.status != "complete" or item.table not in tables:
            continue
        path = evidence_file(ws, item, "parquet")
        if path not in tables[item.table] and path.is_file():
            tables[item.table].append(path)
    return tables["requests"], tables["accounts"]


def forum_policy(ws: Workspace) -> RedactionPolicy:
    """The redaction policy keyed with the Forum-shared key (secret ``[forum] hmac_secret``)."""
    from ircli.core.redaction import RedactionPolicy
    from ircli.secrets import get_secret

    name = "forum-hmac"
    if ws.config.forum:
        name = forum_settings(ws.config.forum).hmac_secret
    return RedactionPolicy(key=get_secret(name).reveal().encode("utf-8"))


def match_intel(ws: Workspace, incident: str) -> list[dict[str, Any]]:
    """Match pulled indicators against the incident's evidence; journal new ``intel.sighting`` s.

    A sighting identical to the last one recorded for the same indicator is not recorded
    again, so matching twice adds nothing. Returns every current sighting.
    """
    from ircli.intel.match import Evidence, match_indicators

    state = get_incident(ws, incident)
    indicators = intel_indicators(ws, state.id)
    requests, accounts = evidence_files(ws, state.id)
    if not indicators or not (requests or accounts):
        return intel_sightings(ws, state.id)
    policy = forum_policy(ws)
    evidence = Evidence(requests, accounts)
    try:
        found: list[Sighting] = match_indicators(indicators, evidence, policy)
    finally:
        evidence.close()
    recorded = {s["indicator"]: s for s in intel_sightings(ws, state.id)}
    new = [s.to_dict() for s in found if recorded.get(s.indicator) != s.to_dict()]
    if new:
        ws.store.append_many(state.id, [("intel.sighting", s) for s in new], ws.actor)
    return intel_sightings(ws, state.id)


def intel_sightings(ws: Workspace, incident: str) -> list[dict[str, Any]]:
    """The latest sighting recorded for each indicator."""
    incident = resolve_incident_id(ws, incident)
    return list(_latest_sightings(ws.store.events(incident, types=["intel.sighting"])).values())


def _latest_sightings(events: Iterable[Event]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for event in events:
        out[str(event.payload.get("indicator"))] = dict(event.payload)
    return out


def intel_variables(ws: Workspace, incident: str) -> dict[str, Any]:
    """Incident variables for playbook ``when:`` conditions.

    ``intel_sightings`` (count), ``intel_matched_accounts`` (sorted ids),
    ``intel_indicators`` (matched indicator ids), ``intel_sources`` (lab names or ids),
    ``intel_records`` (matching evidence rows).
    """
    sightings = intel_sightings(ws, incident)
    accounts = sorted({a for s in sightings for a in s.get("accounts", [])})
    return {
        "intel_sightings": len(sightings),
        "intel_matched_accounts": accounts,
        "intel_indicators": sorted(s["indicator"] for s in sightings),
        "intel_sources": sorted({s.get("source_name") or s.get("source") or "" for s in sightings}),
        "intel_records": sum(int(s.get("count", 0)) for s in sightings),
    }


def intel_reasons(ws: Workspace, incident: str) -> dict[str, list[str]]:
    """Per account, plain-language reasons from intel sightings (for the analysis)."""
    reasons: dict[str, list[str]] = {}
    for s in intel_sightings(ws, incident):
        source = s.get("source_name") or s.get("source") or "another lab"
        what = ", ".join(sorted({m["kind"] for m in s.get("matched", [])})) or "evidence"
        label = s.get("name") or s["indicator"]
        text = f"matches Forum indicator “{label}” shared by {source} (on {what})"
        for account in s.get("accounts", []):
            reasons.setdefault(account, []).append(text)
    return reasons
