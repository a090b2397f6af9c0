/*
 * core/state.c — the in-place update rule shared by every state type (see state.h).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/memutils.h"

#include "core/state.h"

/*
 * Argument 0 of a transition or combine function, ready to update (the rule every state type follows):
 * NULL when it is NULL (a new state then belongs in *cxt: the aggregate context, or the current context
 * outside an aggregate); in aggregate context the value itself, updated in place as float8_accum does;
 * called as a plain function, a private copy, so a value we do not own is never modified.
 */
struct varlena *
SmStateArgForUpdate(FunctionCallInfo fcinfo, MemoryContext *cxt)
{
	MemoryContext aggcxt;
	bool		in_agg = AggCheckCallContext(fcinfo, &aggcxt) != 0;
	struct varlena *v;

	*cxt = in_agg ? aggcxt : CurrentMemoryContext;
	if (PG_ARGISNULL(0))
		return NULL;
	v = PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	if (!in_agg && (Pointer) v == DatumGetPointer(PG_GETARG_DATUM(0)))
	{
		struct varlena *copy = palloc_extended(VARSIZE(v), MCXT_ALLOC_HUGE);

		memcpy(copy, v, VARSIZE(v));
		v = copy;
	}
	return v;
}
