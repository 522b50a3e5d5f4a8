-- Row level security policies with their roles (0 is PUBLIC) and expressions.
SELECT n.nspname AS schema,
       c.relname AS table_name,
       p.polname AS name,
       p.polcmd AS command,
       p.polpermissive AS permissive,
       ARRAY(SELECT CASE WHEN u.role = 0 THEN 'public' ELSE r.rolname END
             FROM pg_catalog.unnest(p.polroles) AS u(role)
             LEFT JOIN pg_catalog.pg_roles r ON r.oid = u.role
             ORDER BY 1) AS roles,
       CASE WHEN p.polqual IS NOT NULL THEN pg_catalog.pg_get_expr(p.polqual, p.polrelid, true) END AS using_expr,
       CASE WHEN p.polwithcheck IS NOT NULL
            THEN pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid, true) END AS check_expr
FROM pg_catalog.pg_policy p
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s)
ORDER BY n.nspname, c.relname, p.polname
