/*
 * forecast/ets.c — exponential smoothing state-space models (ETS; Hyndman, Koehler, Ord & Snyder 2008, the
 * recursions of their Table 2.3): the filter, the maximum-likelihood fit of the smoothing parameters and the
 * initial states with GSL's Nelder-Mead simplex, point forecasts with the analytic forecast variance of the
 * linear (additive-error) models, and seeded simulation for the multiplicative ones.
 *
 * Additive-error models with a season of at most FC_CONC_MAX_SEASON are fitted with their initial states
 * concentrated out: for fixed smoothing parameters their one-step errors are linear in the initial states
 * (e = e(0) + E c, the columns of E the filter's response to each unit initial state), so the states that
 * maximise the likelihood (minimise the SSE) are a least-squares solution and the simplex searches only the
 * smoothing parameters (at most four), from the best point of a small grid.  This is the exact profile
 * likelihood, not an approximation.  The multiplicative models, and longer seasons (whose least squares costs
 * n (m + 1)^2 per trial), search the initial states too: a short simplex run from each of two or three starts
 * (the heuristic states, their best grid point, and for MAM / MAdM the additive counterpart's fit), then
 * Levenberg-Marquardt from the best (the likelihood written as a sum of squares, see FcResiduals).
 *
 * Parameter region ("usual" region of Hyndman et al., as statsmodels and R's forecast::ets use): alpha in
 * (1e-4, 0.9999), beta = alpha beta* and gamma = (1 - alpha) gamma* with beta*, gamma* in (1e-4, 0.9999), phi in
 * [0.8, 0.98]; the fit works on logits of these, so every trial point is admissible.  Initial seasonal states:
 * m - 1 free values, the last one making additive states sum to 0 and multiplicative ones average 1.
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "miscadmin.h"

#include "core/validate.h"
#include "forecast/forecast.h"
#include "numeric/optimize.h"

#define FC_PAR_LO 1e-4
#define FC_PAR_HI 0.9999
#define FC_PHI_LO 0.8
#define FC_PHI_HI 0.98
#define FC_BAD 1e300			/* objective of an inadmissible point (a multiplicative forecast <= 0) */
#define FC_MAX_THETA (4 + FC_MAX_SEASON)
#define FC_CONC_MAX_SEASON 24	/* longest season whose initial states are concentrated out (R's ets limit) */
#define FC_CONC_MAX_STATES (2 + FC_CONC_MAX_SEASON - 1)

const FcMethodInfo fc_methods[FC_NMETHODS] = {
	{"mean", "historical mean", 0, 'N', 'N'},
	{"ANN", "simple exponential smoothing", 'A', 'N', 'N'},
	{"AAN", "Holt", 'A', 'A', 'N'},
	{"AAdN", "damped Holt", 'A', 'D', 'N'},
	{"ANA", "additive seasonal", 'A', 'N', 'A'},
	{"AAA", "additive Holt-Winters", 'A', 'A', 'A'},
	{"AAdA", "damped additive Holt-Winters", 'A', 'D', 'A'},
	{"MAM", "multiplicative Holt-Winters", 'M', 'A', 'M'},
	{"MAdM", "damped multiplicative Holt-Winters", 'M', 'D', 'M'},
	{"croston", "Croston", 0, 'N', 'N'},
	{"sba", "Syntetos-Boylan approximation", 0, 'N', 'N'},
	{"tsb", "Teunter-Syntetos-Babai", 0, 'N', 'N'},
};

/* One fit problem: the series and the model's shape. */
typedef struct FcEtsProblem
{
	const double *y;
	int			n;
	int			m;				/* season length used (1 without season) */
	char		error,
				trend,
				season;
	int			ntheta;
	int			nsmooth;		/* smoothing parameters: the first nsmooth entries of theta */
	int			nstates;		/* free initial states (level, trend, m - 1 seasonal) */
	bool		concentrated;	/* initial states by least squares, theta holds only the smoothing parameters */
	double	   *scratch;		/* n one-step errors, for FcResiduals */
	double		unit;			/* states enter theta divided by this (the series' scale), so all of theta is O(1) */
	double		sse_floor;
} FcEtsProblem;

/* Natural parameters and initial states of one trial point. */
typedef struct FcEtsParams
{
	double		alpha,
				beta,
				gamma,
				phi;
	double		l0,
				b0;
	double		s0[FC_MAX_SEASON];	/* seasonal component used at t = 0 .. m - 1 */
} FcEtsParams;

static double
FcLogistic(double x, double lo, double hi)
{
	return lo + (hi - lo) / (1 + exp(-x));
}

static double
FcLogit(double v, double lo, double hi)
{
	double		p = (v - lo) / (hi - lo);

	p = Min(Max(p, 1e-6), 1 - 1e-6);
	return log(p / (1 - p));
}

/* Maps the unconstrained vector theta to parameters and initial states (layout: see FcThetaFromParams). */
static void
FcParamsFromTheta(const FcEtsProblem *pb, const double *theta, FcEtsParams *p)
{
	int			i = 0;

	p->alpha = FcLogistic(theta[i++], FC_PAR_LO, FC_PAR_HI);
	p->beta = 0;
	p->gamma = 0;
	p->phi = 1;
	if (pb->trend != 'N')
		p->beta = p->alpha * FcLogistic(theta[i++], FC_PAR_LO, FC_PAR_HI);
	if (pb->trend == 'D')
		p->phi = FcLogistic(theta[i++], FC_PHI_LO, FC_PHI_HI);
	if (pb->season != 'N')
		p->gamma = (1 - p->alpha) * FcLogistic(theta[i++], FC_PAR_LO, FC_PAR_HI);
	if (pb->concentrated)
		return;					/* the states come from FcConcentratedStates */
	p->l0 = theta[i++] * pb->unit;
	p->b0 = pb->trend != 'N' ? theta[i++] * pb->unit : 0;
	if (pb->season == 'A')
	{
		double		sum = 0;

		for (int j = 0; j < pb->m - 1; j++)
		{
			p->s0[j] = theta[i++] * pb->unit;
			sum += p->s0[j];
		}
		p->s0[pb->m - 1] = -sum;
	}
	else if (pb->season == 'M')
	{
		double		e[FC_MAX_SEASON],
					sum = 0;

		for (int j = 0; j < pb->m; j++)
		{
			e[j] = j < pb->m - 1 ? exp(Min(Max(theta[i + j], -30), 30)) : 1.0;
			sum += e[j];
		}
		i += pb->m - 1;
		for (int j = 0; j < pb->m; j++)
			p->s0[j] = pb->m * e[j] / sum;
	}
}

/* The inverse of FcParamsFromTheta (for starting points); returns the length of theta. */
static int
FcThetaFromParams(const FcEtsProblem *pb, const FcEtsParams *p, double *theta)
{
	int			i = 0;

	theta[i++] = FcLogit(p->alpha, FC_PAR_LO, FC_PAR_HI);
	if (pb->trend != 'N')
		theta[i++] = FcLogit(p->beta / p->alpha, FC_PAR_LO, FC_PAR_HI);
	if (pb->trend == 'D')
		theta[i++] = FcLogit(p->phi, FC_PHI_LO, FC_PHI_HI);
	if (pb->season != 'N')
		theta[i++] = FcLogit(p->gamma / (1 - p->alpha), FC_PAR_LO, FC_PAR_HI);
	if (pb->concentrated)
		return i;
	theta[i++] = p->l0 / pb->unit;
	if (pb->trend != 'N')
		theta[i++] = p->b0 / pb->unit;
	if (pb->season == 'A')
		for (int j = 0; j < pb->m - 1; j++)
			theta[i++] = p->s0[j] / pb->unit;	/* the starting states sum to 0: the last one is implied */
	else if (pb->season == 'M')
		for (int j = 0; j < pb->m - 1; j++)
			theta[i++] = log(Max(p->s0[j], 1e-6) / Max(p->s0[pb->m - 1], 1e-6));
	return i;
}

/*
 * Runs the filter over the series: returns the sum of squared (relative, for M errors) one-step errors, adds
 * sum log |forecast| to *logsum, leaves the states after the last day in *level, *trend and ring[] (ring[j]
 * the seasonal state of the days t with t mod m = j), the one-step errors in errors[0..n) unless it is NULL,
 * and false when a multiplicative forecast is not positive.
 */
static bool
FcFilter(const FcEtsProblem *pb, const FcEtsParams *p, double *sse, double *logsum, double *level, double *trend,
		 double *ring, double *errors)
{
	double		l = p->l0,
				b = p->b0,
				s2 = 0,
				prod = 1;		/* the product of the forecasts, as prod 2^scale: one log at the end */
	int			m = pb->m,
				scale = 0;

	for (int j = 0; j < m; j++)
		ring[j] = pb->season == 'N' ? (pb->error == 'M' ? 1 : 0) : p->s0[j];
	for (int t = 0; t < pb->n; t++)
	{
		int			j = t % m;
		double		lb = l + p->phi * b;
		double		s = ring[j];
		double		mu = pb->season == 'M' ? lb * s : pb->season == 'A' ? lb + s : lb;

		if (pb->error == 'M')
		{
			double		e;
			int			exponent;

			if (!(mu > 0))
				return false;
			e = (pb->y[t] - mu) / mu;
			if (errors)
				errors[t] = e;
			s2 += e * e;
			/* prod stays within [1e-200, 1e200]: renormalised (rarely) near the ends, and mu first when huge or tiny */
			if (!(mu < 1e100 && mu > 1e-100))
			{
				prod *= frexp(mu, &exponent);
				scale += exponent;
			}
			else
				prod *= mu;
			if (!(prod < 1e200 && prod > 1e-200))
			{
				prod = frexp(prod, &exponent);
				scale += exponent;
			}
			l = lb * (1 + p->alpha * e);
			b = p->phi * b + p->beta * lb * e;
			if (pb->season == 'M')
				ring[j] = s * (1 + p->gamma * e);
		}
		else
		{
			double		e = pb->y[t] - mu;

			if (errors)
				errors[t] = e;
			s2 += e * e;
			l = lb + p->alpha * e;
			b = p->phi * b + p->beta * e;
			if (pb->season == 'A')
				ring[j] = s + p->gamma * e;
		}
	}
	*sse = s2;
	*logsum = log(prod) + scale * M_LN2;
	*level = l;
	*trend = b;
	return isfinite(s2) && isfinite(l) && isfinite(b);
}

/* The dot product of a[0..n) and b[0..n), in four interleaved partial sums (the loop is the fit's hot spot). */
static double
FcDot(const double *a, const double *b, int n)
{
	double		s0 = 0,
				s1 = 0,
				s2 = 0,
				s3 = 0;
	int			t = 0;

	for (; t + 4 <= n; t += 4)
	{
		s0 += a[t] * b[t];
		s1 += a[t + 1] * b[t + 1];
		s2 += a[t + 2] * b[t + 2];
		s3 += a[t + 3] * b[t + 3];
	}
	for (; t < n; t++)
		s0 += a[t] * b[t];
	return (s0 + s1) + (s2 + s3);
}

/*
 * For an additive-error model and the smoothing parameters in *p: sets the initial states of *p to those
 * minimising the SSE and returns that SSE (a least-squares solution, see the head of the file), in units of
 * the series' scale inside.  Returns NaN when the normal equations are singular or not finite.
 *
 * The filter runs once for the data with zero initial states (errors e0), and with zero data once per unit
 * initial level (e_l) and trend (e_b) and once for a unit first seasonal state (u).  A unit seasonal state j
 * needs no run of its own: the filter is time-invariant and the seasonal ring turns, so its errors are u
 * delayed by j days (0 before).  The column of free seasonal state j < m - 1 is u_j - u_{m-1} (the states sum
 * to 0), so E'E and E'e0 come from lagged products of u with itself and with e0, e_l, e_b: O(n m) work per
 * trial instead of O(n m^2) for one run per state.
 */
static double
FcConcentratedStates(const FcEtsProblem *pb, FcEtsParams *p)
{
	int			n = pb->n,
				m = pb->m,
				ns = pb->nstates,
				nv = 2 + (pb->trend != 'N'),	/* e0, e_l and e_b: the runs with a column of their own */
				nr = nv + (pb->season != 'N');	/* ... and u */
	int			is0 = nv - 1;	/* index of the first seasonal state */
	double	   *run = palloc(sizeof(double) * nr * n);	/* run[r * n + t]: the errors of run r */
	double		l[4] = {0, 1, 0, 0},	/* run 1: a unit initial level */
				b[4] = {0, 0, 0, 0},
				ring[4 * FC_CONC_MAX_SEASON];
	double		vv[3][3],		/* <v_a, v_b> for a, b < nv */
				x[3][FC_CONC_MAX_SEASON],	/* <v_a, u_j> */
				uu[FC_CONC_MAX_SEASON][FC_CONC_MAX_SEASON];	/* <u_i, u_j>, i <= j */
	double		ee[FC_CONC_MAX_STATES * FC_CONC_MAX_STATES],
				ey[FC_CONC_MAX_STATES],
				c[FC_CONC_MAX_STATES],
				sse;
	const double *u = run + (nr - 1) * n;

	memset(ring, 0, sizeof(double) * 4 * m);
	if (pb->trend != 'N')
		b[2] = 1;				/* run 2: a unit initial trend */
	if (pb->season != 'N')
		ring[nr - 1] = 1;		/* the u run: s0[0] = 1 */
	for (int t = 0; t < n; t++)
	{
		double	   *s = ring + (t % m) * 4;

		for (int r = 0; r < nr; r++)
		{
			double		lb = l[r] + p->phi * b[r];
			double		e = (r == 0 ? pb->y[t] / pb->unit : 0) - lb - s[r];

			run[r * n + t] = e;
			l[r] = lb + p->alpha * e;
			b[r] = p->phi * b[r] + p->beta * e;
			s[r] += p->gamma * e;
		}
	}
	for (int a = 0; a < nv; a++)
		for (int c2 = a; c2 < nv; c2++)
			vv[a][c2] = vv[c2][a] = FcDot(run + a * n, run + c2 * n, n);
	if (pb->season != 'N')
	{
		for (int a = 0; a < nv; a++)
			for (int j = 0; j < m; j++)
				x[a][j] = FcDot(run + a * n + j, u, n - j);	/* sum_{t >= j} v_a(t) u(t - j) */
		/* <u_i, u_j> = sum_{tau < n - j} u(tau) u(tau + j - i): the full lagged sum, less its tail */
		for (int d = 0; d < m; d++)
		{
			double		acc = FcDot(u, u + d, n - d);

			for (int j = d; j < m; j++)
			{
				if (j > d)
					acc -= u[n - j] * u[n - j + d];
				uu[j - d][j] = acc;
			}
		}
	}
	/* the normal equations in state order: level, trend, seasonal 0 .. m - 2 */
	for (int i = 0; i < ns; i++)
	{
		for (int j = 0; j <= i; j++)
		{
			double		g;

			if (i < is0)
				g = vv[i + 1][j + 1];
			else if (j < is0)
				g = x[j + 1][i - is0] - x[j + 1][m - 1];
			else
			{
				int			a = j - is0,
							c2 = i - is0;	/* a <= c2 < m - 1 */

				g = uu[a][c2] - uu[a][m - 1] - uu[c2][m - 1] + uu[m - 1][m - 1];
			}
			ee[i * ns + j] = ee[j * ns + i] = g;
		}
		ey[i] = -(i < is0 ? vv[0][i + 1] : x[0][i - is0] - x[0][m - 1]);
	}
	pfree(run);
	/* the states c minimise |e0 + E c|^2: E'E c = -E'e0, and the SSE left is e0'e0 + c'E'e0 */
	memcpy(c, ey, sizeof(double) * ns);
	if (!SmSolveSpd(ee, ns, c))
		return NAN;
	sse = vv[0][0];
	for (int i = 0; i < ns; i++)
		sse -= c[i] * ey[i];
	p->l0 = c[0] * pb->unit;
	p->b0 = pb->trend != 'N' ? c[1] * pb->unit : 0;
	if (pb->season == 'A')
	{
		double		sum = 0;

		for (int j = 0; j < m - 1; j++)
		{
			p->s0[j] = c[is0 + j] * pb->unit;
			sum += p->s0[j];
		}
		p->s0[m - 1] = -sum;
	}
	return Max(sse, 0) * pb->unit * pb->unit;
}

/* Log-likelihood of the concentrated Gaussian model (statsmodels' and Hyndman's form). */
static double
FcLogLik(const FcEtsProblem *pb, double sse, double logsum)
{
	double		n = pb->n;
	double		ll = -n / 2 * (log(2 * M_PI * Max(sse, pb->sse_floor) / n) + 1);

	return pb->error == 'M' ? ll - logsum : ll;
}

/* The Nelder-Mead objective: minus the log-likelihood. */
static double
FcObjective(const gsl_vector *v, void *arg)
{
	const FcEtsProblem *pb = arg;
	FcEtsParams p;
	double		sse,
				logsum,
				l,
				b,
				ring[FC_MAX_SEASON];
	double		f;

	FcParamsFromTheta(pb, v->data, &p);
	if (pb->concentrated)
	{
		sse = FcConcentratedStates(pb, &p);
		logsum = 0;
		if (isnan(sse))
			return FC_BAD;
	}
	else if (!FcFilter(pb, &p, &sse, &logsum, &l, &b, ring, NULL))
		return FC_BAD;
	f = -FcLogLik(pb, sse, logsum);
	return isfinite(f) ? f : FC_BAD;
}

/* Heuristic starting states (classical decomposition over the first seasons; Hyndman et al. 2008, 2.6.1). */
static void
FcStartingParams(const FcEtsProblem *pb, FcEtsParams *p)
{
	const double *y = pb->y;
	int			n = pb->n,
				m = pb->m;

	p->alpha = 0.2;
	p->beta = 0.02;
	p->gamma = 0.05;
	p->phi = 0.95;
	if (pb->season != 'N')
	{
		int			seasons = Min(n / m, 4);
		double		means[4];

		for (int k = 0; k < seasons; k++)
		{
			means[k] = 0;
			for (int j = 0; j < m; j++)
				means[k] += y[k * m + j];
			means[k] /= m;
		}
		p->b0 = pb->trend != 'N' ? (means[seasons - 1] - means[0]) / (m * (seasons - 1)) : 0;
		p->l0 = means[0] - p->b0 * (m + 1) / 2.0;
		for (int j = 0; j < m; j++)
		{
			double		acc = 0;

			for (int k = 0; k < seasons; k++)
			{
				double		base = means[k] + p->b0 * (j - (m - 1) / 2.0);

				acc += pb->season == 'M' ? (base > 0 ? y[k * m + j] / base : 1) : y[k * m + j] - base;
			}
			p->s0[j] = acc / seasons;
		}
		if (pb->season == 'M')
		{
			double		sum = 0;

			for (int j = 0; j < m; j++)
			{
				p->s0[j] = Max(p->s0[j], 0.01);
				sum += p->s0[j];
			}
			for (int j = 0; j < m; j++)
				p->s0[j] *= m / sum;
		}
		else
		{
			double		sum = 0;

			for (int j = 0; j < m; j++)
				sum += p->s0[j];
			for (int j = 0; j < m; j++)
				p->s0[j] -= sum / m;
		}
	}
	else
	{
		int			k = Min(Max(n / 2, 1), 5);
		double		a = 0,
					c = 0;

		for (int t = 0; t < k; t++)
			a += y[t];
		a /= k;
		for (int t = k; t < Min(2 * k, n); t++)
			c += y[t];
		c = n >= 2 * k ? c / k : a;
		p->l0 = pb->trend != 'N' ? a - (c - a) / k * (k + 1) / 2.0 : y[0];
		p->b0 = pb->trend != 'N' ? (c - a) / k : 0;
	}
}

/*
 * A starting point for the simplex: the best of theta and a grid of smoothing parameters (alpha 0.05, 0.2,
 * 0.5, 0.85; beta* 0.01, 0.2; gamma* 0.05, 0.4, 0.9; phi and the initial states as in theta), written into
 * theta; returns its objective.  The likelihood of a seasonal model often has a second optimum (the airline
 * series' AAA one at alpha -> 1, gamma -> 0, its MAM one at gamma = 1 - alpha); one objective evaluation
 * per grid point keeps the simplex out of the worse one.
 */
static double
FcGridStart(const FcEtsProblem *pb, double *theta)
{
	static const double alphas[] = {0.05, 0.2, 0.5, 0.85};
	static const double betas[] = {0.01, 0.2};
	static const double gammas[] = {0.05, 0.4, 0.9};
	int			nb = pb->trend != 'N' ? 2 : 1,
				ng = pb->season != 'N' ? 3 : 1;
	double		best[FC_MAX_THETA],
				try[FC_MAX_THETA];
	double		fbest;
	gsl_vector_view v = gsl_vector_view_array(theta, pb->ntheta);

	fbest = FcObjective(&v.vector, (void *) pb);
	memcpy(best, theta, pb->ntheta * sizeof(double));
	for (int a = 0; a < 4; a++)
		for (int b = 0; b < nb; b++)
			for (int g = 0; g < ng; g++)
			{
				int			i = 0;
				double		f;
				gsl_vector_view tv = gsl_vector_view_array(try, pb->ntheta);

				memcpy(try, theta, pb->ntheta * sizeof(double));
				try[i++] = FcLogit(alphas[a], FC_PAR_LO, FC_PAR_HI);
				if (pb->trend != 'N')
					try[i++] = FcLogit(betas[b], FC_PAR_LO, FC_PAR_HI);
				if (pb->trend == 'D')
					i++;		/* phi: as in theta */
				if (pb->season != 'N')
					try[i++] = FcLogit(gammas[g], FC_PAR_LO, FC_PAR_HI);
				f = FcObjective(&tv.vector, (void *) pb);
				if (f < fbest)
				{
					fbest = f;
					memcpy(best, try, pb->ntheta * sizeof(double));
				}
			}
	memcpy(theta, best, pb->ntheta * sizeof(double));
	return fbest;
}

/* One Nelder-Mead run from theta (updated in place); returns the objective reached. */
static double
FcSimplex(const FcEtsProblem *pb, double *theta, double step_size, double tol, int max_iter)
{
	gsl_multimin_function f = {FcObjective, (size_t) pb->ntheta, (void *) pb};
	gsl_multimin_fminimizer *s = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, pb->ntheta);
	gsl_vector *x = gsl_vector_alloc(pb->ntheta);
	gsl_vector *step = gsl_vector_alloc(pb->ntheta);
	double		best,
				checkpoint;
	int			status = GSL_CONTINUE;

	if (s == NULL || x == NULL || step == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	for (int i = 0; i < pb->ntheta; i++)
	{
		gsl_vector_set(x, i, theta[i]);
		/* logits move by 1, states (in units of the series' scale) and log seasonal ratios by a tenth */
		gsl_vector_set(step, i, (i < pb->nsmooth ? 1.0 : 0.1) * step_size);
	}
	gsl_multimin_fminimizer_set(s, &f, x, step);
	checkpoint = HUGE_VAL;		/* s->fval is set by the first iteration, not by set */
	for (int iter = 1; iter <= max_iter && status == GSL_CONTINUE; iter++)
	{
		if ((iter & 63) == 0)
			CHECK_FOR_INTERRUPTS();
		if (gsl_multimin_fminimizer_iterate(s) != GSL_SUCCESS)
			break;
		status = gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), tol);
		/*
		 * also stop when the best value has stalled over the last 10 x dim iterations: a parameter running
		 * off to its bound (a logit towards -inf) keeps the simplex from shrinking long after the likelihood
		 * stopped changing
		 */
		if (iter % (10 * pb->ntheta) == 0)
		{
			if (checkpoint - s->fval < 1e-3)
				break;
			checkpoint = s->fval;
		}
	}
	for (int i = 0; i < pb->ntheta; i++)
		theta[i] = gsl_vector_get(s->x, i);
	best = s->fval;
	gsl_multimin_fminimizer_free(s);
	gsl_vector_free(x);
	gsl_vector_free(step);
	return best;
}

/*
 * Residuals of the likelihood as a least-squares problem, for Levenberg-Marquardt: r_t = e_t g with g the
 * geometric mean of the forecasts for M errors (1 for A errors), since n/2 log sum e_t^2 + sum log mu_t =
 * n/2 log sum (e_t g)^2: minimising sum r_t^2 maximises the likelihood.  An inadmissible point (a forecast
 * <= 0) gets large residuals, which the trust region rejects.
 */
static int
FcResiduals(const gsl_vector *x, void *arg, gsl_vector *r)
{
	const FcEtsProblem *pb = arg;
	FcEtsParams p;
	double		sse,
				logsum,
				l,
				b,
				g,
				ring[FC_MAX_SEASON];

	FcParamsFromTheta(pb, x->data, &p);
	if (!FcFilter(pb, &p, &sse, &logsum, &l, &b, ring, pb->scratch) ||
		!isfinite(g = pb->error == 'M' ? exp(logsum / pb->n) : 1) || !isfinite(sse * g * g))
	{
		for (int t = 0; t < pb->n; t++)
			gsl_vector_set(r, t, 1e100 / pb->n);
		return GSL_SUCCESS;
	}
	for (int t = 0; t < pb->n; t++)
		gsl_vector_set(r, t, pb->scratch[t] * g / pb->unit);	/* r may be a strided column of the Jacobian */
	return GSL_SUCCESS;
}

/*
 * Levenberg-Marquardt (GSL's multifit_nlinear trust region, finite-difference Jacobian) on FcResiduals from
 * theta, updated in place when it ends on a better point; returns the objective there.  Nelder-Mead needs
 * thousands of evaluations in the 9 to 13 dimensions of a seasonal model with its initial states; this
 * converges in tens of iterations of ntheta + 1 filter runs each.
 */
static double
FcLevenbergMarquardt(const FcEtsProblem *problem, double *theta, int max_iter)
{
	FcEtsProblem lpb = *problem;
	FcEtsProblem *pb = &lpb;
	gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
	gsl_multifit_nlinear_workspace *volatile w = NULL;
	gsl_multifit_nlinear_fdf fdf;
	gsl_vector_view x0 = gsl_vector_view_array(theta, pb->ntheta);
	gsl_vector_view tv;
	double		f0,
				f;

	params.solver = gsl_multifit_nlinear_solver_cholesky;	/* J'J: 13 columns, damped by the LM term */
	f0 = FcObjective(&x0.vector, (void *) pb);
	f = f0;
	fdf.f = FcResiduals;
	fdf.df = NULL;
	fdf.fvv = NULL;
	fdf.n = pb->n;
	fdf.p = pb->ntheta;
	fdf.params = (void *) pb;
	pb->scratch = SmAllocArray(pb->n, sizeof(double));
	PG_TRY();
	{
		int			info;

		w = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &params, pb->n, pb->ntheta);
		if (w == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		if (gsl_multifit_nlinear_init(&x0.vector, &fdf, w) == GSL_SUCCESS)
		{
			for (int iter = 0; iter < max_iter; iter++)
			{
				CHECK_FOR_INTERRUPTS();
				if (gsl_multifit_nlinear_iterate(w) != GSL_SUCCESS ||
					gsl_multifit_nlinear_test(1e-8, 1e-8, 0, &info, w) == GSL_SUCCESS)
					break;
			}
			tv = gsl_vector_view_array(gsl_multifit_nlinear_position(w)->data, pb->ntheta);
			f = FcObjective(&tv.vector, (void *) pb);
			if (f < f0)
				memcpy(theta, tv.vector.data, pb->ntheta * sizeof(double));
		}
	}
	PG_FINALLY();
	{
		if (w)
			gsl_multifit_nlinear_free(w);
	}
	PG_END_TRY();
	pfree(pb->scratch);
	return Min(f, f0);
}

/*
 * Sets up the fit problem of ETS model `method` (season length m) on y[0..n); false when the model cannot be
 * fitted (a season without two seasons of data, multiplicative errors on data that are not all positive, or
 * fewer observations than its parameters need).
 */
static bool
FcEtsSetup(const double *y, int n, int method, int m, FcEtsProblem *pb)
{
	const FcMethodInfo *info = &fc_methods[method];
	double		scale = 0,
				mean = 0;

	pb->y = y;
	pb->n = n;
	pb->error = info->error;
	pb->trend = info->trend;
	pb->season = info->season;
	pb->m = info->season == 'N' ? 1 : m;
	if (pb->season != 'N' && (m < 2 || n < 2 * m))
		return false;
	for (int t = 0; t < n; t++)
	{
		mean += fabs(y[t]);
		if (pb->error == 'M' && !(y[t] > 0))
			return false;		/* multiplicative errors need positive data */
	}
	mean /= n;
	for (int t = 1; t < n; t++)
		scale += fabs(y[t] - y[t - 1]);
	scale = Max(scale / Max(n - 1, 1), mean * 0.01 + 1e-9);
	pb->unit = scale;
	pb->sse_floor = n * pow(1e-9 * (mean + 1e-9), 2);
	pb->nsmooth = 1 + (pb->trend != 'N') + (pb->trend == 'D') + (pb->season != 'N');
	pb->nstates = 1 + (pb->trend != 'N') + (pb->season != 'N' ? pb->m - 1 : 0);
	pb->concentrated = pb->error == 'A' && pb->m <= FC_CONC_MAX_SEASON;
	pb->ntheta = pb->concentrated ? pb->nsmooth : pb->nsmooth + pb->nstates;
	return n > pb->nsmooth + pb->nstates + 2;
}

/*
 * Fills *out with the model at theta (the states after the last day, the likelihood and the criteria) and
 * keeps theta in it for FcRefineEts; false when the filter fails there.
 */
static bool
FcEtsFinish(const FcEtsProblem *pb, int method, const double *theta, bool final, FcModel *out)
{
	FcEtsParams p;
	double		sse,
				logsum,
				level,
				trend,
				ring[FC_MAX_SEASON];
	int			n = pb->n,
				k = pb->nsmooth + pb->nstates + 1;	/* + the error variance */

	FcParamsFromTheta(pb, theta, &p);
	if (pb->concentrated && isnan(FcConcentratedStates(pb, &p)))
		return false;
	if (!FcFilter(pb, &p, &sse, &logsum, &level, &trend, ring, NULL))
		return false;

	memset(out, 0, sizeof(*out));
	out->method = method;
	out->season_length = pb->m;
	out->n = n;
	out->alpha = p.alpha;
	out->beta = pb->trend != 'N' ? p.beta : NAN;
	out->gamma = pb->season != 'N' ? p.gamma : NAN;
	out->phi = pb->trend == 'D' ? p.phi : NAN;
	out->level = level;
	out->trend = pb->trend != 'N' ? trend : NAN;
	for (int h = 0; h < pb->m; h++)
		out->seasonal[h] = pb->season != 'N' ? ring[(n + h) % pb->m] : NAN;
	out->sse = sse;
	out->nparams = k;
	out->sigma2 = sse / (n - (k - 1));
	out->loglik = FcLogLik(pb, sse, logsum);
	out->aic = -2 * out->loglik + 2 * k;
	out->aicc = out->aic + 2.0 * k * (k + 1) / (n - k - 1);
	out->bic = -2 * out->loglik + k * log((double) n);
	out->adi = out->cv2 = NAN;
	out->intermittent_size = out->intermittent_interval = out->intermittent_probability = NAN;
	out->fit_final = final;
	out->fit_ntheta = pb->ntheta;
	memcpy(out->fit_theta, theta, pb->ntheta * sizeof(double));
	return isfinite(out->loglik) && isfinite(out->level);
}

/* The additive-error model with the trend and season of multiplicative model `method` (MAM -> AAA). */
int
FcAdditiveCounterpart(int method)
{
	return method == FC_MAM ? FC_AAA : method == FC_MADM ? FC_AADA : method;
}

/*
 * Starting point of a multiplicative model from its fitted additive counterpart (see FcAdditiveCounterpart)
 * when that fit had concentrated states: its smoothing parameters, level and trend, and the seasonal states as
 * ratios (l0 + s0[j]) / l0 scaled to average 1.  False (leaving *p alone) when there is no usable fit.
 */
static bool
FcStartFromAdditive(const double *y, int n, const FcModel *additive, FcEtsParams *p)
{
	FcEtsProblem apb;
	FcEtsParams ap;
	double		sum = 0;

	if (additive == NULL || !FcEtsSetup(y, n, additive->method, additive->season_length, &apb) ||
		!apb.concentrated || additive->fit_ntheta != apb.ntheta)
		return false;
	FcParamsFromTheta(&apb, additive->fit_theta, &ap);
	if (isnan(FcConcentratedStates(&apb, &ap)) || !(ap.l0 > 0))
		return false;
	for (int j = 0; j < apb.m; j++)
	{
		ap.s0[j] = (ap.l0 + ap.s0[j]) / ap.l0;
		if (!(ap.s0[j] > 0))
			return false;
		sum += ap.s0[j];
	}
	for (int j = 0; j < apb.m; j++)
		ap.s0[j] *= apb.m / sum;
	*p = ap;
	return true;
}

/*
 * Fits ETS model `method` (season length m) to y[0..n) by maximum likelihood; false when it cannot be fitted
 * (see FcEtsSetup, or no admissible point for a multiplicative model).  A model with concentrated states
 * (see the head of the file) gets its final fit, one Nelder-Mead run over its smoothing parameters.  Any
 * other gets, with screen, one coarse run of 40 iterations per parameter, enough for auto to choose the
 * models worth the full fit (FcRefineEts); without screen, the full fit.  A multiplicative model starts from
 * its additive counterpart's fit (`additive`, fitted here when NULL), else from the heuristic states.
 */
bool
FcFitEts(const double *y, int n, int method, int m, bool screen, const FcModel *additive, FcModel *out)
{
	FcEtsProblem pb;
	FcEtsParams p;
	double		starts[2][FC_MAX_THETA];
	double		best[FC_MAX_THETA];
	double		fbest = HUGE_VAL;
	int			nstarts = 0;
	FcModel    *own = NULL;

	if (!FcEtsSetup(y, n, method, m, &pb))
		return false;
	FcStartingParams(&pb, &p);
	FcThetaFromParams(&pb, &p, starts[0]);
	if (pb.concentrated)
		FcGridStart(&pb, starts[nstarts++]);
	else
	{
		/*
		 * two starts, each run coarsely: the heuristic point as it is (its small gamma finds the airline
		 * series' MAM optimum, which a grid point misses), and for MAM / MAdM the additive counterpart's
		 * states, for any other model the heuristic states, at their best grid point
		 */
		FcEtsParams ap;

		nstarts = 2;
		memcpy(starts[1], starts[0], pb.ntheta * sizeof(double));
		if (pb.season == 'M')
		{
			if (additive == NULL)
			{
				own = palloc(sizeof(FcModel));
				if (FcFitEts(y, n, FcAdditiveCounterpart(method), m, true, NULL, own))
					additive = own;
			}
			if (FcStartFromAdditive(y, n, additive, &ap))
				FcThetaFromParams(&pb, &ap, starts[1]);
			if (own)
				pfree(own);
		}
		FcGridStart(&pb, starts[1]);
	}
	for (int i = 0; i < nstarts; i++)
	{
		double		f = pb.concentrated ? FcSimplex(&pb, starts[i], 1.0, 1e-4, 100 * pb.ntheta)
			: FcSimplex(&pb, starts[i], 1.0, 1e-3, 20 * pb.ntheta);

		if (f < fbest)
		{
			fbest = f;
			memcpy(best, starts[i], pb.ntheta * sizeof(double));
		}
	}
	if (!(fbest < FC_BAD) || !FcEtsFinish(&pb, method, best, pb.concentrated, out))
		return false;
	return screen || FcRefineEts(y, n, out);
}

/*
 * The full fit of a model FcFitEts screened: a Nelder-Mead restart from where the screening run ended, with a
 * smaller simplex, until it converges or stops gaining a thousandth of a log-likelihood unit.  A model that
 * had its final fit is left as it is.  False when the fit fails.
 */
bool
FcRefineEts(const double *y, int n, FcModel *model)
{
	FcEtsProblem pb;
	double		theta[FC_MAX_THETA];
	double		f;

	if (model->fit_final)
		return true;
	if (!FcEtsSetup(y, n, model->method, model->season_length, &pb) || pb.ntheta != model->fit_ntheta)
		return false;
	memcpy(theta, model->fit_theta, pb.ntheta * sizeof(double));
	f = FcLevenbergMarquardt(&pb, theta, 40);
	return f < FC_BAD && FcEtsFinish(&pb, model->method, theta, true, model);
}

/* phi + phi^2 + ... + phi^h (h for an undamped trend). */
static double
FcDampSum(double phi, int h)
{
	double		acc = 0,
				pw = 1;

	if (isnan(phi))
		return h;
	for (int i = 1; i <= h; i++)
	{
		pw *= phi;
		acc += pw;
	}
	return acc;
}

/*
 * Point forecasts mean[0..horizon) and, for additive-error models, their variances var[] (Hyndman et al.
 * 2008, class 1: sigma^2 (1 + sum_{j<h} c_j^2), c_j = alpha + beta phi_j + gamma [j mod m = 0]); var is NaN
 * for multiplicative models (see FcEtsSimulate).
 */
void
FcEtsForecast(const FcModel *model, int horizon, double *mean, double *var)
{
	const FcMethodInfo *info = &fc_methods[model->method];
	int			m = model->season_length;
	double		acc = 0;
	double		b = info->trend == 'N' ? 0 : model->trend;

	for (int h = 1; h <= horizon; h++)
	{
		double		lb = model->level + FcDampSum(model->phi, h) * b;
		double		s = info->season == 'N' ? 0 : model->seasonal[(h - 1) % m];

		mean[h - 1] = info->season == 'M' ? lb * s : lb + s;
		if (info->error == 'A')
		{
			if (h > 1)
			{
				int			j = h - 1;
				double		c = model->alpha + (info->trend == 'N' ? 0 : model->beta * FcDampSum(model->phi, j)) +
					(info->season != 'N' && j % m == 0 ? model->gamma : 0);

				acc += c * c;
			}
			var[h - 1] = model->sigma2 * (1 + acc);
		}
		else
			var[h - 1] = NAN;
	}
}

/* Comparator for the simulated paths. */
static int
FcCmpDouble(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * Prediction intervals of a multiplicative model by simulation: `paths` sample paths from the model's states
 * with Gaussian relative errors of variance sigma2 (GSL's mt19937 seeded with `seed`), the 10/90 and
 * 2.5/97.5 percentiles of each step.
 */
void
FcEtsSimulate(const FcModel *model, int horizon, int paths, uint64 seed, double *lo80, double *hi80,
			  double *lo95, double *hi95)
{
	const FcMethodInfo *info = &fc_methods[model->method];
	int			m = model->season_length;
	double		sd = sqrt(model->sigma2);
	double		phi = isnan(model->phi) ? 1 : model->phi;
	double	   *draws = SmAllocArray((int64) horizon * paths, sizeof(double));
	double	   *col = SmAllocArray(paths, sizeof(double));
	double		ring[FC_MAX_SEASON];
	gsl_rng    *rng = gsl_rng_alloc(gsl_rng_mt19937);

	if (rng == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	gsl_rng_set(rng, (unsigned long) seed);
	for (int p = 0; p < paths; p++)
	{
		double		l = model->level,
					b = info->trend == 'N' ? 0 : model->trend;

		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < m; j++)
			ring[j] = model->seasonal[j];
		for (int h = 0; h < horizon; h++)
		{
			double		lb = l + phi * b;
			double		s = ring[h % m];
			double		e = gsl_ran_gaussian_ziggurat(rng, sd);

			draws[(int64) h * paths + p] = lb * s * (1 + e);
			l = lb * (1 + model->alpha * e);
			b = phi * b + (isnan(model->beta) ? 0 : model->beta) * lb * e;
			ring[h % m] = s * (1 + model->gamma * e);
		}
	}
	gsl_rng_free(rng);
	for (int h = 0; h < horizon; h++)
	{
		memcpy(col, draws + (int64) h * paths, paths * sizeof(double));
		qsort(col, paths, sizeof(double), FcCmpDouble);
		lo80[h] = col[(int) floor(0.10 * (paths - 1))];
		hi80[h] = col[(int) ceil(0.90 * (paths - 1))];
		lo95[h] = col[(int) floor(0.025 * (paths - 1))];
		hi95[h] = col[(int) ceil(0.975 * (paths - 1))];
	}
	pfree(draws);
	pfree(col);
}
