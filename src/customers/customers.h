/*
 * customers/customers.h — customer analytics: the per-customer RFM summary (rfm_summary), RFM quantile
 * breakpoints as a typed value (rfm_breaks) and the scores and named segment they give (rfm_score), and the
 * model-free time-decay CLV (clv_time_decay).  Cohort retention is plain SQL (src/sql/customers.sql).
 * The family's state types, handed to the core, and the checks its files share.
 *
 * Times are stored in aggregate states as the TimestampTz value (microseconds since 2000-01-01 UTC) in a
 * float8: exact for 1715..2285, rounded to a few microseconds beyond.  Purchase days are UTC days.
 *
 * Files: rfm.c (rfm_summary, the rfm_breaks type and aggregate, rfm_score), time_decay.c (clv_time_decay).
 */
#ifndef SUPPLYMKT_CUSTOMERS_H
#define SUPPLYMKT_CUSTOMERS_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"

#include "core/binary.h"
#include "core/fixed_state.h"
#include "core/json.h"
#include "core/row_buffer.h"
#include "core/validate.h"

extern const SmRowKind sm_rfm_summary_kind;
extern const SmRowKind sm_rfm_breaks_state_kind;
extern const SmFixedKind sm_time_decay_kind;

/* Rejects ±infinity where an instant is required (order times, as_of). */
static inline void
SmCheckFiniteTimestamp(TimestampTz t, const char *argname)
{
	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite timestamp, not %s", argname,
						TIMESTAMP_IS_NOBEGIN(t) ? "-infinity" : "infinity")));
}

#endif							/* SUPPLYMKT_CUSTOMERS_H */
