"""Credentials: store, check and forget the secrets sources and actions use.

Thin over :mod:`ircli.secrets`, so front ends never touch the keyring themselves. No
function here returns a secret's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ircli import secrets
from ircli.services.workspace import Workspace


@dataclass(frozen=True)
class SecretStatus:
    """Where a secret would be read from; never its value."""

    name: str
    found: bool
    origin: str | None
    env_var: str
    used_by: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "name": self.name,
            "found": self.found,
            "origin": self.origin,
            "env_var": self.env_var,
            "used_by": self.used_by,
        }


def set_secret(ws: Workspace, name: str, value: str) -> SecretStatus:
    """Store ``value`` in the OS keyring under ``name``."""
    value = value.rstrip("\r\n")
    secrets.set_secret(name, value)
    return check_secret(ws, name)


def check_secret(ws: Workspace, name: str) -> SecretStatus:
    """Whether ``name`` is available (env or keyring) and which sources use it."""
    origin = secrets.secret_source(name)
    return SecretStatus(name, origin is not None, origin, secrets.env_var(name), _users(ws, name))


def forget_secret(ws: Workspace, name: str) -> bool:
    """Remove ``name`` from the keyring; ``False`` when it was not there."""
    return secrets.forget_secret(name)


def _users(ws: Workspace, name: str) -> list[str]:
    """Configured sources whose auth names this secret."""
    out = []
    for source, table in sorted(ws.config.sources.items()):
        auth = table.get("auth")
        names = [
            auth.get("secret") if isinstance(auth, dict) else None,
            table.get("password_secret"),
        ]
        if name in names:
            out.append(f"sources.{source}")
    return out
