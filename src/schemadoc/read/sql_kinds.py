"""CREATE COLLATION and CREATE AGGREGATE -> model objects.

Both arrive as a ``DefineStmt``. Names are kept as SQL built from the parse tree (each part
quoted where it must be), values as the strings the tree holds: nothing of the document's text
reaches the DDL unparsed.
"""

from __future__ import annotations

from schemadoc.model import Aggregate, Collation
from schemadoc.read.sql_nodes import Json, Stmt, def_elems, schema_and_name, strs, type_text, unwrap
from schemadoc.read.sql_search_path import body_path
from schemadoc.sqlnames import quote_ident

_PROVIDERS = frozenset({"libc", "icu", "builtin"})


def _option_text(elem: Json | None) -> str | None:
    """A DefElem's value: a string, a bare word (parsed as a type name) or a number."""
    if elem is None:
        return None
    kind, arg = unwrap(elem.get("arg") or {})
    if kind == "String":
        return str(arg.get("sval", ""))
    if kind == "TypeName":
        return ".".join(strs(arg.get("names")))
    if kind == "Integer":
        return str(arg.get("ival", 0))
    if kind == "Float":
        return str(arg.get("fval", ""))
    if kind == "Boolean":
        return "true" if arg.get("boolval") else "false"
    return None


def _sql_name(elem: Json | None) -> str | None:
    """A function or collation named by a DefElem, as SQL (each part quoted where it must be)."""
    if elem is None:
        return None
    kind, arg = unwrap(elem.get("arg") or {})
    if kind == "TypeName":
        parts = strs(arg.get("names"))
    elif kind == "List":
        parts = strs(arg.get("items"))
    elif kind == "String":
        parts = [str(arg.get("sval", ""))]
    else:
        return None
    return ".".join(quote_ident(p) for p in parts) or None


def read_collation(stmt: Stmt, node: Json) -> None:
    schema, name = schema_and_name(strs(node.get("defnames")))
    opts = def_elems(node.get("definition"))
    if "from" in opts:
        stmt.facts.collations.append(
            Collation(schema, name, from_collation=_sql_name(opts["from"]), span=stmt.span())
        )
        return
    provider = (_option_text(opts.get("provider")) or "libc").lower()
    if provider not in _PROVIDERS:
        stmt.not_built(
            "CREATE COLLATION statement",
            f"provider {provider} is not one PostgreSQL knows",
            hint="use PROVIDER = libc, icu or builtin",
        )
        return
    locale = _option_text(opts.get("locale"))
    deterministic = (_option_text(opts.get("deterministic")) or "true").lower() not in (
        "false",
        "off",
        "no",
        "0",
    )
    for option in sorted(set(opts) - {"provider", "locale", "lc_collate", "lc_ctype", "deterministic"}):
        stmt.not_built(
            f"collation option {option.upper()}",
            "collation options other than PROVIDER, LOCALE, LC_COLLATE, LC_CTYPE and DETERMINISTIC are not built",
            hint="leave the option out if the server's default is what is meant",
        )
    stmt.facts.collations.append(
        Collation(
            schema,
            name,
            provider=provider,
            lc_collate=_option_text(opts.get("lc_collate")) or locale,
            lc_ctype=_option_text(opts.get("lc_ctype")) or locale,
            deterministic=deterministic,
            span=stmt.span(),
        )
    )


_AGGREGATE_OPTIONS = frozenset(
    {"sfunc", "stype", "finalfunc", "combinefunc", "initcond", "basetype", "parallel"}
)


def read_aggregate(stmt: Stmt, node: Json) -> None:
    schema, name = schema_and_name(strs(node.get("defnames")))
    opts = def_elems(node.get("definition"))
    sfunc, stype = _sql_name(opts.get("sfunc")), opts.get("stype")
    if sfunc is None or stype is None or "TypeName" not in (stype.get("arg") or {}):
        stmt.not_built(
            "CREATE AGGREGATE statement",
            "an aggregate without SFUNC and STYPE is not built",
            hint="give the state function and state type",
        )
        return
    for option in sorted(set(opts) - _AGGREGATE_OPTIONS):
        stmt.not_built(
            f"aggregate option {option.upper()}",
            "only SFUNC, STYPE, FINALFUNC, COMBINEFUNC and INITCOND are built",
            hint="state the ordinary form of the aggregate",
        )
    if node.get("oldstyle"):
        base = opts.get("basetype")
        base_type = (
            type_text(stmt, base["arg"]["TypeName"])[0] if base and "TypeName" in base.get("arg", {}) else ""
        )
        arguments = "*" if base_type in ("", '"any"', "any") else base_type
    else:
        arguments = _arguments(stmt, node.get("args") or [])
    stmt.facts.aggregates.append(
        Aggregate(
            schema,
            name,
            arguments,
            state_function=sfunc,
            state_type=type_text(stmt, stype["arg"]["TypeName"])[0],
            final_function=_sql_name(opts.get("finalfunc")),
            combine_function=_sql_name(opts.get("combinefunc")),
            initial_condition=_option_text(opts.get("initcond")),
            search_path=body_path(stmt.facts),
            span=stmt.span(),
        )
    )


def _arguments(stmt: Stmt, args: list[Json]) -> str:
    """The aggregate's argument types; ``*`` for ``(*)``."""
    if not args or "List" not in args[0]:
        return "*"
    params = [unwrap(p)[1] for p in args[0]["List"].get("items") or ()]
    if not params:
        return "*"
    return ", ".join(type_text(stmt, p["argType"])[0] for p in params if "argType" in p)
