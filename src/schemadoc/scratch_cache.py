"""Kept scratch databases: a document built once is compared again without building it again.

``verify`` builds the document in a scratch database and introspects it. With the cache, that
database is kept on its server under a name made from a hash of everything that decides what
the build holds, and the next run with the same inputs introspects it instead of building:

- the DDL rendered from the document (after reading: the trust flag, stand-ins and every
  other choice the readers make end up in it), statement by statement;
- the server's version and the versions of the extensions it offers;
- the role that builds it (it owns every object, and privileges name it);
- schemadoc's version and the cache's own format number.

A change to any of them gives another name, so a kept database is never used for inputs it
was not built from. A kept database is marked twice as schemadoc's: its name starts with
``schemadoc_tpl_`` and its comment (``COMMENT ON DATABASE``) says ``schemadoc: scratch
template`` with the hash and the documents it was built from. The comment is written last,
after the build committed, so a build that was interrupted is never taken for a finished
one. Sessions opened on it are read-only by default (``default_transaction_read_only``).

Concurrent commands: a command that uses a kept database holds a shared advisory lock on its
name (on the maintenance database) for as long as it reads it; a build holds the same lock
exclusively, so a second command with the same document waits for the first build and then
uses it. Dropping a kept database (``schemadoc server clean``, or the pruning that keeps
at most :data:`KEEP_PER_DOCUMENT` per document) only tries the exclusive lock and skips a
database that is in use.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from psycopg import errors, sql

from schemadoc.diagnostics import Diagnostic, SchemadocError
from schemadoc.records import record

__all__ = [
    "KEEP_PER_DOCUMENT",
    "KeptTemplate",
    "clean_templates",
    "kept_scratch_database",
    "kept_templates",
    "template_key",
]

CACHE_FORMAT = 1
KEEP_PER_DOCUMENT = 3
TEMPLATE_PREFIX = "schemadoc_tpl_"
_MARK = "schemadoc: scratch template "
# the first key of schemadoc's advisory locks (pg/locks.py uses the same class for database names)
_LOCK_CLASS = 0x5344
_WAIT_FOR_BUILD = "30min"


@record
class KeptTemplate:
    """A kept scratch database on a server: its name, its full hash and the documents."""

    name: str
    key: str
    documents: tuple[str, ...]


def template_key(statements: Sequence[Any], *, server_version: int, extensions: Sequence[tuple[str, str]],
                 role: str) -> str:  # fmt: skip
    """The hex SHA-256 of every input that changes what the scratch build holds."""
    from schemadoc import __version__

    digest = hashlib.sha256()
    head = {
        "format": CACHE_FORMAT,
        "schemadoc": __version__,
        "server": server_version,
        "extensions": sorted(extensions),
        "role": role,
    }
    digest.update(json.dumps(head, sort_keys=True).encode())
    for statement in statements:
        # a NUL never occurs in SQL text PostgreSQL accepts: statements cannot run into each other
        digest.update(b"\0")
        digest.update(statement.sql.encode())
    return digest.hexdigest()


def template_name(key: str) -> str:
    return TEMPLATE_PREFIX + key[:40]


def _mark(key: str, documents: Sequence[str]) -> str:
    return _MARK + json.dumps({"key": key, "documents": list(documents)}, sort_keys=True)


def _parse_mark(comment: str | None) -> tuple[str, tuple[str, ...]] | None:
    if not comment or not comment.startswith(_MARK):
        return None
    try:
        data = json.loads(comment[len(_MARK) :])
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    key, documents = data.get("key"), data.get("documents")
    if not isinstance(key, str) or not isinstance(documents, list):
        return None
    return key, tuple(str(d) for d in documents)


def kept_templates(conn: Any) -> list[KeptTemplate]:
    """The finished kept databases on the server of ``conn``, oldest first. A database counts
    only when both its name and its comment say it is one and the two agree."""
    rows = conn.execute(
        "SELECT datname, pg_catalog.shobj_description(oid, 'pg_database') FROM pg_catalog.pg_database "
        "WHERE starts_with(datname, %s) ORDER BY oid",
        (TEMPLATE_PREFIX,),
    ).fetchall()
    found = []
    for name, comment in rows:
        parsed = _parse_mark(comment)
        if parsed is not None and template_name(parsed[0]) == name:
            found.append(KeptTemplate(name, parsed[0], parsed[1]))
    return found


def _unfinished(conn: Any) -> list[str]:
    """Databases with the template prefix but no finished mark (a build that was interrupted)."""
    kept = {t.name for t in kept_templates(conn)}
    rows = conn.execute(
        "SELECT datname FROM pg_catalog.pg_database WHERE starts_with(datname, %s) ORDER BY oid",
        (TEMPLATE_PREFIX,),
    ).fetchall()
    return [r[0] for r in rows if r[0] not in kept and len(r[0]) == len(TEMPLATE_PREFIX) + 40]


def _lock(conn: Any, name: str, *, shared: bool) -> None:
    fn = "pg_advisory_lock_shared" if shared else "pg_advisory_lock"
    conn.execute(sql.SQL("SELECT {}(%s, hashtext(%s))").format(sql.Identifier(fn)), (_LOCK_CLASS, name))


def _unlock(conn: Any, name: str, *, shared: bool) -> None:
    fn = "pg_advisory_unlock_shared" if shared else "pg_advisory_unlock"
    conn.execute(sql.SQL("SELECT {}(%s, hashtext(%s))").format(sql.Identifier(fn)), (_LOCK_CLASS, name))


def _try_lock(conn: Any, name: str) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", (_LOCK_CLASS, name)).fetchone()
    return bool(row and row[0])


def _is_finished(conn: Any, name: str, key: str) -> bool:
    row = conn.execute(
        "SELECT pg_catalog.shobj_description(oid, 'pg_database') FROM pg_catalog.pg_database "
        "WHERE datname = %s",
        (name,),
    ).fetchone()
    parsed = _parse_mark(row[0]) if row else None
    return parsed is not None and parsed[0] == key


def _inputs(conn: Any) -> tuple[int, list[tuple[str, str]], str]:
    from schemadoc.pg.connect import server_version

    rows = conn.execute("SELECT name, coalesce(default_version, '') FROM pg_available_extensions").fetchall()
    row = conn.execute("SELECT current_user").fetchone()
    return server_version(conn), [(r[0], r[1]) for r in rows], str(row[0] if row else "")


@contextmanager
def kept_scratch_database(
    maintenance_url: str, schema: Any, documents: Sequence[str]
) -> Iterator[tuple[str, list[Diagnostic], bool]]:
    """Yield (URL, build diagnostics, reused) of the kept scratch database of ``schema`` on the
    server of ``maintenance_url``: the one built earlier from the same inputs (``reused``), or
    one built now and kept. The database must only be read while the context is open."""
    from schemadoc.actions import _render
    from schemadoc.built_databases import document_names
    from schemadoc.pg.connect import connect, with_database

    with connect(maintenance_url, autocommit=True) as admin:
        statements, diags = _render(schema, admin)
        version, extensions, role = _inputs(admin)
        key = template_key(statements, server_version=version, extensions=extensions, role=role)
        name = template_name(key)
        _wait_settings(admin)
        _lock(admin, name, shared=True)
        reused = _is_finished(admin, name, key)
        if not reused:
            _unlock(admin, name, shared=True)
            _lock(admin, name, shared=False)
            try:
                if not _is_finished(admin, name, key):  # not built meanwhile by another command
                    _build(admin, maintenance_url, name, key, statements, schema, document_names(documents))
                else:
                    reused = True
                _lock(admin, name, shared=True)
            finally:
                _unlock(admin, name, shared=False)
        _prune(admin, document_names(documents), keep=name)
        yield with_database(maintenance_url, name), diags, reused
        # closing the session releases the shared lock


def _wait_settings(conn: Any) -> None:
    conn.execute("SELECT set_config('statement_timeout', '0', false)")
    conn.execute("SELECT set_config('lock_timeout', %s, false)", (_WAIT_FOR_BUILD,))


def _build(
    admin: Any,
    maintenance_url: str,
    name: str,
    key: str,
    statements: Sequence[Any],
    schema: Any,
    documents: Sequence[str],
) -> None:
    from schemadoc.actions import _drop_unused_role, _role_names
    from schemadoc.built_databases import mark_roles
    from schemadoc.pg.apply import apply_statements
    from schemadoc.pg.connect import connect, with_database
    from schemadoc.pg.lock_budget import lock_table

    ident = sql.Identifier(name)
    # an interrupted build of the same inputs left this name behind without its mark
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
    roles_before = _role_names(admin)
    admin.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    try:
        with connect(with_database(maintenance_url, name)) as conn:
            apply_statements(conn, statements, lock_budget=lock_table(conn).batch_budget)
    except BaseException:
        with suppress(psycopg.Error, SchemadocError):
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
            for made in sorted((set(schema.roles) & _role_names(admin)) - roles_before):
                _drop_unused_role(admin, made)
        raise
    # the roles the build made stay with it (its objects name them); `server clean` drops them
    mark_roles(admin, sorted((set(schema.roles) & _role_names(admin)) - roles_before), name)
    admin.execute(sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on").format(ident))
    admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(ident, sql.Literal(_mark(key, documents))))


def _drop(admin: Any, name: str) -> bool:
    """Drop one kept database (not while anyone is connected to it) and the roles its build
    made, when nothing else uses them. False when it is in use."""
    from schemadoc.built_databases import drop_marked_roles

    if not _try_lock(admin, name):
        return False
    try:
        try:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        except errors.ObjectInUse:
            return False
        drop_marked_roles(admin, name)
        return True
    finally:
        _unlock(admin, name, shared=False)


def _prune(admin: Any, documents: Sequence[str], *, keep: str) -> None:
    """Keep at most :data:`KEEP_PER_DOCUMENT` kept databases of these documents (the newest)."""
    mine = [t for t in kept_templates(admin) if t.documents == tuple(documents)]
    others = [t for t in mine if t.name != keep]
    for old in others[: max(0, len(mine) - KEEP_PER_DOCUMENT)]:
        _drop(admin, old.name)


@record(frozen=False)
class Cleaned:
    dropped: list[str]
    in_use: list[str]


def clean_templates(maintenance_url: str) -> Cleaned:
    """Drop every kept scratch database on the server of ``maintenance_url`` (and unfinished
    ones an interrupted build left), except those another command is reading."""
    from schemadoc.pg.connect import connect

    result = Cleaned([], [])
    with connect(maintenance_url, autocommit=True) as admin:
        names = [t.name for t in kept_templates(admin)] + _unfinished(admin)
        for name in names:
            (result.dropped if _drop(admin, name) else result.in_use).append(name)
    return result
