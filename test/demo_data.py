#!/usr/bin/python3
"""TAP test of supplymkt.generate_demo_data: checks, from the generated tables, that the data follow the
documented generating process (MBG/NBD purchases, 12% of sign-ups who never buy, Gamma-Gamma spend, Zipf popularity, inventory flows with real
stockouts, depot- and product-dependent lateness, a real A/B lift, ...), that every relation has the columns of
DESIGN.md, and that references hold.  Every statistical check compares against an independent computation
(numpy/scipy from the documented parameters, or plain SQL) with a tolerance derived from its standard error.
It also times a 50,000-customer run and prints order lines per second (informational, never fails on time).

Reads the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE) of a database with the extension installed.
"""
import math
import os
import re
import sys
import time

import numpy as np
import psycopg2

try:
    from scipy import optimize, special
except ImportError:  # the suite installs python3-scipy; without it the model checks fail with a clear message
    optimize = special = None

SCHEMA = "supplymkt_demo_tap"
CUSTOMERS, PRODUCTS, DAYS, SEED, START = 50000, 500, 365, 42, "2024-01-01"

# Generator parameters documented in COMMENT ON FUNCTION generate_demo_data and src/demo/.
BG_R, BG_ALPHA, BG_A, BG_B = 0.75, 20.0, 0.8, 2.5
GG_P, GG_Q, GG_GAMMA = 6.0, 4.0, 40.0
ZIPF_EXPONENT = 1.1
TREATMENT_CUT, ABANDON_RATIO = 0.35, 0.8

# The canonical data model as DESIGN.md states it (checked against ../shared/DESIGN.md when present).
DESIGN = {
    "customers": "customer_id bigint, signup_date date, region text, lat float8, lon float8",
    "products": "product_id bigint, category text, first_listed date, unit_cost numeric, unit_price numeric, supplier_id bigint",
    "orders": "order_id bigint, customer_id bigint, order_time timestamptz, channel text",
    "order_items": "order_id bigint, product_id bigint, quantity int, unit_price numeric",
    "inventory_snapshots": "snapshot_date date, product_id bigint, on_hand int, inventory_value numeric",
    "suppliers": "supplier_id bigint, name text, region text",
    "purchase_orders": "po_id bigint, supplier_id bigint, product_id bigint, order_date date, quantity int, received_date date, received_quantity int",
    "shipments": "order_id bigint, depot_id bigint, shipped_time timestamptz, promised_date date, delivered_time timestamptz",
    "returns": "order_id bigint, product_id bigint, quantity int, return_time timestamptz, reason text",
    "reviews": "customer_id bigint, product_id bigint, rating int (1–5), review_time timestamptz",
    "depots": "depot_id bigint, name text, lat float8, lon float8, vehicles int, vehicle_capacity int",
    "marketing_spend": "day date, channel text, impressions bigint, clicks bigint, spend numeric",
    "touchpoints": "customer_id bigint, touch_time timestamptz, channel text",
    "events": "customer_id bigint, event_time timestamptz, event_type text, product_id bigint",
    "experiments": "customer_id bigint, experiment text, variant text, assigned_at timestamptz",
}
# Columns beyond DESIGN.md that the demo adds at the end (optional columns of the canonical model, README "Your data").
EXTRA_COLUMNS = {"customers": "name text", "products": "name text"}
TYPE_NAMES = {"bigint": "bigint", "int": "integer", "integer": "integer", "text": "text", "date": "date",
              "float8": "double precision", "numeric": "numeric", "timestamptz": "timestamp with time zone"}

results = []


_last = [time.monotonic()]


def check(ok, description, *details):
    now = time.monotonic()
    details = details + ("(%.1f s)" % (now - _last[0]),)
    _last[0] = now
    results.append(bool(ok))
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), description))
    for d in details:
        print("# " + str(d))
    sys.stdout.flush()


def parse_columns(spec):
    cols = []
    for part in spec.split(","):
        words = re.sub(r"\(.*?\)", "", part).split()
        cols.append((words[0], TYPE_NAMES[words[1]]))
    return cols


def design_from_file():
    """The canonical model table of ../shared/DESIGN.md, or None when the file is not beside the repo."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "shared", "DESIGN.md")
    if not os.path.exists(path):
        return None
    found = {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\|\s*`(\w+)`\s*\|\s*([^|]+?)\s*\|", line)
        if m and m.group(1) in DESIGN:
            found[m.group(1)] = m.group(2)
    return found


def mbgnbd_expected_repeats(t, r, alpha, a, b):
    """E[X(t)] of MBG/NBD: E over lambda ~ Gamma(r, alpha), p ~ Beta(a, b) of (1 - p) (1 - exp(-lambda p t)) / p
    (the customer first survives the drop-out chance right after the first purchase, then repeats as in BG/NBD),
    integrated numerically over p (substitution p = u^(1/a) removes the p^(a-1) singularity); E over lambda of
    exp(-lambda p t) is the Gamma Laplace transform (alpha / (alpha + p t))^r.  Evaluated on a half-day grid
    and interpolated (the function is smooth and concave in t)."""
    u = (np.arange(20000) + 0.5) / 20000.0
    p = u ** (1.0 / a)
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    weight = (1.0 - p) ** (b - 1.0) / (a * math.exp(log_beta)) / len(u)
    t = np.asarray(t, float)
    grid = np.linspace(0.0, max(float(t.max()), 1.0), int(2 * max(float(t.max()), 1.0)) + 2)
    values = np.array([((1.0 - p) * (1.0 - (alpha / (alpha + p * g)) ** r) / p * weight).sum() for g in grid])
    return np.interp(t, grid, values)


def mbgnbd_loglik(params, x, tx, T):
    """Sum of MBG/NBD log-likelihoods (Batislam, Kim & Kavas 2007; lifetimes' ModifiedBetaGeoFitter) at
    log-parameters."""
    r, alpha, a, b = np.exp(params)
    g = special.gammaln
    base = g(r + x) - g(r) + r * math.log(alpha) + g(a + b) + g(b + x + 1) - g(b) - g(a + b + x + 1)
    alive = -(r + x) * np.log(alpha + T)
    dead = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)
    return float((base + np.logaddexp(alive, dead)).sum())


def main():
    con = psycopg2.connect("")
    con.autocommit = True
    cur = con.cursor()
    cur.execute("SET TimeZone = 'UTC'")
    cur.execute("DROP SCHEMA IF EXISTS %s CASCADE" % SCHEMA)

    def q(sql, *args):
        cur.execute(sql.replace("S.", SCHEMA + "."), args)
        return cur.fetchall()

    def q1(sql, *args):
        return q(sql, *args)[0]

    print("1..35")

    # --- generation, timed end to end (the whole call, all 15 tables) -----------------------------------------
    t0 = time.monotonic()
    counts = dict(q("SELECT relation, rows FROM supplymkt.generate_demo_data(%s, customers => %s, products => %s, "
                    "days => %s, seed => %s, start_date => %s)", SCHEMA, CUSTOMERS, PRODUCTS, DAYS, SEED, START))
    elapsed = time.monotonic() - t0
    lines = counts.get("order_items", 0)
    check(len(counts) == 15 and all(counts[k] == q1("SELECT count(*) FROM S." + k)[0] for k in counts),
          "generate_demo_data returns the row count of each of the 15 relations",
          "rows: " + ", ".join("%s=%d" % kv for kv in counts.items()))
    print("# throughput: %d order lines in %.2f s of wall time = %.0f order lines/s (%d rows in all, %.0f rows/s)"
          % (lines, elapsed, lines / elapsed, sum(counts.values()), sum(counts.values()) / elapsed))

    # --- schema ---------------------------------------------------------------------------------------------------
    from_file = design_from_file()
    check(from_file is None or from_file == DESIGN,
          "the canonical model embedded in this test matches ../shared/DESIGN.md",
          "DESIGN.md not found beside the repository; using the embedded copy" if from_file is None else
          "differences: %s" % {k: v for k, v in (from_file or {}).items() if DESIGN.get(k) != v})
    bad = []
    for rel, spec in DESIGN.items():
        got = q("SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                "%s.%s" % (SCHEMA, rel))
        if [tuple(g) for g in got] != parse_columns(spec) + (parse_columns(EXTRA_COLUMNS[rel]) if rel in EXTRA_COLUMNS else []):
            bad.append((rel, got))
    check(not bad, "every relation has exactly the DESIGN.md columns and types, in order, then the optional "
          "name columns of customers and products", *bad)
    names = q1("""SELECT (SELECT count(*) FROM S.products WHERE name IS NULL OR name = ''),
                         (SELECT count(*) - count(DISTINCT name) FROM S.products),
                         (SELECT count(*) FROM S.customers WHERE name !~ '^[A-Z][a-z]+ [A-Z][a-z]+$'),
                         (SELECT count(DISTINCT name) FROM S.customers),
                         (SELECT count(DISTINCT split_part(name, ' ', 1)) FROM S.products),
                         (SELECT count(*) FROM S.products p JOIN S.products q ON p.product_id < q.product_id
                             AND p.category <> q.category
                             AND regexp_replace(p.name, '^\S+ \S+ ', '') = regexp_replace(q.name, '^\S+ \S+ ', ''))""")
    check(names[0] == 0 and names[1] == 0 and names[2] == 0 and names[3] > 2000 and names[4] >= 10,
          "names: every product has a distinct name (brand, adjective and noun), every customer a given and a "
          "family name, many distinct; the brands vary",
          "missing product names %d, duplicated %d, malformed customer names %d, distinct customer names %d, "
          "brands %d, noun shared across categories %d" % names)

    # --- references ---------------------------------------------------------------------------------------------
    orphans = q1("""SELECT
        (SELECT count(*) FROM S.order_items i LEFT JOIN S.orders o USING (order_id) WHERE o.order_id IS NULL),
        (SELECT count(*) FROM S.order_items i LEFT JOIN S.products p USING (product_id) WHERE p.product_id IS NULL),
        (SELECT count(*) FROM S.orders o LEFT JOIN S.customers c USING (customer_id) WHERE c.customer_id IS NULL),
        (SELECT count(*) FROM S.products p LEFT JOIN S.suppliers s USING (supplier_id) WHERE s.supplier_id IS NULL),
        (SELECT count(*) FROM S.inventory_snapshots s LEFT JOIN S.products p USING (product_id) WHERE p.product_id IS NULL),
        (SELECT count(*) FROM S.purchase_orders po LEFT JOIN S.products p USING (product_id)
          WHERE p.product_id IS NULL OR p.supplier_id <> po.supplier_id),
        (SELECT count(*) FROM S.shipments s LEFT JOIN S.orders o USING (order_id) LEFT JOIN S.depots d USING (depot_id)
          WHERE o.order_id IS NULL OR d.depot_id IS NULL),
        (SELECT count(*) FROM S.returns r LEFT JOIN S.order_items i USING (order_id, product_id)
          WHERE i.order_id IS NULL OR r.quantity > i.quantity OR r.quantity < 1),
        (SELECT count(*) FROM S.events e LEFT JOIN S.customers c USING (customer_id) LEFT JOIN S.products p USING (product_id)
          WHERE c.customer_id IS NULL OR p.product_id IS NULL),
        (SELECT count(*) FROM S.touchpoints t LEFT JOIN S.customers c USING (customer_id) WHERE c.customer_id IS NULL),
        (SELECT count(*) FROM S.experiments e LEFT JOIN S.customers c USING (customer_id) WHERE c.customer_id IS NULL),
        (SELECT count(*) FROM S.reviews r WHERE NOT EXISTS (SELECT 1 FROM S.orders o JOIN S.order_items i USING (order_id)
          WHERE o.customer_id = r.customer_id AND i.product_id = r.product_id AND o.order_time < r.review_time))""")
    check(sum(orphans) == 0,
          "references hold (items->orders/products, orders->customers, products->suppliers, snapshots/POs->products, "
          "shipments->orders/depots, returns->order lines, events/touchpoints/experiments->customers, reviews->purchases)",
          "orphans per check: %s" % (orphans,))
    dup = q1("SELECT (SELECT count(*) - count(DISTINCT order_id) FROM S.shipments), "
             "(SELECT count(*) FROM S.orders) - (SELECT count(*) FROM S.shipments), "
             "(SELECT count(*) - count(DISTINCT (order_id, product_id)) FROM S.order_items), "
             "(SELECT count(*) - count(DISTINCT customer_id) FROM S.experiments)")
    check(dup == (0, 0, 0, 0), "one shipment per order, one line per (order, product), one enrolment per customer",
          "duplicates: %s" % (dup,))

    # --- customers and MBG/NBD purchases -----------------------------------------------------------------------------
    # 12% of the customers sign up and never buy (binomial: within 4 standard deviations)
    buyers = q1("SELECT count(DISTINCT customer_id) FROM S.orders")[0]
    sd_never = math.sqrt(CUSTOMERS * 0.12 * 0.88)
    check(abs((CUSTOMERS - buyers) - 0.12 * CUSTOMERS) < 4 * sd_never,
          "about 12% of the customers sign up and never buy",
          "%d of %d never bought, expected %.0f +- %.0f" % (CUSTOMERS - buyers, CUSTOMERS, 0.12 * CUSTOMERS, 4 * sd_never))
    rows = q("""SELECT c.customer_id, c.signup_date, min(o.order_time)::date, count(*) - 1,
                       extract(epoch FROM max(o.order_time) - min(o.order_time)) / 86400,
                       extract(epoch FROM (%s::date + %s) - min(o.order_time)::timestamp) / 86400
                  FROM S.customers c JOIN S.orders o USING (customer_id) GROUP BY 1, 2 ORDER BY 1""", START, DAYS)
    at_signup = sum(1 for r in rows if r[1] == r[2])
    check(len(rows) == buyers and at_signup == buyers,
          "every buying customer's first purchase is on the signup date", "%d of %d customers" % (at_signup, len(rows)))
    x = np.array([r[3] for r in rows], float)
    tx = np.array([r[4] for r in rows], float)
    T = np.array([r[5] for r in rows], float)
    signup_day = (T.max() - T)
    check(abs(np.mean(T) - DAYS / 2) < 4 * DAYS / math.sqrt(12 * len(T)) + 0.5,
          "signups are spread uniformly over the period (mean customer age near days/2)",
          "mean age %.2f days, expected %.1f" % (np.mean(T), DAYS / 2), "span of signup days %.1f" % np.ptp(signup_day))

    expected = mbgnbd_expected_repeats(T, BG_R, BG_ALPHA, BG_A, BG_B)
    d = x - expected
    se = d.std() / math.sqrt(len(d))
    check(abs(d.mean()) < 4 * se,
          "mean repeat purchases per customer matches the MBG/NBD expectation E[X(T)] for each customer's age",
          "observed %.4f, expected %.4f, standard error %.4f, z = %.2f" % (x.mean(), expected.mean(), se, d.mean() / se))
    # P(X(T) = 0) = E[p] + E[1 - p] (alpha/(alpha+T))^r: dropped out right away, or no purchase while active
    p0 = BG_A / (BG_A + BG_B) + BG_B / (BG_A + BG_B) * (BG_ALPHA / (BG_ALPHA + T)) ** BG_R
    z0 = ((x == 0) - p0).sum() / math.sqrt((p0 * (1 - p0)).sum())
    check(abs(z0) < 4, "share of customers with no repeat purchase matches MBG/NBD P(X(T) = 0) = a/(a+b) + b/(a+b) (alpha/(alpha+T))^r",
          "observed %.4f, expected %.4f, z = %.2f" % ((x == 0).mean(), p0.mean(), z0))
    if optimize is None:
        check(False, "MBG/NBD maximum likelihood: the true parameters are not rejected", "scipy is not installed")
    else:
        truth = np.log([BG_R, BG_ALPHA, BG_A, BG_B])
        fit = optimize.minimize(lambda p: -mbgnbd_loglik(p, x, tx, T), np.log([1.0, 10.0, 1.0, 1.0]),
                                method="Nelder-Mead", options={"maxiter": 5000, "xatol": 1e-7, "fatol": 1e-7})
        lr = 2 * (-fit.fun - mbgnbd_loglik(truth, x, tx, T))
        # chi-square with 4 degrees of freedom: P(> 18.47) = 0.001
        check(fit.success and -0.01 < lr < 18.47,
              "MBG/NBD maximum likelihood on (x, t_x, T): the documented parameters are not rejected (LR test, 4 df)",
              "MLE r=%.3f alpha=%.2f a=%.3f b=%.3f; likelihood ratio %.2f" % (tuple(np.exp(fit.x)) + (lr,)))

    # --- clv_fit on the demo customers: the generator's parameters come back ----------------------------------------
    # The customers' (x, t_x, T) as above and, for repeat customers, the mean value of their repeat orders (the
    # Gamma-Gamma convention), fitted in the database.  Tolerance: 4 of the fit's own standard errors (a 4-sigma
    # band fails by chance with probability ~6e-5 per parameter), and the in-database log-likelihood at least the
    # scipy fit's (same likelihood, independent optimiser).
    model = q1("""WITH o AS (SELECT o.customer_id, o.order_time, sum(i.quantity * i.unit_price)::float8 AS value,
                                    row_number() OVER (PARTITION BY o.customer_id ORDER BY o.order_time) AS k
                               FROM S.orders o JOIN S.order_items i USING (order_id) GROUP BY o.order_id),
                    c AS (SELECT customer_id, count(*) - 1 AS x,
                                 extract(epoch FROM max(order_time) - min(order_time)) / 86400 AS tx,
                                 extract(epoch FROM (%s::date + %s) - min(order_time)::timestamp) / 86400 AS t,
                                 avg(value) FILTER (WHERE k > 1) AS m
                            FROM o GROUP BY 1)
               SELECT supplymkt.clv_fit(x, tx, t, m, 'mbgnbd', 'days')::text FROM c""", START, DAYS)[0]
    import json
    m = json.loads(model)
    truth = {"r": BG_R, "alpha": BG_ALPHA, "a": BG_A, "b": BG_B}
    z = {k: (m[k] - v) / m["std_errors"][i] for i, (k, v) in enumerate(truth.items())}
    check(m["converged"] and all(abs(v) < 4 for v in z.values()),
          "clv_fit (MBG/NBD, days) on the demo customers gives back the generator's r, alpha, a, b (within 4 SE)",
          "fitted %s" % ", ".join("%s=%.4g (z %.2f)" % (k, m[k], z[k]) for k in truth))
    if optimize is not None:
        check(m["log_likelihood"] >= -fit.fun - 1e-6 * abs(fit.fun),
              "clv_fit's MBG/NBD log-likelihood on the demo customers is at least scipy's (Nelder-Mead)",
              "clv_fit %.6f, scipy %.6f" % (m["log_likelihood"], -fit.fun))
    # Order values are baskets of catalogue lines (capped at 30 lines), so Gamma-Gamma holds only approximately:
    # the implied mean order value p*gamma/(q-1) must match the generator's within 2%, q must exceed 1.
    mean_fit = m["p"] * m["gamma"] / (m["q"] - 1) if m["q"] > 1 else float("inf")
    target = GG_P * GG_GAMMA / (GG_Q - 1)
    check(m["spend_converged"] and abs(mean_fit / target - 1) < 0.02,
          "clv_fit's Gamma-Gamma on the demo customers implies the generator's mean order value p*gamma/(q-1)",
          "fitted p=%.4g q=%.4g gamma=%.4g (generator %g, %g, %g): mean %.3f vs %.3f"
          % (m["p"], m["q"], m["gamma"], GG_P, GG_Q, GG_GAMMA, mean_fit, target))

    # --- spend (Gamma-Gamma) -----------------------------------------------------------------------------------------
    spend = np.array(q("SELECT o.customer_id, sum(i.quantity * i.unit_price)::float8 FROM S.orders o "
                       "JOIN S.order_items i USING (order_id) GROUP BY o.order_id, o.customer_id"), float)
    cust = spend[:, 0].astype(int)
    total = np.bincount(cust, spend[:, 1])
    n = np.bincount(cust)
    keep = n > 0
    total, n = total[keep], n[keep]
    mean = total.sum() / n.sum()
    # ratio estimator with customers as clusters (orders of one customer share nu)
    se = math.sqrt(((total - mean * n) ** 2).sum()) / n.sum()
    target = GG_P * GG_GAMMA / (GG_Q - 1)
    check(abs(mean - target) < 4 * se + 0.01 * target,
          "mean order value matches Gamma-Gamma p*gamma/(q-1)",
          "observed %.3f, expected %.3f, cluster standard error %.3f (allowance 1%% for the 30-line basket cap)"
          % (mean, target, se))
    per_cust = total / n
    big, small = per_cust[n >= 5], per_cust[n == 1]
    check(np.std(big) < np.std(small),
          "per-customer mean spend shrinks in spread as orders accumulate (heterogeneous nu, Gamma-Gamma)",
          "sd of customer means: %.2f with 1 order, %.2f with 5+ orders" % (np.std(small), np.std(big)))

    # --- products: Zipf popularity, categories, listing, prices -----------------------------------------------------
    counts_by_product = np.array([c for (c,) in q("SELECT count(*) FROM S.order_items GROUP BY product_id "
                                                  "ORDER BY 1 DESC")], float)
    k = np.arange(1, len(counts_by_product) + 1)
    slope = np.polyfit(np.log(k[:100]), np.log(counts_by_product[:100]), 1)[0]
    # the generator's exponent is 1.1; launches, seasonality and budgets bend the curve, hence the band
    check(-1.35 < slope < -0.85, "product popularity is Zipf-like: log-log slope of lines vs rank (top 100) near -1.1",
          "slope %.3f" % slope)
    cats = q("SELECT category, count(*) FROM S.products GROUP BY 1 ORDER BY 2 DESC")
    shares = np.array([c for _, c in cats], float) / PRODUCTS
    check(10 <= len(cats) <= 20 and shares[0] > 3 * shares[-1],
          "10-20 categories with an uneven mix", "categories: %s" % cats)
    listed = q1("SELECT count(*) FILTER (WHERE first_listed < %s::date), "
                "count(*) FILTER (WHERE first_listed >= %s::date AND first_listed < %s::date + %s), "
                "bool_and(unit_price > unit_cost AND unit_cost > 0) FROM S.products", START, START, START, DAYS)
    check(listed[0] > PRODUCTS / 2 and listed[1] > 0 and listed[0] + listed[1] == PRODUCTS and listed[2],
          "a majority of products is listed before start_date, the rest launch within the period; price > cost",
          "before %d, launched %d" % listed[:2])
    early = q1("SELECT count(*) FROM S.order_items i JOIN S.orders o USING (order_id) JOIN S.products p "
               "USING (product_id) WHERE o.order_time::date < p.first_listed")[0]
    check(early == 0, "no product sells before it is listed", "%d lines before listing" % early)
    season = q1("""SELECT avg((p.category = 'garden')::int) FILTER (WHERE extract(doy FROM o.order_time) BETWEEN 100 AND 160),
                          avg((p.category = 'garden')::int) FILTER (WHERE extract(doy FROM o.order_time) BETWEEN 280 AND 340)
                     FROM S.order_items i JOIN S.orders o USING (order_id) JOIN S.products p USING (product_id)""")
    check(float(season[0]) > 1.5 * float(season[1]),
          "yearly seasonality: garden's share of lines in spring is well above autumn (amplitude 0.7, peak day 130)",
          "spring share %.4f, autumn share %.4f" % (season[0], season[1]))

    # --- inventory: flows, stockouts, value ---------------------------------------------------------------------------
    snaps = q("SELECT product_id, snapshot_date - %s::date, on_hand FROM S.inventory_snapshots", START)
    demand = q("SELECT i.product_id, o.order_time::date - %s::date, sum(i.quantity) FROM S.order_items i "
               "JOIN S.orders o USING (order_id) GROUP BY 1, 2", START)
    receipts = q("SELECT product_id, received_date - %s::date, sum(received_quantity) FROM S.purchase_orders "
                 "WHERE received_date IS NOT NULL GROUP BY 1, 2", START)
    oh = np.full((PRODUCTS + 1, DAYS), -1, np.int64)
    dm = np.zeros((PRODUCTS + 1, DAYS), np.int64)
    rc = np.zeros((PRODUCTS + 1, DAYS), np.int64)
    for p, dd, v in snaps:
        oh[p, dd] = v
    for p, dd, v in demand:
        dm[p, dd] = v
    for p, dd, v in receipts:
        if dd < DAYS:
            rc[p, dd] = v
    # replay each product from its first day with stock (on_hand > 0 implies no backlog): receipts first fill the
    # backlog, then the day's demand is served from stock and the rest is backordered
    mismatches = checked = 0
    for p in range(1, PRODUCTS + 1):
        days_with_stock = np.nonzero(oh[p] > 0)[0]
        if len(days_with_stock) == 0:
            continue
        stock, backlog = int(oh[p, days_with_stock[0]]), 0
        for dd in range(days_with_stock[0] + 1, DAYS):
            stock += int(rc[p, dd])
            served = min(stock, backlog)
            stock, backlog = stock - served, backlog - served
            backlog += max(0, int(dm[p, dd]) - stock)
            stock = max(0, stock - int(dm[p, dd]))
            checked += 1
            if stock != oh[p, dd]:
                mismatches += 1
    check(checked > 100000 and mismatches == 0,
          "on_hand follows receipts and sales exactly (replayed day by day with backorders from the tables)",
          "%d product-days replayed, %d mismatches" % (checked, mismatches))
    so = q1("SELECT count(*) FILTER (WHERE on_hand = 0)::float8 / count(*), "
            "count(DISTINCT product_id) FILTER (WHERE on_hand = 0) FROM S.inventory_snapshots")
    check(0.001 < so[0] < 0.25 and so[1] >= 10,
          "real stockouts: on_hand hits 0 for some products on some days",
          "stockout share of product-days %.4f, products ever out of stock %d" % so)
    val = q1("SELECT count(*) FILTER (WHERE s.inventory_value <> s.on_hand * p.unit_cost) FROM S.inventory_snapshots s "
             "JOIN S.products p USING (product_id)")[0]
    check(val == 0, "inventory_value = on_hand x unit_cost", "%d mismatches" % val)
    po = q1("""SELECT count(*), count(*) FILTER (WHERE received_quantity < quantity),
                      count(*) FILTER (WHERE received_date IS NULL),
                      count(*) FILTER (WHERE received_date <= order_date OR received_quantity > quantity),
                      corr(pl.lead, s.supplier_lead)
                 FROM S.purchase_orders po
                 JOIN (SELECT po_id, (received_date - order_date)::float8 AS lead FROM S.purchase_orders) pl USING (po_id)
                 JOIN (SELECT supplier_id, avg(received_date - order_date)::float8 AS supplier_lead
                         FROM S.purchase_orders GROUP BY 1) s USING (supplier_id)""")
    check(po[1] > 0 and po[3] == 0 and po[4] > 0.5,
          "purchase orders: some short receipts, lead times positive and driven by the supplier",
          "%d POs, %d short, %d open at the end, %d inconsistent, corr(lead, supplier mean) = %.2f" % po)

    # --- service: shipments, returns, reviews --------------------------------------------------------------------------
    late = q("""SELECT depot_id, count(*), count(*) FILTER (WHERE delivered_time::date > promised_date)
                  FROM S.shipments WHERE delivered_time IS NOT NULL GROUP BY 1 ORDER BY 1""")
    n_d = np.array([r[1] for r in late], float)
    l_d = np.array([r[2] for r in late], float)
    pooled = l_d.sum() / n_d.sum()
    chi2 = (((l_d - n_d * pooled) ** 2) / (n_d * pooled * (1 - pooled))).sum()
    # chi-square with 4 df: P(> 18.47) = 0.001
    check(l_d.sum() > 0 and chi2 > 18.47,
          "late shipments exist and their rate depends on the depot (chi-square test, 4 df)",
          "late rate by depot: %s, chi2 = %.1f" % (", ".join("%.3f" % v for v in l_d / n_d), chi2))
    bo = q1("""WITH o AS (SELECT o.order_id, bool_or(s.on_hand = 0) AS out_of_stock,
                                 bool_or(sh.delivered_time::date > sh.promised_date) AS late
                            FROM S.orders o JOIN S.order_items i USING (order_id)
                            JOIN S.inventory_snapshots s ON s.product_id = i.product_id AND s.snapshot_date = o.order_time::date
                            JOIN S.shipments sh USING (order_id) WHERE sh.delivered_time IS NOT NULL GROUP BY 1)
               SELECT avg(late::int) FILTER (WHERE out_of_stock), count(*) FILTER (WHERE out_of_stock),
                      avg(late::int) FILTER (WHERE NOT out_of_stock), count(*) FILTER (WHERE NOT out_of_stock) FROM o""")
    p1, n1, p2, n2 = float(bo[0]), bo[1], float(bo[2]), bo[3]
    z = (p1 - p2) / math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    check(z > 4, "lateness depends on the product: orders with an item out of stock that day are late more often",
          "late rate %.3f (n=%d) vs %.3f (n=%d), z = %.1f" % (p1, n1, p2, n2, z))
    ret = q("""SELECT p.category, count(*), count(r.order_id) FROM S.order_items i JOIN S.products p USING (product_id)
                 JOIN S.shipments s USING (order_id) LEFT JOIN S.returns r USING (order_id, product_id)
                WHERE s.delivered_time IS NOT NULL GROUP BY 1 ORDER BY 1""")
    rn = np.array([r[1] for r in ret], float)
    rr = np.array([r[2] for r in ret], float)
    pooled = rr.sum() / rn.sum()
    chi2 = (((rr - rn * pooled) ** 2) / (rn * pooled * (1 - pooled))).sum()
    check(chi2 > 3 * len(ret), "return rates depend on the category (chi-square far above its degrees of freedom)",
          "chi2 = %.0f with %d df; fashion %.3f vs grocery %.3f"
          % (chi2, len(ret) - 1, *(float(r[2]) / r[1] for r in ret if r[0] in ("fashion", "grocery"))))
    rv = q1("""WITH bought AS (
                   SELECT o.customer_id, i.product_id, bool_or(s.delivered_time::date > s.promised_date) AS late
                     FROM S.orders o JOIN S.order_items i USING (order_id) JOIN S.shipments s USING (order_id)
                    WHERE s.delivered_time IS NOT NULL GROUP BY 1, 2)
               SELECT avg(r.rating) FILTER (WHERE late), stddev(r.rating) FILTER (WHERE late), count(*) FILTER (WHERE late),
                      avg(r.rating) FILTER (WHERE NOT late), stddev(r.rating) FILTER (WHERE NOT late),
                      count(*) FILTER (WHERE NOT late)
                 FROM S.reviews r JOIN bought b USING (customer_id, product_id)""")
    m1, s1, c1, m2, s2, c2 = (float(v) for v in rv)
    z = (m2 - m1) / math.sqrt(s1 ** 2 / c1 + s2 ** 2 / c2)
    check(z > 4, "reviews rate late deliveries lower (ratings 1-5 depend on lateness)",
          "mean rating %.2f late (n=%d) vs %.2f on time (n=%d), z = %.1f" % (m1, c1, m2, c2, z))
    q_rating = q1("""SELECT corr(a.avg_rating, b.return_rate) FROM
                       (SELECT product_id, avg(rating) AS avg_rating FROM S.reviews GROUP BY 1 HAVING count(*) >= 20) a
                       JOIN (SELECT i.product_id, count(r.order_id)::float8 / count(*) AS return_rate
                               FROM S.order_items i LEFT JOIN S.returns r USING (order_id, product_id) GROUP BY 1) b
                       USING (product_id)""")[0]
    check(q_rating is not None and q_rating < -0.1,
          "product quality drives both: products rated higher are returned less",
          "correlation of mean rating and return rate across products %.3f" % (q_rating or float("nan")))

    # --- marketing, events, experiment ---------------------------------------------------------------------------------
    mk = q1("""SELECT count(*), count(*) FILTER (WHERE clicks > impressions OR spend < 0), min(r) FROM (
                   SELECT m.*, corr(m.spend, coalesce(o.n, 0)) OVER (PARTITION BY m.channel) AS r
                     FROM S.marketing_spend m
                     LEFT JOIN (SELECT order_time::date AS day, channel, count(*) AS n FROM S.orders GROUP BY 1, 2) o
                       USING (day, channel)) m""")
    check(mk[0] == DAYS * 4 and mk[1] == 0 and mk[2] > 0.5,
          "marketing_spend has one row per day and paid channel, clicks <= impressions, spend follows the "
          "channel's orders",
          "%d rows, %d inconsistent, lowest within-channel corr(spend, orders) = %.2f" % mk)
    tp = q1("""SELECT count(*), count(*) FILTER (WHERE preceded),
                      (SELECT count(*) FROM S.touchpoints)::float8 / (SELECT count(*) FROM S.orders)
                 FROM (SELECT o.order_id, bool_or(t.customer_id IS NOT NULL) AS preceded
                         FROM S.orders o LEFT JOIN S.touchpoints t
                           ON t.customer_id = o.customer_id AND t.channel = o.channel
                          AND t.touch_time BETWEEN o.order_time - interval '31 minutes' AND o.order_time
                        WHERE o.order_id %% 10 = 0 AND o.order_time >= %s::date + 1 GROUP BY 1) x""", START)
    check(tp[0] > 0 and tp[1] == tp[0] and tp[2] > 1.5,
          "every order is preceded by a touchpoint in its channel (last touch; sample of 10%), a few touches per order",
          "%d of %d orders; %.2f touchpoints per order" % (tp[1], tp[0], tp[2]))
    ev = q1("""SELECT (SELECT count(*) FROM S.events WHERE event_type = 'purchase'),
                      (SELECT count(*) FROM S.order_items),
                      (SELECT count(*) FROM S.events e WHERE event_type = 'purchase' AND NOT EXISTS (
                          SELECT 1 FROM S.orders o JOIN S.order_items i USING (order_id)
                           WHERE o.customer_id = e.customer_id AND o.order_time = e.event_time AND i.product_id = e.product_id)),
                      (SELECT count(*) FROM S.events WHERE event_type = 'cart')""")
    abandonment = 1 - ev[0] / ev[3]
    check(ev[0] == ev[1] and ev[2] == 0 and 0.05 < abandonment < 0.9,
          "events: one purchase event per order line at the order time; carts are abandoned",
          "purchase events %d, order lines %d, unmatched %d, carts %d, cart abandonment %.3f" % (ev + (abandonment,)))
    ab = q("""SELECT e.variant, count(*),
                     count(*) FILTER (WHERE EXISTS (SELECT 1 FROM S.orders o WHERE o.customer_id = e.customer_id
                                                      AND o.order_time = e.assigned_at))
                FROM S.experiments e GROUP BY 1 ORDER BY 1""")
    (vc, nc, cc), (vt, nt, ct) = ab
    pc, pt = cc / nc, ct / nt
    z = (pt - pc) / math.sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt)
    exp_c = 1 / (1 + ABANDON_RATIO)
    exp_t = 1 / (1 + ABANDON_RATIO * (1 - TREATMENT_CUT))
    zc = (pc - exp_c) / math.sqrt(exp_c * (1 - exp_c) / nc)
    zt = (pt - exp_t) / math.sqrt(exp_t * (1 - exp_t) / nt)
    check(vc == "control" and vt == "treatment" and z > 4 and abs(zc) < 4 and abs(zt) < 4,
          "A/B test with a real lift: enrolment sessions convert at 1/1.8 (control) vs 1/1.52 (treatment)",
          "control %.4f (n=%d, expected %.4f), treatment %.4f (n=%d, expected %.4f), z(lift) = %.1f"
          % (pc, nc, exp_c, pt, nt, exp_t, z))

    # --- determinism ---------------------------------------------------------------------------------------------------
    def srf_md5(seed):
        return q1("""SELECT md5(string_agg(x::text, ',' ORDER BY x.order_id, x.product_id))
                       FROM supplymkt.demo_relation('order_items', 300, 40, 90, %s, '2024-01-01')
                            AS x(order_id bigint, product_id bigint, quantity int, unit_price numeric)""", seed)[0]
    first, again, other = srf_md5(11), srf_md5(11), srf_md5(12)
    table = q1("SELECT md5(string_agg(x::text, ',' ORDER BY x.order_id, x.product_id)) FROM S.order_items x")[0]
    srf = q1("""SELECT md5(string_agg(x::text, ',' ORDER BY x.order_id, x.product_id))
                  FROM supplymkt.demo_relation('order_items', %s, %s, %s, %s, %s)
                       AS x(order_id bigint, product_id bigint, quantity int, unit_price numeric)""",
             CUSTOMERS, PRODUCTS, DAYS, SEED, START)[0]
    check(first == again and first != other and srf == table,
          "same seed gives byte-identical rows in separate transactions, another seed other rows, "
          "and demo_relation returns exactly the table's rows")

    cur.execute("DROP SCHEMA %s CASCADE" % SCHEMA)
    con.close()
    failed = results.count(False)
    print("# %d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
