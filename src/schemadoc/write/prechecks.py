"""The SELECT statements of data pre-checks: the rows of a live table that would make a step
fail (NULLs under a new NOT NULL, duplicates under a new UNIQUE, orphans under a new foreign
key, rows a new CHECK refuses). Each check is a pair: one statement that counts the rows and
one that lists them (at most :data:`LIST_LIMIT`). Identifiers are quoted here; expressions
are PostgreSQL's own text."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from schemadoc.model import ForeignKey, QName
from schemadoc.sqlnames import quote_ident, quote_qualified

LIST_LIMIT = 100


def rows_where(table: QName, condition: str) -> tuple[str, str]:
    """Rows of ``table`` for which ``condition`` (SQL over its columns) is true."""
    name = quote_qualified(table)
    return (
        f"SELECT count(*) FROM {name} WHERE {condition}",
        f"SELECT * FROM {name} WHERE {condition} LIMIT {LIST_LIMIT}",
    )


def any_rows(table: QName) -> tuple[str, str]:
    name = quote_qualified(table)
    return f"SELECT count(*) FROM {name}", f"SELECT * FROM {name} LIMIT {LIST_LIMIT}"


def null_rows(table: QName, columns: Sequence[str]) -> tuple[str, str]:
    """Rows with a NULL in any of ``columns``."""
    return rows_where(table, " OR ".join(f"{quote_ident(c)} IS NULL" for c in columns))


def check_refused(table: QName, expression: str) -> tuple[str, str]:
    """Rows a CHECK refuses: its expression is false (NULL passes a CHECK)."""
    return rows_where(table, f"({expression}) IS FALSE")


def duplicates(
    table: QName, keys: Sequence[str], *, nulls_not_distinct: bool = False, where: str | None = None
) -> tuple[str, str]:
    """Rows that share their ``keys`` (column names quoted, or expressions in parentheses)
    with another row. With NULLS DISTINCT a row with a NULL key is never a duplicate;
    ``where``: only the rows a partial index covers."""
    name = quote_qualified(table)
    conditions = [] if nulls_not_distinct else [f"{k} IS NOT NULL" for k in keys]
    if where:
        conditions.append(f"({where})")
    filtered = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    listed = ", ".join(keys)
    return (
        f"SELECT count(*) FROM (SELECT count(*) OVER (PARTITION BY {listed}) AS copies "
        f"FROM {name}{filtered}) AS d WHERE d.copies > 1",
        f"SELECT {listed}, count(*) AS copies FROM {name}{filtered} GROUP BY {listed} "
        f"HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT {LIST_LIMIT}",
    )


def orphans(table: QName, fk: ForeignKey) -> tuple[str, str]:
    """Rows whose foreign key has no row in the referenced table. MATCH SIMPLE: a row with
    any NULL in the key is not checked; MATCH FULL: all NULL or none."""
    child = [f"c.{quote_ident(c)}" for c in fk.columns]
    joined = " AND ".join(f"p.{quote_ident(r)} = {c}" for r, c in zip(fk.ref_columns, child, strict=True))
    missing = f"NOT EXISTS (SELECT FROM {quote_qualified(fk.ref_table)} AS p WHERE {joined})"
    listed = ", ".join(child)
    if fk.match_full:
        condition = f"num_nonnulls({listed}) > 0 AND (num_nulls({listed}) > 0 OR {missing})"
    else:
        condition = " AND ".join([*(f"{c} IS NOT NULL" for c in child), missing])
    name = quote_qualified(table)
    return (
        f"SELECT count(*) FROM {name} AS c WHERE {condition}",
        f"SELECT c.* FROM {name} AS c WHERE {condition} LIMIT {LIST_LIMIT}",
    )


def conflicts(table: QName, elements: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """Rows that conflict with another row under an exclusion constraint whose elements are
    plain columns: ``elements`` are (column, operator) pairs."""
    test = " AND ".join(f"a.{quote_ident(c)} {op} b.{quote_ident(c)}" for c, op in elements)
    name = quote_qualified(table)
    condition = f"EXISTS (SELECT FROM {name} AS b WHERE a.ctid <> b.ctid AND {test})"
    return (
        f"SELECT count(*) FROM {name} AS a WHERE {condition}",
        f"SELECT a.* FROM {name} AS a WHERE {condition} LIMIT {LIST_LIMIT}",
    )


def _union_of_columns(
    columns: Sequence[tuple[QName, str]], condition: Callable[[str], str]
) -> tuple[str, str]:
    """Values in any of ``columns`` (table, column) for which ``condition`` (given the column,
    of the row aliased ``t``) is true. The listing names each row by its table and ctid."""
    counts: list[str] = []
    lists: list[str] = []
    for table, column in columns:
        col = f"t.{quote_ident(column)}"
        where = condition(col)
        name = quote_qualified(table)
        counts.append(f"(SELECT count(*) FROM {name} AS t WHERE {where})")
        lists.append(
            f"(SELECT t.tableoid::pg_catalog.regclass AS table_name, t.ctid, {col}::text AS value"
            f" FROM {name} AS t WHERE {where} LIMIT {LIST_LIMIT})"
        )
    union = " UNION ALL ".join(lists)
    return f"SELECT {' + '.join(counts)}", f"SELECT * FROM ({union}) AS found LIMIT {LIST_LIMIT}"


def domain_check_refused(columns: Sequence[tuple[QName, str]], check: str) -> tuple[str, str]:
    """Values of the columns of a domain's type that a new CHECK of the domain refuses:
    ``check`` (PostgreSQL's text, over ``VALUE``) is false for them. ``VALUE`` is the column
    of a one-row subquery, so the expression is used as PostgreSQL printed it."""
    return _union_of_columns(
        columns, lambda col: f"(SELECT ({check}) FROM (SELECT {col} AS value) AS v) IS FALSE"
    )


def domain_nulls(columns: Sequence[tuple[QName, str]]) -> tuple[str, str]:
    """NULLs in the columns of a domain's type (SET NOT NULL on the domain refuses them)."""
    return _union_of_columns(columns, lambda col: f"{col} IS NULL")
