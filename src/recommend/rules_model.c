/*
 * recommend/rules_model.c — the assoc_rules_model type: frequent itemsets with their counts; its layout and
 * consistency checks, the itemset order and lookup, JSON text and binary I/O, and the detoasted argument.
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "core/binary.h"
#include "core/json.h"
#include "core/validate.h"
#include "recommend/recommend.h"

/* Bytes of a model. */
static Size
ArModelSize(int64 nsets, int64 nitems)
{
	double		words = 2.0 * nsets + 1 + nitems;

	if (nsets < 0 || nitems < 0 || words * 8 > (double) (MaxAllocSize - 1024))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("assoc_rules_model with " INT64_FORMAT " itemsets is too large", nsets),
				 errhint("Raise min_support or lower max_len.")));
	return offsetof(ArModel, data) + (Size) words * 8;
}

/* Allocates a zeroed model. */
ArModel *
ArModelNew(int64 nsets, int64 nitems)
{
	Size		size = ArModelSize(nsets, nitems);
	ArModel    *m = palloc_extended(size, MCXT_ALLOC_ZERO);

	SET_VARSIZE(m, size);
	m->version = RC_MODEL_VERSION;
	m->nsets = nsets;
	m->nitems = nitems;
	return m;
}

/* Compares itemsets a (na ids) and b (nb ids): by size, then ids. */
int
ArSetCmp(const int64 *a, int64 na, const int64 *b, int64 nb)
{
	if (na != nb)
		return na < nb ? -1 : 1;
	for (int64 i = 0; i < na; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* Count of an itemset in the model (binary search in the model's order); -1 when absent. */
int64
ArCount(const ArModel *m, const int64 *ids, int64 len)
{
	int64		lo = 0,
				hi = m->nsets - 1;

	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;
		int			c = ArSetCmp(ArItems(m) + ArOffsets(m)[mid], ArOffsets(m)[mid + 1] - ArOffsets(m)[mid], ids, len);

		if (c < 0)
			lo = mid + 1;
		else if (c > 0)
			hi = mid - 1;
		else
			return ArCounts(m)[mid];
	}
	return -1;
}

/* Checks a model read from outside. */
static void
ArModelValidate(const ArModel *m)
{
	const int64 *off = ArOffsets(m);

	if (m->baskets < 0 || !(m->min_support > 0 && m->min_support <= 1) ||
		!(m->min_confidence >= 0 && m->min_confidence <= 1) || m->max_len < 1 || m->max_len > AR_MAX_LEN)
		SmErrorInvalidValue("assoc_rules_model", "baskets, min_support, min_confidence and max_len must be in range");
	if (off[0] != 0 || off[m->nsets] != m->nitems)
		SmErrorInvalidValue("assoc_rules_model", "offsets must run from 0 to the number of ids");
	for (int64 s = 0; s < m->nsets; s++)
	{
		int64		len = off[s + 1] - off[s];

		if (len < 1 || len > m->max_len)
			SmErrorInvalidValue("assoc_rules_model", "every itemset must have 1 to max_len items");
		for (int64 i = off[s]; i < off[s + 1]; i++)
			if (i > off[s] && ArItems(m)[i] <= ArItems(m)[i - 1])
				SmErrorInvalidValue("assoc_rules_model", "the ids of an itemset must be ascending");
		if (ArCounts(m)[s] < 1 || ArCounts(m)[s] > m->baskets)
			SmErrorInvalidValue("assoc_rules_model", "counts must lie between 1 and baskets");
		if (s > 0 && ArSetCmp(ArItems(m) + off[s - 1], off[s] - off[s - 1], ArItems(m) + off[s], len) >= 0)
			SmErrorInvalidValue("assoc_rules_model", "itemsets must be ordered by size, then ids, without repeats");
	}
	/* what assoc_rules guarantees: every itemset frequent, its subsets in the model and in at least as many baskets */
	for (int64 s = 0; s < m->nsets; s++)
	{
		int64		len = off[s + 1] - off[s],
					sub[AR_MAX_LEN];

		CHECK_FOR_INTERRUPTS();
		if (!((double) ArCounts(m)[s] / (double) m->baskets >= m->min_support))
			SmErrorInvalidValue("assoc_rules_model", "every itemset must be frequent: count / baskets >= min_support");
		for (int64 drop = 0; len > 1 && drop < len; drop++)
		{
			int64		n = 0,
						c;

			for (int64 i = 0; i < len; i++)
				if (i != drop)
					sub[n++] = ArItems(m)[off[s] + i];
			c = ArCount(m, sub, n);
			if (c < 0)
				SmErrorInvalidValue("assoc_rules_model", "the subsets of every itemset must be in the model");
			if (c < ArCounts(m)[s])
				SmErrorInvalidValue("assoc_rules_model", "an itemset cannot be in more baskets than its subsets");
		}
	}
}

/* The model argument, detoasted and checked. */
ArModel *
ArModelArg(FunctionCallInfo fcinfo, int argno)
{
	ArModel    *m = (ArModel *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (m->version != RC_MODEL_VERSION || m->nsets < 0 || m->nitems < 0 ||
		VARSIZE(m) != ArModelSize(m->nsets, m->nitems))
		elog(ERROR, "assoc_rules_model of unexpected version or size");
	return m;
}

PG_FUNCTION_INFO_V1(assoc_rules_model_in);
/* Text input of assoc_rules_model. */
Datum
assoc_rules_model_in(PG_FUNCTION_ARGS)
{
	SmJsonObject *obj = SmJsonParse(PG_GETARG_CSTRING(0), "assoc_rules_model");
	int64		ival,
				nsets,
				nitems;
	ArModel    *m;

	if (SmJsonOptInt64(obj, "version", &ival) && ival != RC_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("unsupported assoc_rules_model version " INT64_FORMAT, ival)));
	nsets = RcJsonLength(obj, "counts");
	nitems = RcJsonLength(obj, "items");
	m = ArModelNew(nsets, nitems);
	m->baskets = SmJsonGetInt64(obj, "baskets");
	m->min_support = SmJsonGetFloat8(obj, "min_support");
	m->min_confidence = SmJsonGetFloat8(obj, "min_confidence");
	ival = SmJsonGetInt64(obj, "max_len");
	SmCheckIntRange(ival, 1, AR_MAX_LEN, "max_len");
	m->max_len = (int32) ival;
	RcJsonIds(obj, "offsets", nsets + 1, ArOffsets(m));
	RcJsonIds(obj, "items", nitems, ArItems(m));
	RcJsonIds(obj, "counts", nsets, ArCounts(m));
	SmJsonRejectUnknown(obj);
	ArModelValidate(m);
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(assoc_rules_model_out);
/* Text output of assoc_rules_model (JSON). */
Datum
assoc_rules_model_out(PG_FUNCTION_ARGS)
{
	ArModel    *m = ArModelArg(fcinfo, 0);
	StringInfoData out;

	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	SmAppendJsonKey(&out, "version", true);
	appendStringInfo(&out, "%d", m->version);
	SmAppendJsonKey(&out, "baskets", false);
	appendStringInfo(&out, INT64_FORMAT, m->baskets);
	SmAppendJsonKey(&out, "min_support", false);
	SmAppendFloat8(&out, m->min_support);
	SmAppendJsonKey(&out, "min_confidence", false);
	SmAppendFloat8(&out, m->min_confidence);
	SmAppendJsonKey(&out, "max_len", false);
	appendStringInfo(&out, "%d", m->max_len);
	SmAppendJsonKey(&out, "offsets", false);
	SmAppendInt64Array(&out, ArOffsets(m), m->nsets + 1);
	SmAppendJsonKey(&out, "items", false);
	SmAppendInt64Array(&out, ArItems(m), m->nitems);
	SmAppendJsonKey(&out, "counts", false);
	SmAppendInt64Array(&out, ArCounts(m), m->nsets);
	appendStringInfoChar(&out, '}');
	PG_RETURN_CSTRING(out.data);
}

PG_FUNCTION_INFO_V1(assoc_rules_model_recv);
/* Binary input of assoc_rules_model. */
Datum
assoc_rules_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	int			version;
	int64		nsets,
				nitems;
	ArModel    *m;
	int32		max_len;
	int64		baskets;
	double		min_support,
				min_confidence;

	SmRecvCheckRemaining(msg, 1 + 4 + 8 * 5, "assoc_rules_model");
	version = pq_getmsgbyte(msg);
	if (version != RC_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported assoc_rules_model version %d", version)));
	max_len = (int32) pq_getmsgint(msg, 4);
	baskets = pq_getmsgint64(msg);
	min_support = pq_getmsgfloat8(msg);
	min_confidence = pq_getmsgfloat8(msg);
	nsets = pq_getmsgint64(msg);
	nitems = pq_getmsgint64(msg);
	if (nsets < 0 || nitems < 0 || (2.0 * nsets + 1 + nitems) * 8 != (double) (msg->len - msg->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type assoc_rules_model: inconsistent size")));
	m = ArModelNew(nsets, nitems);
	m->max_len = max_len;
	m->baskets = baskets;
	m->min_support = min_support;
	m->min_confidence = min_confidence;
	SmRecvInt64Array(msg, m->data, 2 * nsets + 1 + nitems, "assoc_rules_model");
	ArModelValidate(m);
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(assoc_rules_model_send);
/* Binary output of assoc_rules_model. */
Datum
assoc_rules_model_send(PG_FUNCTION_ARGS)
{
	ArModel    *m = ArModelArg(fcinfo, 0);
	StringInfoData out;

	pq_begintypsend(&out);
	pq_sendbyte(&out, m->version);
	pq_sendint32(&out, m->max_len);
	pq_sendint64(&out, m->baskets);
	pq_sendfloat8(&out, m->min_support);
	pq_sendfloat8(&out, m->min_confidence);
	pq_sendint64(&out, m->nsets);
	pq_sendint64(&out, m->nitems);
	SmSendInt64Array(&out, m->data, 2 * m->nsets + 1 + m->nitems);
	PG_RETURN_BYTEA_P(pq_endtypsend(&out));
}
