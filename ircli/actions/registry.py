"""Action types, found through the ``ircli.actions`` entry-point group.

The built-in ``scim`` and ``http`` types register there too (see pyproject.toml), so a
lab's own plugin is a package with one entry point and nothing in ircli changes.
An entry point names a class with ``from_settings(ActionSettings) -> ActionPlugin``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from ircli.actions.base import ActionPlugin, ActionSettings
from ircli.errors import ConfigError

GROUP = "ircli.actions"


def action_types() -> dict[str, Any]:
    """Every registered action type name → its entry point (not yet imported)."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load_action(name: str, actions: Mapping[str, Mapping[str, Any]]) -> ActionPlugin:
    """The configured action ``name`` (``[actions.NAME]``), validated, as a plugin."""
    if name not in actions:
        known = ", ".join(sorted(actions)) or "none"
        close = difflib.get_close_matches(name, list(actions), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"configured actions: {known}"
        raise ConfigError(
            f"no action '{name}' in the configuration",
            hint=f"{hint}; add an [actions.{name}] table to ircli.toml",
        )
    table = actions[name]
    settings = parse_settings(name, table)
    types = action_types()
    if settings.type not in types:
        raise ConfigError(
            f"actions.{name}.type: unknown action type '{settings.type}'",
            hint=f"installed types: {', '.join(sorted(types)) or 'none'}",
        )
    factory = types[settings.type].load()
    plugin: ActionPlugin = factory.from_settings(settings)
    return plugin


def parse_settings(name: str, table: Mapping[str, Any]) -> ActionSettings:
    """Validate the keys every action type shares; the rest go to the plugin as ``extra``."""
    where = f"actions.{name}"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: must be a table")
    kind = table.get("type")
    if not isinstance(kind, str) or not kind:
        raise ConfigError(f"{where}.type: required (scim or http)")
    base_url = table.get("base_url")
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"{where}.base_url: required, an http:// or https:// URL",
            hint='e.g. base_url = "https://accounts.example/scim/v2"',
        )
    token = table.get("token_secret")
    if token is not None and not isinstance(token, str):
        raise ConfigError(f"{where}.token_secret: must be a secret name (ircli auth set NAME)")
    approvers = table.get("approvers", [])
    flags = table.get("exclude_flags")
    if flags is None:
        from ircli.evidence.schema import CONTRACT_FLAGS

        flags = list(CONTRACT_FLAGS)
    for key, value in (("approvers", approvers), ("exclude_flags", flags)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}.{key}: must be a list of strings")
    for key in ("accounts", "allowlist"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{where}.{key}: must be a file path")
    return ActionSettings(
        name=name,
        type=kind,
        base_url=base_url.rstrip("/"),
        token_secret=token,
        concurrency=_number(table, "concurrency", 8, where, integer=True, low=1, high=512),
        rate=_number(table, "rate", 20.0, where, low=0, high=100_000),
        ceiling=_number(table, "ceiling", 5000, where, integer=True, low=1, high=10_000_000),
        timeout=_number(table, "timeout", 10.0, where, low=0.01, high=600),
        max_attempts=_number(table, "max_attempts", 6, where, integer=True, low=1, high=100),
        backoff=_number(table, "backoff", 0.5, where, low=0, high=60),
        max_backoff=_number(table, "max_backoff", 30.0, where, low=0, high=3600),
        approvals=_number(table, "approvals", 1, where, integer=True, low=0, high=20),
        approvers=tuple(approvers),
        exclude_flags=tuple(flags),
        accounts_file=table.get("accounts"),
        allowlist_file=table.get("allowlist"),
        extra={k: v for k, v in table.items() if k not in ActionSettings.COMMON},
    )


def _number(
    table: Mapping[str, Any],
    key: str,
    default: Any,
    where: str,
    *,
    integer: bool = False,
    low: float,
    high: float,
) -> Any:
    value = table.get(key, default)
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if (
        isinstance(value, bool)
        or not ok_type
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{where}.{key}: must be {kind} from {low:g} to {high:g}")
    return value if integer else float(value)
