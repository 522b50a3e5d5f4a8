"""Roles belong to the whole server and outlive the database: ``up`` lists the ones it created."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from schemadoc.cli import main
from schemadoc.pg.connect import with_database


@pytest.fixture
def role_names(server_url: str) -> Iterator[tuple[str, str]]:
    """Two role names no server has yet; whatever the test creates under them is dropped."""
    names = (f"sd_reader_{uuid.uuid4().hex[:8]}", f"sd_writer_{uuid.uuid4().hex[:8]}")
    yield names
    with psycopg.connect(server_url, autocommit=True) as conn:
        for name in names:
            # the databases that held the grants are dropped by the tests: nothing else is owned
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def document(reader: str, writer: str) -> str:
    return f"""# Roles

```sql
CREATE ROLE {reader} LOGIN;
CREATE TABLE notes (id int PRIMARY KEY, body text);
GRANT SELECT ON notes TO {reader};
GRANT INSERT ON notes TO {writer};
```
"""


def test_up_lists_the_roles_it_created_in_text_and_json(
    tmp_path: Path, server_url: str, role_names: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    reader, writer = role_names
    doc = tmp_path / "roles.md"
    doc.write_text(document(reader, writer))
    first = with_database(server_url, f"sd_roles_{uuid.uuid4().hex[:8]}")
    second = with_database(server_url, f"sd_roles_{uuid.uuid4().hex[:8]}")
    try:
        code = main(["up", str(doc), "--database-url", first, "--format", "json", "--structure"])
        out = json.loads(capsys.readouterr().out)
        assert code == 0, out["diagnostics"]
        assert out["roles_created"] == sorted([reader, writer])
        # a second database on the same server: the roles exist already, none is created
        code = main(["up", str(doc), "--database-url", second, "--structure"])
        text = capsys.readouterr().out
        assert code == 0
        assert "created roles" not in text
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            for url in (first, second):
                name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name)))
                )


def test_up_names_created_roles_in_its_text_output(
    tmp_path: Path, server_url: str, role_names: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    reader, writer = role_names
    doc = tmp_path / "roles.md"
    doc.write_text(document(reader, writer))
    url = with_database(server_url, f"sd_roles_{uuid.uuid4().hex[:8]}")
    try:
        assert main(["up", str(doc), "--database-url", url, "--structure"]) == 0
        text = capsys.readouterr().out
        (line,) = [x for x in text.splitlines() if x.startswith("created roles")]
        assert line.endswith(f": {', '.join(sorted([reader, writer]))}")
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name))))
