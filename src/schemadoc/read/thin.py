"""What a document that gives no table was seen to hold.

When a document yields no table at all, "no tables found" alone leaves its author guessing. The
walker records, as it goes, the sections that name a table (and what their lists hold) and the
code blocks it passed over; if the document ends without a single table, these become the
"candidate tables" and "code blocks skipped" that the "no tables found" error (SD023) lists. A
document that gives tables gets none of them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import field

from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Span
from schemadoc.read.facts import Name
from schemadoc.records import record

_FIELD = lazy_regex(r"^\s*(?:\*\*|__)?`?(?P<name>[A-Za-z_][\w]*)`?(?:\*\*|__)?\s*(?:[:\-–—(]|$)")
_SHOWN = 3


@record(frozen=False)
class _Candidate:
    name: Name
    span: Span
    fields: list[str] = field(default_factory=list)
    items: int = 0


@record(frozen=False)
class ThinReport:
    candidates: dict[str, _Candidate] = field(default_factory=dict)
    skipped: list[tuple[Span, str]] = field(default_factory=list)

    def candidate(self, name: Name, span: Span) -> None:
        """A heading that names a table."""
        self.candidates.setdefault(str(name).lower(), _Candidate(name, span))

    def items(self, name: Name, texts: list[str]) -> None:
        """List items seen under the table ``name``'s section."""
        found = self.candidates.get(str(name).lower())
        if found is None:
            return
        found.items += len(texts)
        for text in texts:
            m = _FIELD.match(text)
            if m and m.group("name") not in found.fields:
                found.fields.append(m.group("name"))

    def skipped_block(self, span: Span, why: str) -> None:
        self.skipped.append((span, why))

    def notes(self, named: Collection[str] = ()) -> list[tuple[Span, str]]:
        """What the error for a document that gave no table lists: "table x: what it lacks" for
        each table named, then "```lang skipped: why" for each code block passed over. ``named``:
        the tables the document lists elsewhere (a table map); a heading with nothing under it
        that is not one of them only titles a section ("## Table Map") and is left out."""
        out: list[tuple[Span, str]] = []
        for cand in self.candidates.values():
            if named and not cand.items and str(cand.name).lower() not in named:
                continue
            if cand.fields:
                shown = ", ".join(cand.fields[:_SHOWN]) + (", ..." if len(cand.fields) > _SHOWN else "")
                lacks = f"lists {len(cand.fields)} field(s) ({shown}) without types"
            elif cand.items:
                lacks = f"has {cand.items} list item(s) but no column with a type"
            else:
                lacks = "gives no columns"
            out.append((cand.span, f"table {cand.name}: {lacks}"))
        out.extend(self.skipped)
        return out
