-- Roles with their LOGIN flag; the caller keeps those that grants and policies name.
SELECT r.rolname AS name, r.rolcanlogin AS login
FROM pg_catalog.pg_roles r
WHERE r.rolname !~ '^pg_'
ORDER BY r.rolname
