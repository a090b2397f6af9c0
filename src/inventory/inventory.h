/*
 * inventory/inventory.h — the inventory family: stock policy (EOQ, safety stock, reorder point, order-up-to
 * level, newsvendor) and expected holding + shortage cost under normal or Poisson demand.
 *
 * Units: quantities are units of stock; demand_mean and demand_sd are per period (a day, a week: any period,
 * the same for every argument); lead times and review periods are in those periods; costs are per unit
 * (holding cost per unit per period of the demand for the single-period functions, per unit per year for the
 * EOQ, whose demand is annual).
 */
#ifndef SUPPLYMKT_INVENTORY_H
#define SUPPLYMKT_INVENTORY_H

#include "postgres.h"

/* Demand distributions of the single-period (newsvendor) functions. */
typedef enum InvDistribution
{
	INV_NORMAL,
	INV_POISSON
} InvDistribution;

/* Largest Poisson mean accepted: above it GSL's Poisson CDF loses accuracy below the mean (and the normal
 * approximation is then within 0.05 sd of the Poisson quantiles). */
#define INV_POISSON_MAX_MEAN 1e6

extern double InvNormalLoss(double z);
extern void InvExpectedShortage(InvDistribution dist, float8 mean, float8 sd, float8 q, float8 *shortage,
								float8 *leftover);

#endif							/* SUPPLYMKT_INVENTORY_H */
