-- supplymkt 0.1.0 install script, frozen as released (kept so that 0.1.0 installs and upgrades). Do not edit.
\echo Use "CREATE EXTENSION supplymkt" to load this file. \quit
-- shared objects (the state-type pattern lives in src/common.c)

-- Checks that source_schema holds the canonical relations and columns a reader needs (columns as
-- 'relation.column'; the relations are those the columns name, in order).
CREATE FUNCTION @extschema@.check_source(source_schema text, columns text[], reader text)
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
     WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = format('%I.%I', source_schema, split_part(col, '.', 1))::regclass
                          AND a.attname = split_part(col, '.', 2) AND a.attnum > 0 AND NOT a.attisdropped);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'source column % does not exist', missing
            USING ERRCODE = 'undefined_column',
                  HINT = 'See the canonical data model in the supplymkt documentation for the columns each relation needs.';
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.check_source(text, text[], text) IS
    'Raises 22004 for a NULL schema, 3F000 for an unknown one, 42P01 naming the missing relations and 42703 naming the missing columns (columns given as relation.column; reader, the calling function, is named in the hint); returns nothing when source_schema has them all.';
-- ===========================================================================================================
-- Supply-capability metrics (src/supply.c)
-- ===========================================================================================================

-- State types (DESIGN.md pattern 3): real varlena types with exact text and validated binary I/O, so the
-- aggregates run as partial aggregates in parallel query and on Citus workers.
-- turnover_state
CREATE TYPE @extschema@.turnover_state;
CREATE FUNCTION @extschema@.turnover_state_in(cstring, oid, integer) RETURNS @extschema@.turnover_state
    AS 'MODULE_PATHNAME', 'fixed_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.turnover_state_out(@extschema@.turnover_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'fixed_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.turnover_state_recv(internal, oid, integer) RETURNS @extschema@.turnover_state
    AS 'MODULE_PATHNAME', 'fixed_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.turnover_state_send(@extschema@.turnover_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'fixed_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.turnover_state (
    INPUT = @extschema@.turnover_state_in, OUTPUT = @extschema@.turnover_state_out,
    RECEIVE = @extschema@.turnover_state_recv, SEND = @extschema@.turnover_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.turnover_state IS 'Partial-aggregate state of inventory_turnover: count and sum of COGS, count and sum of inventory value. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION @extschema@.turnover_state_in(cstring, oid, integer) IS 'Text input of turnover_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.turnover_state_out(@extschema@.turnover_state) IS 'Text output of turnover_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.turnover_state_recv(internal, oid, integer) IS 'Binary input of turnover_state (validated).';
COMMENT ON FUNCTION @extschema@.turnover_state_send(@extschema@.turnover_state) IS 'Binary output of turnover_state.';

-- stockout_state
CREATE TYPE @extschema@.stockout_state;
CREATE FUNCTION @extschema@.stockout_state_in(cstring, oid, integer) RETURNS @extschema@.stockout_state
    AS 'MODULE_PATHNAME', 'fixed_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.stockout_state_out(@extschema@.stockout_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'fixed_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.stockout_state_recv(internal, oid, integer) RETURNS @extschema@.stockout_state
    AS 'MODULE_PATHNAME', 'fixed_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.stockout_state_send(@extschema@.stockout_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'fixed_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.stockout_state (
    INPUT = @extschema@.stockout_state_in, OUTPUT = @extschema@.stockout_state_out,
    RECEIVE = @extschema@.stockout_state_recv, SEND = @extschema@.stockout_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.stockout_state IS 'Partial-aggregate state of stockout_rate: snapshots and stocked-out snapshots. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION @extschema@.stockout_state_in(cstring, oid, integer) IS 'Text input of stockout_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.stockout_state_out(@extschema@.stockout_state) IS 'Text output of stockout_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.stockout_state_recv(internal, oid, integer) IS 'Binary input of stockout_state (validated).';
COMMENT ON FUNCTION @extschema@.stockout_state_send(@extschema@.stockout_state) IS 'Binary output of stockout_state.';

-- fill_rate_state
CREATE TYPE @extschema@.fill_rate_state;
CREATE FUNCTION @extschema@.fill_rate_state_in(cstring, oid, integer) RETURNS @extschema@.fill_rate_state
    AS 'MODULE_PATHNAME', 'fixed_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.fill_rate_state_out(@extschema@.fill_rate_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'fixed_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.fill_rate_state_recv(internal, oid, integer) RETURNS @extschema@.fill_rate_state
    AS 'MODULE_PATHNAME', 'fixed_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.fill_rate_state_send(@extschema@.fill_rate_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'fixed_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.fill_rate_state (
    INPUT = @extschema@.fill_rate_state_in, OUTPUT = @extschema@.fill_rate_state_out,
    RECEIVE = @extschema@.fill_rate_state_recv, SEND = @extschema@.fill_rate_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.fill_rate_state IS 'Partial-aggregate state of fill_rate: lines, units demanded and units fulfilled (capped at demanded). Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION @extschema@.fill_rate_state_in(cstring, oid, integer) IS 'Text input of fill_rate_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.fill_rate_state_out(@extschema@.fill_rate_state) IS 'Text output of fill_rate_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.fill_rate_state_recv(internal, oid, integer) IS 'Binary input of fill_rate_state (validated).';
COMMENT ON FUNCTION @extschema@.fill_rate_state_send(@extschema@.fill_rate_state) IS 'Binary output of fill_rate_state.';

-- sell_through_state
CREATE TYPE @extschema@.sell_through_state;
CREATE FUNCTION @extschema@.sell_through_state_in(cstring, oid, integer) RETURNS @extschema@.sell_through_state
    AS 'MODULE_PATHNAME', 'fixed_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.sell_through_state_out(@extschema@.sell_through_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'fixed_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.sell_through_state_recv(internal, oid, integer) RETURNS @extschema@.sell_through_state
    AS 'MODULE_PATHNAME', 'fixed_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.sell_through_state_send(@extschema@.sell_through_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'fixed_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.sell_through_state (
    INPUT = @extschema@.sell_through_state_in, OUTPUT = @extschema@.sell_through_state_out,
    RECEIVE = @extschema@.sell_through_state_recv, SEND = @extschema@.sell_through_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.sell_through_state IS 'Partial-aggregate state of sell_through_rate: count and sum of units sold, count and sum of units received. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION @extschema@.sell_through_state_in(cstring, oid, integer) IS 'Text input of sell_through_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.sell_through_state_out(@extschema@.sell_through_state) IS 'Text output of sell_through_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.sell_through_state_recv(internal, oid, integer) IS 'Binary input of sell_through_state (validated).';
COMMENT ON FUNCTION @extschema@.sell_through_state_send(@extschema@.sell_through_state) IS 'Binary output of sell_through_state.';

-- renewal_state
CREATE TYPE @extschema@.renewal_state;
CREATE FUNCTION @extschema@.renewal_state_in(cstring, oid, integer) RETURNS @extschema@.renewal_state
    AS 'MODULE_PATHNAME', 'fixed_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.renewal_state_out(@extschema@.renewal_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'fixed_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.renewal_state_recv(internal, oid, integer) RETURNS @extschema@.renewal_state
    AS 'MODULE_PATHNAME', 'fixed_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.renewal_state_send(@extschema@.renewal_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'fixed_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.renewal_state (
    INPUT = @extschema@.renewal_state_in, OUTPUT = @extschema@.renewal_state_out,
    RECEIVE = @extschema@.renewal_state_recv, SEND = @extschema@.renewal_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.renewal_state IS 'Partial-aggregate state of renewal_rate: items in the assortment, new items, and the period. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION @extschema@.renewal_state_in(cstring, oid, integer) IS 'Text input of renewal_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.renewal_state_out(@extschema@.renewal_state) IS 'Text output of renewal_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.renewal_state_recv(internal, oid, integer) IS 'Binary input of renewal_state (validated).';
COMMENT ON FUNCTION @extschema@.renewal_state_send(@extschema@.renewal_state) IS 'Binary output of renewal_state.';

-- variability_state
CREATE TYPE @extschema@.variability_state;
CREATE FUNCTION @extschema@.variability_state_in(cstring, oid, integer) RETURNS @extschema@.variability_state
    AS 'MODULE_PATHNAME', 'fixed_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.variability_state_out(@extschema@.variability_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'fixed_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.variability_state_recv(internal, oid, integer) RETURNS @extschema@.variability_state
    AS 'MODULE_PATHNAME', 'fixed_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.variability_state_send(@extschema@.variability_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'fixed_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.variability_state (
    INPUT = @extschema@.variability_state_in, OUTPUT = @extschema@.variability_state_out,
    RECEIVE = @extschema@.variability_state_recv, SEND = @extschema@.variability_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.variability_state IS 'Partial-aggregate state of demand_cv: count, mean and sum of squared deviations (Welford). Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION @extschema@.variability_state_in(cstring, oid, integer) IS 'Text input of variability_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.variability_state_out(@extschema@.variability_state) IS 'Text output of variability_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.variability_state_recv(internal, oid, integer) IS 'Binary input of variability_state (validated).';
COMMENT ON FUNCTION @extschema@.variability_state_send(@extschema@.variability_state) IS 'Binary output of variability_state.';

-- diversity_state
CREATE TYPE @extschema@.diversity_state;
CREATE FUNCTION @extschema@.diversity_state_in(cstring, oid, integer) RETURNS @extschema@.diversity_state
    AS 'MODULE_PATHNAME', 'count_map_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversity_state_out(@extschema@.diversity_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'count_map_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversity_state_recv(internal, oid, integer) RETURNS @extschema@.diversity_state
    AS 'MODULE_PATHNAME', 'count_map_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversity_state_send(@extschema@.diversity_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'count_map_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.diversity_state (
    INPUT = @extschema@.diversity_state_in, OUTPUT = @extschema@.diversity_state_out,
    RECEIVE = @extschema@.diversity_state_recv, SEND = @extschema@.diversity_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.diversity_state IS 'Partial-aggregate state of assortment_diversity: items per category, keyed by a 64-bit hash of the category. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION @extschema@.diversity_state_in(cstring, oid, integer) IS 'Text input of diversity_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.diversity_state_out(@extschema@.diversity_state) IS 'Text output of diversity_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.diversity_state_recv(internal, oid, integer) IS 'Binary input of diversity_state (validated).';
COMMENT ON FUNCTION @extschema@.diversity_state_send(@extschema@.diversity_state) IS 'Binary output of diversity_state.';

-- Aggregates.  Transition functions are not strict: they skip NULL rows themselves and update the state in
-- place when called by an aggregate; called directly they return a new value.
CREATE FUNCTION @extschema@.inventory_turnover_transfn(@extschema@.turnover_state, double precision, double precision)
    RETURNS @extschema@.turnover_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.turnover_state_combine(@extschema@.turnover_state, @extschema@.turnover_state)
    RETURNS @extschema@.turnover_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.inventory_turnover_final(@extschema@.turnover_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.inventory_turnover(cogs double precision, inventory_value double precision) (
    SFUNC = @extschema@.inventory_turnover_transfn, STYPE = @extschema@.turnover_state,
    COMBINEFUNC = @extschema@.turnover_state_combine, FINALFUNC = @extschema@.inventory_turnover_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.inventory_turnover_transfn(@extschema@.turnover_state, double precision, double precision) IS 'Transition function of inventory_turnover.';
COMMENT ON FUNCTION @extschema@.turnover_state_combine(@extschema@.turnover_state, @extschema@.turnover_state) IS 'Combines two partial turnover_state values.';
COMMENT ON FUNCTION @extschema@.inventory_turnover_final(@extschema@.turnover_state) IS 'Final function of inventory_turnover: sum(cogs) / avg(inventory_value).';
COMMENT ON AGGREGATE @extschema@.inventory_turnover(double precision, double precision) IS
    'Inventory turnover: total COGS of the period over the average inventory value (each column skips its own NULLs, like sum(cogs) / avg(inventory_value)). NULL when there are no rows or the average inventory is 0. Negative, NaN or infinite inputs raise 22023.';

CREATE FUNCTION @extschema@.stockout_rate_transfn(@extschema@.stockout_state, double precision)
    RETURNS @extschema@.stockout_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.stockout_state_combine(@extschema@.stockout_state, @extschema@.stockout_state)
    RETURNS @extschema@.stockout_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.stockout_rate_final(@extschema@.stockout_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.stockout_rate(on_hand double precision) (
    SFUNC = @extschema@.stockout_rate_transfn, STYPE = @extschema@.stockout_state,
    COMBINEFUNC = @extschema@.stockout_state_combine, FINALFUNC = @extschema@.stockout_rate_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.stockout_rate_transfn(@extschema@.stockout_state, double precision) IS 'Transition function of stockout_rate.';
COMMENT ON FUNCTION @extschema@.stockout_state_combine(@extschema@.stockout_state, @extschema@.stockout_state) IS 'Combines two partial stockout_state values.';
COMMENT ON FUNCTION @extschema@.stockout_rate_final(@extschema@.stockout_state) IS 'Final function of stockout_rate.';
COMMENT ON AGGREGATE @extschema@.stockout_rate(double precision) IS
    'Share of inventory snapshots with nothing on hand (on_hand <= 0; negative means backordered). NULL rows are skipped; NULL without rows. NaN or infinite on_hand raises 22023.';

CREATE FUNCTION @extschema@.fill_rate_transfn(@extschema@.fill_rate_state, double precision, double precision)
    RETURNS @extschema@.fill_rate_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.fill_rate_state_combine(@extschema@.fill_rate_state, @extschema@.fill_rate_state)
    RETURNS @extschema@.fill_rate_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.fill_rate_final(@extschema@.fill_rate_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.fill_rate(demanded double precision, fulfilled double precision) (
    SFUNC = @extschema@.fill_rate_transfn, STYPE = @extschema@.fill_rate_state,
    COMBINEFUNC = @extschema@.fill_rate_state_combine, FINALFUNC = @extschema@.fill_rate_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.fill_rate_transfn(@extschema@.fill_rate_state, double precision, double precision) IS 'Transition function of fill_rate.';
COMMENT ON FUNCTION @extschema@.fill_rate_state_combine(@extschema@.fill_rate_state, @extschema@.fill_rate_state) IS 'Combines two partial fill_rate_state values.';
COMMENT ON FUNCTION @extschema@.fill_rate_final(@extschema@.fill_rate_state) IS 'Final function of fill_rate.';
COMMENT ON AGGREGATE @extschema@.fill_rate(double precision, double precision) IS
    'Unit fill rate: sum(least(fulfilled, demanded)) / sum(demanded) over lines where both are non-NULL (over-delivery counts as fully filled). NULL when nothing was demanded. Negative, NaN or infinite inputs raise 22023.';

CREATE FUNCTION @extschema@.sell_through_rate_transfn(@extschema@.sell_through_state, double precision, double precision)
    RETURNS @extschema@.sell_through_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.sell_through_state_combine(@extschema@.sell_through_state, @extschema@.sell_through_state)
    RETURNS @extschema@.sell_through_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.sell_through_rate_final(@extschema@.sell_through_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.sell_through_rate(sold double precision, received double precision) (
    SFUNC = @extschema@.sell_through_rate_transfn, STYPE = @extschema@.sell_through_state,
    COMBINEFUNC = @extschema@.sell_through_state_combine, FINALFUNC = @extschema@.sell_through_rate_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.sell_through_rate_transfn(@extschema@.sell_through_state, double precision, double precision) IS 'Transition function of sell_through_rate.';
COMMENT ON FUNCTION @extschema@.sell_through_state_combine(@extschema@.sell_through_state, @extschema@.sell_through_state) IS 'Combines two partial sell_through_state values.';
COMMENT ON FUNCTION @extschema@.sell_through_rate_final(@extschema@.sell_through_state) IS 'Final function of sell_through_rate.';
COMMENT ON AGGREGATE @extschema@.sell_through_rate(double precision, double precision) IS
    'Sell-through: units sold / units received (each column skips its own NULLs, like sum(sold) / sum(received)); can exceed 1 when opening stock is sold. NULL when nothing was received. Negative, NaN or infinite inputs raise 22023.';

CREATE FUNCTION @extschema@.renewal_rate_transfn(@extschema@.renewal_state, date, date, date)
    RETURNS @extschema@.renewal_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.renewal_state_combine(@extschema@.renewal_state, @extschema@.renewal_state)
    RETURNS @extschema@.renewal_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.renewal_rate_final(@extschema@.renewal_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.renewal_rate(first_listed date, period_start date, period_end date) (
    SFUNC = @extschema@.renewal_rate_transfn, STYPE = @extschema@.renewal_state,
    COMBINEFUNC = @extschema@.renewal_state_combine, FINALFUNC = @extschema@.renewal_rate_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.renewal_rate_transfn(@extschema@.renewal_state, date, date, date) IS 'Transition function of renewal_rate.';
COMMENT ON FUNCTION @extschema@.renewal_state_combine(@extschema@.renewal_state, @extschema@.renewal_state) IS 'Combines two partial renewal_state values of the same period.';
COMMENT ON FUNCTION @extschema@.renewal_rate_final(@extschema@.renewal_state) IS 'Final function of renewal_rate.';
COMMENT ON AGGREGATE @extschema@.renewal_rate(date, date, date) IS
    'Assortment renewal: share of the items listed by period_end whose first_listed falls in [period_start, period_end]. Items listed after period_end are not in the assortment. NULL first_listed rows are skipped; NULL when the assortment is empty. The period must be non-NULL (22004), ordered and the same on every row (22023).';

CREATE FUNCTION @extschema@.demand_cv_transfn(@extschema@.variability_state, double precision)
    RETURNS @extschema@.variability_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.variability_state_combine(@extschema@.variability_state, @extschema@.variability_state)
    RETURNS @extschema@.variability_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.demand_cv_final(@extschema@.variability_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.demand_cv(quantity double precision) (
    SFUNC = @extschema@.demand_cv_transfn, STYPE = @extschema@.variability_state,
    COMBINEFUNC = @extschema@.variability_state_combine, FINALFUNC = @extschema@.demand_cv_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.demand_cv_transfn(@extschema@.variability_state, double precision) IS 'Transition function of demand_cv (Welford update).';
COMMENT ON FUNCTION @extschema@.variability_state_combine(@extschema@.variability_state, @extschema@.variability_state) IS 'Combines two partial variability_state values (Chan et al.).';
COMMENT ON FUNCTION @extschema@.demand_cv_final(@extschema@.variability_state) IS 'Final function of demand_cv.';
COMMENT ON AGGREGATE @extschema@.demand_cv(double precision) IS
    'Demand variability for XYZ analysis: coefficient of variation, sample standard deviation (n - 1) over the mean. NULL with fewer than 2 rows or a zero mean. Negative, NaN or infinite quantities raise 22023. Feed it one row per period (zero-demand periods included).';

CREATE TYPE @extschema@.diversity AS (
    categories bigint, items bigint, shannon double precision, simpson double precision,
    hhi double precision, effective_categories double precision, evenness double precision
);
COMMENT ON TYPE @extschema@.diversity IS 'Result of assortment_diversity.';
COMMENT ON COLUMN @extschema@.diversity.categories IS 'Number of distinct non-NULL categories.';
COMMENT ON COLUMN @extschema@.diversity.items IS 'Number of items (rows with a non-NULL category).';
COMMENT ON COLUMN @extschema@.diversity.shannon IS 'Shannon entropy of the category shares, natural logarithm: -sum(p ln p).';
COMMENT ON COLUMN @extschema@.diversity.simpson IS 'Gini-Simpson index 1 - sum(p^2): chance two random items differ in category.';
COMMENT ON COLUMN @extschema@.diversity.hhi IS 'Herfindahl-Hirschman index sum(p^2), on a 0..1 scale (multiply by 10000 for the antitrust scale).';
COMMENT ON COLUMN @extschema@.diversity.effective_categories IS 'Effective number of categories exp(shannon) (Hill number of order 1).';
COMMENT ON COLUMN @extschema@.diversity.evenness IS 'Pielou evenness shannon / ln(categories) in [0, 1]; NULL with a single category.';

CREATE FUNCTION @extschema@.assortment_diversity_transfn(@extschema@.diversity_state, text)
    RETURNS @extschema@.diversity_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversity_state_combine(@extschema@.diversity_state, @extschema@.diversity_state)
    RETURNS @extschema@.diversity_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.assortment_diversity_final(@extschema@.diversity_state)
    RETURNS @extschema@.diversity AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.assortment_diversity(category text) (
    SFUNC = @extschema@.assortment_diversity_transfn, STYPE = @extschema@.diversity_state,
    COMBINEFUNC = @extschema@.diversity_state_combine, FINALFUNC = @extschema@.assortment_diversity_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.assortment_diversity_transfn(@extschema@.diversity_state, text) IS 'Transition function of assortment_diversity.';
COMMENT ON FUNCTION @extschema@.diversity_state_combine(@extschema@.diversity_state, @extschema@.diversity_state) IS 'Combines two partial diversity_state values.';
COMMENT ON FUNCTION @extschema@.assortment_diversity_final(@extschema@.diversity_state) IS 'Final function of assortment_diversity.';
COMMENT ON AGGREGATE @extschema@.assortment_diversity(text) IS
    'Assortment diversity over items (one row per item): categories, items, Shannon entropy, Gini-Simpson, HHI, effective number of categories and evenness. Categories compare byte-wise. NULL categories are skipped; NULL without items.';

-- Row-level functions.
CREATE FUNCTION @extschema@.days_of_supply(on_hand double precision, daily_demand double precision)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.days_of_supply(double precision, double precision) IS
    'Days the stock on hand lasts at the given average daily demand: on_hand / daily_demand. 0 when on_hand <= 0 (backordered), NULL when daily_demand is 0 (never runs out). Negative demand, NaN or infinity raise 22023.';

CREATE FUNCTION @extschema@.xyz_class(cv double precision, x_max double precision DEFAULT 0.5, y_max double precision DEFAULT 1.0)
    RETURNS text AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.xyz_class(double precision, double precision, double precision) IS
    'XYZ class from a demand coefficient of variation (see demand_cv): X when cv <= x_max (default 0.5), Y when cv <= y_max (default 1.0), else Z. NULL in, NULL out.';

CREATE FUNCTION @extschema@.abc_class(value double precision, a_max double precision DEFAULT 0.80, b_max double precision DEFAULT 0.95)
    RETURNS text AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.abc_class(double precision, double precision, double precision) IS
    'Window function: ABC class by cumulative value share in the window partition, e.g. abc_class(revenue) OVER (). Rows ranked by value descending; A when the share of strictly larger values is below a_max (default 0.80), B below b_max (default 0.95), else C. Ties share a class; NULL values get NULL; a zero total gives C.';

CREATE FUNCTION @extschema@.normalize_indicator(value double precision, lower double precision, upper double precision, higher_is_better boolean DEFAULT true)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normalize_indicator(double precision, double precision, double precision, boolean) IS
    'Scales an indicator linearly to [0, 1] between lower and upper (clamped outside), inverted when lower values are better. upper must exceed lower.';

-- Composite score with editable weights.
CREATE TABLE @extschema@.score_weights (
    indicator text PRIMARY KEY,
    weight double precision NOT NULL CHECK (weight >= 0 AND weight < 'infinity'),
    lower_bound double precision NOT NULL CHECK (lower_bound > '-infinity' AND lower_bound < 'infinity'),
    upper_bound double precision NOT NULL CHECK (upper_bound > lower_bound AND upper_bound < 'infinity'),
    higher_is_better boolean NOT NULL,
    description text NOT NULL
);
INSERT INTO @extschema@.score_weights VALUES
    ('turnover', 0.20, 0, 12, true, 'Inventory turnover per year; 12 turns or more scores 1.'),
    ('fill_rate', 0.20, 0, 1, true, 'Unit fill rate.'),
    ('stockout_rate', 0.15, 0, 0.2, false, 'Share of stocked-out snapshots; 0 scores 1, 20% or more scores 0.'),
    ('renewal_rate', 0.10, 0, 0.2, true, 'Share of the assortment new in the period; 20% or more scores 1.'),
    ('diversity', 0.10, 0, 1, true, 'Evenness of the category mix (assortment_diversity(...).evenness).'),
    ('on_time_rate', 0.15, 0, 1, true, 'Share of shipments delivered by the promised date.'),
    ('return_rate', 0.05, 0, 0.2, false, 'Units returned / units sold; 0 scores 1, 20% or more scores 0.'),
    ('mean_rating', 0.05, 1, 5, true, 'Mean review rating on the 1..5 scale.');
-- pg_dump keeps every row (edited defaults and added indicators). On restore CREATE EXTENSION has already
-- inserted the defaults, so inserting an indicator that exists replaces it instead of failing.
CREATE FUNCTION @extschema@.score_weights_upsert() RETURNS trigger
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
COMMENT ON FUNCTION @extschema@.score_weights_upsert() IS
    'Trigger of score_weights: inserting an indicator that already exists updates it (so pg_dump/restore of edited weights works).';
CREATE TRIGGER score_weights_upsert BEFORE INSERT ON @extschema@.score_weights
    FOR EACH ROW EXECUTE FUNCTION @extschema@.score_weights_upsert();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.score_weights', '');
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
GRANT SELECT ON @extschema@.score_weights TO PUBLIC;
COMMENT ON TABLE @extschema@.score_weights IS
    'Weights and reference ranges of supply_capability_score. Edit freely; pg_dump keeps your rows. Each indicator is scaled to [0, 1] by normalize_indicator(value, lower_bound, upper_bound, higher_is_better).';
COMMENT ON COLUMN @extschema@.score_weights.indicator IS 'Indicator name, one of the arguments of supply_capability_score.';
COMMENT ON COLUMN @extschema@.score_weights.weight IS 'Relative weight (>= 0); weights are renormalised over the indicators that are not NULL.';
COMMENT ON COLUMN @extschema@.score_weights.lower_bound IS 'Value that scores 0 (1 when lower is better).';
COMMENT ON COLUMN @extschema@.score_weights.upper_bound IS 'Value that scores 1 (0 when lower is better).';
COMMENT ON COLUMN @extschema@.score_weights.higher_is_better IS 'Direction of the indicator.';
COMMENT ON COLUMN @extschema@.score_weights.description IS 'What the indicator measures and how it is scaled.';

CREATE FUNCTION @extschema@.supply_capability_score(
    turnover double precision, fill_rate double precision, stockout_rate double precision,
    renewal_rate double precision, diversity double precision,
    on_time_rate double precision DEFAULT NULL, return_rate double precision DEFAULT NULL,
    mean_rating double precision DEFAULT NULL)
    RETURNS double precision
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 100 * sum(w.weight * @extschema@.normalize_indicator(v.value, w.lower_bound, w.upper_bound, w.higher_is_better))
               / NULLIF(sum(w.weight), 0)
      FROM (VALUES ('turnover', turnover), ('fill_rate', fill_rate), ('stockout_rate', stockout_rate),
                   ('renewal_rate', renewal_rate), ('diversity', diversity), ('on_time_rate', on_time_rate),
                   ('return_rate', return_rate), ('mean_rating', mean_rating)) AS v(indicator, value)
      JOIN @extschema@.score_weights AS w ON w.indicator = v.indicator
     WHERE v.value IS NOT NULL
$$;
COMMENT ON FUNCTION @extschema@.supply_capability_score(double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision) IS
    'Composite supply-capability score 0..100: the weighted mean (weights from supplymkt.score_weights) of the indicators scaled by normalize_indicator. NULL indicators are left out and the weights renormalised; NULL when all are NULL or their weights sum to 0.';
-- ===========================================================================================================
-- Demo data (src/demo.c): the canonical data model of DESIGN.md, simulated deterministically from a seed
-- ===========================================================================================================

CREATE FUNCTION @extschema@.demo_relation(relation text, customers integer, products integer, days integer,
                                          seed bigint, start_date date)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'demo_relation'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION @extschema@.demo_relation(text, integer, integer, integer, bigint, date) IS
'Rows of one relation of the canonical data model (customers, products, orders, order_items, inventory_snapshots, '
'suppliers, purchase_orders, shipments, returns, reviews, depots, marketing_spend, touchpoints, events, experiments) '
'from the demo world simulated from (customers, products, days, seed, start_date); the same arguments always give '
'the same rows (timestamps in UTC). Call it in FROM with the relation''s column definition list, e.g. '
'SELECT * FROM supplymkt.demo_relation(''orders'', 200, 50, 60, 7, ''2024-01-01'') AS t(order_id bigint, '
'customer_id bigint, order_time timestamptz, channel text). The world is simulated once per transaction and '
'reused by later calls with the same arguments. Limits: customers 1..10,000,000, products 1..1,000,000, '
'days 1..3660, products x days <= 50,000,000, customers x days <= 3,660,000,000, start_date 1900-01-01..2999-12-31. '
'generate_demo_data() documents the generating process.';

CREATE FUNCTION @extschema@.demo_fill(target regclass, relation text, customers integer, products integer,
                                      days integer, seed bigint, start_date date)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'demo_fill'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.demo_fill(regclass, text, integer, integer, integer, bigint, date) IS
'Fast path of generate_demo_data: writes the rows of one canonical relation (same rows as demo_relation with the '
'same arguments) straight into target with bulk inserts, and returns the number of rows. target must be a plain '
'table created in the current transaction, that the caller may INSERT into, with exactly the relation''s column '
'types, not a partition, and with no indexes, triggers, rules, constraints, defaults or row security.';

CREATE FUNCTION @extschema@.generate_demo_data(target_schema text, customers integer DEFAULT 5000,
                                               products integer DEFAULT 500, days integer DEFAULT 365,
                                               seed bigint DEFAULT 42, start_date date DEFAULT '2024-01-01',
                                               replace boolean DEFAULT false)
    RETURNS TABLE(relation text, rows bigint)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_variable
DECLARE
    -- the canonical relations in DESIGN.md order: name, columns, types, primary key
    spec_names text[] := ARRAY['customers', 'products', 'orders', 'order_items', 'inventory_snapshots', 'suppliers',
                               'purchase_orders', 'shipments', 'returns', 'reviews', 'depots', 'marketing_spend',
                               'touchpoints', 'events', 'experiments'];
    spec_columns text[] := ARRAY[
        'customer_id,signup_date,region,lat,lon',
        'product_id,category,first_listed,unit_cost,unit_price,supplier_id',
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
        'bigint,date,text,float8,float8',
        'bigint,text,date,numeric,numeric,bigint',
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
'orders, suppliers, depots, purchase_orders and inventory_snapshots (snapshot_date, product_id); tables are ANALYZEd. '
'Timestamps are in UTC over [start_date, start_date + days). '
'Generating process (time in days): customers sign up uniformly over the period in 5 regional lat/lon clusters. '
'Purchases are BG/NBD: lambda ~ Gamma(shape r = 0.75, rate alpha = 20 days) purchases per day, dropout '
'p ~ Beta(a = 0.8, b = 2.5); the first purchase is at signup, repeats are Poisson(lambda) and after each repeat '
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
-- ===========================================================================================================
-- Customer analytics (src/customers.c): RFM summary, RFM breakpoints, scores and segments, time-decay CLV,
-- cohort retention
-- ===========================================================================================================

-- State types (DESIGN.md pattern 3): real varlena types with exact text and validated binary I/O.
-- rfm_summary_state
CREATE TYPE @extschema@.rfm_summary_state;
CREATE FUNCTION @extschema@.rfm_summary_state_in(cstring, oid, integer) RETURNS @extschema@.rfm_summary_state
    AS 'MODULE_PATHNAME', 'row_buffer_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_summary_state_out(@extschema@.rfm_summary_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'row_buffer_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_summary_state_recv(internal, oid, integer) RETURNS @extschema@.rfm_summary_state
    AS 'MODULE_PATHNAME', 'row_buffer_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_summary_state_send(@extschema@.rfm_summary_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'row_buffer_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.rfm_summary_state (
    INPUT = @extschema@.rfm_summary_state_in, OUTPUT = @extschema@.rfm_summary_state_out,
    RECEIVE = @extschema@.rfm_summary_state_recv, SEND = @extschema@.rfm_summary_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.rfm_summary_state IS 'Partial-aggregate state of rfm_summary: the orders on or before as_of as rows (order time as the timestamptz value in microseconds since 2000-01-01 UTC, amount), and as_of in params. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION @extschema@.rfm_summary_state_in(cstring, oid, integer) IS 'Text input of rfm_summary_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.rfm_summary_state_out(@extschema@.rfm_summary_state) IS 'Text output of rfm_summary_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.rfm_summary_state_recv(internal, oid, integer) IS 'Binary input of rfm_summary_state (validated).';
COMMENT ON FUNCTION @extschema@.rfm_summary_state_send(@extschema@.rfm_summary_state) IS 'Binary output of rfm_summary_state.';

-- rfm_breaks_state
CREATE TYPE @extschema@.rfm_breaks_state;
CREATE FUNCTION @extschema@.rfm_breaks_state_in(cstring, oid, integer) RETURNS @extschema@.rfm_breaks_state
    AS 'MODULE_PATHNAME', 'row_buffer_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_breaks_state_out(@extschema@.rfm_breaks_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'row_buffer_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_breaks_state_recv(internal, oid, integer) RETURNS @extschema@.rfm_breaks_state
    AS 'MODULE_PATHNAME', 'row_buffer_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_breaks_state_send(@extschema@.rfm_breaks_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'row_buffer_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.rfm_breaks_state (
    INPUT = @extschema@.rfm_breaks_state_in, OUTPUT = @extschema@.rfm_breaks_state_out,
    RECEIVE = @extschema@.rfm_breaks_state_recv, SEND = @extschema@.rfm_breaks_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.rfm_breaks_state IS 'Partial-aggregate state of rfm_breaks: the (recency, frequency, monetary) rows, and bins in params. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION @extschema@.rfm_breaks_state_in(cstring, oid, integer) IS 'Text input of rfm_breaks_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.rfm_breaks_state_out(@extschema@.rfm_breaks_state) IS 'Text output of rfm_breaks_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.rfm_breaks_state_recv(internal, oid, integer) IS 'Binary input of rfm_breaks_state (validated).';
COMMENT ON FUNCTION @extschema@.rfm_breaks_state_send(@extschema@.rfm_breaks_state) IS 'Binary output of rfm_breaks_state.';

-- time_decay_state
CREATE TYPE @extschema@.time_decay_state;
CREATE FUNCTION @extschema@.time_decay_state_in(cstring, oid, integer) RETURNS @extschema@.time_decay_state
    AS 'MODULE_PATHNAME', 'fixed_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_decay_state_out(@extschema@.time_decay_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'fixed_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_decay_state_recv(internal, oid, integer) RETURNS @extschema@.time_decay_state
    AS 'MODULE_PATHNAME', 'fixed_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_decay_state_send(@extschema@.time_decay_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'fixed_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.time_decay_state (
    INPUT = @extschema@.time_decay_state_in, OUTPUT = @extschema@.time_decay_state_out,
    RECEIVE = @extschema@.time_decay_state_recv, SEND = @extschema@.time_decay_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.time_decay_state IS 'Partial-aggregate state of clv_time_decay: orders counted, as_of (timestamptz value in microseconds since 2000-01-01 UTC), decayed value and half-life in days (flags 1 = as_of and half-life set). Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION @extschema@.time_decay_state_in(cstring, oid, integer) IS 'Text input of time_decay_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.time_decay_state_out(@extschema@.time_decay_state) IS 'Text output of time_decay_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.time_decay_state_recv(internal, oid, integer) IS 'Binary input of time_decay_state (validated).';
COMMENT ON FUNCTION @extschema@.time_decay_state_send(@extschema@.time_decay_state) IS 'Binary output of time_decay_state.';

-- -----------------------------------------------------------------------------------------------------------
-- rfm_summary: one customer's orders -> RFM and BG/NBD inputs
-- -----------------------------------------------------------------------------------------------------------
CREATE TYPE @extschema@.rfm_summary AS (
    recency_days double precision, orders bigint, frequency bigint, recency_bgnbd double precision,
    age_days double precision, monetary_mean double precision, monetary_repeat_mean double precision,
    monetary_total double precision, first_order timestamptz, last_order timestamptz
);
COMMENT ON TYPE @extschema@.rfm_summary IS 'Result of rfm_summary: one customer''s recency, frequency and monetary value as RFM scoring uses them (recency_days, orders, monetary_total) and as BG/NBD, Pareto/NBD and Gamma-Gamma use them (frequency, recency_bgnbd = t_x, age_days = T, monetary_repeat_mean; in days, like the lifetimes package''s summary_data_from_transaction_data with freq ''D'').';
COMMENT ON COLUMN @extschema@.rfm_summary.recency_days IS 'RFM recency: as_of - last_order in days (fractional, exact to the microsecond).';
COMMENT ON COLUMN @extschema@.rfm_summary.orders IS 'Orders (input rows) on or before as_of.';
COMMENT ON COLUMN @extschema@.rfm_summary.frequency IS 'Repeat purchase periods for BG/NBD: distinct purchase days (UTC) after the first purchase day. 0 for a customer who bought on one day only, however many orders.';
COMMENT ON COLUMN @extschema@.rfm_summary.recency_bgnbd IS 'BG/NBD recency t_x: whole days (UTC) from the first to the last purchase day; 0 when frequency = 0.';
COMMENT ON COLUMN @extschema@.rfm_summary.age_days IS 'BG/NBD customer age T: whole days (UTC) from the first purchase day to the day of as_of; T >= t_x.';
COMMENT ON COLUMN @extschema@.rfm_summary.monetary_mean IS 'Mean order value: monetary_total / orders (arithmetic mean over all orders, the first included).';
COMMENT ON COLUMN @extschema@.rfm_summary.monetary_repeat_mean IS 'Gamma-Gamma spend input: mean over the repeat purchase days of each day''s total amount (the first purchase day left out). NULL when frequency = 0.';
COMMENT ON COLUMN @extschema@.rfm_summary.monetary_total IS 'Sum of the amounts of the orders on or before as_of.';
COMMENT ON COLUMN @extschema@.rfm_summary.first_order IS 'Time of the first order.';
COMMENT ON COLUMN @extschema@.rfm_summary.last_order IS 'Time of the last order on or before as_of.';

CREATE FUNCTION @extschema@.rfm_summary_transfn(@extschema@.rfm_summary_state, timestamptz, double precision, timestamptz)
    RETURNS @extschema@.rfm_summary_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_summary_state_combine(@extschema@.rfm_summary_state, @extschema@.rfm_summary_state)
    RETURNS @extschema@.rfm_summary_state AS 'MODULE_PATHNAME', 'row_buffer_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_summary_final(@extschema@.rfm_summary_state)
    RETURNS @extschema@.rfm_summary AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
-- SSPACE: a row buffer starts with room for 64 orders (about 1.1 kB per group), so the planner can size hash
-- aggregation over many customers correctly
CREATE AGGREGATE @extschema@.rfm_summary(order_time timestamptz, amount double precision, as_of timestamptz) (
    SFUNC = @extschema@.rfm_summary_transfn, STYPE = @extschema@.rfm_summary_state, SSPACE = 1100,
    COMBINEFUNC = @extschema@.rfm_summary_state_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.rfm_summary_transfn(@extschema@.rfm_summary_state, timestamptz, double precision, timestamptz) IS 'Transition function of rfm_summary.';
COMMENT ON FUNCTION @extschema@.rfm_summary_state_combine(@extschema@.rfm_summary_state, @extschema@.rfm_summary_state) IS 'Combines two partial rfm_summary_state values of the same as_of.';
COMMENT ON FUNCTION @extschema@.rfm_summary_final(@extschema@.rfm_summary_state) IS 'Final function of rfm_summary.';
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamptz, double precision, timestamptz) IS
    'Per-customer RFM summary (one group per customer, one row per order): recency_days, orders, frequency (distinct purchase days after the first), recency_bgnbd (t_x), age_days (T), monetary_mean, monetary_repeat_mean, monetary_total, first_order, last_order; purchase days are UTC days. Orders after as_of are left out (not an error), so the same data can be summarised as of any past date; NULL when no order is on or before as_of. Rows with a NULL order_time or amount are skipped. as_of must be non-NULL (22004) and the same on every row (22023); infinite times, negative, NaN or infinite amounts raise 22023.';

-- -----------------------------------------------------------------------------------------------------------
-- rfm_breaks: quantile breakpoints (a typed value) and rfm_score
-- -----------------------------------------------------------------------------------------------------------
CREATE TYPE @extschema@.rfm_breaks;
CREATE FUNCTION @extschema@.rfm_breaks_in(cstring) RETURNS @extschema@.rfm_breaks
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_breaks_out(@extschema@.rfm_breaks) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_breaks_recv(internal) RETURNS @extschema@.rfm_breaks
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_breaks_send(@extschema@.rfm_breaks) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.rfm_breaks (
    INPUT = @extschema@.rfm_breaks_in, OUTPUT = @extschema@.rfm_breaks_out,
    RECEIVE = @extschema@.rfm_breaks_recv, SEND = @extschema@.rfm_breaks_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.rfm_breaks IS
    'RFM score breakpoints computed by rfm_breaks and read by rfm_score. Text form: {"version":1,"bins":b,"customers":n,"recency":[...],"frequency":[...],"monetary":[...]}, each list holding bins - 1 thresholds; threshold j (1-based) is the least good value that scores at least j + 1 (recency: the largest such recency; frequency, monetary: the smallest such value), null when no customer scored that high. Cast to json for inspection: breaks::json.';
COMMENT ON FUNCTION @extschema@.rfm_breaks_in(cstring) IS 'Text input of rfm_breaks (validated JSON: version 1, bins 2..100, customers >= 1, bins - 1 finite thresholds or trailing nulls per dimension, recency non-increasing, frequency and monetary non-decreasing).';
COMMENT ON FUNCTION @extschema@.rfm_breaks_out(@extschema@.rfm_breaks) IS 'Text output of rfm_breaks (exact JSON).';
COMMENT ON FUNCTION @extschema@.rfm_breaks_recv(internal) IS 'Binary input of rfm_breaks (validated like the text input).';
COMMENT ON FUNCTION @extschema@.rfm_breaks_send(@extschema@.rfm_breaks) IS 'Binary output of rfm_breaks: version byte, bins, customers, then per dimension the number of thresholds and the thresholds.';

CREATE FUNCTION @extschema@.rfm_breaks_to_json(@extschema@.rfm_breaks) RETURNS json
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT $1::text::json $$;
COMMENT ON FUNCTION @extschema@.rfm_breaks_to_json(@extschema@.rfm_breaks) IS 'The JSON text of an rfm_breaks value as json (the cast rfm_breaks -> json; to_jsonb uses it too).';
CREATE CAST (@extschema@.rfm_breaks AS json) WITH FUNCTION @extschema@.rfm_breaks_to_json(@extschema@.rfm_breaks);
COMMENT ON CAST (@extschema@.rfm_breaks AS json) IS 'Explicit cast of rfm_breaks to its JSON document.';

CREATE FUNCTION @extschema@.rfm_breaks_transfn(@extschema@.rfm_breaks_state, double precision, double precision, double precision)
    RETURNS @extschema@.rfm_breaks_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_breaks_transfn(@extschema@.rfm_breaks_state, double precision, double precision, double precision, integer)
    RETURNS @extschema@.rfm_breaks_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_breaks_state_combine(@extschema@.rfm_breaks_state, @extschema@.rfm_breaks_state)
    RETURNS @extschema@.rfm_breaks_state AS 'MODULE_PATHNAME', 'row_buffer_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_breaks_final(@extschema@.rfm_breaks_state)
    RETURNS @extschema@.rfm_breaks AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
-- aggregates cannot have parameter defaults: rfm_breaks(r, f, m) is rfm_breaks(r, f, m, 5)
CREATE AGGREGATE @extschema@.rfm_breaks(recency double precision, frequency double precision, monetary double precision) (
    SFUNC = @extschema@.rfm_breaks_transfn, STYPE = @extschema@.rfm_breaks_state,
    COMBINEFUNC = @extschema@.rfm_breaks_state_combine, FINALFUNC = @extschema@.rfm_breaks_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.rfm_breaks(recency double precision, frequency double precision, monetary double precision, bins integer) (
    SFUNC = @extschema@.rfm_breaks_transfn, STYPE = @extschema@.rfm_breaks_state,
    COMBINEFUNC = @extschema@.rfm_breaks_state_combine, FINALFUNC = @extschema@.rfm_breaks_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.rfm_breaks_transfn(@extschema@.rfm_breaks_state, double precision, double precision, double precision) IS 'Transition function of rfm_breaks with the default 5 bins.';
COMMENT ON FUNCTION @extschema@.rfm_breaks_transfn(@extschema@.rfm_breaks_state, double precision, double precision, double precision, integer) IS 'Transition function of rfm_breaks.';
COMMENT ON FUNCTION @extschema@.rfm_breaks_state_combine(@extschema@.rfm_breaks_state, @extschema@.rfm_breaks_state) IS 'Combines two partial rfm_breaks_state values of the same bins.';
COMMENT ON FUNCTION @extschema@.rfm_breaks_final(@extschema@.rfm_breaks_state) IS 'Final function of rfm_breaks.';
COMMENT ON AGGREGATE @extschema@.rfm_breaks(double precision, double precision, double precision) IS
    'rfm_breaks(recency, frequency, monetary) with 5 bins (quintiles); see rfm_breaks(recency, frequency, monetary, bins).';
COMMENT ON AGGREGATE @extschema@.rfm_breaks(double precision, double precision, double precision, integer) IS
    'RFM breakpoints over all customers (one row per customer), for rfm_score. Rule, per dimension (ties kept together): order customers from worse to better (recency descending, frequency and monetary ascending); a customer scores 1 + floor(bins * w / n), w = customers strictly worse, n = customers; equal values always share a score, and a value shared by many customers scores where its group starts (most customers with 1 order all get F = 1; the next value may skip scores). The breakpoints store, per dimension, the least good value reaching each score 2..bins (null when none does), so rfm_score gives data customers exactly these scores and new values the score of the nearest data value on their worse side. Rows with a NULL in any dimension are skipped; NULL without rows. bins 2..100 (22023), non-NULL (22004), the same on every row; NaN or infinite values raise 22023. Collects the rows (24 bytes each, at most ~44 million per aggregate).';

-- The score result
CREATE TYPE @extschema@.rfm_score AS (r integer, f integer, m integer, code text, segment text);
COMMENT ON TYPE @extschema@.rfm_score IS 'Result of rfm_score.';
COMMENT ON COLUMN @extschema@.rfm_score.r IS 'Recency score 1..bins; higher is more recent (lower recency).';
COMMENT ON COLUMN @extschema@.rfm_score.f IS 'Frequency score 1..bins; higher is more frequent.';
COMMENT ON COLUMN @extschema@.rfm_score.m IS 'Monetary score 1..bins; higher is more valuable.';
COMMENT ON COLUMN @extschema@.rfm_score.code IS 'The three scores as one code: ''545'' for R 5, F 4, M 5 (with more than 9 bins separated by hyphens: ''10-3-7'').';
COMMENT ON COLUMN @extschema@.rfm_score.segment IS 'Named segment from supplymkt.rfm_segments for (R, FM) on the 1..5 grid; NULL when no row of the table matches.';

-- Segment mapping: editable, kept by pg_dump
CREATE TABLE @extschema@.rfm_segments (
    segment text PRIMARY KEY,
    priority integer NOT NULL,
    r_min integer NOT NULL,
    r_max integer NOT NULL,
    fm_min integer NOT NULL,
    fm_max integer NOT NULL,
    description text NOT NULL,
    CHECK (r_min BETWEEN 1 AND 5 AND r_max BETWEEN r_min AND 5),
    CHECK (fm_min BETWEEN 1 AND 5 AND fm_max BETWEEN fm_min AND 5)
);
-- Putler's RFM segments (also the example table of the R package rfm): R x FM score ranges on the 1..5 grid.
-- Their ranges overlap, so the rows are tried in priority order and the first match wins; Lost is narrowed
-- to R 1, FM 1 (its published range equals Hibernating's).  The default rows partition the 25 cells:
--   FM\R  1                2             3                4                    5
--   5     Can't Lose Them  At Risk       Loyal Customers  Champions            Champions
--   4     Can't Lose Them  At Risk       Loyal Customers  Champions            Champions
--   3     At Risk          At Risk       Need Attention   Loyal Customers      Loyal Customers
--   2     Hibernating      Hibernating   About To Sleep   Potential Loyalist   Potential Loyalist
--   1     Lost             Hibernating   About To Sleep   Promising            New Customers
INSERT INTO @extschema@.rfm_segments VALUES
    ('Champions', 1, 4, 5, 4, 5, 'Bought recently, buy often and spend the most.'),
    ('Can''t Lose Them', 2, 1, 1, 4, 5, 'Made the biggest purchases, and often, but have not returned for a long time.'),
    ('Lost', 3, 1, 1, 1, 1, 'Lowest recency, frequency and monetary scores.'),
    ('Hibernating', 4, 1, 2, 1, 2, 'Last purchase long ago, low spenders with few orders.'),
    ('At Risk', 5, 1, 2, 2, 5, 'Spent big money and purchased often, but long ago.'),
    ('About To Sleep', 6, 2, 3, 1, 2, 'Below-average recency, frequency and monetary values.'),
    ('Promising', 7, 3, 4, 1, 1, 'Recent shoppers who have not spent much yet.'),
    ('New Customers', 8, 4, 5, 1, 1, 'Bought most recently, but not often.'),
    ('Need Attention', 9, 2, 3, 2, 3, 'Above-average recency, frequency and monetary values; may not have bought very recently.'),
    ('Loyal Customers', 10, 2, 5, 3, 5, 'Spend good money often; responsive to promotions.'),
    ('Potential Loyalist', 11, 3, 5, 1, 3, 'Recent customers who spent a good amount and bought more than once.');
-- pg_dump keeps every row (edited and added segments). On restore CREATE EXTENSION has already inserted the
-- defaults, so inserting a segment that exists replaces it instead of failing.
CREATE FUNCTION @extschema@.rfm_segments_upsert() RETURNS trigger
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
COMMENT ON FUNCTION @extschema@.rfm_segments_upsert() IS
    'Trigger of rfm_segments: inserting a segment that already exists updates it (so pg_dump/restore of edited segments works).';
CREATE TRIGGER rfm_segments_upsert BEFORE INSERT ON @extschema@.rfm_segments
    FOR EACH ROW EXECUTE FUNCTION @extschema@.rfm_segments_upsert();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.rfm_segments', '');
GRANT SELECT ON @extschema@.rfm_segments TO PUBLIC;
COMMENT ON TABLE @extschema@.rfm_segments IS
    'Named RFM segments read by rfm_score: a customer gets the first segment, by priority then name, whose R range and FM range contain the customer''s R and FM on the 1..5 grid (FM = floor((F + M) / 2); with bins other than 5 each score s is first mapped to round-half-up(1 + (s - 1) * 4 / (bins - 1))). The defaults are Putler''s segments (Champions, Loyal Customers, Potential Loyalist, New Customers, Promising, Need Attention, About To Sleep, At Risk, Can''t Lose Them, Hibernating, Lost), ordered so they partition the 25 cells. Edit freely; pg_dump keeps your rows (a deleted default row comes back on restore: narrow it to a cell another row wins instead).';
COMMENT ON COLUMN @extschema@.rfm_segments.segment IS 'Segment name returned by rfm_score.';
COMMENT ON COLUMN @extschema@.rfm_segments.priority IS 'Rows are tried in ascending priority (then name); the first match wins.';
COMMENT ON COLUMN @extschema@.rfm_segments.r_min IS 'Lowest recency score (1..5 grid) of the segment.';
COMMENT ON COLUMN @extschema@.rfm_segments.r_max IS 'Highest recency score (1..5 grid) of the segment.';
COMMENT ON COLUMN @extschema@.rfm_segments.fm_min IS 'Lowest FM score, floor((F + M) / 2) on the 1..5 grid.';
COMMENT ON COLUMN @extschema@.rfm_segments.fm_max IS 'Highest FM score, floor((F + M) / 2) on the 1..5 grid.';
COMMENT ON COLUMN @extschema@.rfm_segments.description IS 'Who the segment''s customers are.';

CREATE FUNCTION @extschema@.rfm_score(recency double precision, frequency double precision, monetary double precision,
                                      breaks @extschema@.rfm_breaks)
    RETURNS @extschema@.rfm_score AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(double precision, double precision, double precision, @extschema@.rfm_breaks) IS
    'R, F and M scores (1..bins, higher is better; recency inverted), the code (''545'') and the named segment of one customer under breakpoints from rfm_breaks: a score is 1 plus the number of thresholds the value reaches (recency <= threshold; frequency, monetary >= threshold). The segment comes from supplymkt.rfm_segments (read once per statement). NULL input gives NULL; NaN or infinite values raise 22023.';

-- -----------------------------------------------------------------------------------------------------------
-- clv_time_decay: model-free CLV proxy
-- -----------------------------------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.clv_time_decay_transfn(@extschema@.time_decay_state, double precision, timestamptz, timestamptz, double precision)
    RETURNS @extschema@.time_decay_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_decay_state_combine(@extschema@.time_decay_state, @extschema@.time_decay_state)
    RETURNS @extschema@.time_decay_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_time_decay_final(@extschema@.time_decay_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.clv_time_decay(amount double precision, order_time timestamptz, as_of timestamptz,
                                            half_life_days double precision) (
    SFUNC = @extschema@.clv_time_decay_transfn, STYPE = @extschema@.time_decay_state,
    COMBINEFUNC = @extschema@.time_decay_state_combine, FINALFUNC = @extschema@.clv_time_decay_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.clv_time_decay_transfn(@extschema@.time_decay_state, double precision, timestamptz, timestamptz, double precision) IS 'Transition function of clv_time_decay.';
COMMENT ON FUNCTION @extschema@.time_decay_state_combine(@extschema@.time_decay_state, @extschema@.time_decay_state) IS 'Combines two partial time_decay_state values of the same as_of and half-life.';
COMMENT ON FUNCTION @extschema@.clv_time_decay_final(@extschema@.time_decay_state) IS 'Final function of clv_time_decay.';
COMMENT ON AGGREGATE @extschema@.clv_time_decay(double precision, timestamptz, timestamptz, double precision) IS
    'Model-free CLV proxy: sum of amount * 0.5 ^ (age / half_life_days) over a customer''s orders, age = as_of - order_time in days (fractional): an order half_life_days old counts half. Orders after as_of are left out (not an error); NULL when no order is on or before as_of. Rows with a NULL amount or order_time are skipped. as_of and half_life_days must be non-NULL (22004) and the same on every row (22023); half_life_days must be positive and finite, amounts non-negative and finite, times finite (22023).';

-- -----------------------------------------------------------------------------------------------------------
-- Cohort retention
-- -----------------------------------------------------------------------------------------------------------
-- Text of the retention query for a source schema, a number of months and a time zone (all quoted here).
CREATE FUNCTION @extschema@.retention_query(source_schema text, months integer, time_zone text)
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
COMMENT ON FUNCTION @extschema@.retention_query(text, integer, text) IS
    'The SELECT behind retention_cohorts and the retention_mv dashboard for a source schema, months and a time zone (handy to read or EXPLAIN).';

CREATE FUNCTION @extschema@.retention_cohorts(source_schema text, months integer DEFAULT 12, time_zone text DEFAULT NULL)
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
    BEGIN
        PERFORM now() AT TIME ZONE tz;
    EXCEPTION WHEN invalid_parameter_value THEN
        RAISE EXCEPTION 'time zone "%" is not recognized', tz
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use a name from pg_timezone_names, e.g. ''UTC''.';
    END;
    RETURN QUERY EXECUTE @extschema@.retention_query(source_schema, months, tz) || ' ORDER BY 1, 2';
END;
$$;
COMMENT ON FUNCTION @extschema@.retention_cohorts(text, integer, text) IS
    'Monthly cohort retention from source_schema.orders (customer_id, order_time): a customer''s cohort is the month of their first order; for each cohort and month_offset 0..months (0 = the cohort month) it gives cohort_customers, active_customers (cohort customers with an order in that month), retention_rate = active / cohort size (1 at offset 0) and mom_retention = active(k) / active(k - 1) (a ratio of counts, can exceed 1; NULL at offset 0 or after a month without activity). Offsets after the last month with any order are not reported (not observed yet); months without activity are reported with 0. Months are calendar months in time_zone (default: the session''s TimeZone). Orders with a NULL customer, a NULL or infinite time are left out. Errors: 22004 NULL schema or months, 22023 months outside 0..1200 or unknown time zone, 3F000 unknown schema, 42P01 no orders relation, 42703 missing column.';
-- ===========================================================================================================
-- Customer-lifetime-value models (src/clv.c): BG/NBD or Pareto/NBD purchase models, Gamma-Gamma spend model
-- ===========================================================================================================
--
-- Inputs per customer, all in one time unit ('days' or 'weeks', recorded in the model; readers take their
-- recency, t and horizon in the same unit):
--   frequency  x    repeat purchase periods: periods with a purchase after the first one (0 for one-time buyers)
--   recency    t_x  the customer's age at the last purchase: time from the first to the last purchase (0 when x = 0)
--   t          T    the customer's age: time from the first purchase to the end of the observation period (> 0)
--   monetary   m    mean value of the repeat purchases (> 0 when x > 0; ignored when x = 0; NULL: no value)

-- clv_fit_state: the rows collected by clv_fit (common.c row buffer; params = model code, unit code).
CREATE TYPE @extschema@.clv_fit_state;
CREATE FUNCTION @extschema@.clv_fit_state_in(cstring, oid, integer) RETURNS @extschema@.clv_fit_state
    AS 'MODULE_PATHNAME', 'row_buffer_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_fit_state_out(@extschema@.clv_fit_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'row_buffer_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_fit_state_recv(internal, oid, integer) RETURNS @extschema@.clv_fit_state
    AS 'MODULE_PATHNAME', 'row_buffer_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_fit_state_send(@extschema@.clv_fit_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'row_buffer_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.clv_fit_state (
    INPUT = @extschema@.clv_fit_state_in, OUTPUT = @extschema@.clv_fit_state_out,
    RECEIVE = @extschema@.clv_fit_state_recv, SEND = @extschema@.clv_fit_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.clv_fit_state IS 'Partial-aggregate state of clv_fit: the customer rows (frequency, recency, t, monetary; -1 = no monetary value) and the model and unit codes (params: model 1 = bgnbd, 2 = pnbd; unit 1 = days, 2 = weeks). Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION @extschema@.clv_fit_state_in(cstring, oid, integer) IS 'Text input of clv_fit_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.clv_fit_state_out(@extschema@.clv_fit_state) IS 'Text output of clv_fit_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.clv_fit_state_recv(internal, oid, integer) IS 'Binary input of clv_fit_state (validated).';
COMMENT ON FUNCTION @extschema@.clv_fit_state_send(@extschema@.clv_fit_state) IS 'Binary output of clv_fit_state.';

-- clv_model: the fitted model (JSON text, so model::text::jsonb works).
CREATE TYPE @extschema@.clv_model;
CREATE FUNCTION @extschema@.clv_model_in(cstring) RETURNS @extschema@.clv_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_model_out(@extschema@.clv_model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_model_recv(internal) RETURNS @extschema@.clv_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_model_send(@extschema@.clv_model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.clv_model (
    INPUT = @extschema@.clv_model_in, OUTPUT = @extschema@.clv_model_out,
    RECEIVE = @extschema@.clv_model_recv, SEND = @extschema@.clv_model_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.clv_model IS
    'A fitted CLV model (clv_fit), as JSON: "model" (bgnbd or pnbd), "version", "unit" (days or weeks: the unit of recency, t and horizons), the purchase-model parameters named as in the papers (BG/NBD: r, alpha, a, b; Pareto/NBD: r, alpha, s, beta), "log_likelihood", "n_customers", "iterations", "converged", "std_errors" (array in parameter order, null when the Hessian is not positive definite); with a spend model also the Gamma-Gamma "p", "q", "gamma", "spend_log_likelihood", "n_repeaters", "spend_iterations", "spend_converged", "spend_std_errors". A model can be typed in by hand with just model, unit and the parameters (plus p, q, gamma for spend). Parameters must lie in [1e-18, 1e18].';
COMMENT ON FUNCTION @extschema@.clv_model_in(cstring) IS 'Text input of clv_model (validated JSON).';
COMMENT ON FUNCTION @extschema@.clv_model_out(@extschema@.clv_model) IS 'Text output of clv_model (JSON, exact floats).';
COMMENT ON FUNCTION @extschema@.clv_model_recv(internal) IS 'Binary input of clv_model (versioned, validated).';
COMMENT ON FUNCTION @extschema@.clv_model_send(@extschema@.clv_model) IS 'Binary output of clv_model.';

-- clv_fit: aggregates cannot have argument defaults, so the defaults (monetary NULL, model 'bgnbd',
-- unit 'days') are overloads sharing one transition, combine and final function.
CREATE FUNCTION @extschema@.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision)
    RETURNS @extschema@.clv_fit_state AS 'MODULE_PATHNAME', 'clv_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision)
    RETURNS @extschema@.clv_fit_state AS 'MODULE_PATHNAME', 'clv_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision, text)
    RETURNS @extschema@.clv_fit_state AS 'MODULE_PATHNAME', 'clv_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision, text, text)
    RETURNS @extschema@.clv_fit_state AS 'MODULE_PATHNAME', 'clv_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_fit_state_combine(@extschema@.clv_fit_state, @extschema@.clv_fit_state)
    RETURNS @extschema@.clv_fit_state AS 'MODULE_PATHNAME', 'row_buffer_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_fit_final(@extschema@.clv_fit_state)
    RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision) IS 'Transition function of clv_fit(frequency, recency, t).';
COMMENT ON FUNCTION @extschema@.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision) IS 'Transition function of clv_fit(frequency, recency, t, monetary).';
COMMENT ON FUNCTION @extschema@.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision, text) IS 'Transition function of clv_fit(frequency, recency, t, monetary, model).';
COMMENT ON FUNCTION @extschema@.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision, text, text) IS 'Transition function of clv_fit(frequency, recency, t, monetary, model, unit).';
COMMENT ON FUNCTION @extschema@.clv_fit_state_combine(@extschema@.clv_fit_state, @extschema@.clv_fit_state) IS 'Combines two partial clv_fit_state values (appends rows; model and unit must agree).';
COMMENT ON FUNCTION @extschema@.clv_fit_final(@extschema@.clv_fit_state) IS 'Final function of clv_fit: sorts the rows, collapses identical (frequency, recency, t) triples and fits the models.';

CREATE AGGREGATE @extschema@.clv_fit(frequency double precision, recency double precision, t double precision) (
    SFUNC = @extschema@.clv_fit_transfn, STYPE = @extschema@.clv_fit_state,
    COMBINEFUNC = @extschema@.clv_fit_state_combine, FINALFUNC = @extschema@.clv_fit_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.clv_fit(frequency double precision, recency double precision, t double precision, monetary double precision) (
    SFUNC = @extschema@.clv_fit_transfn, STYPE = @extschema@.clv_fit_state,
    COMBINEFUNC = @extschema@.clv_fit_state_combine, FINALFUNC = @extschema@.clv_fit_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.clv_fit(frequency double precision, recency double precision, t double precision, monetary double precision, model text) (
    SFUNC = @extschema@.clv_fit_transfn, STYPE = @extschema@.clv_fit_state,
    COMBINEFUNC = @extschema@.clv_fit_state_combine, FINALFUNC = @extschema@.clv_fit_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.clv_fit(frequency double precision, recency double precision, t double precision, monetary double precision, model text, unit text) (
    SFUNC = @extschema@.clv_fit_transfn, STYPE = @extschema@.clv_fit_state,
    COMBINEFUNC = @extschema@.clv_fit_state_combine, FINALFUNC = @extschema@.clv_fit_final, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.clv_fit(double precision, double precision, double precision) IS
    'clv_fit(frequency, recency, t): BG/NBD purchase model in days, no spend model. Same as clv_fit(frequency, recency, t, NULL, ''bgnbd'', ''days''); see that form.';
COMMENT ON AGGREGATE @extschema@.clv_fit(double precision, double precision, double precision, double precision) IS
    'clv_fit(frequency, recency, t, monetary): BG/NBD in days plus the Gamma-Gamma spend model. Same as clv_fit(frequency, recency, t, monetary, ''bgnbd'', ''days''); see that form.';
COMMENT ON AGGREGATE @extschema@.clv_fit(double precision, double precision, double precision, double precision, text) IS
    'clv_fit(frequency, recency, t, monetary, model): model ''bgnbd'' or ''pnbd'', unit days. Same as clv_fit(frequency, recency, t, monetary, model, ''days''); see that form.';
COMMENT ON AGGREGATE @extschema@.clv_fit(double precision, double precision, double precision, double precision, text, text) IS
    'Maximum-likelihood fit of a CLV model over one row per customer: the purchase model (model ''bgnbd'': BG/NBD, Fader, Hardie & Lee 2005; ''pnbd'': Pareto/NBD, Schmittlein et al. 1987) and, when at least 10 repeat customers (frequency > 0) have a non-NULL monetary, the Gamma-Gamma spend model on them. frequency = repeat purchase periods (whole, >= 0), recency = age at the last purchase (0 when frequency = 0, <= t), t = age (> 0), monetary = mean repeat-purchase value (> 0 when frequency > 0, NULL = unknown), all times in unit (''days'' or ''weeks'', recorded in the model). Rows with NULL frequency, recency or t are skipped; invalid values raise 22023, a NULL model or unit 22004; values above 1e15 are rejected. Returns NULL with fewer than 10 customers or when nobody made a repeat purchase (no maximum-likelihood estimate exists). Log-likelihood in log space over log-parameters, GSL BFGS from two starting points (Nelder-Mead fallback, Newton polish), standard errors from the numerical Hessian in the natural parameters; identical (frequency, recency, t) rows are collapsed first, and the result does not depend on row order. Check "converged" in the result.';

-- Readers: IMMUTABLE STRICT, one row at a time, in the model's time unit.
CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.clv_model, horizon double precision, frequency double precision, recency double precision, t double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'clv_expected_purchases' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.clv_model, double precision, double precision, double precision, double precision) IS
    'Expected number of purchases in the next horizon time units (the model''s unit) of a customer with the given frequency, recency and t: the conditional expectation E[Y(horizon) | x, t_x, T] of BG/NBD or Pareto/NBD, computed without cancellation in log space (finite for large t and frequency). Invalid inputs raise 22023.';

CREATE FUNCTION @extschema@.probability_alive(model @extschema@.clv_model, frequency double precision, recency double precision, t double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'clv_probability_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.probability_alive(@extschema@.clv_model, double precision, double precision, double precision) IS
    'Probability that the customer is still active at age t given frequency and recency (BG/NBD or Pareto/NBD). 1 for BG/NBD customers without repeat purchases (BG/NBD customers can only drop out right after a purchase). Invalid inputs raise 22023.';

CREATE FUNCTION @extschema@.expected_spend(model @extschema@.clv_model, frequency double precision, monetary double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'clv_expected_spend' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_spend(@extschema@.clv_model, double precision, double precision) IS
    'Gamma-Gamma conditional expected value of a future purchase: p (gamma + monetary * frequency) / (p * frequency + q - 1) (monetary is ignored when frequency is 0). NULL when the mean is infinite (p * frequency + q <= 1). 22023 when the model has no spend part.';

CREATE FUNCTION @extschema@.clv_estimate(model @extschema@.clv_model, frequency double precision, recency double precision, t double precision, monetary double precision, horizon double precision, discount_rate double precision)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_estimate(@extschema@.clv_model, double precision, double precision, double precision, double precision, double precision, double precision) IS
    'Customer lifetime value over the next horizon time units: sum over periods k = 1..ceil(horizon) of one model time unit each (a day or a week; the last may be partial) of the expected purchases in period k (expected_purchases(k) - expected_purchases(k - 1), capped at horizon) times expected_spend, discounted by (1 + discount_rate)^k (end-of-period convention; discount_rate is per model time unit, e.g. (1.10)^(1/365.25) - 1 per day for 10% a year). horizon at most 10000 periods. NULL when expected_spend is NULL; 22023 without a spend model.';

CREATE FUNCTION @extschema@.clv_log_likelihood(model @extschema@.clv_model, frequency double precision, recency double precision, t double precision)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_log_likelihood(@extschema@.clv_model, double precision, double precision, double precision) IS
    'One customer''s log-likelihood under the model''s purchase process (BG/NBD or Pareto/NBD; a density in recency, so it can be positive). Summed over the fitted customers it gives the model''s log_likelihood; useful to compare models on held-out customers. Invalid inputs raise 22023.';
-- ===========================================================================================================
-- k-means segmentation (src/kmeans.c): kmeans_fit -> kmeans_model, kmeans_assign / kmeans_distance,
-- kmeans_centroids, kmeans_segment (window), kmeans_elbow, kmeans_refine (one distributed Lloyd step)
-- ===========================================================================================================
--
-- Features are float8[] of one length per aggregate (the model's dimension), finite, no NULL elements; a NULL
-- array skips the row.  With standardize (the default) every feature is z-scored with its mean and population
-- standard deviation (1 when the feature is constant), stored in the model; centroids, inertia and distances are
-- in that standardized space, "centroids_original" in the input units.  Clusters are numbered 1..k by
-- descending size (ties: lexicographic order of the centroid), so a refit with the same seed keeps the numbers.

-- kmeans_fit_state: the points collected by kmeans_fit and kmeans_elbow (common.c row buffer, one row per
-- point; params = k, seed, n_init, max_iter, tol, standardize, k_max).  Past supplymkt.kmeans_max_memory the
-- buffer keeps a hash-threshold sample of the points (mergeable and order-independent).
CREATE TYPE @extschema@.kmeans_fit_state;
CREATE FUNCTION @extschema@.kmeans_fit_state_in(cstring, oid, integer) RETURNS @extschema@.kmeans_fit_state
    AS 'MODULE_PATHNAME', 'row_buffer_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_fit_state_out(@extschema@.kmeans_fit_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'row_buffer_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_fit_state_recv(internal, oid, integer) RETURNS @extschema@.kmeans_fit_state
    AS 'MODULE_PATHNAME', 'row_buffer_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_fit_state_send(@extschema@.kmeans_fit_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'row_buffer_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.kmeans_fit_state (
    INPUT = @extschema@.kmeans_fit_state_in, OUTPUT = @extschema@.kmeans_fit_state_out,
    RECEIVE = @extschema@.kmeans_fit_state_recv, SEND = @extschema@.kmeans_fit_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.kmeans_fit_state IS 'Partial-aggregate state of kmeans_fit and kmeans_elbow: the points (one row of float8 per point), the constant arguments (params: k, seed, n_init, max_iter, tol, standardize, k_max), and, once the points exceed supplymkt.kmeans_max_memory, the sampling level and rows seen. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION @extschema@.kmeans_fit_state_in(cstring, oid, integer) IS 'Text input of kmeans_fit_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.kmeans_fit_state_out(@extschema@.kmeans_fit_state) IS 'Text output of kmeans_fit_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.kmeans_fit_state_recv(internal, oid, integer) IS 'Binary input of kmeans_fit_state (validated).';
COMMENT ON FUNCTION @extschema@.kmeans_fit_state_send(@extschema@.kmeans_fit_state) IS 'Binary output of kmeans_fit_state.';

-- kmeans_refine_state: per-cluster counts and sums of one Lloyd step, and the model being refined (row buffer:
-- rows 1..k = [count, sum...], then k centroid rows, then the mean and scale rows; params = k, standardize,
-- iterations, inertia, n_points).
CREATE TYPE @extschema@.kmeans_refine_state;
CREATE FUNCTION @extschema@.kmeans_refine_state_in(cstring, oid, integer) RETURNS @extschema@.kmeans_refine_state
    AS 'MODULE_PATHNAME', 'row_buffer_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_refine_state_out(@extschema@.kmeans_refine_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'row_buffer_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_refine_state_recv(internal, oid, integer) RETURNS @extschema@.kmeans_refine_state
    AS 'MODULE_PATHNAME', 'row_buffer_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_refine_state_send(@extschema@.kmeans_refine_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'row_buffer_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.kmeans_refine_state (
    INPUT = @extschema@.kmeans_refine_state_in, OUTPUT = @extschema@.kmeans_refine_state_out,
    RECEIVE = @extschema@.kmeans_refine_state_recv, SEND = @extschema@.kmeans_refine_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.kmeans_refine_state IS 'Partial-aggregate state of kmeans_refine: per-cluster point counts and coordinate sums of one Lloyd step (combinable by addition) and the model being refined. Text form is exact JSON.';
COMMENT ON FUNCTION @extschema@.kmeans_refine_state_in(cstring, oid, integer) IS 'Text input of kmeans_refine_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.kmeans_refine_state_out(@extschema@.kmeans_refine_state) IS 'Text output of kmeans_refine_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.kmeans_refine_state_recv(internal, oid, integer) IS 'Binary input of kmeans_refine_state (validated).';
COMMENT ON FUNCTION @extschema@.kmeans_refine_state_send(@extschema@.kmeans_refine_state) IS 'Binary output of kmeans_refine_state.';

-- kmeans_model: the fitted model (JSON text, so model::text::jsonb works).
CREATE TYPE @extschema@.kmeans_model;
CREATE FUNCTION @extschema@.kmeans_model_in(cstring) RETURNS @extschema@.kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_model_out(@extschema@.kmeans_model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_model_recv(internal) RETURNS @extschema@.kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_model_send(@extschema@.kmeans_model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.kmeans_model (
    INPUT = @extschema@.kmeans_model_in, OUTPUT = @extschema@.kmeans_model_out,
    RECEIVE = @extschema@.kmeans_model_recv, SEND = @extschema@.kmeans_model_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.kmeans_model IS
    'A k-means model (kmeans_fit, kmeans_refine), as JSON: "version", "k", "dim", "standardize", "mean" and "scale" (per feature; 0 and 1 without standardize), "centroids" (k x dim, row-major, standardized space, clusters 1..k in order), "centroids_original" (the same in input units), "sizes", "inertia" (sum of squared distances to the assigned centroid, standardized space), "iterations", "converged", "n_points" (rows fitted), "sampled" and "sample_points" (true when the fit ran on a sample because of supplymkt.kmeans_max_memory), "seed", "n_init", "init" (the k-means++ seeds of the best run, in the order chosen, standardized space; absent after kmeans_refine). A model can be typed in by hand with k, dim and centroids (raw units), or with "standardize": true, mean, scale and centroids in the standardized space.';
COMMENT ON FUNCTION @extschema@.kmeans_model_in(cstring) IS 'Text input of kmeans_model (validated JSON).';
COMMENT ON FUNCTION @extschema@.kmeans_model_out(@extschema@.kmeans_model) IS 'Text output of kmeans_model (JSON, exact floats).';
COMMENT ON FUNCTION @extschema@.kmeans_model_recv(internal) IS 'Binary input of kmeans_model (versioned, validated).';
COMMENT ON FUNCTION @extschema@.kmeans_model_send(@extschema@.kmeans_model) IS 'Binary output of kmeans_model.';

-- kmeans_fit: aggregates cannot have argument defaults; the defaults (seed 0, n_init 10, max_iter 300,
-- tol 1e-4, standardize true) are overloads sharing one transition, combine and final function.
CREATE FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer, double precision)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer, double precision, boolean)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_fit_state_combine(@extschema@.kmeans_fit_state, @extschema@.kmeans_fit_state)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'row_buffer_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_fit_final(@extschema@.kmeans_fit_state) RETURNS @extschema@.kmeans_model
    AS 'MODULE_PATHNAME', 'kmeans_fit_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_fit_state_combine(@extschema@.kmeans_fit_state, @extschema@.kmeans_fit_state) IS 'Combine function of kmeans_fit and kmeans_elbow: appends the points (re-sampling past supplymkt.kmeans_max_memory).';
COMMENT ON FUNCTION @extschema@.kmeans_fit_final(@extschema@.kmeans_fit_state) IS 'Final function of kmeans_fit: standardizes, runs n_init k-means++ seeded Lloyd fits (Hamerly bounds) and keeps the lowest inertia.';

CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer) (
    SFUNC = @extschema@.kmeans_fit_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = @extschema@.kmeans_fit_state_combine, FINALFUNC = @extschema@.kmeans_fit_final,
    PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer, seed integer) (
    SFUNC = @extschema@.kmeans_fit_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = @extschema@.kmeans_fit_state_combine, FINALFUNC = @extschema@.kmeans_fit_final,
    PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer, seed integer, n_init integer) (
    SFUNC = @extschema@.kmeans_fit_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = @extschema@.kmeans_fit_state_combine, FINALFUNC = @extschema@.kmeans_fit_final,
    PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer, seed integer, n_init integer, max_iter integer) (
    SFUNC = @extschema@.kmeans_fit_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = @extschema@.kmeans_fit_state_combine, FINALFUNC = @extschema@.kmeans_fit_final,
    PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer, seed integer, n_init integer, max_iter integer, tol double precision) (
    SFUNC = @extschema@.kmeans_fit_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = @extschema@.kmeans_fit_state_combine, FINALFUNC = @extschema@.kmeans_fit_final,
    PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer, seed integer, n_init integer, max_iter integer, tol double precision, standardize boolean) (
    SFUNC = @extschema@.kmeans_fit_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = @extschema@.kmeans_fit_state_combine, FINALFUNC = @extschema@.kmeans_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer) IS 'k-means model of the feature arrays with k clusters (seed 0, n_init 10, max_iter 300, tol 1e-4, standardize true): k-means++ seeding (GSL mt19937, seeded), the lowest-inertia of n_init runs, Lloyd iterations with Hamerly bounds (same result as plain Lloyd) until labels stop changing or the squared centroid shift <= tol x mean feature variance (scikit-learn''s rule). NULL arrays are skipped; NULL without rows.';
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer, integer) IS 'kmeans_fit with a seed (n_init 10, max_iter 300, tol 1e-4, standardize true).';
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer, integer, integer) IS 'kmeans_fit with seed and n_init (max_iter 300, tol 1e-4, standardize true).';
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer, integer, integer, integer) IS 'kmeans_fit with seed, n_init and max_iter (tol 1e-4, standardize true).';
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer, integer, integer, integer, double precision) IS 'kmeans_fit with seed, n_init, max_iter and tol (standardize true).';
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer, integer, integer, integer, double precision, boolean) IS 'kmeans_fit with every option: seed, n_init, max_iter, tol, standardize (z-score each feature; false: raw units).';

-- kmeans_elbow: inertia and a sampled silhouette per k, for choosing k.
CREATE TYPE @extschema@.kmeans_elbow_point AS (k integer, inertia double precision, silhouette double precision,
                                               iterations integer, converged boolean);
COMMENT ON TYPE @extschema@.kmeans_elbow_point IS 'One k of kmeans_elbow: inertia (standardized space) of the best of n_init fits, mean silhouette on a seeded sample of at most 2000 points (NULL for k = 1), Lloyd iterations and convergence.';
CREATE FUNCTION @extschema@.kmeans_elbow_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_elbow_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_elbow_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_elbow_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_elbow_final(@extschema@.kmeans_fit_state) RETURNS @extschema@.kmeans_elbow_point[]
    AS 'MODULE_PATHNAME', 'kmeans_elbow_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_elbow_final(@extschema@.kmeans_fit_state) IS 'Final function of kmeans_elbow: one standardized k-means fit per k and its sampled silhouette.';
CREATE AGGREGATE @extschema@.kmeans_elbow(features double precision[], k_min integer, k_max integer) (
    SFUNC = @extschema@.kmeans_elbow_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = @extschema@.kmeans_fit_state_combine, FINALFUNC = @extschema@.kmeans_elbow_final,
    PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.kmeans_elbow(features double precision[], k_min integer, k_max integer, seed integer) (
    SFUNC = @extschema@.kmeans_elbow_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = @extschema@.kmeans_fit_state_combine, FINALFUNC = @extschema@.kmeans_elbow_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_elbow(double precision[], integer, integer) IS 'For each k in k_min..k_max (at most 50 values): inertia and sampled silhouette of a standardized kmeans_fit (seed 0, n_init 10), as an array of kmeans_elbow_point (k above the number of distinct points is left out; empty when k_min is); unnest it: SELECT (unnest(kmeans_elbow(f, 1, 10))).*';
COMMENT ON AGGREGATE @extschema@.kmeans_elbow(double precision[], integer, integer, integer) IS 'kmeans_elbow with a seed.';

-- kmeans_refine: one exact Lloyd step as a partial aggregate (fit on a sample, refine over all rows, even on Citus).
CREATE FUNCTION @extschema@.kmeans_refine_transfn(@extschema@.kmeans_refine_state, @extschema@.kmeans_model, double precision[])
    RETURNS @extschema@.kmeans_refine_state AS 'MODULE_PATHNAME', 'kmeans_refine_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_refine_state_combine(@extschema@.kmeans_refine_state, @extschema@.kmeans_refine_state)
    RETURNS @extschema@.kmeans_refine_state AS 'MODULE_PATHNAME', 'kmeans_refine_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.kmeans_refine_final(@extschema@.kmeans_refine_state) RETURNS @extschema@.kmeans_model
    AS 'MODULE_PATHNAME', 'kmeans_refine_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_refine_state_combine(@extschema@.kmeans_refine_state, @extschema@.kmeans_refine_state) IS 'Combine function of kmeans_refine: adds counts and sums (the models must be the same).';
COMMENT ON FUNCTION @extschema@.kmeans_refine_final(@extschema@.kmeans_refine_state) IS 'Final function of kmeans_refine: the model with every centroid moved to the mean of its points.';
CREATE AGGREGATE @extschema@.kmeans_refine(model @extschema@.kmeans_model, features double precision[]) (
    SFUNC = @extschema@.kmeans_refine_transfn, STYPE = @extschema@.kmeans_refine_state,
    COMBINEFUNC = @extschema@.kmeans_refine_state_combine, FINALFUNC = @extschema@.kmeans_refine_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_refine(@extschema@.kmeans_model, double precision[]) IS 'One exact Lloyd step over the rows: assigns each point to the model''s nearest centroid and moves each centroid to the mean of its points (a centroid without points stays). The result''s inertia is that of the assignment step, iterations is the model''s + 1, converged is true when no centroid moved more than 1e-12 (relative). Runs as a partial aggregate, so it refines a sampled fit over a distributed table without moving rows.';

-- Readers.
CREATE FUNCTION @extschema@.kmeans_assign(model @extschema@.kmeans_model, features double precision[]) RETURNS integer
    AS 'MODULE_PATHNAME', 'kmeans_assign' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_assign(@extschema@.kmeans_model, double precision[]) IS 'The cluster (1..k) of the nearest centroid to the features (standardized with the model''s mean and scale; ties: the lower cluster number).';
CREATE FUNCTION @extschema@.kmeans_distance(model @extschema@.kmeans_model, features double precision[]) RETURNS double precision
    AS 'MODULE_PATHNAME', 'kmeans_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_distance(@extschema@.kmeans_model, double precision[]) IS 'Euclidean distance from the features to the nearest (assigned) centroid, in the model''s standardized space.';
CREATE FUNCTION @extschema@.kmeans_centroids(model @extschema@.kmeans_model,
                                             OUT cluster integer, OUT size bigint,
                                             OUT centroid double precision[], OUT centroid_original double precision[])
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'kmeans_centroids' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.kmeans_centroids(@extschema@.kmeans_model) IS 'One row per cluster: number, size, centroid in the standardized space and in input units.';

-- kmeans_segment: a window function that fits on its partition and labels each row.
CREATE FUNCTION @extschema@.kmeans_segment(features double precision[], k integer, seed integer DEFAULT 0) RETURNS integer
    AS 'MODULE_PATHNAME', 'kmeans_segment' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_segment(double precision[], integer, integer) IS 'Window function: fits kmeans_fit(features, k, seed) (n_init 10, max_iter 300, tol 1e-4, standardized) on the rows of its partition and returns each row''s cluster 1..k (NULL for a NULL features row). Use OVER (PARTITION BY ...) or OVER ().';

-- Transition functions (and composite columns).
COMMENT ON FUNCTION @extschema@.kmeans_elbow_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer) IS 'Transition function of kmeans_elbow(double precision[], integer, integer).';
COMMENT ON FUNCTION @extschema@.kmeans_elbow_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer) IS 'Transition function of kmeans_elbow(double precision[], integer, integer, integer).';
COMMENT ON FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer) IS 'Transition function of kmeans_fit(double precision[], integer).';
COMMENT ON FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer) IS 'Transition function of kmeans_fit(double precision[], integer, integer).';
COMMENT ON FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer) IS 'Transition function of kmeans_fit(double precision[], integer, integer, integer).';
COMMENT ON FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer) IS 'Transition function of kmeans_fit(double precision[], integer, integer, integer, integer).';
COMMENT ON FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer, double precision) IS 'Transition function of kmeans_fit(double precision[], integer, integer, integer, integer, double precision).';
COMMENT ON FUNCTION @extschema@.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer, double precision, boolean) IS 'Transition function of kmeans_fit(double precision[], integer, integer, integer, integer, double precision, boolean).';
COMMENT ON FUNCTION @extschema@.kmeans_refine_transfn(@extschema@.kmeans_refine_state, @extschema@.kmeans_model, double precision[]) IS 'Transition function of kmeans_refine(@extschema@.kmeans_model, double precision[]).';
COMMENT ON COLUMN @extschema@.kmeans_elbow_point.k IS 'Number of clusters.';
COMMENT ON COLUMN @extschema@.kmeans_elbow_point.inertia IS 'Sum of squared distances to the assigned centroid (standardized space), best of n_init runs.';
COMMENT ON COLUMN @extschema@.kmeans_elbow_point.silhouette IS 'Mean silhouette coefficient (-1..1, higher is better) on a seeded sample of at most 2000 points; NULL for k = 1.';
COMMENT ON COLUMN @extschema@.kmeans_elbow_point.iterations IS 'Lloyd iterations of the best run.';
COMMENT ON COLUMN @extschema@.kmeans_elbow_point.converged IS 'Whether the best run stopped before max_iter.';
-- ===========================================================================================================
-- Recommendations (src/recommend.c): item_similarity -> item_neighbors, neighbors, recommend,
-- item_content_similarity, item_neighbors_blend; association rules: assoc_rules -> assoc_rules_model, rules,
-- frequent_itemsets
-- ===========================================================================================================
--
-- Ids are bigint and must lie within ±2^53 (9007199254740992): the aggregate states keep them in float8 slots,
-- which hold every such integer exactly.

-- item_similarity_state: the (user, item, weight) interactions (common.c row buffer; params = top_k, measure
-- code, min_support).
CREATE TYPE @extschema@.item_similarity_state;
CREATE FUNCTION @extschema@.item_similarity_state_in(cstring, oid, integer) RETURNS @extschema@.item_similarity_state
    AS 'MODULE_PATHNAME', 'row_buffer_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_similarity_state_out(@extschema@.item_similarity_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'row_buffer_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_similarity_state_recv(internal, oid, integer) RETURNS @extschema@.item_similarity_state
    AS 'MODULE_PATHNAME', 'row_buffer_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_similarity_state_send(@extschema@.item_similarity_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'row_buffer_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.item_similarity_state (
    INPUT = @extschema@.item_similarity_state_in, OUTPUT = @extschema@.item_similarity_state_out,
    RECEIVE = @extschema@.item_similarity_state_recv, SEND = @extschema@.item_similarity_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.item_similarity_state IS 'Partial-aggregate state of item_similarity and item_content_similarity: the rows (user, item, weight; or item and its feature vector) and the constant arguments (params: top_k, measure code, min_support). Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION @extschema@.item_similarity_state_in(cstring, oid, integer) IS 'Text input of item_similarity_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.item_similarity_state_out(@extschema@.item_similarity_state) IS 'Text output of item_similarity_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.item_similarity_state_recv(internal, oid, integer) IS 'Binary input of item_similarity_state (validated).';
COMMENT ON FUNCTION @extschema@.item_similarity_state_send(@extschema@.item_similarity_state) IS 'Binary output of item_similarity_state.';

-- item_neighbors: top-k neighbours per item and item popularity (JSON text, so model::text::jsonb works).
CREATE TYPE @extschema@.item_neighbors;
CREATE FUNCTION @extschema@.item_neighbors_in(cstring) RETURNS @extschema@.item_neighbors
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_neighbors_out(@extschema@.item_neighbors) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_neighbors_recv(internal) RETURNS @extschema@.item_neighbors
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_neighbors_send(@extschema@.item_neighbors) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.item_neighbors (
    INPUT = @extschema@.item_neighbors_in, OUTPUT = @extschema@.item_neighbors_out,
    RECEIVE = @extschema@.item_neighbors_recv, SEND = @extschema@.item_neighbors_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.item_neighbors IS
    'Item neighbours (item_similarity, item_content_similarity, item_neighbors_blend), as JSON: "version", "measure" (cosine, jaccard, lift, shrunk_cosine, content_cosine or blend), "top_k", "min_support", "users" (distinct users), "interactions" (distinct user-item pairs), "items" (ids, ascending), "popularity" (distinct users per item, same order), "offsets" (items + 1 numbers: item i''s neighbours are entries offsets[i] .. offsets[i+1]-1), "neighbor", "score", "support" (one entry per neighbour, best first; ties by neighbour id).';
COMMENT ON FUNCTION @extschema@.item_neighbors_in(cstring) IS 'Text input of item_neighbors (validated JSON).';
COMMENT ON FUNCTION @extschema@.item_neighbors_out(@extschema@.item_neighbors) IS 'Text output of item_neighbors (JSON, exact floats).';
COMMENT ON FUNCTION @extschema@.item_neighbors_recv(internal) IS 'Binary input of item_neighbors (versioned, validated).';
COMMENT ON FUNCTION @extschema@.item_neighbors_send(@extschema@.item_neighbors) IS 'Binary output of item_neighbors.';

-- item_similarity: the defaults (weight 1, top_k 20, measure 'cosine', min_support 1) are overloads.
CREATE FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer, text)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer, text, integer)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_similarity_state_combine(@extschema@.item_similarity_state, @extschema@.item_similarity_state)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'row_buffer_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_similarity_final(@extschema@.item_similarity_state) RETURNS @extschema@.item_neighbors
    AS 'MODULE_PATHNAME', 'item_similarity_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_similarity_state_combine(@extschema@.item_similarity_state, @extschema@.item_similarity_state) IS 'Combine function of item_similarity and item_content_similarity: appends the rows.';
COMMENT ON FUNCTION @extschema@.item_similarity_final(@extschema@.item_similarity_state) IS 'Final function of item_similarity: sums duplicate (user, item) rows, builds the sparse user and item indexes, and keeps each item''s top_k neighbours.';

CREATE AGGREGATE @extschema@.item_similarity(user_id bigint, item_id bigint) (
    SFUNC = @extschema@.item_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = @extschema@.item_similarity_state_combine, FINALFUNC = @extschema@.item_similarity_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.item_similarity(user_id bigint, item_id bigint, weight double precision) (
    SFUNC = @extschema@.item_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = @extschema@.item_similarity_state_combine, FINALFUNC = @extschema@.item_similarity_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.item_similarity(user_id bigint, item_id bigint, weight double precision, top_k integer) (
    SFUNC = @extschema@.item_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = @extschema@.item_similarity_state_combine, FINALFUNC = @extschema@.item_similarity_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.item_similarity(user_id bigint, item_id bigint, weight double precision, top_k integer, measure text) (
    SFUNC = @extschema@.item_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = @extschema@.item_similarity_state_combine, FINALFUNC = @extschema@.item_similarity_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.item_similarity(user_id bigint, item_id bigint, weight double precision, top_k integer, measure text, min_support integer) (
    SFUNC = @extschema@.item_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = @extschema@.item_similarity_state_combine, FINALFUNC = @extschema@.item_similarity_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint) IS 'Item-item neighbours from (user, item) interactions, weight 1, top 20, cosine, min_support 1. Rows with a NULL user or item are skipped; duplicate (user, item) rows are summed.';
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint, double precision) IS 'item_similarity with a weight per interaction (non-negative; summed over duplicate rows; NULL counts as 1).';
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint, double precision, integer) IS 'item_similarity keeping top_k (1..1000) neighbours per item.';
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint, double precision, integer, text) IS 'item_similarity with a measure: cosine (weights), jaccard (co-users / union of users), lift (co-users x users / (users_i x users_j)), shrunk_cosine (cosine x co / (co + 10)).';
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint, double precision, integer, text, integer) IS 'item_similarity with every option: weight, top_k, measure, and min_support (pairs with fewer co-users are left out).';

-- Content-based neighbours: cosine of item feature vectors.
CREATE FUNCTION @extschema@.item_content_similarity_transfn(@extschema@.item_similarity_state, bigint, double precision[])
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_content_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_content_similarity_transfn(@extschema@.item_similarity_state, bigint, double precision[], integer)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_content_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.item_content_similarity_final(@extschema@.item_similarity_state) RETURNS @extschema@.item_neighbors
    AS 'MODULE_PATHNAME', 'item_content_similarity_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_content_similarity_final(@extschema@.item_similarity_state) IS 'Final function of item_content_similarity: cosine of every pair of item vectors, top_k kept per item.';
CREATE AGGREGATE @extschema@.item_content_similarity(item_id bigint, features double precision[]) (
    SFUNC = @extschema@.item_content_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = @extschema@.item_similarity_state_combine, FINALFUNC = @extschema@.item_content_similarity_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.item_content_similarity(item_id bigint, features double precision[], top_k integer) (
    SFUNC = @extschema@.item_content_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = @extschema@.item_similarity_state_combine, FINALFUNC = @extschema@.item_content_similarity_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.item_content_similarity(bigint, double precision[]) IS 'Content-based item neighbours: cosine similarity of the items'' feature vectors (e.g. one-hot category, tags, scaled price), top 20 per item (pairs with cosine <= 0 left out). One row per item (a repeated item raises 22023); time grows with items^2 x features.';
COMMENT ON AGGREGATE @extschema@.item_content_similarity(bigint, double precision[], integer) IS 'item_content_similarity keeping top_k (1..1000) neighbours per item.';

-- Readers and recommenders.
CREATE FUNCTION @extschema@.neighbors(model @extschema@.item_neighbors,
                                      OUT item_id bigint, OUT neighbor_id bigint, OUT rank integer,
                                      OUT score double precision, OUT support bigint)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'item_neighbors_rows' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.neighbors(@extschema@.item_neighbors) IS 'The model''s neighbour lists: one row per (item, neighbour), rank 1 = most similar (ties: lower neighbour id); support = co-users (0 for content neighbours).';
CREATE FUNCTION @extschema@.item_neighbors_blend(a @extschema@.item_neighbors, b @extschema@.item_neighbors,
                                                 weight_a double precision DEFAULT 0.5, top_k integer DEFAULT NULL)
    RETURNS @extschema@.item_neighbors AS 'MODULE_PATHNAME', 'item_neighbors_blend' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_neighbors_blend(@extschema@.item_neighbors, @extschema@.item_neighbors, double precision, integer) IS 'Hybrid neighbours: for every item of either model, score = weight_a x score_a + (1 - weight_a) x score_b over the union of its neighbour lists (a missing score counts as 0), top_k kept (default: the larger top_k). Popularity comes from a (b for items only b knows); a neighbour''s support from a''s list when a lists it, else from b''s. Blend collaborative with content neighbours so that new items without interactions can be recommended.';
CREATE FUNCTION @extschema@.recommend(model @extschema@.item_neighbors, history bigint[], k integer DEFAULT 10,
                                      exclude bigint[] DEFAULT NULL,
                                      OUT rank integer, OUT item_id bigint, OUT score double precision,
                                      OUT source text, OUT because bigint[])
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'recommend' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.recommend(@extschema@.item_neighbors, bigint[], integer, bigint[]) IS 'Top k items for a user with this history (item ids; repeats count once): score(j) = sum over history items i of score(i, j) from i''s neighbour list (source ''similar'', because = the history items that contributed, largest contribution first, at most 3). Items in exclude (default: the history itself) are never returned. When fewer than k items are similar (empty or unknown history), the most popular remaining items fill the list (source ''popular'', score = users, because empty). Ties: lower item id.';

-- Association rules.
CREATE TYPE @extschema@.assoc_rules_state;
CREATE FUNCTION @extschema@.assoc_rules_state_in(cstring, oid, integer) RETURNS @extschema@.assoc_rules_state
    AS 'MODULE_PATHNAME', 'row_buffer_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.assoc_rules_state_out(@extschema@.assoc_rules_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'row_buffer_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.assoc_rules_state_recv(internal, oid, integer) RETURNS @extschema@.assoc_rules_state
    AS 'MODULE_PATHNAME', 'row_buffer_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.assoc_rules_state_send(@extschema@.assoc_rules_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'row_buffer_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.assoc_rules_state (
    INPUT = @extschema@.assoc_rules_state_in, OUTPUT = @extschema@.assoc_rules_state_out,
    RECEIVE = @extschema@.assoc_rules_state_recv, SEND = @extschema@.assoc_rules_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.assoc_rules_state IS 'Partial-aggregate state of assoc_rules: the (basket, item) rows and the constant arguments (params: min_support, min_confidence, max_len). Text form is exact JSON.';
COMMENT ON FUNCTION @extschema@.assoc_rules_state_in(cstring, oid, integer) IS 'Text input of assoc_rules_state (validated JSON).';
COMMENT ON FUNCTION @extschema@.assoc_rules_state_out(@extschema@.assoc_rules_state) IS 'Text output of assoc_rules_state (exact JSON).';
COMMENT ON FUNCTION @extschema@.assoc_rules_state_recv(internal, oid, integer) IS 'Binary input of assoc_rules_state (validated).';
COMMENT ON FUNCTION @extschema@.assoc_rules_state_send(@extschema@.assoc_rules_state) IS 'Binary output of assoc_rules_state.';

CREATE TYPE @extschema@.assoc_rules_model;
CREATE FUNCTION @extschema@.assoc_rules_model_in(cstring) RETURNS @extschema@.assoc_rules_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.assoc_rules_model_out(@extschema@.assoc_rules_model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.assoc_rules_model_recv(internal) RETURNS @extschema@.assoc_rules_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.assoc_rules_model_send(@extschema@.assoc_rules_model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.assoc_rules_model (
    INPUT = @extschema@.assoc_rules_model_in, OUTPUT = @extschema@.assoc_rules_model_out,
    RECEIVE = @extschema@.assoc_rules_model_recv, SEND = @extschema@.assoc_rules_model_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.assoc_rules_model IS
    'Frequent itemsets of assoc_rules, as JSON: "version", "baskets", "min_support", "min_confidence", "max_len", "offsets" (itemsets + 1 numbers), "items" (the itemsets'' item ids, concatenated, each itemset ascending), "counts" (baskets containing each itemset). Itemsets are ordered by size, then by their ids. rules(model) derives the rules.';
COMMENT ON FUNCTION @extschema@.assoc_rules_model_in(cstring) IS 'Text input of assoc_rules_model (validated JSON).';
COMMENT ON FUNCTION @extschema@.assoc_rules_model_out(@extschema@.assoc_rules_model) IS 'Text output of assoc_rules_model (JSON).';
COMMENT ON FUNCTION @extschema@.assoc_rules_model_recv(internal) IS 'Binary input of assoc_rules_model (versioned, validated).';
COMMENT ON FUNCTION @extschema@.assoc_rules_model_send(@extschema@.assoc_rules_model) IS 'Binary output of assoc_rules_model.';

CREATE FUNCTION @extschema@.assoc_rules_transfn(@extschema@.assoc_rules_state, bigint, bigint, double precision, double precision)
    RETURNS @extschema@.assoc_rules_state AS 'MODULE_PATHNAME', 'assoc_rules_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.assoc_rules_transfn(@extschema@.assoc_rules_state, bigint, bigint, double precision, double precision, integer)
    RETURNS @extschema@.assoc_rules_state AS 'MODULE_PATHNAME', 'assoc_rules_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.assoc_rules_state_combine(@extschema@.assoc_rules_state, @extschema@.assoc_rules_state)
    RETURNS @extschema@.assoc_rules_state AS 'MODULE_PATHNAME', 'row_buffer_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.assoc_rules_final(@extschema@.assoc_rules_state) RETURNS @extschema@.assoc_rules_model
    AS 'MODULE_PATHNAME', 'assoc_rules_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.assoc_rules_state_combine(@extschema@.assoc_rules_state, @extschema@.assoc_rules_state) IS 'Combine function of assoc_rules: appends the rows.';
COMMENT ON FUNCTION @extschema@.assoc_rules_final(@extschema@.assoc_rules_state) IS 'Final function of assoc_rules: frequent itemsets by depth-first search over item basket lists (Eclat), same output as FP-growth.';
CREATE AGGREGATE @extschema@.assoc_rules(basket_id bigint, item_id bigint, min_support double precision, min_confidence double precision) (
    SFUNC = @extschema@.assoc_rules_transfn, STYPE = @extschema@.assoc_rules_state,
    COMBINEFUNC = @extschema@.assoc_rules_state_combine, FINALFUNC = @extschema@.assoc_rules_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.assoc_rules(basket_id bigint, item_id bigint, min_support double precision, min_confidence double precision, max_len integer) (
    SFUNC = @extschema@.assoc_rules_transfn, STYPE = @extschema@.assoc_rules_state,
    COMBINEFUNC = @extschema@.assoc_rules_state_combine, FINALFUNC = @extschema@.assoc_rules_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.assoc_rules(bigint, bigint, double precision, double precision) IS 'Association rules of market baskets: itemsets of at most 3 items in at least min_support (a fraction, 0 < s <= 1) of the baskets; rules(model) keeps those with confidence >= min_confidence (0..1). A repeated (basket, item) row counts once; rows with a NULL basket or item are skipped.';
COMMENT ON AGGREGATE @extschema@.assoc_rules(bigint, bigint, double precision, double precision, integer) IS 'assoc_rules with max_len (1..10): the largest itemset size.';

CREATE FUNCTION @extschema@.frequent_itemsets(model @extschema@.assoc_rules_model,
                                              OUT items bigint[], OUT support double precision, OUT count bigint)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'assoc_frequent_itemsets' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.frequent_itemsets(@extschema@.assoc_rules_model) IS 'The frequent itemsets: items ascending, support = count / baskets.';
CREATE FUNCTION @extschema@.rules(model @extschema@.assoc_rules_model,
                                  OUT antecedent bigint[], OUT consequent bigint[], OUT support double precision,
                                  OUT confidence double precision, OUT lift double precision,
                                  OUT leverage double precision, OUT conviction double precision, OUT count bigint)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'assoc_rules_rows' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.rules(@extschema@.assoc_rules_model) IS 'Every rule A -> C with A, C non-empty, disjoint, A u C frequent and confidence = supp(A u C) / supp(A) >= min_confidence: support = supp(A u C), lift = confidence / supp(C), leverage = supp(A u C) - supp(A) supp(C), conviction = (1 - supp(C)) / (1 - confidence) (Infinity when confidence is 1), count = baskets with A u C (mlxtend''s definitions). Ordered by itemset, then antecedent.';

-- Transition functions (and composite columns).
COMMENT ON FUNCTION @extschema@.assoc_rules_transfn(@extschema@.assoc_rules_state, bigint, bigint, double precision, double precision) IS 'Transition function of assoc_rules(bigint, bigint, double precision, double precision).';
COMMENT ON FUNCTION @extschema@.assoc_rules_transfn(@extschema@.assoc_rules_state, bigint, bigint, double precision, double precision, integer) IS 'Transition function of assoc_rules(bigint, bigint, double precision, double precision, integer).';
COMMENT ON FUNCTION @extschema@.item_content_similarity_transfn(@extschema@.item_similarity_state, bigint, double precision[]) IS 'Transition function of item_content_similarity(bigint, double precision[]).';
COMMENT ON FUNCTION @extschema@.item_content_similarity_transfn(@extschema@.item_similarity_state, bigint, double precision[], integer) IS 'Transition function of item_content_similarity(bigint, double precision[], integer).';
COMMENT ON FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint) IS 'Transition function of item_similarity(bigint, bigint).';
COMMENT ON FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision) IS 'Transition function of item_similarity(bigint, bigint, double precision).';
COMMENT ON FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer) IS 'Transition function of item_similarity(bigint, bigint, double precision, integer).';
COMMENT ON FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer, text) IS 'Transition function of item_similarity(bigint, bigint, double precision, integer, text).';
COMMENT ON FUNCTION @extschema@.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer, text, integer) IS 'Transition function of item_similarity(bigint, bigint, double precision, integer, text, integer).';
-- ===========================================================================================================
-- Offline evaluation of the recommenders (recommend.sql) on the canonical data model, split by time
-- ===========================================================================================================

-- Offline evaluation: train on the orders before cutoff, test on the orders from cutoff on.
CREATE FUNCTION @extschema@.evaluate_recommenders(source_schema text, cutoff timestamptz, k integer DEFAULT 10,
                                                  top_k integer DEFAULT 20,
                                                  hybrid_weight double precision DEFAULT 0.7)
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
    PERFORM @extschema@.check_source(source_schema, ARRAY[
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
CREATE FUNCTION @extschema@.check_dashboard_target(target_schema text)
    RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF target_schema IS NULL THEN
        RAISE EXCEPTION 'target_schema must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF target_schema = '' OR target_schema = '@extschema@' OR target_schema = 'information_schema'
       OR target_schema LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'cannot use schema "%" for dashboards', target_schema
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use a schema of your own: not empty, not a system schema, not the extension''s schema.';
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.check_dashboard_target(text) IS
    'Raises 22004 for a NULL target schema and 22023 for an empty name, a pg_* or information_schema schema, or the extension''s own schema.';

-- Text of the supply dashboard query for a source schema and a time zone (both quoted here).
CREATE FUNCTION @extschema@.supply_dashboard_query(source_schema text, time_zone text)
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
           sum(x.inventory_value) AS inventory_value
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
sell_through AS (
    SELECT g.scope, g.category, g.month, r.units_received,
           @extschema@.sell_through_rate(t.sold, t.received) AS sell_through_rate
      FROM grid AS g
      LEFT JOIN sales AS s USING (scope, category, month)
      LEFT JOIN received AS r USING (scope, category, month)
     CROSS JOIN LATERAL (VALUES (COALESCE(s.units_sold, 0)::float8, NULL::float8),
                                (NULL, r.units_received::float8)) AS t(sold, received)
     GROUP BY g.scope, g.category, g.month, r.units_received
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
SELECT j.scope, j.category, j.month, j.abc_class, j.units_sold, j.revenue, j.cogs, j.units_received,
       j.units_returned, j.reviews, j.avg_inventory_value, j.inventory_turnover, j.annualized_turnover,
       j.stockout_rate, j.fill_rate, j.sell_through_rate, j.renewal_rate, j.demand_cv, j.diversity,
       j.on_time_rate, j.return_rate, j.mean_rating,
       @extschema@.supply_capability_score(j.annualized_turnover, j.fill_rate, j.stockout_rate, j.renewal_rate,
                                           j.diversity, j.on_time_rate, j.return_rate, j.mean_rating) AS supply_capability_score
  FROM joined AS j
$q$, source_schema, time_zone)
$body$;
COMMENT ON FUNCTION @extschema@.supply_dashboard_query(text, text) IS
    'The SELECT behind supply_dashboard_mv for a source schema and a time zone (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the product ABC/XYZ query for a source schema and a time zone.
CREATE FUNCTION @extschema@.product_abc_xyz_query(source_schema text, time_zone text)
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
)
SELECT pr.product_id, pr.category,
       COALESCE(t.units_sold, 0) AS units_sold,
       COALESCE(t.revenue, 0) AS revenue,
       @extschema@.abc_class(COALESCE(t.revenue, 0)::float8) OVER () AS abc_class,
       COALESCE(v.weeks_observed, 0) AS weeks_observed,
       v.demand_cv,
       @extschema@.xyz_class(v.demand_cv) AS xyz_class
  FROM prod AS pr
  LEFT JOIN totals AS t ON t.product_id = pr.product_id
  LEFT JOIN variability AS v ON v.product_id = pr.product_id
$q$, source_schema, time_zone)
$body$;
COMMENT ON FUNCTION @extschema@.product_abc_xyz_query(text, text) IS
    'The SELECT behind product_abc_xyz_mv for a source schema and a time zone (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the customer dashboard query (one row per customer) for a source schema and a time zone; with_clv
-- adds the BG/NBD + Gamma-Gamma columns (create_dashboards passes true when the CLV functions exist).
CREATE FUNCTION @extschema@.customer_dashboard_query(source_schema text, time_zone text, with_clv boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
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
),
breaks AS (
    SELECT @extschema@.rfm_breaks(recency_days, orders, monetary_total) AS b FROM flat
),
scored AS (
    SELECT f.*, @extschema@.rfm_score(f.recency_days, f.orders, f.monetary_total, b.b) AS sc
      FROM flat AS f CROSS JOIN breaks AS b
)%3$s
SELECT s.customer_id, s.as_of, s.orders, s.frequency, s.recency_days, s.recency_bgnbd, s.age_days, s.monetary_mean,
       s.monetary_repeat_mean, s.monetary_total, s.first_order, s.last_order,
       (s.sc).r AS r_score, (s.sc).f AS f_score, (s.sc).m AS m_score, (s.sc).code AS rfm_code,
       COALESCE((s.sc).segment, '(unassigned)') AS segment%4$s
  FROM scored AS s%5$s
$q$, source_schema, time_zone,
     CASE WHEN with_clv THEN $c$,
fitted AS (
    -- BG/NBD + Gamma-Gamma in days over every customer older than a day (the model needs T > 0); a repeat
    -- customer whose repeat orders are all worth 0 counts as unknown spend (Gamma-Gamma needs a positive mean)
    SELECT @extschema@.clv_fit(frequency::float8, recency_bgnbd, age_days, NULLIF(monetary_repeat_mean, 0), 'bgnbd', 'days')
               FILTER (WHERE age_days > 0) AS m
      FROM flat
),
model AS (
    SELECT m, m IS NOT NULL AND m::text::jsonb ? 'gamma' AS has_spend FROM fitted
)$c$ ELSE '' END,
     CASE WHEN with_clv THEN $c$,
       CASE WHEN s.age_days > 0 THEN @extschema@.probability_alive(md.m, s.frequency::float8, s.recency_bgnbd, s.age_days) END AS p_alive,
       CASE WHEN s.age_days > 0 THEN @extschema@.expected_purchases(md.m, 365, s.frequency::float8, s.recency_bgnbd, s.age_days) END AS expected_purchases_12m,
       CASE WHEN s.age_days > 0 AND md.has_spend
            THEN @extschema@.clv_estimate(md.m, s.frequency::float8, s.recency_bgnbd, s.age_days, COALESCE(s.monetary_repeat_mean, 0), 365, 0)
       END AS clv_12m$c$
          ELSE '' END,
     CASE WHEN with_clv THEN ' CROSS JOIN model AS md' ELSE '' END)
$body$;
COMMENT ON FUNCTION @extschema@.customer_dashboard_query(text, text, boolean) IS
    'The SELECT behind customer_dashboard_mv for a source schema and a time zone; with_clv adds p_alive, expected_purchases_12m and clv_12m from a BG/NBD + Gamma-Gamma fit (clv_fit, in days) over all customers older than one day (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the RFM segment summary query over target_schema.customer_dashboard_mv.
CREATE FUNCTION @extschema@.customer_segments_query(target_schema text, with_clv boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
SELECT g.segment, count(c.customer_id) AS customers,
       count(c.customer_id)::float8 / NULLIF(t.customers, 0) AS customer_share,
       COALESCE(sum(c.monetary_total), 0) AS revenue,
       COALESCE(sum(c.monetary_total), 0) / NULLIF(t.revenue, 0) AS revenue_share,
       avg(c.recency_days) AS mean_recency_days, avg(c.orders)::float8 AS mean_orders,
       avg(c.monetary_total) AS mean_monetary_total%2$s
  FROM (SELECT segment FROM @extschema@.rfm_segments UNION SELECT segment FROM %1$I.customer_dashboard_mv) AS g
 CROSS JOIN (SELECT count(*) AS customers, sum(monetary_total) AS revenue FROM %1$I.customer_dashboard_mv) AS t
  LEFT JOIN %1$I.customer_dashboard_mv AS c ON c.segment = g.segment
 GROUP BY g.segment, t.customers, t.revenue
$q$, target_schema,
     CASE WHEN with_clv THEN ',
       avg(c.clv_12m) AS mean_clv_12m, sum(c.clv_12m) AS total_clv_12m' ELSE '' END)
$body$;
COMMENT ON FUNCTION @extschema@.customer_segments_query(text, boolean) IS
    'The SELECT behind customer_segments_mv: one row per RFM segment (every segment of supplymkt.rfm_segments, plus ''(unassigned)'' when used) summarising target_schema.customer_dashboard_mv (used by create_dashboards).';

-- Text of the persona query over target_schema.customer_dashboard_mv and the orders of source_schema: one row
-- per customer with its k-means persona among (at most) segments clusters; with_clv carries clv_12m over,
-- with_channel reads orders.channel (create_dashboards passes what is installed and what the source has).
CREATE FUNCTION @extschema@.customer_personas_query(source_schema text, target_schema text, segments integer,
                                                   with_clv boolean, with_channel boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
customer AS MATERIALIZED (
    SELECT d.customer_id, d.as_of, d.segment AS rfm_segment, d.rfm_code, d.r_score, d.f_score, d.m_score,
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
    SELECT c.*, ARRAY[c.recency_days, ln(1 + c.orders::float8), ln(1 + c.monetary_total)]
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
),
fit AS (
    -- kmeans_fit needs k distinct points: fewer personas when there are fewer distinct customers
    SELECT least(%3$s, count(DISTINCT z))::integer AS k FROM point
),
model AS (
    -- one fit over all customers on the scaled points (seed 0, n_init 10, max_iter 300, tol 1e-4, no further
    -- standardization), recomputed by every refresh
    SELECT @extschema@.kmeans_fit(p.z, (SELECT k FROM fit), 0, 10, 300, 1e-4, false) AS m FROM point AS p
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
SELECT f.customer_id, @extschema@.kmeans_assign(md.m, p.z) AS persona,
       @extschema@.kmeans_distance(md.m, p.z) AS persona_distance,
       f.rfm_segment, f.rfm_code, f.r_score, f.f_score, f.m_score, f.recency_days, f.orders, f.monetary_total%4$s,
       fc.category AS favourite_category, fh.channel AS favourite_channel,
       COALESCE(cr.category_revenue, '{}'::jsonb) AS category_revenue, f.features, f.as_of
  FROM feature AS f
  JOIN point AS p ON p.customer_id = f.customer_id
 CROSS JOIN model AS md
  LEFT JOIN favourite_category AS fc ON fc.customer_id = f.customer_id
  LEFT JOIN favourite_channel AS fh ON fh.customer_id = f.customer_id
  LEFT JOIN category_revenue AS cr ON cr.customer_id = f.customer_id
$q$, source_schema, target_schema, segments,
     CASE WHEN with_clv THEN ', clv_12m' ELSE '' END,
     CASE WHEN with_channel THEN 'o.channel::text' ELSE 'NULL::text' END)
$body$;
COMMENT ON FUNCTION @extschema@.customer_personas_query(text, text, integer, boolean, boolean) IS
    'The SELECT behind customer_personas_mv: one row per customer of target_schema.customer_dashboard_mv with its persona, kmeans_assign of a kmeans_fit (seed 0, k = least(segments, distinct customers)) over all customers on the features [recency_days, ln(1 + orders), ln(1 + monetary_total), revenue share of each category in byte order of the names], z-scored and the shares weighted by 1/sqrt(number of categories), favourite category and channel from the orders of source_schema up to the dashboard''s as_of; with_clv carries clv_12m over, with_channel reads orders.channel (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the persona summary query over target_schema.customer_personas_mv (one row per persona).
CREATE FUNCTION @extschema@.persona_segments_query(target_schema text, with_clv boolean)
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
           percentile_cont(0.5) WITHIN GROUP (ORDER BY recency_days) AS median_recency_days,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY orders) AS median_orders,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY monetary_total) AS median_monetary_total,
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
           sum(m.monetary_total) AS revenue, sum(m.monetary_total) / NULLIF(o.revenue, 0) AS revenue_share%2$s,
           c.centroid[1] AS centroid_recency_days, exp(c.centroid[2]) - 1 AS centroid_orders,
           exp(c.centroid[3]) - 1 AS centroid_monetary_total,
           avg(m.recency_days) AS mean_recency_days, avg(m.orders)::float8 AS mean_orders,
           avg(m.monetary_total) AS mean_monetary_total,
           o.median_recency_days, o.median_orders, o.median_monetary_total, c.centroid, o.feature_names
      FROM member AS m
      JOIN center AS c ON c.persona = m.persona
     CROSS JOIN overall AS o
     GROUP BY m.persona, c.centroid, o.customers, o.revenue, o.median_recency_days, o.median_orders,
              o.median_monetary_total, o.feature_names
)
SELECT s.persona,
       concat_ws(' / ',
                 CASE WHEN round(s.centroid_monetary_total::numeric, 6) > round(s.median_monetary_total::numeric, 6)
                      THEN 'high value' ELSE 'low value' END,
                 CASE WHEN round(s.centroid_orders::numeric, 6) > round(s.median_orders::numeric, 6)
                      THEN 'frequent' ELSE 'occasional' END,
                 CASE WHEN round(s.centroid_recency_days::numeric, 6) < round(s.median_recency_days::numeric, 6)
                      THEN 'recent' ELSE 'lapsing' END) AS label,
       s.customers, s.customer_share, s.revenue, s.revenue_share%3$s,
       s.centroid_recency_days, s.centroid_orders, s.centroid_monetary_total,
       s.mean_recency_days, s.mean_orders, s.mean_monetary_total,
       t.category AS top_category, t.share AS top_category_share, s.centroid, s.feature_names
  FROM summary AS s
  LEFT JOIN top_category AS t ON t.persona = s.persona
$q$, target_schema,
     CASE WHEN with_clv THEN ',
           avg(m.clv_12m) AS mean_clv_12m' ELSE '' END,
     CASE WHEN with_clv THEN ', s.mean_clv_12m' ELSE '' END)
$body$;
COMMENT ON FUNCTION @extschema@.persona_segments_query(text, boolean) IS
    'The SELECT behind persona_segments_mv: one row per persona of target_schema.customer_personas_mv with its size, customer and revenue shares, mean CLV (with_clv), centroid and plain means of recency, orders and monetary total, top category and a label from the centroid against the medians of all customers (used by create_dashboards).';

-- Text of the item neighbours query for a source schema: item_similarity over every order line (user =
-- orders.customer_id, item = order_items.product_id, weight 1 per line), one row per (item, neighbour).
CREATE FUNCTION @extschema@.item_neighbors_query(source_schema text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
model AS (
    SELECT @extschema@.item_similarity(o.customer_id, oi.product_id) AS m
      FROM %1$I.orders AS o
      JOIN %1$I.order_items AS oi ON oi.order_id = o.order_id
)
SELECT n.item_id, n.rank, n.neighbor_id, n.score, n.support
  FROM model AS md CROSS JOIN LATERAL @extschema@.neighbors(md.m) AS n
$q$, source_schema)
$body$;
COMMENT ON FUNCTION @extschema@.item_neighbors_query(text) IS
    'The SELECT behind item_neighbors_mv: neighbors() of item_similarity(orders.customer_id, order_items.product_id) over every order line of source_schema (cosine, weight = order lines of the item per customer, top 20 per item), one row per (item, neighbour) (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the per-customer recommendation query for a source schema: the same model as item_neighbors_query,
-- recommend(model, the customer's purchased items, 10) for every customer with an order.
CREATE FUNCTION @extschema@.user_recommendations_query(source_schema text)
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
    SELECT @extschema@.item_similarity(l.customer_id, l.product_id) AS m FROM line AS l
),
customer AS (
    -- every customer with an order; a customer whose orders have no items gets the popular items
    SELECT c.customer_id, COALESCE(h.items, '{}'::bigint[]) AS history
      FROM (SELECT DISTINCT o.customer_id FROM %1$I.orders AS o WHERE o.customer_id IS NOT NULL) AS c
      LEFT JOIN (SELECT l.customer_id, array_agg(DISTINCT l.product_id ORDER BY l.product_id) AS items
                   FROM line AS l GROUP BY l.customer_id) AS h ON h.customer_id = c.customer_id
)
SELECT c.customer_id, r.rank, r.item_id, r.score, r.source, r.because,
       CASE WHEN r.source = 'similar' THEN 'because you bought ' || array_to_string(r.because, ', ')
            ELSE 'popular' END AS reason
  FROM customer AS c
 CROSS JOIN model AS md
 CROSS JOIN LATERAL @extschema@.recommend(md.m, c.history, 10) AS r
$q$, source_schema)
$body$;
COMMENT ON FUNCTION @extschema@.user_recommendations_query(text) IS
    'The SELECT behind user_recommendations_mv: for every customer with an order in source_schema, recommend(model, the products the customer bought, 10) with the item_similarity model of item_neighbors_query (cosine over every order line, top 20 neighbours per item), purchased products excluded, popular products filling up; reason spells out the because column (used by create_dashboards; handy to read or EXPLAIN).';

-- Creates the supply dashboards in target_schema, replacing the ones registered there before.
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
    obj record;
    acl record;
    saved_acls jsonb := '{}';
    col record;
    clash text;
    mv record;
    err_state text;
    err_message text;
    err_detail text;
    err_hint text;
    with_clv boolean;
    with_kmeans boolean;
    with_recommend boolean;
    with_channel boolean;
    objects text[][] := ARRAY[
        ['supply_dashboard_mv', 'materialized view'], ['supply_dashboard_mv_key', 'index'],
        ['supply_dashboard', 'view'],
        ['product_abc_xyz_mv', 'materialized view'], ['product_abc_xyz_mv_key', 'index'],
        ['product_abc_xyz', 'view'],
        ['customer_dashboard_mv', 'materialized view'], ['customer_dashboard_mv_key', 'index'],
        ['customer_dashboard', 'view'],
        ['customer_segments_mv', 'materialized view'], ['customer_segments_mv_key', 'index'],
        ['customer_segments', 'view'],
        ['retention_mv', 'materialized view'], ['retention_mv_key', 'index'],
        ['retention', 'view']];
BEGIN
    PERFORM @extschema@.check_dashboard_target(target_schema);
    PERFORM @extschema@.check_source(source_schema, ARRAY[
        'products.product_id', 'products.category', 'products.first_listed', 'products.unit_cost',
        'orders.order_id', 'orders.customer_id', 'orders.order_time', 'order_items.order_id', 'order_items.product_id',
        'order_items.quantity', 'order_items.unit_price', 'inventory_snapshots.snapshot_date',
        'inventory_snapshots.product_id', 'inventory_snapshots.on_hand', 'inventory_snapshots.inventory_value',
        'purchase_orders.product_id', 'purchase_orders.order_date', 'purchase_orders.quantity',
        'purchase_orders.received_date', 'purchase_orders.received_quantity', 'shipments.order_id',
        'shipments.promised_date', 'shipments.delivered_time', 'returns.order_id', 'returns.product_id',
        'returns.quantity', 'reviews.product_id', 'reviews.rating', 'reviews.review_time'], 'create_dashboards');
    IF segments IS NULL THEN
        RAISE EXCEPTION 'segments must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF segments < 1 OR segments > 100 THEN
        RAISE EXCEPTION 'segments must be between 1 and 100, not %', segments
            USING ERRCODE = 'invalid_parameter_value', HINT = 'segments is the number of k-means personas (default 5).';
    END IF;
    BEGIN
        PERFORM now() AT TIME ZONE tz;
    EXCEPTION WHEN invalid_parameter_value THEN
        RAISE EXCEPTION 'time zone "%" is not recognized', tz
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use a name from pg_timezone_names, e.g. ''UTC''.';
    END;

    -- one creator per target schema at a time
    PERFORM pg_advisory_xact_lock(hashtextextended('supplymkt.create_dashboards:' || target_schema, 0));
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target_schema) THEN
        EXECUTE format('CREATE SCHEMA %I', target_schema);
    END IF;

    -- drop what we registered there before (views first: they depend on the materialized views; materialized
    -- views by name descending: customer_segments_mv and customer_personas_mv read customer_dashboard_mv,
    -- persona_segments_mv reads customer_personas_mv), keeping the privileges granted on the objects so BI
    -- users keep their access after a re-create
    FOR obj IN
        SELECT d.object_name, d.kind, c.oid AS relid, c.relacl
          FROM @extschema@.dashboards AS d
          LEFT JOIN pg_namespace AS n ON n.nspname = d.target_schema
          LEFT JOIN pg_class AS c ON c.relnamespace = n.oid AND c.relname = d.object_name
         WHERE d.target_schema = create_dashboards.target_schema
         ORDER BY CASE d.kind WHEN 'view' THEN 1 WHEN 'materialized view' THEN 2 ELSE 3 END, d.object_name DESC
    LOOP
        IF obj.relid IS NOT NULL AND obj.relacl IS NOT NULL THEN
            saved_acls := saved_acls || jsonb_build_object(obj.object_name, obj.relacl::text[]);
        END IF;
        IF obj.relid IS NOT NULL AND obj.kind = 'view' THEN
            EXECUTE format('DROP VIEW %I.%I', target_schema, obj.object_name);
        ELSIF obj.relid IS NOT NULL AND obj.kind = 'materialized view' THEN
            EXECUTE format('DROP MATERIALIZED VIEW %I.%I', target_schema, obj.object_name);
        END IF;
    END LOOP;
    DELETE FROM @extschema@.dashboards AS d WHERE d.target_schema = create_dashboards.target_schema;

    -- the personas need the k-means functions (src/sql/kmeans.sql); orders.channel is optional there
    with_kmeans := to_regtype('@extschema@.kmeans_model') IS NOT NULL;
    IF with_kmeans THEN
        with_kmeans := to_regprocedure('@extschema@.kmeans_fit(double precision[], integer, integer, integer, integer, double precision, boolean)') IS NOT NULL
            AND to_regprocedure('@extschema@.kmeans_assign(@extschema@.kmeans_model, double precision[])') IS NOT NULL
            AND to_regprocedure('@extschema@.kmeans_distance(@extschema@.kmeans_model, double precision[])') IS NOT NULL;
    END IF;
    IF with_kmeans THEN
        objects := objects || ARRAY[
            ['customer_personas_mv', 'materialized view'], ['customer_personas_mv_key', 'index'],
            ['customer_personas', 'view'],
            ['persona_segments_mv', 'materialized view'], ['persona_segments_mv_key', 'index'],
            ['persona_segments', 'view']];
    END IF;
    -- the item neighbours and per-customer recommendations need the recommendation functions (src/sql/recommend.sql)
    with_recommend := to_regtype('@extschema@.item_neighbors') IS NOT NULL;
    IF with_recommend THEN
        with_recommend := to_regprocedure('@extschema@.item_similarity(bigint, bigint)') IS NOT NULL
            AND to_regprocedure('@extschema@.neighbors(@extschema@.item_neighbors)') IS NOT NULL
            AND to_regprocedure('@extschema@.recommend(@extschema@.item_neighbors, bigint[], integer, bigint[])') IS NOT NULL;
    END IF;
    IF with_recommend THEN
        objects := objects || ARRAY[
            ['item_neighbors_mv', 'materialized view'], ['item_neighbors_mv_key', 'index'],
            ['item_neighbors', 'view'],
            ['user_recommendations_mv', 'materialized view'], ['user_recommendations_mv_key', 'index'],
            ['user_recommendations', 'view']];
    END IF;
    with_channel := EXISTS (SELECT 1 FROM pg_attribute AS a
                             WHERE a.attrelid = format('%I.orders', source_schema)::regclass
                               AND a.attname = 'channel' AND a.attnum > 0 AND NOT a.attisdropped);

    -- never drop or shadow a relation that is not ours
    SELECT string_agg(format('%I.%I', target_schema, o.name), ', ') INTO clash
      FROM (SELECT objects[i][1] AS name FROM generate_subscripts(objects, 1) AS i) AS o
     WHERE to_regclass(format('%I.%I', target_schema, o.name)) IS NOT NULL;
    IF clash IS NOT NULL THEN
        RAISE EXCEPTION 'relation % already exists and was not created by create_dashboards', clash
            USING ERRCODE = 'duplicate_table',
                  HINT = 'Drop or rename it, or choose another target schema.';
    END IF;

    -- the customer dashboard has CLV columns when the CLV model functions are installed (src/sql/clv.sql)
    with_clv := to_regtype('@extschema@.clv_model') IS NOT NULL;
    IF with_clv THEN
        with_clv := to_regprocedure('@extschema@.clv_fit(double precision, double precision, double precision, double precision, text, text)') IS NOT NULL
            AND to_regprocedure('@extschema@.probability_alive(@extschema@.clv_model, double precision, double precision, double precision)') IS NOT NULL
            AND to_regprocedure('@extschema@.expected_purchases(@extschema@.clv_model, double precision, double precision, double precision, double precision)') IS NOT NULL
            AND to_regprocedure('@extschema@.clv_estimate(@extschema@.clv_model, double precision, double precision, double precision, double precision, double precision, double precision)') IS NOT NULL;
    END IF;

    -- the materialized views (customer_dashboard_mv before customer_segments_mv and customer_personas_mv, which
    -- read it, and customer_personas_mv before persona_segments_mv); an error in the source data is re-raised
    -- without the long query as context
    FOR mv IN
        SELECT * FROM (VALUES
            (1, 'supply_dashboard_mv', format('supply_dashboard_query(%L, %L)', source_schema, tz),
             @extschema@.supply_dashboard_query(source_schema, tz)),
            (2, 'product_abc_xyz_mv', format('product_abc_xyz_query(%L, %L)', source_schema, tz),
             @extschema@.product_abc_xyz_query(source_schema, tz)),
            (3, 'customer_dashboard_mv', format('customer_dashboard_query(%L, %L, %L)', source_schema, tz, with_clv),
             @extschema@.customer_dashboard_query(source_schema, tz, with_clv)),
            (4, 'customer_segments_mv', format('customer_segments_query(%L, %L)', target_schema, with_clv),
             @extschema@.customer_segments_query(target_schema, with_clv)),
            (5, 'retention_mv', format('retention_query(%L, 12, %L)', source_schema, tz),
             @extschema@.retention_query(source_schema, 12, tz)),
            (6, 'customer_personas_mv',
             format('customer_personas_query(%L, %L, %s, %L, %L)', source_schema, target_schema, segments, with_clv, with_channel),
             @extschema@.customer_personas_query(source_schema, target_schema, segments, with_clv, with_channel)),
            (7, 'persona_segments_mv', format('persona_segments_query(%L, %L)', target_schema, with_clv),
             @extschema@.persona_segments_query(target_schema, with_clv)),
            (8, 'item_neighbors_mv', format('item_neighbors_query(%L)', source_schema),
             @extschema@.item_neighbors_query(source_schema)),
            (9, 'user_recommendations_mv', format('user_recommendations_query(%L)', source_schema),
             @extschema@.user_recommendations_query(source_schema))) AS v(ord, name, call, query)
         WHERE v.ord <= 5 OR (v.ord <= 7 AND with_kmeans) OR (v.ord >= 8 AND with_recommend)
         ORDER BY ord
    LOOP
        BEGIN
            EXECUTE format('CREATE MATERIALIZED VIEW %I.%I AS %s', target_schema, mv.name, mv.query);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_message = MESSAGE_TEXT,
                                    err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT;
            err_detail := concat_ws(' ', NULLIF(err_detail, ''),
                                    format('Raised while building %I.%I from schema %I (its query: SELECT @extschema@.%s).',
                                           target_schema, mv.name, source_schema, mv.call));
            IF COALESCE(err_hint, '') = '' THEN
                RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = err_message, DETAIL = err_detail;
            END IF;
            RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = err_message, DETAIL = err_detail, HINT = err_hint;
        END;
    END LOOP;

    -- supply dashboard: one row per (category, month) and one per month for the overall scope
    EXECUTE format('CREATE UNIQUE INDEX supply_dashboard_mv_key ON %I.supply_dashboard_mv (scope, category, month)',
                   target_schema);
    EXECUTE format('CREATE VIEW %1$I.supply_dashboard WITH (security_invoker = true) AS SELECT * FROM %1$I.supply_dashboard_mv',
                   target_schema);
    EXECUTE format('COMMENT ON MATERIALIZED VIEW %I.supply_dashboard_mv IS %L', target_schema,
                   format('Supply dashboard built by supplymkt.create_dashboards from schema %s (months in time zone %s): one row per (category, month) with scope = ''category'' and one per month with scope = ''overall'' and category = ''(all)''. Months span the first to the last month with orders or inventory snapshots (activity outside that window, such as purchase orders placed earlier, is left out); every category has a row in every month. Refresh with supplymkt.refresh_dashboards(%L) (CONCURRENTLY: unique index supply_dashboard_mv_key). Query the view supply_dashboard.',
                          source_schema, tz, target_schema));
    EXECUTE format('COMMENT ON INDEX %I.supply_dashboard_mv_key IS %L', target_schema,
                   'Unique key (scope, category, month) of supply_dashboard_mv; lets REFRESH MATERIALIZED VIEW CONCURRENTLY run.');
    EXECUTE format('COMMENT ON VIEW %I.supply_dashboard IS %L', target_schema,
                   'Supply dashboard for BI tools (security_invoker: readers need SELECT on supply_dashboard_mv too). See the comment on supply_dashboard_mv; columns are documented one by one.');
    FOR col IN
        SELECT * FROM (VALUES
            ('scope', 'category: a row for one category; overall: all categories together.'),
            ('category', 'Product category (products.category; NULL categories are reported as ''(uncategorized)''); ''(all)'' on overall rows. Never NULL.'),
            ('month', 'First day of the calendar month (orders, shipments, returns and reviews bucketed in the time zone given to create_dashboards).'),
            ('abc_class', 'ABC class of the category by its revenue over the whole period (abc_class: A up to 80% of cumulative revenue, B up to 95%, else C); the same in every month. NULL on overall rows.'),
            ('units_sold', 'Units sold in the month: sum(order_items.quantity) of orders placed in the month. 0 without sales.'),
            ('revenue', 'Revenue of the month: sum(quantity * order_items.unit_price), in the currency of the source data. 0 without sales.'),
            ('cogs', 'Cost of goods sold in the month: sum(quantity * products.unit_cost), in the currency of the source data. 0 without sales.'),
            ('units_received', 'Units received from suppliers in the month: sum(purchase_orders.received_quantity) by received_date. 0 without receipts.'),
            ('units_returned', 'Units returned from the orders placed in the month (returns attributed to their order''s month). 0 without returns.'),
            ('reviews', 'Number of reviews written in the month. 0 without reviews.'),
            ('avg_inventory_value', 'Average over the month''s snapshot dates of the total inventory value on that date (sum of inventory_snapshots.inventory_value), in the currency of the source data. NULL without snapshots.'),
            ('inventory_turnover', 'Inventory turnover of the month (inventory_turnover: cogs / avg_inventory_value), not annualized. NULL without snapshots or with zero average inventory.'),
            ('annualized_turnover', 'inventory_turnover * 365 / days in the month: turns per year at this month''s pace (the scale the score uses). NULL when inventory_turnover is.'),
            ('stockout_rate', 'Share 0..1 of the month''s inventory snapshots with on_hand <= 0 (stockout_rate). NULL without snapshots.'),
            ('fill_rate', 'Supplier unit fill rate 0..1 of the purchase orders placed in the month (fill_rate(quantity, received_quantity); over-delivery counts as filled). Lines not yet received (NULL received_quantity) are left out; NULL when none remain.'),
            ('sell_through_rate', 'units_sold / units_received of the month (sell_through_rate); can exceed 1 when stock on hand is sold. NULL when nothing was received.'),
            ('renewal_rate', 'Share 0..1 of the assortment (products listed by the month''s end; unknown first_listed counts as long listed) first listed in the month (renewal_rate). NULL when the assortment is empty.'),
            ('demand_cv', 'Coefficient of variation of daily units sold in the month (demand_cv), zero-sale days included, over the days from the first to the last order day of the data. NULL with fewer than 2 days or no sales.'),
            ('diversity', 'Evenness 0..1 (Pielou) of the category mix of the products listed by the month''s end (assortment_diversity(category).evenness). Defined on overall rows only: NULL on category rows (a single category has no mix) and with a single category.'),
            ('on_time_rate', 'Share 0..1 of delivered shipments of the month''s orders with delivered_time (as a date in the dashboard time zone) <= promised_date. On category rows a shipment counts for each category its order contains. Undelivered shipments are left out; NULL when none.'),
            ('return_rate', 'units_returned / units_sold for the orders of the month. NULL when nothing was sold.'),
            ('mean_rating', 'Mean review rating (1..5) of the reviews written in the month. NULL without reviews.'),
            ('supply_capability_score', 'Composite score 0..100 (supply_capability_score) from annualized_turnover, fill_rate, stockout_rate, renewal_rate, diversity, on_time_rate, return_rate and mean_rating with the weights in supplymkt.score_weights; NULL indicators are left out and the weights renormalized. NULL when every indicator is NULL.')
        ) AS v(name, description)
    LOOP
        EXECUTE format('COMMENT ON COLUMN %I.supply_dashboard_mv.%I IS %L', target_schema, col.name, col.description);
        EXECUTE format('COMMENT ON COLUMN %I.supply_dashboard.%I IS %L', target_schema, col.name, col.description);
    END LOOP;

    -- product ABC/XYZ classification
    EXECUTE format('CREATE UNIQUE INDEX product_abc_xyz_mv_key ON %I.product_abc_xyz_mv (product_id)', target_schema);
    EXECUTE format('CREATE VIEW %1$I.product_abc_xyz WITH (security_invoker = true) AS SELECT * FROM %1$I.product_abc_xyz_mv',
                   target_schema);
    EXECUTE format('COMMENT ON MATERIALIZED VIEW %I.product_abc_xyz_mv IS %L', target_schema,
                   format('Product ABC/XYZ classification built by supplymkt.create_dashboards from schema %s (weeks in time zone %s): one row per product over the whole period. Refresh with supplymkt.refresh_dashboards(%L). Query the view product_abc_xyz.',
                          source_schema, tz, target_schema));
    EXECUTE format('COMMENT ON INDEX %I.product_abc_xyz_mv_key IS %L', target_schema,
                   'Unique key (product_id) of product_abc_xyz_mv; lets REFRESH MATERIALIZED VIEW CONCURRENTLY run. Requires product_id to be unique in products.');
    EXECUTE format('COMMENT ON VIEW %I.product_abc_xyz IS %L', target_schema,
                   'Product ABC/XYZ classification for BI tools (security_invoker: readers need SELECT on product_abc_xyz_mv too). See the comment on product_abc_xyz_mv.');
    FOR col IN
        SELECT * FROM (VALUES
            ('product_id', 'Product (products.product_id).'),
            ('category', 'Product category; NULL categories are reported as ''(uncategorized)''.'),
            ('units_sold', 'Units sold over the whole period. 0 without sales.'),
            ('revenue', 'Revenue over the whole period: sum(quantity * order_items.unit_price), in the currency of the source data. 0 without sales.'),
            ('abc_class', 'ABC class by revenue among all products (abc_class: A up to 80% of cumulative revenue, B up to 95%, else C; products without sales are C).'),
            ('weeks_observed', 'Weeks (Monday to Sunday) from the later of the first order week and the product''s listing week to the last order week: the series demand_cv reads. 0 when the product was listed after the last order.'),
            ('demand_cv', 'Coefficient of variation of weekly units sold (demand_cv), zero-sale weeks included. NULL with fewer than 2 weeks or no sales.'),
            ('xyz_class', 'XYZ class from demand_cv (xyz_class: X when cv <= 0.5, Y when cv <= 1.0, else Z). NULL when demand_cv is NULL.')
        ) AS v(name, description)
    LOOP
        EXECUTE format('COMMENT ON COLUMN %I.product_abc_xyz_mv.%I IS %L', target_schema, col.name, col.description);
        EXECUTE format('COMMENT ON COLUMN %I.product_abc_xyz.%I IS %L', target_schema, col.name, col.description);
    END LOOP;

    -- customer dashboard (one row per customer), RFM segment summary, cohort retention
    EXECUTE format('CREATE UNIQUE INDEX customer_dashboard_mv_key ON %I.customer_dashboard_mv (customer_id)', target_schema);
    EXECUTE format('CREATE UNIQUE INDEX customer_segments_mv_key ON %I.customer_segments_mv (segment)', target_schema);
    EXECUTE format('CREATE UNIQUE INDEX retention_mv_key ON %I.retention_mv (cohort_month, month_offset)', target_schema);
    FOR mv IN
        SELECT * FROM (VALUES
            ('customer_dashboard', format('Customer dashboard built by supplymkt.create_dashboards from schema %s (days in time zone %s): one row per customer with orders, as of the latest order in the data: the rfm_summary of the customer''s orders (order value = sum(quantity * unit_price) of its items), the R, F and M scores, code and named segment from rfm_breaks over all customers of the refresh and supplymkt.rfm_segments%s. Refresh with supplymkt.refresh_dashboards(%L) (CONCURRENTLY: unique index customer_dashboard_mv_key). Query the view customer_dashboard.',
                                          source_schema, tz,
                                          CASE WHEN with_clv THEN ', and p_alive, expected purchases and CLV over the next 365 days from a BG/NBD + Gamma-Gamma model fitted on all customers in the same refresh'
                                               ELSE ' (no CLV columns: the CLV model functions were not installed when the dashboards were created; run create_dashboards again to add them)' END,
                                          target_schema),
             'Unique key (customer_id) of customer_dashboard_mv; lets REFRESH MATERIALIZED VIEW CONCURRENTLY run.'),
            ('customer_segments', format('RFM segment summary built by supplymkt.create_dashboards from %I.customer_dashboard_mv: one row per segment of supplymkt.rfm_segments (at refresh time; segments without customers included) and ''(unassigned)'' when some customer matched no segment. refresh_dashboards(%L) refreshes it after customer_dashboard_mv (views are refreshed in name order); refreshing it alone summarises the customer dashboard as last refreshed. Query the view customer_segments.',
                                         target_schema, target_schema),
             'Unique key (segment) of customer_segments_mv; lets REFRESH MATERIALIZED VIEW CONCURRENTLY run.'),
            ('retention', format('Monthly cohort retention built by supplymkt.create_dashboards from schema %s (months in time zone %s): supplymkt.retention_cohorts(%L, 12, %L) as a materialized view, one row per (first-order month cohort, month offset 0..12) up to the last month with orders. Refresh with supplymkt.refresh_dashboards(%L). Query the view retention.',
                                 source_schema, tz, source_schema, tz, target_schema),
             'Unique key (cohort_month, month_offset) of retention_mv; lets REFRESH MATERIALIZED VIEW CONCURRENTLY run.')
        ) AS v(name, mv_comment, key_comment)
    LOOP
        EXECUTE format('CREATE VIEW %1$I.%2$I WITH (security_invoker = true) AS SELECT * FROM %1$I.%3$I',
                       target_schema, mv.name, mv.name || '_mv');
        EXECUTE format('COMMENT ON MATERIALIZED VIEW %I.%I IS %L', target_schema, mv.name || '_mv', mv.mv_comment);
        EXECUTE format('COMMENT ON INDEX %I.%I IS %L', target_schema, mv.name || '_mv_key', mv.key_comment);
        EXECUTE format('COMMENT ON VIEW %I.%I IS %L', target_schema, mv.name,
                       format('%s for BI tools (security_invoker: readers need SELECT on %s too). See the comment on %s; columns are documented one by one.',
                              CASE mv.name WHEN 'customer_dashboard' THEN 'Customer dashboard'
                                           WHEN 'customer_segments' THEN 'RFM segment summary' ELSE 'Cohort retention' END,
                              mv.name || '_mv', mv.name || '_mv'));
    END LOOP;
    FOR col IN
        SELECT v.relname, v.name, v.description FROM (VALUES
            ('customer_dashboard', 'customer_id', 'Customer (orders.customer_id): every customer with at least one order with a finite order_time.'),
            ('customer_dashboard', 'as_of', 'The time the summary is taken at: the latest order_time in the data at refresh time (a refresh of unchanged data gives the same numbers; with live data it is about now).'),
            ('customer_dashboard', 'orders', 'Orders of the customer (the RFM frequency the scores use).'),
            ('customer_dashboard', 'frequency', 'BG/NBD frequency: distinct purchase days after the first (calendar days in the dashboard time zone). 0 for customers who bought on one day only.'),
            ('customer_dashboard', 'recency_days', 'Days from the last order to as_of, fractional (the RFM recency the scores use; wall-clock time in the dashboard time zone).'),
            ('customer_dashboard', 'recency_bgnbd', 'BG/NBD recency t_x: whole days from the first to the last purchase day.'),
            ('customer_dashboard', 'age_days', 'BG/NBD customer age T: whole days from the first purchase day to the day of as_of.'),
            ('customer_dashboard', 'monetary_mean', 'Mean order value. An order''s value is sum(quantity * unit_price) of its order_items, in the currency of the source data; an order without items, or with a negative total, counts as 0.'),
            ('customer_dashboard', 'monetary_repeat_mean', 'Gamma-Gamma spend input: mean of the daily order totals on the repeat purchase days. NULL when frequency = 0.'),
            ('customer_dashboard', 'monetary_total', 'Total value of the customer''s orders (the RFM monetary value the scores use).'),
            ('customer_dashboard', 'first_order', 'Time of the first order.'),
            ('customer_dashboard', 'last_order', 'Time of the last order.'),
            ('customer_dashboard', 'r_score', 'Recency score 1..5, 5 = most recent: rfm_score under rfm_breaks(recency_days, orders, monetary_total) over all customers of the refresh (ties share a score; see rfm_breaks).'),
            ('customer_dashboard', 'f_score', 'Frequency score 1..5 by orders, 5 = most orders (ties share a score, so with most customers at 1 order some scores stay unused).'),
            ('customer_dashboard', 'm_score', 'Monetary score 1..5 by monetary_total, 5 = highest value.'),
            ('customer_dashboard', 'rfm_code', 'The three scores as one code, e.g. ''545''.'),
            ('customer_dashboard', 'segment', 'Named RFM segment from supplymkt.rfm_segments at refresh time (Champions, Loyal Customers, ...); ''(unassigned)'' when no row of the table matches.'),
            ('customer_dashboard', 'p_alive', 'Probability that the customer is still active at as_of: probability_alive under a BG/NBD model in days (clv_fit over all customers of this refresh with age_days > 0). NULL when age_days = 0 (first purchase on the day of as_of: the model needs an age above 0) or when no model could be fitted (fewer than 10 such customers, or no repeat purchase at all).'),
            ('customer_dashboard', 'expected_purchases_12m', 'Expected purchases in the 365 days after as_of (expected_purchases, same model). NULL like p_alive.'),
            ('customer_dashboard', 'clv_12m', 'Expected value of the customer''s purchases in the 365 days after as_of, undiscounted: clv_estimate (BG/NBD purchases x Gamma-Gamma expected spend, same fit; the spend model uses the repeat customers with a positive monetary_repeat_mean), in the currency of the source data. NULL like p_alive, and when the spend model could not be fitted (fewer than 10 such repeat customers).'),
            ('customer_segments', 'segment', 'RFM segment name (supplymkt.rfm_segments), or ''(unassigned)''.'),
            ('customer_segments', 'customers', 'Customers in the segment. 0 for a segment nobody is in.'),
            ('customer_segments', 'customer_share', 'customers / all customers of the dashboard, 0..1. NULL without customers.'),
            ('customer_segments', 'revenue', 'Sum of monetary_total of the segment''s customers (lifetime value of their orders up to as_of). 0 for an empty segment.'),
            ('customer_segments', 'revenue_share', 'revenue / the revenue of all customers, 0..1. NULL when the total is 0.'),
            ('customer_segments', 'mean_recency_days', 'Mean recency_days of the segment''s customers. NULL for an empty segment.'),
            ('customer_segments', 'mean_orders', 'Mean number of orders of the segment''s customers. NULL for an empty segment.'),
            ('customer_segments', 'mean_monetary_total', 'Mean monetary_total of the segment''s customers. NULL for an empty segment.'),
            ('customer_segments', 'mean_clv_12m', 'Mean clv_12m (expected value of the next 365 days) of the segment''s customers. NULL for an empty segment.'),
            ('customer_segments', 'total_clv_12m', 'Sum of clv_12m of the segment''s customers. NULL for an empty segment.'),
            ('retention', 'cohort_month', 'First day of the cohort''s month: the month of its customers'' first order (in the dashboard time zone).'),
            ('retention', 'month_offset', 'Months after the cohort month, 0..12 (0 = the cohort month itself); offsets after the last month with orders are not reported.'),
            ('retention', 'cohort_customers', 'Customers whose first order fell in cohort_month.'),
            ('retention', 'active_customers', 'Cohort customers with at least one order in the month cohort_month + month_offset. 0 when none.'),
            ('retention', 'retention_rate', 'active_customers / cohort_customers, 0..1 (1 at offset 0).'),
            ('retention', 'mom_retention', 'Month-over-month ratio active_customers(offset) / active_customers(offset - 1); can exceed 1 when customers return. NULL at offset 0 and after a month without activity.')
        ) AS v(relname, name, description)
         WHERE EXISTS (SELECT 1 FROM pg_attribute AS a
                        WHERE a.attrelid = format('%I.%I', target_schema, v.relname || '_mv')::regclass
                          AND a.attname = v.name AND a.attnum > 0 AND NOT a.attisdropped)
    LOOP
        EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', target_schema, col.relname || '_mv', col.name, col.description);
        EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', target_schema, col.relname, col.name, col.description);
    END LOOP;

    -- k-means personas (one row per customer) and their summary, when the k-means functions are installed
    IF with_kmeans THEN
        EXECUTE format('CREATE UNIQUE INDEX customer_personas_mv_key ON %I.customer_personas_mv (customer_id)', target_schema);
        EXECUTE format('CREATE UNIQUE INDEX persona_segments_mv_key ON %I.persona_segments_mv (persona)', target_schema);
        FOR mv IN
            SELECT * FROM (VALUES
                ('customer_personas', format('Customer personas built by supplymkt.create_dashboards from %I.customer_dashboard_mv and the orders of schema %s: one row per customer of the customer dashboard with its k-means persona. Features: [recency_days, ln(1 + orders), ln(1 + monetary_total), then the share of the customer''s revenue in each category, categories in byte order of their names]; orders and monetary_total enter through ln(1 + x) because both are heavy-tailed (on the raw scale a few big spenders would pull whole clusters). Each feature is z-scored over all customers (population standard deviation) and each share further divided by sqrt(number of categories), so the category mix as a whole weighs as much as recency, frequency or monetary value alone (unweighted, the many share features would outvote the three RFM features and a lone buyer of a rare category would become a persona of its own). The model is supplymkt.kmeans_fit(scaled features, k, 0, 10, 300, 1e-4, false) (seed 0, n_init 10) over all customers with k = least(%s, distinct customers), fitted again by every refresh; the fixed seed keeps the persona numbers stable while the data does not change (clusters are numbered by descending size). Category revenue and channels come from the orders up to the dashboard''s as_of. refresh_dashboards(%L) refreshes it after customer_dashboard_mv (views are refreshed in name order); refreshing it alone reads the customer dashboard as last refreshed. Query the view customer_personas.',
                                             target_schema, source_schema, segments, target_schema),
                 'Unique key (customer_id) of customer_personas_mv; lets REFRESH MATERIALIZED VIEW CONCURRENTLY run.'),
                ('persona_segments', format('Persona summary built by supplymkt.create_dashboards from %I.customer_personas_mv: one row per persona with its size, customer and revenue shares%s, centroid (the mean of its customers'' feature vectors; recency, orders and monetary total also back in their own units), plain means, top category and a descriptive label. refresh_dashboards(%L) refreshes it after customer_personas_mv (views are refreshed in name order); refreshing it alone summarises the personas as last refreshed. Query the view persona_segments.',
                                            target_schema, CASE WHEN with_clv THEN ', mean CLV over 12 months' ELSE '' END, target_schema),
                 'Unique key (persona) of persona_segments_mv; lets REFRESH MATERIALIZED VIEW CONCURRENTLY run.')
            ) AS v(name, mv_comment, key_comment)
        LOOP
            EXECUTE format('CREATE VIEW %1$I.%2$I WITH (security_invoker = true) AS SELECT * FROM %1$I.%3$I',
                           target_schema, mv.name, mv.name || '_mv');
            EXECUTE format('COMMENT ON MATERIALIZED VIEW %I.%I IS %L', target_schema, mv.name || '_mv', mv.mv_comment);
            EXECUTE format('COMMENT ON INDEX %I.%I IS %L', target_schema, mv.name || '_mv_key', mv.key_comment);
            EXECUTE format('COMMENT ON VIEW %I.%I IS %L', target_schema, mv.name,
                           format('%s for BI tools (security_invoker: readers need SELECT on %s too). See the comment on %s; columns are documented one by one.',
                                  CASE mv.name WHEN 'customer_personas' THEN 'Customer personas' ELSE 'Persona summary' END,
                                  mv.name || '_mv', mv.name || '_mv'));
        END LOOP;
        FOR col IN
            SELECT v.relname, v.name, v.description FROM (VALUES
                ('customer_personas', 'customer_id', 'Customer (customer_dashboard_mv.customer_id).'),
                ('customer_personas', 'persona', 'k-means persona 1..k: kmeans_assign(model, scaled features), the nearest centroid of the model fitted on all customers of this refresh (see the comment on customer_personas_mv for the scaling). Personas are numbered by descending size (ties: lexicographic order of the centroid). See persona_segments for what each one looks like.'),
                ('customer_personas', 'persona_distance', 'Euclidean distance from the customer''s scaled features to the persona''s centroid, in the space the model was fitted in (z-scores, shares weighted by 1/sqrt(number of categories); kmeans_distance): small = typical of the persona.'),
                ('customer_personas', 'rfm_segment', 'Named RFM segment (customer_dashboard_mv.segment).'),
                ('customer_personas', 'rfm_code', 'The R, F and M scores as one code (customer_dashboard_mv.rfm_code).'),
                ('customer_personas', 'r_score', 'Recency score 1..5, 5 = most recent (customer_dashboard_mv.r_score).'),
                ('customer_personas', 'f_score', 'Frequency score 1..5 by orders (customer_dashboard_mv.f_score).'),
                ('customer_personas', 'm_score', 'Monetary score 1..5 by monetary_total (customer_dashboard_mv.m_score).'),
                ('customer_personas', 'recency_days', 'Days from the last order to as_of, fractional (customer_dashboard_mv.recency_days); feature 1.'),
                ('customer_personas', 'orders', 'Orders of the customer (customer_dashboard_mv.orders); feature 2 is ln(1 + orders).'),
                ('customer_personas', 'monetary_total', 'Total value of the customer''s orders (customer_dashboard_mv.monetary_total); feature 3 is ln(1 + monetary_total).'),
                ('customer_personas', 'clv_12m', 'Expected value of the next 365 days (customer_dashboard_mv.clv_12m; NULL where that is). Not a feature.'),
                ('customer_personas', 'favourite_category', 'Category with the most revenue from the customer (sum(quantity * unit_price) of the order lines; ties: the first name in byte order). NULL when no category has a positive revenue.'),
                ('customer_personas', 'favourite_channel', 'orders.channel of most of the customer''s orders (ties: the first name in byte order; NULL channels left out). NULL when no order has a channel, and in every row when the source orders have no channel column.'),
                ('customer_personas', 'category_revenue', 'Revenue by category as a JSON object {category: revenue}, categories with a positive revenue only (NULL category or unknown product: ''(uncategorized)''): the basis of the share features and of favourite_category.'),
                ('customer_personas', 'features', 'The feature vector the model was fitted on and the persona assigned from, before scaling: [recency_days, ln(1 + orders), ln(1 + monetary_total), share of category_revenue in each category], the categories being every category with a positive revenue from some customer, in byte order of their names (persona_segments.feature_names lists them). The shares are 0 for a customer without positive category revenue.'),
                ('customer_personas', 'as_of', 'The time the customer dashboard was taken at (customer_dashboard_mv.as_of); orders after it are left out here too.'),
                ('persona_segments', 'persona', 'k-means persona 1..k (customer_personas.persona).'),
                ('persona_segments', 'label', 'Description from the centroid (centroid_* columns) against the medians of all customers, each rounded to 6 decimals: ''high value'' when centroid_monetary_total is above the median monetary_total, else ''low value''; ''frequent'' when centroid_orders is above the median orders, else ''occasional''; ''recent'' when centroid_recency_days is below the median recency_days, else ''lapsing''; joined with '' / ''. Several personas can share a label.'),
                ('persona_segments', 'customers', 'Customers in the persona.'),
                ('persona_segments', 'customer_share', 'customers / all customers, 0..1.'),
                ('persona_segments', 'revenue', 'Sum of monetary_total of the persona''s customers.'),
                ('persona_segments', 'revenue_share', 'revenue / the revenue of all customers, 0..1. NULL when the total is 0.'),
                ('persona_segments', 'mean_clv_12m', 'Mean clv_12m (expected value of the next 365 days) of the persona''s customers, over those that have one. NULL when none has.'),
                ('persona_segments', 'centroid_recency_days', 'Centroid in days: the mean recency_days of the persona''s customers (the centroid''s first coordinate).'),
                ('persona_segments', 'centroid_orders', 'Centroid in orders: exp(mean of ln(1 + orders)) - 1 over the persona''s customers, i.e. the centroid''s second coordinate back in orders (a geometric-type mean, at most mean_orders).'),
                ('persona_segments', 'centroid_monetary_total', 'Centroid in currency: exp(mean of ln(1 + monetary_total)) - 1 over the persona''s customers, the centroid''s third coordinate back in the units of monetary_total (at most mean_monetary_total).'),
                ('persona_segments', 'mean_recency_days', 'Plain mean of recency_days of the persona''s customers (= centroid_recency_days).'),
                ('persona_segments', 'mean_orders', 'Plain mean of orders of the persona''s customers.'),
                ('persona_segments', 'mean_monetary_total', 'Plain mean of monetary_total of the persona''s customers.'),
                ('persona_segments', 'top_category', 'Category with the most revenue from the persona''s customers (sum of their category_revenue; ties: the first name in byte order). NULL when none has category revenue.'),
                ('persona_segments', 'top_category_share', 'top_category''s share of the persona''s category revenue, 0..1.'),
                ('persona_segments', 'centroid', 'The centroid in feature space (input units, before standardization): the mean of the members'' feature vectors, in the layout of customer_personas.features and feature_names. The model''s own centroid (kmeans_centroids(model).centroid_original) can differ slightly: a fit that stops on its tolerance ends with an assignment step that is not followed by a centroid update.'),
                ('persona_segments', 'feature_names', 'Names of the features, in order: recency_days, ln(1 + orders), ln(1 + monetary_total), then share:<category> per category in byte order. The same in every row.')
            ) AS v(relname, name, description)
             WHERE EXISTS (SELECT 1 FROM pg_attribute AS a
                            WHERE a.attrelid = format('%I.%I', target_schema, v.relname || '_mv')::regclass
                              AND a.attname = v.name AND a.attnum > 0 AND NOT a.attisdropped)
        LOOP
            EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', target_schema, col.relname || '_mv', col.name, col.description);
            EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', target_schema, col.relname, col.name, col.description);
        END LOOP;
    END IF;

    -- item neighbours and per-customer recommendations, when the recommendation functions are installed
    IF with_recommend THEN
        EXECUTE format('CREATE UNIQUE INDEX item_neighbors_mv_key ON %I.item_neighbors_mv (item_id, rank)', target_schema);
        EXECUTE format('CREATE UNIQUE INDEX user_recommendations_mv_key ON %I.user_recommendations_mv (customer_id, rank)', target_schema);
        FOR mv IN
            SELECT * FROM (VALUES
                ('item_neighbors', format('Item neighbours built by supplymkt.create_dashboards from schema %s: supplymkt.neighbors of supplymkt.item_similarity(orders.customer_id, order_items.product_id) over every order line (cosine of the customers'' purchase vectors, weight = order lines of the product per customer, the 20 most similar products per product, pairs without a common customer left out): one row per (product, neighbour). Refresh with supplymkt.refresh_dashboards(%L) (CONCURRENTLY: unique index item_neighbors_mv_key). Query the view item_neighbors.',
                                          source_schema, target_schema),
                 'Unique key (item_id, rank) of item_neighbors_mv; lets REFRESH MATERIALIZED VIEW CONCURRENTLY run.'),
                ('user_recommendations', format('Per-customer recommendations built by supplymkt.create_dashboards from schema %s: for every customer with an order, the top 10 of supplymkt.recommend(model, the products the customer bought, 10), the model being item_similarity over every order line as in item_neighbors_mv (fitted again by this view''s refresh). Products the customer bought are never recommended; score = sum of the similarities to the customer''s purchases (source ''similar''), and when fewer than 10 products are similar, the products bought by the most customers fill the list (source ''popular''). Refresh with supplymkt.refresh_dashboards(%L) (CONCURRENTLY: unique index user_recommendations_mv_key). Query the view user_recommendations.',
                                                source_schema, target_schema),
                 'Unique key (customer_id, rank) of user_recommendations_mv; lets REFRESH MATERIALIZED VIEW CONCURRENTLY run.')
            ) AS v(name, mv_comment, key_comment)
        LOOP
            EXECUTE format('CREATE VIEW %1$I.%2$I WITH (security_invoker = true) AS SELECT * FROM %1$I.%3$I',
                           target_schema, mv.name, mv.name || '_mv');
            EXECUTE format('COMMENT ON MATERIALIZED VIEW %I.%I IS %L', target_schema, mv.name || '_mv', mv.mv_comment);
            EXECUTE format('COMMENT ON INDEX %I.%I IS %L', target_schema, mv.name || '_mv_key', mv.key_comment);
            EXECUTE format('COMMENT ON VIEW %I.%I IS %L', target_schema, mv.name,
                           format('%s for BI tools (security_invoker: readers need SELECT on %s too). See the comment on %s; columns are documented one by one.',
                                  CASE mv.name WHEN 'item_neighbors' THEN 'Item neighbours' ELSE 'Per-customer recommendations' END,
                                  mv.name || '_mv', mv.name || '_mv'));
        END LOOP;
        FOR col IN
            SELECT v.relname, v.name, v.description FROM (VALUES
                ('item_neighbors', 'item_id', 'Product (order_items.product_id) bought by at least one customer.'),
                ('item_neighbors', 'rank', 'Rank of the neighbour among the product''s neighbours, 1 = most similar (ties: lower neighbor_id first); at most 20 per product.'),
                ('item_neighbors', 'neighbor_id', 'A product bought by some customer who also bought item_id.'),
                ('item_neighbors', 'score', 'Cosine similarity 0..1 of the two products'' customer vectors (each customer''s number of order lines of the product): sum over customers of w(c, item) w(c, neighbour) / (||w_item|| ||w_neighbour||). 1 = bought by exactly the same customers in the same proportions.'),
                ('item_neighbors', 'support', 'Customers who bought both products (the evidence behind score).'),
                ('user_recommendations', 'customer_id', 'Customer (orders.customer_id) with at least one order.'),
                ('user_recommendations', 'rank', 'Rank 1..10 of the recommendation, 1 = best: the similar products by score (ties: lower item_id), then the popular ones.'),
                ('user_recommendations', 'item_id', 'Recommended product (never one the customer has bought).'),
                ('user_recommendations', 'score', 'For source ''similar'': the sum of the product''s similarities (item_neighbors.score) to the products the customer bought. For source ''popular'': the number of customers who bought it.'),
                ('user_recommendations', 'source', '''similar'' when the product is a neighbour of one of the customer''s purchases, ''popular'' when it fills the list from the most bought products.'),
                ('user_recommendations', 'because', 'The customer''s purchases that made the product similar, largest contribution first (ties: lower id), at most 3; empty for popular products.'),
                ('user_recommendations', 'reason', 'Readable explanation: ''because you bought '' and the because ids (e.g. ''because you bought 12, 7''), or ''popular''.')
            ) AS v(relname, name, description)
        LOOP
            EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', target_schema, col.relname || '_mv', col.name, col.description);
            EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', target_schema, col.relname, col.name, col.description);
        END LOOP;
    END IF;

    -- register, and restore the privileges the previous objects of the same name had
    FOR i IN 1 .. array_length(objects, 1) LOOP
        INSERT INTO @extschema@.dashboards (target_schema, object_name, kind, source_schema)
        VALUES (create_dashboards.target_schema, objects[i][1], objects[i][2], create_dashboards.source_schema);
        IF saved_acls ? objects[i][1] AND objects[i][2] <> 'index' THEN
            FOR acl IN
                SELECT a.privilege_type, a.is_grantable,
                       CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee
                  FROM aclexplode(ARRAY(SELECT jsonb_array_elements_text(saved_acls -> objects[i][1]))::aclitem[]) AS a
                  LEFT JOIN pg_roles AS r ON r.oid = a.grantee
                 WHERE (a.grantee = 0 OR r.oid IS NOT NULL) AND a.grantee <> a.grantor
            LOOP
                EXECUTE format('GRANT %s ON %I.%I TO %s%s', acl.privilege_type, target_schema, objects[i][1],
                               acl.grantee, CASE WHEN acl.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
            END LOOP;
        END IF;
        object_name := objects[i][1];
        kind := objects[i][2];
        RETURN NEXT;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION @extschema@.create_dashboards(text, text, text, integer) IS
    'Creates the dashboards in target_schema (created if missing) from the canonical relations in source_schema: materialized views supply_dashboard_mv (per category and overall, per month), product_abc_xyz_mv (per product), customer_dashboard_mv (per customer: RFM summary, scores, code and segment, and p_alive, expected purchases and CLV over 12 months when the CLV functions are installed), customer_segments_mv (per RFM segment: customers, revenue share, mean CLV) and retention_mv (monthly cohort retention), and, when the k-means functions are installed, customer_personas_mv (per customer: k-means persona among at most segments clusters of recency, ln(1 + orders), ln(1 + monetary total) and category revenue shares, favourite category and channel) and persona_segments_mv (per persona: size, shares, centroid, top category, label), and, when the recommendation functions are installed, item_neighbors_mv (per product: its 20 most similar products by item_similarity over all order lines) and user_recommendations_mv (per customer: the top 10 of recommend() outside the customer''s purchases, with the reason), each with a unique index, and security_invoker views supply_dashboard, product_abc_xyz, customer_dashboard, customer_segments, retention, customer_personas, persona_segments, item_neighbors and user_recommendations. time_zone (default: the session''s TimeZone) fixes how timestamps fall into days, weeks and months, whoever refreshes later. Calling it again replaces the objects it registered in supplymkt.dashboards and re-grants their privileges; it never drops a relation it did not create (42P07). Errors: 22004 NULL schema or segments, 3F000 unknown source schema, 42P01/42703 missing canonical relation/column, 22023 unusable target schema or time zone, or segments outside 1..100. Returns the objects created. Runs with jit = off (compiling the wide dashboard query would cost seconds).';

-- Refreshes every registered dashboard materialized view of target_schema.
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
          LEFT JOIN pg_class AS c ON c.relnamespace = n.oid AND c.relname = d.object_name
         WHERE d.target_schema = refresh_dashboards.target_schema AND d.kind = 'materialized view'
         ORDER BY d.object_name  -- customer_dashboard_mv before customer_personas_mv and customer_segments_mv,
                                 -- which read it; customer_personas_mv before persona_segments_mv
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
    'Refreshes every dashboard materialized view registered for target_schema in supplymkt.dashboards, CONCURRENTLY (readers are not blocked) when asked and the view is populated and has its unique index, otherwise with a plain REFRESH. Returns one row per view: name, whether it ran concurrently, rows after the refresh and time taken. Registered views that were dropped are skipped with a warning. Errors: 22004 NULL argument, 3F000 unknown schema, 42P01 no dashboards registered there. Must be run by the views'' owner. Runs with jit = off (compiling the wide dashboard query would cost seconds); a plain REFRESH MATERIALIZED VIEW works too.';

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
CREATE FUNCTION @extschema@.require_pg_cron(call_text text)
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
COMMENT ON FUNCTION @extschema@.require_pg_cron(text) IS
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
    PERFORM @extschema@.check_dashboard_target(target_schema);
    IF NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = database_name) THEN
        RAISE EXCEPTION 'database "%" does not exist', database_name USING ERRCODE = 'invalid_catalog_name';
    END IF;
    PERFORM @extschema@.require_pg_cron(format('SELECT @extschema@.schedule_refresh(%L, %L, database_name => %L);',
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
    PERFORM @extschema@.require_pg_cron(format('SELECT @extschema@.unschedule_refresh(%L, database_name => %L);',
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
