"""Read a schema reference document written in markdown.

The walker goes through markdown-it-py's block tokens keeping the section context
(the heading stack: which table, view or function are we in, and under which label
such as **Constraints:**) and hands each block to the reader that understands it:
column tables and bullet column lists (:mod:`~schemadoc.read.columns`), prose bullets
(:mod:`~schemadoc.read.prose`), SQL fences (:mod:`~schemadoc.read.sql`), mermaid ER
diagrams, ``table(col PK, ...)`` relation lines and enum blocks.

Every fact keeps the line and column it came from. Sections that do not describe the
current schema (future plans, examples, deployment notes) are skipped, with a note for
each SQL or column block that was not read.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import field
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from schemadoc.diagnostics import Diagnostic, SchemadocError, not_built
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import DEFAULT_SCHEMA, Enum, QName, Span
from schemadoc.read import columns as colreader
from schemadoc.read import prose, reader_errors_raise, sql_replay
from schemadoc.read.api_fields import looks_like_api_fields, read_api_field_rows
from schemadoc.read.corpus_styles import read_fk_sentence
from schemadoc.read.enums import read_enum_block
from schemadoc.read.facts import (
    ColumnFact,
    DocFacts,
    MentionFact,
    Name,
    Source,
    TableFact,
    ValueListFact,
)
from schemadoc.read.fragments import statement_diagnostic
from schemadoc.read.md_fences import blank_fences, restore_fences
from schemadoc.read.mdtext import (
    Row,
    code_span_matches,
    code_spans,
    is_delimiter_row,
    is_identifier,
    split_row,
    strip_emphasis,
    unwrap,
)
from schemadoc.read.psql_describe import (
    bare_labels,
    is_footer_list,
    looks_like_psql_describe,
    read_footer_list,
    read_psql_describe,
)
from schemadoc.read.relations import looks_like_relations, read_relations
from schemadoc.read.sql import looks_like_sql, read_sql
from schemadoc.read.sql_bullets import looks_like_sql_bullets, read_sql_bullets
from schemadoc.read.thin import ThinReport
from schemadoc.records import record
from schemadoc.sqlnames import quote_ident, quote_qualified

RowReader = Callable[..., colreader.ColumnTable]  # reader(header, body, *, file) -> ColumnTable
EntityKind = Literal["table", "view", "function", "enum", "column"]

_SKIP_RE = lazy_regex(
    r"\b(future|roadmap|examples?|patterns?|tips|backups?|restore|deploy(?:ment|ing)?|workflows?|"
    r"optimi[sz]ation|todo|wishlist)\b",
    re.IGNORECASE,
)
_LABEL_SKIP_RE = lazy_regex(
    r"\b(usage|examples?|e\.g|patterns?|future|sample|planned|proposed)\b", re.IGNORECASE
)
_FUTURE_ITEM_RE = lazy_regex(r"^\s*(?:\*\*|__)?\s*(future|planned|todo|later)\s*:?\s*(?:\*\*|__)?\s*:?", re.I)

_LABEL_HEADINGS: dict[str, str] = {
    "columns": "columns",
    "column": "columns",
    "fields": "columns",
    "key columns": "columns",
    "カラム一覧": "columns",
    "カラム": "columns",
    "constraints": "constraints",
    "制約": "constraints",
    "check constraints": "constraints",
    "indexes": "indexes",
    "indices": "indexes",
    "インデックス": "indexes",
    "unique indexes": "unique indexes",
    "foreign keys": "foreign keys",
    "foreign key constraints": "foreign keys",
    "外部キー制約": "foreign keys",
    "外部キー": "foreign keys",
    "triggers": "triggers",
    "トリガー": "triggers",
    "relationships": "relationships",
    "relations": "relationships",
    "リレーション": "relationships",
    "description": "description",
    "viewpoints": "viewpoints",
    "referenced tables": "referenced tables",
    "definition": "definition",
    "table definition": "definition",
}
_COLUMN_LABELS = {
    "columns",
    "key columns",
    "fields",
    "column",
    "schema",
    "attributes",
    "カラム一覧",
    "カラム",
}
_VALUE_LABEL_RE = lazy_regex(
    r"^([a-z_][\w ]*?)\s+(values|lifecycle|states|enum|enum values|options|allowed values)$", re.IGNORECASE
)
_STOP_NAMES = {
    "overview", "tables", "enums", "indexes", "constraints", "columns", "description", "relations",
    "relationships", "views", "functions", "triggers", "migrations", "notes", "summary", "introduction",
    "contents", "schema", "database", "appendix", "glossary", "references", "security", "performance",
    "automation", "purpose", "usage", "changelog", "history", "setup", "installation", "requirements",
    "conventions", "definitions", "viewpoints", "fields", "keys", "policies", "rls", "extensions", "types",
    "sequences", "grants", "permissions", "erd", "diagram", "faq", "goals", "testing", "概要", "目次",
    "definition", "behavior", "enum", "status", "key", "conclusion", "license", "index",
}  # fmt: skip
_SQL_INFOS = {"sql", "postgres", "postgresql", "psql", "pgsql", "plpgsql", "plsql", "pg"}
_ENUM_INFOS = {
    "typescript",
    "ts",
    "prisma",
    "javascript",
    "js",
    "graphql",
    "gql",
    "python",
    "py",
    "rust",
    "go",
}
_TABLE_NAME_PARA = lazy_regex(r"^\s*(?:テーブル名|table name|table)\s*[:：]\s*`([^`]+)`\s*$", re.IGNORECASE)
_LINK_PARA = lazy_regex(
    r"(?:links? to|references|linked to|tied to)\s+(?:supabase\s+|the\s+)?`([\w.]+)`[^.]*?\bforeign key",
    re.IGNORECASE,
)
_LABEL_PARA = lazy_regex(r"^\s*(?:\*\*|__)(?P<label>[^*_]+?)(?:\*\*|__)\s*(?P<rest>.*)$", re.DOTALL)
_PLAIN_LABEL = lazy_regex(r"^\s*(?P<label>[^:`*]{1,40}?)\s*[:：]\s*$")


@record(frozen=False)
class Entity:
    name: Name
    kind: EntityKind
    column: str | None = None


@record(frozen=False)
class Section:
    level: int
    title: str
    entity: Entity | None = None
    label: str | None = None
    skip: str | None = None
    tables: dict[str, TableFact] = field(default_factory=dict)
    parent_refs: list[ColumnFact] = field(default_factory=list)
    constraint_names: set[str] = field(default_factory=set)
    pending_link: str | None = None
    is_view: bool = False
    description: str | None = None  # text under the entity's Description heading


@record(frozen=False)
class ListItem:
    text: str
    span: Span
    line_text: str
    children: list[ListItem] = field(default_factory=list)
    blocks: list[tuple[Token, int]] = field(default_factory=list)  # fences / tables, with token index


_FK_WORDS = lazy_regex(r"\bforeign\s+key\b", re.IGNORECASE)
_TABLE_ITEM_RE = lazy_regex(r"^\s*`([A-Za-z_][\w.]*)`\s+table\b")


def read_markdown(text: str, *, file: str) -> DocFacts:
    """Everything ``text`` (a markdown document) states about a schema, as facts."""
    return _Walker(text, file).run()


def _bare_select(text: str) -> bool:
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
    return bool(re.match(r"^\s*\(?\s*(SELECT|WITH|VALUES)\b", body, re.IGNORECASE))


_PARSER: list[MarkdownIt] = []


def _block_parser() -> MarkdownIt:
    """CommonMark with tables, block structure only: the walker reads block tokens and the
    ``content`` (source text) of inline tokens, never their parsed children, so the inline
    rules are left out. Built once."""
    if not _PARSER:
        # Line endings and NUL characters are normalised by _normalized (markdown-it's own rule does
        # it with a regex substitution for every line of the document).
        _PARSER.append(MarkdownIt("commonmark").enable("table").disable(["inline", "text_join", "normalize"]))
    return _PARSER[0]


def _parse_blocks(text: str) -> list[Token]:
    """markdown-it's block tokens of ``text``, parsed with the bodies of its fences taken out (see
    :mod:`schemadoc.read.md_fences`), or of the whole text when that parse cannot be verified."""
    parser = _block_parser()
    blanked_text, blanked = blank_fences(text)
    if blanked:
        tokens = parser.parse(blanked_text)
        if restore_fences(tokens, blanked):
            return tokens
    return parser.parse(text)


def _normalized(text: str) -> str:
    """What CommonMark parses: CR LF and lone CR made LF, NUL made U+FFFD."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in text:
        text = text.replace("\0", "\ufffd")
    return text


class _Lines:
    """The lines of a text, cut out when asked for: the text is kept once, with where each line
    starts, instead of as a second copy made of one string per line."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = array("q", [0])
        find = text.find
        at = find("\n")
        while at != -1:
            self.starts.append(at + 1)
            at = find("\n", at + 1)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index: int) -> str:
        start = self.starts[index]
        end = self.starts[index + 1] - 1 if index + 1 < len(self.starts) else len(self.text)
        return self.text[start:end]


# What a token the walker has read is replaced with, so that it is freed as the walk goes on.
_SPENT = Token("spent", "", 0)


class _Walker:
    def __init__(self, text: str, file: str) -> None:
        self.text = _normalized(text)
        self.file = file
        # Lines as markdown-it counts them: only LF, CR LF and CR end a line (str.splitlines also
        # breaks at U+2028, form feeds and others, which would shift every line number after them).
        self.lines = _Lines(self.text)
        self.out = DocFacts()
        self.stack: list[Section] = [Section(level=0, title="")]
        self.para_label: str | None = None
        self.tokens: list[Token] = []
        self.thin = ThinReport()  # what a document without tables was seen to hold

    # --- driver --------------------------------------------------------------------------

    def run(self) -> DocFacts:
        try:
            self.tokens = _parse_blocks(self.text)
        except Exception as exc:  # markdown-it does not fail on text, but never let it escape
            self.out.diagnostics.append(
                Diagnostic("SD019", "error", f"document could not be parsed as markdown: {exc}", self.span(1))
            )
            return self.out
        i = 0
        tokens = self.tokens
        while i < len(tokens):
            after = self.step(i)
            # blocks are read front to back and never looked at again: free them
            for spent in range(i, after):
                tokens[spent] = _SPENT
            i = after
        if not self.out.tables:
            self.out.thin.extend(self.thin.notes({str(m.name).lower() for m in self.out.mentions}))
        return self.out

    def step(self, i: int) -> int:
        """Read the block starting at token ``i``; return the index of the next block."""
        reader = _BLOCK_STEPS.get(self.tokens[i].type)
        return reader(self, i) if reader is not None else i + 1

    def inline_after(self, i: int) -> str:
        return self.tokens[i + 1].content if i + 1 < len(self.tokens) else ""

    def heading_step(self, i: int) -> int:
        tok, content = self.tokens[i], self.inline_after(i)
        self.guard(tok, lambda: self.heading(tok, content))
        return i + 3

    def paragraph_step(self, i: int) -> int:
        tok, content = self.tokens[i], self.inline_after(i)
        self.guard(tok, lambda: self.paragraph(tok, content))
        return i + 3

    def list_step(self, i: int) -> int:
        end = self.matching_close(i)
        self.guard(self.tokens[i], lambda: self.list_block(i, end))
        return end + 1

    def table_step(self, i: int) -> int:
        tok = self.tokens[i]
        self.guard(tok, lambda: self.table(tok))
        return self.matching_close(i) + 1

    def fence_step(self, i: int) -> int:
        tok = self.tokens[i]
        self.guard(tok, lambda: self.fence(tok, skip=None))
        return i + 1

    def guard(self, tok: Token, action: Callable[[], None]) -> None:
        """Run one block's reader. A reader bug costs only its block (a warning says so), except
        under the test suite (see :func:`schemadoc.read.reader_errors_raise`), where it raises."""
        try:
            action()
        except SchemadocError:
            raise
        except Exception as exc:
            if reader_errors_raise():
                raise
            line = tok.map[0] + 1 if tok.map else 1
            self.out.diagnostics.append(
                Diagnostic(
                    "SD019",
                    "warning",
                    f"block could not be read ({type(exc).__name__}: {exc}); it was skipped",
                    self.span(line),
                )
            )

    def matching_close(self, start: int) -> int:
        open_tok = self.tokens[start]
        close_type = open_tok.type.replace("_open", "_close")
        for j in range(start + 1, len(self.tokens)):
            tok = self.tokens[j]
            if tok.type == close_type and tok.level == open_tok.level:
                return j
        return len(self.tokens) - 1

    def span(self, line: int, col: int = 1) -> Span:
        return Span(self.file, line, col)

    # --- context ------------------------------------------------------------------------------

    @property
    def section(self) -> Section:
        return self.stack[-1]

    def heading_text(self) -> str:
        """The titles of the headings we are under, outermost first."""
        return " / ".join(sec.title for sec in self.stack)

    def entity_section(self) -> Section | None:
        """The nearest section naming an entity, looking up through label headings only
        ("### Indexes" under "## users"); any other heading ends the search."""
        for sec in reversed(self.stack):
            if sec.entity is not None:
                return sec
            if sec.level > 0 and sec.label is None:
                return None
        return None

    @property
    def entity(self) -> Entity | None:
        sec = self.entity_section()
        return sec.entity if sec else None

    @property
    def skip(self) -> str | None:
        for sec in reversed(self.stack):
            if sec.skip:
                return sec.skip
        return None

    @property
    def label(self) -> str | None:
        if self.para_label:
            return self.para_label
        return self.section.label

    def table_name(self) -> Name | None:
        ent = self.entity
        if ent is not None and ent.kind in ("table", "view"):
            return ent.name
        return None

    def table_fact(self, source: Source, span: Span) -> TableFact:
        sec = self.entity_section()
        assert sec is not None and sec.entity is not None
        fact = sec.tables.get(source)
        if fact is None:
            fact = TableFact(name=sec.entity.name, span=span, source=source, description=sec.description)
            sec.tables[source] = fact
            self.out.tables.append(fact)
        return fact

    def note(self, code: str, message: str, line: int, col: int = 1, level: str = "note") -> None:
        self.out.diagnostics.append(Diagnostic(code, level, message, self.span(line, col)))  # type: ignore[arg-type]

    # --- headings ---------------------------------------------------------------------------

    def heading(self, tok: Token, content: str) -> None:
        level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 1
        while len(self.stack) > 1 and self.stack[-1].level >= level:
            self.stack.pop()
        self.para_label = None
        title = unwrap(content)
        sec = Section(level=level, title=title)
        if _SKIP_RE.search(_DOTTED_NAME.sub(" ", title)):  # not a schema name: backup.blogs
            sec.skip = title
        key = " ".join(title.lower().rstrip(":：").split())
        if key in _LABEL_HEADINGS:
            sec.label = _LABEL_HEADINGS[key]
        else:
            sec.entity = heading_entity(content, [s.title for s in self.stack[1:]])
            if sec.entity is not None and sec.entity.kind == "table" and not self.skip and not sec.skip:
                self.thin.candidate(sec.entity.name, self.span(tok.map[0] + 1 if tok.map else 1))
        self.stack.append(sec)

    # --- paragraphs ------------------------------------------------------------------------

    def paragraph(self, tok: Token, content: str) -> None:
        line = tok.map[0] + 1 if tok.map else 1
        span = self.span(line, self.indent_col(line))
        label, rest = paragraph_label(content)
        self.para_label = label
        if self.skip:
            return
        prose.read_grant(content, span, self.out)
        prose.read_extensions(content, span, self.out)
        prose.read_global_fk_action(content, span, self.out)
        prose.read_key_default(content, span, self.out, self.heading_text())
        m = _TABLE_NAME_PARA.match(unwrap(content) if "`" not in content else strip_emphasis(content))
        ent_sec = self.entity_section()
        if m and ent_sec is not None and ent_sec.entity is not None and ent_sec.entity.kind == "table":
            ent_sec.entity.name = colreader.name_from(m.group(1))
            for fact in ent_sec.tables.values():
                fact.name = ent_sec.entity.name
            return
        lm = _LINK_PARA.search(strip_emphasis(content))
        if lm and ent_sec is not None:
            ent_sec.pending_link = lm.group(1)
            self.apply_pending_link(ent_sec)
        if label is None and self.section.label == "description" and ent_sec is not None:
            self.table_description(ent_sec, content)
        if label and rest:
            self.label_values(label, rest, span)
        if not label and looks_like_relations(content):
            self.read_block(read_relations, content, line)
        elif not label and self.section.label is None and ent_sec is not None:
            self.fk_paragraph(content, span)

    def table_description(self, sec: Section, content: str) -> None:
        """A paragraph under a table's "Description" heading is the table's comment."""
        if sec.entity is None or sec.entity.kind != "table" or sec.is_view:
            return
        text = "\n".join(unwrap(line).strip() for line in content.splitlines()).strip()
        sec.description = f"{sec.description}\n\n{text}" if sec.description else text
        for fact in sec.tables.values():
            fact.description = sec.description

    def indent_col(self, line: int) -> int:
        raw = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(raw) - len(raw.lstrip()) + 1

    def value_column(self, label: str) -> str | None:
        """The column a label such as "Status Values" / "Status Lifecycle" gives values for:
        a column the section defines, or ``status``."""
        vm = _VALUE_LABEL_RE.match(label)
        if not vm:
            return None
        words = vm.group(1).lower().split()
        wanted = {"_".join(words), "".join(words)}
        sec = self.entity_section()
        if sec is not None:
            for fact in sec.tables.values():
                for col in fact.columns:
                    if col.name.lower() in wanted:
                        return col.name
        return "status" if words == ["status"] else None

    def label_values(self, label: str, rest: str, span: Span) -> None:
        table = self.table_name()
        column = self.value_column(label)
        if column is None or table is None:
            return
        values = prose.inline_values(rest)
        if values:
            self.out.value_lists.append(ValueListFact(values=values, span=span, table=table, column=column))

    def apply_pending_link(self, sec: Section) -> None:
        if sec.pending_link is None:
            return
        fact = sec.tables.get("columns") or sec.tables.get("bullets")
        if fact is None:
            return
        pks = [c for c in fact.columns if c.primary_key]
        if len(pks) == 1 and pks[0].references is None:
            pks[0].references = prose.ref_to(sec.pending_link, pks[0].span)
        sec.pending_link = None

    # --- lists ------------------------------------------------------------------------------

    def list_block(self, start: int, end: int) -> None:
        items = self.build_items(start, end)
        label = self.label
        self.para_label = None
        self.read_items(items, label)

    def build_items(self, start: int, end: int) -> list[ListItem]:
        tokens = self.tokens
        list_level = tokens[start].level
        items: list[ListItem] = []
        i = start + 1
        while i < end:
            tok = tokens[i]
            if tok.type == "list_item_open" and tok.level == list_level + 1:
                close = self.matching_close(i)
                items.append(self.build_item(i, close))
                i = close + 1
            else:
                i += 1
        return items

    def build_item(self, start: int, end: int) -> ListItem:
        tokens = self.tokens
        open_tok = tokens[start]
        line = open_tok.map[0] + 1 if open_tok.map else 1
        line_text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        marker = re.match(r"^\s*(?:[-*+]|\d+[.)])\s*", line_text)
        col = len(marker.group(0)) + 1 if marker else 1
        item = ListItem(text="", span=self.span(line, col), line_text=line_text)
        i = start + 1
        while i < end:
            tok = tokens[i]
            if tok.type == "inline" and not item.text:
                item.text = tok.content
            elif tok.type in ("bullet_list_open", "ordered_list_open"):
                close = self.matching_close(i)
                item.children.extend(self.build_items(i, close))
                i = close + 1
                continue
            elif tok.type in ("fence", "code_block"):
                item.blocks.append((tok, i))
            elif tok.type == "table_open":
                item.blocks.append((tok, i))
                i = self.matching_close(i) + 1
                continue
            i += 1
        return item

    def read_items(self, items: list[ListItem], label: str | None) -> None:
        skip = self.skip
        for item in items:
            future = bool(_FUTURE_ITEM_RE.match(item.text))
            self.item_blocks(item, skip or ("a 'Future' list item" if future else None))
        if skip:
            return
        live = [it for it in items if not _FUTURE_ITEM_RE.match(it.text)]
        for item in live:
            prose.read_grant(item.text, item.span, self.out)
            prose.read_extensions(item.text, item.span, self.out)
        self.dispatch_items(live, label)
        for item in live:
            if item.children:
                self.read_items(item.children, None)

    def item_blocks(self, item: ListItem, skip: str | None) -> None:
        for tok, _index in item.blocks:
            if tok.type == "table_open":
                self.guard(tok, lambda t=tok: self.table(t, skip=skip))  # type: ignore[misc]
            else:
                self.guard(tok, lambda t=tok: self.fence(t, skip=skip))  # type: ignore[misc]
        for child in item.children:
            future = bool(_FUTURE_ITEM_RE.match(child.text))
            self.item_blocks(child, skip or ("a 'Future' list item" if future else None))

    def pitems(self, items: Sequence[ListItem]) -> list[prose.Item]:
        return [prose.Item(text=it.text, span=it.span, line_text=it.line_text) for it in items]

    def dispatch_items(self, items: list[ListItem], label: str | None) -> None:
        if not items:
            return
        ent = self.entity
        table = self.table_name()
        label_key = (label or "").lower()
        pitems = self.pitems(items)
        if table is not None:
            self.thin.items(table, [it.text for it in pitems])
        for it in pitems:  # "- `system_settings` table": how the prose spells a table's name
            prose.read_global_fk_action(it.text, it.span, self.out)
            prose.read_key_default(it.text, it.span, self.out, self.heading_text())
            named = _TABLE_ITEM_RE.match(it.text)
            if named:
                self.out.mentions.append(
                    MentionFact(colreader.name_from(named.group(1)), it.span, "a table list")
                )

        def getter(source: Source = "prose") -> prose.TableGetter:
            return lambda: self.table_fact(source, pitems[0].span)

        if ent is not None and ent.kind == "column":
            values = prose.values_from_items(pitems)
            if values:
                self.out.value_lists.append(
                    ValueListFact(values=values, span=pitems[0].span, table=ent.name, column=ent.column)
                )
            return
        if ent is not None and ent.kind == "enum" and not label_key:
            values = prose.values_from_items(pitems) or bare_labels([it.text for it in pitems])
            if values:
                self.out.value_lists.append(
                    ValueListFact(values=values, span=pitems[0].span, enum_name=str(ent.name))
                )
            return
        column = self.value_column(label_key) if label_key else None
        if column is not None and table is not None:
            values = prose.values_from_items(pitems)
            if values:
                self.out.value_lists.append(
                    ValueListFact(values=values, span=pitems[0].span, table=table, column=column)
                )
            return
        if table is not None and is_footer_list(label_key, [it.text for it in pitems]):
            read_footer_list(
                label_key, [(it.span.line, it.text) for it in pitems], table, self.file, self.out
            )
            return
        if "index" in label_key:
            unique = "unique" in label_key
            for it in pitems:
                if table is None and not re.match(r"^\s*`[\w.]+\(", it.text):
                    continue
                ok = prose.read_index_item(it, table or Name(""), self.out, getter(), unique=unique)
                if not ok:
                    self.not_understood(it, "index")
            return
        if table is None and not (ent is not None and ent.kind == "function" and "trigger" in label_key):
            return
        if label_key in _COLUMN_LABELS or (not label_key and self.mostly_columns(pitems)):
            if table is None:
                return
            for it in pitems:
                cols = colreader.parse_column_bullet(it.text, it.span)
                if cols is None:
                    if label_key in _COLUMN_LABELS:
                        self.not_understood(it, "column")
                    continue
                fact = self.table_fact("bullets", it.span)
                fact.columns.extend(cols)
            sec = self.entity_section()
            if sec is not None:
                self.apply_pending_link(sec)
            return
        for word, reader in _LABELLED_ITEMS:
            if word in label_key:
                reader(self, pitems, table, getter())
                return
        if not label_key and table is not None:
            # unlabelled prose under a table: index and foreign key sentences
            for it in pitems:
                if re.search(r"\bindex\b", unwrap(it.text), re.IGNORECASE):
                    prose.read_index_item(it, table, self.out, getter(), unique=False)
                elif _FK_WORDS.search(it.text) and not self.fk_sentence(it):
                    self.not_understood(it, "foreign key")

    # Readers of the items of a list under a label (``**Constraints:**``, ``### Triggers``), for
    # the table ``table`` (None under a function); ``get_table`` gives the table's prose fact.

    def constraint_items(
        self, items: list[prose.Item], table: Name | None, get_table: prose.TableGetter
    ) -> None:
        assert table is not None
        for it in items:
            if not (
                prose.read_constraint_item(it, table, get_table, self.out)
                or prose.read_fk_item(it, get_table)
                or self.fk_sentence(it)
            ):
                self.not_understood(it, "constraint")

    def fk_items(self, items: list[prose.Item], table: Name | None, get_table: prose.TableGetter) -> None:
        assert table is not None
        for it in items:
            if not (
                prose.read_fk_item(it, get_table)
                or prose.read_constraint_item(it, table, get_table, self.out)
                or self.fk_sentence(it)
            ):
                self.not_understood(it, "foreign key")

    def trigger_items(
        self, items: list[prose.Item], table: Name | None, get_table: prose.TableGetter
    ) -> None:
        ent = self.entity
        function = ent.name if ent is not None and ent.kind == "function" else None
        for it in items:
            if not prose.read_trigger_item(it, table, function, self.out):
                self.not_understood(it, "trigger")

    def relation_items(
        self, items: list[prose.Item], table: Name | None, get_table: prose.TableGetter
    ) -> None:
        for it in items:
            prose.read_relationship_item(it, table, self.out)

    def fk_sentence(self, it: prose.Item) -> bool:
        """ "Foreign key on `a` (and `b`) references `t`(`x`, `y`) ON DELETE CASCADE" and the other
        spellings :func:`~schemadoc.read.corpus_styles.read_fk_sentence` reads."""
        found = read_fk_sentence(strip_emphasis(it.text), span=it.span)
        if found is None:
            return False
        self.table_fact("prose", it.span).foreign_keys.append(found)
        return True

    def fk_paragraph(self, content: str, span: Span) -> None:
        """A paragraph under a table that is one foreign-key sentence."""
        if self.table_name() is None or not _FK_WORDS.search(content):
            return
        sec = self.entity_section()
        if sec is not None and not sec.is_view:
            self.fk_sentence(prose.Item(text=content, span=span))

    def mostly_columns(self, items: list[prose.Item]) -> bool:
        parsed = sum(1 for it in items if colreader.parse_column_bullet(it.text, it.span) is not None)
        return parsed > 0 and parsed * 2 >= len(items)

    def not_understood(self, item: prose.Item, what: str) -> None:
        self.out.diagnostics.append(
            Diagnostic(
                "SD018",
                "note",
                f"{what} list item not understood, read as prose: {unwrap(item.text)[:80]!r}",
                item.span,
            )
        )

    # --- tables ------------------------------------------------------------------------------

    def table_rows(self, tok: Token) -> tuple[Row, list[Row]] | None:
        if not tok.map:
            return None
        first, last = tok.map
        header = split_row(self.lines[first], first + 1)
        body: list[Row] = []
        for index in range(first + 1, min(last, len(self.lines))):
            raw = self.lines[index]
            if not raw.strip() or (index == first + 1 and is_delimiter_row(raw)):
                continue
            body.append(split_row(raw, index + 1))
        return header, body

    def table(self, tok: Token, skip: str | None = None) -> None:
        rows = self.table_rows(tok)
        if rows is None:
            return
        header, body = rows
        heads = [c.text for c in header.cells]
        kind = colreader.classify_table(heads, body)
        if kind == "unknown" and looks_like_api_fields(heads):
            kind = "api_fields"
        skip = skip or self.skip
        if skip:
            if kind in ("columns", "transposed", "definitions", "api_fields"):
                self.note(
                    "SD011", f"table not read: it is under {skip!r}, not the current schema", header.line
                )
            return
        reader = _TABLE_READERS.get(kind)
        if reader is not None:
            reader(self, header, body)
        else:
            shown = ", ".join(unwrap(c.text) for c in header.cells)
            self.note("SD015", f"table ({shown}) is not a column table; ignored", header.line)

    def block_entity(self, line: int) -> Section | None:
        """The section a column table belongs to. A table directly under a heading that is
        also a label word ("### Relationships" holding a table of that name) is that table."""
        sec = self.entity_section()
        if sec is not None:
            return sec
        top = self.section
        if top.level > 0 and top.label and is_identifier(top.title.strip()):
            top.entity = Entity(colreader.name_from(top.title.strip()), "table")
            top.label = None
            return top
        self.note("SD015", "column table outside a table section (no table heading above it); ignored", line)
        return None

    def column_table(self, header: Row, body: list[Row]) -> None:
        self.columns_from(header, body, colreader.read_column_rows)

    def api_field_table(self, header: Row, body: list[Row]) -> None:
        self.columns_from(header, body, read_api_field_rows)

    def columns_from(self, header: Row, body: list[Row], reader: RowReader) -> None:
        """The columns ``reader`` finds in a table's rows, for the table of the section."""
        sec = self.block_entity(header.line)
        if sec is None or sec.entity is None:
            return
        ent = sec.entity
        if ent.kind == "view" or sec.is_view:
            self.note(
                "SD015", f"column table of view {ent.name} is documentation only; not read", header.line
            )
            return
        if ent.kind == "enum":  # a heading under "Types" with columns: a composite type
            self.out.diagnostics.append(
                not_built(
                    "composite type",
                    f"{ent.name} lists columns under a type heading; composite types are not part of the "
                    "schema model yet",
                    self.span(header.line),
                    "if it is a table, put it under a table heading",
                )
            )
            return
        if ent.kind != "table":
            self.note("SD015", f"column table under {ent.kind} {ent.name} is not read", header.line)
            return
        result = reader(header, body, file=self.file)
        self.out.diagnostics.extend(result.diagnostics)
        if not result.columns:
            return
        fact = self.table_fact("columns", self.span(header.line, header.cells[0].col if header.cells else 1))
        fact.columns.extend(result.columns)
        sec.parent_refs.extend(result.parent_refs)
        self.apply_pending_link(sec)

    def transposed_table(self, header: Row, body: list[Row]) -> None:
        sec = self.block_entity(header.line)
        if sec is None or sec.entity is None or sec.entity.kind != "table":
            return
        cols = colreader.read_transposed(header, body[0], file=self.file)
        fact = self.table_fact("columns", self.span(header.line))
        fact.columns.extend(cols)

    def definitions_table(self, header: Row, body: list[Row]) -> None:
        """tbls "Constraints" / "Indexes" / "Triggers" tables: Name | [Type |] Definition."""
        sec = self.entity_section()
        table = self.table_name()
        roles = colreader.header_roles([c.text for c in header.cells])
        name_i, def_i, type_i = roles["name"], roles["definition"], roles.get("type")
        for row in body:
            if def_i >= len(row.cells):
                continue
            name = unwrap(row.cells[name_i].text) if name_i < len(row.cells) else ""
            definition = unwrap(row.cells[def_i].text)
            ctype = (
                unwrap(row.cells[type_i].text).upper()
                if type_i is not None and type_i < len(row.cells)
                else ""
            )
            col = row.cells[def_i].col
            if ctype == "TRIGGER" and sec is not None and sec.label != "triggers":
                continue  # tbls lists constraint triggers again under "Triggers"
            if re.match(r"^\s*CREATE\b", definition, re.IGNORECASE):
                if (
                    sec is not None
                    and name in sec.constraint_names
                    and re.search(r"\bINDEX\b", definition, re.I)
                ):
                    continue  # the index behind a PRIMARY KEY / UNIQUE constraint
                if self.refused(definition, _CELL_STATEMENTS, row.line, col, f"definition of {name}"):
                    continue
                self.call_sql(definition, row.line, col)
                continue
            if ctype == "TRIGGER" or table is None or not name:
                continue
            qname = (
                quote_qualified(QName(table.schema, table.text)) if table.schema else quote_ident(table.text)
            )
            sql_text = f"ALTER TABLE {qname} ADD CONSTRAINT {quote_ident(name)} {definition};"
            if self.refused(sql_text, _ALTER_TABLE, row.line, col, f"constraint {name}", commands=1):
                continue
            added = self.call_sql(sql_text, row.line, col)
            if sec is not None:
                sec.constraint_names.add(name)
                if added is not None and any(t.foreign_keys for t in added):
                    for column in sec.parent_refs:
                        column.references = None
                    sec.parent_refs.clear()

    def overview_table(self, header: Row, body: list[Row]) -> None:
        context = self.section.title
        for row in body:
            if not row.cells:
                continue
            written = unwrap(row.cells[0].text)
            written = re.sub(r"\s*\(.*\)$", "", written).strip()
            if written and is_identifier(written):
                self.out.mentions.append(
                    MentionFact(colreader.name_from(written), self.span(row.line, row.cells[0].col), context)
                )

    def enum_table(self, header: Row, body: list[Row]) -> None:
        roles = colreader.header_roles([c.text for c in header.cells])
        for row in body:
            if max(roles["name"], roles["values"]) >= len(row.cells):
                continue
            written = unwrap(row.cells[roles["name"]].text)
            raw_values = row.cells[roles["values"]].text
            values = code_spans(raw_values) or [
                v.strip() for v in re.split(r"\s*,\s*|\s*\|\s*", unwrap(raw_values)) if v.strip()
            ]
            if written and is_identifier(written) and values:
                schema, _, name = written.rpartition(".")  # as written in the cell: [schema.]name
                schema = schema or DEFAULT_SCHEMA
                self.out.enums.append(
                    Enum(
                        schema=schema,
                        name=name,
                        labels=tuple(values),
                        span=self.span(row.line, row.cells[0].col),
                    )
                )

    # --- fences -----------------------------------------------------------------------------

    def fence(self, tok: Token, skip: str | None) -> None:
        info = tok.info.strip().split()[0].lower() if tok.info.strip() else ""
        content = tok.content
        if not tok.map:
            return
        open_line = tok.map[0] + 1
        raw = self.lines[open_line - 1] if open_line <= len(self.lines) else ""
        indent = len(raw) - len(raw.lstrip())
        first_line = open_line + 1 if tok.type == "fence" else open_line
        col = indent + 1 if tok.type == "fence" else 1
        skip = skip or self.skip
        if not skip and self.para_label and _LABEL_SKIP_RE.search(self.para_label):
            skip = f"**{self.para_label}**"
        kind = fence_kind(info, content)
        if skip:
            if kind in ("sql", "mermaid", "psql_describe", "sql_bullets"):
                self.note(
                    "SD011", f"SQL block not read: it is under {skip!r}, not the current schema", open_line
                )
            return
        if kind == "sql":
            view_name = None
            ent = self.entity
            if ent is not None and ent.kind == "view" and _bare_select(content):
                view_name = str(ent.name)
            self.call_sql(content, first_line, col, view_name=view_name)
        elif kind in _SECTION_READERS:
            read = _SECTION_READERS[kind]
            self.out.extend(read(content, file=self.file, line=first_line, table=self.table_name()))
        elif kind is not None:
            self.read_block(_TEXT_READERS[kind], content, first_line)
        else:
            shown = f"```{info}" if info else "a code block without a language"
            self.thin.skipped_block(
                self.span(open_line, col),
                f"{shown} skipped: not SQL, psql \\d output, a mermaid erDiagram, an enum or relation lines",
            )

    def refused(
        self, text: str, kinds: frozenset[str], line: int, col: int, what: str, commands: int | None = None
    ) -> bool:
        """Whether SQL made from a table cell is refused: it must be exactly one statement of
        ``kinds``, so a cell cannot add a statement of its own (error SD040 at the cell)."""
        diag = statement_diagnostic(text, kinds, self.span(line, col), what, commands=commands)
        if diag is not None:
            self.out.diagnostics.append(diag)
        return diag is not None

    def call_sql(
        self, text: str, line: int, col: int, view_name: str | None = None
    ) -> list[TableFact] | None:
        """Read an SQL block straight into the document's facts; returns the table facts it added."""
        out = self.out
        tables_before, views_before = len(out.tables), len(out.views)
        titles = [sec.title for sec in self.stack if sec.level > 1]  # not the document's title
        section = sql_replay.section_mode(titles)
        read_sql(text, file=self.file, line=line, col=col, view_name=view_name, facts=out, section=section)
        sec = self.entity_section()
        if sec is not None and sec.entity is not None:
            for view in out.views[views_before:]:
                if view.name.text.lower() == sec.entity.name.text.lower():
                    sec.is_view = True
        return out.tables[tables_before:]

    def read_block(self, reader: TextReader, text: str, line: int) -> None:
        self.out.extend(reader(text, file=self.file, line=line))


# What a generated doc's constraint row may hold: a whole CREATE statement, or a constraint
# that becomes one ALTER TABLE ... ADD CONSTRAINT.
_CELL_STATEMENTS = frozenset({"IndexStmt", "CreateTrigStmt"})
_ALTER_TABLE = frozenset({"AlterTableStmt"})

TextReader = Callable[..., DocFacts]  # reader(text, *, file, line) -> DocFacts
FenceKind = Literal["sql", "mermaid", "enums", "relations", "psql_describe", "sql_bullets"]
_PLAIN_INFOS = frozenset({"", "text", "txt", "plain"})
_ENUM_DECL = lazy_regex(r"\benum\s+\w+\s*\{")

# The first label word found decides (a "foreign key constraints" list is read as constraints).
_LABELLED_ITEMS: tuple[
    tuple[str, Callable[[_Walker, list[prose.Item], Name | None, prose.TableGetter], None]], ...
] = (
    ("constraint", _Walker.constraint_items),
    ("foreign key", _Walker.fk_items),
    ("trigger", _Walker.trigger_items),
    ("relation", _Walker.relation_items),
)
_BLOCK_STEPS: dict[str, Callable[[_Walker, int], int]] = {
    "heading_open": _Walker.heading_step,
    "paragraph_open": _Walker.paragraph_step,
    "bullet_list_open": _Walker.list_step,
    "ordered_list_open": _Walker.list_step,
    "table_open": _Walker.table_step,
    "fence": _Walker.fence_step,
    "code_block": _Walker.fence_step,
}
_TABLE_READERS: dict[colreader.TableKind, Callable[[_Walker, Row, list[Row]], None]] = {
    "columns": _Walker.column_table,
    "api_fields": _Walker.api_field_table,
    "transposed": _Walker.transposed_table,
    "definitions": _Walker.definitions_table,
    "overview": _Walker.overview_table,
    "enums": _Walker.enum_table,
}


def _read_mermaid(text: str, *, file: str, line: int) -> DocFacts:
    """An erDiagram block (its reader is loaded by the first document that has one)."""
    from schemadoc.read.mermaid import read_mermaid

    return read_mermaid(text, file=file, line=line)


_TEXT_READERS: dict[FenceKind, TextReader] = {
    "mermaid": _read_mermaid,
    "enums": read_enum_block,
    "relations": read_relations,
}
# Readers of fences that may take their table from the section they are in.
_SECTION_READERS: dict[FenceKind, TextReader] = {
    "psql_describe": read_psql_describe,
    "sql_bullets": read_sql_bullets,
}


def fence_kind(info: str, content: str) -> FenceKind | None:
    """Which reader a fenced block with info string ``info`` goes to, if any."""
    plain = info in _PLAIN_INFOS
    if (plain or info in _SQL_INFOS) and looks_like_psql_describe(content):
        return "psql_describe"
    if info in _SQL_INFOS and looks_like_sql_bullets(content):
        return "sql_bullets"
    if info in _SQL_INFOS or (plain and looks_like_sql(content)):
        return "sql"
    if info == "mermaid":
        return "mermaid"
    if info in _ENUM_INFOS and _ENUM_DECL.search(content):
        return "enums"
    if plain and looks_like_relations(content):
        return "relations"
    return None


# --- headings and labels ---------------------------------------------------------------------

_HEADING_PREFIX = lazy_regex(
    r"^\s*(?:\d+(?:\.\d+)*[.)]?\s+)?"
    r"(?:(?P<kind>table|view|materialized view|function|procedure|enum|type|model)\s*[:：]?\s+)?",
    re.IGNORECASE,
)


_TABLE_TAIL = lazy_regex(r"\btable\s+(?:`(?P<name>[^`]+)`)\s*$", re.IGNORECASE)
_DOTTED_NAME = lazy_regex(r"[\w$-]+(?:\.[\w$-]+)+")
_CANDIDATE_END = lazy_regex(r"\s+[-–—:|]\s+|\s*\(|\s+[^\w\s.\-]|\s{2,}")
_CALL_ARGS = lazy_regex(r"\s*\(.*\)$")
_COLUMN_PARENT = lazy_regex(r"appendix|enum|status|values|columns?\b")
_VIEWS_PARENT = lazy_regex(r"\bviews?\b")
_FUNCTIONS_PARENT = lazy_regex(r"\b(functions?|procedures?|routines?)\b")
_ENUMS_PARENT = lazy_regex(r"\b(enums?|types)\b")


def heading_entity(content: str, parents: list[str]) -> Entity | None:
    """The table, view, function, enum or column a heading names, if any."""
    text = strip_emphasis(content).strip()
    m = _HEADING_PREFIX.match(text)
    kind_word = (m.group("kind") or "").lower() if m else ""
    rest = text[m.end() :] if m else text
    tail = _TABLE_TAIL.search(rest) if not kind_word else None
    if tail is not None and is_identifier(tail.group("name")):  # "Info Table `services`"
        return Entity(colreader.name_from(tail.group("name")), "table")
    spans = code_span_matches(rest)
    if spans and spans[0].start() == 0:
        candidate = spans[0].group(2).strip()
    else:
        plain = unwrap(rest)
        # A backtick left unclosed ("## `users") is a typo, not part of the name.
        candidate = _CANDIDATE_END.split(plain.strip())[0].strip().strip("`")
        if " " in candidate:
            return None
    is_call = candidate.endswith(")")
    bare = _CALL_ARGS.sub("", candidate).strip().strip('"')
    if not bare or not is_identifier(bare) or bare.lower() in _STOP_NAMES:
        return None
    parent_text = " ".join(parents[-2:]).lower()
    if kind_word in ("view", "materialized view"):
        return Entity(colreader.name_from(bare), "view")
    if kind_word in ("function", "procedure") or is_call:
        return Entity(colreader.name_from(bare), "function")
    if kind_word in ("enum", "type"):
        return Entity(colreader.name_from(bare), "enum")
    parts = bare.split(".")
    if len(parts) == 2 and _COLUMN_PARENT.search(parent_text):
        return Entity(Name(parts[0]), "column", column=parts[1])
    if len(parts) == 3 and _COLUMN_PARENT.search(parent_text):
        return Entity(Name(parts[1], schema=parts[0]), "column", column=parts[2])
    nearest = parents[-1].lower() if parents else ""
    if _VIEWS_PARENT.search(nearest):
        return Entity(colreader.name_from(bare), "view")
    if _FUNCTIONS_PARENT.search(nearest):
        return Entity(colreader.name_from(bare), "function")
    if _ENUMS_PARENT.search(nearest):
        return Entity(colreader.name_from(bare), "enum")
    return Entity(colreader.name_from(bare), "table")


def paragraph_label(content: str) -> tuple[str | None, str]:
    """ "**Constraints:**" -> ("constraints", ""); "**Status Values**: `A`, `B`" -> ("status values", ...)."""
    first_line = content.strip().splitlines()[0] if content.strip() else ""
    m = _LABEL_PARA.match(first_line)
    if m:
        label = m.group("label").strip().rstrip(":：").strip()
        rest = m.group("rest").strip()
        rest = re.sub(r"^\([^)]*\)\s*", "", rest).lstrip(":：").strip()
        if len(label) <= 40 and not re.match(r"^(grant|revoke)\b", label, re.IGNORECASE):
            return " ".join(label.lower().split()), rest
        return None, ""
    pm = _PLAIN_LABEL.match(first_line)
    if pm:
        return " ".join(pm.group("label").lower().split()), ""
    return None, ""
