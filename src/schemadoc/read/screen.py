"""The last look at a resolved schema before anything is built from it.

The readers check the fragments they take from a document where they find them
(see :mod:`schemadoc.read.fragments`); this pass checks every piece of SQL text the
model carries once more, whichever reader or resolver step produced it, and leaves
out what does not fit its slot with an error at the object's line. A column keeps
its place with the bad part removed (a bad type becomes ``text``); an index, view,
function, trigger, policy or grant that needs the bad text is left out whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from schemadoc.diagnostics import Diagnostic
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import (
    Column,
    CompositeType,
    Domain,
    Function,
    Index,
    QName,
    RangeType,
    Schema,
    Span,
    Table,
)
from schemadoc.read.fragments import FRAGMENT_CODE, Slot, fragment_diagnostic, reaches_outside
from schemadoc.records import replace

__all__ = ["OUTSIDE_ROUTINE_CODE", "screen_schema"]

OUTSIDE_ROUTINE_CODE = "SD042"  # error: a routine of the document reaches outside the database

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_IDENT_LIST = rf"{_IDENT}(?:, {_IDENT})*"
_EVENT = lazy_regex(rf"(?:INSERT|DELETE|TRUNCATE|UPDATE(?: OF {_IDENT_LIST})?)")
_PRIVILEGE = lazy_regex(
    r"(?:SELECT|INSERT|UPDATE|DELETE|TRUNCATE|REFERENCES|TRIGGER|USAGE|EXECUTE|CREATE|CONNECT"
    rf"|TEMPORARY|TEMP|MAINTAIN|ALL)(?: \({_IDENT_LIST}\))?",
    re.IGNORECASE,
)
# Languages whose code runs outside PostgreSQL's sandbox (plpython3u, plperlu... also match the
# "pl...u" pattern below).
_UNTRUSTED = frozenset({"c", "internal", "plsh"})
_HINT = "write only the SQL that goes in this place; it was left out of the schema"
_QUOTED_NAME = lazy_regex(rf"{_IDENT}(?:\.{_IDENT})?")


class _Screen:
    def __init__(self, trust: bool = False) -> None:
        self.trust = trust
        self.diags: list[Diagnostic] = []

    def ok(self, text: str | None, slot: Slot, span: Span | None, what: str | Callable[[], str]) -> bool:
        """Whether ``text`` fits ``slot``; ``what`` names it in the error (a callable is asked
        only when there is one)."""
        if text is None:
            return True
        diag = fragment_diagnostic(text, slot, span or Span("<document>", 1), what)
        if diag is None:
            return True
        self.diags.append(diag)
        return False

    def bad(self, span: Span | None, message: str, code: str = FRAGMENT_CODE, hint: str = _HINT) -> None:
        self.diags.append(Diagnostic(code, "error", message, span or Span("<document>", 1), hint))

    def column(self, table: Table, col: Column) -> Column:
        def what() -> str:
            return f"{table.qname}.{col.name}"

        changes: dict[str, str | None] = {}
        if not self.ok(col.type, "type", col.span, lambda: f"type of {what()}"):
            changes["type"] = "text"
        if not self.ok(col.default, "default", col.span, lambda: f"default of {what()}"):
            changes["default"] = None
        if not self.ok(col.generated, "expression", col.span, lambda: f"generated expression of {what()}"):
            changes["generated"] = None
        if (
            col.collation is not None
            and col.collation.startswith('"')
            and not _QUOTED_NAME.fullmatch(col.collation)
        ):
            self.bad(col.span, f"collation of {what()} `{col.collation}` is not used: it is not one name")
            changes["collation"] = None
        return replace(col, **changes) if changes else col  # type: ignore[arg-type]

    def table(self, table: Table) -> Table:
        cols = tuple(self.column(table, c) for c in table.columns)
        checks = tuple(
            c
            for c in table.checks
            if self.ok(c.expression, "expression", c.span or table.span, lambda: f"CHECK on {table.qname}")
        )
        changes: dict[str, object] = {}
        if any(new is not old for new, old in zip(cols, table.columns, strict=True)):
            changes["columns"] = cols
        if len(checks) != len(table.checks):
            changes["checks"] = checks
        exclusions = tuple(
            x
            for x in table.exclusions
            if _exclusion_where_ok(self, x.where, x.span or table.span, f"EXCLUDE on {table.qname}")
        )
        if len(exclusions) != len(table.exclusions):
            changes["exclusions"] = exclusions
        if not self.ok(table.partition_by, "partition_by", table.span, f"PARTITION BY of {table.qname}"):
            changes["partition_by"] = None
        if not self.ok(
            table.partition_bound, "partition_bound", table.span, f"partition bound of {table.qname}"
        ):
            changes["partition_bound"] = None
        return replace(table, **changes) if changes else table  # type: ignore[arg-type]

    def routine(self, fn: Function) -> bool:
        outside = reaches_outside(fn.body)
        language = fn.language.lower()
        if language in _UNTRUSTED or (language.startswith("pl") and language.endswith("u")):
            outside = f"is written in {language}, which runs with the rights of the server's own account"
        if outside is None:
            return True
        if self.trust:
            self.diags.append(
                Diagnostic(
                    OUTSIDE_ROUTINE_CODE,
                    "warning",
                    f"{fn.kind} {fn.qname} is built as written (--trust-document): its body {outside}",
                    fn.span or Span("<document>", 1),
                )
            )
            return True
        self.diags.append(
            Diagnostic(
                OUTSIDE_ROUTINE_CODE,
                "error",
                f"{fn.kind} {fn.qname} is not built: its body {outside}",
                fn.span or Span("<document>", 1),
                "a schema document states objects; schemadoc builds nothing that reaches outside the database",
            )
        )
        return False

    def composite(self, t: CompositeType) -> bool:
        return all(
            self.ok(type_, "type", t.span, f"attribute {name} of type {t.qname}")
            for name, type_ in t.attributes
        )

    def range(self, t: RangeType) -> bool:
        return self.ok(t.subtype, "type", t.span, f"subtype of range type {t.qname}")

    def domain(self, domain: Domain) -> Domain | None:
        what = f"domain {domain.qname}"
        if not self.ok(domain.base_type, "type", domain.span, f"base type of {what}"):
            return None
        checks = tuple(c for c in domain.checks if self.ok(c, "expression", domain.span, f"CHECK of {what}"))
        default = (
            domain.default if self.ok(domain.default, "default", domain.span, f"default of {what}") else None
        )
        if checks != domain.checks or default != domain.default:
            return replace(domain, checks=checks, default=default)
        return domain


def _index_ok(s: _Screen, index: Index) -> bool:
    def what(part: str) -> Callable[[], str]:
        return lambda: f"{part} of index {index.qname}"

    return all(s.ok(key, "index_key", index.span, what("key")) for key in index.keys) and s.ok(
        index.where, "predicate", index.span, what("WHERE")
    )


def _exclusion_where_ok(s: _Screen, where: str | None, span: Span | None, what: str) -> bool:
    """An exclusion constraint's WHERE, checked as a predicate."""
    return s.ok(where, "predicate", span, f"WHERE of {what}")


def screen_schema(schema: Schema, *, trust: bool = False) -> tuple[Schema, list[Diagnostic]]:
    """``schema`` without any SQL text that does not fit its slot, and an error for each piece left out.
    What reaches outside the database (routines, roles with server-wide powers) is left out
    too, unless ``trust``."""
    s = _Screen(trust)
    tables = {k: s.table(t) for k, t in schema.tables.items()}
    indexes = {k: i for k, i in schema.indexes.items() if _index_ok(s, i)}
    views = {
        k: v
        for k, v in schema.views.items()
        if s.ok(v.definition, "matview" if v.materialized else "view", v.span, f"query of view {v.qname}")
    }
    functions = {
        k: f
        for k, f in schema.functions.items()
        if s.ok(f.arguments, "arguments", f.span, f"arguments of {f.qname}")
        and (f.kind == "procedure" or s.ok(f.returns, "returns", f.span, f"return type of {f.qname}"))
        and s.routine(f)
    }
    dropped = {f.qname for f in schema.functions.values()} - {f.qname for f in functions.values()}
    triggers = {}
    for k, t in schema.triggers.items():
        if t.function in dropped:
            s.bad(
                t.span,
                f"trigger {t.name} is not built: its function {t.function} was left out",
                OUTSIDE_ROUTINE_CODE,
                "see the error on the function",
            )
            continue
        if not s.ok(t.when, "expression", t.span, f"WHEN of trigger {t.name}"):
            continue
        if not all(_EVENT.fullmatch(e) for e in t.events):
            s.bad(
                t.span, f"trigger {t.name}: events {' OR '.join(t.events)!r} are not trigger events; not used"
            )
            continue
        triggers[k] = t
    policies = {
        k: p
        for k, p in schema.policies.items()
        if s.ok(p.using, "expression", p.span, f"USING of policy {p.name}")
        and s.ok(p.with_check, "expression", p.span, f"WITH CHECK of policy {p.name}")
    }
    domains: dict[QName, Domain] = {}
    for qname, d in schema.domains.items():
        kept = s.domain(d)
        if kept is not None:
            domains[qname] = kept
    composites = {k: t for k, t in schema.composites.items() if s.composite(t)}
    ranges = {k: t for k, t in schema.ranges.items() if s.range(t)}
    sequences = {
        k: (
            q
            if s.ok(q.data_type, "type", q.span, f"type of sequence {q.qname}")
            else replace(q, data_type="bigint")
        )
        for k, q in schema.sequences.items()
    }
    grants = []
    for g in schema.grants:
        if not _PRIVILEGE.fullmatch(g.privilege):
            s.bad(g.span, f"privilege {g.privilege!r} on {g.object_name} is not a privilege; not granted")
            continue
        if g.object_type == "FUNCTION" and isinstance(g.object_name, str) and "(" in g.object_name:
            args = g.object_name.partition("(")[2].rpartition(")")[0]
            if not s.ok(args, "arguments", g.span, f"arguments of {g.object_name}"):
                continue
        grants.append(g)
    roles = schema.roles if trust else {k: r for k, r in schema.roles.items() if not r.powers}
    if not s.diags and len(roles) == len(schema.roles):
        return schema, []
    screened = replace(
        schema,
        tables=tables,
        indexes=indexes,
        views=views,
        functions=functions,
        triggers=triggers,
        policies=policies,
        domains=domains,
        composites=composites,
        ranges=ranges,
        sequences=sequences,
        grants=tuple(grants),
        roles=roles,
    )
    return screened, s.diags
