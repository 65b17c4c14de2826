"""A TAXII 2.1 client on httpx: discovery, API roots, collections, paged objects, submission.

The client takes an injected ``httpx.Client`` (or transport), so unit tests run against
``httpx.MockTransport`` and integration tests against a real server. Every way a
server can fail — refused credentials, wrong media type, an envelope too large, a
5xx, a body that is not a TAXII resource — becomes one :class:`ExternalServiceError`
with a hint; the server's own words are kept short and never trusted as markup.

Only GET requests are retried (on 429 and 5xx, honouring ``Retry-After``): a POST
is never repeated behind the caller's back, because the caller journals what it sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from ircli.errors import ExternalServiceError

if TYPE_CHECKING:
    import httpx

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
MAX_PAGES = 100_000
MAX_SERVER_TEXT = 200
GET_ATTEMPTS = 3
STATUS_VALUES = ("complete", "pending")


@dataclass(frozen=True)
class Page:
    """One page of a collection's objects."""

    objects: list[dict[str, Any]]
    more: bool
    next: str | None
    date_added_first: str | None
    date_added_last: str | None


@dataclass(frozen=True)
class Status:
    """A TAXII status resource: how the server processed one POSTed envelope."""

    id: str
    status: str
    total_count: int
    success_count: int
    failure_count: int
    pending_count: int
    successes: list[str] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    pendings: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether the server finished processing the envelope."""
        return self.status == "complete"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the journal."""
        return {
            "status_id": self.id,
            "status": self.status,
            "total_count": self.total_count,
            "success_count": self.success_count,
            "failure_count": self.failure_count,
            "pending_count": self.pending_count,
            "successes": list(self.successes),
            "failures": [dict(f) for f in self.failures],
            "pendings": list(self.pendings),
        }


class TaxiiError(ExternalServiceError):
    """A TAXII request failed; ``status`` is the HTTP status when the server answered."""

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None):
        super().__init__(message, hint=hint)
        self.status = status


class TaxiiClient:
    """A TAXII 2.1 client for one server; ``url`` is the server's base URL."""

    def __init__(
        self,
        url: str,
        *,
        auth: httpx.Auth | None = None,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        import httpx

        if not url.startswith(("http://", "https://")):
            raise ExternalServiceError(
                f"TAXII url {url!r} is not an http(s) URL", hint="set [forum] url = 'https://...'"
            )
        self.url = url if url.endswith("/") else url + "/"
        self._own_client = client is None
        self._client = client or httpx.Client(transport=transport, timeout=timeout)
        self._auth = auth
        self._sleep = sleep
        self._monotonic = monotonic

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._own_client:
            self._client.close()

    def __enter__(self) -> TaxiiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- resources -----------------------------------------------------------------

    def api_root_url(self, api_root: str) -> str:
        """An API root given as a path (``api1``) or an absolute URL, as an absolute URL."""
        if api_root.startswith(("http://", "https://")):
            return api_root if api_root.endswith("/") else api_root + "/"
        return urljoin(self.url, api_root.strip("/") + "/")

    def discovery(self) -> dict[str, Any]:
        """The server's discovery resource (``/taxii2/``)."""
        body = self._get_json(urljoin(self.url, "taxii2/"))
        _require(body, "title", str, "discovery")
        roots = body.get("api_roots", [])
        if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
            raise _malformed("discovery", "'api_roots' is not a list of URLs")
        return body

    def api_root(self, api_root: str) -> dict[str, Any]:
        """An API root's information (title, versions, ``max_content_length``)."""
        body = self._get_json(self.api_root_url(api_root))
        _require(body, "title", str, "API root")
        _require(body, "max_content_length", int, "API root")
        return body

    def collections(self, api_root: str) -> list[dict[str, Any]]:
        """The collections of an API root (an empty server may answer ``{}``)."""
        body = self._get_json(self.api_root_url(api_root) + "collections/")
        found = body.get("collections", [])
        if not isinstance(found, list) or not all(
            isinstance(c, dict) and isinstance(c.get("id"), str) for c in found
        ):
            raise _malformed("collections", "'collections' is not a list of collections with ids")
        return found

    def collection(self, api_root: str, collection_id: str) -> dict[str, Any]:
        """One collection's description (``can_read``, ``can_write``…)."""
        body = self._get_json(self.api_root_url(api_root) + f"collections/{collection_id}/")
        _require(body, "id", str, "collection")
        return body

    def pages(
        self,
        api_root: str,
        collection_id: str,
        *,
        added_after: str | None = None,
        limit: int | None = None,
        types: tuple[str, ...] = (),
        ids: tuple[str, ...] = (),
        versions: str | None = None,
    ) -> Iterator[Page]:
        """The collection's objects page by page, following ``next`` while ``more``."""
        url = self.api_root_url(api_root) + f"collections/{collection_id}/objects/"
        params: dict[str, str] = {}
        if added_after:
            params["added_after"] = added_after
        if limit:
            params["limit"] = str(limit)
        if types:
            params["match[type]"] = ",".join(types)
        if ids:
            params["match[id]"] = ",".join(ids)
        if versions:
            params["match[version]"] = versions
        empty = 0
        for _ in range(MAX_PAGES):
            response = self._request("GET", url, params=params)
            page = _parse_page(_json_body(response, "objects"), response.headers)
            yield page
            if not page.more:
                return
            if not page.next:
                raise _malformed("objects", "'more' is true but 'next' is missing")
            # ``next`` is opaque and may stay the same (medallion reuses it); a server that
            # keeps saying "more" without sending anything is looping.
            empty = empty + 1 if not page.objects else 0
            if empty >= 3:
                raise _malformed("objects", "'more' is true but pages keep coming back empty")
            params = {**params, "next": page.next}
        raise _malformed("objects", f"more than {MAX_PAGES} pages")

    def add_objects(
        self, api_root: str, collection_id: str, objects: list[dict[str, Any]]
    ) -> Status:
        """POST an envelope; returns the status resource the server created."""
        url = self.api_root_url(api_root) + f"collections/{collection_id}/objects/"
        content = json.dumps({"objects": objects}, ensure_ascii=False).encode("utf-8")
        response = self._request(
            "POST",
            url,
            content=content,
            headers={"Content-Type": TAXII_MEDIA_TYPE},
            retry=False,
        )
        return _parse_status(_json_body(response, "status"))

    def status(self, api_root: str, status_id: str) -> Status:
        """The current state of a status resource."""
        body = self._get_json(self.api_root_url(api_root) + f"status/{status_id}/")
        return _parse_status(body)

    def wait_for_status(
        self,
        api_root: str,
        status_id: str,
        *,
        deadline: float,
        interval: float = 1.0,
        first: Status | None = None,
    ) -> Status:
        """Poll a status until ``complete``; raise once ``deadline`` seconds pass without it."""
        start = self._monotonic()
        current = first if first is not None else self.status(api_root, status_id)
        while not current.complete:
            if self._monotonic() - start >= deadline:
                raise ExternalServiceError(
                    f"the TAXII server still reports status {status_id} as '{current.status}' "
                    f"after {deadline:g}s ({current.success_count} done, "
                    f"{current.pending_count} pending)",
                    hint="nothing was recorded as submitted; re-run the submission later to "
                    "resume polling this status",
                )
            self._sleep(interval)
            current = self.status(api_root, status_id)
            if current.id != status_id:
                raise _malformed("status", "the server answered with another status id")
        return current

    # -- HTTP ----------------------------------------------------------------------

    def _get_json(self, url: str) -> dict[str, Any]:
        return _json_body(self._request("GET", url), url.rsplit("/", 2)[-2] or "resource")

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        import httpx

        all_headers = {"Accept": TAXII_MEDIA_TYPE, **(headers or {})}
        attempts = GET_ATTEMPTS if retry else 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._client.request(
                    method,
                    url,
                    params=params,
                    content=content,
                    headers=all_headers,
                    auth=self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT,
                )
            except httpx.TimeoutException:
                if attempt < attempts:
                    self._sleep(_backoff(attempt))
                    continue
                raise ExternalServiceError(
                    f"the TAXII server at {_origin(url)} timed out ({method})",
                    hint="check the server is up; the request can be repeated safely",
                ) from None
            except httpx.HTTPError as exc:
                raise ExternalServiceError(
                    f"cannot reach the TAXII server at {_origin(url)}: {type(exc).__name__}",
                    hint="check [forum] url and that the server is reachable",
                ) from None
            if response.status_code in (429, 500, 502, 503, 504) and attempt < attempts:
                self._sleep(_retry_after(response, attempt))
                continue
            if response.status_code >= 400:
                raise _http_error(method, url, response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover


def _backoff(attempt: int) -> float:
    return min(0.5 * 2.0 ** (attempt - 1), 5.0)


def _retry_after(response: httpx.Response, attempt: int) -> float:
    raw = response.headers.get("Retry-After", "")
    try:
        return min(max(float(raw), 0.0), 30.0)
    except ValueError:
        return _backoff(attempt)


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _server_words(response: httpx.Response) -> str:
    """The TAXII error message's title/description, short; never the raw body if huge."""
    try:
        body = json.loads(response.content[:65536])
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    words = " — ".join(
        str(body[key]) for key in ("title", "description") if isinstance(body.get(key), str)
    )
    words = " ".join(words.split())
    return words[:MAX_SERVER_TEXT]


_HINTS = {
    401: (
        "the TAXII server refused the credentials (401 Unauthorized)",
        "check [forum] auth/username and the secret: ircli auth set <secret name>",
    ),
    403: (
        "the TAXII server does not allow this account to do that (403 Forbidden)",
        "ask the Forum operator for read/write access to the collection",
    ),
    404: (
        "the TAXII server has no such API root, collection or status (404)",
        "check [forum] api_root and collection against the server's discovery",
    ),
    406: (
        "the TAXII server does not accept TAXII 2.1 responses (406 Not Acceptable)",
        "is [forum] url a TAXII 2.1 server? ircli speaks " + TAXII_MEDIA_TYPE,
    ),
    413: (
        "the TAXII server refused the envelope as too large (413)",
        "lower [forum] max_envelope_bytes so ircli splits the submission into smaller POSTs",
    ),
    415: (
        "the TAXII server does not accept the submitted media type (415)",
        "is [forum] url a TAXII 2.1 server? ircli sends " + TAXII_MEDIA_TYPE,
    ),
    422: (
        "the TAXII server could not process the envelope (422)",
        "check the bundle with 'ircli report INC --dry-run -o DIR'",
    ),
}


def _http_error(method: str, url: str, response: httpx.Response) -> TaxiiError:
    code = response.status_code
    message, hint = _HINTS.get(
        code,
        (
            f"the TAXII server failed with HTTP {code}"
            if code >= 500
            else f"the TAXII server rejected the request with HTTP {code}",
            "the server may be down or overloaded; try again later"
            if code >= 500
            else "check [forum] settings",
        ),
    )
    words = _server_words(response)
    detail = f": {words}" if words else ""
    return TaxiiError(f"{message} on {method} {_origin(url)}{detail}", hint=hint, status=code)


def _malformed(what: str, why: str) -> ExternalServiceError:
    return ExternalServiceError(
        f"the TAXII server sent a malformed {what} resource: {why}",
        hint="the server is not speaking TAXII 2.1 correctly; nothing was recorded from it",
    )


def _json_body(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        raise _malformed(what, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise _malformed(what, "the body is not a JSON object")
    return body


def _require(body: dict[str, Any], key: str, kind: type, what: str) -> None:
    value = body.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _malformed(what, f"'{key}' is missing or not a {kind.__name__}")


def _parse_page(body: dict[str, Any], headers: httpx.Headers) -> Page:
    # medallion answers an empty result with {}; the spec's envelope has every key optional.
    objects = body.get("objects", [])
    if not isinstance(objects, list):
        raise _malformed("envelope", "'objects' is not a list")
    more = body.get("more", False)
    if not isinstance(more, bool):
        raise _malformed("envelope", "'more' is not true or false")
    nxt = body.get("next")
    if nxt is not None and not isinstance(nxt, str):
        raise _malformed("envelope", "'next' is not a string")
    return Page(
        objects=[o for o in objects if isinstance(o, dict)] if objects else [],
        more=more,
        next=nxt,
        date_added_first=_header_ts(headers.get("X-TAXII-Date-Added-First")),
        date_added_last=_header_ts(headers.get("X-TAXII-Date-Added-Last")),
    )


def _header_ts(value: str | None) -> str | None:
    if not value:
        return None
    from ircli.core.clock import format_ts, parse_ts

    try:
        return format_ts(parse_ts(value.strip()))
    except ValueError:
        return None


def _parse_status(body: dict[str, Any]) -> Status:
    _require(body, "id", str, "status")
    status = body.get("status")
    if status not in STATUS_VALUES:
        raise _malformed("status", "'status' is neither 'complete' nor 'pending'")
    counts: dict[str, int] = {}
    for key in ("total_count", "success_count", "failure_count", "pending_count"):
        value = body.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _malformed("status", f"'{key}' is not a non-negative integer")
        counts[key] = value
    return Status(
        id=body["id"],
        status=str(status),
        successes=_detail_ids(body.get("successes", []), "successes"),
        failures=_failures(body.get("failures", [])),
        pendings=_detail_ids(body.get("pendings", []), "pendings"),
        **counts,
    )


def _detail_ids(details: Any, key: str) -> list[str]:
    if not isinstance(details, list):
        raise _malformed("status", f"'{key}' is not a list")
    out: list[str] = []
    for detail in details:
        if not isinstance(detail, dict) or not isinstance(detail.get("id"), str):
            raise _malformed("status", f"an entry of '{key}' has no object id")
        out.append(detail["id"])
    return out


def _failures(details: Any) -> list[dict[str, str]]:
    ids = _detail_ids(details, "failures")
    messages = [d.get("message") for d in details]
    return [
        {"id": i, "message": (m if isinstance(m, str) else "")[:MAX_SERVER_TEXT]}
        for i, m in zip(ids, messages, strict=True)
    ]
