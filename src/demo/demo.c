/*
 * demo/demo.c — the SQL interface of the demo-data generator: argument checks, relation lookup, and the
 * functions demo_relation (rows of one relation as a set) and demo_fill (rows straight into a fresh table).
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/objectaddress.h"
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
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/tuplestore.h"

#include "demo/demo.h"

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
