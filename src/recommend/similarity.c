/*
 * recommend/similarity.c — the aggregates item_similarity and item_content_similarity (collect-then-compute on
 * the item_similarity_state row buffer) -> item_neighbors, and the bounded top-k heap every neighbour list uses.
 *
 * item_similarity is a sparse product, not all pairs: the interactions become a user -> items index and an
 * item -> users index; for each item i a dense accumulator over items collects, for every user of i and every
 * item j of that user, the co-occurrence count and the weight product; the top_k neighbours of i are kept with
 * a bounded heap.  Time grows with the sum over users of (items per user)^2, memory with interactions + items.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "core/features.h"
#include "core/options.h"
#include "core/row_buffer.h"
#include "core/validate.h"
#include "recommend/recommend.h"

static int RcV1IntCols(const float8 *params, int ncols);

/* [user, item, weight] interactions (2 int columns), or [item, features...] for content similarity (1) */
const SmRowKind sm_item_similarity_kind = {
	.typname = "item_similarity_state", .id = 5, .ncols = 0, .int_cols = SM_ROWS_INT_COLS_PER_BUFFER,
	.param_names = {"top_k", "measure", "min_support"}, .initial_rows = 64, .v1_int_cols = RcV1IntCols,
};

SM_ROW_BUFFER_IO(item_similarity_state, sm_item_similarity_kind)
SM_ROW_BUFFER_COMBINE(item_similarity_state, sm_item_similarity_kind)

#define RC_SHRINKAGE 10.0

/* Parameter slots of item_similarity_state. */
enum
{
	RC_P_TOP_K, RC_P_MEASURE, RC_P_MIN_SUPPORT
};

/* The int (id) columns of a version-1 item_similarity_state: the item of content rows, else user and item. */
static int
RcV1IntCols(const float8 *params, int ncols)
{
	return params[RC_P_MEASURE] == RC_CONTENT_COSINE ? 1 : 2;
}

/* ---------------------------------------------------------------------------------------------------------
 * Top-k lists: a bounded min-heap of (score, id), the worst kept entry on top
 * --------------------------------------------------------------------------------------------------------- */

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
void
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
int
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

/* ---------------------------------------------------------------------------------------------------------
 * item_similarity
 * --------------------------------------------------------------------------------------------------------- */

/* Appends one (user, item, weight) interaction (arguments 1-3; weight NULL or absent = 1) with its options. */
static Datum
RcCollectInteraction(FunctionCallInfo fcinfo, int top_k, int measure, int min_support)
{
	float8		params[SM_ROWS_PARAMS] = {0};
	float8		row[3];
	SmRowBuffer *buf;

	SmSlotSetInt(&row[0], PG_GETARG_INT64(1));
	SmSlotSetInt(&row[1], PG_GETARG_INT64(2));
	row[2] = PG_NARGS() > 3 && !PG_ARGISNULL(3) ? PG_GETARG_FLOAT8(3) : 1.0;
	SmCheckNonNegative(row[2], "weight");
	if (row[2] > SM_MAX_FEATURE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("weight %g is out of range: weights must be at most 1e100", row[2]),
				 errhint("Rescale the weights (cosine does not change with their scale).")));
	params[RC_P_TOP_K] = top_k;
	params[RC_P_MEASURE] = measure;
	params[RC_P_MIN_SUPPORT] = min_support;
	buf = SmRowBufferForUpdate(fcinfo, &sm_item_similarity_kind);
	SmRowBufferSetParams(buf, &sm_item_similarity_kind, params);
	SmRowBufferSetCols(buf, &sm_item_similarity_kind, 3, 2, "interaction");
	buf = SmRowBufferAppend(buf, &sm_item_similarity_kind, row, CurrentMemoryContext);
	PG_RETURN_POINTER(buf);
}

PG_FUNCTION_INFO_V1(item_similarity_transfn);
/* Transition of item_similarity(user, item [, weight, top_k, measure, min_support]). */
Datum
item_similarity_transfn(PG_FUNCTION_ARGS)
{
	int			nargs = PG_NARGS();
	int32		top_k = 20,
				min_support = 1;
	int			measure = RC_COSINE;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SM_SKIP_ROW();
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
	return RcCollectInteraction(fcinfo, top_k, measure, min_support);
}

/* Fields of similarity_options, in the maker's argument order. */
enum
{
	RCO_TOP_K, RCO_MEASURE, RCO_MIN_SUPPORT, RCO_NFIELDS
};

/* The measures by name, in code order from RC_COSINE (the stored choice index is code - RC_COSINE). */
static const char *const rc_option_measures[] = {"cosine", "jaccard", "lift", "shrunk_cosine", NULL};

/* similarity_options: item_similarity's tuning arguments by name; defaults those of the positional forms. */
static const SmOptionsKind sm_similarity_options_kind = {
	.typname = "similarity_options", .id = 2, .nfields = RCO_NFIELDS,
	.fields = {
		[RCO_TOP_K] = {.name = "top_k", .type = SM_OPT_INT, .min = 1, .max = RC_MAX_TOP_K,
		.has_default = true, .default_value = 20},
		[RCO_MEASURE] = {.name = "measure", .type = SM_OPT_CHOICE, .choices = rc_option_measures,
		.has_default = true, .default_value = 0},
		[RCO_MIN_SUPPORT] = {.name = "min_support", .type = SM_OPT_INT, .min = 1, .max = PG_INT32_MAX,
		.has_default = true, .default_value = 1},
	},
};

SM_OPTIONS_FUNCTIONS(similarity_options, sm_similarity_options_kind)

PG_FUNCTION_INFO_V1(item_similarity_options_transfn);
/* Transition of item_similarity(user, item, weight, options). */
Datum
item_similarity_options_transfn(PG_FUNCTION_ARGS)
{
	const SmOptions *o;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SM_SKIP_ROW();
	o = SmOptionsArg(fcinfo, 4, &sm_similarity_options_kind);
	return RcCollectInteraction(fcinfo, (int) o->values[RCO_TOP_K], RC_COSINE + (int) o->values[RCO_MEASURE],
								(int) o->values[RCO_MIN_SUPPORT]);
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
	SmSlotSetInt(&row[0], PG_GETARG_INT64(1));
	memcpy(row + 1, v, d * sizeof(double));
	params[RC_P_TOP_K] = top_k;
	params[RC_P_MEASURE] = RC_CONTENT_COSINE;
	params[RC_P_MIN_SUPPORT] = 0;
	buf = SmRowBufferForUpdate(fcinfo, &sm_item_similarity_kind);
	SmRowBufferSetParams(buf, &sm_item_similarity_kind, params);
	SmRowBufferSetCols(buf, &sm_item_similarity_kind, d + 1, 1, "features");
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
		(content ? p[RC_P_MEASURE] != RC_CONTENT_COSINE || buf->ncols < 2 || buf->int_cols != 1 :
		 (p[RC_P_MEASURE] < RC_COSINE || p[RC_P_MEASURE] > RC_SHRUNK_COSINE || buf->ncols != 3 ||
		  buf->int_cols != 2)))
		SmErrorInvalidValue("item_similarity_state", "parameters or width out of range");
	*top_k = (int) p[RC_P_TOP_K];
	*measure = (int) p[RC_P_MEASURE];
	*min_support = (int) p[RC_P_MIN_SUPPORT];
	for (int64 r = 0; r < buf->nrows; r++)
	{
		const double *row = buf->values + r * buf->ncols;

		if (!content && !(row[2] >= 0 && row[2] <= SM_MAX_FEATURE))
			SmErrorInvalidValue("item_similarity_state", "weights must lie in [0, 1e100]");
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
	int64	   *users,
			   *itemd;
	double	   *norm,
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
	users = SmAllocArray(n, sizeof(int64));
	itemd = SmAllocArray(n, sizeof(int64));
	for (int64 r = 0; r < n; r++)
	{
		users[r] = SmSlotInt(&buf->values[r * 3]);
		itemd[r] = SmSlotInt(&buf->values[r * 3 + 1]);
	}
	nusers = RcUniqueIds(users, n);
	nitems = RcUniqueIds(itemd, n);
	CHECK_FOR_INTERRUPTS();
	pairs = SmAllocArray(n, sizeof(RcPair));
	for (int64 r = 0; r < n; r++)
	{
		pairs[r].user = (int32) RcFindId(users, nusers, SmSlotInt(&buf->values[r * 3]));
		pairs[r].item = (int32) RcFindId(itemd, nitems, SmSlotInt(&buf->values[r * 3 + 1]));
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
		items[i] = itemd[i];
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

/* Orders content rows by their first slot, the int64 item id (ids are distinct, checked after sorting). */
static int
RcRowCmp(const void *pa, const void *pb)
{
	int64		a = SmSlotInt((const float8 *) pa),
				b = SmSlotInt((const float8 *) pb);

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
		if (SmSlotInt(&rows[i * w]) == SmSlotInt(&rows[(i - 1) * w]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("item " INT64_FORMAT " appears more than once in item_content_similarity",
							SmSlotInt(&rows[i * w])),
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
		items[i] = SmSlotInt(&rows[i * w]);
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
				RcCand		cand = {Min(score, 1.0), SmSlotInt(&rows[j * w]), 0};

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
