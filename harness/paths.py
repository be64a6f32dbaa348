"""Where the package's SQL lives (the repository checkout the harness runs from)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("OMNI_IDENTITY_ROOT", Path(__file__).resolve().parents[1]))
MIGRATIONS = ROOT / "migrations"
FUNCTIONS = ROOT / "functions"
