/*
 * clv/pareto_nbd.c — the Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987, as in Fader &
 * Hardie's notes): one customer's log-likelihood, P(alive), the expected purchases of a customer known to be
 * alive, and the fitting objective.  The integral F(t) of the likelihood is a Gauss hypergeometric function,
 * summed in log space by SmLogHyp2F1One (numeric/special.c; GSL's gsl_sf_hyperg_2F1 gives up or cancels for
 * the large parameters that large frequencies produce).
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "miscadmin.h"

#include "numeric/special.h"
#include "clv/clv.h"

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
		v = lbase - log(Pm1) + SmLogHyp2F1One(r + x, s + 1, (alpha - beta) / (alpha + t), (beta + t) / (alpha + t), Pm1,
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
			+ SmLogHyp2F1One(s + 1, r + x, (beta - alpha) / (beta + t), (alpha + t) / (beta + t), Pm1, grad ? hg : NULL);
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
	return SmLogAddSub(L1, ls + PnbdLogFScaled(p, x, tx, NULL), ls + PnbdLogFScaled(p, x, T, NULL));
}

/* One customer's Pareto/NBD log-likelihood. */
double
PnbdLogLik(const double *p, double x, double tx, double T)
{
	double		L1;

	return gsl_sf_lnpoch(p[0], x) + PnbdLogBracket(p, x, tx, T, &L1);
}

/* Pareto/NBD P(alive | x, t_x, T) = e^L1 / bracket. */
double
PnbdPAlive(const double *p, double x, double tx, double T)
{
	double		L1;
	double		lb = PnbdLogBracket(p, x, tx, T, &L1);

	return Min(1.0, exp(L1 - lb));
}

/* Expected purchases in the next t of an alive Pareto/NBD customer: (r+x)/(alpha+T) (beta+T) l phi((s-1) l). */
double
PnbdQ(const double *p, double x, double t, double T)
{
	double		l = log1p(t / (p[3] + T));

	return (p[0] + x) / (p[1] + T) * (p[3] + T) * l * SmPhi((p[2] - 1) * l);
}

/* ---------------------------------------------------------------------------------------------------------
 * Fitting objective: mean negative log-likelihood over log-parameters, with its analytic gradient
 * --------------------------------------------------------------------------------------------------------- */

/*
 * Pareto/NBD mean negative log-likelihood and its analytic gradient over theta = log(r, alpha, s, beta):
 * with B = log(e^L1 + e^l2 - e^l3), dB = e^(L1-B) dL1 + e^(l2-B) dl2 - e^(l3-B) dl3.
 */
double
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

			br = SmLogAddSub(L1, l2, l3);
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

