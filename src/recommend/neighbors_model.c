/*
 * recommend/neighbors_model.c — the item_neighbors type: items (ascending ids), popularity and neighbour lists,
 * with the derived popularity order; its layout checks, JSON text and binary I/O, the detoasted (and cached)
 * argument, measure names, and the model built from per-item lists.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "core/binary.h"
#include "core/json.h"
#include "core/validate.h"
#include "recommend/recommend.h"

/* Names of the measures, by code (text form of item_neighbors and of the measure arguments). */
static const char *const rc_measure_names[] = {NULL, "cosine", "jaccard", "lift", "shrunk_cosine", "content_cosine", "blend"};

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

/* Checks a model read from outside: ids, order, offsets, neighbour lists. */
static void
RcModelValidate(const RcModel *m)
{
	const int64 *items = RcItems(m),
			   *off = RcOffsets(m);

	if (m->measure < RC_COSINE || m->measure > RC_BLEND || m->top_k < 1 || m->top_k > RC_MAX_TOP_K ||
		m->min_support < 0 || m->users < 0 || m->interactions < 0)
		SmErrorInvalidValue("item_neighbors", "measure, top_k, min_support, users and interactions must be in range");
	for (int64 i = 0; i < m->nitems; i++)
	{
		if (i > 0 && items[i] <= items[i - 1])
			SmErrorInvalidValue("item_neighbors", "items must be ascending ids");
		if (RcPopularity(m)[i] < 0)
			SmErrorInvalidValue("item_neighbors", "popularity must not be negative");
	}
	if (off[0] != 0 || off[m->nitems] != m->nentries)
		SmErrorInvalidValue("item_neighbors", "offsets must run from 0 to the number of neighbours");
	for (int64 i = 0; i < m->nitems; i++)
	{
		if (off[i + 1] < off[i] || off[i + 1] - off[i] > RC_MAX_TOP_K)
			SmErrorInvalidValue("item_neighbors", "offsets must not decrease, and a list holds at most 1000 neighbours");
		for (int64 e = off[i]; e < off[i + 1]; e++)
		{
			double		s = RcScore(m)[e];

			if (RcFindId(items, m->nitems, RcNeighbor(m)[e]) < 0 || RcNeighbor(m)[e] == items[i])
				SmErrorInvalidValue("item_neighbors", "every neighbour must be another item of the model");
			if (!isfinite(s) || s <= 0 || RcSupport(m)[e] < 0)
				SmErrorInvalidValue("item_neighbors", "scores must be positive and finite, supports non-negative");
			if (e > off[i] && (s > RcScore(m)[e - 1] ||
							   (s == RcScore(m)[e - 1] && RcNeighbor(m)[e] <= RcNeighbor(m)[e - 1])))
				SmErrorInvalidValue("item_neighbors", "a neighbour list must be ordered by score descending, then id ascending, without repeats");
		}
	}
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
RcModel *
RcModelArg(FunctionCallInfo fcinfo, int argno)
{
	return RcModelCheck((RcModel *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno)));
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
RcModel *
RcModelArgCached(FunctionCallInfo fcinfo, int argno)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	RcModelCache *cache = (RcModelCache *) fcinfo->flinfo->fn_extra;
	Size		len;
	MemoryContext old;
	struct varlena *copy;
	RcModel    *model;

	if (VARATT_IS_EXTERNAL(raw))
		return RcModelArg(fcinfo, argno);	/* a TOAST pointer: fetch it as usual */
	len = VARSIZE_ANY(raw);
	if (cache && VARSIZE_ANY(cache->raw) == len && memcmp(cache->raw, raw, len) == 0)
		return cache->model;
	/* check the new value before touching the cache, so an error never leaves it pointing at freed memory */
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	copy = palloc(len);
	memcpy(copy, raw, len);
	model = RcModelCheck((RcModel *) PG_DETOAST_DATUM(PointerGetDatum(copy)));
	if (cache == NULL)
		cache = fcinfo->flinfo->fn_extra = palloc0(sizeof(RcModelCache));
	else
	{
		pfree(cache->raw);
		if ((Pointer) cache->model != (Pointer) cache->raw)
			pfree(cache->model);
	}
	cache->raw = copy;
	cache->model = model;
	MemoryContextSwitchTo(old);
	return cache->model;
}

/* Parses a measure name; 0 when unknown. */
int
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
	SmAppendInt64Array(&out, RcItems(m), m->nitems);
	SmAppendJsonKey(&out, "popularity", false);
	SmAppendInt64Array(&out, RcPopularity(m), m->nitems);
	SmAppendJsonKey(&out, "offsets", false);
	SmAppendInt64Array(&out, RcOffsets(m), m->nitems + 1);
	SmAppendJsonKey(&out, "neighbor", false);
	SmAppendInt64Array(&out, RcNeighbor(m), m->nentries);
	SmAppendJsonKey(&out, "score", false);
	SmAppendFloat8Array(&out, RcScore(m), m->nentries);
	SmAppendJsonKey(&out, "support", false);
	SmAppendInt64Array(&out, RcSupport(m), m->nentries);
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
	SmRecvInt64Array(msg, m->data, 3 * nitems + 1 + 2 * nentries, "item_neighbors");
	SmRecvFloat8Array(msg, RcScore(m), nentries, "item_neighbors");
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
	SmSendInt64Array(&out, m->data, 3 * m->nitems + 1 + 2 * m->nentries);
	SmSendFloat8Array(&out, RcScore(m), m->nentries);
	PG_RETURN_BYTEA_P(pq_endtypsend(&out));
}

/* A model built from per-item lists (items ascending; lists best first). */
RcModel *
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
