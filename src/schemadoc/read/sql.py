"""The reader for SQL blocks: pglast's parse tree -> document facts.

One ``parse_sql_json`` call reads a whole block. Expressions (defaults, CHECKs,
index keys and predicates, view bodies) are cut from the source text at the
positions the tree gives, so they read exactly as the document wrote them.
When the block has a syntax error, it is split at top-level semicolons and each
statement is read on its own: one bad statement costs only itself.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from pglast.parser import ParseError, parse_sql_json, split

from schemadoc.diagnostics import PSQL_VARIABLE, TEMPLATE_MARKER, TRANSACTION_CONTROL, Diagnostic
from schemadoc.model import Span
from schemadoc.read import reader_errors_raise, sql_parse_ahead, sql_replay, sql_replay_rename
from schemadoc.read.facts import DocFacts
from schemadoc.read.sql_do_block import do_body, schema_statements
from schemadoc.read.sql_kinds import read_aggregate, read_collation
from schemadoc.read.sql_misc import (
    read_alter_sequence,
    read_comment,
    read_composite,
    read_domain,
    read_enum,
    read_extension,
    read_grant,
    read_policy,
    read_range,
    read_role,
    read_schema,
    read_sequence,
)
from schemadoc.read.sql_nodes import SKIP_CODE, Json, Stmt, def_bool, def_elems, unwrap
from schemadoc.read.sql_objects import (
    read_bare_select,
    read_function,
    read_index,
    read_matview,
    read_trigger,
    read_view,
)
from schemadoc.read.sql_placeholders import Placeholder, blank_placeholders
from schemadoc.read.sql_search_path import path_from_statement, qualify_statement
from schemadoc.read.sql_source import SqlSource, strip_meta_commands
from schemadoc.read.sql_tables import read_alter_table, read_create_table

SYNTAX_CODE = "SD001"
READER_CODE = "SD002"
OUTSIDE_CODE = "SD041"  # warning: a statement that reaches outside the database is never run
TRANSACTION_CODE = TRANSACTION_CONTROL.code  # warning: transaction control is never run

Reader = Callable[[Stmt, Json], None]


def _alter(stmt: Stmt, node: Json) -> None:
    if node.get("objtype", "OBJECT_TABLE") == "OBJECT_TABLE":
        read_alter_table(stmt, node)
        return
    subs = {c.get("AlterTableCmd", {}).get("subtype", "") for c in node.get("cmds") or ()}
    if subs <= _ENVIRONMENT_SUBCOMMANDS:
        _skip(stmt, _OWNER)
    elif node.get("objtype") == "OBJECT_INDEX" and subs == {"AT_AttachPartition"}:
        _skip(stmt, _INDEX_ATTACHED)
    else:
        _not_built(
            stmt, "only ALTER TABLE changes are applied", "state the result where the object is defined"
        )


def _create_table_as(stmt: Stmt, node: Json) -> None:
    if node.get("objtype") == "OBJECT_MATVIEW":
        read_matview(stmt, node)
    else:
        stmt.not_built(
            "CREATE TABLE AS statement",
            "the columns come from a query",
            hint="write the table with CREATE TABLE name (column type, ...)",
        )


def _grant(stmt: Stmt, node: Json) -> None:
    if node.get("is_grant"):
        read_grant(stmt, node)
    else:
        _not_built(stmt, "revokes are not applied", "state only what is granted; leave out what is not")


def _domain(stmt: Stmt, node: Json) -> None:
    read_domain(stmt, node)


# Where each kind of CREATE SCHEMA element names the object it creates.
_ELEMENT_NAME_FIELD = {
    "CreateStmt": "relation",
    "IndexStmt": "relation",
    "ViewStmt": "view",
    "CreateSeqStmt": "sequence",
    "CreateTrigStmt": "relation",
}


def _create_schema(stmt: Stmt, node: Json) -> None:
    """CREATE SCHEMA, with its elements read as statements of their own: an unqualified name
    in them is in the new schema (PostgreSQL puts it first on the search path meanwhile)."""
    name = read_schema(stmt, node)
    elements = [unwrap(e) for e in node.get("schemaElts") or ()]
    if not elements:
        return
    starts = _element_starts(stmt)
    if len(starts) != len(elements):
        stmt.not_built(
            "CREATE SCHEMA element",
            f"the statements inside CREATE SCHEMA {name} could not be told apart",
            hint="write them as separate statements after CREATE SCHEMA",
        )
        return
    created = {
        body.get("relation", {}).get("relname")
        for kind, body in elements
        if kind == "CreateStmt" and not body.get("relation", {}).get("schemaname")
    }
    for index, (kind, body) in enumerate(elements):
        target = body.get(_ELEMENT_NAME_FIELD.get(kind, ""))
        if isinstance(target, dict) and not target.get("schemaname"):
            target["schemaname"] = name
        if kind == "CreateStmt":
            _references_in_schema(body, name, created)
        stop = starts[index + 1] if index + 1 < len(starts) else stmt.end
        start, end = stmt.src.trim(starts[index], stop)
        element = Stmt(stmt.src, stmt.base, start, end, stmt.facts, kind)
        reader = _READERS.get(kind)
        if reader is None:
            _not_built(element, "schemadoc does not build this kind of statement", _BUILT_KINDS)
        else:
            reader(element, body)


def _element_starts(stmt: Stmt) -> list[int]:
    """Byte offsets of the CREATE and GRANT words that begin the elements of a CREATE SCHEMA."""
    starts: list[int] = []
    depth = 0
    for tok in stmt.src.tokens(stmt.start, stmt.end):
        char = stmt.src.char(tok) if tok.kind == "p" else ""
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and tok.start > stmt.start and stmt.src.word(tok) in ("create", "grant"):
            starts.append(tok.start)
    return starts


def _references_in_schema(body: Json, schema: str, created: set[str | None]) -> None:
    """A foreign key naming, unqualified, a table created by the same CREATE SCHEMA references it there."""
    constraints = [e["Constraint"] for e in body.get("tableElts") or () if "Constraint" in e]
    for elt in body.get("tableElts") or ():
        constraints += [
            c["Constraint"] for c in elt.get("ColumnDef", {}).get("constraints") or () if "Constraint" in c
        ]
    for con in constraints:
        pk = con.get("pktable")
        if isinstance(pk, dict) and not pk.get("schemaname") and pk.get("relname") in created:
            pk["schemaname"] = schema


def _not_schema(stmt: Stmt, node: Json) -> None:
    _skip(stmt, _NOT_SCHEMA[stmt.kind])


def _drop(stmt: Stmt, node: Json) -> None:
    if not sql_replay.drop(stmt, node):
        _not_schema(stmt, node)


def _define(stmt: Stmt, node: Json) -> None:
    """CREATE COLLATION and CREATE AGGREGATE are built; other DefineStmt kinds (operators, base
    types, text search objects) are recognised and not built."""
    kind = node.get("kind")
    if kind == "OBJECT_COLLATION":
        read_collation(stmt, node)
    elif kind == "OBJECT_AGGREGATE":
        read_aggregate(stmt, node)
    else:
        _recognised(stmt, node)


def _rename(stmt: Stmt, node: Json) -> None:
    if not sql_replay_rename.rename(stmt, node):
        _recognised(stmt, node)


def _alter_enum(stmt: Stmt, node: Json) -> None:
    if not sql_replay_rename.alter_enum(stmt, node):
        _recognised(stmt, node)


def _or_replace(reader: Reader) -> Reader:
    """A reader of CREATE OR REPLACE: in a migration set the new definition replaces the earlier one."""

    def read(stmt: Stmt, node: Json) -> None:
        views, functions = len(stmt.facts.views), len(stmt.facts.functions)
        reader(stmt, node)
        if node.get("replace"):
            sql_replay.replaced_earlier(stmt.facts, views, functions)

    return read


def _do(stmt: Stmt, node: Json) -> None:
    """DO: the type, table and index statements its PL/pgSQL body runs are read where they stand."""
    parsed = do_body(node)
    queries, other = (
        schema_statements(parsed[1]) if parsed is not None and parsed[0] == "plpgsql" else ([], True)
    )
    if not queries:
        _recognised(stmt, node)
        return
    body = parsed[1] if parsed is not None else ""
    body_at = _string_body_offset(stmt)
    for query in queries:
        index = body.find(query)
        offset = stmt.start if index < 0 or body_at is None else body_at + SqlSource.char_to_byte(body, index)
        where = stmt.span(offset)
        read_sql(query, file=where.file, line=where.line, col=where.col, facts=stmt.facts)
    if other:
        _not_built(
            stmt,
            "of its body only the CREATE and ALTER TABLE statements are read",
            "write the other statements it runs outside the DO block",
        )


def _string_body_offset(stmt: Stmt) -> int | None:
    """Byte offset where the text of the statement's first dollar-quoted string begins."""
    for tok in stmt.src.tokens(stmt.start, stmt.end):
        if tok.kind == "str":
            opener = stmt.src.b[tok.start : tok.end]
            if not opener.startswith(b"$"):
                return None
            return tok.start + opener.index(b"$", 1) + 1
    return None


def _recognised(stmt: Stmt, node: Json) -> None:
    why, hint = _NOT_BUILT[stmt.kind]
    _not_built(stmt, why, hint)


_READERS: dict[str, Reader] = {
    "CreateStmt": read_create_table,
    "AlterTableStmt": _alter,
    "IndexStmt": read_index,
    "ViewStmt": read_view,
    "CreateTableAsStmt": _create_table_as,
    "CreateFunctionStmt": read_function,
    "CreateTrigStmt": read_trigger,
    "CreateEnumStmt": read_enum,
    "CreateDomainStmt": _domain,
    "CompositeTypeStmt": read_composite,
    "CreateRangeStmt": read_range,
    "CreateExtensionStmt": read_extension,
    "CreateSchemaStmt": _create_schema,
    "CreateRoleStmt": read_role,
    "CreateSeqStmt": read_sequence,
    "AlterSeqStmt": read_alter_sequence,
    "CreatePolicyStmt": read_policy,
    "GrantStmt": _grant,
    "CommentStmt": read_comment,
}

_DATA = "it works on data, not on the schema"
_OWNER = "ownership depends on the server's roles; it is not part of the schema model"
# pg_dump links each partition's index to its parent's this way
_INDEX_ATTACHED = (
    "nothing to build: an index on a partitioned table takes in each partition's matching index "
    "when it is built"
)
_ENVIRONMENT_SUBCOMMANDS = frozenset({"AT_ChangeOwner"})
# Statements that do not state schema: each gets a note.
_NOT_SCHEMA: dict[str, str] = {
    "SelectStmt": "a query is not a schema definition",
    "InsertStmt": _DATA,
    "UpdateStmt": _DATA,
    "DeleteStmt": _DATA,
    "MergeStmt": _DATA,
    "CopyStmt": _DATA,
    "TruncateStmt": _DATA,
    "DropStmt": "the document describes what exists; drops are not read",
    "TransactionStmt": "transaction control",
    "VariableSetStmt": "a session setting",
    "VariableShowStmt": "a session setting",
    "VacuumStmt": "maintenance",
    "RefreshMatViewStmt": "maintenance",
    "CreatedbStmt": "databases are outside the schema",
    # pg_dump -c writes one; it is never run, and a document holding it is not refused for it
    "DropdbStmt": "databases are outside the schema; never run",
    "AlterOwnerStmt": _OWNER,
    "ExplainStmt": "a query plan is not a schema definition",
}
# Statements that state schema schemadoc does not build: each is a "not built" warning
# (why, how to write it so it is built).
_BUILT_KINDS = (
    "schemadoc builds tables, views, functions, aggregates, triggers, indexes, enums, domains, collations, "
    "sequences, extensions, policies, grants and comments; state the object as one of those, or leave it out"
)
_NOT_BUILT: dict[str, tuple[str, str]] = {
    "DoStmt": (
        "what an anonymous code block does is not read",
        "write the statements it runs (CREATE TYPE ..., ALTER TABLE ...) outside the DO block",
    ),
    "AlterDefaultPrivilegesStmt": (
        "default privileges are not part of the schema model",
        "grant on the objects themselves: GRANT ... ON ALL TABLES IN SCHEMA ...",
    ),
    "GrantRoleStmt": (
        "role membership is not part of the schema model",
        "grant the privileges to each role directly: GRANT ... ON ... TO role",
    ),
    "RenameStmt": ("renames are not applied", "use the new name where the object is defined"),
    "AlterEnumStmt": ("enum changes are not applied", "list every label in CREATE TYPE ... AS ENUM (...)"),
    "DefineStmt": (
        "operators, base types and text search objects are not part of the schema model",
        _BUILT_KINDS,
    ),
    "RuleStmt": ("rules are not part of the schema model", "write a trigger instead"),
}
_READERS.update(dict.fromkeys(_NOT_SCHEMA, _not_schema))
_READERS.update(dict.fromkeys(_NOT_BUILT, _recognised))
_READERS["DoStmt"] = _do
_READERS["DropStmt"] = _drop
_READERS["RenameStmt"] = _rename
_READERS["DefineStmt"] = _define
_READERS["AlterEnumStmt"] = _alter_enum
_READERS["ViewStmt"] = _or_replace(read_view)
_READERS["CreateFunctionStmt"] = _or_replace(read_function)
# Any other statement that creates or changes an object is recognised by its kind and not built.
_SCHEMA_KIND_PREFIXES = ("Create", "Alter", "Define", "Comment", "Security", "Import", "Rule")

# Statement kinds that make a block "SQL" for looks_like_sql.
_SQL_KINDS = frozenset(
    {
        "SelectStmt",
        "InsertStmt",
        "UpdateStmt",
        "DeleteStmt",
        "MergeStmt",
        "TruncateStmt",
        "CopyStmt",
        "IndexStmt",
        "ViewStmt",
        "CommentStmt",
        "GrantStmt",
        "DefineStmt",
        "CompositeTypeStmt",
        "RuleStmt",
        "RenameStmt",
        "DoStmt",
    }
)
_LABEL_FILLER = frozenset(
    {"or", "replace", "temp", "temporary", "unlogged", "global", "local", "unique", "trusted", "procedural"}
)
_LABEL_TWO_WORDS = frozenset({"materialized", "event", "foreign", "default", "text", "operator", "access"})


def read_sql(
    text: str,
    *,
    file: str,
    line: int,
    col: int = 1,
    view_name: str | None = None,
    facts: DocFacts | None = None,
    section: str | None = None,
) -> DocFacts:
    """Read one SQL block at document position ``line``/``col`` into ``facts`` (a new one when None).
    ``section`` is :func:`sql_replay.section_mode` of the headings above the block: ``"skip"`` reads
    nothing, ``"no_replay"`` reads without replaying drops and renames; None keeps the current mode."""
    facts = DocFacts() if facts is None else facts
    if section == "skip":
        sql_replay.not_read(
            facts, Span(file, line, col), "SQL block not read: it is under a rollback heading"
        )
        return facts
    if section is None:
        return _read_sql(text, file, line, col, view_name, facts)
    replay = facts.replay
    facts.replay = section == "replay"
    try:
        return _read_sql(text, file, line, col, view_name, facts)
    finally:
        facts.replay = replay


def _read_sql(text: str, file: str, line: int, col: int, view_name: str | None, facts: DocFacts) -> DocFacts:
    text, downs = sql_replay.blank_down_regions(text)
    stripped, meta = strip_meta_commands(text)
    stripped, bulk = _blank_bulk_data(stripped)  # first: the placeholder scan then skips the data
    stripped, placeholders = blank_placeholders(stripped)
    src = SqlSource(stripped, file=file, line=line, col=col)
    for offset, word in bulk:
        facts.diagnostics.append(
            Diagnostic(SKIP_CODE, "note", f"{word} statement skipped: {_DATA}", src.span(offset))
        )
    _report_placeholders(src, placeholders, facts)
    for start in downs:
        sql_replay.not_read(
            facts,
            src.span(SqlSource.char_to_byte(text, start)),
            "down migration not read: what follows the marker undoes the migration above it",
        )
    for index, command in meta:
        outside = _meta_reaches_outside(command)
        kind = _meta_kind(command)
        if not outside and _reported(facts, SKIP_CODE, f"{_META_SKIPPED}{kind}"):
            continue  # one note per kind of meta-command in a document
        facts.diagnostics.append(
            Diagnostic(
                OUTSIDE_CODE if outside else SKIP_CODE,
                "warning" if outside else "note",
                f"{_META_SKIPPED}{command}" + (f" ({outside}; never run)" if outside else ""),
                src.span(src.line_offset(index)),
                None if outside else _META_HINTS.get(kind, _META_HINT),
            )
        )
    pieces = None if view_name is not None else sql_parse_ahead.cut(stripped, ascii_only=src.is_ascii)
    if pieces is None:
        _read_rest(src, stripped, 0, facts, view_name, False)
    else:
        _read_in_pieces(src, stripped, pieces, facts)
    return facts


def _read_in_pieces(src: SqlSource, text: str, pieces: list[sql_parse_ahead.Piece], facts: DocFacts) -> None:
    """Read a large block piece by piece as each is parsed (see :mod:`sql_parse_ahead`); from the
    first piece that does not parse, the rest of the block is read as a whole."""
    begun = False
    parsed = sql_parse_ahead.parsed_in_order(pieces)
    try:
        for piece in parsed:
            if not isinstance(piece.parsed, str):  # the parser's error
                _read_rest(src, text[piece.char_start :], piece.start, facts, None, begun)
                return
            begun = _read_tree(src, orjson.loads(piece.parsed), piece.start, piece.end, facts, None, begun)
    finally:
        parsed.close()


def _read_rest(
    src: SqlSource, text: str, start: int, facts: DocFacts, view_name: str | None, begun: bool
) -> None:
    """Read ``text``, the block from byte ``start`` on: in one parse, or statement by statement
    when that parse fails."""
    try:
        tree = orjson.loads(parse_sql_json(text))
    except ParseError:
        _read_piecewise(src, facts, start, begun)
        return
    _read_tree(src, tree, start, len(src.b), facts, view_name, begun)


_BULK_MIN_TEXT = 50_000
_BULK_MIN_STATEMENT = 200
_BLANK = bytes(0x0A if i == 0x0A else 0x20 for i in range(256))


def _mentions_bulk_word(text: str) -> bool:
    """Whether INSERT or COPY is written anywhere (a block without either has no data). A
    search of the lower-cased text: a case-insensitive pattern is many times slower."""
    low = text.lower()
    return "insert" in low or "copy" in low


def _blank_bulk_data(text: str) -> tuple[str, list[tuple[int, str]]]:
    """In a large block (a dump with data), blank out long INSERT and COPY statements before
    parsing: they are skipped anyway and their parse trees are costly. Byte offsets and lines
    are kept. Returns the new text and ``(byte offset, statement word)`` for each one."""
    if len(text) < _BULK_MIN_TEXT or not _mentions_bulk_word(text):
        return text, []
    try:
        slices = split(text, with_parser=False, only_slices=True)
    except ParseError:
        return text, []
    found: list[tuple[int, str]] = []
    chunks: list[str] = []
    prev = 0
    byte_pos = 0
    for piece in slices:
        start, stop = piece.start or 0, piece.stop or len(text)
        if stop - start < _BULK_MIN_STATEMENT:
            continue
        word = text[start : start + 7].split(None, 1)[0].upper() if text[start:stop].strip() else ""
        if word not in ("INSERT", "COPY"):
            continue
        before = text[prev:start]
        byte_pos += len(before.encode("utf-8"))
        body = text[start:stop].encode("utf-8")
        found.append((byte_pos, word))
        chunks.append(before)
        chunks.append(body.translate(_BLANK).decode("ascii"))
        byte_pos += len(body)
        prev = stop
    if not found:
        return text, []
    chunks.append(text[prev:])
    return "".join(chunks), found


def looks_like_sql(text: str) -> bool:
    """Whether an untagged block parses as SQL (psql meta lines aside) and holds at least one
    DDL or DML statement."""
    stripped, _ = strip_meta_commands(text)
    if not stripped.strip():
        return False
    try:
        tree = orjson.loads(parse_sql_json(stripped))
    except ParseError:
        return False
    for raw in tree.get("stmts", ()):
        kind = next(iter(raw.get("stmt", {})), "")
        if kind in _SQL_KINDS or kind.startswith(("Create", "Alter", "Drop")):
            return True
    return False


def _read_piecewise(src: SqlSource, facts: DocFacts, start: int = 0, begun: bool = False) -> None:
    """Parse and read each statement from byte ``start`` on by itself, so that a syntax error
    costs only its own statement."""
    for begin, end in src.split_statements(start):
        piece = src.b[begin:end].decode("utf-8", errors="replace")
        try:
            tree = orjson.loads(parse_sql_json(piece))
        except ParseError as err:
            _syntax_error(src, facts, err, piece, begin, end)
            continue
        begun = _read_tree(src, tree, begin, end, facts, None, begun)


def _syntax_error(src: SqlSource, facts: DocFacts, err: ParseError, piece: str, start: int, end: int) -> None:
    message = str(err.args[0]) if err.args else str(err)
    index = err.args[1] if len(err.args) > 1 else None
    stmt_start = src.significant_start(start, end)
    where = start + SqlSource.char_to_byte(piece, index) if isinstance(index, int) else stmt_start
    first = src.span(stmt_start)
    head = src.b[stmt_start:end].decode("utf-8", errors="replace").strip().split("\n", 1)[0][:60]
    facts.diagnostics.append(
        Diagnostic(
            SYNTAX_CODE,
            "error",
            f"SQL syntax error: {message}",
            src.span(where),
            hint=f"in the statement starting at line {first.line}, column {first.col}: {head}",
        )
    )


def _read_tree(
    src: SqlSource,
    tree: Json,
    base: int,
    piece_end: int,
    facts: DocFacts,
    view_name: str | None,
    begun: bool = False,
) -> bool:
    """Read the statements of one parse; ``begun`` says whether the document's own BEGIN is open
    before them, and the result whether it is open after them."""
    stmts = tree.get("stmts") or []
    for raw in stmts:
        loc = base + int(raw.get("stmt_location", 0))
        length = int(raw.get("stmt_len", 0))
        end = loc + length if length else piece_end
        stmt = Stmt(src, base, src.significant_start(loc, end), end, facts)
        kind, body = unwrap(raw.get("stmt", {}))
        if view_name is not None and kind == "SelectStmt" and len(stmts) == 1:
            read_bare_select(stmt, view_name)
            continue
        stmt.kind = kind
        path = path_from_statement(kind, body)
        if path is not None:
            facts.search_path[:] = path
        elif facts.search_path:
            qualify_statement(kind, body, facts.search_path, facts)
        outside = _reaches_outside(kind, body)
        if kind == "TransactionStmt":
            step = body.get("kind")
            if step in _WRAPPER_TRANSACTION:
                begun = True
            elif step in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
                if begun and step == "TRANS_STMT_COMMIT":
                    outside = None  # the COMMIT that closes the document's own BEGIN
                begun = False
        if outside is not None:
            if kind == "TransactionStmt":
                _transaction_control(stmt, outside)
                continue
            if kind == "CreateRoleStmt":
                # read, and left out by the screen unless the document is trusted
                _outside(stmt, outside, "built only with --trust-document")
                read_role(stmt, body)
                continue
            _outside(stmt, outside)
            continue
        reader = _READERS.get(kind)
        if reader is None:
            if kind.startswith(_SCHEMA_KIND_PREFIXES):
                _not_built(stmt, "schemadoc does not build this kind of statement", _BUILT_KINDS)
            else:
                _skip(stmt, "not a schema definition this reader understands")
            continue
        try:
            reader(stmt, body)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            if reader_errors_raise():
                raise
            facts.diagnostics.append(
                Diagnostic(
                    READER_CODE,
                    "warning",
                    f"{_label(stmt)} statement could not be read ({type(exc).__name__}: {exc})",
                    stmt.span(),
                    hint="the statement is valid SQL; please report this as a schemadoc bug",
                )
            )
    return begun


def _label(stmt: Stmt) -> str:
    """The statement kind as written: ``INSERT``, ``DROP TABLE``, ``ALTER DEFAULT PRIVILEGES``..."""
    words: list[str] = []
    for tok in stmt.src.tokens(stmt.start, stmt.end):
        w = stmt.src.word(tok)
        if not w:
            break
        if words and w in _LABEL_FILLER:
            continue
        words.append(w.upper())
        if len(words) == 1 and w not in ("create", "alter", "drop", "comment", "refresh"):
            break
        if len(words) == 2 and w not in _LABEL_TWO_WORDS:
            break
        if len(words) == 3:
            break
    return " ".join(words) or "empty"


def _skip(stmt: Stmt, reason: str) -> None:
    label = _label(stmt)
    stmt.note(f"{label} statement skipped: {reason}")


def _not_built(stmt: Stmt, why: str, hint: str) -> None:
    stmt.not_built(f"{_label(stmt)} statement", why, hint=hint)


# BEGIN ... COMMIT around a block of DDL is the document's own wrapper: skipped with a note.
# Anything else that ends or splits a transaction (ROLLBACK, PREPARE TRANSACTION, a COMMIT
# with no BEGIN before it in the block...) gets a warning.
_WRAPPER_TRANSACTION = frozenset({"TRANS_STMT_BEGIN", "TRANS_STMT_START"})
_ROLE_POWERS = frozenset({"superuser", "createrole", "createdb", "isreplication", "bypassrls"})


def _reaches_outside(kind: str, node: Json) -> str | None:
    """Why a statement of ``kind`` reaches outside the schema (the server, its files and
    programs, other databases, the transaction schemadoc builds in), or None."""
    if kind == "CopyStmt" and node.get("is_program"):
        return "COPY ... PROGRAM runs a shell command on the database server"
    if kind == "CopyStmt" and node.get("filename"):
        return "COPY with a file name reads or writes a file on the database server"
    if kind == "AlterSystemStmt":
        return "ALTER SYSTEM changes the configuration of the whole server"
    if kind == "LoadStmt":
        return "LOAD loads a shared library into the server"
    if kind == "TransactionStmt" and node.get("kind") not in _WRAPPER_TRANSACTION:
        return "transaction control: schemadoc builds the document in one transaction of its own"
    if kind in ("CreateForeignServerStmt", "AlterForeignServerStmt"):
        return "a foreign server connects to another database server"
    if kind in ("CreateUserMappingStmt", "AlterUserMappingStmt"):
        return "a user mapping holds the credentials for connecting to another server"
    if kind == "CreatePLangStmt" and not node.get("pltrusted"):
        return "an untrusted procedural language runs code with the rights of the server's own account"
    if kind == "CreateExtensionStmt" and str(node.get("extname", "")).lower() in _UNTRUSTED_EXTENSIONS:
        return (
            f"the extension {node.get('extname')} lets routines run code or reach files"
            " with the rights of the server's own account"
        )
    if kind in ("CreateRoleStmt", "AlterRoleStmt"):
        powers = [
            name.upper()
            for name, elem in def_elems(node.get("options")).items()
            if name in _ROLE_POWERS and def_bool(elem)
        ]
        if powers:
            return f"{', '.join(sorted(powers))} gives a role power over the whole server"
    return None


_META_SKIPPED = "psql meta-command skipped: "
_META_HINT = (
    "psql acts on meta-commands; a schema document states objects (later ones of this kind are skipped too)"
)
_META_HINTS = {
    "\\set": "psql variables are set outside the document; statements that use them are not read",
    "\\connect": "a document describes one database: what follows \\connect is read into the same schema",
    "\\c": "a document describes one database: what follows \\c is read into the same schema",
    "\\copy": "\\copy loads data; data is not part of the schema (later ones are skipped too)",
}
_PLACEHOLDER_CODES = {"psql variable": PSQL_VARIABLE, "template": TEMPLATE_MARKER}
_PLACEHOLDER_WHAT = {
    "psql variable": "statements that use psql variables are not read",
    "template": "template tags are ignored and statements with a template expression are not read",
}
_PLACEHOLDER_HINTS = {
    "psql variable": "write the value the variable stands for, or build from the SQL psql produces",
    "template": "render the template first and document its output, or write the values it stands for",
}


def _meta_kind(command: str) -> str:
    words = command.split()
    return words[0].lower() if words else ""


def _reported(facts: DocFacts, code: str, prefix: str) -> bool:
    """Whether the document already has a ``code`` diagnostic whose message starts with ``prefix``."""
    return any(d.code == code and d.message.startswith(prefix) for d in facts.diagnostics)


def _report_placeholders(src: SqlSource, found: list[Placeholder], facts: DocFacts) -> None:
    """One warning per kind of placeholder in a document, at its first use in the block."""
    for kind, code in _PLACEHOLDER_CODES.items():
        mine = [p for p in found if p.kind == kind]
        if not mine or _reported(facts, code.code, kind):
            continue
        first = mine[0]
        facts.diagnostics.append(
            Diagnostic(
                code.code,
                code.level,
                f"{kind} {first.text}: {_PLACEHOLDER_WHAT[kind]} ({len(mine)} in this block)",
                src.span(SqlSource.char_to_byte(src.text, first.offset)),
                _PLACEHOLDER_HINTS[kind],
            )
        )


def _meta_reaches_outside(command: str) -> str | None:
    """Why a psql meta-command would reach outside the database, or None."""
    words = command.split()
    head = words[0].lower() if words else ""
    if head.startswith("\\!"):
        return "it runs a shell command"
    if head in ("\\copy", "\\o", "\\out", "\\g", "\\gx", "\\w", "\\write") and (
        "|" in command or "program" in command.lower()
    ):
        return "it runs a shell command"
    return None


# Extensions that give routines the server account's rights: untrusted languages, file access.
_UNTRUSTED_EXTENSIONS = frozenset(
    {"plpython3u", "plpythonu", "plpython2u", "plperlu", "pltclu", "plsh", "adminpack", "file_fdw"}
)


def _transaction_control(stmt: Stmt, reason: str) -> None:
    stmt.facts.diagnostics.append(
        Diagnostic(
            TRANSACTION_CODE,
            "warning",
            f"{_label(stmt)} statement skipped: {reason}; never run",
            stmt.span(),
            "leave transaction control out of the document",
        )
    )


def _outside(stmt: Stmt, reason: str, fate: str = "never run") -> None:
    stmt.facts.diagnostics.append(
        Diagnostic(
            OUTSIDE_CODE,
            "warning",
            f"{_label(stmt)} statement skipped: {reason}; {fate}",
            stmt.span(),
            "a schema document states objects; schemadoc does not run this statement",
        )
    )
