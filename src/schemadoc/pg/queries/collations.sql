-- Collations made with CREATE COLLATION in the schemas (not those an extension owns). The ICU or
-- builtin locale is colliculocale up to PostgreSQL 16 and colllocale from 17: read through to_jsonb
-- so one query serves both.
SELECT n.nspname AS schema,
       c.collname AS name,
       CASE c.collprovider WHEN 'i' THEN 'icu' WHEN 'b' THEN 'builtin' ELSE 'libc' END AS provider,
       c.collcollate AS lc_collate,
       c.collctype AS lc_ctype,
       COALESCE(pg_catalog.to_jsonb(c) ->> 'colllocale', pg_catalog.to_jsonb(c) ->> 'colliculocale') AS locale,
       c.collisdeterministic AS deterministic
FROM pg_catalog.pg_collation c
JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
WHERE n.nspname = ANY(%(schemas)s)
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend e
    WHERE e.classid = 'pg_catalog.pg_collation'::pg_catalog.regclass
      AND e.objid = c.oid AND e.deptype = 'e')
ORDER BY n.nspname, c.collname
