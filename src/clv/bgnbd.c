/*
 * clv/bgnbd.c — the BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers the easy way"):
 * one customer's log-likelihood, P(alive), the expected purchases of a customer known to be alive (series
 * after Pfaff's transformations, quadrature where they would cancel), and the fitting objective.  The
 * likelihood, P(alive) and objective take the drop-out shift that also serves MBG/NBD (mbgnbd.c).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "miscadmin.h"

#include "numeric/special.h"
#include "clv/clv.h"

/* ---------------------------------------------------------------------------------------------------------
 * BG/NBD, and MBG/NBD through the drop-out shift s (0: BG/NBD; 1: MBG/NBD, a drop-out chance also right after
 * the first purchase, so x + 1 chances in all):
 *
 * L(r, alpha, a, b | x, t_x, T) = B(a, b+x+s)/B(a, b) Gamma(r+x)/Gamma(r) alpha^r / (alpha+T)^(r+x)
 *                                 * [1 + [x > 0 or s = 1] a/(b+x+s-1) ((alpha+T)/(alpha+t_x))^(r+x)],
 * the bracket evaluated as softplus(D), D = log a - log(b+x+s-1) + (r+x) log((alpha+T)/(alpha+t_x)).
 * --------------------------------------------------------------------------------------------------------- */

/* D of the likelihood (where the bracket has its second term). */
static double
BetaGeoD(double r, double alpha, double a, double b, double x, double tx, double T, int shift)
{
	return log(a) - log(b + x + (shift - 1)) + (r + x) * log1p((T - tx) / (alpha + tx));
}

/* One customer's log-likelihood under BG/NBD (shift 0) or MBG/NBD (shift 1). */
double
ClvBetaGeoLogLik(const double *p, double x, double tx, double T, int shift)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];
	double		ll = gsl_sf_lnpoch(r, x) - r * log1p(T / alpha) - x * log(alpha + T)
		+ gsl_sf_lnbeta(a, b + x + shift) - gsl_sf_lnbeta(a, b);

	if (x > 0 || shift)
		ll += SmSoftplus(BetaGeoD(r, alpha, a, b, x, tx, T, shift));
	return ll;
}

/* P(alive | x, t_x, T) = 1 / (1 + e^D): 1 for BG/NBD customers without repeat purchases. */
double
ClvBetaGeoPAlive(const double *p, double x, double tx, double T, int shift)
{
	if (x == 0 && !shift)
		return 1.0;
	return exp(-SmSoftplus(BetaGeoD(p[0], p[1], p[2], p[3], x, tx, T, shift)));
}

/* One customer's BG/NBD log-likelihood. */
double
BgnbdLogLik(const double *p, double x, double tx, double T)
{
	return ClvBetaGeoLogLik(p, x, tx, T, 0);
}

/* BG/NBD P(alive | x, t_x, T). */
double
BgnbdPAlive(const double *p, double x, double tx, double T)
{
	return ClvBetaGeoPAlive(p, x, tx, T, 0);
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

		return -4 * q->c * sh * sh + q->a * SmLog1pRemainder((1 - q->pm) * expm1(-d))
			+ q->bx * SmLog1pRemainder(q->pm * expm1(d));
	}
	/* log1p(u1) = log(pm + (1-pm) e^-d), log1p(u2) = log((1-pm) + pm e^d), without overflow */
	return -q->a * SmLogAddExp(log(q->pm), log1p(-q->pm) - d)
		- q->bx * SmLogAddExp(log1p(-q->pm), log(q->pm) + d);
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
	num = SmIntegrateOut(BgnbdQIntegrand, BgnbdQLogDensity, &q, 0.0, 0.0, -1, sigma, -DBL_MAX)
		+ SmIntegrateOut(BgnbdQIntegrand, BgnbdQLogDensity, &q, 0.0, 0.0, 1, sigma, DBL_MAX);
	q.with_g = false;
	den = SmIntegrateOut(BgnbdQIntegrand, BgnbdQLogDensity, &q, 0.0, 0.0, -1, sigma, -DBL_MAX)
		+ SmIntegrateOut(BgnbdQIntegrand, BgnbdQLogDensity, &q, 0.0, 0.0, 1, sigma, DBL_MAX);
	return num / den;
}

/* Q, the expected purchases in the next t of a customer known to be alive (see above). */
double
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
		t1 = C * L * SmPhi((a - 1) * L);
		t2 = exp((1 - a) * L) * sum;
		q = t1 - t2;
		if (done && maxabs <= 1e4 * Max(fabs(sum), 1e-300) && q > 1e-4 * Max(fabs(t1), fabs(t2)))
			return q;
	}
	return BgnbdQQuadrature(a, b + x, A, W);
}

/* ---------------------------------------------------------------------------------------------------------
 * Fitting objective: mean negative log-likelihood over log-parameters, with its analytic gradient
 * --------------------------------------------------------------------------------------------------------- */

/*
 * Mean negative log-likelihood of BG/NBD (shift 0) or MBG/NBD (shift 1) and its analytic gradient over
 * theta = log(r, alpha, a, b).
 */
double
ClvBetaGeoObjective(const double *theta, double *grad, ClvData *d, int shift)
{
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
		bool		has_d = x > 0 || shift;

		c0[j] = gsl_sf_lnpoch(r, x) + gsl_sf_lnbeta(a, b + x + shift) - lnBab;
		dbase[j] = has_d ? la - log(b + x + (shift - 1)) : 0;
		ibx[j] = has_d ? 1.0 / (b + x + (shift - 1)) : 0;
		if (grad)
		{
			double		psi_abx = gsl_sf_psi(a + b + x + shift);

			dr[j] = has_d ? gsl_sf_psi(r + x) - psi_r : 0;
			da[j] = has_d ? psi_ab - psi_abx : 0;
			db[j] = has_d ? gsl_sf_psi(b + x + shift) - psi_b + psi_ab - psi_abx : 0;
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

		if (x > 0 || shift)
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

/* BG/NBD fitting objective (an SmObjectiveFn). */
double
BgnbdObjective(const double *theta, double *grad, void *arg)
{
	return ClvBetaGeoObjective(theta, grad, (ClvData *) arg, 0);
}
