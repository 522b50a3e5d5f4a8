"""``SET search_path`` in an SQL block: where unqualified names live, as PostgreSQL decides.

After ``SET search_path = app, public`` (or ``SELECT set_config('search_path', ...)``),
``CREATE TABLE t`` creates ``app.t``, and ``REFERENCES u`` names the first ``u`` found along the
path. The readers take names from the parse tree, so each statement's tree is qualified here
before it is read: a name the statement creates gets the path's first schema; a relation or type
it refers to gets the first schema on the path where the document has declared one so far.
"""

from __future__ import annotations

from typing import Any

from schemadoc.model import DEFAULT_SCHEMA
from schemadoc.read.facts import DocFacts

Json = dict[str, Any]

# Where each statement kind names the object it creates: a RangeVar, or a list of String names.
_CREATED_RANGEVAR = {
    "CreateStmt": "relation",
    "ViewStmt": "view",
    "CreateSeqStmt": "sequence",
    "CompositeTypeStmt": "typevar",
}
_CREATED_NAME_LIST = {
    "CreateFunctionStmt": "funcname",
    "CreateEnumStmt": "typeName",
    "CreateDomainStmt": "domainname",
    "CreateRangeStmt": "typeName",
    "DefineStmt": "defnames",  # CREATE COLLATION, CREATE AGGREGATE
}
_SYSTEM = frozenset({"pg_catalog", "information_schema", "pg_temp"})


def path_from_statement(kind: str, body: Json) -> list[str] | None:
    """The search path a statement sets, or None when it sets none. ``[]``: the default."""
    if kind == "VariableSetStmt" and body.get("name") == "search_path":
        if body.get("kind") != "VAR_SET_VALUE":
            return []
        return [_const(arg) for arg in body.get("args") or () if _const(arg)]
    if kind == "SelectStmt":
        for target in body.get("targetList") or ():
            call = target.get("ResTarget", {}).get("val", {}).get("FuncCall", {})
            names = [n.get("String", {}).get("sval", "") for n in call.get("funcname") or ()]
            args: list[Json] = call.get("args") or []
            if names and names[-1] == "set_config" and len(args) >= 2 and _const(args[0]) == "search_path":
                return _split_path(_const(args[1]))
    return None


def _const(node: Json) -> str:
    return str(node.get("A_Const", {}).get("sval", {}).get("sval", ""))


def _split_path(text: str) -> list[str]:
    """``'app, "My Schema", public'`` -> ``["app", "My Schema", "public"]`` (quotes keep case and commas)."""
    out: list[str] = []
    item: list[str] = []
    quoted = False
    for char in text + ",":
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            word = "".join(item).strip()
            if word:
                out.append(word if word.startswith('"') else word.lower())
            item = []
            continue
        item.append(char)
    return [w[1:-1].replace('""', '"') if w.startswith('"') else w for w in out]


def body_path(facts: DocFacts) -> tuple[str, ...]:
    """The search path a view or routine body written now is built under: the path the document
    set, or ``()`` when it names no schema beyond the default ones."""
    path = facts.search_path
    if all(schema in _DEFAULT_PATH for schema in path):
        return ()
    return tuple(path)


_DEFAULT_PATH = frozenset({"$user", DEFAULT_SCHEMA, "pg_catalog"})


def creation_schema(path: list[str]) -> str | None:
    """The schema unqualified names are created in, or None when that is the default schema."""
    for schema in path:
        if schema == "$user" or schema in _SYSTEM:
            continue
        return None if schema == DEFAULT_SCHEMA else schema
    return None


def qualify_statement(kind: str, body: Json, path: list[str], facts: DocFacts) -> None:
    """Give the unqualified names in a statement's tree the schema ``path`` resolves them to."""
    first = creation_schema(path)
    if first is None:
        return
    created = body.get(_CREATED_RANGEVAR.get(kind, ""))
    if kind == "CreateTableAsStmt":
        created = body.get("into", {}).get("rel")
    if isinstance(created, dict) and not created.get("schemaname"):
        created["schemaname"] = first
    names = body.get(_CREATED_NAME_LIST.get(kind, ""))
    if isinstance(names, list) and len(names) == 1:
        names.insert(0, {"String": {"sval": first}})
    if kind == "CreateTrigStmt":
        _qualify_function(body.get("funcname"), path, {(f.schema, f.name) for f in facts.functions})
    relations = _known_relations(facts)
    types = _known_types(facts)
    _walk(body, path, relations, types, created)
    if facts.collations:
        _qualify_collations(body, path, {(c.schema, c.name) for c in facts.collations})


def _qualify_function(names: Any, path: list[str], functions: set[tuple[str, str]]) -> None:
    if not isinstance(names, list) or len(names) != 1:
        return
    schema = _along(path, names[0].get("String", {}).get("sval", ""), functions)
    if schema is not None:
        names.insert(0, {"String": {"sval": schema}})


def _qualify_collations(node: Any, path: list[str], known: set[tuple[str, str]]) -> None:
    """``COLLATE name`` naming, unqualified, a collation the document created along the path."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, list):
            stack.extend(cur)
        elif isinstance(cur, dict):
            names = cur.get("collname")
            if isinstance(names, list) and len(names) == 1:
                schema = _along(path, names[0].get("String", {}).get("sval", ""), known)
                if schema is not None:
                    names.insert(0, {"String": {"sval": schema}})
            stack.extend(cur.values())


def _known_relations(facts: DocFacts) -> set[tuple[str, str]]:
    known = {(t.name.schema or DEFAULT_SCHEMA, t.name.text) for t in facts.tables}
    known.update((v.name.schema or DEFAULT_SCHEMA, v.name.text) for v in facts.views)
    known.update((s.schema, s.name) for s in facts.sequences)
    return known


def _known_types(facts: DocFacts) -> set[tuple[str, str]]:
    known = {(e.schema, e.name) for e in facts.enums}
    known.update((d.schema, d.name) for d in facts.domains)
    known.update((c.schema, c.name) for c in facts.composites)
    known.update((r.schema, r.name) for r in facts.ranges)
    return known


def _walk(
    node: Any, path: list[str], relations: set[tuple[str, str]], types: set[tuple[str, str]], skip: Any
) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, path, relations, types, skip)
        return
    if not isinstance(node, dict) or node is skip:
        return
    if "relname" in node and not node.get("schemaname"):
        schema = _along(path, node["relname"], relations)
        if schema is not None:
            node["schemaname"] = schema
    type_name = node.get("TypeName")
    if isinstance(type_name, dict):
        _qualify_type(type_name, path, types)
    for key, value in node.items():
        if key == "typeName" and isinstance(value, dict):
            _qualify_type(value, path, types)
        _walk(value, path, relations, types, skip)


def _qualify_type(type_name: Json, path: list[str], types: set[tuple[str, str]]) -> None:
    names = type_name.get("names")
    if not isinstance(names, list) or len(names) != 1:
        return
    schema = _along(path, names[0].get("String", {}).get("sval", ""), types)
    if schema is not None:
        names.insert(0, {"String": {"sval": schema}})


def _along(path: list[str], name: str, known: set[tuple[str, str]]) -> str | None:
    """The first schema on ``path`` where the document has declared ``name``."""
    for schema in path:
        if (schema, name) in known:
            return schema
    return None
