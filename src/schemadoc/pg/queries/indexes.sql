-- Indexes that do not back a constraint (those are read with the constraints) and are
-- not a partition's copy of an index on its parent. Keys and INCLUDE columns come one
-- by one from pg_get_indexdef, with their sort options and non-default operator class.
SELECT n.nspname AS schema,
       ic.relname AS name,
       tn.nspname AS table_schema,
       tc.relname AS table_name,
       ix.indisunique AS is_unique,
       am.amname AS method,
       ix.indnkeyatts AS key_count,
       ARRAY(SELECT pg_catalog.pg_get_indexdef(ix.indexrelid, k, true)
             FROM pg_catalog.generate_series(1, ix.indnatts) AS k ORDER BY k) AS columns,
       ix.indoption::pg_catalog.int2[] AS options,
       ARRAY(SELECT CASE WHEN oc.opcdefault THEN NULL
                         WHEN ocn.nspname = 'pg_catalog' THEN pg_catalog.quote_ident(oc.opcname)
                         ELSE pg_catalog.quote_ident(ocn.nspname) || '.' || pg_catalog.quote_ident(oc.opcname) END
             FROM pg_catalog.unnest(ix.indclass::pg_catalog.oid[]) WITH ORDINALITY AS u(opc, pos)
             JOIN pg_catalog.pg_opclass oc ON oc.oid = u.opc
             JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace
             ORDER BY u.pos) AS opclasses,
       CASE WHEN ix.indpred IS NOT NULL THEN pg_catalog.pg_get_expr(ix.indpred, ix.indrelid, true) END AS predicate,
       (pg_catalog.to_jsonb(ix) ->> 'indnullsnotdistinct')::boolean AS nulls_not_distinct,
       d.description AS comment
FROM pg_catalog.pg_index ix
JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_catalog.pg_class tc ON tc.oid = ix.indrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
LEFT JOIN pg_catalog.pg_description d
  ON d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objoid = ic.oid AND d.objsubid = 0
WHERE tc.relkind IN ('r', 'p', 'm')
  AND tn.nspname = ANY(%(schemas)s)
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_constraint k
    WHERE k.conindid = ix.indexrelid AND k.conrelid = ix.indrelid AND k.contype IN ('p', 'u', 'x'))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = ix.indexrelid)
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend e
    WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND e.objid = tc.oid AND e.deptype = 'e')
ORDER BY n.nspname, ic.relname
