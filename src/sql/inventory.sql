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
