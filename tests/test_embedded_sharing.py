"""Many schemadoc processes on one data directory: leases keep the shared embedded server
running while any command uses it, and the last one stops it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from schemadoc.pg.server import EmbeddedServer, embedded

from conftest import EXAMPLES

pytestmark = pytest.mark.embedded_only  # these tests run their own servers whatever the test server is

BIG_DOC = EXAMPLES / "paper_runs.md"  # 60 promises: still verifying when the small one has finished
SMALL_DOC = EXAMPLES / "pipeline_store.md"


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data directory under a path every user can traverse (the server may run as another user)."""
    base = Path(tempfile.mkdtemp(prefix="sdshare-"))
    base.chmod(0o755)
    try:
        yield base / "data"
    finally:
        EmbeddedServer(base / "data").stop()
        shutil.rmtree(base, ignore_errors=True)


def start_up(doc: Path, data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "schemadoc", "up", str(doc), "--format", "json", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, dict[str, Any]]:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode != 70, out + err
    assert "Traceback" not in err
    return proc.returncode, json.loads(out)


def assert_every_promise_kept(payload: dict[str, Any]) -> None:
    counts = payload["promises"]["counts"]
    assert counts["untestable"] == 0 and counts["broken"] == 0, payload["diagnostics"]
    assert counts["kept"] == counts["total"] > 0


def leases(data_dir: Path) -> list[str]:
    lease_dir = data_dir / "leases"
    return sorted(p.name for p in lease_dir.iterdir()) if lease_dir.is_dir() else []


def test_two_documents_at_once_share_the_server_and_it_stays_for_their_databases(data_dir: Path) -> None:
    procs = [start_up(BIG_DOC, data_dir), start_up(SMALL_DOC, data_dir)]
    results = [finish(p) for p in procs]
    for code, payload in results:
        assert code == 0, payload["diagnostics"]
        assert payload["applied"] is True
        assert_every_promise_kept(payload)
    assert [payload["database"] for _, payload in results] == ["paper_runs", "pipeline_store"]
    # `up` keeps the server for the URLs it printed; no command holds it any longer
    server = EmbeddedServer(data_dir)
    assert server.running() and leases(data_dir) == []
    server.stop()
    assert not server.running()


def test_the_same_document_twice_at_once_is_built_once(data_dir: Path) -> None:
    procs = [start_up(BIG_DOC, data_dir), start_up(BIG_DOC, data_dir)]
    results = [finish(p) for p in procs]
    for code, payload in results:
        assert code == 0, payload["diagnostics"]
        assert payload["database"] == "paper_runs"
        assert_every_promise_kept(payload)
    # one built it; the other waited for that build and found the database matching the document
    assert sorted(payload["applied"] for _, payload in results) == [False, True]
    assert sorted(payload["created_database"] for _, payload in results) == [False, True]
    assert leases(data_dir) == []
    EmbeddedServer(data_dir).stop()


def test_a_lease_keeps_the_server_for_its_holder(data_dir: Path) -> None:
    other = EmbeddedServer(data_dir)
    with embedded(data_dir) as srv:
        lease = other.acquire()  # a second command comes while the first runs
        assert len(leases(data_dir)) == 2
    assert srv.running()  # the first finished; the second still uses the server
    with psycopg.connect(other.url()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    other.stop()  # asked to stop while a command uses it: it stops when that command is done
    assert srv.running()
    assert "in use by 1 schemadoc command(s)" in srv.status()
    other.release(lease)
    assert not srv.running()
    assert leases(data_dir) == []


def test_leases_of_processes_that_are_gone_are_ignored(data_dir: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)
    with embedded(data_dir) as srv:
        (data_dir / "leases" / f"{dead_pid}-deadbeef").write_text(f"{dead_pid} 1\n")
        # a live pid whose start time differs (one clock tick after boot): the pid was reused since
        (data_dir / "leases" / f"{os.getpid()}-0badf00d").write_text(f"{os.getpid()} 1\n")
    assert not srv.running()
    assert leases(data_dir) == []


def test_a_server_started_on_purpose_outlives_the_commands(data_dir: Path) -> None:
    srv = EmbeddedServer(data_dir)
    srv.start()
    pid = (srv.pgdata / "postmaster.pid").read_text().split()[0]
    with embedded(data_dir):
        pass
    assert srv.running()
    assert (srv.pgdata / "postmaster.pid").read_text().split()[0] == pid

    # `server start` while a command runs: the command leaves it running too
    srv.stop()
    with embedded(data_dir):
        EmbeddedServer(data_dir).start()
    assert srv.running()
    srv.stop()
    assert not srv.running()
