"""Every piece of store I/O the TUI does, as thin thread workers on the app.

Each worker builds its own workspace (SQLite connections belong to one thread),
calls one service, and posts one small message to the screen that asked. Errors are
not handled here: the app's single ``Worker.StateChanged`` handler turns them into
a one-line notification.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from textual import work
from textual.app import App
from textual.message_pump import MessagePump
from textual.worker import get_current_worker

from ircli.services.incidents import add_note, open_incident, verify
from ircli.services.journal import (
    Incident,
    incident_board,
    journal_version,
    read_journal,
    sibling,
)
from ircli.services.workspace import Workspace
from ircli.tui.messages import (
    BoardLoaded,
    IncidentCreated,
    JournalChanged,
    JournalRead,
    NoteAdded,
    PlaybooksListed,
    Verified,
)

POLL_SECONDS = 1.0
"""How often the app asks the store whether another process wrote."""

SLICE = 20_000
"""Events per message when reading a long journal."""


class Jobs(App[None]):
    """The worker half of the app: screens ask, workers do the I/O and answer by message."""

    def __init__(self, workspace: Workspace | None, *, live: bool = True) -> None:
        super().__init__()
        # A template only: never opened on the UI thread (its connection would be the UI's).
        # ``None`` until a deferred start has resolved it (see :meth:`workspace_ready`).
        self._template = workspace
        self._resolved = threading.Event()
        self._start_error: BaseException | None = None
        if workspace is not None:
            self._resolved.set()
        self._live = live
        self._stop = threading.Event()

    @property
    def template(self) -> Workspace:
        """The workspace the app was started with (identity, config, store path)."""
        if self._template is None:
            raise RuntimeError("the workspace is not resolved yet")
        return self._template

    @property
    def started(self) -> bool:
        """Whether the workspace is resolved (store, identity and config known)."""
        return self._template is not None

    def workspace_ready(self, workspace: Workspace | None, error: BaseException | None) -> None:
        """Release the workers that wait for the workspace (or let them fail with ``error``)."""
        self._template, self._start_error = workspace, error
        self._resolved.set()

    def thread_workspace(self) -> Workspace:
        """A workspace for the calling worker thread only; a worker that starts before a
        deferred start has resolved the workspace waits for it here."""
        self._resolved.wait()
        if self._template is None:
            raise self._start_error or RuntimeError("the workspace could not be resolved")
        return sibling(self._template)

    @work(thread=True, group="board", exclusive=True, exit_on_error=False)
    def load_board(self, target: MessagePump) -> None:
        """Read the incidents board for ``target``."""
        with self.thread_workspace() as ws:
            rows = incident_board(ws)
        target.post_message(BoardLoaded(rows))

    @work(thread=True, group="journal", exclusive=True, exit_on_error=False)
    def load_journal(
        self, target: MessagePump, incident: str, after_seq: int, state: Incident | None
    ) -> None:
        """Read an incident's journal after ``after_seq`` in slices, posting each one so a
        long journal shows its first lines at once; cancellable between batches."""
        worker = get_current_worker()
        with self.thread_workspace() as ws:
            while not worker.is_cancelled:
                delta = read_journal(
                    ws,
                    incident,
                    after_seq=after_seq,
                    state=state,
                    should_stop=lambda: worker.is_cancelled,
                    limit=SLICE,
                )
                if worker.is_cancelled:
                    return
                target.post_message(JournalRead(delta, last=len(delta.entries) < SLICE))
                if len(delta.entries) < SLICE:
                    return
                after_seq, state = delta.head_seq, delta.incident

    @work(thread=True, group="write", exit_on_error=False)
    def create_incident(
        self,
        target: MessagePump,
        title: str,
        severity: str,
        tlp: str,
        accounts: Sequence[str],
        playbook: str | None = None,
    ) -> None:
        """Open a new incident from the form, and start its playbook when one was chosen."""
        with self.thread_workspace() as ws:
            state = open_incident(
                ws, title=title, severity=severity, tlp=tlp, subjects=accounts, playbook=playbook
            )
            if playbook:
                from ircli.services.runs import start_run

                start_run(ws, playbook, incident=state.id)
        target.post_message(IncidentCreated(state.id))

    @work(thread=True, group="playbooks", exclusive=True, exit_on_error=False)
    def list_playbooks(self, target: MessagePump) -> None:
        """Read the valid playbooks on the search path (YAML and schema) for ``target``."""
        from ircli.services.playbooks import list_playbooks

        with self.thread_workspace() as ws:
            found = [(p.name, p.title) for p in list_playbooks(ws) if p.valid]
        target.post_message(PlaybooksListed(found))

    @work(thread=True, group="write", exit_on_error=False)
    def append_note(self, target: MessagePump, incident: str, text: str) -> None:
        """Append a note to an incident."""
        with self.thread_workspace() as ws:
            event = add_note(ws, incident, text)
        target.post_message(NoteAdded(incident, event.seq))

    @work(thread=True, group="verify", exclusive=True, exit_on_error=False)
    def verify_incident(self, target: MessagePump, incident: str) -> None:
        """Re-walk one incident's hash chain."""
        with self.thread_workspace() as ws:
            result = verify(ws, incident)
        target.post_message(Verified(result))

    @work(thread=True, group="live", exclusive=True, exit_on_error=False)
    def watch_journal(self) -> None:
        """Notice writes by other processes: poll the store's data version."""
        worker = get_current_worker()
        with self.thread_workspace() as ws:
            last = journal_version(ws)
            while not worker.is_cancelled and not self._stop.wait(POLL_SECONDS):
                version = journal_version(ws)
                if version != last:
                    last = version
                    self.post_message(JournalChanged(version))

    def stop_watching(self) -> None:
        """Let the polling thread end promptly (on exit)."""
        self._stop.set()
