/*
 * numeric/special.c — adaptive quadrature and the log-space Gauss hypergeometric function declared in
 * numeric/special.h.
 *
 * GSL's gsl_sf_hyperg_2F1 gives up (GSL_EUNIMPL or GSL_EMAXITER) for large parameters and loses digits to
 * cancellation in the closed forms, so 2F1(1, p1; P; z) is summed here in forms whose terms do not cancel
 * (derivations next to each function): the series after Euler's transformation, the 1 - z transformation near
 * z = 1, and an adaptive GSL quadrature (gsl_integration_qag) of an integral representation where neither
 * converges fast.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "numeric/special.h"

/* The per-backend GSL integration workspaces (allocated once; GSL allocates with malloc). */
#define SM_QUAD_LIMIT 200
static gsl_integration_workspace *sm_quad_ws = NULL;

/* Adaptive Gauss-Kronrod (61 points) integral of f over [lo, hi] to 1e-13 relative or epsabs; never raises. */
double
SmIntegrate(double (*fn) (double, void *), void *arg, double lo, double hi, double epsabs)
{
	gsl_function f;
	double		result = 0,
				abserr = 0;

	if (!(hi > lo))
		return 0;
	if (sm_quad_ws == NULL)
	{
		sm_quad_ws = gsl_integration_workspace_alloc(SM_QUAD_LIMIT);
		if (sm_quad_ws == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	f.function = fn;
	f.params = arg;
	(void) gsl_integration_qag(&f, lo, hi, epsabs, 1e-13, SM_QUAD_LIMIT, GSL_INTEG_GAUSS61, sm_quad_ws,
							   &result, &abserr);
	return result;
}

/*
 * Integral of f from `mode` outwards in direction `dir` (+1 or -1) up to `limit`, over segments of doubling
 * length (step, 2 step, 4 step, ...) until logf has dropped 46 below `peak` (e^-46 ~ 1e-20): each segment
 * spans a bounded range of the log-concave integrand, so the adaptive rule never integrates a long flat
 * tail in one piece (where Gauss-Kronrod can report a small error on a wrong result).
 */
double
SmIntegrateOut(double (*f) (double, void *), double (*logf) (double, void *), void *arg, double mode,
				double peak, double dir, double step, double limit)
{
	double		total = 0,
				from = mode;

	for (int i = 0; i < 400; i++)
	{
		double		to = from + dir * step;
		bool		last = false;
		double		epsabs;

		if ((dir > 0 && to >= limit) || (dir < 0 && to <= limit))
		{
			to = limit;
			last = true;
		}
		/* past the first segment only the accuracy relative to the whole integral matters */
		epsabs = i == 0 ? 0.0 : 1e-16 * total;

		total += dir > 0 ? SmIntegrate(f, arg, from, to, epsabs) : SmIntegrate(f, arg, to, from, epsabs);
		if (last || !(logf(to, arg) - peak > -46.0))
			break;
		from = to;
		step *= 2;
	}
	return total;
}

/*
 * log 2F1(1, p1; p1 + p2; z) for 0 <= z < 1, w = 1 - z given separately (it is computed without
 * cancellation by the caller).  The terms of the series sum_n (p1)_n / (p1 + p2)_n z^n are positive and
 * shrink by at most z, so the sum lies in [1, 1/w].  When it would take more than 5000 terms, the integral
 * 2F1(1, p1; P; z) / (P - 1) = int_0^inf e^{(1 - p2) u} (z + w e^u)^{-p1} du (substitute k + tau = (k + t) e^u
 * in the Pareto/NBD integral of clv/pareto_nbd.c) is taken by adaptive quadrature around its mode: its log is concave.
 */
typedef struct SmHypArg
{
	double		p1,
				kappa,			/* 1 - p2 */
				q,				/* w e^u* / (z + w e^u*): kappa / p1 at an interior mode, w at u* = 0 */
				umode,
				lsemode,		/* log(z + w e^u*) */
				z,
				w;
	bool		interior;
	int			weight;			/* 0: none; 1: u; 2: log(z + w e^u); 3: (e^u - 1) / (z + w e^u) */
} SmHypArg;

/* u - log1p(u), accurate near 0 (the second-order remainder of log1p). */
double
SmLog1pRemainder(double u)
{
	if (fabs(u) < 0.01)
	{
		double		term = u,
					sum = 0;

		for (int k = 2; k <= 12; k++)
		{
			term *= -u;
			sum += term / k;
		}
		return -sum;
	}
	return u - log1p(u);
}

/*
 * log of the 2F1 integrand above minus its value at the mode u*, at u = u* + d:
 * kappa d - p1 log1p(q expm1(d)); near an interior mode (where p1 q = kappa) the first-order terms are
 * cancelled analytically: kappa (d - expm1(d)) + p1 (q expm1(d) - log1p(q expm1(d))).
 */
static double
SmHypLogIntegrand(double d, void *arg)
{
	SmHypArg  *h = (SmHypArg *) arg;
	double		em1 = fabs(d) < 1 ? expm1(d) : 0;

	if (h->interior && fabs(d) < 1)
		return h->kappa * (d - em1) + h->p1 * SmLog1pRemainder(h->q * em1);
	if (fabs(d) < 1)
		return h->kappa * d - h->p1 * log1p(h->q * em1);
	/* log1p(q expm1(d)) = log((1 - q) + q e^d), without overflow for large d */
	return h->kappa * d - h->p1 * SmLogAddExp(log1p(-h->q), log(h->q) + d);
}

/* The 2F1 integrand relative to its value at the mode, times the weight of a parameter derivative. */
static double
SmHypIntegrand(double d, void *arg)
{
	SmHypArg  *h = (SmHypArg *) arg;
	double		f = exp(SmHypLogIntegrand(d, arg));
	double		u = h->umode + d;

	switch (h->weight)
	{
		case 1:
			return f * u;
		case 2:
			return f * (h->lsemode + (fabs(d) < 1 ? log1p(h->q * expm1(d)) :
									  SmLogAddExp(log1p(-h->q), log(h->q) + d)));
		case 3:
			return f * (-expm1(-u) / (h->z * exp(-u) + h->w));
		default:
			return f;
	}
}

/*
 * log 2F1(1, p1; P; z) for z near 1 by the 1 - z transformation (Abramowitz & Stegun 15.3.6) with
 * d = P - 1 - p1 = p2 - 1, which here has a closed-form second term because 2F1(a, b; b; w) = (1-w)^-a:
 *   G = (P-1)/(p2-1) 2F1(1, p1; 2-p2; w) + Gamma(P) Gamma(1-p2) / Gamma(p1) w^(p2-1) z^(1-P).
 * The two terms cancel as p2 nears an integer, and the first series needs p1 w moderate: *ok is false
 * (use the quadrature) when p2 is within 1e-3 of an integer, p1 w > 50, or the terms cancel.  Derivatives as
 * in SmLogHyp2F1One.
 */
static double
SmLogHyp2F1OneReflect(double p1, double p2, double z, double w, double Pm1, double *grad, bool *ok)
{
	double		c = 2 - p2,
				term = 1,
				H = 1,
				Hp1 = 0,
				Hp2 = 0,
				Hw = 0,
				a = 0,
				b = 0,
				T1,
				T2,
				L2,
				G,
				sg;
	gsl_sf_result lg1p2;
	bool		done = false;

	*ok = false;
	if (fabs(p2 - rint(p2)) < 1e-3 || p1 * w > 50)
		return 0;
	for (int n = 0; n < 2000; n++)
	{
		a += 1.0 / (p1 + n);
		b += 1.0 / (c + n);
		term *= (p1 + n) / (c + n) * w;
		H += term;
		Hp1 += term * a;
		Hp2 += term * b;
		Hw += term * (n + 1);
		if (fabs(term) * (n + 2) <= 1e-17 * fabs(H) && (p1 + n) / fabs(c + n) * w < 0.5)
		{
			done = true;
			break;
		}
	}
	if (!done || gsl_sf_lngamma_sgn_e(1 - p2, &lg1p2, &sg) != GSL_SUCCESS)
		return 0;
	T1 = Pm1 / (p2 - 1) * H;
	L2 = gsl_sf_lngamma(p1 + p2) - gsl_sf_lngamma(p1) + lg1p2.val + (p2 - 1) * log(w) - Pm1 * log(z);
	if (!isfinite(T1) || !(L2 < 700))
		return 0;
	T2 = sg * exp(L2);
	G = T1 + T2;
	if (!(G >= 1 && G <= 1 / w * (1 + 1e-12)) || fabs(T1) + fabs(T2) > 1e3 * G)
		return 0;
	if (grad)
	{
		double		psiP = gsl_sf_psi(p1 + p2);
		double		d1 = H / (p2 - 1) + Pm1 / (p2 - 1) * Hp1 + T2 * (psiP - gsl_sf_psi(p1) - log(z));
		double		d2 = -p1 / ((p2 - 1) * (p2 - 1)) * H + Pm1 / (p2 - 1) * Hp2
			+ T2 * (psiP - gsl_sf_psi(1 - p2) + log(w) - log(z));
		double		dz = -Pm1 / (p2 - 1) * Hw / w + T2 * (-(p2 - 1) / w - Pm1 / z);

		grad[0] = d1 / G;
		grad[1] = d2 / G;
		grad[2] = dz / G;
	}
	*ok = true;
	return log(G);
}

/*
 * See the comment above SmHypArg.  With grad non-NULL also returns the partial derivatives of the log
 * with respect to p1, p2 and z in grad[0..2]: from the series, with ln t_n = sum_{j<n} [ln(p1+j) - ln(P+j)]
 * + n ln z, d/dp1 = sum_{j<n} [1/(p1+j) - 1/(P+j)], d/dp2 = -sum_{j<n} 1/(P+j), d/dz = n/z; from the integral
 * (1+v = e^u), by differentiating under it: d/dp2 -> -u, d/dp1 -> -log(z + w e^u),
 * d/dz = -d/dw -> p1 (e^u - 1) / (z + w e^u).
 */
double
SmLogHyp2F1One(double p1, double p2, double z, double w, double Pm1, double *grad)
{
	double		sum = 1,
				term = 1,
				P = p1 + p2;
	SmHypArg	h;
	double		hmax = 0,
				curv,
				scale,
				integral,
				lg;

	if (z <= 0)
	{
		if (grad)
		{
			grad[0] = grad[1] = 0;
			grad[2] = p1 / P;
		}
		return 0;
	}

	/*
	 * Where the terms of the series in z shrink slowly (z > 0.9, or z > 1/2 with p2 < 2: they decay like
	 * n^-p2 z^n) the 1 - z transformation converges faster (its series goes in w); where that cannot be
	 * used, the series in z when its 5000th term is small enough to stop there (z <= 0.9 always is;
	 * otherwise the term is z^5000 (p1)_5000 / (P)_5000, one lnpoch each), else the quadrature.
	 */
	if (z > 0.9 || (z > 0.5 && p2 < 2))
	{
		bool		ok;

		lg = SmLogHyp2F1OneReflect(p1, p2, z, w, Pm1, grad, &ok);
		if (ok)
			return lg;
	}
	if (z <= 0.9 || 5000 * log(z) + gsl_sf_lnpoch(p1, 5000) - gsl_sf_lnpoch(P, 5000) + log(z) <= log(1e-17 * w))
	{
		double		s1 = 0,
					s2 = 0,
					sz = 0,
					a = 0,
					b = 0;

		for (int n = 0; n < 5000; n++)
		{
			double		inv = 1.0 / (P + n);

			if (grad)
			{
				a += 1.0 / (p1 + n) - inv;
				b -= inv;
			}
			term *= (p1 + n) * inv * z;
			sum += term;
			if (grad)
			{
				s1 += term * a;
				s2 += term * b;
				sz += term * (n + 1);
				/* the derivative sums have tails up to (n + 1/w) / w times the term */
				if (term * z * (n + 1 + 1 / w) <= 1e-17 * sum * w)
				{
					grad[0] = s1 / sum;
					grad[1] = s2 / sum;
					grad[2] = sz / (z * sum);
					return log(sum);
				}
			}
			else if (term * z <= 1e-17 * sum * w)
				return log(sum);
		}
	}

	/*
	 * Quadrature in d = u - u*.  The mode: h'(u) = kappa - p1 w e^u / (z + w e^u) = 0, interior when
	 * kappa = 1 - p2 > 0 and e^u* = kappa z / ((P-1) w) > 1; there q = kappa / p1 and
	 * h(u*) = kappa u* - p1 (log z - log1p(-q)).  Otherwise u* = 0, q = w and h(0) = 0.
	 */
	h.p1 = p1;
	h.kappa = 1 - p2;
	h.interior = false;
	h.q = w;
	h.z = z;
	h.w = w;
	h.umode = 0;
	h.lsemode = 0;
	h.weight = 0;
	if (p2 < 1)
	{
		double		lu = log1p(-p2) + log(z) - log(Pm1) - log(w);

		if (lu > 0)
		{
			h.umode = lu;
			h.interior = true;
			h.q = h.kappa / p1;
			h.lsemode = log(z) - log1p(-h.q);
			hmax = h.kappa * h.umode - p1 * h.lsemode;
		}
	}
	curv = p1 * h.q * (1 - h.q);
	scale = Min(1.0, 1.0 / Max(fabs(h.kappa - p1 * h.q), sqrt(curv)));
	if (!isfinite(scale) || scale <= 0)
		scale = 1;
	for (int k = 0; k < (grad ? 4 : 1); k++)
	{
		double		v;

		h.weight = k;
		v = SmIntegrateOut(SmHypIntegrand, SmHypLogIntegrand, &h, 0.0, 0.0, 1, scale, DBL_MAX);
		if (h.umode > 0)
			v += SmIntegrateOut(SmHypIntegrand, SmHypLogIntegrand, &h, 0.0, 0.0, -1, scale, -h.umode);
		if (k == 0)
			integral = v;
		else if (k == 1)
			grad[1] = 1 / Pm1 - v / integral;
		else if (k == 2)
			grad[0] = 1 / Pm1 - v / integral;
		else
			grad[2] = p1 * v / integral;
	}
	lg = log(Pm1) + hmax + log(integral);
	/* the value is known to lie in [1, 1/w]: keep quadrature error inside */
	return Min(Max(lg, 0.0), -log(w));
}
