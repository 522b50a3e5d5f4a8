"""DDL for user-defined types: enums, domains, composite and range types, in dependency order."""

from __future__ import annotations

from functools import lru_cache

from schemadoc.model import DEFAULT_SCHEMA, CompositeType, Domain, Enum, QName, RangeType, Schema
from schemadoc.sqlnames import quote_ident, quote_literal, quote_qualified
from schemadoc.write.ddl_tables import domain_statement, enum_statement, stub_name
from schemadoc.write.order import topo_sort
from schemadoc.write.statement import Statement

TypeDef = Enum | Domain | CompositeType | RangeType


def composite_statement(t: CompositeType) -> Statement:
    attributes = ", ".join(f"{quote_ident(name)} {type_}" for name, type_ in t.attributes)
    text = f"CREATE TYPE {quote_qualified(t.qname)} AS ({attributes})"
    if t.stub:
        text = f"-- stand-in for {stub_name(t.qname)}: the document casts to it but never defines it\n" + text
    return Statement(text, t.span, "type")


def range_statement(t: RangeType) -> Statement:
    options = [f"SUBTYPE = {t.subtype}"]
    for label, value in (
        ("SUBTYPE_OPCLASS", t.subtype_opclass),
        ("COLLATION", t.collation),
        ("SUBTYPE_DIFF", t.subtype_diff),
        ("MULTIRANGE_TYPE_NAME", t.multirange),
    ):
        if value is not None:
            options.append(f"{label} = {value}")
    return Statement(
        f"CREATE TYPE {quote_qualified(t.qname)} AS RANGE ({', '.join(options)})", t.span, "type"
    )


def add_enum_value_statement(
    enum: QName, label: str, *, before: str | None = None, after: str | None = None
) -> Statement:
    """ALTER TYPE ... ADD VALUE, placed BEFORE or AFTER a label the type already has. IF NOT
    EXISTS makes it safe to run again."""
    text = f"ALTER TYPE {quote_qualified(enum)} ADD VALUE IF NOT EXISTS {quote_literal(label)}"
    if before is not None:
        text += f" BEFORE {quote_literal(before)}"
    elif after is not None:
        text += f" AFTER {quote_literal(after)}"
    return Statement(text, None, "type")


def drop_type_statement(qname: QName) -> Statement:
    """DROP TYPE without CASCADE: it fails while a column or another object uses the type."""
    return Statement(f"DROP TYPE {quote_qualified(qname)}", None, "type")


def drop_domain_statement(qname: QName) -> Statement:
    return Statement(f"DROP DOMAIN {quote_qualified(qname)}", None, "type")


def domain_default_statement(domain: Domain) -> Statement:
    name = quote_qualified(domain.qname)
    if domain.default is None:
        return Statement(f"ALTER DOMAIN {name} DROP DEFAULT", domain.span, "type")
    return Statement(f"ALTER DOMAIN {name} SET DEFAULT {domain.default}", domain.span, "type")


def domain_not_null_statement(domain: Domain) -> Statement:
    state = "DROP NOT NULL" if domain.nullable else "SET NOT NULL"
    return Statement(f"ALTER DOMAIN {quote_qualified(domain.qname)} {state}", domain.span, "type")


def domain_check_statement(domain: Domain, check: str) -> Statement:
    return Statement(f"ALTER DOMAIN {quote_qualified(domain.qname)} ADD CHECK ({check})", domain.span, "type")


def _type_texts(t: TypeDef) -> list[str]:
    if isinstance(t, Domain):
        return [t.base_type]
    if isinstance(t, CompositeType):
        return [type_.split(" COLLATE ")[0] for _, type_ in t.attributes]
    if isinstance(t, RangeType):
        return [t.subtype]
    return []


@lru_cache(maxsize=4096)
def _named_types(text: str) -> frozenset[QName]:
    """The qualified name of the type ``text`` spells (a built-in type is in ``pg_catalog``);
    nothing when it does not parse as a type."""
    import orjson  # with the parser, slow to load: only when a type is looked into
    from pglast.parser import ParseError, parse_sql_json

    try:
        tree = orjson.loads(parse_sql_json(f"SELECT NULL::{text}"))
    except ParseError:
        return frozenset()
    stack: list[object] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            type_name = node.get("typeName")  # the cast's target
            if isinstance(type_name, dict):
                parts = [str(p.get("String", {}).get("sval", "")) for p in type_name.get("names") or ()]
                if len(parts) == 1:
                    parts.insert(0, DEFAULT_SCHEMA)
                return frozenset({QName(parts[-2], parts[-1])})
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return frozenset()


def type_statements(schema: Schema, *, on_tables: bool = False) -> list[Statement]:
    """CREATE TYPE and CREATE DOMAIN for the types in ``schema``: enums first (they use no other
    type), then domains, composite and range types, each after the types it names.

    A type that names a table's row type (``CREATE DOMAIN d AS some_table``), or a type that
    uses one, can only be made after the tables: those are the ones ``on_tables`` asks for,
    and the only ones it gives."""
    others: dict[QName, Domain | CompositeType | RangeType] = {}
    for group in (schema.domains, schema.composites, schema.ranges):
        for key, t in group.items():
            others.setdefault(key, t)

    def uses(key: QName) -> set[QName]:
        return {n for text in _type_texts(others[key]) for n in _named_types(text)}

    ordered = topo_sort(sorted(others), uses)
    late: set[QName] = set()
    for key in ordered:  # a type comes after the types it uses, so one pass sees them all
        if uses(key) & (set(schema.tables) | late):
            late.add(key)
    out = [] if on_tables else [enum_statement(schema.enums[k]) for k in sorted(schema.enums)]
    for key in ordered:
        if (key in late) != on_tables:
            continue
        t = others[key]
        if isinstance(t, Domain):
            out.append(domain_statement(t))
        elif isinstance(t, CompositeType):
            out.append(composite_statement(t))
        elif isinstance(t, RangeType):
            out.append(range_statement(t))
    return out
