from __future__ import annotations

import re

import pytest

from schemadoc.read.enums import parse_value_list, read_enum_block

from conftest import seed_file

FENCE = """\
// Status of an order
enum OrderStatus {
  NEW        // just placed
  PAID       /* money received */
  SHIPPED
}

export const enum Size { Small = "s", Large = 'l', }
function helper() { return 1 }
enum Channel { EMAIL, SMS, PUSH }
"""


def test_enums_with_comments_kept_out() -> None:
    facts = read_enum_block(FENCE, file="doc.md", line=40)
    assert [(e.schema, e.name, e.labels) for e in facts.enums] == [
        ("public", "OrderStatus", ("NEW", "PAID", "SHIPPED")),
        ("public", "Size", ("s", "l")),
        ("public", "Channel", ("EMAIL", "SMS", "PUSH")),
    ]
    assert facts.diagnostics == []


def test_enum_spans() -> None:
    facts = read_enum_block(FENCE, file="doc.md", line=40)
    assert [(e.span.line, e.span.col) for e in facts.enums if e.span] == [(41, 1), (47, 1), (49, 1)]


def test_prisma_maps_and_schema() -> None:
    text = """enum Role {
  ADMIN  @map("admin")
  MEMBER @map("member") /// ordinary user
  @@map("member_role")
  @@schema("auth")
}
"""
    (enum,) = read_enum_block(text, file="f", line=1).enums
    assert (enum.schema, enum.name, enum.labels) == ("auth", "member_role", ("admin", "member"))


def test_drizzle_pg_enum_and_comment_lookalikes() -> None:
    text = """/* enum Hidden { A } */
const s = "enum Fake { B }";
export const moodEnum = pgEnum("mood", ["sad", 'ok', "happy"]);
"""
    facts = read_enum_block(text, file="f", line=1)
    assert [(e.name, e.labels) for e in facts.enums] == [("mood", ("sad", "ok", "happy"))]


def test_unreadable_member_is_reported() -> None:
    facts = read_enum_block("enum E {\n  A\n  B C D\n}\n", file="f", line=7)
    assert facts.enums[0].labels == ("A",)
    assert [(d.code, d.span.line if d.span else 0) for d in facts.diagnostics] == [("SD148", 9)]


def test_code_without_enums_gives_nothing() -> None:
    facts = read_enum_block("await prisma.user.findMany({ where: { role: 'ADMIN' } });\n", file="f", line=1)
    assert facts.enums == [] and facts.diagnostics == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("success | failure | retry | skipped", ["success", "failure", "retry", "skipped"]),
        ("Enum: `ready`, `processing`, `failed`", ["ready", "processing", "failed"]),
        ("TASK or FEEDBACK", ["TASK", "FEEDBACK"]),
        ("`PENDING`, `PROCESSING`, `COMPLETED`", ["PENDING", "PROCESSING", "COMPLETED"]),
        ("one of 'a', 'b'", ["a", "b"]),
        ("Allowed values: `draft`, `live`, or `gone`.", ["draft", "live", "gone"]),
        ("(LOW, MEDIUM, HIGH)", ["LOW", "MEDIUM", "HIGH"]),
        ('"on" | "off"', ["on", "off"]),
        ("(research/script/qa/upload/etc.)", None),
        ("`a`, `b`, ...", None),
        ("e.g. `a`, `b`", None),
        ("1-7 scale", None),
        ("read or write", None),
        ("Name or email", None),
        ("string | null", None),
        ("text | json", None),
        ("`only_one`", None),
        ("Uses `jsonb` for flexible storage", None),
        ("References `users`.`id`", None),
        ("", None),
    ],
)
def test_parse_value_list(text: str, expected: list[str] | None) -> None:
    assert parse_value_list(text) == expected


def test_seed_002_enums() -> None:
    path = seed_file(2)
    text = path.read_text()
    enums = []
    for m in re.finditer(r"^```(?:typescript|prisma)\n(.*?)^```", text, re.S | re.M):
        enums += read_enum_block(m.group(1), file=path.name, line=text.count("\n", 0, m.start(1)) + 1).enums
    by_name = {e.name: e.labels for e in enums}
    assert set(by_name) == {"UserRole", "RecordType", "RecordCategory"}
    assert by_name["UserRole"] == ("PENDING", "USER", "MANAGER", "ADMIN")
    assert by_name["RecordCategory"] == ("TOP_10", "BOTTOM_10")
