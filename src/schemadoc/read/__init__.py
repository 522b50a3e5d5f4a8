"""Reading documents into one schema model: :func:`read_documents` is the entry point."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from schemadoc.collector import collector_paused
from schemadoc.diagnostics import Diagnostic, SchemadocError, fail
from schemadoc.model import Schema, Span
from schemadoc.read.facts import DocFacts

STYLES_HINT = (
    "schemadoc reads ```sql fences (CREATE TABLE ...), column tables (| Column | Type | Constraints |), "
    "bullet column lists (- `col` (type, NOT NULL) - text), relation lines (t(id PK, x FK->u(id))), "
    "mermaid erDiagram blocks, psql \\d listings and API field tables (| Name | Format |)"
)


# Set (to any non-empty value) by the test suite: a reader's internal failure then raises instead
# of becoming a "block could not be read" diagnostic, so that a reader bug fails the tests.
RAISE_READER_ERRORS_ENV = "SCHEMADOC_RAISE_READER_ERRORS"


def reader_errors_raise() -> bool:
    """Whether a reader's internal failure must propagate (tests) rather than become a diagnostic."""
    return bool(os.environ.get(RAISE_READER_ERRORS_ENV))


# Notes about blocks the readers set aside: outside a table section, under a "Future" heading.
_UNREAD_BLOCK_CODES = frozenset({"SD011", "SD015"})


# A document named ``-`` is read from standard input; diagnostics call it ``<stdin>``.
STDIN = "-"
STDIN_NAME = "<stdin>"


def document_name(path: str | Path) -> str:
    """How diagnostics name a document: its path, or ``<stdin>`` for ``-``."""
    return STDIN_NAME if str(path) == STDIN else str(path)


def load_text(path: Path) -> str:
    """The text of a document (standard input for ``-``), or a clear error (exit 2) when it cannot be one."""
    if str(path) == STDIN:
        return decode_document(sys.stdin.buffer.read(), Path(STDIN_NAME))
    if not path.exists():
        raise fail("SD020", f"{path}: no such file", hint="check the path")
    if path.is_dir():
        raise fail(
            "SD021", f"{path}: is a directory, not a document", hint="name the markdown file(s) inside it"
        )
    return decode_document(path.read_bytes(), path)


def decode_document(data: bytes, path: Path) -> str:
    """``data`` as document text; ``path`` names it in the errors."""
    if b"\x00" in data[:8192]:
        raise fail(
            "SD022",
            f"{path}: not a markdown document (binary data)",
            span=Span(str(path), 1, 1),
            hint="give a markdown (.md) file that describes the schema",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, data, exc) from None
    if text.lstrip().startswith("<svg") or text.lstrip().startswith("<?xml"):
        raise fail(
            "SD022",
            f"{path}: not a markdown document (XML/SVG)",
            span=Span(str(path), 1, 1),
            hint="give a markdown (.md) file that describes the schema",
        )
    return text


def _not_utf8(path: Path, file_bytes: bytes, exc: UnicodeDecodeError) -> SchemadocError:
    """The error for a document that is not UTF-8, at the line and column (in characters, lines
    ended as markdown ends them) of its first byte that is not. Documents are read as UTF-8
    only: another encoding is never guessed, since a wrong guess changes names silently."""
    data: bytes = exc.object
    before = data[: exc.start].decode("utf-8")  # everything before the bad byte is valid UTF-8
    lines = before.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    span = Span(str(path), len(lines), len(lines[-1]) + 1)
    bad = data[exc.start]
    offset = exc.start + len(file_bytes) - len(data)  # ``data`` is without a byte order mark
    message = f"expected UTF-8 text, found byte 0x{bad:02X} ({exc.reason}) at byte offset {offset}"
    hint = "save the document as UTF-8"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    else:
        shown = data[exc.start : exc.start + 1].decode("cp1252")
        hint = (
            f"the document looks like Windows-1252 text (this byte would be {shown!r} there); "
            "save it as UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8"
        )
    return SchemadocError(Diagnostic("SD022", "error", message, span, hint))


def read_facts(path: Path) -> DocFacts:
    from schemadoc.read.markdown import read_markdown
    from schemadoc.read.sql import read_sql

    text = load_text(path)
    name = document_name(path)
    if path.suffix.lower() in (".sql", ".psql", ".postgres"):
        return read_sql(text, file=name, line=1, col=1)
    return read_markdown(text, file=name)


def read_documents(
    paths: Sequence[str | Path], *, stub_missing: bool = False, trust: bool = False
) -> tuple[Schema, list[Diagnostic]]:
    """Read one or more documents into one Schema. Fatal problems raise SchemadocError (exit 2);
    everything else is returned as diagnostics. ``trust``: the schema keeps what reaches outside
    the database (see :func:`schemadoc.read.resolve.resolve`); it is left out otherwise."""
    from schemadoc.read.resolve import resolve

    with collector_paused():
        facts = DocFacts()
        for p in paths:
            facts.extend(read_facts(Path(p)))
        schema, diags = resolve(facts, stub_missing=stub_missing, trust=trust)
        mentions = facts.mentions
        thin = facts.thin
        del facts  # freed now, so that the collector, once back, does not trace them
    if not schema.tables and not any(d.level == "error" for d in diags):
        where = ", ".join(document_name(p) for p in paths)
        named = sorted({str(m.name) for m in mentions})
        message = f"{where}: no tables found"
        if named:
            shown = ", ".join(named[:5]) + (", ..." if len(named) > 5 else "")
            message += f" (it names {len(named)} table(s): {shown}, but gives the columns of none)"
        if thin:  # the tables the documents name and what each lacks, the code blocks skipped
            shown = "; ".join(f"{span}: {text}" for span, text in thin[:8])
            message += f"; seen: {shown}" + (f"; and {len(thin) - 8} more" if len(thin) > 8 else "")
        # Warnings, and blocks that looked like schema but were set aside, say why there is nothing.
        why = [
            d for d in diags if (d.level == "warning" or d.code in _UNREAD_BLOCK_CODES) and d.span is not None
        ]
        if why:
            shown = "; ".join(f"{d.span}: {d.message}" for d in why[:3])
            message += f"; set aside: {shown}" + (f"; and {len(why) - 3} more" if len(why) > 3 else "")
        raise fail("SD023", message, span=Span(document_name(paths[0]), 1, 1), hint=STYLES_HINT)
    return schema, diags
