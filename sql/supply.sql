-- Supply-capability metrics: exact values on small hand-checked inputs, NULL and zero-denominator semantics.
SET extra_float_digits = 0;
CREATE TABLE snap (product int, cogs float8, inv float8, on_hand float8);
INSERT INTO snap VALUES (1, 10, 100, 5), (1, 20, 300, 0), (1, NULL, 200, -2),
                        (2, 5, 0, 0), (2, NULL, 0, NULL), (3, NULL, NULL, NULL);
-- turnover = sum(cogs) / avg(inventory): product 1 = 30 / 200 = 0.15; product 2 average 0 -> NULL;
-- product 3 has no values -> NULL; compare with the plain-SQL definition.
SELECT product, supplymkt.inventory_turnover(cogs, inv), sum(cogs) / nullif(avg(inv), 0) AS plain_sql,
       supplymkt.stockout_rate(on_hand)
  FROM snap GROUP BY product ORDER BY product;
SELECT supplymkt.inventory_turnover(cogs, inv) FROM snap WHERE false;

-- fill rate caps over-delivery: (8 + 10 + 0) / (10 + 10 + 5) = 0.72; lines with a NULL are skipped.
SELECT supplymkt.fill_rate(d, f) FROM (VALUES (10, 8), (10, 12), (5, 0), (NULL, 3), (4, NULL)) t(d, f);
SELECT supplymkt.fill_rate(d, f) FROM (VALUES (0, 0)) t(d, f);
-- sell-through: rows with a NULL are skipped, as in fill_rate: (7 + 5) / (10 + 0) = 1.2 (may exceed 1)
SELECT supplymkt.sell_through_rate(s, r) FROM (VALUES (7, 10), (5, 0), (NULL, 3), (2, NULL)) t(s, r);
-- retail sell-through: sold / (opening stock + received) = (7 + 5) / (4 + 10 + 6 + 0) = 0.6
SELECT supplymkt.sell_through_rate(s, o, r) FROM (VALUES (7, 4, 10), (5, 6, 0), (NULL, 1, 1), (1, NULL, 1)) t(s, o, r);
SELECT supplymkt.sell_through_rate(s, o, r) FROM (VALUES (3, 0, 0)) t(s, o, r);

-- renewal: assortment = listed by 2024-03-31 (4 items), new in Q1 = 2
SELECT supplymkt.renewal_rate(d, '2024-01-01', '2024-03-31')
  FROM (VALUES ('2023-06-01'::date), ('2023-12-31'), ('2024-01-01'), ('2024-03-31'), ('2024-04-01'), (NULL)) t(d);

-- demand CV: values 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample sd = sqrt(32/7)
SELECT round(supplymkt.demand_cv(x)::numeric, 12) AS cv, round((sqrt(32.0 / 7) / 5)::numeric, 12) AS expected
  FROM unnest(ARRAY[2, 4, 4, 4, 5, 5, 7, 9]) x;
SELECT supplymkt.demand_cv(x) FROM (VALUES (3.0)) t(x);
SELECT supplymkt.demand_cv(x) FROM (VALUES (0.0), (0.0)) t(x);

-- diversity: shares 1/2, 1/4, 1/4
SELECT categories, items, round(shannon::numeric, 12) AS shannon, simpson, hhi,
       round(effective_categories::numeric, 12) AS effective, round(evenness::numeric, 12) AS evenness
  FROM (SELECT (supplymkt.assortment_diversity(c)).* FROM (VALUES ('a'), ('a'), ('b'), ('c'), (NULL)) t(c)) s;
SELECT (supplymkt.assortment_diversity(c)).* FROM (VALUES ('only'), ('only')) t(c);
SELECT supplymkt.assortment_diversity(c) IS NULL AS empty_is_null FROM (VALUES (NULL::text)) t(c);

-- row functions
SELECT supplymkt.days_of_supply(30, 2), supplymkt.days_of_supply(0, 2), supplymkt.days_of_supply(-5, 2),
       supplymkt.days_of_supply(30, 0) IS NULL AS zero_demand_is_null;
SELECT cv, supplymkt.xyz_class(cv), supplymkt.xyz_class(cv, 0.2, 0.4)
  FROM unnest(ARRAY[0, 0.3, 0.5, 0.7, 1.0, 1.5]::float8[]) cv;
SELECT id, v, supplymkt.abc_class(v) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
  FROM (VALUES (1, 50.0), (2, 30), (3, 10), (4, 5), (5, 5), (6, NULL), (7, 0)) t(id, v) ORDER BY id;
SELECT g, v, supplymkt.abc_class(v, 0.5, 0.9) OVER (PARTITION BY g)
  FROM (VALUES (1, 90.0), (1, 10), (2, 1), (2, 1), (2, 1)) t(g, v) ORDER BY g, v DESC;
SELECT supplymkt.normalize_indicator(6, 0, 12), supplymkt.normalize_indicator(0.05, 0, 0.2, false),
       supplymkt.normalize_indicator(20, 0, 12), supplymkt.normalize_indicator(-1, 0, 1);

-- composite score: all indicators at their best is 100, at their worst 0, NULLs renormalise
SELECT supplymkt.supply_capability_score(12, 1, 0, 0.2, 1, 1, 0, 5) AS best,
       supplymkt.supply_capability_score(0, 0, 0.2, 0, 0, 0, 0.2, 1) AS worst,
       supplymkt.supply_capability_score(6, NULL, NULL, NULL, NULL) AS turnover_only;

-- errors users can cause, each with its SQLSTATE
\set VERBOSITY sqlstate
SELECT supplymkt.inventory_turnover(-1, 10);
SELECT supplymkt.inventory_turnover('NaN', 10);
SELECT supplymkt.stockout_rate('Infinity');
SELECT supplymkt.fill_rate(10, -1);
SELECT supplymkt.renewal_rate(current_date, NULL, '2024-01-01');
SELECT supplymkt.renewal_rate(current_date, '2024-02-01', '2024-01-01');
SELECT supplymkt.renewal_rate(d, d, d) FROM (VALUES ('2024-01-01'::date), ('2024-01-02')) t(d);
SELECT supplymkt.demand_cv(-3);
SELECT supplymkt.days_of_supply(1, -1);
SELECT supplymkt.xyz_class(0.3, 0.9, 0.5);
SELECT supplymkt.abc_class(v, 0.9, 0.5) OVER () FROM (VALUES (1.0)) t(v);
SELECT supplymkt.abc_class(v) OVER () FROM (VALUES (-1.0)) t(v);
SELECT supplymkt.normalize_indicator(1, 1, 1);
SELECT supplymkt.inventory_turnover(1e308, 1) FROM generate_series(1, 2);
\set VERBOSITY default
