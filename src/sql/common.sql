-- shared objects of the core: checks on the canonical source relations (the state-type pattern lives in src/core/)

-- Checks that source_schema holds the canonical relations and columns a reader needs (columns as
-- 'relation.column'; the relations are those the columns name, in order).
CREATE FUNCTION supplymkt_internal.check_source(source_schema text, columns text[], reader text)
    RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    missing text;
    relations text;
BEGIN
    IF source_schema IS NULL THEN
        RAISE EXCEPTION 'source_schema must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = source_schema) THEN
        RAISE EXCEPTION 'source schema "%" does not exist', source_schema USING ERRCODE = 'invalid_schema_name';
    END IF;
    SELECT string_agg(r.relname, ', ' ORDER BY r.ord),
           string_agg(format('%I.%I', source_schema, r.relname), ', ' ORDER BY r.ord)
             FILTER (WHERE NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                        WHERE n.nspname = source_schema AND c.relname = r.relname
                                          AND c.relkind IN ('r', 'p', 'v', 'm', 'f')))
      INTO relations, missing
      FROM (SELECT split_part(col, '.', 1) AS relname, min(ord) AS ord
              FROM unnest(columns) WITH ORDINALITY AS u(col, ord) GROUP BY 1) AS r;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'source relation % does not exist', missing
            USING ERRCODE = 'undefined_table',
                  HINT = format('%s reads the canonical relations %s: provide tables or views with these names, or generate them with supplymkt.generate_demo_data.', reader, relations);
    END IF;
    SELECT string_agg(format('%I.%I.%I', source_schema, split_part(col, '.', 1), split_part(col, '.', 2)), ', '
                      ORDER BY split_part(col, '.', 1), split_part(col, '.', 2)) INTO missing
      FROM unnest(columns) AS u(col)
     WHERE NOT supplymkt_internal.source_has_column(source_schema, split_part(col, '.', 1), split_part(col, '.', 2));
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'source column % does not exist', missing
            USING ERRCODE = 'undefined_column',
                  HINT = 'See the canonical data model in the supplymkt documentation for the columns each relation needs.';
    END IF;
END;
$$;
COMMENT ON FUNCTION supplymkt_internal.check_source(text, text[], text) IS
    'Raises 22004 for a NULL schema, 3F000 for an unknown one, 42P01 naming the missing relations and 42703 naming the missing columns (columns given as relation.column; reader, the calling function, is named in the hint); returns nothing when source_schema has them all.';

-- Checks that a time zone name is one PostgreSQL knows (22023 naming it otherwise).
CREATE FUNCTION supplymkt_internal.check_time_zone(time_zone text)
    RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM now() AT TIME ZONE time_zone;
EXCEPTION WHEN invalid_parameter_value THEN
    RAISE EXCEPTION 'time zone "%" is not recognized', time_zone
        USING ERRCODE = 'invalid_parameter_value', HINT = 'Use a name from pg_timezone_names, e.g. ''UTC''.';
END;
$$;
COMMENT ON FUNCTION supplymkt_internal.check_time_zone(text) IS
    'Raises 22023 naming the time zone when PostgreSQL does not know it (a name from pg_timezone_names or a POSIX spec); returns nothing otherwise. Used by the functions that take a time_zone argument.';

-- Whether source_schema.relation has a column column_name (for optional canonical columns such as orders.channel).
CREATE FUNCTION supplymkt_internal.source_has_column(source_schema text, relation text, column_name text)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
RETURN EXISTS (SELECT 1 FROM pg_attribute AS a
                WHERE a.attrelid = to_regclass(format('%I.%I', source_schema, relation))
                  AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped);
COMMENT ON FUNCTION supplymkt_internal.source_has_column(text, text, text) IS
    'True when relation source_schema.relation exists and has a column column_name; false otherwise (also for NULL arguments). Used for optional canonical columns, e.g. orders.channel for the personas.';

-- Text of a CTE "cte(id, name)" with the names of an optional name column (customers.name, products.name):
-- one row per key from source_schema.relation when with_names, else no rows (the dashboards then show NULL names).
CREATE FUNCTION supplymkt_internal.names_cte(cte text, source_schema text, relation text, key_column text,
                                             with_names boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
RETURN CASE WHEN with_names
            THEN format('%I AS (SELECT DISTINCT ON (r.%I) r.%I::bigint AS id, r.name::text AS name FROM %I.%I AS r WHERE r.%I IS NOT NULL ORDER BY r.%I, r.name::text COLLATE "C")',
                        cte, key_column, key_column, source_schema, relation, key_column, key_column)
            ELSE format('%I AS (SELECT NULL::bigint AS id, NULL::text AS name WHERE false)', cte) END;
COMMENT ON FUNCTION supplymkt_internal.names_cte(text, text, text, text, boolean) IS
    'Text of a common table expression cte(id bigint, name text): the name column of source_schema.relation by key_column (one row per key, the first name in byte order when a key repeats) when with_names, else an empty relation of that shape, so the dashboards show NULL names for sources without the optional customers.name or products.name columns.';
