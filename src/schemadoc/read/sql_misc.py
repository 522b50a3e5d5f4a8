"""Types, extensions, schemas, roles, sequences, policies, grants and comments."""

from __future__ import annotations

from typing import Literal

from schemadoc import sequence_options
from schemadoc.model import (
    DEFAULT_SCHEMA,
    CompositeType,
    Domain,
    Enum,
    Extension,
    Policy,
    QName,
    RangeType,
    Role,
    Sequence,
    qualify,
)
from schemadoc.read.facts import CommentFact, GrantFact, Name
from schemadoc.read.sql_nodes import (
    Json,
    Stmt,
    def_bool,
    def_elems,
    def_str,
    list_name,
    range_name,
    role_name,
    schema_and_name,
    sequence_option_values,
    strs,
    type_text,
    unwrap,
)
from schemadoc.records import replace
from schemadoc.sqlnames import quote_ident


def read_enum(stmt: Stmt, node: Json) -> None:
    schema, name = schema_and_name(strs(node.get("typeName")))
    stmt.facts.enums.append(Enum(schema, name, tuple(strs(node.get("vals"))), span=stmt.span()))


def read_domain(stmt: Stmt, node: Json) -> Domain:
    """A domain: base type, DEFAULT, NOT NULL and CHECK constraints."""
    src = stmt.src
    schema, name = schema_and_name(strs(node.get("domainname")))
    base = type_text(stmt, node.get("typeName", {}))[0]
    nullable = True
    default = None
    checks: list[str] = []
    constraints = [c.get("Constraint", {}) for c in node.get("constraints") or ()]
    for i, con in enumerate(constraints):
        at = stmt.at(con)
        stop = stmt.at(constraints[i + 1]) if i + 1 < len(constraints) else stmt.end
        kind = con.get("contype")
        if kind == "CONSTR_NOTNULL":
            nullable = False
        elif kind == "CONSTR_DEFAULT":
            kw = src.find_word(at, stop, "default")
            default = src.clean(kw.end if kw else at, stop)
        elif kind == "CONSTR_CHECK":
            kw = src.find_word(at, stop, "check")
            body = src.paren_body(kw.end if kw else at, stop)
            if body is not None:
                checks.append(src.clean(*body))
    domain = Domain(schema, name, base, nullable, default, tuple(checks), span=stmt.span())
    stmt.facts.domains.append(domain)
    return domain


def read_composite(stmt: Stmt, node: Json) -> None:
    """``CREATE TYPE name AS (attribute type [COLLATE c], ...)``."""
    rel = node.get("typevar", {})
    attributes: list[tuple[str, str]] = []
    for elt in node.get("coldeflist") or ():
        col = unwrap(elt)[1]
        type_ = type_text(stmt, col.get("typeName", {}))[0]
        coll = col.get("collClause")
        if coll is not None:
            type_ += " COLLATE " + _quoted_name(strs(coll.get("collname")))
        attributes.append((col.get("colname", ""), type_))
    stmt.facts.composites.append(
        CompositeType(
            rel.get("schemaname") or DEFAULT_SCHEMA,
            rel.get("relname", ""),
            tuple(attributes),
            span=stmt.span(),
        )
    )


def _type_option(stmt: Stmt, elem: Json | None) -> str | None:
    """A CREATE TYPE option's value as a (quoted where needed) name: a type, a function, a collation."""
    if elem is None:
        return None
    kind, body = unwrap(elem.get("arg", {}))
    if kind == "TypeName":
        return _quoted_name(strs(body.get("names")))
    text = def_str(elem)
    return None if text is None else quote_ident(text)


def _quoted_name(parts: list[str]) -> str:
    return ".".join(quote_ident(p) for p in parts)


def read_range(stmt: Stmt, node: Json) -> None:
    """``CREATE TYPE name AS RANGE (subtype = ..., ...)``. A canonical function needs a shell type
    made first and is not read."""
    schema, name = schema_and_name(strs(node.get("typeName")))
    params = def_elems(node.get("params"))
    subtype = params.get("subtype")
    if subtype is None or "TypeName" not in subtype.get("arg", {}):
        stmt.note(f"range type {schema}.{name} skipped: it names no subtype")
        return
    if "canonical" in params:
        stmt.note(
            f"range type {schema}.{name}: the canonical function is not read",
            hint="a canonical function needs a shell type created before it; build it by hand",
        )
    stmt.facts.ranges.append(
        RangeType(
            schema,
            name,
            type_text(stmt, subtype["arg"]["TypeName"])[0],
            subtype_opclass=_type_option(stmt, params.get("subtype_opclass")),
            collation=_type_option(stmt, params.get("collation")),
            subtype_diff=_type_option(stmt, params.get("subtype_diff")),
            multirange=_type_option(stmt, params.get("multirange_type_name")),
            span=stmt.span(),
        )
    )


def read_extension(stmt: Stmt, node: Json) -> None:
    opts = def_elems(node.get("options"))
    stmt.facts.extensions.append(
        Extension(node.get("extname", ""), schema=def_str(opts.get("schema")), span=stmt.span())
    )


def read_schema(stmt: Stmt, node: Json) -> str:
    """The schema's name (recorded among the document's schemas); its elements are read by the caller."""
    name = node.get("schemaname") or role_name(node.get("authrole", {}))
    if name and name not in stmt.facts.schemas:
        stmt.facts.schemas.append(name)
    return str(name or "")


def read_role(stmt: Stmt, node: Json) -> None:
    opts = def_elems(node.get("options"))
    login_default = node.get("stmt_type") == "ROLESTMT_USER"
    login = def_bool(opts.get("canlogin"), default=login_default) if "canlogin" in opts else login_default
    powers = tuple(
        sorted(_ROLE_POWERS[name] for name, elem in opts.items() if name in _ROLE_POWERS and def_bool(elem))
    )
    stmt.facts.roles.append(Role(node.get("role", ""), login=login, powers=powers, span=stmt.span()))


# Role attributes that give power over the whole server (CREATEDB and CREATEROLE included:
# a role that can make roles or databases reaches past the documented database).
_ROLE_POWERS = {
    "superuser": "SUPERUSER",
    "createrole": "CREATEROLE",
    "createdb": "CREATEDB",
    "isreplication": "REPLICATION",
    "bypassrls": "BYPASSRLS",
}


def _sequence_type(stmt: Stmt, opts: dict[str, Json]) -> str | None:
    as_opt = opts.get("as")
    if as_opt is not None and "TypeName" in as_opt.get("arg", {}):
        return type_text(stmt, as_opt["arg"]["TypeName"])[0]
    return None


def _sequence_owner(opts: dict[str, Json]) -> tuple[bool, tuple[QName, str] | None]:
    """Whether OWNED BY is stated, and the (table, column) it names (None for OWNED BY NONE)."""
    owned = opts.get("owned_by")
    if owned is None:
        return False, None
    parts = strs(owned.get("arg", {}).get("List", {}).get("items"))
    if len(parts) == 2:
        parts = [DEFAULT_SCHEMA, *parts]
    if len(parts) == 3:
        return True, (QName(parts[0], parts[1]), parts[2])
    return True, None


def read_sequence(stmt: Stmt, node: Json) -> None:
    seq = node.get("sequence", {})
    schema = seq.get("schemaname") or DEFAULT_SCHEMA
    opts = def_elems(node.get("options"))
    owned_by = _sequence_owner(opts)[1]
    stmt.facts.sequences.append(
        Sequence(
            schema,
            seq.get("relname", ""),
            data_type=_sequence_type(stmt, opts) or "bigint",
            owned_by=owned_by,
            options=sequence_option_values(opts),
            span=stmt.span(),
        )
    )


def read_alter_sequence(stmt: Stmt, node: Json) -> None:
    """ALTER SEQUENCE: its AS, OWNED BY and options (INCREMENT, START, ...) change the sequence
    the document declared before (pg_dump writes OWNED BY this way); RESTART sets where the
    sequence is now, which no document promises, and is not read."""
    seq = node.get("sequence", {})
    qname = QName(seq.get("schemaname") or DEFAULT_SCHEMA, seq.get("relname", ""))
    found = [i for i, s in enumerate(stmt.facts.sequences) if s.qname == qname]
    if not found:
        stmt.not_built(
            "ALTER SEQUENCE statement",
            f"sequence {qname} is not declared before it",
            hint="declare the sequence with CREATE SEQUENCE before altering it",
        )
        return
    opts = def_elems(node.get("options"))
    index = found[-1]
    current = stmt.facts.sequences[index]
    owner_stated, owner = _sequence_owner(opts)
    data_type = _sequence_type(stmt, opts)
    changed = current
    if data_type is not None:
        changed = replace(changed, data_type=data_type)
    if owner_stated:
        changed = replace(changed, owned_by=owner)
    options = sequence_option_values(opts)
    if options:
        changed = replace(changed, options=sequence_options.merged(changed.options, options))
    stmt.facts.sequences[index] = changed


_COMMANDS: dict[str, Literal["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"]] = {
    "all": "ALL",
    "select": "SELECT",
    "insert": "INSERT",
    "update": "UPDATE",
    "delete": "DELETE",
}


def read_policy(stmt: Stmt, node: Json) -> None:
    src = stmt.src
    rel = node.get("table", {})
    table = qualify(rel.get("relname", ""), rel.get("schemaname"))
    roles = tuple(role_name(r.get("RoleSpec", {})) for r in node.get("roles") or ()) or ("public",)
    using = check = None
    after = stmt.at(rel)
    if node.get("qual") is not None:
        kw = src.find_word(after, stmt.end, "using")
        body = src.paren_body(kw.end, stmt.end) if kw else None
        using = src.clean(*body) if body else None
    if node.get("with_check") is not None:
        start = after
        while True:
            kw = src.find_word(start, stmt.end, "with")
            if kw is None:
                break
            nxt = src.next_token(kw.end, stmt.end)
            if nxt is not None and src.word(nxt) == "check":
                body = src.paren_body(nxt.end, stmt.end)
                check = src.clean(*body) if body else None
                break
            start = kw.end
    stmt.facts.policies.append(
        Policy(
            name=node.get("policy_name", ""),
            table=table,
            command=_COMMANDS.get(node.get("cmd_name", "all"), "ALL"),
            permissive=bool(node.get("permissive")),
            roles=roles,
            using=using,
            with_check=check,
            span=stmt.span(),
        )
    )


_GRANT_TYPES: dict[str, Literal["TABLE", "SEQUENCE", "FUNCTION", "SCHEMA", "TYPE"]] = {
    "OBJECT_TABLE": "TABLE",
    "OBJECT_SEQUENCE": "SEQUENCE",
    "OBJECT_FUNCTION": "FUNCTION",
    "OBJECT_PROCEDURE": "FUNCTION",
    "OBJECT_ROUTINE": "FUNCTION",
    "OBJECT_SCHEMA": "SCHEMA",
    "OBJECT_TYPE": "TYPE",
    "OBJECT_DOMAIN": "TYPE",
}
_BULK = {"TABLE": "ALL TABLES", "SEQUENCE": "ALL SEQUENCES", "FUNCTION": "ALL FUNCTIONS"}


def read_grant(stmt: Stmt, node: Json) -> None:
    objtype = node.get("objtype", "")
    kind = _GRANT_TYPES.get(objtype)
    if kind is None:
        stmt.not_built(
            f"GRANT on {objtype.removeprefix('OBJECT_').lower()}",
            "privileges on this kind of object are not part of the schema model",
            hint="grants on tables, sequences, functions, schemas and types are built",
        )
        return
    object_type: Literal["TABLE", "SEQUENCE", "FUNCTION", "SCHEMA", "TYPE"] = kind
    privileges: list[str] = []
    column_privileges: list[tuple[str, list[str]]] = []
    for p in node.get("privileges") or ():
        priv = p.get("AccessPriv", {})
        text = str(priv.get("priv_name", "all")).upper()
        cols = strs(priv.get("cols"))
        if cols and object_type == "TABLE":
            column_privileges.append((text, cols))
        elif cols:
            text += " (" + ", ".join(quote_ident(c) for c in cols) + ")"
            privileges.append(text)
        else:
            privileges.append(text)
    grantees = [role_name(g.get("RoleSpec", {})) for g in node.get("grantees") or ()]

    def grant(objects: list[Name], schema: str | None = None, bulk: str | None = None) -> GrantFact:
        return GrantFact(
            privileges=privileges or ([] if column_privileges else ["ALL"]),
            column_privileges=column_privileges,
            object_type=object_type,
            objects=objects,
            grantees=grantees,
            span=stmt.span(),
            with_grant_option=bool(node.get("grant_option")),
            schema=schema,
            bulk=bulk,
        )

    if node.get("targtype") == "ACL_TARGET_ALL_IN_SCHEMA":
        bulk = _BULK.get(object_type)
        if bulk is None:
            stmt.not_built(
                "GRANT ... IN SCHEMA",
                f"ALL {object_type}S IN SCHEMA is not read",
                hint="grant on each object by name",
            )
            return
        stmt.facts.grants.extend(grant([], schema, bulk) for schema in strs(node.get("objects")))
        return
    stmt.facts.grants.append(grant([_object_name(stmt, o) for o in node.get("objects") or ()]))


def _object_name(stmt: Stmt, node: Json) -> Name:
    """The object a GRANT or COMMENT names, as parts, never as dotted text (a function without
    its arguments; a column as its table, see :func:`read_comment`)."""
    kind, body = unwrap(node)
    if kind == "RangeVar":
        return range_name(stmt, body)
    if kind == "String":
        return Name(str(body.get("sval", "")))
    if kind == "ObjectWithArgs":
        return list_name(strs(body.get("objname")))
    if kind == "TypeName":
        return list_name(strs(body.get("names")))
    if kind == "List":
        return list_name(strs(body.get("items")))
    return Name("")


def read_comment(stmt: Stmt, node: Json) -> None:
    objtype = str(node.get("objtype", "")).removeprefix("OBJECT_")
    obj = node.get("object", {})
    column = None
    if objtype == "COLUMN":  # a list: [schema,] table, column
        parts = strs(unwrap(obj)[1].get("items"))
        column = parts[-1] if parts else None
        target = list_name(parts[:-1])
    else:
        target = _object_name(stmt, obj)
    stmt.facts.comments.append(
        CommentFact(
            object_type=objtype.replace("_", " "),
            target=target,
            text=node.get("comment"),
            span=stmt.span(),
            column=column,
        )
    )
