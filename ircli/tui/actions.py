"""The one registry of TUI actions: it feeds the key bindings, the command palette,
the help panel and the keymap a responder configures in ``[tui.keys]``.

An action's ``id`` is stable (``incident.note``) so people remap keys by id, not by
whatever key a release happens to ship with.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding, BindingType

from ircli.errors import ConfigError

SCOPES = ("app", "home", "incident", "timeline", "accounts", "clusters", "account", "cluster")

WITHIN: dict[str, tuple[str, ...]] = {"incident": ("timeline", "accounts", "clusters")}
"""Scopes of widgets inside a screen: their actions are offered on that screen too."""
PARENT = {child: screen for screen, children in WITHIN.items() for child in children}


@dataclass(frozen=True, slots=True)
class Action:
    """One thing a responder can do, with its default key."""

    id: str
    key: str
    action: str
    title: str
    help: str
    scope: str
    footer: bool = True
    palette: bool = True
    priority: bool = False

    def binding(self) -> Binding:
        """The Textual binding for this action (remappable through its id)."""
        return Binding(
            self.key,
            self.action,
            self.title,
            show=self.footer,
            priority=self.priority,
            tooltip=self.help,
            id=self.id,
        )


def _tab(n: int, name: str) -> Action:
    return Action(
        f"incident.tab.{name.lower()}",
        str(n),
        f"show_tab('{name.lower()}')",
        f"{name} tab",
        f"Show the {name} tab",
        "incident",
        footer=False,
    )


ACTIONS: tuple[Action, ...] = (
    Action("app.help", "f1,question_mark", "help", "Help", "List every key and action", "app"),
    Action("app.quit", "ctrl+q", "quit", "Quit", "Leave ircli", "app", priority=True),
    Action("app.theme", "ctrl+t", "toggle_theme", "Theme", "Switch between dark and light", "app"),
    Action(
        "app.cancel",
        "ctrl+x",
        "cancel_work",
        "Cancel work",
        "Cancel long-running work (loading a large journal, a running step)",
        "app",
        footer=False,
    ),
    Action("home.new", "n", "new_incident", "New", "Open a new incident", "home"),
    Action("home.open", "o", "open_selected", "Open", "Open the selected incident", "home"),
    Action("home.filter", "slash", "focus_filter", "Filter", "Filter incidents by text", "home"),
    Action("home.refresh", "r", "refresh", "Refresh", "Reload the incidents", "home", footer=False),
    Action("incident.back", "escape", "back", "Back", "Back to the incidents", "incident"),
    Action("incident.note", "n", "add_note", "Note", "Add a note to the journal", "incident"),
    Action(
        "incident.verify", "v", "verify", "Verify", "Re-walk the journal's hash chain", "incident"
    ),
    Action(
        "incident.steps", "s", "toggle_steps", "Steps", "Show or hide the steps pane", "incident"
    ),
    Action(
        "incident.refresh",
        "r",
        "refresh",
        "Refresh",
        "Re-read the whole journal",
        "incident",
        footer=False,
    ),
    Action(
        "incident.run",
        "ctrl+r",
        "run_step",
        "Run step",
        "Do the current step: fill in its form, confirm its dry run, or run it",
        "incident",
    ),
    # Decide and approve show as the step card's buttons when they apply, not in the footer.
    Action(
        "incident.decide",
        "d",
        "decide",
        "Decide",
        "Record the current step's decision",
        "incident",
        footer=False,
    ),
    Action(
        "incident.approve",
        "a",
        "approve",
        "Approve",
        "Approve another responder's request on the current step",
        "incident",
        footer=False,
    ),
    Action(
        "incident.start",
        "p",
        "start_playbook",
        "Start playbook",
        "Start a playbook on this incident",
        "incident",
        footer=False,
    ),
    _tab(1, "Overview"),
    _tab(2, "Evidence"),
    _tab(3, "Accounts"),
    _tab(4, "Clusters"),
    _tab(5, "Decisions"),
    _tab(6, "Actions"),
    _tab(7, "Timeline"),
    Action(
        "incident.timeline.end",
        "G",
        "timeline_end",
        "Newest event",
        "Jump to the newest timeline event",
        "incident",
        footer=False,
    ),
    Action(
        "incident.timeline.start",
        "g",
        "timeline_start",
        "Oldest event",
        "Jump to the first timeline event",
        "incident",
        footer=False,
    ),
    # The Accounts tab's findings table (keys apply while it has focus).
    Action(
        "accounts.open",
        "enter",
        "open_account",
        "Open account",
        "Open the highlighted account: reasons, peers, cluster, sample prompts",
        "accounts",
    ),
    Action(
        "accounts.sort",
        "o",
        "sort_next",
        "Sort",
        "Sort accounts by the next column (or click a column header)",
        "accounts",
    ),
    Action(
        "accounts.reverse",
        "O",
        "sort_reverse",
        "Reverse sort",
        "Reverse the accounts' sort order",
        "accounts",
        footer=False,
    ),
    Action(
        "accounts.verdict",
        "w",
        "cycle_verdict",
        "Verdict filter",
        "Show accounts of one verdict: all, alert, watch, policy, clear",
        "accounts",
    ),
    Action(
        "accounts.cluster",
        "f",
        "filter_cluster",
        "Cluster filter",
        "Show accounts of one cluster (id prefix; - for accounts in no cluster)",
        "accounts",
    ),
    Action(
        "accounts.find",
        "slash",
        "find_account",
        "Find account",
        "Show accounts whose id contains the text typed",
        "accounts",
    ),
    Action(
        "accounts.clear",
        "x",
        "clear_filters",
        "Clear filters",
        "Show every account again",
        "accounts",
        footer=False,
    ),
    Action(
        "clusters.open",
        "enter",
        "open_cluster",
        "Open cluster",
        "Show the highlighted cluster's evidence and members",
        "clusters",
    ),
    Action("account.back", "escape", "back", "Back", "Back to the incident", "account"),
    Action(
        "account.cluster",
        "c",
        "open_cluster",
        "Cluster",
        "Show this account's cluster: evidence and members",
        "account",
    ),
    Action(
        "account.open",
        "enter",
        "open_mate",
        "Open mate",
        "Open the highlighted cluster-mate",
        "account",
    ),
    Action("cluster.back", "escape", "back", "Back", "Back to where you came from", "cluster"),
    Action(
        "cluster.open",
        "enter",
        "open_member",
        "Open account",
        "Open the highlighted member account",
        "cluster",
    ),
    Action("timeline.down", "down,j", "cursor(1)", "Down", "Next event", "timeline", False, False),
    Action("timeline.up", "up,k", "cursor(-1)", "Up", "Previous event", "timeline", False, False),
    Action("timeline.page_down", "pagedown", "page(1)", "Page down", "", "timeline", False, False),
    Action("timeline.page_up", "pageup", "page(-1)", "Page up", "", "timeline", False, False),
    Action("timeline.home", "home", "first", "First", "", "timeline", False, False),
    Action("timeline.end", "end", "last", "Last", "", "timeline", False, False),
)

BY_ID = {action.id: action for action in ACTIONS}


def bindings(scope: str) -> list[BindingType]:
    """The bindings of one scope, for a class's ``BINDINGS``."""
    return [action.binding() for action in ACTIONS if action.scope == scope]


def scopes_of(scope: str) -> tuple[str, ...]:
    """The scopes whose actions apply on a screen of ``scope``: app-wide, its own, and
    those of the widgets inside it."""
    return ("app", scope, *WITHIN.get(scope, ()))


def palette_actions(scope: str) -> list[Action]:
    """What the command palette offers on a screen of ``scope`` (plus app-wide actions)."""
    scopes = scopes_of(scope)
    return [a for a in ACTIONS if a.palette and a.scope in scopes]


def keys_of(action: Action, keymap: Mapping[str, str]) -> str:
    """The keys an action is bound to under ``keymap``, for people to read."""
    raw = keymap.get(action.id, action.key)
    return ", ".join(_display(k) for k in raw.split(","))


def _display(key: str) -> str:
    key = key.strip()
    names = {"question_mark": "?", "slash": "/", "escape": "esc"}
    return names.get(key, key)


_MODIFIERS = {"ctrl", "shift", "alt", "meta", "super", "hyper"}
_NAMED = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class TuiSettings:
    """The validated ``[tui]`` config table."""

    keymap: dict[str, str]
    theme: str


THEMES = {"dark": "textual-dark", "light": "textual-light"}


def tui_settings(table: Mapping[str, Any] | None) -> TuiSettings:
    """Validate the ``[tui]`` table: ``theme = "dark"|"light"`` and ``[tui.keys]`` by action id."""
    table = dict(table or {})
    unknown = sorted(set(table) - {"keys", "theme"})
    if unknown:
        raise ConfigError(
            f"unknown key 'tui.{unknown[0]}'", hint="[tui] understands 'theme' and 'keys'"
        )
    theme = table.get("theme", "dark")
    if theme not in THEMES:
        raise ConfigError(f"tui.theme: {theme!r} is not 'dark' or 'light'")
    keys = table.get("keys", {})
    if not isinstance(keys, Mapping):
        raise ConfigError('tui.keys must be a table of action id = "key"')
    keymap: dict[str, str] = {}
    for action_id, value in keys.items():
        if action_id not in BY_ID:
            close = difflib.get_close_matches(action_id, list(BY_ID), n=1)
            hint = (
                f"did you mean '{close[0]}'?" if close else "press F1 in ircli to list action ids"
            )
            raise ConfigError(f"tui.keys: unknown action id {action_id!r}", hint=hint)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f'tui.keys.{action_id}: needs a key such as "ctrl+n"')
        for key in value.split(","):
            _check_key(action_id, key.strip())
        keymap[action_id] = value
    _check_clashes(keymap)
    return TuiSettings(keymap, THEMES[theme])


def _check_key(action_id: str, key: str) -> None:
    *modifiers, base = key.split("+") if len(key) > 1 else [key]
    bad_modifier = next((m for m in modifiers if m not in _MODIFIERS), None)
    ok = bad_modifier is None and bool(base) and (len(base) == 1 and base.isprintable())
    if not ok and bad_modifier is None and _NAMED.match(base):
        ok = _is_key_name(base)
    if not ok:
        raise ConfigError(
            f"tui.keys.{action_id}: {key!r} is not a key",
            hint="keys look like 'n', 'ctrl+n', 'f2', 'shift+tab', 'question_mark'",
        )


def _is_key_name(name: str) -> bool:
    from textual.keys import Keys

    if name in {k.value for k in Keys} or re.fullmatch(r"f([1-9]|1[0-9]|2[0-4])", name):
        return True
    try:
        unicodedata.lookup(name.replace("_", " "))
    except KeyError:
        return False
    return True


def _check_clashes(keymap: Mapping[str, str]) -> None:
    taken: dict[tuple[str, str], str] = {}
    for action in ACTIONS:
        for key in keymap.get(action.id, action.key).split(","):
            key = key.strip()
            scopes = [action.scope] if action.scope != "app" else list(SCOPES)
            for scope in scopes:
                other = taken.get((scope, key))
                if other is not None and other != action.id:
                    raise ConfigError(
                        f"tui.keys: {key!r} is bound to both {other!r} and {action.id!r}",
                        hint="give one of them another key in [tui.keys]",
                    )
                taken[(scope, key)] = action.id
    # A widget's key would hide its screen's action of the same key while it has focus
    # (siblings such as two tabs' tables may share keys: only one has focus).
    for action in ACTIONS:
        parent = PARENT.get(action.scope)
        if parent is None:
            continue
        for key in keymap.get(action.id, action.key).split(","):
            other = taken.get((parent, key.strip()))
            if other is not None:
                raise ConfigError(
                    f"tui.keys: {key.strip()!r} is bound to both {other!r} and {action.id!r}",
                    hint="give one of them another key in [tui.keys]",
                )
