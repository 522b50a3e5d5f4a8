"""Stand-ins (``--stub-missing``) for routines and types a document uses but never defines.

A trigger function's stand-in returns NEW (NULL for statement triggers) in plpgsql; another
function's is a plain SQL function returning NULL of the type its call site needs (text when
that cannot be told), taking as many arguments as the call gives. A type's stand-in is a domain
over text; an extension's type gets one too, built only where the server lacks the extension.
Each is marked ``stub`` in the model and warned about (SD260) with the line that needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import orjson
from pglast.parser import ParseError, parse_sql_json

from schemadoc.extension_types import HOW_TO_GET, opclass_extension, type_extension
from schemadoc.model import (
    DEFAULT_SCHEMA,
    CompositeType,
    Domain,
    Extension,
    Function,
    QName,
    Schema,
    Span,
    Table,
)
from schemadoc.types import normalize_type

if TYPE_CHECKING:
    from schemadoc.read.resolve import Resolver

_SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema"})

TRIGGER_STAND_IN_BODY = (
    "\nBEGIN\n"
    "    -- stand-in: the document calls this trigger function but never gives its body\n"
    "    IF TG_LEVEL = 'STATEMENT' THEN\n"
    "        RETURN NULL;\n"
    "    END IF;\n"
    "    IF TG_OP = 'DELETE' THEN\n"
    "        RETURN OLD;\n"
    "    END IF;\n"
    "    RETURN NEW;\n"
    "END\n"
)


def trigger_stand_in(name: QName, trigger: str, span: Span | None, r: Resolver) -> Function:
    r.warn(
        "SD260",
        f"trigger {trigger} calls {name}(), which the document never defines; built a stand-in that "
        "returns NEW",
        span,
        "the stand-in changes nothing; add the function's CREATE FUNCTION to check what it does",
    )
    if name.schema != DEFAULT_SCHEMA and name.schema not in r.extra_schemas:
        r.extra_schemas.append(name.schema)
    return Function(name.schema, name.name, "", "trigger", "plpgsql", TRIGGER_STAND_IN_BODY, stub=True, span=span)


@dataclass(frozen=True, slots=True)
class _Call:
    name: QName
    arg_types: tuple[str, ...]
    returns: str


def _const_type(node: dict[str, Any]) -> str:
    for key, type_ in (("sval", "text"), ("ival", "integer"), ("fval", "numeric"), ("boolval", "boolean")):
        if key in node:
            return type_
    return "text"


def _column_type(node: Any, table: Table | None) -> str | None:
    if table is None or not isinstance(node, dict) or "ColumnRef" not in node:
        return None
    fields = node["ColumnRef"].get("fields") or []
    last = fields[-1].get("String", {}).get("sval") if fields and isinstance(fields[-1], dict) else None
    col = table.column(last) if isinstance(last, str) else None
    return col.type if col is not None else None


def _calls(expr: str, table: Table | None, whole_type: str | None) -> list[_Call]:
    """The calls of schema-qualified functions outside the system schemas in ``expr``."""
    if "." not in expr or "(" not in expr:
        return []  # a schema-qualified call needs both; most defaults and checks have neither
    try:
        tree = orjson.loads(parse_sql_json(f"SELECT {expr}"))
    except ParseError:
        return []
    stmts = tree.get("stmts") or []
    if len(stmts) != 1:
        return []
    out: list[_Call] = []
    top = stmts[0].get("stmt", {}).get("SelectStmt", {}).get("targetList") or []
    top_call = None
    if len(top) == 1:
        val = top[0].get("ResTarget", {}).get("val")
        top_call = val.get("FuncCall") if isinstance(val, dict) else None
    # (node, the type its place needs)
    stack: list[tuple[Any, str | None]] = [(tree, None)]
    while stack:
        node, needed = stack.pop()
        if isinstance(node, list):
            stack.extend((n, None) for n in node)
            continue
        if not isinstance(node, dict):
            continue
        expr_node = node.get("A_Expr")
        if isinstance(expr_node, dict):
            left, right = expr_node.get("lexpr"), expr_node.get("rexpr")
            stack.append((left, _column_type(right, table)))
            stack.append((right, _column_type(left, table)))
            continue
        call = node.get("FuncCall")
        if isinstance(call, dict):
            parts = [p.get("String", {}).get("sval", "") for p in call.get("funcname") or []]
            args = call.get("args") or []
            if len(parts) == 2 and parts[0] not in _SYSTEM_SCHEMAS:
                arg_types = tuple(
                    _const_type(a["A_Const"]) if isinstance(a, dict) and "A_Const" in a
                    else (_column_type(a, table) or "text")
                    for a in args
                )  # fmt: skip
                returns = needed or (whole_type if call is top_call else None) or "text"
                out.append(_Call(QName(parts[0], parts[1]), arg_types, returns))
            stack.extend((a, None) for a in args)
            continue
        stack.extend((v, None) for v in node.values())
    return out


def _sites(schema: Schema) -> list[tuple[str, Table | None, str | None, Span | None]]:
    """(SQL text, its table, the type the whole expression has, span) for each place that may call."""
    out: list[tuple[str, Table | None, str | None, Span | None]] = []
    for table in schema.tables.values():
        for col in table.columns:
            if col.default:
                out.append((col.default, table, col.type, col.span))
            if col.generated:
                out.append((col.generated, table, col.type, col.span))
        out.extend((c.expression, table, "boolean", c.span or table.span) for c in table.checks)
    for policy in schema.policies.values():
        on = schema.tables.get(policy.table)
        out.extend((t, on, "boolean", policy.span) for t in (policy.using, policy.with_check) if t)
    for trig in schema.triggers.values():
        if trig.when:
            out.append((trig.when, schema.tables.get(trig.table), "boolean", trig.span))
    return out


def called_stand_ins(r: Resolver, schema: Schema, functions: dict[str, Function]) -> None:
    """Stand-ins for the schema-qualified functions that defaults, checks, policies and trigger
    conditions call but the document never defines (``auth.uid()``), added to ``functions``."""
    defined = {fn.qname for fn in functions.values()}
    made: dict[QName, Function] = {}
    for text, table, whole, span in _sites(schema):
        for call in _calls(text, table, whole):
            if call.name in defined or call.name in made:
                continue
            if not r.stub_missing:
                r.error(
                    "SD264",
                    f"{call.name}() is called but the document never defines it",
                    span,
                    "add the function's CREATE FUNCTION, or pass --stub-missing to build a stand-in for it",
                )
                made[call.name] = Function(call.name.schema, call.name.name, "", "text", "sql", "")
                continue
            arguments = ", ".join(call.arg_types)
            fn = Function(
                call.name.schema,
                call.name.name,
                arguments,
                call.returns,
                "sql",
                f"SELECT NULL::{call.returns}",
                stub=True,
                span=span,
            )
            made[call.name] = fn
            functions[fn.signature] = fn
            if fn.schema != DEFAULT_SCHEMA and fn.schema not in r.extra_schemas:
                r.extra_schemas.append(fn.schema)
            r.warn(
                "SD260",
                f"{call.name}() is called but the document never defines it; built a stand-in returning "
                f"NULL::{call.returns}",
                span,
                "add the function's CREATE FUNCTION to check what depends on it",
            )


def extension_types(
    r: Resolver, schema: Schema, extensions: dict[str, Extension]
) -> dict[QName, Domain]:
    """Each extension whose type a column uses, or whose operator class an index names, is added to
    ``extensions`` (note SD263). With ``--stub-missing``, each such type also gets a stand-in
    domain over text, which the DDL builds instead of the extension on a server without it."""
    domains: dict[QName, Domain] = {}
    for ext in list(extensions):
        if r.stub_missing and ext in HOW_TO_GET:
            extensions[ext] = replace(extensions[ext], stand_in=True)

    def needs(ext: str, what: str, span: Span | None) -> None:
        if ext in extensions:
            return
        extensions[ext] = Extension(ext, stand_in=r.stub_missing, span=span)
        r.note("SD263", f"{what} needs the {ext} extension; added it", span,
               f'say so in the document: CREATE EXTENSION IF NOT EXISTS "{ext}"')  # fmt: skip

    for table in schema.tables.values():
        for col in table.columns:
            found = type_extension(col.type)
            if found is None:
                continue
            type_name, ext = found
            needs(ext, f"{table.qname}.{col.name} has type {col.type}, which", col.span)
            qname = QName(extensions[ext].schema or DEFAULT_SCHEMA, type_name)
            if r.stub_missing and qname not in domains:
                domains[qname] = Domain(qname.schema, qname.name, "text", stub=True, extension=ext, span=col.span)
    for index in schema.indexes.values():
        for key in index.keys:
            found_op = opclass_extension(key)
            if found_op is not None:
                needs(found_op[1], f"index {index.qname} uses operator class {found_op[0]}, which", index.span)
    return domains


def type_stand_in(r: Resolver, written: str, span: Span | None, where: str) -> Domain:
    """A domain over text for a type the document names but never defines."""
    from schemadoc.sqlnames import parse_qualified

    named = parse_qualified(written.strip()) or QName(DEFAULT_SCHEMA, written.strip().lower())
    if named.schema != DEFAULT_SCHEMA and named.schema not in r.extra_schemas:
        r.extra_schemas.append(named.schema)
    r.warn(
        "SD260",
        f"{where}: type {written!r} is never defined; built a stand-in domain over text",
        span,
        "define the type (CREATE TYPE / CREATE DOMAIN) to check its values",
    )
    return Domain(named.schema, named.name, "text", stub=True, span=span)


# Types PostgreSQL builds in that documents cast to and :func:`normalize_type` does not list.
_MORE_BUILTIN_TYPES = frozenset(
    {"regtype", "regproc", "regprocedure", "regnamespace", "regrole", "regconfig", "regdictionary",
     "regoper", "regoperator", "regcollation", "jsonpath", "pg_lsn", "txid_snapshot", "pg_snapshot",
     "record", "void", "cstring", "unknown", "anyelement", "anyarray", "int2vector", "oidvector",
     "macaddr8", "tid", "xid", "xid8", "cid", "money", "name", "char", "refcursor", "aclitem"}
)  # fmt: skip


def _cast_targets(expr: str, *, query: bool) -> list[tuple[QName, int | None]]:
    """The types ``expr`` casts to that are not PostgreSQL's own, each with the number of fields of
    the ``ROW(...)`` it casts (None for anything else)."""
    try:
        tree = orjson.loads(parse_sql_json(expr if query else f"SELECT {expr}"))
    except ParseError:
        return []
    out: list[tuple[QName, int | None]] = []
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        cast = node.get("TypeCast")
        if isinstance(cast, dict):
            names = [p.get("String", {}).get("sval", "") for p in (cast.get("typeName") or {}).get("names") or []]
            arg = cast.get("arg")
            row = arg.get("RowExpr") if isinstance(arg, dict) else None
            fields = len(row.get("args") or []) if isinstance(row, dict) else None
            if len(names) == 1 and normalize_type(names[0]) is None and names[0] not in _MORE_BUILTIN_TYPES:
                out.append((QName(DEFAULT_SCHEMA, names[0]), fields))
            elif len(names) == 2 and names[0] not in _SYSTEM_SCHEMAS:
                out.append((QName(names[0], names[1]), fields))
        stack.extend(node.values())
    return out


def cast_stand_ins(r: Resolver, schema: Schema) -> tuple[dict[QName, Domain], dict[QName, CompositeType]]:
    """With ``--stub-missing``, stand-ins for the types views, defaults, checks and policies cast to
    but the document never defines: a domain over text, or a composite type of text fields for the
    cast of a ``ROW(...)``."""
    domains: dict[QName, Domain] = {}
    composites: dict[QName, CompositeType] = {}
    if not r.stub_missing:
        return domains, composites
    known = {*schema.enums, *schema.tables, *schema.views, *schema.composites, *schema.ranges, *schema.domains}
    known |= {d.qname for d in r.facts.domains} | {c.qname for c in r.facts.composites}
    known |= {t.qname for t in r.facts.ranges} | set(r.stand_in_types)
    sites = [(text, False, span) for text, _, _, span in _sites(schema)]
    sites += [(v.definition, True, v.span) for v in schema.views.values()]
    for text, query, span in sites:
        for qname, fields in _cast_targets(text, query=query):
            if qname in known or qname in domains or qname in composites or type_extension(qname.name):
                continue
            if qname.schema != DEFAULT_SCHEMA and qname.schema not in r.extra_schemas:
                r.extra_schemas.append(qname.schema)
            if fields:
                attributes = tuple((f"f{i}", "text") for i in range(1, fields + 1))
                composites[qname] = CompositeType(qname.schema, qname.name, attributes, stub=True, span=span)
                what = f"a composite type of {fields} text fields"
            else:
                domains[qname] = Domain(qname.schema, qname.name, "text", stub=True, span=span)
                what = "a domain over text"
            r.warn("SD260", f"the document casts to type {qname}, which it never defines; built a stand-in: {what}",
                   span, "define the type (CREATE TYPE / CREATE DOMAIN) to check what uses it")  # fmt: skip
    return domains, composites
