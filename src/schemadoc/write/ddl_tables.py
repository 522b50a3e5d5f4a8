"""DDL for types, sequences, tables, their constraints and indexes."""

from __future__ import annotations

from collections.abc import Callable

from schemadoc import sequence_options
from schemadoc.model import (
    Check,
    Column,
    Domain,
    Enum,
    Exclusion,
    ForeignKey,
    Index,
    PrimaryKey,
    QName,
    Schema,
    Span,
    Table,
    Unique,
)
from schemadoc.model import Sequence as SequenceDef
from schemadoc.sqlnames import quote_ident, quote_literal, quote_qualified
from schemadoc.write.order import topo_sort
from schemadoc.write.statement import Part, Statement

_INDENT = "    "


def column_list(columns: tuple[str, ...]) -> str:
    return ", ".join(quote_ident(c) for c in columns)


def collation_name(name: str) -> str:
    """A collation as the document or the catalog wrote it: ``"C"``, ``de_DE``, ``pg_catalog."C"``."""
    if name.startswith('"') or '"' in name:
        return name
    schema, dot, bare = name.partition(".")
    return f"{quote_ident(schema)}.{quote_ident(bare)}" if dot else quote_ident(name)


def enum_statement(enum: Enum) -> Statement:
    labels = ", ".join(quote_literal(label) for label in enum.labels)
    return Statement(f"CREATE TYPE {quote_qualified(enum.qname)} AS ENUM ({labels})", enum.span, "type")


def domain_statement(domain: Domain) -> Statement:
    parts = [f"CREATE DOMAIN {quote_qualified(domain.qname)} AS {domain.base_type}"]
    if domain.default is not None:
        parts.append(f"DEFAULT {domain.default}")
    if not domain.nullable:
        parts.append("NOT NULL")
    parts.extend(f"CHECK ({check})" for check in domain.checks)
    text = " ".join(parts)
    if domain.extension is not None:
        text = f"-- stand-in for the {domain.extension} extension's type {stub_name(domain.qname)}\n" + text
    elif domain.stub:
        text = (
            f"-- stand-in for {stub_name(domain.qname)}: the document uses it but never defines it\n" + text
        )
    return Statement(text, domain.span, "type")


def stub_name(qname: QName) -> str:
    """A name on one comment line."""
    return " ".join(str(qname).splitlines())


def sequence_statement(seq: SequenceDef) -> Statement:
    text = f"CREATE SEQUENCE {quote_qualified(seq.qname)}"
    if seq.data_type != "bigint":
        text += f" AS {seq.data_type}"
    return Statement(text + sequence_options.clause(seq.options), seq.span, "sequence")


def sequence_options_statement(seq: SequenceDef, names: list[str]) -> Statement:
    """ALTER SEQUENCE setting the options ``names`` to the values ``seq`` gives them."""
    options = sequence_options.values_of(seq.data_type, seq.options, names)
    text = f"ALTER SEQUENCE {quote_qualified(seq.qname)}{sequence_options.clause(options)}"
    return Statement(text, seq.span, "sequence")


def drop_sequence_statement(seq: SequenceDef) -> Statement:
    return Statement(f"DROP SEQUENCE {quote_qualified(seq.qname)}", seq.span, "sequence")


def sequence_type_statement(seq: SequenceDef) -> Statement:
    """ALTER SEQUENCE ... AS: the data type (and with it the default bounds)."""
    return Statement(f"ALTER SEQUENCE {quote_qualified(seq.qname)} AS {seq.data_type}", seq.span, "sequence")


def sequence_unowned_statement(seq: SequenceDef) -> Statement:
    return Statement(f"ALTER SEQUENCE {quote_qualified(seq.qname)} OWNED BY NONE", seq.span, "sequence")


def sequence_owner_statement(seq: SequenceDef) -> Statement | None:
    if not seq.owned_by:
        return None
    table, column = seq.owned_by
    owner = f"{quote_qualified(table)}.{quote_ident(column)}"
    return Statement(f"ALTER SEQUENCE {quote_qualified(seq.qname)} OWNED BY {owner}", seq.span, "sequence")


def column_definition(col: Column) -> str:
    parts = [quote_ident(col.name), col.type]
    if col.collation:
        parts.append(f"COLLATE {collation_name(col.collation)}")
    if col.identity:
        options = sequence_options.clause(col.identity_options).strip()
        parts.append(f"GENERATED {col.identity} AS IDENTITY" + (f" ({options})" if options else ""))
    elif col.generated is not None:
        parts.append(f"GENERATED ALWAYS AS ({col.generated}) STORED")
    elif col.default is not None:
        parts.append(f"DEFAULT {col.default}")
    if not col.nullable:
        parts.append("NOT NULL")
    return " ".join(parts)


def _named(name: str | None, text: str) -> str:
    return f"CONSTRAINT {quote_ident(name)} {text}" if name else text


def primary_key_clause(pk: PrimaryKey) -> str:
    return _named(pk.name, f"PRIMARY KEY ({column_list(pk.columns)})")


def unique_clause(uq: Unique) -> str:
    nnd = " NULLS NOT DISTINCT" if uq.nulls_not_distinct else ""
    return _named(uq.name, f"UNIQUE{nnd} ({column_list(uq.columns)})")


def check_clause(check: Check) -> str:
    return _named(check.name, f"CHECK ({check.expression})")


def foreign_key_clause(fk: ForeignKey) -> str:
    text = f"FOREIGN KEY ({column_list(fk.columns)}) REFERENCES {quote_qualified(fk.ref_table)}"
    if fk.ref_columns:
        text += f" ({column_list(fk.ref_columns)})"
    if fk.match_full:
        text += " MATCH FULL"
    if fk.on_update != "NO ACTION":
        text += f" ON UPDATE {fk.on_update}"
    if fk.on_delete != "NO ACTION":
        text += f" ON DELETE {fk.on_delete}"
    if fk.deferrable:
        text += " DEFERRABLE"
        if fk.initially_deferred:
            text += " INITIALLY DEFERRED"
    return _named(fk.name, text)


def exclusion_clause(x: Exclusion) -> str:
    return _named(x.name, exclusion_body(x))


def exclusion_body(x: Exclusion) -> str:
    """An exclusion constraint without its name: ``EXCLUDE USING gist (...) ...``."""
    text = f"EXCLUDE USING {quote_ident(x.method)} ({', '.join(x.elements)})"
    if x.include:
        text += f" INCLUDE ({column_list(x.include)})"
    if x.where:
        text += f" WHERE ({x.where})"
    if x.deferrable:
        text += " DEFERRABLE"
        if x.initially_deferred:
            text += " INITIALLY DEFERRED"
    return text


def _sorted_uniques(table: Table) -> list[Unique]:
    return sorted(table.uniques, key=lambda u: (u.name or "", u.columns, u.nulls_not_distinct))


def _sorted_checks(table: Table) -> list[Check]:
    return sorted(table.checks, key=lambda c: (c.name or "", c.expression))


def sorted_foreign_keys(table: Table) -> list[ForeignKey]:
    return sorted(table.foreign_keys, key=lambda f: (f.name or "", f.columns, f.ref_table, f.ref_columns))


def _stub_line(table: Table) -> str:
    name = stub_name(table.qname)
    return f"-- stand-in for {name}: the document references it but never defines it\n"


def table_statement(table: Table, parent: Table | None) -> Statement:
    """CREATE TABLE with columns and the PRIMARY KEY, UNIQUE and CHECK constraints inline.

    A partition (``partition_of``) inherits its parent's columns and constraints; only
    constraints of its own are written. Each column definition and constraint is a
    :class:`Part` of the statement, so that an error PostgreSQL reports at a position
    points at the line that wrote it.
    """
    name = quote_qualified(table.qname)
    items: list[tuple[str, Span | None]] = []
    if table.partition_of is None:
        items.extend((column_definition(c), c.span) for c in table.columns)
    if table.primary_key and not (parent and parent.primary_key == table.primary_key):
        items.append((primary_key_clause(table.primary_key), table.primary_key.span))
    items.extend(
        (unique_clause(u), u.span) for u in _sorted_uniques(table) if not (parent and u in parent.uniques)
    )
    items.extend(
        (check_clause(c), c.span)
        for c in _sorted_checks(table)
        if c.validated and not (parent and c in parent.checks)
    )
    items.extend(
        (exclusion_clause(x), x.span)
        for x in sorted(table.exclusions, key=lambda x: (x.name or "", x.elements))
        if not (parent and x in parent.exclusions)
    )
    text = _stub_line(table) if table.stub else ""
    text += f"CREATE TABLE {name}"
    if table.partition_of is not None:
        text += f" PARTITION OF {quote_qualified(table.partition_of)}"
    parts: list[Part] = []
    if items:
        text += " (\n"
        for number, (item, span) in enumerate(items):
            text += _INDENT
            parts.append(Part(len(text), len(text) + len(item), span))
            text += item + (",\n" if number < len(items) - 1 else "\n")
        text += ")"
    elif table.partition_of is None:
        text += " ()"
    if table.partition_of is not None:
        text += f" {table.partition_bound or 'DEFAULT'}"
    elif table.inherits:
        text += f" INHERITS ({', '.join(quote_qualified(p) for p in table.inherits)})"
    if table.partition_by:
        text += f" PARTITION BY {table.partition_by}"
    return Statement(text, table.span, "table", tuple(parts))


def ordered_tables(schema: Schema) -> list[Table]:
    """Tables by qualified name, each partition or inheriting table after its parents."""
    keys = sorted(schema.tables)

    def parent_of(key: QName) -> list[QName]:
        table = schema.tables[key]
        return [*([table.partition_of] if table.partition_of else []), *table.inherits]

    return [schema.tables[k] for k in topo_sort(keys, parent_of)]


def not_valid_check_statements(table: Table, parent: Table | None) -> list[Statement]:
    """The table's CHECKs added NOT VALID, as the document has them: an ALTER TABLE each (CREATE
    TABLE would check them)."""
    return [
        Statement(
            f"ALTER TABLE {quote_qualified(table.qname)} ADD {check_clause(c)} NOT VALID",
            c.span or table.span,
            "constraint",
        )
        for c in _sorted_checks(table)
        if not c.validated and not (parent and c in parent.checks)
    ]


def foreign_key_statements(
    table: Table, parent: Table | None, only: Callable[[ForeignKey], bool] | None = None
) -> list[Statement]:
    """The table's foreign keys (those ``only`` accepts, when given)."""
    out: list[Statement] = []
    for fk in sorted_foreign_keys(table):
        if parent and fk in parent.foreign_keys:
            continue  # cloned from the parent
        if only is not None and not only(fk):
            continue
        text = f"ALTER TABLE {quote_qualified(table.qname)} ADD {foreign_key_clause(fk)}"
        if not fk.validated:  # as the document has it: rows already there are not checked
            text += " NOT VALID"
        out.append(Statement(text, fk.span or table.span, "constraint"))
    return out


def index_statement(index: Index, *, concurrently: bool = False) -> Statement:
    """CREATE INDEX; ``concurrently``: built without blocking writes (outside a transaction block)."""
    parts = ["CREATE UNIQUE INDEX" if index.unique else "CREATE INDEX"]
    if concurrently:
        parts.append("CONCURRENTLY")
    parts.append(quote_ident(index.name))
    parts.append(f"ON {quote_qualified(index.table)}")
    if index.method and index.method.lower() != "btree":
        parts.append(f"USING {quote_ident(index.method.lower())}")
    parts.append(f"({', '.join(index.keys)})")
    if index.include:
        parts.append(f"INCLUDE ({column_list(index.include)})")
    if index.nulls_not_distinct:
        parts.append("NULLS NOT DISTINCT")
    if index.where:
        parts.append(f"WHERE {index.where}")
    return Statement(" ".join(parts), index.span, "index")
