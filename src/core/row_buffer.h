/*
 * core/row_buffer.h — row-buffer states: a growing float8 table (nrows x ncols, row-major) inside one varlena,
 * for aggregates that must see all their rows before the final function can work (quantiles, model fits).
 * Like the count map, its size is its capacity and capacity doubles; combine appends.  Up to SM_ROWS_PARAMS
 * aggregate arguments that must be constant across rows (bins, k, a model code) travel with it in `params`.
 * A family describes each row-buffer type with an SmRowKind and makes its I/O and combine functions with
 * SM_ROW_BUFFER_IO and SM_ROW_BUFFER_COMBINE.
 */
#ifndef SUPPLYMKT_CORE_ROW_BUFFER_H
#define SUPPLYMKT_CORE_ROW_BUFFER_H

#include "postgres.h"

#include "fmgr.h"

#include "core/state.h"

#define SM_ROWS_PARAMS 8
#define SM_ROWS_MAX_LEVEL 63

typedef struct SmRowBuffer
{
	int32		vl_len_;
	uint8		version;		/* SM_STATE_VERSION */
	uint8		kind;			/* the id of its SmRowKind */
	uint16		flags;			/* SM_ROWS_PARAMS_SET once params are fixed */
	int32		ncols;			/* values per row (kinds with ncols 0: set by the first row) */
	int32		level;			/* sampling level: a row is kept iff the top `level` bits of its hash are 0 */
	int64		nrows;
	int64		nseen;			/* rows offered, kept or not (= nrows while level is 0) */
	int64		capacity;		/* rows that fit */
	float8		params[SM_ROWS_PARAMS];
	float8		values[FLEXIBLE_ARRAY_MEMBER];
} SmRowBuffer;

#define SM_ROWS_PARAMS_SET 1

/* A row-buffer state type, described by the family that owns it. */
typedef struct SmRowKind
{
	const char *typname;		/* SQL type name */
	uint8		id;				/* stored in every value (stable across versions) */
	int			ncols;			/* values per row; 0: variable, set by the first row */
	const char *param_names[SM_ROWS_PARAMS];	/* NULL = unused */
	int64		initial_rows;	/* capacity of a new state: small for per-customer groups */
	const int  *max_memory_kb;	/* setting bounding the rows (sampled past it), or NULL: unbounded */
} SmRowKind;

#define DatumGetSmRowBuffer(x) ((SmRowBuffer *) PG_DETOAST_DATUM(x))

extern SmRowBuffer *SmRowBufferForUpdate(FunctionCallInfo fcinfo, const SmRowKind *kind);
extern SmRowBuffer *SmRowBufferArg(FunctionCallInfo fcinfo, int argno, const SmRowKind *kind);
extern SmRowBuffer *SmRowBufferAppend(SmRowBuffer *buf, const SmRowKind *kind, const float8 *row,
									  MemoryContext cxt);
extern SmRowBuffer *SmRowBufferAppendAll(SmRowBuffer *buf, const SmRowKind *kind, const SmRowBuffer *other,
										 MemoryContext cxt);
extern void SmRowBufferSetParams(SmRowBuffer *buf, const SmRowKind *kind, const float8 *params);
extern void SmRowBufferSetCols(SmRowBuffer *buf, const SmRowKind *kind, int ncols, const char *what);
extern SmRowBuffer *SmRowBufferAppendSampled(SmRowBuffer *buf, const SmRowKind *kind, const float8 *row,
											 int64 max_rows, MemoryContext cxt);
extern void SmRowBufferLimit(SmRowBuffer *buf, int64 max_rows);
extern int64 SmRowBufferMaxRows(const SmRowKind *kind, int ncols);
extern uint64 SmRowHash(const float8 *row, int ncols);

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
