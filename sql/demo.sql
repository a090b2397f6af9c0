-- generate_demo_data: a small deterministic world (200 customers, 50 products, 60 days, seed 7)
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 1;

-- returns 'ok' or the SQLSTATE and message of the error a statement raises
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- md5 of a table's rows in a fixed order
CREATE FUNCTION pg_temp.table_md5(s text, t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    EXECUTE format('SELECT md5(string_agg(x::text, E''\n'' ORDER BY x::text COLLATE "C")) FROM %I.%I x', s, t)
        INTO result;
    RETURN result;
END
$$;

SELECT * FROM supplymkt.generate_demo_data('demo_a', customers => 200, products => 50, days => 60, seed => 7);

-- exactly the canonical columns and types of DESIGN.md
SELECT c.relname,
       string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) AS columns
  FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'demo_a'::regnamespace AND c.relkind = 'r'
 GROUP BY c.relname
 ORDER BY c.relname;

-- primary keys, and every table analyzed
SELECT conrelid::regclass AS tab, pg_get_constraintdef(oid) AS key
  FROM pg_constraint WHERE connamespace = 'demo_a'::regnamespace ORDER BY 1::text;
SELECT c.relname AS not_analyzed
  FROM pg_class c
 WHERE c.relnamespace = 'demo_a'::regnamespace AND c.relkind = 'r'
   AND NOT EXISTS (SELECT 1 FROM pg_statistic s WHERE s.starelid = c.oid);

-- the data pinned: any change to the generator shows up here
SELECT t AS relation, pg_temp.table_md5('demo_a', t) AS md5
  FROM unnest(ARRAY['customers', 'products', 'orders', 'order_items', 'inventory_snapshots', 'suppliers',
                    'purchase_orders', 'shipments', 'returns', 'reviews', 'depots', 'marketing_spend',
                    'touchpoints', 'events', 'experiments']) AS t;

SELECT * FROM demo_a.depots ORDER BY depot_id;
SELECT * FROM demo_a.suppliers ORDER BY supplier_id LIMIT 5;
SELECT * FROM demo_a.orders ORDER BY order_id LIMIT 5;
SELECT * FROM demo_a.order_items ORDER BY order_id, product_id LIMIT 8;

-- the same seed gives identical data; another seed gives other data
SELECT * FROM supplymkt.generate_demo_data('demo_b', customers => 200, products => 50, days => 60, seed => 7);
SELECT * FROM supplymkt.generate_demo_data('demo_c', customers => 200, products => 50, days => 60, seed => 8);
SELECT t AS relation,
       pg_temp.table_md5('demo_a', t) = pg_temp.table_md5('demo_b', t) AS same_seed_identical,
       pg_temp.table_md5('demo_a', t) = pg_temp.table_md5('demo_c', t) AS other_seed_identical
  FROM unnest(ARRAY['customers', 'products', 'orders', 'order_items', 'inventory_snapshots', 'suppliers',
                    'purchase_orders', 'shipments', 'returns', 'reviews', 'depots', 'marketing_spend',
                    'touchpoints', 'events', 'experiments']) AS t;

-- demo_relation returns the same rows as the table
SELECT md5(string_agg(x::text, E'\n' ORDER BY x::text COLLATE "C")) = pg_temp.table_md5('demo_a', 'orders')
         AS srf_matches_table
  FROM supplymkt.demo_relation('orders', 200, 50, 60, 7, '2024-01-01')
         AS x(order_id bigint, customer_id bigint, order_time timestamptz, channel text);

-- the generating process, checked against plain SQL
SELECT count(*) AS customers_first_order_not_at_signup
  FROM demo_a.customers c
  JOIN (SELECT customer_id, min(order_time) AS first FROM demo_a.orders GROUP BY 1) o USING (customer_id)
 WHERE o.first::date <> c.signup_date;
SELECT count(*) AS customers_without_orders
  FROM demo_a.customers c WHERE NOT EXISTS (SELECT 1 FROM demo_a.orders o WHERE o.customer_id = c.customer_id);
SELECT (SELECT count(*) FROM demo_a.order_items i WHERE NOT EXISTS (SELECT 1 FROM demo_a.orders o WHERE o.order_id = i.order_id)) AS orphan_items,
       (SELECT count(*) FROM demo_a.order_items i WHERE NOT EXISTS (SELECT 1 FROM demo_a.products p WHERE p.product_id = i.product_id)) AS orphan_item_products,
       (SELECT count(*) FROM demo_a.orders o WHERE NOT EXISTS (SELECT 1 FROM demo_a.customers c WHERE c.customer_id = o.customer_id)) AS orphan_orders,
       (SELECT count(*) FROM demo_a.products p WHERE NOT EXISTS (SELECT 1 FROM demo_a.suppliers s WHERE s.supplier_id = p.supplier_id)) AS orphan_products,
       (SELECT count(*) FROM demo_a.shipments s WHERE NOT EXISTS (SELECT 1 FROM demo_a.depots d WHERE d.depot_id = s.depot_id)) AS orphan_shipments,
       (SELECT count(*) FROM demo_a.orders o WHERE NOT EXISTS (SELECT 1 FROM demo_a.shipments s WHERE s.order_id = o.order_id)) AS orders_without_shipment;
SELECT count(*) FILTER (WHERE on_hand = 0) > 0 AS has_stockouts,
       bool_and(inventory_value = on_hand * p.unit_cost) AS value_is_on_hand_times_cost
  FROM demo_a.inventory_snapshots s JOIN demo_a.products p USING (product_id);
SELECT count(*) FILTER (WHERE delivered_time::date > promised_date) > 0 AS has_late_deliveries,
       bool_and(shipped_time >= o.order_time) AS shipped_after_order,
       bool_and(delivered_time > shipped_time) AS delivered_after_shipping
  FROM demo_a.shipments s JOIN demo_a.orders o USING (order_id);
SELECT bool_and(unit_price > unit_cost) AS price_above_cost,
       count(*) FILTER (WHERE first_listed < '2024-01-01') > count(*) / 2 AS majority_listed_before_start
  FROM demo_a.products;
SELECT min(order_time) >= '2024-01-01' AND max(order_time) < '2024-03-01' AS orders_in_period FROM demo_a.orders;
SELECT bool_and(rating BETWEEN 1 AND 5) AS ratings_in_range FROM demo_a.reviews;
SELECT event_type, count(*) > 0 AS present FROM demo_a.events GROUP BY 1 ORDER BY 1;

-- arguments are validated
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data(NULL)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_x', customers => NULL)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('')$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('supplymkt')$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_x', customers => 0)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_x', customers => 10000001)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_x', products => -1)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_x', products => 1000001)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_x', days => 0)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_x', days => 3661)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_x', products => 100000, days => 3000)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_x', customers => 10000000, days => 400)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_x', start_date => 'infinity')$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_x', start_date => '1800-01-01')$$);
SELECT count(*) AS schema_left_behind FROM pg_namespace WHERE nspname = 'demo_x';

-- existing relations: a clean error unless replace => true, which recreates just the 15 relations
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_a', customers => 200, products => 50, days => 60, seed => 7)$$);
CREATE TABLE demo_b.keep_me (x int);
CREATE VIEW demo_b.events AS SELECT 1 AS x;  -- fails: events exists
DROP TABLE demo_b.events;
CREATE VIEW demo_b.events AS SELECT 1 AS x;
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_b', customers => 200, products => 50, days => 60, seed => 7)$$);
SELECT * FROM supplymkt.generate_demo_data('demo_b', customers => 200, products => 50, days => 60, seed => 7, replace => true);
SELECT pg_temp.table_md5('demo_a', 'events') = pg_temp.table_md5('demo_b', 'events') AS replaced_identical,
       to_regclass('demo_b.keep_me') IS NOT NULL AS other_tables_kept;
-- replace never cascades: objects built on the demo relations must be dropped first
CREATE VIEW demo_b.big_orders AS SELECT * FROM demo_b.orders;
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.generate_demo_data('demo_b', customers => 200, products => 50, days => 60, seed => 7, replace => true)$$);
SELECT to_regclass('demo_b.big_orders') IS NOT NULL AS dependent_view_kept;

-- the helper functions validate their own inputs
SELECT count(*) FROM supplymkt.demo_relation(NULL, 200, 50, 60, 7, '2024-01-01') AS x(a bigint);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.demo_relation('nope', 200, 50, 60, 7, '2024-01-01') AS x(a bigint)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.demo_relation('depots', 200, 50, 60, 7, '2024-01-01') AS x(a bigint)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.demo_relation('depots', 200, 50, 60, 7, '2024-01-01') AS x(a int, b text, c float8, d float8, e int, f int)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.demo_relation('products', 200, 50, 60, 7, '2024-01-01') AS x(a bigint, b text, c date, d numeric(5,2), e numeric, f bigint)$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.demo_relation('depots', 200, 50, 60, 7, '2024-01-01')$$);
SELECT pg_temp.error_of($$SELECT supplymkt.demo_relation('depots', 200, 50, 60, 7, '2024-01-01')$$);
SELECT pg_temp.error_of($$SELECT * FROM supplymkt.demo_relation('depots', -5, 50, 60, 7, '2024-01-01') AS x(a bigint)$$);
SELECT pg_temp.error_of($$SELECT supplymkt.demo_fill('demo_a.depots', 'depots', 200, 50, 60, 7, '2024-01-01')$$);
SELECT pg_temp.error_of($$SELECT supplymkt.demo_fill('pg_class', 'depots', 200, 50, 60, 7, '2024-01-01')$$);
SELECT pg_temp.error_of($$SELECT supplymkt.demo_fill(0, 'depots', 200, 50, 60, 7, '2024-01-01')$$);
SELECT pg_temp.error_of($$SELECT supplymkt.demo_fill('demo_b.events', 'depots', 200, 50, 60, 7, '2024-01-01')$$);
BEGIN;
CREATE TABLE demo_a.fresh (depot_id bigint, name text, lat float8, lon float8, vehicles int, vehicle_capacity int);
SELECT supplymkt.demo_fill('demo_a.fresh', 'depots', 200, 50, 60, 7, '2024-01-01') AS rows_written;
SELECT count(*) FROM demo_a.fresh;
SELECT pg_temp.error_of($$SELECT supplymkt.demo_fill('demo_a.fresh', 'customers', 200, 50, 60, 7, '2024-01-01')$$);
CREATE TABLE demo_a.fresh_pk (depot_id bigint PRIMARY KEY, name text, lat float8, lon float8, vehicles int, vehicle_capacity int);
SELECT pg_temp.error_of($$SELECT supplymkt.demo_fill('demo_a.fresh_pk', 'depots', 200, 50, 60, 7, '2024-01-01')$$);
CREATE TABLE demo_a.fresh_typmod (depot_id bigint, name text, lat float8, lon float8, vehicles int, vehicle_capacity int);
ALTER TABLE demo_a.fresh_typmod ALTER COLUMN name TYPE varchar(3);
SELECT pg_temp.error_of($$SELECT supplymkt.demo_fill('demo_a.fresh_typmod', 'depots', 200, 50, 60, 7, '2024-01-01')$$);
CREATE TABLE demo_a.fresh_nn (depot_id bigint NOT NULL, name text, lat float8, lon float8, vehicles int, vehicle_capacity int);
SELECT pg_temp.error_of($$SELECT supplymkt.demo_fill('demo_a.fresh_nn', 'depots', 200, 50, 60, 7, '2024-01-01')$$);
ROLLBACK;

SET client_min_messages = warning;
DROP SCHEMA demo_a, demo_b, demo_c CASCADE;
