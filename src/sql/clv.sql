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
