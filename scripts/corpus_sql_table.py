"""A per-file table of how the corpus SQL files read, build and verify.

Usage: python scripts/corpus_sql_table.py [--corpus DIR] [--database-url URL ...] [--embedded]

For every file in ``corpus/sql``, wrapped in one ```sql fence as a document:

* what ``check`` reads: tables, columns, indexes, constraints, views, functions, triggers and
  policies (a number in parentheses is the catalog's count after the raw load, where they differ),
  with the time ``check`` takes;
* on each server (each ``--database-url``, and the embedded server with ``--embedded``): the file
  loaded as it is into one database (the set-up the corpus index names: no psql meta-commands,
  database statements or owner changes), the catalog counts of that load, ``up --structure`` of
  the document into another database (exit code and time) and ``verify --structure`` of the
  document against the raw load (the number of drift errors).

Prints a markdown table. A developer script: it creates and drops its own databases, and writes
no files.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from pglast.parser import ParseError
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]  # this checkout's code, not an installed one

from schemadoc.cli import main as cli  # noqa: E402
from schemadoc.diagnostics import SchemadocError  # noqa: E402
from schemadoc.pg.connect import with_database  # noqa: E402
from schemadoc.read import read_documents  # noqa: E402

from corpus_support import load_raw  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
KINDS = ("tables", "columns", "indexes", "constraints", "views", "functions", "triggers", "policies")

# Catalog counts of what a load created, outside the system schemas and extensions.
_USER_NAMESPACE = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%'"
)
_NOT_EXTENSION = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"
_CATALOG_COUNTS = {
    "tables": f"SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    f"WHERE c.relkind IN ('r', 'p') AND {_USER_NAMESPACE} AND {_NOT_EXTENSION.format(oid='c.oid')}",
    "columns": f"SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 "
    f"AND NOT a.attisdropped AND {_USER_NAMESPACE} AND {_NOT_EXTENSION.format(oid='c.oid')}",
    "indexes": f"SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER_NAMESPACE} "
    f"AND {_NOT_EXTENSION.format(oid='i.indrelid')} "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p','u','x'))",
    "constraints": f"SELECT count(*) FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace "
    f"WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND k.conrelid <> 0 AND {_USER_NAMESPACE} "
    f"AND {_NOT_EXTENSION.format(oid='k.conrelid')}",
    "views": f"SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    f"WHERE c.relkind IN ('v', 'm') AND {_USER_NAMESPACE} AND {_NOT_EXTENSION.format(oid='c.oid')}",
    "functions": f"SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    f"WHERE p.prokind IN ('f', 'p') AND {_USER_NAMESPACE} AND {_NOT_EXTENSION.format(oid='p.oid')}",
    "triggers": "SELECT count(*) FROM pg_trigger t WHERE NOT t.tgisinternal",
    "policies": "SELECT count(*) FROM pg_policy",
}


@dataclass
class Server:
    label: str
    url: str


@dataclass
class OnServer:
    loaded: str  # "ok" or why the raw load failed
    catalog: dict[str, int]
    up: str  # "ok 1.2 s" / "exit 1"
    drift: str  # number of drift errors, or "-"


def document_for(path: Path, folder: Path) -> Path:
    doc = folder / f"{path.name}.md"
    doc.write_text("```sql\n" + path.read_text(encoding="utf-8") + "\n```\n", encoding="utf-8")
    return doc


def read_counts(doc: Path) -> tuple[dict[str, int], float, str]:
    """What the document reads to, and the time ``schemadoc check`` takes on it (in this process)."""
    start = time.perf_counter()
    _quiet(["check", str(doc)])
    seconds = time.perf_counter() - start
    try:
        schema, _ = read_documents([doc])
    except SchemadocError as exc:
        return {}, seconds, exc.diagnostic.code
    counts = schema.counts()
    counts["policies"] = len(schema.policies)
    return counts, seconds, ""


def _quiet(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli(args)
    return code, out.getvalue()


@contextlib.contextmanager
def database(server: Server) -> Iterator[str]:
    name = f"sdtable_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(server.url, name)
    finally:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def on_server(path: Path, doc: Path, server: Server) -> OnServer:
    with database(server) as raw, database(server) as built:
        try:
            load_raw(raw, path)
        except (psycopg.Error, ParseError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return OnServer(f"raw load fails: {first[:70]}", {}, "-", "-")
        with psycopg.connect(raw) as conn:
            catalog = {k: int(conn.execute(q.encode()).fetchone()[0]) for k, q in _CATALOG_COUNTS.items()}  # type: ignore[index]
        start = time.perf_counter()
        up_code, _ = _quiet(["up", str(doc), "--structure", "--database-url", built])
        up = f"ok {time.perf_counter() - start:.1f} s" if up_code == 0 else f"exit {up_code}"
        if up_code != 0:
            return OnServer("ok", catalog, up, "-")
        _, out = _quiet(["verify", str(doc), "--structure", "--format", "json", "--database-url", raw])
        diags = json.loads(out)["diagnostics"] if out.strip() else []
        drift = sum(1 for d in diags if d["level"] == "error")
        return OnServer("ok", catalog, up, str(drift))


def _cell(read: dict[str, int], catalog: dict[str, int]) -> str:
    if not catalog:
        return "/".join(str(read.get(k, 0)) for k in KINDS)
    parts = []
    for k in KINDS:
        r, c = read.get(k, 0), catalog.get(k, 0)
        parts.append(str(r) if r == c else f"{r}({c})")
    return "/".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--database-url", action="append", default=[])
    parser.add_argument("--embedded", action="store_true", help="also run on the embedded server")
    args = parser.parse_args()
    folder = args.corpus / "sql"
    if not folder.is_dir():
        print(f"no corpus SQL under {folder}", file=sys.stderr)
        return 2
    servers = [Server(f"server {i + 1}", url) for i, url in enumerate(args.database_url or [DEFAULT_URL])]
    embedded = None
    with contextlib.ExitStack() as stack:
        if args.embedded:
            from schemadoc.pg.server import EmbeddedServer

            embedded = EmbeddedServer(Path(stack.enter_context(tempfile.TemporaryDirectory())) / "server")
            embedded.start()
            stack.callback(embedded.stop)
            servers.append(Server("embedded", embedded.url("postgres")))
        for server in servers:
            with psycopg.connect(server.url) as conn:
                server.label = f"PG {conn.info.server_version // 10000}"
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        head = ["file", "read tab/col/idx/con/view/fn/trg/pol (catalog on first server)", "check"]
        for server in servers:
            head += [f"raw load {server.label}", f"up {server.label}", f"drift {server.label}"]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for path in sorted(folder.iterdir()):
            doc = document_for(path, tmp)
            counts, seconds, fatal = read_counts(doc)
            results = [on_server(path, doc, server) for server in servers]
            catalog = next((r.catalog for r in results if r.catalog), {})
            row = [path.name[:60], fatal or _cell(counts, catalog), f"{seconds:.2f} s"]
            for r in results:
                row += [r.loaded, r.up, r.drift]
            print("| " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
