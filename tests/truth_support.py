"""How close a corpus document builds to the real schema it describes, shared by
``scripts/truth_compare.py`` (prints the figures and every miss) and ``tests/test_truth_corpus.py``
(asserts that every miss is one of the documents' own omissions recorded here).

For each doc set with its truth SQL: the document is read (``--stub-missing``) and built as
``up`` builds it in one scratch database; the truth SQL is loaded into another; both are read
back with the same catalog queries, and the truth's tables, columns, types, nullability and
foreign keys are looked for on the document's side. Each miss names the document line of the
nearest thing the document says about it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from pglast import parse_sql
from pglast.enums import ObjectType
from psycopg import sql

from schemadoc.actions import build
from schemadoc.model import ForeignKey, QName, Schema, Span, Table
from schemadoc.pg.connect import with_database
from schemadoc.pg.introspect import introspect
from schemadoc.read import read_documents

from corpus_support import raw_statements

# Goals of the issue: share of the truth found in the built document.
GOALS: dict[str, float] = {"tables": 98.0, "columns": 98.0, "types": 95.0, "nullability": 95.0, "fks": 95.0}
# Also measured, with no goal of the issue: of the foreign keys found, those whose ON DELETE /
# ON UPDATE / MATCH / DEFERRABLE agree with the truth's.
MEASURES = (*GOALS, "fk_rules")

# A Supabase project's own schema, which a migration set uses but never creates: just what the
# truth files here refer to (auth.users, auth.uid()), so that the rest of them load.
SUPABASE_SHIM = (
    'CREATE EXTENSION IF NOT EXISTS "uuid-ossp"',
    "CREATE SCHEMA auth",
    "CREATE TABLE auth.users (id uuid PRIMARY KEY, email text, raw_user_meta_data jsonb)",
    "CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS 'SELECT NULL::uuid'",
)


@dataclass(frozen=True)
class TruthSet:
    """A doc set of the corpus index and the SQL file(s) of the real schema it documents."""

    label: str
    pattern: str  # glob under corpus/docs
    truth: tuple[str, ...]  # files under corpus/sql, loaded in this order
    shim: tuple[str, ...] = ()  # statements run first: what the truth uses but does not create
    # the truth's own statements in the order they are written do not load (files of migrations
    # whose order is unknown): retry the failed ones while any more succeed
    reorder: bool = False
    why: str = ""


TRUTH_SETS: tuple[TruthSet, ...] = (
    TruthSet("D1", "k1LoW__tbls__sample__postgres__*.md", ("k1LoW__tbls__testdata__ddl__postgres.sql",)),
    TruthSet(
        "D2",
        "MarquezProject__marquez__dbdoc__*.md",
        ("MarquezProject__marquez__api__src__main__resources__marquez__db__migration__ALL_at_fe774b47.sql",),
    ),
    TruthSet(
        "D13", "lkania__Haskitter__util__db__README.md", ("lkania__Haskitter__util__db__pg_haskitter.sql",)
    ),
    TruthSet(
        "D14",
        "MigzCtrl__TireOps__supabase__SCHEMA.md",
        ("MigzCtrl__TireOps__supabase-schema_plus_migrations_ALL.sql",),
        shim=SUPABASE_SHIM,
        reorder=True,
        why="a Supabase project (auth schema) whose migrations' order is not recorded",
    ),
    TruthSet(
        "D15",
        "AWLL-inc__work-management__docs__database__schema.md",
        ("AWLL-inc__work-management__drizzle__migrations__ALL.sql",),
    ),
)


@dataclass(frozen=True)
class Omission:
    """A miss that is the document's own: it never says what the truth has. ``subject`` is a
    miss's subject, or a table whose every miss (columns, foreign keys) it explains."""

    measure: str
    subject: str
    why: str

    def explains(self, miss: Miss) -> bool:
        if self.measure == "tables":
            return miss.subject == self.subject or miss.subject.startswith(
                (f"{self.subject}.", f"{self.subject}(")
            )
        return miss.measure == self.measure and miss.subject == self.subject


def _each(measure: str, subjects: str, why: str) -> tuple[Omission, ...]:
    return tuple(Omission(measure, s, why) for s in subjects.split())


# Every miss of the sets above, read against the document by hand: none is a reader's gap.
OMISSIONS: dict[str, tuple[Omission, ...]] = {
    "D1": _each(
        "tables",
        "public.user_access_logs",
        "the tbls sample leaves this table out: no page, not in the README's table list",
    ),
    "D13": (
        *_each(
            "nullability",
            "public.users.email public.users.name public.users.password public.users.created_at "
            "public.posts.message public.posts.user_id public.posts.created_at public.relationships.created_at",
            "the transposed table gives each column's type and [PK], never NOT NULL",
        ),
        *_each(
            "fks",
            "public.relationships(follower_id)->public.users(id) public.relationships(followed_id)->public.users(id)",
            "the Relationships notes give indexes on these columns, no foreign key",
        ),
        *_each(
            "fk_rules",
            "public.posts(user_id)->public.users(id)",
            "the note gives the reference, not its ON DELETE CASCADE",
        ),
    ),
    "D14": (
        *_each("tables", "public.webhook_events", "a later migration's table; the document never names it"),
        *_each(
            "columns",
            "public.shops.stripe_customer_id public.shops.subscription_id public.shops.subscription_status "
            "public.shops.subscription_tier public.shops.subscription_current_period_end",
            "billing columns a later migration adds; the shops table of the document lists none",
        ),
        *_each(
            "columns", "public.inventory.description", "the document's inventory table has no description"
        ),
        *_each(
            "nullability",
            "public.customers.created_at public.customers.updated_at public.inventory.created_at "
            "public.inventory.updated_at public.tasks.created_at public.tasks.updated_at "
            "public.work_orders.created_at public.work_orders.updated_at",
            "the document says only DEFAULT NOW(); the truth adds NOT NULL",
        ),
        *_each(
            "nullability",
            "public.work_orders.customer_id",
            "the document says REFERENCES ... ON DELETE SET NULL without NOT NULL; the truth has NOT NULL",
        ),
        *_each(
            "nullability",
            "public.profiles.shop_id",
            "the document says NOT NULL; the migrations never set it (the document is the stricter spec)",
        ),
        *_each(
            "fk_rules",
            "public.work_orders(customer_id)->public.customers(id)",
            "the document says ON DELETE SET NULL; the truth's first schema file has ON DELETE CASCADE",
        ),
    ),
    "D15": _each(
        "types",
        "public.accounts.type public.accounts.provider public.accounts.provider_account_id "
        "public.accounts.token_type public.accounts.scope public.accounts.session_state public.projects.name "
        "public.sessions.session_token public.team_members.role public.teams.name public.users.name "
        "public.users.email public.users.image public.users.password_hash public.users.role "
        "public.users.password_reset_token public.verification_tokens.identifier public.verification_tokens.token "
        "public.work_categories.name public.work_logs.hours",
        "the document writes VARCHAR without the length the truth gives",
    )
    + _each(
        "fk_rules",
        "public.accounts(user_id)->public.users(id) public.sessions(user_id)->public.users(id) "
        "public.team_members(team_id)->public.teams(id) public.team_members(user_id)->public.users(id) "
        "public.work_logs(category_id)->public.work_categories(id) "
        "public.work_logs(project_id)->public.projects(id) public.work_logs(user_id)->public.users(id)",
        "the foreign key lists give column -> table(column), never ON DELETE",
    ),
}


def explained(label: str, miss: Miss) -> Omission | None:
    return next((o for o in OMISSIONS.get(label, ()) if o.explains(miss)), None)


# The doc sets the issue asks to build, with or without a truth to compare with.
BUILD_SETS: dict[str, str] = {
    **{ts.label: ts.pattern for ts in TRUTH_SETS},
    "D16": "AsherMorse__EmberOne__docs__database__schema.md",
    "D19": "Hankanman__postgres-to-docs__docs__markdown__architecture__schema.md",
    "D20": "vokal__pg-table-markdown__SAMPLE_TABLES.md",
}


def doc_paths(corpus: Path, pattern: str) -> list[Path]:
    return sorted((corpus / "docs").glob(pattern))


@dataclass(frozen=True)
class Miss:
    measure: str  # one of MEASURES
    subject: str  # table, table.column, or the foreign key
    detail: str  # what the truth has and what the document built
    where: Span | None  # the document's nearest word on it


@dataclass
class Figures:
    label: str
    found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MEASURES, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MEASURES, 0))
    misses: list[Miss] = field(default_factory=list)
    extra_tables: list[str] = field(default_factory=list)  # built from the document, not in the truth
    truth_not_loaded: list[str] = field(default_factory=list)  # first line of each statement that failed

    def percent(self, measure: str) -> float:
        total = self.total[measure]
        return 100.0 if total == 0 else 100.0 * self.found[measure] / total

    def below_goal(self) -> list[str]:
        return [m for m in GOALS if self.percent(m) < GOALS[m]]


# -- databases ---------------------------------------------------------------------------------------------


@contextmanager
def scratch(server_url: str, prefix: str) -> Iterator[str]:
    """A database name on the server (not yet created); dropped afterwards, whoever created it."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def build_document(server_url: str, dbname: str, paths: Sequence[Path]) -> tuple[Schema, list[str]]:
    """Build the document in ``dbname`` as ``up --stub-missing`` does: its model and the roles the
    build created (the caller drops them)."""
    doc, diags = read_documents(paths, stub_missing=True)
    errors = [d.render() for d in diags if d.level == "error"]
    if errors:
        raise AssertionError("the document does not build:\n" + "\n".join(errors))
    result = build(with_database(server_url, dbname), doc, maintenance_url=server_url)
    return doc, result.roles_created


def drop_roles(server_url: str, roles: Sequence[str]) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        for role in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def load_truth(server_url: str, dbname: str, corpus: Path, ts: TruthSet) -> tuple[set[QName], list[str]]:
    """Load the truth into a new database ``dbname``: the tables the shim made (not part of the
    comparison) and the statements that did not load."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    url = with_database(server_url, dbname)
    statements = [s for name in ts.truth for s in raw_statements(corpus / "sql" / name)]
    with psycopg.connect(url, autocommit=True) as conn:
        available = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions").fetchall()}
        shim = list(ts.shim)
        if "uuid-ossp" not in available and "uuid-ossp" in _extensions(shim, statements):
            # only its uuid_generate_v4() is used: the same from PostgreSQL's own, so the rest loads
            shim = [*_without_extension(shim, "uuid-ossp"), UUID_V4_STAND_IN]
            statements = _without_extension(statements, "uuid-ossp")
        lacking = sorted(_extensions(shim, statements) - available)
        if lacking:
            raise TruthUnavailable(
                f"{ts.label}: the truth needs extensions this server lacks: {', '.join(lacking)}"
            )
        for statement in shim:
            conn.execute(statement.encode("utf-8"), prepare=False)
        shim_tables = set(introspect(conn).tables)
        failed = _run_all(conn, statements, retry=ts.reorder)
    return shim_tables, failed


class TruthUnavailable(Exception):
    """The truth SQL cannot load on this server (an extension it needs is not installed)."""


UUID_V4_STAND_IN = (
    "CREATE FUNCTION public.uuid_generate_v4() RETURNS uuid LANGUAGE sql AS 'SELECT gen_random_uuid()'"
)


def _without_extension(statements: Sequence[str], name: str) -> list[str]:
    """``statements`` without the CREATE EXTENSION and DROP EXTENSION of extension ``name``."""
    kept: list[str] = []
    for statement in statements:
        stmt = parse_sql(statement)[0].stmt
        kind = type(stmt).__name__
        if kind == "CreateExtensionStmt" and stmt.extname == name:
            continue
        dropped = (
            stmt.objects or ()
            if kind == "DropStmt" and stmt.removeType == ObjectType.OBJECT_EXTENSION
            else ()
        )
        if any(_dropped_name(o) == name for o in dropped):
            continue
        kept.append(statement)
    return kept


def _dropped_name(obj: object) -> str | None:
    sval = getattr(obj, "sval", None)
    return sval if isinstance(sval, str) else None


def _extensions(*groups: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for statements in groups:
        for statement in statements:
            for raw in parse_sql(statement):
                stmt = raw.stmt
                if type(stmt).__name__ == "CreateExtensionStmt":
                    found.add(stmt.extname)
    return found


def _run_all(conn: psycopg.Connection[object], statements: Sequence[str], *, retry: bool) -> list[str]:
    pending = list(statements)
    while True:
        failed: list[str] = []
        for statement in pending:
            try:
                conn.execute(statement.encode("utf-8"), prepare=False)
            except psycopg.Error:
                if not retry:
                    raise
                failed.append(statement)
        if not failed or len(failed) == len(pending):
            return [_first_line(s) for s in failed]
        pending = failed


def _first_line(statement: str) -> str:
    lines = [ln.strip() for ln in statement.splitlines() if ln.strip() and not ln.strip().startswith("--")]
    return lines[0] if lines else statement.strip()


def read_back(server_url: str, dbname: str) -> Schema:
    with psycopg.connect(with_database(server_url, dbname)) as conn:
        return introspect(conn)


# -- comparison --------------------------------------------------------------------------------------------


def _fold(q: QName) -> QName:
    return QName(q.schema, q.name.casefold())


def _fk_key(fk: ForeignKey) -> tuple[tuple[str, ...], QName, tuple[str, ...]]:
    return (fk.columns, fk.ref_table, fk.ref_columns)


def _fk_text(table: QName, fk: ForeignKey) -> str:
    return f"{table}({', '.join(fk.columns)})->{fk.ref_table}({', '.join(fk.ref_columns)})"


def compare(label: str, doc: Schema, built: Schema, truth: Schema, shim_tables: set[QName]) -> Figures:
    """The truth's tables, columns, types, nullability and foreign keys looked for in ``built``
    (the document as built); ``doc`` (the document as read) gives each miss its line."""
    fig = Figures(label)
    truth_tables = {q: t for q, t in truth.tables.items() if q not in shim_tables}
    built_tables = {q: t for q, t in built.tables.items() if not _is_stand_in(doc, q)}
    fig.extra_tables = sorted(str(q) for q in built_tables if q not in truth_tables)
    for q, ttab in sorted(truth_tables.items()):
        fig.total["tables"] += 1
        btab = built_tables.get(q)
        if btab is None:
            fig.misses.append(Miss("tables", str(q), "not in the document", _nearest_table(doc, q)))
            fig.total["columns"] += len(ttab.columns)
            fig.total["fks"] += len(ttab.foreign_keys)
            for col in ttab.columns:
                fig.misses.append(
                    Miss("columns", f"{q}.{col.name}", "its table is not in the document", None)
                )
            for fk in ttab.foreign_keys:
                fig.misses.append(Miss("fks", _fk_text(q, fk), "its table is not in the document", None))
            continue
        fig.found["tables"] += 1
        _compare_table(fig, q, ttab, btab, doc.tables.get(q))
    return fig


def _is_stand_in(doc: Schema, q: QName) -> bool:
    t = doc.tables.get(q)
    return t is not None and t.stub


def _nearest_table(doc: Schema, q: QName) -> Span | None:
    """Where the document has a table of that name in another spelling or schema."""
    for other, t in doc.tables.items():
        if other.name.casefold() == q.name.casefold():
            return t.span
    view = doc.views.get(q)
    return view.span if view is not None else None


def _compare_table(fig: Figures, q: QName, ttab: Table, btab: Table, dtab: Table | None) -> None:
    table_span = dtab.span if dtab is not None else None
    for tcol in ttab.columns:
        fig.total["columns"] += 1
        subject = f"{q}.{tcol.name}"
        bcol = btab.column(tcol.name)
        if bcol is None:
            fig.misses.append(Miss("columns", subject, "not in the document's table", table_span))
            continue
        fig.found["columns"] += 1
        dcol = dtab.column(tcol.name) if dtab is not None else None
        span = (dcol.span if dcol is not None else None) or table_span
        fig.total["types"] += 1
        if bcol.type == tcol.type:
            fig.found["types"] += 1
        else:
            said = f" (written {dcol.type!r})" if dcol is not None and dcol.type != bcol.type else ""
            fig.misses.append(Miss("types", subject, f"truth {tcol.type}, document {bcol.type}{said}", span))
        fig.total["nullability"] += 1
        if bcol.nullable == tcol.nullable:
            fig.found["nullability"] += 1
        else:
            fig.misses.append(Miss("nullability", subject, _null_text(tcol.nullable, bcol.nullable), span))
    built_fks = {_fk_key(fk): fk for fk in btab.foreign_keys}
    for fk in ttab.foreign_keys:
        fig.total["fks"] += 1
        built_fk = built_fks.get(_fk_key(fk))
        if built_fk is None:
            fig.misses.append(Miss("fks", _fk_text(q, fk), "not in the document", table_span))
            continue
        fig.found["fks"] += 1
        fig.total["fk_rules"] += 1
        if _fk_rules(built_fk) == _fk_rules(fk):
            fig.found["fk_rules"] += 1
        else:
            detail = f"truth {_fk_rules(fk)}, document {_fk_rules(built_fk)}"
            fig.misses.append(Miss("fk_rules", _fk_text(q, fk), detail, _fk_span(dtab, fk) or table_span))


def _fk_rules(fk: ForeignKey) -> str:
    words = [f"ON DELETE {fk.on_delete}", f"ON UPDATE {fk.on_update}"]
    words += ["MATCH FULL"] if fk.match_full else []
    words += ["DEFERRABLE"] if fk.deferrable else []
    words += ["INITIALLY DEFERRED"] if fk.initially_deferred else []
    return " ".join(words)


def _fk_span(dtab: Table | None, fk: ForeignKey) -> Span | None:
    if dtab is None:
        return None
    found = next((f for f in dtab.foreign_keys if f.columns == fk.columns), None)
    return found.span if found is not None else None


def _null_text(truth_nullable: bool, doc_nullable: bool) -> str:
    def word(nullable: bool) -> str:
        return "NULL" if nullable else "NOT NULL"

    return f"truth {word(truth_nullable)}, document {word(doc_nullable)}"


# -- one set, end to end -----------------------------------------------------------------------------------


def measure_set(server_url: str, corpus: Path, ts: TruthSet) -> Figures:
    """Build the document and load the truth on the server of ``server_url``; compare them.
    Both databases (and the roles the document's build made) are dropped afterwards."""
    paths = doc_paths(corpus, ts.pattern)
    if not paths:
        raise FileNotFoundError(f"{ts.label}: no documents match {ts.pattern}")
    with scratch(server_url, f"truth_{ts.label.lower()}_doc") as doc_db:
        doc, roles = build_document(server_url, doc_db, paths)
        try:
            built = read_back(server_url, doc_db)
            with scratch(server_url, f"truth_{ts.label.lower()}_sql") as truth_db:
                shim_tables, failed = load_truth(server_url, truth_db, corpus, ts)
                truth = read_back(server_url, truth_db)
        finally:
            # the databases first: a role goes only when nothing uses it
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(doc_db))
                )
            drop_roles(server_url, roles)
    fig = compare(ts.label, doc, built, truth, shim_tables)
    fig.truth_not_loaded = failed
    return fig


def each_set(
    server_url: str, corpus: Path, labels: Sequence[str] = (), progress: Callable[[str], None] | None = None
) -> Iterator[Figures]:
    for ts in TRUTH_SETS:
        if labels and ts.label not in labels:
            continue
        if progress is not None:
            progress(ts.label)
        yield measure_set(server_url, corpus, ts)
