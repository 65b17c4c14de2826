"""STIX 2.1: the incident as a bundle, built with the ``stix2`` library.

The bundle holds the reporting lab's ``identity``, the incident's TLP 2.0
``marking-definition`` (the TLP 2.0 objects with their fixed ids, not stix2's
TLP 1.0 built-ins), an ``incident`` whose external reference carries the journal's
head hash, and one ``note`` per exported event (its external reference carries the
event's own hash, so a recipient with the JSONL export can match them).

Ids are UUIDv5 over the incident and the journal hashes: the same journal always
gives the same bundle. The bundle is streamed one object at a time.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar, TextIO

from ircli.core.canonical import canonical_json
from ircli.core.events import Event
from ircli.core.timeline import describe, time_meaning
from ircli.export import ExportSource

TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
TLP2_IDS = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# Names ids after the incident and journal, never after the machine or a random source.
NAMESPACE = uuid.UUID("6f1f7d1e-2b1a-5c55-9a53-69726c692d31")


def tlp_marking(level: str) -> Any:
    """The TLP 2.0 marking definition of ``level`` (``AMBER`` when unknown)."""
    import stix2

    level = level if level in TLP2_IDS else "AMBER"
    return stix2.MarkingDefinition(
        id=TLP2_IDS[level],
        created=TLP2_CREATED,
        name=f"TLP:{level}",
        extensions={
            TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level.lower()}
        },
    )


def stix_id(kind: str, *parts: str) -> str:
    """A deterministic STIX id of type ``kind``.

    STIX asks for UUIDv4 ids on objects other than SCOs; the bits come from a
    UUIDv5-style name hash, shaped as version 4, so ids are stable and well-formed.
    """
    name = uuid.uuid5(NAMESPACE, "|".join((kind, *parts)))
    return f"{kind}--{uuid.UUID(bytes=name.bytes, version=4)}"


class StixWriter:
    """The incident and its timeline as a STIX 2.1 bundle."""

    name: ClassVar[str] = "stix"
    suffix: ClassVar[str] = ".json"
    description: ClassVar[str] = "STIX 2.1 bundle (incident, timeline notes, TLP 2.0 marking)"

    def write(self, source: ExportSource, out: TextIO) -> int:
        """Stream the bundle: header, fixed objects, one note per event, footer."""
        import stix2

        inc = source.incident
        marking = tlp_marking(inc.tlp)
        lab = stix2.Identity(
            id=stix_id("identity", source.producer),
            created=TLP2_CREATED,
            modified=TLP2_CREATED,
            name=source.producer,
            identity_class="organization",
            object_marking_refs=[marking.id],
        )
        incident_id = stix_id("incident", inc.id)
        created = inc.created or source.generated_at
        incident = stix2.Incident(
            id=incident_id,
            created=created,
            modified=max(inc.updated or created, created),
            created_by_ref=lab.id,
            name=inc.title or inc.id,
            description=_incident_text(source),
            labels=[inc.severity, inc.status],
            external_references=[
                {
                    "source_name": "ircli-journal",
                    "external_id": inc.id,
                    "description": f"head of the incident journal at seq {source.head_seq}",
                    "hashes": {"SHA-256": source.head_hash},
                }
            ],
            object_marking_refs=[marking.id],
        )
        bundle_id = stix_id(
            "bundle",
            inc.id,
            source.head_hash,
            canonical_json(source.selection),
            str(source.redacted),
        )
        out.write('{"type": "bundle", "id": "' + bundle_id + '", "objects": [\n')
        out.write(",\n".join(obj.serialize() for obj in (marking, lab, incident)))
        count = 0
        for event in source.events():
            properties = note_properties(event, incident_id, lab.id, marking.id)
            fast = note_json(stix2, properties)
            if not count:  # stix2 checks the first note in full; the rest share its shape
                checked = note_object(stix2, properties).serialize()
                if json.loads(checked) != json.loads(fast):
                    raise AssertionError("the fast STIX note form drifted from stix2's")
            out.write(",\n" + fast)
            count += 1
        out.write("\n]}\n")
        return count


def _incident_text(source: ExportSource) -> str:
    inc = source.incident
    parts = [inc.description or inc.title or inc.id]
    parts.append(f"Severity {inc.severity}, status {inc.status}, TLP:{inc.tlp}.")
    if inc.summary:
        parts.append(f"Closing summary: {inc.summary}")
    if source.redacted:
        parts.append("Identifiers are redacted under the Forum redaction policy.")
    return "\n\n".join(parts)


def note_properties(event: Event, incident_id: str, lab_id: str, marking_id: str) -> dict[str, Any]:
    """The properties of one event's ``note``, in the order stix2 serialises them."""
    return {
        "type": "note",
        "spec_version": "2.1",
        "id": stix_id("note", event.incident, event.hash),
        "created_by_ref": lab_id,
        "created": event.ts,
        "modified": event.ts,
        "abstract": f"{time_meaning(event.type)} (#{event.seq})",
        "content": f"{describe(event)}\n\nactor: {event.actor}\ntype: {event.type}\n"
        f"payload: {canonical_json(event.payload)}",
        "authors": [event.actor],
        "object_refs": [incident_id],
        "external_references": [
            {
                "source_name": "ircli-journal",
                "hashes": {"SHA-256": event.hash},
                "external_id": f"{event.incident}#{event.seq}",
            }
        ],
        "object_marking_refs": [marking_id],
    }


def note_object(stix2: Any, properties: dict[str, Any]) -> Any:
    """The note built and checked by stix2 (the reference for :func:`note_json`)."""
    return stix2.Note(**{k: v for k, v in properties.items() if k not in ("type", "spec_version")})


def note_json(stix2: Any, properties: dict[str, Any]) -> str:
    """The note serialised exactly as stix2 would, without building a stix2 object.

    Building a stix2 object costs about 1 ms; a 100,000-event bundle would take minutes.
    Notes have one fixed shape, so the first one is built by stix2 and compared with
    this fast form (see :class:`StixWriter`), and tests compare every golden note too.
    """
    out = dict(properties)
    for key in ("created", "modified"):
        out[key] = _stix_time(stix2, str(out[key]))
    return json.dumps(out, ensure_ascii=True)


_TIMES: dict[str, str] = {}


def _stix_time(stix2: Any, ts: str) -> str:
    if ts not in _TIMES:
        if len(_TIMES) > 4096:
            _TIMES.clear()
        moment = stix2.utils.parse_into_datetime(
            ts, precision="millisecond", precision_constraint="min"
        )
        _TIMES[ts] = stix2.utils.format_datetime(moment)
    return _TIMES[ts]
