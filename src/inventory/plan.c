/*
 * inventory/plan.c — replenishment_plan: order quantities for a whole assortment minimising the expected
 * holding + shortage cost of the period, under a budget and a warehouse capacity, with pack sizes and minimum
 * order quantities; solved with GLPK (an LP, or a MIP when packs or minimum orders apply).
 *
 * Model.  Product i with stock on hand a_i, normal demand D_i (mean, sd) over the period (the lead time plus
 * the review period: whatever the forecast covers), holding cost h_i per unit left and shortage cost p_i per
 * unit short: C_i(q) = h_i E[(a_i + q - D)+] + p_i E[(D - a_i - q)+] is convex in the order q >= 0, lowest at
 * q*_i = max(0, S*_i - a_i), S*_i the newsvendor level (critical ratio p / (p + h)).  C_i is replaced by its
 * chords between breakpoints on [0, q*_i] (`segments` of them, q*_i a breakpoint) and beyond q*_i up to one
 * pack (or the minimum order) further: the incremental formulation q_i = sum_k d_ik, 0 <= d_ik <= len_ik,
 * cost C_i(0) + sum_k slope_ik d_ik, whose slopes increase (convexity), so the d_ik fill in order without
 * integer variables.  Rows: sum_i unit_cost_i q_i <= budget; sum_i volume_i (a_i + q_i) <= capacity; for a
 * pack size P_i > 0, q_i = P_i n_i with n_i integer; for a minimum order M_i > 0, q_i = 0 or q_i >= M_i (a
 * binary).  Without a budget or capacity the answer is every product's newsvendor quantity q*_i (a
 * breakpoint).  The shadow prices are the duals of the budget and capacity rows (for a MIP, of the LP with
 * the integer choices fixed).
 *
 * GLPK is called with its terminal output off and an error hook that jumps back here (GLPK aborts the
 * process when a hook returns), and in slices of a quarter second so that cancel and statement_timeout work.
 */
#include "postgres.h"

#include <math.h>
#include <setjmp.h>

#include <glpk.h>
#include <gsl/gsl_cdf.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

#include "core/json.h"
#include "core/options.h"
#include "core/row_buffer.h"
#include "core/validate.h"
#include "inventory/inventory.h"

/* Largest magnitude of an input (the solver works in double precision with fixed tolerances). */
#define RP_MAX_VALUE 1e12

/* Row layout: product_id (int64), then the float8 inputs. */
enum
{
	RP_ID, RP_MEAN, RP_SD, RP_ON_HAND, RP_COST, RP_HOLD, RP_SHORT, RP_PACK, RP_MOQ, RP_VOLUME, RP_NCOLS
};
enum
{
	RPP_BUDGET, RPP_CAPACITY, RPP_SEGMENTS, RPP_TIME_LIMIT, RPP_GAP
};

const SmRowKind sm_replenishment_kind = {
	.typname = "replenishment_plan_state", .id = 9, .ncols = RP_NCOLS, .int_cols = 1,
	.int_params = (1u << RPP_SEGMENTS) | (1u << RPP_TIME_LIMIT),
	.param_names = {"budget", "capacity", "segments", "time_limit_ms", "mip_gap"},
	.initial_rows = 64,
};
SM_ROW_BUFFER_IO(replenishment_plan_state, sm_replenishment_kind)
SM_ROW_BUFFER_COMBINE(replenishment_plan_state, sm_replenishment_kind)

enum
{
	RPO_BUDGET, RPO_CAPACITY, RPO_SEGMENTS, RPO_TIME_LIMIT, RPO_GAP, RPO_NFIELDS
};

static const SmOptionsKind sm_replenishment_options_kind = {
	.typname = "replenishment_options", .id = 6, .nfields = RPO_NFIELDS,
	.fields = {
		[RPO_BUDGET] = {.name = "budget", .type = SM_OPT_FLOAT, .min = -1, .max = 1e300, .has_default = true,
		.default_value = -1},
		[RPO_CAPACITY] = {.name = "capacity", .type = SM_OPT_FLOAT, .min = -1, .max = 1e300, .has_default = true,
		.default_value = -1},
		[RPO_SEGMENTS] = {.name = "segments", .type = SM_OPT_INT, .min = 2, .max = 200, .has_default = true,
		.default_value = 24},
		[RPO_TIME_LIMIT] = {.name = "time_limit_ms", .type = SM_OPT_INT, .min = 100, .max = 3600000,
		.has_default = true, .default_value = 60000},
		[RPO_GAP] = {.name = "mip_gap", .type = SM_OPT_FLOAT, .min = 0, .max = 0.5, .has_default = true,
		.default_value = 1e-3},
	},
};

SM_OPTIONS_FUNCTIONS(replenishment_options, sm_replenishment_options_kind)

/* Reads a float argument that may not be NULL on a row that takes part (NULL rows are skipped earlier). */
static float8
RpArg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	float8		v = PG_GETARG_FLOAT8(argno);

	SmCheckNonNegative(v, name);
	if (fabs(v) > RP_MAX_VALUE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("replenishment_plan: %s %g is out of range (at most 1e12)", name, v),
				 errhint("The LP solver needs numbers of moderate size: use thousands as the unit.")));
	return v;
}

/* Shared transition: one product row with the call's parameters. */
static Datum
RpCollect(FunctionCallInfo fcinfo, int nrowargs, double budget, double capacity, int segments, int time_limit,
		  double gap)
{
	static const char *const names[RP_NCOLS] = {"product_id", "demand_mean", "demand_sd", "on_hand", "unit_cost",
	"holding_cost", "shortage_cost", "pack_size", "min_order", "volume"};
	float8		row[RP_NCOLS] = {0},
				params[SM_ROWS_PARAMS] = {0};
	SmRowBuffer *buf;

	for (int i = 1; i <= nrowargs; i++)
		if (PG_ARGISNULL(i))
			SM_SKIP_ROW();
	SmSlotSetInt(&row[RP_ID], PG_GETARG_INT64(1));
	for (int c = RP_MEAN; c <= nrowargs - 1 && c < RP_NCOLS; c++)
		row[c] = RpArg(fcinfo, c + 1, names[c]) + 0.0;
	/* the short form leaves pack, minimum order and volume at 0 (row starts zeroed) */
	buf = SmRowBufferForUpdate(fcinfo, &sm_replenishment_kind);
	params[RPP_BUDGET] = budget;
	params[RPP_CAPACITY] = capacity;
	SmSlotSetInt(&params[RPP_SEGMENTS], segments);
	SmSlotSetInt(&params[RPP_TIME_LIMIT], time_limit);
	params[RPP_GAP] = gap;
	SmRowBufferSetParams(buf, &sm_replenishment_kind, params);
	PG_RETURN_POINTER(SmRowBufferAppend(buf, &sm_replenishment_kind, row, CurrentMemoryContext));
}

PG_FUNCTION_INFO_V1(replenishment_plan_transfn);
/* replenishment_plan(product_id, demand_mean, demand_sd, on_hand, unit_cost, holding_cost, shortage_cost, budget). */
Datum
replenishment_plan_transfn(PG_FUNCTION_ARGS)
{
	float8		budget = -1;

	if (!PG_ARGISNULL(8))
		budget = RpArg(fcinfo, 8, "budget");
	return RpCollect(fcinfo, RP_SHORT + 1, budget, -1, 24, 60000, 1e-3);
}

PG_FUNCTION_INFO_V1(replenishment_plan_options_transfn);
/* replenishment_plan(product_id, ..., shortage_cost, pack_size, min_order, volume, options). */
Datum
replenishment_plan_options_transfn(PG_FUNCTION_ARGS)
{
	const SmOptions *o;

	for (int i = 1; i <= RP_NCOLS; i++)	/* before reading the options: a skipped row needs none */
		if (PG_ARGISNULL(i))
			SM_SKIP_ROW();
	o = SmOptionsArg(fcinfo, RP_NCOLS + 1, &sm_replenishment_options_kind);
	return RpCollect(fcinfo, RP_NCOLS, o->values[RPO_BUDGET], o->values[RPO_CAPACITY],
					 (int) o->values[RPO_SEGMENTS], (int) o->values[RPO_TIME_LIMIT], o->values[RPO_GAP]);
}

/* Expected holding + shortage cost of product row r when it orders q. */
static double
RpCost(const float8 *r, double q)
{
	double		shortage,
				leftover;

	InvExpectedShortage(INV_NORMAL, r[RP_MEAN], r[RP_SD], r[RP_ON_HAND] + q, &shortage, &leftover);
	return r[RP_HOLD] * leftover + r[RP_SHORT] * shortage;
}

/* The newsvendor order of product row r (the unconstrained optimum). */
static double
RpNewsvendorOrder(const float8 *r)
{
	double		level;

	if (r[RP_SHORT] <= 0)
		return 0;
	if (r[RP_HOLD] <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("replenishment_plan: product " INT64_FORMAT " has a shortage cost but no holding cost",
						SmSlotInt(&r[RP_ID])),
				 errhint("With free storage every extra unit pays and the order is unbounded: give each product a positive holding cost.")));
	level = r[RP_MEAN] + r[RP_SD] * gsl_cdf_ugaussian_Pinv(r[RP_SHORT] / (r[RP_SHORT] + r[RP_HOLD]));
	return Max(level - r[RP_ON_HAND], 0.0);
}

/* Jump target of the GLPK error hook. */
static void
RpGlpkErrorHook(void *info)
{
	siglongjmp(*(sigjmp_buf *) info, 1);
}

/*
 * MIP callback: stops the search when a cancel, statement_timeout or termination is pending (raised by the
 * CHECK_FOR_INTERRUPTS after the solver returns).  Not on any pending interrupt: InterruptPending is also set
 * by benign events (a parallel worker's message to the leader, a cache catch-up), and stopping on those made the
 * plan depend on them: the same rows gave a different plan in another process.
 */
static void
RpMipCallback(glp_tree *tree, void *info)
{
	if (QueryCancelPending || ProcDiePending)
		glp_ios_terminate(tree);
}

static int
RpCmpRow(const void *a, const void *b)
{
	int64		x = SmSlotInt((const float8 *) a),
				y = SmSlotInt((const float8 *) b);

	return (x > y) - (x < y);
}

/* Appends "key":number (null for NaN). */
static void
RpJsonNumber(StringInfo buf, const char *key, double v, bool first)
{
	SmAppendJsonKey(buf, key, first);
	if (isnan(v) || isinf(v))
		appendStringInfoString(buf, "null");
	else
		SmAppendFloat8(buf, v);
}

/* The problem of one plan: the sorted product rows and the call's parameters. */
typedef struct RpProblem
{
	const float8 *rows;
	int64		n;
	double		budget,
				capacity,
				gap;
	int			segments,
				time_limit;
} RpProblem;

/*
 * Builds the LP / MIP of the plan, solves it with GLPK and writes the plan's JSON to out.  Runs with the GLPK
 * error hook set (RpSolveGuarded); every GLPK object dies with glp_free_env in the caller.
 */
static void
RpSolve(const RpProblem *pb, StringInfo outbuf)
{
	const float8 *rows = pb->rows;
	int64		n = pb->n;
	double		budget = pb->budget,
				capacity = pb->capacity,
				gap = pb->gap,
				base_cost = 0,
				on_hand_volume = 0;
	int			segments = pb->segments,
				time_limit = pb->time_limit;
	glp_prob   *lp;
	int		   *first_col,
			   *ncols_of,
			   *int_col,
			   *bin_col;
	double	   *qstar,
			   *qmax;
	int			budget_row = 0,
				capacity_row = 0;
	bool		mip,
				rounded = false;
	const char *status;
	double		obj,
				budget_dual = NAN,
				capacity_dual = NAN,
				budget_used = 0,
				capacity_used = 0,
				exact = 0;
	StringInfo	out = outbuf;

	qstar = SmAllocArray(n, sizeof(double));
	qmax = SmAllocArray(n, sizeof(double));
	first_col = SmAllocArray(n, sizeof(int));
	ncols_of = SmAllocArray(n, sizeof(int));
	int_col = SmAllocArray(n, sizeof(int));
	bin_col = SmAllocArray(n, sizeof(int));
	mip = false;
	for (int64 i = 0; i < n; i++)
	{
		const float8 *r = &rows[i * RP_NCOLS];

		qstar[i] = RpNewsvendorOrder(r);
		qmax[i] = Max(qstar[i] + r[RP_PACK], r[RP_MOQ]);
		qmax[i] = Max(qmax[i], qstar[i]);
		if (r[RP_PACK] > 0 || r[RP_MOQ] > 0)
			mip = true;
		base_cost += RpCost(r, 0);
		on_hand_volume += r[RP_VOLUME] * r[RP_ON_HAND];
		CHECK_FOR_INTERRUPTS();
	}
	if (capacity >= 0 && on_hand_volume > capacity * (1 + 1e-12))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("replenishment_plan: the stock on hand takes %g of the capacity %g", on_hand_volume, capacity),
				 errhint("capacity is the space for the stock after the orders arrive (sum of volume x (on_hand + order)).")));

	glp_term_out(GLP_OFF);
	lp = glp_create_prob();
	glp_set_obj_dir(lp, GLP_MIN);
	/* the cost of ordering nothing as the constant term: the MIP gap is then relative to the total cost */
	glp_set_obj_coef(lp, 0, base_cost);
	if (budget >= 0)
	{
		budget_row = glp_add_rows(lp, 1);
		glp_set_row_bnds(lp, budget_row, GLP_UP, 0, budget);
	}
	if (capacity >= 0)
	{
		capacity_row = glp_add_rows(lp, 1);
		glp_set_row_bnds(lp, capacity_row, GLP_UP, 0, capacity - on_hand_volume);
	}
	/* columns: each product's segments, then its integer pack count / minimum-order binary with their rows */
	for (int64 i = 0; i < n; i++)
	{
		const float8 *r = &rows[i * RP_NCOLS];
		double		prev_q = 0,
					prev_c = RpCost(r, 0);
		int			below = qstar[i] > 0 ? segments : 0,
					above = qmax[i] > qstar[i] ? 2 : 0;
		int			nseg = below + above;
		int		   *ind;
		double	   *val;

		first_col[i] = nseg > 0 ? glp_get_num_cols(lp) + 1 : 0;
		ncols_of[i] = nseg;
		if (nseg == 0)
			continue;
		glp_add_cols(lp, nseg);
		ind = palloc((nseg + 3) * sizeof(int));
		val = palloc((nseg + 3) * sizeof(double));
		for (int k = 1; k <= nseg; k++)
		{
			int			col = first_col[i] + k - 1;
			double		q = k <= below ? qstar[i] * k / below : qstar[i] + (qmax[i] - qstar[i]) * (k - below) / above;
			double		c = RpCost(r, q);
			double		len = q - prev_q;

			glp_set_col_bnds(lp, col, len > 0 ? GLP_DB : GLP_FX, 0, Max(len, 0));
			glp_set_obj_coef(lp, col, len > 0 ? (c - prev_c) / len : 0);
			prev_q = q;
			prev_c = c;
		}
		/* integer pack count: sum d - P n = 0 */
		if (r[RP_PACK] > 0)
		{
			int			ncol = glp_add_cols(lp, 1);
			int			row = glp_add_rows(lp, 1);

			glp_set_col_kind(lp, ncol, GLP_IV);
			glp_set_col_bnds(lp, ncol, GLP_DB, 0, ceil(qmax[i] / r[RP_PACK]));
			glp_set_row_bnds(lp, row, GLP_FX, 0, 0);
			for (int k = 0; k < nseg; k++)
			{
				ind[k + 1] = first_col[i] + k;
				val[k + 1] = 1;
			}
			ind[nseg + 1] = ncol;
			val[nseg + 1] = -r[RP_PACK];
			glp_set_mat_row(lp, row, nseg + 1, ind, val);
			int_col[i] = ncol;
		}
		/* minimum order: M y <= sum d <= qmax y, y binary */
		if (r[RP_MOQ] > 0)
		{
			int			ycol = glp_add_cols(lp, 1);
			int			row = glp_add_rows(lp, 2);

			glp_set_col_kind(lp, ycol, GLP_BV);
			for (int k = 0; k < nseg; k++)
			{
				ind[k + 1] = first_col[i] + k;
				val[k + 1] = 1;
			}
			ind[nseg + 1] = ycol;
			val[nseg + 1] = -r[RP_MOQ];
			glp_set_row_bnds(lp, row, GLP_LO, 0, 0);
			glp_set_mat_row(lp, row, nseg + 1, ind, val);
			val[nseg + 1] = -qmax[i];
			glp_set_row_bnds(lp, row + 1, GLP_UP, 0, 0);
			glp_set_mat_row(lp, row + 1, nseg + 1, ind, val);
			bin_col[i] = ycol;
		}
		pfree(ind);
		pfree(val);
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	/* the budget and capacity rows, each in one call */
	for (int which = 0; which < 2; which++)
	{
		int			row = which == 0 ? budget_row : capacity_row;
		int			ncols = glp_get_num_cols(lp),
					nz = 0;
		int		   *ind;
		double	   *val;

		if (row == 0)
			continue;
		ind = SmAllocArray(ncols + 1, sizeof(int));
		val = SmAllocArray(ncols + 1, sizeof(double));
		for (int64 i = 0; i < n; i++)
		{
			double		coef = rows[i * RP_NCOLS + (which == 0 ? RP_COST : RP_VOLUME)];

			if (coef == 0)
				continue;
			for (int k = 0; k < ncols_of[i]; k++)
			{
				nz++;
				ind[nz] = first_col[i] + k;
				val[nz] = coef;
			}
		}
		glp_set_mat_row(lp, row, nz, ind, val);
		pfree(ind);
		pfree(val);
	}

	/* solve: the LP in quarter-second slices (cancel and statement_timeout are checked between them) */
	if (glp_get_num_cols(lp) == 0)
	{
		status = "optimal";
		obj = base_cost;
	}
	else
	{
		glp_smcp sp;
		int			ret,
					used = 0;
		TimestampTz start = GetCurrentTimestamp();

		glp_init_smcp(&sp);
		sp.msg_lev = GLP_MSG_OFF;
		sp.presolve = GLP_OFF;
		/*
		 * the dual simplex with the long-step ratio test: the LP is one or two rows over many bounded segment
		 * columns, so the optimum is mostly bound flips, which that test makes many at a time (the primal
		 * simplex makes one per iteration: 10,000 products did not finish in 60 s)
		 */
		sp.meth = GLP_DUALP;
		sp.r_test = GLP_RT_FLIP;
		/*
		 * in slices of 2,000 simplex iterations (not of time: slices of time would make the pivots, and so
		 * the duals of a degenerate LP, depend on the machine's load); cancel and statement_timeout are
		 * checked between them
		 */
		do
		{
			long		secs;
			int			usecs;

			sp.it_lim = 2000;
			ret = glp_simplex(lp, &sp);
			CHECK_FOR_INTERRUPTS();
			TimestampDifference(start, GetCurrentTimestamp(), &secs, &usecs);
			used = (int) Min(secs * 1000 + usecs / 1000, (long) PG_INT32_MAX);
		} while (ret == GLP_EITLIM && used < time_limit);
		if (ret != 0 && ret != GLP_EITLIM)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("replenishment_plan: GLPK simplex failed (code %d)", ret)));
		status = glp_get_status(lp) == GLP_OPT ? "optimal" : "time limit";
		/*
		 * stopped by the time limit: the dual simplex's point need not be a plan (primal infeasible: over the
		 * budget), so it is an error unless the point is feasible; a MIP then takes the rounded-LP plan below
		 */
		if (glp_get_status(lp) != GLP_OPT && glp_get_prim_stat(lp) != GLP_FEAS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("replenishment_plan: no plan found within time_limit_ms (%d ms, %lld products)",
							time_limit, (long long) n),
					 errhint("Raise replenishment_options(time_limit_ms => ...) or lower segments.")));
		if (mip && glp_get_status(lp) != GLP_OPT)
		{
			status = "rounded LP";	/* no time left for the MIP: the LP's feasible point, rounded down */
			mip = false;
			rounded = true;
		}
		obj = glp_get_obj_val(lp);
		if (budget_row)
			budget_dual = -glp_get_row_dual(lp, budget_row);
		if (capacity_row)
			capacity_dual = -glp_get_row_dual(lp, capacity_row);
		if (mip && glp_get_status(lp) == GLP_OPT)
		{
			glp_iocp ip;

			glp_init_iocp(&ip);
			ip.msg_lev = GLP_MSG_OFF;
			ip.mip_gap = gap;
			ip.mir_cuts = GLP_ON;
			ip.gmi_cuts = GLP_ON;
			ip.tm_lim = Max(time_limit - used, 100);
			ip.cb_func = RpMipCallback;
			ret = glp_intopt(lp, &ip);
			CHECK_FOR_INTERRUPTS();
			if (glp_mip_status(lp) == GLP_OPT)
				status = "optimal";
			else if (glp_mip_status(lp) == GLP_FEAS)
				status = ret == GLP_ETMLIM ? "time limit" : ret == GLP_EMIPGAP ? "within mip_gap" : "feasible";
			else
			{
				/*
				 * no whole-pack plan found in time: the LP's orders rounded down to whole packs, and those below
				 * their minimum to 0, always fit the budget and the capacity
				 */
				status = "rounded LP";
				mip = false;
				rounded = true;
			}
		}
		if (mip)
		{
			obj = glp_mip_obj_val(lp);
			/* shadow prices of the LP with the integer choices fixed */
			for (int64 i = 0; i < n; i++)
			{
				if (int_col[i])
				{
					double		v = glp_mip_col_val(lp, int_col[i]);

					glp_set_col_kind(lp, int_col[i], GLP_CV);
					glp_set_col_bnds(lp, int_col[i], GLP_FX, v, v);
				}
				if (bin_col[i])
				{
					double		v = glp_mip_col_val(lp, bin_col[i]);

					glp_set_col_kind(lp, bin_col[i], GLP_CV);
					glp_set_col_bnds(lp, bin_col[i], GLP_FX, v, v);
				}
			}
			sp.it_lim = 20000;	/* for the shadow prices only: bounded, NaN when not solved */
			if (glp_simplex(lp, &sp) == 0 && glp_get_status(lp) == GLP_OPT)
			{
				budget_dual = budget_row ? -glp_get_row_dual(lp, budget_row) : NAN;
				capacity_dual = capacity_row ? -glp_get_row_dual(lp, capacity_row) : NAN;
			}
			else
				budget_dual = capacity_dual = NAN;
		}
	}

	/* the plan as JSON */
	appendStringInfo(out, "{\"plan\":\"replenishment_plan\",\"status\":\"%s\",\"solver\":\"GLPK %s %s\"",
					 status, glp_version(), mip ? "MIP" : "LP");
	{
		StringInfoData items;

		initStringInfo(&items);
		for (int64 i = 0; i < n; i++)
		{
			const float8 *r = &rows[i * RP_NCOLS];
			double		q = 0;

			for (int k = 0; k < ncols_of[i]; k++)
				q += (mip ? glp_mip_col_val(lp, first_col[i] + k) : glp_get_col_prim(lp, first_col[i] + k));
			if (r[RP_PACK] > 0 && mip)
				q = r[RP_PACK] * round(q / r[RP_PACK]);	/* exact multiple, as the integer column says */
			if (rounded)
			{
				if (r[RP_PACK] > 0)
					q = r[RP_PACK] * floor(q / r[RP_PACK] + 1e-9);
				if (q < r[RP_MOQ])
					q = 0;
			}
			q = Max(q, 0);
			budget_used += r[RP_COST] * q;
			capacity_used += r[RP_VOLUME] * (r[RP_ON_HAND] + q);
			exact += RpCost(r, q);
			appendStringInfo(&items, "%s{\"product_id\":" INT64_FORMAT, i > 0 ? "," : "", SmSlotInt(&r[RP_ID]));
			RpJsonNumber(&items, "order_qty", q, false);
			RpJsonNumber(&items, "order_up_to", r[RP_ON_HAND] + q, false);
			RpJsonNumber(&items, "newsvendor_qty", qstar[i], false);
			RpJsonNumber(&items, "expected_cost", RpCost(r, q), false);
			appendStringInfoChar(&items, '}');
		}
		RpJsonNumber(out, "objective", obj, false);
		RpJsonNumber(out, "expected_cost", exact, false);
		RpJsonNumber(out, "cost_without_orders", base_cost, false);
		RpJsonNumber(out, "budget", budget >= 0 ? budget : NAN, false);
		RpJsonNumber(out, "budget_used", budget_used, false);
		RpJsonNumber(out, "budget_shadow_price", budget_dual, false);
		RpJsonNumber(out, "capacity", capacity >= 0 ? capacity : NAN, false);
		RpJsonNumber(out, "capacity_used", capacity_used, false);
		RpJsonNumber(out, "capacity_shadow_price", capacity_dual, false);
		appendStringInfo(out, ",\"binding\":[%s%s%s]",
						 budget >= 0 && budget - budget_used <= 1e-7 * (1 + budget) ? "\"budget\"" : "",
						 budget >= 0 && budget - budget_used <= 1e-7 * (1 + budget) && capacity >= 0 &&
						 capacity - capacity_used <= 1e-7 * (1 + capacity) ? "," : "",
						 capacity >= 0 && capacity - capacity_used <= 1e-7 * (1 + capacity) ? "\"capacity\"" : "");
		appendStringInfo(out, ",\"products\":" INT64_FORMAT ",\"segments\":%d,\"orders\":[%s]}", n, segments,
						 items.data);
	}
}

/* RpSolve with the GLPK error hook jumping back here, turned into an ERROR. */
static void
RpSolveGuarded(const RpProblem *pb, StringInfo out)
{
	sigjmp_buf	jb;

	if (sigsetjmp(jb, 0) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("replenishment_plan: the GLPK solver failed on these numbers"),
				 errhint("Keep demands, stocks, costs and limits within about 1e12 of each other (use thousands as the unit).")));
	glp_error_hook(RpGlpkErrorHook, &jb);
	RpSolve(pb, out);
}

PG_FUNCTION_INFO_V1(replenishment_plan_final);
/* Final function: builds and solves the model, returns the plan as jsonb (see the SQL comment). */
Datum
replenishment_plan_final(PG_FUNCTION_ARGS)
{
	SmRowBuffer *buf;
	float8	   *rows;
	int64		n;
	double		budget,
				capacity,
				gap;
	int			segments,
				time_limit;
	StringInfoData out;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	buf = SmRowBufferArg(fcinfo, 0, &sm_replenishment_kind);
	n = buf->nrows;
	if (n == 0)
		PG_RETURN_NULL();
	if (n > 1000000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("replenishment_plan: " INT64_FORMAT " products, at most 1,000,000", n)));
	budget = buf->params[RPP_BUDGET];
	capacity = buf->params[RPP_CAPACITY];
	segments = (int) SmSlotInt(&buf->params[RPP_SEGMENTS]);
	time_limit = (int) SmSlotInt(&buf->params[RPP_TIME_LIMIT]);
	gap = buf->params[RPP_GAP];
	if (!(buf->flags & SM_ROWS_PARAMS_SET) || !(budget == -1 || budget >= 0) || !(capacity == -1 || capacity >= 0) ||
		segments < 2 || segments > 200 || time_limit < 100 || time_limit > 3600000 || !(gap >= 0 && gap <= 0.5))
		SmErrorInvalidValue("replenishment_plan_state", "parameters out of range");
	rows = SmAllocArray(n * RP_NCOLS, sizeof(float8));
	memcpy(rows, buf->values, n * RP_NCOLS * sizeof(float8));
	qsort(rows, n, RP_NCOLS * sizeof(float8), RpCmpRow);
	for (int64 i = 1; i < n; i++)
		if (SmSlotInt(&rows[i * RP_NCOLS]) == SmSlotInt(&rows[(i - 1) * RP_NCOLS]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("replenishment_plan: product " INT64_FORMAT " appears twice",
							SmSlotInt(&rows[i * RP_NCOLS])),
					 errhint("Give one row per product (sum its forecast first).")));

	{
		RpProblem	pb = {rows, n, budget, capacity, gap, segments, time_limit};

		initStringInfo(&out);
		/* GLPK's memory is its own: freed on the way out, also when an error or a cancel leaves early */
		PG_TRY();
		{
			RpSolveGuarded(&pb, &out);
		}
		PG_FINALLY();
		{
			glp_error_hook(NULL, NULL);
			glp_free_env();
		}
		PG_END_TRY();
	}
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}
