-- Catalog rules every supplymkt object must follow (DESIGN.md, STYLE.md): comments, security, aggregates
-- that can run as partial aggregates.  Discovers objects from the catalog, so new ones are covered.
BEGIN;
SELECT plan(12);

SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace IN ('supplymkt'::regnamespace, 'supplymkt_internal'::regnamespace) AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every function and aggregate has a COMMENT');

SELECT is_empty($$
    SELECT t.typname::text FROM pg_type t
     WHERE t.typnamespace IN ('supplymkt'::regnamespace, 'supplymkt_internal'::regnamespace) AND t.typtype IN ('b', 'c', 'e', 'd')
       AND t.typrelid = 0 AND t.typelem = 0 AND obj_description(t.oid, 'pg_type') IS NULL$$,
    'every type has a COMMENT');

SELECT is_empty($$
    SELECT c.relname::text FROM pg_class c
     WHERE c.relnamespace IN ('supplymkt'::regnamespace, 'supplymkt_internal'::regnamespace) AND c.relkind IN ('r', 'v', 'm')
       AND obj_description(c.oid, 'pg_class') IS NULL$$,
    'every table and view has a COMMENT');

SELECT is_empty($$
    SELECT c.relname || '.' || a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE c.relnamespace IN ('supplymkt'::regnamespace, 'supplymkt_internal'::regnamespace) AND c.relkind IN ('r', 'v', 'm', 'c')
       AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL$$,
    'every column of our tables, views and composite types has a COMMENT');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace IN ('supplymkt'::regnamespace, 'supplymkt_internal'::regnamespace) AND p.prosecdef$$,
    'no function is SECURITY DEFINER');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
     WHERE p.pronamespace IN ('supplymkt'::regnamespace, 'supplymkt_internal'::regnamespace) AND l.lanname IN ('sql', 'plpgsql')
       AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')$$,
    'every SQL and plpgsql function pins search_path');

SELECT is_empty($$
    SELECT a.aggfnoid::regprocedure::text FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
     WHERE p.pronamespace IN ('supplymkt'::regnamespace, 'supplymkt_internal'::regnamespace)
       AND (a.aggcombinefn = 0 OR a.aggtranstype = 'internal'::regtype OR p.proparallel <> 's')$$,
    'every aggregate has a combine function, a real state type and is PARALLEL SAFE');

SELECT is_empty($$
    SELECT p.proname::text FROM pg_proc p
     WHERE p.pronamespace IN ('supplymkt'::regnamespace, 'supplymkt_internal'::regnamespace) AND p.prokind = 'a'
       AND p.proname IN ('avg', 'min', 'max', 'sum', 'count', 'array_agg', 'json_agg', 'jsonb_agg',
                         'json_object_agg', 'jsonb_object_agg', 'bit_and', 'bit_or', 'bool_and', 'bool_or',
                         'every', 'any_value', 'hll_add_agg', 'hll_union_agg', 'topn_add_agg', 'topn_union_agg')$$,
    'no aggregate is named like one Citus plans by name alone');

SELECT is_empty($$
    SELECT c.relname::text FROM pg_class c
     WHERE c.relnamespace IN ('supplymkt'::regnamespace, 'supplymkt_internal'::regnamespace) AND c.relkind = 'v'
       AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)$$,
    'every view of the extension is security_invoker');

-- The user surface: schema supplymkt holds what an analyst calls; plumbing lives in supplymkt_internal.
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'supplymkt'::regnamespace
       AND (p.proname ~ '_(transfn|final|combine|query)$'
            OR EXISTS (SELECT 1 FROM pg_type t
                        WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend)))$$,
    'no transition, combine, final, type I/O or query-building function is in schema supplymkt');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'supplymkt_internal'::regnamespace
       AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                        WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND e.extname = 'supplymkt')$$,
    'everything in supplymkt_internal belongs to the extension');

SELECT ok((SELECT count(*) FROM pg_proc WHERE pronamespace = 'supplymkt_internal'::regnamespace) > 100
          AND (SELECT count(DISTINCT proname) FROM pg_proc WHERE pronamespace = 'supplymkt'::regnamespace) < 120,
          'plumbing (over 100 functions) is in supplymkt_internal, the analyst''s surface (under 120 names) in supplymkt');

SELECT * FROM finish();
ROLLBACK;
