"""Table names written in headings and prose fold like unquoted SQL identifiers."""

from __future__ import annotations

from pathlib import Path

import psycopg

from schemadoc.actions import structure_drift
from schemadoc.model import QName
from schemadoc.read import read_documents

DOC = """# Accounts

### Users

| Column | Type | Constraints |
|---|---|---|
| id | bigint | PRIMARY KEY |
| email | text | NOT NULL |

### Orders

| Column | Type | Constraints |
|---|---|---|
| id | bigint | PRIMARY KEY |
| user_id | bigint | NOT NULL, REFERENCES users(id) |

```sql
CREATE VIEW user_emails AS SELECT id, email FROM users;
```
"""

BUILT_FROM = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id));
CREATE VIEW user_emails AS SELECT id, email FROM users;
"""


def _doc(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(text)
    return path


def test_heading_names_fold_and_the_choice_is_noted_once(tmp_path: Path) -> None:
    schema, diags = read_documents([_doc(tmp_path, DOC)])
    assert sorted(schema.tables) == [QName("public", "orders"), QName("public", "users")]
    notes = [d for d in diags if d.code == "SD262"]
    assert len(notes) == 1
    assert notes[0].span is not None and notes[0].span.line == 5  # the table under the heading
    assert "Users -> users" in notes[0].message


def test_a_quoted_spelling_in_the_sql_wins(tmp_path: Path) -> None:
    text = DOC.replace("FROM users;", 'FROM "Users";').replace("REFERENCES users(id)", "REFERENCES Users(id)")
    text += '\n```sql\nCREATE INDEX users_email ON "Users" (email);\n```\n'
    schema, diags = read_documents([_doc(tmp_path, text)])
    assert QName("public", "Users") in schema.tables
    assert QName("public", "orders") in schema.tables
    assert [d.message for d in diags if d.code == "SD262"] == [
        "table names written in headings and prose are read as unquoted SQL identifiers: Orders -> orders"
    ]


def test_heading_users_verifies_clean_against_the_sql_users(
    tmp_path: Path, fresh_database_url: str, server_url: str
) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(BUILT_FROM)
    schema, _ = read_documents([_doc(tmp_path, DOC)])
    drift = structure_drift(fresh_database_url, server_url, schema)
    assert [d.render() for d in drift if d.level in ("error", "warning")] == []
