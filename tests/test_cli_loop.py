"""The edit -> rebuild -> verify loop: `up`, `up --recreate`, `verify` without a URL, `down`,
and the rule that only databases (and roles) schemadoc created are ever dropped."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from schemadoc.cli import main
from schemadoc.pg.connect import with_database

from conftest import ROOT

SHOP = """# Shop

## customers

| Column | Type | Constraints | Description |
|---|---|---|---|
| id | bigint | PK | Customer number |
| email | text | NOT NULL, UNIQUE | Sign-in address |
"""

ORDERS = """
## orders

| Column | Type | Constraints |
|---|---|---|
| id | bigint | PK |
| customer_id | bigint | NOT NULL, FK -> customers(id) |
"""


def write(tmp_path: Path, text: str, name: str = "shop.md") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def json_run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main([*argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def codes(payload: dict[str, object]) -> list[str]:
    diags = payload.get("diagnostics") or []
    assert isinstance(diags, list)
    return [d["code"] for d in diags]


def database_exists(server_url: str, name: str) -> bool:
    with psycopg.connect(server_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def role_exists(server_url: str, name: str) -> bool:
    with psycopg.connect(server_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is not None


@pytest.mark.embedded_only
def test_loop_on_the_embedded_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from schemadoc.pg.server import EmbeddedServer

    data_dir = tmp_path / "server"
    doc = write(tmp_path, SHOP)
    server = EmbeddedServer(data_dir)
    try:
        code, built = json_run(capsys, "up", str(doc), "--data-dir", str(data_dir), "--structure")
        assert code == 0 and built["database"] == "shop" and built["embedded"] is True
        # the URL `up` printed belongs to a server that is still running
        assert server.running()
        with psycopg.connect(server.url("shop")) as conn:
            assert conn.execute("SELECT count(*) FROM customers").fetchone() == (0,)

        # verify without a URL: the database `up` built for this document
        code, verified = json_run(capsys, "verify", str(doc), "--data-dir", str(data_dir))
        assert code == 0 and verified["drift"] == [] and "/shop?" in str(verified["database"])

        # server url DOC names the document's database
        assert main(["server", "url", str(doc), "--data-dir", str(data_dir)]) == 0
        assert capsys.readouterr().out.strip() == server.url("shop")

        # edit: a new table; up refuses and names only what differs
        doc.write_text(SHOP + ORDERS)
        code, refused = json_run(capsys, "up", str(doc), "--data-dir", str(data_dir), "--structure")
        assert code == 2 and codes(refused) == ["SD601"]
        message = refused["diagnostics"][0]["message"]  # type: ignore[index]
        assert "orders" in message and "customers" not in message

        # rebuild
        code, rebuilt = json_run(
            capsys, "up", str(doc), "--data-dir", str(data_dir), "--structure", "--recreate", "--yes"
        )
        assert code == 0 and rebuilt["dropped"] == {"database": "shop", "roles": [], "kept_roles": []}
        code, verified = json_run(capsys, "verify", str(doc), "--data-dir", str(data_dir), "--structure")
        assert code == 0 and verified["drift"] == []

        # down, then verify says there is nothing to verify
        code, down = json_run(capsys, "down", str(doc), "--data-dir", str(data_dir), "--yes")
        assert code == 0 and down["dropped"] == {"database": "shop", "roles": [], "kept_roles": []}
        assert not database_exists(server.url("postgres"), "shop")
        code, missing = json_run(capsys, "verify", str(doc), "--data-dir", str(data_dir))
        assert code == 2 and codes(missing) == ["SD604"]
    finally:
        server.stop()


def test_recreate_without_terminal_or_yes_refuses(
    tmp_path: Path, server_url: str, new_database_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under pytest standard input is not a terminal: no --yes means nothing is dropped."""
    doc = write(tmp_path, SHOP)
    args = ["--database-url", server_url, "--database", new_database_name, "--structure"]
    assert json_run(capsys, "up", str(doc), *args)[0] == 0
    code = main(["up", str(doc), *args, "--recreate"])
    captured = capsys.readouterr()
    assert code == 3 and "SD603" in captured.err and "--yes" in captured.err
    with psycopg.connect(with_database(server_url, new_database_name)) as conn:
        assert conn.execute("SELECT to_regclass('customers') IS NOT NULL").fetchone() == (True,)


def test_recreate_and_down_refuse_a_database_schemadoc_did_not_create(
    tmp_path: Path, server_url: str, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, SHOP)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE precious (id int)")
    name = psycopg.conninfo.conninfo_to_dict(fresh_database_url)["dbname"]
    assert isinstance(name, str)
    code, payload = json_run(
        capsys, "up", str(doc), "--database-url", fresh_database_url, "--recreate", "--yes"
    )
    assert code == 3 and codes(payload) == ["SD602"]
    code, payload = json_run(capsys, "down", str(doc), "--database-url", fresh_database_url, "--yes")
    assert code == 3 and codes(payload) == ["SD602"]
    assert database_exists(server_url, name)
    with psycopg.connect(fresh_database_url) as conn:
        assert conn.execute("SELECT to_regclass('precious') IS NOT NULL").fetchone() == (True,)


def test_down_refuses_a_database_built_from_another_document(
    tmp_path: Path, server_url: str, new_database_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = write(tmp_path / "a", SHOP), write(tmp_path / "b", SHOP)
    args = ["--database-url", server_url, "--database", new_database_name]
    assert json_run(capsys, "up", str(first), *args, "--structure")[0] == 0
    code, payload = json_run(capsys, "down", str(second), *args, "--yes")
    assert code == 3 and codes(payload) == ["SD602"]
    assert str(first.resolve()) in payload["diagnostics"][0]["message"]  # type: ignore[index]
    assert database_exists(server_url, new_database_name)
    assert json_run(capsys, "down", str(first), *args, "--yes")[0] == 0
    assert not database_exists(server_url, new_database_name)


GRANTS = """# Shop

## items

```sql
CREATE TABLE items (id int PRIMARY KEY);
GRANT SELECT ON items TO {role};
```
"""


def test_down_drops_the_roles_up_created_unless_used_elsewhere(
    tmp_path: Path, server_url: str, new_database_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    role = f"sd_reader_{uuid.uuid4().hex[:8]}"
    doc = write(tmp_path, GRANTS.format(role=role))
    args = ["--database-url", server_url, "--database", new_database_name]
    try:
        assert json_run(capsys, "up", str(doc), *args, "--structure")[0] == 0
        assert role_exists(server_url, role)
        code, down = json_run(capsys, "down", str(doc), *args, "--yes")
        assert code == 0 and down["dropped"] == {
            "database": new_database_name,
            "roles": [role],
            "kept_roles": [],
        }
        assert not role_exists(server_url, role)

        # built again; this time another database grants to the role, so down keeps it
        assert json_run(capsys, "up", str(doc), *args, "--structure")[0] == 0
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE TABLE {} (id int)").format(sql.Identifier(f"t_{role}")))
            conn.execute(
                sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(f"t_{role}"), sql.Identifier(role))
            )
        try:
            code, down = json_run(capsys, "down", str(doc), *args, "--yes")
            assert code == 0 and down["dropped"] == {
                "database": new_database_name,
                "roles": [],
                "kept_roles": [role],
            }
            assert role_exists(server_url, role)
        finally:
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(f"t_{role}")))
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_roles_that_existed_before_up_are_never_dropped(
    tmp_path: Path, server_url: str, new_database_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    role = f"sd_reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
    doc = write(tmp_path, GRANTS.format(role=role))
    args = ["--database-url", server_url, "--database", new_database_name]
    try:
        assert json_run(capsys, "up", str(doc), *args, "--structure")[0] == 0
        code, down = json_run(capsys, "down", str(doc), *args, "--yes")
        assert code == 0 and down["dropped"] == {"database": new_database_name, "roles": [], "kept_roles": []}
        assert role_exists(server_url, role)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_sd601_names_only_what_differs(
    tmp_path: Path, server_url: str, new_database_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, SHOP + ORDERS)
    args = ["--database-url", server_url, "--database", new_database_name, "--structure"]
    assert json_run(capsys, "up", str(doc), *args)[0] == 0
    doc.write_text(SHOP + ORDERS + "| note | text | |\n")
    code = main(["up", str(doc), *args])
    err = capsys.readouterr().err
    assert code == 2 and "SD601" in err
    first_line = err.splitlines()[0]
    assert "differs from the document in 1 place(s)" in first_line
    assert "orders" in first_line and "note" in first_line and "customers" not in first_line
    assert "--recreate" in err


def test_down_with_nothing_to_drop(
    tmp_path: Path, server_url: str, new_database_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, SHOP)
    assert (
        main(["down", str(doc), "--database-url", server_url, "--database", new_database_name, "--yes"]) == 0
    )
    assert capsys.readouterr().out == f"nothing to drop: no database {new_database_name}\n"


def _up_recreate_on_a_terminal(doc: Path, args: list[str], answer: str) -> subprocess.CompletedProcess[bytes]:
    """`up --recreate` with standard input on a pseudo-terminal that types ``answer``."""
    leader, follower = pty.openpty()
    os.write(leader, answer.encode() + b"\n")
    try:
        return subprocess.run(
            [sys.executable, "-m", "schemadoc", "up", str(doc), *args, "--recreate"],
            stdin=follower,
            capture_output=True,
            timeout=120,
            check=False,
            env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
        )
    finally:
        os.close(follower)
        os.close(leader)


def test_recreate_asks_on_a_terminal(
    tmp_path: Path, server_url: str, new_database_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, SHOP)
    args = ["--database-url", server_url, "--database", new_database_name, "--structure"]
    assert json_run(capsys, "up", str(doc), *args)[0] == 0
    doc.write_text(SHOP + ORDERS)

    declined = _up_recreate_on_a_terminal(doc, args, "n")
    assert declined.returncode == 3
    assert f"drop database {new_database_name} and everything in it? [y/N]" in declined.stderr.decode()
    assert "not confirmed" in declined.stderr.decode()

    accepted = _up_recreate_on_a_terminal(doc, args, "y")
    assert accepted.returncode == 0, accepted.stderr.decode()
    assert f"dropped database {new_database_name}" in accepted.stdout.decode()
    with psycopg.connect(with_database(server_url, new_database_name)) as conn:
        assert conn.execute("SELECT to_regclass('orders') IS NOT NULL").fetchone() == (True,)
