/*
 * recommend/ids.c — ids of users, items and baskets (exact bigints): sorted distinct id lists and lookups,
 * bigint[] arguments and results, and the JSON id arrays of both model types.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"

#include "core/json.h"
#include "recommend/recommend.h"

/* Orders int64. */
static int
RcInt64Cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return x < y ? -1 : (x > y);
}

/* Sorts and deduplicates ids in place; returns the distinct count. */
int64
RcUniqueIds(int64 *v, int64 n)
{
	int64		m = 0;

	qsort(v, n, sizeof(int64), RcInt64Cmp);
	for (int64 i = 0; i < n; i++)
		if (m == 0 || v[i] != v[m - 1])
			v[m++] = v[i];
	return m;
}

/* Index of id in a sorted distinct array of n int64, or -1. */
int64
RcFindId(const int64 *v, int64 n, int64 id)
{
	int64		lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (v[mid] < id)
			lo = mid + 1;
		else if (v[mid] > id)
			hi = mid - 1;
		else
			return mid;
	}
	return -1;
}

/* Reads a JSON array of exactly n integers. */
void
RcJsonIds(SmJsonObject *obj, const char *key, int64 n, int64 *out)
{
	SmJsonField *f = SmJsonFind(obj, key, true);

	if (!f->is_array || f->nvalues != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\" must be an array of " INT64_FORMAT " integers",
						obj->typname, key, n)));
	for (int64 i = 0; i < n; i++)
		out[i] = SmParseInt64(f->values[i], obj->typname);
}

/* Length of a required JSON array. */
int64
RcJsonLength(SmJsonObject *obj, const char *key)
{
	SmJsonField *f = SmJsonFind(obj, key, true);

	if (!f->is_array)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\" must be an array", obj->typname, key)));
	return f->nvalues;
}

/* Reads a bigint[] argument as a sorted distinct id list (NULL elements skipped); NULL array = empty. */
int64 *
RcIdList(FunctionCallInfo fcinfo, int argno, int *n)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			count,
				m = 0;
	int64	   *ids;

	*n = 0;
	if (PG_ARGISNULL(argno))
		return NULL;
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("item lists must be one-dimensional arrays")));
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &count);
	ids = palloc(Max(count, 1) * sizeof(int64));
	for (int i = 0; i < count; i++)
		if (!nulls[i])
			ids[m++] = DatumGetInt64(elems[i]);
	qsort(ids, m, sizeof(int64), RcInt64Cmp);
	count = m;
	m = 0;
	for (int i = 0; i < count; i++)
		if (m == 0 || ids[i] != ids[m - 1])
			ids[m++] = ids[i];
	*n = m;
	return ids;
}

/* A bigint[] of n ids. */
ArrayType *
RcIdArray(const int64 *ids, int n)
{
	Datum	   *d = palloc(Max(n, 1) * sizeof(Datum));

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(ids[i]);
	return construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}
