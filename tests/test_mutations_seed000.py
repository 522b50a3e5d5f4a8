"""Promise verification on seed 000: a database built from the document keeps every promise; each
change made by hand breaks exactly the promises it should, each pointing at its document line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from psycopg import sql

from schemadoc.actions import verify_behaviour
from schemadoc.verify.report import PromiseResult, VerifyReport

from seed000_support import Seed, copy_of, drop_check, execute, replace_foreign_key


def not_kept(report: VerifyReport) -> list[PromiseResult]:
    return [r for r in report.results if r.outcome != "kept"]


def shown(results: list[PromiseResult]) -> str:
    return "\n".join(f"{r.outcome} {r.promise.kind} {r.promise.subject} ({r.reason})" for r in results)


def test_built_database_keeps_every_promise(
    built: str, seed: Seed, record_property: Callable[[str, object], None]
) -> None:
    report = verify_behaviour(built, seed.schema)
    counts = report.counts()
    record_property("seed000_promises", counts["total"])
    print(f"seed 000: {counts}")
    assert not_kept(report) == [], shown(not_kept(report))
    assert counts["broken"] == 0 and counts["untestable"] == 0
    # every kind of promise the document makes is probed (each column list, constraint list,
    # trigger list and view definition contributes)
    kinds = {r.promise.kind for r in report.results}
    assert {"not_null", "check", "unique", "foreign_key", "on_delete", "default", "trigger", "view"} <= kinds
    assert counts["kept"] == counts["total"] > 100


# --- one change, the promises it breaks -------------------------------------------------------------


def _renamed_view_column(url: str) -> None:
    execute(
        url,
        sql.SQL(
            "DROP VIEW latest_runs;"
            " CREATE VIEW latest_runs AS"
            " SELECT DISTINCT ON (paper_id) id AS latest_run_id, paper_id, plan_id, status, completed_at,"
            " duration_sec FROM runs WHERE status = 'succeeded' ORDER BY paper_id, completed_at DESC NULLS LAST"
        ),
    )


def _column_line(table: str, column: str) -> Callable[[Seed], int]:
    return lambda seed: seed.line(f"- `{column}`", seed.table_section(table), start=True)


def _mention(needle: str) -> Callable[[Seed], int]:
    return lambda seed: seed.line(needle)


@dataclass(frozen=True)
class Mutation:
    id: str
    make: Callable[[str], None]
    broken: dict[tuple[str, str], Callable[[Seed], int]]  # (kind, subject) -> its document line


ON_DELETE_CLAIMS = ("on_delete", "public.claims.(paper_id)")

MUTATIONS = [
    Mutation(
        "dropped-check",
        lambda url: drop_check(url, "claims", "confidence"),
        {
            ("check", "public.claims.confidence >= 0.0 AND confidence <= 1.0"): _mention(
                "CHECK (confidence >= 0.0 AND confidence <= 1.0)"
            )
        },
    ),
    Mutation(
        # the column stays NOT NULL, so deleting the parent fails: the cascade promise is broken
        "cascade-to-set-null",
        lambda url: replace_foreign_key(
            url, "claims", "paper_id", "REFERENCES papers(id) ON DELETE SET NULL"
        ),
        {ON_DELETE_CLAIMS: _column_line("claims", "paper_id")},
    ),
    Mutation(
        # made nullable first so SET NULL can act: the child survives its parent, and NULL is accepted
        "nullable-and-set-null",
        lambda url: replace_foreign_key(
            url, "claims", "paper_id", "REFERENCES papers(id) ON DELETE SET NULL", drop_not_null=True
        ),
        {
            ON_DELETE_CLAIMS: _column_line("claims", "paper_id"),
            ("not_null", "public.claims.paper_id"): _column_line("claims", "paper_id"),
        },
    ),
    Mutation(
        "dropped-duration-trigger",
        lambda url: execute(url, sql.SQL("DROP TRIGGER runs_duration ON runs")),
        {("trigger", "public.runs.runs_duration"): _mention("`runs_duration`")},
    ),
    Mutation(
        "dropped-updated-at-trigger",
        lambda url: execute(url, sql.SQL("DROP TRIGGER papers_updated_at ON papers")),
        {("trigger", "public.papers.papers_updated_at"): _mention("`papers_updated_at`")},
    ),
    Mutation(
        "dropped-unique-index",
        lambda url: execute(url, sql.SQL("DROP INDEX assets_plan_notebook_uniq")),
        {("unique", "public.assets.assets_plan_notebook_uniq"): _mention("`assets_plan_notebook_uniq`")},
    ),
    Mutation(
        "column-made-nullable",
        lambda url: execute(url, sql.SQL("ALTER TABLE papers ALTER COLUMN title DROP NOT NULL")),
        {("not_null", "public.papers.title"): _column_line("papers", "title")},
    ),
    Mutation(
        "changed-default",
        lambda url: execute(url, sql.SQL("ALTER TABLE plans ALTER COLUMN budget_minutes SET DEFAULT 30")),
        {("default", "public.plans.budget_minutes"): _column_line("plans", "budget_minutes")},
    ),
    Mutation(
        "view-column-renamed",
        _renamed_view_column,
        {
            ("view", "public.latest_runs"): lambda seed: seed.line(
                "SELECT", seed.section("`latest_runs`"), start=True
            )
        },
    ),
]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_a_change_breaks_exactly_its_promises(
    mutation: Mutation, built: str, server_url: str, seed: Seed
) -> None:
    with copy_of(server_url, built) as url:
        mutation.make(url)
        report = verify_behaviour(url, seed.schema)
    found = not_kept(report)
    assert {r.outcome for r in found} <= {"broken"}, shown(found)
    assert {(r.promise.kind, r.promise.subject) for r in found} == set(mutation.broken), shown(found)
    for r in found:
        span = r.promise.span
        assert span is not None, shown([r])
        assert Path(span.file).resolve() == seed.path.resolve()
        assert span.line == mutation.broken[(r.promise.kind, r.promise.subject)](seed), shown([r])
    # the same promise is also reported as an error diagnostic at that line
    diags = [d for d in report.diagnostics() if d.level == "error"]
    assert sorted(d.span.line for d in diags if d.span) == sorted(
        line(seed) for line in mutation.broken.values()
    )
