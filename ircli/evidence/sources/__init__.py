"""Evidence sources: plugins that page through a log store and hand back raw records.

A source is registered in the ``ircli.sources`` entry-point group (the built-in ``file``,
``http`` and ``clickhouse`` sources are registered the same way, in ``pyproject.toml``).
The registered object is a class with a ``from_config(name, table, env)`` constructor
and a ``pages(query, state)`` generator; see :class:`Source`.

A source knows nothing of the journal: it yields :class:`Page` objects, each carrying
the raw bytes it received, the records it parsed, the records it could not parse, and
the *state* to resume from after that page. The evidence service journals that state
at checkpoints, so an interrupted pull resumes where its last checkpoint left off.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from ircli.core.clock import format_ts
from ircli.errors import ConfigError

if TYPE_CHECKING:
    import httpx

    from ircli.evidence.mapping import Mapping
    from ircli.secrets import Secret

ENTRY_POINT_GROUP = "ircli.sources"


@dataclass(frozen=True)
class Query:
    """What to pull: a canonical table, optionally narrowed to accounts and a time window."""

    table: str = "requests"
    accounts: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, as journaled."""
        return {
            "table": self.table,
            "accounts": list(self.accounts),
            "since": format_ts(self.since) if self.since else None,
            "until": format_ts(self.until) if self.until else None,
        }


@dataclass
class Page:
    """One unit of work from a source."""

    raw: bytes | Path
    """The bytes as received (or a file whose bytes are the raw evidence)."""
    records: list[Any]
    """Parsed records, normally dicts with native field names."""
    next_state: dict[str, Any] | None
    """Where to resume after this page; ``None`` when this was the last page."""
    raws: list[bytes] | None = None
    """Per-record raw bytes, when the source has them (lines); kept for quarantine."""
    rejected: list[tuple[str, bytes]] = field(default_factory=list)
    """Records the source could not even parse: ``(reason, raw bytes)``."""
    columns: Any = None
    """The records already parsed into an Arrow struct array (the fast road), if any."""
    slow: Callable[[], Page] | None = None
    """With ``columns``: the same records parsed one by one, for when a record is bad."""
    finish: Callable[[], Page] | None = None
    """The records are not parsed yet: this returns the page with its ``columns`` (and
    ``slow``) or ``records``. The pull runs it in parsing threads, several pages at once,
    so that parsing overlaps fetching; it must not depend on other pages' ``finish`` having
    run (it may raise what ``pages`` may)."""


@dataclass
class SourceEnv:
    """Everything outside a source that tests substitute: HTTP, secrets, time, randomness."""

    transport: httpx.BaseTransport | None = None
    secret: Callable[[str], Secret] | None = None
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    random: Callable[[], float] = random.random
    base_dir: Path | None = None
    """Relative file paths in the config are taken from here (the config file's folder)."""

    def get_secret(self, name: str) -> Secret:
        """The secret ``name`` (from the injected lookup, else env/keyring)."""
        if self.secret is not None:
            return self.secret(name)
        from ircli.secrets import get_secret

        return get_secret(name)


class Source(Protocol):
    """What the evidence service needs from a source."""

    name: str
    kind: str
    mapping: Mapping
    checkpoint_records: int

    def describe(self, query: Query) -> dict[str, Any]:
        """The query as this source will run it (journaled; never contains a secret)."""
        ...

    def pages(self, query: Query, state: dict[str, Any] | None) -> Iterator[Page]:
        """Pages from ``state`` (``None``: the beginning) to the end."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class SourceFactory(Protocol):
    """The object a plugin registers."""

    def from_config(self, name: str, table: dict[str, Any], env: SourceEnv) -> Source:
        """Build the source from its ``[sources.NAME]`` table (raises ``ConfigError``)."""
        ...


class SourceSettings(BaseModel):
    """Settings every source accepts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    table: str = "requests"
    mapping: dict[str, Any] = Field(default_factory=dict)
    max_prompt_chars: int = 256 * 1024
    checkpoint_records: int = 50_000
    """Records per checkpoint: the most a pull re-fetches after a crash."""


M = TypeVar("M", bound=BaseModel)


def parse_settings(model: type[M], name: str, table: AnyMapping[str, Any]) -> M:
    """Validate one ``[sources.NAME]`` table; every problem named in one line."""
    try:
        return model.model_validate(dict(table))
    except PydanticValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(table)"
            text = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{where}: {text}")
        raise ConfigError(
            f"[sources.{name}]: " + "; ".join(problems),
            hint="see the 'Evidence sources' section of the README for the keys of each type",
        ) from None


def build_mapping(name: str, settings: SourceSettings, *, strings: bool = False) -> Mapping:
    """The source's field mapping, or a ``ConfigError`` naming the problem."""
    from ircli.evidence.mapping import Mapping

    try:
        return Mapping.build(
            settings.table,
            settings.mapping,
            max_text=settings.max_prompt_chars,
            strings_as_numbers=strings,
        )
    except ValueError as exc:
        raise ConfigError(f"[sources.{name}]: {exc}") from None


def source_types() -> dict[str, Any]:
    """Registered source types: name → entry point (not yet loaded)."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def open_source(name: str, table: dict[str, Any] | None, env: SourceEnv) -> Source:
    """Build the configured source ``name`` through its plugin."""
    if table is None:
        raise ConfigError(
            f"no source named '{name}' in the configuration",
            hint=f"add a [sources.{name}] table to ircli.toml (type = file, http or clickhouse)",
        )
    kind = table.get("type")
    types = source_types()
    if not isinstance(kind, str) or kind not in types:
        raise ConfigError(
            f"[sources.{name}]: type must be one of {', '.join(sorted(types)) or '(none installed)'}",
            hint='e.g. type = "file"',
        )
    factory: SourceFactory = types[kind].load()
    return factory.from_config(name, table, env)
