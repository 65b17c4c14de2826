"""Test-side helpers for the real ClickHouse server the fixture starts."""

from __future__ import annotations

import httpx

CLICKHOUSE_PASSWORD = "ch-test-password"


def ch_query(url: str, sql: str, data: bytes | None = None) -> str:
    """Run one statement on the test ClickHouse (test-side helper, trusted SQL)."""
    params = {"query": sql} if data is not None else None
    response = httpx.post(
        url,
        params=params,
        content=data if data is not None else sql.encode(),
        headers={"X-ClickHouse-User": "default", "X-ClickHouse-Key": CLICKHOUSE_PASSWORD},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.text
