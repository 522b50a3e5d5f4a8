-- Installed extensions (plpgsql is part of every database and left out).
SELECT x.extname AS name, n.nspname AS schema
FROM pg_catalog.pg_extension x
JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace
WHERE x.extname <> 'plpgsql'
ORDER BY x.extname
