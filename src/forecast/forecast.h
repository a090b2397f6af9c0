/*
 * forecast/forecast.h — the forecast family: demand_forecast (an aggregate over (day, qty) fitting exponential
 * smoothing state-space models or an intermittent-demand method per series), the forecast_model value it
 * returns, forecast_points (the forecasts with prediction intervals) and forecast_accuracy.
 *
 * Methods (codes stored in every model; never renumber):
 *   ETS (Hyndman, Koehler, Ord & Snyder 2008), additive errors unless named M: ANN (simple exponential
 *   smoothing), AAN (Holt), AAdN (damped Holt), ANA, AAA (additive Holt-Winters), AAdA, MAM and MAdM
 *   (multiplicative Holt-Winters, multiplicative errors); fitted by maximum likelihood over the smoothing
 *   parameters and the initial states.
 *   Intermittent: Croston (1972), SBA (Syntetos & Boylan 2005), TSB (Teunter, Syntetos & Babai 2011).
 *   mean: the historical mean, for a constant series (all zeros included: that value, no uncertainty) and for
 *   a series too short to fit an ETS model (its mean, with its sample variance).
 */
#ifndef SUPPLYMKT_FORECAST_H
#define SUPPLYMKT_FORECAST_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/date.h"

typedef enum FcMethod
{
	FC_CONSTANT = 0,
	FC_ANN = 1,
	FC_AAN = 2,
	FC_AADN = 3,
	FC_ANA = 4,
	FC_AAA = 5,
	FC_AADA = 6,
	FC_MAM = 7,
	FC_MADM = 8,
	FC_CROSTON = 9,
	FC_SBA = 10,
	FC_TSB = 11,
	FC_NMETHODS = 12
} FcMethod;

/* What `method` in the options may ask for: one method, or auto (ETS by AICc after the demand class). */
#define FC_AUTO (-1)

#define FC_MAX_SEASON 366
#define FC_MAX_DAYS 36600		/* a series spans at most 100 years of days */

/* Syntetos-Boylan cut-offs: ADI above 1.32 is intermittent, CV^2 above 0.49 erratic / lumpy. */
#define FC_ADI_CUTOFF 1.32
#define FC_CV2_CUTOFF 0.49

/* Flags of a model. */
#define FC_FLAG_SEASONAL_FALLBACK 1	/* seasonal models left out: fewer than two seasons of data */
#define FC_FLAG_AUTO 2				/* chosen by method => 'auto' */

/* Method properties. */
typedef struct FcMethodInfo
{
	const char *code;			/* 'AAdN', 'croston', ... */
	const char *name;			/* 'damped Holt', ... */
	char		error;			/* 'A', 'M', or 0 for non-ETS */
	char		trend;			/* 'N', 'A', 'D' (damped) */
	char		season;			/* 'N', 'A', 'M' */
} FcMethodInfo;

extern const FcMethodInfo fc_methods[FC_NMETHODS];

/* A fitted model, as held in memory (the SQL value is its binary form, see model.c). */
typedef struct FcModel
{
	int			method;
	int			flags;
	int			season_length;	/* m: 1 = none */
	int			n;				/* days in the series */
	DateADT		first_day;
	DateADT		last_day;
	double		alpha,
				beta,
				gamma,
				phi;			/* NaN where the method has none */
	double		level,
				trend;			/* states after the last day (trend NaN without) */
	double		seasonal[FC_MAX_SEASON];	/* seasonal states, seasonal[0] for the day after last_day */
	double		sigma2;			/* one-step error variance (relative for M errors): SSE / (n - (k - 1)) */
	double		loglik,
				aic,
				aicc,
				bic,
				sse;			/* NaN for methods without a likelihood */
	int			nparams;		/* k: free parameters + 1 for the variance (ETS) */
	double		adi,
				cv2;			/* demand class inputs; NaN without demand */
	double		intermittent_size,
				intermittent_interval,
				intermittent_probability;	/* Croston / SBA / TSB states (NaN otherwise) */
	int			sim_paths;		/* simulation of multiplicative models' intervals: paths and seed */
	int64		sim_seed;
	/* in memory only, not stored: where an ETS fit ended, for FcRefineEts */
	bool		fit_final;		/* no refinement left to do */
	int			fit_ntheta;
	double		fit_theta[4 + FC_MAX_SEASON];
} FcModel;

/* model.c */
extern Datum FcModelGetDatum(const FcModel *m);
extern void FcModelFromArg(FunctionCallInfo fcinfo, int argno, FcModel *m);

/* ets.c */
extern bool FcFitEts(const double *y, int n, int method, int m, bool screen, const FcModel *additive,
					 FcModel *out);
extern int	FcAdditiveCounterpart(int method);
extern bool FcRefineEts(const double *y, int n, FcModel *model);
extern void FcEtsForecast(const FcModel *model, int horizon, double *mean, double *var);
extern void FcEtsSimulate(const FcModel *model, int horizon, int paths, uint64 seed, double *lo80, double *hi80,
						  double *lo95, double *hi95);

/* intermittent.c */
extern void FcDemandClass(const double *y, int n, double *adi, double *cv2);
extern void FcFitIntermittent(const double *y, int n, int method, double alpha, double beta, FcModel *out);

#endif							/* SUPPLYMKT_FORECAST_H */
