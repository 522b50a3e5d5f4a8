"""Every piece of SQL taken from a document is parsed into the slot it fills before it is used.

A default, a CHECK, a type, an index key, a view body... is pasted into DDL text
(``DEFAULT {default}``, ``CHECK ({expression})``) and into the queries that probe a
live database. Text that closes the wrapper around it (``'x'); CREATE TABLE pwn (``),
comments that swallow what follows, or extra clauses after an expression would
change what runs. :func:`fragment_problem` takes no chances with that:

1. the fragment is scanned on its own: every quote, dollar quote and comment must
   end inside it, parentheses and brackets must balance without ever closing one
   the fragment did not open, no ``;`` may separate statements, and a ``--``
   comment may not run to the end of the fragment;
2. the fragment is parsed inside a template of its slot (``SELECT (...)`` for an
   expression, ``CREATE TABLE t (c int DEFAULT ...)`` for a default...), and the
   tree must equal the tree of the same template around a harmless placeholder
   everywhere except at the slot itself: one statement, no extra clause, no
   second constraint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import Any, Literal

import orjson
from pglast.parser import ParseError, parse_sql_json, scan

from schemadoc.diagnostics import Diagnostic
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Span
from schemadoc.records import record

__all__ = [
    "FRAGMENT_CODE",
    "Slot",
    "fragment_diagnostic",
    "fragment_problem",
    "reaches_outside",
    "stands_alone",
    "type_diagnostic",
]

FRAGMENT_CODE = "SD040"  # error: a fragment is not exactly the SQL its slot takes

Slot = Literal[
    "expression",  # CHECK, generated column, policy USING / WITH CHECK, trigger WHEN
    "default",  # column and domain DEFAULT (unparenthesized b_expr)
    "type",  # column, domain and sequence types
    "index_key",  # one key of an index: column, (expression), opclass, ordering
    "predicate",  # index WHERE (unparenthesized)
    "view",  # the query of a view
    "matview",  # the query of a materialized view
    "arguments",  # a function's argument list
    "returns",  # a function's return type (``SETOF x``, ``TABLE (...)``)
    "partition_by",  # ``RANGE (created_at)``
    "partition_bound",  # ``FOR VALUES FROM (...) TO (...)`` or ``DEFAULT``
]


@record
class _Template:
    text: str  # with one ``{}`` where the fragment goes
    placeholder: str  # a fragment known to fit
    paths: tuple[tuple[str | int, ...], ...]  # where the fragment lands in the tree
    expected: str  # what the slot takes, for messages


_TEMPLATES: dict[str, _Template] = {
    "expression": _Template(
        "SELECT ({})", "1", (("SelectStmt", "targetList", 0, "ResTarget", "val"),), "one SQL expression"
    ),
    "default": _Template(
        "CREATE TABLE t (c int DEFAULT {})",
        "1",
        (("CreateStmt", "tableElts", 0, "ColumnDef", "constraints", 0, "Constraint", "raw_expr"),),
        "one default expression",
    ),
    "type": _Template(
        "SELECT CAST(NULL AS {})",
        "int",
        (("SelectStmt", "targetList", 0, "ResTarget", "val", "TypeCast", "typeName"),),
        "one type name",
    ),
    "index_key": _Template(
        "CREATE INDEX i ON t ({})", "c", (("IndexStmt", "indexParams", 0),), "one index key"
    ),
    "predicate": _Template(
        "CREATE INDEX i ON t (c) WHERE {}", "true", (("IndexStmt", "whereClause"),), "one WHERE predicate"
    ),
    "view": _Template("CREATE VIEW v AS {}", "SELECT 1", (("ViewStmt", "query"),), "one SELECT query"),
    "matview": _Template(
        "CREATE MATERIALIZED VIEW v AS {}", "SELECT 1", (("CreateTableAsStmt", "query"),), "one SELECT query"
    ),
    "arguments": _Template(
        "CREATE FUNCTION f({}) RETURNS int LANGUAGE sql AS ''",
        "",
        (("CreateFunctionStmt", "parameters"),),
        "one function argument list",
    ),
    "returns": _Template(
        "CREATE FUNCTION f() RETURNS {} LANGUAGE sql AS ''",
        "int",
        (("CreateFunctionStmt", "returnType"), ("CreateFunctionStmt", "parameters")),
        "one function return type",
    ),
    "partition_by": _Template(
        "CREATE TABLE t (c int) PARTITION BY {}",
        "RANGE (c)",
        (("CreateStmt", "partspec"),),
        "one partition key (RANGE, LIST or HASH with its columns)",
    ),
    "partition_bound": _Template(
        "CREATE TABLE t PARTITION OF p {}", "DEFAULT", (("CreateStmt", "partbound"),), "one partition bound"
    ),
}

_OPEN = {"ASCII_40": "ASCII_41", "ASCII_91": "ASCII_93"}  # ( ) and [ ]
_CLOSE = frozenset(_OPEN.values())


def stands_alone(text: str, tokens: Sequence[Any] | None = None) -> str | None:
    """What makes ``text`` unable to stand on its own between other SQL, or None.
    ``tokens`` is pglast's scan of ``text`` when the caller has it."""
    if tokens is None:
        try:
            tokens = scan(text)
        except ParseError as err:
            return str(err.args[0]) if err.args else str(err)
    raw = text.encode("utf-8")  # token offsets count bytes
    stack: list[str] = []
    for tok in tokens:
        name = tok.name
        if name in _OPEN:
            stack.append(_OPEN[name])
        elif name in _CLOSE:
            if not stack or stack.pop() != name:
                return f"{chr(raw[tok.start])!r} closes a bracket the fragment did not open"
        elif name == "ASCII_59":
            return "';' ends the statement around it"
        elif name == "SQL_COMMENT" and b"\n" not in raw[tok.start :]:
            return "a '--' comment at its end would swallow the SQL that follows it"
    if stack:
        return "a bracket is left open"
    return None


# Functions that read or write the server's files, run programs, reach other servers or
# other sessions: a document has no business calling them from its schema.
_OUTSIDE_FUNCTIONS = frozenset(
    {
        "pg_read_file",
        "pg_read_binary_file",
        "pg_file_write",
        "pg_file_unlink",
        "pg_file_rename",
        "pg_ls_dir",
        "pg_stat_file",
        "pg_ls_logdir",
        "pg_ls_waldir",
        "pg_ls_tmpdir",
        "pg_ls_archive_statusdir",
        "pg_ls_logicalsnapdir",
        "pg_ls_logicalmapdir",
        "pg_ls_replslotdir",
        "pg_file_sync",
        "pg_logdir_ls",
        "lo_import",
        "lo_export",
        "dblink",
        "dblink_exec",
        "dblink_connect",
        "dblink_connect_u",
        "dblink_open",
        "dblink_send_query",
        "postgres_fdw_get_connections",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_promote",
    }
)


_ROLE_POWERS = frozenset({"superuser", "replication", "bypassrls", "createrole", "createdb"})


def reaches_outside(text: str, tokens: Sequence[Any] | None = None) -> str | None:
    """What in ``text`` (an expression or a routine body) reaches outside the database's
    schema, or None: ``COPY ... PROGRAM`` or to a file, ``ALTER SYSTEM``, ``DROP DATABASE``,
    ``LOAD``, roles given SUPERUSER, and functions that touch the server's files,
    programs, configuration or other sessions. Text that does not scan is not judged here.
    """
    if tokens is None:
        try:
            tokens = scan(text)
        except ParseError:
            return None
    raw = text.encode("utf-8")
    statement: list[str] = []  # token names of the current statement
    for tok in tokens:
        name = tok.name
        if name == "ASCII_59":
            statement = []
            continue
        if name in ("SQL_COMMENT", "C_COMMENT"):
            continue
        word = (
            raw[tok.start : tok.end + 1].decode("utf-8", "replace").strip('"').lower()
            if name == "IDENT"
            else ""
        )
        if name == "PROGRAM" and "COPY" in statement:
            return "runs a program on the server (COPY ... PROGRAM)"
        if name == "SCONST" and statement[-1:] in (["TO"], ["FROM"]) and "COPY" in statement:
            return "reads or writes a file on the server (COPY ... TO/FROM a file)"
        if name == "SYSTEM_P" and statement[-1:] == ["ALTER"]:
            return "changes the server's configuration (ALTER SYSTEM)"
        if name == "DATABASE" and statement[-1:] == ["DROP"]:
            return "drops a database (DROP DATABASE)"
        if name == "LOAD" and not statement:
            return "loads a library into the server (LOAD)"
        if word in _ROLE_POWERS and ("ROLE" in statement or "USER" in statement):
            return f"gives a role {word.upper()}, a power over the whole server"
        if name == "SERVER" and statement[-1:] == ["CREATE"]:
            return "creates a foreign server, a connection to another database server"
        if name == "MAPPING" and "USER" in statement:
            return "creates a user mapping, credentials for another server"
        if word in _OUTSIDE_FUNCTIONS:
            return f"calls {word}(), which reaches outside the schema"
        statement.append(name)
    return None


# Positions differ between a template around the fragment and around its placeholder; they
# are dropped from the JSON text before it is decoded (a '"' inside a JSON string is always escaped,
# so the pattern cannot match inside one).
_POSITIONS = lazy_regex(r',"(?:\w*location|stmt_len)":-?\d+|"(?:\w*location|stmt_len)":-?\d+,?')


def _cut(tree: Any, paths: tuple[tuple[str | int, ...], ...]) -> bool:
    """Blank the slot(s) of a template's tree in place; False when the tree lacks the shape."""
    for path in paths:
        node = tree
        for step in path[:-1]:
            if isinstance(step, int):
                if not isinstance(node, list) or len(node) <= step:
                    return False
            elif not isinstance(node, dict) or step not in node:
                return False
            node = node[step]
        last = path[-1]
        if isinstance(last, int):
            if not isinstance(node, list) or len(node) <= last:
                return False
            node[last] = None
        elif isinstance(node, dict):
            node.pop(last, None)
        else:
            return False
    return True


def _shape(template: _Template, fragment: str) -> Any:
    """The template's tree around ``fragment`` with the slot blanked; None when it does not parse
    to one statement of the template's kind."""
    try:
        tree = orjson.loads(_POSITIONS.sub("", parse_sql_json(template.text.format(fragment))))
    except ParseError:
        return None
    stmts = tree.get("stmts") or []
    if len(stmts) != 1:
        return None
    stmt = stmts[0].get("stmt", {})
    if not _cut(stmt, template.paths):
        return None
    return stmt


@cache
def _baseline(slot: str) -> Any:
    template = _TEMPLATES[slot]
    shape = _shape(template, template.placeholder)
    assert shape is not None, slot
    return shape


@lru_cache(maxsize=8192)
def fragment_problem(text: str, slot: Slot) -> str | None:
    """Why ``text`` is not exactly one piece of SQL of kind ``slot``, or None when it is."""
    template = _TEMPLATES[slot]
    if not text.strip() and slot != "arguments":
        return f"expected {template.expected}, found nothing"
    try:
        tokens = scan(text)
    except ParseError as err:
        return f"expected {template.expected}: {err.args[0] if err.args else err}"
    problem = stands_alone(text, tokens)
    if problem is not None:
        return f"expected {template.expected}: {problem}"
    outside = reaches_outside(text, tokens)
    if outside is not None:
        return f"expected {template.expected}, found SQL that {outside}"
    shape = _shape(template, text)
    if shape is None:
        return f"expected {template.expected}; it does not parse as one"
    if shape != _baseline(slot):
        return f"expected {template.expected}; it carries more than that"
    return None


def fragment_diagnostic(
    text: str, slot: Slot, span: Span, what: str | Callable[[], str]
) -> Diagnostic | None:
    """An error for ``what`` (e.g. "default of users.name"; a callable is asked only when there is
    an error) when ``text`` does not fit ``slot``."""
    problem = fragment_problem(text, slot)
    if problem is None:
        return None
    return _error(text, problem, span, what if isinstance(what, str) else what())


def statement_diagnostic(
    text: str, kinds: frozenset[str], span: Span, what: str, *, commands: int | None = None
) -> Diagnostic | None:
    """An error for ``what`` when ``text`` (a statement built around a cell, or a cell holding a
    whole statement) is not exactly one statement of one of ``kinds`` -- with ``commands``, an
    ALTER TABLE of exactly that many subcommands. A syntax error is left to the SQL reader."""
    try:
        stmts = orjson.loads(parse_sql_json(text)).get("stmts") or []
    except ParseError:
        return None
    if len(stmts) != 1:
        return _error(text, f"expected one statement, found {len(stmts)}", span, what)
    kind, body = next(iter(stmts[0]["stmt"].items()))
    if kind not in kinds:
        return _error(text, f"expected {' or '.join(sorted(kinds))}, found {kind}", span, what)
    if commands is not None and len(body.get("cmds") or []) != commands:
        return _error(
            text, f"expected {commands} table change(s), found {len(body.get('cmds') or [])}", span, what
        )
    return None


def _error(text: str, problem: str, span: Span, what: str) -> Diagnostic:
    shown = " ".join(text.split())
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return Diagnostic(
        FRAGMENT_CODE,
        "error",
        f"{what} `{shown}` is not used: {problem}",
        span,
        "write only the SQL that goes in this place (no ';', no closing brackets of the text around it,"
        " no trailing '--' comment); it was left out of the schema",
    )


def type_diagnostic(text: str, span: Span, what: str) -> Diagnostic | None:
    """An error when a written type could break out of the place it is put.

    Words that are not a type (``string (max 255)``) are left to the resolver, which
    reports them as unknown types and builds the column as ``text``; only text that
    could end the statement around it or swallow what follows is an error here.
    """
    problem = stands_alone(text)
    if problem is None:
        return None
    return _error(text, f"expected one type name: {problem}", span, what)
