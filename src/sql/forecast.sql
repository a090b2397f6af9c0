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
