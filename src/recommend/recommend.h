/*
 * recommend/recommend.h — recommendations (item neighbours, content similarity, association rules): shared declarations.
 */
#ifndef SUPPLYMKT_RECOMMEND_H
#define SUPPLYMKT_RECOMMEND_H

#include "postgres.h"

#include "fmgr.h"

#include "core/binary.h"
#include "core/features.h"
#include "core/json.h"
#include "core/row_buffer.h"
#include "core/validate.h"

extern const SmRowKind sm_item_similarity_kind;
extern const SmRowKind sm_assoc_rules_kind;

#endif							/* SUPPLYMKT_RECOMMEND_H */
