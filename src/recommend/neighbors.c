/*
 * recommend/neighbors.c — the readers of item_neighbors: neighbors() (one row per item and neighbour),
 * item_neighbors_blend (a weighted sum of two models) and recommend() (similar items, then popular ones).
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "core/validate.h"
#include "recommend/recommend.h"

#define RC_MAX_K 10000
#define RC_BECAUSE 3

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
/*
 * item_neighbors_blend(a, b, weight_a, top_k): per item, the weighted sum of the two models' scores, each
 * model's list first divided by the sum of its scores (each neighbour's share of the item's similarity mass:
 * a flat list of content cosines near 1 spreads its weight over all its neighbours instead of swamping a
 * peaked list of purchase cosines of 0.1), then multiplied by the weighted mean of those sums over the models
 * that list the item, so that each item keeps its own scale (weight 1 gives model a's scores, 0 model b's, and
 * an item only one model lists keeps that model's scores times its weight).
 */
Datum
item_neighbors_blend(PG_FUNCTION_ARGS)
{
	RcModel    *a,
			   *b;
	double		wa;
	bool		one_model;
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
	one_model = wa == 0 || wa == 1;
	for (int64 i = 0; i < nitems; i++)
	{
		int			ntouched = 0,
					nheap = 0;
		double		scale = 0,
					scale_weight = 0;

		CHECK_FOR_INTERRUPTS();
		for (int side = 0; side < 2; side++)
		{
			RcModel    *m = side == 0 ? a : b;
			int64		at = side == 0 ? from_a[i] : from_b[i];
			double		weight = side == 0 ? wa : 1 - wa;
			double		mass = 0;

			if (at < 0 || RcOffsets(m)[at] == RcOffsets(m)[at + 1])
				continue;
			/*
			 * each model's list scaled to sum to 1: the two scales and shapes differ a lot (with weight 0 or 1
			 * the one model's scores are copied as they are, bit for bit)
			 */
			if (!one_model)
			{
				for (int64 e = RcOffsets(m)[at]; e < RcOffsets(m)[at + 1]; e++)
					mass = SmAddChecked(mass, RcScore(m)[e]);
				scale += weight * mass;
				scale_weight += weight;
				weight /= mass;
			}
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
				RcCand		cand = {one_model ? acc[j] : acc[j] * (scale / scale_weight), items[j], sup[j]};

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
