"""Fixtures for the playbook tests: fake step handlers, answers files, the CACAO schemas."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from playbook_handlers import HANDLERS, RECORDER, register_all

from ircli.services.steps import unregister_handler

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def handlers() -> Iterator[None]:
    """Every fake handler registered for the test, forgotten after it."""
    RECORDER.calls.clear()
    RECORDER.delay = 0.0
    register_all()
    yield
    for name in HANDLERS:
        unregister_handler(name)


FULL_ANSWERS: dict[str, Any] = {
    "intake": {"seeds": ["acct-1", "acct-2"], "window": "14d"},
    "exculpatory": True,
    "classify": {
        "option": "campaign",
        "rationale": "Shared payment fingerprints across 3 orgs; CoT share 0.91",
        "evidence": ["EV-0001"],
    },
    "notify": True,
    "close": {"summary": "Campaign contained and reported to the Forum"},
}


@pytest.fixture
def answers_file(tmp_path: Path) -> Path:
    """An answers file that covers every human step of distillation.yaml."""
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(FULL_ANSWERS), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def cacao_schemas() -> Path:
    """The CACAO 2.0 CS01 schemas: IRCLI_CACAO_SCHEMAS, a copy beside the repository,
    or the copy kept in tests/data."""
    candidates = [
        os.environ.get("IRCLI_CACAO_SCHEMAS", ""),
        str(REPO.parent / "shared" / "cacao-2.0-cs01-schemas"),
        str(REPO / "tests" / "data" / "cacao-2.0-cs01-schemas"),
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "playbook.json").is_file():
            return Path(candidate)
    raise AssertionError("the CACAO 2.0 schemas are missing from tests/data")
