"""`ircli demo generate` and the service behind it."""

from __future__ import annotations

import json
from pathlib import Path

from ircli.exitcodes import ExitCode
from ircli.services.world import PRESET_NAMES, WORLD_FILES


def test_preset_names_match_the_generator() -> None:
    from ircli.world.presets import PRESETS

    assert tuple(PRESETS) == PRESET_NAMES


def test_generate_json(ircli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "w"
    result = ircli("demo", "generate", "--preset", "tiny", "--seed", "5", "--out", str(out),
                   "--scale", "0.2", "--json")  # fmt: skip
    assert result.code == ExitCode.OK, result.err
    summary = json.loads(result.out)
    assert summary["preset"] == "tiny*" and summary["seed"] == 5
    assert summary["attack_accounts"] > 0 and summary["requests"] > 0
    for name in WORLD_FILES:
        assert (out / name).stat().st_size == summary["files"][name]


def test_refuses_to_overwrite_without_force(ircli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "w"
    args = ("demo", "generate", "--out", str(out), "--scale", "0.1")
    assert ircli(*args).code == ExitCode.OK
    before = (out / "requests.parquet").read_bytes()
    again = ircli(*args, "--seed", "9")
    assert again.code == ExitCode.USAGE and "--force" in again.err
    assert (out / "requests.parquet").read_bytes() == before
    assert ircli(*args, "--seed", "9", "--force").code == ExitCode.OK
    assert (out / "requests.parquet").read_bytes() != before


def test_account_overrides_change_the_mix(ircli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import duckdb

    out = tmp_path / "w"
    result = ircli("demo", "generate", "--out", str(out), "--scale", "0.1",
                   "--accounts", "hydra_cot=30", "--accounts", "background=0", "--days", "4",
                   "--json")  # fmt: skip
    assert result.code == ExitCode.OK, result.err
    counts = dict(duckdb.sql(
        f"SELECT archetype, count(*) FROM '{out}/labels.parquet' GROUP BY 1").fetchall())  # fmt: skip
    assert counts["hydra_cot"] == 30 and "background" not in counts
    assert json.loads(result.out)["days"] == 4


def test_bad_input_is_one_line_with_a_hint(ircli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cases = [
        (["--accounts", "nosuch=3"], "unknown archetype"),
        (["--accounts", "hydra_cot"], "ARCHETYPE=N"),
        (["--scale", "0"], "invalid scale"),
        (["--days", "1"], "invalid window"),
        (["--seed", "-4"], "invalid seed"),
    ]
    for extra, message in cases:
        result = ircli("demo", "generate", "--out", str(tmp_path / "x"), *extra)
        assert result.code == ExitCode.USAGE, extra
        assert message in result.err and "hint:" in result.err
        assert "Traceback" not in result.err
    (tmp_path / "file").write_text("")
    result = ircli("demo", "generate", "--out", str(tmp_path / "file"))
    assert result.code == ExitCode.USAGE and "not a folder" in result.err
    unknown = ircli("demo", "generate", "--out", str(tmp_path / "y"), "--preset", "huge")
    assert unknown.code == ExitCode.USAGE


def test_plain_demo_still_opens_the_demo_incident(ircli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = ircli("demo", "--dir", str(tmp_path / "d"), "--json")
    assert result.code == ExitCode.OK, result.err
    assert json.loads(result.out)["incident"]["title"]


def test_help_does_not_import_the_generator() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from ircli.cli.main import run\n"
        "run(['demo', 'generate', '--help'])\n"
        "bad = [m for m in ('numpy', 'pyarrow', 'ircli.world') if m in sys.modules]\n"
        "sys.exit(1 if bad else 0)\n"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_progress_reports_every_day(tmp_path: Path) -> None:
    from ircli.services.world import generate_world

    seen: list[tuple[int, int, int]] = []
    summary = generate_world(
        "tiny", 3, tmp_path / "w", scale=0.1, days=3, progress=lambda *a: seen.append(a)
    )
    assert [d for d, _, _ in seen] == [1, 2, 3] and all(t == 3 for _, t, _ in seen)
    assert seen[-1][2] == summary["requests"]


def test_interrupted_generation_leaves_no_partial_files(tmp_path: Path) -> None:
    import pytest

    from ircli.services.world import generate_world

    def stop(day: int, total: int, rows: int) -> None:
        raise KeyboardInterrupt

    out = tmp_path / "w"
    with pytest.raises(KeyboardInterrupt):
        generate_world("tiny", 1, out, scale=0.1, progress=stop)
    assert list(out.iterdir()) == []


def test_campaign_seeds_come_from_one_campaign(tiny: Path, con) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from ircli.errors import NotFoundError
    from ircli.services.world import campaign_seeds

    seeds = campaign_seeds(tiny, n=3)
    assert len(seeds) == 3
    rows = con.execute(
        "SELECT DISTINCT archetype, campaign_id FROM labels WHERE list_contains(?, account_id)",
        [seeds],
    ).fetchall()
    assert len(rows) == 1 and rows[0][0] == "hydra_cot"
    with pytest.raises(NotFoundError):
        campaign_seeds(tiny / "nowhere")
