/*
 * inventory/policy.c — stock policy functions: EOQ and its cost, safety stock (cycle and fill-rate service),
 * reorder point, order-up-to level, the newsvendor quantity (normal and Poisson demand) and the expected
 * holding + shortage cost of a quantity.  The distributions are GSL's; units are in inventory/inventory.h.
 *
 * Lead-time demand: with demand per period of mean d and sd s_d, and a lead time of mean L and sd s_L periods
 * (independent), the demand over the lead time has mean d L and sd sqrt(L s_d^2 + d^2 s_L^2).
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_roots.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "core/validate.h"
#include "inventory/inventory.h"

/* ---------------------------------------------------------------------------------------------------------
 * Argument checks and shared formulas
 * --------------------------------------------------------------------------------------------------------- */

/* Raises 22023 for a cost or quantity that must be positive, with a hint saying why. */
static void
InvCheckPositive(float8 value, const char *argname, const char *why)
{
	SmCheckNonNegative(value, argname);
	if (value == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive", argname),
				 errhint("%s", why)));
}

/* Checks a service level or fill rate: strictly between 0 and 1. */
static void
InvCheckServiceLevel(float8 value, const char *argname)
{
	SmCheckFinite(value, argname);
	if (value <= 0 || value >= 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 0 and 1 (exclusive), not %g", argname, value),
				 errhint("A service level of 1 would need unlimited stock: use e.g. 0.95 or 0.99.")));
}

/* Returns a computed result, raising 22003 when it overflowed double precision. */
static float8
InvResult(float8 r)
{
	if (isnan(r) || isinf(r))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("result out of range"),
				 errhint("The inputs are too large for double precision: use smaller units (e.g. thousands).")));
	return r;
}

/* The demand and lead-time arguments shared by the safety-stock family. */
typedef struct InvDemandArgs
{
	float8		d;				/* demand_mean, per period */
	float8		sd;				/* demand_sd */
	float8		lt;				/* lead_time_mean, in periods */
	float8		lt_sd;			/* lead_time_sd */
} InvDemandArgs;

/*
 * Reads and checks demand_mean and demand_sd (arguments 0 and 1) and lead_time_mean and lead_time_sd (arguments
 * lt_argno and lt_argno + 1).
 */
static void
InvReadDemandArgs(FunctionCallInfo fcinfo, int lt_argno, InvDemandArgs *a)
{
	a->d = PG_GETARG_FLOAT8(0);
	a->sd = PG_GETARG_FLOAT8(1);
	a->lt = PG_GETARG_FLOAT8(lt_argno);
	a->lt_sd = PG_GETARG_FLOAT8(lt_argno + 1);
	SmCheckNonNegative(a->d, "demand_mean");
	SmCheckNonNegative(a->sd, "demand_sd");
	SmCheckNonNegative(a->lt, "lead_time_mean");
	SmCheckNonNegative(a->lt_sd, "lead_time_sd");
}

/* Standard deviation of the demand over a protection interval of mean t (sd t_sd) periods. */
static float8
InvIntervalSd(float8 demand_mean, float8 demand_sd, float8 t, float8 t_sd)
{
	return InvResult(sqrt(t * demand_sd * demand_sd + demand_mean * demand_mean * t_sd * t_sd));
}

/*
 * Standard normal loss function G(z) = E[(Z - z)+] = phi(z) - z (1 - Phi(z)); for z < 0 through
 * G(z) = G(-z) - z, which avoids the cancellation of two large terms.
 */
double
InvNormalLoss(double z)
{
	if (z < 0)
		return InvNormalLoss(-z) - z;
	return gsl_ran_ugaussian_pdf(z) - z * gsl_cdf_ugaussian_Q(z);
}

/* G(k) - target, for the root finder. */
static double
InvLossGap(double k, void *arg)
{
	return InvNormalLoss(k) - *(double *) arg;
}

/* The k with G(k) = target (> 0), by GSL's Brent solver on a bracket found first (G decreases from +inf to 0). */
static double
InvInverseLoss(double target)
{
	gsl_function f = {InvLossGap, &target};
	gsl_root_fsolver *s;
	double		lo = -(target + 1),	/* G(z) > -z */
				hi = 1,
				k = 0;
	int			status = GSL_CONTINUE;

	while (InvNormalLoss(hi) > target && hi < 64)
		hi *= 2;
	if (InvNormalLoss(hi) > target)
		return hi;				/* target below G(64), about 1e-900: k beyond any stock that matters */
	s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
	if (s == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	gsl_root_fsolver_set(s, &f, lo, hi);
	for (int iter = 0; iter < 200 && status == GSL_CONTINUE; iter++)
	{
		gsl_root_fsolver_iterate(s);
		k = gsl_root_fsolver_root(s);
		status = gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s), 1e-13, 1e-13);
	}
	gsl_root_fsolver_free(s);
	return k;
}

/* Parses 'normal' / 'poisson'. */
static InvDistribution
InvParseDistribution(text *t)
{
	char	   *name = text_to_cstring(t);

	if (strcmp(name, "normal") == 0)
		return INV_NORMAL;
	if (strcmp(name, "poisson") == 0)
		return INV_POISSON;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("distribution must be 'normal' or 'poisson', not \"%s\"", name)));
}

/*
 * Reads the demand arguments of the single-period functions: mean at argno, sd at argno + 1 (NULL for Poisson,
 * whose sd is sqrt(mean); required for normal).  Returns false when a required one is NULL (NULL result).
 */
static bool
InvSinglePeriodDemand(FunctionCallInfo fcinfo, int argno, InvDistribution dist, float8 *mean, float8 *sd)
{
	if (PG_ARGISNULL(argno))
		return false;
	*mean = PG_GETARG_FLOAT8(argno);
	SmCheckNonNegative(*mean, "demand_mean");
	if (dist == INV_POISSON)
	{
		if (!PG_ARGISNULL(argno + 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("demand_sd must be NULL for Poisson demand"),
					 errhint("Poisson demand has sd = sqrt(demand_mean); for another sd use distribution => 'normal'.")));
		if (*mean > INV_POISSON_MAX_MEAN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("demand_mean %g is too large for Poisson demand (at most %g)", *mean, INV_POISSON_MAX_MEAN),
					 errhint("At such means Poisson demand is normal with sd = sqrt(mean): use distribution => 'normal'.")));
		*sd = sqrt(*mean);
		return true;
	}
	if (PG_ARGISNULL(argno + 1))
		return false;
	*sd = PG_GETARG_FLOAT8(argno + 1);
	SmCheckNonNegative(*sd, "demand_sd");
	return true;
}

/* P(D <= k) for Poisson demand of mean mu, k >= 0 an integer below 2^32. */
static double
InvPoissonCdf(double k, double mu)
{
	return gsl_cdf_poisson_P((unsigned int) k, mu);
}

/* P(D >= j) for Poisson demand of mean mu (1 for j <= 0). */
static double
InvPoissonTailFrom(double j, double mu)
{
	if (j <= 0)
		return 1.0;
	return gsl_cdf_poisson_Q((unsigned int) (j - 1), mu);
}

/*
 * Expected shortage E[(D - q)+] and expected leftover E[(q - D)+] of a quantity q >= 0 under the demand
 * distribution.  Normal: sd G((q - mean) / sd) (the loss function; D may be negative in the normal model, as
 * in the textbook formulas).  Poisson: with k the smallest integer above q, E[(D - q)+] = mean P(D >= k - 1)
 * - q P(D >= k), from d p(d) = mean p(d - 1).  Leftover = q - mean + shortage in both.
 */
void
InvExpectedShortage(InvDistribution dist, float8 mean, float8 sd, float8 q, float8 *shortage, float8 *leftover)
{
	if (dist == INV_POISSON)
	{
		double		k = floor(q) + 1;

		*shortage = mean * InvPoissonTailFrom(k - 1, mean) - q * InvPoissonTailFrom(k, mean);
		*shortage = Max(*shortage, 0.0);
	}
	else if (sd == 0)
		*shortage = Max(mean - q, 0.0);
	else
		*shortage = sd * InvNormalLoss((q - mean) / sd);
	*leftover = Max(q - mean + *shortage, 0.0);
}

/*
 * The newsvendor quantity for a critical ratio cr in (0, 1): normal, max(0, mean + sd z(cr)); Poisson, the
 * smallest integer q with P(D <= q) >= cr (searched from the normal approximation).
 */
static float8
InvQuantityAtRatio(InvDistribution dist, float8 mean, float8 sd, float8 cr)
{
	double		z = gsl_cdf_ugaussian_Pinv(cr);

	if (dist == INV_NORMAL)
		return InvResult(Max(mean + sd * z, 0.0));
	else
	{
		double		q = Max(floor(mean + sd * z), 0.0);

		while (q > 0 && InvPoissonCdf(q - 1, mean) >= cr)
		{
			q--;
			CHECK_FOR_INTERRUPTS();
		}
		while (InvPoissonCdf(q, mean) < cr && q < 4294967295.0)
		{
			q++;
			CHECK_FOR_INTERRUPTS();
		}
		return q;
	}
}

/* ---------------------------------------------------------------------------------------------------------
 * EOQ
 * --------------------------------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(inventory_eoq);
/* eoq(annual_demand, order_cost, holding_cost): the economic order quantity sqrt(2 D S / H). */
Datum
inventory_eoq(PG_FUNCTION_ARGS)
{
	float8		demand = PG_GETARG_FLOAT8(0);
	float8		order_cost = PG_GETARG_FLOAT8(1);
	float8		holding_cost = PG_GETARG_FLOAT8(2);

	SmCheckNonNegative(demand, "annual_demand");
	SmCheckNonNegative(order_cost, "order_cost");
	InvCheckPositive(holding_cost, "holding_cost",
					 "The holding cost is per unit per year; with free storage the order quantity is unbounded.");
	PG_RETURN_FLOAT8(InvResult(sqrt(2 * demand * order_cost / holding_cost)));
}

PG_FUNCTION_INFO_V1(inventory_eoq_total_cost);
/* eoq_total_cost(annual_demand, order_cost, holding_cost, order_quantity): D / Q S + Q / 2 H per year. */
Datum
inventory_eoq_total_cost(PG_FUNCTION_ARGS)
{
	float8		demand = PG_GETARG_FLOAT8(0);
	float8		order_cost = PG_GETARG_FLOAT8(1);
	float8		holding_cost = PG_GETARG_FLOAT8(2);
	float8		q = PG_GETARG_FLOAT8(3);

	SmCheckNonNegative(demand, "annual_demand");
	SmCheckNonNegative(order_cost, "order_cost");
	SmCheckNonNegative(holding_cost, "holding_cost");
	InvCheckPositive(q, "order_quantity", "Every order brings at least some units; the cost of ordering 0 units at a time is unbounded.");
	PG_RETURN_FLOAT8(InvResult(demand / q * order_cost + q / 2 * holding_cost));
}

/* ---------------------------------------------------------------------------------------------------------
 * Safety stock, reorder point, order-up-to level
 * --------------------------------------------------------------------------------------------------------- */

/*
 * Reads the arguments (demand_mean, demand_sd, lead_time_mean, lead_time_sd, service_level) shared by
 * safety_stock and reorder_point; returns the cycle-service safety stock z(service_level) x the sd of the
 * lead-time demand and sets *lead_time_demand to its mean d L.
 */
static float8
InvCycleSafetyStock(FunctionCallInfo fcinfo, float8 *lead_time_demand)
{
	InvDemandArgs a;
	float8		level = PG_GETARG_FLOAT8(4);

	InvReadDemandArgs(fcinfo, 2, &a);
	InvCheckServiceLevel(level, "service_level");
	*lead_time_demand = a.d * a.lt;	/* checked by reorder_point, which uses it */
	return InvResult(gsl_cdf_ugaussian_Pinv(level) * InvIntervalSd(a.d, a.sd, a.lt, a.lt_sd));
}

PG_FUNCTION_INFO_V1(inventory_safety_stock);
/*
 * safety_stock(demand_mean, demand_sd, lead_time_mean, lead_time_sd, service_level): z(service_level) x the sd
 * of the lead-time demand, for a cycle service level (probability of no stockout in a replenishment cycle).
 */
Datum
inventory_safety_stock(PG_FUNCTION_ARGS)
{
	float8		mean;

	PG_RETURN_FLOAT8(InvCycleSafetyStock(fcinfo, &mean));
}

PG_FUNCTION_INFO_V1(inventory_safety_stock_fill_rate);
/*
 * safety_stock_fill_rate(demand_mean, demand_sd, lead_time_mean, lead_time_sd, fill_rate, order_quantity): the
 * safety stock k sd_L for a fill rate (beta service: the share of demand met from stock), k solving
 * G(k) = (1 - fill_rate) order_quantity / sd_L (expected units short per cycle = (1 - fill_rate) Q).
 */
Datum
inventory_safety_stock_fill_rate(PG_FUNCTION_ARGS)
{
	InvDemandArgs a;
	float8		fill = PG_GETARG_FLOAT8(4);
	float8		q = PG_GETARG_FLOAT8(5);
	float8		sigma;

	InvReadDemandArgs(fcinfo, 2, &a);
	InvCheckServiceLevel(fill, "fill_rate");
	InvCheckPositive(q, "order_quantity", "The fill rate is the share of each order cycle's demand met from stock: give the order quantity per cycle (e.g. the EOQ).");
	sigma = InvIntervalSd(a.d, a.sd, a.lt, a.lt_sd);
	if (sigma == 0)
		PG_RETURN_FLOAT8(0.0);
	PG_RETURN_FLOAT8(InvResult(InvInverseLoss(InvResult((1 - fill) * q / sigma)) * sigma));
}

PG_FUNCTION_INFO_V1(inventory_reorder_point);
/* reorder_point(...same as safety_stock): the mean lead-time demand d L plus the safety stock. */
Datum
inventory_reorder_point(PG_FUNCTION_ARGS)
{
	float8		mean;
	float8		ss = InvCycleSafetyStock(fcinfo, &mean);

	PG_RETURN_FLOAT8(InvResult(mean + ss));
}

PG_FUNCTION_INFO_V1(inventory_order_up_to_level);
/*
 * order_up_to_level(demand_mean, demand_sd, review_period, lead_time_mean, lead_time_sd, service_level): the
 * periodic-review (R, S) level, covering the review period plus the lead time: d (R + L) + z sd_{R+L}.
 */
Datum
inventory_order_up_to_level(PG_FUNCTION_ARGS)
{
	InvDemandArgs a;
	float8		review = PG_GETARG_FLOAT8(2);
	float8		level = PG_GETARG_FLOAT8(5);
	float8		t;

	InvReadDemandArgs(fcinfo, 3, &a);
	InvCheckPositive(review, "review_period", "The review period is the time between two orders, in the periods of the demand (e.g. 7 for weekly orders on daily demand).");
	InvCheckServiceLevel(level, "service_level");
	t = InvResult(review + a.lt);
	PG_RETURN_FLOAT8(InvResult(a.d * t + gsl_cdf_ugaussian_Pinv(level) * InvIntervalSd(a.d, a.sd, t, a.lt_sd)));
}

/* ---------------------------------------------------------------------------------------------------------
 * Single period: newsvendor quantity and expected cost
 * --------------------------------------------------------------------------------------------------------- */

/* Reads the distribution argument at argno; false when it is NULL. */
static bool
InvDistributionArg(FunctionCallInfo fcinfo, int argno, InvDistribution *dist)
{
	if (PG_ARGISNULL(argno))
		return false;
	*dist = InvParseDistribution(PG_GETARG_TEXT_PP(argno));
	return true;
}

/* Newsvendor quantity from underage cost cu and overage cost co per unit (critical ratio cu / (cu + co)). */
static float8
InvNewsvendor(InvDistribution dist, float8 mean, float8 sd, float8 cu, float8 co)
{
	double		cr;

	if (cu <= 0)
		return 0.0;				/* a unit short costs nothing: never stock */
	cr = 1 / (1 + co / cu);		/* cu / (cu + co), without overflowing the sum */
	if (co <= 0 || !(cr < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a unit left over must cost something: the overage cost is %g", co),
				 errhint("With salvage at or above the unit cost (or a zero holding cost) every extra unit pays, and the quantity is unbounded.")));
	return InvQuantityAtRatio(dist, mean, sd, cr);
}

PG_FUNCTION_INFO_V1(inventory_newsvendor_quantity);
/*
 * newsvendor_quantity(demand_mean, demand_sd, unit_price, unit_cost, salvage = 0, distribution = 'normal'):
 * the single-period order quantity at the critical ratio (price - cost) / (price - salvage); 0 when the
 * price does not exceed the cost.  NULL when an argument is (demand_sd must be NULL for Poisson demand).
 */
Datum
inventory_newsvendor_quantity(PG_FUNCTION_ARGS)
{
	InvDistribution dist;
	float8		mean,
				sd,
				price,
				cost,
				salvage;

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4) || !InvDistributionArg(fcinfo, 5, &dist) ||
		!InvSinglePeriodDemand(fcinfo, 0, dist, &mean, &sd))
		PG_RETURN_NULL();
	price = PG_GETARG_FLOAT8(2);
	cost = PG_GETARG_FLOAT8(3);
	salvage = PG_GETARG_FLOAT8(4);
	SmCheckNonNegative(price, "unit_price");
	SmCheckNonNegative(cost, "unit_cost");
	SmCheckFinite(salvage, "salvage");
	PG_RETURN_FLOAT8(InvNewsvendor(dist, mean, sd, price - cost, cost - salvage));
}

PG_FUNCTION_INFO_V1(inventory_newsvendor_quantity_by_cost);
/*
 * newsvendor_quantity_by_cost(demand_mean, demand_sd, holding_cost, shortage_cost, distribution = 'normal'):
 * the quantity at the critical ratio shortage / (shortage + holding), costs per unit left over and per unit
 * short at the end of the period.
 */
Datum
inventory_newsvendor_quantity_by_cost(PG_FUNCTION_ARGS)
{
	InvDistribution dist;
	float8		mean,
				sd,
				holding,
				shortage;

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3) || !InvDistributionArg(fcinfo, 4, &dist) ||
		!InvSinglePeriodDemand(fcinfo, 0, dist, &mean, &sd))
		PG_RETURN_NULL();
	holding = PG_GETARG_FLOAT8(2);
	shortage = PG_GETARG_FLOAT8(3);
	SmCheckNonNegative(holding, "holding_cost");
	SmCheckNonNegative(shortage, "shortage_cost");
	PG_RETURN_FLOAT8(InvNewsvendor(dist, mean, sd, shortage, holding));
}

PG_FUNCTION_INFO_V1(inventory_expected_cost);
/*
 * expected_inventory_cost(order_quantity, demand_mean, demand_sd, holding_cost, shortage_cost,
 * distribution = 'normal'): holding_cost E[(Q - D)+] + shortage_cost E[(D - Q)+] for one period.
 */
Datum
inventory_expected_cost(PG_FUNCTION_ARGS)
{
	InvDistribution dist;
	float8		q,
				mean,
				sd,
				holding,
				shortage,
				short_units,
				left_units;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(3) || PG_ARGISNULL(4) || !InvDistributionArg(fcinfo, 5, &dist) ||
		!InvSinglePeriodDemand(fcinfo, 1, dist, &mean, &sd))
		PG_RETURN_NULL();
	q = PG_GETARG_FLOAT8(0);
	holding = PG_GETARG_FLOAT8(3);
	shortage = PG_GETARG_FLOAT8(4);
	SmCheckNonNegative(q, "order_quantity");
	SmCheckNonNegative(holding, "holding_cost");
	SmCheckNonNegative(shortage, "shortage_cost");
	if (dist == INV_POISSON && q >= 4294967295.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order_quantity %g is too large for Poisson demand", q),
				 errhint("Use distribution => 'normal' for such quantities.")));
	InvExpectedShortage(dist, mean, sd, q, &short_units, &left_units);
	PG_RETURN_FLOAT8(InvResult(holding * left_units + shortage * short_units));
}

PG_FUNCTION_INFO_V1(inventory_normal_loss);
/* normal_loss(z): the standard normal loss function E[(Z - z)+]. */
Datum
inventory_normal_loss(PG_FUNCTION_ARGS)
{
	float8		z = PG_GETARG_FLOAT8(0);

	SmCheckFinite(z, "z");
	PG_RETURN_FLOAT8(InvNormalLoss(z));
}
