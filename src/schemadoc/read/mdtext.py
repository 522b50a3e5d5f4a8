"""Small text helpers for markdown blocks: code spans, emphasis, links, table cells.

Everything here works on the *source text* of a block (not on rendered HTML), so
positions can be mapped back to the document.
"""

from __future__ import annotations

import re

from schemadoc.lazy_regex import lazy_regex
from schemadoc.records import record

_CODE_RE = lazy_regex(r"(`+)(.+?)\1", re.DOTALL)
_LINK_RE = lazy_regex(r"!?\[([^\]]*)\]\([^)]*\)")
_HTML_BREAK_RE = lazy_regex(r"<br\s*/?>", re.IGNORECASE)
_HTML_TAG_RE = lazy_regex(r"</?[a-zA-Z][^>]*>")
_EMPHASIS_RE = lazy_regex(r"(\*\*|__)(.+?)\1|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")

# U+00C0 to U+FFFF, spelled as what it leaves out: a class with a range that wide takes the
# regular expression compiler longer than a one-table document takes to read.
_WIDE = r"[^\x00-\xbf\U00010000-\U0010ffff]"
_IDENT_START = rf"(?:[A-Za-z_]|{_WIDE})"
_IDENT_REST = rf"(?:[\w$\-]|{_WIDE})"
IDENT_RE = lazy_regex(rf"^{_IDENT_START}{_IDENT_REST}*(?:\.{_IDENT_START}{_IDENT_REST}*){{0,2}}$")


def code_spans(text: str) -> list[str]:
    """The contents of the inline code spans in ``text``, in order."""
    return [m.group(2).strip() for m in _CODE_RE.finditer(text)]


def code_span_matches(text: str) -> list[re.Match[str]]:
    return list(_CODE_RE.finditer(text))


# Characters without which a fragment holds no code span, link, HTML tag, emphasis or escape.
_MARKUP_RE = lazy_regex(r"[`\[<*\\]|__")


def unwrap(text: str) -> str:
    """Plain text of an inline fragment: code spans unwrapped, links to their text,
    emphasis markers and HTML tags removed, whitespace collapsed."""
    if not _MARKUP_RE.search(text):
        return " ".join(text.split())
    text = _HTML_BREAK_RE.sub(" ", text)
    pieces: list[str] = []
    last = 0
    for m in _CODE_RE.finditer(text):
        pieces.append(_plain(text[last : m.start()]))
        pieces.append(m.group(2).strip())
        last = m.end()
    pieces.append(_plain(text[last:]))
    return " ".join("".join(pieces).split())


def _plain(text: str) -> str:
    text = _LINK_RE.sub(r"\1", text)
    text = _HTML_TAG_RE.sub("", text)
    for _ in range(2):
        text = _EMPHASIS_RE.sub(lambda m: m.group(2) or m.group(3) or "", text)
    return text.replace("\\|", "|")


def strip_emphasis(text: str) -> str:
    """``text`` with emphasis and links removed but code spans kept as written."""
    if not _MARKUP_RE.search(text):
        return text
    pieces: list[str] = []
    last = 0
    for m in _CODE_RE.finditer(text):
        pieces.append(_plain(text[last : m.start()]))
        pieces.append(m.group(0))
        last = m.end()
    pieces.append(_plain(text[last:]))
    return "".join(pieces)


def is_identifier(text: str) -> bool:
    """True for a bare (optionally dotted) name such as ``papers``, ``public.hyphen-table``."""
    return bool(IDENT_RE.match(text))


@record(frozen=False)
class Cell:
    text: str  # raw cell source, stripped
    col: int  # 1-based column of the cell's first character in its line


@record(frozen=False)
class Row:
    line: int  # 1-based
    cells: list[Cell]
    leading_pipe: bool
    trailing_pipe: bool


def split_row(raw: str, line: int) -> Row:
    """Split one raw table line into cells. Pipes inside code spans and escaped pipes
    (``\\|``) do not split. Missing outer pipes are tolerated."""
    stripped_left = len(raw) - len(raw.lstrip())
    body = raw.strip()
    leading = body.startswith("|")
    trailing = body.endswith("|") and not body.endswith("\\|") and len(body) > 1
    start = stripped_left + (1 if leading else 0)
    end = stripped_left + len(body) - (1 if trailing else 0)
    cells: list[Cell] = []
    i = start
    cell_start = start
    in_code = 0  # length of the backtick run that opened a code span
    while i < end:
        ch = raw[i]
        if ch == "\\" and i + 1 < end:
            i += 2
            continue
        if ch == "`":
            run = 1
            while i + run < end and raw[i + run] == "`":
                run += 1
            if in_code == 0:
                if raw.find("`" * run, i + run, end) != -1:
                    in_code = run
            elif run == in_code:
                in_code = 0
            i += run
            continue
        if ch == "|" and in_code == 0:
            cells.append(_cell(raw, cell_start, i))
            cell_start = i + 1
        i += 1
    cells.append(_cell(raw, cell_start, end))
    return Row(line=line, cells=cells, leading_pipe=leading, trailing_pipe=trailing)


def _cell(raw: str, start: int, end: int) -> Cell:
    segment = raw[start:end]
    lead = len(segment) - len(segment.lstrip())
    return Cell(text=segment.strip(), col=start + lead + 1)


def is_delimiter_row(raw: str) -> bool:
    body = raw.strip().strip("|").strip()
    return bool(body) and all(re.fullmatch(r":?-+:?", c.strip()) for c in body.split("|"))


def split_top_level(text: str, separators: str = ",;") -> list[str]:
    """Split on separators outside parentheses, brackets and quotes."""
    parts: list[str] = []
    depth = 0
    quote = ""
    buf: list[str] = []
    for ch in text:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch in separators and depth == 0:
            parts.append("".join(buf).strip())
            buf = []
            continue
        buf.append(ch)
    parts.append("".join(buf).strip())
    return [p for p in parts if p]


def balanced_end(text: str, start: int) -> int:
    """Index just past the parenthesis group opening at ``text[start] == '('``, or -1."""
    depth = 0
    quote = ""
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


def split_names(text: str) -> list[str]:
    """Names from a prose list: "`a`, `b`, or `c`", "plans and papers", "papers, runs, plans"."""
    spans = code_spans(text)
    if spans:
        return [s for s in spans if is_identifier(s.rstrip("()"))]
    words = re.split(r"\s*(?:,|\band\b|\bor\b|&)\s*", unwrap(text))
    return [w.strip() for w in words if w.strip() and is_identifier(w.strip())]
