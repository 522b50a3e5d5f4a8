"""What the corpus smoke tests measure on each document, shared with
``scripts/regen_corpus_counts.py`` that records it in ``fixtures/corpus_doc_tables.json``.

A corpus document either reads, and gives at least the recorded number of tables with
columns, or is not UTF-8 text and gives the SD022 error at the recorded line and column.
The readers never guess another encoding (a wrong guess would change names silently), so
such a document stays an error rather than being decoded with a fallback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
from pglast import parse_sql
from pglast.parser import split

from schemadoc.diagnostics import Diagnostic, SchemadocError
from schemadoc.read import load_text
from schemadoc.read.facts import DocFacts
from schemadoc.read.markdown import read_markdown

EXPECTED = Path(__file__).resolve().parent / "fixtures" / "corpus_doc_tables.json"

# An exception inside a reader becomes one of these instead of ending the read: SD019 from
# the markdown walker's guard (a block that raised, or markdown-it failing) and SD002 from the
# SQL reader (a statement whose tree it could not follow). In a test they are failures.
INTERNAL_READER_CODES = frozenset({"SD002", "SD019"})


def internal_errors(diags: list[Diagnostic]) -> list[str]:
    return [d.render() for d in diags if d.code in INTERNAL_READER_CODES]


def tables_read(facts: DocFacts) -> int:
    """How many distinct tables the document gives columns for."""
    names = {(t.name.schema or "", t.name.text.casefold()) for t in facts.tables if t.columns and not t.alter}
    return len(names)


def read_one(path: Path) -> tuple[DocFacts | None, Diagnostic | None]:
    """The facts of one document, or the error that stops it from being read."""
    try:
        text = load_text(path)
    except SchemadocError as exc:
        return None, exc.diagnostic
    return read_markdown(text, file=path.name), None


def measure(docs: Path) -> dict[str, Any]:
    """The record for every ``*.md`` in ``docs``; raises when a reader fails internally."""
    tables: dict[str, int] = {}
    not_utf8: dict[str, list[int]] = {}
    for path in sorted(docs.glob("*.md")):
        facts, error = read_one(path)
        if error is not None:
            if error.code != "SD022" or error.span is None:
                raise AssertionError(f"{path.name}: {error.render()}")
            not_utf8[path.name] = [error.span.line, error.span.col]
            continue
        assert facts is not None
        internal = internal_errors(facts.diagnostics)
        if internal:
            raise AssertionError("\n".join(internal))
        tables[path.name] = tables_read(facts)
    return {"not_utf8": not_utf8, "tables": tables}


def load_expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return data


# -- raw loads of the corpus SQL files ---------------------------------------------------------------------
# The files are run as they are, statement by statement as the server parses them, except what only a
# whole server or psql itself acts on: psql meta-commands (\connect, \c), statements on
# databases (CREATE/DROP/ALTER DATABASE, ALTER ROLE ... IN DATABASE) and owner changes to roles that exist
# only on the machine the file came from: the "small set-up" the corpus index names for each file.

_SERVER_LEVEL = frozenset(
    {"CreatedbStmt", "DropdbStmt", "AlterDatabaseStmt", "AlterDatabaseSetStmt", "AlterRoleSetStmt"}
)


def _without_meta_commands(text: str) -> str:
    """The text with every psql meta-command line blanked (line numbers stay)."""
    return "\n".join("" if line.lstrip().startswith("\\") else line for line in text.split("\n"))


def _changes_owner(stmt: object) -> bool:
    kind = type(stmt).__name__
    if kind == "AlterOwnerStmt":
        return True
    if kind == "AlterTableStmt":
        cmds = getattr(stmt, "cmds", None) or ()
        return bool(cmds) and all(
            getattr(c, "subtype", None) is not None and c.subtype.name == "AT_ChangeOwner" for c in cmds
        )
    return False


def raw_statements(path: Path) -> list[str]:
    """The statements of ``path`` a plain database load runs, in file order."""
    text = _without_meta_commands(path.read_text(encoding="utf-8"))
    kept: list[str] = []
    for piece in split(text, with_parser=True):
        stmt = parse_sql(piece)[0].stmt
        if type(stmt).__name__ in _SERVER_LEVEL or _changes_owner(stmt):
            continue
        kept.append(piece)
    return kept


def load_raw(url: str, path: Path) -> None:
    """Run the file's statements into the (empty) database at ``url``, in one session."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in raw_statements(path):
            conn.execute(statement.encode("utf-8"), prepare=False)
