"""The workspace: the store, the configuration, the clock and the acting responder."""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ircli.core.clock import Clock, system_clock
from ircli.errors import UsageError
from ircli.store import Store, default_store_path

if TYPE_CHECKING:
    # The config model needs pydantic (a fifth of a second to import): it loads when a
    # workspace is resolved, so the TUI can paint its first frame before that.
    from ircli.config import Config

_ACTOR_RE = re.compile(r"^[\w.@+-]{1,128}$")


@dataclass
class Workspace:
    """Everything a service call needs. Cheap to build; the store opens on first use."""

    store_path: Path
    config: Config
    actor: str
    clock: Clock = system_clock
    config_path: Path | None = None
    _store: Store | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_environment(
        cls,
        *,
        store: str | os.PathLike[str] | None = None,
        actor: str | None = None,
        config_path: Path | None = None,
        clock: Clock = system_clock,
    ) -> Workspace:
        """Resolve store, config and identity the documented way.

        Store: ``store`` argument, ``IRCLI_STORE``, config ``store.path``, platform data dir.
        Actor: ``actor`` argument (``--as``), config ``responder``, the OS user.
        """
        from ircli.config import load_config

        config, found = load_config(config_path)
        if store is not None:
            store_path = Path(store).expanduser()
        elif os.environ.get("IRCLI_STORE"):
            store_path = default_store_path()
        elif config.store.path:
            # A relative path is relative to the config file, like every path in it.
            store_path = Path(config.store.path).expanduser()
            if not store_path.is_absolute() and found is not None:
                store_path = found.parent / store_path
        else:
            store_path = default_store_path()
        who = actor or config.responder or _os_user()
        return cls(store_path, config, check_actor(who), clock, found)

    @property
    def store(self) -> Store:
        """The opened store (opened, created and migrated on first use)."""
        if self._store is None:
            self._store = Store(self.store_path, clock=self.clock)
        return self._store

    def close(self) -> None:
        """Close the store if it was opened."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe(ws: Workspace) -> dict[str, Any]:
    """What ``ircli config show`` prints: config file, store, responder, effective config."""
    from ircli.config import config_as_dict

    return {
        "config_file": str(ws.config_path) if ws.config_path else None,
        "store": str(ws.store_path),
        "responder": ws.actor,
        "config": config_as_dict(ws.config),
    }


def check_actor(name: str) -> str:
    """A responder name: letters, digits and ``._@+-``, at most 128 characters."""
    if not _ACTOR_RE.match(name):
        raise UsageError(
            f"invalid responder name {name!r}",
            hint="use letters, digits and . _ @ + - (e.g. --as alice)",
        )
    return name


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"
