"""Exit codes: the contract between ircli and anything that runs it.

They are documented in the README; a test keeps the two in step. Never renumber
a code once released — automation depends on them.
"""

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit status of every ``ircli`` command."""

    OK = 0
    INTERNAL_ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    VALIDATION = 4
    CONFIG = 5
    STORE = 6
    INTEGRITY = 7
    EXTERNAL_SERVICE = 8
    PARTIAL_FAILURE = 9
    WAITING_FOR_INPUT = 10
    WAITING_FOR_APPROVAL = 11
    REFUSED = 12
    SECRETS = 13
    INTERRUPTED = 130


DESCRIPTIONS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.INTERNAL_ERROR: "unexpected internal error (a bug: please report it with --debug output)",
    ExitCode.USAGE: "usage error: unknown command, option or argument",
    ExitCode.NOT_FOUND: "the incident, step, evidence item or playbook does not exist",
    ExitCode.VALIDATION: "invalid input: a playbook, answers file, record or value failed validation",
    ExitCode.CONFIG: "the configuration file is unreadable or invalid",
    ExitCode.STORE: "the incident store cannot be opened, read or written",
    ExitCode.INTEGRITY: "integrity failure: the journal or an evidence file was altered",
    ExitCode.EXTERNAL_SERVICE: "an external service (log API, SCIM, TAXII) failed or refused",
    ExitCode.PARTIAL_FAILURE: "a bulk operation finished but some targets failed",
    ExitCode.WAITING_FOR_INPUT: "the run stopped at a step that needs a responder's input",
    ExitCode.WAITING_FOR_APPROVAL: "the run stopped at a step that needs approval",
    ExitCode.REFUSED: "refused by policy: two-person rule, ceiling, TLP or a closed incident",
    ExitCode.SECRETS: "a secret is missing or no keyring is available",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); re-run to resume",
}
