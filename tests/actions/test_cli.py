"""``ircli act``: exit codes, JSON on stdout, people's text on stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ircli.exitcodes import ExitCode

from .conftest import ADMIN_TOKEN


def write_config(path: Path, url: str, **extra: Any) -> None:
    lines = [
        "[actions.contain]",
        'type = "http"',
        f'base_url = "{url}"',
        'token_secret = "admin"',
        'url = "/accounts/{account_id}/terminate"',
        "backoff = 0.01",
        "max_attempts = 2",
        "rate = 0",
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ircli: Any) -> Any:
    monkeypatch.setenv("IRCLI_SECRET_ADMIN", ADMIN_TOKEN)
    assert ircli("incident", "new", "--title", "Hydra cluster").code == 0
    return tmp_path


def test_dry_run_approve_execute_status(admin_api: Any, cli_env: Path, ircli: Any) -> None:
    api = admin_api()
    write_config(cli_env / "ircli.toml", api.url)
    targets = cli_env / "targets.txt"
    targets.write_text("acct-1\nacct-2\nacct-3\n")
    allow = cli_env / "allow.txt"
    allow.write_text("acct-3  # partner\n")

    dry = ircli(
        "act", "INC-0001", "contain", "--targets", str(targets), "--allowlist", str(allow), "--json"
    )
    assert dry.code == 0, dry.err
    preview = json.loads(dry.out)
    assert preview["targets"] == ["acct-1", "acct-2"]
    assert preview["excluded"] == [{"account": "acct-3", "reason": "allowlisted (partner)"}]
    assert api.stats()["calls"] == 0

    waiting = ircli("act", "INC-0001", "contain", "--execute")
    assert waiting.code == ExitCode.WAITING_FOR_APPROVAL
    assert "approval" in waiting.err and waiting.out == ""

    refused = ircli("act", "INC-0001", "contain", "--approve")
    assert refused.code == ExitCode.REFUSED and "two-person rule" in refused.err
    pending = json.loads(ircli("approvals", "--json").out)
    assert [(p["step"], p["subject"]) for p in pending] == [("contain", preview["preview_hash"])]
    # The shared two-person-rule command approves the action's preview, as --approve does.
    approved = ircli(
        "approve", "INC-0001", "contain", "--as", "bob", "--subject", preview["preview_hash"][:12]
    )
    assert approved.code == 0, approved.err

    done = ircli("act", "INC-0001", "contain", "--execute", "--json")
    assert done.code == 0, done.err
    summary = json.loads(done.out)
    assert summary["ledger"]["succeeded"] == 2 and summary["run"]["requests"] == 2
    assert "acting" not in done.err  # no progress bar when not on a terminal

    status = ircli("act", "INC-0001", "contain", "--status", "--json")
    assert [t["state"] for t in json.loads(status.out)["targets"]] == ["succeeded", "succeeded"]
    assert ircli("verify", "INC-0001").code == 0

    export = cli_env / "preview.json"
    assert ircli("act", "INC-0001", "contain", "--export", str(export)).code == 0
    assert json.loads(export.read_text())["preview_hash"] == preview["preview_hash"]


def test_failed_targets_exit_partial_failure(admin_api: Any, cli_env: Path, ircli: Any) -> None:
    api = admin_api()
    # The API answers 200, but this configuration only accepts 201: every target fails.
    write_config(cli_env / "ircli.toml", api.url, approvals=0, success=[201])
    result = ircli("act", "INC-0001", "contain", "--account", "a1", "--account", "a2")
    assert result.code == 0
    result = ircli("act", "INC-0001", "contain", "--execute", "--json")
    assert result.code == ExitCode.PARTIAL_FAILURE
    summary = json.loads(result.out)
    assert summary["ledger"]["failed"] == 2
    assert {f["account"] for f in summary["failures"]} == {"a1", "a2"}
    assert "2 of 2 target(s) failed" in result.err


def test_usage_and_config_errors(cli_env: Path, ircli: Any) -> None:
    result = ircli("act", "INC-0001", "contain", "--account", "a", "--override-ceiling")
    assert result.code == ExitCode.USAGE and "--reason" in result.err
    result = ircli("act", "INC-0001", "contain", "--account", "a")
    assert result.code == ExitCode.USAGE and "[actions.NAME]" in result.err
    (cli_env / "ircli.toml").write_text('[actions.contain]\ntype = "scim"\n')
    result = ircli("act", "INC-0001", "contain", "--account", "a")
    assert result.code == ExitCode.CONFIG and "base_url" in result.err
    assert "Traceback" not in result.err
    result = ircli("act", "INC-0001", "contain", "--execute")
    assert result.code == ExitCode.CONFIG
    result = ircli("act", "INC-0099", "contain")
    assert result.code == ExitCode.NOT_FOUND


def test_missing_token_is_a_secrets_error(
    admin_api: Any, cli_env: Path, ircli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IRCLI_SECRET_ADMIN")
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # the hermetic fixture restores the previous one
    write_config(cli_env / "ircli.toml", "http://127.0.0.1:9", approvals=0)
    result = ircli("act", "INC-0001", "contain", "--account", "a1")
    assert result.code == 0  # an http action's preview needs no call
    result = ircli("act", "INC-0001", "contain", "--execute")
    assert result.code == ExitCode.SECRETS and "IRCLI_SECRET_ADMIN" in result.err


def test_targets_from_the_incidents_analysis(admin_api: Any, cli_env: Path, ircli: Any) -> None:
    from ircli.services.workspace import Workspace

    from .test_step import record_analysis

    api = admin_api()
    write_config(cli_env / "ircli.toml", api.url)
    missing = ircli("act", "INC-0001", "contain", "--from-analysis")
    assert missing.code == ExitCode.NOT_FOUND and "ircli analyze" in missing.err
    with Workspace.from_environment() as ws:
        record_analysis(ws)
    dry = ircli("act", "INC-0001", "contain", "--from-analysis", "--cluster", "c7", "--json")
    assert dry.code == 0, dry.err
    assert json.loads(dry.out)["targets"] == ["acct-1", "acct-4"]
