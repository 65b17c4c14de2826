"""Sources are plugins; the built-ins register through the same entry points; the CLI
starts without the heavy libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ircli.errors import ConfigError
from ircli.evidence.sources import SourceEnv, open_source, source_types


def test_builtin_sources_are_entry_points() -> None:
    types = source_types()
    assert {"file", "http", "clickhouse"} <= set(types)
    for name in ("file", "http", "clickhouse"):
        assert types[name].group == "ircli.sources"
        factory = types[name].load()
        assert callable(factory.from_config)


def test_a_third_party_plugin_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    class Carrier:
        @classmethod
        def from_config(cls, name: str, table: dict[str, Any], env: SourceEnv) -> Any:
            return ("carrier", name, table["type"])

    sys.modules["carrier_plugin"] = type(sys)("carrier_plugin")
    sys.modules["carrier_plugin"].Carrier = Carrier  # type: ignore[attr-defined]
    extra = EntryPoint("pigeon", "carrier_plugin:Carrier", "ircli.sources")
    import ircli.evidence.sources as sources

    real = sources.source_types
    monkeypatch.setattr(sources, "source_types", lambda: real() | {"pigeon": extra})
    assert open_source("coop", {"type": "pigeon"}, SourceEnv()) == ("carrier", "coop", "pigeon")
    with pytest.raises(ConfigError, match="type must be one of"):
        open_source("coop", {"type": "raven"}, SourceEnv())


def test_help_and_evidence_modules_import_no_heavy_library() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from ircli.cli.main import run\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    run(['--help']); run(['evidence', '--help']); run(['auth', '--help'])\n"
        "import ircli.services.evidence, ircli.services.auth, ircli.cli.evidence\n"
        "print(sorted(m for m in ('httpx', 'duckdb', 'pyarrow', 'keyring', 'textual')"
        " if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert out.stdout.strip() == "[]"
