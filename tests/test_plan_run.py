"""Running plan steps online on real PostgreSQL: lock timeouts retried, blocked runs leave nothing
half applied, CONCURRENTLY builds cleaned up after a failure, what a waiting step waits on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from schemadoc.compare.changes import Lock, Step
from schemadoc.model import QName
from schemadoc.plan.resume import drop_index_steps, invalid_indexes
from schemadoc.plan.run import Reason, built_index, run_steps

TABLES = """
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, parent_id int, note text);
INSERT INTO parent SELECT g FROM generate_series(1, 100) g;
INSERT INTO child SELECT g, 1 + g % 100, 'n' || g FROM generate_series(1, 1000) g;
"""

ADD_COLUMN = Step(
    "ALTER TABLE child ADD COLUMN flag boolean", Lock.ACCESS_EXCLUSIVE, QName("public", "child")
)
ADD_FK = Step(
    "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID",
    Lock.SHARE_ROW_EXCLUSIVE,
    QName("public", "child"),
)
VALIDATE_FK = Step(
    "ALTER TABLE child VALIDATE CONSTRAINT child_parent_fk",
    Lock.SHARE_UPDATE_EXCLUSIVE,
    QName("public", "child"),
)
BUILD_INDEX = Step(
    "CREATE INDEX CONCURRENTLY child_parent_idx ON public.child (parent_id)",
    Lock.SHARE_UPDATE_EXCLUSIVE,
    QName("public", "child"),
    transactional=False,
)


@pytest.fixture
def db(fresh_database_url: str) -> str:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        for statement in TABLES.strip().split(";\n"):
            conn.execute(statement.strip().rstrip(";"))
    return fresh_database_url


@pytest.fixture
def holder(db: str) -> Iterator[psycopg.Connection[Any]]:
    """A second session, for holding locks and snapshots while the steps run."""
    with psycopg.connect(db) as conn:
        yield conn


def _one(url: str, query: str, *params: Any) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def _has_column(url: str, table: str, column: str) -> bool:
    return bool(
        _one(
            url,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            table,
            column,
        )
    )


def _index_state(url: str, name: str) -> str:
    """'valid', 'invalid' or 'absent'."""
    valid = _one(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", name)
    return "absent" if valid is None else ("valid" if valid else "invalid")


def _constraint_validated(url: str, name: str) -> bool | None:
    return _one(url, "SELECT convalidated FROM pg_constraint WHERE conname = %s", name)  # type: ignore[no-any-return]


def test_steps_run_in_order_transactional_and_concurrent(db: str) -> None:
    seen: list[tuple[int, int, str]] = []
    result = run_steps(
        db, [ADD_COLUMN, ADD_FK, VALIDATE_FK, BUILD_INDEX], progress=lambda i, n, t: seen.append((i, n, t))
    )
    assert result.ok and result.done == result.total == 4 and result.retries == 0
    assert _has_column(db, "child", "flag")
    assert _constraint_validated(db, "child_parent_fk") is True
    assert _index_state(db, "child_parent_idx") == "valid"
    assert [(i, n) for i, n, _ in seen if "attempt" not in _][:4] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert seen[0][2].startswith("ALTER TABLE child ADD COLUMN flag")


def test_a_lock_held_for_a_while_is_waited_out_by_retrying(db: str, holder: psycopg.Connection[Any]) -> None:
    holder.execute("LOCK TABLE child IN ACCESS EXCLUSIVE MODE")
    retries: list[str] = []

    def progress(_i: int, _n: int, text: str) -> None:
        if "retry" in text:
            retries.append(text)
            holder.rollback()  # the other session lets go after the first lock timeout

    result = run_steps(db, [ADD_COLUMN], lock_timeout_ms=100, retries=5, backoff_ms=10, progress=progress)
    assert result.ok, result.failure
    assert result.retries == 1 and len(retries) == 1
    assert "lock not granted within 100 ms; retry 1 of 5" in retries[0]
    assert _has_column(db, "child", "flag")


def test_a_lock_held_longer_than_the_retries_blocks_and_nothing_of_the_step_is_applied(
    db: str, holder: psycopg.Connection[Any]
) -> None:
    later = Step("ALTER TABLE parent ADD COLUMN label text", Lock.ACCESS_EXCLUSIVE, QName("public", "parent"))
    first = Step("CREATE TABLE audit (id int)", Lock.NONE)
    holder.execute("LOCK TABLE child IN ACCESS EXCLUSIVE MODE")
    result = run_steps(db, [first, ADD_COLUMN, later], lock_timeout_ms=50, retries=2, backoff_ms=10)
    holder.rollback()
    assert not result.ok and result.blocked
    assert result.failure is not None
    assert (result.failure.number, result.failure.reason, result.failure.attempts) == (2, Reason.LOCK, 3)
    assert result.failure.sqlstate == "55P03"
    assert result.done == 1 and result.retries == 2
    assert _one(db, "SELECT to_regclass('audit') IS NOT NULL")  # the step before it stays applied
    assert not _has_column(db, "child", "flag")
    assert not _has_column(db, "parent", "label")  # nothing after it ran


def test_rows_that_fail_a_validation_block_the_run_and_the_constraint_stays_not_valid(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("INSERT INTO child VALUES (5000, 999, 'orphan')")
    result = run_steps(db, [ADD_FK, VALIDATE_FK, BUILD_INDEX])
    assert result.blocked and result.failure is not None
    assert (result.failure.number, result.failure.reason, result.failure.sqlstate) == (
        2,
        Reason.DATA,
        "23503",
    )
    assert "child_parent_fk" in result.failure.message
    assert _constraint_validated(db, "child_parent_fk") is False
    assert _index_state(db, "child_parent_idx") == "absent"


def test_a_concurrent_build_that_times_out_leaves_no_invalid_index_and_is_retried(
    db: str, holder: psycopg.Connection[Any]
) -> None:
    # An open writing transaction: CREATE INDEX CONCURRENTLY enters the index in the catalog, then
    # waits for it (and times out), which leaves the index INVALID.
    holder.execute("INSERT INTO child VALUES (9001, 1, 'writer')")
    states: list[str] = []

    def progress(_i: int, _n: int, text: str) -> None:
        if "retry" in text:
            states.append(_index_state(db, "child_parent_idx"))
            holder.commit()

    result = run_steps(db, [BUILD_INDEX], lock_timeout_ms=100, retries=3, backoff_ms=10, progress=progress)
    assert result.ok, result.failure
    assert states == ["invalid"]  # left by the first attempt; dropped before the second
    assert _index_state(db, "child_parent_idx") == "valid"


def test_a_concurrent_build_blocked_for_good_names_the_invalid_index_it_could_not_drop(
    db: str, holder: psycopg.Connection[Any]
) -> None:
    holder.execute("INSERT INTO child VALUES (9001, 1, 'writer')")
    result = run_steps(db, [BUILD_INDEX], lock_timeout_ms=50, retries=1, backoff_ms=10)
    holder.rollback()
    assert result.blocked and result.failure is not None and result.failure.reason is Reason.LOCK
    # the writer that blocked the build also blocks dropping what the build left
    index = QName("public", "child_parent_idx")
    assert result.failure.left_invalid == index
    with psycopg.connect(db) as conn:
        assert invalid_indexes(conn) == [index]
    assert run_steps(db, drop_index_steps([index])).ok
    assert _index_state(db, "child_parent_idx") == "absent"


def test_a_failed_concurrent_build_leaves_no_invalid_index(db: str) -> None:
    failing = Step(
        "CREATE INDEX CONCURRENTLY child_odd_idx ON public.child ((1 / (id - 500)))",
        Lock.SHARE_UPDATE_EXCLUSIVE,
        QName("public", "child"),
        transactional=False,
    )
    result = run_steps(db, [failing])
    assert result.failure is not None
    assert (result.failure.reason, result.failure.sqlstate) == (Reason.ERROR, "22012")
    assert result.failure.left_invalid is None
    assert _index_state(db, "child_odd_idx") == "absent"


def test_a_unique_build_on_duplicates_is_blocked_by_data_and_leaves_no_index(db: str) -> None:
    step = Step(
        "CREATE UNIQUE INDEX CONCURRENTLY child_parent_key ON child (parent_id)",
        Lock.SHARE_UPDATE_EXCLUSIVE,
        QName("public", "child"),
        transactional=False,
    )
    result = run_steps(db, [step])
    assert result.failure is not None and result.failure.reason is Reason.DATA
    assert result.failure.sqlstate == "23505"
    assert _index_state(db, "child_parent_key") == "absent"


def test_statement_timeout_applies_to_short_lock_steps_only(db: str) -> None:
    slow_strong = Step("SELECT pg_sleep(3)", Lock.ACCESS_EXCLUSIVE)
    slow_weak = Step("SELECT pg_sleep(0.5)", Lock.SHARE_UPDATE_EXCLUSIVE)
    assert run_steps(db, [slow_weak], statement_timeout_ms=20).ok
    result = run_steps(db, [slow_strong], statement_timeout_ms=20)
    assert result.failure is not None and result.failure.reason is Reason.TIMEOUT
    assert not result.blocked


def test_text_holding_a_second_statement_is_refused_by_the_server(db: str) -> None:
    sneaky = Step("ALTER TABLE child ADD COLUMN flag boolean; DROP TABLE parent CASCADE")
    result = run_steps(db, [sneaky])
    assert result.failure is not None and result.failure.reason is Reason.ERROR
    assert not _has_column(db, "child", "flag")
    assert _one(db, "SELECT to_regclass('parent') IS NOT NULL")


def test_progress_says_what_a_waiting_build_waits_on(db: str, holder: psycopg.Connection[Any]) -> None:
    # An old snapshot in the same database: the concurrent build waits for it before it finishes.
    holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    holder.execute("SELECT count(*) FROM parent")
    holder_pid = holder.info.backend_pid
    waiting = threading.Event()
    said: list[str] = []

    def progress(_i: int, _n: int, text: str) -> None:
        said.append(text)
        if "waiting on lock" in text:
            waiting.set()

    outcome: list[Any] = []
    runner = threading.Thread(
        target=lambda: outcome.append(
            run_steps(db, [BUILD_INDEX], lock_timeout_ms=600_000, progress=progress)
        )
    )
    runner.start()
    try:
        assert waiting.wait(60), said
    finally:
        holder.rollback()
        runner.join(60)
    assert outcome and outcome[0].ok
    line = next(t for t in said if "waiting on lock" in t)
    assert line.startswith("CREATE INDEX CONCURRENTLY child_parent_idx")
    assert f"held by pid {holder_pid}" in line


def test_invalid_indexes_are_listed_and_dropped(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("CREATE UNIQUE INDEX CONCURRENTLY child_note_key ON child (parent_id)")
    with psycopg.connect(db) as conn:
        assert invalid_indexes(conn) == [QName("public", "child_note_key")]
        assert invalid_indexes(conn, {QName("public", "child")}) == [QName("public", "child_note_key")]
        assert invalid_indexes(conn, {QName("public", "parent")}) == []
    assert run_steps(db, drop_index_steps([QName("public", "child_note_key")])).ok
    assert _index_state(db, "child_note_key") == "absent"


def test_built_index_names_the_index_of_a_concurrent_build_only() -> None:
    assert built_index(BUILD_INDEX) == QName("public", "child_parent_idx")
    assert built_index(Step('CREATE INDEX CONCURRENTLY "Odd" ON app.t (a)', transactional=False)) == QName(
        "app", "Odd"
    )
    assert built_index(Step("CREATE INDEX plain_idx ON t (a)")) is None
    assert built_index(ADD_COLUMN) is None
