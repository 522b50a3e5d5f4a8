"""ALTER and DROP statements that bring an existing table, its constraints and its indexes to
the document: one small function per statement form, each returning one statement's SQL
(no trailing semicolon). Types, defaults and expressions are PostgreSQL's own text, as the
catalogs print them; identifiers are quoted here."""

from __future__ import annotations

from schemadoc import sequence_options
from schemadoc.model import Column, Index, QName
from schemadoc.sqlnames import quote_ident, quote_literal, quote_qualified
from schemadoc.write.ddl_tables import collation_name, column_definition

NAME_BYTES = 63  # PostgreSQL's identifier length limit (NAMEDATALEN - 1)


def fitted_name(base: str, suffix: str) -> str:
    """``base_suffix`` cut to PostgreSQL's identifier length, cutting ``base`` (as PostgreSQL
    does when it makes up a name), never in the middle of a character."""
    room = NAME_BYTES - len(suffix.encode()) - 1
    cut = base.encode()[:room].decode(errors="ignore")
    return f"{cut}_{suffix}"


def alter_table(table: QName, *actions: str) -> str:
    """``ALTER TABLE table action, action...``: the actions run in one statement, under one lock."""
    return f"ALTER TABLE {quote_qualified(table)} " + ", ".join(actions)


def add_column(column: Column) -> str:
    return f"ADD COLUMN {column_definition(column)}"


def drop_column(name: str) -> str:
    return f"DROP COLUMN {quote_ident(name)}"


def alter_column(name: str, what: str) -> str:
    return f"ALTER COLUMN {quote_ident(name)} {what}"


def set_data_type(column: Column, *, using: bool = True) -> str:
    """``SET DATA TYPE type [COLLATE c] [USING col::type]`` for ``column``'s type and
    collation. Without ``using`` PostgreSQL converts with the assignment cast, which refuses
    a value too long for ``varchar(n)`` where the explicit cast would cut it."""
    text = f"SET DATA TYPE {column.type}"
    if column.collation:
        text += f" COLLATE {collation_name(column.collation)}"
    if using:
        text += f" USING {quote_ident(column.name)}::{column.type}"
    return alter_column(column.name, text)


def set_collation(column: Column) -> str:
    """The same type under ``column``'s collation (the default collation when it has none)."""
    collation = collation_name(column.collation) if column.collation else '"default"'
    return alter_column(column.name, f"SET DATA TYPE {column.type} COLLATE {collation}")


def set_default(column: Column) -> str:
    if column.default is None:
        return alter_column(column.name, "DROP DEFAULT")
    return alter_column(column.name, f"SET DEFAULT {column.default}")


def set_identity(column: Column, had_identity: bool) -> str:
    """Make the column's identity what ``column`` says: add, change or drop it."""
    if column.identity is None:
        return alter_column(column.name, "DROP IDENTITY")
    if had_identity:
        return alter_column(column.name, f"SET GENERATED {column.identity}")
    options = sequence_options.clause(column.identity_options).strip()
    suffix = f" ({options})" if options else ""
    return alter_column(column.name, f"ADD GENERATED {column.identity} AS IDENTITY{suffix}")


def identity_restart(table: QName, column: str, start: int = 1) -> str:
    """Move a new (ascending) identity's sequence past the values the column already holds, or
    to its ``start`` when that is further."""
    sequence = (
        f"pg_catalog.pg_get_serial_sequence({quote_literal(quote_qualified(table))}, {quote_literal(column)})"
    )
    return (
        f"SELECT pg_catalog.setval({sequence}, "
        f"greatest(coalesce(max({quote_ident(column)}) + 1, {int(start)}), {int(start)}), false) "
        f"FROM {quote_qualified(table)}"
    )


def add_constraint(clause: str, *, not_valid: bool = False) -> str:
    """``ADD clause`` (a clause of :mod:`schemadoc.write.ddl_tables`, with its CONSTRAINT name)."""
    return f"ADD {clause}" + (" NOT VALID" if not_valid else "")


def add_constraint_using_index(name: str, kind: str, index_name: str) -> str:
    """``ADD CONSTRAINT name UNIQUE|PRIMARY KEY USING INDEX index`` (the index takes the
    constraint's name)."""
    return f"ADD CONSTRAINT {quote_ident(name)} {kind} USING INDEX {quote_ident(index_name)}"


def validate_constraint(name: str) -> str:
    return f"VALIDATE CONSTRAINT {quote_ident(name)}"


def drop_constraint(name: str, *, if_exists: bool = False) -> str:
    return f"DROP CONSTRAINT {'IF EXISTS ' if if_exists else ''}{quote_ident(name)}"


def not_null_check(column: str) -> str:
    """The CHECK expression that stands in for NOT NULL while it is validated online."""
    return f"{quote_ident(column)} IS NOT NULL"


def row_security(enabled: bool) -> str:
    return f"{'ENABLE' if enabled else 'DISABLE'} ROW LEVEL SECURITY"


def row_security_forced(forced: bool) -> str:
    return f"{'' if forced else 'NO '}FORCE ROW LEVEL SECURITY"


def drop_table(table: QName) -> str:
    return f"DROP TABLE {quote_qualified(table)}"


def drop_index(index: QName, *, concurrently: bool = True) -> str:
    return f"DROP INDEX {'CONCURRENTLY ' if concurrently else ''}{quote_qualified(index)}"


def rename_index(index: QName, new_name: str) -> str:
    return f"ALTER INDEX {quote_qualified(index)} RENAME TO {quote_ident(new_name)}"


def unique_index(table: QName, name: str, columns: tuple[str, ...], nulls_not_distinct: bool) -> Index:
    """The plain unique btree index that a UNIQUE or PRIMARY KEY constraint is built on."""
    return Index(
        table.schema,
        name,
        table,
        tuple(quote_ident(c) for c in columns),
        unique=True,
        nulls_not_distinct=nulls_not_distinct,
    )
