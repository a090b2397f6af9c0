/*
 * demo.c — deterministic demo data for the canonical data model (DESIGN.md): one simulated world of
 * customers, products, orders, inventory, purchase orders, shipments, returns, reviews and marketing, returned
 * one relation at a time by the set-returning function demo_relation(); generate_demo_data() (plpgsql, in
 * src/sql/demo.sql) turns each relation into a table.
 *
 * The generating process (the documented one; later work fits models to it):
 *
 *  - Time runs in days from start_date 00:00 UTC over [0, days).  Nothing is recorded outside that window,
 *    except product first_listed dates and the initial purchase orders of products launched in the period.
 *    Shipments not yet shipped/delivered at the end have NULL times; returns and reviews after it are absent.
 *  - Products: Zipf popularity w = rank^-1.1 over a random ranking; 16 categories with an uneven mix, each with
 *    its own cost level, markup range, return rate, yearly and weekly seasonality; unit_price = unit_cost x
 *    markup rounded up to .99; 72% listed before start_date, the rest launched uniformly within the period.
 *  - Customers: signup uniform over the period, five regions with lat/lon clusters around a regional centre.
 *  - Purchases follow BG/NBD exactly (Fader, Hardie & Lee 2005), time in days:
 *        lambda ~ Gamma(shape r = 0.75, rate alpha = 20 days)      purchases per day while active
 *        p      ~ Beta(a = 0.8, b = 2.5)                          dropout probability
 *    the first purchase is at signup; repeat purchases form a Poisson(lambda) process; after each repeat
 *    purchase the customer becomes inactive for good with probability p.  A monotone warp inside each day
 *    gives orders a realistic hour-of-day profile without moving any order to another day.
 *  - Spend per order follows Gamma-Gamma (Fader, Hardie & Lee 2005; Colombo & Jiang 1999):
 *        nu ~ Gamma(shape q = 4, rate gamma = 40) per customer,  order value z ~ Gamma(shape p = 6, rate nu)
 *    so the mean order value is p * gamma / (q - 1) = 80.  The basket is filled to z: each line picks a
 *    product by Zipf popularity x its category's yearly and weekly seasonality on the order day (among the
 *    products already listed) — half of the lines keep to the customer's favourite category (drawn once per
 *    customer by category share), so customers have tastes that item-based recommenders can learn — takes a
 *    small quantity that fits the remaining budget, and the last item is taken with probability remaining /
 *    price, so the expected order total is z.
 *  - Channels: first orders from an acquisition mix, repeat orders from a retention mix (more email/direct).
 *    Touchpoints: 1 + Poisson(0.7) before each order (the last one in the order's channel) plus one per
 *    abandoned session.  Events: view, cart and purchase per order line, extra views, and abandoned sessions
 *    (view(s) + cart, no purchase) at rate 0.8 x lambda while the customer is active; 30% of purchased lines
 *    skip the product view (added to the cart from a listing or a past order).
 *  - Experiment 'checkout_redesign': customers are bucketed 50/50; customers who signed up before the middle half
 *    of the period are enrolled (assigned_at) at their first session in it.  In that window the treatment
 *    removes 35% of abandoned sessions, so the share of enrolment sessions that end in an order is
 *    1/1.8 = 0.556 (control) vs 1/1.52 = 0.658 (treatment).
 *    Orders themselves are untouched, so BG/NBD stays exact.
 *  - Marketing spend per day and paid channel: a fixed part plus a cost per order of that day and channel,
 *    log-normal noise; impressions from the channel's CPM, clicks ~ Binomial(impressions, CTR).
 *  - Supply: continuous-review (s, S) policy per product with s = mean demand x (lead time + 1) + z x sd x
 *    sqrt(lead time + 1), z ~ U(0, 2.2) per product, S = s + mean demand x U(10, 40) days; one open purchase
 *    order per product; lead times ~ Gamma around the supplier's mean (domestic 3-8 days, Europe 8-15, Asia
 *    20-40); some receipts are short.  Unfilled demand is backordered and ships when the next receipt arrives.
 *  - Service: each order ships from the customer's regional depot (10% from another one) after a depot-specific
 *    handling time (or when its backordered items arrive), transit grows with distance, depot delays and bulky
 *    categories; promised in 3 days (4 when far, +2 for bulky items).  Returns: per line with the category's
 *    rate, more for low-quality products and late deliveries.  Reviews: 10% of delivered lines (18% when late),
 *    rating = round(4.1 + 0.6 quality + N(0, 0.8) - 1.3 late - 0.4 backordered) clamped to 1..5.
 *
 * Determinism: every part draws from its own gsl_rng_mt19937 stream seeded from (seed, stream number), and rows
 * are produced in a fixed order, so the same arguments always give byte-identical relations.
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/tupdesc.h"
#include "access/xact.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/tuplestore.h"

#include "demo/demo.h"

/* ---------------------------------------------------------------------------------------------------------
 * Limits and generator parameters
 * --------------------------------------------------------------------------------------------------------- */
#define DEMO_MAX_CUSTOMERS 10000000
#define DEMO_MAX_PRODUCTS 1000000
#define DEMO_MAX_DAYS 3660
#define DEMO_MAX_PRODUCT_DAYS INT64CONST(50000000)	/* inventory_snapshots rows */
#define DEMO_MAX_CUSTOMER_DAYS INT64CONST(3660000000)	/* bounds orders and memory */
#define DEMO_MAX_ORDERS INT64CONST(100000000)
#define DEMO_MAX_LINES INT64CONST(300000000)
#define DEMO_SECS_PER_DAY 86400

/* BG/NBD (days) and Gamma-Gamma parameters; generate_demo_data's COMMENT repeats them. */
#define DEMO_BG_R 0.75
#define DEMO_BG_ALPHA 20.0
#define DEMO_BG_A 0.8
#define DEMO_BG_B 2.5
#define DEMO_GG_P 6.0
#define DEMO_GG_Q 4.0
#define DEMO_GG_GAMMA 40.0

#define DEMO_ZIPF_EXPONENT 1.1
#define DEMO_SHARE_LISTED_BEFORE 0.72
#define DEMO_MAX_ORDER_LINES 30
#define DEMO_ABANDON_RATIO 0.8		/* abandoned sessions per purchase while active */
#define DEMO_TREATMENT_CUT 0.35		/* share of abandoned sessions the treatment removes */
#define DEMO_MAX_LAMBDA 50.0		/* purchases per day; a guard, Gamma(0.75, 20) never gets near it */

/* Independent random streams: each part of the world draws only from its own. */
typedef enum DemoStream
{
	DEMO_STREAM_PRODUCTS = 1,
	DEMO_STREAM_SUPPLIERS,
	DEMO_STREAM_DEPOTS,
	DEMO_STREAM_CUSTOMERS,
	DEMO_STREAM_LINES,
	DEMO_STREAM_INVENTORY,
	DEMO_STREAM_SHIPMENTS,
	DEMO_STREAM_RETURNS,
	DEMO_STREAM_REVIEWS,
	DEMO_STREAM_TOUCHPOINTS,
	DEMO_STREAM_EVENTS,
	DEMO_STREAM_MARKETING,
	DEMO_STREAM_AFFINITY
} DemoStream;

/* Share of a customer's order lines drawn from the customer's favourite category (the rest follow the shop). */
#define DEMO_AFFINITY 0.5

typedef struct DemoCategory
{
	const char *name;
	double		share;			/* share of the assortment */
	double		median_cost;	/* unit cost median; log-normal with sigma 0.6 */
	double		markup_lo;
	double		markup_hi;
	double		return_rate;	/* base probability that a delivered line is returned */
	double		year_amp;		/* yearly seasonality amplitude and peak day of year */
	int			year_peak;
	double		week_amp;		/* weekly seasonality amplitude and peak weekday (0 = Sunday) */
	int			week_peak;
	bool		bulky;			/* slower delivery, later promise */
} DemoCategory;

static const DemoCategory demo_categories[] = {
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

#define DEMO_NCAT ((int) lengthof(demo_categories))

/* Marketing channels; mixes are probabilities in this order. */
static const char *const demo_channels[] = {"search", "social", "email", "direct", "affiliate"};

#define DEMO_NCHAN 5
#define DEMO_CHAN_EMAIL 2
#define DEMO_CHAN_DIRECT 3
static const double demo_acquisition_mix[DEMO_NCHAN] = {0.35, 0.25, 0.03, 0.25, 0.12};
static const double demo_retention_mix[DEMO_NCHAN] = {0.22, 0.10, 0.28, 0.35, 0.05};
static const double demo_touch_mix[DEMO_NCHAN] = {0.30, 0.30, 0.15, 0.15, 0.10};

/* Paid channels in marketing_spend: fixed spend per day, cost per order, CPM and click-through rate. */
typedef struct DemoPaidChannel
{
	int			channel;
	double		fixed_per_day;
	double		cost_per_order;
	double		cpm;
	double		ctr;
} DemoPaidChannel;

static const DemoPaidChannel demo_paid[] = {
	{0, 50.0, 12.0, 25.0, 0.035},
	{1, 80.0, 18.0, 6.0, 0.009},
	{2, 20.0, 1.5, 0.5, 0.025},
	{4, 0.0, 9.0, 4.0, 0.006},
};

/* Regions: customer clusters, each served by its own depot (depot_id = region index + 1). */
typedef struct DemoRegion
{
	const char *name;
	const char *depot_name;
	double		lat;
	double		lon;
	double		share;
	double		handling_hours; /* mean time from order (or stock arrival) to dispatch */
	double		delay_days;		/* mean extra transit delay */
	double		speed_km_day;
} DemoRegion;

static const DemoRegion demo_regions[] = {
	{"north", "North Depot", 53.55, 9.99, 0.20, 10.0, 0.30, 450.0},
	{"east", "East Depot", 52.52, 13.40, 0.18, 26.0, 0.90, 350.0},
	{"south", "South Depot", 48.14, 11.58, 0.22, 8.0, 0.20, 500.0},
	{"west", "West Depot", 51.23, 6.78, 0.25, 14.0, 0.45, 450.0},
	{"central", "Central Depot", 50.11, 8.68, 0.15, 18.0, 0.55, 400.0},
};

#define DEMO_NREG ((int) lengthof(demo_regions))

/* Supplier regions: the five domestic regions plus two import regions with long lead times. */
static const char *const demo_supplier_regions[] = {"north", "east", "south", "west", "central", "europe", "asia"};
static const double demo_supplier_region_mix[] = {0.10, 0.10, 0.10, 0.10, 0.10, 0.20, 0.30};

#define DEMO_NSUPREG 7

static const char *const demo_supplier_prefix[] = {
	"Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Vandelay", "Acme", "Hooli", "Stark", "Wayne",
	"Soylent", "Tyrell", "Cyberdyne", "Wonka", "Gringotts", "Monarch", "Oscorp", "Massive", "Pied Piper", "Aperture"
};
static const char *const demo_supplier_suffix[] = {
	"Trading", "Supply", "Wholesale", "Industries", "Imports", "Manufacturing"
};

static const char *const demo_event_types[] = {"view", "cart", "purchase"};
static const char *const demo_return_reasons[] = {
	"damaged", "defective", "not as described", "wrong size", "changed mind", "wrong item", "late delivery"
};

#define DEMO_NREASON 7

/* Relative order intensity by hour of day (UTC); shapes time within a day only. */
static const double demo_hour_profile[24] = {
	0.60, 0.35, 0.20, 0.15, 0.15, 0.25, 0.50, 0.90, 1.20, 1.30, 1.35, 1.40,
	1.50, 1.40, 1.30, 1.30, 1.35, 1.50, 1.80, 2.10, 2.20, 1.90, 1.40, 0.90
};

/* ---------------------------------------------------------------------------------------------------------
 * The simulated world
 * --------------------------------------------------------------------------------------------------------- */
typedef struct DemoProduct
{
	int32		category;
	int32		supplier;		/* 0-based */
	int32		first_day;		/* listing day relative to start_date (negative: before) */
	int32		pad;
	int64		cost_cents;
	int64		price_cents;
	double		zipf_weight;
	double		quality;		/* latent N(0, 1): ratings and returns */
} DemoProduct;

typedef struct DemoSupplier
{
	int32		region;
	double		lead_mean;		/* days */
	double		lead_shape;		/* Gamma shape of lead times (1 / CV^2) */
	double		short_prob;		/* probability a receipt is short */
} DemoSupplier;

typedef struct DemoDepot
{
	double		lat;
	double		lon;
	int32		vehicles;
	int32		capacity;
} DemoDepot;

typedef struct DemoCustomer
{
	int32		signup_sec;		/* = first order's time */
	int32		assign_sec;		/* experiment enrolment, -1 when never enrolled */
	uint8		region;
	uint8		treatment;
	uint8		favourite;		/* favourite category */
	double		lat;
	double		lon;
} DemoCustomer;

typedef struct DemoOrder
{
	int64		first_line;
	int64		ship_sec;		/* -1: not shipped by the end */
	int64		deliv_sec;		/* -1: not delivered by the end */
	int32		cust;			/* 0-based */
	int32		sec;			/* order time, seconds from start */
	int32		ready_day;		/* day the last backordered item arrives, -1 when none */
	int32		promised_day;
	uint16		nlines;
	uint8		channel;
	uint8		depot;			/* 0-based */
} DemoOrder;

#define DEMO_LINE_DISCOUNT 0x01
#define DEMO_LINE_BACKORDER 0x02

typedef struct DemoLine
{
	int32		product;		/* 0-based */
	int16		qty;
	uint8		flags;
	uint8		pad;
} DemoLine;

typedef struct DemoSession
{
	int32		cust;
	int32		sec;
} DemoSession;

typedef struct DemoPO
{
	int64		next;			/* next PO arriving the same day, -1 at the end */
	int32		product;
	int32		order_day;
	int32		qty;
	int32		recv_day;		/* may be >= days: still open at the end */
	int32		recv_qty;
} DemoPO;

/* Products of one category sorted by listing day, with cumulative Zipf weights for sampling. */
typedef struct DemoCatalog
{
	int32		n;
	int32	   *ids;
	int32	   *first_day;
	double	   *cum;
} DemoCatalog;

typedef struct DemoWorld
{
	/* arguments */
	int32		ncust;
	int32		nprod;
	int32		ndays;
	int64		seed;
	DateADT		start;
	MemoryContext cxt;

	DemoProduct *prod;
	int32		nsupp;
	DemoSupplier *supp;
	DemoDepot	depot[DEMO_NREG];
	DemoCustomer *cust;

	int64		norders;
	DemoOrder  *ord;
	float8	   *value;			/* Gamma-Gamma order values, freed once the baskets are filled */
	int64		nlines;
	DemoLine   *line;
	int64		nsessions;		/* abandoned sessions */
	DemoSession *sess;
	int64		npo;
	DemoPO	   *po;
	int32	   *onhand;			/* ndays x nprod, day-major; -1 before listing */

	DemoCatalog cat[DEMO_NCAT];
	double	   *day_cat_cum;	/* ndays x DEMO_NCAT cumulative category weights */
	int32	   *day_cat_n;		/* ndays x DEMO_NCAT products listed */
	double		hour_cum[25];
} DemoWorld;

/* The world of the current transaction, rebuilt when called with other arguments. */
static DemoWorld *demo_cache = NULL;

/* ---------------------------------------------------------------------------------------------------------
 * Small helpers: random streams, growth of arrays, clamping
 * --------------------------------------------------------------------------------------------------------- */

/* SplitMix64: mixes the user's seed and a stream number into a 64-bit value. */
static uint64
DemoMix64(uint64 x)
{
	x += UINT64CONST(0x9E3779B97F4A7C15);
	x = (x ^ (x >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	x = (x ^ (x >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

/* Memory-context callback: frees a GSL generator (allocated with malloc) with its owning context. */
static void
DemoFreeRng(void *arg)
{
	gsl_rng_free((gsl_rng *) arg);
}

/* Returns a gsl_rng_mt19937 seeded from (seed, stream), freed when context is reset or deleted. */
static gsl_rng *
DemoRng(int64 seed, DemoStream stream, MemoryContext context)
{
	MemoryContextCallback *cb;
	gsl_rng    *rng;
	uint64		mixed = DemoMix64(DemoMix64((uint64) seed) ^ ((uint64) stream * UINT64CONST(0xD1B54A32D192ED03)));

	cb = MemoryContextAlloc(context, sizeof(MemoryContextCallback));
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (rng == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("GSL could not allocate a random number generator.")));
	cb->func = DemoFreeRng;
	cb->arg = rng;
	MemoryContextRegisterResetCallback(context, cb);
	/* mt19937 is seeded with 32 bits; fold the mixed 64 bits into them */
	gsl_rng_set(rng, (unsigned long) ((mixed ^ (mixed >> 32)) & UINT64CONST(0xFFFFFFFF)));
	return rng;
}

/* A GSL draw that came back non-finite is a GSL error: report it instead of storing garbage. */
static inline double
DemoCheckDraw(double x, const char *what)
{
	if (unlikely(!isfinite(x)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("GSL returned a non-finite %s draw", what)));
	return x;
}

/* Index drawn from a small discrete distribution given as probabilities (they need not sum to 1). */
static int
DemoPickIndex(gsl_rng *rng, const double *probs, int n)
{
	double		total = 0,
				u;

	for (int i = 0; i < n; i++)
		total += probs[i];
	u = gsl_rng_uniform(rng) * total;
	for (int i = 0; i < n - 1; i++)
	{
		if (u < probs[i])
			return i;
		u -= probs[i];
	}
	return n - 1;
}

/* Grows a huge array so it holds at least need elements (capacity doubles), or raises a clean error. */
static void *
DemoGrow(void *array, int64 *capacity, int64 need, Size elsize, MemoryContext cxt)
{
	int64		newcap;

	if (need <= *capacity)
		return array;
	newcap = Max(need, Max(*capacity * 2, 1024));
	if ((Size) newcap > MaxAllocHugeSize / elsize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("demo data is too large for memory"),
				 errhint("Use fewer customers, products or days.")));
	*capacity = newcap;
	if (array == NULL)
		return MemoryContextAllocHuge(cxt, (Size) newcap * elsize);
	return repalloc_huge(array, (Size) newcap * elsize);
}

/* Allocates a zeroed huge array of n elements in cxt. */
static void *
DemoAlloc0(MemoryContext cxt, int64 n, Size elsize)
{
	Size		bytes;
	void	   *p;

	if (n < 0 || (Size) Max(n, 1) > MaxAllocHugeSize / elsize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("demo data is too large for memory"),
				 errhint("Use fewer customers, products or days.")));
	bytes = (Size) Max(n, 1) * elsize;
	p = MemoryContextAllocHuge(cxt, bytes);
	memset(p, 0, bytes);
	return p;
}

/* Clamps a count to the int4 range used by the quantity and on_hand columns. */
static inline int32
DemoClampInt32(int64 v)
{
	if (v > PG_INT32_MAX)
		return PG_INT32_MAX;
	if (v < 0)
		return 0;
	return (int32) v;
}

/* Maps a time in days (continuous) to whole seconds, reshaping time within the day by the hour profile. */
static int32
DemoWarpSeconds(const DemoWorld *w, double t_days)
{
	double		day = floor(t_days);
	double		frac = t_days - day;
	int			h = 0;
	double		within;

	while (h < 23 && frac >= w->hour_cum[h + 1])
		h++;
	within = (frac - w->hour_cum[h]) / (w->hour_cum[h + 1] - w->hour_cum[h]);
	within = Min(Max(within, 0.0), 1.0);
	return (int32) Min((int64) day * DEMO_SECS_PER_DAY + (int64) floor((h + within) * 3600.0),
					   (int64) w->ndays * DEMO_SECS_PER_DAY - 1);
}

/* Great-circle distance in km. */
static double
DemoDistanceKm(double lat1, double lon1, double lat2, double lon2)
{
	double		rad = M_PI / 180.0;
	double		dlat = (lat2 - lat1) * rad;
	double		dlon = (lon2 - lon1) * rad;
	double		a = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);

	return 2 * 6371.0 * atan2(sqrt(a), sqrt(Max(0.0, 1 - a)));
}

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
static int32
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

		/* the first purchase is at signup */
		sec = DemoWarpSeconds(w, signup);
		cu->signup_sec = sec;
		DemoAddOrder(&sk, w->cxt, c, sec, DemoPickIndex(rng, demo_acquisition_mix, DEMO_NCHAN),
					 DemoCheckDraw(gsl_ran_gamma(rng, DEMO_GG_P, 1.0 / nu), "gamma"));
		eligible = sec < win_lo;	/* the experiment enrols customers who signed up before it started */

		/* repeat purchases: Poisson(lambda) while active; after each one, dropout with probability p */
		t = signup;
		t_end = horizon;
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

/* Unit price of an order line in cents (list price, 10% off for discounted lines). */
static inline int64
DemoLinePriceCents(const DemoWorld *w, const DemoLine *l)
{
	int64		price = w->prod[l->product].price_cents;

	if (l->flags & DEMO_LINE_DISCOUNT)
		price = (price * 9 + 5) / 10;
	return price;
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

/*
 * Inventory: daily simulation per product of receipts, sales (with backorders) and a continuous-review (s, S)
 * policy; records purchase orders, end-of-day on_hand and, for each backordered order, when it can ship.
 */
static void
DemoSimulateInventory(DemoWorld *w)
{
	gsl_rng    *rng = DemoRng(w->seed, DEMO_STREAM_INVENTORY, w->cxt);
	int32		P = w->nprod;
	int32		D = w->ndays;
	int64	   *on_hand = DemoAlloc0(w->cxt, P, sizeof(int64));
	int64	   *backlog = DemoAlloc0(w->cxt, P, sizeof(int64));
	int64	   *out_qty = DemoAlloc0(w->cxt, P, sizeof(int64));
	int32	   *out_arrival = DemoAlloc0(w->cxt, P, sizeof(int32));
	double	   *rop = DemoAlloc0(w->cxt, P, sizeof(double));
	int64	   *upto = DemoAlloc0(w->cxt, P, sizeof(int64));
	int64	   *head = DemoAlloc0(w->cxt, D, sizeof(int64));
	double	   *units = DemoAlloc0(w->cxt, P, sizeof(double));
	int64		pocap = 0;
	int64		oi = 0;

	w->npo = 0;
	w->po = NULL;
	w->onhand = DemoAlloc0(w->cxt, (int64) P * D, sizeof(int32));
	for (int32 d = 0; d < D; d++)
		head[d] = -1;
	for (int64 l = 0; l < w->nlines; l++)
		units[w->line[l].product] += w->line[l].qty;

	/* planning parameters from each product's mean daily demand while listed */
	for (int32 i = 0; i < P; i++)
	{
		DemoProduct *p = &w->prod[i];
		DemoSupplier *s = &w->supp[p->supplier];
		int32		listed_days = D - Max(p->first_day, 0);
		double		mu = Max(units[i] / Max(listed_days, 1), 0.02);
		double		sd = sqrt(2.0 * mu);
		double		z = 2.2 * gsl_rng_uniform(rng);
		double		cycle = 10.0 + 30.0 * gsl_rng_uniform(rng);
		double		lt = s->lead_mean + 1.0;
		double		s_level = mu * lt + z * sd * sqrt(lt);
		double		q = Max(ceil(mu * cycle), 1.0);

		rop[i] = s_level;
		upto[i] = (int64) Min(ceil(s_level) + q, 1e9);
		out_arrival[i] = -1;
		if (p->first_day <= 0)
			on_hand[i] = (int64) Min(llround(s_level + q * (0.2 + 0.8 * gsl_rng_uniform(rng))), 1e9);
	}

	/* places a purchase order for product i on day d, up to its order-up-to level */
#define DEMO_PLACE_PO(i, d, launch) \
	do { \
		DemoSupplier *s_ = &w->supp[w->prod[i].supplier]; \
		int32		lead_ = (int32) Max(1.0, Min(3 * DEMO_MAX_DAYS, \
									 round(gsl_ran_gamma(rng, s_->lead_shape, s_->lead_mean / s_->lead_shape)))); \
		int64		pos_ = on_hand[i] + out_qty[i] - backlog[i]; \
		int64		qty_ = (launch) ? upto[i] : Max(upto[i] - pos_, 1); \
		DemoPO	   *po_; \
		w->po = DemoGrow(w->po, &pocap, w->npo + 1, sizeof(DemoPO), w->cxt); \
		po_ = &w->po[w->npo]; \
		po_->product = (i); \
		po_->qty = DemoClampInt32(qty_); \
		if (launch) \
		{ \
			po_->order_day = (d) - lead_; \
			po_->recv_day = (d); \
		} \
		else \
		{ \
			po_->order_day = (d); \
			po_->recv_day = (d) + lead_; \
		} \
		if (!(launch) && gsl_rng_uniform(rng) < s_->short_prob) \
			po_->recv_qty = (int32) floor(po_->qty * (0.5 + 0.45 * gsl_rng_uniform(rng))); \
		else \
			po_->recv_qty = po_->qty; \
		po_->next = -1; \
		if (po_->recv_day < D) \
		{ \
			po_->next = head[po_->recv_day]; \
			head[po_->recv_day] = w->npo; \
		} \
		out_arrival[i] = po_->recv_day; \
		out_qty[i] = po_->qty; \
		w->npo++; \
	} while (0)

	/* products launched during the period get their first stock on the launch day */
	for (int32 i = 0; i < P; i++)
		if (w->prod[i].first_day > 0 && w->prod[i].first_day < D)
			DEMO_PLACE_PO(i, w->prod[i].first_day, true);

	for (int32 d = 0; d < D; d++)
	{
		int32	   *snap = &w->onhand[(int64) d * P];

		CHECK_FOR_INTERRUPTS();
		/* receipts, which first fill the backlog; then review the position */
		for (int64 k = head[d]; k >= 0; k = w->po[k].next)
		{
			int32		i = w->po[k].product;
			int64		served;

			on_hand[i] += w->po[k].recv_qty;
			out_arrival[i] = -1;
			out_qty[i] = 0;
			served = Min(on_hand[i], backlog[i]);
			on_hand[i] -= served;
			backlog[i] -= served;
		}
		for (int64 k = head[d]; k >= 0; k = w->po[k].next)
		{
			int32		i = w->po[k].product;

			if (out_arrival[i] < 0 && on_hand[i] - backlog[i] <= rop[i])
				DEMO_PLACE_PO(i, d, false);
		}

		/* the day's order lines, in order_id order */
		for (; oi < w->norders && w->ord[oi].sec / DEMO_SECS_PER_DAY == d; oi++)
		{
			DemoOrder  *o = &w->ord[oi];

			for (int64 l = o->first_line; l < o->first_line + o->nlines; l++)
			{
				DemoLine   *ln = &w->line[l];
				int32		i = ln->product;

				if (on_hand[i] >= ln->qty)
					on_hand[i] -= ln->qty;
				else
				{
					backlog[i] += ln->qty - on_hand[i];
					on_hand[i] = 0;
					ln->flags |= DEMO_LINE_BACKORDER;
					if (out_arrival[i] < 0)
						DEMO_PLACE_PO(i, d, false);
					o->ready_day = Max(o->ready_day, out_arrival[i]);
				}
				if (out_arrival[i] < 0 && on_hand[i] + out_qty[i] - backlog[i] <= rop[i])
					DEMO_PLACE_PO(i, d, false);
			}
		}

		/* end-of-day snapshot; -1 marks products not listed yet */
		for (int32 i = 0; i < P; i++)
			snap[i] = (w->prod[i].first_day <= d) ? DemoClampInt32(on_hand[i]) : -1;
	}
#undef DEMO_PLACE_PO

	pfree(on_hand);
	pfree(backlog);
	pfree(out_qty);
	pfree(out_arrival);
	pfree(rop);
	pfree(upto);
	pfree(head);
	pfree(units);
}

/* Shipments: depot, dispatch (after backorders), delivery and promise for every order. */
static void
DemoBuildShipments(DemoWorld *w)
{
	gsl_rng    *rng = DemoRng(w->seed, DEMO_STREAM_SHIPMENTS, w->cxt);
	int64		end_sec = (int64) w->ndays * DEMO_SECS_PER_DAY;

	for (int64 oi = 0; oi < w->norders; oi++)
	{
		DemoOrder  *o = &w->ord[oi];
		const DemoCustomer *cu = &w->cust[o->cust];
		const DemoRegion *reg;
		const DemoDepot *dep;
		bool		bulky = false;
		double		dist,
					handling,
					transit;
		int64		ready = o->sec;
		int64		ship,
					deliv;

		if ((oi & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		o->depot = cu->region;
		if (gsl_rng_uniform(rng) < 0.10)
			o->depot = (uint8) ((cu->region + 1 + gsl_rng_uniform_int(rng, DEMO_NREG - 1)) % DEMO_NREG);
		reg = &demo_regions[o->depot];
		dep = &w->depot[o->depot];
		for (int64 l = o->first_line; l < o->first_line + o->nlines; l++)
			bulky |= demo_categories[w->prod[w->line[l].product].category].bulky;
		if (o->ready_day >= 0)
			ready = Max(ready, (int64) o->ready_day * DEMO_SECS_PER_DAY + 8 * 3600);
		handling = gsl_ran_gamma(rng, 2.0, reg->handling_hours / 2.0);
		dist = DemoDistanceKm(dep->lat, dep->lon, cu->lat, cu->lon);
		transit = 0.4 + dist / reg->speed_km_day + gsl_ran_gamma(rng, 1.5, reg->delay_days / 1.5) + (bulky ? 1.0 : 0.0);
		ship = ready + (int64) llround(handling * 3600.0);
		deliv = ship + (int64) llround(transit * DEMO_SECS_PER_DAY);
		o->promised_day = o->sec / DEMO_SECS_PER_DAY + (dist > 150.0 ? 4 : 3) + (bulky ? 2 : 0);
		o->ship_sec = ship < end_sec ? ship : -1;
		o->deliv_sec = (ship < end_sec && deliv < end_sec) ? deliv : -1;
	}
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
static DemoWorld *
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

/* ---------------------------------------------------------------------------------------------------------
 * Relations: column layouts and row emission
 * --------------------------------------------------------------------------------------------------------- */
typedef enum DemoRelId
{
	DEMO_CUSTOMERS,
	DEMO_PRODUCTS,
	DEMO_ORDERS,
	DEMO_ORDER_ITEMS,
	DEMO_INVENTORY_SNAPSHOTS,
	DEMO_SUPPLIERS,
	DEMO_PURCHASE_ORDERS,
	DEMO_SHIPMENTS,
	DEMO_RETURNS,
	DEMO_REVIEWS,
	DEMO_DEPOTS,
	DEMO_MARKETING_SPEND,
	DEMO_TOUCHPOINTS,
	DEMO_EVENTS,
	DEMO_EXPERIMENTS,
	DEMO_NRELS
} DemoRelId;

#define DEMO_MAX_COLS 7

typedef struct DemoRelSpec
{
	const char *name;
	int			ncols;
	Oid			types[DEMO_MAX_COLS];
	const char *signature;		/* for the error message */
} DemoRelSpec;

static const DemoRelSpec demo_rels[DEMO_NRELS] = {
	{"customers", 5, {INT8OID, DATEOID, TEXTOID, FLOAT8OID, FLOAT8OID},
	"customer_id bigint, signup_date date, region text, lat float8, lon float8"},
	{"products", 6, {INT8OID, TEXTOID, DATEOID, NUMERICOID, NUMERICOID, INT8OID},
	"product_id bigint, category text, first_listed date, unit_cost numeric, unit_price numeric, supplier_id bigint"},
	{"orders", 4, {INT8OID, INT8OID, TIMESTAMPTZOID, TEXTOID},
	"order_id bigint, customer_id bigint, order_time timestamptz, channel text"},
	{"order_items", 4, {INT8OID, INT8OID, INT4OID, NUMERICOID},
	"order_id bigint, product_id bigint, quantity int, unit_price numeric"},
	{"inventory_snapshots", 4, {DATEOID, INT8OID, INT4OID, NUMERICOID},
	"snapshot_date date, product_id bigint, on_hand int, inventory_value numeric"},
	{"suppliers", 3, {INT8OID, TEXTOID, TEXTOID},
	"supplier_id bigint, name text, region text"},
	{"purchase_orders", 7, {INT8OID, INT8OID, INT8OID, DATEOID, INT4OID, DATEOID, INT4OID},
	"po_id bigint, supplier_id bigint, product_id bigint, order_date date, quantity int, received_date date, "
	"received_quantity int"},
	{"shipments", 5, {INT8OID, INT8OID, TIMESTAMPTZOID, DATEOID, TIMESTAMPTZOID},
	"order_id bigint, depot_id bigint, shipped_time timestamptz, promised_date date, delivered_time timestamptz"},
	{"returns", 5, {INT8OID, INT8OID, INT4OID, TIMESTAMPTZOID, TEXTOID},
	"order_id bigint, product_id bigint, quantity int, return_time timestamptz, reason text"},
	{"reviews", 4, {INT8OID, INT8OID, INT4OID, TIMESTAMPTZOID},
	"customer_id bigint, product_id bigint, rating int, review_time timestamptz"},
	{"depots", 6, {INT8OID, TEXTOID, FLOAT8OID, FLOAT8OID, INT4OID, INT4OID},
	"depot_id bigint, name text, lat float8, lon float8, vehicles int, vehicle_capacity int"},
	{"marketing_spend", 5, {DATEOID, TEXTOID, INT8OID, INT8OID, NUMERICOID},
	"day date, channel text, impressions bigint, clicks bigint, spend numeric"},
	{"touchpoints", 3, {INT8OID, TIMESTAMPTZOID, TEXTOID},
	"customer_id bigint, touch_time timestamptz, channel text"},
	{"events", 4, {INT8OID, TIMESTAMPTZOID, TEXTOID, INT8OID},
	"customer_id bigint, event_time timestamptz, event_type text, product_id bigint"},
	{"experiments", 4, {INT8OID, TEXTOID, TEXTOID, TIMESTAMPTZOID},
	"customer_id bigint, experiment text, variant text, assigned_at timestamptz"},
};

#define DEMO_BATCH 1000

/*
 * Writes rows either into a set-returning function's tuplestore or, in batches, straight into a table with
 * table_multi_insert (as COPY does).  Per-row allocations live in rowcxt, reset between batches.
 */
typedef struct DemoEmitter
{
	Tuplestorestate *ts;		/* tuplestore mode */
	TupleDesc	desc;
	Relation	rel;			/* table mode */
	TupleTableSlot *slots[DEMO_BATCH];
	int			nslots;
	BulkInsertState bistate;
	CommandId	cid;
	MemoryContext callcxt;		/* lives for the whole call: constants, scratch arrays */
	MemoryContext rowcxt;		/* reset every 4096 rows */
	int64		rows;
	Datum		values[DEMO_MAX_COLS];
	bool		nulls[DEMO_MAX_COLS];
} DemoEmitter;

/* Table mode: inserts the batched rows, then frees their per-row allocations. */
static void
DemoFlush(DemoEmitter *e)
{
	if (e->nslots > 0)
	{
		table_multi_insert(e->rel, e->slots, e->nslots, e->cid, TABLE_INSERT_SKIP_FSM, e->bistate);
		for (int i = 0; i < e->nslots; i++)
			ExecClearTuple(e->slots[i]);
		e->nslots = 0;
	}
	MemoryContextReset(e->rowcxt);
	CHECK_FOR_INTERRUPTS();
}

/* Appends the row in e->values/e->nulls and clears the nulls. */
static inline void
DemoEmit(DemoEmitter *e)
{
	if (e->ts)
	{
		tuplestore_putvalues(e->ts, e->desc, e->values, e->nulls);
		if (((e->rows + 1) & 4095) == 0)
		{
			MemoryContextReset(e->rowcxt);
			CHECK_FOR_INTERRUPTS();
		}
	}
	else
	{
		TupleTableSlot *slot = e->slots[e->nslots];
		int			natts = e->desc->natts;

		if (slot == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(e->callcxt);

			slot = e->slots[e->nslots] = table_slot_create(e->rel, NULL);
			MemoryContextSwitchTo(old);
		}
		ExecClearTuple(slot);
		memcpy(slot->tts_values, e->values, natts * sizeof(Datum));
		memcpy(slot->tts_isnull, e->nulls, natts * sizeof(bool));
		ExecStoreVirtualTuple(slot);
		if (++e->nslots == DEMO_BATCH)
			DemoFlush(e);
	}
	memset(e->nulls, 0, sizeof(e->nulls));
	e->rows++;
}

/* A numeric Datum for an amount in cents. */
static inline Datum
DemoCents(int64 cents)
{
	return NumericGetDatum(int64_div_fast_to_numeric(cents, 2));
}

/* Timestamp of a time given in seconds from start_date 00:00 UTC. */
static inline Datum
DemoTime(const DemoWorld *w, int64 sec)
{
	return TimestampTzGetDatum((TimestampTz) w->start * USECS_PER_DAY + sec * USECS_PER_SEC);
}

/* Date of a day offset from start_date. */
static inline Datum
DemoDate(const DemoWorld *w, int64 day)
{
	return DateADTGetDatum((DateADT) (w->start + day));
}

/* Text Datums of a list of constant strings, allocated once per call. */
static Datum *
DemoTexts(const DemoEmitter *e, const char *const *strings, int n)
{
	MemoryContext old = MemoryContextSwitchTo(e->callcxt);
	Datum	   *d = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		d[i] = PointerGetDatum(cstring_to_text(strings[i]));
	MemoryContextSwitchTo(old);
	return d;
}

/* customers */
static void
DemoEmitCustomers(const DemoWorld *w, DemoEmitter *e)
{
	const char *names[DEMO_NREG];
	Datum	   *region;

	for (int r = 0; r < DEMO_NREG; r++)
		names[r] = demo_regions[r].name;
	region = DemoTexts(e, names, DEMO_NREG);
	for (int32 c = 0; c < w->ncust; c++)
	{
		const DemoCustomer *cu = &w->cust[c];

		e->values[0] = Int64GetDatum((int64) c + 1);
		e->values[1] = DemoDate(w, cu->signup_sec / DEMO_SECS_PER_DAY);
		e->values[2] = region[cu->region];
		e->values[3] = Float8GetDatum(round(cu->lat * 1e6) / 1e6);
		e->values[4] = Float8GetDatum(round(cu->lon * 1e6) / 1e6);
		DemoEmit(e);
	}
}

/* products */
static void
DemoEmitProducts(const DemoWorld *w, DemoEmitter *e)
{
	const char *names[DEMO_NCAT];
	Datum	   *category;

	for (int k = 0; k < DEMO_NCAT; k++)
		names[k] = demo_categories[k].name;
	category = DemoTexts(e, names, DEMO_NCAT);
	for (int32 i = 0; i < w->nprod; i++)
	{
		const DemoProduct *p = &w->prod[i];

		e->values[0] = Int64GetDatum((int64) i + 1);
		e->values[1] = category[p->category];
		e->values[2] = DemoDate(w, p->first_day);
		e->values[3] = DemoCents(p->cost_cents);
		e->values[4] = DemoCents(p->price_cents);
		e->values[5] = Int64GetDatum((int64) p->supplier + 1);
		DemoEmit(e);
	}
}

/* orders */
static void
DemoEmitOrders(const DemoWorld *w, DemoEmitter *e)
{
	Datum	   *channel = DemoTexts(e, demo_channels, DEMO_NCHAN);

	for (int64 oi = 0; oi < w->norders; oi++)
	{
		const DemoOrder *o = &w->ord[oi];

		e->values[0] = Int64GetDatum(oi + 1);
		e->values[1] = Int64GetDatum((int64) o->cust + 1);
		e->values[2] = DemoTime(w, o->sec);
		e->values[3] = channel[o->channel];
		DemoEmit(e);
	}
}

/* order_items */
static void
DemoEmitOrderItems(const DemoWorld *w, DemoEmitter *e)
{
	for (int64 oi = 0; oi < w->norders; oi++)
	{
		const DemoOrder *o = &w->ord[oi];

		for (int64 l = o->first_line; l < o->first_line + o->nlines; l++)
		{
			const DemoLine *ln = &w->line[l];

			e->values[0] = Int64GetDatum(oi + 1);
			e->values[1] = Int64GetDatum((int64) ln->product + 1);
			e->values[2] = Int32GetDatum(ln->qty);
			e->values[3] = DemoCents(DemoLinePriceCents(w, ln));
			DemoEmit(e);
		}
	}
}

/* inventory_snapshots: per day, per listed product */
static void
DemoEmitInventory(const DemoWorld *w, DemoEmitter *e)
{
	for (int32 d = 0; d < w->ndays; d++)
	{
		const int32 *snap = &w->onhand[(int64) d * w->nprod];
		Datum		date = DemoDate(w, d);

		for (int32 i = 0; i < w->nprod; i++)
		{
			if (snap[i] < 0)
				continue;
			e->values[0] = date;
			e->values[1] = Int64GetDatum((int64) i + 1);
			e->values[2] = Int32GetDatum(snap[i]);
			e->values[3] = DemoCents((int64) snap[i] * w->prod[i].cost_cents);
			DemoEmit(e);
		}
	}
}

/* suppliers */
static void
DemoEmitSuppliers(const DemoWorld *w, DemoEmitter *e)
{
	Datum	   *region = DemoTexts(e, demo_supplier_regions, DEMO_NSUPREG);
	int			npre = lengthof(demo_supplier_prefix);
	int			nsuf = lengthof(demo_supplier_suffix);

	for (int32 s = 0; s < w->nsupp; s++)
	{
		char	   *name;

		/* (s mod 20, (s div 20 + s mod 20) mod 6) is a distinct pair for each of the first 120 suppliers */
		const char *prefix = demo_supplier_prefix[s % npre];
		const char *suffix = demo_supplier_suffix[(s / npre + s % npre) % nsuf];

		if (s < npre * nsuf)
			name = psprintf("%s %s", prefix, suffix);
		else
			name = psprintf("%s %s %d", prefix, suffix, s / (npre * nsuf) + 1);
		e->values[0] = Int64GetDatum((int64) s + 1);
		e->values[1] = PointerGetDatum(cstring_to_text(name));
		e->values[2] = region[w->supp[s].region];
		DemoEmit(e);
	}
}

/* Comparator for purchase orders: by order day, then product, then creation. */
static int
DemoPOCompare(const void *a, const void *b, void *arg)
{
	const DemoWorld *w = (const DemoWorld *) arg;
	const int64 ia = *(const int64 *) a;
	const int64 ib = *(const int64 *) b;
	const DemoPO *pa = &w->po[ia];
	const DemoPO *pb = &w->po[ib];

	if (pa->order_day != pb->order_day)
		return pa->order_day < pb->order_day ? -1 : 1;
	if (pa->product != pb->product)
		return pa->product < pb->product ? -1 : 1;
	return ia < ib ? -1 : ia > ib ? 1 : 0;
}

/* purchase_orders, numbered by order date */
static void
DemoEmitPurchaseOrders(const DemoWorld *w, DemoEmitter *e)
{
	int64	   *idx = DemoAlloc0(e->callcxt, w->npo, sizeof(int64));

	for (int64 k = 0; k < w->npo; k++)
		idx[k] = k;
	qsort_arg(idx, w->npo, sizeof(int64), DemoPOCompare, unconstify(DemoWorld *, w));
	for (int64 k = 0; k < w->npo; k++)
	{
		const DemoPO *po = &w->po[idx[k]];

		e->values[0] = Int64GetDatum(k + 1);
		e->values[1] = Int64GetDatum((int64) w->prod[po->product].supplier + 1);
		e->values[2] = Int64GetDatum((int64) po->product + 1);
		e->values[3] = DemoDate(w, po->order_day);
		e->values[4] = Int32GetDatum(po->qty);
		if (po->recv_day < w->ndays)
		{
			e->values[5] = DemoDate(w, po->recv_day);
			e->values[6] = Int32GetDatum(po->recv_qty);
		}
		else
		{
			e->nulls[5] = true;
			e->nulls[6] = true;
		}
		DemoEmit(e);
	}
}

/* shipments, one per order */
static void
DemoEmitShipments(const DemoWorld *w, DemoEmitter *e)
{
	for (int64 oi = 0; oi < w->norders; oi++)
	{
		const DemoOrder *o = &w->ord[oi];

		e->values[0] = Int64GetDatum(oi + 1);
		e->values[1] = Int64GetDatum((int64) o->depot + 1);
		if (o->ship_sec >= 0)
			e->values[2] = DemoTime(w, o->ship_sec);
		else
			e->nulls[2] = true;
		e->values[3] = DemoDate(w, o->promised_day);
		if (o->deliv_sec >= 0)
			e->values[4] = DemoTime(w, o->deliv_sec);
		else
			e->nulls[4] = true;
		DemoEmit(e);
	}
}

/* Whether a delivered order arrived after its promised date. */
static inline bool
DemoLate(const DemoOrder *o)
{
	return o->deliv_sec >= 0 && o->deliv_sec / DEMO_SECS_PER_DAY > o->promised_day;
}

/* returns: per delivered line, with category-, quality- and lateness-dependent probability */
static void
DemoEmitReturns(const DemoWorld *w, DemoEmitter *e, gsl_rng *rng)
{
	Datum	   *reason = DemoTexts(e, demo_return_reasons, DEMO_NREASON);
	int64		end_sec = (int64) w->ndays * DEMO_SECS_PER_DAY;

	for (int64 oi = 0; oi < w->norders; oi++)
	{
		const DemoOrder *o = &w->ord[oi];
		bool		late = DemoLate(o);

		if (o->deliv_sec < 0)
			continue;
		for (int64 l = o->first_line; l < o->first_line + o->nlines; l++)
		{
			const DemoLine *ln = &w->line[l];
			const DemoProduct *p = &w->prod[ln->product];
			const DemoCategory *c = &demo_categories[p->category];
			double		prob = c->return_rate * exp(-0.35 * p->quality) * (late ? 1.8 : 1.0);
			int64		when;
			int			qty,
						why;

			if (gsl_rng_uniform(rng) >= Min(prob, 0.9))
				continue;
			qty = (ln->qty == 1 || gsl_rng_uniform(rng) < 0.75) ? ln->qty
				: 1 + (int) gsl_rng_uniform_int(rng, ln->qty - 1);
			when = o->deliv_sec + (int64) llround(gsl_ran_gamma(rng, 2.0, 3.5) * DEMO_SECS_PER_DAY);
			if (late && gsl_rng_uniform(rng) < 0.4)
				why = 6;
			else
			{
				/* damaged, defective, not as described, wrong size, changed mind, wrong item */
				double		weights[6] = {0.15, 0.15, 0.20, 0.0, 0.40, 0.10};

				if (strcmp(c->name, "fashion") == 0)
					weights[3] = 1.2;
				if (strcmp(c->name, "electronics") == 0)
					weights[1] = 0.5;
				weights[1] *= exp(-0.5 * p->quality);
				weights[2] *= exp(-0.5 * p->quality);
				why = DemoPickIndex(rng, weights, 6);
			}
			if (when >= end_sec)
				continue;
			e->values[0] = Int64GetDatum(oi + 1);
			e->values[1] = Int64GetDatum((int64) ln->product + 1);
			e->values[2] = Int32GetDatum(qty);
			e->values[3] = DemoTime(w, when);
			e->values[4] = reason[why];
			DemoEmit(e);
		}
	}
}

/* reviews: a share of delivered lines, rating from product quality, lateness and backorders */
static void
DemoEmitReviews(const DemoWorld *w, DemoEmitter *e, gsl_rng *rng)
{
	int64		end_sec = (int64) w->ndays * DEMO_SECS_PER_DAY;

	for (int64 oi = 0; oi < w->norders; oi++)
	{
		const DemoOrder *o = &w->ord[oi];
		bool		late = DemoLate(o);

		if (o->deliv_sec < 0)
			continue;
		for (int64 l = o->first_line; l < o->first_line + o->nlines; l++)
		{
			const DemoLine *ln = &w->line[l];
			double		score;
			int64		when;
			int			rating;

			if (gsl_rng_uniform(rng) >= (late ? 0.18 : 0.10))
				continue;
			score = 4.1 + 0.6 * w->prod[ln->product].quality + gsl_ran_gaussian(rng, 0.8)
				- (late ? 1.3 : 0.0) - ((ln->flags & DEMO_LINE_BACKORDER) ? 0.4 : 0.0);
			rating = (int) Min(Max(round(score), 1.0), 5.0);
			when = o->deliv_sec + (int64) llround(gsl_ran_exponential(rng, 5.0) * DEMO_SECS_PER_DAY);
			if (when >= end_sec)
				continue;
			e->values[0] = Int64GetDatum((int64) o->cust + 1);
			e->values[1] = Int64GetDatum((int64) ln->product + 1);
			e->values[2] = Int32GetDatum(rating);
			e->values[3] = DemoTime(w, when);
			DemoEmit(e);
		}
	}
}

/* depots */
static void
DemoEmitDepots(const DemoWorld *w, DemoEmitter *e)
{
	for (int r = 0; r < DEMO_NREG; r++)
	{
		e->values[0] = Int64GetDatum((int64) r + 1);
		e->values[1] = PointerGetDatum(cstring_to_text(demo_regions[r].depot_name));
		e->values[2] = Float8GetDatum(round(w->depot[r].lat * 1e6) / 1e6);
		e->values[3] = Float8GetDatum(round(w->depot[r].lon * 1e6) / 1e6);
		e->values[4] = Int32GetDatum(w->depot[r].vehicles);
		e->values[5] = Int32GetDatum(w->depot[r].capacity);
		DemoEmit(e);
	}
}

/* marketing_spend: per day and paid channel, driven by that day's orders from the channel */
static void
DemoEmitMarketing(const DemoWorld *w, DemoEmitter *e, gsl_rng *rng)
{
	Datum	   *channel = DemoTexts(e, demo_channels, DEMO_NCHAN);
	int64	   *orders = DemoAlloc0(e->callcxt, (int64) w->ndays * DEMO_NCHAN, sizeof(int64));

	for (int64 oi = 0; oi < w->norders; oi++)
		orders[(int64) (w->ord[oi].sec / DEMO_SECS_PER_DAY) * DEMO_NCHAN + w->ord[oi].channel]++;
	for (int32 d = 0; d < w->ndays; d++)
	{
		for (int k = 0; k < (int) lengthof(demo_paid); k++)
		{
			const DemoPaidChannel *pc = &demo_paid[k];
			double		spend = (pc->fixed_per_day + pc->cost_per_order * orders[(int64) d * DEMO_NCHAN + pc->channel]) *
				gsl_ran_lognormal(rng, 0.0, 0.2);
			int64		cents = (int64) llround(spend * 100.0);
			double		imps = (double) cents / 100.0 / pc->cpm * 1000.0 * gsl_ran_lognormal(rng, 0.0, 0.1);
			int64		impressions = (int64) Min(llround(imps), INT64CONST(1000000000000));
			int64		clicks;

			if (impressions <= (int64) UINT_MAX)
				clicks = gsl_ran_binomial(rng, pc->ctr, (unsigned int) impressions);
			else
				clicks = (int64) llround(impressions * pc->ctr);
			e->values[0] = DemoDate(w, d);
			e->values[1] = channel[pc->channel];
			e->values[2] = Int64GetDatum(impressions);
			e->values[3] = Int64GetDatum(clicks);
			e->values[4] = DemoCents(cents);
			DemoEmit(e);
		}
	}
}

/* touchpoints: a few before each order (the last in the order's channel), one per abandoned session */
static void
DemoEmitTouchpoints(const DemoWorld *w, DemoEmitter *e, gsl_rng *rng)
{
	Datum	   *channel = DemoTexts(e, demo_channels, DEMO_NCHAN);

	for (int64 oi = 0; oi < w->norders; oi++)
	{
		const DemoOrder *o = &w->ord[oi];
		unsigned int extra = gsl_ran_poisson(rng, 0.7);
		int64		last = o->sec - 60 - (int64) gsl_rng_uniform_int(rng, 30 * 60);

		for (unsigned int k = 0; k < extra; k++)
		{
			int64		when = last - 600 - (int64) gsl_rng_uniform_int(rng, 7 * DEMO_SECS_PER_DAY);
			int			ch = DemoPickIndex(rng, demo_touch_mix, DEMO_NCHAN);

			if (when < 0)
				continue;
			e->values[0] = Int64GetDatum((int64) o->cust + 1);
			e->values[1] = DemoTime(w, when);
			e->values[2] = channel[ch];
			DemoEmit(e);
		}
		if (last >= 0)
		{
			e->values[0] = Int64GetDatum((int64) o->cust + 1);
			e->values[1] = DemoTime(w, last);
			e->values[2] = channel[o->channel];
			DemoEmit(e);
		}
	}
	for (int64 s = 0; s < w->nsessions; s++)
	{
		const DemoSession *ss = &w->sess[s];
		int64		when = ss->sec - 60 - (int64) gsl_rng_uniform_int(rng, 30 * 60);
		int			ch = DemoPickIndex(rng, demo_touch_mix, DEMO_NCHAN);

		if (when < 0)
			continue;
		e->values[0] = Int64GetDatum((int64) ss->cust + 1);
		e->values[1] = DemoTime(w, when);
		e->values[2] = channel[ch];
		DemoEmit(e);
	}
}

/* Emits one event row unless it falls before the start. */
static inline void
DemoEmitEvent(const DemoWorld *w, DemoEmitter *e, int32 cust, int64 sec, Datum type, int32 product)
{
	if (sec < 0)
		return;
	e->values[0] = Int64GetDatum((int64) cust + 1);
	e->values[1] = DemoTime(w, sec);
	e->values[2] = type;
	e->values[3] = Int64GetDatum((int64) product + 1);
	DemoEmit(e);
}

/* events: (view,) cart and purchase per order line plus extra views; abandoned sessions end with a cart */
static void
DemoEmitEvents(const DemoWorld *w, DemoEmitter *e, gsl_rng *rng)
{
	Datum	   *type = DemoTexts(e, demo_event_types, 3);

	for (int64 oi = 0; oi < w->norders; oi++)
	{
		const DemoOrder *o = &w->ord[oi];
		int32		d = o->sec / DEMO_SECS_PER_DAY;
		unsigned int extra = gsl_ran_poisson(rng, 0.4);

		for (unsigned int k = 0; k < extra; k++)
			DemoEmitEvent(w, e, o->cust, o->sec - 180 - (int64) gsl_rng_uniform_int(rng, 27 * 60), type[0],
						  DemoPickProduct(w, rng, d, NULL, 0));
		for (int64 l = o->first_line; l < o->first_line + o->nlines; l++)
		{
			int32		product = w->line[l].product;
			int64		view = o->sec - 180 - (int64) gsl_rng_uniform_int(rng, 22 * 60);
			int64		cart = o->sec - 30 - (int64) gsl_rng_uniform_int(rng, 150);

			/* 30% of lines go to the cart straight from a listing, search result or past order */
			if (gsl_rng_uniform(rng) < 0.7)
				DemoEmitEvent(w, e, o->cust, view, type[0], product);
			DemoEmitEvent(w, e, o->cust, cart, type[1], product);
			DemoEmitEvent(w, e, o->cust, o->sec, type[2], product);
		}
	}
	for (int64 s = 0; s < w->nsessions; s++)
	{
		const DemoSession *ss = &w->sess[s];
		int32		d = ss->sec / DEMO_SECS_PER_DAY;
		unsigned int views = 1 + gsl_ran_poisson(rng, 0.3);
		int32		product = 0;

		for (unsigned int k = 0; k < views; k++)
		{
			product = DemoPickProduct(w, rng, d, NULL, 0);
			DemoEmitEvent(w, e, ss->cust, ss->sec - 60 - (int64) gsl_rng_uniform_int(rng, 20 * 60), type[0], product);
		}
		DemoEmitEvent(w, e, ss->cust, ss->sec, type[1], product);
	}
}

/* experiments: enrolled customers with their variant and enrolment time */
static void
DemoEmitExperiments(const DemoWorld *w, DemoEmitter *e)
{
	static const char *const names[] = {"checkout_redesign", "control", "treatment"};
	Datum	   *text = DemoTexts(e, names, 3);
	Datum		name = text[0];
	Datum		control = text[1];
	Datum		treatment = text[2];

	for (int32 c = 0; c < w->ncust; c++)
	{
		const DemoCustomer *cu = &w->cust[c];

		if (cu->assign_sec < 0)
			continue;
		e->values[0] = Int64GetDatum((int64) c + 1);
		e->values[1] = name;
		e->values[2] = cu->treatment ? treatment : control;
		e->values[3] = DemoTime(w, cu->assign_sec);
		DemoEmit(e);
	}
}

/* ---------------------------------------------------------------------------------------------------------
 * SQL interface
 * --------------------------------------------------------------------------------------------------------- */

/* Checks the generator's arguments, raising invalid_parameter_value with the allowed range. */
static void
DemoCheckArgs(int32 ncust, int32 nprod, int32 ndays, DateADT start)
{
	if (ncust < 1 || ncust > DEMO_MAX_CUSTOMERS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("customers must be between 1 and %d, got %d", DEMO_MAX_CUSTOMERS, ncust)));
	if (nprod < 1 || nprod > DEMO_MAX_PRODUCTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("products must be between 1 and %d, got %d", DEMO_MAX_PRODUCTS, nprod)));
	if (ndays < 1 || ndays > DEMO_MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("days must be between 1 and %d, got %d", DEMO_MAX_DAYS, ndays)));
	if ((int64) nprod * ndays > DEMO_MAX_PRODUCT_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("products x days must be at most " INT64_FORMAT ", got " INT64_FORMAT,
						DEMO_MAX_PRODUCT_DAYS, (int64) nprod * ndays),
				 errdetail("inventory_snapshots has one row per product and day.")));
	if ((int64) ncust * ndays > DEMO_MAX_CUSTOMER_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("customers x days must be at most " INT64_FORMAT ", got " INT64_FORMAT,
						DEMO_MAX_CUSTOMER_DAYS, (int64) ncust * ndays),
				 errdetail("The number of orders grows with customers and days.")));
	if (DATE_NOT_FINITE(start) ||
		start < date2j(1900, 1, 1) - POSTGRES_EPOCH_JDATE || start > date2j(2999, 12, 31) - POSTGRES_EPOCH_JDATE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("start_date must be between 1900-01-01 and 2999-12-31")));
}

/* Finds a relation of the canonical model by name, or raises a clean error. */
static DemoRelId
DemoLookupRelation(const char *name)
{
	for (int r = 0; r < DEMO_NRELS; r++)
		if (strcmp(demo_rels[r].name, name) == 0)
			return (DemoRelId) r;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("\"%s\" is not a relation of the canonical data model", name),
			 errhint("Use one of customers, products, orders, order_items, inventory_snapshots, suppliers, "
					 "purchase_orders, shipments, returns, reviews, depots, marketing_spend, touchpoints, "
					 "events, experiments.")));
	return DEMO_NRELS;			/* not reached */
}

/* Draws the rows of one relation through an emitter whose output side is already set up. */
static void
DemoRun(const DemoWorld *w, DemoRelId rel, DemoEmitter *e)
{
	gsl_rng    *rng = NULL;
	MemoryContext oldcxt;

	switch (rel)
	{
		case DEMO_RETURNS:
			rng = DemoRng(w->seed, DEMO_STREAM_RETURNS, e->callcxt);
			break;
		case DEMO_REVIEWS:
			rng = DemoRng(w->seed, DEMO_STREAM_REVIEWS, e->callcxt);
			break;
		case DEMO_MARKETING_SPEND:
			rng = DemoRng(w->seed, DEMO_STREAM_MARKETING, e->callcxt);
			break;
		case DEMO_TOUCHPOINTS:
			rng = DemoRng(w->seed, DEMO_STREAM_TOUCHPOINTS, e->callcxt);
			break;
		case DEMO_EVENTS:
			rng = DemoRng(w->seed, DEMO_STREAM_EVENTS, e->callcxt);
			break;
		default:
			break;
	}

	oldcxt = MemoryContextSwitchTo(e->rowcxt);
	switch (rel)
	{
		case DEMO_CUSTOMERS:
			DemoEmitCustomers(w, e);
			break;
		case DEMO_PRODUCTS:
			DemoEmitProducts(w, e);
			break;
		case DEMO_ORDERS:
			DemoEmitOrders(w, e);
			break;
		case DEMO_ORDER_ITEMS:
			DemoEmitOrderItems(w, e);
			break;
		case DEMO_INVENTORY_SNAPSHOTS:
			DemoEmitInventory(w, e);
			break;
		case DEMO_SUPPLIERS:
			DemoEmitSuppliers(w, e);
			break;
		case DEMO_PURCHASE_ORDERS:
			DemoEmitPurchaseOrders(w, e);
			break;
		case DEMO_SHIPMENTS:
			DemoEmitShipments(w, e);
			break;
		case DEMO_RETURNS:
			DemoEmitReturns(w, e, rng);
			break;
		case DEMO_REVIEWS:
			DemoEmitReviews(w, e, rng);
			break;
		case DEMO_DEPOTS:
			DemoEmitDepots(w, e);
			break;
		case DEMO_MARKETING_SPEND:
			DemoEmitMarketing(w, e, rng);
			break;
		case DEMO_TOUCHPOINTS:
			DemoEmitTouchpoints(w, e, rng);
			break;
		case DEMO_EVENTS:
			DemoEmitEvents(w, e, rng);
			break;
		case DEMO_EXPERIMENTS:
			DemoEmitExperiments(w, e);
			break;
		case DEMO_NRELS:
			elog(ERROR, "unexpected demo relation");
	}
	MemoryContextSwitchTo(oldcxt);
}

/* Checks that a tuple descriptor has exactly the relation's column types, unmodified (names are free). */
static void
DemoCheckDesc(const DemoRelSpec *spec, TupleDesc desc, const char *what)
{
	int			live = 0;

	for (int c = 0; c < desc->natts; c++)
		if (!TupleDescAttr(desc, c)->attisdropped)
			live++;
	if (desc->natts != spec->ncols || live != spec->ncols)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s for %s must have %d columns, not %d", what, spec->name, spec->ncols, live),
				 errhint("Use the columns (%s).", spec->signature)));
	/* a type modifier (numeric(5,2), timestamptz(0)) would not be enforced on values written directly */
	for (int c = 0; c < spec->ncols; c++)
		if (TupleDescAttr(desc, c)->atttypid != spec->types[c] || TupleDescAttr(desc, c)->atttypmod != -1)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column %d of %s must be of type %s without a type modifier",
							c + 1, spec->name, format_type_be(spec->types[c])),
					 errhint("Use the columns (%s).", spec->signature)));
}

PG_FUNCTION_INFO_V1(demo_relation);

/*
 * demo_relation(relation, customers, products, days, seed, start_date) RETURNS SETOF record: the rows of one
 * canonical relation of the simulated world; the caller's column definition list must have its column types.
 */
Datum
demo_relation(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DemoRelId	rel = DemoLookupRelation(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	int32		ncust = PG_GETARG_INT32(1);
	int32		nprod = PG_GETARG_INT32(2);
	int32		ndays = PG_GETARG_INT32(3);
	int64		seed = PG_GETARG_INT64(4);
	DateADT		start = PG_GETARG_DATEADT(5);
	const DemoRelSpec *spec = &demo_rels[rel];
	DemoWorld  *w;
	DemoEmitter *e;

	DemoCheckArgs(ncust, nprod, ndays, start);
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || rsinfo->expectedDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("demo_relation must be called in FROM with a column definition list"),
				 errhint("SELECT * FROM supplymkt.demo_relation('%s', ...) AS t(%s)", spec->name, spec->signature)));
	DemoCheckDesc(spec, rsinfo->expectedDesc, "the column definition list");

	w = DemoGetWorld(ncust, nprod, ndays, seed, start);

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	e = palloc0(sizeof(DemoEmitter));
	e->ts = rsinfo->setResult;
	e->desc = rsinfo->setDesc;
	e->callcxt = CurrentMemoryContext;
	e->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "supplymkt demo rows", ALLOCSET_DEFAULT_SIZES);
	DemoRun(w, rel, e);
	MemoryContextDelete(e->rowcxt);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(demo_fill);

/*
 * demo_fill(target regclass, relation, customers, products, days, seed, start_date) RETURNS bigint: writes the
 * rows of one canonical relation straight into an empty-schema table created in the current transaction (the
 * fast path of generate_demo_data) and returns how many it wrote.  The table must be a plain table the caller
 * may insert into, with exactly the relation's column types and no indexes, triggers, rules, constraints,
 * defaults or row security, and not a partition, so bypassing the executor skips nothing.
 */
Datum
demo_fill(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	DemoRelId	rel = DemoLookupRelation(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	int32		ncust = PG_GETARG_INT32(2);
	int32		nprod = PG_GETARG_INT32(3);
	int32		ndays = PG_GETARG_INT32(4);
	int64		seed = PG_GETARG_INT64(5);
	DateADT		start = PG_GETARG_DATEADT(6);
	const DemoRelSpec *spec = &demo_rels[rel];
	DemoWorld  *w;
	DemoEmitter *e;
	Relation	target;
	AclResult	aclresult;
	List	   *indexes;
	MemoryContext callcxt;

	DemoCheckArgs(ncust, nprod, ndays, start);
	PreventCommandIfReadOnly("demo_fill()");
	PreventCommandIfParallelMode("demo_fill()");

	/* privilege first, so no lock is taken on a table the caller may not write */
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_INSERT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, get_relkind_objtype(get_rel_relkind(relid)), get_rel_name(relid));
	target = table_open(relid, RowExclusiveLock);
	if (target->rd_rel->relkind != RELKIND_RELATION || target->rd_rel->relispartition)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a plain table", RelationGetRelationName(target)),
				 errdetail("demo_fill writes only into ordinary tables that are not partitions.")));
	if (target->rd_createSubid == InvalidSubTransactionId)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" was not created in the current transaction", RelationGetRelationName(target)),
				 errhint("demo_fill only fills tables that generate_demo_data has just created.")));
	indexes = RelationGetIndexList(target);
	if (indexes != NIL || target->trigdesc != NULL || target->rd_att->constr != NULL ||
		target->rd_rules != NULL || target->rd_rel->relrowsecurity)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" must have no indexes, triggers, rules, constraints, defaults or row security",
						RelationGetRelationName(target)),
				 errdetail("demo_fill inserts without the executor, so it cannot honour them.")));
	DemoCheckDesc(spec, RelationGetDescr(target), "the table");

	w = DemoGetWorld(ncust, nprod, ndays, seed, start);

	callcxt = AllocSetContextCreate(CurrentMemoryContext, "supplymkt demo fill", ALLOCSET_DEFAULT_SIZES);
	e = MemoryContextAllocZero(callcxt, sizeof(DemoEmitter));
	e->rel = target;
	e->desc = RelationGetDescr(target);
	e->bistate = GetBulkInsertState();
	e->cid = GetCurrentCommandId(true);
	e->callcxt = callcxt;
	e->rowcxt = AllocSetContextCreate(callcxt, "supplymkt demo rows", ALLOCSET_DEFAULT_SIZES);
	DemoRun(w, rel, e);
	DemoFlush(e);
	for (int i = 0; i < DEMO_BATCH && e->slots[i] != NULL; i++)
		ExecDropSingleTupleTableSlot(e->slots[i]);
	FreeBulkInsertState(e->bistate);
	table_finish_bulk_insert(target, TABLE_INSERT_SKIP_FSM);
	table_close(target, NoLock);
	PG_RETURN_INT64(e->rows);
}
