/*
 * clv.c — customer-lifetime-value models fitted where the data lives.
 *
 * Purchase process: BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way") or
 * Pareto/NBD (Schmittlein, Morrison & Colombo 1987), written as in Fader & Hardie's notes; spend:
 * Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"), fitted on repeat customers.  Inputs per customer:
 * x = repeat purchase periods, t_x = age at the last purchase (recency), T = age, m = mean repeat value.
 *
 * clv_fit collects rows in a clv_fit_state (common.h row buffer; model and unit codes as parameters).  The
 * final function sorts them, collapses identical (x, t_x, T) triples into weights (the likelihood then costs
 * O(distinct triples), with logs of alpha + T shared per distinct T and, for Pareto/NBD, hypergeometric
 * functions per distinct (x, time) pair), and maximises the log-likelihood over log-parameters with GSL's
 * BFGS (vector_bfgs2, analytic gradients) from two starting points, Nelder-Mead as a fallback, and Newton
 * steps on a numerical Hessian (central differences of the gradient) to finish; the same Hessian, taken to
 * the natural parameters, gives the standard errors.  Because rows are sorted first, the result does not
 * depend on row order: serial, parallel and Citus plans give bit-identical models.
 *
 * Every likelihood and reader is evaluated in log space.  GSL's gsl_sf_hyperg_2F1 gives up (GSL_EUNIMPL or
 * GSL_EMAXITER) for the large parameters that large frequencies produce and loses digits to cancellation in
 * the closed forms, so the Gauss hypergeometric functions here are summed in forms whose terms do not cancel
 * (derivations next to each function): series after Euler's and Pfaff's transformations, the 1 - z
 * transformation near z = 1, and an adaptive GSL quadrature (gsl_integration_qag) of an integral
 * representation where neither converges fast.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "clv/clv.h"

/* The state type of clv_fit: frequency, recency, T, monetary (stored id stable across versions). */
const SmRowKind sm_clv_fit_kind = {"clv_fit_state", 2, 4, {"model", "unit"}, 64};

SM_ROW_BUFFER_IO(clv_fit_state, sm_clv_fit_kind)
SM_ROW_BUFFER_COMBINE(clv_fit_state, sm_clv_fit_kind)

/* Model and unit codes (stored in clv_fit_state's parameters and in clv_model). */
#define CLV_MODEL_BGNBD 1
#define CLV_MODEL_PNBD 2
#define CLV_UNIT_DAYS 1
#define CLV_UNIT_WEEKS 2

/* Limits: inputs beyond CLV_MAX_INPUT are rejected so that no log-likelihood term can overflow. */
#define CLV_MAX_INPUT 1e15
#define CLV_MIN_PARAM 1e-18
#define CLV_MAX_PARAM 1e18
#define CLV_LOG_BOUND 40.0		/* fitted log-parameters stay in [-40, 40] */
#define CLV_MIN_CUSTOMERS 10
#define CLV_MAX_PERIODS 10000

/* ---------------------------------------------------------------------------------------------------------
 * The model type
 * --------------------------------------------------------------------------------------------------------- */
#define CLV_MODEL_VERSION 1

#define CLV_HAS_SPEND 0x01			/* p, q, gamma present */
#define CLV_FIT_INFO 0x02			/* log_likelihood, n_customers, iterations, converged present */
#define CLV_CONVERGED 0x04
#define CLV_HAS_SE 0x08				/* std_errors present */
#define CLV_SPEND_FIT_INFO 0x10
#define CLV_SPEND_CONVERGED 0x20
#define CLV_HAS_SPEND_SE 0x40
#define CLV_ALL_FLAGS 0x7F

typedef struct ClvModel
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* CLV_MODEL_VERSION */
	uint8		model;			/* CLV_MODEL_* */
	uint8		unit;			/* CLV_UNIT_* */
	uint8		reserved1;
	uint16		flags;			/* CLV_* flag bits */
	uint16		reserved2;
	int32		iterations;
	int32		spend_iterations;
	int32		reserved3;
	int64		n_customers;
	int64		n_repeaters;	/* customers the spend model was fitted on */
	float8		params[4];		/* r, alpha, a, b (BG/NBD) or r, alpha, s, beta (Pareto/NBD) */
	float8		se[4];
	float8		log_likelihood;
	float8		spend[3];		/* p, q, gamma */
	float8		spend_se[3];
	float8		spend_log_likelihood;
} ClvModel;

#define CLV_MODEL_SEND_SIZE (5 + 8 * 4 + 8 * 4 + 8 + 8 + 4 + 8 * 3 + 8 * 3 + 8 + 8 + 4)

static const char *const clv_param_names[3][4] = {
	{NULL},
	{"r", "alpha", "a", "b"},
	{"r", "alpha", "s", "beta"},
};
static const char *const clv_spend_names[3] = {"p", "q", "gamma"};

/* Returns the model argument, checking that it is a clv_model this build understands. */
static ClvModel *
ClvModelArg(FunctionCallInfo fcinfo, int argno)
{
	ClvModel   *m = (ClvModel *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (VARSIZE_ANY(m) != sizeof(ClvModel) || m->version != CLV_MODEL_VERSION ||
		(m->model != CLV_MODEL_BGNBD && m->model != CLV_MODEL_PNBD))
		elog(ERROR, "supplymkt clv_model of unexpected size or version");
	return m;
}

/* Name of a model code. */
static const char *
ClvModelName(int model)
{
	return model == CLV_MODEL_PNBD ? "pnbd" : "bgnbd";
}

/* Name of a unit code. */
static const char *
ClvUnitName(int unit)
{
	return unit == CLV_UNIT_WEEKS ? "weeks" : "days";
}

/* Parses the model argument of clv_fit: 'bgnbd' or 'pnbd' (case-insensitive). */
static int
ClvParseModelName(const char *s)
{
	if (pg_strcasecmp(s, "bgnbd") == 0)
		return CLV_MODEL_BGNBD;
	if (pg_strcasecmp(s, "pnbd") == 0)
		return CLV_MODEL_PNBD;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown CLV model \"%s\"", s),
			 errhint("Use 'bgnbd' (BG/NBD) or 'pnbd' (Pareto/NBD).")));
	return 0;					/* keep compiler quiet */
}

/* Parses the unit argument of clv_fit: 'days' or 'weeks' (case-insensitive). */
static int
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

/* Raises the error for an inconsistent clv_model read from text or binary. */
static void
ClvInvalidModel(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for type clv_model: %s", why)));
}

/* Checks a model read from outside: codes, flags, parameter ranges, and zeros in every absent field. */
static void
ClvModelValidate(const ClvModel *m)
{
	if (m->model != CLV_MODEL_BGNBD && m->model != CLV_MODEL_PNBD)
		ClvInvalidModel("unknown model code");
	if (m->unit != CLV_UNIT_DAYS && m->unit != CLV_UNIT_WEEKS)
		ClvInvalidModel("unknown unit code");
	if (m->flags & ~CLV_ALL_FLAGS)
		ClvInvalidModel("unknown flags");
	if (m->reserved1 != 0 || m->reserved2 != 0 || m->reserved3 != 0)
		ClvInvalidModel("reserved fields must be zero");
	if (((m->flags & CLV_CONVERGED) || (m->flags & CLV_HAS_SE)) && !(m->flags & CLV_FIT_INFO))
		ClvInvalidModel("converged and std_errors need the fit information (log_likelihood, n_customers, iterations)");
	if ((m->flags & (CLV_SPEND_FIT_INFO | CLV_SPEND_CONVERGED | CLV_HAS_SPEND_SE)) && !(m->flags & CLV_HAS_SPEND))
		ClvInvalidModel("spend fit information without a spend model");
	if (((m->flags & CLV_SPEND_CONVERGED) || (m->flags & CLV_HAS_SPEND_SE)) && !(m->flags & CLV_SPEND_FIT_INFO))
		ClvInvalidModel("spend_converged and spend_std_errors need the spend fit information");
	for (int i = 0; i < 4; i++)
	{
		if (!(m->params[i] >= CLV_MIN_PARAM && m->params[i] <= CLV_MAX_PARAM))
			ClvInvalidModel("parameters must be between 1e-18 and 1e18");
		if ((m->flags & CLV_HAS_SE) ? !(m->se[i] >= 0 && isfinite(m->se[i])) : m->se[i] != 0)
			ClvInvalidModel("standard errors must be finite and non-negative");
	}
	if (m->flags & CLV_FIT_INFO)
	{
		if (!isfinite(m->log_likelihood) || m->n_customers < 1 || m->iterations < 0)
			ClvInvalidModel("log_likelihood must be finite, n_customers positive and iterations non-negative");
	}
	else if (m->log_likelihood != 0 || m->n_customers != 0 || m->iterations != 0)
		ClvInvalidModel("fit information without the fit flag");
	for (int i = 0; i < 3; i++)
	{
		if ((m->flags & CLV_HAS_SPEND) ? !(m->spend[i] >= CLV_MIN_PARAM && m->spend[i] <= CLV_MAX_PARAM)
			: m->spend[i] != 0)
			ClvInvalidModel("spend parameters must be between 1e-18 and 1e18");
		if ((m->flags & CLV_HAS_SPEND_SE) ? !(m->spend_se[i] >= 0 && isfinite(m->spend_se[i])) : m->spend_se[i] != 0)
			ClvInvalidModel("spend standard errors must be finite and non-negative");
	}
	if (m->flags & CLV_SPEND_FIT_INFO)
	{
		if (!isfinite(m->spend_log_likelihood) || m->n_repeaters < 1 || m->spend_iterations < 0)
			ClvInvalidModel("spend_log_likelihood must be finite, n_repeaters positive and spend_iterations non-negative");
	}
	else if (m->spend_log_likelihood != 0 || m->n_repeaters != 0 || m->spend_iterations != 0)
		ClvInvalidModel("spend fit information without the spend fit flag");
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
		ClvInvalidModel(psprintf("%s is out of range", key));
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

	if (ClvJsonOptInt(obj, "version", PG_INT32_MAX, &version) && version != CLV_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("unsupported clv_model version " INT64_FORMAT, version)));
	m->model = (uint8) ClvParseModelName(SmJsonGetString(obj, "model"));
	m->unit = (uint8) ClvParseUnitName(SmJsonGetString(obj, "unit"));
	for (int i = 0; i < 4; i++)
		m->params[i] = SmJsonGetFloat8(obj, clv_param_names[m->model][i]);
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
		ClvInvalidModel("log_likelihood, n_customers, iterations and converged must be given together");
	if (nfit)
		m->flags |= CLV_FIT_INFO;
	if (SmJsonOptFloat8Array(obj, "std_errors", 4, m->se))
		m->flags |= CLV_HAS_SE;

	nfit = 0;
	for (int i = 0; i < 3; i++)
		nfit += SmJsonOptFloat8(obj, clv_spend_names[i], &m->spend[i]);
	if (nfit != 0 && nfit != 3)
		ClvInvalidModel("p, q and gamma must be given together");
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
		ClvInvalidModel("spend_log_likelihood, n_repeaters, spend_iterations and spend_converged must be given together");
	if (nfit)
		m->flags |= CLV_SPEND_FIT_INFO;
	if (SmJsonOptFloat8Array(obj, "spend_std_errors", 3, m->spend_se))
		m->flags |= CLV_HAS_SPEND_SE;
	SmJsonRejectUnknown(obj);
	ClvModelValidate(m);
	PG_RETURN_POINTER(m);
}

/* Appends a JSON array of n floats. */
static void
ClvAppendFloatArray(StringInfo buf, const float8 *v, int n)
{
	appendStringInfoChar(buf, '[');
	for (int i = 0; i < n; i++)
	{
		if (i)
			appendStringInfoChar(buf, ',');
		SmAppendFloat8(buf, v[i]);
	}
	appendStringInfoChar(buf, ']');
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
	escape_json(&buf, ClvModelName(m->model));
	SmAppendJsonKey(&buf, "version", false);
	appendStringInfo(&buf, "%d", m->version);
	SmAppendJsonKey(&buf, "unit", false);
	escape_json(&buf, ClvUnitName(m->unit));
	for (int i = 0; i < 4; i++)
	{
		SmAppendJsonKey(&buf, clv_param_names[m->model][i], false);
		SmAppendFloat8(&buf, m->params[i]);
	}
	if (m->flags & CLV_FIT_INFO)
	{
		SmAppendJsonKey(&buf, "log_likelihood", false);
		SmAppendFloat8(&buf, m->log_likelihood);
		SmAppendJsonKey(&buf, "n_customers", false);
		appendStringInfo(&buf, INT64_FORMAT, m->n_customers);
		SmAppendJsonKey(&buf, "iterations", false);
		appendStringInfo(&buf, "%d", m->iterations);
		SmAppendJsonKey(&buf, "converged", false);
		appendStringInfoString(&buf, (m->flags & CLV_CONVERGED) ? "true" : "false");
		SmAppendJsonKey(&buf, "std_errors", false);
		if (m->flags & CLV_HAS_SE)
			ClvAppendFloatArray(&buf, m->se, 4);
		else
			appendStringInfoString(&buf, "null");
	}
	else if (m->flags & CLV_HAS_SE)
	{
		SmAppendJsonKey(&buf, "std_errors", false);
		ClvAppendFloatArray(&buf, m->se, 4);
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
				ClvAppendFloatArray(&buf, m->spend_se, 3);
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

	if (msg->len - msg->cursor != CLV_MODEL_SEND_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type clv_model: expected %d bytes, got %d",
						CLV_MODEL_SEND_SIZE, msg->len - msg->cursor)));
	version = pq_getmsgbyte(msg);
	if (version != CLV_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported clv_model version %d", version)));
	m = ClvModelNew();
	m->model = (uint8) pq_getmsgbyte(msg);
	m->unit = (uint8) pq_getmsgbyte(msg);
	m->flags = (uint16) pq_getmsgint(msg, 2);
	for (int i = 0; i < 4; i++)
		m->params[i] = pq_getmsgfloat8(msg);
	for (int i = 0; i < 4; i++)
		m->se[i] = pq_getmsgfloat8(msg);
	m->log_likelihood = pq_getmsgfloat8(msg);
	m->n_customers = pq_getmsgint64(msg);
	iter = (int32) pq_getmsgint(msg, 4);
	m->iterations = (int32) iter;
	for (int i = 0; i < 3; i++)
		m->spend[i] = pq_getmsgfloat8(msg);
	for (int i = 0; i < 3; i++)
		m->spend_se[i] = pq_getmsgfloat8(msg);
	m->spend_log_likelihood = pq_getmsgfloat8(msg);
	m->n_repeaters = pq_getmsgint64(msg);
	m->spend_iterations = (int32) pq_getmsgint(msg, 4);
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
	pq_sendbyte(&buf, m->version);
	pq_sendbyte(&buf, m->model);
	pq_sendbyte(&buf, m->unit);
	pq_sendint16(&buf, m->flags);
	for (int i = 0; i < 4; i++)
		pq_sendfloat8(&buf, m->params[i]);
	for (int i = 0; i < 4; i++)
		pq_sendfloat8(&buf, m->se[i]);
	pq_sendfloat8(&buf, m->log_likelihood);
	pq_sendint64(&buf, m->n_customers);
	pq_sendint32(&buf, m->iterations);
	for (int i = 0; i < 3; i++)
		pq_sendfloat8(&buf, m->spend[i]);
	for (int i = 0; i < 3; i++)
		pq_sendfloat8(&buf, m->spend_se[i]);
	pq_sendfloat8(&buf, m->spend_log_likelihood);
	pq_sendint64(&buf, m->n_repeaters);
	pq_sendint32(&buf, m->spend_iterations);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------------------------------------------------------------------------------------------------------
 * Input validation shared by the aggregate and the readers
 * --------------------------------------------------------------------------------------------------------- */

/* Rejects values above CLV_MAX_INPUT (they would only overflow the likelihood). */
static void
ClvCheckMax(float8 v, const char *argname)
{
	if (v > CLV_MAX_INPUT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be at most 1e15, got %s", argname, float8out_internal(v))));
}

/* Checks one customer's (frequency, recency, t): whole x >= 0, 0 <= t_x <= T, T > 0, t_x = 0 when x = 0. */
static void
ClvCheckCustomer(float8 x, float8 tx, float8 T)
{
	SmCheckNonNegative(x, "frequency");
	SmCheckNonNegative(tx, "recency");
	SmCheckFinite(T, "t");
	if (x != floor(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be a whole number of repeat purchases, got %s", float8out_internal(x)),
				 errhint("frequency counts the periods with a purchase after the first one (0 for one-time buyers).")));
	ClvCheckMax(x, "frequency");
	if (!(T > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t (the customer's age) must be positive, got %s", float8out_internal(T)),
				 errhint("t is the time from the first purchase to the end of the observation period.")));
	ClvCheckMax(T, "t");
	if (tx > T)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must not exceed t, got recency %s and t %s",
						float8out_internal(tx), float8out_internal(T)),
				 errhint("recency is the customer's age at the last purchase: time from the first to the last purchase.")));
	if (x == 0 && tx != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must be 0 when frequency is 0, got %s", float8out_internal(tx)),
				 errhint("recency is the time from the first to the last purchase, so 0 for one-time buyers.")));
}

/* Checks a mean repeat-purchase value: non-negative, positive for repeat customers. */
static void
ClvCheckMonetary(float8 m, float8 x, bool positive_for_repeaters)
{
	SmCheckNonNegative(m, "monetary");
	ClvCheckMax(m, "monetary");
	if (positive_for_repeaters && x > 0 && m == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monetary must be positive for customers with repeat purchases"),
				 errhint("monetary is the mean value of the repeat purchases; leave out customers whose mean is not positive.")));
}

/* Raises the error for a result that could not be computed in double precision. */
static void
ClvCheckResult(double v, const char *what)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s cannot be computed in double precision for these inputs", what)));
}

/* ---------------------------------------------------------------------------------------------------------
 * Numerics
 * --------------------------------------------------------------------------------------------------------- */

/* log(1 + exp(d)) without overflow. */
static inline double
ClvSoftplus(double d)
{
	return d > 0 ? d + log1p(exp(-d)) : log1p(exp(d));
}

/* (1 - exp(-y)) / y, 1 at y = 0. */
static inline double
ClvPhi(double y)
{
	return y == 0 ? 1.0 : -expm1(-y) / y;
}

/* log(e^a + e^b) without overflow. */
static inline double
ClvLogAddExp(double a, double b)
{
	double		mx = Max(a, b);

	if (mx == -INFINITY)
		return mx;
	return mx + log1p(exp(-fabs(a - b)));
}

/* log(e^a + e^b - e^c) when e^c <= e^b (c is the log of a part of b); -inf-safe. */
static double
ClvLogAddSub(double a, double b, double c)
{
	double		mx = Max(a, b);

	return mx + log(exp(a - mx) + exp(b - mx) - exp(c - mx));
}

/* The per-backend GSL integration workspaces (allocated once; GSL allocates with malloc). */
#define CLV_QUAD_LIMIT 200
static gsl_integration_workspace *clv_quad_ws = NULL;

/* Adaptive Gauss-Kronrod (61 points) integral of f over [lo, hi] to 1e-13 relative or epsabs; never raises. */
static double
ClvIntegrate(double (*fn) (double, void *), void *arg, double lo, double hi, double epsabs)
{
	gsl_function f;
	double		result = 0,
				abserr = 0;

	if (!(hi > lo))
		return 0;
	if (clv_quad_ws == NULL)
	{
		clv_quad_ws = gsl_integration_workspace_alloc(CLV_QUAD_LIMIT);
		if (clv_quad_ws == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	f.function = fn;
	f.params = arg;
	(void) gsl_integration_qag(&f, lo, hi, epsabs, 1e-13, CLV_QUAD_LIMIT, GSL_INTEG_GAUSS61, clv_quad_ws,
							   &result, &abserr);
	return result;
}

/*
 * Integral of f from `mode` outwards in direction `dir` (+1 or -1) up to `limit`, over segments of doubling
 * length (step, 2 step, 4 step, ...) until logf has dropped 46 below `peak` (e^-46 ~ 1e-20): each segment
 * spans a bounded range of the log-concave integrand, so the adaptive rule never integrates a long flat
 * tail in one piece (where Gauss-Kronrod can report a small error on a wrong result).
 */
static double
ClvIntegrateOut(double (*f) (double, void *), double (*logf) (double, void *), void *arg, double mode,
				double peak, double dir, double step, double limit)
{
	double		total = 0,
				from = mode;

	for (int i = 0; i < 400; i++)
	{
		double		to = from + dir * step;
		bool		last = false;
		double		epsabs;

		if ((dir > 0 && to >= limit) || (dir < 0 && to <= limit))
		{
			to = limit;
			last = true;
		}
		/* past the first segment only the accuracy relative to the whole integral matters */
		epsabs = i == 0 ? 0.0 : 1e-16 * total;

		total += dir > 0 ? ClvIntegrate(f, arg, from, to, epsabs) : ClvIntegrate(f, arg, to, from, epsabs);
		if (last || !(logf(to, arg) - peak > -46.0))
			break;
		from = to;
		step *= 2;
	}
	return total;
}

/*
 * log 2F1(1, p1; p1 + p2; z) for 0 <= z < 1, w = 1 - z given separately (it is computed without
 * cancellation by the caller).  The terms of the series sum_n (p1)_n / (p1 + p2)_n z^n are positive and
 * shrink by at most z, so the sum lies in [1, 1/w].  When it would take more than 5000 terms, the integral
 * 2F1(1, p1; P; z) / (P - 1) = int_0^inf e^{(1 - p2) u} (z + w e^u)^{-p1} du (substitute k + tau = (k + t) e^u
 * in the Pareto/NBD integral below) is taken by adaptive quadrature around its mode: its log is concave.
 */
typedef struct ClvHypArg
{
	double		p1,
				kappa,			/* 1 - p2 */
				q,				/* w e^u* / (z + w e^u*): kappa / p1 at an interior mode, w at u* = 0 */
				umode,
				lsemode,		/* log(z + w e^u*) */
				z,
				w;
	bool		interior;
	int			weight;			/* 0: none; 1: u; 2: log(z + w e^u); 3: (e^u - 1) / (z + w e^u) */
} ClvHypArg;

/* u - log1p(u), accurate near 0 (the second-order remainder of log1p). */
static double
ClvLog1pRemainder(double u)
{
	if (fabs(u) < 0.01)
	{
		double		term = u,
					sum = 0;

		for (int k = 2; k <= 12; k++)
		{
			term *= -u;
			sum += term / k;
		}
		return -sum;
	}
	return u - log1p(u);
}

/*
 * log of the 2F1 integrand above minus its value at the mode u*, at u = u* + d:
 * kappa d - p1 log1p(q expm1(d)); near an interior mode (where p1 q = kappa) the first-order terms are
 * cancelled analytically: kappa (d - expm1(d)) + p1 (q expm1(d) - log1p(q expm1(d))).
 */
static double
ClvHypLogIntegrand(double d, void *arg)
{
	ClvHypArg  *h = (ClvHypArg *) arg;
	double		em1 = fabs(d) < 1 ? expm1(d) : 0;

	if (h->interior && fabs(d) < 1)
		return h->kappa * (d - em1) + h->p1 * ClvLog1pRemainder(h->q * em1);
	if (fabs(d) < 1)
		return h->kappa * d - h->p1 * log1p(h->q * em1);
	/* log1p(q expm1(d)) = log((1 - q) + q e^d), without overflow for large d */
	return h->kappa * d - h->p1 * ClvLogAddExp(log1p(-h->q), log(h->q) + d);
}

/* The 2F1 integrand relative to its value at the mode, times the weight of a parameter derivative. */
static double
ClvHypIntegrand(double d, void *arg)
{
	ClvHypArg  *h = (ClvHypArg *) arg;
	double		f = exp(ClvHypLogIntegrand(d, arg));
	double		u = h->umode + d;

	switch (h->weight)
	{
		case 1:
			return f * u;
		case 2:
			return f * (h->lsemode + (fabs(d) < 1 ? log1p(h->q * expm1(d)) :
									  ClvLogAddExp(log1p(-h->q), log(h->q) + d)));
		case 3:
			return f * (-expm1(-u) / (h->z * exp(-u) + h->w));
		default:
			return f;
	}
}

/*
 * log 2F1(1, p1; P; z) for z near 1 by the 1 - z transformation (Abramowitz & Stegun 15.3.6) with
 * d = P - 1 - p1 = p2 - 1, which here has a closed-form second term because 2F1(a, b; b; w) = (1-w)^-a:
 *   G = (P-1)/(p2-1) 2F1(1, p1; 2-p2; w) + Gamma(P) Gamma(1-p2) / Gamma(p1) w^(p2-1) z^(1-P).
 * The two terms cancel as p2 nears an integer, and the first series needs p1 w moderate: *ok is false
 * (use the quadrature) when p2 is within 1e-3 of an integer, p1 w > 50, or the terms cancel.  Derivatives as
 * in ClvLogHyp1.
 */
static double
ClvLogHyp1Reflect(double p1, double p2, double z, double w, double Pm1, double *grad, bool *ok)
{
	double		c = 2 - p2,
				term = 1,
				H = 1,
				Hp1 = 0,
				Hp2 = 0,
				Hw = 0,
				a = 0,
				b = 0,
				T1,
				T2,
				L2,
				G,
				sg;
	gsl_sf_result lg1p2;
	bool		done = false;

	*ok = false;
	if (fabs(p2 - rint(p2)) < 1e-3 || p1 * w > 50)
		return 0;
	for (int n = 0; n < 2000; n++)
	{
		a += 1.0 / (p1 + n);
		b += 1.0 / (c + n);
		term *= (p1 + n) / (c + n) * w;
		H += term;
		Hp1 += term * a;
		Hp2 += term * b;
		Hw += term * (n + 1);
		if (fabs(term) * (n + 2) <= 1e-17 * fabs(H) && (p1 + n) / fabs(c + n) * w < 0.5)
		{
			done = true;
			break;
		}
	}
	if (!done || gsl_sf_lngamma_sgn_e(1 - p2, &lg1p2, &sg) != GSL_SUCCESS)
		return 0;
	T1 = Pm1 / (p2 - 1) * H;
	L2 = gsl_sf_lngamma(p1 + p2) - gsl_sf_lngamma(p1) + lg1p2.val + (p2 - 1) * log(w) - Pm1 * log(z);
	if (!isfinite(T1) || !(L2 < 700))
		return 0;
	T2 = sg * exp(L2);
	G = T1 + T2;
	if (!(G >= 1 && G <= 1 / w * (1 + 1e-12)) || fabs(T1) + fabs(T2) > 1e3 * G)
		return 0;
	if (grad)
	{
		double		psiP = gsl_sf_psi(p1 + p2);
		double		d1 = H / (p2 - 1) + Pm1 / (p2 - 1) * Hp1 + T2 * (psiP - gsl_sf_psi(p1) - log(z));
		double		d2 = -p1 / ((p2 - 1) * (p2 - 1)) * H + Pm1 / (p2 - 1) * Hp2
			+ T2 * (psiP - gsl_sf_psi(1 - p2) + log(w) - log(z));
		double		dz = -Pm1 / (p2 - 1) * Hw / w + T2 * (-(p2 - 1) / w - Pm1 / z);

		grad[0] = d1 / G;
		grad[1] = d2 / G;
		grad[2] = dz / G;
	}
	*ok = true;
	return log(G);
}

/*
 * See the comment above ClvHypArg.  With grad non-NULL also returns the partial derivatives of the log
 * with respect to p1, p2 and z in grad[0..2]: from the series, with ln t_n = sum_{j<n} [ln(p1+j) - ln(P+j)]
 * + n ln z, d/dp1 = sum_{j<n} [1/(p1+j) - 1/(P+j)], d/dp2 = -sum_{j<n} 1/(P+j), d/dz = n/z; from the integral
 * (1+v = e^u), by differentiating under it: d/dp2 -> -u, d/dp1 -> -log(z + w e^u),
 * d/dz = -d/dw -> p1 (e^u - 1) / (z + w e^u).
 */
static double
ClvLogHyp1(double p1, double p2, double z, double w, double Pm1, double *grad)
{
	double		sum = 1,
				term = 1,
				P = p1 + p2;
	ClvHypArg	h;
	double		hmax = 0,
				curv,
				scale,
				integral,
				lg;

	if (z <= 0)
	{
		if (grad)
		{
			grad[0] = grad[1] = 0;
			grad[2] = p1 / P;
		}
		return 0;
	}

	/*
	 * Where the terms of the series in z shrink slowly (z > 0.9, or z > 1/2 with p2 < 2: they decay like
	 * n^-p2 z^n) the 1 - z transformation converges faster (its series goes in w); where that cannot be
	 * used, the series in z when its 5000th term is small enough to stop there (z <= 0.9 always is;
	 * otherwise the term is z^5000 (p1)_5000 / (P)_5000, one lnpoch each), else the quadrature.
	 */
	if (z > 0.9 || (z > 0.5 && p2 < 2))
	{
		bool		ok;

		lg = ClvLogHyp1Reflect(p1, p2, z, w, Pm1, grad, &ok);
		if (ok)
			return lg;
	}
	if (z <= 0.9 || 5000 * log(z) + gsl_sf_lnpoch(p1, 5000) - gsl_sf_lnpoch(P, 5000) + log(z) <= log(1e-17 * w))
	{
		double		s1 = 0,
					s2 = 0,
					sz = 0,
					a = 0,
					b = 0;

		for (int n = 0; n < 5000; n++)
		{
			double		inv = 1.0 / (P + n);

			if (grad)
			{
				a += 1.0 / (p1 + n) - inv;
				b -= inv;
			}
			term *= (p1 + n) * inv * z;
			sum += term;
			if (grad)
			{
				s1 += term * a;
				s2 += term * b;
				sz += term * (n + 1);
				/* the derivative sums have tails up to (n + 1/w) / w times the term */
				if (term * z * (n + 1 + 1 / w) <= 1e-17 * sum * w)
				{
					grad[0] = s1 / sum;
					grad[1] = s2 / sum;
					grad[2] = sz / (z * sum);
					return log(sum);
				}
			}
			else if (term * z <= 1e-17 * sum * w)
				return log(sum);
		}
	}

	/*
	 * Quadrature in d = u - u*.  The mode: h'(u) = kappa - p1 w e^u / (z + w e^u) = 0, interior when
	 * kappa = 1 - p2 > 0 and e^u* = kappa z / ((P-1) w) > 1; there q = kappa / p1 and
	 * h(u*) = kappa u* - p1 (log z - log1p(-q)).  Otherwise u* = 0, q = w and h(0) = 0.
	 */
	h.p1 = p1;
	h.kappa = 1 - p2;
	h.interior = false;
	h.q = w;
	h.z = z;
	h.w = w;
	h.umode = 0;
	h.lsemode = 0;
	h.weight = 0;
	if (p2 < 1)
	{
		double		lu = log1p(-p2) + log(z) - log(Pm1) - log(w);

		if (lu > 0)
		{
			h.umode = lu;
			h.interior = true;
			h.q = h.kappa / p1;
			h.lsemode = log(z) - log1p(-h.q);
			hmax = h.kappa * h.umode - p1 * h.lsemode;
		}
	}
	curv = p1 * h.q * (1 - h.q);
	scale = Min(1.0, 1.0 / Max(fabs(h.kappa - p1 * h.q), sqrt(curv)));
	if (!isfinite(scale) || scale <= 0)
		scale = 1;
	for (int k = 0; k < (grad ? 4 : 1); k++)
	{
		double		v;

		h.weight = k;
		v = ClvIntegrateOut(ClvHypIntegrand, ClvHypLogIntegrand, &h, 0.0, 0.0, 1, scale, DBL_MAX);
		if (h.umode > 0)
			v += ClvIntegrateOut(ClvHypIntegrand, ClvHypLogIntegrand, &h, 0.0, 0.0, -1, scale, -h.umode);
		if (k == 0)
			integral = v;
		else if (k == 1)
			grad[1] = 1 / Pm1 - v / integral;
		else if (k == 2)
			grad[0] = 1 / Pm1 - v / integral;
		else
			grad[2] = p1 * v / integral;
	}
	lg = log(Pm1) + hmax + log(integral);
	/* the value is known to lie in [1, 1/w]: keep quadrature error inside */
	return Min(Max(lg, 0.0), -log(w));
}

/* ---------------------------------------------------------------------------------------------------------
 * BG/NBD
 *
 * L(r, alpha, a, b | x, t_x, T) = B(a, b+x)/B(a, b) Gamma(r+x)/Gamma(r) alpha^r / (alpha+T)^(r+x)
 *                                 * [1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)],
 * the bracket evaluated as softplus(D), D = log a - log(b+x-1) + (r+x) log((alpha+T)/(alpha+t_x)).
 * --------------------------------------------------------------------------------------------------------- */

/* D of the BG/NBD likelihood (x > 0). */
static double
BgnbdD(double r, double alpha, double a, double b, double x, double tx, double T)
{
	return log(a) - log(b + x - 1) + (r + x) * log1p((T - tx) / (alpha + tx));
}

/* One customer's BG/NBD log-likelihood. */
static double
BgnbdLogLik(const double *p, double x, double tx, double T)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];
	double		ll = gsl_sf_lnpoch(r, x) - r * log1p(T / alpha) - x * log(alpha + T)
		+ gsl_sf_lnbeta(a, b + x) - gsl_sf_lnbeta(a, b);

	if (x > 0)
		ll += ClvSoftplus(BgnbdD(r, alpha, a, b, x, tx, T));
	return ll;
}

/* BG/NBD P(alive | x, t_x, T) = 1 / (1 + e^D). */
static double
BgnbdPAlive(const double *p, double x, double tx, double T)
{
	if (x == 0)
		return 1.0;
	return exp(-ClvSoftplus(BgnbdD(p[0], p[1], p[2], p[3], x, tx, T)));
}

/*
 * Expected purchases in (T, T + t] of a customer known to be alive:
 *   Q = E_{p ~ Beta(a, b+x)} [(1 - (1 + p W)^-(r+x)) / p],  W = t / (alpha + T)
 * (alive: lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x), E[Y(t) | lambda, p] = (1 - e^{-lambda p t}) / p).
 * It equals the paper's (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)],
 * z = t/(alpha+T+t).  With A = r+x, C = a+b+x-1 and Pfaff's transformation the bracket is
 * 1 - 2F1(A, a-1; C; -W), and dividing (a-1) out of the series gives, without the 1 - (1 - eps)
 * cancellation nor the pole at a = 1:
 *   W <= 1/2:  Q = A W sum_m (A+1)_m (a)_m / ((C+1)_m (2)_m) (-W)^m              (alternating, |ratio| -> W)
 *   W  > 1/2:  Q = C L phi((a-1) L) - e^{(1-a) L} sum_{n>=1} (C-A)_n (a)_{n-1} / ((C+1)_{n-1} n!) z^n,
 *              L = log(1+W), phi(y) = (1 - e^-y)/y        (Pfaff on the other parameter, ratio -> z)
 * Where a series would cancel or converge slowly (W > 200, huge a), the Beta integral is taken by quadrature
 * in logit space.
 */
typedef struct BgnbdQArg
{
	double		a,
				bx,				/* b + x */
				pm,				/* the mode a / (a + b + x) */
				c,				/* a (b+x) / (a + b + x): curvature at the mode */
				A,
				W;
	bool		with_g;
} BgnbdQArg;

/*
 * log of the Beta kernel p^a (1-p)^(b+x) in logit space at logit(p) = logit(pm) + d, minus its value at the
 * mode: -a log1p(u1) - (b+x) log1p(u2), u1 = (1-pm) expm1(-d), u2 = pm expm1(d).  Near the mode the
 * first-order terms, which cancel (a (1-pm) = (b+x) pm = c), are summed analytically to -4 c sinh^2(d/2),
 * so that huge a and b+x do not turn the difference into rounding noise.
 */
static double
BgnbdQLogDensity(double d, void *arg)
{
	BgnbdQArg  *q = (BgnbdQArg *) arg;

	if (fabs(d) < 1)
	{
		double		sh = sinh(d / 2);

		return -4 * q->c * sh * sh + q->a * ClvLog1pRemainder((1 - q->pm) * expm1(-d))
			+ q->bx * ClvLog1pRemainder(q->pm * expm1(d));
	}
	/* log1p(u1) = log(pm + (1-pm) e^-d), log1p(u2) = log((1-pm) + pm e^d), without overflow */
	return -q->a * ClvLogAddExp(log(q->pm), log1p(-q->pm) - d)
		- q->bx * ClvLogAddExp(log1p(-q->pm), log(q->pm) + d);
}

/* Integrand of the quadrature: the Beta kernel relative to the mode, times (1 - (1+pW)^-A)/p when with_g. */
static double
BgnbdQIntegrand(double d, void *arg)
{
	BgnbdQArg  *q = (BgnbdQArg *) arg;
	double		dens = exp(BgnbdQLogDensity(d, arg));
	double		p,
				pw;

	if (!q->with_g || dens == 0)
		return dens;
	p = q->pm / (1 + (1 - q->pm) * expm1(-d));
	pw = p * q->W;
	if (!(p > 0) || pw < 1e-100)
		return dens * q->A * q->W;
	return dens * (-expm1(-q->A * log1p(pw)) / p);
}

/* Q by quadrature (see above). */
static double
BgnbdQQuadrature(double a, double bx, double A, double W)
{
	BgnbdQArg	q;
	double		sigma,
				num,
				den;

	q.a = a;
	q.bx = bx;
	q.pm = a / (a + bx);
	q.c = a * bx / (a + bx);
	q.A = A;
	q.W = W;
	sigma = Min(1.0, 1.0 / sqrt(q.c));
	if (!isfinite(sigma) || sigma <= 0)
		sigma = 1;
	q.with_g = true;
	num = ClvIntegrateOut(BgnbdQIntegrand, BgnbdQLogDensity, &q, 0.0, 0.0, -1, sigma, -DBL_MAX)
		+ ClvIntegrateOut(BgnbdQIntegrand, BgnbdQLogDensity, &q, 0.0, 0.0, 1, sigma, DBL_MAX);
	q.with_g = false;
	den = ClvIntegrateOut(BgnbdQIntegrand, BgnbdQLogDensity, &q, 0.0, 0.0, -1, sigma, -DBL_MAX)
		+ ClvIntegrateOut(BgnbdQIntegrand, BgnbdQLogDensity, &q, 0.0, 0.0, 1, sigma, DBL_MAX);
	return num / den;
}

/* Q, the expected purchases in the next t of a customer known to be alive (see above). */
static double
BgnbdQ(const double *p, double x, double t, double T)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];
	double		A = r + x,
				C = a + b + x - 1,
				W = t / (alpha + T);

	if (t == 0)
		return 0;
	if (W <= 0.5)
	{
		double		sum = 1,
					term = 1,
					maxabs = 1;
		bool		done = false;

		for (int m = 0; m < 20000; m++)
		{
			double		ratio = (A + 1 + m) / (C + 1 + m) * (a + m) / (m + 2) * W;

			term *= -ratio;
			sum += term;
			maxabs = Max(maxabs, fabs(term));
			if (fabs(term) <= 1e-17 * fabs(sum) && ratio < 1)
			{
				done = true;
				break;
			}
		}
		if (done && maxabs <= 1e4 * fabs(sum) && sum > 0)
			return A * W * sum;
	}
	else if (W <= 200)
	{
		double		z = W / (1 + W),
					L = log1p(W),
					CA = a + b - 1 - r,
					term = CA * z,
					sum = term,
					maxabs = fabs(term),
					t1,
					t2,
					q;
		bool		done = false;

		for (int n = 1; n < 20000; n++)
		{
			double		ratio = (CA + n) / (C + n) * (a + n - 1) / (n + 1) * z;

			term *= ratio;
			sum += term;
			maxabs = Max(maxabs, fabs(term));
			if (fabs(term) <= 1e-17 * fabs(sum) && fabs(ratio) < 1)
			{
				done = true;
				break;
			}
			if (sum == 0 && term == 0)
			{
				done = true;
				break;
			}
		}
		t1 = C * L * ClvPhi((a - 1) * L);
		t2 = exp((1 - a) * L) * sum;
		q = t1 - t2;
		if (done && maxabs <= 1e4 * Max(fabs(sum), 1e-300) && q > 1e-4 * Max(fabs(t1), fabs(t2)))
			return q;
	}
	return BgnbdQQuadrature(a, b + x, A, W);
}

/* ---------------------------------------------------------------------------------------------------------
 * Pareto/NBD
 *
 * L = Gamma(r+x)/Gamma(r) alpha^r beta^s [ (alpha+T)^-(r+x) (beta+T)^-s + s (F(t_x) - F(T)) ],
 * F(t) = int_t^inf (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau.  With m = max(alpha, beta), k = min, p1 the
 * exponent of the m factor and p2 of the k factor (P = p1 + p2 = r+s+x+1):
 *   F(t) = (m+t)^-p1 (k+t)^(1-p2) 2F1(1, p1; P; z) / (P-1),  z = (m-k)/(m+t) in [0, 1)
 * (Fader & Hardie's form through the larger of alpha+t, beta+t, after Euler's transformation, which makes
 * the series positive and bounded by 1/(1-z)).  s F(T) <= (alpha+T)^-(r+x) (beta+T)^-s, so
 * log(e^L1 + s F(t_x) - s F(T)) loses no precision to the subtraction.
 * --------------------------------------------------------------------------------------------------------- */

/* r log(alpha/(alpha+t)) + s log(beta/(beta+t)) - x log(alpha+t): the log of alpha^r beta^s / ((alpha+t)^(r+x) (beta+t)^s). */
static double
PnbdLogBase(const double *p, double x, double t)
{
	return -p[0] * log1p(t / p[1]) - p[2] * log1p(t / p[3]) - x * log(p[1] + t);
}

/*
 * log(alpha^r beta^s F(t)) for a customer with x repeat purchases (see above), written around PnbdLogBase so
 * that r log(alpha) does not cancel against (r+x) log(alpha+t) for large parameters.  With grad non-NULL
 * also its partial derivatives with respect to r, alpha, s, beta.
 */
static double
PnbdLogFScaled(const double *p, double x, double t, double *grad)
{
	double		r = p[0],
				alpha = p[1],
				s = p[2],
				beta = p[3];
	double		Pm1 = r + s + x;
	double		lbase = PnbdLogBase(p, x, t);
	double		hg[3];
	double		v;

	if (alpha >= beta)
	{
		v = lbase - log(Pm1) + ClvLogHyp1(r + x, s + 1, (alpha - beta) / (alpha + t), (beta + t) / (alpha + t), Pm1,
										  grad ? hg : NULL);
		if (grad)
		{
			grad[0] = hg[0];
			grad[2] = hg[1];
			grad[1] = hg[2] * (beta + t) / ((alpha + t) * (alpha + t));
			grad[3] = -hg[2] / (alpha + t);
		}
	}
	else
	{
		v = lbase + log(alpha + t) - log(beta + t) - log(Pm1)
			+ ClvLogHyp1(s + 1, r + x, (beta - alpha) / (beta + t), (alpha + t) / (beta + t), Pm1, grad ? hg : NULL);
		if (grad)
		{
			grad[0] = hg[1];
			grad[2] = hg[0];
			grad[1] = -hg[2] / (beta + t) + 1 / (alpha + t);
			grad[3] = hg[2] * (alpha + t) / ((beta + t) * (beta + t)) - 1 / (beta + t);
		}
	}
	if (grad)
	{
		/* PnbdLogBase and -log(P-1) */
		grad[0] += -log1p(t / alpha) - 1 / Pm1;
		grad[1] += r * t / (alpha * (alpha + t)) - x / (alpha + t);
		grad[2] += -log1p(t / beta) - 1 / Pm1;
		grad[3] += s * t / (beta * (beta + t));
	}
	return v;
}

/* log(alpha^r beta^s bracket) of the Pareto/NBD likelihood, and its first term log(alpha^r beta^s e^L1). */
static double
PnbdLogBracket(const double *p, double x, double tx, double T, double *L1out)
{
	double		L1 = PnbdLogBase(p, x, T);
	double		ls = log(p[2]);

	*L1out = L1;
	if (tx >= T)
		return L1;
	return ClvLogAddSub(L1, ls + PnbdLogFScaled(p, x, tx, NULL), ls + PnbdLogFScaled(p, x, T, NULL));
}

/* One customer's Pareto/NBD log-likelihood. */
static double
PnbdLogLik(const double *p, double x, double tx, double T)
{
	double		L1;

	return gsl_sf_lnpoch(p[0], x) + PnbdLogBracket(p, x, tx, T, &L1);
}

/* Pareto/NBD P(alive | x, t_x, T) = e^L1 / bracket. */
static double
PnbdPAlive(const double *p, double x, double tx, double T)
{
	double		L1;
	double		lb = PnbdLogBracket(p, x, tx, T, &L1);

	return Min(1.0, exp(L1 - lb));
}

/* Expected purchases in the next t of an alive Pareto/NBD customer: (r+x)/(alpha+T) (beta+T) l phi((s-1) l). */
static double
PnbdQ(const double *p, double x, double t, double T)
{
	double		l = log1p(t / (p[3] + T));

	return (p[0] + x) / (p[1] + T) * (p[3] + T) * l * ClvPhi((p[2] - 1) * l);
}

/* Expected purchases in (T, T + t] (conditional expectation) under either model. */
static double
ClvExpectedPurchases(const ClvModel *m, double t, double x, double tx, double T)
{
	if (m->model == CLV_MODEL_BGNBD)
		return BgnbdPAlive(m->params, x, tx, T) * BgnbdQ(m->params, x, t, T);
	return PnbdPAlive(m->params, x, tx, T) * PnbdQ(m->params, x, t, T);
}

/* ---------------------------------------------------------------------------------------------------------
 * Gamma-Gamma spend model
 *
 * f(m | p, q, gamma, x) = Gamma(px+q)/(Gamma(px) Gamma(q)) gamma^q m^(px-1) x^px / (gamma + m x)^(px+q);
 * E[M | x, m] = p (gamma + m x) / (p x + q - 1), finite when p x + q > 1.
 * --------------------------------------------------------------------------------------------------------- */

/* Gamma-Gamma conditional mean spend; false when it is infinite (p x + q <= 1). */
static bool
GgExpectedSpend(const ClvModel *m, double x, double mon, double *out)
{
	double		p = m->spend[0],
				q = m->spend[1],
				g = m->spend[2];
	double		den = p * x + q - 1;

	if (!(den > 0))
		return false;
	*out = p * (g + (x > 0 ? mon * x : 0)) / den;
	return true;
}

/* ---------------------------------------------------------------------------------------------------------
 * Fitting: the data in collapsed form
 * --------------------------------------------------------------------------------------------------------- */
typedef struct ClvRow
{
	double		x,
				tx,
				T,
				m;				/* -1: no monetary value */
} ClvRow;

/* Orders rows by (x, t_x, T, m). */
static int
ClvRowCmp(const void *pa, const void *pb)
{
	const ClvRow *a = (const ClvRow *) pa;
	const ClvRow *b = (const ClvRow *) pb;

	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->tx != b->tx)
		return a->tx < b->tx ? -1 : 1;
	if (a->T != b->T)
		return a->T < b->T ? -1 : 1;
	if (a->m != b->m)
		return a->m < b->m ? -1 : 1;
	return 0;
}

/* Orders doubles. */
static int
ClvDoubleCmp(const void *pa, const void *pb)
{
	double		a = *(const double *) pa,
				b = *(const double *) pb;

	return a < b ? -1 : (a > b ? 1 : 0);
}

/* Sorts and deduplicates an array of doubles in place; returns the distinct count. */
static int
ClvUnique(double *v, int n)
{
	int			k = 0;

	qsort(v, n, sizeof(double), ClvDoubleCmp);
	for (int i = 0; i < n; i++)
		if (k == 0 || v[i] != v[k - 1])
			v[k++] = v[i];
	return k;
}

/* Index of value in a sorted distinct array (the value is known to be there). */
static int
ClvIndexOf(const double *v, int n, double value)
{
	int			lo = 0,
				hi = n - 1;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (v[mid] < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The transaction data: distinct (x, t_x, T) triples with weights, and the distinct values they use. */
typedef struct ClvData
{
	int			ntrip;
	double	   *w;				/* customers per triple */
	int		   *xi,
			   *ti,
			   *txi;
	int			nx,
				nT,
				ntx;
	double	   *xs,
			   *Ts,
			   *txs;
	/* Pareto/NBD: distinct (x index, time) pairs, the times being recencies and ages */
	int			npair;
	int		   *pair_x;
	double	   *pair_t;
	int		   *pair_of_tx,
			   *pair_of_T;
	double		n,
				sum_x,
				sum_T;
	/* scratch of one evaluation */
	double	   *sx[8];			/* per distinct x */
	double	   *sT[4];			/* per distinct T */
	double	   *stx[2];			/* per distinct t_x */
	double	   *spair;			/* per pair */
	double	   *spairg[4];		/* per pair: derivatives */
} ClvData;

/* The spend data: repeat customers with a monetary value, grouped by x. */
typedef struct ClvSpendData
{
	int			ngroups;
	double	   *gx,
			   *gn,
			   *gsumlogm,
			   *glogx;
	int		   *gstart;			/* group g owns u[gstart[g] .. gstart[g+1]) */
	double	   *u;				/* m * x per customer */
	double		n,
				sum_m;
} ClvSpendData;

/* Orders (x index, time) pairs. */
typedef struct ClvPair
{
	int			xi;
	double		t;
} ClvPair;

/* Orders ClvPair values. */
static int
ClvPairCmp(const void *pa, const void *pb)
{
	const ClvPair *a = (const ClvPair *) pa;
	const ClvPair *b = (const ClvPair *) pb;

	if (a->xi != b->xi)
		return a->xi < b->xi ? -1 : 1;
	return a->t < b->t ? -1 : (a->t > b->t ? 1 : 0);
}

/* Index of a pair in the sorted distinct pairs. */
static int
ClvPairIndex(const ClvPair *v, int n, int xi, double t)
{
	ClvPair		key = {xi, t};
	int			lo = 0,
				hi = n - 1;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (ClvPairCmp(&v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Builds the collapsed transaction data and the spend data from sorted rows. */
static void
ClvPrepare(const ClvRow *rows, int64 nrows, bool pairs, ClvData *d, ClvSpendData *sd)
{
	int64		ntrip = 0,
				nspend = 0;
	int			k;

	memset(d, 0, sizeof(*d));
	memset(sd, 0, sizeof(*sd));
	for (int64 i = 0; i < nrows; i++)
	{
		if (i == 0 || rows[i].x != rows[i - 1].x || rows[i].tx != rows[i - 1].tx || rows[i].T != rows[i - 1].T)
			ntrip++;
		if (rows[i].x > 0 && rows[i].m >= 0)
			nspend++;
	}
	if (ntrip > INT_MAX / 4)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct (frequency, recency, t) combinations for clv_fit")));
	d->ntrip = (int) ntrip;
	d->w = palloc_extended(sizeof(double) * Max(ntrip, 1), MCXT_ALLOC_HUGE);
	d->xi = palloc_extended(sizeof(int) * Max(ntrip, 1), MCXT_ALLOC_HUGE);
	d->ti = palloc_extended(sizeof(int) * Max(ntrip, 1), MCXT_ALLOC_HUGE);
	d->txi = palloc_extended(sizeof(int) * Max(ntrip, 1), MCXT_ALLOC_HUGE);
	d->xs = palloc_extended(sizeof(double) * Max(ntrip, 1), MCXT_ALLOC_HUGE);
	d->Ts = palloc_extended(sizeof(double) * Max(ntrip, 1), MCXT_ALLOC_HUGE);
	d->txs = palloc_extended(sizeof(double) * Max(ntrip, 1), MCXT_ALLOC_HUGE);

	/* triples, weights; distinct values collected first, indices after */
	k = -1;
	for (int64 i = 0; i < nrows; i++)
	{
		if (i == 0 || rows[i].x != rows[i - 1].x || rows[i].tx != rows[i - 1].tx || rows[i].T != rows[i - 1].T)
		{
			k++;
			d->w[k] = 0;
			d->xs[k] = rows[i].x;
			d->Ts[k] = rows[i].T;
			d->txs[k] = rows[i].tx;
		}
		d->w[k] += 1;
		d->n += 1;
		d->sum_x += rows[i].x;
		d->sum_T += rows[i].T;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	{
		double	   *x0 = palloc_extended(sizeof(double) * Max(ntrip, 1), MCXT_ALLOC_HUGE);
		double	   *T0 = palloc_extended(sizeof(double) * Max(ntrip, 1), MCXT_ALLOC_HUGE);
		double	   *tx0 = palloc_extended(sizeof(double) * Max(ntrip, 1), MCXT_ALLOC_HUGE);

		memcpy(x0, d->xs, sizeof(double) * ntrip);
		memcpy(T0, d->Ts, sizeof(double) * ntrip);
		memcpy(tx0, d->txs, sizeof(double) * ntrip);
		d->nx = ClvUnique(d->xs, d->ntrip);
		d->nT = ClvUnique(d->Ts, d->ntrip);
		d->ntx = ClvUnique(d->txs, d->ntrip);
		for (int i = 0; i < d->ntrip; i++)
		{
			d->xi[i] = ClvIndexOf(d->xs, d->nx, x0[i]);
			d->ti[i] = ClvIndexOf(d->Ts, d->nT, T0[i]);
			d->txi[i] = ClvIndexOf(d->txs, d->ntx, tx0[i]);
		}
		pfree(x0);
		pfree(T0);
		pfree(tx0);
	}
	for (int j = 0; j < 8; j++)
		d->sx[j] = palloc(sizeof(double) * d->nx);
	for (int j = 0; j < 4; j++)
		d->sT[j] = palloc_extended(sizeof(double) * d->nT, MCXT_ALLOC_HUGE);
	for (int j = 0; j < 2; j++)
		d->stx[j] = palloc_extended(sizeof(double) * d->ntx, MCXT_ALLOC_HUGE);

	if (pairs)
	{
		ClvPair    *pv = palloc_extended(sizeof(ClvPair) * 2 * Max(ntrip, 1), MCXT_ALLOC_HUGE);
		int			np = 0;

		for (int i = 0; i < d->ntrip; i++)
		{
			pv[2 * i].xi = d->xi[i];
			pv[2 * i].t = d->txs[d->txi[i]];
			pv[2 * i + 1].xi = d->xi[i];
			pv[2 * i + 1].t = d->Ts[d->ti[i]];
		}
		qsort(pv, 2 * (size_t) d->ntrip, sizeof(ClvPair), ClvPairCmp);
		for (int i = 0; i < 2 * d->ntrip; i++)
			if (np == 0 || ClvPairCmp(&pv[i], &pv[np - 1]) != 0)
				pv[np++] = pv[i];
		d->npair = np;
		d->pair_x = palloc_extended(sizeof(int) * Max(np, 1), MCXT_ALLOC_HUGE);
		d->pair_t = palloc_extended(sizeof(double) * Max(np, 1), MCXT_ALLOC_HUGE);
		d->spair = palloc_extended(sizeof(double) * Max(np, 1), MCXT_ALLOC_HUGE);
		for (int j = 0; j < 4; j++)
			d->spairg[j] = palloc_extended(sizeof(double) * Max(np, 1), MCXT_ALLOC_HUGE);
		for (int i = 0; i < np; i++)
		{
			d->pair_x[i] = pv[i].xi;
			d->pair_t[i] = pv[i].t;
		}
		d->pair_of_tx = palloc_extended(sizeof(int) * Max(ntrip, 1), MCXT_ALLOC_HUGE);
		d->pair_of_T = palloc_extended(sizeof(int) * Max(ntrip, 1), MCXT_ALLOC_HUGE);
		for (int i = 0; i < d->ntrip; i++)
		{
			d->pair_of_tx[i] = ClvPairIndex(pv, np, d->xi[i], d->txs[d->txi[i]]);
			d->pair_of_T[i] = ClvPairIndex(pv, np, d->xi[i], d->Ts[d->ti[i]]);
		}
		pfree(pv);
	}

	/* spend data, grouped by x (rows are sorted by x first) */
	if (nspend > 0)
	{
		int			g = -1;
		int64		j = 0;

		sd->u = palloc_extended(sizeof(double) * nspend, MCXT_ALLOC_HUGE);
		sd->gx = palloc(sizeof(double) * d->nx);
		sd->gn = palloc(sizeof(double) * d->nx);
		sd->gsumlogm = palloc(sizeof(double) * d->nx);
		sd->glogx = palloc(sizeof(double) * d->nx);
		sd->gstart = palloc(sizeof(int) * (d->nx + 1));
		for (int64 i = 0; i < nrows; i++)
		{
			if (!(rows[i].x > 0 && rows[i].m >= 0))
				continue;
			if (g < 0 || rows[i].x != sd->gx[g])
			{
				g++;
				sd->gx[g] = rows[i].x;
				sd->gn[g] = 0;
				sd->gsumlogm[g] = 0;
				sd->glogx[g] = log(rows[i].x);
				sd->gstart[g] = (int) j;
			}
			sd->gn[g] += 1;
			sd->gsumlogm[g] += log(rows[i].m);
			sd->u[j++] = rows[i].m * rows[i].x;
			sd->n += 1;
			sd->sum_m += rows[i].m;
		}
		sd->ngroups = g + 1;
		sd->gstart[g + 1] = (int) j;
	}
}

/* ---------------------------------------------------------------------------------------------------------
 * Objectives: mean negative log-likelihood over log-parameters (and its gradient when available)
 * --------------------------------------------------------------------------------------------------------- */
typedef double (*ClvObjectiveFn) (const double *theta, double *grad, void *arg);

/* BG/NBD mean negative log-likelihood and its analytic gradient over theta = log(r, alpha, a, b). */
static double
BgnbdObjective(const double *theta, double *grad, void *arg)
{
	ClvData    *d = (ClvData *) arg;
	double		r = exp(theta[0]),
				alpha = exp(theta[1]),
				a = exp(theta[2]),
				b = exp(theta[3]);
	double		la = theta[2];
	double		lnBab = gsl_sf_lnbeta(a, b);
	double		psi_r = gsl_sf_psi(r),
				psi_ab = gsl_sf_psi(a + b),
				psi_b = gsl_sf_psi(b);
	double		sum = 0,
				g0 = 0,
				g1 = 0,
				g2 = 0,
				g3 = 0;
	double	   *c0 = d->sx[0],
			   *dbase = d->sx[1],
			   *ibx = d->sx[2],
			   *dr = d->sx[3],
			   *da = d->sx[4],
			   *db = d->sx[5];
	double	   *lT = d->sT[0],
			   *iT = d->sT[1],
			   *l1p = d->sT[2],
			   *ltx = d->stx[0],
			   *itx = d->stx[1];

	CHECK_FOR_INTERRUPTS();
	for (int j = 0; j < d->nx; j++)
	{
		double		x = d->xs[j];

		c0[j] = gsl_sf_lnpoch(r, x) + gsl_sf_lnbeta(a, b + x) - lnBab;
		dbase[j] = x > 0 ? la - log(b + x - 1) : 0;
		ibx[j] = x > 0 ? 1.0 / (b + x - 1) : 0;
		if (grad)
		{
			double		psi_abx = gsl_sf_psi(a + b + x);

			dr[j] = x > 0 ? gsl_sf_psi(r + x) - psi_r : 0;
			da[j] = x > 0 ? psi_ab - psi_abx : 0;
			db[j] = x > 0 ? gsl_sf_psi(b + x) - psi_b + psi_ab - psi_abx : 0;
		}
	}
	for (int j = 0; j < d->nT; j++)
	{
		lT[j] = log(alpha + d->Ts[j]);
		iT[j] = 1.0 / (alpha + d->Ts[j]);
		l1p[j] = log1p(d->Ts[j] / alpha);
	}
	for (int j = 0; j < d->ntx; j++)
	{
		ltx[j] = log(alpha + d->txs[j]);
		itx[j] = 1.0 / (alpha + d->txs[j]);
	}
	for (int i = 0; i < d->ntrip; i++)
	{
		int			xj = d->xi[i],
					tj = d->ti[i];
		double		x = d->xs[xj],
					A = r + x,
					w = d->w[i];
		double		ll = c0[xj] - r * l1p[tj] - x * lT[tj];

		if (x > 0)
		{
			int			sj = d->txi[i];
			double		dl = lT[tj] - ltx[sj];
			double		D = dbase[xj] + A * dl;
			double		e = exp(-fabs(D));
			double		sig = D > 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);

			ll += Max(D, 0.0) + log1p(e);
			if (grad)
			{
				g0 += w * (dr[xj] - l1p[tj] + sig * dl);
				g1 += w * (r / alpha - A * iT[tj] + sig * A * (iT[tj] - itx[sj]));
				g2 += w * (da[xj] + sig / a);
				g3 += w * (db[xj] - sig * ibx[xj]);
			}
		}
		else if (grad)
		{
			g0 += w * (-l1p[tj]);
			g1 += w * (r / alpha - A * iT[tj]);
		}
		sum += w * ll;
	}
	if (grad)
	{
		grad[0] = -g0 * r / d->n;
		grad[1] = -g1 * alpha / d->n;
		grad[2] = -g2 * a / d->n;
		grad[3] = -g3 * b / d->n;
	}
	return -sum / d->n;
}

/*
 * Pareto/NBD mean negative log-likelihood and its analytic gradient over theta = log(r, alpha, s, beta):
 * with B = log(e^L1 + e^l2 - e^l3), dB = e^(L1-B) dL1 + e^(l2-B) dl2 - e^(l3-B) dl3.
 */
static double
PnbdObjective(const double *theta, double *grad, void *arg)
{
	ClvData    *d = (ClvData *) arg;
	double		p[4],
				g[4] = {0, 0, 0, 0};
	double		r,
				s,
				ls = theta[2],
				psi_r;
	double		sum = 0;
	double	   *c0 = d->sx[0],
			   *dr0 = d->sx[1],
			   *la = d->sT[0],
			   *l1a = d->sT[1],
			   *l1b = d->sT[2],
			   *ia = d->sT[3];

	CHECK_FOR_INTERRUPTS();
	for (int i = 0; i < 4; i++)
		p[i] = exp(theta[i]);
	r = p[0];
	s = p[2];
	psi_r = grad ? gsl_sf_psi(r) : 0;
	for (int j = 0; j < d->nx; j++)
	{
		c0[j] = gsl_sf_lnpoch(r, d->xs[j]);
		dr0[j] = grad && d->xs[j] > 0 ? gsl_sf_psi(r + d->xs[j]) - psi_r : 0;
	}
	for (int j = 0; j < d->nT; j++)
	{
		la[j] = log(p[1] + d->Ts[j]);
		l1a[j] = log1p(d->Ts[j] / p[1]);
		l1b[j] = log1p(d->Ts[j] / p[3]);
		ia[j] = 1 / (p[1] + d->Ts[j]);
	}
	for (int j = 0; j < d->npair; j++)
	{
		double		pg[4];

		d->spair[j] = PnbdLogFScaled(p, d->xs[d->pair_x[j]], d->pair_t[j], grad ? pg : NULL);
		if (grad)
			for (int k = 0; k < 4; k++)
				d->spairg[k][j] = pg[k];
		if ((j & 1023) == 1023)
			CHECK_FOR_INTERRUPTS();
	}
	for (int i = 0; i < d->ntrip; i++)
	{
		int			xj = d->xi[i],
					tj = d->ti[i];
		double		x = d->xs[xj],
					T = d->Ts[tj],
					w = d->w[i];
		double		L1 = -r * l1a[tj] - s * l1b[tj] - x * la[tj];
		double		br;

		if (d->txs[d->txi[i]] < T)
		{
			int			j2 = d->pair_of_tx[i],
						j3 = d->pair_of_T[i];
			double		l2 = ls + d->spair[j2],
						l3 = ls + d->spair[j3];

			br = ClvLogAddSub(L1, l2, l3);
			if (grad)
			{
				double		e1 = exp(L1 - br),
							e2 = exp(l2 - br),
							e3 = exp(l3 - br);

				g[0] += w * (dr0[xj] + e1 * -l1a[tj] + e2 * d->spairg[0][j2] - e3 * d->spairg[0][j3]);
				g[1] += w * (e1 * (r * T * ia[tj] / p[1] - x * ia[tj]) + e2 * d->spairg[1][j2] - e3 * d->spairg[1][j3]);
				g[2] += w * (e1 * -l1b[tj] + (e2 - e3) / s + e2 * d->spairg[2][j2] - e3 * d->spairg[2][j3]);
				g[3] += w * (e1 * s * T / (p[3] * (p[3] + T)) + e2 * d->spairg[3][j2] - e3 * d->spairg[3][j3]);
			}
		}
		else
		{
			br = L1;
			if (grad)
			{
				g[0] += w * (dr0[xj] - l1a[tj]);
				g[1] += w * (r * T * ia[tj] / p[1] - x * ia[tj]);
				g[2] += w * -l1b[tj];
				g[3] += w * s * T / (p[3] * (p[3] + T));
			}
		}
		sum += w * (c0[xj] + br);
	}
	if (grad)
		for (int k = 0; k < 4; k++)
			grad[k] = -g[k] * p[k] / d->n;
	return -sum / d->n;
}

/* Gamma-Gamma mean negative log-likelihood and analytic gradient over theta = log(p, q, gamma). */
static double
GgObjective(const double *theta, double *grad, void *arg)
{
	ClvSpendData *sd = (ClvSpendData *) arg;
	double		p = exp(theta[0]),
				q = exp(theta[1]),
				g = exp(theta[2]),
				lg = theta[2];
	double		lgq = gsl_sf_lngamma(q),
				psi_q = gsl_sf_psi(q);
	double		sum = 0,
				gp = 0,
				gq = 0,
				gg = 0;

	CHECK_FOR_INTERRUPTS();
	for (int j = 0; j < sd->ngroups; j++)
	{
		double		x = sd->gx[j],
					n = sd->gn[j],
					px = p * x;
		double		slog = 0,
					sinv = 0;

		for (int i = sd->gstart[j]; i < sd->gstart[j + 1]; i++)
		{
			double		v = g + sd->u[i];

			slog += log(v);
			if (grad)
				sinv += 1.0 / v;
		}
		sum += n * (gsl_sf_lnpoch(px, q) - lgq + q * lg + px * sd->glogx[j]) + (px - 1) * sd->gsumlogm[j]
			- (px + q) * slog;
		if (grad)
		{
			double		psi_pxq = gsl_sf_psi(px + q);

			gp += x * (n * (psi_pxq - gsl_sf_psi(px) + sd->glogx[j]) + sd->gsumlogm[j] - slog);
			gq += n * (psi_pxq - psi_q + lg) - slog;
			gg += n * q / g - (px + q) * sinv;
		}
	}
	if (grad)
	{
		grad[0] = -gp * p / sd->n;
		grad[1] = -gq * q / sd->n;
		grad[2] = -gg * g / sd->n;
	}
	return -sum / sd->n;
}

/* ---------------------------------------------------------------------------------------------------------
 * The optimizer
 * --------------------------------------------------------------------------------------------------------- */
typedef struct ClvProblem
{
	ClvObjectiveFn fn;
	void	   *arg;
	int			dim;
	bool		analytic;		/* fn computes the gradient */
	bool		forward;		/* numerical gradients by forward differences (cheaper, for BFGS) */
	double		n;				/* observations (the objective is a mean over them) */
} ClvProblem;

#define CLV_PENALTY 1.0
#define CLV_FD_STEP 1e-5

/* The objective with the log-parameters clamped to [-40, 40] and a quadratic penalty outside. */
static double
ClvEval(const ClvProblem *pb, const double *theta, double *grad)
{
	double		tc[4],
				pen = 0,
				f;


	for (int i = 0; i < pb->dim; i++)
	{
		tc[i] = Max(-CLV_LOG_BOUND, Min(CLV_LOG_BOUND, theta[i]));
		pen += CLV_PENALTY * (theta[i] - tc[i]) * (theta[i] - tc[i]);
	}
	if (grad && !pb->analytic)
	{
		f = pb->fn(tc, NULL, pb->arg);
		for (int i = 0; i < pb->dim; i++)
		{
			double		t0 = tc[i],
						fp,
						fm;

			if (pb->forward)
			{
				tc[i] = t0 + 1e-7;
				fp = pb->fn(tc, NULL, pb->arg);
				tc[i] = t0;
				grad[i] = (fp - f) / 1e-7;
				continue;
			}
			tc[i] = t0 + CLV_FD_STEP;
			fp = pb->fn(tc, NULL, pb->arg);
			tc[i] = t0 - CLV_FD_STEP;
			fm = pb->fn(tc, NULL, pb->arg);
			tc[i] = t0;
			grad[i] = (fp - fm) / (2 * CLV_FD_STEP);
		}
	}
	else
		f = pb->fn(tc, grad, pb->arg);
	if (grad)
		for (int i = 0; i < pb->dim; i++)
			grad[i] += 2 * CLV_PENALTY * (theta[i] - tc[i]);
	if (!isfinite(f))
		return GSL_POSINF;
	return f + pen;
}

/* GSL callback: objective value. */
static double
ClvGslF(const gsl_vector *v, void *params)
{
	const ClvProblem *pb = (const ClvProblem *) params;
	double		theta[4];

	for (int i = 0; i < pb->dim; i++)
		theta[i] = gsl_vector_get(v, i);
	return ClvEval(pb, theta, NULL);
}

/* GSL callback: objective value and gradient. */
static void
ClvGslFdf(const gsl_vector *v, void *params, double *f, gsl_vector *df)
{
	const ClvProblem *pb = (const ClvProblem *) params;
	double		theta[4],
				grad[4];

	for (int i = 0; i < pb->dim; i++)
		theta[i] = gsl_vector_get(v, i);
	*f = ClvEval(pb, theta, grad);
	for (int i = 0; i < pb->dim; i++)
		gsl_vector_set(df, i, isfinite(grad[i]) ? grad[i] : 0.0);
}

/* GSL callback: gradient. */
static void
ClvGslDf(const gsl_vector *v, void *params, gsl_vector *df)
{
	double		f;

	ClvGslFdf(v, params, &f, df);
}

/* Largest absolute gradient component. */
static double
ClvGradNorm(const double *g, int dim)
{
	double		m = 0;

	for (int i = 0; i < dim; i++)
		m = Max(m, fabs(g[i]));
	return isfinite(m) ? m : GSL_POSINF;
}

/* Hessian of the objective over theta, by central differences of the gradient (or of values). */
static void
ClvHessian(const ClvProblem *pb, const double *theta, double *H)
{
	int			d = pb->dim;
	double		t[4],
				gp[4],
				gm[4];

	memcpy(t, theta, sizeof(double) * d);
	if (pb->analytic)
	{
		const double h = 1e-5;

		for (int i = 0; i < d; i++)
		{
			t[i] = theta[i] + h;
			ClvEval(pb, t, gp);
			t[i] = theta[i] - h;
			ClvEval(pb, t, gm);
			t[i] = theta[i];
			for (int j = 0; j < d; j++)
				H[i * d + j] = (gp[j] - gm[j]) / (2 * h);
		}
		for (int i = 0; i < d; i++)
			for (int j = 0; j < i; j++)
				H[i * d + j] = H[j * d + i] = (H[i * d + j] + H[j * d + i]) / 2;
	}
	else
	{
		const double h = 1e-4;
		double		f0 = ClvEval(pb, theta, NULL);

		for (int i = 0; i < d; i++)
		{
			double		fp,
						fm;

			t[i] = theta[i] + h;
			fp = ClvEval(pb, t, NULL);
			t[i] = theta[i] - h;
			fm = ClvEval(pb, t, NULL);
			t[i] = theta[i];
			H[i * d + i] = (fp - 2 * f0 + fm) / (h * h);
			for (int j = 0; j < i; j++)
			{
				double		fpp,
							fpm,
							fmp,
							fmm;

				t[i] = theta[i] + h;
				t[j] = theta[j] + h;
				fpp = ClvEval(pb, t, NULL);
				t[j] = theta[j] - h;
				fpm = ClvEval(pb, t, NULL);
				t[i] = theta[i] - h;
				fmm = ClvEval(pb, t, NULL);
				t[j] = theta[j] + h;
				fmp = ClvEval(pb, t, NULL);
				t[i] = theta[i];
				t[j] = theta[j];
				H[i * d + j] = H[j * d + i] = (fpp - fpm - fmp + fmm) / (4 * h * h);
			}
		}
	}
}

/* Solves H x = b in place by Cholesky; false when H is not positive definite (or not finite). */
static bool
ClvCholeskySolve(const double *H, int d, double *b, double *inverse)
{
	double		a[16];
	gsl_matrix_view mv;
	gsl_vector_view bv;

	for (int i = 0; i < d * d; i++)
	{
		if (!isfinite(H[i]))
			return false;
		a[i] = H[i];
	}
	mv = gsl_matrix_view_array(a, d, d);
	if (gsl_linalg_cholesky_decomp1(&mv.matrix) != GSL_SUCCESS)
		return false;
	for (int i = 0; i < d; i++)
		if (!(gsl_matrix_get(&mv.matrix, i, i) > 0))
			return false;
	if (b)
	{
		bv = gsl_vector_view_array(b, d);
		if (gsl_linalg_cholesky_svx(&mv.matrix, &bv.vector) != GSL_SUCCESS)
			return false;
	}
	if (inverse)
	{
		if (gsl_linalg_cholesky_invert(&mv.matrix) != GSL_SUCCESS)
			return false;
		for (int i = 0; i < d * d; i++)
			inverse[i] = a[i];
	}
	return true;
}

typedef struct ClvOptResult
{
	double		theta[4];
	double		f;
	double		gnorm;
	int			iterations;
	bool		converged;
} ClvOptResult;

/* BFGS (vector_bfgs2) from theta; returns the iterations used, theta updated. */
static int
ClvRunBfgs(const ClvProblem *problem, double *theta, int maxiter, double gtol)
{
	ClvProblem	fwd = *problem;
	const ClvProblem *pb = &fwd;
	gsl_multimin_function_fdf fdf;
	gsl_multimin_fdfminimizer *volatile s = NULL;
	gsl_vector_view x0 = gsl_vector_view_array(theta, pb->dim);
	int			iter = 0;

	fdf.n = pb->dim;
	fdf.f = ClvGslF;
	fdf.df = ClvGslDf;
	fdf.fdf = ClvGslFdf;
	fdf.params = &fwd;
	fwd.forward = true;
	PG_TRY();
	{
		s = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, pb->dim);
		if (s == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		if (gsl_multimin_fdfminimizer_set(s, &fdf, &x0.vector, 0.1, 0.1) == GSL_SUCCESS &&
			isfinite(gsl_multimin_fdfminimizer_minimum(s)))
		{
			while (iter < maxiter)
			{
				CHECK_FOR_INTERRUPTS();
				iter++;
				if (gsl_multimin_fdfminimizer_iterate(s) != GSL_SUCCESS)
					break;
				if (gsl_multimin_test_gradient(gsl_multimin_fdfminimizer_gradient(s), gtol) == GSL_SUCCESS)
					break;
			}
			if (isfinite(gsl_multimin_fdfminimizer_minimum(s)))
				for (int i = 0; i < pb->dim; i++)
					theta[i] = gsl_vector_get(gsl_multimin_fdfminimizer_x(s), i);
		}
	}
	PG_FINALLY();
	{
		if (s)
			gsl_multimin_fdfminimizer_free(s);
	}
	PG_END_TRY();
	return iter;
}

/* Nelder-Mead (nmsimplex2) from theta; returns the iterations used, theta updated. */
static int
ClvRunSimplex(const ClvProblem *pb, double *theta, int maxiter)
{
	gsl_multimin_function fn;
	gsl_multimin_fminimizer *volatile s = NULL;
	gsl_vector_view x0 = gsl_vector_view_array(theta, pb->dim);
	double		steps[4] = {0.5, 0.5, 0.5, 0.5};
	gsl_vector_view sv = gsl_vector_view_array(steps, pb->dim);
	int			iter = 0;

	fn.n = pb->dim;
	fn.f = ClvGslF;
	fn.params = unconstify(ClvProblem *, pb);
	PG_TRY();
	{
		s = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, pb->dim);
		if (s == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		if (gsl_multimin_fminimizer_set(s, &fn, &x0.vector, &sv.vector) == GSL_SUCCESS)
		{
			while (iter < maxiter)
			{
				CHECK_FOR_INTERRUPTS();
				iter++;
				if (gsl_multimin_fminimizer_iterate(s) != GSL_SUCCESS)
					break;
				if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), 1e-6) == GSL_SUCCESS)
					break;
			}
			if (isfinite(gsl_multimin_fminimizer_minimum(s)))
				for (int i = 0; i < pb->dim; i++)
					theta[i] = gsl_vector_get(gsl_multimin_fminimizer_x(s), i);
		}
	}
	PG_FINALLY();
	{
		if (s)
			gsl_multimin_fminimizer_free(s);
	}
	PG_END_TRY();
	return iter;
}

/* Newton steps on the numerical Hessian with step halving; returns the steps taken. */
static int
ClvNewtonPolish(const ClvProblem *pb, double *theta, double *f, double *g)
{
	int			steps = 0;
	double		gold = ClvGradNorm(g, pb->dim),
				gnew;

	for (int it = 0; it < 8; it++)
	{
		double		H[16],
					delta[4],
					t[4],
					gn[4],
					fn;
		bool		accepted = false;

		CHECK_FOR_INTERRUPTS();
		ClvHessian(pb, theta, H);
		for (int i = 0; i < pb->dim; i++)
			delta[i] = -g[i];
		if (!ClvCholeskySolve(H, pb->dim, delta, NULL))
			break;
		for (double lambda = 1; lambda > 1e-3; lambda /= 4)
		{
			for (int i = 0; i < pb->dim; i++)
				t[i] = theta[i] + lambda * delta[i];
			fn = ClvEval(pb, t, gn);
			/* near the optimum f changes by less than its rounding: then a smaller gradient decides */
			if (fn < *f || (fn <= *f + 1e-14 * fabs(*f) && ClvGradNorm(gn, pb->dim) < ClvGradNorm(g, pb->dim)))
			{
				memcpy(theta, t, sizeof(double) * pb->dim);
				memcpy(g, gn, sizeof(double) * pb->dim);
				*f = fn;
				accepted = true;
				break;
			}
		}
		if (!accepted)
			break;
		steps++;
		/* stop at the noise floor of the gradient, or when the steps no longer converge quadratically */
		gnew = ClvGradNorm(g, pb->dim);
		if (gnew < (pb->analytic ? 1e-12 : 1e-9) || gnew > 0.25 * gold)
			break;
		gold = gnew;
	}
	return steps;
}

/* Minimises from one start: BFGS, Nelder-Mead and BFGS again when that did not converge, Newton polish. */
static void
ClvMinimizeFrom(const ClvProblem *pb, const double *start, double gtol, ClvOptResult *res)
{
	double		theta[4],
				g[4];
	int			iter;

	/* BFGS gets close; Newton steps on the numerical Hessian converge quadratically from there */
	memcpy(theta, start, sizeof(double) * pb->dim);
	iter = ClvRunBfgs(pb, theta, 200, 1e-6);
	res->f = ClvEval(pb, theta, g);

	/*
	 * BFGS stalled away from a stationary point: restart from a Nelder-Mead search, unless the parameters
	 * are running off to the bounds (data without the information to pin them down), which no restart fixes
	 */
	if (!(ClvGradNorm(g, pb->dim) <= 1e-4))
	{
		bool		runaway = false;

		for (int i = 0; i < pb->dim; i++)
			runaway |= fabs(theta[i]) > CLV_LOG_BOUND - 10;
		if (!runaway)
		{
			iter += ClvRunSimplex(pb, theta, 500);
			iter += ClvRunBfgs(pb, theta, 200, 1e-6);
			res->f = ClvEval(pb, theta, g);
		}
	}
	iter += ClvNewtonPolish(pb, theta, &res->f, g);
	memcpy(res->theta, theta, sizeof(double) * pb->dim);
	res->gnorm = ClvGradNorm(g, pb->dim);
	res->iterations = iter;
	res->converged = isfinite(res->f) && res->gnorm <= gtol;
	for (int i = 0; i < pb->dim; i++)
		if (fabs(theta[i]) >= CLV_LOG_BOUND - 1e-9)
			res->converged = false;
}

/* Minimises from several starts and keeps the best; fills natural parameters and standard errors. */
static void
ClvMinimize(const ClvProblem *pb, const double (*starts)[4], int nstarts, double gtol, ClvOptResult *best,
			double *params, double *se, bool *has_se)
{
	double		H[16],
				cov[16],
				g[4];
	int			d = pb->dim;

	best->f = GSL_POSINF;
	for (int k = 0; k < nstarts; k++)
	{
		ClvOptResult res;

		ClvMinimizeFrom(pb, starts[k], gtol, &res);
		if (k == 0 || res.f < best->f || (!isfinite(best->f) && isfinite(res.f)))
			*best = res;
	}
	for (int i = 0; i < d; i++)
		params[i] = exp(Max(-CLV_LOG_BOUND, Min(CLV_LOG_BOUND, best->theta[i])));

	/*
	 * Hessian in the natural parameters: d2f/dp_i dp_j = (H_theta[i][j] - [i = j] g_theta[i]) / (p_i p_j);
	 * the covariance is its inverse over n (the objective is a mean).
	 */
	*has_se = false;
	ClvHessian(pb, best->theta, H);
	ClvEval(pb, best->theta, g);
	for (int i = 0; i < d; i++)
		for (int j = 0; j < d; j++)
			H[i * d + j] = (H[i * d + j] - (i == j ? g[i] : 0)) / (params[i] * params[j]) * pb->n;
	if (ClvCholeskySolve(H, d, NULL, cov))
	{
		*has_se = true;
		for (int i = 0; i < d; i++)
		{
			se[i] = sqrt(cov[i * d + i]);
			if (!isfinite(se[i]))
				*has_se = false;
		}
	}
	if (!*has_se)
		for (int i = 0; i < d; i++)
			se[i] = 0;
}

/* ---------------------------------------------------------------------------------------------------------
 * The aggregate
 * --------------------------------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(clv_fit_transfn);
/*
 * clv_fit transition (all overloads): (state, frequency, recency, t [, monetary [, model [, unit]]]).
 * Rows with a NULL frequency, recency or t are skipped; monetary NULL means no spend value for that row.
 */
Datum
clv_fit_transfn(PG_FUNCTION_ARGS)
{
	int			nargs = PG_NARGS();
	float8		params[SM_ROWS_PARAMS] = {0};
	float8		row[4];
	int			model = CLV_MODEL_BGNBD,
				unit = CLV_UNIT_DAYS;
	SmRowBuffer *buf;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		SM_SKIP_ROW();
	if (nargs > 5)
	{
		if (PG_ARGISNULL(5))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("clv_fit: model must not be NULL"),
					 errhint("Use 'bgnbd' (BG/NBD) or 'pnbd' (Pareto/NBD).")));
		model = ClvParseModelName(text_to_cstring(PG_GETARG_TEXT_PP(5)));
	}
	if (nargs > 6)
	{
		if (PG_ARGISNULL(6))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("clv_fit: unit must not be NULL"),
					 errhint("Use 'days' or 'weeks'.")));
		unit = ClvParseUnitName(text_to_cstring(PG_GETARG_TEXT_PP(6)));
	}
	/* + 0.0 turns -0 into +0, so that sorting gives one canonical order */
	row[0] = PG_GETARG_FLOAT8(1) + 0.0;
	row[1] = PG_GETARG_FLOAT8(2) + 0.0;
	row[2] = PG_GETARG_FLOAT8(3) + 0.0;
	ClvCheckCustomer(row[0], row[1], row[2]);
	row[3] = -1;
	if (nargs > 4 && !PG_ARGISNULL(4))
	{
		float8		m = PG_GETARG_FLOAT8(4) + 0.0;

		ClvCheckMonetary(m, row[0], true);
		if (row[0] > 0)
			row[3] = m;
	}
	buf = SmRowBufferForUpdate(fcinfo, &sm_clv_fit_kind);
	params[0] = model;
	params[1] = unit;
	SmRowBufferSetParams(buf, &sm_clv_fit_kind, params);
	buf = SmRowBufferAppend(buf, &sm_clv_fit_kind, row, CurrentMemoryContext);
	PG_RETURN_POINTER(buf);
}

/* Raises the error for a clv_fit_state whose contents clv_fit could not have produced. */
static void
ClvInvalidState(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid clv_fit_state: %s", why)));
}

PG_FUNCTION_INFO_V1(clv_fit_final);
/*
 * Final function of clv_fit: the fitted model, or NULL with fewer than 10 customers or without any repeat
 * purchase (the maximum-likelihood estimate then does not exist).  The spend model is fitted when at least
 * 10 repeat customers have a monetary value.
 */
Datum
clv_fit_final(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf;
	int			model,
				unit;
	ClvRow	   *rows;
	int64		nrows,
				nrep = 0;
	MemoryContext cxt,
				old;
	ClvData		d;
	ClvSpendData sd;
	ClvModel   *result;
	ClvProblem	pb;
	ClvOptResult best;
	double		params[4],
				se[4];
	bool		has_se;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	buf = SmRowBufferArg(fcinfo, 0, &sm_clv_fit_kind);
	if (buf->nrows == 0)
		PG_RETURN_NULL();
	if (!(buf->flags & SM_ROWS_PARAMS_SET))
		ClvInvalidState("rows without model and unit");
	model = (int) buf->params[0];
	unit = (int) buf->params[1];
	if (buf->params[0] != model || (model != CLV_MODEL_BGNBD && model != CLV_MODEL_PNBD))
		ClvInvalidState("unknown model code");
	if (buf->params[1] != unit || (unit != CLV_UNIT_DAYS && unit != CLV_UNIT_WEEKS))
		ClvInvalidState("unknown unit code");
	nrows = buf->nrows;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "clv_fit", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);

	/* copy, re-check (the state may come from text input), sort */
	rows = palloc_extended(sizeof(ClvRow) * nrows, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < nrows; i++)
	{
		const float8 *v = &buf->values[i * 4];

		rows[i].x = v[0];
		rows[i].tx = v[1];
		rows[i].T = v[2];
		rows[i].m = v[3];
		ClvCheckCustomer(v[0], v[1], v[2]);
		if (v[3] != -1)
		{
			ClvCheckMonetary(v[3], v[0], true);
			if (v[0] == 0)
				ClvInvalidState("monetary stored for a customer without repeat purchases");
		}
		if (v[0] > 0)
			nrep++;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (nrows < CLV_MIN_CUSTOMERS || nrep == 0)
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
		PG_RETURN_NULL();
	}
	qsort(rows, nrows, sizeof(ClvRow), ClvRowCmp);
	ClvPrepare(rows, nrows, model == CLV_MODEL_PNBD, &d, &sd);
	pfree(rows);

	result = (ClvModel *) MemoryContextAllocZero(old, sizeof(ClvModel));
	SET_VARSIZE(result, sizeof(ClvModel));
	result->version = CLV_MODEL_VERSION;
	result->model = (uint8) model;
	result->unit = (uint8) unit;

	/* transaction model */
	{
		double		rate = d.sum_x / d.sum_T;
		double		meanT = d.sum_T / d.n;
		double		starts[2][4];

		if (model == CLV_MODEL_BGNBD)
		{
			double		s0[4] = {1.0, 1.0 / rate, 1.0, 3.0},
						s1[4] = {0.25, 0.25 / rate, 0.5, 5.0};

			for (int i = 0; i < 4; i++)
			{
				starts[0][i] = log(s0[i]);
				starts[1][i] = log(s1[i]);
			}
			pb.fn = BgnbdObjective;
			pb.analytic = true;
			pb.forward = false;
		}
		else
		{
			double		s0[4] = {1.0, 1.0 / rate, 1.0, meanT},
						s1[4] = {0.25, 0.25 / rate, 0.5, 5 * meanT};

			for (int i = 0; i < 4; i++)
			{
				starts[0][i] = log(s0[i]);
				starts[1][i] = log(s1[i]);
			}
			pb.fn = PnbdObjective;
			pb.analytic = true;
			pb.forward = false;
		}
		for (int k = 0; k < 2; k++)
			for (int i = 0; i < 4; i++)
				starts[k][i] = Max(-CLV_LOG_BOUND + 1, Min(CLV_LOG_BOUND - 1, starts[k][i]));
		pb.arg = &d;
		pb.dim = 4;
		pb.n = d.n;
		ClvMinimize(&pb, (const double (*)[4]) starts, 2, 1e-8, &best,
					params, se, &has_se);
		if (!isfinite(best.f))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("clv_fit: the likelihood cannot be evaluated for these data")));
		memcpy(result->params, params, sizeof(params));
		result->log_likelihood = -best.f * d.n;
		result->n_customers = (int64) d.n;
		result->iterations = best.iterations;
		result->flags |= CLV_FIT_INFO | (best.converged ? CLV_CONVERGED : 0);
		if (has_se)
		{
			memcpy(result->se, se, sizeof(se));
			result->flags |= CLV_HAS_SE;
		}
	}

	/* spend model */
	if (sd.n >= CLV_MIN_CUSTOMERS)
	{
		double		mbar = sd.sum_m / sd.n;
		double		starts[2][4] = {{log(2.0), log(3.0), log(mbar)}, {log(6.0), log(4.0), log(mbar / 2)}};

		for (int k = 0; k < 2; k++)
			for (int i = 0; i < 3; i++)
				starts[k][i] = Max(-CLV_LOG_BOUND + 1, Min(CLV_LOG_BOUND - 1, starts[k][i]));
		pb.fn = GgObjective;
		pb.arg = &sd;
		pb.dim = 3;
		pb.analytic = true;
		pb.forward = false;
		pb.n = sd.n;
		ClvMinimize(&pb, (const double (*)[4]) starts, 2, 1e-8, &best, params, se, &has_se);
		if (isfinite(best.f))
		{
			memcpy(result->spend, params, sizeof(double) * 3);
			result->spend_log_likelihood = -best.f * sd.n;
			result->n_repeaters = (int64) sd.n;
			result->spend_iterations = best.iterations;
			result->flags |= CLV_HAS_SPEND | CLV_SPEND_FIT_INFO | (best.converged ? CLV_SPEND_CONVERGED : 0);
			if (has_se)
			{
				memcpy(result->spend_se, se, sizeof(double) * 3);
				result->flags |= CLV_HAS_SPEND_SE;
			}
		}
	}

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	ClvModelValidate(result);
	PG_RETURN_POINTER(result);
}

/* ---------------------------------------------------------------------------------------------------------
 * Readers
 * --------------------------------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(clv_expected_purchases);
/* expected_purchases(model, horizon, frequency, recency, t): E[purchases in (t, t + horizon] | x, t_x, T]. */
Datum
clv_expected_purchases(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelArg(fcinfo, 0);
	float8		h = PG_GETARG_FLOAT8(1),
				x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				T = PG_GETARG_FLOAT8(4);
	double		v;

	SmCheckNonNegative(h, "horizon");
	ClvCheckMax(h, "horizon");
	ClvCheckCustomer(x, tx, T);
	v = ClvExpectedPurchases(m, h, x, tx, T);
	ClvCheckResult(v, "expected_purchases");
	PG_RETURN_FLOAT8(Max(v, 0.0));
}

PG_FUNCTION_INFO_V1(clv_probability_alive);
/* probability_alive(model, frequency, recency, t): P(the customer is still active at t | x, t_x, T). */
Datum
clv_probability_alive(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelArg(fcinfo, 0);
	float8		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3);
	double		v;

	ClvCheckCustomer(x, tx, T);
	v = m->model == CLV_MODEL_BGNBD ? BgnbdPAlive(m->params, x, tx, T) : PnbdPAlive(m->params, x, tx, T);
	ClvCheckResult(v, "probability_alive");
	PG_RETURN_FLOAT8(Max(0.0, Min(1.0, v)));
}

PG_FUNCTION_INFO_V1(clv_log_likelihood);
/* clv_log_likelihood(model, frequency, recency, t): one customer's log-likelihood under the purchase model. */
Datum
clv_log_likelihood(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelArg(fcinfo, 0);
	float8		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3);
	double		v;

	ClvCheckCustomer(x, tx, T);
	v = m->model == CLV_MODEL_BGNBD ? BgnbdLogLik(m->params, x, tx, T) : PnbdLogLik(m->params, x, tx, T);
	ClvCheckResult(v, "clv_log_likelihood");
	PG_RETURN_FLOAT8(v);
}

/* Raises the error for a reader that needs the spend model when the model has none. */
static void
ClvRequireSpend(const ClvModel *m, const char *fname)
{
	if (!(m->flags & CLV_HAS_SPEND))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the model has no spend (Gamma-Gamma) part", fname),
				 errhint("Pass monetary to clv_fit; the spend model needs at least 10 repeat customers with a monetary value.")));
}

PG_FUNCTION_INFO_V1(clv_expected_spend);
/* expected_spend(model, frequency, monetary): Gamma-Gamma conditional mean value of a future purchase. */
Datum
clv_expected_spend(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelArg(fcinfo, 0);
	float8		x = PG_GETARG_FLOAT8(1),
				mon = PG_GETARG_FLOAT8(2);
	double		v;

	SmCheckNonNegative(x, "frequency");
	if (x != floor(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be a whole number of repeat purchases, got %s", float8out_internal(x))));
	ClvCheckMax(x, "frequency");
	ClvCheckMonetary(mon, x, false);
	ClvRequireSpend(m, "expected_spend");
	if (!GgExpectedSpend(m, x, mon, &v))
		PG_RETURN_NULL();
	ClvCheckResult(v, "expected_spend");
	PG_RETURN_FLOAT8(v);
}

PG_FUNCTION_INFO_V1(clv_estimate);
/*
 * clv_estimate(model, frequency, recency, t, monetary, horizon, discount_rate): expected value of the
 * purchases in the next `horizon` time units, discounted per unit period: sum over k = 1..ceil(horizon) of
 * (E[purchases by min(k, horizon)] - E[purchases by k-1]) * expected_spend / (1 + discount_rate)^k.
 */
Datum
clv_estimate(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelArg(fcinfo, 0);
	float8		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3),
				mon = PG_GETARG_FLOAT8(4),
				h = PG_GETARG_FLOAT8(5),
				dr = PG_GETARG_FLOAT8(6);
	double		spend,
				total = 0,
				prev = 0,
				ldisc;
	int			K;

	ClvCheckCustomer(x, tx, T);
	ClvCheckMonetary(mon, x, false);
	SmCheckNonNegative(h, "horizon");
	if (h > CLV_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be at most %d periods, got %s", CLV_MAX_PERIODS, float8out_internal(h)),
				 errhint("Periods are the model's time unit; fit in weeks for long horizons.")));
	SmCheckNonNegative(dr, "discount_rate");
	ClvRequireSpend(m, "clv_estimate");
	if (!GgExpectedSpend(m, x, mon, &spend))
		PG_RETURN_NULL();
	K = (int) ceil(h);
	ldisc = log1p(dr);
	for (int k = 1; k <= K; k++)
	{
		double		e = ClvExpectedPurchases(m, Min((double) k, h), x, tx, T);

		ClvCheckResult(e, "clv_estimate");
		total += (e - prev) * exp(-k * ldisc);
		prev = e;
		if ((k & 63) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	total *= spend;
	ClvCheckResult(total, "clv_estimate");
	PG_RETURN_FLOAT8(Max(total, 0.0));
}
