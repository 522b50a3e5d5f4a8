"""Where in the document a difference is: the span of the document object it concerns."""

from __future__ import annotations

from schemadoc import sequence_options
from schemadoc.compare.text import fk_key, grant_key, norm_keys
from schemadoc.model import (
    Check,
    ForeignKey,
    Function,
    Grant,
    Index,
    Policy,
    QName,
    Schema,
    Span,
    Table,
    Trigger,
    Unique,
)
from schemadoc.records import record


@record
class DocSpans:
    """Finds the document object a difference is about and returns its span."""

    doc: Schema | None

    def table(self, qname: QName) -> Span | None:
        t = self.doc.tables.get(qname) if self.doc else None
        return t.span if t else None

    def _table(self, qname: QName) -> Table | None:
        return self.doc.tables.get(qname) if self.doc else None

    def type_stated(self, qname: QName, name: str) -> bool:
        """False when the document gave the column no type (the type was derived)."""
        t = self._table(qname)
        c = t.column(name) if t else None
        return c is None or not c.type_inferred

    def identity_options_stated(self, qname: QName, name: str) -> frozenset[str]:
        """The identity options the document states for the column (all of them, were there no
        document to ask)."""
        if self.doc is None:
            return frozenset(sequence_options.OPTIONS)
        t = self._table(qname)
        c = t.column(name) if t else None
        return frozenset(n for n, _ in c.identity_options) if c is not None else frozenset()

    def index_inferred(self, qname: QName) -> bool:
        """True when the document named the index but its columns were taken from the name."""
        i = self.doc.indexes.get(qname) if self.doc else None
        return i is not None and i.inferred

    def stated_extension(self, name: str) -> bool:
        return self.doc is not None and name in self.doc.extensions

    def enum_labels(self, qname: QName) -> tuple[str, ...] | None:
        e = self.doc.enums.get(qname) if self.doc else None
        return e.labels if e else None

    def column(self, qname: QName, name: str) -> Span | None:
        t = self._table(qname)
        c = t.column(name) if t else None
        return (c.span if c else None) or self.table(qname)

    def primary_key(self, qname: QName) -> Span | None:
        t = self._table(qname)
        return (t.primary_key.span if t and t.primary_key else None) or self.table(qname)

    def unique(self, qname: QName, u: Unique) -> Span | None:
        t = self._table(qname)
        found = next((d for d in t.uniques if set(d.columns) == set(u.columns)), None) if t else None
        return (found.span if found else None) or self.table(qname)

    def check(self, qname: QName, check: Check, position: int) -> Span | None:
        """By constraint name when the document gave one, else by the columns the
        expression mentions, else by position."""
        t = self._table(qname)
        if t is None:
            return None
        found = None
        if check.name:
            found = next((d for d in t.checks if d.name == check.name), None)
        if found is None and check.columns:
            same = [d for d in t.checks if d.columns and set(d.columns) == set(check.columns)]
            if len(same) == 1:
                found = same[0]
        if found is None and 0 <= position < len(t.checks):
            found = t.checks[position]
        return (found.span if found else None) or t.span

    def foreign_key(self, qname: QName, fk: ForeignKey) -> Span | None:
        t = self._table(qname)
        found = None
        if t is not None:
            found = next((d for d in t.foreign_keys if fk_key(d) == fk_key(fk)), None) or next(
                (d for d in t.foreign_keys if d.columns == fk.columns), None
            )
        return (found.span if found else None) or self.table(qname)

    def index(self, index: Index) -> Span | None:
        if self.doc is None:
            return None
        found = self.doc.indexes.get(index.qname)
        if found is None:
            found = next(
                (
                    d
                    for d in self.doc.indexes.values()
                    if d.table == index.table and norm_keys(d.keys) == norm_keys(index.keys)
                ),
                None,
            )
        return (found.span if found else None) or self.table(index.table)

    def view(self, qname: QName) -> Span | None:
        v = self.doc.views.get(qname) if self.doc else None
        return v.span if v else None

    def function(self, f: Function) -> Span | None:
        if self.doc is None:
            return None
        found = self.doc.functions.get(f.signature) or next(
            (d for d in self.doc.functions.values() if d.qname == f.qname), None
        )
        return found.span if found else None

    def trigger(self, t: Trigger) -> Span | None:
        found = self.doc.triggers.get(t.key) if self.doc else None
        return (found.span if found else None) or self.table(t.table)

    def enum(self, qname: QName) -> Span | None:
        e = self.doc.enums.get(qname) if self.doc else None
        return e.span if e else None

    def domain(self, qname: QName) -> Span | None:
        d = self.doc.domains.get(qname) if self.doc else None
        return d.span if d else None

    def sequence(self, qname: QName) -> Span | None:
        s = self.doc.sequences.get(qname) if self.doc else None
        return s.span if s else None

    def extension(self, name: str) -> Span | None:
        e = self.doc.extensions.get(name) if self.doc else None
        return e.span if e else None

    def policy(self, p: Policy) -> Span | None:
        found = self.doc.policies.get(p.key) if self.doc else None
        return (found.span if found else None) or self.table(p.table)

    def grant(self, g: Grant) -> Span | None:
        if self.doc is None:
            return None
        same_object = [d for d in self.doc.grants if d.object_name == g.object_name]
        found = (
            next((d for d in same_object if grant_key(d) == grant_key(g)), None)
            or next((d for d in same_object if d.grantee == g.grantee), None)
            or next(iter(same_object), None)
        )
        if found and found.span:
            return found.span
        if isinstance(g.object_name, QName) and g.object_type == "TABLE":
            return self.table(g.object_name) or self.view(g.object_name)
        return None
