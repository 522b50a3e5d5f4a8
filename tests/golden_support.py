"""The golden cases: ``tests/golden/<case>.md`` and the SQL ``schemadoc sql`` prints for it,
``tests/golden/<case>.sql``. Shared by ``test_golden.py`` and ``scripts/regen_golden.py``."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from schemadoc.cli import main

GOLDEN = Path(__file__).resolve().parent / "golden"


def cases() -> list[Path]:
    """The case documents, by name."""
    return sorted(GOLDEN.glob("*.md"))


def expected_path(case: Path) -> Path:
    return case.with_suffix(".sql")


def render(case: Path) -> tuple[int, str, str]:
    """Exit code, standard output and standard error of ``schemadoc sql CASE``."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["sql", str(case)])
    return code, out.getvalue(), err.getvalue()
