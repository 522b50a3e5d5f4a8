"""How ``plan`` reads a database: with the catalog queries every command uses, and with each
expression written so that PostgreSQL reads it back to the same thing.

The plan writes statements from what it read (a new table's CHECKs, an index predicate, a
policy, a view) and builds the scratch copy it proves the plan on from the live database as
read. PostgreSQL prints some expressions in a form that reads back to another expression (an
``IN`` list on a ``varchar`` column: an ``ARRAY`` of casts cast as a whole), so a statement
written from the printed text would make a different constraint than the one compared.
:func:`schemadoc.write.array_casts.keep_array_casts_in_schema` (the same rewriting ``schemadoc
docs`` uses) turns such text into a form that reads back the same. Every side the plan
compares is read through here, so equal objects still compare equal.
"""

from __future__ import annotations

from typing import Any

import psycopg

from schemadoc.model import Schema
from schemadoc.pg.introspect import introspect
from schemadoc.write.array_casts import keep_array_casts_in_schema


def read_schema(conn: psycopg.Connection[Any]) -> Schema:
    """The schema of ``conn``'s database, its expressions written to read back the same."""
    return keep_array_casts_in_schema(introspect(conn))


def server_roles(conn: psycopg.Connection[Any]) -> set[str]:
    """The names of the roles of ``conn``'s server."""
    return {r[0] for r in conn.execute("SELECT rolname FROM pg_catalog.pg_roles").fetchall()}
