/*
 * forecast/model.c — the forecast_model type (its stored form, consistency checks, JSON text and binary I/O)
 * and forecast_points, the forecasts of a model with their prediction intervals.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"

#include <gsl/gsl_cdf.h>

#include "core/binary.h"
#include "core/json.h"
#include "core/validate.h"
#include "forecast/forecast.h"

#define FC_MODEL_VERSION 1
#define FC_NDOUBLES 17
#define FC_MAX_HORIZON 3660

/* The stored value: a header, the doubles of FcModel in FcDoubleFields order, then season_length seasonal states. */
typedef struct FcModelValue
{
	int32		vl_len_;
	uint8		version;
	uint8		method;
	uint16		flags;
	int32		season_length;
	int32		n;
	int32		first_day;
	int32		nparams;
	int32		sim_paths;
	int64		sim_seed;
	float8		d[FC_NDOUBLES];
	float8		seasonal[FLEXIBLE_ARRAY_MEMBER];
} FcModelValue;

/* JSON names of the doubles, in stored order (pointers into FcModel set by FcDoubleFields). */
static const char *const fc_double_names[FC_NDOUBLES] = {
	"alpha", "beta", "gamma", "phi", "level", "trend", "sigma2", "loglik", "aic", "aicc", "bic", "sse",
	"adi", "cv2", "size", "interval", "probability"
};

static void
FcDoubleFields(FcModel *m, double **f)
{
	double	   *p[FC_NDOUBLES] = {&m->alpha, &m->beta, &m->gamma, &m->phi, &m->level, &m->trend, &m->sigma2,
		&m->loglik, &m->aic, &m->aicc, &m->bic, &m->sse, &m->adi, &m->cv2, &m->intermittent_size,
	&m->intermittent_interval, &m->intermittent_probability};

	memcpy(f, p, sizeof(p));
}

/* Seasonal states stored with a model of this method: m for seasonal ETS, none otherwise. */
static int
FcStoredSeasons(const FcModel *m)
{
	return fc_methods[m->method].season != 'N' ? m->season_length : 0;
}

/*
 * Checks a model read from outside (or just fitted): a known method, its shape, finite values where the method
 * has them and NaN (null) where it has none, parameters in the fitted region.
 */
static void
FcModelValidate(const FcModel *m)
{
	const FcMethodInfo *info;
	double	   *f[FC_NDOUBLES];

	if (m->method < 0 || m->method >= FC_NMETHODS)
		SmErrorInvalidValue("forecast_model", "unknown method");
	info = &fc_methods[m->method];
	if (m->flags & ~(FC_FLAG_SEASONAL_FALLBACK | FC_FLAG_AUTO))
		SmErrorInvalidValue("forecast_model", "unknown flags");
	if (m->season_length < 1 || m->season_length > FC_MAX_SEASON || (info->season == 'N' && m->season_length != 1))
		SmErrorInvalidValue("forecast_model", "season_length must be 1 .. 366 (1 for a non-seasonal method)");
	if (m->n < 1 || m->n > FC_MAX_DAYS || m->nparams < 0 || m->nparams > FC_MAX_SEASON + 8 ||
		m->sim_paths < 100 || m->sim_paths > 100000)
		SmErrorInvalidValue("forecast_model", "n, nparams or simulation paths out of range");
	if (!IS_VALID_DATE(m->first_day) || !IS_VALID_DATE(m->first_day + m->n - 1) ||
		m->last_day != m->first_day + m->n - 1)
		SmErrorInvalidValue("forecast_model", "first_day and last_day must span n days");
	FcDoubleFields((FcModel *) m, f);
	for (int i = 0; i < FC_NDOUBLES; i++)
		if (isinf(*f[i]))
			SmErrorInvalidValue("forecast_model", "values must be finite (or null)");
	if (isnan(m->level) || (info->trend != 'N') == isnan(m->trend))
		SmErrorInvalidValue("forecast_model", "level, and trend exactly for methods with a trend, are required");
	if (info->error != 0)
	{
		if (!(m->alpha > 0 && m->alpha < 1) || (info->trend != 'N') == isnan(m->beta) ||
			(info->season != 'N') == isnan(m->gamma) || (info->trend == 'D') == isnan(m->phi) ||
			(!isnan(m->beta) && !(m->beta > 0 && m->beta < m->alpha + 1e-12)) ||
			(!isnan(m->gamma) && !(m->gamma > 0 && m->gamma < 1 - m->alpha + 1e-12)) ||
			(!isnan(m->phi) && !(m->phi > 0 && m->phi <= 1)))
			SmErrorInvalidValue("forecast_model", "smoothing parameters outside the admissible region");
		if (!(m->sigma2 >= 0) || isnan(m->loglik) || isnan(m->aic) || isnan(m->aicc) || isnan(m->sse))
			SmErrorInvalidValue("forecast_model", "an ETS model needs sigma2, loglik, aic, aicc and sse");
	}
	else if (m->method == FC_CONSTANT)
	{
		if (!(m->sigma2 >= 0))
			SmErrorInvalidValue("forecast_model", "sigma2 must be non-negative");
	}
	else
	{
		if (!(m->alpha > 0 && m->alpha <= 1) || !(m->intermittent_size > 0) ||
			(m->method == FC_TSB ? !(m->beta > 0 && m->beta <= 1 && m->intermittent_probability >= 0 &&
									 m->intermittent_probability <= 1)
			 : !(m->intermittent_interval >= 1)))
			SmErrorInvalidValue("forecast_model", "intermittent-demand states out of range");
	}
	for (int h = 0; h < FcStoredSeasons(m); h++)
		if (!isfinite(m->seasonal[h]) || (info->season == 'M' && !(m->seasonal[h] > 0)))
			SmErrorInvalidValue("forecast_model", "seasonal states must be finite (positive when multiplicative)");
}

/* Packs a model into its SQL value. */
Datum
FcModelGetDatum(const FcModel *m)
{
	int			ns = FcStoredSeasons(m);
	Size		size = offsetof(FcModelValue, seasonal) + ns * sizeof(float8);
	FcModelValue *v = palloc0(size);
	double	   *f[FC_NDOUBLES];

	SET_VARSIZE(v, size);
	v->version = FC_MODEL_VERSION;
	v->method = (uint8) m->method;
	v->flags = (uint16) m->flags;
	v->season_length = m->season_length;
	v->n = m->n;
	v->first_day = m->first_day;
	v->nparams = m->nparams;
	v->sim_paths = m->sim_paths;
	v->sim_seed = m->sim_seed;
	FcDoubleFields((FcModel *) m, f);
	for (int i = 0; i < FC_NDOUBLES; i++)
		v->d[i] = *f[i];
	memcpy(v->seasonal, m->seasonal, ns * sizeof(float8));
	return PointerGetDatum(v);
}

/* Unpacks the model argument argno. */
void
FcModelFromArg(FunctionCallInfo fcinfo, int argno, FcModel *m)
{
	FcModelValue *v = (FcModelValue *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));
	double	   *f[FC_NDOUBLES];

	if (VARSIZE_ANY(v) < offsetof(FcModelValue, seasonal) || v->version != FC_MODEL_VERSION ||
		v->method >= FC_NMETHODS)
		elog(ERROR, "supplymkt forecast_model of unexpected size or version");
	memset(m, 0, sizeof(*m));
	m->method = v->method;
	m->flags = v->flags;
	m->season_length = v->season_length;
	m->n = v->n;
	m->first_day = v->first_day;
	m->last_day = v->first_day + v->n - 1;
	m->nparams = v->nparams;
	m->sim_paths = v->sim_paths;
	m->sim_seed = v->sim_seed;
	FcDoubleFields(m, f);
	for (int i = 0; i < FC_NDOUBLES; i++)
		*f[i] = v->d[i];
	if (VARSIZE_ANY(v) != offsetof(FcModelValue, seasonal) + FcStoredSeasons(m) * sizeof(float8))
		elog(ERROR, "supplymkt forecast_model of unexpected size");
	memcpy(m->seasonal, v->seasonal, FcStoredSeasons(m) * sizeof(float8));
}

/* Syntetos-Boylan class of the ADI and CV^2 of a model. */
static const char *
FcDemandClassName(double adi, double cv2)
{
	if (isnan(adi))
		return "none";
	if (adi > FC_ADI_CUTOFF)
		return cv2 > FC_CV2_CUTOFF ? "lumpy" : "intermittent";
	return cv2 > FC_CV2_CUTOFF ? "erratic" : "smooth";
}

/* A date as JSON text ("2024-01-31"). */
static void
FcAppendDate(StringInfo buf, DateADT d)
{
	appendStringInfo(buf, "\"%s\"", DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d))));
}

PG_FUNCTION_INFO_V1(forecast_model_out);
/* Text output: JSON with every field (null where the method has none). */
Datum
forecast_model_out(PG_FUNCTION_ARGS)
{
	FcModel		m;
	StringInfoData buf;
	double	   *f[FC_NDOUBLES];

	FcModelFromArg(fcinfo, 0, &m);
	FcDoubleFields(&m, f);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"model\":\"forecast_model\",\"version\":%d,\"method\":\"%s\",\"method_name\":\"%s\","
					 "\"selected_by\":\"%s\",\"season_length\":%d,\"seasonal_fallback\":%s,\"n\":%d,\"first_day\":",
					 FC_MODEL_VERSION, fc_methods[m.method].code, fc_methods[m.method].name,
					 (m.flags & FC_FLAG_AUTO) ? "auto" : "method", m.season_length,
					 (m.flags & FC_FLAG_SEASONAL_FALLBACK) ? "true" : "false", m.n);
	FcAppendDate(&buf, m.first_day);
	appendStringInfoString(&buf, ",\"last_day\":");
	FcAppendDate(&buf, m.last_day);
	appendStringInfo(&buf, ",\"demand_class\":\"%s\"", FcDemandClassName(m.adi, m.cv2));
	for (int i = 0; i < FC_NDOUBLES; i++)
	{
		SmAppendJsonKey(&buf, fc_double_names[i], false);
		if (isnan(*f[i]))
			appendStringInfoString(&buf, "null");
		else
			SmAppendFloat8(&buf, *f[i]);
		if (i == 6)				/* sigma beside sigma2 */
		{
			SmAppendJsonKey(&buf, "sigma", false);
			if (isnan(m.sigma2))
				appendStringInfoString(&buf, "null");
			else
				SmAppendFloat8(&buf, sqrt(m.sigma2));
		}
	}
	SmAppendJsonKey(&buf, "seasonal", false);
	if (FcStoredSeasons(&m) > 0)
		SmAppendFloat8Array(&buf, m.seasonal, FcStoredSeasons(&m));
	else
		appendStringInfoString(&buf, "null");
	appendStringInfo(&buf, ",\"nparams\":%d,\"simulation_paths\":%d,\"simulation_seed\":" INT64_FORMAT "}",
					 m.nparams, m.sim_paths, m.sim_seed);
	PG_RETURN_CSTRING(buf.data);
}

/* Reads an optional float key: NaN for JSON null or an absent key. */
static double
FcJsonDouble(SmJsonObject *obj, const char *key)
{
	SmJsonField *f = SmJsonFind(obj, key, false);
	float8		v;

	if (f == NULL || (!f->is_array && f->nvalues == 1 && f->values[0] == NULL))
	{
		if (f != NULL)
			f->seen = true;
		return NAN;
	}
	if (!SmJsonOptFloat8(obj, key, &v) || isnan(v))
		SmErrorInvalidValue("forecast_model", psprintf("%s must be a number or null", key));
	return v;
}

/* Reads a required integer key in [lo, hi]. */
static int
FcJsonInt(SmJsonObject *obj, const char *key, int64 lo, int64 hi)
{
	int64		v = SmJsonGetInt64(obj, key);

	if (v < lo || v > hi)
		SmErrorInvalidValue("forecast_model", psprintf("%s is out of range", key));
	return (int) v;
}

/* Reads a required date key. */
static DateADT
FcJsonDate(SmJsonObject *obj, const char *key)
{
	char	   *s = SmJsonGetString(obj, key);

	return DatumGetDateADT(DirectFunctionCall1(date_in, CStringGetDatum(s)));
}

PG_FUNCTION_INFO_V1(forecast_model_in);
/* Text input: the JSON of forecast_model_out, validated (derived keys such as sigma must agree). */
Datum
forecast_model_in(PG_FUNCTION_ARGS)
{
	SmJsonObject *obj = SmJsonParse(PG_GETARG_CSTRING(0), "forecast_model");
	FcModel		m;
	double	   *f[FC_NDOUBLES];
	char	   *code,
			   *sel,
			   *cls;
	bool		fallback = false;
	int64		seed = 0;
	float8		sigma;

	SmJsonCheckHeader(obj, "model", FC_MODEL_VERSION);
	memset(&m, 0, sizeof(m));
	code = SmJsonGetString(obj, "method");
	m.method = -1;
	for (int i = 0; i < FC_NMETHODS; i++)
		if (strcmp(code, fc_methods[i].code) == 0)
			m.method = i;
	if (m.method < 0)
		SmErrorInvalidValue("forecast_model", "unknown method");
	if (SmJsonFind(obj, "method_name", false) != NULL &&
		strcmp(SmJsonGetString(obj, "method_name"), fc_methods[m.method].name) != 0)
		SmErrorInvalidValue("forecast_model", "method_name does not match method");
	sel = SmJsonFind(obj, "selected_by", false) ? SmJsonGetString(obj, "selected_by") : "method";
	if (strcmp(sel, "auto") != 0 && strcmp(sel, "method") != 0)
		SmErrorInvalidValue("forecast_model", "selected_by must be auto or method");
	m.flags = strcmp(sel, "auto") == 0 ? FC_FLAG_AUTO : 0;
	if (SmJsonOptBool(obj, "seasonal_fallback", &fallback) && fallback)
		m.flags |= FC_FLAG_SEASONAL_FALLBACK;
	m.season_length = FcJsonInt(obj, "season_length", 1, FC_MAX_SEASON);
	m.n = FcJsonInt(obj, "n", 1, FC_MAX_DAYS);
	m.first_day = FcJsonDate(obj, "first_day");
	m.last_day = FcJsonDate(obj, "last_day");
	m.nparams = FcJsonInt(obj, "nparams", 0, FC_MAX_SEASON + 8);
	m.sim_paths = FcJsonInt(obj, "simulation_paths", 100, 100000);
	if (!SmJsonOptInt64(obj, "simulation_seed", &seed))
		SmErrorInvalidValue("forecast_model", "simulation_seed is required");
	m.sim_seed = seed;
	FcDoubleFields(&m, f);
	for (int i = 0; i < FC_NDOUBLES; i++)
		*f[i] = FcJsonDouble(obj, fc_double_names[i]);
	sigma = FcJsonDouble(obj, "sigma");
	if (isnan(sigma) != isnan(m.sigma2) ||
		(!isnan(m.sigma2) && m.sigma2 >= 0 && fabs(sigma - sqrt(m.sigma2)) > 1e-12 * (1 + sigma)))
		SmErrorInvalidValue("forecast_model", "sigma must be sqrt(sigma2)");
	if (fc_methods[m.method].season != 'N')
	{
		if (!SmJsonOptFloat8Array(obj, "seasonal", m.season_length, m.seasonal))
			SmErrorInvalidValue("forecast_model", "seasonal must hold season_length states");
	}
	else
	{
		SmJsonField *s = SmJsonFind(obj, "seasonal", false);

		if (s != NULL && (s->is_array || s->values[0] != NULL))
			SmErrorInvalidValue("forecast_model", "seasonal must be null for a non-seasonal method");
	}
	cls = SmJsonFind(obj, "demand_class", false) ? SmJsonGetString(obj, "demand_class") : NULL;
	SmJsonRejectUnknown(obj);
	FcModelValidate(&m);
	if (cls != NULL && strcmp(cls, FcDemandClassName(m.adi, m.cv2)) != 0)
		SmErrorInvalidValue("forecast_model", "demand_class does not match adi and cv2");
	PG_RETURN_DATUM(FcModelGetDatum(&m));
}

PG_FUNCTION_INFO_V1(forecast_model_send);
/* Binary output: the stored form, field by field. */
Datum
forecast_model_send(PG_FUNCTION_ARGS)
{
	FcModel		m;
	StringInfoData buf;
	double	   *f[FC_NDOUBLES];
	double		d[FC_NDOUBLES];

	FcModelFromArg(fcinfo, 0, &m);
	FcDoubleFields(&m, f);
	for (int i = 0; i < FC_NDOUBLES; i++)
		d[i] = *f[i];
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, FC_MODEL_VERSION);
	pq_sendbyte(&buf, (uint8) m.method);
	pq_sendint16(&buf, (uint16) m.flags);
	pq_sendint32(&buf, m.season_length);
	pq_sendint32(&buf, m.n);
	pq_sendint32(&buf, m.first_day);
	pq_sendint32(&buf, m.nparams);
	pq_sendint32(&buf, m.sim_paths);
	pq_sendint64(&buf, m.sim_seed);
	SmSendFloat8Array(&buf, d, FC_NDOUBLES);
	SmSendFloat8Array(&buf, m.seasonal, FcStoredSeasons(&m));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(forecast_model_recv);
/* Binary input, bounds-checked and validated like text input. */
Datum
forecast_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	FcModel		m;
	double	   *f[FC_NDOUBLES];
	double		d[FC_NDOUBLES];
	int			version;

	memset(&m, 0, sizeof(m));
	SmRecvCheckRemaining(msg, 4 + 4 * 5 + 8, "forecast_model");
	version = pq_getmsgbyte(msg);
	if (version != FC_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported forecast_model version %d", version),
				 errhint("This build reads forecast_model version %d.", FC_MODEL_VERSION)));
	m.method = pq_getmsgbyte(msg);
	m.flags = (uint16) pq_getmsgint(msg, 2);
	m.season_length = (int32) pq_getmsgint(msg, 4);
	m.n = (int32) pq_getmsgint(msg, 4);
	m.first_day = (int32) pq_getmsgint(msg, 4);
	m.nparams = (int32) pq_getmsgint(msg, 4);
	m.sim_paths = (int32) pq_getmsgint(msg, 4);
	m.sim_seed = pq_getmsgint64(msg);
	SmRecvFloat8Array(msg, d, FC_NDOUBLES, "forecast_model");
	FcDoubleFields(&m, f);
	for (int i = 0; i < FC_NDOUBLES; i++)
		*f[i] = d[i];
	if (m.method >= FC_NMETHODS || m.season_length < 1 || m.season_length > FC_MAX_SEASON || m.n < 1 ||
		m.n > FC_MAX_DAYS)
		SmErrorInvalidValue("forecast_model", "method, season_length or n out of range");
	m.last_day = m.first_day + m.n - 1;
	SmRecvFloat8Array(msg, m.seasonal, FcStoredSeasons(&m), "forecast_model");
	SmRecvCheckEnd(msg, "forecast_model");
	FcModelValidate(&m);
	PG_RETURN_DATUM(FcModelGetDatum(&m));
}

PG_FUNCTION_INFO_V1(forecast_points);
/*
 * forecast_points(model, horizon): one row per day after the model's last day, step 1 .. horizon, with the
 * forecast and the 80% and 95% prediction intervals: normal quantiles of the analytic forecast variance for
 * additive-error ETS and the historical mean, simulation for multiplicative ETS, NULL for Croston, SBA, TSB.
 */
Datum
forecast_points(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FcModel		m;
	int			horizon;
	double	   *mean,
			   *var,
			   *lo80 = NULL,
			   *hi80 = NULL,
			   *lo95 = NULL,
			   *hi95 = NULL;
	const FcMethodInfo *info;
	double		z80 = gsl_cdf_ugaussian_Pinv(0.9),
				z95 = gsl_cdf_ugaussian_Pinv(0.975);

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;		/* STRICT in SQL; defensive */
	FcModelFromArg(fcinfo, 0, &m);
	horizon = PG_GETARG_INT32(1);
	SmCheckIntRange(horizon, 1, FC_MAX_HORIZON, "horizon");
	if (!IS_VALID_DATE((int64) m.last_day + horizon))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("the forecast days would leave the date range")));
	info = &fc_methods[m.method];
	InitMaterializedSRF(fcinfo, 0);
	mean = SmAllocArray(horizon, sizeof(double));
	var = SmAllocArray(horizon, sizeof(double));
	if (info->error != 0)
		FcEtsForecast(&m, horizon, mean, var);
	else
		for (int h = 0; h < horizon; h++)
		{
			mean[h] = m.level;
			var[h] = m.method == FC_CONSTANT ? m.sigma2 * (1 + 1.0 / m.n) : NAN;
		}
	if (info->error == 'M')
	{
		lo80 = SmAllocArray(horizon, sizeof(double));
		hi80 = SmAllocArray(horizon, sizeof(double));
		lo95 = SmAllocArray(horizon, sizeof(double));
		hi95 = SmAllocArray(horizon, sizeof(double));
		FcEtsSimulate(&m, horizon, m.sim_paths, (uint64) m.sim_seed, lo80, hi80, lo95, hi95);
	}
	for (int h = 0; h < horizon; h++)
	{
		Datum		values[7];
		bool		nulls[7] = {false, false, false, false, false, false, false};

		CHECK_FOR_INTERRUPTS();
		values[0] = Int32GetDatum(h + 1);
		values[1] = DateADTGetDatum(m.last_day + h + 1);
		values[2] = Float8GetDatum(mean[h]);
		if (lo80 != NULL)
		{
			values[3] = Float8GetDatum(lo80[h]);
			values[4] = Float8GetDatum(hi80[h]);
			values[5] = Float8GetDatum(lo95[h]);
			values[6] = Float8GetDatum(hi95[h]);
		}
		else if (!isnan(var[h]))
		{
			double		sd = sqrt(var[h]);

			values[3] = Float8GetDatum(mean[h] - z80 * sd);
			values[4] = Float8GetDatum(mean[h] + z80 * sd);
			values[5] = Float8GetDatum(mean[h] - z95 * sd);
			values[6] = Float8GetDatum(mean[h] + z95 * sd);
		}
		else
			nulls[3] = nulls[4] = nulls[5] = nulls[6] = true;
		for (int i = 2; i < 7; i++)
			if (!nulls[i] && !isfinite(DatumGetFloat8(values[i])))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("forecast out of range at step %d", h + 1),
						 errhint("The model's trend runs out of double precision this far ahead: use a shorter horizon.")));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
