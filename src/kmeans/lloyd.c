/*
 * kmeans/lloyd.c — the code the threads of a k-means fit run: greedy k-means++ seeding, the assignment step
 * with Hamerly's bounds, the update step with scikit-learn's relocation of empty clusters, Lloyd runs, and the
 * loop that takes runs until none is left.
 *
 * No PostgreSQL header here (see lloyd.h): no palloc, no ereport, no CHECK_FOR_INTERRUPTS.  Every array a run
 * touches is allocated by the backend before the threads start; the runs poll a shared stop flag, which the
 * backend's own run (and the backend while it waits) raises when a cancel or termination is pending.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "kmeans/lloyd.h"

/* The larger / smaller of two values (PostgreSQL's Max and Min, which live in c.h). */
#define KmMax(x, y) ((x) > (y) ? (x) : (y))
#define KmMin(x, y) ((x) < (y) ? (x) : (y))

/* Index of the nearest of k centroids (ties: the lower index); its squared distance in *best2. */
int
KmNearest(const double *x, const double *c, int k, int d, double *best2)
{
	int			best = 0;
	double		bd = KmDist2(x, c, d);

	for (int j = 1; j < k; j++)
	{
		double		t = KmDist2(x, c + (size_t) j * d, d);

		if (t < bd)
		{
			bd = t;
			best = j;
		}
	}
	*best2 = bd;
	return best;
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
	int64_t		n = r->n;
	int			d = r->d,
				k = r->k,
				trials = KmTrials(k);
	double		pot = 0;
	int64_t		first = (int64_t) gsl_rng_uniform_int(r->rng, (unsigned long) n);

	memcpy(r->c, x + first * d, d * sizeof(double));
	for (int64_t i = 0; i < n; i++)
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
		for (int64_t i = 0; i < n && next < trials; i++)
		{
			acc += r->closest[i];
			while (next < trials && acc >= r->draw[r->order[next]])
				r->ids[r->order[next++]] = i;
		}
		/* each candidate's total: the sum over points of min(current distance, distance to the candidate) */
		memset(r->pots, 0, trials * sizeof(double));
		for (int64_t i = 0; i < n; i++)
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
		for (int64_t i = 0; i < n; i++)
		{
			double		dd = KmDist2(x + i * d, cx, d);

			if (dd < r->closest[i])
				r->closest[i] = dd;
			pot += r->closest[i];
		}
		memcpy(r->c + (size_t) c * d, cx, d * sizeof(double));
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
			double		t = 0.5 * sqrt(KmDist2(c + (size_t) a * d, c + (size_t) b * d, d));

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
		double		t = KmDist2(xi, c + (size_t) j * d, d);

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
		memset(r->sums, 0, (size_t) r->k * d * sizeof(double));
		memset(r->counts, 0, r->k * sizeof(double));
	}
	else
		KmCenterGaps(r->c, r->k, d, r->half_gap);
	for (int64_t i = 0; i < r->n; i++)
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
			m = KmMax(r->half_gap[a], r->lower[i]);
			if (r->upper[i] <= m)
				continue;
			r->upper[i] = sqrt(KmDist2(xi, r->c + (size_t) a * d, d));
			if (r->upper[i] <= m)
				continue;
		}
		b = KmScan(xi, r->c, r->k, d, &r->upper[i], &r->lower[i]);
		if (first || b != a)
		{
			double	   *sb = r->sums + (size_t) b * d;

			changed = true;
			if (!first)
			{
				double	   *sa = r->sums + (size_t) a * d;

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
		memset(r->sums, 0, (size_t) k * d * sizeof(double));
		memset(r->counts, 0, k * sizeof(double));
		for (int64_t i = 0; i < r->n; i++)
		{
			double	   *sa = r->sums + (size_t) r->labels[i] * d;
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

		for (int64_t i = 0; i < r->n; i++)
		{
			double		t = KmDist2(r->x + i * d, r->c + (size_t) r->labels[i] * d, d);
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
				r->sums[(size_t) old * d + q] -= xf[q];
				r->sums[(size_t) j * d + q] = xf[q];
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
		double	   *cj = r->c + (size_t) j * d,
					moved = 0;

		if (r->counts[j] > 0)
			for (int q = 0; q < d; q++)
			{
				double		nv = r->sums[(size_t) j * d + q] / r->counts[j],
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

		if (atomic_load_explicit(&r->shared->stop, memory_order_relaxed))
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
	*iterations = KmMin(it + 1, max_iter);
	if (!strict)
		KmAssign(r, false);
	for (int64_t i = 0; i < r->n; i++)
		inertia += KmDist2(r->x + i * r->d, r->c + (size_t) r->labels[i] * r->d, r->d);
	return inertia;
}

/* Takes runs until none is left (or a stop), keeping the thread's best.  Runs in any thread. */
void
KmRuns(KmRun *r)
{
	KmShared   *shared = r->shared;

	for (;;)
	{
		int			run = atomic_fetch_add_explicit(&shared->next_run, 1, memory_order_relaxed);
		int			iterations = 0;
		bool		converged = false;
		double		inertia;

		if (run >= shared->n_init || atomic_load_explicit(&shared->stop, memory_order_relaxed))
			return;
		gsl_rng_set(r->rng, (unsigned long) (shared->seed + (uint32_t) run * (uint32_t) 0x9E3779B9));
		if (!KmSeed(r))
		{
			/* every run would fail the same way */
			if (r->distinct > 0)
				atomic_store_explicit(&shared->stop, 1, memory_order_relaxed);
			return;
		}
		memcpy(r->init, r->c, (size_t) r->k * r->d * sizeof(double));
		inertia = KmLloyd(r, shared->max_iter, shared->tol_abs, &iterations, &converged);
		if (atomic_load_explicit(&shared->stop, memory_order_relaxed))
			return;
		if (r->best_run < 0 || inertia < r->best_inertia)
		{
			int32_t	   *swap = r->best_labels;

			r->best_run = run;
			r->best_inertia = inertia;
			r->best_iterations = iterations;
			r->best_converged = converged;
			memcpy(r->best_c, r->c, (size_t) r->k * r->d * sizeof(double));
			memcpy(r->best_init, r->init, (size_t) r->k * r->d * sizeof(double));
			r->best_labels = r->labels;		/* the next run rewrites all labels anyway */
			r->labels = swap;
		}
	}
}

/* Thread body of a worker thread: its runs, then the finished flag the backend thread polls. */
void *
KmThreadMain(void *arg)
{
	KmRun	   *r = (KmRun *) arg;

	KmRuns(r);
	atomic_store_explicit(&r->finished, 1, memory_order_release);
	return NULL;
}

