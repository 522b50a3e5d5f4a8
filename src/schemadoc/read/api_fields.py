"""API-reference field tables: ``| Name | Description | Format | Reference |``.

Generated API references describe each field in a ``Format`` cell whose lines (joined by
``<br/>``) give the type first and then its rules::

    | name   | Display name | text<br/>Required<br/>Max length: 512 |          |
    | price  |              | decimal<br/>Required<br/>Min: 0        |          |
    | id     |              | bigint<br/>Read only                   |          |
    | org_id |              | uuid                                   | orgs.id  |

Read: the type; ``Required`` (NOT NULL) and ``Optional``/``Nullable``; ``Max length`` /
``Min length`` (CHECKs on ``char_length``), ``Min`` / ``Max`` (CHECKs on the value),
``Pattern`` (a CHECK with ``~``), ``One of`` (the allowed values), ``Default``, ``Unique``,
``Primary key``;
``Read only`` is kept as a note in the column's description. A rule that is not understood is
a warning with its line; the ``Reference`` cell names the referenced table (or ``table.column``).
"""

from __future__ import annotations

import re

from schemadoc.diagnostics import API_FIELD_RULE, Diagnostic
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Span
from schemadoc.read.columns import ColumnTable, parse_ref, set_type
from schemadoc.read.facts import ColumnFact
from schemadoc.read.fragments import fragment_diagnostic
from schemadoc.read.mdtext import Row, unwrap
from schemadoc.sqlnames import quote_ident, quote_literal

_BREAK = lazy_regex(r"<br\s*/?>|\n", re.IGNORECASE)
_NAME_HEADS = {"name", "field", "field name", "property", "parameter"}
_FORMAT_HEADS = {"format", "type / format", "schema"}
_RULE = lazy_regex(r"^(?P<key>[A-Za-z][A-Za-z ]*?)\s*:\s*(?P<value>.+)$")
_NUMBER = lazy_regex(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_WORDS = lazy_regex(r"^[A-Za-z][\w ]*$")


def _heads(header: list[str]) -> list[str]:
    return [" ".join(unwrap(h).lower().split()) for h in header]


def looks_like_api_fields(header: list[str]) -> bool:
    """A header with a field-name column and a ``Format`` column (and no ``Type`` column)."""
    heads = _heads(header)
    return (
        bool(heads)
        and heads[0] in _NAME_HEADS
        and any(h in _FORMAT_HEADS for h in heads)
        and not any(h in ("type", "data type") for h in heads)
    )


def read_api_field_rows(header: Row, body: list[Row], *, file: str) -> ColumnTable:
    heads = _heads([c.text for c in header.cells])
    fmt = next(i for i, h in enumerate(heads) if h in _FORMAT_HEADS)
    desc = heads.index("description") if "description" in heads else None
    ref = heads.index("reference") if "reference" in heads else None
    out = ColumnTable()
    for row in body:
        cells = row.cells
        name = unwrap(cells[0].text) if cells else ""
        if not name or fmt >= len(cells):
            continue
        span = Span(file, row.line, cells[0].col)
        col = ColumnFact(name=name, span=span)
        if desc is not None and desc < len(cells) and unwrap(cells[desc].text):
            col.description = unwrap(cells[desc].text)
        parts = [p.strip() for p in _BREAK.split(cells[fmt].text) if unwrap(p)]
        if parts:
            set_type(col, unwrap(parts[0]))
        fmt_span = Span(file, row.line, cells[fmt].col)
        for part in parts[1:]:
            _rule(unwrap(part), col, fmt_span, out.diagnostics)
        if ref is not None and ref < len(cells) and unwrap(cells[ref].text):
            target, used = parse_ref(
                unwrap(cells[ref].text), Span(file, row.line, cells[ref].col), dotted_column=True
            )
            if target is not None and used:
                col.references = target
            else:
                out.diagnostics.append(
                    Diagnostic(
                        API_FIELD_RULE.code,
                        "warning",
                        f"reference of field {name} not understood: {unwrap(cells[ref].text)!r}; not read",
                        Span(file, row.line, cells[ref].col),
                    )
                )
        out.columns.append(col)
    return out


def _rule(text: str, col: ColumnFact, span: Span, diagnostics: list[Diagnostic]) -> None:
    """One line of a Format cell after the type."""
    word = " ".join(text.lower().rstrip(".").split())
    if word in ("required", "not null", "non-null"):
        col.nullable = False
        return
    if word in ("optional", "nullable"):
        col.nullable = True
        return
    if word == "unique":
        col.unique = True
        return
    if word in ("primary key", "pk"):
        col.primary_key = True
        return
    if word in ("read only", "read-only", "readonly"):
        col.description = "read only" if not col.description else f"{col.description} (read only)"
        return
    m = _RULE.match(text)
    key = " ".join(m.group("key").lower().split()) if m else ""
    value = m.group("value").strip().strip("`") if m else ""
    column = quote_ident(col.name)
    check: str | None = None
    if key in ("max length", "maximum length", "min length", "minimum length") and value.isdigit():
        op = "<=" if key.startswith("max") else ">="
        check = f"char_length({column}) {op} {int(value)}"
    elif key in ("min", "minimum", "max", "maximum") and _NUMBER.match(value):
        op = "<=" if key.startswith("max") else ">="
        check = f"{column} {op} {value}"
    elif key == "pattern" and value:
        check = f"{column} ~ {quote_literal(value)}"
    elif key in ("one of", "enum", "allowed values") and value:
        values = [v.strip().strip("`'\"") for v in value.split(",") if v.strip()]
        col.values = values
        return
    elif key == "default" and value:
        default = value if _NUMBER.match(value) or value.lower() in ("true", "false", "null") else None
        if default is None:
            default = quote_literal(value) if _WORDS.match(value) else value
        bad = fragment_diagnostic(default, "default", span, f"default of field {col.name}")
        if bad is None:
            col.default = default
        else:
            diagnostics.append(bad)
        return
    if check is None:
        diagnostics.append(
            Diagnostic(
                API_FIELD_RULE.code,
                "warning",
                f"rule {text!r} of field {col.name} not understood; not read",
                span,
            )
        )
        return
    col.checks = (*col.checks, check)
