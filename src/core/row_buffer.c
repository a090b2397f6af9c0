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

static inline bool SmRowKept(const struct SmRowBuffer *buf, const float8 *row, int level);

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
	buf->version = SM_ROWS_VERSION;
	buf->kind = kind->id;
	buf->ncols = ncols;
	buf->int_cols = Max(kind->int_cols, 0);
	buf->capacity = capacity;
	return buf;
}

/* The header of a version-1 row buffer (supplymkt 0.1.0): no int_cols, every slot a float8. */
typedef struct SmRowBufferV1
{
	int32		vl_len_;
	uint8		version;
	uint8		kind;
	uint16		flags;
	int32		ncols;
	int32		level;
	int64		nrows;
	int64		nseen;
	int64		capacity;
	float8		params[SM_ROWS_PARAMS];
	float8		values[FLEXIBLE_ARRAY_MEMBER];
} SmRowBufferV1;

static void SmRowBufferValidate(const SmRowBuffer *buf, const SmRowKind *k);

/* A float8 of a version-1 value that held an id or a time, as the exact int64 it stood for. */
static int64
SmRowV1Int(float8 v, const char *typname)
{
	if (!(v == floor(v) && fabs(v) < 9.2e18))
		SmErrorInvalidValue(typname, "a version-1 id or time is not a whole number in the bigint range");
	return (int64) v;
}

/*
 * Converts, in place, the slots of a buffer read from a version-1 value (every slot a float8, -1 for "no
 * value") to this version: int columns and int parameters become int64, -1 in an optional column becomes
 * no value.  The header (int_cols, version) is set here.
 */
static void
SmRowBufferConvertV1(SmRowBuffer *buf, const SmRowKind *k)
{
	int			int_cols = k->int_cols;

	if (int_cols == SM_ROWS_INT_COLS_PER_BUFFER)
		int_cols = buf->ncols == 0 ? 0 : k->v1_int_cols(buf->params, buf->ncols);
	if (int_cols < 0 || int_cols > buf->ncols)
		SmErrorInvalidValue(k->typname, "a version-1 value whose parameters do not fit its width");
	buf->int_cols = int_cols;
	buf->version = SM_ROWS_VERSION;
	for (int i = 0; i < SM_ROWS_PARAMS; i++)
		if (k->int_params & (1u << i))
			SmSlotSetInt(&buf->params[i], SmRowV1Int(buf->params[i], k->typname));
	for (int64 r = 0; r < buf->nrows; r++)
	{
		float8	   *row = &buf->values[r * buf->ncols];

		if ((r & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int c = 0; c < int_cols; c++)
			SmSlotSetInt(&row[c], SmRowV1Int(row[c], k->typname));
		for (int c = int_cols; c < buf->ncols && c < 32; c++)
			if ((k->optional_cols & (1u << c)) && row[c] == -1)
				row[c] = SmSlotMissing();
	}
}

/* Reads a version-1 value stored by supplymkt 0.1.0 (in a table, say) into a new buffer of this version. */
static SmRowBuffer *
SmRowBufferFromV1(const SmRowBufferV1 *old, const SmRowKind *kind, MemoryContext cxt)
{
	SmRowBuffer *buf;

	if (old->kind != kind->id || (kind->ncols > 0 ? old->ncols != kind->ncols : old->ncols < 0) ||
		old->nrows < 0 || old->nrows > old->capacity ||
		VARSIZE_ANY(old) != offsetof(SmRowBufferV1, values) + (Size) old->capacity * old->ncols * sizeof(float8))
		elog(ERROR, "supplymkt version-1 row buffer of unexpected kind or size");
	buf = SmRowBufferNew(kind, old->ncols, Max(old->nrows, 1), cxt);
	buf->flags = old->flags;
	buf->level = old->level;
	buf->nrows = old->nrows;
	buf->nseen = old->nseen;
	memcpy(buf->params, old->params, sizeof(buf->params));
	memcpy(buf->values, old->values, (Size) old->nrows * old->ncols * sizeof(float8));
	SmRowBufferConvertV1(buf, kind);
	SmRowBufferValidate(buf, kind);
	return buf;
}

/*
 * Internal consistency check of a row buffer argument; a version-1 value comes back converted (a new buffer
 * in cxt), so every reader sees this version.
 */
static SmRowBuffer *
SmRowBufferCheck(SmRowBuffer *buf, const SmRowKind *kind, MemoryContext cxt)
{
	if (buf->version == 1)
		return SmRowBufferFromV1((const SmRowBufferV1 *) buf, kind, cxt);
	if (buf->version != SM_ROWS_VERSION || buf->kind != kind->id ||
		(kind->ncols > 0 ? buf->ncols != kind->ncols : buf->ncols < 0) ||
		buf->int_cols < 0 || buf->int_cols > Max(buf->ncols, 0) ||
		(kind->int_cols >= 0 && buf->int_cols != kind->int_cols && buf->ncols > 0) ||
		buf->nrows < 0 || buf->nrows > buf->capacity || buf->nseen < buf->nrows ||
		buf->level < 0 || buf->level > SM_ROWS_MAX_LEVEL ||
		VARSIZE_ANY(buf) != offsetof(SmRowBuffer, values) + (Size) buf->capacity * buf->ncols * sizeof(float8))
		elog(ERROR, "supplymkt row buffer of unexpected kind, version or size");
	return buf;
}

/* The row buffer a transition or combine function may update (see SmStateArgForUpdate). */
SmRowBuffer *
SmRowBufferForUpdate(FunctionCallInfo fcinfo, const SmRowKind *kind)
{
	MemoryContext cxt;
	SmRowBuffer *buf = (SmRowBuffer *) SmStateArgForUpdate(fcinfo, &cxt);

	if (buf == NULL)
		return SmRowBufferNew(kind, kind->ncols, kind->ncols > 0 ? kind->initial_rows : 0, cxt);
	return SmRowBufferCheck(buf, kind, cxt);
}

/* A read-only row buffer argument (a version-1 value is converted into the current context). */
SmRowBuffer *
SmRowBufferArg(FunctionCallInfo fcinfo, int argno, const SmRowKind *kind)
{
	return SmRowBufferCheck(DatumGetSmRowBuffer(PG_GETARG_DATUM(argno)), kind, CurrentMemoryContext);
}

/*
 * Fixes the row width and the int columns of a variable-width buffer on its first row (what = the argument,
 * for the message); later rows must have the same layout.
 */
void
SmRowBufferSetCols(SmRowBuffer *buf, const SmRowKind *kind, int ncols, int int_cols, const char *what)
{
	Assert(int_cols >= 0 && int_cols <= ncols);
	if (buf->ncols == ncols && buf->int_cols == int_cols)
		return;
	if (buf->ncols == 0 && buf->nrows == 0 && kind->ncols == 0)
	{
		buf->capacity = 0;		/* the (empty) values area held rows of width 0 */
		buf->ncols = ncols;
		buf->int_cols = int_cols;
		return;
	}
	if (buf->ncols == ncols)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine %s rows of different layouts", kind->typname),
				 errhint("Aggregate rows of one kind (ids and features) per group.")));
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
SmRowHash(const float8 *row, int ncols, int int_cols)
{
	uint64		h = UINT64CONST(0x5eed5eed5eed5eed);

	for (int i = 0; i < ncols; i++)
	{
		float8		v = (i >= int_cols && row[i] == 0) ? 0.0 : row[i];	/* -0 and 0 are the same point */

		h = hash_combine64(h, hash_bytes_extended((const unsigned char *) &v, sizeof(v), 0));
	}
	return h;
}

/* Whether a row of a buffer passes a sampling level. */
static inline bool
SmRowKept(const SmRowBuffer *buf, const float8 *row, int level)
{
	return level == 0 || (SmRowHash(row, buf->ncols, buf->int_cols) >> (64 - level)) == 0;
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
		if (SmRowKept(buf, row, buf->level))
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
	if (!SmRowKept(buf, row, buf->level))
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
	SmRowBufferSetCols(buf, kind, other->ncols, other->int_cols, "features");
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
			if (SmRowKept(buf, row, buf->level))
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
	if (buf->int_cols < 0 || buf->int_cols > buf->ncols || buf->reserved != 0 ||
		(k->int_cols >= 0 && buf->ncols > 0 && buf->int_cols != k->int_cols))
		SmErrorInvalidValue(k->typname, "invalid int_cols");
	for (int i = 0; i < SM_ROWS_PARAMS; i++)
	{
		bool		used = k->param_names[i] && (buf->flags & SM_ROWS_PARAMS_SET);

		if ((!used && SmSlotInt(&buf->params[i]) != 0) ||
			(!(k->int_params & (1u << i)) && !isfinite(buf->params[i])))
			SmErrorInvalidValue(k->typname, "invalid parameters");
	}
	if (buf->level < 0 || buf->level > SM_ROWS_MAX_LEVEL || buf->nseen < buf->nrows ||
		(buf->level == 0 && buf->nseen != buf->nrows))
		SmErrorInvalidValue(k->typname, "invalid sampling level or rows seen");
	if (buf->ncols == 0 && buf->nrows > 0)
		SmErrorInvalidValue(k->typname, "rows without columns");
	for (int64 r = 0; r < buf->nrows; r++)
	{
		const float8 *row = &buf->values[r * buf->ncols];

		if ((r & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int c = buf->int_cols; c < buf->ncols; c++)
			if (!isfinite(row[c]) &&
				!(c < 32 && (k->optional_cols & (1u << c)) && SmSlotIsMissing(row[c])))
				SmErrorInvalidValue(k->typname, "values must be finite");
		if (buf->level > 0 && !SmRowKept(buf, row, buf->level))
			SmErrorInvalidValue(k->typname, "a row does not belong to the sample of its level");
	}
}

/* Whether slot c of a kind's rows is an int64 (cols = the buffer's int_cols). */
static inline bool
SmRowColIsInt(int c, int int_cols)
{
	return c < int_cols;
}

/* Whether float8 column c of a kind may hold no value. */
static inline bool
SmRowColIsOptional(const SmRowKind *k, int c)
{
	return c < 32 && (k->optional_cols & (1u << c)) != 0;
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
 * Text input of row buffers: {"state":..., "version":2, "params":[...] (the kind's parameters; missing ones are
 * 0), "rows":n, "values":[row-major]}, plus "cols" (variable-width kinds), "int_cols" (kinds whose rows come
 * in more than one layout) and "level" / "seen" (sampled buffers).  Int columns and parameters are integers;
 * an optional column without a value is null.  Version 1 (every value a number) is read by conversion.
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
				int_cols = Max(k->int_cols, 0),
				level = 0,
				nseen = 0;
	bool		have_cols,
				have_seen;
	int			ncols,
				version;
	SmRowBuffer *buf;

	version = SmJsonCheckHeaderVersions(obj, "state", SM_ROWS_OLDEST_VERSION, SM_ROWS_VERSION);
	nrows = SmJsonGetInt64(obj, "rows");
	have_cols = SmJsonOptInt64(obj, "cols", &cols);
	if (version > 1 && k->int_cols == SM_ROWS_INT_COLS_PER_BUFFER)
		int_cols = SmJsonGetInt64(obj, "int_cols");
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
	if (int_cols < 0 || int_cols > ncols)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"int_cols\" must be between 0 and \"cols\"", typname)));
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
	buf->int_cols = (int32) int_cols;
	if (pf->nvalues > 0)
	{
		buf->flags |= SM_ROWS_PARAMS_SET;
		for (int i = 0; i < pf->nvalues; i++)
			if (version > 1 && (k->int_params & (1u << i)))
				SmSlotSetInt(&buf->params[i], SmParseInt64(pf->values[i], typname));
			else
				buf->params[i] = SmParseFloat8(pf->values[i], typname);
	}
	for (int64 i = 0; i < vf->nvalues; i++)
	{
		int			c = (int) (i % ncols);
		const char *v = vf->values[i];

		if (version > 1 && SmRowColIsInt(c, buf->int_cols))
			SmSlotSetInt(&buf->values[i], SmParseInt64(v, typname));
		else if (version > 1 && v == NULL && SmRowColIsOptional(k, c))
			buf->values[i] = SmSlotMissing();
		else
			buf->values[i] = SmParseFloat8(v, typname);
	}
	buf->nrows = nrows;
	buf->level = (int32) level;
	buf->nseen = have_seen ? nseen : nrows;
	if (version == 1)
		SmRowBufferConvertV1(buf, k);
	SmRowBufferValidate(buf, k);
	PG_RETURN_POINTER(buf);
}

/* Appends slot c of a row (or parameter) in its JSON form: an integer, a float, or null for no value. */
static void
SmAppendSlot(StringInfo out, const float8 *slot, bool is_int)
{
	if (is_int)
		appendStringInfo(out, INT64_FORMAT, SmSlotInt(slot));
	else if (SmSlotIsMissing(*slot))
		appendStringInfoString(out, "null");
	else
		SmAppendFloat8(out, *slot);
}

/* Text output of row buffers (exact numbers). */
Datum
SmRowBufferOut(FunctionCallInfo fcinfo, const SmRowKind *k)
{
	SmRowBuffer *buf = SmRowBufferArg(fcinfo, 0, k);
	StringInfoData out;

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
			SmAppendSlot(&out, &buf->params[i], (k->int_params & (1u << i)) != 0);
		}
	appendStringInfoChar(&out, ']');
	if (k->ncols == 0)
	{
		SmAppendJsonKey(&out, "cols", false);
		appendStringInfo(&out, "%d", buf->ncols);
	}
	if (k->int_cols == SM_ROWS_INT_COLS_PER_BUFFER)
	{
		SmAppendJsonKey(&out, "int_cols", false);
		appendStringInfo(&out, "%d", buf->int_cols);
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
		SmAppendSlot(&out, &buf->values[i], SmRowColIsInt((int) (i % buf->ncols), buf->int_cols));
	}
	appendStringInfoString(&out, "]}");
	PG_RETURN_CSTRING(out.data);
}

/*
 * Binary input of row buffers: version, flags, cols, level, int_cols (version 2 on), params, rows seen, rows,
 * values; int64 slots as int8, the others as float8.  Version 1 is read by conversion.
 */
Datum
SmRowBufferRecv(FunctionCallInfo fcinfo, const SmRowKind *k)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	const char *typname = k->typname;
	SmRowBuffer *buf;
	int			version,
				flags,
				ncols,
				level,
				int_cols = Max(k->int_cols, 0);
	float8		params[SM_ROWS_PARAMS];
	int64		nrows,
				nseen;

	SmRecvCheckRemaining(msg, 3 + 4 + 4 + 8 * SM_ROWS_PARAMS + 16, typname);
	version = pq_getmsgbyte(msg);
	if (version < SM_ROWS_OLDEST_VERSION || version > SM_ROWS_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s version %d", typname, version),
				 errhint("This build of supplymkt reads versions %d to %d.", SM_ROWS_OLDEST_VERSION, SM_ROWS_VERSION)));
	flags = pq_getmsgint(msg, 2);
	ncols = SmRowBufferInputCols(k, (int32) pq_getmsgint(msg, 4), true, ERRCODE_INVALID_BINARY_REPRESENTATION);
	level = (int32) pq_getmsgint(msg, 4);
	if (version > 1)
	{
		SmRecvCheckRemaining(msg, 4 + 8 * SM_ROWS_PARAMS + 16, typname);
		int_cols = (int32) pq_getmsgint(msg, 4);
	}
	for (int i = 0; i < SM_ROWS_PARAMS; i++)
		SmSlotSetInt(&params[i], pq_getmsgint64(msg));	/* the 8 bytes of the slot, as sent */
	nseen = pq_getmsgint64(msg);
	nrows = pq_getmsgint64(msg);
	if (nrows < 0 || (double) nrows * ncols * 8 != (double) (msg->len - msg->cursor) ||
		level < 0 || level > SM_ROWS_MAX_LEVEL || int_cols < 0 || int_cols > ncols)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type %s: inconsistent size", typname)));
	buf = SmRowBufferNew(k, ncols, Max(nrows, 1), CurrentMemoryContext);
	buf->flags = (uint16) flags;
	buf->int_cols = int_cols;
	memcpy(buf->params, params, sizeof(params));
	for (int64 i = 0; i < nrows * ncols; i++)
		SmSlotSetInt(&buf->values[i], pq_getmsgint64(msg));
	buf->nrows = nrows;
	buf->nseen = nseen;
	buf->level = level;
	if (version == 1)
		SmRowBufferConvertV1(buf, k);
	SmRowBufferValidate(buf, k);
	PG_RETURN_POINTER(buf);
}

/* Binary output of row buffers (each 8-byte slot in network byte order, the same for int64 and float8). */
Datum
SmRowBufferSend(FunctionCallInfo fcinfo, const SmRowKind *k)
{
	SmRowBuffer *buf = SmRowBufferArg(fcinfo, 0, k);
	StringInfoData out;

	pq_begintypsend(&out);
	pq_sendbyte(&out, buf->version);
	pq_sendint16(&out, buf->flags);
	pq_sendint32(&out, buf->ncols);
	pq_sendint32(&out, buf->level);
	pq_sendint32(&out, buf->int_cols);
	for (int i = 0; i < SM_ROWS_PARAMS; i++)
		pq_sendint64(&out, SmSlotInt(&buf->params[i]));
	pq_sendint64(&out, buf->nseen);
	pq_sendint64(&out, buf->nrows);
	for (int64 i = 0; i < buf->nrows * buf->ncols; i++)
		pq_sendint64(&out, SmSlotInt(&buf->values[i]));
	PG_RETURN_BYTEA_P(pq_endtypsend(&out));
}
