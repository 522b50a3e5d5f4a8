"""Columns as markdown states them: column tables (any header order and wording) and
bullet column lists such as ``- `id` (uuid, PK) - Paper unique identifier``.

Cells are read from the raw source line (see :func:`schemadoc.read.mdtext.split_row`):
markdown-it drops cells beyond the header's count, and those overflow cells often hold
a value list (``success | failure | retry``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import field
from typing import Literal

from schemadoc.diagnostics import Diagnostic
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import FK_ACTIONS, FkAction, Span
from schemadoc.read.cell_roles import constraint_in_default, misplaced
from schemadoc.read.facts import ColumnFact, Name, RefFact
from schemadoc.read.fragments import fragment_diagnostic, type_diagnostic
from schemadoc.read.mdtext import (
    Cell,
    Row,
    balanced_end,
    code_spans,
    is_identifier,
    split_top_level,
    unwrap,
)
from schemadoc.records import record
from schemadoc.types import normalize_type

Role = Literal[
    "name", "type", "constraints", "notes", "description", "nullable", "required", "default",
    "references", "parents", "children", "definition", "values", "columns", "table", "key",
]  # fmt: skip

_HEADER_ROLES: dict[str, Role] = {
    "column": "name",
    "columns": "columns",
    "column name": "name",
    "name": "name",
    "field": "name",
    "field name": "name",
    "attribute": "name",
    "カラム名": "name",
    "カラム": "name",
    "列名": "name",
    "フィールド": "name",
    "type": "type",
    "data type": "type",
    "datatype": "type",
    "sql type": "type",
    "postgres type": "type",
    "データ型": "type",
    "型": "type",
    "constraints": "constraints",
    "constraint": "constraints",
    "modifiers": "constraints",
    "attributes": "constraints",
    "制約": "constraints",
    "extra definition": "constraints",
    "key": "key",
    "keys": "key",
    "notes": "notes",
    "note": "notes",
    "extra": "notes",
    "options": "notes",
    "description": "description",
    "comment": "description",
    "comments": "description",
    "details": "description",
    "説明": "description",
    "備考": "description",
    "nullable": "nullable",
    "null": "nullable",
    "null?": "nullable",
    "nullable?": "nullable",
    "is nullable": "nullable",
    "required": "required",
    "not null": "required",
    "default": "default",
    "default value": "default",
    "デフォルト": "default",
    "デフォルト値": "default",
    "references": "references",
    "reference": "references",
    "foreign key": "references",
    "fk": "references",
    "parents": "parents",
    "children": "children",
    "definition": "definition",
    "values": "values",
    "enum": "name",
    "enum name": "name",
    "table": "table",
    "table name": "table",
    "テーブル": "table",
    "テーブル名": "table",
}

TableKind = Literal["columns", "transposed", "definitions", "overview", "enums", "api_fields", "unknown"]

_TABLE_KIND_WORDS = {"base table", "view", "materialized view", "foreign table", "table", "partitioned table"}
_ROUTINE_KIND_WORDS = {"function", "procedure", "aggregate", "window", "trigger"}
_SQL_START = lazy_regex(r"^\s*(CREATE|PRIMARY\s+KEY|FOREIGN\s+KEY|UNIQUE|CHECK|EXCLUDE)\b", re.IGNORECASE)


def header_roles(cells: list[str]) -> dict[Role, int]:
    """Role of each header cell (first occurrence wins)."""
    roles: dict[Role, int] = {}
    for i, raw in enumerate(cells):
        key = " ".join(unwrap(raw).lower().replace("(pk)", "").split()).rstrip(":")
        role = _HEADER_ROLES.get(key)
        if role is not None and role not in roles:
            roles[role] = i
    return roles


def classify_table(header: list[str], body: list[Row]) -> TableKind:
    roles = header_roles(header)
    if "table" in roles and roles["table"] == 0:
        return "overview"
    if "definition" in roles and "name" in roles:
        defs = [r.cells[roles["definition"]].text for r in body if len(r.cells) > roles["definition"]]
        if defs and sum(1 for d in defs if _SQL_START.match(unwrap(d))) * 2 >= len(defs):
            return "definitions"
        return "unknown"
    if "name" in roles and "values" in roles:
        return "enums"
    if "name" in roles and "type" in roles:
        kinds = [_cell(r, roles["type"]).lower() for r in body]
        if "columns" in roles or (kinds and all(k in _TABLE_KIND_WORDS for k in kinds if k)):
            return "overview"
        if kinds and all(k in _ROUTINE_KIND_WORDS for k in kinds if k):
            return "unknown"
        return "columns"
    if "name" in roles and "columns" in roles:
        return "overview"
    if "type" not in roles and len(body) == 1 and _looks_transposed(header, body[0]):
        return "transposed"
    return "unknown"


def _cell(row: Row, index: int) -> str:
    return unwrap(row.cells[index].text) if index < len(row.cells) else ""


def _looks_transposed(header: list[str], row: Row) -> bool:
    names = [unwrap(h) for h in header]
    if not names or not all(is_identifier(n) for n in names):
        return False
    typed = 0
    for cell in row.cells:
        written, _ = split_type_text(_strip_markers(unwrap(cell.text))[0])
        if written and normalize_type(written):
            typed += 1
    return typed * 2 >= len(names)


# --- constraint phrases -----------------------------------------------------------------

_ACTION_RE = lazy_regex(
    r"ON\s+(DELETE|UPDATE)\s+(CASCADE|SET\s+NULL|SET\s+DEFAULT|RESTRICT|NO\s+ACTION)", re.IGNORECASE
)
_TARGET_RE = lazy_regex(
    r"\s*(?:→|->|=>|to\b|:)?\s*`?(?P<table>[A-Za-z_][\w$.\-]*)`?\s*(?:\(\s*(?P<cols>[^)]*)\))?",
)
_STOP_AFTER_DEFAULT = lazy_regex(
    r"\s+(?:NOT\s+NULL|NULL|UNIQUE|PRIMARY\s+KEY|REFERENCES|CHECK|PK|FK)\b", re.IGNORECASE
)


def fk_action(text: str) -> FkAction | None:
    word = " ".join(text.upper().split())
    for action in FK_ACTIONS:
        if word == action:
            return action
    return None


def name_from(written: str) -> Name:
    """``schema.table`` or ``table`` as a :class:`Name` (backticks and quotes removed)."""
    text = written.strip().strip("`").strip()
    parts = [p.strip('"') for p in text.split(".")]
    if len(parts) >= 2:
        return Name(parts[-1], schema=parts[-2])
    return Name(parts[0])


def parse_ref(text: str, span: Span, *, dotted_column: bool = False) -> tuple[RefFact | None, int]:
    """A reference target at the start of ``text``: ``papers``, ``x(y)``, ``→ Profile``,
    ``auth.users(id) ON DELETE CASCADE``. With ``dotted_column`` the last dotted part of a
    name without parentheses is the column (``practices.id``). Returns the fact and the
    number of characters used."""
    m = _TARGET_RE.match(text)
    if not m:
        return None, 0
    written = m.group("table").rstrip(".-")
    cols = [c.strip().strip('`"') for c in (m.group("cols") or "").split(",") if c.strip()]
    parts = written.split(".")
    if dotted_column and not m.group("cols") and len(parts) >= 2:
        cols = [parts[-1]]
        written = ".".join(parts[:-1])
    ref = RefFact(table=name_from(written), columns=cols, span=span)
    end = m.end()
    while True:
        a = re.match(r"\s*,?\s*" + _ACTION_RE.pattern, text[end:], re.IGNORECASE)
        if not a:
            break
        action = fk_action(a.group(2))
        if a.group(1).upper() == "DELETE":
            ref.on_delete = action
        else:
            ref.on_update = action
        end += a.end()
    return ref, end


def _default_expr(text: str, start: int) -> tuple[str, int]:
    depth = 0
    quote = ""
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and (ch in ",;" or (ch.isspace() and _STOP_AFTER_DEFAULT.match(text, i))):
            break
        i += 1
    return text[start:i].strip(), i


def sql_default(written: str) -> str:
    """A written default as SQL: ``[]`` is the empty array literal."""
    text = written.strip().strip("`").strip()
    if text in ("[]", "{}", "ARRAY[]"):
        return "'{}'"
    return text


Apply = Callable[[re.Match[str], str, ColumnFact, Span], int]


def _apply_pk(m: re.Match[str], text: str, col: ColumnFact, span: Span) -> int:
    col.primary_key = True
    return m.end()


def _apply_not_null(m: re.Match[str], text: str, col: ColumnFact, span: Span) -> int:
    col.nullable = False
    return m.end()


def _apply_null(m: re.Match[str], text: str, col: ColumnFact, span: Span) -> int:
    col.nullable = True
    return m.end()


def _apply_unique(m: re.Match[str], text: str, col: ColumnFact, span: Span) -> int:
    col.unique = True
    return m.end()


_AFTER_REF = lazy_regex(
    r"\s*(?:$|[,;]|(?:NOT\s+NULL|NULL|UNIQUE|PRIMARY\s+KEY|DEFAULT|CHECK|PK)\b)", re.IGNORECASE
)


def _apply_fk(m: re.Match[str], text: str, col: ColumnFact, span: Span) -> int:
    ref, used = parse_ref(text[m.end() :], span)
    if ref is None:
        if m.group(0).strip().upper().startswith(("FK", "FOREIGN")):
            col.fk_marked = True
            return m.end()
        return -1
    valid = ref.table.text.lower() not in ("to", "the", "a", "an") and all(
        is_identifier(c) for c in ref.columns
    )
    if not valid or not _AFTER_REF.match(text, m.end() + used):
        return -1
    col.references = ref
    return m.end() + used


def _apply_default(m: re.Match[str], text: str, col: ColumnFact, span: Span) -> int:
    expr, end = _default_expr(text, m.end())
    if expr:
        col.default = sql_default(expr)
    return end


def _apply_check(m: re.Match[str], text: str, col: ColumnFact, span: Span) -> int:
    open_at = text.index("(", m.start())
    end = balanced_end(text, open_at)
    if end < 0:
        return m.end()
    col.checks = (*col.checks, text[open_at + 1 : end - 1].strip())
    return end


def _apply_generated(m: re.Match[str], text: str, col: ColumnFact, span: Span) -> int:
    open_at = m.end() - 1
    end = balanced_end(text, open_at)
    if end < 0:
        return -1
    col.generated = text[open_at + 1 : end - 1].strip()
    stored = re.compile(r"\s*STORED\b", re.IGNORECASE).match(text, end)
    return stored.end() if stored else end


def _apply_auto(m: re.Match[str], text: str, col: ColumnFact, span: Span) -> int:
    col.auto_updated = True
    return m.end()


def _apply_increment(m: re.Match[str], text: str, col: ColumnFact, span: Span) -> int:
    col.identity = "BY DEFAULT"
    return m.end()


def _apply_identity(m: re.Match[str], text: str, col: ColumnFact, span: Span) -> int:
    col.identity = "ALWAYS" if m.group(1).upper() == "ALWAYS" else "BY DEFAULT"
    return m.end()


def _apply_action(m: re.Match[str], text: str, col: ColumnFact, span: Span) -> int:
    action = fk_action(m.group(2))
    if action is None:
        return m.end()
    event = m.group(1).upper()
    if col.references is None:
        # the reference may come from another cell
        col.pending_actions = {**(col.pending_actions or {}), event: action}
    else:
        set_action(col.references, event, action)
    return m.end()


def set_action(ref: RefFact, event: str, action: FkAction) -> None:
    """``ON <event> <action>`` on ``ref``; ``event`` is DELETE or UPDATE."""
    if event == "DELETE":
        ref.on_delete = action
    else:
        ref.on_update = action


def apply_pending_actions(col: ColumnFact) -> None:
    """Actions written before the column's reference was known, now that it is."""
    if col.references is None:
        return
    for event, action in (col.pending_actions or {}).items():
        set_action(col.references, event, action)
    col.pending_actions = None


def _apply_index(m: re.Match[str], text: str, col: ColumnFact, span: Span) -> int:
    col.indexed = True
    return m.end()


_PHRASES: list[tuple[re.Pattern[str], Apply]] = [
    (lazy_regex(r"(?:PRIMARY\s+KEY|PK)\b|主キー", re.IGNORECASE), _apply_pk),
    (lazy_regex(r"NOT\s+NULL\b|required\b|必須", re.IGNORECASE), _apply_not_null),
    (lazy_regex(r"(?:NULLABLE|NULL|optional)\b", re.IGNORECASE), _apply_null),
    (lazy_regex(r"(?:UNIQUE|UK)\b|一意制約", re.IGNORECASE), _apply_unique),
    (lazy_regex(r"(?:FK|FOREIGN\s+KEY)(?=\s|$|→|-)(?:\s*(?:REFERENCES)\b)?", re.IGNORECASE), _apply_fk),
    (lazy_regex(r"REFERENCES\b", re.IGNORECASE), _apply_fk),
    (lazy_regex(r"(?:→|->)(?=\s*`?[A-Za-z_])"), _apply_fk),
    (lazy_regex(r"DEFAULT\b\s*(?:[:=]\s*)?", re.IGNORECASE), _apply_default),
    (lazy_regex(r"CHECK\s*\(", re.IGNORECASE), _apply_check),
    (lazy_regex(r"GENERATED\s+(ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY\b", re.IGNORECASE), _apply_identity),
    (lazy_regex(r"GENERATED\s+ALWAYS\s+AS\s*\(", re.IGNORECASE), _apply_generated),
    (lazy_regex(r"AUTO[_ ]?INCREMENT\b", re.IGNORECASE), _apply_increment),
    (lazy_regex(r"(?:AUTO(?:[-_ ]?UPDATED?)?|@updatedAt)(?!\w)", re.IGNORECASE), _apply_auto),
    (_ACTION_RE, _apply_action),
    (lazy_regex(r"INDEX(?:ED)?\b", re.IGNORECASE), _apply_index),
]


def apply_constraints(text: str, col: ColumnFact, span: Span) -> str:
    """Apply the constraint phrases at the start of ``text`` (comma/semicolon separated)
    to ``col``; return what is left (prose), or "" when everything was understood."""
    text = unwrap(text)
    pos = 0
    while pos < len(text):
        while pos < len(text) and (text[pos].isspace() or text[pos] in ",;"):
            pos += 1
        if pos >= len(text):
            break
        for pattern, apply in _PHRASES:
            m = pattern.match(text, pos)
            if m:
                end = apply(m, text, col, span)
                if end < 0:
                    return text[pos:].strip()
                pos = max(end, m.end())
                break
        else:
            return text[pos:].strip()
    return ""


# --- values, descriptions, types ---------------------------------------------------------

_TOKEN = r"(?:`[^`]+`|'[^']*'|\"[^\"]*\"|[A-Za-z_][\w\-]*)"
_PIPE_LIST = lazy_regex(rf"^{_TOKEN}(?:\s*\|\s*{_TOKEN})+$")
_OR_LIST = lazy_regex(rf"^{_TOKEN}(?:\s*,\s*{_TOKEN})*(?:\s*,)?\s+or\s+{_TOKEN}$")
_ENUM_PREFIX = lazy_regex(
    r"(?:^|[\s(])(?:enum|values?|one of|allowed(?: values)?)\s*:\s*(.+)$", re.IGNORECASE
)
_PAREN_LIST = lazy_regex(r"\(([^()]*)\)")


def _token_value(tok: str) -> str:
    tok = tok.strip()
    if len(tok) >= 2 and tok[0] == tok[-1] and tok[0] in "`'\"":
        return tok[1:-1]
    return tok


def _tokens(text: str, seps: str) -> list[str]:
    return [_token_value(t) for t in re.split(seps, text) if t.strip()]


def _all_upper(values: list[str]) -> bool:
    return all(re.fullmatch(r"[A-Z][A-Z0-9_]*", v) for v in values)


def cell_values(text: str, *, upper_paren: bool = False) -> list[str] | None:
    """An allowed-value list written in a cell or a description, or None."""
    raw = " ".join(text.replace("\\|", "|").split())
    if _PIPE_LIST.match(raw):
        return _tokens(raw, r"\s*\|\s*")
    if _OR_LIST.match(raw):
        values = _tokens(raw, r"\s*,\s*or\s+|\s*,\s*|\s+or\s+")
        if _all_upper(values) or all(t.strip().startswith(("`", "'")) for t in re.split(r",|\bor\b", raw)):
            return values
    m = _ENUM_PREFIX.search(raw)
    if m:
        spans = code_spans(m.group(1))
        if spans:
            return spans
        words = _tokens(m.group(1).rstrip("."), r"\s*,\s*(?:or\s+)?|\s+or\s+")
        if len(words) >= 2 and all(re.fullmatch(r"[\w\-]+", w) for w in words):
            return words
    if upper_paren:
        for pm in _PAREN_LIST.finditer(raw):
            words = _tokens(pm.group(1), r"\s*,\s*(?:or\s+)?|\s+or\s+")
            if len(words) >= 2 and _all_upper(words):
                return words
    return None


_MATCHES_RE = lazy_regex(
    r"\b(?:matches|references|refers to|fk to|foreign key to|same as)\s+`([A-Za-z_][\w.]*)`", re.IGNORECASE
)


def scan_description(text: str, col: ColumnFact, span: Span) -> None:
    """What a description cell states beyond prose: Japanese constraint words, value
    lists, "Matches `auth.users.id`"."""
    if "主キー" in text:
        col.primary_key = True
    if "必須" in text and col.nullable is None:
        col.nullable = False
    if "一意" in text:
        col.unique = True
    if col.values is None:
        upper = col.type is None or (col.type_written or "").lower() == "enum"
        col.values = cell_values(text, upper_paren=upper)
    m = _MATCHES_RE.search(unwrap_keep_code(text))
    if m and col.references is None:
        parts = m.group(1).split(".")
        if len(parts) == 3:
            col.references = RefFact(Name(parts[1], schema=parts[0]), [parts[2]], span=span)
        elif len(parts) == 2:
            col.references = RefFact(Name(parts[0]), [parts[1]], span=span)


def unwrap_keep_code(text: str) -> str:
    from schemadoc.read.mdtext import strip_emphasis

    return strip_emphasis(text)


_MARKER_RE = lazy_regex(r"\[(PK|FK|UK|U|NN)\]|\((PK|FK|UK)\)|🔑", re.IGNORECASE)


def _strip_markers(text: str) -> tuple[str, list[str]]:
    found: list[str] = []

    def take(m: re.Match[str]) -> str:
        found.append((m.group(1) or m.group(2) or "PK").upper())
        return " "

    return " ".join(_MARKER_RE.sub(take, text).split()), found


def _apply_markers(markers: list[str], col: ColumnFact) -> None:
    for marker in markers:
        if marker == "PK":
            col.primary_key = True
        elif marker in ("UK", "U"):
            col.unique = True
        elif marker == "NN":
            col.nullable = False


_TYPE_STOP = lazy_regex(
    r"\s(?=(?:NOT\s+NULL|NULL|UNIQUE|PRIMARY\s+KEY|DEFAULT|REFERENCES|CHECK|PK|FK)\b)", re.IGNORECASE
)


def split_type_text(text: str) -> tuple[str, str]:
    """``varchar(255) NOT NULL`` -> (``varchar(255)``, ``NOT NULL``)."""
    text = text.strip().strip("`").strip()
    m = _TYPE_STOP.search(text)
    if m:
        return text[: m.start()].strip(), text[m.end() :].strip()
    return text, ""


def set_type(col: ColumnFact, written: str) -> None:
    written = written.strip().strip("`").strip()
    if not written:
        return
    col.type_written = written
    col.type = normalize_type(written) or written


_NULLABLE_TRUE = {"yes", "y", "true", "t", "nullable", "null", "✓", "✔", "○", "◯", "o", "x", "optional"}
_NULLABLE_FALSE = {"no", "n", "false", "f", "not null", "notnull", "required", "-", "×"}


def nullable_cell(text: str) -> bool | None:
    word = unwrap(text).strip().lower()
    if word in _NULLABLE_TRUE:
        return True
    if word in _NULLABLE_FALSE:
        return False
    return None


# --- column tables ----------------------------------------------------------------------


@record(frozen=False)
class ColumnTable:
    columns: list[ColumnFact] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    parent_refs: list[ColumnFact] = field(default_factory=list)  # columns whose ref came from "Parents"


def _repair_row(row: Row, header: Row) -> list[Cell]:
    """Cells of ``row`` lined up with the header. A row written without its leading pipe
    whose trailing pipe is really the separator before an empty last cell gets that cell back;
    overflow cells are joined into the last column (they often hold a value list)."""
    cells = list(row.cells)
    width = len(header.cells)
    if len(cells) == width - 1 and row.trailing_pipe:
        cells.append(Cell(text="", col=cells[-1].col + len(cells[-1].text) + 2 if cells else 1))
    if len(cells) > width > 0:
        last = cells[width - 1]
        cells = [*cells[: width - 1], Cell(text=" | ".join(c.text for c in cells[width - 1 :]), col=last.col)]
    return cells


def read_column_rows(header: Row, body: list[Row], *, file: str) -> ColumnTable:
    """Columns from a table whose header names at least a name and a type column."""
    out = ColumnTable()
    roles = header_roles([c.text for c in header.cells])
    width = len(header.cells)
    pipe_lines: list[int] = []
    for row in body:
        cells = _repair_row(row, header)
        pipes_differ = row.leading_pipe != header.leading_pipe or row.trailing_pipe != header.trailing_pipe
        if pipes_differ:
            pipe_lines.append(row.line)
        if len(cells) != width or (len(row.cells) != width and not pipes_differ):
            hint = "extra cells are kept in the last column" if len(row.cells) > width else None
            out.diagnostics.append(
                Diagnostic(
                    "SD014",
                    "warning",
                    f"table row has {len(row.cells)} cells where the header has {width}; "
                    "read what could be read",
                    Span(file, row.line, row.cells[0].col if row.cells else 1),
                    hint,
                )
            )
        col = _column_from_cells(cells, roles, row, file, out)
        if col is not None:
            out.columns.append(col)
    if "children" in roles:  # generated Children | Parents columns show relations, not only constraints
        for col in out.parent_refs:
            col.references = None
        out.parent_refs.clear()
    if pipe_lines:
        others = ", ".join(str(n) for n in pipe_lines[1:6]) + (", ..." if len(pipe_lines) > 6 else "")
        out.diagnostics.append(
            Diagnostic(
                "SD014",
                "warning",
                f"{len(pipe_lines)} table row(s) miss the outer pipes the header has"
                + (f" (also lines {others})" if others else ""),
                Span(file, pipe_lines[0], 1),
                "the rows were read anyway; add the missing '|' so every renderer shows them",
            )
        )
    return out


def _text(cells: list[Cell], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].text


def _cell_span(cells: list[Cell], index: int | None, row: Row, file: str) -> Span | None:
    if index is None or index >= len(cells):
        return None
    return Span(file, row.line, cells[index].col)


def _apply_screened(text: str, col: ColumnFact, span: Span, diagnostics: list[Diagnostic]) -> str:
    """:func:`apply_constraints`, then any DEFAULT, CHECK or generated expression the phrases
    gave that is not exactly one expression is reported at ``span`` and taken back."""
    default, generated, checks = col.default, col.generated, len(col.checks)
    left = apply_constraints(text, col, span)
    what = f"column {col.name}"
    if col.default is not None and col.default != default:
        bad = fragment_diagnostic(col.default, "default", span, f"default of {what}")
        if bad is not None:
            diagnostics.append(bad)
            col.default = default
    if col.generated is not None and col.generated != generated:
        bad = fragment_diagnostic(col.generated, "expression", span, f"generated expression of {what}")
        if bad is not None:
            diagnostics.append(bad)
            col.generated = generated
    kept = list(col.checks[:checks])
    for expr in col.checks[checks:]:
        bad = fragment_diagnostic(expr, "expression", span, f"CHECK of {what}")
        if bad is None:
            kept.append(expr)
        else:
            diagnostics.append(bad)
    col.checks = tuple(kept)
    return left


def _column_from_cells(
    cells: list[Cell], roles: dict[Role, int], row: Row, file: str, out: ColumnTable
) -> ColumnFact | None:
    name_raw = _text(cells, roles.get("name"))
    name_text, markers = _strip_markers(unwrap(name_raw))
    name_col = row.cells[roles["name"]].col if roles.get("name", 99) < len(row.cells) else 1
    span = Span(file, row.line, name_col)
    name_text = name_text.strip().strip("*").strip().strip("`")  # an unclosed backtick is a typo
    if not name_text or not is_identifier(name_text) or "." in name_text:
        out.diagnostics.append(
            Diagnostic(
                "SD016", "warning", f"column table row without a usable column name: {name_raw!r}", span
            )
        )
        return None
    col = ColumnFact(name=name_text, span=span)
    _apply_markers(markers, col)
    type_text, type_markers = _strip_markers(unwrap(_text(cells, roles.get("type"))))
    _apply_markers(type_markers, col)
    written, rest = split_type_text(type_text)
    type_span = _cell_span(cells, roles.get("type"), row, file) or span
    set_type(col, written)
    if col.type_written is not None:
        bad_type = type_diagnostic(col.type_written, type_span, f"type of column {name_text}")
        if bad_type is not None:
            out.diagnostics.append(bad_type)
            col.type = col.type_written = None
    prose: list[str] = []
    if rest:
        left = _apply_screened(rest, col, type_span, out.diagnostics)
        if left:
            prose.append(left)
    phrase_roles: tuple[Role, ...] = ("constraints", "key", "notes")
    for role in phrase_roles:
        raw = _text(cells, roles.get(role))
        if not raw:
            continue
        if role == "notes" or role == "constraints":
            values = cell_values(unwrap_keep_code(raw))
            if values is not None:
                col.values = values
                continue
        left = _apply_screened(
            raw, col, _cell_span(cells, roles.get(role), row, file) or span, out.diagnostics
        )
        if left:
            prose.append(left)
            scan_description(left, col, span)
    default = unwrap(_text(cells, roles.get("default")))
    if default and constraint_in_default(default):
        default_span = _cell_span(cells, roles.get("default"), row, file) or span
        out.diagnostics.append(misplaced(default, name_text, "Default", default_span))
        left = _apply_screened(default, col, default_span, out.diagnostics)
        if left:
            prose.append(left)
    elif default and default.lower() not in ("none", "-", "null", "—"):
        written_default = sql_default(default)
        default_span = _cell_span(cells, roles.get("default"), row, file) or span
        bad = fragment_diagnostic(written_default, "default", default_span, f"default of column {name_text}")
        if bad is None:
            col.default = written_default
        else:
            out.diagnostics.append(bad)
    nullable_raw = _text(cells, roles.get("nullable"))
    if nullable_raw and nullable_cell(nullable_raw) is not None:
        col.nullable = nullable_cell(nullable_raw)
    required_raw = _text(cells, roles.get("required"))
    if required_raw:
        flag = nullable_cell(required_raw)
        if flag is not None:
            col.nullable = not flag
    ref_raw = unwrap(_text(cells, roles.get("references")))
    if ref_raw and ref_raw not in ("-", "—"):
        ref, _ = parse_ref(ref_raw, span, dotted_column=True)
        if ref is not None:
            col.references = ref
    parent_raw = unwrap(_text(cells, roles.get("parents")))
    if parent_raw and col.references is None:
        ref, _ = parse_ref(parent_raw.split()[0], span)
        if ref is not None:
            col.references = ref
            out.parent_refs.append(col)
    desc_raw = _text(cells, roles.get("description"))
    if desc_raw:
        scan_description(desc_raw, col, span)
        prose.append(unwrap(desc_raw))
    apply_pending_actions(col)
    description = " ".join(p for p in prose if p).strip()
    col.description = description or None
    return col


def read_transposed(header: Row, row: Row, *, file: str) -> list[ColumnFact]:
    """Column names as the header, types as the single body row."""
    out: list[ColumnFact] = []
    for i, head in enumerate(header.cells):
        name = unwrap(head.text)
        col = ColumnFact(name=name, span=Span(file, header.line, head.col))
        if i < len(row.cells):
            text, markers = _strip_markers(unwrap(row.cells[i].text))
            _apply_markers(markers, col)
            written, rest = split_type_text(text)
            set_type(col, written)
            if rest:
                apply_constraints(rest, col, col.span)
            apply_pending_actions(col)
        out.append(col)
    return out


# --- bullet column lists -----------------------------------------------------------------

_BULLET_NAMES = lazy_regex(r"^\s*((?:`[^`]+`\s*(?:,|/|and)\s*)*`[^`]+`)\s*(?=\()")


def parse_column_bullet(text: str, span: Span) -> list[ColumnFact] | None:
    """``- `a`, `b` (text, NOT NULL, default 'x') - description`` -> one fact per name;
    None when the item is not written that way."""
    m = _BULLET_NAMES.match(text)
    if not m:
        return None
    names = code_spans(m.group(1))
    if not names or not all(is_identifier(n) and "." not in n for n in names):
        return None
    open_at = m.end()
    close = balanced_end(text, open_at)
    if close < 0:
        return None
    inner = text[open_at + 1 : close - 1]
    rest = text[close:].strip()
    rest = re.sub(r"^[-–—:]+\s*", "", rest)
    parts = split_top_level(inner, ",;")
    if not parts:
        return None
    type_part, type_markers = _strip_markers(unwrap(parts[0]))
    written, after = split_type_text(type_part)
    if not written:
        return None
    facts: list[ColumnFact] = []
    for name in names:
        col = ColumnFact(name=name, span=span)
        _apply_markers(type_markers, col)
        if normalize_type(written) is None and _is_phrase(written):
            # "(PK)" without a type
            apply_constraints(written, col, span)
        else:
            set_type(col, written)
        prose: list[str] = []
        for phrase in ([after] if after else []) + parts[1:]:
            left = apply_constraints(phrase, col, span)
            if left:
                prose.append(left)
        if rest:
            col.values = cell_values(unwrap_keep_code(rest), upper_paren=True)
            prose.append(unwrap(rest))
        if prose:
            col.description = " ".join(prose)
        apply_pending_actions(col)
        facts.append(col)
    return facts


def _is_phrase(text: str) -> bool:
    probe = ColumnFact(name="_", span=Span("", 1))
    return apply_constraints(text, probe, probe.span) == ""
