"""Step handlers: found through the ircli.steps entry points, given progress and cancellation."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ircli.errors import IrcliError, NotFoundError
from ircli.services import steps
from ircli.services.answers import AnswersResponder
from ircli.services.runs import advance, start_run
from ircli.services.steps import StepContext, StepResult, get_handler, register_handler
from ircli.services.workspace import Workspace


@pytest.fixture
def installed_plugin(tmp_path: Path) -> Iterator[None]:
    """A distribution on sys.path that declares a handler in the ircli.steps group."""
    site = tmp_path / "site"
    dist = site / "ircli_fake_steps-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ircli-fake-steps\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[ircli.steps]\nfake.echo = ircli_fake_steps:Echo\nfake.broken = ircli_fake_steps:NOT_A_HANDLER\n"
    )
    (site / "ircli_fake_steps.py").write_text(
        "from ircli.services.steps import StepResult\n"
        "NOT_A_HANDLER = 42\n"
        "class Echo:\n"
        "    def run(self, ctx):\n"
        "        return StepResult({'echo': ctx.params}, summary='echoed')\n"
    )
    sys.path.insert(0, str(site))
    steps._LOADED.clear()
    try:
        yield
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("ircli_fake_steps", None)
        steps._LOADED.clear()


def test_handlers_are_found_through_entry_points(installed_plugin: None) -> None:
    assert "fake.echo" in steps.handler_names()
    handler = get_handler("fake.echo")
    assert type(handler).__name__ == "Echo"
    assert get_handler("fake.echo") is handler  # loaded once
    with pytest.raises(NotFoundError, match="not a step handler"):
        get_handler("fake.broken")
    with pytest.raises(NotFoundError, match=r"no step handler named 'fake\.nothing'"):
        get_handler("fake.nothing")


def test_handlers_get_progress_and_cancellation(ws: Workspace) -> None:
    seen: list[tuple[float | None, str]] = []
    cancel = threading.Event()

    class Slow:
        def run(self, ctx: StepContext) -> StepResult:
            ctx.progress(0.5, "halfway")
            assert ctx.cancel is cancel
            cancel.set()  # the responder pressed Escape in the TUI
            if ctx.cancel.is_set():
                raise IrcliError("cancelled by the responder")
            return StepResult()

    register_handler("evidence.pull", Slow())
    incident, _ = start_run(ws, "distillation", title="Cancel", inputs={"seeds": "a"})
    with pytest.raises(IrcliError, match="cancelled"):
        advance(
            ws,
            incident,
            AnswersResponder(),
            progress=lambda f, m: seen.append((f, m)),
            cancel=cancel,
        )
    assert seen == [(0.5, "halfway")]
    # The cancelled step is failed, and the next run retries it.
    from ircli.services.runs import run_state

    assert run_state(ws, incident)[1].steps["preserve"].state == "failed"
    register_handler("evidence.pull", _Done())
    outcome = advance(ws, incident, AnswersResponder())
    assert outcome.state.steps["preserve"].state == "done"


class _Done:
    def run(self, ctx: StepContext) -> StepResult:
        return StepResult({"records": 1})
