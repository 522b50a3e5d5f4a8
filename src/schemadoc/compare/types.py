"""Typed changes of schema names, extensions, enums, domains and sequences, and the comparison
that finds them."""

from __future__ import annotations

from dataclasses import field
from typing import ClassVar

from schemadoc import sequence_options
from schemadoc.compare.access import GrantsOn, regrant_steps
from schemadoc.compare.changes import Change, Hazard, Lock, PreCheck, Step
from schemadoc.compare.codes import (
    DOMAIN_CHANGED,
    DOMAIN_EXTRA,
    DOMAIN_MISSING,
    ENUM_EXTRA,
    ENUM_LABEL_EXTRA,
    ENUM_LABEL_MISSING,
    ENUM_LABEL_ORDER,
    ENUM_MISSING,
    ENUM_ORDER_UNSTATED,
    EXTENSION_EXTRA,
    EXTENSION_MISSING,
    EXTENSION_SCHEMA,
    SCHEMA_EXTRA,
    SCHEMA_MISSING,
    SEQUENCE_CHANGED,
    SEQUENCE_EXTRA,
    SEQUENCE_MISSING,
)
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.text import show
from schemadoc.diagnostics import Level
from schemadoc.model import Domain, Enum, Extension, Grant, QName, Schema, Span
from schemadoc.model import Sequence as SequenceDef
from schemadoc.records import record
from schemadoc.sqlnames import parse_qualified, quote_ident, quote_qualified
from schemadoc.write import prechecks
from schemadoc.write.ddl import drop_schema_statement, schema_statement
from schemadoc.write.ddl_extensions import (
    drop_extension_statement,
    extension_schema_statement,
    extension_statement,
)
from schemadoc.write.ddl_tables import (
    domain_statement,
    drop_sequence_statement,
    enum_statement,
    sequence_options_statement,
    sequence_owner_statement,
    sequence_statement,
    sequence_type_statement,
    sequence_unowned_statement,
)
from schemadoc.write.ddl_types import (
    add_enum_value_statement,
    domain_check_statement,
    domain_default_statement,
    domain_not_null_statement,
    drop_domain_statement,
    drop_type_statement,
)

_DROPS = frozenset({Hazard.DELETES_DATA})


def _step(sql: str, *, lock: Lock = Lock.NONE, hazards: frozenset[Hazard] = frozenset()) -> Step:
    """A statement on a type, schema or extension: no table lock of its own."""
    return Step(sql, lock, None, True, hazards)


# --- schema names ------------------------------------------------------------------------------


@record
class CreateSchema(Change):
    code: ClassVar[str] = SCHEMA_MISSING
    name: str
    grants: tuple[Grant, ...] = ()  # the document's grants on it

    def message(self) -> str:
        return f"schema {self.name} is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        return (_step(schema_statement(self.name, if_not_exists=False).sql), *regrant_steps(self.grants))

    def inverse(self) -> Change:
        return DropSchema(name=self.name, grants=self.grants)


@record
class DropSchema(Change):
    code: ClassVar[str] = SCHEMA_EXTRA
    name: str
    grants: tuple[Grant, ...] = ()  # the database's grants on it, given again by the inverse

    def message(self) -> str:
        return f"schema {self.name} is in the database but not in the document"

    def steps(self) -> tuple[Step, ...]:
        return (_step(drop_schema_statement(self.name).sql, hazards=_DROPS),)

    def inverse(self) -> Change:
        return CreateSchema(name=self.name, grants=self.grants)


def diff_schema_names(expected: Schema, actual: Schema) -> list[Change]:
    on = GrantsOn(expected)
    out: list[Change] = [
        CreateSchema(name=s, grants=on("SCHEMA", s), hint_text=f"CREATE SCHEMA {quote_ident(s)}")
        for s in sorted(set(expected.schemas) - set(actual.schemas))
    ]
    was = GrantsOn(actual)
    out += [
        DropSchema(name=s, grants=was("SCHEMA", s))
        for s in sorted(set(actual.schemas) - set(expected.schemas))
    ]
    return out


# --- extensions --------------------------------------------------------------------------------


@record
class AddExtension(Change):
    code: ClassVar[str] = EXTENSION_MISSING
    extension: Extension

    def message(self) -> str:
        return f"extension {self.extension.name} is not installed in the database"

    def steps(self) -> tuple[Step, ...]:
        return (_step(extension_statement(self.extension).sql),)

    def inverse(self) -> Change:
        return DropExtension(extension=self.extension)


@record
class DropExtension(Change):
    code: ClassVar[str] = EXTENSION_EXTRA
    extension: Extension

    def message(self) -> str:
        return f"extension {self.extension.name} is installed but not in the document"

    def steps(self) -> tuple[Step, ...]:
        return (_step(drop_extension_statement(self.extension.name).sql, hazards=_DROPS),)

    def inverse(self) -> Change:
        return AddExtension(extension=self.extension)


@record
class MoveExtension(Change):
    """The extension is installed in another schema than the document puts it in."""

    code: ClassVar[str] = EXTENSION_SCHEMA
    name: str
    schema: str  # where the document puts it
    current: str  # where the database has it

    def message(self) -> str:
        return (
            f"extension {self.name} is installed in schema {self.current}, "
            f"the document puts it in {self.schema}"
        )

    def steps(self) -> tuple[Step, ...]:
        return (_step(extension_schema_statement(self.name, self.schema).sql),)

    def inverse(self) -> Change:
        return MoveExtension(name=self.name, schema=self.current, current=self.schema)


def diff_extensions(expected: Schema, actual: Schema, spans: DocSpans) -> list[Change]:
    out: list[Change] = []
    for name in sorted(set(expected.extensions) | set(actual.extensions)):
        e, a = expected.extensions.get(name), actual.extensions.get(name)
        if a is None:
            assert e is not None
            out.append(
                AddExtension(
                    extension=e, span=spans.extension(name), hint_text=f"CREATE EXTENSION {quote_ident(name)}"
                )
            )
        elif e is None:
            # the document asks for it but the scratch server could not install it
            if not spans.stated_extension(name):
                out.append(DropExtension(extension=a))
        elif e.schema != a.schema:
            out.append(
                MoveExtension(
                    name=name, schema=e.schema or "", current=a.schema or "", span=spans.extension(name)
                )
            )
    return out


# --- enums -------------------------------------------------------------------------------------


@record
class AddEnum(Change):
    code: ClassVar[str] = ENUM_MISSING
    enum: Enum
    grants: tuple[Grant, ...] = ()  # the document's grants on it

    def message(self) -> str:
        return f"enum {self.enum.qname} is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        return (_step(enum_statement(self.enum).sql), *regrant_steps(self.grants))

    def inverse(self) -> Change:
        return DropEnum(enum=self.enum, grants=self.grants)


@record
class DropEnum(Change):
    code: ClassVar[str] = ENUM_EXTRA
    enum: Enum
    grants: tuple[Grant, ...] = ()  # the database's grants on it, given again by the inverse

    def message(self) -> str:
        return f"enum {self.enum.qname} is in the database but not in the document"

    def steps(self) -> tuple[Step, ...]:
        return (_step(drop_type_statement(self.enum.qname).sql, hazards=_DROPS),)

    def inverse(self) -> Change:
        return AddEnum(enum=self.enum, grants=self.grants)


@record
class AddEnumValue(Change):
    """A label the document has and the database's enum lacks. ``after`` (or, for a label that
    comes first, ``before``) is the neighbour that keeps the document's order; both None when
    the type has no label yet. ALTER TYPE ... ADD VALUE runs outside a transaction block: a
    value added in a transaction cannot be used before it commits, and before PostgreSQL 12 it
    could not run in one at all."""

    code: ClassVar[str] = ENUM_LABEL_MISSING
    enum: QName
    label: str
    before: str | None = None
    after: str | None = None

    def message(self) -> str:
        return f"enum {self.enum}: label {self.label!r} is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        sql = add_enum_value_statement(self.enum, self.label, before=self.before, after=self.after).sql
        return (Step(sql, Lock.NONE, None, False),)


@record
class EnumValuesRemoved(Change):
    """A label the database's enum has and the document does not. PostgreSQL cannot drop an
    enum value: no step; the change is destructive by nature."""

    code: ClassVar[str] = ENUM_LABEL_EXTRA
    enum: QName
    label: str

    def message(self) -> str:
        return f"enum {self.enum}: label {self.label!r} is in the database only"

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset({Hazard.DROPS_ENUM_VALUE})


@record
class EnumOrderChanged(Change):
    """The labels both sides have are in another order. No statement reorders enum values."""

    code: ClassVar[str] = ENUM_LABEL_ORDER
    enum: QName
    order: tuple[str, ...]  # the document's
    current: tuple[str, ...]  # the database's

    def message(self) -> str:
        return (
            f"enum {self.enum}: labels are in another order in the database "
            f"({', '.join(self.current)}; document: {', '.join(self.order)})"
        )


@record
class EnumOrderUnstated(Change):
    """The document lists the labels sorted, so their order is not held against the database."""

    code: ClassVar[str] = ENUM_ORDER_UNSTATED
    level: ClassVar[Level] = "note"
    enum: QName
    current: tuple[str, ...]

    def message(self) -> str:
        return (
            f"enum {self.enum}: the document lists its labels sorted, so their order is not "
            f"compared (database order: {', '.join(self.current)})"
        )


def diff_enums(expected: Schema, actual: Schema, spans: DocSpans) -> list[Change]:
    out: list[Change] = []
    on, was = GrantsOn(expected), GrantsOn(actual)
    for qname in sorted(set(expected.enums) | set(actual.enums)):
        e, a = expected.enums.get(qname), actual.enums.get(qname)
        if a is None:
            assert e is not None
            out.append(AddEnum(enum=e, grants=on("TYPE", qname), span=spans.enum(qname)))
        elif e is None:
            out.append(DropEnum(enum=a, grants=was("TYPE", qname)))
        else:
            written = spans.enum_labels(qname)
            out += diff_enum_labels(e, a, spans.enum(qname), order_stated=not _sorted_listing(written))
    return out


def _sorted_listing(labels: tuple[str, ...] | None) -> bool:
    """A document whose labels are in alphabetical order may have been written by a
    generator that sorts them: it does not state PostgreSQL's order."""
    return labels is not None and len(labels) > 2 and list(labels) == sorted(labels)


def diff_enum_labels(
    expected: Enum, actual: Enum, span: Span | None, *, order_stated: bool = True
) -> list[Change]:
    out: list[Change] = []
    q = expected.qname
    present = set(actual.labels)
    for position, label in enumerate(expected.labels):
        if label in present:
            continue
        # after the label before it in the document (there by now), else before the first
        # label the database has
        after = expected.labels[position - 1] if position > 0 else None
        before = None
        if after is None:
            before = next((lab for lab in expected.labels if lab in actual.labels), None)
        out.append(
            AddEnumValue(
                enum=q,
                label=label,
                before=before,
                after=after,
                span=span,
                hint_text=f"ALTER TYPE {quote_qualified(q)} ADD VALUE '{label}'",
            )
        )
    out += [
        EnumValuesRemoved(enum=q, label=lab, span=span) for lab in actual.labels if lab not in expected.labels
    ]
    common_e = tuple(lab for lab in expected.labels if lab in present)
    common_a = tuple(lab for lab in actual.labels if lab in expected.labels)
    if common_e != common_a:
        if order_stated:
            out.append(EnumOrderChanged(enum=q, order=common_e, current=common_a, span=span))
        else:
            out.append(EnumOrderUnstated(enum=q, current=common_a, span=span))
    return out


# --- domains -----------------------------------------------------------------------------------


def domain_text(d: Domain) -> str:
    text = d.base_type
    if not d.nullable:
        text += " NOT NULL"
    if d.default is not None:
        text += f" DEFAULT {d.default}"
    for check in d.checks:
        text += f" CHECK ({check})"
    return text


@record
class AddDomain(Change):
    code: ClassVar[str] = DOMAIN_MISSING
    domain: Domain
    grants: tuple[Grant, ...] = ()  # the document's grants on it

    def message(self) -> str:
        return f"domain {self.domain.qname} is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        return (_step(domain_statement(self.domain).sql), *regrant_steps(self.grants))

    def inverse(self) -> Change:
        return DropDomain(domain=self.domain, grants=self.grants)


@record
class DropDomain(Change):
    code: ClassVar[str] = DOMAIN_EXTRA
    domain: Domain
    grants: tuple[Grant, ...] = ()  # the database's grants on it, given again by the inverse

    def message(self) -> str:
        return f"domain {self.domain.qname} is in the database but not in the document"

    def steps(self) -> tuple[Step, ...]:
        return (_step(drop_domain_statement(self.domain.qname).sql, hazards=_DROPS),)

    def inverse(self) -> Change:
        return AddDomain(domain=self.domain, grants=self.grants)


@record
class ChangeDomain(Change):
    """A domain both sides have, defined otherwise. ALTER DOMAIN sets the default and NOT NULL
    and adds CHECKs; a CHECK to take away (the catalogs do not say which constraint name the
    document's would get) or another base type has no statement: no steps, the user decides."""

    code: ClassVar[str] = DOMAIN_CHANGED
    domain: Domain  # the document's
    current: Domain  # the database's
    # the database's columns of this type, (table, column): what a new CHECK or NOT NULL is
    # checked against (their pre-checks count the values that would make the step fail)
    columns: tuple[tuple[QName, str], ...] = field(default=(), compare=False)

    def message(self) -> str:
        return (
            f"domain {self.domain.qname} differs: database has {domain_text(self.current)}; "
            f"document says {domain_text(self.domain)}"
        )

    def steps(self) -> tuple[Step, ...]:
        d, a = self.domain, self.current
        if d.base_type != a.base_type or any(c not in d.checks for c in a.checks):
            return ()
        out: list[Step] = []
        if d.default != a.default:
            out.append(_step(domain_default_statement(d).sql))
        if d.nullable != a.nullable:
            # SET NOT NULL checks every column of the type: existing NULLs make it fail
            fails = frozenset() if d.nullable else frozenset({Hazard.CAN_FAIL_ON_DATA})
            nulls = None
            if not d.nullable and self.columns:
                nulls = PreCheck(
                    f"values of type {d.qname} that are NULL", *prechecks.domain_nulls(self.columns)
                )
            out.append(_domain_step(domain_not_null_statement(d).sql, fails, nulls))
        for check in d.checks:
            if check in a.checks:
                continue
            refused = None
            if self.columns:
                refused = PreCheck(
                    f"values of type {d.qname} that CHECK ({check}) refuses",
                    *prechecks.domain_check_refused(self.columns, check),
                )
            fails = frozenset({Hazard.CAN_FAIL_ON_DATA})
            out.append(_domain_step(domain_check_statement(d, check).sql, fails, refused))
        return tuple(out)

    def inverse(self) -> Change:
        return ChangeDomain(domain=self.current, current=self.domain, columns=self.columns)


def _domain_step(sql: str, hazards: frozenset[Hazard], check: PreCheck | None) -> Step:
    """ALTER DOMAIN that checks the values of every column of the type, under a SHARE lock."""
    return Step(sql, Lock.SHARE, None, True, hazards, check)


def domain_columns(schema: Schema, domain: QName) -> tuple[tuple[QName, str], ...]:
    """The columns of ``schema``'s tables whose type is ``domain`` itself (not an array of it)."""
    return tuple(
        (table.qname, column.name)
        for table in sorted(schema.tables.values(), key=lambda t: t.qname)
        for column in table.columns
        if parse_qualified(column.type) == domain
    )


def diff_domains(expected: Schema, actual: Schema, spans: DocSpans) -> list[Change]:
    out: list[Change] = []
    on, was = GrantsOn(expected), GrantsOn(actual)
    for qname in sorted(set(expected.domains) | set(actual.domains)):
        e, a = expected.domains.get(qname), actual.domains.get(qname)
        if a is None:
            assert e is not None
            out.append(AddDomain(domain=e, grants=on("TYPE", qname), span=spans.domain(qname)))
        elif e is None:
            out.append(DropDomain(domain=a, grants=was("TYPE", qname)))
        elif e != a:
            columns = domain_columns(actual, qname)
            out.append(ChangeDomain(domain=e, current=a, columns=columns, span=spans.domain(qname)))
    return out


# --- sequences ---------------------------------------------------------------------------------


@record
class AddSequence(Change):
    code: ClassVar[str] = SEQUENCE_MISSING
    sequence: SequenceDef
    grants: tuple[Grant, ...] = ()  # the document's grants on it

    def message(self) -> str:
        return f"sequence {self.sequence.qname} is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        out = [_step(sequence_statement(self.sequence).sql)]
        owner = sequence_owner_statement(self.sequence)
        if owner is not None:
            out.append(_step(owner.sql))
        return (*out, *regrant_steps(self.grants))

    def inverse(self) -> Change:
        return DropSequence(sequence=self.sequence, grants=self.grants)


@record
class DropSequence(Change):
    code: ClassVar[str] = SEQUENCE_EXTRA
    sequence: SequenceDef
    grants: tuple[Grant, ...] = ()  # the database's grants on it, given again by the inverse

    def message(self) -> str:
        return f"sequence {self.sequence.qname} is in the database but not in the document"

    def steps(self) -> tuple[Step, ...]:
        return (_step(drop_sequence_statement(self.sequence).sql, hazards=_DROPS),)

    def inverse(self) -> Change:
        return AddSequence(sequence=self.sequence, grants=self.grants)


@record
class ChangeSequence(Change):
    """Another data type (ALTER SEQUENCE ... AS, which fails when the sequence is already past
    the new type's bound), another owning column (OWNED BY), or other values of the options the
    document states (INCREMENT, START, ...; a narrower range fails when the sequence is past it)."""

    code: ClassVar[str] = SEQUENCE_CHANGED
    sequence: SequenceDef  # the document's
    current: SequenceDef  # the database's
    options: tuple[str, ...] = ()  # the stated options whose values differ

    def message(self) -> str:
        s, a = self.sequence, self.current
        if s.data_type == a.data_type and s.owned_by == a.owned_by:
            names = list(self.options)
            return (
                f"sequence {s.qname} differs: database has "
                f"{sequence_options.show(a.data_type, a.options, names)}; "
                f"document says {sequence_options.show(s.data_type, s.options, names)}"
            )
        return (
            f"sequence {s.qname} differs: database has {a.data_type} owned by {show(a.owned_by)}; "
            f"document says {s.data_type} owned by {show(s.owned_by)}"
        )

    def steps(self) -> tuple[Step, ...]:
        s, a = self.sequence, self.current
        out: list[Step] = []
        if s.data_type != a.data_type:
            fails = frozenset() if _wider(s.data_type, a.data_type) else frozenset({Hazard.CAN_FAIL_ON_DATA})
            out.append(_step(sequence_type_statement(s).sql, lock=Lock.SHARE_ROW_EXCLUSIVE, hazards=fails))
        if self.options:
            can_fail = sequence_options.moves_a_bound(self.options)
            fails = frozenset({Hazard.CAN_FAIL_ON_DATA}) if can_fail else frozenset()
            statement = sequence_options_statement(s, list(self.options))
            out.append(_step(statement.sql, lock=Lock.SHARE_ROW_EXCLUSIVE, hazards=fails))
        if s.owned_by != a.owned_by:
            owner = sequence_owner_statement(s) or sequence_unowned_statement(s)
            out.append(_step(owner.sql, lock=Lock.SHARE_ROW_EXCLUSIVE))
        return tuple(Step(st.sql, st.lock, s.qname, True, st.hazards) for st in out)

    def inverse(self) -> Change:
        return ChangeSequence(sequence=self.current, current=self.sequence, options=self.options)


_INTEGER_WIDTH = {"smallint": 2, "integer": 4, "bigint": 8}


def _wider(new: str, old: str) -> bool:
    return _INTEGER_WIDTH.get(new, 0) >= _INTEGER_WIDTH.get(old, 9)


def diff_sequences(expected: Schema, actual: Schema, spans: DocSpans) -> list[Change]:
    out: list[Change] = []
    on, was = GrantsOn(expected), GrantsOn(actual)
    for qname in sorted(set(expected.sequences) | set(actual.sequences)):
        e, a = expected.sequences.get(qname), actual.sequences.get(qname)
        if a is None:
            assert e is not None
            out.append(AddSequence(sequence=e, grants=on("SEQUENCE", qname), span=spans.sequence(qname)))
        elif e is None:
            out.append(DropSequence(sequence=a, grants=was("SEQUENCE", qname)))
        else:
            options = _differing_options(e, a, _stated_options(spans, qname))
            if e != a or options:
                out.append(ChangeSequence(sequence=e, current=a, options=options, span=spans.sequence(qname)))
    return out


def _stated_options(spans: DocSpans, qname: QName) -> set[str]:
    """The options of sequence ``qname`` the document states (every option, were there no
    document to ask; none for a sequence it does not declare, such as a serial column's)."""
    if spans.doc is None:
        return set(sequence_options.OPTIONS)
    doc = spans.doc.sequences.get(qname)
    return {name for name, _ in doc.options} if doc is not None else set()


def _differing_options(e: SequenceDef, a: SequenceDef, stated: set[str]) -> tuple[str, ...]:
    """The ``stated`` options whose values differ: where the document says nothing of an option,
    any value is right."""
    if not stated:
        return ()
    return tuple(sequence_options.differing(e.data_type, e.options, a.data_type, a.options, stated))
