/*
 * core/row_buffer.c — row-buffer states: growing tables of rows for aggregates that must see all their rows
 * before the final function can work, with order-independent sampling and validated I/O (see row_buffer.h).
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "core/binary.h"
#include "core/json.h"
#include "core/row_buffer.h"
#include "core/validate.h"

static inline bool SmRowKept(const float8 *row, int ncols, int level);

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
SmRowBufferNew(const SmRowKind *kind, int ncols, int64 capacity, MemoryContext cxt)
{
	Size		size = SmRowBufferSize(ncols, capacity, kind->typname);
	SmRowBuffer *buf = MemoryContextAllocExtended(cxt, size, MCXT_ALLOC_HUGE);

	memset(buf, 0, offsetof(SmRowBuffer, values));
	SET_VARSIZE(buf, size);
	buf->version = SM_STATE_VERSION;
	buf->kind = kind->id;
	buf->ncols = ncols;
	buf->capacity = capacity;
	return buf;
}

/* Internal consistency check of a row buffer argument. */
static void
SmRowBufferCheck(const SmRowBuffer *buf, const SmRowKind *kind)
{
	if (buf->version != SM_STATE_VERSION || buf->kind != kind->id ||
		(kind->ncols > 0 ? buf->ncols != kind->ncols : buf->ncols < 0) ||
		buf->nrows < 0 || buf->nrows > buf->capacity || buf->nseen < buf->nrows ||
		buf->level < 0 || buf->level > SM_ROWS_MAX_LEVEL ||
		VARSIZE_ANY(buf) != offsetof(SmRowBuffer, values) + (Size) buf->capacity * buf->ncols * sizeof(float8))
		elog(ERROR, "supplymkt row buffer of unexpected kind, version or size");
}

/* The row buffer a transition or combine function may update (see SmStateArgForUpdate). */
SmRowBuffer *
SmRowBufferForUpdate(FunctionCallInfo fcinfo, const SmRowKind *kind)
{
	MemoryContext cxt;
	SmRowBuffer *buf = (SmRowBuffer *) SmStateArgForUpdate(fcinfo, &cxt);

	if (buf == NULL)
		return SmRowBufferNew(kind, kind->ncols, kind->ncols > 0 ? kind->initial_rows : 0, cxt);
	SmRowBufferCheck(buf, kind);
	return buf;
}

/* A read-only row buffer argument. */
SmRowBuffer *
SmRowBufferArg(FunctionCallInfo fcinfo, int argno, const SmRowKind *kind)
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
SmRowBufferSetCols(SmRowBuffer *buf, const SmRowKind *kind, int ncols, const char *what)
{
	if (buf->ncols == ncols)
		return;
	if (buf->ncols == 0 && buf->nrows == 0 && kind->ncols == 0)
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
SmRowBufferReserve(SmRowBuffer *buf, const SmRowKind *kind, int64 extra, int64 cap_limit, MemoryContext cxt)
{
	int64		need = buf->nrows + extra;
	int64		cap = Max(buf->capacity, 1);
	SmRowBuffer *bigger;

	if (need <= buf->capacity)
		return buf;
	while (cap < need)
		cap = cap * 2;
	cap = Max(need, Min(cap, cap_limit));
	bigger = SmRowBufferNew(kind, buf->ncols, cap, cxt);
	memcpy(bigger, buf, offsetof(SmRowBuffer, values));
	SET_VARSIZE(bigger, SmRowBufferSize(buf->ncols, cap, kind->typname));
	bigger->capacity = cap;
	memcpy(bigger->values, buf->values, (Size) buf->nrows * buf->ncols * sizeof(float8));
	return bigger;
}

/* Appends one row of ncols values; returns the (possibly new) buffer to return as the transition value. */
SmRowBuffer *
SmRowBufferAppend(SmRowBuffer *buf, const SmRowKind *kind, const float8 *row, MemoryContext cxt)
{
	buf = SmRowBufferReserve(buf, kind, 1, PG_INT64_MAX, cxt);
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
SmRowBufferMaxRows(const SmRowKind *kind, int ncols)
{
	const int  *kb = kind->max_memory_kb;

	if (kb == NULL)
		return PG_INT64_MAX;
	return Max((int64) *kb * 1024 / ((int64) Max(ncols, 1) * (int64) sizeof(float8)), 1);
}

/* Appends one row if it passes the sampling level, keeping at most max_rows rows. */
SmRowBuffer *
SmRowBufferAppendSampled(SmRowBuffer *buf, const SmRowKind *kind, const float8 *row, int64 max_rows, MemoryContext cxt)
{
	SmIncrement(&buf->nseen);
	if (!SmRowKept(row, buf->ncols, buf->level))
		return buf;
	buf = SmRowBufferReserve(buf, kind, 1, max_rows + 1, cxt);
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
SmRowBufferAppendAll(SmRowBuffer *buf, const SmRowKind *kind, const SmRowBuffer *other, MemoryContext cxt)
{
	int64		nseen = buf->nseen;

	if (other->flags & SM_ROWS_PARAMS_SET)
		SmRowBufferSetParams(buf, kind, other->params);
	if (other->nrows == 0 && other->ncols == 0)
	{
		buf->level = Max(buf->level, other->level);
		SmRowBufferFilter(buf);
		SmAddInt64Checked(&buf->nseen, other->nseen);
		return buf;
	}
	SmRowBufferSetCols(buf, kind, other->ncols, "features");
	if (other->level > buf->level)
	{
		buf->level = other->level;
		SmRowBufferFilter(buf);
	}
	buf = SmRowBufferReserve(buf, kind, other->nrows, PG_INT64_MAX, cxt);
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

/* Combine function of a row-buffer state: appends the second state's rows, then applies the kind's sampling bound. */
Datum
SmRowBufferCombine(FunctionCallInfo fcinfo, const SmRowKind *kind)
{
	SmRowBuffer *buf,
			   *other;

	if (PG_ARGISNULL(1))
		SM_SKIP_ROW();
	other = SmRowBufferArg(fcinfo, 1, kind);
	buf = SmRowBufferForUpdate(fcinfo, kind);
	buf = SmRowBufferAppendAll(buf, kind, other, CurrentMemoryContext);
	SmRowBufferLimit(buf, SmRowBufferMaxRows(kind, buf->ncols));
	PG_RETURN_POINTER(buf);
}

/* Fixes the aggregate's constant arguments on the first row; later rows (and partial states) must match. */
void
SmRowBufferSetParams(SmRowBuffer *buf, const SmRowKind *k, const float8 *params)
{

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

/* Checks a row buffer read from outside: finite values and parameters, unused parameters zero, the sample. */
static void
SmRowBufferValidate(const SmRowBuffer *buf, const SmRowKind *k)
{

	if (buf->flags & ~SM_ROWS_PARAMS_SET)
		SmErrorInvalidValue(k->typname, "unknown flags");
	for (int i = 0; i < SM_ROWS_PARAMS; i++)
		if (!isfinite(buf->params[i]) || ((!k->param_names[i] || !(buf->flags & SM_ROWS_PARAMS_SET)) &&
										   buf->params[i] != 0))
			SmErrorInvalidValue(k->typname, "invalid parameters");
	if (buf->level < 0 || buf->level > SM_ROWS_MAX_LEVEL || buf->nseen < buf->nrows ||
		(buf->level == 0 && buf->nseen != buf->nrows))
		SmErrorInvalidValue(k->typname, "invalid sampling level or rows seen");
	if (buf->ncols == 0 && buf->nrows > 0)
		SmErrorInvalidValue(k->typname, "rows without columns");
	for (int64 i = 0; i < buf->nrows * buf->ncols; i++)
		if (!isfinite(buf->values[i]))
			SmErrorInvalidValue(k->typname, "values must be finite");
	for (int64 i = 0; buf->level > 0 && i < buf->nrows; i++)
		if (!SmRowKept(&buf->values[i * buf->ncols], buf->ncols, buf->level))
			SmErrorInvalidValue(k->typname, "a row does not belong to the sample of its level");
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

/*
 * Text input of row buffers: {"state":..., "version":1, "params":[...] (the kind's parameters; missing ones are
 * 0), "rows":n, "values":[row-major]}, plus
 * "cols" (variable-width kinds) and "level" / "seen" (sampled buffers).
 */
Datum
SmRowBufferIn(FunctionCallInfo fcinfo, const SmRowKind *k)
{
	char	   *text = PG_GETARG_CSTRING(0);
	const char *typname = k->typname;
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

	SmJsonCheckHeader(obj, "state", SM_STATE_VERSION);
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
	buf = SmRowBufferNew(k, ncols, Max(nrows, 1), CurrentMemoryContext);
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
	SmRowBufferValidate(buf, k);
	PG_RETURN_POINTER(buf);
}

/* Text output of row buffers (exact floats). */
Datum
SmRowBufferOut(FunctionCallInfo fcinfo, const SmRowKind *k)
{
	SmRowBuffer *buf = DatumGetSmRowBuffer(PG_GETARG_DATUM(0));
	StringInfoData out;

	SmRowBufferCheck(buf, k);
	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	SmAppendJsonKey(&out, "state", true);
	escape_json(&out, k->typname);
	SmAppendJsonKey(&out, "version", false);
	appendStringInfo(&out, "%d", buf->version);
	SmAppendJsonKey(&out, "params", false);
	appendStringInfoChar(&out, '[');
	if (buf->flags & SM_ROWS_PARAMS_SET)
		for (int i = 0; i < SmRowKindParams(k); i++)
		{
			if (i)
				appendStringInfoChar(&out, ',');
			SmAppendFloat8(&out, buf->params[i]);
		}
	appendStringInfoChar(&out, ']');
	if (k->ncols == 0)
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

/* Binary input of row buffers: version, flags, cols, level, params, rows seen, rows, values. */
Datum
SmRowBufferRecv(FunctionCallInfo fcinfo, const SmRowKind *k)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	const char *typname = k->typname;
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
				 errmsg("unsupported %s version %d", typname, version),
				 errhint("This build of supplymkt reads version %d.", SM_STATE_VERSION)));
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
	buf = SmRowBufferNew(k, ncols, Max(nrows, 1), CurrentMemoryContext);
	buf->flags = (uint16) flags;
	memcpy(buf->params, params, sizeof(params));
	for (int64 i = 0; i < nrows * ncols; i++)
		buf->values[i] = pq_getmsgfloat8(msg);
	buf->nrows = nrows;
	buf->nseen = nseen;
	buf->level = level;
	SmRowBufferValidate(buf, k);
	PG_RETURN_POINTER(buf);
}

/* Binary output of row buffers. */
Datum
SmRowBufferSend(FunctionCallInfo fcinfo, const SmRowKind *k)
{
	SmRowBuffer *buf = DatumGetSmRowBuffer(PG_GETARG_DATUM(0));
	StringInfoData out;

	SmRowBufferCheck(buf, k);
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

