"""The fast road (pages parsed straight into Arrow columns and checked column by column)
must keep exactly the records, and quarantine exactly the records, with the same reasons
and bytes, that the careful road (record by record) does.

Pages come from the http source over a mock transport, so the whole pull runs: parsing,
normalising, quarantine, Parquet and the raw archive.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ircli.config import parse_config
from ircli.core.clock import FixedClock
from ircli.errors import ExternalServiceError
from ircli.evidence.mapping import Mapping, RecordProblem, raw_of
from ircli.evidence.pull import PullCancelled
from ircli.evidence.sources import SourceEnv
from ircli.evidence.sources import http as http_source
from ircli.evidence.sources.http import _UNSURE, HttpSource, _cursor_of
from ircli.services.evidence import evidence_rows, pull_evidence, quarantined_records
from ircli.services.incidents import open_incident
from ircli.services.workspace import Workspace

URL = "https://logs.example/v1/requests"
MAX_TEXT = 200
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def good(i: int, **over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "request_id": f"r{i}",
        "ts": f"2026-03-01T09:{i // 60 % 60:02d}:{i % 60:02d}.{i:06d}Z",
        "account_id": f"acct-{i % 3}",
        "model": "model-a",
        "input_tokens": 10 + i,
        "output_tokens": 20,
        "asn": None if i % 2 else 64512,
        "user_agent": "sdk/1.0",
        # Non-ASCII text, JSON escapes and a literal backslash-u that is not a NUL.
        "prompt_text": ["hello", "héllo wörld", "漢字 \U0001f600", 'a "q"\n\\u0000'][i % 4],
        "prompt_hash": None if i % 3 else "ab" * 32,
    }
    rec.update(over)
    return rec


def dumps(rec: Any) -> bytes:
    return json.dumps(rec, ensure_ascii=False).encode()


# One maker per kind of malformed record an API page can hold (a whole page of bad JSON is
# retried, not quarantined: see test_http_faults). Each returns the record's JSON bytes.
BAD: dict[str, Any] = {
    "not an object": lambda i: b'"just a string"',
    "wrong type": lambda i: dumps(good(i, output_tokens="lots")),
    "float for int": lambda i: dumps(good(i, input_tokens=1.0)),
    "bool for int": lambda i: dumps(good(i, asn=True)),
    "number for string": lambda i: dumps(good(i, model=7)),
    "missing account_id": lambda i: dumps({k: v for k, v in good(i).items() if k != "account_id"}),
    "null account_id": lambda i: dumps(good(i, account_id=None)),
    "missing ts": lambda i: dumps({k: v for k, v in good(i).items() if k != "ts"}),
    "bad ts": lambda i: dumps(good(i, ts="yesterday")),
    "oversize prompt": lambda i: dumps(good(i, prompt_text="é" * (MAX_TEXT + 1))),
    "invalid UTF-8": lambda i: dumps(good(i, user_agent="sdk-MARK")).replace(b"MARK", b"\xff\xfe"),
    "NUL byte": lambda i: dumps(good(i, user_agent="sdk\x00evil")),
    "NUL in prompt": lambda i: dumps(good(i, prompt_text="a\x00")),
}


def page(records: list[bytes], cursor: str | None) -> bytes:
    return b'{"data": [' + b", ".join(records) + b'], "next_cursor": ' + dumps(cursor) + b"}"


def serve(pages: list[bytes]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        index = int(request.url.params.get("cursor", "0"))
        return httpx.Response(
            200, content=pages[index], headers={"Content-Type": "application/json"}
        )

    return httpx.MockTransport(answer)


def paged(records: list[bytes], size: int) -> list[bytes]:
    chunks = [records[i : i + size] for i in range(0, len(records), size)] or [[]]
    return [
        page(chunk, str(n + 1) if n + 1 < len(chunks) else None) for n, chunk in enumerate(chunks)
    ]


def careful(pages: list[bytes]) -> tuple[list[dict[str, Any]], list[tuple[str, bytes, int]]]:
    """What the per-record road alone makes of the pages: rows and quarantine entries."""
    mapping = Mapping.build("requests", max_text=MAX_TEXT)
    rows, bad = [], []
    for index, body in enumerate(pages):
        for rec in json.loads(body.decode("utf-8", "surrogateescape"))["data"]:
            try:
                rows.append(mapping.normalize_one(rec))
            except RecordProblem as exc:
                bad.append((str(exc), raw_of(rec), index))
    return rows, bad


def pulled(
    folder: Path, pages: list[bytes], **source: Any
) -> tuple[list[dict[str, Any]], list[tuple[str, bytes, int]], dict[str, Any]]:
    config = {"type": "http", "url": URL, "records": "data", "max_prompt_chars": MAX_TEXT}
    ws = Workspace(
        folder / "store.db",
        parse_config({"sources": {"logs": config | source}}),
        "alice",
        FixedClock(T0),
    )
    with ws:
        inc = open_incident(ws, title="t").id
        item = pull_evidence(ws, inc, "logs", env=SourceEnv(transport=serve(pages)))
        rows = evidence_rows(ws, item).to_pylist()
        bad = [(q["reason"], q["raw_bytes"], q["page"]) for q in quarantined_records(ws, item)]
        return (
            rows,
            bad,
            {"raw": item.files["raw"]["sha256"], "parquet": item.files["parquet"]["sha256"]},
        )


def same_rows(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for row, ref in zip(got, want, strict=True):
        delta = row["ts"] - datetime(1970, 1, 1, tzinfo=UTC)
        assert (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds == ref["ts"]
        assert {k: v for k, v in row.items() if k != "ts"} == {
            k: v for k, v in ref.items() if k != "ts"
        }


@pytest.fixture(autouse=True, params=["cursor read ahead", "cursor from the full parse"])
def cursor_road(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs twice: with the page's cursor read ahead by the validating parser
    (records parsed in the pull's own thread), and as if that parser were not installed."""
    if request.param == "cursor from the full parse":
        monkeypatch.setattr(http_source, "_cursor_of", lambda body, field: http_source._UNSURE)
    return str(request.param)


@pytest.fixture
def careful_road_refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if any page leaves the fast road."""

    def refuse(self: HttpSource, body: bytes) -> Any:
        raise AssertionError("a clean page took the careful road")

    monkeypatch.setattr(HttpSource, "_slow_page", refuse)
    yield


def test_clean_pages_stay_on_the_fast_road_and_match_the_careful_road(
    tmp_path: Path, careful_road_refused: None
) -> None:
    pages = paged([dumps(good(i)) for i in range(250)], 60)
    rows, bad, _ = pulled(tmp_path, pages)
    want, want_bad = careful(pages)
    assert bad == want_bad == []
    same_rows(rows, want)
    # The careful road computes missing prompt hashes too; the fast road must agree.
    assert all(len(r["prompt_hash"]) == 64 for r in rows)


def test_a_page_with_every_malformed_kind_matches_the_careful_road(tmp_path: Path) -> None:
    records = []
    for n, make in enumerate(BAD.values()):
        records += [dumps(good(2 * n)), make(2 * n + 1)]
    pages = paged(records, 1000)
    rows, bad, _ = pulled(tmp_path, pages)
    want, want_bad = careful(pages)
    same_rows(rows, want)
    assert bad == want_bad
    assert len(rows) == len(BAD) and len(bad) == len(BAD)
    reasons = " | ".join(reason for reason, _, _ in bad)
    for words in (
        "not a JSON object",
        "expected an integer, got a string",
        "expected an integer, got a number",
        "expected an integer, got a boolean",
        "field model: expected a string",
        "missing required field account_id",
        "missing required field ts",
        "'yesterday' is not an ISO 8601 time",
        f"over the limit of {MAX_TEXT}",
        "field user_agent: invalid UTF-8",
        "field user_agent: contains a NUL byte",
        "field prompt_text: contains a NUL byte",
    ):
        assert words in reasons
    # The invalid bytes are kept exactly as they arrived.
    assert any(b"sdk-\xff\xfe" in raw for _, raw, _ in bad)


kinds = st.sampled_from(["good"] * 4 + sorted(BAD))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(kinds, min_size=1, max_size=40), st.integers(1, 15))
def test_any_mix_of_good_and_bad_records_matches_the_careful_road(
    mix: list[str], size: int
) -> None:
    records = [dumps(good(i)) if kind == "good" else BAD[kind](i) for i, kind in enumerate(mix)]
    pages = paged(records, size)
    with tempfile.TemporaryDirectory() as tmp:
        rows, bad, _ = pulled(Path(tmp), pages)
    want, want_bad = careful(pages)
    same_rows(rows, want)
    assert bad == want_bad


def test_a_resumed_pull_makes_the_same_files_as_an_uninterrupted_one(tmp_path: Path) -> None:
    records = [dumps(good(i)) if i % 17 else BAD["NUL byte"](i) for i in range(400)]
    pages = paged(records, 25)
    _, _, straight = pulled(tmp_path / "straight", pages)

    folder = tmp_path / "resumed"
    folder.mkdir()
    config = {"type": "http", "url": URL, "records": "data", "max_prompt_chars": MAX_TEXT}
    config |= {"checkpoint_records": 60}
    ws = Workspace(
        folder / "store.db", parse_config({"sources": {"logs": config}}), "alice", FixedClock(T0)
    )
    with ws:
        inc = open_incident(ws, title="t").id
        env = SourceEnv(transport=serve(pages))
        seen: list[int] = []
        with pytest.raises(PullCancelled):
            pull_evidence(
                ws, inc, "logs", env=env, progress=lambda r, p: seen.append(p),
                cancel=lambda: len(seen) >= 7,
            )  # fmt: skip
        item = pull_evidence(ws, inc, "logs", env=env)
    assert item.records == len(careful(pages)[0])
    # Same records, same pages: the same bytes, whatever the checkpoints were.
    assert item.files["raw"]["sha256"] == straight["raw"]
    assert item.files["parquet"]["sha256"] == straight["parquet"]


def test_a_page_naming_two_different_cursors_is_refused(tmp_path: Path, cursor_road: str) -> None:
    records = b", ".join(dumps(good(i)) for i in range(5))
    first = b'{"next_cursor": "1", "data": [' + records + b'], "next_cursor": "2"}'
    pages = [first, page([dumps(good(9))], None), page([dumps(good(10))], None)]
    if cursor_road == "cursor read ahead":
        # The quick reader sees the first key, a full parse the last: never guess which.
        with pytest.raises(ExternalServiceError, match="next cursor twice, differently"):
            pulled(tmp_path, pages)
    else:
        rows, _, _ = pulled(tmp_path, pages)
        assert [r["request_id"] for r in rows] == [*(f"r{i}" for i in range(5)), "r10"]


def test_the_cursor_is_read_ahead_only_from_a_valid_page() -> None:
    body = page([dumps(good(1))], "abc")
    assert _cursor_of(body, "next_cursor") == "abc"
    assert _cursor_of(page([], None), "next_cursor") is None
    assert _cursor_of(b'{"next_cursor": 7}', "next_cursor") == 7
    for unsure in (
        body[:-5],  # cut short: the usual road retries it
        body.replace(b"abc", b"a\xffc"),  # invalid UTF-8
        b'[{"next_cursor": "x"}]',  # not an object
        b'{"next_cursor": 1.5}',  # not a cursor: the usual road says why
        b'{"next_cursor": "a", "data": [NaN]}',  # Python reads NaN; the pull decides
    ):
        assert _cursor_of(unsure, "next_cursor") is _UNSURE
