-- Indexes that do not back a constraint (those are read with the constraints) and are
-- not a partition's copy of an index on its parent. The key expressions come printed in
-- one list per index (much cheaper than pg_get_indexdef per key); the caller splits it,
-- and puts together plain column keys, sort options and operator classes.
SELECT ix.indrelid AS relid,
       tn.nspname AS schema,  -- an index lives in its table's schema
       ic.relname AS name,
       tn.nspname AS table_schema,
       tc.relname AS table_name,
       ix.indisunique AS is_unique,
       am.amname AS method,
       ix.indnkeyatts AS key_count,
       ix.indkey::pg_catalog.int2[] AS attnums,
       CASE WHEN ix.indexprs IS NOT NULL THEN pg_catalog.pg_get_expr(ix.indexprs, ix.indrelid, true) END
         AS expressions,
       ix.indoption::pg_catalog.int2[] AS options,
       ix.indclass::pg_catalog.oid[] AS opclasses,
       CASE WHEN ix.indpred IS NOT NULL THEN pg_catalog.pg_get_expr(ix.indpred, ix.indrelid, true) END AS predicate,
       ix.indnullsnotdistinct AS nulls_not_distinct,
       ic.oid AS oid
FROM pg_catalog.pg_index ix
JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid
JOIN pg_catalog.pg_class tc ON tc.oid = ix.indrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE tc.relkind IN ('r', 'p', 'm')
  AND NOT ic.relispartition
  AND tc.relnamespace IN (SELECT s.oid FROM pg_catalog.pg_namespace s WHERE s.nspname = ANY(%(schemas)s))
  -- NOT IN over one scan of each catalog: hashed, whatever the planner's estimates
  AND ix.indexrelid NOT IN (
    SELECT k.conindid FROM pg_catalog.pg_constraint k WHERE k.contype IN ('p', 'u', 'x'))
  AND tc.oid NOT IN (
    SELECT e.objid FROM pg_catalog.pg_depend e
    WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.deptype = 'e')
ORDER BY 2, 3
