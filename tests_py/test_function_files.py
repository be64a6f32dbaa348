"""functions/: one function per file, and the text in git is the body in the database:
no file builds a body at apply time (a DO block or EXECUTE of a format()-built CREATE)."""
from __future__ import annotations

import re

import pytest

from harness import migrate, paths

_CREATE = re.compile(r"^CREATE OR REPLACE (?:FUNCTION|PROCEDURE) ", re.M)
_BUILT = re.compile(r"^\s*DO\s+\$|\bEXECUTE\b[^;]*?\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\b", re.M | re.I)

FILES = [p for p in migrate.function_files() if p.name != migrate.GRANTS]


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(paths.FUNCTIONS)) for p in FILES])
def test_one_literal_function_per_file(path):
    text = path.read_text()
    assert len(_CREATE.findall(text)) == 1
    assert not _BUILT.search(text)
