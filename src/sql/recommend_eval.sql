-- ===========================================================================================================
-- Offline evaluation of the recommenders (recommend.sql) on the canonical data model, split by time
-- ===========================================================================================================

-- Offline evaluation: train on the orders before cutoff, test on the orders from cutoff on.
CREATE FUNCTION @extschema@.evaluate_recommenders(source_schema text, cutoff timestamptz, k integer DEFAULT 10,
                                                  top_k integer DEFAULT 20,
                                                  hybrid_weight double precision DEFAULT 0.7)
    RETURNS TABLE (recommender text, users bigint, precision_at_k double precision, recall_at_k double precision,
                   ndcg_at_k double precision, hit_rate double precision, coverage double precision)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    SET jit = off
AS $$
BEGIN
    IF cutoff IS NULL OR k IS NULL OR top_k IS NULL OR hybrid_weight IS NULL THEN
        RAISE EXCEPTION 'cutoff, k, top_k and hybrid_weight must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT isfinite(cutoff) THEN
        RAISE EXCEPTION 'cutoff must be a finite time, not %', cutoff
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Orders before cutoff train the models, orders from cutoff on test them: pick a time inside the order history, e.g. two thirds into it.';
    END IF;
    IF k < 1 OR k > 1000 THEN
        RAISE EXCEPTION 'k must be between 1 and 1000, not %', k
            USING ERRCODE = 'invalid_parameter_value', HINT = 'k is the number of items recommended to each user (default 10).';
    END IF;
    IF top_k < 1 OR top_k > 1000 THEN
        RAISE EXCEPTION 'top_k must be between 1 and 1000, not %', top_k
            USING ERRCODE = 'invalid_parameter_value', HINT = 'top_k is the number of neighbours kept per item (default 20).';
    END IF;
    IF hybrid_weight = 'NaN'::float8 OR hybrid_weight < 0 OR hybrid_weight > 1 THEN
        RAISE EXCEPTION 'hybrid_weight must be between 0 and 1, not %', hybrid_weight
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'hybrid_weight is the weight of the item-based scores in the hybrid (the content scores get 1 - hybrid_weight).';
    END IF;
    PERFORM supplymkt_internal.check_source(source_schema, ARRAY[
        'products.product_id', 'products.category', 'products.first_listed', 'products.unit_price',
        'orders.order_id', 'orders.customer_id', 'orders.order_time', 'order_items.order_id',
        'order_items.product_id'], 'evaluate_recommenders');

    RETURN QUERY EXECUTE pg_catalog.format($q$
WITH
line AS MATERIALIZED (
    -- user-item interactions: one per order line; in_train when the order was placed before the cutoff
    SELECT o.customer_id AS user_id, oi.product_id AS item_id, o.order_time < $1 AS in_train
      FROM %1$I.orders AS o
      JOIN %1$I.order_items AS oi ON oi.order_id = o.order_id
     WHERE o.customer_id IS NOT NULL AND oi.product_id IS NOT NULL AND o.order_time IS NOT NULL
),
train AS MATERIALIZED (
    -- weight = order lines of the item before the cutoff (item_similarity sums duplicate rows the same way)
    SELECT user_id, item_id, count(*)::float8 AS weight FROM line WHERE in_train GROUP BY user_id, item_id
),
history AS MATERIALIZED (
    SELECT user_id, array_agg(item_id ORDER BY item_id) AS items FROM train GROUP BY user_id
),
evaluated AS MATERIALIZED (
    -- users with a train purchase and a test purchase of an item they had not bought before the cutoff;
    -- relevant = those new items
    SELECT h.user_id, h.items AS history, r.items AS relevant
      FROM history AS h
      JOIN (SELECT l.user_id, array_agg(DISTINCT l.item_id) AS items
              FROM line AS l
             WHERE NOT l.in_train
               AND NOT EXISTS (SELECT 1 FROM train AS t WHERE t.user_id = l.user_id AND t.item_id = l.item_id)
             GROUP BY l.user_id) AS r ON r.user_id = h.user_id
),
catalogue AS MATERIALIZED (
    -- the products on sale at the cutoff (first_listed before it, or unknown), with their content attributes
    SELECT p.product_id AS item_id, COALESCE(p.category, '(uncategorized)') AS category,
           CASE WHEN p.unit_price > 0 THEN ln(p.unit_price::float8) END AS log_price
      FROM %1$I.products AS p
     WHERE p.product_id IS NOT NULL AND (p.first_listed IS NULL OR p.first_listed < $1)
),
category AS MATERIALIZED (
    SELECT c.category, row_number() OVER (ORDER BY c.category COLLATE "C") AS position
      FROM (SELECT DISTINCT category FROM catalogue) AS c
),
feature AS MATERIALIZED (
    -- one-hot category (categories in byte order of their names), then the price level q in 0..1 (ln unit_price
    -- min-max scaled over the catalogue; 0 when all prices are equal) as 0.5 x (cos(q pi/2), sin(q pi/2)); an
    -- item without a positive price gets (0, 0)
    SELECT f.item_id,
           ARRAY(SELECT CASE WHEN k.category = f.category THEN 1 ELSE 0 END::float8
                   FROM category AS k ORDER BY k.position)
           || CASE WHEN f.log_price IS NULL THEN ARRAY[0, 0]::float8[]
                   ELSE ARRAY[0.5 * cos(pi() / 2 * f.price_level), 0.5 * sin(pi() / 2 * f.price_level)] END AS features
      FROM (SELECT c.item_id, c.category, c.log_price,
                   COALESCE((c.log_price - min(c.log_price) OVER ())
                            / NULLIF(max(c.log_price) OVER () - min(c.log_price) OVER (), 0), 0) AS price_level
              FROM catalogue AS c) AS f
),
model AS MATERIALIZED (
    SELECT (SELECT @extschema@.item_similarity(t.user_id, t.item_id, t.weight, $3)
              FROM train AS t WHERE EXISTS (SELECT 1 FROM evaluated)) AS item_based,
           (SELECT @extschema@.item_content_similarity(f.item_id, f.features, $3)
              FROM feature AS f WHERE EXISTS (SELECT 1 FROM evaluated)) AS content
),
recommender AS (
    SELECT 1 AS ord, 'item_based'::text AS name, m.item_based AS model, false AS popularity_only FROM model AS m
    UNION ALL
    SELECT 2, 'content', m.content, false FROM model AS m
    UNION ALL
    SELECT 3, 'hybrid',
           CASE WHEN m.item_based IS NULL THEN m.content
                WHEN m.content IS NULL THEN m.item_based
                ELSE @extschema@.item_neighbors_blend(m.item_based, m.content, $4, $3) END,
           false
      FROM model AS m
    UNION ALL
    -- the popularity fallback of recommend() alone: an empty history, the user's history excluded
    SELECT 4, 'popularity', m.item_based, true FROM model AS m
),
per_user AS MATERIALIZED (
    SELECT r.ord, e.user_id, cardinality(e.relevant) AS relevant, x.hits, x.dcg, x.items,
           (SELECT sum(ln(2::float8) / ln(g + 1::float8))
              FROM generate_series(1, least($2, cardinality(e.relevant))) AS g) AS ideal_dcg
      FROM recommender AS r
     CROSS JOIN evaluated AS e
     CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE y.item_id = ANY (e.relevant)) AS hits,
                   COALESCE(sum(ln(2::float8) / ln(y.rank + 1::float8)) FILTER (WHERE y.item_id = ANY (e.relevant)), 0) AS dcg,
                   array_agg(y.item_id) AS items
              FROM @extschema@.recommend(r.model, CASE WHEN r.popularity_only THEN '{}'::bigint[] ELSE e.history END,
                                         $2, e.history) AS y
             WHERE r.model IS NOT NULL) AS x
),
covered AS (
    SELECT p.ord, count(DISTINCT i.item_id) AS items
      FROM per_user AS p CROSS JOIN LATERAL unnest(p.items) AS i(item_id)
     GROUP BY p.ord
)
SELECT r.name, count(p.user_id), avg(p.hits::float8 / $2), avg(p.hits::float8 / p.relevant),
       avg(p.dcg / p.ideal_dcg), avg((p.hits > 0)::integer::float8),
       COALESCE(c.items, 0)::float8 / NULLIF((SELECT count(DISTINCT item_id) FROM catalogue), 0)
  FROM recommender AS r
  LEFT JOIN per_user AS p ON p.ord = r.ord
  LEFT JOIN covered AS c ON c.ord = r.ord
 GROUP BY r.ord, r.name, c.items
 ORDER BY r.ord
$q$, source_schema)
    USING cutoff, k, top_k, hybrid_weight;
END;
$$;
COMMENT ON FUNCTION @extschema@.evaluate_recommenders(text, timestamptz, integer, integer, double precision) IS
    'Offline evaluation of four recommenders on the canonical relations of source_schema, split by time: the order lines (orders.customer_id as user, order_items.product_id as item) before cutoff train, those from cutoff on test. Evaluated users: a train purchase and a test purchase of an item not in their train history; relevant items = those new test items. Each recommender gives every evaluated user k items outside the user''s train history (supplymkt.recommend): item_based = item_similarity(user, item, weight = order lines, top_k) (cosine) over all train interactions; content = item_content_similarity over the products listed before cutoff (first_listed NULL or earlier) with features = one-hot category (byte order of the names) followed by 0.5 x (cos(q pi/2), sin(q pi/2)), q = ln(unit_price) min-max scaled to 0..1 over those products ((0, 0) without a positive price), so two items'' cosine is ([same category] + 0.25 cos((q_i - q_j) pi/2)) / 1.25: same category 0.8..1, other categories 0..0.2, nearer prices more similar; hybrid = item_neighbors_blend(item_based, content, hybrid_weight, top_k); popularity = the most popular train items (distinct train users; ties: lower id): recommend(item_based model, empty history, k, exclude = history). Every recommender fills up with popular items when it has fewer than k similar ones (content and hybrid rank by their own model''s popularity: 0 for content-only items, ties by lower id). Per user: precision@k = hits / k, recall@k = hits / relevant items, NDCG@k = sum over hits of 1 / log2(rank + 1) divided by the same sum over ranks 1..min(k, relevant items) (binary relevance), hit = at least one hit; the columns are means over the evaluated users (NULL when there are none). coverage = distinct items recommended to the evaluated users / products listed before cutoff. Errors: 22004 NULL argument, 22023 infinite cutoff, k or top_k outside 1..1000 or hybrid_weight outside 0..1 (or NaN), 3F000 unknown schema, 42P01/42703 missing relation/column.';
