"""The second half of resolution: objects that hang off tables (views, functions, triggers,
grants, policies, comments, extensions, roles)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from schemadoc.diagnostics import not_built
from schemadoc.model import (
    DEFAULT_SCHEMA,
    Extension,
    Function,
    Grant,
    Policy,
    Role,
    Schema,
    Sequence,
    Table,
    Trigger,
    View,
    qualify,
)
from schemadoc.read.facts import Name
from schemadoc.read.names import is_placeholder

if TYPE_CHECKING:
    from schemadoc.read.resolve import Resolver

_BUILTIN_ROLES = {"public", "current_user", "session_user", "current_role"}


def _qual(name: Name) -> str:
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
    sequences: dict[str, Sequence] = {s.qname: s for s in r.facts.sequences}
    policies: dict[str, Policy] = {}
    for pol in r.facts.policies:
        tq = r.lookup(Name(pol.table.split(".")[-1], pol.table.split(".")[0])) or pol.table
        pol = replace(pol, table=tq)
        policies[pol.key] = pol
    tables = dict(schema.tables)
    _comments(r, tables, views)
    roles: dict[str, Role] = {role.name: role for role in r.facts.roles}
    grants = _grants(r, tables, sequences, functions)
    for g in grants:
        if g.grantee.lower() not in _BUILTIN_ROLES and g.grantee not in roles:
            roles[g.grantee] = Role(g.grantee, created_by_document=False, span=g.span)
    for pol in policies.values():
        for role in pol.roles:
            if role.lower() not in _BUILTIN_ROLES and role not in roles:
                roles[role] = Role(role, created_by_document=False, span=pol.span)
    schemas = sorted(
        {s for s in r.facts.schemas if s != DEFAULT_SCHEMA}
        | {t.schema for t in tables.values() if t.schema != DEFAULT_SCHEMA}
        | set(r.extra_schemas)
    )
    return replace(
        schema,
        tables=dict(sorted(tables.items())),
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
    )


# Functions that only an extension provides: a default that calls one implies the extension.
_EXTENSION_FUNCTIONS = {"uuid-ossp": re.compile(r"\buuid_generate_v[1345]", re.IGNORECASE)}


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


def _views(r: Resolver) -> dict[str, View]:
    out: dict[str, View] = {}
    for vf in r.facts.views:
        qname = _qual(vf.name)
        view = View(
            schema=qname.split(".")[0],
            name=qname.split(".", 1)[1],
            definition=vf.definition.strip().rstrip(";").strip(),
            materialized=vf.materialized,
            columns=tuple(vf.columns),
            comment=vf.description,
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
        if fn.qname == wanted or fn.qname.lower() == wanted.lower():
            return fn
    return None


def _view_named(r: Resolver, name: Name) -> str | None:
    wanted = _qual(name).lower()
    return next((_qual(v.name) for v in r.facts.views if _qual(v.name).lower() == wanted), None)


def _triggers(r: Resolver, functions: dict[str, Function]) -> dict[str, Trigger]:
    out: dict[str, Trigger] = {}
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
        fn = _find_function(functions, tf.function)
        if fn is None:
            r.error(
                "SD113",
                f"trigger {tf.name} calls {tf.function}(), which the document never defines",
                tf.span,
                "add the function's CREATE FUNCTION",
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
            if (t.name in names or t.function.split(".")[-1] in names) and (table is None or t.table == table)
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


def _comments(r: Resolver, tables: dict[str, Table], views: dict[str, View]) -> None:
    """Table and column comments were applied as the tables were built. Here the ones naming
    nothing are reported, stand-in tables (made after that) get theirs, and so do views; the
    last comment on an object wins."""
    for cf in r.facts.comments:
        target = cf.target
        if cf.object_type == "COLUMN":
            tname, _, col = target.rpartition(".")
            table = tables.get(r.lookup_written(tname) or "")
            column = r.find_column(table, col) if table is not None else None
            if table is None or column is None:
                r.warn("SD221", f"COMMENT ON COLUMN {target}: no such column", cf.span)
            elif table.stub:
                tables[table.qname] = table.with_column(replace(column, comment=cf.text))
        elif cf.object_type == "TABLE":
            table = tables.get(r.lookup_written(target) or "")
            if table is None:
                r.warn("SD221", f"COMMENT ON TABLE {target}: no such table", cf.span)
            elif table.stub:
                tables[table.qname] = replace(table, comment=cf.text)
        elif cf.object_type == "VIEW":
            vq = qualify(target.lower())
            if vq in views:
                views[vq] = replace(views[vq], comment=cf.text)


def _grants(
    r: Resolver,
    tables: dict[str, Table],
    sequences: dict[str, Sequence],
    functions: dict[str, Function],
) -> list[Grant]:
    out: list[Grant] = []
    for gf in r.facts.grants:
        targets: list[tuple[str, str]] = []  # (object_type, name)
        for obj in gf.objects:
            word = obj.upper()
            schema = gf.schema or DEFAULT_SCHEMA
            if word == "ALL TABLES":
                targets += [
                    ("TABLE", q)
                    for q, t in tables.items()
                    if isinstance(t, Table) and t.schema == schema and not t.stub
                ]
            elif word == "ALL SEQUENCES":
                targets += [("SEQUENCE", q) for q, s in sequences.items() if s.schema == schema]
            elif word == "ALL FUNCTIONS":
                targets += [("FUNCTION", f.signature) for f in functions.values() if f.schema == schema]
            elif gf.object_type == "TABLE":
                tq = r.lookup_written(obj)
                if tq is None:
                    r.warn("SD222", f"GRANT on {obj}: no such table or view", gf.span)
                    continue
                targets.append(("TABLE", tq))
            elif gf.object_type == "FUNCTION":
                fname = re.sub(r"\(.*$", "", obj)
                fn = _find_function(
                    functions, Name(fname.split(".")[-1], fname.split(".")[0] if "." in fname else None)
                )
                if fn is None:
                    r.warn("SD222", f"GRANT on function {obj}: no such function", gf.span)
                    continue
                targets.append(("FUNCTION", fn.signature))
            else:
                targets.append((gf.object_type, qualify(obj.lower()) if gf.object_type != "SCHEMA" else obj))
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
