"""Same seed → byte-identical files; another seed → another world."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ircli.services.world import WORLD_FILES, generate_world


def _digests(folder: Path) -> dict[str, str]:
    return {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in WORLD_FILES}


def _seed(world: Path) -> int:
    import json

    return int(json.loads((world / "world.json").read_text())["seed"])


def test_same_seed_gives_byte_identical_files(tiny: Path, tmp_path: Path) -> None:
    again = generate_world("tiny", _seed(tiny), tmp_path / "again")
    assert _digests(tmp_path / "again") == _digests(tiny)
    assert again["requests"] > 0


def test_other_seed_gives_other_world(tmp_path: Path) -> None:
    a = generate_world("tiny", 1, tmp_path / "a", scale=0.25)
    b = generate_world("tiny", 2, tmp_path / "b", scale=0.25)
    da, db = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    for name in ("requests.parquet", "accounts.parquet", "labels.parquet"):
        assert da[name] != db[name], name
    assert a["accounts"] == b["accounts"]  # same mix, different draws


def test_world_manifest_describes_the_files(tiny: Path) -> None:
    import json

    manifest = json.loads((tiny / "world.json").read_text())
    assert manifest["preset"] == "tiny" and manifest["seed"] == 7
    for name, size in manifest["files"].items():
        assert (tiny / name).stat().st_size == size
