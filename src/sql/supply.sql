-- ===========================================================================================================
-- Supply-capability metrics (src/supply/)
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
COMMENT ON TYPE @extschema@.sell_through_state IS 'Partial-aggregate state of both sell_through_rate forms: rows counted (n_sold = n_received) and the sums of units sold and of units available (sum_received: received, plus opening stock in the three-argument form). Text form is exact JSON (Citus ships it between nodes).';
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
COMMENT ON FUNCTION supplymkt_internal.sell_through_rate_transfn(@extschema@.sell_through_state, double precision, double precision) IS 'Transition function of sell_through_rate(sold, received).';
COMMENT ON FUNCTION supplymkt_internal.sell_through_state_combine(@extschema@.sell_through_state, @extschema@.sell_through_state) IS 'Combines two partial sell_through_state values.';
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

-- ---------------------------------------------------------------------------------------------------------
-- Dashboards of this family: the query builders and their entries in the dashboard catalog (src/sql/dashboards.sql)
-- ---------------------------------------------------------------------------------------------------------

-- Text of the supply dashboard query for a source schema and a time zone (both quoted here).
CREATE FUNCTION supplymkt_internal.supply_dashboard_query(source_schema text, time_zone text)
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
