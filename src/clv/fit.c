/*
 * clv/fit.c — the clv_fit aggregate: its state type (a row buffer of frequency, recency, T, monetary with the
 * model and unit codes as parameters), the transition function, and the final function that fits the models.
 *
 * The final function sorts the rows, collapses identical (x, t_x, T) triples into weights (the likelihood then
 * costs O(distinct triples), with logs of alpha + T shared per distinct T and, for Pareto/NBD, hypergeometric
 * functions per distinct (x, time) pair), and maximises the log-likelihood over log-parameters with
 * SmMinimize (numeric/optimize.c: BFGS with analytic gradients from two starting points, Nelder-Mead as a
 * fallback, Newton steps on a Hessian by central differences of the gradient to finish; the same Hessian,
 * taken to the natural parameters, gives the standard errors).  Because rows are sorted first, the result
 * does not depend on row order: serial, parallel and Citus plans give bit-identical models.
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "core/options.h"
#include "core/row_buffer.h"
#include "core/state.h"
#include "core/validate.h"
#include "numeric/optimize.h"
#include "clv/clv.h"

/* The state type of clv_fit: frequency, recency, T, monetary or no value (stored id stable across versions). */
const SmRowKind sm_clv_fit_kind = {
	.typname = "clv_fit_state", .id = 2, .ncols = 4, .optional_cols = 1u << 3,
	.param_names = {"model", "unit"}, .initial_rows = 64,
};

SM_ROW_BUFFER_IO(clv_fit_state, sm_clv_fit_kind)
SM_ROW_BUFFER_COMBINE(clv_fit_state, sm_clv_fit_kind)

/* Weight of the quadratic penalty on log-parameters outside [-CLV_LOG_BOUND, CLV_LOG_BOUND]. */
#define CLV_PENALTY 1.0

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
 * The aggregate
 * --------------------------------------------------------------------------------------------------------- */

static Datum ClvCollect(FunctionCallInfo fcinfo, int model, int unit);

PG_FUNCTION_INFO_V1(clv_fit_transfn);
/*
 * clv_fit transition (all overloads): (state, frequency, recency, t [, monetary [, model [, unit]]]).
 * Rows with a NULL frequency, recency or t are skipped; monetary NULL means no spend value for that row.
 */
Datum
clv_fit_transfn(PG_FUNCTION_ARGS)
{
	int			nargs = PG_NARGS();
	int			model = CLV_MODEL_BGNBD,
				unit = CLV_UNIT_DAYS;

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
	return ClvCollect(fcinfo, model, unit);
}

/* Fields of clv_options, in the maker's argument order. */
enum
{
	CLVO_MODEL, CLVO_UNIT, CLVO_NFIELDS
};

/* Model and unit names in code order (the stored choice index is code - 1). */
static const char *const clv_option_models[] = {"bgnbd", "pnbd", "mbgnbd", "auto", NULL};
static const char *const clv_option_units[] = {"days", "weeks", NULL};

/* clv_options: clv_fit's tuning arguments by name; the defaults are those of the positional forms. */
static const SmOptionsKind sm_clv_options_kind = {
	.typname = "clv_options", .id = 4, .nfields = CLVO_NFIELDS,
	.fields = {
		[CLVO_MODEL] = {.name = "model", .type = SM_OPT_CHOICE, .choices = clv_option_models,
		.has_default = true, .default_value = CLV_MODEL_BGNBD - 1},
		[CLVO_UNIT] = {.name = "unit", .type = SM_OPT_CHOICE, .choices = clv_option_units,
		.has_default = true, .default_value = CLV_UNIT_DAYS - 1},
	},
};

SM_OPTIONS_FUNCTIONS(clv_options, sm_clv_options_kind)

PG_FUNCTION_INFO_V1(clv_fit_options_transfn);
/* clv_fit(frequency, recency, t, monetary, options) transition. */
Datum
clv_fit_options_transfn(PG_FUNCTION_ARGS)
{
	const SmOptions *o;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		SM_SKIP_ROW();
	o = SmOptionsArg(fcinfo, 5, &sm_clv_options_kind);
	return ClvCollect(fcinfo, 1 + (int) o->values[CLVO_MODEL], 1 + (int) o->values[CLVO_UNIT]);
}

/*
 * Appends one customer (frequency, recency, t in arguments 1-3; monetary in argument 4 when given and not
 * NULL) with the aggregate's model and unit.
 */
static Datum
ClvCollect(FunctionCallInfo fcinfo, int model, int unit)
{
	float8		params[SM_ROWS_PARAMS] = {0};
	float8		row[4];
	SmRowBuffer *buf;

	/* + 0.0 turns -0 into +0, so that sorting gives one canonical order */
	row[0] = PG_GETARG_FLOAT8(1) + 0.0;
	row[1] = PG_GETARG_FLOAT8(2) + 0.0;
	row[2] = PG_GETARG_FLOAT8(3) + 0.0;
	ClvCheckCustomer(row[0], row[1], row[2]);
	row[3] = SmSlotMissing();
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
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

/*
 * Fits a purchase model to the collapsed data: parameters, log-likelihood, iterations, convergence and
 * standard errors go into m (whose model code is pm's).
 */
static void
ClvFitPurchase(const ClvPurchaseModel *pm, ClvData *d, ClvModel *m)
{
	SmOptProblem pb;
	SmOptResult best;
	double		rate = d->sum_x / d->sum_T;
	double		meanT = d->sum_T / d->n;
	double		starts[2][SM_OPT_MAX_DIM];
	double		natural[2][4],
				params[4],
				se[4];
	bool		has_se;

	pm->starts(rate, meanT, natural);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < 4; i++)
			starts[k][i] = Max(-CLV_LOG_BOUND + 1, Min(CLV_LOG_BOUND - 1, log(natural[k][i])));
	memset(&pb, 0, sizeof(pb));
	pb.fn = pm->objective;
	pb.arg = d;
	pb.dim = 4;
	pb.n = d->n;
	pb.bound = CLV_LOG_BOUND;
	pb.penalty = CLV_PENALTY;
	SmMinimize(&pb, (const double (*)[SM_OPT_MAX_DIM]) starts, 2, 1e-8, &best, params, se, &has_se);
	if (!isfinite(best.f))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("clv_fit: the %s likelihood cannot be evaluated for these data", pm->label)));
	memcpy(m->params, params, sizeof(params));
	m->log_likelihood = -best.f * d->n;
	m->n_customers = (int64) d->n;
	m->iterations = best.iterations;
	m->flags &= ~(CLV_CONVERGED | CLV_HAS_SE);
	memset(m->se, 0, sizeof(m->se));
	m->flags |= CLV_FIT_INFO | (best.converged ? CLV_CONVERGED : 0);
	if (has_se)
	{
		memcpy(m->se, se, sizeof(se));
		m->flags |= CLV_HAS_SE;
	}
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
				nrep = 0,
				n_without_history = 0;
	const ClvPurchaseModel *pm;
	MemoryContext cxt,
				old;
	ClvData		d;
	ClvSpendData sd;
	ClvModel   *result;
	SmOptProblem pb;
	SmOptResult best;
	double		params[4],
				se[4];
	bool		has_se;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	buf = SmRowBufferArg(fcinfo, 0, &sm_clv_fit_kind);
	if (buf->nrows == 0)
		PG_RETURN_NULL();
	if (!(buf->flags & SM_ROWS_PARAMS_SET))
		SmErrorInvalidValue("clv_fit_state", "rows without model and unit");
	model = (int) buf->params[0];
	unit = (int) buf->params[1];
	pm = ClvPurchaseModelOf(model);
	if (buf->params[0] != model || (pm == NULL && model != CLV_MODEL_AUTO))
		SmErrorInvalidValue("clv_fit_state", "unknown model code");
	if (buf->params[1] != unit || (unit != CLV_UNIT_DAYS && unit != CLV_UNIT_WEEKS))
		SmErrorInvalidValue("clv_fit_state", "unknown unit code");
	nrows = buf->nrows;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "clv_fit", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);

	/*
	 * copy, re-check (the state may come from text input), sort; customers with t = 0 (first purchase at the
	 * end of the period) have likelihood 1 under every model: counted, left out
	 */
	rows = palloc_extended(sizeof(ClvRow) * nrows, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < buf->nrows; i++)
	{
		const float8 *v = &buf->values[i * 4];

		ClvCheckCustomer(v[0], v[1], v[2]);
		if (v[2] == 0)
		{
			nrows--;
			n_without_history++;
			continue;
		}
		rows[i - n_without_history].x = v[0];
		rows[i - n_without_history].tx = v[1];
		rows[i - n_without_history].T = v[2];
		rows[i - n_without_history].m = SmSlotIsMissing(v[3]) ? -1 : v[3];
		if (!SmSlotIsMissing(v[3]))
		{
			ClvCheckMonetary(v[3], v[0], true);
			if (v[0] == 0)
				SmErrorInvalidValue("clv_fit_state", "monetary stored for a customer without repeat purchases");
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
	ClvPrepare(rows, nrows, pm == NULL || pm->needs_pairs, &d, &sd);
	pfree(rows);

	result = (ClvModel *) MemoryContextAllocZero(old, sizeof(ClvModel));
	SET_VARSIZE(result, sizeof(ClvModel));
	result->version = CLV_MODEL_VERSION;
	result->model = (uint8) model;
	result->unit = (uint8) unit;
	result->n_without_history = (int32) n_without_history;

	/* transaction model: the one asked for, or with 'auto' the best of every purchase model */
	if (model == CLV_MODEL_AUTO)
	{
		ClvModel	candidate;
		double		best_ll = -INFINITY;

		for (int code = 1; code <= CLV_MODEL_MAX; code++)
		{
			memcpy(&candidate, result, sizeof(ClvModel));
			candidate.model = (uint8) code;
			ClvFitPurchase(ClvPurchaseModelOf(code), &d, &candidate);
			if (candidate.log_likelihood > best_ll)
			{
				best_ll = candidate.log_likelihood;
				memcpy(result, &candidate, sizeof(ClvModel));
			}
		}
		result->flags |= CLV_AUTO_SELECTED;
	}
	else
		ClvFitPurchase(pm, &d, result);

	/* spend model */
	if (sd.n >= CLV_MIN_CUSTOMERS)
	{
		double		mbar = sd.sum_m / sd.n;
		double		starts[2][SM_OPT_MAX_DIM] = {{log(2.0), log(3.0), log(mbar)}, {log(6.0), log(4.0), log(mbar / 2)}};

		for (int k = 0; k < 2; k++)
			for (int i = 0; i < 3; i++)
				starts[k][i] = Max(-CLV_LOG_BOUND + 1, Min(CLV_LOG_BOUND - 1, starts[k][i]));
		pb.fn = GgObjective;
		pb.arg = &sd;
		pb.dim = 3;
		pb.n = sd.n;
		pb.bound = CLV_LOG_BOUND;
		pb.penalty = CLV_PENALTY;
		SmMinimize(&pb, (const double (*)[SM_OPT_MAX_DIM]) starts, 2, 1e-8, &best, params, se, &has_se);
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

