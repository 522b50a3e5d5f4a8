"""DDL for roles, grants, row-level security and policies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from schemadoc.model import ColumnGrant, Grant, Policy, QName, Role, Schema, Table
from schemadoc.sqlnames import quote_ident, quote_literal, quote_qualified
from schemadoc.write.ddl_routines import function_signature_sql, signature_sql
from schemadoc.write.statement import Statement, dollar_quote

# Role specifications that are keywords, not role names.
_ROLE_KEYWORDS = {"public": "PUBLIC", "current_user": "CURRENT_USER", "session_user": "SESSION_USER",
                  "current_role": "CURRENT_ROLE"}  # fmt: skip

_PRIVILEGE_ORDER = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER",
                    "USAGE", "EXECUTE", "CREATE", "TEMPORARY", "CONNECT", "MAINTAIN", "ALL")  # fmt: skip


def role_spec(name: str) -> str:
    return _ROLE_KEYWORDS.get(name.lower()) or quote_ident(name)


def is_role_keyword(name: str) -> bool:
    return name.lower() in _ROLE_KEYWORDS


_ROLE_POWER_WORDS = frozenset({"SUPERUSER", "CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS"})


def role_statement(role: Role) -> Statement:
    """CREATE ROLE guarded by an existence check: roles belong to the whole server, so a
    document applied to a second database on the same server must not fail on them.
    A role the document only grants to is created without LOGIN."""
    login = "LOGIN" if role.login and role.created_by_document else "NOLOGIN"
    if role.powers and role.created_by_document:
        login += "".join(f" {power}" for power in role.powers if power in _ROLE_POWER_WORDS)
    body = (
        f" BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {quote_literal(role.name)})"
        f" THEN CREATE ROLE {quote_ident(role.name)} {login}; END IF; END "
    )
    return Statement(f"DO {dollar_quote(body, '')}", role.span, "role")


def _privilege_rank(privilege: str) -> tuple[int, str]:
    word = privilege.split("(")[0].strip().upper()
    rank = _PRIVILEGE_ORDER.index(word) if word in _PRIVILEGE_ORDER else len(_PRIVILEGE_ORDER)
    return rank, privilege


def is_procedure(grant: Grant, schema: Schema) -> bool:
    """Whether the routine a grant is on is a procedure (GRANT says PROCEDURE for those)."""
    if grant.object_type != "FUNCTION" or not isinstance(grant.object_name, str):
        return False
    fn = schema.functions.get(grant.object_name)
    if fn is None:
        target = signature_sql(grant.object_name)
        fn = next((f for f in schema.functions.values() if function_signature_sql(f) == target), None)
    return fn is not None and fn.kind == "procedure"


def grant_object_sql(grant: Grant, *, procedure: bool = False) -> str:
    """The object of a grant as GRANT and REVOKE name it: ``TABLE s.t``, ``SCHEMA s``,
    ``FUNCTION s.f(integer)`` (``PROCEDURE`` when ``procedure``)."""
    kind, name = grant.object_type, grant.object_name
    if isinstance(name, QName):
        return f"{kind} {quote_qualified(name)}"
    if kind == "SCHEMA":
        return f"SCHEMA {quote_ident(name)}"
    return f"{'PROCEDURE' if procedure else 'FUNCTION'} {signature_sql(name)}"


def _privilege_list(grants: Sequence[Grant]) -> str:
    privileges = sorted({g.privilege.upper() for g in grants}, key=_privilege_rank)
    return "ALL" if "ALL" in privileges else ", ".join(privileges)


def grant_statement(grants: Sequence[Grant], *, procedure: bool = False) -> Statement:
    """One GRANT of the privileges ``grants`` give (all on one object, to one grantee, with the
    grant option of the first)."""
    first = grants[0]
    text = (
        f"GRANT {_privilege_list(grants)} ON {grant_object_sql(first, procedure=procedure)}"
        f" TO {role_spec(first.grantee)}"
    )
    if first.with_grant_option:
        text += " WITH GRANT OPTION"
    spans = sorted(g.span for g in grants if g.span)
    return Statement(text, spans[0] if spans else None, "grant")


def revoke_statement(
    grants: Sequence[Grant], *, procedure: bool = False, option_only: bool = False
) -> Statement:
    """REVOKE the privileges ``grants`` give (all on one object, from one grantee);
    ``option_only``: only the right to grant them on (REVOKE GRANT OPTION FOR)."""
    first = grants[0]
    head = "REVOKE GRANT OPTION FOR" if option_only else "REVOKE"
    text = (
        f"{head} {_privilege_list(grants)} ON {grant_object_sql(first, procedure=procedure)}"
        f" FROM {role_spec(first.grantee)}"
    )
    return Statement(text, None, "grant")


def grant_statements(schema: Schema) -> list[Statement]:
    """One GRANT per object, grantee and grant option, listing its privileges."""
    groups: dict[tuple[str, QName | str, str, bool], list[Grant]] = {}
    key: tuple[str, QName | str, str, bool]
    for grant in schema.grants:
        key = (grant.object_type, grant.object_name, grant.grantee, grant.with_grant_option)
        groups.setdefault(key, []).append(grant)
    return [
        grant_statement(groups[key], procedure=is_procedure(groups[key][0], schema)) for key in sorted(groups)
    ]


def column_grant_statements(schema: Schema) -> list[Statement]:
    """One ``GRANT privilege (columns) ON TABLE t`` per table, privilege, grantee and grant option."""
    groups: dict[tuple[QName, str, str, bool], list[ColumnGrant]] = {}
    for grant in schema.column_grants:
        key = (grant.table, grant.grantee, grant.privilege.upper(), grant.with_grant_option)
        groups.setdefault(key, []).append(grant)
    out: list[Statement] = []
    for table, grantee, privilege, option in sorted(
        groups, key=lambda k: (k[0], k[1], _privilege_rank(k[2]), k[3])
    ):
        grants = groups[(table, grantee, privilege, option)]
        columns = ", ".join(quote_ident(c) for c in sorted({g.column for g in grants}))
        text = f"GRANT {privilege} ({columns}) ON TABLE {quote_qualified(table)} TO {role_spec(grantee)}"
        if option:
            text += " WITH GRANT OPTION"
        spans = sorted(g.span for g in grants if g.span)
        out.append(Statement(text, spans[0] if spans else None, "grant"))
    return out


def rls_statements(tables: Iterable[Table]) -> list[Statement]:
    out: list[Statement] = []
    for table in tables:
        name = quote_qualified(table.qname)
        if table.rls_enabled:
            out.append(Statement(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY", table.span, "rls"))
        if table.rls_forced:
            out.append(Statement(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY", table.span, "rls"))
    return out


def policy_statement(policy: Policy) -> Statement:
    text = f"CREATE POLICY {quote_ident(policy.name)} ON {quote_qualified(policy.table)}"
    if not policy.permissive:
        text += " AS RESTRICTIVE"
    if policy.command != "ALL":
        text += f" FOR {policy.command}"
    roles = [r for r in policy.roles if r]
    if roles and [r.lower() for r in roles] != ["public"]:
        text += " TO " + ", ".join(role_spec(r) for r in roles)
    if policy.using:
        text += f" USING ({policy.using})"
    if policy.with_check:
        text += f" WITH CHECK ({policy.with_check})"
    return Statement(text, policy.span, "policy")


def drop_policy_statement(policy: Policy) -> Statement:
    text = f"DROP POLICY {quote_ident(policy.name)} ON {quote_qualified(policy.table)}"
    return Statement(text, policy.span, "policy")


def alter_policy_statement(policy: Policy) -> Statement:
    """ALTER POLICY setting its roles and both expressions: it cannot change the command or
    PERMISSIVE/RESTRICTIVE, nor take an expression away."""
    text = f"ALTER POLICY {quote_ident(policy.name)} ON {quote_qualified(policy.table)}"
    roles = [r for r in policy.roles if r] or ["public"]
    text += " TO " + ", ".join(role_spec(r) for r in roles)
    if policy.using:
        text += f" USING ({policy.using})"
    if policy.with_check:
        text += f" WITH CHECK ({policy.with_check})"
    return Statement(text, policy.span, "policy")
