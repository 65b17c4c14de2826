"""``ircli verify --file``: a JSONL export proves itself offline, with no store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ircli.services.export import export_timeline
from ircli.services.workspace import Workspace


@pytest.fixture
def export(fixed_ws: Workspace, incident: str, tmp_path: Path) -> Path:
    out = tmp_path / "export.jsonl"
    export_timeline(fixed_ws, incident, "jsonl", out)
    return out


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _verify(ircli, path: Path):  # type: ignore[no-untyped-def]
    result = ircli("verify", "--file", str(path), "--json")
    return result.code, json.loads(result.out)


def test_intact_export_verifies_without_a_store(ircli, export: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    elsewhere = tmp_path / "no-store-here.db"
    result = ircli("--store", str(elsewhere), "verify", "--file", str(export), "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["ok"] and report["complete"] and report["events"] == 21
    assert not elsewhere.exists(), "verify --file must not open or create a store"


def test_head_hash_matches_the_journal(
    ircli, fixed_ws: Workspace, incident: str, export: Path
) -> None:  # type: ignore[no-untyped-def]
    code, report = _verify(ircli, export)
    assert code == 0
    assert report["head_hash"] == fixed_ws.store.head(incident)[1]


@pytest.mark.parametrize("line", [0, 4, 20, 21])
def test_a_changed_byte_is_detected(ircli, export: Path, line: int) -> None:  # type: ignore[no-untyped-def]
    lines = _lines(export)
    text = bytearray(lines[line])
    # Flip one character inside a value (not a structural byte), keeping valid JSON.
    at = text.index(b'"ts":"') + 10 if line < 21 else text.index(b'"head_seq":') + 11
    text[at] = ord("7") if text[at] != ord("7") else ord("8")
    lines[line] = bytes(text)
    export.write_bytes(b"".join(lines))
    code, report = _verify(ircli, export)
    assert code == 7
    assert not report["ok"] and report["break"]["reason"]


def test_every_single_byte_change_is_detected(export: Path) -> None:
    """Exhaustive on one event line: no byte can change unnoticed."""
    from ircli.services.export import verify_export_file

    original = _lines(export)
    target = original[6]
    for index in range(len(target) - 1):  # the newline itself is layout
        for replacement in (0x20, 0x41):
            if target[index] == replacement:
                continue
            changed = bytearray(target)
            changed[index] = replacement
            lines = list(original)
            lines[6] = bytes(changed)
            export.write_bytes(b"".join(lines))
            assert not verify_export_file(export).ok, f"byte {index} -> {replacement:#x}"


@pytest.mark.parametrize("dropped", [0, 7, 20, 21])
def test_a_dropped_line_is_detected(ircli, export: Path, dropped: int) -> None:  # type: ignore[no-untyped-def]
    lines = _lines(export)
    del lines[dropped]
    export.write_bytes(b"".join(lines))
    code, report = _verify(ircli, export)
    assert code == 7
    assert not report["ok"]


def test_reordered_lines_are_detected(ircli, export: Path) -> None:  # type: ignore[no-untyped-def]
    lines = _lines(export)
    lines[5], lines[6] = lines[6], lines[5]
    export.write_bytes(b"".join(lines))
    code, report = _verify(ircli, export)
    assert code == 7
    assert "reordered" in report["break"]["reason"]


def test_added_line_after_head_is_detected(ircli, export: Path) -> None:  # type: ignore[no-untyped-def]
    lines = _lines(export)
    export.write_bytes(b"".join([*lines, lines[3]]))
    code, _ = _verify(ircli, export)
    assert code == 7


def test_a_recomputed_event_breaks_the_link(ircli, export: Path) -> None:  # type: ignore[no-untyped-def]
    """Rewriting an event and its own hash still breaks the next event's prev_hash."""
    from ircli.core.canonical import canonical_json
    from ircli.core.events import Event

    lines = _lines(export)
    event = Event.from_dict(json.loads(lines[4]))
    forged = Event(
        event.incident,
        event.seq,
        event.ts,
        event.actor,
        event.type,
        {"text": "nothing happened"},
        event.prev_hash,
    )
    forged = Event(
        *[
            getattr(forged, f)
            for f in ("incident", "seq", "ts", "actor", "type", "payload", "prev_hash")
        ],
        forged.compute_hash(),
    )
    lines[4] = (canonical_json(forged.to_dict()) + "\n").encode()
    export.write_bytes(b"".join(lines))
    code, report = _verify(ircli, export)
    assert code == 7
    assert report["break"]["line"] == 6


def test_partial_export_verifies_and_detects_drops(
    ircli,
    fixed_ws: Workspace,
    incident: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    out = tmp_path / "notes.jsonl"
    export_timeline(
        fixed_ws, incident, "jsonl", out, types=["note.added", "action.target_succeeded"]
    )
    code, report = _verify(ircli, out)
    assert code == 0 and not report["complete"] and report["events"] == 6
    lines = _lines(out)
    del lines[2]
    out.write_bytes(b"".join(lines))
    code, report = _verify(ircli, out)
    assert code == 7


def test_redacted_export_verifies_with_a_note(
    ircli,
    fixed_ws: Workspace,
    incident: str,
    tmp_path: Path,
    forum_key: str,  # type: ignore[no-untyped-def]
) -> None:
    out = tmp_path / "redacted.jsonl"
    export_timeline(fixed_ws, incident, "jsonl", out, redact=True)
    code, report = _verify(ircli, out)
    assert code == 0 and report["redacted"]
    assert "cannot be re-checked" in report["note"]
    lines = _lines(out)
    lines[2], lines[3] = lines[3], lines[2]
    out.write_bytes(b"".join(lines))
    assert _verify(ircli, out)[0] == 7


def test_garbage_and_missing_files(ircli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(b"\xff\xfe not json\n")
    result = ircli("verify", "--file", str(junk))
    assert result.code == 7 and "BROKEN" in result.out
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert ircli("verify", "--file", str(empty)).code == 7
    missing = ircli("verify", "--file", str(tmp_path / "nope.jsonl"))
    assert missing.code == 3 and "no export file" in missing.err
    assert ircli("verify", "INC-1", "--file", str(junk)).code == 2


def test_a_full_export_relabelled_partial_is_refused(ircli, export: Path) -> None:  # type: ignore[no-untyped-def]
    """Dropping an event and re-sealing the head as a "partial" export is still caught."""
    import hashlib

    lines = _lines(export)
    del lines[7]
    events, head = lines[:-1], json.loads(lines[-1])
    head.update(
        complete=False,
        events=len(events),
        digest="sha256:" + hashlib.sha256(b"".join(events)).hexdigest(),
    )
    from ircli.core.canonical import canonical_json

    export.write_bytes(b"".join([*events, (canonical_json(head) + "\n").encode()]))
    code, report = _verify(ircli, export)
    assert code == 7
    assert "disagree" in report["break"]["reason"]
