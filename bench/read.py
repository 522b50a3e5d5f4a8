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
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pglast.parser import parse_sql_json

from schemadoc.read import read_documents

sys.path.insert(0, str(Path(__file__).resolve().parent))
from schema_gen import generated_markdown, generated_sql

T = TypeVar("T")


def make_document(n: int) -> tuple[str, str]:
    return generated_markdown(n), generated_sql(n)


def best(fn: Callable[[], T], repeat: int) -> tuple[float, T | None]:
    """The shortest of ``repeat`` timed calls, and what the last call returned. The result is kept
    past the timing, so that freeing it is not counted as part of the call."""
    times = []
    kept: T | None = None
    for _ in range(repeat):
        kept = None
        start = time.perf_counter()
        kept = fn()
        times.append(time.perf_counter() - start)
    return min(times), kept


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5, help="runs of each; the best is reported")
    args = ap.parse_args()
    doc, sql = make_document(args.tables)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.md"
        path.write_text(doc)
        baseline, _ = best(lambda: parse_sql_json(sql), args.repeat)
        ours, last = best(lambda: read_documents([path]), args.repeat)
    assert last is not None
    schema, diags = last
    errors = sum(d.level == "error" for d in diags)
    print(
        f"document: {args.tables} tables, {len(doc):,} bytes; read {len(schema.tables)} tables, {errors} errors"
    )
    print(f"pglast parse_sql_json (baseline): {baseline:.3f} s")
    print(f"schemadoc read_documents:         {ours:.3f} s")
    print(f"ratio schemadoc/baseline:         {ours / baseline:.1f}x")
    print(f"target under 1 s: {'met' if ours < 1.0 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
