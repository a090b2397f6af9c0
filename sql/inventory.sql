-- Inventory policy functions (src/inventory/policy.c): closed forms on textbook numbers, NULL rules, errors.
-- test/inventory_oracle.py checks them against scipy on grids.

-- EOQ: D = 1000 units/year, S = 10 per order, H = 0.50 per unit-year: Q* = sqrt(2 x 1000 x 10 / 0.5) = 200,
-- and at Q* ordering and holding cost the same (50 + 50)
SELECT supplymkt.eoq(1000, 10, 0.5) AS eoq, supplymkt.eoq_total_cost(1000, 10, 0.5, 200) AS cost_at_eoq,
       supplymkt.eoq_total_cost(1000, 10, 0.5, 100) AS cost_at_100, supplymkt.eoq(0, 10, 0.5) AS no_demand;

-- safety stock: 50 units/day (sd 10), lead time 4 days fixed, 95 %: 1.644854 x 10 x sqrt(4) = 32.897
-- with lead-time sd 1 day: 1.644854 x sqrt(4 x 100 + 2500 x 1) = 88.578; reorder point = 200 + that
SELECT round(supplymkt.safety_stock(50, 10, 4, 0, 0.95)::numeric, 3) AS fixed_lead_time,
       round(supplymkt.safety_stock(50, 10, 4, 1, 0.95)::numeric, 3) AS variable_lead_time,
       round(supplymkt.reorder_point(50, 10, 4, 1, 0.95)::numeric, 3) AS reorder_point,
       round(supplymkt.safety_stock(50, 10, 4, 0, 0.4)::numeric, 3) AS below_half_is_negative,
       supplymkt.safety_stock(50, 0, 4, 0, 0.99) AS certain_demand;

-- fill rate: sigma_L = 20, Q = 200, 99 % fill: G(k) = 0.01 x 200 / 20 = 0.1 -> k = 0.902346 -> 18.047
SELECT round(supplymkt.safety_stock_fill_rate(50, 10, 4, 0, 0.99, 200)::numeric, 3) AS fill_99,
       round(supplymkt.normal_loss(0.902346)::numeric, 6) AS g_at_k,
       round(supplymkt.safety_stock_fill_rate(50, 10, 4, 0, 0.5, 200)::numeric, 3) AS negative_when_q_suffices,
       supplymkt.safety_stock_fill_rate(50, 0, 4, 0, 0.99, 200) AS certain_demand;

-- periodic review: R = 7, L = 4: 50 x 11 + 1.644854 x 10 x sqrt(11) = 604.554
SELECT round(supplymkt.order_up_to_level(50, 10, 7, 4, 0, 0.95)::numeric, 3) AS order_up_to;

-- newsvendor: mean 100, sd 20, price 10, cost 4, salvage 1: ratio 6 / 9, z = 0.430727 -> 108.615;
-- the same from costs (overage 3, underage 6); Poisson mean 5: F(5) = 0.616 < 2/3 <= F(6) = 0.762 -> 6
SELECT round(supplymkt.newsvendor_quantity(100, 20, 10, 4, 1)::numeric, 3) AS normal,
       round(supplymkt.newsvendor_quantity_by_cost(100, 20, 3, 6)::numeric, 3) AS by_cost,
       supplymkt.newsvendor_quantity(5, NULL, 10, 4, 1, 'poisson') AS poisson,
       supplymkt.newsvendor_quantity(100, 20, 4, 4) AS no_margin,
       supplymkt.newsvendor_quantity(100, 0, 10, 4) AS certain_demand,
       supplymkt.newsvendor_quantity_by_cost(100, 20, 3, 0) AS shortage_free;

-- expected cost: at the newsvendor quantity the cost is lowest; normal G form, Poisson exact
SELECT round(supplymkt.expected_inventory_cost(108.615, 100, 20, 3, 6)::numeric, 4) AS at_optimum,
       supplymkt.expected_inventory_cost(100, 100, 20, 3, 6) > supplymkt.expected_inventory_cost(108.615, 100, 20, 3, 6) AS lower_is_worse,
       supplymkt.expected_inventory_cost(120, 100, 20, 3, 6) > supplymkt.expected_inventory_cost(108.615, 100, 20, 3, 6) AS higher_is_worse,
       round(supplymkt.expected_inventory_cost(6, 5, NULL, 3, 6, 'poisson')::numeric, 6) AS poisson_6,
       round(supplymkt.expected_inventory_cost(6.5, 5, NULL, 3, 6, 'poisson')::numeric, 6) AS poisson_6_5,
       supplymkt.expected_inventory_cost(0, 0, NULL, 3, 6, 'poisson') AS nothing;
-- Poisson mean 5, Q = 6, by direct sums of the pmf
SELECT round((3 * sum(greatest(6 - d, 0) * p) + 6 * sum(greatest(d - 6, 0) * p))::numeric, 6) AS poisson_6_by_sums
  FROM (SELECT d, exp(-5 + d * ln(5) - ln(factorial(d)::float8)) AS p FROM generate_series(0, 60) AS d) AS pmf;

-- NULL in, NULL out (Poisson takes demand_sd NULL)
SELECT supplymkt.eoq(NULL, 10, 0.5) IS NULL AS eoq_null, supplymkt.safety_stock(50, NULL, 4, 0, 0.95) IS NULL AS ss_null,
       supplymkt.newsvendor_quantity(100, NULL, 10, 4) IS NULL AS normal_needs_sd,
       supplymkt.newsvendor_quantity(100, 20, 10, 4, 1, NULL) IS NULL AS no_distribution,
       supplymkt.expected_inventory_cost(NULL, 100, 20, 3, 6) IS NULL AS cost_null;

-- errors (22023 with a hint; 22003 for overflow)
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END;
$$;
SELECT pg_temp.error_of(s) FROM unnest(ARRAY[
    'SELECT supplymkt.eoq(1000, 10, 0)',
    'SELECT supplymkt.eoq(-1, 10, 0.5)',
    'SELECT supplymkt.eoq(1e300, 1e300, 1e-300)',
    'SELECT supplymkt.eoq_total_cost(1000, 10, 0.5, 0)',
    'SELECT supplymkt.safety_stock(50, 10, 4, 0, 1)',
    'SELECT supplymkt.safety_stock(50, 10, 4, 0, 0)',
    'SELECT supplymkt.safety_stock(50, -10, 4, 0, 0.95)',
    'SELECT supplymkt.safety_stock(50, 10, 4, 0, ''NaN'')',
    'SELECT supplymkt.safety_stock_fill_rate(50, 10, 4, 0, 0.99, 0)',
    'SELECT supplymkt.order_up_to_level(50, 10, 0, 4, 0, 0.95)',
    'SELECT supplymkt.newsvendor_quantity(100, 20, 10, 4, 4)',
    'SELECT supplymkt.newsvendor_quantity(100, 20, 10, 4, 1, ''gamma'')',
    'SELECT supplymkt.newsvendor_quantity(100, 20, 10, 4, 1, ''poisson'')',
    'SELECT supplymkt.newsvendor_quantity(2e9, NULL, 10, 4, 1, ''poisson'')',
    'SELECT supplymkt.newsvendor_quantity_by_cost(100, 20, 0, 6)',
    'SELECT supplymkt.expected_inventory_cost(-1, 100, 20, 3, 6)',
    'SELECT supplymkt.normal_loss(''Infinity'')']) AS s;

-- replenishment_plan: six products, on hand 20, holding 0.5 and shortage 4 per unit
CREATE TABLE plan_products AS
SELECT i::bigint AS product_id, 50.0 + i AS demand_mean, 10.0 + i / 2.0 AS demand_sd, 20.0::float8 AS on_hand,
       2.0 + i % 5 AS unit_cost FROM generate_series(1, 6) AS i;
-- no budget: every product's newsvendor order (critical ratio 4 / 4.5)
SELECT o.product_id, round(o.order_qty::numeric, 4) AS order_qty,
       round((supplymkt.newsvendor_quantity_by_cost(p.demand_mean, p.demand_sd, 0.5, 4) - 20)::numeric, 4) AS newsvendor_order
  FROM supplymkt.replenishment_orders((SELECT supplymkt.replenishment_plan(product_id, demand_mean, demand_sd, on_hand, unit_cost, 0.5, 4, NULL)
                                         FROM plan_products)) AS o
  JOIN plan_products AS p USING (product_id) ORDER BY 1;
-- a budget of 300: spent in full, the cheaper products first where it saves most; its shadow price is the
-- expected cost saved per unit of extra budget
SELECT j ->> 'status' AS status, j -> 'binding' AS binding, round((j ->> 'budget_used')::numeric, 6) AS used,
       round((j ->> 'budget_shadow_price')::numeric, 3) AS shadow_price,
       (j ->> 'expected_cost')::float8 < (j ->> 'cost_without_orders')::float8 AS saves,
       abs((j ->> 'objective')::float8 - (j ->> 'expected_cost')::float8) < 0.01 * (j ->> 'expected_cost')::float8 AS chords_close
  FROM (SELECT supplymkt.replenishment_plan(product_id, demand_mean, demand_sd, on_hand, unit_cost, 0.5, 4, 300) AS j
          FROM plan_products) AS t;
-- packs of 12 and minimum orders of 30 (a MIP): whole packs, 0 or at least 30
SELECT j ->> 'solver' LIKE 'GLPK % MIP' AS mip, j ->> 'status' AS status,
       (SELECT bool_and(o.order_qty::numeric % 12 = 0 AND (o.order_qty = 0 OR o.order_qty >= 30))
          FROM supplymkt.replenishment_orders(j) AS o) AS packs_and_minimums,
       (j ->> 'budget_used')::float8 <= 300 AS within_budget, (j ->> 'capacity_used')::float8 <= 400 AS within_capacity
  FROM (SELECT supplymkt.replenishment_plan(product_id, demand_mean, demand_sd, on_hand, unit_cost, 0.5, 4, 12, 30, 1,
                                            supplymkt.replenishment_options(budget => 300, capacity => 400)) AS j
          FROM plan_products) AS t;
SELECT pg_temp.error_of(s) FROM unnest(ARRAY[
    'SELECT supplymkt.replenishment_plan(product_id, demand_mean, demand_sd, on_hand, unit_cost, 0.5, 4, NULL) FROM plan_products, generate_series(1, 2)',
    'SELECT supplymkt.replenishment_plan(product_id, demand_mean, -1, on_hand, unit_cost, 0.5, 4, NULL) FROM plan_products',
    'SELECT supplymkt.replenishment_plan(product_id, demand_mean, demand_sd, on_hand, unit_cost, 0, 4, NULL) FROM plan_products',
    'SELECT supplymkt.replenishment_plan(product_id, demand_mean, demand_sd, on_hand, unit_cost, 0.5, 4, -5) FROM plan_products',
    'SELECT supplymkt.replenishment_plan(product_id, demand_mean, demand_sd, on_hand, unit_cost, 0.5, 4, 0, 0, 1, supplymkt.replenishment_options(capacity => 10)) FROM plan_products',
    'SELECT supplymkt.replenishment_options(segments => 1)']) AS s;
