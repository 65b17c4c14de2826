"""The per-invocation settings global options leave for commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ircli.services.workspace import Workspace


@dataclass
class Settings:
    """Global options (``--store``, ``--as``, ``--config``, ``--debug``)."""

    store: str | None = None
    actor: str | None = None
    config: Path | None = None
    debug: bool = False
    _workspace: Workspace | None = field(default=None, repr=False)

    def workspace(self) -> Workspace:
        """The workspace these options describe (built once per invocation)."""
        if self._workspace is None:
            from ircli.services.workspace import Workspace

            self._workspace = Workspace.from_environment(
                store=self.store, actor=self.actor, config_path=self.config
            )
        return self._workspace

    def close(self) -> None:
        """Release the workspace's store."""
        if self._workspace is not None:
            self._workspace.close()


def workspace() -> Workspace:
    """The current command's workspace."""
    ctx = click.get_current_context()
    settings = ctx.find_object(Settings)
    if settings is None:  # a command invoked outside the root group (tests)
        settings = ctx.ensure_object(Settings)
    return settings.workspace()
