"""Stand-ins (``--stub-missing``) for routines and types a document uses but never defines.

A trigger function's stand-in returns NEW (NULL for statement triggers) in plpgsql; another
function's is a plain SQL function returning NULL of the type its call site needs (text when
that cannot be told), taking as many arguments as the call gives. A type's stand-in is a domain
over text; an extension's type gets one too, built only where the server lacks the extension.
Each is marked ``stub`` in the model and warned about (SD260) with the line that needs it.
"""

from __future__ import annotations

from collections.abc import Collection
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
)
from schemadoc.read.call_sites import SYSTEM_SCHEMAS, Call, calls, may_call_unknown, sites
from schemadoc.records import replace
from schemadoc.types import normalize_type

if TYPE_CHECKING:
    from schemadoc.read.resolve import Resolver


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
    return Function(
        name.schema, name.name, "", "trigger", "plpgsql", TRIGGER_STAND_IN_BODY, stub=True, span=span
    )


def called_stand_ins(
    r: Resolver, schema: Schema, functions: dict[str, Function], extensions: Collection[str] = ()
) -> None:
    """Stand-ins for the functions that defaults, checks, policies, trigger conditions, views and
    SQL function bodies call but the document never defines, added to ``functions``: a
    schema-qualified call (``auth.uid()``), or an unqualified one that is not PostgreSQL's own nor
    a function of an extension the document uses (``current_tenant_id()``, built in the default
    schema). A function called in several places takes the return type of the first place that
    tells it."""
    # an aggregate the document creates is called like a function
    defined = {fn.qname for fn in functions.values()} | {a.qname for a in r.facts.aggregates}
    defined_names = {q.name for q in defined}
    found: dict[QName, list[Call]] = {}
    from schemadoc.read.builtin_functions import BUILTIN_FUNCTIONS

    known = _KnownNames(defined_names, BUILTIN_FUNCTIONS)
    for site in sites(schema, functions):
        if not site.query and not may_call_unknown(site.text, known):
            continue  # every call it could hold is of a function that needs no stand-in
        for call in calls(site, schema):
            name = call.name if call.name.schema else _unqualified(call.name.name, defined_names, extensions)
            if name is not None and name not in defined:
                found.setdefault(name, []).append(call)
    for name, seen in found.items():
        first = seen[0]
        if not r.stub_missing:
            r.error(
                "SD264",
                f"{name}() is called but the document never defines it",
                first.span,
                _undefined_hint(name.name),
            )
            continue
        returns = next((c.returns for c in seen if c.returns), "text")
        fn = Function(
            name.schema,
            name.name,
            ", ".join(first.arg_types),
            returns,
            "sql",
            f"SELECT NULL::{returns}",
            stub=True,
            span=first.span,
        )
        functions[fn.signature] = fn
        if fn.schema != DEFAULT_SCHEMA and fn.schema not in r.extra_schemas:
            r.extra_schemas.append(fn.schema)
        r.warn(
            "SD260",
            f"{name}() is called but the document never defines it; built a stand-in returning NULL::{returns}",
            first.span,
            "add the function's CREATE FUNCTION to check what depends on it",
        )


class _KnownNames:
    """Names a call can have without needing a stand-in: the document's own functions and
    PostgreSQL's."""

    def __init__(self, defined: set[str], builtin: frozenset[str]) -> None:
        self.defined, self.builtin = defined, builtin

    def __contains__(self, name: object) -> bool:
        return name in self.defined or name in self.builtin


def _unqualified(name: str, defined_names: set[str], extensions: Collection[str]) -> QName | None:
    """Where the stand-in for an unqualified call of ``name`` goes, or None when the call is of a
    function the document defines, PostgreSQL's own, or one an extension the document uses may
    provide (every unqualified call, for an extension whose functions are not known)."""
    from schemadoc.read.builtin_functions import BUILTIN_FUNCTIONS, EXTENSION_FUNCTIONS  # 2,800 names

    if name in defined_names or name in BUILTIN_FUNCTIONS:
        return None
    for ext in extensions:
        known = EXTENSION_FUNCTIONS.get(ext)
        if known is None or name in known:
            return None
    return QName(DEFAULT_SCHEMA, name)


def _undefined_hint(name: str) -> str:
    from schemadoc.read.builtin_functions import EXTENSION_FUNCTIONS

    providers = sorted(ext for ext, names in EXTENSION_FUNCTIONS.items() if name in names)
    if providers:
        return (
            f"{name}() comes from the {' or '.join(providers)} extension: add "
            f'CREATE EXTENSION IF NOT EXISTS "{providers[0]}" to the document'
        )
    return "add the function's CREATE FUNCTION, or pass --stub-missing to build a stand-in for it"


def extension_types(r: Resolver, schema: Schema, extensions: dict[str, Extension]) -> dict[QName, Domain]:
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
                domains[qname] = Domain(
                    qname.schema, qname.name, "text", stub=True, extension=ext, span=col.span
                )
    for index in schema.indexes.values():
        for key in index.keys:
            found_op = opclass_extension(key)
            if found_op is not None:
                needs(
                    found_op[1], f"index {index.qname} uses operator class {found_op[0]}, which", index.span
                )
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
            names = [
                p.get("String", {}).get("sval", "") for p in (cast.get("typeName") or {}).get("names") or []
            ]
            arg = cast.get("arg")
            row = arg.get("RowExpr") if isinstance(arg, dict) else None
            fields = len(row.get("args") or []) if isinstance(row, dict) else None
            if len(names) == 1 and normalize_type(names[0]) is None and names[0] not in _MORE_BUILTIN_TYPES:
                out.append((QName(DEFAULT_SCHEMA, names[0]), fields))
            elif len(names) == 2 and names[0] not in SYSTEM_SCHEMAS:
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
    known = {
        *schema.enums,
        *schema.tables,
        *schema.views,
        *schema.composites,
        *schema.ranges,
        *schema.domains,
    }
    known |= {d.qname for d in r.facts.domains} | {c.qname for c in r.facts.composites}
    known |= {t.qname for t in r.facts.ranges} | set(r.stand_in_types)
    for site in sites(schema, {}):
        text, query, span = site.text, site.query, site.span
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
