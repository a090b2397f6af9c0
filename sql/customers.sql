-- Customer analytics: rfm_summary, rfm_breaks / rfm_score / rfm_segments, clv_time_decay, retention_cohorts.
-- Exact outputs on hand-made fixtures (the expected values are worked out in the comments), ties and heavily
-- repeated values, error SQLSTATEs, and text/binary round trips of rfm_breaks with malformed input.
SET client_min_messages = warning;
SET extra_float_digits = 0;
SET TimeZone = 'UTC';

-- returns 'SQLSTATE: message' of the statement's error, or 'no error'
CREATE FUNCTION pg_temp.err(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END;
$$;

-- ---------------------------------------------------------------------------------------------------------
-- rfm_summary, as of 2024-06-01 12:00 UTC
-- ---------------------------------------------------------------------------------------------------------
CREATE TABLE cust_orders (customer int, order_time timestamptz, amount float8);
INSERT INTO cust_orders VALUES
    -- 1: two orders on Jan 1 (one purchase day), then Jan 5 and Feb 1; the Dec 1 order is after as_of
    (1, '2024-01-01 10:00+00', 10), (1, '2024-01-01 20:00+00', 5), (1, '2024-01-05 00:00+00', 20),
    (1, '2024-02-01 00:00+00', 30), (1, '2024-12-01 00:00+00', 100),
    -- 2: one order one second before midnight UTC, and NULL rows (skipped)
    (2, '2024-03-03 23:59:59+00', 7), (2, NULL, 50), (2, '2024-03-10 00:00+00', NULL),
    -- 3: only an order after as_of: no summary
    (3, '2025-01-01 00:00+00', 1),
    -- 4: midnight and one second before it are two purchase days; a zero-amount order; an order exactly at as_of
    (4, '2024-05-30 23:59:59+00', 0), (4, '2024-05-31 00:00:00+00', 4), (4, '2024-06-01 12:00+00', 6),
    -- 5: every row NULL
    (5, NULL, NULL);
-- 1: recency 2024-06-01 12:00 - 2024-02-01 = 121.5 days; orders 4; days Jan 1, Jan 5, Feb 1 -> frequency 2,
--    t_x 31, T = Jun 1 - Jan 1 = 152 (leap year); mean 65 / 4 = 16.25; repeat days 20 and 30 -> 25; total 65
-- 2: recency 89 days 12 h 1 s = 89.500011574; frequency 0, t_x 0, T 90, repeat mean NULL
-- 4: frequency 2 (May 30, May 31, Jun 1), t_x 2, T 2, recency 0, mean 10 / 3, repeat mean (4 + 6) / 2 = 5
SELECT customer, (rfm_summary).*
  FROM (SELECT customer, supplymkt.rfm_summary(order_time, amount, '2024-06-01 12:00+00') FROM cust_orders GROUP BY customer) s
 ORDER BY customer;
-- purchase days are UTC days whatever the session time zone (only the display of first/last order changes)
SET TimeZone = 'Asia/Tokyo';
SELECT customer, (rfm_summary).frequency, (rfm_summary).recency_bgnbd, (rfm_summary).age_days, (rfm_summary).last_order
  FROM (SELECT customer, supplymkt.rfm_summary(order_time, amount, '2024-06-01 12:00+00') FROM cust_orders GROUP BY customer) s
 WHERE customer IN (2, 4) ORDER BY customer;
RESET TimeZone;
SET TimeZone = 'UTC';
-- no rows, and an as_of before every order: NULL
SELECT supplymkt.rfm_summary(order_time, amount, now()) IS NULL AS no_rows FROM cust_orders WHERE false;
SELECT supplymkt.rfm_summary(order_time, amount, '2000-01-01') IS NULL AS before_everything FROM cust_orders;
-- states built row by row and combined give the serial answer; the state's text round-trips exactly
CREATE TABLE cust_states AS
SELECT customer, supplymkt_internal.rfm_summary_transfn(NULL, order_time, amount, '2024-06-01 12:00+00') AS s
  FROM cust_orders WHERE customer IN (1, 4) AND order_time IS NOT NULL;
SELECT s FROM cust_states ORDER BY customer, s::text LIMIT 2;
SELECT bool_and(s::text = s::text::supplymkt.rfm_summary_state::text) AS text_roundtrip FROM cust_states;
WITH RECURSIVE c(i, s) AS (
    SELECT 1, NULL::supplymkt.rfm_summary_state
    UNION ALL
    SELECT c.i + 1, supplymkt_internal.rfm_summary_state_combine(c.s, x.s)
      FROM c JOIN (SELECT row_number() OVER (ORDER BY s::text DESC) AS i, s FROM cust_states WHERE customer = 1) x ON x.i = c.i
)
SELECT supplymkt_internal.rfm_summary_final(s) = (SELECT supplymkt.rfm_summary(order_time, amount, '2024-06-01 12:00+00')
                                           FROM cust_orders WHERE customer = 1) AS combined_equals_serial
  FROM c ORDER BY i DESC LIMIT 1;
-- errors
SELECT pg_temp.err($$SELECT supplymkt.rfm_summary(order_time, amount, NULL) FROM cust_orders$$);
SELECT pg_temp.err($$SELECT supplymkt.rfm_summary(order_time, amount, order_time) FROM cust_orders$$);
SELECT pg_temp.err($$SELECT supplymkt.rfm_summary(t, 1, now()) FROM (VALUES ('infinity'::timestamptz)) v(t)$$);
SELECT pg_temp.err($$SELECT supplymkt.rfm_summary(now(), a, now()) FROM (VALUES (-0.01::float8)) v(a)$$);
SELECT pg_temp.err($$SELECT supplymkt.rfm_summary(now(), a, now()) FROM (VALUES ('NaN'::float8)) v(a)$$);
SELECT pg_temp.err($$SELECT supplymkt.rfm_summary(now(), 1, '-infinity')$$);
SELECT pg_temp.err($$SELECT supplymkt_internal.rfm_summary_final('{"state":"rfm_summary_state","version":1,"params":[0,0,0,0],"rows":1,"values":[0.5,1]}')$$);
SELECT pg_temp.err($$SELECT supplymkt_internal.rfm_summary_final('{"state":"rfm_summary_state","version":1,"params":[0,0,0,0],"rows":1,"values":[0,-1]}')$$);
SELECT pg_temp.err($$SELECT supplymkt_internal.rfm_summary_final('{"state":"rfm_summary_state","version":1,"params":[],"rows":1,"values":[0,1]}')$$);
SELECT pg_temp.err($$SELECT supplymkt_internal.rfm_summary_final('{"state":"rfm_summary_state","version":1,"params":[1e300,0,0,0],"rows":1,"values":[0,1]}')$$);
-- version 2 holds times as exact int64: out-of-range times and fractional or missing values are rejected
SELECT pg_temp.err($$SELECT supplymkt_internal.rfm_summary_final('{"state":"rfm_summary_state","version":2,"params":[0],"rows":1,"values":[9223372036854775807,1]}')$$);
SELECT pg_temp.err($$SELECT supplymkt_internal.rfm_summary_final('{"state":"rfm_summary_state","version":2,"params":[0],"rows":1,"values":[0.5,1]}')$$);
SELECT pg_temp.err($$SELECT supplymkt_internal.rfm_summary_final('{"state":"rfm_summary_state","version":2,"params":[0],"rows":1,"values":[0,null]}')$$);
SELECT pg_temp.err($$SELECT supplymkt_internal.rfm_summary_final('{"state":"rfm_summary_state","version":2,"params":[1e300],"rows":1,"values":[0,1]}')$$);
-- times are exact to the microsecond over the whole timestamptz range (float8 would round these)
SELECT s.first_order, s.last_order
  FROM (SELECT (supplymkt.rfm_summary(t, 1, '200000-01-01 00:00:00.000009+00')).*
          FROM (VALUES ('200000-01-01 00:00:00.000001+00'::timestamptz), ('200000-01-01 00:00:00.000007+00')) AS v(t)) AS s;

-- ---------------------------------------------------------------------------------------------------------
-- rfm_breaks: ties kept together, score = 1 + floor(bins * (customers strictly worse) / customers)
-- ---------------------------------------------------------------------------------------------------------
-- 10 customers: recency 1..10 days (distinct), frequency 1 for 7 of them (heavily repeated), monetary with a
-- tie straddling the quintile boundaries (three customers at 50).
CREATE TABLE cust_rfm (customer int, recency float8, frequency float8, monetary float8);
INSERT INTO cust_rfm VALUES (1, 1, 1, 10), (2, 2, 1, 20), (3, 3, 4, 50), (4, 4, 1, 50), (5, 5, 2, 50),
                            (6, 6, 1, 60), (7, 7, 1, 70), (8, 8, 1, 80), (9, 9, 2, 90), (10, 10, 1, 100);
-- recency, worse = larger: w(10) = 0 ... w(1) = 9 -> scores 1,1,2,2,3,3,4,4,5,5 for recency 10..1; the least
--   good recency scoring >= 2 is 8, >= 3 is 6, >= 4 is 4, >= 5 is 2
-- frequency: w(1) = 0 -> F 1 (7 customers); w(2) = 7 -> 1 + floor(35 / 10) = 4; w(4) = 9 -> 5; score 2 and
--   3 are skipped: thresholds 2, 2, 2, 4
-- monetary: w(10) 0 -> 1, w(20) 1 -> 1, w(50) 2 -> 2 (all three), w(60) 5 -> 3, 70 -> 4 (w 6), 80 -> 4, 90 -> 5,
--   100 -> 5: thresholds 50, 60, 70, 90
SELECT supplymkt.rfm_breaks(recency, frequency, monetary) FROM cust_rfm;
SELECT supplymkt.rfm_breaks(recency, frequency, monetary, 2) AS halves, supplymkt.rfm_breaks(recency, frequency, monetary, 10) AS deciles
  FROM cust_rfm;
SELECT c.customer, (supplymkt.rfm_score(c.recency, c.frequency, c.monetary, b.breaks)).*
  FROM cust_rfm c, (SELECT supplymkt.rfm_breaks(recency, frequency, monetary) AS breaks FROM cust_rfm) b
 ORDER BY c.customer;
-- the scores equal the rank rule computed in plain SQL, for 2, 3, 5 and 10 bins
SELECT bins, bool_and(s.r = 1 + (bins * w.wr) / 10 AND s.f = 1 + (bins * w.wf) / 10 AND s.m = 1 + (bins * w.wm) / 10) AS rank_rule
  FROM (VALUES (2), (3), (5), (10)) AS v(bins)
 CROSS JOIN LATERAL (SELECT supplymkt.rfm_breaks(recency, frequency, monetary, bins) AS breaks FROM cust_rfm) b
 CROSS JOIN LATERAL (SELECT customer, rank() OVER (ORDER BY recency DESC) - 1 AS wr, rank() OVER (ORDER BY frequency) - 1 AS wf,
                            rank() OVER (ORDER BY monetary) - 1 AS wm, recency, frequency, monetary FROM cust_rfm) w
 CROSS JOIN LATERAL supplymkt.rfm_score(w.recency, w.frequency, w.monetary, b.breaks) s
 GROUP BY bins ORDER BY bins;
-- all customers equal: everyone scores 1, no threshold is reached; one customer alone scores 1 too
SELECT supplymkt.rfm_breaks(1, 1, 1) FROM generate_series(1, 4);
SELECT (supplymkt.rfm_score(7, 3, 9, supplymkt.rfm_breaks(7, 3, 9))).* FROM (SELECT 1) s;
-- new values score like the nearest data value on their worse side: recency 0 beats everyone, 11 is worst;
-- frequency 3 sits between 2 and 4; monetary 1e9 is top
SELECT v.recency, v.frequency, v.monetary, (supplymkt.rfm_score(v.recency, v.frequency, v.monetary, b.breaks)).*
  FROM (SELECT supplymkt.rfm_breaks(recency, frequency, monetary) AS breaks FROM cust_rfm) b,
       (VALUES (0::float8, 3::float8, 1e9::float8), (11, 0, 0), (5.5, 1.5, 55)) AS v(recency, frequency, monetary);
-- more than 9 bins: hyphenated code
SELECT (supplymkt.rfm_score(1, 4, 100, supplymkt.rfm_breaks(recency, frequency, monetary, 10))).code FROM cust_rfm;
-- NULL rows are skipped by the aggregate; NULL in means NULL out for rfm_score
SELECT supplymkt.rfm_breaks(r, f, m)::json ->> 'customers' AS customers
  FROM (VALUES (1::float8, 1::float8, 1::float8), (NULL, 2, 2), (3, NULL, 3), (4, 4, NULL)) v(r, f, m);
SELECT supplymkt.rfm_score(NULL, 1, 1, supplymkt.rfm_breaks(1, 1, 1)) IS NULL AS null_in_null_out;
-- errors
SELECT pg_temp.err($$SELECT supplymkt.rfm_breaks(recency, frequency, monetary, 1) FROM cust_rfm$$);
SELECT pg_temp.err($$SELECT supplymkt.rfm_breaks(recency, frequency, monetary, 101) FROM cust_rfm$$);
SELECT pg_temp.err($$SELECT supplymkt.rfm_breaks(recency, frequency, monetary, NULL) FROM cust_rfm$$);
SELECT pg_temp.err($$SELECT supplymkt.rfm_breaks(recency, frequency, monetary, customer % 2 + 3) FROM cust_rfm$$);
SELECT pg_temp.err($$SELECT supplymkt.rfm_breaks(recency, 'NaN', monetary) FROM cust_rfm$$);
SELECT pg_temp.err($$SELECT supplymkt.rfm_score(1, 1, 'Infinity', supplymkt.rfm_breaks(1, 1, 1))$$);

-- ---------------------------------------------------------------------------------------------------------
-- rfm_breaks as a value: JSON text and binary round trips, malformed input
-- ---------------------------------------------------------------------------------------------------------
CREATE TABLE cust_breaks AS
SELECT 1 AS i, supplymkt.rfm_breaks(recency, frequency, monetary) AS b FROM cust_rfm
UNION ALL SELECT 2, supplymkt.rfm_breaks(recency / 3, frequency, monetary * 1e-300, 7) FROM cust_rfm
UNION ALL SELECT 3, supplymkt.rfm_breaks(1, 1, 1);
SELECT i, b::text = b::text::supplymkt.rfm_breaks::text AS text_roundtrip, b::json -> 'monetary' AS monetary FROM cust_breaks ORDER BY i;
COPY cust_breaks TO '/tmp/supplymkt_customers_breaks.bin' (FORMAT binary);
CREATE TABLE cust_breaks2 (LIKE cust_breaks);
COPY cust_breaks2 FROM '/tmp/supplymkt_customers_breaks.bin' (FORMAT binary);
SELECT count(*) AS rows, bool_and(a.b::text = c.b::text) AS binary_roundtrip,
       bool_and(supplymkt_internal.rfm_breaks_send(a.b) = supplymkt_internal.rfm_breaks_send(c.b)) AS same_send_bytes
  FROM cust_breaks a JOIN cust_breaks2 c USING (i);
SELECT supplymkt_internal.rfm_breaks_send(b) FROM cust_breaks WHERE i = 3;
-- a hand-written value is accepted and used
SELECT (supplymkt.rfm_score(30, 2, 150, '{"version":1,"bins":3,"customers":100,"recency":[60,14],"frequency":[2,5],"monetary":[100,null]}')).*;
SELECT pg_temp.err($$SELECT ''::supplymkt.rfm_breaks$$);
SELECT pg_temp.err($$SELECT '[]'::supplymkt.rfm_breaks$$);
SELECT pg_temp.err($$SELECT '{"version":2,"bins":2,"customers":1,"recency":[1],"frequency":[1],"monetary":[1]}'::supplymkt.rfm_breaks$$);
SELECT pg_temp.err($$SELECT '{"version":1,"bins":1,"customers":1,"recency":[],"frequency":[],"monetary":[]}'::supplymkt.rfm_breaks$$);
SELECT pg_temp.err($$SELECT '{"version":1,"bins":3,"customers":1,"recency":[1],"frequency":[1,2],"monetary":[1,2]}'::supplymkt.rfm_breaks$$);
SELECT pg_temp.err($$SELECT '{"version":1,"bins":3,"customers":1,"recency":[2,1],"frequency":[null,2],"monetary":[1,2]}'::supplymkt.rfm_breaks$$);
SELECT pg_temp.err($$SELECT '{"version":1,"bins":3,"customers":1,"recency":[1,2],"frequency":[1,2],"monetary":[1,2]}'::supplymkt.rfm_breaks$$);
SELECT pg_temp.err($$SELECT '{"version":1,"bins":3,"customers":1,"recency":[2,1],"frequency":[2,1],"monetary":[1,2]}'::supplymkt.rfm_breaks$$);
SELECT pg_temp.err($$SELECT '{"version":1,"bins":3,"customers":1,"recency":[2,1],"frequency":[1,2],"monetary":[1,"NaN"]}'::supplymkt.rfm_breaks$$);
SELECT pg_temp.err($$SELECT '{"version":1,"bins":3,"customers":0,"recency":[2,1],"frequency":[1,2],"monetary":[1,2]}'::supplymkt.rfm_breaks$$);
SELECT pg_temp.err($$SELECT '{"version":1,"bins":3,"customers":1,"recency":[2,1],"frequency":[1,2],"monetary":[1,2],"m":1}'::supplymkt.rfm_breaks$$);
SELECT pg_temp.err($$SELECT '{"version":1,"bins":3,"customers":1,"recency":[2,1],"frequency":[1,2]}'::supplymkt.rfm_breaks$$);
SELECT pg_temp.err($$SELECT '{"version":1,"bins":3,"customers":1,"recency":[2,1],"frequency":[1,2],"monetary":[[1],2]}'::supplymkt.rfm_breaks$$);
-- malformed binary input
CREATE TABLE cust_bin (b supplymkt.rfm_breaks);
-- the payload goes out as a bytea field of a binary COPY file and is read back as rfm_breaks (binary COPY
-- hands a field's bytes to the column type's receive function)
CREATE FUNCTION pg_temp.recv(payload bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', payload, '/tmp/supplymkt_customers_recv.bin');
    DELETE FROM cust_bin;
    COPY cust_bin FROM '/tmp/supplymkt_customers_recv.bin' (FORMAT binary);
    RETURN 'accepted: ' || (SELECT b::text FROM cust_bin);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END;
$$;
SELECT supplymkt_internal.rfm_breaks_send(b) AS valid FROM cust_breaks WHERE i = 3 \gset
SELECT pg_temp.recv(:'valid');
SELECT pg_temp.recv(substr(:'valid'::bytea, 1, 10));
SELECT pg_temp.recv(:'valid'::bytea || '\x00'::bytea);
SELECT pg_temp.recv(overlay(:'valid'::bytea PLACING '\x02'::bytea FROM 1));
SELECT pg_temp.recv(overlay(:'valid'::bytea PLACING '\x00000065'::bytea FROM 2));
SELECT pg_temp.recv(overlay(:'valid'::bytea PLACING '\x00000005'::bytea FROM 14));
-- recency thresholds 1, 2 (must not increase); then a NaN threshold
SELECT pg_temp.recv('\x01'::bytea || int4send(3) || int8send(1) || int4send(2) || float8send(1) || float8send(2)
                    || int4send(0) || int4send(0));
SELECT pg_temp.recv('\x01'::bytea || int4send(3) || int8send(1) || int4send(1) || float8send('NaN')
                    || int4send(0) || int4send(0));

-- ---------------------------------------------------------------------------------------------------------
-- rfm_segments: the default mapping partitions the 25 (R, FM) cells; edits take effect; upsert on restore
-- ---------------------------------------------------------------------------------------------------------
-- breaks with thresholds at 1..5, so R = 6 - recency and F = M = frequency = monetary
CREATE TABLE cust_grid AS
SELECT r, fm, (supplymkt.rfm_score(6 - r, fm, fm, '{"version":1,"bins":5,"customers":25,"recency":[4,3,2,1],"frequency":[2,3,4,5],"monetary":[2,3,4,5]}')).segment
  FROM generate_series(1, 5) r, generate_series(1, 5) fm;
SELECT fm, string_agg(format('%s', segment), ' | ' ORDER BY r) AS "R = 1 | 2 | 3 | 4 | 5" FROM cust_grid GROUP BY fm ORDER BY fm DESC;
SELECT count(DISTINCT segment) AS segments, count(*) FILTER (WHERE segment IS NULL) AS unmapped_cells,
       (SELECT count(*) FROM supplymkt.rfm_segments) AS table_rows FROM cust_grid;
-- FM = floor((F + M) / 2): F 5, M 4 -> FM 4; F 1, M 2 -> FM 1
SELECT (supplymkt.rfm_score(1, 5, 4, '{"version":1,"bins":5,"customers":25,"recency":[4,3,2,1],"frequency":[2,3,4,5],"monetary":[2,3,4,5]}')).segment AS r5_f5_m4,
       (supplymkt.rfm_score(1, 1, 2, '{"version":1,"bins":5,"customers":25,"recency":[4,3,2,1],"frequency":[2,3,4,5],"monetary":[2,3,4,5]}')).segment AS r5_f1_m2;
-- 3 bins are scaled to the 1..5 grid: 1 -> 1, 2 -> 3, 3 -> 5
SELECT (supplymkt.rfm_score(r, f, f, '{"version":1,"bins":3,"customers":9,"recency":[2,1],"frequency":[2,3],"monetary":[2,3]}')).*
  FROM (VALUES (1, 3), (2, 2), (3, 1)) v(r, f);
-- an edit is seen by the next statement, in the same transaction too
BEGIN;
UPDATE supplymkt.rfm_segments SET priority = 0, r_min = 1, fm_min = 1 WHERE segment = 'Champions';
SELECT count(*) FILTER (WHERE s.segment = 'Champions') AS champions_everywhere
  FROM cust_grid g, supplymkt.rfm_score(6 - g.r, g.fm, g.fm, '{"version":1,"bins":5,"customers":25,"recency":[4,3,2,1],"frequency":[2,3,4,5],"monetary":[2,3,4,5]}') s;
DELETE FROM supplymkt.rfm_segments;
SELECT (supplymkt.rfm_score(1, 1, 1, supplymkt.rfm_breaks(1, 1, 1))).segment IS NULL AS no_rows_no_segment;
ROLLBACK;
-- what pg_dump's data section does on restore (the default rows already exist): the edited row replaces them
BEGIN;
INSERT INTO supplymkt.rfm_segments VALUES ('Lost', 3, 1, 2, 1, 1, 'edited by the user');
INSERT INTO supplymkt.rfm_segments VALUES ('VIP', 0, 5, 5, 5, 5, 'added by the user');
SELECT segment, priority, r_min, r_max, fm_min, fm_max, description FROM supplymkt.rfm_segments
 WHERE segment IN ('Lost', 'VIP') ORDER BY segment;
SELECT count(*) AS rows FROM supplymkt.rfm_segments;
ROLLBACK;
SELECT pg_temp.err($$INSERT INTO supplymkt.rfm_segments VALUES ('Bad', 1, 0, 5, 1, 5, 'x')$$);
SELECT pg_temp.err($$INSERT INTO supplymkt.rfm_segments VALUES ('Bad', 1, 3, 2, 1, 5, 'x')$$);
SELECT c.relname, has_table_privilege('public', c.oid, 'SELECT') AS public_select,
       c.oid = ANY (e.extconfig) AS dumped_with_data
  FROM pg_class c, pg_extension e WHERE c.oid = 'supplymkt.rfm_segments'::regclass AND e.extname = 'supplymkt';

-- ---------------------------------------------------------------------------------------------------------
-- clv_time_decay: sum of amount * 0.5 ^ (age_days / half_life)
-- ---------------------------------------------------------------------------------------------------------
-- 100 at age 0 -> 100; 80 at age 30 (one half-life) -> 40; 64 at 60 days -> 16; 10 at 45 days -> 10 / 2^1.5;
-- the future order and the NULL rows are left out: 156 + 3.5355339...
SELECT supplymkt.clv_time_decay(amount, order_time, '2024-06-30', 30) AS value,
       156 + 10 / 2 ^ 1.5 AS expected
  FROM (VALUES (100::float8, '2024-06-30'::timestamptz), (80, '2024-05-31'), (64, '2024-05-01'), (10, '2024-05-16'),
               (1000, '2024-07-01'), (NULL, '2024-06-01'), (5, NULL)) v(amount, order_time);
SELECT supplymkt.clv_time_decay(amount, order_time, '2024-06-30', 30) IS NULL AS only_future
  FROM (VALUES (1::float8, '2024-07-01'::timestamptz)) v(amount, order_time);
SELECT supplymkt_internal.clv_time_decay_transfn(NULL, 80, '2024-05-31', '2024-06-30', 30);
SELECT pg_temp.err($$SELECT supplymkt.clv_time_decay(1, now(), now(), 0)$$);
SELECT pg_temp.err($$SELECT supplymkt.clv_time_decay(1, now(), now(), 'Infinity')$$);
SELECT pg_temp.err($$SELECT supplymkt.clv_time_decay(1, now(), NULL, 30)$$);
SELECT pg_temp.err($$SELECT supplymkt.clv_time_decay(1, t, '2024-06-30', h) FROM (VALUES ('2024-01-01'::timestamptz, 30::float8), ('2024-01-02', 31)) v(t, h)$$);
SELECT pg_temp.err($$SELECT supplymkt.clv_time_decay(-5, now(), now(), 30)$$);
SELECT pg_temp.err($$SELECT supplymkt.clv_time_decay(1e308, t, '2024-06-30', 30) FROM (VALUES ('2024-06-30'::timestamptz), ('2024-06-30')) v(t)$$);
SELECT pg_temp.err($$SELECT supplymkt_internal.time_decay_state_combine('{"state":"time_decay_state","version":1,"flags":1,"orders":1,"as_of":0,"value":1,"half_life_days":30}',
                                                              '{"state":"time_decay_state","version":1,"flags":1,"orders":1,"as_of":1,"value":1,"half_life_days":30}')$$);
SELECT pg_temp.err($$SELECT supplymkt_internal.clv_time_decay_final('{"state":"time_decay_state","version":1,"flags":1,"orders":-1,"as_of":0,"value":1,"half_life_days":30}')$$);
SELECT pg_temp.err($$SELECT supplymkt_internal.clv_time_decay_final('{"state":"time_decay_state","version":1,"flags":0,"orders":1,"as_of":0,"value":1,"half_life_days":30}')$$);

-- ---------------------------------------------------------------------------------------------------------
-- retention_cohorts
-- ---------------------------------------------------------------------------------------------------------
CREATE SCHEMA cust_src;
CREATE TABLE cust_src.orders (order_id bigint, customer_id bigint, order_time timestamptz, channel text);
INSERT INTO cust_src.orders VALUES
    -- January cohort: 1, 2, 3 (customer 1 twice in January)
    (1, 1, '2024-01-05 10:00+00', 'web'), (2, 1, '2024-01-20 10:00+00', 'web'), (3, 2, '2024-01-31 23:30+00', 'app'),
    (4, 3, '2024-01-10 10:00+00', 'web'),
    -- February: 1 and 2 come back, 4 is new
    (5, 1, '2024-02-02 10:00+00', 'web'), (6, 2, '2024-02-15 10:00+00', 'web'), (7, 4, '2024-02-20 10:00+00', 'app'),
    -- March: nobody of January; 4 comes back
    (8, 4, '2024-03-03 10:00+00', 'web'),
    -- April: 3 comes back after two months away; 1 orders twice
    (9, 3, '2024-04-04 10:00+00', 'web'), (10, 1, '2024-04-05 10:00+00', 'web'), (11, 1, '2024-04-06 10:00+00', 'web'),
    -- left out: NULL customer, NULL time, infinite time
    (12, NULL, '2024-03-01 10:00+00', 'web'), (13, 5, NULL, 'web'), (14, 6, 'infinity', 'web');
-- January (3 customers): Feb 2 active (2/3, mom 2/3), Mar 0 (0, mom 0), Apr 2 (1, 2/3; mom NULL after an empty month)
-- February (customer 4): Mar 1, Apr 0 (mom 0); offsets stop at the last month with orders (April)
SELECT * FROM supplymkt.retention_cohorts('cust_src', 12, 'UTC');
SELECT * FROM supplymkt.retention_cohorts('cust_src', 1, 'UTC');
-- in Tokyo, order 3 (Jan 31 23:30 UTC) falls in February: customer 2 joins the February cohort
SELECT cohort_month, month_offset, cohort_customers, active_customers FROM supplymkt.retention_cohorts('cust_src', 1, 'Asia/Tokyo');
-- the same numbers from plain SQL
WITH m AS (SELECT DISTINCT customer_id, date_trunc('month', order_time AT TIME ZONE 'UTC')::date AS month
             FROM cust_src.orders WHERE customer_id IS NOT NULL AND isfinite(order_time)),
     c AS (SELECT customer_id, min(month) AS cohort FROM m GROUP BY 1)
SELECT bool_and(r.active_customers = (SELECT count(*) FROM m JOIN c USING (customer_id)
                                      WHERE c.cohort = r.cohort_month AND m.month = (r.cohort_month + r.month_offset * interval '1 month')::date)
                AND r.cohort_customers = (SELECT count(*) FROM c WHERE c.cohort = r.cohort_month)) AS matches_plain_sql,
       count(*) AS rows
  FROM supplymkt.retention_cohorts('cust_src') r;
SELECT pg_temp.err($$SELECT * FROM supplymkt.retention_cohorts(NULL)$$);
SELECT pg_temp.err($$SELECT * FROM supplymkt.retention_cohorts('cust_src', -1)$$);
SELECT pg_temp.err($$SELECT * FROM supplymkt.retention_cohorts('no_such_schema')$$);
SELECT pg_temp.err($$SELECT * FROM supplymkt.retention_cohorts('public')$$);
SELECT pg_temp.err($$SELECT * FROM supplymkt.retention_cohorts('cust_src', 12, 'Mars/Olympus_Mons')$$);
CREATE SCHEMA cust_bad;
CREATE TABLE cust_bad.orders (order_id bigint, order_time timestamptz);
SELECT pg_temp.err($$SELECT * FROM supplymkt.retention_cohorts('cust_bad')$$);

-- clean up
DROP SCHEMA cust_src CASCADE;
DROP SCHEMA cust_bad CASCADE;
DROP TABLE cust_orders, cust_states, cust_rfm, cust_breaks, cust_breaks2, cust_bin, cust_grid;
