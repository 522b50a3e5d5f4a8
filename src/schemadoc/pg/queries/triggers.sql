-- User triggers: not the internal ones behind foreign keys, not a partition's clone of
-- its parent's trigger. Timing and events are decoded from tgtype by the caller; the
-- WHEN condition is cut out of pg_get_triggerdef.
SELECT n.nspname AS schema,
       c.relname AS table_name,
       t.tgname AS name,
       t.tgtype AS tgtype,
       ARRAY(SELECT a.attname FROM pg_catalog.unnest(t.tgattr::pg_catalog.int2[]) WITH ORDINALITY AS u(attnum, pos)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = u.attnum
             ORDER BY u.pos) AS update_columns,
       CASE WHEN t.tgqual IS NOT NULL THEN pg_catalog.pg_get_triggerdef(t.oid, true) END AS definition,
       fn.nspname AS function_schema,
       f.proname AS function_name,
       t.tgnargs AS nargs,
       t.tgargs AS args
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc f ON f.oid = t.tgfoid
JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace
WHERE NOT t.tgisinternal
  AND t.tgparentid = 0
  AND n.nspname = ANY(%(schemas)s)
ORDER BY n.nspname, c.relname, t.tgname
