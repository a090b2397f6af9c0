/*
 * core/validate.c — argument checks shared by every family (see validate.h).
 */
#include "postgres.h"

#include <math.h>

#include "common/int.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "core/validate.h"

/* Error path of SmCheckFinite: NaN or ±Infinity where a finite number is required. */
void
SmErrorNotFinite(float8 value, const char *argname)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be a finite number, not %s", argname, float8out_internal(value)),
			 errhint("Filter out or replace NaN and infinite values before calling supplymkt.")));
}

/* Error path of SmCheckNonNegative. */
void
SmErrorNegative(float8 value, const char *argname)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must not be negative, got %s", argname, float8out_internal(value))));
}

/* Rejects values outside [0, 1]. */
void
SmCheckFraction(float8 value, const char *argname)
{
	SmCheckFinite(value, argname);
	if (value < 0 || value > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 0 and 1, got %s", argname, float8out_internal(value))));
}

/* Raises the error for an argument that must not be NULL. */
void
SmErrorNullArgument(const char *argname)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s must not be NULL", argname)));
}

/* Checks an integer option against [lo, hi]. */
void
SmCheckIntRange(int64 value, int64 lo, int64 hi, const char *argname)
{
	if (value < lo || value > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between " INT64_FORMAT " and " INT64_FORMAT ", got " INT64_FORMAT,
						argname, lo, hi, value)));
}

/* Allocates a zeroed array of n items of size bytes (huge allocations allowed; errors on overflow). */
void *
SmAllocArray(int64 n, Size size)
{
	if (n < 0 || (double) n * size > (double) MaxAllocHugeSize / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("working memory of " INT64_FORMAT " x %zu bytes is too large", n, size)));
	return palloc_extended(Max((Size) n * size, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/* Error path of SmAddChecked: a sum overflowed double precision. */
void
SmErrorOverflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value out of range: overflow"),
			 errhint("The sum of the inputs exceeds the range of double precision.")));
}
/* Adds to a row counter, raising the standard error instead of wrapping around. */
void
SmAddInt64Checked(int64 *counter, int64 add)
{
	if (unlikely(pg_add_s64_overflow(*counter, add, counter)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("row count out of range")));
}

/* Adds one to a row counter (see SmAddInt64Checked). */
void
SmIncrement(int64 *counter)
{
	SmAddInt64Checked(counter, 1);
}


/* Rejects a value read from text or binary whose fields contradict each other (every type uses this). */
void
SmErrorInvalidValue(const char *typname, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for type %s: %s", typname, why)));
}
