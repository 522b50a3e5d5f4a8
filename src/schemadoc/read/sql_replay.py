"""Migration sets: statements that alter, rename and drop what earlier statements created.

A reference document states what exists; a migration set (Flyway's V1..Vn, a file of migrations
joined in order) creates, then changes: what counts is the schema after the last statement. The
two are told apart statement by statement, by what the statement acts on:

* a DROP, RENAME or ALTER that names an object the document has already created is replayed:
  the facts read so far change as PostgreSQL's catalogs would (note SD243, once per document);
* one that names nothing created before (``DROP TABLE IF EXISTS t`` ahead of ``CREATE TABLE t``,
  as pg_dump writes it) changes nothing and is reported as before;
* the SQL of a rollback section (a heading saying rollback, revert, undo or down) and the part of
  a fence after a down-migration marker (``-- migrate:down``, ``-- +goose Down``) is not read at
  all (note SD244); a deployment section is read, and replays nothing.
"""

from __future__ import annotations

import re

from schemadoc.diagnostics import MIGRATION_REPLAYED, NOT_REPLAYED, REPLAY_TARGET_MISSING, Diagnostic
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import DEFAULT_SCHEMA, Span
from schemadoc.read import replay_edits as edit
from schemadoc.read.facts import DocFacts, Name
from schemadoc.read.sql_nodes import Json, Stmt, strs, type_text, unwrap

Key = edit.Key

_REVERSE_WORDS = lazy_regex(
    r"\b(rollback|roll\s+back|revert(?:ing)?|undo|teardown|down\s+migrations?|migrat\w*\s+down)\b"
    r"|^\W*down\W*$",  # a heading that is just "Down"
    re.I,
)
_NO_REPLAY_WORDS = lazy_regex(r"\b(deploy|deployment|deploying)\b", re.I)
_DOWN_MARKER = lazy_regex(
    r"^[ \t]*--[ \t]*(?:migrate:down|\+goose[ \t]+down|\+migrate[ \t]+down|//[ \t]*@undo)\b.*$", re.I | re.M
)
_UP_MARKER = lazy_regex(
    r"^[ \t]*--[ \t]*(?:migrate:up|\+goose[ \t]+up|\+migrate[ \t]+up)\b.*$|^[ \t]*--[ \t]*=====[ \t]+\S.*$",
    re.I | re.M,
)
_DOWN_FILE = lazy_regex(r"^[ \t]*--[ \t]*=====[ \t]+\S*\bdown\.sql[ \t]+=====[ \t]*$", re.I | re.M)


def section_mode(titles: list[str]) -> str:
    """``"skip"`` under a rollback heading, ``"no_replay"`` under a deployment one, else ``"replay"``."""
    if any(_REVERSE_WORDS.search(title) for title in titles):
        return "skip"
    if any(_NO_REPLAY_WORDS.search(title) for title in titles):
        return "no_replay"
    return "replay"


def down_regions(text: str) -> list[tuple[int, int]]:
    """Character ranges of ``text`` that are down migrations: from a down marker (or the marker
    line of a joined ``*.down.sql`` file) to the next up marker or file marker, or the end."""
    starts = sorted(
        [m.start() for m in _DOWN_MARKER.finditer(text)] + [m.start() for m in _DOWN_FILE.finditer(text)]
    )
    if not starts:
        return []
    ups = [m.start() for m in _UP_MARKER.finditer(text)]
    regions: list[tuple[int, int]] = []
    for start in starts:
        if regions and start < regions[-1][1]:
            continue
        end = next((u for u in ups if u > start and not _DOWN_FILE.match(text, u)), len(text))
        regions.append((start, end))
    return regions


def blank_down_regions(text: str) -> tuple[str, list[int]]:
    """The text with its down-migration regions blanked (every byte a space, line ends kept, so
    offsets and lines stay), and the character offset where each region starts."""
    lowered = text.lower()
    if "down" not in lowered and "@undo" not in lowered:
        return text, []
    regions = down_regions(text)
    if not regions:
        return text, []
    chunks: list[str] = []
    prev = 0
    for start, end in regions:
        chunks.append(text[prev:start])
        chunks.append(
            "".join("\n" if ch == "\n" else " " * len(ch.encode("utf-8")) for ch in text[start:end])
        )
        prev = end
    chunks.append(text[prev:])
    return "".join(chunks), [start for start, _ in regions]


def note_replayed(stmt: Stmt, what: str) -> None:
    """The first replayed statement of a document says the document is read as a migration set."""
    facts = stmt.facts
    if any(d.code == MIGRATION_REPLAYED.code for d in facts.diagnostics):
        return
    facts.diagnostics.append(
        Diagnostic(
            MIGRATION_REPLAYED.code,
            MIGRATION_REPLAYED.level,
            f"{what} changes what an earlier statement created: the document is read as a migration set, "
            "replayed in order, and its final state is what is built",
            stmt.span(),
            "a reference document states each object once, as it is; leave rollback steps under a "
            "'Rollback' heading, where they are not read",
        )
    )


def target_missing(stmt: Stmt, what: str) -> None:
    stmt.facts.diagnostics.append(
        Diagnostic(
            REPLAY_TARGET_MISSING.code,
            REPLAY_TARGET_MISSING.level,
            f"{what}: the document has not created it before this statement; nothing is changed",
            stmt.span(),
            "create the object before the statement that changes it",
        )
    )


def replaying(facts: DocFacts) -> bool:
    return facts.replay


# -- names ------------------------------------------------------------------------------------------------


def search_schemas(facts: DocFacts, schema: str | None) -> list[str]:
    if schema:
        return [schema]
    return list(facts.search_path) or [DEFAULT_SCHEMA]


def table_key(facts: DocFacts, name: Name) -> Key | None:
    """The key of the table ``name`` names among those SQL statements created so far (search path
    order), or None. A table known only from a column table or a diagram is described, not created:
    a later DROP or ALTER of it is not a migration step."""
    for schema in search_schemas(facts, name.schema):
        key = (schema, name.text)
        if any(t.source == "sql" for t in edit.table_facts(facts, key)):
            return key
    return None


def name_parts(node: Json) -> list[str]:
    kind, body = unwrap(node)
    if kind == "List":
        return strs(body.get("items"))
    if kind == "TypeName":
        return strs(body.get("names"))
    if kind == "ObjectWithArgs":
        return strs(body.get("objname"))
    if kind == "String":
        return [str(body.get("sval", ""))]
    return []


def split_name(parts: list[str]) -> tuple[str | None, str]:
    return (parts[-2] if len(parts) >= 2 else None), parts[-1] if parts else ""


# -- DROP ---------------------------------------------------------------------------------------------------


def drop(stmt: Stmt, node: Json) -> bool:
    """Replay a DROP of objects the document created; False when it names none of them."""
    if not stmt.facts.replay:
        return False
    kind = str(node.get("removeType", ""))
    handler = _DROPS.get(kind)
    if handler is None:
        return False
    done = False
    for obj in node.get("objects") or ():
        parts = name_parts(obj)
        if parts and handler(stmt.facts, parts):
            done = True
    if done:
        note_replayed(stmt, f"DROP {kind.removeprefix('OBJECT_').replace('_', ' ')}")
    return done


def _drop_table(facts: DocFacts, parts: list[str]) -> bool:
    schema, name = split_name(parts)
    key = table_key(facts, Name(name, schema=schema))
    if key is None:
        return False
    edit.drop_table(facts, key)
    return True


def _named_keys(facts: DocFacts, parts: list[str], existing: list[tuple[str, str]]) -> tuple[str, str] | None:
    schema, name = split_name(parts)
    for candidate in search_schemas(facts, schema):
        if (candidate, name) in existing:
            return candidate, name
    return None


def _drop_index(facts: DocFacts, parts: list[str]) -> bool:
    keys = [(i.schema or edit.key_of(i.table)[0], i.name or "") for i in facts.indexes]
    found = _named_keys(facts, parts, keys)
    if found is None:
        return False
    facts.indexes = [i for i, k in zip(facts.indexes, keys, strict=True) if k != found]
    return True


def _drop_view(facts: DocFacts, parts: list[str]) -> bool:
    keys = [edit.key_of(v.name) for v in facts.views]
    found = _named_keys(facts, parts, keys)
    if found is None:
        return False
    facts.views = [v for v, k in zip(facts.views, keys, strict=True) if k != found]
    facts.comments = [c for c in facts.comments if edit.key_of(c.target) != found or c.object_type != "VIEW"]
    return True


def _drop_function(facts: DocFacts, parts: list[str]) -> bool:
    keys = [(f.schema, f.name) for f in facts.functions]
    found = _named_keys(facts, parts, keys)
    if found is None:
        return False
    facts.functions = [f for f, k in zip(facts.functions, keys, strict=True) if k != found]
    return True


def _drop_trigger(facts: DocFacts, parts: list[str]) -> bool:
    *table, name = parts
    key = table_key(facts, Name(table[-1], schema=table[-2] if len(table) >= 2 else None)) if table else None
    before = len(facts.triggers)
    facts.triggers = [
        t
        for t in facts.triggers
        if not (t.name == name and t.table is not None and edit.key_of(t.table) == key)
    ]
    return len(facts.triggers) < before


def _drop_policy(facts: DocFacts, parts: list[str]) -> bool:
    *table, name = parts
    key = table_key(facts, Name(table[-1], schema=table[-2] if len(table) >= 2 else None)) if table else None
    before = len(facts.policies)
    facts.policies = [p for p in facts.policies if not (p.name == name and edit.qkey(p.table) == key)]
    return len(facts.policies) < before


def _drop_type(facts: DocFacts, parts: list[str]) -> bool:
    keys = [(e.schema, e.name) for e in facts.enums] + [(d.schema, d.name) for d in facts.domains]
    keys += [(c.schema, c.name) for c in facts.composites] + [(r.schema, r.name) for r in facts.ranges]
    found = _named_keys(facts, parts, keys)
    if found is None:
        return False
    facts.enums = [e for e in facts.enums if (e.schema, e.name) != found]
    facts.domains = [d for d in facts.domains if (d.schema, d.name) != found]
    facts.composites = [c for c in facts.composites if (c.schema, c.name) != found]
    facts.ranges = [r for r in facts.ranges if (r.schema, r.name) != found]
    return True


def _drop_sequence(facts: DocFacts, parts: list[str]) -> bool:
    keys = [(s.schema, s.name) for s in facts.sequences]
    found = _named_keys(facts, parts, keys)
    if found is None:
        return False
    facts.sequences = [s for s in facts.sequences if (s.schema, s.name) != found]
    return True


_DROPS = {
    "OBJECT_TABLE": _drop_table,
    "OBJECT_FOREIGN_TABLE": _drop_table,
    "OBJECT_INDEX": _drop_index,
    "OBJECT_VIEW": _drop_view,
    "OBJECT_MATVIEW": _drop_view,
    "OBJECT_FUNCTION": _drop_function,
    "OBJECT_PROCEDURE": _drop_function,
    "OBJECT_ROUTINE": _drop_function,
    "OBJECT_TRIGGER": _drop_trigger,
    "OBJECT_POLICY": _drop_policy,
    "OBJECT_TYPE": _drop_type,
    "OBJECT_DOMAIN": _drop_type,
    "OBJECT_SEQUENCE": _drop_sequence,
}


# -- ALTER TABLE subcommands ----------------------------------------------------------------------------------


def alter_column(stmt: Stmt, table: Name, cmd: Json) -> bool:
    """An ALTER TABLE subcommand that changes or drops what the table had; whether it was replayed.
    ADD COLUMN / ADD CONSTRAINT are read as additions by the table reader, not here."""
    facts = stmt.facts
    sub = str(cmd.get("subtype", ""))
    if sub not in _CHANGES or not facts.replay or (sub == "AT_ColumnDefault" and cmd.get("def")):
        return False  # SET DEFAULT is read by the table reader (see set_default)
    key = table_key(facts, table)
    if key is None:
        return False
    name = str(cmd.get("name", ""))
    definition = cmd.get("def") or {}
    if sub == "AT_DropConstraint":
        if not edit.drop_constraint(facts, key, name) and not cmd.get("missing_ok"):
            target_missing(stmt, f"DROP CONSTRAINT {name} of {key[0]}.{key[1]}")
            return True
    elif not edit.has_column(facts, key, name):
        if not cmd.get("missing_ok"):
            target_missing(stmt, f"{_CHANGES[sub]} {name} of {key[0]}.{key[1]}")
        return True
    elif sub == "AT_DropColumn":
        edit.drop_column(facts, key, name)
    elif sub == "AT_ColumnDefault":
        edit.set_column(facts, key, name, default=None)
    elif sub == "AT_AlterColumnType" and "typeName" in definition.get("ColumnDef", {}):
        edit.set_column(facts, key, name, type_=type_text(stmt, definition["ColumnDef"]["typeName"]))
    elif sub in ("AT_SetNotNull", "AT_DropNotNull"):
        edit.set_column(facts, key, name, nullable=sub == "AT_DropNotNull")
    note_replayed(stmt, f"ALTER TABLE {_CHANGES[sub]}")
    return True


_CHANGES = {
    "AT_DropColumn": "DROP COLUMN",
    "AT_DropConstraint": "DROP CONSTRAINT",
    "AT_ColumnDefault": "DROP DEFAULT",
    "AT_AlterColumnType": "ALTER COLUMN TYPE",
    "AT_SetNotNull": "SET NOT NULL",
    "AT_DropNotNull": "DROP NOT NULL",
}


def set_default(stmt: Stmt, table: Name, column: str, default: str) -> None:
    """``ALTER COLUMN c SET DEFAULT``: every earlier fact about the column takes the new default."""
    key = table_key(stmt.facts, table) if stmt.facts.replay else None
    if key is not None:
        edit.set_column(stmt.facts, key, column, default=default)


# -- CREATE OR REPLACE ------------------------------------------------------------------------------------------


def replaced_earlier(facts: DocFacts, views_before: int, functions_before: int) -> None:
    """CREATE OR REPLACE of a view or routine read before: the new definition replaces the old one."""
    if not facts.replay:
        return
    keys = {edit.key_of(v.name) for v in facts.views[views_before:]}
    facts.views[:views_before] = [v for v in facts.views[:views_before] if edit.key_of(v.name) not in keys]
    sigs = {(f.schema, f.name, f.arguments) for f in facts.functions[functions_before:]}
    facts.functions[:functions_before] = [
        f for f in facts.functions[:functions_before] if (f.schema, f.name, f.arguments) not in sigs
    ]


def not_read(facts: DocFacts, span: Span, why: str) -> None:
    facts.diagnostics.append(
        Diagnostic(
            NOT_REPLAYED.code,
            NOT_REPLAYED.level,
            why,
            span,
            "a rollback or down migration undoes the document; the schema it leaves is not the one described",
        )
    )
