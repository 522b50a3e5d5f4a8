"""Documents are code: what in a document reaches outside the database, and the refusal to
build it unless the document is trusted (``--trust-document``)."""

from __future__ import annotations

from collections.abc import Sequence

from schemadoc.diagnostics import OUTSIDE_REFUSED, Diagnostic
from schemadoc.read.screen import OUTSIDE_ROUTINE_CODE
from schemadoc.read.sql import OUTSIDE_CODE

__all__ = ["outside_operations", "refusal"]

_SHOWN = 10


def outside_operations(diags: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The readers' diagnostics that each name one operation reaching outside the database."""
    return [d for d in diags if d.code in (OUTSIDE_CODE, OUTSIDE_ROUTINE_CODE)]


def refusal(diags: Sequence[Diagnostic]) -> list[Diagnostic]:
    """One error when the document reaches outside the database (none when it does not): a
    command that builds the document refuses it, before touching any database."""
    found = outside_operations(diags)
    if not found:
        return []
    places = sorted({(d.span.file, d.span.line) for d in found if d.span is not None})
    shown = ", ".join(f"{file}:{line}" for file, line in places[:_SHOWN])
    if len(places) > _SHOWN:
        shown += f", and {len(places) - _SHOWN} more"
    first = min(
        (d.span for d in found if d.span is not None), key=lambda s: (s.file, s.line, s.col), default=None
    )
    return [
        Diagnostic(
            OUTSIDE_REFUSED.code,
            OUTSIDE_REFUSED.level,
            f"the document reaches outside the database in {len(found)} place(s) ({shown}); it is not built",
            first,
            "read each operation listed; to build the document as written, run again with --trust-document",
        )
    ]
