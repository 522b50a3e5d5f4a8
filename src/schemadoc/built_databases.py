"""Databases and roles that ``up`` created, and only those, may be dropped again.

``up`` marks each database it creates with ``COMMENT ON DATABASE`` naming schemadoc and the
document(s), and each role its build created with ``COMMENT ON ROLE`` naming that database.
``up --recreate`` and ``down`` check the mark before they drop anything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from psycopg import errors, sql

from schemadoc.diagnostics import fail
from schemadoc.records import record

_DATABASE_MARK = "schemadoc: built from "
_ROLE_MARK = "schemadoc: created for database "

NOT_OURS = "SD602"  # a database schemadoc did not create (or built from other documents)
NO_DATABASE = "SD604"


def document_names(documents: Sequence[str]) -> list[str]:
    """How the mark names documents: absolute paths, ``<stdin>`` for standard input."""
    return ["<stdin>" if d == "-" else str(Path(d).resolve()) for d in documents]


def database_mark(documents: Sequence[str]) -> str:
    return _DATABASE_MARK + json.dumps(document_names(documents))


def marked_documents(comment: str | None) -> list[str] | None:
    """The documents a database's comment names, or None when schemadoc did not mark it."""
    if not comment or not comment.startswith(_DATABASE_MARK):
        return None
    try:
        names = json.loads(comment[len(_DATABASE_MARK) :])
    except ValueError:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    return names


def role_names(conn: Any) -> set[str]:
    return {r[0] for r in conn.execute("SELECT rolname FROM pg_catalog.pg_roles").fetchall()}


def mark_database(conn: Any, dbname: str, documents: Sequence[str]) -> None:
    conn.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(dbname), sql.Literal(database_mark(documents))
        )
    )


def mark_roles(conn: Any, roles: Sequence[str], dbname: str) -> None:
    for role in roles:
        conn.execute(
            sql.SQL("COMMENT ON ROLE {} IS {}").format(
                sql.Identifier(role), sql.Literal(_ROLE_MARK + json.dumps(dbname))
            )
        )


def database_comment(conn: Any, dbname: str) -> tuple[bool, str | None]:
    """Whether ``dbname`` exists, and its comment."""
    row = conn.execute(
        "SELECT pg_catalog.shobj_description(oid, 'pg_database') FROM pg_catalog.pg_database "
        "WHERE datname = %s",
        (dbname,),
    ).fetchone()
    return (row is not None, row[0] if row else None)


def require_database(conn: Any, dbname: str, documents: Sequence[str]) -> None:
    """Fail (SD604, exit 2) when the database of ``documents`` does not exist."""
    exists, _ = database_comment(conn, dbname)
    if not exists:
        docs = " ".join(documents)
        raise fail(
            NO_DATABASE,
            f"there is no database {dbname} for {docs} on this server",
            hint=f"build it first: schemadoc up {docs}",
        )


def check_ours(conn: Any, dbname: str, documents: Sequence[str]) -> None:
    """Fail (SD602, exit 3) unless ``dbname`` was created by ``up`` from ``documents``."""
    _, comment = database_comment(conn, dbname)
    named = marked_documents(comment)
    if named is None:
        raise fail(
            NOT_OURS,
            f"database {dbname} was not created by schemadoc; it is never dropped",
            hint="drop it yourself if you mean to, or build into another database (--database NAME)",
        )
    wanted = document_names(documents)
    if named != wanted:
        raise fail(
            NOT_OURS,
            f"database {dbname} was built by schemadoc from {', '.join(named)}, not from "
            f"{', '.join(wanted)}; it is not dropped",
            hint="name another database (--database NAME), or `schemadoc down` the document it was built from",
        )


@record(frozen=False)
class Dropped:
    database: str
    roles: list[str] = field(default_factory=list)  # roles dropped with it
    kept_roles: list[str] = field(default_factory=list)  # created for it, but still used elsewhere


def drop_database(conn: Any, dbname: str) -> Dropped:
    """Drop ``dbname`` (closing its sessions), then the roles ``up`` created for it that own or
    hold nothing in any other database. ``conn``: autocommit, on another database of the server."""
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
    return drop_marked_roles(conn, dbname)


def drop_marked_roles(conn: Any, dbname: str) -> Dropped:
    """Drop the roles marked as created for ``dbname`` that own or hold nothing anywhere."""
    result = Dropped(dbname)
    rows = conn.execute(
        "SELECT r.rolname, EXISTS (SELECT 1 FROM pg_catalog.pg_shdepend d "
        "WHERE d.refclassid = 'pg_catalog.pg_authid'::regclass AND d.refobjid = r.oid) "
        "FROM pg_catalog.pg_roles r "
        "WHERE pg_catalog.shobj_description(r.oid, 'pg_authid') = %s AND r.rolname <> current_user "
        "ORDER BY r.rolname",
        (_ROLE_MARK + json.dumps(dbname),),
    ).fetchall()
    for role, used in rows:
        if used:
            result.kept_roles.append(role)
            continue
        if drop_role(conn, role):
            result.roles.append(role)
        else:
            result.kept_roles.append(role)  # taken into use since the check: it stays
    return result


def drop_role(conn: Any, role: str) -> bool:
    """DROP ROLE IF EXISTS; False when something took the role into use meanwhile. A catalog row
    that another session changed at the same moment ("tuple concurrently deleted": a command
    beside this one dropping a database or role) makes the server refuse once: tried again."""
    for attempt in (1, 2):
        try:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
            return True
        except (errors.DependentObjectsStillExist, errors.ObjectInUse):
            return False
        except errors.InternalError_ as exc:
            if attempt == 2 or "concurrently" not in (exc.diag.message_primary or ""):
                raise
    return False
