-- ===========================================================================================================
-- Inventory policy (src/inventory/): EOQ, safety stock, reorder point, order-up-to level, newsvendor,
-- expected holding + shortage cost. Demand and lead times per period (any period, the same for every argument).
-- ===========================================================================================================

CREATE FUNCTION @extschema@.eoq(annual_demand double precision, order_cost double precision,
                                holding_cost double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_eoq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.eoq(double precision, double precision, double precision) IS
    'Economic order quantity sqrt(2 annual_demand order_cost / holding_cost): annual_demand in units per year, order_cost per order, holding_cost per unit per year (e.g. unit cost x yearly carrying rate). Minimises eoq_total_cost. Negative inputs, NaN or infinity raise 22023; holding_cost 0 raises 22023 (unbounded quantity). NULL in, NULL out.';

CREATE FUNCTION @extschema@.eoq_total_cost(annual_demand double precision, order_cost double precision,
                                           holding_cost double precision, order_quantity double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_eoq_total_cost' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.eoq_total_cost(double precision, double precision, double precision, double precision) IS
    'Yearly ordering plus holding cost of ordering order_quantity units at a time: annual_demand / order_quantity x order_cost + order_quantity / 2 x holding_cost (units as eoq; at the EOQ both halves are equal and the total is sqrt(2 annual_demand order_cost holding_cost)). order_quantity must be positive (22023). NULL in, NULL out.';

CREATE FUNCTION @extschema@.safety_stock(demand_mean double precision, demand_sd double precision,
                                         lead_time_mean double precision, lead_time_sd double precision,
                                         service_level double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_safety_stock' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.safety_stock(double precision, double precision, double precision, double precision, double precision) IS
    'Safety stock for a cycle service level (the probability that a replenishment cycle has no stockout): z x sqrt(lead_time_mean demand_sd^2 + demand_mean^2 lead_time_sd^2), z the standard normal quantile of service_level. demand_mean and demand_sd per period (a day, a week), lead_time_mean and lead_time_sd in those periods (0 for a fixed lead time); demand and lead time independent and the lead-time demand normal. service_level strictly between 0 and 1 (22023 with a hint otherwise); below 0.5 the safety stock is negative. Negative values, NaN or infinity raise 22023. NULL in, NULL out.';

CREATE FUNCTION @extschema@.safety_stock_fill_rate(demand_mean double precision, demand_sd double precision,
                                                   lead_time_mean double precision, lead_time_sd double precision,
                                                   fill_rate double precision, order_quantity double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_safety_stock_fill_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.safety_stock_fill_rate(double precision, double precision, double precision, double precision, double precision, double precision) IS
    'Safety stock k x sigma_L for a fill rate (beta service: the share of demand met from stock) when order_quantity units arrive per replenishment cycle: k solves G(k) = (1 - fill_rate) order_quantity / sigma_L, G the standard normal loss function (normal_loss) and sigma_L = sqrt(lead_time_mean demand_sd^2 + demand_mean^2 lead_time_sd^2) (units as safety_stock). Negative when the order quantity alone gives the fill rate. 0 when the lead-time demand is certain. fill_rate strictly between 0 and 1, order_quantity positive (22023). NULL in, NULL out.';

CREATE FUNCTION @extschema@.reorder_point(demand_mean double precision, demand_sd double precision,
                                          lead_time_mean double precision, lead_time_sd double precision,
                                          service_level double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_reorder_point' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.reorder_point(double precision, double precision, double precision, double precision, double precision) IS
    'Reorder point of a continuous-review (s, Q) policy: the mean lead-time demand demand_mean x lead_time_mean plus safety_stock(demand_mean, demand_sd, lead_time_mean, lead_time_sd, service_level) (same units and errors). Order when the inventory position (on hand + on order - backorders) falls to it. NULL in, NULL out.';

CREATE FUNCTION @extschema@.order_up_to_level(demand_mean double precision, demand_sd double precision,
                                              review_period double precision, lead_time_mean double precision,
                                              lead_time_sd double precision, service_level double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_order_up_to_level' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.order_up_to_level(double precision, double precision, double precision, double precision, double precision, double precision) IS
    'Order-up-to level S of a periodic-review (R, S) policy: every review_period periods order up to demand_mean (R + L) + z sqrt((R + L) demand_sd^2 + demand_mean^2 lead_time_sd^2), the protection interval being the review period plus the lead time (z the normal quantile of the cycle service level; units as safety_stock). review_period must be positive (22023). NULL in, NULL out.';

CREATE FUNCTION @extschema@.newsvendor_quantity(demand_mean double precision, demand_sd double precision,
                                                unit_price double precision, unit_cost double precision,
                                                salvage double precision DEFAULT 0,
                                                distribution text DEFAULT 'normal')
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_newsvendor_quantity' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.newsvendor_quantity(double precision, double precision, double precision, double precision, double precision, text) IS
    'Single-period (newsvendor) order quantity: the critical ratio (unit_price - unit_cost) / (unit_price - salvage) quantile of the demand of the period. distribution ''normal'': max(0, demand_mean + z demand_sd); ''poisson'': the smallest whole quantity q with P(D <= q) >= ratio, demand_sd NULL (Poisson sd is sqrt(demand_mean); a value raises 22023), demand_mean at most 1e6 (22023 above: GSL''s Poisson CDF loses accuracy there; use ''normal'', which is then within 0.05 sd of the Poisson quantiles). 0 when unit_price <= unit_cost (a unit sold earns nothing). salvage (value of a unit left over) must be below unit_cost (22023: the quantity would be unbounded). Negative prices, costs or demand, NaN or infinity raise 22023. NULL when an argument is NULL (demand_sd for normal demand).';

CREATE FUNCTION @extschema@.newsvendor_quantity_by_cost(demand_mean double precision, demand_sd double precision,
                                                        holding_cost double precision,
                                                        shortage_cost double precision,
                                                        distribution text DEFAULT 'normal')
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_newsvendor_quantity_by_cost' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.newsvendor_quantity_by_cost(double precision, double precision, double precision, double precision, text) IS
    'Single-period order quantity from the cost of a unit left over (holding_cost, the overage cost) and of a unit short (shortage_cost, the underage cost: lost margin plus goodwill) at the end of the period: the shortage_cost / (shortage_cost + holding_cost) quantile of the demand, as newsvendor_quantity (same distributions and NULL rules). It minimises expected_inventory_cost. 0 when shortage_cost is 0; holding_cost 0 raises 22023 (unbounded).';

CREATE FUNCTION @extschema@.expected_inventory_cost(order_quantity double precision, demand_mean double precision,
                                                    demand_sd double precision, holding_cost double precision,
                                                    shortage_cost double precision,
                                                    distribution text DEFAULT 'normal')
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_expected_cost' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_inventory_cost(double precision, double precision, double precision, double precision, double precision, text) IS
    'Expected holding plus shortage cost of stocking order_quantity for one period of demand D: holding_cost E[(Q - D)+] + shortage_cost E[(D - Q)+], costs per unit left over and per unit short. Normal: E[(D - Q)+] = demand_sd G((Q - demand_mean) / demand_sd), G = normal_loss; Poisson (demand_sd NULL): exact, E[(D - Q)+] = mean P(D >= k - 1) - Q P(D >= k) with k the smallest whole number above Q; E[(Q - D)+] = Q - mean + E[(D - Q)+] in both. Minimised by newsvendor_quantity_by_cost. Same errors and NULL rules as newsvendor_quantity.';

CREATE FUNCTION @extschema@.normal_loss(z double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'inventory_normal_loss' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normal_loss(double precision) IS
    'Standard normal loss function G(z) = E[(Z - z)+] = phi(z) - z (1 - Phi(z)): the expected units short per unit of sd when z sds of safety stock are held. G(0) = 0.398942; G(-z) = G(z) + z. NaN or infinity raise 22023.';

-- ===========================================================================================================
-- replenishment_plan (src/inventory/plan.c): the assortment's orders under a budget and a capacity, by GLPK
-- ===========================================================================================================

CREATE TYPE @extschema@.replenishment_plan_state;
CREATE FUNCTION supplymkt_internal.replenishment_plan_state_in(cstring, oid, integer) RETURNS @extschema@.replenishment_plan_state
    AS 'MODULE_PATHNAME', 'replenishment_plan_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.replenishment_plan_state_out(@extschema@.replenishment_plan_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'replenishment_plan_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.replenishment_plan_state_recv(internal, oid, integer) RETURNS @extschema@.replenishment_plan_state
    AS 'MODULE_PATHNAME', 'replenishment_plan_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.replenishment_plan_state_send(@extschema@.replenishment_plan_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'replenishment_plan_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.replenishment_plan_state (
    INPUT = supplymkt_internal.replenishment_plan_state_in, OUTPUT = supplymkt_internal.replenishment_plan_state_out,
    RECEIVE = supplymkt_internal.replenishment_plan_state_recv, SEND = supplymkt_internal.replenishment_plan_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.replenishment_plan_state IS 'Partial-aggregate state of replenishment_plan: one row per product (product_id, demand_mean, demand_sd, on_hand, unit_cost, holding_cost, shortage_cost, pack_size, min_order, volume) and the call''s parameters. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_state_in(cstring, oid, integer) IS 'Text input of replenishment_plan_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_state_out(@extschema@.replenishment_plan_state) IS 'Text output of replenishment_plan_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_state_recv(internal, oid, integer) IS 'Binary input of replenishment_plan_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_state_send(@extschema@.replenishment_plan_state) IS 'Binary output of replenishment_plan_state.';

CREATE TYPE @extschema@.replenishment_options;
CREATE FUNCTION supplymkt_internal.replenishment_options_in(cstring, oid, integer) RETURNS @extschema@.replenishment_options
    AS 'MODULE_PATHNAME', 'replenishment_options_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.replenishment_options_out(@extschema@.replenishment_options) RETURNS cstring
    AS 'MODULE_PATHNAME', 'replenishment_options_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.replenishment_options_recv(internal, oid, integer) RETURNS @extschema@.replenishment_options
    AS 'MODULE_PATHNAME', 'replenishment_options_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.replenishment_options_send(@extschema@.replenishment_options) RETURNS bytea
    AS 'MODULE_PATHNAME', 'replenishment_options_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.replenishment_options (
    INPUT = supplymkt_internal.replenishment_options_in, OUTPUT = supplymkt_internal.replenishment_options_out,
    RECEIVE = supplymkt_internal.replenishment_options_recv, SEND = supplymkt_internal.replenishment_options_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.replenishment_options IS 'Options of replenishment_plan (budget -1 = none, capacity -1 = none, segments 24, time_limit_ms 60000, mip_gap 1e-3), made by supplymkt.replenishment_options(...). Text form is JSON with every field; input may leave out fields that have a default.';
COMMENT ON FUNCTION supplymkt_internal.replenishment_options_in(cstring, oid, integer) IS 'Text input of replenishment_options (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_options_out(@extschema@.replenishment_options) IS 'Text output of replenishment_options (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_options_recv(internal, oid, integer) IS 'Binary input of replenishment_options (validated).';
COMMENT ON FUNCTION supplymkt_internal.replenishment_options_send(@extschema@.replenishment_options) IS 'Binary output of replenishment_options.';
CREATE FUNCTION @extschema@.replenishment_options(budget double precision DEFAULT -1, capacity double precision DEFAULT -1,
                                                  segments integer DEFAULT 24, time_limit_ms integer DEFAULT 60000,
                                                  mip_gap double precision DEFAULT 1e-3)
    RETURNS @extschema@.replenishment_options AS 'MODULE_PATHNAME', 'replenishment_options_make' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.replenishment_options(double precision, double precision, integer, integer, double precision) IS 'Options of replenishment_plan by name, validated now (22023 / 22004): budget (total unit_cost x order; -1, the default, for none), capacity (total volume x (on_hand + order) after the orders arrive; -1 for none), segments 2..200 (chords per product up to its newsvendor order: more is closer to the exact cost, slower), time_limit_ms 100..3600000 for the solver (the plan found so far is returned with status ''time limit''), mip_gap 0..0.5 (relative gap to the best bound at which the MIP search stops; the default 1e-3 is about the error of the chords themselves, and GLPK''s search can take minutes for a much smaller gap).';

CREATE FUNCTION supplymkt_internal.replenishment_plan_state_combine(@extschema@.replenishment_plan_state, @extschema@.replenishment_plan_state)
    RETURNS @extschema@.replenishment_plan_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_state_combine(@extschema@.replenishment_plan_state, @extschema@.replenishment_plan_state) IS 'Combines two partial replenishment_plan_state values of the same parameters.';
CREATE FUNCTION supplymkt_internal.replenishment_plan_final(@extschema@.replenishment_plan_state)
    RETURNS jsonb AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_final(@extschema@.replenishment_plan_state) IS 'Final function of replenishment_plan: builds and solves the LP / MIP.';
CREATE FUNCTION supplymkt_internal.replenishment_plan_transfn(@extschema@.replenishment_plan_state, bigint, double precision, double precision, double precision, double precision, double precision, double precision, double precision)
    RETURNS @extschema@.replenishment_plan_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_transfn(@extschema@.replenishment_plan_state, bigint, double precision, double precision, double precision, double precision, double precision, double precision, double precision) IS 'Transition function of replenishment_plan(product_id, demand_mean, demand_sd, on_hand, unit_cost, holding_cost, shortage_cost, budget).';
CREATE FUNCTION supplymkt_internal.replenishment_plan_options_transfn(@extschema@.replenishment_plan_state, bigint, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, @extschema@.replenishment_options)
    RETURNS @extschema@.replenishment_plan_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.replenishment_plan_options_transfn(@extschema@.replenishment_plan_state, bigint, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, @extschema@.replenishment_options) IS 'Transition function of replenishment_plan(product_id, ..., pack_size, min_order, volume, options).';
CREATE AGGREGATE @extschema@.replenishment_plan(product_id bigint, demand_mean double precision, demand_sd double precision,
                                               on_hand double precision, unit_cost double precision,
                                               holding_cost double precision, shortage_cost double precision,
                                               budget double precision) (
    SFUNC = supplymkt_internal.replenishment_plan_transfn, STYPE = @extschema@.replenishment_plan_state,
    COMBINEFUNC = supplymkt_internal.replenishment_plan_state_combine, FINALFUNC = supplymkt_internal.replenishment_plan_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.replenishment_plan(bigint, double precision, double precision, double precision, double precision, double precision, double precision, double precision) IS
    'Order quantities for the whole assortment (one row per product) minimising the expected holding + shortage cost of the period, solved with GLPK: product_id, demand_mean and demand_sd of the demand the order must cover (normal; e.g. the forecast over lead time + review period), on_hand, unit_cost (what the budget counts), holding_cost per unit left and shortage_cost per unit short at the end of the period. Each product''s cost C(q) = holding E[(on_hand + q - D)+] + shortage E[(D - on_hand - q)+] is convex; the plan replaces it by its chords between `segments` breakpoints up to the newsvendor order (a breakpoint) and solves the LP (a MIP with pack sizes or minimum orders) of the lowest total under sum unit_cost x order <= budget and sum volume x (on_hand + order) <= capacity. Without a budget or capacity every product gets its newsvendor order. Returns jsonb: status (optimal; within mip_gap: a MIP whose plan is within mip_gap of the best bound; time limit: the best plan found in time_limit_ms), solver, objective (the piecewise-linear total), expected_cost (the exact total at the plan), cost_without_orders, budget, budget_used, budget_shadow_price (expected cost saved per unit of extra budget; for a MIP from the LP with the integer choices fixed), capacity, capacity_used, capacity_shadow_price, binding (the constraints at their limit), products, segments and orders [{product_id, order_qty, order_up_to, newsvendor_qty, expected_cost}] by product_id; read them with replenishment_orders(plan). Rows with a NULL are skipped; negative or non-finite inputs raise 22023, a product twice 22023, a shortage cost without a holding cost 22023 (unbounded). This form: no pack sizes, minimum orders or capacity; budget the same on every row, NULL for none.';
CREATE AGGREGATE @extschema@.replenishment_plan(product_id bigint, demand_mean double precision, demand_sd double precision,
                                               on_hand double precision, unit_cost double precision,
                                               holding_cost double precision, shortage_cost double precision,
                                               pack_size double precision, min_order double precision,
                                               volume double precision, options @extschema@.replenishment_options) (
    SFUNC = supplymkt_internal.replenishment_plan_options_transfn, STYPE = @extschema@.replenishment_plan_state,
    COMBINEFUNC = supplymkt_internal.replenishment_plan_state_combine, FINALFUNC = supplymkt_internal.replenishment_plan_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.replenishment_plan(bigint, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, @extschema@.replenishment_options) IS
    'Order quantities for the whole assortment (one row per product) minimising the expected holding + shortage cost of the period, solved with GLPK: product_id, demand_mean and demand_sd of the demand the order must cover (normal; e.g. the forecast over lead time + review period), on_hand, unit_cost (what the budget counts), holding_cost per unit left and shortage_cost per unit short at the end of the period. Each product''s cost C(q) = holding E[(on_hand + q - D)+] + shortage E[(D - on_hand - q)+] is convex; the plan replaces it by its chords between `segments` breakpoints up to the newsvendor order (a breakpoint) and solves the LP (a MIP with pack sizes or minimum orders) of the lowest total under sum unit_cost x order <= budget and sum volume x (on_hand + order) <= capacity. Without a budget or capacity every product gets its newsvendor order. Returns jsonb: status (optimal; within mip_gap: a MIP whose plan is within mip_gap of the best bound; time limit: the best plan found in time_limit_ms), solver, objective (the piecewise-linear total), expected_cost (the exact total at the plan), cost_without_orders, budget, budget_used, budget_shadow_price (expected cost saved per unit of extra budget; for a MIP from the LP with the integer choices fixed), capacity, capacity_used, capacity_shadow_price, binding (the constraints at their limit), products, segments and orders [{product_id, order_qty, order_up_to, newsvendor_qty, expected_cost}] by product_id; read them with replenishment_orders(plan). Rows with a NULL are skipped; negative or non-finite inputs raise 22023, a product twice 22023, a shortage cost without a holding cost 22023 (unbounded). This form adds per product pack_size (orders are whole packs; 0 for none), min_order (an order is 0 or at least this; 0 for none) and volume (space per unit, for the capacity), and the options (budget, capacity, segments, time limit, MIP gap).';

CREATE FUNCTION @extschema@.replenishment_orders(plan jsonb, OUT product_id bigint, OUT order_qty double precision,
                                                 OUT order_up_to double precision, OUT newsvendor_qty double precision,
                                                 OUT expected_cost double precision)
    RETURNS SETOF record
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
SELECT o.product_id, o.order_qty, o.order_up_to, o.newsvendor_qty, o.expected_cost
  FROM jsonb_to_recordset(plan -> 'orders') AS o(product_id bigint, order_qty float8, order_up_to float8,
                                                 newsvendor_qty float8, expected_cost float8)
$$;
COMMENT ON FUNCTION @extschema@.replenishment_orders(jsonb) IS 'The orders of a replenishment_plan, one row per product: order_qty, order_up_to (on_hand + order_qty), newsvendor_qty (the order without budget or capacity) and expected_cost (the exact expected holding + shortage cost at the order).';
