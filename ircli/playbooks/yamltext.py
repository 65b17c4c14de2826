"""Safe YAML with positions: every value's line and column, for ``FILE:LINE:COL`` errors.

Documents are composed with PyYAML's safe loader into nodes, checked (one document,
string keys, no duplicate keys, no anchors or aliases — a playbook needs none and
aliases are how "billion laughs" documents explode), then constructed. Positions
are kept per path (``("steps", 3, "next")``) so errors found later, by the JSON
Schema or by the semantic checks, point at the right line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]

MAX_BYTES = 1_000_000
MAX_DEPTH = 64


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with a file, with its 1-based position."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


@dataclass
class Positions:
    """Where each value (and each mapping key) of a document starts."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def of(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Position of ``path``, or of its nearest ancestor that has one."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if key and probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))


@dataclass
class Parsed:
    """A parsed document with its positions, or the problems that stopped parsing."""

    data: Any
    positions: Positions
    problems: list[Problem]


def parse_yaml(text: str, file: str) -> Parsed:
    """Parse one YAML document safely; problems are returned, never raised."""
    positions = Positions()
    if len(text) > MAX_BYTES:
        return Parsed(
            None, positions, [Problem(file, 1, 1, f"file is larger than {MAX_BYTES} bytes")]
        )
    try:
        aliases = list(_alias_problems(text, file))
        if aliases:
            return Parsed(None, positions, aliases)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return Parsed(None, positions, [Problem(file, 1, 1, "the file is empty")])
            problems = list(_walk(node, (), positions, file, set(), 0))
            if problems:
                return Parsed(None, positions, problems)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or exc.context or "invalid YAML"
        return Parsed(None, positions, [Problem(file, line, col, f"invalid YAML: {reason}")])
    except yaml.YAMLError as exc:
        return Parsed(None, positions, [Problem(file, 1, 1, f"invalid YAML: {exc}")])
    except (ValueError, OverflowError, RecursionError) as exc:
        # PyYAML's constructors raise plain errors for some scalars (e.g. huge dates).
        return Parsed(None, positions, [Problem(file, 1, 1, f"invalid YAML value: {exc}")])
    return Parsed(data, positions, [])


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (ten times faster), else PyYAML's."""


def _alias_problems(text: str, file: str) -> Iterator[Problem]:
    """Aliases, found in the event stream (composed nodes no longer say where an alias was)."""
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            mark = event.start_mark
            line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            yield Problem(
                file,
                line,
                col,
                "anchors and aliases (&, *) are not allowed in playbooks",
            )


def _walk(
    node: yaml.Node, path: Path, positions: Positions, file: str, seen: set[int], depth: int
) -> Iterator[Problem]:
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    positions.values[path] = (line, col)
    if id(node) in seen:
        yield Problem(file, line, col, "anchors and aliases (&, *) are not allowed in playbooks")
        return
    seen.add(id(node))
    if depth > MAX_DEPTH:
        yield Problem(file, line, col, f"nested deeper than {MAX_DEPTH} levels")
        return
    if isinstance(node, yaml.MappingNode):
        names: set[str] = set()
        for key_node, value_node in node.value:
            k_line, k_col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                if key_node.tag == "tag:yaml.org,2002:merge":
                    yield Problem(
                        file, k_line, k_col, "merge keys (<<) are not allowed in playbooks"
                    )
                else:
                    yield Problem(file, k_line, k_col, "keys must be plain text")
                continue
            name = str(key_node.value)
            if name in names:
                yield Problem(file, k_line, k_col, f"duplicate key '{name}'")
                continue
            names.add(name)
            positions.keys[(*path, name)] = (k_line, k_col)
            yield from _walk(value_node, (*path, name), positions, file, seen, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*path, index), positions, file, seen, depth + 1)
