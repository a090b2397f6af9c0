#!/usr/bin/python3
"""test/replenishment_oracle.py — replenishment_plan (src/inventory/plan.c, GLPK) against independent answers.

Each product i: normal demand (mean, sd), stock on hand a, unit cost c, holding h, shortage p; the exact
expected cost of ordering q is C_i(q) = h E[(a + q - D)+] + p E[(D - a - q)+] (scipy.stats.norm through the
loss function, and checked once against numerical integration).  References:
1. No budget: every order is the newsvendor order max(0, mean + sd z(p / (p + h)) - a) (1e-9).
2. A budget B (LP): the exact optimum of min sum C_i(q_i) s.t. sum c_i q_i <= B, q_i >= 0, from its KKT
   conditions: q_i(lam) = max(0, F_i^-1((p - lam c_i) / (p + h)) - a) with lam >= 0 found by bisection so that
   the budget is spent (brentq).  The plan's exact expected cost must be within 0.5% of that optimum with the
   default 24 segments and within 0.02% with 200; its budget shadow price within 3% of lam (200 segments);
   the budget binding and spent.
3. A capacity instead (sum v_i (a_i + q_i) <= Cap): the same with v_i in place of c_i.
4. Packs and minimum orders (MIP), small instances: brute force over every combination of whole packs (and 0
   or >= minimum) with exact costs; the plan's exact cost within 0.5% of the brute-force optimum and every
   order a whole number of packs, 0 or at least the minimum, within budget.
5. Scale: 2,000 products with a budget solve (status optimal) and match the KKT optimum within 0.5%.
Reads libpq's environment (PGDATABASE with CREATE EXTENSION supplymkt done); TAP on stdout.
"""
import itertools
import json
import math
import os
import sys

import numpy as np
import psycopg2
from scipy import integrate, optimize, stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402 (test/tap.py, beside this file)

conn = psycopg2.connect('')
conn.autocommit = True
cur = conn.cursor()
tap = Tap(limit=8)
check = tap.check


def cost(q, a, mean, sd, h, p):
    """Exact expected holding + shortage cost of ordering q (normal demand)."""
    s = a + q
    if sd == 0:
        return h * max(s - mean, 0) + p * max(mean - s, 0)
    z = (s - mean) / sd
    short = sd * (stats.norm.pdf(z) - z * stats.norm.sf(z))
    return h * (s - mean + short) + p * short


def plan(products, budget=None, capacity=None, segments=24, packs=None, moqs=None, volumes=None):
    """Runs replenishment_plan over the products (list of dicts); returns the jsonb as a dict."""
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS rp_in (product_id bigint, mean float8, sd float8, on_hand float8, "
                "cost float8, h float8, p float8, pack float8, moq float8, volume float8)")
    cur.execute("TRUNCATE rp_in")
    rows = []
    for k, x in enumerate(products):
        rows.append((x["id"], x["mean"], x["sd"], x["a"], x["c"], x["h"], x["p"],
                     (packs or {}).get(x["id"], 0), (moqs or {}).get(x["id"], 0), (volumes or {}).get(x["id"], 0)))
    cur.executemany("INSERT INTO rp_in VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
    cur.execute("SELECT supplymkt.replenishment_plan(product_id, mean, sd, on_hand, cost, h, p, pack, moq, volume, "
                "supplymkt.replenishment_options(budget => %s, capacity => %s, segments => %s)) FROM rp_in",
                (-1 if budget is None else budget, -1 if capacity is None else capacity, segments))
    j = cur.fetchone()[0]
    return j if isinstance(j, dict) else json.loads(j)


def newsvendor(x):
    return max(0.0, x["mean"] + x["sd"] * stats.norm.ppf(x["p"] / (x["p"] + x["h"])) - x["a"])


def kkt(products, weight, limit):
    """Exact optimum under sum weight_i q_i <= limit: (orders, total cost, lam)."""
    def orders(lam):
        out = []
        for x in products:
            r = (x["p"] - lam * weight(x)) / (x["p"] + x["h"])
            out.append(0.0 if r <= 0 else max(0.0, x["mean"] + x["sd"] * stats.norm.ppf(r) - x["a"]))
        return out

    def spend(lam):
        return sum(weight(x) * q for x, q in zip(products, orders(lam))) - limit

    if spend(0.0) <= 0:
        lam = 0.0
    else:
        hi = max(x["p"] / weight(x) for x in products if weight(x) > 0)
        lam = optimize.brentq(spend, 0.0, hi, xtol=1e-14, rtol=1e-14)
    q = orders(lam)
    return q, sum(cost(qi, x["a"], x["mean"], x["sd"], x["h"], x["p"]) for qi, x in zip(q, products)), lam


rng = np.random.default_rng(2026)


def random_products(n, start=1):
    out = []
    for i in range(n):
        mean = float(rng.uniform(5, 500))
        out.append({"id": start + i, "mean": mean, "sd": float(mean * rng.uniform(0.05, 0.6)),
                    "a": float(rng.uniform(0, mean)), "c": float(rng.uniform(1, 50)),
                    "h": float(rng.uniform(0.1, 3)), "p": float(rng.uniform(2, 30))})
    return out


# 0. the cost formula of this oracle against numerical integration
x = {"mean": 100.0, "sd": 20.0, "a": 10.0, "h": 0.5, "p": 4.0}
num = integrate.quad(lambda d: (0.5 * max(10 + 70 - d, 0) + 4 * max(d - 80, 0)) * stats.norm.pdf(d, 100, 20),
                     -100, 300, epsabs=1e-12, limit=200)[0]
check(abs(num - cost(70, 10, 100, 20, 0.5, 4)) < 1e-8, "the oracle's expected cost equals numerical integration",
      ["quad %.12g, formula %.12g" % (num, cost(70, 10, 100, 20, 0.5, 4))])

# 1. no budget: the newsvendor orders
prods = random_products(40)
j = plan(prods)
got = {o["product_id"]: o["order_qty"] for o in j["orders"]}
bad = ["product %d: plan %r, newsvendor %r" % (x["id"], got[x["id"]], newsvendor(x)) for x in prods
       if abs(got[x["id"]] - newsvendor(x)) > 1e-9 * (1 + newsvendor(x))]
check(not bad and j["status"] == "optimal" and j["binding"] == [],
      "no budget: 40 products, each order = its newsvendor order (1e-9)", bad)

# 2. budget: the KKT optimum
for segments, tol, dual_tol in ((24, 5e-3, None), (200, 2e-4, 0.03)):
    spend_all = sum(x["c"] * newsvendor(x) for x in prods)
    budget = 0.4 * spend_all
    q_opt, c_opt, lam = kkt(prods, lambda x: x["c"], budget)
    j = plan(prods, budget=budget, segments=segments)
    rel = (j["expected_cost"] - c_opt) / c_opt
    details = ["plan expected cost %.6f, KKT optimum %.6f (%+.3g%%), lam %.6g, shadow price %r, used %r of %r"
               % (j["expected_cost"], c_opt, 100 * rel, lam, j["budget_shadow_price"], j["budget_used"], budget)]
    ok = -1e-9 <= rel < tol and j["binding"] == ["budget"] and abs(j["budget_used"] - budget) < 1e-6 * budget
    if dual_tol is not None:
        ok = ok and abs(j["budget_shadow_price"] - lam) < dual_tol * lam
    check(ok, "budget at 40%% of the unconstrained spend, %d segments: exact cost within %.2g%% of the KKT "
          "optimum, budget binding and spent%s" % (segments, 100 * tol,
                                                   ", shadow price within 3% of the multiplier" if dual_tol else ""),
          details)

# 3. capacity
volumes = {x["id"]: float(rng.uniform(0.1, 2)) for x in prods}
on_hand_volume = sum(volumes[x["id"]] * x["a"] for x in prods)
full = sum(volumes[x["id"]] * newsvendor(x) for x in prods)
cap = on_hand_volume + 0.5 * full
q_opt, c_opt, lam = kkt(prods, lambda x: volumes[x["id"]], 0.5 * full)
j = plan(prods, capacity=cap, segments=200, volumes=volumes)
rel = (j["expected_cost"] - c_opt) / c_opt
check(-1e-9 <= rel < 2e-4 and j["binding"] == ["capacity"] and abs(j["capacity_shadow_price"] - lam) < 0.03 * lam,
      "capacity (volume x (on_hand + order)) at half the extra space: exact cost within 0.02% of the KKT "
      "optimum, capacity binding, shadow price within 3%",
      ["plan %.6f, optimum %.6f (%+.3g%%), lam %.6g, shadow %r" % (j["expected_cost"], c_opt, 100 * rel, lam,
                                                                    j["capacity_shadow_price"])])

# 4. packs and minimum orders: brute force
bad = []
for trial in range(6):
    small = random_products(3, start=100 + 10 * trial)
    for x in small:                      # small enough to enumerate every order
        x["mean"] = x["mean"] / 10
        x["sd"] = x["sd"] / 10
        x["a"] = x["a"] / 10
    packs = {x["id"]: float(rng.choice([2, 5, 6, 12])) for x in small}
    moqs = {x["id"]: float(rng.choice([0, 0, 10, 20])) for x in small}
    budget = 0.5 * sum(x["c"] * newsvendor(x) for x in small) + 1
    j = plan(small, budget=budget, segments=200, packs=packs, moqs=moqs)
    choices = []
    for x in small:
        top = int(math.ceil((newsvendor(x) + packs[x["id"]] + moqs[x["id"]]) / packs[x["id"]])) + 1
        choices.append([n * packs[x["id"]] for n in range(top + 1)
                        if n == 0 or n * packs[x["id"]] >= moqs[x["id"]]])
    best = math.inf
    for combo in itertools.product(*choices):
        if sum(x["c"] * q for x, q in zip(small, combo)) <= budget * (1 + 1e-12):
            best = min(best, sum(cost(q, x["a"], x["mean"], x["sd"], x["h"], x["p"]) for q, x in zip(combo, small)))
    got = {o["product_id"]: o["order_qty"] for o in j["orders"]}
    rules = all(abs(got[x["id"]] / packs[x["id"]] - round(got[x["id"]] / packs[x["id"]])) < 1e-9 and
                (got[x["id"]] == 0 or got[x["id"]] >= moqs[x["id"]] - 1e-9) for x in small)
    rel = (j["expected_cost"] - best) / best
    if not (rules and j["budget_used"] <= budget * (1 + 1e-9) and -1e-9 <= rel < 5e-3 and "MIP" in j["solver"]):
        bad.append("trial %d: plan cost %.6f, brute force %.6f (%+.3g%%), orders %r, packs %r, moq %r, status %s"
                   % (trial, j["expected_cost"], best, 100 * rel, got, packs, moqs, j["status"]))
check(not bad, "packs and minimum orders (6 MIPs of 3 products): whole packs, 0 or >= minimum, within budget, "
      "exact cost within 0.5% of the brute-force optimum", bad)

# 5. scale
big = random_products(2000, start=10000)
budget = 0.3 * sum(x["c"] * newsvendor(x) for x in big)
q_opt, c_opt, lam = kkt(big, lambda x: x["c"], budget)
j = plan(big, budget=budget)
rel = (j["expected_cost"] - c_opt) / c_opt
check(j["status"] == "optimal" and -1e-9 <= rel < 5e-3 and j["products"] == 2000,
      "2,000 products with a budget: optimal, exact cost within 0.5% of the KKT optimum",
      ["plan %.4f, optimum %.4f (%+.3g%%)" % (j["expected_cost"], c_opt, 100 * rel)])
tap.finish()
