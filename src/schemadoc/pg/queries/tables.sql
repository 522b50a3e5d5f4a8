-- Ordinary and partitioned tables with their row level security flags and partitioning
-- and plain inheritance parents (comments come with the comments query).
SELECT c.oid AS oid,
       n.nspname AS schema,
       c.relname AS name,
       c.relrowsecurity AS rls_enabled,
       c.relforcerowsecurity AS rls_forced,
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partition_by,
       pn.nspname AS parent_schema,
       pc.relname AS parent_name,
       -- a bound holds constants only, so no relation is needed to print it
       CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, 0) END AS partition_bound,
       -- parents of plain inheritance (INHERITS), in declared order; a partition's parent is above
       -- as [schema, name] pairs, never joined into one string
       CASE WHEN NOT c.relispartition THEN
         ARRAY(SELECT ARRAY[hn.nspname::text, hc.relname::text]
               FROM pg_catalog.pg_inherits h
               JOIN pg_catalog.pg_class hc ON hc.oid = h.inhparent
               JOIN pg_catalog.pg_namespace hn ON hn.oid = hc.relnamespace
               WHERE h.inhrelid = c.oid
               ORDER BY h.inhseqno)
       END AS inherits
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
LEFT JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname = ANY(%(schemas)s)
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend e
    WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND e.objid = c.oid AND e.deptype = 'e')
ORDER BY n.nspname, c.relname
