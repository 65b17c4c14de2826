"""How the command line opens the TUI: only in a terminal, never hanging in CI."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from ircli.services.incidents import add_note, open_incident
from ircli.services.workspace import Workspace

IRCLI = shutil.which("ircli", path=str(Path(sys.executable).parent)) or "ircli"


def test_no_arguments_without_a_terminal_prints_help(ircli) -> None:  # type: ignore[no-untyped-def]
    result = ircli()
    assert result.code == 0
    assert "Usage: ircli" in result.out


def test_tui_without_a_terminal_is_a_usage_error(ircli) -> None:  # type: ignore[no-untyped-def]
    result = ircli("tui")
    assert result.code == 2
    assert "needs a terminal" in result.err
    assert "Traceback" not in result.err


def test_tui_on_a_missing_incident_says_so(ircli) -> None:  # type: ignore[no-untyped-def]
    result = ircli("tui", "--incident", "INC-0042")
    assert result.code == 3
    assert "no incident INC-0042" in result.err


def test_tui_with_a_bad_keymap_names_the_key(ircli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "ircli.toml"
    config.write_text('[tui.keys]\n"home.nwe" = "ctrl+n"\n', encoding="utf-8")
    result = ircli("--config", str(config), "tui")
    assert result.code == 5
    assert "unknown action id 'home.nwe'" in result.err
    assert "did you mean 'home.new'?" in result.err


def test_demo_open_without_a_terminal_prints_the_incident(ircli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = ircli("demo", "--open", "--dir", str(tmp_path / "demo"))
    assert result.code == 0, result.err
    assert "INC-0001" in result.out
    assert "not a terminal" in result.err


def _run_in_terminal(args: list[str], wait_for: bytes, timeout: float = 60.0) -> tuple[int, bytes]:
    """Run ``args`` on a 160x48 pseudo-terminal until ``wait_for`` shows, then press ctrl+q."""
    master, slave = pty.openpty()
    # The size is set before the program starts, so its first layout is already 160x48.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        args, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    quit_sent = False
    while time.monotonic() < deadline and proc.poll() is None:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            out += chunk
        if not quit_sent and wait_for in out:
            time.sleep(0.5)  # let the rest of the first frames arrive
            os.write(master, b"\x11")  # ctrl+q
            quit_sent = True
    if proc.poll() is None and not quit_sent:
        proc.kill()
    code = proc.wait(timeout=30)
    os.close(master)
    return code, out


@pytest.mark.slow
def test_ircli_opens_the_tui_in_a_terminal_and_payloads_stay_inert(ws: Workspace) -> None:
    state = open_incident(ws, title="Title \x1b]0;PWNED-TITLE\x07 [bold red]x[/bold red]")
    add_note(ws, state.id, "note \x1b]52;c;ZXZpbA==\x07 \x1b[2J \x1b]8;;https://evil.example\x07l")
    add_note(ws, state.id, "bidi \u202eabc zero\u200bwidth")
    ws.close()
    args = [IRCLI, "--store", str(ws.store_path), "tui", "--incident", state.id]
    code, out = _run_in_terminal(args, wait_for=b"PWNED-TITLE")
    assert code == 0, out[-2000:]
    assert b"PWNED-TITLE" in out and b"[bold red]x[/bold red]" in out
    for sequence in (b"\x1b]0;PWNED", b"\x1b]52;", b"\x1b[2J \x1b]8", b"\x1b]8;;https://evil"):
        assert sequence not in out
    assert "\u202e".encode() not in out and "\u200b".encode() not in out

    # `ircli` alone, in a terminal, opens the same app on its home screen.
    # The first frame comes before the configuration is read; the board fills after it.
    code, out = _run_in_terminal([IRCLI, "--store", str(ws.store_path)], wait_for=b"INC-0001")
    assert code == 0 and b"INC-0001" in out


@pytest.mark.slow
def test_demo_open_ends_in_the_tui_on_the_demo_incident(tmp_path: Path) -> None:
    args = [IRCLI, "demo", "--open", "--dir", str(tmp_path / "demo")]
    # A step title only the workspace's steps pane shows, once the run state is read.
    code, out = _run_in_terminal(args, wait_for=b"Preserve evidence")
    assert code == 0
    assert b"Preserve evidence" in out and b"TLP:" in out
