"""An order in which the changes of tables, columns, constraints and indexes can run: each kind
after what it needs. Within one table:

- constraints and indexes the document drops go first (a dropped foreign key no longer holds
  the key it references), then tables;
- new tables and columns come before anything that uses them;
- identity and generation changes come before defaults (a column that stops being an identity
  can then take a default), types before defaults;
- keys are added or changed before DROP NOT NULL (a column leaving the primary key can only
  then become nullable);
- CHECK, exclusion, index and foreign key changes follow, foreign keys last among them (the
  key they reference must exist);
- columns are dropped after the constraints that mentioned them were changed, and row level
  security is switched last.

``plan`` may order changes of different tables more finely; this order is always valid.
"""

from __future__ import annotations

from schemadoc.compare import columns, constraints, exclusions, foreign_keys, indexes, tables
from schemadoc.compare.changes import Change

TABLE_CHANGE_ORDER: tuple[type[Change], ...] = (
    foreign_keys.DropForeignKey,
    indexes.DropIndex,
    exclusions.DropExclusion,
    constraints.DropCheck,
    constraints.DropUnique,
    constraints.DropPrimaryKey,
    tables.DropTable,
    tables.AddTable,
    columns.AddColumn,
    columns.ChangeIdentity,
    columns.ChangeGenerated,
    columns.AlterColumnType,
    columns.ChangeCollation,
    columns.ChangeDefault,
    columns.SetNotNull,
    constraints.AddPrimaryKey,
    constraints.ChangePrimaryKey,
    constraints.AddUnique,
    constraints.ChangeUniqueNulls,
    columns.DropNotNull,
    constraints.AddCheck,
    constraints.ChangeCheck,
    exclusions.AddExclusion,
    exclusions.ChangeExclusion,
    indexes.AddIndex,
    indexes.ReplaceIndex,
    foreign_keys.AddForeignKey,
    foreign_keys.ChangeForeignKey,
    columns.DropColumn,
    tables.ChangeRowSecurity,
    tables.ChangeRowSecurityForced,
)


def table_change_rank(change: Change) -> int:
    """``change``'s place in :data:`TABLE_CHANGE_ORDER` (kinds not listed come last)."""
    for number, kind in enumerate(TABLE_CHANGE_ORDER):
        if isinstance(change, kind):
            return number
    return len(TABLE_CHANGE_ORDER)
