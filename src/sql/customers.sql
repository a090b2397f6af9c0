-- ===========================================================================================================
-- Customer analytics (src/customers/): RFM summary, RFM breakpoints, scores and segments, time-decay CLV,
-- cohort retention
-- ===========================================================================================================

-- State types (DESIGN.md pattern 3): real varlena types with exact text and validated binary I/O.
-- rfm_summary_state
CREATE TYPE @extschema@.rfm_summary_state;
CREATE FUNCTION supplymkt_internal.rfm_summary_state_in(cstring, oid, integer) RETURNS @extschema@.rfm_summary_state
    AS 'MODULE_PATHNAME', 'rfm_summary_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_summary_state_out(@extschema@.rfm_summary_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'rfm_summary_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_summary_state_recv(internal, oid, integer) RETURNS @extschema@.rfm_summary_state
    AS 'MODULE_PATHNAME', 'rfm_summary_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_summary_state_send(@extschema@.rfm_summary_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'rfm_summary_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.rfm_summary_state (
    INPUT = supplymkt_internal.rfm_summary_state_in, OUTPUT = supplymkt_internal.rfm_summary_state_out,
    RECEIVE = supplymkt_internal.rfm_summary_state_recv, SEND = supplymkt_internal.rfm_summary_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.rfm_summary_state IS 'Partial-aggregate state of rfm_summary: the orders on or before as_of as rows (order time as the timestamptz value in microseconds since 2000-01-01 UTC, amount), and as_of in params. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.rfm_summary_state_in(cstring, oid, integer) IS 'Text input of rfm_summary_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.rfm_summary_state_out(@extschema@.rfm_summary_state) IS 'Text output of rfm_summary_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.rfm_summary_state_recv(internal, oid, integer) IS 'Binary input of rfm_summary_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.rfm_summary_state_send(@extschema@.rfm_summary_state) IS 'Binary output of rfm_summary_state.';

-- rfm_breaks_state
CREATE TYPE @extschema@.rfm_breaks_state;
CREATE FUNCTION supplymkt_internal.rfm_breaks_state_in(cstring, oid, integer) RETURNS @extschema@.rfm_breaks_state
    AS 'MODULE_PATHNAME', 'rfm_breaks_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_breaks_state_out(@extschema@.rfm_breaks_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'rfm_breaks_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_breaks_state_recv(internal, oid, integer) RETURNS @extschema@.rfm_breaks_state
    AS 'MODULE_PATHNAME', 'rfm_breaks_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_breaks_state_send(@extschema@.rfm_breaks_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'rfm_breaks_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.rfm_breaks_state (
    INPUT = supplymkt_internal.rfm_breaks_state_in, OUTPUT = supplymkt_internal.rfm_breaks_state_out,
    RECEIVE = supplymkt_internal.rfm_breaks_state_recv, SEND = supplymkt_internal.rfm_breaks_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.rfm_breaks_state IS 'Partial-aggregate state of rfm_breaks: the (recency, frequency, monetary) rows, and bins in params. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.rfm_breaks_state_in(cstring, oid, integer) IS 'Text input of rfm_breaks_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.rfm_breaks_state_out(@extschema@.rfm_breaks_state) IS 'Text output of rfm_breaks_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.rfm_breaks_state_recv(internal, oid, integer) IS 'Binary input of rfm_breaks_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.rfm_breaks_state_send(@extschema@.rfm_breaks_state) IS 'Binary output of rfm_breaks_state.';

-- time_decay_state
CREATE TYPE @extschema@.time_decay_state;
CREATE FUNCTION supplymkt_internal.time_decay_state_in(cstring, oid, integer) RETURNS @extschema@.time_decay_state
    AS 'MODULE_PATHNAME', 'time_decay_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.time_decay_state_out(@extschema@.time_decay_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'time_decay_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.time_decay_state_recv(internal, oid, integer) RETURNS @extschema@.time_decay_state
    AS 'MODULE_PATHNAME', 'time_decay_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.time_decay_state_send(@extschema@.time_decay_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'time_decay_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.time_decay_state (
    INPUT = supplymkt_internal.time_decay_state_in, OUTPUT = supplymkt_internal.time_decay_state_out,
    RECEIVE = supplymkt_internal.time_decay_state_recv, SEND = supplymkt_internal.time_decay_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.time_decay_state IS 'Partial-aggregate state of clv_time_decay: orders counted, as_of (timestamptz value in microseconds since 2000-01-01 UTC), decayed value and half-life in days (flags 1 = as_of and half-life set). Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.time_decay_state_in(cstring, oid, integer) IS 'Text input of time_decay_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.time_decay_state_out(@extschema@.time_decay_state) IS 'Text output of time_decay_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.time_decay_state_recv(internal, oid, integer) IS 'Binary input of time_decay_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.time_decay_state_send(@extschema@.time_decay_state) IS 'Binary output of time_decay_state.';

-- -----------------------------------------------------------------------------------------------------------
-- rfm_summary: one customer's orders -> RFM and BG/NBD inputs
-- -----------------------------------------------------------------------------------------------------------
CREATE TYPE @extschema@.rfm_summary AS (
    recency_days double precision, orders bigint, frequency bigint, recency_bgnbd double precision,
    age_days double precision, monetary_mean double precision, monetary_repeat_mean double precision,
    monetary_total double precision, first_order timestamptz, last_order timestamptz
);
COMMENT ON TYPE @extschema@.rfm_summary IS 'Result of rfm_summary: one customer''s recency, frequency and monetary value as RFM scoring uses them (recency_days, orders, monetary_total) and as BG/NBD, Pareto/NBD and Gamma-Gamma use them (frequency, recency_bgnbd = t_x, age_days = T, monetary_repeat_mean; in days, like the lifetimes package''s summary_data_from_transaction_data with freq ''D'').';
COMMENT ON COLUMN @extschema@.rfm_summary.recency_days IS 'RFM recency: as_of - last_order in days (fractional, exact to the microsecond).';
COMMENT ON COLUMN @extschema@.rfm_summary.orders IS 'Orders (input rows) on or before as_of.';
COMMENT ON COLUMN @extschema@.rfm_summary.frequency IS 'Repeat purchase periods for BG/NBD: distinct purchase days (UTC) after the first purchase day. 0 for a customer who bought on one day only, however many orders.';
COMMENT ON COLUMN @extschema@.rfm_summary.recency_bgnbd IS 'BG/NBD recency t_x: whole days (UTC) from the first to the last purchase day; 0 when frequency = 0.';
COMMENT ON COLUMN @extschema@.rfm_summary.age_days IS 'BG/NBD customer age T: whole days (UTC) from the first purchase day to the day of as_of; T >= t_x.';
COMMENT ON COLUMN @extschema@.rfm_summary.monetary_mean IS 'Mean order value: monetary_total / orders (arithmetic mean over all orders, the first included).';
COMMENT ON COLUMN @extschema@.rfm_summary.monetary_repeat_mean IS 'Gamma-Gamma spend input: mean over the repeat purchase days of each day''s total amount (the first purchase day left out). NULL when frequency = 0.';
COMMENT ON COLUMN @extschema@.rfm_summary.monetary_total IS 'Sum of the amounts of the orders on or before as_of.';
COMMENT ON COLUMN @extschema@.rfm_summary.first_order IS 'Time of the first order.';
COMMENT ON COLUMN @extschema@.rfm_summary.last_order IS 'Time of the last order on or before as_of.';

CREATE FUNCTION supplymkt_internal.rfm_summary_transfn(@extschema@.rfm_summary_state, timestamptz, double precision, timestamptz)
    RETURNS @extschema@.rfm_summary_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_summary_state_combine(@extschema@.rfm_summary_state, @extschema@.rfm_summary_state)
    RETURNS @extschema@.rfm_summary_state AS 'MODULE_PATHNAME', 'rfm_summary_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_summary_final(@extschema@.rfm_summary_state)
    RETURNS @extschema@.rfm_summary AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
-- SSPACE: a row buffer starts with room for 64 orders (about 1.1 kB per group), so the planner can size hash
-- aggregation over many customers correctly
CREATE AGGREGATE @extschema@.rfm_summary(order_time timestamptz, amount double precision, as_of timestamptz) (
    SFUNC = supplymkt_internal.rfm_summary_transfn, STYPE = @extschema@.rfm_summary_state, SSPACE = 1100,
    COMBINEFUNC = supplymkt_internal.rfm_summary_state_combine, FINALFUNC = supplymkt_internal.rfm_summary_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION supplymkt_internal.rfm_summary_transfn(@extschema@.rfm_summary_state, timestamptz, double precision, timestamptz) IS 'Transition function of rfm_summary.';
COMMENT ON FUNCTION supplymkt_internal.rfm_summary_state_combine(@extschema@.rfm_summary_state, @extschema@.rfm_summary_state) IS 'Combines two partial rfm_summary_state values of the same as_of.';
COMMENT ON FUNCTION supplymkt_internal.rfm_summary_final(@extschema@.rfm_summary_state) IS 'Final function of rfm_summary.';
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamptz, double precision, timestamptz) IS
    'Per-customer RFM summary (one group per customer, one row per order): recency_days, orders, frequency (distinct purchase days after the first), recency_bgnbd (t_x), age_days (T), monetary_mean, monetary_repeat_mean, monetary_total, first_order, last_order; purchase days are UTC days. Orders after as_of are left out (not an error), so the same data can be summarised as of any past date; NULL when no order is on or before as_of. Rows with a NULL order_time or amount are skipped. as_of must be non-NULL (22004) and the same on every row (22023); infinite times, negative, NaN or infinite amounts raise 22023.';

-- -----------------------------------------------------------------------------------------------------------
-- rfm_breaks: quantile breakpoints (a typed value) and rfm_score
-- -----------------------------------------------------------------------------------------------------------
CREATE TYPE @extschema@.rfm_breaks;
CREATE FUNCTION supplymkt_internal.rfm_breaks_in(cstring) RETURNS @extschema@.rfm_breaks
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_breaks_out(@extschema@.rfm_breaks) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_breaks_recv(internal) RETURNS @extschema@.rfm_breaks
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_breaks_send(@extschema@.rfm_breaks) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.rfm_breaks (
    INPUT = supplymkt_internal.rfm_breaks_in, OUTPUT = supplymkt_internal.rfm_breaks_out,
    RECEIVE = supplymkt_internal.rfm_breaks_recv, SEND = supplymkt_internal.rfm_breaks_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.rfm_breaks IS
    'RFM score breakpoints computed by rfm_breaks and read by rfm_score. Text form: {"version":1,"bins":b,"customers":n,"recency":[...],"frequency":[...],"monetary":[...]}, each list holding bins - 1 thresholds; threshold j (1-based) is the least good value that scores at least j + 1 (recency: the largest such recency; frequency, monetary: the smallest such value), null when no customer scored that high. Cast to json for inspection: breaks::json.';
COMMENT ON FUNCTION supplymkt_internal.rfm_breaks_in(cstring) IS 'Text input of rfm_breaks (validated JSON: version 1, bins 2..100, customers >= 1, bins - 1 finite thresholds or trailing nulls per dimension, recency non-increasing, frequency and monetary non-decreasing).';
COMMENT ON FUNCTION supplymkt_internal.rfm_breaks_out(@extschema@.rfm_breaks) IS 'Text output of rfm_breaks (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.rfm_breaks_recv(internal) IS 'Binary input of rfm_breaks (validated like the text input).';
COMMENT ON FUNCTION supplymkt_internal.rfm_breaks_send(@extschema@.rfm_breaks) IS 'Binary output of rfm_breaks: version byte, bins, customers, then per dimension the number of thresholds and the thresholds.';

CREATE FUNCTION supplymkt_internal.rfm_breaks_to_json(@extschema@.rfm_breaks) RETURNS json
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT $1::text::json $$;
COMMENT ON FUNCTION supplymkt_internal.rfm_breaks_to_json(@extschema@.rfm_breaks) IS 'The JSON text of an rfm_breaks value as json (the cast rfm_breaks -> json; to_jsonb uses it too).';
CREATE CAST (@extschema@.rfm_breaks AS json) WITH FUNCTION supplymkt_internal.rfm_breaks_to_json(@extschema@.rfm_breaks);
COMMENT ON CAST (@extschema@.rfm_breaks AS json) IS 'Explicit cast of rfm_breaks to its JSON document.';

CREATE FUNCTION supplymkt_internal.rfm_breaks_transfn(@extschema@.rfm_breaks_state, double precision, double precision, double precision)
    RETURNS @extschema@.rfm_breaks_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_breaks_transfn(@extschema@.rfm_breaks_state, double precision, double precision, double precision, integer)
    RETURNS @extschema@.rfm_breaks_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_breaks_state_combine(@extschema@.rfm_breaks_state, @extschema@.rfm_breaks_state)
    RETURNS @extschema@.rfm_breaks_state AS 'MODULE_PATHNAME', 'rfm_breaks_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.rfm_breaks_final(@extschema@.rfm_breaks_state)
    RETURNS @extschema@.rfm_breaks AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
-- aggregates cannot have parameter defaults: rfm_breaks(r, f, m) is rfm_breaks(r, f, m, 5)
CREATE AGGREGATE @extschema@.rfm_breaks(recency double precision, frequency double precision, monetary double precision) (
    SFUNC = supplymkt_internal.rfm_breaks_transfn, STYPE = @extschema@.rfm_breaks_state,
    COMBINEFUNC = supplymkt_internal.rfm_breaks_state_combine, FINALFUNC = supplymkt_internal.rfm_breaks_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.rfm_breaks(recency double precision, frequency double precision, monetary double precision, bins integer) (
    SFUNC = supplymkt_internal.rfm_breaks_transfn, STYPE = @extschema@.rfm_breaks_state,
    COMBINEFUNC = supplymkt_internal.rfm_breaks_state_combine, FINALFUNC = supplymkt_internal.rfm_breaks_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION supplymkt_internal.rfm_breaks_transfn(@extschema@.rfm_breaks_state, double precision, double precision, double precision) IS 'Transition function of rfm_breaks with the default 5 bins.';
COMMENT ON FUNCTION supplymkt_internal.rfm_breaks_transfn(@extschema@.rfm_breaks_state, double precision, double precision, double precision, integer) IS 'Transition function of rfm_breaks.';
COMMENT ON FUNCTION supplymkt_internal.rfm_breaks_state_combine(@extschema@.rfm_breaks_state, @extschema@.rfm_breaks_state) IS 'Combines two partial rfm_breaks_state values of the same bins.';
COMMENT ON FUNCTION supplymkt_internal.rfm_breaks_final(@extschema@.rfm_breaks_state) IS 'Final function of rfm_breaks.';
COMMENT ON AGGREGATE @extschema@.rfm_breaks(double precision, double precision, double precision) IS
    'rfm_breaks(recency, frequency, monetary) with 5 bins (quintiles); see rfm_breaks(recency, frequency, monetary, bins).';
COMMENT ON AGGREGATE @extschema@.rfm_breaks(double precision, double precision, double precision, integer) IS
    'RFM breakpoints over all customers (one row per customer), for rfm_score. Rule, per dimension (ties kept together): order customers from worse to better (recency descending, frequency and monetary ascending); a customer scores 1 + floor(bins * w / n), w = customers strictly worse, n = customers; equal values always share a score, and a value shared by many customers scores where its group starts (most customers with 1 order all get F = 1; the next value may skip scores). The breakpoints store, per dimension, the least good value reaching each score 2..bins (null when none does), so rfm_score gives data customers exactly these scores and new values the score of the nearest data value on their worse side. Rows with a NULL in any dimension are skipped; NULL without rows. bins 2..100 (22023), non-NULL (22004), the same on every row; NaN or infinite values raise 22023. Collects the rows (24 bytes each, at most ~44 million per aggregate).';

-- The score result
CREATE TYPE @extschema@.rfm_score AS (r integer, f integer, m integer, code text, segment text);
COMMENT ON TYPE @extschema@.rfm_score IS 'Result of rfm_score.';
COMMENT ON COLUMN @extschema@.rfm_score.r IS 'Recency score 1..bins; higher is more recent (lower recency).';
COMMENT ON COLUMN @extschema@.rfm_score.f IS 'Frequency score 1..bins; higher is more frequent.';
COMMENT ON COLUMN @extschema@.rfm_score.m IS 'Monetary score 1..bins; higher is more valuable.';
COMMENT ON COLUMN @extschema@.rfm_score.code IS 'The three scores as one code: ''545'' for R 5, F 4, M 5 (with more than 9 bins separated by hyphens: ''10-3-7'').';
COMMENT ON COLUMN @extschema@.rfm_score.segment IS 'Named segment from supplymkt.rfm_segments for (R, FM) on the 1..5 grid; NULL when no row of the table matches.';

-- Segment mapping: editable, kept by pg_dump
CREATE TABLE @extschema@.rfm_segments (
    segment text PRIMARY KEY,
    priority integer NOT NULL,
    r_min integer NOT NULL,
    r_max integer NOT NULL,
    fm_min integer NOT NULL,
    fm_max integer NOT NULL,
    description text NOT NULL,
    CHECK (r_min BETWEEN 1 AND 5 AND r_max BETWEEN r_min AND 5),
    CHECK (fm_min BETWEEN 1 AND 5 AND fm_max BETWEEN fm_min AND 5)
);
-- Putler's RFM segments (also the example table of the R package rfm): R x FM score ranges on the 1..5 grid.
-- Their ranges overlap, so the rows are tried in priority order and the first match wins; Lost is narrowed
-- to R 1, FM 1 (its published range equals Hibernating's).  The default rows partition the 25 cells:
--   FM\R  1                2             3                4                    5
--   5     Can't Lose Them  At Risk       Loyal Customers  Champions            Champions
--   4     Can't Lose Them  At Risk       Loyal Customers  Champions            Champions
--   3     At Risk          At Risk       Need Attention   Loyal Customers      Loyal Customers
--   2     Hibernating      Hibernating   About To Sleep   Potential Loyalist   Potential Loyalist
--   1     Lost             Hibernating   About To Sleep   Promising            New Customers
INSERT INTO @extschema@.rfm_segments VALUES
    ('Champions', 1, 4, 5, 4, 5, 'Bought recently, buy often and spend the most.'),
    ('Can''t Lose Them', 2, 1, 1, 4, 5, 'Made the biggest purchases, and often, but have not returned for a long time.'),
    ('Lost', 3, 1, 1, 1, 1, 'Lowest recency, frequency and monetary scores.'),
    ('Hibernating', 4, 1, 2, 1, 2, 'Last purchase long ago, low spenders with few orders.'),
    ('At Risk', 5, 1, 2, 2, 5, 'Spent big money and purchased often, but long ago.'),
    ('About To Sleep', 6, 2, 3, 1, 2, 'Below-average recency, frequency and monetary values.'),
    ('Promising', 7, 3, 4, 1, 1, 'Recent shoppers who have not spent much yet.'),
    ('New Customers', 8, 4, 5, 1, 1, 'Bought most recently, but not often.'),
    ('Need Attention', 9, 2, 3, 2, 3, 'Above-average recency, frequency and monetary values; may not have bought very recently.'),
    ('Loyal Customers', 10, 2, 5, 3, 5, 'Spend good money often; responsive to promotions.'),
    ('Potential Loyalist', 11, 3, 5, 1, 3, 'Recent customers who spent a good amount and bought more than once.');
-- pg_dump keeps every row (edited and added segments). On restore CREATE EXTENSION has already inserted the
-- defaults, so inserting a segment that exists replaces it instead of failing.
CREATE FUNCTION supplymkt_internal.rfm_segments_upsert() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.rfm_segments
       SET priority = NEW.priority, r_min = NEW.r_min, r_max = NEW.r_max, fm_min = NEW.fm_min,
           fm_max = NEW.fm_max, description = NEW.description
     WHERE segment = NEW.segment;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION supplymkt_internal.rfm_segments_upsert() IS
    'Trigger of rfm_segments: inserting a segment that already exists updates it (so pg_dump/restore of edited segments works).';
CREATE TRIGGER rfm_segments_upsert BEFORE INSERT ON @extschema@.rfm_segments
    FOR EACH ROW EXECUTE FUNCTION supplymkt_internal.rfm_segments_upsert();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.rfm_segments', '');
GRANT SELECT ON @extschema@.rfm_segments TO PUBLIC;
COMMENT ON TABLE @extschema@.rfm_segments IS
    'Named RFM segments read by rfm_score: a customer gets the first segment, by priority then name, whose R range and FM range contain the customer''s R and FM on the 1..5 grid (FM = floor((F + M) / 2); with bins other than 5 each score s is first mapped to round-half-up(1 + (s - 1) * 4 / (bins - 1))). The defaults are Putler''s segments (Champions, Loyal Customers, Potential Loyalist, New Customers, Promising, Need Attention, About To Sleep, At Risk, Can''t Lose Them, Hibernating, Lost), ordered so they partition the 25 cells. Edit freely; pg_dump keeps your rows (a deleted default row comes back on restore: narrow it to a cell another row wins instead).';
COMMENT ON COLUMN @extschema@.rfm_segments.segment IS 'Segment name returned by rfm_score.';
COMMENT ON COLUMN @extschema@.rfm_segments.priority IS 'Rows are tried in ascending priority (then name); the first match wins.';
COMMENT ON COLUMN @extschema@.rfm_segments.r_min IS 'Lowest recency score (1..5 grid) of the segment.';
COMMENT ON COLUMN @extschema@.rfm_segments.r_max IS 'Highest recency score (1..5 grid) of the segment.';
COMMENT ON COLUMN @extschema@.rfm_segments.fm_min IS 'Lowest FM score, floor((F + M) / 2) on the 1..5 grid.';
COMMENT ON COLUMN @extschema@.rfm_segments.fm_max IS 'Highest FM score, floor((F + M) / 2) on the 1..5 grid.';
COMMENT ON COLUMN @extschema@.rfm_segments.description IS 'Who the segment''s customers are.';

CREATE FUNCTION @extschema@.rfm_score(recency double precision, frequency double precision, monetary double precision,
                                      breaks @extschema@.rfm_breaks)
    RETURNS @extschema@.rfm_score AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(double precision, double precision, double precision, @extschema@.rfm_breaks) IS
    'R, F and M scores (1..bins, higher is better; recency inverted), the code (''545'') and the named segment of one customer under breakpoints from rfm_breaks: a score is 1 plus the number of thresholds the value reaches (recency <= threshold; frequency, monetary >= threshold). The segment comes from supplymkt.rfm_segments (read once per statement). NULL input gives NULL; NaN or infinite values raise 22023.';

-- -----------------------------------------------------------------------------------------------------------
-- clv_time_decay: model-free CLV proxy
-- -----------------------------------------------------------------------------------------------------------
CREATE FUNCTION supplymkt_internal.clv_time_decay_transfn(@extschema@.time_decay_state, double precision, timestamptz, timestamptz, double precision)
    RETURNS @extschema@.time_decay_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.time_decay_state_combine(@extschema@.time_decay_state, @extschema@.time_decay_state)
    RETURNS @extschema@.time_decay_state AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.clv_time_decay_final(@extschema@.time_decay_state)
    RETURNS double precision AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.clv_time_decay(amount double precision, order_time timestamptz, as_of timestamptz,
                                            half_life_days double precision) (
    SFUNC = supplymkt_internal.clv_time_decay_transfn, STYPE = @extschema@.time_decay_state,
    COMBINEFUNC = supplymkt_internal.time_decay_state_combine, FINALFUNC = supplymkt_internal.clv_time_decay_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION supplymkt_internal.clv_time_decay_transfn(@extschema@.time_decay_state, double precision, timestamptz, timestamptz, double precision) IS 'Transition function of clv_time_decay.';
COMMENT ON FUNCTION supplymkt_internal.time_decay_state_combine(@extschema@.time_decay_state, @extschema@.time_decay_state) IS 'Combines two partial time_decay_state values of the same as_of and half-life.';
COMMENT ON FUNCTION supplymkt_internal.clv_time_decay_final(@extschema@.time_decay_state) IS 'Final function of clv_time_decay.';
COMMENT ON AGGREGATE @extschema@.clv_time_decay(double precision, timestamptz, timestamptz, double precision) IS
    'Model-free CLV proxy: sum of amount * 0.5 ^ (age / half_life_days) over a customer''s orders, age = as_of - order_time in days (fractional): an order half_life_days old counts half. Orders after as_of are left out (not an error); NULL when no order is on or before as_of. Rows with a NULL amount or order_time are skipped. as_of and half_life_days must be non-NULL (22004) and the same on every row (22023); half_life_days must be positive and finite, amounts non-negative and finite, times finite (22023).';

-- -----------------------------------------------------------------------------------------------------------
-- Cohort retention
-- -----------------------------------------------------------------------------------------------------------
-- Text of the retention query for a source schema, a number of months and a time zone (all quoted here).
CREATE FUNCTION supplymkt_internal.retention_query(source_schema text, months integer, time_zone text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
months AS (
    SELECT DISTINCT o.customer_id, date_trunc('month', o.order_time::timestamptz AT TIME ZONE %2$L)::date AS month
      FROM %1$I.orders AS o
     WHERE o.customer_id IS NOT NULL AND o.order_time IS NOT NULL AND isfinite(o.order_time::timestamptz)
),
cohorts AS (
    SELECT customer_id, min(month) AS cohort_month FROM months GROUP BY customer_id
),
sizes AS (
    SELECT cohort_month, count(*) AS cohort_customers FROM cohorts GROUP BY cohort_month
),
activity AS (
    SELECT c.cohort_month,
           (extract(year FROM age(m.month, c.cohort_month)) * 12 + extract(month FROM age(m.month, c.cohort_month)))::int AS month_offset,
           count(*) AS active_customers
      FROM months AS m JOIN cohorts AS c ON c.customer_id = m.customer_id
     GROUP BY 1, 2
),
grid AS (
    SELECT s.cohort_month, k.month_offset, s.cohort_customers
      FROM sizes AS s
     CROSS JOIN (SELECT max(month) AS last_month FROM months) AS l
     CROSS JOIN LATERAL generate_series(0, least(%3$s, (extract(year FROM age(l.last_month, s.cohort_month)) * 12
                                                        + extract(month FROM age(l.last_month, s.cohort_month)))::int)) AS k(month_offset)
)
SELECT g.cohort_month, g.month_offset, g.cohort_customers,
       COALESCE(a.active_customers, 0) AS active_customers,
       COALESCE(a.active_customers, 0)::float8 / g.cohort_customers AS retention_rate,
       COALESCE(a.active_customers, 0)::float8
         / NULLIF(lag(COALESCE(a.active_customers, 0)) OVER (PARTITION BY g.cohort_month ORDER BY g.month_offset), 0) AS mom_retention
  FROM grid AS g
  LEFT JOIN activity AS a ON a.cohort_month = g.cohort_month AND a.month_offset = g.month_offset
$q$, source_schema, time_zone, months)
$body$;
COMMENT ON FUNCTION supplymkt_internal.retention_query(text, integer, text) IS
    'The SELECT behind retention_cohorts and the retention_mv dashboard for a source schema, months and a time zone (handy to read or EXPLAIN).';

CREATE FUNCTION @extschema@.retention_cohorts(source_schema text, months integer DEFAULT 12, time_zone text DEFAULT NULL)
    RETURNS TABLE (cohort_month date, month_offset integer, cohort_customers bigint, active_customers bigint,
                   retention_rate double precision, mom_retention double precision)
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tz text := COALESCE(time_zone, current_setting('TimeZone'));
    rel regclass;
    missing text;
BEGIN
    IF source_schema IS NULL OR months IS NULL THEN
        RAISE EXCEPTION 'source_schema and months must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF months < 0 OR months > 1200 THEN
        RAISE EXCEPTION 'months must be between 0 and 1200, got %', months USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = source_schema) THEN
        RAISE EXCEPTION 'source schema "%" does not exist', source_schema USING ERRCODE = 'invalid_schema_name';
    END IF;
    SELECT c.oid INTO rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = source_schema AND c.relname = 'orders' AND c.relkind IN ('r', 'p', 'v', 'm', 'f');
    IF rel IS NULL THEN
        RAISE EXCEPTION 'source relation %.orders does not exist', quote_ident(source_schema)
            USING ERRCODE = 'undefined_table',
                  HINT = 'Cohort retention reads the canonical relation orders (customer_id, order_time): provide a table or view with that name, or generate one with supplymkt.generate_demo_data.';
    END IF;
    SELECT string_agg(quote_ident(col), ', ') INTO missing
      FROM unnest(ARRAY['customer_id', 'order_time']) AS col
     WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = rel AND a.attname = col
                                                      AND a.attnum > 0 AND NOT a.attisdropped);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'source relation %.orders lacks column %', quote_ident(source_schema), missing
            USING ERRCODE = 'undefined_column';
    END IF;
    PERFORM supplymkt_internal.check_time_zone(tz);
    RETURN QUERY EXECUTE supplymkt_internal.retention_query(source_schema, months, tz) || ' ORDER BY 1, 2';
END;
$$;
COMMENT ON FUNCTION @extschema@.retention_cohorts(text, integer, text) IS
    'Monthly cohort retention from source_schema.orders (customer_id, order_time): a customer''s cohort is the month of their first order; for each cohort and month_offset 0..months (0 = the cohort month) it gives cohort_customers, active_customers (cohort customers with an order in that month), retention_rate = active / cohort size (1 at offset 0) and mom_retention = active(k) / active(k - 1) (a ratio of counts, can exceed 1; NULL at offset 0 or after a month without activity). Offsets after the last month with any order are not reported (not observed yet); months without activity are reported with 0. Months are calendar months in time_zone (default: the session''s TimeZone). Orders with a NULL customer, a NULL or infinite time are left out. Errors: 22004 NULL schema or months, 22023 months outside 0..1200 or unknown time zone, 3F000 unknown schema, 42P01 no orders relation, 42703 missing column.';

-- ---------------------------------------------------------------------------------------------------------
-- Dashboards of this family: the query builders and their entries in the dashboard catalog (src/sql/dashboards.sql)
-- ---------------------------------------------------------------------------------------------------------

-- Text of the CTEs (without WITH) of the per-customer RFM summary of source_schema as of its latest order, in
-- a time zone: order_values, local, bounds, summary and flat (one row per customer with orders); shared by the
-- customer dashboard and the CLV model dashboard.
CREATE FUNCTION supplymkt_internal.customer_summary_ctes(source_schema text, time_zone text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
order_values AS (
    SELECT o.customer_id, o.order_time, greatest(COALESCE(sum(oi.quantity * oi.unit_price), 0), 0)::float8 AS amount
      FROM %1$I.orders AS o
      LEFT JOIN %1$I.order_items AS oi ON oi.order_id = o.order_id
     WHERE o.customer_id IS NOT NULL AND o.order_time IS NOT NULL AND isfinite(o.order_time)
     GROUP BY o.order_id, o.customer_id, o.order_time
),
local AS (
    -- wall-clock times of the dashboard time zone labelled UTC, so rfm_summary's UTC days are local days
    SELECT customer_id, order_time, amount, (order_time AT TIME ZONE %2$L) AT TIME ZONE 'UTC' AS local_time
      FROM order_values
),
bounds AS (
    SELECT max(order_time) AS as_of, max(local_time) AS local_as_of FROM local
),
summary AS MATERIALIZED (
    SELECT l.customer_id, b.as_of, min(l.order_time) AS first_order, max(l.order_time) AS last_order,
           @extschema@.rfm_summary(l.local_time, l.amount, b.local_as_of) AS s
      FROM local AS l CROSS JOIN bounds AS b
     GROUP BY l.customer_id, b.as_of, b.local_as_of
),
flat AS (
    SELECT customer_id, as_of, first_order, last_order, (s).recency_days, (s).orders, (s).frequency,
           (s).recency_bgnbd, (s).age_days, (s).monetary_mean, (s).monetary_repeat_mean, (s).monetary_total
      FROM summary
)$q$, source_schema, time_zone)
$body$;
COMMENT ON FUNCTION supplymkt_internal.customer_summary_ctes(text, text) IS
    'The common table expressions (order_values, local, bounds, summary, flat) of the per-customer rfm_summary of source_schema as of its latest order, days in time_zone; shared by customer_dashboard_query and clv_model_query.';

-- Text of the customer dashboard query (one row per customer) for a source schema and a time zone; the CLV
-- columns come from the model of target_schema.clv_model_mv (built before it); with_names reads customers.name.
CREATE FUNCTION supplymkt_internal.customer_dashboard_query(source_schema text, target_schema text, time_zone text,
                                                            with_names boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%1$s,
breaks AS (
    SELECT @extschema@.rfm_breaks(recency_days, orders, monetary_total) AS b FROM flat
),
scored AS (
    SELECT f.*, @extschema@.rfm_score(f.recency_days, f.orders, f.monetary_total, b.b) AS sc
      FROM flat AS f CROSS JOIN breaks AS b
),
model AS (
    SELECT cm.model AS m, cm.model::text::jsonb ->> 'model' AS purchase_model,
           cm.model IS NOT NULL AND cm.model::text::jsonb ? 'gamma' AS has_spend
      FROM %2$I.clv_model_mv AS cm WHERE cm.name = 'clv'
),
%3$s
SELECT s.customer_id, cn.name, s.as_of, s.orders, s.frequency, s.recency_days, s.recency_bgnbd, s.age_days,
       round(s.monetary_mean::numeric, 2) AS monetary_mean, round(s.monetary_repeat_mean::numeric, 2) AS monetary_repeat_mean,
       round(s.monetary_total::numeric, 2) AS monetary_total, s.first_order, s.last_order,
       (s.sc).r AS r_score, (s.sc).f AS f_score, (s.sc).m AS m_score, (s.sc).code AS rfm_code,
       COALESCE((s.sc).segment, '(unassigned)') AS segment, md.purchase_model AS clv_model,
       @extschema@.probability_alive(md.m, s.frequency::float8, s.recency_bgnbd, s.age_days) AS p_alive,
       @extschema@.expected_purchases(md.m, 365, s.frequency::float8, s.recency_bgnbd, s.age_days) AS expected_purchases_12m,
       CASE WHEN md.has_spend
            THEN round(@extschema@.clv_estimate(md.m, s.frequency::float8, s.recency_bgnbd, s.age_days,
                                                COALESCE(s.monetary_repeat_mean, 0), 365, 0)::numeric, 2)
       END AS clv_12m
  FROM scored AS s LEFT JOIN model AS md ON true
  LEFT JOIN customer_name AS cn ON cn.id = s.customer_id
$q$, supplymkt_internal.customer_summary_ctes(source_schema, time_zone), target_schema,
     supplymkt_internal.names_cte('customer_name', source_schema, 'customers', 'customer_id', with_names))
$body$;
COMMENT ON FUNCTION supplymkt_internal.customer_dashboard_query(text, text, text, boolean) IS
    'The SELECT behind customer_dashboard_mv for a source schema and a time zone: the rfm_summary, scores and segment of every customer, its name (customers.name when with_names, else NULL), and p_alive, expected_purchases_12m and clv_12m under the CLV model of target_schema.clv_model_mv (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the RFM segment summary query over target_schema.customer_dashboard_mv.
CREATE FUNCTION supplymkt_internal.customer_segments_query(target_schema text, with_clv boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
SELECT g.segment, count(c.customer_id) AS customers,
       count(c.customer_id)::float8 / NULLIF(t.customers, 0) AS customer_share,
       COALESCE(sum(c.monetary_total), 0) AS revenue,
       (COALESCE(sum(c.monetary_total), 0) / NULLIF(t.revenue, 0))::float8 AS revenue_share,
       avg(c.recency_days) AS mean_recency_days, avg(c.orders)::float8 AS mean_orders,
       round(avg(c.monetary_total), 2) AS mean_monetary_total%2$s
  FROM (SELECT segment FROM @extschema@.rfm_segments UNION SELECT segment FROM %1$I.customer_dashboard_mv) AS g
 CROSS JOIN (SELECT count(*) AS customers, sum(monetary_total) AS revenue FROM %1$I.customer_dashboard_mv) AS t
  LEFT JOIN %1$I.customer_dashboard_mv AS c ON c.segment = g.segment
 GROUP BY g.segment, t.customers, t.revenue
$q$, target_schema,
     CASE WHEN with_clv THEN ',
       round(avg(c.clv_12m), 2) AS mean_clv_12m, sum(c.clv_12m) AS total_clv_12m,
       avg(c.p_alive) AS mean_p_alive' ELSE '' END)
$body$;
COMMENT ON FUNCTION supplymkt_internal.customer_segments_query(text, boolean) IS
    'The SELECT behind customer_segments_mv: one row per RFM segment (every segment of supplymkt.rfm_segments, plus ''(unassigned)'' when used) summarising target_schema.customer_dashboard_mv (used by create_dashboards).';

-- dashboard customer_dashboard
SELECT supplymkt_internal.register_dashboard(
    name => 'customer_dashboard', family => 'customers', build_order => 200,
    query_call => 'supplymkt_internal.customer_dashboard_query(%1$L, %2$L, %3$L, supplymkt_internal.source_has_column(%1$L, ''customers'', ''name''))',
    unique_key => ARRAY['customer_id'],
    source_columns => ARRAY['orders.order_id', 'orders.customer_id', 'orders.order_time', 'order_items.order_id', 'order_items.quantity', 'order_items.unit_price'],
    title => 'Customer dashboard',
    mv_comment => 'Customer dashboard built by supplymkt.create_dashboards from schema %1$s (days in time zone %3$s): one row per customer with orders, as of the latest order in the data: the rfm_summary of the customer''s orders (order value = sum(quantity * unit_price) of its items), the R, F and M scores, code and named segment from rfm_breaks over all customers of the refresh and supplymkt.rfm_segments, and p_alive, expected purchases and CLV over the next 365 days from the CLV model of %2$I.clv_model_mv (the purchase model with the lowest holdout error, plus Gamma-Gamma spend), fitted on all customers by the same refresh. Refresh with supplymkt.refresh_dashboards(%2$L) (CONCURRENTLY: unique index customer_dashboard_mv_key). Query the view customer_dashboard.',
    columns => ARRAY[
        ['customer_id', 'Customer (orders.customer_id): every customer with at least one order with a finite order_time.'],
        ['name', 'The customer''s name (customers.name, an optional column of the canonical model); NULL when the source has no such column or no row for the customer.'],
        ['as_of', 'The time the summary is taken at: the latest order_time in the data at refresh time (a refresh of unchanged data gives the same numbers; with live data it is about now).'],
        ['orders', 'Orders of the customer (the RFM frequency the scores use).'],
        ['frequency', 'BG/NBD frequency: distinct purchase days after the first (calendar days in the dashboard time zone). 0 for customers who bought on one day only.'],
        ['recency_days', 'Days from the last order to as_of, fractional (the RFM recency the scores use; wall-clock time in the dashboard time zone).'],
        ['recency_bgnbd', 'BG/NBD recency t_x: whole days from the first to the last purchase day.'],
        ['age_days', 'BG/NBD customer age T: whole days from the first purchase day to the day of as_of.'],
        ['monetary_mean', 'Mean order value, rounded to cents. An order''s value is sum(quantity * unit_price) of its order_items, in the currency of the source data; an order without items, or with a negative total, counts as 0.'],
        ['monetary_repeat_mean', 'Gamma-Gamma spend input: mean of the daily order totals on the repeat purchase days, rounded to cents. NULL when frequency = 0.'],
        ['monetary_total', 'Total value of the customer''s orders, rounded to cents (the RFM monetary value the scores use, unrounded).'],
        ['first_order', 'Time of the first order.'],
        ['last_order', 'Time of the last order.'],
        ['r_score', 'Recency score 1..5, 5 = most recent: rfm_score under rfm_breaks(recency_days, orders, monetary_total) over all customers of the refresh (ties share a score; see rfm_breaks).'],
        ['f_score', 'Frequency score 1..5 by orders, 5 = most orders (ties share a score, so with most customers at 1 order some scores stay unused).'],
        ['m_score', 'Monetary score 1..5 by monetary_total, 5 = highest value.'],
        ['rfm_code', 'The three scores as one code, e.g. ''545''.'],
        ['segment', 'Named RFM segment from supplymkt.rfm_segments at refresh time (Champions, Loyal Customers, ...); ''(unassigned)'' when no row of the table matches.'],
        ['clv_model', 'The purchase model behind p_alive, expected_purchases_12m and clv_12m: bgnbd, mbgnbd or pnbd, the one with the lowest holdout error on this data (see the models view, name clv, for the errors and the fit). NULL when no model could be fitted.'],
        ['p_alive', 'Probability that the customer is still active at as_of, under clv_model fitted on every customer of this refresh (days). For one-time buyers (frequency 0) BG/NBD always gives 1 (it lets customers drop out only after a repeat purchase); MBG/NBD and Pareto/NBD let them drop out, so their p_alive falls with age_days. NULL when no model could be fitted (fewer than 10 customers, or no repeat purchase at all).'],
        ['expected_purchases_12m', 'Expected purchases in the 365 days after as_of (expected_purchases, same model) = p_alive x the purchases of an active customer: for BG/NBD one-time buyers that is the active rate whatever their age. NULL like p_alive.'],
        ['clv_12m', 'Expected value of the customer''s purchases in the 365 days after as_of, undiscounted, rounded to cents: clv_estimate (clv_model purchases x Gamma-Gamma expected spend, same fit; the spend model uses the repeat customers with a positive monetary_repeat_mean; one-time buyers get the population mean spend), in the currency of the source data. NULL like p_alive, and when the spend model could not be fitted (fewer than 10 such repeat customers).']]);

-- dashboard customer_segments
SELECT supplymkt_internal.register_dashboard(
    name => 'customer_segments', family => 'customers', build_order => 210,
    query_call => 'supplymkt_internal.customer_segments_query(%2$L, true)',
    unique_key => ARRAY['segment'],
    source_columns => ARRAY[]::text[],
    title => 'RFM segment summary',
    mv_comment => 'RFM segment summary built by supplymkt.create_dashboards from %2$I.customer_dashboard_mv: one row per segment of supplymkt.rfm_segments (at refresh time; segments without customers included) and ''(unassigned)'' when some customer matched no segment. refresh_dashboards(%2$L) refreshes it after customer_dashboard_mv (in build order); refreshing it alone summarises the customer dashboard as last refreshed. Query the view customer_segments.',
    columns => ARRAY[
        ['segment', 'RFM segment name (supplymkt.rfm_segments), or ''(unassigned)''.'],
        ['customers', 'Customers in the segment. 0 for a segment nobody is in.'],
        ['customer_share', 'customers / all customers of the dashboard, 0..1. NULL without customers.'],
        ['revenue', 'Sum of monetary_total of the segment''s customers (lifetime value of their orders up to as_of). 0 for an empty segment.'],
        ['revenue_share', 'revenue / the revenue of all customers, 0..1. NULL when the total is 0.'],
        ['mean_recency_days', 'Mean recency_days of the segment''s customers. NULL for an empty segment.'],
        ['mean_orders', 'Mean number of orders of the segment''s customers. NULL for an empty segment.'],
        ['mean_monetary_total', 'Mean monetary_total of the segment''s customers, rounded to cents. NULL for an empty segment.'],
        ['mean_clv_12m', 'Mean clv_12m (expected value of the next 365 days) of the segment''s customers, rounded to cents. NULL for an empty segment.'],
        ['total_clv_12m', 'Sum of clv_12m of the segment''s customers. NULL for an empty segment.'],
        ['mean_p_alive', 'Mean p_alive of the segment''s customers (see customer_dashboard.p_alive for what it means for one-time buyers under the chosen model). NULL for an empty segment.']]);

-- dashboard retention
SELECT supplymkt_internal.register_dashboard(
    name => 'retention', family => 'customers', build_order => 220,
    query_call => 'supplymkt_internal.retention_query(%1$L, 12, %3$L)',
    unique_key => ARRAY['cohort_month', 'month_offset'],
    source_columns => ARRAY['orders.customer_id', 'orders.order_time'],
    title => 'Cohort retention',
    mv_comment => 'Monthly cohort retention built by supplymkt.create_dashboards from schema %1$s (months in time zone %3$s): supplymkt.retention_cohorts(%1$L, 12, %3$L) as a materialized view, one row per (first-order month cohort, month offset 0..12) up to the last month with orders. Refresh with supplymkt.refresh_dashboards(%2$L). Query the view retention.',
    columns => ARRAY[
        ['cohort_month', 'First day of the cohort''s month: the month of its customers'' first order (in the dashboard time zone).'],
        ['month_offset', 'Months after the cohort month, 0..12 (0 = the cohort month itself); offsets after the last month with orders are not reported.'],
        ['cohort_customers', 'Customers whose first order fell in cohort_month.'],
        ['active_customers', 'Cohort customers with at least one order in the month cohort_month + month_offset. 0 when none.'],
        ['retention_rate', 'active_customers / cohort_customers, 0..1 (1 at offset 0).'],
        ['mom_retention', 'Month-over-month ratio active_customers(offset) / active_customers(offset - 1); can exceed 1 when customers return. NULL at offset 0 and after a month without activity.']]);
