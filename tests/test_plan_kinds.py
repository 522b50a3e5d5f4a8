"""One fixture folder per kind of change (tests/fixtures/plan_kinds), end to end on real PostgreSQL.

For each kind: ``old.sql`` is loaded into a fresh database; ``plan --format sql`` prints
``expected.sql``; ``apply --yes`` (with the hazards the kind needs allowed) converges; a second
``plan`` has nothing to do and ``verify --structure`` finds no drift. A destructive kind first
exits 3 from ``plan`` and from ``apply`` when its hazard is not allowed, and changes nothing; a
kind whose rows block a step exits 1 from both and changes nothing, and the query that lists
those rows runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

from conftest import scratch_database
from plan_kinds_support import Kind, catalog_snapshot, kinds, load_old, plan_sql, run

NOTHING_TO_DO = "nothing to do: the database matches the document\n"


def _params() -> list[object]:
    out: list[object] = []
    for kind in kinds():
        marks = [pytest.mark.xfail(strict=True, reason=kind.xfail)] if kind.xfail else []
        out.append(pytest.param(kind, id=kind.name, marks=marks))
    return out


@pytest.fixture()
def old_database(server_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    kind: Kind = request.node.callspec.params["kind"]
    with scratch_database(server_url) as url:
        load_old(url, kind)
        yield url


def _apply(url: str, kind: Kind, *flags: str) -> tuple[int, dict[str, object]]:
    code, out, err = run("apply", str(kind.doc), "--database-url", url, "--yes", "--format", "json", *flags)
    assert out, err
    payload: dict[str, object] = json.loads(out)
    return code, payload


def _codes(payload: dict[str, object]) -> list[str]:
    diagnostics = payload.get("diagnostics") or []
    assert isinstance(diagnostics, list)
    return [d["code"] for d in diagnostics]


def test_kinds_are_there() -> None:
    names = {k.name for k in kinds()}
    assert len(names) >= 30
    missing = [k.name for k in kinds() if not k.xfail and not k.expected.exists()]
    assert missing == [], "run scripts/regen_plan_fixtures.py"


@pytest.mark.parametrize("kind", _params())
def test_plan_apply_converges(kind: Kind, old_database: str) -> None:
    url = old_database
    if kind.allow:
        before = catalog_snapshot(url)
        code, script, err = plan_sql(url, kind, allowed=False)
        assert code == 3, err
        assert "SD580" in err and "-- NOT READY (exit 3)" in script
        code, payload = _apply(url, kind)
        assert code == 3 and "SD580" in _codes(payload)
        assert catalog_snapshot(url) == before

    if kind.blocked:
        before = catalog_snapshot(url)
    code, script, err = plan_sql(url, kind)
    # a known bug's kind has no golden file until the fix (the regen script writes it then)
    if kind.expected.exists() or not kind.xfail:
        assert script == kind.expected.read_text(encoding="utf-8"), (
            f"the plan differs from {kind.expected} (scripts/regen_plan_fixtures.py rewrites it): {err}"
        )
    if kind.blocked:
        assert code == 1 and "SD583" in err, err
        code, payload = _apply(url, kind)
        assert code == 1 and "SD583" in _codes(payload)
        assert catalog_snapshot(url) == before
        listing = err.split("hint: list them: ", 1)[1].splitlines()[0]
        with psycopg.connect(url) as conn:
            assert conn.execute(listing).fetchall() != []  # the rows in the way, listed
        return
    assert code == 0, err

    code, payload = _apply(url, kind, *kind.allow_flags)
    assert code == 0, payload
    assert payload["residue"] == []

    code, text, err = run("plan", str(kind.doc), "--database-url", url)
    assert (code, text) == (0, NOTHING_TO_DO), err
    code, text, err = run("verify", str(kind.doc), "--database-url", url, "--structure")
    assert code == 0 and "structure: no drift" in text, text + err


def test_a_step_on_a_view_or_sequence_is_not_said_to_be_on_a_new_table() -> None:
    from dataclasses import replace

    from schemadoc.compare.changes import Lock, Step
    from schemadoc.model import QName
    from schemadoc.plan.model import Plan, PlannedStep
    from schemadoc.plan.render import render_text

    from plan_support import DropTable

    view = QName("public", "long_books")
    step = Step("DROP VIEW public.long_books", Lock.ACCESS_EXCLUSIVE, view)
    plan = Plan((PlannedStep(1, step, DropTable(view)),), proved=True)
    assert "    lock: ACCESS EXCLUSIVE on public.long_books\n" in render_text(plan)
    created = render_text(replace(plan, new_tables=frozenset({view})))
    assert "    lock: ACCESS EXCLUSIVE on public.long_books (created by this plan)\n" in created
