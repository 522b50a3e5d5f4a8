"""Shared helpers for the promise-verifier tests: a built fixture database and clones of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LAB_SQL = FIXTURES / "verify_lab.sql"


def lab_document(directory: Path) -> Path:
    """The fixture schema as a markdown document (one SQL block), so spans point at its lines."""
    doc = directory / "lab.md"
    doc.write_text("# Lab schema\n\n```sql\n" + LAB_SQL.read_text() + "```\n")
    return doc


def line_of(doc: Path, marker: str) -> int:
    for number, line in enumerate(doc.read_text().splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {doc}")


def url_for(server_url: str, dbname: str) -> str:
    return make_conninfo(server_url, dbname=dbname)


def create_database(server_url: str, *, template: str | None = None) -> str:
    name = f"sdverify_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        if template:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def built_lab(server_url: str) -> Iterator[str]:
    """A database holding the lab fixture; yields its name."""
    name = create_database(server_url)
    try:
        with psycopg.connect(url_for(server_url, name), autocommit=True) as conn:
            conn.execute(LAB_SQL.read_text())  # type: ignore[call-overload]
        yield name
    finally:
        drop_database(server_url, name)


@contextmanager
def clone(server_url: str, template: str) -> Iterator[str]:
    name = create_database(server_url, template=template)
    try:
        yield url_for(server_url, name)
    finally:
        drop_database(server_url, name)
