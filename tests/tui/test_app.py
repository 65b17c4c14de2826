"""Pilot tests of how the TUI behaves: board, forms, workspace tabs, notes, verify,
palette, help, themes, keymap, errors and cancellation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import DataTable, Input, Static

from ircli.errors import ConfigError
from ircli.services.incidents import add_note, get_incident, list_incidents, open_incident
from ircli.services.workspace import Workspace
from ircli.tui.actions import ACTIONS, BY_ID, scopes_of, tui_settings
from ircli.tui.app import IrcliApp
from ircli.tui.dialogs import HelpScreen
from ircli.tui.forms import NewIncidentDialog, NoteDialog
from ircli.tui.home import HomeScreen
from ircli.tui.incident import IncidentScreen
from ircli.tui.timeline import TimelineView
from tests.tui.helpers import screen_text, settle

AppFactory = Callable[..., IrcliApp]


def _seed(ws: Workspace) -> None:
    open_incident(ws, title="Hydra cluster of trial accounts", severity="sev2", subjects=["acct-1"])
    open_incident(ws, title="Rate-limit evasion from one org", severity="sev4")


async def test_home_lists_incidents_newest_first(ws: Workspace, app_for: AppFactory) -> None:
    _seed(ws)
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#incidents", DataTable)
        assert [str(k.value) for k in table.rows] == ["INC-0002", "INC-0001"]
        text = screen_text(app)
        assert "Hydra cluster" in text and "sev2" in text and "Rate-limit" in text


async def test_filter_narrows_the_board(ws: Workspace, app_for: AppFactory) -> None:
    _seed(ws)
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.focused is app.screen.query_one("#incidents", DataTable)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"hydra")
        await settle(pilot)
        table = app.screen.query_one("#incidents", DataTable)
        assert [str(k.value) for k in table.rows] == ["INC-0001"]
        await pilot.press(*"zzz")
        await settle(pilot)
        assert table.row_count == 0
        assert "No incident matches the filter." in screen_text(app)
        await pilot.press("enter")  # leaving the filter returns to the table
        assert app.focused is table


async def test_empty_store_says_how_to_start(app_for: AppFactory) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "No incidents yet. Press n to open one." in screen_text(app)


async def test_new_incident_form_opens_the_incident(ws: Workspace, app_for: AppFactory) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NewIncidentDialog)
        await pilot.press(*"CoT harvesting")
        app.screen.query_one("#accounts", Input).value = "acct-7, acct-8"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        assert app.screen.incident_id == "INC-0001"
        state = get_incident(ws, "INC-0001")
        assert state.title == "CoT harvesting"
        assert state.subjects == ["acct-7", "acct-8"]
        assert state.owner == "alice"


async def test_new_incident_form_starts_the_chosen_playbook(
    ws: Workspace, app_for: AppFactory
) -> None:
    from textual.widgets import Select

    from ircli.services.step_states import current_step, incident_steps

    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        picker = app.screen.query_one("#playbook", Select)
        names = [str(value) for _, value in picker._options if isinstance(value, str)]
        assert {"distillation", "ratelimit-evasion"} <= set(names)
        await pilot.press(*"Reasoning traces harvested")
        picker.value = "distillation"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        state = get_incident(ws, "INC-0001")
        assert state.playbook == "distillation"
        started = list(ws.store.events("INC-0001", types=["playbook.started"]))
        assert [e.payload["playbook"] for e in started] == ["distillation"]
        step = current_step(incident_steps(ws, "INC-0001"))
        assert step is not None and step.name == "intake"


async def test_new_incident_form_refuses_an_empty_title(app_for: AppFactory) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NewIncidentDialog)
        assert "An incident needs a title." in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_service_error_is_one_line_notification(ws: Workspace, app_for: AppFactory) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n", *"bad account")
        app.screen.query_one("#accounts", Input).value = "x" * 300
        await pilot.press("ctrl+s")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("invalid account id") for m in messages), messages
        assert not any("Traceback" in m for m in messages)
        assert isinstance(app.screen, HomeScreen)
        assert list_incidents(ws) == []


async def test_enter_opens_the_incident_and_escape_returns(
    ws: Workspace, app_for: AppFactory
) -> None:
    _seed(ws)
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        assert app.screen.incident_id == "INC-0001"
        assert "Hydra cluster" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_tabs_say_when_there_is_nothing_yet(ws: Workspace, app_for: AppFactory) -> None:
    _seed(ws)
    app = app_for(incident="INC-0001")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        expected = {
            "2": "No evidence yet.",
            "4": "No analysis yet.",
            "5": "No decisions yet.",
            "6": "No response actions yet.",
        }
        for key, sentence in expected.items():
            await pilot.press(key)
            await settle(pilot)
            assert sentence in screen_text(app), key
        await pilot.press("3")
        await settle(pilot)
        text = screen_text(app)
        assert "acct-1" in text and "No analysis yet. Run the playbook's analysis step" in text
        assert "No playbook steps." in text  # the steps pane shows at 120 columns


async def test_tabs_show_journal_events_of_their_topic(ws: Workspace, app_for: AppFactory) -> None:
    _seed(ws)
    ws.store.append("INC-0001", "evidence.added", {"source": "logs"}, "alice")
    ws.store.append("INC-0001", "decision.recorded", {"option": "contain"}, "bob")
    app = app_for(incident="INC-0001")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.query_one("#section-evidence", DataTable).row_count == 1
        assert screen.query_one("#section-decisions", DataTable).row_count == 1
        assert screen.query_one("#section-actions", DataTable).row_count == 0
        await pilot.press("5")
        await settle(pilot)
        assert "decision.recorded" in screen_text(app)


async def test_note_from_the_modal_reaches_journal_and_screen(
    ws: Workspace, app_for: AppFactory
) -> None:
    _seed(ws)
    app = app_for(incident="INC-0001")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteDialog)
        await pilot.press(*"proxy exits share one /16")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        notes = [e.payload["text"] for e in ws.store.events("INC-0001", types=["note.added"])]
        assert notes == ["proxy exits share one /16"]
        assert app.screen.query_one("#notes", DataTable).row_count == 1
        assert app.screen.query_one(TimelineView).count == 2
        # Every read and write ran in a worker with its own connection; the UI thread's
        # workspace never opened the store.
        assert app.template._store is None


async def test_verify_from_the_palette(ws: Workspace, app_for: AppFactory) -> None:
    _seed(ws)
    app = app_for(incident="INC-0001")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"verify")
        await settle(pilot)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("INC-0001: journal verified — 1 events" in m for m in messages), messages


async def test_verify_reports_a_broken_chain(ws: Workspace, app_for: AppFactory) -> None:
    _seed(ws)
    add_note(ws, "INC-0001", "original")
    conn = ws.store._conn
    conn.execute('UPDATE events SET payload = \'{"text":"edited"}\' WHERE seq = 2')
    app = app_for(incident="INC-0001")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "journal BROKEN at event 2" in errors[0].message


async def test_every_screen_action_is_in_the_palette(ws: Workspace, app_for: AppFactory) -> None:
    from ircli.tui.app import ActionCommands

    _seed(ws)
    app = app_for(incident="INC-0001")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        provider = ActionCommands(app.screen)
        titles = [hit.text async for hit in provider.discover()]
        wanted = [a.title for a in ACTIONS if a.scope in scopes_of("incident") and a.palette]
        assert titles == wanted
        assert "Sort" in titles and "Open account" in titles and "Open cluster" in titles
        bound = {b.id for b in app.screen.BINDINGS if not isinstance(b, tuple)}
        assert {a.id for a in ACTIONS if a.scope == "incident"} == bound


async def test_palette_runs_a_tab_action(ws: Workspace, app_for: AppFactory) -> None:
    _seed(ws)
    app = app_for(incident="INC-0001")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"timeline tab")
        await settle(pilot)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("#tabs").active == "tab-timeline"
        assert isinstance(app.focused, TimelineView)


async def test_help_panel_lists_keys_from_the_registry(app_for: AppFactory) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "home.new" in text and "Open a new incident" in text
        assert "incident.note" not in text  # only keys that apply here
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_theme_toggles_between_dark_and_light(app_for: AppFactory) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-dark"


async def test_keys_are_remapped_by_id(ws: Workspace, app_for: AppFactory) -> None:
    settings = tui_settings({"keys": {"home.new": "ctrl+o"}, "theme": "light"})
    app = app_for(settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-light"
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, NewIncidentDialog)


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"keys": {"home.nwe": "x"}}, "unknown action id 'home.nwe'"),
        ({"keys": {"home.new": "ctrl+"}}, "is not a key"),
        ({"keys": {"home.new": "hyperspace+n"}}, "is not a key"),
        ({"keys": {"home.new": "o"}}, "bound to both"),
        ({"keys": {"home.new": 3}}, "needs a key"),
        ({"theme": "purple"}, "tui.theme"),
        ({"colour": "x"}, "unknown key 'tui.colour'"),
    ],
)
def test_bad_tui_config_is_one_readable_line(table: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        tui_settings(table)
    assert problem in caught.value.message
    assert "\n" not in caught.value.message


def test_bad_tui_config_suggests_the_id() -> None:
    with pytest.raises(ConfigError) as caught:
        tui_settings({"keys": {"home.nwe": "x"}})
    assert caught.value.hint == "did you mean 'home.new'?"


def test_every_binding_has_an_id_and_a_tooltip_where_shown() -> None:
    assert len(BY_ID) == len(ACTIONS)
    for action in ACTIONS:
        binding = action.binding()
        assert binding.id == action.id
        if action.footer:
            assert binding.tooltip


async def test_timeline_scrolls_to_the_newest_event(ws: Workspace, app_for: AppFactory) -> None:
    _seed(ws)
    ws.store.append_many("INC-0001", [("note.added", {"text": f"n{i}"}) for i in range(3000)], "a")
    app = app_for(incident="INC-0001")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        view = app.screen.query_one(TimelineView)
        assert view.count == 3001
        assert app.screen.query_one("#notes", DataTable).row_count == 500
        note = app.screen.query_one("#empty-notes", Static)
        assert note.display and "Showing the last 500 of 3,000" in str(note.render())
        await pilot.press("end")
        await settle(pilot)
        assert view.cursor == 3000
        assert "Note: n2999" in screen_text(app)
        await pilot.press("home")
        await settle(pilot)
        assert "Opened sev2 incident" in screen_text(app)


async def test_cancel_stops_a_long_read(ws: Workspace, app_for: AppFactory) -> None:
    _seed(ws)
    ws.store.append_many("INC-0001", [("note.added", {"text": f"n{i}"}) for i in range(3000)], "a")
    app = app_for(incident="INC-0001")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IncidentScreen)
        screen.read(full=True)
        (worker,) = [w for w in app.workers if w.group == "journal" and not w.is_finished]
        app.action_cancel_work()  # before the worker can have read 3,000 events
        await settle(pilot)
        assert worker.is_cancelled
        assert any("Cancelled 1 running task" in n.message for n in app._notifications)
        await pilot.press("7")
        await settle(pilot)
        assert "reading cancelled (r reads again)" in screen_text(app)


async def test_steps_of_a_playbook_run_show_in_pane_and_board(
    ws: Workspace, app_for: AppFactory
) -> None:
    from ircli.services.runs import start_run

    _seed(ws)
    start_run(ws, "distillation", incident="INC-0001", inputs={"seeds": ["acct-1"]})
    app = app_for()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert "Intake" in screen_text(app)  # the board's current step
        await pilot.press("down", "enter")
        await settle(pilot)
        text = screen_text(app)
        for line in ("✎ Intake", "· Preserve evidence", "· Classify the incident"):
            assert line in text
        await pilot.press("s")  # hide the pane
        await settle(pilot)
        assert "✎ Intake" not in screen_text(app)
