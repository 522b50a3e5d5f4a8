"""Typed changes of policies, grants and comments: their steps, run on real PostgreSQL, bring the
old schema to the new one, and a second comparison finds nothing. The comment summary of
``verify --structure`` carries the steps of the comments it sums up."""

from __future__ import annotations

import pytest
from changes_support import Lab, changes_between, converge, lab, names

from schemadoc.compare.access import AddGrant, ReplacePolicy
from schemadoc.compare.comments import ChangeComment, CommentsSummary, summarise_comments
from schemadoc.model import Schema

__all__ = ["lab"]

BASE = """
CREATE TABLE items (id bigint PRIMARY KEY, qty integer NOT NULL DEFAULT 0, note text);
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
CREATE SEQUENCE counter;
"""

SCENARIOS = [
    pytest.param(
        "CREATE POLICY readers ON items FOR SELECT TO {role} USING (qty > 0);",
        "CREATE POLICY readers ON items FOR SELECT TO {role}, PUBLIC USING (qty > 10);",
        ["ReplacePolicy"],
        id="policy-altered",
    ),
    pytest.param(
        "CREATE POLICY readers ON items FOR SELECT USING (qty > 0);",
        "CREATE POLICY readers ON items AS RESTRICTIVE FOR UPDATE USING (qty > 0) WITH CHECK (qty > 1);",
        ["ReplacePolicy"],
        id="policy-command-changed-dropped-and-made-again",
    ),
    pytest.param(
        "CREATE POLICY writers ON items FOR UPDATE USING (qty > 0) WITH CHECK (qty > 1);",
        "CREATE POLICY writers ON items FOR UPDATE USING (qty > 0);",
        ["ReplacePolicy"],
        id="policy-loses-with-check",
    ),
    pytest.param(
        "", "CREATE POLICY readers ON items FOR SELECT USING (true);", ["AddPolicy"], id="policy-added"
    ),
    pytest.param("CREATE POLICY readers ON items USING (true);", "", ["DropPolicy"], id="policy-dropped"),
    pytest.param(
        "GRANT SELECT ON items TO {role};",
        "GRANT SELECT, UPDATE ON items TO {role}; GRANT USAGE ON SEQUENCE counter TO {role};",
        ["AddGrant", "AddGrant"],
        id="grants-added",
    ),
    pytest.param(
        "",
        "GRANT SELECT, INSERT, DELETE ON items TO {role};",
        ["AddGrant"],
        id="every-privilege-of-a-grantee-added-as-one",
    ),
    pytest.param(
        "GRANT SELECT, UPDATE ON items TO {role};",
        "GRANT SELECT ON items TO {role};",
        ["RevokeGrant"],
        id="grant-revoked",
    ),
    pytest.param(
        "GRANT SELECT ON items TO {role};",
        "GRANT SELECT ON items TO {role} WITH GRANT OPTION;",
        ["ChangeGrantOption"],
        id="grant-option-given",
    ),
    pytest.param(
        "GRANT SELECT ON items TO {role} WITH GRANT OPTION;",
        "GRANT SELECT ON items TO {role};",
        ["ChangeGrantOption"],
        id="grant-option-taken",
    ),
    pytest.param(
        "COMMENT ON TABLE items IS 'old'; COMMENT ON COLUMN items.note IS 'free text';",
        "COMMENT ON TABLE items IS 'what we sell'; COMMENT ON COLUMN items.qty IS 'how many';"
        " CREATE INDEX items_qty ON items (qty); COMMENT ON INDEX items_qty IS 'by quantity';",
        ["ChangeComment", "ChangeComment", "ChangeComment", "ChangeComment"],
        id="comments-changed-added-and-removed",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), SCENARIOS)
def test_steps_converge(lab: Lab, old: str, new: str, expected: list[str]) -> None:
    old_sql = BASE + old
    if "items_qty" in new:  # the index itself is another helper's kind: both sides have it
        old_sql += " CREATE INDEX items_qty ON items (qty);"
    changes = converge(lab, old_sql, BASE + new)
    assert names(changes) == expected


def test_policy_changes_alter_in_place_when_they_can(lab: Lab) -> None:
    (altered,) = changes_between(
        lab,
        BASE + "CREATE POLICY p ON items FOR SELECT USING (qty > 0);",
        BASE + "CREATE POLICY p ON items FOR SELECT USING (qty > 1);",
    )
    assert isinstance(altered, ReplacePolicy) and altered.in_place
    assert [s.sql.split(" ON ")[0] for s in altered.steps()] == ["ALTER POLICY p"]
    (remade,) = changes_between(
        lab,
        BASE + "CREATE POLICY p ON items FOR SELECT USING (qty > 0);",
        BASE + "CREATE POLICY p ON items FOR DELETE USING (qty > 0);",
    )
    assert isinstance(remade, ReplacePolicy) and not remade.in_place
    assert [s.sql.split(" ON ")[0] for s in remade.steps()] == ["DROP POLICY p", "CREATE POLICY p"]


def test_a_lost_grantee_is_one_change_with_one_statement(lab: Lab) -> None:
    (change,) = changes_between(lab, BASE, BASE + "GRANT SELECT, INSERT ON items TO {role};")
    assert isinstance(change, AddGrant) and len(change.grants) == 2
    assert [s.sql for s in change.steps()] == [f"GRANT SELECT, INSERT ON TABLE public.items TO {lab.role}"]
    assert change.inverse().steps()[0].sql == f"REVOKE SELECT, INSERT ON TABLE public.items FROM {lab.role}"


def test_the_comment_summary_carries_the_comment_steps(lab: Lab) -> None:
    changes = changes_between(
        lab,
        BASE + "COMMENT ON TABLE items IS 'old';",
        BASE + "COMMENT ON TABLE items IS 'new'; COMMENT ON COLUMN items.qty IS 'how many';",
    )
    assert all(isinstance(c, ChangeComment) for c in changes) and len(changes) == 2
    (summary,) = summarise_comments(changes, Schema())
    assert isinstance(summary, CommentsSummary)
    diagnostic = summary.diagnostic()
    assert diagnostic.code == "SD364" and diagnostic.level == "note"  # Schema(): no comment at all
    assert "2 description(s) differ" in diagnostic.message
    assert [s.sql for s in summary.steps()] == [s.sql for c in changes for s in c.steps()]
    assert summary.steps()[1].sql == "COMMENT ON COLUMN public.items.qty IS 'how many'"
