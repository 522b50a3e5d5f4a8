-- Operator classes that are not their type's default: an index key names them.
SELECT oc.oid AS oid,
       CASE WHEN n.nspname = 'pg_catalog' THEN pg_catalog.quote_ident(oc.opcname)
            ELSE pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(oc.opcname) END AS name
FROM pg_catalog.pg_opclass oc
JOIN pg_catalog.pg_namespace n ON n.oid = oc.opcnamespace
WHERE NOT oc.opcdefault
