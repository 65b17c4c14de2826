"""Secrets: API tokens, bearer tokens and the Forum's HMAC key.

Looked up first in the environment (``IRCLI_SECRET_<NAME>``, for automation without a
keyring), then in the OS keyring under the service ``ircli``. Secrets never go into
config, the journal, evidence, exports or error messages: :class:`Secret` hides its
value from ``repr``/``str`` so a traceback or a log line cannot leak it.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ircli.errors import SecretsError, ValidationError

SERVICE = "ircli"
ENV_PREFIX = "IRCLI_SECRET_"
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

_NO_KEYRING_HINT = (
    "this machine has no usable keyring; set the secret in the environment instead: "
    "export {env}=..., or install and unlock a Secret Service (e.g. gnome-keyring)"
)


class Secret:
    """A secret value that never prints itself."""

    __slots__ = ("_value", "name")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self._value = value

    def reveal(self) -> str:
        """The value, for the one place that sends it (an HTTP header)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.name!r}, '***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.name == self.name and other._value == self._value

    def __hash__(self) -> int:
        return hash(self.name)


def check_name(name: str) -> str:
    """Secret names: lowercase letters, digits, ``_ . -``; at most 64 characters."""
    if not _NAME_RE.match(name):
        raise ValidationError(
            f"invalid secret name {name!r}",
            hint="use lowercase letters, digits, '_', '.' or '-' (e.g. logs, scim, forum-hmac)",
        )
    return name


def env_var(name: str) -> str:
    """The environment variable that can hold secret ``name``."""
    return ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", name.upper())


def get_secret(name: str, *, keyring_backend: Any = None) -> Secret:
    """The secret ``name`` from the environment or the keyring; raises if it is nowhere."""
    check_name(name)
    value = os.environ.get(env_var(name))
    if value:
        return Secret(name, value)
    backend = keyring_backend or _keyring()
    try:
        stored = backend.get_password(SERVICE, name)
    except Exception as exc:  # keyring raises many types; none may leak details
        raise _keyring_error(name, exc) from None
    if stored is None:
        raise SecretsError(
            f"no secret named '{name}'",
            hint=f"store it with 'ircli auth set {name}', or export {env_var(name)}=...",
        )
    return Secret(name, stored)


def set_secret(name: str, value: str, *, keyring_backend: Any = None) -> None:
    """Store a secret in the keyring."""
    check_name(name)
    if not value:
        raise ValidationError("the secret is empty")
    backend = keyring_backend or _keyring()
    try:
        backend.set_password(SERVICE, name, value)
    except Exception as exc:
        raise _keyring_error(name, exc) from None


def forget_secret(name: str, *, keyring_backend: Any = None) -> bool:
    """Remove a secret from the keyring; ``False`` if it was not there."""
    check_name(name)
    backend = keyring_backend or _keyring()
    try:
        if backend.get_password(SERVICE, name) is None:
            return False
        backend.delete_password(SERVICE, name)
        return True
    except Exception as exc:
        raise _keyring_error(name, exc) from None


def secret_source(name: str, *, keyring_backend: Any = None) -> str | None:
    """Where secret ``name`` would come from (``env`` or ``keyring``), or ``None``."""
    check_name(name)
    if os.environ.get(env_var(name)):
        return "env"
    backend = keyring_backend or _keyring()
    try:
        return "keyring" if backend.get_password(SERVICE, name) is not None else None
    except Exception as exc:
        raise _keyring_error(name, exc) from None


def _keyring() -> Any:
    import keyring

    return keyring.get_keyring()


def _keyring_error(name: str, exc: Exception) -> SecretsError:
    kind = type(exc).__name__
    if kind in ("NoKeyringError", "InitError") or "No recommended backend" in str(exc):
        return SecretsError(
            "no keyring backend is available on this machine",
            hint=_NO_KEYRING_HINT.format(env=env_var(name)),
        )
    if kind in ("KeyringLocked",):
        return SecretsError(
            "the keyring is locked", hint="unlock your keyring, or export " + env_var(name)
        )
    # The exception text may echo what was being stored: never show it.
    return SecretsError(
        f"the keyring refused the request ({kind})",
        hint=_NO_KEYRING_HINT.format(env=env_var(name)),
    )
