"""Small text helpers shared by the comparison modules: one drift diagnostic, values as the report
shows them."""

from __future__ import annotations

from collections.abc import Iterable

from schemadoc.compare.codes import COMMENT_CHANGED, COMMENT_LEVEL, DRIFT
from schemadoc.diagnostics import Diagnostic, Level
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import ForeignKey, Grant, QName, Span
from schemadoc.sqlnames import quote_ident


def drift(
    code: str, message: str, span: Span | None, hint: str | None = None, level: Level = DRIFT
) -> Diagnostic:
    return Diagnostic(code, level, message, span, hint)


_SPACE = lazy_regex(r"\s+")


def normalize_sql(text: str | None) -> str | None:
    """SQL text with runs of white space made one space (PostgreSQL prints both sides,
    so only layout can differ)."""
    return None if text is None else _SPACE.sub(" ", text).strip()


def norm_keys(keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(_SPACE.sub(" ", k).strip().lower() for k in keys)


def show(value: object, none: str = "none") -> str:
    """``value`` as the report shows it: names quoted where SQL needs it, ``(table, column)``
    as ``table.column``."""
    if value is None:
        return none
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], QName):
        return f"{value[0]}.{quote_ident(value[1])}"
    return str(value)


def cols(columns: Iterable[str]) -> str:
    return ", ".join(quote_ident(c) for c in columns)


def fk_key(fk: ForeignKey) -> tuple[tuple[str, ...], QName, tuple[str, ...]]:
    """What pairs two foreign keys: their columns and what they reference."""
    return (fk.columns, fk.ref_table, fk.ref_columns)


def grant_key(g: Grant) -> tuple[str, QName | str, str, str]:
    """What pairs two grants: object, grantee and privilege."""
    return (g.object_type, g.object_name, g.grantee, g.privilege)


def comment_diag(
    what: str, expected: str | None, actual: str | None, span: Span | None, subject: str
) -> Diagnostic:
    """A description that differs from the database's comment. ``subject``: the table (or
    view, function...) the comment belongs to, for summing up."""
    return Diagnostic(
        COMMENT_CHANGED,
        COMMENT_LEVEL,
        f"{what}: comment is {show(repr(actual) if actual is not None else None)} in the database, "
        f"the document says {show(repr(expected) if expected is not None else None)}",
        span,
        subject=subject,
    )
