/*
 * demo/util.c — small helpers of the demo-data generator: independent random streams, growth of huge arrays,
 * the hour-of-day time warp and great-circle distance.
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_rng.h>

#include "utils/memutils.h"

#include "demo/demo.h"

/* SplitMix64: mixes the user's seed and a stream number (or a row number) into a 64-bit value. */
uint64
DemoMix64(uint64 x)
{
	x += UINT64CONST(0x9E3779B97F4A7C15);
	x = (x ^ (x >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	x = (x ^ (x >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

/* Memory-context callback: frees a GSL generator (allocated with malloc) with its owning context. */
static void
DemoFreeRng(void *arg)
{
	gsl_rng_free((gsl_rng *) arg);
}

/* Returns a gsl_rng_mt19937 seeded from (seed, stream), freed when context is reset or deleted. */
gsl_rng *
DemoRng(int64 seed, DemoStream stream, MemoryContext context)
{
	MemoryContextCallback *cb;
	gsl_rng    *rng;
	uint64		mixed = DemoMix64(DemoMix64((uint64) seed) ^ ((uint64) stream * UINT64CONST(0xD1B54A32D192ED03)));

	cb = MemoryContextAlloc(context, sizeof(MemoryContextCallback));
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (rng == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("GSL could not allocate a random number generator.")));
	cb->func = DemoFreeRng;
	cb->arg = rng;
	MemoryContextRegisterResetCallback(context, cb);
	/* mt19937 is seeded with 32 bits; fold the mixed 64 bits into them */
	gsl_rng_set(rng, (unsigned long) ((mixed ^ (mixed >> 32)) & UINT64CONST(0xFFFFFFFF)));
	return rng;
}


/* Index drawn from a small discrete distribution given as probabilities (they need not sum to 1). */
int
DemoPickIndex(gsl_rng *rng, const double *probs, int n)
{
	double		total = 0,
				u;

	for (int i = 0; i < n; i++)
		total += probs[i];
	u = gsl_rng_uniform(rng) * total;
	for (int i = 0; i < n - 1; i++)
	{
		if (u < probs[i])
			return i;
		u -= probs[i];
	}
	return n - 1;
}

/* Grows a huge array so it holds at least need elements (capacity doubles), or raises a clean error. */
void *
DemoGrow(void *array, int64 *capacity, int64 need, Size elsize, MemoryContext cxt)
{
	int64		newcap;

	if (need <= *capacity)
		return array;
	newcap = Max(need, Max(*capacity * 2, 1024));
	if ((Size) newcap > MaxAllocHugeSize / elsize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("demo data is too large for memory"),
				 errhint("Use fewer customers, products or days.")));
	*capacity = newcap;
	if (array == NULL)
		return MemoryContextAllocHuge(cxt, (Size) newcap * elsize);
	return repalloc_huge(array, (Size) newcap * elsize);
}

/* Allocates a zeroed huge array of n elements in cxt. */
void *
DemoAlloc0(MemoryContext cxt, int64 n, Size elsize)
{
	Size		bytes;
	void	   *p;

	if (n < 0 || (Size) Max(n, 1) > MaxAllocHugeSize / elsize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("demo data is too large for memory"),
				 errhint("Use fewer customers, products or days.")));
	bytes = (Size) Max(n, 1) * elsize;
	p = MemoryContextAllocHuge(cxt, bytes);
	memset(p, 0, bytes);
	return p;
}


/* Maps a time in days (continuous) to whole seconds, reshaping time within the day by the hour profile. */
int32
DemoWarpSeconds(const DemoWorld *w, double t_days)
{
	double		day = floor(t_days);
	double		frac = t_days - day;
	int			h = 0;
	double		within;

	while (h < 23 && frac >= w->hour_cum[h + 1])
		h++;
	within = (frac - w->hour_cum[h]) / (w->hour_cum[h + 1] - w->hour_cum[h]);
	within = Min(Max(within, 0.0), 1.0);
	return (int32) Min((int64) day * DEMO_SECS_PER_DAY + (int64) floor((h + within) * 3600.0),
					   (int64) w->ndays * DEMO_SECS_PER_DAY - 1);
}

/* Great-circle distance in km. */
double
DemoDistanceKm(double lat1, double lon1, double lat2, double lon2)
{
	double		rad = M_PI / 180.0;
	double		dlat = (lat2 - lat1) * rad;
	double		dlon = (lon2 - lon1) * rad;
	double		a = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);

	return 2 * 6371.0 * atan2(sqrt(a), sqrt(Max(0.0, 1 - a)));
}
