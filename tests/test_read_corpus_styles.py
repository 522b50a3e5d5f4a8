from __future__ import annotations

import re

import pytest

from schemadoc.model import Span
from schemadoc.read.corpus_styles import read_fk_sentence

from conftest import CORPUS

SPAN = Span("doc.md", 3, 1)


@pytest.mark.parametrize(
    ("text", "cols", "table", "refcols", "on_delete"),
    [
        (
            "It has a FOREIGN KEY on the column `owner` that references the `key` of Accounts table.",
            ["owner"],
            "Accounts",
            ["key"],
            None,
        ),
        (
            "Foreign key on `shelf_id` references `shelves`(`id`) ON DELETE SET NULL",
            ["shelf_id"],
            "shelves",
            ["id"],
            "SET NULL",
        ),
        (
            "FOREIGN KEY on `lat` and `lon` which references `places(lat, lon)`.",
            ["lat", "lon"],
            "places",
            ["lat", "lon"],
            None,
        ),
        ("foreign key on `team_id` references the `app.teams` table", ["team_id"], "app.teams", [], None),
        ("Foreign key for `team_id` references `teams.code`", ["team_id"], "teams", ["code"], None),
    ],
)
def test_fk_sentences(
    text: str, cols: list[str], table: str, refcols: list[str], on_delete: str | None
) -> None:
    found = read_fk_sentence(text, span=SPAN)
    assert found is not None
    got_cols, ref = found
    assert (got_cols, str(ref.table), ref.columns, ref.on_delete) == (cols, table, refcols, on_delete)
    assert ref.span == SPAN


@pytest.mark.parametrize(
    "text",
    [
        "It has an INDEX on the `user_id` column.",
        "The foreign key makes sure posts have authors.",
        "Foreign key on `a` references `t(x, y)`",  # two target columns for one local column
        "",
    ],
)
def test_not_fk_sentences(text: str) -> None:
    assert read_fk_sentence(text, span=SPAN) is None


def test_corpus_d13_fk_bullets() -> None:
    path = CORPUS / "docs" / "lkania__Haskitter__util__db__README.md"
    if not path.is_file():
        pytest.skip("corpus document is not present")
    bullets = re.findall(r"^- (.*)$", path.read_text(), re.M)
    found = [f for b in bullets if (f := read_fk_sentence(b, span=SPAN)) is not None]
    assert [(cols, str(ref.table), ref.columns) for cols, ref in found] == [(["user_id"], "Users", ["id"])]
