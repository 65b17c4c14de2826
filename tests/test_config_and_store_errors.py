"""Bad config and bad store files: one clear line and a distinct exit code, nothing lost."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from ircli.exitcodes import ExitCode


def _one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.out == ""
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines and lines[0].startswith("ircli: error: ")
    assert len(lines) <= 2 and "Traceback" not in result.err
    return lines[0]


def test_unknown_key_is_named_with_a_suggestion(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ircli.toml").write_text('respnder = "alice"\n[store]\npth = "x"\n')
    result = ircli("incident", "list")
    assert result.code == ExitCode.CONFIG
    line = _one_line_error(result)
    assert "unknown key 'respnder'" in line and "did you mean 'responder'" in line
    assert "unknown key 'store.pth'" in line and "did you mean 'path'" in line


def test_wrong_type_is_named(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ircli.toml").write_text('[defaults]\nseverity = 3\ntlp = "purple"\n')
    result = ircli("config", "check")
    assert result.code == ExitCode.CONFIG
    line = _one_line_error(result)
    assert "defaults.severity" in line and "defaults.tlp" in line


def test_invalid_toml(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ircli.toml").write_text("responder = \n")
    result = ircli("incident", "list")
    assert result.code == ExitCode.CONFIG
    assert "invalid TOML" in _one_line_error(result)


def test_unreadable_config(tmp_path: Path, ircli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # A directory where the file should be cannot be read, even by root.
    (tmp_path / "cfgdir").mkdir()
    monkeypatch.setenv("IRCLI_CONFIG", str(tmp_path / "cfgdir"))
    result = ircli("incident", "list")
    assert result.code == ExitCode.CONFIG
    assert "cannot read config file" in _one_line_error(result)


def test_missing_config_named_by_env(
    tmp_path: Path, ircli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IRCLI_CONFIG", str(tmp_path / "nope.toml"))
    result = ircli("incident", "list")
    assert result.code == ExitCode.CONFIG
    assert "does not exist" in _one_line_error(result)


def test_non_utf8_config(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ircli.toml").write_bytes(b'responder = "\xff\xfe"\n')
    result = ircli("incident", "list")
    assert result.code == ExitCode.CONFIG
    assert "not UTF-8" in _one_line_error(result)


def test_valid_config_is_applied(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ircli.toml").write_text(
        f'responder = "erin"\n[store]\npath = "{tmp_path / "cfg-store.db"}"\n'
        '[defaults]\nseverity = "sev1"\ntlp = "tlp:red"\n'
    )
    os.environ.pop("IRCLI_STORE", None)
    opened = json.loads(ircli("incident", "new", "--title", "from config", "--json").out)
    assert (opened["severity"], opened["tlp"], opened["owner"]) == ("sev1", "RED", "erin")
    assert (tmp_path / "cfg-store.db").exists()


def test_corrupt_store(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "corrupt.db"
    bad.write_bytes(b"this is not a database at all" * 200)
    before = bad.read_bytes()
    result = ircli("--store", str(bad), "incident", "list")
    assert result.code == ExitCode.STORE
    assert "corrupt or not an ircli store" in _one_line_error(result)
    assert bad.read_bytes() == before  # never "repaired" by overwriting


def test_foreign_sqlite_file_is_refused(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE customers (id INTEGER)")
    conn.commit()
    conn.close()
    result = ircli("--store", str(other), "incident", "list")
    assert result.code == ExitCode.STORE
    assert "not an ircli store" in _one_line_error(result)


def test_unwritable_store_location(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = ircli("--store", str(blocker / "store.db"), "incident", "new", "--title", "t")
    assert result.code == ExitCode.STORE
    assert "cannot create the store" in _one_line_error(result)


def test_store_path_that_is_a_directory(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    result = ircli("--store", str(tmp_path), "incident", "list")
    assert result.code == ExitCode.STORE
    assert "is not a file" in _one_line_error(result)


def test_read_only_store_file(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "ro.db"
    assert ircli("--store", str(store), "incident", "new", "--title", "t").code == 0
    # Open read-only through SQLite's URI, which even root cannot write through.
    from ircli.store.sqlite import Store

    ro = Store.__new__(Store)
    import sqlite3

    ro.path = store
    ro.clock = Store(store).clock
    ro._conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, isolation_level=None)
    from ircli.errors import StoreError

    with pytest.raises(StoreError) as caught:
        ro.append("INC-0001", "note.added", {"text": "x"}, "alice")
    assert "cannot write" in caught.value.message
    ro.close()


def test_store_is_created_owner_only(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "fresh" / "store.db"
    assert ircli("--store", str(store), "incident", "new", "--title", "t").code == 0
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.parent.stat().st_mode) == 0o700
    for suffix in ("-wal", "-shm"):
        side = Path(f"{store}{suffix}")
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0


def test_newer_schema_is_refused(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    store = tmp_path / "future.db"
    assert ircli("--store", str(store), "incident", "list").code == 0
    conn = sqlite3.connect(store)
    conn.execute("INSERT INTO schema_version VALUES (999)")
    conn.commit()
    conn.close()
    result = ircli("--store", str(store), "incident", "list")
    assert result.code == ExitCode.STORE
    assert "newer than this ircli" in _one_line_error(result)
