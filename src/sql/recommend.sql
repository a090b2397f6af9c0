-- ===========================================================================================================
-- Recommendations (src/recommend/): item_similarity -> item_neighbors, neighbors, recommend,
-- item_content_similarity, item_neighbors_blend; association rules: assoc_rules -> assoc_rules_model, rules,
-- frequent_itemsets
-- ===========================================================================================================
--
-- Ids are bigint, exact over the whole range: the aggregate states keep them in int64 columns of their row buffer.

-- item_similarity_state: the (user, item, weight) interactions (core row buffer, src/core/row_buffer.c; params = top_k, measure
-- code, min_support).
CREATE TYPE @extschema@.item_similarity_state;
CREATE FUNCTION supplymkt_internal.item_similarity_state_in(cstring, oid, integer) RETURNS @extschema@.item_similarity_state
    AS 'MODULE_PATHNAME', 'item_similarity_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_similarity_state_out(@extschema@.item_similarity_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'item_similarity_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_similarity_state_recv(internal, oid, integer) RETURNS @extschema@.item_similarity_state
    AS 'MODULE_PATHNAME', 'item_similarity_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_similarity_state_send(@extschema@.item_similarity_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'item_similarity_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.item_similarity_state (
    INPUT = supplymkt_internal.item_similarity_state_in, OUTPUT = supplymkt_internal.item_similarity_state_out,
    RECEIVE = supplymkt_internal.item_similarity_state_recv, SEND = supplymkt_internal.item_similarity_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.item_similarity_state IS 'Partial-aggregate state of item_similarity and item_content_similarity: the rows (user, item, weight; or item and its feature vector) and the constant arguments (params: top_k, measure code, min_support). Text form is exact JSON (Citus ships it between nodes).';
COMMENT ON FUNCTION supplymkt_internal.item_similarity_state_in(cstring, oid, integer) IS 'Text input of item_similarity_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.item_similarity_state_out(@extschema@.item_similarity_state) IS 'Text output of item_similarity_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.item_similarity_state_recv(internal, oid, integer) IS 'Binary input of item_similarity_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.item_similarity_state_send(@extschema@.item_similarity_state) IS 'Binary output of item_similarity_state.';

-- item_neighbors: top-k neighbours per item and item popularity (JSON text, so model::text::jsonb works).
CREATE TYPE @extschema@.item_neighbors;
CREATE FUNCTION supplymkt_internal.item_neighbors_in(cstring) RETURNS @extschema@.item_neighbors
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_neighbors_out(@extschema@.item_neighbors) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_neighbors_recv(internal) RETURNS @extschema@.item_neighbors
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_neighbors_send(@extschema@.item_neighbors) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.item_neighbors (
    INPUT = supplymkt_internal.item_neighbors_in, OUTPUT = supplymkt_internal.item_neighbors_out,
    RECEIVE = supplymkt_internal.item_neighbors_recv, SEND = supplymkt_internal.item_neighbors_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.item_neighbors IS
    'Item neighbours (item_similarity, item_content_similarity, item_neighbors_blend), as JSON: "version", "measure" (cosine, jaccard, lift, shrunk_cosine, content_cosine or blend), "top_k", "min_support", "users" (distinct users), "interactions" (distinct user-item pairs), "items" (ids, ascending), "popularity" (distinct users per item, same order), "offsets" (items + 1 numbers: item i''s neighbours are entries offsets[i] .. offsets[i+1]-1), "neighbor", "score", "support" (one entry per neighbour, best first; ties by neighbour id).';
COMMENT ON FUNCTION supplymkt_internal.item_neighbors_in(cstring) IS 'Text input of item_neighbors (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.item_neighbors_out(@extschema@.item_neighbors) IS 'Text output of item_neighbors (JSON, exact floats).';
COMMENT ON FUNCTION supplymkt_internal.item_neighbors_recv(internal) IS 'Binary input of item_neighbors (versioned, validated).';
COMMENT ON FUNCTION supplymkt_internal.item_neighbors_send(@extschema@.item_neighbors) IS 'Binary output of item_neighbors.';

-- item_similarity: the defaults (weight 1, top_k 20, measure 'cosine', min_support 1) are overloads.
CREATE FUNCTION supplymkt_internal.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer, text)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer, text, integer)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_similarity_state_combine(@extschema@.item_similarity_state, @extschema@.item_similarity_state)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_similarity_final(@extschema@.item_similarity_state) RETURNS @extschema@.item_neighbors
    AS 'MODULE_PATHNAME', 'item_similarity_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.item_similarity_state_combine(@extschema@.item_similarity_state, @extschema@.item_similarity_state) IS 'Combine function of item_similarity and item_content_similarity: appends the rows.';
COMMENT ON FUNCTION supplymkt_internal.item_similarity_final(@extschema@.item_similarity_state) IS 'Final function of item_similarity: sums duplicate (user, item) rows, builds the sparse user and item indexes, and keeps each item''s top_k neighbours.';

CREATE AGGREGATE @extschema@.item_similarity(user_id bigint, item_id bigint) (
    SFUNC = supplymkt_internal.item_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = supplymkt_internal.item_similarity_state_combine, FINALFUNC = supplymkt_internal.item_similarity_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.item_similarity(user_id bigint, item_id bigint, weight double precision) (
    SFUNC = supplymkt_internal.item_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = supplymkt_internal.item_similarity_state_combine, FINALFUNC = supplymkt_internal.item_similarity_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.item_similarity(user_id bigint, item_id bigint, weight double precision, top_k integer) (
    SFUNC = supplymkt_internal.item_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = supplymkt_internal.item_similarity_state_combine, FINALFUNC = supplymkt_internal.item_similarity_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.item_similarity(user_id bigint, item_id bigint, weight double precision, top_k integer, measure text) (
    SFUNC = supplymkt_internal.item_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = supplymkt_internal.item_similarity_state_combine, FINALFUNC = supplymkt_internal.item_similarity_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.item_similarity(user_id bigint, item_id bigint, weight double precision, top_k integer, measure text, min_support integer) (
    SFUNC = supplymkt_internal.item_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = supplymkt_internal.item_similarity_state_combine, FINALFUNC = supplymkt_internal.item_similarity_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint) IS 'Item-item neighbours from (user, item) interactions, weight 1, top 20, cosine, min_support 1. Rows with a NULL user or item are skipped; duplicate (user, item) rows are summed.';
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint, double precision) IS 'item_similarity with a weight per interaction (non-negative; summed over duplicate rows; NULL counts as 1).';
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint, double precision, integer) IS 'item_similarity keeping top_k (1..1000) neighbours per item.';
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint, double precision, integer, text) IS 'item_similarity with a measure: cosine (weights), jaccard (co-users / union of users), lift (co-users x users / (users_i x users_j)), shrunk_cosine (cosine x co / (co + 10)).';
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint, double precision, integer, text, integer) IS 'item_similarity with every option: weight, top_k, measure, and min_support (pairs with fewer co-users are left out).';

-- similarity_options: item_similarity's tuning arguments by name (core options value, src/core/options.c), made by
-- supplymkt.similarity_options(...) with named, defaulted arguments, validated when made, printed as JSON.
CREATE TYPE @extschema@.similarity_options;
CREATE FUNCTION supplymkt_internal.similarity_options_in(cstring, oid, integer) RETURNS @extschema@.similarity_options
    AS 'MODULE_PATHNAME', 'similarity_options_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.similarity_options_out(@extschema@.similarity_options) RETURNS cstring
    AS 'MODULE_PATHNAME', 'similarity_options_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.similarity_options_recv(internal, oid, integer) RETURNS @extschema@.similarity_options
    AS 'MODULE_PATHNAME', 'similarity_options_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.similarity_options_send(@extschema@.similarity_options) RETURNS bytea
    AS 'MODULE_PATHNAME', 'similarity_options_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.similarity_options (
    INPUT = supplymkt_internal.similarity_options_in, OUTPUT = supplymkt_internal.similarity_options_out,
    RECEIVE = supplymkt_internal.similarity_options_recv, SEND = supplymkt_internal.similarity_options_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.similarity_options IS 'Options of item_similarity (top_k 20, measure cosine, min_support 1), made by supplymkt.similarity_options(...). Text form is JSON with every field; input may leave out fields that have a default.';
COMMENT ON FUNCTION supplymkt_internal.similarity_options_in(cstring, oid, integer) IS 'Text input of similarity_options (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.similarity_options_out(@extschema@.similarity_options) IS 'Text output of similarity_options (JSON, every field).';
COMMENT ON FUNCTION supplymkt_internal.similarity_options_recv(internal, oid, integer) IS 'Binary input of similarity_options (validated).';
COMMENT ON FUNCTION supplymkt_internal.similarity_options_send(@extschema@.similarity_options) IS 'Binary output of similarity_options.';
CREATE FUNCTION @extschema@.similarity_options(top_k integer DEFAULT 20, measure text DEFAULT 'cosine', min_support integer DEFAULT 1)
    RETURNS @extschema@.similarity_options AS 'MODULE_PATHNAME', 'similarity_options_make' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.similarity_options(integer, text, integer) IS 'Options of item_similarity by name, validated now (a bad value raises 22023, NULL 22004), e.g. item_similarity(user_id, item_id, weight, supplymkt.similarity_options(measure => ''shrunk_cosine'', top_k => 50)).';
CREATE FUNCTION supplymkt_internal.item_similarity_options_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, @extschema@.similarity_options)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_similarity_options_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.item_similarity_options_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, @extschema@.similarity_options) IS 'Transition function of item_similarity(user_id, item_id, weight, options).';
CREATE AGGREGATE @extschema@.item_similarity(user_id bigint, item_id bigint, weight double precision, options @extschema@.similarity_options) (
    SFUNC = supplymkt_internal.item_similarity_options_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = supplymkt_internal.item_similarity_state_combine, FINALFUNC = supplymkt_internal.item_similarity_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint, double precision, @extschema@.similarity_options) IS 'item_similarity with its options by name, e.g. item_similarity(user_id, item_id, weight, supplymkt.similarity_options(measure => ''shrunk_cosine'', top_k => 50)): the same model as the positional form with the same values.';

-- Content-based neighbours: cosine of item feature vectors.
CREATE FUNCTION supplymkt_internal.item_content_similarity_transfn(@extschema@.item_similarity_state, bigint, double precision[])
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_content_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_content_similarity_transfn(@extschema@.item_similarity_state, bigint, double precision[], integer)
    RETURNS @extschema@.item_similarity_state AS 'MODULE_PATHNAME', 'item_content_similarity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.item_content_similarity_final(@extschema@.item_similarity_state) RETURNS @extschema@.item_neighbors
    AS 'MODULE_PATHNAME', 'item_content_similarity_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.item_content_similarity_final(@extschema@.item_similarity_state) IS 'Final function of item_content_similarity: cosine of every pair of item vectors, top_k kept per item.';
CREATE AGGREGATE @extschema@.item_content_similarity(item_id bigint, features double precision[]) (
    SFUNC = supplymkt_internal.item_content_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = supplymkt_internal.item_similarity_state_combine, FINALFUNC = supplymkt_internal.item_content_similarity_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.item_content_similarity(item_id bigint, features double precision[], top_k integer) (
    SFUNC = supplymkt_internal.item_content_similarity_transfn, STYPE = @extschema@.item_similarity_state,
    COMBINEFUNC = supplymkt_internal.item_similarity_state_combine, FINALFUNC = supplymkt_internal.item_content_similarity_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.item_content_similarity(bigint, double precision[]) IS 'Content-based item neighbours: cosine similarity of the items'' feature vectors (e.g. one-hot category, tags, scaled price), top 20 per item (pairs with cosine <= 0 left out). One row per item (a repeated item raises 22023); time grows with items^2 x features.';
COMMENT ON AGGREGATE @extschema@.item_content_similarity(bigint, double precision[], integer) IS 'item_content_similarity keeping top_k (1..1000) neighbours per item.';

-- Readers and recommenders.
CREATE FUNCTION @extschema@.neighbors(model @extschema@.item_neighbors,
                                      OUT item_id bigint, OUT neighbor_id bigint, OUT rank integer,
                                      OUT score double precision, OUT support bigint)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'item_neighbors_rows' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.neighbors(@extschema@.item_neighbors) IS 'The model''s neighbour lists: one row per (item, neighbour), rank 1 = most similar (ties: lower neighbour id); support = co-users (0 for content neighbours).';
CREATE FUNCTION @extschema@.item_neighbors_blend(a @extschema@.item_neighbors, b @extschema@.item_neighbors,
                                                 weight_a double precision DEFAULT 0.5, top_k integer DEFAULT NULL)
    RETURNS @extschema@.item_neighbors AS 'MODULE_PATHNAME', 'item_neighbors_blend' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_neighbors_blend(@extschema@.item_neighbors, @extschema@.item_neighbors, double precision, integer) IS 'Hybrid neighbours: for every item of either model, score = (weight_a x score_a / sum_a + (1 - weight_a) x score_b / sum_b) x the weighted mean of sum_a and sum_b over the models that list the item, over the union of its neighbour lists, sum_a and sum_b being the sum of the item''s scores in each model (each neighbour''s share of the item''s similarity mass, so neither model''s scale or flatness swamps the other; weight 1 gives a''s scores, 0 b''s; a missing score counts as 0), top_k kept (default: the larger top_k). Popularity comes from a (b for items only b knows); a neighbour''s support from a''s list when a lists it, else from b''s. Blend collaborative with content neighbours so that new items without interactions can be recommended.';
CREATE FUNCTION @extschema@.recommend(model @extschema@.item_neighbors, history bigint[], k integer DEFAULT 10,
                                      exclude bigint[] DEFAULT NULL,
                                      OUT rank integer, OUT item_id bigint, OUT score double precision,
                                      OUT source text, OUT because bigint[])
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'recommend' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.recommend(@extschema@.item_neighbors, bigint[], integer, bigint[]) IS 'Top k items for a user with this history (item ids; repeats count once): score(j) = sum over history items i of score(i, j) from i''s neighbour list (source ''similar'', because = the history items that contributed, largest contribution first, at most 3). Items in exclude (default: the history itself) are never returned. When fewer than k items are similar (empty or unknown history), the most popular remaining items fill the list (source ''popular'', score = users, because empty). Ties: lower item id.';

-- Association rules.
CREATE TYPE @extschema@.assoc_rules_state;
CREATE FUNCTION supplymkt_internal.assoc_rules_state_in(cstring, oid, integer) RETURNS @extschema@.assoc_rules_state
    AS 'MODULE_PATHNAME', 'assoc_rules_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_state_out(@extschema@.assoc_rules_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'assoc_rules_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_state_recv(internal, oid, integer) RETURNS @extschema@.assoc_rules_state
    AS 'MODULE_PATHNAME', 'assoc_rules_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_state_send(@extschema@.assoc_rules_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'assoc_rules_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.assoc_rules_state (
    INPUT = supplymkt_internal.assoc_rules_state_in, OUTPUT = supplymkt_internal.assoc_rules_state_out,
    RECEIVE = supplymkt_internal.assoc_rules_state_recv, SEND = supplymkt_internal.assoc_rules_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.assoc_rules_state IS 'Partial-aggregate state of assoc_rules: the (basket, item) rows and the constant arguments (params: min_support, min_confidence, max_len). Text form is exact JSON.';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_state_in(cstring, oid, integer) IS 'Text input of assoc_rules_state (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_state_out(@extschema@.assoc_rules_state) IS 'Text output of assoc_rules_state (exact JSON).';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_state_recv(internal, oid, integer) IS 'Binary input of assoc_rules_state (validated).';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_state_send(@extschema@.assoc_rules_state) IS 'Binary output of assoc_rules_state.';

CREATE TYPE @extschema@.assoc_rules_model;
CREATE FUNCTION supplymkt_internal.assoc_rules_model_in(cstring) RETURNS @extschema@.assoc_rules_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_model_out(@extschema@.assoc_rules_model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_model_recv(internal) RETURNS @extschema@.assoc_rules_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_model_send(@extschema@.assoc_rules_model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.assoc_rules_model (
    INPUT = supplymkt_internal.assoc_rules_model_in, OUTPUT = supplymkt_internal.assoc_rules_model_out,
    RECEIVE = supplymkt_internal.assoc_rules_model_recv, SEND = supplymkt_internal.assoc_rules_model_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.assoc_rules_model IS
    'Frequent itemsets of assoc_rules, as JSON: "version", "baskets", "min_support", "min_confidence", "max_len", "offsets" (itemsets + 1 numbers), "items" (the itemsets'' item ids, concatenated, each itemset ascending), "counts" (baskets containing each itemset). Itemsets are ordered by size, then by their ids. rules(model) derives the rules.';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_model_in(cstring) IS 'Text input of assoc_rules_model (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_model_out(@extschema@.assoc_rules_model) IS 'Text output of assoc_rules_model (JSON).';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_model_recv(internal) IS 'Binary input of assoc_rules_model (versioned, validated).';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_model_send(@extschema@.assoc_rules_model) IS 'Binary output of assoc_rules_model.';

CREATE FUNCTION supplymkt_internal.assoc_rules_transfn(@extschema@.assoc_rules_state, bigint, bigint, double precision, double precision)
    RETURNS @extschema@.assoc_rules_state AS 'MODULE_PATHNAME', 'assoc_rules_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_transfn(@extschema@.assoc_rules_state, bigint, bigint, double precision, double precision, integer)
    RETURNS @extschema@.assoc_rules_state AS 'MODULE_PATHNAME', 'assoc_rules_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_state_combine(@extschema@.assoc_rules_state, @extschema@.assoc_rules_state)
    RETURNS @extschema@.assoc_rules_state AS 'MODULE_PATHNAME', 'assoc_rules_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_final(@extschema@.assoc_rules_state) RETURNS @extschema@.assoc_rules_model
    AS 'MODULE_PATHNAME', 'assoc_rules_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_state_combine(@extschema@.assoc_rules_state, @extschema@.assoc_rules_state) IS 'Combine function of assoc_rules: appends the rows.';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_final(@extschema@.assoc_rules_state) IS 'Final function of assoc_rules: frequent itemsets by depth-first search over item basket lists (Eclat), same output as FP-growth.';
CREATE AGGREGATE @extschema@.assoc_rules(basket_id bigint, item_id bigint, min_support double precision, min_confidence double precision) (
    SFUNC = supplymkt_internal.assoc_rules_transfn, STYPE = @extschema@.assoc_rules_state,
    COMBINEFUNC = supplymkt_internal.assoc_rules_state_combine, FINALFUNC = supplymkt_internal.assoc_rules_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.assoc_rules(basket_id bigint, item_id bigint, min_support double precision, min_confidence double precision, max_len integer) (
    SFUNC = supplymkt_internal.assoc_rules_transfn, STYPE = @extschema@.assoc_rules_state,
    COMBINEFUNC = supplymkt_internal.assoc_rules_state_combine, FINALFUNC = supplymkt_internal.assoc_rules_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.assoc_rules(bigint, bigint, double precision, double precision) IS 'Association rules of market baskets: itemsets of at most 3 items in at least min_support (a fraction, 0 < s <= 1) of the baskets; rules(model) keeps those with confidence >= min_confidence (0..1). A repeated (basket, item) row counts once; rows with a NULL basket or item are skipped.';
COMMENT ON AGGREGATE @extschema@.assoc_rules(bigint, bigint, double precision, double precision, integer) IS 'assoc_rules with max_len (1..10): the largest itemset size.';

-- assoc_rules_options: assoc_rules's tuning arguments by name (core options value, src/core/options.c), made by
-- supplymkt.assoc_rules_options(...) with named, defaulted arguments, validated when made, printed as JSON.
CREATE TYPE @extschema@.assoc_rules_options;
CREATE FUNCTION supplymkt_internal.assoc_rules_options_in(cstring, oid, integer) RETURNS @extschema@.assoc_rules_options
    AS 'MODULE_PATHNAME', 'assoc_rules_options_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_options_out(@extschema@.assoc_rules_options) RETURNS cstring
    AS 'MODULE_PATHNAME', 'assoc_rules_options_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_options_recv(internal, oid, integer) RETURNS @extschema@.assoc_rules_options
    AS 'MODULE_PATHNAME', 'assoc_rules_options_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION supplymkt_internal.assoc_rules_options_send(@extschema@.assoc_rules_options) RETURNS bytea
    AS 'MODULE_PATHNAME', 'assoc_rules_options_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.assoc_rules_options (
    INPUT = supplymkt_internal.assoc_rules_options_in, OUTPUT = supplymkt_internal.assoc_rules_options_out,
    RECEIVE = supplymkt_internal.assoc_rules_options_recv, SEND = supplymkt_internal.assoc_rules_options_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE @extschema@.assoc_rules_options IS 'Options of assoc_rules (min_support and min_confidence required, max_len 3), made by supplymkt.assoc_rules_options(...). Text form is JSON with every field; input may leave out fields that have a default.';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_options_in(cstring, oid, integer) IS 'Text input of assoc_rules_options (validated JSON).';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_options_out(@extschema@.assoc_rules_options) IS 'Text output of assoc_rules_options (JSON, every field).';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_options_recv(internal, oid, integer) IS 'Binary input of assoc_rules_options (validated).';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_options_send(@extschema@.assoc_rules_options) IS 'Binary output of assoc_rules_options.';
CREATE FUNCTION @extschema@.assoc_rules_options(min_support double precision, min_confidence double precision, max_len integer DEFAULT 3)
    RETURNS @extschema@.assoc_rules_options AS 'MODULE_PATHNAME', 'assoc_rules_options_make' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.assoc_rules_options(double precision, double precision, integer) IS 'Options of assoc_rules by name, validated now (a bad value raises 22023, NULL 22004), e.g. assoc_rules(basket_id, item_id, supplymkt.assoc_rules_options(min_support => 0.01, min_confidence => 0.3)).';
CREATE FUNCTION supplymkt_internal.assoc_rules_options_transfn(@extschema@.assoc_rules_state, bigint, bigint, @extschema@.assoc_rules_options)
    RETURNS @extschema@.assoc_rules_state AS 'MODULE_PATHNAME', 'assoc_rules_options_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_options_transfn(@extschema@.assoc_rules_state, bigint, bigint, @extschema@.assoc_rules_options) IS 'Transition function of assoc_rules(basket_id, item_id, options).';
CREATE AGGREGATE @extschema@.assoc_rules(basket_id bigint, item_id bigint, options @extschema@.assoc_rules_options) (
    SFUNC = supplymkt_internal.assoc_rules_options_transfn, STYPE = @extschema@.assoc_rules_state,
    COMBINEFUNC = supplymkt_internal.assoc_rules_state_combine, FINALFUNC = supplymkt_internal.assoc_rules_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.assoc_rules(bigint, bigint, @extschema@.assoc_rules_options) IS 'assoc_rules with its options by name, e.g. assoc_rules(basket_id, item_id, supplymkt.assoc_rules_options(min_support => 0.01, min_confidence => 0.3)): the same model as the positional form with the same values.';

CREATE FUNCTION @extschema@.frequent_itemsets(model @extschema@.assoc_rules_model,
                                              OUT items bigint[], OUT support double precision, OUT count bigint)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'assoc_frequent_itemsets' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.frequent_itemsets(@extschema@.assoc_rules_model) IS 'The frequent itemsets: items ascending, support = count / baskets.';
CREATE FUNCTION @extschema@.rules(model @extschema@.assoc_rules_model,
                                  OUT antecedent bigint[], OUT consequent bigint[], OUT support double precision,
                                  OUT confidence double precision, OUT lift double precision,
                                  OUT leverage double precision, OUT conviction double precision, OUT count bigint)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'assoc_rules_rows' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.rules(@extschema@.assoc_rules_model) IS 'Every rule A -> C with A, C non-empty, disjoint, A u C frequent and confidence = supp(A u C) / supp(A) >= min_confidence: support = supp(A u C), lift = confidence / supp(C), leverage = supp(A u C) - supp(A) supp(C), conviction = (1 - supp(C)) / (1 - confidence) (Infinity when confidence is 1), count = baskets with A u C (mlxtend''s definitions). Ordered by itemset, then antecedent.';

-- Transition functions (and composite columns).
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_transfn(@extschema@.assoc_rules_state, bigint, bigint, double precision, double precision) IS 'Transition function of assoc_rules(bigint, bigint, double precision, double precision).';
COMMENT ON FUNCTION supplymkt_internal.assoc_rules_transfn(@extschema@.assoc_rules_state, bigint, bigint, double precision, double precision, integer) IS 'Transition function of assoc_rules(bigint, bigint, double precision, double precision, integer).';
COMMENT ON FUNCTION supplymkt_internal.item_content_similarity_transfn(@extschema@.item_similarity_state, bigint, double precision[]) IS 'Transition function of item_content_similarity(bigint, double precision[]).';
COMMENT ON FUNCTION supplymkt_internal.item_content_similarity_transfn(@extschema@.item_similarity_state, bigint, double precision[], integer) IS 'Transition function of item_content_similarity(bigint, double precision[], integer).';
COMMENT ON FUNCTION supplymkt_internal.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint) IS 'Transition function of item_similarity(bigint, bigint).';
COMMENT ON FUNCTION supplymkt_internal.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision) IS 'Transition function of item_similarity(bigint, bigint, double precision).';
COMMENT ON FUNCTION supplymkt_internal.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer) IS 'Transition function of item_similarity(bigint, bigint, double precision, integer).';
COMMENT ON FUNCTION supplymkt_internal.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer, text) IS 'Transition function of item_similarity(bigint, bigint, double precision, integer, text).';
COMMENT ON FUNCTION supplymkt_internal.item_similarity_transfn(@extschema@.item_similarity_state, bigint, bigint, double precision, integer, text, integer) IS 'Transition function of item_similarity(bigint, bigint, double precision, integer, text, integer).';

-- ===========================================================================================================
-- Offline evaluation of the recommenders (recommend.sql) on the canonical data model, split by time
-- ===========================================================================================================

-- Offline evaluation: train on the orders before cutoff, test on the orders from cutoff on.
CREATE FUNCTION @extschema@.evaluate_recommenders(source_schema text, cutoff timestamptz, k integer DEFAULT 10,
                                                  top_k integer DEFAULT 20,
                                                  hybrid_weight double precision DEFAULT 0.9)
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

-- ---------------------------------------------------------------------------------------------------------
-- Dashboards of this family: the query builders and their entries in the dashboard catalog (src/sql/dashboards.sql)
-- ---------------------------------------------------------------------------------------------------------

-- Text of the recommendation models query for a source schema: two rows, item_neighbors (item_similarity over
-- every order line: user = orders.customer_id, item = order_items.product_id, weight 1 per line, cosine, top 20)
-- and assoc_rules (the orders as baskets).
CREATE FUNCTION supplymkt_internal.recommend_models_query(source_schema text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
line AS MATERIALIZED (
    SELECT o.order_id, o.customer_id, oi.product_id
      FROM %1$I.orders AS o
      JOIN %1$I.order_items AS oi ON oi.order_id = o.order_id
)
SELECT 'item_neighbors'::text AS name, 'supplymkt.item_neighbors'::text AS model_type, (SELECT @extschema@.item_similarity(l.customer_id, l.product_id) FROM line AS l)::text AS model,
       now() AS fitted_at,
       'item_similarity(orders.customer_id, order_items.product_id) over every order line: cosine of the customers'' purchase vectors (weight = order lines of the product per customer), the 20 most similar products per product; read it as supplymkt.item_neighbors.'::text AS note
UNION ALL
SELECT 'assoc_rules', 'supplymkt.assoc_rules_model', (SELECT @extschema@.assoc_rules(l.order_id, l.product_id,
                                                     @extschema@.assoc_rules_options(min_support => 0.002, min_confidence => 0.1))
                         FROM line AS l)::text,
       now(),
       'assoc_rules over the orders as baskets (order_items.product_id per orders.order_id): itemsets of at most 3 products in at least 0.2%% of the orders, rules with confidence >= 0.1; read it as supplymkt.assoc_rules_model.'
$q$, source_schema)
$body$;
COMMENT ON FUNCTION supplymkt_internal.recommend_models_query(text) IS
    'The SELECT behind recommend_models_mv: the item_neighbors model (item_similarity over every order line of source_schema, cosine, top 20) and the assoc_rules model (orders as baskets, min_support 0.002, min_confidence 0.1) as text, one row each (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the item neighbours query: neighbors() of the item_neighbors model of target_schema.recommend_models_mv,
-- one row per (item, neighbour); with_names reads products.name of source_schema.
CREATE FUNCTION supplymkt_internal.item_neighbors_query(source_schema text, target_schema text, with_names boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%3$s
SELECT n.item_id, pi.name AS item_name, n.rank, n.neighbor_id, pn.name AS neighbor_name, n.score, n.support
  FROM %2$I.recommend_models_mv AS md
 CROSS JOIN LATERAL @extschema@.neighbors(md.model::@extschema@.item_neighbors) AS n
  LEFT JOIN product_name AS pi ON pi.id = n.item_id
  LEFT JOIN product_name AS pn ON pn.id = n.neighbor_id
 WHERE md.name = 'item_neighbors'
$q$, source_schema, target_schema,
     supplymkt_internal.names_cte('product_name', source_schema, 'products', 'product_id', with_names))
$body$;
COMMENT ON FUNCTION supplymkt_internal.item_neighbors_query(text, text, boolean) IS
    'The SELECT behind item_neighbors_mv: neighbors() of the item_neighbors model of target_schema.recommend_models_mv (item_similarity over every order line, cosine, top 20 per item), one row per (item, neighbour), with the products'' names from source_schema.products.name when with_names (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the per-customer recommendation query: recommend(the item_neighbors model of
-- target_schema.recommend_models_mv, the customer's purchased items, 10) for every customer with an order;
-- with_names reads products.name for the item names and the reason.
CREATE FUNCTION supplymkt_internal.user_recommendations_query(source_schema text, target_schema text,
                                                              with_names boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
line AS MATERIALIZED (
    SELECT o.customer_id, oi.product_id
      FROM %1$I.orders AS o
      JOIN %1$I.order_items AS oi ON oi.order_id = o.order_id
     WHERE o.customer_id IS NOT NULL AND oi.product_id IS NOT NULL
),
model AS MATERIALIZED (
    SELECT md.model::@extschema@.item_neighbors AS m FROM %2$I.recommend_models_mv AS md WHERE md.name = 'item_neighbors'
),
customer AS (
    -- every customer with an order; a customer whose orders have no items gets the popular items
    SELECT c.customer_id, COALESCE(h.items, '{}'::bigint[]) AS history
      FROM (SELECT DISTINCT o.customer_id FROM %1$I.orders AS o WHERE o.customer_id IS NOT NULL) AS c
      LEFT JOIN (SELECT l.customer_id, array_agg(DISTINCT l.product_id ORDER BY l.product_id) AS items
                   FROM line AS l GROUP BY l.customer_id) AS h ON h.customer_id = c.customer_id
),
%3$s
SELECT c.customer_id, r.rank, r.item_id, pn.name AS item_name, r.score, r.source, r.because,
       CASE WHEN r.source = 'similar'
            THEN 'because you bought ' || (SELECT string_agg(COALESCE(bn.name, b.id::text), ', ' ORDER BY b.position)
                                             FROM unnest(r.because) WITH ORDINALITY AS b(id, position)
                                             LEFT JOIN product_name AS bn ON bn.id = b.id)
            ELSE 'popular' END AS reason
  FROM customer AS c
 CROSS JOIN model AS md
 CROSS JOIN LATERAL @extschema@.recommend(md.m, c.history, 10) AS r
  LEFT JOIN product_name AS pn ON pn.id = r.item_id
$q$, source_schema, target_schema,
     supplymkt_internal.names_cte('product_name', source_schema, 'products', 'product_id', with_names))
$body$;
COMMENT ON FUNCTION supplymkt_internal.user_recommendations_query(text, text, boolean) IS
    'The SELECT behind user_recommendations_mv: for every customer with an order in source_schema, recommend(model, the products the customer bought, 10) with the item_neighbors model of target_schema.recommend_models_mv (cosine over every order line, top 20 neighbours per item), purchased products excluded, popular products filling up; reason spells out the because column, by products.name when with_names (used by create_dashboards; handy to read or EXPLAIN).';

-- Text of the association rules query: rules() of the assoc_rules model of target_schema.recommend_models_mv,
-- one row per rule; with_names reads products.name of source_schema for the antecedent and consequent names.
CREATE FUNCTION supplymkt_internal.product_rules_query(source_schema text, target_schema text, with_names boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $body$
SELECT pg_catalog.format($q$
WITH
%3$s
SELECT r.antecedent, r.consequent,
       (SELECT array_agg(n.name ORDER BY a.position) FROM unnest(r.antecedent) WITH ORDINALITY AS a(id, position)
          LEFT JOIN product_name AS n ON n.id = a.id) AS antecedent_names,
       (SELECT array_agg(n.name ORDER BY c.position) FROM unnest(r.consequent) WITH ORDINALITY AS c(id, position)
          LEFT JOIN product_name AS n ON n.id = c.id) AS consequent_names,
       r.support, r.confidence, r.lift, r.leverage, r.conviction, r.count
  FROM %2$I.recommend_models_mv AS md
 CROSS JOIN LATERAL @extschema@.rules(md.model::@extschema@.assoc_rules_model) AS r
 WHERE md.name = 'assoc_rules'
$q$, source_schema, target_schema,
     supplymkt_internal.names_cte('product_name', source_schema, 'products', 'product_id', with_names))
$body$;
COMMENT ON FUNCTION supplymkt_internal.product_rules_query(text, text, boolean) IS
    'The SELECT behind product_rules_mv: rules() of the assoc_rules model of target_schema.recommend_models_mv (the orders of source_schema as baskets, min_support 0.002, min_confidence 0.1), one row per rule, with the products'' names from source_schema.products.name when with_names (used by create_dashboards; handy to read or EXPLAIN).';

-- dashboard recommend_models
SELECT supplymkt_internal.register_dashboard(
    name => 'recommend_models', family => 'recommend', build_order => 390,
    query_call => 'supplymkt_internal.recommend_models_query(%1$L)',
    unique_key => ARRAY['name'],
    source_columns => ARRAY['orders.order_id', 'orders.customer_id', 'order_items.order_id', 'order_items.product_id'],
    title => 'Recommendation models',
    mv_comment => 'The recommendation models of the dashboards built by supplymkt.create_dashboards from schema %1$s, fitted once per refresh and read by item_neighbors and user_recommendations: item_neighbors (supplymkt.item_similarity over every order line) and assoc_rules (supplymkt.assoc_rules over the orders as baskets), as text. Refresh with supplymkt.refresh_dashboards(%2$L). Also listed in the view models; recommend() for a cart needs no refit: SELECT * FROM supplymkt.recommend((SELECT model::supplymkt.item_neighbors FROM %2$I.models WHERE name = ''item_neighbors''), ARRAY[1, 2]).',
    columns => ARRAY[
        ['name', 'item_neighbors or assoc_rules.'],
        ['model_type', 'The SQL type to cast model to: supplymkt.item_neighbors or supplymkt.assoc_rules_model.'],
        ['model', 'The model in its text form: cast it to supplymkt.item_neighbors or supplymkt.assoc_rules_model. NULL without order lines.'],
        ['fitted_at', 'When this create or refresh fitted it.'],
        ['note', 'How it was fitted.']],
    lists_models => true);

-- dashboard item_neighbors
SELECT supplymkt_internal.register_dashboard(
    name => 'item_neighbors', family => 'recommend', build_order => 400,
    query_call => 'supplymkt_internal.item_neighbors_query(%1$L, %2$L, supplymkt_internal.source_has_column(%1$L, ''products'', ''name''))',
    unique_key => ARRAY['item_id', 'rank'],
    source_columns => ARRAY['orders.order_id', 'orders.customer_id', 'order_items.order_id', 'order_items.product_id'],
    title => 'Item neighbours',
    mv_comment => 'Item neighbours built by supplymkt.create_dashboards from schema %1$s: supplymkt.neighbors of supplymkt.item_similarity(orders.customer_id, order_items.product_id) over every order line (cosine of the customers'' purchase vectors, weight = order lines of the product per customer, the 20 most similar products per product, pairs without a common customer left out): one row per (product, neighbour). Refresh with supplymkt.refresh_dashboards(%2$L) (CONCURRENTLY: unique index item_neighbors_mv_key). Query the view item_neighbors.',
    columns => ARRAY[
        ['item_id', 'Product (order_items.product_id) bought by at least one customer.'],
        ['item_name', 'The product''s name (products.name, an optional column of the canonical model); NULL when the source has no such column or no row for the product.'],
        ['rank', 'Rank of the neighbour among the product''s neighbours, 1 = most similar (ties: lower neighbor_id first); at most 20 per product.'],
        ['neighbor_id', 'A product bought by some customer who also bought item_id.'],
        ['neighbor_name', 'The neighbour''s name (products.name); NULL like item_name.'],
        ['score', 'Cosine similarity 0..1 of the two products'' customer vectors (each customer''s number of order lines of the product): sum over customers of w(c, item) w(c, neighbour) / (||w_item|| ||w_neighbour||). 1 = bought by exactly the same customers in the same proportions.'],
        ['support', 'Customers who bought both products (the evidence behind score).']]);

-- dashboard user_recommendations
SELECT supplymkt_internal.register_dashboard(
    name => 'user_recommendations', family => 'recommend', build_order => 410,
    query_call => 'supplymkt_internal.user_recommendations_query(%1$L, %2$L, supplymkt_internal.source_has_column(%1$L, ''products'', ''name''))',
    unique_key => ARRAY['customer_id', 'rank'],
    source_columns => ARRAY['orders.order_id', 'orders.customer_id', 'order_items.order_id', 'order_items.product_id'],
    title => 'Per-customer recommendations',
    mv_comment => 'Per-customer recommendations built by supplymkt.create_dashboards from schema %1$s: for every customer with an order, the top 10 of supplymkt.recommend(model, the products the customer bought, 10), the model being the item_neighbors model of recommend_models_mv (item_similarity over every order line, as in item_neighbors_mv). Products the customer bought are never recommended; score = sum of the similarities to the customer''s purchases (source ''similar''), and when fewer than 10 products are similar, the products bought by the most customers fill the list (source ''popular''). Refresh with supplymkt.refresh_dashboards(%2$L) (CONCURRENTLY: unique index user_recommendations_mv_key). Query the view user_recommendations.',
    columns => ARRAY[
        ['customer_id', 'Customer (orders.customer_id) with at least one order.'],
        ['rank', 'Rank 1..10 of the recommendation, 1 = best: the similar products by score (ties: lower item_id), then the popular ones.'],
        ['item_id', 'Recommended product (never one the customer has bought).'],
        ['item_name', 'The recommended product''s name (products.name, an optional column of the canonical model); NULL when the source has no such column or no row for the product.'],
        ['score', 'For source ''similar'': the sum of the product''s similarities (item_neighbors.score) to the products the customer bought. For source ''popular'': the number of customers who bought it.'],
        ['source', '''similar'' when the product is a neighbour of one of the customer''s purchases, ''popular'' when it fills the list from the most bought products.'],
        ['because', 'The customer''s purchases that made the product similar, largest contribution first (ties: lower id), at most 3; empty for popular products.'],
        ['reason', 'Readable explanation: ''because you bought '' and the because products by name (by id where a product has no name, e.g. ''because you bought 12, 7''), or ''popular''.']]);

-- dashboard product_rules
SELECT supplymkt_internal.register_dashboard(
    name => 'product_rules', family => 'recommend', build_order => 420,
    query_call => 'supplymkt_internal.product_rules_query(%1$L, %2$L, supplymkt_internal.source_has_column(%1$L, ''products'', ''name''))',
    unique_key => ARRAY['antecedent', 'consequent'],
    source_columns => ARRAY['orders.order_id', 'order_items.order_id', 'order_items.product_id'],
    title => 'Product association rules',
    mv_comment => 'Association rules built by supplymkt.create_dashboards from schema %1$s: supplymkt.rules of the assoc_rules model of recommend_models_mv (the orders as baskets of order_items.product_id, itemsets of at most 3 products in at least 0.2%% of the orders, confidence >= 0.1), one row per rule antecedent -> consequent, with the products'' names. Refresh with supplymkt.refresh_dashboards(%2$L) (CONCURRENTLY: unique index product_rules_mv_key). Query the view product_rules, e.g. ORDER BY lift DESC.',
    columns => ARRAY[
        ['antecedent', 'The products already in the basket (ids ascending).'],
        ['consequent', 'The products the rule predicts (ids ascending; disjoint from antecedent).'],
        ['antecedent_names', 'The antecedent''s product names in the same order (products.name; NULL elements, or all NULL, when the source has no names).'],
        ['consequent_names', 'The consequent''s product names in the same order (like antecedent_names).'],
        ['support', 'Share 0..1 of the orders that contain antecedent and consequent together.'],
        ['confidence', 'support / share of the orders containing antecedent: how often the consequent is bought when the antecedent is.'],
        ['lift', 'confidence / share of the orders containing consequent: > 1 means bought together more often than by chance.'],
        ['leverage', 'support - supp(antecedent) x supp(consequent): the co-occurrence beyond independence, as a share of the orders.'],
        ['conviction', '(1 - supp(consequent)) / (1 - confidence); Infinity when confidence is 1.'],
        ['count', 'Orders containing antecedent and consequent together.']]);
