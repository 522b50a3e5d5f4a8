"""Helpers of the `apply` tests: v0 databases of seed 001's tracker with rows whose references
hold, a look at what the catalogs hold, and the command line run in-process or as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pglast
import psycopg
import pytest

from schemadoc.cli import main

from conftest import EXAMPLES, ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "plan"
EXAMPLE = EXAMPLES / "hardening_plan.md"
EXAMPLE_V0 = FIXTURES / "hardening_plan_v0.sql"
SEED_V0 = FIXTURES / "seed001_v0.sql"

# Rows for the v0 tables: every reference points at an existing row (ids are md5s of a tag and a
# number, read as uuids).
_ROWS = {
    "papers": "INSERT INTO papers (id, title, storage_path) SELECT md5('pa' || g)::uuid, 'paper ' || g,"
    " 'papers/' || g FROM generate_series(1, 20) g",
    "plans": "INSERT INTO plans (id, paper_id, plan_json) SELECT md5('pl' || g)::uuid,"
    " md5('pa' || (1 + g % 20))::uuid, '{}' FROM generate_series(1, 50) g",
    "runs": "INSERT INTO runs (id, plan_id, paper_id) SELECT md5('ru' || g)::uuid, md5('pl' || (1 + g % 50))::uuid,"
    " md5('pa' || (1 + (g % 50) % 20))::uuid FROM generate_series(1, 400) g",
    "run_events": "INSERT INTO run_events (id, run_id, seq, payload) SELECT md5('ev' || g)::uuid,"
    " md5('ru' || (1 + g % 400))::uuid, g / 400, '{}' FROM generate_series(1, 4000) g",
    "storyboards": "INSERT INTO storyboards (id, paper_id, run_id) SELECT md5('sb' || g)::uuid,"
    " md5('pa' || (1 + g % 20))::uuid, md5('ru' || g)::uuid FROM generate_series(1, 30) g",
}


def load_v0(url: str, fixture: Path) -> None:
    """The v0 tables of ``fixture``, with rows."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in pglast.split(fixture.read_text(encoding="utf-8")):
            conn.execute(statement)
        tables = {r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relkind = 'r'").fetchall()}
        for table, insert in _ROWS.items():
            if table in tables:
                conn.execute(insert)
        conn.execute("ANALYZE")


def shape(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """What the user tables hold besides rows: columns with their types, constraints, indexes."""
    with psycopg.connect(url) as conn:
        return {
            "columns": conn.execute(
                "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull"
                " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped"
                " ORDER BY 1, 2"
            ).fetchall(),
            "constraints": conn.execute(
                "SELECT conname, contype, convalidated FROM pg_constraint"
                " WHERE connamespace = 'public'::regnamespace ORDER BY 1"
            ).fetchall(),
            "indexes": conn.execute(
                "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1"
            ).fetchall(),
        }


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    """``schemadoc ARGS --format json`` in-process: the exit code and the JSON it printed."""
    capsys.readouterr()
    code = main([*args, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def cli_process(*args: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[str]:
    """``schemadoc ARGS`` as a process of its own (as a deploy job runs it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "schemadoc", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=process_env(),
    )


def process_env() -> dict[str, str]:
    """The environment of a schemadoc process: this checkout's sources first."""
    paths = [str(ROOT / "src"), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths))


def codes(payload: dict[str, Any]) -> list[str]:
    return [d["code"] for d in payload.get("diagnostics", [])]
