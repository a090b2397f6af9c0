/*
 * common.h — helpers shared by every supplymkt family: aggregate state types (DESIGN.md pattern 3),
 * input validation with clean errors, flat JSON parsing for type input, and exact float formatting.
 */
#ifndef SUPPLYMKT_COMMON_H
#define SUPPLYMKT_COMMON_H

#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/array.h"
#include "lib/stringinfo.h"

/* ---------------------------------------------------------------------------------------------------------
 * Fixed-size aggregate states.
 *
 * Every fixed-size state is one varlena layout: a versioned header and up to SM_STATE_INTS int64 counters
 * and SM_STATE_FLOATS float8 sums.  Each SQL state type (turnover_state, fill_rate_state, ...) is described
 * by an SmStateKind naming the slots it uses; one set of C I/O functions serves all of them.  Text form is a
 * flat JSON object ({"state":"turnover_state","version":1,"n_cogs":3,...}) with floats in shortest exact form,
 * so it round-trips bit for bit (Citus ships partial states as text).
 * --------------------------------------------------------------------------------------------------------- */
#define SM_STATE_VERSION 1
#define SM_STATE_INTS 4
#define SM_STATE_FLOATS 4

typedef struct SmFixedState
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* SM_STATE_VERSION */
	uint8		kind;			/* index into the kinds table of common.c */
	uint16		flags;			/* kind-specific flag bits */
	int32		reserved;		/* zero; keeps the slots 8-byte aligned */
	int64		ints[SM_STATE_INTS];
	float8		floats[SM_STATE_FLOATS];
} SmFixedState;

/* Kind ids of the fixed-size states; the table in common.c gives their type and slot names. */
typedef enum SmStateKindId
{
	SM_KIND_TURNOVER = 0,
	SM_KIND_STOCKOUT,
	SM_KIND_FILL_RATE,
	SM_KIND_SELL_THROUGH,
	SM_KIND_RENEWAL,
	SM_KIND_VARIABILITY,
	SM_KIND_TIME_DECAY,		/* clv_time_decay (customers.c) */
	SM_NUM_FIXED_KINDS
} SmStateKindId;

/* Optional kind-specific consistency check of a state read from text or binary; ereports on failure. */
typedef void (*SmStateValidator) (const SmFixedState *state, const char *typname);

typedef struct SmStateKind
{
	const char *typname;		/* SQL type name, e.g. "turnover_state" */
	const char *int_names[SM_STATE_INTS];	/* NULL for unused slots */
	const char *float_names[SM_STATE_FLOATS];
	bool		ints_may_be_negative;	/* e.g. dates stored as day numbers */
	SmStateValidator validate;
} SmStateKind;

#define DatumGetSmFixedState(x) ((SmFixedState *) PG_DETOAST_DATUM(x))

extern SmFixedState *SmFixedStateForUpdate(FunctionCallInfo fcinfo, SmStateKindId kind);
extern SmFixedState *SmFixedStateArg(FunctionCallInfo fcinfo, int argno, SmStateKindId kind);
extern void SmFixedStateCheckKind(const SmFixedState *state, SmStateKindId kind);

/* ---------------------------------------------------------------------------------------------------------
 * Count map: a growing open-addressing table uint64 key -> int64 count inside one varlena, used by states
 * that count distinct things (categories, items, co-occurrences).  The varlena's size is its capacity, so
 * nodeAgg's copy of a grown state keeps the slack; capacity doubles, so a state is copied O(log n) times.
 * --------------------------------------------------------------------------------------------------------- */
typedef struct SmCountEntry
{
	uint64		key;
	int64		count;			/* 0 marks an empty slot */
} SmCountEntry;

typedef struct SmCountMap
{
	int32		vl_len_;
	uint8		version;		/* SM_STATE_VERSION */
	uint8		kind;			/* SM_MAP_KIND_* */
	uint16		flags;
	int32		capacity;		/* slots, a power of two */
	int32		used;			/* occupied slots */
	int32		reserved;
	int64		total;			/* sum of all counts (rows counted) */
	SmCountEntry entries[FLEXIBLE_ARRAY_MEMBER];
} SmCountMap;

#define SM_MAP_KIND_DIVERSITY 1
#define DatumGetSmCountMap(x) ((SmCountMap *) PG_DETOAST_DATUM(x))

extern SmCountMap *SmCountMapForUpdate(FunctionCallInfo fcinfo, uint8 kind);
extern SmCountMap *SmCountMapAdd(SmCountMap *map, uint64 key, int64 count, MemoryContext cxt);
extern SmCountMap *SmCountMapArg(FunctionCallInfo fcinfo, int argno, uint8 kind);
extern int	SmCountMapSortedEntries(const SmCountMap *map, SmCountEntry **entries);

/* ---------------------------------------------------------------------------------------------------------
 * Row buffer: a growing float8 table (nrows x ncols, row-major) inside one varlena, for aggregates that must
 * see all their rows before the final function can work (quantiles, model fits).  Like the count map, its
 * size is its capacity and capacity doubles; combine appends.  Up to SM_ROWS_PARAMS aggregate arguments
 * that must be constant across rows (bins, k, a model code) travel with it in `params`.
 * --------------------------------------------------------------------------------------------------------- */
#define SM_ROWS_PARAMS 8
#define SM_ROWS_MAX_LEVEL 63

typedef struct SmRowBuffer
{
	int32		vl_len_;
	uint8		version;		/* SM_STATE_VERSION */
	uint8		kind;			/* index into the row-buffer kinds table of common.c */
	uint16		flags;			/* SM_ROWS_PARAMS_SET once params are fixed */
	int32		ncols;			/* values per row (kinds with ncols 0 in the table: set by the first row) */
	int32		level;			/* sampling level: a row is kept iff the top `level` bits of its hash are 0 */
	int64		nrows;
	int64		nseen;			/* rows offered, kept or not (= nrows while level is 0) */
	int64		capacity;		/* rows that fit */
	float8		params[SM_ROWS_PARAMS];
	float8		values[FLEXIBLE_ARRAY_MEMBER];
} SmRowBuffer;

#define SM_ROWS_PARAMS_SET 1

/* Row-buffer kinds (their table is in common.c). */
#define SM_ROWS_KIND_RFM_SUMMARY 0
#define SM_ROWS_KIND_RFM_BREAKS 1
#define SM_ROWS_KIND_CLV_FIT 2
#define SM_ROWS_KIND_KMEANS_FIT 3
#define SM_ROWS_KIND_KMEANS_REFINE 4
#define SM_ROWS_KIND_ITEM_SIMILARITY 5
#define SM_ROWS_KIND_ASSOC_RULES 6

/* Kinds of row buffers: the SQL type name, columns (0: variable), parameter names (NULL = unused). */
typedef struct SmRowKind
{
	const char *typname;
	int			ncols;
	const char *param_names[SM_ROWS_PARAMS];
	int64		initial_rows;	/* capacity of a new state: small for per-customer groups */
	const int  *max_memory_kb;	/* setting bounding the rows (sampled past it), or NULL: unbounded */
} SmRowKind;

extern const SmRowKind sm_row_kinds[];
extern const int sm_num_row_kinds;

#define DatumGetSmRowBuffer(x) ((SmRowBuffer *) PG_DETOAST_DATUM(x))

extern SmRowBuffer *SmRowBufferForUpdate(FunctionCallInfo fcinfo, uint8 kind);
extern SmRowBuffer *SmRowBufferArg(FunctionCallInfo fcinfo, int argno, uint8 kind);
extern SmRowBuffer *SmRowBufferAppend(SmRowBuffer *buf, const float8 *row, MemoryContext cxt);
extern SmRowBuffer *SmRowBufferAppendAll(SmRowBuffer *buf, const SmRowBuffer *other, MemoryContext cxt);
extern void SmRowBufferSetParams(SmRowBuffer *buf, const float8 *params);
extern void SmRowBufferSetCols(SmRowBuffer *buf, int ncols, const char *what);
extern SmRowBuffer *SmRowBufferAppendSampled(SmRowBuffer *buf, const float8 *row, int64 max_rows, MemoryContext cxt);
extern void SmRowBufferLimit(SmRowBuffer *buf, int64 max_rows);
extern int64 SmRowBufferMaxRows(const SmRowBuffer *buf, int ncols);
extern uint64 SmRowHash(const float8 *row, int ncols);

/* Feature arrays (float8[]) of k-means and content similarity. */
#define SM_MAX_FEATURE 1e100
extern double *SmFeatures(ArrayType *arr, int *len);

/* supplymkt.kmeans_max_memory (kB): past it, k-means states keep a sample of their points. */
extern int	sm_kmeans_max_memory_kb;

/* supplymkt.kmeans_threads: threads a k-means fit may use for its n_init runs. */
extern int	sm_kmeans_threads;

/* In a transition or combine function: returns the state unchanged (or NULL before the first row). */
#define SM_SKIP_ROW() \
	do { \
		if (PG_ARGISNULL(0)) \
			PG_RETURN_NULL(); \
		PG_RETURN_DATUM(PG_GETARG_DATUM(0)); \
	} while (0)

/* ---------------------------------------------------------------------------------------------------------
 * Input validation: every SQL-visible function checks its arguments with these, so analysts get one
 * consistent message and SQLSTATE for the same mistake everywhere.
 * --------------------------------------------------------------------------------------------------------- */
extern void SmErrorNotFinite(float8 value, const char *argname) pg_attribute_noreturn();
extern void SmErrorNegative(float8 value, const char *argname) pg_attribute_noreturn();
extern void SmErrorOverflow(void) pg_attribute_noreturn();
extern void SmCheckFraction(float8 value, const char *argname);
extern void SmErrorNullArgument(const char *argname) pg_attribute_noreturn();
extern void SmCheckIntRange(int64 value, int64 lo, int64 hi, const char *argname);
extern void *SmAllocArray(int64 n, Size size);

/* Rejects NaN and ±Infinity with a message naming the argument (inline: called per row). */
static inline void
SmCheckFinite(float8 value, const char *argname)
{
	if (unlikely(isnan(value) || isinf(value)))
		SmErrorNotFinite(value, argname);
}

/* Rejects non-finite and negative values. */
static inline void
SmCheckNonNegative(float8 value, const char *argname)
{
	SmCheckFinite(value, argname);
	if (unlikely(value < 0))
		SmErrorNegative(value, argname);
}

/* Adds two finite numbers, raising the standard overflow error instead of returning infinity. */
static inline float8
SmAddChecked(float8 a, float8 b)
{
	float8		r = a + b;

	if (unlikely(isinf(r)))
		SmErrorOverflow();
	return r;
}
extern void SmIncrement(int64 *counter);
extern void SmAddInt64Checked(int64 *counter, int64 add);

/* ---------------------------------------------------------------------------------------------------------
 * Flat JSON objects (type input).  Parsed with PostgreSQL's own JSON lexer; values are scalars or arrays
 * of scalars, kept as strings until a typed getter reads them.
 * --------------------------------------------------------------------------------------------------------- */
typedef struct SmJsonField
{
	char	   *key;
	bool		is_array;
	int			nvalues;
	int			maxvalues;
	char	  **values;			/* NULL entry for a JSON null */
	bool		seen;			/* set by the getters, to reject unknown keys */
} SmJsonField;

typedef struct SmJsonObject
{
	const char *typname;		/* for error messages */
	int			nfields;
	int			maxfields;
	SmJsonField *fields;
} SmJsonObject;

extern SmJsonObject *SmJsonParse(const char *text, const char *typname);
extern SmJsonField *SmJsonFind(SmJsonObject *obj, const char *key, bool required);
extern int64 SmJsonGetInt64(SmJsonObject *obj, const char *key);
extern float8 SmJsonGetFloat8(SmJsonObject *obj, const char *key);
extern char *SmJsonGetString(SmJsonObject *obj, const char *key);
extern void SmJsonRejectUnknown(SmJsonObject *obj);
extern bool SmJsonOptFloat8(SmJsonObject *obj, const char *key, float8 *out);
extern bool SmJsonOptInt64(SmJsonObject *obj, const char *key, int64 *out);
extern bool SmJsonOptBool(SmJsonObject *obj, const char *key, bool *out);
extern bool SmJsonOptFloat8Array(SmJsonObject *obj, const char *key, int64 n, float8 *out);
extern int64 SmParseInt64(const char *s, const char *typname);
extern uint64 SmParseUInt64(const char *s, const char *typname);
extern float8 SmParseFloat8(const char *s, const char *typname);

/* Exact text output of numbers and JSON keys. */
extern void SmAppendFloat8(StringInfo buf, float8 value);
extern void SmAppendJsonKey(StringInfo buf, const char *key, bool first);

/* Reading binary input: every read is bounds-checked against the message. */
extern void SmRecvCheckRemaining(StringInfo buf, int64 needed, const char *typname);

#endif							/* SUPPLYMKT_COMMON_H */
