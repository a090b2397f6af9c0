/*
 * clv/gamma_gamma.c — the Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"), fitted on repeat
 * customers: the conditional mean spend and the fitting objective.
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "miscadmin.h"

#include "clv/clv.h"

/* ---------------------------------------------------------------------------------------------------------
 * Gamma-Gamma spend model
 *
 * f(m | p, q, gamma, x) = Gamma(px+q)/(Gamma(px) Gamma(q)) gamma^q m^(px-1) x^px / (gamma + m x)^(px+q);
 * E[M | x, m] = p (gamma + m x) / (p x + q - 1), finite when p x + q > 1.
 * --------------------------------------------------------------------------------------------------------- */

/* Gamma-Gamma conditional mean spend; false when it is infinite (p x + q <= 1). */
bool
GgExpectedSpend(const ClvModel *m, double x, double mon, double *out)
{
	double		p = m->spend[0],
				q = m->spend[1],
				g = m->spend[2];
	double		den = p * x + q - 1;

	if (!(den > 0))
		return false;
	*out = p * (g + (x > 0 ? mon * x : 0)) / den;
	return true;
}

/* ---------------------------------------------------------------------------------------------------------
 * Fitting objective: mean negative log-likelihood over log-parameters, with its analytic gradient
 * --------------------------------------------------------------------------------------------------------- */

/* Gamma-Gamma mean negative log-likelihood and analytic gradient over theta = log(p, q, gamma). */
double
GgObjective(const double *theta, double *grad, void *arg)
{
	ClvSpendData *sd = (ClvSpendData *) arg;
	double		p = exp(theta[0]),
				q = exp(theta[1]),
				g = exp(theta[2]),
				lg = theta[2];
	double		lgq = gsl_sf_lngamma(q),
				psi_q = gsl_sf_psi(q);
	double		sum = 0,
				gp = 0,
				gq = 0,
				gg = 0;

	CHECK_FOR_INTERRUPTS();
	for (int j = 0; j < sd->ngroups; j++)
	{
		double		x = sd->gx[j],
					n = sd->gn[j],
					px = p * x;
		double		slog = 0,
					sinv = 0;

		for (int i = sd->gstart[j]; i < sd->gstart[j + 1]; i++)
		{
			double		v = g + sd->u[i];

			slog += log(v);
			if (grad)
				sinv += 1.0 / v;
		}
		sum += n * (gsl_sf_lnpoch(px, q) - lgq + q * lg + px * sd->glogx[j]) + (px - 1) * sd->gsumlogm[j]
			- (px + q) * slog;
		if (grad)
		{
			double		psi_pxq = gsl_sf_psi(px + q);

			gp += x * (n * (psi_pxq - gsl_sf_psi(px) + sd->glogx[j]) + sd->gsumlogm[j] - slog);
			gq += n * (psi_pxq - psi_q + lg) - slog;
			gg += n * q / g - (px + q) * sinv;
		}
	}
	if (grad)
	{
		grad[0] = -gp * p / sd->n;
		grad[1] = -gq * q / sd->n;
		grad[2] = -gg * g / sd->n;
	}
	return -sum / sd->n;
}
