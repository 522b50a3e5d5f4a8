"""Which server a command talks to: the one named by ``--database-url`` / ``DATABASE_URL``,
or schemadoc's own embedded server (started on demand, stopped afterwards unless it was
already running)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def data_dir_path(data_dir: str | None) -> Path:
    """The embedded server's data directory: ``--data-dir``, or the default ``.schemadoc``."""
    from schemadoc.pg.server import DEFAULT_DATA_DIR

    return Path(data_dir) if data_dir else DEFAULT_DATA_DIR


@dataclass(frozen=True)
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
    database_url: str | None, data_dir: str | None, *, database: str | None, default_database: str
) -> Iterator[Target]:
    """Yield the target for a command; starts and stops the embedded server when no URL is given."""
    from schemadoc.pg.connect import with_database

    url = database_url or os.environ.get("DATABASE_URL")
    if url:
        explicit = database is not None or _url_has_database(url)
        if database is not None:
            url = with_database(url, database)
        yield Target(url, embedded=False, explicit_database=explicit)
        return
    from schemadoc.pg.server import embedded

    with embedded(data_dir_path(data_dir)) as srv:
        yield Target(
            srv.url(database or default_database), embedded=True, explicit_database=database is not None
        )


@contextmanager
def shadow_server(shadow_url: str | None, data_dir: str | None) -> Iterator[str]:
    """A maintenance URL of the server where shadow databases are built."""
    if shadow_url:
        yield shadow_url
        return
    from schemadoc.pg.server import embedded

    with embedded(data_dir_path(data_dir)) as srv:
        yield srv.url("postgres")
