"""The promises a schema document makes, one per thing a database could get wrong.

:func:`build_promises` turns a :class:`~schemadoc.model.Schema` into a flat,
deterministic list of :class:`Promise`: NOT NULL columns, CHECKs, keys and
unique indexes, foreign keys and their ON DELETE / ON UPDATE actions,
defaults, enum types, triggers and views. Each promise carries the span of
the document line that made it, so a broken promise points at its words.
"""

from __future__ import annotations

import re
from typing import Literal

from pglast import ast, parse_sql

from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Check, Column, Enum, ForeignKey, Index, QName, Schema, Span, Table, Trigger, View
from schemadoc.records import record, replace
from schemadoc.sqlnames import quote_ident
from schemadoc.verify.checkexpr import column_name
from schemadoc.verify.rows import UniqueKey, indexes_by_table, unique_keys

PromiseKind = Literal[
    "not_null",
    "check",
    "unique",
    "foreign_key",
    "on_delete",
    "on_update",
    "default",
    "enum",
    "trigger",
    "view",
]
TriggerPattern = Literal["updated_at", "duration", "fires"]

_TIME_FUNCS = (
    r"(now\s*\(\s*\)|current_timestamp|clock_timestamp\s*\(\s*\)|statement_timestamp\s*\(\s*\)"
    r"|transaction_timestamp\s*\(\s*\)|localtimestamp|timezone\s*\()"
)
_SETS_TIMESTAMP = lazy_regex(r"\bNEW\s*\.\s*\"?(\w+)\"?\s*:?=\s*" + _TIME_FUNCS, re.I)
_UPDATED_WORDS = lazy_regex(r"updated[_ ]?at|\b(touch|refresh|modif|timestamp)", re.I)
_DURATION_WORDS = lazy_regex(r"duration|elapsed", re.I)
_EPOCH_DIFF = lazy_regex(
    r"\bNEW\s*\.\s*\"?(\w+)\"?\s*:?=\s*(?:\(\s*)*EXTRACT\s*\(\s*EPOCH\s+FROM\s*\(?\s*"
    r"NEW\s*\.\s*\"?(\w+)\"?\s*-\s*NEW\s*\.\s*\"?(\w+)",
    re.I,
)


@record
class Promise:
    """One thing the document promises; the fields after ``span`` say what to probe."""

    kind: PromiseKind
    subject: str
    description: str
    span: Span | None
    table: QName | None = None
    column: str | None = None
    check: Check | None = None
    key: UniqueKey | None = None
    foreign_key: ForeignKey | None = None
    enum: Enum | None = None
    trigger: Trigger | None = None
    pattern: TriggerPattern | None = None
    pattern_columns: tuple[str, ...] = ()  # updated_at: (column,); duration: (start, end, duration)
    view: View | None = None
    expected_sqlstate: str | None = None
    stand_in: str | None = None  # a stand-in (--stub-missing) the promise depends on: untestable


def build_promises(schema: Schema) -> list[Promise]:
    """Every promise of ``schema``, in a stable order (tables by name, then enums, triggers, views)."""
    out: list[Promise] = []
    indexes = indexes_by_table(schema)
    for qname in sorted(schema.tables):
        table = schema.tables[qname]
        if table.stub:
            continue
        out.extend(_table_promises(schema, table, indexes.get(qname, [])))
    for qname in sorted(schema.enums):
        enum = schema.enums[qname]
        labels = ", ".join(enum.labels)
        out.append(
            Promise(
                "enum",
                str(qname),
                f"type {qname} accepts only {labels}",
                enum.span,
                enum=enum,
                expected_sqlstate="22P02",
            )
        )
    for key in sorted(schema.triggers):
        trig = schema.triggers[key]
        if trig.table not in schema.tables and trig.table not in schema.views:
            continue
        promise = _trigger_promise(schema, trig)
        fn = _stub_function(schema, trig.function)
        out.append(promise if fn is None else replace(promise, stand_in=f"{fn}()"))
    for qname in sorted(schema.views):
        view = schema.views[qname]
        cols = view.columns or tuple(view_columns(view.definition))
        what = f"columns {', '.join(cols)}" if cols else "rows"
        out.append(
            Promise(
                "view", str(qname), f"view {qname} can be selected and returns {what}", view.span, view=view
            )
        )
    return out


def _stub_function(schema: Schema, name: QName) -> QName | None:
    for fn in schema.functions.values():
        if fn.stub and fn.qname == name:
            return fn.qname
    return None


def _stand_in_called(schema: Schema, text: str) -> str | None:
    """The first stand-in function ``text`` calls, as ``name()``."""
    for fn in schema.functions.values():
        if fn.stub and re.search(r"(?<![\w$])" + re.escape(fn.name) + r"\s*\(", text):
            return f"{fn.qname}()"
    return None


def _subject(table: Table, tail: str) -> str:
    return f"{table.qname}.{tail}"


def _table_promises(schema: Schema, table: Table, indexes: list[Index]) -> list[Promise]:
    out: list[Promise] = []
    q = table.qname
    pk_cols = set(table.primary_key.columns) if table.primary_key else set()
    for col in table.columns:
        if not col.nullable or col.name in pk_cols:
            span = col.span or (table.primary_key.span if table.primary_key and col.name in pk_cols else None)
            out.append(
                Promise(
                    "not_null",
                    _subject(table, col.name),
                    f"{q}.{col.name} is NOT NULL",
                    span or table.span,
                    table=q,
                    column=col.name,
                    expected_sqlstate="23502",
                )
            )
    for check in table.checks:
        label = check.name or check.expression
        out.append(
            Promise(
                "check",
                _subject(table, label),
                f"CHECK ({check.expression}) on {q}",
                check.span or table.span,
                table=q,
                check=check,
                expected_sqlstate="23514",
                stand_in=_stand_in_called(schema, check.expression),
            )
        )
    for key in unique_keys(schema, table, indexes):
        out.append(_unique_promise(schema, table, key))
    for fk in table.foreign_keys:
        cols = ", ".join(fk.columns)
        target = f"{fk.ref_table}({', '.join(fk.ref_columns)})"
        span = fk.span or _column_span(table, fk.columns) or table.span
        subject = _subject(table, f"({cols})")
        out.append(
            Promise(
                "foreign_key",
                subject,
                f"{q}({cols}) references {target}",
                span,
                table=q,
                foreign_key=fk,
                expected_sqlstate="23503",
            )
        )
        out.append(
            Promise(
                "on_delete",
                subject,
                f"deleting from {fk.ref_table} does {fk.on_delete} on {q}({cols})",
                span,
                table=q,
                foreign_key=fk,
                expected_sqlstate="23503" if fk.on_delete in ("NO ACTION", "RESTRICT") else None,
            )
        )
        if fk.on_update != "NO ACTION":
            out.append(
                Promise(
                    "on_update",
                    subject,
                    f"updating {target} does {fk.on_update} on {q}({cols})",
                    span,
                    table=q,
                    foreign_key=fk,
                    expected_sqlstate="23503" if fk.on_update == "RESTRICT" else None,
                )
            )
    for col in table.columns:
        if col.default is not None and col.identity is None and col.generated is None:
            out.append(
                Promise(
                    "default",
                    _subject(table, col.name),
                    f"{q}.{col.name} defaults to {col.default}",
                    col.span or table.span,
                    table=q,
                    column=col.name,
                    stand_in=_stand_in_called(schema, col.default),
                )
            )
    return out


def _column_span(table: Table, columns: tuple[str, ...]) -> Span | None:
    for name in columns:
        col = table.column(name)
        if col is not None and col.span is not None:
            return col.span
    return None


def _unique_promise(schema: Schema, table: Table, key: UniqueKey) -> Promise:
    q = table.qname
    cols = ", ".join(key.columns)
    span: Span | None = None
    if key.kind == "primary key" and table.primary_key:
        span = table.primary_key.span
    elif key.kind == "unique":
        span = next((u.span for u in table.uniques if u.columns == key.columns and u.name == key.name), None)
    else:
        idx = schema.indexes.get(QName(table.schema, key.name or ""))
        span = idx.span if idx else None
    span = span or _column_span(table, key.columns) or table.span
    label = key.name or f"({cols})"
    where = f" where {key.where}" if key.where else ""
    return Promise(
        "unique",
        _subject(table, label),
        f"{key.kind} on {q}({cols}){where} rejects duplicates",
        span,
        table=q,
        key=key,
        expected_sqlstate="23505",
    )


def function_body(schema: Schema, trigger: Trigger) -> str | None:
    for fn in schema.functions.values():
        if fn.qname == trigger.function:
            return fn.body
    return None


def _trigger_promise(schema: Schema, trig: Trigger) -> Promise:
    table = schema.tables.get(trig.table)
    words = trig.description or ""
    body = function_body(schema, trig) or ""
    events = {e.split()[0].upper() for e in trig.events}
    subject = f"{trig.table}.{quote_ident(trig.name)}"
    columns = table.columns if table else ()
    names = [c.name for c in columns]
    if table is not None and trig.timing == "BEFORE" and trig.for_each_row and "UPDATE" in events:
        col = _updated_column(words, body, names)
        if col is not None:
            return Promise(
                "trigger",
                subject,
                f"trigger {trig.name} refreshes {trig.table}.{col} on UPDATE",
                trig.span,
                table=trig.table,
                trigger=trig,
                pattern="updated_at",
                pattern_columns=(col,),
            )
    if (
        table is not None
        and trig.timing == "BEFORE"
        and trig.for_each_row
        and (events & {"INSERT", "UPDATE"})
    ):
        trio = _duration_columns(words, body, columns)
        if trio is not None:
            return Promise(
                "trigger",
                subject,
                f"trigger {trig.name} sets {trig.table}.{trio[2]} from {trio[0]} and {trio[1]}",
                trig.span,
                table=trig.table,
                trigger=trig,
                pattern="duration",
                pattern_columns=trio,
            )
    on = ", ".join(trig.events)
    return Promise(
        "trigger",
        subject,
        f"trigger {trig.name} fires on {on} of {trig.table} without error",
        trig.span,
        table=trig.table,
        trigger=trig,
        pattern="fires",
    )


def _updated_column(words: str, body: str, names: list[str]) -> str | None:
    m = _SETS_TIMESTAMP.search(body)
    if m and m.group(1) in names:
        return m.group(1)
    if body and not m:
        return None  # the body is known and sets no timestamp: do not guess from words
    if words and _UPDATED_WORDS.search(words) and re.search(r"updat|modif|touch|refresh", words, re.I):
        for candidate in ("updated_at", "modified_at", "updated", "last_modified", "updated_on"):
            if candidate in names:
                return candidate
    return None


def _duration_columns(words: str, body: str, columns: tuple[Column, ...]) -> tuple[str, str, str] | None:
    names = [c.name for c in columns]
    m = _EPOCH_DIFF.search(body)
    if m and all(g in names for g in m.groups()):
        return (m.group(3), m.group(2), m.group(1))
    text = f"{words}\n{body}"
    if not _DURATION_WORDS.search(text):
        return None
    duration = next((n for n in names if "duration" in n or "elapsed" in n), None)
    start = next((n for n in names if re.search(r"start|began|begin", n)), None)
    end = next((n for n in names if re.search(r"complet|finish|end|stop", n) and n != duration), None)
    if duration and start and end:
        return (start, end, duration)
    return None


def view_columns(definition: str) -> list[str]:
    """Output column names of a view's SELECT, when every one is plain (no ``*``)."""
    try:
        stmt = parse_sql(definition)[0].stmt
    except Exception:
        return []
    targets = getattr(stmt, "targetList", None)
    if not targets:
        return []
    names: list[str] = []
    for t in targets:
        if not isinstance(t, ast.ResTarget):
            return []
        if t.name:
            names.append(str(t.name))
            continue
        val = t.val
        if isinstance(val, ast.ColumnRef) and val.fields and isinstance(val.fields[-1], ast.A_Star):
            return []
        name = column_name(val)
        if name is None and isinstance(val, ast.FuncCall) and val.funcname:
            last = val.funcname[-1]
            name = str(last.sval) if isinstance(last, ast.String) else None
        if name is None:
            return []
        names.append(name)
    return names
