"""Where a document calls functions, and what each call needs: the places SQL runs when the
schema is built (defaults, generated columns, checks, policies, trigger conditions, view
queries and SQL-language function bodies), and in each the calls of functions outside
PostgreSQL's own schemas with the argument types and the return type their place needs.

A call's types come from what stands beside it: a constant's type, or the type of a column of
the table the expression belongs to (for a query: of a table its FROM names). Where nothing
tells, text.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Sequence
from typing import Any

import orjson
from pglast.parser import ParseError, parse_sql_json

from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import DEFAULT_SCHEMA, Function, QName, Schema, Span, Table
from schemadoc.records import record

SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema"})


@record
class Call:
    name: QName  # schema "" when the call does not qualify the name
    arg_types: tuple[str, ...]
    returns: str | None  # None: nothing around the call tells
    span: Span | None


@record
class Site:
    text: str
    tables: tuple[Table, ...]  # whose columns the text may name
    whole_type: str | None  # the type of the whole expression, when known
    span: Span | None
    query: bool = False  # ``text`` is one or more statements, not an expression


def _const_type(node: dict[str, Any]) -> str:
    for key, type_ in (("sval", "text"), ("ival", "integer"), ("fval", "numeric"), ("boolval", "boolean")):
        if key in node:
            return type_
    return "text"


def _column_type(node: Any, tables: Sequence[Table]) -> str | None:
    if not isinstance(node, dict) or "ColumnRef" not in node:
        return None
    fields = node["ColumnRef"].get("fields") or []
    last = fields[-1].get("String", {}).get("sval") if fields and isinstance(fields[-1], dict) else None
    if not isinstance(last, str):
        return None
    for table in tables:
        col = table.column(last)
        if col is not None:
            return col.type
    return None


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            yield item
            stack.extend(item.values())


def _from_tables(tree: Any, schema: Schema) -> tuple[Table, ...]:
    """The document's tables a query names (in FROM, JOIN, UPDATE, INSERT INTO ...)."""
    found: list[Table] = []
    for node in _walk(tree):
        rv = node.get("RangeVar")
        if isinstance(rv, dict) and isinstance(rv.get("relname"), str):
            table = schema.tables.get(QName(rv.get("schemaname") or DEFAULT_SCHEMA, rv["relname"]))
            if table is not None and table not in found:
                found.append(table)
    return tuple(found)


# A word followed by an opening parenthesis, and what comes before it: ``.`` (a qualified call) or
# ``::`` (a type with a modifier, not a call).
_CALL_LIKE = lazy_regex(r"(\.\s*|::\s*)?\b([^\W\d][\w$]*)\s*\(")
# words PostgreSQL's grammar puts before a parenthesis that are not function calls, or that the
# grammar turns into its own nodes or into pg_catalog calls
_NOT_CALLS = frozenset(
    {
        "all", "and", "any", "array", "as", "at", "between", "by", "case", "cast", "check", "coalesce",
        "distinct", "else", "escape", "exists", "extract", "filter", "from", "greatest", "group", "ilike",
        "in", "interval", "is", "least", "like", "not", "nullif", "on", "operator", "or", "order", "overlay",
        "over", "partition", "position", "row", "select", "similar", "some", "substring", "then", "to", "trim",
        "using", "values", "when", "where", "with", "within", "zone",
    }
)  # fmt: skip


def may_call_unknown(text: str, known: Container[str]) -> bool:
    """False when every call ``text`` could hold is of a function in ``known`` (lower-case
    names), so that parsing it to find the calls would find none that matters. A quoted name, a
    comment, a qualified call or a name outside ``known`` makes it True: the text is then parsed.
    Finding a call in a string literal only costs that parse."""
    if "(" not in text:
        return False
    if '"' in text or "/*" in text:
        return True
    for m in _CALL_LIKE.finditer(text):
        before, word = m.group(1), m.group(2).lower()
        if before is None:
            if word not in known and word not in _NOT_CALLS:
                return True
        elif before[0] == ".":
            return True
    return False


def calls(site: Site, schema: Schema) -> list[Call]:
    """The calls in ``site`` of functions outside the system schemas (unqualified ones too)."""
    if "(" not in site.text:
        return []  # no call without a parenthesis; most defaults and checks are plain values
    try:
        tree = orjson.loads(parse_sql_json(site.text if site.query else f"SELECT {site.text}"))
    except ParseError:
        return []
    stmts = tree.get("stmts") or []
    if not stmts or (not site.query and len(stmts) != 1):
        return []
    tables = site.tables + (_from_tables(tree, schema) if site.query else ())
    top_call = None
    if not site.query:
        top = stmts[0].get("stmt", {}).get("SelectStmt", {}).get("targetList") or []
        if len(top) == 1:
            val = top[0].get("ResTarget", {}).get("val")
            top_call = val.get("FuncCall") if isinstance(val, dict) else None
    out: list[Call] = []
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
            stack.append((left, _column_type(right, tables)))
            stack.append((right, _column_type(left, tables)))
            continue
        call = node.get("FuncCall")
        if isinstance(call, dict):
            parts = [p.get("String", {}).get("sval", "") for p in call.get("funcname") or []]
            args = call.get("args") or []
            name = QName(*parts) if len(parts) == 2 else QName("", parts[0]) if len(parts) == 1 else None
            if name is not None and name.schema not in SYSTEM_SCHEMAS:
                arg_types = tuple(
                    _const_type(a["A_Const"]) if isinstance(a, dict) and "A_Const" in a
                    else (_column_type(a, tables) or "text")
                    for a in args
                )  # fmt: skip
                returns = needed or (site.whole_type if call is top_call else None)
                out.append(Call(name, arg_types, returns, site.span))
            stack.extend((a, None) for a in args)
            continue
        stack.extend((v, None) for v in node.values())
    return out


def sites(schema: Schema, functions: dict[str, Function]) -> list[Site]:
    """Each place of the schema that may call a function when it is built or used, expressions
    first (their calls are typed best), then view queries and SQL function bodies."""
    out: list[Site] = []
    for table in schema.tables.values():
        for col in table.columns:
            if col.default:
                out.append(Site(col.default, (table,), col.type, col.span))
            if col.generated:
                out.append(Site(col.generated, (table,), col.type, col.span))
        out.extend(Site(c.expression, (table,), "boolean", c.span or table.span) for c in table.checks)
    for policy in schema.policies.values():
        on = schema.tables.get(policy.table)
        mine = (on,) if on is not None else ()
        out.extend(Site(t, mine, "boolean", policy.span) for t in (policy.using, policy.with_check) if t)
    for trig in schema.triggers.values():
        if trig.when:
            on = schema.tables.get(trig.table)
            out.append(Site(trig.when, (on,) if on is not None else (), "boolean", trig.span))
    out.extend(Site(v.definition, (), None, v.span, query=True) for v in schema.views.values())
    # PostgreSQL checks an SQL function's body when it is created; a plpgsql body only when it runs
    out.extend(
        Site(f.body, (), None, f.span, query=True)
        for f in functions.values()
        if not f.stub and f.language.lower() == "sql" and f.body.strip()
    )
    return out
