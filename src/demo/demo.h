/*
 * demo/demo.h — the demo-data generator: deterministic demo data for the canonical data model (DESIGN.md), one
 * simulated world of customers, products, orders, inventory, purchase orders, shipments, returns, reviews and
 * marketing, returned one relation at a time by the set-returning function demo_relation() (or written straight
 * into a table by demo_fill()); generate_demo_data() (plpgsql, in src/sql/demo.sql) turns each relation into a
 * table.  The family's shared declarations: limits, generator parameters, the world, the emitter.
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
 *
 * Files: util.c (random streams, growth of arrays, time warp, distance), world.c (suppliers, products, depots,
 * catalog, customers, orders and their lines; the per-transaction cache of the world), inventory.c (the (s, S)
 * inventory simulation and shipments), emit.c (the relations' column layouts and row emission), demo.c (the SQL
 * interface: argument checks, demo_relation, demo_fill).
 */
#ifndef SUPPLYMKT_DEMO_H
#define SUPPLYMKT_DEMO_H

#include "postgres.h"

#include <math.h>

#include <gsl/gsl_rng.h>

#include "access/heapam.h"
#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/date.h"
#include "utils/relcache.h"
#include "utils/tuplestore.h"

#include "core/validate.h"

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

/* MBG/NBD (days) and Gamma-Gamma parameters; generate_demo_data's COMMENT repeats them. */
#define DEMO_NEVER_BUY_SHARE 0.12		/* customers who sign up and never buy */
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

#define DEMO_NCAT 16

/* The categories (world.c, which checks that there are DEMO_NCAT of them). */
extern const DemoCategory demo_categories[];

/* Marketing channels (names in emit.c, mixes in world.c and emit.c): mixes are probabilities in this order. */
#define DEMO_NCHAN 5
#define DEMO_CHAN_EMAIL 2
#define DEMO_CHAN_DIRECT 3

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

#define DEMO_NREG 5

/* The regions (world.c, which checks that there are DEMO_NREG of them). */
extern const DemoRegion demo_regions[];

/* Supplier regions: the five domestic regions plus two import regions with long lead times. */
#define DEMO_NSUPREG 7

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

/* The relations' names, column types and signatures (emit.c), indexed by DemoRelId. */
extern const DemoRelSpec demo_rels[DEMO_NRELS];

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

/* util.c: random streams, growth of arrays, time warp, distance */
extern uint64 DemoMix64(uint64 x);
extern gsl_rng *DemoRng(int64 seed, DemoStream stream, MemoryContext context);
extern int	DemoPickIndex(gsl_rng *rng, const double *probs, int n);
extern void *DemoGrow(void *array, int64 *capacity, int64 need, Size elsize, MemoryContext cxt);
extern void *DemoAlloc0(MemoryContext cxt, int64 n, Size elsize);
extern int32 DemoWarpSeconds(const DemoWorld *w, double t_days);
extern double DemoDistanceKm(double lat1, double lon1, double lat2, double lon2);

/* world.c: building the world, cached per transaction */
extern int32 DemoPickProduct(const DemoWorld *w, gsl_rng *rng, int32 d, gsl_rng *arng, int favourite);
extern DemoWorld *DemoGetWorld(int32 ncust, int32 nprod, int32 ndays, int64 seed, DateADT start);

/* inventory.c: supply and service */
extern void DemoSimulateInventory(DemoWorld *w);
extern void DemoBuildShipments(DemoWorld *w);

/* emit.c: row emission, one function per relation */
extern void DemoFlush(DemoEmitter *e);
extern void DemoEmitCustomers(const DemoWorld *w, DemoEmitter *e);
extern void DemoEmitProducts(const DemoWorld *w, DemoEmitter *e);
extern void DemoEmitOrders(const DemoWorld *w, DemoEmitter *e);
extern void DemoEmitOrderItems(const DemoWorld *w, DemoEmitter *e);
extern void DemoEmitInventory(const DemoWorld *w, DemoEmitter *e);
extern void DemoEmitSuppliers(const DemoWorld *w, DemoEmitter *e);
extern void DemoEmitPurchaseOrders(const DemoWorld *w, DemoEmitter *e);
extern void DemoEmitShipments(const DemoWorld *w, DemoEmitter *e);
extern void DemoEmitReturns(const DemoWorld *w, DemoEmitter *e, gsl_rng *rng);
extern void DemoEmitReviews(const DemoWorld *w, DemoEmitter *e, gsl_rng *rng);
extern void DemoEmitDepots(const DemoWorld *w, DemoEmitter *e);
extern void DemoEmitMarketing(const DemoWorld *w, DemoEmitter *e, gsl_rng *rng);
extern void DemoEmitTouchpoints(const DemoWorld *w, DemoEmitter *e, gsl_rng *rng);
extern void DemoEmitEvents(const DemoWorld *w, DemoEmitter *e, gsl_rng *rng);
extern void DemoEmitExperiments(const DemoWorld *w, DemoEmitter *e);

/* Small inline helpers (called per draw or per row) */

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

/* Unit price of an order line in cents (list price, 10% off for discounted lines). */
static inline int64
DemoLinePriceCents(const DemoWorld *w, const DemoLine *l)
{
	int64		price = w->prod[l->product].price_cents;

	if (l->flags & DEMO_LINE_DISCOUNT)
		price = (price * 9 + 5) / 10;
	return price;
}

#endif							/* SUPPLYMKT_DEMO_H */
