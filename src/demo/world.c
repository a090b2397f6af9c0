/*
 * demo/world.c — building the simulated world: suppliers, products, depots, the per-day catalogue, customers
 * with their BG/NBD purchase histories and Gamma-Gamma order values, and the order lines; the world is
 * simulated once per transaction and cached (DemoGetWorld).
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "datatype/timestamp.h"
#include "miscadmin.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/memutils.h"

#include "demo/demo.h"

/* ---------------------------------------------------------------------------------------------------------
 * Generator parameters used while building the world
 * --------------------------------------------------------------------------------------------------------- */

/* Product categories, in category-id order (see DemoCategory). */
const DemoCategory demo_categories[] = {
	{"electronics", 0.14, 38.0, 1.25, 1.60, 0.08, 0.35, 340, 0.10, 0, false},
	{"fashion", 0.16, 11.0, 1.80, 2.60, 0.22, 0.20, 100, 0.15, 6, false},
	{"home", 0.10, 14.0, 1.50, 2.20, 0.06, 0.10, 300, 0.12, 0, false},
	{"kitchen", 0.08, 11.0, 1.50, 2.10, 0.05, 0.15, 330, 0.08, 0, false},
	{"beauty", 0.08, 5.0, 1.80, 2.80, 0.04, 0.10, 45, 0.10, 5, false},
	{"health", 0.06, 6.0, 1.50, 2.20, 0.03, 0.10, 20, 0.05, 1, false},
	{"sports", 0.07, 13.0, 1.50, 2.10, 0.09, 0.30, 160, 0.15, 6, false},
	{"toys", 0.06, 8.0, 1.60, 2.40, 0.05, 0.60, 345, 0.20, 6, false},
	{"books", 0.05, 6.0, 1.30, 1.70, 0.02, 0.15, 350, 0.10, 0, false},
	{"grocery", 0.05, 2.0, 1.20, 1.50, 0.01, 0.05, 355, 0.20, 5, false},
	{"garden", 0.04, 12.0, 1.50, 2.20, 0.05, 0.70, 130, 0.25, 6, true},
	{"pet", 0.03, 7.0, 1.40, 1.90, 0.03, 0.05, 0, 0.05, 6, false},
	{"office", 0.03, 5.0, 1.40, 2.00, 0.03, 0.20, 245, 0.30, 2, false},
	{"automotive", 0.02, 15.0, 1.40, 2.00, 0.04, 0.15, 300, 0.15, 6, false},
	{"baby", 0.02, 9.0, 1.50, 2.10, 0.05, 0.05, 0, 0.05, 0, false},
	{"furniture", 0.01, 60.0, 1.60, 2.30, 0.07, 0.10, 20, 0.20, 0, true},
};

StaticAssertDecl(lengthof(demo_categories) == DEMO_NCAT, "demo_categories must have DEMO_NCAT entries");

/* Channel mixes of first and repeat orders, in the order of demo_channels (emit.c). */
static const double demo_acquisition_mix[DEMO_NCHAN] = {0.35, 0.25, 0.03, 0.25, 0.12};
static const double demo_retention_mix[DEMO_NCHAN] = {0.22, 0.10, 0.28, 0.35, 0.05};

/* Regions: customer clusters, each served by its own depot (depot_id = region index + 1). */
const DemoRegion demo_regions[] = {
	{"north", "North Depot", 53.55, 9.99, 0.20, 10.0, 0.30, 450.0},
	{"east", "East Depot", 52.52, 13.40, 0.18, 26.0, 0.90, 350.0},
	{"south", "South Depot", 48.14, 11.58, 0.22, 8.0, 0.20, 500.0},
	{"west", "West Depot", 51.23, 6.78, 0.25, 14.0, 0.45, 450.0},
	{"central", "Central Depot", 50.11, 8.68, 0.15, 18.0, 0.55, 400.0},
};

StaticAssertDecl(lengthof(demo_regions) == DEMO_NREG, "demo_regions must have DEMO_NREG entries");

/* Supplier region mix, in the order of demo_supplier_regions (emit.c). */
static const double demo_supplier_region_mix[] = {0.10, 0.10, 0.10, 0.10, 0.10, 0.20, 0.30};

/* Relative order intensity by hour of day (UTC); shapes time within a day only. */
static const double demo_hour_profile[24] = {
	0.60, 0.35, 0.20, 0.15, 0.15, 0.25, 0.50, 0.90, 1.20, 1.30, 1.35, 1.40,
	1.50, 1.40, 1.30, 1.30, 1.35, 1.50, 1.80, 2.10, 2.20, 1.90, 1.40, 0.90
};

/* The world of the current transaction, rebuilt when called with other arguments. */
static DemoWorld *demo_cache = NULL;

/* ---------------------------------------------------------------------------------------------------------
 * Building the world
 * --------------------------------------------------------------------------------------------------------- */

/* Suppliers: region, lead-time distribution and reliability. */
static void
DemoBuildSuppliers(DemoWorld *w)
{
	gsl_rng    *rng = DemoRng(w->seed, DEMO_STREAM_SUPPLIERS, w->cxt);
	int32		n = (w->nprod + 24) / 25;

	n = Max(n, Min(w->nprod, 3));
	n = Min(n, 500);
	w->nsupp = n;
	w->supp = DemoAlloc0(w->cxt, n, sizeof(DemoSupplier));
	for (int s = 0; s < n; s++)
	{
		DemoSupplier *sp = &w->supp[s];

		sp->region = DemoPickIndex(rng, demo_supplier_region_mix, DEMO_NSUPREG);
		if (sp->region < 5)
		{
			sp->lead_mean = 3.0 + 5.0 * gsl_rng_uniform(rng);
			sp->lead_shape = 1.0 / (0.3 * 0.3);
		}
		else if (sp->region == 5)
		{
			sp->lead_mean = 8.0 + 7.0 * gsl_rng_uniform(rng);
			sp->lead_shape = 1.0 / (0.35 * 0.35);
		}
		else
		{
			sp->lead_mean = 20.0 + 20.0 * gsl_rng_uniform(rng);
			sp->lead_shape = 1.0 / (0.4 * 0.4);
		}
		sp->short_prob = 0.02 + 0.13 * gsl_rng_uniform(rng);
	}
}

/* Products: category, cost and price, supplier, listing day, Zipf popularity and latent quality. */
static void
DemoBuildProducts(DemoWorld *w)
{
	gsl_rng    *rng = DemoRng(w->seed, DEMO_STREAM_PRODUCTS, w->cxt);
	double		shares[DEMO_NCAT];
	int32	   *rank;
	int32		top = 0;

	for (int k = 0; k < DEMO_NCAT; k++)
		shares[k] = demo_categories[k].share;
	w->prod = DemoAlloc0(w->cxt, w->nprod, sizeof(DemoProduct));
	rank = DemoAlloc0(w->cxt, w->nprod, sizeof(int32));
	for (int32 i = 0; i < w->nprod; i++)
		rank[i] = i + 1;
	gsl_ran_shuffle(rng, rank, w->nprod, sizeof(int32));

	for (int32 i = 0; i < w->nprod; i++)
	{
		DemoProduct *p = &w->prod[i];
		const DemoCategory *c;
		double		cost,
					price;
		int32		nsame;

		if ((i & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		p->category = DemoPickIndex(rng, shares, DEMO_NCAT);
		c = &demo_categories[p->category];
		cost = DemoCheckDraw(gsl_ran_lognormal(rng, log(c->median_cost), 0.6), "log-normal");
		p->cost_cents = Max((int64) llround(cost * 100.0), 50);
		price = (double) p->cost_cents / 100.0 * (c->markup_lo + (c->markup_hi - c->markup_lo) * gsl_rng_uniform(rng));
		if (price >= 5.0)
			p->price_cents = (int64) ceil(price) * 100 - 1;	/* charm pricing: x.99 */
		else
			p->price_cents = (int64) ceil(price * 100.0);
		p->price_cents = Max(p->price_cents, p->cost_cents + 1);

		/* category-aligned suppliers: supplier s serves category s mod 16 */
		if (w->nsupp >= DEMO_NCAT)
		{
			nsame = (w->nsupp - p->category + DEMO_NCAT - 1) / DEMO_NCAT;
			p->supplier = p->category + DEMO_NCAT * (int32) gsl_rng_uniform_int(rng, nsame);
		}
		else
			p->supplier = p->category % w->nsupp;

		if (w->ndays < 2 || gsl_rng_uniform(rng) < DEMO_SHARE_LISTED_BEFORE)
			p->first_day = -(1 + (int32) Min(gsl_ran_gamma(rng, 2.0, 250.0), 3649.0));
		else
			p->first_day = 1 + (int32) gsl_rng_uniform_int(rng, w->ndays - 1);
		p->zipf_weight = pow((double) rank[i], -DEMO_ZIPF_EXPONENT);
		p->quality = gsl_ran_gaussian(rng, 1.0);
		if (rank[i] == 1)
			top = i;
	}
	/* the most popular product is always on sale from the start, so every day has something to sell */
	if (w->prod[top].first_day > 0)
		w->prod[top].first_day = -30;
	pfree(rank);
}

/* Depots: one per region near its centre, with a fleet for route planning. */
static void
DemoBuildDepots(DemoWorld *w)
{
	gsl_rng    *rng = DemoRng(w->seed, DEMO_STREAM_DEPOTS, w->cxt);

	for (int r = 0; r < DEMO_NREG; r++)
	{
		w->depot[r].lat = demo_regions[r].lat + gsl_ran_gaussian(rng, 0.05);
		w->depot[r].lon = demo_regions[r].lon + gsl_ran_gaussian(rng, 0.08);
		w->depot[r].vehicles = 4 + (int32) gsl_rng_uniform_int(rng, 17);
		w->depot[r].capacity = 10 * (8 + (int32) gsl_rng_uniform_int(rng, 13));
	}
}

/* Per-category catalogs sorted by listing day, and per-day category weights (popularity x seasonality). */
static void
DemoBuildCatalog(DemoWorld *w)
{
	int32		counts[DEMO_NCAT] = {0};
	int32		fill[DEMO_NCAT] = {0};

	for (int32 i = 0; i < w->nprod; i++)
		counts[w->prod[i].category]++;
	for (int k = 0; k < DEMO_NCAT; k++)
	{
		DemoCatalog *c = &w->cat[k];

		c->n = counts[k];
		c->ids = DemoAlloc0(w->cxt, c->n, sizeof(int32));
		c->first_day = DemoAlloc0(w->cxt, c->n, sizeof(int32));
		c->cum = DemoAlloc0(w->cxt, c->n, sizeof(double));
	}
	/* insertion by listing day: counting sort over the (bounded) day range keeps it linear */
	{
		int32		lo = PG_INT32_MAX,
					hi = PG_INT32_MIN;
		int64	   *bucket;
		int32	   *order;
		int64		span;

		for (int32 i = 0; i < w->nprod; i++)
		{
			lo = Min(lo, w->prod[i].first_day);
			hi = Max(hi, w->prod[i].first_day);
		}
		span = (int64) hi - lo + 2;
		bucket = DemoAlloc0(w->cxt, span, sizeof(int64));
		order = DemoAlloc0(w->cxt, w->nprod, sizeof(int32));
		for (int32 i = 0; i < w->nprod; i++)
			bucket[w->prod[i].first_day - lo + 1]++;
		for (int64 b = 1; b < span; b++)
			bucket[b] += bucket[b - 1];
		for (int32 i = 0; i < w->nprod; i++)
			order[bucket[w->prod[i].first_day - lo]++] = i;
		for (int32 j = 0; j < w->nprod; j++)
		{
			int32		i = order[j];
			int			k = w->prod[i].category;
			DemoCatalog *c = &w->cat[k];
			int32		pos = fill[k]++;

			c->ids[pos] = i;
			c->first_day[pos] = w->prod[i].first_day;
			c->cum[pos] = (pos > 0 ? c->cum[pos - 1] : 0.0) + w->prod[i].zipf_weight;
		}
		pfree(bucket);
		pfree(order);
	}

	w->day_cat_cum = DemoAlloc0(w->cxt, (int64) w->ndays * DEMO_NCAT, sizeof(double));
	w->day_cat_n = DemoAlloc0(w->cxt, (int64) w->ndays * DEMO_NCAT, sizeof(int32));
	for (int32 d = 0; d < w->ndays; d++)
	{
		int			jd = w->start + POSTGRES_EPOCH_JDATE + d;
		int			year,
					month,
					mday;
		int			doy,
					dow = j2day(jd);
		double		total = 0;

		j2date(jd, &year, &month, &mday);
		doy = jd - date2j(year, 1, 1);
		for (int k = 0; k < DEMO_NCAT; k++)
		{
			const DemoCategory *cat = &demo_categories[k];
			DemoCatalog *c = &w->cat[k];
			int32		lo = 0,
						hi = c->n;
			double		season;

			/* number of products of the category listed by day d */
			while (lo < hi)
			{
				int32		mid = lo + (hi - lo) / 2;

				if (c->first_day[mid] <= d)
					lo = mid + 1;
				else
					hi = mid;
			}
			season = (1.0 + cat->year_amp * cos(2 * M_PI * (doy - cat->year_peak) / 365.25)) *
				(1.0 + cat->week_amp * cos(2 * M_PI * (dow - cat->week_peak) / 7.0));
			w->day_cat_n[d * DEMO_NCAT + k] = lo;
			total += (lo > 0 ? c->cum[lo - 1] : 0.0) * season;
			w->day_cat_cum[d * DEMO_NCAT + k] = total;
		}
	}
}

/*
 * Draws a product listed on day d with probability proportional to Zipf weight x category seasonality; with
 * affinity (arng not NULL), a DEMO_AFFINITY share of the draws keep to the favourite category when it has
 * products that day.
 */
int32
DemoPickProduct(const DemoWorld *w, gsl_rng *rng, int32 d, gsl_rng *arng, int favourite)
{
	const double *cw = &w->day_cat_cum[(int64) d * DEMO_NCAT];
	const int32 *cn = &w->day_cat_n[(int64) d * DEMO_NCAT];
	double		u = gsl_rng_uniform(rng) * cw[DEMO_NCAT - 1];
	int			k = 0;
	const DemoCatalog *c;
	int32		n,
				lo,
				hi;
	double		v;

	while (k < DEMO_NCAT - 1 && u >= cw[k])
		k++;
	if (arng != NULL && cn[favourite] > 0 && gsl_rng_uniform(arng) < DEMO_AFFINITY)
		k = favourite;
	while (cn[k] == 0 && k > 0)	/* rounding at the top end: step back to a stocked category */
		k--;
	while (cn[k] == 0 && k < DEMO_NCAT - 1)
		k++;
	c = &w->cat[k];
	n = cn[k];
	if (n == 0)
		elog(ERROR, "no product is listed on demo day %d", d);
	v = gsl_rng_uniform(rng) * c->cum[n - 1];
	lo = 0;
	hi = n - 1;
	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (c->cum[mid] > v)
			hi = mid;
		else
			lo = mid + 1;
	}
	return c->ids[lo];
}

/* Order skeletons collected customer by customer before they are sorted by time. */
typedef struct DemoSkeleton
{
	int64		n;
	int64		cap;
	int32	   *cust;
	int32	   *sec;
	uint8	   *chan;
	float8	   *value;
} DemoSkeleton;

/* Appends one order skeleton, enforcing the order limit. */
static void
DemoAddOrder(DemoSkeleton *sk, MemoryContext cxt, int32 cust, int32 sec, int chan, double value)
{
	if (sk->n >= DEMO_MAX_ORDERS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("demo data would have more than " INT64_FORMAT " orders", DEMO_MAX_ORDERS),
				 errhint("Use fewer customers or days.")));
	if (sk->n == sk->cap)
	{
		int64		cap = sk->cap;

		sk->cust = DemoGrow(sk->cust, &cap, sk->n + 1, sizeof(int32), cxt);
		cap = sk->cap;
		sk->sec = DemoGrow(sk->sec, &cap, sk->n + 1, sizeof(int32), cxt);
		cap = sk->cap;
		sk->chan = DemoGrow(sk->chan, &cap, sk->n + 1, sizeof(uint8), cxt);
		cap = sk->cap;
		sk->value = DemoGrow(sk->value, &cap, sk->n + 1, sizeof(float8), cxt);
		sk->cap = cap;
	}
	sk->cust[sk->n] = cust;
	sk->sec[sk->n] = sec;
	sk->chan[sk->n] = (uint8) chan;
	sk->value[sk->n] = value;
	sk->n++;
}

/*
 * Customers and their purchase histories (BG/NBD), order values (Gamma-Gamma), channels, abandoned sessions
 * and experiment enrolment; orders are then sorted by time so order_id is chronological.
 */
static void
DemoBuildCustomersAndOrders(DemoWorld *w)
{
	gsl_rng    *rng = DemoRng(w->seed, DEMO_STREAM_CUSTOMERS, w->cxt);
	double		region_mix[DEMO_NREG];
	DemoSkeleton sk;
	int64		scap = 0;
	double		horizon = (double) w->ndays;
	int32		win_lo = (int32) ((int64) w->ndays * DEMO_SECS_PER_DAY / 4);
	int32		win_hi = (int32) ((int64) w->ndays * DEMO_SECS_PER_DAY * 3 / 4);
	int64		n;

	memset(&sk, 0, sizeof(sk));
	for (int r = 0; r < DEMO_NREG; r++)
		region_mix[r] = demo_regions[r].share;
	w->cust = DemoAlloc0(w->cxt, w->ncust, sizeof(DemoCustomer));
	w->nsessions = 0;
	w->sess = NULL;

	for (int32 c = 0; c < w->ncust; c++)
	{
		DemoCustomer *cu = &w->cust[c];
		double		signup,
					lambda,
					p,
					nu,
					t,
					t_end,
					mu;
		int32		sec,
					assign = -1;
		bool		eligible;

		if ((c & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		cu->region = DemoPickIndex(rng, region_mix, DEMO_NREG);
		cu->lat = demo_regions[cu->region].lat + gsl_ran_gaussian(rng, 0.45);
		cu->lon = demo_regions[cu->region].lon + gsl_ran_gaussian(rng, 0.70);
		cu->treatment = gsl_rng_uniform(rng) < 0.5;
		signup = gsl_rng_uniform(rng) * horizon;
		lambda = DemoCheckDraw(gsl_ran_gamma(rng, DEMO_BG_R, 1.0 / DEMO_BG_ALPHA), "gamma");
		lambda = Min(lambda, DEMO_MAX_LAMBDA);
		p = DemoCheckDraw(gsl_ran_beta(rng, DEMO_BG_A, DEMO_BG_B), "beta");
		nu = DemoCheckDraw(gsl_ran_gamma(rng, DEMO_GG_Q, 1.0 / DEMO_GG_GAMMA), "gamma");
		nu = Max(nu, 1e-6);

		/*
		 * the first purchase is at signup, except for the customers who sign up and never buy; then, as in
		 * MBG/NBD, the customer may drop out right away (probability p, as after every repeat purchase)
		 */
		sec = DemoWarpSeconds(w, signup);
		cu->signup_sec = sec;
		t = signup;
		t_end = horizon;
		if (gsl_rng_uniform(rng) < DEMO_NEVER_BUY_SHARE)
		{
			lambda = 0;
			t_end = signup;
		}
		else
		{
			DemoAddOrder(&sk, w->cxt, c, sec, DemoPickIndex(rng, demo_acquisition_mix, DEMO_NCHAN),
						 DemoCheckDraw(gsl_ran_gamma(rng, DEMO_GG_P, 1.0 / nu), "gamma"));
			if (gsl_rng_uniform(rng) < p)
			{
				lambda = 0;
				t_end = signup;
			}
		}
		eligible = sec < win_lo;	/* the experiment enrols customers who signed up before it started */

		/* repeat purchases: Poisson(lambda) while active; after each one, dropout with probability p */
		while (lambda > 0)
		{
			t += DemoCheckDraw(gsl_ran_exponential(rng, 1.0 / lambda), "exponential");
			if (t >= horizon)
				break;
			sec = DemoWarpSeconds(w, t);
			DemoAddOrder(&sk, w->cxt, c, sec, DemoPickIndex(rng, demo_retention_mix, DEMO_NCHAN),
						 DemoCheckDraw(gsl_ran_gamma(rng, DEMO_GG_P, 1.0 / nu), "gamma"));
			if (eligible && assign < 0 && sec >= win_lo && sec < win_hi)
				assign = sec;
			if (gsl_rng_uniform(rng) < p)
			{
				t_end = t;		/* inactive from this purchase on */
				break;
			}
			if ((sk.n & 65535) == 0)
				CHECK_FOR_INTERRUPTS();
		}

		/* abandoned sessions while active, thinned for the treatment group inside the experiment window */
		mu = DEMO_ABANDON_RATIO * lambda;
		t = signup;
		while (mu > 0)
		{
			t += DemoCheckDraw(gsl_ran_exponential(rng, 1.0 / mu), "exponential");
			if (t >= t_end)
				break;
			sec = DemoWarpSeconds(w, t);
			if (eligible && sec >= win_lo && sec < win_hi)
			{
				if (cu->treatment && gsl_rng_uniform(rng) < DEMO_TREATMENT_CUT)
					continue;
				if (assign < 0 || sec < assign)
					assign = sec;
			}
			if (w->nsessions >= DEMO_MAX_ORDERS)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("demo data would have more than " INT64_FORMAT " sessions", DEMO_MAX_ORDERS),
						 errhint("Use fewer customers or days.")));
			w->sess = DemoGrow(w->sess, &scap, w->nsessions + 1, sizeof(DemoSession), w->cxt);
			w->sess[w->nsessions].cust = c;
			w->sess[w->nsessions].sec = sec;
			w->nsessions++;
		}
		cu->assign_sec = assign;
	}

	/* chronological order: stable LSD radix sort of order indices by time (two 16-bit passes) */
	n = sk.n;
	{
		uint32	   *idx = DemoAlloc0(w->cxt, n, sizeof(uint32));
		uint32	   *tmp = DemoAlloc0(w->cxt, n, sizeof(uint32));
		int64	   *count = DemoAlloc0(w->cxt, 65537, sizeof(int64));

		for (int64 i = 0; i < n; i++)
			idx[i] = (uint32) i;
		for (int pass = 0; pass < 2; pass++)
		{
			int			shift = pass * 16;
			uint32	   *swap;

			memset(count, 0, 65537 * sizeof(int64));
			for (int64 i = 0; i < n; i++)
				count[((((uint32) sk.sec[idx[i]]) >> shift) & 0xFFFF) + 1]++;
			for (int b = 1; b <= 65536; b++)
				count[b] += count[b - 1];
			for (int64 i = 0; i < n; i++)
				tmp[count[(((uint32) sk.sec[idx[i]]) >> shift) & 0xFFFF]++] = idx[i];
			swap = idx;
			idx = tmp;
			tmp = swap;
			CHECK_FOR_INTERRUPTS();
		}

		w->norders = n;
		w->ord = DemoAlloc0(w->cxt, n, sizeof(DemoOrder));
		w->value = DemoAlloc0(w->cxt, n, sizeof(float8));
		for (int64 i = 0; i < n; i++)
		{
			DemoOrder  *o = &w->ord[i];
			uint32		j = idx[i];

			o->cust = sk.cust[j];
			o->sec = sk.sec[j];
			o->channel = sk.chan[j];
			o->ready_day = -1;
			w->value[i] = sk.value[j];
		}
		pfree(idx);
		pfree(tmp);
		pfree(count);
	}
	if (sk.cust)
	{
		pfree(sk.cust);
		pfree(sk.sec);
		pfree(sk.chan);
		pfree(sk.value);
	}
}

/* Order lines: fills each order's basket to its Gamma-Gamma value with popular, in-season products. */
static void
DemoBuildLines(DemoWorld *w)
{
	gsl_rng    *rng = DemoRng(w->seed, DEMO_STREAM_LINES, w->cxt),
			   *arng = DemoRng(w->seed, DEMO_STREAM_AFFINITY, w->cxt);
	int64		cap = 0;
	double		shares[DEMO_NCAT];

	/* each customer's favourite category, by the categories' shares of the catalogue */
	for (int k = 0; k < DEMO_NCAT; k++)
		shares[k] = demo_categories[k].share;
	for (int32 c = 0; c < w->ncust; c++)
		w->cust[c].favourite = (uint8) DemoPickIndex(arng, shares, DEMO_NCAT);
	w->nlines = 0;
	w->line = NULL;
	for (int64 oi = 0; oi < w->norders; oi++)
	{
		DemoOrder  *o = &w->ord[oi];
		int32		d = o->sec / DEMO_SECS_PER_DAY;
		double		rem;
		double		disc_prob = o->channel == DEMO_CHAN_EMAIL ? 0.25 : 0.08;
		int			n = 0;
		int32		last = -1;
		DemoLine   *lines;

		if ((oi & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		rem = w->value[oi];
		if (w->nlines + DEMO_MAX_ORDER_LINES > DEMO_MAX_LINES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("demo data would have more than " INT64_FORMAT " order lines", DEMO_MAX_LINES),
					 errhint("Use fewer customers or days.")));
		w->line = DemoGrow(w->line, &cap, w->nlines + DEMO_MAX_ORDER_LINES, sizeof(DemoLine), w->cxt);
		lines = &w->line[w->nlines];
		o->first_line = w->nlines;

		for (int tries = 0; tries < 4 * DEMO_MAX_ORDER_LINES && n < DEMO_MAX_ORDER_LINES; tries++)
		{
			int32		i = DemoPickProduct(w, rng, d, arng, w->cust[o->cust].favourite);
			int			j;
			double		price,
						x;
			bool		disc = false;

			last = i;
			for (j = 0; j < n; j++)
				if (lines[j].product == i)
					break;
			if (j == n)
			{
				DemoLine	probe;

				disc = gsl_rng_uniform(rng) < disc_prob;
				probe.product = i;
				probe.qty = 0;
				probe.flags = disc ? DEMO_LINE_DISCOUNT : 0;
				probe.pad = 0;

				price = DemoLinePriceCents(w, &probe) / 100.0;
			}
			else
				price = DemoLinePriceCents(w, &lines[j]) / 100.0;
			x = rem / price;
			if (x >= 1.0)
			{
				double		u = gsl_rng_uniform(rng);
				int			qcap = u < 0.80 ? 1 : u < 0.93 ? 2 : u < 0.98 ? 3 : 5;
				int			q = (int) Min(floor(x), (double) qcap);

				if (j == n)
				{
					lines[n].product = i;
					lines[n].qty = 0;
					lines[n].flags = disc ? DEMO_LINE_DISCOUNT : 0;
					lines[n].pad = 0;
					n++;
				}
				lines[j].qty = (int16) Min(lines[j].qty + q, PG_INT16_MAX);
				rem -= q * price;
				if (rem <= 0)
					break;
				continue;
			}
			/* an empty basket looks for something affordable (no coin, so the total stays unbiased) */
			if (n == 0)
				continue;
			/* the next item does not fit: take it with probability remaining / price (unbiased total) */
			if (gsl_rng_uniform(rng) < x)
			{
				if (j == n)
				{
					lines[n].product = i;
					lines[n].qty = 0;
					lines[n].flags = disc ? DEMO_LINE_DISCOUNT : 0;
					lines[n].pad = 0;
					n++;
				}
				lines[j].qty = (int16) Min(lines[j].qty + 1, PG_INT16_MAX);
			}
			break;
		}
		if (n == 0)
		{
			lines[0].product = last;
			lines[0].qty = 1;
			lines[0].flags = 0;
			lines[0].pad = 0;
			n = 1;
		}
		o->nlines = (uint16) n;
		w->nlines += n;
	}
	pfree(w->value);
	w->value = NULL;
}

/* Reset callback of the world's memory context: forget the cached world. */
static void
DemoForgetWorld(void *arg)
{
	if (demo_cache == (DemoWorld *) arg)
		demo_cache = NULL;
}

/* Simulates every part of the world in dependency order. */
static void
DemoSimulate(DemoWorld *w)
{
	double		hsum = 0;

	for (int h = 0; h < 24; h++)
		hsum += demo_hour_profile[h];
	w->hour_cum[0] = 0;
	for (int h = 0; h < 24; h++)
		w->hour_cum[h + 1] = w->hour_cum[h] + demo_hour_profile[h] / hsum;
	w->hour_cum[24] = 1.0;

	DemoBuildSuppliers(w);
	DemoBuildProducts(w);
	DemoBuildDepots(w);
	DemoBuildCatalog(w);
	DemoBuildCustomersAndOrders(w);
	DemoBuildLines(w);
	DemoSimulateInventory(w);
	DemoBuildShipments(w);
}

/* Returns the world for these arguments, simulating it once per transaction. */
DemoWorld *
DemoGetWorld(int32 ncust, int32 nprod, int32 ndays, int64 seed, DateADT start)
{
	MemoryContext cxt;
	DemoWorld  *w;
	MemoryContextCallback *cb;

	if (demo_cache && demo_cache->ncust == ncust && demo_cache->nprod == nprod && demo_cache->ndays == ndays &&
		demo_cache->seed == seed && demo_cache->start == start)
		return demo_cache;
	if (demo_cache)
		MemoryContextDelete(demo_cache->cxt);	/* resets demo_cache through the callback */

	cxt = AllocSetContextCreate(TopTransactionContext, "supplymkt demo world", ALLOCSET_DEFAULT_SIZES);
	w = MemoryContextAllocZero(cxt, sizeof(DemoWorld));
	w->ncust = ncust;
	w->nprod = nprod;
	w->ndays = ndays;
	w->seed = seed;
	w->start = start;
	w->cxt = cxt;
	PG_TRY();
	{
		DemoSimulate(w);
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();

	cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));
	cb->func = DemoForgetWorld;
	cb->arg = w;
	MemoryContextRegisterResetCallback(cxt, cb);
	demo_cache = w;
	return w;
}
