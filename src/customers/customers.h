/*
 * customers/customers.h — customer analytics (RFM, time-decay CLV): the family's state types, handed to the core.
 */
#ifndef SUPPLYMKT_CUSTOMERS_H
#define SUPPLYMKT_CUSTOMERS_H

#include "postgres.h"

#include "fmgr.h"

#include "core/binary.h"
#include "core/fixed_state.h"
#include "core/json.h"
#include "core/row_buffer.h"
#include "core/validate.h"

extern const SmRowKind sm_rfm_summary_kind;
extern const SmRowKind sm_rfm_breaks_state_kind;
extern const SmFixedKind sm_time_decay_kind;

#endif							/* SUPPLYMKT_CUSTOMERS_H */
