"""Structural drift on seed 000: a database built from the document shows none; each change made
by hand shows up as exactly one drift, pointing at the document line of the object it changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from schemadoc.actions import structure_drift
from schemadoc.diagnostics import Diagnostic

from seed000_support import Seed, copy_of, drop_check, execute, replace_foreign_key


def drift_errors(diags: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diags if d.level == "error"]


def rendered(diags: list[Diagnostic]) -> str:
    return "\n".join(d.render() for d in diags)


def test_built_database_has_no_drift(built: str, server_url: str, seed: Seed) -> None:
    diags = structure_drift(built, server_url, seed.schema)
    assert drift_errors(diags) == [], rendered(diags)


# --- one change, one drift ------------------------------------------------------------------------


def _changed_check(url: str) -> None:
    drop_check(url, "plans", "budget_minutes")
    execute(url, sql.SQL("ALTER TABLE plans ADD CHECK (budget_minutes > 0 AND budget_minutes <= 240)"))


def _redefined_view(url: str) -> None:
    execute(
        url,
        sql.SQL(
            "CREATE OR REPLACE VIEW latest_runs AS"
            " SELECT DISTINCT ON (paper_id) id AS run_id, paper_id, plan_id, status, completed_at, duration_sec"
            " FROM runs WHERE status = 'failed' ORDER BY paper_id, completed_at DESC NULLS LAST"
        ),
    )


def _column_line(table: str, column: str) -> Callable[[Seed], set[int]]:
    def lines(seed: Seed) -> set[int]:
        return {seed.line(f"- `{column}`", seed.table_section(table), start=True)}

    return lines


def _table_lines(table: str) -> Callable[[Seed], set[int]]:
    """Where a table is documented: its heading, or the start of its column list."""

    def lines(seed: Seed) -> set[int]:
        section = seed.table_section(table)
        return {section.start, seed.line("- `", section, start=True)}

    return lines


def _mention(needle: str) -> Callable[[Seed], set[int]]:
    def lines(seed: Seed) -> set[int]:
        return {seed.line(needle)}

    return lines


def _view_definition(view: str) -> Callable[[Seed], set[int]]:
    def lines(seed: Seed) -> set[int]:
        return {seed.line("SELECT", seed.section(f"`{view}`"), start=True)}

    return lines


@dataclass(frozen=True)
class DriftCase:
    id: str
    make: Callable[[str], None]
    lines: Callable[[Seed], set[int]]  # the document lines the drift may point at
    words: tuple[str, ...]  # what its message must name


DRIFTS = [
    DriftCase(
        "dropped-index",
        lambda url: execute(url, sql.SQL("DROP INDEX runs_status_idx")),
        _mention("`runs_status_idx`"),
        ("runs_status_idx", "missing"),
    ),
    DriftCase(
        "changed-check",
        _changed_check,
        _mention("CHECK (budget_minutes > 0 AND budget_minutes <= 120)"),
        ("public.plans", "240", "120"),
    ),
    DriftCase(
        "column-made-nullable",
        lambda url: execute(url, sql.SQL("ALTER TABLE papers ALTER COLUMN title DROP NOT NULL")),
        _column_line("papers", "title"),
        ("public.papers.title", "nullable"),
    ),
    DriftCase(
        "fk-cascade-to-no-action",
        lambda url: replace_foreign_key(
            url, "claims", "paper_id", "REFERENCES papers(id) ON DELETE NO ACTION"
        ),
        _column_line("claims", "paper_id"),
        ("public.claims", "paper_id", "NO ACTION", "CASCADE"),
    ),
    DriftCase(
        "extra-column",
        lambda url: execute(url, sql.SQL("ALTER TABLE papers ADD COLUMN reviewer_notes text")),
        _table_lines("papers"),
        ("public.papers.reviewer_notes", "not in the document"),
    ),
    DriftCase(
        "changed-default",
        lambda url: execute(url, sql.SQL("ALTER TABLE plans ALTER COLUMN budget_minutes SET DEFAULT 30")),
        _column_line("plans", "budget_minutes"),
        ("public.plans.budget_minutes", "30", "20"),
    ),
    DriftCase(
        "dropped-trigger",
        lambda url: execute(url, sql.SQL("DROP TRIGGER runs_duration ON runs")),
        _mention("`runs_duration`"),
        ("runs_duration", "missing"),
    ),
    DriftCase(
        "redefined-view",
        _redefined_view,
        _view_definition("latest_runs"),
        ("public.latest_runs", "'failed'"),
    ),
    DriftCase(
        "revoked-privilege",
        lambda url: execute(url, sql.SQL("REVOKE DELETE ON papers FROM service_role")),
        _mention("**GRANT ALL** to `service_role`"),
        ("DELETE", "public.papers", "service_role", "missing"),
    ),
]


@pytest.mark.parametrize("case", DRIFTS, ids=[c.id for c in DRIFTS])
def test_one_change_is_one_drift_at_its_document_line(
    case: DriftCase, built: str, server_url: str, seed: Seed
) -> None:
    with copy_of(server_url, built) as url:
        case.make(url)
        diags = structure_drift(url, server_url, seed.schema)
    drift = drift_errors(diags)
    assert len(drift) == 1, rendered(diags)
    found = drift[0]
    assert found.span is not None, found.render()
    assert Path(found.span.file).resolve() == seed.path.resolve()
    assert found.span.line in case.lines(seed), found.render()
    for word in case.words:
        assert word in found.message, found.render()


def test_revoking_a_whole_grant_points_only_at_the_grant_line(
    built: str, server_url: str, seed: Seed
) -> None:
    with copy_of(server_url, built) as url:
        execute(url, sql.SQL("REVOKE ALL ON papers FROM service_role"))
        diags = structure_drift(url, server_url, seed.schema)
    drift = drift_errors(diags)
    grant_line = seed.line("**GRANT ALL** to `service_role`")
    assert drift, "revoking every privilege on papers went unnoticed"
    for d in drift:
        assert d.span is not None and d.span.line == grant_line, d.render()
        assert "ON TABLE public.papers TO service_role" in d.message, d.render()
    assert len(drift) == 1, rendered(drift)  # one lost grant, not one line per privilege
    assert drift[0].message.startswith("grant ALL ON TABLE public.papers TO service_role is missing")


# --- the command line --------------------------------------------------------------------------------


def run_verify(seed: Seed, url: str, shadow_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "schemadoc", "verify", str(seed.path), "--structure", "--database-url", url,
         "--shadow-url", shadow_url, *extra],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )  # fmt: skip


def test_cli_structure_exit_codes_and_json(built: str, server_url: str, seed: Seed) -> None:
    clean = run_verify(seed, built, server_url, "--format", "json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    payload = json.loads(clean.stdout)
    assert payload["ok"] is True
    assert payload["drift"] == []
    assert payload["promises"] is None  # --structure probes nothing

    with copy_of(server_url, built) as url:
        execute(url, sql.SQL("DROP INDEX runs_status_idx"))
        drifted = run_verify(seed, url, server_url, "--format", "json")
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    payload = json.loads(drifted.stdout)
    assert payload["ok"] is False
    assert len(payload["drift"]) == 1, payload["drift"]
    entry = payload["drift"][0]
    assert Path(entry["file"]).resolve() == seed.path.resolve()
    assert entry["line"] == seed.line("`runs_status_idx`")
    assert "runs_status_idx" in entry["message"]


def test_cli_never_prints_the_password(built: str, server_url: str, seed: Seed) -> None:
    if not os.environ.get("SCHEMADOC_TEST_DATABASE_URL"):
        pytest.skip("needs a TCP server that ignores passwords (trust auth); the embedded one uses a socket")
    params = conninfo_to_dict(server_url)
    host = str(params.get("host") or "")
    if not host or host.startswith("/"):
        pytest.skip("the test server is not reached over TCP")
    password = "s3cret-Qx7"
    user = params.get("user") or "postgres"
    port = params.get("port") or 5432
    with copy_of(server_url, built) as plain_url:
        execute(plain_url, sql.SQL("ALTER TABLE papers ALTER COLUMN title DROP NOT NULL"))
        dbname = conninfo_to_dict(plain_url)["dbname"]
        url = f"postgresql://{user}:{password}@{host}:{port}/{dbname}"
        as_json = run_verify(seed, url, server_url, "--format", "json")
        as_text = run_verify(seed, url, server_url)
    for run in (as_json, as_text):
        assert run.returncode == 1, run.stdout + run.stderr
        assert password not in run.stdout + run.stderr
    # a database that cannot be reached: exit 2, and the message names the URL without its password
    unreachable = f"postgresql://{user}:{password}@{host}:{port}/{dbname}_absent"
    for fmt in ("text", "json"):
        failed = run_verify(seed, unreachable, server_url, "--format", fmt)
        assert failed.returncode == 2, failed.stdout + failed.stderr
        assert password not in failed.stdout + failed.stderr
        assert "***" in failed.stdout + failed.stderr
    assert "***" in json.loads(as_json.stdout)["database"]
    assert "***" in as_text.stdout
