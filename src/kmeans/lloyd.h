/*
 * kmeans/lloyd.h — the thread side of a k-means fit: the arrays of one thread (KmRun), what the threads of a
 * fit share (KmShared), the runs (seeding, Hamerly-bounded Lloyd) and the distance kernels.
 *
 * This header and lloyd.c include no PostgreSQL header, so the compiler proves that the code the worker
 * threads run never calls into PostgreSQL: only the C library, POSIX threads, C11 atomics and GSL.
 * (PostgreSQL's port/atomics.h needs c.h, so the flags shared with the backend thread are C11 atomic_int.)
 */
#ifndef SUPPLYMKT_KMEANS_LLOYD_H
#define SUPPLYMKT_KMEANS_LLOYD_H

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <gsl/gsl_rng.h>

/* What the threads of one fit share (set before the threads start; only next_run and stop change after). */
typedef struct KmShared
{
	atomic_int	next_run;		/* the next run to start (taken with an atomic add) */
	int			n_init;
	uint32_t	seed;
	int			max_iter;
	double		tol_abs;		/* absolute tolerance on the total squared centroid shift */
	atomic_int	stop;			/* set by the backend thread on a pending cancel / termination */
	/* backend side: whether a cancel or termination is pending (called only by the backend's own run) */
	bool		(*interrupt_pending) (void);
} KmShared;

/* Working arrays of one thread of a fit (each run of the thread reuses them). */
typedef struct KmRun
{
	const double *x;
	int64_t		n;
	int			d;
	int			k;
	bool		is_backend;		/* the backend's own thread: watches for pending interrupts */
	KmShared   *shared;
	double	   *c;				/* centres k x d */
	double	   *sums;			/* k x d: coordinate sums of each cluster's points */
	double	   *counts;			/* k */
	double	   *shift;			/* k: distance each centre moved in the last update */
	double	   *half_gap;		/* k */
	int32_t    *labels;			/* n */
	double	   *upper;			/* n: >= distance to the assigned centre */
	double	   *lower;			/* n: <= distance to every other centre */
	double	   *closest;		/* n: seeding, squared distance to the nearest chosen centre */
	double	   *draw;			/* trials: seeding */
	double	   *pots;			/* trials */
	int64_t    *ids;			/* trials */
	int		   *order;			/* trials */
	int64_t    *far;			/* k: relocation of empty clusters */
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
	int32_t    *best_labels;
	int			best_iterations;
	bool		best_converged;
	pthread_t	thread;
	bool		started;
	atomic_int	finished;		/* set by a worker thread when its thread function returns */
} KmRun;

/* Seeding candidates per centre (scikit-learn's 2 + floor(ln k)); the size of the trials arrays. */
#define KmTrials(k) (2 + (int) floor(log((double) (k))))

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

/* Whether the run must stop: the shared flag, raised by the backend thread when a cancel is pending. */
static inline bool
KmStop(KmRun *r)
{
	if (r->is_backend && __builtin_expect(r->shared->interrupt_pending(), 0))
		atomic_store_explicit(&r->shared->stop, 1, memory_order_relaxed);
	return atomic_load_explicit(&r->shared->stop, memory_order_relaxed) != 0;
}

extern int	KmNearest(const double *x, const double *c, int k, int d, double *best2);
extern void KmRuns(KmRun *r);
extern void *KmThreadMain(void *arg);

#endif							/* SUPPLYMKT_KMEANS_LLOYD_H */
