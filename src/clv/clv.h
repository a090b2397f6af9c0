/*
 * clv/clv.h — customer lifetime value models (BG/NBD, Pareto/NBD, Gamma-Gamma): the family's shared declarations.
 */
#ifndef SUPPLYMKT_CLV_H
#define SUPPLYMKT_CLV_H

#include "postgres.h"

#include "fmgr.h"

#include "core/binary.h"
#include "core/json.h"
#include "core/row_buffer.h"
#include "core/validate.h"

extern const SmRowKind sm_clv_fit_kind;

#endif							/* SUPPLYMKT_CLV_H */
