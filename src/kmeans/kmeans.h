/*
 * kmeans/kmeans.h — k-means segmentation: the family's shared declarations and settings (the PostgreSQL side;
 * the code the fit's threads run is declared in kmeans/lloyd.h, which knows no PostgreSQL type).
 */
#ifndef SUPPLYMKT_KMEANS_H
#define SUPPLYMKT_KMEANS_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

#include "core/binary.h"
#include "core/features.h"
#include "core/json.h"
#include "core/row_buffer.h"
#include "core/validate.h"

extern const SmRowKind sm_kmeans_fit_kind;
extern const SmRowKind sm_kmeans_refine_kind;

/* supplymkt.kmeans_max_memory (kB): past it, k-means states keep a sample of their points. */
extern int	sm_kmeans_max_memory_kb;

/* supplymkt.kmeans_threads: threads a k-means fit may use for its n_init runs. */
extern int	sm_kmeans_threads;

extern void SmKmeansInit(void);

#define KM_MAX_K 10000
#define KM_MAX_N_INIT 1000
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

/* model.c: the kmeans_model type */
extern KmModel *KmModelArg(FunctionCallInfo fcinfo, int argno);
extern KmModel *KmModelFromFit(const KmOptions *o, int d, const double *mean, const double *scale,
							   const KmResult *res, int64 n_points, int64 sample_points, bool sampled);
extern double *KmStandardizedFeatures(const KmModel *m, ArrayType *arr);

/* fit.c: the fit (on the backend side: data preparation, threads, numbering) */
extern bool KmSameRow(const double *a, const double *b, int d);
extern double *KmSortedRows(const double *rows, int64 n, int d, int64 **perm);
extern const double *KmFittingData(const double *raw, int64 n, int d, bool standardize, double *mean,
								   double *scale);
extern void KmNumbering(const double *centroids, const int64 *sizes, int k, int d, int *order);
extern void KmFit(const double *x, int64 n, int d, const KmOptions *o, bool want_labels, KmResult *res);
extern double KmSilhouette(const double *x, int64 n, int d, int k, const int32 *labels, int seed);

#endif							/* SUPPLYMKT_KMEANS_H */
