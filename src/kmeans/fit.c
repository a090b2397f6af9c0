/*
 * kmeans/fit.c — the backend side of a k-means fit: the rows sorted and standardized, the n_init runs shared
 * out among threads (started, watched for interrupts and joined here; their code is in lloyd.c), the best run
 * renumbered by descending size, and the silhouette of a fit.
 *
 * The fit follows scikit-learn's KMeans(algorithm="lloyd") step for step, so that the same data and the same
 * initial centroids give the same partition: greedy k-means++ seeding (2 + floor(ln k) candidates per centre),
 * Lloyd iterations that stop when the labels no longer change or when the total squared centroid shift is at
 * most tol times the mean feature variance, one last assignment when the stop was by tolerance, and empty
 * clusters relocated to the points farthest from their centres.  The assignment step uses Hamerly's bounds
 * (one upper bound per point, one lower bound for every other centre, half the distance to the nearest other
 * centre): a point is re-scanned only when the bounds cannot prove its centre is still the nearest, which gives
 * the labels plain Lloyd would (up to exact distance ties) at a fraction of the distance computations.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include <gsl/gsl_rng.h>

#include "miscadmin.h"

#include "kmeans/kmeans.h"
#include "kmeans/lloyd.h"

#define KM_SILHOUETTE_SAMPLE 2000

/* ---------------------------------------------------------------------------------------------------------
 * The fitting data
 * --------------------------------------------------------------------------------------------------------- */

/* Mean and population variance of each column. */
static void
KmColumnMoments(const double *x, int64 n, int d, double *mean, double *var)
{
	for (int j = 0; j < d; j++)
	{
		double		s = 0,
					v = 0;

		for (int64 i = 0; i < n; i++)
			s += x[i * d + j];
		mean[j] = s / n;
		for (int64 i = 0; i < n; i++)
		{
			double		t = x[i * d + j] - mean[j];

			v += t * t / n;
		}
		var[j] = v;
		CHECK_FOR_INTERRUPTS();
	}
}

/* Whether two rows are the same point (-0 equals 0). */
bool
KmSameRow(const double *a, const double *b, int d)
{
	for (int j = 0; j < d; j++)
		if (a[j] != b[j])
			return false;
	return true;
}

/* A row's sort key: its first value (the rest of the row breaks ties), then its index. */
typedef struct KmRowKey
{
	double		first;
	int64		index;
} KmRowKey;

/* Orders rows lexicographically by value, then by index. */
static int
KmRowKeyCmp(const void *pa, const void *pb, void *arg)
{
	const KmRowKey *a = pa,
			   *b = pb;
	const double *rows = ((const double **) arg)[0];
	int			d = (int) (intptr_t) ((const double **) arg)[1];

	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	for (int j = 1; j < d; j++)
	{
		double		x = rows[a->index * d + j],
					y = rows[b->index * d + j];

		if (x != y)
			return x < y ? -1 : 1;
	}
	return a->index < b->index ? -1 : (a->index > b->index);
}

/*
 * The rows sorted by value, so that a fit does not depend on the order in which they arrived (serial, parallel
 * and Citus plans, any ORDER BY): the same multiset of points gives the same model bit for bit, and points that
 * differ by rounding noise keep their order.  The permutation (new position -> original row) is returned when
 * perm is not NULL.
 */
double *
KmSortedRows(const double *rows, int64 n, int d, int64 **perm)
{
	KmRowKey   *keys = SmAllocArray(n, sizeof(KmRowKey));
	double	   *sorted = SmAllocArray(n * (int64) d, sizeof(double));
	const double *arg[2] = {rows, (const double *) (intptr_t) d};

	for (int64 i = 0; i < n; i++)
	{
		keys[i].first = rows[i * d] == 0 ? 0.0 : rows[i * d];	/* -0 sorts with 0 */
		keys[i].index = i;
	}
	qsort_arg(keys, n, sizeof(KmRowKey), KmRowKeyCmp, arg);
	CHECK_FOR_INTERRUPTS();
	for (int64 i = 0; i < n; i++)
		memcpy(sorted + i * d, rows + keys[i].index * d, d * sizeof(double));
	if (perm)
	{
		*perm = SmAllocArray(n, sizeof(int64));
		for (int64 i = 0; i < n; i++)
			(*perm)[i] = keys[i].index;
	}
	pfree(keys);
	return sorted;
}

/* The data in the fitting space (a standardized copy, or the rows themselves), with the mean and scale used. */
const double *
KmFittingData(const double *raw, int64 n, int d, bool standardize, double *mean, double *scale)
{
	double	   *x;

	if (!standardize)
	{
		for (int j = 0; j < d; j++)
		{
			mean[j] = 0;
			scale[j] = 1;
		}
		return raw;
	}
	KmColumnMoments(raw, n, d, mean, scale);
	for (int j = 0; j < d; j++)
	{
		/*
		 * A constant feature keeps scale 1.  Its computed variance may be a rounding residue (the mean of n
		 * copies of 0.1 is not exactly 0.1), so "constant" is scikit-learn's test: var <= n eps var + (n mean eps)^2.
		 */
		double		var = scale[j],
					bound = n * DBL_EPSILON * var + pow(n * mean[j] * DBL_EPSILON, 2);

		scale[j] = var > bound && isfinite(var) ? sqrt(var) : 1.0;
	}
	x = SmAllocArray(n * (int64) d, sizeof(double));
	for (int64 i = 0; i < n; i++)
	{
		for (int j = 0; j < d; j++)
			x[i * d + j] = (raw[i * d + j] - mean[j]) / scale[j];
		if ((i & 65535) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return x;
}

/* scikit-learn's absolute tolerance: tol times the mean of the per-feature variances of the fitting data. */
static double
KmAbsoluteTolerance(const double *x, int64 n, int d, double tol)
{
	double	   *mean = SmAllocArray(d, sizeof(double)),
			   *var = SmAllocArray(d, sizeof(double)),
				s = 0;

	KmColumnMoments(x, n, d, mean, var);
	for (int j = 0; j < d; j++)
		s += var[j];
	pfree(mean);
	pfree(var);
	return tol * s / d;
}

/* ---------------------------------------------------------------------------------------------------------
 * Runs.  The n_init runs of a fit are independent (run r seeds its own GSL generator from (seed, r)), so they
 * are shared out among up to supplymkt.kmeans_threads threads; each keeps its best run and the fit keeps the
 * lowest inertia, the lower run number on ties, so the result does not depend on the threads.  Everything a run
 * touches is allocated here before the threads start, and the code they run (lloyd.c, which includes no
 * PostgreSQL header) never calls into PostgreSQL (no palloc, no ereport, no CHECK_FOR_INTERRUPTS): they poll a
 * shared stop flag, which the backend's own thread raises when a cancel or termination is pending (during its
 * own runs, then while it waits for the workers); the backend then joins them and only then lets the error
 * happen.  Worker threads block every signal, so PostgreSQL's signal handlers keep running in the backend thread.
 * --------------------------------------------------------------------------------------------------------- */

/* Whether a cancel or termination is pending (the stop check of the backend's own run; backend thread only). */
static bool
KmInterruptPending(void)
{
	return InterruptPending && (QueryCancelPending || ProcDiePending);
}

/* Allocates the arrays of one thread (in the backend thread, before any thread starts). */
static void
KmRunInit(KmRun *r, const double *x, int64 n, int d, int k, KmShared *shared)
{
	int			trials = KmTrials(k);

	memset(r, 0, sizeof(*r));
	r->x = x;
	r->n = n;
	r->d = d;
	r->k = k;
	r->shared = shared;
	r->c = SmAllocArray((int64) k * d, sizeof(double));
	r->sums = SmAllocArray((int64) k * d, sizeof(double));
	r->counts = SmAllocArray(k, sizeof(double));
	r->shift = SmAllocArray(k, sizeof(double));
	r->half_gap = SmAllocArray(k, sizeof(double));
	r->labels = SmAllocArray(n, sizeof(int32));
	r->upper = SmAllocArray(n, sizeof(double));
	r->lower = SmAllocArray(n, sizeof(double));
	r->closest = SmAllocArray(n, sizeof(double));
	r->draw = SmAllocArray(trials, sizeof(double));
	r->pots = SmAllocArray(trials, sizeof(double));
	r->ids = SmAllocArray(trials, sizeof(int64));
	r->order = SmAllocArray(trials, sizeof(int));
	r->far = SmAllocArray(k, sizeof(int64));
	r->fard = SmAllocArray(k, sizeof(double));
	r->init = SmAllocArray((int64) k * d, sizeof(double));
	r->best_c = SmAllocArray((int64) k * d, sizeof(double));
	r->best_init = SmAllocArray((int64) k * d, sizeof(double));
	r->best_labels = SmAllocArray(n, sizeof(int32));
	r->best_run = -1;
	atomic_init(&r->finished, 0);
	r->rng = NULL;				/* made by KmMakeGenerators, once every palloc is done */
}

/*
 * Frees the random generators of the first nthreads runs. GSL mallocs them, so nothing in a memory context
 * would free them after an error: they live only from just before the threads start to just after the join.
 */
static void
KmFreeGenerators(KmRun *runs, int nthreads)
{
	for (int t = 0; t < nthreads; t++)
		if (runs[t].rng)
		{
			gsl_rng_free(runs[t].rng);
			runs[t].rng = NULL;
		}
}

/* Makes one random generator per run, freeing the ones made when one cannot be (out of memory). */
static void
KmMakeGenerators(KmRun *runs, int nthreads)
{
	for (int t = 0; t < nthreads; t++)
		if ((runs[t].rng = gsl_rng_alloc(gsl_rng_mt19937)) == NULL)
		{
			KmFreeGenerators(runs, t);
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		}
}

/* Frees the arrays of one thread (but its best labels when the caller keeps them). */
static void
KmRunFree(KmRun *r, bool keep_best_labels)
{
	pfree(r->c);
	pfree(r->sums);
	pfree(r->counts);
	pfree(r->shift);
	pfree(r->half_gap);
	pfree(r->labels);
	pfree(r->upper);
	pfree(r->lower);
	pfree(r->closest);
	pfree(r->draw);
	pfree(r->pots);
	pfree(r->ids);
	pfree(r->order);
	pfree(r->far);
	pfree(r->fard);
	pfree(r->init);
	pfree(r->best_c);
	pfree(r->best_init);
	if (!keep_best_labels)
		pfree(r->best_labels);
}

/* Orders clusters by descending size, then by lexicographic centroid (qsort context). */
static const double *km_sort_centroids;
static int	km_sort_d;
static const int64 *km_sort_sizes;

/* Comparator of cluster indices for the numbering rule. */
static int
KmClusterCmp(const void *pa, const void *pb)
{
	int			a = *(const int *) pa,
				b = *(const int *) pb;
	int			d = km_sort_d;

	if (km_sort_sizes[a] != km_sort_sizes[b])
		return km_sort_sizes[a] > km_sort_sizes[b] ? -1 : 1;
	for (int j = 0; j < d; j++)
	{
		double		x = km_sort_centroids[(Size) a * d + j],
					y = km_sort_centroids[(Size) b * d + j];

		if (x != y)
			return x < y ? -1 : 1;
	}
	return a < b ? -1 : (a > b);
}

/* The numbering of k clusters: order[new] = old, by descending size, then lexicographic centroid. */
void
KmNumbering(const double *centroids, const int64 *sizes, int k, int d, int *order)
{
	for (int j = 0; j < k; j++)
		order[j] = j;
	km_sort_centroids = centroids;
	km_sort_d = d;
	km_sort_sizes = sizes;
	qsort(order, k, sizeof(int), KmClusterCmp);
}

/*
 * Waits until every started worker thread (runs 1..nthreads-1) has finished and joins it; meanwhile raises the
 * stop flag when a cancel or termination is pending.  Raises no error: the caller lets it happen after the join.
 */
static void
KmJoinWorkers(KmRun *runs, int nthreads)
{
	for (;;)
	{
		bool		waiting = false;

		for (int t = 1; t < nthreads; t++)
		{
			if (!runs[t].started)
				continue;
			if (atomic_load_explicit(&runs[t].finished, memory_order_acquire))
			{
				pthread_join(runs[t].thread, NULL);
				runs[t].started = false;
			}
			else
				waiting = true;
		}
		if (!waiting)
			return;
		(void) KmStop(&runs[0]);	/* watch for a cancel while waiting */
		pg_usleep(1000);
	}
}

/*
 * Fits k-means on the fitting data: n_init seeded runs (on up to supplymkt.kmeans_threads threads), the lowest
 * inertia kept (the lower run number on ties); the result renumbered by descending size.  Labels are returned
 * when want_labels.
 */
void
KmFit(const double *x, int64 n, int d, const KmOptions *o, bool want_labels, KmResult *res)
{
	int			k = o->k,
				nthreads = Max(1, Min(sm_kmeans_threads, o->n_init));
	KmShared	shared;
	KmRun	   *runs;
	KmRun	   *best = NULL;
	int		   *order = SmAllocArray(k, sizeof(int));
	int		   *rank = SmAllocArray(k, sizeof(int));
	int64	   *sizes = SmAllocArray(k, sizeof(int64));
	sigset_t	all,
				old;

	if (k > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k = %d exceeds the number of points (" INT64_FORMAT ")", k, n),
				 errhint("Choose k at most the number of rows with features.")));
	if ((double) n * k < 200000)
		nthreads = 1;			/* not worth a thread */
	memset(&shared, 0, sizeof(shared));
	atomic_init(&shared.next_run, 0);
	atomic_init(&shared.stop, 0);
	shared.n_init = o->n_init;
	shared.seed = (uint32) o->seed;
	shared.max_iter = o->max_iter;
	shared.tol_abs = KmAbsoluteTolerance(x, n, d, o->tol);
	shared.interrupt_pending = KmInterruptPending;
	runs = SmAllocArray(nthreads, sizeof(KmRun));
	for (int t = 0; t < nthreads; t++)
		KmRunInit(&runs[t], x, n, d, k, &shared);
	runs[0].is_backend = true;
	KmMakeGenerators(runs, nthreads);

	/* from here until every thread is joined, nothing may raise an error */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int t = 1; t < nthreads; t++)
		runs[t].started = pthread_create(&runs[t].thread, NULL, KmThreadMain, &runs[t]) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	KmRuns(&runs[0]);
	KmJoinWorkers(runs, nthreads);
	KmFreeGenerators(runs, nthreads);

	/* all threads are done: errors may happen again */
	if (atomic_load_explicit(&shared.stop, memory_order_relaxed))
	{
		for (int t = 0; t < nthreads; t++)
			if (runs[t].distinct > 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("k = %d, but the points have only %d distinct values", k, runs[t].distinct),
						 errhint("Choose k at most the number of distinct points.")));
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("canceling the k-means fit")));
	}
	for (int t = 0; t < nthreads; t++)
		if (runs[t].best_run >= 0 &&
			(best == NULL || runs[t].best_inertia < best->best_inertia ||
			 (runs[t].best_inertia == best->best_inertia && runs[t].best_run < best->best_run)))
			best = &runs[t];
	if (best == NULL)
		elog(ERROR, "k-means fit ended without a run");

	/* renumber: clusters by descending size, then lexicographic centroid */
	for (int64 i = 0; i < n; i++)
		sizes[best->best_labels[i]]++;
	KmNumbering(best->best_c, sizes, k, d, order);
	res->centroids = SmAllocArray((int64) k * d, sizeof(double));
	res->sizes = SmAllocArray(k, sizeof(int64));
	res->init = SmAllocArray((int64) k * d, sizeof(double));
	memcpy(res->init, best->best_init, (Size) k * d * sizeof(double));
	for (int j = 0; j < k; j++)
	{
		rank[order[j]] = j;
		memcpy(res->centroids + (Size) j * d, best->best_c + (Size) order[j] * d, d * sizeof(double));
		res->sizes[j] = sizes[order[j]];
	}
	res->inertia = best->best_inertia;
	res->iterations = best->best_iterations;
	res->converged = best->best_converged;
	res->labels = NULL;
	if (want_labels)
	{
		for (int64 i = 0; i < n; i++)
			best->best_labels[i] = rank[best->best_labels[i]];
		res->labels = best->best_labels;
	}
	for (int t = 0; t < nthreads; t++)
		KmRunFree(&runs[t], want_labels && &runs[t] == best);
	pfree(runs);
	pfree(order);
	pfree(rank);
	pfree(sizes);
}


/*
 * Mean silhouette of a sample of at most KM_SILHOUETTE_SAMPLE points (all when fewer), Euclidean, with the
 * labels of the full fit; a point alone in its cluster scores 0 (scikit-learn's rule).  NaN when the sample
 * has fewer than 2 clusters.
 */
double
KmSilhouette(const double *x, int64 n, int d, int k, const int32 *labels, int seed)
{
	int64		m = Min(n, KM_SILHOUETTE_SAMPLE);
	int64	   *idx = SmAllocArray(m, sizeof(int64));
	double	   *sum = SmAllocArray(k, sizeof(double)),
				total = 0;
	int64	   *cnt = SmAllocArray(k, sizeof(int64));
	int			nclusters = 0;

	if (m == n)
		for (int64 i = 0; i < n; i++)
			idx[i] = i;
	else
	{
		/* Knuth's selection sampling: a seeded sample of m indices in increasing order */
		gsl_rng    *rng = gsl_rng_alloc(gsl_rng_mt19937);
		int64		chosen = 0;

		if (rng == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		gsl_rng_set(rng, (unsigned long) (uint32) seed + 1);
		for (int64 i = 0; i < n && chosen < m; i++)
			if ((double) (n - i) * gsl_rng_uniform(rng) < (double) (m - chosen))
				idx[chosen++] = i;
		gsl_rng_free(rng);
	}
	for (int64 s = 0; s < m; s++)
		cnt[labels[idx[s]]]++;
	for (int c = 0; c < k; c++)
		nclusters += cnt[c] > 0;
	if (nclusters < 2 || nclusters >= m)
	{
		pfree(idx);
		pfree(sum);
		pfree(cnt);
		return NAN;
	}
	for (int64 s = 0; s < m; s++)
	{
		const double *xs = x + idx[s] * d;
		int			own = labels[idx[s]];
		double		a,
					b = INFINITY;

		CHECK_FOR_INTERRUPTS();
		memset(sum, 0, k * sizeof(double));
		for (int64 t = 0; t < m; t++)
			if (t != s)
				sum[labels[idx[t]]] += sqrt(KmDist2(xs, x + idx[t] * d, d));
		if (cnt[own] < 2)
			continue;			/* scores 0 */
		a = sum[own] / (cnt[own] - 1);
		for (int c = 0; c < k; c++)
			if (c != own && cnt[c] > 0 && sum[c] / cnt[c] < b)
				b = sum[c] / cnt[c];
		if (Max(a, b) > 0)
			total += (b - a) / Max(a, b);
	}
	pfree(idx);
	pfree(sum);
	pfree(cnt);
	return total / m;
}
