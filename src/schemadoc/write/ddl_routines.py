"""DDL for functions, procedures, views and triggers, and the order among them."""

from __future__ import annotations

from schemadoc import function_settings
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Aggregate, Function, QName, Schema, Trigger, View
from schemadoc.sqlnames import quote_ident, quote_literal, quote_qualified
from schemadoc.write.ddl_extensions import table_sql_texts
from schemadoc.write.ddl_tables import stub_name
from schemadoc.write.order import mentions, query_references, topo_sort
from schemadoc.write.statement import Statement, dollar_quote

_SQL_STANDARD_BODY = lazy_regex(r"(?is)\s*(begin\s+atomic\b|return\b)")


def _standard_body(body: str) -> bool:
    """Whether ``body`` is an SQL-standard routine body (``BEGIN ATOMIC ... END``, ``RETURN expr``)
    that ends a CREATE FUNCTION as exactly one statement whose body it is."""
    if not _SQL_STANDARD_BODY.match(body):
        return False
    from pglast import ast, parse_sql  # the parser is slow to load: only when a routine needs it
    from pglast.parser import ParseError

    try:
        stmts = parse_sql(f"CREATE FUNCTION f() RETURNS void LANGUAGE sql {body}")
    except ParseError:
        return False
    return (
        len(stmts) == 1
        and isinstance(stmts[0].stmt, ast.CreateFunctionStmt)
        and stmts[0].stmt.sql_body is not None
    )


def identity_arguments(arguments: str) -> str:
    """The argument types that identify a function (no names, defaults or OUT arguments),
    as COMMENT ON and GRANT want them. Text pglast cannot read is returned as written."""
    if not arguments.strip():
        return ""
    from pglast import ast, parse_sql  # the parser is slow to load: only when a routine needs it
    from pglast.enums import FunctionParameterMode
    from pglast.parser import ParseError
    from pglast.stream import RawStream

    modes = {
        FunctionParameterMode.FUNC_PARAM_INOUT: "INOUT ",
        FunctionParameterMode.FUNC_PARAM_VARIADIC: "VARIADIC ",
    }
    try:
        stmt = parse_sql(f"CREATE FUNCTION f({arguments}) RETURNS void LANGUAGE sql AS ''")[0].stmt
    except ParseError:
        return arguments
    if not isinstance(stmt, ast.CreateFunctionStmt):
        return arguments
    types: list[str] = []
    for param in stmt.parameters or ():
        if param.mode in (FunctionParameterMode.FUNC_PARAM_OUT, FunctionParameterMode.FUNC_PARAM_TABLE):
            continue
        types.append(modes.get(param.mode, "") + RawStream()(param.argType))
    return ", ".join(types)


def signature_sql(signature: str) -> str:
    """A function's key (its quoted qualified name, then its arguments) as SQL: the arguments
    reduced to their types."""
    name, paren, rest = signature.partition("(")
    if not paren:
        return signature
    return f"{name.strip()}({identity_arguments(rest.rsplit(')', 1)[0])})"


def function_signature_sql(fn: Function) -> str:
    return f"{quote_qualified(fn.qname)}({identity_arguments(fn.arguments)})"


def function_statement(fn: Function) -> Statement:
    head = "PROCEDURE" if fn.kind == "procedure" else "FUNCTION"
    parts = [f"CREATE OR REPLACE {head} {quote_qualified(fn.qname)}({fn.arguments})"]
    if fn.kind != "procedure":
        parts.append(f"RETURNS {fn.returns}")
    parts.append(f"LANGUAGE {quote_ident(fn.language.lower())}")
    if fn.kind != "procedure" and fn.volatility != "VOLATILE":
        parts.append(fn.volatility)
    if fn.strict and fn.kind != "procedure":
        parts.append("STRICT")
    if fn.parallel != "UNSAFE" and fn.kind != "procedure":
        parts.append(f"PARALLEL {fn.parallel}")
    if fn.security_definer:
        parts.append("SECURITY DEFINER")
    parts.extend(function_settings.clause(entry) for entry in fn.config)
    if fn.language.lower() == "sql" and _standard_body(fn.body):
        parts.append(fn.body)  # BEGIN ATOMIC ... END / RETURN expr: parsed with the statement, not a string
    else:
        parts.append(f"AS {dollar_quote(fn.body)}")
    text = " ".join(parts)
    if fn.stub:
        text = f"-- stand-in for {stub_name(fn.qname)}(): the document calls it but never defines it\n" + text
    return Statement(text, fn.span, "function")


def view_statement(view: View, *, or_replace: bool = False) -> Statement:
    """CREATE VIEW; ``or_replace``: CREATE OR REPLACE VIEW (a plain view only)."""
    if view.materialized:
        head = "CREATE MATERIALIZED VIEW"
    else:
        head = "CREATE OR REPLACE VIEW" if or_replace else "CREATE VIEW"
    definition = view.definition.strip().rstrip(";").rstrip()
    return Statement(f"{head} {quote_qualified(view.qname)} AS {definition}", view.span, "view")


def under_search_path(obj: Function | View | Aggregate, statement: Statement) -> list[Statement]:
    """``statement`` built under the search path the document set where it wrote ``obj``: the
    unqualified names of a view or a routine body resolve where they did in the document."""
    if not obj.search_path:
        return [statement]
    path = ", ".join(p if p == "$user" else quote_ident(p) for p in obj.search_path)
    return [
        Statement(f"SET search_path TO {path}", obj.span, statement.kind),
        statement,
        Statement("RESET search_path", obj.span, statement.kind),
    ]


def drop_view_statement(view: View) -> Statement:
    """DROP VIEW without CASCADE: it fails while another view or routine depends on it."""
    word = "MATERIALIZED VIEW" if view.materialized else "VIEW"
    return Statement(f"DROP {word} {quote_qualified(view.qname)}", view.span, "view")


def drop_function_statement(fn: Function) -> Statement:
    word = "PROCEDURE" if fn.kind == "procedure" else "FUNCTION"
    return Statement(f"DROP {word} {function_signature_sql(fn)}", fn.span, "function")


def trigger_statement(trigger: Trigger, *, or_replace: bool = False) -> Statement:
    """CREATE TRIGGER; ``or_replace``: CREATE OR REPLACE TRIGGER (PostgreSQL 14 and later)."""
    events = " OR ".join(trigger.events)
    text = (
        f"CREATE {'OR REPLACE ' if or_replace else ''}TRIGGER {quote_ident(trigger.name)} {trigger.timing} {events}"
        f" ON {quote_qualified(trigger.table)}"
        f" FOR EACH {'ROW' if trigger.for_each_row else 'STATEMENT'}"
    )
    if trigger.when:
        text += f" WHEN ({trigger.when})"
    args = ", ".join(quote_literal(a) for a in trigger.function_args)
    text += f" EXECUTE FUNCTION {quote_qualified(trigger.function)}({args})"
    return Statement(text, trigger.span, "trigger")


def drop_trigger_statement(trigger: Trigger) -> Statement:
    text = f"DROP TRIGGER {quote_ident(trigger.name)} ON {quote_qualified(trigger.table)}"
    return Statement(text, trigger.span, "trigger")


def _bare(qname: QName) -> str:
    return qname.name


def early_functions(schema: Schema) -> set[str]:
    """Functions (keys of ``schema.functions``) that tables, domains or indexes call and so
    must exist before them."""
    by_name = {key: _bare(fn.qname) for key, fn in schema.functions.items()}
    if not by_name:
        return set()
    direct = mentions("\n".join(table_sql_texts(schema)), by_name, calls=True)
    # and whatever those call in turn
    found: set[str] = set()
    pending = sorted(direct)
    while pending:
        key = pending.pop()
        if key in found:
            continue
        found.add(key)
        pending.extend(sorted(mentions(schema.functions[key].body, by_name, calls=True) - found))
    return found


def ordered_routines_and_views(schema: Schema, keys: list[str]) -> list[Function | View | Aggregate]:
    """Functions (by signature key), aggregates and views, each after what it refers to.

    Views are read with pglast for the relations and functions they use; function bodies
    (any language) are searched for the names of other functions and of views; an aggregate
    comes after its support functions.
    """
    fn_names: dict[tuple[str, str | QName], str] = {("f", k): _bare(schema.functions[k].qname) for k in keys}
    fn_names.update({("a", k): _bare(a.qname) for k, a in schema.aggregates.items()})
    view_names: dict[tuple[str, str | QName], str] = {("v", k): _bare(k) for k in schema.views}
    fn_by_qname: dict[QName, list[tuple[str, str | QName]]] = {}
    for k in keys:
        fn_by_qname.setdefault(schema.functions[k].qname, []).append(("f", k))
    for k, agg in schema.aggregates.items():
        fn_by_qname.setdefault(agg.qname, []).append(("a", k))
    fn_by_name: dict[str, list[tuple[str, str | QName]]] = {}
    for k in keys:
        fn_by_name.setdefault(schema.functions[k].name, []).append(("f", k))

    def deps(node: tuple[str, str | QName]) -> set[tuple[str, str | QName]]:
        kind, key = node
        if kind == "a" and isinstance(key, str):
            agg = schema.aggregates[key]
            support = (agg.state_function, agg.final_function, agg.combine_function)
            return {n for f in support if f for n in fn_by_name.get(f.rsplit(".", 1)[-1].strip('"'), ())}
        if isinstance(key, str):
            body = schema.functions[key].body
            return mentions(body, fn_names, calls=True) | mentions(body, view_names)
        relations, functions = query_references(schema.views[key].definition)
        out: set[tuple[str, str | QName]] = {("v", r) for r in relations if r in schema.views}
        for qname in functions:
            out.update(fn_by_qname.get(qname, ()))
        return out

    nodes: list[tuple[str, str | QName]] = [("f", k) for k in keys]
    nodes += [("a", k) for k in sorted(schema.aggregates)]
    nodes += [("v", k) for k in sorted(schema.views)]
    result: list[Function | View | Aggregate] = []
    for kind, key in topo_sort(nodes, deps):
        if kind == "a" and isinstance(key, str):
            result.append(schema.aggregates[key])
        else:
            result.append(schema.functions[key] if isinstance(key, str) else schema.views[key])
    return result
