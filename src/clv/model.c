/*
 * clv/model.c — the clv_model type: the detoasted argument, model and unit names, the consistency checks of a
 * model read from outside, JSON text input and output, binary receive and send.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/json.h"

#include "core/binary.h"
#include "core/json.h"
#include "core/validate.h"
#include "clv/clv.h"

/* Bytes of the binary form of version 1, and of version 2 (+ customers_without_history). */
#define CLV_MODEL_SEND_SIZE_V1 (5 + 8 * 4 + 8 * 4 + 8 + 8 + 4 + 8 * 3 + 8 * 3 + 8 + 8 + 4)
#define CLV_MODEL_SEND_SIZE (CLV_MODEL_SEND_SIZE_V1 + 4)

static const char *const clv_spend_names[3] = {"p", "q", "gamma"};

/* Returns the model argument, checking that it is a clv_model this build understands. */
ClvModel *
ClvModelArg(FunctionCallInfo fcinfo, int argno)
{
	ClvModel   *m = (ClvModel *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (VARSIZE_ANY(m) != sizeof(ClvModel) || m->version < CLV_MODEL_OLDEST_VERSION ||
		m->version > CLV_MODEL_VERSION || ClvPurchaseModelOf(m->model) == NULL)
		elog(ERROR, "supplymkt clv_model of unexpected size or version");
	return m;
}


/* Name of a unit code. */
static const char *
ClvUnitName(int unit)
{
	return unit == CLV_UNIT_WEEKS ? "weeks" : "days";
}

/* Parses the model argument of clv_fit: 'bgnbd', 'mbgnbd' or 'pnbd' (case-insensitive). */
int
ClvParseModelName(const char *s)
{
	for (int code = 1; code <= CLV_MODEL_MAX; code++)
		if (pg_strcasecmp(s, ClvPurchaseModelOf(code)->name) == 0)
			return code;
	if (pg_strcasecmp(s, "auto") == 0)
		return CLV_MODEL_AUTO;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown CLV model \"%s\"", s),
			 errhint("Use 'bgnbd' (BG/NBD), 'mbgnbd' (MBG/NBD), 'pnbd' (Pareto/NBD) or 'auto' (the one that fits best).")));
	return 0;					/* keep compiler quiet */
}

/* Parses the unit argument of clv_fit: 'days' or 'weeks' (case-insensitive). */
int
ClvParseUnitName(const char *s)
{
	if (pg_strcasecmp(s, "days") == 0)
		return CLV_UNIT_DAYS;
	if (pg_strcasecmp(s, "weeks") == 0)
		return CLV_UNIT_WEEKS;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown time unit \"%s\"", s),
			 errhint("Use 'days' or 'weeks': the unit recency, t and later horizons are measured in.")));
	return 0;					/* keep compiler quiet */
}

/* Checks a model read from outside: codes, flags, parameter ranges, and zeros in every absent field. */
void
ClvModelValidate(const ClvModel *m)
{
	if (ClvPurchaseModelOf(m->model) == NULL)
		SmErrorInvalidValue("clv_model", "unknown model code");
	if (m->unit != CLV_UNIT_DAYS && m->unit != CLV_UNIT_WEEKS)
		SmErrorInvalidValue("clv_model", "unknown unit code");
	if (m->flags & ~CLV_ALL_FLAGS)
		SmErrorInvalidValue("clv_model", "unknown flags");
	if (m->reserved1 != 0 || m->reserved2 != 0)
		SmErrorInvalidValue("clv_model", "reserved fields must be zero");
	if (m->n_without_history < 0 || (m->n_without_history > 0 && !(m->flags & CLV_FIT_INFO)))
		SmErrorInvalidValue("clv_model", "customers_without_history must be non-negative and comes with the fit information");
	if (((m->flags & CLV_CONVERGED) || (m->flags & CLV_HAS_SE)) && !(m->flags & CLV_FIT_INFO))
		SmErrorInvalidValue("clv_model", "converged and std_errors need the fit information (log_likelihood, n_customers, iterations)");
	if ((m->flags & (CLV_SPEND_FIT_INFO | CLV_SPEND_CONVERGED | CLV_HAS_SPEND_SE)) && !(m->flags & CLV_HAS_SPEND))
		SmErrorInvalidValue("clv_model", "spend fit information without a spend model");
	if (((m->flags & CLV_SPEND_CONVERGED) || (m->flags & CLV_HAS_SPEND_SE)) && !(m->flags & CLV_SPEND_FIT_INFO))
		SmErrorInvalidValue("clv_model", "spend_converged and spend_std_errors need the spend fit information");
	for (int i = 0; i < 4; i++)
	{
		if (!(m->params[i] >= CLV_MIN_PARAM && m->params[i] <= CLV_MAX_PARAM))
			SmErrorInvalidValue("clv_model", "parameters must be between 1e-18 and 1e18");
		if ((m->flags & CLV_HAS_SE) ? !(m->se[i] >= 0 && isfinite(m->se[i])) : m->se[i] != 0)
			SmErrorInvalidValue("clv_model", "standard errors must be finite and non-negative");
	}
	if (m->flags & CLV_FIT_INFO)
	{
		if (!isfinite(m->log_likelihood) || m->n_customers < 1 || m->iterations < 0)
			SmErrorInvalidValue("clv_model", "log_likelihood must be finite, n_customers positive and iterations non-negative");
	}
	else if (m->log_likelihood != 0 || m->n_customers != 0 || m->iterations != 0)
		SmErrorInvalidValue("clv_model", "fit information without the fit flag");
	for (int i = 0; i < 3; i++)
	{
		if ((m->flags & CLV_HAS_SPEND) ? !(m->spend[i] >= CLV_MIN_PARAM && m->spend[i] <= CLV_MAX_PARAM)
			: m->spend[i] != 0)
			SmErrorInvalidValue("clv_model", "spend parameters must be between 1e-18 and 1e18");
		if ((m->flags & CLV_HAS_SPEND_SE) ? !(m->spend_se[i] >= 0 && isfinite(m->spend_se[i])) : m->spend_se[i] != 0)
			SmErrorInvalidValue("clv_model", "spend standard errors must be finite and non-negative");
	}
	if (m->flags & CLV_SPEND_FIT_INFO)
	{
		if (!isfinite(m->spend_log_likelihood) || m->n_repeaters < 1 || m->spend_iterations < 0)
			SmErrorInvalidValue("clv_model", "spend_log_likelihood must be finite, n_repeaters positive and spend_iterations non-negative");
	}
	else if (m->spend_log_likelihood != 0 || m->n_repeaters != 0 || m->spend_iterations != 0)
		SmErrorInvalidValue("clv_model", "spend fit information without the spend fit flag");
}

/* Allocates a zeroed model value. */
static ClvModel *
ClvModelNew(void)
{
	ClvModel   *m = palloc0(sizeof(ClvModel));

	SET_VARSIZE(m, sizeof(ClvModel));
	m->version = CLV_MODEL_VERSION;
	return m;
}

/* Reads an optional integer key that must lie in [0, max]; false when absent. */
static bool
ClvJsonOptInt(SmJsonObject *obj, const char *key, int64 max, int64 *out)
{
	if (!SmJsonOptInt64(obj, key, out))
		return false;
	if (*out < 0 || *out > max)
		SmErrorInvalidValue("clv_model", psprintf("%s is out of range", key));
	return true;
}

PG_FUNCTION_INFO_V1(clv_model_in);
/* Text input of clv_model: the JSON document clv_model_out writes (fit information and spend optional). */
Datum
clv_model_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	SmJsonObject *obj = SmJsonParse(text, "clv_model");
	ClvModel   *m = ClvModelNew();
	int64		version = CLV_MODEL_VERSION;
	int64		ival;
	bool		bval;
	int			nfit = 0;

	if (ClvJsonOptInt(obj, "version", PG_INT32_MAX, &version) &&
		(version < CLV_MODEL_OLDEST_VERSION || version > CLV_MODEL_VERSION))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("unsupported clv_model version " INT64_FORMAT, version),
				 errhint("This build of supplymkt reads versions %d to %d.", CLV_MODEL_OLDEST_VERSION, CLV_MODEL_VERSION)));
	m->model = (uint8) ClvParseModelName(SmJsonGetString(obj, "model"));
	if (ClvPurchaseModelOf(m->model) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a clv_model names its purchase model, not \"auto\""),
				 errhint("Use 'bgnbd', 'mbgnbd' or 'pnbd'; \"selected_by\":\"auto\" records that clv_fit chose it.")));
	{
		SmJsonField *sel = SmJsonFind(obj, "selected_by", false);

		if (sel != NULL)
		{
			if (strcmp(SmJsonGetString(obj, "selected_by"), "auto") != 0)
				SmErrorInvalidValue("clv_model", "selected_by must be \"auto\"");
			m->flags |= CLV_AUTO_SELECTED;
		}
	}
	m->unit = (uint8) ClvParseUnitName(SmJsonGetString(obj, "unit"));
	for (int i = 0; i < 4; i++)
		m->params[i] = SmJsonGetFloat8(obj, ClvPurchaseModelOf(m->model)->param_names[i]);
	nfit += SmJsonOptFloat8(obj, "log_likelihood", &m->log_likelihood);
	if (ClvJsonOptInt(obj, "n_customers", PG_INT64_MAX, &ival))
	{
		m->n_customers = ival;
		nfit++;
	}
	if (ClvJsonOptInt(obj, "iterations", PG_INT32_MAX, &ival))
	{
		m->iterations = (int32) ival;
		nfit++;
	}
	if (SmJsonOptBool(obj, "converged", &bval))
	{
		m->flags |= bval ? CLV_CONVERGED : 0;
		nfit++;
	}
	if (nfit != 0 && nfit != 4)
		SmErrorInvalidValue("clv_model", "log_likelihood, n_customers, iterations and converged must be given together");
	if (ClvJsonOptInt(obj, "customers_without_history", PG_INT32_MAX, &ival))
		m->n_without_history = (int32) ival;
	if (nfit)
		m->flags |= CLV_FIT_INFO;
	if (SmJsonOptFloat8Array(obj, "std_errors", 4, m->se))
		m->flags |= CLV_HAS_SE;

	nfit = 0;
	for (int i = 0; i < 3; i++)
		nfit += SmJsonOptFloat8(obj, clv_spend_names[i], &m->spend[i]);
	if (nfit != 0 && nfit != 3)
		SmErrorInvalidValue("clv_model", "p, q and gamma must be given together");
	if (nfit)
		m->flags |= CLV_HAS_SPEND;
	nfit = 0;
	nfit += SmJsonOptFloat8(obj, "spend_log_likelihood", &m->spend_log_likelihood);
	if (ClvJsonOptInt(obj, "n_repeaters", PG_INT64_MAX, &ival))
	{
		m->n_repeaters = ival;
		nfit++;
	}
	if (ClvJsonOptInt(obj, "spend_iterations", PG_INT32_MAX, &ival))
	{
		m->spend_iterations = (int32) ival;
		nfit++;
	}
	if (SmJsonOptBool(obj, "spend_converged", &bval))
	{
		m->flags |= bval ? CLV_SPEND_CONVERGED : 0;
		nfit++;
	}
	if (nfit != 0 && nfit != 4)
		SmErrorInvalidValue("clv_model", "spend_log_likelihood, n_repeaters, spend_iterations and spend_converged must be given together");
	if (nfit)
		m->flags |= CLV_SPEND_FIT_INFO;
	if (SmJsonOptFloat8Array(obj, "spend_std_errors", 3, m->spend_se))
		m->flags |= CLV_HAS_SPEND_SE;
	SmJsonRejectUnknown(obj);
	ClvModelValidate(m);
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(clv_model_out);
/* Text output of clv_model: a flat JSON object with the papers' parameter names (exact floats). */
Datum
clv_model_out(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelArg(fcinfo, 0);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	SmAppendJsonKey(&buf, "model", true);
	escape_json(&buf, ClvPurchaseModelOf(m->model)->name);
	SmAppendJsonKey(&buf, "version", false);
	appendStringInfo(&buf, "%d", CLV_MODEL_VERSION);
	SmAppendJsonKey(&buf, "unit", false);
	escape_json(&buf, ClvUnitName(m->unit));
	if (m->flags & CLV_AUTO_SELECTED)
	{
		SmAppendJsonKey(&buf, "selected_by", false);
		escape_json(&buf, "auto");
	}
	for (int i = 0; i < 4; i++)
	{
		SmAppendJsonKey(&buf, ClvPurchaseModelOf(m->model)->param_names[i], false);
		SmAppendFloat8(&buf, m->params[i]);
	}
	if (m->flags & CLV_FIT_INFO)
	{
		SmAppendJsonKey(&buf, "log_likelihood", false);
		SmAppendFloat8(&buf, m->log_likelihood);
		SmAppendJsonKey(&buf, "n_customers", false);
		appendStringInfo(&buf, INT64_FORMAT, m->n_customers);
		SmAppendJsonKey(&buf, "customers_without_history", false);
		appendStringInfo(&buf, "%d", m->n_without_history);
		SmAppendJsonKey(&buf, "iterations", false);
		appendStringInfo(&buf, "%d", m->iterations);
		SmAppendJsonKey(&buf, "converged", false);
		appendStringInfoString(&buf, (m->flags & CLV_CONVERGED) ? "true" : "false");
		SmAppendJsonKey(&buf, "std_errors", false);
		if (m->flags & CLV_HAS_SE)
			SmAppendFloat8Array(&buf, m->se, 4);
		else
			appendStringInfoString(&buf, "null");
	}
	else if (m->flags & CLV_HAS_SE)
	{
		SmAppendJsonKey(&buf, "std_errors", false);
		SmAppendFloat8Array(&buf, m->se, 4);
	}
	if (m->flags & CLV_HAS_SPEND)
	{
		for (int i = 0; i < 3; i++)
		{
			SmAppendJsonKey(&buf, clv_spend_names[i], false);
			SmAppendFloat8(&buf, m->spend[i]);
		}
		if (m->flags & CLV_SPEND_FIT_INFO)
		{
			SmAppendJsonKey(&buf, "spend_log_likelihood", false);
			SmAppendFloat8(&buf, m->spend_log_likelihood);
			SmAppendJsonKey(&buf, "n_repeaters", false);
			appendStringInfo(&buf, INT64_FORMAT, m->n_repeaters);
			SmAppendJsonKey(&buf, "spend_iterations", false);
			appendStringInfo(&buf, "%d", m->spend_iterations);
			SmAppendJsonKey(&buf, "spend_converged", false);
			appendStringInfoString(&buf, (m->flags & CLV_SPEND_CONVERGED) ? "true" : "false");
			SmAppendJsonKey(&buf, "spend_std_errors", false);
			if (m->flags & CLV_HAS_SPEND_SE)
				SmAppendFloat8Array(&buf, m->spend_se, 3);
			else
				appendStringInfoString(&buf, "null");
		}
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(clv_model_recv);
/* Binary input of clv_model: version, model, unit, flags, then every field; validated like text input. */
Datum
clv_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	ClvModel   *m;
	int			version;
	int64		iter;

	SmRecvCheckRemaining(msg, 1, "clv_model");
	version = pq_getmsgbyte(msg);
	if (version < CLV_MODEL_OLDEST_VERSION || version > CLV_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported clv_model version %d", version),
				 errhint("This build of supplymkt reads versions %d to %d.", CLV_MODEL_OLDEST_VERSION, CLV_MODEL_VERSION)));
	if (msg->len - msg->cursor != (version == 1 ? CLV_MODEL_SEND_SIZE_V1 : CLV_MODEL_SEND_SIZE) - 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type clv_model: expected %d bytes, got %d",
						version == 1 ? CLV_MODEL_SEND_SIZE_V1 : CLV_MODEL_SEND_SIZE, msg->len - msg->cursor + 1)));
	m = ClvModelNew();
	m->model = (uint8) pq_getmsgbyte(msg);
	m->unit = (uint8) pq_getmsgbyte(msg);
	m->flags = (uint16) pq_getmsgint(msg, 2);
	SmRecvFloat8Array(msg, m->params, 4, "clv_model");
	SmRecvFloat8Array(msg, m->se, 4, "clv_model");
	m->log_likelihood = pq_getmsgfloat8(msg);
	m->n_customers = pq_getmsgint64(msg);
	iter = (int32) pq_getmsgint(msg, 4);
	m->iterations = (int32) iter;
	SmRecvFloat8Array(msg, m->spend, 3, "clv_model");
	SmRecvFloat8Array(msg, m->spend_se, 3, "clv_model");
	m->spend_log_likelihood = pq_getmsgfloat8(msg);
	m->n_repeaters = pq_getmsgint64(msg);
	m->spend_iterations = (int32) pq_getmsgint(msg, 4);
	if (version > 1)
		m->n_without_history = (int32) pq_getmsgint(msg, 4);
	ClvModelValidate(m);
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(clv_model_send);
/* Binary output of clv_model. */
Datum
clv_model_send(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelArg(fcinfo, 0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CLV_MODEL_VERSION);
	pq_sendbyte(&buf, m->model);
	pq_sendbyte(&buf, m->unit);
	pq_sendint16(&buf, m->flags);
	SmSendFloat8Array(&buf, m->params, 4);
	SmSendFloat8Array(&buf, m->se, 4);
	pq_sendfloat8(&buf, m->log_likelihood);
	pq_sendint64(&buf, m->n_customers);
	pq_sendint32(&buf, m->iterations);
	SmSendFloat8Array(&buf, m->spend, 3);
	SmSendFloat8Array(&buf, m->spend_se, 3);
	pq_sendfloat8(&buf, m->spend_log_likelihood);
	pq_sendint64(&buf, m->n_repeaters);
	pq_sendint32(&buf, m->spend_iterations);
	pq_sendint32(&buf, m->n_without_history);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
