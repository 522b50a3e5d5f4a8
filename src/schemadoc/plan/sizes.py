"""Row estimates and sizes of the tables plan steps lock, from the catalogs (no table is scanned)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg

from schemadoc.model import QName
from schemadoc.plan.model import TableSize

_SIZES = """
SELECT n.nspname, c.relname, c.reltuples::float8, pg_catalog.pg_total_relation_size(c.oid)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN unnest(%s::text[], %s::text[]) AS wanted(nspname, relname)
  ON wanted.nspname = n.nspname AND wanted.relname = c.relname
WHERE c.relkind IN ('r', 'p', 'm')
ORDER BY 1, 2
"""


def table_sizes(conn: psycopg.Connection[Any], tables: Iterable[QName]) -> list[TableSize]:
    """The sizes of those of ``tables`` that exist, sorted by name. ``rows`` is None for a table
    never analyzed (reltuples -1); a partitioned table counts its partitions' rows."""
    wanted = sorted(set(tables))
    if not wanted:
        return []
    rows = conn.execute(_SIZES, ([q.schema for q in wanted], [q.name for q in wanted])).fetchall()
    out: list[TableSize] = []
    for schema, name, reltuples, size in rows:
        estimate = None if reltuples is None or reltuples < 0 else round(reltuples)
        out.append(TableSize(QName(schema, name), estimate, int(size or 0)))
    return out
