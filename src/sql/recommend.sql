-- ===========================================================================================================
-- Recommendations (src/recommend.c): item_similarity -> item_neighbors, neighbors, recommend,
-- item_content_similarity, item_neighbors_blend; association rules: assoc_rules -> assoc_rules_model, rules,
-- frequent_itemsets
-- ===========================================================================================================
--
-- Ids are bigint and must lie within ±2^53 (9007199254740992): the aggregate states keep them in float8 slots,
-- which hold every such integer exactly.

-- item_similarity_state: the (user, item, weight) interactions (common.c row buffer; params = top_k, measure
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
COMMENT ON FUNCTION @extschema@.item_neighbors_blend(@extschema@.item_neighbors, @extschema@.item_neighbors, double precision, integer) IS 'Hybrid neighbours: for every item of either model, score = weight_a x score_a + (1 - weight_a) x score_b over the union of its neighbour lists (a missing score counts as 0), top_k kept (default: the larger top_k). Popularity comes from a (b for items only b knows); a neighbour''s support from a''s list when a lists it, else from b''s. Blend collaborative with content neighbours so that new items without interactions can be recommended.';
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
