"""What ``up`` and ``verify`` do, as library calls (the CLI only parses and renders)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from schemadoc.diagnostics import Diagnostic, SchemadocError, fail
from schemadoc.model import Schema


@dataclass
class BuildResult:
    database: str
    created_database: bool
    applied: bool  # False: the database already matched, nothing was done
    statements: int
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # roles the build created: they belong to the whole server, not to the database, and
    # outlive it (DROP ROLE removes them)
    roles_created: list[str] = field(default_factory=list)


def _render(schema: Schema, conn: Any) -> tuple[list[Any], list[Diagnostic]]:
    from schemadoc.pg.connect import server_version
    from schemadoc.write.ddl import render_ddl

    rows = conn.execute("SELECT name FROM pg_available_extensions").fetchall()
    available = frozenset(r[0] for r in rows)
    return render_ddl(schema, server_version=server_version(conn), available_extensions=available)


@contextmanager
def shadow_database(maintenance_url: str, schema: Schema) -> Iterator[tuple[str, list[Diagnostic]]]:
    """A scratch database with ``schema`` built in it; dropped afterwards."""
    from schemadoc.pg.apply import apply_statements
    from schemadoc.pg.connect import connect, with_database

    name = f"schemadoc_shadow_{uuid.uuid4().hex[:12]}"
    with connect(maintenance_url, autocommit=True) as admin:
        roles_before = _role_names(admin)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(maintenance_url, name)
    try:
        with connect(url) as conn:
            statements, diags = _render(schema, conn)
            apply_statements(conn, statements)
        yield url, diags
    finally:
        with connect(maintenance_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            # roles belong to the whole server: those the scratch build created go with it
            for role in sorted(_role_names(admin) - roles_before):
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _role_names(conn: Any) -> set[str]:
    return {r[0] for r in conn.execute("SELECT rolname FROM pg_catalog.pg_roles").fetchall()}


def _named_roles(doc: Schema) -> set[str]:
    """Every role the document defines, grants to or names in a policy."""
    names = set(doc.roles) | {g.grantee for g in doc.grants}
    for policy in doc.policies.values():
        names.update(policy.roles)
    return names


def structure_drift(
    target_url: str, shadow_maintenance_url: str, doc: Schema, *, comments: bool = False
) -> list[Diagnostic]:
    """Every structural difference between a live database and the document. The document
    is built in a scratch database on the server of ``shadow_maintenance_url`` and both
    sides are read with the same catalog queries. ``comments``: list each description that
    differs from its comment instead of one line per table."""
    from schemadoc.compare.diff import diff_schemas
    from schemadoc.pg.connect import connect, server_version
    from schemadoc.pg.introspect import introspect

    with shadow_database(shadow_maintenance_url, doc) as (shadow_url, diags), connect(shadow_url) as conn:
        expected = introspect(conn)
        shadow_version = server_version(conn)
    with connect(target_url) as conn:
        conn.read_only = True
        actual = introspect(conn)
        target_version = server_version(conn)
    drift = diff_schemas(
        expected, actual, doc=doc, comments=comments, versions=(shadow_version, target_version)
    )
    return [d for d in diags if d.level != "note"] + drift


def build(target_url: str, doc: Schema, *, maintenance_url: str) -> BuildResult:
    """Create the database if needed and build ``doc`` in it, all or nothing. A database that
    already holds exactly the document is left alone; one that holds anything else is refused.
    When the build fails, a database this call created is dropped again; one that existed
    before is left as it was."""
    from psycopg.conninfo import conninfo_to_dict

    from schemadoc.pg.connect import connect, create_database

    dbname = str(conninfo_to_dict(target_url).get("dbname") or "postgres")
    created = create_database(maintenance_url, dbname)
    try:
        return _build_into(target_url, doc, maintenance_url=maintenance_url, dbname=dbname, created=created)
    except BaseException:
        if created:
            # The build's own error is the one to report; a failed clean-up must not replace it.
            with suppress(psycopg.Error, SchemadocError), connect(maintenance_url, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
                )
        raise


def _build_into(
    target_url: str, doc: Schema, *, maintenance_url: str, dbname: str, created: bool
) -> BuildResult:
    from schemadoc.pg.apply import apply_statements, database_objects
    from schemadoc.pg.connect import connect

    with connect(target_url) as conn:
        existing = database_objects(conn)
        statements, diags = _render(doc, conn)
        if not existing:
            roles_before = _role_names(conn)
            apply_statements(conn, statements)
            made = (_role_names(conn) - roles_before) & _named_roles(doc)
            return BuildResult(dbname, created, True, len(statements), diags, sorted(made))
    drift = structure_drift(target_url, maintenance_url, doc)
    if not [d for d in drift if d.level == "error"]:
        return BuildResult(dbname, created, False, 0, diags)
    shown = ", ".join(existing[:5]) + (" ..." if len(existing) > 5 else "")
    raise fail(
        "SD601",
        f"database {dbname} already holds objects that differ from the document ({shown}); up never alters or drops them",
        hint="build into an empty database (--database NAME), or use `schemadoc verify` to see the drift",
    )


def verify_behaviour(target_url: str, doc: Schema, progress: Callable[[int, int], None] | None = None) -> Any:
    from schemadoc.pg.connect import connect
    from schemadoc.verify.probes import verify_promises

    with connect(target_url) as conn:
        return verify_promises(conn, doc, progress=progress)
