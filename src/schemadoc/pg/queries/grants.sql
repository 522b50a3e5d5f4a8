-- Privileges granted on tables, views, sequences, functions and schemas, one row per
-- privilege and grantee. The owner's own privileges, EXECUTE for PUBLIC on functions
-- and USAGE for PUBLIC on the public schema are defaults and left out. Grantee 0 is PUBLIC.
WITH objects AS (
  SELECT CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS object_type,
         n.nspname AS schema, c.relname AS name, NULL::text AS arguments,
         c.relowner AS owner, c.relacl AS acl
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
    AND c.relacl IS NOT NULL
    AND n.nspname = ANY(%(schemas)s)
    AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend e
      WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
        AND e.objid = c.oid AND e.deptype = 'e')
  UNION ALL
  SELECT 'FUNCTION', n.nspname, p.proname, pg_catalog.pg_get_function_arguments(p.oid),
         p.proowner, p.proacl
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE p.proacl IS NOT NULL
    AND p.prokind IN ('f', 'p')
    AND n.nspname = ANY(%(schemas)s)
    AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend e
      WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
        AND e.objid = p.oid AND e.deptype = 'e')
  UNION ALL
  SELECT 'SCHEMA', NULL, n.nspname, NULL, n.nspowner, n.nspacl
  FROM pg_catalog.pg_namespace n
  WHERE n.nspacl IS NOT NULL
    AND n.nspname = ANY(%(schemas)s)
)
SELECT o.object_type,
       o.schema,
       o.name,
       o.arguments,
       a.privilege_type AS privilege,
       CASE WHEN a.grantee = 0 THEN 'public' ELSE r.rolname END AS grantee,
       a.is_grantable AS with_grant_option
FROM objects o
CROSS JOIN LATERAL pg_catalog.aclexplode(o.acl) AS a
LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
WHERE a.grantee <> o.owner
  AND NOT (a.grantee = 0 AND o.object_type = 'FUNCTION' AND a.privilege_type = 'EXECUTE')
  AND NOT (a.grantee = 0 AND o.object_type = 'SCHEMA' AND o.name = 'public' AND a.privilege_type = 'USAGE')
ORDER BY 1, 2, 3, 4, 6, 5
