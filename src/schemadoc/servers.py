"""Which server a command talks to: the one named by ``--database-url`` / ``DATABASE_URL``,
or schemadoc's own embedded server (started on demand, stopped afterwards unless it was
already running)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from schemadoc.diagnostics import Diagnostic
from schemadoc.records import record


def data_dir_path(data_dir: str | None) -> Path:
    """The embedded server's data directory: ``--data-dir``, or the default ``.schemadoc``."""
    from schemadoc.pg.server import DEFAULT_DATA_DIR

    return Path(data_dir) if data_dir else DEFAULT_DATA_DIR


@record
class Target:
    url: str  # a URL that names the database to use
    embedded: bool
    explicit_database: bool  # the user named the database (in the URL or with --database)


def database_name_for(path: str) -> str:
    """A database name made from a document's file name: ``examples/Paper Runs.md`` -> ``paper_runs``."""
    stem = Path(path).stem.lower()
    name = re.sub(r"[^a-z0-9_]+", "_", stem).strip("_") or "schemadoc"
    if name[0].isdigit():
        name = f"doc_{name}"
    return name[:63]


def _url_has_database(url: str) -> bool:
    from psycopg.conninfo import conninfo_to_dict

    try:
        return bool(conninfo_to_dict(url).get("dbname"))
    except Exception:  # an unparsable URL is reported when connecting
        return False


@contextmanager
def server(
    database_url: str | None,
    data_dir: str | None,
    *,
    database: str | None,
    default_database: str,
    keep: bool = False,
) -> Iterator[Target]:
    """Yield the target for a command; starts the embedded server when no URL is given, and
    stops it afterwards unless ``keep`` or it was already running."""
    from schemadoc.pg.connect import with_database

    url = database_url or os.environ.get("DATABASE_URL")
    if url:
        explicit = database is not None or _url_has_database(url)
        if database is not None:
            url = with_database(url, database)
        yield Target(url, embedded=False, explicit_database=explicit)
        return
    from schemadoc.pg.server import embedded

    with embedded(data_dir_path(data_dir), keep=keep) as srv:
        yield Target(
            srv.url(database or default_database), embedded=True, explicit_database=database is not None
        )


@record
class Shadow:
    """Where scratch ("shadow") databases are built: a URL of that server, and a note for
    the report when it is not the target's own server."""

    url: str
    on_target: bool
    note: Diagnostic | None = None
    embedded: bool = False  # schemadoc's own embedded server


def can_create_database(url: str) -> bool:
    """Whether the role of ``url`` may create databases on its server."""
    from schemadoc.pg.connect import connect

    with connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT rolsuper OR rolcreatedb FROM pg_catalog.pg_roles WHERE rolname = current_user"
        ).fetchone()
    return bool(row and row[0])


@contextmanager
def shadow_server(
    shadow_url: str | None,
    data_dir: str | None,
    *,
    target_url: str | None = None,
    target_embedded: bool = False,
) -> Iterator[Shadow]:
    """The server where shadow databases are built: ``--shadow-url`` when given, else the
    target's own server (same version, extensions and roles), else -- when the target's role
    cannot create databases -- the embedded server, with a note saying so."""
    if shadow_url:
        yield Shadow(shadow_url, on_target=False)
        return
    if target_url and can_create_database(target_url):
        yield Shadow(target_url, on_target=True, embedded=target_embedded)
        return
    from schemadoc.pg.server import embedded

    note = None
    if target_url:
        note = Diagnostic(
            "SD370",
            "note",
            "the scratch database is built on schemadoc's embedded server, because the target's role "
            "cannot create databases; what only one of the two server versions can have is not compared",
            None,
            "give --shadow-url of a server like the target's, or a role with CREATEDB",
        )
    with embedded(data_dir_path(data_dir)) as srv:
        yield Shadow(srv.url("postgres"), on_target=False, note=note, embedded=True)
