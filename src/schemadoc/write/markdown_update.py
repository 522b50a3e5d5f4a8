"""``docs --update``: regenerate the marked parts of a document and keep every other byte.

A document ``schemadoc docs`` wrote holds its generated parts between two HTML comments,
``<!-- schemadoc:begin KEY -->`` and ``<!-- schemadoc:end KEY -->`` (KEY names the object:
``table public.books``). What lies outside them belongs to the people who keep the document:
the text before the first part (title, introduction) stays first, and the text after a part
stays after that part, byte for byte.

An update writes the parts the database gives now, in the order ``docs`` writes them, each
followed by the text that followed it before. A new object gets a new part at its place. The
part of an object that is gone is removed and reported; when text followed it, that text is
kept after the part that came before it, behind a ``<!-- schemadoc:gone KEY -->`` line, so no
one's words disappear with the object. Updating twice gives the same bytes as once, and updating
a document that ``docs`` has just written changes nothing.
"""

from __future__ import annotations

from schemadoc.diagnostics import DOCS_PART_GONE, DOCS_UNMARKED, Diagnostic, fail
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Span
from schemadoc.records import record
from schemadoc.write.markdown import Part, marker, part_text

__all__ = ["Marked", "parse_marked", "update_document"]

_MARKER = lazy_regex(r"<!-- schemadoc:(begin|end) (.+) -->[ \t]*\r?\n?")


@record
class _OldPart:
    key: str  # as written in the marker (escaped)
    line: int  # of its begin marker
    after: str  # the text between its end marker and the next begin marker


@record
class Marked:
    """An existing document cut at its markers."""

    head: str
    parts: tuple[_OldPart, ...]


def _escaped(key: str) -> str:
    return marker("begin", key)[len("<!-- schemadoc:begin ") : -len(" -->")]


def parse_marked(text: str, path: str) -> Marked:
    """``text`` cut at its markers; SD823 (a usage error) when it has none or they do not pair."""
    head: list[str] = []
    found_parts: list[tuple[str, int, list[str]]] = []
    after = head  # where the text outside parts goes
    open_key: str | None = None
    open_line = 0

    def bad(line: int, message: str) -> Exception:
        return fail(
            DOCS_UNMARKED.code,
            message,
            span=Span(path, line, 1),
            hint="the generated parts are the lines from `<!-- schemadoc:begin KEY -->` to "
            "`<!-- schemadoc:end KEY -->`; write a new document with `schemadoc docs -o`",
        )

    for number, line in enumerate(text.splitlines(keepends=True), 1):
        found = _MARKER.fullmatch(line)
        if found is None:
            if open_key is None:
                after.append(line)
            continue
        edge, key = found.groups()
        if edge == "begin":
            if open_key is not None:
                raise bad(number, f"part {key} begins inside part {open_key} (line {open_line})")
            if any(k == key for k, _, _ in found_parts):
                raise bad(number, f"part {key} is written twice")
            open_key, open_line = key, number
        elif open_key != key:
            raise bad(number, f"end of part {key} without its begin")
        else:
            after = []
            found_parts.append((key, open_line, after))
            open_key = None
    if open_key is not None:
        raise bad(open_line, f"part {open_key} has no end marker")
    if not found_parts:
        raise bad(1, "no generated parts (no schemadoc:begin / schemadoc:end markers)")
    parts = tuple(_OldPart(key, line, "".join(rest)) for key, line, rest in found_parts)
    return Marked("".join(head), parts)


def _gone_note(old: _OldPart) -> str:
    return f"<!-- schemadoc:gone {old.key} -->\n"


def update_document(text: str, path: str, parts: list[Part]) -> tuple[str, list[Diagnostic]]:
    """``text`` with its generated parts replaced by ``parts``, and a warning per part that is gone."""
    marked = parse_marked(text, path)
    wanted = {_escaped(p.key) for p in parts}
    head = marked.head
    after: dict[str, str] = {}
    diags: list[Diagnostic] = []
    last_kept: str | None = None
    for old in marked.parts:
        if old.key in wanted:
            after[old.key] = old.after
            last_kept = old.key
            continue
        kept_text = old.after.strip() != ""
        diags.append(
            Diagnostic(
                DOCS_PART_GONE.code,
                "warning",
                f"{old.key} is no longer in the database: its generated part is removed"
                + ("; the text written after it is kept" if kept_text else ""),
                Span(path, old.line, 1),
                "delete the kept text by hand when it is no longer wanted" if kept_text else None,
            )
        )
        if not kept_text:
            continue
        moved = _blank_line_after(_gone_note(old) + old.after)
        if last_kept is None:
            head = _joined(head, moved)
        else:
            after[last_kept] = _joined(after[last_kept], moved)
    out = [head]
    for number, part in enumerate(parts):
        rest = after.get(_escaped(part.key), "")
        if rest == "" and number < len(parts) - 1:
            rest = "\n"  # a blank line before the next part
        if out[-1] and not out[-1].endswith("\n"):  # the marker starts a line of its own
            out.append("\n")
        out += [part_text(part), rest]
    return "".join(out), diags


def _blank_line_after(text: str) -> str:
    if not text.endswith("\n"):
        text += "\n"
    return text if text.endswith("\n\n") else text + "\n"


def _joined(text: str, more: str) -> str:
    """``more`` after ``text``, a blank line between them."""
    return (_blank_line_after(text) if text.strip() else text) + more
