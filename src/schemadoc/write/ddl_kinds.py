"""DDL for collations and aggregates."""

from __future__ import annotations

from schemadoc.model import Aggregate, Collation
from schemadoc.sqlnames import quote_literal, quote_qualified
from schemadoc.write.statement import Statement


def collation_statement(c: Collation) -> Statement:
    name = quote_qualified(c.qname)
    if c.from_collation is not None:
        return Statement(f"CREATE COLLATION {name} FROM {c.from_collation}", c.span, "type")
    options = [f"PROVIDER = {c.provider}"]
    if c.lc_collate is not None and c.lc_collate == c.lc_ctype:
        options.append(f"LOCALE = {quote_literal(c.lc_collate)}")
    else:
        if c.lc_collate is not None:
            options.append(f"LC_COLLATE = {quote_literal(c.lc_collate)}")
        if c.lc_ctype is not None:
            options.append(f"LC_CTYPE = {quote_literal(c.lc_ctype)}")
    if not c.deterministic:
        options.append("DETERMINISTIC = false")
    return Statement(f"CREATE COLLATION {name} ({', '.join(options)})", c.span, "type")


def aggregate_statement(a: Aggregate) -> Statement:
    options = [f"SFUNC = {a.state_function}", f"STYPE = {a.state_type}"]
    if a.final_function is not None:
        options.append(f"FINALFUNC = {a.final_function}")
    if a.combine_function is not None:
        options.append(f"COMBINEFUNC = {a.combine_function}")
    if a.initial_condition is not None:
        options.append(f"INITCOND = {quote_literal(a.initial_condition)}")
    return Statement(
        f"CREATE AGGREGATE {quote_qualified(a.qname)} ({a.arguments}) ({', '.join(options)})",
        a.span,
        "function",
    )
