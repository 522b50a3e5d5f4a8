-- Primary keys, unique, CHECK and foreign key constraints declared on a table itself
-- (copies that partitions inherit from their parent are left out). Column numbers are
-- turned into names by the caller from the columns query; only a foreign key to a
-- table outside the schemas read brings its referenced column names along.
SELECT k.conrelid AS relid,
       k.conname AS name,
       k.contype AS type,
       k.conkey AS columns,
       CASE WHEN k.contype = 'c' THEN pg_catalog.pg_get_constraintdef(k.oid, true) END AS definition,
       ix.indnullsnotdistinct AS nulls_not_distinct,
       k.confrelid AS ref_relid,
       rn.nspname AS ref_schema,
       rc.relname AS ref_table,
       k.confkey AS ref_columns,
       CASE WHEN k.contype = 'f' AND NOT rn.nspname = ANY(%(schemas)s) THEN
         ARRAY(SELECT a.attname FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY AS u(attnum, pos)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum
               ORDER BY u.pos)
       END AS ref_column_names,
       k.confdeltype AS on_delete,
       k.confupdtype AS on_update,
       k.confmatchtype AS match_type,
       k.condeferrable AS deferrable,
       k.condeferred AS initially_deferred
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_index ix ON k.contype = 'u' AND ix.indexrelid = k.conindid
LEFT JOIN pg_catalog.pg_class rc ON k.contype = 'f' AND rc.oid = k.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE k.contype IN ('p', 'u', 'c', 'f')
  AND k.conparentid = 0
  AND k.conislocal
  AND c.relkind IN ('r', 'p')
  AND n.nspname = ANY(%(schemas)s)
ORDER BY k.conrelid, k.oid
