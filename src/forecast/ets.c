/*
 * forecast/ets.c — exponential smoothing state-space models (ETS; Hyndman, Koehler, Ord & Snyder 2008, the
 * recursions of their Table 2.3): the filter, the maximum-likelihood fit of the smoothing parameters and the
 * initial states with GSL's Nelder-Mead simplex, point forecasts with the analytic forecast variance of the
 * linear (additive-error) models, and seeded simulation for the multiplicative ones.
 *
 * Parameter region ("usual" region of Hyndman et al., as statsmodels and R's forecast::ets use): alpha in
 * (1e-4, 0.9999), beta = alpha beta* and gamma = (1 - alpha) gamma* with beta*, gamma* in (1e-4, 0.9999), phi in
 * [0.8, 0.98]; the fit works on logits of these, so every trial point is admissible.  Initial seasonal states:
 * m - 1 free values, the last one making additive states sum to 0 and multiplicative ones average 1.
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "miscadmin.h"

#include "core/validate.h"
#include "forecast/forecast.h"

#define FC_PAR_LO 1e-4
#define FC_PAR_HI 0.9999
#define FC_PHI_LO 0.8
#define FC_PHI_HI 0.98
#define FC_BAD 1e300			/* objective of an inadmissible point (a multiplicative forecast <= 0) */
#define FC_MAX_THETA (4 + FC_MAX_SEASON)

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
 * the seasonal state of the days t with t mod m = j), and false when a multiplicative forecast is not positive.
 */
static bool
FcFilter(const FcEtsProblem *pb, const FcEtsParams *p, double *sse, double *logsum, double *level, double *trend,
		 double *ring)
{
	double		l = p->l0,
				b = p->b0,
				s2 = 0,
				lsum = 0;
	int			m = pb->m;

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

			if (!(mu > 0))
				return false;
			e = (pb->y[t] - mu) / mu;
			s2 += e * e;
			lsum += log(mu);
			l = lb * (1 + p->alpha * e);
			b = p->phi * b + p->beta * lb * e;
			if (pb->season == 'M')
				ring[j] = s * (1 + p->gamma * e);
		}
		else
		{
			double		e = pb->y[t] - mu;

			s2 += e * e;
			l = lb + p->alpha * e;
			b = p->phi * b + p->beta * e;
			if (pb->season == 'A')
				ring[j] = s + p->gamma * e;
		}
	}
	*sse = s2;
	*logsum = lsum;
	*level = l;
	*trend = b;
	return isfinite(s2) && isfinite(l) && isfinite(b);
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
	if (!FcFilter(pb, &p, &sse, &logsum, &l, &b, ring))
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

/* One Nelder-Mead run from theta (updated in place); returns the objective reached. */
static double
FcSimplex(const FcEtsProblem *pb, double *theta, double step_size, double tol, int max_iter)
{
	gsl_multimin_function f = {FcObjective, (size_t) pb->ntheta, (void *) pb};
	gsl_multimin_fminimizer *s = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, pb->ntheta);
	gsl_vector *x = gsl_vector_alloc(pb->ntheta);
	gsl_vector *step = gsl_vector_alloc(pb->ntheta);
	int			nsmooth = 1 + (pb->trend != 'N') + (pb->trend == 'D') + (pb->season != 'N');
	double		best,
				checkpoint;
	int			status = GSL_CONTINUE;

	if (s == NULL || x == NULL || step == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	for (int i = 0; i < pb->ntheta; i++)
	{
		gsl_vector_set(x, i, theta[i]);
		/* logits move by 1, states (in units of the series' scale) and log seasonal ratios by a tenth */
		gsl_vector_set(step, i, (i < nsmooth ? 1.0 : 0.1) * step_size);
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
		 * also stop when the best value has stalled over the last 20 x dim iterations: a parameter running
		 * off to its bound (a logit towards -inf) keeps the simplex from shrinking long after the likelihood
		 * stopped changing
		 */
		if (iter % (20 * pb->ntheta) == 0)
		{
			if (checkpoint - s->fval < 1e-9 * (1 + fabs(s->fval)))
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
 * Fits ETS model `method` (season length m) to y[0..n) by maximum likelihood; false when it cannot be fitted
 * (too few observations for its parameters, or no admissible point for a multiplicative model).  refine: the
 * full fit, a Nelder-Mead run and a second, finer one from its end (that gains a few tenths of a log-likelihood
 * unit); without it, one coarse run of 40 iterations per parameter, which auto uses to choose the models
 * worth the full fit.
 */
bool
FcFitEts(const double *y, int n, int method, int m, bool refine, FcModel *out)
{
	const FcMethodInfo *info = &fc_methods[method];
	FcEtsProblem pb;
	FcEtsParams p;
	double		theta[FC_MAX_THETA];
	double		scale = 0,
				mean = 0,
				f,
				f2,
				sse,
				logsum,
				level,
				trend,
				ring[FC_MAX_SEASON];
	int			k;

	pb.y = y;
	pb.n = n;
	pb.error = info->error;
	pb.trend = info->trend;
	pb.season = info->season;
	pb.m = info->season == 'N' ? 1 : m;
	if (pb.season != 'N' && (m < 2 || n < 2 * m))
		return false;
	for (int t = 0; t < n; t++)
	{
		mean += fabs(y[t]);
		if (pb.error == 'M' && !(y[t] > 0))
			return false;		/* multiplicative errors need positive data */
	}
	mean /= n;
	for (int t = 1; t < n; t++)
		scale += fabs(y[t] - y[t - 1]);
	scale = Max(scale / Max(n - 1, 1), mean * 0.01 + 1e-9);
	pb.unit = scale;
	pb.sse_floor = n * pow(1e-9 * (mean + 1e-9), 2);
	FcStartingParams(&pb, &p);
	pb.ntheta = FcThetaFromParams(&pb, &p, theta);
	k = pb.ntheta + 1;			/* + the error variance */
	if (n <= k + 1)
		return false;
	if (!refine)
		f = FcSimplex(&pb, theta, 1.0, 1e-3, 40 * pb.ntheta);	/* a quick look, for choosing */
	else
	{
		f = FcSimplex(&pb, theta, 1.0, 1e-4, 3000);
		f2 = FcSimplex(&pb, theta, 0.1, 1e-6, 2000);	/* a restart: Nelder-Mead stalls in many dims */
		f = Min(f, f2);
	}
	if (!(f < FC_BAD))
		return false;
	FcParamsFromTheta(&pb, theta, &p);
	if (!FcFilter(&pb, &p, &sse, &logsum, &level, &trend, ring))
		return false;

	memset(out, 0, sizeof(*out));
	out->method = method;
	out->season_length = pb.m;
	out->n = n;
	out->alpha = p.alpha;
	out->beta = pb.trend != 'N' ? p.beta : NAN;
	out->gamma = pb.season != 'N' ? p.gamma : NAN;
	out->phi = pb.trend == 'D' ? p.phi : NAN;
	out->level = level;
	out->trend = pb.trend != 'N' ? trend : NAN;
	for (int h = 0; h < pb.m; h++)
		out->seasonal[h] = pb.season != 'N' ? ring[(n + h) % pb.m] : NAN;
	out->sse = sse;
	out->nparams = k;
	out->sigma2 = sse / (n - pb.ntheta);
	out->loglik = FcLogLik(&pb, sse, logsum);
	out->aic = -2 * out->loglik + 2 * k;
	out->aicc = out->aic + 2.0 * k * (k + 1) / (n - k - 1);
	out->bic = -2 * out->loglik + k * log((double) n);
	out->adi = out->cv2 = NAN;
	out->intermittent_size = out->intermittent_interval = out->intermittent_probability = NAN;
	return isfinite(out->loglik) && isfinite(out->level);
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
