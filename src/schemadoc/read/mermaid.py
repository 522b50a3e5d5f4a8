"""Mermaid ``erDiagram`` blocks: entities, attributes and relationship lines.

An entity with an attribute block becomes a :class:`TableFact` (source ``"mermaid"``);
an entity that is only named (alone on a line or in a relationship) becomes a
:class:`MentionFact`. Attribute keys ``PK``, ``UK`` and ``FK`` mark primary-key,
unique and foreign-key columns. A relationship line such as
``Profile ||--o{ Project : owns`` says that the entity on the "many" side (or,
for one-to-one edges, the side with the "exactly one" marker's opposite) refers
to the other; it becomes a :class:`RelationshipFact`.

Which column carries an edge is taken, in this order, from a label written as
``FOREIGN KEY (col) REFERENCES t(c)`` (the form tbls generates), from the one
FK-marked column whose name names the parent (``projectId`` -> ``Project``,
``recordId`` -> ``DataRecord``), or, when a child has exactly one unexplained
FK column and exactly one unexplained parent, by elimination (reported as a
note). Anything else is left to the resolver.

Type names go through :func:`schemadoc.types.normalize_type`; the tbls spelling
with punctuation replaced by ``_`` (``varchar_64_``, ``timestamp_without_time_zone``,
``varchar__`` for ``varchar[]``) is decoded first. Names it does not know
(enum types such as ``UserRole``) get ``type=None`` and keep ``type_written``.
Other mermaid diagram kinds carry no schema facts and only produce a note.
"""

from __future__ import annotations

import re
from dataclasses import field

from schemadoc.diagnostics import Diagnostic, not_built
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Span
from schemadoc.read.facts import (
    ColumnFact,
    DocFacts,
    MentionFact,
    Name,
    RefFact,
    RelationshipFact,
    TableFact,
)
from schemadoc.read.mermaid_lexer import body_end, comment_says_not_null
from schemadoc.records import record
from schemadoc.types import normalize_type

CODE_OTHER_DIAGRAM = "SD141"
CODE_UNREADABLE_LINE = "SD142"
CODE_FK_BY_ELIMINATION = "SD143"

# Cardinality markers, by what they allow: (minimum, maximum is many).
_ZERO_OR_ONE = (0, False)
_EXACTLY_ONE = (1, False)
_ZERO_OR_MORE = (0, True)
_ONE_OR_MORE = (1, True)

_LEFT_MARKS: dict[str, tuple[int, bool]] = {
    "|o": _ZERO_OR_ONE,
    "||": _EXACTLY_ONE,
    "}o": _ZERO_OR_MORE,
    "}|": _ONE_OR_MORE,
}
_RIGHT_MARKS: dict[str, tuple[int, bool]] = {
    "o|": _ZERO_OR_ONE,
    "||": _EXACTLY_ONE,
    "o{": _ZERO_OR_MORE,
    "|{": _ONE_OR_MORE,
}
_WORD_MARKS: dict[str, tuple[int, bool]] = {
    "one or zero": _ZERO_OR_ONE,
    "zero or one": _ZERO_OR_ONE,
    "only one": _EXACTLY_ONE,
    "1": _EXACTLY_ONE,
    "zero or more": _ZERO_OR_MORE,
    "zero or many": _ZERO_OR_MORE,
    "many(0)": _ZERO_OR_MORE,
    "0+": _ZERO_OR_MORE,
    "one or more": _ONE_OR_MORE,
    "one or many": _ONE_OR_MORE,
    "many(1)": _ONE_OR_MORE,
    "1+": _ONE_OR_MORE,
}

_NAME = r'(?:"[^"]+"|[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)?)'


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_REL_SYMBOL_RE = lazy_regex(
    rf"""^(?P<a>{_NAME})\s*
        (?P<ca>{_alternation(list(_LEFT_MARKS))})
        (?:--|\.\.)
        (?P<cb>{_alternation(list(_RIGHT_MARKS))})\s*
        (?P<b>{_NAME})\s*
        (?::\s*(?P<label>.*?))?\s*$""",
    re.VERBOSE,
)
_REL_WORD_RE = lazy_regex(
    rf"""^(?P<a>{_NAME})\s+
        (?P<ca>{_alternation(list(_WORD_MARKS))})\s+
        (?:optionally\s+to|to)\s+
        (?P<cb>{_alternation(list(_WORD_MARKS))})\s+
        (?P<b>{_NAME})\s*
        (?::\s*(?P<label>.*?))?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_ENTITY_OPEN_RE = lazy_regex(
    rf'^(?P<name>{_NAME})\s*(?:\[\s*(?P<alias>"[^"]*"|[^\]]*)\s*\])?\s*\{{(?P<rest>.*)$'
)
_ENTITY_ALONE_RE = lazy_regex(rf'^(?P<name>{_NAME})\s*(?:\[\s*(?P<alias>"[^"]*"|[^\]]*)\s*\])?\s*$')
_ATTRIBUTE_RE = lazy_regex(
    r"""^(?P<type>[A-Za-z_][\w\-\[\]().,]*?)\s+
        (?P<name>\*?[A-Za-z_][\w\-]*)
        (?:\s+(?P<keys>(?:PK|FK|UK)(?:\s*,\s*(?:PK|FK|UK))*))?
        (?:\s+"(?P<comment>[^"]*)")?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_FK_LABEL_RE = lazy_regex(
    r"""FOREIGN\s+KEY\s*\((?P<cols>[^)]*)\)\s*REFERENCES\s+(?P<table>[\w."]+)\s*\((?P<refcols>[^)]*)\)""",
    re.IGNORECASE,
)
_SKIP_RE = lazy_regex(
    r"^(?:direction\s+\w+|title\b.*|acc(?:Title|Descr)\b.*|style\s.*|classDef\s.*|class\s.*)$"
)
_ID_SUFFIX_RE = lazy_regex(r"_?(?:id|uuid|key)$")


@record(frozen=False)
class _Entity:
    name: Name
    span: Span
    table: TableFact | None = None
    fk_marked: list[ColumnFact] = field(default_factory=list)


@record(frozen=False)
class _Edge:
    parent: str
    child: str
    fact: RelationshipFact
    fk_label: re.Match[str] | None
    resolved: bool = False


def decode_type(written: str) -> str:
    """Undo the tbls mermaid spelling of a type (``varchar_64_`` -> ``varchar(64)``,
    ``timestamp_without_time_zone`` -> ``timestamp without time zone``, ``text__`` -> ``text[]``)."""
    text = written
    dims = 0
    while text.endswith("__") and len(text) > 2:
        text, dims = text[:-2], dims + 1
    m = re.fullmatch(r"(?P<base>[A-Za-z][\w]*?)_(?P<mods>\d+(?:_\d+)?)_", text)
    if m:
        text = f"{m.group('base')}({m.group('mods').replace('_', ',')})"
    if "_" in text and text.lower() != "float_array" and normalize_type(text) is None:
        spaced = text.replace("_", " ")
        if normalize_type(spaced) is not None:
            text = spaced
    return text + "[]" * dims


def _column_type(written: str) -> str | None:
    return normalize_type(decode_type(written))


def _split_name(text: str) -> Name:
    text = text.strip()
    if text.startswith('"') and text.endswith('"'):
        text = text[1:-1]
    schema, dot, name = text.rpartition(".")
    return Name(name, schema if dot else None)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def _snake(name: str) -> str:
    out = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return out.replace("-", "_").lower()


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def names_parent(column: str, parent: str) -> bool:
    """Whether a foreign-key column name plausibly names the parent entity:
    ``projectId``/``project_id`` name ``Project`` or ``projects``; ``recordId`` names
    ``DataRecord``; ``parent_run_uuid`` names ``runs``."""
    stem = _ID_SUFFIX_RE.sub("", _snake(column)).strip("_")
    if not stem or stem == _snake(column):
        return False
    whole = _snake(parent)
    for p in {whole, _singular(whole)}:
        for s in {stem, _singular(stem)}:
            if p == s or p.endswith("_" + s) or s.endswith("_" + p):
                return True
    return False


def read_mermaid(text: str, *, file: str, line: int, col_offset: int = 0) -> DocFacts:
    """Facts stated by the body of a mermaid fence. ``line`` is the document line of the
    body's first line; ``col_offset`` is the fence's indentation."""
    facts = DocFacts()
    lines = text.split("\n")  # markdown-it ends lines at LF only; splitlines() breaks at U+2028 too
    first = _first_statement(lines)
    if first is None:
        return facts
    idx, head = first
    if not re.match(r"^erDiagram\b", head.strip()):
        kind = head.strip().split()[0] if head.strip() else "diagram"
        facts.diagnostics.append(
            Diagnostic(
                CODE_OTHER_DIAGRAM,
                "note",
                f"mermaid {kind} carries no schema facts; only erDiagram is read",
                Span(file, line + idx, 1 + col_offset),
            )
        )
        return facts
    reader = _ErReader(file, line, col_offset, facts)
    rest_of_head = head.strip()[len("erDiagram") :].strip()
    if rest_of_head:
        reader.statement(rest_of_head, idx, lines[idx].index(rest_of_head))
    i = idx + 1
    while i < len(lines):
        i = reader.line(lines, i)
    reader.finish()
    return facts


def _first_statement(lines: list[str]) -> tuple[int, str] | None:
    i = 0
    if lines and lines[0].strip() == "---":  # front matter
        i = 1
        while i < len(lines) and lines[i].strip() != "---":
            i += 1
        i += 1
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("%%"):
            return i, lines[i]
        i += 1
    return None


class _ErReader:
    def __init__(self, file: str, line: int, col_offset: int, facts: DocFacts) -> None:
        self.file = file
        self.line0 = line
        self.col0 = col_offset
        self.facts = facts
        self.entities: dict[str, _Entity] = {}
        self.edges: list[_Edge] = []

    def span(self, idx: int, pos: int) -> Span:
        return Span(self.file, self.line0 + idx, pos + 1 + self.col0)

    def entity(self, written: str, alias: str | None, idx: int, pos: int) -> _Entity:
        key = _unquote(written)
        found = self.entities.get(key)
        if found is None:
            shown = _unquote(alias) if alias and alias.strip() else key
            found = _Entity(_split_name(shown), self.span(idx, pos))
            self.entities[key] = found
        return found

    def warn(self, message: str, idx: int, pos: int) -> None:
        self.facts.diagnostics.append(
            Diagnostic(CODE_UNREADABLE_LINE, "warning", message, self.span(idx, pos))
        )

    def line(self, lines: list[str], i: int) -> int:
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("%%") or _SKIP_RE.match(stripped):
            return i + 1
        pos = raw.index(stripped)
        m = _ENTITY_OPEN_RE.match(stripped)
        if m:
            return self.attribute_block(lines, i, pos, m)
        self.statement(stripped, i, pos)
        return i + 1

    def statement(self, stripped: str, i: int, pos: int) -> None:
        m = _REL_SYMBOL_RE.match(stripped)
        if m:
            self.relationship(m, _LEFT_MARKS[m["ca"]], _RIGHT_MARKS[m["cb"]], i, pos)
            return
        m = _REL_WORD_RE.match(stripped)
        if m:
            self.relationship(m, _WORD_MARKS[m["ca"].lower()], _WORD_MARKS[m["cb"].lower()], i, pos)
            return
        m = _ENTITY_ALONE_RE.match(stripped)
        if m:
            self.entity(m["name"], m["alias"], i, pos)
            return
        self.warn(f"cannot read this erDiagram line: {stripped!r}", i, pos)

    def attribute_block(self, lines: list[str], i: int, pos: int, m: re.Match[str]) -> int:
        ent = self.entity(m["name"], m["alias"], i, pos)
        if ent.table is None:
            ent.table = TableFact(ent.name, self.span(i, pos), "mermaid")
        rest = m["rest"]
        rest_pos = pos + m.start("rest")
        idx = i
        while True:
            end = body_end(rest)
            body, closed = (rest, False) if end is None else (rest[:end], True)
            stripped = body.strip()
            if stripped and not stripped.startswith("%%"):
                self.attribute(ent, stripped, idx, rest_pos + body.index(stripped))
            if closed:
                return idx + 1
            idx += 1
            if idx >= len(lines):
                self.warn(f"attribute block of {m['name']} is not closed with '}}'", i, pos)
                return idx
            rest = lines[idx]
            rest_pos = 0

    def attribute(self, ent: _Entity, stripped: str, idx: int, pos: int) -> None:
        assert ent.table is not None
        m = _ATTRIBUTE_RE.match(stripped)
        if not m:
            self.warn(f"cannot read this attribute of {ent.name}: {stripped!r}", idx, pos)
            return
        keys = {k.strip().upper() for k in (m["keys"] or "").split(",") if k.strip()}
        name = m["name"].lstrip("*")
        written = m["type"]
        col = ColumnFact(
            name=name,
            span=self.span(idx, pos),
            type=_column_type(written),
            type_written=written,
            unique="UK" in keys,
            primary_key="PK" in keys or m["name"].startswith("*"),
            description=m["comment"] or None,
            nullable=False if comment_says_not_null(m["comment"] or "") else None,
        )
        ent.table.columns.append(col)
        if "FK" in keys:
            col.fk_marked = True
            ent.fk_marked.append(col)

    def relationship(
        self, m: re.Match[str], left: tuple[int, bool], right: tuple[int, bool], idx: int, pos: int
    ) -> None:
        a = self.entity(m["a"], None, idx, pos + m.start("a"))
        b = self.entity(m["b"], None, idx, pos + m.start("b"))
        label = _unquote(m["label"]) if m["label"] else None
        span = self.span(idx, pos)
        # The marker next to an entity says how many of it go with one of the other.
        if left[1] and right[1]:
            self.facts.diagnostics.append(
                not_built(
                    "many-to-many relationship",
                    f"{a.name} and {b.name} are drawn many-to-many; no foreign key follows from it",
                    span,
                    "draw the link table and its two one-to-many edges",
                )
            )
            return
        # The parent is the "one" side; in a one-to-one edge, the side marked exactly-one
        # (the left one when both sides are marked alike).
        a_is_parent = right[1] or (not left[1] and (left == _EXACTLY_ONE or right != _EXACTLY_ONE))
        if a_is_parent:
            parent_key, child_key, parent_mark = _unquote(m["a"]), _unquote(m["b"]), left
        else:
            parent_key, child_key, parent_mark = _unquote(m["b"]), _unquote(m["a"]), right
        parent, child = self.entities[parent_key], self.entities[child_key]
        fact = RelationshipFact(parent.name, child.name, span, label=label, optional=parent_mark[0] == 0)
        self.facts.relationships.append(fact)
        self.edges.append(_Edge(parent_key, child_key, fact, _FK_LABEL_RE.search(label or "")))

    def finish(self) -> None:
        for ent in self.entities.values():
            if ent.table is not None and not ent.table.columns:  # "Name { }" states no columns
                ent.table = None
            if ent.table is None:
                self.facts.mentions.append(MentionFact(ent.name, ent.span, "mermaid erDiagram"))
            else:
                pks = [c for c in ent.table.columns if c.primary_key]
                if len(pks) > 1:  # several PK marks: one composite key
                    ent.table.primary_key = [c.name for c in pks]
                    for c in pks:
                        c.primary_key = False
                self.facts.tables.append(ent.table)
        self.facts.tables.sort(key=lambda t: t.span)
        self.facts.mentions.sort(key=lambda m: m.span)
        for edge in self.edges:
            if edge.fk_label is not None:
                self._from_label(edge, edge.fk_label)
        for edge in self.edges:
            if not edge.resolved:
                self._by_name(edge)
        self._by_elimination()

    def _ref(self, edge: _Edge, columns: list[str]) -> RefFact:
        return RefFact(self.entities[edge.parent].name, columns, span=edge.fact.span)

    def _from_label(self, edge: _Edge, m: re.Match[str]) -> None:
        child = self.entities[edge.child]
        if child.table is None:
            return
        cols = [_unquote(c) for c in m["cols"].split(",") if c.strip()]
        refcols = [_unquote(c) for c in m["refcols"].split(",") if c.strip()]
        parent = self.entities[edge.parent].name
        written = _split_name(m["table"])
        target = (
            parent if written.text == parent.text and written.schema in (None, parent.schema) else written
        )
        ref = RefFact(target, refcols, span=edge.fact.span)
        edge.resolved = True
        if len(cols) == 1:
            for col in child.table.columns:
                if col.name == cols[0] and col.references is None:
                    col.references = ref
                    return
        child.table.foreign_keys.append((cols, ref))

    def _by_name(self, edge: _Edge) -> None:
        child = self.entities[edge.child]
        if child.table is None:
            return
        pool = child.fk_marked or [c for c in child.table.columns if not c.primary_key]
        parent = self.entities[edge.parent].name.text
        hits = [c for c in pool if c.references is None and names_parent(c.name, parent)]
        if len(hits) == 1:
            hits[0].references = self._ref(edge, [])
            edge.resolved = True

    def _by_elimination(self) -> None:
        for key, ent in self.entities.items():
            open_cols = [c for c in ent.fk_marked if c.references is None]
            open_edges = [e for e in self.edges if e.child == key and not e.resolved]
            if len(open_cols) == 1 and len(open_edges) == 1 and ent.table is not None:
                col, edge = open_cols[0], open_edges[0]
                col.references = self._ref(edge, [])
                edge.resolved = True
                self.facts.diagnostics.append(
                    Diagnostic(
                        CODE_FK_BY_ELIMINATION,
                        "note",
                        f"{ent.name}.{col.name} taken as the reference to {edge.fact.parent}: "
                        "it is the only FK column left and the only unexplained edge",
                        col.span,
                        related=(edge.fact.span,),
                    )
                )
