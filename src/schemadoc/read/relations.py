"""Relation notation: one table per line, ``name(column [type] [keys], ...)``.

Examples of what a line may hold::

    papers(id PK, title, storage_path, created_at)
    plans(id PK, paper_id FK->papers(id), plan_json JSONB, budget_minutes)
    run_events(id BIGINT PK, run_id FK → runs(id) ON DELETE CASCADE, seq BIGINT NOT NULL)
    tags(post_id FK->posts, tag TEXT, PRIMARY KEY (post_id, tag))

Per column, after its name and in any order: a type (``JSONB``, ``varchar(255)``,
``double precision``), ``PK``/``PRIMARY KEY``, ``UK``/``UNIQUE``, ``NOT NULL``/``NULL``,
``DEFAULT expr``, and a reference written ``FK->t(c)``, ``FK → t(c)``, ``FK -> t``,
``FK t(c)``, ``REFERENCES t(c)`` or ``-> t(c)`` (``t.c`` without parentheses means
table ``t``, column ``c``), optionally followed by ``ON DELETE``/``ON UPDATE`` actions.
Table-level ``PRIMARY KEY (a, b)`` and ``UNIQUE (a, b)`` items are understood too.
A column without a type gets ``type=None``: the resolver infers it and says so.
"""

from __future__ import annotations

import re

from schemadoc.diagnostics import Diagnostic, not_built
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import FK_ACTIONS, FkAction, Span
from schemadoc.read.facts import ColumnFact, DocFacts, Name, RefFact, TableFact
from schemadoc.types import normalize_type

CODE_UNREADABLE_RELATION = "SD146"

_IDENT = r"[A-Za-z_][\w$]*"
_QNAME = rf"{_IDENT}(?:\.{_IDENT})?"
_LINE_RE = lazy_regex(rf"^(?P<name>{_QNAME})\s*\((?P<body>.*)\)\s*[;,]?\s*$")
_COMMENT_RE = lazy_regex(r"^(?:--|//)")
_ITEM_NAME_RE = lazy_regex(rf"^(?P<name>{_IDENT}|\"[^\"]+\")(?=\s|$)")
_TABLE_KEY_RE = lazy_regex(r"^(?P<kind>PK|PRIMARY\s+KEY|UK|UNIQUE)\s*\((?P<cols>[^)]*)\)$", re.IGNORECASE)
_TARGET = rf"(?P<table>{_QNAME})(?:\s*\(\s*(?P<cols>[^)]*)\))?"
_REF_RES = [
    lazy_regex(rf"\bFK\s*(?:->|→|=>)\s*{_TARGET}", re.IGNORECASE),
    lazy_regex(rf"\bREFERENCES\s+{_TARGET}", re.IGNORECASE),
    lazy_regex(rf"\bFK\s+(?P<table>{_QNAME})\s*\(\s*(?P<cols>[^)]*)\)", re.IGNORECASE),
    lazy_regex(rf"(?:->|→)\s*{_TARGET}"),
]
_ACTION_RE = lazy_regex(
    r"\bON\s+(?P<event>DELETE|UPDATE)\s+(?P<action>NO\s+ACTION|RESTRICT|CASCADE|SET\s+NULL|SET\s+DEFAULT)\b",
    re.IGNORECASE,
)
_DEFAULT_RE = lazy_regex(r"\bDEFAULT\s+(?P<expr>'[^']*'|[\w.:]+(?:\([^)]*\))?)", re.IGNORECASE)
_FLAG_RES: list[tuple[str, re.Pattern[str]]] = [
    ("pk", lazy_regex(r"\b(?:PK|PRIMARY\s+KEY)\b", re.IGNORECASE)),
    ("unique", lazy_regex(r"\b(?:UK|UNIQUE)\b", re.IGNORECASE)),
    ("not_null", lazy_regex(r"\bNOT\s+NULL\b", re.IGNORECASE)),
    ("null", lazy_regex(r"\bNULL(?:ABLE)?\b", re.IGNORECASE)),
    ("fk", lazy_regex(r"\bFK\b", re.IGNORECASE)),
]
_TYPE_LEFTOVER_RE = lazy_regex(r"^[A-Za-z_][\w ]*(?:\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\s*\[\s*\])*$")


def split_top_level(text: str) -> list[tuple[str, int]]:
    """Split on commas outside parentheses; each part with its offset in ``text``."""
    parts: list[tuple[str, int]] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            parts.append((text[start:i], start))
            start = i + 1
    parts.append((text[start:], start))
    return parts


def _name(written: str) -> Name:
    schema, dot, name = written.rpartition(".")
    return Name(name, schema if dot else None)


class _Item:
    """One parsed column item (or a table-level key)."""

    def __init__(self, text: str) -> None:
        self.name: str | None = None
        self.quoted = False
        self.table_key: tuple[str, list[str]] | None = None
        self.type_written: str | None = None
        self.flags: set[str] = set()
        self.ref: tuple[Name, list[str]] | None = None
        self.on_delete: FkAction | None = None
        self.on_update: FkAction | None = None
        self.default: str | None = None
        self.error: str | None = None
        self._parse(text.strip())

    def _parse(self, text: str) -> None:
        key = _TABLE_KEY_RE.match(text)
        if key:
            kind = "unique" if key["kind"].upper() in ("UK", "UNIQUE") else "pk"
            self.table_key = (kind, [c.strip().strip('"') for c in key["cols"].split(",") if c.strip()])
            return
        m = _ITEM_NAME_RE.match(text)
        if not m:
            self.error = f"expected a column name, found {text!r}"
            return
        self.name = m["name"].strip('"')
        self.quoted = m["name"].startswith('"')
        rest = text[m.end() :]
        for ref_re in _REF_RES:
            r = ref_re.search(rest)
            if r:
                cols = r["cols"]
                table_written = r["table"]
                if cols is None and "." in table_written:  # t.c: a table and its column
                    table_written, _, col = table_written.rpartition(".")
                    cols = col
                self.ref = (_name(table_written), [c.strip() for c in (cols or "").split(",") if c.strip()])
                self.flags.add("fk")
                rest = rest[: r.start()] + " " + rest[r.end() :]
                break
        for action in _ACTION_RE.finditer(rest):
            value = " ".join(action["action"].upper().split())
            assert value in FK_ACTIONS
            chosen: FkAction = next(a for a in FK_ACTIONS if a == value)
            if action["event"].upper() == "DELETE":
                self.on_delete = chosen
            else:
                self.on_update = chosen
        rest = _ACTION_RE.sub(" ", rest)
        d = _DEFAULT_RE.search(rest)
        if d:
            self.default = d["expr"]
            rest = rest[: d.start()] + " " + rest[d.end() :]
        for flag, flag_re in _FLAG_RES:
            if flag_re.search(rest):
                self.flags.add(flag)
                rest = flag_re.sub(" ", rest)
        leftover = " ".join(rest.split())
        if leftover:
            if not _TYPE_LEFTOVER_RE.match(leftover):
                self.error = f"cannot read {leftover!r} in the definition of {self.name}"
                return
            self.type_written = leftover


def _parse_line(stripped: str) -> tuple[str, list[tuple[_Item, int]]] | None:
    m = _LINE_RE.match(stripped)
    if not m or not m["body"].strip():
        return None
    offset = m.start("body")
    items = []
    for part, pos in split_top_level(m["body"]):
        if not part.strip():
            return None
        lead = len(part) - len(part.lstrip())
        items.append((_Item(part), offset + pos + lead))
    return m["name"], items


def looks_like_relations(text: str) -> bool:
    """True when every non-blank line (``--``/``//`` comment lines aside) is ``ident(item, ...)``
    with readable items, and at least one item marks a key (PK, FK or a reference), so that
    prose, SQL and function calls in code samples do not qualify."""
    seen_key = False
    seen_line = False
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or _COMMENT_RE.match(stripped):
            continue
        parsed = _parse_line(stripped)
        if parsed is None:
            return False
        seen_line = True
        for item, _ in parsed[1]:
            if item.error:
                return False
            if item.table_key or item.flags & {"pk", "fk"}:
                seen_key = True
    return seen_line and seen_key


def read_relations(text: str, *, file: str, line: int, col_offset: int = 0) -> DocFacts:
    """One :class:`TableFact` (source ``"relations"``) per relation line. ``line`` is the
    document line of the text's first line; ``col_offset`` its indentation."""
    facts = DocFacts()
    for idx, raw in enumerate(text.split("\n")):  # line numbers as markdown-it counts them
        stripped = raw.strip()
        if not stripped or _COMMENT_RE.match(stripped):
            continue
        start = raw.index(stripped)

        def span(pos: int, idx: int = idx, start: int = start) -> Span:
            return Span(file, line + idx, start + pos + 1 + col_offset)

        parsed = _parse_line(stripped)
        if parsed is None:
            facts.diagnostics.append(
                Diagnostic(
                    CODE_UNREADABLE_RELATION,
                    "warning",
                    f"cannot read this line as table(column, ...): {stripped!r}",
                    span(0),
                )
            )
            continue
        table_name, items = parsed
        table = TableFact(_name(table_name), span(0), "relations")
        for item, pos in items:
            if item.error:
                facts.diagnostics.append(
                    Diagnostic(CODE_UNREADABLE_RELATION, "warning", f"{table_name}: {item.error}", span(pos))
                )
                continue
            if item.table_key:
                kind, cols = item.table_key
                if kind == "pk":
                    table.primary_key = cols
                else:
                    table.uniques.append((cols, None, span(pos), False))
                continue
            assert item.name is not None
            col = ColumnFact(
                name=item.name,
                span=span(pos),
                quoted=item.quoted,
                type=normalize_type(item.type_written) if item.type_written else None,
                type_written=item.type_written,
                nullable=False if "not_null" in item.flags else (True if "null" in item.flags else None),
                default=item.default,
                primary_key="pk" in item.flags,
                unique="unique" in item.flags,
            )
            if item.ref:
                ref_table, ref_cols = item.ref
                col.references = RefFact(
                    ref_table, ref_cols, on_delete=item.on_delete, on_update=item.on_update, span=span(pos)
                )
            elif "fk" in item.flags:
                facts.diagnostics.append(
                    not_built(
                        "FK mark without a target",
                        f"{table_name}.{item.name} is marked FK without saying what it references",
                        span(pos),
                        "write FK->table(column)",
                    )
                )
            table.columns.append(col)
        pks = [c for c in table.columns if c.primary_key]
        if len(pks) > 1 and table.primary_key is None:  # several PK marks: one composite key
            table.primary_key = [c.name for c in pks]
        for c in pks:
            if table.primary_key is not None and c.name in table.primary_key:
                c.primary_key = False
        facts.tables.append(table)
    return facts
