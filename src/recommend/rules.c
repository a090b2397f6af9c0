/*
 * recommend/rules.c — association rules: the assoc_rules aggregate (basket lines collected in the
 * assoc_rules_state row buffer) -> assoc_rules_model, and its readers frequent_itemsets() and rules().
 *
 * assoc_rules finds frequent itemsets by Eclat (depth-first over sorted basket lists, intersecting them), which
 * gives the same itemsets as Apriori or FP-growth; rules() derives the rules from the itemsets' counts.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "core/options.h"
#include "core/row_buffer.h"
#include "core/validate.h"
#include "recommend/recommend.h"

/* basket, item */
const SmRowKind sm_assoc_rules_kind = {
	.typname = "assoc_rules_state", .id = 6, .ncols = 2, .int_cols = 2,
	.param_names = {"min_support", "min_confidence", "max_len"}, .initial_rows = 64,
};

SM_ROW_BUFFER_IO(assoc_rules_state, sm_assoc_rules_kind)
SM_ROW_BUFFER_COMBINE(assoc_rules_state, sm_assoc_rules_kind)

#define AR_MAX_ITEMSETS 5000000

/* Parameter slots of assoc_rules_state. */
enum
{
	AR_P_MIN_SUPPORT, AR_P_MIN_CONFIDENCE, AR_P_MAX_LEN
};

/* Appends one (basket, item) line (arguments 1 and 2) with the aggregate's options. */
static Datum
ArCollect(FunctionCallInfo fcinfo, const float8 *params)
{
	float8		row[2];
	SmRowBuffer *buf;

	SmSlotSetInt(&row[0], PG_GETARG_INT64(1));
	SmSlotSetInt(&row[1], PG_GETARG_INT64(2));
	buf = SmRowBufferForUpdate(fcinfo, &sm_assoc_rules_kind);
	SmRowBufferSetParams(buf, &sm_assoc_rules_kind, params);
	buf = SmRowBufferAppend(buf, &sm_assoc_rules_kind, row, CurrentMemoryContext);
	PG_RETURN_POINTER(buf);
}

PG_FUNCTION_INFO_V1(assoc_rules_transfn);
/* Transition of assoc_rules(basket, item, min_support, min_confidence [, max_len]). */
Datum
assoc_rules_transfn(PG_FUNCTION_ARGS)
{
	float8		params[SM_ROWS_PARAMS] = {0};
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
	return ArCollect(fcinfo, params);
}

/* Fields of assoc_rules_options, in the maker's argument order. */
enum
{
	ARO_MIN_SUPPORT, ARO_MIN_CONFIDENCE, ARO_MAX_LEN, ARO_NFIELDS
};

/* min_support is a fraction in (0, 1]: the range check of the field allows 0, this rule does not. */
static void
ArOptionsValidate(const double *values)
{
	if (!(values[ARO_MIN_SUPPORT] > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_support must be a fraction of the baskets in (0, 1], got %g", values[ARO_MIN_SUPPORT])));
}

/* assoc_rules_options: assoc_rules' tuning arguments by name (min_support and min_confidence required). */
static const SmOptionsKind sm_assoc_rules_options_kind = {
	.typname = "assoc_rules_options", .id = 3, .nfields = ARO_NFIELDS, .validate = ArOptionsValidate,
	.fields = {
		[ARO_MIN_SUPPORT] = {.name = "min_support", .type = SM_OPT_FLOAT, .min = 0, .max = 1},
		[ARO_MIN_CONFIDENCE] = {.name = "min_confidence", .type = SM_OPT_FLOAT, .min = 0, .max = 1},
		[ARO_MAX_LEN] = {.name = "max_len", .type = SM_OPT_INT, .min = 1, .max = AR_MAX_LEN,
		.has_default = true, .default_value = 3},
	},
};

SM_OPTIONS_FUNCTIONS(assoc_rules_options, sm_assoc_rules_options_kind)

PG_FUNCTION_INFO_V1(assoc_rules_options_transfn);
/* Transition of assoc_rules(basket, item, options). */
Datum
assoc_rules_options_transfn(PG_FUNCTION_ARGS)
{
	float8		params[SM_ROWS_PARAMS] = {0};
	const SmOptions *o;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SM_SKIP_ROW();
	o = SmOptionsArg(fcinfo, 3, &sm_assoc_rules_options_kind);
	params[AR_P_MIN_SUPPORT] = o->values[ARO_MIN_SUPPORT];
	params[AR_P_MIN_CONFIDENCE] = o->values[ARO_MIN_CONFIDENCE];
	params[AR_P_MAX_LEN] = o->values[ARO_MAX_LEN];
	return ArCollect(fcinfo, params);
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
	int64		basket;
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
	int64	   *itemd;
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
		SmErrorInvalidValue("assoc_rules_state", "parameters out of range");
	if (n >= PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many basket lines for assoc_rules")));
	work = AllocSetContextCreate(CurrentMemoryContext, "assoc_rules", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);

	/* dense item numbers; rows sorted by basket, duplicates dropped */
	itemd = SmAllocArray(n, sizeof(int64));
	for (int64 r = 0; r < n; r++)
		itemd[r] = SmSlotInt(&buf->values[r * 2 + 1]);
	nitems = RcUniqueIds(itemd, n);
	rows = SmAllocArray(n, sizeof(ArRow));
	for (int64 r = 0; r < n; r++)
	{
		rows[r].basket = SmSlotInt(&buf->values[r * 2]);
		rows[r].item = (int32) RcFindId(itemd, nitems, SmSlotInt(&buf->values[r * 2 + 1]));
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
			ArItems(m)[at++] = itemd[s.ids[q]];
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
				SmErrorInvalidValue("assoc_rules_model", "an itemset's subsets must be in the model too");
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
