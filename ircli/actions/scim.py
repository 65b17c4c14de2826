"""The ``scim`` action: deactivate (or delete) users through SCIM 2.0 (RFC 7643/7644).

Configured in ``[actions.NAME]``::

    type = "scim"
    base_url = "https://accounts.example/scim/v2"
    token_secret = "scim"           # bearer token, from the keyring or IRCLI_SECRET_SCIM
    operation = "deactivate"        # PATCH active=false; or "delete" (no rollback then)
    match = "userName"              # the SCIM attribute that holds ircli's account id, or "id"
    filter_batch = 1                # accounts per lookup filter (or-joined when > 1)
    page_size = 500                 # users per page when the whole directory is read

Deactivation is idempotent by nature (setting ``active`` to false twice changes nothing),
so SCIM needs no idempotency header. A target that was in flight when a run stopped is
reconciled by reading the user first; the write that follows carries ``If-Match`` with the
ETag just read, so a concurrent change on the server is noticed instead of overwritten.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ircli.actions.base import (
    ActionSettings,
    Inspection,
    Mode,
    Result,
    Target,
    classify,
    detail,
)
from ircli.errors import ConfigError, ExternalServiceError

if TYPE_CHECKING:
    import httpx

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_JSON = "application/scim+json"
_MATCH = ("userName", "id", "externalId")
_EXTRA = {"operation", "match", "filter_batch", "page_size"}
_OK = frozenset({200, 204})
_NOT_FOUND = frozenset({404})


class ScimAction:
    """Deactivate, reactivate or delete SCIM users."""

    inspects = True

    def __init__(
        self, settings: ActionSettings, operation: str, match: str, batch: int, page: int = 500
    ) -> None:
        self.settings = settings
        self.page_size = page
        self.operation = operation
        self.match = match
        self.filter_batch = batch
        self.supports_rollback = operation == "deactivate"

    @classmethod
    def from_settings(cls, settings: ActionSettings) -> ScimAction:
        """Validate the ``scim``-specific keys of ``[actions.NAME]``."""
        where = f"actions.{settings.name}"
        for key in settings.extra:
            if key not in _EXTRA:
                raise ConfigError(
                    f"unknown key '{where}.{key}'",
                    hint="scim keys: operation, match, filter_batch (and the common ones)",
                )
        operation = settings.extra.get("operation", "deactivate")
        if operation not in ("deactivate", "delete"):
            raise ConfigError(f"{where}.operation: 'deactivate' or 'delete'")
        match = settings.extra.get("match", "userName")
        if match not in _MATCH:
            raise ConfigError(f"{where}.match: one of {', '.join(_MATCH)}")
        batch = settings.extra.get("filter_batch", 1)
        if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 200:
            raise ConfigError(f"{where}.filter_batch: an integer from 1 to 200")
        page = settings.extra.get("page_size", 500)
        if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= 10_000:
            raise ConfigError(f"{where}.page_size: an integer from 1 to 10000")
        return cls(settings, operation, match, batch, page)

    def headers(self, token: str | None) -> dict[str, str]:
        """SCIM media type and bearer auth."""
        out = {"Accept": f"{SCIM_JSON}, application/json"}
        if token:
            out["Authorization"] = f"Bearer {token}"
        return out

    # -- preview -------------------------------------------------------------------

    async def inspect(
        self, client: httpx.AsyncClient, accounts: Sequence[str]
    ) -> dict[str, Inspection]:
        """Resolve each account to its SCIM id and current ``active`` state.

        When the directory is not much larger than the target list, one paged read of
        it is far cheaper than one filtered search per account; otherwise each account
        is looked up with ``match eq "…"`` (``filter_batch`` accounts ``or``-joined per
        request, for servers that evaluate such filters efficiently).
        """
        if self.match == "id":
            return {a: _inspection(a, await self._read(client, a)) for a in accounts}
        wanted = set(accounts)
        total = await self._total(client)
        if total is not None and total <= max(3 * len(wanted), 1000):
            found = await self._scan(client, wanted, total)
        else:
            found = await self._lookup(client, list(accounts))
        for account in accounts:
            found.setdefault(account, Inspection(None, None, exists=False))
        return found

    async def _total(self, client: httpx.AsyncClient) -> int | None:
        response = await client.get("/Users", params={"count": "0"})
        if response.status_code == 400:
            return None  # a server that refuses count=0: look accounts up one by one
        body = _json_or_raise(response, "count users")
        total = body.get("totalResults") if isinstance(body, dict) else None
        return total if isinstance(total, int) and not isinstance(total, bool) else None

    async def _scan(
        self, client: httpx.AsyncClient, wanted: set[str], total: int
    ) -> dict[str, Inspection]:
        found: dict[str, Inspection] = {}
        start = 1
        while start <= total:
            params = {
                "startIndex": str(start),
                "count": str(self.page_size),
                "attributes": f"id,active,{self.match}",
            }
            body = _json_or_raise(await client.get("/Users", params=params), "list users")
            resources = body.get("Resources", []) if isinstance(body, dict) else []
            if not resources:
                break
            for user in resources:
                if isinstance(user, dict) and str(user.get(self.match, "")) in wanted:
                    found[str(user[self.match])] = Inspection(str(user.get("id")), _active(user))
            start += len(resources)
        return found

    async def _lookup(
        self, client: httpx.AsyncClient, accounts: list[str]
    ) -> dict[str, Inspection]:
        found: dict[str, Inspection] = {}
        batches = [
            accounts[i : i + self.filter_batch] for i in range(0, len(accounts), self.filter_batch)
        ]
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def one(batch: list[str]) -> None:
            async with gate:
                for user in await self._search(client, batch):
                    key = str(user.get(self.match, ""))
                    if key in batch:
                        found[key] = Inspection(str(user.get("id")), _active(user))

        await asyncio.gather(*(one(b) for b in batches))
        return found

    async def _search(self, client: httpx.AsyncClient, accounts: list[str]) -> list[dict[str, Any]]:
        expression = " or ".join(f"{self.match} eq {json.dumps(a)}" for a in accounts)
        params = {
            "filter": expression,
            "attributes": f"id,active,{self.match}",
            "count": str(len(accounts) * 2),
        }
        response = await client.get("/Users", params=params)
        body = _json_or_raise(response, "search users")
        resources = body.get("Resources", []) if isinstance(body, dict) else []
        return [r for r in resources if isinstance(r, dict)]

    async def _read(self, client: httpx.AsyncClient, ref: str) -> dict[str, Any] | None:
        response = await client.get(f"/Users/{_segment(ref)}")
        if response.status_code == 404:
            return None
        body = _json_or_raise(response, "read a user")
        if not isinstance(body, dict):
            raise ExternalServiceError("the SCIM server returned a user that is not an object")
        return body

    # -- acting --------------------------------------------------------------------

    async def perform(
        self, client: httpx.AsyncClient, target: Target, key: str, mode: Mode
    ) -> Result:
        """Deactivate (apply), reactivate (rollback) or delete one user."""
        ref = target.ref
        if ref is None:
            hits = await self._search(client, [target.account])
            if not hits:
                return Result("skipped", reason="no SCIM user with this account id: vanished")
            ref = str(hits[0].get("id"))
        want_active = mode == "rollback"
        etag: str | None = None
        if target.resumed:
            # The earlier call may or may not have landed: read, then act only if needed.
            response = await client.get(f"/Users/{_segment(ref)}")
            if response.status_code not in (200, 404):
                return classify(
                    response,
                    success=frozenset(),
                    already_done=frozenset(),
                    not_found=frozenset(),
                    effect="",
                )
            user = _user_or_none(response)
            if user is None:
                if self.operation == "delete" and mode == "apply":
                    return Result(
                        "succeeded", reason="reconciled: already deleted", effect="deleted"
                    )
                return Result("skipped", reason="SCIM user not found (HTTP 404): vanished")
            if user and self.operation == "deactivate" and _active(user) is want_active:
                effect = "reactivated" if want_active else "deactivated"
                return Result(
                    "succeeded", reason="reconciled: state already applied", effect=effect
                )
            etag = response.headers.get("etag")
        if self.operation == "delete" and mode == "apply":
            response = await client.delete(f"/Users/{_segment(ref)}", headers=_if_match(etag))
            return self._classify(response, "deleted")
        body = {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "active", "value": want_active}],
        }
        headers = {"Content-Type": SCIM_JSON, **_if_match(etag)}
        response = await client.patch(
            f"/Users/{_segment(ref)}", content=json.dumps(body), headers=headers
        )
        return self._classify(response, "reactivated" if want_active else "deactivated")

    def _classify(self, response: httpx.Response, effect: str) -> Result:
        if response.status_code == 412:
            # Changed on the server since we read it: read again on the next attempt.
            return Result("retry", reason="HTTP 412: changed on the server", http_status=412)
        return classify(
            response, success=_OK, already_done=frozenset(), not_found=_NOT_FOUND, effect=effect
        )


def _active(user: dict[str, Any]) -> bool:
    # RFC 7643: a user without "active" is active unless the provider says otherwise.
    return user.get("active", True) is not False


def _inspection(account: str, user: dict[str, Any] | None) -> Inspection:
    if user is None:
        return Inspection(None, None, exists=False)
    return Inspection(str(user.get("id", account)), _active(user))


def _if_match(etag: str | None) -> dict[str, str]:
    return {"If-Match": etag} if etag else {}


def _segment(ref: str) -> str:
    from urllib.parse import quote

    return quote(ref, safe="")


def _json_or_raise(response: httpx.Response, what: str) -> Any:
    if response.status_code in (401, 403):
        raise ExternalServiceError(
            f"the SCIM server refused the credentials (HTTP {response.status_code}) "
            f"while trying to {what}",
            hint="check the token: ircli auth set NAME, or IRCLI_SECRET_NAME",
        )
    if response.status_code >= 400:
        raise ExternalServiceError(
            f"the SCIM server failed to {what}: HTTP {response.status_code}: {detail(response)}"
        )
    try:
        return response.json()
    except ValueError as exc:
        raise ExternalServiceError(f"the SCIM server answered {what} with invalid JSON") from exc


def _user_or_none(response: httpx.Response) -> dict[str, Any] | None:
    if response.status_code == 404:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    # A garbled body is read as "state unknown": act, which is safe for an idempotent write.
    return body if isinstance(body, dict) else {}
