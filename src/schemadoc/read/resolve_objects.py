"""The second half of resolution: objects that hang off tables (views, functions, triggers,
grants, policies, comments, extensions, roles)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TypeVar

from schemadoc.diagnostics import not_built
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import (
    DEFAULT_SCHEMA,
    ColumnGrant,
    CompositeType,
    Domain,
    Extension,
    Function,
    Grant,
    Index,
    Policy,
    QName,
    RangeType,
    Role,
    Schema,
    Sequence,
    Span,
    Table,
    Trigger,
    View,
    qualify,
)
from schemadoc.read.facts import Name
from schemadoc.read.names import is_placeholder
from schemadoc.read.stand_ins import called_stand_ins, cast_stand_ins, extension_types, trigger_stand_in
from schemadoc.records import replace

if TYPE_CHECKING:
    from schemadoc.read.resolve import Resolver

_BUILTIN_ROLES = {"public", "current_user", "session_user", "current_role"}


def _qual(name: Name) -> QName:
    text = name.text if name.quoted else name.text.lower()
    return qualify(text, name.schema)


def finish(r: Resolver, schema: Schema) -> Schema:
    views = _views(r)
    functions = _functions(r)
    triggers = _triggers(r, functions)
    extensions: dict[str, Extension] = {}
    for ext in r.facts.extensions:
        extensions.setdefault(ext.name, ext)
    _implied_extensions(r, schema, extensions)
    stand_in_domains = extension_types(r, schema, extensions)
    sequences: dict[QName, Sequence] = {s.qname: s for s in r.facts.sequences}
    policies: dict[tuple[QName, str], Policy] = {}
    for pol in r.facts.policies:
        tq = r.lookup(Name(pol.table.name, pol.table.schema)) or pol.table
        pol = replace(pol, table=tq)
        policies[pol.key] = pol
    tables = dict(schema.tables)
    indexes = dict(schema.indexes)
    _comments(r, tables, views, indexes)
    roles: dict[str, Role] = {role.name: role for role in r.facts.roles}
    grants = _grants(r, tables, views, sequences, functions)
    column_grants = _column_grants(r, tables, views)
    granted_to: list[tuple[str, Span | None]] = [(g.grantee, g.span) for g in grants]
    granted_to += [(g.grantee, g.span) for g in column_grants]
    for grantee, span in granted_to:
        if grantee.lower() not in _BUILTIN_ROLES and grantee not in roles:
            roles[grantee] = Role(grantee, created_by_document=False, span=span)
    for pol in policies.values():
        for role in pol.roles:
            if role.lower() not in _BUILTIN_ROLES and role not in roles:
                roles[role] = Role(role, created_by_document=False, span=pol.span)
    so_far = replace(
        schema, tables=tables, indexes=indexes, policies=policies, triggers=triggers, views=views
    )
    called_stand_ins(r, so_far, functions, extensions)
    cast_domains, cast_composites = cast_stand_ins(r, so_far)
    schemas = sorted(
        {s for s in r.facts.schemas if s != DEFAULT_SCHEMA}
        | {t.schema for t in tables.values() if t.schema != DEFAULT_SCHEMA}
        | set(r.extra_schemas)
    )
    return replace(
        schema,
        tables=dict(sorted(tables.items())),
        indexes=indexes,
        views=dict(sorted(views.items())),
        functions=dict(sorted(functions.items())),
        triggers=dict(sorted(triggers.items())),
        extensions=dict(sorted(extensions.items())),
        sequences=dict(sorted(sequences.items())),
        policies=dict(sorted(policies.items())),
        roles=dict(sorted(roles.items())),
        grants=tuple(
            sorted(set(grants), key=lambda g: (g.object_type, g.object_name, g.grantee, g.privilege))
        ),
        schemas=tuple(schemas),
        domains=_with_stand_ins(
            _by_qname(r, "domain", r.facts.domains), stand_in_domains, r.stand_in_types, cast_domains
        ),
        composites=_with_stand_ins(_by_qname(r, "composite type", r.facts.composites), cast_composites),
        ranges=_by_qname(r, "range type", r.facts.ranges),
        collations={c.qname: c for c in sorted(r.facts.collations, key=lambda c: c.qname)},
        aggregates={a.signature: a for a in sorted(r.facts.aggregates, key=lambda a: a.signature)},
        column_grants=tuple(sorted(set(column_grants), key=_column_grant_key)),
    )


_Stood = TypeVar("_Stood", Domain, CompositeType)


def _with_stand_ins(domains: dict[QName, _Stood], *stand_ins: dict[QName, _Stood]) -> dict[QName, _Stood]:
    out = dict(domains)
    for group in stand_ins:
        for qname, domain in group.items():
            out.setdefault(qname, domain)
    return dict(sorted(out.items()))


_TypeDef = TypeVar("_TypeDef", Domain, CompositeType, RangeType)


def _by_qname(r: Resolver, kind: str, found: list[_TypeDef]) -> dict[QName, _TypeDef]:
    """Types of one kind by qualified name; a second, different definition is reported and left out."""
    out: dict[QName, _TypeDef] = {}
    for t in found:
        prev = out.get(t.qname)
        if prev is None:
            out[t.qname] = t
        elif prev != t:
            r.warn("SD216", f"{kind} {t.qname} is defined twice, differently", t.span, None, prev.span)
    return dict(sorted(out.items()))


# The privileges a column can carry: what ALL (columns) grants.
_COLUMN_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "REFERENCES")


def _column_grant_key(g: ColumnGrant) -> tuple[QName, str, str, str, bool]:
    return (g.table, g.column, g.grantee, g.privilege, g.with_grant_option)


def _column_grants(r: Resolver, tables: dict[QName, Table], views: dict[QName, View]) -> list[ColumnGrant]:
    """``GRANT SELECT (a, b) ON t TO x``: one grant per column, privilege and grantee."""
    out: list[ColumnGrant] = []
    for gf in r.facts.grants:
        if not gf.column_privileges:
            continue
        for obj in gf.objects:
            tq = r.lookup(obj) or _view_named(r, obj)
            relation = tables.get(tq) if tq else None
            view = views.get(tq) if tq else None
            if tq is None or (relation is None and view is None):
                r.warn("SD222", f"GRANT on columns of {obj}: no such table or view", gf.span)
                continue
            for privilege, columns in gf.column_privileges:
                expanded = _COLUMN_PRIVILEGES if privilege == "ALL" else (privilege,)
                for written in columns:
                    name = written
                    if relation is not None:
                        col = r.find_column(relation, written)
                        if col is None:
                            r.warn("SD222", f"GRANT on column {obj}.{written}: no such column", gf.span)
                            continue
                        name = col.name
                    for priv in expanded:
                        out.extend(
                            ColumnGrant(tq, name, priv, grantee, gf.with_grant_option, gf.span)
                            for grantee in gf.grantees
                        )
    return out


# Functions that only an extension provides: a default that calls one implies the extension.
_EXTENSION_FUNCTIONS = {"uuid-ossp": lazy_regex(r"\buuid_generate_v[1345]", re.IGNORECASE)}


def _implied_extensions(r: Resolver, schema: Schema, extensions: dict[str, Extension]) -> None:
    for name, pattern in _EXTENSION_FUNCTIONS.items():
        if name in extensions:
            continue
        for table in schema.tables.values():
            col = next((c for c in table.columns if c.default and pattern.search(c.default)), None)
            if col is not None:
                extensions[name] = Extension(name, span=col.span)
                r.note(
                    "SD224",
                    f"{table.qname}.{col.name} defaults to {col.default}, which needs the {name} extension; "
                    "added it",
                    col.span,
                    f'say so in the document: CREATE EXTENSION IF NOT EXISTS "{name}"',
                )
                break


def _views(r: Resolver) -> dict[QName, View]:
    out: dict[QName, View] = {}
    for vf in r.facts.views:
        qname = _qual(vf.name)
        view = View(
            schema=qname.schema,
            name=qname.name,
            definition=vf.definition.strip().rstrip(";").strip(),
            materialized=vf.materialized,
            columns=tuple(vf.columns),
            comment=vf.description,
            search_path=vf.search_path,
            span=vf.span,
        )
        prev = out.get(qname)
        if prev is not None and prev.definition != view.definition:
            r.warn(
                "SD217",
                f"view {qname} is defined twice, differently; keeping the first",
                vf.span,
                None,
                prev.span,
            )
            continue
        out.setdefault(qname, view)
    return out


def _functions(r: Resolver) -> dict[str, Function]:
    out: dict[str, Function] = {}
    for fn in r.facts.functions:
        prev = out.get(fn.signature)
        if prev is not None and prev.body.strip() != fn.body.strip():
            r.warn(
                "SD218",
                f"function {fn.signature} is defined twice, differently; keeping the last (CREATE OR REPLACE)",
                fn.span,
                None,
                prev.span,
            )
        out[fn.signature] = fn
    return out


def _find_function(functions: dict[str, Function], name: Name) -> Function | None:
    wanted = _qual(name)
    for fn in functions.values():
        if fn.qname == wanted or (fn.schema.lower(), fn.name.lower()) == (
            wanted.schema.lower(),
            wanted.name.lower(),
        ):
            return fn
    return None


# Trigger functions PostgreSQL itself provides (pg_catalog): a trigger may call them undeclared.
_BUILTIN_TRIGGER_FUNCTIONS = frozenset(
    {"tsvector_update_trigger", "tsvector_update_trigger_column", "suppress_redundant_updates_trigger"}
)


def _builtin_trigger_function(name: Name | None) -> Function | None:
    if name is None:
        return None
    wanted = _qual(name)
    if name.schema not in (None, "pg_catalog") or wanted.name not in _BUILTIN_TRIGGER_FUNCTIONS:
        return None
    return Function("pg_catalog", wanted.name, "", "trigger", "internal", "")


def _view_named(r: Resolver, name: Name) -> QName | None:
    wanted = _folded(_qual(name))
    return next((_qual(v.name) for v in r.facts.views if _folded(_qual(v.name)) == wanted), None)


def _folded(q: QName) -> QName:
    return QName(q.schema.lower(), q.name.lower())


def _triggers(r: Resolver, functions: dict[str, Function]) -> dict[tuple[QName, str], Trigger]:
    out: dict[tuple[QName, str], Trigger] = {}
    hints = []
    for tf in r.facts.triggers:
        if tf.table is None or not tf.events or tf.timing is None:
            hints.append(tf)
            continue
        table = r.lookup(tf.table) or _view_named(r, tf.table)  # INSTEAD OF triggers sit on views
        if table is None:
            if is_placeholder(tf.table.text):
                r.warn(
                    "SD226",
                    f"trigger {tf.name} is on {tf.table}, a placeholder: read as an example, not built",
                    tf.span,
                    "write the real table's name to have the trigger built",
                )
            else:
                r.error(
                    "SD112",
                    f"trigger {tf.name} is on table {tf.table}, which the document never defines",
                    tf.span,
                    "define the table, or fix the table name",
                )
            continue
        if tf.function is None:
            r.diags.append(
                not_built(
                    "trigger without a function",
                    f"trigger {tf.name} names no function",
                    tf.span,
                    "say which function it executes: EXECUTE FUNCTION name()",
                )
            )
            continue
        fn = _find_function(functions, tf.function) or _builtin_trigger_function(tf.function)
        if fn is None and r.stub_missing:
            fn = trigger_stand_in(_qual(tf.function), tf.name, tf.span, r)
            functions[fn.signature] = fn
        if fn is None:
            r.error(
                "SD113",
                f"trigger {tf.name} calls {tf.function}(), which the document never defines",
                tf.span,
                "add the function's CREATE FUNCTION, or pass --stub-missing to build a stand-in for it",
            )
            continue
        trig = Trigger(
            name=tf.name,
            table=table,
            function=fn.qname,
            timing=tf.timing,
            events=tuple(tf.events),
            for_each_row=tf.for_each_row,
            when=tf.when,
            function_args=tuple(tf.function_args),
            description=tf.description or fn.comment,
            span=tf.span,
        )
        out.setdefault(trig.key, trig)
    # Name-only mentions: "`calculate_run_duration()` - Auto-calculate ..." under a table's Triggers list.
    for hint in hints:
        table = r.lookup(hint.table) if hint.table is not None else None
        names = {
            n for n in (hint.name.rstrip("()").strip(), hint.function.text if hint.function else "") if n
        }
        matched = [
            t
            for t in out.values()
            if (t.name in names or t.function.name in names) and (table is None or t.table == table)
        ]
        if not matched:
            r.diags.append(
                not_built(
                    "trigger without event or table",
                    f"trigger {hint.name or (hint.function or '')} is mentioned but its event and table "
                    "are never given",
                    hint.span,
                    "state it as: name - BEFORE UPDATE ON table, or give CREATE TRIGGER",
                )
            )
            continue
        for t in matched:
            if hint.description and not t.description:
                out[t.key] = replace(t, description=hint.description)
            elif hint.description and t.description and hint.description not in t.description:
                out[t.key] = replace(t, description=f"{t.description}; {hint.description}")
    return out


def _comments(
    r: Resolver, tables: dict[QName, Table], views: dict[QName, View], indexes: dict[QName, Index]
) -> None:
    """Table and column comments were applied as the tables were built. Here the ones naming
    nothing are reported, stand-in tables (made after that) get theirs, and so do views and
    indexes; the last comment on an object wins. (A comment on the index behind a PRIMARY KEY
    or UNIQUE constraint names no index of the model, and is left out.)"""
    for cf in r.facts.comments:
        target = cf.target
        tq = r.lookup(target)
        table = tables.get(tq) if tq is not None else None
        if cf.object_type == "COLUMN":
            column = r.find_column(table, cf.column or "") if table is not None else None
            if table is None or column is None:
                r.warn("SD221", f"COMMENT ON COLUMN {target}.{cf.column}: no such column", cf.span)
            elif table.stub:
                tables[table.qname] = table.with_column(replace(column, comment=cf.text))
        elif cf.object_type == "TABLE":
            if table is None:
                r.warn("SD221", f"COMMENT ON TABLE {target}: no such table", cf.span)
            elif table.stub:
                tables[table.qname] = replace(table, comment=cf.text)
        elif cf.object_type == "VIEW":
            vq = _qual(target)
            if vq in views:
                views[vq] = replace(views[vq], comment=cf.text)
        elif cf.object_type == "INDEX":
            iq = _qual(target)
            if iq in indexes:
                indexes[iq] = replace(indexes[iq], comment=cf.text)


def _grants(
    r: Resolver,
    tables: dict[QName, Table],
    views: dict[QName, View],
    sequences: dict[QName, Sequence],
    functions: dict[str, Function],
) -> list[Grant]:
    out: list[Grant] = []
    for gf in r.facts.grants:
        targets: list[tuple[str, QName | str]] = []  # (object_type, name)
        for obj in [gf.bulk] if gf.bulk else gf.objects:
            word = obj.upper() if isinstance(obj, str) else ""
            schema = gf.schema or DEFAULT_SCHEMA
            if word == "ALL TABLES":
                # PostgreSQL's ALL TABLES IN SCHEMA covers views and materialized views too
                targets += [
                    ("TABLE", q)
                    for q, t in tables.items()
                    if isinstance(t, Table) and t.schema == schema and not t.stub
                ]
                targets += [("TABLE", q) for q, v in views.items() if v.schema == schema]
            elif word == "ALL SEQUENCES":
                targets += [("SEQUENCE", q) for q, s in sequences.items() if s.schema == schema]
            elif word == "ALL FUNCTIONS":
                targets += [("FUNCTION", f.signature) for f in functions.values() if f.schema == schema]
            elif isinstance(obj, str):
                continue  # a bulk word this reader does not know
            elif gf.object_type == "TABLE":
                tq = r.lookup(obj) or _view_named(r, obj)
                if tq is None:
                    r.warn("SD222", f"GRANT on {obj}: no such table or view", gf.span)
                    continue
                targets.append(("TABLE", tq))
            elif gf.object_type == "FUNCTION":
                fn = _find_function(functions, obj)
                if fn is None:
                    r.warn("SD222", f"GRANT on function {obj}: no such function", gf.span)
                    continue
                targets.append(("FUNCTION", fn.signature))
            elif gf.object_type == "SCHEMA":
                targets.append(("SCHEMA", obj.text))
            else:
                targets.append((gf.object_type, _qual(obj)))
        for obj_type, name in targets:
            for priv in gf.privileges:
                for grantee in gf.grantees:
                    out.append(
                        Grant(
                            privilege=priv.upper(),
                            object_type=obj_type,  # type: ignore[arg-type]
                            object_name=name,
                            grantee=grantee,
                            with_grant_option=gf.with_grant_option,
                            span=gf.span,
                        )
                    )
    return out
