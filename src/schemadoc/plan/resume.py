"""Picking up after an interrupted apply.

A ``CREATE INDEX CONCURRENTLY`` that is cancelled, or whose session dies, leaves its index
behind marked INVALID: it serves no query, but the catalogs list it, so a comparison with the
document would find the index present and plan nothing for it. Before ``apply`` plans again,
such indexes on the document's tables are dropped (CONCURRENTLY, through the same online
runner), so that the plan builds them afresh. An index that another session is building at
this moment is INVALID too, and left alone.

A run stopped between a constraint's ``NOT VALID`` step and its ``VALIDATE`` step leaves the
constraint unvalidated; the comparison does not tell the two apart, so ``apply`` validates such
constraints on the document's tables after the plan's steps (those the plan kept).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import psycopg

from schemadoc.compare.changes import Hazard, Lock, Step
from schemadoc.model import QName
from schemadoc.sqlnames import quote_ident, quote_qualified

__all__ = ["drop_index_steps", "invalid_indexes", "unvalidated_constraints", "validate_steps"]

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


_NOT_VALID_QUERY = """
SELECT n.nspname, t.relname, c.conname
FROM pg_catalog.pg_constraint c
JOIN pg_catalog.pg_class t ON t.oid = c.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
WHERE NOT c.convalidated AND c.contype IN ('f', 'c')
ORDER BY 1, 2, 3
"""


def unvalidated_constraints(
    conn: psycopg.Connection[Any], tables: Collection[QName] | None = None
) -> list[tuple[QName, str]]:
    """Foreign keys and CHECKs added NOT VALID and never validated (on ``tables`` only, when
    given), as (table, constraint name), sorted. A run stopped between a constraint's NOT VALID
    step and its VALIDATE step leaves one; the comparison does not tell a validated constraint
    from one that is not, so ``apply`` validates those the plan keeps."""
    rows = conn.execute(_NOT_VALID_QUERY).fetchall()
    found = [(QName(str(schema), str(table)), str(name)) for schema, table, name in rows]
    return [(table, name) for table, name in found if tables is None or table in tables]


def validate_steps(constraints: Sequence[tuple[QName, str]]) -> list[Step]:
    """One ``VALIDATE CONSTRAINT`` step for each of ``constraints``: it scans the table under a
    SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on."""
    return [
        Step(
            f"ALTER TABLE {quote_qualified(table)} VALIDATE CONSTRAINT {quote_ident(name)}",
            lock=Lock.SHARE_UPDATE_EXCLUSIVE,
            table=table,
            hazards=frozenset({Hazard.CAN_FAIL_ON_DATA}),
        )
        for table, name in constraints
    ]
