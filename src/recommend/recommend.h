/*
 * recommend/recommend.h — recommendations (item neighbours, content similarity, association rules): shared declarations.
 *
 * Files: ids.c (id conversion, sorted id lists, bigint[] and JSON id arrays), neighbors_model.c (the
 * item_neighbors type), similarity.c (the top-k heap and the item_similarity / item_content_similarity
 * aggregates), neighbors.c (neighbors(), item_neighbors_blend, recommend()), rules_model.c (the
 * assoc_rules_model type), rules.c (the assoc_rules aggregate and its readers frequent_itemsets(), rules()).
 */
#ifndef SUPPLYMKT_RECOMMEND_H
#define SUPPLYMKT_RECOMMEND_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

#include "core/binary.h"
#include "core/features.h"
#include "core/json.h"
#include "core/row_buffer.h"
#include "core/validate.h"

/* The state types of this family (stored ids are stable across versions). */
extern const SmRowKind sm_item_similarity_kind;
extern const SmRowKind sm_assoc_rules_kind;

#define RC_MODEL_VERSION 1
#define RC_MAX_TOP_K 1000
#define AR_MAX_LEN 10

/* Measures (stored in item_similarity_state's params and in the model). */
#define RC_COSINE 1
#define RC_JACCARD 2
#define RC_LIFT 3
#define RC_SHRUNK_COSINE 4
#define RC_CONTENT_COSINE 5
#define RC_BLEND 6

/* item_neighbors: items (ascending ids), popularity, neighbour lists; the popularity order is derived. */
typedef struct RcModel
{
	int32		vl_len_;
	uint8		version;
	uint8		measure;
	uint16		pad;
	int32		top_k;
	int32		min_support;
	int32		pad2;
	int64		nitems;
	int64		nentries;
	int64		users;
	int64		interactions;
	int64		data[FLEXIBLE_ARRAY_MEMBER];	/* see the accessors */
} RcModel;

#define RcItems(m) ((m)->data)
#define RcPopularity(m) ((m)->data + (m)->nitems)
#define RcOffsets(m) ((m)->data + 2 * (m)->nitems)
#define RcNeighbor(m) ((m)->data + 3 * (m)->nitems + 1)
#define RcSupport(m) ((m)->data + 3 * (m)->nitems + 1 + (m)->nentries)
#define RcScore(m) ((double *) ((m)->data + 3 * (m)->nitems + 1 + 2 * (m)->nentries))
#define RcByPopularity(m) ((m)->data + 3 * (m)->nitems + 1 + 3 * (m)->nentries)

/* A candidate of a top-k list. */
typedef struct RcCand
{
	double		score;
	int64		id;
	int64		support;
} RcCand;

/*
 * assoc_rules_model: baskets, thresholds, then offsets[nsets + 1], items[offsets[nsets]] (each itemset's ids
 * ascending), counts[nsets]; itemsets ordered by size, then ids.
 */
typedef struct ArModel
{
	int32		vl_len_;
	uint8		version;
	uint8		pad;
	uint16		pad2;
	int32		max_len;
	int64		baskets;
	float8		min_support;
	float8		min_confidence;
	int64		nsets;
	int64		nitems;			/* total ids in items */
	int64		data[FLEXIBLE_ARRAY_MEMBER];
} ArModel;

#define ArOffsets(m) ((m)->data)
#define ArItems(m) ((m)->data + (m)->nsets + 1)
#define ArCounts(m) ((m)->data + (m)->nsets + 1 + (m)->nitems)

/* ids.c */
extern int64 RcUniqueIds(int64 *v, int64 n);
extern int64 RcFindId(const int64 *v, int64 n, int64 id);
extern void RcJsonIds(SmJsonObject *obj, const char *key, int64 n, int64 *out);
extern int64 RcJsonLength(SmJsonObject *obj, const char *key);
extern int64 *RcIdList(FunctionCallInfo fcinfo, int argno, int *n);
extern ArrayType *RcIdArray(const int64 *ids, int n);

/* neighbors_model.c */
extern RcModel *RcModelArg(FunctionCallInfo fcinfo, int argno);
extern RcModel *RcModelArgCached(FunctionCallInfo fcinfo, int argno);
extern int	RcMeasureCode(const char *name);
extern RcModel *RcModelBuild(int measure, int top_k, int min_support, int64 users, int64 interactions,
							 int64 nitems, const int64 *items, const int64 *popularity, const int64 *offsets,
							 const RcCand *entries);

/* similarity.c: the top-k heap */
extern void RcHeapOffer(RcCand *heap, int *n, int k, RcCand c);
extern int	RcCandCmp(const void *pa, const void *pb);

/* rules_model.c */
extern ArModel *ArModelNew(int64 nsets, int64 nitems);
extern ArModel *ArModelArg(FunctionCallInfo fcinfo, int argno);
extern int	ArSetCmp(const int64 *a, int64 na, const int64 *b, int64 nb);
extern int64 ArCount(const ArModel *m, const int64 *ids, int64 len);

#endif							/* SUPPLYMKT_RECOMMEND_H */
