"""Comments and key columns from a document reach a real database as the model has them: COMMENT ON
beats a cell's description, the last COMMENT ON wins, and a key column stated nullable is NOT NULL."""

from __future__ import annotations

from pathlib import Path

import psycopg

from schemadoc import actions
from schemadoc.model import QName
from schemadoc.pg.introspect import introspect
from schemadoc.read import read_documents

DOC = """\
# Shop

## app.customers

| Column | Type | Constraints | Nullable | Description |
|---|---|---|---|---|
| id | bigint | PK | YES | the key |
| email | text | UNIQUE | NO | from the cell |
| note | text | | YES | kept from the cell |

```sql
COMMENT ON TABLE app.customers IS 'First word';
COMMENT ON TABLE app.customers IS 'People who buy';
COMMENT ON COLUMN app.customers.email IS 'Login address';
```
"""


def test_comments_and_key_columns_on_a_real_database(
    tmp_path: Path, database_url: str, server_url: str
) -> None:
    path = tmp_path / "shop.md"
    path.write_text(DOC)
    doc, diags = read_documents([path])
    assert not [d for d in diags if d.level == "error"]
    model = doc.tables[QName("app", "customers")]
    expected = {c.name: (c.nullable, c.comment) for c in model.columns}
    assert expected == {
        "id": (False, "the key"),
        "email": (False, "Login address"),
        "note": (True, "kept from the cell"),
    }
    assert model.comment == "People who buy"

    assert actions.build(database_url, doc, maintenance_url=server_url).applied
    with psycopg.connect(database_url) as conn:
        live = introspect(conn).tables[QName("app", "customers")]
    assert live.comment == model.comment
    assert {c.name: (c.nullable, c.comment) for c in live.columns} == expected
