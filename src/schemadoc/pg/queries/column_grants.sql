-- Privileges granted on single columns of tables and views (pg_attribute.attacl), one row per
-- column, privilege and grantee. The owner's own privileges are left out. Grantee 0 is PUBLIC.
SELECT n.nspname AS schema,
       c.relname AS table_name,
       a.attname AS column_name,
       x.privilege_type AS privilege,
       CASE WHEN x.grantee = 0 THEN 'public' ELSE r.rolname END AS grantee,
       x.is_grantable AS with_grant_option
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) AS x
LEFT JOIN pg_catalog.pg_roles r ON r.oid = x.grantee
WHERE a.attacl IS NOT NULL
  AND a.attnum > 0
  AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname = ANY(%(schemas)s)
  AND x.grantee <> c.relowner
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend e
    WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND e.objid = c.oid AND e.deptype = 'e')
ORDER BY 1, 2, 3, 5, 4
