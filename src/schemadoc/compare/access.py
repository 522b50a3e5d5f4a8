"""Typed changes of row-level security policies and grants, and the comparison that finds them."""

from __future__ import annotations

from typing import ClassVar

from schemadoc.compare.changes import Change, Lock, Step
from schemadoc.compare.codes import (
    GRANT_EXTRA,
    GRANT_MISSING,
    GRANT_OPTION,
    POLICY_CHANGED,
    POLICY_EXTRA,
    POLICY_MISSING,
    ROLE_ABSENT,
)
from schemadoc.compare.pairing import match_by_key
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.text import grant_key
from schemadoc.model import ColumnGrant, Grant, Policy, QName, Role, Schema
from schemadoc.records import record
from schemadoc.sqlnames import quote_ident
from schemadoc.write.ddl_access import (
    alter_policy_statement,
    column_grant_statements,
    drop_policy_statement,
    grant_statement,
    is_procedure,
    is_role_keyword,
    policy_statement,
    revoke_statement,
    role_statement,
)

# --- policies ----------------------------------------------------------------------------------


def policy_text(p: Policy) -> str:
    text = f"{'PERMISSIVE' if p.permissive else 'RESTRICTIVE'} FOR {p.command} TO {', '.join(p.roles)}"
    if p.using is not None:
        text += f" USING ({p.using})"
    if p.with_check is not None:
        text += f" WITH CHECK ({p.with_check})"
    return text


def _on_table(sql: str, table: QName) -> Step:
    """CREATE, ALTER and DROP POLICY take an ACCESS EXCLUSIVE lock on the table (briefly: no scan)."""
    return Step(sql, Lock.ACCESS_EXCLUSIVE, table)


@record
class AddPolicy(Change):
    code: ClassVar[str] = POLICY_MISSING
    policy: Policy

    def message(self) -> str:
        p = self.policy
        return f"policy {p.name} on {p.table} is missing from the database: {policy_text(p)}"

    def steps(self) -> tuple[Step, ...]:
        return (_on_table(policy_statement(self.policy).sql, self.policy.table),)

    def inverse(self) -> Change:
        return DropPolicy(policy=self.policy)


@record
class DropPolicy(Change):
    code: ClassVar[str] = POLICY_EXTRA
    policy: Policy

    def message(self) -> str:
        p = self.policy
        return f"policy {p.name} on {p.table} is in the database but not in the document: {policy_text(p)}"

    def steps(self) -> tuple[Step, ...]:
        return (_on_table(drop_policy_statement(self.policy).sql, self.policy.table),)

    def inverse(self) -> Change:
        return AddPolicy(policy=self.policy)


@record
class ReplacePolicy(Change):
    """ALTER POLICY sets the roles and expressions; another command, PERMISSIVE/RESTRICTIVE, or
    an expression taken away needs DROP POLICY then CREATE POLICY (run them in one transaction:
    between the two the table has one policy fewer)."""

    code: ClassVar[str] = POLICY_CHANGED
    policy: Policy  # the document's
    current: Policy  # the database's

    def message(self) -> str:
        e, a = self.policy, self.current
        return (
            f"policy {e.name} on {e.table} differs: database has {policy_text(a)}; "
            f"document says {policy_text(e)}"
        )

    @property
    def in_place(self) -> bool:
        e, a = self.policy, self.current
        return (
            e.command == a.command
            and e.permissive == a.permissive
            and (e.using is not None or a.using is None)
            and (e.with_check is not None or a.with_check is None)
        )

    def steps(self) -> tuple[Step, ...]:
        e, a = self.policy, self.current
        if self.in_place:
            return (_on_table(alter_policy_statement(e).sql, e.table),)
        return (
            _on_table(drop_policy_statement(a).sql, a.table),
            _on_table(policy_statement(e).sql, e.table),
        )

    def inverse(self) -> Change:
        return ReplacePolicy(policy=self.current, current=self.policy)


def diff_policies(expected: Schema, actual: Schema, spans: DocSpans, skip: set[QName]) -> list[Change]:
    out: list[Change] = []
    for key in sorted(set(expected.policies) | set(actual.policies)):
        e, a = expected.policies.get(key), actual.policies.get(key)
        some = e or a
        if some is None or some.table in skip:
            continue
        if a is None:
            assert e is not None
            out.append(AddPolicy(policy=e, span=spans.policy(e)))
        elif e is None:
            out.append(DropPolicy(policy=a, span=spans.table(a.table)))
        elif e != a:
            out.append(ReplacePolicy(policy=e, current=a, span=spans.policy(e)))
    return out


# --- grants ------------------------------------------------------------------------------------


def grant_text(g: Grant) -> str:
    return f"{g.privilege} ON {g.object_type} {g.object_name} TO {g.grantee}"


def _grant_steps(grants: tuple[Grant, ...], procedure: bool, *, revoke: bool = False) -> tuple[Step, ...]:
    """GRANT (or REVOKE) statements for privileges on one object to one grantee: one per grant
    option. GRANT and REVOKE change the catalogs only; they wait for no table lock."""
    out: list[Step] = []
    for option in (False, True):
        same = tuple(g for g in grants if g.with_grant_option == option)
        if not same:
            continue
        statement = (
            revoke_statement(same, procedure=procedure)
            if revoke
            else grant_statement(same, procedure=procedure)
        )
        out.append(Step(statement.sql, Lock.NONE))
    return tuple(out)


class GrantsOn:
    """The grants of a schema by object, indexed on first use (most comparisons find nothing
    that needs them)."""

    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        self._index: dict[tuple[str, QName | str], tuple[Grant, ...]] | None = None

    def __call__(self, object_type: str, name: QName | str) -> tuple[Grant, ...]:
        if self._index is None:
            found: dict[tuple[str, QName | str], list[Grant]] = {}
            for g in self._schema.grants:
                found.setdefault((g.object_type, g.object_name), []).append(g)
            self._index = {key: tuple(grants) for key, grants in found.items()}
        return self._index.get((object_type, name), ())


def regrant_steps(grants: tuple[Grant, ...], *, procedure: bool = False) -> tuple[Step, ...]:
    """The GRANTs that give an object made (again) the privileges ``grants`` list, one
    statement per grantee and grant option."""
    by_grantee: dict[str, list[Grant]] = {}
    for g in grants:
        by_grantee.setdefault(g.grantee, []).append(g)
    return tuple(
        step for grantee in sorted(by_grantee) for step in _grant_steps(tuple(by_grantee[grantee]), procedure)
    )


def column_grant_steps(grants: tuple[ColumnGrant, ...]) -> tuple[Step, ...]:
    """The GRANTs that give a table or view made (again) the column privileges ``grants``
    list (catalog only: GRANT waits for no table lock)."""
    statements = column_grant_statements(Schema(column_grants=grants))
    return tuple(Step(s.sql, Lock.NONE) for s in statements)


@record
class AddGrant(Change):
    """Privileges the document grants and the database does not: one, or every privilege the
    grantee had on one object (reported as one lost grant). All share object and grantee."""

    code: ClassVar[str] = GRANT_MISSING
    grants: tuple[Grant, ...]
    procedure: bool = False  # the object is a procedure (GRANT ... ON PROCEDURE)

    @property
    def grant(self) -> Grant:
        return self.grants[0]

    def message(self) -> str:
        if len(self.grants) == 1:
            return f"grant {grant_text(self.grant)} is missing from the database"
        g = self.grant
        privileges = ", ".join(sorted(x.privilege for x in self.grants))
        return (
            f"grant ALL ON {g.object_type} {g.object_name} TO {g.grantee} is missing from the database "
            f"(none of {privileges})"
        )

    def steps(self) -> tuple[Step, ...]:
        return _grant_steps(self.grants, self.procedure)

    def inverse(self) -> Change:
        return RevokeGrant(grants=self.grants, procedure=self.procedure)


@record
class RevokeGrant(Change):
    """Privileges the database grants and the document does not (revoking them loses no data)."""

    code: ClassVar[str] = GRANT_EXTRA
    grants: tuple[Grant, ...]
    procedure: bool = False

    @property
    def grant(self) -> Grant:
        return self.grants[0]

    def message(self) -> str:
        return f"the database grants {grant_text(self.grant)}, the document does not"

    def steps(self) -> tuple[Step, ...]:
        return _grant_steps(self.grants, self.procedure, revoke=True)

    def inverse(self) -> Change:
        return AddGrant(grants=self.grants, procedure=self.procedure)


@record
class ChangeGrantOption(Change):
    """The same privilege with or without WITH GRANT OPTION."""

    code: ClassVar[str] = GRANT_OPTION
    grant: Grant  # the document's
    current: Grant  # the database's
    procedure: bool = False

    def message(self) -> str:
        e, a = self.grant, self.current
        return (
            f"grant {grant_text(e)} is {'' if a.with_grant_option else 'not '}WITH GRANT OPTION "
            f"in the database, the document says {'' if e.with_grant_option else 'not '}"
            "WITH GRANT OPTION"
        )

    def steps(self) -> tuple[Step, ...]:
        if self.grant.with_grant_option:
            sql = grant_statement((self.grant,), procedure=self.procedure).sql
        else:
            sql = revoke_statement((self.current,), procedure=self.procedure, option_only=True).sql
        return (Step(sql, Lock.NONE),)

    def inverse(self) -> Change:
        return ChangeGrantOption(grant=self.current, current=self.grant, procedure=self.procedure)


def diff_grants(expected: Schema, actual: Schema, spans: DocSpans) -> list[Change]:
    """Grants on objects both sides have (a missing object is reported by itself)."""

    one_sided = grant_objects(expected) ^ grant_objects(actual)

    def on_common(g: Grant) -> bool:
        return (g.object_type, g.object_name) not in one_sided

    def procedure(g: Grant) -> bool:
        return is_procedure(g, expected) or is_procedure(g, actual)

    pairs, missing, extra = match_by_key(
        [g for g in expected.grants if on_common(g)], [g for g in actual.grants if on_common(g)], grant_key
    )
    # When every privilege one grantee has on one object is gone, that is one lost grant, not seven.
    held = {(g.object_type, g.object_name, g.grantee) for g in actual.grants}
    whole: dict[tuple[str, QName | str, str], list[Grant]] = {}
    for g in missing:
        key = (g.object_type, g.object_name, g.grantee)
        if key not in held:
            whole.setdefault(key, []).append(g)
    out: list[Change] = [
        AddGrant(
            grants=(g,),
            procedure=procedure(g),
            span=spans.grant(g),
            hint_text=None
            if g.object_type == "FUNCTION"
            else f"GRANT {g.privilege} ON {g.object_type} {g.object_name} TO {quote_ident(g.grantee)}",
        )
        for g in missing
        if (g.object_type, g.object_name, g.grantee) not in whole
        or len(whole[(g.object_type, g.object_name, g.grantee)]) == 1
    ]
    for (obj_type, obj_name, grantee), lost in sorted(whole.items()):
        if len(lost) < 2:
            continue
        privileges = ", ".join(sorted(g.privilege for g in lost))
        out.append(
            AddGrant(
                grants=tuple(lost),
                procedure=procedure(lost[0]),
                span=spans.grant(lost[0]),
                hint_text=None
                if obj_type == "FUNCTION"
                else f"GRANT {privileges} ON {obj_type} {obj_name} TO {quote_ident(grantee)}",
            )
        )
    out += [RevokeGrant(grants=(g,), procedure=procedure(g), span=spans.grant(g)) for g in extra]
    out += [
        ChangeGrantOption(grant=e, current=a, procedure=procedure(e), span=spans.grant(e))
        for e, a in pairs
        if e.with_grant_option != a.with_grant_option
    ]
    return out


def grant_objects(schema: Schema) -> set[tuple[str, QName | str]]:
    """Objects that can carry grants, as (object type, name) like :class:`Grant` has them."""
    objects: set[tuple[str, QName | str]] = {("TABLE", q) for q in schema.tables}
    objects |= {("TABLE", q) for q in schema.views}
    objects |= {("SEQUENCE", q) for q in schema.sequences}
    objects |= {("FUNCTION", sig) for sig in schema.functions}
    objects |= {("SCHEMA", s) for s in (*schema.schemas, "public")}
    objects |= {("TYPE", q) for q in (*schema.enums, *schema.domains)}
    return objects


# --- roles -------------------------------------------------------------------------------------


@record
class CreateRole(Change):
    """A role the document grants to or names in a policy that the server lacks. Roles belong
    to the whole server, not to a database, so no comparison of two databases finds this:
    ``plan`` asks the server (:func:`missing_roles`). The role is made as ``up`` makes it: as the
    document defines it, or without LOGIN when the document only names it."""

    code: ClassVar[str] = ROLE_ABSENT
    role: Role

    def message(self) -> str:
        return f"role {self.role.name} does not exist on the server"

    def steps(self) -> tuple[Step, ...]:
        # guarded by an existence check (another session may make it first); catalog only
        return (Step(role_statement(self.role).sql, Lock.NONE),)


def missing_roles(doc: Schema, expected: Schema, existing: set[str]) -> list[Change]:
    """The roles that what the document builds (``expected``) grants to or names in a policy
    and that are not among ``existing`` (the server's roles), each as the document defines it
    (``doc``)."""
    out: list[Change] = []
    for name in sorted(expected.roles):
        if name in existing or is_role_keyword(name):
            continue
        role = doc.roles.get(name) or Role(name, created_by_document=False)
        out.append(CreateRole(role=role, span=role.span))
    return out
