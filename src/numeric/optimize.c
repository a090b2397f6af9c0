/*
 * numeric/optimize.c — the minimiser over log-parameters declared in numeric/optimize.h: BFGS and Nelder-Mead
 * from GSL (its errors come back as status codes: _PG_init turns GSL's abort handler off), Newton steps on a
 * Hessian by central differences of the analytic gradient, and standard errors from the same Hessian.
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>

#include "miscadmin.h"

#include "numeric/optimize.h"

/* The objective with the log-parameters clamped to [-bound, bound] and a quadratic penalty outside. */
static double
SmOptEval(const SmOptProblem *pb, const double *theta, double *grad)
{
	double		tc[SM_OPT_MAX_DIM],
				pen = 0,
				f;

	for (int i = 0; i < pb->dim; i++)
	{
		tc[i] = Max(-pb->bound, Min(pb->bound, theta[i]));
		pen += pb->penalty * (theta[i] - tc[i]) * (theta[i] - tc[i]);
	}
	f = pb->fn(tc, grad, pb->arg);
	if (grad)
		for (int i = 0; i < pb->dim; i++)
			grad[i] += 2 * pb->penalty * (theta[i] - tc[i]);
	if (!isfinite(f))
		return GSL_POSINF;
	return f + pen;
}

/* GSL callback: objective value. */
static double
SmGslF(const gsl_vector *v, void *params)
{
	const SmOptProblem *pb = (const SmOptProblem *) params;
	double		theta[SM_OPT_MAX_DIM];

	for (int i = 0; i < pb->dim; i++)
		theta[i] = gsl_vector_get(v, i);
	return SmOptEval(pb, theta, NULL);
}

/* GSL callback: objective value and gradient. */
static void
SmGslFdf(const gsl_vector *v, void *params, double *f, gsl_vector *df)
{
	const SmOptProblem *pb = (const SmOptProblem *) params;
	double		theta[SM_OPT_MAX_DIM],
				grad[SM_OPT_MAX_DIM];

	for (int i = 0; i < pb->dim; i++)
		theta[i] = gsl_vector_get(v, i);
	*f = SmOptEval(pb, theta, grad);
	for (int i = 0; i < pb->dim; i++)
		gsl_vector_set(df, i, isfinite(grad[i]) ? grad[i] : 0.0);
}

/* GSL callback: gradient. */
static void
SmGslDf(const gsl_vector *v, void *params, gsl_vector *df)
{
	double		f;

	SmGslFdf(v, params, &f, df);
}

/* Largest absolute gradient component. */
static double
SmGradNorm(const double *g, int dim)
{
	double		m = 0;

	for (int i = 0; i < dim; i++)
		m = Max(m, fabs(g[i]));
	return isfinite(m) ? m : GSL_POSINF;
}

/* Hessian of the objective over theta, by central differences of the analytic gradient (symmetrised). */
static void
SmHessian(const SmOptProblem *pb, const double *theta, double *H)
{
	int			d = pb->dim;
	double		t[SM_OPT_MAX_DIM],
				gp[SM_OPT_MAX_DIM],
				gm[SM_OPT_MAX_DIM];
	const double h = 1e-5;

	memcpy(t, theta, sizeof(double) * d);
	for (int i = 0; i < d; i++)
	{
		t[i] = theta[i] + h;
		SmOptEval(pb, t, gp);
		t[i] = theta[i] - h;
		SmOptEval(pb, t, gm);
		t[i] = theta[i];
		for (int j = 0; j < d; j++)
			H[i * d + j] = (gp[j] - gm[j]) / (2 * h);
	}
	for (int i = 0; i < d; i++)
		for (int j = 0; j < i; j++)
			H[i * d + j] = H[j * d + i] = (H[i * d + j] + H[j * d + i]) / 2;
}

/*
 * Solves A x = b for a symmetric positive definite d x d matrix a (row-major, overwritten by its Cholesky factor)
 * with GSL's Cholesky decomposition; b becomes x.  False when a is not positive definite or not finite.
 */
bool
SmSolveSpd(double *a, int d, double *b)
{
	gsl_matrix_view mv = gsl_matrix_view_array(a, d, d);
	gsl_vector_view bv;

	for (int i = 0; i < d * d; i++)
		if (!isfinite(a[i]))
			return false;
	if (gsl_linalg_cholesky_decomp1(&mv.matrix) != GSL_SUCCESS)
		return false;
	for (int i = 0; i < d; i++)
		if (!(gsl_matrix_get(&mv.matrix, i, i) > 0))
			return false;
	if (b)
	{
		bv = gsl_vector_view_array(b, d);
		if (gsl_linalg_cholesky_svx(&mv.matrix, &bv.vector) != GSL_SUCCESS)
			return false;
	}
	return true;
}

/* Solves H x = b in place by Cholesky (and inverts H into inverse when not NULL); false unless H is SPD. */
static bool
SmCholeskySolve(const double *H, int d, double *b, double *inverse)
{
	double		a[SM_OPT_MAX_DIM * SM_OPT_MAX_DIM];
	gsl_matrix_view mv = gsl_matrix_view_array(a, d, d);

	memcpy(a, H, d * d * sizeof(double));
	if (!SmSolveSpd(a, d, b))
		return false;
	if (inverse)
	{
		if (gsl_linalg_cholesky_invert(&mv.matrix) != GSL_SUCCESS)
			return false;
		for (int i = 0; i < d * d; i++)
			inverse[i] = a[i];
	}
	return true;
}

/* BFGS (vector_bfgs2) from theta; returns the iterations used, theta updated. */
static int
SmRunBfgs(const SmOptProblem *pb, double *theta, int maxiter, double gtol)
{
	gsl_multimin_function_fdf fdf;
	gsl_multimin_fdfminimizer *volatile s = NULL;
	gsl_vector_view x0 = gsl_vector_view_array(theta, pb->dim);
	int			iter = 0;

	fdf.n = pb->dim;
	fdf.f = SmGslF;
	fdf.df = SmGslDf;
	fdf.fdf = SmGslFdf;
	fdf.params = unconstify(SmOptProblem *, pb);
	PG_TRY();
	{
		s = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, pb->dim);
		if (s == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		if (gsl_multimin_fdfminimizer_set(s, &fdf, &x0.vector, 0.1, 0.1) == GSL_SUCCESS &&
			isfinite(gsl_multimin_fdfminimizer_minimum(s)))
		{
			while (iter < maxiter)
			{
				CHECK_FOR_INTERRUPTS();
				iter++;
				if (gsl_multimin_fdfminimizer_iterate(s) != GSL_SUCCESS)
					break;
				if (gsl_multimin_test_gradient(gsl_multimin_fdfminimizer_gradient(s), gtol) == GSL_SUCCESS)
					break;
			}
			if (isfinite(gsl_multimin_fdfminimizer_minimum(s)))
				for (int i = 0; i < pb->dim; i++)
					theta[i] = gsl_vector_get(gsl_multimin_fdfminimizer_x(s), i);
		}
	}
	PG_FINALLY();
	{
		if (s)
			gsl_multimin_fdfminimizer_free(s);
	}
	PG_END_TRY();
	return iter;
}

/* Nelder-Mead (nmsimplex2) from theta; returns the iterations used, theta updated. */
static int
SmRunSimplex(const SmOptProblem *pb, double *theta, int maxiter)
{
	gsl_multimin_function fn;
	gsl_multimin_fminimizer *volatile s = NULL;
	gsl_vector_view x0 = gsl_vector_view_array(theta, pb->dim);
	double		steps[SM_OPT_MAX_DIM] = {0.5, 0.5, 0.5, 0.5};
	gsl_vector_view sv = gsl_vector_view_array(steps, pb->dim);
	int			iter = 0;

	fn.n = pb->dim;
	fn.f = SmGslF;
	fn.params = unconstify(SmOptProblem *, pb);
	PG_TRY();
	{
		s = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, pb->dim);
		if (s == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		if (gsl_multimin_fminimizer_set(s, &fn, &x0.vector, &sv.vector) == GSL_SUCCESS)
		{
			while (iter < maxiter)
			{
				CHECK_FOR_INTERRUPTS();
				iter++;
				if (gsl_multimin_fminimizer_iterate(s) != GSL_SUCCESS)
					break;
				if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), 1e-6) == GSL_SUCCESS)
					break;
			}
			if (isfinite(gsl_multimin_fminimizer_minimum(s)))
				for (int i = 0; i < pb->dim; i++)
					theta[i] = gsl_vector_get(gsl_multimin_fminimizer_x(s), i);
		}
	}
	PG_FINALLY();
	{
		if (s)
			gsl_multimin_fminimizer_free(s);
	}
	PG_END_TRY();
	return iter;
}

/* Newton steps on the numerical Hessian with step halving; returns the steps taken. */
static int
SmNewtonPolish(const SmOptProblem *pb, double *theta, double *f, double *g)
{
	int			steps = 0;
	double		gold = SmGradNorm(g, pb->dim),
				gnew;

	for (int it = 0; it < 8; it++)
	{
		double		H[SM_OPT_MAX_DIM * SM_OPT_MAX_DIM],
					delta[SM_OPT_MAX_DIM],
					t[SM_OPT_MAX_DIM],
					gn[SM_OPT_MAX_DIM],
					fn;
		bool		accepted = false;

		CHECK_FOR_INTERRUPTS();
		SmHessian(pb, theta, H);
		for (int i = 0; i < pb->dim; i++)
			delta[i] = -g[i];
		if (!SmCholeskySolve(H, pb->dim, delta, NULL))
			break;
		for (double lambda = 1; lambda > 1e-3; lambda /= 4)
		{
			for (int i = 0; i < pb->dim; i++)
				t[i] = theta[i] + lambda * delta[i];
			fn = SmOptEval(pb, t, gn);
			/* near the optimum f changes by less than its rounding: then a smaller gradient decides */
			if (fn < *f || (fn <= *f + 1e-14 * fabs(*f) && SmGradNorm(gn, pb->dim) < SmGradNorm(g, pb->dim)))
			{
				memcpy(theta, t, sizeof(double) * pb->dim);
				memcpy(g, gn, sizeof(double) * pb->dim);
				*f = fn;
				accepted = true;
				break;
			}
		}
		if (!accepted)
			break;
		steps++;
		/* stop at the noise floor of the gradient, or when the steps no longer converge quadratically */
		gnew = SmGradNorm(g, pb->dim);
		if (gnew < 1e-12 || gnew > 0.25 * gold)
			break;
		gold = gnew;
	}
	return steps;
}

/* Minimises from one start: BFGS, Nelder-Mead and BFGS again when that did not converge, Newton polish. */
static void
SmMinimizeFrom(const SmOptProblem *pb, const double *start, double gtol, SmOptResult *res)
{
	double		theta[SM_OPT_MAX_DIM],
				g[SM_OPT_MAX_DIM];
	int			iter;

	/* BFGS gets close; Newton steps on the numerical Hessian converge quadratically from there */
	memcpy(theta, start, sizeof(double) * pb->dim);
	iter = SmRunBfgs(pb, theta, 200, 1e-6);
	res->f = SmOptEval(pb, theta, g);

	/*
	 * BFGS stalled away from a stationary point: restart from a Nelder-Mead search, unless the parameters
	 * are running off to the bounds (data without the information to pin them down), which no restart fixes
	 */
	if (!(SmGradNorm(g, pb->dim) <= 1e-4))
	{
		bool		runaway = false;

		for (int i = 0; i < pb->dim; i++)
			runaway |= fabs(theta[i]) > pb->bound - 10;
		if (!runaway)
		{
			iter += SmRunSimplex(pb, theta, 500);
			iter += SmRunBfgs(pb, theta, 200, 1e-6);
			res->f = SmOptEval(pb, theta, g);
		}
	}
	iter += SmNewtonPolish(pb, theta, &res->f, g);
	memcpy(res->theta, theta, sizeof(double) * pb->dim);
	res->gnorm = SmGradNorm(g, pb->dim);
	res->iterations = iter;
	res->converged = isfinite(res->f) && res->gnorm <= gtol;
	for (int i = 0; i < pb->dim; i++)
		if (fabs(theta[i]) >= pb->bound - 1e-9)
			res->converged = false;
}

/* Minimises from several starts and keeps the best; fills natural parameters and standard errors. */
void
SmMinimize(const SmOptProblem *pb, const double (*starts)[SM_OPT_MAX_DIM], int nstarts, double gtol,
		   SmOptResult *best, double *params, double *se, bool *has_se)
{
	double		H[SM_OPT_MAX_DIM * SM_OPT_MAX_DIM],
				cov[SM_OPT_MAX_DIM * SM_OPT_MAX_DIM],
				g[SM_OPT_MAX_DIM];
	int			d = pb->dim;

	Assert(d >= 1 && d <= SM_OPT_MAX_DIM);
	best->f = GSL_POSINF;
	for (int k = 0; k < nstarts; k++)
	{
		SmOptResult res;

		SmMinimizeFrom(pb, starts[k], gtol, &res);
		if (k == 0 || res.f < best->f || (!isfinite(best->f) && isfinite(res.f)))
			*best = res;
	}
	for (int i = 0; i < d; i++)
		params[i] = exp(Max(-pb->bound, Min(pb->bound, best->theta[i])));

	/*
	 * Hessian in the natural parameters: d2f/dp_i dp_j = (H_theta[i][j] - [i = j] g_theta[i]) / (p_i p_j);
	 * the covariance is its inverse over n (the objective is a mean).
	 */
	*has_se = false;
	SmHessian(pb, best->theta, H);
	SmOptEval(pb, best->theta, g);
	for (int i = 0; i < d; i++)
		for (int j = 0; j < d; j++)
			H[i * d + j] = (H[i * d + j] - (i == j ? g[i] : 0)) / (params[i] * params[j]) * pb->n;
	if (SmCholeskySolve(H, d, NULL, cov))
	{
		*has_se = true;
		for (int i = 0; i < d; i++)
		{
			se[i] = sqrt(cov[i * d + i]);
			if (!isfinite(se[i]))
				*has_se = false;
		}
	}
	if (!*has_se)
		for (int i = 0; i < d; i++)
			se[i] = 0;
}
