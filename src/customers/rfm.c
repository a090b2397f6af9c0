/*
 * customers/rfm.c — RFM analysis: the per-customer summary (rfm_summary), quantile breakpoints as a typed value
 * (rfm_breaks: the aggregate and the type's I/O) and the scores and named segment they give (rfm_score).
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "customers/customers.h"

/* The state types of RFM (stored ids are stable across versions). */
/* order time (int64 timestamptz), amount; parameter as_of (int64); one group per customer, so it starts small */
const SmRowKind sm_rfm_summary_kind = {
	.typname = "rfm_summary_state", .id = 0, .ncols = 2, .int_cols = 1, .int_params = 1u << 0,
	.param_names = {"as_of"}, .initial_rows = 4,
};
/* recency, frequency, monetary */
const SmRowKind sm_rfm_breaks_state_kind = {
	.typname = "rfm_breaks_state", .id = 1, .ncols = 3, .param_names = {"bins"}, .initial_rows = 64,
};

SM_ROW_BUFFER_IO(rfm_summary_state, sm_rfm_summary_kind)
SM_ROW_BUFFER_COMBINE(rfm_summary_state, sm_rfm_summary_kind)
SM_ROW_BUFFER_IO(rfm_breaks_state, sm_rfm_breaks_state_kind)
SM_ROW_BUFFER_COMBINE(rfm_breaks_state, sm_rfm_breaks_state_kind)

#define RFM_MIN_BINS 2
#define RFM_MAX_BINS 100
#define RFM_DIMS 3
#define RFM_BREAKS_VERSION 1

/* ---------------------------------------------------------------------------------------------------------
 * Stored times
 * --------------------------------------------------------------------------------------------------------- */

/* Reads back a timestamp stored in an int64 slot of a state: it must lie in the finite timestamp range. */
static TimestampTz
SmStoredTimestamp(const float8 *slot, const char *typname)
{
	int64		v = SmSlotInt(slot);

	if (!IS_VALID_TIMESTAMP(v))
		SmErrorInvalidValue(typname, "a time is not a valid timestamp");
	return v;
}

/* The UTC day of a timestamp, as days since 2000-01-01 (floor division). */
static inline int64
SmUtcDay(TimestampTz t)
{
	int64		d = t / USECS_PER_DAY;

	if (t % USECS_PER_DAY < 0)
		d--;
	return d;
}

/* ---------------------------------------------------------------------------------------------------------
 * rfm_summary(order_time, amount, as_of): one customer's orders -> recency, frequency and monetary value in
 * the forms RFM scoring and the BG/NBD, Pareto/NBD and Gamma-Gamma models need.
 * State: rfm_summary_state rows (order time, amount), parameter as_of.
 * --------------------------------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(rfm_summary_transfn);
/* rfm_summary transition: keeps orders on or before as_of; NULL order_time or amount skips the row. */
Datum
rfm_summary_transfn(PG_FUNCTION_ARGS)
{
	TimestampTz order_time,
				as_of;
	float8		amount,
				row[2],
				params[SM_ROWS_PARAMS] = {0};
	SmRowBuffer *buf;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SM_SKIP_ROW();
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rfm_summary: as_of must not be NULL")));
	order_time = PG_GETARG_TIMESTAMPTZ(1);
	amount = PG_GETARG_FLOAT8(2);
	as_of = PG_GETARG_TIMESTAMPTZ(3);
	SmCheckFiniteTimestamp(order_time, "order_time");
	SmCheckFiniteTimestamp(as_of, "as_of");
	SmCheckNonNegative(amount, "amount");
	buf = SmRowBufferForUpdate(fcinfo, &sm_rfm_summary_kind);
	SmSlotSetInt(&params[0], as_of);
	SmRowBufferSetParams(buf, &sm_rfm_summary_kind, params);
	if (order_time > as_of)
		PG_RETURN_POINTER(buf);	/* not yet happened at as_of: excluded */
	SmSlotSetInt(&row[0], order_time);
	row[1] = amount + 0.0;		/* -0 becomes +0, so sorting and output do not depend on row order */
	buf = SmRowBufferAppend(buf, &sm_rfm_summary_kind, row, CurrentMemoryContext);
	PG_RETURN_POINTER(buf);
}

/* One order of a customer, for sorting by time. */
typedef struct SmOrder
{
	TimestampTz t;
	float8		amount;
} SmOrder;

/* Comparator: by time, then amount (a total order, so sums do not depend on the input order). */
static int
SmOrderCmp(const void *a, const void *b)
{
	const SmOrder *x = (const SmOrder *) a;
	const SmOrder *y = (const SmOrder *) b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->amount != y->amount)
		return x->amount < y->amount ? -1 : 1;
	return 0;
}

#define RFM_SUMMARY_NATTS 10

PG_FUNCTION_INFO_V1(rfm_summary_final);
/*
 * The summary of the orders on or before as_of; NULL without any.  Orders are sorted by time so every
 * float sum runs in the same order whatever the scan or combine order was.
 */
Datum
rfm_summary_final(PG_FUNCTION_ARGS)
{
	const char *typname = "rfm_summary_state";
	SmRowBuffer *buf;
	TimestampTz as_of;
	SmOrder    *orders;
	int64		n = 0,
				days = 0,
				first_day,
				last_day = 0,
				prev_day = 0;
	float8		total = 0,
				repeat_total = 0;
	TupleDesc	tupdesc;
	Datum		values[RFM_SUMMARY_NATTS];
	bool		nulls[RFM_SUMMARY_NATTS] = {false};

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	buf = SmRowBufferArg(fcinfo, 0, &sm_rfm_summary_kind);
	if (buf->nrows == 0)
		PG_RETURN_NULL();
	if (!(buf->flags & SM_ROWS_PARAMS_SET))
		SmErrorInvalidValue(typname, "orders without as_of");
	as_of = SmStoredTimestamp(&buf->params[0], typname);

	orders = palloc_extended(sizeof(SmOrder) * (Size) buf->nrows, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < buf->nrows; i++)
	{
		TimestampTz t = SmStoredTimestamp(&buf->values[2 * i], typname);
		float8		amount = buf->values[2 * i + 1];

		CHECK_FOR_INTERRUPTS();
		if (!(amount >= 0 && isfinite(amount)))
			SmErrorInvalidValue(typname, "an amount is negative or not finite");
		if (t > as_of)
			continue;
		orders[n].t = t;
		orders[n].amount = amount + 0.0;
		n++;
	}
	if (n == 0)
		PG_RETURN_NULL();
	qsort(orders, n, sizeof(SmOrder), SmOrderCmp);

	first_day = SmUtcDay(orders[0].t);
	for (int64 i = 0; i < n; i++)
	{
		int64		day = SmUtcDay(orders[i].t);

		CHECK_FOR_INTERRUPTS();
		total = SmAddChecked(total, orders[i].amount);
		if (day != first_day)
			repeat_total = SmAddChecked(repeat_total, orders[i].amount);
		if (i == 0 || day != prev_day)
			days++;
		prev_day = day;
		last_day = day;
	}

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rfm_summary must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Float8GetDatum(((float8) as_of - (float8) orders[n - 1].t) / (float8) USECS_PER_DAY);
	values[1] = Int64GetDatum(n);
	values[2] = Int64GetDatum(days - 1);
	values[3] = Float8GetDatum((float8) (last_day - first_day));
	values[4] = Float8GetDatum((float8) (SmUtcDay(as_of) - first_day));
	values[5] = Float8GetDatum(total / (float8) n);
	if (days > 1)
		values[6] = Float8GetDatum(repeat_total / (float8) (days - 1));
	else
		nulls[6] = true;
	values[7] = Float8GetDatum(total);
	values[8] = TimestampTzGetDatum(orders[0].t);
	values[9] = TimestampTzGetDatum(orders[n - 1].t);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------------------------------------------------------------------------------------------------------
 * rfm_breaks: per dimension, the values at which the RFM score steps up.
 *
 * Rule (ties kept together): in each dimension customers are ordered from worse to better (recency
 * descending, frequency and monetary ascending); a customer's score is 1 + floor(bins * w / n), where w is
 * the number of customers strictly worse and n the number of customers.  Equal values have equal w, hence
 * equal scores; a value shared by many customers scores where its group starts (70% of customers with one
 * order all score F = 1 and the next value jumps to F = 4 with 5 bins).  Threshold j (1 .. bins - 1) is the
 * first value, in worse-to-better order, whose w reaches j * n / bins: the least good value scoring at least
 * j + 1; none (JSON null) when no customer reaches that score.  A value outside the data scores like the
 * nearest data value on its worse side.
 * --------------------------------------------------------------------------------------------------------- */

typedef struct RfmBreaks
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* RFM_BREAKS_VERSION */
	uint8		flags;			/* zero */
	uint16		reserved;		/* zero */
	int32		bins;			/* RFM_MIN_BINS .. RFM_MAX_BINS */
	int32		reserved2;		/* zero */
	int64		customers;		/* rows the breaks were computed from */
	int32		reached[RFM_DIMS];	/* thresholds some customer reaches, per dimension */
	int32		reserved3;		/* zero */
	float8		thresholds[FLEXIBLE_ARRAY_MEMBER];	/* RFM_DIMS x (bins - 1), dimension-major */
} RfmBreaks;

#define DatumGetRfmBreaks(x) ((RfmBreaks *) PG_DETOAST_DATUM(x))
#define RfmBreaksSize(bins) (offsetof(RfmBreaks, thresholds) + sizeof(float8) * RFM_DIMS * ((bins) - 1))
#define RfmThreshold(b, dim, j) ((b)->thresholds[(dim) * ((b)->bins - 1) + (j)])

static const char *const rfm_dim_names[RFM_DIMS] = {"recency", "frequency", "monetary"};

/* Rejects a number of bins outside RFM_MIN_BINS .. RFM_MAX_BINS. */
static void
RfmCheckBins(int64 bins)
{
	if (bins < RFM_MIN_BINS || bins > RFM_MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bins must be between %d and %d, got %lld", RFM_MIN_BINS, RFM_MAX_BINS, (long long) bins)));
}

/* A zeroed rfm_breaks value with room for its thresholds. */
static RfmBreaks *
RfmBreaksNew(int32 bins)
{
	RfmBreaks  *b = palloc0(RfmBreaksSize(bins));

	SET_VARSIZE(b, RfmBreaksSize(bins));
	b->version = RFM_BREAKS_VERSION;
	b->bins = bins;
	return b;
}

/* Checks a value read from outside: counts in range, finite thresholds, monotone in the better direction. */
static void
RfmBreaksValidate(const RfmBreaks *b)
{
	const char *typname = "rfm_breaks";

	if (b->customers < 1)
		SmErrorInvalidValue(typname, "customers must be at least 1");
	for (int d = 0; d < RFM_DIMS; d++)
	{
		if (b->reached[d] < 0 || b->reached[d] > b->bins - 1)
			SmErrorInvalidValue(typname, "more thresholds than bins - 1");
		for (int j = 0; j < b->reached[d]; j++)
		{
			float8		v = RfmThreshold(b, d, j);

			if (!isfinite(v))
				SmErrorInvalidValue(typname, "thresholds must be finite numbers");
			/* recency steps up as values fall, frequency and monetary as they rise */
			if (j > 0 && (d == 0 ? v > RfmThreshold(b, d, j - 1) : v < RfmThreshold(b, d, j - 1)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for type %s: %s thresholds must be %s", typname, rfm_dim_names[d],
								d == 0 ? "non-increasing" : "non-decreasing")));
		}
	}
}

/* Internal consistency check of an rfm_breaks argument (guaranteed by the type's input functions). */
static RfmBreaks *
RfmBreaksArg(FunctionCallInfo fcinfo, int argno)
{
	RfmBreaks  *b = DatumGetRfmBreaks(PG_GETARG_DATUM(argno));

	if (b->version != RFM_BREAKS_VERSION || b->bins < RFM_MIN_BINS || b->bins > RFM_MAX_BINS ||
		VARSIZE_ANY(b) != RfmBreaksSize(b->bins))
		elog(ERROR, "rfm_breaks value of unexpected version or size");
	for (int d = 0; d < RFM_DIMS; d++)
		if (b->reached[d] < 0 || b->reached[d] > b->bins - 1)
			elog(ERROR, "rfm_breaks value with inconsistent counts");
	return b;
}

PG_FUNCTION_INFO_V1(rfm_breaks_transfn);
/* rfm_breaks transition: collects (recency, frequency, monetary); a NULL in any of them skips the row. */
Datum
rfm_breaks_transfn(PG_FUNCTION_ARGS)
{
	int32		bins = 5;
	float8		row[RFM_DIMS],
				params[SM_ROWS_PARAMS] = {0};
	SmRowBuffer *buf;

	if (PG_NARGS() > 4)
	{
		if (PG_ARGISNULL(4))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rfm_breaks: bins must not be NULL")));
		bins = PG_GETARG_INT32(4);
	}
	RfmCheckBins(bins);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		SM_SKIP_ROW();
	for (int d = 0; d < RFM_DIMS; d++)
	{
		row[d] = PG_GETARG_FLOAT8(d + 1);
		SmCheckFinite(row[d], rfm_dim_names[d]);
		row[d] += 0.0;			/* -0 becomes +0: a threshold's text does not depend on the row order */
	}
	buf = SmRowBufferForUpdate(fcinfo, &sm_rfm_breaks_state_kind);
	params[0] = (float8) bins;
	SmRowBufferSetParams(buf, &sm_rfm_breaks_state_kind, params);
	buf = SmRowBufferAppend(buf, &sm_rfm_breaks_state_kind, row, CurrentMemoryContext);
	PG_RETURN_POINTER(buf);
}

/* Comparators for sorting one dimension: ascending and descending. */
static int
RfmCmpAsc(const void *a, const void *b)
{
	float8		x = *(const float8 *) a;
	float8		y = *(const float8 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Descending order (recency: larger is worse). */
static int
RfmCmpDesc(const void *a, const void *b)
{
	return RfmCmpAsc(b, a);
}

/*
 * Thresholds of one dimension from its values sorted worse to better: threshold j is the value at the
 * first tie-group start at or after position ceil(j * n / bins).  Returns how many exist.
 */
static int32
RfmThresholds(const float8 *sorted, int64 n, int32 bins, float8 *out)
{
	int64		k = 0;
	int32		reached = 0;

	for (int32 j = 1; j < bins; j++)
	{
		int64		start = ((int64) j * n + bins - 1) / bins;

		CHECK_FOR_INTERRUPTS();
		if (k < start)
			k = start;
		while (k < n && sorted[k] == sorted[k - 1])
			k++;
		if (k >= n)
			break;
		out[reached++] = sorted[k];
	}
	return reached;
}

PG_FUNCTION_INFO_V1(rfm_breaks_final);
/* The breakpoints of every dimension; NULL without rows. */
Datum
rfm_breaks_final(PG_FUNCTION_ARGS)
{
	const char *typname = "rfm_breaks_state";
	SmRowBuffer *buf;
	RfmBreaks  *result;
	float8	   *col;
	int64		n;
	int32		bins;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	buf = SmRowBufferArg(fcinfo, 0, &sm_rfm_breaks_state_kind);
	n = buf->nrows;
	if (n == 0)
		PG_RETURN_NULL();
	if (!(buf->flags & SM_ROWS_PARAMS_SET) || buf->params[0] != floor(buf->params[0]) ||
		buf->params[0] < RFM_MIN_BINS || buf->params[0] > RFM_MAX_BINS)
		SmErrorInvalidValue(typname, "bins missing or out of range");
	bins = (int32) buf->params[0];
	result = RfmBreaksNew(bins);
	result->customers = n;
	col = palloc_extended(sizeof(float8) * (Size) n, MCXT_ALLOC_HUGE);
	for (int d = 0; d < RFM_DIMS; d++)
	{
		for (int64 i = 0; i < n; i++)
			col[i] = buf->values[i * RFM_DIMS + d] + 0.0;
		CHECK_FOR_INTERRUPTS();
		qsort(col, n, sizeof(float8), d == 0 ? RfmCmpDesc : RfmCmpAsc);
		result->reached[d] = RfmThresholds(col, n, bins, &RfmThreshold(result, d, 0));
	}
	pfree(col);
	PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(rfm_breaks_in);
/* Text input of rfm_breaks: the JSON object written by rfm_breaks_out, validated. */
Datum
rfm_breaks_in(PG_FUNCTION_ARGS)
{
	const char *typname = "rfm_breaks";
	SmJsonObject *obj = SmJsonParse(PG_GETARG_CSTRING(0), typname);
	int64		version,
				bins;
	RfmBreaks  *b;

	version = SmJsonGetInt64(obj, "version");
	if (version != RFM_BREAKS_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("unsupported rfm_breaks version %lld", (long long) version),
				 errhint("This build of supplymkt reads version %d.", RFM_BREAKS_VERSION)));
	bins = SmJsonGetInt64(obj, "bins");
	RfmCheckBins(bins);
	b = RfmBreaksNew((int32) bins);
	b->customers = SmJsonGetInt64(obj, "customers");
	for (int d = 0; d < RFM_DIMS; d++)
	{
		SmJsonField *f = SmJsonFind(obj, rfm_dim_names[d], true);

		if (!f->is_array || f->nvalues != bins - 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: \"%s\" must be an array of bins - 1 = %d numbers or nulls",
							typname, rfm_dim_names[d], (int) bins - 1)));
		for (int j = 0; j < f->nvalues; j++)
		{
			if (f->values[j] == NULL)
				continue;
			if (j > b->reached[d])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for type %s: a %s threshold follows a null one", typname,
								rfm_dim_names[d]),
						 errhint("null marks a score no customer reaches, so only the last thresholds can be null.")));
			RfmThreshold(b, d, j) = SmParseFloat8(f->values[j], typname) + 0.0;
			b->reached[d]++;
		}
	}
	SmJsonRejectUnknown(obj);
	RfmBreaksValidate(b);
	PG_RETURN_POINTER(b);
}

PG_FUNCTION_INFO_V1(rfm_breaks_out);
/* Text output of rfm_breaks: {"version":1,"bins":b,"customers":n,"recency":[...],...}, exact floats. */
Datum
rfm_breaks_out(PG_FUNCTION_ARGS)
{
	RfmBreaks  *b = RfmBreaksArg(fcinfo, 0);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	SmAppendJsonKey(&buf, "version", true);
	appendStringInfo(&buf, "%d", b->version);
	SmAppendJsonKey(&buf, "bins", false);
	appendStringInfo(&buf, "%d", b->bins);
	SmAppendJsonKey(&buf, "customers", false);
	appendStringInfo(&buf, INT64_FORMAT, b->customers);
	for (int d = 0; d < RFM_DIMS; d++)
	{
		SmAppendJsonKey(&buf, rfm_dim_names[d], false);
		appendStringInfoChar(&buf, '[');
		for (int j = 0; j < b->bins - 1; j++)
		{
			if (j)
				appendStringInfoChar(&buf, ',');
			if (j < b->reached[d])
				SmAppendFloat8(&buf, RfmThreshold(b, d, j));
			else
				appendStringInfoString(&buf, "null");
		}
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(rfm_breaks_recv);
/* Binary input of rfm_breaks: version byte, bins, customers, then per dimension a count and its thresholds. */
Datum
rfm_breaks_recv(PG_FUNCTION_ARGS)
{
	const char *typname = "rfm_breaks";
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	int			version;
	int32		bins;
	RfmBreaks  *b;

	SmRecvCheckRemaining(msg, 1 + 4 + 8, typname);
	version = pq_getmsgbyte(msg);
	if (version != RFM_BREAKS_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported rfm_breaks version %d", version)));
	bins = pq_getmsgint(msg, 4);
	if (bins < RFM_MIN_BINS || bins > RFM_MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type %s: bins out of range", typname)));
	b = RfmBreaksNew(bins);
	b->customers = pq_getmsgint64(msg);
	for (int d = 0; d < RFM_DIMS; d++)
	{
		int32		reached;

		SmRecvCheckRemaining(msg, 4, typname);
		reached = pq_getmsgint(msg, 4);
		if (reached < 0 || reached > bins - 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid binary input for type %s: inconsistent size", typname)));
		SmRecvFloat8Array(msg, &RfmThreshold(b, d, 0), reached, typname);
		for (int j = 0; j < reached; j++)
			RfmThreshold(b, d, j) += 0.0;	/* -0 becomes +0, as in the text input */
		b->reached[d] = reached;
	}
	SmRecvCheckEnd(msg, typname);
	RfmBreaksValidate(b);
	PG_RETURN_POINTER(b);
}

PG_FUNCTION_INFO_V1(rfm_breaks_send);
/* Binary output of rfm_breaks. */
Datum
rfm_breaks_send(PG_FUNCTION_ARGS)
{
	RfmBreaks  *b = RfmBreaksArg(fcinfo, 0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, b->version);
	pq_sendint32(&buf, b->bins);
	pq_sendint64(&buf, b->customers);
	for (int d = 0; d < RFM_DIMS; d++)
	{
		pq_sendint32(&buf, b->reached[d]);
		SmSendFloat8Array(&buf, &RfmThreshold(b, d, 0), b->reached[d]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------------------------------------------------------------------------------------------------------
 * rfm_score(recency, frequency, monetary, breaks) -> (r, f, m, code, segment)
 * --------------------------------------------------------------------------------------------------------- */

/* One row of supplymkt.rfm_segments, in priority order. */
typedef struct RfmSegmentRule
{
	int32		r_min,
				r_max,
				fm_min,
				fm_max;
	text	   *segment;
} RfmSegmentRule;

/* The segment rules read once per statement (cached in fn_extra, keyed by transaction and command). */
typedef struct RfmSegmentCache
{
	LocalTransactionId lxid;
	CommandId	cid;
	int			nrules;
	RfmSegmentRule *rules;
	MemoryContext cxt;			/* holds rules; reset on reload */
} RfmSegmentCache;

/* Reads supplymkt.rfm_segments (the table of the extension's schema) in priority order, once per statement. */
static RfmSegmentCache *
RfmSegmentRules(FunctionCallInfo fcinfo)
{
	RfmSegmentCache *cache = (RfmSegmentCache *) fcinfo->flinfo->fn_extra;
	LocalTransactionId lxid = MyProc->lxid;
	CommandId	cid = GetCurrentCommandId(false);
	char	   *schema;
	char	   *query;
	int			rc;

	if (cache != NULL && cache->lxid == lxid && cache->cid == cid)
		return cache;
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RfmSegmentCache));
		cache->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "rfm_score segments", ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = cache;
	}
	MemoryContextReset(cache->cxt);
	cache->nrules = 0;
	cache->rules = NULL;
	cache->lxid = InvalidLocalTransactionId;

	schema = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
	if (schema == NULL)
		elog(ERROR, "rfm_score: schema of function %u not found", fcinfo->flinfo->fn_oid);
	query = psprintf("SELECT segment, r_min, r_max, fm_min, fm_max FROM %s.rfm_segments "
					 "ORDER BY priority, segment COLLATE \"C\"", quote_identifier(schema));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "rfm_score: SPI_connect failed");
	rc = SPI_execute(query, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "rfm_score: reading %s.rfm_segments failed: %s", schema, SPI_result_code_string(rc));
	cache->rules = MemoryContextAllocZero(cache->cxt, sizeof(RfmSegmentRule) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		RfmSegmentRule *rule = &cache->rules[cache->nrules];
		bool		isnull[5];
		Datum		d[5];

		for (int c = 0; c < 5; c++)
			d[c] = SPI_getbinval(tup, desc, c + 1, &isnull[c]);
		if (isnull[0] || isnull[1] || isnull[2] || isnull[3] || isnull[4])
			continue;			/* the table's NOT NULL constraints were dropped: such a row matches nothing */
		rule->r_min = DatumGetInt32(d[1]);
		rule->r_max = DatumGetInt32(d[2]);
		rule->fm_min = DatumGetInt32(d[3]);
		rule->fm_max = DatumGetInt32(d[4]);
		{
			text	   *s = DatumGetTextPP(d[0]);
			Size		len = VARSIZE_ANY_EXHDR(s);

			rule->segment = (text *) MemoryContextAlloc(cache->cxt, len + VARHDRSZ);
			SET_VARSIZE(rule->segment, len + VARHDRSZ);
			memcpy(VARDATA(rule->segment), VARDATA_ANY(s), len);
		}
		cache->nrules++;
	}
	SPI_finish();
	cache->lxid = lxid;
	cache->cid = cid;
	return cache;
}

/* A score on 1..bins mapped to the 1..5 grid of the segment table: round half up of 1 + (s-1)*4/(bins-1). */
static inline int32
RfmScaleTo5(int32 s, int32 bins)
{
	return 1 + ((s - 1) * 8 + (bins - 1)) / (2 * (bins - 1));
}

#define RFM_SCORE_NATTS 5

PG_FUNCTION_INFO_V1(rfm_score);
/*
 * R, F and M scores (1..bins, higher is better) of one customer under the breakpoints, the code ('545') and
 * the segment of supplymkt.rfm_segments matching (R, FM) on the 1..5 grid, FM = floor((F + M) / 2).
 */
Datum
rfm_score(PG_FUNCTION_ARGS)
{
	float8		x[RFM_DIMS];
	RfmBreaks  *b = RfmBreaksArg(fcinfo, 3);
	int32		score[RFM_DIMS];
	int32		r5,
				fm5;
	RfmSegmentCache *cache;
	TupleDesc	tupdesc;
	Datum		values[RFM_SCORE_NATTS];
	bool		nulls[RFM_SCORE_NATTS] = {false};
	char	   *code;

	for (int d = 0; d < RFM_DIMS; d++)
	{
		x[d] = PG_GETARG_FLOAT8(d);
		SmCheckFinite(x[d], rfm_dim_names[d]);
		score[d] = 1;
		for (int j = 0; j < b->reached[d]; j++)
		{
			float8		t = RfmThreshold(b, d, j);

			if (d == 0 ? x[d] <= t : x[d] >= t)
				score[d]++;
			else
				break;
		}
	}
	r5 = RfmScaleTo5(score[0], b->bins);
	fm5 = (RfmScaleTo5(score[1], b->bins) + RfmScaleTo5(score[2], b->bins)) / 2;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rfm_score must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	code = b->bins <= 9 ? psprintf("%d%d%d", score[0], score[1], score[2])
		: psprintf("%d-%d-%d", score[0], score[1], score[2]);
	values[0] = Int32GetDatum(score[0]);
	values[1] = Int32GetDatum(score[1]);
	values[2] = Int32GetDatum(score[2]);
	values[3] = PointerGetDatum(cstring_to_text(code));
	nulls[4] = true;
	cache = RfmSegmentRules(fcinfo);
	for (int i = 0; i < cache->nrules; i++)
	{
		RfmSegmentRule *rule = &cache->rules[i];

		if (r5 >= rule->r_min && r5 <= rule->r_max && fm5 >= rule->fm_min && fm5 <= rule->fm_max)
		{
			values[4] = PointerGetDatum(rule->segment);
			nulls[4] = false;
			break;
		}
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
