/*
 * clv/purchase_models.c — the purchase models clv_fit fits and the readers evaluate, by code: BG/NBD,
 * Pareto/NBD and MBG/NBD, each with its likelihood, P(alive), expected purchases when alive, objective and
 * starting points.  A new purchase model adds its file and one entry here.
 */
#include "postgres.h"

#include "clv/clv.h"

/* Starting points of (M)BG/NBD: r, alpha from the purchase rate; a, b giving a drop-out probability of 1/4. */
static void
ClvBetaGeoStarts(double rate, double mean_t, double s[2][4])
{
	double		s0[4] = {1.0, 1.0 / rate, 1.0, 3.0},
				s1[4] = {0.25, 0.25 / rate, 0.5, 5.0};

	memcpy(s[0], s0, sizeof(s0));
	memcpy(s[1], s1, sizeof(s1));
}

/* Starting points of Pareto/NBD: r, alpha from the purchase rate; s, beta from the mean age. */
static void
ClvParetoStarts(double rate, double mean_t, double s[2][4])
{
	double		s0[4] = {1.0, 1.0 / rate, 1.0, mean_t},
				s1[4] = {0.25, 0.25 / rate, 0.5, 5 * mean_t};

	memcpy(s[0], s0, sizeof(s0));
	memcpy(s[1], s1, sizeof(s1));
}

static const ClvPurchaseModel clv_purchase_models[] = {
	{CLV_MODEL_BGNBD, "bgnbd", "BG/NBD", {"r", "alpha", "a", "b"}, false,
	BgnbdLogLik, BgnbdPAlive, BgnbdQ, BgnbdObjective, ClvBetaGeoStarts},
	{CLV_MODEL_PNBD, "pnbd", "Pareto/NBD", {"r", "alpha", "s", "beta"}, true,
	PnbdLogLik, PnbdPAlive, PnbdQ, PnbdObjective, ClvParetoStarts},
	{CLV_MODEL_MBGNBD, "mbgnbd", "MBG/NBD", {"r", "alpha", "a", "b"}, false,
	MbgnbdLogLik, MbgnbdPAlive, MbgnbdQ, MbgnbdObjective, ClvBetaGeoStarts},
};

/* The purchase model of a code, or NULL for a code this build does not know. */
const ClvPurchaseModel *
ClvPurchaseModelOf(int code)
{
	for (int i = 0; i < lengthof(clv_purchase_models); i++)
		if (clv_purchase_models[i].code == code)
			return &clv_purchase_models[i];
	return NULL;
}
