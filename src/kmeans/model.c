/*
 * kmeans/model.c — the kmeans_model type: its layout checks, JSON text input and output, binary receive and
 * send, the detoasted argument, the model built from a fit, and features moved into a model's fitting space.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "core/binary.h"
#include "core/features.h"
#include "core/json.h"
#include "core/validate.h"
#include "kmeans/kmeans.h"

#define KM_MODEL_VERSION 1

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

/* Checks a model read from text or binary: flags, counts, finite arrays, positive scales, sizes. */
static void
KmModelValidate(const KmModel *m)
{
	int64		total = 0;
	Size		nvalues = (VARSIZE(m) - offsetof(KmModel, data)) / sizeof(float8);

	if (m->flags & ~(KM_STANDARDIZE | KM_CONVERGED | KM_SAMPLED | KM_HAS_INIT))
		SmErrorInvalidValue("kmeans_model", "unknown flags");
	if (m->k < 1 || m->k > KM_MAX_K || m->dim < 1 || m->iterations < 0 || m->n_init < 0 ||
		m->n_points < 0 || m->sample_points < 0 || m->sample_points > m->n_points)
		SmErrorInvalidValue("kmeans_model", "k, dim, iterations, n_init, n_points and sample_points must be in range");
	if (!isfinite(m->inertia) || m->inertia < 0)
		SmErrorInvalidValue("kmeans_model", "inertia must be a finite non-negative number");
	for (Size i = 0; i < nvalues; i++)
		if (!isfinite(m->data[i]))
			SmErrorInvalidValue("kmeans_model", "every number must be finite");
	for (int j = 0; j < m->dim; j++)
		if (!(KmScale(m)[j] > 0))
			SmErrorInvalidValue("kmeans_model", "every scale must be positive");
	for (int j = 0; j < m->k; j++)
	{
		double		s = KmSizes(m)[j];

		if (s < 0 || s != floor(s) || s > 9e15)
			SmErrorInvalidValue("kmeans_model", "sizes must be whole non-negative numbers");
		total += (int64) s;
	}
	if (!(m->flags & KM_STANDARDIZE))
		for (int j = 0; j < m->dim; j++)
			if (KmMean(m)[j] != 0 || KmScale(m)[j] != 1)
				SmErrorInvalidValue("kmeans_model", "a model without standardize has mean 0 and scale 1");
	if (total != 0 && total != m->sample_points)
		SmErrorInvalidValue("kmeans_model", "sizes must add up to sample_points (n_points when not sampled), or be all 0");
}

/* The model argument, detoasted and checked. */
KmModel *
KmModelArg(FunctionCallInfo fcinfo, int argno)
{
	KmModel    *m = (KmModel *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (m->version != KM_MODEL_VERSION || VARSIZE(m) != KmModelSize(m->k, m->dim, (m->flags & KM_HAS_INIT) != 0))
		elog(ERROR, "kmeans_model of unexpected version or size");
	return m;
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
				SmErrorInvalidValue("kmeans_model", "centroids_original disagrees with centroids, mean and scale (edit \"centroids\", in the standardized space, instead)");
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
	SmAppendFloat8Array(&out, KmMean(m), m->dim);
	SmAppendJsonKey(&out, "scale", false);
	SmAppendFloat8Array(&out, KmScale(m), m->dim);
	SmAppendJsonKey(&out, "centroids", false);
	SmAppendFloat8Array(&out, KmCentroids(m), kd);
	SmAppendJsonKey(&out, "centroids_original", false);
	SmAppendFloat8Array(&out, orig, kd);
	SmAppendJsonKey(&out, "sizes", false);
	SmAppendFloat8Array(&out, KmSizes(m), m->k);
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
		SmAppendFloat8Array(&out, KmInit(m), kd);
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
	SmRecvFloat8Array(msg, m->data, (int64) nvalues, "kmeans_model");
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
	SmSendFloat8Array(&out, m->data, (int64) nvalues);
	PG_RETURN_BYTEA_P(pq_endtypsend(&out));
}

/* Builds the model value of a fit. */
KmModel *
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

/* The features of a reader call in the model's fitting space (length checked against the model). */
double *
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
