"""The foreign key probe's orphan row: a key drawn at random may belong to a row the parent
table already holds (its data, or a parent an earlier probe built). That is never reported as a
broken promise: the key is drawn again, and a table whose every drawn key is taken is untestable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from schemadoc.model import QName
from schemadoc.read import read_documents
from schemadoc.verify.probes import verify_promises
from schemadoc.verify.report import PromiseResult
from schemadoc.verify.rows import RowFactory

DOC = """# Orders

```sql
CREATE TABLE orders (
    order_id smallint PRIMARY KEY,
    placed text NOT NULL DEFAULT 'today'
);
CREATE TABLE order_lines (
    line_id integer PRIMARY KEY,
    order_id smallint NOT NULL REFERENCES orders (order_id)
);
```
"""

TAKEN = "20000"  # an order the database holds: inside the range fresh smallint keys come from


@pytest.fixture()
def orders(fresh_database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    doc = tmp_path / "orders.md"
    doc.write_text(DOC)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        for line in DOC.split("```sql\n")[1].split("```")[0].split(";"):
            if line.strip():
                conn.execute(line.encode())
        conn.execute(b"INSERT INTO orders (order_id) VALUES (20000)")
    yield fresh_database_url, doc


def _orphan_result(url: str, doc: Path, draws: list[str]) -> PromiseResult:
    """The foreign key promise's result when the orphan keys drawn are ``draws`` (then random)."""
    schema, _ = read_documents([doc])
    real = RowFactory.fresh_value
    lines = QName("public", "order_lines")

    def drawn(self: RowFactory, qname: QName, column: str) -> str | None:
        if qname == lines and column == "order_id" and draws:
            return draws.pop(0) if len(draws) > 1 else draws[0]
        return real(self, qname, column)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RowFactory, "fresh_value", drawn)
        with psycopg.connect(url) as conn:
            report = verify_promises(conn, schema)
    (result,) = [r for r in report.results if r.promise.kind == "foreign_key"]
    return result


def test_a_taken_key_is_drawn_again(orders: tuple[str, Path]) -> None:
    url, doc = orders
    result = _orphan_result(url, doc, [TAKEN, "31999"])
    assert (result.outcome, result.actual_sqlstate) == ("kept", "23503"), result
    assert "CAST('31999' AS smallint)" in result.sql, result.sql
    assert f"CAST('{TAKEN}' AS smallint)" not in result.sql


def test_keys_that_are_all_taken_leave_the_promise_untestable(orders: tuple[str, Path]) -> None:
    url, doc = orders
    result = _orphan_result(url, doc, [TAKEN])
    assert result.outcome == "untestable", result
    assert "taken by a row of public.orders" in result.reason


def test_a_missing_foreign_key_is_still_broken(orders: tuple[str, Path]) -> None:
    url, doc = orders
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(b"ALTER TABLE order_lines DROP CONSTRAINT order_lines_order_id_fkey")
    result = _orphan_result(url, doc, ["31999"])
    assert result.outcome == "broken", result
    assert "CAST('31999' AS smallint)" in result.sql, result.sql
