/*
 * core/features.h — feature arrays (float8[]) read by k-means and content similarity.
 */
#ifndef SUPPLYMKT_CORE_FEATURES_H
#define SUPPLYMKT_CORE_FEATURES_H

#include "postgres.h"

#include "utils/array.h"

/* Largest feature magnitude: squared distances of 1e100 stay finite. */
#define SM_MAX_FEATURE 1e100

extern double *SmFeatures(ArrayType *arr, int *len);

#endif							/* SUPPLYMKT_CORE_FEATURES_H */
