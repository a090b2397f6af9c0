/*
 * kmeans/segment.c — kmeans_segment, a window function: fits k-means on the rows of its partition (once per
 * partition) and labels each row with its cluster.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/memutils.h"
#include "windowapi.h"

#include "core/features.h"
#include "core/validate.h"
#include "kmeans/kmeans.h"

/* Per-partition cache of kmeans_segment: the label of every row (0 = NULL features). */
typedef struct KmSegmentCache
{
	bool		done;
	int32		k;
	int32		seed;
	int64		nrows;
	int32	   *labels;
} KmSegmentCache;

PG_FUNCTION_INFO_V1(kmeans_segment);
/* kmeans_segment(features, k, seed) OVER (...): the row's cluster in a fit on its partition. */
Datum
kmeans_segment(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	KmSegmentCache *cache = WinGetPartitionLocalMemory(winobj, sizeof(KmSegmentCache));
	bool		isnull;
	int32		k,
				seed;
	int64		pos;

	k = DatumGetInt32(WinGetFuncArgCurrent(winobj, 1, &isnull));
	if (isnull)
		SmErrorNullArgument("k");
	seed = DatumGetInt32(WinGetFuncArgCurrent(winobj, 2, &isnull));
	if (isnull)
		SmErrorNullArgument("seed");
	if (!cache->done)
	{
		MemoryContext partcxt = GetMemoryChunkContext(cache),
					work = AllocSetContextCreate(CurrentMemoryContext, "kmeans_segment",
												 ALLOCSET_DEFAULT_SIZES),
					old;
		int64		cap = 1024,
					n = 0,
					total = 0;
		int			d = -1;
		double	   *x;
		int64	   *rowpos;
		KmOptions	o = {k, seed, KM_DEFAULT_N_INIT, KM_DEFAULT_MAX_ITER, KM_DEFAULT_TOL, true};

		SmCheckIntRange(k, 1, KM_MAX_K, "k");
		old = MemoryContextSwitchTo(work);
		x = NULL;
		rowpos = SmAllocArray(cap, sizeof(int64));
		for (;;)
		{
			bool		isout;
			Datum		v = WinGetFuncArgInPartition(winobj, 0, (int) total, WINDOW_SEEK_HEAD, false,
													 &isnull, &isout);
			int			len;
			double	   *f;

			if (isout)
				break;
			if ((total & 4095) == 0)
				CHECK_FOR_INTERRUPTS();
			total++;
			if (isnull)
				continue;
			f = SmFeatures(DatumGetArrayTypeP(v), &len);
			if (d < 0)
			{
				d = len;
				x = SmAllocArray(cap * d, sizeof(double));
			}
			else if (len != d)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("every features array must have the same length: %d elements, not %d", d, len)));
			if (n == cap)
			{
				x = repalloc_huge(x, (Size) cap * 2 * d * sizeof(double));
				rowpos = repalloc_huge(rowpos, (Size) cap * 2 * sizeof(int64));
				cap *= 2;
			}
			memcpy(x + n * d, f, d * sizeof(double));
			rowpos[n++] = total - 1;
		}
		cache->labels = MemoryContextAllocExtended(partcxt, Max(total, 1) * sizeof(int32),
												   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		if (n > 0)
		{
			double	   *mean = SmAllocArray(d, sizeof(double)),
					   *scale = SmAllocArray(d, sizeof(double));
			int64	   *perm;
			const double *z = KmFittingData(KmSortedRows(x, n, d, &perm), n, d, true, mean, scale);
			KmResult	res;

			KmFit(z, n, d, &o, true, &res);
			for (int64 i = 0; i < n; i++)
				cache->labels[rowpos[perm[i]]] = res.labels[i] + 1;
		}
		MemoryContextSwitchTo(old);
		MemoryContextDelete(work);
		cache->k = k;
		cache->seed = seed;
		cache->nrows = total;
		cache->done = true;
	}
	else if (k != cache->k || seed != cache->seed)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k and seed must be the same on every row of a kmeans_segment partition")));
	pos = WinGetCurrentPosition(winobj);
	if (pos < 0 || pos >= cache->nrows || cache->labels[pos] == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(cache->labels[pos]);
}
