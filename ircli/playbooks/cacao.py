"""OASIS CACAO 2.0 interchange: export a playbook as CACAO JSON, import one back.

Mapping (ircli → CACAO):

- the first step is reached from a ``start`` step; ``end`` is an ``end`` step;
- every step becomes an ``action`` step with one ``manual`` command carrying its
  instructions (human steps are manual by nature; handler steps say which handler
  runs them), performed by the responder (``individual``) or by ircli (``group``);
- a ``when:`` condition becomes an ``if-condition`` step in front of the step
  (``on_false`` skips to where the step would have led);
- a ``decide`` step becomes its ``action`` (the responder sets ``__<step>_option__``)
  followed by a ``switch-condition`` on that variable, one case per option;
- a ``playbook`` hand-off becomes a ``playbook-action``.

The graph (``on_completion``, ``on_true``/``on_false``, ``cases``), titles
(``name``), instructions (``description``) and conditions are read back from
those CACAO structures on import. What CACAO has no words for (form fields,
checklist items, handler names and parameters, approvals, loop bounds) travels
in a step extension defined by the document itself.

Identifiers are UUIDv5 derived from the playbook and step names, so exporting
the same playbook twice gives the same ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ircli.errors import ValidationError
from ircli.playbooks.model import END, HUMAN_KINDS, Playbook, Step

NAMESPACE = uuid.UUID("6f1c3a52-8d0e-5b7a-9c44-2e1f0a9b7d13")
EXTENSION_ID = "extension-definition--" + str(uuid.uuid5(NAMESPACE, "ircli-step-extension-1"))
IDENTITY_ID = "identity--" + str(uuid.uuid5(NAMESPACE, "ircli"))
RESPONDER_AGENT = "individual--" + str(uuid.uuid5(NAMESPACE, "agent/responder"))
IRCLI_AGENT = "group--" + str(uuid.uuid5(NAMESPACE, "agent/ircli"))


def _id(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, '/'.join(parts))}"


def playbook_id(name: str) -> str:
    """The CACAO id of an ircli playbook (stable across exports)."""
    return _id("playbook", "playbook", name)


def to_cacao(playbook: Playbook, *, created: str) -> dict[str, Any]:
    """The playbook as a CACAO 2.0 document."""
    name = playbook.name
    start, end = _id("start", name, "start"), _id("end", name, "end")
    main = {
        s.id: _id("playbook-action" if s.kind == "playbook" else "action", name, s.id)
        for s in playbook.steps
    }
    entry = {
        s.id: (_id("if-condition", name, s.id, "when") if s.when else main[s.id])
        for s in playbook.steps
    }
    entry[END] = end
    workflow: dict[str, Any] = {
        start: {"type": "start", "name": "Start", "on_completion": entry[playbook.steps[0].id]},
    }
    for order, step in enumerate(playbook.steps):
        after = entry[playbook.default_next(step)]
        if step.when:
            workflow[entry[step.id]] = {
                "type": "if-condition",
                "name": f"Only when: {step.when}",
                "condition": step.when,
                "on_true": main[step.id],
                "on_false": after,
                "step_extensions": {EXTENSION_ID: {"role": "when", "step": step.id}},
            }
        ext = _extension(step, order)
        if step.kind == "playbook":
            assert step.playbook is not None
            workflow[main[step.id]] = {
                "type": "playbook-action",
                "name": step.title,
                "description": step.instructions,
                "playbook_id": playbook_id(step.playbook),
                "on_completion": end,
                "step_extensions": {EXTENSION_ID: ext},
            }
            continue
        action: dict[str, Any] = {
            "type": "action",
            "name": step.title,
            "description": step.instructions,
            "commands": [{"type": "manual", "command": _command_text(step)}],
            "agent": RESPONDER_AGENT if step.kind in HUMAN_KINDS else IRCLI_AGENT,
            "step_extensions": {EXTENSION_ID: ext},
        }
        if step.kind == "decide":
            variable = _option_variable(step.id)
            switch = _id("switch-condition", name, step.id, "options")
            action["step_variables"] = {
                variable: {"type": "string", "description": "The option the responder chose."}
            }
            action["out_args"] = [variable]
            action["on_completion"] = switch
            workflow[main[step.id]] = action
            workflow[switch] = {
                "type": "switch-condition",
                "name": f"{step.title}: outcome",
                "switch": variable,
                "cases": {o.id: entry[o.next] for o in step.options},
                "step_extensions": {EXTENSION_ID: {"role": "options", "step": step.id}},
            }
            continue
        action["on_completion"] = after
        workflow[main[step.id]] = action
    workflow[end] = {"type": "end", "name": "End"}
    document: dict[str, Any] = {
        "type": "playbook",
        "spec_version": "cacao-2.0",
        "id": playbook_id(name),
        "name": playbook.title,
        "description": playbook.description or playbook.title,
        "playbook_types": ["investigation", "mitigation"],
        "created_by": IDENTITY_ID,
        "created": created,
        "modified": created,
        "labels": [f"ircli:{name}", *playbook.tags] if playbook.tags else [f"ircli:{name}"],
        "workflow_start": start,
        "workflow": workflow,
        "agent_definitions": {
            RESPONDER_AGENT: {"type": "individual", "name": "Incident responder"},
            IRCLI_AGENT: {"type": "group", "name": "ircli step handlers"},
        },
        "extension_definitions": {
            EXTENSION_ID: {
                "type": "extension-definition",
                "name": "ircli step",
                "description": "ircli step details that CACAO has no words for: kind, "
                "form fields, checklist items, handler and parameters, approvals, loop bounds.",
                "created_by": IDENTITY_ID,
                "schema": "https://ircli.example/schemas/cacao-step-extension-1.json",
                "version": "1.0.0",
            }
        },
        "playbook_extensions": {EXTENSION_ID: {"playbook": name, "version": playbook.version}},
    }
    return document


def _option_variable(step_id: str) -> str:
    return "__" + step_id.replace("-", "_") + "_option__"


def _command_text(step: Step) -> str:
    if step.uses:
        return f"ircli runs the '{step.uses}' step handler. {step.instructions}"
    return step.instructions


def _extension(step: Step, order: int) -> dict[str, Any]:
    data = step.to_dict()
    for key in ("id", "title", "instructions", "when", "next", "options"):
        data.pop(key, None)
    data["role"] = "step"
    data["step"] = step.id
    data["order"] = order
    if step.next is not None:
        data["next_explicit"] = True
    if step.options:
        data["options"] = [
            {k: v for k, v in o.to_dict().items() if k != "next"} for o in step.options
        ]
    return data


# -- import -----------------------------------------------------------------------------------


def from_cacao(document: Any, *, source: str = "<cacao>") -> Playbook:
    """An ircli playbook from a CACAO 2.0 document (ircli's own exports and plain
    sequences of manual actions, conditions, switches and playbook actions)."""
    from ircli.playbooks.loader import PlaybookInvalid, load_playbook_text

    if not isinstance(document, dict) or document.get("type") != "playbook":
        raise ValidationError(f'{source}: not a CACAO playbook (no "type": "playbook")')
    workflow = document.get("workflow")
    start = document.get("workflow_start")
    if not isinstance(workflow, dict) or not isinstance(start, str) or start not in workflow:
        raise ValidationError(f"{source}: the CACAO playbook has no usable workflow/workflow_start")
    reader = _Reader(workflow, source)
    try:
        data = reader.read(start, document)
        text = playbook_yaml_data(data)
    except (AttributeError, TypeError, KeyError, ValueError, yaml.YAMLError) as exc:
        # A structure this reader does not expect (a list where a mapping belongs, …).
        raise ValidationError(
            f"{source}: the CACAO playbook has an unexpected structure ({type(exc).__name__}: "
            f"{str(exc)[:120]})",
            hint="check it against the CACAO 2.0 schemas",
        ) from None
    try:
        return load_playbook_text(text, source)
    except PlaybookInvalid as exc:
        # Positions would point into YAML the user never saw: name the problems instead.
        problems = "; ".join(p.message for p in exc.problems[:3])
        raise ValidationError(
            f"{source}: the CACAO playbook does not translate to a valid ircli playbook: {problems}",
            hint="conditions must be ircli expressions (e.g. analysis.alert_accounts > 0)",
        ) from None


class _Reader:
    def __init__(self, workflow: dict[str, Any], source: str) -> None:
        self.workflow, self.source = workflow, source
        self.names: dict[str, str] = {}

    def node(self, node_id: Any) -> dict[str, Any]:
        """The workflow step with this id (a readable error if there is none)."""
        node = self.workflow.get(node_id) if isinstance(node_id, str) else None
        if not isinstance(node, dict):
            raise ValidationError(
                f"{self.source}: step {str(node_id)[:80]!r} is not in the workflow"
            )
        return node

    def ext(self, node: dict[str, Any]) -> dict[str, Any]:
        """ircli's step extension of a CACAO step (empty for foreign playbooks)."""
        extensions = node.get("step_extensions")
        found = extensions.get(EXTENSION_ID) if isinstance(extensions, dict) else None
        return found if isinstance(found, dict) else {}

    def main_nodes(self, start: str) -> Iterator[str]:
        """Every action/playbook-action reachable from the start, in walk order."""
        seen: set[str] = set()
        queue = [start]
        while queue:
            node_id = queue.pop(0)
            if node_id in seen:
                continue
            seen.add(node_id)
            node = self.node(node_id)
            kind = node.get("type")
            if kind in ("parallel", "while-condition"):
                raise ValidationError(
                    f"{self.source}: CACAO '{kind}' steps have no ircli equivalent"
                )
            if kind in ("action", "playbook-action"):
                yield node_id
            for key in ("on_completion", "on_success", "on_true", "on_false"):
                if isinstance(node.get(key), str):
                    queue.append(node[key])
            cases = node.get("cases")
            if isinstance(cases, dict):
                queue.extend(v for v in cases.values() if isinstance(v, str))

    def read(self, start: str, document: dict[str, Any]) -> dict[str, Any]:
        """The playbook data (as YAML would hold it) of the whole document."""
        mains = list(self.main_nodes(start))
        if not mains:
            raise ValidationError(f"{self.source}: the CACAO workflow has no action steps")
        order = {m: int(self.ext(self.node(m)).get("order", i)) for i, m in enumerate(mains)}
        mains.sort(key=lambda m: order[m])
        for i, m in enumerate(mains):
            self.names[m] = str(self.ext(self.node(m)).get("step") or f"step-{i + 1}")
        steps = [
            self.step(m, mains[i + 1] if i + 1 < len(mains) else None) for i, m in enumerate(mains)
        ]
        info = (
            document.get("playbook_extensions", {}).get(EXTENSION_ID, {})
            if isinstance(document.get("playbook_extensions"), dict)
            else {}
        )
        name = str(info.get("playbook") or _slug(str(document.get("name", "imported"))))
        labels = [str(x) for x in document.get("labels", []) if not str(x).startswith("ircli:")]
        out: dict[str, Any] = {
            "playbook": name,
            "version": int(info.get("version", 1)) if str(info.get("version", 1)).isdigit() else 1,
            "title": str(document.get("name") or name),
        }
        description = document.get("description")
        if description and description != out["title"]:
            out["description"] = str(description)
        if labels:
            out["tags"] = labels
        out["steps"] = steps
        return out

    def resolve(self, node_id: Any, depth: int = 0) -> tuple[str, str | None]:
        """The ircli step a CACAO pointer leads to, and the condition in front of it."""
        if depth > 16:
            raise ValidationError(f"{self.source}: conditions point at each other in a loop")
        node = self.node(node_id)
        kind = node.get("type")
        if kind == "end":
            return END, None
        if kind == "if-condition":
            target, _ = self.resolve(node.get("on_true"), depth + 1)
            return target, str(node.get("condition", ""))
        if node_id in self.names:
            return self.names[node_id], None
        if kind == "start":
            return self.resolve(node.get("on_completion"), depth + 1)
        raise ValidationError(
            f"{self.source}: cannot follow CACAO step {str(node_id)[:80]!r} ({kind})"
        )

    def step(self, node_id: str, following: str | None) -> dict[str, Any]:
        """One ircli step from a CACAO action or playbook-action (and its switch/condition)."""
        node = self.node(node_id)
        ext = dict(self.ext(node))
        step_id = self.names[node_id]
        explicit = bool(ext.pop("next_explicit", False))
        for key in ("role", "step", "order"):
            ext.pop(key, None)
        kind = ext.pop("kind", None)
        if kind is None:
            kind = "playbook" if node.get("type") == "playbook-action" else "check"
        out: dict[str, Any] = {
            "id": step_id,
            "kind": kind,
            "title": str(node.get("name") or step_id),
            "instructions": str(
                node.get("description") or _first_command(node) or node.get("name") or step_id
            ),
        }
        condition = self._condition_for(node_id)
        if condition:
            out["when"] = condition
        if kind == "check" and "items" not in ext:
            raw = node.get("commands")
            commands: list[Any] = raw if isinstance(raw, list) else []
            ext["items"] = [
                {
                    "id": f"item-{i + 1}",
                    "text": str(c.get("command") or c.get("description") or "done"),
                }
                for i, c in enumerate(commands)
                if isinstance(c, dict)
            ] or [{"id": "done", "text": "Done"}]
        if kind == "playbook" and "playbook" not in ext:
            ext["playbook"] = _slug(str(node.get("name", "imported")))
        options = ext.pop("options", None)
        out.update(ext)
        if kind == "decide":
            switch = self.node(node.get("on_completion"))
            raw_cases = switch.get("cases")
            cases: dict[str, Any] = raw_cases if isinstance(raw_cases, dict) else {}
            labels = {o["id"]: o for o in options or [] if isinstance(o, dict) and "id" in o}
            out["options"] = []
            for case, target in cases.items():
                option = dict(labels.get(case, {"id": case, "label": case}))
                option["next"] = self.resolve(target)[0]
                out["options"].append(option)
        elif kind != "playbook":
            nxt = (
                self.resolve(node.get("on_completion") or node.get("on_success") or "")[0]
                if (node.get("on_completion") or node.get("on_success"))
                else END
            )
            default = self.names[following] if following else END
            if explicit or nxt != default:
                out["next"] = nxt
        return out

    def _condition_for(self, node_id: str) -> str | None:
        for node in self.workflow.values():
            if (
                isinstance(node, dict)
                and node.get("type") == "if-condition"
                and node.get("on_true") == node_id
            ):
                return str(node.get("condition", "")) or None
        return None


def _first_command(node: dict[str, Any]) -> str:
    commands = node.get("commands")
    if isinstance(commands, list) and commands and isinstance(commands[0], dict):
        return str(commands[0].get("command", ""))
    return ""


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    while "--" in out:
        out = out.replace("--", "-")
    out = out[:63] or "imported"
    return out if out[0].isalpha() else f"p-{out}"[:63]


def playbook_yaml_data(data: dict[str, Any]) -> str:
    """YAML text for playbook data, in the order a person reads it."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def playbook_yaml(playbook: Playbook) -> str:
    """A playbook as YAML text."""
    return playbook_yaml_data(playbook.to_dict())


def cacao_problems(document: dict[str, Any], schema_dir: Path) -> list[str]:
    """Validate a CACAO document against the CS01 JSON schemas in ``schema_dir``
    (loaded locally into a registry: nothing is fetched over the network)."""
    import json

    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    # The CS01 files declare draft-07, so they are read as draft-07: their
    # unevaluatedProperties (a 2019-09 keyword) is not evaluated. Read as 2019-09 they
    # contradict themselves (command-data forbids the properties manual.json adds).
    resources = []
    for path in sorted(schema_dir.rglob("*.json")):
        contents = json.loads(path.read_text("utf-8"))
        resources.append(
            (contents["$id"], Resource.from_contents(contents, default_specification=DRAFT7))
        )
    if not resources:
        raise ValidationError(f"no CACAO schemas found in {schema_dir}")
    registry: Registry[Any] = Registry().with_resources(resources)
    root = json.loads((schema_dir / "playbook.json").read_text("utf-8"))
    validator = Draft7Validator(root, registry=registry)
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(document)'}: {e.message[:300]}"
        for e in validator.iter_errors(document)
    ]
