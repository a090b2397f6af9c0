-- ===========================================================================================================
-- k-means segmentation (src/kmeans.c): kmeans_fit -> kmeans_model, kmeans_assign / kmeans_distance,
-- kmeans_centroids, kmeans_segment (window), kmeans_elbow, kmeans_refine (one distributed Lloyd step)
-- ===========================================================================================================
--
-- Features are float8[] of one length per aggregate (the model's dimension), finite, no NULL elements; a NULL
-- array skips the row.  With standardize (the default) every feature is z-scored with its mean and population
-- standard deviation (1 when the feature is constant), stored in the model; centroids, inertia and distances are
-- in that standardized space, "centroids_original" in the input units.  Clusters are numbered 1..k by
-- descending size (ties: lexicographic order of the centroid), so a refit with the same seed keeps the numbers.

-- kmeans_fit_state: the points collected by kmeans_fit and kmeans_elbow (common.c row buffer, one row per
-- point; params = k, seed, n_init, max_iter, tol, standardize, k_max).  Past supplymkt.kmeans_max_memory the
-- buffer keeps a hash-threshold sample of the points (mergeable and order-independent).
CREATE TYPE @extschema@.kmeans_fit_state;
CREATE FUNCTION supplymkt_internal.kmeans_fit_state_in(cstring, oid, integer) RETURNS @extschema@.kmeans_fit_state
    AS 'MODULE_PATHNAME', 'kmeans_fit_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_fit_state_out(@extschema@.kmeans_fit_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'kmeans_fit_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_fit_state_recv(internal, oid, integer) RETURNS @extschema@.kmeans_fit_state
    AS 'MODULE_PATHNAME', 'kmeans_fit_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_fit_state_send(@extschema@.kmeans_fit_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'kmeans_fit_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.kmeans_fit_state (
    INPUT = supplymkt_internal.kmeans_fit_state_in, OUTPUT = supplymkt_internal.kmeans_fit_state_out,
    RECEIVE = supplymkt_internal.kmeans_fit_state_recv, SEND = supplymkt_internal.kmeans_fit_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.kmeans_fit_state IS 'Partial-aggregate state of kmeans_fit and kmeans_elbow: the points (one row of float8 per point), the constant arguments (params: k, seed, n_init, max_iter, tol, standardize, k_max), and, once the points exceed supplymkt.kmeans_max_memory, the sampling level and rows seen. Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_state_in(cstring, oid, integer) IS 'Text input of kmeans_fit_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_state_out(@extschema@.kmeans_fit_state) IS 'Text output of kmeans_fit_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_state_recv(internal, oid, integer) IS 'Binary input of kmeans_fit_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_state_send(@extschema@.kmeans_fit_state) IS 'Binary output of kmeans_fit_state.';

-- kmeans_refine_state: per-cluster counts and sums of one Lloyd step, and the model being refined (row buffer:
-- rows 1..k = [count, sum...], then k centroid rows, then the mean and scale rows; params = k, standardize,
-- iterations, inertia, n_points).
CREATE TYPE @extschema@.kmeans_refine_state;
CREATE FUNCTION supplymkt_internal.kmeans_refine_state_in(cstring, oid, integer) RETURNS @extschema@.kmeans_refine_state
    AS 'MODULE_PATHNAME', 'kmeans_refine_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_refine_state_out(@extschema@.kmeans_refine_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'kmeans_refine_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_refine_state_recv(internal, oid, integer) RETURNS @extschema@.kmeans_refine_state
    AS 'MODULE_PATHNAME', 'kmeans_refine_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_refine_state_send(@extschema@.kmeans_refine_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'kmeans_refine_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.kmeans_refine_state (
    INPUT = supplymkt_internal.kmeans_refine_state_in, OUTPUT = supplymkt_internal.kmeans_refine_state_out,
    RECEIVE = supplymkt_internal.kmeans_refine_state_recv, SEND = supplymkt_internal.kmeans_refine_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.kmeans_refine_state IS 'Partial-aggregate state of kmeans_refine: per-cluster point counts and coordinate sums of one Lloyd step (combinable by addition) and the model being refined. Text form is exact JSON.';
COMMENT ON FUNCTION supplymkt_internal.kmeans_refine_state_in(cstring, oid, integer) IS 'Text input of kmeans_refine_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_refine_state_out(@extschema@.kmeans_refine_state) IS 'Text output of kmeans_refine_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_refine_state_recv(internal, oid, integer) IS 'Binary input of kmeans_refine_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_refine_state_send(@extschema@.kmeans_refine_state) IS 'Binary output of kmeans_refine_state.';

-- kmeans_model: the fitted model (JSON text, so model::text::jsonb works).
CREATE TYPE @extschema@.kmeans_model;
CREATE FUNCTION supplymkt_internal.kmeans_model_in(cstring) RETURNS @extschema@.kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_model_out(@extschema@.kmeans_model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_model_recv(internal) RETURNS @extschema@.kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_model_send(@extschema@.kmeans_model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.kmeans_model (
    INPUT = supplymkt_internal.kmeans_model_in, OUTPUT = supplymkt_internal.kmeans_model_out,
    RECEIVE = supplymkt_internal.kmeans_model_recv, SEND = supplymkt_internal.kmeans_model_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.kmeans_model IS
    'A k-means model (kmeans_fit, kmeans_refine), as JSON: "version", "k", "dim", "standardize", "mean" and "scale" (per feature; 0 and 1 without standardize), "centroids" (k x dim, row-major, standardized space, clusters 1..k in order), "centroids_original" (the same in input units), "sizes", "inertia" (sum of squared distances to the assigned centroid, standardized space), "iterations", "converged", "n_points" (rows fitted), "sampled" and "sample_points" (true when the fit ran on a sample because of supplymkt.kmeans_max_memory), "seed", "n_init", "init" (the k-means++ seeds of the best run, in the order chosen, standardized space; absent after kmeans_refine). A model can be typed in by hand with k, dim and centroids (raw units), or with "standardize": true, mean, scale and centroids in the standardized space.';
COMMENT ON FUNCTION supplymkt_internal.kmeans_model_in(cstring) IS 'Text input of kmeans_model (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_model_out(@extschema@.kmeans_model) IS 'Text output of kmeans_model (JSON, exact floats).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_model_recv(internal) IS 'Binary input of kmeans_model (versioned, validated).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_model_send(@extschema@.kmeans_model) IS 'Binary output of kmeans_model.';

-- kmeans_fit: aggregates cannot have argument defaults; the defaults (seed 0, n_init 10, max_iter 300,
-- tol 1e-4, standardize true) are overloads sharing one transition, combine and final function.
CREATE FUNCTION supplymkt_internal.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer, double precision)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer, double precision, boolean)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_fit_state_combine(@extschema@.kmeans_fit_state, @extschema@.kmeans_fit_state)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_fit_final(@extschema@.kmeans_fit_state) RETURNS @extschema@.kmeans_model
    AS 'MODULE_PATHNAME', 'kmeans_fit_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_state_combine(@extschema@.kmeans_fit_state, @extschema@.kmeans_fit_state) IS 'Combine function of kmeans_fit and kmeans_elbow: appends the points (re-sampling past supplymkt.kmeans_max_memory).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_final(@extschema@.kmeans_fit_state) IS 'Final function of kmeans_fit: standardizes, runs n_init k-means++ seeded Lloyd fits (Hamerly bounds) and keeps the lowest inertia.';

CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer) (
    SFUNC = supplymkt_internal.kmeans_fit_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = supplymkt_internal.kmeans_fit_state_combine, FINALFUNC = supplymkt_internal.kmeans_fit_final,
    PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer, seed integer) (
    SFUNC = supplymkt_internal.kmeans_fit_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = supplymkt_internal.kmeans_fit_state_combine, FINALFUNC = supplymkt_internal.kmeans_fit_final,
    PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer, seed integer, n_init integer) (
    SFUNC = supplymkt_internal.kmeans_fit_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = supplymkt_internal.kmeans_fit_state_combine, FINALFUNC = supplymkt_internal.kmeans_fit_final,
    PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer, seed integer, n_init integer, max_iter integer) (
    SFUNC = supplymkt_internal.kmeans_fit_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = supplymkt_internal.kmeans_fit_state_combine, FINALFUNC = supplymkt_internal.kmeans_fit_final,
    PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer, seed integer, n_init integer, max_iter integer, tol double precision) (
    SFUNC = supplymkt_internal.kmeans_fit_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = supplymkt_internal.kmeans_fit_state_combine, FINALFUNC = supplymkt_internal.kmeans_fit_final,
    PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer, seed integer, n_init integer, max_iter integer, tol double precision, standardize boolean) (
    SFUNC = supplymkt_internal.kmeans_fit_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = supplymkt_internal.kmeans_fit_state_combine, FINALFUNC = supplymkt_internal.kmeans_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer) IS 'k-means model of the feature arrays with k clusters (seed 0, n_init 10, max_iter 300, tol 1e-4, standardize true): k-means++ seeding (GSL mt19937, seeded), the lowest-inertia of n_init runs, Lloyd iterations with Hamerly bounds (same result as plain Lloyd) until labels stop changing or the squared centroid shift <= tol x mean feature variance (scikit-learn''s rule). NULL arrays are skipped; NULL without rows.';
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer, integer) IS 'kmeans_fit with a seed (n_init 10, max_iter 300, tol 1e-4, standardize true).';
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer, integer, integer) IS 'kmeans_fit with seed and n_init (max_iter 300, tol 1e-4, standardize true).';
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer, integer, integer, integer) IS 'kmeans_fit with seed, n_init and max_iter (tol 1e-4, standardize true).';
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer, integer, integer, integer, double precision) IS 'kmeans_fit with seed, n_init, max_iter and tol (standardize true).';
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer, integer, integer, integer, double precision, boolean) IS 'kmeans_fit with every option: seed, n_init, max_iter, tol, standardize (z-score each feature; false: raw units).';

-- kmeans_elbow: inertia and a sampled silhouette per k, for choosing k.
CREATE TYPE @extschema@.kmeans_elbow_point AS (k integer, inertia double precision, silhouette double precision,
                                               iterations integer, converged boolean);
COMMENT ON TYPE @extschema@.kmeans_elbow_point IS 'One k of kmeans_elbow: inertia (standardized space) of the best of n_init fits, mean silhouette on a seeded sample of at most 2000 points (NULL for k = 1), Lloyd iterations and convergence.';
CREATE FUNCTION supplymkt_internal.kmeans_elbow_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_elbow_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_elbow_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_elbow_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_elbow_final(@extschema@.kmeans_fit_state) RETURNS @extschema@.kmeans_elbow_point[]
    AS 'MODULE_PATHNAME', 'kmeans_elbow_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.kmeans_elbow_final(@extschema@.kmeans_fit_state) IS 'Final function of kmeans_elbow: one standardized k-means fit per k and its sampled silhouette.';
CREATE AGGREGATE @extschema@.kmeans_elbow(features double precision[], k_min integer, k_max integer) (
    SFUNC = supplymkt_internal.kmeans_elbow_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = supplymkt_internal.kmeans_fit_state_combine, FINALFUNC = supplymkt_internal.kmeans_elbow_final,
    PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.kmeans_elbow(features double precision[], k_min integer, k_max integer, seed integer) (
    SFUNC = supplymkt_internal.kmeans_elbow_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = supplymkt_internal.kmeans_fit_state_combine, FINALFUNC = supplymkt_internal.kmeans_elbow_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_elbow(double precision[], integer, integer) IS 'For each k in k_min..k_max (at most 50 values): inertia and sampled silhouette of a standardized kmeans_fit (seed 0, n_init 10), as an array of kmeans_elbow_point (k above the number of distinct points is left out; empty when k_min is); unnest it: SELECT (unnest(kmeans_elbow(f, 1, 10))).*';
COMMENT ON AGGREGATE @extschema@.kmeans_elbow(double precision[], integer, integer, integer) IS 'kmeans_elbow with a seed.';

-- kmeans_refine: one exact Lloyd step as a partial aggregate (fit on a sample, refine over all rows, even on Citus).
CREATE FUNCTION supplymkt_internal.kmeans_refine_transfn(@extschema@.kmeans_refine_state, @extschema@.kmeans_model, double precision[])
    RETURNS @extschema@.kmeans_refine_state AS 'MODULE_PATHNAME', 'kmeans_refine_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_refine_state_combine(@extschema@.kmeans_refine_state, @extschema@.kmeans_refine_state)
    RETURNS @extschema@.kmeans_refine_state AS 'MODULE_PATHNAME', 'kmeans_refine_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_refine_final(@extschema@.kmeans_refine_state) RETURNS @extschema@.kmeans_model
    AS 'MODULE_PATHNAME', 'kmeans_refine_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.kmeans_refine_state_combine(@extschema@.kmeans_refine_state, @extschema@.kmeans_refine_state) IS 'Combine function of kmeans_refine: adds counts and sums (the models must be the same).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_refine_final(@extschema@.kmeans_refine_state) IS 'Final function of kmeans_refine: the model with every centroid moved to the mean of its points.';
CREATE AGGREGATE @extschema@.kmeans_refine(model @extschema@.kmeans_model, features double precision[]) (
    SFUNC = supplymkt_internal.kmeans_refine_transfn, STYPE = @extschema@.kmeans_refine_state,
    COMBINEFUNC = supplymkt_internal.kmeans_refine_state_combine, FINALFUNC = supplymkt_internal.kmeans_refine_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_refine(@extschema@.kmeans_model, double precision[]) IS 'One exact Lloyd step over the rows: assigns each point to the model''s nearest centroid and moves each centroid to the mean of its points (a centroid without points stays). The result''s inertia is that of the assignment step, iterations is the model''s + 1, converged is true when no centroid moved more than 1e-12 (relative). Runs as a partial aggregate, so it refines a sampled fit over a distributed table without moving rows.';

-- Readers.
CREATE FUNCTION @extschema@.kmeans_assign(model @extschema@.kmeans_model, features double precision[]) RETURNS integer
    AS 'MODULE_PATHNAME', 'kmeans_assign' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_assign(@extschema@.kmeans_model, double precision[]) IS 'The cluster (1..k) of the nearest centroid to the features (standardized with the model''s mean and scale; ties: the lower cluster number).';
CREATE FUNCTION @extschema@.kmeans_distance(model @extschema@.kmeans_model, features double precision[]) RETURNS double precision
    AS 'MODULE_PATHNAME', 'kmeans_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_distance(@extschema@.kmeans_model, double precision[]) IS 'Euclidean distance from the features to the nearest (assigned) centroid, in the model''s standardized space.';
CREATE FUNCTION @extschema@.kmeans_centroids(model @extschema@.kmeans_model,
                                             OUT cluster integer, OUT size bigint,
                                             OUT centroid double precision[], OUT centroid_original double precision[])
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'kmeans_centroids' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.kmeans_centroids(@extschema@.kmeans_model) IS 'One row per cluster: number, size, centroid in the standardized space and in input units.';

-- kmeans_segment: a window function that fits on its partition and labels each row.
CREATE FUNCTION @extschema@.kmeans_segment(features double precision[], k integer, seed integer DEFAULT 0) RETURNS integer
    AS 'MODULE_PATHNAME', 'kmeans_segment' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_segment(double precision[], integer, integer) IS 'Window function: fits kmeans_fit(features, k, seed) (n_init 10, max_iter 300, tol 1e-4, standardized) on the rows of its partition and returns each row''s cluster 1..k (NULL for a NULL features row). Use OVER (PARTITION BY ...) or OVER ().';

-- Transition functions (and composite columns).
COMMENT ON FUNCTION supplymkt_internal.kmeans_elbow_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer) IS 'Transition function of kmeans_elbow(double precision[], integer, integer).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_elbow_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer) IS 'Transition function of kmeans_elbow(double precision[], integer, integer, integer).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer) IS 'Transition function of kmeans_fit(double precision[], integer).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer) IS 'Transition function of kmeans_fit(double precision[], integer, integer).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer) IS 'Transition function of kmeans_fit(double precision[], integer, integer, integer).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer) IS 'Transition function of kmeans_fit(double precision[], integer, integer, integer, integer).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer, double precision) IS 'Transition function of kmeans_fit(double precision[], integer, integer, integer, integer, double precision).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_transfn(@extschema@.kmeans_fit_state, double precision[], integer, integer, integer, integer, double precision, boolean) IS 'Transition function of kmeans_fit(double precision[], integer, integer, integer, integer, double precision, boolean).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_refine_transfn(@extschema@.kmeans_refine_state, @extschema@.kmeans_model, double precision[]) IS 'Transition function of kmeans_refine(@extschema@.kmeans_model, double precision[]).';
COMMENT ON COLUMN @extschema@.kmeans_elbow_point.k IS 'Number of clusters.';
COMMENT ON COLUMN @extschema@.kmeans_elbow_point.inertia IS 'Sum of squared distances to the assigned centroid (standardized space), best of n_init runs.';
COMMENT ON COLUMN @extschema@.kmeans_elbow_point.silhouette IS 'Mean silhouette coefficient (-1..1, higher is better) on a seeded sample of at most 2000 points; NULL for k = 1.';
COMMENT ON COLUMN @extschema@.kmeans_elbow_point.iterations IS 'Lloyd iterations of the best run.';
COMMENT ON COLUMN @extschema@.kmeans_elbow_point.converged IS 'Whether the best run stopped before max_iter.';
