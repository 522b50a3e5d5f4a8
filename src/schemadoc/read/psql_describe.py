"""psql's ``\\d table`` (and ``\\d+ table``) output, pasted into a document.

A "generated from the live database" document often holds, in a fence, what psql prints:

```
                 Table "public.commit_index"
 Column |  Type   | Collation | Nullable | Default
--------+---------+-----------+----------+---------
 id     | integer |           | not null |
Indexes:
    "commit_index_pkey" PRIMARY KEY, btree (id)
```

The columns are read from the aligned rows (cut where the ``+`` of the separator line stands, so a
``|`` inside a default does not move a cell); the footers ``Indexes:``, ``Check constraints:`` and
``Foreign-key constraints:`` are read as the constraints and indexes they print, each one parsed
on its own by the SQL reader. ``Referenced by:`` repeats what the other table's page states and is
passed over; ``Triggers:`` and ``Policies:`` are reported as not built.
"""

from __future__ import annotations

import re
from dataclasses import field

from schemadoc.diagnostics import PSQL_FOOTER, Diagnostic, not_built
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import DEFAULT_SCHEMA, QName, Span
from schemadoc.read.columns import set_type
from schemadoc.read.facts import ColumnFact, DocFacts, Name, TableFact
from schemadoc.read.fragments import FRAGMENT_CODE, fragment_diagnostic, stands_alone
from schemadoc.read.sql import read_sql
from schemadoc.records import record
from schemadoc.sqlnames import quote_ident, quote_qualified

PSQL_FOOTER_CODE = PSQL_FOOTER.code

_TITLE = lazy_regex(
    r'^\s*(?:(?:unlogged|partitioned|foreign)\s+)*table\s+"(?P<name>[^"]+)"\s*$', re.IGNORECASE
)
_SEPARATOR = lazy_regex(r"^\s*-+(?:\+-+)+\s*$")
_FOOTER = lazy_regex(r"^(?P<label>[A-Z][A-Za-z -]*?):\s*(?P<rest>.*)$")
_TITLE_NAME = lazy_regex(r"^(?P<schema>[^.]+)\.(?P<name>.+)$")
_QUOTED_NAME = lazy_regex(r'^"(?P<name>(?:[^"]|"")+)"\s+(?P<rest>.*)$')
_IDENTITY = lazy_regex(r"^generated\s+(?P<kind>always|by\s+default)\s+as\s+identity\b", re.IGNORECASE)
_GENERATED = lazy_regex(r"^generated\s+always\s+as\s+\((?P<expr>.*)\)\s+stored$", re.IGNORECASE | re.DOTALL)
_INDEX_FLAGS = lazy_regex(r"(?:\s+(?:INVALID|CLUSTER|REPLICA IDENTITY))+\s*$")
_INDEX = lazy_regex(
    r"^(?P<kind>PRIMARY KEY|UNIQUE CONSTRAINT|UNIQUE)?,?\s*"
    r"(?P<method>[a-z_]+)\s*(?P<rest>\(.*)$",
    re.DOTALL,
)
_NOT_BUILT_FOOTERS = {"triggers": "trigger", "policies": "row-level security policy"}
_PASSED_OVER = {"referenced by", "access method", "options", "disabled user triggers", "publications"}


def looks_like_psql_describe(text: str) -> bool:
    """Whether a block holds at least one ``\\d`` table: a ``Table "..."`` title over a
    ``Column | Type`` header and a ``---+---`` separator."""
    if "|" not in text:  # no header without a bar: most SQL blocks are passed over here
        return False
    lines = text.splitlines()
    return any(_is_header(line) and _SEPARATOR.match(lines[i + 1]) for i, line in enumerate(lines[:-1]))


def _is_header(line: str) -> bool:
    cells = [c.strip().lower() for c in line.split("|")]
    return len(cells) >= 2 and cells[0] == "column" and cells[1] == "type"


@record(frozen=False)
class _Describe:
    """One ``\\d`` table as the block prints it."""

    name: Name
    line: int
    header: list[str]
    cuts: list[tuple[int, int]]
    rows: list[tuple[int, str]] = field(default_factory=list)
    footers: list[tuple[str, int, list[tuple[int, str]]]] = field(default_factory=list)


def read_psql_describe(text: str, *, file: str, line: int, table: Name | None = None) -> DocFacts:
    """The tables of every ``\\d`` listing in ``text`` (a block starting at document line ``line``).
    A listing without its ``Table "..."`` title is the table ``table`` (the section's), if any."""
    facts = DocFacts()
    for desc in _split(text, file, line, table, facts):
        _read_table(desc, file, facts)
    return facts


def _split(text: str, file: str, first: int, table: Name | None, facts: DocFacts) -> list[_Describe]:
    lines = text.splitlines()
    found: list[_Describe] = []
    current: _Describe | None = None
    i = 0
    while i < len(lines):
        raw = lines[i]
        title = _TITLE.match(raw)
        start = i + 1 if title else i
        if start + 1 < len(lines) and _is_header(lines[start]) and _SEPARATOR.match(lines[start + 1]):
            if title:
                name = _table_name(title.group("name"))
            elif table is not None:
                name = table
            else:
                facts.diagnostics.append(
                    Diagnostic(
                        PSQL_FOOTER_CODE,
                        "warning",
                        "psql column listing without its 'Table \"name\"' title and outside a table "
                        "section; not read",
                        Span(file, first + i, 1),
                    )
                )
                i = start + 2
                current = None
                continue
            cuts = _cut_points(lines[start + 1])
            current = _Describe(name, first + i, _cells(lines[start], cuts), cuts)
            found.append(current)
            i = start + 2
            while i < len(lines) and "|" in lines[i] and not _FOOTER.match(lines[i]):
                if lines[i].strip() and not lines[i].strip().startswith("("):
                    current.rows.append((first + i, lines[i]))
                i += 1
            continue
        footer = _FOOTER.match(raw)
        if current is not None and footer:
            label_line = first + i
            items: list[tuple[int, str]] = []
            rest = footer.group("rest").strip()
            if rest:
                items.append((first + i, rest))
            i += 1
            while i < len(lines) and lines[i].strip():
                body = lines[i]
                depth = len(body) - len(body.lstrip())
                open_item = bool(items) and _open_brackets(items[-1][1]) > 0
                if depth == 0 and not open_item:
                    break
                if open_item or (items and depth > 4):  # an expression or policy going on
                    items[-1] = (items[-1][0], items[-1][1] + " " + body.strip())
                else:
                    items.append((first + i, body.strip()))
                i += 1
            current.footers.append((footer.group("label").lower(), label_line, items))
            continue
        i += 1
    return found


def _open_brackets(text: str) -> int:
    """How many brackets ``text`` leaves open, outside quoted strings and names."""
    depth = 0
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
    return depth


def _table_name(written: str) -> Name:
    """psql's title joins the schema and the table name with a dot and quotes neither (it is
    psql's format, not SQL name text): the schema is what comes before the first dot."""
    m = _TITLE_NAME.match(written)
    if m is None:
        return Name(written, quoted=written != written.lower())
    name = m.group("name")
    return Name(name, schema=m.group("schema"), quoted=name != name.lower())


def _cut_points(separator: str) -> list[tuple[int, int]]:
    """Where each cell starts and ends, from the ``-----+-----`` line."""
    cuts: list[tuple[int, int]] = []
    start = 0
    for m in re.finditer(r"\+", separator):
        cuts.append((start, m.start()))
        start = m.end()
    cuts.append((start, 1 << 30))
    return cuts


def _cells(line: str, cuts: list[tuple[int, int]]) -> list[str]:
    """The cells of a row: split at its ``|`` when it has one fewer than cells (a retyped row may
    not line up with the separator), else cut where the separator's ``+`` stand (a value holds a ``|``)."""
    if line.count("|") == len(cuts) - 1:
        return [cell.strip() for cell in line.split("|")]
    return [line[a:b].strip().strip("|").strip() for a, b in cuts]


def _read_table(desc: _Describe, file: str, facts: DocFacts) -> None:
    span = Span(file, desc.line, 1)
    table = TableFact(name=desc.name, span=span, source="columns")
    roles = {h.lower(): i for i, h in enumerate(desc.header)}
    for row_line, raw in desc.rows:
        cells = _cells(raw, desc.cuts)
        column = _column(cells, roles, Span(file, row_line, 1), facts.diagnostics)
        if column is not None:
            table.columns.append(column)
    facts.tables.append(table)
    qualified = quote_qualified(QName(desc.name.schema or DEFAULT_SCHEMA, desc.name.text))
    for label, label_line, items in desc.footers:
        _footer(label, label_line, items, qualified, file, facts)


def _cell(cells: list[str], roles: dict[str, int], role: str) -> str:
    index = roles.get(role)
    return cells[index] if index is not None and index < len(cells) else ""


def _column(
    cells: list[str], roles: dict[str, int], span: Span, diagnostics: list[Diagnostic]
) -> ColumnFact | None:
    name = _cell(cells, roles, "column")
    if not name:
        return None
    col = ColumnFact(name=name, span=span, quoted=name != name.lower())
    set_type(col, _cell(cells, roles, "type"))
    col.nullable = _cell(cells, roles, "nullable").lower() != "not null"
    collation = _cell(cells, roles, "collation")
    if collation:
        col.collation = collation
    description = _cell(cells, roles, "description")
    if description:
        col.description = description
    default = _cell(cells, roles, "default")
    identity = _IDENTITY.match(default)
    generated = _GENERATED.match(default)
    what = f"column {name}"
    if identity:
        col.identity = "ALWAYS" if identity.group("kind").lower() == "always" else "BY DEFAULT"
    elif generated:
        bad = fragment_diagnostic(
            generated.group("expr"), "expression", span, f"generated expression of {what}"
        )
        if bad is None:
            col.generated = generated.group("expr")
        else:
            diagnostics.append(bad)
    elif default:
        bad = fragment_diagnostic(default, "default", span, f"default of {what}")
        if bad is None:
            col.default = default
        else:
            diagnostics.append(bad)
    return col


FOOTER_LABELS = frozenset({"indexes", "check constraints", "foreign-key constraints", "referenced by"})
_FOOTER_ITEM = lazy_regex(
    r'^\s*(?:"(?:[^"]|"")+"\s+(?:PRIMARY KEY|UNIQUE|EXCLUDE|CHECK|FOREIGN KEY|[a-z_]+\s*\()|TABLE\s+"[^"]+"\s+CONSTRAINT\b)'
)


_BARE_LABEL = lazy_regex(r"^[\w][\w\-]*$")


def bare_labels(items: list[str]) -> list[str] | None:
    """The labels of a type listed one bare word per item (``- stacks``), as a ``\\dT+`` listing
    is often retyped under a ``Type name`` heading; None unless every item is one word."""
    words = [t.strip() for t in items]
    return words if words and all(_BARE_LABEL.match(w) for w in words) else None


def is_footer_list(label: str, items: list[str]) -> bool:
    """Whether a markdown list under ``label`` ("Indexes:") holds psql footer lines, retyped as
    bullets (``- "users_pkey" PRIMARY KEY, btree (id)``)."""
    return label in FOOTER_LABELS and bool(items) and all(_FOOTER_ITEM.match(_plain(t)) for t in items)


def read_footer_list(
    label: str, items: list[tuple[int, str]], table: Name, file: str, facts: DocFacts
) -> None:
    """Footer lines retyped as list items under ``label``, for ``table``."""
    name = table.text if table.quoted else table.text.lower()
    qualified = quote_qualified(QName(table.schema or DEFAULT_SCHEMA, name))
    _footer(
        label, items[0][0] - 1 if items else 1, [(ln, _plain(t)) for ln, t in items], qualified, file, facts
    )


def _plain(text: str) -> str:
    """A list item's text without the backticks a markdown author may put around it."""
    text = text.strip()
    return text[1:-1].strip() if len(text) > 1 and text[0] == text[-1] == "`" else text


def _footer(
    label: str, label_line: int, items: list[tuple[int, str]], table: str, file: str, facts: DocFacts
) -> None:
    if label in ("indexes", "check constraints", "foreign-key constraints"):
        for line, item in items:
            statement = _statement(label, item, table)
            if statement is None:
                facts.diagnostics.append(
                    Diagnostic(
                        PSQL_FOOTER_CODE,
                        "warning",
                        f"{label} line not understood; not read: {item}",
                        Span(file, line, 1),
                    )
                )
                continue
            problem = stands_alone(item)
            if problem is not None:
                facts.diagnostics.append(
                    Diagnostic(
                        FRAGMENT_CODE,
                        "error",
                        f"{label} line is not one definition ({problem})",
                        Span(file, line, 1),
                    )
                )
                continue
            read_sql(statement, file=file, line=line, col=1, facts=facts)
    elif label in _NOT_BUILT_FOOTERS:
        facts.diagnostics.append(
            not_built(
                f"psql {label} footer",
                f"{len(items)} {_NOT_BUILT_FOOTERS[label]}(s) listed by psql are not read: the listing "
                "leaves out what they need (functions, roles)",
                Span(file, label_line, 1),
                "write them as CREATE TRIGGER / CREATE POLICY statements in an ```sql fence",
            )
        )
    elif label not in _PASSED_OVER:
        facts.diagnostics.append(
            Diagnostic(
                PSQL_FOOTER_CODE,
                "warning",
                f"psql footer {label.capitalize()!r} is not read",
                Span(file, label_line, 1),
            )
        )


def _statement(label: str, item: str, table: str) -> str | None:
    """The SQL statement a footer line prints, or None when the line is not understood."""
    m = _QUOTED_NAME.match(item)
    if m is None:
        return None
    name = quote_ident(m.group("name").replace('""', '"'))
    rest = m.group("rest").strip()
    if label != "indexes":
        return f"ALTER TABLE {table} ADD CONSTRAINT {name} {rest};"
    if rest.upper().startswith("EXCLUDE "):
        return f"ALTER TABLE {table} ADD CONSTRAINT {name} {rest};"
    rest = _INDEX_FLAGS.sub("", rest)
    index = _INDEX.match(rest)
    if index is None:
        return None
    kind, method, body = index.group("kind"), index.group("method"), index.group("rest")
    if kind == "PRIMARY KEY":
        return f"ALTER TABLE {table} ADD CONSTRAINT {name} PRIMARY KEY {body};"
    if kind == "UNIQUE CONSTRAINT":
        return f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE {body};"
    unique = "UNIQUE " if kind else ""
    return f"CREATE {unique}INDEX {name} ON {table} USING {method} {body};"
