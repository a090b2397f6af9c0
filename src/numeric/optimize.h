/*
 * numeric/optimize.h — a small smooth minimiser over log-parameters (at most SM_OPT_MAX_DIM of them): GSL's
 * BFGS (vector_bfgs2) from each start, Nelder-Mead and BFGS again when BFGS stalls, Newton steps on a Hessian
 * by central differences of the analytic gradient to finish, and standard errors of the natural parameters
 * (exp of the log-parameters) from the same Hessian.  Knows no model: the objective is a callback.  Also the
 * Cholesky solve it uses, for any small symmetric positive definite system (SmSolveSpd).
 */
#ifndef SUPPLYMKT_NUMERIC_OPTIMIZE_H
#define SUPPLYMKT_NUMERIC_OPTIMIZE_H

#include "postgres.h"

#define SM_OPT_MAX_DIM 4

/*
 * An objective over log-parameters theta: returns its value and, when grad is not NULL, fills grad[0..dim)
 * with its analytic gradient.
 */
typedef double (*SmObjectiveFn) (const double *theta, double *grad, void *arg);

typedef struct SmOptProblem
{
	SmObjectiveFn fn;
	void	   *arg;
	int			dim;			/* 1 .. SM_OPT_MAX_DIM */
	double		n;				/* observations (the objective is a mean over them) */
	double		bound;			/* log-parameters are clamped to [-bound, bound] ... */
	double		penalty;		/* ... with a quadratic penalty of this weight outside */
} SmOptProblem;

typedef struct SmOptResult
{
	double		theta[SM_OPT_MAX_DIM];
	double		f;
	double		gnorm;
	int			iterations;
	bool		converged;
} SmOptResult;

extern void SmMinimize(const SmOptProblem *pb, const double (*starts)[SM_OPT_MAX_DIM], int nstarts, double gtol,
					   SmOptResult *best, double *params, double *se, bool *has_se);

extern bool SmSolveSpd(double *a, int d, double *b);

#endif							/* SUPPLYMKT_NUMERIC_OPTIMIZE_H */
