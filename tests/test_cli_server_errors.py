"""Server problems at the command line: one line, a hint, exit 2, and never a password."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from schemadoc.pg.connect import with_database

from conftest import EXAMPLES

DOC = str(EXAMPLES / "pipeline_store.md")
SECRET = "Sup3r-s3cret-pw"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "schemadoc", *args], capture_output=True, text=True, timeout=120, check=False
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_clean_failure(proc: subprocess.CompletedProcess[str], code: str) -> None:
    text = proc.stdout + proc.stderr
    assert proc.returncode == 2, text
    assert code in text and "Traceback" not in text
    assert SECRET not in text


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_unreachable_server(fmt: str) -> None:
    url = f"postgresql://someone:{SECRET}@127.0.0.1:{free_port()}/db"
    proc = cli("up", DOC, "--format", fmt, "--database-url", url)
    assert_clean_failure(proc, "SD510")
    if fmt == "json":
        payload = json.loads(proc.stdout)
        assert payload["ok"] is False and payload["diagnostics"][0]["hint"]
    else:
        assert "hint:" in proc.stderr


def test_verify_of_a_missing_database(server_url: str) -> None:
    missing = with_database(server_url, f"no_such_db_{uuid.uuid4().hex[:8]}")
    proc = cli("verify", DOC, "--structure", "--database-url", missing)
    assert_clean_failure(proc, "SD512")


@pytest.fixture
def limited_role(server_url: str) -> Iterator[str]:
    role = f"sd_limited_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOCREATEDB PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(SECRET)
            )
        )
    yield role
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_insufficient_privilege_to_create_the_database(server_url: str, limited_role: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(server_url)
    info.update(user=limited_role, password=SECRET, dbname=f"sd_new_{uuid.uuid4().hex[:8]}")
    url = psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items() if v is not None})
    proc = cli("up", DOC, "--database-url", url)
    assert_clean_failure(proc, "SD513")


@pytest.mark.embedded_only
def test_wrong_password(tmp_path: Path) -> None:
    """A server of our own that asks for passwords (the machine's test server trusts everyone)."""
    from schemadoc.pg.server import EmbeddedServer

    server = EmbeddedServer(tmp_path / "pw", port=free_port())
    server.start()
    try:
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE ROLE app LOGIN PASSWORD {}").format(sql.Literal(SECRET)))
            (hba,) = conn.execute("SHOW hba_file").fetchone() or ("",)
            (port,) = conn.execute("SHOW port").fetchone() or ("",)
        rules = "local all postgres trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
        subprocess.run(["tee", hba], input=rules, text=True, capture_output=True, check=True)
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
        good = f"postgresql://app:{SECRET}@127.0.0.1:{port}/postgres"
        psycopg.connect(good).close()  # the right password works
        wrong = f"postgresql://app:{SECRET}x@127.0.0.1:{port}/postgres"
        for fmt in ("text", "json"):
            proc = cli("verify", DOC, "--structure", "--format", fmt, "--database-url", wrong)
            assert_clean_failure(proc, "SD511")
            assert f"{SECRET}x" not in proc.stdout + proc.stderr
    finally:
        server.stop()


def test_up_refuses_a_database_holding_other_objects(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE unrelated (id integer PRIMARY KEY)")
    proc = cli("up", DOC, "--database-url", fresh_database_url)
    assert proc.returncode == 2 and "SD601" in proc.stderr and "unrelated" in proc.stderr
    with psycopg.connect(fresh_database_url) as conn:  # nothing was added, nothing was dropped
        names = {
            r[0]
            for r in conn.execute(
                "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
            )
        }
    assert names == {"unrelated"}


def test_verify_structure_needs_only_catalog_access(fresh_database_url: str, limited_role: str) -> None:
    built = cli("up", DOC, "--structure", "--database-url", fresh_database_url)
    assert built.returncode == 0, built.stderr
    info = psycopg.conninfo.conninfo_to_dict(fresh_database_url)
    info.update(user=limited_role, password=SECRET)
    reader = psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items() if v is not None})
    with psycopg.connect(reader) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT * FROM pipeline_runs")  # the role really cannot read the data
    proc = cli("verify", DOC, "--structure", "--format", "json", "--database-url", reader)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["drift"] == []
    assert SECRET not in proc.stdout + proc.stderr


@pytest.mark.parametrize("dbname", ["template1", "template0", "postgres"])
def test_up_refuses_the_servers_own_databases(server_url: str, dbname: str) -> None:
    proc = cli("up", DOC, "--structure", "--database-url", server_url, "--database", dbname)
    assert_clean_failure(proc, "SD530")
    assert repr(dbname) in proc.stderr and "--database NAME" in proc.stderr
    with psycopg.connect(with_database(server_url, "template1")) as conn:  # nothing was built anywhere
        assert conn.execute("SELECT to_regclass('public.pipeline_runs')").fetchone() == (None,)


def test_up_refuses_a_database_marked_as_a_template(fresh_database_url: str, server_url: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(fresh_database_url)["dbname"]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE true").format(sql.Identifier(str(name))))
    try:
        proc = cli("up", DOC, "--structure", "--database-url", fresh_database_url)
        assert_clean_failure(proc, "SD530")
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE false").format(sql.Identifier(str(name))))
    with psycopg.connect(fresh_database_url) as conn:
        assert conn.execute("SELECT to_regclass('public.pipeline_runs')").fetchone() == (None,)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresq://someone:{SECRET}@127.0.0.1/db",  # a letter missing from the scheme
        f"postgresql:/someone:{SECRET}@127.0.0.1/db",  # a slash missing
        f"someone:{SECRET}@127.0.0.1/db",  # no scheme at all
    ],
)
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_mistyped_url_never_shows_the_password(url: str, fmt: str) -> None:
    proc = cli("up", DOC, "--format", fmt, "--database-url", url)
    assert_clean_failure(proc, "SD515")
    if fmt == "json":
        assert json.loads(proc.stdout)["diagnostics"][0]["code"] == "SD515"


def _run_cli_as(account: tuple[int, int] | None, argv: list[str]) -> tuple[int, str]:
    """``main(argv)`` in a forked child, as the user ``account`` (uid, gid) when given.

    Root writes in any directory whatever its mode, so a read-only directory is only
    read-only to an ordinary user. The child drops to the unprivileged account the
    embedded server itself runs as; it runs the code already imported here, because that
    account may not be able to read the interpreter's or the project's files."""
    from schemadoc.cli import main

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 99
        try:
            os.close(read_fd)
            captured = io.StringIO()
            sys.stdout = sys.stderr = captured
            if account is not None:
                os.setgroups([])
                os.setgid(account[1])
                os.setuid(account[0])
            code = main(argv)
            os.write(write_fd, captured.getvalue().encode())
        except BaseException as exc:  # reported to the parent, which fails the test
            os.write(write_fd, f"child failed: {exc!r}".encode())
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        output = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output


def test_read_only_data_dir(tmp_path: Path) -> None:
    import schemadoc.actions
    import schemadoc.pg.server
    import schemadoc.read_cache
    import schemadoc.servers  # imported before the fork: the child may not read them
    from schemadoc.read import read_documents

    read_documents([DOC])  # loads the readers while we can read their files
    account: tuple[int, int] | None = None
    base = tmp_path
    if os.geteuid() == 0:
        runs_as = schemadoc.pg.server._service_account()
        assert runs_as is not None
        account = (runs_as.uid, runs_as.gid)
        base = Path(tempfile.mkdtemp(prefix="sdro-"))  # tmp_path is private to root
        base.chmod(0o755)
    try:
        data_dir = base / "readonly"
        data_dir.mkdir()
        (data_dir / "doc.md").write_text(Path(DOC).read_text())
        if account is not None:
            os.chown(data_dir, *account)
            os.chown(data_dir / "doc.md", *account)
        data_dir.chmod(0o555)
        for argv in (
            ["up", str(data_dir / "doc.md"), "--data-dir", str(data_dir)],
            ["server", "start", "--data-dir", str(data_dir)],
        ):
            code, output = _run_cli_as(account, argv)
            assert code == 2, output
            assert "error SD502" in output and str(data_dir) in output and "Permission denied" in output
            assert "hint:" in output and "Traceback" not in output
        assert sorted(p.name for p in data_dir.iterdir()) == ["doc.md"]
    finally:
        data_dir.chmod(0o755)
        if base != tmp_path:
            shutil.rmtree(base, ignore_errors=True)
