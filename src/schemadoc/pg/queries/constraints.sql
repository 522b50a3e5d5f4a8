-- Primary keys, unique, CHECK, foreign key and exclusion constraints declared on a table itself
-- (copies that partitions inherit from their parent are left out). One scan of
-- pg_constraint; column numbers are turned into names by the caller from the columns
-- query, and only a foreign key to a table outside the schemas read brings its
-- referenced column names along. Constraints of relations that are not tables (foreign
-- tables) are dropped by the caller. ``validated`` is false for a CHECK or foreign key
-- added NOT VALID and never validated.
SELECT k.conrelid AS relid,
       k.conname AS name,
       k.contype AS type,
       k.conkey AS columns,
       CASE WHEN k.contype IN ('c', 'x') THEN pg_catalog.pg_get_constraintdef(k.oid, true) END AS definition,
       CASE WHEN k.contype = 'u' THEN
         (SELECT ix.indnullsnotdistinct FROM pg_catalog.pg_index ix WHERE ix.indexrelid = k.conindid) END
         AS nulls_not_distinct,
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
       k.condeferred AS initially_deferred,
       k.convalidated AS validated
FROM pg_catalog.pg_constraint k
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = k.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE k.contype IN ('p', 'u', 'c', 'f', 'x')
  AND k.conrelid <> 0
  AND k.conparentid = 0
  AND k.conislocal
  AND k.connamespace IN (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = ANY(%(schemas)s))
ORDER BY k.conrelid, k.oid
