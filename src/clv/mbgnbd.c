/*
 * clv/mbgnbd.c — the MBG/NBD purchase model (Batislam, Kim & Kavas 2007): BG/NBD in which a customer may also
 * drop out right after the first purchase, so that one-time buyers are not all alive.  One customer's
 * log-likelihood, P(alive), the expected purchases of a customer known to be alive, and the fitting objective:
 * the BG/NBD code of bgnbd.c with the drop-out shift 1.
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

#include "clv/clv.h"

/* One customer's MBG/NBD log-likelihood. */
double
MbgnbdLogLik(const double *p, double x, double tx, double T)
{
	return ClvBetaGeoLogLik(p, x, tx, T, 1);
}

/* MBG/NBD P(alive | x, t_x, T) = 1 / (1 + e^D): below 1 also for one-time buyers. */
double
MbgnbdPAlive(const double *p, double x, double tx, double T)
{
	return ClvBetaGeoPAlive(p, x, tx, T, 1);
}

/* Expected purchases in the next t of a customer known to be alive: BG/NBD's with b + 1 (see above). */
double
MbgnbdQ(const double *p, double x, double t, double T)
{
	double		shifted[4] = {p[0], p[1], p[2], p[3] + 1};

	return BgnbdQ(shifted, x, t, T);
}

/* MBG/NBD fitting objective (an SmObjectiveFn). */
double
MbgnbdObjective(const double *theta, double *grad, void *arg)
{
	return ClvBetaGeoObjective(theta, grad, (ClvData *) arg, 1);
}
