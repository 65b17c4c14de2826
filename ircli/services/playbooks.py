"""The playbook library: where playbooks are found, validated, shown and converted.

Search path: the directories of config ``[playbooks] paths`` (in order), then the
playbooks shipped inside ircli. A reference is a playbook name (``distillation``),
a file name (``distillation.yaml``) or a path to a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ircli.errors import ConfigError, NotFoundError, ValidationError
from ircli.playbooks.loader import (
    PlaybookInvalid,
    load_playbook_file,
    playbook_problems,
    playbook_schema,
)
from ircli.playbooks.model import Playbook
from ircli.playbooks.yamltext import Problem
from ircli.services.workspace import Workspace

SUFFIXES = (".yaml", ".yml")


def shipped_dir() -> Path:
    """The folder of playbooks that ship with ircli."""
    return Path(str(resources.files("ircli.playbooks").joinpath("library")))


def search_path(ws: Workspace) -> list[Path]:
    """Where playbooks are looked for, first hit wins."""
    raw = ws.config.playbooks.get("paths", [])
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise ConfigError(
            "playbooks.paths must be a list of directories",
            hint='e.g. [playbooks]\npaths = ["~/ir/playbooks"]',
        )
    base = ws.config_path.parent if ws.config_path else Path.cwd()
    dirs = [(base / Path(p).expanduser()) for p in raw]
    return [*dirs, shipped_dir()]


def find_playbook(ws: Workspace, ref: str) -> Path:
    """The file a playbook reference names."""
    candidate = Path(ref).expanduser()
    if (candidate.suffix in SUFFIXES or "/" in ref) and candidate.is_file():
        return candidate
    name = ref[: -len(candidate.suffix)] if candidate.suffix in SUFFIXES else ref
    for folder in search_path(ws):
        for suffix in SUFFIXES:
            path = folder / f"{name}{suffix}"
            if path.is_file():
                return path
    known = ", ".join(sorted({p.stem for p in _all_files(ws)})) or "none"
    raise NotFoundError(
        f"no playbook '{ref}'", hint=f"known playbooks: {known} (see: ircli playbook list)"
    )


def load_playbook(ws: Workspace, ref: str) -> Playbook:
    """Find and validate a playbook."""
    return load_playbook_file(find_playbook(ws, ref))


def _all_files(ws: Workspace) -> list[Path]:
    found: dict[str, Path] = {}
    for folder in search_path(ws):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in SUFFIXES and path.is_file():
                found.setdefault(path.stem, path)
    return list(found.values())


@dataclass
class PlaybookInfo:
    """One playbook of the library."""

    name: str
    path: Path
    title: str = ""
    steps: int = 0
    valid: bool = True
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "name": self.name,
            "path": str(self.path),
            "title": self.title,
            "steps": self.steps,
            "valid": self.valid,
            "problems": self.problems,
        }


def list_playbooks(ws: Workspace) -> list[PlaybookInfo]:
    """Every playbook on the search path (the first of each name), validated."""
    out: list[PlaybookInfo] = []
    for path in _all_files(ws):
        try:
            playbook = load_playbook_file(path)
        except PlaybookInvalid as exc:
            out.append(
                PlaybookInfo(path.stem, path, valid=False, problems=[str(p) for p in exc.problems])
            )
        except ValidationError as exc:
            out.append(PlaybookInfo(path.stem, path, valid=False, problems=[exc.message]))
        else:
            out.append(PlaybookInfo(playbook.name, path, playbook.title, len(playbook.steps)))
    return out


@dataclass
class ValidationReport:
    """Outcome of ``ircli playbook validate``."""

    file: str
    problems: list[Problem]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        """No problems (warnings allowed)."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "file": self.file,
            "ok": self.ok,
            "problems": [
                {"file": p.file, "line": p.line, "col": p.col, "message": p.message}
                for p in self.problems
            ],
            "warnings": self.warnings,
        }


def validate_playbook(ws: Workspace, ref: str) -> ValidationReport:
    """Every problem of a playbook, plus warnings about what it needs that is not installed."""
    path = find_playbook(ws, ref)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return ValidationReport(
            str(path), [Problem(str(path), 1, 1, f"not UTF-8 text (byte {exc.start})")], []
        )
    except OSError as exc:
        raise ValidationError(f"cannot read playbook {path}: {exc.strerror or exc}") from exc
    problems = playbook_problems(text, str(path))
    warnings: list[str] = []
    if not problems:
        from ircli.services.steps import handler_names

        playbook = load_playbook_file(path)
        installed = set(handler_names())
        for step in playbook.steps:
            if step.uses and step.uses not in installed:
                warnings.append(f"step '{step.id}': no handler '{step.uses}' is installed yet")
            if step.playbook:
                try:
                    find_playbook(ws, step.playbook)
                except NotFoundError:
                    warnings.append(
                        f"step '{step.id}': hands off to unknown playbook '{step.playbook}'"
                    )
    return ValidationReport(str(path), problems, warnings)


def schema_text() -> str:
    """The playbook JSON Schema, pretty-printed."""
    return json.dumps(playbook_schema(), indent=2)


def export_cacao(ws: Workspace, ref: str, *, created: str | None = None) -> dict[str, Any]:
    """A playbook as an OASIS CACAO 2.0 document."""
    from ircli.playbooks.cacao import to_cacao

    return to_cacao(load_playbook(ws, ref), created=created or _now(ws))


def import_cacao(ws: Workspace, path: Path) -> tuple[Playbook, str]:
    """A CACAO 2.0 document as an ircli playbook: the validated playbook and its YAML text."""
    from ircli.playbooks.cacao import from_cacao, playbook_yaml

    try:
        document = json.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise NotFoundError(f"no file {path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path}: not a readable JSON document ({exc})") from exc
    playbook = from_cacao(document, source=str(path))
    return playbook, playbook_yaml(playbook)


def cacao_problems(document: dict[str, Any], schema_dir: Path) -> list[str]:
    """Problems of a CACAO document against the CACAO 2.0 JSON schemas kept in ``schema_dir``."""
    from ircli.playbooks.cacao import cacao_problems as check

    return check(document, schema_dir)


def _now(ws: Workspace) -> str:
    return ws.clock().strftime("%Y-%m-%dT%H:%M:%S.000Z")
