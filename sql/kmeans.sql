-- k-means (src/kmeans/): kmeans_fit with its overloads on a small dataset of three clear groups, the model's
-- fields, kmeans_assign / kmeans_distance / kmeans_centroids checked against plain SQL, kmeans_segment per
-- partition, kmeans_elbow, kmeans_refine from a model typed by hand, text and binary round trips, order
-- independence, sampling under supplymkt.kmeans_max_memory, NULL results, and clean errors for bad input.
SET extra_float_digits = 0;
-- 60 customers in three groups (a: 25 frequent big spenders, b: 20 regular, c: 15 lapsed) drawn from normal
-- distributions (recency days, orders, spend) and shuffled; values rounded to 2 decimals
CREATE TABLE kmeans_points (id int, grp text, recency float8, orders float8, spend float8,
                            f float8[] GENERATED ALWAYS AS (ARRAY[recency, orders, spend]) STORED);
INSERT INTO kmeans_points (id, grp, recency, orders, spend) VALUES
(1,'a',11.33,13.83,925.18), (2,'a',9.47,10.68,849.67), (3,'c',195.26,1.9,40.96), (4,'a',9.86,13.75,912.74), (5,'b',52.02,6.73,354.08), (6,'c',208.94,2.36,64.66),
(7,'a',13.43,12.46,852.78), (8,'b',48.39,5.43,236.64), (9,'b',53.82,5.59,396.56), (10,'a',2.39,10.25,838.33), (11,'a',7.58,13.2,810.91), (12,'a',9.37,10.54,882.78),
(13,'c',223.01,1.77,38.05), (14,'b',57.88,5.06,335.06), (15,'a',13.02,12.45,985.72), (16,'a',3.92,10.99,849.68), (17,'c',186.72,2.14,33.01), (18,'a',6.11,13.75,754.38),
(19,'b',60.4,7.1,237.08), (20,'b',73.59,5.58,347.3), (21,'c',211.22,1.01,71.84), (22,'b',52.71,6.62,343.9), (23,'c',178.16,1.44,63.91), (24,'c',178.04,2.4,81.28),
(25,'b',54.4,3.13,359.04), (26,'a',10.96,11.59,918.48), (27,'a',5.22,10.99,824.2), (28,'c',215.84,1.33,38.84), (29,'c',186.02,0.92,60.76), (30,'a',9.16,10.96,861.97),
(31,'a',6.53,11.96,729.16), (32,'a',10.24,11.02,918.36), (33,'c',167.71,1.35,59.45), (34,'a',10.81,14.74,817.34), (35,'b',55.99,5.23,271.23), (36,'b',61.3,6.86,277.18),
(37,'b',72.91,4.45,274.35), (38,'c',219.36,1.52,56.96), (39,'a',4.53,10.9,857.37), (40,'a',2.84,12.57,824.26), (41,'b',74.5,5.3,274.99), (42,'a',11.77,10.14,775.35),
(43,'b',65.02,3.2,336.27), (44,'c',237.91,0.93,66.54), (45,'a',5.56,16.37,846.09), (46,'b',51.04,5.29,326.2), (47,'b',51.49,6.39,290.53), (48,'b',56.79,6.19,254.71),
(49,'b',49.89,5.56,289.34), (50,'a',7.95,14.35,785.27), (51,'c',206.78,2.11,50.46), (52,'a',2.15,13.75,768.11), (53,'b',68.78,5.22,340.55), (54,'c',219.34,0.79,87.72),
(55,'a',4.12,10.42,875.55), (56,'c',220.26,2.52,60.98), (57,'b',61.54,6.46,246.82), (58,'a',6.53,12.39,784.74), (59,'a',7.1,12.2,693.88), (60,'b',58.48,4.53,229.37);
-- 6 significant digits (of a number and of each element of an array), and a try() that reports SQLSTATE and
-- message of a failing statement
CREATE FUNCTION pg_temp.sig(v float8, digits int DEFAULT 6) RETURNS numeric LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN v = 0 THEN 0 ELSE round(v::numeric, digits - 1 - floor(log(abs(v::numeric)))::int) END $$;
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

-- every overload of kmeans_fit; raw2d fits recency and orders in input units (standardize false)
CREATE TABLE kmeans_models AS
SELECT 'default' AS name, supplymkt.kmeans_fit(f, 3) AS m FROM kmeans_points
UNION ALL SELECT 'seed7', supplymkt.kmeans_fit(f, 3, 7) FROM kmeans_points
UNION ALL SELECT 'n_init1', supplymkt.kmeans_fit(f, 3, 0, 1) FROM kmeans_points
UNION ALL SELECT 'max_iter1', supplymkt.kmeans_fit(f, 3, 0, 10, 1) FROM kmeans_points
UNION ALL SELECT 'tol0', supplymkt.kmeans_fit(f, 3, 0, 10, 300, 0) FROM kmeans_points
UNION ALL SELECT 'raw2d', supplymkt.kmeans_fit(ARRAY[recency, orders], 3, 0, 10, 300, 1e-4, false) FROM kmeans_points
UNION ALL SELECT 'k1', supplymkt.kmeans_fit(f, 1) FROM kmeans_points;
-- the model's fields
SELECT name, j->'version' AS version, j->'k' AS k, j->'dim' AS dim, j->'standardize' AS standardize,
       j->'sizes' AS sizes, pg_temp.sig((j->>'inertia')::float8) AS inertia, j->'iterations' AS iterations,
       j->'converged' AS converged, j->'n_points' AS n_points, j->'sampled' AS sampled,
       j->'sample_points' AS sample_points, j->'seed' AS seed, j->'n_init' AS n_init,
       jsonb_array_length(j->'init') AS init_len
  FROM kmeans_models, LATERAL (SELECT m::text::jsonb) AS s(j) ORDER BY name;
SELECT name, (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(j) AS o(k)) AS keys
  FROM kmeans_models, LATERAL (SELECT m::text::jsonb) AS s(j) WHERE name IN ('default', 'raw2d') ORDER BY name;
-- mean and scale (population standard deviation) of each feature, and plain SQL's; raw2d stores 0 and 1
SELECT name, pg_temp.sigs(pg_temp.jarr(j->'mean')) AS mean, pg_temp.sigs(pg_temp.jarr(j->'scale')) AS scale
  FROM kmeans_models, LATERAL (SELECT m::text::jsonb) AS s(j) WHERE name IN ('default', 'raw2d') ORDER BY name;
SELECT pg_temp.sigs(ARRAY[avg(recency), avg(orders), avg(spend)]) AS sql_mean,
       pg_temp.sigs(ARRAY[stddev_pop(recency), stddev_pop(orders), stddev_pop(spend)]) AS sql_scale
  FROM kmeans_points;
-- the groups are clear: every standardized fit finds the same centroids whatever the seed, n_init, max_iter
-- or tol (to 1e-12), and k = 1 has inertia n x dim = 180 (the standardized features have unit variance)
SELECT a.name, (SELECT max(abs(x - y)) FROM unnest(pg_temp.jarr(a.m::text::jsonb->'centroids'),
                                                   pg_temp.jarr(b.m::text::jsonb->'centroids')) AS u(x, y)) < 1e-12 AS same_centroids,
       a.m::text::jsonb->'sizes' = b.m::text::jsonb->'sizes' AS same_sizes
  FROM kmeans_models a, kmeans_models b WHERE b.name = 'default' AND a.name IN ('seed7', 'n_init1', 'max_iter1', 'tol0') ORDER BY a.name;
-- the centroids: cluster 1 is the biggest group (a, 25 points), then b (20) and c (15)
SELECT c.cluster, c.size, pg_temp.sigs(c.centroid) AS centroid, pg_temp.sigs(c.centroid_original) AS centroid_original
  FROM kmeans_models, LATERAL supplymkt.kmeans_centroids(m) AS c WHERE name = 'default' ORDER BY c.cluster;
SELECT c.cluster, c.size, pg_temp.sigs(c.centroid) AS centroid, c.centroid = c.centroid_original AS same_in_raw_units
  FROM kmeans_models, LATERAL supplymkt.kmeans_centroids(m) AS c WHERE name = 'raw2d' ORDER BY c.cluster;
-- kmeans_assign recovers the groups
SELECT grp, supplymkt.kmeans_assign(m, f) AS cluster, count(*)
  FROM kmeans_points, kmeans_models WHERE name = 'default' GROUP BY 1, 2 ORDER BY 1, 2;
SELECT grp, supplymkt.kmeans_assign(m, ARRAY[recency, orders]) AS cluster, count(*)
  FROM kmeans_points, kmeans_models WHERE name = 'raw2d' GROUP BY 1, 2 ORDER BY 1, 2;
-- centroid_original is the mean of each group's points, centroid its standardized image
SELECT c.cluster, min(p.grp) AS grp,
       (SELECT max(abs(x - y)) FROM unnest(c.centroid_original, ARRAY[avg(p.recency), avg(p.orders), avg(p.spend)]) AS u(x, y)) < 1e-9 AS original_is_mean,
       (SELECT max(abs(x - (y - mu) / sd)) FROM unnest(c.centroid, c.centroid_original, pg_temp.jarr(j->'mean'), pg_temp.jarr(j->'scale')) AS u(x, y, mu, sd)) < 1e-12 AS standardized
  FROM kmeans_models, LATERAL (SELECT m::text::jsonb) AS s(j), LATERAL supplymkt.kmeans_centroids(m) AS c, kmeans_points p
 WHERE name = 'default' AND supplymkt.kmeans_assign(m, p.f) = c.cluster
 GROUP BY c.cluster, c.centroid, c.centroid_original, j ORDER BY c.cluster;
-- kmeans_assign and kmeans_distance against the nearest centroid computed in plain SQL from the model's JSON
-- (every point of every model), and the inertia is the sum of squared distances
CREATE TEMP VIEW kmeans_sql_nearest AS
SELECT name, id, (array_agg(c ORDER BY d2, c))[1] AS cluster, sqrt(min(d2)) AS distance
  FROM (SELECT name, id, c, sum((((x - mu) / sd) - (j->'centroids'->>((c - 1) * dim + i::int - 1))::float8) ^ 2) AS d2
          FROM kmeans_models, LATERAL (SELECT m::text::jsonb) AS s(j),
               LATERAL (SELECT (j->>'dim')::int AS dim, (j->>'k')::int AS k) AS kd,
               kmeans_points p,
               LATERAL generate_series(1, kd.k) AS c,
               LATERAL unnest(CASE name WHEN 'raw2d' THEN ARRAY[p.recency, p.orders] ELSE p.f END,
                              pg_temp.jarr(j->'mean'), pg_temp.jarr(j->'scale')) WITH ORDINALITY AS u(x, mu, sd, i)
         GROUP BY name, id, c) AS d
 GROUP BY name, id;
SELECT name, bool_and(supplymkt.kmeans_assign(m, g.f) = n.cluster) AS assign_ok,
       max(abs(supplymkt.kmeans_distance(m, g.f) - n.distance)) < 1e-12 AS distance_ok,
       abs(sum(supplymkt.kmeans_distance(m, g.f) ^ 2) / (m::text::jsonb->>'inertia')::float8 - 1) < 1e-12 AS inertia_ok
  FROM kmeans_models JOIN kmeans_sql_nearest n USING (name) JOIN kmeans_points p USING (id),
       LATERAL (SELECT CASE name WHEN 'raw2d' THEN ARRAY[p.recency, p.orders] ELSE p.f END) AS g(f)
 GROUP BY name, m::text ORDER BY name;
-- a few points: distances are in the standardized space
SELECT id, grp, supplymkt.kmeans_assign(m, f) AS cluster, pg_temp.sig(supplymkt.kmeans_distance(m, f)) AS distance
  FROM kmeans_points, kmeans_models WHERE name = 'default' AND id IN (1, 3, 5, 44, 59) ORDER BY id;
-- new points, outside the data: the nearest centroid wins, ties go to the lower cluster number
SELECT supplymkt.kmeans_assign(m, ARRAY[0, 20, 2000]) AS big_spender,
       supplymkt.kmeans_assign(m, ARRAY[1000, 0, 0]) AS long_gone,
       pg_temp.sig(supplymkt.kmeans_distance(m, ARRAY[0, 20, 2000])) AS big_spender_distance
  FROM kmeans_models WHERE name = 'default';
SELECT supplymkt.kmeans_assign('{"k":2,"dim":1,"centroids":[1,3]}', ARRAY[2]) AS tie,
       supplymkt.kmeans_distance('{"k":2,"dim":1,"centroids":[1,3]}', ARRAY[2]) AS tie_distance,
       supplymkt.kmeans_assign('{"k":2,"dim":1,"centroids":[3,1]}', ARRAY[2]) AS tie_reversed;

-- kmeans_segment fits per partition: the even ids (a 15, b 8, c 7) and the odd ids (a 10, b 12, c 8) number
-- their clusters by their own sizes; each row's cluster is kmeans_assign of the partition's kmeans_fit
CREATE TEMP VIEW kmeans_parts AS
SELECT id, id % 2 AS part, grp, f, supplymkt.kmeans_segment(f, 3) OVER (PARTITION BY id % 2) AS segment,
       supplymkt.kmeans_segment(f, 3) OVER (PARTITION BY id % 2 ORDER BY id) AS segment_ordered,
       supplymkt.kmeans_segment(f, 3, 11) OVER (PARTITION BY id % 2 ORDER BY spend ROWS BETWEEN CURRENT ROW AND CURRENT ROW) AS segment_seed11
  FROM kmeans_points;
SELECT part, grp, segment, count(*), bool_and(segment = supplymkt.kmeans_assign(m, f)) AS same_as_fit,
       bool_and(segment_ordered = segment) AS frame_ignored, bool_and(segment_seed11 = segment) AS seed11_same
  FROM kmeans_parts JOIN (SELECT id % 2 AS part, supplymkt.kmeans_fit(f, 3) AS m FROM kmeans_points GROUP BY 1) AS fits USING (part)
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
-- OVER (): the whole table; a NULL features row gets NULL and is left out of the fit
SELECT grp, segment, count(*)
  FROM (SELECT grp, supplymkt.kmeans_segment(CASE WHEN id = 1 THEN NULL ELSE f END, 3) OVER () AS segment
          FROM kmeans_points) AS s
 GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST;

-- kmeans_elbow: inertia falls sharply up to k = 3, the silhouette peaks there (scikit-learn on the
-- standardized data: k = 2 inertia 46.4371 silhouette 0.674910, k = 3 6.98495 and 0.801932)
SELECT k, pg_temp.sig(inertia) AS inertia, pg_temp.sig(silhouette) AS silhouette, iterations > 0 AS iterated, converged
  FROM (SELECT (unnest(supplymkt.kmeans_elbow(f, 1, 6))).* FROM kmeans_points) AS e ORDER BY k;
-- the k = 3 entry is kmeans_fit's inertia, for any seed
SELECT abs(e.inertia - (m::text::jsonb->>'inertia')::float8) < 1e-12 AS same_inertia
  FROM (SELECT (unnest(supplymkt.kmeans_elbow(f, 3, 3, 5))).* FROM kmeans_points) AS e, kmeans_models WHERE name = 'default';

-- kmeans_refine from a model typed by hand (input units, clusters listed c, a, b): one Lloyd step moves each
-- centroid to the mean of its group and renumbers the clusters by size; the inertia is the assignment step's
-- (to the typed centroids), checked in plain SQL
CREATE TABLE kmeans_hand AS
SELECT '{"k":3,"dim":3,"centroids":[200,2,50, 10,12,800, 60,5,300]}'::supplymkt.kmeans_model AS m0;
SELECT m0::text AS typed FROM kmeans_hand;
CREATE TABLE kmeans_refined AS SELECT supplymkt.kmeans_refine(m0, f) AS m1 FROM kmeans_hand, kmeans_points;
SELECT j->'k' AS k, j->'dim' AS dim, j->'standardize' AS standardize, j->'sizes' AS sizes,
       pg_temp.sig((j->>'inertia')::float8) AS inertia, j->'iterations' AS iterations, j->'converged' AS converged,
       j->'n_points' AS n_points, j ? 'init' AS has_init
  FROM kmeans_refined, LATERAL (SELECT m1::text::jsonb) AS s(j);
SELECT pg_temp.sig(sum(d2)) AS sql_inertia
  FROM (SELECT min((recency - c[1]) ^ 2 + (orders - c[2]) ^ 2 + (spend - c[3]) ^ 2) AS d2
          FROM kmeans_points, (VALUES (ARRAY[200, 2, 50]), (ARRAY[10, 12, 800]), (ARRAY[60, 5, 300])) AS v(c) GROUP BY id) AS s;
SELECT c.cluster, c.size, pg_temp.sigs(c.centroid) AS centroid, g.grp,
       (SELECT max(abs(x - y)) FROM unnest(c.centroid, g.mean) AS u(x, y)) < 1e-9 AS is_group_mean
  FROM kmeans_refined, LATERAL supplymkt.kmeans_centroids(m1) AS c,
       (SELECT grp, count(*) AS n, ARRAY[avg(recency), avg(orders), avg(spend)] AS mean FROM kmeans_points GROUP BY grp) AS g
 WHERE g.n = c.size ORDER BY c.cluster;
-- a second step moves nothing: converged, iterations 2, inertia of the group means
SELECT j->'sizes' AS sizes, pg_temp.sig((j->>'inertia')::float8) AS inertia, j->'iterations' AS iterations,
       j->'converged' AS converged
  FROM (SELECT supplymkt.kmeans_refine(m1, f)::text::jsonb FROM kmeans_refined, kmeans_points) AS s(j);
SELECT pg_temp.sig(sum((recency - r) ^ 2 + (orders - o) ^ 2 + (spend - s) ^ 2)) AS sql_inertia
  FROM kmeans_points JOIN (SELECT grp, avg(recency) r, avg(orders) o, avg(spend) s FROM kmeans_points GROUP BY grp) g USING (grp);
-- a standardized model typed by hand (mean and scale given): the refined centroids are the group means in
-- input units, their standardized images in the model's (typed) mean and scale
SELECT c.cluster, c.size, pg_temp.sigs(c.centroid_original) AS centroid_original, pg_temp.sigs(c.centroid) AS centroid
  FROM (SELECT supplymkt.kmeans_refine('{"k":3,"dim":3,"standardize":true,"mean":[70,7,460],"scale":[80,5,330],"centroids":[-1,1,1, 0,0,0, 2,-1,-1]}', f) AS m
          FROM kmeans_points) AS r, LATERAL supplymkt.kmeans_centroids(m) AS c ORDER BY c.cluster;
-- refining a converged fit keeps its centroids, adds an iteration and drops "init"
SELECT (SELECT max(abs(x - y)) FROM unnest(pg_temp.jarr(j->'centroids'), pg_temp.jarr(m::text::jsonb->'centroids')) AS u(x, y)) < 1e-12 AS same_centroids,
       (j->>'iterations')::int - (m::text::jsonb->>'iterations')::int AS added_iterations, j->'converged' AS converged,
       j ? 'init' AS has_init, abs((j->>'inertia')::float8 / (m::text::jsonb->>'inertia')::float8 - 1) < 1e-12 AS same_inertia
  FROM kmeans_models, LATERAL (SELECT supplymkt.kmeans_refine(m, f)::text::jsonb FROM kmeans_points) AS s(j) WHERE name = 'default';
-- a cluster without points keeps its centroid
SELECT supplymkt.kmeans_refine('{"k":2,"dim":1,"centroids":[0,100]}', x) AS model
  FROM (VALUES (ARRAY[1.0]::float8[]), (ARRAY[2.0]), (ARRAY[6.0])) AS v(x);

-- the result does not depend on row order, and combining partial states gives the serial answer
SELECT bool_and(m::text = (SELECT m::text FROM kmeans_models WHERE name = 'default')) AS same_model, count(*) AS orders_tried
  FROM (SELECT supplymkt.kmeans_fit(f, 3 ORDER BY id DESC) FROM kmeans_points
        UNION ALL SELECT supplymkt.kmeans_fit(f, 3 ORDER BY md5(id::text)) FROM kmeans_points
        UNION ALL SELECT supplymkt.kmeans_fit(f, 3 ORDER BY (id * 37) % 61) FROM kmeans_points
        UNION ALL SELECT supplymkt.kmeans_fit(f, 3 ORDER BY spend) FROM kmeans_points) AS s(m);
CREATE AGGREGATE pg_temp.kmeans_state(float8[], int) (
    SFUNC = supplymkt_internal.kmeans_fit_transfn, STYPE = supplymkt.kmeans_fit_state);
CREATE AGGREGATE pg_temp.kmeans_refine_state(supplymkt.kmeans_model, float8[]) (
    SFUNC = supplymkt_internal.kmeans_refine_transfn, STYPE = supplymkt.kmeans_refine_state);
SELECT (SELECT supplymkt_internal.kmeans_fit_final(supplymkt_internal.kmeans_fit_state_combine(a.s, b.s)) FROM
          (SELECT pg_temp.kmeans_state(f, 3) s FROM kmeans_points WHERE id % 3 = 0) a,
          (SELECT pg_temp.kmeans_state(f, 3) s FROM kmeans_points WHERE id % 3 <> 0) b)::text
       = (SELECT m::text FROM kmeans_models WHERE name = 'default') AS fit_combined_same,
       (SELECT supplymkt_internal.kmeans_fit_final(supplymkt_internal.kmeans_fit_state_combine(b.s, a.s)) FROM
          (SELECT pg_temp.kmeans_state(f, 3) s FROM kmeans_points WHERE id % 3 = 0) a,
          (SELECT pg_temp.kmeans_state(f, 3) s FROM kmeans_points WHERE id % 3 <> 0) b)::text
       = (SELECT m::text FROM kmeans_models WHERE name = 'default') AS fit_combined_swapped_same;
-- kmeans_refine sums the points, so another order or a combination of partial states may change the last
-- bits of the centroids (1e-12 relative) but nothing else
CREATE FUNCTION pg_temp.close_models(a supplymkt.kmeans_model, b supplymkt.kmeans_model) RETURNS bool LANGUAGE sql AS $$
    SELECT (SELECT max(abs(x - y) / greatest(abs(x), abs(y), 1)) FROM unnest(pg_temp.jarr(ja->'centroids') || pg_temp.jarr(ja->'centroids_original') || (ja->>'inertia')::float8,
                                                                         pg_temp.jarr(jb->'centroids') || pg_temp.jarr(jb->'centroids_original') || (jb->>'inertia')::float8) AS u(x, y)) < 1e-12
           AND ja - 'centroids' - 'centroids_original' - 'inertia' = jb - 'centroids' - 'centroids_original' - 'inertia'
      FROM (SELECT a::text::jsonb, b::text::jsonb) AS s(ja, jb) $$;
SELECT bool_and(pg_temp.close_models(m, m1)) AS refine_order_close, count(*) AS orders_tried
  FROM kmeans_refined, (SELECT supplymkt.kmeans_refine(m0, f ORDER BY id DESC) FROM kmeans_hand, kmeans_points GROUP BY m0::text
                        UNION ALL SELECT supplymkt.kmeans_refine(m0, f ORDER BY md5(id::text)) FROM kmeans_hand, kmeans_points GROUP BY m0::text) AS s(m);
SELECT pg_temp.close_models(supplymkt_internal.kmeans_refine_final(supplymkt_internal.kmeans_refine_state_combine(a.s, b.s)), m1) AS refine_combined_close
  FROM (SELECT pg_temp.kmeans_refine_state(m0, f) s FROM kmeans_hand, kmeans_points WHERE id <= 20 GROUP BY m0::text) a,
       (SELECT pg_temp.kmeans_refine_state(m0, f) s FROM kmeans_hand, kmeans_points WHERE id > 20 GROUP BY m0::text) b, kmeans_refined;
SELECT pg_temp.close_models(supplymkt_internal.kmeans_refine_final(supplymkt_internal.kmeans_refine_state_combine(a.s, b.s)), r.m) AS fitted_refine_combined_close
  FROM kmeans_models,
       LATERAL (SELECT pg_temp.kmeans_refine_state(m, f) s FROM kmeans_points WHERE id <= 20) a,
       LATERAL (SELECT pg_temp.kmeans_refine_state(m, f) s FROM kmeans_points WHERE id > 20) b,
       LATERAL (SELECT supplymkt.kmeans_refine(m, f) FROM kmeans_points) AS r(m)
 WHERE name = 'default';

-- sampling: past supplymkt.kmeans_max_memory the fit keeps a deterministic, order-independent sample; 30000
-- points in three groups of 15000, 9000 and 6000 around (0, 0), (10, 0) and (0, 10)
CREATE TABLE kmeans_big AS
SELECT g, ARRAY[CASE WHEN g % 10 < 5 THEN 0 WHEN g % 10 < 8 THEN 10 ELSE 0 END + sin(g * 1.3),
                CASE WHEN g % 10 >= 8 THEN 10 ELSE 0 END + cos(g * 0.7)] AS f
  FROM generate_series(1, 30000) g;
SHOW supplymkt.kmeans_max_memory;
SELECT (m::text::jsonb->>'sampled')::bool AS sampled, m::text::jsonb->'n_points' AS n_points,
       m::text::jsonb->'sample_points' AS sample_points, m::text::jsonb->'sizes' AS sizes
  FROM (SELECT supplymkt.kmeans_fit(f, 3, 0, 1, 300, 1e-4, false) FROM kmeans_big) AS s(m);
SET supplymkt.kmeans_max_memory = 128;
SHOW supplymkt.kmeans_max_memory;
CREATE TABLE kmeans_sampled AS
SELECT supplymkt.kmeans_fit(f, 3, 0, 1, 300, 1e-4, false ORDER BY g) AS m FROM kmeans_big
UNION ALL SELECT supplymkt.kmeans_fit(f, 3, 0, 1, 300, 1e-4, false ORDER BY g DESC) FROM kmeans_big;
SELECT count(DISTINCT m::text) AS distinct_models, min(j->>'sampled') AS sampled, min(j->>'n_points') AS n_points,
       min((j->>'sample_points')::int) BETWEEN 1000 AND 29999 AS sample_points_ok,
       bool_and((SELECT sum(x::int) FROM jsonb_array_elements_text(j->'sizes') AS s(x)) = (j->>'sample_points')::int) AS sizes_sum_to_sample
  FROM kmeans_sampled, LATERAL (SELECT m::text::jsonb) AS s(j);
-- the sampled fit still finds the three groups; a few refine steps over all rows give the full-data sizes
SELECT c.cluster, (SELECT array_agg(round(x::numeric, 1) ORDER BY i) FROM unnest(c.centroid_original) WITH ORDINALITY AS u(x, i)) AS centroid
  FROM (SELECT m FROM kmeans_sampled LIMIT 1) AS s, LATERAL supplymkt.kmeans_centroids(m) AS c ORDER BY c.cluster;
SELECT r.m::text::jsonb->'sizes' AS sizes, r.m::text::jsonb->'n_points' AS n_points, r.m::text::jsonb->'sampled' AS sampled
  FROM (SELECT supplymkt.kmeans_refine(m, f) AS m FROM (SELECT m FROM kmeans_sampled LIMIT 1) AS s, kmeans_big GROUP BY m::text) AS r;
SELECT count(*) FILTER (WHERE (e).k = 3) AS k3, bool_and((e).inertia > 0) AS positive
  FROM (SELECT unnest(supplymkt.kmeans_elbow(f, 2, 3)) FROM kmeans_big) AS s(e);
RESET supplymkt.kmeans_max_memory;
SELECT pg_temp.try('SET supplymkt.kmeans_max_memory = -1') AS negative_memory;

-- NULL results: no rows, only NULL arrays; NULL arrays are skipped
SELECT supplymkt.kmeans_fit(f, 3) IS NULL AS no_rows FROM kmeans_points WHERE false;
SELECT supplymkt.kmeans_fit(NULL::float8[], 3) IS NULL AS all_null FROM kmeans_points;
SELECT supplymkt.kmeans_elbow(f, 1, 3) IS NULL AS elbow_no_rows FROM kmeans_points WHERE false;
SELECT supplymkt.kmeans_refine(m0, f) IS NULL AS refine_no_rows FROM kmeans_hand, kmeans_points WHERE false;
SELECT supplymkt.kmeans_refine(m0, NULL) IS NULL AS refine_all_null FROM kmeans_hand, kmeans_points;
SELECT supplymkt.kmeans_fit(CASE WHEN id <= 3 THEN NULL ELSE f END, 3)::text::jsonb->'n_points' AS n_points FROM kmeans_points;
SELECT g, supplymkt.kmeans_segment(CASE WHEN g > 2 THEN NULL ELSE ARRAY[g]::float8[] END, 2) OVER (PARTITION BY g > 2) AS segment
  FROM generate_series(1, 4) g ORDER BY g;
SELECT supplymkt.kmeans_assign(m, NULL) IS NULL AS assign_null, supplymkt.kmeans_distance(NULL, ARRAY[1.0]) IS NULL AS distance_null
  FROM kmeans_models WHERE name = 'default';
-- k = number of distinct points: every point its own centroid (duplicates allowed), inertia 0
SELECT j->'sizes' AS sizes, j->'inertia' AS inertia, j->'centroids_original' AS centroids
  FROM (SELECT supplymkt.kmeans_fit(ARRAY[x], 2)::text::jsonb FROM unnest(ARRAY[1.0, 1.0, 5.0, 1.0]::float8[]) AS u(x)) AS s(j);
-- a constant feature has scale 1
SELECT j->'mean' AS mean, j->'scale' AS scale
  FROM (SELECT supplymkt.kmeans_fit(ARRAY[7.5, g], 2)::text::jsonb FROM generate_series(1, 4) g) AS s(j);

-- text round trip of kmeans_model (exact floats) and of the states
CREATE FUNCTION pg_temp.kmeans_refine_state_text(t text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN t::supplymkt.kmeans_refine_state::text;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END $$;
SELECT name, m::text::supplymkt.kmeans_model::text = m::text AS text_roundtrip FROM kmeans_models ORDER BY name;
SELECT supplymkt_internal.kmeans_fit_transfn(supplymkt_internal.kmeans_fit_transfn(NULL, ARRAY[1.5, -2], 2, 9), ARRAY[1e-300, 0.1], 2, 9) AS state;
SELECT s::text::supplymkt.kmeans_fit_state::text = s::text AS fit_state_roundtrip
  FROM (SELECT pg_temp.kmeans_state(f, 3) FROM kmeans_points) AS v(s);
SELECT name, pg_temp.try(format('SELECT %L::supplymkt.kmeans_refine_state', s::text)) AS refine_state_input,
       s::text = pg_temp.kmeans_refine_state_text(s::text) AS refine_state_roundtrip
  FROM (SELECT 'hand', pg_temp.kmeans_refine_state(m0, f) FROM kmeans_hand, kmeans_points GROUP BY m0::text
        UNION ALL SELECT 'default', (SELECT pg_temp.kmeans_refine_state(m, f) FROM kmeans_points) FROM kmeans_models WHERE name = 'default') AS v(name, s)
 ORDER BY name;
-- the refined model is the same from a state that went through its text form (as between Citus nodes)
SELECT name, supplymkt_internal.kmeans_refine_final(s::text::supplymkt.kmeans_refine_state)::text = supplymkt_internal.kmeans_refine_final(s)::text AS same_after_text
  FROM (SELECT name, (SELECT pg_temp.kmeans_refine_state(m, f) FROM kmeans_points) FROM kmeans_models WHERE name IN ('default', 'seed7')) AS v(name, s)
 ORDER BY name;
-- binary round trip through COPY (model, fit state, refine state)
CREATE TABLE kmeans_bin AS
SELECT name, m, (SELECT pg_temp.kmeans_state(f, 3) FROM kmeans_points) AS fs,
       (SELECT pg_temp.kmeans_refine_state(m, p.f) FROM kmeans_points p) AS rs
  FROM kmeans_models WHERE name <> 'raw2d';
COPY kmeans_bin TO '/tmp/supplymkt_kmeans.bin' (FORMAT binary);
CREATE TABLE kmeans_bin2 (LIKE kmeans_bin);
COPY kmeans_bin2 FROM '/tmp/supplymkt_kmeans.bin' (FORMAT binary);
SELECT a.name, a.m::text = b.m::text AS model_roundtrip,
       supplymkt_internal.kmeans_model_send(a.m) = supplymkt_internal.kmeans_model_send(b.m) AS same_send,
       a.fs::text = b.fs::text AS fit_state_roundtrip, a.rs::text = b.rs::text AS refine_state_roundtrip
  FROM kmeans_bin a JOIN kmeans_bin2 b USING (name) ORDER BY a.name;
-- malformed binary input: truncated, trailing byte
CREATE TABLE kmeans_bad (m supplymkt.kmeans_model);
CREATE FUNCTION pg_temp.copy_bytes(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', b, '/tmp/supplymkt_kmeans_bad.bin');
    RETURN pg_temp.try($q$COPY kmeans_bad FROM '/tmp/supplymkt_kmeans_bad.bin' (FORMAT binary)$q$);
END $$;
SELECT what, pg_temp.copy_bytes(b) AS result
  FROM (SELECT supplymkt_internal.kmeans_model_send(m) AS v FROM kmeans_models WHERE name = 'default') AS s,
       LATERAL (VALUES ('valid', v), ('empty', ''::bytea), ('truncated', substr(v, 1, length(v) - 8)),
                       ('half', substr(v, 1, length(v) / 2)), ('trailing byte', v || '\x00'::bytea)) AS c(what, b);
SELECT count(*) AS rows_read FROM kmeans_bad;

-- malformed model text: clean errors
SELECT t AS input, pg_temp.try(format('SELECT %L::supplymkt.kmeans_model', t)) AS result FROM (VALUES
    (''), ('{}'), ('[]'), ('null'), ('{"k":2}'), ('{"k":2,"dim":1}'), ('{"dim":1,"centroids":[1,2]}'),
    ('{"k":2,"dim":1,"centroids":[1,2,3]}'),
    ('{"k":2,"dim":2,"centroids":[1,2,3]}'),
    ('{"k":0,"dim":1,"centroids":[]}'),
    ('{"k":1,"dim":0,"centroids":[]}'),
    ('{"k":-1,"dim":1,"centroids":[1]}'),
    ('{"k":1.5,"dim":1,"centroids":[1]}'),
    ('{"k":2,"dim":1,"centroids":[1,"NaN"]}'),
    ('{"k":2,"dim":1,"centroids":[1,1e400]}'),
    ('{"k":2,"dim":1,"centroids":[1,[2]]}'),
    ('{"k":2,"dim":1,"centroids":1}'),
    ('{"k":2,"dim":1,"centroids":[1,2],"mean":[0,0],"scale":[1]}'),
    ('{"k":2,"dim":1,"centroids":[1,2],"mean":[0],"scale":[-1]}'),
    ('{"k":2,"dim":1,"centroids":[1,2],"mean":[0],"scale":[0]}'),
    ('{"k":2,"dim":1,"centroids":[1,2],"mean":[0]}'),
    ('{"k":2,"dim":1,"centroids":[1,2],"colour":"red"}'),
    ('{"k":2,"dim":1,"centroids":[1,2],"k":2}'),
    ('{"k":2,"dim":1,"centroids":[1,2],"version":2}'),
    ('{"k":2,"dim":1,"centroids":[1,2],"sizes":[1]}'),
    ('{"k":2,"dim":1,"centroids":[1,2],"sizes":[-1,3]}'),
    ('{"k":2,"dim":1,"centroids":[1,2],"standardize":"yes"}'),
    ('{"k":2,"dim":1,"centroids":[1,2],"inertia":-1}'),
    ('{"k":2,"dim":1,"centroids":[1,2],"init":[1]}'),
    ('{"k":2,"dim":1,"centroids":[1,2],"centroids_original":[1]}'),
    ('{"k":2,"dim":1,"centroids":[1,2]}'),
    ('{"k":2,"dim":2,"mean":[10,20],"scale":[2,4],"centroids":[1,-1,0,0.5]}'),
    ('{"k":2,"dim":2,"standardize":true,"mean":[10,20],"scale":[2,4],"centroids":[1,-1,0,0.5]}')) AS v(t);
-- a model typed by hand is completed: centroids_original from mean and scale
SELECT '{"k":2,"dim":2,"standardize":true,"mean":[10,20],"scale":[2,4],"centroids":[1,-1,0,0.5]}'::supplymkt.kmeans_model::text AS completed;

-- bad arguments: clean errors
SELECT q AS call, pg_temp.try(q) AS result FROM (VALUES
    ('SELECT supplymkt.kmeans_fit(f, 0) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(f, -2) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(f, NULL::integer) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(f, NULL::supplymkt.kmeans_options) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(f, 61) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(ARRAY[g % 2]::float8[], 3) FROM generate_series(1, 10) g'),
    ('SELECT supplymkt.kmeans_fit(CASE WHEN id = 5 THEN ARRAY[1.0, 2.0] ELSE f END, 3) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(''{}''::float8[], 2) FROM generate_series(1, 5)'),
    ('SELECT supplymkt.kmeans_fit(''{{1,2},{3,4}}''::float8[], 2) FROM generate_series(1, 5)'),
    ('SELECT supplymkt.kmeans_fit(''[0:1]={1,2}''::float8[], 2) FROM generate_series(1, 5)'),
    ('SELECT supplymkt.kmeans_fit(ARRAY[1, NULL]::float8[], 2) FROM generate_series(1, 5)'),
    ('SELECT supplymkt.kmeans_fit(ARRAY[1, ''NaN'']::float8[], 2) FROM generate_series(1, 5)'),
    ('SELECT supplymkt.kmeans_fit(ARRAY[''Infinity'', 1]::float8[], 2) FROM generate_series(1, 5)'),
    ('SELECT supplymkt.kmeans_fit(ARRAY[1, ''-Infinity'']::float8[], 2) FROM generate_series(1, 5)'),
    ('SELECT supplymkt.kmeans_fit(f, 2 + id % 2) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(f, 3, id) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(f, 3, 0, 0) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(f, 3, 0, 10, 0) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(f, 3, 0, 10, 300, -1) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(f, 3, 0, 10, 300, ''NaN'') FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(f, 3, 0, 10, 300, ''Infinity'') FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(f, 3, 0, 10, 300, 1e-4, NULL) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_fit(ARRAY[g * 1e300, g], 2) FROM generate_series(1, 10) g'),
    ('SELECT supplymkt.kmeans_fit(ARRAY[g * 1e300, g], 2, 0, 10, 300, 1e-4, false) FROM generate_series(1, 10) g'),
    ('SELECT supplymkt.kmeans_assign(m, ARRAY[1.0, 2.0]) FROM kmeans_models WHERE name = ''default'''),
    ('SELECT supplymkt.kmeans_assign(m, ARRAY[1.0, 2.0, 3.0, 4.0]) FROM kmeans_models WHERE name = ''default'''),
    ('SELECT supplymkt.kmeans_assign(m, ''{}''::float8[]) FROM kmeans_models WHERE name = ''default'''),
    ('SELECT supplymkt.kmeans_assign(m, ''{{1,2,3}}''::float8[]) FROM kmeans_models WHERE name = ''default'''),
    ('SELECT supplymkt.kmeans_assign(m, ARRAY[1, NULL, 3]::float8[]) FROM kmeans_models WHERE name = ''default'''),
    ('SELECT supplymkt.kmeans_distance(m, ARRAY[1, ''NaN'', 3]::float8[]) FROM kmeans_models WHERE name = ''default'''),
    ('SELECT supplymkt.kmeans_distance(m, ARRAY[1, 2, 1e308]::float8[]) FROM kmeans_models WHERE name = ''default'''),
    ('SELECT supplymkt.kmeans_segment(f, 0) OVER () FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_segment(f, 61) OVER () FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_segment(f, 2 + id % 2) OVER () FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_segment(ARRAY[1, ''NaN'']::float8[], 2) OVER () FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_elbow(f, 0, 3) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_elbow(f, 4, 3) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_elbow(f, 1, 51) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_elbow(f, 1, 61) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_elbow(ARRAY[g]::float8[], 2, 5) FROM generate_series(1, 4) g'),
    ('SELECT supplymkt.kmeans_elbow(f, 1, 3 + id % 2) FROM kmeans_points'),
    ('SELECT supplymkt.kmeans_refine(m, ARRAY[1.0, 2.0]) FROM kmeans_models, kmeans_points WHERE name = ''default'''),
    ('SELECT supplymkt.kmeans_refine(m, f) FROM kmeans_models, kmeans_points WHERE name IN (''default'', ''k1'')'),
    ('SELECT supplymkt.kmeans_refine(NULL, f) FROM kmeans_points'),
    ('SELECT supplymkt_internal.kmeans_fit_final(''{"state":"kmeans_fit_state","version":1,"params":[],"rows":0,"values":[]}'')'),
    ('SELECT ''{"state":"kmeans_fit_state","version":1}''::supplymkt.kmeans_fit_state'),
    ('SELECT ''{"state":"kmeans_refine_state","version":1}''::supplymkt.kmeans_refine_state'),
    ('SELECT ''{"state":"kmeans_refine_state","version":1}''::supplymkt.kmeans_fit_state')) AS v(q);
-- options by name: kmeans_options(...) prints as JSON, is validated when made, and gives the positional model
SELECT supplymkt.kmeans_options(k => 3) AS defaults, supplymkt.kmeans_options(k => 4, seed => 7, standardize => false) AS named;
-- the maker's defaults are the descriptor's: text input with every default left out reads the same value
SELECT supplymkt.kmeans_options(k => 3)::text = '{"options":"kmeans_options","version":1,"k":3}'::supplymkt.kmeans_options::text
       AS maker_defaults_match;
SELECT supplymkt.kmeans_fit(f, supplymkt.kmeans_options(k => 3, seed => 7, n_init => 2, max_iter => 50, tol => 0, standardize => false))::text
       = supplymkt.kmeans_fit(f, 3, 7, 2, 50, 0, false)::text AS options_equal_positional,
       supplymkt.kmeans_fit(f, supplymkt.kmeans_options(k => 3))::text = supplymkt.kmeans_fit(f, 3)::text AS defaults_equal_positional
  FROM kmeans_points;
SELECT q AS call, pg_temp.try(q) AS result FROM (VALUES
    ('SELECT supplymkt.kmeans_options(k => 0)'),
    ('SELECT supplymkt.kmeans_options(k => 10001)'),
    ('SELECT supplymkt.kmeans_options(k => NULL)'),
    ('SELECT supplymkt.kmeans_options(k => 3, n_init => 0)'),
    ('SELECT supplymkt.kmeans_options(k => 3, tol => -1)'),
    ('SELECT supplymkt.kmeans_options(k => 3, tol => ''NaN'')'),
    ('SELECT supplymkt.kmeans_options(k => 3, seed => NULL)'),
    ('SELECT supplymkt.kmeans_options()'),
    ('SELECT ''{"options":"kmeans_options","version":1}''::supplymkt.kmeans_options'),
    ('SELECT ''{"options":"kmeans_options","version":1,"k":3,"colour":1}''::supplymkt.kmeans_options'),
    ('SELECT ''{"options":"kmeans_options","version":2,"k":3}''::supplymkt.kmeans_options'),
    ('SELECT ''{"options":"kmeans_options","version":1,"k":2.5}''::supplymkt.kmeans_options'),
    ('SELECT ''{"options":"kmeans_options","version":1,"k":3,"standardize":1}''::supplymkt.kmeans_options'),
    ('SELECT ''{"options":"clv_options","version":1}''::supplymkt.kmeans_options'),
    ('SELECT supplymkt.kmeans_fit(f, supplymkt.kmeans_options(k => 61)) FROM kmeans_points')) AS v(q);
DROP TABLE kmeans_points, kmeans_models, kmeans_hand, kmeans_refined, kmeans_big, kmeans_sampled, kmeans_bin, kmeans_bin2, kmeans_bad CASCADE;
