-- ===========================================================================================================
-- Dashboards: materialized views over the canonical data model, their refresh, and pg_cron scheduling
-- ===========================================================================================================

-- Registry of the objects create_dashboards made.  A registry rather than catalog discovery because:
-- it says which objects are ours (re-creating never drops a user's relation that happens to share a name),
-- it lets every dashboard family add its materialized views to the same refresh, and pg_dump keeps it
-- (pg_extension_config_dump) together with the materialized views it lists.  refresh_dashboards checks
-- each entry against the catalog, so a view dropped by hand is skipped with a warning, not an error.
CREATE TABLE @extschema@.dashboards (
    target_schema text NOT NULL,
    object_name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('materialized view', 'index', 'view')),
    source_schema text,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (target_schema, object_name)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.dashboards', '');
GRANT SELECT ON @extschema@.dashboards TO PUBLIC;
COMMENT ON TABLE @extschema@.dashboards IS
    'Registry of the dashboard objects created by create_dashboards, read by refresh_dashboards. pg_dump keeps its rows. Writing it (create_dashboards) needs INSERT and DELETE on it, which only its owner has unless granted.';
COMMENT ON COLUMN @extschema@.dashboards.target_schema IS 'Schema holding the object.';
COMMENT ON COLUMN @extschema@.dashboards.object_name IS 'Name of the relation in target_schema.';
COMMENT ON COLUMN @extschema@.dashboards.kind IS 'materialized view, index or view.';
COMMENT ON COLUMN @extschema@.dashboards.source_schema IS 'Schema of the canonical relations the object reads.';
COMMENT ON COLUMN @extschema@.dashboards.created_at IS 'When create_dashboards created the object.';


-- Checks a target schema name for the dashboard functions: not NULL, not a system or the extension schema.
CREATE FUNCTION supplymkt_internal.check_dashboard_target(target_schema text)
    RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF target_schema IS NULL THEN
        RAISE EXCEPTION 'target_schema must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF target_schema = '' OR target_schema = '@extschema@' OR target_schema = 'supplymkt_internal' OR target_schema = 'information_schema'
       OR target_schema LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'cannot use schema "%" for dashboards', target_schema
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use a schema of your own: not empty, not a system schema, not the extension''s schema.';
    END IF;
END;
$$;
COMMENT ON FUNCTION supplymkt_internal.check_dashboard_target(text) IS
    'Raises 22004 for a NULL target schema and 22023 for an empty name, a pg_* or information_schema schema, or the extension''s own schema.';

-- The dashboard catalog: what create_dashboards builds.  Each family's SQL file registers its dashboards here
-- with register_dashboard (one row per dashboard, its columns' descriptions in dashboard_columns); the
-- functions below loop over it and know no family.  A dashboard <name> is three objects in the target schema:
-- the materialized view <name>_mv, its unique index <name>_mv_key (REFRESH ... CONCURRENTLY needs one) and
-- the security_invoker view <name> that BI tools read.  Rows come from the install script only (no
-- pg_extension_config_dump: CREATE EXTENSION and ALTER EXTENSION UPDATE write them).
CREATE TABLE supplymkt_internal.dashboard_catalog (
    name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$' AND length(name) <= 55),
    family text NOT NULL,
    build_order integer NOT NULL UNIQUE,
    query_call text NOT NULL,
    unique_key text[] NOT NULL CHECK (cardinality(unique_key) > 0 AND array_position(unique_key, NULL) IS NULL),
    source_columns text[] NOT NULL,
    title text NOT NULL,
    mv_comment text NOT NULL,
    key_note text,
    lists_models boolean NOT NULL DEFAULT false
);
GRANT SELECT ON supplymkt_internal.dashboard_catalog TO PUBLIC;
COMMENT ON TABLE supplymkt_internal.dashboard_catalog IS
    'The dashboards create_dashboards builds, one row per dashboard, registered by each family''s install script with register_dashboard. In query_call and mv_comment, the format() arguments %1$ to %4$ are the source schema, the target schema, the time zone and segments.';
COMMENT ON COLUMN supplymkt_internal.dashboard_catalog.name IS 'Base name: the objects are the materialized view <name>_mv, its unique index <name>_mv_key and the view <name>.';
COMMENT ON COLUMN supplymkt_internal.dashboard_catalog.family IS 'The family (src/<family>/) whose SQL file registered the dashboard.';
COMMENT ON COLUMN supplymkt_internal.dashboard_catalog.build_order IS 'Build order (ascending) for create_dashboards and refresh_dashboards: a dashboard reading another''s materialized view comes after it; drop_dashboards goes in reverse.';
COMMENT ON COLUMN supplymkt_internal.dashboard_catalog.query_call IS 'format() template of the call returning the materialized view''s SELECT, e.g. supplymkt_internal.supply_dashboard_query(%1$L, %3$L); create_dashboards fills in the (quoted) arguments and runs it.';
COMMENT ON COLUMN supplymkt_internal.dashboard_catalog.unique_key IS 'Columns of the unique index <name>_mv_key.';
COMMENT ON COLUMN supplymkt_internal.dashboard_catalog.source_columns IS 'Canonical columns (relation.column) of the source schema the query reads; create_dashboards checks the union of all of them first.';
COMMENT ON COLUMN supplymkt_internal.dashboard_catalog.title IS 'Short title, used in the comment on the view (e.g. Supply dashboard).';
COMMENT ON COLUMN supplymkt_internal.dashboard_catalog.mv_comment IS 'format() template (arguments as in query_call) of the comment on the materialized view.';
COMMENT ON COLUMN supplymkt_internal.dashboard_catalog.key_note IS 'Sentence appended to the comment on the unique index, or NULL.';
COMMENT ON COLUMN supplymkt_internal.dashboard_catalog.lists_models IS 'Whether the dashboard is a model dashboard: one row per fitted model with the columns name, model_type (the SQL type to cast model to), model, fitted_at and note, unique key name; create_dashboards lists the rows of every model dashboard in the view models of the target schema.';

CREATE TABLE supplymkt_internal.dashboard_columns (
    dashboard text NOT NULL REFERENCES supplymkt_internal.dashboard_catalog ON DELETE CASCADE,
    ordinal integer NOT NULL,
    column_name text NOT NULL,
    description text NOT NULL,
    PRIMARY KEY (dashboard, column_name),
    UNIQUE (dashboard, ordinal)
);
GRANT SELECT ON supplymkt_internal.dashboard_columns TO PUBLIC;
COMMENT ON TABLE supplymkt_internal.dashboard_columns IS
    'Descriptions of the columns of each registered dashboard: create_dashboards puts them as comments on the materialized view''s and the view''s columns (columns the query does not return are skipped).';
COMMENT ON COLUMN supplymkt_internal.dashboard_columns.dashboard IS 'dashboard_catalog.name.';
COMMENT ON COLUMN supplymkt_internal.dashboard_columns.ordinal IS 'Position in the registration (1, 2, ...).';
COMMENT ON COLUMN supplymkt_internal.dashboard_columns.column_name IS 'Column of the materialized view and the view.';
COMMENT ON COLUMN supplymkt_internal.dashboard_columns.description IS 'Its comment.';

-- Registers (or replaces) a dashboard in the catalog; called by the family SQL files at install time.
CREATE FUNCTION supplymkt_internal.register_dashboard(name text, family text, build_order integer, query_call text,
                                                      unique_key text[], source_columns text[], title text,
                                                      mv_comment text, columns text[], key_note text DEFAULT NULL,
                                                      lists_models boolean DEFAULT false)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    called text := substring(query_call FROM '^(supplymkt_internal\.[a-z_][a-z0-9_]*)\(');
    taken text;
BEGIN
    IF called IS NULL OR to_regproc(called) IS NULL THEN
        RAISE EXCEPTION 'dashboard %: query_call must call a function of schema supplymkt_internal, not "%"', name, query_call
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF name IS NULL OR name !~ '^[a-z][a-z0-9_]*$' OR length(name) > 55 THEN
        RAISE EXCEPTION 'dashboard name "%" must start with a lower-case letter and use only lower-case letters, digits and _ (at most 55 characters)', name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT d.name INTO taken FROM supplymkt_internal.dashboard_catalog AS d
     WHERE d.build_order = register_dashboard.build_order AND d.name <> register_dashboard.name;
    IF taken IS NOT NULL THEN
        RAISE EXCEPTION 'dashboard %: build order % is taken by dashboard %', name, build_order, taken
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        PERFORM format(query_call, 'source', 'target', 'UTC', 1), format(mv_comment, 'source', 'target', 'UTC', 1);
    EXCEPTION WHEN invalid_parameter_value THEN
        RAISE EXCEPTION 'dashboard %: query_call and mv_comment must be format() templates of at most 4 arguments: %', name, SQLERRM
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = '%1$ is the source schema, %2$ the target schema, %3$ the time zone, %4$ segments; write % as %%.';
    END;
    IF array_ndims(columns) IS DISTINCT FROM 2 OR array_length(columns, 2) <> 2 THEN
        RAISE EXCEPTION 'dashboard %: columns must be an array of [column name, description] pairs', name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF lists_models IS NULL OR (lists_models AND unique_key IS DISTINCT FROM ARRAY['name']) THEN
        RAISE EXCEPTION 'model dashboard %: its rows are (name, model_type, model, fitted_at, note) with unique key name', name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM supplymkt_internal.dashboard_catalog AS d WHERE d.name = register_dashboard.name;
    INSERT INTO supplymkt_internal.dashboard_catalog
    VALUES (name, family, build_order, query_call, unique_key, source_columns, title, mv_comment, key_note, lists_models);
    INSERT INTO supplymkt_internal.dashboard_columns
    SELECT name, i, columns[i][1], columns[i][2] FROM generate_subscripts(columns, 1) AS i;
END;
$$;
COMMENT ON FUNCTION supplymkt_internal.register_dashboard(text, text, integer, text, text[], text[], text, text, text[], text, boolean) IS
    'Registers (or replaces) dashboard name in dashboard_catalog and its column descriptions (columns: ARRAY[[column, description], ...]) in dashboard_columns. Checks the name (lower-case identifier, at most 55 characters), that build_order is free, that query_call calls a supplymkt_internal function, that query_call and mv_comment are valid format() templates, and that a model dashboard (lists_models) has unique key name (22023). Called by the family install scripts.';

-- Drops the objects registered for target_schema in supplymkt.dashboards (views first, then the materialized
-- views in reverse build order, so a dashboard goes before the ones it reads) and deletes their registry
-- rows; returns what was registered, with the privileges the relation had (NULL when it was already gone).
CREATE FUNCTION supplymkt_internal.drop_registered_dashboards(target_schema text)
    RETURNS TABLE (object_name text, kind text, acl text[])
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    obj record;
BEGIN
    FOR obj IN
        SELECT d.object_name, d.kind, c.oid AS relid, c.relacl
          FROM @extschema@.dashboards AS d
          LEFT JOIN supplymkt_internal.dashboard_catalog AS g
                 ON d.object_name IN (g.name, g.name || '_mv', g.name || '_mv_key')
          LEFT JOIN pg_namespace AS n ON n.nspname = d.target_schema
          LEFT JOIN pg_class AS c ON c.relnamespace = n.oid AND c.relname = d.object_name
         WHERE d.target_schema = drop_registered_dashboards.target_schema
         ORDER BY CASE d.kind WHEN 'view' THEN 1 WHEN 'materialized view' THEN 2 ELSE 3 END,
                  g.build_order DESC NULLS FIRST, d.object_name DESC
    LOOP
        IF obj.relid IS NOT NULL AND obj.kind = 'view' THEN
            EXECUTE format('DROP VIEW %I.%I', target_schema, obj.object_name);
        ELSIF obj.relid IS NOT NULL AND obj.kind = 'materialized view' THEN
            EXECUTE format('DROP MATERIALIZED VIEW %I.%I', target_schema, obj.object_name);
        END IF;
        object_name := obj.object_name;
        kind := obj.kind;
        acl := CASE WHEN obj.relid IS NOT NULL THEN COALESCE(obj.relacl::text[], '{}') END;
        RETURN NEXT;
    END LOOP;
    DELETE FROM @extschema@.dashboards AS d WHERE d.target_schema = drop_registered_dashboards.target_schema;
END;
$$;
COMMENT ON FUNCTION supplymkt_internal.drop_registered_dashboards(text) IS
    'Drops the dashboard objects registered for target_schema in supplymkt.dashboards (views, then materialized views in reverse build order; indexes go with their materialized view) and deletes the registry rows. Returns each registered object with its privileges before the drop (NULL when it no longer existed). Used by create_dashboards and drop_dashboards.';

-- Forgets registry rows whose relation no longer exists (its schema or the object was dropped by hand), so
-- supplymkt.dashboards lists only what is there; a caller who may not delete from the registry leaves it.
CREATE FUNCTION supplymkt_internal.forget_missing_dashboards()
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF has_table_privilege('@extschema@.dashboards', 'DELETE') THEN
        DELETE FROM @extschema@.dashboards AS d
         WHERE NOT EXISTS (SELECT 1 FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
                            WHERE n.nspname = d.target_schema AND c.relname = d.object_name);
    END IF;
END;
$$;
COMMENT ON FUNCTION supplymkt_internal.forget_missing_dashboards() IS
    'Deletes the rows of supplymkt.dashboards whose relation no longer exists (dropped by hand, or with its schema), when the caller may delete from it; called by create_dashboards, refresh_dashboards and drop_dashboards.';

-- Registers one object create_dashboards made in supplymkt.dashboards and grants it again the privileges
-- (saved_acl: aclitem texts, or NULL) the object of the same name had before it was re-created.
CREATE FUNCTION supplymkt_internal.register_dashboard_object(target_schema text, source_schema text, object_name text,
                                                             kind text, saved_acl jsonb)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    acl record;
BEGIN
    INSERT INTO @extschema@.dashboards (target_schema, object_name, kind, source_schema)
    VALUES (target_schema, object_name, kind, source_schema);
    IF saved_acl IS NULL OR kind = 'index' THEN
        RETURN;
    END IF;
    FOR acl IN
        SELECT a.privilege_type, a.is_grantable,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee
          FROM aclexplode(ARRAY(SELECT jsonb_array_elements_text(saved_acl))::aclitem[]) AS a
          LEFT JOIN pg_roles AS r ON r.oid = a.grantee
         WHERE (a.grantee = 0 OR r.oid IS NOT NULL) AND a.grantee <> a.grantor
    LOOP
        EXECUTE format('GRANT %s ON %I.%I TO %s%s', acl.privilege_type, target_schema, object_name,
                       acl.grantee, CASE WHEN acl.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END;
$$;
COMMENT ON FUNCTION supplymkt_internal.register_dashboard_object(text, text, text, text, jsonb) IS
    'Adds one object made by create_dashboards to supplymkt.dashboards and re-grants the privileges (aclitem texts) its predecessor of the same name had; used by create_dashboards.';

-- Creates every registered dashboard in target_schema, replacing the ones registered there before.
CREATE FUNCTION @extschema@.create_dashboards(source_schema text, target_schema text, time_zone text DEFAULT NULL,
                                              segments integer DEFAULT 5)
    RETURNS TABLE (object_name text, kind text)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    tz text := COALESCE(time_zone, current_setting('TimeZone'));
    dash record;
    obj record;
    col record;
    models_query text;
    saved_acls jsonb := '{}';
    needed text[];
    clash text;
    query_call_text text;
    mv_query text;
    mv text;
    err_state text;
    err_message text;
    err_detail text;
    err_hint text;
BEGIN
    PERFORM supplymkt_internal.check_dashboard_target(target_schema);
    IF target_schema = source_schema THEN
        RAISE EXCEPTION 'the dashboards cannot go into their source schema "%"', source_schema
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name another target schema, e.g. ''dash'': it is created if missing.';
    END IF;
    SELECT array_agg(c.col ORDER BY c.ord) INTO needed
      FROM (SELECT u.col, min(g.build_order * 1000 + u.ord) AS ord
              FROM supplymkt_internal.dashboard_catalog AS g, unnest(g.source_columns) WITH ORDINALITY AS u(col, ord)
             GROUP BY u.col) AS c;
    PERFORM supplymkt_internal.check_source(source_schema, needed, 'create_dashboards');
    IF segments IS NULL THEN
        RAISE EXCEPTION 'segments must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF segments < 1 OR segments > 100 THEN
        RAISE EXCEPTION 'segments must be between 1 and 100, not %', segments
            USING ERRCODE = 'invalid_parameter_value', HINT = 'segments is the number of k-means personas (default 5).';
    END IF;
    PERFORM supplymkt_internal.check_time_zone(tz);

    -- one creator per target schema at a time
    PERFORM pg_advisory_xact_lock(hashtextextended('supplymkt.create_dashboards:' || target_schema, 0));
    PERFORM supplymkt_internal.forget_missing_dashboards();
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target_schema) THEN
        EXECUTE format('CREATE SCHEMA %I', target_schema);
    END IF;

    -- drop what we registered there before, keeping the privileges granted on the objects so BI users keep
    -- their access after a re-create
    FOR obj IN SELECT * FROM supplymkt_internal.drop_registered_dashboards(target_schema) LOOP
        IF obj.acl IS NOT NULL AND obj.acl <> '{}' THEN
            saved_acls := saved_acls || jsonb_build_object(obj.object_name, obj.acl);
        END IF;
    END LOOP;

    -- never drop or shadow a relation that is not ours
    SELECT string_agg(format('%I.%I', target_schema, o.name), ', ' ORDER BY g.build_order, o.name) INTO clash
      FROM (SELECT name, build_order FROM supplymkt_internal.dashboard_catalog
            UNION ALL SELECT 'models', NULL) AS g,
           unnest(CASE WHEN g.build_order IS NULL THEN ARRAY[g.name]
                       ELSE ARRAY[g.name || '_mv', g.name || '_mv_key', g.name] END) AS o(name)
     WHERE to_regclass(format('%I.%I', target_schema, o.name)) IS NOT NULL;
    IF clash IS NOT NULL THEN
        RAISE EXCEPTION 'relation % already exists and was not created by create_dashboards', clash
            USING ERRCODE = 'duplicate_table',
                  HINT = 'Drop or rename it, or choose another target schema.';
    END IF;

    -- each dashboard in build order: the materialized view (an error in the source data is re-raised without
    -- the long query as context), its unique index, the view, the comments; then register the three objects
    -- and restore the privileges the previous objects of the same name had
    FOR dash IN SELECT * FROM supplymkt_internal.dashboard_catalog ORDER BY build_order LOOP
        mv := dash.name || '_mv';
        query_call_text := format(dash.query_call, source_schema, target_schema, tz, segments);
        EXECUTE format('SELECT %s', query_call_text) INTO mv_query;
        BEGIN
            EXECUTE format('CREATE MATERIALIZED VIEW %I.%I AS %s', target_schema, mv, mv_query);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_message = MESSAGE_TEXT,
                                    err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT;
            err_detail := concat_ws(' ', NULLIF(err_detail, ''),
                                    format('Raised while building %I.%I from schema %I.', target_schema, mv, source_schema));
            IF COALESCE(err_hint, '') = '' THEN
                RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = err_message, DETAIL = err_detail;
            END IF;
            RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = err_message, DETAIL = err_detail, HINT = err_hint;
        END;
        EXECUTE format('CREATE UNIQUE INDEX %I ON %I.%I (%s)', mv || '_key', target_schema, mv,
                       (SELECT string_agg(quote_ident(k), ', ' ORDER BY i) FROM unnest(dash.unique_key) WITH ORDINALITY AS u(k, i)));
        EXECUTE format('CREATE VIEW %1$I.%2$I WITH (security_invoker = true) AS SELECT * FROM %1$I.%3$I',
                       target_schema, dash.name, mv);
        EXECUTE format('COMMENT ON MATERIALIZED VIEW %I.%I IS %L', target_schema, mv,
                       format(dash.mv_comment, source_schema, target_schema, tz, segments));
        EXECUTE format('COMMENT ON INDEX %I.%I IS %L', target_schema, mv || '_key',
                       concat_ws(' ', format('Unique key (%s) of %s; lets REFRESH MATERIALIZED VIEW CONCURRENTLY run.',
                                             array_to_string(dash.unique_key, ', '), mv),
                                 dash.key_note));
        EXECUTE format('COMMENT ON VIEW %I.%I IS %L', target_schema, dash.name,
                       format('%s for BI tools (security_invoker: readers need SELECT on %s too). See the comment on %s; columns are documented one by one.',
                              dash.title, mv, mv));
        FOR col IN
            SELECT c.column_name, c.description
              FROM supplymkt_internal.dashboard_columns AS c
             WHERE c.dashboard = dash.name AND supplymkt_internal.source_has_column(target_schema, mv, c.column_name)
             ORDER BY c.ordinal
        LOOP
            EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', target_schema, mv, col.column_name, col.description);
            EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', target_schema, dash.name, col.column_name, col.description);
        END LOOP;

        FOR obj IN SELECT * FROM (VALUES (mv, 'materialized view'), (mv || '_key', 'index'), (dash.name, 'view')) AS o(name, kind) LOOP
            PERFORM supplymkt_internal.register_dashboard_object(target_schema, source_schema, obj.name, obj.kind,
                                                                 saved_acls -> obj.name);
            object_name := obj.name;
            kind := obj.kind;
            RETURN NEXT;
        END LOOP;
    END LOOP;

    -- the models the dashboards fitted, in one view: the one row of each model dashboard, in build order
    SELECT string_agg(format('SELECT name, model_type, fitted_at, model::text AS model, note FROM %I.%I',
                             target_schema, g.name || '_mv'), ' UNION ALL ' ORDER BY g.build_order)
      INTO models_query
      FROM supplymkt_internal.dashboard_catalog AS g
     WHERE g.lists_models;
    IF models_query IS NOT NULL THEN
        EXECUTE format('CREATE VIEW %I.models WITH (security_invoker = true) AS %s', target_schema, models_query);
        EXECUTE format('COMMENT ON VIEW %I.models IS %L', target_schema,
                       format('The models the dashboards of schema %s fitted (one row each, refreshed with them by supplymkt.refresh_dashboards(%L)), to reuse without refitting: cast model to model_type, e.g. SELECT * FROM supplymkt.recommend((SELECT model::supplymkt.item_neighbors FROM %I.models WHERE name = ''item_neighbors''), ARRAY[1, 2]). security_invoker: readers need SELECT on the model materialized views too.',
                              target_schema, target_schema, target_schema));
        FOR col IN SELECT * FROM (VALUES
            ('name', 'Model name: clv, item_neighbors, assoc_rules, ...'),
            ('model_type', 'SQL type of the model, e.g. supplymkt.clv_model: cast model to it.'),
            ('fitted_at', 'When the model was fitted: the create or refresh that built it.'),
            ('model', 'The model value in its text form (JSON).'),
            ('note', 'How the model was fitted (inputs, options) and, where the dashboards chose it, why.')) AS c(name, description)
        LOOP
            EXECUTE format('COMMENT ON COLUMN %I.models.%I IS %L', target_schema, col.name, col.description);
        END LOOP;
        PERFORM supplymkt_internal.register_dashboard_object(target_schema, source_schema, 'models', 'view',
                                                             saved_acls -> 'models');
        object_name := 'models';
        kind := 'view';
        RETURN NEXT;
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.create_dashboards(text, text, text, integer) IS
    'Creates every dashboard of supplymkt_internal.dashboard_catalog in target_schema (created if missing) from the canonical relations in source_schema, in build order: for a dashboard <name>, the materialized view <name>_mv, its unique index <name>_mv_key and the security_invoker view <name> for BI tools, each commented, columns one by one. Today: supply_dashboard (per category and overall, per month), product_abc_xyz (per product), clv_model (the CLV model, chosen by holdout error), customer_dashboard (per customer: RFM summary, scores, segment, p_alive, expected purchases and CLV over 12 months), customer_segments (per RFM segment), retention (monthly cohorts), persona_model (the k-means model), customer_personas (per customer: k-means persona among at most segments clusters), persona_segments (per persona), recommend_models (the item_neighbors and assoc_rules models), item_neighbors (per product: its 20 most similar products) and user_recommendations (per customer: the top 10 of recommend()); then the view models listing every fitted model. The target must not be the source schema. time_zone (default: the session''s TimeZone) fixes how timestamps fall into days, weeks and months, whoever refreshes later. Calling it again replaces the objects it registered in supplymkt.dashboards and re-grants their privileges; it never drops a relation it did not create (42P07). Errors: 22004 NULL schema or segments, 3F000 unknown source schema, 42P01/42703 missing canonical relation/column, 22023 unusable target schema or time zone, or segments outside 1..100. Returns the objects created. Runs with jit = off (compiling the wide dashboard query would cost seconds).';

-- Refreshes every registered dashboard materialized view of target_schema, in build order.
CREATE FUNCTION @extschema@.refresh_dashboards(target_schema text, concurrently boolean DEFAULT true)
    RETURNS TABLE (object_name text, refreshed_concurrently boolean, row_count bigint, duration interval)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    obj record;
    started timestamptz;
    found_any boolean := false;
BEGIN
    IF target_schema IS NULL OR refresh_dashboards.concurrently IS NULL THEN
        RAISE EXCEPTION 'target_schema and concurrently must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOR obj IN
        SELECT d.object_name
          FROM @extschema@.dashboards AS d
         WHERE d.target_schema = refresh_dashboards.target_schema AND d.kind = 'materialized view'
           AND to_regclass(format('%I.%I', d.target_schema, d.object_name)) IS NULL
    LOOP
        RAISE WARNING 'dashboard materialized view %.% no longer exists; skipped and forgotten', target_schema, obj.object_name
            USING HINT = format('Run supplymkt.create_dashboards(source_schema, %L) to re-create the dashboards.', target_schema);
    END LOOP;
    PERFORM supplymkt_internal.forget_missing_dashboards();
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target_schema) THEN
        RAISE EXCEPTION 'schema "%" does not exist', target_schema USING ERRCODE = 'invalid_schema_name';
    END IF;
    FOR obj IN
        SELECT d.object_name, c.oid AS relid, c.relkind, c.relispopulated,
               EXISTS (SELECT 1 FROM pg_index AS i
                        WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL
                          AND NOT (0 = ANY (i.indkey::int2[]))) AS has_unique_index
          FROM @extschema@.dashboards AS d
          JOIN pg_namespace AS n ON n.nspname = d.target_schema
          LEFT JOIN supplymkt_internal.dashboard_catalog AS g ON d.object_name = g.name || '_mv'
          LEFT JOIN pg_class AS c ON c.relnamespace = n.oid AND c.relname = d.object_name
         WHERE d.target_schema = refresh_dashboards.target_schema AND d.kind = 'materialized view'
         ORDER BY g.build_order NULLS LAST, d.object_name  -- a dashboard after the ones it reads
    LOOP
        found_any := true;
        IF obj.relid IS NULL OR obj.relkind <> 'm' THEN
            RAISE WARNING 'dashboard materialized view %.% no longer exists; skipped', target_schema, obj.object_name
                USING HINT = format('Run supplymkt.create_dashboards(source_schema, %L) to re-create the dashboards.', target_schema);
            CONTINUE;
        END IF;
        started := clock_timestamp();
        refreshed_concurrently := refresh_dashboards.concurrently AND obj.relispopulated AND obj.has_unique_index;
        IF refreshed_concurrently THEN
            EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY %I.%I', target_schema, obj.object_name);
        ELSE
            EXECUTE format('REFRESH MATERIALIZED VIEW %I.%I', target_schema, obj.object_name);
        END IF;
        EXECUTE format('SELECT count(*) FROM %I.%I', target_schema, obj.object_name) INTO row_count;
        object_name := obj.object_name;
        duration := clock_timestamp() - started;
        RETURN NEXT;
    END LOOP;
    IF NOT found_any THEN
        RAISE EXCEPTION 'no dashboards are registered in schema "%"', target_schema
            USING ERRCODE = 'undefined_table',
                  HINT = format('Create them with supplymkt.create_dashboards(source_schema, %L).', target_schema);
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.refresh_dashboards(text, boolean) IS
    'Refreshes every dashboard materialized view registered for target_schema in supplymkt.dashboards, in the build order of supplymkt_internal.dashboard_catalog (a dashboard after the ones it reads), CONCURRENTLY (readers are not blocked) when asked and the view is populated and has its unique index, otherwise with a plain REFRESH. Returns one row per view: name, whether it ran concurrently, rows after the refresh and time taken. Registered views that were dropped are skipped with a warning and forgotten (their rows leave supplymkt.dashboards). Errors: 22004 NULL argument, 3F000 unknown schema, 42P01 no dashboards registered there. Must be run by the views'' owner. Runs with jit = off (compiling the wide dashboard query would cost seconds); a plain REFRESH MATERIALIZED VIEW works too.';

-- Drops the dashboards create_dashboards made in target_schema (and nothing else).
CREATE FUNCTION @extschema@.drop_dashboards(target_schema text)
    RETURNS TABLE (object_name text, kind text)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    dropped boolean := false;
BEGIN
    IF target_schema IS NULL THEN
        RAISE EXCEPTION 'target_schema must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('supplymkt.create_dashboards:' || target_schema, 0));
    FOR object_name, kind IN
        SELECT d.object_name, d.kind FROM supplymkt_internal.drop_registered_dashboards(target_schema) AS d
    LOOP
        dropped := true;
        RETURN NEXT;
    END LOOP;
    IF NOT dropped THEN
        RAISE EXCEPTION 'no dashboards are registered in schema "%"', target_schema
            USING ERRCODE = 'undefined_table',
                  HINT = 'supplymkt.dashboards lists the schemas that have dashboards.';
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.drop_dashboards(text) IS
    'Drops the dashboard objects create_dashboards registered for target_schema in supplymkt.dashboards (views, materialized views and their indexes; a view of your own that reads one of them makes the drop fail, 2BP01) and their registry rows; other relations and the schema itself stay. Returns the objects that were registered. A pg_cron job of schedule_refresh for the schema is not removed: call unschedule_refresh(target_schema). Errors: 22004 NULL, 42P01 no dashboards registered there.';

-- Deterministic pg_cron job name of a schema's refresh in a database.
CREATE FUNCTION @extschema@.refresh_job_name(target_schema text, database_name text DEFAULT pg_catalog.current_database())
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN octet_length(n) <= 63 THEN n ELSE 'supplymkt_refresh:md5:' || md5(format('%I:%I', database_name, target_schema)) END
      FROM (SELECT format('supplymkt_refresh:%I:%I', database_name, target_schema) AS n) AS s
$$;
COMMENT ON FUNCTION @extschema@.refresh_job_name(text, text) IS
    'pg_cron job name used by schedule_refresh: supplymkt_refresh:<database>:<schema> (names quoted like identifiers when needed), or supplymkt_refresh:md5:<hash> when that exceeds the 63 bytes of cron.job.jobname.';

-- Raises a helpful error unless the pg_cron extension is installed in the current database.
CREATE FUNCTION supplymkt_internal.require_pg_cron(call_text text)
    RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cron_database text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RETURN;
    END IF;
    -- pg_settings lists cron.database_name only when the pg_cron library is loaded (not for placeholders)
    SELECT s.setting INTO cron_database FROM pg_settings AS s WHERE s.name = 'cron.database_name';
    IF cron_database IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'supplymkt schedules dashboard refreshes with the pg_cron extension, which this server does not load.',
                  HINT = format('Install pg_cron (Debian: postgresql-15-cron), add pg_cron to shared_preload_libraries and set cron.database_name = %L in postgresql.conf, restart the server, run CREATE EXTENSION pg_cron in that database and call this function there.',
                                current_database());
    ELSIF cron_database <> current_database() THEN
        RAISE EXCEPTION 'pg_cron is installed in database "%", not in "%"', cron_database, current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'pg_cron jobs are managed from the database named by cron.database_name; the job itself can run in any database.',
                  HINT = format('Connect to database %I (CREATE EXTENSION supplymkt there if needed) and run: %s', cron_database, call_text);
    ELSE
        RAISE EXCEPTION 'pg_cron is loaded but its extension is not created in database "%"', cron_database
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Run CREATE EXTENSION pg_cron in this database (and CREATE EXTENSION supplymkt), then call this function again.';
    END IF;
END;
$$;
COMMENT ON FUNCTION supplymkt_internal.require_pg_cron(text) IS
    'Raises 55000 unless the pg_cron extension exists in the current database: explains how to install pg_cron, or names the database pg_cron lives in and shows call_text, the call to make there.';

-- Schedules refresh_dashboards(target_schema) in database_name with pg_cron; one job per (database, schema).
CREATE FUNCTION @extschema@.schedule_refresh(target_schema text, cron_expression text,
                                             database_name text DEFAULT pg_catalog.current_database())
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job_name text;
    command text;
    job_id bigint;
BEGIN
    IF target_schema IS NULL OR cron_expression IS NULL OR database_name IS NULL THEN
        RAISE EXCEPTION 'target_schema, cron_expression and database_name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF btrim(cron_expression) = '' THEN
        RAISE EXCEPTION 'cron_expression must not be empty'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use a cron schedule such as ''*/15 * * * *'' (every 15 minutes) or ''0 3 * * *'' (daily at 03:00 GMT).';
    END IF;
    PERFORM supplymkt_internal.check_dashboard_target(target_schema);
    IF NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = database_name) THEN
        RAISE EXCEPTION 'database "%" does not exist', database_name USING ERRCODE = 'invalid_catalog_name';
    END IF;
    PERFORM supplymkt_internal.require_pg_cron(format('SELECT @extschema@.schedule_refresh(%L, %L, database_name => %L);',
                                               target_schema, cron_expression, database_name));
    -- dashboards in this database can be checked now; in another database the job reports it when it runs
    IF database_name = current_database() THEN
        IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target_schema) THEN
            RAISE EXCEPTION 'schema "%" does not exist', target_schema USING ERRCODE = 'invalid_schema_name';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM @extschema@.dashboards AS d
                        WHERE d.target_schema = schedule_refresh.target_schema AND d.kind = 'materialized view') THEN
            RAISE EXCEPTION 'no dashboards are registered in schema "%"', target_schema
                USING ERRCODE = 'undefined_table',
                      HINT = format('Create them with supplymkt.create_dashboards(source_schema, %L) first.', target_schema);
        END IF;
    END IF;
    job_name := @extschema@.refresh_job_name(target_schema, database_name);
    command := format('SELECT @extschema@.refresh_dashboards(%L)', target_schema);
    -- pg_cron upserts on (jobname, username): calling again updates the schedule and keeps the job id
    IF database_name = current_database() THEN
        EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, cron_expression, command;
    ELSE
        EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)' INTO job_id
            USING job_name, cron_expression, command, database_name;
    END IF;
    RETURN job_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.schedule_refresh(text, text, text) IS
    'Schedules SELECT supplymkt.refresh_dashboards(target_schema) with pg_cron on cron_expression (validated by pg_cron), to run in database_name as the current user; returns the job id. Call it in pg_cron''s database (cron.database_name); database_name may name another database (cron.schedule_in_database, which needs the EXECUTE privilege pg_cron reserves to superusers by default). The job is named refresh_job_name(target_schema, database_name); calling again updates it, so there is one job per (database, schema). Errors: 22004 NULL argument, 22023 empty cron expression or unusable schema, 3D000 unknown database, 55000 pg_cron not available here (the message says how to install it or where to call), and in the current database 3F000/42P01 when the schema or its dashboards are missing.';

-- Removes the pg_cron job of schedule_refresh(target_schema, ..., database_name); true when one was removed.
CREATE FUNCTION @extschema@.unschedule_refresh(target_schema text, database_name text DEFAULT pg_catalog.current_database())
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job_name text;
    job_exists boolean;
    removed boolean;
BEGIN
    IF target_schema IS NULL OR database_name IS NULL THEN
        RAISE EXCEPTION 'target_schema and database_name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM supplymkt_internal.require_pg_cron(format('SELECT @extschema@.unschedule_refresh(%L, database_name => %L);',
                                               target_schema, database_name));
    job_name := @extschema@.refresh_job_name(target_schema, database_name);
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM cron.job WHERE jobname = $1 AND username = current_user)'
        INTO job_exists USING job_name;
    IF NOT job_exists THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT cron.unschedule($1::name)' INTO removed USING job_name;
    RETURN removed;
END;
$$;
COMMENT ON FUNCTION @extschema@.unschedule_refresh(text, text) IS
    'Removes the current user''s pg_cron job created by schedule_refresh(target_schema, ..., database_name). Returns true when a job was removed, false when there was none. Raises 22004 for NULL arguments and 55000 when pg_cron is not available in this database.';
