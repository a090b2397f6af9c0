-- ===========================================================================================================
-- k-means segmentation (src/kmeans/): kmeans_fit -> kmeans_model, kmeans_assign / kmeans_distance,
-- kmeans_centroids, kmeans_segment (window), kmeans_elbow, kmeans_refine (one distributed Lloyd step)
-- ===========================================================================================================
--
-- Features are float8[] of one length per aggregate (the model's dimension), finite, no NULL elements; a NULL
-- array skips the row.  With standardize (the default) every feature is z-scored with its mean and population
-- standard deviation (1 when the feature is constant), stored in the model; centroids, inertia and distances are
-- in that standardized space, "centroids_original" in the input units.  Clusters are numbered 1..k by
-- descending size (ties: lexicographic order of the centroid), so a refit with the same seed keeps the numbers.

-- kmeans_fit_state: the points collected by kmeans_fit and kmeans_elbow (core row buffer, src/core/row_buffer.c, one row per
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

-- kmeans_options: kmeans_fit's tuning arguments by name (core options value, src/core/options.c), made by
-- supplymkt.kmeans_options(...) with named, defaulted arguments, validated when made, printed as JSON.
CREATE TYPE @extschema@.kmeans_options;
CREATE FUNCTION supplymkt_internal.kmeans_options_in(cstring, oid, integer) RETURNS @extschema@.kmeans_options
    AS 'MODULE_PATHNAME', 'kmeans_options_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_options_out(@extschema@.kmeans_options) RETURNS cstring
    AS 'MODULE_PATHNAME', 'kmeans_options_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_options_recv(internal, oid, integer) RETURNS @extschema@.kmeans_options
    AS 'MODULE_PATHNAME', 'kmeans_options_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.kmeans_options_send(@extschema@.kmeans_options) RETURNS bytea
    AS 'MODULE_PATHNAME', 'kmeans_options_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.kmeans_options (
    INPUT = supplymkt_internal.kmeans_options_in, OUTPUT = supplymkt_internal.kmeans_options_out,
    RECEIVE = supplymkt_internal.kmeans_options_recv, SEND = supplymkt_internal.kmeans_options_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.kmeans_options IS 'Options of kmeans_fit (k required; seed 0, n_init 10, max_iter 300, tol 1e-4, standardize true), made by supplymkt.kmeans_options(...). Text form is JSON with every field; input may leave out fields that have a default.';
COMMENT ON FUNCTION supplymkt_internal.kmeans_options_in(cstring, oid, integer) IS 'Text input of kmeans_options (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_options_out(@extschema@.kmeans_options) IS 'Text output of kmeans_options (JSON, every field).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_options_recv(internal, oid, integer) IS 'Binary input of kmeans_options (validated).';
COMMENT ON FUNCTION supplymkt_internal.kmeans_options_send(@extschema@.kmeans_options) IS 'Binary output of kmeans_options.';
CREATE FUNCTION @extschema@.kmeans_options(k integer, seed integer DEFAULT 0, n_init integer DEFAULT 10, max_iter integer DEFAULT 300, tol double precision DEFAULT 1e-4, standardize boolean DEFAULT true)
    RETURNS @extschema@.kmeans_options AS 'MODULE_PATHNAME', 'kmeans_options_make' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_options(integer, integer, integer, integer, double precision, boolean) IS 'Options of kmeans_fit by name, validated now (a bad value raises 22023, NULL 22004), e.g. kmeans_fit(features, supplymkt.kmeans_options(k => 8, seed => 1)).';
CREATE FUNCTION supplymkt_internal.kmeans_fit_options_transfn(@extschema@.kmeans_fit_state, double precision[], @extschema@.kmeans_options)
    RETURNS @extschema@.kmeans_fit_state AS 'MODULE_PATHNAME', 'kmeans_fit_options_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.kmeans_fit_options_transfn(@extschema@.kmeans_fit_state, double precision[], @extschema@.kmeans_options) IS 'Transition function of kmeans_fit(features, options).';
CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], options @extschema@.kmeans_options) (
    SFUNC = supplymkt_internal.kmeans_fit_options_transfn, STYPE = @extschema@.kmeans_fit_state,
    COMBINEFUNC = supplymkt_internal.kmeans_fit_state_combine, FINALFUNC = supplymkt_internal.kmeans_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], @extschema@.kmeans_options) IS 'kmeans_fit with its options by name, e.g. kmeans_fit(features, supplymkt.kmeans_options(k => 8, seed => 1)): the same model as the positional form with the same values.';

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

-- ---------------------------------------------------------------------------------------------------------
-- Dashboards of this family: the query builders and their entries in the dashboard catalog (src/sql/dashboards.sql)
-- ---------------------------------------------------------------------------------------------------------

-- Text of the CTEs (without WITH) of the persona points: customer (from target_schema.customer_dashboard_mv,
-- with clv_12m when with_clv), bought, spend, category, share, mix, feature, scaling and point (the scaled
-- feature vector z of every customer); shared by the persona model and the personas.
CREATE FUNCTION supplymkt_internal.persona_points_ctes(source_schema text, target_schema text, with_clv boolean,
                                                       with_channel boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
customer AS MATERIALIZED (
    SELECT d.customer_id, d.name, d.as_of, d.segment AS rfm_segment, d.rfm_code, d.r_score, d.f_score, d.m_score,
           d.recency_days, d.orders, d.monetary_total%4$s
      FROM %2$I.customer_dashboard_mv AS d
),
bought AS MATERIALIZED (
    -- the orders customer_dashboard_mv summarised: none after its as_of, so refreshing this view later does
    -- not mix newer orders into the dashboard's numbers
    SELECT o.order_id, o.customer_id, %5$s AS channel
      FROM %1$I.orders AS o
     WHERE o.customer_id IS NOT NULL AND o.order_time IS NOT NULL AND isfinite(o.order_time)
       AND o.order_time <= (SELECT max(as_of) FROM customer)
),
spend AS MATERIALIZED (
    -- revenue per customer and category (NULL category or unknown product: '(uncategorized)'); only
    -- positive totals are kept
    SELECT b.customer_id, COALESCE(p.category, '(uncategorized)') AS category,
           sum(oi.quantity * oi.unit_price)::float8 AS revenue
      FROM bought AS b
      JOIN %1$I.order_items AS oi ON oi.order_id = b.order_id
      LEFT JOIN %1$I.products AS p ON p.product_id = oi.product_id
     GROUP BY 1, 2
    HAVING sum(oi.quantity * oi.unit_price) > 0
),
category AS MATERIALIZED (
    -- the categories of the feature vector, in byte order of their names (COLLATE "C": the same in every database)
    SELECT c.category, row_number() OVER (ORDER BY c.category COLLATE "C") AS position
      FROM (SELECT DISTINCT category FROM spend) AS c
),
share AS (
    SELECT s.customer_id, s.category, s.revenue / sum(s.revenue) OVER (PARTITION BY s.customer_id) AS share
      FROM spend AS s
),
mix AS (
    SELECT c.customer_id, array_agg(COALESCE(s.share, 0) ORDER BY k.position) AS shares
      FROM customer AS c
     CROSS JOIN category AS k
      LEFT JOIN share AS s ON s.customer_id = c.customer_id AND s.category = k.category
     GROUP BY c.customer_id
),
feature AS MATERIALIZED (
    -- recency as is (bounded by the data's span), orders and monetary total through ln(1 + x): both are
    -- heavy-tailed, and on the raw scale a few big spenders would pull whole clusters; then the category shares
    SELECT c.*, ARRAY[c.recency_days, ln(1 + c.orders::float8), ln(1 + c.monetary_total::float8)]
                || COALESCE(m.shares, '{}'::float8[]) AS features
      FROM customer AS c
      LEFT JOIN mix AS m ON m.customer_id = c.customer_id
),
scaling AS (
    -- z-scores over all customers (population standard deviation; 1 for a constant feature), each category
    -- share further divided by sqrt(number of categories) so that the category mix as a whole weighs as much as
    -- recency, frequency or monetary value alone: unweighted, 16 categories would outvote the three RFM features,
    -- and a customer alone in a rare category (a share many standard deviations from its mean of ~0) would
    -- become a persona of its own
    SELECT array_agg(x.mean ORDER BY x.position) AS mean, array_agg(x.scale ORDER BY x.position) AS scale
      FROM (SELECT u.position, avg(u.value) AS mean,
                   COALESCE(NULLIF(stddev_pop(u.value), 0), 1)
                   * CASE WHEN u.position > 3 THEN sqrt(max(cardinality(f.features)) - 3) ELSE 1 END AS scale
              FROM feature AS f CROSS JOIN LATERAL unnest(f.features) WITH ORDINALITY AS u(value, position)
             GROUP BY u.position) AS x
),
point AS MATERIALIZED (
    SELECT f.customer_id,
           ARRAY(SELECT (f.features[i] - sc.mean[i]) / sc.scale[i] FROM generate_subscripts(f.features, 1) AS i
                  ORDER BY i) AS z
      FROM feature AS f CROSS JOIN scaling AS sc
)$q$, source_schema, target_schema, NULL,
     CASE WHEN with_clv THEN ', clv_12m' ELSE '' END,
     CASE WHEN with_channel THEN 'o.channel::text' ELSE 'NULL::text' END)
$body$;
COMMENT ON FUNCTION supplymkt_internal.persona_points_ctes(text, text, boolean, boolean) IS
    'The common table expressions of the persona features and scaled points (customer ... point) over target_schema.customer_dashboard_mv and the orders of source_schema; shared by persona_model_query and customer_personas_query.';

-- Text of the persona model query: one row (name personas), the kmeans_fit of the scaled persona points with
-- k = least(segments, distinct points).
CREATE FUNCTION supplymkt_internal.persona_model_query(source_schema text, target_schema text, segments integer)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%1$s,
fit AS (
    -- kmeans_fit needs k distinct points: fewer personas when there are fewer distinct customers
    SELECT least(%2$s, count(DISTINCT z))::integer AS k FROM point
)
SELECT 'personas'::text AS name, 'supplymkt.kmeans_model'::text AS model_type,
       (SELECT @extschema@.kmeans_fit(p.z, (SELECT k FROM fit), 0, 10, 300, 1e-4, false) FROM point AS p) AS model,
       now() AS fitted_at,
       format('kmeans_fit(z, %%s, seed 0, n_init 10, max_iter 300, tol 1e-4, no standardization) over %%s customers: z = [recency_days, ln(1 + orders), ln(1 + monetary_total), category shares] z-scored, shares divided by sqrt(categories); see customer_personas.',
              (SELECT k FROM fit), (SELECT count(*) FROM point)) AS note
$q$, supplymkt_internal.persona_points_ctes(source_schema, target_schema, false, false), segments)
$body$;
COMMENT ON FUNCTION supplymkt_internal.persona_model_query(text, text, integer) IS
    'The SELECT behind persona_model_mv: one row (name personas) with the k-means model of the personas, kmeans_fit(scaled features, least(segments, distinct customers), 0, 10, 300, 1e-4, false) over every customer of target_schema.customer_dashboard_mv (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the persona query over target_schema.customer_dashboard_mv and the orders of source_schema: one row
-- per customer with its k-means persona among (at most) segments clusters; with_clv carries clv_12m over,
-- with_channel reads orders.channel (create_dashboards passes what is installed and what the source has).
CREATE FUNCTION supplymkt_internal.customer_personas_query(source_schema text, target_schema text, segments integer,
                                                   with_clv boolean, with_channel boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%1$s,
model AS (
    -- the model of persona_model_mv, fitted by the same refresh just before
    SELECT pm.model AS m FROM %2$I.persona_model_mv AS pm WHERE pm.name = 'personas'
),
favourite_category AS (
    SELECT DISTINCT ON (s.customer_id) s.customer_id, s.category
      FROM spend AS s
     ORDER BY s.customer_id, s.revenue DESC, s.category COLLATE "C"
),
favourite_channel AS (
    SELECT DISTINCT ON (x.customer_id) x.customer_id, x.channel
      FROM (SELECT customer_id, channel, count(*) AS orders FROM bought WHERE channel IS NOT NULL GROUP BY 1, 2) AS x
     ORDER BY x.customer_id, x.orders DESC, x.channel COLLATE "C"
),
category_revenue AS (
    SELECT s.customer_id, jsonb_object_agg(s.category, s.revenue) AS category_revenue
      FROM spend AS s
     GROUP BY s.customer_id
)
SELECT f.customer_id, f.name, @extschema@.kmeans_assign(md.m, p.z) AS persona,
       @extschema@.kmeans_distance(md.m, p.z) AS persona_distance,
       f.rfm_segment, f.rfm_code, f.r_score, f.f_score, f.m_score, f.recency_days, f.orders, f.monetary_total%3$s,
       fc.category AS favourite_category, fh.channel AS favourite_channel,
       COALESCE(cr.category_revenue, '{}'::jsonb) AS category_revenue, f.features, f.as_of
  FROM feature AS f
  JOIN point AS p ON p.customer_id = f.customer_id
 CROSS JOIN model AS md
  LEFT JOIN favourite_category AS fc ON fc.customer_id = f.customer_id
  LEFT JOIN favourite_channel AS fh ON fh.customer_id = f.customer_id
  LEFT JOIN category_revenue AS cr ON cr.customer_id = f.customer_id
$q$, supplymkt_internal.persona_points_ctes(source_schema, target_schema, with_clv, with_channel), target_schema,
     CASE WHEN with_clv THEN ', clv_12m' ELSE '' END)
$body$;
COMMENT ON FUNCTION supplymkt_internal.customer_personas_query(text, text, integer, boolean, boolean) IS
    'The SELECT behind customer_personas_mv: one row per customer of target_schema.customer_dashboard_mv with its persona, kmeans_assign of a kmeans_fit (seed 0, k = least(segments, distinct customers)) over all customers on the features [recency_days, ln(1 + orders), ln(1 + monetary_total), revenue share of each category in byte order of the names], z-scored and the shares weighted by 1/sqrt(number of categories), favourite category and channel from the orders of source_schema up to the dashboard''s as_of; with_clv carries clv_12m over, with_channel reads orders.channel (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the persona summary query over target_schema.customer_personas_mv (one row per persona).
CREATE FUNCTION supplymkt_internal.persona_segments_query(target_schema text, with_clv boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
member AS MATERIALIZED (
    SELECT * FROM %1$I.customer_personas_mv WHERE persona IS NOT NULL
),
overall AS (
    SELECT count(*) AS customers, sum(monetary_total) AS revenue,
           ARRAY['recency_days', 'ln(1 + orders)', 'ln(1 + monetary_total)']
           || ARRAY(SELECT 'share:' || c.category
                      FROM (SELECT DISTINCT jsonb_object_keys(category_revenue) AS category FROM member) AS c
                     ORDER BY c.category COLLATE "C") AS feature_names
      FROM member
),
center AS (
    -- the persona's centroid in feature space: the mean of its members' feature vectors
    SELECT x.persona, array_agg(x.value ORDER BY x.position) AS centroid
      FROM (SELECT m.persona, u.position, avg(u.value) AS value
              FROM member AS m CROSS JOIN LATERAL unnest(m.features) WITH ORDINALITY AS u(value, position)
             GROUP BY 1, 2) AS x
     GROUP BY x.persona
),
top_category AS (
    SELECT DISTINCT ON (x.persona) x.persona, x.category, x.revenue / sum(x.revenue) OVER (PARTITION BY x.persona) AS share
      FROM (SELECT m.persona, e.key AS category, sum(e.value::float8) AS revenue
              FROM member AS m CROSS JOIN LATERAL jsonb_each_text(m.category_revenue) AS e
             GROUP BY 1, 2) AS x
     ORDER BY x.persona, x.revenue DESC, x.category COLLATE "C"
),
summary AS (
    SELECT m.persona, count(*) AS customers, count(*)::float8 / o.customers AS customer_share,
           sum(m.monetary_total) AS revenue, (sum(m.monetary_total) / NULLIF(o.revenue, 0))::float8 AS revenue_share%2$s,
           c.centroid[1] AS centroid_recency_days, exp(c.centroid[2]) - 1 AS centroid_orders,
           exp(c.centroid[3]) - 1 AS centroid_monetary_total,
           avg(m.recency_days) AS mean_recency_days, avg(m.orders)::float8 AS mean_orders,
           round(avg(m.monetary_total), 2) AS mean_monetary_total,
           c.centroid, o.feature_names
      FROM member AS m
      JOIN center AS c ON c.persona = m.persona
     CROSS JOIN overall AS o
     GROUP BY m.persona, c.centroid, o.customers, o.revenue, o.feature_names
),
ranked AS (
    -- each persona's place among the personas on value, frequency and recency (centroids rounded to 6 decimals,
    -- ties share a rank): q = (rank - 1) / (personas - 1), 0.5 for a single persona
    SELECT s.*,
           CASE WHEN count(*) OVER () = 1 THEN 0.5
                ELSE (rank() OVER (ORDER BY round(s.centroid_monetary_total::numeric, 6)) - 1)::float8 / (count(*) OVER () - 1) END AS q_value,
           CASE WHEN count(*) OVER () = 1 THEN 0.5
                ELSE (rank() OVER (ORDER BY round(s.centroid_orders::numeric, 6)) - 1)::float8 / (count(*) OVER () - 1) END AS q_orders,
           CASE WHEN count(*) OVER () = 1 THEN 0.5
                ELSE (rank() OVER (ORDER BY round(s.centroid_recency_days::numeric, 6)) - 1)::float8 / (count(*) OVER () - 1) END AS q_recency
      FROM summary AS s
),
labelled AS (
    SELECT r.*, t.category AS top_category, t.share AS top_category_share,
           concat_ws(' / ',
                     CASE WHEN r.q_value > 2.0 / 3 THEN 'high value' WHEN r.q_value < 1.0 / 3 THEN 'low value' ELSE 'mid value' END,
                     CASE WHEN r.q_orders > 2.0 / 3 THEN 'frequent' WHEN r.q_orders < 1.0 / 3 THEN 'occasional' ELSE 'regular' END,
                     CASE WHEN r.q_recency < 1.0 / 3 THEN 'recent' WHEN r.q_recency > 2.0 / 3 THEN 'lapsing' ELSE 'cooling' END) AS base_label
      FROM ranked AS r
      LEFT JOIN top_category AS t ON t.persona = r.persona
),
distinct_label AS (
    -- personas that would share a label are told apart by their top category, then by their number
    SELECT l.*, CASE WHEN count(*) OVER (PARTITION BY l.base_label) = 1 THEN l.base_label
                     ELSE l.base_label || ' / ' || COALESCE(l.top_category, 'no category') END AS label2
      FROM labelled AS l
)
SELECT s.persona,
       CASE WHEN count(*) OVER (PARTITION BY s.label2) = 1 THEN s.label2 ELSE s.label2 || ' #' || s.persona END AS label,
       s.customers, s.customer_share, s.revenue, s.revenue_share%3$s,
       s.centroid_recency_days, s.centroid_orders, s.centroid_monetary_total,
       s.mean_recency_days, s.mean_orders, s.mean_monetary_total,
       s.top_category, s.top_category_share, s.centroid, s.feature_names
  FROM distinct_label AS s
$q$, target_schema,
     CASE WHEN with_clv THEN ',
           round(avg(m.clv_12m), 2) AS mean_clv_12m' ELSE '' END,
     CASE WHEN with_clv THEN ', s.mean_clv_12m' ELSE '' END)
$body$;
COMMENT ON FUNCTION supplymkt_internal.persona_segments_query(text, boolean) IS
    'The SELECT behind persona_segments_mv: one row per persona of target_schema.customer_personas_mv with its size, customer and revenue shares, mean CLV (with_clv), centroid and plain means of recency, orders and monetary total, top category and a label from the persona''s place among the personas on value, frequency and recency (distinct for every persona) (used by create_dashboards).';

-- dashboard persona_model
SELECT supplymkt_internal.register_dashboard(
    name => 'persona_model', family => 'kmeans', build_order => 295,
    query_call => 'supplymkt_internal.persona_model_query(%1$L, %2$L, %4$s)',
    unique_key => ARRAY['name'],
    source_columns => ARRAY['products.product_id', 'products.category', 'orders.order_id', 'orders.customer_id', 'orders.order_time', 'order_items.order_id', 'order_items.product_id', 'order_items.quantity', 'order_items.unit_price'],
    title => 'Persona model',
    mv_comment => 'The k-means model of the personas built by supplymkt.create_dashboards from %2$I.customer_dashboard_mv and the orders of schema %1$s: one row, kmeans_fit(scaled features, least(%4$s, distinct customers), 0, 10, 300, 1e-4, false) over every customer (features as in customer_personas_mv); customer_personas reads it. Refresh with supplymkt.refresh_dashboards(%2$L). Also listed in the view models.',
    columns => ARRAY[
        ['name', 'personas.'],
        ['model_type', 'supplymkt.kmeans_model: the type of model.'],
        ['model', 'The fitted supplymkt.kmeans_model (JSON text: centroids, sizes, inertia, ...). NULL without customers.'],
        ['fitted_at', 'When this create or refresh fitted it.'],
        ['note', 'How it was fitted: k, options and the number of customers.']],
    lists_models => true);

-- dashboard customer_personas
SELECT supplymkt_internal.register_dashboard(
    name => 'customer_personas', family => 'kmeans', build_order => 300,
    query_call => 'supplymkt_internal.customer_personas_query(%1$L, %2$L, %4$s, true, supplymkt_internal.source_has_column(%1$L, ''orders'', ''channel''))',
    unique_key => ARRAY['customer_id'],
    source_columns => ARRAY['products.product_id', 'products.category', 'orders.order_id', 'orders.customer_id', 'orders.order_time', 'order_items.order_id', 'order_items.product_id', 'order_items.quantity', 'order_items.unit_price'],
    title => 'Customer personas',
    mv_comment => 'Customer personas built by supplymkt.create_dashboards from %2$I.customer_dashboard_mv and the orders of schema %1$s: one row per customer of the customer dashboard with its k-means persona. Features: [recency_days, ln(1 + orders), ln(1 + monetary_total), then the share of the customer''s revenue in each category, categories in byte order of their names]; orders and monetary_total enter through ln(1 + x) because both are heavy-tailed (on the raw scale a few big spenders would pull whole clusters). Each feature is z-scored over all customers (population standard deviation) and each share further divided by sqrt(number of categories), so the category mix as a whole weighs as much as recency, frequency or monetary value alone (unweighted, the many share features would outvote the three RFM features and a lone buyer of a rare category would become a persona of its own). The model is supplymkt.kmeans_fit(scaled features, k, 0, 10, 300, 1e-4, false) (seed 0, n_init 10) over all customers with k = least(%4$s, distinct customers), fitted by persona_model_mv in the same refresh; the fixed seed keeps the persona numbers stable while the data does not change (clusters are numbered by descending size). Category revenue and channels come from the orders up to the dashboard''s as_of. refresh_dashboards(%2$L) refreshes it after customer_dashboard_mv (in build order); refreshing it alone reads the customer dashboard as last refreshed. Query the view customer_personas.',
    columns => ARRAY[
        ['customer_id', 'Customer (customer_dashboard_mv.customer_id).'],
        ['name', 'The customer''s name (customer_dashboard_mv.name; NULL when the source has no customers.name).'],
        ['persona', 'k-means persona 1..k: kmeans_assign(model, scaled features), the nearest centroid of the model fitted on all customers of this refresh (see the comment on customer_personas_mv for the scaling). Personas are numbered by descending size (ties: lexicographic order of the centroid). See persona_segments for what each one looks like.'],
        ['persona_distance', 'Euclidean distance from the customer''s scaled features to the persona''s centroid, in the space the model was fitted in (z-scores, shares weighted by 1/sqrt(number of categories); kmeans_distance): small = typical of the persona.'],
        ['rfm_segment', 'Named RFM segment (customer_dashboard_mv.segment).'],
        ['rfm_code', 'The R, F and M scores as one code (customer_dashboard_mv.rfm_code).'],
        ['r_score', 'Recency score 1..5, 5 = most recent (customer_dashboard_mv.r_score).'],
        ['f_score', 'Frequency score 1..5 by orders (customer_dashboard_mv.f_score).'],
        ['m_score', 'Monetary score 1..5 by monetary_total (customer_dashboard_mv.m_score).'],
        ['recency_days', 'Days from the last order to as_of, fractional (customer_dashboard_mv.recency_days); feature 1.'],
        ['orders', 'Orders of the customer (customer_dashboard_mv.orders); feature 2 is ln(1 + orders).'],
        ['monetary_total', 'Total value of the customer''s orders (customer_dashboard_mv.monetary_total); feature 3 is ln(1 + monetary_total).'],
        ['clv_12m', 'Expected value of the next 365 days (customer_dashboard_mv.clv_12m; NULL where that is). Not a feature.'],
        ['favourite_category', 'Category with the most revenue from the customer (sum(quantity * unit_price) of the order lines; ties: the first name in byte order). NULL when no category has a positive revenue.'],
        ['favourite_channel', 'orders.channel of most of the customer''s orders (ties: the first name in byte order; NULL channels left out). NULL when no order has a channel, and in every row when the source orders have no channel column.'],
        ['category_revenue', 'Revenue by category as a JSON object {category: revenue}, categories with a positive revenue only (NULL category or unknown product: ''(uncategorized)''): the basis of the share features and of favourite_category.'],
        ['features', 'The feature vector the model was fitted on and the persona assigned from, before scaling: [recency_days, ln(1 + orders), ln(1 + monetary_total), share of category_revenue in each category], the categories being every category with a positive revenue from some customer, in byte order of their names (persona_segments.feature_names lists them). The shares are 0 for a customer without positive category revenue.'],
        ['as_of', 'The time the customer dashboard was taken at (customer_dashboard_mv.as_of); orders after it are left out here too.']]);

-- dashboard persona_segments
SELECT supplymkt_internal.register_dashboard(
    name => 'persona_segments', family => 'kmeans', build_order => 310,
    query_call => 'supplymkt_internal.persona_segments_query(%2$L, true)',
    unique_key => ARRAY['persona'],
    source_columns => ARRAY[]::text[],
    title => 'Persona summary',
    mv_comment => 'Persona summary built by supplymkt.create_dashboards from %2$I.customer_personas_mv: one row per persona with its size, customer and revenue shares, mean CLV over 12 months, centroid (the mean of its customers'' feature vectors; recency, orders and monetary total also back in their own units), plain means, top category and a descriptive label. refresh_dashboards(%2$L) refreshes it after customer_personas_mv (in build order); refreshing it alone summarises the personas as last refreshed. Query the view persona_segments.',
    columns => ARRAY[
        ['persona', 'k-means persona 1..k (customer_personas.persona).'],
        ['label', 'What tells the persona apart: its place among the personas on value, frequency and recency (centroid_monetary_total, centroid_orders and centroid_recency_days, rounded to 6 decimals, ranked; ties share a place), in thirds: ''high'' / ''mid'' / ''low value'', ''frequent'' / ''regular'' / ''occasional'', ''recent'' / ''cooling'' / ''lapsing'', joined with '' / ''. Personas that would share a label get '' / '' and their top category, then '' #'' and their number, so every label is distinct.'],
        ['customers', 'Customers in the persona.'],
        ['customer_share', 'customers / all customers, 0..1.'],
        ['revenue', 'Sum of monetary_total of the persona''s customers.'],
        ['revenue_share', 'revenue / the revenue of all customers, 0..1. NULL when the total is 0.'],
        ['mean_clv_12m', 'Mean clv_12m (expected value of the next 365 days) of the persona''s customers, over those that have one. NULL when none has.'],
        ['centroid_recency_days', 'Centroid in days: the mean recency_days of the persona''s customers (the centroid''s first coordinate).'],
        ['centroid_orders', 'Centroid in orders: exp(mean of ln(1 + orders)) - 1 over the persona''s customers, i.e. the centroid''s second coordinate back in orders (a geometric-type mean, at most mean_orders).'],
        ['centroid_monetary_total', 'Centroid in currency: exp(mean of ln(1 + monetary_total)) - 1 over the persona''s customers, the centroid''s third coordinate back in the units of monetary_total (at most mean_monetary_total).'],
        ['mean_recency_days', 'Plain mean of recency_days of the persona''s customers (= centroid_recency_days).'],
        ['mean_orders', 'Plain mean of orders of the persona''s customers.'],
        ['mean_monetary_total', 'Plain mean of monetary_total of the persona''s customers.'],
        ['top_category', 'Category with the most revenue from the persona''s customers (sum of their category_revenue; ties: the first name in byte order). NULL when none has category revenue.'],
        ['top_category_share', 'top_category''s share of the persona''s category revenue, 0..1.'],
        ['centroid', 'The centroid in feature space (input units, before standardization): the mean of the members'' feature vectors, in the layout of customer_personas.features and feature_names. The model''s own centroid (kmeans_centroids(model).centroid_original) can differ slightly: a fit that stops on its tolerance ends with an assignment step that is not followed by a centroid update.'],
        ['feature_names', 'Names of the features, in order: recency_days, ln(1 + orders), ln(1 + monetary_total), then share:<category> per category in byte order. The same in every row.']]);
