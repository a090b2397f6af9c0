/*
 * clv/mbgnbd.c — the MBG/NBD purchase model (Batislam, Kim & Kavas 2007): BG/NBD in which a customer may also
 * drop out right after the first purchase, so that one-time buyers are not all alive.  One customer's
 * log-likelihood, P(alive), the expected purchases of a customer known to be alive, and the fitting objective.
 *
 * L(r, alpha, a, b | x, t_x, T) = B(a, b+x+1)/B(a, b) Gamma(r+x)/Gamma(r) alpha^r / (alpha+T)^(r+x)
 *                                 * [1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)]          (for every x, also 0)
 * the bracket evaluated as softplus(D), D = log a - log(b+x) + (r+x) log((alpha+T)/(alpha+t_x)).
 * P(alive) = 1 / (1 + e^D).  Alive after x repeat purchases means x + 1 survived drop-out chances, so the
 * posterior of the drop-out probability is Beta(a, b+x+1): the expected purchases of an alive customer are
 * BG/NBD's with b + 1 (bgnbd.c), i.e. (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
 * 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))].
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "miscadmin.h"

#include "numeric/special.h"
#include "clv/clv.h"

/* D of the MBG/NBD likelihood. */
static double
MbgnbdD(double r, double alpha, double a, double b, double x, double tx, double T)
{
	return log(a) - log(b + x) + (r + x) * log1p((T - tx) / (alpha + tx));
}

/* One customer's MBG/NBD log-likelihood. */
double
MbgnbdLogLik(const double *p, double x, double tx, double T)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];

	return gsl_sf_lnpoch(r, x) - r * log1p(T / alpha) - x * log(alpha + T)
		+ gsl_sf_lnbeta(a, b + x + 1) - gsl_sf_lnbeta(a, b) + SmSoftplus(MbgnbdD(r, alpha, a, b, x, tx, T));
}

/* MBG/NBD P(alive | x, t_x, T) = 1 / (1 + e^D): below 1 also for one-time buyers. */
double
MbgnbdPAlive(const double *p, double x, double tx, double T)
{
	return exp(-SmSoftplus(MbgnbdD(p[0], p[1], p[2], p[3], x, tx, T)));
}

/* Expected purchases in the next t of a customer known to be alive: BG/NBD's with b + 1 (see above). */
double
MbgnbdQ(const double *p, double x, double t, double T)
{
	double		shifted[4] = {p[0], p[1], p[2], p[3] + 1};

	return BgnbdQ(shifted, x, t, T);
}

/* MBG/NBD mean negative log-likelihood and its analytic gradient over theta = log(r, alpha, a, b). */
double
MbgnbdObjective(const double *theta, double *grad, void *arg)
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

		c0[j] = gsl_sf_lnpoch(r, x) + gsl_sf_lnbeta(a, b + x + 1) - lnBab;
		dbase[j] = la - log(b + x);
		ibx[j] = 1.0 / (b + x);
		if (grad)
		{
			double		psi_abx1 = gsl_sf_psi(a + b + x + 1);

			dr[j] = gsl_sf_psi(r + x) - psi_r;
			da[j] = psi_ab - psi_abx1;
			db[j] = gsl_sf_psi(b + x + 1) - psi_b + psi_ab - psi_abx1;
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
					tj = d->ti[i],
					sj = d->txi[i];
		double		x = d->xs[xj],
					A = r + x,
					w = d->w[i];
		double		dl = lT[tj] - ltx[sj];
		double		D = dbase[xj] + A * dl;
		double		e = exp(-fabs(D));
		double		sig = D > 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);

		sum += w * (c0[xj] - r * l1p[tj] - x * lT[tj] + Max(D, 0.0) + log1p(e));
		if (grad)
		{
			g0 += w * (dr[xj] - l1p[tj] + sig * dl);
			g1 += w * (r / alpha - A * iT[tj] + sig * A * (iT[tj] - itx[sj]));
			g2 += w * (da[xj] + sig / a);
			g3 += w * (db[xj] - sig * ibx[xj]);
		}
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
