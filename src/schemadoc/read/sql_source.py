"""The source text of one SQL block: positions, tokens and slices.

pglast reports node positions as byte offsets into the UTF-8 encoded text, so
everything here works on bytes and decodes only the slices it returns. A small
tokenizer (strings, quoted identifiers, dollar quotes and comments are single
tokens) lets the readers cut expressions out of the source text exactly as
written instead of printing them again from the tree.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate
from typing import NamedTuple

from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Span

_TOKEN = lazy_regex(
    rb"""
    (?P<ws>(?:\s+|--[^\n]*|/\*.*?\*/)+)
    |(?P<str>[eE]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*')
    |(?P<qid>"(?:[^"]|"")*")
    |(?P<dol>\$(?:[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\$)
    |(?P<word>[A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*)
    |(?P<num>\$\d+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<op>[-+*/<>=~!@\#%^&|`?:]+)
    |(?P<p>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_META_LINE = lazy_regex(r"^[ \t]*\\")
_COPY_FROM_STDIN = lazy_regex(r"^\s*COPY\b.*\bFROM\s+stdin\b", re.IGNORECASE)


_INTERESTING = lazy_regex(rb"""[()\[\],;'"$]|--|/\*""")
# A parenthesised group whose inside :meth:`SqlSource.item_end` would read to its closing
# parenthesis, with no comma or semicolon at its top level, and which holds nothing that needs
# the scanner: no comment, quoted name, dollar sign, bracket, backslash, nor a group inside a group.
# Strings (without backslashes, which an E'...' string could escape a quote with) are skipped whole.
_PLAIN_INNER = rb"""(?:[^()\[\]'"$\-/\\]|'[^'\\]*'|-(?!-)|/(?!\*))"""
_PLAIN_OUTER = rb"""(?:[^()\[\],;'"$\-/\\]|'[^'\\]*'|-(?!-)|/(?!\*))"""
_SIMPLE_GROUP = lazy_regex(
    rb"\((" + _PLAIN_OUTER + rb"*(?:\(" + _PLAIN_INNER + rb"*\)" + _PLAIN_OUTER + rb"*)*)\)"
)
_OPENERS = frozenset(b"([")
_CLOSERS = frozenset(b")]")
_SEPARATORS = frozenset(b",;")
_NEEDS_TOKENS = lazy_regex(rb"""['"$]|--|/\*""")
# Words and parentheses, with what may hold either and is not one skipped whole: strings (E'...'
# with its backslash escapes), quoted names, comments and numbers. Dollar quotes are left to
# :meth:`SqlSource.tokens`.
_WORD_NUM_PAREN = lazy_regex(
    rb"""[eE]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/"""
    rb"|(?P<word>[A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*)|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
    rb"|(?P<open>\()|(?P<close>\))",
    re.DOTALL,
)
_WHITESPACE = lazy_regex(rb"\s+")
# Bytes that neither are white space nor may open a comment.
_PLAIN_START = frozenset(set(range(256)) - set(b" \t\n\r\f\v-/"))
_SKIP = lazy_regex(rb"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)
_UNUSUAL_SPACE = lazy_regex(rb"\s\s|[\t\n\r\f\v]|--|/\*")
_QUALIFIED_NAME = lazy_regex(rb'(?:"(?:[^"]|"")*"|[^\s".(),;]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[^\s".(),;]+))*')


class Tok(NamedTuple):
    """One token: ``kind`` is word, str, qid, num, op or p; ``start``/``end`` are byte offsets."""

    kind: str
    start: int
    end: int


def strip_meta_commands(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Blank out psql meta-command lines (and ``COPY ... FROM stdin`` data) keeping every byte offset.

    Returns the new text and ``(line index, line text)`` for each meta-command removed.
    """
    if "\\" not in text:
        return text, []
    lines = text.split("\n")
    removed: list[tuple[int, str]] = []
    in_copy = False
    for i, line in enumerate(lines):
        if in_copy:
            if line.strip() == "\\.":
                in_copy = False
            lines[i] = " " * len(line.encode())
            continue
        if _META_LINE.match(line):
            removed.append((i, line.strip()))
            lines[i] = " " * len(line.encode())
        elif _COPY_FROM_STDIN.match(line) and line.rstrip().endswith(";"):
            in_copy = True
    return "\n".join(lines), removed


# Bytes that continue a name: a dollar sign after one of them is part of the name.
_IN_WORD = [i >= 0x80 or i in (0x5F, 0x24) or chr(i).isalnum() for i in range(256)]


def _quoted_end(b: bytes, at: int, end: int) -> int:
    """The offset after the string or quoted name whose opening quote is at ``at`` (``end`` when
    it is not closed before ``end``): a doubled quote inside it is part of it."""
    quote = b[at : at + 1]
    pos = at + 1
    while True:
        close = b.find(quote, pos, end)
        if close < 0:
            return end
        if b[close + 1 : close + 2] != quote or close + 1 >= end:
            return close + 1
        pos = close + 2


class SqlSource:
    """A block of SQL and where it sits in its document."""

    def __init__(self, text: str, *, file: str, line: int, col: int = 1) -> None:
        self.text = text
        self.b = text.encode("utf-8")
        self.file = file
        self.line = line
        self.col = col
        # The offset of each line: running sums of the line lengths (newline included).
        self._line_starts = list(accumulate(map((1).__add__, map(len, self.b.split(b"\n"))), initial=0))
        self._line_starts.pop()
        self._ascii = self.b.isascii()
        self._has_quoted_name = b'"' in self.b
        self.has_line_comment = b"--" in self.b
        self._lower: bytes | None = None
        self._mentioned: dict[bytes, bool] = {}

    @property
    def is_ascii(self) -> bool:
        """Whether the block is all ASCII: its byte offsets are then its character offsets."""
        return self._ascii

    # -- positions -------------------------------------------------------------------------

    def span(self, offset: int) -> Span:
        """The document position of byte ``offset`` (the block's column offset applies to every line,
        as the body of an indented fence is indented as a whole)."""
        if offset < 0:
            offset = 0
        elif offset > len(self.b):
            offset = len(self.b)
        idx = bisect_right(self._line_starts, offset) - 1
        start = self._line_starts[idx]
        chars = offset - start if self._ascii else len(self.b[start:offset].decode("utf-8", errors="replace"))
        return Span(self.file, self.line + idx, self.col + chars)

    def mentions(self, word: bytes) -> bool:
        """Whether the lower-case ``word`` occurs anywhere in the block, in any case: a cheap way
        to skip searching each statement for something the block never says."""
        # Called once per object that may need the word: each answer is kept, so that one block
        # of many objects is searched once per word, not once per object.
        known = self._mentioned.get(word)
        if known is None:
            if self._lower is None:
                self._lower = self.b.lower()
            known = self._mentioned[word] = word in self._lower
        return known

    def line_offset(self, index: int) -> int:
        """Byte offset of the start of line ``index`` (0-based) of the block."""
        return self._line_starts[min(index, len(self._line_starts) - 1)]

    @staticmethod
    def char_to_byte(text: str, index: int) -> int:
        return len(text[:index].encode("utf-8"))

    # -- tokens ----------------------------------------------------------------------------

    def tokens(self, start: int, end: int | None = None) -> Iterator[Tok]:
        """Significant tokens (no whitespace or comments) from ``start`` up to ``end``."""
        b = self.b
        stop = len(b) if end is None else min(end, len(b))
        pos = start
        match = _TOKEN.match
        while pos < stop:
            m = match(b, pos)
            if m is None:  # pragma: no cover - the last alternative matches any byte
                break
            kind = m.lastgroup or "p"
            tok_end = m.end()
            if kind == "dol":
                close = b.find(m.group(), tok_end)
                tok_end = stop if close < 0 else close + len(m.group())
                kind = "str"
            if kind != "ws":
                yield Tok(kind, pos, min(tok_end, stop))
            pos = tok_end

    def word(self, tok: Tok) -> str:
        """Lower-case text of a word token ('' for other tokens)."""
        if tok.kind != "word":
            return ""
        return self.b[tok.start : tok.end].decode("utf-8", errors="replace").lower()

    def char(self, tok: Tok) -> str:
        return self.b[tok.start : tok.end].decode("utf-8", errors="replace")

    def significant_start(self, start: int, end: int | None = None) -> int:
        """The offset of the first token at or after ``start`` (``start`` when there is none)."""
        stop = len(self.b) if end is None else min(end, len(self.b))
        if start < stop and self.b[start] in _PLAIN_START:
            return start  # a token starts here: no space or comment to skip
        m = _SKIP.match(self.b, start, stop)
        return min(m.end(), stop) if m else start

    def trim(self, start: int, end: int) -> tuple[int, int]:
        """``(first token start, last token end)`` of a range, skipping whitespace and comments."""
        first = -1
        last = start
        for tok in self.tokens(start, end):
            if first < 0:
                first = tok.start
            last = tok.end
        if first < 0:
            return start, start
        return first, last

    def matching_paren(self, open_at: int, end: int | None = None) -> int:
        """Offset of the ``)`` closing the ``(`` at ``open_at`` (end of range when unbalanced)."""
        return self.scan_item(open_at + 1, end, commas=False)[2]

    def item_end(self, start: int, stop: int | None = None) -> tuple[int, int]:
        """Extent of one list item or clause starting at ``start``: up to (not including) a
        ``,`` ``)`` or ``;`` at nesting depth 0, or ``stop``. Returns (first token start, last token end)."""
        first, last, _ = self.scan_item(start, stop)
        return first, last

    def scan_item(self, start: int, stop: int | None = None, *, commas: bool = True) -> tuple[int, int, int]:
        """Like :meth:`item_end`, also returning where the item stopped (the offset of the ``,``
        ``)`` or ``;``, or the end). With ``commas=False`` only ``)`` and ``;`` end the item."""
        b = self.b
        end = len(b) if stop is None else min(stop, len(b))
        pos = start
        depth = 0
        first = -1
        last = start
        search = _INTERESTING.search
        chunk_end = end
        while pos < end:
            m = search(b, pos, end)
            chunk_end = m.start() if m else end
            if chunk_end > pos:
                chunk = b[pos:chunk_end]
                body = chunk.strip()
                if body:
                    if first < 0:
                        first = pos + len(chunk) - len(chunk.lstrip())
                    last = pos + len(chunk.rstrip())
            if m is None:
                chunk_end = end
                break
            c = b[chunk_end]
            if c in _OPENERS:
                depth += 1
                nxt = chunk_end + 1
            elif c in _CLOSERS:
                if depth == 0:
                    break
                depth -= 1
                nxt = chunk_end + 1
            elif c in _SEPARATORS:
                if depth == 0 and (commas or c == 0x3B):
                    break
                nxt = chunk_end + 1
            else:  # a quote, a dollar sign or a comment: one token
                tok_at = chunk_end
                if c == 0x27 or c == 0x22:
                    if c == 0x22 or not self._e_prefix(chunk_end):
                        # a string or a quoted name: its doubled quotes are the only escape
                        nxt = _quoted_end(b, chunk_end, end)
                        if first < 0:
                            first = chunk_end
                        last = pos = nxt
                        continue
                    tok_at -= 1  # E'...' has backslash escapes
                elif c == 0x24 and chunk_end > 0 and _IN_WORD[b[chunk_end - 1]]:
                    # a dollar sign inside a name (a$b) opens nothing
                    if first < 0:
                        first = chunk_end
                    last = pos = chunk_end + 1
                    continue
                tok = next(self.tokens(tok_at, end), None)
                if tok is None:  # a comment up to ``end``
                    chunk_end = end
                    break
                if tok.start > tok_at:  # the token came after a comment
                    pos = tok.start
                    continue
                nxt = tok.end
            if first < 0:
                first = chunk_end
            last = nxt
            pos = nxt
        else:
            chunk_end = end
        if first < 0:
            return start, start, chunk_end
        return first, last, chunk_end

    def _e_prefix(self, quote_at: int) -> bool:
        """Whether the quote at ``quote_at`` opens an ``E'...'`` string."""
        b = self.b
        if quote_at < 1 or b[quote_at - 1] not in (0x45, 0x65):
            return False
        return quote_at < 2 or not (chr(b[quote_at - 2]).isalnum() or b[quote_at - 2] in (0x5F, 0x24))

    def find_word(self, start: int, end: int | None, *words: str) -> Tok | None:
        """The first token at paren depth 0 in the range whose lower-case word is one of ``words``."""
        depth = 0
        wanted = set(words)
        stop = len(self.b) if end is None else min(end, len(self.b))
        if self.b.find(b"$", start, stop) < 0:
            # No dollar quotes: words, numbers and parentheses are all that matter (strings, quoted
            # names and comments are skipped whole), and a regex finds them without building every
            # token.
            for m in _WORD_NUM_PAREN.finditer(self.b, start, stop):
                kind = m.lastgroup
                if kind == "open":
                    depth += 1
                elif kind == "close":
                    depth -= 1
                elif kind == "word" and depth == 0 and m.group().lower().decode("utf-8", "replace") in wanted:
                    return Tok("word", m.start(), m.end())
            return None
        for tok in self.tokens(start, end):
            if tok.kind == "p":
                c = self.b[tok.start]
                if c == 0x28:
                    depth += 1
                elif c == 0x29:
                    depth -= 1
            elif depth == 0 and tok.kind == "word" and self.word(tok) in wanted:
                return tok
        return None

    def next_token(self, start: int, end: int | None = None) -> Tok | None:
        for tok in self.tokens(start, end):
            return tok
        return None

    def paren_body(self, start: int, end: int | None = None) -> tuple[int, int] | None:
        """The inside (trimmed) of the first parenthesised group at or after ``start``."""
        b = self.b
        at = self.significant_start(start, end)
        if at < len(b) and b[at] == 0x28 and (end is None or at < end):
            # the group is the next token
            simple = _SIMPLE_GROUP.match(b, at, len(b) if end is None else end)
            if simple is None:
                return self.item_end(at + 1, end)
            inner = simple.group(1)
            body = inner.lstrip()
            if not body:
                return at + 1, at + 1
            first = at + 1 + len(inner) - len(body)
            return first, first + len(body.rstrip())
        for tok in self.tokens(start, end):
            if tok.kind == "p" and self.b[tok.start] == 0x28:
                return self.item_end(tok.end, end)
        return None

    # -- text ------------------------------------------------------------------------------

    def clean(self, start: int, end: int) -> str:
        """The SQL text of a range on one line: comments dropped, each run of whitespace one space."""
        b = self.b
        raw = b[start:end]
        if not _UNUSUAL_SPACE.search(raw):
            return raw.strip().decode("utf-8", errors="replace")
        if not _NEEDS_TOKENS.search(raw):
            return _WHITESPACE.sub(b" ", raw).strip().decode("utf-8", errors="replace")
        parts: list[bytes] = []
        prev = -1
        for tok in self.tokens(start, end):
            if prev >= 0 and tok.start > prev:
                parts.append(b" ")
            parts.append(b[tok.start : tok.end])
            prev = tok.end
        return b"".join(parts).decode("utf-8", errors="replace")

    def verbatim(self, start: int, end: int) -> str:
        """The text of a range exactly as written, without leading/trailing whitespace or comments."""
        s, e = self.trim(start, end)
        return self.b[s:e].decode("utf-8", errors="replace")

    def is_quoted(self, offset: int) -> bool:
        return 0 <= offset < len(self.b) and self.b[offset] == 0x22

    def last_name_quoted(self, offset: int) -> bool:
        """Whether the last part of the (possibly qualified) name starting at ``offset`` is quoted."""
        if not self._has_quoted_name:
            return False
        m = _QUALIFIED_NAME.match(self.b, offset)
        return m is not None and self.b[m.end() - 1] == 0x22

    # -- statements ------------------------------------------------------------------------

    def split_statements(self, start: int = 0) -> list[tuple[int, int]]:
        """Byte ranges of the statements from byte ``start`` (where a statement starts) on, split at
        semicolons outside quotes, dollar quotes, comments and ``BEGIN ATOMIC ... END`` bodies.
        Parentheses are ignored on purpose, so that an unbalanced one costs only its own statement.
        Empty statements are dropped."""
        pieces: list[tuple[int, int]] = []
        atomic = 0
        begin = start
        has_token = False
        prev_word = ""
        for tok in self.tokens(start):
            if tok.kind == "p" and self.b[tok.start] == 0x3B and atomic == 0:
                if has_token:
                    pieces.append((begin, tok.start))
                begin = tok.end
                has_token = False
                prev_word = ""
                continue
            if tok.kind == "word":
                w = self.word(tok)
                if w == "atomic" and prev_word == "begin":
                    atomic += 1
                elif w == "end" and atomic:
                    atomic -= 1
                prev_word = w
            has_token = True
        if has_token:
            pieces.append((begin, len(self.b)))
        return pieces
