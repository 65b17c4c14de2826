"""The playbook as typed data: steps, their kinds, options, fields and approvals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HUMAN_KINDS = frozenset({"form", "check", "decide", "note"})
"""Kinds a responder completes (``note`` only when it has no ``text``)."""

HANDLER_KINDS = frozenset({"collect", "analyze", "action", "export"})
"""Kinds dispatched to a handler registered by name."""

KINDS = ("form", "collect", "analyze", "check", "decide", "action", "export", "note", "playbook")

END = "end"
"""The ``next`` that finishes the playbook."""


@dataclass(frozen=True, slots=True)
class Approvals:
    """``required`` distinct approvers from ``allowed`` (names or roles; empty: anyone else)."""

    required: int
    allowed: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The YAML form."""
        out: dict[str, Any] = {"required": self.required}
        if self.allowed:
            out["from"] = list(self.allowed)
        return out


@dataclass(frozen=True, slots=True)
class Field:
    """One typed input of a form."""

    name: str
    label: str
    type: str
    required: bool = True
    default: Any = None
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    help: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The YAML form."""
        out: dict[str, Any] = {"name": self.name, "label": self.label, "type": self.type}
        if not self.required:
            out["required"] = False
        for key in ("default", "min", "max"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.choices:
            out["choices"] = list(self.choices)
        if self.help:
            out["help"] = self.help
        return out


@dataclass(frozen=True, slots=True)
class CheckItem:
    """One item of a manual checklist."""

    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Option:
    """One outcome of a decision and where it leads."""

    id: str
    label: str
    next: str
    description: str = ""
    max_loops: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The YAML form."""
        out: dict[str, Any] = {"id": self.id, "label": self.label, "next": self.next}
        if self.description:
            out["description"] = self.description
        if self.max_loops is not None:
            out["max_loops"] = self.max_loops
        return out


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a playbook."""

    id: str
    kind: str
    title: str
    instructions: str
    when: str | None = None
    next: str | None = None
    closes_incident: bool = False
    fields: tuple[Field, ...] = ()
    items: tuple[CheckItem, ...] = ()
    options: tuple[Option, ...] = ()
    approvals: Approvals | None = None
    uses: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    text: str | None = None
    playbook: str | None = None

    @property
    def needs_responder(self) -> bool:
        """Whether a person (or an answers file) must complete this step."""
        return self.kind in ("form", "check", "decide") or (self.kind == "note" and not self.text)

    def option(self, option_id: str) -> Option | None:
        """The decision option with this id."""
        return next((o for o in self.options if o.id == option_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The YAML form (keys in the order a person writes them)."""
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "instructions": self.instructions,
        }
        if self.when is not None:
            out["when"] = self.when
        if self.fields:
            out["fields"] = [f.to_dict() for f in self.fields]
        if self.items:
            out["items"] = [{"id": i.id, "text": i.text} for i in self.items]
        if self.options:
            out["options"] = [o.to_dict() for o in self.options]
        if self.uses is not None:
            out["uses"] = self.uses
        if self.playbook is not None:
            out["playbook"] = self.playbook
        if self.params:
            out["with"] = self.params
        if self.text is not None:
            out["text"] = self.text
        if self.approvals is not None:
            out["approvals"] = self.approvals.to_dict()
        if self.closes_incident:
            out["closes_incident"] = True
        if self.next is not None:
            out["next"] = self.next
        return out


@dataclass(frozen=True)
class Playbook:
    """A validated playbook."""

    name: str
    title: str
    steps: tuple[Step, ...]
    version: int = 1
    description: str = ""
    tags: tuple[str, ...] = ()
    source: str = ""
    digest: str = ""

    def step(self, step_id: str) -> Step | None:
        """The step with this id."""
        return next((s for s in self.steps if s.id == step_id), None)

    def index(self, step_id: str) -> int:
        """Position of a step in the list (``len(steps)`` for ``end``)."""
        for i, s in enumerate(self.steps):
            if s.id == step_id:
                return i
        return len(self.steps)

    def default_next(self, step: Step) -> str:
        """Where a step leads when no decision says otherwise."""
        if step.next is not None:
            return step.next
        i = self.index(step.id)
        return self.steps[i + 1].id if i + 1 < len(self.steps) else END

    def to_dict(self) -> dict[str, Any]:
        """The YAML form."""
        out: dict[str, Any] = {"playbook": self.name, "version": self.version, "title": self.title}
        if self.description:
            out["description"] = self.description
        if self.tags:
            out["tags"] = list(self.tags)
        out["steps"] = [s.to_dict() for s in self.steps]
        return out


def build_playbook(data: dict[str, Any], *, source: str = "", digest: str = "") -> Playbook:
    """Typed playbook from data that already passed validation."""
    return Playbook(
        name=data["playbook"],
        title=data["title"],
        version=int(data.get("version", 1)),
        description=data.get("description", ""),
        tags=tuple(data.get("tags", ())),
        steps=tuple(_step(s) for s in data["steps"]),
        source=source,
        digest=digest,
    )


def _step(d: dict[str, Any]) -> Step:
    approvals = d.get("approvals")
    return Step(
        id=d["id"],
        kind=d["kind"],
        title=d["title"],
        instructions=d["instructions"],
        when=d.get("when"),
        next=d.get("next"),
        closes_incident=bool(d.get("closes_incident", False)),
        fields=tuple(
            Field(
                name=f["name"],
                label=f["label"],
                type=f["type"],
                required=f.get("required", True),
                default=f.get("default"),
                choices=tuple(f.get("choices", ())),
                min=f.get("min"),
                max=f.get("max"),
                help=f.get("help", ""),
            )
            for f in d.get("fields", ())
        ),
        items=tuple(CheckItem(i["id"], i["text"]) for i in d.get("items", ())),
        options=tuple(
            Option(o["id"], o["label"], o["next"], o.get("description", ""), o.get("max_loops"))
            for o in d.get("options", ())
        ),
        approvals=(
            Approvals(int(approvals["required"]), tuple(approvals.get("from", ())))
            if approvals
            else None
        ),
        uses=d.get("uses"),
        params=dict(d.get("with", {})),
        text=d.get("text"),
        playbook=d.get("playbook"),
    )
