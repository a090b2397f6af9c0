/*
 * core/count_map.h — count-map states: a growing open-addressing table uint64 key -> int64 count inside one
 * varlena, for states that count distinct things (categories, items, co-occurrences).  The varlena's size is
 * its capacity, so nodeAgg's copy of a grown state keeps the slack; capacity doubles, so a state is copied
 * O(log n) times.  A family describes each count-map type with an SmMapKind and makes its I/O functions with
 * SM_COUNT_MAP_IO.
 */
#ifndef SUPPLYMKT_CORE_COUNT_MAP_H
#define SUPPLYMKT_CORE_COUNT_MAP_H

#include "postgres.h"

#include "fmgr.h"

#include "core/state.h"

typedef struct SmCountEntry
{
	uint64		key;
	int64		count;			/* 0 marks an empty slot */
} SmCountEntry;

typedef struct SmCountMap
{
	int32		vl_len_;
	uint8		version;		/* SM_STATE_VERSION */
	uint8		kind;			/* the id of its SmMapKind */
	uint16		flags;
	int32		capacity;		/* slots, a power of two */
	int32		used;			/* occupied slots */
	int32		reserved;
	int64		total;			/* sum of all counts (rows counted) */
	SmCountEntry entries[FLEXIBLE_ARRAY_MEMBER];
} SmCountMap;

/* A count-map state type, described by the family that owns it. */
typedef struct SmMapKind
{
	const char *typname;		/* SQL type name */
	uint8		id;				/* stored in every value (stable across versions) */
} SmMapKind;

#define DatumGetSmCountMap(x) ((SmCountMap *) PG_DETOAST_DATUM(x))

extern SmCountMap *SmCountMapForUpdate(FunctionCallInfo fcinfo, const SmMapKind *kind);
extern SmCountMap *SmCountMapAdd(SmCountMap *map, const SmMapKind *kind, uint64 key, int64 count,
								 MemoryContext cxt);
extern SmCountMap *SmCountMapArg(FunctionCallInfo fcinfo, int argno, const SmMapKind *kind);
extern int	SmCountMapSortedEntries(const SmCountMap *map, SmCountEntry **entries);

extern Datum SmCountMapIn(FunctionCallInfo fcinfo, const SmMapKind *kind);
extern Datum SmCountMapOut(FunctionCallInfo fcinfo, const SmMapKind *kind);
extern Datum SmCountMapRecv(FunctionCallInfo fcinfo, const SmMapKind *kind);
extern Datum SmCountMapSend(FunctionCallInfo fcinfo, const SmMapKind *kind);

/* The four I/O functions of a count-map type: name_in, name_out, name_recv, name_send. */
#define SM_COUNT_MAP_IO(name, kind) \
	SM_KIND_WRAPPER(name##_in, SmCountMapIn, kind) \
	SM_KIND_WRAPPER(name##_out, SmCountMapOut, kind) \
	SM_KIND_WRAPPER(name##_recv, SmCountMapRecv, kind) \
	SM_KIND_WRAPPER(name##_send, SmCountMapSend, kind)

#endif							/* SUPPLYMKT_CORE_COUNT_MAP_H */
