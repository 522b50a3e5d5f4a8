"""CREATE INDEX, VIEW, FUNCTION/PROCEDURE and TRIGGER statements."""

from __future__ import annotations

import re
from typing import Literal

from schemadoc import function_settings
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Function
from schemadoc.read.facts import IndexFact, Name, TriggerFact, ViewFact
from schemadoc.read.sql_nodes import (
    Json,
    Stmt,
    def_bool,
    def_elems,
    def_str,
    list_name,
    range_name,
    schema_and_name,
    strs,
    type_text,
)
from schemadoc.read.sql_search_path import body_path
from schemadoc.sqlnames import quote_ident

# -- indexes -------------------------------------------------------------------------------


def read_index(stmt: Stmt, node: Json) -> None:
    src = stmt.src
    rel = node.get("relation", {})
    table = range_name(stmt, rel)
    params = node.get("indexParams") or ()
    keys: list[str] = []
    after_keys = stmt.at(rel)
    exprs = [p.get("IndexElem", {}) for p in params]
    if any("expr" in e for e in exprs):
        segments, after_keys = _key_segments(stmt, stmt.at(rel))
    else:
        segments = []
    for i, elem in enumerate(exprs):
        segment = segments[i] if i < len(segments) else None
        keys.append(_index_key(stmt, elem, segment))
    where = None
    if node.get("whereClause") is not None:
        kw = src.find_word(after_keys, stmt.end, "where")
        if kw is not None:
            where = src.clean(kw.end, stmt.end)
    include = [
        quote_ident(e.get("IndexElem", {}).get("name", "")) for e in node.get("indexIncludingParams") or ()
    ]
    stmt.options_not_built("index", node.get("options"), frozenset(), _STORAGE_HINT)
    if node.get("tableSpace"):
        stmt.not_built("TABLESPACE clause", "tablespaces depend on the server", hint=_TABLESPACE_HINT)
    stmt.facts.indexes.append(
        IndexFact(
            name=node.get("idxname"),
            table=table,
            span=stmt.span(),
            keys=keys,
            unique=bool(node.get("unique")),
            method=node.get("accessMethod", "btree") or "btree",
            where=where,
            include=include,
            nulls_not_distinct=bool(node.get("nulls_not_distinct")),
            schema=table.schema,
        )
    )


def _key_segments(stmt: Stmt, after: int) -> tuple[list[tuple[int, int]], int]:
    """Byte ranges of the key items inside ``ON t (...)``, and the offset after the list."""
    src = stmt.src
    opener = next((t for t in src.tokens(after, stmt.end) if t.kind == "p" and src.b[t.start] == 0x28), None)
    if opener is None:
        return [], after
    start, close = opener.end, src.matching_paren(opener.start, stmt.end)
    segments: list[tuple[int, int]] = []
    pos = start
    while pos < close:
        s, e = src.item_end(pos, close)
        segments.append((s, e))
        nxt = src.next_token(e, close + 1)
        if nxt is None or nxt.start >= close:
            break
        pos = nxt.end  # skip the comma
    return segments, close + 1


def _index_key(stmt: Stmt, elem: Json, segment: tuple[int, int] | None) -> str:
    if "name" in elem:
        text = quote_ident(elem["name"])
    elif segment is not None:
        text = _expression_of_key(stmt, *segment)
    else:
        text = "?"
    collation = strs(elem.get("collation"))
    if collation:
        text += " COLLATE " + ".".join(quote_ident(p) for p in collation)
    opclass = strs(elem.get("opclass"))
    if opclass:
        text += " " + ".".join(quote_ident(p) for p in opclass)
    if elem.get("ordering") == "SORTBY_DESC":
        text += " DESC"
    elif elem.get("ordering") == "SORTBY_ASC":
        text += " ASC"
    nulls = elem.get("nulls_ordering")
    if nulls == "SORTBY_NULLS_FIRST":
        text += " NULLS FIRST"
    elif nulls == "SORTBY_NULLS_LAST":
        text += " NULLS LAST"
    return text


def _expression_of_key(stmt: Stmt, start: int, end: int) -> str:
    """An index key expression is ``( expr )`` or a function call: the text through the first
    top-level parenthesised group."""
    src = stmt.src
    for tok in src.tokens(start, end):
        if tok.kind == "p" and src.b[tok.start] == 0x28:
            close = src.matching_paren(tok.start, end)
            return src.clean(start, close + 1)
    return src.clean(start, end)


# -- views ---------------------------------------------------------------------------------

_CHECK_OPTION = lazy_regex(r"\s+WITH\s+(?:CASCADED\s+|LOCAL\s+)?CHECK\s+OPTION\s*$", re.IGNORECASE)
_WITH_DATA = lazy_regex(r"\s+WITH\s+(?:NO\s+)?DATA\s*$", re.IGNORECASE)


def read_view(stmt: Stmt, node: Json) -> None:
    rel = node.get("view", {})
    definition = _query_text(stmt, stmt.at(rel))
    stmt.options_not_built(
        "view", node.get("options"), frozenset(), "state what the view shows; its options are not built yet"
    )
    if node.get("withCheckOption", "NO_CHECK_OPTION") != "NO_CHECK_OPTION":
        definition = _CHECK_OPTION.sub("", definition)
        stmt.not_built(
            "WITH CHECK OPTION",
            "views are built without it, so writes through the view are not checked",
            hint="check the rows in a trigger or a CHECK on the table",
        )
    stmt.facts.views.append(
        ViewFact(
            name=range_name(stmt, rel),
            definition=definition,
            span=stmt.span(),
            columns=strs(node.get("aliases")),
            search_path=body_path(stmt.facts),
        )
    )


def read_matview(stmt: Stmt, node: Json) -> None:
    into = node.get("into", {})
    rel = into.get("rel", {})
    definition = _WITH_DATA.sub("", _query_text(stmt, stmt.at(rel)))
    stmt.facts.views.append(
        ViewFact(
            name=range_name(stmt, rel),
            definition=definition,
            span=stmt.span(),
            materialized=True,
            columns=strs(into.get("colNames")),
            search_path=body_path(stmt.facts),
        )
    )


def read_bare_select(stmt: Stmt, view_name: str) -> None:
    """A block holding only a SELECT under a view's heading: the view's definition."""
    schema, _, name = view_name.rpartition(".")
    stmt.facts.views.append(
        ViewFact(
            name=Name(name, schema=schema or None),
            definition=stmt.src.verbatim(stmt.start, stmt.end),
            span=stmt.span(),
        )
    )


def _query_text(stmt: Stmt, after: int) -> str:
    """The query of CREATE VIEW / MATERIALIZED VIEW: the text after the first top-level AS."""
    kw = stmt.src.find_word(after, stmt.end, "as")
    if kw is None:
        return ""
    return stmt.src.verbatim(kw.end, stmt.end)


# -- functions -----------------------------------------------------------------------------

_FUNCTION_OPTIONS = frozenset({"as", "language", "volatility", "security", "strict", "parallel", "set"})
_STORAGE_HINT = "storage parameters (WITH (...)) are not built; leave them to the server's defaults"
_TABLESPACE_HINT = "leave the tablespace out: objects are built in the database's default tablespace"

_MODES = {"FUNC_PARAM_OUT": "OUT ", "FUNC_PARAM_INOUT": "INOUT ", "FUNC_PARAM_VARIADIC": "VARIADIC "}


def read_function(stmt: Stmt, node: Json) -> None:
    src = stmt.src
    schema, name = schema_and_name(strs(node.get("funcname")))
    params = [p.get("FunctionParameter", {}) for p in node.get("parameters") or ()]
    args: list[str] = []
    table_cols: list[str] = []
    for param in params:
        mode = param.get("mode", "")
        ptype = type_text(stmt, param["argType"])[0] if "argType" in param else ""
        pname = param.get("name")
        text = f"{quote_ident(pname)} {ptype}" if pname else ptype
        if mode == "FUNC_PARAM_TABLE":
            table_cols.append(text)
            continue
        text = _MODES.get(mode, "") + text
        if "defexpr" in param:
            text += " DEFAULT " + _param_default(stmt, param)
        args.append(text)
    opts = def_elems(node.get("options"))
    is_procedure = bool(node.get("is_procedure"))
    if table_cols:
        returns = f"TABLE({', '.join(table_cols)})"
    elif "returnType" in node:
        rt = node["returnType"]
        returns = ("SETOF " if rt.get("setof") else "") + type_text(stmt, rt)[0]
    else:
        returns = "" if is_procedure else "void"
    body = ""
    as_opt = opts.get("as")
    if as_opt is not None:
        parts = strs(as_opt.get("arg", {}).get("List", {}).get("items"))
        body = parts[0] if len(parts) == 1 else ", ".join(parts)
    elif node.get("sql_body") is not None:
        kw = src.find_word(stmt.start, stmt.end, "begin", "return")
        body = src.verbatim(kw.start, stmt.end) if kw else ""
    volatility: Literal["VOLATILE", "STABLE", "IMMUTABLE"] = "VOLATILE"
    vol = (def_str(opts.get("volatility")) or "volatile").upper()
    if vol == "STABLE":
        volatility = "STABLE"
    elif vol == "IMMUTABLE":
        volatility = "IMMUTABLE"
    language = def_str(opts.get("language")) or ("sql" if node.get("sql_body") is not None else "")
    stmt.options_not_built(
        "function",
        node.get("options"),
        _FUNCTION_OPTIONS,
        "write the function with LANGUAGE, volatility, STRICT, PARALLEL, SECURITY DEFINER and SET only",
    )
    config = _function_settings(stmt, node.get("options"))
    parallel = (def_str(opts.get("parallel")) or "unsafe").upper()
    stmt.facts.functions.append(
        Function(
            schema=schema,
            name=name,
            arguments=", ".join(args),
            returns=returns,
            language=language.lower(),
            body=body,
            volatility=volatility,
            security_definer=def_bool(opts.get("security")),
            kind="procedure" if is_procedure else "function",
            strict=def_bool(opts.get("strict")),
            parallel=parallel if parallel in ("SAFE", "RESTRICTED") else "UNSAFE",  # type: ignore[arg-type]
            config=config,
            search_path=body_path(stmt.facts),
            span=stmt.span(),
        )
    )


def _function_settings(stmt: Stmt, options: list[Json] | None) -> tuple[str, ...]:
    """The routine's ``SET name TO value`` clauses, as PostgreSQL keeps them; ``SET ... FROM
    CURRENT`` (the value of wherever it is created) is not built."""
    out: list[str] = []
    for opt in options or ():
        elem = opt.get("DefElem", {})
        if elem.get("defname") != "set":
            continue
        var = elem.get("arg", {}).get("VariableSetStmt", {})
        if var.get("kind") != "VAR_SET_VALUE":
            stmt.not_built(
                "function option SET FROM CURRENT",
                f"{var.get('name', '')}: the value would be the building session's",
                hint="write the value: SET name TO value",
            )
            continue
        values = [_const_text(arg.get("A_Const", {})) for arg in var.get("args") or ()]
        out.append(function_settings.setting(var.get("name", ""), values))
    return tuple(out)


def _const_text(const: Json) -> str:
    """A constant of a SET clause as text: a string as it is, a number as written."""
    for kind, field in (("sval", "sval"), ("ival", "ival"), ("fval", "fval"), ("boolval", "boolval")):
        if kind in const:
            value = const[kind].get(field, 0 if kind == "ival" else "")
            return ("on" if value else "off") if kind == "boolval" else str(value)
    return ""


def _param_default(stmt: Stmt, param: Json) -> str:
    src = stmt.src
    at = stmt.at(param)
    s, e = src.item_end(at, stmt.end)
    depth = 0
    for tok in src.tokens(s, e):
        if tok.kind == "p":
            c = src.b[tok.start]
            depth += 1 if c in (0x28, 0x5B) else -1 if c in (0x29, 0x5D) else 0
        elif depth == 0 and (src.word(tok) == "default" or (tok.kind == "op" and src.char(tok) == "=")):
            return src.clean(tok.end, e)
    return ""


# -- triggers ------------------------------------------------------------------------------

_ROW, _BEFORE, _INSERT, _DELETE, _UPDATE, _TRUNCATE, _INSTEAD = 1, 2, 4, 8, 16, 32, 64


def read_trigger(stmt: Stmt, node: Json) -> None:
    src = stmt.src
    timing_bits = int(node.get("timing", 0))
    timing: Literal["BEFORE", "AFTER", "INSTEAD OF"] = "AFTER"
    if timing_bits & _BEFORE:
        timing = "BEFORE"
    elif timing_bits & _INSTEAD:
        timing = "INSTEAD OF"
    bits = int(node.get("events", 0))
    events: list[str] = []
    if bits & _INSERT:
        events.append("INSERT")
    if bits & _DELETE:
        events.append("DELETE")
    if bits & _UPDATE:
        cols = strs(node.get("columns"))
        events.append("UPDATE OF " + ", ".join(quote_ident(c) for c in cols) if cols else "UPDATE")
    if bits & _TRUNCATE:
        events.append("TRUNCATE")
    if node.get("isconstraint"):
        stmt.not_built(
            "CONSTRAINT TRIGGER",
            "built as an ordinary trigger: it fires at once, not deferred to the end of the transaction",
            hint="write CREATE TRIGGER if firing at once is what is meant",
        )
    if node.get("transitionRels"):
        stmt.not_built(
            "REFERENCING clause",
            "transition tables (REFERENCING OLD/NEW TABLE) are not part of the schema model",
            hint="use a row-level trigger that reads OLD and NEW",
        )
    when = None
    if node.get("whenClause") is not None:
        kw = src.find_word(stmt.at(node.get("relation", {})), stmt.end, "when")
        body = src.paren_body(kw.end, stmt.end) if kw else None
        if body is not None:
            when = src.clean(*body)
    stmt.facts.triggers.append(
        TriggerFact(
            name=node.get("trigname", ""),
            span=stmt.span(),
            table=range_name(stmt, node.get("relation", {})),
            function=list_name(strs(node.get("funcname"))),
            timing=timing,
            events=events,
            for_each_row=bool(node.get("row")),
            when=when,
            function_args=strs(node.get("args")),
        )
    )
