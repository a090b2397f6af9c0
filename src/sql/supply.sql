-- ===========================================================================================================
-- Supply-capability metrics (src/supply.c)
-- ===========================================================================================================

-- State types (DESIGN.md pattern 3): real varlena types with exact text and validated binary I/O, so the
-- aggregates run as partial aggregates in parallel query and on Citus workers.
-- turnover_state
CREATE TYPE @extschema@.turnover_state;
CREATE FUNCTION supplymkt_internal.turnover_state_in(cstring, oid, integer) RETURNS @extschema@.turnover_state
    AS 'MODULE_PATHNAME', 'turnover_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.turnover_state_out(@extschema@.turnover_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'turnover_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.turnover_state_recv(internal, oid, integer) RETURNS @extschema@.turnover_state
    AS 'MODULE_PATHNAME', 'turnover_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.turnover_state_send(@extschema@.turnover_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'turnover_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.turnover_state (
    INPUT = supplymkt_internal.turnover_state_in, OUTPUT = supplymkt_internal.turnover_state_out,
    RECEIVE = supplymkt_internal.turnover_state_recv, SEND = supplymkt_internal.turnover_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.turnover_state IS 'Partial-aggregate state of inventory_turnover: count and sum of COGS, count and sum of inventory value. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.turnover_state_in(cstring, oid, integer) IS 'Text input of turnover_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.turnover_state_out(@extschema@.turnover_state) IS 'Text output of turnover_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.turnover_state_recv(internal, oid, integer) IS 'Binary input of turnover_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.turnover_state_send(@extschema@.turnover_state) IS 'Binary output of turnover_state.';

-- stockout_state
CREATE TYPE @extschema@.stockout_state;
CREATE FUNCTION supplymkt_internal.stockout_state_in(cstring, oid, integer) RETURNS @extschema@.stockout_state
    AS 'MODULE_PATHNAME', 'stockout_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.stockout_state_out(@extschema@.stockout_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'stockout_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.stockout_state_recv(internal, oid, integer) RETURNS @extschema@.stockout_state
    AS 'MODULE_PATHNAME', 'stockout_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.stockout_state_send(@extschema@.stockout_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'stockout_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.stockout_state (
    INPUT = supplymkt_internal.stockout_state_in, OUTPUT = supplymkt_internal.stockout_state_out,
    RECEIVE = supplymkt_internal.stockout_state_recv, SEND = supplymkt_internal.stockout_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.stockout_state IS 'Partial-aggregate state of stockout_rate: snapshots and stocked-out snapshots. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.stockout_state_in(cstring, oid, integer) IS 'Text input of stockout_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.stockout_state_out(@extschema@.stockout_state) IS 'Text output of stockout_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.stockout_state_recv(internal, oid, integer) IS 'Binary input of stockout_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.stockout_state_send(@extschema@.stockout_state) IS 'Binary output of stockout_state.';

-- fill_rate_state
CREATE TYPE @extschema@.fill_rate_state;
CREATE FUNCTION supplymkt_internal.fill_rate_state_in(cstring, oid, integer) RETURNS @extschema@.fill_rate_state
    AS 'MODULE_PATHNAME', 'fill_rate_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.fill_rate_state_out(@extschema@.fill_rate_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'fill_rate_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.fill_rate_state_recv(internal, oid, integer) RETURNS @extschema@.fill_rate_state
    AS 'MODULE_PATHNAME', 'fill_rate_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.fill_rate_state_send(@extschema@.fill_rate_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'fill_rate_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.fill_rate_state (
    INPUT = supplymkt_internal.fill_rate_state_in, OUTPUT = supplymkt_internal.fill_rate_state_out,
    RECEIVE = supplymkt_internal.fill_rate_state_recv, SEND = supplymkt_internal.fill_rate_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.fill_rate_state IS 'Partial-aggregate state of fill_rate: lines, units demanded and units fulfilled (capped at demanded). Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.fill_rate_state_in(cstring, oid, integer) IS 'Text input of fill_rate_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.fill_rate_state_out(@extschema@.fill_rate_state) IS 'Text output of fill_rate_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.fill_rate_state_recv(internal, oid, integer) IS 'Binary input of fill_rate_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.fill_rate_state_send(@extschema@.fill_rate_state) IS 'Binary output of fill_rate_state.';

-- sell_through_state
CREATE TYPE @extschema@.sell_through_state;
CREATE FUNCTION supplymkt_internal.sell_through_state_in(cstring, oid, integer) RETURNS @extschema@.sell_through_state
    AS 'MODULE_PATHNAME', 'sell_through_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.sell_through_state_out(@extschema@.sell_through_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'sell_through_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.sell_through_state_recv(internal, oid, integer) RETURNS @extschema@.sell_through_state
    AS 'MODULE_PATHNAME', 'sell_through_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.sell_through_state_send(@extschema@.sell_through_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'sell_through_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.sell_through_state (
    INPUT = supplymkt_internal.sell_through_state_in, OUTPUT = supplymkt_internal.sell_through_state_out,
    RECEIVE = supplymkt_internal.sell_through_state_recv, SEND = supplymkt_internal.sell_through_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.sell_through_state IS 'Partial-aggregate state of sell_through_rate: count and sum of units sold, count and sum of units received. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.sell_through_state_in(cstring, oid, integer) IS 'Text input of sell_through_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.sell_through_state_out(@extschema@.sell_through_state) IS 'Text output of sell_through_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.sell_through_state_recv(internal, oid, integer) IS 'Binary input of sell_through_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.sell_through_state_send(@extschema@.sell_through_state) IS 'Binary output of sell_through_state.';

-- renewal_state
CREATE TYPE @extschema@.renewal_state;
CREATE FUNCTION supplymkt_internal.renewal_state_in(cstring, oid, integer) RETURNS @extschema@.renewal_state
    AS 'MODULE_PATHNAME', 'renewal_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.renewal_state_out(@extschema@.renewal_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'renewal_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.renewal_state_recv(internal, oid, integer) RETURNS @extschema@.renewal_state
    AS 'MODULE_PATHNAME', 'renewal_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.renewal_state_send(@extschema@.renewal_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'renewal_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.renewal_state (
    INPUT = supplymkt_internal.renewal_state_in, OUTPUT = supplymkt_internal.renewal_state_out,
    RECEIVE = supplymkt_internal.renewal_state_recv, SEND = supplymkt_internal.renewal_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.renewal_state IS 'Partial-aggregate state of renewal_rate: items in the assortment, new items, and the period. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.renewal_state_in(cstring, oid, integer) IS 'Text input of renewal_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.renewal_state_out(@extschema@.renewal_state) IS 'Text output of renewal_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.renewal_state_recv(internal, oid, integer) IS 'Binary input of renewal_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.renewal_state_send(@extschema@.renewal_state) IS 'Binary output of renewal_state.';

-- variability_state
CREATE TYPE @extschema@.variability_state;
CREATE FUNCTION supplymkt_internal.variability_state_in(cstring, oid, integer) RETURNS @extschema@.variability_state
    AS 'MODULE_PATHNAME', 'variability_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.variability_state_out(@extschema@.variability_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'variability_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.variability_state_recv(internal, oid, integer) RETURNS @extschema@.variability_state
    AS 'MODULE_PATHNAME', 'variability_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.variability_state_send(@extschema@.variability_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'variability_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.variability_state (
    INPUT = supplymkt_internal.variability_state_in, OUTPUT = supplymkt_internal.variability_state_out,
    RECEIVE = supplymkt_internal.variability_state_recv, SEND = supplymkt_internal.variability_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.variability_state IS 'Partial-aggregate state of demand_cv: count, mean and sum of squared deviations (Welford). Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.variability_state_in(cstring, oid, integer) IS 'Text input of variability_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.variability_state_out(@extschema@.variability_state) IS 'Text output of variability_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.variability_state_recv(internal, oid, integer) IS 'Binary input of variability_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.variability_state_send(@extschema@.variability_state) IS 'Binary output of variability_state.';

-- diversity_state
CREATE TYPE @extschema@.diversity_state;
CREATE FUNCTION supplymkt_internal.diversity_state_in(cstring, oid, integer) RETURNS @extschema@.diversity_state
    AS 'MODULE_PATHNAME', 'diversity_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.diversity_state_out(@extschema@.diversity_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'diversity_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.diversity_state_recv(internal, oid, integer) RETURNS @extschema@.diversity_state
    AS 'MODULE_PATHNAME', 'diversity_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.diversity_state_send(@extschema@.diversity_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'diversity_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.diversity_state (
    INPUT = supplymkt_internal.diversity_state_in, OUTPUT = supplymkt_internal.diversity_state_out,
    RECEIVE = supplymkt_internal.diversity_state_recv, SEND = supplymkt_internal.diversity_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.diversity_state IS 'Partial-aggregate state of assortment_diversity: items per category, keyed by a 64-bit hash of the category. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.diversity_state_in(cstring, oid, integer) IS 'Text input of diversity_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.diversity_state_out(@extschema@.diversity_state) IS 'Text output of diversity_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.diversity_state_recv(internal, oid, integer) IS 'Binary input of diversity_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.diversity_state_send(@extschema@.diversity_state) IS 'Binary output of diversity_state.';

-- Aggregates.  Transition functions are not strict: they skip NULL rows themselves and update the state in
-- place when called by an aggregate; called directly they return a new value.
CREATE FUNCTION supplymkt_internal.inventory_turnover_transfn(@extschema@.turnover_state, double precision, double precision)
    RETURNS @extschema@.turnover_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.turnover_state_combine(@extschema@.turnover_state, @extschema@.turnover_state)
    RETURNS @extschema@.turnover_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.inventory_turnover_final(@extschema@.turnover_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.inventory_turnover(cogs double precision, inventory_value double precision) (
    SFUNC = supplymkt_internal.inventory_turnover_transfn, STYPE = @extschema@.turnover_state,
    COMBINEFUNC = supplymkt_internal.turnover_state_combine, FINALFUNC = supplymkt_internal.inventory_turnover_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION supplymkt_internal.inventory_turnover_transfn(@extschema@.turnover_state, double precision, double precision) IS 'Transition function of inventory_turnover.';
COMMENT ON FUNCTION supplymkt_internal.turnover_state_combine(@extschema@.turnover_state, @extschema@.turnover_state) IS 'Combines two partial turnover_state values.';
COMMENT ON FUNCTION supplymkt_internal.inventory_turnover_final(@extschema@.turnover_state) IS 'Final function of inventory_turnover: sum(cogs) / avg(inventory_value).';
COMMENT ON AGGREGATE @extschema@.inventory_turnover(double precision, double precision) IS
    'Inventory turnover: total COGS of the period over the average inventory value (each column skips its own NULLs, like sum(cogs) / avg(inventory_value)). NULL when there are no rows or the average inventory is 0. Negative, NaN or infinite inputs raise 22023.';

CREATE FUNCTION supplymkt_internal.stockout_rate_transfn(@extschema@.stockout_state, double precision)
    RETURNS @extschema@.stockout_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.stockout_state_combine(@extschema@.stockout_state, @extschema@.stockout_state)
    RETURNS @extschema@.stockout_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.stockout_rate_final(@extschema@.stockout_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.stockout_rate(on_hand double precision) (
    SFUNC = supplymkt_internal.stockout_rate_transfn, STYPE = @extschema@.stockout_state,
    COMBINEFUNC = supplymkt_internal.stockout_state_combine, FINALFUNC = supplymkt_internal.stockout_rate_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION supplymkt_internal.stockout_rate_transfn(@extschema@.stockout_state, double precision) IS 'Transition function of stockout_rate.';
COMMENT ON FUNCTION supplymkt_internal.stockout_state_combine(@extschema@.stockout_state, @extschema@.stockout_state) IS 'Combines two partial stockout_state values.';
COMMENT ON FUNCTION supplymkt_internal.stockout_rate_final(@extschema@.stockout_state) IS 'Final function of stockout_rate.';
COMMENT ON AGGREGATE @extschema@.stockout_rate(double precision) IS
    'Share of inventory snapshots with nothing on hand (on_hand <= 0; negative means backordered). NULL rows are skipped; NULL without rows. NaN or infinite on_hand raises 22023.';

CREATE FUNCTION supplymkt_internal.fill_rate_transfn(@extschema@.fill_rate_state, double precision, double precision)
    RETURNS @extschema@.fill_rate_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.fill_rate_state_combine(@extschema@.fill_rate_state, @extschema@.fill_rate_state)
    RETURNS @extschema@.fill_rate_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.fill_rate_final(@extschema@.fill_rate_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.fill_rate(demanded double precision, fulfilled double precision) (
    SFUNC = supplymkt_internal.fill_rate_transfn, STYPE = @extschema@.fill_rate_state,
    COMBINEFUNC = supplymkt_internal.fill_rate_state_combine, FINALFUNC = supplymkt_internal.fill_rate_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION supplymkt_internal.fill_rate_transfn(@extschema@.fill_rate_state, double precision, double precision) IS 'Transition function of fill_rate.';
COMMENT ON FUNCTION supplymkt_internal.fill_rate_state_combine(@extschema@.fill_rate_state, @extschema@.fill_rate_state) IS 'Combines two partial fill_rate_state values.';
COMMENT ON FUNCTION supplymkt_internal.fill_rate_final(@extschema@.fill_rate_state) IS 'Final function of fill_rate.';
COMMENT ON AGGREGATE @extschema@.fill_rate(double precision, double precision) IS
    'Unit fill rate: sum(least(fulfilled, demanded)) / sum(demanded) over lines where both are non-NULL (over-delivery counts as fully filled). NULL when nothing was demanded. Negative, NaN or infinite inputs raise 22023.';

CREATE FUNCTION supplymkt_internal.sell_through_rate_transfn(@extschema@.sell_through_state, double precision, double precision)
    RETURNS @extschema@.sell_through_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.sell_through_state_combine(@extschema@.sell_through_state, @extschema@.sell_through_state)
    RETURNS @extschema@.sell_through_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.sell_through_rate_final(@extschema@.sell_through_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.sell_through_rate(sold double precision, received double precision) (
    SFUNC = supplymkt_internal.sell_through_rate_transfn, STYPE = @extschema@.sell_through_state,
    COMBINEFUNC = supplymkt_internal.sell_through_state_combine, FINALFUNC = supplymkt_internal.sell_through_rate_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION supplymkt_internal.sell_through_rate_transfn(@extschema@.sell_through_state, double precision, double precision) IS 'Transition function of sell_through_rate.';
COMMENT ON FUNCTION supplymkt_internal.sell_through_state_combine(@extschema@.sell_through_state, @extschema@.sell_through_state) IS 'Combines two partial sell_through_state values.';
COMMENT ON FUNCTION supplymkt_internal.sell_through_rate_final(@extschema@.sell_through_state) IS 'Final function of sell_through_rate.';
COMMENT ON AGGREGATE @extschema@.sell_through_rate(double precision, double precision) IS
    'Sell-through: units sold / units received (each column skips its own NULLs, like sum(sold) / sum(received)); can exceed 1 when opening stock is sold. NULL when nothing was received. Negative, NaN or infinite inputs raise 22023.';

CREATE FUNCTION supplymkt_internal.renewal_rate_transfn(@extschema@.renewal_state, date, date, date)
    RETURNS @extschema@.renewal_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.renewal_state_combine(@extschema@.renewal_state, @extschema@.renewal_state)
    RETURNS @extschema@.renewal_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.renewal_rate_final(@extschema@.renewal_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.renewal_rate(first_listed date, period_start date, period_end date) (
    SFUNC = supplymkt_internal.renewal_rate_transfn, STYPE = @extschema@.renewal_state,
    COMBINEFUNC = supplymkt_internal.renewal_state_combine, FINALFUNC = supplymkt_internal.renewal_rate_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION supplymkt_internal.renewal_rate_transfn(@extschema@.renewal_state, date, date, date) IS 'Transition function of renewal_rate.';
COMMENT ON FUNCTION supplymkt_internal.renewal_state_combine(@extschema@.renewal_state, @extschema@.renewal_state) IS 'Combines two partial renewal_state values of the same period.';
COMMENT ON FUNCTION supplymkt_internal.renewal_rate_final(@extschema@.renewal_state) IS 'Final function of renewal_rate.';
COMMENT ON AGGREGATE @extschema@.renewal_rate(date, date, date) IS
    'Assortment renewal: share of the items listed by period_end whose first_listed falls in [period_start, period_end]. Items listed after period_end are not in the assortment. NULL first_listed rows are skipped; NULL when the assortment is empty. The period must be non-NULL (22004), ordered and the same on every row (22023).';

CREATE FUNCTION supplymkt_internal.demand_cv_transfn(@extschema@.variability_state, double precision)
    RETURNS @extschema@.variability_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.variability_state_combine(@extschema@.variability_state, @extschema@.variability_state)
    RETURNS @extschema@.variability_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.demand_cv_final(@extschema@.variability_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.demand_cv(quantity double precision) (
    SFUNC = supplymkt_internal.demand_cv_transfn, STYPE = @extschema@.variability_state,
    COMBINEFUNC = supplymkt_internal.variability_state_combine, FINALFUNC = supplymkt_internal.demand_cv_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION supplymkt_internal.demand_cv_transfn(@extschema@.variability_state, double precision) IS 'Transition function of demand_cv (Welford update).';
COMMENT ON FUNCTION supplymkt_internal.variability_state_combine(@extschema@.variability_state, @extschema@.variability_state) IS 'Combines two partial variability_state values (Chan et al.).';
COMMENT ON FUNCTION supplymkt_internal.demand_cv_final(@extschema@.variability_state) IS 'Final function of demand_cv.';
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

CREATE FUNCTION supplymkt_internal.assortment_diversity_transfn(@extschema@.diversity_state, text)
    RETURNS @extschema@.diversity_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.diversity_state_combine(@extschema@.diversity_state, @extschema@.diversity_state)
    RETURNS @extschema@.diversity_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assortment_diversity_final(@extschema@.diversity_state)
    RETURNS @extschema@.diversity AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.assortment_diversity(category text) (
    SFUNC = supplymkt_internal.assortment_diversity_transfn, STYPE = @extschema@.diversity_state,
    COMBINEFUNC = supplymkt_internal.diversity_state_combine, FINALFUNC = supplymkt_internal.assortment_diversity_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION supplymkt_internal.assortment_diversity_transfn(@extschema@.diversity_state, text) IS 'Transition function of assortment_diversity.';
COMMENT ON FUNCTION supplymkt_internal.diversity_state_combine(@extschema@.diversity_state, @extschema@.diversity_state) IS 'Combines two partial diversity_state values.';
COMMENT ON FUNCTION supplymkt_internal.assortment_diversity_final(@extschema@.diversity_state) IS 'Final function of assortment_diversity.';
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
CREATE FUNCTION supplymkt_internal.score_weights_upsert() RETURNS trigger
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
COMMENT ON FUNCTION supplymkt_internal.score_weights_upsert() IS
    'Trigger of score_weights: inserting an indicator that already exists updates it (so pg_dump/restore of edited weights works).';
CREATE TRIGGER score_weights_upsert BEFORE INSERT ON @extschema@.score_weights
    FOR EACH ROW EXECUTE FUNCTION supplymkt_internal.score_weights_upsert();
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
