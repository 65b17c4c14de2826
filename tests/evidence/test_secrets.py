"""``ircli auth``, secrets in sources, and the canary: a secret never lands anywhere."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import pytest
from evidence_keyring import MemoryKeyring
from evidence_world import write_config
from keyring.backends import fail

from ircli.secrets import Secret, get_secret

CANARY = "CANARY-5e1f9b7d-do-not-leak"


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_set_check_forget(
    memory_keyring: MemoryKeyring, ircli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_config(
        tmp_path / "ircli.toml",
        {"logs": {"type": "http", "url": "http://x", "auth": {"secret": "logs"}}},
    )
    stdin(monkeypatch, "s3cret-value\n")
    assert ircli("auth", "set", "logs").code == 0
    assert memory_keyring.items[("ircli", "logs")] == "s3cret-value"
    checked = ircli("auth", "check", "logs", "--json")
    assert checked.code == 0
    assert json.loads(checked.out) == {
        "name": "logs",
        "found": True,
        "origin": "keyring",
        "env_var": "IRCLI_SECRET_LOGS",
        "used_by": ["sources.logs"],
    }
    assert "s3cret-value" not in checked.out + checked.err
    assert ircli("auth", "forget", "logs").code == 0
    missing = ircli("auth", "check", "logs")
    assert missing.code == 13 and "missing" in missing.out
    assert "ircli auth set logs" in missing.err and "IRCLI_SECRET_LOGS" in missing.err
    assert "no secret 'logs'" in ircli("auth", "forget", "logs").err


def test_environment_wins_over_keyring(
    memory_keyring: MemoryKeyring, ircli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_keyring.set_password("ircli", "forum-hmac", "from-keyring")
    monkeypatch.setenv("IRCLI_SECRET_FORUM_HMAC", "from-env")
    assert get_secret("forum-hmac").reveal() == "from-env"
    assert json.loads(ircli("auth", "check", "forum-hmac", "--json").out)["origin"] == "env"


def test_bad_names_and_empty_values(
    memory_keyring: MemoryKeyring, ircli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = ircli("auth", "check", "Bad Name!")
    assert bad.code == 4 and "invalid secret name" in bad.err
    stdin(monkeypatch, "\n")
    empty = ircli("auth", "set", "logs")
    assert empty.code == 4 and "no value given" in empty.err


def test_headless_box_without_keyring_gets_both_options(
    ircli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        stdin(monkeypatch, "value\n")
        result = ircli("auth", "set", "logs")
        assert result.code == 13
        assert "no keyring backend is available" in result.err
        assert "IRCLI_SECRET_LOGS" in result.err and "Secret Service" in result.err
        assert "Traceback" not in result.err and "value" not in result.err.replace("keyring", "")
        # With the env var, the same box works.
        monkeypatch.setenv("IRCLI_SECRET_LOGS", "tok")
        assert ircli("auth", "check", "logs").code == 0
    finally:
        keyring.set_keyring(previous)


def test_secret_never_prints_itself() -> None:
    secret = Secret("logs", CANARY)
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", str([secret])):
        assert CANARY not in text


def test_canary_secret_reaches_no_file_and_no_output(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    ircli: Any,
    monkeypatch: pytest.MonkeyPatch,
    logapi: Callable[..., str],
    world_file: Path,
) -> None:
    good = logapi("--file", str(world_file), "--token", CANARY, "--page-size", "400")
    wrong = logapi("--file", str(world_file), "--token", "another-token")
    source = {"type": "http", "records": "data", "auth": {"secret": "logs"}}
    write_config(
        tmp_path / "ircli.toml",
        {
            "api": source | {"url": good + "/v1/requests", "mapping": _api_mapping()},
            "rejects": source | {"url": wrong + "/v1/requests"},
        },
    )
    outputs: list[str] = []

    def run(*args: str) -> Any:
        result = ircli(*args)
        outputs.extend([result.out, result.err])
        return result

    stdin(monkeypatch, CANARY + "\n")
    assert run("auth", "set", "logs").code == 0
    run("incident", "new", "--title", "canary", "--subject", "acct-0002")
    pulled = run("evidence", "pull", "INC-0001", "--source", "api", "--json")
    assert pulled.code == 0, pulled.err
    assert json.loads(pulled.out)["records"] == 3000
    failed = run("evidence", "pull", "INC-0001", "--source", "rejects")
    assert failed.code == 8 and "refused the credentials" in failed.err
    for args in (
        ["evidence", "list", "INC-0001", "--json"],
        ["evidence", "show", "INC-0001", json.loads(pulled.out)["id"], "--json"],
        ["incident", "show", "INC-0001", "--json"],
        ["auth", "check", "logs", "--json"],
        ["verify", "--json"],
        ["config", "show"],
    ):
        assert run(*args).code == 0, args
    # Even the --debug traceback of the failed pull carries no secret.
    from ircli.cli.main import run as run_debug

    with pytest.raises(Exception) as caught:
        run_debug(["evidence", "pull", "INC-0001", "--source", "rejects"], debug=True)
    outputs.append("".join(traceback.format_exception(caught.value)))
    for text in outputs:
        assert CANARY not in text
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in written)
    for path in written:
        path.chmod(0o600)
        assert CANARY.encode() not in path.read_bytes(), path


def _api_mapping() -> dict[str, Any]:
    from evidence_world import API_MAPPING

    return API_MAPPING


@pytest.mark.integration
def test_real_secret_service(tmp_path: Path) -> None:
    """Against gnome-keyring's Secret Service in a private D-Bus session."""
    daemon, session = shutil.which("gnome-keyring-daemon"), shutil.which("dbus-run-session")
    if daemon is None or session is None:
        pytest.skip("gnome-keyring and dbus are not installed (make test installs them)")
    home, runtime = tmp_path / "kr-home", tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IRCLI_", "PYTHON_KEYRING"))}
    env |= {
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "IRCLI_STORE": str(tmp_path / "store.db"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    py = sys.executable
    script = f"""
set -e
printf unlock-pw | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
{py} -c 'import keyring; print("backend", type(keyring.get_keyring()).__module__)'
printf '%s\\n' "$SECRET_VALUE" | {py} -m ircli auth set logs
{py} -m ircli auth check logs --json
{py} -c 'from ircli.secrets import get_secret; print("same", get_secret("logs").reveal() == "{CANARY}")'
{py} -m ircli auth forget logs
{py} -m ircli auth check logs || echo "exit $?"
"""
    result = subprocess.run(
        [session, "--", "sh", "-c", script],
        env=env | {"SECRET_VALUE": CANARY},
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "backend keyring.backends.SecretService" in out
    assert '"origin": "keyring"' in out and "same True" in out
    assert "logs: missing" in out and "exit 13" in out
    assert CANARY not in out + result.stderr
