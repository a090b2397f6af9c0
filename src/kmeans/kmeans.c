/*
 * kmeans.c — k-means segmentation: kmeans_fit / kmeans_elbow (collect-then-fit aggregates on the row-buffer
 * state of common.c), the kmeans_model type and its readers, kmeans_segment (a window function) and
 * kmeans_refine (one exact Lloyd step as a combinable partial aggregate).
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
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"
#include "windowapi.h"

#include "kmeans/kmeans.h"

/* The state types of this family (stored ids are stable across versions). */
/* the feature arrays (one row per point, width set by the first row) */
const SmRowKind sm_kmeans_fit_kind = {"kmeans_fit_state", 3, 0,
{"k", "seed", "n_init", "max_iter", "tol", "standardize", "k_max"}, 64, &sm_kmeans_max_memory_kb};
/* k rows [count, sums], k centroid rows [0, centroid], a mean row and a scale row [0, ...] */
const SmRowKind sm_kmeans_refine_kind = {"kmeans_refine_state", 4, 0,
{"k", "standardize", "iterations", "inertia", "n_points", "seed", "n_init"}, 0};

SM_ROW_BUFFER_IO(kmeans_fit_state, sm_kmeans_fit_kind)
SM_ROW_BUFFER_COMBINE(kmeans_fit_state, sm_kmeans_fit_kind)
SM_ROW_BUFFER_IO(kmeans_refine_state, sm_kmeans_refine_kind)

#define KM_MODEL_VERSION 1
#define KM_MAX_K 10000
#define KM_MAX_N_INIT 1000
#define KM_MAX_ELBOW_KS 50
#define KM_SILHOUETTE_SAMPLE 2000
#define KM_DEFAULT_N_INIT 10
#define KM_DEFAULT_MAX_ITER 300
#define KM_DEFAULT_TOL 1e-4

/* kmeans_model flags */
#define KM_STANDARDIZE 1
#define KM_CONVERGED 2
#define KM_SAMPLED 4
#define KM_HAS_INIT 8

/*
 * kmeans_model: a varlena with the fit information and the arrays mean[dim], scale[dim], centroids[k * dim]
 * (standardized space, cluster 1 first), sizes[k], then init[k * dim] when KM_HAS_INIT.
 */
typedef struct KmModel
{
	int32		vl_len_;
	uint8		version;
	uint8		flags;
	uint16		pad;
	int32		k;
	int32		dim;
	int32		iterations;
	int32		n_init;
	int32		seed;
	int32		pad2;
	int64		n_points;
	int64		sample_points;
	float8		inertia;
	float8		data[FLEXIBLE_ARRAY_MEMBER];
} KmModel;

#define KmMean(m) ((m)->data)
#define KmScale(m) ((m)->data + (m)->dim)
#define KmCentroids(m) ((m)->data + 2 * (Size) (m)->dim)
#define KmSizes(m) ((m)->data + 2 * (Size) (m)->dim + (Size) (m)->k * (m)->dim)
#define KmInit(m) (KmSizes(m) + (m)->k)

/* The result of one fit: centroids and sizes renumbered by descending size, labels 0-based in that order. */
typedef struct KmResult
{
	double	   *centroids;		/* k x d */
	double	   *init;			/* k x d, the seeds of the best run in the order chosen */
	int64	   *sizes;
	int32	   *labels;			/* n, or NULL when not asked for */
	double		inertia;
	int			iterations;
	bool		converged;
} KmResult;

/* Options of a fit. */
typedef struct KmOptions
{
	int			k;
	int			seed;
	int			n_init;
	int			max_iter;
	double		tol;
	bool		standardize;
} KmOptions;

/* ---------------------------------------------------------------------------------------------------------
 * Settings
 * --------------------------------------------------------------------------------------------------------- */

int			sm_kmeans_max_memory_kb = 256 * 1024;
int			sm_kmeans_threads = 2;

/* Defines the k-means settings (called from _PG_init). */
void
SmKmeansInit(void)
{
	DefineCustomIntVariable("supplymkt.kmeans_max_memory",
							"Memory for the points kmeans_fit and kmeans_elbow collect in one aggregate state.",
							"Past it, the state keeps a deterministic sample of the points (recorded in the model); "
							"refine the sampled model over all rows with kmeans_refine.",
							&sm_kmeans_max_memory_kb, 256 * 1024, 64, 400 * 1024,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("supplymkt.kmeans_threads",
							"Threads a k-means fit may use for its n_init runs.",
							"The runs are independent; the result does not depend on the number of threads. "
							"1 keeps every fit in the backend's own thread.",
							&sm_kmeans_threads, 2, 1, 64,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

/* ---------------------------------------------------------------------------------------------------------
 * Small helpers
 * --------------------------------------------------------------------------------------------------------- */

/* Two doubles, for the distance kernel (GCC/clang vector extension: SSE2 on x86-64, NEON on arm64). */
typedef double KmV2 __attribute__((vector_size(16)));

/* Squared Euclidean distance of two d-vectors (two-wide lanes, a fixed summation order). */
static inline double
KmDist2(const double *a, const double *b, int d)
{
	KmV2		acc0 = {0, 0},
				acc1 = {0, 0},
				x0,
				y0,
				x1,
				y1;
	double		s;
	int			j = 0;

	for (; j + 4 <= d; j += 4)
	{
		memcpy(&x0, a + j, sizeof(KmV2));
		memcpy(&y0, b + j, sizeof(KmV2));
		memcpy(&x1, a + j + 2, sizeof(KmV2));
		memcpy(&y1, b + j + 2, sizeof(KmV2));
		x0 -= y0;
		x1 -= y1;
		acc0 += x0 * x0;
		acc1 += x1 * x1;
	}
	s = (acc0[0] + acc0[1]) + (acc1[0] + acc1[1]);
	for (; j < d; j++)
	{
		double		t = a[j] - b[j];

		s += t * t;
	}
	return s;
}

/* Index of the nearest of k centroids (ties: the lower index); its squared distance in *best2. */
static int
KmNearest(const double *x, const double *c, int k, int d, double *best2)
{
	int			best = 0;
	double		bd = KmDist2(x, c, d);

	for (int j = 1; j < k; j++)
	{
		double		t = KmDist2(x, c + (Size) j * d, d);

		if (t < bd)
		{
			bd = t;
			best = j;
		}
	}
	*best2 = bd;
	return best;
}

/* ---------------------------------------------------------------------------------------------------------
 * The fit
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
static bool
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
static double *
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
static const double *
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
 * touches is allocated before the threads start, and the code they run never calls into PostgreSQL (no palloc,
 * no ereport, no CHECK_FOR_INTERRUPTS): they poll a shared stop flag, which the backend's own thread raises
 * when a cancel or termination is pending; the backend then joins them and only then lets the error happen.
 * Worker threads block every signal, so PostgreSQL's signal handlers keep running in the backend thread.
 * --------------------------------------------------------------------------------------------------------- */

/* What the threads of one fit share. */
typedef struct KmShared
{
	int			next_run;		/* the next run to start (taken with an atomic add) */
	int			n_init;
	uint32		seed;
	volatile int stop;			/* set by the backend thread on a pending cancel / termination */
} KmShared;

/* Working arrays of one thread of a fit (each run of the thread reuses them). */
typedef struct KmRun
{
	const double *x;
	int64		n;
	int			d;
	int			k;
	bool		is_backend;		/* the backend's own thread: watches for pending interrupts */
	KmShared   *shared;
	double	   *c;				/* centres k x d */
	double	   *sums;			/* k x d: coordinate sums of each cluster's points */
	double	   *counts;			/* k */
	double	   *shift;			/* k: distance each centre moved in the last update */
	double	   *half_gap;		/* k */
	int32	   *labels;			/* n */
	double	   *upper;			/* n: >= distance to the assigned centre */
	double	   *lower;			/* n: <= distance to every other centre */
	double	   *closest;		/* n: seeding, squared distance to the nearest chosen centre */
	double	   *draw;			/* trials: seeding */
	double	   *pots;			/* trials */
	int64	   *ids;			/* trials */
	int		   *order;			/* trials */
	int64	   *far;			/* k: relocation of empty clusters */
	double	   *fard;			/* k */
	double	   *init;			/* k x d: the seeds of the current run */
	double		max_shift;		/* largest shift, and the largest of the other centres' (for the bounds) */
	double		second_shift;
	int			max_shift_centre;
	bool		sums_stale;		/* recount sums from the labels at the next update (after a relocation) */
	int			distinct;		/* > 0: seeding found only this many distinct points (k too large) */
	gsl_rng    *rng;
	/* the thread's best run */
	int			best_run;
	double		best_inertia;
	double	   *best_c;
	double	   *best_init;
	int32	   *best_labels;
	int			best_iterations;
	bool		best_converged;
	pthread_t	thread;
	bool		started;
} KmRun;

/* Whether the run must stop: the shared flag, raised by the backend thread when a cancel is pending. */
static inline bool
KmStop(KmRun *r)
{
	if (r->is_backend && unlikely(InterruptPending && (QueryCancelPending || ProcDiePending)))
		r->shared->stop = 1;
	return r->shared->stop != 0;
}

/*
 * Greedy k-means++ seeding (scikit-learn's _kmeans_plusplus): the first centre uniformly, then for each next
 * centre 2 + floor(ln k) candidates drawn with probability proportional to the squared distance to the nearest
 * chosen centre, keeping the candidate that lowers the total the most (the first on ties).  Each centre costs
 * two passes over the points: one finds the candidates and scores them all, one updates the distances.  Writes
 * r->c; false when stopped or when the points have fewer than k distinct values (r->distinct says how many).
 */
static bool
KmSeed(KmRun *r)
{
	const double *x = r->x;
	int64		n = r->n;
	int			d = r->d,
				k = r->k,
				trials = 2 + (int) floor(log((double) k));
	double		pot = 0;
	int64		first = (int64) gsl_rng_uniform_int(r->rng, (unsigned long) n);

	memcpy(r->c, x + first * d, d * sizeof(double));
	for (int64 i = 0; i < n; i++)
	{
		r->closest[i] = KmDist2(x + i * d, r->c, d);
		pot += r->closest[i];
		if ((i & 65535) == 0 && KmStop(r))
			return false;
	}
	for (int c = 1; c < k; c++)
	{
		double		acc = 0;
		int			best = 0,
					next = 0;
		const double *cx;

		if (!(pot > 0))
		{
			r->distinct = c;
			return false;
		}
		/* candidates: the first index whose cumulative distance reaches each draw (numpy's searchsorted) */
		for (int t = 0; t < trials; t++)
		{
			int			p = t;

			r->draw[t] = gsl_rng_uniform(r->rng) * pot;
			while (p > 0 && r->draw[r->order[p - 1]] > r->draw[t])
			{
				r->order[p] = r->order[p - 1];
				p--;
			}
			r->order[p] = t;
			r->ids[t] = n - 1;
		}
		for (int64 i = 0; i < n && next < trials; i++)
		{
			acc += r->closest[i];
			while (next < trials && acc >= r->draw[r->order[next]])
				r->ids[r->order[next++]] = i;
		}
		/* each candidate's total: the sum over points of min(current distance, distance to the candidate) */
		memset(r->pots, 0, trials * sizeof(double));
		for (int64 i = 0; i < n; i++)
		{
			const double *xi = x + i * d;

			for (int t = 0; t < trials; t++)
			{
				double		dd = KmDist2(xi, x + r->ids[t] * d, d);

				r->pots[t] += dd < r->closest[i] ? dd : r->closest[i];
			}
			if ((i & 65535) == 0 && KmStop(r))
				return false;
		}
		for (int t = 1; t < trials; t++)
			if (r->pots[t] < r->pots[best])
				best = t;
		cx = x + r->ids[best] * d;
		pot = 0;
		for (int64 i = 0; i < n; i++)
		{
			double		dd = KmDist2(x + i * d, cx, d);

			if (dd < r->closest[i])
				r->closest[i] = dd;
			pot += r->closest[i];
		}
		memcpy(r->c + (Size) c * d, cx, d * sizeof(double));
	}
	return true;
}

/* Half the distance from each centre to its nearest other centre (Hamerly's s). */
static void
KmCenterGaps(const double *c, int k, int d, double *half_gap)
{
	for (int a = 0; a < k; a++)
		half_gap[a] = INFINITY;
	for (int a = 0; a < k; a++)
		for (int b = a + 1; b < k; b++)
		{
			double		t = 0.5 * sqrt(KmDist2(c + (Size) a * d, c + (Size) b * d, d));

			if (t < half_gap[a])
				half_gap[a] = t;
			if (t < half_gap[b])
				half_gap[b] = t;
		}
}

/* Full scan of one point: nearest centre (ties: lower index), its distance and the second-nearest distance. */
static inline int
KmScan(const double *xi, const double *c, int k, int d, double *d1, double *d2)
{
	int			best = 0;
	double		b1 = INFINITY,
				b2 = INFINITY;

	for (int j = 0; j < k; j++)
	{
		double		t = KmDist2(xi, c + (Size) j * d, d);

		if (t < b1)
		{
			b2 = b1;
			b1 = t;
			best = j;
		}
		else if (t < b2)
			b2 = t;
	}
	*d1 = sqrt(b1);
	*d2 = sqrt(b2);
	return best;
}

/*
 * Assignment step with Hamerly's bounds; returns whether any label changed.  On the first call (first = true)
 * every point is scanned and the cluster sums are counted; later calls first move each point's bounds by the
 * last update's shifts, re-scan only the points the bounds cannot settle, and keep the sums up to date by
 * moving the points that change cluster (so an iteration is one pass over the points).
 */
static bool
KmAssign(KmRun *r, bool first)
{
	bool		changed = false;
	int			d = r->d;

	if (first)
	{
		memset(r->sums, 0, (Size) r->k * d * sizeof(double));
		memset(r->counts, 0, r->k * sizeof(double));
	}
	else
		KmCenterGaps(r->c, r->k, d, r->half_gap);
	for (int64 i = 0; i < r->n; i++)
	{
		const double *xi = r->x + i * d;
		int			a = r->labels[i],
					b;

		if ((i & 16383) == 0 && KmStop(r))
			return false;
		if (!first)
		{
			double		m;

			r->upper[i] += r->shift[a];
			r->lower[i] -= a == r->max_shift_centre ? r->second_shift : r->max_shift;
			m = Max(r->half_gap[a], r->lower[i]);
			if (r->upper[i] <= m)
				continue;
			r->upper[i] = sqrt(KmDist2(xi, r->c + (Size) a * d, d));
			if (r->upper[i] <= m)
				continue;
		}
		b = KmScan(xi, r->c, r->k, d, &r->upper[i], &r->lower[i]);
		if (first || b != a)
		{
			double	   *sb = r->sums + (Size) b * d;

			changed = true;
			if (!first)
			{
				double	   *sa = r->sums + (Size) a * d;

				for (int j = 0; j < d; j++)
					sa[j] -= xi[j];
				r->counts[a] -= 1;
			}
			for (int j = 0; j < d; j++)
				sb[j] += xi[j];
			r->counts[b] += 1;
			r->labels[i] = b;
		}
	}
	return changed;
}

/*
 * Update step: centres to the means of their points; empty clusters take the points farthest from their
 * centres (scikit-learn's relocation: the point's label stays, its coordinates move to the empty cluster).
 * Records how far each centre moved (for the bounds) and returns the total squared shift.
 */
static double
KmUpdate(KmRun *r)
{
	int			k = r->k,
				d = r->d,
				nempty = 0;
	double		total = 0;

	if (r->sums_stale)
	{
		memset(r->sums, 0, (Size) k * d * sizeof(double));
		memset(r->counts, 0, k * sizeof(double));
		for (int64 i = 0; i < r->n; i++)
		{
			double	   *sa = r->sums + (Size) r->labels[i] * d;
			const double *xi = r->x + i * d;

			for (int j = 0; j < d; j++)
				sa[j] += xi[j];
			r->counts[r->labels[i]] += 1;
		}
		r->sums_stale = false;
	}
	for (int j = 0; j < k; j++)
		nempty += r->counts[j] == 0;
	if (nempty > 0)
	{
		/* the nempty points farthest from their (old) centres, farthest first, ties by lower index */
		int			nfar = 0,
					e = 0;

		for (int64 i = 0; i < r->n; i++)
		{
			double		t = KmDist2(r->x + i * d, r->c + (Size) r->labels[i] * d, d);
			int			p;

			if (nfar == nempty && !(t > r->fard[nfar - 1]))
				continue;
			p = nfar < nempty ? nfar++ : nempty - 1;
			while (p > 0 && r->fard[p - 1] < t)
			{
				r->far[p] = r->far[p - 1];
				r->fard[p] = r->fard[p - 1];
				p--;
			}
			r->far[p] = i;
			r->fard[p] = t;
		}
		for (int j = 0; j < k && e < nfar; j++)
		{
			const double *xf;
			int			old;

			if (r->counts[j] != 0)
				continue;
			xf = r->x + r->far[e] * d;
			old = r->labels[r->far[e]];
			for (int q = 0; q < d; q++)
			{
				r->sums[(Size) old * d + q] -= xf[q];
				r->sums[(Size) j * d + q] = xf[q];
			}
			r->counts[old] -= 1;
			r->counts[j] = 1;
			e++;
		}
		r->sums_stale = true;	/* the labels no longer match the sums */
	}
	r->max_shift = r->second_shift = 0;
	r->max_shift_centre = -1;
	for (int j = 0; j < k; j++)
	{
		double	   *cj = r->c + (Size) j * d,
					moved = 0;

		if (r->counts[j] > 0)
			for (int q = 0; q < d; q++)
			{
				double		nv = r->sums[(Size) j * d + q] / r->counts[j],
							t = nv - cj[q];

				moved += t * t;
				cj[q] = nv;
			}
		total += moved;
		r->shift[j] = sqrt(moved);
		if (r->shift[j] > r->max_shift)
		{
			r->second_shift = r->max_shift;
			r->max_shift = r->shift[j];
			r->max_shift_centre = j;
		}
		else if (r->shift[j] > r->second_shift)
			r->second_shift = r->shift[j];
	}
	return total;
}

/* One Lloyd run from the centres in r->c (scikit-learn's stopping rules); returns the inertia. */
static double
KmLloyd(KmRun *r, int max_iter, double tol_abs, int *iterations, bool *converged)
{
	bool		strict = false;
	double		inertia = 0;
	int			it;

	*converged = false;
	r->sums_stale = false;
	for (it = 0; it < max_iter; it++)
	{
		bool		changed = KmAssign(r, it == 0);
		double		shift;

		if (r->shared->stop)
			return 0;
		shift = KmUpdate(r);
		if (it > 0 && !changed)
		{
			strict = true;
			*converged = true;
			break;
		}
		if (shift <= tol_abs)
		{
			*converged = true;
			break;
		}
	}
	*iterations = Min(it + 1, max_iter);
	if (!strict)
		KmAssign(r, false);
	for (int64 i = 0; i < r->n; i++)
		inertia += KmDist2(r->x + i * r->d, r->c + (Size) r->labels[i] * r->d, r->d);
	return inertia;
}

/* What a thread of a fit needs besides its arrays. */
typedef struct KmRunArgs
{
	const KmOptions *o;
	double		tol_abs;
} KmRunArgs;

static KmRunArgs km_run_args;	/* set before the threads start, read-only while they run */

/* Takes runs until none is left (or a stop), keeping the thread's best.  Runs in any thread. */
static void
KmRuns(KmRun *r)
{
	const KmOptions *o = km_run_args.o;

	for (;;)
	{
		int			run = __atomic_fetch_add(&r->shared->next_run, 1, __ATOMIC_RELAXED);
		int			iterations = 0;
		bool		converged = false;
		double		inertia;

		if (run >= r->shared->n_init || r->shared->stop)
			return;
		gsl_rng_set(r->rng, (unsigned long) (r->shared->seed + (uint32) run * (uint32) 0x9E3779B9));
		if (!KmSeed(r))
		{
			if (r->distinct > 0)
				r->shared->stop = 1;	/* every run would fail the same way */
			return;
		}
		memcpy(r->init, r->c, (Size) r->k * r->d * sizeof(double));
		inertia = KmLloyd(r, o->max_iter, km_run_args.tol_abs, &iterations, &converged);
		if (r->shared->stop)
			return;
		if (r->best_run < 0 || inertia < r->best_inertia)
		{
			int32	   *swap = r->best_labels;

			r->best_run = run;
			r->best_inertia = inertia;
			r->best_iterations = iterations;
			r->best_converged = converged;
			memcpy(r->best_c, r->c, (Size) r->k * r->d * sizeof(double));
			memcpy(r->best_init, r->init, (Size) r->k * r->d * sizeof(double));
			r->best_labels = r->labels;		/* the next run rewrites all labels anyway */
			r->labels = swap;
		}
	}
}

/* Thread body of a worker thread. */
static void *
KmThreadMain(void *arg)
{
	KmRuns((KmRun *) arg);
	return NULL;
}

/* Allocates the arrays of one thread (in the backend thread, before any thread starts). */
static void
KmRunInit(KmRun *r, const double *x, int64 n, int d, int k, KmShared *shared)
{
	int			trials = 2 + (int) floor(log((double) k));

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
	r->rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (r->rng == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
}

/* Frees the arrays of one thread (but its best labels when the caller keeps them). */
static void
KmRunFree(KmRun *r, bool keep_best_labels)
{
	if (r->rng)
		gsl_rng_free(r->rng);
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
static void
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
 * Fits k-means on the fitting data: n_init seeded runs (on up to supplymkt.kmeans_threads threads), the lowest
 * inertia kept (the lower run number on ties); the result renumbered by descending size.  Labels are returned
 * when want_labels.
 */
static void
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
	shared.n_init = o->n_init;
	shared.seed = (uint32) o->seed;
	km_run_args.o = o;
	km_run_args.tol_abs = KmAbsoluteTolerance(x, n, d, o->tol);
	runs = SmAllocArray(nthreads, sizeof(KmRun));
	for (int t = 0; t < nthreads; t++)
		KmRunInit(&runs[t], x, n, d, k, &shared);
	runs[0].is_backend = true;

	/* from here until every thread is joined, nothing may raise an error */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int t = 1; t < nthreads; t++)
		runs[t].started = pthread_create(&runs[t].thread, NULL, KmThreadMain, &runs[t]) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	KmRuns(&runs[0]);
	for (int t = 1; t < nthreads; t++)
		while (runs[t].started)
		{
			struct timespec deadline;

			clock_gettime(CLOCK_REALTIME, &deadline);
			deadline.tv_nsec += 10 * 1000 * 1000;
			if (deadline.tv_nsec >= 1000 * 1000 * 1000)
			{
				deadline.tv_sec++;
				deadline.tv_nsec -= 1000 * 1000 * 1000;
			}
			if (pthread_timedjoin_np(runs[t].thread, NULL, &deadline) == 0)
				runs[t].started = false;
			else
				(void) KmStop(&runs[0]);	/* watch for a cancel while waiting */
		}

	/* all threads are done: errors may happen again */
	if (shared.stop)
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

/* ---------------------------------------------------------------------------------------------------------
 * kmeans_model
 * --------------------------------------------------------------------------------------------------------- */

/* Bytes of a model with k clusters of dim features (and init when has_init). */
static Size
KmModelSize(int k, int dim, bool has_init)
{
	double		values = 2.0 * dim + (double) k * dim + k + (has_init ? (double) k * dim : 0);

	if (k < 1 || dim < 1 || values * sizeof(float8) > (double) (MaxAllocSize - 1024))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("kmeans_model with k = %d and %d features is too large", k, dim)));
	return offsetof(KmModel, data) + (Size) values * sizeof(float8);
}

/* Allocates a zeroed model. */
static KmModel *
KmModelNew(int k, int dim, bool has_init)
{
	Size		size = KmModelSize(k, dim, has_init);
	KmModel    *m = palloc0(size);

	SET_VARSIZE(m, size);
	m->version = KM_MODEL_VERSION;
	m->k = k;
	m->dim = dim;
	if (has_init)
		m->flags |= KM_HAS_INIT;
	return m;
}

/* Raises the error for an inconsistent kmeans_model read from outside. */
static void
KmInvalidModel(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid kmeans_model: %s", why)));
}

/* Checks a model read from text or binary: flags, counts, finite arrays, positive scales, sizes. */
static void
KmModelValidate(const KmModel *m)
{
	int64		total = 0;
	Size		nvalues = (VARSIZE(m) - offsetof(KmModel, data)) / sizeof(float8);

	if (m->flags & ~(KM_STANDARDIZE | KM_CONVERGED | KM_SAMPLED | KM_HAS_INIT))
		KmInvalidModel("unknown flags");
	if (m->k < 1 || m->k > KM_MAX_K || m->dim < 1 || m->iterations < 0 || m->n_init < 0 ||
		m->n_points < 0 || m->sample_points < 0 || m->sample_points > m->n_points)
		KmInvalidModel("k, dim, iterations, n_init, n_points and sample_points must be in range");
	if (!isfinite(m->inertia) || m->inertia < 0)
		KmInvalidModel("inertia must be a finite non-negative number");
	for (Size i = 0; i < nvalues; i++)
		if (!isfinite(m->data[i]))
			KmInvalidModel("every number must be finite");
	for (int j = 0; j < m->dim; j++)
		if (!(KmScale(m)[j] > 0))
			KmInvalidModel("every scale must be positive");
	for (int j = 0; j < m->k; j++)
	{
		double		s = KmSizes(m)[j];

		if (s < 0 || s != floor(s) || s > 9e15)
			KmInvalidModel("sizes must be whole non-negative numbers");
		total += (int64) s;
	}
	if (!(m->flags & KM_STANDARDIZE))
		for (int j = 0; j < m->dim; j++)
			if (KmMean(m)[j] != 0 || KmScale(m)[j] != 1)
				KmInvalidModel("a model without standardize has mean 0 and scale 1");
	if (total != 0 && total != m->sample_points)
		KmInvalidModel("sizes must add up to sample_points (n_points when not sampled), or be all 0");
}

/* The model argument, detoasted and checked. */
static KmModel *
KmModelArg(FunctionCallInfo fcinfo, int argno)
{
	KmModel    *m = (KmModel *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (m->version != KM_MODEL_VERSION || VARSIZE(m) != KmModelSize(m->k, m->dim, (m->flags & KM_HAS_INIT) != 0))
		elog(ERROR, "kmeans_model of unexpected version or size");
	return m;
}

/* Appends a JSON array of n floats. */
static void
KmAppendArray(StringInfo out, const double *v, int64 n)
{
	appendStringInfoChar(out, '[');
	for (int64 i = 0; i < n; i++)
	{
		if (i)
			appendStringInfoChar(out, ',');
		SmAppendFloat8(out, v[i]);
	}
	appendStringInfoChar(out, ']');
}

PG_FUNCTION_INFO_V1(kmeans_model_in);
/* Text input of kmeans_model: the JSON kmeans_model_out writes; k, dim and centroids are required. */
Datum
kmeans_model_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	SmJsonObject *obj = SmJsonParse(text, "kmeans_model");
	int64		k,
				dim,
				ival;
	bool		bval,
				has_init;
	KmModel    *m;
	SmJsonField *f;
	double	   *orig;

	if (SmJsonOptInt64(obj, "version", &ival) && ival != KM_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("unsupported kmeans_model version " INT64_FORMAT, ival)));
	k = SmJsonGetInt64(obj, "k");
	dim = SmJsonGetInt64(obj, "dim");
	SmCheckIntRange(k, 1, KM_MAX_K, "k");
	SmCheckIntRange(dim, 1, PG_INT32_MAX / 16, "dim");
	f = SmJsonFind(obj, "init", false);
	has_init = f != NULL && f->is_array;
	m = KmModelNew((int) k, (int) dim, has_init);
	for (int j = 0; j < dim; j++)
		KmScale(m)[j] = 1;
	if (SmJsonOptBool(obj, "standardize", &bval) && bval)
		m->flags |= KM_STANDARDIZE;
	SmJsonOptFloat8Array(obj, "mean", dim, KmMean(m));
	SmJsonOptFloat8Array(obj, "scale", dim, KmScale(m));
	if (!SmJsonOptFloat8Array(obj, "centroids", k * dim, KmCentroids(m)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type kmeans_model: \"centroids\" (k x dim numbers, row-major) is required")));
	SmJsonOptFloat8Array(obj, "sizes", k, KmSizes(m));
	if (has_init)
		SmJsonOptFloat8Array(obj, "init", k * dim, KmInit(m));
	SmJsonOptFloat8(obj, "inertia", &m->inertia);
	if (SmJsonOptInt64(obj, "iterations", &ival))
	{
		SmCheckIntRange(ival, 0, PG_INT32_MAX, "iterations");
		m->iterations = (int32) ival;
	}
	if (SmJsonOptBool(obj, "converged", &bval) && bval)
		m->flags |= KM_CONVERGED;
	if (SmJsonOptInt64(obj, "n_points", &ival))
		m->n_points = ival;
	m->sample_points = m->n_points;
	if (SmJsonOptBool(obj, "sampled", &bval) && bval)
		m->flags |= KM_SAMPLED;
	if (SmJsonOptInt64(obj, "sample_points", &ival))
		m->sample_points = ival;
	if (SmJsonOptInt64(obj, "seed", &ival))
	{
		SmCheckIntRange(ival, PG_INT32_MIN, PG_INT32_MAX, "seed");
		m->seed = (int32) ival;
	}
	if (SmJsonOptInt64(obj, "n_init", &ival))
	{
		SmCheckIntRange(ival, 0, KM_MAX_N_INIT, "n_init");
		m->n_init = (int32) ival;
	}
	/* centroids_original is derived; when given it must agree with centroids, mean and scale */
	orig = SmAllocArray(k * dim, sizeof(double));
	if (SmJsonOptFloat8Array(obj, "centroids_original", k * dim, orig))
		for (int64 i = 0; i < k * dim; i++)
		{
			double		want = KmCentroids(m)[i] * KmScale(m)[i % dim] + KmMean(m)[i % dim];

			if (fabs(orig[i] - want) > 1e-9 * Max(1.0, fabs(want)))
				KmInvalidModel("centroids_original disagrees with centroids, mean and scale (edit \"centroids\", in the standardized space, instead)");
		}
	SmJsonRejectUnknown(obj);
	KmModelValidate(m);
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(kmeans_model_out);
/* Text output of kmeans_model: JSON with exact floats. */
Datum
kmeans_model_out(PG_FUNCTION_ARGS)
{
	KmModel    *m = KmModelArg(fcinfo, 0);
	StringInfoData out;
	int64		kd = (int64) m->k * m->dim;
	double	   *orig = SmAllocArray(kd, sizeof(double));

	for (int64 i = 0; i < kd; i++)
		orig[i] = KmCentroids(m)[i] * KmScale(m)[i % m->dim] + KmMean(m)[i % m->dim];
	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	SmAppendJsonKey(&out, "version", true);
	appendStringInfo(&out, "%d", m->version);
	SmAppendJsonKey(&out, "k", false);
	appendStringInfo(&out, "%d", m->k);
	SmAppendJsonKey(&out, "dim", false);
	appendStringInfo(&out, "%d", m->dim);
	SmAppendJsonKey(&out, "standardize", false);
	appendStringInfoString(&out, m->flags & KM_STANDARDIZE ? "true" : "false");
	SmAppendJsonKey(&out, "mean", false);
	KmAppendArray(&out, KmMean(m), m->dim);
	SmAppendJsonKey(&out, "scale", false);
	KmAppendArray(&out, KmScale(m), m->dim);
	SmAppendJsonKey(&out, "centroids", false);
	KmAppendArray(&out, KmCentroids(m), kd);
	SmAppendJsonKey(&out, "centroids_original", false);
	KmAppendArray(&out, orig, kd);
	SmAppendJsonKey(&out, "sizes", false);
	KmAppendArray(&out, KmSizes(m), m->k);
	SmAppendJsonKey(&out, "inertia", false);
	SmAppendFloat8(&out, m->inertia);
	SmAppendJsonKey(&out, "iterations", false);
	appendStringInfo(&out, "%d", m->iterations);
	SmAppendJsonKey(&out, "converged", false);
	appendStringInfoString(&out, m->flags & KM_CONVERGED ? "true" : "false");
	SmAppendJsonKey(&out, "n_points", false);
	appendStringInfo(&out, INT64_FORMAT, m->n_points);
	SmAppendJsonKey(&out, "sampled", false);
	appendStringInfoString(&out, m->flags & KM_SAMPLED ? "true" : "false");
	SmAppendJsonKey(&out, "sample_points", false);
	appendStringInfo(&out, INT64_FORMAT, m->sample_points);
	SmAppendJsonKey(&out, "seed", false);
	appendStringInfo(&out, "%d", m->seed);
	SmAppendJsonKey(&out, "n_init", false);
	appendStringInfo(&out, "%d", m->n_init);
	if (m->flags & KM_HAS_INIT)
	{
		SmAppendJsonKey(&out, "init", false);
		KmAppendArray(&out, KmInit(m), kd);
	}
	appendStringInfoChar(&out, '}');
	PG_RETURN_CSTRING(out.data);
}

PG_FUNCTION_INFO_V1(kmeans_model_recv);
/* Binary input of kmeans_model: version, flags, sizes and counters, then every array; validated. */
Datum
kmeans_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	int			version,
				flags;
	int32		k,
				dim;
	KmModel    *m;
	Size		nvalues;

	SmRecvCheckRemaining(msg, 2 + 4 * 5 + 8 * 3, "kmeans_model");
	version = pq_getmsgbyte(msg);
	if (version != KM_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported kmeans_model version %d", version)));
	flags = pq_getmsgbyte(msg);
	k = (int32) pq_getmsgint(msg, 4);
	dim = (int32) pq_getmsgint(msg, 4);
	if (k < 1 || k > KM_MAX_K || dim < 1 || dim > PG_INT32_MAX / 16)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type kmeans_model: k or dim out of range")));
	m = KmModelNew(k, dim, (flags & KM_HAS_INIT) != 0);
	m->flags = (uint8) flags;
	m->iterations = (int32) pq_getmsgint(msg, 4);
	m->n_init = (int32) pq_getmsgint(msg, 4);
	m->seed = (int32) pq_getmsgint(msg, 4);
	m->n_points = pq_getmsgint64(msg);
	m->sample_points = pq_getmsgint64(msg);
	m->inertia = pq_getmsgfloat8(msg);
	nvalues = (VARSIZE(m) - offsetof(KmModel, data)) / sizeof(float8);
	if ((double) nvalues * 8 != (double) (msg->len - msg->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type kmeans_model: inconsistent size")));
	for (Size i = 0; i < nvalues; i++)
		m->data[i] = pq_getmsgfloat8(msg);
	KmModelValidate(m);
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(kmeans_model_send);
/* Binary output of kmeans_model. */
Datum
kmeans_model_send(PG_FUNCTION_ARGS)
{
	KmModel    *m = KmModelArg(fcinfo, 0);
	StringInfoData out;
	Size		nvalues = (VARSIZE(m) - offsetof(KmModel, data)) / sizeof(float8);

	pq_begintypsend(&out);
	pq_sendbyte(&out, m->version);
	pq_sendbyte(&out, m->flags);
	pq_sendint32(&out, m->k);
	pq_sendint32(&out, m->dim);
	pq_sendint32(&out, m->iterations);
	pq_sendint32(&out, m->n_init);
	pq_sendint32(&out, m->seed);
	pq_sendint64(&out, m->n_points);
	pq_sendint64(&out, m->sample_points);
	pq_sendfloat8(&out, m->inertia);
	for (Size i = 0; i < nvalues; i++)
		pq_sendfloat8(&out, m->data[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&out));
}

/* ---------------------------------------------------------------------------------------------------------
 * kmeans_fit and kmeans_elbow: collect the points, fit in the final function
 * --------------------------------------------------------------------------------------------------------- */

/* Parameter slots of kmeans_fit_state. */
enum
{
	KM_P_K, KM_P_SEED, KM_P_N_INIT, KM_P_MAX_ITER, KM_P_TOL, KM_P_STANDARDIZE, KM_P_K_MAX
};

/* Reads an integer argument that must not be NULL. */
static int32
KmIntArg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		SmErrorNullArgument(name);
	return PG_GETARG_INT32(argno);
}

/* Adds one features row to a kmeans_fit_state (the transition of kmeans_fit and kmeans_elbow). */
static Datum
KmCollect(FunctionCallInfo fcinfo, const float8 *params)
{
	SmRowBuffer *buf;
	int			d;
	double	   *v = SmFeatures(PG_GETARG_ARRAYTYPE_P(1), &d);

	buf = SmRowBufferForUpdate(fcinfo, &sm_kmeans_fit_kind);
	SmRowBufferSetParams(buf, &sm_kmeans_fit_kind, params);
	SmRowBufferSetCols(buf, &sm_kmeans_fit_kind, d, "features");
	buf = SmRowBufferAppendSampled(buf, &sm_kmeans_fit_kind, v, SmRowBufferMaxRows(&sm_kmeans_fit_kind, d), CurrentMemoryContext);
	PG_RETURN_POINTER(buf);
}

PG_FUNCTION_INFO_V1(kmeans_fit_transfn);
/* Transition of kmeans_fit(features, k [, seed, n_init, max_iter, tol, standardize]): NULL arrays are skipped. */
Datum
kmeans_fit_transfn(PG_FUNCTION_ARGS)
{
	int			nargs = PG_NARGS();
	float8		params[SM_ROWS_PARAMS] = {0};
	double		tol = KM_DEFAULT_TOL;

	if (PG_ARGISNULL(1))
		SM_SKIP_ROW();
	params[KM_P_K] = KmIntArg(fcinfo, 2, "k");
	params[KM_P_SEED] = nargs > 3 ? KmIntArg(fcinfo, 3, "seed") : 0;
	params[KM_P_N_INIT] = nargs > 4 ? KmIntArg(fcinfo, 4, "n_init") : KM_DEFAULT_N_INIT;
	params[KM_P_MAX_ITER] = nargs > 5 ? KmIntArg(fcinfo, 5, "max_iter") : KM_DEFAULT_MAX_ITER;
	if (nargs > 6)
	{
		if (PG_ARGISNULL(6))
			SmErrorNullArgument("tol");
		tol = PG_GETARG_FLOAT8(6);
		SmCheckNonNegative(tol, "tol");
	}
	params[KM_P_TOL] = tol;
	if (nargs > 7 && PG_ARGISNULL(7))
		SmErrorNullArgument("standardize");
	params[KM_P_STANDARDIZE] = nargs > 7 ? PG_GETARG_BOOL(7) : true;
	SmCheckIntRange((int64) params[KM_P_K], 1, KM_MAX_K, "k");
	SmCheckIntRange((int64) params[KM_P_N_INIT], 1, KM_MAX_N_INIT, "n_init");
	SmCheckIntRange((int64) params[KM_P_MAX_ITER], 1, PG_INT32_MAX, "max_iter");
	return KmCollect(fcinfo, params);
}

PG_FUNCTION_INFO_V1(kmeans_elbow_transfn);
/* Transition of kmeans_elbow(features, k_min, k_max [, seed]). */
Datum
kmeans_elbow_transfn(PG_FUNCTION_ARGS)
{
	float8		params[SM_ROWS_PARAMS] = {0};
	int32		k_min,
				k_max;

	if (PG_ARGISNULL(1))
		SM_SKIP_ROW();
	k_min = KmIntArg(fcinfo, 2, "k_min");
	k_max = KmIntArg(fcinfo, 3, "k_max");
	SmCheckIntRange(k_min, 1, KM_MAX_K, "k_min");
	SmCheckIntRange(k_max, k_min, Min((int64) k_min + KM_MAX_ELBOW_KS - 1, KM_MAX_K), "k_max");
	params[KM_P_K] = k_min;
	params[KM_P_SEED] = PG_NARGS() > 4 ? KmIntArg(fcinfo, 4, "seed") : 0;
	params[KM_P_N_INIT] = KM_DEFAULT_N_INIT;
	params[KM_P_MAX_ITER] = KM_DEFAULT_MAX_ITER;
	params[KM_P_TOL] = KM_DEFAULT_TOL;
	params[KM_P_STANDARDIZE] = 1;
	params[KM_P_K_MAX] = k_max;
	return KmCollect(fcinfo, params);
}

/* Reads the options stored in a kmeans_fit_state, re-checking them (the state may come from outside). */
static void
KmStateOptions(const SmRowBuffer *buf, KmOptions *o)
{
	const float8 *p = buf->params;

	if (!(buf->flags & SM_ROWS_PARAMS_SET) || p[KM_P_K] != floor(p[KM_P_K]) || p[KM_P_K] < 1 ||
		p[KM_P_K] > KM_MAX_K || p[KM_P_N_INIT] < 1 || p[KM_P_N_INIT] > KM_MAX_N_INIT ||
		p[KM_P_N_INIT] != floor(p[KM_P_N_INIT]) || p[KM_P_MAX_ITER] < 1 || p[KM_P_MAX_ITER] > PG_INT32_MAX ||
		p[KM_P_MAX_ITER] != floor(p[KM_P_MAX_ITER]) || p[KM_P_SEED] != floor(p[KM_P_SEED]) ||
		p[KM_P_SEED] < PG_INT32_MIN || p[KM_P_SEED] > PG_INT32_MAX || p[KM_P_TOL] < 0 ||
		(p[KM_P_STANDARDIZE] != 0 && p[KM_P_STANDARDIZE] != 1) || p[KM_P_K_MAX] < 0 ||
		p[KM_P_K_MAX] > KM_MAX_K || p[KM_P_K_MAX] != floor(p[KM_P_K_MAX]) ||
		(p[KM_P_K_MAX] > 0 && (p[KM_P_K_MAX] < p[KM_P_K] || p[KM_P_K_MAX] - p[KM_P_K] >= KM_MAX_ELBOW_KS)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid kmeans_fit_state: parameters out of range")));
	o->k = (int) p[KM_P_K];
	o->seed = (int) p[KM_P_SEED];
	o->n_init = (int) p[KM_P_N_INIT];
	o->max_iter = (int) p[KM_P_MAX_ITER];
	o->tol = p[KM_P_TOL];
	o->standardize = p[KM_P_STANDARDIZE] != 0;
}

/* Builds the model value of a fit. */
static KmModel *
KmModelFromFit(const KmOptions *o, int d, const double *mean, const double *scale, const KmResult *res,
			   int64 n_points, int64 sample_points, bool sampled)
{
	KmModel    *m = KmModelNew(o->k, d, res->init != NULL);

	memcpy(KmMean(m), mean, d * sizeof(double));
	memcpy(KmScale(m), scale, d * sizeof(double));
	memcpy(KmCentroids(m), res->centroids, (Size) o->k * d * sizeof(double));
	for (int j = 0; j < o->k; j++)
		KmSizes(m)[j] = (double) res->sizes[j];
	if (res->init)
		memcpy(KmInit(m), res->init, (Size) o->k * d * sizeof(double));
	m->flags |= (o->standardize ? KM_STANDARDIZE : 0) | (res->converged ? KM_CONVERGED : 0) |
		(sampled ? KM_SAMPLED : 0);
	m->inertia = res->inertia;
	m->iterations = res->iterations;
	m->n_init = o->n_init;
	m->seed = o->seed;
	m->n_points = n_points;
	m->sample_points = sample_points;
	return m;
}

PG_FUNCTION_INFO_V1(kmeans_fit_final);
/* Final of kmeans_fit: standardize, fit, and return the model (NULL without points). */
Datum
kmeans_fit_final(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf = SmRowBufferArg(fcinfo, 0, &sm_kmeans_fit_kind);
	KmOptions	o;
	KmResult	res;
	int			d = buf->ncols;
	double	   *mean,
			   *scale;
	const double *x;

	if (buf->nrows == 0)
		PG_RETURN_NULL();
	KmStateOptions(buf, &o);
	mean = SmAllocArray(d, sizeof(double));
	scale = SmAllocArray(d, sizeof(double));
	x = KmFittingData(KmSortedRows(buf->values, buf->nrows, d, NULL), buf->nrows, d, o.standardize, mean, scale);
	KmFit(x, buf->nrows, d, &o, false, &res);
	PG_RETURN_POINTER(KmModelFromFit(&o, d, mean, scale, &res, buf->nseen, buf->nrows, buf->level > 0));
}

/*
 * Mean silhouette of a sample of at most KM_SILHOUETTE_SAMPLE points (all when fewer), Euclidean, with the
 * labels of the full fit; a point alone in its cluster scores 0 (scikit-learn's rule).  NaN when the sample
 * has fewer than 2 clusters.
 */
static double
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

PG_FUNCTION_INFO_V1(kmeans_elbow_final);
/* Final of kmeans_elbow: one fit per k, as an array of kmeans_elbow_point (k, inertia, silhouette, ...). */
Datum
kmeans_elbow_final(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf = SmRowBufferArg(fcinfo, 0, &sm_kmeans_fit_kind);
	KmOptions	o;
	int			d = buf->ncols,
				k_min,
				k_max;
	double	   *mean,
			   *scale;
	const double *x;
	/* the declared return type (Citus calls final functions without an expression to ask) */
	Oid			array_type = get_func_rettype(fcinfo->flinfo->fn_oid),
				elem_type = get_element_type(array_type);
	TupleDesc	tupdesc;
	Datum	   *points;
	double	   *sorted;
	int64		distinct = 0;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (buf->nrows == 0)
		PG_RETURN_NULL();
	if (!OidIsValid(elem_type))
		elog(ERROR, "kmeans_elbow_final must return an array of kmeans_elbow_point");
	KmStateOptions(buf, &o);
	if (buf->params[KM_P_K_MAX] == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid kmeans_fit_state for kmeans_elbow: k_max is missing")));
	k_min = o.k;
	k_max = (int) buf->params[KM_P_K_MAX];
	tupdesc = lookup_rowtype_tupdesc_copy(elem_type, -1);
	mean = SmAllocArray(d, sizeof(double));
	scale = SmAllocArray(d, sizeof(double));
	sorted = KmSortedRows(buf->values, buf->nrows, d, NULL);
	for (int64 i = 0; i < buf->nrows && distinct <= k_max; i++)
		distinct += i == 0 || !KmSameRow(sorted + i * d, sorted + (i - 1) * d, d);
	k_max = (int) Min(k_max, distinct);
	x = KmFittingData(sorted, buf->nrows, d, o.standardize, mean, scale);
	points = SmAllocArray(Max(k_max - k_min + 1, 1), sizeof(Datum));
	for (int k = k_min; k <= k_max; k++)
	{
		KmResult	res;
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		double		sil;

		o.k = k;
		KmFit(x, buf->nrows, d, &o, true, &res);
		sil = k > 1 ? KmSilhouette(x, buf->nrows, d, k, res.labels, o.seed) : NAN;
		values[0] = Int32GetDatum(k);
		values[1] = Float8GetDatum(res.inertia);
		values[2] = Float8GetDatum(sil);
		nulls[2] = isnan(sil);
		values[3] = Int32GetDatum(res.iterations);
		values[4] = BoolGetDatum(res.converged);
		points[k - k_min] = HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
		pfree(res.labels);
	}
	get_typlenbyvalalign(elem_type, &typlen, &typbyval, &typalign);
	PG_RETURN_ARRAYTYPE_P(construct_array(points, Max(k_max - k_min + 1, 0), elem_type, typlen, typbyval, typalign));
}

/* ---------------------------------------------------------------------------------------------------------
 * Readers
 * --------------------------------------------------------------------------------------------------------- */

/* The features of a reader call in the model's fitting space (length checked against the model). */
static double *
KmStandardizedFeatures(const KmModel *m, ArrayType *arr)
{
	int			d;
	double	   *v = SmFeatures(arr, &d),
			   *z;

	if (d != m->dim)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features has %d elements, but the model was fitted on %d", d, m->dim)));
	z = palloc(d * sizeof(double));
	for (int j = 0; j < d; j++)
		z[j] = (v[j] - KmMean(m)[j]) / KmScale(m)[j];
	return z;
}

PG_FUNCTION_INFO_V1(kmeans_assign);
/* kmeans_assign(model, features): the nearest cluster, 1..k. */
Datum
kmeans_assign(PG_FUNCTION_ARGS)
{
	KmModel    *m = KmModelArg(fcinfo, 0);
	double	   *z = KmStandardizedFeatures(m, PG_GETARG_ARRAYTYPE_P(1)),
				d2;

	PG_RETURN_INT32(KmNearest(z, KmCentroids(m), m->k, m->dim, &d2) + 1);
}

PG_FUNCTION_INFO_V1(kmeans_distance);
/* kmeans_distance(model, features): Euclidean distance to the nearest centroid (standardized space). */
Datum
kmeans_distance(PG_FUNCTION_ARGS)
{
	KmModel    *m = KmModelArg(fcinfo, 0);
	double	   *z = KmStandardizedFeatures(m, PG_GETARG_ARRAYTYPE_P(1)),
				d2,
				dist;

	KmNearest(z, KmCentroids(m), m->k, m->dim, &d2);
	dist = sqrt(d2);
	if (!isfinite(dist))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("distance out of range for double precision")));
	PG_RETURN_FLOAT8(dist);
}

/* A float8[] of n values. */
static ArrayType *
KmFloatArray(const double *v, int n)
{
	Datum	   *d = palloc(n * sizeof(Datum));

	for (int i = 0; i < n; i++)
		d[i] = Float8GetDatum(v[i]);
	return construct_array(d, n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

PG_FUNCTION_INFO_V1(kmeans_centroids);
/* kmeans_centroids(model): one row per cluster (number, size, centroid standardized and in input units). */
Datum
kmeans_centroids(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	KmModel    *m = KmModelArg(fcinfo, 0);
	double	   *orig = palloc(m->dim * sizeof(double));

	InitMaterializedSRF(fcinfo, 0);
	for (int c = 0; c < m->k; c++)
	{
		const double *cen = KmCentroids(m) + (Size) c * m->dim;
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		for (int j = 0; j < m->dim; j++)
			orig[j] = cen[j] * KmScale(m)[j] + KmMean(m)[j];
		values[0] = Int32GetDatum(c + 1);
		values[1] = Int64GetDatum((int64) KmSizes(m)[c]);
		values[2] = PointerGetDatum(KmFloatArray(cen, m->dim));
		values[3] = PointerGetDatum(KmFloatArray(orig, m->dim));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ---------------------------------------------------------------------------------------------------------
 * kmeans_refine: one Lloyd step as a partial aggregate
 * --------------------------------------------------------------------------------------------------------- */

/* Parameter slots of kmeans_refine_state. */
enum
{
	KR_P_K, KR_P_STANDARDIZE, KR_P_ITERATIONS, KR_P_INERTIA, KR_P_N_POINTS, KR_P_SEED, KR_P_N_INIT
};

/* Row of the state: k sum rows [count, sums], k centroid rows, the mean row, the scale row ([0, values]). */
#define KrRow(buf, r) ((buf)->values + (Size) (r) * (buf)->ncols)

/* Checks a refine state's shape: 2k + 2 rows of dim + 1 values, parameters in range. */
static void
KrCheck(const SmRowBuffer *buf)
{
	const float8 *p = buf->params;
	int			k = (int) p[KR_P_K];

	if (!(buf->flags & SM_ROWS_PARAMS_SET) || p[KR_P_K] != floor(p[KR_P_K]) || k < 1 || k > KM_MAX_K ||
		buf->ncols < 2 || buf->nrows != 2 * (int64) k + 2 || buf->level != 0 ||
		(p[KR_P_STANDARDIZE] != 0 && p[KR_P_STANDARDIZE] != 1) || p[KR_P_ITERATIONS] < 0 ||
		p[KR_P_ITERATIONS] >= PG_INT32_MAX || p[KR_P_ITERATIONS] != floor(p[KR_P_ITERATIONS]) ||
		p[KR_P_INERTIA] < 0 || p[KR_P_N_POINTS] < 0 || p[KR_P_N_POINTS] != floor(p[KR_P_N_POINTS]) ||
		p[KR_P_SEED] != floor(p[KR_P_SEED]) || p[KR_P_SEED] < PG_INT32_MIN || p[KR_P_SEED] > PG_INT32_MAX ||
		p[KR_P_N_INIT] < 0 || p[KR_P_N_INIT] > KM_MAX_N_INIT || p[KR_P_N_INIT] != floor(p[KR_P_N_INIT]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid kmeans_refine_state: shape or parameters out of range")));
	for (int r = 0; r < 2 * k + 2; r++)
	{
		double		c0 = KrRow(buf, r)[0];

		if (r < k ? (c0 < 0 || c0 != floor(c0)) : c0 != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid kmeans_refine_state: counts must be whole and non-negative")));
	}
	for (int j = 1; j < buf->ncols; j++)
		if (!(KrRow(buf, 2 * k + 1)[j] > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid kmeans_refine_state: scales must be positive")));
}

/* Whether a refine state was started from this model. */
static bool
KrSameModel(const SmRowBuffer *buf, const KmModel *m)
{
	int			k = m->k,
				d = m->dim;

	if (buf->params[KR_P_K] != k || buf->ncols != d + 1 ||
		buf->params[KR_P_STANDARDIZE] != ((m->flags & KM_STANDARDIZE) ? 1 : 0) ||
		buf->params[KR_P_ITERATIONS] != m->iterations)
		return false;
	for (int c = 0; c < k; c++)
		if (memcmp(KrRow(buf, k + c) + 1, KmCentroids(m) + (Size) c * d, d * sizeof(double)) != 0)
			return false;
	return memcmp(KrRow(buf, 2 * k) + 1, KmMean(m), d * sizeof(double)) == 0 &&
		memcmp(KrRow(buf, 2 * k + 1) + 1, KmScale(m), d * sizeof(double)) == 0;
}

/* Raises the error for a model that changes between rows or partial states. */
static void
KrModelChanged(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("model must be the same on every row of kmeans_refine")));
}

PG_FUNCTION_INFO_V1(kmeans_refine_transfn);
/* Transition of kmeans_refine(model, features): assigns the point, adds it to its cluster's count and sum. */
Datum
kmeans_refine_transfn(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf;
	KmModel    *m;
	double	   *z,
				d2;
	int			k,
				d,
				c;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(1) && !PG_ARGISNULL(2))
			SmErrorNullArgument("model");
		SM_SKIP_ROW();
	}
	m = KmModelArg(fcinfo, 1);
	k = m->k;
	d = m->dim;
	z = KmStandardizedFeatures(m, PG_GETARG_ARRAYTYPE_P(2));
	buf = SmRowBufferForUpdate(fcinfo, &sm_kmeans_refine_kind);
	if (buf->nrows == 0)
	{
		double	   *row = palloc0((d + 1) * sizeof(double));

		SmRowBufferSetCols(buf, &sm_kmeans_refine_kind, d + 1, "features");
		for (int r = 0; r < 2 * k + 2; r++)
		{
			if (r >= k)
				memcpy(row + 1, r < 2 * k ? KmCentroids(m) + (Size) (r - k) * d :
					   r == 2 * k ? KmMean(m) : KmScale(m), d * sizeof(double));
			buf = SmRowBufferAppend(buf, &sm_kmeans_refine_kind, row, CurrentMemoryContext);
		}
		buf->flags |= SM_ROWS_PARAMS_SET;
		buf->params[KR_P_K] = k;
		buf->params[KR_P_STANDARDIZE] = (m->flags & KM_STANDARDIZE) ? 1 : 0;
		buf->params[KR_P_ITERATIONS] = m->iterations;
		buf->params[KR_P_SEED] = m->seed;
		buf->params[KR_P_N_INIT] = m->n_init;
	}
	else if (!KrSameModel(buf, m))
		KrModelChanged();
	c = KmNearest(z, KmCentroids(m), k, d, &d2);
	KrRow(buf, c)[0] += 1;
	for (int j = 0; j < d; j++)
		KrRow(buf, c)[j + 1] += z[j];
	buf->params[KR_P_INERTIA] = SmAddChecked(buf->params[KR_P_INERTIA], d2);
	buf->params[KR_P_N_POINTS] += 1;
	PG_RETURN_POINTER(buf);
}

PG_FUNCTION_INFO_V1(kmeans_refine_state_combine);
/* Combine of kmeans_refine_state: adds counts, sums, inertia and points (same model on both sides). */
Datum
kmeans_refine_state_combine(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf,
			   *other;
	int			k;

	if (PG_ARGISNULL(1))
		SM_SKIP_ROW();
	other = SmRowBufferArg(fcinfo, 1, &sm_kmeans_refine_kind);
	KrCheck(other);
	if (PG_ARGISNULL(0))
	{
		MemoryContext cxt;

		if (!AggCheckCallContext(fcinfo, &cxt))
			cxt = CurrentMemoryContext;
		buf = MemoryContextAllocHuge(cxt, VARSIZE(other));
		memcpy(buf, other, VARSIZE(other));
		PG_RETURN_POINTER(buf);
	}
	buf = SmRowBufferForUpdate(fcinfo, &sm_kmeans_refine_kind);
	KrCheck(buf);
	k = (int) buf->params[KR_P_K];
	if (other->ncols != buf->ncols || other->params[KR_P_K] != k ||
		memcmp(KrRow(buf, k), KrRow(other, k), (Size) (k + 2) * buf->ncols * sizeof(double)) != 0 ||
		other->params[KR_P_STANDARDIZE] != buf->params[KR_P_STANDARDIZE] ||
		other->params[KR_P_ITERATIONS] != buf->params[KR_P_ITERATIONS])
		KrModelChanged();
	for (int c = 0; c < k; c++)
		for (int j = 0; j < buf->ncols; j++)
			KrRow(buf, c)[j] = SmAddChecked(KrRow(buf, c)[j], KrRow(other, c)[j]);
	buf->params[KR_P_INERTIA] = SmAddChecked(buf->params[KR_P_INERTIA], other->params[KR_P_INERTIA]);
	buf->params[KR_P_N_POINTS] += other->params[KR_P_N_POINTS];
	PG_RETURN_POINTER(buf);
}

PG_FUNCTION_INFO_V1(kmeans_refine_final);
/* Final of kmeans_refine: each centroid moved to the mean of its points, clusters renumbered by size. */
Datum
kmeans_refine_final(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf = SmRowBufferArg(fcinfo, 0, &sm_kmeans_refine_kind);
	KmOptions	o;
	KmResult	res;
	double	   *centres;
	int			k,
				d;
	int		   *order;
	int64	   *sizes;
	bool		moved = false;

	KrCheck(buf);
	k = (int) buf->params[KR_P_K];
	d = buf->ncols - 1;
	memset(&o, 0, sizeof(o));
	o.k = k;
	o.seed = (int) buf->params[KR_P_SEED];
	o.n_init = (int) buf->params[KR_P_N_INIT];
	o.standardize = buf->params[KR_P_STANDARDIZE] != 0;
	centres = SmAllocArray((int64) k * d, sizeof(double));
	sizes = SmAllocArray(k, sizeof(int64));
	for (int c = 0; c < k; c++)
	{
		const double *sum = KrRow(buf, c),
				   *old = KrRow(buf, k + c) + 1;

		sizes[c] = (int64) sum[0];
		for (int j = 0; j < d; j++)
		{
			double		nv = sum[0] > 0 ? sum[j + 1] / sum[0] : old[j];

			if (fabs(nv - old[j]) > 1e-12 * Max(1.0, fabs(old[j])))
				moved = true;
			centres[(Size) c * d + j] = nv;
		}
	}
	order = SmAllocArray(k, sizeof(int));
	KmNumbering(centres, sizes, k, d, order);
	memset(&res, 0, sizeof(res));
	res.centroids = SmAllocArray((int64) k * d, sizeof(double));
	res.sizes = SmAllocArray(k, sizeof(int64));
	for (int j = 0; j < k; j++)
	{
		memcpy(res.centroids + (Size) j * d, centres + (Size) order[j] * d, d * sizeof(double));
		res.sizes[j] = sizes[order[j]];
	}
	res.inertia = buf->params[KR_P_INERTIA];
	res.iterations = (int) buf->params[KR_P_ITERATIONS] + 1;
	res.converged = !moved;
	PG_RETURN_POINTER(KmModelFromFit(&o, d, KrRow(buf, 2 * k) + 1, KrRow(buf, 2 * k + 1) + 1, &res,
									 (int64) buf->params[KR_P_N_POINTS], (int64) buf->params[KR_P_N_POINTS],
									 false));
}

/* ---------------------------------------------------------------------------------------------------------
 * kmeans_segment: fit on the window partition, label each row
 * --------------------------------------------------------------------------------------------------------- */

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
