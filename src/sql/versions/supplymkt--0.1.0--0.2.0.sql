-- supplymkt upgrade 0.1.0 -> 0.2.0.  Tested by test/upgrade.sh: a database upgraded from 0.1.0 has the same
-- objects as a fresh 0.2.0 install (pg_dump of both compared), and values stored by 0.1.0 read back unchanged.
\echo Use "ALTER EXTENSION supplymkt UPDATE TO '0.2.0'" to load this file. \quit

-- Plumbing moves to its own schema, so \df supplymkt.* lists what an analyst calls.
CREATE SCHEMA supplymkt_internal;
GRANT USAGE ON SCHEMA supplymkt_internal TO PUBLIC;
ALTER FUNCTION @extschema@.check_source(source_schema text, columns text[], reader text) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.turnover_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.turnover_state_out(@extschema@.turnover_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.turnover_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.turnover_state_send(@extschema@.turnover_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.stockout_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.stockout_state_out(@extschema@.stockout_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.stockout_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.stockout_state_send(@extschema@.stockout_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.fill_rate_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.fill_rate_state_out(@extschema@.fill_rate_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.fill_rate_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.fill_rate_state_send(@extschema@.fill_rate_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.sell_through_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.sell_through_state_out(@extschema@.sell_through_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.sell_through_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.sell_through_state_send(@extschema@.sell_through_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.renewal_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.renewal_state_out(@extschema@.renewal_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.renewal_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.renewal_state_send(@extschema@.renewal_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.variability_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.variability_state_out(@extschema@.variability_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.variability_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.variability_state_send(@extschema@.variability_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.diversity_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.diversity_state_out(@extschema@.diversity_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.diversity_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.diversity_state_send(@extschema@.diversity_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.inventory_turnover_transfn(@extschema@.turnover_state, double precision, double precision) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.turnover_state_combine(@extschema@.turnover_state, @extschema@.turnover_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.inventory_turnover_final(@extschema@.turnover_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.stockout_rate_transfn(@extschema@.stockout_state, double precision) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.stockout_state_combine(@extschema@.stockout_state, @extschema@.stockout_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.stockout_rate_final(@extschema@.stockout_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.fill_rate_transfn(@extschema@.fill_rate_state, double precision, double precision) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.fill_rate_state_combine(@extschema@.fill_rate_state, @extschema@.fill_rate_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.fill_rate_final(@extschema@.fill_rate_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.sell_through_rate_transfn(@extschema@.sell_through_state, double precision, double precision) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.sell_through_state_combine(@extschema@.sell_through_state, @extschema@.sell_through_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.sell_through_rate_final(@extschema@.sell_through_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.renewal_rate_transfn(@extschema@.renewal_state, date, date, date) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.renewal_state_combine(@extschema@.renewal_state, @extschema@.renewal_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.renewal_rate_final(@extschema@.renewal_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.demand_cv_transfn(@extschema@.variability_state, double precision) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.variability_state_combine(@extschema@.variability_state, @extschema@.variability_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.demand_cv_final(@extschema@.variability_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assortment_diversity_transfn(@extschema@.diversity_state, text) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.diversity_state_combine(@extschema@.diversity_state, @extschema@.diversity_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assortment_diversity_final(@extschema@.diversity_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.score_weights_upsert() SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_summary_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_summary_state_out(@extschema@.rfm_summary_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_summary_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_summary_state_send(@extschema@.rfm_summary_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_breaks_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_breaks_state_out(@extschema@.rfm_breaks_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_breaks_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_breaks_state_send(@extschema@.rfm_breaks_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.time_decay_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.time_decay_state_out(@extschema@.time_decay_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.time_decay_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.time_decay_state_send(@extschema@.time_decay_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_summary_transfn(@extschema@.rfm_summary_state, timestamptz, double precision, timestamptz) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_summary_state_combine(@extschema@.rfm_summary_state, @extschema@.rfm_summary_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_summary_final(@extschema@.rfm_summary_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_breaks_in(cstring) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_breaks_out(@extschema@.rfm_breaks) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_breaks_recv(internal) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_breaks_send(@extschema@.rfm_breaks) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_breaks_to_json(@extschema@.rfm_breaks) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_breaks_transfn(@extschema@.rfm_breaks_state, double precision, double precision, double precision) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_breaks_transfn(@extschema@.rfm_breaks_state, double precision, double precision, double precision, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_breaks_state_combine(@extschema@.rfm_breaks_state, @extschema@.rfm_breaks_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_breaks_final(@extschema@.rfm_breaks_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.rfm_segments_upsert() SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_time_decay_transfn(@extschema@.time_decay_state, double precision, timestamptz, timestamptz, double precision) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.time_decay_state_combine(@extschema@.time_decay_state, @extschema@.time_decay_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_time_decay_final(@extschema@.time_decay_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.retention_query(source_schema text, months integer, time_zone text) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_fit_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_fit_state_out(@extschema@.clv_fit_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_fit_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_fit_state_send(@extschema@.clv_fit_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_model_in(cstring) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_model_out(@extschema@.clv_model) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_model_recv(internal) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_model_send(@extschema@.clv_model) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision, text) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision, text, text) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_fit_state_combine(@extschema@.clv_fit_state, @extschema@.clv_fit_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.clv_fit_final(@extschema@.clv_fit_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_fit_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_fit_state_out(@extschema@.kmeans_fit_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_fit_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_fit_state_send(@extschema@.kmeans_fit_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_refine_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_refine_state_out(@extschema@.kmeans_refine_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_refine_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_refine_state_send(@extschema@.kmeans_refine_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_model_in(cstring) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_model_out(@extschema@.kmeans_model) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_model_recv(internal) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_model_send(@extschema@.kmeans_model) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer, double precision) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer, double precision, boolean) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_fit_state_combine(@extschema@.kmeans_fit_state, @extschema@.kmeans_fit_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_fit_final(@extschema@.kmeans_fit_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_elbow_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_elbow_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_elbow_final(@extschema@.kmeans_fit_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_refine_transfn(@extschema@.kmeans_refine_state, @extschema@.kmeans_model, double precision[]) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_refine_state_combine(@extschema@.kmeans_refine_state, @extschema@.kmeans_refine_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.kmeans_refine_final(@extschema@.kmeans_refine_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_similarity_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_similarity_state_out(@extschema@.item_similarity_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_similarity_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_similarity_state_send(@extschema@.item_similarity_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_neighbors_in(cstring) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_neighbors_out(@extschema@.item_neighbors) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_neighbors_recv(internal) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_neighbors_send(@extschema@.item_neighbors) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer, text) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer, text, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_similarity_state_combine(@extschema@.item_similarity_state, @extschema@.item_similarity_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_similarity_final(@extschema@.item_similarity_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_content_similarity_transfn(@extschema@.item_similarity_state, bigint, double precision[]) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_content_similarity_transfn(@extschema@.item_similarity_state, bigint, double precision[], integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_content_similarity_final(@extschema@.item_similarity_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assoc_rules_state_in(cstring, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assoc_rules_state_out(@extschema@.assoc_rules_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assoc_rules_state_recv(internal, oid, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assoc_rules_state_send(@extschema@.assoc_rules_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assoc_rules_model_in(cstring) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assoc_rules_model_out(@extschema@.assoc_rules_model) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assoc_rules_model_recv(internal) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assoc_rules_model_send(@extschema@.assoc_rules_model) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assoc_rules_transfn(@extschema@.assoc_rules_state, bigint, bigint, double precision, double precision) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assoc_rules_transfn(@extschema@.assoc_rules_state, bigint, bigint, double precision, double precision, integer) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assoc_rules_state_combine(@extschema@.assoc_rules_state, @extschema@.assoc_rules_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.assoc_rules_final(@extschema@.assoc_rules_state) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.check_dashboard_target(target_schema text) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.supply_dashboard_query(source_schema text, time_zone text) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.product_abc_xyz_query(source_schema text, time_zone text) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.customer_dashboard_query(source_schema text, time_zone text, with_clv boolean) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.customer_segments_query(target_schema text, with_clv boolean) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.customer_personas_query(source_schema text, target_schema text, segments integer, with_clv boolean, with_channel boolean) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.persona_segments_query(target_schema text, with_clv boolean) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.item_neighbors_query(source_schema text) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.user_recommendations_query(source_schema text) SET SCHEMA supplymkt_internal;
ALTER FUNCTION @extschema@.require_pg_cron(call_text text) SET SCHEMA supplymkt_internal;

-- State types: each has its own C I/O and combine entry points (the kind is fixed by the function, not looked up
-- by type name); functions whose SQL bodies name moved functions are redefined; new and changed comments.
-- CREATE OR REPLACE is the only way to re-point a type's I/O function, which the type depends on.
COMMENT ON SCHEMA supplymkt_internal IS 'supplymkt plumbing: transition, combine and final functions, type I/O and query builders. Not an API: names and signatures may change between versions; call the functions in schema supplymkt.';

CREATE OR REPLACE FUNCTION supplymkt_internal.check_source(source_schema text, columns text[], reader text)
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

CREATE OR REPLACE FUNCTION supplymkt_internal.turnover_state_in(cstring, oid, integer) RETURNS @extschema@.turnover_state
    AS 'MODULE_PATHNAME', 'turnover_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.turnover_state_out(@extschema@.turnover_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'turnover_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.turnover_state_recv(internal, oid, integer) RETURNS @extschema@.turnover_state
    AS 'MODULE_PATHNAME', 'turnover_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.turnover_state_send(@extschema@.turnover_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'turnover_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.stockout_state_in(cstring, oid, integer) RETURNS @extschema@.stockout_state
    AS 'MODULE_PATHNAME', 'stockout_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.stockout_state_out(@extschema@.stockout_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'stockout_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.stockout_state_recv(internal, oid, integer) RETURNS @extschema@.stockout_state
    AS 'MODULE_PATHNAME', 'stockout_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.stockout_state_send(@extschema@.stockout_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'stockout_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.fill_rate_state_in(cstring, oid, integer) RETURNS @extschema@.fill_rate_state
    AS 'MODULE_PATHNAME', 'fill_rate_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.fill_rate_state_out(@extschema@.fill_rate_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'fill_rate_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.fill_rate_state_recv(internal, oid, integer) RETURNS @extschema@.fill_rate_state
    AS 'MODULE_PATHNAME', 'fill_rate_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.fill_rate_state_send(@extschema@.fill_rate_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'fill_rate_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.sell_through_state_in(cstring, oid, integer) RETURNS @extschema@.sell_through_state
    AS 'MODULE_PATHNAME', 'sell_through_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.sell_through_state_out(@extschema@.sell_through_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'sell_through_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.sell_through_state_recv(internal, oid, integer) RETURNS @extschema@.sell_through_state
    AS 'MODULE_PATHNAME', 'sell_through_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.sell_through_state_send(@extschema@.sell_through_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'sell_through_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.renewal_state_in(cstring, oid, integer) RETURNS @extschema@.renewal_state
    AS 'MODULE_PATHNAME', 'renewal_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.renewal_state_out(@extschema@.renewal_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'renewal_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.renewal_state_recv(internal, oid, integer) RETURNS @extschema@.renewal_state
    AS 'MODULE_PATHNAME', 'renewal_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.renewal_state_send(@extschema@.renewal_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'renewal_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.variability_state_in(cstring, oid, integer) RETURNS @extschema@.variability_state
    AS 'MODULE_PATHNAME', 'variability_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.variability_state_out(@extschema@.variability_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'variability_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.variability_state_recv(internal, oid, integer) RETURNS @extschema@.variability_state
    AS 'MODULE_PATHNAME', 'variability_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.variability_state_send(@extschema@.variability_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'variability_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.diversity_state_in(cstring, oid, integer) RETURNS @extschema@.diversity_state
    AS 'MODULE_PATHNAME', 'diversity_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.diversity_state_out(@extschema@.diversity_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'diversity_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.diversity_state_recv(internal, oid, integer) RETURNS @extschema@.diversity_state
    AS 'MODULE_PATHNAME', 'diversity_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.diversity_state_send(@extschema@.diversity_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'diversity_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.score_weights_upsert() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.score_weights
       SET weight = NEW.weight, lower_bound = NEW.lower_bound, upper_bound = NEW.upper_bound,
           higher_is_better = NEW.higher_is_better, description = NEW.description
     WHERE indicator = NEW.indicator;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION supplymkt_internal.rfm_summary_state_in(cstring, oid, integer) RETURNS @extschema@.rfm_summary_state
    AS 'MODULE_PATHNAME', 'rfm_summary_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.rfm_summary_state_out(@extschema@.rfm_summary_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'rfm_summary_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.rfm_summary_state_recv(internal, oid, integer) RETURNS @extschema@.rfm_summary_state
    AS 'MODULE_PATHNAME', 'rfm_summary_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.rfm_summary_state_send(@extschema@.rfm_summary_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'rfm_summary_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.rfm_breaks_state_in(cstring, oid, integer) RETURNS @extschema@.rfm_breaks_state
    AS 'MODULE_PATHNAME', 'rfm_breaks_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.rfm_breaks_state_out(@extschema@.rfm_breaks_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'rfm_breaks_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.rfm_breaks_state_recv(internal, oid, integer) RETURNS @extschema@.rfm_breaks_state
    AS 'MODULE_PATHNAME', 'rfm_breaks_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.rfm_breaks_state_send(@extschema@.rfm_breaks_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'rfm_breaks_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.time_decay_state_in(cstring, oid, integer) RETURNS @extschema@.time_decay_state
    AS 'MODULE_PATHNAME', 'time_decay_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.time_decay_state_out(@extschema@.time_decay_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'time_decay_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.time_decay_state_recv(internal, oid, integer) RETURNS @extschema@.time_decay_state
    AS 'MODULE_PATHNAME', 'time_decay_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.time_decay_state_send(@extschema@.time_decay_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'time_decay_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.rfm_summary_state_combine(@extschema@.rfm_summary_state, @extschema@.rfm_summary_state)
    RETURNS @extschema@.rfm_summary_state AS 'MODULE_PATHNAME', 'rfm_summary_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.rfm_breaks_to_json(@extschema@.rfm_breaks) RETURNS json
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT $1::text::json $$;

CREATE OR REPLACE FUNCTION supplymkt_internal.rfm_breaks_state_combine(@extschema@.rfm_breaks_state, @extschema@.rfm_breaks_state)
    RETURNS @extschema@.rfm_breaks_state AS 'MODULE_PATHNAME', 'rfm_breaks_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.rfm_segments_upsert() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.rfm_segments
       SET priority = NEW.priority, r_min = NEW.r_min, r_max = NEW.r_max, fm_min = NEW.fm_min,
           fm_max = NEW.fm_max, description = NEW.description
     WHERE segment = NEW.segment;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION supplymkt_internal.retention_query(source_schema text, months integer, time_zone text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
months AS (
    SELECT DISTINCT o.customer_id, date_trunc('month', o.order_time::timestamptz AT TIME ZONE %2$L)::date AS month
      FROM %1$I.orders AS o
     WHERE o.customer_id IS NOT NULL AND o.order_time IS NOT NULL AND isfinite(o.order_time::timestamptz)
),
cohorts AS (
    SELECT customer_id, min(month) AS cohort_month FROM months GROUP BY customer_id
),
sizes AS (
    SELECT cohort_month, count(*) AS cohort_customers FROM cohorts GROUP BY cohort_month
),
activity AS (
    SELECT c.cohort_month,
           (extract(year FROM age(m.month, c.cohort_month)) * 12 + extract(month FROM age(m.month, c.cohort_month)))::int AS month_offset,
           count(*) AS active_customers
      FROM months AS m JOIN cohorts AS c ON c.customer_id = m.customer_id
     GROUP BY 1, 2
),
grid AS (
    SELECT s.cohort_month, k.month_offset, s.cohort_customers
      FROM sizes AS s
     CROSS JOIN (SELECT max(month) AS last_month FROM months) AS l
     CROSS JOIN LATERAL generate_series(0, least(%3$s, (extract(year FROM age(l.last_month, s.cohort_month)) * 12
                                                        + extract(month FROM age(l.last_month, s.cohort_month)))::int)) AS k(month_offset)
)
SELECT g.cohort_month, g.month_offset, g.cohort_customers,
       COALESCE(a.active_customers, 0) AS active_customers,
       COALESCE(a.active_customers, 0)::float8 / g.cohort_customers AS retention_rate,
       COALESCE(a.active_customers, 0)::float8
         / NULLIF(lag(COALESCE(a.active_customers, 0)) OVER (PARTITION BY g.cohort_month ORDER BY g.month_offset), 0) AS mom_retention
  FROM grid AS g
  LEFT JOIN activity AS a ON a.cohort_month = g.cohort_month AND a.month_offset = g.month_offset
$q$, source_schema, time_zone, months)
$body$;

CREATE OR REPLACE FUNCTION @extschema@.retention_cohorts(source_schema text, months integer DEFAULT 12, time_zone text DEFAULT NULL)
    RETURNS TABLE (cohort_month date, month_offset integer, cohort_customers bigint, active_customers bigint,
                   retention_rate double precision, mom_retention double precision)
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tz text := COALESCE(time_zone, current_setting('TimeZone'));
    rel regclass;
    missing text;
BEGIN
    IF source_schema IS NULL OR months IS NULL THEN
        RAISE EXCEPTION 'source_schema and months must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF months < 0 OR months > 1200 THEN
        RAISE EXCEPTION 'months must be between 0 and 1200, got %', months USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = source_schema) THEN
        RAISE EXCEPTION 'source schema "%" does not exist', source_schema USING ERRCODE = 'invalid_schema_name';
    END IF;
    SELECT c.oid INTO rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = source_schema AND c.relname = 'orders' AND c.relkind IN ('r', 'p', 'v', 'm', 'f');
    IF rel IS NULL THEN
        RAISE EXCEPTION 'source relation %.orders does not exist', quote_ident(source_schema)
            USING ERRCODE = 'undefined_table',
                  HINT = 'Cohort retention reads the canonical relation orders (customer_id, order_time): provide a table or view with that name, or generate one with supplymkt.generate_demo_data.';
    END IF;
    SELECT string_agg(quote_ident(col), ', ') INTO missing
      FROM unnest(ARRAY['customer_id', 'order_time']) AS col
     WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = rel AND a.attname = col
                                                      AND a.attnum > 0 AND NOT a.attisdropped);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'source relation %.orders lacks column %', quote_ident(source_schema), missing
            USING ERRCODE = 'undefined_column';
    END IF;
    PERFORM supplymkt_internal.check_time_zone(tz);
    RETURN QUERY EXECUTE supplymkt_internal.retention_query(source_schema, months, tz) || ' ORDER BY 1, 2';
END;
$$;
COMMENT ON FUNCTION @extschema@.retention_cohorts(text, integer, text) IS
    'Monthly cohort retention from source_schema.orders (customer_id, order_time): a customer''s cohort is the month of their first order; for each cohort and month_offset 0..months (0 = the cohort month) it gives cohort_customers, active_customers (cohort customers with an order in that month), retention_rate = active / cohort size (1 at offset 0) and mom_retention = active(k) / active(k - 1) (a ratio of counts, can exceed 1; NULL at offset 0 or after a month without activity). Offsets after the last month with any order are not reported (not observed yet); months without activity are reported with 0. Months are calendar months in time_zone (default: the session''s TimeZone). Orders with a NULL customer, a NULL or infinite time are left out. Errors: 22004 NULL schema or months, 22023 months outside 0..1200 or unknown time zone, 3F000 unknown schema, 42P01 no orders relation, 42703 missing column.';

CREATE OR REPLACE FUNCTION supplymkt_internal.clv_fit_state_in(cstring, oid, integer) RETURNS @extschema@.clv_fit_state
    AS 'MODULE_PATHNAME', 'clv_fit_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.clv_fit_state_out(@extschema@.clv_fit_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'clv_fit_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.clv_fit_state_recv(internal, oid, integer) RETURNS @extschema@.clv_fit_state
    AS 'MODULE_PATHNAME', 'clv_fit_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.clv_fit_state_send(@extschema@.clv_fit_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'clv_fit_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.clv_fit_state_combine(@extschema@.clv_fit_state, @extschema@.clv_fit_state)
    RETURNS @extschema@.clv_fit_state AS 'MODULE_PATHNAME', 'clv_fit_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.kmeans_fit_state_in(cstring, oid, integer) RETURNS @extschema@.kmeans_fit_state
    AS 'MODULE_PATHNAME', 'kmeans_fit_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.kmeans_fit_state_out(@extschema@.kmeans_fit_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'kmeans_fit_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.kmeans_fit_state_recv(internal, oid, integer) RETURNS @extschema@.kmeans_fit_state
    AS 'MODULE_PATHNAME', 'kmeans_fit_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.kmeans_fit_state_send(@extschema@.kmeans_fit_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'kmeans_fit_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.kmeans_refine_state_in(cstring, oid, integer) RETURNS @extschema@.kmeans_refine_state
    AS 'MODULE_PATHNAME', 'kmeans_refine_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.kmeans_refine_state_out(@extschema@.kmeans_refine_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'kmeans_refine_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.kmeans_refine_state_recv(internal, oid, integer) RETURNS @extschema@.kmeans_refine_state
    AS 'MODULE_PATHNAME', 'kmeans_refine_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.kmeans_refine_state_send(@extschema@.kmeans_refine_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'kmeans_refine_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.kmeans_fit_state_combine(@extschema@.kmeans_fit_state, @extschema@.kmeans_fit_state)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.item_similarity_state_in(cstring, oid, integer) RETURNS @extschema@.item_similarity_state
    AS 'MODULE_PATHNAME', 'item_similarity_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.item_similarity_state_out(@extschema@.item_similarity_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'item_similarity_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.item_similarity_state_recv(internal, oid, integer) RETURNS @extschema@.item_similarity_state
    AS 'MODULE_PATHNAME', 'item_similarity_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.item_similarity_state_send(@extschema@.item_similarity_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'item_similarity_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.item_similarity_state_combine(@extschema@.item_similarity_state, @extschema@.item_similarity_state)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.assoc_rules_state_in(cstring, oid, integer) RETURNS @extschema@.assoc_rules_state
    AS 'MODULE_PATHNAME', 'assoc_rules_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.assoc_rules_state_out(@extschema@.assoc_rules_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'assoc_rules_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.assoc_rules_state_recv(internal, oid, integer) RETURNS @extschema@.assoc_rules_state
    AS 'MODULE_PATHNAME', 'assoc_rules_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.assoc_rules_state_send(@extschema@.assoc_rules_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'assoc_rules_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION supplymkt_internal.assoc_rules_state_combine(@extschema@.assoc_rules_state, @extschema@.assoc_rules_state)
    RETURNS @extschema@.assoc_rules_state AS 'MODULE_PATHNAME', 'assoc_rules_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.evaluate_recommenders(source_schema text, cutoff timestamptz, k integer DEFAULT 10,
                                                  top_k integer DEFAULT 20,
                                                  hybrid_weight double precision DEFAULT 0.9)
    RETURNS TABLE (recommender text, users bigint, precision_at_k double precision, recall_at_k double precision,
                   ndcg_at_k double precision, hit_rate double precision, coverage double precision)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    SET jit = off
AS $$
BEGIN
    IF cutoff IS NULL OR k IS NULL OR top_k IS NULL OR hybrid_weight IS NULL THEN
        RAISE EXCEPTION 'cutoff, k, top_k and hybrid_weight must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT isfinite(cutoff) THEN
        RAISE EXCEPTION 'cutoff must be a finite time, not %', cutoff
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Orders before cutoff train the models, orders from cutoff on test them: pick a time inside the order history, e.g. two thirds into it.';
    END IF;
    IF k < 1 OR k > 1000 THEN
        RAISE EXCEPTION 'k must be between 1 and 1000, not %', k
            USING ERRCODE = 'invalid_parameter_value', HINT = 'k is the number of items recommended to each user (default 10).';
    END IF;
    IF top_k < 1 OR top_k > 1000 THEN
        RAISE EXCEPTION 'top_k must be between 1 and 1000, not %', top_k
            USING ERRCODE = 'invalid_parameter_value', HINT = 'top_k is the number of neighbours kept per item (default 20).';
    END IF;
    IF hybrid_weight = 'NaN'::float8 OR hybrid_weight < 0 OR hybrid_weight > 1 THEN
        RAISE EXCEPTION 'hybrid_weight must be between 0 and 1, not %', hybrid_weight
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'hybrid_weight is the weight of the item-based scores in the hybrid (the content scores get 1 - hybrid_weight).';
    END IF;
    PERFORM supplymkt_internal.check_source(source_schema, ARRAY[
        'products.product_id', 'products.category', 'products.first_listed', 'products.unit_price',
        'orders.order_id', 'orders.customer_id', 'orders.order_time', 'order_items.order_id',
        'order_items.product_id'], 'evaluate_recommenders');

    RETURN QUERY EXECUTE pg_catalog.format($q$
WITH
line AS MATERIALIZED (
    -- user-item interactions: one per order line; in_train when the order was placed before the cutoff
    SELECT o.customer_id AS user_id, oi.product_id AS item_id, o.order_time < $1 AS in_train
      FROM %1$I.orders AS o
      JOIN %1$I.order_items AS oi ON oi.order_id = o.order_id
     WHERE o.customer_id IS NOT NULL AND oi.product_id IS NOT NULL AND o.order_time IS NOT NULL
),
train AS MATERIALIZED (
    -- weight = order lines of the item before the cutoff (item_similarity sums duplicate rows the same way)
    SELECT user_id, item_id, count(*)::float8 AS weight FROM line WHERE in_train GROUP BY user_id, item_id
),
history AS MATERIALIZED (
    SELECT user_id, array_agg(item_id ORDER BY item_id) AS items FROM train GROUP BY user_id
),
evaluated AS MATERIALIZED (
    -- users with a train purchase and a test purchase of an item they had not bought before the cutoff;
    -- relevant = those new items
    SELECT h.user_id, h.items AS history, r.items AS relevant
      FROM history AS h
      JOIN (SELECT l.user_id, array_agg(DISTINCT l.item_id) AS items
              FROM line AS l
             WHERE NOT l.in_train
               AND NOT EXISTS (SELECT 1 FROM train AS t WHERE t.user_id = l.user_id AND t.item_id = l.item_id)
             GROUP BY l.user_id) AS r ON r.user_id = h.user_id
),
catalogue AS MATERIALIZED (
    -- the products on sale at the cutoff (first_listed before it, or unknown), with their content attributes
    SELECT p.product_id AS item_id, COALESCE(p.category, '(uncategorized)') AS category,
           CASE WHEN p.unit_price > 0 THEN ln(p.unit_price::float8) END AS log_price
      FROM %1$I.products AS p
     WHERE p.product_id IS NOT NULL AND (p.first_listed IS NULL OR p.first_listed < $1)
),
category AS MATERIALIZED (
    SELECT c.category, row_number() OVER (ORDER BY c.category COLLATE "C") AS position
      FROM (SELECT DISTINCT category FROM catalogue) AS c
),
feature AS MATERIALIZED (
    -- one-hot category (categories in byte order of their names), then the price level q in 0..1 (ln unit_price
    -- min-max scaled over the catalogue; 0 when all prices are equal) as 0.5 x (cos(q pi/2), sin(q pi/2)); an
    -- item without a positive price gets (0, 0)
    SELECT f.item_id,
           ARRAY(SELECT CASE WHEN k.category = f.category THEN 1 ELSE 0 END::float8
                   FROM category AS k ORDER BY k.position)
           || CASE WHEN f.log_price IS NULL THEN ARRAY[0, 0]::float8[]
                   ELSE ARRAY[0.5 * cos(pi() / 2 * f.price_level), 0.5 * sin(pi() / 2 * f.price_level)] END AS features
      FROM (SELECT c.item_id, c.category, c.log_price,
                   COALESCE((c.log_price - min(c.log_price) OVER ())
                            / NULLIF(max(c.log_price) OVER () - min(c.log_price) OVER (), 0), 0) AS price_level
              FROM catalogue AS c) AS f
),
model AS MATERIALIZED (
    SELECT (SELECT @extschema@.item_similarity(t.user_id, t.item_id, t.weight, $3)
              FROM train AS t WHERE EXISTS (SELECT 1 FROM evaluated)) AS item_based,
           (SELECT @extschema@.item_content_similarity(f.item_id, f.features, $3)
              FROM feature AS f WHERE EXISTS (SELECT 1 FROM evaluated)) AS content
),
recommender AS (
    SELECT 1 AS ord, 'item_based'::text AS name, m.item_based AS model, false AS popularity_only FROM model AS m
    UNION ALL
    SELECT 2, 'content', m.content, false FROM model AS m
    UNION ALL
    SELECT 3, 'hybrid',
           CASE WHEN m.item_based IS NULL THEN m.content
                WHEN m.content IS NULL THEN m.item_based
                ELSE @extschema@.item_neighbors_blend(m.item_based, m.content, $4, $3) END,
           false
      FROM model AS m
    UNION ALL
    -- the popularity fallback of recommend() alone: an empty history, the user's history excluded
    SELECT 4, 'popularity', m.item_based, true FROM model AS m
),
per_user AS MATERIALIZED (
    SELECT r.ord, e.user_id, cardinality(e.relevant) AS relevant, x.hits, x.dcg, x.items,
           (SELECT sum(ln(2::float8) / ln(g + 1::float8))
              FROM generate_series(1, least($2, cardinality(e.relevant))) AS g) AS ideal_dcg
      FROM recommender AS r
     CROSS JOIN evaluated AS e
     CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE y.item_id = ANY (e.relevant)) AS hits,
                   COALESCE(sum(ln(2::float8) / ln(y.rank + 1::float8)) FILTER (WHERE y.item_id = ANY (e.relevant)), 0) AS dcg,
                   array_agg(y.item_id) AS items
              FROM @extschema@.recommend(r.model, CASE WHEN r.popularity_only THEN '{}'::bigint[] ELSE e.history END,
                                         $2, e.history) AS y
             WHERE r.model IS NOT NULL) AS x
),
covered AS (
    SELECT p.ord, count(DISTINCT i.item_id) AS items
      FROM per_user AS p CROSS JOIN LATERAL unnest(p.items) AS i(item_id)
     GROUP BY p.ord
)
SELECT r.name, count(p.user_id), avg(p.hits::float8 / $2), avg(p.hits::float8 / p.relevant),
       avg(p.dcg / p.ideal_dcg), avg((p.hits > 0)::integer::float8),
       COALESCE(c.items, 0)::float8 / NULLIF((SELECT count(DISTINCT item_id) FROM catalogue), 0)
  FROM recommender AS r
  LEFT JOIN per_user AS p ON p.ord = r.ord
  LEFT JOIN covered AS c ON c.ord = r.ord
 GROUP BY r.ord, r.name, c.items
 ORDER BY r.ord
$q$, source_schema)
    USING cutoff, k, top_k, hybrid_weight;
END;
$$;
COMMENT ON FUNCTION @extschema@.evaluate_recommenders(text, timestamptz, integer, integer, double precision) IS
    'Offline evaluation of four recommenders on the canonical relations of source_schema, split by time: the order lines (orders.customer_id as user, order_items.product_id as item) before cutoff train, those from cutoff on test. Evaluated users: a train purchase and a test purchase of an item not in their train history; relevant items = those new test items. Each recommender gives every evaluated user k items outside the user''s train history (supplymkt.recommend): item_based = item_similarity(user, item, weight = order lines, top_k) (cosine) over all train interactions; content = item_content_similarity over the products listed before cutoff (first_listed NULL or earlier) with features = one-hot category (byte order of the names) followed by 0.5 x (cos(q pi/2), sin(q pi/2)), q = ln(unit_price) min-max scaled to 0..1 over those products ((0, 0) without a positive price), so two items'' cosine is ([same category] + 0.25 cos((q_i - q_j) pi/2)) / 1.25: same category 0.8..1, other categories 0..0.2, nearer prices more similar; hybrid = item_neighbors_blend(item_based, content, hybrid_weight, top_k); popularity = the most popular train items (distinct train users; ties: lower id): recommend(item_based model, empty history, k, exclude = history). Every recommender fills up with popular items when it has fewer than k similar ones (content and hybrid rank by their own model''s popularity: 0 for content-only items, ties by lower id). Per user: precision@k = hits / k, recall@k = hits / relevant items, NDCG@k = sum over hits of 1 / log2(rank + 1) divided by the same sum over ranks 1..min(k, relevant items) (binary relevance), hit = at least one hit; the columns are means over the evaluated users (NULL when there are none). coverage = distinct items recommended to the evaluated users / products listed before cutoff. Errors: 22004 NULL argument, 22023 infinite cutoff, k or top_k outside 1..1000 or hybrid_weight outside 0..1 (or NaN), 3F000 unknown schema, 42P01/42703 missing relation/column.';

CREATE OR REPLACE FUNCTION supplymkt_internal.check_dashboard_target(target_schema text)
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

CREATE OR REPLACE FUNCTION supplymkt_internal.supply_dashboard_query(source_schema text, time_zone text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
prod AS (
    SELECT p.product_id, COALESCE(p.category, '(uncategorized)') AS category,
           COALESCE(p.first_listed, '-infinity'::date) AS first_listed, p.unit_cost
      FROM %1$I.products AS p
),
cats AS (
    SELECT DISTINCT category FROM prod
),
lines AS (
    SELECT pr.category, (o.order_time AT TIME ZONE %2$L)::date AS day, oi.quantity,
           oi.quantity * oi.unit_price AS revenue, oi.quantity * pr.unit_cost AS cogs
      FROM %1$I.order_items AS oi
      JOIN %1$I.orders AS o ON o.order_id = oi.order_id
      JOIN prod AS pr ON pr.product_id = oi.product_id
),
snap AS NOT MATERIALIZED (
    SELECT pr.category, s.snapshot_date, s.on_hand, s.inventory_value
      FROM %1$I.inventory_snapshots AS s
      JOIN prod AS pr ON pr.product_id = s.product_id
),
po AS (
    SELECT pr.category, p.order_date, p.quantity, p.received_date, p.received_quantity
      FROM %1$I.purchase_orders AS p
      JOIN prod AS pr ON pr.product_id = p.product_id
),
daily AS MATERIALIZED (
    SELECT CASE WHEN grouping(x.category) = 0 THEN 'category' ELSE 'overall' END AS scope,
           CASE WHEN grouping(x.category) = 0 THEN x.category ELSE '(all)' END AS category, x.day,
           sum(x.quantity) AS units, sum(x.revenue) AS revenue, sum(x.cogs) AS cogs
      FROM lines AS x
     GROUP BY GROUPING SETS ((x.category, x.day), (x.day))
),
snap_daily AS MATERIALIZED (
    SELECT CASE WHEN grouping(x.category) = 0 THEN 'category' ELSE 'overall' END AS scope,
           CASE WHEN grouping(x.category) = 0 THEN x.category ELSE '(all)' END AS category, x.snapshot_date,
           sum(x.inventory_value) AS inventory_value,
           sum(greatest(x.on_hand, 0)) AS on_hand
      FROM snap AS x
     GROUP BY GROUPING SETS ((x.category, x.snapshot_date), (x.snapshot_date))
),
bounds AS (
    SELECT date_trunc('month', min(d)::timestamp) AS first_month, date_trunc('month', max(d)::timestamp) AS last_month
      FROM (SELECT day AS d FROM daily UNION ALL SELECT snapshot_date FROM snap_daily) AS b
),
months AS (
    SELECT m::date AS month, (m + interval '1 month' - interval '1 day')::date AS month_end
      FROM bounds, generate_series(bounds.first_month, bounds.last_month, interval '1 month') AS m
),
grid AS (
    SELECT 'category'::text AS scope, c.category, m.month FROM cats AS c CROSS JOIN months AS m
    UNION ALL
    SELECT 'overall'::text, '(all)'::text, m.month FROM months AS m
),
sales AS (
    SELECT scope, category, date_trunc('month', day::timestamp)::date AS month,
           sum(units)::bigint AS units_sold, sum(revenue) AS revenue, sum(cogs) AS cogs
      FROM daily
     GROUP BY 1, 2, 3
),
inventory AS (
    SELECT scope, category, date_trunc('month', snapshot_date::timestamp)::date AS month,
           trim_scale(avg(inventory_value)) AS avg_inventory_value
      FROM snap_daily
     GROUP BY 1, 2, 3
),
turnover AS (
    SELECT t.scope, t.category, t.month,
           @extschema@.inventory_turnover(t.cogs, t.inventory_value) AS inventory_turnover
      FROM (SELECT g.scope, g.category, g.month, COALESCE(s.cogs, 0)::float8 AS cogs, NULL::float8 AS inventory_value
              FROM grid AS g LEFT JOIN sales AS s USING (scope, category, month)
            UNION ALL
            SELECT d.scope, d.category, date_trunc('month', d.snapshot_date::timestamp)::date, NULL,
                   d.inventory_value::float8
              FROM snap_daily AS d) AS t
     GROUP BY 1, 2, 3
),
stock AS (
    SELECT CASE WHEN grouping(x.category) = 0 THEN 'category' ELSE 'overall' END AS scope,
           CASE WHEN grouping(x.category) = 0 THEN x.category ELSE '(all)' END AS category, x.month,
           @extschema@.stockout_rate(x.on_hand::float8) AS stockout_rate
      FROM (SELECT category, date_trunc('month', snapshot_date::timestamp)::date AS month, on_hand FROM snap) AS x
     GROUP BY GROUPING SETS ((x.category, x.month), (x.month))
),
fill AS (
    SELECT CASE WHEN grouping(x.category) = 0 THEN 'category' ELSE 'overall' END AS scope,
           CASE WHEN grouping(x.category) = 0 THEN x.category ELSE '(all)' END AS category, x.month,
           @extschema@.fill_rate(x.quantity::float8, x.received_quantity::float8) AS fill_rate
      FROM (SELECT category, date_trunc('month', order_date::timestamp)::date AS month, quantity, received_quantity
              FROM po) AS x
     GROUP BY GROUPING SETS ((x.category, x.month), (x.month))
),
received AS (
    SELECT CASE WHEN grouping(x.category) = 0 THEN 'category' ELSE 'overall' END AS scope,
           CASE WHEN grouping(x.category) = 0 THEN x.category ELSE '(all)' END AS category, x.month,
           sum(x.received_quantity)::bigint AS units_received
      FROM (SELECT category, date_trunc('month', received_date::timestamp)::date AS month, received_quantity
              FROM po WHERE received_date IS NOT NULL) AS x
     GROUP BY GROUPING SETS ((x.category, x.month), (x.month))
),
stock_ends AS (
    -- units on hand at the first and at the last snapshot of each month (a product's negative on_hand
    -- counts as 0: a backorder does not cancel another product's stock)
    SELECT scope, category, date_trunc('month', snapshot_date::timestamp)::date AS month,
           (array_agg(on_hand ORDER BY snapshot_date))[1] AS first_on_hand,
           (array_agg(on_hand ORDER BY snapshot_date DESC))[1] AS last_on_hand
      FROM snap_daily
     GROUP BY 1, 2, 3
),
opening AS (
    -- opening stock: on hand at the last snapshot of the previous month, else at the month's first snapshot
    SELECT g.scope, g.category, g.month,
           COALESCE(lag(e.last_on_hand) OVER (PARTITION BY g.scope, g.category ORDER BY g.month), e.first_on_hand, 0)::bigint
             AS opening_stock
      FROM grid AS g
      LEFT JOIN stock_ends AS e USING (scope, category, month)
),
sell_through AS (
    SELECT g.scope, g.category, g.month, op.opening_stock, r.units_received,
           @extschema@.sell_through_rate(COALESCE(s.units_sold, 0)::float8, op.opening_stock::float8,
                                         COALESCE(r.units_received, 0)::float8) AS sell_through_rate
      FROM grid AS g
      JOIN opening AS op USING (scope, category, month)
      LEFT JOIN sales AS s USING (scope, category, month)
      LEFT JOIN received AS r USING (scope, category, month)
     GROUP BY g.scope, g.category, g.month, op.opening_stock, r.units_received
),
assortment AS (
    SELECT CASE WHEN grouping(x.category) = 0 THEN 'category' ELSE 'overall' END AS scope,
           CASE WHEN grouping(x.category) = 0 THEN x.category ELSE '(all)' END AS category, x.month,
           @extschema@.renewal_rate(x.first_listed, x.month, x.month_end) AS renewal_rate,
           CASE WHEN grouping(x.category) = 1
                THEN (@extschema@.assortment_diversity(x.category) FILTER (WHERE x.first_listed <= x.month_end)).evenness
           END AS diversity
      FROM (SELECT pr.category, pr.first_listed, m.month, m.month_end FROM prod AS pr CROSS JOIN months AS m) AS x
     GROUP BY GROUPING SETS ((x.category, x.month, x.month_end), (x.month, x.month_end))
),
days AS MATERIALIZED (
    SELECT d::date AS day
      FROM (SELECT min(day) AS first_day, max(day) AS last_day FROM daily) AS b,
           generate_series(b.first_day::timestamp, b.last_day::timestamp, interval '1 day') AS d
),
day_grid AS MATERIALIZED (
    SELECT k.scope, k.category, d.day
      FROM (SELECT DISTINCT scope, category FROM grid) AS k CROSS JOIN days AS d
),
demand AS (
    SELECT g.scope, g.category, date_trunc('month', g.day::timestamp)::date AS month,
           @extschema@.demand_cv(COALESCE(dl.units, 0)::float8) AS demand_cv
      FROM day_grid AS g
      LEFT JOIN daily AS dl USING (scope, category, day)
     GROUP BY 1, 2, 3
),
ship AS (
    SELECT s.order_id, date_trunc('month', o.order_time AT TIME ZONE %2$L)::date AS month,
           (s.delivered_time AT TIME ZONE %2$L)::date <= s.promised_date AS on_time
      FROM %1$I.shipments AS s
      JOIN %1$I.orders AS o ON o.order_id = s.order_id
     WHERE s.delivered_time IS NOT NULL AND s.promised_date IS NOT NULL
),
service AS (
    SELECT 'category'::text AS scope, oc.category, sh.month,
           (count(*) FILTER (WHERE sh.on_time))::float8 / count(*) AS on_time_rate
      FROM ship AS sh
      JOIN (SELECT DISTINCT oi.order_id, pr.category
              FROM %1$I.order_items AS oi JOIN prod AS pr ON pr.product_id = oi.product_id) AS oc
        ON oc.order_id = sh.order_id
     GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'overall'::text, '(all)'::text, sh.month, (count(*) FILTER (WHERE sh.on_time))::float8 / count(*)
      FROM ship AS sh
     GROUP BY 1, 2, 3
),
returned AS (
    SELECT CASE WHEN grouping(x.category) = 0 THEN 'category' ELSE 'overall' END AS scope,
           CASE WHEN grouping(x.category) = 0 THEN x.category ELSE '(all)' END AS category, x.month,
           sum(x.quantity)::bigint AS units_returned
      FROM (SELECT pr.category, date_trunc('month', o.order_time AT TIME ZONE %2$L)::date AS month, r.quantity
              FROM %1$I.returns AS r
              JOIN %1$I.orders AS o ON o.order_id = r.order_id
              JOIN prod AS pr ON pr.product_id = r.product_id) AS x
     GROUP BY GROUPING SETS ((x.category, x.month), (x.month))
),
ratings AS (
    SELECT CASE WHEN grouping(x.category) = 0 THEN 'category' ELSE 'overall' END AS scope,
           CASE WHEN grouping(x.category) = 0 THEN x.category ELSE '(all)' END AS category, x.month,
           avg(x.rating)::float8 AS mean_rating, count(x.rating) AS reviews
      FROM (SELECT pr.category, date_trunc('month', rv.review_time AT TIME ZONE %2$L)::date AS month, rv.rating
              FROM %1$I.reviews AS rv
              JOIN prod AS pr ON pr.product_id = rv.product_id) AS x
     GROUP BY GROUPING SETS ((x.category, x.month), (x.month))
),
category_abc AS (
    SELECT c.category, @extschema@.abc_class(c.revenue::float8) OVER () AS abc_class
      FROM (SELECT cats.category, COALESCE(sum(s.revenue), 0) AS revenue
              FROM cats LEFT JOIN sales AS s ON s.scope = 'category' AND s.category = cats.category
             GROUP BY cats.category) AS c
),
joined AS (
    SELECT g.scope, g.category, g.month,
           a.abc_class,
           COALESCE(s.units_sold, 0) AS units_sold,
           COALESCE(s.revenue, 0) AS revenue,
           COALESCE(s.cogs, 0) AS cogs,
           st.opening_stock,
           COALESCE(st.units_received, 0) AS units_received,
           COALESCE(rt.units_returned, 0) AS units_returned,
           i.avg_inventory_value,
           t.inventory_turnover,
           t.inventory_turnover * 365.0 / ((g.month + interval '1 month')::date - g.month) AS annualized_turnover,
           so.stockout_rate,
           f.fill_rate,
           st.sell_through_rate,
           asr.renewal_rate,
           d.demand_cv,
           asr.diversity,
           sv.on_time_rate,
           COALESCE(rt.units_returned, 0)::float8 / NULLIF(s.units_sold, 0) AS return_rate,
           ra.mean_rating,
           COALESCE(ra.reviews, 0) AS reviews
      FROM grid AS g
      LEFT JOIN sales AS s USING (scope, category, month)
      LEFT JOIN inventory AS i USING (scope, category, month)
      LEFT JOIN turnover AS t USING (scope, category, month)
      LEFT JOIN stock AS so USING (scope, category, month)
      LEFT JOIN fill AS f USING (scope, category, month)
      LEFT JOIN sell_through AS st USING (scope, category, month)
      LEFT JOIN assortment AS asr USING (scope, category, month)
      LEFT JOIN demand AS d USING (scope, category, month)
      LEFT JOIN service AS sv USING (scope, category, month)
      LEFT JOIN returned AS rt USING (scope, category, month)
      LEFT JOIN ratings AS ra USING (scope, category, month)
      LEFT JOIN category_abc AS a ON a.category = g.category AND g.scope = 'category'
)
SELECT j.scope, j.category, j.month, j.abc_class, j.units_sold, j.revenue, j.cogs, j.opening_stock, j.units_received,
       j.units_returned, j.reviews, j.avg_inventory_value, j.inventory_turnover, j.annualized_turnover,
       j.stockout_rate, j.fill_rate, j.sell_through_rate, j.renewal_rate, j.demand_cv, j.diversity,
       j.on_time_rate, j.return_rate, j.mean_rating,
       @extschema@.supply_capability_score(j.annualized_turnover, j.fill_rate, j.stockout_rate, j.renewal_rate,
                                           j.diversity, j.on_time_rate, j.return_rate, j.mean_rating) AS supply_capability_score
  FROM joined AS j
$q$, source_schema, time_zone)
$body$;
COMMENT ON FUNCTION supplymkt_internal.supply_dashboard_query(text, text) IS
    'The SELECT behind supply_dashboard_mv for a source schema and a time zone (used by create_dashboards; handy to read or EXPLAIN).';

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

DROP FUNCTION supplymkt_internal.product_abc_xyz_query(text, text);
-- Text of the product ABC/XYZ query for a source schema and a time zone; with_names reads products.name.
CREATE FUNCTION supplymkt_internal.product_abc_xyz_query(source_schema text, time_zone text, with_names boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
prod AS (
    SELECT p.product_id, COALESCE(p.category, '(uncategorized)') AS category,
           COALESCE(p.first_listed, '-infinity'::date) AS first_listed
      FROM %1$I.products AS p
),
lines AS (
    SELECT oi.product_id, (o.order_time AT TIME ZONE %2$L)::date AS day, oi.quantity,
           oi.quantity * oi.unit_price AS revenue
      FROM %1$I.order_items AS oi
      JOIN %1$I.orders AS o ON o.order_id = oi.order_id
),
weeks AS (
    SELECT w::date AS week
      FROM (SELECT date_trunc('week', min(day)::timestamp) AS first_week,
                   date_trunc('week', max(day)::timestamp) AS last_week FROM lines) AS b,
           generate_series(b.first_week, b.last_week, interval '1 week') AS w
),
weekly AS (
    SELECT product_id, date_trunc('week', day::timestamp)::date AS week, sum(quantity) AS units
      FROM lines
     GROUP BY 1, 2
),
variability AS (
    SELECT pr.product_id, count(*) AS weeks_observed,
           @extschema@.demand_cv(COALESCE(w.units, 0)::float8) AS demand_cv
      FROM prod AS pr
      JOIN weeks AS wk ON wk.week >= date_trunc('week', pr.first_listed::timestamp)
      LEFT JOIN weekly AS w ON w.product_id = pr.product_id AND w.week = wk.week
     GROUP BY pr.product_id
),
totals AS (
    SELECT product_id, sum(quantity)::bigint AS units_sold, sum(revenue) AS revenue
      FROM lines
     GROUP BY product_id
),
%3$s
SELECT pr.product_id, pn.name, pr.category,
       COALESCE(t.units_sold, 0) AS units_sold,
       COALESCE(t.revenue, 0) AS revenue,
       @extschema@.abc_class(COALESCE(t.revenue, 0)::float8) OVER () AS abc_class,
       COALESCE(v.weeks_observed, 0) AS weeks_observed,
       v.demand_cv,
       @extschema@.xyz_class(v.demand_cv) AS xyz_class
  FROM prod AS pr
  LEFT JOIN totals AS t ON t.product_id = pr.product_id
  LEFT JOIN variability AS v ON v.product_id = pr.product_id
  LEFT JOIN product_name AS pn ON pn.id = pr.product_id
$q$, source_schema, time_zone,
     supplymkt_internal.names_cte('product_name', source_schema, 'products', 'product_id', with_names))
$body$;
COMMENT ON FUNCTION supplymkt_internal.product_abc_xyz_query(text, text, boolean) IS
    'The SELECT behind product_abc_xyz_mv for a source schema and a time zone, with products.name when with_names (used by create_dashboards; handy to read or EXPLAIN).';

CREATE FUNCTION supplymkt_internal.customer_summary_ctes(source_schema text, time_zone text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
order_values AS (
    SELECT o.customer_id, o.order_time, greatest(COALESCE(sum(oi.quantity * oi.unit_price), 0), 0)::float8 AS amount
      FROM %1$I.orders AS o
      LEFT JOIN %1$I.order_items AS oi ON oi.order_id = o.order_id
     WHERE o.customer_id IS NOT NULL AND o.order_time IS NOT NULL AND isfinite(o.order_time)
     GROUP BY o.order_id, o.customer_id, o.order_time
),
local AS (
    -- wall-clock times of the dashboard time zone labelled UTC, so rfm_summary's UTC days are local days
    SELECT customer_id, order_time, amount, (order_time AT TIME ZONE %2$L) AT TIME ZONE 'UTC' AS local_time
      FROM order_values
),
bounds AS (
    SELECT max(order_time) AS as_of, max(local_time) AS local_as_of FROM local
),
summary AS MATERIALIZED (
    SELECT l.customer_id, b.as_of, min(l.order_time) AS first_order, max(l.order_time) AS last_order,
           @extschema@.rfm_summary(l.local_time, l.amount, b.local_as_of) AS s
      FROM local AS l CROSS JOIN bounds AS b
     GROUP BY l.customer_id, b.as_of, b.local_as_of
),
flat AS (
    SELECT customer_id, as_of, first_order, last_order, (s).recency_days, (s).orders, (s).frequency,
           (s).recency_bgnbd, (s).age_days, (s).monetary_mean, (s).monetary_repeat_mean, (s).monetary_total
      FROM summary
)$q$, source_schema, time_zone)
$body$;
COMMENT ON FUNCTION supplymkt_internal.customer_summary_ctes(text, text) IS
    'The common table expressions (order_values, local, bounds, summary, flat) of the per-customer rfm_summary of source_schema as of its latest order, days in time_zone; shared by customer_dashboard_query and clv_model_query.';

DROP FUNCTION supplymkt_internal.customer_dashboard_query(text, text, boolean);
CREATE FUNCTION supplymkt_internal.customer_dashboard_query(source_schema text, target_schema text, time_zone text,
                                                            with_names boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%1$s,
breaks AS (
    SELECT @extschema@.rfm_breaks(recency_days, orders, monetary_total) AS b FROM flat
),
scored AS (
    SELECT f.*, @extschema@.rfm_score(f.recency_days, f.orders, f.monetary_total, b.b) AS sc
      FROM flat AS f CROSS JOIN breaks AS b
),
model AS (
    SELECT cm.model AS m, cm.model::text::jsonb ->> 'model' AS purchase_model,
           cm.model IS NOT NULL AND cm.model::text::jsonb ? 'gamma' AS has_spend
      FROM %2$I.clv_model_mv AS cm WHERE cm.name = 'clv'
),
%3$s
SELECT s.customer_id, cn.name, s.as_of, s.orders, s.frequency, s.recency_days, s.recency_bgnbd, s.age_days,
       round(s.monetary_mean::numeric, 2) AS monetary_mean, round(s.monetary_repeat_mean::numeric, 2) AS monetary_repeat_mean,
       round(s.monetary_total::numeric, 2) AS monetary_total, s.first_order, s.last_order,
       (s.sc).r AS r_score, (s.sc).f AS f_score, (s.sc).m AS m_score, (s.sc).code AS rfm_code,
       COALESCE((s.sc).segment, '(unassigned)') AS segment, md.purchase_model AS clv_model,
       @extschema@.probability_alive(md.m, s.frequency::float8, s.recency_bgnbd, s.age_days) AS p_alive,
       @extschema@.expected_purchases(md.m, 365, s.frequency::float8, s.recency_bgnbd, s.age_days) AS expected_purchases_12m,
       CASE WHEN md.has_spend
            THEN round(@extschema@.clv_estimate(md.m, s.frequency::float8, s.recency_bgnbd, s.age_days,
                                                COALESCE(s.monetary_repeat_mean, 0), 365, 0)::numeric, 2)
       END AS clv_12m
  FROM scored AS s LEFT JOIN model AS md ON true
  LEFT JOIN customer_name AS cn ON cn.id = s.customer_id
$q$, supplymkt_internal.customer_summary_ctes(source_schema, time_zone), target_schema,
     supplymkt_internal.names_cte('customer_name', source_schema, 'customers', 'customer_id', with_names))
$body$;
COMMENT ON FUNCTION supplymkt_internal.customer_dashboard_query(text, text, text, boolean) IS
    'The SELECT behind customer_dashboard_mv for a source schema and a time zone: the rfm_summary, scores and segment of every customer, its name (customers.name when with_names, else NULL), and p_alive, expected_purchases_12m and clv_12m under the CLV model of target_schema.clv_model_mv (used by create_dashboards; handy to read or EXPLAIN).';

CREATE OR REPLACE FUNCTION supplymkt_internal.customer_segments_query(target_schema text, with_clv boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
SELECT g.segment, count(c.customer_id) AS customers,
       count(c.customer_id)::float8 / NULLIF(t.customers, 0) AS customer_share,
       COALESCE(sum(c.monetary_total), 0) AS revenue,
       (COALESCE(sum(c.monetary_total), 0) / NULLIF(t.revenue, 0))::float8 AS revenue_share,
       avg(c.recency_days) AS mean_recency_days, avg(c.orders)::float8 AS mean_orders,
       round(avg(c.monetary_total), 2) AS mean_monetary_total%2$s
  FROM (SELECT segment FROM @extschema@.rfm_segments UNION SELECT segment FROM %1$I.customer_dashboard_mv) AS g
 CROSS JOIN (SELECT count(*) AS customers, sum(monetary_total) AS revenue FROM %1$I.customer_dashboard_mv) AS t
  LEFT JOIN %1$I.customer_dashboard_mv AS c ON c.segment = g.segment
 GROUP BY g.segment, t.customers, t.revenue
$q$, target_schema,
     CASE WHEN with_clv THEN ',
       round(avg(c.clv_12m), 2) AS mean_clv_12m, sum(c.clv_12m) AS total_clv_12m,
       avg(c.p_alive) AS mean_p_alive' ELSE '' END)
$body$;
COMMENT ON FUNCTION supplymkt_internal.customer_segments_query(text, boolean) IS
    'The SELECT behind customer_segments_mv: one row per RFM segment (every segment of supplymkt.rfm_segments, plus ''(unassigned)'' when used) summarising target_schema.customer_dashboard_mv (used by create_dashboards).';

CREATE OR REPLACE FUNCTION supplymkt_internal.customer_personas_query(source_schema text, target_schema text, segments integer,
                                                   with_clv boolean, with_channel boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%1$s,
model AS (
    -- the model of persona_model_mv, fitted by the same refresh just before
    SELECT pm.model AS m FROM %2$I.persona_model_mv AS pm WHERE pm.name = 'personas'
),
favourite_category AS (
    SELECT DISTINCT ON (s.customer_id) s.customer_id, s.category
      FROM spend AS s
     ORDER BY s.customer_id, s.revenue DESC, s.category COLLATE "C"
),
favourite_channel AS (
    SELECT DISTINCT ON (x.customer_id) x.customer_id, x.channel
      FROM (SELECT customer_id, channel, count(*) AS orders FROM bought WHERE channel IS NOT NULL GROUP BY 1, 2) AS x
     ORDER BY x.customer_id, x.orders DESC, x.channel COLLATE "C"
),
category_revenue AS (
    SELECT s.customer_id, jsonb_object_agg(s.category, s.revenue) AS category_revenue
      FROM spend AS s
     GROUP BY s.customer_id
)
SELECT f.customer_id, f.name, @extschema@.kmeans_assign(md.m, p.z) AS persona,
       @extschema@.kmeans_distance(md.m, p.z) AS persona_distance,
       f.rfm_segment, f.rfm_code, f.r_score, f.f_score, f.m_score, f.recency_days, f.orders, f.monetary_total%3$s,
       fc.category AS favourite_category, fh.channel AS favourite_channel,
       COALESCE(cr.category_revenue, '{}'::jsonb) AS category_revenue, f.features, f.as_of
  FROM feature AS f
  JOIN point AS p ON p.customer_id = f.customer_id
 CROSS JOIN model AS md
  LEFT JOIN favourite_category AS fc ON fc.customer_id = f.customer_id
  LEFT JOIN favourite_channel AS fh ON fh.customer_id = f.customer_id
  LEFT JOIN category_revenue AS cr ON cr.customer_id = f.customer_id
$q$, supplymkt_internal.persona_points_ctes(source_schema, target_schema, with_clv, with_channel), target_schema,
     CASE WHEN with_clv THEN ', clv_12m' ELSE '' END)
$body$;
COMMENT ON FUNCTION supplymkt_internal.customer_personas_query(text, text, integer, boolean, boolean) IS
    'The SELECT behind customer_personas_mv: one row per customer of target_schema.customer_dashboard_mv with its persona, kmeans_assign of a kmeans_fit (seed 0, k = least(segments, distinct customers)) over all customers on the features [recency_days, ln(1 + orders), ln(1 + monetary_total), revenue share of each category in byte order of the names], z-scored and the shares weighted by 1/sqrt(number of categories), favourite category and channel from the orders of source_schema up to the dashboard''s as_of; with_clv carries clv_12m over, with_channel reads orders.channel (used by create_dashboards; handy to read or EXPLAIN).';

CREATE OR REPLACE FUNCTION supplymkt_internal.persona_segments_query(target_schema text, with_clv boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
member AS MATERIALIZED (
    SELECT * FROM %1$I.customer_personas_mv WHERE persona IS NOT NULL
),
overall AS (
    SELECT count(*) AS customers, sum(monetary_total) AS revenue,
           ARRAY['recency_days', 'ln(1 + orders)', 'ln(1 + monetary_total)']
           || ARRAY(SELECT 'share:' || c.category
                      FROM (SELECT DISTINCT jsonb_object_keys(category_revenue) AS category FROM member) AS c
                     ORDER BY c.category COLLATE "C") AS feature_names
      FROM member
),
center AS (
    -- the persona's centroid in feature space: the mean of its members' feature vectors
    SELECT x.persona, array_agg(x.value ORDER BY x.position) AS centroid
      FROM (SELECT m.persona, u.position, avg(u.value) AS value
              FROM member AS m CROSS JOIN LATERAL unnest(m.features) WITH ORDINALITY AS u(value, position)
             GROUP BY 1, 2) AS x
     GROUP BY x.persona
),
top_category AS (
    SELECT DISTINCT ON (x.persona) x.persona, x.category, x.revenue / sum(x.revenue) OVER (PARTITION BY x.persona) AS share
      FROM (SELECT m.persona, e.key AS category, sum(e.value::float8) AS revenue
              FROM member AS m CROSS JOIN LATERAL jsonb_each_text(m.category_revenue) AS e
             GROUP BY 1, 2) AS x
     ORDER BY x.persona, x.revenue DESC, x.category COLLATE "C"
),
summary AS (
    SELECT m.persona, count(*) AS customers, count(*)::float8 / o.customers AS customer_share,
           sum(m.monetary_total) AS revenue, (sum(m.monetary_total) / NULLIF(o.revenue, 0))::float8 AS revenue_share%2$s,
           c.centroid[1] AS centroid_recency_days, exp(c.centroid[2]) - 1 AS centroid_orders,
           exp(c.centroid[3]) - 1 AS centroid_monetary_total,
           avg(m.recency_days) AS mean_recency_days, avg(m.orders)::float8 AS mean_orders,
           round(avg(m.monetary_total), 2) AS mean_monetary_total,
           c.centroid, o.feature_names
      FROM member AS m
      JOIN center AS c ON c.persona = m.persona
     CROSS JOIN overall AS o
     GROUP BY m.persona, c.centroid, o.customers, o.revenue, o.feature_names
),
ranked AS (
    -- each persona's place among the personas on value, frequency and recency (centroids rounded to 6 decimals,
    -- ties share a rank): q = (rank - 1) / (personas - 1), 0.5 for a single persona
    SELECT s.*,
           CASE WHEN count(*) OVER () = 1 THEN 0.5
                ELSE (rank() OVER (ORDER BY round(s.centroid_monetary_total::numeric, 6)) - 1)::float8 / (count(*) OVER () - 1) END AS q_value,
           CASE WHEN count(*) OVER () = 1 THEN 0.5
                ELSE (rank() OVER (ORDER BY round(s.centroid_orders::numeric, 6)) - 1)::float8 / (count(*) OVER () - 1) END AS q_orders,
           CASE WHEN count(*) OVER () = 1 THEN 0.5
                ELSE (rank() OVER (ORDER BY round(s.centroid_recency_days::numeric, 6)) - 1)::float8 / (count(*) OVER () - 1) END AS q_recency
      FROM summary AS s
),
labelled AS (
    SELECT r.*, t.category AS top_category, t.share AS top_category_share,
           concat_ws(' / ',
                     CASE WHEN r.q_value > 2.0 / 3 THEN 'high value' WHEN r.q_value < 1.0 / 3 THEN 'low value' ELSE 'mid value' END,
                     CASE WHEN r.q_orders > 2.0 / 3 THEN 'frequent' WHEN r.q_orders < 1.0 / 3 THEN 'occasional' ELSE 'regular' END,
                     CASE WHEN r.q_recency < 1.0 / 3 THEN 'recent' WHEN r.q_recency > 2.0 / 3 THEN 'lapsing' ELSE 'cooling' END) AS base_label
      FROM ranked AS r
      LEFT JOIN top_category AS t ON t.persona = r.persona
),
distinct_label AS (
    -- personas that would share a label are told apart by their top category, then by their number
    SELECT l.*, CASE WHEN count(*) OVER (PARTITION BY l.base_label) = 1 THEN l.base_label
                     ELSE l.base_label || ' / ' || COALESCE(l.top_category, 'no category') END AS label2
      FROM labelled AS l
)
SELECT s.persona,
       CASE WHEN count(*) OVER (PARTITION BY s.label2) = 1 THEN s.label2 ELSE s.label2 || ' #' || s.persona END AS label,
       s.customers, s.customer_share, s.revenue, s.revenue_share%3$s,
       s.centroid_recency_days, s.centroid_orders, s.centroid_monetary_total,
       s.mean_recency_days, s.mean_orders, s.mean_monetary_total,
       s.top_category, s.top_category_share, s.centroid, s.feature_names
  FROM distinct_label AS s
$q$, target_schema,
     CASE WHEN with_clv THEN ',
           round(avg(m.clv_12m), 2) AS mean_clv_12m' ELSE '' END,
     CASE WHEN with_clv THEN ', s.mean_clv_12m' ELSE '' END)
$body$;
COMMENT ON FUNCTION supplymkt_internal.persona_segments_query(text, boolean) IS
    'The SELECT behind persona_segments_mv: one row per persona of target_schema.customer_personas_mv with its size, customer and revenue shares, mean CLV (with_clv), centroid and plain means of recency, orders and monetary total, top category and a label from the persona''s place among the personas on value, frequency and recency (distinct for every persona) (used by create_dashboards).';

DROP FUNCTION supplymkt_internal.item_neighbors_query(text);
CREATE FUNCTION supplymkt_internal.item_neighbors_query(source_schema text, target_schema text, with_names boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%3$s
SELECT n.item_id, pi.name AS item_name, n.rank, n.neighbor_id, pn.name AS neighbor_name, n.score, n.support
  FROM %2$I.recommend_models_mv AS md
 CROSS JOIN LATERAL @extschema@.neighbors(md.model::@extschema@.item_neighbors) AS n
  LEFT JOIN product_name AS pi ON pi.id = n.item_id
  LEFT JOIN product_name AS pn ON pn.id = n.neighbor_id
 WHERE md.name = 'item_neighbors'
$q$, source_schema, target_schema,
     supplymkt_internal.names_cte('product_name', source_schema, 'products', 'product_id', with_names))
$body$;
COMMENT ON FUNCTION supplymkt_internal.item_neighbors_query(text, text, boolean) IS
    'The SELECT behind item_neighbors_mv: neighbors() of the item_neighbors model of target_schema.recommend_models_mv (item_similarity over every order line, cosine, top 20 per item), one row per (item, neighbour), with the products'' names from source_schema.products.name when with_names (used by create_dashboards; handy to read or EXPLAIN).';

DROP FUNCTION supplymkt_internal.user_recommendations_query(text);
CREATE FUNCTION supplymkt_internal.user_recommendations_query(source_schema text, target_schema text,
                                                              with_names boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
line AS MATERIALIZED (
    SELECT o.customer_id, oi.product_id
      FROM %1$I.orders AS o
      JOIN %1$I.order_items AS oi ON oi.order_id = o.order_id
     WHERE o.customer_id IS NOT NULL AND oi.product_id IS NOT NULL
),
model AS MATERIALIZED (
    SELECT md.model::@extschema@.item_neighbors AS m FROM %2$I.recommend_models_mv AS md WHERE md.name = 'item_neighbors'
),
customer AS (
    -- every customer with an order; a customer whose orders have no items gets the popular items
    SELECT c.customer_id, COALESCE(h.items, '{}'::bigint[]) AS history
      FROM (SELECT DISTINCT o.customer_id FROM %1$I.orders AS o WHERE o.customer_id IS NOT NULL) AS c
      LEFT JOIN (SELECT l.customer_id, array_agg(DISTINCT l.product_id ORDER BY l.product_id) AS items
                   FROM line AS l GROUP BY l.customer_id) AS h ON h.customer_id = c.customer_id
),
%3$s
SELECT c.customer_id, r.rank, r.item_id, pn.name AS item_name, r.score, r.source, r.because,
       CASE WHEN r.source = 'similar'
            THEN 'because you bought ' || (SELECT string_agg(COALESCE(bn.name, b.id::text), ', ' ORDER BY b.position)
                                             FROM unnest(r.because) WITH ORDINALITY AS b(id, position)
                                             LEFT JOIN product_name AS bn ON bn.id = b.id)
            ELSE 'popular' END AS reason
  FROM customer AS c
 CROSS JOIN model AS md
 CROSS JOIN LATERAL @extschema@.recommend(md.m, c.history, 10) AS r
  LEFT JOIN product_name AS pn ON pn.id = r.item_id
$q$, source_schema, target_schema,
     supplymkt_internal.names_cte('product_name', source_schema, 'products', 'product_id', with_names))
$body$;
COMMENT ON FUNCTION supplymkt_internal.user_recommendations_query(text, text, boolean) IS
    'The SELECT behind user_recommendations_mv: for every customer with an order in source_schema, recommend(model, the products the customer bought, 10) with the item_neighbors model of target_schema.recommend_models_mv (cosine over every order line, top 20 neighbours per item), purchased products excluded, popular products filling up; reason spells out the because column, by products.name when with_names (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the association rules query: rules() of the assoc_rules model of target_schema.recommend_models_mv,
-- one row per rule; with_names reads products.name of source_schema for the antecedent and consequent names.
CREATE FUNCTION supplymkt_internal.product_rules_query(source_schema text, target_schema text, with_names boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%3$s
SELECT r.antecedent, r.consequent,
       (SELECT array_agg(n.name ORDER BY a.position) FROM unnest(r.antecedent) WITH ORDINALITY AS a(id, position)
          LEFT JOIN product_name AS n ON n.id = a.id) AS antecedent_names,
       (SELECT array_agg(n.name ORDER BY c.position) FROM unnest(r.consequent) WITH ORDINALITY AS c(id, position)
          LEFT JOIN product_name AS n ON n.id = c.id) AS consequent_names,
       r.support, r.confidence, r.lift, r.leverage, r.conviction, r.count
  FROM %2$I.recommend_models_mv AS md
 CROSS JOIN LATERAL @extschema@.rules(md.model::@extschema@.assoc_rules_model) AS r
 WHERE md.name = 'assoc_rules'
$q$, source_schema, target_schema,
     supplymkt_internal.names_cte('product_name', source_schema, 'products', 'product_id', with_names))
$body$;
COMMENT ON FUNCTION supplymkt_internal.product_rules_query(text, text, boolean) IS
    'The SELECT behind product_rules_mv: rules() of the assoc_rules model of target_schema.recommend_models_mv (the orders of source_schema as baskets, min_support 0.002, min_confidence 0.1), one row per rule, with the products'' names from source_schema.products.name when with_names (used by create_dashboards; handy to read or EXPLAIN).';

-- Dashboards from a catalog: each family registers its dashboards; create_dashboards, refresh_dashboards and
-- the new drop_dashboards loop over it.
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
COMMENT ON FUNCTION supplymkt_internal.register_dashboard(text, text, integer, text, text[], text[], text, text, text[], text, boolean) IS
    'Registers (or replaces) dashboard name in dashboard_catalog and its column descriptions (columns: ARRAY[[column, description], ...]) in dashboard_columns. Checks the name (lower-case identifier, at most 55 characters), that build_order is free, that query_call calls a supplymkt_internal function, that query_call and mv_comment are valid format() templates, and that a model dashboard (lists_models) has unique key name (22023). Called by the family install scripts.';

CREATE FUNCTION supplymkt_internal.clv_holdout_query(source_schema text, unit text, time_zone text, bounds_query text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
bounds AS (%4$s),
orders_in AS (
    -- wall-clock times of the time zone labelled UTC, so rfm_summary's UTC days are local days
    SELECT o.customer_id, o.order_time, (o.order_time AT TIME ZONE %3$L) AT TIME ZONE 'UTC' AS local_time
      FROM %1$I.orders AS o CROSS JOIN bounds AS b
     WHERE o.customer_id IS NOT NULL AND o.order_time IS NOT NULL AND isfinite(o.order_time)
       AND o.order_time <= b.hold_end
),
calibration AS MATERIALIZED (
    SELECT c.customer_id, (c.s).frequency::float8 AS x, (c.s).recency_bgnbd / %2$s AS tx, (c.s).age_days / %2$s AS t
      FROM (SELECT o.customer_id,
                   @extschema@.rfm_summary(o.local_time, 1, (b.cal_end AT TIME ZONE %3$L) AT TIME ZONE 'UTC') AS s
              FROM orders_in AS o CROSS JOIN bounds AS b
             WHERE o.order_time <= b.cal_end
             GROUP BY o.customer_id) AS c
     WHERE (c.s).orders IS NOT NULL
),
holdout AS (
    -- repeat purchases in the holdout, counted like frequency: distinct purchase days
    SELECT o.customer_id, count(DISTINCT (o.order_time AT TIME ZONE %3$L)::date)::float8 AS actual
      FROM orders_in AS o CROSS JOIN bounds AS b
     WHERE o.order_time > b.cal_end
     GROUP BY o.customer_id
),
fits AS MATERIALIZED (
    SELECT v.model, @extschema@.clv_fit(c.x, c.tx, c.t, NULL::float8, v.model, %5$L) AS m
      FROM calibration AS c CROSS JOIN (VALUES ('bgnbd'), ('mbgnbd'), ('pnbd')) AS v(model)
     GROUP BY v.model
),
predicted AS (
    SELECT f.model, c.x, COALESCE(h.actual, 0) AS actual,
           @extschema@.expected_purchases(f.m, extract(epoch FROM b.hold_end - b.cal_end)::float8 / 86400 / %2$s,
                                          c.x, c.tx, c.t) AS predicted
      FROM fits AS f CROSS JOIN calibration AS c CROSS JOIN bounds AS b
      LEFT JOIN holdout AS h ON h.customer_id = c.customer_id
     WHERE f.m IS NOT NULL
),
grouped AS (
    SELECT model, CASE WHEN GROUPING(least(x, 7)) = 1 THEN 'all'
                       WHEN least(x, 7) = 7 THEN '7+' ELSE least(x, 7)::int::text END AS calibration_frequency,
           GROUPING(least(x, 7)) AS is_total, min(least(x, 7)) AS bucket,
           count(*) AS customers, sum(actual) AS actual_total, sum(predicted) AS predicted_total,
           avg(actual) AS actual_mean, avg(predicted) AS predicted_mean, avg(abs(actual - predicted)) AS mae
      FROM predicted
     GROUP BY GROUPING SETS ((model, least(x, 7)), (model))
),
best AS (
    SELECT model FROM grouped WHERE is_total = 1 ORDER BY mae, model LIMIT 1
)
SELECT g.model, g.calibration_frequency, g.customers, g.actual_total, g.predicted_total, g.actual_mean,
       g.predicted_mean, g.mae AS mean_absolute_error, (f.m::text::jsonb ->> 'log_likelihood')::float8 AS log_likelihood,
       g.model = (SELECT model FROM best) AS best, f.m AS model_value
  FROM grouped AS g JOIN fits AS f ON f.model = g.model
 ORDER BY g.model, g.is_total, g.bucket
$q$, source_schema, CASE unit WHEN 'weeks' THEN '7.0' ELSE '1.0' END, time_zone, bounds_query, unit)
$body$;
COMMENT ON FUNCTION supplymkt_internal.clv_holdout_query(text, text, text, text) IS
    'The query behind clv_holdout (and the customer dashboard''s model choice): calibration summaries up to cal_end, holdout repeat purchase days in (cal_end, hold_end], a BG/NBD, MBG/NBD and Pareto/NBD fit on the calibration period, and per model and calibration frequency the actual and predicted holdout purchases; bounds_query gives cal_end and hold_end.';

CREATE FUNCTION @extschema@.clv_holdout(source_schema text, calibration_end timestamptz, holdout_end timestamptz DEFAULT NULL,
                                        unit text DEFAULT 'days', time_zone text DEFAULT NULL)
    RETURNS TABLE (model text, calibration_frequency text, customers bigint, actual_total double precision,
                   predicted_total double precision, actual_mean double precision, predicted_mean double precision,
                   mean_absolute_error double precision, log_likelihood double precision, best boolean,
                   model_value @extschema@.clv_model)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tz text := COALESCE(time_zone, current_setting('TimeZone'));
    hold_end timestamptz := holdout_end;
BEGIN
    IF calibration_end IS NULL OR unit IS NULL THEN
        RAISE EXCEPTION 'calibration_end and unit must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF unit NOT IN ('days', 'weeks') THEN
        RAISE EXCEPTION 'unknown time unit "%"', unit
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''days'' or ''weeks''.';
    END IF;
    PERFORM supplymkt_internal.check_source(source_schema, ARRAY['orders.customer_id', 'orders.order_time'], 'clv_holdout');
    PERFORM supplymkt_internal.check_time_zone(tz);
    IF hold_end IS NULL THEN
        EXECUTE format('SELECT max(order_time) FROM %I.orders WHERE isfinite(order_time)', source_schema) INTO hold_end;
    END IF;
    IF NOT isfinite(calibration_end) OR hold_end IS NULL OR NOT isfinite(hold_end) OR hold_end <= calibration_end THEN
        RAISE EXCEPTION 'the holdout period (%, %] is empty', calibration_end, hold_end
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'calibration_end must be finite and before holdout_end (default: the latest order).';
    END IF;
    RETURN QUERY EXECUTE supplymkt_internal.clv_holdout_query(source_schema, unit, tz,
        format('SELECT %L::timestamptz AS cal_end, %L::timestamptz AS hold_end', calibration_end, hold_end));
END;
$$;
COMMENT ON FUNCTION @extschema@.clv_holdout(text, timestamptz, timestamptz, text, text) IS
    'Holdout validation of the purchase models, as in Fader, Hardie & Lee (2005): each customer''s orders in source_schema.orders (customer_id, order_time) up to calibration_end give frequency, recency and t (purchase days in time_zone, default the session''s); BG/NBD, MBG/NBD and Pareto/NBD are fitted on them (clv_fit, in unit); each model''s expected purchases over the holdout (calibration_end, holdout_end] (default: up to the latest order) are compared with the purchase days each customer actually had there. One row per model and calibration frequency (0 .. 6, 7+) and a row ''all'' per model: customers, actual and predicted totals and means per customer, the mean absolute error per customer, the calibration fit''s log-likelihood, best (the model with the lowest mean absolute error over all customers; ties by name) and the fitted calibration model. Customers whose first order is after calibration_end are not in it. Errors: 22004 NULL arguments, 22023 unknown unit or time zone or an empty holdout, 3F000 / 42P01 / 42703 for the source.';

CREATE FUNCTION supplymkt_internal.clv_model_query(source_schema text, time_zone text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%1$s,
holdout AS (
    SELECT h.model, h.mean_absolute_error, h.best
      FROM (%2$s) AS h
     WHERE h.calibration_frequency = 'all'
),
holdout_days AS (
    SELECT greatest(least(floor(extract(epoch FROM max(order_time) - min(order_time)) / 86400 / 3), 182), 14)::integer AS days
      FROM local
),
chosen AS (
    SELECT COALESCE((SELECT model FROM holdout WHERE best), 'auto') AS model
),
fitted AS (
    -- a repeat customer whose repeat orders are all worth 0 counts as unknown spend (Gamma-Gamma needs a positive mean)
    SELECT @extschema@.clv_fit(frequency::float8, recency_bgnbd, age_days, NULLIF(monetary_repeat_mean, 0),
                               (SELECT model FROM chosen), 'days') AS m
      FROM flat
)
SELECT 'clv'::text AS name, 'supplymkt.clv_model'::text AS model_type, f.m AS model, now() AS fitted_at,
       CASE WHEN EXISTS (SELECT 1 FROM holdout)
            THEN format('%%s (purchases) + Gamma-Gamma (spend) in days on %%s customers as of %%s; %%s has the lowest holdout error: mean absolute error per customer of the purchase days in the last %%s days predicted from the days before, %%s.',
                        (SELECT model FROM chosen), (SELECT count(*) FROM flat), (SELECT as_of FROM bounds),
                        (SELECT model FROM chosen), (SELECT days FROM holdout_days),
                        (SELECT string_agg(format('%%s %%s', model, round(mean_absolute_error::numeric, 4)), ', ' ORDER BY model) FROM holdout))
            ELSE format('%%s (purchases) + Gamma-Gamma (spend) in days on %%s customers as of %%s; the data span under 42 days leaves no holdout, so the purchase model with the highest log-likelihood was chosen.',
                        f.m::text::jsonb ->> 'model', (SELECT count(*) FROM flat), (SELECT as_of FROM bounds))
       END AS note
  FROM fitted AS f
$q$, supplymkt_internal.customer_summary_ctes(source_schema, time_zone),
     supplymkt_internal.clv_holdout_query(source_schema, 'days', time_zone, pg_catalog.format($b$
SELECT CASE WHEN span >= 42 THEN hold_end - make_interval(days => greatest(least(floor(span / 3), 182), 14)::integer) END AS cal_end,
       hold_end
  FROM (SELECT max(order_time) AS hold_end, extract(epoch FROM max(order_time) - min(order_time)) / 86400 AS span
          FROM %1$I.orders WHERE customer_id IS NOT NULL AND order_time IS NOT NULL AND isfinite(order_time)) AS s$b$,
                                   source_schema)))
$body$;
COMMENT ON FUNCTION supplymkt_internal.clv_model_query(text, text) IS
    'The SELECT behind clv_model_mv: one row (name clv) with the CLV model of source_schema as of its latest order: BG/NBD, MBG/NBD and Pareto/NBD compared by clv_holdout over the last third of the data''s span (14 to 182 days), the one with the lowest mean absolute error refitted on every customer with Gamma-Gamma spend, and a note saying which and why (used by create_dashboards; handy to read or EXPLAIN).';

CREATE FUNCTION supplymkt_internal.recommend_models_query(source_schema text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
line AS MATERIALIZED (
    SELECT o.order_id, o.customer_id, oi.product_id
      FROM %1$I.orders AS o
      JOIN %1$I.order_items AS oi ON oi.order_id = o.order_id
)
SELECT 'item_neighbors'::text AS name, 'supplymkt.item_neighbors'::text AS model_type, (SELECT @extschema@.item_similarity(l.customer_id, l.product_id) FROM line AS l)::text AS model,
       now() AS fitted_at,
       'item_similarity(orders.customer_id, order_items.product_id) over every order line: cosine of the customers'' purchase vectors (weight = order lines of the product per customer), the 20 most similar products per product; read it as supplymkt.item_neighbors.'::text AS note
UNION ALL
SELECT 'assoc_rules', 'supplymkt.assoc_rules_model', (SELECT @extschema@.assoc_rules(l.order_id, l.product_id,
                                                     @extschema@.assoc_rules_options(min_support => 0.002, min_confidence => 0.1))
                         FROM line AS l)::text,
       now(),
       'assoc_rules over the orders as baskets (order_items.product_id per orders.order_id): itemsets of at most 3 products in at least 0.2%% of the orders, rules with confidence >= 0.1; read it as supplymkt.assoc_rules_model.'
$q$, source_schema)
$body$;
COMMENT ON FUNCTION supplymkt_internal.recommend_models_query(text) IS
    'The SELECT behind recommend_models_mv: the item_neighbors model (item_similarity over every order line of source_schema, cosine, top 20) and the assoc_rules model (orders as baskets, min_support 0.002, min_confidence 0.1) as text, one row each (used by create_dashboards; handy to read or EXPLAIN).';

CREATE FUNCTION supplymkt_internal.persona_points_ctes(source_schema text, target_schema text, with_clv boolean,
                                                       with_channel boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
customer AS MATERIALIZED (
    SELECT d.customer_id, d.name, d.as_of, d.segment AS rfm_segment, d.rfm_code, d.r_score, d.f_score, d.m_score,
           d.recency_days, d.orders, d.monetary_total%4$s
      FROM %2$I.customer_dashboard_mv AS d
),
bought AS MATERIALIZED (
    -- the orders customer_dashboard_mv summarised: none after its as_of, so refreshing this view later does
    -- not mix newer orders into the dashboard's numbers
    SELECT o.order_id, o.customer_id, %5$s AS channel
      FROM %1$I.orders AS o
     WHERE o.customer_id IS NOT NULL AND o.order_time IS NOT NULL AND isfinite(o.order_time)
       AND o.order_time <= (SELECT max(as_of) FROM customer)
),
spend AS MATERIALIZED (
    -- revenue per customer and category (NULL category or unknown product: '(uncategorized)'); only
    -- positive totals are kept
    SELECT b.customer_id, COALESCE(p.category, '(uncategorized)') AS category,
           sum(oi.quantity * oi.unit_price)::float8 AS revenue
      FROM bought AS b
      JOIN %1$I.order_items AS oi ON oi.order_id = b.order_id
      LEFT JOIN %1$I.products AS p ON p.product_id = oi.product_id
     GROUP BY 1, 2
    HAVING sum(oi.quantity * oi.unit_price) > 0
),
category AS MATERIALIZED (
    -- the categories of the feature vector, in byte order of their names (COLLATE "C": the same in every database)
    SELECT c.category, row_number() OVER (ORDER BY c.category COLLATE "C") AS position
      FROM (SELECT DISTINCT category FROM spend) AS c
),
share AS (
    SELECT s.customer_id, s.category, s.revenue / sum(s.revenue) OVER (PARTITION BY s.customer_id) AS share
      FROM spend AS s
),
mix AS (
    SELECT c.customer_id, array_agg(COALESCE(s.share, 0) ORDER BY k.position) AS shares
      FROM customer AS c
     CROSS JOIN category AS k
      LEFT JOIN share AS s ON s.customer_id = c.customer_id AND s.category = k.category
     GROUP BY c.customer_id
),
feature AS MATERIALIZED (
    -- recency as is (bounded by the data's span), orders and monetary total through ln(1 + x): both are
    -- heavy-tailed, and on the raw scale a few big spenders would pull whole clusters; then the category shares
    SELECT c.*, ARRAY[c.recency_days, ln(1 + c.orders::float8), ln(1 + c.monetary_total::float8)]
                || COALESCE(m.shares, '{}'::float8[]) AS features
      FROM customer AS c
      LEFT JOIN mix AS m ON m.customer_id = c.customer_id
),
scaling AS (
    -- z-scores over all customers (population standard deviation; 1 for a constant feature), each category
    -- share further divided by sqrt(number of categories) so that the category mix as a whole weighs as much as
    -- recency, frequency or monetary value alone: unweighted, 16 categories would outvote the three RFM features,
    -- and a customer alone in a rare category (a share many standard deviations from its mean of ~0) would
    -- become a persona of its own
    SELECT array_agg(x.mean ORDER BY x.position) AS mean, array_agg(x.scale ORDER BY x.position) AS scale
      FROM (SELECT u.position, avg(u.value) AS mean,
                   COALESCE(NULLIF(stddev_pop(u.value), 0), 1)
                   * CASE WHEN u.position > 3 THEN sqrt(max(cardinality(f.features)) - 3) ELSE 1 END AS scale
              FROM feature AS f CROSS JOIN LATERAL unnest(f.features) WITH ORDINALITY AS u(value, position)
             GROUP BY u.position) AS x
),
point AS MATERIALIZED (
    SELECT f.customer_id,
           ARRAY(SELECT (f.features[i] - sc.mean[i]) / sc.scale[i] FROM generate_subscripts(f.features, 1) AS i
                  ORDER BY i) AS z
      FROM feature AS f CROSS JOIN scaling AS sc
)$q$, source_schema, target_schema, NULL,
     CASE WHEN with_clv THEN ', clv_12m' ELSE '' END,
     CASE WHEN with_channel THEN 'o.channel::text' ELSE 'NULL::text' END)
$body$;
COMMENT ON FUNCTION supplymkt_internal.persona_points_ctes(text, text, boolean, boolean) IS
    'The common table expressions of the persona features and scaled points (customer ... point) over target_schema.customer_dashboard_mv and the orders of source_schema; shared by persona_model_query and customer_personas_query.';

CREATE FUNCTION supplymkt_internal.persona_model_query(source_schema text, target_schema text, segments integer)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%1$s,
fit AS (
    -- kmeans_fit needs k distinct points: fewer personas when there are fewer distinct customers
    SELECT least(%2$s, count(DISTINCT z))::integer AS k FROM point
)
SELECT 'personas'::text AS name, 'supplymkt.kmeans_model'::text AS model_type,
       (SELECT @extschema@.kmeans_fit(p.z, (SELECT k FROM fit), 0, 10, 300, 1e-4, false) FROM point AS p) AS model,
       now() AS fitted_at,
       format('kmeans_fit(z, %%s, seed 0, n_init 10, max_iter 300, tol 1e-4, no standardization) over %%s customers: z = [recency_days, ln(1 + orders), ln(1 + monetary_total), category shares] z-scored, shares divided by sqrt(categories); see customer_personas.',
              (SELECT k FROM fit), (SELECT count(*) FROM point)) AS note
$q$, supplymkt_internal.persona_points_ctes(source_schema, target_schema, false, false), segments)
$body$;
COMMENT ON FUNCTION supplymkt_internal.persona_model_query(text, text, integer) IS
    'The SELECT behind persona_model_mv: one row (name personas) with the k-means model of the personas, kmeans_fit(scaled features, least(segments, distinct customers), 0, 10, 300, 1e-4, false) over every customer of target_schema.customer_dashboard_mv (used by create_dashboards; handy to read or EXPLAIN).';

-- sell_through_rate: rows with a NULL left out (as fill_rate); the retail form with opening stock
COMMENT ON TYPE @extschema@.sell_through_state IS 'Partial-aggregate state of both sell_through_rate forms: rows counted (n_sold = n_received) and the sums of units sold and of units available (sum_received: received, plus opening stock in the three-argument form). Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.sell_through_rate_transfn(@extschema@.sell_through_state, double precision, double precision) IS 'Transition function of sell_through_rate(sold, received).';
COMMENT ON FUNCTION supplymkt_internal.sell_through_rate_final(@extschema@.sell_through_state) IS 'Final function of both sell_through_rate forms: units sold / units available, NULL when none were available.';
COMMENT ON AGGREGATE @extschema@.sell_through_rate(double precision, double precision) IS
    'Sell-through for data without opening stock: sum(sold) / sum(received) over the rows where both are non-NULL (NULL rules as fill_rate: a row with a NULL is left out; pass 0, not NULL, for a row that only sells or only receives); can exceed 1 when stock on hand before the period is sold. NULL when nothing was received. Negative, NaN or infinite inputs raise 22023. The retail definition with opening stock is sell_through_rate(sold, opening_stock, received).';
CREATE FUNCTION supplymkt_internal.sell_through_rate_stock_transfn(@extschema@.sell_through_state, double precision, double precision, double precision)
    RETURNS @extschema@.sell_through_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.sell_through_rate(sold double precision, opening_stock double precision, received double precision) (
    SFUNC = supplymkt_internal.sell_through_rate_stock_transfn, STYPE = @extschema@.sell_through_state,
    COMBINEFUNC = supplymkt_internal.sell_through_state_combine, FINALFUNC = supplymkt_internal.sell_through_rate_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION supplymkt_internal.sell_through_rate_stock_transfn(@extschema@.sell_through_state, double precision, double precision, double precision) IS 'Transition function of sell_through_rate(sold, opening_stock, received).';
COMMENT ON AGGREGATE @extschema@.sell_through_rate(double precision, double precision, double precision) IS
    'Retail sell-through: sum(sold) / (sum(opening_stock) + sum(received)), units sold over units available for sale, over the rows where all three are non-NULL (NULL rules as fill_rate: a row with a NULL is left out; pass 0 for a value a row does not carry). In [0, 1] while stock counts and sales agree. NULL when no units were available. Negative, NaN or infinite inputs raise 22023.';

-- dashboard supply_dashboard
SELECT supplymkt_internal.register_dashboard(
    name => 'supply_dashboard', family => 'supply', build_order => 100,
    query_call => 'supplymkt_internal.supply_dashboard_query(%1$L, %3$L)',
    unique_key => ARRAY['scope', 'category', 'month'],
    source_columns => ARRAY['products.product_id', 'products.category', 'products.first_listed', 'products.unit_cost', 'orders.order_id', 'orders.order_time', 'order_items.order_id', 'order_items.product_id', 'order_items.quantity', 'order_items.unit_price', 'inventory_snapshots.snapshot_date', 'inventory_snapshots.product_id', 'inventory_snapshots.on_hand', 'inventory_snapshots.inventory_value', 'purchase_orders.product_id', 'purchase_orders.order_date', 'purchase_orders.quantity', 'purchase_orders.received_date', 'purchase_orders.received_quantity', 'shipments.order_id', 'shipments.promised_date', 'shipments.delivered_time', 'returns.order_id', 'returns.product_id', 'returns.quantity', 'reviews.product_id', 'reviews.rating', 'reviews.review_time'],
    title => 'Supply dashboard',
    mv_comment => 'Supply dashboard built by supplymkt.create_dashboards from schema %1$s (months in time zone %3$s): one row per (category, month) with scope = ''category'' and one per month with scope = ''overall'' and category = ''(all)''. Months span the first to the last month with orders or inventory snapshots (activity outside that window, such as purchase orders placed earlier, is left out); every category has a row in every month. Refresh with supplymkt.refresh_dashboards(%2$L) (CONCURRENTLY: unique index supply_dashboard_mv_key). Query the view supply_dashboard.',
    columns => ARRAY[
        ['scope', 'category: a row for one category; overall: all categories together.'],
        ['category', 'Product category (products.category; NULL categories are reported as ''(uncategorized)''); ''(all)'' on overall rows. Never NULL.'],
        ['month', 'First day of the calendar month (orders, shipments, returns and reviews bucketed in the time zone given to create_dashboards).'],
        ['abc_class', 'ABC class of the category by its revenue over the whole period (abc_class: A up to 80% of cumulative revenue, B up to 95%, else C); the same in every month. NULL on overall rows.'],
        ['units_sold', 'Units sold in the month: sum(order_items.quantity) of orders placed in the month. 0 without sales.'],
        ['revenue', 'Revenue of the month: sum(quantity * order_items.unit_price), in the currency of the source data. 0 without sales.'],
        ['cogs', 'Cost of goods sold in the month: sum(quantity * products.unit_cost), in the currency of the source data. 0 without sales.'],
        ['opening_stock', 'Units on hand when the month opened: the sum of on_hand (negative counts as 0) at the last inventory snapshot of the previous month, or at the month''s first snapshot when the previous month has none (the first month of the data). 0 without snapshots.'],
        ['units_received', 'Units received from suppliers in the month: sum(purchase_orders.received_quantity) by received_date. 0 without receipts.'],
        ['units_returned', 'Units returned from the orders placed in the month (returns attributed to their order''s month). 0 without returns.'],
        ['reviews', 'Number of reviews written in the month. 0 without reviews.'],
        ['avg_inventory_value', 'Average over the month''s snapshot dates of the total inventory value on that date (sum of inventory_snapshots.inventory_value), in the currency of the source data. NULL without snapshots.'],
        ['inventory_turnover', 'Inventory turnover of the month (inventory_turnover: cogs / avg_inventory_value), not annualized. NULL without snapshots or with zero average inventory.'],
        ['annualized_turnover', 'inventory_turnover * 365 / days in the month: turns per year at this month''s pace (the scale the score uses). NULL when inventory_turnover is.'],
        ['stockout_rate', 'Share 0..1 of the month''s inventory snapshots with on_hand <= 0 (stockout_rate). NULL without snapshots.'],
        ['fill_rate', 'Supplier unit fill rate 0..1 of the purchase orders placed in the month (fill_rate(quantity, received_quantity); over-delivery counts as filled). Lines not yet received (NULL received_quantity) are left out; NULL when none remain.'],
        ['sell_through_rate', 'Retail sell-through of the month: units_sold / (opening_stock + units_received) (sell_through_rate(sold, opening_stock, received)), 0..1 while stock counts and sales agree. NULL when no units were available (no opening stock and nothing received).'],
        ['renewal_rate', 'Share 0..1 of the assortment (products listed by the month''s end; unknown first_listed counts as long listed) first listed in the month (renewal_rate). NULL when the assortment is empty.'],
        ['demand_cv', 'Coefficient of variation of daily units sold in the month (demand_cv), zero-sale days included, over the days from the first to the last order day of the data. NULL with fewer than 2 days or no sales.'],
        ['diversity', 'Evenness 0..1 (Pielou) of the category mix of the products listed by the month''s end (assortment_diversity(category).evenness). Defined on overall rows only: NULL on category rows (a single category has no mix) and with a single category.'],
        ['on_time_rate', 'Share 0..1 of delivered shipments of the month''s orders with delivered_time (as a date in the dashboard time zone) <= promised_date. On category rows a shipment counts for each category its order contains. Undelivered shipments are left out; NULL when none.'],
        ['return_rate', 'units_returned / units_sold for the orders of the month. NULL when nothing was sold.'],
        ['mean_rating', 'Mean review rating (1..5) of the reviews written in the month. NULL without reviews.'],
        ['supply_capability_score', 'Composite score 0..100 (supply_capability_score) from annualized_turnover, fill_rate, stockout_rate, renewal_rate, diversity, on_time_rate, return_rate and mean_rating with the weights in supplymkt.score_weights; NULL indicators are left out and the weights renormalized. NULL when every indicator is NULL.']]);

-- dashboard product_abc_xyz
SELECT supplymkt_internal.register_dashboard(
    name => 'product_abc_xyz', family => 'supply', build_order => 110,
    query_call => 'supplymkt_internal.product_abc_xyz_query(%1$L, %3$L, supplymkt_internal.source_has_column(%1$L, ''products'', ''name''))',
    unique_key => ARRAY['product_id'],
    source_columns => ARRAY['products.product_id', 'products.category', 'products.first_listed', 'orders.order_id', 'orders.order_time', 'order_items.order_id', 'order_items.product_id', 'order_items.quantity', 'order_items.unit_price'],
    title => 'Product ABC/XYZ classification',
    key_note => 'Requires product_id to be unique in products.',
    mv_comment => 'Product ABC/XYZ classification built by supplymkt.create_dashboards from schema %1$s (weeks in time zone %3$s): one row per product over the whole period. Refresh with supplymkt.refresh_dashboards(%2$L). Query the view product_abc_xyz.',
    columns => ARRAY[
        ['product_id', 'Product (products.product_id).'],
        ['name', 'The product''s name (products.name, an optional column of the canonical model); NULL when the source has no such column.'],
        ['category', 'Product category; NULL categories are reported as ''(uncategorized)''.'],
        ['units_sold', 'Units sold over the whole period. 0 without sales.'],
        ['revenue', 'Revenue over the whole period: sum(quantity * order_items.unit_price), in the currency of the source data. 0 without sales.'],
        ['abc_class', 'ABC class by revenue among all products (abc_class: A up to 80% of cumulative revenue, B up to 95%, else C; products without sales are C).'],
        ['weeks_observed', 'Weeks (Monday to Sunday) from the later of the first order week and the product''s listing week to the last order week: the series demand_cv reads. 0 when the product was listed after the last order.'],
        ['demand_cv', 'Coefficient of variation of weekly units sold (demand_cv), zero-sale weeks included. NULL with fewer than 2 weeks or no sales.'],
        ['xyz_class', 'XYZ class from demand_cv (xyz_class: X when cv <= 0.5, Y when cv <= 1.0, else Z). NULL when demand_cv is NULL.']]);

-- dashboard customer_dashboard
SELECT supplymkt_internal.register_dashboard(
    name => 'customer_dashboard', family => 'customers', build_order => 200,
    query_call => 'supplymkt_internal.customer_dashboard_query(%1$L, %2$L, %3$L, supplymkt_internal.source_has_column(%1$L, ''customers'', ''name''))',
    unique_key => ARRAY['customer_id'],
    source_columns => ARRAY['orders.order_id', 'orders.customer_id', 'orders.order_time', 'order_items.order_id', 'order_items.quantity', 'order_items.unit_price'],
    title => 'Customer dashboard',
    mv_comment => 'Customer dashboard built by supplymkt.create_dashboards from schema %1$s (days in time zone %3$s): one row per customer with orders, as of the latest order in the data: the rfm_summary of the customer''s orders (order value = sum(quantity * unit_price) of its items), the R, F and M scores, code and named segment from rfm_breaks over all customers of the refresh and supplymkt.rfm_segments, and p_alive, expected purchases and CLV over the next 365 days from the CLV model of %2$I.clv_model_mv (the purchase model with the lowest holdout error, plus Gamma-Gamma spend), fitted on all customers by the same refresh. Refresh with supplymkt.refresh_dashboards(%2$L) (CONCURRENTLY: unique index customer_dashboard_mv_key). Query the view customer_dashboard.',
    columns => ARRAY[
        ['customer_id', 'Customer (orders.customer_id): every customer with at least one order with a finite order_time.'],
        ['name', 'The customer''s name (customers.name, an optional column of the canonical model); NULL when the source has no such column or no row for the customer.'],
        ['as_of', 'The time the summary is taken at: the latest order_time in the data at refresh time (a refresh of unchanged data gives the same numbers; with live data it is about now).'],
        ['orders', 'Orders of the customer (the RFM frequency the scores use).'],
        ['frequency', 'BG/NBD frequency: distinct purchase days after the first (calendar days in the dashboard time zone). 0 for customers who bought on one day only.'],
        ['recency_days', 'Days from the last order to as_of, fractional (the RFM recency the scores use; wall-clock time in the dashboard time zone).'],
        ['recency_bgnbd', 'BG/NBD recency t_x: whole days from the first to the last purchase day.'],
        ['age_days', 'BG/NBD customer age T: whole days from the first purchase day to the day of as_of.'],
        ['monetary_mean', 'Mean order value, rounded to cents. An order''s value is sum(quantity * unit_price) of its order_items, in the currency of the source data; an order without items, or with a negative total, counts as 0.'],
        ['monetary_repeat_mean', 'Gamma-Gamma spend input: mean of the daily order totals on the repeat purchase days, rounded to cents. NULL when frequency = 0.'],
        ['monetary_total', 'Total value of the customer''s orders, rounded to cents (the RFM monetary value the scores use, unrounded).'],
        ['first_order', 'Time of the first order.'],
        ['last_order', 'Time of the last order.'],
        ['r_score', 'Recency score 1..5, 5 = most recent: rfm_score under rfm_breaks(recency_days, orders, monetary_total) over all customers of the refresh (ties share a score; see rfm_breaks).'],
        ['f_score', 'Frequency score 1..5 by orders, 5 = most orders (ties share a score, so with most customers at 1 order some scores stay unused).'],
        ['m_score', 'Monetary score 1..5 by monetary_total, 5 = highest value.'],
        ['rfm_code', 'The three scores as one code, e.g. ''545''.'],
        ['segment', 'Named RFM segment from supplymkt.rfm_segments at refresh time (Champions, Loyal Customers, ...); ''(unassigned)'' when no row of the table matches.'],
        ['clv_model', 'The purchase model behind p_alive, expected_purchases_12m and clv_12m: bgnbd, mbgnbd or pnbd, the one with the lowest holdout error on this data (see the models view, name clv, for the errors and the fit). NULL when no model could be fitted.'],
        ['p_alive', 'Probability that the customer is still active at as_of, under clv_model fitted on every customer of this refresh (days). For one-time buyers (frequency 0) BG/NBD always gives 1 (it lets customers drop out only after a repeat purchase); MBG/NBD and Pareto/NBD let them drop out, so their p_alive falls with age_days. NULL when no model could be fitted (fewer than 10 customers, or no repeat purchase at all).'],
        ['expected_purchases_12m', 'Expected purchases in the 365 days after as_of (expected_purchases, same model) = p_alive x the purchases of an active customer: for BG/NBD one-time buyers that is the active rate whatever their age. NULL like p_alive.'],
        ['clv_12m', 'Expected value of the customer''s purchases in the 365 days after as_of, undiscounted, rounded to cents: clv_estimate (clv_model purchases x Gamma-Gamma expected spend, same fit; the spend model uses the repeat customers with a positive monetary_repeat_mean; one-time buyers get the population mean spend), in the currency of the source data. NULL like p_alive, and when the spend model could not be fitted (fewer than 10 such repeat customers).']]);

-- dashboard customer_segments
SELECT supplymkt_internal.register_dashboard(
    name => 'customer_segments', family => 'customers', build_order => 210,
    query_call => 'supplymkt_internal.customer_segments_query(%2$L, true)',
    unique_key => ARRAY['segment'],
    source_columns => ARRAY[]::text[],
    title => 'RFM segment summary',
    mv_comment => 'RFM segment summary built by supplymkt.create_dashboards from %2$I.customer_dashboard_mv: one row per segment of supplymkt.rfm_segments (at refresh time; segments without customers included) and ''(unassigned)'' when some customer matched no segment. refresh_dashboards(%2$L) refreshes it after customer_dashboard_mv (in build order); refreshing it alone summarises the customer dashboard as last refreshed. Query the view customer_segments.',
    columns => ARRAY[
        ['segment', 'RFM segment name (supplymkt.rfm_segments), or ''(unassigned)''.'],
        ['customers', 'Customers in the segment. 0 for a segment nobody is in.'],
        ['customer_share', 'customers / all customers of the dashboard, 0..1. NULL without customers.'],
        ['revenue', 'Sum of monetary_total of the segment''s customers (lifetime value of their orders up to as_of). 0 for an empty segment.'],
        ['revenue_share', 'revenue / the revenue of all customers, 0..1. NULL when the total is 0.'],
        ['mean_recency_days', 'Mean recency_days of the segment''s customers. NULL for an empty segment.'],
        ['mean_orders', 'Mean number of orders of the segment''s customers. NULL for an empty segment.'],
        ['mean_monetary_total', 'Mean monetary_total of the segment''s customers, rounded to cents. NULL for an empty segment.'],
        ['mean_clv_12m', 'Mean clv_12m (expected value of the next 365 days) of the segment''s customers, rounded to cents. NULL for an empty segment.'],
        ['total_clv_12m', 'Sum of clv_12m of the segment''s customers. NULL for an empty segment.'],
        ['mean_p_alive', 'Mean p_alive of the segment''s customers (see customer_dashboard.p_alive for what it means for one-time buyers under the chosen model). NULL for an empty segment.']]);

-- dashboard retention
SELECT supplymkt_internal.register_dashboard(
    name => 'retention', family => 'customers', build_order => 220,
    query_call => 'supplymkt_internal.retention_query(%1$L, 12, %3$L)',
    unique_key => ARRAY['cohort_month', 'month_offset'],
    source_columns => ARRAY['orders.customer_id', 'orders.order_time'],
    title => 'Cohort retention',
    mv_comment => 'Monthly cohort retention built by supplymkt.create_dashboards from schema %1$s (months in time zone %3$s): supplymkt.retention_cohorts(%1$L, 12, %3$L) as a materialized view, one row per (first-order month cohort, month offset 0..12) up to the last month with orders. Refresh with supplymkt.refresh_dashboards(%2$L). Query the view retention.',
    columns => ARRAY[
        ['cohort_month', 'First day of the cohort''s month: the month of its customers'' first order (in the dashboard time zone).'],
        ['month_offset', 'Months after the cohort month, 0..12 (0 = the cohort month itself); offsets after the last month with orders are not reported.'],
        ['cohort_customers', 'Customers whose first order fell in cohort_month.'],
        ['active_customers', 'Cohort customers with at least one order in the month cohort_month + month_offset. 0 when none.'],
        ['retention_rate', 'active_customers / cohort_customers, 0..1 (1 at offset 0).'],
        ['mom_retention', 'Month-over-month ratio active_customers(offset) / active_customers(offset - 1); can exceed 1 when customers return. NULL at offset 0 and after a month without activity.']]);

-- dashboard clv_model
SELECT supplymkt_internal.register_dashboard(
    name => 'clv_model', family => 'clv', build_order => 190,
    query_call => 'supplymkt_internal.clv_model_query(%1$L, %3$L)',
    unique_key => ARRAY['name'],
    source_columns => ARRAY['orders.order_id', 'orders.customer_id', 'orders.order_time', 'order_items.order_id', 'order_items.quantity', 'order_items.unit_price'],
    title => 'CLV model',
    mv_comment => 'The CLV model of the dashboards built by supplymkt.create_dashboards from schema %1$s (days in time zone %3$s): one row, the purchase model (BG/NBD, MBG/NBD or Pareto/NBD) with the lowest holdout error on this data plus the Gamma-Gamma spend model, fitted on every customer as of the latest order; customer_dashboard reads it. Refresh with supplymkt.refresh_dashboards(%2$L). Also listed in the view models.',
    columns => ARRAY[
        ['name', 'clv.'],
        ['model_type', 'supplymkt.clv_model: the type of model.'],
        ['model', 'The fitted supplymkt.clv_model (JSON text: model, parameters, log-likelihood, standard errors, spend parameters). NULL with fewer than 10 customers or no repeat purchase.'],
        ['fitted_at', 'When this create or refresh fitted it.'],
        ['note', 'Which purchase model was chosen and why: the holdout period and each model''s mean absolute error per customer.']],
    lists_models => true);

-- dashboard persona_model
SELECT supplymkt_internal.register_dashboard(
    name => 'persona_model', family => 'kmeans', build_order => 295,
    query_call => 'supplymkt_internal.persona_model_query(%1$L, %2$L, %4$s)',
    unique_key => ARRAY['name'],
    source_columns => ARRAY['products.product_id', 'products.category', 'orders.order_id', 'orders.customer_id', 'orders.order_time', 'order_items.order_id', 'order_items.product_id', 'order_items.quantity', 'order_items.unit_price'],
    title => 'Persona model',
    mv_comment => 'The k-means model of the personas built by supplymkt.create_dashboards from %2$I.customer_dashboard_mv and the orders of schema %1$s: one row, kmeans_fit(scaled features, least(%4$s, distinct customers), 0, 10, 300, 1e-4, false) over every customer (features as in customer_personas_mv); customer_personas reads it. Refresh with supplymkt.refresh_dashboards(%2$L). Also listed in the view models.',
    columns => ARRAY[
        ['name', 'personas.'],
        ['model_type', 'supplymkt.kmeans_model: the type of model.'],
        ['model', 'The fitted supplymkt.kmeans_model (JSON text: centroids, sizes, inertia, ...). NULL without customers.'],
        ['fitted_at', 'When this create or refresh fitted it.'],
        ['note', 'How it was fitted: k, options and the number of customers.']],
    lists_models => true);

-- dashboard customer_personas
SELECT supplymkt_internal.register_dashboard(
    name => 'customer_personas', family => 'kmeans', build_order => 300,
    query_call => 'supplymkt_internal.customer_personas_query(%1$L, %2$L, %4$s, true, supplymkt_internal.source_has_column(%1$L, ''orders'', ''channel''))',
    unique_key => ARRAY['customer_id'],
    source_columns => ARRAY['products.product_id', 'products.category', 'orders.order_id', 'orders.customer_id', 'orders.order_time', 'order_items.order_id', 'order_items.product_id', 'order_items.quantity', 'order_items.unit_price'],
    title => 'Customer personas',
    mv_comment => 'Customer personas built by supplymkt.create_dashboards from %2$I.customer_dashboard_mv and the orders of schema %1$s: one row per customer of the customer dashboard with its k-means persona. Features: [recency_days, ln(1 + orders), ln(1 + monetary_total), then the share of the customer''s revenue in each category, categories in byte order of their names]; orders and monetary_total enter through ln(1 + x) because both are heavy-tailed (on the raw scale a few big spenders would pull whole clusters). Each feature is z-scored over all customers (population standard deviation) and each share further divided by sqrt(number of categories), so the category mix as a whole weighs as much as recency, frequency or monetary value alone (unweighted, the many share features would outvote the three RFM features and a lone buyer of a rare category would become a persona of its own). The model is supplymkt.kmeans_fit(scaled features, k, 0, 10, 300, 1e-4, false) (seed 0, n_init 10) over all customers with k = least(%4$s, distinct customers), fitted by persona_model_mv in the same refresh; the fixed seed keeps the persona numbers stable while the data does not change (clusters are numbered by descending size). Category revenue and channels come from the orders up to the dashboard''s as_of. refresh_dashboards(%2$L) refreshes it after customer_dashboard_mv (in build order); refreshing it alone reads the customer dashboard as last refreshed. Query the view customer_personas.',
    columns => ARRAY[
        ['customer_id', 'Customer (customer_dashboard_mv.customer_id).'],
        ['name', 'The customer''s name (customer_dashboard_mv.name; NULL when the source has no customers.name).'],
        ['persona', 'k-means persona 1..k: kmeans_assign(model, scaled features), the nearest centroid of the model fitted on all customers of this refresh (see the comment on customer_personas_mv for the scaling). Personas are numbered by descending size (ties: lexicographic order of the centroid). See persona_segments for what each one looks like.'],
        ['persona_distance', 'Euclidean distance from the customer''s scaled features to the persona''s centroid, in the space the model was fitted in (z-scores, shares weighted by 1/sqrt(number of categories); kmeans_distance): small = typical of the persona.'],
        ['rfm_segment', 'Named RFM segment (customer_dashboard_mv.segment).'],
        ['rfm_code', 'The R, F and M scores as one code (customer_dashboard_mv.rfm_code).'],
        ['r_score', 'Recency score 1..5, 5 = most recent (customer_dashboard_mv.r_score).'],
        ['f_score', 'Frequency score 1..5 by orders (customer_dashboard_mv.f_score).'],
        ['m_score', 'Monetary score 1..5 by monetary_total (customer_dashboard_mv.m_score).'],
        ['recency_days', 'Days from the last order to as_of, fractional (customer_dashboard_mv.recency_days); feature 1.'],
        ['orders', 'Orders of the customer (customer_dashboard_mv.orders); feature 2 is ln(1 + orders).'],
        ['monetary_total', 'Total value of the customer''s orders (customer_dashboard_mv.monetary_total); feature 3 is ln(1 + monetary_total).'],
        ['clv_12m', 'Expected value of the next 365 days (customer_dashboard_mv.clv_12m; NULL where that is). Not a feature.'],
        ['favourite_category', 'Category with the most revenue from the customer (sum(quantity * unit_price) of the order lines; ties: the first name in byte order). NULL when no category has a positive revenue.'],
        ['favourite_channel', 'orders.channel of most of the customer''s orders (ties: the first name in byte order; NULL channels left out). NULL when no order has a channel, and in every row when the source orders have no channel column.'],
        ['category_revenue', 'Revenue by category as a JSON object {category: revenue}, categories with a positive revenue only (NULL category or unknown product: ''(uncategorized)''): the basis of the share features and of favourite_category.'],
        ['features', 'The feature vector the model was fitted on and the persona assigned from, before scaling: [recency_days, ln(1 + orders), ln(1 + monetary_total), share of category_revenue in each category], the categories being every category with a positive revenue from some customer, in byte order of their names (persona_segments.feature_names lists them). The shares are 0 for a customer without positive category revenue.'],
        ['as_of', 'The time the customer dashboard was taken at (customer_dashboard_mv.as_of); orders after it are left out here too.']]);

-- dashboard persona_segments
SELECT supplymkt_internal.register_dashboard(
    name => 'persona_segments', family => 'kmeans', build_order => 310,
    query_call => 'supplymkt_internal.persona_segments_query(%2$L, true)',
    unique_key => ARRAY['persona'],
    source_columns => ARRAY[]::text[],
    title => 'Persona summary',
    mv_comment => 'Persona summary built by supplymkt.create_dashboards from %2$I.customer_personas_mv: one row per persona with its size, customer and revenue shares, mean CLV over 12 months, centroid (the mean of its customers'' feature vectors; recency, orders and monetary total also back in their own units), plain means, top category and a descriptive label. refresh_dashboards(%2$L) refreshes it after customer_personas_mv (in build order); refreshing it alone summarises the personas as last refreshed. Query the view persona_segments.',
    columns => ARRAY[
        ['persona', 'k-means persona 1..k (customer_personas.persona).'],
        ['label', 'What tells the persona apart: its place among the personas on value, frequency and recency (centroid_monetary_total, centroid_orders and centroid_recency_days, rounded to 6 decimals, ranked; ties share a place), in thirds: ''high'' / ''mid'' / ''low value'', ''frequent'' / ''regular'' / ''occasional'', ''recent'' / ''cooling'' / ''lapsing'', joined with '' / ''. Personas that would share a label get '' / '' and their top category, then '' #'' and their number, so every label is distinct.'],
        ['customers', 'Customers in the persona.'],
        ['customer_share', 'customers / all customers, 0..1.'],
        ['revenue', 'Sum of monetary_total of the persona''s customers.'],
        ['revenue_share', 'revenue / the revenue of all customers, 0..1. NULL when the total is 0.'],
        ['mean_clv_12m', 'Mean clv_12m (expected value of the next 365 days) of the persona''s customers, over those that have one. NULL when none has.'],
        ['centroid_recency_days', 'Centroid in days: the mean recency_days of the persona''s customers (the centroid''s first coordinate).'],
        ['centroid_orders', 'Centroid in orders: exp(mean of ln(1 + orders)) - 1 over the persona''s customers, i.e. the centroid''s second coordinate back in orders (a geometric-type mean, at most mean_orders).'],
        ['centroid_monetary_total', 'Centroid in currency: exp(mean of ln(1 + monetary_total)) - 1 over the persona''s customers, the centroid''s third coordinate back in the units of monetary_total (at most mean_monetary_total).'],
        ['mean_recency_days', 'Plain mean of recency_days of the persona''s customers (= centroid_recency_days).'],
        ['mean_orders', 'Plain mean of orders of the persona''s customers.'],
        ['mean_monetary_total', 'Plain mean of monetary_total of the persona''s customers.'],
        ['top_category', 'Category with the most revenue from the persona''s customers (sum of their category_revenue; ties: the first name in byte order). NULL when none has category revenue.'],
        ['top_category_share', 'top_category''s share of the persona''s category revenue, 0..1.'],
        ['centroid', 'The centroid in feature space (input units, before standardization): the mean of the members'' feature vectors, in the layout of customer_personas.features and feature_names. The model''s own centroid (kmeans_centroids(model).centroid_original) can differ slightly: a fit that stops on its tolerance ends with an assignment step that is not followed by a centroid update.'],
        ['feature_names', 'Names of the features, in order: recency_days, ln(1 + orders), ln(1 + monetary_total), then share:<category> per category in byte order. The same in every row.']]);

-- dashboard recommend_models
SELECT supplymkt_internal.register_dashboard(
    name => 'recommend_models', family => 'recommend', build_order => 390,
    query_call => 'supplymkt_internal.recommend_models_query(%1$L)',
    unique_key => ARRAY['name'],
    source_columns => ARRAY['orders.order_id', 'orders.customer_id', 'order_items.order_id', 'order_items.product_id'],
    title => 'Recommendation models',
    mv_comment => 'The recommendation models of the dashboards built by supplymkt.create_dashboards from schema %1$s, fitted once per refresh and read by item_neighbors and user_recommendations: item_neighbors (supplymkt.item_similarity over every order line) and assoc_rules (supplymkt.assoc_rules over the orders as baskets), as text. Refresh with supplymkt.refresh_dashboards(%2$L). Also listed in the view models; recommend() for a cart needs no refit: SELECT * FROM supplymkt.recommend((SELECT model::supplymkt.item_neighbors FROM %2$I.models WHERE name = ''item_neighbors''), ARRAY[1, 2]).',
    columns => ARRAY[
        ['name', 'item_neighbors or assoc_rules.'],
        ['model_type', 'The SQL type to cast model to: supplymkt.item_neighbors or supplymkt.assoc_rules_model.'],
        ['model', 'The model in its text form: cast it to supplymkt.item_neighbors or supplymkt.assoc_rules_model. NULL without order lines.'],
        ['fitted_at', 'When this create or refresh fitted it.'],
        ['note', 'How it was fitted.']],
    lists_models => true);

-- dashboard item_neighbors
SELECT supplymkt_internal.register_dashboard(
    name => 'item_neighbors', family => 'recommend', build_order => 400,
    query_call => 'supplymkt_internal.item_neighbors_query(%1$L, %2$L, supplymkt_internal.source_has_column(%1$L, ''products'', ''name''))',
    unique_key => ARRAY['item_id', 'rank'],
    source_columns => ARRAY['orders.order_id', 'orders.customer_id', 'order_items.order_id', 'order_items.product_id'],
    title => 'Item neighbours',
    mv_comment => 'Item neighbours built by supplymkt.create_dashboards from schema %1$s: supplymkt.neighbors of supplymkt.item_similarity(orders.customer_id, order_items.product_id) over every order line (cosine of the customers'' purchase vectors, weight = order lines of the product per customer, the 20 most similar products per product, pairs without a common customer left out): one row per (product, neighbour). Refresh with supplymkt.refresh_dashboards(%2$L) (CONCURRENTLY: unique index item_neighbors_mv_key). Query the view item_neighbors.',
    columns => ARRAY[
        ['item_id', 'Product (order_items.product_id) bought by at least one customer.'],
        ['item_name', 'The product''s name (products.name, an optional column of the canonical model); NULL when the source has no such column or no row for the product.'],
        ['rank', 'Rank of the neighbour among the product''s neighbours, 1 = most similar (ties: lower neighbor_id first); at most 20 per product.'],
        ['neighbor_id', 'A product bought by some customer who also bought item_id.'],
        ['neighbor_name', 'The neighbour''s name (products.name); NULL like item_name.'],
        ['score', 'Cosine similarity 0..1 of the two products'' customer vectors (each customer''s number of order lines of the product): sum over customers of w(c, item) w(c, neighbour) / (||w_item|| ||w_neighbour||). 1 = bought by exactly the same customers in the same proportions.'],
        ['support', 'Customers who bought both products (the evidence behind score).']]);

-- dashboard user_recommendations
SELECT supplymkt_internal.register_dashboard(
    name => 'user_recommendations', family => 'recommend', build_order => 410,
    query_call => 'supplymkt_internal.user_recommendations_query(%1$L, %2$L, supplymkt_internal.source_has_column(%1$L, ''products'', ''name''))',
    unique_key => ARRAY['customer_id', 'rank'],
    source_columns => ARRAY['orders.order_id', 'orders.customer_id', 'order_items.order_id', 'order_items.product_id'],
    title => 'Per-customer recommendations',
    mv_comment => 'Per-customer recommendations built by supplymkt.create_dashboards from schema %1$s: for every customer with an order, the top 10 of supplymkt.recommend(model, the products the customer bought, 10), the model being the item_neighbors model of recommend_models_mv (item_similarity over every order line, as in item_neighbors_mv). Products the customer bought are never recommended; score = sum of the similarities to the customer''s purchases (source ''similar''), and when fewer than 10 products are similar, the products bought by the most customers fill the list (source ''popular''). Refresh with supplymkt.refresh_dashboards(%2$L) (CONCURRENTLY: unique index user_recommendations_mv_key). Query the view user_recommendations.',
    columns => ARRAY[
        ['customer_id', 'Customer (orders.customer_id) with at least one order.'],
        ['rank', 'Rank 1..10 of the recommendation, 1 = best: the similar products by score (ties: lower item_id), then the popular ones.'],
        ['item_id', 'Recommended product (never one the customer has bought).'],
        ['item_name', 'The recommended product''s name (products.name, an optional column of the canonical model); NULL when the source has no such column or no row for the product.'],
        ['score', 'For source ''similar'': the sum of the product''s similarities (item_neighbors.score) to the products the customer bought. For source ''popular'': the number of customers who bought it.'],
        ['source', '''similar'' when the product is a neighbour of one of the customer''s purchases, ''popular'' when it fills the list from the most bought products.'],
        ['because', 'The customer''s purchases that made the product similar, largest contribution first (ties: lower id), at most 3; empty for popular products.'],
        ['reason', 'Readable explanation: ''because you bought '' and the because products by name (by id where a product has no name, e.g. ''because you bought 12, 7''), or ''popular''.']]);

-- dashboard product_rules
SELECT supplymkt_internal.register_dashboard(
    name => 'product_rules', family => 'recommend', build_order => 420,
    query_call => 'supplymkt_internal.product_rules_query(%1$L, %2$L, supplymkt_internal.source_has_column(%1$L, ''products'', ''name''))',
    unique_key => ARRAY['antecedent', 'consequent'],
    source_columns => ARRAY['orders.order_id', 'order_items.order_id', 'order_items.product_id'],
    title => 'Product association rules',
    mv_comment => 'Association rules built by supplymkt.create_dashboards from schema %1$s: supplymkt.rules of the assoc_rules model of recommend_models_mv (the orders as baskets of order_items.product_id, itemsets of at most 3 products in at least 0.2%% of the orders, confidence >= 0.1), one row per rule antecedent -> consequent, with the products'' names. Refresh with supplymkt.refresh_dashboards(%2$L) (CONCURRENTLY: unique index product_rules_mv_key). Query the view product_rules, e.g. ORDER BY lift DESC.',
    columns => ARRAY[
        ['antecedent', 'The products already in the basket (ids ascending).'],
        ['consequent', 'The products the rule predicts (ids ascending; disjoint from antecedent).'],
        ['antecedent_names', 'The antecedent''s product names in the same order (products.name; NULL elements, or all NULL, when the source has no names).'],
        ['consequent_names', 'The consequent''s product names in the same order (like antecedent_names).'],
        ['support', 'Share 0..1 of the orders that contain antecedent and consequent together.'],
        ['confidence', 'support / share of the orders containing antecedent: how often the consequent is bought when the antecedent is.'],
        ['lift', 'confidence / share of the orders containing consequent: > 1 means bought together more often than by chance.'],
        ['leverage', 'support - supp(antecedent) x supp(consequent): the co-occurrence beyond independence, as a share of the orders.'],
        ['conviction', '(1 - supp(consequent)) / (1 - confidence); Infinity when confidence is 1.'],
        ['count', 'Orders containing antecedent and consequent together.']]);

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
CREATE OR REPLACE FUNCTION @extschema@.create_dashboards(source_schema text, target_schema text, time_zone text DEFAULT NULL,
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
CREATE OR REPLACE FUNCTION @extschema@.refresh_dashboards(target_schema text, concurrently boolean DEFAULT true)
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

CREATE OR REPLACE FUNCTION supplymkt_internal.require_pg_cron(call_text text)
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

CREATE OR REPLACE FUNCTION @extschema@.schedule_refresh(target_schema text, cron_expression text,
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

CREATE OR REPLACE FUNCTION @extschema@.unschedule_refresh(target_schema text, database_name text DEFAULT pg_catalog.current_database())
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

-- Options values (kmeans_options, similarity_options, assoc_rules_options, clv_options) and the aggregates
-- that take them.

-- kmeans_options: kmeans_fit's tuning arguments by name (core options value, src/core/options.c), made by
-- supplymkt.kmeans_options(...) with named, defaulted arguments, validated when made, printed as JSON.
CREATE TYPE @extschema@.kmeans_options;
CREATE FUNCTION supplymkt_internal.kmeans_options_in(cstring, oid, integer) RETURNS @extschema@.kmeans_options
    AS 'MODULE_PATHNAME', 'kmeans_options_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_options_out(@extschema@.kmeans_options) RETURNS cstring
    AS 'MODULE_PATHNAME', 'kmeans_options_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_options_recv(internal, oid, integer) RETURNS @extschema@.kmeans_options
    AS 'MODULE_PATHNAME', 'kmeans_options_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_options_send(@extschema@.kmeans_options) RETURNS bytea
    AS 'MODULE_PATHNAME', 'kmeans_options_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.kmeans_options (
    INPUT = supplymkt_internal.kmeans_options_in, OUTPUT = supplymkt_internal.kmeans_options_out,
    RECEIVE = supplymkt_internal.kmeans_options_recv, SEND = supplymkt_internal.kmeans_options_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.kmeans_options IS 'Options of kmeans_fit (k required; seed 0, n_init 10, max_iter 300, tol 1e-4, standardize true), made by supplymkt.kmeans_options(...). Text form is JSON with every field; input may leave out fields that have a default.';
COMMENT ON FUNCTION supplymkt_internal.kmeans_options_in(cstring, oid, integer) IS 'Text input of kmeans_options (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_options_out(@extschema@.kmeans_options) IS 'Text output of kmeans_options (JSON, every field).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_options_recv(internal, oid, integer) IS 'Binary input of kmeans_options (validated).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_options_send(@extschema@.kmeans_options) IS 'Binary output of kmeans_options.';
CREATE FUNCTION @extschema@.kmeans_options(k integer, seed integer DEFAULT 0, n_init integer DEFAULT 10, max_iter integer DEFAULT 300, tol double precision DEFAULT 1e-4, standardize boolean DEFAULT true)
    RETURNS @extschema@.kmeans_options AS 'MODULE_PATHNAME', 'kmeans_options_make' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_options(integer, integer, integer, integer, double precision, boolean) IS 'Options of kmeans_fit by name, validated now (a bad value raises 22023, NULL 22004), e.g. kmeans_fit(features, supplymkt.kmeans_options(k => 8, seed => 1)).';
CREATE FUNCTION supplymkt_internal.kmeans_fit_options_transfn(@extschema@.kmeans_fit_state, double precision[], @extschema@.kmeans_options)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_options_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_options_transfn(@extschema@.kmeans_fit_state, double precision[], @extschema@.kmeans_options) IS 'Transition function of kmeans_fit(features, options).';
CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], options @extschema@.kmeans_options) (
    SFUNC = supplymkt_internal.kmeans_fit_options_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = supplymkt_internal.kmeans_fit_state_combine, FINALFUNC = supplymkt_internal.kmeans_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], @extschema@.kmeans_options) IS 'kmeans_fit with its options by name, e.g. kmeans_fit(features, supplymkt.kmeans_options(k => 8, seed => 1)): the same model as the positional form with the same values.';

-- similarity_options: item_similarity's tuning arguments by name (core options value, src/core/options.c), made by
-- supplymkt.similarity_options(...) with named, defaulted arguments, validated when made, printed as JSON.
CREATE TYPE @extschema@.similarity_options;
CREATE FUNCTION supplymkt_internal.similarity_options_in(cstring, oid, integer) RETURNS @extschema@.similarity_options
    AS 'MODULE_PATHNAME', 'similarity_options_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.similarity_options_out(@extschema@.similarity_options) RETURNS cstring
    AS 'MODULE_PATHNAME', 'similarity_options_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.similarity_options_recv(internal, oid, integer) RETURNS @extschema@.similarity_options
    AS 'MODULE_PATHNAME', 'similarity_options_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.similarity_options_send(@extschema@.similarity_options) RETURNS bytea
    AS 'MODULE_PATHNAME', 'similarity_options_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.similarity_options (
    INPUT = supplymkt_internal.similarity_options_in, OUTPUT = supplymkt_internal.similarity_options_out,
    RECEIVE = supplymkt_internal.similarity_options_recv, SEND = supplymkt_internal.similarity_options_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.similarity_options IS 'Options of item_similarity (top_k 20, measure cosine, min_support 1), made by supplymkt.similarity_options(...). Text form is JSON with every field; input may leave out fields that have a default.';
COMMENT ON FUNCTION supplymkt_internal.similarity_options_in(cstring, oid, integer) IS 'Text input of similarity_options (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.similarity_options_out(@extschema@.similarity_options) IS 'Text output of similarity_options (JSON, every field).';
COMMENT ON FUNCTION supplymkt_internal.similarity_options_recv(internal, oid, integer) IS 'Binary input of similarity_options (validated).';
COMMENT ON FUNCTION supplymkt_internal.similarity_options_send(@extschema@.similarity_options) IS 'Binary output of similarity_options.';
CREATE FUNCTION @extschema@.similarity_options(top_k integer DEFAULT 20, measure text DEFAULT 'cosine', min_support integer DEFAULT 1)
    RETURNS @extschema@.similarity_options AS 'MODULE_PATHNAME', 'similarity_options_make' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.similarity_options(integer, text, integer) IS 'Options of item_similarity by name, validated now (a bad value raises 22023, NULL 22004), e.g. item_similarity(user_id, item_id, weight, supplymkt.similarity_options(measure => ''shrunk_cosine'', top_k => 50)).';
CREATE FUNCTION supplymkt_internal.item_similarity_options_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, @extschema@.similarity_options)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_options_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.item_similarity_options_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, @extschema@.similarity_options) IS 'Transition function of item_similarity(user_id, item_id, weight, options).';
CREATE AGGREGATE @extschema@.item_similarity(user_id bigint, item_id bigint, weight double precision, options @extschema@.similarity_options) (
    SFUNC = supplymkt_internal.item_similarity_options_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = supplymkt_internal.item_similarity_state_combine, FINALFUNC = supplymkt_internal.item_similarity_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint, double precision, @extschema@.similarity_options) IS 'item_similarity with its options by name, e.g. item_similarity(user_id, item_id, weight, supplymkt.similarity_options(measure => ''shrunk_cosine'', top_k => 50)): the same model as the positional form with the same values.';

-- assoc_rules_options: assoc_rules's tuning arguments by name (core options value, src/core/options.c), made by
-- supplymkt.assoc_rules_options(...) with named, defaulted arguments, validated when made, printed as JSON.
CREATE TYPE @extschema@.assoc_rules_options;
CREATE FUNCTION supplymkt_internal.assoc_rules_options_in(cstring, oid, integer) RETURNS @extschema@.assoc_rules_options
    AS 'MODULE_PATHNAME', 'assoc_rules_options_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_options_out(@extschema@.assoc_rules_options) RETURNS cstring
    AS 'MODULE_PATHNAME', 'assoc_rules_options_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_options_recv(internal, oid, integer) RETURNS @extschema@.assoc_rules_options
    AS 'MODULE_PATHNAME', 'assoc_rules_options_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_options_send(@extschema@.assoc_rules_options) RETURNS bytea
    AS 'MODULE_PATHNAME', 'assoc_rules_options_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.assoc_rules_options (
    INPUT = supplymkt_internal.assoc_rules_options_in, OUTPUT = supplymkt_internal.assoc_rules_options_out,
    RECEIVE = supplymkt_internal.assoc_rules_options_recv, SEND = supplymkt_internal.assoc_rules_options_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.assoc_rules_options IS 'Options of assoc_rules (min_support and min_confidence required, max_len 3), made by supplymkt.assoc_rules_options(...). Text form is JSON with every field; input may leave out fields that have a default.';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_options_in(cstring, oid, integer) IS 'Text input of assoc_rules_options (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_options_out(@extschema@.assoc_rules_options) IS 'Text output of assoc_rules_options (JSON, every field).';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_options_recv(internal, oid, integer) IS 'Binary input of assoc_rules_options (validated).';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_options_send(@extschema@.assoc_rules_options) IS 'Binary output of assoc_rules_options.';
CREATE FUNCTION @extschema@.assoc_rules_options(min_support double precision, min_confidence double precision, max_len integer DEFAULT 3)
    RETURNS @extschema@.assoc_rules_options AS 'MODULE_PATHNAME', 'assoc_rules_options_make' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.assoc_rules_options(double precision, double precision, integer) IS 'Options of assoc_rules by name, validated now (a bad value raises 22023, NULL 22004), e.g. assoc_rules(basket_id, item_id, supplymkt.assoc_rules_options(min_support => 0.01, min_confidence => 0.3)).';
CREATE FUNCTION supplymkt_internal.assoc_rules_options_transfn(@extschema@.assoc_rules_state, bigint, bigint, @extschema@.assoc_rules_options)
    RETURNS @extschema@.assoc_rules_state AS 'MODULE_PATHNAME', 'assoc_rules_options_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_options_transfn(@extschema@.assoc_rules_state, bigint, bigint, @extschema@.assoc_rules_options) IS 'Transition function of assoc_rules(basket_id, item_id, options).';
CREATE AGGREGATE @extschema@.assoc_rules(basket_id bigint, item_id bigint, options @extschema@.assoc_rules_options) (
    SFUNC = supplymkt_internal.assoc_rules_options_transfn, STYPE = @extschema@.assoc_rules_state,
    COMBINEFUNC = supplymkt_internal.assoc_rules_state_combine, FINALFUNC = supplymkt_internal.assoc_rules_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.assoc_rules(bigint, bigint, @extschema@.assoc_rules_options) IS 'assoc_rules with its options by name, e.g. assoc_rules(basket_id, item_id, supplymkt.assoc_rules_options(min_support => 0.01, min_confidence => 0.3)): the same model as the positional form with the same values.';

-- clv_options: clv_fit's tuning arguments by name (core options value, src/core/options.c), made by
-- supplymkt.clv_options(...) with named, defaulted arguments, validated when made, printed as JSON.
CREATE TYPE @extschema@.clv_options;
CREATE FUNCTION supplymkt_internal.clv_options_in(cstring, oid, integer) RETURNS @extschema@.clv_options
    AS 'MODULE_PATHNAME', 'clv_options_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_options_out(@extschema@.clv_options) RETURNS cstring
    AS 'MODULE_PATHNAME', 'clv_options_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_options_recv(internal, oid, integer) RETURNS @extschema@.clv_options
    AS 'MODULE_PATHNAME', 'clv_options_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_options_send(@extschema@.clv_options) RETURNS bytea
    AS 'MODULE_PATHNAME', 'clv_options_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.clv_options (
    INPUT = supplymkt_internal.clv_options_in, OUTPUT = supplymkt_internal.clv_options_out,
    RECEIVE = supplymkt_internal.clv_options_recv, SEND = supplymkt_internal.clv_options_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.clv_options IS 'Options of clv_fit (model bgnbd, unit days), made by supplymkt.clv_options(...). Text form is JSON with every field; input may leave out fields that have a default.';
COMMENT ON FUNCTION supplymkt_internal.clv_options_in(cstring, oid, integer) IS 'Text input of clv_options (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.clv_options_out(@extschema@.clv_options) IS 'Text output of clv_options (JSON, every field).';
COMMENT ON FUNCTION supplymkt_internal.clv_options_recv(internal, oid, integer) IS 'Binary input of clv_options (validated).';
COMMENT ON FUNCTION supplymkt_internal.clv_options_send(@extschema@.clv_options) IS 'Binary output of clv_options.';
CREATE FUNCTION @extschema@.clv_options(model text DEFAULT 'bgnbd', unit text DEFAULT 'days')
    RETURNS @extschema@.clv_options AS 'MODULE_PATHNAME', 'clv_options_make' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_options(text, text) IS 'Options of clv_fit by name, validated now (a bad value raises 22023, NULL 22004), e.g. clv_fit(frequency, recency, t, monetary, supplymkt.clv_options(model => ''pnbd'')).';
CREATE FUNCTION supplymkt_internal.clv_fit_options_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision, @extschema@.clv_options)
    RETURNS @extschema@.clv_fit_state AS 'MODULE_PATHNAME', 'clv_fit_options_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.clv_fit_options_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision, @extschema@.clv_options) IS 'Transition function of clv_fit(frequency, recency, t, monetary, options).';
CREATE AGGREGATE @extschema@.clv_fit(frequency double precision, recency double precision, t double precision, monetary double precision, options @extschema@.clv_options) (
    SFUNC = supplymkt_internal.clv_fit_options_transfn, STYPE = @extschema@.clv_fit_state,
    COMBINEFUNC = supplymkt_internal.clv_fit_state_combine, FINALFUNC = supplymkt_internal.clv_fit_final, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.clv_fit(double precision, double precision, double precision, double precision, @extschema@.clv_options) IS 'clv_fit with its options by name, e.g. clv_fit(frequency, recency, t, monetary, supplymkt.clv_options(model => ''pnbd'')): the same model as the positional form with the same values.';

-- MBG/NBD, customers without history (t = 0): the CLV comments that name the models.
COMMENT ON TYPE @extschema@.clv_fit_state IS 'Partial-aggregate state of clv_fit: the customer rows (frequency, recency, t, monetary; null = no monetary value) and the model and unit codes (params: model 1 = bgnbd, 2 = pnbd, 3 = mbgnbd; unit 1 = days, 2 = weeks). Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON TYPE @extschema@.clv_model IS
    'A fitted CLV model (clv_fit), as JSON: "model" (bgnbd, mbgnbd or pnbd), "version", "unit" (days or weeks: the unit of recency, t and horizons), the purchase-model parameters named as in the papers (BG/NBD and MBG/NBD: r, alpha, a, b; Pareto/NBD: r, alpha, s, beta), "log_likelihood", "n_customers", "customers_without_history" (customers with t = 0, left out of the fit), "iterations", "converged", "std_errors" (array in parameter order, null when the Hessian is not positive definite); with a spend model also the Gamma-Gamma "p", "q", "gamma", "spend_log_likelihood", "n_repeaters", "spend_iterations", "spend_converged", "spend_std_errors". A model can be typed in by hand with just model, unit and the parameters (plus p, q, gamma for spend). Parameters must lie in [1e-18, 1e18].';
COMMENT ON AGGREGATE @extschema@.clv_fit(double precision, double precision, double precision, double precision, text) IS
    'clv_fit(frequency, recency, t, monetary, model): model ''bgnbd'', ''mbgnbd'' or ''pnbd'', unit days. Same as clv_fit(frequency, recency, t, monetary, model, ''days''); see that form.';
COMMENT ON AGGREGATE @extschema@.clv_fit(double precision, double precision, double precision, double precision, text, text) IS
    'Maximum-likelihood fit of a CLV model over one row per customer: the purchase model (model ''bgnbd'': BG/NBD, Fader, Hardie & Lee 2005; ''mbgnbd'': MBG/NBD, Batislam, Kim & Kavas 2007, in which a customer may also drop out right after the first purchase; ''pnbd'': Pareto/NBD, Schmittlein et al. 1987) and, when at least 10 repeat customers (frequency > 0) have a non-NULL monetary, the Gamma-Gamma spend model on them. frequency = repeat purchase periods (whole, >= 0), recency = age at the last purchase (0 when frequency = 0, <= t), t = age (> 0), monetary = mean repeat-purchase value (> 0 when frequency > 0, NULL = unknown), all times in unit (''days'' or ''weeks'', recorded in the model). Rows with NULL frequency, recency or t are skipped; invalid values raise 22023, a NULL model or unit 22004; values above 1e15 are rejected. Returns NULL with fewer than 10 customers or when nobody made a repeat purchase (no maximum-likelihood estimate exists). Log-likelihood in log space over log-parameters, GSL BFGS from two starting points (Nelder-Mead fallback, Newton polish), standard errors from the numerical Hessian in the natural parameters; identical (frequency, recency, t) rows are collapsed first, and the result does not depend on row order. Check "converged" in the result.';
COMMENT ON AGGREGATE @extschema@.clv_fit(double precision, double precision, double precision, double precision, text, text) IS
    'Maximum-likelihood fit of a CLV model over one row per customer: the purchase model (model ''bgnbd'': BG/NBD, Fader, Hardie & Lee 2005; ''mbgnbd'': MBG/NBD, Batislam, Kim & Kavas 2007, in which a customer may also drop out right after the first purchase; ''pnbd'': Pareto/NBD, Schmittlein et al. 1987) and, when at least 10 repeat customers (frequency > 0) have a non-NULL monetary, the Gamma-Gamma spend model on them. frequency = repeat purchase periods (whole, >= 0), recency = age at the last purchase (0 when frequency = 0, <= t), t = age (> 0; t = 0 is accepted for a customer without repeat purchases, carries no information, is left out of the fit and counted in customers_without_history), monetary = mean repeat-purchase value (> 0 when frequency > 0, NULL = unknown), all times in unit (''days'' or ''weeks'', recorded in the model). Rows with NULL frequency, recency or t are skipped; invalid values raise 22023, a NULL model or unit 22004; values above 1e15 are rejected. Returns NULL with fewer than 10 customers or when nobody made a repeat purchase (no maximum-likelihood estimate exists). Log-likelihood in log space over log-parameters, GSL BFGS from two starting points (Nelder-Mead fallback, Newton polish), standard errors from the numerical Hessian in the natural parameters; identical (frequency, recency, t) rows are collapsed first, and the result does not depend on row order. Check "converged" in the result.';
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.clv_model, double precision, double precision, double precision, double precision) IS
    'Expected number of purchases in the next horizon time units (the model''s unit) of a customer with the given frequency, recency and t: the conditional expectation E[Y(horizon) | x, t_x, T] of BG/NBD, MBG/NBD or Pareto/NBD (P(alive) x the expected purchases of an active customer, so for a one-time buyer it is 0 only if P(alive) is), computed without cancellation in log space (finite for large t and frequency). Invalid inputs raise 22023.';
COMMENT ON FUNCTION @extschema@.probability_alive(@extschema@.clv_model, double precision, double precision, double precision) IS
    'Probability that the customer is still active at age t given frequency and recency (BG/NBD, MBG/NBD or Pareto/NBD). Under BG/NBD it is 1 for every one-time buyer (BG/NBD customers can only drop out right after a repeat purchase), so one-time buyers look alive whatever their age; MBG/NBD and Pareto/NBD let them drop out and give them a P(alive) that falls with age. Invalid inputs raise 22023.';

-- generate_demo_data(replace => true) names the dashboards that read the relations it would replace.
CREATE OR REPLACE FUNCTION @extschema@.generate_demo_data(target_schema text, customers integer DEFAULT 5000,
                                               products integer DEFAULT 500, days integer DEFAULT 365,
                                               seed bigint DEFAULT 42, start_date date DEFAULT '2024-01-01',
                                               replace boolean DEFAULT false)
    RETURNS TABLE(relation text, rows bigint)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    -- ANALYZE samples 300 x 10 rows per table: a third of the run at the default 100, the same dashboard plans
    SET default_statistics_target = 10
AS $fn$
#variable_conflict use_variable
DECLARE
    -- the canonical relations in DESIGN.md order: name, columns, types, primary key
    spec_names text[] := ARRAY['customers', 'products', 'orders', 'order_items', 'inventory_snapshots', 'suppliers',
                               'purchase_orders', 'shipments', 'returns', 'reviews', 'depots', 'marketing_spend',
                               'touchpoints', 'events', 'experiments'];
    spec_columns text[] := ARRAY[
        'customer_id,signup_date,region,lat,lon,name',
        'product_id,category,first_listed,unit_cost,unit_price,supplier_id,name',
        'order_id,customer_id,order_time,channel',
        'order_id,product_id,quantity,unit_price',
        'snapshot_date,product_id,on_hand,inventory_value',
        'supplier_id,name,region',
        'po_id,supplier_id,product_id,order_date,quantity,received_date,received_quantity',
        'order_id,depot_id,shipped_time,promised_date,delivered_time',
        'order_id,product_id,quantity,return_time,reason',
        'customer_id,product_id,rating,review_time',
        'depot_id,name,lat,lon,vehicles,vehicle_capacity',
        'day,channel,impressions,clicks,spend',
        'customer_id,touch_time,channel',
        'customer_id,event_time,event_type,product_id',
        'customer_id,experiment,variant,assigned_at'];
    spec_types text[] := ARRAY[
        'bigint,date,text,float8,float8,text',
        'bigint,text,date,numeric,numeric,bigint,text',
        'bigint,bigint,timestamptz,text',
        'bigint,bigint,integer,numeric',
        'date,bigint,integer,numeric',
        'bigint,text,text',
        'bigint,bigint,bigint,date,integer,date,integer',
        'bigint,bigint,timestamptz,date,timestamptz',
        'bigint,bigint,integer,timestamptz,text',
        'bigint,bigint,integer,timestamptz',
        'bigint,text,float8,float8,integer,integer',
        'date,text,bigint,bigint,numeric',
        'bigint,timestamptz,text',
        'bigint,timestamptz,text,bigint',
        'bigint,text,text,timestamptz'];
    spec_keys text[] := ARRAY['customer_id', 'product_id', 'order_id', NULL, 'snapshot_date,product_id', 'supplier_id',
                              'po_id', NULL, NULL, NULL, 'depot_id', NULL, NULL, NULL, NULL];
    schema_oid oid;
    clash record;
    clashes text[];
    dashboard_schemas text;
    first_dashboard_schema text;
    coldefs text;
    keydefs text;
    n bigint;
    i integer;
BEGIN
    IF target_schema IS NULL THEN
        RAISE EXCEPTION 'target_schema must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF customers IS NULL OR products IS NULL OR days IS NULL OR seed IS NULL OR start_date IS NULL
       OR replace IS NULL THEN
        RAISE EXCEPTION 'customers, products, days, seed, start_date and replace must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF target_schema = '' THEN
        RAISE EXCEPTION 'target_schema must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF target_schema = '@extschema@' THEN
        RAISE EXCEPTION 'target_schema must not be the extension''s own schema "%"', target_schema
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Generate the demo data into a schema of its own, e.g. ''demo''.';
    END IF;

    SELECT oid INTO schema_oid FROM pg_catalog.pg_namespace WHERE nspname = target_schema;
    IF schema_oid IS NOT NULL THEN
        SELECT pg_catalog.array_agg(c.relname::text ORDER BY c.relname) INTO clashes
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace = schema_oid AND c.relname::text = ANY (spec_names);
        IF clashes IS NOT NULL AND NOT replace THEN
            RAISE EXCEPTION 'schema "%" already has demo relations: %', target_schema,
                            pg_catalog.array_to_string(clashes, ', ')
                USING ERRCODE = 'duplicate_table',
                      HINT = 'Pass replace => true to drop and recreate them, or choose another schema.';
        END IF;
        -- dashboards built on these relations would block the drop: say which, and how to rebuild them
        SELECT pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(d.target_schema), ', '), pg_catalog.min(d.target_schema)
          INTO dashboard_schemas, first_dashboard_schema
          FROM @extschema@.dashboards AS d
         WHERE d.source_schema = target_schema AND d.kind = 'materialized view';
        IF clashes IS NOT NULL AND dashboard_schemas IS NOT NULL THEN
            RAISE EXCEPTION 'cannot replace the demo relations of schema "%": the dashboards in schema % read them', target_schema,
                            dashboard_schemas
                USING ERRCODE = 'dependent_objects_still_exist',
                      HINT = pg_catalog.format('Drop the dashboards first (SELECT supplymkt.drop_dashboards(%L)), generate the data, then create them again.',
                                               first_dashboard_schema);
        END IF;
        -- replace: drop just the canonical relations (no CASCADE: objects built on them must be dropped first)
        FOR clash IN
            SELECT c.relname::text AS name, c.relkind
              FROM pg_catalog.pg_class c
             WHERE c.relnamespace = schema_oid AND c.relname::text = ANY (spec_names)
             ORDER BY c.relname
        LOOP
            EXECUTE pg_catalog.format('DROP %s %I.%I',
                CASE clash.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                   WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE'
                                   WHEN 'i' THEN 'INDEX' WHEN 'I' THEN 'INDEX' WHEN 'c' THEN 'TYPE'
                                   ELSE 'TABLE' END,
                target_schema, clash.name);
        END LOOP;
    ELSE
        EXECUTE pg_catalog.format('CREATE SCHEMA %I', target_schema);
    END IF;

    FOR i IN 1 .. pg_catalog.array_length(spec_names, 1) LOOP
        SELECT pg_catalog.string_agg(pg_catalog.format('%I %s', col, typ), ', ' ORDER BY ord) INTO coldefs
          FROM unnest(pg_catalog.string_to_array(spec_columns[i], ','),
                                 pg_catalog.string_to_array(spec_types[i], ',')) WITH ORDINALITY AS u(col, typ, ord);
        EXECUTE pg_catalog.format('CREATE TABLE %I.%I (%s)', target_schema, spec_names[i], coldefs);
        n := @extschema@.demo_fill(pg_catalog.format('%I.%I', target_schema, spec_names[i])::pg_catalog.regclass,
                                   spec_names[i], customers, products, days, seed, start_date);
        IF spec_keys[i] IS NOT NULL THEN
            SELECT pg_catalog.string_agg(pg_catalog.format('%I', k), ', ') INTO keydefs
              FROM pg_catalog.unnest(pg_catalog.string_to_array(spec_keys[i], ',')) AS k;
            EXECUTE pg_catalog.format('ALTER TABLE %I.%I ADD PRIMARY KEY (%s)', target_schema, spec_names[i], keydefs);
        END IF;
        EXECUTE pg_catalog.format('ANALYZE %I.%I', target_schema, spec_names[i]);
        relation := spec_names[i];
        rows := n;
        RETURN NEXT;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION @extschema@.generate_demo_data(text, integer, integer, integer, bigint, date, boolean) IS
'Creates the 15 relations of the canonical data model (DESIGN.md) as tables in target_schema (created if missing) '
'and returns the row count of each; same arguments, same data. Raises duplicate_table (42P07) if any of them already '
'exists unless replace => true, which drops and recreates just those relations. Primary keys on customers, products, '
'orders, suppliers, depots, purchase_orders and inventory_snapshots (snapshot_date, product_id); tables are ANALYZEd '
'with statistics target 10 (the dashboards plan the same as with the default 100, in a third of the time; ANALYZE '
'the schema again for finer statistics). '
'Timestamps are in UTC over [start_date, start_date + days). '
'Generating process (time in days): customers sign up uniformly over the period in 5 regional lat/lon clusters. '
'12% of the customers sign up and never buy. Purchases are MBG/NBD: lambda ~ Gamma(shape r = 0.75, rate alpha = 20 days) purchases per day, dropout '
'p ~ Beta(a = 0.8, b = 2.5); the first purchase is at signup, repeats are Poisson(lambda), and right after the first purchase and after each repeat '
'the customer becomes inactive with probability p (hour of day follows a daily profile; dates are untouched). '
'Spend is Gamma-Gamma: nu ~ Gamma(shape q = 4, rate gamma = 40) per customer, order value ~ Gamma(shape p = 6, '
'rate nu), mean p*gamma/(q-1) = 80; the basket is filled to that value (last item taken with probability '
'remaining/price), products drawn by Zipf popularity (exponent 1.1) x category seasonality (yearly and weekly) '
'among products already listed, half of each customer''s lines from the customer''s favourite category (drawn once '
'per customer by category share); 8% of lines (25% of email orders) are 10% off. Products: 16 categories with an '
'uneven mix, unit_price = unit_cost x category markup, 72% listed before start_date and the rest launched during '
'the period. Channels: acquisition mix for first orders, retention mix for repeats; touchpoints 1 + Poisson(0.7) '
'before each order (last one in the order''s channel) and one per abandoned session; events view/cart/purchase '
'per line (70% of lines viewed first) plus extra views, abandoned sessions (views + cart, no purchase) at '
'0.8 x lambda while active. Experiment checkout_redesign: 50/50 buckets; customers who signed up before the middle '
'half of the period are enrolled at their first session in it, where the treatment removes 35% of abandoned '
'sessions (share of enrolment sessions that are orders: 1/1.8 = 0.556 control, 1/1.52 = 0.658 treatment). '
'Supply: continuous-review (s, S) policy per product with backorders, one open purchase order per product, '
'supplier lead times ~ Gamma (domestic 3-8 days, Europe 8-15, Asia 20-40), some receipts short, so real '
'stockouts occur; inventory_value = on_hand x unit_cost. Service: 5 depots with different handling times and '
'delays, shipments wait for backordered items, transit grows with distance, bulky categories are slower; '
'promise 3 days (4 when far, +2 bulky); shipped/delivered NULL when after the period. Returns depend on category, '
'product quality and lateness; reviews (10%, 18% when late) rate quality minus lateness and backorders. '
'Marketing spend per day and paid channel follows that channel''s orders; clicks ~ Binomial(impressions, CTR). '
'Limits: customers 1..10,000,000, products 1..1,000,000, days 1..3660, products x days <= 50,000,000, '
'customers x days <= 3,660,000,000.';

-- item_neighbors_blend normalises each model's list by the sum of its scores.
COMMENT ON FUNCTION @extschema@.item_neighbors_blend(@extschema@.item_neighbors, @extschema@.item_neighbors, double precision, integer) IS 'Hybrid neighbours: for every item of either model, score = (weight_a x score_a / sum_a + (1 - weight_a) x score_b / sum_b) x the weighted mean of sum_a and sum_b over the models that list the item, over the union of its neighbour lists, sum_a and sum_b being the sum of the item''s scores in each model (each neighbour''s share of the item''s similarity mass, so neither model''s scale or flatness swamps the other; weight 1 gives a''s scores, 0 b''s; a missing score counts as 0), top_k kept (default: the larger top_k). Popularity comes from a (b for items only b knows); a neighbour''s support from a''s list when a lists it, else from b''s. Blend collaborative with content neighbours so that new items without interactions can be recommended.';

-- The inventory family (new in 0.2.0), as in src/sql/inventory.sql

CREATE FUNCTION @extschema@.eoq(annual_demand double precision, order_cost double precision,
                                holding_cost double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_eoq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.eoq(double precision, double precision, double precision) IS
    'Economic order quantity sqrt(2 annual_demand order_cost / holding_cost): annual_demand in units per year, order_cost per order, holding_cost per unit per year (e.g. unit cost x yearly carrying rate). Minimises eoq_total_cost. Negative inputs, NaN or infinity raise 22023; holding_cost 0 raises 22023 (unbounded quantity). NULL in, NULL out.';

CREATE FUNCTION @extschema@.eoq_total_cost(annual_demand double precision, order_cost double precision,
                                           holding_cost double precision, order_quantity double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_eoq_total_cost' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.eoq_total_cost(double precision, double precision, double precision, double precision) IS
    'Yearly ordering plus holding cost of ordering order_quantity units at a time: annual_demand / order_quantity x order_cost + order_quantity / 2 x holding_cost (units as eoq; at the EOQ both halves are equal and the total is sqrt(2 annual_demand order_cost holding_cost)). order_quantity must be positive (22023). NULL in, NULL out.';

CREATE FUNCTION @extschema@.safety_stock(demand_mean double precision, demand_sd double precision,
                                         lead_time_mean double precision, lead_time_sd double precision,
                                         service_level double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_safety_stock' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.safety_stock(double precision, double precision, double precision, double precision, double precision) IS
    'Safety stock for a cycle service level (the probability that a replenishment cycle has no stockout): z x sqrt(lead_time_mean demand_sd^2 + demand_mean^2 lead_time_sd^2), z the standard normal quantile of service_level. demand_mean and demand_sd per period (a day, a week), lead_time_mean and lead_time_sd in those periods (0 for a fixed lead time); demand and lead time independent and the lead-time demand normal. service_level strictly between 0 and 1 (22023 with a hint otherwise); below 0.5 the safety stock is negative. Negative values, NaN or infinity raise 22023. NULL in, NULL out.';

CREATE FUNCTION @extschema@.safety_stock_fill_rate(demand_mean double precision, demand_sd double precision,
                                                   lead_time_mean double precision, lead_time_sd double precision,
                                                   fill_rate double precision, order_quantity double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_safety_stock_fill_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.safety_stock_fill_rate(double precision, double precision, double precision, double precision, double precision, double precision) IS
    'Safety stock k x sigma_L for a fill rate (beta service: the share of demand met from stock) when order_quantity units arrive per replenishment cycle: k solves G(k) = (1 - fill_rate) order_quantity / sigma_L, G the standard normal loss function (normal_loss) and sigma_L = sqrt(lead_time_mean demand_sd^2 + demand_mean^2 lead_time_sd^2) (units as safety_stock). Negative when the order quantity alone gives the fill rate. 0 when the lead-time demand is certain. fill_rate strictly between 0 and 1, order_quantity positive (22023). NULL in, NULL out.';

CREATE FUNCTION @extschema@.reorder_point(demand_mean double precision, demand_sd double precision,
                                          lead_time_mean double precision, lead_time_sd double precision,
                                          service_level double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_reorder_point' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.reorder_point(double precision, double precision, double precision, double precision, double precision) IS
    'Reorder point of a continuous-review (s, Q) policy: the mean lead-time demand demand_mean x lead_time_mean plus safety_stock(demand_mean, demand_sd, lead_time_mean, lead_time_sd, service_level) (same units and errors). Order when the inventory position (on hand + on order - backorders) falls to it. NULL in, NULL out.';

CREATE FUNCTION @extschema@.order_up_to_level(demand_mean double precision, demand_sd double precision,
                                              review_period double precision, lead_time_mean double precision,
                                              lead_time_sd double precision, service_level double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_order_up_to_level' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.order_up_to_level(double precision, double precision, double precision, double precision, double precision, double precision) IS
    'Order-up-to level S of a periodic-review (R, S) policy: every review_period periods order up to demand_mean (R + L) + z sqrt((R + L) demand_sd^2 + demand_mean^2 lead_time_sd^2), the protection interval being the review period plus the lead time (z the normal quantile of the cycle service level; units as safety_stock). review_period must be positive (22023). NULL in, NULL out.';

CREATE FUNCTION @extschema@.newsvendor_quantity(demand_mean double precision, demand_sd double precision,
                                                unit_price double precision, unit_cost double precision,
                                                salvage double precision DEFAULT 0,
                                                distribution text DEFAULT 'normal')
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_newsvendor_quantity' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.newsvendor_quantity(double precision, double precision, double precision, double precision, double precision, text) IS
    'Single-period (newsvendor) order quantity: the critical ratio (unit_price - unit_cost) / (unit_price - salvage) quantile of the demand of the period. distribution ''normal'': max(0, demand_mean + z demand_sd); ''poisson'': the smallest whole quantity q with P(D <= q) >= ratio, demand_sd NULL (Poisson sd is sqrt(demand_mean); a value raises 22023), demand_mean at most 1e6 (22023 above: GSL''s Poisson CDF loses accuracy there; use ''normal'', which is then within 0.05 sd of the Poisson quantiles). 0 when unit_price <= unit_cost (a unit sold earns nothing). salvage (value of a unit left over) must be below unit_cost (22023: the quantity would be unbounded). Negative prices, costs or demand, NaN or infinity raise 22023. NULL when an argument is NULL (demand_sd for normal demand).';

CREATE FUNCTION @extschema@.newsvendor_quantity_by_cost(demand_mean double precision, demand_sd double precision,
                                                        holding_cost double precision,
                                                        shortage_cost double precision,
                                                        distribution text DEFAULT 'normal')
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_newsvendor_quantity_by_cost' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.newsvendor_quantity_by_cost(double precision, double precision, double precision, double precision, text) IS
    'Single-period order quantity from the cost of a unit left over (holding_cost, the overage cost) and of a unit short (shortage_cost, the underage cost: lost margin plus goodwill) at the end of the period: the shortage_cost / (shortage_cost + holding_cost) quantile of the demand, as newsvendor_quantity (same distributions and NULL rules). It minimises expected_inventory_cost. 0 when shortage_cost is 0; holding_cost 0 raises 22023 (unbounded).';

CREATE FUNCTION @extschema@.expected_inventory_cost(order_quantity double precision, demand_mean double precision,
                                                    demand_sd double precision, holding_cost double precision,
                                                    shortage_cost double precision,
                                                    distribution text DEFAULT 'normal')
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_expected_cost' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_inventory_cost(double precision, double precision, double precision, double precision, double precision, text) IS
    'Expected holding plus shortage cost of stocking order_quantity for one period of demand D: holding_cost E[(Q - D)+] + shortage_cost E[(D - Q)+], costs per unit left over and per unit short. Normal: E[(D - Q)+] = demand_sd G((Q - demand_mean) / demand_sd), G = normal_loss; Poisson (demand_sd NULL): exact, E[(D - Q)+] = mean P(D >= k - 1) - Q P(D >= k) with k the smallest whole number above Q; E[(Q - D)+] = Q - mean + E[(D - Q)+] in both. Minimised by newsvendor_quantity_by_cost. Same errors and NULL rules as newsvendor_quantity.';

CREATE FUNCTION @extschema@.normal_loss(z double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_normal_loss' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normal_loss(double precision) IS
    'Standard normal loss function G(z) = E[(Z - z)+] = phi(z) - z (1 - Phi(z)): the expected units short per unit of sd when z sds of safety stock are held. G(0) = 0.398942; G(-z) = G(z) + z. NaN or infinity raise 22023.';

-- The forecast family (new in 0.2.0), as in src/sql/forecast.sql
-- demand_forecast_state: the (day, qty) rows of a series
CREATE TYPE @extschema@.demand_forecast_state;
CREATE FUNCTION supplymkt_internal.demand_forecast_state_in(cstring, oid, integer) RETURNS @extschema@.demand_forecast_state
    AS 'MODULE_PATHNAME', 'demand_forecast_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.demand_forecast_state_out(@extschema@.demand_forecast_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'demand_forecast_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.demand_forecast_state_recv(internal, oid, integer) RETURNS @extschema@.demand_forecast_state
    AS 'MODULE_PATHNAME', 'demand_forecast_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.demand_forecast_state_send(@extschema@.demand_forecast_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'demand_forecast_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.demand_forecast_state (
    INPUT = supplymkt_internal.demand_forecast_state_in, OUTPUT = supplymkt_internal.demand_forecast_state_out,
    RECEIVE = supplymkt_internal.demand_forecast_state_recv, SEND = supplymkt_internal.demand_forecast_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.demand_forecast_state IS 'Partial-aggregate state of demand_forecast: the (day as its day number, qty) rows of one series and the call''s parameters (season_length, method, intermittent_alpha, tsb_beta, simulation_paths, simulation_seed). Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.demand_forecast_state_in(cstring, oid, integer) IS 'Text input of demand_forecast_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.demand_forecast_state_out(@extschema@.demand_forecast_state) IS 'Text output of demand_forecast_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.demand_forecast_state_recv(internal, oid, integer) IS 'Binary input of demand_forecast_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.demand_forecast_state_send(@extschema@.demand_forecast_state) IS 'Binary output of demand_forecast_state.';

-- forecast_accuracy_state: the (actual, predicted) rows of a group
CREATE TYPE @extschema@.forecast_accuracy_state;
CREATE FUNCTION supplymkt_internal.forecast_accuracy_state_in(cstring, oid, integer) RETURNS @extschema@.forecast_accuracy_state
    AS 'MODULE_PATHNAME', 'forecast_accuracy_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.forecast_accuracy_state_out(@extschema@.forecast_accuracy_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'forecast_accuracy_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.forecast_accuracy_state_recv(internal, oid, integer) RETURNS @extschema@.forecast_accuracy_state
    AS 'MODULE_PATHNAME', 'forecast_accuracy_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.forecast_accuracy_state_send(@extschema@.forecast_accuracy_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'forecast_accuracy_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.forecast_accuracy_state (
    INPUT = supplymkt_internal.forecast_accuracy_state_in, OUTPUT = supplymkt_internal.forecast_accuracy_state_out,
    RECEIVE = supplymkt_internal.forecast_accuracy_state_recv, SEND = supplymkt_internal.forecast_accuracy_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.forecast_accuracy_state IS 'Partial-aggregate state of forecast_accuracy: the (actual, predicted) rows and the MASE scale (-1 without one). Text form is exact JSON.';
COMMENT ON FUNCTION supplymkt_internal.forecast_accuracy_state_in(cstring, oid, integer) IS 'Text input of forecast_accuracy_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.forecast_accuracy_state_out(@extschema@.forecast_accuracy_state) IS 'Text output of forecast_accuracy_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.forecast_accuracy_state_recv(internal, oid, integer) IS 'Binary input of forecast_accuracy_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.forecast_accuracy_state_send(@extschema@.forecast_accuracy_state) IS 'Binary output of forecast_accuracy_state.';

-- forecast_options: demand_forecast's tuning arguments by name (core options value)
CREATE TYPE @extschema@.forecast_options;
CREATE FUNCTION supplymkt_internal.forecast_options_in(cstring, oid, integer) RETURNS @extschema@.forecast_options
    AS 'MODULE_PATHNAME', 'forecast_options_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.forecast_options_out(@extschema@.forecast_options) RETURNS cstring
    AS 'MODULE_PATHNAME', 'forecast_options_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.forecast_options_recv(internal, oid, integer) RETURNS @extschema@.forecast_options
    AS 'MODULE_PATHNAME', 'forecast_options_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.forecast_options_send(@extschema@.forecast_options) RETURNS bytea
    AS 'MODULE_PATHNAME', 'forecast_options_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.forecast_options (
    INPUT = supplymkt_internal.forecast_options_in, OUTPUT = supplymkt_internal.forecast_options_out,
    RECEIVE = supplymkt_internal.forecast_options_recv, SEND = supplymkt_internal.forecast_options_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.forecast_options IS 'Options of demand_forecast (season_length 7, method auto, intermittent_alpha 0.1, tsb_beta 0.1, simulation_paths 1000, simulation_seed 0), made by supplymkt.forecast_options(...). Text form is JSON with every field; input may leave out fields that have a default.';
COMMENT ON FUNCTION supplymkt_internal.forecast_options_in(cstring, oid, integer) IS 'Text input of forecast_options (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.forecast_options_out(@extschema@.forecast_options) IS 'Text output of forecast_options (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.forecast_options_recv(internal, oid, integer) IS 'Binary input of forecast_options (validated).';
COMMENT ON FUNCTION supplymkt_internal.forecast_options_send(@extschema@.forecast_options) IS 'Binary output of forecast_options.';
CREATE FUNCTION @extschema@.forecast_options(season_length integer DEFAULT 7, method text DEFAULT 'auto',
                                             intermittent_alpha double precision DEFAULT 0.1,
                                             tsb_beta double precision DEFAULT 0.1,
                                             simulation_paths integer DEFAULT 1000, simulation_seed integer DEFAULT 0)
    RETURNS @extschema@.forecast_options AS 'MODULE_PATHNAME', 'forecast_options_make' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.forecast_options(integer, text, double precision, double precision, integer, integer) IS 'Options of demand_forecast by name, validated now (a bad value raises 22023, NULL 22004): season_length 1..366 (days per season: 7 for a weekly pattern in daily demand; 1 for none), method (auto, ANN, AAN, AAdN, ANA, AAA, AAdA, MAM, MAdM, croston, sba, tsb), intermittent_alpha (Croston / SBA / TSB size and interval smoothing, 0.001..1), tsb_beta (TSB demand-probability smoothing), simulation_paths 100..100000 and simulation_seed (the simulated prediction intervals of the multiplicative models), e.g. demand_forecast(day, qty, supplymkt.forecast_options(season_length => 7, method => ''AAdA'')).';

-- forecast_model: a fitted model (JSON text I/O, binary I/O)
CREATE TYPE @extschema@.forecast_model;
CREATE FUNCTION supplymkt_internal.forecast_model_in(cstring, oid, integer) RETURNS @extschema@.forecast_model
    AS 'MODULE_PATHNAME', 'forecast_model_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.forecast_model_out(@extschema@.forecast_model) RETURNS cstring
    AS 'MODULE_PATHNAME', 'forecast_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.forecast_model_recv(internal, oid, integer) RETURNS @extschema@.forecast_model
    AS 'MODULE_PATHNAME', 'forecast_model_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.forecast_model_send(@extschema@.forecast_model) RETURNS bytea
    AS 'MODULE_PATHNAME', 'forecast_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.forecast_model (
    INPUT = supplymkt_internal.forecast_model_in, OUTPUT = supplymkt_internal.forecast_model_out,
    RECEIVE = supplymkt_internal.forecast_model_recv, SEND = supplymkt_internal.forecast_model_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.forecast_model IS 'A fitted demand model of one series (demand_forecast): method (ETS ANN, AAN, AAdN, ANA, AAA, AAdA, MAM, MAdM; croston, sba, tsb; mean, the historical mean of a constant or too short series), how it was chosen, season_length, the series'' days (n, first_day, last_day), the demand class (ADI, CV^2), alpha, beta, gamma, phi where they apply, the states after the last day (level, trend, seasonal: seasonal[1] for the day after last_day), sigma2 (the one-step error variance, relative for MAM / MAdM: sse / (n - nparams + 1), the free parameters without the variance, as R''s forecast::ets) and sigma, loglik, aic, aicc, bic, sse, nparams. Text form is JSON; read forecasts with forecast_points.';
COMMENT ON FUNCTION supplymkt_internal.forecast_model_in(cstring, oid, integer) IS 'Text input of forecast_model (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.forecast_model_out(@extschema@.forecast_model) IS 'Text output of forecast_model (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.forecast_model_recv(internal, oid, integer) IS 'Binary input of forecast_model (validated).';
COMMENT ON FUNCTION supplymkt_internal.forecast_model_send(@extschema@.forecast_model) IS 'Binary output of forecast_model.';

-- demand_forecast aggregates
CREATE FUNCTION supplymkt_internal.demand_forecast_state_combine(@extschema@.demand_forecast_state, @extschema@.demand_forecast_state)
    RETURNS @extschema@.demand_forecast_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.demand_forecast_state_combine(@extschema@.demand_forecast_state, @extschema@.demand_forecast_state) IS 'Combines two partial demand_forecast_state values of the same parameters.';
CREATE FUNCTION supplymkt_internal.demand_forecast_final(@extschema@.demand_forecast_state)
    RETURNS @extschema@.forecast_model AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.demand_forecast_final(@extschema@.demand_forecast_state) IS 'Final function of demand_forecast: sums each day, fills missing days with 0, fits.';
CREATE FUNCTION supplymkt_internal.demand_forecast_transfn(@extschema@.demand_forecast_state, date, double precision)
    RETURNS @extschema@.demand_forecast_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.demand_forecast_transfn(@extschema@.demand_forecast_state, date, double precision, integer)
    RETURNS @extschema@.demand_forecast_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.demand_forecast_transfn(@extschema@.demand_forecast_state, date, double precision, integer, text)
    RETURNS @extschema@.demand_forecast_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.demand_forecast_options_transfn(@extschema@.demand_forecast_state, date, double precision, @extschema@.forecast_options)
    RETURNS @extschema@.demand_forecast_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.demand_forecast_transfn(@extschema@.demand_forecast_state, date, double precision) IS 'Transition function of demand_forecast(day, qty).';
COMMENT ON FUNCTION supplymkt_internal.demand_forecast_transfn(@extschema@.demand_forecast_state, date, double precision, integer) IS 'Transition function of demand_forecast(day, qty, season_length).';
COMMENT ON FUNCTION supplymkt_internal.demand_forecast_transfn(@extschema@.demand_forecast_state, date, double precision, integer, text) IS 'Transition function of demand_forecast(day, qty, season_length, method).';
COMMENT ON FUNCTION supplymkt_internal.demand_forecast_options_transfn(@extschema@.demand_forecast_state, date, double precision, @extschema@.forecast_options) IS 'Transition function of demand_forecast(day, qty, options).';
CREATE AGGREGATE @extschema@.demand_forecast(day date, qty double precision) (
    SFUNC = supplymkt_internal.demand_forecast_transfn, STYPE = @extschema@.demand_forecast_state,
    COMBINEFUNC = supplymkt_internal.demand_forecast_state_combine, FINALFUNC = supplymkt_internal.demand_forecast_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.demand_forecast(date, double precision) IS 'Demand model of one series (a GROUP BY group, e.g. a product): one row per (day, qty), several rows of a day summed, the days without a row between the first and the last filled with 0. method auto: a constant series gets its mean; an intermittent one (ADI = days / days with demand > 1.32, Syntetos-Boylan) SBA; otherwise the ETS model of lowest AICc among ANN, AAN, AAdN and, with at least two seasons of data, ANA, AAA, AAdA and (positive series only) MAM, MAdM, each fitted by maximum likelihood over its smoothing parameters and initial states (GSL Nelder-Mead; usual region: 0 < beta < alpha, 0 < gamma < 1 - alpha, 0.8 <= phi <= 0.98). A named method is fitted as asked, a seasonal one on fewer than two seasons as its non-seasonal form (seasonal_fallback in the model); MAM and MAdM asked for a series with a day of zero demand raise 22023 (multiplicative errors divide by the forecast: use AAA or auto). A series too short to fit (fewer days than parameters + 2) gets its mean. NULL day or qty skips the row; a negative or non-finite qty raises 22023, an infinite day 22023. No rows: NULL. Read forecasts with forecast_points(model, horizon). (season_length 7, method auto)';
CREATE AGGREGATE @extschema@.demand_forecast(day date, qty double precision, season_length integer) (
    SFUNC = supplymkt_internal.demand_forecast_transfn, STYPE = @extschema@.demand_forecast_state,
    COMBINEFUNC = supplymkt_internal.demand_forecast_state_combine, FINALFUNC = supplymkt_internal.demand_forecast_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.demand_forecast(date, double precision, integer) IS 'Demand model of one series (a GROUP BY group, e.g. a product): one row per (day, qty), several rows of a day summed, the days without a row between the first and the last filled with 0. method auto: a constant series gets its mean; an intermittent one (ADI = days / days with demand > 1.32, Syntetos-Boylan) SBA; otherwise the ETS model of lowest AICc among ANN, AAN, AAdN and, with at least two seasons of data, ANA, AAA, AAdA and (positive series only) MAM, MAdM, each fitted by maximum likelihood over its smoothing parameters and initial states (GSL Nelder-Mead; usual region: 0 < beta < alpha, 0 < gamma < 1 - alpha, 0.8 <= phi <= 0.98). A named method is fitted as asked, a seasonal one on fewer than two seasons as its non-seasonal form (seasonal_fallback in the model); MAM and MAdM asked for a series with a day of zero demand raise 22023 (multiplicative errors divide by the forecast: use AAA or auto). A series too short to fit (fewer days than parameters + 2) gets its mean. NULL day or qty skips the row; a negative or non-finite qty raises 22023, an infinite day 22023. No rows: NULL. Read forecasts with forecast_points(model, horizon). (method auto)';
CREATE AGGREGATE @extschema@.demand_forecast(day date, qty double precision, season_length integer, method text) (
    SFUNC = supplymkt_internal.demand_forecast_transfn, STYPE = @extschema@.demand_forecast_state,
    COMBINEFUNC = supplymkt_internal.demand_forecast_state_combine, FINALFUNC = supplymkt_internal.demand_forecast_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.demand_forecast(date, double precision, integer, text) IS 'Demand model of one series (a GROUP BY group, e.g. a product): one row per (day, qty), several rows of a day summed, the days without a row between the first and the last filled with 0. method auto: a constant series gets its mean; an intermittent one (ADI = days / days with demand > 1.32, Syntetos-Boylan) SBA; otherwise the ETS model of lowest AICc among ANN, AAN, AAdN and, with at least two seasons of data, ANA, AAA, AAdA and (positive series only) MAM, MAdM, each fitted by maximum likelihood over its smoothing parameters and initial states (GSL Nelder-Mead; usual region: 0 < beta < alpha, 0 < gamma < 1 - alpha, 0.8 <= phi <= 0.98). A named method is fitted as asked, a seasonal one on fewer than two seasons as its non-seasonal form (seasonal_fallback in the model); MAM and MAdM asked for a series with a day of zero demand raise 22023 (multiplicative errors divide by the forecast: use AAA or auto). A series too short to fit (fewer days than parameters + 2) gets its mean. NULL day or qty skips the row; a negative or non-finite qty raises 22023, an infinite day 22023. No rows: NULL. Read forecasts with forecast_points(model, horizon).';
CREATE AGGREGATE @extschema@.demand_forecast(day date, qty double precision, options @extschema@.forecast_options) (
    SFUNC = supplymkt_internal.demand_forecast_options_transfn, STYPE = @extschema@.demand_forecast_state,
    COMBINEFUNC = supplymkt_internal.demand_forecast_state_combine, FINALFUNC = supplymkt_internal.demand_forecast_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.demand_forecast(date, double precision, @extschema@.forecast_options) IS 'Demand model of one series (a GROUP BY group, e.g. a product): one row per (day, qty), several rows of a day summed, the days without a row between the first and the last filled with 0. method auto: a constant series gets its mean; an intermittent one (ADI = days / days with demand > 1.32, Syntetos-Boylan) SBA; otherwise the ETS model of lowest AICc among ANN, AAN, AAdN and, with at least two seasons of data, ANA, AAA, AAdA and (positive series only) MAM, MAdM, each fitted by maximum likelihood over its smoothing parameters and initial states (GSL Nelder-Mead; usual region: 0 < beta < alpha, 0 < gamma < 1 - alpha, 0.8 <= phi <= 0.98). A named method is fitted as asked, a seasonal one on fewer than two seasons as its non-seasonal form (seasonal_fallback in the model); MAM and MAdM asked for a series with a day of zero demand raise 22023 (multiplicative errors divide by the forecast: use AAA or auto). A series too short to fit (fewer days than parameters + 2) gets its mean. NULL day or qty skips the row; a negative or non-finite qty raises 22023, an infinite day 22023. No rows: NULL. Read forecasts with forecast_points(model, horizon). (the tuning by name)';

CREATE FUNCTION @extschema@.forecast_points(model @extschema@.forecast_model, horizon integer,
                                            OUT step integer, OUT day date, OUT forecast double precision,
                                            OUT lo80 double precision, OUT hi80 double precision,
                                            OUT lo95 double precision, OUT hi95 double precision)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'forecast_points' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 30;
COMMENT ON FUNCTION @extschema@.forecast_points(@extschema@.forecast_model, integer) IS 'The forecasts of a model for the horizon days after its last day (1..3660): step, day, forecast (the point forecast: for ETS the model''s h-step mean, for Croston / SBA / TSB and the mean method the same value every day) and the 80% and 95% prediction intervals: for additive-error ETS and the mean method forecast +- z sqrt(v_h), v_h the analytic forecast variance (Hyndman et al. 2008, class 1: sigma2 (1 + sum_{j<h} (alpha + beta phi_j + gamma [j mod m = 0])^2)); for MAM and MAdM the percentiles of simulation_paths simulated paths (seeded: the same model gives the same intervals); NULL for Croston, SBA and TSB. Forecasts are not clipped at 0.';

-- forecast_accuracy
CREATE TYPE @extschema@.forecast_accuracy AS (n bigint, mae double precision, rmse double precision,
                                              mape double precision, smape double precision,
                                              bias double precision, mase double precision);
COMMENT ON TYPE @extschema@.forecast_accuracy IS 'Result of forecast_accuracy: n rows; mae, rmse; mape (mean |actual - predicted| / |actual| over rows with actual <> 0, a fraction: 0.12 = 12%; NULL without); smape (mean 2 |a - p| / (|a| + |p|) over rows where not both are 0, 0..2); bias (mean predicted - actual: positive = over-forecast); mase (mae / scale, NULL without a scale or when it is 0).';
COMMENT ON COLUMN @extschema@.forecast_accuracy.n IS 'Rows compared (both values known).';
COMMENT ON COLUMN @extschema@.forecast_accuracy.mae IS 'Mean absolute error |actual - predicted|.';
COMMENT ON COLUMN @extschema@.forecast_accuracy.rmse IS 'Root mean squared error.';
COMMENT ON COLUMN @extschema@.forecast_accuracy.mape IS 'Mean |actual - predicted| / |actual| over rows with actual <> 0, a fraction (0.12 = 12%); NULL without such rows.';
COMMENT ON COLUMN @extschema@.forecast_accuracy.smape IS 'Mean 2 |a - p| / (|a| + |p|) over rows where not both are 0, 0..2; NULL without such rows.';
COMMENT ON COLUMN @extschema@.forecast_accuracy.bias IS 'Mean predicted - actual: positive = over-forecast.';
COMMENT ON COLUMN @extschema@.forecast_accuracy.mase IS 'mae / scale (the in-sample MAE of the naive forecast); NULL without a scale or when it is 0.';
CREATE FUNCTION supplymkt_internal.forecast_accuracy_state_combine(@extschema@.forecast_accuracy_state, @extschema@.forecast_accuracy_state)
    RETURNS @extschema@.forecast_accuracy_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.forecast_accuracy_state_combine(@extschema@.forecast_accuracy_state, @extschema@.forecast_accuracy_state) IS 'Combines two partial forecast_accuracy_state values of the same scale.';
CREATE FUNCTION supplymkt_internal.forecast_accuracy_final(@extschema@.forecast_accuracy_state)
    RETURNS @extschema@.forecast_accuracy AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.forecast_accuracy_final(@extschema@.forecast_accuracy_state) IS 'Final function of forecast_accuracy.';
CREATE FUNCTION supplymkt_internal.forecast_accuracy_transfn(@extschema@.forecast_accuracy_state, double precision, double precision)
    RETURNS @extschema@.forecast_accuracy_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.forecast_accuracy_transfn(@extschema@.forecast_accuracy_state, double precision, double precision, double precision)
    RETURNS @extschema@.forecast_accuracy_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.forecast_accuracy_transfn(@extschema@.forecast_accuracy_state, double precision, double precision) IS 'Transition function of forecast_accuracy(actual, predicted).';
COMMENT ON FUNCTION supplymkt_internal.forecast_accuracy_transfn(@extschema@.forecast_accuracy_state, double precision, double precision, double precision) IS 'Transition function of forecast_accuracy(actual, predicted, scale).';
CREATE AGGREGATE @extschema@.forecast_accuracy(actual double precision, predicted double precision) (
    SFUNC = supplymkt_internal.forecast_accuracy_transfn, STYPE = @extschema@.forecast_accuracy_state,
    COMBINEFUNC = supplymkt_internal.forecast_accuracy_state_combine, FINALFUNC = supplymkt_internal.forecast_accuracy_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.forecast_accuracy(double precision, double precision) IS 'Accuracy of forecasts against actuals (see the type forecast_accuracy for each measure); rows with a NULL are left out, NaN or infinity raise 22023; no rows: NULL. mase is NULL in this form: give the scale (the in-sample MAE of the naive forecast) as the third argument.';
CREATE AGGREGATE @extschema@.forecast_accuracy(actual double precision, predicted double precision, scale double precision) (
    SFUNC = supplymkt_internal.forecast_accuracy_transfn, STYPE = @extschema@.forecast_accuracy_state,
    COMBINEFUNC = supplymkt_internal.forecast_accuracy_state_combine, FINALFUNC = supplymkt_internal.forecast_accuracy_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.forecast_accuracy(double precision, double precision, double precision) IS 'forecast_accuracy with MASE = mae / scale, scale being the in-sample mean absolute error of the naive (or seasonal naive) forecast, the same on every row of a group (22023 otherwise); mase is NULL, not Infinity, when scale is 0. A NULL scale raises 22004.';

-- ===========================================================================================================
-- replenishment_plan (src/inventory/plan.c): the assortment's orders under a budget and a capacity, by GLPK
-- ===========================================================================================================

CREATE TYPE @extschema@.replenishment_plan_state;
CREATE FUNCTION supplymkt_internal.replenishment_plan_state_in(cstring, oid, integer) RETURNS @extschema@.replenishment_plan_state
    AS 'MODULE_PATHNAME', 'replenishment_plan_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.replenishment_plan_state_out(@extschema@.replenishment_plan_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'replenishment_plan_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.replenishment_plan_state_recv(internal, oid, integer) RETURNS @extschema@.replenishment_plan_state
    AS 'MODULE_PATHNAME', 'replenishment_plan_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.replenishment_plan_state_send(@extschema@.replenishment_plan_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'replenishment_plan_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.replenishment_plan_state (
    INPUT = supplymkt_internal.replenishment_plan_state_in, OUTPUT = supplymkt_internal.replenishment_plan_state_out,
    RECEIVE = supplymkt_internal.replenishment_plan_state_recv, SEND = supplymkt_internal.replenishment_plan_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.replenishment_plan_state IS 'Partial-aggregate state of replenishment_plan: one row per product (product_id, demand_mean, demand_sd, on_hand, unit_cost, holding_cost, shortage_cost, pack_size, min_order, volume) and the call''s parameters. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_state_in(cstring, oid, integer) IS 'Text input of replenishment_plan_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_state_out(@extschema@.replenishment_plan_state) IS 'Text output of replenishment_plan_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_state_recv(internal, oid, integer) IS 'Binary input of replenishment_plan_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_state_send(@extschema@.replenishment_plan_state) IS 'Binary output of replenishment_plan_state.';

CREATE TYPE @extschema@.replenishment_options;
CREATE FUNCTION supplymkt_internal.replenishment_options_in(cstring, oid, integer) RETURNS @extschema@.replenishment_options
    AS 'MODULE_PATHNAME', 'replenishment_options_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.replenishment_options_out(@extschema@.replenishment_options) RETURNS cstring
    AS 'MODULE_PATHNAME', 'replenishment_options_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.replenishment_options_recv(internal, oid, integer) RETURNS @extschema@.replenishment_options
    AS 'MODULE_PATHNAME', 'replenishment_options_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.replenishment_options_send(@extschema@.replenishment_options) RETURNS bytea
    AS 'MODULE_PATHNAME', 'replenishment_options_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.replenishment_options (
    INPUT = supplymkt_internal.replenishment_options_in, OUTPUT = supplymkt_internal.replenishment_options_out,
    RECEIVE = supplymkt_internal.replenishment_options_recv, SEND = supplymkt_internal.replenishment_options_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.replenishment_options IS 'Options of replenishment_plan (budget -1 = none, capacity -1 = none, segments 24, time_limit_ms 60000, mip_gap 1e-3), made by supplymkt.replenishment_options(...). Text form is JSON with every field; input may leave out fields that have a default.';
COMMENT ON FUNCTION supplymkt_internal.replenishment_options_in(cstring, oid, integer) IS 'Text input of replenishment_options (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_options_out(@extschema@.replenishment_options) IS 'Text output of replenishment_options (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_options_recv(internal, oid, integer) IS 'Binary input of replenishment_options (validated).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_options_send(@extschema@.replenishment_options) IS 'Binary output of replenishment_options.';
CREATE FUNCTION @extschema@.replenishment_options(budget double precision DEFAULT -1, capacity double precision DEFAULT -1,
                                                  segments integer DEFAULT 24, time_limit_ms integer DEFAULT 60000,
                                                  mip_gap double precision DEFAULT 1e-3)
    RETURNS @extschema@.replenishment_options AS 'MODULE_PATHNAME', 'replenishment_options_make' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.replenishment_options(double precision, double precision, integer, integer, double precision) IS 'Options of replenishment_plan by name, validated now (22023 / 22004): budget (total unit_cost x order; -1, the default, for none), capacity (total volume x (on_hand + order) after the orders arrive; -1 for none), segments 2..200 (chords per product up to its newsvendor order: more is closer to the exact cost, slower), time_limit_ms 100..3600000 for the solver (the plan found so far is returned with status ''time limit''), mip_gap 0..0.5 (relative gap to the best bound at which the MIP search stops; the default 1e-3 is about the error of the chords themselves, and GLPK''s search can take minutes for a much smaller gap).';

CREATE FUNCTION supplymkt_internal.replenishment_plan_state_combine(@extschema@.replenishment_plan_state, @extschema@.replenishment_plan_state)
    RETURNS @extschema@.replenishment_plan_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_state_combine(@extschema@.replenishment_plan_state, @extschema@.replenishment_plan_state) IS 'Combines two partial replenishment_plan_state values of the same parameters.';
CREATE FUNCTION supplymkt_internal.replenishment_plan_final(@extschema@.replenishment_plan_state)
    RETURNS jsonb AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_final(@extschema@.replenishment_plan_state) IS 'Final function of replenishment_plan: builds and solves the LP / MIP.';
CREATE FUNCTION supplymkt_internal.replenishment_plan_transfn(@extschema@.replenishment_plan_state, bigint, double precision, double precision, double precision, double precision, double precision, double precision, double precision)
    RETURNS @extschema@.replenishment_plan_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_transfn(@extschema@.replenishment_plan_state, bigint, double precision, double precision, double precision, double precision, double precision, double precision, double precision) IS 'Transition function of replenishment_plan(product_id, demand_mean, demand_sd, on_hand, unit_cost, holding_cost, shortage_cost, budget).';
CREATE FUNCTION supplymkt_internal.replenishment_plan_options_transfn(@extschema@.replenishment_plan_state, bigint, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, @extschema@.replenishment_options)
    RETURNS @extschema@.replenishment_plan_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_options_transfn(@extschema@.replenishment_plan_state, bigint, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, @extschema@.replenishment_options) IS 'Transition function of replenishment_plan(product_id, ..., pack_size, min_order, volume, options).';
CREATE AGGREGATE @extschema@.replenishment_plan(product_id bigint, demand_mean double precision, demand_sd double precision,
                                               on_hand double precision, unit_cost double precision,
                                               holding_cost double precision, shortage_cost double precision,
                                               budget double precision) (
    SFUNC = supplymkt_internal.replenishment_plan_transfn, STYPE = @extschema@.replenishment_plan_state,
    COMBINEFUNC = supplymkt_internal.replenishment_plan_state_combine, FINALFUNC = supplymkt_internal.replenishment_plan_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.replenishment_plan(bigint, double precision, double precision, double precision, double precision, double precision, double precision, double precision) IS
    'Order quantities for the whole assortment (one row per product) minimising the expected holding + shortage cost of the period, solved with GLPK: product_id, demand_mean and demand_sd of the demand the order must cover (normal; e.g. the forecast over lead time + review period), on_hand, unit_cost (what the budget counts), holding_cost per unit left and shortage_cost per unit short at the end of the period. Each product''s cost C(q) = holding E[(on_hand + q - D)+] + shortage E[(D - on_hand - q)+] is convex; the plan replaces it by its chords between `segments` breakpoints up to the newsvendor order (a breakpoint) and solves the LP (a MIP with pack sizes or minimum orders) of the lowest total under sum unit_cost x order <= budget and sum volume x (on_hand + order) <= capacity. Without a budget or capacity every product gets its newsvendor order. Returns jsonb: status (optimal; within mip_gap: a MIP whose plan is within mip_gap of the best bound; time limit: the best plan found in time_limit_ms), solver, objective (the piecewise-linear total), expected_cost (the exact total at the plan), cost_without_orders, budget, budget_used, budget_shadow_price (expected cost saved per unit of extra budget; for a MIP from the LP with the integer choices fixed), capacity, capacity_used, capacity_shadow_price, binding (the constraints at their limit), products, segments and orders [{product_id, order_qty, order_up_to, newsvendor_qty, expected_cost}] by product_id; read them with replenishment_orders(plan). Rows with a NULL are skipped; negative or non-finite inputs raise 22023, a product twice 22023, a shortage cost without a holding cost 22023 (unbounded). This form: no pack sizes, minimum orders or capacity; budget the same on every row, NULL for none.';
CREATE AGGREGATE @extschema@.replenishment_plan(product_id bigint, demand_mean double precision, demand_sd double precision,
                                               on_hand double precision, unit_cost double precision,
                                               holding_cost double precision, shortage_cost double precision,
                                               pack_size double precision, min_order double precision,
                                               volume double precision, options @extschema@.replenishment_options) (
    SFUNC = supplymkt_internal.replenishment_plan_options_transfn, STYPE = @extschema@.replenishment_plan_state,
    COMBINEFUNC = supplymkt_internal.replenishment_plan_state_combine, FINALFUNC = supplymkt_internal.replenishment_plan_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.replenishment_plan(bigint, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, @extschema@.replenishment_options) IS
    'Order quantities for the whole assortment (one row per product) minimising the expected holding + shortage cost of the period, solved with GLPK: product_id, demand_mean and demand_sd of the demand the order must cover (normal; e.g. the forecast over lead time + review period), on_hand, unit_cost (what the budget counts), holding_cost per unit left and shortage_cost per unit short at the end of the period. Each product''s cost C(q) = holding E[(on_hand + q - D)+] + shortage E[(D - on_hand - q)+] is convex; the plan replaces it by its chords between `segments` breakpoints up to the newsvendor order (a breakpoint) and solves the LP (a MIP with pack sizes or minimum orders) of the lowest total under sum unit_cost x order <= budget and sum volume x (on_hand + order) <= capacity. Without a budget or capacity every product gets its newsvendor order. Returns jsonb: status (optimal; within mip_gap: a MIP whose plan is within mip_gap of the best bound; time limit: the best plan found in time_limit_ms), solver, objective (the piecewise-linear total), expected_cost (the exact total at the plan), cost_without_orders, budget, budget_used, budget_shadow_price (expected cost saved per unit of extra budget; for a MIP from the LP with the integer choices fixed), capacity, capacity_used, capacity_shadow_price, binding (the constraints at their limit), products, segments and orders [{product_id, order_qty, order_up_to, newsvendor_qty, expected_cost}] by product_id; read them with replenishment_orders(plan). Rows with a NULL are skipped; negative or non-finite inputs raise 22023, a product twice 22023, a shortage cost without a holding cost 22023 (unbounded). This form adds per product pack_size (orders are whole packs; 0 for none), min_order (an order is 0 or at least this; 0 for none) and volume (space per unit, for the capacity), and the options (budget, capacity, segments, time limit, MIP gap).';

CREATE FUNCTION @extschema@.replenishment_orders(plan jsonb, OUT product_id bigint, OUT order_qty double precision,
                                                 OUT order_up_to double precision, OUT newsvendor_qty double precision,
                                                 OUT expected_cost double precision)
    RETURNS SETOF record
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
SELECT o.product_id, o.order_qty, o.order_up_to, o.newsvendor_qty, o.expected_cost
  FROM jsonb_to_recordset(plan -> 'orders') AS o(product_id bigint, order_qty float8, order_up_to float8,
                                                 newsvendor_qty float8, expected_cost float8)
$$;
COMMENT ON FUNCTION @extschema@.replenishment_orders(jsonb) IS 'The orders of a replenishment_plan, one row per product: order_qty, order_up_to (on_hand + order_qty), newsvendor_qty (the order without budget or capacity) and expected_cost (the exact expected holding + shortage cost at the order).';

-- ---------------------------------------------------------------------------------------------------------
-- Dashboards of this family: demand models per product, the replenishment advice, forecast accuracy
-- ---------------------------------------------------------------------------------------------------------

-- Text of the common table expressions line (order lines: product, day in time_zone, units; negative lines
-- left out) and bounds (the last day with an order) over source_schema; shared by the forecast dashboards.
CREATE FUNCTION supplymkt_internal.demand_lines_ctes(source_schema text, time_zone text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
RETURN format($q$line AS MATERIALIZED (
    SELECT oi.product_id, (o.order_time AT TIME ZONE %2$L)::date AS day, sum(oi.quantity)::float8 AS qty
      FROM %1$I.order_items AS oi
      JOIN %1$I.orders AS o ON o.order_id = oi.order_id
     WHERE oi.product_id IS NOT NULL AND o.order_time IS NOT NULL AND isfinite(o.order_time) AND oi.quantity >= 0
     GROUP BY 1, 2
),
bounds AS (
    SELECT max(day) AS last_day FROM line
)$q$, source_schema, time_zone);
COMMENT ON FUNCTION supplymkt_internal.demand_lines_ctes(text, text) IS
    'The common table expressions line (units sold per product and day, days in time_zone; order lines with a negative quantity left out) and bounds (the last day with an order) over source_schema, shared by demand_models_query, replenishment_query and forecast_accuracy_query.';

-- Text of the demand models query: demand_forecast (auto) of every product's daily units, each series running
-- to the last day with an order in the data.
CREATE FUNCTION supplymkt_internal.demand_models_query(source_schema text, time_zone text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%1$s,
series AS (
    SELECT product_id, day, qty FROM line
    UNION ALL
    -- a zero on the last day for every product, so that each series ends where the data ends
    SELECT p.product_id, b.last_day, 0 FROM (SELECT DISTINCT product_id FROM line) AS p CROSS JOIN bounds AS b
)
SELECT f.product_id, f.model, (f.model::text::jsonb) ->> 'method' AS method,
       ((f.model::text::jsonb) ->> 'last_day')::date AS last_day, now() AS fitted_at
  FROM (SELECT s.product_id, @extschema@.demand_forecast(s.day, s.qty) AS model FROM series AS s GROUP BY s.product_id) AS f
$q$, supplymkt_internal.demand_lines_ctes(source_schema, time_zone))
$body$;
COMMENT ON FUNCTION supplymkt_internal.demand_models_query(text, text) IS
    'The SELECT behind demand_models_mv: one forecast_model per product (demand_forecast, method auto, season length 7) of its daily units sold in source_schema, each series running to the last day with an order (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the replenishment query: per product, the forecast over the lead time, safety stock, reorder point,
-- stock position and the suggested order, from target_schema.demand_models_mv and the stock and purchase
-- orders of source_schema; with_names reads products.name.
CREATE FUNCTION supplymkt_internal.replenishment_query(source_schema text, target_schema text, time_zone text,
                                                       with_names boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%4$s,
model AS MATERIALIZED (
    SELECT product_id, model, method, last_day FROM %2$I.demand_models_mv
),
as_of AS (
    SELECT max(last_day) AS day FROM model
),
lead_rows AS (
    SELECT po.product_id, (po.received_date - po.order_date)::float8 AS days
      FROM %1$I.purchase_orders AS po
     WHERE po.received_date IS NOT NULL AND po.order_date IS NOT NULL AND po.received_date >= po.order_date
),
lead_product AS (
    SELECT product_id, avg(days) AS lead_time, COALESCE(stddev_samp(days), 0) AS lead_time_sd FROM lead_rows GROUP BY 1
),
lead_all AS (
    SELECT COALESCE(avg(days), 7) AS lead_time, COALESCE(stddev_samp(days), 0) AS lead_time_sd FROM lead_rows
),
on_hand AS (
    SELECT DISTINCT ON (s.product_id) s.product_id, greatest(s.on_hand, 0)::float8 AS on_hand
      FROM %1$I.inventory_snapshots AS s, as_of AS a
     WHERE s.snapshot_date <= a.day
     ORDER BY s.product_id, s.snapshot_date DESC
),
on_order AS (
    SELECT po.product_id, sum(po.quantity)::float8 AS on_order
      FROM %1$I.purchase_orders AS po, as_of AS a
     WHERE po.order_date <= a.day AND (po.received_date IS NULL OR po.received_date > a.day)
     GROUP BY 1
),
recent AS (
    -- daily demand sd over the last 91 days (days without sales count as 0)
    SELECT m.product_id,
           sqrt(greatest((COALESCE(sum(d.qty * d.qty), 0) - COALESCE(sum(d.qty), 0) ^ 2 / 91) / 90, 0)) AS daily_sd
      FROM model AS m CROSS JOIN as_of AS a
      LEFT JOIN line AS d ON d.product_id = m.product_id AND d.day > a.day - 91 AND d.day <= a.day
     GROUP BY m.product_id
),
%3$s,
plan AS (
    SELECT m.product_id, m.method, COALESCE(lp.lead_time, la.lead_time) AS lead_time,
           COALESCE(lp.lead_time_sd, la.lead_time_sd) AS lead_time_sd, r.daily_sd,
           COALESCE(oh.on_hand, 0) AS on_hand, COALESCE(oo.on_order, 0) AS on_order,
           (SELECT sum(fp.forecast) FROM @extschema@.forecast_points(m.model, greatest(1, ceil(COALESCE(lp.lead_time, la.lead_time))::int)) AS fp)
             AS lead_time_demand,
           greatest(1, ceil(COALESCE(lp.lead_time, la.lead_time)))::int AS lead_days
      FROM model AS m CROSS JOIN lead_all AS la
      LEFT JOIN lead_product AS lp ON lp.product_id = m.product_id
      LEFT JOIN on_hand AS oh ON oh.product_id = m.product_id
      LEFT JOIN on_order AS oo ON oo.product_id = m.product_id
      JOIN recent AS r ON r.product_id = m.product_id
),
forecast_rate AS (
    SELECT p.*, greatest(p.lead_time_demand / p.lead_days, 0) AS daily_forecast
      FROM plan AS p
),
policy AS (
    SELECT f.*, f.on_hand + f.on_order AS position,
           @extschema@.safety_stock(f.daily_forecast, f.daily_sd, f.lead_time, f.lead_time_sd, 0.95) AS safety,
           @extschema@.reorder_point(f.daily_forecast, f.daily_sd, f.lead_time, f.lead_time_sd, 0.95) AS reorder_at,
           @extschema@.order_up_to_level(f.daily_forecast, f.daily_sd, 7, f.lead_time, f.lead_time_sd, 0.95) AS up_to
      FROM forecast_rate AS f
)
SELECT p.product_id, pn.name, pr.category, p.method, round(p.daily_forecast::numeric, 3) AS daily_forecast,
       round(p.lead_time::numeric, 2) AS lead_time_days, round(p.lead_time_sd::numeric, 2) AS lead_time_sd,
       round(greatest(p.lead_time_demand, 0)::numeric, 2) AS lead_time_demand,
       round(p.safety::numeric, 2) AS safety_stock, round(p.reorder_at::numeric, 2) AS reorder_point,
       p.on_hand, p.on_order, p.position AS inventory_position, p.position <= p.reorder_at AS order_now,
       round(p.up_to::numeric, 2) AS order_up_to,
       CASE WHEN p.position <= p.reorder_at THEN ceil(greatest(p.up_to - p.position, 0)) ELSE 0 END AS suggested_order
  FROM policy AS p
  LEFT JOIN product_name AS pn ON pn.id = p.product_id
  LEFT JOIN %1$I.products AS pr ON pr.product_id = p.product_id
$q$, source_schema, target_schema,
     supplymkt_internal.names_cte('product_name', source_schema, 'products', 'product_id', with_names),
     supplymkt_internal.demand_lines_ctes(source_schema, time_zone))
$body$;
COMMENT ON FUNCTION supplymkt_internal.replenishment_query(text, text, text, boolean) IS
    'The SELECT behind replenishment_mv: per product of target_schema.demand_models_mv, the lead time (purchase_orders of source_schema), the forecast over it, safety stock and reorder point at a 95% cycle service level, the stock position (last snapshot + open purchase orders) and the suggested order up to the periodic-review level (review every 7 days) when the position is at or below the reorder point (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the forecast accuracy query: per method, the forecasts of the last 28 days of the data from models
-- fitted on the days before, against the units sold.
CREATE FUNCTION supplymkt_internal.forecast_accuracy_query(source_schema text, time_zone text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%1$s,
cut AS (
    SELECT last_day - 27 AS holdout_start, last_day FROM bounds
),
products AS (
    SELECT DISTINCT l.product_id FROM line AS l, cut AS c WHERE l.day < c.holdout_start
),
train AS (
    SELECT l.product_id, l.day, l.qty FROM line AS l, cut AS c WHERE l.day < c.holdout_start
    UNION ALL
    SELECT p.product_id, c.holdout_start - 1, 0 FROM products AS p, cut AS c
),
method AS (
    SELECT unnest(ARRAY['auto', 'ANN', 'AAdN', 'croston', 'sba', 'tsb']) AS method
),
fit AS (
    SELECT m.method, t.product_id, @extschema@.demand_forecast(t.day, t.qty, 7, m.method) AS model
      FROM train AS t CROSS JOIN method AS m
     GROUP BY m.method, t.product_id
),
naive AS (
    -- the in-sample MAE of the naive forecast (yesterday's units), over every product's training days
    SELECT avg(abs(d.qty - d.prev)) AS scale
      FROM (SELECT g.product_id, g.day, COALESCE(l.qty, 0) AS qty,
                   lag(COALESCE(l.qty, 0)) OVER (PARTITION BY g.product_id ORDER BY g.day) AS prev
              FROM (SELECT p.product_id, d::date AS day
                      FROM products AS p, cut AS c,
                           generate_series((SELECT min(day) FROM line), c.holdout_start - 1, interval '1 day') AS d) AS g
              LEFT JOIN line AS l ON l.product_id = g.product_id AND l.day = g.day) AS d
     WHERE d.prev IS NOT NULL
)
SELECT x.method, x.products, (x.acc).n AS days, (x.acc).mae, (x.acc).rmse, (x.acc).smape, (x.acc).bias, (x.acc).mase
  FROM (SELECT f.method, count(DISTINCT f.product_id) AS products,
               @extschema@.forecast_accuracy(COALESCE(l.qty, 0), p.forecast, (SELECT COALESCE(scale, 0) FROM naive)) AS acc
          FROM fit AS f
         CROSS JOIN LATERAL @extschema@.forecast_points(f.model, 28) AS p
          LEFT JOIN line AS l ON l.product_id = f.product_id AND l.day = p.day
         GROUP BY f.method) AS x
$q$, supplymkt_internal.demand_lines_ctes(source_schema, time_zone))
$body$;
COMMENT ON FUNCTION supplymkt_internal.forecast_accuracy_query(text, text) IS
    'The SELECT behind forecast_accuracy_mv: for methods auto, ANN, AAdN, croston, sba and tsb, models of every product fitted on the days before the last 28 days of source_schema''s orders, their 28-day forecasts against the units sold, pooled over products and days (forecast_accuracy; MASE scaled by the in-sample naive MAE over all products) (used by create_dashboards; handy to read or EXPLAIN).';

-- dashboard demand_models
SELECT supplymkt_internal.register_dashboard(
    name => 'demand_models', family => 'forecast', build_order => 120,
    query_call => 'supplymkt_internal.demand_models_query(%1$L, %3$L)',
    unique_key => ARRAY['product_id'],
    source_columns => ARRAY['orders.order_id', 'orders.order_time', 'order_items.order_id', 'order_items.product_id', 'order_items.quantity'],
    title => 'Demand models',
    mv_comment => 'Demand models built by supplymkt.create_dashboards from schema %1$s (days in time zone %3$s): one supplymkt.forecast_model per product, demand_forecast (method auto, season length 7) of its daily units sold, the days without sales counted as 0 and every series running to the last day with an order. Refresh with supplymkt.refresh_dashboards(%2$L) (CONCURRENTLY: unique index demand_models_mv_key). Query the view demand_models; supplymkt.forecast_points(model, horizon) reads the forecasts.',
    columns => ARRAY[
        ['product_id', 'Product (order_items.product_id) with at least one order line.'],
        ['model', 'The fitted supplymkt.forecast_model (JSON text form; see forecast_points).'],
        ['method', 'The method auto chose: an ETS model (ANN, AAN, AAdN, ANA, AAA, AAdA, MAM, MAdM) by AICc, sba for intermittent demand, mean for a constant or too short series.'],
        ['last_day', 'The last day of the series: the last day with an order in the data (the forecasts start the day after).'],
        ['fitted_at', 'When this create or refresh fitted it.']]);

-- dashboard replenishment
SELECT supplymkt_internal.register_dashboard(
    name => 'replenishment', family => 'forecast', build_order => 130,
    query_call => 'supplymkt_internal.replenishment_query(%1$L, %2$L, %3$L, supplymkt_internal.source_has_column(%1$L, ''products'', ''name''))',
    unique_key => ARRAY['product_id'],
    source_columns => ARRAY['products.product_id', 'products.category', 'orders.order_id', 'orders.order_time', 'order_items.order_id', 'order_items.product_id', 'order_items.quantity', 'inventory_snapshots.snapshot_date', 'inventory_snapshots.product_id', 'inventory_snapshots.on_hand', 'purchase_orders.product_id', 'purchase_orders.order_date', 'purchase_orders.quantity', 'purchase_orders.received_date'],
    title => 'Replenishment',
    mv_comment => 'Replenishment advice built by supplymkt.create_dashboards from schema %1$s and %2$I.demand_models_mv: per product, as of the last day with an order, the forecast over the lead time, the safety stock and reorder point of a continuous-review policy at a 95%% cycle service level, the stock position, and, when the position is at or below the reorder point, the order up to the periodic-review level (review every 7 days). Refresh with supplymkt.refresh_dashboards(%2$L) (after demand_models_mv, in build order). Query the view replenishment, e.g. WHERE order_now.',
    columns => ARRAY[
        ['product_id', 'Product of demand_models_mv.'],
        ['name', 'The product''s name (products.name; NULL without the optional column).'],
        ['category', 'products.category.'],
        ['method', 'The demand model''s method (demand_models_mv.method).'],
        ['daily_forecast', 'Mean daily units the model forecasts over the lead time: lead_time_demand / lead time in whole days.'],
        ['lead_time_days', 'Mean days from order_date to received_date of the product''s received purchase orders (all products'' mean when it has none; 7 without any).'],
        ['lead_time_sd', 'Sample sd of those lead times (0 with fewer than two).'],
        ['lead_time_demand', 'Units the model forecasts for the lead time rounded up to whole days (sum of forecast_points), at least 0.'],
        ['safety_stock', 'safety_stock(daily_forecast, daily sd, lead_time_days, lead_time_sd, 0.95): the daily sd is that of the units sold over the last 91 days (days without sales as 0).'],
        ['reorder_point', 'reorder_point(same): daily_forecast x lead_time_days + safety_stock.'],
        ['on_hand', 'Units on hand at the last inventory snapshot on or before the as-of day (negative counted as 0; 0 without a snapshot).'],
        ['on_order', 'Units of purchase orders placed by the as-of day and not received by it.'],
        ['inventory_position', 'on_hand + on_order.'],
        ['order_now', 'True when the inventory position is at or below the reorder point.'],
        ['order_up_to', 'order_up_to_level(daily_forecast, daily sd, 7, lead_time_days, lead_time_sd, 0.95): the level a weekly review orders up to.'],
        ['suggested_order', 'When order_now: order_up_to - inventory_position rounded up (at least 0); else 0. For a budget or pack sizes across the assortment use supplymkt.replenishment_plan.']]);

-- dashboard forecast_accuracy
SELECT supplymkt_internal.register_dashboard(
    name => 'forecast_accuracy', family => 'forecast', build_order => 140,
    query_call => 'supplymkt_internal.forecast_accuracy_query(%1$L, %3$L)',
    unique_key => ARRAY['method'],
    source_columns => ARRAY['orders.order_id', 'orders.order_time', 'order_items.order_id', 'order_items.product_id', 'order_items.quantity'],
    title => 'Forecast accuracy',
    mv_comment => 'Forecast accuracy built by supplymkt.create_dashboards from schema %1$s: for methods auto, ANN, AAdN, croston, sba and tsb, a model per product fitted on the days before the last 28 days with an order, its 28 daily forecasts against the units sold (0 on days without sales), pooled over products and days. Refresh with supplymkt.refresh_dashboards(%2$L). Query the view forecast_accuracy.',
    columns => ARRAY[
        ['method', 'The demand_forecast method.'],
        ['products', 'Products with sales before the holdout period.'],
        ['days', 'Product-days compared (products x 28).'],
        ['mae', 'Mean absolute error in units per product-day.'],
        ['rmse', 'Root mean squared error.'],
        ['smape', 'Mean 2|a - f| / (|a| + |f|) over product-days where not both are 0.'],
        ['bias', 'Mean forecast - actual: positive = over-forecast.'],
        ['mase', 'mae / the in-sample MAE of the naive forecast (yesterday''s units) over every product''s training days: below 1 beats the naive forecast. NULL when that is 0.']]);
