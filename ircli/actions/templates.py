"""Request templates for the ``http`` action: ``{name}`` placeholders, nothing else.

Templates come from configuration and values from the incident (account ids are
attacker-influenced), so rendering is plain substitution of a fixed set of names:
no expressions, no attribute access, no code. In URLs each value is percent-encoded
as one path segment; in bodies values are placed into a JSON structure and encoded by
the JSON writer, so no value can add a field or break out of its string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ircli.errors import ConfigError

VARIABLES = ("account_id", "ref", "incident", "step", "action", "mode", "idempotency_key")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_template(text: str, where: str) -> None:
    """Refuse unknown placeholders when the configuration is loaded, not mid-run."""
    for name in _PLACEHOLDER.findall(text):
        if name not in VARIABLES:
            raise ConfigError(
                f"{where}: unknown placeholder {{{name}}}",
                hint="placeholders: " + ", ".join("{" + v + "}" for v in VARIABLES),
            )


def check_body(body: Any, where: str) -> None:
    """Check every string of a body template (a TOML table, list or string)."""
    if isinstance(body, str):
        check_template(body, where)
    elif isinstance(body, Mapping):
        for key, value in body.items():
            check_template(str(key), where)
            check_body(value, f"{where}.{key}")
    elif isinstance(body, list):
        for index, value in enumerate(body):
            check_body(value, f"{where}[{index}]")
    elif body is not None and not isinstance(body, int | float | bool):
        raise ConfigError(f"{where}: unsupported value in a body template")


def render_text(text: str, values: Mapping[str, str], *, url: bool = False) -> str:
    """Substitute ``{name}``; in a URL each value is percent-encoded (``/`` included)."""

    def one(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        return quote(value, safe="") if url else value

    return _PLACEHOLDER.sub(one, text)


def render_body(body: Any, values: Mapping[str, str]) -> Any:
    """The body template with every string rendered; the JSON writer does the quoting."""
    if isinstance(body, str):
        return render_text(body, values)
    if isinstance(body, Mapping):
        return {render_text(str(k), values): render_body(v, values) for k, v in body.items()}
    if isinstance(body, list):
        return [render_body(v, values) for v in body]
    return body
