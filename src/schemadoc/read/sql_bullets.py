"""Column bullet lists written inside an SQL fence.

Some documents put their column lists in a ```` ```sql ```` fence for the colouring, though they
are not SQL::

    ### achievements
    ```sql
    - id: uuid, NOT NULL, DEFAULT: gen_random_uuid()
    - user_id: uuid, NOT NULL, REFERENCES users(id)
    ```

Such a block is read as the columns of the section's table (or of a ``### name`` / ``name:`` line
inside the fence) instead of giving an SQL syntax error: ``name: type, phrase, phrase`` where
each phrase is what a constraints cell may hold (``DEFAULT:`` is taken as ``DEFAULT``).
"""

from __future__ import annotations

import re

from schemadoc.diagnostics import SQL_BULLETS, Diagnostic
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Span
from schemadoc.read.columns import (
    apply_constraints,
    apply_pending_actions,
    name_from,
    set_type,
    split_type_text,
)
from schemadoc.read.facts import ColumnFact, DocFacts, Name, TableFact
from schemadoc.read.fragments import fragment_diagnostic, type_diagnostic
from schemadoc.read.mdtext import is_identifier, split_top_level

_BULLET = lazy_regex(r"^\s*[-*+]\s+`?(?P<name>[A-Za-z_][\w$]*)`?\s*:\s*(?P<rest>\S.*)$")
_TABLE_LINE = lazy_regex(r"^\s*(?:#+\s*`?(?P<h>[A-Za-z_][\w.]*)`?\s*|`?(?P<c>[A-Za-z_][\w.]*)`?\s*:)\s*$")
_COMMENT = lazy_regex(r"^\s*(?:--|//)")
_DEFAULT_COLON = lazy_regex(r"^\s*DEFAULT\s*:\s*", re.IGNORECASE)


def looks_like_sql_bullets(text: str) -> bool:
    """Every line is a ``- name: type ...`` bullet, a table line or a comment, with one bullet at least."""
    bullets = 0
    for ln in text.splitlines():  # stops at the first other line: a long SQL block at its second
        if not ln.strip() or _COMMENT.match(ln):
            continue
        if _BULLET.match(ln):
            bullets += 1
        elif not _TABLE_LINE.match(ln):
            return False
    return bullets > 0


def read_sql_bullets(text: str, *, file: str, line: int, table: Name | None = None) -> DocFacts:
    """The columns of the bullets in ``text`` (a fence body starting at document line ``line``)."""
    facts = DocFacts()
    current: TableFact | None = None
    for i, raw in enumerate(text.splitlines()):
        span = Span(file, line + i, 1)
        named = _TABLE_LINE.match(raw) if not _BULLET.match(raw) else None
        if named:
            current = TableFact(name_from(named.group("h") or named.group("c")), span, "bullets")
            facts.tables.append(current)
            continue
        bullet = _BULLET.match(raw)
        if bullet is None:
            continue
        if current is None:
            if table is None:
                facts.diagnostics.append(
                    Diagnostic(
                        SQL_BULLETS.code,
                        "warning",
                        "column bullets in an SQL fence outside a table section (no table heading above "
                        "them); not read",
                        span,
                    )
                )
                return facts
            current = TableFact(table, span, "bullets")
            facts.tables.append(current)
        column = _column(bullet, Span(file, line + i, raw.index(bullet.group("name")) + 1), facts.diagnostics)
        if column is not None:
            current.columns.append(column)
    return facts


def _column(bullet: re.Match[str], span: Span, diagnostics: list[Diagnostic]) -> ColumnFact | None:
    name = bullet.group("name")
    if not is_identifier(name):
        return None
    col = ColumnFact(name=name, span=span)
    parts = split_top_level(bullet.group("rest"), ",;")
    if not parts:
        return col
    written, after = split_type_text(parts[0])
    what = f"column {name}"
    if written:
        bad = type_diagnostic(written, span, f"type of {what}")
        if bad is not None:
            diagnostics.append(bad)
        else:
            set_type(col, written)
    prose: list[str] = []
    for phrase in ([after] if after else []) + parts[1:]:
        left = apply_constraints(_DEFAULT_COLON.sub("DEFAULT ", phrase), col, span)
        if left:
            prose.append(left)
    _screen(col, span, what, diagnostics)
    apply_pending_actions(col)
    if prose:
        col.description = " ".join(prose)
    return col


def _screen(col: ColumnFact, span: Span, what: str, diagnostics: list[Diagnostic]) -> None:
    """Take back a DEFAULT, generated expression or CHECK that is not exactly one expression."""
    if col.default is not None:
        bad = fragment_diagnostic(col.default, "default", span, f"default of {what}")
        if bad is not None:
            diagnostics.append(bad)
            col.default = None
    if col.generated is not None:
        bad = fragment_diagnostic(col.generated, "expression", span, f"generated expression of {what}")
        if bad is not None:
            diagnostics.append(bad)
            col.generated = None
    kept: list[str] = []
    for expr in col.checks:
        bad = fragment_diagnostic(expr, "expression", span, f"CHECK of {what}")
        if bad is None:
            kept.append(expr)
        else:
            diagnostics.append(bad)
    col.checks = tuple(kept)
