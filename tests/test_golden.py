"""Golden files: each document style the readers know, in a small case under ``tests/golden``,
gives exactly the SQL recorded next to it. ``scripts/regen_golden.py`` rewrites the records."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from schemadoc.pg.connect import with_database

from golden_support import cases, expected_path, render

CASES = cases()


def test_every_style_has_a_case() -> None:
    assert {c.stem for c in CASES} >= {
        "sql_fence",
        "column_table",
        "bullet_list",
        "relations",
        "mermaid_er",
        "enums",
        "prose_notes",
        "generated_table",
    }
    assert all(expected_path(c).is_file() for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_sql_matches_the_golden_file(case: Path) -> None:
    code, sql_text, messages = render(case)
    assert (code, messages) == (0, "")
    assert sql_text == expected_path(case).read_text(encoding="utf-8"), (
        f"{case.name}: output differs; if the change is intended, run scripts/regen_golden.py"
    )


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden_sql_builds(case: Path, server_url: str) -> None:
    """The recorded SQL is what PostgreSQL accepts, so a golden file never records a broken build."""
    name = f"sd_golden_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with psycopg.connect(with_database(server_url, name)) as conn:
            conn.execute(expected_path(case).read_text(encoding="utf-8"))  # type: ignore[arg-type]
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
