/*
 * kmeans/kmeans.h — k-means segmentation: the family's shared declarations and settings.
 */
#ifndef SUPPLYMKT_KMEANS_H
#define SUPPLYMKT_KMEANS_H

#include "postgres.h"

#include "fmgr.h"

#include "core/binary.h"
#include "core/features.h"
#include "core/json.h"
#include "core/row_buffer.h"
#include "core/validate.h"

extern const SmRowKind sm_kmeans_fit_kind;
extern const SmRowKind sm_kmeans_refine_kind;

/* supplymkt.kmeans_max_memory (kB): past it, k-means states keep a sample of their points. */
extern int	sm_kmeans_max_memory_kb;

/* supplymkt.kmeans_threads: threads a k-means fit may use for its n_init runs. */
extern int	sm_kmeans_threads;

extern void SmKmeansInit(void);

#endif							/* SUPPLYMKT_KMEANS_H */
