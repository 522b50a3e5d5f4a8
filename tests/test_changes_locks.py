"""The lock a step says it takes is the strongest lock PostgreSQL holds on that relation after
running it (read from pg_locks inside a transaction that is rolled back)."""

from __future__ import annotations

import psycopg
from convergence_support import Lab, lab, read
from psycopg import sql

from schemadoc.compare.changes import Lock
from schemadoc.compare.diff import diff_changes
from schemadoc.sqlnames import quote_qualified

from conftest import scratch_database

__all__ = ["lab"]

BASE = """
CREATE TABLE items (id bigint PRIMARY KEY, qty integer NOT NULL DEFAULT 0, note text);
CREATE INDEX items_qty ON items (qty);
CREATE SEQUENCE counter;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
"""

OLD = (
    BASE
    + """
CREATE VIEW big AS SELECT id FROM items;
CREATE VIEW gone AS SELECT id FROM items;
CREATE POLICY readers ON items FOR SELECT USING (qty > 0);
CREATE POLICY leaving ON items USING (true);
CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER items_gone BEFORE DELETE ON items FOR EACH ROW EXECUTE FUNCTION touch();
CREATE SEQUENCE small AS integer OWNED BY items.qty;
"""
)

NEW = (
    BASE
    + """
CREATE VIEW big AS SELECT id, qty FROM items;
COMMENT ON VIEW big IS 'v';
COMMENT ON TABLE items IS 't';
COMMENT ON COLUMN items.note IS 'c';
COMMENT ON INDEX items_qty IS 'i';
CREATE POLICY readers ON items FOR SELECT USING (qty > 1);
CREATE POLICY coming ON items FOR DELETE USING (true);
CREATE TRIGGER items_touch BEFORE INSERT OR UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER items_new AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION touch();
CREATE SEQUENCE small AS bigint;
"""
)

_MODES = {
    "AccessShareLock": Lock.ACCESS_SHARE,
    "RowExclusiveLock": Lock.ROW_EXCLUSIVE,
    "ShareUpdateExclusiveLock": Lock.SHARE_UPDATE_EXCLUSIVE,
    "ShareLock": Lock.SHARE,
    "ShareRowExclusiveLock": Lock.SHARE_ROW_EXCLUSIVE,
    "AccessExclusiveLock": Lock.ACCESS_EXCLUSIVE,
}
_ORDER = [
    Lock.NONE,
    Lock.ACCESS_SHARE,
    Lock.ROW_EXCLUSIVE,
    Lock.SHARE_UPDATE_EXCLUSIVE,
    Lock.SHARE,
    Lock.SHARE_ROW_EXCLUSIVE,
    Lock.ACCESS_EXCLUSIVE,
]


def test_each_step_takes_the_lock_it_names(lab: Lab) -> None:
    with scratch_database(lab.server_url) as old_url, scratch_database(lab.server_url) as new_url:
        lab.run(old_url, OLD)
        lab.run(new_url, NEW)
        changes = diff_changes(read(new_url), read(old_url))
        kinds = sorted({type(c).__name__ for c in changes})
        assert kinds == [
            "AddPolicy",
            "AddTrigger",
            "ChangeComment",
            "ChangeSequence",
            "DropPolicy",
            "DropTrigger",
            "DropView",
            "ReplacePolicy",
            "ReplaceTrigger",
            "ReplaceView",
        ]
        checked = 0
        with psycopg.connect(old_url) as conn:
            for change in changes:
                step = change.steps()[0]
                if step.table is None:
                    continue
                oid = conn.execute("SELECT to_regclass(%s)::oid", (quote_qualified(step.table),)).fetchone()
                assert oid is not None and oid[0] is not None, step.table
                conn.execute(sql.SQL(step.sql))  # type: ignore[arg-type]
                modes = [
                    _MODES[r[0]]
                    for r in conn.execute(
                        "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND relation = %s", (oid[0],)
                    )
                ]
                conn.rollback()
                strongest = max(modes, key=_ORDER.index, default=Lock.NONE)
                assert strongest == step.lock, (step.sql, modes)
                checked += 1
        assert checked == len(changes)
