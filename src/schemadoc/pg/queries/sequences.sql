-- Sequences, except those behind identity columns; a serial column's sequence says
-- which column owns it.
SELECT n.nspname AS schema,
       c.relname AS name,
       pg_catalog.format_type(s.seqtypid, NULL) AS data_type,
       s.seqincrement AS increment, s.seqmin AS minvalue, s.seqmax AS maxvalue,
       s.seqstart AS start, s.seqcache AS cache, s.seqcycle AS cycle,
       on_.nspname AS owner_schema,
       oc.relname AS owner_table,
       oa.attname AS owner_column
FROM pg_catalog.pg_sequence s
JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_depend dep
  ON dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND dep.objid = c.oid
     AND dep.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND dep.refobjsubid > 0
     AND dep.deptype = 'a'
LEFT JOIN pg_catalog.pg_class oc ON oc.oid = dep.refobjid
LEFT JOIN pg_catalog.pg_namespace on_ ON on_.oid = oc.relnamespace
LEFT JOIN pg_catalog.pg_attribute oa ON oa.attrelid = dep.refobjid AND oa.attnum = dep.refobjsubid
WHERE n.nspname = ANY(%(schemas)s)
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend e
    WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND e.objid = c.oid AND e.deptype IN ('e', 'i'))
ORDER BY n.nspname, c.relname
