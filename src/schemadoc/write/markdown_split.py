"""``docs --split``: one file per table and an index, read back together by ``schemadoc check DIR/*.md``.

The index (``README.md``) holds the title, each schema's diagram(s) with a link to each of its
tables' files, and the parts that are not tables (schemas, extensions, types, sequences, grants,
views, routines). Each table's file (``<schema>.<table>.md``) holds that table's part, its heading
raised to a title. Every part keeps its markers, so ``docs --update`` works file by file.
"""

from __future__ import annotations

from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import QName, Schema
from schemadoc.records import replace
from schemadoc.write.markdown import HEAD_NOTE, Part, document_head, document_parts

__all__ = ["INDEX", "split_parts", "table_file_names"]

INDEX = "README.md"
_UNSAFE = lazy_regex(r"[^A-Za-z0-9_.-]")


def _file_name(qname: QName) -> str:
    """``public.books.md``; characters a file name should not hold are written ``%XX``."""

    def escape(text: str) -> str:
        return _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), text)

    return f"{escape(qname.schema)}.{escape(qname.name)}.md"


def table_file_names(schema: Schema) -> dict[QName, str]:
    """Each table's file name; names that differ only in case get a number, so that they do not
    meet on a file system that folds case."""
    names: dict[QName, str] = {}
    taken: set[str] = {INDEX.lower()}
    for qname in sorted(schema.tables):
        name = _file_name(qname)
        stem, number = name[: -len(".md")], 2
        while name.lower() in taken:
            name, number = f"{stem}-{number}.md", number + 1
        taken.add(name.lower())
        names[qname] = name
    return names


def _links(schema: Schema, files: dict[QName, str], schema_name: str) -> list[str]:
    lines = ["", "Tables:", ""]
    for qname in sorted(q for q in schema.tables if q.schema == schema_name):
        lines.append(f"- [{qname.name}]({files[qname]})")
    return lines


def split_parts(
    schema: Schema, *, title: str = "Database reference", max_diagram_tables: int = 40
) -> dict[str, tuple[str, list[Part]]]:
    """File name -> (head, parts): the index and one file per table."""
    files = table_file_names(schema)
    tables_by_key = {f"table {q}": q for q in schema.tables}
    index: list[Part] = []
    out: dict[str, tuple[str, list[Part]]] = {}
    for part in document_parts(schema, max_diagram_tables=max_diagram_tables):
        qname = tables_by_key.get(part.key)
        if qname is None:
            if part.key.startswith("schema "):
                part = replace(part, lines=(*part.lines, *_links(schema, files, part.key[len("schema ") :])))
            index.append(part)
            continue
        heading, *rest = part.lines
        own = Part(part.key, (f"# {heading.lstrip('#').strip()}", *rest))
        out[files[qname]] = (f"{HEAD_NOTE}\n", [own])
    return {INDEX: (document_head(title), index), **dict(sorted(out.items()))}
