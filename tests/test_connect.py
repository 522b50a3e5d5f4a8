"""Connections: session settings, notices, database switching, one-line failures without passwords."""

from __future__ import annotations

import socket
import uuid

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schemadoc.diagnostics import SchemadocError
from schemadoc.pg.connect import connect, create_database, notices, redact, server_version, with_database

SECRET = "s3cr3t-Pw"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _failure(url: str) -> SchemadocError:
    with pytest.raises(SchemadocError) as info:
        connect(url, connect_timeout=3)
    return info.value


def _assert_one_line_without_secret(err: SchemadocError, *secrets: str) -> None:
    rendered = err.diagnostic.render()
    assert "\n" not in err.diagnostic.message
    assert err.diagnostic.hint
    for secret in secrets:
        assert secret not in rendered
    assert "Traceback" not in rendered


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://app:hunter2@db.example:5432/prod", "postgresql://app:***@db.example:5432/prod"),
        ("postgres://app@db.example/prod", "postgres://app@db.example/prod"),
        ("postgresql://app:p%40ss:w@h1:5432,h2:5433/db", "postgresql://app:***@h1:5432,h2:5433/db"),
        ("postgresql://app:p@ss@host/db", "postgresql://app:***@host/db"),
        ("postgresql://app:pa?ss@host/db", "postgresql://app:***@host/db"),
        (
            "postgresql://host/db?user=app&password=hunter2&sslmode=require",
            "postgresql://host/db?user=app&password=***&sslmode=require",
        ),
        ("host=db user=app password=hunter2 dbname=prod", "host=db user=app password=*** dbname=prod"),
        ("host=db password = 'two words' dbname=prod", "host=db password = *** dbname=prod"),
        ("host=db password='it\\'s' dbname=prod", "host=db password=*** dbname=prod"),
        ("host=/tmp dbname=prod", "host=/tmp dbname=prod"),
        # written like a URL with a mistyped scheme, or none: the password is hidden all the same
        ("postgresq://app:hunter2@db.example/prod", "postgresq://app:***@db.example/prod"),
        ("postgresql:/app:hunter2@db.example/prod", "postgresql:/app:***@db.example/prod"),
        ("app:hunter2@db.example/prod", "app:***@db.example/prod"),
    ],
)
def test_redact_hides_passwords_in_every_form(url: str, expected: str) -> None:
    assert redact(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@/postgres?host=/tmp/sock&port=5432",
        "postgresql://u:pw@127.0.0.1:5432/postgres",
        "postgresql://u:pw@127.0.0.1:5432/postgres?sslmode=disable&dbname=postgres",
        "postgresql://u@h1:5432,h2:5433",
        "host=127.0.0.1 port=5432 user=u password=pw dbname=postgres",
        "host=127.0.0.1 user=u",
    ],
)
def test_with_database_changes_only_the_database(url: str) -> None:
    before = conninfo_to_dict(url)
    out = with_database(url, "my db/ü")
    after = conninfo_to_dict(out)
    assert after.pop("dbname") == "my db/ü"
    before.pop("dbname", None)
    assert after == before
    assert out.startswith("postgresql://") == url.startswith("postgresql://")


def test_with_database_reaches_the_other_database(server_url: str, database_url: str) -> None:
    with connect(database_url) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
    assert name is not None
    with connect(with_database(server_url, name[0])) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == name


def test_session_settings_and_notices(database_url: str) -> None:
    with connect(database_url) as conn:
        row = conn.execute(
            "SELECT current_setting('application_name'), current_setting('lock_timeout'),"
            " current_setting('statement_timeout')"
        ).fetchone()
        assert row == ("schemadoc", "10s", "5min")
        conn.execute("DROP TABLE IF EXISTS no_such_table_here")
        assert any("no_such_table_here" in n and n.startswith("NOTICE") for n in notices(conn))
        assert server_version(conn) == int(conn.execute("SHOW server_version_num").fetchone()[0])  # type: ignore[index]
        assert server_version(conn) >= 130000


def test_options_in_the_url_win_over_defaults(database_url: str) -> None:
    url = make_conninfo(database_url, options="-c lock_timeout=1500ms")
    with connect(url, application_name="other") as conn:
        row = conn.execute(
            "SELECT current_setting('lock_timeout'), current_setting('statement_timeout'),"
            " current_setting('application_name')"
        ).fetchone()
    assert row == ("1500ms", "5min", "other")


def test_unreachable_port_is_one_line_without_password() -> None:
    port = _free_port()
    err = _failure(f"postgresql://postgres:{SECRET}@127.0.0.1:{port}/postgres")
    assert err.diagnostic.code == "SD510"
    assert f"postgresql://postgres:***@127.0.0.1:{port}/postgres" in err.diagnostic.message
    assert "Connection refused" in err.diagnostic.message
    _assert_one_line_without_secret(err, SECRET)


def test_missing_socket_is_unreachable(tmp_path: object) -> None:
    err = _failure(f"host=/nonexistent-schemadoc-dir port=5432 user=postgres password={SECRET}")
    assert err.diagnostic.code == "SD510"
    assert "password=***" in err.diagnostic.message
    _assert_one_line_without_secret(err, SECRET)


def test_unknown_host_is_unreachable() -> None:
    err = _failure(f"postgresql://postgres:{SECRET}@no-such-host.invalid/postgres")
    assert err.diagnostic.code == "SD510"
    _assert_one_line_without_secret(err, SECRET)


def test_missing_database_names_it(server_url: str) -> None:
    url = make_conninfo(with_database(server_url, "sd_no_such_db_1f3a"), password=SECRET)
    err = _failure(url)
    assert err.diagnostic.code == "SD512"
    assert "'sd_no_such_db_1f3a' does not exist" in err.diagnostic.message
    _assert_one_line_without_secret(err, SECRET)


def test_unknown_role_is_a_login_failure(server_url: str) -> None:
    err = _failure(make_conninfo(server_url, user="sd_no_such_role_9c1e", password=SECRET))
    assert err.diagnostic.code == "SD511"
    assert "sd_no_such_role_9c1e" in err.diagnostic.message
    _assert_one_line_without_secret(err, SECRET)


@pytest.mark.parametrize(
    "url",
    [
        "host=db password=sekrit1 sekrit2 dbname=x",
        "postgresql://app:sekrit1%zzsekrit2@db/x",
        "host=db password='sekrit1 sekrit2",
        "postgresq://app:sekrit1-sekrit2@db/x",
        "app:sekrit1-sekrit2@db/x",
    ],
)
def test_invalid_connection_string_never_echoes_the_password(url: str) -> None:
    err = _failure(url)
    assert err.diagnostic.code == "SD515"
    _assert_one_line_without_secret(err, "sekrit1", "sekrit2")


def test_create_database_reports_whether_it_was_new(server_url: str) -> None:
    name = f"sd_create_{uuid.uuid4().hex[:8]}"
    try:
        assert create_database(server_url, name) is True
        assert create_database(server_url, name) is False
        with connect(with_database(server_url, name)) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (name,)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def test_create_database_without_privilege_is_refused_clearly(server_url: str) -> None:
    role = f"sd_nocreate_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOCREATEDB").format(sql.Identifier(role)))
    try:
        with pytest.raises(SchemadocError) as info:
            create_database(make_conninfo(server_url, user=role), f"sd_denied_{uuid.uuid4().hex[:8]}")
        diag = info.value.diagnostic
        assert diag.code == "SD513"
        assert role in diag.message
        assert diag.hint and "CREATEDB" in diag.hint
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
