/*
 * supply/supply.c — supply-capability metrics: inventory turnover, stockout, fill and sell-through rates, assortment
 * renewal and diversity, demand variability (XYZ), ABC and XYZ classes, days of supply, indicator scaling.
 *
 * Every aggregate keeps a real state type (core/fixed_state.h, core/count_map.h) updated in place and has a combine function, so it
 * runs as a partial aggregate under parallel query and on Citus workers.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/float.h"
#include "windowapi.h"

#include "core/count_map.h"
#include "core/fixed_state.h"
#include "core/validate.h"
#include "supply/supply.h"

/* Returns the updated fixed-size state (a macro so each transition reads the same way). */
#define SM_RETURN_STATE(s) PG_RETURN_POINTER(s)

/* Reads an optional float8 argument: false when it is NULL. */
static inline bool
SmOptFloat8(FunctionCallInfo fcinfo, int argno, float8 *value)
{
	if (PG_ARGISNULL(argno))
		return false;
	*value = PG_GETARG_FLOAT8(argno);
	return true;
}

/* ---------------------------------------------------------------------------------------------------------
 * State types
 * --------------------------------------------------------------------------------------------------------- */

/* turnover_state and sell_through_state: a sum over zero rows must be zero. */
static void
SmValidatePairedSums(const SmFixedState *s, const char *typname)
{
	if ((s->ints[0] == 0 && s->floats[0] != 0) || (s->ints[1] == 0 && s->floats[1] != 0))
		SmErrorInvalidValue(typname, "a sum is non-zero over zero rows");
}

/* stockout_state: stockouts cannot exceed snapshots. */
static void
SmValidateStockout(const SmFixedState *s, const char *typname)
{
	if (s->ints[1] > s->ints[0])
		SmErrorInvalidValue(typname, "more stockouts than snapshots");
}

/* fill_rate_state: fulfilled cannot exceed demanded; zero rows means zero sums. */
static void
SmValidateFillRate(const SmFixedState *s, const char *typname)
{
	if (s->floats[1] > s->floats[0])
		SmErrorInvalidValue(typname, "fulfilled exceeds demanded");
	if (s->ints[0] == 0 && (s->floats[0] != 0 || s->floats[1] != 0))
		SmErrorInvalidValue(typname, "a sum is non-zero over zero rows");
}

/* renewal_state: counts are non-negative, new items are part of the assortment, the period is ordered. */
static void
SmValidateRenewal(const SmFixedState *s, const char *typname)
{
	if (s->ints[0] < 0 || s->ints[1] < 0 || s->ints[1] > s->ints[0])
		SmErrorInvalidValue(typname, "counts are inconsistent");
	if (s->flags & ~1)
		SmErrorInvalidValue(typname, "unknown flags");
	if ((s->flags & 1) && s->ints[2] > s->ints[3])
		SmErrorInvalidValue(typname, "period_start is after period_end");
	if (!(s->flags & 1) && (s->ints[0] | s->ints[1] | s->ints[2] | s->ints[3]) != 0)
		SmErrorInvalidValue(typname, "counts without a period");
	if ((s->flags & 1) && (s->ints[2] < PG_INT32_MIN || s->ints[2] > PG_INT32_MAX ||
						   s->ints[3] < PG_INT32_MIN || s->ints[3] > PG_INT32_MAX))
		SmErrorInvalidValue(typname, "period is not a valid date");
}

/* variability_state: no rows means zero moments. */
static void
SmValidateVariability(const SmFixedState *s, const char *typname)
{
	if (s->ints[0] == 0 && (s->floats[0] != 0 || s->floats[1] != 0))
		SmErrorInvalidValue(typname, "moments are non-zero over zero rows");
}

/* The fixed-size state types of this family: SQL type name, stored id, slot names, validator. */
const SmFixedKind sm_turnover_kind = {"turnover_state", 0, {"n_cogs", "n_inventory"}, {"sum_cogs", "sum_inventory"},
false, SmValidatePairedSums};
const SmFixedKind sm_stockout_kind = {"stockout_state", 1, {"n_snapshots", "n_stockouts"}, {NULL}, false,
SmValidateStockout};
const SmFixedKind sm_fill_rate_kind = {"fill_rate_state", 2, {"n_lines"}, {"sum_demanded", "sum_fulfilled"},
false, SmValidateFillRate};
const SmFixedKind sm_sell_through_kind = {"sell_through_state", 3, {"n_sold", "n_received"},
{"sum_sold", "sum_received"}, false, SmValidatePairedSums};
const SmFixedKind sm_renewal_kind = {"renewal_state", 4, {"n_assortment", "n_new", "period_start", "period_end"},
{NULL}, true, SmValidateRenewal};
const SmFixedKind sm_variability_kind = {"variability_state", 5, {"n"}, {"mean", "m2"}, false,
SmValidateVariability};

/* The count-map state of assortment_diversity. */
const SmMapKind sm_diversity_kind = {"diversity_state", 1};

SM_FIXED_STATE_IO(turnover_state, sm_turnover_kind)
SM_FIXED_STATE_IO(stockout_state, sm_stockout_kind)
SM_FIXED_STATE_IO(fill_rate_state, sm_fill_rate_kind)
SM_FIXED_STATE_IO(sell_through_state, sm_sell_through_kind)
SM_FIXED_STATE_IO(renewal_state, sm_renewal_kind)
SM_FIXED_STATE_IO(variability_state, sm_variability_kind)
SM_COUNT_MAP_IO(diversity_state, sm_diversity_kind)

/* ---------------------------------------------------------------------------------------------------------
 * Paired sums: inventory_turnover(cogs, inventory_value), each column skipping its own NULLs exactly like
 * sum(cogs) / avg(inventory_value) in plain SQL (COGS and stock come from different rows); and
 * sell_through_rate, whose rows (like fill_rate's) count only with every value known.
 * --------------------------------------------------------------------------------------------------------- */

/* Transition of the paired sums (inventory_turnover): adds each non-NULL, non-negative value to its sum. */
static Datum
SmPairedSumsTransition(FunctionCallInfo fcinfo, const SmFixedKind *kind, const char *name_a, const char *name_b)
{
	float8		a = 0,
				b = 0;
	bool		has_a = SmOptFloat8(fcinfo, 1, &a);
	bool		has_b = SmOptFloat8(fcinfo, 2, &b);
	SmFixedState *s;

	if (!has_a && !has_b)
		SM_SKIP_ROW();
	if (has_a)
		SmCheckNonNegative(a, name_a);
	if (has_b)
		SmCheckNonNegative(b, name_b);
	s = SmFixedStateForUpdate(fcinfo, kind);
	if (has_a)
	{
		SmIncrement(&s->ints[0]);
		s->floats[0] = SmAddChecked(s->floats[0], a);
	}
	if (has_b)
	{
		SmIncrement(&s->ints[1]);
		s->floats[1] = SmAddChecked(s->floats[1], b);
	}
	SM_RETURN_STATE(s);
}

/* Shared combine of states whose slots are all plain sums and counts. */
static Datum
SmAdditiveCombine(FunctionCallInfo fcinfo, const SmFixedKind *kind)
{
	SmFixedState *s,
			   *t;

	if (PG_ARGISNULL(1))
		SM_SKIP_ROW();
	t = SmFixedStateArg(fcinfo, 1, kind);
	s = SmFixedStateForUpdate(fcinfo, kind);
	for (int i = 0; i < SM_STATE_INTS; i++)
		if (pg_add_s64_overflow(s->ints[i], t->ints[i], &s->ints[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("row count out of range")));
	for (int i = 0; i < SM_STATE_FLOATS; i++)
		s->floats[i] = SmAddChecked(s->floats[i], t->floats[i]);
	SM_RETURN_STATE(s);
}

PG_FUNCTION_INFO_V1(inventory_turnover_transfn);
/* inventory_turnover transition: sums COGS and inventory value, each skipping its own NULLs. */
Datum
inventory_turnover_transfn(PG_FUNCTION_ARGS)
{
	return SmPairedSumsTransition(fcinfo, &sm_turnover_kind, "cogs", "inventory_value");
}

PG_FUNCTION_INFO_V1(turnover_state_combine);
/* Combine for turnover_state. */
Datum
turnover_state_combine(PG_FUNCTION_ARGS)
{
	return SmAdditiveCombine(fcinfo, &sm_turnover_kind);
}

PG_FUNCTION_INFO_V1(inventory_turnover_final);
/* Turnover = total COGS / average inventory value; NULL without rows or with zero average inventory. */
Datum
inventory_turnover_final(PG_FUNCTION_ARGS)
{
	SmFixedState *s;
	float8		avg_inventory;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = SmFixedStateArg(fcinfo, 0, &sm_turnover_kind);
	if (s->ints[0] == 0 || s->ints[1] == 0)
		PG_RETURN_NULL();
	avg_inventory = s->floats[1] / (float8) s->ints[1];
	if (avg_inventory == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s->floats[0] / avg_inventory);
}

/*
 * Adds one row of sell_through_rate to its state: units sold and units available for sale (received, plus the
 * opening stock in the three-argument form). Rows with a NULL argument never reach here.
 */
static Datum
SmSellThroughAdd(FunctionCallInfo fcinfo, float8 sold, float8 available)
{
	SmFixedState *s = SmFixedStateForUpdate(fcinfo, &sm_sell_through_kind);

	SmIncrement(&s->ints[0]);
	SmIncrement(&s->ints[1]);
	s->floats[0] = SmAddChecked(s->floats[0], sold);
	s->floats[1] = SmAddChecked(s->floats[1], available);
	SM_RETURN_STATE(s);
}

PG_FUNCTION_INFO_V1(sell_through_rate_transfn);
/*
 * sell_through_rate(sold, received) transition: skips rows with a NULL (as fill_rate and PostgreSQL's
 * two-argument aggregates do), sums units sold and units received.
 */
Datum
sell_through_rate_transfn(PG_FUNCTION_ARGS)
{
	float8		sold,
				received;

	if (!SmOptFloat8(fcinfo, 1, &sold) || !SmOptFloat8(fcinfo, 2, &received))
		SM_SKIP_ROW();
	SmCheckNonNegative(sold, "sold");
	SmCheckNonNegative(received, "received");
	return SmSellThroughAdd(fcinfo, sold, received);
}

PG_FUNCTION_INFO_V1(sell_through_rate_stock_transfn);
/*
 * sell_through_rate(sold, opening_stock, received) transition (the retail definition): skips rows with a
 * NULL, sums units sold and units available = opening stock + received.
 */
Datum
sell_through_rate_stock_transfn(PG_FUNCTION_ARGS)
{
	float8		sold,
				opening,
				received;

	if (!SmOptFloat8(fcinfo, 1, &sold) || !SmOptFloat8(fcinfo, 2, &opening) || !SmOptFloat8(fcinfo, 3, &received))
		SM_SKIP_ROW();
	SmCheckNonNegative(sold, "sold");
	SmCheckNonNegative(opening, "opening_stock");
	SmCheckNonNegative(received, "received");
	return SmSellThroughAdd(fcinfo, sold, SmAddChecked(opening, received));
}

PG_FUNCTION_INFO_V1(sell_through_state_combine);
/* Combine for sell_through_state. */
Datum
sell_through_state_combine(PG_FUNCTION_ARGS)
{
	return SmAdditiveCombine(fcinfo, &sm_sell_through_kind);
}

PG_FUNCTION_INFO_V1(sell_through_rate_final);
/* Sell-through = units sold / units available (received, plus opening stock); NULL when none were available. */
Datum
sell_through_rate_final(PG_FUNCTION_ARGS)
{
	SmFixedState *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = SmFixedStateArg(fcinfo, 0, &sm_sell_through_kind);
	if (s->floats[1] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s->floats[0] / s->floats[1]);
}

/* ---------------------------------------------------------------------------------------------------------
 * stockout_rate(on_hand): share of snapshots with nothing on hand (on_hand <= 0; negative = backorder).
 * --------------------------------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(stockout_rate_transfn);
/* stockout_rate transition: counts snapshots and those with on_hand <= 0. */
Datum
stockout_rate_transfn(PG_FUNCTION_ARGS)
{
	float8		on_hand;
	SmFixedState *s;

	if (!SmOptFloat8(fcinfo, 1, &on_hand))
		SM_SKIP_ROW();
	SmCheckFinite(on_hand, "on_hand");
	s = SmFixedStateForUpdate(fcinfo, &sm_stockout_kind);
	SmIncrement(&s->ints[0]);
	if (on_hand <= 0)
		SmIncrement(&s->ints[1]);
	SM_RETURN_STATE(s);
}

PG_FUNCTION_INFO_V1(stockout_state_combine);
/* Combine for stockout_state. */
Datum
stockout_state_combine(PG_FUNCTION_ARGS)
{
	return SmAdditiveCombine(fcinfo, &sm_stockout_kind);
}

PG_FUNCTION_INFO_V1(stockout_rate_final);
/* Stockout rate = stocked-out snapshots / snapshots; NULL without snapshots. */
Datum
stockout_rate_final(PG_FUNCTION_ARGS)
{
	SmFixedState *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = SmFixedStateArg(fcinfo, 0, &sm_stockout_kind);
	if (s->ints[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((float8) s->ints[1] / (float8) s->ints[0]);
}

/* ---------------------------------------------------------------------------------------------------------
 * fill_rate(demanded, fulfilled): units fulfilled / units demanded over lines with both values; a line's
 * over-fulfilment counts as fully filled (min(fulfilled, demanded)).
 * --------------------------------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(fill_rate_transfn);
/* fill_rate transition: skips lines with a NULL, sums demanded and min(fulfilled, demanded). */
Datum
fill_rate_transfn(PG_FUNCTION_ARGS)
{
	float8		demanded,
				fulfilled;
	SmFixedState *s;

	if (!SmOptFloat8(fcinfo, 1, &demanded) || !SmOptFloat8(fcinfo, 2, &fulfilled))
		SM_SKIP_ROW();
	SmCheckNonNegative(demanded, "demanded");
	SmCheckNonNegative(fulfilled, "fulfilled");
	s = SmFixedStateForUpdate(fcinfo, &sm_fill_rate_kind);
	SmIncrement(&s->ints[0]);
	s->floats[0] = SmAddChecked(s->floats[0], demanded);
	s->floats[1] = SmAddChecked(s->floats[1], Min(fulfilled, demanded));
	SM_RETURN_STATE(s);
}

PG_FUNCTION_INFO_V1(fill_rate_state_combine);
/* Combine for fill_rate_state. */
Datum
fill_rate_state_combine(PG_FUNCTION_ARGS)
{
	return SmAdditiveCombine(fcinfo, &sm_fill_rate_kind);
}

PG_FUNCTION_INFO_V1(fill_rate_final);
/* Fill rate in [0, 1]; NULL when nothing was demanded. */
Datum
fill_rate_final(PG_FUNCTION_ARGS)
{
	SmFixedState *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = SmFixedStateArg(fcinfo, 0, &sm_fill_rate_kind);
	if (s->floats[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s->floats[1] / s->floats[0]);
}

/* ---------------------------------------------------------------------------------------------------------
 * renewal_rate(first_listed, period_start, period_end): share of the assortment (items listed by
 * period_end) that was first listed within [period_start, period_end].
 * --------------------------------------------------------------------------------------------------------- */

#define SM_RENEWAL_PERIOD_SET 1

PG_FUNCTION_INFO_V1(renewal_rate_transfn);
/* renewal_rate transition: counts items in the assortment and the new ones; the period must be constant. */
Datum
renewal_rate_transfn(PG_FUNCTION_ARGS)
{
	DateADT		listed,
				start,
				end;
	SmFixedState *s;

	if (PG_ARGISNULL(1))
		SM_SKIP_ROW();
	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("renewal_rate: period_start and period_end must not be NULL")));
	listed = PG_GETARG_DATEADT(1);
	start = PG_GETARG_DATEADT(2);
	end = PG_GETARG_DATEADT(3);
	if (start > end)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("renewal_rate: period_start must not be after period_end")));
	s = SmFixedStateForUpdate(fcinfo, &sm_renewal_kind);
	if (!(s->flags & SM_RENEWAL_PERIOD_SET))
	{
		s->flags |= SM_RENEWAL_PERIOD_SET;
		s->ints[2] = start;
		s->ints[3] = end;
	}
	else if (s->ints[2] != start || s->ints[3] != end)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("renewal_rate: period_start and period_end must be the same on every row"),
				 errhint("Group by the period, or compute one period per query.")));
	if (listed <= end)
	{
		SmIncrement(&s->ints[0]);
		if (listed >= start)
			SmIncrement(&s->ints[1]);
	}
	SM_RETURN_STATE(s);
}

PG_FUNCTION_INFO_V1(renewal_state_combine);
/* Combine for renewal_state: adds counts; both sides must describe the same period. */
Datum
renewal_state_combine(PG_FUNCTION_ARGS)
{
	SmFixedState *s,
			   *t;

	if (PG_ARGISNULL(1))
		SM_SKIP_ROW();
	t = SmFixedStateArg(fcinfo, 1, &sm_renewal_kind);
	s = SmFixedStateForUpdate(fcinfo, &sm_renewal_kind);
	if (t->flags & SM_RENEWAL_PERIOD_SET)
	{
		if (!(s->flags & SM_RENEWAL_PERIOD_SET))
		{
			s->flags |= SM_RENEWAL_PERIOD_SET;
			s->ints[2] = t->ints[2];
			s->ints[3] = t->ints[3];
		}
		else if (s->ints[2] != t->ints[2] || s->ints[3] != t->ints[3])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("renewal_rate: cannot combine states of different periods")));
		if (pg_add_s64_overflow(s->ints[0], t->ints[0], &s->ints[0]) ||
			pg_add_s64_overflow(s->ints[1], t->ints[1], &s->ints[1]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("row count out of range")));
	}
	SM_RETURN_STATE(s);
}

PG_FUNCTION_INFO_V1(renewal_rate_final);
/* Renewal rate = new items / items in the assortment; NULL when the assortment is empty. */
Datum
renewal_rate_final(PG_FUNCTION_ARGS)
{
	SmFixedState *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = SmFixedStateArg(fcinfo, 0, &sm_renewal_kind);
	if (s->ints[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((float8) s->ints[1] / (float8) s->ints[0]);
}

/* ---------------------------------------------------------------------------------------------------------
 * demand_cv(quantity): coefficient of variation (sample standard deviation / mean) for XYZ analysis.
 * Welford's update per row and Chan et al.'s pairwise merge in the combine function.
 * --------------------------------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(demand_cv_transfn);
/* demand_cv transition: Welford update of count, mean and sum of squared deviations. */
Datum
demand_cv_transfn(PG_FUNCTION_ARGS)
{
	float8		x,
				delta;
	SmFixedState *s;

	if (!SmOptFloat8(fcinfo, 1, &x))
		SM_SKIP_ROW();
	SmCheckNonNegative(x, "quantity");
	s = SmFixedStateForUpdate(fcinfo, &sm_variability_kind);
	SmIncrement(&s->ints[0]);
	delta = x - s->floats[0];
	s->floats[0] += delta / (float8) s->ints[0];
	s->floats[1] = SmAddChecked(s->floats[1], delta * (x - s->floats[0]));
	SM_RETURN_STATE(s);
}

PG_FUNCTION_INFO_V1(variability_state_combine);
/* Combine for variability_state (Chan et al.): merges counts, means and squared deviations. */
Datum
variability_state_combine(PG_FUNCTION_ARGS)
{
	SmFixedState *s,
			   *t;
	float8		n1,
				n2,
				n,
				delta;

	if (PG_ARGISNULL(1))
		SM_SKIP_ROW();
	t = SmFixedStateArg(fcinfo, 1, &sm_variability_kind);
	s = SmFixedStateForUpdate(fcinfo, &sm_variability_kind);
	if (t->ints[0] == 0)
		SM_RETURN_STATE(s);
	if (s->ints[0] == 0)
	{
		memcpy(s->ints, t->ints, sizeof(s->ints));
		memcpy(s->floats, t->floats, sizeof(s->floats));
		SM_RETURN_STATE(s);
	}
	n1 = (float8) s->ints[0];
	n2 = (float8) t->ints[0];
	n = n1 + n2;
	delta = t->floats[0] - s->floats[0];
	s->floats[0] = s->floats[0] + delta * (n2 / n);
	s->floats[1] = SmAddChecked(SmAddChecked(s->floats[1], t->floats[1]), delta * delta * (n1 * n2 / n));
	if (pg_add_s64_overflow(s->ints[0], t->ints[0], &s->ints[0]))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("row count out of range")));
	SM_RETURN_STATE(s);
}

PG_FUNCTION_INFO_V1(demand_cv_final);
/* CV = sample standard deviation / mean; NULL with fewer than two rows or a zero mean. */
Datum
demand_cv_final(PG_FUNCTION_ARGS)
{
	SmFixedState *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = SmFixedStateArg(fcinfo, 0, &sm_variability_kind);
	if (s->ints[0] < 2 || s->floats[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(sqrt(s->floats[1] / (float8) (s->ints[0] - 1)) / s->floats[0]);
}

/* ---------------------------------------------------------------------------------------------------------
 * assortment_diversity(category): items per category counted in a count map keyed by a 64-bit hash of the
 * category's bytes (collision probability below 1e-9 for a million categories); the final function
 * returns categories, items, Shannon entropy, Gini-Simpson index, HHI, effective categories and evenness.
 * --------------------------------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(assortment_diversity_transfn);
/* assortment_diversity transition: counts one item in its category; NULL categories are skipped. */
Datum
assortment_diversity_transfn(PG_FUNCTION_ARGS)
{
	text	   *category;
	uint64		key;
	SmCountMap *map;

	if (PG_ARGISNULL(1))
		SM_SKIP_ROW();
	category = PG_GETARG_TEXT_PP(1);
	key = hash_bytes_extended((const unsigned char *) VARDATA_ANY(category), VARSIZE_ANY_EXHDR(category), 0);
	map = SmCountMapForUpdate(fcinfo, &sm_diversity_kind);
	map = SmCountMapAdd(map, &sm_diversity_kind, key, 1, CurrentMemoryContext);
	PG_RETURN_POINTER(map);
}

PG_FUNCTION_INFO_V1(diversity_state_combine);
/* Combine for diversity_state: adds the second map's counts into the first. */
Datum
diversity_state_combine(PG_FUNCTION_ARGS)
{
	SmCountMap *map,
			   *other;

	if (PG_ARGISNULL(1))
		SM_SKIP_ROW();
	other = SmCountMapArg(fcinfo, 1, &sm_diversity_kind);
	map = SmCountMapForUpdate(fcinfo, &sm_diversity_kind);
	for (int32 i = 0; i < other->capacity; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (other->entries[i].count != 0)
			map = SmCountMapAdd(map, &sm_diversity_kind, other->entries[i].key, other->entries[i].count, CurrentMemoryContext);
	}
	PG_RETURN_POINTER(map);
}

PG_FUNCTION_INFO_V1(assortment_diversity_final);
/* Diversity indices from the category counts (natural logarithms); NULL without items. */
Datum
assortment_diversity_final(PG_FUNCTION_ARGS)
{
	SmCountMap *map;
	SmCountEntry *entries;
	int			n;
	float8		total,
				shannon = 0,
				hhi = 0;
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false};

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	map = SmCountMapArg(fcinfo, 0, &sm_diversity_kind);
	if (map->total == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "assortment_diversity must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);

	/* sorted, so the floating-point sums do not depend on the hash table's layout */
	n = SmCountMapSortedEntries(map, &entries);
	total = (float8) map->total;
	for (int i = 0; i < n; i++)
	{
		float8		p = (float8) entries[i].count / total;

		shannon -= p * log(p);
		hhi += p * p;
	}
	values[0] = Int64GetDatum(n);
	values[1] = Int64GetDatum(map->total);
	values[2] = Float8GetDatum(shannon);
	values[3] = Float8GetDatum(1.0 - hhi);
	values[4] = Float8GetDatum(hhi);
	values[5] = Float8GetDatum(exp(shannon));
	if (n > 1)
		values[6] = Float8GetDatum(shannon / log((float8) n));
	else
		nulls[6] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------------------------------------------------------------------------------------------------------
 * Row-level functions
 * --------------------------------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(days_of_supply);
/* Days the stock on hand lasts at the given daily demand; 0 for no or negative (backordered) stock, NULL
 * for zero demand (the stock never runs out). */
Datum
days_of_supply(PG_FUNCTION_ARGS)
{
	float8		on_hand = PG_GETARG_FLOAT8(0);
	float8		daily_demand = PG_GETARG_FLOAT8(1);

	SmCheckFinite(on_hand, "on_hand");
	SmCheckNonNegative(daily_demand, "daily_demand");
	if (on_hand <= 0)
		PG_RETURN_FLOAT8(0.0);
	if (daily_demand == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(float8_div(on_hand, daily_demand));
}

/* Checks a pair of ordered class thresholds (a <= b, both in the allowed range). */
static void
SmCheckThresholds(float8 lo, float8 hi, const char *lo_name, const char *hi_name, bool fractions)
{
	if (fractions)
	{
		SmCheckFraction(lo, lo_name);
		SmCheckFraction(hi, hi_name);
	}
	else
	{
		SmCheckNonNegative(lo, lo_name);
		SmCheckNonNegative(hi, hi_name);
	}
	if (lo > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be greater than %s", lo_name, hi_name)));
}

PG_FUNCTION_INFO_V1(xyz_class);
/* XYZ class from a coefficient of variation: X if cv <= x_max, Y if cv <= y_max, else Z. */
Datum
xyz_class(PG_FUNCTION_ARGS)
{
	float8		cv = PG_GETARG_FLOAT8(0);
	float8		x_max = PG_GETARG_FLOAT8(1);
	float8		y_max = PG_GETARG_FLOAT8(2);

	SmCheckNonNegative(cv, "cv");
	SmCheckThresholds(x_max, y_max, "x_max", "y_max", false);
	PG_RETURN_TEXT_P(cstring_to_text(cv <= x_max ? "X" : (cv <= y_max ? "Y" : "Z")));
}

/* Per-partition memory of abc_class: the class of every row, computed once. */
typedef struct SmAbcPartition
{
	bool		computed;
	int64		nrows;
	char	   *classes;		/* 'A', 'B', 'C' or 0 for NULL value */
} SmAbcPartition;

/* A row's value and position, for sorting a partition by value. */
typedef struct SmAbcRow
{
	float8		value;
	int64		pos;
} SmAbcRow;

/* Comparator: descending value. */
static int
SmAbcRowCmp(const void *a, const void *b)
{
	float8		va = ((const SmAbcRow *) a)->value;
	float8		vb = ((const SmAbcRow *) b)->value;

	return va > vb ? -1 : (va < vb ? 1 : 0);
}

PG_FUNCTION_INFO_V1(abc_class);
/*
 * Window function: ABC class of each row by its value's cumulative share in the partition.  Rows are
 * ranked by value, descending; a row is A when the share of all strictly larger values is below a_max,
 * B when below b_max, else C (so the item that crosses a threshold joins the higher class, and ties share
 * a class).  NULL values get NULL; a partition whose total is zero is all C.
 */
Datum
abc_class(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	SmAbcPartition *part;
	int64		cur;
	char		cls;

	part = (SmAbcPartition *) WinGetPartitionLocalMemory(winobj, sizeof(SmAbcPartition));
	if (!part->computed)
	{
		bool		isnull;
		float8		a_max,
					b_max,
					total = 0,
					larger = 0;
		int64		n = WinGetPartitionRowCount(winobj),
					m = 0;
		SmAbcRow   *rows;
		MemoryContext partcxt = GetMemoryChunkContext(part);

		a_max = DatumGetFloat8(WinGetFuncArgCurrent(winobj, 1, &isnull));
		if (isnull)
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("abc_class: a_max must not be NULL")));
		b_max = DatumGetFloat8(WinGetFuncArgCurrent(winobj, 2, &isnull));
		if (isnull)
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("abc_class: b_max must not be NULL")));
		SmCheckThresholds(a_max, b_max, "a_max", "b_max", true);

		part->classes = MemoryContextAllocExtended(partcxt, Max(n, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		rows = palloc_extended(sizeof(SmAbcRow) * (Size) Max(n, 1), MCXT_ALLOC_HUGE);
		for (int64 i = 0; i < n; i++)
		{
			Datum		d;

			CHECK_FOR_INTERRUPTS();
			d = WinGetFuncArgInPartition(winobj, 0, i, WINDOW_SEEK_HEAD, false, &isnull, NULL);
			if (isnull)
				continue;
			rows[m].value = DatumGetFloat8(d);
			SmCheckNonNegative(rows[m].value, "value");
			total = SmAddChecked(total, rows[m].value);
			rows[m].pos = i;
			m++;
		}
		qsort(rows, m, sizeof(SmAbcRow), SmAbcRowCmp);
		for (int64 i = 0; i < m;)
		{
			int64		j = i;
			float8		share = total > 0 ? larger / total : 1.0;
			char		c = share < a_max ? 'A' : (share < b_max ? 'B' : 'C');

			/* ties share a class: all rows equal to rows[i].value see the same larger-value share */
			while (j < m && rows[j].value == rows[i].value)
			{
				part->classes[rows[j].pos] = c;
				larger += rows[j].value;
				j++;
			}
			i = j;
		}
		pfree(rows);
		part->nrows = n;
		part->computed = true;
	}
	cur = WinGetCurrentPosition(winobj);
	if (cur < 0 || cur >= part->nrows)
		elog(ERROR, "abc_class: row position out of range");
	cls = part->classes[cur];
	if (cls == 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(&cls, 1));
}

PG_FUNCTION_INFO_V1(normalize_indicator);
/* Scales an indicator to [0, 1] between a lower and an upper reference (clamped), inverted when lower
 * values are better; used by supply_capability_score. */
Datum
normalize_indicator(PG_FUNCTION_ARGS)
{
	float8		value = PG_GETARG_FLOAT8(0);
	float8		lower = PG_GETARG_FLOAT8(1);
	float8		upper = PG_GETARG_FLOAT8(2);
	bool		higher_is_better = PG_GETARG_BOOL(3);
	float8		num,
				den,
				x;

	SmCheckFinite(value, "value");
	SmCheckFinite(lower, "lower");
	SmCheckFinite(upper, "upper");
	if (!(upper > lower))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("upper must be greater than lower")));
	num = value - lower;
	den = upper - lower;
	if (isinf(num) || isinf(den))
	{
		/* the differences overflow only for bounds beyond ±8.9e307: halving first is exact there */
		num = value / 2 - lower / 2;
		den = upper / 2 - lower / 2;
	}
	x = Min(Max(num / den, 0.0), 1.0);
	PG_RETURN_FLOAT8(higher_is_better ? x : 1.0 - x);
}
