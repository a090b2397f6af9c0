/*
 * core/row_buffer.h — row-buffer states: a growing table of rows (nrows x ncols, row-major) inside one varlena,
 * for aggregates that must see all their rows before the final function can work (quantiles, model fits).
 * Like the count map, its size is its capacity and capacity doubles; combine appends.  Up to SM_ROWS_PARAMS
 * aggregate arguments that must be constant across rows (bins, k, a model code) travel with it in `params`.
 *
 * Each value and parameter is an 8-byte slot holding a float8, or an exact int64 in an id or time column: the
 * first `int_cols` columns of every row are int64 (ids over the whole bigint range, timestamps to the
 * microsecond), the rest float8; the kind's `int_params` are int64 too.  Read and write int64 slots with
 * SmSlotInt / SmSlotSetInt.  An optional float8 column (`optional_cols`) may hold no value: SmSlotMissing,
 * written as JSON null; every other float8 is finite.
 *
 * A family describes each row-buffer type with an SmRowKind and makes its I/O and combine functions with
 * SM_ROW_BUFFER_IO and SM_ROW_BUFFER_COMBINE.
 */
#ifndef SUPPLYMKT_CORE_ROW_BUFFER_H
#define SUPPLYMKT_CORE_ROW_BUFFER_H

#include "postgres.h"

#include <math.h>

#include "fmgr.h"

#include "core/state.h"

#define SM_ROWS_PARAMS 8
#define SM_ROWS_MAX_LEVEL 63

/*
 * Format version of row buffers.  Version 1 (supplymkt 0.1.0) held every column as float8 (ids within ±2^53,
 * times as float8 microseconds) and wrote -1 for "no value"; it is still read, by conversion.
 */
#define SM_ROWS_VERSION 2
#define SM_ROWS_OLDEST_VERSION 1

typedef struct SmRowBuffer
{
	int32		vl_len_;
	uint8		version;		/* SM_ROWS_VERSION */
	uint8		kind;			/* the id of its SmRowKind */
	uint16		flags;			/* SM_ROWS_PARAMS_SET once params are fixed */
	int32		ncols;			/* values per row (kinds with ncols 0: set by the first row) */
	int32		level;			/* sampling level: a row is kept iff the top `level` bits of its hash are 0 */
	int32		int_cols;		/* columns 0 .. int_cols-1 hold int64 */
	int32		reserved;		/* 0 */
	int64		nrows;
	int64		nseen;			/* rows offered, kept or not (= nrows while level is 0) */
	int64		capacity;		/* rows that fit */
	float8		params[SM_ROWS_PARAMS];
	float8		values[FLEXIBLE_ARRAY_MEMBER];
} SmRowBuffer;

#define SM_ROWS_PARAMS_SET 1

/* int_cols of a kind whose rows come in more than one layout: each buffer's is set with its width. */
#define SM_ROWS_INT_COLS_PER_BUFFER (-1)

/* A row-buffer state type, described by the family that owns it. */
typedef struct SmRowKind
{
	const char *typname;		/* SQL type name */
	uint8		id;				/* stored in every value (stable across versions) */
	int			ncols;			/* values per row; 0: variable, set by the first row */
	const char *param_names[SM_ROWS_PARAMS];	/* NULL = unused */
	int64		initial_rows;	/* capacity of a new state: small for per-customer groups */
	const int  *max_memory_kb;	/* setting bounding the rows (sampled past it), or NULL: unbounded */
	int			int_cols;		/* leading int64 columns, or SM_ROWS_INT_COLS_PER_BUFFER */
	uint32		int_params;		/* bit i: parameter i is an int64 */
	uint32		optional_cols;	/* bit i: float8 column i may hold no value */
	/* SM_ROWS_INT_COLS_PER_BUFFER kinds: the int columns of a version-1 value, from its parameters and width */
	int			(*v1_int_cols) (const float8 *params, int ncols);
} SmRowKind;

/* The int64 in an 8-byte slot. */
static inline int64
SmSlotInt(const float8 *slot)
{
	int64		v;

	memcpy(&v, slot, sizeof(v));
	return v;
}

/* Stores an int64 in an 8-byte slot. */
static inline void
SmSlotSetInt(float8 *slot, int64 v)
{
	memcpy(slot, &v, sizeof(v));
}

/* "No value" in an optional float8 column (a NaN: no other float8 column accepts one). */
#define SmSlotMissing() ((float8) NAN)
#define SmSlotIsMissing(v) isnan(v)

#define DatumGetSmRowBuffer(x) ((SmRowBuffer *) PG_DETOAST_DATUM(x))

extern SmRowBuffer *SmRowBufferForUpdate(FunctionCallInfo fcinfo, const SmRowKind *kind);
extern SmRowBuffer *SmRowBufferArg(FunctionCallInfo fcinfo, int argno, const SmRowKind *kind);
extern SmRowBuffer *SmRowBufferAppend(SmRowBuffer *buf, const SmRowKind *kind, const float8 *row,
									  MemoryContext cxt);
extern SmRowBuffer *SmRowBufferAppendAll(SmRowBuffer *buf, const SmRowKind *kind, const SmRowBuffer *other,
										 MemoryContext cxt);
extern void SmRowBufferSetParams(SmRowBuffer *buf, const SmRowKind *kind, const float8 *params);
extern void SmRowBufferSetCols(SmRowBuffer *buf, const SmRowKind *kind, int ncols, int int_cols, const char *what);
extern SmRowBuffer *SmRowBufferAppendSampled(SmRowBuffer *buf, const SmRowKind *kind, const float8 *row,
											 int64 max_rows, MemoryContext cxt);
extern void SmRowBufferLimit(SmRowBuffer *buf, int64 max_rows);
extern int64 SmRowBufferMaxRows(const SmRowKind *kind, int ncols);
extern uint64 SmRowHash(const float8 *row, int ncols, int int_cols);

extern Datum SmRowBufferIn(FunctionCallInfo fcinfo, const SmRowKind *kind);
extern Datum SmRowBufferOut(FunctionCallInfo fcinfo, const SmRowKind *kind);
extern Datum SmRowBufferRecv(FunctionCallInfo fcinfo, const SmRowKind *kind);
extern Datum SmRowBufferSend(FunctionCallInfo fcinfo, const SmRowKind *kind);
extern Datum SmRowBufferCombine(FunctionCallInfo fcinfo, const SmRowKind *kind);

/* The four I/O functions of a row-buffer type: name_in, name_out, name_recv, name_send. */
#define SM_ROW_BUFFER_IO(name, kind) \
	SM_KIND_WRAPPER(name##_in, SmRowBufferIn, kind) \
	SM_KIND_WRAPPER(name##_out, SmRowBufferOut, kind) \
	SM_KIND_WRAPPER(name##_recv, SmRowBufferRecv, kind) \
	SM_KIND_WRAPPER(name##_send, SmRowBufferSend, kind)

/* The generic combine function name_combine of a row-buffer type (append, then sample to the bound). */
#define SM_ROW_BUFFER_COMBINE(name, kind) \
	SM_KIND_WRAPPER(name##_combine, SmRowBufferCombine, kind)

#endif							/* SUPPLYMKT_CORE_ROW_BUFFER_H */
