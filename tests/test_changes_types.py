"""Typed changes of schema names, enums, domains and sequences: their steps, run on real
PostgreSQL, bring the old schema to the new one, and a second comparison finds nothing."""

from __future__ import annotations

import pytest
from convergence_support import Lab, changes_between, converge, lab, names

from schemadoc.compare.changes import Hazard
from schemadoc.compare.types import AddEnumValue, ChangeDomain, ChangeSequence, EnumValuesRemoved

__all__ = ["lab"]

BASE = """
CREATE TABLE items (id bigint PRIMARY KEY, qty integer NOT NULL DEFAULT 0);
"""

SCENARIOS = [
    pytest.param(
        "CREATE TYPE mood AS ENUM ('low', 'high');",
        "CREATE TYPE mood AS ENUM ('none', 'low', 'mid', 'high', 'max');",
        ["AddEnumValue", "AddEnumValue", "AddEnumValue"],
        id="enum-values-in-the-middle-first-and-last",
    ),
    pytest.param(
        "",
        "CREATE TYPE mood AS ENUM ('low', 'high'); GRANT USAGE ON TYPE mood TO {role};",
        ["AddEnum"],
        id="enum-added-with-its-grant",
    ),
    pytest.param(
        "CREATE TYPE unused AS ENUM ('a');",
        "",
        ["DropEnum"],
        id="enum-dropped",
    ),
    pytest.param(
        "",
        "CREATE DOMAIN positive AS integer NOT NULL DEFAULT 1 CHECK (VALUE > 0);",
        ["AddDomain"],
        id="domain-added",
    ),
    pytest.param(
        "CREATE DOMAIN positive AS integer;",
        "CREATE DOMAIN positive AS integer NOT NULL DEFAULT 1 CHECK (VALUE > 0);",
        ["ChangeDomain"],
        id="domain-default-not-null-and-check",
    ),
    pytest.param(
        "CREATE SEQUENCE counter AS integer;",
        "CREATE SEQUENCE counter AS bigint OWNED BY items.qty;",
        ["ChangeSequence"],
        id="sequence-type-and-owner",
    ),
    pytest.param(
        "CREATE SEQUENCE counter OWNED BY items.qty;",
        "CREATE SEQUENCE counter;",
        ["ChangeSequence"],
        id="sequence-owner-taken-away",
    ),
    pytest.param(
        "CREATE SEQUENCE counter;",
        "CREATE SEQUENCE counter INCREMENT BY 5 MAXVALUE 1000 START WITH 10 CACHE 3 CYCLE;",
        ["ChangeSequence"],
        id="sequence-options-set",
    ),
    pytest.param(
        "CREATE SEQUENCE counter AS integer INCREMENT BY 2 MAXVALUE 500 START WITH 7 CACHE 4 CYCLE;",
        "CREATE SEQUENCE counter AS integer;",
        ["ChangeSequence"],
        id="sequence-options-back-to-their-defaults",
    ),
    pytest.param(
        "",
        "CREATE SEQUENCE counter AS integer; GRANT USAGE ON SEQUENCE counter TO {role};",
        ["AddSequence"],
        id="sequence-added-with-its-grant",
    ),
    pytest.param(
        "",
        "CREATE SCHEMA extra; GRANT USAGE ON SCHEMA extra TO {role};",
        ["CreateSchema"],
        id="schema-created-with-its-grant",
    ),
    pytest.param(
        "CREATE SCHEMA extra;",
        "",
        ["DropSchema"],
        id="schema-dropped",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), SCENARIOS)
def test_steps_converge(lab: Lab, old: str, new: str, expected: list[str]) -> None:
    changes = converge(lab, BASE + old, BASE + new)
    assert names(changes) == expected


def test_enum_values_keep_the_document_order(lab: Lab) -> None:
    changes = converge(
        lab,
        BASE + "CREATE TYPE mood AS ENUM ('low', 'high');",
        BASE + "CREATE TYPE mood AS ENUM ('none', 'low', 'mid', 'high');",
    )
    added = [c for c in changes if isinstance(c, AddEnumValue)]
    assert [(c.label, c.before, c.after) for c in added] == [("none", "low", None), ("mid", None, "low")]
    assert all(not step.transactional for c in added for step in c.steps())
    assert "BEFORE 'low'" in added[0].steps()[0].sql


def test_drops_of_types_and_schemas_are_destructive(lab: Lab) -> None:
    changes = changes_between(
        lab,
        BASE + "CREATE SCHEMA extra; CREATE TYPE unused AS ENUM ('a'); CREATE DOMAIN d AS text;"
        " CREATE SEQUENCE s;",
        BASE,
    )
    assert sorted(names(changes)) == ["DropDomain", "DropEnum", "DropSchema", "DropSequence"]
    assert all(Hazard.DELETES_DATA in c.hazards and c.destructive for c in changes)
    # and each undoes what its inverse would do
    assert sorted(type(c.inverse()).__name__ for c in changes) == [
        "AddDomain",
        "AddEnum",
        "AddSequence",
        "CreateSchema",
    ]


def test_removed_enum_value_has_no_step_and_is_destructive(lab: Lab) -> None:
    changes = changes_between(
        lab,
        BASE + "CREATE TYPE mood AS ENUM ('low', 'mid', 'high');",
        BASE + "CREATE TYPE mood AS ENUM ('low', 'high');",
    )
    assert names(changes) == ["EnumValuesRemoved"]
    removed = changes[0]
    assert isinstance(removed, EnumValuesRemoved) and removed.label == "mid"
    assert removed.steps() == ()
    assert removed.hazards == {Hazard.DROPS_ENUM_VALUE} and removed.destructive


def test_domain_checks_that_can_fail_on_data_say_so(lab: Lab) -> None:
    changes = changes_between(
        lab,
        BASE + "CREATE DOMAIN d AS integer;",
        BASE + "CREATE DOMAIN d AS integer NOT NULL CHECK (VALUE > 0);",
    )
    (change,) = changes
    assert isinstance(change, ChangeDomain)
    assert [Hazard.CAN_FAIL_ON_DATA in s.hazards for s in change.steps()] == [True, True]


def test_a_domain_losing_a_check_is_left_to_the_user(lab: Lab) -> None:
    changes = changes_between(
        lab, BASE + "CREATE DOMAIN d AS integer CHECK (VALUE > 0);", BASE + "CREATE DOMAIN d AS integer;"
    )
    (change,) = changes
    assert isinstance(change, ChangeDomain) and change.steps() == ()


def test_narrowing_a_sequence_can_fail(lab: Lab) -> None:
    (change,) = changes_between(lab, BASE + "CREATE SEQUENCE s;", BASE + "CREATE SEQUENCE s AS integer;")
    assert isinstance(change, ChangeSequence)
    assert change.hazards == {Hazard.CAN_FAIL_ON_DATA}
    assert change.inverse().hazards == frozenset()


def test_a_sequence_range_can_fail_and_its_other_options_cannot(lab: Lab) -> None:
    old = BASE + "CREATE SEQUENCE s INCREMENT BY -1 START WITH -3;"
    (moved,) = changes_between(lab, old, BASE + "CREATE SEQUENCE s INCREMENT BY -1 START WITH -9 CACHE 5;")
    assert isinstance(moved, ChangeSequence) and moved.options == ("start", "cache")
    assert moved.hazards == frozenset()
    assert moved.steps()[0].sql == "ALTER SEQUENCE public.s START WITH -9 CACHE 5"
    (ranged,) = changes_between(lab, old, BASE + "CREATE SEQUENCE s;")
    assert isinstance(ranged, ChangeSequence)
    assert ranged.options == ("increment", "minvalue", "maxvalue", "start")
    assert ranged.hazards == {Hazard.CAN_FAIL_ON_DATA}  # the sequence stands at -3, below the new range
    assert (
        "database has INCREMENT BY -1" in ranged.message()
        and "document says INCREMENT BY 1" in ranged.message()
    )
