"""Field mapping and validation: native records → canonical rows or quarantine reasons."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ircli.evidence.mapping import Mapping


def good(**over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "request_id": "r1",
        "ts": "2026-03-01T09:00:00.123456Z",
        "account_id": "acct-1",
        "model": "model-a",
        "input_tokens": 10,
        "output_tokens": 20,
        "prompt_text": "hello",
    }
    rec.update(over)
    return rec


def us(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def test_identity_mapping_fills_every_canonical_column() -> None:
    batch, bad = Mapping.build("requests").normalize([good()])
    assert bad == []
    row = batch.to_pylist()[0]
    assert row["ts"] == datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
    assert row["account_id"] == "acct-1"
    assert row["org_id"] is None
    # prompt_hash is computed when the text is present and the source gave no hash.
    assert row["prompt_hash"] == hashlib.sha256(b"hello").hexdigest()
    assert batch.schema.names[0] == "request_id"


@pytest.mark.parametrize(
    ("transform", "value"),
    [("epoch_s", 1772355600), ("epoch_ms", 1772355600000), ("epoch_us", 1772355600000000)],
)
def test_epoch_transforms(transform: str, value: int) -> None:
    mapping = Mapping.build("requests", {"ts": {"field": "when", "transform": transform}})
    rec = good(when=value)
    del rec["ts"]
    batch, bad = mapping.normalize([rec])
    assert bad == []
    assert batch.column("ts")[0].as_py() == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_rename_and_string_to_int() -> None:
    mapping = Mapping.build(
        "requests",
        {"account_id": "acct", "input_tokens": {"field": "tin", "transform": "int"}},
    )
    rec = good(acct="a-9", tin="42")
    del rec["account_id"], rec["input_tokens"]
    batch, bad = mapping.normalize([rec])
    assert bad == []
    assert batch.column("account_id")[0].as_py() == "a-9"
    assert batch.column("input_tokens")[0].as_py() == 42


def test_nested_native_field_and_absent_field() -> None:
    mapping = Mapping.build("requests", {"src_ip": "client.ip", "country": False})
    batch, bad = mapping.normalize([good(client={"ip": "10.0.0.1"}, country="DE")])
    assert bad == []
    assert batch.column("src_ip")[0].as_py() == "10.0.0.1"
    assert batch.column("country")[0].as_py() is None  # mapped to false: never read


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ("not a dict", "not a JSON object"),
        (good(account_id=None), "missing required field account_id"),
        ({k: v for k, v in good().items() if k != "ts"}, "missing required field ts"),
        (good(input_tokens="12"), "field input_tokens: expected an integer, got a string"),
        (good(input_tokens=1.5), "field input_tokens: expected an integer, got a number"),
        (good(input_tokens=True), "field input_tokens: expected an integer, got a boolean"),
        (good(account_id=7), "field account_id: expected a string, got a number"),
        (good(ts="yesterday"), "field ts: 'yesterday' is not an ISO 8601 time"),
        (good(prompt_text="x" * 2000), "field prompt_text: 2000 characters, over the limit"),
        (good(user_agent="a\x00b"), "field user_agent: contains a NUL byte"),
        (good(prompt_text="bad \udcff byte"), "field prompt_text: invalid UTF-8"),
        (good(asn=2**70), "field asn: integer out of range"),
    ],
)
def test_each_bad_record_gets_its_reason(record: Any, reason: str) -> None:
    mapping = Mapping.build("requests", max_text=1000)
    batch, bad = mapping.normalize([good(request_id="ok"), record])
    assert batch.num_rows == 1
    assert batch.column("request_id")[0].as_py() == "ok"
    assert len(bad) == 1 and bad[0][0] == 1
    assert bad[0][1].startswith(reason), bad[0][1]


def test_naive_timestamps_are_utc() -> None:
    batch, _ = Mapping.build("requests").normalize([good(ts="2026-03-01T09:00:00")])
    assert batch.column("ts")[0].as_py() == datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"acount_id": "x"}, "unknown canonical field(s) acount_id"),
        ({"ts": {"field": "t", "transform": "epoch_ns"}}, "unknown transform 'epoch_ns'"),
        ({"model": {"field": "m", "transform": "epoch_s"}}, "applies to timestamps only"),
        ({"ts": {"field": "t", "transform": "int"}}, "applies to integer fields only"),
        ({"account_id": False}, "expected a native field name"),
    ],
)
def test_bad_mapping_config_is_explained(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Mapping.build("requests", spec)


records = st.fixed_dictionaries(
    {
        "request_id": st.text(min_size=1, max_size=8),
        "ts": st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        ).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
        "account_id": st.text(min_size=1, max_size=8),
        "model": st.sampled_from(["a", "b"]),
        "input_tokens": st.integers(0, 2**40),
        "output_tokens": st.integers(0, 2**40),
        "asn": st.none() | st.integers(0, 2**32),
        "prompt_text": st.none() | st.text(max_size=20),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(records, min_size=1, max_size=20))
def test_fast_and_careful_paths_agree(rows: list[dict[str, Any]]) -> None:
    mapping = Mapping.build("requests")
    fast, bad = mapping.normalize(rows)
    careful = [mapping.normalize_one(r) for r in rows if _clean(r)]
    assert len(careful) + len(bad) == len(rows)
    if not bad:
        assert fast.num_rows == len(careful)
        got = fast.to_pylist()
        for row, want in zip(got, careful, strict=True):
            assert us(row["ts"]) == want["ts"]
            assert {k: v for k, v in row.items() if k != "ts"} == {
                k: v for k, v in want.items() if k != "ts"
            }


def _clean(rec: dict[str, Any]) -> bool:
    return not any(
        isinstance(v, str) and ("\x00" in v or any(0xD800 <= ord(c) <= 0xDFFF for c in v))
        for v in rec.values()
    )
