"""Code fences kept out of markdown-it's way.

markdown-it looks at every line of a document in Python, so a document whose schema is one large
```sql fence spends part of its reading time on lines that markdown-it only copies into the
fence's token. :func:`blank_fences` takes out the body of each fence that opens at the start of a
line and is closed, and :func:`restore_fences` puts each body back into its token after the parse,
with the line numbers of the whole text.

Taking the bodies out cannot change the parse where it is verified: the text before a fence's
opening line is unchanged, so the opening line is read in the same state; a fence's body is read
by no rule but the fence's own, which stops at the first closing line (the same rule finds it
here); and the text after the closing line is unchanged. What the verification covers is that
markdown-it did read a top-level fence at each opening line whose body was taken out. Where it did
not (the opening line was inside an HTML block, say), the caller parses the whole text instead.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate

from markdown_it.token import Token

from schemadoc.lazy_regex import lazy_regex
from schemadoc.records import record

# A fence opening at the start of a line: three or more backticks or tildes, then an info string.
# A backtick fence's info string may not hold a backtick; an opening line holding a pipe is left
# alone, as the table rule, which markdown-it tries first, could read it with the next line.
_OPENING = lazy_regex(r"^(?:(`{3,})([^`\n|]*)|(~{3,})([^\n|]*))\n", re.MULTILINE)


@record
class Blanked:
    """One fence whose body was taken out: the line of its opening in the text parsed (0-based),
    the number of lines taken out after it, and the text of those lines."""

    open_line: int
    lines: int
    body: str


def _closing_at(text: str, start: int, marker: str, length: int) -> tuple[int, int] | None:
    """The first closing line of a fence at or after offset ``start`` (a line start): ``(its
    offset, the offset after it)``, or None when the fence runs to the end of the text. A closing
    line is at most three spaces, at least ``length`` of ``marker`` and nothing else but spaces and
    tabs."""
    run = marker * length
    at = text.find(run, start)
    while at >= 0:
        line_start = text.rfind("\n", 0, at) + 1
        line_end = text.find("\n", at)
        if line_end < 0:
            line_end = len(text)
        lead = at - line_start
        if line_start >= start and lead < 4 and text[line_start:at] == " " * lead:
            rest = text[at:line_end].lstrip(marker)
            if not rest.strip(" \t"):
                return line_start, line_end + 1
        at = text.find(run, line_end)
    return None


def blank_fences(text: str) -> tuple[str, list[Blanked]]:
    """``text`` without the body of each closed fence that opens at the start of a line (its
    opening line is followed straight by its closing line), and what was taken out, in order.
    ``text`` is normalised (LF line ends only)."""
    if "```" not in text and "~~~" not in text:
        return text, []
    pieces: list[str] = []
    blanked: list[Blanked] = []
    kept = 0  # text before this offset is in ``pieces``
    line = 0  # the line, in the text parsed, of offset ``counted`` of ``text``
    counted = 0
    pos = 0
    while True:
        m = _OPENING.search(text, pos)
        if m is None:
            break
        marker_run = m.group(1) or m.group(3)
        body_start = m.end()
        close = _closing_at(text, body_start, marker_run[0], len(marker_run))
        if close is None:
            break  # this fence and everything after it is one block: nothing more to find
        close_at, after = close
        line += text.count("\n", counted, m.start())
        body = text[body_start:close_at]
        lines = body.count("\n")
        if lines:
            pieces.append(text[kept:body_start])
            kept = close_at
            blanked.append(Blanked(line, lines, body))
        line += 2  # the opening and the closing line
        counted = pos = after
    if not blanked:
        return text, []
    pieces.append(text[kept:])
    return "".join(pieces), blanked


def restore_fences(tokens: Sequence[Token], blanked: Sequence[Blanked]) -> bool:
    """Put each body taken out back into its fence token, and make every token's lines those of
    the whole text. False (and the tokens are not to be used) when a body taken out is not exactly
    that of one top-level fence of the parse."""
    if not blanked:
        return True
    opens = [b.open_line for b in blanked]
    by_line = {b.open_line: b for b in blanked}
    removed = [0, *accumulate(b.lines for b in blanked)]  # lines taken out before the k-th fence
    restored = 0
    for tok in tokens:
        if not tok.map:
            continue
        first, end = tok.map
        if tok.type == "fence" and tok.level == 0 and first in by_line:
            if end != first + 2:
                return False
            tok.content = by_line[first].body
            restored += 1
        # a line's number grows by the lines taken out of the fences that open before it
        tok.map = [first + removed[bisect_left(opens, first)], end + removed[bisect_left(opens, end)]]
    return restored == len(blanked)
