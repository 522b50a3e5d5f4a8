"""Seed 001 end to end: a v0 tracker (primary keys only) is hardened online by `plan` and
`apply`, and a second `plan` finds nothing. On the example document of a fresh clone, and on
the seed document itself when ../shared is there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from apply_support import EXAMPLE, EXAMPLE_V0, SEED_V0, cli, load_v0, shape

from schemadoc.compare.changes import Lock

from conftest import seed_file

# The locks an online plan may take on a table that holds rows: none that blocks writes while
# it scans or builds (SHARE blocks writes for a whole index build).
_ONLINE_LOCKS = {
    Lock.NONE.value,
    Lock.ACCESS_SHARE.value,
    Lock.SHARE_UPDATE_EXCLUSIVE.value,
    Lock.SHARE_ROW_EXCLUSIVE.value,  # ADD FOREIGN KEY ... NOT VALID: a catalog change, no scan
}


def _assert_online(steps: list[dict[str, Any]]) -> None:
    """Foreign keys added NOT VALID then validated in a step of their own, indexes built
    CONCURRENTLY outside a transaction, nothing that rewrites or blocks writes for a scan."""
    added = [s for s in steps if "FOREIGN KEY" in s["sql"]]
    assert added
    for step in added:
        assert step["sql"].rstrip().endswith("NOT VALID"), step["sql"]
        name = step["sql"].split("ADD CONSTRAINT", 1)[1].split()[0]
        validations = [s for s in steps if f"VALIDATE CONSTRAINT {name}" in s["sql"]]
        assert len(validations) == 1 and validations[0]["number"] > step["number"], name
        assert validations[0]["lock"] == Lock.SHARE_UPDATE_EXCLUSIVE.value
    builds = [s for s in steps if s["sql"].startswith(("CREATE INDEX", "CREATE UNIQUE INDEX"))]
    assert builds
    for step in builds:
        assert "CONCURRENTLY" in step["sql"] and not step["transactional"], step["sql"]
    for step in steps:
        assert step["lock"] in _ONLINE_LOCKS, step
        assert "rewrites-table" not in step["hazards"] and "blocks-writes" not in step["hazards"], step


def _harden(capsys: pytest.CaptureFixture[str], document: Path, url: str) -> dict[str, Any]:
    """plan (online), apply (converges), plan again (empty); the first plan's JSON."""
    code, plan = cli(capsys, "plan", str(document), "--database-url", url)
    assert code == 0, plan
    assert plan["proved"] is True
    _assert_online(plan["steps"])

    code, applied = cli(capsys, "apply", str(document), "--database-url", url, "--yes")
    assert code == 0, applied
    assert applied["run"]["done"] == applied["run"]["total"] == len(plan["steps"])
    assert applied["residue"] == []
    assert applied["promises"]["counts"]["broken"] == 0

    code, again = cli(capsys, "plan", str(document), "--database-url", url)
    assert code == 0, again
    assert again["steps"] == [] and again["left_out"] == []
    return plan


def _hardened(url: str, foreign_keys: set[str], indexes: set[str]) -> None:
    held = shape(url)
    validated = {name for name, kind, valid in held["constraints"] if kind == "f" and valid}
    assert validated == foreign_keys
    assert {name for name, valid in held["indexes"] if valid and not name.endswith("_pkey")} == indexes
    assert all(valid for _, valid in held["indexes"])


def test_example_v0_is_hardened_online(capsys: pytest.CaptureFixture[str], fresh_database_url: str) -> None:
    load_v0(fresh_database_url, EXAMPLE_V0)
    before = shape(fresh_database_url)["columns"]
    _harden(capsys, EXAMPLE, fresh_database_url)
    _hardened(
        fresh_database_url,
        {"plans_paper_id_fkey", "runs_plan_id_fkey", "runs_paper_id_fkey", "run_events_run_id_fkey"},
        {"plans_paper_id_idx", "runs_plan_id_idx", "runs_paper_id_idx", "run_events_run_seq_idx"},
    )
    assert shape(fresh_database_url)["columns"] == before  # no column was touched


def test_seed001_v0_is_hardened_online_and_untyped_columns_keep_their_types(
    capsys: pytest.CaptureFixture[str], fresh_database_url: str
) -> None:
    seed = seed_file(1)
    load_v0(fresh_database_url, SEED_V0)
    before = shape(fresh_database_url)["columns"]
    assert ("runs", "status", "character varying(32)", False) in before  # the document says just `status`
    plan = _harden(capsys, seed, fresh_database_url)
    assert not any("ALTER COLUMN" in s["sql"] for s in plan["steps"])
    _hardened(
        fresh_database_url,
        {
            "plans_paper_id_fk",
            "runs_plan_id_fk",
            "runs_paper_id_fk",
            "run_events_run_id_fk",
            "storyboards_paper_id_fk",
            "storyboards_run_id_fk",
        },
        {"idx_plans_paper_id", "idx_runs_plan_id", "idx_runs_paper_id", "idx_run_events_byseq"},
    )
    assert shape(fresh_database_url)["columns"] == before
