-- The roles that grants and policies name.
SELECT r.rolname AS name, r.rolcanlogin AS login
FROM pg_catalog.pg_roles r
WHERE r.rolname = ANY(%(names)s)
ORDER BY r.rolname
