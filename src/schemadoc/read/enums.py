"""Enum types written in application code, and allowed-value lists written in prose.

:func:`read_enum_block` reads the body of a ``typescript``/``prisma`` fence and
returns one :class:`~schemadoc.model.Enum` per declaration it finds:

- TypeScript or Prisma ``enum Name { A, B }``, one member a line or on one line, with
  ``export``/``declare``/``const`` in front; ``A = "a"`` takes the string as the label
  (that is what the application stores); Prisma ``A @map("a")`` takes the mapped value,
  ``@@map("name")`` the database type name and ``@@schema("s")`` its schema;
- Drizzle ``pgEnum("name", ["a", "b"])``.

Comments (``//``, ``///``, ``/* */``) are descriptions, never labels. Other code in the
fence is ignored. Names keep the spelling the document uses; the resolver matches them to
columns (``UserRole`` for a column whose type is written ``UserRole``).

:func:`parse_value_list` finds the allowed values in a table cell or a sentence.
"""

from __future__ import annotations

import re

from schemadoc.diagnostics import Diagnostic
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import DEFAULT_SCHEMA, Enum, Span
from schemadoc.read.facts import DocFacts
from schemadoc.types import normalize_type

CODE_UNREADABLE_MEMBER = "SD148"

_IDENT = r"[A-Za-z_$][\w$]*"
_ENUM_RE = lazy_regex(
    rf"(?<![\w$.])(?:export\s+)?(?:declare\s+)?(?:const\s+)?enum\s+(?P<name>{_IDENT})\s*\{{(?P<body>[^{{}}]*)\}}"
)
_PGENUM_RE = lazy_regex(r"""\bpgEnum\s*\(\s*(?P<q>['"`])(?P<name>[^'"`]+)(?P=q)\s*,\s*\[(?P<body>[^\]]*)\]""")
_STRING = r"""(?:"(?P<dq>[^"\\]*(?:\\.[^"\\]*)*)"|'(?P<sq>[^'\\]*(?:\\.[^'\\]*)*)'|`(?P<bq>[^`]*)`)"""
_STRING_RE = lazy_regex(_STRING)
_MEMBER_RE = lazy_regex(
    rf"""^(?:(?P<ident>{_IDENT})|{_STRING})
        (?:\s*=\s*(?P<value>.+?)
         |\s+@map\(\s*(?P<map>"[^"]*"|'[^']*')\s*\))?
        \s*$""",
    re.VERBOSE,
)
_BLOCK_ATTR_RE = lazy_regex(r"""^@@(?P<attr>map|schema)\(\s*(?:name:\s*)?["'](?P<value>[^"']*)["']\s*\)$""")


def _blank_comments(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with comments replaced by spaces (newlines kept, so offsets still match),
    and the ranges of its string literals."""
    out = list(text)
    strings: list[tuple[int, int]] = []
    i, n = 0, len(text)
    quote: str | None = None
    start = 0
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
                strings.append((start, i + 1))
            i += 1
        elif ch in "\"'`":
            quote, start = ch, i
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            for j in range(i, end):
                out[j] = " "
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            for j in range(i, end):
                if out[j] != "\n":
                    out[j] = " "
            i = end
        else:
            i += 1
    return "".join(out), strings


def _string_value(m: re.Match[str]) -> str | None:
    for group in ("dq", "sq", "bq"):
        if m[group] is not None:
            return m[group]
    return None


def _position(text: str, offset: int) -> tuple[int, int]:
    """0-based line and column of ``offset``."""
    line = text.count("\n", 0, offset)
    return line, offset - (text.rfind("\n", 0, offset) + 1)


def read_enum_block(text: str, *, file: str, line: int, col_offset: int = 0) -> DocFacts:
    """The enums declared in a code fence body. ``line`` is the document line of the body's
    first line; ``col_offset`` the fence's indentation."""
    facts = DocFacts()
    clean, strings = _blank_comments(text)

    def in_string(offset: int) -> bool:
        return any(a <= offset < b for a, b in strings)

    def span(offset: int) -> Span:
        row, col = _position(clean, offset)
        return Span(file, line + row, col + 1 + col_offset)

    found: list[tuple[int, Enum]] = []
    for m in _ENUM_RE.finditer(clean):
        if in_string(m.start()):
            continue
        name, schema = m["name"], DEFAULT_SCHEMA
        labels: list[str] = []
        body_start = m.start("body")
        for part_match in re.finditer(r"[^,\n]+", m["body"]):
            part = part_match.group().strip()
            if not part:
                continue
            where = body_start + part_match.start() + part_match.group().index(part)
            attr = _BLOCK_ATTR_RE.match(part)
            if attr:
                if attr["attr"] == "map":
                    name = attr["value"]
                else:
                    schema = attr["value"]
                continue
            member = _MEMBER_RE.match(part)
            if not member:
                facts.diagnostics.append(
                    Diagnostic(
                        CODE_UNREADABLE_MEMBER,
                        "warning",
                        f"cannot read enum member {part!r} of {m['name']}",
                        span(where),
                    )
                )
                continue
            labels.append(_member_label(member))
        found.append((m.start(), Enum(schema, name, tuple(labels), span=span(m.start()))))
    for m in _PGENUM_RE.finditer(clean):
        if in_string(m.start()):
            continue
        labels = [v for s in _STRING_RE.finditer(m["body"]) if (v := _string_value(s)) is not None]
        found.append((m.start(), Enum(DEFAULT_SCHEMA, m["name"], tuple(labels), span=span(m.start()))))
    facts.enums.extend(e for _, e in sorted(found, key=lambda pair: pair[0]))
    return facts


def _member_label(member: re.Match[str]) -> str:
    if member["map"]:
        return member["map"][1:-1]
    value = member["value"]
    if value:
        s = _STRING_RE.fullmatch(value.strip())
        if s:
            return _string_value(s) or ""
    quoted = _string_value(member)
    return quoted if quoted is not None else member["ident"]


# --- value lists in prose -------------------------------------------------------------------

_OPEN_LIST_RE = lazy_regex(
    r"\betc\b|\.\.\.|…|\be\.g\.|\bsuch as\b|\bfor example\b|\bincluding\b|\blike\b|\band (?:so on|more)\b",
    re.IGNORECASE,
)
_PREFIX_RE = lazy_regex(
    r"^(?:(?:[A-Za-z][\w-]*\s+){0,3}[A-Za-z][\w-]*\s*:\s*|(?:must be\s+|is\s+)?one of\s*:?\s*)",
    re.IGNORECASE,
)
_LITERAL_RE = lazy_regex(r"""`(?P<code>[^`]+)`|"(?P<dq>[^"]+)"|'(?P<sq>[^']+)'""")
_SEPARATOR_RE = lazy_regex(
    r"^(?:\s*(?:,|\||/|;)\s*(?:(?:or|and)\b)?\s*|\s+(?:or|and)\s+|\s*,?\s*)$", re.IGNORECASE
)
_CAPS_WORD = r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*"
_CAPS_LIST_RE = lazy_regex(rf"^{_CAPS_WORD}(?:\s*(?:,\s*(?:or\s+|and\s+)?|\s+or\s+){_CAPS_WORD})+$")
_PIPE_ITEM_RE = lazy_regex(r"^[\w.+-]+$")
_TYPE_WORDS = {"number", "string", "object", "any", "array"}


def parse_value_list(text: str) -> list[str] | None:
    """The allowed values a cell or a sentence lists, or None when it is not clearly a closed
    list of literal values.

    Rules, in order:

    1. Give up on open lists: "etc", "...", "e.g.", "such as", "for example", "including", "like".
    2. Drop a short lead-in ending in a colon ("Enum:", "Allowed values:") or "one of", a final
       period, and parentheses around the whole text.
    3. Accept, with at least two distinct values:
       - literals only: code spans, "double" or 'single' quoted strings, separated by commas,
         pipes, slashes, semicolons, "or", "and" -- nothing else may remain;
       - pipe-separated bare words: ``success | failure | retry`` (each item a single word),
         unless it reads as a type union (``string | null``, ``text | json``);
       - ALL-CAPS identifiers joined by commas or "or": ``TASK or FEEDBACK``, ``A, B, C``.
    Bare lower-case words joined by commas or "or" are prose, not a list ("read or write").
    """
    s = " ".join(text.split())
    if not s or _OPEN_LIST_RE.search(s):
        return None
    s = s.rstrip(".").strip()
    s = _PREFIX_RE.sub("", s, count=1).strip()
    while s.startswith("(") and s.endswith(")"):
        s = s[1:-1].strip()
    if not s:
        return None
    values = _literals_only(s)
    if values is None and "|" in s:
        items = [p.strip() for p in s.split("|")]
        if all(_PIPE_ITEM_RE.match(p) for p in items) and not _is_type_union(items):
            values = items
    if values is None and _CAPS_LIST_RE.match(s):
        values = [w for w in re.split(r"\s*,\s*(?:or\s+|and\s+)?|\s+or\s+", s) if w]
    if values is None:
        return None
    unique = list(dict.fromkeys(values))
    return unique if len(unique) >= 2 else None


def _is_type_union(items: list[str]) -> bool:
    """``string | null``, ``text | json``: a union of types, not a list of values."""
    lowered = [i.lower() for i in items]
    if any(i in ("null", "undefined") for i in lowered):
        return True
    return all(i in _TYPE_WORDS or normalize_type(i) is not None for i in lowered)


def _literals_only(s: str) -> list[str] | None:
    values: list[str] = []
    pos = 0
    for m in _LITERAL_RE.finditer(s):
        if not _SEPARATOR_RE.match(s[pos : m.start()]) or (values and not s[pos : m.start()].strip()):
            return None
        values.append(m["code"] or m["dq"] or m["sq"])
        pos = m.end()
    if not values or s[pos:].strip():
        return None
    return values
