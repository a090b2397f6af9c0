/*
 * common.c — helpers shared by every supplymkt family: the aggregate state types (fixed-size states and the
 * growing count map), their text and binary I/O, argument validation, and flat JSON parsing.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/jsonapi.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "common.h"

PG_MODULE_MAGIC;

/* ---------------------------------------------------------------------------------------------------------
 * Validation of user-supplied numbers
 * --------------------------------------------------------------------------------------------------------- */

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

/* ---------------------------------------------------------------------------------------------------------
 * Exact number output and JSON parsing
 * --------------------------------------------------------------------------------------------------------- */

/* Appends a float8 in its shortest form that reads back to the identical bit pattern. */
void
SmAppendFloat8(StringInfo buf, float8 value)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(value, tmp);
	appendStringInfoString(buf, tmp);
}

/* Appends ,"key": (or "key": for the first key) to a JSON object being written. */
void
SmAppendJsonKey(StringInfo buf, const char *key, bool first)
{
	if (!first)
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
}

/* Parses a whole int64, raising invalid_text_representation for anything else. */
int64
SmParseInt64(const char *s, const char *typname)
{
	char	   *end;
	long long	v;

	if (s == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: null where a number is required", typname)));
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\" is not an integer", typname, s)));
	return (int64) v;
}

/* Parses a whole uint64 (hash keys). */
uint64
SmParseUInt64(const char *s, const char *typname)
{
	char	   *end;
	unsigned long long v;

	if (s == NULL || *s == '-')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: a key must be an unsigned integer", typname)));
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\" is not an unsigned integer", typname, s)));
	return (uint64) v;
}

/* Parses a float8 with PostgreSQL's own reader (full precision). */
float8
SmParseFloat8(const char *s, const char *typname)
{
	if (s == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: null where a number is required", typname)));
	return float8in_internal(unconstify(char *, s), NULL, typname, s);
}

typedef struct SmJsonParseState
{
	SmJsonObject *obj;
	int			depth;			/* 1 inside the top-level object, 2 inside a field's array */
	SmJsonField *current;
} SmJsonParseState;

/* JSON callback: objects may only appear at the top level. */
static void
SmJsonObjectStart(void *arg)
{
	SmJsonParseState *ps = (SmJsonParseState *) arg;

	if (ps->depth != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: nested objects are not allowed", ps->obj->typname)));
	ps->depth = 1;
}

/* JSON callback: a new key at the top level; duplicates are rejected. */
static void
SmJsonFieldStart(void *arg, char *fname, bool isnull)
{
	SmJsonParseState *ps = (SmJsonParseState *) arg;
	SmJsonObject *obj = ps->obj;
	SmJsonField *f;

	for (int i = 0; i < obj->nfields; i++)
		if (strcmp(obj->fields[i].key, fname) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: duplicate key \"%s\"", obj->typname, fname)));
	if (obj->nfields == obj->maxfields)
	{
		obj->maxfields *= 2;
		obj->fields = repalloc(obj->fields, sizeof(SmJsonField) * obj->maxfields);
	}
	f = &obj->fields[obj->nfields++];
	memset(f, 0, sizeof(*f));
	f->key = fname;
	ps->current = f;
}

/* JSON callback: arrays are allowed only as a field's value, one level deep. */
static void
SmJsonArrayStart(void *arg)
{
	SmJsonParseState *ps = (SmJsonParseState *) arg;

	if (ps->depth != 1 || ps->current == NULL || ps->current->is_array)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: arrays are allowed only as values of top-level keys",
						ps->obj->typname)));
	ps->current->is_array = true;
	ps->depth = 2;
}

/* JSON callback: leaving a field's array. */
static void
SmJsonArrayEnd(void *arg)
{
	SmJsonParseState *ps = (SmJsonParseState *) arg;

	ps->depth = 1;
}

/* JSON callback: a scalar, stored as text on the current field. */
static void
SmJsonScalar(void *arg, char *token, JsonTokenType tokentype)
{
	SmJsonParseState *ps = (SmJsonParseState *) arg;
	SmJsonField *f = ps->current;

	if (ps->depth == 0 || f == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: a JSON object is required", ps->obj->typname)));
	if (!f->is_array && f->nvalues > 0)
		elog(ERROR, "JSON scalar after a field value");
	if (f->nvalues == f->maxvalues)
	{
		f->maxvalues = f->maxvalues ? f->maxvalues * 2 : 4;
		if ((Size) f->maxvalues * sizeof(char *) >= MaxAllocHugeSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("input for type %s is too large", ps->obj->typname)));
		f->values = f->values
			? repalloc_huge(f->values, sizeof(char *) * f->maxvalues)
			: palloc(sizeof(char *) * f->maxvalues);
	}
	f->values[f->nvalues++] = (tokentype == JSON_TOKEN_NULL) ? NULL : token;
}

/* Parses a flat JSON object (scalars or arrays of scalars as values) with PostgreSQL's JSON lexer. */
SmJsonObject *
SmJsonParse(const char *text, const char *typname)
{
	JsonLexContext *lex;
	JsonSemAction sem;
	SmJsonParseState ps;
	JsonParseErrorType rc;
	SmJsonObject *obj = palloc0(sizeof(SmJsonObject));

	obj->typname = typname;
	obj->maxfields = 8;
	obj->fields = palloc(sizeof(SmJsonField) * obj->maxfields);
	memset(&ps, 0, sizeof(ps));
	ps.obj = obj;
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &ps;
	sem.object_start = SmJsonObjectStart;
	sem.object_field_start = SmJsonFieldStart;
	sem.array_start = SmJsonArrayStart;
	sem.array_end = SmJsonArrayEnd;
	sem.scalar = SmJsonScalar;

	lex = makeJsonLexContextCstringLen(unconstify(char *, text), strlen(text), GetDatabaseEncoding(), true);
	rc = pg_parse_json(lex, &sem);
	if (rc != JSON_SUCCESS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", typname),
				 errdetail("%s", json_errdetail(rc, lex))));
	if (ps.depth == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: a JSON object is required", typname)));
	return obj;
}

/* Finds a key; a missing required key is an input syntax error naming it. */
SmJsonField *
SmJsonFind(SmJsonObject *obj, const char *key, bool required)
{
	for (int i = 0; i < obj->nfields; i++)
	{
		if (strcmp(obj->fields[i].key, key) == 0)
		{
			obj->fields[i].seen = true;
			return &obj->fields[i];
		}
	}
	if (required)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: key \"%s\" is missing", obj->typname, key)));
	return NULL;
}

/* Returns the single scalar value of a required key. */
static const char *
SmJsonScalarValue(SmJsonObject *obj, const char *key)
{
	SmJsonField *f = SmJsonFind(obj, key, true);

	if (f->is_array || f->nvalues != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: key \"%s\" must hold a single value",
						obj->typname, key)));
	return f->values[0];
}

/* Reads a required integer key. */
int64
SmJsonGetInt64(SmJsonObject *obj, const char *key)
{
	return SmParseInt64(SmJsonScalarValue(obj, key), obj->typname);
}

/* Reads a required float key. */
float8
SmJsonGetFloat8(SmJsonObject *obj, const char *key)
{
	return SmParseFloat8(SmJsonScalarValue(obj, key), obj->typname);
}

/* Reads a required string key. */
char *
SmJsonGetString(SmJsonObject *obj, const char *key)
{
	const char *v = SmJsonScalarValue(obj, key);

	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: key \"%s\" must not be null", obj->typname, key)));
	return unconstify(char *, v);
}

/* Rejects keys that no getter asked for (a typo must not be silently ignored). */
void
SmJsonRejectUnknown(SmJsonObject *obj)
{
	for (int i = 0; i < obj->nfields; i++)
		if (!obj->fields[i].seen)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: unknown key \"%s\"",
							obj->typname, obj->fields[i].key)));
}

/* Reads an optional scalar float key; false when absent. */
bool
SmJsonOptFloat8(SmJsonObject *obj, const char *key, float8 *out)
{
	if (SmJsonFind(obj, key, false) == NULL)
		return false;
	*out = SmParseFloat8(SmJsonScalarValue(obj, key), obj->typname);
	return true;
}

/* Reads an optional scalar integer key; false when absent. */
bool
SmJsonOptInt64(SmJsonObject *obj, const char *key, int64 *out)
{
	if (SmJsonFind(obj, key, false) == NULL)
		return false;
	*out = SmParseInt64(SmJsonScalarValue(obj, key), obj->typname);
	return true;
}

/* Reads an optional boolean key; false when absent. */
bool
SmJsonOptBool(SmJsonObject *obj, const char *key, bool *out)
{
	SmJsonField *f = SmJsonFind(obj, key, false);

	if (f == NULL)
		return false;
	if (f->is_array || f->nvalues != 1 || f->values[0] == NULL ||
		(strcmp(f->values[0], "true") != 0 && strcmp(f->values[0], "false") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: key \"%s\" must be true or false", obj->typname, key)));
	*out = strcmp(f->values[0], "true") == 0;
	return true;
}

/* Reads an optional array of exactly n numbers (JSON null = absent); false when absent. */
bool
SmJsonOptFloat8Array(SmJsonObject *obj, const char *key, int64 n, float8 *out)
{
	SmJsonField *f = SmJsonFind(obj, key, false);

	if (f == NULL || (!f->is_array && f->nvalues == 1 && f->values[0] == NULL))
		return false;
	if (!f->is_array || f->nvalues != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\" must be null or an array of " INT64_FORMAT " numbers",
						obj->typname, key, n)));
	for (int64 i = 0; i < n; i++)
		out[i] = SmParseFloat8(f->values[i], obj->typname);
	return true;
}

/* Checks that a binary message still holds at least `needed` bytes. */
void
SmRecvCheckRemaining(StringInfo buf, int64 needed, const char *typname)
{
	if (needed < 0 || needed > (int64) (buf->len - buf->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type %s: truncated data", typname)));
}

/*
 * Name of the type an I/O function reads: its own declared return type, cached in fn_extra.  (Not the
 * typioparam argument: called directly from SQL, that argument could name any type.)
 */
static const char *
SmIoTypeName(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		Oid			typid = get_func_rettype(fcinfo->flinfo->fn_oid);
		HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
		char	   *name;

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for type %u", typid);
		name = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt,
								   NameStr(((Form_pg_type) GETSTRUCT(tup))->typname));
		ReleaseSysCache(tup);
		fcinfo->flinfo->fn_extra = name;
	}
	return (const char *) fcinfo->flinfo->fn_extra;
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

/* ---------------------------------------------------------------------------------------------------------
 * Fixed-size states
 * --------------------------------------------------------------------------------------------------------- */

/* Rejects a state whose counters contradict each other (used for states read from text or binary). */
static void
SmInvalidState(const char *typname, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for type %s: %s", typname, why)));
}

/* turnover_state and sell_through_state: a sum over zero rows must be zero. */
static void
SmValidatePairedSums(const SmFixedState *s, const char *typname)
{
	if ((s->ints[0] == 0 && s->floats[0] != 0) || (s->ints[1] == 0 && s->floats[1] != 0))
		SmInvalidState(typname, "a sum is non-zero over zero rows");
}

/* stockout_state: stockouts cannot exceed snapshots. */
static void
SmValidateStockout(const SmFixedState *s, const char *typname)
{
	if (s->ints[1] > s->ints[0])
		SmInvalidState(typname, "more stockouts than snapshots");
}

/* fill_rate_state: fulfilled cannot exceed demanded; zero rows means zero sums. */
static void
SmValidateFillRate(const SmFixedState *s, const char *typname)
{
	if (s->floats[1] > s->floats[0])
		SmInvalidState(typname, "fulfilled exceeds demanded");
	if (s->ints[0] == 0 && (s->floats[0] != 0 || s->floats[1] != 0))
		SmInvalidState(typname, "a sum is non-zero over zero rows");
}

/* renewal_state: counts are non-negative, new items are part of the assortment, the period is ordered. */
static void
SmValidateRenewal(const SmFixedState *s, const char *typname)
{
	if (s->ints[0] < 0 || s->ints[1] < 0 || s->ints[1] > s->ints[0])
		SmInvalidState(typname, "counts are inconsistent");
	if (s->flags & ~1)
		SmInvalidState(typname, "unknown flags");
	if ((s->flags & 1) && s->ints[2] > s->ints[3])
		SmInvalidState(typname, "period_start is after period_end");
	if (!(s->flags & 1) && (s->ints[0] | s->ints[1] | s->ints[2] | s->ints[3]) != 0)
		SmInvalidState(typname, "counts without a period");
	if ((s->flags & 1) && (s->ints[2] < PG_INT32_MIN || s->ints[2] > PG_INT32_MAX ||
						   s->ints[3] < PG_INT32_MIN || s->ints[3] > PG_INT32_MAX))
		SmInvalidState(typname, "period is not a valid date");
}

/* variability_state: no rows means zero moments. */
static void
SmValidateVariability(const SmFixedState *s, const char *typname)
{
	if (s->ints[0] == 0 && (s->floats[0] != 0 || s->floats[1] != 0))
		SmInvalidState(typname, "moments are non-zero over zero rows");
}

/* The fixed-size state types: SQL type name and the names of the slots each uses. */
static const SmStateKind sm_kinds[SM_NUM_FIXED_KINDS] = {
	[SM_KIND_TURNOVER] = {"turnover_state", {"n_cogs", "n_inventory"}, {"sum_cogs", "sum_inventory"},
	false, SmValidatePairedSums},
	[SM_KIND_STOCKOUT] = {"stockout_state", {"n_snapshots", "n_stockouts"}, {NULL}, false, SmValidateStockout},
	[SM_KIND_FILL_RATE] = {"fill_rate_state", {"n_lines"}, {"sum_demanded", "sum_fulfilled"},
	false, SmValidateFillRate},
	[SM_KIND_SELL_THROUGH] = {"sell_through_state", {"n_sold", "n_received"}, {"sum_sold", "sum_received"},
	false, SmValidatePairedSums},
	[SM_KIND_RENEWAL] = {"renewal_state", {"n_assortment", "n_new", "period_start", "period_end"}, {NULL},
	true, SmValidateRenewal},
	[SM_KIND_VARIABILITY] = {"variability_state", {"n"}, {"mean", "m2"}, false, SmValidateVariability},
	/* as_of is a TimestampTz (may be negative); customers.c checks the state before combining or finalising */
	[SM_KIND_TIME_DECAY] = {"time_decay_state", {"orders", "as_of"}, {"value", "half_life_days"}, true, NULL},
};

/* Finds the kind of a fixed-size state type by its SQL name. */
static SmStateKindId
SmKindByTypeName(const char *typname)
{
	for (int k = 0; k < SM_NUM_FIXED_KINDS; k++)
		if (strcmp(sm_kinds[k].typname, typname) == 0)
			return (SmStateKindId) k;
	elog(ERROR, "type %s is not a supplymkt fixed-size state", typname);
	return SM_NUM_FIXED_KINDS;	/* keep compiler quiet */
}

/* Allocates a zeroed state of a kind in a memory context. */
static SmFixedState *
SmFixedStateNew(SmStateKindId kind, MemoryContext cxt)
{
	SmFixedState *s = MemoryContextAllocZero(cxt, sizeof(SmFixedState));

	SET_VARSIZE(s, sizeof(SmFixedState));
	s->version = SM_STATE_VERSION;
	s->kind = (uint8) kind;
	return s;
}

/* Internal consistency check: the state is of the expected kind (guaranteed by the SQL types). */
void
SmFixedStateCheckKind(const SmFixedState *state, SmStateKindId kind)
{
	if (VARSIZE_ANY(state) != sizeof(SmFixedState) || state->version != SM_STATE_VERSION || state->kind != kind)
		elog(ERROR, "supplymkt state of unexpected kind or version");
}

/* Generic and kind-specific checks of a state read from outside (text, binary). */
static void
SmFixedStateValidate(const SmFixedState *s)
{
	const SmStateKind *k = &sm_kinds[s->kind];

	for (int i = 0; i < SM_STATE_INTS; i++)
		if (k->int_names[i] == NULL ? s->ints[i] != 0 : (!k->ints_may_be_negative && s->ints[i] < 0))
			SmInvalidState(k->typname, "a count is negative");
	for (int i = 0; i < SM_STATE_FLOATS; i++)
	{
		if (k->float_names[i] == NULL ? s->floats[i] != 0 : !(isfinite(s->floats[i]) && s->floats[i] >= 0))
			SmInvalidState(k->typname, "a sum is negative or not finite");
	}
	if (k->validate)
		k->validate(s, k->typname);
}

/*
 * Argument 0 of a transition or combine function, ready to update (the rule every state type follows):
 * NULL when it is NULL (a new state then belongs in *cxt: the aggregate context, or the current context
 * outside an aggregate); in aggregate context the value itself, updated in place as float8_accum does;
 * called as a plain function, a private copy, so a value we do not own is never modified.
 */
static struct varlena *
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

/* The fixed-size state a transition or combine function may update (see SmStateArgForUpdate). */
SmFixedState *
SmFixedStateForUpdate(FunctionCallInfo fcinfo, SmStateKindId kind)
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
SmFixedStateArg(FunctionCallInfo fcinfo, int argno, SmStateKindId kind)
{
	SmFixedState *s = DatumGetSmFixedState(PG_GETARG_DATUM(argno));

	SmFixedStateCheckKind(s, kind);
	return s;
}

PG_FUNCTION_INFO_V1(fixed_state_in);
/* Text input of every fixed-size state type: the flat JSON object written by fixed_state_out. */
Datum
fixed_state_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	const char *typname = SmIoTypeName(fcinfo);
	SmStateKindId kind = SmKindByTypeName(typname);
	const SmStateKind *k = &sm_kinds[kind];
	SmJsonObject *obj = SmJsonParse(text, typname);
	SmFixedState *s = SmFixedStateNew(kind, CurrentMemoryContext);
	int64		version,
				flags;

	if (strcmp(SmJsonGetString(obj, "state"), typname) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"state\" must be \"%s\"", typname, typname)));
	version = SmJsonGetInt64(obj, "version");
	if (version != SM_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("unsupported %s version %lld", typname, (long long) version),
				 errhint("This build of supplymkt reads version %d.", SM_STATE_VERSION)));
	flags = SmJsonGetInt64(obj, "flags");
	if (flags < 0 || flags > PG_UINT16_MAX)
		SmInvalidState(typname, "flags out of range");
	s->flags = (uint16) flags;
	for (int i = 0; i < SM_STATE_INTS; i++)
		if (k->int_names[i])
			s->ints[i] = SmJsonGetInt64(obj, k->int_names[i]);
	for (int i = 0; i < SM_STATE_FLOATS; i++)
		if (k->float_names[i])
			s->floats[i] = SmJsonGetFloat8(obj, k->float_names[i]);
	SmJsonRejectUnknown(obj);
	SmFixedStateValidate(s);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(fixed_state_out);
/* Text output of every fixed-size state type, exact (round-trips through fixed_state_in). */
Datum
fixed_state_out(PG_FUNCTION_ARGS)
{
	SmFixedState *s = DatumGetSmFixedState(PG_GETARG_DATUM(0));
	const SmStateKind *k;
	StringInfoData buf;

	if (s->kind >= SM_NUM_FIXED_KINDS)
		elog(ERROR, "supplymkt state of unknown kind %d", s->kind);
	k = &sm_kinds[s->kind];
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

PG_FUNCTION_INFO_V1(fixed_state_recv);
/* Binary input of every fixed-size state type: version, flags, then the used slots. */
Datum
fixed_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const char *typname = SmIoTypeName(fcinfo);
	SmStateKindId kind = SmKindByTypeName(typname);
	const SmStateKind *k = &sm_kinds[kind];
	SmFixedState *s = SmFixedStateNew(kind, CurrentMemoryContext);
	int			version;

	SmRecvCheckRemaining(buf, 3, typname);
	version = pq_getmsgbyte(buf);
	if (version != SM_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s version %d", typname, version)));
	s->flags = (uint16) pq_getmsgint(buf, 2);
	for (int i = 0; i < SM_STATE_INTS; i++)
		if (k->int_names[i])
		{
			SmRecvCheckRemaining(buf, 8, typname);
			s->ints[i] = pq_getmsgint64(buf);
		}
	for (int i = 0; i < SM_STATE_FLOATS; i++)
		if (k->float_names[i])
		{
			SmRecvCheckRemaining(buf, 8, typname);
			s->floats[i] = pq_getmsgfloat8(buf);
		}
	if (buf->cursor != buf->len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type %s: trailing data", typname)));
	SmFixedStateValidate(s);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(fixed_state_send);
/* Binary output of every fixed-size state type. */
Datum
fixed_state_send(PG_FUNCTION_ARGS)
{
	SmFixedState *s = DatumGetSmFixedState(PG_GETARG_DATUM(0));
	const SmStateKind *k;
	StringInfoData buf;

	if (s->kind >= SM_NUM_FIXED_KINDS)
		elog(ERROR, "supplymkt state of unknown kind %d", s->kind);
	k = &sm_kinds[s->kind];
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

/* ---------------------------------------------------------------------------------------------------------
 * Count map
 * --------------------------------------------------------------------------------------------------------- */

/* Largest table: 2^25 slots (512 MB), i.e. up to 16.7 million distinct keys at load factor 1/2. */
#define SM_MAP_MAX_CAPACITY (1 << 25)
#define SM_MAP_MIN_CAPACITY 16

/* Type names of the count-map kinds, for messages and text I/O. */
static const char *
SmMapTypeName(uint8 kind)
{
	if (kind == SM_MAP_KIND_DIVERSITY)
		return "diversity_state";
	elog(ERROR, "supplymkt count map of unknown kind %d", kind);
	return NULL;				/* keep compiler quiet */
}

/* Allocates an empty count map with `capacity` slots (a power of two). */
static SmCountMap *
SmCountMapNew(uint8 kind, int32 capacity, MemoryContext cxt)
{
	Size		size = add_size(offsetof(SmCountMap, entries), mul_size(capacity, sizeof(SmCountEntry)));
	SmCountMap *map = MemoryContextAllocExtended(cxt, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	SET_VARSIZE(map, size);
	map->version = SM_STATE_VERSION;
	map->kind = kind;
	map->capacity = capacity;
	return map;
}

/* Slot of `key`: where it is, or the empty slot where it belongs (linear probing). */
static inline int32
SmCountMapSlot(const SmCountMap *map, uint64 key)
{
	uint32		mask = (uint32) map->capacity - 1;
	uint32		i = (uint32) (key ^ (key >> 29)) & mask;

	while (map->entries[i].count != 0 && map->entries[i].key != key)
		i = (i + 1) & mask;
	return (int32) i;
}

/* Internal consistency check of a count map argument. */
static void
SmCountMapCheck(const SmCountMap *map, uint8 kind)
{
	if (map->version != SM_STATE_VERSION || map->kind != kind || map->capacity < SM_MAP_MIN_CAPACITY ||
		VARSIZE_ANY(map) != offsetof(SmCountMap, entries) + (Size) map->capacity * sizeof(SmCountEntry))
		elog(ERROR, "supplymkt count map of unexpected kind, version or size");
}

/* The count map a transition or combine function may update (see SmStateArgForUpdate). */
SmCountMap *
SmCountMapForUpdate(FunctionCallInfo fcinfo, uint8 kind)
{
	MemoryContext cxt;
	SmCountMap *map = (SmCountMap *) SmStateArgForUpdate(fcinfo, &cxt);

	if (map == NULL)
		return SmCountMapNew(kind, SM_MAP_MIN_CAPACITY, cxt);
	SmCountMapCheck(map, kind);
	return map;
}

/* A read-only count map argument. */
SmCountMap *
SmCountMapArg(FunctionCallInfo fcinfo, int argno, uint8 kind)
{
	SmCountMap *map = DatumGetSmCountMap(PG_GETARG_DATUM(argno));

	SmCountMapCheck(map, kind);
	return map;
}

/*
 * Adds `count` to `key`.  Returns the map, which is a new, doubled one allocated in `cxt` when the table
 * was half full (the caller returns it as the new transition value; nodeAgg then frees the old one).
 */
SmCountMap *
SmCountMapAdd(SmCountMap *map, uint64 key, int64 count, MemoryContext cxt)
{
	int32		slot;

	Assert(count > 0);
	slot = SmCountMapSlot(map, key);
	if (map->entries[slot].count == 0)
	{
		if ((map->used + 1) * 2 > map->capacity)
		{
			SmCountMap *bigger;

			if (map->capacity >= SM_MAP_MAX_CAPACITY)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many distinct values for %s (limit %d)",
								SmMapTypeName(map->kind), SM_MAP_MAX_CAPACITY / 2),
						 errhint("Group the data into smaller sets.")));
			bigger = SmCountMapNew(map->kind, map->capacity * 2, cxt);
			bigger->flags = map->flags;
			for (int32 i = 0; i < map->capacity; i++)
			{
				CHECK_FOR_INTERRUPTS();
				if (map->entries[i].count != 0)
				{
					int32		s = SmCountMapSlot(bigger, map->entries[i].key);

					bigger->entries[s] = map->entries[i];
					bigger->used++;
				}
			}
			bigger->total = map->total;
			map = bigger;
			slot = SmCountMapSlot(map, key);
		}
		map->entries[slot].key = key;
		map->used++;
	}
	if (pg_add_s64_overflow(map->entries[slot].count, count, &map->entries[slot].count) ||
		pg_add_s64_overflow(map->total, count, &map->total))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("count out of range for %s", SmMapTypeName(map->kind))));
	return map;
}

/* Comparator: entries by key. */
static int
SmCountEntryCmp(const void *a, const void *b)
{
	uint64		ka = ((const SmCountEntry *) a)->key;
	uint64		kb = ((const SmCountEntry *) b)->key;

	return ka < kb ? -1 : (ka > kb ? 1 : 0);
}

/* The occupied entries sorted by key (a palloc'd array); returns how many. */
int
SmCountMapSortedEntries(const SmCountMap *map, SmCountEntry **entries)
{
	SmCountEntry *out = palloc_extended(sizeof(SmCountEntry) * (Size) Max(map->used, 1), MCXT_ALLOC_HUGE);
	int			n = 0;

	for (int32 i = 0; i < map->capacity; i++)
		if (map->entries[i].count != 0)
			out[n++] = map->entries[i];
	qsort(out, n, sizeof(SmCountEntry), SmCountEntryCmp);
	*entries = out;
	return n;
}

/* Checks a map read from outside: positive counts adding up to the total. */
static void
SmCountMapValidate(const SmCountMap *map)
{
	int64		sum = 0;

	for (int32 i = 0; i < map->capacity; i++)
		if (map->entries[i].count < 0 ||
			pg_add_s64_overflow(sum, map->entries[i].count, &sum))
			SmInvalidState(SmMapTypeName(map->kind), "a count is negative or too large");
	if (sum != map->total)
		SmInvalidState(SmMapTypeName(map->kind), "counts do not add up to the total");
}

/* Builds a map from parallel key and count arrays read from input, rejecting duplicate keys. */
static SmCountMap *
SmCountMapFromArrays(uint8 kind, int64 n, const uint64 *keys, const int64 *counts)
{
	const char *typname = SmMapTypeName(kind);
	SmCountMap *map = SmCountMapNew(kind, SM_MAP_MIN_CAPACITY, CurrentMemoryContext);

	for (int64 i = 0; i < n; i++)
	{
		int32		before = map->used;

		CHECK_FOR_INTERRUPTS();
		if (counts[i] <= 0)
			SmInvalidState(typname, "counts must be positive");
		map = SmCountMapAdd(map, keys[i], counts[i], CurrentMemoryContext);
		if (map->used == before)
			SmInvalidState(typname, "duplicate key");
	}
	return map;
}

PG_FUNCTION_INFO_V1(count_map_in);
/* Text input of count-map states: {"state":..., "version":1, "total":N, "keys":[...], "counts":[...]}. */
Datum
count_map_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	const char *typname = SmIoTypeName(fcinfo);
	uint8		kind = SM_MAP_KIND_DIVERSITY;
	SmJsonObject *obj = SmJsonParse(text, typname);
	SmJsonField *kf,
			   *cf;
	uint64	   *keys;
	int64	   *counts;
	int64		total;
	SmCountMap *map;

	if (strcmp(typname, SmMapTypeName(kind)) != 0)
		elog(ERROR, "type %s is not a supplymkt count map", typname);
	if (strcmp(SmJsonGetString(obj, "state"), typname) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"state\" must be \"%s\"", typname, typname)));
	if (SmJsonGetInt64(obj, "version") != SM_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("unsupported %s version", typname)));
	total = SmJsonGetInt64(obj, "total");
	kf = SmJsonFind(obj, "keys", true);
	cf = SmJsonFind(obj, "counts", true);
	SmJsonRejectUnknown(obj);
	if (!kf->is_array || !cf->is_array || kf->nvalues != cf->nvalues)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"keys\" and \"counts\" must be arrays of equal length",
						typname)));
	keys = palloc_extended(sizeof(uint64) * (Size) Max(kf->nvalues, 1), MCXT_ALLOC_HUGE);
	counts = palloc_extended(sizeof(int64) * (Size) Max(cf->nvalues, 1), MCXT_ALLOC_HUGE);
	for (int i = 0; i < kf->nvalues; i++)
	{
		keys[i] = SmParseUInt64(kf->values[i], typname);
		counts[i] = SmParseInt64(cf->values[i], typname);
	}
	map = SmCountMapFromArrays(kind, kf->nvalues, keys, counts);
	if (map->total != total)
		SmInvalidState(typname, "counts do not add up to the total");
	PG_RETURN_POINTER(map);
}

PG_FUNCTION_INFO_V1(count_map_out);
/* Text output of count-map states, keys in ascending order. */
Datum
count_map_out(PG_FUNCTION_ARGS)
{
	SmCountMap *map = DatumGetSmCountMap(PG_GETARG_DATUM(0));
	SmCountEntry *entries;
	int			n;
	StringInfoData buf;

	SmCountMapCheck(map, map->kind);
	n = SmCountMapSortedEntries(map, &entries);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	SmAppendJsonKey(&buf, "state", true);
	escape_json(&buf, SmMapTypeName(map->kind));
	SmAppendJsonKey(&buf, "version", false);
	appendStringInfo(&buf, "%d", map->version);
	SmAppendJsonKey(&buf, "total", false);
	appendStringInfo(&buf, INT64_FORMAT, map->total);
	SmAppendJsonKey(&buf, "keys", false);
	appendStringInfoChar(&buf, '[');
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s" UINT64_FORMAT, i ? "," : "", entries[i].key);
	appendStringInfoChar(&buf, ']');
	SmAppendJsonKey(&buf, "counts", false);
	appendStringInfoChar(&buf, '[');
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s" INT64_FORMAT, i ? "," : "", entries[i].count);
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(count_map_recv);
/* Binary input of count-map states: version, total, n, then n (key, count) pairs. */
Datum
count_map_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const char *typname = SmIoTypeName(fcinfo);
	uint8		kind = SM_MAP_KIND_DIVERSITY;
	int			version;
	int64		total,
				n;
	uint64	   *keys;
	int64	   *counts;
	SmCountMap *map;

	if (strcmp(typname, SmMapTypeName(kind)) != 0)
		elog(ERROR, "type %s is not a supplymkt count map", typname);
	SmRecvCheckRemaining(buf, 17, typname);
	version = pq_getmsgbyte(buf);
	if (version != SM_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s version %d", typname, version)));
	total = pq_getmsgint64(buf);
	n = pq_getmsgint64(buf);
	if (n < 0 || n > SM_MAP_MAX_CAPACITY / 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type %s: inconsistent size", typname)));
	SmRecvCheckRemaining(buf, n * 16, typname);
	keys = palloc_extended(sizeof(uint64) * (Size) Max(n, 1), MCXT_ALLOC_HUGE);
	counts = palloc_extended(sizeof(int64) * (Size) Max(n, 1), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
	{
		keys[i] = (uint64) pq_getmsgint64(buf);
		counts[i] = pq_getmsgint64(buf);
	}
	if (buf->cursor != buf->len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type %s: trailing data", typname)));
	map = SmCountMapFromArrays(kind, n, keys, counts);
	if (map->total != total)
		SmInvalidState(typname, "counts do not add up to the total");
	SmCountMapValidate(map);
	PG_RETURN_POINTER(map);
}

PG_FUNCTION_INFO_V1(count_map_send);
/* Binary output of count-map states, keys in ascending order. */
Datum
count_map_send(PG_FUNCTION_ARGS)
{
	SmCountMap *map = DatumGetSmCountMap(PG_GETARG_DATUM(0));
	SmCountEntry *entries;
	int			n;
	StringInfoData buf;

	SmCountMapCheck(map, map->kind);
	n = SmCountMapSortedEntries(map, &entries);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, map->version);
	pq_sendint64(&buf, map->total);
	pq_sendint64(&buf, n);
	for (int i = 0; i < n; i++)
	{
		pq_sendint64(&buf, (int64) entries[i].key);
		pq_sendint64(&buf, entries[i].count);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------------------------------------------------------------------------------------------------------
 * Row buffer
 * --------------------------------------------------------------------------------------------------------- */

/*
 * The row-buffer state types.  Families add their kinds here (the index is the kind id stored in the value);
 * the aggregate that owns a kind documents its columns and parameters.
 */
const SmRowKind sm_row_kinds[] = {
	/* order time (timestamptz microseconds since 2000), amount; one group per customer, so it starts small */
	[SM_ROWS_KIND_RFM_SUMMARY] = {"rfm_summary_state", 2, {"as_of"}, 4},
	[SM_ROWS_KIND_RFM_BREAKS] = {"rfm_breaks_state", 3, {"bins"}, 64},	/* recency, frequency, monetary */
	[SM_ROWS_KIND_CLV_FIT] = {"clv_fit_state", 4, {"model", "unit"}, 64},	/* frequency, recency, T, monetary */
	/* the feature arrays (one row per point, width set by the first row) */
	[SM_ROWS_KIND_KMEANS_FIT] = {"kmeans_fit_state", 0,
	{"k", "seed", "n_init", "max_iter", "tol", "standardize", "k_max"}, 64, &sm_kmeans_max_memory_kb},
	/* k rows [count, sums], k centroid rows [0, centroid], a mean row and a scale row [0, ...] (kmeans.c) */
	[SM_ROWS_KIND_KMEANS_REFINE] = {"kmeans_refine_state", 0,
	{"k", "standardize", "iterations", "inertia", "n_points", "seed", "n_init"}, 0},
	/* [user, item, weight] interactions, or [item, features...] for content similarity (recommend.c) */
	[SM_ROWS_KIND_ITEM_SIMILARITY] = {"item_similarity_state", 0, {"top_k", "measure", "min_support"}, 64},
	/* basket, item */
	[SM_ROWS_KIND_ASSOC_RULES] = {"assoc_rules_state", 2, {"min_support", "min_confidence", "max_len"}, 64},
};
const int	sm_num_row_kinds = lengthof(sm_row_kinds);

static uint8 SmRowKindByTypeName(const char *typname);

/* Bytes of a row buffer holding `capacity` rows of `ncols` columns; errors past the varlena limit. */
static Size
SmRowBufferSize(int ncols, int64 capacity, const char *typname)
{
	if (capacity < 0 || (double) capacity * ncols * sizeof(float8) > (double) (MaxAllocSize - 1024))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows for %s: at most %lld rows of %d values fit in one aggregate state",
						typname, (long long) ((MaxAllocSize - 1024) / (Max(ncols, 1) * sizeof(float8))), ncols),
				 errhint("Aggregate fewer rows, e.g. a sample: FROM t TABLESAMPLE SYSTEM (10).")));
	return offsetof(SmRowBuffer, values) + (Size) capacity * ncols * sizeof(float8);
}

/* Allocates an empty row buffer of a kind with room for `capacity` rows of `ncols` values. */
static SmRowBuffer *
SmRowBufferNew(uint8 kind, int ncols, int64 capacity, MemoryContext cxt)
{
	const SmRowKind *k = &sm_row_kinds[kind];
	Size		size = SmRowBufferSize(ncols, capacity, k->typname);
	SmRowBuffer *buf = MemoryContextAllocExtended(cxt, size, MCXT_ALLOC_HUGE);

	memset(buf, 0, offsetof(SmRowBuffer, values));
	SET_VARSIZE(buf, size);
	buf->version = SM_STATE_VERSION;
	buf->kind = kind;
	buf->ncols = ncols;
	buf->capacity = capacity;
	return buf;
}

/* Internal consistency check of a row buffer argument. */
static void
SmRowBufferCheck(const SmRowBuffer *buf, uint8 kind)
{
	if (buf->version != SM_STATE_VERSION || buf->kind != kind || kind >= sm_num_row_kinds ||
		(sm_row_kinds[kind].ncols > 0 ? buf->ncols != sm_row_kinds[kind].ncols : buf->ncols < 0) ||
		buf->nrows < 0 || buf->nrows > buf->capacity || buf->nseen < buf->nrows ||
		buf->level < 0 || buf->level > SM_ROWS_MAX_LEVEL ||
		VARSIZE_ANY(buf) != offsetof(SmRowBuffer, values) + (Size) buf->capacity * buf->ncols * sizeof(float8))
		elog(ERROR, "supplymkt row buffer of unexpected kind, version or size");
}

/* The row buffer a transition or combine function may update (see SmStateArgForUpdate). */
SmRowBuffer *
SmRowBufferForUpdate(FunctionCallInfo fcinfo, uint8 kind)
{
	MemoryContext cxt;
	SmRowBuffer *buf = (SmRowBuffer *) SmStateArgForUpdate(fcinfo, &cxt);

	if (buf == NULL)
		return SmRowBufferNew(kind, sm_row_kinds[kind].ncols, sm_row_kinds[kind].ncols > 0 ? sm_row_kinds[kind].initial_rows : 0, cxt);
	SmRowBufferCheck(buf, kind);
	return buf;
}

/* A read-only row buffer argument. */
SmRowBuffer *
SmRowBufferArg(FunctionCallInfo fcinfo, int argno, uint8 kind)
{
	SmRowBuffer *buf = DatumGetSmRowBuffer(PG_GETARG_DATUM(argno));

	SmRowBufferCheck(buf, kind);
	return buf;
}

/*
 * Fixes the row width of a variable-width buffer on its first row (what = the argument, for the message);
 * later rows must have the same width.
 */
void
SmRowBufferSetCols(SmRowBuffer *buf, int ncols, const char *what)
{
	if (buf->ncols == ncols)
		return;
	if (buf->ncols == 0 && buf->nrows == 0 && sm_row_kinds[buf->kind].ncols == 0)
	{
		buf->capacity = 0;		/* the (empty) values area held rows of width 0 */
		buf->ncols = ncols;
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("every %s array must have the same length: %d elements, not %d", what, buf->ncols, ncols),
			 errhint("Pass the same features, in the same order, for every row.")));
}

/*
 * Makes room for `extra` more rows: returns the buffer, or a bigger copy allocated in `cxt` (capacity doubles,
 * but stays at most max(need, cap_limit)).
 */
static SmRowBuffer *
SmRowBufferReserve(SmRowBuffer *buf, int64 extra, int64 cap_limit, MemoryContext cxt)
{
	int64		need = buf->nrows + extra;
	int64		cap = Max(buf->capacity, 1);
	SmRowBuffer *bigger;

	if (need <= buf->capacity)
		return buf;
	while (cap < need)
		cap = cap * 2;
	cap = Max(need, Min(cap, cap_limit));
	bigger = SmRowBufferNew(buf->kind, buf->ncols, cap, cxt);
	memcpy(bigger, buf, offsetof(SmRowBuffer, values));
	SET_VARSIZE(bigger, SmRowBufferSize(buf->ncols, cap, sm_row_kinds[buf->kind].typname));
	bigger->capacity = cap;
	memcpy(bigger->values, buf->values, (Size) buf->nrows * buf->ncols * sizeof(float8));
	return bigger;
}

/* Appends one row of ncols values; returns the (possibly new) buffer to return as the transition value. */
SmRowBuffer *
SmRowBufferAppend(SmRowBuffer *buf, const float8 *row, MemoryContext cxt)
{
	buf = SmRowBufferReserve(buf, 1, PG_INT64_MAX, cxt);
	memcpy(&buf->values[buf->nrows * buf->ncols], row, buf->ncols * sizeof(float8));
	buf->nrows++;
	SmIncrement(&buf->nseen);
	return buf;
}

/*
 * Sampling.  A row's hash depends only on its values, and a buffer at level L keeps exactly the rows whose hash
 * has L leading zero bits; the level rises one step at a time while the rows exceed a bound.  So the kept rows
 * are the same in any order of transitions and combines (the final level is the smallest whose sample fits):
 * a mergeable, order-independent sample in which each kept row stands for about 2^L rows.  Identical rows
 * share a hash and are kept or dropped together.
 */
uint64
SmRowHash(const float8 *row, int ncols)
{
	uint64		h = UINT64CONST(0x5eed5eed5eed5eed);

	for (int i = 0; i < ncols; i++)
	{
		float8		v = row[i] == 0 ? 0.0 : row[i];	/* -0 and 0 are the same point */

		h = hash_combine64(h, hash_bytes_extended((const unsigned char *) &v, sizeof(v), 0));
	}
	return h;
}

/* Whether a row passes a sampling level. */
static inline bool
SmRowKept(const float8 *row, int ncols, int level)
{
	return level == 0 || (SmRowHash(row, ncols) >> (64 - level)) == 0;
}

/* Drops the rows that do not pass the buffer's level (in place). */
static void
SmRowBufferFilter(SmRowBuffer *buf)
{
	int64		kept = 0;

	if (buf->level == 0)
		return;
	for (int64 i = 0; i < buf->nrows; i++)
	{
		const float8 *row = &buf->values[i * buf->ncols];

		if ((i & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		if (SmRowKept(row, buf->ncols, buf->level))
		{
			if (kept != i)
				memmove(&buf->values[kept * buf->ncols], row, buf->ncols * sizeof(float8));
			kept++;
		}
	}
	buf->nrows = kept;
}

/* Raises the sampling level until at most max_rows rows remain. */
void
SmRowBufferLimit(SmRowBuffer *buf, int64 max_rows)
{
	while (buf->nrows > max_rows && buf->level < SM_ROWS_MAX_LEVEL)
	{
		buf->level++;
		SmRowBufferFilter(buf);
	}
}

/* Most rows of ncols values a buffer of a bounded kind keeps before it samples (PG_INT64_MAX: unbounded). */
int64
SmRowBufferMaxRows(const SmRowBuffer *buf, int ncols)
{
	const int  *kb = sm_row_kinds[buf->kind].max_memory_kb;

	if (kb == NULL)
		return PG_INT64_MAX;
	return Max((int64) *kb * 1024 / ((int64) Max(ncols, 1) * (int64) sizeof(float8)), 1);
}

/* Appends one row if it passes the sampling level, keeping at most max_rows rows. */
SmRowBuffer *
SmRowBufferAppendSampled(SmRowBuffer *buf, const float8 *row, int64 max_rows, MemoryContext cxt)
{
	SmIncrement(&buf->nseen);
	if (!SmRowKept(row, buf->ncols, buf->level))
		return buf;
	buf = SmRowBufferReserve(buf, 1, max_rows + 1, cxt);
	memcpy(&buf->values[buf->nrows * buf->ncols], row, buf->ncols * sizeof(float8));
	buf->nrows++;
	if (buf->nrows > max_rows)
		SmRowBufferLimit(buf, max_rows);
	return buf;
}

/*
 * Appends every row of `other` (combine); the parameters and widths of both must agree.  When the sampling
 * levels differ, both sides are brought to the higher one (the caller applies its bound with SmRowBufferLimit).
 */
SmRowBuffer *
SmRowBufferAppendAll(SmRowBuffer *buf, const SmRowBuffer *other, MemoryContext cxt)
{
	int64		nseen = buf->nseen;

	if (other->flags & SM_ROWS_PARAMS_SET)
		SmRowBufferSetParams(buf, other->params);
	if (other->nrows == 0 && other->ncols == 0)
	{
		buf->level = Max(buf->level, other->level);
		SmRowBufferFilter(buf);
		SmAddInt64Checked(&buf->nseen, other->nseen);
		return buf;
	}
	SmRowBufferSetCols(buf, other->ncols, "features");
	if (other->level > buf->level)
	{
		buf->level = other->level;
		SmRowBufferFilter(buf);
	}
	buf = SmRowBufferReserve(buf, other->nrows, PG_INT64_MAX, cxt);
	if (other->level == buf->level)
	{
		memcpy(&buf->values[buf->nrows * buf->ncols], other->values, (Size) other->nrows * other->ncols * sizeof(float8));
		buf->nrows += other->nrows;
	}
	else
		for (int64 i = 0; i < other->nrows; i++)
		{
			const float8 *row = &other->values[i * other->ncols];

			if ((i & 4095) == 0)
				CHECK_FOR_INTERRUPTS();
			if (SmRowKept(row, buf->ncols, buf->level))
				memcpy(&buf->values[buf->nrows++ * buf->ncols], row, buf->ncols * sizeof(float8));
		}
	buf->nseen = nseen;
	SmAddInt64Checked(&buf->nseen, other->nseen);
	return buf;
}

PG_FUNCTION_INFO_V1(row_buffer_combine);
/*
 * Combine function of every row-buffer state (the kind from the function's declared return type): appends the
 * second state's rows, then applies the kind's sampling bound.
 */
Datum
row_buffer_combine(PG_FUNCTION_ARGS)
{
	uint8		kind;
	SmRowBuffer *buf,
			   *other;

	if (PG_ARGISNULL(1))
		SM_SKIP_ROW();
	kind = SmRowKindByTypeName(SmIoTypeName(fcinfo));
	other = SmRowBufferArg(fcinfo, 1, kind);
	buf = SmRowBufferForUpdate(fcinfo, kind);
	buf = SmRowBufferAppendAll(buf, other, CurrentMemoryContext);
	SmRowBufferLimit(buf, SmRowBufferMaxRows(buf, buf->ncols));
	PG_RETURN_POINTER(buf);
}

/* Fixes the aggregate's constant arguments on the first row; later rows (and partial states) must match. */
void
SmRowBufferSetParams(SmRowBuffer *buf, const float8 *params)
{
	const SmRowKind *k = &sm_row_kinds[buf->kind];

	if (!(buf->flags & SM_ROWS_PARAMS_SET))
	{
		memcpy(buf->params, params, sizeof(buf->params));
		buf->flags |= SM_ROWS_PARAMS_SET;
		return;
	}
	for (int i = 0; i < SM_ROWS_PARAMS; i++)
		if (k->param_names[i] && memcmp(&buf->params[i], &params[i], sizeof(float8)) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be the same on every row of the aggregate", k->param_names[i])));
}

/* Finds the row-buffer kind of a type by its SQL name. */
static uint8
SmRowKindByTypeName(const char *typname)
{
	for (int k = 0; k < sm_num_row_kinds; k++)
		if (strcmp(sm_row_kinds[k].typname, typname) == 0)
			return (uint8) k;
	elog(ERROR, "type %s is not a supplymkt row buffer", typname);
	return 0;					/* keep compiler quiet */
}

/* Checks a row buffer read from outside: finite values and parameters, unused parameters zero, the sample. */
static void
SmRowBufferValidate(const SmRowBuffer *buf)
{
	const SmRowKind *k = &sm_row_kinds[buf->kind];

	if (buf->flags & ~SM_ROWS_PARAMS_SET)
		SmInvalidState(k->typname, "unknown flags");
	for (int i = 0; i < SM_ROWS_PARAMS; i++)
		if (!isfinite(buf->params[i]) || ((!k->param_names[i] || !(buf->flags & SM_ROWS_PARAMS_SET)) &&
										   buf->params[i] != 0))
			SmInvalidState(k->typname, "invalid parameters");
	if (buf->level < 0 || buf->level > SM_ROWS_MAX_LEVEL || buf->nseen < buf->nrows ||
		(buf->level == 0 && buf->nseen != buf->nrows))
		SmInvalidState(k->typname, "invalid sampling level or rows seen");
	if (buf->ncols == 0 && buf->nrows > 0)
		SmInvalidState(k->typname, "rows without columns");
	for (int64 i = 0; i < buf->nrows * buf->ncols; i++)
		if (!isfinite(buf->values[i]))
			SmInvalidState(k->typname, "values must be finite");
	for (int64 i = 0; buf->level > 0 && i < buf->nrows; i++)
		if (!SmRowKept(&buf->values[i * buf->ncols], buf->ncols, buf->level))
			SmInvalidState(k->typname, "a row does not belong to the sample of its level");
}

/* Number of parameters of a kind (the text form lists these; the rest are 0). */
static int
SmRowKindParams(const SmRowKind *k)
{
	int			n = 0;

	for (int i = 0; i < SM_ROWS_PARAMS; i++)
		if (k->param_names[i])
			n = i + 1;
	return n;
}

/* The row width of text or binary input: fixed by the kind, or given (variable-width kinds). */
static int
SmRowBufferInputCols(const SmRowKind *k, int64 given, bool have, int sqlstate)
{
	if (k->ncols > 0 && (!have || given == k->ncols))
		return k->ncols;
	if (k->ncols == 0 && have && given >= 0 && given <= PG_INT32_MAX / 16)
		return (int) given;
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("invalid input for type %s: \"cols\" must be %s", k->typname,
					k->ncols > 0 ? psprintf("%d", k->ncols) : "given, 0 or more")));
	return 0;					/* keep compiler quiet */
}

PG_FUNCTION_INFO_V1(row_buffer_in);
/*
 * Text input of row buffers: {"state":..., "version":1, "params":[...] (the kind's parameters; missing ones are
 * 0), "rows":n, "values":[row-major]}, plus
 * "cols" (variable-width kinds) and "level" / "seen" (sampled buffers).
 */
Datum
row_buffer_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	const char *typname = SmIoTypeName(fcinfo);
	uint8		kind = SmRowKindByTypeName(typname);
	const SmRowKind *k = &sm_row_kinds[kind];
	SmJsonObject *obj = SmJsonParse(text, typname);
	SmJsonField *pf,
			   *vf;
	int64		nrows,
				cols = 0,
				level = 0,
				nseen = 0;
	bool		have_cols,
				have_seen;
	int			ncols;
	SmRowBuffer *buf;

	if (strcmp(SmJsonGetString(obj, "state"), typname) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"state\" must be \"%s\"", typname, typname)));
	if (SmJsonGetInt64(obj, "version") != SM_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("unsupported %s version", typname)));
	nrows = SmJsonGetInt64(obj, "rows");
	have_cols = SmJsonOptInt64(obj, "cols", &cols);
	SmJsonOptInt64(obj, "level", &level);
	have_seen = SmJsonOptInt64(obj, "seen", &nseen);
	pf = SmJsonFind(obj, "params", true);
	vf = SmJsonFind(obj, "values", true);
	SmJsonRejectUnknown(obj);
	ncols = SmRowBufferInputCols(k, cols, have_cols, ERRCODE_INVALID_TEXT_REPRESENTATION);
	if (level < 0 || level > SM_ROWS_MAX_LEVEL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"level\" must be between 0 and %d",
						typname, SM_ROWS_MAX_LEVEL)));
	if (!vf->is_array || nrows < 0 || (double) nrows * ncols != (double) vf->nvalues)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"values\" must be an array of rows x %d numbers",
						typname, ncols)));
	if (!pf->is_array || pf->nvalues > SM_ROWS_PARAMS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"params\" must be [] or an array of at most %d numbers",
						typname, SM_ROWS_PARAMS)));
	buf = SmRowBufferNew(kind, ncols, Max(nrows, 1), CurrentMemoryContext);
	if (pf->nvalues > 0)
	{
		buf->flags |= SM_ROWS_PARAMS_SET;
		for (int i = 0; i < pf->nvalues; i++)
			buf->params[i] = SmParseFloat8(pf->values[i], typname);
	}
	for (int64 i = 0; i < vf->nvalues; i++)
		buf->values[i] = SmParseFloat8(vf->values[i], typname);
	buf->nrows = nrows;
	buf->level = (int32) level;
	buf->nseen = have_seen ? nseen : nrows;
	SmRowBufferValidate(buf);
	PG_RETURN_POINTER(buf);
}

PG_FUNCTION_INFO_V1(row_buffer_out);
/* Text output of row buffers (exact floats). */
Datum
row_buffer_out(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf = DatumGetSmRowBuffer(PG_GETARG_DATUM(0));
	StringInfoData out;

	if (buf->kind >= sm_num_row_kinds)
		elog(ERROR, "supplymkt row buffer of unknown kind %d", buf->kind);
	SmRowBufferCheck(buf, buf->kind);
	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	SmAppendJsonKey(&out, "state", true);
	escape_json(&out, sm_row_kinds[buf->kind].typname);
	SmAppendJsonKey(&out, "version", false);
	appendStringInfo(&out, "%d", buf->version);
	SmAppendJsonKey(&out, "params", false);
	appendStringInfoChar(&out, '[');
	if (buf->flags & SM_ROWS_PARAMS_SET)
		for (int i = 0; i < SmRowKindParams(&sm_row_kinds[buf->kind]); i++)
		{
			if (i)
				appendStringInfoChar(&out, ',');
			SmAppendFloat8(&out, buf->params[i]);
		}
	appendStringInfoChar(&out, ']');
	if (sm_row_kinds[buf->kind].ncols == 0)
	{
		SmAppendJsonKey(&out, "cols", false);
		appendStringInfo(&out, "%d", buf->ncols);
	}
	if (buf->level > 0)
	{
		SmAppendJsonKey(&out, "level", false);
		appendStringInfo(&out, "%d", buf->level);
		SmAppendJsonKey(&out, "seen", false);
		appendStringInfo(&out, INT64_FORMAT, buf->nseen);
	}
	SmAppendJsonKey(&out, "rows", false);
	appendStringInfo(&out, INT64_FORMAT, buf->nrows);
	SmAppendJsonKey(&out, "values", false);
	appendStringInfoChar(&out, '[');
	for (int64 i = 0; i < buf->nrows * buf->ncols; i++)
	{
		if (i)
			appendStringInfoChar(&out, ',');
		SmAppendFloat8(&out, buf->values[i]);
	}
	appendStringInfoString(&out, "]}");
	PG_RETURN_CSTRING(out.data);
}

PG_FUNCTION_INFO_V1(row_buffer_recv);
/* Binary input of row buffers: version, flags, cols, level, params, rows seen, rows, values. */
Datum
row_buffer_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	const char *typname = SmIoTypeName(fcinfo);
	uint8		kind = SmRowKindByTypeName(typname);
	const SmRowKind *k = &sm_row_kinds[kind];
	SmRowBuffer *buf;
	int			version,
				flags,
				ncols,
				level;
	float8		params[SM_ROWS_PARAMS];
	int64		nrows,
				nseen;

	SmRecvCheckRemaining(msg, 3 + 4 + 4 + 8 * SM_ROWS_PARAMS + 16, typname);
	version = pq_getmsgbyte(msg);
	if (version != SM_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s version %d", typname, version)));
	flags = pq_getmsgint(msg, 2);
	ncols = SmRowBufferInputCols(k, (int32) pq_getmsgint(msg, 4), true, ERRCODE_INVALID_BINARY_REPRESENTATION);
	level = (int32) pq_getmsgint(msg, 4);
	for (int i = 0; i < SM_ROWS_PARAMS; i++)
		params[i] = pq_getmsgfloat8(msg);
	nseen = pq_getmsgint64(msg);
	nrows = pq_getmsgint64(msg);
	if (nrows < 0 || (double) nrows * ncols * 8 != (double) (msg->len - msg->cursor) ||
		level < 0 || level > SM_ROWS_MAX_LEVEL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type %s: inconsistent size", typname)));
	buf = SmRowBufferNew(kind, ncols, Max(nrows, 1), CurrentMemoryContext);
	buf->flags = (uint16) flags;
	memcpy(buf->params, params, sizeof(params));
	for (int64 i = 0; i < nrows * ncols; i++)
		buf->values[i] = pq_getmsgfloat8(msg);
	buf->nrows = nrows;
	buf->nseen = nseen;
	buf->level = level;
	SmRowBufferValidate(buf);
	PG_RETURN_POINTER(buf);
}

PG_FUNCTION_INFO_V1(row_buffer_send);
/* Binary output of row buffers. */
Datum
row_buffer_send(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf = DatumGetSmRowBuffer(PG_GETARG_DATUM(0));
	StringInfoData out;

	if (buf->kind >= sm_num_row_kinds)
		elog(ERROR, "supplymkt row buffer of unknown kind %d", buf->kind);
	SmRowBufferCheck(buf, buf->kind);
	pq_begintypsend(&out);
	pq_sendbyte(&out, buf->version);
	pq_sendint16(&out, buf->flags);
	pq_sendint32(&out, buf->ncols);
	pq_sendint32(&out, buf->level);
	for (int i = 0; i < SM_ROWS_PARAMS; i++)
		pq_sendfloat8(&out, buf->params[i]);
	pq_sendint64(&out, buf->nseen);
	pq_sendint64(&out, buf->nrows);
	for (int64 i = 0; i < buf->nrows * buf->ncols; i++)
		pq_sendfloat8(&out, buf->values[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&out));
}

/* ---------------------------------------------------------------------------------------------------------
 * Feature arrays
 * --------------------------------------------------------------------------------------------------------- */

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

/* ---------------------------------------------------------------------------------------------------------
 * Settings
 * --------------------------------------------------------------------------------------------------------- */

int			sm_kmeans_max_memory_kb = 256 * 1024;
int			sm_kmeans_threads = 2;

void		_PG_init(void);

/* Defines the extension's settings when the library is loaded. */
void
_PG_init(void)
{
	DefineCustomIntVariable("supplymkt.kmeans_max_memory",
							"Memory for the points kmeans_fit and kmeans_elbow collect in one aggregate state.",
							"Past it, the state keeps a deterministic sample of the points (recorded in the model); "
							"refine the sampled model over all rows with kmeans_refine.",
							&sm_kmeans_max_memory_kb, 256 * 1024, 64, 400 * 1024,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("supplymkt.kmeans_threads",
							"Threads a k-means fit may use for its n_init runs.",
							"The runs are independent; the result does not depend on the number of threads. "
							"1 keeps every fit in the backend's own thread.",
							&sm_kmeans_threads, 2, 1, 64,
							PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("supplymkt");
}
