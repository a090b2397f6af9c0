-- State types: exact text round-trip, binary COPY round-trip, and malformed input rejected cleanly.
SET extra_float_digits = 0;
CREATE TABLE states AS
SELECT supplymkt_internal.inventory_turnover_transfn(supplymkt_internal.inventory_turnover_transfn(NULL, 0.1, 1/3.0), 1e-300, 7) AS t,
       supplymkt_internal.stockout_rate_transfn(NULL, 0) AS s,
       supplymkt_internal.fill_rate_transfn(NULL, 3, 2) AS f,
       supplymkt_internal.sell_through_rate_transfn(NULL, 1, NULL) AS st,
       supplymkt_internal.renewal_rate_transfn(NULL, '2024-01-05', '2024-01-01', '2024-01-31') AS r,
       supplymkt_internal.demand_cv_transfn(supplymkt_internal.demand_cv_transfn(NULL, 2), 1/7.0) AS v,
       supplymkt_internal.assortment_diversity_transfn(supplymkt_internal.assortment_diversity_transfn(NULL, 'x'), 'y') AS d;
SELECT t, s, f, st, r, v, d FROM states;
-- text round-trips bit for bit
SELECT t::text = t::text::supplymkt.turnover_state::text AS t_ok, s::text = s::text::supplymkt.stockout_state::text AS s_ok,
       f::text = f::text::supplymkt.fill_rate_state::text AS f_ok, st::text = st::text::supplymkt.sell_through_state::text AS st_ok,
       r::text = r::text::supplymkt.renewal_state::text AS r_ok, v::text = v::text::supplymkt.variability_state::text AS v_ok,
       d::text = d::text::supplymkt.diversity_state::text AS d_ok
  FROM states;
-- binary round-trip through COPY
COPY states TO '/tmp/supplymkt_state_io.bin' (FORMAT binary);
CREATE TABLE states2 (LIKE states);
COPY states2 FROM '/tmp/supplymkt_state_io.bin' (FORMAT binary);
SELECT (SELECT row(t, s, f, st, r, v, d)::text FROM states) = (SELECT row(t, s, f, st, r, v, d)::text FROM states2) AS binary_roundtrip;
-- combine works on states built outside an aggregate and does not modify its inputs
SELECT supplymkt_internal.turnover_state_combine(t, t), t FROM states;
SELECT supplymkt_internal.inventory_turnover_final(supplymkt_internal.turnover_state_combine(t, t)) FROM states;
SELECT supplymkt_internal.diversity_state_combine(d, d) FROM states;
-- malformed input: clean errors with SQLSTATE
\set VERBOSITY sqlstate
SELECT ''::supplymkt.turnover_state;
SELECT '{}'::supplymkt.turnover_state;
SELECT '[1]'::supplymkt.turnover_state;
SELECT '{"state":"turnover_state","version":2,"flags":0,"n_cogs":0,"n_inventory":0,"sum_cogs":0,"sum_inventory":0}'::supplymkt.turnover_state;
SELECT '{"state":"turnover_state","version":1,"flags":0,"n_cogs":0,"n_inventory":0,"sum_cogs":0,"sum_inventory":0,"extra":1}'::supplymkt.turnover_state;
SELECT '{"state":"turnover_state","version":1,"flags":0,"n_cogs":0,"n_inventory":0,"sum_cogs":1,"sum_inventory":0}'::supplymkt.turnover_state;
SELECT '{"state":"turnover_state","version":1,"flags":0,"n_cogs":1,"n_inventory":1,"sum_cogs":"NaN","sum_inventory":0}'::supplymkt.turnover_state;
SELECT '{"state":"turnover_state","version":1,"version":1}'::supplymkt.turnover_state;
SELECT '{"state":"stockout_state","version":1,"flags":0,"n_snapshots":1,"n_stockouts":2}'::supplymkt.stockout_state;
SELECT '{"state":"fill_rate_state","version":1,"flags":0,"n_lines":1,"sum_demanded":1,"sum_fulfilled":2}'::supplymkt.fill_rate_state;
SELECT '{"state":"renewal_state","version":1,"flags":1,"n_assortment":1,"n_new":0,"period_start":10,"period_end":5}'::supplymkt.renewal_state;
SELECT '{"state":"diversity_state","version":1,"total":2,"keys":[1,1],"counts":[1,1]}'::supplymkt.diversity_state;
SELECT '{"state":"diversity_state","version":1,"total":3,"keys":[1,2],"counts":[1,1]}'::supplymkt.diversity_state;
SELECT '{"state":"diversity_state","version":1,"total":0,"keys":[1],"counts":[0]}'::supplymkt.diversity_state;
SELECT '{"state":"diversity_state","version":1,"total":1,"keys":[[1]],"counts":[1]}'::supplymkt.diversity_state;
SELECT '{"state":"diversity_state","version":1,"total":1,"keys":[-1],"counts":[1]}'::supplymkt.diversity_state;
\set VERBOSITY default
