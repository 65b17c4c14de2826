"""The raw log: one raw archive per pull, cut back to the last checkpoint on resume and
linked (not copied) into the evidence store; pulls begun with per-part raw files still
finish with the same archive."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ircli.config import parse_config
from ircli.core.clock import FixedClock
from ircli.errors import IntegrityError
from ircli.evidence import archive
from ircli.evidence.pull import PullCancelled
from ircli.evidence.sources import SourceEnv
from ircli.services.evidence import evidence_rows, pull_evidence, verify_evidence
from ircli.services.incidents import open_incident
from ircli.services.workspace import Workspace

URL = "https://logs.example/v1/requests"
PAGES = 12


def body(n: int) -> bytes:
    records = [
        {
            "request_id": f"r{n}-{i}",
            "ts": f"2026-03-01T09:00:{i:02d}Z",
            "account_id": "acct-1",
            "model": "m",
            "input_tokens": i,
            "output_tokens": 1,
            "prompt_text": f"prompt {n} {i} é",
        }
        for i in range(20)
    ]
    cursor = str(n + 1) if n + 1 < PAGES else None
    return json.dumps({"data": records, "next_cursor": cursor}, ensure_ascii=False).encode()


def env() -> SourceEnv:
    def answer(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("cursor", "0"))
        return httpx.Response(200, content=body(n), headers={"Content-Type": "application/json"})

    return SourceEnv(transport=httpx.MockTransport(answer))


def workspace(folder: Path) -> Workspace:
    folder.mkdir(parents=True, exist_ok=True)
    source = {"type": "http", "url": URL, "records": "data", "checkpoint_records": 50}
    config = parse_config({"sources": {"logs": source}})
    return Workspace(
        folder / "store.db", config, "alice", FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
    )


def cancelled_then_resumed(ws: Workspace, after_pages: int) -> tuple[str, Any]:
    inc = open_incident(ws, title="t").id
    seen: list[int] = []
    with pytest.raises(PullCancelled):
        pull_evidence(
            ws, inc, "logs", env=env(), progress=lambda r, p: seen.append(p),
            cancel=lambda: len(seen) >= after_pages,
        )  # fmt: skip
    return inc, seen


def straight(tmp_path: Path) -> dict[str, Any]:
    with workspace(tmp_path / "straight") as ws:
        inc = open_incident(ws, title="t").id
        return pull_evidence(ws, inc, "logs", env=env()).files


def test_the_raw_archive_is_the_pages_framed_and_linked_into_the_store(tmp_path: Path) -> None:
    files = straight(tmp_path)
    stored = tmp_path / "straight" / "store.files" / files["raw"]["path"]
    framed = b"".join(b"%d\n%s\n" % (len(body(n)), body(n)) for n in range(PAGES))
    assert stored.read_bytes() == framed
    assert files["raw"]["bytes"] == len(framed)
    assert stored.stat().st_mode & 0o777 == 0o400
    assert stored.stat().st_nlink == 1  # the pull's working name is gone
    assert not list((tmp_path / "straight" / "store.files" / "pulls").glob("EV-*/*"))


def test_bytes_written_after_the_last_checkpoint_are_cut_off(tmp_path: Path) -> None:
    want = straight(tmp_path)
    with workspace(tmp_path / "resumed") as ws:
        inc, _ = cancelled_then_resumed(ws, 5)
        [log] = (ws.store.files_dir / "pulls").glob("EV-*/raw.log")
        with log.open("ab") as handle:
            handle.write(b"999\nhalf a page that a crash left behind")  # never checkpointed
        item = pull_evidence(ws, inc, "logs", env=env())
        assert evidence_rows(ws, item).num_rows == PAGES * 20
        assert [c.ok for c in verify_evidence(ws, inc)] == [True]
    assert item.files["raw"]["sha256"] == want["raw"]["sha256"]
    assert item.files["parquet"]["sha256"] == want["parquet"]["sha256"]


def test_a_raw_log_shorter_than_its_checkpoint_is_refused(tmp_path: Path) -> None:
    with workspace(tmp_path / "short") as ws:
        inc, _ = cancelled_then_resumed(ws, 5)
        [log] = (ws.store.files_dir / "pulls").glob("EV-*/raw.log")
        with log.open("r+b") as handle:
            handle.truncate(log.stat().st_size - 10)
        with pytest.raises(IntegrityError, match="raw log of this pull holds"):
            pull_evidence(ws, inc, "logs", env=env())


def test_a_pull_begun_with_per_part_raw_files_finishes_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    want = straight(tmp_path)
    with workspace(tmp_path / "legacy") as ws:
        # As earlier versions did: each part with a raw file, checkpoints without raw_end.
        with monkeypatch.context() as patch:
            patch.setattr(archive, "RawLog", lambda folder, length: None)
            inc, _ = cancelled_then_resumed(ws, 5)
        started = [e.payload for e in ws.store.events(inc, types=["evidence.checkpoint"])]
        assert started and all("raw_end" not in p for p in started)
        assert list((ws.store.files_dir / "pulls").glob("EV-*/part-00000.raw"))
        item = pull_evidence(ws, inc, "logs", env=env())
        assert [c.ok for c in verify_evidence(ws, inc)] == [True]
    assert item.files["raw"]["sha256"] == want["raw"]["sha256"]
    assert item.files["parquet"]["sha256"] == want["parquet"]["sha256"]
