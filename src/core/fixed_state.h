/*
 * core/fixed_state.h — fixed-size aggregate states.
 *
 * Every fixed-size state is one varlena layout: a versioned header and up to SM_STATE_INTS int64 counters and
 * SM_STATE_FLOATS float8 sums.  A family describes each of its state types with an SmFixedKind (slot names,
 * validator) and makes the type's I/O functions with SM_FIXED_STATE_IO.  Text form is a flat JSON object
 * ({"state":"turnover_state","version":1,"n_cogs":3,...}) with floats in shortest exact form, so it
 * round-trips bit for bit (Citus ships partial states as text).
 */
#ifndef SUPPLYMKT_CORE_FIXED_STATE_H
#define SUPPLYMKT_CORE_FIXED_STATE_H

#include "postgres.h"

#include "fmgr.h"

#include "core/state.h"

#define SM_STATE_INTS 4
#define SM_STATE_FLOATS 4

typedef struct SmFixedState
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* SM_STATE_VERSION */
	uint8		kind;			/* the id of its SmFixedKind */
	uint16		flags;			/* kind-specific flag bits */
	int32		reserved;		/* zero; keeps the slots 8-byte aligned */
	int64		ints[SM_STATE_INTS];
	float8		floats[SM_STATE_FLOATS];
} SmFixedState;

/* Optional kind-specific consistency check of a state read from text or binary; ereports on failure. */
typedef void (*SmStateValidator) (const SmFixedState *state, const char *typname);

/* A fixed-size state type, described by the family that owns it. */
typedef struct SmFixedKind
{
	const char *typname;		/* SQL type name, e.g. "turnover_state" */
	uint8		id;				/* stored in every value (stable across versions) */
	const char *int_names[SM_STATE_INTS];	/* NULL for unused slots */
	const char *float_names[SM_STATE_FLOATS];
	bool		ints_may_be_negative;	/* e.g. dates stored as day numbers */
	SmStateValidator validate;
} SmFixedKind;

#define DatumGetSmFixedState(x) ((SmFixedState *) PG_DETOAST_DATUM(x))

extern SmFixedState *SmFixedStateForUpdate(FunctionCallInfo fcinfo, const SmFixedKind *kind);
extern SmFixedState *SmFixedStateArg(FunctionCallInfo fcinfo, int argno, const SmFixedKind *kind);
extern void SmFixedStateCheckKind(const SmFixedState *state, const SmFixedKind *kind);

extern Datum SmFixedStateIn(FunctionCallInfo fcinfo, const SmFixedKind *kind);
extern Datum SmFixedStateOut(FunctionCallInfo fcinfo, const SmFixedKind *kind);
extern Datum SmFixedStateRecv(FunctionCallInfo fcinfo, const SmFixedKind *kind);
extern Datum SmFixedStateSend(FunctionCallInfo fcinfo, const SmFixedKind *kind);

/* The four I/O functions of a fixed-size state type: name_in, name_out, name_recv, name_send. */
#define SM_FIXED_STATE_IO(name, kind) \
	SM_KIND_WRAPPER(name##_in, SmFixedStateIn, kind) \
	SM_KIND_WRAPPER(name##_out, SmFixedStateOut, kind) \
	SM_KIND_WRAPPER(name##_recv, SmFixedStateRecv, kind) \
	SM_KIND_WRAPPER(name##_send, SmFixedStateSend, kind)

#endif							/* SUPPLYMKT_CORE_FIXED_STATE_H */
