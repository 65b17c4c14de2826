"""What an action plugin is, and how an answer from an account system is classified.

A plugin turns one target into one HTTP exchange (or a few: SCIM reads a user before
re-sending an interrupted call). Everything around it — the preview, the ledger,
concurrency, the rate limit, retries — is shared and lives outside the plugin.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from ircli.core.canonical import sha256_hex
from ircli.core.text import inert
from ircli.errors import ConfigError

if TYPE_CHECKING:
    import httpx

Mode = Literal["apply", "rollback"]
Status = Literal["succeeded", "skipped", "failed", "retry", "auth"]

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one attempt on one target."""

    status: Status
    reason: str = ""
    effect: str = ""
    """What changed on the account system: ``deactivated``, ``already_done``, …"""
    retry_after: float | None = None
    http_status: int | None = None
    permanent: bool = True
    """For failures: retrying later will not help (a 400, a 422)."""

    @property
    def final(self) -> bool:
        """Whether the target is settled (no retry, no stop)."""
        return self.status in ("succeeded", "skipped", "failed")


@dataclass(frozen=True, slots=True)
class Target:
    """One account to act on, with what the preview resolved about it (e.g. a SCIM id)."""

    account: str
    ref: str | None = None
    resumed: bool = False
    """It was in flight when an earlier run stopped: reconcile before acting."""
    incident: str = ""
    step: str = ""


@dataclass(frozen=True, slots=True)
class Inspection:
    """What the account system says about an account before acting on it."""

    ref: str | None
    active: bool | None
    exists: bool = True


@dataclass(frozen=True, slots=True)
class ActionSettings:
    """Settings every action type shares (``[actions.NAME]`` in ircli.toml)."""

    name: str
    type: str
    base_url: str
    token_secret: str | None = None
    concurrency: int = 8
    rate: float = 20.0
    """Requests per second, all workers together; 0 means unlimited."""
    ceiling: int = 5000
    timeout: float = 10.0
    max_attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 30.0
    approvals: int = 1
    approvers: tuple[str, ...] = ()
    exclude_flags: tuple[str, ...] = ()
    accounts_file: str | None = None
    allowlist_file: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    COMMON: ClassVar[frozenset[str]] = frozenset(
        {
            "type",
            "base_url",
            "token_secret",
            "concurrency",
            "rate",
            "ceiling",
            "timeout",
            "max_attempts",
            "backoff",
            "max_backoff",
            "approvals",
            "approvers",
            "exclude_flags",
            "accounts",
            "allowlist",
        }
    )


class ActionPlugin(Protocol):
    """A response-action type (``scim``, ``http``, or a third party's)."""

    settings: ActionSettings
    supports_rollback: bool
    inspects: bool
    """Whether :meth:`inspect` asks the account system anything (the preview then needs it)."""

    def headers(self, token: str | None) -> dict[str, str]:
        """Headers sent on every request (auth included)."""
        ...

    async def inspect(
        self, client: httpx.AsyncClient, accounts: Sequence[str]
    ) -> dict[str, Inspection]:
        """Look accounts up before the preview (may return nothing when it cannot tell)."""
        ...

    async def perform(
        self, client: httpx.AsyncClient, target: Target, key: str, mode: Mode
    ) -> Result:
        """One attempt at the action (``apply`` or ``rollback``) on one target."""
        ...


def idempotency_key(
    incident: str, step: str, action: str, mode: str, account: str, round: int = 0
) -> str:
    """The key a target's call carries on every attempt and every resume: same inputs, same key.

    ``round`` counts how often the opposite mode undid this one on the account (a re-apply
    after a rollback is a new act the server must not answer from its idempotency cache).
    """
    text = f"{incident}\x1f{step}\x1f{action}\x1f{mode}\x1f{account}"
    return "ircli-" + sha256_hex(text + (f"\x1f{round}" if round else ""))[:40]


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; ``None`` when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


def classify(
    response: httpx.Response,
    *,
    success: frozenset[int],
    already_done: frozenset[int],
    not_found: frozenset[int],
    effect: str,
) -> Result:
    """Map an HTTP answer to a ledger outcome, the same way for every plugin."""
    code = response.status_code
    if code in success:
        return Result("succeeded", effect=effect, http_status=code)
    if code in already_done:
        return Result("succeeded", effect="already_done", http_status=code)
    if code in not_found:
        return Result(
            "skipped", reason=f"account not found (HTTP {code}): vanished", http_status=code
        )
    if code in AUTH_STATUSES:
        return Result("auth", reason=f"HTTP {code}: {detail(response)}", http_status=code)
    if code in TRANSIENT_STATUSES:
        return Result(
            "retry",
            reason=f"HTTP {code}",
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
            http_status=code,
        )
    return Result("failed", reason=f"HTTP {code}: {detail(response)}", http_status=code)


def detail(response: httpx.Response, limit: int = 160) -> str:
    """A short, inert description of an error body (SCIM ``detail`` or the text)."""
    text = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            text = str(body.get("detail") or body.get("message") or body.get("error") or "")
    except ValueError:
        text = response.text
    return inert(" ".join(text.split()), limit=limit) or response.reason_phrase


def status_set(
    table: Mapping[str, Any], key: str, default: Sequence[int], where: str
) -> frozenset[int]:
    """A list of HTTP status codes from config, validated."""
    raw = table.get(key, list(default))
    if not isinstance(raw, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) and 100 <= c <= 599 for c in raw
    ):
        raise ConfigError(f"{where}.{key}: must be a list of HTTP status codes (100-599)")
    return frozenset(raw)
