"""Rewrite ``expected.sql`` of the plan fixtures (tests/fixtures/plan_kinds) from the current code.

Usage: python scripts/regen_plan_fixtures.py --database-url URL [KIND ...]

URL names a maintenance database (``postgres``) of a server where databases may be created
(``SCHEMADOC_TEST_DATABASE_URL`` when the option is left out). For each kind a fresh database
gets ``old.sql``, and ``expected.sql`` becomes what ``schemadoc plan --format sql`` prints for
``doc.md`` against it (with the hazards ``expect.json`` allows). Run it on purpose, after a
change meant to alter the plans, and read the diff before committing it. A kind whose exit code
is not the one its ``expect.json`` implies is reported and left alone; so is a kind marked as
a known bug (``xfail``) unless it is named.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]  # this checkout's code, not an installed one

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from schemadoc.pg.connect import with_database  # noqa: E402

from plan_kinds_support import Kind, kinds, load_old, plan_sql  # noqa: E402


def _regen(server_url: str, kind: Kind) -> str | None:
    """The plan script of ``kind``, or None (and a message) when it exits otherwise than expected."""
    name = f"sdregen_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = with_database(server_url, name)
        load_old(url, kind)
        code, script, err = plan_sql(url, kind)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    want = 1 if kind.blocked else 0
    if code != want:
        print(f"{kind.name}: not rewritten (exit {code}, expected {want})\n{err}", file=sys.stderr)
        return None
    return script


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("SCHEMADOC_TEST_DATABASE_URL"))
    parser.add_argument("kinds", nargs="*")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or SCHEMADOC_TEST_DATABASE_URL) is required")
    chosen = [k for k in kinds() if not args.kinds or k.name in args.kinds]
    unknown = set(args.kinds) - {k.name for k in chosen}
    if unknown:
        print(f"no such plan fixture: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    status = 0
    for kind in chosen:
        if kind.xfail and kind.name not in args.kinds:
            print(f"{kind.name}: left alone, a known bug (name it to rewrite it): {kind.xfail}")
            continue
        script = _regen(args.database_url, kind)
        if script is None:
            status = 1
            continue
        changed = not kind.expected.exists() or kind.expected.read_text(encoding="utf-8") != script
        kind.expected.write_text(script, encoding="utf-8")
        print(f"{kind.expected.relative_to(ROOT)}: {'rewritten' if changed else 'unchanged'}")
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
