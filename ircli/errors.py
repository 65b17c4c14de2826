"""The error tree of ircli.

Every failure a user can cause or meet is an :class:`IrcliError` with a one-line
message, an optional hint and an exit code; front ends print the message and the
hint, never a traceback (unless ``--debug``)::

    IrcliError
    ├── UsageError            bad arguments that click could not catch
    ├── NotFoundError         incident, step, evidence, playbook missing
    ├── ValidationError       invalid playbook, answers, value
    ├── ConfigError           unreadable or invalid configuration
    ├── StoreError            the store cannot be opened, read or written
    ├── IntegrityError        the journal or evidence was altered
    ├── ExternalServiceError  a log API, SCIM or TAXII server failed
    ├── PartialFailureError   a bulk action finished with failed targets
    ├── WaitingError          a run stopped for input or approval
    ├── RefusedError          a policy refused: two-person rule, ceiling, TLP
    └── SecretsError          a secret is missing or no keyring exists
"""

from __future__ import annotations

from typing import Any

from ircli.exitcodes import ExitCode


class IrcliError(Exception):
    """Base of every error a user can meet; carries a hint and an exit code."""

    exit_code: ExitCode = ExitCode.INTERNAL_ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description of the error, for ``--json`` callers."""
        out: dict[str, Any] = {
            "error": type(self).__name__,
            "message": self.message,
            "exit_code": int(self.exit_code),
        }
        if self.hint:
            out["hint"] = self.hint
        return out


class UsageError(IrcliError):
    """Arguments that parse but make no sense together."""

    exit_code = ExitCode.USAGE


class NotFoundError(IrcliError):
    """An incident, step, evidence item or playbook that does not exist."""

    exit_code = ExitCode.NOT_FOUND


class ValidationError(IrcliError):
    """Input that failed validation (playbook, answers file, value)."""

    exit_code = ExitCode.VALIDATION


class ConfigError(IrcliError):
    """The configuration file is unreadable or invalid."""

    exit_code = ExitCode.CONFIG


class StoreError(IrcliError):
    """The incident store cannot be opened, read or written."""

    exit_code = ExitCode.STORE


class IntegrityError(IrcliError):
    """The journal or an evidence file does not match its hashes."""

    exit_code = ExitCode.INTEGRITY


class ExternalServiceError(IrcliError):
    """An external service failed, refused or answered nonsense."""

    exit_code = ExitCode.EXTERNAL_SERVICE


class PartialFailureError(IrcliError):
    """A bulk operation completed, but some targets failed."""

    exit_code = ExitCode.PARTIAL_FAILURE


class WaitingError(IrcliError):
    """A run stopped at a step that needs a human; ``record`` says what for."""

    exit_code = ExitCode.WAITING_FOR_INPUT

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        record: dict[str, Any] | None = None,
        approval: bool = False,
    ) -> None:
        super().__init__(message, hint=hint)
        self.record = record or {}
        if approval:
            self.exit_code = ExitCode.WAITING_FOR_APPROVAL

    def to_dict(self) -> dict[str, Any]:
        """The error plus the machine-readable waiting record."""
        out = super().to_dict()
        out["waiting_for"] = self.record
        return out


class RefusedError(IrcliError):
    """A policy refused the request (two-person rule, ceiling, TLP, closed incident)."""

    exit_code = ExitCode.REFUSED


class SecretsError(IrcliError):
    """A secret is missing, or there is no usable keyring."""

    exit_code = ExitCode.SECRETS
