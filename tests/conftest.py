"""Shared fixtures: real PostgreSQL (never a mock) and the shared seed documents.

A test that needs a database takes ``database_url``: a fresh, empty database per
test module on the server named by ``SCHEMADOC_TEST_DATABASE_URL``, or on the
embedded server when that variable is unset.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

# A reader's internal failure fails the test that hit it: the walker's guard re-raises instead of
# turning the exception into a "block could not be read" diagnostic.
os.environ["SCHEMADOC_RAISE_READER_ERRORS"] = "1"
# Kept readings of documents (schemadoc.read_cache) go to a directory of this test run's own,
# never to the user's cache.
_CACHE_DIR = tempfile.mkdtemp(prefix="schemadoc-test-cache-")
os.environ["SCHEMADOC_CACHE_DIR"] = _CACHE_DIR
atexit.register(shutil.rmtree, _CACHE_DIR, True)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpus"
EXAMPLES = ROOT / "examples"


def generated_sql(tables: int) -> str:
    """The DDL of ``bench/schema_gen.py``'s generated schema of ``tables`` tables."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from schema_gen import generated_sql as generate
    finally:
        sys.path.pop(0)
    return str(generate(tables))


def seed_file(number: int) -> Path:
    """Path of seed document ``number``; skips the test when ../shared is absent."""
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not present")
    found = sorted(SEEDS.glob(f"{number:03d}_*"))
    if not found:
        pytest.skip(f"seed {number:03d} is not present")
    return found[0]


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A maintenance URL of a running server (the database part names ``postgres``)."""
    url = os.environ.get("SCHEMADOC_TEST_DATABASE_URL")
    if url:
        yield url
        return
    from schemadoc.pg.server import EmbeddedServer

    server = EmbeddedServer(tmp_path_factory.mktemp("pgdata") / "server")
    server.start()
    try:
        yield server.url("postgres")
    finally:
        server.stop()


def _with_dbname(url: str, dbname: str) -> str:
    from schemadoc.pg.connect import with_database

    return with_database(url, dbname)


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new empty database on the server of ``server_url``, dropped when the block ends."""
    name = f"sdtest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_dbname(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def database_url(server_url: str) -> Iterator[str]:
    """A fresh empty database for one test module; dropped afterwards."""
    with scratch_database(server_url) as url:
        yield url


@pytest.fixture()
def fresh_database_url(server_url: str) -> Iterator[str]:
    """A fresh empty database for one test; dropped afterwards."""
    with scratch_database(server_url) as url:
        yield url


@pytest.fixture()
def new_database_name(server_url: str) -> Iterator[str]:
    """The name of a database that does not exist yet (for a command to create); whatever
    is left under it is dropped afterwards."""
    name = f"sdnew_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# -- seed 000, shared by the drift, mutation and safety modules -------------------------------------------


@pytest.fixture(scope="module")
def seed() -> Any:
    """Seed 000 read, with its text for finding the line that documents an object."""
    from seed000_support import Seed

    return Seed.read(seed_file(0))


@pytest.fixture(scope="module")
def built(database_url: str, server_url: str, seed: Any) -> str:
    """The URL of a database holding seed 000 as ``up`` builds it (tests use it as a template)."""
    from seed000_support import build_seed

    build_seed(database_url, server_url, seed)
    return database_url
