"""Load a corpus SQL file into a database the way psql would, for the zero-drift test.

The files are run as they are, statement by statement as the server parses them, except what
only a whole server or psql itself acts on: psql meta-commands (``\\connect``, ``\\c``),
statements on databases (``CREATE/DROP/ALTER DATABASE``, ``ALTER ROLE ... IN DATABASE``) and
owner changes to roles that exist only on the machine the file came from. Those are the
"small set-up" the corpus index names for each file; nothing else is changed.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from pglast import parse_sql
from pglast.parser import split

_SERVER_LEVEL = frozenset({"CreatedbStmt", "DropdbStmt", "AlterDatabaseStmt", "AlterDatabaseSetStmt", "AlterRoleSetStmt"})


def _without_meta_commands(text: str) -> str:
    """The text with every psql meta-command line blanked (line numbers stay)."""
    return "\n".join("" if line.lstrip().startswith("\\") else line for line in text.split("\n"))


def _changes_owner(stmt: object) -> bool:
    kind = type(stmt).__name__
    if kind == "AlterOwnerStmt":
        return True
    if kind == "AlterTableStmt":
        cmds = getattr(stmt, "cmds", None) or ()
        return bool(cmds) and all(getattr(c, "subtype", None) is not None and c.subtype.name == "AT_ChangeOwner" for c in cmds)
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
