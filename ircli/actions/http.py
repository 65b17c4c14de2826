"""The ``http`` action: a templated request to the lab's own admin API.

Configured in ``[actions.NAME]``::

    type = "http"
    base_url = "https://admin.example/api"
    token_secret = "admin"                     # sent as "Authorization: Bearer …"
    method = "POST"
    url = "/accounts/{account_id}/terminate"   # relative to base_url
    body = { account = "{account_id}", reason = "incident {incident}" }
    success = [200, 201, 202, 204]
    already_done = [409]                        # "already terminated" counts as done
    not_found = [404, 410]                      # vanished account: skipped with a reason
    [actions.NAME.rollback]                     # optional: how to undo
    method = "POST"
    url = "/accounts/{account_id}/reactivate"

Every request carries ``Idempotency-Key`` (header name configurable), derived from the
incident, step, action, mode and account, so a call re-sent after a crash is safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ircli.actions.base import (
    ActionSettings,
    Inspection,
    Mode,
    Result,
    Target,
    classify,
    status_set,
)
from ircli.actions.templates import check_body, check_template, render_body, render_text
from ircli.errors import ConfigError

if TYPE_CHECKING:
    import httpx

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_KEYS = {"method", "url", "body", "headers", "success", "already_done", "not_found"}
_EXTRA = _KEYS | {"rollback", "idempotency_header", "auth_scheme"}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One templated request and how to read its answer."""

    method: str
    url: str
    body: Any
    headers: Mapping[str, str]
    success: frozenset[int]
    already_done: frozenset[int]
    not_found: frozenset[int]


class HttpAction:
    """Terminate (and optionally reactivate) accounts through a templated admin API."""

    inspects = False

    def __init__(
        self,
        settings: ActionSettings,
        apply: Endpoint,
        rollback: Endpoint | None,
        key_header: str,
        auth_scheme: str,
    ) -> None:
        self.settings = settings
        self.apply = apply
        self.rollback = rollback
        self.supports_rollback = rollback is not None
        self.key_header = key_header
        self.auth_scheme = auth_scheme

    @classmethod
    def from_settings(cls, settings: ActionSettings) -> HttpAction:
        """Validate the ``http``-specific keys of ``[actions.NAME]``."""
        where = f"actions.{settings.name}"
        extra = dict(settings.extra)
        _refuse_unknown(extra, _EXTRA, where)
        apply = _endpoint(extra, where, required=True)
        rollback = None
        if "rollback" in extra:
            table = extra["rollback"]
            if not isinstance(table, Mapping):
                raise ConfigError(f"{where}.rollback: must be a table")
            _refuse_unknown(table, _KEYS, f"{where}.rollback")
            rollback = _endpoint(table, f"{where}.rollback", required=True)
        key_header = extra.get("idempotency_header", "Idempotency-Key")
        scheme = extra.get("auth_scheme", "Bearer")
        if not isinstance(key_header, str) or not key_header.strip():
            raise ConfigError(f"{where}.idempotency_header: must be a header name")
        if not isinstance(scheme, str):
            raise ConfigError(f"{where}.auth_scheme: must be text such as Bearer")
        return cls(settings, apply, rollback, key_header, scheme)

    def headers(self, token: str | None) -> dict[str, str]:
        """Accept JSON; bearer auth when a token secret is configured."""
        out = {"Accept": "application/json"}
        if token:
            out["Authorization"] = f"{self.auth_scheme} {token}".strip()
        return out

    async def inspect(
        self, client: httpx.AsyncClient, accounts: Sequence[str]
    ) -> dict[str, Inspection]:
        """A generic admin API has no standard read: the preview relies on the accounts table."""
        return {}

    async def perform(
        self, client: httpx.AsyncClient, target: Target, key: str, mode: Mode
    ) -> Result:
        """Send the templated request; the idempotency key makes a re-send harmless."""
        endpoint = self.apply if mode == "apply" else self.rollback
        if endpoint is None:
            return Result("failed", reason=f"action '{self.settings.name}' has no rollback")
        values = {
            "account_id": target.account,
            "ref": target.ref or target.account,
            "incident": target.incident,
            "step": target.step,
            "action": self.settings.name,
            "mode": mode,
            "idempotency_key": key,
        }
        url = render_text(endpoint.url, values, url=True)
        headers = {self.key_header: key}
        headers.update({k: render_text(v, values) for k, v in endpoint.headers.items()})
        body = render_body(endpoint.body, values) if endpoint.body is not None else None
        response = await client.request(endpoint.method, url, json=body, headers=headers)
        effect = "terminated" if mode == "apply" else "reactivated"
        return classify(
            response,
            success=endpoint.success,
            already_done=endpoint.already_done,
            not_found=endpoint.not_found,
            effect=effect,
        )


def _refuse_unknown(table: Mapping[str, Any], known: set[str], where: str) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(
                f"unknown key '{where}.{key}'", hint="keys: " + ", ".join(sorted(known))
            )


def _endpoint(table: Mapping[str, Any], where: str, *, required: bool) -> Endpoint:
    method = str(table.get("method", "POST")).upper()
    if method not in _METHODS:
        raise ConfigError(f"{where}.method: one of {', '.join(_METHODS)}")
    url = table.get("url")
    if not isinstance(url, str) or not url:
        raise ConfigError(
            f"{where}.url: required, a URL template",
            hint='e.g. url = "/accounts/{account_id}/terminate"',
        )
    check_template(url, f"{where}.url")
    body = table.get("body")
    check_body(body, f"{where}.body")
    headers = table.get("headers", {})
    if not isinstance(headers, Mapping) or not all(isinstance(v, str) for v in headers.values()):
        raise ConfigError(f"{where}.headers: must be a table of text values")
    for value in headers.values():
        check_template(value, f"{where}.headers")
    return Endpoint(
        method=method,
        url=url,
        body=body,
        headers=dict(headers),
        success=status_set(table, "success", [200, 201, 202, 204], where),
        already_done=status_set(table, "already_done", [409], where),
        not_found=status_set(table, "not_found", [404, 410], where),
    )
