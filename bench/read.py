"""Read a generated 2,000-table document and compare with pglast's raw parse of its SQL.

Usage: python bench/read.py [--tables N]

Prints the time schemadoc takes to read the document into a Schema (markdown walk, SQL
reading, resolution) and its ratio to `pglast.parser.parse_sql_json` on the same SQL text,
measured in the same run. Target: under 1 s for 2,000 tables on a 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from pglast.parser import parse_sql_json

from schemadoc.read import read_documents


def table_sql(i: int) -> str:
    parent = f"t{i - 1:04d}" if i else None
    fk = f",\n    parent_id bigint REFERENCES {parent}(id) ON DELETE CASCADE" if parent else ""
    return (
        f"CREATE TABLE t{i:04d} (\n"
        f"    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
        f"    name text NOT NULL UNIQUE,\n"
        f"    status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'done')),\n"
        f"    amount numeric(12,2) CHECK (amount >= 0),\n"
        f"    created_at timestamptz NOT NULL DEFAULT now(){fk}\n"
        f");\n"
        f"CREATE INDEX t{i:04d}_created_idx ON t{i:04d} (created_at DESC);\n"
    )


def make_document(n: int) -> tuple[str, str]:
    parts = ["# Generated schema\n"]
    sqls = []
    for i in range(n):
        body = table_sql(i)
        sqls.append(body)
        parts.append(f"\n## t{i:04d}\n\nTable number {i}.\n\n```sql\n{body}```\n")
    return "".join(parts), "".join(sqls)


def best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    doc, sql = make_document(args.tables)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.md"
        path.write_text(doc)
        result: dict[str, object] = {}

        def read() -> None:
            schema, diags = read_documents([path])
            result["tables"] = len(schema.tables)
            result["errors"] = sum(d.level == "error" for d in diags)

        baseline = best(lambda: parse_sql_json(sql), args.repeat)
        ours = best(read, args.repeat)
    print(f"document: {args.tables} tables, {len(doc):,} bytes; read {result['tables']} tables, {result['errors']} errors")
    print(f"pglast parse_sql_json (baseline): {baseline:.3f} s")
    print(f"schemadoc read_documents:         {ours:.3f} s")
    print(f"ratio schemadoc/baseline:         {ours / baseline:.1f}x")
    print(f"target under 1 s: {'met' if ours < 1.0 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
