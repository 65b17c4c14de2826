"""SIGKILL a 200,000-record HTTP pull at ten random points; the re-run must end with
exactly the source's records, none twice, and a journal that verifies."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from evidence_world import write_config

TOTAL = 200_000
PAGE = 1_000
CHECKPOINT = 10_000


def checkpoints(store: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1)
        try:
            row = con.execute(
                "SELECT count(*) FROM events WHERE type = 'evidence.checkpoint'"
            ).fetchone()
            return int(row[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_sigkill_at_random_points_then_rerun(
    tmp_path: Path, logapi: Callable[..., str], cli_env: dict[str, str]
) -> None:
    base = logapi("--synthetic", str(TOTAL), "--page-size", str(PAGE))
    write_config(
        tmp_path / "ircli.toml",
        {
            "api": {
                "type": "http",
                "url": base + "/v1/requests",
                "params": {"limit": str(PAGE)},
                "records": "data",
                "checkpoint_records": CHECKPOINT,
            }
        },
    )
    store = tmp_path / "store.db"
    cmd = [sys.executable, "-m", "ircli"]
    subprocess.run([*cmd, "incident", "new", "--title", "kill"], env=cli_env, check=True)
    pull = [*cmd, "evidence", "pull", "INC-0001", "--source", "api", "--json"]
    rng = random.Random(20260301)
    parts = TOTAL // CHECKPOINT
    # Kill after a random number of checkpoints, a random moment into the next part; the
    # last kill lands after the final checkpoint, while the files are being assembled.
    targets = [*sorted(rng.sample(range(1, parts), 9)), parts]
    for target in targets:
        proc = subprocess.Popen(pull, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while checkpoints(store) < target and proc.poll() is None:
            assert time.monotonic() < deadline, "the pull made no progress"
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.05))
        assert proc.poll() is None, f"pull finished before kill at checkpoint {target}"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = subprocess.run(pull, env=cli_env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    item = json.loads(done.stdout)
    assert item["records"] == TOTAL
    table = pq.read_table(tmp_path / "store.files" / item["files"]["parquet"]["path"])
    ids = table.column("request_id").to_pylist()
    assert len(ids) == TOTAL and len(set(ids)) == TOTAL
    assert set(ids) == {f"r{i:09d}" for i in range(TOTAL)}
    for check in (["verify", "INC-0001"], ["evidence", "verify", "INC-0001"]):
        result = subprocess.run([*cmd, *check], env=cli_env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    listed = subprocess.run(
        [*cmd, "evidence", "list", "INC-0001", "--json"], env=cli_env, capture_output=True
    )
    assert [i["status"] for i in json.loads(listed.stdout)] == ["complete"]
    assert not list((tmp_path / "store.files" / "pulls").glob("EV-*/part-*"))
