"""Types, extensions, schemas, roles, sequences, policies, grants and comments."""

from __future__ import annotations

from typing import Literal

from schemadoc.model import DEFAULT_SCHEMA, Domain, Enum, Extension, Policy, Role, Sequence, qualify
from schemadoc.read.facts import CommentFact, GrantFact
from schemadoc.read.sql_nodes import (
    Json,
    Stmt,
    def_bool,
    def_elems,
    def_str,
    qualified_text,
    role_name,
    schema_and_name,
    strs,
    type_text,
    unwrap,
)
from schemadoc.sqlnames import quote_ident


def read_enum(stmt: Stmt, node: Json) -> None:
    schema, name = schema_and_name(strs(node.get("typeName")))
    stmt.facts.enums.append(Enum(schema, name, tuple(strs(node.get("vals"))), span=stmt.span()))


def read_domain(stmt: Stmt, node: Json) -> Domain:
    """A domain. The document facts have no list for domains yet: when they do, the domain is
    added there; until then a note says it was recognised."""
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
    store = getattr(stmt.facts, "domains", None)
    if isinstance(store, list):
        store.append(domain)
    else:
        stmt.not_built(
            "CREATE DOMAIN statement",
            f"domain {schema}.{name} ({base}) is not carried into the schema yet; "
            "columns of this type keep the domain name as their type",
            hint=f"write the columns with the base type {base} and their CHECK",
        )
    return domain


def read_extension(stmt: Stmt, node: Json) -> None:
    opts = def_elems(node.get("options"))
    stmt.facts.extensions.append(
        Extension(node.get("extname", ""), schema=def_str(opts.get("schema")), span=stmt.span())
    )


def read_schema(stmt: Stmt, node: Json) -> None:
    name = node.get("schemaname") or role_name(node.get("authrole", {}))
    if name and name not in stmt.facts.schemas:
        stmt.facts.schemas.append(name)
    if node.get("schemaElts"):
        stmt.not_built(
            "CREATE SCHEMA element",
            f"statements inside CREATE SCHEMA {name} are not read",
            hint="write them as separate statements after CREATE SCHEMA",
        )


def read_role(stmt: Stmt, node: Json) -> None:
    opts = def_elems(node.get("options"))
    login_default = node.get("stmt_type") == "ROLESTMT_USER"
    login = def_bool(opts.get("canlogin"), default=login_default) if "canlogin" in opts else login_default
    stmt.facts.roles.append(Role(node.get("role", ""), login=login, span=stmt.span()))


def read_sequence(stmt: Stmt, node: Json) -> None:
    seq = node.get("sequence", {})
    schema = seq.get("schemaname") or DEFAULT_SCHEMA
    opts = def_elems(node.get("options"))
    data_type = "bigint"
    as_opt = opts.get("as")
    if as_opt is not None and "TypeName" in as_opt.get("arg", {}):
        data_type = type_text(stmt, as_opt["arg"]["TypeName"])[0]
    owned_by = None
    owned = opts.get("owned_by")
    if owned is not None:
        parts = strs(owned.get("arg", {}).get("List", {}).get("items"))
        if len(parts) == 2:
            parts = [DEFAULT_SCHEMA, *parts]
        if len(parts) == 3:
            owned_by = ".".join(parts)
    stmt.facts.sequences.append(
        Sequence(schema, seq.get("relname", ""), data_type=data_type, owned_by=owned_by, span=stmt.span())
    )


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
    for p in node.get("privileges") or ():
        priv = p.get("AccessPriv", {})
        text = str(priv.get("priv_name", "all")).upper()
        cols = strs(priv.get("cols"))
        if cols:
            text += " (" + ", ".join(quote_ident(c) for c in cols) + ")"
        privileges.append(text)
    grantees = [role_name(g.get("RoleSpec", {})) for g in node.get("grantees") or ()]

    def grant(objects: list[str], schema: str | None = None) -> GrantFact:
        return GrantFact(
            privileges=privileges or ["ALL"],
            object_type=object_type,
            objects=objects,
            grantees=grantees,
            span=stmt.span(),
            with_grant_option=bool(node.get("grant_option")),
            schema=schema,
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
        stmt.facts.grants.extend(grant([bulk], schema) for schema in strs(node.get("objects")))
        return
    stmt.facts.grants.append(grant([_object_name(stmt, o) for o in node.get("objects") or ()]))


def _object_name(stmt: Stmt, node: Json) -> str:
    kind, body = unwrap(node)
    if kind == "RangeVar":
        rel = body.get("relname", "")
        schema = body.get("schemaname")
        return f"{schema}.{rel}" if schema else rel
    if kind == "String":
        return str(body.get("sval", ""))
    if kind == "ObjectWithArgs":
        return _function_ref(stmt, body)
    if kind == "TypeName":
        return type_text(stmt, body)[0]
    if kind == "List":
        return qualified_text(strs(body.get("items")))
    return ""


def _function_ref(stmt: Stmt, owa: Json) -> str:
    name = qualified_text(strs(owa.get("objname")))
    if owa.get("args_unspecified"):
        return name
    args = [type_text(stmt, t.get("TypeName", {}))[0] for t in owa.get("objargs") or ()]
    return f"{name}({', '.join(args)})"


def read_comment(stmt: Stmt, node: Json) -> None:
    objtype = str(node.get("objtype", "")).removeprefix("OBJECT_")
    target = _object_name(stmt, node.get("object", {}))
    stmt.facts.comments.append(
        CommentFact(
            object_type=objtype.replace("_", " "), target=target, text=node.get("comment"), span=stmt.span()
        )
    )
