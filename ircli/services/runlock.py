"""One runner per incident: an advisory lock the operating system drops when its holder dies.

Two processes advancing the same run could both find a step "started and not
finished" and both run its handler. A lock file per incident, held while a run
advances, prevents that; because the kernel releases it when the process exits —
SIGKILL included — a run interrupted by a crash resumes at once. Decisions and
approvals from other terminals need no lock: they append with ``expected_seq``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from ircli.errors import RefusedError
from ircli.services.workspace import Workspace


@contextmanager
def run_lock(ws: Workspace, incident: str) -> Iterator[None]:
    """Hold the incident's run lock, or refuse at once if another process holds it."""
    try:
        import fcntl
    except ImportError:  # no flock on this platform: the expected_seq checks still apply
        yield
        return
    folder = ws.store.files_dir / "runs"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(folder / f"{incident}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RefusedError(
                f"another ircli is running the playbook of {incident} right now",
                hint="wait for it to stop (it prints what it waits for), then run again",
            ) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
