"""CSV, Timesketch and STIX: injection-safe, importable, valid."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest

from ircli.core.timeline import describes
from ircli.export.csv import FORMULA_STARTS, neutralise, restore
from ircli.export.timesketch import RESERVED
from ircli.services.export import export_timeline
from ircli.services.workspace import Workspace
from tests.export.fixed_incident import CSV_PAYLOAD


def _export(ws: Workspace, incident: str, fmt: str, **options: object) -> str:
    out = io.StringIO()
    export_timeline(ws, incident, fmt, out, **options)  # type: ignore[arg-type]
    return out.getvalue()


@describes("test.raw", "Raw plugin event")
def _raw(payload: dict[str, object]) -> str:
    return str(payload["text"])  # a plugin that shows attacker text as its whole line


@pytest.mark.parametrize("fmt", ["csv", "timesketch-csv"])
def test_csv_cells_never_start_a_formula(fixed_ws: Workspace, incident: str, fmt: str) -> None:
    fixed_ws.store.append(incident, "test.raw", {"text": CSV_PAYLOAD}, "alice")
    rows = list(csv.reader(io.StringIO(_export(fixed_ws, incident, fmt), newline="")))
    assert len(rows) == 23  # header + 21 events + the raw one
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert "'-mallory+1" in cells
    assert f"'{CSV_PAYLOAD}" in cells


def test_csv_round_trips_through_the_csv_module(
    fixed_ws: Workspace, incident: str, tmp_path: Path
) -> None:
    out = tmp_path / "t.csv"
    export_timeline(fixed_ws, incident, "csv", out)
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    events = list(fixed_ws.store.events(incident))
    assert [int(r["seq"]) for r in rows] == [e.seq for e in events]
    for row, event in zip(rows, events, strict=True):
        assert json.loads(restore(row["payload"])) == event.payload
        assert row["hash"] == event.hash and row["ts"] == event.ts
    note = next(r for r in rows if r["type"] == "note.added")
    assert restore(note["message"]) == f"Note: {CSV_PAYLOAD}"


@pytest.mark.parametrize(
    "cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "＝1", "plain", "", "'=x", "a=b"]
)
def test_neutralise_and_restore(cell: str) -> None:
    safe = neutralise(cell)
    assert not safe.startswith(FORMULA_STARTS)
    assert restore(safe) == cell


def _check_timesketch(record: dict[str, str]) -> None:
    assert isinstance(record["message"], str) and record["message"]
    assert isinstance(record["timestamp_desc"], str) and record["timestamp_desc"]
    moment = datetime.fromisoformat(record["datetime"])
    assert moment.utcoffset() is not None, "datetime needs an explicit offset"
    assert record["datetime"].endswith("+00:00")
    assert not RESERVED & set(record)
    assert not [key for key in record if key.startswith("_")]


def test_timesketch_jsonl(fixed_ws: Workspace, incident: str) -> None:
    records = [
        json.loads(line) for line in _export(fixed_ws, incident, "timesketch-jsonl").splitlines()
    ]
    assert len(records) == 21
    for record in records:
        _check_timesketch(record)
        assert record["timestamp"] == int(
            datetime.fromisoformat(record["datetime"]).timestamp() * 1_000_000
        )
    meanings = {r["event_type"]: r["timestamp_desc"] for r in records}
    assert meanings["decision.recorded"] == "Decision recorded"
    assert meanings["incident.opened"] == "Incident opened"


def test_timesketch_csv(fixed_ws: Workspace, incident: str) -> None:
    rows = list(
        csv.DictReader(io.StringIO(_export(fixed_ws, incident, "timesketch-csv"), newline=""))
    )
    assert len(rows) == 21
    for row in rows:
        _check_timesketch(row)


def test_reserved_payload_keys_stay_inside_the_payload(fixed_ws: Workspace, incident: str) -> None:
    fixed_ws.store.append(
        incident, "note.added", {"text": "x", "_id": "1", "__ts_timeline_id": 3}, "bob"
    )
    for line in _export(fixed_ws, incident, "timesketch-jsonl").splitlines():
        _check_timesketch(json.loads(line))


def test_stix_bundle_is_valid_with_tlp2_marking(fixed_ws: Workspace, incident: str) -> None:
    from stix2validator import ValidationOptions, validate_string

    text = _export(fixed_ws, incident, "stix")
    result = validate_string(text, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    assert not result.warnings
    bundle = json.loads(text)
    by_type: dict[str, list[dict[str, object]]] = {}
    for obj in bundle["objects"]:
        by_type.setdefault(str(obj["type"]), []).append(obj)
    (marking,) = by_type["marking-definition"]
    assert marking["id"] == "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
    assert marking["extensions"] == {
        "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
            "extension_type": "property-extension",
            "tlp_2_0": "amber",
        }
    }
    (inc,) = by_type["incident"]
    assert inc["external_references"][0]["hashes"]["SHA-256"] == fixed_ws.store.head(incident)[1]  # type: ignore[index]
    assert len(by_type["note"]) == 21
    for obj in bundle["objects"]:
        if obj["type"] != "marking-definition":
            assert obj["object_marking_refs"] == [marking["id"]]


def test_fast_stix_notes_equal_what_stix2_builds(fixed_ws: Workspace, incident: str) -> None:
    """The bundle writes notes without stix2's slow constructor: prove the bytes are the same."""
    import stix2

    from ircli.core.events import seal
    from ircli.export.stix import note_json, note_object, note_properties

    events = list(fixed_ws.store.events(incident))
    events.append(
        seal(
            incident,
            99,
            "2026-03-01T09:00:00.123456Z",
            "bob",
            "note.added",
            {"text": "é“\x1b"},
            "0" * 64,
        )
    )
    for event in events:
        props = note_properties(
            event,
            "incident--edfa5bc6-bb1d-4e2d-bbbc-6fe1cdd803a5",
            "identity--e4d3af41-362f-4401-a8a9-3138bc6b4f4b",
            "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        )
        assert note_json(stix2, props) == note_object(stix2, props).serialize()


@pytest.mark.parametrize(
    ("level", "marking"),
    [
        ("CLEAR", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"),
        ("GREEN", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"),
        ("AMBER", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"),
        ("AMBER+STRICT", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"),
        ("RED", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"),
    ],
)
def test_tlp_level_reaches_stix_and_the_banner(ws: Workspace, level: str, marking: str) -> None:
    from ircli.services.incidents import open_incident

    inc = open_incident(ws, title="t", tlp=level).id
    bundle = json.loads(_export(ws, inc, "stix"))
    (definition,) = [o for o in bundle["objects"] if o["type"] == "marking-definition"]
    assert definition["id"] == marking
    assert definition["name"] == f"TLP:{level}"
    assert all(o.get("object_marking_refs", [marking]) == [marking] for o in bundle["objects"])
    page = _export(ws, inc, "html")
    assert '<div class="tlp" style="color:' in page and f"TLP:{level}" in page
    assert "TLP:WHITE" not in page
