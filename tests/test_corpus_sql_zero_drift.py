"""Real SQL files, read and built the way PostgreSQL builds them: zero drift.

For each corpus SQL file that loads on PostgreSQL as it is, the file is loaded raw into one
database, wrapped in one ```sql fence as a document, built by ``up`` into another database, and
``verify --structure`` of the document against the raw-loaded database must find nothing.
Skips when ../shared is absent, and for a file whose extensions the server lacks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg import errors

from schemadoc.cli import main

from conftest import CORPUS, scratch_database
from corpus_support import load_raw

SQL = CORPUS / "sql"

FILES = {
    "tbls": "k1LoW__tbls__testdata__ddl__postgres.sql",
    "chinook": "lerocha__chinook-database__ChinookDatabase__DataSources__Chinook_PostgreSql.sql",
    "northwind": "pthom__northwind_psql__northwind.sql",
    "haskitter": "lkania__Haskitter__util__db__pg_haskitter.sql",
    "drizzle": "AWLL-inc__work-management__drizzle__migrations__ALL.sql",
    "eccube": "EC-CUBE__ec-cube2__html__install__sql__create_table_pgsql.sql",
    "salon": "harytri87__harytri87.github.io__catatan-belajar__i-test-salon-appointment-scheduler__salon.sql",
    "marquez": "MarquezProject__marquez__api__src__main__resources__marquez__db__migration__ALL_at_fe774b47.sql",
    "synapse": "element-hq__synapse__synapse__storage__schema__main__full_schemas__72__full.sql.postgres",
    "danbooru": "danbooru__danbooru__db__structure.sql",
    "opensauced": "open-sauced__api__migrations__ALL_at_428a51db.sql",
    "dailp": "NEU-DSG__dailp-encoding__types__migrations__ALL_at_3e73a6da.sql",
    "philomena": "philomena-dev__philomena__priv__repo__structure.sql",
}
# Files that do not reach zero drift yet, and why (strict xfail: the test fails once they pass). Marquez,
# open-sauced and dailp are migration sets: they are replayed in order (read/sql_replay.py).
NOT_YET: dict[str, str] = {}


def _cases() -> list[object]:
    return [
        pytest.param(label, marks=pytest.mark.xfail(strict=True, reason=NOT_YET[label]))
        if label in NOT_YET
        else label
        for label in FILES
    ]


@pytest.fixture()
def raw_database(server_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database holding the file's SQL loaded as it is."""
    path = SQL / FILES[request.node.callspec.params["label"]]
    if not path.is_file():
        pytest.skip(f"{path.name} is not present")
    with scratch_database(server_url) as url:
        try:
            load_raw(url, path)
        except (errors.FeatureNotSupported, errors.UndefinedFile) as exc:
            # an extension this server was built without (the embedded server has few)
            pytest.skip(f"{path.name} needs what this server lacks: {exc}")
        except errors.UndefinedObject as exc:
            if "configuration parameter" not in str(exc):
                raise
            # a setting newer than this server (pg_dump 18 writes SET transaction_timeout)
            pytest.skip(f"{path.name} needs a newer server: {exc}")
        yield url


def _document(path: Path, tmp_path: Path) -> Path:
    doc = tmp_path / f"{path.stem}.md"
    doc.write_text("```sql\n" + path.read_text(encoding="utf-8") + "\n```\n", encoding="utf-8")
    return doc


@pytest.mark.parametrize("label", _cases())
def test_sql_file_builds_with_zero_drift_against_its_raw_load(
    label: str,
    raw_database: str,
    server_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = _document(SQL / FILES[label], tmp_path)
    with scratch_database(server_url) as built_url:
        capsys.readouterr()
        up = main(["up", str(doc), "--structure", "--database-url", built_url])
        up_output = capsys.readouterr()
        assert up == 0, up_output.out + up_output.err
    verify = main(["verify", str(doc), "--structure", "--format", "json", "--database-url", raw_database])
    payload = json.loads(capsys.readouterr().out)
    errors_found = [f"{d['code']} {d['message']}" for d in payload["diagnostics"] if d["level"] == "error"]
    assert errors_found == []
    assert verify == 0
