/*
 * core/count_map.c — the count-map state: a growing open-addressing table of uint64 key -> count with
 * validated text and binary I/O (see count_map.h).
 */
#include "postgres.h"

#include "common/int.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "core/binary.h"
#include "core/count_map.h"
#include "core/json.h"
#include "core/validate.h"

/* Largest table: 2^25 slots (512 MB), i.e. up to 16.7 million distinct keys at load factor 1/2. */
#define SM_MAP_MAX_CAPACITY (1 << 25)
#define SM_MAP_MIN_CAPACITY 16

/* Allocates an empty count map with `capacity` slots (a power of two). */
static SmCountMap *
SmCountMapNew(const SmMapKind *kind, int32 capacity, MemoryContext cxt)
{
	Size		size = add_size(offsetof(SmCountMap, entries), mul_size(capacity, sizeof(SmCountEntry)));
	SmCountMap *map = MemoryContextAllocExtended(cxt, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	SET_VARSIZE(map, size);
	map->version = SM_STATE_VERSION;
	map->kind = kind->id;
	map->capacity = capacity;
	return map;
}

/* Slot of `key`: where it is, or the empty slot where it belongs (linear probing). */
static inline int32
SmCountMapSlot(const SmCountMap *map, uint64 key)
{
	uint32		mask = (uint32) map->capacity - 1;
	uint32		i = (uint32) (key ^ (key >> 29)) & mask;

	while (map->entries[i].count != 0 && map->entries[i].key != key)
		i = (i + 1) & mask;
	return (int32) i;
}

/* Internal consistency check of a count map argument. */
static void
SmCountMapCheck(const SmCountMap *map, const SmMapKind *kind)
{
	if (map->version != SM_STATE_VERSION || map->kind != kind->id || map->capacity < SM_MAP_MIN_CAPACITY ||
		VARSIZE_ANY(map) != offsetof(SmCountMap, entries) + (Size) map->capacity * sizeof(SmCountEntry))
		elog(ERROR, "supplymkt count map of unexpected kind, version or size");
}

/* The count map a transition or combine function may update (see SmStateArgForUpdate). */
SmCountMap *
SmCountMapForUpdate(FunctionCallInfo fcinfo, const SmMapKind *kind)
{
	MemoryContext cxt;
	SmCountMap *map = (SmCountMap *) SmStateArgForUpdate(fcinfo, &cxt);

	if (map == NULL)
		return SmCountMapNew(kind, SM_MAP_MIN_CAPACITY, cxt);
	SmCountMapCheck(map, kind);
	return map;
}

/* A read-only count map argument. */
SmCountMap *
SmCountMapArg(FunctionCallInfo fcinfo, int argno, const SmMapKind *kind)
{
	SmCountMap *map = DatumGetSmCountMap(PG_GETARG_DATUM(argno));

	SmCountMapCheck(map, kind);
	return map;
}

/*
 * Adds `count` to `key`.  Returns the map, which is a new, doubled one allocated in `cxt` when the table
 * was half full (the caller returns it as the new transition value; nodeAgg then frees the old one).
 */
SmCountMap *
SmCountMapAdd(SmCountMap *map, const SmMapKind *kind, uint64 key, int64 count, MemoryContext cxt)
{
	int32		slot;

	Assert(count > 0);
	slot = SmCountMapSlot(map, key);
	if (map->entries[slot].count == 0)
	{
		if ((map->used + 1) * 2 > map->capacity)
		{
			SmCountMap *bigger;

			if (map->capacity >= SM_MAP_MAX_CAPACITY)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many distinct values for %s (limit %d)",
								kind->typname, SM_MAP_MAX_CAPACITY / 2),
						 errhint("Group the data into smaller sets.")));
			bigger = SmCountMapNew(kind, map->capacity * 2, cxt);
			bigger->flags = map->flags;
			for (int32 i = 0; i < map->capacity; i++)
			{
				CHECK_FOR_INTERRUPTS();
				if (map->entries[i].count != 0)
				{
					int32		s = SmCountMapSlot(bigger, map->entries[i].key);

					bigger->entries[s] = map->entries[i];
					bigger->used++;
				}
			}
			bigger->total = map->total;
			map = bigger;
			slot = SmCountMapSlot(map, key);
		}
		map->entries[slot].key = key;
		map->used++;
	}
	if (pg_add_s64_overflow(map->entries[slot].count, count, &map->entries[slot].count) ||
		pg_add_s64_overflow(map->total, count, &map->total))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("count out of range for %s", kind->typname)));
	return map;
}

/* Comparator: entries by key. */
static int
SmCountEntryCmp(const void *a, const void *b)
{
	uint64		ka = ((const SmCountEntry *) a)->key;
	uint64		kb = ((const SmCountEntry *) b)->key;

	return ka < kb ? -1 : (ka > kb ? 1 : 0);
}

/* The occupied entries sorted by key (a palloc'd array); returns how many. */
int
SmCountMapSortedEntries(const SmCountMap *map, SmCountEntry **entries)
{
	SmCountEntry *out = palloc_extended(sizeof(SmCountEntry) * (Size) Max(map->used, 1), MCXT_ALLOC_HUGE);
	int			n = 0;

	for (int32 i = 0; i < map->capacity; i++)
		if (map->entries[i].count != 0)
			out[n++] = map->entries[i];
	qsort(out, n, sizeof(SmCountEntry), SmCountEntryCmp);
	*entries = out;
	return n;
}

/* Checks a map read from outside: positive counts adding up to the total. */
static void
SmCountMapValidate(const SmCountMap *map, const SmMapKind *kind)
{
	int64		sum = 0;

	for (int32 i = 0; i < map->capacity; i++)
		if (map->entries[i].count < 0 ||
			pg_add_s64_overflow(sum, map->entries[i].count, &sum))
			SmErrorInvalidValue(kind->typname, "a count is negative or too large");
	if (sum != map->total)
		SmErrorInvalidValue(kind->typname, "counts do not add up to the total");
}

/* Builds a map from parallel key and count arrays read from input, rejecting duplicate keys. */
static SmCountMap *
SmCountMapFromArrays(const SmMapKind *kind, int64 n, const uint64 *keys, const int64 *counts)
{
	const char *typname = kind->typname;
	SmCountMap *map = SmCountMapNew(kind, SM_MAP_MIN_CAPACITY, CurrentMemoryContext);

	for (int64 i = 0; i < n; i++)
	{
		int32		before = map->used;

		CHECK_FOR_INTERRUPTS();
		if (counts[i] <= 0)
			SmErrorInvalidValue(typname, "counts must be positive");
		map = SmCountMapAdd(map, kind, keys[i], counts[i], CurrentMemoryContext);
		if (map->used == before)
			SmErrorInvalidValue(typname, "duplicate key");
	}
	return map;
}

/* Text input of count-map states: {"state":..., "version":1, "total":N, "keys":[...], "counts":[...]}. */
Datum
SmCountMapIn(FunctionCallInfo fcinfo, const SmMapKind *kind)
{
	char	   *text = PG_GETARG_CSTRING(0);
	const char *typname = kind->typname;
	SmJsonObject *obj = SmJsonParse(text, typname);
	SmJsonField *kf,
			   *cf;
	uint64	   *keys;
	int64	   *counts;
	int64		total;
	SmCountMap *map;

	SmJsonCheckHeader(obj, "state", SM_STATE_VERSION);
	total = SmJsonGetInt64(obj, "total");
	kf = SmJsonFind(obj, "keys", true);
	cf = SmJsonFind(obj, "counts", true);
	SmJsonRejectUnknown(obj);
	if (!kf->is_array || !cf->is_array || kf->nvalues != cf->nvalues)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"keys\" and \"counts\" must be arrays of equal length",
						typname)));
	keys = palloc_extended(sizeof(uint64) * (Size) Max(kf->nvalues, 1), MCXT_ALLOC_HUGE);
	counts = palloc_extended(sizeof(int64) * (Size) Max(cf->nvalues, 1), MCXT_ALLOC_HUGE);
	for (int i = 0; i < kf->nvalues; i++)
	{
		keys[i] = SmParseUInt64(kf->values[i], typname);
		counts[i] = SmParseInt64(cf->values[i], typname);
	}
	map = SmCountMapFromArrays(kind, kf->nvalues, keys, counts);
	if (map->total != total)
		SmErrorInvalidValue(typname, "counts do not add up to the total");
	PG_RETURN_POINTER(map);
}

/* Text output of count-map states, keys in ascending order. */
Datum
SmCountMapOut(FunctionCallInfo fcinfo, const SmMapKind *kind)
{
	SmCountMap *map = DatumGetSmCountMap(PG_GETARG_DATUM(0));
	SmCountEntry *entries;
	int			n;
	StringInfoData buf;

	SmCountMapCheck(map, kind);
	n = SmCountMapSortedEntries(map, &entries);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	SmAppendJsonKey(&buf, "state", true);
	escape_json(&buf, kind->typname);
	SmAppendJsonKey(&buf, "version", false);
	appendStringInfo(&buf, "%d", map->version);
	SmAppendJsonKey(&buf, "total", false);
	appendStringInfo(&buf, INT64_FORMAT, map->total);
	SmAppendJsonKey(&buf, "keys", false);
	appendStringInfoChar(&buf, '[');
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s" UINT64_FORMAT, i ? "," : "", entries[i].key);
	appendStringInfoChar(&buf, ']');
	SmAppendJsonKey(&buf, "counts", false);
	appendStringInfoChar(&buf, '[');
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s" INT64_FORMAT, i ? "," : "", entries[i].count);
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

/* Binary input of count-map states: version, total, n, then n (key, count) pairs. */
Datum
SmCountMapRecv(FunctionCallInfo fcinfo, const SmMapKind *kind)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const char *typname = kind->typname;
	int			version;
	int64		total,
				n;
	uint64	   *keys;
	int64	   *counts;
	SmCountMap *map;

	SmRecvCheckRemaining(buf, 17, typname);
	version = pq_getmsgbyte(buf);
	if (version != SM_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s version %d", typname, version),
				 errhint("This build of supplymkt reads version %d.", SM_STATE_VERSION)));
	total = pq_getmsgint64(buf);
	n = pq_getmsgint64(buf);
	if (n < 0 || n > SM_MAP_MAX_CAPACITY / 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type %s: inconsistent size", typname)));
	SmRecvCheckRemaining(buf, n * 16, typname);
	keys = palloc_extended(sizeof(uint64) * (Size) Max(n, 1), MCXT_ALLOC_HUGE);
	counts = palloc_extended(sizeof(int64) * (Size) Max(n, 1), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
	{
		keys[i] = (uint64) pq_getmsgint64(buf);
		counts[i] = pq_getmsgint64(buf);
	}
	SmRecvCheckEnd(buf, typname);
	map = SmCountMapFromArrays(kind, n, keys, counts);
	if (map->total != total)
		SmErrorInvalidValue(typname, "counts do not add up to the total");
	SmCountMapValidate(map, kind);
	PG_RETURN_POINTER(map);
}

/* Binary output of count-map states, keys in ascending order. */
Datum
SmCountMapSend(FunctionCallInfo fcinfo, const SmMapKind *kind)
{
	SmCountMap *map = DatumGetSmCountMap(PG_GETARG_DATUM(0));
	SmCountEntry *entries;
	int			n;
	StringInfoData buf;

	SmCountMapCheck(map, kind);
	n = SmCountMapSortedEntries(map, &entries);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, map->version);
	pq_sendint64(&buf, map->total);
	pq_sendint64(&buf, n);
	for (int i = 0; i < n; i++)
	{
		pq_sendint64(&buf, (int64) entries[i].key);
		pq_sendint64(&buf, entries[i].count);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

