"""What ``up`` and ``verify`` do, as library calls (the CLI only parses and renders)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import field
from typing import Any

import psycopg
from psycopg import sql

from schemadoc.diagnostics import SCRATCH_KEPT, SYSTEM_DATABASE, Diagnostic, SchemadocError, fail
from schemadoc.model import QName, Schema
from schemadoc.records import record


@record(frozen=False)
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
    from schemadoc.read_cache import keep_ddl, kept_ddl
    from schemadoc.write.ddl import render_ddl

    rows = conn.execute("SELECT name FROM pg_available_extensions").fetchall()
    available = frozenset(r[0] for r in rows)
    version = server_version(conn)
    inputs = (version, sorted(available))
    kept = kept_ddl(schema, inputs)  # rendered from the same kept reading for the same server
    if kept is not None:
        statements, diags = kept
    else:
        statements, diags = render_ddl(schema, server_version=version, available_extensions=available)
        keep_ddl(schema, inputs, (statements, diags))
    missing = [d for d in diags if d.code == "SD261"]
    if missing:
        # one clear error before anything is built, instead of PostgreSQL's "type does not exist"
        raise SchemadocError(missing[0])
    return statements, diags


@contextmanager
def shadow_database(maintenance_url: str, schema: Schema) -> Iterator[tuple[str, list[Diagnostic]]]:
    """A scratch database with ``schema`` built in it; dropped afterwards."""
    from schemadoc.pg.apply import apply_statements
    from schemadoc.pg.connect import connect, with_database
    from schemadoc.pg.lock_budget import lock_table

    name = f"schemadoc_shadow_{uuid.uuid4().hex[:12]}"
    with connect(maintenance_url, autocommit=True) as admin:
        roles_before = _role_names(admin)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(maintenance_url, name)
    try:
        with connect(url) as conn:
            statements, diags = _render(schema, conn)
            # a scratch database is dropped whatever happens: it is built in batches that fit the
            # server's lock table
            apply_statements(conn, statements, lock_budget=lock_table(conn).batch_budget)
        yield url, diags
    finally:
        with connect(maintenance_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            # Roles belong to the whole server: the document's roles that the scratch build
            # created go with it. Only those names, and only while nothing else uses them (a
            # command running beside this one may have made and used the same role meanwhile).
            for role in sorted((set(schema.roles) & _role_names(admin)) - roles_before):
                _drop_unused_role(admin, role)


def drop_roles_made(maintenance_url: str, names: Iterable[str], before: set[str]) -> None:
    """Drop each role of ``names`` the server did not have ``before`` and nothing uses (the
    roles a scratch build made for a while)."""
    from schemadoc.pg.connect import connect

    with connect(maintenance_url, autocommit=True) as admin:
        for role in sorted((set(names) & _role_names(admin)) - before):
            _drop_unused_role(admin, role)


def _role_names(conn: Any) -> set[str]:
    return {r[0] for r in conn.execute("SELECT rolname FROM pg_catalog.pg_roles").fetchall()}


def _drop_unused_role(conn: Any, role: str) -> None:
    """DROP ROLE, unless some object in any database depends on it or it is a member of, or
    has members in, another role (PostgreSQL refuses the first; the check spares the attempt)."""
    from schemadoc.built_databases import drop_role

    used = conn.execute(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_shdepend d JOIN pg_catalog.pg_roles r"
        " ON d.refobjid = r.oid AND d.refclassid = 'pg_catalog.pg_authid'::regclass WHERE r.rolname = %s)"
        " OR EXISTS (SELECT FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles r"
        " ON r.oid IN (m.roleid, m.member) WHERE r.rolname = %s)",
        (role, role),
    ).fetchone()
    if used and used[0]:
        return
    drop_role(conn, role)  # False: taken into use between the check and the drop, so it stays


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
    return compare_structure(target_url, shadow_maintenance_url, doc, comments=comments).diagnostics


@record(frozen=False)
class StructureDrift:
    diagnostics: list[Diagnostic]
    # what became of the scratch database: "dropped" (built and dropped again), "kept" (built and
    # kept for the next run), "cached" (a kept one built earlier from the same inputs was read)
    scratch: str
    scratch_database: str | None = None  # the kept one's name


def compare_structure(
    target_url: str,
    shadow_maintenance_url: str,
    doc: Schema,
    *,
    comments: bool = False,
    keep_for: Sequence[str] | None = None,
) -> StructureDrift:
    """:func:`structure_drift`, and what became of the scratch database. With ``keep_for`` (the
    documents), the scratch database is kept on its server and reused by later runs with the
    same inputs (see :mod:`schemadoc.scratch_cache`)."""
    # the live database is read while the scratch one is found or built: the two servers' work overlaps
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="schemadoc-target") as worker:
        target = worker.submit(_introspect_read_only, target_url)
        return _compare_with(target, shadow_maintenance_url, doc, comments=comments, keep_for=keep_for)


def _introspect_read_only(url: str) -> tuple[Schema, int]:
    from schemadoc.pg.connect import connect, server_version
    from schemadoc.pg.introspect import introspect

    with connect(url) as conn:
        conn.read_only = True
        return introspect(conn), server_version(conn)


def _compare_with(
    target: Future[tuple[Schema, int]],
    shadow_maintenance_url: str,
    doc: Schema,
    *,
    comments: bool,
    keep_for: Sequence[str] | None,
) -> StructureDrift:
    from schemadoc.compare.diff import diff_schemas
    from schemadoc.pg.connect import connect, redact, server_version
    from schemadoc.pg.introspect import introspect

    scratch_name: str | None = None
    if keep_for is None:
        scratch: contextlib.AbstractContextManager[tuple[str, list[Diagnostic], bool]] = _dropped_scratch(
            shadow_maintenance_url, doc
        )
    else:
        from schemadoc.scratch_cache import kept_scratch_database

        scratch = kept_scratch_database(shadow_maintenance_url, doc, keep_for)
    with scratch as (shadow_url, diags, reused), connect(shadow_url) as conn:
        conn.read_only = True
        expected = introspect(conn)
        shadow_version = server_version(conn)
        if keep_for is not None:
            scratch_name = str(conn.info.dbname)
    state = "dropped" if keep_for is None else ("cached" if reused else "kept")
    actual, target_version = target.result()
    drift = diff_schemas(
        expected, actual, doc=doc, comments=comments, versions=(shadow_version, target_version)
    )
    if state == "kept":
        drift.append(
            Diagnostic(
                SCRATCH_KEPT.code,
                SCRATCH_KEPT.level,
                f"the scratch database is kept as {scratch_name} on {redact(shadow_maintenance_url)}, "
                "so that the next verify of the same document reads it instead of building it",
                None,
                "`schemadoc server clean` removes kept scratch databases (--database-url for another "
                "server); --no-cache keeps none",
            )
        )
    return StructureDrift([d for d in diags if d.level != "note"] + drift, state, scratch_name)


@contextmanager
def _dropped_scratch(maintenance_url: str, schema: Schema) -> Iterator[tuple[str, list[Diagnostic], bool]]:
    with shadow_database(maintenance_url, schema) as (url, diags):
        yield url, diags, False


def build(
    target_url: str,
    doc: Schema,
    *,
    maintenance_url: str,
    documents: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    keep_scratch: bool = False,
) -> BuildResult:
    """Create the database if needed and build ``doc`` in it, all or nothing. A database that
    already holds exactly the document is left alone; one that holds anything else is refused.
    When the build fails, a database this call created is dropped again; one that existed
    before is left as it was. A database this call creates is marked as built from
    ``documents``, and so is each role the build creates (see :mod:`schemadoc.built_databases`)."""
    from psycopg.conninfo import conninfo_to_dict

    from schemadoc.built_databases import mark_database
    from schemadoc.pg.connect import connect, create_database
    from schemadoc.pg.locks import build_lock

    dbname = str(conninfo_to_dict(target_url).get("dbname") or "postgres")
    _refuse_system_database(dbname)
    # Another process building the same database at the same time waits here, then finds it built.
    with build_lock(maintenance_url, dbname) as guard:
        _refuse_template(guard, dbname)
        created = create_database(maintenance_url, dbname)
        roles_before: set[str] = set()
        try:
            if created:
                with connect(maintenance_url, autocommit=True) as admin:
                    roles_before = _role_names(admin)
                    if documents:
                        mark_database(admin, dbname, documents)
            return _build_into(
                target_url,
                doc,
                maintenance_url=maintenance_url,
                dbname=dbname,
                created=created,
                progress=progress,
                keep_for=documents if keep_scratch else None,
            )
        except BaseException:
            if created:
                # The build's own error is the one to report; a failed clean-up must not replace it.
                with (
                    suppress(psycopg.Error, SchemadocError),
                    connect(maintenance_url, autocommit=True) as admin,
                ):
                    admin.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
                    )
                    # a build in batches commits the roles of its first batch: those the build
                    # made go with the database, as they would with a rolled-back transaction
                    if roles_before:
                        for role in sorted((_named_roles(doc) & _role_names(admin)) - roles_before):
                            _drop_unused_role(admin, role)
            raise


SYSTEM_DATABASES = frozenset({"postgres", "template0", "template1"})
_SYSTEM_HINT = (
    "pass --database NAME (schemadoc creates it), or leave --database out to use a database named after "
    "the document"
)


def _refuse_system_database(dbname: str) -> None:
    """``up`` never builds into the server's own databases: a build in template1 would be copied
    into every database created afterwards, and ``postgres`` is where tools connect first."""
    if dbname in SYSTEM_DATABASES:
        kind = "maintenance" if dbname == "postgres" else "template"
        raise fail(
            SYSTEM_DATABASE.code,
            f"up does not build into the {kind} database {dbname!r}",
            hint=_SYSTEM_HINT,
        )


def _refuse_template(conn: Any, dbname: str) -> None:
    """Any database marked as a template (not only template0 and template1) is refused too."""
    row = conn.execute(
        "SELECT datistemplate FROM pg_catalog.pg_database WHERE datname = %s", (dbname,)
    ).fetchone()
    if row and row[0]:
        raise fail(
            SYSTEM_DATABASE.code,
            f"up does not build into the template database {dbname!r}",
            hint=_SYSTEM_HINT,
        )


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
    keep_for: Sequence[str] | None = None,
) -> BuildResult:
    from schemadoc.built_databases import mark_roles, role_names
    from schemadoc.pg.apply import apply_statements, database_objects
    from schemadoc.pg.connect import connect
    from schemadoc.pg.lock_budget import lock_table, require_one_transaction

    with connect(target_url) as conn:
        existing = database_objects(conn)
        statements, diags = _render(doc, conn)
        if not existing:
            roles_before = role_names(conn)
            locks = lock_table(conn)
            if created:
                # a failed build drops the database: batches that fit the lock table will do
                apply_statements(conn, statements, progress=progress, lock_budget=locks.batch_budget)
            else:
                require_one_transaction(statements, locks, dbname)
                apply_statements(conn, statements, progress=progress)
            # only the document's roles: another session may create roles at the same time
            made = (role_names(conn) - roles_before) & _named_roles(doc)
            mark_roles(conn, sorted(made), dbname)
            return BuildResult(dbname, created, True, len(statements), diags, sorted(made))
    compared = compare_structure(target_url, maintenance_url, doc, keep_for=keep_for)
    drift = [d for d in compared.diagnostics if d.level == "error"]
    if not drift:
        kept = [d for d in compared.diagnostics if d.code == SCRATCH_KEPT.code]
        return BuildResult(dbname, created, False, 0, diags + kept)
    shown = "; ".join(d.message for d in drift[:_SHOWN_DIFFERENCES])
    more = f"; and {len(drift) - _SHOWN_DIFFERENCES} more" if len(drift) > _SHOWN_DIFFERENCES else ""
    raise fail(
        "SD601",
        f"database {dbname} differs from the document in {len(drift)} place(s): {shown}{more}; "
        "up never alters or drops what a database holds",
        hint="rebuild a database schemadoc built with `schemadoc up DOC --recreate`, build into an empty "
        "database (--database NAME), or list the drift with `schemadoc verify DOC`",
    )


def verify_behaviour(
    target_url: str,
    doc: Schema,
    progress: Callable[[int, int], None] | None = None,
    *,
    tables: Collection[QName] | None = None,
    jobs: int | None = None,
) -> Any:
    """Probe the document's promises on the database (only those of ``tables``, when given), on
    up to ``jobs`` connections at once (default: the probes' own)."""
    from schemadoc.pg.connect import connect
    from schemadoc.verify.probes import DEFAULT_JOBS, verify_promises

    with connect(target_url) as conn:
        return verify_promises(
            conn,
            _as_built_on(doc, conn),
            progress=progress,
            tables=tables,
            jobs=DEFAULT_JOBS if jobs is None else jobs,
            open_connection=lambda: connect(target_url),
        )


def _as_built_on(schema: Schema, conn: Any) -> Schema:
    """``schema`` as it is built on the server of ``conn``: the stand-in domains for the types of
    extensions the server lacks (``--stub-missing``) in place of those types."""
    from schemadoc.write.ddl_extensions import extension_stand_ins

    rows = conn.execute("SELECT name FROM pg_available_extensions").fetchall()
    conn.rollback()  # the probes start from no open transaction
    built, _ = extension_stand_ins(schema, frozenset(r[0] for r in rows))
    return built
