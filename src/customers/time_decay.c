/*
 * customers/time_decay.c — the model-free time-decay CLV: clv_time_decay(amount, order_time, as_of,
 * half_life_days), an aggregate over a fixed-size state (time_decay_state).
 */
#include "postgres.h"

#include <math.h>

#include "common/int.h"
#include "fmgr.h"
#include "utils/timestamp.h"

#include "customers/customers.h"

/* The state type of clv_time_decay (stored id stable across versions). */
/* as_of is a TimestampTz (may be negative); checked before combining or finalising */
const SmFixedKind sm_time_decay_kind = {"time_decay_state", 6, {"orders", "as_of"}, {"value", "half_life_days"},
true, NULL};

SM_FIXED_STATE_IO(time_decay_state, sm_time_decay_kind)

/* ---------------------------------------------------------------------------------------------------------
 * clv_time_decay(amount, order_time, as_of, half_life_days): sum of amount * 0.5^(age_days / half_life).
 * State time_decay_state: ints orders, as_of (TimestampTz); floats value, half_life_days; flag 1 = params set.
 * --------------------------------------------------------------------------------------------------------- */

#define SM_TIME_DECAY_PARAMS_SET 1

/* Checks a time_decay_state (possibly read from outside) before it is combined or finalised. */
static void
SmTimeDecayCheck(const SmFixedState *s)
{
	const char *typname = "time_decay_state";

	if (s->flags & ~SM_TIME_DECAY_PARAMS_SET)
		SmErrorInvalidValue(typname, "unknown flags");
	if (!(s->flags & SM_TIME_DECAY_PARAMS_SET))
	{
		if (s->ints[0] != 0 || s->ints[1] != 0 || s->floats[0] != 0 || s->floats[1] != 0)
			SmErrorInvalidValue(typname, "values without as_of and half_life_days");
		return;
	}
	if (s->ints[0] < 0)
		SmErrorInvalidValue(typname, "a count is negative");
	if (!IS_VALID_TIMESTAMP(s->ints[1]))
		SmErrorInvalidValue(typname, "as_of is not a valid timestamp");
	if (!(s->floats[1] > 0 && isfinite(s->floats[1])))
		SmErrorInvalidValue(typname, "half_life_days must be positive");
	if (!(s->floats[0] >= 0 && isfinite(s->floats[0])) || (s->ints[0] == 0 && s->floats[0] != 0))
		SmErrorInvalidValue(typname, "the value is inconsistent with the count");
}

PG_FUNCTION_INFO_V1(clv_time_decay_transfn);
/* clv_time_decay transition: adds one order's decayed amount; orders after as_of are left out. */
Datum
clv_time_decay_transfn(PG_FUNCTION_ARGS)
{
	float8		amount,
				half_life,
				age_days;
	TimestampTz order_time,
				as_of;
	SmFixedState *s;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SM_SKIP_ROW();
	if (PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("clv_time_decay: as_of and half_life_days must not be NULL")));
	amount = PG_GETARG_FLOAT8(1);
	order_time = PG_GETARG_TIMESTAMPTZ(2);
	as_of = PG_GETARG_TIMESTAMPTZ(3);
	half_life = PG_GETARG_FLOAT8(4);
	SmCheckNonNegative(amount, "amount");
	SmCheckFiniteTimestamp(order_time, "order_time");
	SmCheckFiniteTimestamp(as_of, "as_of");
	SmCheckNonNegative(half_life, "half_life_days");
	if (half_life == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("half_life_days must be positive")));
	s = SmFixedStateForUpdate(fcinfo, &sm_time_decay_kind);
	if (!(s->flags & SM_TIME_DECAY_PARAMS_SET))
	{
		s->flags |= SM_TIME_DECAY_PARAMS_SET;
		s->ints[1] = as_of;
		s->floats[1] = half_life;
	}
	else if (s->ints[1] != as_of || s->floats[1] != half_life)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("clv_time_decay: as_of and half_life_days must be the same on every row"),
				 errhint("Group by them, or compute one as_of and half-life per query.")));
	if (order_time > as_of)
		PG_RETURN_POINTER(s);
	age_days = ((float8) as_of - (float8) order_time) / (float8) USECS_PER_DAY;
	SmIncrement(&s->ints[0]);
	s->floats[0] = SmAddChecked(s->floats[0], amount * exp2(-age_days / half_life));
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(time_decay_state_combine);
/* Combine for time_decay_state: adds values and counts of states with the same as_of and half-life. */
Datum
time_decay_state_combine(PG_FUNCTION_ARGS)
{
	SmFixedState *s,
			   *t;

	if (PG_ARGISNULL(1))
		SM_SKIP_ROW();
	t = SmFixedStateArg(fcinfo, 1, &sm_time_decay_kind);
	SmTimeDecayCheck(t);
	s = SmFixedStateForUpdate(fcinfo, &sm_time_decay_kind);
	SmTimeDecayCheck(s);
	if (!(t->flags & SM_TIME_DECAY_PARAMS_SET))
		PG_RETURN_POINTER(s);
	if (!(s->flags & SM_TIME_DECAY_PARAMS_SET))
	{
		s->flags = t->flags;
		memcpy(s->ints, t->ints, sizeof(s->ints));
		memcpy(s->floats, t->floats, sizeof(s->floats));
		PG_RETURN_POINTER(s);
	}
	if (s->ints[1] != t->ints[1] || s->floats[1] != t->floats[1])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("clv_time_decay: cannot combine states of different as_of or half_life_days")));
	if (pg_add_s64_overflow(s->ints[0], t->ints[0], &s->ints[0]))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("row count out of range")));
	s->floats[0] = SmAddChecked(s->floats[0], t->floats[0]);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(clv_time_decay_final);
/* The decayed value; NULL without orders on or before as_of. */
Datum
clv_time_decay_final(PG_FUNCTION_ARGS)
{
	SmFixedState *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = SmFixedStateArg(fcinfo, 0, &sm_time_decay_kind);
	SmTimeDecayCheck(s);
	if (s->ints[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s->floats[0]);
}
