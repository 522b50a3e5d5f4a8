"""The fixture folders of ``tests/fixtures/plan_kinds``: one kind of change each.

A folder holds ``old.sql`` (the database before), ``doc.md`` (the document), ``expected.sql``
(what ``schemadoc plan --format sql`` prints for them: a golden file, rewritten only by
``scripts/regen_plan_fixtures.py``) and, for a kind that is destructive or that existing rows
block, ``expect.json``:

- ``"allow": ["deletes-data", ...]``: the hazards the plan needs allowed; without them ``plan``
  and ``apply`` exit 3 and change nothing. ``expected.sql`` is the plan with them allowed.
- ``"blocked": true``: rows of ``old.sql`` make a step fail; ``plan`` and ``apply`` exit 1 and
  change nothing. ``expected.sql`` is the plan that is not ready.
- ``"xfail": "why"``: a known planner bug another change fixes; the test must fail until then.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pglast
import psycopg

from schemadoc.cli import main

ROOT = Path(__file__).resolve().parent.parent
KINDS = ROOT / "tests" / "fixtures" / "plan_kinds"


@dataclass(frozen=True)
class Kind:
    name: str
    path: Path
    allow: tuple[str, ...] = ()
    blocked: bool = False
    xfail: str | None = None

    @property
    def old_sql(self) -> Path:
        return self.path / "old.sql"

    @property
    def doc(self) -> Path:
        return self.path / "doc.md"

    @property
    def expected(self) -> Path:
        return self.path / "expected.sql"

    @property
    def allow_flags(self) -> list[str]:
        return [flag for hazard in self.allow for flag in ("--allow", hazard)]


def kinds() -> list[Kind]:
    """Every fixture folder, by name."""
    out = []
    for path in sorted(p for p in KINDS.iterdir() if p.is_dir()):
        expect: dict[str, Any] = {}
        if (path / "expect.json").exists():
            expect = json.loads((path / "expect.json").read_text(encoding="utf-8"))
        unknown = set(expect) - {"allow", "blocked", "xfail"}
        if unknown:
            raise ValueError(f"{path / 'expect.json'}: unknown keys {sorted(unknown)}")
        out.append(
            Kind(
                path.name,
                path,
                allow=tuple(expect.get("allow", ())),
                blocked=bool(expect.get("blocked", False)),
                xfail=expect.get("xfail"),
            )
        )
    return out


def load_old(url: str, kind: Kind) -> None:
    """The database before: ``old.sql``, statement by statement."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in pglast.split(kind.old_sql.read_text(encoding="utf-8")):
            conn.execute(statement)


def run(*args: str) -> tuple[int, str, str]:
    """``schemadoc ARGS`` in-process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def plan_sql(url: str, kind: Kind, *, allowed: bool = True) -> tuple[int, str, str]:
    """``schemadoc plan --format sql`` of the kind's document against ``url``. Not proven here:
    ``apply`` proves the same plan before it runs it, and each proof builds two scratch databases."""
    flags = kind.allow_flags if allowed else []
    return run("plan", str(kind.doc), "--database-url", url, "--format", "sql", "--no-prove", *flags)


# What the catalogs hold for the user's objects, besides rows: enough to see that a refused or
# blocked plan changed nothing (relfilenode changes when a table is rewritten).
_SNAPSHOT = {
    "relations": "SELECT n.nspname, c.relname, c.relkind, c.relfilenode, c.relrowsecurity, c.relacl::text,"
    " obj_description(c.oid, 'pg_class') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1, 2",
    "columns": "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
    " pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum) FROM pg_attribute a"
    " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND a.attnum > 0"
    " AND NOT a.attisdropped ORDER BY 1, 2",
    "constraints": "SELECT conrelid::regclass::text, contypid::regtype::text, conname, convalidated,"
    " pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace <> 'pg_catalog'::regnamespace"
    " ORDER BY 1, 2, 3",
    "indexes": "SELECT indexrelid::regclass::text, indisvalid, pg_get_indexdef(indexrelid) FROM pg_index"
    " WHERE indrelid >= 16384 ORDER BY 1",
    "types": "SELECT t.typname, t.typtype, e.enumsortorder, e.enumlabel FROM pg_type t"
    " LEFT JOIN pg_enum e ON e.enumtypid = t.oid WHERE t.oid >= 16384 AND t.typtype IN ('e', 'd')"
    " ORDER BY 1, 3",
    "routines": "SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid) FROM pg_proc p"
    " WHERE p.pronamespace = 'public'::regnamespace AND p.prokind <> 'a' ORDER BY 1",
    "views": "SELECT c.oid::regclass::text, pg_get_viewdef(c.oid) FROM pg_class c"
    " WHERE c.relkind = 'v' AND c.relnamespace = 'public'::regnamespace ORDER BY 1",
    "triggers": "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
    "policies": "SELECT tablename, policyname, cmd, qual FROM pg_policies ORDER BY 1, 2",
    "sequences": "SELECT schemaname, sequencename, start_value, increment_by FROM pg_sequences ORDER BY 1, 2",
    "schemas": "SELECT nspname FROM pg_namespace ORDER BY 1",
    "extensions": "SELECT extname FROM pg_extension ORDER BY 1",
}


def catalog_snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        return {name: conn.execute(query).fetchall() for name, query in _SNAPSHOT.items()}
