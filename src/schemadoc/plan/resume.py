"""Picking up after an interrupted apply.

A ``CREATE INDEX CONCURRENTLY`` that is cancelled, or whose session dies, leaves its index
behind marked INVALID: it serves no query, but the catalogs list it, so a comparison with the
document would find the index present and plan nothing for it. Before ``apply`` plans again,
such indexes on the document's tables are dropped (CONCURRENTLY, through the same online
runner), so that the plan builds them afresh. An index that another session is building at
this moment is INVALID too, and left alone.

A run stopped between a constraint's ``NOT VALID`` step and its ``VALIDATE`` step needs nothing
here: the comparison reads ``convalidated``, and planning again validates the constraint
(:class:`~schemadoc.compare.constraints.ValidateCheck`,
:class:`~schemadoc.compare.foreign_keys.ValidateForeignKey`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import psycopg

from schemadoc.compare.changes import Lock, Step
from schemadoc.model import QName
from schemadoc.sqlnames import quote_qualified

__all__ = ["drop_index_steps", "invalid_indexes"]

_INVALID_QUERY = """
SELECT n.nspname, c.relname, tn.nspname, t.relname
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
WHERE NOT i.indisvalid
  AND c.relkind = 'i'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%'
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_stat_progress_create_index p
                  WHERE p.index_relid = i.indexrelid)
ORDER BY 1, 2
"""


def invalid_indexes(conn: psycopg.Connection[Any], tables: Collection[QName] | None = None) -> list[QName]:
    """INVALID indexes of the connected database that no session is building right now (on
    ``tables`` only, when given), sorted. Partitioned indexes, which are INVALID while a
    partition lacks its index, are not listed: they cannot be dropped CONCURRENTLY."""
    rows = conn.execute(_INVALID_QUERY).fetchall()
    return [
        QName(str(schema), str(name))
        for schema, name, table_schema, table_name in rows
        if tables is None or QName(str(table_schema), str(table_name)) in tables
    ]


def drop_index_steps(indexes: Sequence[QName]) -> list[Step]:
    """One ``DROP INDEX CONCURRENTLY`` step for each of ``indexes``."""
    return [
        Step(
            f"DROP INDEX CONCURRENTLY IF EXISTS {quote_qualified(index)}",
            lock=Lock.SHARE_UPDATE_EXCLUSIVE,
            transactional=False,
        )
        for index in indexes
    ]
