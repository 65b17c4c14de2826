"""The ircli Textual app: screens, the action registry's app-wide keys, live refresh and
the one place worker failures become notifications."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

from ircli.core.text import inert
from ircli.errors import IrcliError
from ircli.services.workspace import Workspace
from ircli.tui.actions import (
    Action,
    TuiSettings,
    bindings,
    palette_actions,
    tui_settings,
)
from ircli.tui.dialogs import HelpScreen
from ircli.tui.home import HomeScreen
from ircli.tui.jobs import Jobs
from ircli.tui.messages import JournalChanged


class ActionCommands(Provider):
    """The command palette: every action of the registry that applies to this screen."""

    def _actions(self) -> list[Action]:
        return palette_actions(getattr(self.screen, "SCOPE", "app"))

    def _run(self, action: Action) -> None:
        self.app.call_later(self.app.run_action, action.action, self._target(action))

    def _target(self, action: Action) -> DOMNode:
        """Who runs ``action``: the app, the screen, or the widget of its scope inside the
        screen (a tab's table), whose tab is shown first."""
        screen = self.screen
        if action.scope == "app":
            return self.app
        if getattr(screen, "SCOPE", None) == action.scope:
            return screen
        for widget in screen.query("*"):
            if getattr(widget, "SCOPE", None) == action.scope:
                show_tab = getattr(screen, "action_show_tab", None)
                if show_tab is not None:
                    show_tab(action.scope)
                return widget
        return screen

    async def discover(self) -> Hits:
        for action in self._actions():
            yield DiscoveryHit(action.title, partial(self._run, action), help=action.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action in self._actions():
            score = matcher.match(f"{action.title} {action.help}")
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(action.title),
                    partial(self._run, action),
                    text=action.title,
                    help=action.help,
                )


class IrcliApp(Jobs):
    """Home, the incident workspace, dialogs; all store I/O in workers (see :mod:`jobs`)."""

    CSS_PATH = "ircli.tcss"
    TITLE = "ircli"
    BINDINGS = bindings("app")
    COMMANDS = App.COMMANDS | {ActionCommands}

    def __init__(
        self,
        workspace: Workspace | Callable[[], Workspace],
        *,
        incident: str | None = None,
        live: bool = True,
        settings: TuiSettings | None = None,
    ) -> None:
        """``workspace`` may be a function that resolves it (reads the configuration):
        the app then paints its first frame at once and calls it in a worker, and any
        error it raises ends the app and is raised again by :func:`ircli.tui.run`."""
        resolved = workspace if isinstance(workspace, Workspace) else None
        super().__init__(resolved, live=live)
        self._resolve: Callable[[], Workspace] | None = (
            None if isinstance(workspace, Workspace) else workspace
        )
        self.settings = settings or (
            tui_settings(resolved.config.tui) if resolved else TuiSettings({}, "textual-dark")
        )
        self._start_incident = incident

    @property
    def start_error(self) -> BaseException | None:
        """What stopped a deferred start (a bad config, an unknown incident), if anything."""
        return self._start_error

    def on_mount(self) -> None:
        self.push_screen(HomeScreen())
        if self._resolve is None:
            self._begin()
        else:
            # After the first frame: the import of the config model would hold the
            # interpreter while the first frame is being painted.
            self.call_after_refresh(
                self.run_worker, self._start, thread=True, group="start", exit_on_error=False
            )

    def _begin(self) -> None:
        self.theme = self.settings.theme
        self.set_keymap(self.settings.keymap)
        if self._start_incident:
            self.open_incident(self._start_incident)
        if self._live:
            self.watch_journal()

    def _start(self) -> None:
        """Resolve the workspace, the ``[tui]`` settings and the incident asked for, off the
        UI thread (the configuration model is the slowest import of the start)."""
        from ircli.services.incidents import resolve_incident_id
        from ircli.services.journal import sibling

        assert self._resolve is not None
        try:
            ws = self._resolve()
            settings = tui_settings(ws.config.tui)
            incident = self._start_incident
            if incident is not None:
                with sibling(ws) as probe:
                    incident = resolve_incident_id(probe, incident)
        except Exception as exc:  # reported by ircli.tui.run, as the CLI reports errors
            self.workspace_ready(None, exc)
            self.call_from_thread(self.exit)
            return
        self.workspace_ready(sibling(ws), None)
        self.call_from_thread(self._started, settings, incident)

    def _started(self, settings: TuiSettings, incident: str | None) -> None:
        self.settings, self._start_incident = settings, incident
        self._begin()

    def on_unmount(self) -> None:
        self.stop_watching()

    def open_incident(self, incident: str) -> None:
        """Show an incident's workspace on top of the board."""
        # Imported here: the workspace and its tabs are not needed for the first frame.
        from ircli.tui.incident import IncidentScreen

        self.push_screen(IncidentScreen(incident))

    # -- the one error handler ------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.notify(
                failure_line(event.worker.error),
                title="Failed",
                severity="error",
                markup=False,
                timeout=10,
            )

    # -- live refresh ---------------------------------------------------------------

    def on_journal_changed(self, message: JournalChanged) -> None:
        # Every screen on the stack may show stale data, not only the top one.
        for screen in self.screen_stack:
            if getattr(screen, "SCOPE", None) in ("home", "incident"):
                screen.post_message(JournalChanged(message.version))

    # -- app-wide actions -----------------------------------------------------------

    def action_help(self) -> None:
        """Show every key that applies here."""
        if isinstance(self.screen, HelpScreen):
            return
        scope = getattr(self.screen, "SCOPE", "app")
        self.push_screen(HelpScreen(scope, self.settings.keymap))

    def action_toggle_theme(self) -> None:
        """Switch between the dark and the light theme."""
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_cancel_work(self) -> None:
        """Cancel long-running reads."""
        cancelled = self.workers.cancel_group(self, "journal")
        from ircli.tui.incident import IncidentScreen

        steps = [s for s in self.screen_stack if isinstance(s, IncidentScreen) and s.cancel_step()]
        if cancelled or steps:
            self.notify(f"Cancelled {len(cancelled) + len(steps)} running task(s)", markup=False)
            for screen in self.screen_stack:
                if isinstance(screen, IncidentScreen) and cancelled:
                    screen.reading_cancelled()


def failure_line(error: BaseException) -> str:
    """One line a responder can act on, never a traceback."""
    if isinstance(error, IrcliError):
        text = error.message + (f" — {error.hint}" if error.hint else "")
    else:
        text = f"internal error: {type(error).__name__}: {error}"
    return inert(text, limit=300)
