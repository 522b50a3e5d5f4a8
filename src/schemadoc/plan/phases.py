"""The phase of each kind of change :mod:`schemadoc.compare` produces, and the changes whose
steps another change of the same difference carries."""

from __future__ import annotations

from schemadoc.compare import (
    access,
    columns,
    comments,
    constraints,
    exclusions,
    foreign_keys,
    indexes,
    routines,
    tables,
    types,
)
from schemadoc.compare.changes import Change, Step
from schemadoc.plan.order import Phase

PHASES: dict[type[Change], Phase] = {
    # schemas, extensions and types come first, and go last
    types.CreateSchema: Phase.PREPARE,
    types.AddExtension: Phase.PREPARE,
    types.MoveExtension: Phase.PREPARE,
    types.AddEnum: Phase.PREPARE,
    types.AddEnumValue: Phase.PREPARE,
    types.AddDomain: Phase.PREPARE,
    types.ChangeDomain: Phase.PREPARE,
    types.AddSequence: Phase.PREPARE,
    types.ChangeSequence: Phase.PREPARE,
    types.EnumValuesRemoved: Phase.DROP_TYPES,
    types.EnumOrderChanged: Phase.DROP_TYPES,
    types.DropSequence: Phase.DROP_TYPES,
    types.DropDomain: Phase.DROP_TYPES,
    types.DropEnum: Phase.DROP_TYPES,
    types.DropExtension: Phase.DROP_TYPES,
    types.DropSchema: Phase.DROP_TYPES,
    # what depends on tables is dropped before the changes under it, and made again after them
    routines.DropView: Phase.DROP_DEPENDENTS,
    routines.DropTrigger: Phase.DROP_DEPENDENTS,
    access.DropPolicy: Phase.DROP_DEPENDENTS,
    access.RevokeGrant: Phase.DROP_DEPENDENTS,
    routines.DropFunction: Phase.DROP_ROUTINES,
    routines.CreateView: Phase.VIEWS,
    routines.ReplaceView: Phase.VIEWS,
    routines.AddTrigger: Phase.TRIGGERS,
    routines.ReplaceTrigger: Phase.TRIGGERS,
    access.AddPolicy: Phase.POLICIES,
    access.ReplacePolicy: Phase.POLICIES,
    access.AddGrant: Phase.GRANTS,
    access.ChangeGrantOption: Phase.GRANTS,
    comments.ChangeComment: Phase.COMMENTS,
    comments.CommentsSummary: Phase.COMMENTS,
    # tables
    tables.AddTable: Phase.TABLES,
    tables.DropTable: Phase.DROP_TABLES,
    tables.ChangeRowSecurity: Phase.GRANTS,  # after the policies it puts to work
    tables.ChangeRowSecurityForced: Phase.GRANTS,
    # columns
    columns.AddColumn: Phase.COLUMNS,
    columns.ChangeIdentity: Phase.COLUMN_IDENTITY,
    columns.ChangeGenerated: Phase.COLUMN_IDENTITY,
    columns.AlterColumnType: Phase.COLUMN_TYPES,
    columns.ChangeCollation: Phase.COLUMN_TYPES,
    columns.ChangeDefault: Phase.COLUMN_DEFAULTS,
    columns.SetNotNull: Phase.NOT_NULL,
    columns.DropNotNull: Phase.RELAX_NOT_NULL,
    columns.DropColumn: Phase.DROP_COLUMNS,
    # keys and constraints
    constraints.AddPrimaryKey: Phase.KEYS,
    constraints.ChangePrimaryKey: Phase.KEYS,
    constraints.AddUnique: Phase.KEYS,
    constraints.ChangeUniqueNulls: Phase.KEYS,
    constraints.AddCheck: Phase.CHECKS,
    constraints.ChangeCheck: Phase.CHECKS,
    constraints.ValidateCheck: Phase.CHECKS,
    constraints.DropPrimaryKey: Phase.DROP_CONSTRAINTS,
    constraints.DropUnique: Phase.DROP_CONSTRAINTS,
    constraints.DropCheck: Phase.DROP_CONSTRAINTS,
    exclusions.AddExclusion: Phase.CHECKS,
    exclusions.ChangeExclusion: Phase.CHECKS,
    exclusions.DropExclusion: Phase.DROP_CONSTRAINTS,
    # foreign keys (ChangeForeignKey's subclasses take its phase)
    foreign_keys.AddForeignKey: Phase.FOREIGN_KEYS,
    foreign_keys.ChangeForeignKey: Phase.FOREIGN_KEYS,
    foreign_keys.ValidateForeignKey: Phase.FOREIGN_KEYS,
    foreign_keys.DropForeignKey: Phase.DROP_FOREIGN_KEYS,
    # indexes
    indexes.AddIndex: Phase.INDEXES,
    indexes.ReplaceIndex: Phase.INDEXES,
    indexes.DropIndex: Phase.DROP_CONSTRAINTS,
}


def phase_by_content(change: Change) -> Phase | None:
    """The phase of a change whose kind alone does not say: a routine in SQL has its body
    checked against the tables and columns it reads, so it comes after them; one in another
    language (plpgsql) is not, and comes before the tables whose defaults and CHECKs call it."""
    if isinstance(change, routines.CreateFunction | routines.ReplaceFunction):
        sql_body = change.function.language.lower() == "sql"
        return Phase.ROUTINES if sql_body else Phase.EARLY_ROUTINES
    return None


def covered(change: Change) -> bool:
    """Whether ``change`` has no steps because another change of the same difference carries
    them (a NOT NULL a new primary key brings, a foreign key, view or routine that differs in
    several ways):
    it is neither planned nor left to the user."""
    if isinstance(change, columns.SetNotNull):
        return change.covered
    if isinstance(change, foreign_keys.ChangeForeignKey):
        return change.repeats
    if isinstance(change, routines.ReplaceView | routines.ReplaceFunction):
        return not change.repairs
    return False


def parts(change: Change, phase: Phase) -> tuple[tuple[Phase, tuple[Step, ...]], ...]:
    """``change``'s steps with the phase each part runs in (``phase`` is the change's own). A
    new table's foreign keys wait for the foreign-key phase: every new table exists by then,
    and the keys they reference too."""
    if isinstance(change, tables.AddTable):
        return ((phase, change.create_steps()), (Phase.FOREIGN_KEYS, change.foreign_key_steps()))
    return ((phase, change.steps()),)
