/*
 * core/features.c — validation of feature arrays (see features.h).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"

#include "core/features.h"
#include "core/validate.h"

/*
 * Reads a features array (k-means, content similarity): 1-D, double precision, no NULLs, finite values within
 * ±1e100 (squared distances stay finite); returns its values (in the array) and length.
 */
double *
SmFeatures(ArrayType *arr, int *len)
{
	int			n;
	double	   *v;

	if (ARR_NDIM(arr) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must not be an empty array")));
	if (ARR_NDIM(arr) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must be a one-dimensional array, not %d-dimensional", ARR_NDIM(arr))));
	if (ARR_ELEMTYPE(arr) != FLOAT8OID)
		elog(ERROR, "features must be double precision[]");
	if (ARR_HASNULL(arr) && array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("features must not contain NULL elements"),
				 errhint("Replace missing features with a value (e.g. coalesce(x, 0)) or leave the row out.")));
	n = ARR_DIMS(arr)[0];
	v = (double *) ARR_DATA_PTR(arr);
	for (int j = 0; j < n; j++)
	{
		SmCheckFinite(v[j], "every feature");
		if (fabs(v[j]) > SM_MAX_FEATURE)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("feature value %g is out of range: features must lie within ±1e100", v[j]),
					 errhint("Rescale the feature (e.g. log or divide by a unit).")));
	}
	*len = n;
	return v;
}

