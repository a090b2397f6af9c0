/*
 * core/validate.h — argument checks with one message and SQLSTATE per mistake, checked arithmetic on counters,
 * and safe array allocation.  Every family validates its inputs with these.
 */
#ifndef SUPPLYMKT_CORE_VALIDATE_H
#define SUPPLYMKT_CORE_VALIDATE_H

#include "postgres.h"

#include <math.h>

extern void SmErrorNotFinite(float8 value, const char *argname) pg_attribute_noreturn();
extern void SmErrorNegative(float8 value, const char *argname) pg_attribute_noreturn();
extern void SmErrorOverflow(void) pg_attribute_noreturn();
extern void SmErrorNullArgument(const char *argname) pg_attribute_noreturn();
extern void SmErrorInvalidValue(const char *typname, const char *why) pg_attribute_noreturn();
extern void SmCheckFraction(float8 value, const char *argname);
extern void SmCheckIntRange(int64 value, int64 lo, int64 hi, const char *argname);
extern void *SmAllocArray(int64 n, Size size);
extern void SmIncrement(int64 *counter);
extern void SmAddInt64Checked(int64 *counter, int64 add);

/* Rejects NaN and ±Infinity with a message naming the argument (inline: called per row). */
static inline void
SmCheckFinite(float8 value, const char *argname)
{
	if (unlikely(isnan(value) || isinf(value)))
		SmErrorNotFinite(value, argname);
}

/* Rejects non-finite and negative values. */
static inline void
SmCheckNonNegative(float8 value, const char *argname)
{
	SmCheckFinite(value, argname);
	if (unlikely(value < 0))
		SmErrorNegative(value, argname);
}

/* Adds two finite numbers, raising the standard overflow error instead of returning infinity. */
static inline float8
SmAddChecked(float8 a, float8 b)
{
	float8		r = a + b;

	if (unlikely(isinf(r)))
		SmErrorOverflow();
	return r;
}

#endif							/* SUPPLYMKT_CORE_VALIDATE_H */
