-- State types: exact text round-trip, binary COPY round-trip, and malformed input rejected cleanly.
SET extra_float_digits = 0;
CREATE TABLE states AS
SELECT supplymkt_internal.inventory_turnover_transfn(supplymkt_internal.inventory_turnover_transfn(NULL, 0.1, 1/3.0), 1e-300, 7) AS t,
       supplymkt_internal.stockout_rate_transfn(NULL, 0) AS s,
       supplymkt_internal.fill_rate_transfn(NULL, 3, 2) AS f,
       supplymkt_internal.sell_through_rate_transfn(NULL, 1, 0) AS st,
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

CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- Row-buffer states written by supplymkt 0.1.0 (version 1: every slot a float8, -1 for no value) are read by
-- every later version: as text, as binary (COPY), and as the stored datum itself (a value in a table written
-- by the 0.1.0 library; its bytes are put in place with a binary-coercible cast from a bytea-like type).
-- Each must read back equal to the same state built today (version 2).
CREATE TYPE pg_temp.raw8;
CREATE FUNCTION pg_temp.raw8_in(cstring) RETURNS pg_temp.raw8 LANGUAGE internal IMMUTABLE STRICT AS 'byteain';
CREATE FUNCTION pg_temp.raw8_out(pg_temp.raw8) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'byteaout';
CREATE TYPE pg_temp.raw8 (INPUT = pg_temp.raw8_in, OUTPUT = pg_temp.raw8_out, INTERNALLENGTH = VARIABLE, ALIGNMENT = double);
CREATE CAST (pg_temp.raw8 AS supplymkt.assoc_rules_state) WITHOUT FUNCTION;
CREATE CAST (pg_temp.raw8 AS supplymkt.clv_fit_state) WITHOUT FUNCTION;
CREATE CAST (pg_temp.raw8 AS supplymkt.item_similarity_state) WITHOUT FUNCTION;
CREATE CAST (pg_temp.raw8 AS supplymkt.rfm_summary_state) WITHOUT FUNCTION;
CREATE TABLE v1_states (name text, typ text, v1_text text, v1_datum text, v1_send bytea, today text);
INSERT INTO v1_states VALUES
    ('rfm', 'rfm_summary_state', '{"state":"rfm_summary_state","version":1,"params":[770515200000000],"rows":2,"values":[757479845000007,10.5,757296000000000,2]}',
     '\x010001000200000000000000020000000000000002000000000000000200000000000000000052663ce605430000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000389aaf2864870543000000000000254000008fb80d8605430000000000000040',
     '\x01000100000002000000004305e63c665200000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000200000000000000024305876428af9a3840250000000000004305860db88f00004000000000000000',
     (supplymkt_internal.rfm_summary_transfn(supplymkt_internal.rfm_summary_transfn(NULL, '2024-01-02 03:04:05.000007+00', 10.5, '2024-06-01+00'), '2023-12-31+00', 2, '2024-06-01+00'))::text),
    ('sim', 'item_similarity_state', '{"state":"item_similarity_state","version":1,"params":[20,1,1],"cols":3,"rows":2,"values":[1,101,2.5,9.007199254740992e+15,-9.007199254740992e+15,0.1]}',
     '\x0105010003000000000000000200000000000000020000000000000002000000000000000000000000003440000000000000f03f000000000000f03f00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000f03f00000000004059400000000000000440000000000000404300000000000040c39a9999999999b93f',
     '\x010001000000030000000040340000000000003ff00000000000003ff000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000200000000000000023ff0000000000000405940000000000040040000000000004340000000000000c3400000000000003fb999999999999a',
     (supplymkt_internal.item_similarity_transfn(supplymkt_internal.item_similarity_transfn(NULL, 1, 101, 2.5), 9007199254740992, -9007199254740992, 0.1))::text),
    ('csim', 'item_similarity_state', '{"state":"item_similarity_state","version":1,"params":[20,5,0],"cols":3,"rows":2,"values":[7,1,0,-9.007199254740992e+15,0.5,2]}',
     '\x010501000300000000000000020000000000000002000000000000000200000000000000000000000000344000000000000014400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001c40000000000000f03f000000000000000000000000000040c3000000000000e03f0000000000000040',
     '\x01000100000003000000004034000000000000401400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000020000000000000002401c0000000000003ff00000000000000000000000000000c3400000000000003fe00000000000004000000000000000',
     (supplymkt_internal.item_content_similarity_transfn(supplymkt_internal.item_content_similarity_transfn(NULL, 7, '{1,0}'::float8[]), -9007199254740992, '{0.5,2}'::float8[]))::text),
    ('ar', 'assoc_rules_state', '{"state":"assoc_rules_state","version":1,"params":[0.3,0.6,3],"rows":2,"values":[1,2,1,9.007199254740992e+15]}',
     '\x010601000200000000000000020000000000000002000000000000000200000000000000333333333333d33f333333333333e33f000000000000084000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000f03f0000000000000040000000000000f03f0000000000004043',
     '\x01000100000002000000003fd33333333333333fe3333333333333400800000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000200000000000000023ff000000000000040000000000000003ff00000000000004340000000000000',
     (supplymkt_internal.assoc_rules_transfn(supplymkt_internal.assoc_rules_transfn(NULL, 1, 2, 0.3, 0.6), 1, 9007199254740992, 0.3, 0.6))::text),
    ('clv', 'clv_fit_state', '{"state":"clv_fit_state","version":1,"params":[1,1],"rows":2,"values":[2,1.5,3.25,10.1,0,0,1e-300,-1]}',
     '\x010201000400000000000000020000000000000002000000000000000200000000000000000000000000f03f000000000000f03f0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000040000000000000f83f0000000000000a4033333333333324400000000000000000000000000000000059f3f8c21f6ea501000000000000f0bf',
     '\x01000100000004000000003ff00000000000003ff00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002000000000000000240000000000000003ff8000000000000400a00000000000040243333333333330000000000000000000000000000000001a56e1fc2f8f359bff0000000000000',
     (supplymkt_internal.clv_fit_transfn(supplymkt_internal.clv_fit_transfn(NULL, 2, 1.5, 3.25, 10.1), 0, 0, 1e-300))::text);
SELECT name, today FROM v1_states ORDER BY name;
-- text
SELECT name, pg_temp.try(format('SELECT (%L::supplymkt.%I)::text = %L', v1_text, typ, today)) AS v1_text_reads
  FROM v1_states ORDER BY name;
-- the stored datum
SELECT name, pg_temp.try(format('SELECT (%L::pg_temp.raw8::supplymkt.%I)::text = %L', v1_datum, typ, today)) AS v1_datum_reads
  FROM v1_states ORDER BY name;
-- binary: COPY writes a bytea's bytes exactly as a state's send function would, so COPY FROM reads them with recv
CREATE TABLE v1_bin (b bytea);
CREATE TABLE v1_bin_read (rfm supplymkt.rfm_summary_state, sim supplymkt.item_similarity_state,
                          csim supplymkt.item_similarity_state, ar supplymkt.assoc_rules_state, clv supplymkt.clv_fit_state);
CREATE TABLE v1_bin_row AS
SELECT (SELECT v1_send FROM v1_states WHERE name = 'rfm') AS rfm, (SELECT v1_send FROM v1_states WHERE name = 'sim') AS sim,
       (SELECT v1_send FROM v1_states WHERE name = 'csim') AS csim, (SELECT v1_send FROM v1_states WHERE name = 'ar') AS ar,
       (SELECT v1_send FROM v1_states WHERE name = 'clv') AS clv;
COPY v1_bin_row TO '/tmp/supplymkt_v1_states.bin' (FORMAT binary);
COPY v1_bin_read FROM '/tmp/supplymkt_v1_states.bin' (FORMAT binary);
SELECT r.rfm::text = (SELECT today FROM v1_states WHERE name = 'rfm') AS rfm,
       r.sim::text = (SELECT today FROM v1_states WHERE name = 'sim') AS sim,
       r.csim::text = (SELECT today FROM v1_states WHERE name = 'csim') AS csim,
       r.ar::text = (SELECT today FROM v1_states WHERE name = 'ar') AS ar,
       r.clv::text = (SELECT today FROM v1_states WHERE name = 'clv') AS clv
  FROM v1_bin_read AS r;
-- and today's binary form round-trips through COPY
TRUNCATE v1_bin_read;
CREATE TABLE v2_bin_row AS
SELECT (SELECT today FROM v1_states WHERE name = 'rfm')::supplymkt.rfm_summary_state AS rfm,
       (SELECT today FROM v1_states WHERE name = 'sim')::supplymkt.item_similarity_state AS sim,
       (SELECT today FROM v1_states WHERE name = 'csim')::supplymkt.item_similarity_state AS csim,
       (SELECT today FROM v1_states WHERE name = 'ar')::supplymkt.assoc_rules_state AS ar,
       (SELECT today FROM v1_states WHERE name = 'clv')::supplymkt.clv_fit_state AS clv;
COPY v2_bin_row TO '/tmp/supplymkt_v2_states.bin' (FORMAT binary);
COPY v1_bin_read FROM '/tmp/supplymkt_v2_states.bin' (FORMAT binary);
SELECT (SELECT row(rfm, sim, csim, ar, clv)::text FROM v1_bin_read) = (SELECT row(rfm, sim, csim, ar, clv)::text FROM v2_bin_row)
       AS v2_binary_roundtrip;
-- a stored version-1 datum also works as an aggregate argument: combine and final read it
SELECT supplymkt_internal.rfm_summary_final(supplymkt_internal.rfm_summary_state_combine(v1, v1))
       = supplymkt_internal.rfm_summary_final(supplymkt_internal.rfm_summary_state_combine(v2, v2)) AS v1_datum_combined,
       supplymkt_internal.rfm_summary_state_combine(v1, v1)::text = supplymkt_internal.rfm_summary_state_combine(v2, v2)::text
       AS v1_datum_combined_state
  FROM (SELECT v1_datum::pg_temp.raw8::supplymkt.rfm_summary_state AS v1, today::supplymkt.rfm_summary_state AS v2
          FROM v1_states WHERE name = 'rfm') AS t;
-- versions this build does not read name themselves
\set VERBOSITY sqlstate
SELECT '{"state":"assoc_rules_state","version":3,"params":[],"rows":0,"values":[]}'::supplymkt.assoc_rules_state;
SELECT '{"state":"assoc_rules_state","version":0,"params":[],"rows":0,"values":[]}'::supplymkt.assoc_rules_state;
\set VERBOSITY default
SELECT pg_temp.try($$SELECT '{"state":"assoc_rules_state","version":3,"params":[],"rows":0,"values":[]}'::supplymkt.assoc_rules_state$$) AS version_3;
DROP TABLE v1_states, v1_bin, v1_bin_read, v1_bin_row, v2_bin_row;

-- options values: text and binary (COPY) round-trips
CREATE TABLE options_io AS
SELECT supplymkt.kmeans_options(k => 4, seed => -3, tol => 1e-300, standardize => false) AS km,
       supplymkt.similarity_options(measure => 'LIFT', top_k => 7) AS sim,
       supplymkt.assoc_rules_options(1/3.0, 0.1, 4) AS ar, supplymkt.clv_options(model => 'pnbd') AS clv;
SELECT km, sim, ar, clv FROM options_io;
SELECT km::text::supplymkt.kmeans_options::text = km::text AS km_text, sim::text::supplymkt.similarity_options::text = sim::text AS sim_text,
       ar::text::supplymkt.assoc_rules_options::text = ar::text AS ar_text, clv::text::supplymkt.clv_options::text = clv::text AS clv_text
  FROM options_io;
COPY options_io TO '/tmp/supplymkt_options_io.bin' (FORMAT binary);
CREATE TABLE options_io2 (LIKE options_io);
COPY options_io2 FROM '/tmp/supplymkt_options_io.bin' (FORMAT binary);
SELECT (SELECT row(km, sim, ar, clv)::text FROM options_io) = (SELECT row(km, sim, ar, clv)::text FROM options_io2) AS options_binary_roundtrip;
DROP TABLE options_io, options_io2;
