/*
 * core/fixed_state.c — fixed-size aggregate states: allocation, in-place update, validated text and binary
 * I/O for every kind a family describes (see fixed_state.h).
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "core/binary.h"
#include "core/fixed_state.h"
#include "core/json.h"
#include "core/validate.h"

/* Allocates a zeroed state of a kind in a memory context. */
static SmFixedState *
SmFixedStateNew(const SmFixedKind *kind, MemoryContext cxt)
{
	SmFixedState *s = MemoryContextAllocZero(cxt, sizeof(SmFixedState));

	SET_VARSIZE(s, sizeof(SmFixedState));
	s->version = SM_STATE_VERSION;
	s->kind = kind->id;
	return s;
}

/* Internal consistency check: the state is of the expected kind (guaranteed by the SQL types). */
void
SmFixedStateCheckKind(const SmFixedState *state, const SmFixedKind *kind)
{
	if (VARSIZE_ANY(state) != sizeof(SmFixedState) || state->version != SM_STATE_VERSION ||
		state->kind != kind->id)
		elog(ERROR, "supplymkt state of unexpected kind or version");
}

/* Generic and kind-specific checks of a state read from outside (text, binary). */
static void
SmFixedStateValidate(const SmFixedState *s, const SmFixedKind *k)
{
	for (int i = 0; i < SM_STATE_INTS; i++)
		if (k->int_names[i] == NULL ? s->ints[i] != 0 : (!k->ints_may_be_negative && s->ints[i] < 0))
			SmErrorInvalidValue(k->typname, "a count is negative");
	for (int i = 0; i < SM_STATE_FLOATS; i++)
	{
		if (k->float_names[i] == NULL ? s->floats[i] != 0 : !(isfinite(s->floats[i]) && s->floats[i] >= 0))
			SmErrorInvalidValue(k->typname, "a sum is negative or not finite");
	}
	if (k->validate)
		k->validate(s, k->typname);
}

/* The fixed-size state a transition or combine function may update (see SmStateArgForUpdate). */
SmFixedState *
SmFixedStateForUpdate(FunctionCallInfo fcinfo, const SmFixedKind *kind)
{
	MemoryContext cxt;
	SmFixedState *s = (SmFixedState *) SmStateArgForUpdate(fcinfo, &cxt);

	if (s == NULL)
		return SmFixedStateNew(kind, cxt);
	SmFixedStateCheckKind(s, kind);
	return s;
}

/* A read-only state argument (combine's second argument, final functions). */
SmFixedState *
SmFixedStateArg(FunctionCallInfo fcinfo, int argno, const SmFixedKind *kind)
{
	SmFixedState *s = DatumGetSmFixedState(PG_GETARG_DATUM(argno));

	SmFixedStateCheckKind(s, kind);
	return s;
}

/* Text input of a fixed-size state type: the flat JSON object written by SmFixedStateOut. */
Datum
SmFixedStateIn(FunctionCallInfo fcinfo, const SmFixedKind *k)
{
	char	   *text = PG_GETARG_CSTRING(0);
	SmJsonObject *obj = SmJsonParse(text, k->typname);
	SmFixedState *s = SmFixedStateNew(k, CurrentMemoryContext);
	int64		flags;

	SmJsonCheckHeader(obj, "state", SM_STATE_VERSION);
	flags = SmJsonGetInt64(obj, "flags");
	if (flags < 0 || flags > PG_UINT16_MAX)
		SmErrorInvalidValue(k->typname, "flags out of range");
	s->flags = (uint16) flags;
	for (int i = 0; i < SM_STATE_INTS; i++)
		if (k->int_names[i])
			s->ints[i] = SmJsonGetInt64(obj, k->int_names[i]);
	for (int i = 0; i < SM_STATE_FLOATS; i++)
		if (k->float_names[i])
			s->floats[i] = SmJsonGetFloat8(obj, k->float_names[i]);
	SmJsonRejectUnknown(obj);
	SmFixedStateValidate(s, k);
	PG_RETURN_POINTER(s);
}

/* Text output of a fixed-size state type, exact (round-trips through SmFixedStateIn). */
Datum
SmFixedStateOut(FunctionCallInfo fcinfo, const SmFixedKind *k)
{
	SmFixedState *s = DatumGetSmFixedState(PG_GETARG_DATUM(0));
	StringInfoData buf;

	SmFixedStateCheckKind(s, k);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	SmAppendJsonKey(&buf, "state", true);
	escape_json(&buf, k->typname);
	SmAppendJsonKey(&buf, "version", false);
	appendStringInfo(&buf, "%d", s->version);
	SmAppendJsonKey(&buf, "flags", false);
	appendStringInfo(&buf, "%d", s->flags);
	for (int i = 0; i < SM_STATE_INTS; i++)
		if (k->int_names[i])
		{
			SmAppendJsonKey(&buf, k->int_names[i], false);
			appendStringInfo(&buf, INT64_FORMAT, s->ints[i]);
		}
	for (int i = 0; i < SM_STATE_FLOATS; i++)
		if (k->float_names[i])
		{
			SmAppendJsonKey(&buf, k->float_names[i], false);
			SmAppendFloat8(&buf, s->floats[i]);
		}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

/* Binary input of a fixed-size state type: version, flags, then the used slots. */
Datum
SmFixedStateRecv(FunctionCallInfo fcinfo, const SmFixedKind *k)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	SmFixedState *s = SmFixedStateNew(k, CurrentMemoryContext);
	int			version;

	SmRecvCheckRemaining(buf, 3, k->typname);
	version = pq_getmsgbyte(buf);
	if (version != SM_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s version %d", k->typname, version),
				 errhint("This build of supplymkt reads version %d.", SM_STATE_VERSION)));
	s->flags = (uint16) pq_getmsgint(buf, 2);
	for (int i = 0; i < SM_STATE_INTS; i++)
		if (k->int_names[i])
			SmRecvInt64Array(buf, &s->ints[i], 1, k->typname);
	for (int i = 0; i < SM_STATE_FLOATS; i++)
		if (k->float_names[i])
			SmRecvFloat8Array(buf, &s->floats[i], 1, k->typname);
	SmRecvCheckEnd(buf, k->typname);
	SmFixedStateValidate(s, k);
	PG_RETURN_POINTER(s);
}

/* Binary output of a fixed-size state type. */
Datum
SmFixedStateSend(FunctionCallInfo fcinfo, const SmFixedKind *k)
{
	SmFixedState *s = DatumGetSmFixedState(PG_GETARG_DATUM(0));
	StringInfoData buf;

	SmFixedStateCheckKind(s, k);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, s->version);
	pq_sendint16(&buf, s->flags);
	for (int i = 0; i < SM_STATE_INTS; i++)
		if (k->int_names[i])
			pq_sendint64(&buf, s->ints[i]);
	for (int i = 0; i < SM_STATE_FLOATS; i++)
		if (k->float_names[i])
			pq_sendfloat8(&buf, s->floats[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
