/*
 * numeric/special.h — log-space helpers and special functions that know no model: softplus, (1 - e^-y)/y,
 * log-add-exp, adaptive quadrature of log-concave integrands, and the Gauss hypergeometric function
 * 2F1(1, p1; p1 + p2; z) in log space with its parameter derivatives.
 */
#ifndef SUPPLYMKT_NUMERIC_SPECIAL_H
#define SUPPLYMKT_NUMERIC_SPECIAL_H

#include "postgres.h"

#include <math.h>

/* log(1 + exp(d)) without overflow. */
static inline double
SmSoftplus(double d)
{
	return d > 0 ? d + log1p(exp(-d)) : log1p(exp(d));
}

/* (1 - exp(-y)) / y, 1 at y = 0. */
static inline double
SmPhi(double y)
{
	return y == 0 ? 1.0 : -expm1(-y) / y;
}

/* log(e^a + e^b) without overflow. */
static inline double
SmLogAddExp(double a, double b)
{
	double		mx = Max(a, b);

	if (mx == -INFINITY)
		return mx;
	return mx + log1p(exp(-fabs(a - b)));
}

/* log(e^a + e^b - e^c) when e^c <= e^b (c is the log of a part of b); -inf-safe. */
static inline double
SmLogAddSub(double a, double b, double c)
{
	double		mx = Max(a, b);

	return mx + log(exp(a - mx) + exp(b - mx) - exp(c - mx));
}

extern double SmIntegrate(double (*fn) (double, void *), void *arg, double lo, double hi, double epsabs);
extern double SmIntegrateOut(double (*f) (double, void *), double (*logf) (double, void *), void *arg,
							 double mode, double peak, double dir, double step, double limit);
extern double SmLog1pRemainder(double u);

/*
 * log 2F1(1, p1; p1 + p2; z) for 0 <= z < 1, with w = 1 - z and Pm1 = p1 + p2 - 1 given separately (the caller
 * computes them without cancellation); with grad non-NULL also its partial derivatives with respect to p1, p2
 * and z in grad[0..2].  The value lies in [0, -log w].
 */
extern double SmLogHyp2F1One(double p1, double p2, double z, double w, double Pm1, double *grad);

#endif							/* SUPPLYMKT_NUMERIC_SPECIAL_H */
