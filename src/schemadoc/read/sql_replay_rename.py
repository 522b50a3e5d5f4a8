"""Migration sets: ALTER ... RENAME and ALTER TYPE ... ADD VALUE of objects the document created.

See :mod:`schemadoc.read.sql_replay` for how a migration set is told from a reference document.
"""

from __future__ import annotations

from schemadoc.model import DEFAULT_SCHEMA, QName
from schemadoc.read import replay_edits as edit
from schemadoc.read.facts import DocFacts, Name
from schemadoc.read.sql_nodes import Json, Stmt, strs
from schemadoc.read.sql_replay import (
    name_parts,
    note_replayed,
    search_schemas,
    split_name,
    table_key,
    target_missing,
)
from schemadoc.records import replace

# -- RENAME ---------------------------------------------------------------------------------------------------


def rename(stmt: Stmt, node: Json) -> bool:
    """Replay ALTER ... RENAME of an object the document created; False when it names none."""
    facts = stmt.facts
    if not facts.replay:
        return False
    kind = str(node.get("renameType", ""))
    new = str(node.get("newname", ""))
    rel = node.get("relation") or {}
    if kind in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE", "OBJECT_COLUMN", "OBJECT_TABCONSTRAINT"):
        key = table_key(facts, Name(rel.get("relname", ""), schema=rel.get("schemaname") or None))
        if key is None:
            return False
        old = str(node.get("subname", ""))
        if kind == "OBJECT_COLUMN":
            if not edit.has_column(facts, key, old):
                target_missing(stmt, f"RENAME COLUMN {old} of {key[0]}.{key[1]}")
                return True
            edit.rename_column(facts, key, old, new)
        elif kind == "OBJECT_TABCONSTRAINT":
            if not edit.rename_constraint(facts, key, old, new):
                target_missing(stmt, f"RENAME CONSTRAINT {old} of {key[0]}.{key[1]}")
                return True
        else:
            edit.rename_table(facts, key, new)
        note_replayed(stmt, "RENAME")
        return True
    if kind == "OBJECT_INDEX":
        return _rename_index(stmt, rel, new)
    if kind in ("OBJECT_VIEW", "OBJECT_MATVIEW"):
        schema, name = rel.get("schemaname") or None, rel.get("relname", "")
        for view in facts.views:
            if view.name.text == name and (view.name.schema or DEFAULT_SCHEMA) in search_schemas(
                facts, schema
            ):
                view.name = Name(new, schema=view.name.schema, quoted=new != new.lower())
                note_replayed(stmt, "RENAME")
                return True
        return False
    if kind in ("OBJECT_TYPE", "OBJECT_DOMAIN"):
        return _rename_type(stmt, name_parts(node.get("object") or {}), new)
    return False


def _rename_index(stmt: Stmt, rel: Json, new: str) -> bool:
    facts = stmt.facts
    schemas = search_schemas(facts, rel.get("schemaname") or None)
    for index in facts.indexes:
        if index.name == rel.get("relname") and (index.schema or edit.key_of(index.table)[0]) in schemas:
            index.name = new
            note_replayed(stmt, "RENAME")
            return True
    # the index of a primary key or unique constraint: renaming it renames the constraint
    for key in dict.fromkeys(edit.key_of(t.name) for t in facts.tables if t.source == "sql"):
        if key[0] in schemas and edit.rename_constraint(facts, key, str(rel.get("relname", "")), new):
            note_replayed(stmt, "RENAME")
            return True
    return False


def _rename_type(stmt: Stmt, parts: list[str], new: str) -> bool:
    facts = stmt.facts
    schema, name = split_name(parts)
    schemas = search_schemas(facts, schema)
    for i, enum in enumerate(facts.enums):
        if enum.name == name and enum.schema in schemas:
            facts.enums[i] = replace(enum, name=new)
            _retype_columns(facts, QName(enum.schema, name), QName(enum.schema, new))
            note_replayed(stmt, "RENAME")
            return True
    for i, domain in enumerate(facts.domains):
        if domain.name == name and domain.schema in schemas:
            facts.domains[i] = replace(domain, name=new)
            _retype_columns(facts, QName(domain.schema, name), QName(domain.schema, new))
            note_replayed(stmt, "RENAME")
            return True
    return False


def _retype_columns(facts: DocFacts, old: QName, new: QName) -> None:
    """Columns typed with a renamed type keep it, under its new name."""
    spellings = {old.name, str(old), f"{old.schema}.{old.name}"}
    for table in facts.tables:
        for col in table.columns:
            if col.type is None:
                continue
            base, dims = col.type.removesuffix("[]"), col.type.endswith("[]")
            if base in spellings:
                renamed = (str(new) if "." in base else new.name) + ("[]" if dims else "")
                col.type = col.type_written = renamed


# -- ALTER TYPE ... ADD VALUE ----------------------------------------------------------------------------------


def alter_enum(stmt: Stmt, node: Json) -> bool:
    """``ALTER TYPE e ADD VALUE 'x' [BEFORE|AFTER 'y']`` and ``RENAME VALUE``, on an enum the document created."""
    facts = stmt.facts
    if not facts.replay:
        return False
    schema, name = split_name(strs(node.get("typeName")))
    schemas = search_schemas(facts, schema)
    for i, enum in enumerate(facts.enums):
        if enum.name != name or enum.schema not in schemas:
            continue
        labels = list(enum.labels)
        if node.get("oldVal"):
            labels = [node["newVal"] if v == node["oldVal"] else v for v in labels]
        elif node.get("newVal") not in labels:
            neighbor = node.get("newValNeighbor")
            at = len(labels)
            if neighbor in labels:
                at = labels.index(neighbor) + (1 if node.get("newValIsAfter", False) else 0)
            labels.insert(at, str(node.get("newVal", "")))
        facts.enums[i] = replace(enum, labels=tuple(labels))
        note_replayed(stmt, "ALTER TYPE")
        return True
    return False
