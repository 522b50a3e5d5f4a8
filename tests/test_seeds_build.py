"""Every seed document end to end: `schemadoc check`, `schemadoc sql` applied with psql, and
`schemadoc up` (a second `up` is a no-op) on the test server — the machine's PostgreSQL when
SCHEMADOC_TEST_DATABASE_URL names it, the embedded one otherwise."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest
from psycopg import sql

from schemadoc.pg.connect import with_database

from conftest import seed_file

# seed number -> does it reference tables it never defines (needs --stub-missing)?
SEEDS = {0: False, 1: False, 2: True, 3: False, 4: True}
MISSING = {2: "auth.users", 4: "unit_modes"}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "schemadoc", *args], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def fresh_db(server_url: str, new_database_name: str) -> str:
    """The URL of a database `up` is to create."""
    return with_database(server_url, new_database_name)


@pytest.mark.parametrize("number", sorted(SEEDS))
def test_check_exit_codes(number: int) -> None:
    doc = str(seed_file(number))
    plain = cli("check", doc)
    if SEEDS[number]:
        assert plain.returncode == 1, plain.stderr
        assert MISSING[number] in plain.stderr and "never defines" in plain.stderr
        stubbed = cli("check", "--stub-missing", "--format", "json", doc)
        assert stubbed.returncode == 0, stubbed.stdout
        assert any(MISSING[number] in s for s in json.loads(stubbed.stdout)["stand_ins"])
    else:
        assert plain.returncode == 0, plain.stderr


def _psql() -> str:
    from schemadoc.pg.server import find_binaries

    return str(find_binaries() / "psql")


@pytest.mark.parametrize("number", sorted(SEEDS))
def test_sql_applies_with_psql(number: int, fresh_db: str, server_url: str) -> None:
    doc = str(seed_file(number))
    out = cli("sql", "--stub-missing", doc)
    assert out.returncode == 0, out.stderr
    name = psycopg.conninfo.conninfo_to_dict(fresh_db)["dbname"]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(name))))
    proc = subprocess.run(
        [_psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", fresh_db, "-f", "-"],
        input=out.stdout,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    with psycopg.connect(fresh_db) as conn:
        (tables,) = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone() or (0,)
    assert tables >= 3


@pytest.mark.parametrize("number", sorted(SEEDS))
def test_up_then_up_again_is_a_no_op(number: int, fresh_db: str) -> None:
    doc = str(seed_file(number))
    first = cli("up", "--stub-missing", "--format", "json", "--database-url", fresh_db, doc)
    assert first.returncode == 0, first.stdout + first.stderr
    report = json.loads(first.stdout)
    assert report["applied"] is True and report["created_database"] is True
    promises = report["promises"]["counts"]
    assert promises["broken"] == 0 and promises["untestable"] == 0 and promises["kept"] > 0
    second = cli("up", "--stub-missing", "--format", "json", "--database-url", fresh_db, doc)
    assert second.returncode == 0, second.stdout + second.stderr
    again = json.loads(second.stdout)
    assert again["applied"] is False and again["statements"] == 0
