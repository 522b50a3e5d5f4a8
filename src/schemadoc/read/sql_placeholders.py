"""Text in an SQL block that is not SQL yet: psql variables and template markers.

``:name``, ``:'name'`` and ``:"name"`` are filled in by psql from ``\\set``; ``{{ ... }}``,
``{% ... %}`` and ``{# ... #}`` by a template engine (Jinja, dbt, Helm...). Their values are
not in the document, so a statement that uses them cannot be read; the rest of the block can.
The markers are found with PostgreSQL's own scanner, so nothing inside a string literal, a
dollar-quoted body or a comment is taken for one.
"""

from __future__ import annotations

from typing import Any, Literal

from pglast.parser import ParseError, scan

from schemadoc.lazy_regex import lazy_regex
from schemadoc.records import record

Kind = Literal["psql variable", "template"]


@record
class Placeholder:
    kind: Kind
    offset: int  # character offset in the block
    text: str  # the marker as written (shortened)


_VARIABLE_NAMES = frozenset({"IDENT", "SCONST"})
# What could start a marker: a colon before a name, a quote or a brace (not a :: cast), or {{ {% {#.
# (non-ASCII as a negated class: the range \x80-\U0010ffff written out is slow to compile). Each
# pattern starts with a literal character, which the regex engine finds fast; a lookbehind for
# the cast's first colon would make it try every position of a long block.
_COLON_CANDIDATE = lazy_regex(r""":(?:[A-Za-z_'"{]|[^\x00-\x7f])""")
_BRACE_CANDIDATE = lazy_regex(r"\{[{%#]")
_NON_ASCII = lazy_regex(r"[^\x00-\x7f]")


def _blank(chars: list[str], start: int, stop: int) -> None:
    for i in range(start, stop):
        if chars[i] != "\n":
            chars[i] = " "


def _has_candidate(text: str) -> bool:
    if _BRACE_CANDIDATE.search(text) is not None:
        return True
    return any(m.start() == 0 or text[m.start() - 1] != ":" for m in _COLON_CANDIDATE.finditer(text))


def blank_placeholders(text: str) -> tuple[str, list[Placeholder]]:
    """``text`` with template tags blanked and every statement that uses a psql variable or a
    template expression blanked whole (line and character positions kept). Returns the new
    text and the first marker of each statement left out or tag removed."""
    if not _has_candidate(text):
        return text, []
    try:
        # PostgreSQL's scanner reads every non-ASCII character as a letter of an identifier; the
        # scan of text made ASCII that way gives the same tokens at the same character offsets,
        # and pglast scans non-ASCII text in time quadratic in its length
        tokens = list(scan(text if text.isascii() else _NON_ASCII.sub("x", text)))
    except ParseError:
        return text, []
    chars = list(text)
    found: list[Placeholder] = []
    statement_start = 0
    depth = 0  # parentheses: a semicolon inside them does not end the statement
    brackets = 0  # in a subscript, a[1:n] is a slice, not a variable
    first_in_statement: Placeholder | None = None
    tag_end = -1
    for index, tok in enumerate(tokens):
        if tok.start <= tag_end:
            continue
        char = text[tok.start]
        nxt = tokens[index + 1] if index + 1 < len(tokens) else None
        adjacent = nxt is not None and nxt.start == tok.end + 1
        if tok.name == "UNKNOWN" and char == "{" and text[tok.start + 1 : tok.start + 2] in ("%", "#"):
            closer = text[tok.start + 1] + "}"
            stop = text.find(closer, tok.start + 2)
            stop = len(text) if stop < 0 else stop + 2
            _blank(chars, tok.start, stop)
            found.append(Placeholder("template", tok.start, _short(text[tok.start : stop])))
            tag_end = stop - 1
            continue
        marker: Placeholder | None = None
        if tok.name == "UNKNOWN" and text[tok.start : tok.start + 2] == "{{":
            stop = text.find("}}", tok.start + 2)
            marker = Placeholder(
                "template", tok.start, _short(text[tok.start : len(text) if stop < 0 else stop + 2])
            )
        elif tok.name == "ASCII_58" and adjacent:
            marker = _variable(text, tok.start, nxt, brackets)
        if marker is not None and first_in_statement is None:
            first_in_statement = marker
        if tok.name == "ASCII_40":
            depth += 1
        elif tok.name == "ASCII_41":
            depth = max(0, depth - 1)
        elif tok.name == "ASCII_91":
            brackets += 1
        elif tok.name == "ASCII_93":
            brackets = max(0, brackets - 1)
        elif tok.name == "ASCII_59" and depth == 0:
            if first_in_statement is not None:
                _blank(chars, statement_start, tok.end + 1)
                found.append(first_in_statement)
            statement_start, brackets, first_in_statement = tok.end + 1, 0, None
    if first_in_statement is not None:
        _blank(chars, statement_start, len(text))
        found.append(first_in_statement)
    if not found:
        return text, []
    found.sort(key=lambda p: p.offset)
    return "".join(chars), found


def _variable(text: str, colon: int, nxt: Any, brackets: int) -> Placeholder | None:
    """The psql variable a colon starts: followed at once by a name, a string or ``{``,
    outside a subscript (``a[1:n]`` is a slice)."""
    if brackets or nxt is None or not (nxt.name in _VARIABLE_NAMES or text[nxt.start] == "{"):
        return None
    return Placeholder("psql variable", colon, _short(text[colon : nxt.end + 1]))


def _short(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= 40 else one_line[:37] + "..."
