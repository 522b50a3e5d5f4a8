"""Typed changes of views, functions and triggers: their steps, run on real PostgreSQL, bring the
old schema to the new one, and a second comparison finds nothing."""

from __future__ import annotations

import pytest
from changes_support import Lab, changes_between, converge, lab, names

from schemadoc.compare.changes import Hazard
from schemadoc.compare.routines import ReplaceFunction, ReplaceView

__all__ = ["lab"]

BASE = """
CREATE TABLE items (id bigint PRIMARY KEY, qty integer NOT NULL DEFAULT 0, note text);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.qty := NEW.qty + 1; RETURN NEW; END $$;
"""

SCENARIOS = [
    pytest.param(
        "CREATE VIEW big AS SELECT id FROM items WHERE qty > 10;",
        "CREATE VIEW big AS SELECT id, qty FROM items WHERE qty > 100;"
        " GRANT SELECT ON big TO {role}; COMMENT ON VIEW big IS 'large orders';",
        ["ReplaceView", "AddGrant", "ChangeComment"],
        id="view-replaced-in-place",
    ),
    pytest.param(
        "CREATE VIEW big AS SELECT id, qty FROM items; GRANT SELECT ON big TO {role};"
        " COMMENT ON VIEW big IS 'large orders';",
        "CREATE VIEW big AS SELECT qty, id FROM items; GRANT SELECT ON big TO {role};"
        " COMMENT ON VIEW big IS 'large orders';",
        ["ReplaceView"],
        id="view-columns-reordered-dropped-and-made-again",
    ),
    pytest.param(
        "CREATE VIEW big AS SELECT id FROM items;",
        "CREATE MATERIALIZED VIEW big AS SELECT id FROM items;",
        ["ReplaceView"],
        id="view-becomes-materialized",
    ),
    pytest.param(
        "",
        "CREATE VIEW big AS SELECT id FROM items; GRANT SELECT ON big TO {role};"
        " COMMENT ON VIEW big IS 'large orders';",
        ["CreateView"],
        id="view-created-with-comment-and-grant",
    ),
    pytest.param(
        "CREATE VIEW big AS SELECT id FROM items;",
        "",
        ["DropView"],
        id="view-dropped",
    ),
    pytest.param(
        "CREATE FUNCTION total() RETURNS bigint LANGUAGE sql AS 'SELECT sum(qty) FROM items';",
        "CREATE FUNCTION total() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT coalesce(sum(qty), 0) FROM items';",
        ["ReplaceFunctionBody", "ReplaceFunction"],
        id="function-body-and-volatility",
    ),
    pytest.param(
        "CREATE FUNCTION total() RETURNS integer LANGUAGE sql AS 'SELECT 1';"
        " REVOKE EXECUTE ON FUNCTION total() FROM PUBLIC; GRANT EXECUTE ON FUNCTION total() TO {role};",
        "CREATE FUNCTION total() RETURNS bigint LANGUAGE sql AS 'SELECT 1';"
        " REVOKE EXECUTE ON FUNCTION total() FROM PUBLIC; GRANT EXECUTE ON FUNCTION total() TO {role};"
        " COMMENT ON FUNCTION total() IS 'one';",
        ["ReplaceFunction", "ChangeComment"],
        id="function-result-type-dropped-and-made-again",
    ),
    pytest.param(
        "",
        "CREATE PROCEDURE reset() LANGUAGE sql AS 'UPDATE items SET qty = 0';"
        " GRANT EXECUTE ON PROCEDURE reset() TO {role}; COMMENT ON PROCEDURE reset() IS 'zero';",
        ["CreateFunction"],
        id="procedure-created-with-comment-and-grant",
    ),
    pytest.param(
        "CREATE FUNCTION total() RETURNS bigint LANGUAGE sql AS 'SELECT 1';",
        "",
        ["DropFunction"],
        id="function-dropped",
    ),
    pytest.param(
        "",
        "CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch();",
        ["AddTrigger"],
        id="trigger-added",
    ),
    pytest.param(
        "CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch();",
        "CREATE TRIGGER items_touch BEFORE INSERT OR UPDATE ON items FOR EACH ROW"
        " WHEN (NEW.qty >= 0) EXECUTE FUNCTION touch();",
        ["ReplaceTrigger"],
        id="trigger-replaced",
    ),
    pytest.param(
        "CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch();",
        "",
        ["DropTrigger"],
        id="trigger-dropped",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), SCENARIOS)
def test_steps_converge(lab: Lab, old: str, new: str, expected: list[str]) -> None:
    changes = converge(lab, BASE + old, BASE + new)
    assert names(changes) == expected


def test_a_view_is_replaced_in_place_when_its_columns_only_grow(lab: Lab) -> None:
    (change,) = changes_between(
        lab,
        BASE + "CREATE VIEW big AS SELECT id FROM items;",
        BASE + "CREATE VIEW big AS SELECT id, qty FROM items;",
    )
    assert isinstance(change, ReplaceView) and change.in_place
    assert [s.sql.split(" AS ")[0] for s in change.steps()] == ["CREATE OR REPLACE VIEW public.big"]
    assert not change.hazards


def test_a_view_whose_columns_move_is_dropped_first(lab: Lab) -> None:
    (change,) = changes_between(
        lab,
        BASE + "CREATE VIEW big AS SELECT id, qty FROM items;",
        BASE + "CREATE VIEW big AS SELECT qty, id FROM items;",
    )
    assert isinstance(change, ReplaceView) and not change.in_place
    assert change.steps()[0].sql == "DROP VIEW public.big"
    assert change.hazards == {Hazard.DROPS_DEPENDENTS}
    assert not change.destructive


def test_one_change_per_report_line_but_one_replacement(lab: Lab) -> None:
    changes = changes_between(
        lab,
        BASE + "CREATE FUNCTION total() RETURNS integer LANGUAGE sql AS 'SELECT 1';",
        BASE + "CREATE FUNCTION total() RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT 2';",
    )
    assert [c.diagnostic().code for c in changes] == ["SD333", "SD334", "SD334"]
    assert all(isinstance(c, ReplaceFunction) for c in changes)
    steps = [s.sql.split("(")[0] for c in changes for s in c.steps()]
    assert steps == ["DROP FUNCTION public.total", "CREATE OR REPLACE FUNCTION public.total"]
