-- ===========================================================================================================
-- Demo data (src/demo/): the canonical data model of DESIGN.md, simulated deterministically from a seed
-- ===========================================================================================================

CREATE FUNCTION @extschema@.demo_relation(relation text, customers integer, products integer, days integer,
                                          seed bigint, start_date date)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'demo_relation'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION @extschema@.demo_relation(text, integer, integer, integer, bigint, date) IS
'Rows of one relation of the canonical data model (customers, products, orders, order_items, inventory_snapshots, '
'suppliers, purchase_orders, shipments, returns, reviews, depots, marketing_spend, touchpoints, events, experiments) '
'from the demo world simulated from (customers, products, days, seed, start_date); the same arguments always give '
'the same rows (timestamps in UTC). Call it in FROM with the relation''s column definition list, e.g. '
'SELECT * FROM supplymkt.demo_relation(''orders'', 200, 50, 60, 7, ''2024-01-01'') AS t(order_id bigint, '
'customer_id bigint, order_time timestamptz, channel text). The world is simulated once per transaction and '
'reused by later calls with the same arguments. Limits: customers 1..10,000,000, products 1..1,000,000, '
'days 1..3660, products x days <= 50,000,000, customers x days <= 3,660,000,000, start_date 1900-01-01..2999-12-31. '
'generate_demo_data() documents the generating process.';

CREATE FUNCTION @extschema@.demo_fill(target regclass, relation text, customers integer, products integer,
                                      days integer, seed bigint, start_date date)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'demo_fill'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.demo_fill(regclass, text, integer, integer, integer, bigint, date) IS
'Fast path of generate_demo_data: writes the rows of one canonical relation (same rows as demo_relation with the '
'same arguments) straight into target with bulk inserts, and returns the number of rows. target must be a plain '
'table created in the current transaction, that the caller may INSERT into, with exactly the relation''s column '
'types, not a partition, and with no indexes, triggers, rules, constraints, defaults or row security.';

CREATE FUNCTION @extschema@.generate_demo_data(target_schema text, customers integer DEFAULT 5000,
                                               products integer DEFAULT 500, days integer DEFAULT 365,
                                               seed bigint DEFAULT 42, start_date date DEFAULT '2024-01-01',
                                               replace boolean DEFAULT false)
    RETURNS TABLE(relation text, rows bigint)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    -- ANALYZE samples 300 x 10 rows per table: a third of the run at the default 100, the same dashboard plans
    SET default_statistics_target = 10
AS $fn$
#variable_conflict use_variable
DECLARE
    -- the canonical relations in DESIGN.md order: name, columns, types, primary key
    spec_names text[] := ARRAY['customers', 'products', 'orders', 'order_items', 'inventory_snapshots', 'suppliers',
                               'purchase_orders', 'shipments', 'returns', 'reviews', 'depots', 'marketing_spend',
                               'touchpoints', 'events', 'experiments'];
    spec_columns text[] := ARRAY[
        'customer_id,signup_date,region,lat,lon,name',
        'product_id,category,first_listed,unit_cost,unit_price,supplier_id,name',
        'order_id,customer_id,order_time,channel',
        'order_id,product_id,quantity,unit_price',
        'snapshot_date,product_id,on_hand,inventory_value',
        'supplier_id,name,region',
        'po_id,supplier_id,product_id,order_date,quantity,received_date,received_quantity',
        'order_id,depot_id,shipped_time,promised_date,delivered_time',
        'order_id,product_id,quantity,return_time,reason',
        'customer_id,product_id,rating,review_time',
        'depot_id,name,lat,lon,vehicles,vehicle_capacity',
        'day,channel,impressions,clicks,spend',
        'customer_id,touch_time,channel',
        'customer_id,event_time,event_type,product_id',
        'customer_id,experiment,variant,assigned_at'];
    spec_types text[] := ARRAY[
        'bigint,date,text,float8,float8,text',
        'bigint,text,date,numeric,numeric,bigint,text',
        'bigint,bigint,timestamptz,text',
        'bigint,bigint,integer,numeric',
        'date,bigint,integer,numeric',
        'bigint,text,text',
        'bigint,bigint,bigint,date,integer,date,integer',
        'bigint,bigint,timestamptz,date,timestamptz',
        'bigint,bigint,integer,timestamptz,text',
        'bigint,bigint,integer,timestamptz',
        'bigint,text,float8,float8,integer,integer',
        'date,text,bigint,bigint,numeric',
        'bigint,timestamptz,text',
        'bigint,timestamptz,text,bigint',
        'bigint,text,text,timestamptz'];
    spec_keys text[] := ARRAY['customer_id', 'product_id', 'order_id', NULL, 'snapshot_date,product_id', 'supplier_id',
                              'po_id', NULL, NULL, NULL, 'depot_id', NULL, NULL, NULL, NULL];
    schema_oid oid;
    clash record;
    clashes text[];
    dashboard_schemas text;
    first_dashboard_schema text;
    coldefs text;
    keydefs text;
    n bigint;
    i integer;
BEGIN
    IF target_schema IS NULL THEN
        RAISE EXCEPTION 'target_schema must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF customers IS NULL OR products IS NULL OR days IS NULL OR seed IS NULL OR start_date IS NULL
       OR replace IS NULL THEN
        RAISE EXCEPTION 'customers, products, days, seed, start_date and replace must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF target_schema = '' THEN
        RAISE EXCEPTION 'target_schema must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF target_schema = '@extschema@' THEN
        RAISE EXCEPTION 'target_schema must not be the extension''s own schema "%"', target_schema
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Generate the demo data into a schema of its own, e.g. ''demo''.';
    END IF;

    SELECT oid INTO schema_oid FROM pg_catalog.pg_namespace WHERE nspname = target_schema;
    IF schema_oid IS NOT NULL THEN
        SELECT pg_catalog.array_agg(c.relname::text ORDER BY c.relname) INTO clashes
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace = schema_oid AND c.relname::text = ANY (spec_names);
        IF clashes IS NOT NULL AND NOT replace THEN
            RAISE EXCEPTION 'schema "%" already has demo relations: %', target_schema,
                            pg_catalog.array_to_string(clashes, ', ')
                USING ERRCODE = 'duplicate_table',
                      HINT = 'Pass replace => true to drop and recreate them, or choose another schema.';
        END IF;
        -- dashboards built on these relations would block the drop: say which, and how to rebuild them
        SELECT pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(d.target_schema), ', '), pg_catalog.min(d.target_schema)
          INTO dashboard_schemas, first_dashboard_schema
          FROM @extschema@.dashboards AS d
         WHERE d.source_schema = target_schema AND d.kind = 'materialized view';
        IF clashes IS NOT NULL AND dashboard_schemas IS NOT NULL THEN
            RAISE EXCEPTION 'cannot replace the demo relations of schema "%": the dashboards in schema % read them', target_schema,
                            dashboard_schemas
                USING ERRCODE = 'dependent_objects_still_exist',
                      HINT = pg_catalog.format('Drop the dashboards first (SELECT supplymkt.drop_dashboards(%L)), generate the data, then create them again.',
                                               first_dashboard_schema);
        END IF;
        -- replace: drop just the canonical relations (no CASCADE: objects built on them must be dropped first)
        FOR clash IN
            SELECT c.relname::text AS name, c.relkind
              FROM pg_catalog.pg_class c
             WHERE c.relnamespace = schema_oid AND c.relname::text = ANY (spec_names)
             ORDER BY c.relname
        LOOP
            EXECUTE pg_catalog.format('DROP %s %I.%I',
                CASE clash.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                   WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE'
                                   WHEN 'i' THEN 'INDEX' WHEN 'I' THEN 'INDEX' WHEN 'c' THEN 'TYPE'
                                   ELSE 'TABLE' END,
                target_schema, clash.name);
        END LOOP;
    ELSE
        EXECUTE pg_catalog.format('CREATE SCHEMA %I', target_schema);
    END IF;

    FOR i IN 1 .. pg_catalog.array_length(spec_names, 1) LOOP
        SELECT pg_catalog.string_agg(pg_catalog.format('%I %s', col, typ), ', ' ORDER BY ord) INTO coldefs
          FROM unnest(pg_catalog.string_to_array(spec_columns[i], ','),
                                 pg_catalog.string_to_array(spec_types[i], ',')) WITH ORDINALITY AS u(col, typ, ord);
        EXECUTE pg_catalog.format('CREATE TABLE %I.%I (%s)', target_schema, spec_names[i], coldefs);
        n := @extschema@.demo_fill(pg_catalog.format('%I.%I', target_schema, spec_names[i])::pg_catalog.regclass,
                                   spec_names[i], customers, products, days, seed, start_date);
        IF spec_keys[i] IS NOT NULL THEN
            SELECT pg_catalog.string_agg(pg_catalog.format('%I', k), ', ') INTO keydefs
              FROM pg_catalog.unnest(pg_catalog.string_to_array(spec_keys[i], ',')) AS k;
            EXECUTE pg_catalog.format('ALTER TABLE %I.%I ADD PRIMARY KEY (%s)', target_schema, spec_names[i], keydefs);
        END IF;
        EXECUTE pg_catalog.format('ANALYZE %I.%I', target_schema, spec_names[i]);
        relation := spec_names[i];
        rows := n;
        RETURN NEXT;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION @extschema@.generate_demo_data(text, integer, integer, integer, bigint, date, boolean) IS
'Creates the 15 relations of the canonical data model (DESIGN.md) as tables in target_schema (created if missing) '
'and returns the row count of each; same arguments, same data. Raises duplicate_table (42P07) if any of them already '
'exists unless replace => true, which drops and recreates just those relations. Primary keys on customers, products, '
'orders, suppliers, depots, purchase_orders and inventory_snapshots (snapshot_date, product_id); tables are ANALYZEd '
'with statistics target 10 (the dashboards plan the same as with the default 100, in a third of the time; ANALYZE '
'the schema again for finer statistics). '
'Timestamps are in UTC over [start_date, start_date + days). '
'Generating process (time in days): customers sign up uniformly over the period in 5 regional lat/lon clusters. '
'12% of the customers sign up and never buy. Purchases are MBG/NBD: lambda ~ Gamma(shape r = 0.75, rate alpha = 20 days) purchases per day, dropout '
'p ~ Beta(a = 0.8, b = 2.5); the first purchase is at signup, repeats are Poisson(lambda), and right after the first purchase and after each repeat '
'the customer becomes inactive with probability p (hour of day follows a daily profile; dates are untouched). '
'Spend is Gamma-Gamma: nu ~ Gamma(shape q = 4, rate gamma = 40) per customer, order value ~ Gamma(shape p = 6, '
'rate nu), mean p*gamma/(q-1) = 80; the basket is filled to that value (last item taken with probability '
'remaining/price), products drawn by Zipf popularity (exponent 1.1) x category seasonality (yearly and weekly) '
'among products already listed, half of each customer''s lines from the customer''s favourite category (drawn once '
'per customer by category share); 8% of lines (25% of email orders) are 10% off. Products: 16 categories with an '
'uneven mix, unit_price = unit_cost x category markup, 72% listed before start_date and the rest launched during '
'the period. Channels: acquisition mix for first orders, retention mix for repeats; touchpoints 1 + Poisson(0.7) '
'before each order (last one in the order''s channel) and one per abandoned session; events view/cart/purchase '
'per line (70% of lines viewed first) plus extra views, abandoned sessions (views + cart, no purchase) at '
'0.8 x lambda while active. Experiment checkout_redesign: 50/50 buckets; customers who signed up before the middle '
'half of the period are enrolled at their first session in it, where the treatment removes 35% of abandoned '
'sessions (share of enrolment sessions that are orders: 1/1.8 = 0.556 control, 1/1.52 = 0.658 treatment). '
'Supply: continuous-review (s, S) policy per product with backorders, one open purchase order per product, '
'supplier lead times ~ Gamma (domestic 3-8 days, Europe 8-15, Asia 20-40), some receipts short, so real '
'stockouts occur; inventory_value = on_hand x unit_cost. Service: 5 depots with different handling times and '
'delays, shipments wait for backordered items, transit grows with distance, bulky categories are slower; '
'promise 3 days (4 when far, +2 bulky); shipped/delivered NULL when after the period. Returns depend on category, '
'product quality and lateness; reviews (10%, 18% when late) rate quality minus lateness and backorders. '
'Marketing spend per day and paid channel follows that channel''s orders; clicks ~ Binomial(impressions, CTR). '
'Limits: customers 1..10,000,000, products 1..1,000,000, days 1..3660, products x days <= 50,000,000, '
'customers x days <= 3,660,000,000.';
