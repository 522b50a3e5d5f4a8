"""Less common ways real documents state constraints in prose.

:func:`read_fk_sentence` reads a foreign key stated as a sentence, the way hand-written
notes under a table do::

    It has a FOREIGN KEY on the column `user_id` that references the `id` of Users table.
    Foreign key on `author_id` references `authors`(`id`) ON DELETE CASCADE
    FOREIGN KEY on `a` and `b` which references `pairs(x, y)`
"""

from __future__ import annotations

import re

from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import FK_ACTIONS, FkAction, Span
from schemadoc.read.facts import Name, RefFact

_IDENT = r"[A-Za-z_][\w$]*"
_CODE_LIST = r"`[^`]+`(?:\s*(?:,|and|,\s*and)\s*`[^`]+`)*"
_SENTENCE_RE = lazy_regex(
    rf"""^(?:it\s+has\s+an?\s+)?foreign\s+key\s+(?:on|for)\s+(?:the\s+)?(?:columns?\s+)?
        (?P<cols>{_CODE_LIST})(?:\s+columns?)?\s*,?\s*
        (?:that\s+|which\s+)?references?\s+(?P<target>.+?)\s*\.?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_ACTION_RE = lazy_regex(
    r"\s*,?\s*\bON\s+(?P<event>DELETE|UPDATE)\s+(?P<action>NO\s+ACTION|RESTRICT|CASCADE|SET\s+NULL|SET\s+DEFAULT)\b",
    re.IGNORECASE,
)
# "the `id` of (the) `Users` table" / "the `id` column of the users table"
_COLUMN_OF_RE = lazy_regex(
    rf"""^(?:the\s+)?(?P<refcols>{_CODE_LIST})(?:\s+columns?)?\s+of\s+(?:the\s+)?
        `?(?P<table>{_IDENT}(?:\.{_IDENT})?)`?(?:\s+table)?$""",
    re.IGNORECASE | re.VERBOSE,
)
# after dropping backticks: "users(id)", "users (id)", "users.id", "the users table"
_TABLE_COLS_RE = lazy_regex(
    rf"""^(?:the\s+)?(?P<table>{_IDENT}(?:\.{_IDENT})?)(?P<word>\s+table)?
        (?:\s*\(\s*(?P<refcols>[^)]*)\))?$""",
    re.IGNORECASE | re.VERBOSE,
)


def _names(code_list: str) -> list[str]:
    out: list[str] = []
    for span in re.findall(r"`([^`]+)`", code_list):
        out.extend(p.strip() for p in span.split(",") if p.strip())
    return out


def _action(word: str) -> FkAction:
    value = " ".join(word.upper().split())
    return next(a for a in FK_ACTIONS if a == value)


def read_fk_sentence(text: str, *, span: Span) -> tuple[list[str], RefFact] | None:
    """The local columns and the reference a foreign-key sentence states, or None when the
    text is not such a sentence. The caller adds the pair to the current table's
    ``foreign_keys``."""
    m = _SENTENCE_RE.match(" ".join(text.split()))
    if not m:
        return None
    cols = _names(m["cols"])
    target = m["target"]
    on_delete: FkAction | None = None
    on_update: FkAction | None = None
    for action in _ACTION_RE.finditer(target):
        if action["event"].upper() == "DELETE":
            on_delete = _action(action["action"])
        else:
            on_update = _action(action["action"])
    target = _ACTION_RE.sub("", target).strip().rstrip(".").strip()
    table: str
    refcols: list[str]
    of = _COLUMN_OF_RE.match(target)
    if of:
        table, refcols = of["table"], _names(of["refcols"])
    else:
        tc = _TABLE_COLS_RE.match(target.replace("`", ""))
        if not tc:
            return None
        table = tc["table"]
        refcols = [c.strip() for c in (tc["refcols"] or "").split(",") if c.strip()]
        if tc["refcols"] is None and tc["word"] is None and "." in table:  # users.id: table, column
            table, _, col = table.rpartition(".")
            refcols = [col]
    if not cols or (refcols and len(refcols) != len(cols)):
        return None
    schema, dot, name = table.rpartition(".")
    ref = RefFact(
        Name(name, schema if dot else None), refcols, on_delete=on_delete, on_update=on_update, span=span
    )
    return cols, ref
