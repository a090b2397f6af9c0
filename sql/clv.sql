-- CLV models (src/clv/): clv_fit on a small simulated dataset, the readers, text and binary round trips of
-- clv_model and clv_fit_state, order independence, NULL results, and clean errors for bad input.
SET extra_float_digits = 0;
-- 120 customers simulated from a Pareto/NBD process (r 0.55, alpha 10.6, s 0.6, beta 11.7; weeks) with
-- Gamma-Gamma spend (p 6, q 4, gamma 15); times and values rounded to 2 decimals
CREATE TABLE clv_customers (customer_id int, frequency float8, recency float8, t float8, monetary float8);
INSERT INTO clv_customers VALUES
(1,9,29.92,33.78,25.41), (2,1,13.58,26.1,14.74), (3,2,8.64,28.02,9.91), (4,0,0.0,36.23,NULL), (5,5,22.83,29.55,26.65), (6,0,0.0,27.83,NULL),
(7,0,0.0,35.59,NULL), (8,0,0.0,25.46,NULL), (9,1,15.11,22.16,9.15), (10,0,0.0,27.92,NULL), (11,0,0.0,37.66,NULL), (12,0,0.0,39.91,NULL),
(13,0,0.0,24.42,NULL), (14,0,0.0,35.61,NULL), (15,11,21.58,22.09,28.22), (16,0,0.0,33.19,NULL), (17,0,0.0,22.43,NULL), (18,0,0.0,24.34,NULL),
(19,1,7.09,35.63,35.29), (20,0,0.0,22.24,NULL), (21,0,0.0,30.33,NULL), (22,0,0.0,26.84,NULL), (23,11,35.19,39.81,18.73), (24,0,0.0,35.3,NULL),
(25,9,18.68,25.69,15.59), (26,6,33.88,39.65,56.33), (27,1,7.67,32.72,9.86), (28,0,0.0,23.13,NULL), (29,0,0.0,25.7,NULL), (30,0,0.0,36.22,NULL),
(31,1,12.46,39.17,10.04), (32,0,0.0,20.73,NULL), (33,1,5.01,31.44,16.76), (34,0,0.0,23.96,NULL), (35,0,0.0,34.14,NULL), (36,1,12.07,20.09,33.81),
(37,0,0.0,34.81,NULL), (38,0,0.0,30.75,NULL), (39,0,0.0,32.73,NULL), (40,0,0.0,29.65,NULL), (41,0,0.0,33.49,NULL), (42,0,0.0,36.68,NULL),
(43,1,21.28,21.48,4.90), (44,0,0.0,26.81,NULL), (45,10,23.18,23.98,57.74), (46,0,0.0,29.17,NULL), (47,2,19.35,32.09,17.42), (48,0,0.0,28.12,NULL),
(49,0,0.0,35.72,NULL), (50,0,0.0,20.23,NULL), (51,0,0.0,23.25,NULL), (52,4,5.32,22.74,87.17), (53,0,0.0,21.81,NULL), (54,0,0.0,32.08,NULL),
(55,0,0.0,33.71,NULL), (56,0,0.0,27.2,NULL), (57,2,33.15,34.11,14.61), (58,2,12.21,27.22,23.65), (59,0,0.0,31.74,NULL), (60,0,0.0,20.8,NULL),
(61,5,23.79,26.88,27.13), (62,1,15.35,21.15,40.17), (63,0,0.0,35.09,NULL), (64,0,0.0,33.27,NULL), (65,0,0.0,37.12,NULL), (66,1,25.34,37.58,23.67),
(67,1,14.49,30.96,30.36), (68,0,0.0,22.87,NULL), (69,0,0.0,26.04,NULL), (70,0,0.0,32.77,NULL), (71,0,0.0,33.73,NULL), (72,0,0.0,34.08,NULL),
(73,1,3.05,22.01,85.83), (74,1,0.05,22.49,9.08), (75,1,23.53,34.49,19.01), (76,0,0.0,21.65,NULL), (77,5,20.37,30.2,10.29), (78,2,11.18,28.76,18.44),
(79,2,30.82,36.4,19.33), (80,2,13.72,21.77,31.29), (81,0,0.0,34.81,NULL), (82,0,0.0,26.69,NULL), (83,0,0.0,33.61,NULL), (84,1,2.75,23.26,25.80),
(85,0,0.0,32.39,NULL), (86,0,0.0,35.02,NULL), (87,0,0.0,33.84,NULL), (88,2,1.81,35.37,21.44), (89,0,0.0,32.26,NULL), (90,1,10.55,30.34,19.19),
(91,0,0.0,33.41,NULL), (92,1,16.44,22.41,14.46), (93,0,0.0,33.35,NULL), (94,1,1.53,22.96,94.84), (95,4,22.9,29.38,12.41), (96,5,26.49,29.28,42.05),
(97,1,8.75,22.3,31.38), (98,0,0.0,24.34,NULL), (99,0,0.0,34.48,NULL), (100,2,25.49,32.77,82.43), (101,7,28.9,29.67,60.51), (102,0,0.0,33.66,NULL),
(103,1,10.48,27.8,7.62), (104,4,23.95,29.52,42.57), (105,1,8.77,28.43,23.50), (106,0,0.0,35.12,NULL), (107,0,0.0,21.31,NULL), (108,0,0.0,36.27,NULL),
(109,0,0.0,20.21,NULL), (110,0,0.0,26.49,NULL), (111,0,0.0,39.45,NULL), (112,0,0.0,24.52,NULL), (113,0,0.0,27.21,NULL), (114,0,0.0,23.34,NULL),
(115,3,24.12,36.83,19.33), (116,0,0.0,23.55,NULL), (117,4,7.82,27.84,20.98), (118,2,4.34,26.89,13.74), (119,1,16.18,24.25,19.47), (120,0,0.0,31.1,NULL);
-- 6 significant digits (what the optimizer's tolerance guarantees everywhere), and a try() that reports
-- SQLSTATE and message of a failing statement
CREATE FUNCTION pg_temp.sig(v float8, digits int DEFAULT 6) RETURNS numeric LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN v = 0 THEN 0 ELSE round(v::numeric, digits - 1 - floor(log(abs(v::numeric)))::int) END $$;
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TABLE clv_models AS
SELECT 'bgnbd' AS name, supplymkt.clv_fit(frequency, recency, t, monetary, 'bgnbd', 'weeks') AS m FROM clv_customers
UNION ALL
SELECT 'pnbd', supplymkt.clv_fit(frequency, recency, t, monetary, 'pnbd', 'weeks') FROM clv_customers;
-- the fitted parameters, in the papers' names
SELECT name, j->>'model' AS model, j->>'unit' AS unit, k AS parameter, pg_temp.sig((j->>k)::float8) AS estimate,
       pg_temp.sig((j->'std_errors'->>(i - 1)::int)::float8, 2) AS std_error
  FROM clv_models, LATERAL (SELECT m::text::jsonb) AS s(j),
       LATERAL unnest(CASE name WHEN 'bgnbd' THEN ARRAY['r', 'alpha', 'a', 'b'] ELSE ARRAY['r', 'alpha', 's', 'beta'] END)
               WITH ORDINALITY AS u(k, i)
 ORDER BY name, i;
SELECT name, round((j->>'log_likelihood')::numeric, 4) AS log_likelihood, j->'n_customers' AS n_customers,
       j->'converged' AS converged, (j->>'iterations')::int > 0 AS iterated,
       pg_temp.sig((j->>'p')::float8) AS p, pg_temp.sig((j->>'q')::float8) AS q, pg_temp.sig((j->>'gamma')::float8) AS gamma,
       round((j->>'spend_log_likelihood')::numeric, 4) AS spend_ll, j->'n_repeaters' AS n_repeaters,
       j->'spend_converged' AS spend_converged, jsonb_array_length(j->'spend_std_errors') AS n_spend_se
  FROM clv_models, LATERAL (SELECT m::text::jsonb) AS s(j) ORDER BY name;
-- the model's log_likelihood is the sum of the customers' clv_log_likelihood
SELECT name, abs((SELECT sum(supplymkt.clv_log_likelihood(m, frequency, recency, t)) FROM clv_customers)
                 - (m::text::jsonb->>'log_likelihood')::float8) < 1e-8 AS ll_sums
  FROM clv_models ORDER BY name;
-- the spend model is fitted on the repeat customers only, the same under both purchase models
SELECT count(DISTINCT m::text::jsonb->>'spend_log_likelihood') = 1 AS same_spend_fit FROM clv_models;

-- readers on a few customers (the horizon is in the model's unit: weeks)
SELECT name, customer_id, frequency, recency, t,
       pg_temp.sig(supplymkt.probability_alive(m, frequency, recency, t)) AS p_alive,
       pg_temp.sig(supplymkt.expected_purchases(m, 52, frequency, recency, t)) AS purchases_52w,
       pg_temp.sig(supplymkt.expected_spend(m, frequency, coalesce(monetary, 0))) AS spend,
       pg_temp.sig(supplymkt.clv_estimate(m, frequency, recency, t, coalesce(monetary, 0), 52, 0.002)) AS clv_52w
  FROM clv_models, clv_customers WHERE customer_id IN (1, 2, 3, 5, 8, 13) ORDER BY name, customer_id;
-- limits: no horizon, no purchases; more purchases with a longer horizon; discounting lowers the CLV
SELECT name, supplymkt.expected_purchases(m, 0, 3, 10, 30) AS zero_horizon,
       supplymkt.expected_purchases(m, 10, 3, 10, 30) < supplymkt.expected_purchases(m, 20, 3, 10, 30) AS increasing,
       supplymkt.clv_estimate(m, 3, 10, 30, 20, 52, 0.01) < supplymkt.clv_estimate(m, 3, 10, 30, 20, 52, 0) AS discounted,
       abs(supplymkt.clv_estimate(m, 3, 10, 30, 20, 52, 0)
           - supplymkt.expected_purchases(m, 52, 3, 10, 30) * supplymkt.expected_spend(m, 3, 20)) < 1e-9 AS undiscounted_is_product
  FROM clv_models ORDER BY name;
-- published example (Fader, Hardie & Lee 2005, CDNOW, weeks): x = 2, t_x = 30.43, T = 38.86 expects 1.226
-- purchases in the next 39 weeks; a model typed in by hand, without fit information
SELECT round(supplymkt.expected_purchases(m, 39, 2, 30.43, 38.86)::numeric, 3) AS expected_39w,
       round(supplymkt.probability_alive(m, 2, 30.43, 38.86)::numeric, 4) AS p_alive,
       supplymkt.probability_alive(m, 0, 0, 38.86) AS p_alive_no_repeat,
       m::text AS model_text
  FROM (SELECT '{"model":"bgnbd","unit":"weeks","r":0.243,"alpha":4.414,"a":0.793,"b":2.426}'::supplymkt.clv_model) AS s(m);
-- huge ages and frequencies stay finite
SELECT name, supplymkt.probability_alive(m, 1e6, 9e14, 1e15) BETWEEN 0 AND 1 AS p_ok,
       supplymkt.expected_purchases(m, 1e15, 1e6, 5e14, 1e15) >= 0 AS e_ok,
       supplymkt.clv_log_likelihood(m, 1e6, 1e15, 1e15) < 0 AS ll_ok
  FROM clv_models ORDER BY name;

-- the result does not depend on row order (rows are sorted and collapsed before the fit), and combining
-- partial states gives the serial answer
CREATE AGGREGATE pg_temp.clv_state(float8, float8, float8, float8, text, text) (
    SFUNC = supplymkt_internal.clv_fit_transfn, STYPE = supplymkt.clv_fit_state);
SELECT (SELECT supplymkt.clv_fit(frequency, recency, t, monetary, 'pnbd', 'weeks') FROM
          (SELECT * FROM clv_customers ORDER BY customer_id DESC) s)::text
       = (SELECT m::text FROM clv_models WHERE name = 'pnbd') AS reversed_same,
       (SELECT supplymkt_internal.clv_fit_final(supplymkt_internal.clv_fit_state_combine(a.s, b.s)) FROM
          (SELECT pg_temp.clv_state(frequency, recency, t, monetary, 'bgnbd', 'weeks') s FROM clv_customers WHERE customer_id % 2 = 0) a,
          (SELECT pg_temp.clv_state(frequency, recency, t, monetary, 'bgnbd', 'weeks') s FROM clv_customers WHERE customer_id % 2 = 1) b)::text
       = (SELECT m::text FROM clv_models WHERE name = 'bgnbd') AS combined_same;
-- the defaults of the shorter forms: BG/NBD in days, no spend model without monetary
SELECT j->>'model' AS model, j->>'unit' AS unit, j ? 'p' AS has_spend
  FROM (SELECT supplymkt.clv_fit(frequency, recency, t)::text::jsonb FROM clv_customers
        UNION ALL SELECT supplymkt.clv_fit(frequency, recency, t, monetary)::text::jsonb FROM clv_customers
        UNION ALL SELECT supplymkt.clv_fit(frequency, recency, t, NULL, 'pnbd')::text::jsonb FROM clv_customers) AS s(j);
-- NULL rows are skipped; NULL with fewer than 10 customers, or without any repeat purchase
SELECT supplymkt.clv_fit(frequency, recency, t) IS NULL AS few FROM clv_customers WHERE customer_id <= 9;
SELECT supplymkt.clv_fit(0, 0, t) IS NULL AS no_repeaters FROM clv_customers;
SELECT supplymkt.clv_fit(NULL, recency, t) IS NULL AS all_null FROM clv_customers;
SELECT (supplymkt.clv_fit(frequency, CASE WHEN customer_id = 1 THEN NULL ELSE recency END, t)::text::jsonb->>'n_customers')::int AS n
  FROM clv_customers;

-- text round trip of clv_model (exact floats) and clv_fit_state
SELECT name, m::text::supplymkt.clv_model::text = m::text AS text_roundtrip FROM clv_models ORDER BY name;
SELECT supplymkt_internal.clv_fit_transfn(supplymkt_internal.clv_fit_transfn(NULL, 2, 1.5, 3.25, 10.1, 'pnbd', 'weeks'), 0, 0, 1e-300, NULL, 'pnbd', 'weeks') AS state;
SELECT s::text::supplymkt.clv_fit_state::text = s::text AS state_roundtrip
  FROM (SELECT pg_temp.clv_state(frequency, recency, t, monetary, 'bgnbd', 'weeks') FROM clv_customers) AS v(s);
-- binary round trip through COPY
COPY clv_models TO '/tmp/supplymkt_clv.bin' (FORMAT binary);
CREATE TABLE clv_models2 (LIKE clv_models);
COPY clv_models2 FROM '/tmp/supplymkt_clv.bin' (FORMAT binary);
SELECT a.name, a.m::text = b.m::text AS binary_roundtrip,
       supplymkt_internal.clv_model_send(a.m) = supplymkt_internal.clv_model_send(b.m) AS same_send
  FROM clv_models a JOIN clv_models2 b USING (name) ORDER BY a.name;
-- malformed binary input: truncated, trailing byte, wrong version, NaN parameter, parameter out of range
CREATE TABLE clv_bin (m supplymkt.clv_model);
CREATE FUNCTION pg_temp.copy_bytes(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', b, '/tmp/supplymkt_clv_bad.bin');
    RETURN pg_temp.try($q$COPY clv_bin FROM '/tmp/supplymkt_clv_bad.bin' (FORMAT binary)$q$);
END $$;
SELECT what, pg_temp.copy_bytes(b) AS result
  FROM (SELECT supplymkt_internal.clv_model_send(m) AS v FROM clv_models WHERE name = 'bgnbd') AS s,
       LATERAL (VALUES ('valid', v),
                       ('truncated', substr(v, 1, 50)),
                       ('trailing byte', v || '\x00'::bytea),
                       ('version 1 (0.1.0: no customers_without_history)',
                        overlay(substr(v, 1, length(v) - 4) PLACING '\x01'::bytea FROM 1 FOR 1)),
                       ('version 1 with version 2 size', overlay(v PLACING '\x01'::bytea FROM 1 FOR 1)),
                       ('version 3', overlay(v PLACING '\x03'::bytea FROM 1 FOR 1)),
                       ('model code 4', overlay(v PLACING '\x04'::bytea FROM 2 FOR 1)),
                       ('unknown flags', overlay(v PLACING '\xffff'::bytea FROM 4 FOR 2)),
                       ('NaN r', overlay(v PLACING '\x7ff8000000000000'::bytea FROM 6 FOR 8)),
                       ('negative alpha', overlay(v PLACING '\xbff0000000000000'::bytea FROM 14 FOR 8))) AS c(what, b);
SELECT count(*) AS rows_read FROM clv_bin;

-- malformed model text: clean errors
SELECT t AS input, pg_temp.try(format('SELECT %L::supplymkt.clv_model', t)) AS result FROM (VALUES
    (''), ('{}'), ('[]'), ('null'), ('{"model":"bgnbd"}'),
    ('{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1}'),
    ('{"model":"xyz","unit":"weeks","r":1,"alpha":1,"a":1,"b":1}'),
    ('{"model":"bgnbd","unit":"months","r":1,"alpha":1,"a":1,"b":1}'),
    ('{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1,"s":1}'),
    ('{"model":"bgnbd","unit":"weeks","r":0,"alpha":1,"a":1,"b":1}'),
    ('{"model":"bgnbd","unit":"weeks","r":-1,"alpha":1,"a":1,"b":1}'),
    ('{"model":"bgnbd","unit":"weeks","r":"NaN","alpha":1,"a":1,"b":1}'),
    ('{"model":"bgnbd","unit":"weeks","r":1e19,"alpha":1,"a":1,"b":1}'),
    ('{"model":"bgnbd","unit":"weeks","r":1e400,"alpha":1,"a":1,"b":1}'),
    ('{"model":"bgnbd","unit":"weeks","r":[1],"alpha":1,"a":1,"b":1}'),
    ('{"model":"bgnbd","unit":"weeks","r":{"x":1},"alpha":1,"a":1,"b":1}'),
    ('{"model":"bgnbd","unit":"weeks","r":1,"r":1,"alpha":1,"a":1,"b":1}'),
    ('{"model":"bgnbd","version":3,"unit":"weeks","r":1,"alpha":1,"a":1,"b":1}'),
    ('{"model":"bgnbd","version":1,"unit":"weeks","r":1,"alpha":1,"a":1,"b":1}'),
    ('{"model":"mbgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1,"log_likelihood":-1,"n_customers":5,"customers_without_history":-1,"iterations":1,"converged":true}'),
    ('{"model":"mbgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1,"customers_without_history":2}'),
    ('{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1,"log_likelihood":-5}'),
    ('{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1,"log_likelihood":-5,"n_customers":0,"iterations":1,"converged":true}'),
    ('{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1,"log_likelihood":-5,"n_customers":10,"iterations":1,"converged":"maybe"}'),
    ('{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1,"log_likelihood":-5,"n_customers":10,"iterations":1,"converged":true,"std_errors":[1,2,3]}'),
    ('{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1,"log_likelihood":-5,"n_customers":10,"iterations":1,"converged":true,"std_errors":[1,2,3,-4]}'),
    ('{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1,"std_errors":[1,2,3,4]}'),
    ('{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1,"p":1}'),
    ('{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1,"spend_log_likelihood":1,"n_repeaters":1,"spend_iterations":1,"spend_converged":false}'),
    ('{"model":"pnbd","unit":"days","r":1,"alpha":1,"s":1,"beta":1,"p":1,"q":2,"gamma":3.5}')) AS v(t);

-- bad arguments: clean errors with a hint of what to fix
SELECT q AS call, pg_temp.try(q) AS result FROM (VALUES
    ('SELECT supplymkt.clv_fit(1.5, 1, 2) FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(-1, 0, 2) FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(''NaN'', 0, 2) FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(1, 3, 2) FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(0, 1, 2) FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(1, 0, 0) FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(1, 0, ''Infinity'') FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(1e16, 0, 2) FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(1, 1, 2, 0) FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(1, 1, 2, -5) FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(1, 1, 2, 5, ''weibull'') FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(1, 1, 2, 5, NULL) FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(1, 1, 2, 5, ''pnbd'', ''months'') FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(1, 1, 2, 5, ''pnbd'', NULL) FROM generate_series(1, 10)'),
    ('SELECT supplymkt.clv_fit(1, 1, 2, 5, CASE WHEN g % 2 = 0 THEN ''pnbd'' ELSE ''bgnbd'' END) FROM generate_series(1, 10) g'),
    ('SELECT supplymkt_internal.clv_fit_final(''{"state":"clv_fit_state","version":1,"params":[5,1,0,0],"rows":1,"values":[1,1,2,-1]}'')'),
    ('SELECT supplymkt_internal.clv_fit_final(''{"state":"clv_fit_state","version":1,"params":[1,1,0,0],"rows":1,"values":[1,3,2,-1]}'')'),
    ('SELECT supplymkt_internal.clv_fit_final(''{"state":"clv_fit_state","version":1,"params":[],"rows":1,"values":[1,1,2,-1]}'')'),
    ('SELECT supplymkt_internal.clv_fit_final(''{"state":"clv_fit_state","version":1,"params":[1,1,0,0],"rows":1,"values":[0,0,2,5]}'')'),
    ('SELECT supplymkt.probability_alive(m, 2.5, 1, 3) FROM clv_models'),
    ('SELECT supplymkt.probability_alive(m, 2, 4, 3) FROM clv_models'),
    ('SELECT supplymkt.expected_purchases(m, -1, 2, 1, 3) FROM clv_models'),
    ('SELECT supplymkt.expected_purchases(m, ''NaN'', 2, 1, 3) FROM clv_models'),
    ('SELECT supplymkt.expected_spend(m, 2, -1) FROM clv_models'),
    ('SELECT supplymkt.clv_estimate(m, 2, 1, 3, 10, 20000, 0.01) FROM clv_models'),
    ('SELECT supplymkt.clv_estimate(m, 2, 1, 3, 10, 52, -0.5) FROM clv_models'),
    ('SELECT supplymkt.expected_spend(''{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1}'', 2, 10)'),
    ('SELECT supplymkt.clv_estimate(''{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1}'', 2, 1, 3, 10, 5, 0)')) AS v(q);
-- an infinite mean spend (p x + q <= 1) is NULL
SELECT supplymkt.expected_spend('{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1,"p":1,"q":0.5,"gamma":3}', 0, 0) IS NULL AS infinite_mean_is_null,
       supplymkt.expected_spend('{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":1,"p":1,"q":0.5,"gamma":3}', 2, 10) AS finite_with_repeats;
-- options by name: clv_options gives the positional model
SELECT supplymkt.clv_options() AS defaults, supplymkt.clv_options(model => 'pnbd', unit => 'weeks') AS named;
SELECT supplymkt.clv_options()::text = '{"options":"clv_options","version":1}'::supplymkt.clv_options::text AS maker_defaults_match;
SELECT supplymkt.clv_fit(frequency, recency, t, monetary, supplymkt.clv_options(model => 'pnbd', unit => 'weeks'))::text
       = supplymkt.clv_fit(frequency, recency, t, monetary, 'pnbd', 'weeks')::text AS options_equal_positional,
       supplymkt.clv_fit(frequency, recency, t, monetary, supplymkt.clv_options())::text
       = supplymkt.clv_fit(frequency, recency, t, monetary)::text AS defaults_equal_positional
  FROM clv_customers;
SELECT q AS call, pg_temp.try(q) AS result FROM (VALUES
    ('SELECT supplymkt.clv_options(model => ''gamma'')'),
    ('SELECT supplymkt.clv_options(unit => ''months'')'),
    ('SELECT supplymkt.clv_options(unit => NULL)'),
    ('SELECT ''{"options":"clv_options","version":1,"model":1}''::supplymkt.clv_options'),
    ('SELECT supplymkt.clv_fit(frequency, recency, t, monetary, NULL::supplymkt.clv_options) FROM clv_customers')) AS v(q);
-- MBG/NBD: one-time buyers can have dropped out (p_alive < 1), unlike BG/NBD; the three purchase models
SELECT name, (m::text::jsonb ->> 'model') AS model, (m::text::jsonb ->> 'converged') AS converged,
       round(supplymkt.probability_alive(m, 0, 0, 30)::numeric, 4) AS p_alive_one_time_buyer,
       round(supplymkt.probability_alive(m, 3, 20, 30)::numeric, 4) AS p_alive_repeat_buyer
  FROM (SELECT v.name, supplymkt.clv_fit(frequency, recency, t, monetary, v.name, 'weeks') AS m
          FROM clv_customers, (VALUES ('bgnbd'), ('mbgnbd'), ('pnbd')) AS v(name) GROUP BY v.name) AS f ORDER BY name;
SELECT supplymkt.clv_fit(frequency, recency, t, monetary, supplymkt.clv_options(model => 'mbgnbd', unit => 'weeks'))::text
       = supplymkt.clv_fit(frequency, recency, t, monetary, 'mbgnbd', 'weeks')::text AS mbgnbd_options_equal_positional
  FROM clv_customers;
-- customers with t = 0 (first purchase on the as-of day) carry no information: left out, counted, never an error
SELECT v.name,
       (SELECT supplymkt.clv_fit(frequency, recency, t, monetary, v.name, 'weeks')::text::jsonb - 'customers_without_history'
          FROM (SELECT frequency, recency, t, monetary FROM clv_customers
                UNION ALL SELECT 0, 0, 0, NULL FROM generate_series(1, 5)) AS c)
       = (SELECT supplymkt.clv_fit(frequency, recency, t, monetary, v.name, 'weeks')::text::jsonb - 'customers_without_history'
            FROM clv_customers) AS same_fit_without_them,
       (SELECT supplymkt.clv_fit(frequency, recency, t, monetary, v.name, 'weeks')::text::jsonb -> 'customers_without_history'
          FROM (SELECT frequency, recency, t, monetary FROM clv_customers
                UNION ALL SELECT 0, 0, 0, NULL FROM generate_series(1, 5)) AS c) AS customers_without_history
  FROM (VALUES ('bgnbd'), ('mbgnbd'), ('pnbd')) AS v(name) ORDER BY 1;
SELECT round(supplymkt.probability_alive('{"model":"mbgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":3}', 0, 0, 0)::numeric, 4) AS mbgnbd_t0,
       supplymkt.probability_alive('{"model":"bgnbd","unit":"weeks","r":1,"alpha":1,"a":1,"b":3}', 0, 0, 0) AS bgnbd_t0,
       supplymkt.expected_purchases('{"model":"mbgnbd","unit":"weeks","r":1,"alpha":1,"a":2,"b":3}', 10, 0, 0, 0) > 0 AS expects_purchases;
-- 'auto' keeps the purchase model with the highest log-likelihood, and says so
SELECT a.m::text::jsonb ->> 'model' = (SELECT v.name FROM (VALUES ('bgnbd'), ('mbgnbd'), ('pnbd')) AS v(name)
                                        ORDER BY (SELECT (supplymkt.clv_fit(frequency, recency, t, monetary, v.name, 'weeks')::text::jsonb ->> 'log_likelihood')::float8
                                                    FROM clv_customers) DESC LIMIT 1) AS auto_is_best_likelihood,
       a.m::text::jsonb ->> 'selected_by' AS selected_by,
       (a.m::text::jsonb - 'selected_by') = (SELECT supplymkt.clv_fit(frequency, recency, t, monetary, a.m::text::jsonb ->> 'model', 'weeks')::text::jsonb
                                               FROM clv_customers) AS same_as_that_fit
  FROM (SELECT supplymkt.clv_fit(frequency, recency, t, monetary, supplymkt.clv_options(model => 'auto', unit => 'weeks')) AS m
          FROM clv_customers) AS a;
SELECT pg_temp.try($$SELECT '{"model":"auto","unit":"days","r":1,"alpha":1,"a":1,"b":1}'::supplymkt.clv_model$$) AS auto_is_not_a_model;
-- clv_holdout: one row per model and calibration frequency plus 'all'; exactly one best model; clean errors
SELECT count(*) AS demo_relations FROM supplymkt.generate_demo_data('clv_holdout_src', 400, 20, 240, 5);
SELECT model, count(*) AS rows, bool_or(calibration_frequency = 'all') AS has_total,
       sum(customers) FILTER (WHERE calibration_frequency <> 'all') = sum(customers) FILTER (WHERE calibration_frequency = 'all') AS groups_add_up,
       abs(sum(actual_total) FILTER (WHERE calibration_frequency <> 'all') - sum(actual_total) FILTER (WHERE calibration_frequency = 'all')) < 1e-9 AS actual_adds_up,
       bool_and(mean_absolute_error >= 0) AS mae_non_negative
  FROM supplymkt.clv_holdout('clv_holdout_src', '2024-06-01', time_zone => 'UTC') GROUP BY model ORDER BY model;
SELECT count(DISTINCT model) FILTER (WHERE best) AS best_models,
       (SELECT model FROM supplymkt.clv_holdout('clv_holdout_src', '2024-06-01', time_zone => 'UTC')
         WHERE calibration_frequency = 'all' ORDER BY mean_absolute_error, model LIMIT 1)
       = min(model) FILTER (WHERE best) AS best_is_lowest_error
  FROM supplymkt.clv_holdout('clv_holdout_src', '2024-06-01', time_zone => 'UTC');
-- the holdout actuals are the purchase days after calibration_end, counted independently here
SELECT (SELECT actual_total FROM supplymkt.clv_holdout('clv_holdout_src', '2024-06-01', '2024-08-01', 'days', 'UTC')
         WHERE model = 'bgnbd' AND calibration_frequency = 'all')
       = (SELECT count(DISTINCT (o.customer_id, (o.order_time AT TIME ZONE 'UTC')::date))
            FROM clv_holdout_src.orders o
           WHERE o.order_time > '2024-06-01' AND o.order_time <= '2024-08-01'
             AND o.customer_id IN (SELECT customer_id FROM clv_holdout_src.orders WHERE order_time <= '2024-06-01')) AS actual_is_purchase_days;
SELECT q AS call, pg_temp.try(q) AS result FROM (VALUES
    ('SELECT * FROM supplymkt.clv_holdout(''clv_holdout_src'', NULL)'),
    ('SELECT * FROM supplymkt.clv_holdout(''clv_holdout_src'', ''2024-06-01'', unit => ''months'')'),
    ('SELECT * FROM supplymkt.clv_holdout(''clv_holdout_src'', ''2030-01-01'')'),
    ('SELECT * FROM supplymkt.clv_holdout(''clv_holdout_src'', ''2024-06-01'', ''2024-05-01'')'),
    ('SELECT * FROM supplymkt.clv_holdout(''clv_holdout_src'', ''infinity'')'),
    ('SELECT * FROM supplymkt.clv_holdout(''clv_holdout_src'', ''2024-06-01'', time_zone => ''Mars/Olympus'')'),
    ('SELECT * FROM supplymkt.clv_holdout(''no_such_schema'', ''2024-06-01'')'),
    ('SELECT * FROM supplymkt.clv_holdout(NULL, ''2024-06-01'')')) AS v(q);
DROP SCHEMA clv_holdout_src CASCADE;
DROP TABLE clv_customers, clv_models, clv_models2, clv_bin;
