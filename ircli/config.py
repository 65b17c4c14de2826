"""The one configuration file, ``ircli.toml``, as a typed and validated model.

Where it is looked for, first hit wins: ``$IRCLI_CONFIG`` (must exist), then
``./ircli.toml``, then ``ircli.toml`` in the platform config directory; with none
of them, the defaults apply. Secrets never live here (see ``ircli auth``).
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from ircli.core.incident import SEVERITIES, normalise_tlp
from ircli.errors import ConfigError

CONFIG_ENV = "IRCLI_CONFIG"
CONFIG_NAME = "ircli.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreConfig(_Section):
    """Where the incident store lives (``--store`` and ``IRCLI_STORE`` win over this)."""

    path: str | None = None


class DefaultsConfig(_Section):
    """Defaults for new incidents."""

    severity: Literal["sev1", "sev2", "sev3", "sev4"] = "sev3"
    tlp: str = "AMBER"

    @field_validator("tlp")
    @classmethod
    def _tlp(cls, value: str) -> str:
        level = normalise_tlp(value)
        if level is None:
            raise ValueError("must be one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED")
        return level


class Config(_Section):
    """The whole configuration. Sections for sources, actions, the forum and policies are
    tables whose contents each plugin validates when it is used."""

    responder: str | None = Field(default=None, min_length=1, max_length=128)
    store: StoreConfig = StoreConfig()
    defaults: DefaultsConfig = DefaultsConfig()
    sources: dict[str, dict[str, Any]] = Field(default_factory=dict)
    actions: dict[str, dict[str, Any]] = Field(default_factory=dict)
    forum: dict[str, Any] = Field(default_factory=dict)
    policies: dict[str, Any] = Field(default_factory=dict)
    playbooks: dict[str, Any] = Field(default_factory=dict)
    tui: dict[str, Any] = Field(default_factory=dict)


def find_config_file(cwd: Path | None = None) -> Path | None:
    """The config file that applies, or ``None`` when defaults apply."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    local = (cwd or Path.cwd()) / CONFIG_NAME
    if local.is_file():
        return local
    from platformdirs import user_config_dir

    user = Path(user_config_dir("ircli", appauthor=False)) / CONFIG_NAME
    return user if user.is_file() else None


def load_config(path: Path | None = None) -> tuple[Config, Path | None]:
    """Load and validate the config; returns it with the file it came from."""
    path = path if path is not None else find_config_file()
    if path is None:
        return Config(), None
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(
            f"config file {path} does not exist",
            hint=f"create it, or unset {CONFIG_ENV}",
        ) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid TOML: {exc}", hint="see the TOML syntax at toml.io"
        ) from exc
    return parse_config(data, source=str(path)), path


def parse_config(data: dict[str, Any], *, source: str = CONFIG_NAME) -> Config:
    """Validate a parsed TOML document; every problem is named in one line."""
    try:
        return Config.model_validate(data)
    except PydanticValidationError as exc:
        problems = [_describe(err, data) for err in exc.errors()]
        raise ConfigError(
            f"{source}: " + "; ".join(problems),
            hint="run 'ircli config show' to see the keys ircli understands",
        ) from None


def _describe(err: Any, data: dict[str, Any]) -> str:
    loc = [str(part) for part in err["loc"]]
    where = ".".join(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        model: type[BaseModel] = Config
        for part in loc[:-1]:
            field = model.model_fields.get(part)
            annotation = getattr(field, "annotation", None)
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                model = annotation
        close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1)
        suggestion = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown key '{where}'{suggestion}"
    return f"{where}: {err['msg']}"


def config_as_dict(config: Config) -> dict[str, Any]:
    """The effective configuration, JSON-able (contains no secrets by construction)."""
    return config.model_dump(mode="json")


__all__ = [
    "CONFIG_ENV",
    "SEVERITIES",
    "Config",
    "DefaultsConfig",
    "StoreConfig",
    "config_as_dict",
    "find_config_file",
    "load_config",
    "parse_config",
]
