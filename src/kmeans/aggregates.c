/*
 * kmeans/aggregates.c — the k-means aggregates: kmeans_fit and kmeans_elbow (collect-then-fit aggregates on the
 * row-buffer state of core/row_buffer.h: the transition collects the points, the final sorts and fits them),
 * kmeans_refine (one exact Lloyd step as a combinable partial aggregate), their state kinds, the options type
 * kmeans_options, and the family's settings.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include <float.h>

#include "core/features.h"
#include "core/options.h"
#include "core/row_buffer.h"
#include "core/validate.h"
#include "kmeans/kmeans.h"
#include "kmeans/lloyd.h"

/* The state types of this family (stored ids are stable across versions). */
/* the feature arrays (one row per point, width set by the first row) */
const SmRowKind sm_kmeans_fit_kind = {
	.typname = "kmeans_fit_state", .id = 3, .ncols = 0,
	.param_names = {"k", "seed", "n_init", "max_iter", "tol", "standardize", "k_max"}, .initial_rows = 64,
	.max_memory_kb = &sm_kmeans_max_memory_kb,
};
/* k rows [count, sums], k centroid rows [0, centroid], a mean row and a scale row [0, ...] */
const SmRowKind sm_kmeans_refine_kind = {
	.typname = "kmeans_refine_state", .id = 4, .ncols = 0,
	.param_names = {"k", "standardize", "iterations", "inertia", "n_points", "seed", "n_init"},
};

SM_ROW_BUFFER_IO(kmeans_fit_state, sm_kmeans_fit_kind)
SM_ROW_BUFFER_COMBINE(kmeans_fit_state, sm_kmeans_fit_kind)
SM_ROW_BUFFER_IO(kmeans_refine_state, sm_kmeans_refine_kind)

#define KM_MAX_ELBOW_KS 50

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
	SmRowBufferSetCols(buf, &sm_kmeans_fit_kind, d, 0, "features");
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

/* Fields of kmeans_options, in the maker's argument order. */
enum
{
	KMO_K, KMO_SEED, KMO_N_INIT, KMO_MAX_ITER, KMO_TOL, KMO_STANDARDIZE, KMO_NFIELDS
};

/* kmeans_options: kmeans_fit's tuning arguments by name; the defaults are those of the positional forms. */
static const SmOptionsKind sm_kmeans_options_kind = {
	.typname = "kmeans_options", .id = 1, .nfields = KMO_NFIELDS,
	.fields = {
		[KMO_K] = {.name = "k", .type = SM_OPT_INT, .min = 1, .max = KM_MAX_K},
		[KMO_SEED] = {.name = "seed", .type = SM_OPT_INT, .min = PG_INT32_MIN, .max = PG_INT32_MAX,
		.has_default = true, .default_value = 0},
		[KMO_N_INIT] = {.name = "n_init", .type = SM_OPT_INT, .min = 1, .max = KM_MAX_N_INIT,
		.has_default = true, .default_value = KM_DEFAULT_N_INIT},
		[KMO_MAX_ITER] = {.name = "max_iter", .type = SM_OPT_INT, .min = 1, .max = PG_INT32_MAX,
		.has_default = true, .default_value = KM_DEFAULT_MAX_ITER},
		[KMO_TOL] = {.name = "tol", .type = SM_OPT_FLOAT, .min = 0, .max = DBL_MAX,
		.has_default = true, .default_value = KM_DEFAULT_TOL},
		[KMO_STANDARDIZE] = {.name = "standardize", .type = SM_OPT_BOOL, .has_default = true, .default_value = 1},
	},
};

SM_OPTIONS_FUNCTIONS(kmeans_options, sm_kmeans_options_kind)

PG_FUNCTION_INFO_V1(kmeans_fit_options_transfn);
/* Transition of kmeans_fit(features, options): the same state as the positional form with those arguments. */
Datum
kmeans_fit_options_transfn(PG_FUNCTION_ARGS)
{
	float8		params[SM_ROWS_PARAMS] = {0};
	const SmOptions *o;

	if (PG_ARGISNULL(1))
		SM_SKIP_ROW();
	o = SmOptionsArg(fcinfo, 2, &sm_kmeans_options_kind);
	params[KM_P_K] = o->values[KMO_K];
	params[KM_P_SEED] = o->values[KMO_SEED];
	params[KM_P_N_INIT] = o->values[KMO_N_INIT];
	params[KM_P_MAX_ITER] = o->values[KMO_MAX_ITER];
	params[KM_P_TOL] = o->values[KMO_TOL];
	params[KM_P_STANDARDIZE] = o->values[KMO_STANDARDIZE];
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
		SmErrorInvalidValue("kmeans_fit_state", "parameters out of range");
	o->k = (int) p[KM_P_K];
	o->seed = (int) p[KM_P_SEED];
	o->n_init = (int) p[KM_P_N_INIT];
	o->max_iter = (int) p[KM_P_MAX_ITER];
	o->tol = p[KM_P_TOL];
	o->standardize = p[KM_P_STANDARDIZE] != 0;
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
		SmErrorInvalidValue("kmeans_refine_state", "shape or parameters out of range");
	for (int r = 0; r < 2 * k + 2; r++)
	{
		double		c0 = KrRow(buf, r)[0];

		if (r < k ? (c0 < 0 || c0 != floor(c0)) : c0 != 0)
			SmErrorInvalidValue("kmeans_refine_state", "counts must be whole and non-negative");
	}
	for (int j = 1; j < buf->ncols; j++)
		if (!(KrRow(buf, 2 * k + 1)[j] > 0))
			SmErrorInvalidValue("kmeans_refine_state", "scales must be positive");
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

		SmRowBufferSetCols(buf, &sm_kmeans_refine_kind, d + 1, 0, "features");
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
