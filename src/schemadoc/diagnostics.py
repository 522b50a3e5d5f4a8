"""One diagnostic type for read errors, drift, lint findings and probe results."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import field
from typing import TYPE_CHECKING, Any, Literal

from schemadoc.records import record

if TYPE_CHECKING:  # the model is not loaded for commands that read no document
    from schemadoc.model import Span

Level = Literal["error", "warning", "note"]
_LEVEL_RANK = {"error": 0, "warning": 1, "note": 2}


@record
class Diagnostic:
    code: str  # stable, e.g. "SD101"
    level: Level
    message: str
    span: Span | None = None
    hint: str | None = None
    related: tuple[Span, ...] = field(default=())  # other places involved (e.g. the first definition)
    # the object a diagnostic is about, for grouping ("public.papers"); not part of its identity
    subject: str | None = field(default=None, compare=False)

    def render(self) -> str:
        where = str(self.span) if self.span else "schemadoc"
        text = f"{where}: {self.level} {self.code} {self.message}"
        for other in self.related:
            text += f"\n  see also {other}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "level": self.level, "message": self.message}
        if self.span:
            out.update(file=self.span.file, line=self.span.line, col=self.span.col)
        if self.hint:
            out["hint"] = self.hint
        if self.related:
            out["related"] = [str(s) for s in self.related]
        return out

    def github_annotation(self) -> str:
        kind = {"error": "error", "warning": "warning", "note": "notice"}[self.level]
        loc = f" file={self.span.file},line={self.span.line},col={self.span.col}" if self.span else ""
        return f"::{kind}{loc}::{self.code} {self.message}"


def sort_key(d: Diagnostic) -> tuple[str, int, int, int, str, str]:
    s = d.span
    return (
        s.file if s else "",
        s.line if s else 0,
        s.col if s else 0,
        _LEVEL_RANK[d.level],
        d.code,
        d.message,
    )


def sorted_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diags), key=sort_key)


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.level == "error" for d in diags)


def dumps(diags: Iterable[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in diags], indent=2, sort_keys=True)


class SchemadocError(Exception):
    """A failure that ends a command with exit code 2 and one clear message (no traceback)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def fail(code: str, message: str, *, span: Span | None = None, hint: str | None = None) -> SchemadocError:
    """Build the exception for a fatal problem: ``raise fail(...)``."""
    return SchemadocError(Diagnostic(code, "error", message, span, hint))


# -- declared codes -------------------------------------------------------------------------------------


@record
class Code:
    """A diagnostic code with its level and a one-line meaning (the docs list comes from these)."""

    code: str
    level: Level
    meaning: str


NOT_BUILT = Code(
    "SD030",
    "warning",
    "the document states something the reader recognises but schemadoc does not build; "
    "`--strict` makes it an error",
)
BUILT_AS_MEANT = Code(
    "SD031",
    "note",
    "the document states something in words (e.g. an auto-updated timestamp); schemadoc built the objects "
    "that make it true",
)
SYSTEM_DATABASE = Code(
    "SD530",
    "error",
    "`up` refuses to build into template0, template1, postgres or any database marked as a template",
)
OTHER_BUILD_RUNNING = Code(
    "SD531",
    "error",
    "another schemadoc process was building the same database for longer than `up` waits for it",
)
NOT_OURS = Code(
    "SD602",
    "error",
    "a database schemadoc did not create (or built from other documents) is never dropped by "
    "`up --recreate` or `down`; exit 3",
)
NOT_CONFIRMED = Code(
    "SD603",
    "error",
    "dropping a database needs confirmation: an answer on a terminal, or --yes; exit 3",
)
NO_DATABASE = Code(
    "SD604", "error", "the database `up` builds for the document does not exist on the embedded server"
)
BAD_SETTINGS = Code(
    "SD605", "error", "schemadoc.toml or [tool.schemadoc] of pyproject.toml cannot be used as settings"
)
USAGE = Code("SD606", "error", "bad command-line usage (unknown option, missing document, ...)")
SERVER_NOT_RUNNING = Code("SD607", "error", "`server url` was asked while the embedded server is not running")
OUTSIDE_REFUSED = Code(
    "SD050",
    "error",
    "`up` or `verify` refused the document: it holds operations that reach outside the database "
    "(listed with their lines); `--trust-document` builds them as written",
)
TRANSACTION_CONTROL = Code(
    "SD051",
    "warning",
    "a transaction control statement (COMMIT, ROLLBACK, PREPARE TRANSACTION...) in the document is never run: "
    "schemadoc builds the document in one transaction of its own",
)
PROBE_FAILED = Code(
    "SD705",
    "error",
    "a promise could not be tested because something failed while probing it (a lock or statement "
    "timeout, a lost connection, an unexpected error)",
)
FK_TYPE_AS_WRITTEN = Code(
    "SD240",
    "warning",
    "an SQL statement gives a foreign-key column a type other than the referenced key's; it is built as "
    "written, as PostgreSQL builds it",
)
PSQL_VARIABLE = Code(
    "SD241",
    "warning",
    "an SQL block uses psql variables (:name, :'name', :\"name\"); their values are not in the document, so "
    "the statements that use them are not read (reported once per document)",
)
TEMPLATE_MARKER = Code(
    "SD242",
    "warning",
    "an SQL block holds template markers ({{ ... }}, {% ... %}); tags are ignored and the statements that use "
    "an expression are not read (reported once per document)",
)
MIGRATION_REPLAYED = Code(
    "SD243",
    "note",
    "a statement alters, renames or drops what an earlier statement of the document created: the document is "
    "read as a migration set, replayed in order, and its final state is built (reported once per document)",
)
NOT_REPLAYED = Code(
    "SD244",
    "note",
    "SQL under a rollback heading, or after a down-migration marker, is not read; SQL under a deployment "
    "heading is read but replays no drop or rename",
)
REPLAY_TARGET_MISSING = Code(
    "SD245",
    "warning",
    "a migration step changes a column or constraint the document has not created before it; nothing is changed",
)
COLLATION_MISSING = Code(
    "SD246", "error", "drift: a collation the document creates is missing from the database"
)
COLLATION_EXTRA = Code("SD247", "error", "drift: the database has a collation the document does not create")
COLLATION_CHANGED = Code(
    "SD248", "error", "drift: a collation's provider, locale or determinism differs from the document's"
)
AGGREGATE_MISSING = Code(
    "SD249", "error", "drift: an aggregate the document creates is missing from the database"
)
AGGREGATE_EXTRA = Code("SD250", "error", "drift: the database has an aggregate the document does not create")
AGGREGATE_CHANGED = Code(
    "SD251",
    "error",
    "drift: an aggregate's state function, state type, final or combine function or initial condition differs",
)
STAND_IN_ROUTINE = Code(
    "SD260",
    "warning",
    "with --stub-missing, a function, procedure or type the document uses but never defines is built as a "
    "marked stand-in (trigger functions return NEW, other functions NULL, types are domains over text); "
    "promises that depend on it are untestable",
)
EXTENSION_MISSING = Code(
    "SD261",
    "error",
    "a column type or operator class comes from an extension the server does not have; install the "
    "extension, or pass --stub-missing to build a stand-in domain over text",
)
NAME_FOLDED = Code(
    "SD262",
    "note",
    "a table named in a heading or prose is spelt as an unquoted SQL identifier folds it (Users -> users), "
    "unless the document's SQL shows it quoted or mixed-case; reported once per document",
)
EXTENSION_TYPE = Code(
    "SD263",
    "note",
    "a column type or operator class that an extension provides (ltree, citext, hstore, vector, geometry, "
    "gin_trgm_ops...) brings its CREATE EXTENSION",
)
UNDEFINED_CALL = Code(
    "SD264",
    "error",
    "a default, check, policy, trigger condition, view or SQL function body calls a function the document "
    "never defines: schema-qualified (auth.uid()), or unqualified and not PostgreSQL's own nor a function "
    "of an extension the document uses (current_tenant_id()); --stub-missing builds a stand-in",
)
PSQL_FOOTER = Code(
    "SD280",
    "warning",
    "a psql \\d listing holds a footer line that is not understood, a footer that is not read (Partition "
    "key, Inherits, ...), or a column listing whose table is not known; each is left out with its line",
)
API_FIELD_RULE = Code(
    "SD281",
    "warning",
    "an API field table's Format or Reference cell holds a rule that is not understood; it is not read",
)
CELL_ROLE = Code(
    "SD282",
    "warning",
    "a column-table cell holds what its header does not name (a constraint under Default); it is read by "
    "what it says",
)
SQL_BULLETS = Code(
    "SD283",
    "warning",
    "an SQL fence holds column bullets (- name: type, ...) that belong to no table section; not read",
)
INDEX_EXPRESSION_PLACEHOLDER = Code(
    "SD284",
    "warning",
    "an index's key list is a generator's placeholder, (expression), not the expression itself; the index "
    "is not built",
)
ENUM_WORD_AS_TYPE = Code(
    "SD285",
    "note",
    "a column's type is the word Enum and its values are listed beside it: built as text with a CHECK of the "
    "values, since the document names no enum type",
)
LOCK_TABLE_TOO_SMALL = Code(
    "SD560",
    "error",
    "the document is too large to build in one transaction in an existing database with the server's "
    "max_locks_per_transaction; nothing was applied",
)
CONSTRAINT_NOT_VALIDATED = Code(
    "SD367",
    "error",
    "drift: a CHECK or foreign key of the document is in the database, but NOT VALID: the rows it had "
    "when it was added were never checked against it; `plan` validates it (VALIDATE CONSTRAINT, which "
    "lets writes go on)",
)
ROLE_MISSING = Code(
    "SD368",
    "error",
    "`plan`: a role the document grants to or names in a policy does not exist on the server; the plan "
    "creates it first (roles belong to the whole server), as `up` would",
)
SCRATCH_KEPT = Code(
    "SD371",
    "note",
    "the scratch database of `verify` was kept on its server for the next run of the same document "
    "(`schemadoc server clean` removes kept ones)",
)
DOCS_NO_DATABASE = Code(
    "SD820",
    "error",
    "`docs` was given no database to read: pass --database-url or set DATABASE_URL",
)
DOCS_STALE = Code(
    "SD821",
    "error",
    "`docs --check`: the document on disk is not what the database gives (or does not exist)",
)
PLAN_DESTRUCTIVE = Code(
    "SD580",
    "error",
    "`plan` left out a change with a destructive hazard (drops data, narrows a type, drops an enum value); "
    "`--allow-destructive` or `--allow HAZARD` allows it; exit 3",
)
PLAN_RENAME = Code(
    "SD581",
    "error",
    "`plan`: a table or column disappears while one of the same shape appears; reported as a probable "
    "rename, never planned as a drop and an add unless deletes-data is allowed; exit 3",
)
PLAN_WRONG_DATABASE = Code(
    "SD582",
    "error",
    "`plan`: the database shares almost none of the document's tables and holds tables of its own; "
    "probably the wrong database, so nothing is planned; exit 3",
)
PLAN_PRECHECK_ROWS = Code(
    "SD583",
    "error",
    "`plan`: existing rows would make a step fail (orphans, duplicates, NULLs, CHECK violations); the "
    "message gives the query that lists them; exit 1, and apply refuses",
)
PLAN_PRECHECK_FAILED = Code(
    "SD584",
    "error",
    "`plan`: a data pre-check could not be run (statement timeout or an error); exit 1",
)
PLAN_RESIDUE = Code(
    "SD585",
    "error",
    "`plan`: applied to a scratch copy of the live schema, the plan does not reach the document (or one of "
    "its steps fails there); a schemadoc bug, exit 70",
)
PLAN_UNPLANNED = Code(
    "SD586",
    "warning",
    "`plan`: a difference no statement repairs without a person deciding; listed, left to the user",
)
PLAN_OUTPUT = Code(
    "SD587",
    "error",
    "`plan --output DIR`: the directory cannot be written",
)
APPLY_BLOCKED_LOCK = Code(
    "SD570",
    "error",
    "`apply`: a step could not get its lock within the lock timeout on any of its attempts; the steps "
    "before it are applied, nothing of it; exit 1 (run apply again later: it re-plans from the database)",
)
APPLY_BLOCKED_DATA = Code(
    "SD571",
    "error",
    "`apply`: existing rows made a step fail (a VALIDATE, a unique build); nothing of that step is "
    "applied; exit 1",
)
APPLY_STEP_FAILED = Code(
    "SD572",
    "error",
    "`apply`: a step failed on the live database (cancelled, statement timeout, or another server "
    "error); nothing of that step is applied; exit 1",
)
APPLY_RESIDUE = Code(
    "SD573",
    "error",
    "`apply`: after the last step, planning again still finds differences; a schemadoc bug, exit 70",
)
APPLY_INVALID_INDEX = Code(
    "SD574",
    "note",
    "`apply`: an INVALID index left by an interrupted CONCURRENTLY build on a table of the document was "
    "dropped, so that the plan builds it again",
)
APPLY_NOT_CONFIRMED = Code(
    "SD575",
    "error",
    '`apply` changes a live database only after a "y" on a terminal or --yes; exit 3, nothing changed',
)
DOCS_PART_GONE = Code(
    "SD822",
    "warning",
    "`docs --update`: an object of the document is no longer in the database; its generated part is removed, "
    "the text written after it is kept",
)
DOCS_UNMARKED = Code(
    "SD823",
    "error",
    "`docs --update`: the document has no generated parts, or its schemadoc:begin/end markers do not pair",
)
CODES: dict[str, Code] = {
    c.code: c
    for c in (
        APPLY_BLOCKED_LOCK,
        APPLY_BLOCKED_DATA,
        APPLY_STEP_FAILED,
        APPLY_RESIDUE,
        APPLY_INVALID_INDEX,
        APPLY_NOT_CONFIRMED,
        PLAN_DESTRUCTIVE,
        PLAN_RENAME,
        PLAN_WRONG_DATABASE,
        PLAN_PRECHECK_ROWS,
        PLAN_PRECHECK_FAILED,
        PLAN_RESIDUE,
        PLAN_UNPLANNED,
        PLAN_OUTPUT,
        INDEX_EXPRESSION_PLACEHOLDER,
        ENUM_WORD_AS_TYPE,
        DOCS_NO_DATABASE,
        DOCS_STALE,
        DOCS_PART_GONE,
        DOCS_UNMARKED,
        NOT_BUILT,
        BUILT_AS_MEANT,
        OUTSIDE_REFUSED,
        TRANSACTION_CONTROL,
        SYSTEM_DATABASE,
        OTHER_BUILD_RUNNING,
        NOT_OURS,
        NOT_CONFIRMED,
        NO_DATABASE,
        BAD_SETTINGS,
        USAGE,
        SERVER_NOT_RUNNING,
        PROBE_FAILED,
        FK_TYPE_AS_WRITTEN,
        PSQL_VARIABLE,
        TEMPLATE_MARKER,
        MIGRATION_REPLAYED,
        NOT_REPLAYED,
        REPLAY_TARGET_MISSING,
        COLLATION_MISSING,
        COLLATION_EXTRA,
        COLLATION_CHANGED,
        AGGREGATE_MISSING,
        AGGREGATE_EXTRA,
        AGGREGATE_CHANGED,
        STAND_IN_ROUTINE,
        EXTENSION_MISSING,
        NAME_FOLDED,
        EXTENSION_TYPE,
        UNDEFINED_CALL,
        PSQL_FOOTER,
        API_FIELD_RULE,
        CELL_ROLE,
        SQL_BULLETS,
        LOCK_TABLE_TOO_SMALL,
        CONSTRAINT_NOT_VALIDATED,
        ROLE_MISSING,
        SCRATCH_KEPT,
    )
}

_NOT_BUILT_WORDS = " recognised but not built"


def not_built(construct: str, why: str, span: Span | None, hint: str) -> Diagnostic:
    """The warning for ``construct`` (a kind: "EXCLUDE constraint", "CREATE RULE"), read from the
    document but left out of the schema, with ``why`` and a ``hint`` on how to write it so it is built."""
    return Diagnostic(NOT_BUILT.code, NOT_BUILT.level, f"{construct}{_NOT_BUILT_WORDS}: {why}", span, hint)


def not_built_construct(d: Diagnostic) -> str | None:
    """The construct a :func:`not_built` warning names, or None for any other diagnostic."""
    if d.code != NOT_BUILT.code:
        return None
    return d.message.partition(_NOT_BUILT_WORDS)[0]


def strict(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """``diags`` with every "recognised, not built" warning made an error (``--strict``)."""
    return [
        Diagnostic(d.code, "error", d.message, d.span, d.hint, d.related) if d.code == NOT_BUILT.code else d
        for d in diags
    ]
