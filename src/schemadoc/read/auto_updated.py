"""Columns a document marks as refreshed on every update (``AUTO``, Prisma's ``@updatedAt``).

The document means: the column holds the time of the row's last change. That is built as a
``DEFAULT now()`` (an insert that leaves the column out gets the time) and a ``BEFORE UPDATE``
row trigger whose function sets the column to ``now()``. A note with the column's line says so.
A column whose type cannot hold a time is not built that way: a "not built" warning says why.
"""

from __future__ import annotations

import re

from schemadoc.diagnostics import BUILT_AS_MEANT, Diagnostic, not_built
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Function, QName, Schema, Span, Trigger
from schemadoc.records import record, replace
from schemadoc.sqlnames import quote_ident

_TIME_TYPE = lazy_regex(r"^(timestamp|date|time)\b", re.IGNORECASE)
_MAX_IDENT = 63


@record
class AutoColumn:
    """``table`` ``column`` is stated as refreshed on update, at ``span``."""

    table: QName
    column: str
    span: Span


def _name(*parts: str) -> str:
    return "_".join(parts)[:_MAX_IDENT]


def _refreshed_already(schema: Schema, table: QName, column: str) -> bool:
    """Whether a trigger the document defines on ``table`` already assigns NEW.column."""
    assigns = re.compile(
        rf"\bNEW\s*\.\s*(?:{re.escape(quote_ident(column))}|{re.escape(column)})\s*:?=", re.I
    )
    for trig in schema.triggers_on(table):
        for fn in schema.functions.values():
            if fn.qname == trig.function and assigns.search(fn.body):
                return True
    return False


def build_refresh(schema: Schema, autos: list[AutoColumn]) -> tuple[Schema, list[Diagnostic]]:
    """``schema`` with a default and a refresh trigger for each column of ``autos``."""
    diags: list[Diagnostic] = []
    tables = dict(schema.tables)
    functions = dict(schema.functions)
    triggers = dict(schema.triggers)
    for auto in autos:
        table = tables.get(auto.table)
        col = table.column(auto.column) if table is not None else None
        if table is None or col is None:
            continue
        if not _TIME_TYPE.match(col.type):
            diags.append(
                not_built(
                    "auto-updated column",
                    f"{table.qname}.{col.name} is {col.type}, which cannot hold the time of the last update",
                    auto.span,
                    "give the column a timestamp type, or state how it is kept up to date",
                )
            )
            continue
        built: list[str] = []
        if col.default is None and col.generated is None:
            tables[table.qname] = table = table.with_column(replace(col, default="now()"))
            built.append("DEFAULT now()")
        if not _refreshed_already(schema, table.qname, col.name):
            fn = Function(
                schema=table.schema,
                name=_name(table.name, "refresh", col.name.lower()),
                arguments="",
                returns="trigger",
                language="plpgsql",
                body=f"\nBEGIN\n  NEW.{quote_ident(col.name)} := now();\n  RETURN NEW;\nEND\n",
                comment=f"Sets {table.name}.{col.name} to the time of each update.",
                span=auto.span,
            )
            trig = Trigger(
                name=_name(table.name, col.name.lower(), "refresh"),
                table=table.qname,
                function=fn.qname,
                timing="BEFORE",
                events=("UPDATE",),
                description=f"refreshes {col.name} on every update",
                span=auto.span,
            )
            functions.setdefault(fn.signature, fn)
            triggers.setdefault(trig.key, trig)
            built.append(f"trigger {trig.name} (BEFORE UPDATE, function {fn.name}() sets it to now())")
        if built:
            diags.append(
                Diagnostic(
                    BUILT_AS_MEANT.code,
                    BUILT_AS_MEANT.level,
                    f"{table.qname}.{col.name} is refreshed on every update (AUTO / @updatedAt): built "
                    + " and ".join(built),
                    auto.span,
                    "to build it differently, write the default and the trigger in the document",
                )
            )
    out = replace(
        schema,
        tables=dict(sorted(tables.items())),
        functions=dict(sorted(functions.items())),
        triggers=dict(sorted(triggers.items())),
    )
    return out, diags
