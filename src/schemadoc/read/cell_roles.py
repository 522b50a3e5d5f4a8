"""What a column-table cell holds, judged from its content when its header does not fit it.

Hand-kept tables drift: a row may put ``FK scripture_sessions(id)`` under a ``Default`` header,
and taking it as the default would build ``DEFAULT FK scripture_sessions(id)``, which PostgreSQL
refuses. A cell whose content is plainly a constraint phrase is read as one, with a warning at
its line (:data:`~schemadoc.diagnostics.CELL_ROLE`).
"""

from __future__ import annotations

import re

from schemadoc.diagnostics import CELL_ROLE, Diagnostic
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Span

_CONSTRAINT_PHRASE = lazy_regex(
    r"^\s*(?:PK|FK|UK|PRIMARY\s+KEY|FOREIGN\s+KEY|REFERENCES|UNIQUE|NOT\s+NULL|INDEXED|"
    r"(?:→|->)\s*\w)(?:\b|\s|$)",
    re.IGNORECASE,
)


def constraint_in_default(text: str) -> bool:
    """Whether the text of a ``Default`` cell is a constraint phrase rather than an expression."""
    return bool(_CONSTRAINT_PHRASE.match(text))


def misplaced(text: str, column: str, header: str, span: Span) -> Diagnostic:
    """The warning for a cell read by its content rather than by its header."""
    return Diagnostic(
        CELL_ROLE.code,
        CELL_ROLE.level,
        f"the {header} cell of column {column} holds {text!r}, a constraint; read as a constraint",
        span,
        "move it to the constraints column, or give the table a column for it",
    )
