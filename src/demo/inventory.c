/*
 * demo/inventory.c — supply and service of the simulated world: the daily (s, S) inventory simulation with its
 * purchase orders and backorders, and each order's depot, dispatch, delivery and promise.
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "miscadmin.h"

#include "demo/demo.h"

/*
 * Inventory: daily simulation per product of receipts, sales (with backorders) and a continuous-review (s, S)
 * policy; records purchase orders, end-of-day on_hand and, for each backordered order, when it can ship.
 * The policy follows demand: s and S are recomputed every day from an exponentially smoothed forecast of the
 * product's daily units (span 21 days, started from its first four listed weeks), so stock grows with sales
 * and turnover stays level instead of climbing with demand.
 */
void
DemoSimulateInventory(DemoWorld *w)
{
	gsl_rng    *rng = DemoRng(w->seed, DEMO_STREAM_INVENTORY, w->cxt);
	int32		P = w->nprod;
	int32		D = w->ndays;
	int64	   *on_hand = DemoAlloc0(w->cxt, P, sizeof(int64));
	int64	   *backlog = DemoAlloc0(w->cxt, P, sizeof(int64));
	int64	   *out_qty = DemoAlloc0(w->cxt, P, sizeof(int64));
	int32	   *out_arrival = DemoAlloc0(w->cxt, P, sizeof(int32));
	double	   *rop = DemoAlloc0(w->cxt, P, sizeof(double));
	int64	   *upto = DemoAlloc0(w->cxt, P, sizeof(int64));
	int64	   *head = DemoAlloc0(w->cxt, D, sizeof(int64));
	double	   *units = DemoAlloc0(w->cxt, P, sizeof(double));
	double	   *forecast = DemoAlloc0(w->cxt, P, sizeof(double));
	double	   *today = DemoAlloc0(w->cxt, P, sizeof(double));
	double	   *zf = DemoAlloc0(w->cxt, P, sizeof(double));
	double	   *cycle = DemoAlloc0(w->cxt, P, sizeof(double));
	const double alpha = 2.0 / (21.0 + 1.0);
	int64		pocap = 0;
	int64		oi = 0;

	w->npo = 0;
	w->po = NULL;
	w->onhand = DemoAlloc0(w->cxt, (int64) P * D, sizeof(int32));
	for (int32 d = 0; d < D; d++)
		head[d] = -1;
	/* each product's units in its first four listed weeks: the starting forecast */
	for (int64 oi2 = 0; oi2 < w->norders; oi2++)
	{
		const DemoOrder *o = &w->ord[oi2];
		int32		d = (int32) (o->sec / DEMO_SECS_PER_DAY);

		for (int64 l = o->first_line; l < o->first_line + o->nlines; l++)
			if (d < Max(w->prod[w->line[l].product].first_day, 0) + 28)
				units[w->line[l].product] += w->line[l].qty;
	}

	/* sets product i's (s, S) levels from its current forecast of daily demand */
#define DEMO_PLAN(i) \
	do { \
		double		mu_ = Max(forecast[i], 0.02); \
		double		lt_ = w->supp[w->prod[i].supplier].lead_mean + 1.0; \
		double		s_level_ = mu_ * lt_ + zf[i] * sqrt(2.0 * mu_) * sqrt(lt_); \
		rop[i] = s_level_; \
		upto[i] = (int64) Min(ceil(s_level_) + Max(ceil(mu_ * cycle[i]), 1.0), 1e9); \
	} while (0)

	/* planning parameters: service factor and order cycle per product, the forecast, the opening stock */
	for (int32 i = 0; i < P; i++)
	{
		DemoProduct *p = &w->prod[i];
		int32		first_weeks = Min(28, D - Max(p->first_day, 0));

		forecast[i] = units[i] / Max(first_weeks, 1);
		zf[i] = 2.2 * gsl_rng_uniform(rng);
		cycle[i] = 30.0 + 60.0 * gsl_rng_uniform(rng);
		DEMO_PLAN(i);
		out_arrival[i] = -1;
		if (p->first_day <= 0)
			on_hand[i] = (int64) Min(llround(rop[i] + (upto[i] - ceil(rop[i])) * (0.2 + 0.8 * gsl_rng_uniform(rng))), 1e9);
	}

	/* places a purchase order for product i on day d, up to its order-up-to level */
#define DEMO_PLACE_PO(i, d, launch) \
	do { \
		DemoSupplier *s_ = &w->supp[w->prod[i].supplier]; \
		int32		lead_ = (int32) Max(1.0, Min(3 * DEMO_MAX_DAYS, \
									 round(gsl_ran_gamma(rng, s_->lead_shape, s_->lead_mean / s_->lead_shape)))); \
		int64		pos_ = on_hand[i] + out_qty[i] - backlog[i]; \
		int64		qty_ = (launch) ? upto[i] : Max(upto[i] - pos_, 1); \
		DemoPO	   *po_; \
		w->po = DemoGrow(w->po, &pocap, w->npo + 1, sizeof(DemoPO), w->cxt); \
		po_ = &w->po[w->npo]; \
		po_->product = (i); \
		po_->qty = DemoClampInt32(qty_); \
		if (launch) \
		{ \
			po_->order_day = (d) - lead_; \
			po_->recv_day = (d); \
		} \
		else \
		{ \
			po_->order_day = (d); \
			po_->recv_day = (d) + lead_; \
		} \
		if (!(launch) && gsl_rng_uniform(rng) < s_->short_prob) \
			po_->recv_qty = (int32) floor(po_->qty * (0.5 + 0.45 * gsl_rng_uniform(rng))); \
		else \
			po_->recv_qty = po_->qty; \
		po_->next = -1; \
		if (po_->recv_day < D) \
		{ \
			po_->next = head[po_->recv_day]; \
			head[po_->recv_day] = w->npo; \
		} \
		out_arrival[i] = po_->recv_day; \
		out_qty[i] = po_->qty; \
		w->npo++; \
	} while (0)

	/* products launched during the period get their first stock on the launch day */
	for (int32 i = 0; i < P; i++)
		if (w->prod[i].first_day > 0 && w->prod[i].first_day < D)
			DEMO_PLACE_PO(i, w->prod[i].first_day, true);

	for (int32 d = 0; d < D; d++)
	{
		int32	   *snap = &w->onhand[(int64) d * P];

		CHECK_FOR_INTERRUPTS();
		/* the levels follow the forecast of listed products */
		for (int32 i = 0; i < P; i++)
			if (w->prod[i].first_day <= d)
				DEMO_PLAN(i);
		/* receipts, which first fill the backlog; then review the position */
		for (int64 k = head[d]; k >= 0; k = w->po[k].next)
		{
			int32		i = w->po[k].product;
			int64		served;

			on_hand[i] += w->po[k].recv_qty;
			out_arrival[i] = -1;
			out_qty[i] = 0;
			served = Min(on_hand[i], backlog[i]);
			on_hand[i] -= served;
			backlog[i] -= served;
		}
		for (int64 k = head[d]; k >= 0; k = w->po[k].next)
		{
			int32		i = w->po[k].product;

			if (out_arrival[i] < 0 && on_hand[i] - backlog[i] <= rop[i])
				DEMO_PLACE_PO(i, d, false);
		}

		/* the day's order lines, in order_id order */
		for (; oi < w->norders && w->ord[oi].sec / DEMO_SECS_PER_DAY == d; oi++)
		{
			DemoOrder  *o = &w->ord[oi];

			for (int64 l = o->first_line; l < o->first_line + o->nlines; l++)
			{
				DemoLine   *ln = &w->line[l];
				int32		i = ln->product;

				today[i] += ln->qty;
				if (on_hand[i] >= ln->qty)
					on_hand[i] -= ln->qty;
				else
				{
					backlog[i] += ln->qty - on_hand[i];
					on_hand[i] = 0;
					ln->flags |= DEMO_LINE_BACKORDER;
					if (out_arrival[i] < 0)
						DEMO_PLACE_PO(i, d, false);
					o->ready_day = Max(o->ready_day, out_arrival[i]);
				}
				if (out_arrival[i] < 0 && on_hand[i] + out_qty[i] - backlog[i] <= rop[i])
					DEMO_PLACE_PO(i, d, false);
			}
		}

		/* end-of-day snapshot (-1 marks products not listed yet) and the forecast update */
		for (int32 i = 0; i < P; i++)
		{
			snap[i] = (w->prod[i].first_day <= d) ? DemoClampInt32(on_hand[i]) : -1;
			if (w->prod[i].first_day <= d)
				forecast[i] += alpha * (today[i] - forecast[i]);
			today[i] = 0;
		}
	}
#undef DEMO_PLACE_PO
#undef DEMO_PLAN

	pfree(on_hand);
	pfree(backlog);
	pfree(out_qty);
	pfree(out_arrival);
	pfree(rop);
	pfree(upto);
	pfree(head);
	pfree(units);
	pfree(forecast);
	pfree(today);
	pfree(zf);
	pfree(cycle);
}

/* Shipments: depot, dispatch (after backorders), delivery and promise for every order. */
void
DemoBuildShipments(DemoWorld *w)
{
	gsl_rng    *rng = DemoRng(w->seed, DEMO_STREAM_SHIPMENTS, w->cxt);
	int64		end_sec = (int64) w->ndays * DEMO_SECS_PER_DAY;

	for (int64 oi = 0; oi < w->norders; oi++)
	{
		DemoOrder  *o = &w->ord[oi];
		const DemoCustomer *cu = &w->cust[o->cust];
		const DemoRegion *reg;
		const DemoDepot *dep;
		bool		bulky = false;
		double		dist,
					handling,
					transit;
		int64		ready = o->sec;
		int64		ship,
					deliv;

		if ((oi & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		o->depot = cu->region;
		if (gsl_rng_uniform(rng) < 0.10)
			o->depot = (uint8) ((cu->region + 1 + gsl_rng_uniform_int(rng, DEMO_NREG - 1)) % DEMO_NREG);
		reg = &demo_regions[o->depot];
		dep = &w->depot[o->depot];
		for (int64 l = o->first_line; l < o->first_line + o->nlines; l++)
			bulky |= demo_categories[w->prod[w->line[l].product].category].bulky;
		if (o->ready_day >= 0)
			ready = Max(ready, (int64) o->ready_day * DEMO_SECS_PER_DAY + 8 * 3600);
		handling = gsl_ran_gamma(rng, 2.0, reg->handling_hours / 2.0);
		dist = DemoDistanceKm(dep->lat, dep->lon, cu->lat, cu->lon);
		transit = 0.4 + dist / reg->speed_km_day + gsl_ran_gamma(rng, 1.5, reg->delay_days / 1.5) + (bulky ? 1.0 : 0.0);
		ship = ready + (int64) llround(handling * 3600.0);
		deliv = ship + (int64) llround(transit * DEMO_SECS_PER_DAY);
		o->promised_day = o->sec / DEMO_SECS_PER_DAY + (dist > 150.0 ? 4 : 3) + (bulky ? 2 : 0);
		o->ship_sec = ship < end_sec ? ship : -1;
		o->deliv_sec = (ship < end_sec && deliv < end_sec) ? deliv : -1;
	}
}
