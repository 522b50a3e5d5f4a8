"""What ``up`` and ``verify`` do, as library calls (the CLI only parses and renders)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
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


def build(
    target_url: str,
    doc: Schema,
    *,
    maintenance_url: str,
    documents: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> BuildResult:
    """Create the database if needed and build ``doc`` in it, all or nothing. A database that
    already holds exactly the document is left alone; one that holds anything else is refused.
    When the build fails, a database this call created is dropped again; one that existed
    before is left as it was. A database this call creates is marked as built from
    ``documents``, and so is each role the build creates (see :mod:`schemadoc.built_databases`)."""
    from psycopg.conninfo import conninfo_to_dict

    from schemadoc.built_databases import mark_database
    from schemadoc.pg.connect import connect, create_database

    dbname = str(conninfo_to_dict(target_url).get("dbname") or "postgres")
    created = create_database(maintenance_url, dbname)
    try:
        if created and documents:
            with connect(maintenance_url, autocommit=True) as admin:
                mark_database(admin, dbname, documents)
        return _build_into(
            target_url,
            doc,
            maintenance_url=maintenance_url,
            dbname=dbname,
            created=created,
            progress=progress,
        )
    except BaseException:
        if created:
            # The build's own error is the one to report; a failed clean-up must not replace it.
            with suppress(psycopg.Error, SchemadocError), connect(maintenance_url, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
                )
        raise


# How many of the differences an SD601 message names.
_SHOWN_DIFFERENCES = 5


def _build_into(
    target_url: str,
    doc: Schema,
    *,
    maintenance_url: str,
    dbname: str,
    created: bool,
    progress: Callable[[int, int], None] | None = None,
) -> BuildResult:
    from schemadoc.built_databases import mark_roles, role_names
    from schemadoc.pg.apply import apply_statements, database_objects
    from schemadoc.pg.connect import connect

    with connect(target_url) as conn:
        existing = database_objects(conn)
        statements, diags = _render(doc, conn)
        if not existing:
            roles_before = role_names(conn)
            apply_statements(conn, statements, progress=progress)
            # only the document's roles: another session may create roles at the same time
            created_roles = (role_names(conn) - roles_before) & {r.name for r in doc.roles.values()}
            mark_roles(conn, sorted(created_roles), dbname)
            return BuildResult(dbname, created, True, len(statements), diags)
    drift = [d for d in structure_drift(target_url, maintenance_url, doc) if d.level == "error"]
    if not drift:
        return BuildResult(dbname, created, False, 0, diags)
    shown = "; ".join(d.message for d in drift[:_SHOWN_DIFFERENCES])
    more = f"; and {len(drift) - _SHOWN_DIFFERENCES} more" if len(drift) > _SHOWN_DIFFERENCES else ""
    raise fail(
        "SD601",
        f"database {dbname} differs from the document in {len(drift)} place(s): {shown}{more}; "
        "up never alters or drops what a database holds",
        hint="rebuild a database schemadoc built with `schemadoc up DOC --recreate`, build into an empty "
        "database (--database NAME), or list the drift with `schemadoc verify DOC`",
    )


def verify_behaviour(target_url: str, doc: Schema, progress: Callable[[int, int], None] | None = None) -> Any:
    from schemadoc.pg.connect import connect
    from schemadoc.verify.probes import verify_promises

    with connect(target_url) as conn:
        return verify_promises(conn, doc, progress=progress)
