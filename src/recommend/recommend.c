/*
 * recommend.c — recommendations: item_similarity / item_content_similarity (collect-then-compute aggregates
 * on the row-buffer state of common.c) -> item_neighbors, its readers neighbors() and recommend(),
 * item_neighbors_blend; association rules: assoc_rules -> assoc_rules_model, frequent_itemsets(), rules().
 *
 * item_similarity is a sparse product, not all pairs: the interactions become a user -> items index and an
 * item -> users index; for each item i a dense accumulator over items collects, for every user of i and every
 * item j of that user, the co-occurrence count and the weight product; the top_k neighbours of i are kept with
 * a bounded heap.  Time grows with the sum over users of (items per user)^2, memory with interactions + items.
 *
 * assoc_rules finds frequent itemsets by Eclat (depth-first over sorted basket lists, intersecting them), which
 * gives the same itemsets as Apriori or FP-growth; rules() derives the rules from the itemsets' counts.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "recommend/recommend.h"

/* The state types of this family (stored ids are stable across versions). */
/* [user, item, weight] interactions, or [item, features...] for content similarity */
const SmRowKind sm_item_similarity_kind = {"item_similarity_state", 5, 0, {"top_k", "measure", "min_support"}, 64};
/* basket, item */
const SmRowKind sm_assoc_rules_kind = {"assoc_rules_state", 6, 2, {"min_support", "min_confidence", "max_len"}, 64};

SM_ROW_BUFFER_IO(item_similarity_state, sm_item_similarity_kind)
SM_ROW_BUFFER_COMBINE(item_similarity_state, sm_item_similarity_kind)
SM_ROW_BUFFER_IO(assoc_rules_state, sm_assoc_rules_kind)
SM_ROW_BUFFER_COMBINE(assoc_rules_state, sm_assoc_rules_kind)

#define RC_MODEL_VERSION 1
#define RC_MAX_ID 9007199254740992.0	/* 2^53: every integer up to it is exact in float8 */
#define RC_MAX_ID_INT INT64CONST(9007199254740992)
#define RC_MAX_TOP_K 1000
#define RC_MAX_K 10000
#define RC_SHRINKAGE 10.0
#define RC_BECAUSE 3
#define AR_MAX_LEN 10
#define AR_MAX_ITEMSETS 5000000

/* Measures (stored in item_similarity_state's params and in the model). */
#define RC_COSINE 1
#define RC_JACCARD 2
#define RC_LIFT 3
#define RC_SHRUNK_COSINE 4
#define RC_CONTENT_COSINE 5
#define RC_BLEND 6

static const char *const rc_measure_names[] = {NULL, "cosine", "jaccard", "lift", "shrunk_cosine", "content_cosine", "blend"};

/* Parameter slots of item_similarity_state and assoc_rules_state. */
enum
{
	RC_P_TOP_K, RC_P_MEASURE, RC_P_MIN_SUPPORT
};
enum
{
	AR_P_MIN_SUPPORT, AR_P_MIN_CONFIDENCE, AR_P_MAX_LEN
};

/* ---------------------------------------------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------------------------------------------- */

/* An id as float8 for a state row; ids beyond ±2^53 would lose digits and are rejected. */
static double
RcId(int64 id, const char *name)
{
	if (id > RC_MAX_ID_INT || id < -RC_MAX_ID_INT)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s " INT64_FORMAT " is out of range: ids must lie within ±2^53 (9007199254740992)", name, id)));
	return (double) id;
}

/* Orders doubles. */
static int
RcDoubleCmp(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : (x > y);
}

/* Sorts and deduplicates doubles in place; returns the distinct count. */
static int64
RcUnique(double *v, int64 n)
{
	int64		m = 0;

	qsort(v, n, sizeof(double), RcDoubleCmp);
	for (int64 i = 0; i < n; i++)
		if (m == 0 || v[i] != v[m - 1])
			v[m++] = v[i];
	return m;
}

/* Index of value in a sorted distinct array of n doubles, or -1. */
static int64
RcFind(const double *v, int64 n, double value)
{
	int64		lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (v[mid] < value)
			lo = mid + 1;
		else if (v[mid] > value)
			hi = mid - 1;
		else
			return mid;
	}
	return -1;
}

/* Orders int64. */
static int
RcInt64Cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return x < y ? -1 : (x > y);
}

/* Index of id in a sorted distinct array of n int64, or -1. */
static int64
RcFindId(const int64 *v, int64 n, int64 id)
{
	int64		lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (v[mid] < id)
			lo = mid + 1;
		else if (v[mid] > id)
			hi = mid - 1;
		else
			return mid;
	}
	return -1;
}

/* ---------------------------------------------------------------------------------------------------------
 * item_neighbors: items (ascending ids), popularity, neighbour lists; the popularity order is derived
 * --------------------------------------------------------------------------------------------------------- */

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

/* Bytes of a model. */
static Size
RcModelSize(int64 nitems, int64 nentries)
{
	double		words = 4.0 * nitems + 1 + 3.0 * nentries;

	if (nitems < 0 || nentries < 0 || words * 8 > (double) (MaxAllocSize - 1024))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("item_neighbors with " INT64_FORMAT " items and " INT64_FORMAT " neighbours is too large",
						nitems, nentries),
				 errhint("Lower top_k or aggregate fewer items.")));
	return offsetof(RcModel, data) + (Size) words * 8;
}

/* Allocates a zeroed model. */
static RcModel *
RcModelNew(int64 nitems, int64 nentries)
{
	Size		size = RcModelSize(nitems, nentries);
	RcModel    *m = palloc_extended(size, MCXT_ALLOC_ZERO);

	SET_VARSIZE(m, size);
	m->version = RC_MODEL_VERSION;
	m->nitems = nitems;
	m->nentries = nentries;
	return m;
}

/* Orders item indices by popularity descending, then id ascending (qsort context). */
static const RcModel *rc_sort_model;

/* Comparator of the popularity order. */
static int
RcPopularityCmp(const void *pa, const void *pb)
{
	int64		a = *(const int64 *) pa,
				b = *(const int64 *) pb;
	int64		pa_ = RcPopularity(rc_sort_model)[a],
				pb_ = RcPopularity(rc_sort_model)[b];

	if (pa_ != pb_)
		return pa_ > pb_ ? -1 : 1;
	return a < b ? -1 : (a > b);
}

/* Fills the derived popularity order. */
static void
RcModelFinish(RcModel *m)
{
	int64	   *order = RcByPopularity(m);

	for (int64 i = 0; i < m->nitems; i++)
		order[i] = i;
	rc_sort_model = m;
	qsort(order, m->nitems, sizeof(int64), RcPopularityCmp);
}

/* Raises the error for an inconsistent item_neighbors read from outside. */
static void
RcInvalidModel(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid item_neighbors: %s", why)));
}

/* Checks a model read from outside: ids, order, offsets, neighbour lists. */
static void
RcModelValidate(const RcModel *m)
{
	const int64 *items = RcItems(m),
			   *off = RcOffsets(m);

	if (m->measure < RC_COSINE || m->measure > RC_BLEND || m->top_k < 1 || m->top_k > RC_MAX_TOP_K ||
		m->min_support < 0 || m->users < 0 || m->interactions < 0)
		RcInvalidModel("measure, top_k, min_support, users and interactions must be in range");
	for (int64 i = 0; i < m->nitems; i++)
	{
		if (items[i] > RC_MAX_ID_INT || items[i] < -RC_MAX_ID_INT || (i > 0 && items[i] <= items[i - 1]))
			RcInvalidModel("items must be ascending ids within ±2^53");
		if (RcPopularity(m)[i] < 0)
			RcInvalidModel("popularity must not be negative");
	}
	if (off[0] != 0 || off[m->nitems] != m->nentries)
		RcInvalidModel("offsets must run from 0 to the number of neighbours");
	for (int64 i = 0; i < m->nitems; i++)
	{
		if (off[i + 1] < off[i] || off[i + 1] - off[i] > RC_MAX_TOP_K)
			RcInvalidModel("offsets must not decrease, and a list holds at most 1000 neighbours");
		for (int64 e = off[i]; e < off[i + 1]; e++)
		{
			double		s = RcScore(m)[e];

			if (RcFindId(items, m->nitems, RcNeighbor(m)[e]) < 0 || RcNeighbor(m)[e] == items[i])
				RcInvalidModel("every neighbour must be another item of the model");
			if (!isfinite(s) || s <= 0 || RcSupport(m)[e] < 0)
				RcInvalidModel("scores must be positive and finite, supports non-negative");
			if (e > off[i] && (s > RcScore(m)[e - 1] ||
							   (s == RcScore(m)[e - 1] && RcNeighbor(m)[e] <= RcNeighbor(m)[e - 1])))
				RcInvalidModel("a neighbour list must be ordered by score descending, then id ascending, without repeats");
		}
	}
}

/* The last model recommend() detoasted, kept for the next call of the same query with the same value. */
typedef struct RcModelCache
{
	struct varlena *raw;		/* the argument as it came (possibly compressed) */
	RcModel    *model;			/* detoasted */
} RcModelCache;

/*
 * The model argument of recommend(): detoasting (decompressing) a large model per call would dominate a
 * per-customer query, so the detoasted model is cached in fn_extra while the argument's bytes stay the same.
 */
static RcModel *RcModelArg(FunctionCallInfo fcinfo, int argno);
static RcModel *RcModelCheck(RcModel *m);
static RcModel *
RcModelArgCached(FunctionCallInfo fcinfo, int argno)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	RcModelCache *cache = (RcModelCache *) fcinfo->flinfo->fn_extra;
	Size		len;
	MemoryContext old;

	if (VARATT_IS_EXTERNAL(raw))
		return RcModelArg(fcinfo, argno);	/* a TOAST pointer: fetch it as usual */
	len = VARSIZE_ANY(raw);
	if (cache && VARSIZE_ANY(cache->raw) == len && memcmp(cache->raw, raw, len) == 0)
		return cache->model;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (cache == NULL)
		cache = fcinfo->flinfo->fn_extra = palloc0(sizeof(RcModelCache));
	else
	{
		pfree(cache->raw);
		if ((Pointer) cache->model != (Pointer) cache->raw)
			pfree(cache->model);
	}
	cache->raw = palloc(len);
	memcpy(cache->raw, raw, len);
	cache->model = RcModelCheck((RcModel *) PG_DETOAST_DATUM(PointerGetDatum(cache->raw)));
	MemoryContextSwitchTo(old);
	return cache->model;
}

/* Checks a detoasted model's version and size. */
static RcModel *
RcModelCheck(RcModel *m)
{
	if (m->version != RC_MODEL_VERSION || m->nitems < 0 || m->nentries < 0 ||
		VARSIZE(m) != RcModelSize(m->nitems, m->nentries))
		elog(ERROR, "item_neighbors of unexpected version or size");
	return m;
}

/* The model argument, detoasted and checked. */
static RcModel *
RcModelArg(FunctionCallInfo fcinfo, int argno)
{
	return RcModelCheck((RcModel *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno)));
}

/* Reads a JSON array of exactly n integers. */
static void
RcJsonIds(SmJsonObject *obj, const char *key, int64 n, int64 *out)
{
	SmJsonField *f = SmJsonFind(obj, key, true);

	if (!f->is_array || f->nvalues != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\" must be an array of " INT64_FORMAT " integers",
						obj->typname, key, n)));
	for (int64 i = 0; i < n; i++)
		out[i] = SmParseInt64(f->values[i], obj->typname);
}

/* Length of a required JSON array. */
static int64
RcJsonLength(SmJsonObject *obj, const char *key)
{
	SmJsonField *f = SmJsonFind(obj, key, true);

	if (!f->is_array)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\" must be an array", obj->typname, key)));
	return f->nvalues;
}

/* Parses a measure name; 0 when unknown. */
static int
RcMeasureCode(const char *name)
{
	for (int c = RC_COSINE; c <= RC_BLEND; c++)
		if (pg_strcasecmp(name, rc_measure_names[c]) == 0)
			return c;
	return 0;
}

PG_FUNCTION_INFO_V1(item_neighbors_in);
/* Text input of item_neighbors: the JSON item_neighbors_out writes. */
Datum
item_neighbors_in(PG_FUNCTION_ARGS)
{
	SmJsonObject *obj = SmJsonParse(PG_GETARG_CSTRING(0), "item_neighbors");
	int64		nitems,
				nentries,
				ival;
	int			measure;
	RcModel    *m;

	if (SmJsonOptInt64(obj, "version", &ival) && ival != RC_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("unsupported item_neighbors version " INT64_FORMAT, ival)));
	measure = RcMeasureCode(SmJsonGetString(obj, "measure"));
	nitems = RcJsonLength(obj, "items");
	nentries = RcJsonLength(obj, "neighbor");
	m = RcModelNew(nitems, nentries);
	m->measure = (uint8) measure;
	ival = SmJsonGetInt64(obj, "top_k");
	SmCheckIntRange(ival, 1, RC_MAX_TOP_K, "top_k");
	m->top_k = (int32) ival;
	m->min_support = 1;
	if (SmJsonOptInt64(obj, "min_support", &ival))
	{
		SmCheckIntRange(ival, 0, PG_INT32_MAX, "min_support");
		m->min_support = (int32) ival;
	}
	SmJsonOptInt64(obj, "users", &m->users);
	SmJsonOptInt64(obj, "interactions", &m->interactions);
	RcJsonIds(obj, "items", nitems, RcItems(m));
	RcJsonIds(obj, "popularity", nitems, RcPopularity(m));
	RcJsonIds(obj, "offsets", nitems + 1, RcOffsets(m));
	RcJsonIds(obj, "neighbor", nentries, RcNeighbor(m));
	RcJsonIds(obj, "support", nentries, RcSupport(m));
	if (!SmJsonOptFloat8Array(obj, "score", nentries, RcScore(m)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type item_neighbors: \"score\" is required")));
	SmJsonRejectUnknown(obj);
	RcModelValidate(m);
	RcModelFinish(m);
	PG_RETURN_POINTER(m);
}

/* Appends a JSON array of n int64. */
static void
RcAppendIds(StringInfo out, const int64 *v, int64 n)
{
	appendStringInfoChar(out, '[');
	for (int64 i = 0; i < n; i++)
	{
		if (i)
			appendStringInfoChar(out, ',');
		appendStringInfo(out, INT64_FORMAT, v[i]);
	}
	appendStringInfoChar(out, ']');
}

PG_FUNCTION_INFO_V1(item_neighbors_out);
/* Text output of item_neighbors (JSON, exact floats). */
Datum
item_neighbors_out(PG_FUNCTION_ARGS)
{
	RcModel    *m = RcModelArg(fcinfo, 0);
	StringInfoData out;

	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	SmAppendJsonKey(&out, "version", true);
	appendStringInfo(&out, "%d", m->version);
	SmAppendJsonKey(&out, "measure", false);
	escape_json(&out, m->measure >= RC_COSINE && m->measure <= RC_BLEND ? rc_measure_names[m->measure] : "?");
	SmAppendJsonKey(&out, "top_k", false);
	appendStringInfo(&out, "%d", m->top_k);
	SmAppendJsonKey(&out, "min_support", false);
	appendStringInfo(&out, "%d", m->min_support);
	SmAppendJsonKey(&out, "users", false);
	appendStringInfo(&out, INT64_FORMAT, m->users);
	SmAppendJsonKey(&out, "interactions", false);
	appendStringInfo(&out, INT64_FORMAT, m->interactions);
	SmAppendJsonKey(&out, "items", false);
	RcAppendIds(&out, RcItems(m), m->nitems);
	SmAppendJsonKey(&out, "popularity", false);
	RcAppendIds(&out, RcPopularity(m), m->nitems);
	SmAppendJsonKey(&out, "offsets", false);
	RcAppendIds(&out, RcOffsets(m), m->nitems + 1);
	SmAppendJsonKey(&out, "neighbor", false);
	RcAppendIds(&out, RcNeighbor(m), m->nentries);
	SmAppendJsonKey(&out, "score", false);
	appendStringInfoChar(&out, '[');
	for (int64 e = 0; e < m->nentries; e++)
	{
		if (e)
			appendStringInfoChar(&out, ',');
		SmAppendFloat8(&out, RcScore(m)[e]);
	}
	appendStringInfoChar(&out, ']');
	SmAppendJsonKey(&out, "support", false);
	RcAppendIds(&out, RcSupport(m), m->nentries);
	appendStringInfoChar(&out, '}');
	PG_RETURN_CSTRING(out.data);
}

PG_FUNCTION_INFO_V1(item_neighbors_recv);
/* Binary input of item_neighbors: header, then items, popularity, offsets, neighbours, supports, scores. */
Datum
item_neighbors_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	int			version;
	int64		nitems,
				nentries;
	RcModel    *m;
	uint8		measure;
	int32		top_k,
				min_support;

	SmRecvCheckRemaining(msg, 2 + 8 + 8 * 4, "item_neighbors");
	version = pq_getmsgbyte(msg);
	if (version != RC_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported item_neighbors version %d", version)));
	measure = pq_getmsgbyte(msg);
	top_k = (int32) pq_getmsgint(msg, 4);
	min_support = (int32) pq_getmsgint(msg, 4);
	nitems = pq_getmsgint64(msg);
	nentries = pq_getmsgint64(msg);
	if (nitems < 0 || nentries < 0 || (3.0 * nitems + 1 + 3.0 * nentries + 2) * 8 != (double) (msg->len - msg->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type item_neighbors: inconsistent size")));
	m = RcModelNew(nitems, nentries);
	m->measure = measure;
	m->top_k = top_k;
	m->min_support = min_support;
	m->users = pq_getmsgint64(msg);
	m->interactions = pq_getmsgint64(msg);
	for (int64 i = 0; i < 3 * nitems + 1 + 2 * nentries; i++)
		m->data[i] = pq_getmsgint64(msg);
	for (int64 e = 0; e < nentries; e++)
		RcScore(m)[e] = pq_getmsgfloat8(msg);
	RcModelValidate(m);
	RcModelFinish(m);
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(item_neighbors_send);
/* Binary output of item_neighbors. */
Datum
item_neighbors_send(PG_FUNCTION_ARGS)
{
	RcModel    *m = RcModelArg(fcinfo, 0);
	StringInfoData out;

	pq_begintypsend(&out);
	pq_sendbyte(&out, m->version);
	pq_sendbyte(&out, m->measure);
	pq_sendint32(&out, m->top_k);
	pq_sendint32(&out, m->min_support);
	pq_sendint64(&out, m->nitems);
	pq_sendint64(&out, m->nentries);
	pq_sendint64(&out, m->users);
	pq_sendint64(&out, m->interactions);
	for (int64 i = 0; i < 3 * m->nitems + 1 + 2 * m->nentries; i++)
		pq_sendint64(&out, m->data[i]);
	for (int64 e = 0; e < m->nentries; e++)
		pq_sendfloat8(&out, RcScore(m)[e]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&out));
}

/* ---------------------------------------------------------------------------------------------------------
 * Top-k lists: a bounded min-heap of (score, id), the worst kept entry on top
 * --------------------------------------------------------------------------------------------------------- */

typedef struct RcCand
{
	double		score;
	int64		id;
	int64		support;
} RcCand;

/* Whether candidate a ranks below b (lower score, or the same score and a higher id). */
static inline bool
RcWorse(const RcCand *a, const RcCand *b)
{
	return a->score < b->score || (a->score == b->score && a->id > b->id);
}

/* Restores the heap order below position i. */
static void
RcHeapSiftDown(RcCand *heap, int n, int i)
{
	for (;;)
	{
		int			l = 2 * i + 1,
					r = l + 1,
					w = i;
		RcCand		t;

		if (l < n && RcWorse(&heap[l], &heap[w]))
			w = l;
		if (r < n && RcWorse(&heap[r], &heap[w]))
			w = r;
		if (w == i)
			return;
		t = heap[i];
		heap[i] = heap[w];
		heap[w] = t;
		i = w;
	}
}

/* Offers a candidate to a heap of at most k entries (heap[0] = the worst kept). */
static void
RcHeapOffer(RcCand *heap, int *n, int k, RcCand c)
{
	int			i;

	if (*n == k)
	{
		if (RcWorse(&heap[0], &c))
		{
			heap[0] = c;
			RcHeapSiftDown(heap, k, 0);
		}
		return;
	}
	i = (*n)++;
	while (i > 0 && RcWorse(&c, &heap[(i - 1) / 2]))
	{
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = c;
}

/* Orders candidates best first. */
static int
RcCandCmp(const void *pa, const void *pb)
{
	const RcCand *a = pa,
			   *b = pb;

	if (RcWorse(b, a))
		return -1;
	if (RcWorse(a, b))
		return 1;
	return 0;
}

/* A model built from per-item lists (items ascending; lists best first). */
static RcModel *
RcModelBuild(int measure, int top_k, int min_support, int64 users, int64 interactions, int64 nitems,
			 const int64 *items, const int64 *popularity, const int64 *offsets, const RcCand *entries)
{
	RcModel    *m = RcModelNew(nitems, offsets[nitems]);

	m->measure = (uint8) measure;
	m->top_k = top_k;
	m->min_support = min_support;
	m->users = users;
	m->interactions = interactions;
	memcpy(RcItems(m), items, nitems * sizeof(int64));
	memcpy(RcPopularity(m), popularity, nitems * sizeof(int64));
	memcpy(RcOffsets(m), offsets, (nitems + 1) * sizeof(int64));
	for (int64 e = 0; e < offsets[nitems]; e++)
	{
		RcNeighbor(m)[e] = entries[e].id;
		RcScore(m)[e] = entries[e].score;
		RcSupport(m)[e] = entries[e].support;
	}
	RcModelFinish(m);
	return m;
}

/* ---------------------------------------------------------------------------------------------------------
 * item_similarity
 * --------------------------------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(item_similarity_transfn);
/* Transition of item_similarity(user, item [, weight, top_k, measure, min_support]). */
Datum
item_similarity_transfn(PG_FUNCTION_ARGS)
{
	int			nargs = PG_NARGS();
	float8		params[SM_ROWS_PARAMS] = {0};
	float8		row[3];
	SmRowBuffer *buf;
	int32		top_k = 20,
				min_support = 1;
	int			measure = RC_COSINE;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SM_SKIP_ROW();
	row[0] = RcId(PG_GETARG_INT64(1), "user_id");
	row[1] = RcId(PG_GETARG_INT64(2), "item_id");
	row[2] = nargs > 3 && !PG_ARGISNULL(3) ? PG_GETARG_FLOAT8(3) : 1.0;
	SmCheckNonNegative(row[2], "weight");
	if (row[2] > SM_MAX_FEATURE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("weight %g is out of range: weights must be at most 1e100", row[2]),
				 errhint("Rescale the weights (cosine does not change with their scale).")));
	if (nargs > 4)
	{
		if (PG_ARGISNULL(4))
			SmErrorNullArgument("top_k");
		top_k = PG_GETARG_INT32(4);
		SmCheckIntRange(top_k, 1, RC_MAX_TOP_K, "top_k");
	}
	if (nargs > 5)
	{
		char	   *name;

		if (PG_ARGISNULL(5))
			SmErrorNullArgument("measure");
		name = text_to_cstring(PG_GETARG_TEXT_PP(5));
		measure = RcMeasureCode(name);
		if (measure < RC_COSINE || measure > RC_SHRUNK_COSINE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown measure \"%s\"", name),
					 errhint("Use 'cosine', 'jaccard', 'lift' or 'shrunk_cosine'.")));
	}
	if (nargs > 6)
	{
		if (PG_ARGISNULL(6))
			SmErrorNullArgument("min_support");
		min_support = PG_GETARG_INT32(6);
		SmCheckIntRange(min_support, 1, PG_INT32_MAX, "min_support");
	}
	params[RC_P_TOP_K] = top_k;
	params[RC_P_MEASURE] = measure;
	params[RC_P_MIN_SUPPORT] = min_support;
	buf = SmRowBufferForUpdate(fcinfo, &sm_item_similarity_kind);
	SmRowBufferSetParams(buf, &sm_item_similarity_kind, params);
	SmRowBufferSetCols(buf, &sm_item_similarity_kind, 3, "interaction");
	buf = SmRowBufferAppend(buf, &sm_item_similarity_kind, row, CurrentMemoryContext);
	PG_RETURN_POINTER(buf);
}

PG_FUNCTION_INFO_V1(item_content_similarity_transfn);
/* Transition of item_content_similarity(item, features [, top_k]): one row [item, features...]. */
Datum
item_content_similarity_transfn(PG_FUNCTION_ARGS)
{
	float8		params[SM_ROWS_PARAMS] = {0};
	SmRowBuffer *buf;
	int			d;
	double	   *v,
			   *row;
	int32		top_k = 20;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SM_SKIP_ROW();
	if (PG_NARGS() > 3)
	{
		if (PG_ARGISNULL(3))
			SmErrorNullArgument("top_k");
		top_k = PG_GETARG_INT32(3);
		SmCheckIntRange(top_k, 1, RC_MAX_TOP_K, "top_k");
	}
	v = SmFeatures(PG_GETARG_ARRAYTYPE_P(2), &d);
	row = palloc((d + 1) * sizeof(double));
	row[0] = RcId(PG_GETARG_INT64(1), "item_id");
	memcpy(row + 1, v, d * sizeof(double));
	params[RC_P_TOP_K] = top_k;
	params[RC_P_MEASURE] = RC_CONTENT_COSINE;
	params[RC_P_MIN_SUPPORT] = 0;
	buf = SmRowBufferForUpdate(fcinfo, &sm_item_similarity_kind);
	SmRowBufferSetParams(buf, &sm_item_similarity_kind, params);
	SmRowBufferSetCols(buf, &sm_item_similarity_kind, d + 1, "features");
	buf = SmRowBufferAppend(buf, &sm_item_similarity_kind, row, CurrentMemoryContext);
	PG_RETURN_POINTER(buf);
}

/* Reads and checks the options of an item_similarity_state. */
static void
RcStateOptions(const SmRowBuffer *buf, bool content, int *top_k, int *measure, int *min_support)
{
	const float8 *p = buf->params;

	if (!(buf->flags & SM_ROWS_PARAMS_SET) || p[RC_P_TOP_K] < 1 || p[RC_P_TOP_K] > RC_MAX_TOP_K ||
		p[RC_P_TOP_K] != floor(p[RC_P_TOP_K]) || p[RC_P_MIN_SUPPORT] != floor(p[RC_P_MIN_SUPPORT]) ||
		p[RC_P_MIN_SUPPORT] < 0 || p[RC_P_MIN_SUPPORT] > PG_INT32_MAX ||
		(content ? p[RC_P_MEASURE] != RC_CONTENT_COSINE || buf->ncols < 2 :
		 (p[RC_P_MEASURE] < RC_COSINE || p[RC_P_MEASURE] > RC_SHRUNK_COSINE || buf->ncols != 3)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid item_similarity_state: parameters or width out of range")));
	*top_k = (int) p[RC_P_TOP_K];
	*measure = (int) p[RC_P_MEASURE];
	*min_support = (int) p[RC_P_MIN_SUPPORT];
	for (int64 r = 0; r < buf->nrows; r++)
	{
		const double *row = buf->values + r * buf->ncols;

		for (int j = 0; j < (content ? 1 : 2); j++)
			if (row[j] != floor(row[j]) || fabs(row[j]) > RC_MAX_ID)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid item_similarity_state: ids must be whole numbers within ±2^53")));
		if (!content && !(row[2] >= 0 && row[2] <= SM_MAX_FEATURE))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid item_similarity_state: weights must lie in [0, 1e100]")));
	}
}

/* One interaction, for sorting. */
typedef struct RcPair
{
	int32		user;
	int32		item;
	double		weight;
} RcPair;

/* Orders interactions by user, then item. */
static int
RcPairCmp(const void *pa, const void *pb)
{
	const RcPair *a = pa,
			   *b = pb;

	if (a->user != b->user)
		return a->user < b->user ? -1 : 1;
	if (a->item != b->item)
		return a->item < b->item ? -1 : 1;
	/* duplicates: by weight, so that they are summed in the same order whatever the input order */
	return a->weight < b->weight ? -1 : (a->weight > b->weight);
}

PG_FUNCTION_INFO_V1(item_similarity_final);
/* Final of item_similarity: sparse co-occurrence per item, top_k neighbours by the measure. */
Datum
item_similarity_final(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf = SmRowBufferArg(fcinfo, 0, &sm_item_similarity_kind);
	int			top_k,
				measure,
				min_support;
	int64		n = buf->nrows,
				nusers,
				nitems,
				npairs = 0,
				nentries = 0;
	double	   *users,
			   *itemd,
			   *norm,
			   *acc;
	int32	   *co,
			   *touched,
			   *uptr,
			   *iptr,
			   *iuser,
			   *uitem;
	double	   *uw,
			   *iw;
	int64	   *items,
			   *popularity,
			   *offsets;
	RcPair	   *pairs;
	RcCand	   *entries,
			   *heap;

	if (n == 0)
		PG_RETURN_NULL();
	RcStateOptions(buf, false, &top_k, &measure, &min_support);
	if (n >= PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many interactions for item_similarity")));

	/* dense user and item numbers (ascending ids) */
	users = SmAllocArray(n, sizeof(double));
	itemd = SmAllocArray(n, sizeof(double));
	for (int64 r = 0; r < n; r++)
	{
		users[r] = buf->values[r * 3];
		itemd[r] = buf->values[r * 3 + 1];
	}
	nusers = RcUnique(users, n);
	nitems = RcUnique(itemd, n);
	CHECK_FOR_INTERRUPTS();
	pairs = SmAllocArray(n, sizeof(RcPair));
	for (int64 r = 0; r < n; r++)
	{
		pairs[r].user = (int32) RcFind(users, nusers, buf->values[r * 3]);
		pairs[r].item = (int32) RcFind(itemd, nitems, buf->values[r * 3 + 1]);
		pairs[r].weight = buf->values[r * 3 + 2];
	}
	qsort(pairs, n, sizeof(RcPair), RcPairCmp);
	CHECK_FOR_INTERRUPTS();
	/* user -> items (duplicates summed), then item -> users */
	uptr = SmAllocArray(nusers + 1, sizeof(int32));
	uitem = SmAllocArray(n, sizeof(int32));
	uw = SmAllocArray(n, sizeof(double));
	for (int64 r = 0; r < n; r++)
	{
		if (npairs > 0 && pairs[r].user == pairs[r - 1].user && pairs[r].item == pairs[r - 1].item)
		{
			uw[npairs - 1] = SmAddChecked(uw[npairs - 1], pairs[r].weight);
			continue;
		}
		uitem[npairs] = pairs[r].item;
		uw[npairs] = pairs[r].weight;
		uptr[pairs[r].user + 1] = (int32) (npairs + 1);
		npairs++;
	}
	for (int64 u = 1; u <= nusers; u++)
		if (uptr[u] < uptr[u - 1])
			uptr[u] = uptr[u - 1];
	pfree(pairs);
	iptr = SmAllocArray(nitems + 1, sizeof(int32));
	iuser = SmAllocArray(npairs, sizeof(int32));
	iw = SmAllocArray(npairs, sizeof(double));
	for (int64 p = 0; p < npairs; p++)
		iptr[uitem[p] + 1]++;
	for (int64 i = 0; i < nitems; i++)
		iptr[i + 1] += iptr[i];
	{
		int32	   *fill = SmAllocArray(nitems, sizeof(int32));

		for (int64 u = 0; u < nusers; u++)
			for (int32 p = uptr[u]; p < uptr[u + 1]; p++)
			{
				int32		i = uitem[p],
							at = iptr[i] + fill[i]++;

				iuser[at] = (int32) u;
				iw[at] = uw[p];
			}
		pfree(fill);
	}
	norm = SmAllocArray(nitems, sizeof(double));
	for (int64 i = 0; i < nitems; i++)
	{
		double		s = 0;

		for (int32 p = iptr[i]; p < iptr[i + 1]; p++)
			s += iw[p] * iw[p];
		norm[i] = sqrt(s);
	}

	/* per item: accumulate over its users' items, keep the top_k */
	acc = SmAllocArray(nitems, sizeof(double));
	co = SmAllocArray(nitems, sizeof(int32));
	touched = SmAllocArray(nitems, sizeof(int32));
	heap = SmAllocArray(top_k, sizeof(RcCand));
	entries = SmAllocArray(nitems * (int64) top_k, sizeof(RcCand));
	items = SmAllocArray(nitems, sizeof(int64));
	popularity = SmAllocArray(nitems, sizeof(int64));
	offsets = SmAllocArray(nitems + 1, sizeof(int64));
	for (int64 i = 0; i < nitems; i++)
	{
		int			ntouched = 0,
					nheap = 0;
		double		ni = iptr[i + 1] - iptr[i];

		CHECK_FOR_INTERRUPTS();
		items[i] = (int64) itemd[i];
		popularity[i] = iptr[i + 1] - iptr[i];
		for (int32 p = iptr[i]; p < iptr[i + 1]; p++)
		{
			int32		u = iuser[p];
			double		wi = iw[p];

			for (int32 q = uptr[u]; q < uptr[u + 1]; q++)
			{
				int32		j = uitem[q];

				if (co[j] == 0)
					touched[ntouched++] = j;
				co[j]++;
				acc[j] += wi * uw[q];
			}
		}
		for (int t = 0; t < ntouched; t++)
		{
			int32		j = touched[t];
			double		nj = iptr[j + 1] - iptr[j],
						c = co[j],
						score = 0;

			if (j != i && co[j] >= min_support)
			{
				switch (measure)
				{
					case RC_COSINE:
					case RC_SHRUNK_COSINE:
						score = norm[i] > 0 && norm[j] > 0 ? acc[j] / (norm[i] * norm[j]) : 0;
						if (measure == RC_SHRUNK_COSINE)
							score *= c / (c + RC_SHRINKAGE);
						break;
					case RC_JACCARD:
						score = c / (ni + nj - c);
						break;
					case RC_LIFT:
						score = c * (double) nusers / (ni * nj);
						break;
				}
				if (score > 0 && isfinite(score))
				{
					RcCand		cand = {score, (int64) itemd[j], co[j]};

					RcHeapOffer(heap, &nheap, top_k, cand);
				}
			}
			co[j] = 0;
			acc[j] = 0;
		}
		qsort(heap, nheap, sizeof(RcCand), RcCandCmp);
		offsets[i] = nentries;
		memcpy(entries + nentries, heap, nheap * sizeof(RcCand));
		nentries += nheap;
	}
	offsets[nitems] = nentries;
	PG_RETURN_POINTER(RcModelBuild(measure, top_k, min_support, nusers, npairs, nitems, items, popularity,
								   offsets, entries));
}

/* Orders content rows by their first value, the item id (ids are distinct, checked after sorting). */
static int
RcRowCmp(const void *pa, const void *pb)
{
	double		a = ((const double *) pa)[0],
				b = ((const double *) pb)[0];

	return a < b ? -1 : (a > b);
}

PG_FUNCTION_INFO_V1(item_content_similarity_final);
/* Final of item_content_similarity: cosine of every pair of item vectors, top_k per item. */
Datum
item_content_similarity_final(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf = SmRowBufferArg(fcinfo, 0, &sm_item_similarity_kind);
	int			top_k,
				measure,
				min_support,
				w;
	int64		n = buf->nrows,
				nentries = 0;
	double	   *rows,
			   *norm;
	int64	   *items,
			   *popularity,
			   *offsets;
	RcCand	   *entries,
			   *heap;

	if (n == 0)
		PG_RETURN_NULL();
	RcStateOptions(buf, true, &top_k, &measure, &min_support);
	w = buf->ncols;
	rows = SmAllocArray(n * (int64) w, sizeof(double));
	memcpy(rows, buf->values, (Size) n * w * sizeof(double));
	qsort(rows, n, w * sizeof(double), RcRowCmp);
	for (int64 i = 1; i < n; i++)
		if (rows[i * w] == rows[(i - 1) * w])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("item %.0f appears more than once in item_content_similarity", rows[i * w]),
					 errhint("Give one feature vector per item.")));
	norm = SmAllocArray(n, sizeof(double));
	for (int64 i = 0; i < n; i++)
	{
		double		s = 0;

		for (int q = 1; q < w; q++)
			s += rows[i * w + q] * rows[i * w + q];
		norm[i] = sqrt(s);
	}
	heap = SmAllocArray(top_k, sizeof(RcCand));
	entries = SmAllocArray(n * (int64) Min(top_k, Max(n - 1, 1)), sizeof(RcCand));
	items = SmAllocArray(n, sizeof(int64));
	popularity = SmAllocArray(n, sizeof(int64));
	offsets = SmAllocArray(n + 1, sizeof(int64));
	for (int64 i = 0; i < n; i++)
	{
		int			nheap = 0;
		const double *xi = rows + i * w + 1;

		CHECK_FOR_INTERRUPTS();
		items[i] = (int64) rows[i * w];
		for (int64 j = 0; j < n && norm[i] > 0; j++)
		{
			const double *xj = rows + j * w + 1;
			double		dot = 0,
						score;

			if (j == i || norm[j] == 0)
				continue;
			for (int q = 0; q < w - 1; q++)
				dot += xi[q] * xj[q];
			score = dot / (norm[i] * norm[j]);
			if (score > 0 && isfinite(score))
			{
				RcCand		cand = {Min(score, 1.0), (int64) rows[j * w], 0};

				RcHeapOffer(heap, &nheap, top_k, cand);
			}
		}
		qsort(heap, nheap, sizeof(RcCand), RcCandCmp);
		offsets[i] = nentries;
		memcpy(entries + nentries, heap, nheap * sizeof(RcCand));
		nentries += nheap;
	}
	offsets[n] = nentries;
	PG_RETURN_POINTER(RcModelBuild(RC_CONTENT_COSINE, top_k, 0, 0, 0, n, items, popularity, offsets, entries));
}

/* ---------------------------------------------------------------------------------------------------------
 * Readers: neighbors, item_neighbors_blend, recommend
 * --------------------------------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(item_neighbors_rows);
/* neighbors(model): one row per (item, neighbour). */
Datum
item_neighbors_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RcModel    *m = RcModelArg(fcinfo, 0);

	InitMaterializedSRF(fcinfo, 0);
	for (int64 i = 0; i < m->nitems; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int64 e = RcOffsets(m)[i]; e < RcOffsets(m)[i + 1]; e++)
		{
			Datum		values[5];
			bool		nulls[5] = {false, false, false, false, false};

			values[0] = Int64GetDatum(RcItems(m)[i]);
			values[1] = Int64GetDatum(RcNeighbor(m)[e]);
			values[2] = Int32GetDatum((int32) (e - RcOffsets(m)[i] + 1));
			values[3] = Float8GetDatum(RcScore(m)[e]);
			values[4] = Int64GetDatum(RcSupport(m)[e]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(item_neighbors_blend);
/* item_neighbors_blend(a, b, weight_a, top_k): weighted sum of the two models' scores per item. */
Datum
item_neighbors_blend(PG_FUNCTION_ARGS)
{
	RcModel    *a,
			   *b;
	double		wa;
	int			top_k;
	int64		na,
				nb,
				nitems = 0,
				nentries = 0,
				ia = 0,
				ib = 0;
	int64	   *items,
			   *popularity,
			   *offsets,
			   *from_a,
			   *from_b;
	double	   *acc;
	int64	   *sup;
	int32	   *touched;
	bool	   *seen;
	RcCand	   *entries,
			   *heap;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(2))
		SmErrorNullArgument("weight_a");
	a = RcModelArg(fcinfo, 0);
	b = RcModelArg(fcinfo, 1);
	wa = PG_GETARG_FLOAT8(2);
	SmCheckFraction(wa, "weight_a");
	top_k = Max(a->top_k, b->top_k);
	if (!PG_ARGISNULL(3))
	{
		top_k = PG_GETARG_INT32(3);
		SmCheckIntRange(top_k, 1, RC_MAX_TOP_K, "top_k");
	}
	na = a->nitems;
	nb = b->nitems;
	items = SmAllocArray(na + nb, sizeof(int64));
	popularity = SmAllocArray(na + nb, sizeof(int64));
	from_a = SmAllocArray(na + nb, sizeof(int64));
	from_b = SmAllocArray(na + nb, sizeof(int64));
	/* the union of the items, ascending; where each comes from */
	while (ia < na || ib < nb)
	{
		int64		ida = ia < na ? RcItems(a)[ia] : PG_INT64_MAX,
					idb = ib < nb ? RcItems(b)[ib] : PG_INT64_MAX;

		from_a[nitems] = from_b[nitems] = -1;
		if (ia < na && ida <= idb)
		{
			items[nitems] = ida;
			popularity[nitems] = RcPopularity(a)[ia];
			from_a[nitems] = ia++;
			if (ib < nb && idb == ida)
				from_b[nitems] = ib++;
		}
		else
		{
			items[nitems] = idb;
			popularity[nitems] = RcPopularity(b)[ib];
			from_b[nitems] = ib++;
		}
		nitems++;
	}
	acc = SmAllocArray(nitems, sizeof(double));
	sup = SmAllocArray(nitems, sizeof(int64));
	seen = SmAllocArray(nitems, sizeof(bool));
	touched = SmAllocArray(nitems, sizeof(int32));
	heap = SmAllocArray(top_k, sizeof(RcCand));
	entries = SmAllocArray(nitems * (int64) top_k, sizeof(RcCand));
	offsets = SmAllocArray(nitems + 1, sizeof(int64));
	for (int64 i = 0; i < nitems; i++)
	{
		int			ntouched = 0,
					nheap = 0;

		CHECK_FOR_INTERRUPTS();
		for (int side = 0; side < 2; side++)
		{
			RcModel    *m = side == 0 ? a : b;
			int64		at = side == 0 ? from_a[i] : from_b[i];
			double		weight = side == 0 ? wa : 1 - wa;

			if (at < 0)
				continue;
			for (int64 e = RcOffsets(m)[at]; e < RcOffsets(m)[at + 1]; e++)
			{
				int32		j = (int32) RcFindId(items, nitems, RcNeighbor(m)[e]);

				if (!seen[j])
				{
					seen[j] = true;
					touched[ntouched++] = j;
					sup[j] = RcSupport(m)[e];
				}
				acc[j] += weight * RcScore(m)[e];
			}
		}
		for (int t = 0; t < ntouched; t++)
		{
			int32		j = touched[t];

			if (acc[j] > 0)
			{
				RcCand		cand = {acc[j], items[j], sup[j]};

				RcHeapOffer(heap, &nheap, top_k, cand);
			}
			acc[j] = 0;
			seen[j] = false;
		}
		qsort(heap, nheap, sizeof(RcCand), RcCandCmp);
		offsets[i] = nentries;
		memcpy(entries + nentries, heap, nheap * sizeof(RcCand));
		nentries += nheap;
	}
	offsets[nitems] = nentries;
	PG_RETURN_POINTER(RcModelBuild(RC_BLEND, top_k, Min(a->min_support, b->min_support),
								   Max(a->users, b->users), Max(a->interactions, b->interactions), nitems, items,
								   popularity, offsets, entries));
}

/* Reads a bigint[] argument as a sorted distinct id list (NULL elements skipped); NULL array = empty. */
static int64 *
RcIdList(FunctionCallInfo fcinfo, int argno, int *n)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			count,
				m = 0;
	int64	   *ids;

	*n = 0;
	if (PG_ARGISNULL(argno))
		return NULL;
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("item lists must be one-dimensional arrays")));
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &count);
	ids = palloc(Max(count, 1) * sizeof(int64));
	for (int i = 0; i < count; i++)
		if (!nulls[i])
			ids[m++] = DatumGetInt64(elems[i]);
	qsort(ids, m, sizeof(int64), RcInt64Cmp);
	count = m;
	m = 0;
	for (int i = 0; i < count; i++)
		if (m == 0 || ids[i] != ids[m - 1])
			ids[m++] = ids[i];
	*n = m;
	return ids;
}

/* A bigint[] of n ids. */
static ArrayType *
RcIdArray(const int64 *ids, int n)
{
	Datum	   *d = palloc(Max(n, 1) * sizeof(Datum));

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(ids[i]);
	return construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* Emits one recommend() row. */
static void
RcEmit(ReturnSetInfo *rsinfo, int rank, int64 item, double score, const char *source, const int64 *because, int nb)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	values[0] = Int32GetDatum(rank);
	values[1] = Int64GetDatum(item);
	values[2] = Float8GetDatum(score);
	values[3] = CStringGetTextDatum(source);
	values[4] = PointerGetDatum(RcIdArray(because, nb));
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

PG_FUNCTION_INFO_V1(recommend);
/*
 * recommend(model, history, k, exclude): items scored by the sum of their similarity to the (distinct) history
 * items, with the history items that contributed most; popular items fill the list.
 */
Datum
recommend(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RcModel    *m;
	int			k,
				nh,
				ne,
				ntouched = 0,
				nheap = 0,
				rank = 0;
	int64	   *history,
			   *exclude,
			   *hidx;
	double	   *acc;
	bool	   *listed;
	int32	   *touched;
	RcCand	   *heap;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(2))
		SmErrorNullArgument("k");
	k = PG_GETARG_INT32(2);
	SmCheckIntRange(k, 1, RC_MAX_K, "k");
	history = RcIdList(fcinfo, 1, &nh);
	if (PG_ARGISNULL(3))
	{
		exclude = history;
		ne = nh;
	}
	else
		exclude = RcIdList(fcinfo, 3, &ne);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	m = RcModelArgCached(fcinfo, 0);
	acc = SmAllocArray(m->nitems, sizeof(double));
	listed = SmAllocArray(m->nitems, sizeof(bool));
	touched = SmAllocArray(m->nitems, sizeof(int32));
	hidx = SmAllocArray(Max(nh, 1), sizeof(int64));
	heap = SmAllocArray(k, sizeof(RcCand));

	/* similar items: scores summed over the history's neighbour lists */
	for (int h = 0; h < nh; h++)
	{
		int64		hi = RcFindId(RcItems(m), m->nitems, history[h]);

		hidx[h] = hi;
		if (hi < 0)
			continue;
		for (int64 e = RcOffsets(m)[hi]; e < RcOffsets(m)[hi + 1]; e++)
		{
			int32		j = (int32) RcFindId(RcItems(m), m->nitems, RcNeighbor(m)[e]);

			if (!listed[j])
			{
				listed[j] = true;
				touched[ntouched++] = j;
			}
			acc[j] += RcScore(m)[e];
		}
	}
	for (int t = 0; t < ntouched; t++)
	{
		int32		j = touched[t];
		int64		id = RcItems(m)[j];

		listed[j] = false;
		if (acc[j] > 0 && RcFindId(exclude, ne, id) < 0)
		{
			RcCand		cand = {acc[j], id, j};

			RcHeapOffer(heap, &nheap, k, cand);
		}
	}
	qsort(heap, nheap, sizeof(RcCand), RcCandCmp);
	for (int c = 0; c < nheap; c++)
	{
		RcCand		top[RC_BECAUSE];
		int			ntop = 0;
		int64		because[RC_BECAUSE];

		/* the history items that contributed most to this item */
		for (int h = 0; h < nh; h++)
			if (hidx[h] >= 0)
				for (int64 e = RcOffsets(m)[hidx[h]]; e < RcOffsets(m)[hidx[h] + 1]; e++)
					if (RcNeighbor(m)[e] == heap[c].id)
					{
						RcCand		contrib = {RcScore(m)[e], history[h], 0};

						RcHeapOffer(top, &ntop, RC_BECAUSE, contrib);
						break;
					}
		qsort(top, ntop, sizeof(RcCand), RcCandCmp);
		for (int i = 0; i < ntop; i++)
			because[i] = top[i].id;
		listed[heap[c].support] = true;
		RcEmit(rsinfo, ++rank, heap[c].id, heap[c].score, "similar", because, ntop);
	}
	/* popular items fill the rest */
	for (int64 p = 0; p < m->nitems && rank < k; p++)
	{
		int64		j = RcByPopularity(m)[p],
					id = RcItems(m)[j];

		if (RcPopularity(m)[j] == 0)
			break;
		if (listed[j] || RcFindId(exclude, ne, id) >= 0)
			continue;
		RcEmit(rsinfo, ++rank, id, (double) RcPopularity(m)[j], "popular", NULL, 0);
	}
	return (Datum) 0;
}

/* ---------------------------------------------------------------------------------------------------------
 * Association rules
 * --------------------------------------------------------------------------------------------------------- */

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

/* Bytes of a model. */
static Size
ArModelSize(int64 nsets, int64 nitems)
{
	double		words = 2.0 * nsets + 1 + nitems;

	if (nsets < 0 || nitems < 0 || words * 8 > (double) (MaxAllocSize - 1024))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("assoc_rules_model with " INT64_FORMAT " itemsets is too large", nsets),
				 errhint("Raise min_support or lower max_len.")));
	return offsetof(ArModel, data) + (Size) words * 8;
}

/* Allocates a zeroed model. */
static ArModel *
ArModelNew(int64 nsets, int64 nitems)
{
	Size		size = ArModelSize(nsets, nitems);
	ArModel    *m = palloc_extended(size, MCXT_ALLOC_ZERO);

	SET_VARSIZE(m, size);
	m->version = RC_MODEL_VERSION;
	m->nsets = nsets;
	m->nitems = nitems;
	return m;
}

/* Raises the error for an inconsistent assoc_rules_model read from outside. */
static void
ArInvalidModel(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid assoc_rules_model: %s", why)));
}

/* Compares itemsets a (na ids) and b (nb ids): by size, then ids. */
static int
ArSetCmp(const int64 *a, int64 na, const int64 *b, int64 nb)
{
	if (na != nb)
		return na < nb ? -1 : 1;
	for (int64 i = 0; i < na; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

static int64 ArCount(const ArModel *m, const int64 *ids, int64 len);

/* Checks a model read from outside. */
static void
ArModelValidate(const ArModel *m)
{
	const int64 *off = ArOffsets(m);

	if (m->baskets < 0 || !(m->min_support > 0 && m->min_support <= 1) ||
		!(m->min_confidence >= 0 && m->min_confidence <= 1) || m->max_len < 1 || m->max_len > AR_MAX_LEN)
		ArInvalidModel("baskets, min_support, min_confidence and max_len must be in range");
	if (off[0] != 0 || off[m->nsets] != m->nitems)
		ArInvalidModel("offsets must run from 0 to the number of ids");
	for (int64 s = 0; s < m->nsets; s++)
	{
		int64		len = off[s + 1] - off[s];

		if (len < 1 || len > m->max_len)
			ArInvalidModel("every itemset must have 1 to max_len items");
		for (int64 i = off[s]; i < off[s + 1]; i++)
			if (ArItems(m)[i] > RC_MAX_ID_INT || ArItems(m)[i] < -RC_MAX_ID_INT ||
				(i > off[s] && ArItems(m)[i] <= ArItems(m)[i - 1]))
				ArInvalidModel("the ids of an itemset must be ascending, within ±2^53");
		if (ArCounts(m)[s] < 1 || ArCounts(m)[s] > m->baskets)
			ArInvalidModel("counts must lie between 1 and baskets");
		if (s > 0 && ArSetCmp(ArItems(m) + off[s - 1], off[s] - off[s - 1], ArItems(m) + off[s], len) >= 0)
			ArInvalidModel("itemsets must be ordered by size, then ids, without repeats");
	}
	/* what assoc_rules guarantees: every itemset frequent, its subsets in the model and in at least as many baskets */
	for (int64 s = 0; s < m->nsets; s++)
	{
		int64		len = off[s + 1] - off[s],
					sub[AR_MAX_LEN];

		CHECK_FOR_INTERRUPTS();
		if (!((double) ArCounts(m)[s] / (double) m->baskets >= m->min_support))
			ArInvalidModel("every itemset must be frequent: count / baskets >= min_support");
		for (int64 drop = 0; len > 1 && drop < len; drop++)
		{
			int64		n = 0,
						c;

			for (int64 i = 0; i < len; i++)
				if (i != drop)
					sub[n++] = ArItems(m)[off[s] + i];
			c = ArCount(m, sub, n);
			if (c < 0)
				ArInvalidModel("the subsets of every itemset must be in the model");
			if (c < ArCounts(m)[s])
				ArInvalidModel("an itemset cannot be in more baskets than its subsets");
		}
	}
}

/* The model argument, detoasted and checked. */
static ArModel *
ArModelArg(FunctionCallInfo fcinfo, int argno)
{
	ArModel    *m = (ArModel *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (m->version != RC_MODEL_VERSION || m->nsets < 0 || m->nitems < 0 ||
		VARSIZE(m) != ArModelSize(m->nsets, m->nitems))
		elog(ERROR, "assoc_rules_model of unexpected version or size");
	return m;
}

PG_FUNCTION_INFO_V1(assoc_rules_model_in);
/* Text input of assoc_rules_model. */
Datum
assoc_rules_model_in(PG_FUNCTION_ARGS)
{
	SmJsonObject *obj = SmJsonParse(PG_GETARG_CSTRING(0), "assoc_rules_model");
	int64		ival,
				nsets,
				nitems;
	ArModel    *m;

	if (SmJsonOptInt64(obj, "version", &ival) && ival != RC_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("unsupported assoc_rules_model version " INT64_FORMAT, ival)));
	nsets = RcJsonLength(obj, "counts");
	nitems = RcJsonLength(obj, "items");
	m = ArModelNew(nsets, nitems);
	m->baskets = SmJsonGetInt64(obj, "baskets");
	m->min_support = SmJsonGetFloat8(obj, "min_support");
	m->min_confidence = SmJsonGetFloat8(obj, "min_confidence");
	ival = SmJsonGetInt64(obj, "max_len");
	SmCheckIntRange(ival, 1, AR_MAX_LEN, "max_len");
	m->max_len = (int32) ival;
	RcJsonIds(obj, "offsets", nsets + 1, ArOffsets(m));
	RcJsonIds(obj, "items", nitems, ArItems(m));
	RcJsonIds(obj, "counts", nsets, ArCounts(m));
	SmJsonRejectUnknown(obj);
	ArModelValidate(m);
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(assoc_rules_model_out);
/* Text output of assoc_rules_model (JSON). */
Datum
assoc_rules_model_out(PG_FUNCTION_ARGS)
{
	ArModel    *m = ArModelArg(fcinfo, 0);
	StringInfoData out;

	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	SmAppendJsonKey(&out, "version", true);
	appendStringInfo(&out, "%d", m->version);
	SmAppendJsonKey(&out, "baskets", false);
	appendStringInfo(&out, INT64_FORMAT, m->baskets);
	SmAppendJsonKey(&out, "min_support", false);
	SmAppendFloat8(&out, m->min_support);
	SmAppendJsonKey(&out, "min_confidence", false);
	SmAppendFloat8(&out, m->min_confidence);
	SmAppendJsonKey(&out, "max_len", false);
	appendStringInfo(&out, "%d", m->max_len);
	SmAppendJsonKey(&out, "offsets", false);
	RcAppendIds(&out, ArOffsets(m), m->nsets + 1);
	SmAppendJsonKey(&out, "items", false);
	RcAppendIds(&out, ArItems(m), m->nitems);
	SmAppendJsonKey(&out, "counts", false);
	RcAppendIds(&out, ArCounts(m), m->nsets);
	appendStringInfoChar(&out, '}');
	PG_RETURN_CSTRING(out.data);
}

PG_FUNCTION_INFO_V1(assoc_rules_model_recv);
/* Binary input of assoc_rules_model. */
Datum
assoc_rules_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	int			version;
	int64		nsets,
				nitems;
	ArModel    *m;
	int32		max_len;
	int64		baskets;
	double		min_support,
				min_confidence;

	SmRecvCheckRemaining(msg, 1 + 4 + 8 * 5, "assoc_rules_model");
	version = pq_getmsgbyte(msg);
	if (version != RC_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported assoc_rules_model version %d", version)));
	max_len = (int32) pq_getmsgint(msg, 4);
	baskets = pq_getmsgint64(msg);
	min_support = pq_getmsgfloat8(msg);
	min_confidence = pq_getmsgfloat8(msg);
	nsets = pq_getmsgint64(msg);
	nitems = pq_getmsgint64(msg);
	if (nsets < 0 || nitems < 0 || (2.0 * nsets + 1 + nitems) * 8 != (double) (msg->len - msg->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type assoc_rules_model: inconsistent size")));
	m = ArModelNew(nsets, nitems);
	m->max_len = max_len;
	m->baskets = baskets;
	m->min_support = min_support;
	m->min_confidence = min_confidence;
	for (int64 i = 0; i < 2 * nsets + 1 + nitems; i++)
		m->data[i] = pq_getmsgint64(msg);
	ArModelValidate(m);
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(assoc_rules_model_send);
/* Binary output of assoc_rules_model. */
Datum
assoc_rules_model_send(PG_FUNCTION_ARGS)
{
	ArModel    *m = ArModelArg(fcinfo, 0);
	StringInfoData out;

	pq_begintypsend(&out);
	pq_sendbyte(&out, m->version);
	pq_sendint32(&out, m->max_len);
	pq_sendint64(&out, m->baskets);
	pq_sendfloat8(&out, m->min_support);
	pq_sendfloat8(&out, m->min_confidence);
	pq_sendint64(&out, m->nsets);
	pq_sendint64(&out, m->nitems);
	for (int64 i = 0; i < 2 * m->nsets + 1 + m->nitems; i++)
		pq_sendint64(&out, m->data[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&out));
}

PG_FUNCTION_INFO_V1(assoc_rules_transfn);
/* Transition of assoc_rules(basket, item, min_support, min_confidence [, max_len]). */
Datum
assoc_rules_transfn(PG_FUNCTION_ARGS)
{
	float8		params[SM_ROWS_PARAMS] = {0};
	float8		row[2];
	SmRowBuffer *buf;
	int32		max_len = 3;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SM_SKIP_ROW();
	if (PG_ARGISNULL(3))
		SmErrorNullArgument("min_support");
	if (PG_ARGISNULL(4))
		SmErrorNullArgument("min_confidence");
	params[AR_P_MIN_SUPPORT] = PG_GETARG_FLOAT8(3);
	params[AR_P_MIN_CONFIDENCE] = PG_GETARG_FLOAT8(4);
	SmCheckFinite(params[AR_P_MIN_SUPPORT], "min_support");
	if (!(params[AR_P_MIN_SUPPORT] > 0 && params[AR_P_MIN_SUPPORT] <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_support must be a fraction of the baskets in (0, 1], got %g", params[AR_P_MIN_SUPPORT])));
	SmCheckFraction(params[AR_P_MIN_CONFIDENCE], "min_confidence");
	if (PG_NARGS() > 5)
	{
		if (PG_ARGISNULL(5))
			SmErrorNullArgument("max_len");
		max_len = PG_GETARG_INT32(5);
		SmCheckIntRange(max_len, 1, AR_MAX_LEN, "max_len");
	}
	params[AR_P_MAX_LEN] = max_len;
	row[0] = RcId(PG_GETARG_INT64(1), "basket_id");
	row[1] = RcId(PG_GETARG_INT64(2), "item_id");
	buf = SmRowBufferForUpdate(fcinfo, &sm_assoc_rules_kind);
	SmRowBufferSetParams(buf, &sm_assoc_rules_kind, params);
	buf = SmRowBufferAppend(buf, &sm_assoc_rules_kind, row, CurrentMemoryContext);
	PG_RETURN_POINTER(buf);
}

/* The itemsets found so far (Eclat's output). */
typedef struct ArSets
{
	int64		nsets;
	int64		maxsets;
	int64		nids;
	int64		maxids;
	int64	   *offsets;		/* nsets + 1 */
	int32	   *ids;			/* dense item numbers */
	int64	   *counts;
	int			max_len;
	int64		min_count;		/* smallest frequent count */
	int64		baskets;
	double		min_support;
	int32	   *pair_count;		/* top-level candidates' pair counts (triangular), or NULL */
	int64		ncand;
} ArSets;

/* Most pair counters assoc_rules keeps (4 bytes each); with more frequent items it intersects basket lists. */
#define AR_MAX_PAIR_COUNTERS (64 * 1024 * 1024)

/* Position of the pair (a, b), a < b, of n candidates in the triangular pair counters. */
static inline int64
ArPair(int64 a, int64 b, int64 n)
{
	return a * (2 * n - a - 1) / 2 + (b - a - 1);
}

/* Whether count baskets of all are frequent: count / baskets >= min_support, in float8 as documented. */
static inline bool
ArFrequent(const ArSets *s, int64 count)
{
	return count > 0 && (double) count / (double) s->baskets >= s->min_support;
}

/* Records an itemset (prefix + item). */
static void
ArEmit(ArSets *s, const int32 *prefix, int len, int32 item, int64 count)
{
	if (s->nsets >= AR_MAX_ITEMSETS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more than %d frequent itemsets", AR_MAX_ITEMSETS),
				 errhint("Raise min_support or lower max_len.")));
	if (s->nsets + 1 >= s->maxsets)
	{
		s->maxsets *= 2;
		s->offsets = repalloc_huge(s->offsets, (s->maxsets + 1) * sizeof(int64));
		s->counts = repalloc_huge(s->counts, s->maxsets * sizeof(int64));
	}
	if (s->nids + len + 1 > s->maxids)
	{
		while (s->nids + len + 1 > s->maxids)
			s->maxids *= 2;
		s->ids = repalloc_huge(s->ids, s->maxids * sizeof(int32));
	}
	memcpy(s->ids + s->nids, prefix, len * sizeof(int32));
	s->ids[s->nids + len] = item;
	s->nids += len + 1;
	s->counts[s->nsets] = count;
	s->offsets[++s->nsets] = s->nids;
}

/* Intersects two ascending basket lists into out; returns its length. */
static int64
ArIntersect(const int32 *a, int64 na, const int32 *b, int64 nb, int32 *out)
{
	int64		i = 0,
				j = 0,
				n = 0;

	while (i < na && j < nb)
	{
		if (a[i] < b[j])
			i++;
		else if (a[i] > b[j])
			j++;
		else
		{
			out[n++] = a[i];
			i++;
			j++;
		}
	}
	return n;
}

/*
 * Eclat: extends the prefix (len items) by each of the candidate items, whose basket lists (with the prefix)
 * are given; records every frequent extension and recurses while below max_len.
 */
static void
ArEclat(ArSets *s, int32 *prefix, int len, int ncand, const int32 *cand, int32 *const *lists, const int64 *sizes)
{
	for (int a = 0; a < ncand; a++)
	{
		int32	   *next_cand;
		int32	  **next_lists;
		int64	   *next_sizes;
		int			nnext = 0;

		CHECK_FOR_INTERRUPTS();
		ArEmit(s, prefix, len, cand[a], sizes[a]);
		if (len + 1 >= s->max_len || a == ncand - 1)
			continue;
		next_cand = palloc((ncand - a) * sizeof(int32));
		next_lists = palloc((ncand - a) * sizeof(int32 *));
		next_sizes = palloc((ncand - a) * sizeof(int64));
		for (int b = a + 1; b < ncand; b++)
		{
			int32	   *out;
			int64		n;

			if (len == 0 && s->pair_count)
			{
				/* pairs were counted in one pass over the baskets: intersect only the frequent ones */
				n = s->pair_count[ArPair(a, b, s->ncand)];
				if (!ArFrequent(s, n))
					continue;
				if (s->max_len == 2)
				{
					next_cand[nnext] = cand[b];
					next_lists[nnext] = NULL;
					next_sizes[nnext++] = n;
					continue;
				}
			}
			out = palloc_extended(Max(Min(sizes[a], sizes[b]), 1) * sizeof(int32), MCXT_ALLOC_HUGE);
			n = ArIntersect(lists[a], sizes[a], lists[b], sizes[b], out);
			if (ArFrequent(s, n))
			{
				next_cand[nnext] = cand[b];
				next_lists[nnext] = out;
				next_sizes[nnext++] = n;
			}
			else
				pfree(out);
		}
		prefix[len] = cand[a];
		ArEclat(s, prefix, len + 1, nnext, next_cand, next_lists, next_sizes);
		for (int b = 0; b < nnext; b++)
			if (next_lists[b])
				pfree(next_lists[b]);
		pfree(next_cand);
		pfree(next_lists);
		pfree(next_sizes);
	}
}

/* One (basket, item) row, for sorting. */
typedef struct ArRow
{
	double		basket;
	int32		item;
} ArRow;

/* Orders rows by basket, then item. */
static int
ArRowCmp(const void *pa, const void *pb)
{
	const ArRow *a = pa,
			   *b = pb;

	if (a->basket != b->basket)
		return a->basket < b->basket ? -1 : 1;
	return a->item < b->item ? -1 : (a->item > b->item);
}

/* Orders itemset numbers by size, then ids (qsort context). */
static const ArSets *ar_sort_sets;

/* Comparator of the itemset order. */
static int
ArSetOrderCmp(const void *pa, const void *pb)
{
	int64		a = *(const int64 *) pa,
				b = *(const int64 *) pb;
	const ArSets *s = ar_sort_sets;
	int64		la = s->offsets[a + 1] - s->offsets[a],
				lb = s->offsets[b + 1] - s->offsets[b];

	if (la != lb)
		return la < lb ? -1 : 1;
	for (int64 i = 0; i < la; i++)
	{
		int32		x = s->ids[s->offsets[a] + i],
					y = s->ids[s->offsets[b] + i];

		if (x != y)
			return x < y ? -1 : 1;	/* dense numbers follow id order */
	}
	return 0;
}

PG_FUNCTION_INFO_V1(assoc_rules_final);
/* Final of assoc_rules: the frequent itemsets (Eclat). */
Datum
assoc_rules_final(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf = SmRowBufferArg(fcinfo, 0, &sm_assoc_rules_kind);
	const float8 *p = buf->params;
	int64		n = buf->nrows,
				nitems,
				nbaskets = 0,
				nlines = 0;
	double	   *itemd;
	ArRow	   *rows;
	ArSets		s;
	int32	  **lists,
			   *cand,
			   *prefix;
	int64	   *sizes,
			   *order,
				ids_total = 0;
	int			ncand = 0;
	ArModel    *m;
	MemoryContext work,
				old;

	if (n == 0)
		PG_RETURN_NULL();
	if (!(buf->flags & SM_ROWS_PARAMS_SET) || !(p[AR_P_MIN_SUPPORT] > 0 && p[AR_P_MIN_SUPPORT] <= 1) ||
		!(p[AR_P_MIN_CONFIDENCE] >= 0 && p[AR_P_MIN_CONFIDENCE] <= 1) || p[AR_P_MAX_LEN] < 1 ||
		p[AR_P_MAX_LEN] > AR_MAX_LEN || p[AR_P_MAX_LEN] != floor(p[AR_P_MAX_LEN]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid assoc_rules_state: parameters out of range")));
	for (int64 r = 0; r < 2 * n; r++)
		if (buf->values[r] != floor(buf->values[r]) || fabs(buf->values[r]) > RC_MAX_ID)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid assoc_rules_state: ids must be whole numbers within ±2^53")));
	if (n >= PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many basket lines for assoc_rules")));
	work = AllocSetContextCreate(CurrentMemoryContext, "assoc_rules", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);

	/* dense item numbers; rows sorted by basket, duplicates dropped */
	itemd = SmAllocArray(n, sizeof(double));
	for (int64 r = 0; r < n; r++)
		itemd[r] = buf->values[r * 2 + 1];
	nitems = RcUnique(itemd, n);
	rows = SmAllocArray(n, sizeof(ArRow));
	for (int64 r = 0; r < n; r++)
	{
		rows[r].basket = buf->values[r * 2];
		rows[r].item = (int32) RcFind(itemd, nitems, buf->values[r * 2 + 1]);
	}
	qsort(rows, n, sizeof(ArRow), ArRowCmp);
	CHECK_FOR_INTERRUPTS();
	/* item -> ascending basket numbers */
	sizes = SmAllocArray(nitems, sizeof(int64));
	for (int64 r = 0; r < n; r++)
	{
		if (r > 0 && rows[r].basket == rows[r - 1].basket && rows[r].item == rows[r - 1].item)
			continue;
		if (r == 0 || rows[r].basket != rows[r - 1].basket)
			nbaskets++;
		sizes[rows[r].item]++;
	}
	lists = SmAllocArray(nitems, sizeof(int32 *));
	for (int64 i = 0; i < nitems; i++)
		lists[i] = SmAllocArray(Max(sizes[i], 1), sizeof(int32));
	memset(sizes, 0, nitems * sizeof(int64));
	nbaskets = 0;
	for (int64 r = 0; r < n; r++)
	{
		if (r > 0 && rows[r].basket == rows[r - 1].basket && rows[r].item == rows[r - 1].item)
			continue;
		if (r == 0 || rows[r].basket != rows[r - 1].basket)
			nbaskets++;
		lists[rows[r].item][sizes[rows[r].item]++] = (int32) (nbaskets - 1);
		nlines++;
	}
	pfree(rows);

	memset(&s, 0, sizeof(s));
	s.baskets = nbaskets;
	s.min_support = p[AR_P_MIN_SUPPORT];
	s.max_len = (int) p[AR_P_MAX_LEN];
	s.maxsets = 1024;
	s.maxids = 4096;
	s.offsets = palloc0((s.maxsets + 1) * sizeof(int64));
	s.counts = palloc(s.maxsets * sizeof(int64));
	s.ids = palloc(s.maxids * sizeof(int32));
	cand = SmAllocArray(nitems, sizeof(int32));
	for (int64 i = 0; i < nitems; i++)
		if (ArFrequent(&s, sizes[i]))
		{
			cand[ncand] = (int32) i;
			lists[ncand] = lists[i];
			sizes[ncand++] = sizes[i];
		}
	/* the pairs of frequent items, counted in one pass over the baskets' frequent items */
	s.ncand = ncand;
	if (s.max_len >= 2 && ncand >= 2 && (int64) ncand * (ncand - 1) / 2 <= AR_MAX_PAIR_COUNTERS)
	{
		int64	   *bptr = SmAllocArray(nbaskets + 1, sizeof(int64));
		int32	   *bitems;
		int64	   *fill = SmAllocArray(nbaskets, sizeof(int64));

		for (int c = 0; c < ncand; c++)
			for (int64 t = 0; t < sizes[c]; t++)
				bptr[lists[c][t] + 1]++;
		for (int64 b = 0; b < nbaskets; b++)
			bptr[b + 1] += bptr[b];
		bitems = SmAllocArray(Max(bptr[nbaskets], 1), sizeof(int32));
		for (int c = 0; c < ncand; c++)
			for (int64 t = 0; t < sizes[c]; t++)
			{
				int32		b = lists[c][t];

				bitems[bptr[b] + fill[b]++] = c;	/* ascending: candidates are visited in order */
			}
		s.pair_count = SmAllocArray((int64) ncand * (ncand - 1) / 2, sizeof(int32));
		for (int64 b = 0; b < nbaskets; b++)
		{
			if ((b & 4095) == 0)
				CHECK_FOR_INTERRUPTS();
			for (int64 i = bptr[b]; i < bptr[b + 1]; i++)
				for (int64 j = i + 1; j < bptr[b + 1]; j++)
					s.pair_count[ArPair(bitems[i], bitems[j], ncand)]++;
		}
		pfree(bptr);
		pfree(bitems);
		pfree(fill);
	}
	prefix = SmAllocArray(AR_MAX_LEN, sizeof(int32));
	ArEclat(&s, prefix, 0, ncand, cand, lists, sizes);

	/* itemsets ordered by size, then ids */
	order = SmAllocArray(s.nsets, sizeof(int64));
	for (int64 i = 0; i < s.nsets; i++)
	{
		order[i] = i;
		ids_total += s.offsets[i + 1] - s.offsets[i];
	}
	ar_sort_sets = &s;
	qsort(order, s.nsets, sizeof(int64), ArSetOrderCmp);
	MemoryContextSwitchTo(old);
	m = ArModelNew(s.nsets, ids_total);
	m->baskets = nbaskets;
	m->min_support = p[AR_P_MIN_SUPPORT];
	m->min_confidence = p[AR_P_MIN_CONFIDENCE];
	m->max_len = s.max_len;
	for (int64 k = 0, at = 0; k < s.nsets; k++)
	{
		int64		i = order[k];

		for (int64 q = s.offsets[i]; q < s.offsets[i + 1]; q++)
			ArItems(m)[at++] = (int64) itemd[s.ids[q]];
		ArOffsets(m)[k + 1] = at;
		ArCounts(m)[k] = s.counts[i];
	}
	MemoryContextDelete(work);
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(assoc_frequent_itemsets);
/* frequent_itemsets(model): one row per itemset. */
Datum
assoc_frequent_itemsets(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArModel    *m = ArModelArg(fcinfo, 0);

	InitMaterializedSRF(fcinfo, 0);
	for (int64 s = 0; s < m->nsets; s++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		CHECK_FOR_INTERRUPTS();
		values[0] = PointerGetDatum(RcIdArray(ArItems(m) + ArOffsets(m)[s], (int) (ArOffsets(m)[s + 1] - ArOffsets(m)[s])));
		values[1] = Float8GetDatum((double) ArCounts(m)[s] / (double) m->baskets);
		values[2] = Int64GetDatum(ArCounts(m)[s]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* Count of an itemset in the model (binary search in the model's order); -1 when absent. */
static int64
ArCount(const ArModel *m, const int64 *ids, int64 len)
{
	int64		lo = 0,
				hi = m->nsets - 1;

	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;
		int			c = ArSetCmp(ArItems(m) + ArOffsets(m)[mid], ArOffsets(m)[mid + 1] - ArOffsets(m)[mid], ids, len);

		if (c < 0)
			lo = mid + 1;
		else if (c > 0)
			hi = mid - 1;
		else
			return ArCounts(m)[mid];
	}
	return -1;
}

/* One antecedent of an itemset: a bit mask over its items, for sorting. */
static int	ar_sort_len;
static const int64 *ar_sort_ids;

/* Orders antecedent masks by size, then ids. */
static int
ArMaskCmp(const void *pa, const void *pb)
{
	uint32		a = *(const uint32 *) pa,
				b = *(const uint32 *) pb;
	int64		xa[AR_MAX_LEN],
				xb[AR_MAX_LEN];
	int			na = 0,
				nb = 0;

	for (int i = 0; i < ar_sort_len; i++)
	{
		if (a & (1u << i))
			xa[na++] = ar_sort_ids[i];
		if (b & (1u << i))
			xb[nb++] = ar_sort_ids[i];
	}
	return ArSetCmp(xa, na, xb, nb);
}

PG_FUNCTION_INFO_V1(assoc_rules_rows);
/* rules(model): every rule A -> C of the frequent itemsets with confidence >= min_confidence. */
Datum
assoc_rules_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArModel    *m = ArModelArg(fcinfo, 0);
	uint32	   *masks = palloc(((1u << AR_MAX_LEN)) * sizeof(uint32));
	double		B = (double) m->baskets;

	InitMaterializedSRF(fcinfo, 0);
	for (int64 s = 0; s < m->nsets; s++)
	{
		const int64 *ids = ArItems(m) + ArOffsets(m)[s];
		int			len = (int) (ArOffsets(m)[s + 1] - ArOffsets(m)[s]),
					nmasks = 0;
		double		count = (double) ArCounts(m)[s];

		CHECK_FOR_INTERRUPTS();
		if (len < 2)
			continue;
		for (uint32 mask = 1; mask < (1u << len) - 1; mask++)
			masks[nmasks++] = mask;
		ar_sort_len = len;
		ar_sort_ids = ids;
		qsort(masks, nmasks, sizeof(uint32), ArMaskCmp);
		for (int q = 0; q < nmasks; q++)
		{
			int64		ante[AR_MAX_LEN],
						cons[AR_MAX_LEN],
						ca,
						cc;
			int			na = 0,
						nc = 0;
			double		conf,
						sc;
			Datum		values[8];
			bool		nulls[8] = {false, false, false, false, false, false, false, false};

			for (int i = 0; i < len; i++)
			{
				if (masks[q] & (1u << i))
					ante[na++] = ids[i];
				else
					cons[nc++] = ids[i];
			}
			ca = ArCount(m, ante, na);
			cc = ArCount(m, cons, nc);
			if (ca <= 0 || cc <= 0)
				ArInvalidModel("an itemset's subsets must be in the model too");
			conf = count / (double) ca;
			if (!(conf >= m->min_confidence))
				continue;
			sc = (double) cc / B;
			values[0] = PointerGetDatum(RcIdArray(ante, na));
			values[1] = PointerGetDatum(RcIdArray(cons, nc));
			values[2] = Float8GetDatum(count / B);
			values[3] = Float8GetDatum(conf);
			values[4] = Float8GetDatum(conf / sc);
			values[5] = Float8GetDatum(count / B - ((double) ca / B) * sc);
			values[6] = Float8GetDatum(conf >= 1 ? get_float8_infinity() : (1 - sc) / (1 - conf));
			values[7] = Int64GetDatum(ArCounts(m)[s]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
