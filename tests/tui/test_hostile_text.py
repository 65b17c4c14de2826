"""Attacker text is inert everywhere the TUI shows it: titles, account ids, notes,
descriptions, timeline lines, the findings table and an account's drill-down (its id,
sample prompts and user agents). Each payload must appear literally (made visible by
``inert``) and no escape sequence from it may reach the terminal or the SVG export."""

from __future__ import annotations

from pathlib import Path

from ircli.core.text import inert
from ircli.services.incidents import add_note, open_incident
from ircli.services.workspace import Workspace
from ircli.tui.account_detail import AccountScreen
from ircli.tui.accounts import AccountsPane
from tests.tui.analysed import analysed_incident, write_world
from tests.tui.helpers import make_app, screen_bytes, screen_text, settle

# name -> (payload, sequences from the payload that must never reach the terminal)
PAYLOADS: dict[str, tuple[str, tuple[str, ...]]] = {
    "markup": ("[bold red]ALERT[/bold red]", ()),
    "link_markup": ("[link=https://evil.example]click[/link]", ("\x1b]8;",)),
    "csi_clear": ("pre\x1b[2Jpost", ("\x1b[2J",)),
    "osc_title": ("\x1b]0;PWNED-TITLE\x07tail", ("\x1b]0;", "\x07")),
    "osc52_clipboard": ("\x1b]52;c;ZXZpbA==\x07clip", ("\x1b]52", "\x07")),
    "osc8_hyperlink": ("\x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\", ("\x1b]8;",)),
    "bidi_override": ("abc\u202edcba\u2066x\u2069", ("\u202e", "\u2066", "\u2069")),
    "zero_width": ("zero\u200bwid\u200dth\ufeff", ("\u200b", "\u200d", "\ufeff")),
}


def _plant(ws: Workspace) -> str:
    """One incident per payload (titles on the board); the first holds every payload."""
    payloads = [payload for payload, _ in PAYLOADS.values()]
    for payload in payloads:
        open_incident(ws, title=f"T {payload}", subjects=["acct-ok"])
    first = "INC-0001"
    ws.store.append(
        first, "incident.updated", {"description": "\n".join(f"D {p}" for p in payloads)}, "alice"
    )
    # Sources may hand over account ids with control characters (the form refuses them).
    ws.store.append(first, "subjects.added", {"accounts": [f"A {p}" for p in payloads]}, "alice")
    for payload in payloads:
        add_note(ws, first, f"N {payload}")
    return first


FORBIDDEN = tuple(sorted({seq for _, seqs in PAYLOADS.values() for seq in seqs}))


def _assert_inert(output: str, where: str) -> None:
    for sequence in FORBIDDEN:
        assert sequence not in output, f"{sequence!r} reached the terminal on {where}"
    for char in "\u202e\u2066\u2069\u200b\u200d\ufeff\x07\x9b\x9d":
        assert char not in output, f"{char!r} reached the terminal on {where}"


async def test_payloads_are_shown_literally_and_never_act(ws: Workspace) -> None:
    visible = [inert(payload) for payload, _ in PAYLOADS.values()]
    incident = _plant(ws)
    app = make_app(ws)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        checks = [("home", [f"T {v}" for v in visible])]
        checks_by_key = {
            "1": (
                "overview",
                [f"T {visible[0]}", *(f"D {v}" for v in visible), *(f"N {v}" for v in visible)],
            ),
            "3": ("accounts", [f"A {v}" for v in visible]),
            "7": ("timeline", [f"Note: N {v}" for v in visible] + [f"“T {visible[0]}”"]),
        }
        for key in ("", "1", "3", "7"):
            if key == "1":
                app.open_incident(incident)
                await settle(pilot)
            if key:
                await pilot.press(key)
                await settle(pilot)
                checks.append(checks_by_key[key])
            where, expected = checks[-1]
            text = screen_text(app)
            for literal in expected:
                assert literal in text, f"{literal!r} not shown on {where}"
            _assert_inert(screen_bytes(app), where)
            svg = app.export_screenshot()
            assert "\x1b" not in svg and "\x07" not in svg
            _assert_inert(svg, f"{where} (SVG)")
        assert [where for where, _ in checks] == ["home", "overview", "accounts", "timeline"]


async def test_a_failure_message_with_attacker_text_is_inert(ws: Workspace) -> None:
    from ircli.errors import ValidationError
    from ircli.tui.app import failure_line

    line = failure_line(ValidationError("bad id '\x1b]52;c;eA==\x07[bold]x'", hint="h\u202e"))
    assert "\x1b" not in line and "\x07" not in line and "\u202e" not in line
    assert "[bold]x" in line and "␛]52;c;eA==␇" in line


async def test_payloads_in_findings_and_drill_down_are_inert(ws: Workspace, tmp_path: Path) -> None:
    """Account ids, prompts and user agents from the evidence reach the Accounts tab and
    the drill-down literally: ids in the table and the banner, every payload in a sample
    prompt, and no escape sequence anywhere in what the terminal is sent."""
    payloads = [payload for payload, _ in PAYLOADS.values()]
    incident = analysed_incident(ws, write_world(tmp_path, hostile=payloads))
    app = make_app(ws, incident=incident)
    async with app.run_test(size=(160, 80)) as pilot:
        await settle(pilot)
        await pilot.press("3", "o", "o")  # sort by account: the "A …" ids come first
        await settle(pilot)
        pane = app.screen.query_one(AccountsPane)
        assert pane.sort_key == "account" and pane.shown[0].account.startswith("A ")
        text = screen_text(app)
        for payload in payloads:
            assert f"A {inert(payload)}"[:18] in text, f"{payload!r} id not in the table"
        _assert_inert(screen_bytes(app), "accounts tab")
        account = pane.shown[0].account
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen) and app.screen.account == account
        text = screen_text(app)
        assert f"Account {inert(account)}" in text
        for payload in payloads:
            assert f"P {inert(payload)}" in text, f"{payload!r} not shown in a sample prompt"
        assert f"UA {inert(account.removeprefix('A '))}"[:40] in text
        _assert_inert(screen_bytes(app), "drill-down")
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\x07" not in svg
        _assert_inert(svg, "drill-down (SVG)")
