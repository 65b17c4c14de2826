"""The record reader parses each page with only the fields the source is known to send.
That is a speed-up only: whatever fields a page holds, wherever they first appear, however
their keys are written, it must yield exactly what a parse with every field yields."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ircli.evidence import arrowjson
from ircli.evidence.arrowjson import RecordReader
from ircli.evidence.mapping import Mapping

MAPPING = Mapping.build("requests", {"org_id": "org.id"})


def base(i: int) -> dict[str, Any]:
    return {"request_id": f"r{i}", "ts": "2026-03-01T09:00:00Z", "account_id": f"a{i % 3}"}


def page(records: list[dict[str, Any]], escaped: bool = False) -> bytes:
    body = json.dumps({"data": records, "next_cursor": "c"})
    if escaped:  # the same keys, written with JSON escapes (legal, and not found by a search)
        body = body.replace('"model"', '"\\u006dodel"')
    return body.encode()


def full(body: bytes) -> Any:
    """What a parse with every mapped field yields (the reference)."""
    reader = RecordReader(MAPPING)
    extra = {"next_cursor": pa.string()}
    got = arrowjson._read_page(
        body, arrowjson._page_schema(reader.record, "data", extra), "data", extra, infer=False
    )
    assert got is not None
    return got[0]


def same(got: Any, want: Any) -> None:
    """Equal record by record and typed alike, over the mapped fields (a narrow parse may
    carry others): a type the parser guessed would send the page down the careful road."""
    names = [f.name for f in want.type]
    for name in names:
        index = got.type.get_field_index(name)
        assert index < 0 or got.type.field(index).type == want.type.field(name).type, name
    rows = [{k: r.get(k) for k in names} for r in got.to_pylist()]
    assert rows == want.to_pylist()


def test_a_field_first_sent_deep_in_a_later_page_is_kept() -> None:
    reader = RecordReader(MAPPING)
    first = page([base(i) for i in range(50)])
    got = reader.page(first, "data", {"next_cursor": pa.string()})
    assert got is not None
    same(got[0], full(first))
    # Record 400 of the next page is the first to carry a model, an org and a status:
    # far past the part of the page searched for field names.
    records = [base(i) for i in range(500)]
    # The user agent looks like a date: a parser left to guess would make it a timestamp.
    records[400] |= {
        "model": "m-1",
        "org": {"id": "o-9"},
        "status": 429,
        "user_agent": "2026-03-01T09:00:00",
    }
    later = page(records)
    assert later.index(b'"model"') > arrowjson.HEAD_BYTES
    got = reader.page(later, "data", {"next_cursor": pa.string()})
    assert got is not None
    same(got[0], full(later))
    row = got[0].to_pylist()[400]
    assert (row["model"], row["org"], row["status"]) == ("m-1", {"id": "o-9"}, 429)
    assert row["user_agent"] == "2026-03-01T09:00:00"


def test_keys_written_with_escapes_are_kept() -> None:
    reader = RecordReader(MAPPING)
    body = page([base(i) | {"model": f"m{i}"} for i in range(20)], escaped=True)
    assert b'"model"' not in body
    got = reader.page(body, "data", {"next_cursor": pa.string()})
    assert got is not None
    assert [r["model"] for r in got[0].to_pylist()] == [f"m{i}" for i in range(20)]


def test_an_unmapped_field_of_changing_type_does_not_cost_a_record() -> None:
    reader = RecordReader(MAPPING)
    records = [base(i) | {"extra": i if i % 2 else f"s{i}", "model": "m"} for i in range(30)]
    for _ in range(3):
        body = page(records)
        got = reader.page(body, "data", {"next_cursor": pa.string()})
        assert got is not None
        same(got[0], full(body))
    assert not reader._narrowing  # parsed once per page from then on, not twice


def test_a_wrong_type_in_a_mapped_field_still_fails_the_fast_road() -> None:
    reader = RecordReader(MAPPING)
    assert reader.page(page([base(1)]), "data", {"next_cursor": pa.string()}) is not None
    bad = page([base(2) | {"input_tokens": "lots"}])
    assert reader.page(bad, "data", {"next_cursor": pa.string()}) is None
    late = page([base(i) for i in range(300)] + [base(3) | {"input_tokens": 1.5}])
    assert reader.page(late, "data", {"next_cursor": pa.string()}) is None


OPTIONAL = {
    "model": st.sampled_from(["m-a", "m-b", None]),
    "user_agent": st.sampled_from(["sdk/1", "2026-03-01", "2026-03-01T09:00:00Z"]),
    "input_tokens": st.integers(0, 10**6) | st.none(),
    "org": st.fixed_dictionaries({"id": st.text(max_size=5)}),
    "end_user_id": st.text(max_size=8) | st.none(),
    "unmapped": st.integers() | st.text(max_size=3),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(
            st.fixed_dictionaries({}, optional=OPTIONAL),  # type: ignore[arg-type]
            min_size=1,
            max_size=60,
        ),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)
def test_any_pages_yield_what_a_full_parse_yields(
    pages: list[list[dict[str, Any]]], escaped: bool
) -> None:
    reader = RecordReader(MAPPING)
    for n, extras in enumerate(pages):
        body = page([base(n * 100 + i) | e for i, e in enumerate(extras)], escaped)
        extra = {"next_cursor": pa.string()}
        want = arrowjson._read_page(
            body, arrowjson._page_schema(reader.record, "data", extra), "data", extra, infer=False
        )
        got = reader.page(body, "data", {"next_cursor": pa.string()})
        if want is None:
            assert got is None
        else:
            assert got is not None
            same(got[0], want[0])
