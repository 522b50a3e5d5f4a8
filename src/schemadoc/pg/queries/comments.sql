-- Comments on relations and their columns, functions and types, matched to objects by
-- the caller through their oids.
SELECT CASE d.classoid
         WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN 'class'
         WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN 'proc'
         ELSE 'type' END AS kind,
       d.objoid AS oid,
       d.objsubid AS subid,
       d.description AS comment
FROM pg_catalog.pg_description d
WHERE d.objoid >= 16384  -- user objects only
  AND d.classoid IN ('pg_catalog.pg_class'::pg_catalog.regclass,
                     'pg_catalog.pg_proc'::pg_catalog.regclass,
                     'pg_catalog.pg_type'::pg_catalog.regclass)
