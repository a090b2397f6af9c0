-- Demand forecasting (src/forecast/): demand_forecast on small series, degenerate series, forecast_points,
-- forecast_accuracy, options and the model type's I/O.  test/forecast_oracle.py compares with statsmodels.

-- a weekly pattern on a level with noise: auto picks a seasonal ETS model
CREATE TABLE fc_weekly AS
SELECT d::date AS day, 20 + 6 * ((extract(isodow FROM d)::int IN (6, 7))::int) + ((i * 7919) % 11 - 5) / 2.0 AS qty
  FROM generate_series('2024-01-01'::date, '2024-04-30', '1 day') WITH ORDINALITY AS g(d, i);
SELECT j ->> 'method' AS method, j ->> 'selected_by' AS selected_by, j ->> 'season_length' AS m, j ->> 'n' AS n,
       j ->> 'first_day' AS first_day, j ->> 'last_day' AS last_day, j ->> 'demand_class' AS class,
       (j ->> 'loglik')::float8 < 0 AS has_loglik, jsonb_array_length(j -> 'seasonal') AS seasonal_states
  FROM (SELECT supplymkt.demand_forecast(day, qty)::text::jsonb AS j FROM fc_weekly) AS t;
-- the forecasts keep the weekly pattern: weekend days about 6 above weekdays
SELECT round(avg(forecast) FILTER (WHERE extract(isodow FROM day) IN (6, 7))::numeric
             - avg(forecast) FILTER (WHERE extract(isodow FROM day) NOT IN (6, 7))::numeric) AS weekend_lift,
       bool_and(lo95 < lo80 AND lo80 < forecast AND forecast < hi80 AND hi80 < hi95) AS ordered_intervals,
       bool_and(hi95 - lo95 >= 0) AS widths, count(*) AS days, min(day) AS first, max(day) AS last
  FROM supplymkt.forecast_points((SELECT supplymkt.demand_forecast(day, qty) FROM fc_weekly), 14);

-- every named method fits (seasonal ones with two seasons of data), and AICc decides auto
SELECT m, (supplymkt.demand_forecast(day, qty, 7, m)::text::jsonb) ->> 'method' AS fitted
  FROM fc_weekly, unnest(ARRAY['ANN', 'AAN', 'AAdN', 'ANA', 'AAA', 'AAdA', 'MAM', 'MAdM', 'croston', 'sba', 'tsb']) AS m
 GROUP BY m ORDER BY m;
SELECT (SELECT supplymkt.demand_forecast(day, qty)::text::jsonb ->> 'method' FROM fc_weekly)
     = (SELECT m FROM (SELECT m, (supplymkt.demand_forecast(day, qty, 7, m)::text::jsonb ->> 'aicc')::float8 AS aicc
                         FROM fc_weekly, unnest(ARRAY['ANN', 'AAN', 'AAdN', 'ANA', 'AAA', 'AAdA', 'MAM', 'MAdM']) AS m
                        GROUP BY m) AS x ORDER BY aicc LIMIT 1) AS auto_is_lowest_aicc;

-- fewer than two seasons: non-seasonal, and the model says so
SELECT j ->> 'method' AS method, j ->> 'seasonal_fallback' AS fallback
  FROM (SELECT supplymkt.demand_forecast(day, qty, 7, 'AAA')::text::jsonb AS j FROM fc_weekly WHERE day < '2024-01-11') AS t;

-- degenerate series: finite forecasts, never NaN
CREATE TABLE fc_series (name text, day date, qty float8);
INSERT INTO fc_series
SELECT 'zeros', d::date, 0 FROM generate_series('2024-01-01'::date, '2024-03-31', '1 day') AS d
UNION ALL SELECT 'constant', d::date, 5 FROM generate_series('2024-01-01'::date, '2024-03-31', '1 day') AS d
UNION ALL SELECT 'spike', d::date, CASE WHEN d = '2024-02-10' THEN 50 ELSE 0 END FROM generate_series('2024-01-01'::date, '2024-03-31', '1 day') AS d
UNION ALL SELECT 'intermittent', d::date, CASE WHEN extract(doy FROM d)::int % 5 = 0 THEN 3 + extract(doy FROM d)::int % 4 ELSE 0 END
            FROM generate_series('2024-01-01'::date, '2024-06-30', '1 day') AS d
UNION ALL SELECT 'two days', d::date, x FROM (VALUES ('2024-01-01'::date, 4.0), ('2024-01-02', 6.0)) AS v(d, x)
UNION ALL SELECT 'one day', '2024-01-01', 7
UNION ALL SELECT 'gaps', d, x FROM (VALUES ('2024-01-01'::date, 4.0), ('2024-01-05', 6.0), ('2024-01-05', 1.0)) AS v(d, x);
SELECT s.name, j ->> 'method' AS method, j ->> 'n' AS n, j ->> 'demand_class' AS class,
       round((j ->> 'level')::numeric, 4) AS level, round((j ->> 'adi')::numeric, 4) AS adi,
       (SELECT bool_and(forecast = forecast AND (lo95 IS NULL OR lo95 = lo95)) FROM supplymkt.forecast_points(f.m, 30)) AS finite
  FROM (SELECT name, supplymkt.demand_forecast(day, qty) AS m FROM fc_series GROUP BY name) AS f(name, m)
  JOIN LATERAL (SELECT f.name, f.m::text::jsonb) AS s(name, j) ON true
 ORDER BY s.name;
-- Croston on a series with no zeros at all, SBA and TSB by name
SELECT j ->> 'method' AS method, round((j ->> 'level')::numeric, 6) AS forecast, round((j ->> 'size')::numeric, 6) AS size,
       round((j ->> 'interval')::numeric, 6) AS interval, round((j ->> 'probability')::numeric, 6) AS probability
  FROM (SELECT supplymkt.demand_forecast(day, qty, 7, m)::text::jsonb AS j
          FROM fc_series, unnest(ARRAY['croston', 'sba', 'tsb']) AS m WHERE name = 'intermittent' GROUP BY m
        UNION ALL
        SELECT supplymkt.demand_forecast(day, qty, 7, 'croston')::text::jsonb FROM fc_series WHERE name = 'constant') AS t
 ORDER BY 1, 2;

-- forecast_accuracy: |e| = 1, 2, 0, 3 -> mae 1.5, rmse sqrt(14 / 4), bias (1 - 2 + 0 + 3) / 4 = 0.5; mape over
-- the three non-zero actuals; mase = mae / 3
SELECT n, mae, round(rmse::numeric, 6) AS rmse, round(mape::numeric, 6) AS mape, round(smape::numeric, 6) AS smape,
       bias, mase
  FROM (SELECT (supplymkt.forecast_accuracy(a, p, 3)).* FROM (VALUES (10, 11), (4, 2), (0, 0), (5, 8), (NULL, 1)) AS v(a, p)) AS x;
SELECT (supplymkt.forecast_accuracy(a, p)).mase IS NULL AS no_scale, (supplymkt.forecast_accuracy(a, p, 0)).mase IS NULL AS zero_scale,
       (supplymkt.forecast_accuracy(a, p)).mape IS NULL AS all_zero_actuals
  FROM (VALUES (0, 1), (0, 2)) AS v(a, p);

-- options: printed as JSON, validated when made, the same model as the positional form
SELECT supplymkt.forecast_options()::text;
SELECT supplymkt.forecast_options(season_length => 7, method => 'AAA')::text = supplymkt.forecast_options(7, 'AAA')::text AS same;
SELECT (SELECT supplymkt.demand_forecast(day, qty, supplymkt.forecast_options(method => 'AAdA'))::text FROM fc_weekly)
     = (SELECT supplymkt.demand_forecast(day, qty, 7, 'AAdA')::text FROM fc_weekly) AS options_equal_positional;

-- the model value: text round trip, stored in a table, read back
CREATE TABLE fc_models AS SELECT name, supplymkt.demand_forecast(day, qty) AS m FROM fc_series GROUP BY name
UNION ALL SELECT 'weekly', supplymkt.demand_forecast(day, qty) FROM fc_weekly;
SELECT bool_and(m::text::supplymkt.forecast_model::text = m::text) AS text_round_trip FROM fc_models;

-- errors
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END;
$$;
SELECT pg_temp.error_of(s) FROM unnest(ARRAY[
    'SELECT supplymkt.demand_forecast(d, q) FROM (VALUES (''2024-01-01''::date, -1::float8)) AS v(d, q)',
    'SELECT supplymkt.demand_forecast(d, q) FROM (VALUES (''infinity''::date, 1::float8)) AS v(d, q)',
    'SELECT supplymkt.demand_forecast(d, q) FROM (VALUES (''2024-01-01''::date, ''NaN''::float8)) AS v(d, q)',
    'SELECT supplymkt.demand_forecast(d, q, 0) FROM (VALUES (''2024-01-01''::date, 1::float8)) AS v(d, q)',
    'SELECT supplymkt.demand_forecast(d, q, 7, ''arima'') FROM (VALUES (''2024-01-01''::date, 1::float8)) AS v(d, q)',
    'SELECT supplymkt.demand_forecast(day, qty, 7, ''MAM'') FROM fc_series WHERE name = ''spike''',
    'SELECT supplymkt.demand_forecast(d, q) FROM (VALUES (''1900-01-01''::date, 1::float8), (''2100-01-01'', 1)) AS v(d, q)',
    'SELECT supplymkt.forecast_options(season_length => 400)',
    'SELECT supplymkt.forecast_options(method => NULL)',
    'SELECT * FROM supplymkt.forecast_points((SELECT m FROM fc_models WHERE name = ''weekly''), 0)',
    'SELECT supplymkt.forecast_accuracy(a, p, s) FROM (VALUES (1::float8, 2::float8, 1::float8), (1, 2, 2)) AS v(a, p, s)',
    'SELECT ''{"model":"forecast_model","version":9}''::supplymkt.forecast_model',
    'SELECT ''{"model":"forecast_model","version":1,"method":"AAA"}''::supplymkt.forecast_model']) AS s;
