"""Rows the probes build for columns that need more than a plain value: a NOT NULL domain, a
NULLS NOT DISTINCT key, a range, a CHECK that compares a text with its lower case, and a key
of a partitioned table, whose duplicate is caught in a partition."""

from __future__ import annotations

from pathlib import Path

import pytest
from apply_support import cli

from conftest import _with_dbname

DOC = """# Rooms

```sql
CREATE DOMAIN posint AS integer NOT NULL DEFAULT 1 CHECK (VALUE > 0);
CREATE TABLE people (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    score posint,
    CONSTRAINT email_lower CHECK (email = lower(email))
);
CREATE TABLE rooms (id integer PRIMARY KEY, name text UNIQUE NULLS NOT DISTINCT);
CREATE TABLE bookings (
    id integer PRIMARY KEY,
    room_id integer NOT NULL REFERENCES rooms (id),
    person_id bigint REFERENCES people (id) ON DELETE SET NULL,
    during tstzrange NOT NULL,
    days daterange,
    seats int4range
);
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
```
"""


def test_each_promise_finds_a_row(
    tmp_path: Path, new_database_name: str, server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(DOC, encoding="utf-8")
    url = _with_dbname(server_url, new_database_name)
    code, out = cli(capsys, "up", str(doc), "--database-url", url)
    results = {r["description"]: r for r in out["promises"]["results"]}
    untested = {d: (r["outcome"], r["reason"]) for d, r in results.items() if r["outcome"] != "kept"}
    # NOT NULL on a partition key cannot be tried through the parent: the row finds no partition
    assert untested == {
        "public.events.at is NOT NULL": (
            "untestable",
            'the row with NULL failed for another reason: 23514: no partition of relation "events" found for row',
        )
    }
    assert code == 0
    for promise in (
        "CHECK (email = lower(email)) on public.people",  # needs a text with capitals
        "unique on public.rooms(name) rejects duplicates",  # two NULL names are a duplicate
        "public.bookings(room_id) references public.rooms(id)",  # rows with a range each
        "primary key on public.events(id, at) rejects duplicates",  # caught as events_2026_pkey
        "public.people.id is NOT NULL",  # a row of people: its score takes the domain's default
    ):
        assert results[promise]["outcome"] == "kept", promise
