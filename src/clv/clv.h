/*
 * clv/clv.h — customer lifetime value models (BG/NBD, Pareto/NBD, Gamma-Gamma): the family's shared declarations.
 *
 * Purchase process: BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"), MBG/NBD
 * (Batislam, Kim & Kavas 2007: a customer may also drop out right after the first purchase) or Pareto/NBD
 * (Schmittlein, Morrison & Colombo 1987), written as in Fader & Hardie's notes; spend:
 * Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"), fitted on repeat customers.  Inputs per customer:
 * x = repeat purchase periods, t_x = age at the last purchase (recency), T = age, m = mean repeat value.
 * Every likelihood and reader is evaluated in log space.
 *
 * Files: model.c (the clv_model type), bgnbd.c, mbgnbd.c, pareto_nbd.c, gamma_gamma.c (each model's
 * likelihood, readers' math and fitting objective; purchase_models.c lists the purchase models), fit.c (the clv_fit aggregate), readers.c (the SQL readers and the input checks
 * they share with clv_fit).  The minimiser and the special functions are in src/numeric/.
 */
#ifndef SUPPLYMKT_CLV_H
#define SUPPLYMKT_CLV_H

#include "postgres.h"

#include "fmgr.h"

#include "core/binary.h"
#include "core/json.h"
#include "core/row_buffer.h"
#include "core/validate.h"

extern const SmRowKind sm_clv_fit_kind;

/* Model and unit codes (stored in clv_fit_state's parameters and in clv_model). */
#define CLV_MODEL_BGNBD 1
#define CLV_MODEL_PNBD 2
#define CLV_MODEL_MBGNBD 3
#define CLV_MODEL_MAX 3
#define CLV_MODEL_AUTO 4			/* clv_fit only: the purchase model with the highest log-likelihood */
#define CLV_UNIT_DAYS 1
#define CLV_UNIT_WEEKS 2

/* Limits: inputs beyond CLV_MAX_INPUT are rejected so that no log-likelihood term can overflow. */
#define CLV_MAX_INPUT 1e15
#define CLV_MIN_PARAM 1e-18
#define CLV_MAX_PARAM 1e18
#define CLV_LOG_BOUND 40.0		/* fitted log-parameters stay in [-40, 40] */
#define CLV_MIN_CUSTOMERS 10
#define CLV_MAX_PERIODS 10000

/*
 * The model type (clv_model): a fixed-size varlena.  Version 2 (0.2.0) added MBG/NBD and
 * customers_without_history (binary: 8 more bytes); version 1 values are read unchanged (same memory layout).
 */
#define CLV_MODEL_VERSION 2
#define CLV_MODEL_OLDEST_VERSION 1

#define CLV_HAS_SPEND 0x01			/* p, q, gamma present */
#define CLV_FIT_INFO 0x02			/* log_likelihood, n_customers, iterations, converged present */
#define CLV_CONVERGED 0x04
#define CLV_HAS_SE 0x08				/* std_errors present */
#define CLV_SPEND_FIT_INFO 0x10
#define CLV_SPEND_CONVERGED 0x20
#define CLV_HAS_SPEND_SE 0x40
#define CLV_AUTO_SELECTED 0x80		/* chosen by clv_fit's 'auto' among every purchase model */
#define CLV_ALL_FLAGS 0xFF

typedef struct ClvModel
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* CLV_MODEL_VERSION */
	uint8		model;			/* CLV_MODEL_* */
	uint8		unit;			/* CLV_UNIT_* */
	uint8		reserved1;
	uint16		flags;			/* CLV_* flag bits */
	uint16		reserved2;
	int32		iterations;
	int32		spend_iterations;
	int32		n_without_history;	/* customers with t = 0 left out of the fit (no information) */
	int64		n_customers;
	int64		n_repeaters;	/* customers the spend model was fitted on */
	float8		params[4];		/* r, alpha, a, b ((M)BG/NBD) or r, alpha, s, beta (Pareto/NBD) */
	float8		se[4];
	float8		log_likelihood;
	float8		spend[3];		/* p, q, gamma */
	float8		spend_se[3];
	float8		spend_log_likelihood;
} ClvModel;

/* model.c: the clv_model type */
extern ClvModel *ClvModelArg(FunctionCallInfo fcinfo, int argno);
extern int	ClvParseModelName(const char *s);
extern int	ClvParseUnitName(const char *s);
extern void ClvModelValidate(const ClvModel *m);

/* readers.c: input checks shared by the aggregate and the readers */
extern void ClvCheckMax(float8 v, const char *argname);
extern void ClvCheckCustomer(float8 x, float8 tx, float8 T);
extern void ClvCheckMonetary(float8 m, float8 x, bool positive_for_repeaters);

/* Fitting data, built by clv_fit's final function (fit.c) and read by the objectives. */
/* The transaction data: distinct (x, t_x, T) triples with weights, and the distinct values they use. */
typedef struct ClvData
{
	int			ntrip;
	double	   *w;				/* customers per triple */
	int		   *xi,
			   *ti,
			   *txi;
	int			nx,
				nT,
				ntx;
	double	   *xs,
			   *Ts,
			   *txs;
	/* Pareto/NBD: distinct (x index, time) pairs, the times being recencies and ages */
	int			npair;
	int		   *pair_x;
	double	   *pair_t;
	int		   *pair_of_tx,
			   *pair_of_T;
	double		n,
				sum_x,
				sum_T;
	/* scratch of one evaluation */
	double	   *sx[8];			/* per distinct x */
	double	   *sT[4];			/* per distinct T */
	double	   *stx[2];			/* per distinct t_x */
	double	   *spair;			/* per pair */
	double	   *spairg[4];		/* per pair: derivatives */
} ClvData;

/* The spend data: repeat customers with a monetary value, grouped by x. */
typedef struct ClvSpendData
{
	int			ngroups;
	double	   *gx,
			   *gn,
			   *gsumlogm,
			   *glogx;
	int		   *gstart;			/* group g owns u[gstart[g] .. gstart[g+1]) */
	double	   *u;				/* m * x per customer */
	double		n,
				sum_m;
} ClvSpendData;

/*
 * Per model: one customer's log-likelihood, P(alive), expected purchases in the next t when alive, and the
 * fitting objective (mean negative log-likelihood over log-parameters, with its analytic gradient; an
 * SmObjectiveFn of numeric/optimize.h).  params are the model's natural parameters, in ClvModel order.
 */
extern double BgnbdLogLik(const double *p, double x, double tx, double T);
extern double BgnbdPAlive(const double *p, double x, double tx, double T);
extern double BgnbdQ(const double *p, double x, double t, double T);
extern double BgnbdObjective(const double *theta, double *grad, void *arg);

extern double PnbdLogLik(const double *p, double x, double tx, double T);
extern double PnbdPAlive(const double *p, double x, double tx, double T);
extern double PnbdQ(const double *p, double x, double t, double T);
extern double PnbdObjective(const double *theta, double *grad, void *arg);

/* bgnbd.c: BG/NBD (shift 0) and MBG/NBD (shift 1, a drop-out chance also right after the first purchase) */
extern double ClvBetaGeoLogLik(const double *p, double x, double tx, double T, int shift);
extern double ClvBetaGeoPAlive(const double *p, double x, double tx, double T, int shift);
extern double ClvBetaGeoObjective(const double *theta, double *grad, ClvData *d, int shift);

extern double MbgnbdLogLik(const double *p, double x, double tx, double T);
extern double MbgnbdPAlive(const double *p, double x, double tx, double T);
extern double MbgnbdQ(const double *p, double x, double t, double T);
extern double MbgnbdObjective(const double *theta, double *grad, void *arg);

/*
 * A purchase model, as clv_fit and the readers use it (purchase_models.c).  starts: two starting points of
 * the fit in natural parameters, from the data's purchase rate (repeat purchases per unit of age) and mean age.
 */
typedef struct ClvPurchaseModel
{
	int			code;			/* CLV_MODEL_* */
	const char *name;			/* 'bgnbd', ... */
	const char *label;			/* 'BG/NBD', ... */
	const char *param_names[4];
	bool		needs_pairs;	/* the objective reads ClvData's (x, time) pairs */
	double		(*loglik) (const double *p, double x, double tx, double T);
	double		(*palive) (const double *p, double x, double tx, double T);
	double		(*q) (const double *p, double x, double t, double T);
	double		(*objective) (const double *theta, double *grad, void *arg);
	void		(*starts) (double rate, double mean_t, double s[2][4]);
} ClvPurchaseModel;

extern const ClvPurchaseModel *ClvPurchaseModelOf(int code);

extern bool GgExpectedSpend(const ClvModel *m, double x, double mon, double *out);
extern double GgObjective(const double *theta, double *grad, void *arg);

#endif							/* SUPPLYMKT_CLV_H */
