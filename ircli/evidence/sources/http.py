"""The ``http`` source: a lab's own REST/JSON log API.

Configured in ``ircli.toml``::

    [sources.logs]
    type = "http"
    url = "https://logs.example/v1/requests"
    params = { account = "{accounts}", from = "{since}", to = "{until}", limit = "1000" }
    auth = { secret = "logs", header = "Authorization", scheme = "Bearer" }
    records = "data"                       # where the list of records is in each page
    pagination = { kind = "cursor", cursor_field = "next_cursor", cursor_param = "cursor" }
    mapping = { ts = { field = "time", transform = "epoch_ms" }, account_id = "acct" }

Templates: ``{accounts}`` (comma-separated), ``{since}``, ``{until}`` (rendered as
``time_format``); a parameter whose template renders empty is left out. Records are
also filtered by the evidence service, so an API that ignores a filter is still safe.
"""

from __future__ import annotations

import json
import string
import threading
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from ircli.errors import ConfigError, ExternalServiceError
from ircli.evidence.sources import (
    Page,
    Query,
    SourceEnv,
    SourceSettings,
    build_mapping,
    parse_settings,
)
from ircli.evidence.sources.web import BadBody, RetryPolicy, fetch, make_client

if TYPE_CHECKING:
    import httpx

    from ircli.evidence.arrowjson import RecordReader
    from ircli.evidence.mapping import Mapping


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuthSettings(_Table):
    """An auth header built from a secret (the secret's value never enters the config)."""

    secret: str
    header: str = "Authorization"
    scheme: str = "Bearer"


class PaginationSettings(_Table):
    """How to get the next page."""

    kind: Literal["cursor", "offset", "link", "none"] = "cursor"
    cursor_field: str = "next_cursor"
    cursor_param: str = "cursor"
    offset_param: str = "offset"
    limit_param: str = "limit"
    limit: int = 1000


class RetrySettings(_Table):
    """Retries per request."""

    attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 30.0
    deadline: float = 300.0


class HttpSettings(SourceSettings):
    """``[sources.NAME]`` for ``type = "http"``."""

    url: str
    params: dict[str, str] = Field(default_factory=dict)
    auth: AuthSettings | None = None
    records: str = "data"
    pagination: PaginationSettings = PaginationSettings()
    time_format: Literal["iso", "epoch_s", "epoch_ms"] = "iso"
    timeout: float = 30.0
    retry: RetrySettings = RetrySettings()


_TEMPLATE_KEYS = {"accounts", "since", "until"}


class HttpSource:
    """Pages through a JSON log API."""

    kind = "http"

    def __init__(self, name: str, settings: HttpSettings, env: SourceEnv) -> None:
        self.name = name
        self.settings = settings
        self.env = env
        self.mapping: Mapping = build_mapping(name, settings)
        self.checkpoint_records = settings.checkpoint_records
        self.policy = RetryPolicy(**settings.retry.model_dump())
        self._client: httpx.Client | None = None
        self._records_reader: RecordReader | None = None
        for where, text in [("url", settings.url), *settings.params.items()]:
            _check_template(name, where, text)
        if not settings.url.startswith(("http://", "https://")):
            raise ConfigError(f"[sources.{name}]: url must start with http:// or https://")

    @classmethod
    def from_config(cls, name: str, table: dict[str, Any], env: SourceEnv) -> HttpSource:
        """Build from ``[sources.NAME]``."""
        return cls(name, parse_settings(HttpSettings, name, table), env)

    def describe(self, query: Query) -> dict[str, Any]:
        """The URL and parameters as sent for the first page (no secret: it is a header)."""
        url, params = self._first_request(query)
        return {"url": url, "params": params, "records": self.settings.records}

    def close(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- paging --------------------------------------------------------------------

    def pages(self, query: Query, state: dict[str, Any] | None) -> Iterator[Page]:
        """Fetch pages from ``state`` on; raises ``ExternalServiceError`` on failure."""
        if self._client is None:
            self._client = make_client(self.env, self.settings.timeout)
        headers = self._auth_headers()
        self._reader()  # made here, before pages are parsed in several threads at once
        pag = self.settings.pagination
        first_url, first_params = self._first_request(query)
        state = dict(state or {})
        seen: set[str] = set()
        while True:
            url, params = first_url, dict(first_params)
            if pag.kind == "cursor" and state.get("cursor") is not None:
                params[pag.cursor_param] = str(state["cursor"])
            elif pag.kind == "offset":
                params[pag.offset_param] = str(state.get("offset", 0))
                params[pag.limit_param] = str(pag.limit)
            elif pag.kind == "link" and state.get("url"):
                url, params = str(state["url"]), {}
            response, (columns, doc) = fetch(
                self._client,
                self.env,
                self.policy,
                f"source '{self.name}'",
                "GET",
                url,
                # httpx drops a URL's own query when given empty params: pass None then.
                params=params or None,
                headers=headers,
                check=self._parse,
                secret_hint=self._secret_hint(),
            )
            if columns is _LATER:
                # Only the cursor is known: the records are parsed by the pull, in a thread
                # of its own, while this one fetches the next page.
                nxt = self._next_state(state, doc, response, 0, seen)
                body = response.content
                cursor = doc[pag.cursor_field]
                yield Page(
                    raw=body, records=[], next_state=nxt, finish=partial(self._finish, body, cursor)
                )
            elif columns is not None:
                nxt = self._next_state(state, doc, response, len(columns), seen)
                body = response.content
                yield Page(
                    raw=body,
                    records=[],
                    next_state=nxt,
                    columns=columns,
                    slow=partial(self._slow_page, body),
                )
            else:
                records = self._records(doc)
                nxt = self._next_state(state, doc, response, len(records), seen)
                yield Page(raw=response.content, records=records, next_state=nxt)
            if nxt is None:
                return
            state = nxt

    def _parse(self, response: httpx.Response) -> tuple[Any, Any]:
        """``(columns, {cursor})`` on the fast road, ``(_LATER, {cursor})`` when only the
        cursor is read now, else ``(None, document)``."""
        _check_type(response)
        pag = self.settings.pagination
        extra: dict[str, Any] = {}
        if pag.kind == "cursor":
            if "." in pag.cursor_field:
                return None, _parse_json_bytes(response.content)
            cursor = _cursor_of(response.content, pag.cursor_field)
            if cursor is not _UNSURE:
                return _LATER, {pag.cursor_field: cursor}
            import pyarrow as pa

            extra[pag.cursor_field] = pa.string()
        fast = self._reader().page(response.content, self.settings.records, extra)
        if fast is not None:
            return fast
        return None, _parse_json_bytes(response.content)

    def _finish(self, body: bytes, cursor: Any) -> Page:
        """The records of a page whose cursor was read ahead (see :func:`_cursor_of`),
        parsed the same two ways as any page; the full parse must agree on the cursor."""
        import pyarrow as pa

        pag = self.settings.pagination
        fast = self._reader().page(body, self.settings.records, {pag.cursor_field: pa.string()})
        if fast is not None:
            columns, extra = fast
            self._same_cursor(cursor, extra[pag.cursor_field])
            return Page(body, [], None, columns=columns, slow=partial(self._slow_page, body))
        try:
            doc = _parse_json_bytes(body)
        except BadBody as exc:
            raise ExternalServiceError(f"source '{self.name}': {exc}") from None
        self._same_cursor(cursor, _dig(doc, pag.cursor_field))
        return Page(body, self._records(doc), None)

    def _reader(self) -> RecordReader:
        if self._records_reader is None:
            from ircli.evidence.arrowjson import RecordReader

            self._records_reader = RecordReader(self.mapping)
        return self._records_reader

    def _same_cursor(self, early: Any, full: Any) -> None:
        if early != full:
            raise ExternalServiceError(
                f"source '{self.name}': the page names its next cursor twice, differently",
                hint="report the malformed page to the API's owners",
            )

    def _slow_page(self, body: bytes) -> Page:
        """The page's records parsed by Python, one object each (the careful road)."""
        return Page(b"", self._records(_parse_json_bytes(body)), None)

    def _records(self, doc: Any) -> list[Any]:
        records = _dig(doc, self.settings.records)
        if not isinstance(records, list):
            raise ExternalServiceError(
                f"source '{self.name}': no list of records at '{self.settings.records}'",
                hint="set 'records' to the path of the record list in each page",
            )
        return records

    def _next_state(
        self,
        state: dict[str, Any],
        doc: Any,
        response: httpx.Response,
        count: int,
        seen: set[str],
    ) -> dict[str, Any] | None:
        pag = self.settings.pagination
        if pag.kind == "none":
            return None
        if pag.kind == "offset":
            if count < pag.limit:
                return None
            return {"offset": int(state.get("offset", 0)) + count}
        if pag.kind == "cursor":
            cursor = _dig(doc, pag.cursor_field)
            if cursor in (None, ""):
                return None
            if not isinstance(cursor, str | int):
                raise ExternalServiceError(
                    f"source '{self.name}': the cursor at '{pag.cursor_field}' is not a string"
                )
            key = str(cursor)
        else:
            link = response.links.get("next", {}).get("url")
            if not link:
                return None
            key = str(response.url.join(link))
        if key in seen or key == str(state.get("cursor", state.get("url", ""))):
            raise ExternalServiceError(
                f"source '{self.name}': the API returned the same next page twice "
                "(a pagination loop); stopping so no record is counted twice",
                hint="report the loop to the API's owners; the evidence pulled so far is kept "
                "as an unfinished pull",
            )
        seen.add(key)
        return {"cursor": cursor} if pag.kind == "cursor" else {"url": key}

    # -- requests ------------------------------------------------------------------

    def _first_request(self, query: Query) -> tuple[str, dict[str, str]]:
        values = {
            "accounts": ",".join(query.accounts),
            "since": self._time(query.since),
            "until": self._time(query.until),
        }
        url = self.settings.url.format_map({k: quote(v, safe="") for k, v in values.items()})
        params: dict[str, str] = {}
        for key, template in self.settings.params.items():
            rendered = template.format_map(values)
            if rendered or not any(f"{{{k}}}" in template for k in _TEMPLATE_KEYS):
                params[key] = rendered
        return url, params

    def _time(self, moment: Any) -> str:
        if moment is None:
            return ""
        fmt = self.settings.time_format
        if fmt == "epoch_s":
            return str(int(moment.timestamp()))
        if fmt == "epoch_ms":
            return str(int(moment.timestamp() * 1000))
        return str(moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))

    def _auth_headers(self) -> dict[str, str]:
        auth = self.settings.auth
        if auth is None:
            return {}
        secret = self.env.get_secret(auth.secret)
        value = f"{auth.scheme} {secret.reveal()}" if auth.scheme else secret.reveal()
        return {auth.header: value}

    def _secret_hint(self) -> str:
        auth = self.settings.auth
        if auth is None:
            return 'the API wants credentials: add auth = { secret = "NAME" } to the source'
        return f"check the secret: ircli auth check {auth.secret}; replace it with ircli auth set {auth.secret}"


def _check_type(response: httpx.Response) -> None:
    ctype = response.headers.get("content-type", "")
    if ctype and "json" not in ctype:
        raise ExternalServiceError(
            f"the log API answered {ctype.split(';')[0][:60]}, not JSON",
            hint="check the source's url: it may point at a web page or a login form",
        )


def _parse_json_bytes(body: bytes) -> Any:
    try:
        # surrogateescape keeps invalid UTF-8 inside strings so the record, not the page,
        # is quarantined for it.
        return json.loads(body.decode("utf-8", "surrogateescape"))
    except ValueError as exc:
        raise BadBody(f"invalid JSON in the response ({exc})") from None


_LATER: Any = object()
"""Marks a page whose records are parsed later (by :meth:`HttpSource._finish`)."""
_UNSURE: Any = object()


def _cursor_of(body: bytes, field: str) -> Any:
    """The top-level ``field`` of a JSON page, from a parser that validates the whole page
    (syntax and UTF-8) many times faster than building it: the next page can be fetched
    while this one's records are parsed. ``_UNSURE`` when that parser is not installed or
    does not accept the page (then the page takes the usual road, with its retries)."""
    try:
        import simdjson
    except ImportError:  # pragma: no cover - a dependency; the usual road still works
        return _UNSURE
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        # One parser per thread: a parser's buffers are reused by its next parse.
        parser = _PARSERS.parser = simdjson.Parser()
    try:
        doc = parser.parse(body)
        if not isinstance(doc, simdjson.Object):
            return _UNSURE
        cursor = doc.get(field)
    except (ValueError, UnicodeError, RuntimeError):
        return _UNSURE
    del doc  # the parser may be reused only once its document is released
    if cursor is not None and not isinstance(cursor, str | int):
        return _UNSURE  # the usual road explains what is wrong with it
    return cursor


_PARSERS = threading.local()


def _dig(doc: Any, path: str) -> Any:
    value = doc
    for part in [p for p in path.split(".") if p]:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _check_template(name: str, where: str, text: str) -> None:
    try:
        keys = {fname for _, fname, _, _ in string.Formatter().parse(text) if fname is not None}
    except ValueError as exc:
        raise ConfigError(f"[sources.{name}] {where}: bad template ({exc})") from None
    unknown = keys - _TEMPLATE_KEYS
    if unknown:
        raise ConfigError(
            f"[sources.{name}] {where}: unknown template key(s) {', '.join(sorted(unknown))}",
            hint="templates may use {accounts}, {since} and {until}",
        )
