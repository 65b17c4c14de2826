"""The ``clickhouse`` source: SQL over ClickHouse's HTTP interface, filters pushed down.

Configured in ``ircli.toml``::

    [sources.warehouse]
    type = "clickhouse"
    url = "http://127.0.0.1:8123/"
    from = "logs.requests"                  # database.table holding the native rows
    user = "default"
    password_secret = "clickhouse"          # optional; a secret name, never the password
    order_by = ["ts_us", "request_id"]      # a stable order makes pages resumable
    mapping = { ts = { field = "ts_us", transform = "epoch_us" } }

Works with old servers (18.x): no server-side query parameters exist there, so every value
is written as a quoted literal by :func:`quote`, and every identifier is checked against a
strict pattern and back-quoted. Rows come back as ``JSONEachRow`` with 64-bit integers
unquoted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ircli.errors import ConfigError
from ircli.evidence.arrowjson import RecordReader
from ircli.evidence.sources import (
    Page,
    Query,
    SourceEnv,
    SourceSettings,
    build_mapping,
    parse_settings,
)
from ircli.evidence.sources.web import RetryPolicy, fetch, make_client

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class _Retry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 30.0
    deadline: float = 300.0


class ClickHouseSettings(SourceSettings):
    """``[sources.NAME]`` for ``type = "clickhouse"``."""

    url: str = "http://127.0.0.1:8123/"
    from_: str = Field(alias="from")
    user: str = "default"
    password_secret: str | None = None
    order_by: tuple[str, ...] = ()
    page_size: int = Field(default=50_000, ge=1, le=1_000_000)
    timeout: float = 60.0
    retry: _Retry = _Retry()


def quote(value: str) -> str:
    """A ClickHouse string literal that means exactly ``value``, whatever it contains."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
        .replace("\0", "\\0")
    )
    return f"'{escaped}'"


def ident(name: str) -> str:
    """A back-quoted identifier; ``db.table`` becomes ```db`.`table```."""
    parts = name.split(".")
    if not 1 <= len(parts) <= 2 or not all(_IDENT.match(p) for p in parts):
        raise ConfigError(
            f"{name!r} is not a plain ClickHouse name",
            hint="use letters, digits and _ (database.table or column)",
        )
    return ".".join(f"`{p}`" for p in parts)


class ClickHouseSource:
    """Pages through a ClickHouse table with LIMIT/OFFSET over a stable order."""

    kind = "clickhouse"

    def __init__(self, name: str, settings: ClickHouseSettings, env: SourceEnv) -> None:
        self.name = name
        self.settings = settings
        self.env = env
        self.mapping = build_mapping(name, settings)
        self.checkpoint_records = settings.checkpoint_records
        self.policy = RetryPolicy(**settings.retry.model_dump())
        self._client: Any = None
        self._native: RecordReader | None = None
        try:
            self._from = ident(settings.from_)
            natives = [fm.native for fm in self.mapping.fields if fm.native]
            self._columns = [ident(n) for n in natives]
            order = settings.order_by or [
                self.mapping.native_name(c)
                for c in ("ts", "request_id", "account_id")
                if _has(self.mapping, c)
            ]
            self._order = [ident(c) for c in order]
        except ConfigError as exc:
            raise ConfigError(f"[sources.{name}]: {exc.message}", hint=exc.hint) from None

    @classmethod
    def from_config(cls, name: str, table: dict[str, Any], env: SourceEnv) -> ClickHouseSource:
        """Build from ``[sources.NAME]``."""
        return cls(name, parse_settings(ClickHouseSettings, name, table), env)

    def sql(self, query: Query) -> str:
        """The SELECT (without paging) for ``query``, filters pushed down."""
        where: list[str] = []
        if query.accounts:
            column = ident(self.mapping.native_name("account_id"))
            where.append(f"{column} IN ({', '.join(quote(a) for a in query.accounts)})")
        if query.table == "requests":
            column = ident(self.mapping.native_name("ts"))
            transform = self.mapping.transform_of("ts")
            if query.since is not None:
                where.append(f"{column} >= {self._time(query.since, transform)}")
            if query.until is not None:
                where.append(f"{column} < {self._time(query.until, transform)}")
        text = f"SELECT {', '.join(self._columns)} FROM {self._from}"
        if where:
            text += " WHERE " + " AND ".join(where)
        if self._order:
            text += " ORDER BY " + ", ".join(self._order)
        return text

    def describe(self, query: Query) -> dict[str, Any]:
        """The server and the SQL sent (no password: it travels in a header)."""
        return {"url": self.settings.url, "sql": self.sql(query), "user": self.settings.user}

    def close(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def pages(self, query: Query, state: dict[str, Any] | None) -> Iterator[Page]:
        """Pages of ``page_size`` rows from ``state['offset']`` on."""
        if self._client is None:
            self._client = make_client(self.env, self.settings.timeout)
        base = self.sql(query)
        offset = int((state or {}).get("offset", 0))
        size = self.settings.page_size
        headers = {"X-ClickHouse-User": self.settings.user}
        if self.settings.password_secret:
            headers["X-ClickHouse-Key"] = self.env.get_secret(
                self.settings.password_secret
            ).reveal()
        params = {"output_format_json_quote_64bit_integers": "0"}
        while True:
            body = f"{base} LIMIT {offset}, {size} FORMAT JSONEachRow".encode()
            response, _ = fetch(
                self._client,
                self.env,
                self.policy,
                f"source '{self.name}' (ClickHouse)",
                "POST",
                self.settings.url,
                params=params,
                headers=headers,
                content=body,
                refused=_query_error,
                secret_hint=f"check the secret: ircli auth check {self.settings.password_secret}"
                if self.settings.password_secret
                else "set password_secret in the source's table",
            )
            body = response.content
            lines = [line for line in body.split(b"\n") if line]
            offset += len(lines)
            done = len(lines) < size
            nxt = None if done else {"offset": offset}
            if self._native is None:
                self._native = RecordReader(self.mapping)
            columns = self._native.lines(body, len(lines))
            if columns is not None:
                yield Page(body, [], nxt, columns=columns, slow=partial(_parse_rows, lines))
            else:
                page = _parse_rows(lines)
                page.raw, page.next_state = body, nxt
                yield page
            if done:
                return

    @staticmethod
    def _time(moment: datetime, transform: str | None) -> str:
        us = int(moment.timestamp() * 1_000_000)
        if transform == "epoch_s":
            return str(us // 1_000_000)
        if transform == "epoch_ms":
            return str(us // 1_000)
        if transform == "epoch_us":
            return str(us)
        return f"toDateTime({quote(moment.strftime('%Y-%m-%d %H:%M:%S'))}, 'UTC')"


def _parse_rows(lines: list[bytes]) -> Page:
    """JSONEachRow lines parsed one by one (old servers send strings' bytes unchecked)."""
    records: list[Any] = []
    raws: list[bytes] = []
    rejected: list[tuple[str, bytes]] = []
    for line in lines:
        try:
            records.append(json.loads(line.decode("utf-8", "surrogateescape")))
            raws.append(line)
        except ValueError as exc:
            rejected.append((f"bad JSON row: {exc}", line))
    return Page(b"", records, None, raws, rejected)


def _query_error(response: Any) -> str | None:
    """ClickHouse answers a bad query with HTTP 500 and ``Code: N``: not worth a retry."""
    from ircli.core.text import inert

    if response.status_code in (401, 403):
        return None  # a credentials problem: the caller says which secret to check
    text = response.content[:300].decode("utf-8", "replace")
    if text.startswith("Code:") and "NETWORK_ERROR" not in text and "TIMEOUT" not in text:
        return "refused the query: " + inert(" ".join(text.split()), limit=240)
    return None


def _has(mapping: Any, canonical: str) -> bool:
    try:
        mapping.native_name(canonical)
    except KeyError:
        return False
    return True
