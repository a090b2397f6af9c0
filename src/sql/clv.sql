-- ===========================================================================================================
-- Customer-lifetime-value models (src/clv/): BG/NBD or Pareto/NBD purchase models, Gamma-Gamma spend model
-- ===========================================================================================================
--
-- Inputs per customer, all in one time unit ('days' or 'weeks', recorded in the model; readers take their
-- recency, t and horizon in the same unit):
--   frequency  x    repeat purchase periods: periods with a purchase after the first one (0 for one-time buyers)
--   recency    t_x  the customer's age at the last purchase: time from the first to the last purchase (0 when x = 0)
--   t          T    the customer's age: time from the first purchase to the end of the observation period (> 0)
--   monetary   m    mean value of the repeat purchases (> 0 when x > 0; ignored when x = 0; NULL: no value)

-- clv_fit_state: the rows collected by clv_fit (core row buffer, src/core/row_buffer.c; params = model code, unit code).
CREATE TYPE @extschema@.clv_fit_state;
CREATE FUNCTION supplymkt_internal.clv_fit_state_in(cstring, oid, integer) RETURNS @extschema@.clv_fit_state
    AS 'MODULE_PATHNAME', 'clv_fit_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_fit_state_out(@extschema@.clv_fit_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'clv_fit_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_fit_state_recv(internal, oid, integer) RETURNS @extschema@.clv_fit_state
    AS 'MODULE_PATHNAME', 'clv_fit_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_fit_state_send(@extschema@.clv_fit_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'clv_fit_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.clv_fit_state (
    INPUT = supplymkt_internal.clv_fit_state_in, OUTPUT = supplymkt_internal.clv_fit_state_out,
    RECEIVE = supplymkt_internal.clv_fit_state_recv, SEND = supplymkt_internal.clv_fit_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.clv_fit_state IS 'Partial-aggregate state of clv_fit: the customer rows (frequency, recency, t, monetary; null = no monetary value) and the model and unit codes (params: model 1 = bgnbd, 2 = pnbd, 3 = mbgnbd; unit 1 = days, 2 = weeks). Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.clv_fit_state_in(cstring, oid, integer) IS 'Text input of clv_fit_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.clv_fit_state_out(@extschema@.clv_fit_state) IS 'Text output of clv_fit_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.clv_fit_state_recv(internal, oid, integer) IS 'Binary input of clv_fit_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.clv_fit_state_send(@extschema@.clv_fit_state) IS 'Binary output of clv_fit_state.';

-- clv_model: the fitted model (JSON text, so model::text::jsonb works).
CREATE TYPE @extschema@.clv_model;
CREATE FUNCTION supplymkt_internal.clv_model_in(cstring) RETURNS @extschema@.clv_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_model_out(@extschema@.clv_model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_model_recv(internal) RETURNS @extschema@.clv_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_model_send(@extschema@.clv_model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.clv_model (
    INPUT = supplymkt_internal.clv_model_in, OUTPUT = supplymkt_internal.clv_model_out,
    RECEIVE = supplymkt_internal.clv_model_recv, SEND = supplymkt_internal.clv_model_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.clv_model IS
    'A fitted CLV model (clv_fit), as JSON: "model" (bgnbd, mbgnbd or pnbd), "version", "unit" (days or weeks: the unit of recency, t and horizons), the purchase-model parameters named as in the papers (BG/NBD and MBG/NBD: r, alpha, a, b; Pareto/NBD: r, alpha, s, beta), "log_likelihood", "n_customers", "customers_without_history" (customers with t = 0, left out of the fit), "iterations", "converged", "std_errors" (array in parameter order, null when the Hessian is not positive definite); with a spend model also the Gamma-Gamma "p", "q", "gamma", "spend_log_likelihood", "n_repeaters", "spend_iterations", "spend_converged", "spend_std_errors". A model can be typed in by hand with just model, unit and the parameters (plus p, q, gamma for spend). Parameters must lie in [1e-18, 1e18].';
COMMENT ON FUNCTION supplymkt_internal.clv_model_in(cstring) IS 'Text input of clv_model (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.clv_model_out(@extschema@.clv_model) IS 'Text output of clv_model (JSON, exact floats).';
COMMENT ON FUNCTION supplymkt_internal.clv_model_recv(internal) IS 'Binary input of clv_model (versioned, validated).';
COMMENT ON FUNCTION supplymkt_internal.clv_model_send(@extschema@.clv_model) IS 'Binary output of clv_model.';

-- clv_fit: aggregates cannot have argument defaults, so the defaults (monetary NULL, model 'bgnbd',
-- unit 'days') are overloads sharing one transition, combine and final function.
CREATE FUNCTION supplymkt_internal.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision)
    RETURNS @extschema@.clv_fit_state AS 'MODULE_PATHNAME', 'clv_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision)
    RETURNS @extschema@.clv_fit_state AS 'MODULE_PATHNAME', 'clv_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision, text)
    RETURNS @extschema@.clv_fit_state AS 'MODULE_PATHNAME', 'clv_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision, text, text)
    RETURNS @extschema@.clv_fit_state AS 'MODULE_PATHNAME', 'clv_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_fit_state_combine(@extschema@.clv_fit_state, @extschema@.clv_fit_state)
    RETURNS @extschema@.clv_fit_state AS 'MODULE_PATHNAME', 'clv_fit_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_fit_final(@extschema@.clv_fit_state)
    RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision) IS 'Transition function of clv_fit(frequency, recency, t).';
COMMENT ON FUNCTION supplymkt_internal.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision) IS 'Transition function of clv_fit(frequency, recency, t, monetary).';
COMMENT ON FUNCTION supplymkt_internal.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision, text) IS 'Transition function of clv_fit(frequency, recency, t, monetary, model).';
COMMENT ON FUNCTION supplymkt_internal.clv_fit_transfn(@extschema@.clv_fit_state, double precision, double precision, double precision, double precision, text, text) IS 'Transition function of clv_fit(frequency, recency, t, monetary, model, unit).';
COMMENT ON FUNCTION supplymkt_internal.clv_fit_state_combine(@extschema@.clv_fit_state, @extschema@.clv_fit_state) IS 'Combines two partial clv_fit_state values (appends rows; model and unit must agree).';
COMMENT ON FUNCTION supplymkt_internal.clv_fit_final(@extschema@.clv_fit_state) IS 'Final function of clv_fit: sorts the rows, collapses identical (frequency, recency, t) triples and fits the models.';

CREATE AGGREGATE @extschema@.clv_fit(frequency double precision, recency double precision, t double precision) (
    SFUNC = supplymkt_internal.clv_fit_transfn, STYPE = @extschema@.clv_fit_state,
    COMBINEFUNC = supplymkt_internal.clv_fit_state_combine, FINALFUNC = supplymkt_internal.clv_fit_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.clv_fit(frequency double precision, recency double precision, t double precision, monetary double precision) (
    SFUNC = supplymkt_internal.clv_fit_transfn, STYPE = @extschema@.clv_fit_state,
    COMBINEFUNC = supplymkt_internal.clv_fit_state_combine, FINALFUNC = supplymkt_internal.clv_fit_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.clv_fit(frequency double precision, recency double precision, t double precision, monetary double precision, model text) (
    SFUNC = supplymkt_internal.clv_fit_transfn, STYPE = @extschema@.clv_fit_state,
    COMBINEFUNC = supplymkt_internal.clv_fit_state_combine, FINALFUNC = supplymkt_internal.clv_fit_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.clv_fit(frequency double precision, recency double precision, t double precision, monetary double precision, model text, unit text) (
    SFUNC = supplymkt_internal.clv_fit_transfn, STYPE = @extschema@.clv_fit_state,
    COMBINEFUNC = supplymkt_internal.clv_fit_state_combine, FINALFUNC = supplymkt_internal.clv_fit_final, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.clv_fit(double precision, double precision, double precision) IS
    'clv_fit(frequency, recency, t): BG/NBD purchase model in days, no spend model. Same as clv_fit(frequency, recency, t, NULL, ''bgnbd'', ''days''); see that form.';
COMMENT ON AGGREGATE @extschema@.clv_fit(double precision, double precision, double precision, double precision) IS
    'clv_fit(frequency, recency, t, monetary): BG/NBD in days plus the Gamma-Gamma spend model. Same as clv_fit(frequency, recency, t, monetary, ''bgnbd'', ''days''); see that form.';
COMMENT ON AGGREGATE @extschema@.clv_fit(double precision, double precision, double precision, double precision, text) IS
    'clv_fit(frequency, recency, t, monetary, model): model ''bgnbd'', ''mbgnbd'' or ''pnbd'', unit days. Same as clv_fit(frequency, recency, t, monetary, model, ''days''); see that form.';
COMMENT ON AGGREGATE @extschema@.clv_fit(double precision, double precision, double precision, double precision, text, text) IS
    'Maximum-likelihood fit of a CLV model over one row per customer: the purchase model (model ''bgnbd'': BG/NBD, Fader, Hardie & Lee 2005; ''mbgnbd'': MBG/NBD, Batislam, Kim & Kavas 2007, in which a customer may also drop out right after the first purchase; ''pnbd'': Pareto/NBD, Schmittlein et al. 1987) and, when at least 10 repeat customers (frequency > 0) have a non-NULL monetary, the Gamma-Gamma spend model on them. frequency = repeat purchase periods (whole, >= 0), recency = age at the last purchase (0 when frequency = 0, <= t), t = age (> 0; t = 0 is accepted for a customer without repeat purchases, carries no information, is left out of the fit and counted in customers_without_history), monetary = mean repeat-purchase value (> 0 when frequency > 0, NULL = unknown), all times in unit (''days'' or ''weeks'', recorded in the model). Rows with NULL frequency, recency or t are skipped; invalid values raise 22023, a NULL model or unit 22004; values above 1e15 are rejected. Returns NULL with fewer than 10 customers or when nobody made a repeat purchase (no maximum-likelihood estimate exists). Log-likelihood in log space over log-parameters, GSL BFGS from two starting points (Nelder-Mead fallback, Newton polish), standard errors from the numerical Hessian in the natural parameters; identical (frequency, recency, t) rows are collapsed first, and the result does not depend on row order. Check "converged" in the result.';

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

-- Readers: IMMUTABLE STRICT, one row at a time, in the model's time unit.
CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.clv_model, horizon double precision, frequency double precision, recency double precision, t double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'clv_expected_purchases' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.clv_model, double precision, double precision, double precision, double precision) IS
    'Expected number of purchases in the next horizon time units (the model''s unit) of a customer with the given frequency, recency and t: the conditional expectation E[Y(horizon) | x, t_x, T] of BG/NBD, MBG/NBD or Pareto/NBD (P(alive) x the expected purchases of an active customer, so for a one-time buyer it is 0 only if P(alive) is), computed without cancellation in log space (finite for large t and frequency). Invalid inputs raise 22023.';

CREATE FUNCTION @extschema@.probability_alive(model @extschema@.clv_model, frequency double precision, recency double precision, t double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'clv_probability_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.probability_alive(@extschema@.clv_model, double precision, double precision, double precision) IS
    'Probability that the customer is still active at age t given frequency and recency (BG/NBD, MBG/NBD or Pareto/NBD). Under BG/NBD it is 1 for every one-time buyer (BG/NBD customers can only drop out right after a repeat purchase), so one-time buyers look alive whatever their age; MBG/NBD and Pareto/NBD let them drop out and give them a P(alive) that falls with age. Invalid inputs raise 22023.';

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

-- ---------------------------------------------------------------------------------------------------------
-- Holdout validation: fit each purchase model on a calibration period, compare its predictions with the
-- repeat purchases of the holdout period (Fader, Hardie & Lee 2005), pick the model with the lowest error.
-- ---------------------------------------------------------------------------------------------------------

-- Text of the holdout comparison over source_schema.orders; bounds_query is a query (built by the callers in
-- this file, never from user text) returning one row (cal_end timestamptz, hold_end timestamptz).
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

-- ---------------------------------------------------------------------------------------------------------
-- Dashboard of this family: the CLV model the customer dashboard uses, chosen by holdout (src/sql/dashboards.sql)
-- ---------------------------------------------------------------------------------------------------------

-- Text of the CLV model query for a source schema and a time zone: one row (name 'clv'): the purchase model
-- with the lowest holdout error (the last third of the data's span, 14 to 182 days, predicted from the days
-- before; 'auto', the highest log-likelihood, when the span is under 42 days), refitted with Gamma-Gamma spend
-- on every customer as of the latest order.
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
