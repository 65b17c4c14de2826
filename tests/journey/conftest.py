"""The whole journey needs every real server: SCIM for containment, TAXII for the Forum."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "intel"))

from intel_world import medallion

from tests.actions.conftest import scim_process, scim_server

__all__ = ["medallion", "scim_process", "scim_server"]
