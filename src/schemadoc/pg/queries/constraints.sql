-- Primary keys, unique, CHECK and foreign key constraints declared on a table itself
-- (copies that partitions inherit from their parent are left out).
SELECT n.nspname AS schema,
       c.relname AS table_name,
       k.conname AS name,
       k.contype AS type,
       ARRAY(SELECT a.attname FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY AS u(attnum, pos)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
             ORDER BY u.pos) AS columns,
       CASE WHEN k.contype = 'c' THEN pg_catalog.pg_get_constraintdef(k.oid, true) END AS definition,
       CASE WHEN k.contype = 'u' THEN (
         SELECT (pg_catalog.to_jsonb(ix) ->> 'indnullsnotdistinct')::boolean
         FROM pg_catalog.pg_index ix WHERE ix.indexrelid = k.conindid) END AS nulls_not_distinct,
       rn.nspname AS ref_schema,
       rc.relname AS ref_table,
       ARRAY(SELECT a.attname FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY AS u(attnum, pos)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum
             ORDER BY u.pos) AS ref_columns,
       k.confdeltype AS on_delete,
       k.confupdtype AS on_update,
       k.confmatchtype AS match_type,
       k.condeferrable AS deferrable,
       k.condeferred AS initially_deferred
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = k.confrelid AND k.contype = 'f'
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE k.contype IN ('p', 'u', 'c', 'f')
  AND k.conparentid = 0
  AND k.conislocal
  AND c.relkind IN ('r', 'p')
  AND n.nspname = ANY(%(schemas)s)
ORDER BY n.nspname, c.relname, k.oid
