-- Recommendations (src/recommend/): item_similarity with every measure on a small interaction table checked
-- by hand and against plain SQL, neighbors, recommend (history, exclude, popularity fill, because),
-- item_content_similarity, item_neighbors_blend, association rules (assoc_rules, frequent_itemsets, rules) on
-- ten baskets checked by hand and against plain SQL, text and binary round trips of the models and states,
-- order independence, the ±2^53 id limit, NULL results, and clean errors for bad input.
SET extra_float_digits = 0;
-- 6 significant digits (of a number and of each element of an array; ±Infinity as is), and a try() that reports SQLSTATE and
-- message of a failing statement
CREATE FUNCTION pg_temp.sig(v float8, digits int DEFAULT 6) RETURNS numeric LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN v = 0 OR v IN ('Infinity', '-Infinity', 'NaN') THEN v::numeric
                      ELSE round(v::numeric, digits - 1 - floor(log(abs(v::numeric)))::int) END $$;
CREATE FUNCTION pg_temp.sigs(a float8[], digits int DEFAULT 6) RETURNS numeric[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT array_agg(pg_temp.sig(x, digits) ORDER BY i) FROM unnest(a) WITH ORDINALITY AS u(x, i) $$;
CREATE FUNCTION pg_temp.jarr(j jsonb) RETURNS float8[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT array_agg(x::float8 ORDER BY i) FROM jsonb_array_elements_text(j) WITH ORDINALITY AS u(x, i) $$;
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- a model's neighbour lists, one row per item: neighbours best first, scores to 6 digits, supports
CREATE FUNCTION pg_temp.lists(m supplymkt.item_neighbors)
    RETURNS TABLE (item_id bigint, neighbors bigint[], scores numeric[], supports bigint[]) LANGUAGE sql AS $$
    SELECT n.item_id, array_agg(n.neighbor_id ORDER BY n.rank), array_agg(pg_temp.sig(n.score) ORDER BY n.rank),
           array_agg(n.support ORDER BY n.rank)
      FROM supplymkt.neighbors(m) AS n GROUP BY n.item_id ORDER BY n.item_id $$;

-- 6 users x 6 items. Duplicate rows are summed: (1, 101) twice -> weight 2, (2, 102) weights 2 + 1 -> 3; the
-- NULL weight of (6, 106) counts as 1; row 18 (NULL user) and row 19 (NULL item) are skipped, so user 7 does
-- not exist. Weighted item vectors over users 1..6 (unweighted, i.e. row counts, in brackets where different):
--   101 [2,1,1,0,0,1]  |101|^2 = 7         n = 4 users
--   102 [1,3,0,1,0,0]  |102|^2 = 11 ([1,2,0,1,0,0], 6)   n = 3
--   103 [1,0,2,1,0,0]  |103|^2 = 6  ([1,0,1,1,0,0], 3)   n = 3
--   104 [0,0,1,0,1,0]  |104|^2 = 2         n = 2
--   105 [0,0,0,2,1,0]  |105|^2 = 5  ([0,0,0,1,1,0], 2)   n = 2
--   106 [0,0,0,0,0,1]  |106|^2 = 1         n = 1
-- U = 6 users, 15 distinct (user, item) pairs. Co-users (support) of the 9 pairs that share a user:
--   101-102: 2 (u1, u2)  101-103: 2 (u1, u3)  101-104: 1 (u3)  101-106: 1 (u6)  102-103: 2 (u1, u4)
--   102-105: 1 (u4)      103-104: 1 (u3)      103-105: 1 (u4)  104-105: 1 (u5)
CREATE TABLE rec_events (id int, user_id bigint, item_id bigint, weight float8);
INSERT INTO rec_events VALUES
(1, 1, 101, 1), (2, 1, 101, 1), (3, 1, 102, 1), (4, 1, 103, 1),
(5, 2, 101, 1), (6, 2, 102, 2), (7, 2, 102, 1),
(8, 3, 101, 1), (9, 3, 103, 2), (10, 3, 104, 1),
(11, 4, 102, 1), (12, 4, 103, 1), (13, 4, 105, 2),
(14, 5, 104, 1), (15, 5, 105, 1),
(16, 6, 101, 1), (17, 6, 106, NULL),
(18, NULL, 101, 5), (19, 7, NULL, 5);

-- every overload and measure
CREATE TABLE rec_models AS
SELECT 'count_cosine' AS name, supplymkt.item_similarity(user_id, item_id) AS m FROM rec_events
UNION ALL SELECT 'cosine', supplymkt.item_similarity(user_id, item_id, weight) FROM rec_events
UNION ALL SELECT 'cosine_top2', supplymkt.item_similarity(user_id, item_id, weight, 2) FROM rec_events
UNION ALL SELECT 'jaccard', supplymkt.item_similarity(user_id, item_id, weight, 20, 'jaccard') FROM rec_events
UNION ALL SELECT 'jaccard_top2', supplymkt.item_similarity(user_id, item_id, weight, 2, 'jaccard') FROM rec_events
UNION ALL SELECT 'jaccard_sup2', supplymkt.item_similarity(user_id, item_id, weight, 20, 'jaccard', 2) FROM rec_events
UNION ALL SELECT 'lift', supplymkt.item_similarity(user_id, item_id, weight, 20, 'lift') FROM rec_events
UNION ALL SELECT 'shrunk_cosine', supplymkt.item_similarity(user_id, item_id, weight, 20, 'shrunk_cosine') FROM rec_events
UNION ALL SELECT 'shrunk_sup2', supplymkt.item_similarity(user_id, item_id, weight, 20, 'shrunk_cosine', 2) FROM rec_events;
-- the model's fields: items ascending, popularity = users per item
SELECT name, j->'version' AS version, j->'measure' AS measure, j->'top_k' AS top_k, j->'min_support' AS min_support,
       j->'users' AS users, j->'interactions' AS interactions, j->'items' AS items, j->'popularity' AS popularity,
       j->'offsets' AS offsets
  FROM rec_models, LATERAL (SELECT m::text::jsonb) AS s(j) ORDER BY name;
-- the whole text of the smallest model: jaccard with min_support 2 keeps the pairs with 2 co-users,
-- 101-102 = 101-103 = 2 / (4 + 3 - 2) = 0.4 and 102-103 = 2 / (3 + 3 - 2) = 0.5; 104..106 keep none
SELECT m::text AS jaccard_sup2 FROM rec_models WHERE name = 'jaccard_sup2';

-- cosine of the weights (dot / norms):
--   101: 103 4/sqrt(42) = 0.617213, 102 5/sqrt(77) = 0.569803, 106 1/sqrt(7) = 0.377964, 104 1/sqrt(14) = 0.267261
--   102: 101 0.569803, 105 2/sqrt(55) = 0.269680, 103 2/sqrt(66) = 0.246183
--   103: 101 0.617213, 104 2/sqrt(12) = 0.577350, 105 2/sqrt(30) = 0.365148, 102 0.246183
--   104: 103 0.577350, 105 1/sqrt(10) = 0.316228, 101 0.267261
--   105: 103 0.365148, 104 0.316228, 102 0.269680
--   106: 101 0.377964
SELECT l.* FROM rec_models, pg_temp.lists(m) AS l WHERE name = 'cosine';
-- no weight argument: weight 1 per row, duplicates still summed (u1-101 = 2, u2-102 = 2):
--   101: 103 3/sqrt(21) = 0.654654, 102 4/sqrt(42) = 0.617213, 106 0.377964, 104 0.267261
--   102: 101 0.617213, 103 2/sqrt(18) = 0.471405, 105 1/sqrt(12) = 0.288675
--   103: 101 0.654654, 102 0.471405, 104 and 105 both 1/sqrt(6) = 0.408248 (tie: lower id first)
--   104: 105 1/2, 103 0.408248, 101 0.267261;  105: 104 1/2, 103 0.408248, 102 0.288675;  106: 101 0.377964
SELECT l.* FROM rec_models, pg_temp.lists(m) AS l WHERE name = 'count_cosine';
-- jaccard co / (n_i + n_j - co), weights ignored:
--   101: 102 2/5, 103 2/5 (tie), 106 1/4, 104 1/5      102: 103 2/4, 101 2/5, 105 1/4
--   103: 102 2/4, 101 2/5, 104 1/4, 105 1/4 (tie)      104: 105 1/3, 103 1/4, 101 1/5
--   105: 104 1/3, 102 1/4, 103 1/4 (tie)               106: 101 1/4
SELECT l.* FROM rec_models, pg_temp.lists(m) AS l WHERE name = 'jaccard';
-- top_k 2 cuts inside ties by id: 101 keeps 102, 103; 105 keeps 104, 102
SELECT l.* FROM rec_models, pg_temp.lists(m) AS l WHERE name = 'jaccard_top2';
SELECT l.* FROM rec_models, pg_temp.lists(m) AS l WHERE name = 'cosine_top2';
-- lift co x U / (n_i x n_j), U = 6:
--   101: 106 6/4 = 1.5, 102 12/12 = 1, 103 1, 104 6/8 = 0.75    102: 103 12/9 = 1.33333, 101 1, 105 6/6 = 1
--   103: 102 1.33333, 101 1, 104 1, 105 1                      104: 105 6/4 = 1.5, 103 1, 101 0.75
--   105: 104 1.5, 102 1, 103 1                                 106: 101 1.5
SELECT l.* FROM rec_models, pg_temp.lists(m) AS l WHERE name = 'lift';
-- shrunk_cosine = cosine x co / (co + 10): the pairs with 2 co-users gain on the others (103's list becomes
-- 101, 104, 102, 105):
--   101: 103 0.617213 x 2/12 = 0.102869, 102 0.569803 x 2/12 = 0.0949671, 106 0.377964 / 11 = 0.0343604, 104 0.0242965
--   102: 101 0.0949671, 103 0.246183 x 2/12 = 0.0410305, 105 0.269680 / 11 = 0.0245164
--   103: 101 0.102869, 104 0.577350 / 11 = 0.0524864, 102 0.0410305, 105 0.365148 / 11 = 0.0331953
--   104: 103 0.0524864, 105 0.316228 / 11 = 0.0287480, 101 0.0242965
--   105: 103 0.0331953, 104 0.0287480, 102 0.0245164;  106: 101 0.0343604
SELECT l.* FROM rec_models, pg_temp.lists(m) AS l WHERE name = 'shrunk_cosine';
SELECT l.* FROM rec_models, pg_temp.lists(m) AS l WHERE name = 'shrunk_sup2';
-- neighbors() one row per pair, rank 1 = best
SELECT n.* FROM rec_models, supplymkt.neighbors(m) AS n WHERE name = 'jaccard' AND n.item_id IN (101, 103) ORDER BY 1, 3;

-- every model against plain SQL: the same pairs (co >= min_support), the same scores (1e-12), the same
-- support, the top_k best per item with ties by id
CREATE TEMP TABLE rec_sql_pairs AS
WITH w AS (SELECT user_id, item_id, sum(coalesce(weight, 1)) AS w, count(*) AS c FROM rec_events
            WHERE user_id IS NOT NULL AND item_id IS NOT NULL GROUP BY 1, 2),
     n AS (SELECT item_id, count(*) AS n, sqrt(sum(w * w)) AS norm, sqrt(sum(c * c)) AS cnorm FROM w GROUP BY 1),
     u AS (SELECT count(DISTINCT user_id) AS u FROM w),
     p AS (SELECT a.item_id AS i, b.item_id AS j, count(*) AS co, sum(a.w * b.w) AS dot, sum(a.c * b.c) AS cdot
             FROM w a JOIN w b ON a.user_id = b.user_id AND a.item_id <> b.item_id GROUP BY 1, 2)
SELECT p.i, p.j, p.co, v.measure, v.weighted, v.score
  FROM p JOIN n ni ON ni.item_id = p.i JOIN n nj ON nj.item_id = p.j, u,
       LATERAL (VALUES ('cosine', true, p.dot / (ni.norm * nj.norm)),
                       ('cosine', false, p.cdot / (ni.cnorm * nj.cnorm)),
                       ('jaccard', true, p.co::float8 / (ni.n + nj.n - p.co)),
                       ('lift', true, p.co::float8 * u.u / (ni.n * nj.n)),
                       ('shrunk_cosine', true, p.dot / (ni.norm * nj.norm) * p.co / (p.co + 10))) AS v(measure, weighted, score);
CREATE TEMP TABLE rec_sql_ranked AS
SELECT p.*, v.ms, row_number() OVER (PARTITION BY p.measure, p.weighted, p.i, v.ms ORDER BY round(p.score::numeric, 12) DESC, p.j) AS rank
  FROM rec_sql_pairs p, (VALUES (1), (2)) AS v(ms) WHERE p.co >= v.ms;
SELECT name, count(*) AS pairs, bool_and(s.i IS NOT NULL) AS pairs_ok,
       bool_and(abs(n.score - s.score) < 1e-12) AS scores_ok, bool_and(n.support = s.co) AS support_ok,
       bool_and(n.rank = s.rank) AS rank_ok,
       count(*) = (SELECT count(*) FROM rec_sql_ranked t WHERE t.measure = mj->>'measure' AND t.weighted = wt.weighted
                      AND t.ms = (mj->>'min_support')::int AND t.rank <= (mj->>'top_k')::int) AS same_count
  FROM rec_models CROSS JOIN LATERAL (SELECT m::text::jsonb) AS js(mj) CROSS JOIN LATERAL (SELECT name <> 'count_cosine') AS wt(weighted)
       CROSS JOIN LATERAL supplymkt.neighbors(m) AS n
       LEFT JOIN rec_sql_ranked s ON s.i = n.item_id AND s.j = n.neighbor_id AND s.measure = mj->>'measure'
                                 AND s.weighted = wt.weighted AND s.ms = (mj->>'min_support')::int
 GROUP BY name, mj, wt.weighted ORDER BY name;

-- recommend on the jaccard model (lists above)
-- history {101}: its neighbours 102 0.4, 103 0.4 (tie), 106 0.25, 104 0.2, then the popular fill 105 (2 users)
SELECT r.* FROM rec_models, supplymkt.recommend(m, ARRAY[101]) AS r WHERE name = 'jaccard';
-- k = 2 cuts inside the tie
SELECT r.* FROM rec_models, supplymkt.recommend(m, ARRAY[101], 2) AS r WHERE name = 'jaccard';
-- history {104, 105} (repeats count once): 103 = 1/4 (from 104) + 1/4 (from 105) = 0.5 because {104, 105}
-- (equal contributions: lower id first), 102 = 1/4 because {105}, 101 = 1/5 because {104}; k = 5 adds the
-- popular 106 (1 user) and nothing else is left
SELECT r.* FROM rec_models, supplymkt.recommend(m, ARRAY[104, 105], 3) AS r WHERE name = 'jaccard';
SELECT r.* FROM rec_models, supplymkt.recommend(m, ARRAY[105, 104, 104, 105], 5) AS r WHERE name = 'jaccard';
-- history {101, 102, 104, 105}: 103 = 0.4 + 0.5 + 0.25 + 0.25 = 1.4 because {102 (0.5), 101 (0.4), 104 (0.25,
-- tie with 105)} (at most 3), 106 = 0.25 because {101}; every other item is in the history
SELECT r.* FROM rec_models, supplymkt.recommend(m, ARRAY[101, 102, 104, 105], 10) AS r WHERE name = 'jaccard';
-- an explicit exclude replaces the history: exclude {102} leaves 103, 106, 104 similar, then the popular fill
-- may return the history item 101 (4 users) and 105 (2); an empty exclude excludes nothing
SELECT r.* FROM rec_models, supplymkt.recommend(m, ARRAY[101], 3, ARRAY[102]) AS r WHERE name = 'jaccard';
SELECT r.* FROM rec_models, supplymkt.recommend(m, ARRAY[101], 5, ARRAY[102]) AS r WHERE name = 'jaccard';
SELECT r.* FROM rec_models, supplymkt.recommend(m, ARRAY[101], 10, '{}') AS r WHERE name = 'jaccard';
-- unknown, empty or NULL history: the most popular items (4, 3, 3, 2, 2, 1 users; ties by lower id)
SELECT r.* FROM rec_models, supplymkt.recommend(m, ARRAY[999]) AS r WHERE name = 'jaccard';
SELECT r.* FROM rec_models, supplymkt.recommend(m, '{}', 3) AS r WHERE name = 'jaccard';
SELECT r.* FROM rec_models, supplymkt.recommend(m, NULL, 3) AS r WHERE name = 'jaccard';
SELECT r.* FROM rec_models, supplymkt.recommend(m, ARRAY[999], 3, ARRAY[101, 103]) AS r WHERE name = 'jaccard';
-- weighted cosine, history {102, 103}: 101 = 0.569803 + 0.617213 = 1.18702 and 105 = 0.269680 + 0.365148 =
-- 0.634828, both because {103, 102} (103 contributes more although its id is higher), 104 = 0.577350 because
-- {103}, then the popular 106
SELECT item_id, rank, pg_temp.sig(score) AS score, source, because
  FROM rec_models, supplymkt.recommend(m, ARRAY[102, 103]) AS r WHERE name = 'cosine' ORDER BY rank;
-- score is the sum of the neighbour scores of the history items, checked in plain SQL for every model, every
-- pair of history items and k = 10
SELECT name, count(*) AS similar_rows,
       bool_and(abs(r.score - (SELECT sum(n.score) FROM supplymkt.neighbors(m) n
                                WHERE n.item_id IN (h1, h2) AND n.neighbor_id = r.item_id)) < 1e-12) AS scores_ok,
       bool_and(r.item_id NOT IN (h1, h2)) AS history_excluded
  FROM rec_models, (SELECT a, b FROM generate_series(101, 106) a, generate_series(101, 106) b WHERE a < b) AS h(h1, h2),
       supplymkt.recommend(m, ARRAY[h1, h2]) AS r
 WHERE r.source = 'similar' GROUP BY name ORDER BY name;

-- content-based: cosine of the feature vectors; pairs with cosine <= 0 are left out
--   201 [1,0,0]: 202 1/sqrt(2) = 0.707107, 206 3/5 = 0.6
--   202 [1,1,0]: 201 and 203 both 1/sqrt(2) (tie: lower id first), 206 3/(5 sqrt(2)) = 0.424264
--   203 [0,1,0]: 202 0.707107;  204 [0,0,1]: 206 4/5 = 0.8;  205 [-1,0,0]: none (cosines -1, -0.707, 0, 0, -0.6)
--   206 [3,0,4]: 204 0.8, 201 0.6, 202 0.424264;  207 [0,0,0]: none (no direction);  208 NULL: skipped
CREATE TABLE rec_content (item_id bigint, f float8[]);
INSERT INTO rec_content VALUES (201, '{1,0,0}'), (202, '{1,1,0}'), (203, '{0,1,0}'), (204, '{0,0,1}'), (205, '{-1,0,0}'),
                               (206, '{3,0,4}'), (207, '{0,0,0}'), (208, NULL);
CREATE TABLE rec_content_models AS
SELECT 'content' AS name, supplymkt.item_content_similarity(item_id, f) AS m FROM rec_content
UNION ALL SELECT 'content_top1', supplymkt.item_content_similarity(item_id, f, 1) FROM rec_content;
SELECT name, j->'measure' AS measure, j->'top_k' AS top_k, j->'users' AS users, j->'items' AS items,
       j->'popularity' AS popularity, j->'offsets' AS offsets
  FROM rec_content_models, LATERAL (SELECT m::text::jsonb) AS s(j) ORDER BY name;
SELECT name, l.* FROM rec_content_models, pg_temp.lists(m) AS l ORDER BY name, item_id;
-- recommend on content: 202 and 206; the popular fill leaves out items without users (popularity 0), so
-- nothing else comes
SELECT r.* FROM rec_content_models, supplymkt.recommend(m, ARRAY[201], 5) AS r WHERE name = 'content';

-- hybrid: the jaccard model (a) blended with a content model of categories (b): 101, 102, 106 and the new item
-- 107 (no interactions) in category A, 103 and 104 in B, 105 in C; same category = cosine 1, else 0 (left out).
-- weight_a 0.5: score = (0.5 x jaccard / sum_jaccard + 0.5 x content / sum_content) x (0.5 sum_jaccard +
-- 0.5 sum_content) / (0.5 + 0.5), the sums over the item's list in each model:
--   101: jaccard 102 0.4, 103 0.4, 106 0.25, 104 0.2 (sum 1.25); content 102, 106, 107 1 each (sum 3); scale 2.125:
--        102 (0.16 + 1/6) x 2.125 = 0.694167, 106 (0.1 + 1/6) x 2.125 = 0.566667, 107 0.354167, 103 0.34, 104 0.17
--   106: jaccard 101 0.25 (sum 0.25); content 101, 102, 107 (sum 3); scale 1.625:
--        101 (0.5 + 1/6) x 1.625 = 1.083333, 102 = 107 = 1/6 x 1.625 = 0.270833
-- popularity and support from a, the new item 107 from b (0)
CREATE TABLE rec_category (item_id bigint, f float8[]);
INSERT INTO rec_category VALUES (101, '{1,0,0}'), (102, '{1,0,0}'), (103, '{0,1,0}'), (104, '{0,1,0}'), (105, '{0,0,1}'),
                                (106, '{1,0,0}'), (107, '{1,0,0}');
CREATE TABLE rec_blend AS
SELECT 'blend' AS name, supplymkt.item_neighbors_blend(a.m, b.m) AS m
  FROM rec_models a, (SELECT supplymkt.item_content_similarity(item_id, f) AS m FROM rec_category) AS b WHERE a.name = 'jaccard'
UNION ALL
-- weight_a 0.75, top_k 2: 101: scale 0.75 x 1.25 + 0.25 x 3 = 1.6875; 102 (0.24 + 1/12) x 1.6875 = 0.545625,
--   106 (0.15 + 1/12) x 1.6875 = 0.39375 < 103 0.24 x 1.6875 = 0.405; 106: 101 (0.75 + 1/12) x 0.9375 = 0.78125
SELECT 'blend_75_top2', supplymkt.item_neighbors_blend(a.m, b.m, 0.75, 2)
  FROM rec_models a, (SELECT supplymkt.item_content_similarity(item_id, f) AS m FROM rec_category) AS b WHERE a.name = 'jaccard';
SELECT name, j->'measure' AS measure, j->'top_k' AS top_k, j->'items' AS items, j->'popularity' AS popularity
  FROM rec_blend, LATERAL (SELECT m::text::jsonb) AS s(j) ORDER BY name;
SELECT name, l.* FROM rec_blend, pg_temp.lists(m) AS l ORDER BY name, item_id;
-- a customer who bought 106 is offered the new item 107
SELECT r.item_id, r.rank, pg_temp.sig(r.score) AS score, r.source, r.because
  FROM rec_blend, supplymkt.recommend(m, ARRAY[106], 4) AS r WHERE name = 'blend' ORDER BY rank;
-- blending a model with itself gives the model's scores; a NULL side gives NULL
SELECT (SELECT array_agg(row(n.item_id, n.neighbor_id, n.rank, n.support)::text ORDER BY n.item_id, n.rank)
          FROM supplymkt.neighbors(supplymkt.item_neighbors_blend(m, m, 0.3)) n)
       = (SELECT array_agg(row(n.item_id, n.neighbor_id, n.rank, n.support)::text ORDER BY n.item_id, n.rank)
            FROM supplymkt.neighbors(m) n) AS same_lists,
       (SELECT max(abs(x.score - y.score)) FROM supplymkt.neighbors(supplymkt.item_neighbors_blend(m, m, 0.3)) x
          JOIN supplymkt.neighbors(m) y USING (item_id, neighbor_id)) < 1e-12 AS same_scores
  FROM rec_models WHERE name = 'cosine';
SELECT what, x IS NULL AS is_null
  FROM rec_models, LATERAL (VALUES ('b NULL', supplymkt.item_neighbors_blend(m, NULL)), ('a NULL', supplymkt.item_neighbors_blend(NULL, m)),
                                   ('both NULL', supplymkt.item_neighbors_blend(NULL, NULL))) AS v(what, x)
 WHERE name = 'jaccard';

-- association rules on ten baskets (a repeated row of basket 1, a NULL basket and a NULL item are ignored, so
-- basket 11 does not exist):
--   1 {1,2,3}  2 {1,2}  3 {1,3}  4 {1,2,3,4}  5 {2,3}  6 {2,4}  7 {1,2}  8 {2,3,4}  9 {1,2,3}  10 {5}
-- counts: {1} 6, {2} 8, {3} 6, {4} 3, {5} 1; {1,2} 5, {1,3} 4, {1,4} 1, {2,3} 5, {2,4} 3, {3,4} 2;
--         {1,2,3} 3, {1,2,4} 1, {1,3,4} 1, {2,3,4} 2; {1,2,3,4} 1
-- min_support 0.3: count / 10 >= 0.3 keeps count 3 (3 / 10 = 0.3 exactly in float8, while 0.3 x 10 =
-- 3.0000000000000004): {1} {2} {3} {4} {1,2} {1,3} {2,3} {2,4} {1,2,3}
CREATE TABLE rec_baskets (basket_id bigint, item_id bigint);
INSERT INTO rec_baskets VALUES (1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (3, 1), (3, 3), (4, 1), (4, 2), (4, 3), (4, 4),
    (5, 2), (5, 3), (6, 2), (6, 4), (7, 1), (7, 2), (8, 2), (8, 3), (8, 4), (9, 1), (9, 2), (9, 3), (10, 5),
    (1, 1), (NULL, 2), (11, NULL);
CREATE TABLE rec_assoc AS
SELECT 's30_c60' AS name, supplymkt.assoc_rules(basket_id, item_id, 0.3, 0.6) AS m FROM rec_baskets
UNION ALL SELECT 's30_c0', supplymkt.assoc_rules(basket_id, item_id, 0.3, 0) FROM rec_baskets
UNION ALL SELECT 's30_c60_len2', supplymkt.assoc_rules(basket_id, item_id, 0.3, 0.6, 2) FROM rec_baskets
UNION ALL SELECT 's30_c60_len1', supplymkt.assoc_rules(basket_id, item_id, 0.3, 0.6, 1) FROM rec_baskets
UNION ALL SELECT 's10_c60', supplymkt.assoc_rules(basket_id, item_id, 0.1, 0.6) FROM rec_baskets
UNION ALL SELECT 's10_c60_len4', supplymkt.assoc_rules(basket_id, item_id, 0.1, 0.6, 4) FROM rec_baskets
UNION ALL SELECT 's100', supplymkt.assoc_rules(basket_id, item_id, 1, 0.6) FROM rec_baskets;
SELECT m::text AS s30_c60 FROM rec_assoc WHERE name = 's30_c60';
SELECT name, j->'baskets' AS baskets, j->'min_support' AS min_support, j->'min_confidence' AS min_confidence,
       j->'max_len' AS max_len, (SELECT count(*) FROM supplymkt.frequent_itemsets(m)) AS itemsets,
       (SELECT count(*) FROM supplymkt.rules(m)) AS rules
  FROM rec_assoc, LATERAL (SELECT m::text::jsonb) AS s(j) ORDER BY name;
SELECT f.* FROM rec_assoc, supplymkt.frequent_itemsets(m) AS f WHERE name = 's30_c60';
SELECT f.* FROM rec_assoc, supplymkt.frequent_itemsets(m) AS f WHERE name = 's10_c60_len4';
-- rules with confidence >= 0.6 (supports: {1} .6, {2} .8, {3} .6, {4} .3):
--   1 -> 2: .5 / .6 = 0.833333, lift 0.833333 / .8 = 1.04167, leverage .5 - .48 = .02, conviction .2 / (1/6) = 1.2
--   2 -> 1: .5 / .8 = 0.625, lift 0.625 / .6 = 1.04167, leverage .02, conviction .4 / .375 = 1.06667
--   1 -> 3 and 3 -> 1: .4 / .6 = 0.666667, lift 1.11111, leverage .4 - .36 = .04, conviction .4 / (1/3) = 1.2
--   2 -> 3: 0.625, lift 1.04167, leverage .02, conviction 1.06667;  3 -> 2: 0.833333, 1.04167, .02, 1.2
--   2 -> 4: .3 / .8 = 0.375 (left out);  4 -> 2: .3 / .3 = 1, lift 1.25, leverage .3 - .24 = .06, conviction Infinity
--   {1} -> {2,3}: .5, {2} -> {1,3}: .375, {3} -> {1,2}: .5 (left out)
--   {1,2} -> {3}: .3 / .5 = 0.6 (= min_confidence: kept), lift 1, leverage 0, conviction .4 / .4 = 1
--   {1,3} -> {2}: .3 / .4 = 0.75, lift .75 / .8 = 0.9375, leverage .3 - .32 = -.02, conviction .2 / .25 = 0.8
--   {2,3} -> {1}: .3 / .5 = 0.6, lift 1, leverage 0, conviction 1
SELECT ord, antecedent, consequent, support, pg_temp.sig(confidence) AS confidence, pg_temp.sig(lift) AS lift,
       round(leverage::numeric, 12) AS leverage, pg_temp.sig(conviction) AS conviction, count
  FROM rec_assoc, supplymkt.rules(m) WITH ORDINALITY AS r(antecedent, consequent, support, confidence, lift, leverage, conviction, count, ord)
 WHERE name = 's30_c60' ORDER BY ord;
-- min_confidence 0 keeps the 4 dropped ones too: 2 -> 4 (0.375, lift 1.25, leverage .06, conviction (1 - .3) /
-- (1 - .375) = 1.12), {1} -> {2,3} (0.5, lift .5 / .5 = 1, leverage 0, conviction 1), {2} -> {1,3} (0.375, lift
-- .375 / .4 = 0.9375, leverage .3 - .32 = -.02, conviction .6 / .625 = 0.96), {3} -> {1,2} (0.5, lift 1,
-- leverage 0, conviction 1)
SELECT ord, antecedent, consequent, support, pg_temp.sig(confidence) AS confidence, pg_temp.sig(lift) AS lift,
       round(leverage::numeric, 12) AS leverage, pg_temp.sig(conviction) AS conviction, count
  FROM rec_assoc, supplymkt.rules(m) WITH ORDINALITY AS r(antecedent, consequent, support, confidence, lift, leverage, conviction, count, ord)
 WHERE name = 's30_c0' ORDER BY ord;
-- max_len 4 at min_support 0.1: 19 rules, among them {1,4} -> {2,3} (confidence 1, lift 1 / .5 = 2)
SELECT antecedent, consequent, support, pg_temp.sig(confidence) AS confidence, pg_temp.sig(lift) AS lift, conviction, count
  FROM rec_assoc, supplymkt.rules(m) AS r WHERE name = 's10_c60_len4' AND cardinality(antecedent) + cardinality(consequent) >= 3
 ORDER BY cardinality(antecedent) + cardinality(consequent), antecedent, consequent;
-- every itemset and rule of every model against plain SQL on the baskets
CREATE TEMP TABLE rec_basket_sets AS
SELECT basket_id, array_agg(DISTINCT item_id) AS items FROM rec_baskets
 WHERE basket_id IS NOT NULL AND item_id IS NOT NULL GROUP BY basket_id;
SELECT name, count(*) AS itemsets,
       bool_and(f.count = (SELECT count(*) FROM rec_basket_sets b WHERE b.items @> f.items)) AS counts_ok,
       bool_and(f.support = f.count / 10.0::float8) AS supports_ok,
       bool_and(f.count / 10.0::float8 >= (j->>'min_support')::float8 AND cardinality(f.items) <= (j->>'max_len')::int) AS frequent_ok
  FROM rec_assoc, LATERAL (SELECT m::text::jsonb) AS s(j), supplymkt.frequent_itemsets(m) AS f
 GROUP BY name ORDER BY name;
-- the number of frequent itemsets SQL finds (sizes 1..4: every sub-array of the 5 items); min_support 1 finds
-- none. The rules: 10, 14 (min_confidence 0), 7 (max_len 2), 16 (min_support 0.1) and 19 (and max_len 4)
SELECT ms, ml, count(*) AS sql_itemsets
  FROM (VALUES (0.3, 3), (0.3, 2), (0.3, 1), (0.1, 3), (0.1, 4), (1.0, 3)) AS p(ms, ml),
       (SELECT array_agg(i::bigint ORDER BY i) AS items FROM generate_series(1, 31) mask, generate_series(1, 5) i
         WHERE mask & (1 << (i - 1)) <> 0 GROUP BY mask) AS c
 WHERE cardinality(items) <= ml AND (SELECT count(*) FROM rec_basket_sets b WHERE b.items @> c.items) / 10.0::float8 >= ms::float8
 GROUP BY ms, ml ORDER BY ms, ml;
SELECT name, count(*) AS rules,
       bool_and(r.count = sac.c) AS counts_ok, bool_and(abs(r.support - sac.c / 10.0::float8) < 1e-12) AS supports_ok,
       bool_and(abs(r.confidence - sac.c::float8 / sa.c) < 1e-12) AS confidence_ok,
       bool_and(abs(r.lift - sac.c::float8 / sa.c / (sc.c / 10.0::float8)) < 1e-12) AS lift_ok,
       bool_and(abs(r.leverage - (sac.c / 10.0::float8 - sa.c / 10.0::float8 * (sc.c / 10.0::float8))) < 1e-12) AS leverage_ok,
       bool_and(CASE WHEN sac.c = sa.c THEN r.conviction = 'Infinity'
                     ELSE abs(r.conviction - (1 - sc.c / 10.0::float8) / (1 - sac.c::float8 / sa.c)) < 1e-12 END) AS conviction_ok,
       bool_and(r.confidence >= (j->>'min_confidence')::float8) AS confident,
       bool_and(NOT r.antecedent && r.consequent) AS disjoint
  FROM rec_assoc, LATERAL (SELECT m::text::jsonb) AS s(j), supplymkt.rules(m) AS r,
       LATERAL (SELECT count(*) FROM rec_basket_sets b WHERE b.items @> r.antecedent) AS sa(c),
       LATERAL (SELECT count(*) FROM rec_basket_sets b WHERE b.items @> r.consequent) AS sc(c),
       LATERAL (SELECT count(*) FROM rec_basket_sets b WHERE b.items @> (r.antecedent || r.consequent)) AS sac(c)
 GROUP BY name ORDER BY name;
-- min_support 1 (every basket): no itemset, a model without rows of output
SELECT m::text AS s100 FROM rec_assoc WHERE name = 's100';

-- ids at ±2^53 are exact (models, recommend, rules)
SELECT j->'users' AS users, j->'items' AS items, j->'popularity' AS popularity, j->'neighbor' AS neighbor,
       pg_temp.sigs(pg_temp.jarr(j->'score')) AS score, j->'support' AS support
  FROM (SELECT supplymkt.item_similarity(u, i)::text::jsonb
          FROM (VALUES (9007199254740992, 9007199254740992), (9007199254740992, -9007199254740992),
                       (-9007199254740992, 9007199254740992), (-9007199254740992, -9007199254740992)) AS t(u, i)) AS s(j);
SELECT n.* FROM (SELECT supplymkt.item_similarity(u, i) AS m
                   FROM (VALUES (1, 9007199254740992), (1, -9007199254740992)) AS t(u, i)) AS s, supplymkt.neighbors(m) AS n ORDER BY 1;
SELECT r.* FROM (SELECT supplymkt.item_similarity(u, i) AS m
                   FROM (VALUES (1, 9007199254740992), (1, -9007199254740992), (2, 9007199254740991)) AS t(u, i)) AS s,
                supplymkt.recommend(m, ARRAY[9007199254740992]) AS r;
SELECT r.* FROM (SELECT supplymkt.assoc_rules(b, i, 0.5, 0.5) AS m
                   FROM (VALUES (9007199254740992, 9007199254740992), (9007199254740992, -9007199254740992)) AS t(b, i)) AS s,
                supplymkt.rules(m) AS r;

-- the result does not depend on row order, and combining partial states (duplicates split between them) gives
-- the serial model
SELECT name, count(*) AS orders_tried, bool_and(x::text = m::text) AS same_model
  FROM rec_models, LATERAL (SELECT m::text::jsonb) AS s(j),
       LATERAL (SELECT supplymkt.item_similarity(user_id, item_id, weight, (j->>'top_k')::int, j->>'measure', (j->>'min_support')::int ORDER BY id DESC) FROM rec_events
                UNION ALL SELECT supplymkt.item_similarity(user_id, item_id, weight, (j->>'top_k')::int, j->>'measure', (j->>'min_support')::int ORDER BY md5(id::text)) FROM rec_events
                UNION ALL SELECT supplymkt.item_similarity(user_id, item_id, weight, (j->>'top_k')::int, j->>'measure', (j->>'min_support')::int ORDER BY item_id DESC, user_id) FROM rec_events) AS o(x)
 WHERE name <> 'count_cosine' GROUP BY name ORDER BY name;
CREATE AGGREGATE pg_temp.sim_state(bigint, bigint, float8, int, text, int) (
    SFUNC = supplymkt_internal.item_similarity_transfn, STYPE = supplymkt.item_similarity_state);
CREATE AGGREGATE pg_temp.content_state(bigint, float8[]) (
    SFUNC = supplymkt_internal.item_content_similarity_transfn, STYPE = supplymkt.item_similarity_state);
CREATE AGGREGATE pg_temp.assoc_state(bigint, bigint, float8, float8, int) (
    SFUNC = supplymkt_internal.assoc_rules_transfn, STYPE = supplymkt.assoc_rules_state);
SELECT name, supplymkt_internal.item_similarity_final(supplymkt_internal.item_similarity_state_combine(a.s, b.s))::text = m::text AS combined_same,
       supplymkt_internal.item_similarity_final(supplymkt_internal.item_similarity_state_combine(b.s, a.s))::text = m::text AS swapped_same
  FROM rec_models, LATERAL (SELECT m::text::jsonb) AS js(j),
       LATERAL (SELECT pg_temp.sim_state(user_id, item_id, weight, (j->>'top_k')::int, j->>'measure', (j->>'min_support')::int) FROM rec_events WHERE id % 2 = 0) AS a(s),
       LATERAL (SELECT pg_temp.sim_state(user_id, item_id, weight, (j->>'top_k')::int, j->>'measure', (j->>'min_support')::int) FROM rec_events WHERE id % 2 = 1) AS b(s)
 WHERE name <> 'count_cosine' ORDER BY name;
SELECT count(DISTINCT x) AS distinct_content_models, count(*) AS content_models
  FROM (SELECT m::text FROM rec_content_models WHERE name = 'content'
        UNION ALL SELECT supplymkt.item_content_similarity(item_id, f ORDER BY item_id DESC)::text FROM rec_content
        UNION ALL SELECT supplymkt.item_content_similarity(item_id, f ORDER BY md5(item_id::text))::text FROM rec_content
        UNION ALL SELECT supplymkt_internal.item_content_similarity_final(supplymkt_internal.item_similarity_state_combine(a.s, b.s))::text
          FROM (SELECT pg_temp.content_state(item_id, f) FROM rec_content WHERE item_id % 2 = 0) AS a(s),
               (SELECT pg_temp.content_state(item_id, f) FROM rec_content WHERE item_id % 2 = 1) AS b(s)
        UNION ALL SELECT supplymkt_internal.item_content_similarity_final(supplymkt_internal.item_similarity_state_combine(b.s, a.s))::text
          FROM (SELECT pg_temp.content_state(item_id, f) FROM rec_content WHERE item_id % 2 = 0) AS a(s),
               (SELECT pg_temp.content_state(item_id, f) FROM rec_content WHERE item_id % 2 = 1) AS b(s)) AS v(x);
SELECT name, bool_and(x::text = m::text) AS same_model, count(*) AS orders_tried
  FROM rec_assoc, LATERAL (SELECT m::text::jsonb) AS js(j),
       LATERAL (SELECT supplymkt.assoc_rules(basket_id, item_id, (j->>'min_support')::float8, (j->>'min_confidence')::float8, (j->>'max_len')::int ORDER BY basket_id DESC, item_id DESC) FROM rec_baskets
                UNION ALL SELECT supplymkt.assoc_rules(basket_id, item_id, (j->>'min_support')::float8, (j->>'min_confidence')::float8, (j->>'max_len')::int ORDER BY md5(item_id::text || basket_id::text)) FROM rec_baskets
                UNION ALL SELECT supplymkt_internal.assoc_rules_final(supplymkt_internal.assoc_rules_state_combine(a.s, b.s))
                  FROM (SELECT pg_temp.assoc_state(basket_id, item_id, (j->>'min_support')::float8, (j->>'min_confidence')::float8, (j->>'max_len')::int) FROM rec_baskets WHERE item_id % 2 = 0) AS a(s),
                       (SELECT pg_temp.assoc_state(basket_id, item_id, (j->>'min_support')::float8, (j->>'min_confidence')::float8, (j->>'max_len')::int) FROM rec_baskets WHERE item_id % 2 = 1 OR item_id IS NULL) AS b(s)) AS o(x)
 GROUP BY name ORDER BY name;

-- text round trips (exact floats) of the models and states
SELECT name, m::text::supplymkt.item_neighbors::text = m::text AS text_roundtrip FROM rec_models
UNION ALL SELECT name, m::text::supplymkt.item_neighbors::text = m::text FROM rec_content_models
UNION ALL SELECT name, m::text::supplymkt.item_neighbors::text = m::text FROM rec_blend
UNION ALL SELECT name, m::text::supplymkt.assoc_rules_model::text = m::text FROM rec_assoc ORDER BY 1;
SELECT supplymkt_internal.item_similarity_transfn(supplymkt_internal.item_similarity_transfn(NULL, 1, 101, 2.5, 5, 'jaccard', 2), -9007199254740992, 9007199254740992, 0.1, 5, 'jaccard', 2) AS state;
SELECT supplymkt_internal.item_similarity_transfn(NULL, 1, 101) AS default_state;
SELECT supplymkt_internal.item_content_similarity_transfn(supplymkt_internal.item_content_similarity_transfn(NULL, 201, ARRAY[1, 0.1], 3), 202, ARRAY[-1e-300, 2], 3) AS content_state;
SELECT supplymkt_internal.assoc_rules_transfn(supplymkt_internal.assoc_rules_transfn(NULL, 1, 2, 0.3, 0.6), 1, 9007199254740992, 0.3, 0.6) AS assoc_state;
SELECT s::text::supplymkt.item_similarity_state::text = s::text AS sim_state_roundtrip,
       c::text::supplymkt.item_similarity_state::text = c::text AS content_state_roundtrip,
       a::text::supplymkt.assoc_rules_state::text = a::text AS assoc_state_roundtrip,
       supplymkt_internal.item_similarity_final(s::text::supplymkt.item_similarity_state)::text = supplymkt_internal.item_similarity_final(s)::text AS same_after_text
  FROM (SELECT pg_temp.sim_state(user_id, item_id, weight, 20, 'lift', 1) FROM rec_events) AS x(s),
       (SELECT pg_temp.content_state(item_id, f) FROM rec_content) AS y(c),
       (SELECT pg_temp.assoc_state(basket_id, item_id, 0.3, 0.6, 3) FROM rec_baskets) AS z(a);
-- binary round trip through COPY (models and states)
CREATE TABLE rec_bin AS
SELECT r.name, r.m, (SELECT m FROM rec_assoc WHERE name = 's30_c60') AS am,
       (SELECT pg_temp.sim_state(user_id, item_id, weight, 20, 'lift', 1) FROM rec_events) AS ss,
       (SELECT pg_temp.content_state(item_id, f) FROM rec_content) AS cs,
       (SELECT pg_temp.assoc_state(basket_id, item_id, 0.3, 0.6, 3) FROM rec_baskets) AS ast
  FROM (SELECT name, m FROM rec_models UNION ALL SELECT name, m FROM rec_content_models UNION ALL SELECT name, m FROM rec_blend) AS r;
COPY rec_bin TO '/tmp/supplymkt_recommend.bin' (FORMAT binary);
CREATE TABLE rec_bin2 (LIKE rec_bin);
COPY rec_bin2 FROM '/tmp/supplymkt_recommend.bin' (FORMAT binary);
SELECT a.name, a.m::text = b.m::text AS model_roundtrip,
       supplymkt_internal.item_neighbors_send(a.m) = supplymkt_internal.item_neighbors_send(b.m) AS same_send,
       a.am::text = b.am::text AND supplymkt_internal.assoc_rules_model_send(a.am) = supplymkt_internal.assoc_rules_model_send(b.am) AS assoc_roundtrip,
       a.ss::text = b.ss::text AS sim_state_roundtrip, a.cs::text = b.cs::text AS content_state_roundtrip,
       a.ast::text = b.ast::text AS assoc_state_roundtrip
  FROM rec_bin a JOIN rec_bin2 b USING (name) ORDER BY a.name;
-- malformed binary input: empty, truncated, trailing byte
CREATE TABLE rec_bad (m supplymkt.item_neighbors);
CREATE TABLE rec_bad_assoc (m supplymkt.assoc_rules_model);
CREATE FUNCTION pg_temp.copy_bytes(tbl text, b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', b, '/tmp/supplymkt_recommend_bad.bin');
    RETURN pg_temp.try(format('COPY %I FROM %L (FORMAT binary)', tbl, '/tmp/supplymkt_recommend_bad.bin'));
END $$;
SELECT tbl, what, pg_temp.copy_bytes(tbl, b) AS result
  FROM (SELECT 'rec_bad', supplymkt_internal.item_neighbors_send(m) FROM rec_models WHERE name = 'jaccard'
        UNION ALL SELECT 'rec_bad_assoc', supplymkt_internal.assoc_rules_model_send(m) FROM rec_assoc WHERE name = 's30_c60') AS s(tbl, v),
       LATERAL (VALUES ('valid', v), ('empty', ''::bytea), ('truncated', substr(v, 1, length(v) - 8)),
                       ('half', substr(v, 1, length(v) / 2)), ('trailing byte', v || '\x00'::bytea)) AS c(what, b)
 ORDER BY tbl DESC, what;
SELECT (SELECT count(*) FROM rec_bad) AS neighbors_rows_read, (SELECT count(*) FROM rec_bad_assoc) AS assoc_rows_read;

-- malformed model text: clean errors (each case changes one field of a valid model)
CREATE TABLE rec_valid AS
SELECT (SELECT m::text::jsonb FROM rec_models WHERE name = 'jaccard_sup2') AS n,
       (SELECT m::text::jsonb FROM rec_assoc WHERE name = 's30_c60') AS a;
SELECT what, pg_temp.try(format('SELECT %L::supplymkt.item_neighbors', t)) AS result
  FROM rec_valid, LATERAL (VALUES
    ('valid', n::text),
    ('empty', ''), ('object', '{}'), ('array', '[]'), ('null', 'null'), ('not json', '{"items":'),
    ('no items', (n - 'items')::text),
    ('no offsets', (n - 'offsets')::text),
    ('no neighbor', (n - 'neighbor')::text),
    ('version 2', jsonb_set(n, '{version}', '2')::text),
    ('unknown key', (n || '{"colour": "red"}')::text),
    ('unknown measure', jsonb_set(n, '{measure}', '"pearson"')::text),
    ('top_k 0', jsonb_set(n, '{top_k}', '0')::text),
    ('items descending', jsonb_set(n, '{items}', '[106, 105, 104, 103, 102, 101]')::text),
    ('repeated item', jsonb_set(n, '{items}', '[101, 101, 103, 104, 105, 106]')::text),
    ('item at the bigint maximum', jsonb_set(n, '{items,5}', '9223372036854775807')::text),
    ('fractional item', jsonb_set(n, '{items,5}', '106.5')::text),
    ('popularity short', jsonb_set(n, '{popularity}', '[4, 3, 3]')::text),
    ('negative popularity', jsonb_set(n, '{popularity,0}', '-4')::text),
    ('offsets short', jsonb_set(n, '{offsets}', '[0, 2, 4, 6]')::text),
    ('offsets first 1', jsonb_set(n, '{offsets,0}', '1')::text),
    ('offsets decreasing', jsonb_set(n, '{offsets,1}', '5')::text),
    ('offsets last too big', jsonb_set(n, '{offsets,6}', '7')::text),
    ('neighbor unknown', jsonb_set(n, '{neighbor,0}', '999')::text),
    ('neighbor itself', jsonb_set(n, '{neighbor,0}', '101')::text),
    ('neighbor repeated', jsonb_set(n, '{neighbor,1}', '102')::text),
    ('score NaN', jsonb_set(n, '{score,0}', '"NaN"')::text),
    ('score string', jsonb_set(n, '{score,0}', '"high"')::text),
    ('score 1e400', replace(n::text, '0.4,', '1e400,')),
    ('score negative', jsonb_set(n, '{score,0}', '-0.4')::text),
    ('score negative last', jsonb_set(n, '{score,1}', '-0.4')::text),
    ('score 0 last', jsonb_set(n, '{score,1}', '0')::text),
    ('scores unsorted', jsonb_set(n, '{score,0}', '0.1')::text),
    ('score short', jsonb_set(n, '{score}', '[0.4]')::text),
    ('support short', jsonb_set(n, '{support}', '[2]')::text),
    ('negative support', jsonb_set(n, '{support,0}', '-2')::text),
    ('users -1', jsonb_set(n, '{users}', '-1')::text)) AS v(what, t);
SELECT what, pg_temp.try(format('SELECT %L::supplymkt.assoc_rules_model', t)) AS result,
       pg_temp.try(format('SELECT count(*) FROM supplymkt.rules(%L::supplymkt.assoc_rules_model)', t)) AS rules
  FROM rec_valid, LATERAL (VALUES
    ('valid', a::text),
    ('empty', ''), ('object', '{}'), ('array', '[]'), ('null', 'null'),
    ('no counts', (a - 'counts')::text),
    ('version 2', jsonb_set(a, '{version}', '2')::text),
    ('unknown key', (a || '{"colour": "red"}')::text),
    ('baskets 0', jsonb_set(a, '{baskets}', '0')::text),
    ('min_support 0', jsonb_set(a, '{min_support}', '0')::text),
    ('min_confidence 2', jsonb_set(a, '{min_confidence}', '2')::text),
    ('max_len 0', jsonb_set(a, '{max_len}', '0')::text),
    ('max_len 2 with a 3-itemset', jsonb_set(a, '{max_len}', '2')::text),
    ('count above baskets', jsonb_set(a, '{counts,1}', '11')::text),
    ('count 0', jsonb_set(a, '{counts,3}', '0')::text),
    ('count below min_support', jsonb_set(a, '{counts,3}', '2')::text),
    ('superset count above subset', jsonb_set(a, '{counts,8}', '6')::text),
    ('counts short', jsonb_set(a, '{counts}', '[6, 8]')::text),
    ('offsets mismatch', jsonb_set(a, '{offsets,9}', '14')::text),
    ('itemset not ascending', jsonb_set(jsonb_set(a, '{items,4}', '2'), '{items,5}', '1')::text),
    ('repeated item in itemset', jsonb_set(a, '{items,5}', '1')::text),
    ('subset missing', '{"version":1,"baskets":10,"min_support":0.3,"min_confidence":0.6,"max_len":3,"offsets":[0,1,3],"items":[2,1,2],"counts":[8,5]}'),
    ('itemsets out of order', '{"version":1,"baskets":10,"min_support":0.3,"min_confidence":0.6,"max_len":3,"offsets":[0,1,2,4],"items":[2,1,1,2],"counts":[8,6,5]}'),
    ('no itemsets', '{"version":1,"baskets":10,"min_support":0.3,"min_confidence":0.6,"max_len":3,"offsets":[0],"items":[],"counts":[]}')) AS v(what, t);

-- NULL results: no rows, only NULL rows; NULL models read as no rows
SELECT supplymkt.item_similarity(user_id, item_id) IS NULL AS no_rows FROM rec_events WHERE false;
SELECT supplymkt.item_similarity(user_id, item_id, weight, 5, 'lift', 1) IS NULL AS all_null FROM rec_events WHERE user_id IS NULL OR item_id IS NULL;
SELECT supplymkt.item_content_similarity(item_id, f) IS NULL AS content_no_rows FROM rec_content WHERE false;
SELECT supplymkt.item_content_similarity(item_id, f) IS NULL AS content_all_null FROM rec_content WHERE f IS NULL;
SELECT supplymkt.assoc_rules(basket_id, item_id, 0.5, 0.5) IS NULL AS assoc_no_rows FROM rec_baskets WHERE false;
SELECT supplymkt.assoc_rules(basket_id, item_id, 0.5, 0.5) IS NULL AS assoc_all_null FROM rec_baskets WHERE basket_id IS NULL OR item_id IS NULL;
SELECT (SELECT count(*) FROM supplymkt.neighbors(NULL)) AS neighbors_rows, (SELECT count(*) FROM supplymkt.recommend(NULL, ARRAY[1])) AS recommend_rows,
       (SELECT count(*) FROM supplymkt.rules(NULL)) AS rules_rows, (SELECT count(*) FROM supplymkt.frequent_itemsets(NULL)) AS itemsets_rows;
-- a single user with a single item: one item, no neighbours; recommend falls back to it
SELECT m::text AS single FROM (SELECT supplymkt.item_similarity(1, 5)) AS s(m);
SELECT r.* FROM (SELECT supplymkt.item_similarity(1, 5)) AS s(m), supplymkt.recommend(m, NULL) AS r;
-- weight 0 rows are interactions with no weight: they count as users of the item (jaccard 2 / 2 = 1) but add
-- nothing to the cosine (1 / sqrt(2))
SELECT n.item_id, n.neighbor_id, pg_temp.sig(n.score) AS jaccard, pg_temp.sig(c.score) AS cosine, n.support
  FROM (SELECT supplymkt.item_similarity(u, i, w, 5, 'jaccard') AS mj, supplymkt.item_similarity(u, i, w) AS mc
          FROM (VALUES (1, 1, 0.0), (1, 2, 1), (2, 1, 1), (2, 2, 1)) AS t(u, i, w)) AS s,
       supplymkt.neighbors(mj) AS n JOIN supplymkt.neighbors(mc) AS c USING (item_id, neighbor_id) ORDER BY 1;
-- huge weights (1e200) give the right cosine 1 or a clean 22003 error, never silently lose the pair (weights
-- 1e100, like the largest features allowed, must work)
CREATE FUNCTION pg_temp.huge_weight_cosine(w float8) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    pairs bigint;
    ok bool;
BEGIN
    SELECT count(*), bool_and(abs(n.score - 1) < 1e-12) INTO pairs, ok
      FROM (SELECT supplymkt.item_similarity(u, i, w) AS m
              FROM (VALUES (1, 1), (1, 2), (2, 1), (2, 2)) AS t(u, i)) AS s, supplymkt.neighbors(m) AS n;
    RETURN CASE WHEN pairs = 2 AND ok THEN 'cosine 1' ELSE format('wrong: %s pairs', pairs) END;
EXCEPTION WHEN numeric_value_out_of_range THEN
    RETURN 'clean 22003 error';
END $$;
SELECT pg_temp.huge_weight_cosine(1e100) AS weight_1e100,
       pg_temp.huge_weight_cosine(1e200) IN ('cosine 1', 'clean 22003 error') AS weight_1e200_ok;
SELECT n.item_id, n.neighbor_id, abs(n.score - 1) < 1e-12 AS cosine_1
  FROM (SELECT supplymkt.item_content_similarity(i, ARRAY[1e100, 1e100]) AS m FROM (VALUES (1), (2)) AS t(i)) AS s,
       supplymkt.neighbors(m) AS n ORDER BY 1;

-- ids are exact over the whole bigint range (states hold them as int64, not float8)
SELECT n.item_id, n.neighbor_id, n.score
  FROM (SELECT supplymkt.item_similarity(u, i) AS m
          FROM (VALUES (-9223372036854775808, 9223372036854775807), (-9223372036854775808, 9223372036854775806),
                       (9007199254740993, 9223372036854775807), (9007199254740993, 9223372036854775806),
                       (9007199254740993, 9007199254740993)) AS t(u, i)) AS s,
       supplymkt.neighbors(m) AS n ORDER BY 1, 2;
SELECT n.item_id, n.neighbor_id, round(n.score::numeric, 6) AS score
  FROM (SELECT supplymkt.item_content_similarity(i, f) AS m
          FROM (VALUES (9223372036854775807, ARRAY[1.0, 0]), (9223372036854775806, ARRAY[1.0, 1]),
                       (-9223372036854775808, ARRAY[0, 1.0])) AS t(i, f)) AS s,
       supplymkt.neighbors(m) AS n ORDER BY 1, 2;
SELECT r.antecedent, r.consequent, r.support
  FROM (SELECT supplymkt.assoc_rules(b, i, 0.5, 0.5) AS m
          FROM (VALUES (9223372036854775807, 9223372036854775806), (9223372036854775807, 9223372036854775807),
                       (-9223372036854775808, 9223372036854775806), (-9223372036854775808, 9223372036854775807)) AS t(b, i)) AS s,
       supplymkt.rules(m) AS r ORDER BY 1, 2;
SELECT supplymkt_internal.item_similarity_transfn(NULL, 9223372036854775807, -9223372036854775808)::text AS exact_state,
       supplymkt_internal.item_similarity_transfn(NULL, 9223372036854775807, -9223372036854775808)::text::supplymkt.item_similarity_state::text
       = supplymkt_internal.item_similarity_transfn(NULL, 9223372036854775807, -9223372036854775808)::text AS exact_roundtrip;

-- bad arguments: clean errors
SELECT q AS call, pg_temp.try(q) AS result FROM (VALUES
    ('SELECT supplymkt.item_similarity(user_id, item_id, weight, 0) FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, weight, 1001) FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, weight, NULL::integer) FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, weight, NULL::supplymkt.similarity_options) FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, weight, 1 + id % 2) FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, weight, 20, ''pearson'') FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, weight, 20, ''Cosine'') FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, weight, 20, NULL) FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, weight, 20, CASE WHEN id < 5 THEN ''lift'' ELSE ''jaccard'' END) FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, weight, 20, ''lift'', -1) FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, weight, 20, ''lift'', NULL) FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, weight, 20, ''lift'', id) FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, -1) FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, ''NaN'') FROM rec_events'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, ''Infinity'') FROM rec_events'),
    ('SELECT supplymkt.item_similarity(1, 1, 1e308) FROM generate_series(1, 3)'),
    ('SELECT supplymkt.item_content_similarity(item_id, f, 0) FROM rec_content'),
    ('SELECT supplymkt.item_content_similarity(item_id, f, 1001) FROM rec_content'),
    ('SELECT supplymkt.item_content_similarity(item_id, f, item_id::int) FROM rec_content'),
    ('SELECT supplymkt.item_content_similarity(item_id, CASE WHEN item_id = 203 THEN ARRAY[1.0, 2.0] ELSE f END) FROM rec_content'),
    ('SELECT supplymkt.item_content_similarity(item_id, ''{{1,2},{3,4}}''::float8[]) FROM rec_content'),
    ('SELECT supplymkt.item_content_similarity(item_id, ''{}''::float8[]) FROM rec_content'),
    ('SELECT supplymkt.item_content_similarity(item_id, ARRAY[1, NULL]::float8[]) FROM rec_content'),
    ('SELECT supplymkt.item_content_similarity(item_id, ARRAY[1, ''NaN'']::float8[]) FROM rec_content'),
    ('SELECT supplymkt.item_content_similarity(item_id, ARRAY[''-Infinity'', 1]::float8[]) FROM rec_content'),
    ('SELECT supplymkt.item_content_similarity(item_id, ARRAY[1e101, 1]::float8[]) FROM rec_content'),
    ('SELECT supplymkt.item_content_similarity(1, f) FROM rec_content WHERE f IS NOT NULL'),
    ('SELECT supplymkt.item_content_similarity(least(item_id, 203), f) FROM rec_content'),
    ('SELECT supplymkt.item_neighbors_blend(a.m, a.m, -0.1) FROM rec_models a WHERE name = ''jaccard'''),
    ('SELECT supplymkt.item_neighbors_blend(a.m, a.m, 1.5) FROM rec_models a WHERE name = ''jaccard'''),
    ('SELECT supplymkt.item_neighbors_blend(a.m, a.m, ''NaN'') FROM rec_models a WHERE name = ''jaccard'''),
    ('SELECT supplymkt.item_neighbors_blend(a.m, a.m, NULL) FROM rec_models a WHERE name = ''jaccard'''),
    ('SELECT supplymkt.item_neighbors_blend(a.m, a.m, 0.5, 0) FROM rec_models a WHERE name = ''jaccard'''),
    ('SELECT supplymkt.item_neighbors_blend(a.m, a.m, 0.5, 1001) FROM rec_models a WHERE name = ''jaccard'''),
    ('SELECT supplymkt.recommend(m, ARRAY[101], 0) FROM rec_models WHERE name = ''jaccard'''),
    ('SELECT supplymkt.recommend(m, ARRAY[101], -1) FROM rec_models WHERE name = ''jaccard'''),
    ('SELECT supplymkt.recommend(m, ARRAY[101], NULL) FROM rec_models WHERE name = ''jaccard'''),
    ('SELECT supplymkt.recommend(m, ARRAY[101], 1000000000) FROM rec_models WHERE name = ''jaccard'''),
    ('SELECT supplymkt.recommend(m, ARRAY[101, NULL]) FROM rec_models WHERE name = ''jaccard'''),
    ('SELECT supplymkt.recommend(m, ''{{101,102}}''::bigint[]) FROM rec_models WHERE name = ''jaccard'''),
    ('SELECT supplymkt.recommend(m, ARRAY[9007199254740993]) FROM rec_models WHERE name = ''jaccard'''),
    ('SELECT supplymkt.recommend(m, ARRAY[101], 5, ARRAY[NULL::bigint]) FROM rec_models WHERE name = ''jaccard'''),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, 0, 0.5) FROM rec_baskets'),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, 1.5, 0.5) FROM rec_baskets'),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, -0.1, 0.5) FROM rec_baskets'),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, ''NaN'', 0.5) FROM rec_baskets'),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, NULL, 0.5) FROM rec_baskets'),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, 0.5, 2) FROM rec_baskets'),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, 0.5, -0.1) FROM rec_baskets'),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, 0.5, ''NaN'') FROM rec_baskets'),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, 0.5, NULL) FROM rec_baskets'),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, 0.5, 0.5, 0) FROM rec_baskets'),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, 0.5, 0.5, 11) FROM rec_baskets'),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, 0.5, 0.5, NULL) FROM rec_baskets'),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, 0.1 + basket_id / 100.0, 0.5) FROM rec_baskets'),
    ('SELECT supplymkt.assoc_rules(basket_id, item_id, 0.5, 0.5, 2 + (basket_id % 2)::int) FROM rec_baskets'),
    ('SELECT supplymkt_internal.item_similarity_final(''{"state":"item_similarity_state","version":1,"params":[],"rows":0,"values":[]}'')'),
    ('SELECT ''{"state":"item_similarity_state","version":1}''::supplymkt.item_similarity_state'),
    ('SELECT ''{"state":"assoc_rules_state","version":1}''::supplymkt.assoc_rules_state'),
    ('SELECT ''{"state":"assoc_rules_state","version":1}''::supplymkt.item_similarity_state')) AS v(q);
-- options by name: similarity_options and assoc_rules_options give the positional models
SELECT supplymkt.similarity_options() AS similarity_defaults,
       supplymkt.similarity_options(measure => 'Shrunk_Cosine', top_k => 50) AS similarity_named,
       supplymkt.assoc_rules_options(min_support => 0.3, min_confidence => 0.6) AS assoc_named;
SELECT supplymkt.similarity_options()::text = '{"options":"similarity_options","version":1}'::supplymkt.similarity_options::text
       AS similarity_maker_defaults_match,
       supplymkt.assoc_rules_options(0.3, 0.6)::text
       = '{"options":"assoc_rules_options","version":1,"min_support":0.3,"min_confidence":0.6}'::supplymkt.assoc_rules_options::text
       AS assoc_maker_defaults_match;
SELECT supplymkt.item_similarity(user_id, item_id, weight, supplymkt.similarity_options(top_k => 5, measure => 'jaccard', min_support => 2))::text
       = supplymkt.item_similarity(user_id, item_id, weight, 5, 'jaccard', 2)::text AS similarity_options_equal_positional,
       supplymkt.item_similarity(user_id, item_id, weight, supplymkt.similarity_options())::text
       = supplymkt.item_similarity(user_id, item_id, weight)::text AS similarity_defaults_equal_positional
  FROM rec_events;
SELECT supplymkt.assoc_rules(basket_id, item_id, supplymkt.assoc_rules_options(min_support => 0.3, min_confidence => 0.6, max_len => 2))::text
       = supplymkt.assoc_rules(basket_id, item_id, 0.3, 0.6, 2)::text AS assoc_options_equal_positional
  FROM rec_baskets;
SELECT q AS call, pg_temp.try(q) AS result FROM (VALUES
    ('SELECT supplymkt.similarity_options(measure => ''pearson'')'),
    ('SELECT supplymkt.similarity_options(top_k => 0)'),
    ('SELECT supplymkt.similarity_options(min_support => 0)'),
    ('SELECT supplymkt.similarity_options(measure => NULL)'),
    ('SELECT ''{"options":"similarity_options","version":1,"measure":"blend"}''::supplymkt.similarity_options'),
    ('SELECT ''{"options":"similarity_options","version":1,"measure":["cosine"]}''::supplymkt.similarity_options'),
    ('SELECT supplymkt.assoc_rules_options(0, 0.5)'),
    ('SELECT supplymkt.assoc_rules_options(1.5, 0.5)'),
    ('SELECT supplymkt.assoc_rules_options(0.5, -0.1)'),
    ('SELECT supplymkt.assoc_rules_options(0.5, 0.5, 11)'),
    ('SELECT supplymkt.assoc_rules_options(min_confidence => 0.5)'),
    ('SELECT ''{"options":"assoc_rules_options","version":1,"min_support":0.5}''::supplymkt.assoc_rules_options'),
    ('SELECT supplymkt.item_similarity(user_id, item_id, weight, CASE WHEN id % 2 = 0 THEN supplymkt.similarity_options() ELSE supplymkt.similarity_options(top_k => 3) END) FROM rec_events')) AS v(q);
DROP TABLE rec_events, rec_models, rec_content, rec_content_models, rec_category, rec_blend, rec_baskets, rec_assoc,
           rec_bin, rec_bin2, rec_bad, rec_bad_assoc, rec_valid, rec_sql_pairs, rec_sql_ranked, rec_basket_sets;
