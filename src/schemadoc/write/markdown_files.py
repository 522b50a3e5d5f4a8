"""The files ``schemadoc docs`` writes, updates or checks: one document, or a folder (``--split``).

A file that exists and has generated parts is updated: its parts are rewritten and every other
byte is kept (:mod:`schemadoc.write.markdown_update`). ``--check`` compares the file with what
an update would write, so prose the team added never makes it stale; a file without markers is
compared with a new document. In a folder, a table file whose table is gone is kept and reported.
"""

from __future__ import annotations

from pathlib import Path

from schemadoc.diagnostics import DOCS_PART_GONE, DOCS_UNMARKED, Diagnostic, SchemadocError, fail
from schemadoc.model import Schema, Span
from schemadoc.records import record
from schemadoc.write.markdown import Part, document_head, document_parts, join_parts
from schemadoc.write.markdown_split import split_parts
from schemadoc.write.markdown_update import parse_marked, update_document

__all__ = ["DocFile", "docs_files", "write_docs_files"]


@record
class DocFile:
    path: Path | None  # None: standard output
    text: str  # what the file should hold
    same: bool  # the file already holds exactly that
    marked: bool  # the file existed with generated parts (its prose is kept)
    gone: bool = False  # a file of the folder whose object is gone: kept as it is, never written


def _one(
    path: Path | None, head: str, parts: list[Part], keep_prose: bool, must_exist: bool
) -> tuple[DocFile, list[Diagnostic]]:
    fresh = join_parts(head, parts)
    if path is None:
        return DocFile(None, fresh, False, False), []
    if not path.is_file():
        if must_exist:
            raise fail(
                DOCS_UNMARKED.code,
                f"{path} does not exist",
                hint=f"write it first with `schemadoc docs -o {path}`",
            )
        return DocFile(path, fresh, False, False), []
    old = path.read_text(encoding="utf-8")
    if not keep_prose:
        return DocFile(path, fresh, old == fresh, False), []
    try:
        text, diags = update_document(old, str(path), parts)
    except SchemadocError:
        if must_exist:
            raise
        return DocFile(path, fresh, old == fresh, False), []  # --check of a document without parts
    return DocFile(path, text, old == text, True), diags


def _left_over(folder: Path, names: set[str]) -> tuple[dict[str, DocFile], list[Diagnostic]]:
    """Files of the folder that hold generated parts but that the database no longer gives."""
    files: dict[str, DocFile] = {}
    diags: list[Diagnostic] = []
    for path in sorted(folder.glob("*.md")):
        if path.name in names:
            continue
        text = path.read_text(encoding="utf-8")
        try:
            marked = parse_marked(text, str(path))
        except SchemadocError:
            continue  # a file the team wrote
        keys = ", ".join(p.key for p in marked.parts)
        diags.append(
            Diagnostic(
                DOCS_PART_GONE.code,
                "warning",
                f"{keys} is no longer in the database: its file is kept",
                Span(str(path), marked.parts[0].line, 1),
                "delete the file by hand when it is no longer wanted",
            )
        )
        files[str(path)] = DocFile(path, text, False, True, gone=True)
    return files, diags


def docs_files(
    schema: Schema,
    target: str | None,
    *,
    split: bool,
    keep_prose: bool,
    must_exist: bool = False,
    diagram_tables: int = 40,
) -> tuple[dict[str, DocFile], list[Diagnostic]]:
    """Display name -> file, and what an update reports. ``target`` None: one document to stdout
    (name ""). ``keep_prose``: update existing files (--update, --check); ``must_exist``: the
    single document must exist and have parts (--update)."""
    if not split:
        path = Path(target) if target else None
        one, diags = _one(
            path,
            document_head(),
            document_parts(schema, max_diagram_tables=diagram_tables),
            keep_prose,
            must_exist,
        )
        return {target or "": one}, diags
    assert target is not None
    folder = Path(target)
    files: dict[str, DocFile] = {}
    reported: list[Diagnostic] = []
    planned = split_parts(schema, max_diagram_tables=diagram_tables)
    for name, (head, parts) in planned.items():
        one, found = _one(folder / name, head, parts, keep_prose, False)
        files[str(folder / name)] = one
        reported += found
    if keep_prose and folder.is_dir():
        gone, found = _left_over(folder, set(planned))
        files.update(gone)
        reported += found
    return files, reported


def write_docs_files(files: dict[str, DocFile]) -> list[str]:
    """Write each file that changed; the names of those written."""
    written: list[str] = []
    for name, f in files.items():
        if f.path is None or f.same or f.gone:
            continue
        f.path.parent.mkdir(parents=True, exist_ok=True)
        f.path.write_text(f.text, encoding="utf-8")
        written.append(name)
    return written
