"""Step handlers: how ``collect``, ``analyze``, ``action`` and ``export`` steps do their work.

A playbook step names its handler (``uses: evidence.pull``). Handlers are found in
the entry-point group ``ircli.steps`` — the built-in ones register there exactly as
a third party's would — or registered in-process with :func:`register_handler`
(tests, embedding applications).

The handler protocol
--------------------

A handler is an object with::

    def run(self, ctx: StepContext) -> StepResult: ...
    def preview(self, ctx: StepContext) -> Any: ...      # optional

``run`` does the step's work and returns its outputs (JSON-able; ``when:``
conditions and later templates read them as ``steps.<id>.outputs`` and ``vars``;
an ``analyze`` step's outputs are also ``analysis``). It must be **idempotent**: if
the process dies mid-step, the runner calls it again for the same ``ctx.visit``.
Report progress with ``ctx.progress(fraction_or_None, message)`` and stop early,
raising :class:`~ircli.errors.IrcliError`, when ``ctx.cancel`` is set. Raise an
``IrcliError`` subclass for expected failures: the step is marked failed with its
message and is retried on the next run.

``preview`` (destructive actions) returns what would be done — e.g. the target
list of a termination. When the step has ``approvals:``, the hash of the preview is
the subject approvers approve; if the preview changes before the run, earlier
approvals no longer count.

An entry point may name a handler instance, or a class or factory taking no
arguments.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ircli.errors import NotFoundError

if TYPE_CHECKING:
    from ircli.playbooks.model import Step
    from ircli.services.workspace import Workspace

ENTRY_POINT_GROUP = "ircli.steps"

Progress = Callable[[float | None, str], None]


def _no_progress(fraction: float | None, message: str) -> None:
    """Progress sink for callers that show none."""


@dataclass
class StepContext:
    """Everything a handler may use for one step."""

    ws: Workspace
    incident: str
    step: Step
    visit: int
    params: dict[str, Any]
    """The step's ``with:`` parameters, templates rendered."""
    variables: dict[str, Any]
    """What the step's expressions see: inputs, steps, incident, analysis, vars."""
    progress: Progress = _no_progress
    cancel: threading.Event = field(default_factory=threading.Event)


@dataclass
class StepResult:
    """What a handler produced: outputs (JSON-able) and a one-line summary for the timeline."""

    outputs: dict[str, Any] = field(default_factory=dict)
    summary: str = ""


@runtime_checkable
class StepHandler(Protocol):
    """The protocol every step handler follows (``preview`` is optional)."""

    def run(self, ctx: StepContext) -> StepResult:
        """Do the step's work, idempotently."""
        ...


_REGISTERED: dict[str, StepHandler] = {}
_LOADED: dict[str, StepHandler] = {}


def register_handler(name: str, handler: StepHandler) -> None:
    """Register a handler in this process (wins over an entry point of the same name)."""
    _REGISTERED[name] = handler


def unregister_handler(name: str) -> None:
    """Forget an in-process registration."""
    _REGISTERED.pop(name, None)


def handler_names() -> list[str]:
    """Names of every handler available: registered and installed as entry points."""
    from importlib.metadata import entry_points

    names = set(_REGISTERED)
    names.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def get_handler(name: str) -> StepHandler:
    """The handler for ``name``; raises :class:`NotFoundError` if none is installed."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name in _LOADED:
        return _LOADED[name]
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        obj = ep.load()
        handler = obj
        if isinstance(obj, type) or (callable(obj) and not hasattr(obj, "run")):
            handler = obj()  # a class or factory
        if not isinstance(handler, StepHandler):
            raise NotFoundError(
                f"entry point '{name}' in {ENTRY_POINT_GROUP} is not a step handler"
            )
        _LOADED[name] = handler
        return handler
    raise NotFoundError(
        f"no step handler named '{name}' is installed",
        hint=f"install the plugin that provides it (entry-point group {ENTRY_POINT_GROUP}), "
        "or list them with: ircli playbook handlers",
    )
