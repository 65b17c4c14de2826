"""HTTP for sources: one request with retries, backoff, ``Retry-After`` and a deadline.

Retried: 429 (after ``Retry-After`` when given), 500/502/503/504, connection errors,
timeouts and bodies cut short. Not retried: other 4xx (401/403 point at the secret),
redirect loops. Every failure becomes an :class:`ExternalServiceError` whose message
names the service and the problem, never a header or a secret.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from ircli.errors import ExternalServiceError

if TYPE_CHECKING:
    import httpx

    from ircli.evidence.sources import SourceEnv

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts per request, backoff bounds, and a deadline per request."""

    attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 30.0
    deadline: float = 300.0


class BadBody(Exception):
    """The body arrived but cannot be used (e.g. truncated JSON); worth another try."""


def make_client(env: SourceEnv, timeout: float) -> httpx.Client:
    """An httpx client on the injected transport (or the real network)."""
    import httpx

    return httpx.Client(
        transport=env.transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": "ircli-evidence"},
    )


def fetch(
    client: httpx.Client,
    env: SourceEnv,
    policy: RetryPolicy,
    service: str,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    check: Callable[[httpx.Response], Any] | None = None,
    refused: Callable[[httpx.Response], str | None] | None = None,
    secret_hint: str = "",
) -> tuple[httpx.Response, Any]:
    """Send one request until it succeeds or the policy gives up.

    ``check`` parses the body (raising :class:`BadBody` to ask for a retry); its result
    is returned with the response. ``refused`` recognises a failure that no retry can
    fix (e.g. a database's query error sent as HTTP 500) and returns its message.
    """
    import httpx

    start = env.monotonic()
    problem = ""
    for attempt in range(1, policy.attempts + 1):
        wait: float | None = None
        try:
            response = client.request(method, url, params=params, headers=headers, content=content)
        except httpx.TooManyRedirects:
            raise ExternalServiceError(
                f"{service}: too many redirects (a redirect loop)",
                hint="check the source's url in ircli.toml",
            ) from None
        except httpx.TimeoutException:
            problem = "timed out"
        except httpx.TransportError as exc:
            problem = f"connection failed ({type(exc).__name__})"
        else:
            status = response.status_code
            verdict = refused(response) if refused is not None and status >= 400 else None
            if verdict:
                raise ExternalServiceError(
                    f"{service}: {verdict}", hint="check the source's settings in ircli.toml"
                )
            if status in RETRY_STATUSES:
                problem = f"HTTP {status}"
                if status == 429:
                    wait = _retry_after(response.headers.get("Retry-After"), env)
            elif status in (401, 403):
                raise ExternalServiceError(
                    f"{service}: refused the credentials (HTTP {status})",
                    hint=secret_hint or "check the source's auth settings",
                )
            elif status >= 400:
                raise ExternalServiceError(
                    f"{service}: HTTP {status} {_reason(response)}",
                    hint="check the source's url, params and mapping in ircli.toml",
                )
            else:
                if check is None:
                    return response, None
                try:
                    return response, check(response)
                except BadBody as exc:
                    problem = str(exc)
        if attempt == policy.attempts:
            break
        if wait is None:
            # Full jitter: spreads retries of many clients instead of synchronising them.
            ceiling = min(policy.max_backoff, policy.backoff * 2 ** (attempt - 1))
            wait = ceiling * env.random()
        elapsed = env.monotonic() - start
        if elapsed + wait > policy.deadline:
            problem += f"; gave up after {elapsed:.0f}s (deadline {policy.deadline:.0f}s)"
            break
        env.sleep(wait)
    raise ExternalServiceError(
        f"{service}: {problem} after {attempt} attempt(s)",
        hint="the service may be down or overloaded; re-run the same command to resume",
    )


def _retry_after(value: str | None, env: SourceEnv) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        moment = parsedate_to_datetime(value)
        return max(0.0, (moment - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _reason(response: httpx.Response) -> str:
    from ircli.core.text import inert

    return inert(response.reason_phrase or "", limit=60)
