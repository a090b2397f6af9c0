/*
 * forecast/aggregates.c — demand_forecast (collects (day, qty), fits in the final function), its options
 * value forecast_options, and forecast_accuracy.  Both states are row buffers (core/row_buffer.h): combine
 * appends, so they run as partial aggregates under parallel query and on Citus workers.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"

#include "core/options.h"
#include "core/row_buffer.h"
#include "core/validate.h"
#include "forecast/forecast.h"

/* demand_forecast's rows: day (int64 day number), qty; its parameters, constant across rows. */
enum
{
	FCP_SEASON, FCP_METHOD, FCP_ALPHA, FCP_BETA, FCP_PATHS, FCP_SEED
};
const SmRowKind sm_forecast_kind = {
	.typname = "demand_forecast_state", .id = 7, .ncols = 2, .int_cols = 1,
	.int_params = (1u << FCP_SEASON) | (1u << FCP_METHOD) | (1u << FCP_PATHS) | (1u << FCP_SEED),
	.param_names = {"season_length", "method", "intermittent_alpha", "tsb_beta", "simulation_paths", "simulation_seed"},
	.initial_rows = 64,
};
SM_ROW_BUFFER_IO(demand_forecast_state, sm_forecast_kind)
SM_ROW_BUFFER_COMBINE(demand_forecast_state, sm_forecast_kind)

/* forecast_accuracy's rows: actual, predicted; its parameter: the MASE scale (-1 without). */
const SmRowKind sm_accuracy_kind = {
	.typname = "forecast_accuracy_state", .id = 8, .ncols = 2, .param_names = {"scale"}, .initial_rows = 16,
};
SM_ROW_BUFFER_IO(forecast_accuracy_state, sm_accuracy_kind)
SM_ROW_BUFFER_COMBINE(forecast_accuracy_state, sm_accuracy_kind)

/* ---------------------------------------------------------------------------------------------------------
 * forecast_options
 * --------------------------------------------------------------------------------------------------------- */

/* method choices: 'auto' then fc_methods' codes except the historical mean, in code order (index = code). */
static const char *const fc_option_methods[] = {
	"auto", "ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA", "MAM", "MAdM", "croston", "sba", "tsb", NULL
};

enum
{
	FCO_SEASON, FCO_METHOD, FCO_ALPHA, FCO_BETA, FCO_PATHS, FCO_SEED, FCO_NFIELDS
};

static const SmOptionsKind sm_forecast_options_kind = {
	.typname = "forecast_options", .id = 5, .nfields = FCO_NFIELDS,
	.fields = {
		[FCO_SEASON] = {.name = "season_length", .type = SM_OPT_INT, .min = 1, .max = FC_MAX_SEASON,
		.has_default = true, .default_value = 7},
		[FCO_METHOD] = {.name = "method", .type = SM_OPT_CHOICE, .choices = fc_option_methods,
		.has_default = true, .default_value = 0},
		[FCO_ALPHA] = {.name = "intermittent_alpha", .type = SM_OPT_FLOAT, .min = 0.001, .max = 1,
		.has_default = true, .default_value = 0.1},
		[FCO_BETA] = {.name = "tsb_beta", .type = SM_OPT_FLOAT, .min = 0.001, .max = 1,
		.has_default = true, .default_value = 0.1},
		[FCO_PATHS] = {.name = "simulation_paths", .type = SM_OPT_INT, .min = 100, .max = 100000,
		.has_default = true, .default_value = 1000},
		[FCO_SEED] = {.name = "simulation_seed", .type = SM_OPT_INT, .min = 0, .max = PG_INT32_MAX,
		.has_default = true, .default_value = 0},
	},
};

SM_OPTIONS_FUNCTIONS(forecast_options, sm_forecast_options_kind)

/* ---------------------------------------------------------------------------------------------------------
 * demand_forecast
 * --------------------------------------------------------------------------------------------------------- */

/* Parses a method name of the positional form (case-insensitive): a code of fc_option_methods. */
static int
FcParseMethod(const char *s)
{
	for (int i = 0; fc_option_methods[i] != NULL; i++)
		if (pg_strcasecmp(s, fc_option_methods[i]) == 0)
			return i == 0 ? FC_AUTO : i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown forecast method \"%s\"", s),
			 errhint("Use 'auto', an ETS model ('ANN', 'AAN', 'AAdN', 'ANA', 'AAA', 'AAdA', 'MAM', 'MAdM') or 'croston', 'sba', 'tsb'.")));
	return 0;					/* keep compiler quiet */
}

/* Shared transition: adds (day, qty) with the call's parameters. */
static Datum
FcCollect(FunctionCallInfo fcinfo, int season, int method, double alpha, double beta, int paths, int64 seed)
{
	DateADT		day;
	float8		qty,
				row[2],
				params[SM_ROWS_PARAMS] = {0};
	SmRowBuffer *buf;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SM_SKIP_ROW();
	day = PG_GETARG_DATEADT(1);
	qty = PG_GETARG_FLOAT8(2);
	if (DATE_NOT_FINITE(day))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("day must be a finite date")));
	SmCheckNonNegative(qty, "qty");
	buf = SmRowBufferForUpdate(fcinfo, &sm_forecast_kind);
	SmSlotSetInt(&params[FCP_SEASON], season);
	SmSlotSetInt(&params[FCP_METHOD], method);
	params[FCP_ALPHA] = alpha;
	params[FCP_BETA] = beta;
	SmSlotSetInt(&params[FCP_PATHS], paths);
	SmSlotSetInt(&params[FCP_SEED], seed);
	SmRowBufferSetParams(buf, &sm_forecast_kind, params);
	SmSlotSetInt(&row[0], day);
	row[1] = qty + 0.0;
	PG_RETURN_POINTER(SmRowBufferAppend(buf, &sm_forecast_kind, row, CurrentMemoryContext));
}

PG_FUNCTION_INFO_V1(demand_forecast_transfn);
/* demand_forecast(day, qty [, season_length [, method]]) transition. */
Datum
demand_forecast_transfn(PG_FUNCTION_ARGS)
{
	int			season = 7,
				method = FC_AUTO;

	if (PG_NARGS() > 3)
	{
		if (PG_ARGISNULL(3))
			SmErrorNullArgument("season_length");
		season = PG_GETARG_INT32(3);
		SmCheckIntRange(season, 1, FC_MAX_SEASON, "season_length");
	}
	if (PG_NARGS() > 4)
	{
		if (PG_ARGISNULL(4))
			SmErrorNullArgument("method");
		method = FcParseMethod(text_to_cstring(PG_GETARG_TEXT_PP(4)));
	}
	return FcCollect(fcinfo, season, method, 0.1, 0.1, 1000, 0);
}

PG_FUNCTION_INFO_V1(demand_forecast_options_transfn);
/* demand_forecast(day, qty, options) transition. */
Datum
demand_forecast_options_transfn(PG_FUNCTION_ARGS)
{
	const SmOptions *o;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SM_SKIP_ROW();
	o = SmOptionsArg(fcinfo, 3, &sm_forecast_options_kind);
	return FcCollect(fcinfo, (int) o->values[FCO_SEASON], o->values[FCO_METHOD] == 0 ? FC_AUTO : (int) o->values[FCO_METHOD],
					 o->values[FCO_ALPHA], o->values[FCO_BETA], (int) o->values[FCO_PATHS], (int64) o->values[FCO_SEED]);
}

/* Comparator of (day, qty) rows by day, then qty (a total order: the sums do not depend on input order). */
static int
FcCmpRow(const void *a, const void *b)
{
	const float8 *x = a,
			   *y = b;
	int64		dx = SmSlotInt(&x[0]),
				dy = SmSlotInt(&y[0]);

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return (x[1] > y[1]) - (x[1] < y[1]);
}

/* The historical-mean model of a series: its mean, and its sample variance as the error variance. */
static void
FcFitMean(const double *y, int n, FcModel *out)
{
	double		mean = 0,
				ss = 0;

	for (int t = 0; t < n; t++)
		mean += y[t];
	mean /= n;
	for (int t = 0; t < n; t++)
		ss += (y[t] - mean) * (y[t] - mean);
	memset(out, 0, sizeof(*out));
	out->method = FC_CONSTANT;
	out->season_length = 1;
	out->n = n;
	out->level = mean;
	out->sigma2 = n > 1 ? ss / (n - 1) : 0;
	out->alpha = out->beta = out->gamma = out->phi = out->trend = NAN;
	out->loglik = out->aic = out->aicc = out->bic = out->sse = NAN;
	out->intermittent_size = out->intermittent_interval = out->intermittent_probability = NAN;
	FcDemandClass(y, n, &out->adi, &out->cv2);
}

/* The non-seasonal ETS model with the same error and trend as a seasonal one (the fallback on short series). */
static int
FcNonSeasonal(int method)
{
	switch (method)
	{
		case FC_ANA:
			return FC_ANN;
		case FC_AAA:
		case FC_MAM:
			return FC_AAN;
		case FC_AADA:
		case FC_MADM:
			return FC_AADN;
		default:
			return method;
	}
}

/*
 * Chooses and fits the model of series y[0..n): an explicit method (seasonal ones fall back to their
 * non-seasonal form on fewer than two seasons), or auto: the historical mean of a constant series, SBA when
 * the demand is intermittent (ADI > 1.32), else the ETS model of lowest AICc (multiplicative ones only for
 * positive series; seasonal ones only with two seasons of data).  A series too short for any ETS fit gets the
 * historical mean.
 */
static void
FcChoose(const double *y, int n, int m, int method, double alpha, double beta, FcModel *out)
{
	bool		constant = true,
				have_seasons = m >= 2 && n >= 2 * m;
	double		adi,
				cv2;
	int			flags = 0;

	for (int t = 1; t < n; t++)
		if (y[t] != y[0])
			constant = false;
	FcDemandClass(y, n, &adi, &cv2);
	if (method == FC_CROSTON || method == FC_SBA || method == FC_TSB ||
		(method == FC_AUTO && !constant && adi > FC_ADI_CUTOFF))
	{
		if (isnan(adi))
			FcFitMean(y, n, out);	/* no demand at all: the forecast is 0 */
		else
			FcFitIntermittent(y, n, method == FC_AUTO ? FC_SBA : method, alpha, beta, out);
		out->flags = method == FC_AUTO ? FC_FLAG_AUTO : 0;
		return;
	}
	if (constant)
	{
		FcFitMean(y, n, out);
		out->flags = method == FC_AUTO ? FC_FLAG_AUTO : 0;
		return;
	}
	if (m >= 2 && !have_seasons && (method == FC_AUTO || FcNonSeasonal(method) != method))
		flags |= FC_FLAG_SEASONAL_FALLBACK;
	if (method != FC_AUTO)
	{
		int			use = have_seasons ? method : FcNonSeasonal(method);

		if (fc_methods[use].error == 'M')
			for (int t = 0; t < n; t++)
				if (!(y[t] > 0))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("method %s needs positive demand on every day", fc_methods[use].code),
							 errhint("Multiplicative models divide by the forecast: use 'AAA' or method => 'auto' for series with days of zero demand.")));
		if (!FcFitEts(y, n, use, m, false, NULL, out))
			FcFitMean(y, n, out);
	}
	else
	{
		FcModel    *cand = palloc(sizeof(FcModel) * FC_NMETHODS);
		bool		found = false;
		double		first_aicc[FC_NMETHODS];
		double		best_first = HUGE_VAL;

		/*
		 * a coarse fit of every candidate, then the full fit of those whose coarse AICc is within 20 of the
		 * best: the full fit lowers an AICc by a few units at most, so the others cannot win
		 */
		for (int code = FC_ANN; code <= FC_MADM; code++)
		{
			int			additive = FcAdditiveCounterpart(code);

			first_aicc[code] = HUGE_VAL;
			if (fc_methods[code].season != 'N' && !have_seasons)
				continue;
			/* a multiplicative model starts from its additive counterpart, fitted before it */
			if (FcFitEts(y, n, code, m, true, additive != code && first_aicc[additive] < HUGE_VAL ? &cand[additive] : NULL,
						 &cand[code]) && isfinite(cand[code].aicc))
			{
				first_aicc[code] = cand[code].aicc;
				best_first = Min(best_first, cand[code].aicc);
			}
		}
		for (int code = FC_ANN; code <= FC_MADM; code++)
		{
			if (!(first_aicc[code] < HUGE_VAL && first_aicc[code] <= best_first + 20))
				continue;		/* not fitted (cand[code] is unset), or out of the running */
			if (FcRefineEts(y, n, &cand[code]) && isfinite(cand[code].aicc) &&
				(!found || cand[code].aicc < out->aicc))
			{
				*out = cand[code];
				found = true;
			}
		}
		pfree(cand);
		if (!found)
			FcFitMean(y, n, out);
		flags |= FC_FLAG_AUTO;
	}
	out->flags = flags;
	out->adi = adi;				/* computed above */
	out->cv2 = cv2;
}

PG_FUNCTION_INFO_V1(demand_forecast_final);
/*
 * Final function: sorts the rows by day, sums each day's quantities, fills the days without a row between
 * the first and the last day with zero demand, and fits the series.
 */
Datum
demand_forecast_final(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf;
	FcModel		model;
	double	   *y;
	float8	   *rows;
	int64		first,
				last,
				n;
	int			m,
				method;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	buf = SmRowBufferArg(fcinfo, 0, &sm_forecast_kind);
	if (buf->nrows == 0)
		PG_RETURN_NULL();
	/* sorted in a copy: the final function must not change the state (FINALFUNC_MODIFY READ_ONLY) */
	rows = SmAllocArray(2 * buf->nrows, sizeof(float8));
	memcpy(rows, buf->values, 2 * buf->nrows * sizeof(float8));
	qsort(rows, buf->nrows, 2 * sizeof(float8), FcCmpRow);
	first = SmSlotInt(&rows[0]);
	last = SmSlotInt(&rows[2 * (buf->nrows - 1)]);
	n = last - first + 1;
	if (n > FC_MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("demand_forecast: the series spans " INT64_FORMAT " days, more than %d", n, FC_MAX_DAYS),
				 errhint("Aggregate days of at most 100 years, or weeks as days.")));
	y = SmAllocArray(n, sizeof(double));
	for (int64 r = 0; r < buf->nrows; r++)
		y[SmSlotInt(&rows[2 * r]) - first] += rows[2 * r + 1];
	for (int64 t = 0; t < n; t++)
		if (!isfinite(y[t]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("demand_forecast: a day's total demand overflows double precision")));
	m = (int) SmSlotInt(&buf->params[FCP_SEASON]);
	method = (int) SmSlotInt(&buf->params[FCP_METHOD]);
	/* a state read from text carries its parameters unchecked: check them before they reach the model */
	if (!(buf->flags & SM_ROWS_PARAMS_SET) || m < 1 || m > FC_MAX_SEASON ||
		(method != FC_AUTO && (method < FC_ANN || method >= FC_NMETHODS)) ||
		!(buf->params[FCP_ALPHA] >= 0.001 && buf->params[FCP_ALPHA] <= 1) ||
		!(buf->params[FCP_BETA] >= 0.001 && buf->params[FCP_BETA] <= 1) ||
		SmSlotInt(&buf->params[FCP_PATHS]) < 100 || SmSlotInt(&buf->params[FCP_PATHS]) > 100000 ||
		SmSlotInt(&buf->params[FCP_SEED]) < 0 || SmSlotInt(&buf->params[FCP_SEED]) > PG_INT32_MAX)
		SmErrorInvalidValue("demand_forecast_state", "parameters out of range");
	FcChoose(y, (int) n, m, method, buf->params[FCP_ALPHA], buf->params[FCP_BETA], &model);
	model.first_day = (DateADT) first;
	model.last_day = (DateADT) last;
	model.n = (int) n;
	model.sim_paths = (int) SmSlotInt(&buf->params[FCP_PATHS]);
	model.sim_seed = SmSlotInt(&buf->params[FCP_SEED]);
	pfree(y);
	pfree(rows);
	PG_RETURN_DATUM(FcModelGetDatum(&model));
}

/* ---------------------------------------------------------------------------------------------------------
 * forecast_accuracy(actual, predicted [, scale])
 * --------------------------------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(forecast_accuracy_transfn);
/* Transition: keeps (actual, predicted) rows with both known; the scale must be the same on every row. */
Datum
forecast_accuracy_transfn(PG_FUNCTION_ARGS)
{
	float8		row[2],
				params[SM_ROWS_PARAMS] = {0};
	SmRowBuffer *buf;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SM_SKIP_ROW();
	row[0] = PG_GETARG_FLOAT8(1);
	row[1] = PG_GETARG_FLOAT8(2);
	SmCheckFinite(row[0], "actual");
	SmCheckFinite(row[1], "predicted");
	params[0] = -1;
	if (PG_NARGS() > 3)
	{
		if (PG_ARGISNULL(3))
			SmErrorNullArgument("scale");
		params[0] = PG_GETARG_FLOAT8(3);
		SmCheckNonNegative(params[0], "scale");
	}
	buf = SmRowBufferForUpdate(fcinfo, &sm_accuracy_kind);
	SmRowBufferSetParams(buf, &sm_accuracy_kind, params);
	row[0] += 0.0;
	row[1] += 0.0;
	PG_RETURN_POINTER(SmRowBufferAppend(buf, &sm_accuracy_kind, row, CurrentMemoryContext));
}

/* Comparator of (actual, predicted) rows (a total order, so the sums do not depend on input order). */
static int
FcCmpPair(const void *a, const void *b)
{
	const float8 *x = a,
			   *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return (x[1] > y[1]) - (x[1] < y[1]);
}

PG_FUNCTION_INFO_V1(forecast_accuracy_final);
/*
 * Final: n, MAE, RMSE, MAPE (mean |a - p| / |a| over rows with a != 0, NULL without), sMAPE (mean
 * 2 |a - p| / (|a| + |p|) over rows where both are not 0), bias (mean p - a), MASE (MAE / scale; NULL
 * without a scale or when it is 0).
 */
Datum
forecast_accuracy_final(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf;
	TupleDesc	desc;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	double		sabs = 0,
				ssq = 0,
				sape = 0,
				ssape = 0,
				serr = 0,
				mae;
	int64		nape = 0,
				nsape = 0,
				n;
	float8	   *rows;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	buf = SmRowBufferArg(fcinfo, 0, &sm_accuracy_kind);
	n = buf->nrows;
	if (n == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "forecast_accuracy must return a composite");
	desc = BlessTupleDesc(desc);
	rows = SmAllocArray(2 * n, sizeof(float8));	/* sorted in a copy, as in demand_forecast_final */
	memcpy(rows, buf->values, 2 * n * sizeof(float8));
	qsort(rows, n, 2 * sizeof(float8), FcCmpPair);
	for (int64 r = 0; r < n; r++)
	{
		double		a = rows[2 * r],
					p = rows[2 * r + 1],
					e = p - a;

		sabs = SmAddChecked(sabs, fabs(e));
		ssq = SmAddChecked(ssq, e * e);
		serr = SmAddChecked(serr, e);
		if (a != 0)
		{
			sape += fabs(e) / fabs(a);
			nape++;
		}
		if (fabs(a) + fabs(p) > 0)
		{
			ssape += 2 * fabs(e) / (fabs(a) + fabs(p));
			nsape++;
		}
	}
	mae = sabs / n;
	values[0] = Int64GetDatum(n);
	values[1] = Float8GetDatum(mae);
	values[2] = Float8GetDatum(sqrt(ssq / n));
	values[3] = Float8GetDatum(nape > 0 ? sape / nape : 0);
	nulls[3] = nape == 0;
	values[4] = Float8GetDatum(nsape > 0 ? ssape / nsape : 0);
	nulls[4] = nsape == 0;
	values[5] = Float8GetDatum(serr / n);
	nulls[6] = !(buf->params[0] > 0);
	values[6] = Float8GetDatum(nulls[6] ? 0 : mae / buf->params[0]);
	if (!nulls[6] && !isfinite(DatumGetFloat8(values[6])))
		nulls[6] = true;		/* a scale so small that MASE overflows: no meaningful number */
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
