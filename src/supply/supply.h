/*
 * supply/supply.h — the supply-capability family: its state types (fixed-size states and the diversity count
 * map), described here and handed to the core.
 */
#ifndef SUPPLYMKT_SUPPLY_H
#define SUPPLYMKT_SUPPLY_H

#include "core/count_map.h"
#include "core/fixed_state.h"

extern const SmFixedKind sm_turnover_kind;
extern const SmFixedKind sm_stockout_kind;
extern const SmFixedKind sm_fill_rate_kind;
extern const SmFixedKind sm_sell_through_kind;
extern const SmFixedKind sm_renewal_kind;
extern const SmFixedKind sm_variability_kind;
extern const SmMapKind sm_diversity_kind;

#endif							/* SUPPLYMKT_SUPPLY_H */
