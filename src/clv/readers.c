/*
 * clv/readers.c — the readers of a clv_model (expected purchases, P(alive), one customer's log-likelihood,
 * expected spend, discounted CLV) and the checks of customer inputs they share with clv_fit.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/float.h"

#include "core/validate.h"
#include "clv/clv.h"

/* ---------------------------------------------------------------------------------------------------------
 * Input validation shared by the aggregate and the readers
 * --------------------------------------------------------------------------------------------------------- */

/* Rejects values above CLV_MAX_INPUT (they would only overflow the likelihood). */
void
ClvCheckMax(float8 v, const char *argname)
{
	if (v > CLV_MAX_INPUT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be at most 1e15, got %s", argname, float8out_internal(v))));
}

/*
 * Checks one customer's (frequency, recency, t): whole x >= 0, 0 <= t_x <= T, t_x = 0 when x = 0, and T > 0
 * unless x = 0 (a customer whose first purchase ends the observation period: T = 0, no information).
 */
void
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
	if (!(T > 0) && !(T == 0 && x == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t (the customer's age) must be positive, got %s", float8out_internal(T)),
				 errhint("t is the time from the first purchase to the end of the observation period; only a customer without repeat purchases can have t = 0.")));
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
void
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
 * Readers
 * --------------------------------------------------------------------------------------------------------- */

/* Expected purchases in (T, T + t] (conditional expectation) under the model's purchase model. */
static double
ClvExpectedPurchases(const ClvModel *m, double t, double x, double tx, double T)
{
	const ClvPurchaseModel *pm = ClvPurchaseModelOf(m->model);

	return pm->palive(m->params, x, tx, T) * pm->q(m->params, x, t, T);
}

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
	v = ClvPurchaseModelOf(m->model)->palive(m->params, x, tx, T);
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
	v = ClvPurchaseModelOf(m->model)->loglik(m->params, x, tx, T);
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
