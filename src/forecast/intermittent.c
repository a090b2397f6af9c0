/*
 * forecast/intermittent.c — intermittent demand: the Syntetos-Boylan demand class inputs (ADI, CV^2) and the
 * Croston, SBA and TSB recursions.
 *
 * ADI = n / (number of days with demand), the average inter-demand interval; CV^2 = (sd / mean)^2 of the
 * non-zero demand sizes (population sd).
 *
 * Croston (1972): at every day with demand y > 0, q days after the previous one (the first: q = its 1-based
 * day number), size z += alpha (y - z) and interval p += alpha (q - p), started at the first demand with
 * z = y and p = q; forecast z / p per day.  SBA (Syntetos & Boylan 2005): (1 - alpha / 2) z / p.  TSB
 * (Teunter, Syntetos & Babai 2011): every day the demand probability d += beta ([y > 0] - d), and on days
 * with demand the size z += alpha (y - z); started at the first demand with z = y and d = 1 / q; forecast
 * d z.  Days before the first demand only set q.
 */
#include "postgres.h"

#include <math.h>

#include "forecast/forecast.h"

/* ADI and CV^2 of a series (NaN both without demand; CV^2 0 with one demand). */
void
FcDemandClass(const double *y, int n, double *adi, double *cv2)
{
	int			k = 0;
	double		sum = 0,
				sq = 0;

	for (int t = 0; t < n; t++)
		if (y[t] > 0)
		{
			k++;
			sum += y[t];
		}
	if (k == 0)
	{
		*adi = *cv2 = NAN;
		return;
	}
	for (int t = 0; t < n; t++)
		if (y[t] > 0)
			sq += (y[t] - sum / k) * (y[t] - sum / k);
	*adi = (double) n / k;
	*cv2 = (sq / k) / ((sum / k) * (sum / k));
}

/* Fits Croston, SBA or TSB with smoothing alpha (sizes, intervals) and beta (TSB's probability). */
void
FcFitIntermittent(const double *y, int n, int method, double alpha, double beta, FcModel *out)
{
	double		z = NAN,
				p = NAN,
				d = NAN;
	int			since = 0;
	bool		started = false;

	for (int t = 0; t < n; t++)
	{
		since++;
		if (method == FC_TSB && started)
			d += beta * ((y[t] > 0 ? 1.0 : 0.0) - d);
		if (y[t] > 0)
		{
			if (!started)
			{
				z = y[t];
				p = since;
				d = 1.0 / since;
				started = true;
			}
			else
			{
				z += alpha * (y[t] - z);
				p += alpha * (since - p);
			}
			since = 0;
		}
	}
	memset(out, 0, sizeof(*out));
	out->method = method;
	out->season_length = 1;
	out->n = n;
	out->alpha = alpha;
	out->beta = method == FC_TSB ? beta : NAN;
	out->gamma = out->phi = NAN;
	out->trend = NAN;
	out->seasonal[0] = NAN;
	out->intermittent_size = z;
	out->intermittent_interval = method == FC_TSB ? NAN : p;
	out->intermittent_probability = method == FC_TSB ? d : NAN;
	if (method == FC_TSB)
		out->level = d * z;
	else
		out->level = (method == FC_SBA ? 1 - alpha / 2 : 1) * z / p;
	out->sigma2 = out->loglik = out->aic = out->aicc = out->bic = out->sse = NAN;
	FcDemandClass(y, n, &out->adi, &out->cv2);
}
