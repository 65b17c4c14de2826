"""Concurrent writers: real processes appending to one incident lose and fork nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ircli.config import Config
from ircli.services.incidents import open_incident, verify
from ircli.services.workspace import Workspace

WRITER = """
import sys
from ircli.store import Store
store = Store(sys.argv[1])
for i in range(int(sys.argv[3])):
    store.append(sys.argv[2], "note.added", {"text": f"writer {sys.argv[4]} note {i}"}, f"w{sys.argv[4]}")
store.close()
"""


def test_four_processes_append_a_thousand_events(tmp_path: Path) -> None:
    store_path = tmp_path / "shared.db"
    ws = Workspace(store_path, Config(), "alice")
    incident = open_incident(ws, title="concurrency").id
    ws.close()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(store_path), incident, "250", str(n)])
        for n in range(4)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    ws = Workspace(store_path, Config(), "alice")
    events = list(ws.store.events(incident))
    notes = [e for e in events if e.type == "note.added"]
    assert len(notes) == 1000
    assert [e.seq for e in events] == list(range(1, 1002))
    texts = {e.payload["text"] for e in notes}
    assert len(texts) == 1000  # nothing written twice, nothing lost
    result = verify(ws, incident)
    assert result.ok
    ws.close()


def test_expected_seq_refuses_a_stale_writer(ws: Workspace) -> None:
    from ircli.errors import RefusedError

    incident = open_incident(ws, title="optimistic").id
    head = ws.store.head(incident)[0]
    ws.store.append(incident, "note.added", {"text": "first"}, "alice", expected_seq=head)
    try:
        ws.store.append(incident, "note.added", {"text": "stale"}, "bob", expected_seq=head)
    except RefusedError as exc:
        assert "changed" in exc.message
    else:
        raise AssertionError("a stale writer was allowed to append")
    assert ws.store.head(incident)[0] == 2
