-- Functions and procedures (not aggregates or window functions), leaving out those an
-- extension owns and those PostgreSQL makes for another object (a range type's constructors). A body written as SQL standard (BEGIN ATOMIC) comes deparsed.
SELECT p.oid AS oid,
       n.nspname AS schema,
       p.proname AS name,
       pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
       CASE WHEN p.prokind = 'p' THEN NULL ELSE pg_catalog.pg_get_function_result(p.oid) END AS returns,
       l.lanname AS language,
       CASE WHEN p.prosqlbody IS NOT NULL THEN pg_catalog.pg_get_function_sqlbody(p.oid) ELSE p.prosrc END AS body,
       p.provolatile AS volatility,
       p.prosecdef AS security_definer,
       p.prokind AS kind,
       p.proisstrict AS strict,
       p.proparallel AS parallel,
       p.proconfig AS config
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE p.prokind IN ('f', 'p')
  AND n.nspname = ANY(%(schemas)s)
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend e
    WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
      AND e.objid = p.oid AND e.deptype IN ('e', 'i'))
ORDER BY n.nspname, p.proname, pg_catalog.pg_get_function_arguments(p.oid)
