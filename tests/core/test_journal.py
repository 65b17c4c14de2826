"""The journal is tamper-evident: every kind of edit to the SQLite file is caught at its seq."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ircli.core.events import GENESIS_HASH, seal, verify_chain
from ircli.exitcodes import ExitCode
from ircli.services.incidents import add_note, open_incident, verify
from ircli.services.workspace import Workspace


def _incident_with_notes(ws: Workspace, notes: int = 9) -> str:
    state = open_incident(ws, title="Hydra cluster", subjects=["acct-1", "acct-2"])
    for i in range(notes):
        add_note(ws, state.id, f"observation {i}: ratio 4.{i}")
    ws.close()
    return state.id


def _sql(path: Path, statement: str, params: tuple[object, ...] = ()) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(statement, params)
    conn.close()


def _first_break(ws: Workspace, incident: str) -> int | None:
    result = verify(ws, incident)
    report = result.reports[0]
    return report.brk.seq if report.brk else None


def test_untouched_store_verifies(ws: Workspace) -> None:
    incident = _incident_with_notes(ws)
    result = verify(ws)
    assert result.ok
    assert result.reports[0].events == 10
    assert result.reports[0].head_hash == ws.store.head(incident)[1]


@pytest.mark.parametrize("seq", [1, 4, 10])
def test_changed_byte_in_payload_is_caught(ws: Workspace, seq: int) -> None:
    incident = _incident_with_notes(ws)
    conn = sqlite3.connect(ws.store_path)
    (payload,) = conn.execute(
        "SELECT payload FROM events WHERE incident=? AND seq=?", (incident, seq)
    ).fetchone()
    conn.close()
    # Change one character inside a value: still valid JSON, different content.
    index = payload.index('"', payload.index(":")) + 1
    changed = payload[:index] + ("X" if payload[index] != "X" else "Y") + payload[index + 1 :]
    assert len(changed) == len(payload) and changed != payload
    _sql(
        ws.store_path,
        "UPDATE events SET payload=? WHERE incident=? AND seq=?",
        (changed, incident, seq),
    )
    assert _first_break(ws, incident) == seq


def test_non_canonical_payload_bytes_are_caught(ws: Workspace) -> None:
    incident = _incident_with_notes(ws)
    # Same JSON value, different bytes (a space): the stored form must be canonical.
    _sql(
        ws.store_path,
        "UPDATE events SET payload=replace(payload, '\":', '\": ') WHERE incident=? AND seq=3",
        (incident,),
    )
    assert _first_break(ws, incident) == 3


def test_payload_that_is_no_longer_json_is_caught(ws: Workspace) -> None:
    incident = _incident_with_notes(ws)
    _sql(
        ws.store_path,
        "UPDATE events SET payload=substr(payload, 2) WHERE incident=? AND seq=5",
        (incident,),
    )
    assert _first_break(ws, incident) == 5


@pytest.mark.parametrize("column", ["actor", "ts", "type", "prev_hash", "hash"])
def test_changed_metadata_is_caught(ws: Workspace, column: str) -> None:
    incident = _incident_with_notes(ws)
    _sql(
        ws.store_path,
        f"UPDATE events SET {column}={column} || 'x' WHERE incident=? AND seq=6",
        (incident,),
    )
    assert _first_break(ws, incident) == 6


def test_deleted_event_is_caught(ws: Workspace) -> None:
    incident = _incident_with_notes(ws)
    _sql(ws.store_path, "DELETE FROM events WHERE incident=? AND seq=4", (incident,))
    assert _first_break(ws, incident) == 4


def test_two_swapped_events_are_caught(ws: Workspace) -> None:
    incident = _incident_with_notes(ws)
    _sql(ws.store_path, "UPDATE events SET seq=-1 WHERE incident=? AND seq=7", (incident,))
    _sql(ws.store_path, "UPDATE events SET seq=7 WHERE incident=? AND seq=8", (incident,))
    _sql(ws.store_path, "UPDATE events SET seq=8 WHERE incident=? AND seq=-1", (incident,))
    assert _first_break(ws, incident) == 7


def test_swapped_contents_are_caught(ws: Workspace) -> None:
    incident = _incident_with_notes(ws)
    conn = sqlite3.connect(ws.store_path)
    rows = {
        seq: (payload, hash_)
        for seq, payload, hash_ in conn.execute(
            "SELECT seq, payload, hash FROM events WHERE incident=? AND seq IN (2, 3)", (incident,)
        )
    }
    with conn:
        for a, b in ((2, 3), (3, 2)):
            conn.execute(
                "UPDATE events SET payload=?, hash=? WHERE incident=? AND seq=?",
                (rows[b][0], rows[b][1], incident, a),
            )
    conn.close()
    assert _first_break(ws, incident) == 2


def test_truncated_chain_is_caught(ws: Workspace) -> None:
    incident = _incident_with_notes(ws)
    _sql(ws.store_path, "DELETE FROM events WHERE incident=? AND seq>=8", (incident,))
    assert _first_break(ws, incident) == 8


def test_deleted_incident_is_caught(ws: Workspace) -> None:
    first = _incident_with_notes(ws, notes=1)
    _incident_with_notes(ws, notes=1)
    _sql(ws.store_path, "DELETE FROM events WHERE incident=?", (first,))
    _sql(ws.store_path, "DELETE FROM incidents WHERE id=?", (first,))
    result = verify(ws)
    assert not result.ok
    assert result.missing_incidents == [first]


def test_cli_verify_reports_first_break_and_exits_integrity(ws: Workspace, ircli) -> None:  # type: ignore[no-untyped-def]
    incident = _incident_with_notes(ws)
    ok = ircli("--store", str(ws.store_path), "verify", "--json")
    assert ok.code == ExitCode.OK
    assert json.loads(ok.out)["ok"] is True
    _sql(ws.store_path, "DELETE FROM events WHERE incident=? AND seq=5", (incident,))
    bad = ircli("--store", str(ws.store_path), "verify", incident, "--json")
    assert bad.code == ExitCode.INTEGRITY
    report = json.loads(bad.out)
    assert report["ok"] is False
    assert report["incidents"][0]["break"]["seq"] == 5
    human = ircli("--store", str(ws.store_path), "verify")
    assert human.code == ExitCode.INTEGRITY
    assert "BROKEN" in human.out and "at seq 5" in human.out


def test_verify_chain_on_plain_events() -> None:
    events = []
    prev = GENESIS_HASH
    for seq in range(1, 4):
        event = seal(
            "INC-0001", seq, "2026-01-01T00:00:00.000000Z", "a", "note.added", {"n": seq}, prev
        )
        events.append(event)
        prev = event.hash
    assert verify_chain("INC-0001", events).ok
    moved = verify_chain("INC-0002", events)
    assert moved.brk is not None and moved.brk.seq == 1
    assert verify_chain("INC-0001", events, expected_head=(4, "x")).brk is not None


def test_store_hashes_are_reproducible(ws: Workspace) -> None:
    incident = _incident_with_notes(ws, notes=2)
    for event in ws.store.events(incident):
        assert event.compute_hash() == event.hash


def test_non_finite_numbers_are_refused(ws: Workspace) -> None:
    state = open_incident(ws, title="t")
    with pytest.raises(ValueError):
        ws.store.append(state.id, "note.added", {"x": float("nan")}, "alice")
    assert ws.store.head(state.id)[0] == 1
