/*
 * kmeans/readers.c — the readers of a kmeans_model: kmeans_assign (the nearest cluster), kmeans_distance (the
 * distance to it) and kmeans_centroids (one row per cluster).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"

#include "kmeans/kmeans.h"
#include "kmeans/lloyd.h"

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
