"""Exports: the incident timeline in a chosen format, and offline checks of JSONL exports.

The CLI, the TUI and the playbook ``export`` step all call :func:`export_timeline`.
Files are written to a temporary sibling and renamed into place, so a failed export
never leaves a half-written file under the requested name.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ircli import __version__
from ircli.core.clock import format_ts, parse_ts
from ircli.core.events import Event
from ircli.core.incident import project_incident
from ircli.core.redaction import DEFAULT_HASHED, RedactionPolicy
from ircli.errors import IrcliError, NotFoundError, SecretsError, UsageError, ValidationError
from ircli.services.incidents import resolve_incident_id
from ircli.services.workspace import Workspace

if TYPE_CHECKING:
    from ircli.export.jsonl import ExportCheck

FORUM_KEY = "forum-hmac"
"""Payload keys of journal events that name one identifier, beyond the shared policy's."""


@dataclass(frozen=True)
class ExportResult:
    """What one export wrote."""

    incident: str
    format: str
    events: int
    head_seq: int
    head_hash: str
    redacted: bool
    path: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "incident": self.incident,
            "format": self.format,
            "events": self.events,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "redacted": self.redacted,
            "path": self.path,
        }


def export_formats() -> list[dict[str, str]]:
    """Every installed export format with its file suffix and description."""
    from ircli.export import formats, writer_for

    out = []
    for name in formats():
        writer = writer_for(name)
        out.append({"name": name, "suffix": writer.suffix, "description": writer.description})
    return out


def forum_redaction_policy() -> RedactionPolicy:
    """The Forum redaction policy keyed with the ``forum-hmac`` secret."""
    from ircli.secrets import env_var, get_secret

    try:
        key = get_secret(FORUM_KEY)
    except SecretsError as exc:
        raise SecretsError(
            f"--redact needs the Forum HMAC key (secret '{FORUM_KEY}'): {exc.message}",
            hint=f"store it with 'ircli auth set {FORUM_KEY}', or export {env_var(FORUM_KEY)}=...",
        ) from None
    return RedactionPolicy(key.reveal().encode("utf-8"), hashed=dict(DEFAULT_HASHED))


def export_timeline(
    ws: Workspace,
    incident: str,
    fmt: str,
    out: TextIO | str | os.PathLike[str],
    *,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    types: Sequence[str] | None = None,
    redact: bool | RedactionPolicy = False,
) -> ExportResult:
    """Export ``incident`` as ``fmt`` to a stream or a file path.

    ``since``/``until`` bound event times (inclusive), ``types`` keeps only those event
    types, ``redact`` applies the Forum redaction policy (``True`` keys it with the
    ``forum-hmac`` secret; a :class:`RedactionPolicy` is used as given).
    """
    from ircli.export import ExportSource, writer_for

    writer = writer_for(fmt)
    incident = resolve_incident_id(ws, incident)
    policy = forum_redaction_policy() if redact is True else (redact or None)
    low, high = _bound(since, "--since"), _bound(until, "--until")
    if low and high and low > high:
        raise UsageError("--since is after --until", hint="swap the two times")
    wanted = [t.strip() for t in types or () if t.strip()]
    store = ws.store
    head_seq, head_hash = store.head(incident)

    def journal() -> Iterator[Event]:
        # Stop at the head read above: events appended meanwhile belong to the next export.
        for event in store.events(incident):
            if event.seq > head_seq:
                return
            yield _redacted(event, policy) if policy else event

    def selected() -> Iterator[Event]:
        for event in store.events(incident, types=wanted or None):
            if event.seq > head_seq:
                return
            if (low and event.ts < low) or (high and event.ts > high):
                continue
            yield _redacted(event, policy) if policy else event

    selection: dict[str, Any] = {}
    if low:
        selection["since"] = low
    if high:
        selection["until"] = high
    if wanted:
        selection["types"] = wanted
    source = ExportSource(
        incident=project_incident(incident, journal()),
        head_seq=head_seq,
        head_hash=head_hash,
        events=selected,
        generated_at=format_ts(ws.clock()),
        generator=f"ircli {__version__}",
        producer=_producer(ws),
        indicators=_indicators_fired(ws, incident),
        redacted=policy is not None,
        selection=selection,
    )
    where: str | None = None
    if isinstance(out, str | os.PathLike):
        if str(out) == "-":
            count = writer.write(source, sys.stdout)
        else:
            where = str(out)
            count = _write_file(Path(out), lambda stream: writer.write(source, stream))
    else:
        count = writer.write(source, out)
    return ExportResult(incident, fmt, count, head_seq, head_hash, policy is not None, where)


def verify_export_file(path: str | os.PathLike[str]) -> ExportCheck:
    """Verify a JSONL timeline export offline (no store)."""
    from ircli.export.jsonl import verify_export

    file = Path(path)
    if not file.is_file():
        raise NotFoundError(f"no export file {file}", hint="give the path of a .jsonl export")

    def lines() -> Iterable[bytes]:
        with file.open("rb") as handle:
            yield from handle

    try:
        return verify_export(lines)
    except OSError as exc:
        raise IrcliError(f"cannot read {file}: {exc.strerror or exc}") from exc


def _bound(value: str | datetime | None, option: str) -> str | None:
    """A time bound in the journal's timestamp form, which compares as text.

    A bare date means the start of that day for ``--since`` and its end for ``--until``.
    """
    if value is None or value == "":
        return None
    try:
        moment = value if isinstance(value, datetime) else parse_ts(value)
        if isinstance(value, str) and len(value.strip()) == 10 and option == "--until":
            moment += timedelta(days=1, microseconds=-1)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return format_ts(moment)
    except ValueError:
        raise ValidationError(
            f"{option} {value!s:.60} is not an ISO 8601 time",
            hint="e.g. 2026-03-01T09:00:00Z or 2026-03-01",
        ) from None


def _redacted(event: Event, policy: RedactionPolicy) -> Event:
    return Event(
        event.incident,
        event.seq,
        event.ts,
        event.actor,
        event.type,
        policy.apply(event.payload),
        event.prev_hash,
        event.hash,
    )


def _indicators_fired(ws: Workspace, incident: str, most: int = 12) -> list[tuple[str, float]]:
    """How many alert and watch accounts each indicator fired on, in the latest analysis.

    The journal keeps only the analysis summary; the per-account indicators live in the
    stored result, checked against its journaled hash. No usable analysis: no chart.
    """
    from collections import Counter

    from ircli.services.analysis import latest_analysis

    try:
        result = latest_analysis(ws, incident).result
    except (IrcliError, KeyError, TypeError, ValueError, OSError):
        return []
    fired: Counter[str] = Counter()
    accounts = result.get("accounts") if isinstance(result, dict) else None
    for account in accounts if isinstance(accounts, list) else []:
        if not isinstance(account, dict) or account.get("verdict") not in ("alert", "watch"):
            continue
        measured = account.get("indicators")
        for name, value in (measured if isinstance(measured, dict) else {}).items():
            strength = value.get("strength") if isinstance(value, dict) else None
            if isinstance(strength, int | float) and strength > 0:
                fired[str(name)] += 1
    return [(name, float(count)) for name, count in fired.most_common(most)]


def _producer(ws: Workspace) -> str:
    forum = ws.config.forum
    for key in ("organisation", "organization", "lab", "identity"):
        value = forum.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return "ircli"


def _write_file(path: Path, write: Any) -> int:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise NotFoundError(f"no directory {directory}", hint="create it first, or choose -o")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise IrcliError(f"cannot write in {directory}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            count = int(write(stream))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        return count
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
