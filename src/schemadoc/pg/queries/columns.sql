-- Columns of tables, views and materialized views, in column order. A default cannot
-- refer to columns, so it is printed without opening the relation (much faster); a
-- generated column's expression needs the relation for its column names. An identity
-- column's sequence options come as one array, in schemadoc.sequence_options.OPTIONS order.
SELECT c.oid AS relid,
       a.attnum AS attnum,
       a.attname AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null,
       a.attidentity AS identity,
       a.attgenerated AS generated,
       CASE WHEN ad.adbin IS NULL THEN NULL
            WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(ad.adbin, 0)
            ELSE pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END AS expr,
       CASE WHEN a.attcollation <> t.typcollation THEN
         CASE WHEN cn.nspname = 'pg_catalog' THEN co.collname::text
              ELSE cn.nspname || '.' || co.collname END
       END AS collation,
       a.attislocal AS is_local,
       CASE WHEN a.attidentity <> '' THEN (
         SELECT ARRAY[s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache, s.seqcycle::int]
         FROM pg_catalog.pg_depend d
         JOIN pg_catalog.pg_sequence s ON s.seqrelid = d.objid
         WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
           AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
           AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum AND d.deptype = 'i')
       END AS identity_sequence
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> t.typcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm')
  AND a.attnum > 0
  AND NOT a.attisdropped
  AND n.nspname = ANY(%(schemas)s)
ORDER BY a.attrelid, a.attnum
