-- ===========================================================================================================
-- Demand forecasting (src/forecast/): demand_forecast per series -> forecast_model, forecast_points,
-- forecast_accuracy. One series per GROUP BY group (a SKU), one row per day (several rows of a day are summed).
-- ===========================================================================================================

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
