"""The schema statements a ``DO`` block runs, read from its PL/pgSQL body.

Migration tools guard creation in anonymous blocks::

    DO $$ BEGIN
      CREATE TYPE status AS ENUM ('open', 'done');
    EXCEPTION WHEN duplicate_object THEN null;
    END $$;

PostgreSQL creates the type; so does the document. The body is parsed with PostgreSQL's own
PL/pgSQL parser; each plain SQL statement in it (in blocks, IF branches and exception
handlers, not in loops or dynamic EXECUTE) whose kind creates a type, a table, an index or
changes a table is handed back to be read at its place in the document. Anything else the
block does is left out, and said so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from pglast.parser import ParseError, parse_plpgsql_json, parse_sql_json

from schemadoc.sqlnames import quote_ident

Json = dict[str, Any]

READ_KINDS = frozenset(
    {
        "CreateEnumStmt",
        "CompositeTypeStmt",
        "CreateDomainStmt",
        "CreateRangeStmt",
        "CreateStmt",
        "IndexStmt",
        "AlterTableStmt",
        "CreateExtensionStmt",
        "CreateSchemaStmt",
    }
)
# PL/pgSQL statements that hold other statements, and where.
_NESTED = {
    "PLpgSQL_stmt_block": ("body",),
    "PLpgSQL_stmt_if": ("then_body", "else_body"),
    "PLpgSQL_if_elsif": ("stmts",),
    "PLpgSQL_exception": ("action",),
}
# Statements that only decide whether to go on; they do not change the schema.
_CONTROL = frozenset(
    {"PLpgSQL_stmt_return", "PLpgSQL_stmt_raise", "PLpgSQL_stmt_assign", "PLpgSQL_stmt_perform"}
)


def do_body(node: Json) -> tuple[str, str] | None:
    """(language, body) of a DoStmt, or None when it has no inline body."""
    language = "plpgsql"
    body = None
    for arg in node.get("args") or ():
        elem = arg.get("DefElem", {})
        value = elem.get("arg", {}).get("String", {}).get("sval")
        if elem.get("defname") == "language" and value:
            language = value.lower()
        elif elem.get("defname") == "as" and value is not None:
            body = value
    return None if body is None else (language, body)


def schema_statements(body: str) -> tuple[list[str], bool]:
    """The SQL texts of the statements to read, and whether the block does anything else."""
    delimiter = "$sd_body$"
    while delimiter in body:
        delimiter = delimiter[:-1] + "_$"
    wrapper = f"CREATE FUNCTION {quote_ident('do block')}() RETURNS void LANGUAGE plpgsql AS {delimiter}{body}{delimiter}"
    try:
        tree = orjson.loads(parse_plpgsql_json(wrapper))
    except (ParseError, orjson.JSONDecodeError):
        return [], True
    found: list[str] = []
    other = False
    for kind, stmt in _statements(tree):
        if kind == "PLpgSQL_stmt_execsql":
            query = stmt.get("sqlstmt", {}).get("PLpgSQL_expr", {}).get("query", "")
            if _kind(query) in READ_KINDS:
                found.append(query)
                continue
            other = True
        elif kind not in _CONTROL:
            other = True
    return found, other


def _statements(node: Any) -> Iterator[tuple[str, Json]]:
    """Every PL/pgSQL statement reachable through blocks, IF branches and exception handlers."""
    if isinstance(node, list):
        for item in node:
            yield from _statements(item)
        return
    if not isinstance(node, dict):
        return
    for kind, body in node.items():
        if kind == "PLpgSQL_function":
            yield from _statements(body.get("action"))
            continue
        if not isinstance(body, dict):
            continue
        if kind in _NESTED:
            for field in _NESTED[kind]:
                yield from _statements(body.get(field))
            if kind == "PLpgSQL_stmt_if":
                yield from _statements(body.get("elsif_list"))
            if kind == "PLpgSQL_stmt_block":
                handlers = body.get("exceptions", {}).get("PLpgSQL_exception_block", {}).get("exc_list")
                yield from _statements(handlers)
            continue
        if kind.startswith("PLpgSQL_stmt_"):
            yield kind, body


def _kind(query: str) -> str:
    try:
        tree = orjson.loads(parse_sql_json(query))
    except ParseError:
        return ""
    stmts = tree.get("stmts") or []
    if len(stmts) != 1:
        return ""
    return next(iter(stmts[0].get("stmt", {})), "")
