"""CREATE EXTENSION, and leaving out extensions whose functions PostgreSQL now builds in."""

from __future__ import annotations

import re

from schemadoc.diagnostics import Diagnostic
from schemadoc.extension_types import HOW_TO_GET, bare_type, opclass_extension, type_extension
from schemadoc.model import DEFAULT_SCHEMA, Extension, Function, Index, QName, Schema, Span, Table
from schemadoc.records import replace
from schemadoc.sqlnames import quote_ident, quote_literal
from schemadoc.write.statement import Statement

# Extensions a document often names only for a function PostgreSQL has since built in:
# extension -> (functions it provides, {function: first server version with it built in}).
_SUPERSEDED: dict[str, tuple[frozenset[str], dict[str, int]]] = {
    "pgcrypto": (
        frozenset({"gen_random_uuid", "gen_random_bytes", "digest", "hmac", "crypt", "gen_salt",
                   "encrypt", "decrypt", "encrypt_iv", "decrypt_iv", "pgp_sym_encrypt",
                   "pgp_sym_decrypt", "pgp_pub_encrypt", "pgp_pub_decrypt", "armor", "dearmor",
                   "pgp_key_id", "pgp_armor_headers", "pgp_sym_encrypt_bytea",
                   "pgp_sym_decrypt_bytea", "pgp_pub_encrypt_bytea", "pgp_pub_decrypt_bytea"}),
        {"gen_random_uuid": 130000},
    ),
    "uuid-ossp": (
        frozenset({"uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v3", "uuid_generate_v4",
                   "uuid_generate_v5", "uuid_nil", "uuid_ns_dns", "uuid_ns_url", "uuid_ns_oid",
                   "uuid_ns_x500"}),
        {},
    ),
}  # fmt: skip


def table_sql_texts(schema: Schema) -> list[str]:
    """The SQL that tables, domains and indexes carry (defaults, generated columns, checks, keys,
    predicates): what runs while tables are built."""
    texts: list[str] = []
    for table in schema.tables.values():
        for col in table.columns:
            texts.extend(t for t in (col.default, col.generated) if t)
        texts.extend(c.expression for c in table.checks)
    for domain in schema.domains.values():
        texts.extend(t for t in (domain.default, *domain.checks) if t)
    for index in schema.indexes.values():
        texts.extend(index.keys)
        texts.extend(t for t in (index.where,) if t)
    return texts


def schema_sql_texts(schema: Schema) -> list[str]:
    """Every piece of SQL in the schema that could call a function."""
    texts = table_sql_texts(schema)
    texts.extend(v.definition for v in schema.views.values())
    texts.extend(f.body for f in schema.functions.values())
    texts.extend(t.when for t in schema.triggers.values() if t.when)
    for policy in schema.policies.values():
        texts.extend(t for t in (policy.using, policy.with_check) if t)
    return texts


def _called(texts: list[str], names: frozenset[str]) -> set[str]:
    joined = "\n".join(texts).lower()
    return {n for n in names if re.search(r"(?<![\w$])" + re.escape(n) + r"\s*\(", joined)}


def extension_statement(ext: Extension) -> Statement:
    text = f"CREATE EXTENSION IF NOT EXISTS {quote_ident(ext.name)}"
    if ext.schema:
        text += f" WITH SCHEMA {quote_ident(ext.schema)}"
    return Statement(text, ext.span, "extension")


def drop_extension_statement(name: str) -> Statement:
    return Statement(f"DROP EXTENSION {quote_ident(name)}", None, "extension")


def extension_schema_statement(name: str, schema: str) -> Statement:
    return Statement(
        f"ALTER EXTENSION {quote_ident(name)} SET SCHEMA {quote_ident(schema)}", None, "extension"
    )


def guarded_extension_statement(ext: Extension) -> Statement:
    """CREATE EXTENSION only where the server has it: for a schema that uses none of the extension's
    functions, or only ones PostgreSQL builds in, the DDL then applies on any server."""
    create = extension_statement(ext).sql
    name = quote_literal(ext.name)
    text = (
        "DO $$ BEGIN\n"
        f"    IF EXISTS (SELECT FROM pg_available_extensions WHERE name = {name}) THEN\n"
        f"        {create};\n"
        "    END IF;\n"
        "END $$"
    )
    return Statement(text, ext.span, "extension")


def extension_statements(
    schema: Schema, server_version: int | None, available: frozenset[str] | None
) -> tuple[list[Statement], list[Diagnostic]]:
    statements: list[Statement] = []
    diagnostics: list[Diagnostic] = []
    texts: list[str] | None = None
    for name in sorted(schema.extensions):
        ext = schema.extensions[name]
        known = _SUPERSEDED.get(ext.name.lower())
        if (available is not None and ext.name in available) or known is None:
            statements.append(extension_statement(ext))
            continue
        provides, built_in = known
        if texts is None:
            texts = schema_sql_texts(schema)
        used = _called(texts, provides)
        missing = sorted(
            fn
            for fn in used
            if fn not in built_in or (server_version is not None and server_version < built_in[fn])
        )
        if missing:
            statements.append(extension_statement(ext))
            continue
        if available is None:
            # The server is not known: create the extension where it exists, go on without it elsewhere.
            statements.append(guarded_extension_statement(ext))
            continue
        uses = ", ".join(f"{fn}()" for fn in sorted(used))
        why = (
            f"the schema only uses {uses}, built into PostgreSQL"
            if used
            else "the schema uses none of its functions"
        )
        diagnostics.append(
            Diagnostic(
                "SD401",
                "warning",
                f"extension {ext.name} is not available on this server; leaving it out ({why})",
                ext.span,
                hint=f"install {ext.name} on the server, or drop it from the document",
            )
        )
    return statements, diagnostics


def _first_use(schema: Schema, ext: str) -> tuple[str, Span | None] | None:
    """What in ``schema`` needs extension ``ext``, in words, and where."""
    for table in schema.tables.values():
        for col in table.columns:
            found = type_extension(col.type)
            if found is not None and found[1] == ext:
                return f"column {table.qname}.{col.name} has type {col.type}, which", col.span
    for index in schema.indexes.values():
        for key in index.keys:
            op = opclass_extension(key)
            if op is not None and op[1] == ext:
                return f"index {index.qname} uses operator class {op[0]}, which", index.span
    return None


def extension_stand_ins(schema: Schema, available: frozenset[str] | None) -> tuple[Schema, list[Diagnostic]]:
    """The schema to build on a server with ``available`` extensions (None: not known, assume all).

    An extension whose types or operator classes the schema uses and the server lacks is one
    error (SD261) naming it and how to get it; under ``--stub-missing`` (the extension is marked
    ``stand_in``) its types are built as the stand-in domains over text the reader made instead,
    and the indexes that need the real type (GiST, GIN, an operator class of it) are left out."""
    schema, called_notes = _called_function_stand_ins(schema, available)
    uses = {e: _first_use(schema, e) for e in schema.extensions if e in HOW_TO_GET}
    # an extension no type or operator class of the schema needs is created as written (its error is
    # PostgreSQL's)
    missing = set() if available is None else {e for e, use in uses.items() if use is not None} - available
    domains = {q: d for q, d in schema.domains.items() if d.extension is None or d.extension in missing}
    diagnostics: list[Diagnostic] = []
    extensions = dict(schema.extensions)
    standing_in: dict[str, QName] = {}  # type name -> its stand-in domain
    for ext in sorted(missing):
        what, span = uses[ext] or ("", None)
        if not extensions[ext].stand_in:
            diagnostics.append(
                Diagnostic(
                    "SD261",
                    "error",
                    f"{what} needs the {ext} extension; this server does not have it",
                    span,
                    hint=f"{HOW_TO_GET[ext]}; or pass --stub-missing to build a stand-in domain over text",
                )
            )
            continue
        del extensions[ext]
        types = sorted(d.name for d in domains.values() if d.extension == ext)
        standing_in.update((d.name, d.qname) for d in domains.values() if d.extension == ext)
        built = (
            f"built its types ({', '.join(types)}) as stand-in domains over text" if types else "left it out"
        )
        diagnostics.append(
            Diagnostic(
                "SD260", "warning", f"the {ext} extension is not available on this server; {built}", span,
                hint=HOW_TO_GET[ext],
            )
        )  # fmt: skip
    diagnostics = called_notes + diagnostics
    if diagnostics and any(d.level == "error" for d in diagnostics):
        return schema, diagnostics
    if not missing:
        if len(domains) == len(schema.domains):
            return schema, diagnostics
        return replace(schema, domains=domains), diagnostics
    tables = {q: _stand_in_columns(t, standing_in) for q, t in schema.tables.items()}
    indexes: dict[QName, Index] = {}
    for q, index in schema.indexes.items():
        if _needs_real_type(index, tables.get(index.table), missing):
            diagnostics.append(
                Diagnostic(
                    "SD260", "warning",
                    f"index {index.qname} needs an extension this server lacks; left out", index.span,
                    hint="build on a server with the extension to check it",
                )
            )  # fmt: skip
            continue
        indexes[q] = index
    return replace(
        schema, domains=domains, extensions=extensions, tables=tables, indexes=indexes
    ), diagnostics


# Stand-ins for an extension's functions, by name: (arguments, return type, body). A body does the
# same with PostgreSQL's own where it can (a random uuid, random bytes), else gives NULL of the type.
_STAND_IN_BODIES: dict[str, tuple[str, str, str]] = {
    "uuid_generate_v1": ("", "uuid", "SELECT gen_random_uuid()"),
    "uuid_generate_v1mc": ("", "uuid", "SELECT gen_random_uuid()"),
    "uuid_generate_v4": ("", "uuid", "SELECT gen_random_uuid()"),
    "uuid_nil": ("", "uuid", "SELECT '00000000-0000-0000-0000-000000000000'::uuid"),
    "gen_random_bytes": (
        "integer",
        "bytea",
        "SELECT substring(decode(md5(random()::text) || md5(random()::text), 'hex') FROM 1 FOR $1)",
    ),
    "digest": ("text, text", "bytea", "SELECT NULL::bytea"),
    "hmac": ("text, text, text", "bytea", "SELECT NULL::bytea"),
    "crypt": ("text, text", "text", "SELECT NULL::text"),
    "gen_salt": ("text", "text", "SELECT NULL::text"),
}


def _called_function_stand_ins(
    schema: Schema, available: frozenset[str] | None
) -> tuple[Schema, list[Diagnostic]]:
    """Under ``--stub-missing`` (the extension is marked ``stand_in``), an extension the server lacks
    whose functions the schema calls (``uuid_generate_v4()``) is left out, and each function called
    gets a marked stand-in in the extension's schema: the same from PostgreSQL's own where there is
    one (a random uuid), else NULL of the function's type. Where the schema calls a function of it
    that has no stand-in here, the extension stays (and the server says it lacks it)."""
    if available is None:
        return schema, []
    functions = dict(schema.functions)
    extensions = dict(schema.extensions)
    diagnostics: list[Diagnostic] = []
    texts = schema_sql_texts(schema)
    for name, ext in schema.extensions.items():
        known = _SUPERSEDED.get(name.lower())
        if known is None or not ext.stand_in or name in available or _first_use(schema, name) is not None:
            continue
        used = sorted(fn for fn in _called(texts, known[0]) if fn not in known[1])
        if not used or any(fn not in _STAND_IN_BODIES for fn in used):
            continue
        del extensions[name]
        for fn_name in used:
            arguments, returns, body = _STAND_IN_BODIES[fn_name]
            fn = Function(
                ext.schema or DEFAULT_SCHEMA,
                fn_name,
                arguments,
                returns,
                "sql",
                body,
                stub=True,
                span=ext.span,
            )
            functions.setdefault(fn.signature, fn)
        diagnostics.append(
            Diagnostic(
                "SD260", "warning",
                f"the {name} extension is not available on this server; built stand-ins for the functions "
                f"the document calls: {', '.join(f + '()' for f in used)}",
                ext.span, hint=HOW_TO_GET.get(name, f"install {name} on the server"),
            )
        )  # fmt: skip
    if not diagnostics:
        return schema, []
    return replace(schema, functions=functions, extensions=extensions), diagnostics


def _stand_in_columns(table: Table, standing_in: dict[str, QName]) -> Table:
    cols = []
    for col in table.columns:
        found = type_extension(col.type)
        if found is not None and found[0] in standing_in:
            dims = bare_type(col.type).count("[]")
            col = replace(col, type=str(standing_in[found[0]]) + "[]" * dims)
        cols.append(col)
    return replace(table, columns=tuple(cols))


def _needs_real_type(index: Index, table: Table | None, missing: set[str]) -> bool:
    for key in index.keys:
        op = opclass_extension(key)
        if op is not None and op[1] in missing:
            return True
    if index.method in ("btree", "hash") or table is None:
        return False
    keys = " ".join(index.keys)
    for col in table.columns:
        found = type_extension(col.type)
        if found is not None and found[1] in missing and re.search(_word(col.name), keys):
            return True
    return False


def _word(name: str) -> str:
    return r"(?<![\w$])" + re.escape(name) + r"(?![\w$])"
