/*
 * core/options.c — options values (see options.h): made from named arguments, checked field by field against
 * the family's descriptor, exact JSON text and binary I/O.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "core/binary.h"
#include "core/json.h"
#include "core/options.h"
#include "core/validate.h"

/* "'a', 'b' or 'c'": the choices of a field, for a hint. */
static char *
SmOptionChoiceList(const SmOptionField *f)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; f->choices[i] != NULL; i++)
		appendStringInfo(&s, "%s'%s'", i == 0 ? "" : (f->choices[i + 1] == NULL ? " or " : ", "), f->choices[i]);
	return s.data;
}

/* The index of a choice (case-insensitive); an unknown name is a clean error listing the choices. */
static int
SmOptionChoiceIndex(const SmOptionField *f, const char *name)
{
	for (int i = 0; f->choices[i] != NULL; i++)
		if (pg_strcasecmp(name, f->choices[i]) == 0)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown %s \"%s\"", f->name, name),
			 errhint("Use %s.", SmOptionChoiceList(f))));
	return 0;					/* keep compiler quiet */
}

/* Checks one field's value (from an argument, text or binary) against its type and range. */
static void
SmOptionCheck(const SmOptionsKind *kind, const SmOptionField *f, double v)
{
	int			nchoices = 0;

	switch (f->type)
	{
		case SM_OPT_INT:
			if (!(v == floor(v)) || v < f->min || v > f->max)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s must be a whole number between %.17g and %.17g, got %g", f->name, f->min, f->max, v)));
			break;
		case SM_OPT_FLOAT:
			SmCheckFinite(v, f->name);
			if (v < f->min && f->max >= DBL_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s must be at least %g, got %g", f->name, f->min, v)));
			if (v < f->min || v > f->max)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s must be between %g and %g, got %g", f->name, f->min, f->max, v)));
			break;
		case SM_OPT_BOOL:
			if (v != 0 && v != 1)
				SmErrorInvalidValue(kind->typname, "a boolean must be 0 or 1");
			break;
		case SM_OPT_CHOICE:
			while (f->choices[nchoices] != NULL)
				nchoices++;
			if (!(v == floor(v)) || v < 0 || v >= nchoices)
				SmErrorInvalidValue(kind->typname, "unknown choice code");
			break;
	}
}

/* A new options value of a kind, every field at its default (0 where there is none). */
static SmOptions *
SmOptionsNew(const SmOptionsKind *kind)
{
	SmOptions  *o = palloc0(sizeof(SmOptions));

	SET_VARSIZE(o, sizeof(SmOptions));
	o->version = SM_OPTIONS_VERSION;
	o->kind = kind->id;
	o->nfields = (uint16) kind->nfields;
	for (int i = 0; i < kind->nfields; i++)
		o->values[i] = kind->fields[i].default_value;
	return o;
}

/* Checks every field and the kind's cross-field rules. */
static void
SmOptionsValidate(const SmOptions *o, const SmOptionsKind *kind)
{
	for (int i = 0; i < kind->nfields; i++)
		SmOptionCheck(kind, &kind->fields[i], o->values[i]);
	if (kind->validate)
		kind->validate(o->values);
}

/* Internal consistency check of an options argument (its kind, version and size). */
static const SmOptions *
SmOptionsCheckKind(const SmOptions *o, const SmOptionsKind *kind)
{
	if (VARSIZE_ANY(o) != sizeof(SmOptions) || o->version != SM_OPTIONS_VERSION || o->kind != kind->id ||
		o->nfields != kind->nfields)
		elog(ERROR, "supplymkt options value of unexpected kind, version or size");
	return o;
}

/* An options argument of an aggregate's transition function; NULL is an error naming the argument. */
const SmOptions *
SmOptionsArg(FunctionCallInfo fcinfo, int argno, const SmOptionsKind *kind)
{
	if (PG_ARGISNULL(argno))
		SmErrorNullArgument("options");
	return SmOptionsCheckKind((const SmOptions *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno)), kind);
}

/* The maker function: one named argument per field, in the descriptor's order; NULL is an error. */
Datum
SmOptionsMake(FunctionCallInfo fcinfo, const SmOptionsKind *kind)
{
	SmOptions  *o = SmOptionsNew(kind);

	if (PG_NARGS() != kind->nfields)
		elog(ERROR, "%s maker called with %d arguments, expected %d", kind->typname, PG_NARGS(), kind->nfields);
	for (int i = 0; i < kind->nfields; i++)
	{
		const SmOptionField *f = &kind->fields[i];

		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be NULL", f->name),
					 f->has_default ? errhint("Leave it out for its default.") : 0));
		switch (f->type)
		{
			case SM_OPT_INT:
				o->values[i] = PG_GETARG_INT32(i);
				break;
			case SM_OPT_FLOAT:
				o->values[i] = PG_GETARG_FLOAT8(i);
				break;
			case SM_OPT_BOOL:
				o->values[i] = PG_GETARG_BOOL(i) ? 1 : 0;
				break;
			case SM_OPT_CHOICE:
				o->values[i] = SmOptionChoiceIndex(f, text_to_cstring(PG_GETARG_TEXT_PP(i)));
				break;
		}
	}
	SmOptionsValidate(o, kind);
	PG_RETURN_POINTER(o);
}

/* Text input: the JSON the output writes; fields with a default may be left out. */
Datum
SmOptionsIn(FunctionCallInfo fcinfo, const SmOptionsKind *kind)
{
	SmJsonObject *obj = SmJsonParse(PG_GETARG_CSTRING(0), kind->typname);
	SmOptions  *o = SmOptionsNew(kind);

	SmJsonCheckHeader(obj, "options", SM_OPTIONS_VERSION);
	for (int i = 0; i < kind->nfields; i++)
	{
		const SmOptionField *f = &kind->fields[i];
		SmJsonField *jf = SmJsonFind(obj, f->name, !f->has_default);
		bool		b;

		if (jf == NULL)
			continue;
		if (jf->is_array || jf->nvalues != 1 || jf->values[0] == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: \"%s\" must be a single value", kind->typname, f->name)));
		switch (f->type)
		{
			case SM_OPT_INT:
			case SM_OPT_FLOAT:
				o->values[i] = SmParseFloat8(jf->values[0], kind->typname);
				break;
			case SM_OPT_BOOL:
				SmJsonOptBool(obj, f->name, &b);
				o->values[i] = b ? 1 : 0;
				break;
			case SM_OPT_CHOICE:
				o->values[i] = SmOptionChoiceIndex(f, jf->values[0]);
				break;
		}
	}
	SmJsonRejectUnknown(obj);
	SmOptionsValidate(o, kind);
	PG_RETURN_POINTER(o);
}

/* Text output: every field, choices by name, booleans as true / false, numbers exact. */
Datum
SmOptionsOut(FunctionCallInfo fcinfo, const SmOptionsKind *kind)
{
	const SmOptions *o = SmOptionsCheckKind((const SmOptions *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0)), kind);
	StringInfoData out;

	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	SmAppendJsonKey(&out, "options", true);
	escape_json(&out, kind->typname);
	SmAppendJsonKey(&out, "version", false);
	appendStringInfo(&out, "%d", o->version);
	for (int i = 0; i < kind->nfields; i++)
	{
		const SmOptionField *f = &kind->fields[i];

		SmAppendJsonKey(&out, f->name, false);
		switch (f->type)
		{
			case SM_OPT_INT:
				appendStringInfo(&out, INT64_FORMAT, (int64) o->values[i]);
				break;
			case SM_OPT_FLOAT:
				SmAppendFloat8(&out, o->values[i]);
				break;
			case SM_OPT_BOOL:
				appendStringInfoString(&out, o->values[i] != 0 ? "true" : "false");
				break;
			case SM_OPT_CHOICE:
				escape_json(&out, f->choices[(int) o->values[i]]);
				break;
		}
	}
	appendStringInfoChar(&out, '}');
	PG_RETURN_CSTRING(out.data);
}

/* Binary input: version, field count, then each field as float8. */
Datum
SmOptionsRecv(FunctionCallInfo fcinfo, const SmOptionsKind *kind)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	SmOptions  *o = SmOptionsNew(kind);
	int			version,
				nfields;

	SmRecvCheckRemaining(msg, 3, kind->typname);
	version = pq_getmsgbyte(msg);
	if (version != SM_OPTIONS_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s version %d", kind->typname, version),
				 errhint("This build of supplymkt reads version %d.", SM_OPTIONS_VERSION)));
	nfields = pq_getmsgint(msg, 2);
	if (nfields < 0 || nfields > kind->nfields)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type %s: %d fields, at most %d expected", kind->typname, nfields,
						kind->nfields)));
	SmRecvCheckRemaining(msg, 8 * (int64) nfields, kind->typname);
	for (int i = 0; i < nfields; i++)
		o->values[i] = pq_getmsgfloat8(msg);
	SmRecvCheckEnd(msg, kind->typname);
	for (int i = nfields; i < kind->nfields; i++)
		if (!kind->fields[i].has_default)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid binary input for type %s: \"%s\" is missing", kind->typname, kind->fields[i].name)));
	SmOptionsValidate(o, kind);
	PG_RETURN_POINTER(o);
}

/* Binary output. */
Datum
SmOptionsSend(FunctionCallInfo fcinfo, const SmOptionsKind *kind)
{
	const SmOptions *o = SmOptionsCheckKind((const SmOptions *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0)), kind);
	StringInfoData out;

	pq_begintypsend(&out);
	pq_sendbyte(&out, o->version);
	pq_sendint16(&out, o->nfields);
	for (int i = 0; i < o->nfields; i++)
		pq_sendfloat8(&out, o->values[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&out));
}
