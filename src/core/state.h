/*
 * core/state.h — what every aggregate state type shares (DESIGN.md pattern 3): the format version written in
 * each value's header, the rule for updating argument 0 in place, and skipping NULL rows.
 *
 * A state type is described by a descriptor that its family owns (SmFixedKind, SmMapKind, SmRowKind) and
 * hands to the core; the type's I/O functions are thin per-type wrappers made by a macro of the state's
 * header, so the kind of a value is known from the function that reads it, never looked up by name.
 */
#ifndef SUPPLYMKT_CORE_STATE_H
#define SUPPLYMKT_CORE_STATE_H

#include "postgres.h"

#include "fmgr.h"

/* Format version of fixed-state and count-map headers (text "version" key, binary first byte); row buffers
 * have their own (SM_ROWS_VERSION in row_buffer.h). */
#define SM_STATE_VERSION 1

extern struct varlena *SmStateArgForUpdate(FunctionCallInfo fcinfo, MemoryContext *cxt);

/* In a transition or combine function: returns the state unchanged (or NULL before the first row). */
#define SM_SKIP_ROW() \
	do { \
		if (PG_ARGISNULL(0)) \
			PG_RETURN_NULL(); \
		PG_RETURN_DATUM(PG_GETARG_DATUM(0)); \
	} while (0)

/* Declares and defines one SQL-callable wrapper `name` that calls `impl(fcinfo, &kind)`. */
#define SM_KIND_WRAPPER(name, impl, kind) \
	PG_FUNCTION_INFO_V1(name); \
	Datum name(PG_FUNCTION_ARGS); \
	Datum name(PG_FUNCTION_ARGS) { return impl(fcinfo, &(kind)); }

#endif							/* SUPPLYMKT_CORE_STATE_H */
