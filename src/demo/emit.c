/*
 * demo/emit.c — the relations of the canonical data model: their column layouts, and the emission of each
 * relation's rows from the simulated world into a tuplestore or, in batches, straight into a table.
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "demo/demo.h"

/* ---------------------------------------------------------------------------------------------------------
 * Names and parameters used only by the relations
 * --------------------------------------------------------------------------------------------------------- */

/* Marketing channels, in the order of DEMO_CHAN_* and of every channel mix; the mix of extra touchpoints. */
static const char *const demo_channels[] = {"search", "social", "email", "direct", "affiliate"};
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

/* Supplier regions, in the order of DemoSupplier.region. */
static const char *const demo_supplier_regions[] = {"north", "east", "south", "west", "central", "europe", "asia"};

/* Supplier names: a prefix and a suffix (DemoEmitSuppliers pairs them). */
static const char *const demo_supplier_prefix[] = {
	"Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Vandelay", "Acme", "Hooli", "Stark", "Wayne",
	"Soylent", "Tyrell", "Cyberdyne", "Wonka", "Gringotts", "Monarch", "Oscorp", "Massive", "Pied Piper", "Aperture"
};
static const char *const demo_supplier_suffix[] = {
	"Trading", "Supply", "Wholesale", "Industries", "Imports", "Manufacturing"
};

/*
 * Product names: "<brand> <adjective> <noun>" with the adjective and noun from the product's category, so a
 * name fits its category (DemoProductName scatters a category's products over the combinations).
 */
#define DEMO_NWORDS 8
#define DEMO_NBRANDS 12

typedef struct DemoCategoryWords
{
	const char *adjectives[DEMO_NWORDS];
	const char *nouns[DEMO_NWORDS];
} DemoCategoryWords;

/* In category-id order (demo_categories in world.c). */
static const DemoCategoryWords demo_category_words[DEMO_NCAT] = {
	{{"Wireless", "Compact", "Smart", "Portable", "Noise-Cancelling", "Ultra", "Digital", "Pro"},
	{"Headphones", "Speaker", "Charger", "Smartwatch", "Tablet", "Camera", "Keyboard", "Power Bank"}},
	{{"Slim-Fit", "Linen", "Classic", "Wool", "Denim", "Summer", "Leather", "Cotton"},
	{"Shirt", "Jeans", "Dress", "Jacket", "Sneakers", "Scarf", "Hoodie", "Skirt"}},
	{{"Soft", "Scented", "Woven", "Ceramic", "Rustic", "Modern", "Velvet", "Bamboo"},
	{"Throw Blanket", "Candle", "Cushion", "Vase", "Rug", "Lamp", "Curtains", "Picture Frame"}},
	{{"Non-Stick", "Stainless", "Cast-Iron", "Glass", "Electric", "Nonslip", "Enamel", "Carbon-Steel"},
	{"Frying Pan", "Chef's Knife", "Kettle", "Blender", "Saucepan", "Cutting Board", "Coffee Grinder", "Mixing Bowl"}},
	{{"Hydrating", "Matte", "Vitamin C", "Gentle", "Rose", "Overnight", "Mineral", "Argan"},
	{"Face Cream", "Lipstick", "Serum", "Shampoo", "Body Lotion", "Eye Palette", "Cleanser", "Hair Oil"}},
	{{"Daily", "Organic", "Sugar-Free", "Extra-Strength", "Herbal", "Omega-3", "Probiotic", "Sensitive"},
	{"Multivitamin", "Toothpaste", "Protein Powder", "Tea Blend", "Supplement", "Thermometer", "First-Aid Kit", "Hand Gel"}},
	{{"Lightweight", "Trail", "Yoga", "Waterproof", "Training", "Carbon", "Indoor", "All-Season"},
	{"Running Shoes", "Yoga Mat", "Dumbbells", "Water Bottle", "Backpack", "Tennis Racket", "Bike Helmet", "Jump Rope"}},
	{{"Wooden", "Plush", "Magnetic", "Remote-Control", "Building", "Musical", "Glow-in-the-Dark", "Puzzle"},
	{"Train Set", "Teddy Bear", "Blocks", "Race Car", "Doll", "Board Game", "Robot", "Kite"}},
	{{"Illustrated", "Hardcover", "Pocket", "Collected", "Annotated", "Beginner's", "Complete", "Modern"},
	{"Cookbook", "Novel", "Atlas", "Biography", "Poetry Collection", "Field Guide", "History", "Travel Guide"}},
	{{"Organic", "Roasted", "Whole-Grain", "Extra Virgin", "Dark", "Wild", "Sea-Salt", "Spiced"},
	{"Coffee Beans", "Olive Oil", "Pasta", "Granola", "Chocolate", "Honey", "Crackers", "Rice"}},
	{{"Cordless", "Galvanised", "Solar", "Heavy-Duty", "Folding", "Raised", "Terracotta", "Self-Watering"},
	{"Hose", "Planter", "Pruning Shears", "Garden Light", "Lawn Chair", "Watering Can", "Seed Kit", "Wheelbarrow"}},
	{{"Grain-Free", "Orthopedic", "Chew-Proof", "Reflective", "Natural", "Self-Cleaning", "Cosy", "Interactive"},
	{"Dog Food", "Cat Bed", "Leash", "Litter Box", "Chew Toy", "Bird Feeder", "Scratching Post", "Treats"}},
	{{"Ergonomic", "Refillable", "Recycled", "Adjustable", "Ruled", "Magnetic", "Heavy-Duty", "Desk"},
	{"Notebook", "Gel Pens", "Stapler", "Desk Lamp", "Planner", "Monitor Stand", "Filing Box", "Whiteboard"}},
	{{"All-Weather", "Heavy-Duty", "Universal", "LED", "Microfibre", "Magnetic", "Compact", "Premium"},
	{"Floor Mats", "Wiper Blades", "Phone Mount", "Headlight Bulbs", "Car Wax", "Jump Starter", "Seat Covers", "Tyre Inflator"}},
	{{"Organic", "Soft", "Hypoallergenic", "Foldable", "Musical", "Bamboo", "Anti-Colic", "Convertible"},
	{"Baby Blanket", "Onesie", "Stroller", "Bottle Set", "Teether", "Changing Mat", "Baby Monitor", "Car Seat"}},
	{{"Oak", "Walnut", "Upholstered", "Extendable", "Scandinavian", "Industrial", "Reclining", "Modular"},
	{"Dining Table", "Armchair", "Bookshelf", "Sofa", "Bed Frame", "Desk", "Wardrobe", "Coffee Table"}},
};

static const char *const demo_brands[DEMO_NBRANDS] = {
	"Aurora", "Nordlys", "Vela", "Kestrel", "Marlow", "Tidewell", "Oakridge", "Lumen", "Brightwater", "Halden",
	"Fenwick", "Solace"
};

/* Customer names: a given name and a family name (DemoEmitCustomers draws each from the customer's row hash). */
static const char *const demo_given_names[] = {
	"Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hannah", "Ivan", "Julia", "Karim", "Lena", "Marco",
	"Nina", "Oskar", "Paula", "Quentin", "Rosa", "Samir", "Tanja", "Umut", "Vera", "Wei", "Xenia", "Yusuf", "Zoe",
	"Amir", "Birgit", "Chen", "Daria", "Emil", "Fatima", "Georg", "Helena", "Ines", "Jonas", "Katarina", "Lukas",
	"Maja", "Noah", "Olga", "Piotr", "Sofia", "Tobias", "Ursula", "Viktor", "Yara", "Lars"
};
static const char *const demo_family_names[] = {
	"Schmidt", "Yilmaz", "Nowak", "Rossi", "Fischer", "Kowalski", "Weber", "Novak", "Meyer", "Garcia", "Wagner",
	"Jensen", "Becker", "Popescu", "Hoffmann", "Silva", "Schulz", "Horvat", "Koch", "Andersen", "Richter", "Kaya",
	"Klein", "Dubois", "Wolf", "Ivanova", "Neumann", "Lindqvist", "Schwarz", "Martin", "Zimmermann", "Kovacs",
	"Braun", "Petersen", "Hartmann", "Moreau", "Lange", "Nguyen", "Krause", "Lehmann", "Ahmed", "Walter",
	"Kaiser", "Fuchs", "Peters", "Lang", "Berg", "Sommer"
};

/* Values of events.event_type and returns.reason. */
static const char *const demo_event_types[] = {"view", "cart", "purchase"};
static const char *const demo_return_reasons[] = {
	"damaged", "defective", "not as described", "wrong size", "changed mind", "wrong item", "late delivery"
};

#define DEMO_NREASON 7

/* ---------------------------------------------------------------------------------------------------------
 * Relations: column layouts and row emission
 * --------------------------------------------------------------------------------------------------------- */

/* Name, column types and column signature of each relation, indexed by DemoRelId. */
const DemoRelSpec demo_rels[DEMO_NRELS] = {
	{"customers", 6, {INT8OID, DATEOID, TEXTOID, FLOAT8OID, FLOAT8OID, TEXTOID},
	"customer_id bigint, signup_date date, region text, lat float8, lon float8, name text"},
	{"products", 7, {INT8OID, TEXTOID, DATEOID, NUMERICOID, NUMERICOID, INT8OID, TEXTOID},
	"product_id bigint, category text, first_listed date, unit_cost numeric, unit_price numeric, supplier_id bigint, "
	"name text"},
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


/* Table mode: inserts the batched rows, then frees their per-row allocations. */
void
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

#define DEMO_NAME_LEN 96

/*
 * Name of the n-th product (0-based) of category k: the n-th of the category's brand x adjective x noun
 * combinations in a scattered order (a stride coprime to their number), so neighbours in id order differ in
 * every word; past the last combination a series number follows ("... 2", "... 3").
 */
static void
DemoProductName(char *buf, int k, int64 n)
{
	const int64 combos = DEMO_NBRANDS * DEMO_NWORDS * DEMO_NWORDS;
	const DemoCategoryWords *cw = &demo_category_words[k];
	int64		c = (n % combos) * 277 % combos;	/* 277 is prime, so coprime to 768 */
	int64		series = n / combos + 1;

	if (series == 1)
		snprintf(buf, DEMO_NAME_LEN, "%s %s %s", demo_brands[c % DEMO_NBRANDS],
				 cw->adjectives[(c / DEMO_NBRANDS) % DEMO_NWORDS], cw->nouns[c / (DEMO_NBRANDS * DEMO_NWORDS)]);
	else
		snprintf(buf, DEMO_NAME_LEN, "%s %s %s %lld", demo_brands[c % DEMO_NBRANDS],
				 cw->adjectives[(c / DEMO_NBRANDS) % DEMO_NWORDS], cw->nouns[c / (DEMO_NBRANDS * DEMO_NWORDS)],
				 (long long) series);
}

/* Name of customer c: a given and a family name drawn from a hash of (seed, c), independent of the simulation. */
static Datum
DemoCustomerName(const DemoWorld *w, int32 c)
{
	uint64		h = DemoMix64(DemoMix64((uint64) w->seed) ^ ((uint64) c * UINT64CONST(0xA24BAED4963EE407)));
	char		name[DEMO_NAME_LEN];

	snprintf(name, sizeof(name), "%s %s", demo_given_names[h % lengthof(demo_given_names)],
			 demo_family_names[(h >> 32) % lengthof(demo_family_names)]);
	return PointerGetDatum(cstring_to_text(name));
}

/* customers */
void
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
		e->values[5] = DemoCustomerName(w, c);
		DemoEmit(e);
	}
}

/* products */
void
DemoEmitProducts(const DemoWorld *w, DemoEmitter *e)
{
	const char *names[DEMO_NCAT];
	int64		in_category[DEMO_NCAT] = {0};
	Datum	   *category;

	for (int k = 0; k < DEMO_NCAT; k++)
		names[k] = demo_categories[k].name;
	category = DemoTexts(e, names, DEMO_NCAT);
	for (int32 i = 0; i < w->nprod; i++)
	{
		const DemoProduct *p = &w->prod[i];
		char		name[DEMO_NAME_LEN];

		e->values[0] = Int64GetDatum((int64) i + 1);
		e->values[1] = category[p->category];
		e->values[2] = DemoDate(w, p->first_day);
		e->values[3] = DemoCents(p->cost_cents);
		e->values[4] = DemoCents(p->price_cents);
		e->values[5] = Int64GetDatum((int64) p->supplier + 1);
		DemoProductName(name, p->category, in_category[p->category]++);
		e->values[6] = PointerGetDatum(cstring_to_text(name));
		DemoEmit(e);
	}
}

/* orders */
void
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
void
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
void
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
void
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
void
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
void
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
void
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
void
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
void
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
void
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
void
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
void
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
void
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

