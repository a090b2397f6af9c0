#!/usr/bin/python3
"""test/supply_oracle.py — numeric oracle for the supply metrics (src/supply/, src/sql/supply.sql).

Generates random data with numpy (fixed seed; shapes: small n, n = 1, all NULL, all zero, no rows, ~100k rows
in 40 groups, and values spanning 16 orders of magnitude), loads it into a table, and compares every supply
aggregate and function with an independent computation of its documented definition (numpy, with exact
math.fsum / 80-bit long double sums, so the reference's own rounding is negligible).  Aggregates are checked
ungrouped, grouped serially, grouped under a forced parallel plan (Partial/Finalize Aggregate: the combine
functions), and through a Citus-style round trip (partial states per shard -> text -> combine -> final).
Documented error cases are checked for their SQLSTATE.

Reads the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE: supplymkt already created) and prints TAP.

Tolerance: relative 1e-12 everywhere.  Our C sums naively in row order while the reference sums exactly;
for n = 1e5 non-negative terms the naive sum's relative error is bounded by n * 2^-53 ~ 1e-11 in the worst
case and is ~sqrt(n) * 2^-53 ~ 4e-14 in practice (random rounding), so 1e-12 leaves a 25x margin while
still catching any wrong formula, wrong denominator, or one row too many or too few (1e-5 for n = 1e5).
Results that are exact by construction (counts, ratios of counts, classes) are compared exactly.  Largest
error observed: 2.1e-13, in effective_categories = exp(shannon) over 5,000 categories (exp turns Shannon's
absolute error into a relative one, i.e. multiplies its relative error by shannon ~ 8.5); deterministic, since
the category counts are integers and the final function sums them in hash-key order.
"""
import datetime
import io
import math
import os
import sys

import numpy as np
import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402 (test/tap.py, beside this file)

RTOL = 1e-12
SEED = 20240517
TABLE = "supply_oracle_data"
NGROUPS = 40
NSHARDS = 8
EPOCH = datetime.date(2020, 1, 1)

# ------------------------------------------------------------------------------------------------------------
# TAP
# ------------------------------------------------------------------------------------------------------------
tap = Tap(limit=50)
check, finish = tap.check, tap.finish


def close(got, want, rtol=RTOL):
    """Both NULL, or both numbers within rtol (relative); exact zero wants exact zero."""
    if want is None or got is None:
        return want is None and got is None
    if isinstance(want, (int, str)) and not isinstance(want, bool) and isinstance(got, type(want)):
        return got == want
    want = float(want)
    got = float(got)
    if want == 0.0:
        return got == 0.0
    return abs(got - want) <= rtol * abs(want)


def compare_rows(got, want, rtol=RTOL, limit=5):
    """Compares {key: tuple} maps; returns a list of mismatch descriptions (empty when equal)."""
    bad = []
    if set(got) != set(want):
        bad.append("keys differ: missing %s, extra %s" % (sorted(set(want) - set(got))[:5],
                                                          sorted(set(got) - set(want))[:5]))
    for k in sorted(set(got) & set(want), key=str):
        g, w = got[k], want[k]
        if not isinstance(w, tuple):
            g, w = (g,), (w,)
        for i, (gi, wi) in enumerate(zip(g, w)):
            if not close(gi, wi, rtol):
                rel = ""
                if gi is not None and wi not in (None, 0) and not isinstance(wi, str):
                    rel = " (rel err %.3g)" % (abs(float(gi) - float(wi)) / abs(float(wi)))
                bad.append("%s field %d: got %r, want %r%s" % (k, i, gi, wi, rel))
    return bad[:limit] + (["... %d more" % (len(bad) - limit)] if len(bad) > limit else [])


# ------------------------------------------------------------------------------------------------------------
# Reference definitions (independent of the C code: exact sums, straight from the COMMENT ON texts)
# ------------------------------------------------------------------------------------------------------------
def fsum(x):
    return math.fsum(np.asarray(x, dtype=np.float64).tolist())


def ref_turnover(cogs, inv):
    """sum(cogs) / avg(inventory_value), each column skipping its own NULLs; NULL for no rows or avg 0."""
    c = cogs[~np.isnan(cogs)]
    v = inv[~np.isnan(inv)]
    if len(c) == 0 or len(v) == 0:
        return None
    avg = fsum(v) / len(v)
    if avg == 0:
        return None
    return fsum(c) / avg


def ref_stockout(on_hand):
    """Share of non-NULL snapshots with on_hand <= 0."""
    x = on_hand[~np.isnan(on_hand)]
    if len(x) == 0:
        return None
    return int(np.count_nonzero(x <= 0)) / len(x)


def ref_fill(demanded, fulfilled):
    """sum(least(fulfilled, demanded)) / sum(demanded) over lines with both non-NULL; NULL if sum is 0."""
    m = ~np.isnan(demanded) & ~np.isnan(fulfilled)
    d = demanded[m]
    f = fulfilled[m]
    sd = fsum(d)
    if len(d) == 0 or sd == 0:
        return None
    return fsum(np.minimum(f, d)) / sd


def ref_sell_through(sold, received, opening=None):
    """sum(sold) / (sum(opening) + sum(received)) over the rows with every value known (as fill_rate);
    NULL when no units were available."""
    cols = [sold, received] + ([] if opening is None else [opening])
    keep = np.all([~np.isnan(c) for c in cols], axis=0) if len(sold) else np.zeros(0, bool)
    available = fsum(received[keep]) + (0.0 if opening is None else fsum(opening[keep]))
    if available == 0:
        return None
    return fsum(sold[keep]) / available


def ref_renewal(listed, start, end):
    """Items listed by period_end; share of them first listed in [start, end]. listed: day numbers, -1 NULL."""
    x = listed[listed >= 0]
    assortment = x[x <= end]
    if len(assortment) == 0:
        return None
    return int(np.count_nonzero(assortment >= start)) / len(assortment)


def ref_cv(qty):
    """Sample standard deviation (ddof = 1) over the mean, in 80-bit long double; NULL for n < 2 or mean 0."""
    x = qty[~np.isnan(qty)].astype(np.longdouble)
    if len(x) < 2:
        return None
    mean = x.sum() / len(x)
    if mean == 0:
        return None
    sd = np.sqrt(((x - mean) ** 2).sum() / (len(x) - 1))
    return float(sd / mean)


def ref_diversity(categories):
    """(categories, items, Shannon (ln), Gini-Simpson, HHI, exp(Shannon), evenness) of non-NULL categories."""
    cats = [c for c in categories if c is not None]
    if not cats:
        return (None,) * 7
    _, counts = np.unique(np.array([c.encode("utf-8") for c in cats], dtype=object), return_counts=True)
    n = len(cats)
    p = counts.astype(np.longdouble) / n
    shannon = float(-(p * np.log(p)).sum())
    hhi = float((p * p).sum())
    k = len(counts)
    return (k, n, shannon, 1.0 - hhi, hhi, math.exp(shannon), shannon / math.log(k) if k > 1 else None)


AGGREGATES = ["turnover", "stockout", "fill_rate", "sell_through", "sell_through_stock", "renewal", "demand_cv",
              "diversity"]

# SQL expression of each aggregate (renewal's period is a function of the group key g; 'p' = period).
SQL_AGG = {
    "turnover": "supplymkt.inventory_turnover(cogs, inv)",
    "stockout": "supplymkt.stockout_rate(on_hand)",
    "fill_rate": "supplymkt.fill_rate(demanded, fulfilled)",
    "sell_through": "supplymkt.sell_through_rate(sold, received)",
    "sell_through_stock": "supplymkt.sell_through_rate(sold, demanded, received)",
    "renewal": "supplymkt.renewal_rate(first_listed, %(ps)s, %(pe)s)",
    "demand_cv": "supplymkt.demand_cv(qty)",
    "diversity": "supplymkt.assortment_diversity(category)",
}


def ref_agg(name, d, period):
    if name == "turnover":
        return ref_turnover(d["cogs"], d["inv"])
    if name == "stockout":
        return ref_stockout(d["on_hand"])
    if name == "fill_rate":
        return ref_fill(d["demanded"], d["fulfilled"])
    if name == "sell_through":
        return ref_sell_through(d["sold"], d["received"])
    if name == "sell_through_stock":     # the retail form, with demanded standing in for opening stock
        return ref_sell_through(d["sold"], d["received"], d["demanded"])
    if name == "renewal":
        return ref_renewal(d["listed"], period[0], period[1])
    if name == "demand_cv":
        return ref_cv(d["qty"])
    if name == "diversity":
        return ref_diversity(d["category"])
    raise ValueError(name)


# ------------------------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------------------------
rng = np.random.default_rng(SEED)
CATEGORIES = ["electronics", "garden", "toys", "books", "food", "", "a", "A", "Äpfel", "café", "日本語",
              "x" * 300, "home", "sports", "beauty", "auto", "pets", "music", "office", "baby", "tools",
              "shoes", "bags", "games", "health", "kitchen", "outdoor", "craft", "party", "travel"]


def with_nulls(x, frac):
    x = x.astype(np.float64)
    x[rng.random(len(x)) < frac] = np.nan
    return x


def make_dataset(n, kind):
    """Columns as numpy arrays (NaN = NULL for floats, -1 = NULL for dates, None for text)."""
    d = {"g": rng.integers(0, NGROUPS, n)}
    if kind == "normal":
        d["cogs"] = with_nulls(rng.lognormal(3, 1.5, n), 0.03)
        d["inv"] = with_nulls(rng.lognormal(5, 1, n), 0.03)
        oh = rng.integers(-5, 60, n).astype(np.float64)
        frac = rng.random(n) < 0.1
        oh[frac] += rng.random(int(frac.sum())) - 0.5   # some fractional, some in (-0.5, 0.5)
        d["on_hand"] = with_nulls(oh, 0.02)
        dem = rng.integers(0, 20, n).astype(np.float64)
        d["demanded"] = with_nulls(dem, 0.03)
        d["fulfilled"] = with_nulls(np.maximum(dem + rng.integers(-6, 4, n), 0), 0.03)  # some over-delivered
        d["sold"] = with_nulls(rng.lognormal(2, 1, n), 0.03)
        rec = rng.lognormal(2.2, 1, n)
        rec[rng.random(n) < 0.1] = 0.0
        d["received"] = with_nulls(rec, 0.03)
        d["qty"] = with_nulls(rng.poisson(rng.choice([0.3, 3.0, 40.0], n)).astype(np.float64), 0.02)
        listed = rng.integers(0, 5 * 365, n)
        listed[rng.random(n) < 0.02] = -1
        d["listed"] = listed
        p = 1.0 / np.arange(1, len(CATEGORIES) + 1) ** 1.1
        cats = rng.choice(len(CATEGORIES), n, p=p / p.sum())
        d["category"] = [None if rng.random() < 0.02 else CATEGORIES[c] for c in cats]
    elif kind == "magnitudes":
        def mag():
            return 10.0 ** rng.uniform(-8, 8, n)
        d["cogs"], d["inv"], d["sold"], d["received"], d["qty"] = mag(), mag(), mag(), mag(), mag()
        d["demanded"] = mag()
        d["fulfilled"] = d["demanded"] * rng.uniform(0.5, 1.5, n)
        oh = mag() * rng.choice([-1.0, 1.0], n)
        oh[rng.random(n) < 0.05] = 0.0
        d["on_hand"] = oh
        d["listed"] = rng.integers(0, 5 * 365, n)
        d["category"] = ["c%d" % c for c in rng.integers(0, 5000, n)]
    elif kind == "allnull":
        for c in ("cogs", "inv", "on_hand", "demanded", "fulfilled", "sold", "received", "qty"):
            d[c] = np.full(n, np.nan)
        d["listed"] = np.full(n, -1)
        d["category"] = [None] * n
    elif kind == "zeros":
        # zero denominators everywhere: avg inventory 0, nothing demanded/received, zero mean demand,
        # everything stocked out, a single category (evenness NULL), nothing listed by period_end
        d["cogs"] = rng.lognormal(3, 1, n)
        d["inv"] = np.zeros(n)
        d["on_hand"] = np.zeros(n)
        d["demanded"] = np.zeros(n)
        d["fulfilled"] = rng.integers(0, 5, n).astype(np.float64)
        d["sold"] = rng.lognormal(1, 1, n)
        d["received"] = np.zeros(n)
        d["qty"] = np.zeros(n)
        d["listed"] = np.full(n, 5 * 365 + 100)
        d["category"] = ["only"] * n
    else:
        raise ValueError(kind)
    return d


DATASETS = {
    "large": make_dataset(100_000, "normal"),
    "magnitudes": make_dataset(20_000, "magnitudes"),
    "small": make_dataset(7, "normal"),
    "one": make_dataset(1, "normal"),
    "allnull": make_dataset(6, "allnull"),
    "zeros": make_dataset(9, "zeros"),
}
# One row that is NULL in every column but one per column, so "each column skips its own NULLs" matters
# even in the small data set.
DATASETS["small"]["inv"][0] = np.nan
DATASETS["small"]["cogs"][1] = np.nan
DATASETS["small"]["fulfilled"][2] = np.nan
DATASETS["small"]["received"][3] = np.nan


def period_of(g):
    """Renewal period of group g (day numbers since EPOCH): grouped queries use a different period per g."""
    start = 3 * 365 + 10 * int(g)
    return start, start + 90 + int(g)


UNGROUPED_PERIOD = (4 * 365, 4 * 365 + 180)
COLUMNS = ["ds", "g", "rid", "cogs", "inv", "on_hand", "demanded", "fulfilled", "sold", "received", "qty",
           "first_listed", "category"]


def copy_text(name, d):
    """COPY text rows; floats in repr form (shortest round-trip, read back exactly by float8in)."""
    out = io.StringIO()
    n = len(d["g"])

    def f(v):
        return "\\N" if np.isnan(v) else repr(float(v))

    for i in range(n):
        li = int(d["listed"][i])
        cat = d["category"][i]
        row = [name, str(int(d["g"][i])), str(i)] + \
            [f(d[c][i]) for c in ("cogs", "inv", "on_hand", "demanded", "fulfilled", "sold", "received", "qty")] + \
            ["\\N" if li < 0 else (EPOCH + datetime.timedelta(days=li)).isoformat(),
             "\\N" if cat is None else cat.replace("\\", "\\\\")]
        out.write("\t".join(row) + "\n")
    out.seek(0)
    return out


def subset(d, mask):
    return {k: (np.asarray(v, dtype=object)[mask].tolist() if k == "category" else v[mask]) for k, v in d.items()}


def date_sql(day):
    return "date '%s'" % (EPOCH + datetime.timedelta(days=int(day))).isoformat()


# ------------------------------------------------------------------------------------------------------------
# Database helpers
# ------------------------------------------------------------------------------------------------------------
conn = psycopg2.connect("")
conn.autocommit = True
cur = conn.cursor()


def q(sql, args=None):
    cur.execute(sql, args)
    return cur.fetchall()


def sqlstate_of(sql, args=None):
    """SQLSTATE the statement raises, or None when it succeeds."""
    try:
        cur.execute(sql, args)
        if cur.description:
            cur.fetchall()
        return None
    except psycopg2.Error as e:
        return e.pgcode


def check_error(desc, cases):
    """cases: [(sql, expected SQLSTATE)]; one TAP check for the lot."""
    bad = []
    for sql, want in cases:
        got = sqlstate_of(sql)
        if got != want:
            bad.append("%s: got SQLSTATE %s, want %s" % (sql, got, want))
    check(not bad, desc, *bad)


def agg_select(names, period_expr):
    """Select list of the aggregates, diversity expanded into its seven fields."""
    ps, pe = period_expr
    parts = []
    for a in names:
        e = SQL_AGG[a] % {"ps": ps, "pe": pe}
        if a == "diversity":
            parts += ["(%s).%s" % (e, f) for f in
                      ("categories", "items", "shannon", "simpson", "hhi", "effective_categories", "evenness")]
        else:
            parts.append(e)
    return ", ".join(parts)


def unpack(row):
    """Splits a result row (in AGGREGATES order) into {aggregate: value}."""
    out = {}
    i = 0
    for a in AGGREGATES:
        if a == "diversity":
            out[a] = tuple(row[i:i + 7])
            i += 7
        else:
            out[a] = row[i]
            i += 1
    return out


def grouped_period_sql():
    """SQL for period_of(g): start = 3*365 + 10 g, end = start + 90 + g."""
    base = period_of(0)[0]
    return ("(date '%s' + (%d + 10 * g))" % (EPOCH.isoformat(), base),
            "(date '%s' + (%d + 11 * g))" % (EPOCH.isoformat(), base + 90))


# ------------------------------------------------------------------------------------------------------------
# Load
# ------------------------------------------------------------------------------------------------------------
cur.execute("DROP TABLE IF EXISTS %s" % TABLE)
cur.execute("""CREATE TABLE %s (ds text, g int, rid int, cogs float8, inv float8, on_hand float8,
               demanded float8, fulfilled float8, sold float8, received float8, qty float8,
               first_listed date, category text)""" % TABLE)
for name, d in DATASETS.items():
    cur.copy_expert("COPY %s FROM STDIN" % TABLE, copy_text(name, d))
cur.execute("ANALYZE %s" % TABLE)
n_loaded = q("SELECT count(*) FROM %s" % TABLE)[0][0]
check(n_loaded == sum(len(d["g"]) for d in DATASETS.values()), "data loaded (%d rows)" % n_loaded)

# ------------------------------------------------------------------------------------------------------------
# 1. Ungrouped aggregates over each data set (and over no rows at all)
# ------------------------------------------------------------------------------------------------------------
cur.execute("SET max_parallel_workers_per_gather = 0")
up = (date_sql(UNGROUPED_PERIOD[0]), date_sql(UNGROUPED_PERIOD[1]))
got_ds = {r[0]: unpack(r[1:]) for r in q("SELECT ds, %s FROM %s GROUP BY ds" % (agg_select(AGGREGATES, up), TABLE))}
got_ds["empty"] = unpack(q("SELECT %s FROM %s WHERE false" % (agg_select(AGGREGATES, up), TABLE))[0])
want_ds = {name: {a: ref_agg(a, d, UNGROUPED_PERIOD) for a in AGGREGATES} for name, d in DATASETS.items()}
want_ds["empty"] = {a: (None,) * 7 if a == "diversity" else None for a in AGGREGATES}

EDGE = ["small", "one", "allnull", "zeros", "empty"]
for a in AGGREGATES:
    bad = compare_rows({ds: got_ds[ds][a] for ds in EDGE}, {ds: want_ds[ds][a] for ds in EDGE})
    check(not bad, "%s: small n, n = 1, all NULL, zero denominators, no rows" % a, *bad)
    # the edge shapes must actually exercise the NULL and non-NULL paths
for a in AGGREGATES:
    for ds in ("large", "magnitudes"):
        bad = compare_rows({ds: got_ds[ds][a]}, {ds: want_ds[ds][a]})
        check(not bad, "%s: ungrouped over '%s' (%d rows)" % (a, ds, len(DATASETS[ds]["g"])), *bad)

# sanity of the data itself: the edge shapes do produce NULL and non-NULL expectations
nonnull_small = [a for a in AGGREGATES if want_ds["small"][a] not in (None, (None,) * 7)]
null_zero = [a for a in AGGREGATES if a != "diversity" and want_ds["zeros"][a] is None]
check(len(nonnull_small) == len(AGGREGATES) and
      set(null_zero) == {"turnover", "fill_rate", "sell_through", "sell_through_stock", "renewal", "demand_cv"}
      and want_ds["zeros"]["stockout"] == 1.0 and want_ds["zeros"]["diversity"][6] is None,
      "the edge data sets cover non-NULL results and every documented zero-denominator NULL",
      "non-NULL in small: %s; NULL in zeros: %s" % (nonnull_small, null_zero))

# ------------------------------------------------------------------------------------------------------------
# 2. Grouped by g over 'large': serial, then forced parallel (Partial + Finalize Aggregate = combine functions)
# ------------------------------------------------------------------------------------------------------------
big = DATASETS["large"]
want_g = {}
for g in range(NGROUPS):
    sub = subset(big, big["g"] == g)
    want_g[g] = {a: ref_agg(a, sub, period_of(g)) for a in AGGREGATES}
grouped_sql = "SELECT g, %s FROM %s WHERE ds = 'large' GROUP BY g" % (agg_select(AGGREGATES, grouped_period_sql()),
                                                                      TABLE)


def run_grouped(label):
    got = {r[0]: unpack(r[1:]) for r in q(grouped_sql)}
    for a in AGGREGATES:
        bad = compare_rows({g: got[g][a] for g in got}, {g: want_g[g][a] for g in want_g})
        check(not bad, "%s: GROUP BY g over 'large' (%d groups), %s" % (a, NGROUPS, label), *bad)


run_grouped("serial")

for s in ("SET max_parallel_workers_per_gather = 2", "SET parallel_setup_cost = 0", "SET parallel_tuple_cost = 0",
          "SET min_parallel_table_scan_size = 0", "SET enable_hashagg = off"):
    cur.execute(s)
plan = "\n".join(r[0] for r in q("EXPLAIN (COSTS OFF) " + grouped_sql))
check("Partial GroupAggregate" in plan and "Finalize GroupAggregate" in plan,
      "forced parallel plan aggregates partially (the combine functions run)", plan)
run_grouped("parallel (Partial/Finalize GroupAggregate)")
cur.execute("SET enable_hashagg = on")
cur.execute("SET enable_sort = off")
plan_h = "\n".join(r[0] for r in q("EXPLAIN (COSTS OFF) " + grouped_sql))
got_h = {r[0]: unpack(r[1:]) for r in q(grouped_sql)}
bad = []
for a in AGGREGATES:
    bad += compare_rows({g: got_h[g][a] for g in got_h}, {g: want_g[g][a] for g in want_g})
check("Partial HashAggregate" in plan_h and not bad,
      "all aggregates: GROUP BY g over 'large', parallel Partial HashAggregate", plan_h, *bad)
for s in ("RESET ALL", "SET max_parallel_workers_per_gather = 0"):
    cur.execute(s)

# ------------------------------------------------------------------------------------------------------------
# 3. Citus-style: partial state per (g, shard) -> text -> input -> combine -> final, with NULL partials mixed in
# ------------------------------------------------------------------------------------------------------------
STATE = {
    "turnover": ("turnover_state", "inventory_turnover_transfn", "turnover_state_combine",
                 "inventory_turnover_final", "cogs, inv"),
    "stockout": ("stockout_state", "stockout_rate_transfn", "stockout_state_combine", "stockout_rate_final",
                 "on_hand"),
    "fill_rate": ("fill_rate_state", "fill_rate_transfn", "fill_rate_state_combine", "fill_rate_final",
                  "demanded, fulfilled"),
    "sell_through": ("sell_through_state", "sell_through_rate_transfn", "sell_through_state_combine",
                     "sell_through_rate_final", "sold, received"),
    "sell_through_stock": ("sell_through_state", "sell_through_rate_stock_transfn", "sell_through_state_combine",
                           "sell_through_rate_final", "sold, demanded, received"),
    "renewal": ("renewal_state", "renewal_rate_transfn", "renewal_state_combine", "renewal_rate_final",
                "first_listed, %s, %s" % grouped_period_sql()),
    "demand_cv": ("variability_state", "demand_cv_transfn", "variability_state_combine", "demand_cv_final", "qty"),
    "diversity": ("diversity_state", "assortment_diversity_transfn", "diversity_state_combine",
                  "assortment_diversity_final", "category"),
}
ARGTYPES = {"cogs, inv": "float8, float8", "on_hand": "float8", "demanded, fulfilled": "float8, float8",
            "sold, received": "float8, float8", "sold, demanded, received": "float8, float8, float8", "qty": "float8", "category": "text"}
for a in AGGREGATES:
    stype, sfunc, cfunc, ffunc, args = STATE[a]
    argtypes = "date, date, date" if a == "renewal" else ARGTYPES[args]
    cur.execute("CREATE AGGREGATE pg_temp.part_%s(%s) (SFUNC = supplymkt_internal.%s, STYPE = supplymkt.%s)"
                % (a, argtypes, sfunc, stype))
    cur.execute("CREATE AGGREGATE pg_temp.merge_%s(supplymkt.%s) (SFUNC = supplymkt_internal.%s, STYPE = supplymkt.%s)"
                % (a, stype, cfunc, stype))
    final = "supplymkt_internal.%s(pg_temp.merge_%s(p::text::supplymkt.%s ORDER BY shard))" % (ffunc, a, stype)
    if a == "diversity":
        final = "(%s).*" % final
    rows = q("""SELECT g, %s FROM (
                    SELECT g, rid %% %d AS shard, pg_temp.part_%s(%s) AS p
                      FROM %s WHERE ds = 'large' GROUP BY 1, 2
                    UNION ALL SELECT g, -1, NULL FROM generate_series(0, %d) g) s
                GROUP BY g""" % (final, NSHARDS, a, args, TABLE, NGROUPS - 1))
    got = {r[0]: (tuple(r[1:]) if a == "diversity" else r[1]) for r in rows}
    bad = compare_rows(got, {g: want_g[g][a] for g in want_g})
    check(not bad, "%s: %d shards' partial states through text, combined, finalised" % (a, NSHARDS), *bad)

# a transition function called as a plain function must not modify its argument
r = q("""SELECT s::text, supplymkt_internal.inventory_turnover_transfn(s, 5, 7)::text, s::text
           FROM (SELECT supplymkt_internal.inventory_turnover_transfn(NULL, 1, 2) s) x""")[0]
check(r[0] == r[2] and r[0] != r[1] and '"sum_cogs":6' in r[1], "transition called directly leaves its argument alone",
      repr(r))

# ------------------------------------------------------------------------------------------------------------
# 4. Aggregate error cases
# ------------------------------------------------------------------------------------------------------------


def vals(rows):
    return "(VALUES %s) t" % ", ".join("(%s)" % r for r in rows)


check_error("inventory_turnover: negative, NaN, +Infinity inputs raise 22023", [
    ("SELECT supplymkt.inventory_turnover(c, v) FROM %s(c, v)" % vals(["1::float8, 2::float8", "-1, 2"]), "22023"),
    ("SELECT supplymkt.inventory_turnover(c, v) FROM %s(c, v)" % vals(["1::float8, 'NaN'::float8"]), "22023"),
    ("SELECT supplymkt.inventory_turnover(c, v) FROM %s(c, v)" % vals(["'Infinity'::float8, 1::float8"]), "22023"),
    ("SELECT supplymkt.inventory_turnover(c, v) FROM %s(c, v)" % vals(["NULL::float8, -0.5::float8"]), "22023"),
])
check_error("inventory_turnover: a sum beyond float8 raises 22003 (as sum(float8) does)", [
    ("SELECT supplymkt.inventory_turnover(c, 1) FROM %s(c)" % vals(["1e308::float8", "1e308"]), "22003"),
    ("SELECT sum(c) FROM %s(c)" % vals(["1e308::float8", "1e308"]), "22003"),
])
check_error("stockout_rate: NaN and ±Infinity raise 22023", [
    ("SELECT supplymkt.stockout_rate(x) FROM %s(x)" % vals(["'NaN'::float8"]), "22023"),
    ("SELECT supplymkt.stockout_rate(x) FROM %s(x)" % vals(["1::float8", "'-Infinity'"]), "22023"),
    ("SELECT supplymkt.stockout_rate(x) FROM %s(x)" % vals(["'Infinity'::float8"]), "22023"),
])
check_error("fill_rate and sell_through_rate: negative or NaN inputs raise 22023, an overflowing sum 22003", [
    ("SELECT supplymkt.fill_rate(d, f) FROM %s(d, f)" % vals(["1::float8, -1::float8"]), "22023"),
    ("SELECT supplymkt.fill_rate(d, f) FROM %s(d, f)" % vals(["'NaN'::float8, 1::float8"]), "22023"),
    ("SELECT supplymkt.sell_through_rate(s, r) FROM %s(s, r)" % vals(["-2::float8, 1::float8"]), "22023"),
    ("SELECT supplymkt.sell_through_rate(s, r) FROM %s(s, r)" % vals(["1::float8, 'Infinity'::float8"]), "22023"),
    ("SELECT supplymkt.sell_through_rate(s, o, r) FROM %s(s, o, r)" % vals(["1::float8, -1::float8, 1::float8"]),
     "22023"),
    ("SELECT supplymkt.sell_through_rate(s, o, r) FROM %s(s, o, r)" % vals(["1::float8, 'NaN'::float8, 1::float8"]),
     "22023"),
    ("SELECT supplymkt.sell_through_rate(s, o, r) FROM %s(s, o, r)" % vals(["1::float8, 1e308::float8, 1e308::float8"]),
     "22003"),
])
check_error("demand_cv: negative, NaN, Infinity quantities raise 22023", [
    ("SELECT supplymkt.demand_cv(x) FROM %s(x)" % vals(["1::float8", "-1"]), "22023"),
    ("SELECT supplymkt.demand_cv(x) FROM %s(x)" % vals(["'NaN'::float8"]), "22023"),
    ("SELECT supplymkt.demand_cv(x) FROM %s(x)" % vals(["'Infinity'::float8"]), "22023"),
])
check_error("renewal_rate: NULL period raises 22004, reversed or varying period 22023", [
    ("SELECT supplymkt.renewal_rate(d, NULL, date '2024-12-31') FROM %s(d)" % vals(["date '2024-01-05'"]), "22004"),
    ("SELECT supplymkt.renewal_rate(d, date '2024-01-01', NULL) FROM %s(d)" % vals(["date '2024-01-05'"]), "22004"),
    ("SELECT supplymkt.renewal_rate(d, date '2024-02-01', date '2024-01-01') FROM %s(d)"
     % vals(["date '2024-01-05'"]), "22023"),
    ("SELECT supplymkt.renewal_rate(d, s, date '2024-12-31') FROM %s(d, s)"
     % vals(["date '2024-01-05', date '2024-01-01'", "date '2024-03-05', date '2024-02-01'"]), "22023"),
])

# negative on_hand is a documented backorder (a stockout), not an error; a tiny positive amount is stocked
r = q("SELECT supplymkt.stockout_rate(x) FROM %s(x)" % vals(["-3::float8", "0", "'-0'", "1e-300", "NULL", "7"]))[0][0]
check(r == 3 / 5, "stockout_rate: negative and -0 on_hand count as stocked out, NULL rows skipped", "got %r" % r)

# ------------------------------------------------------------------------------------------------------------
# 5. Row-level functions against numpy
# ------------------------------------------------------------------------------------------------------------
n = 5000
on_hand = rng.integers(-10, 1000, n).astype(np.float64) * rng.choice([1.0, 0.37], n)
on_hand[rng.random(n) < 0.05] = 0.0
demand = rng.uniform(0, 50, n)
demand[rng.random(n) < 0.05] = 0.0
tiny = rng.random(n) < 0.02
demand[tiny] = 10.0 ** rng.uniform(-300, -290, int(tiny.sum()))   # quotients up to ~1e303, still finite
with np.errstate(divide="ignore", invalid="ignore"):
    want = np.where(on_hand <= 0, 0.0, np.where(demand == 0, np.nan, on_hand / demand))
got = q("SELECT supplymkt.days_of_supply(o, d) FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY u(o, d, i) "
        "ORDER BY i", (on_hand.tolist(), demand.tolist()))
bad = compare_rows({i: got[i][0] for i in range(n)}, {i: None if np.isnan(w) else float(w) for i, w in enumerate(want)})
check(not bad, "days_of_supply: %d random rows (0 when on_hand <= 0, NULL for zero demand)" % n, *bad)
r = q("SELECT supplymkt.days_of_supply(NULL, 1), supplymkt.days_of_supply(-5, 0), "
      "supplymkt.days_of_supply(0, 0), supplymkt.days_of_supply(10, 0), supplymkt.days_of_supply(10, 4)")[0]
check(r == (None, 0.0, 0.0, None, 2.5),
      "days_of_supply: NULL in -> NULL, no stock with zero demand -> 0, zero demand -> NULL, 10/4 = 2.5", repr(r))
check_error("days_of_supply: negative/NaN/Infinity demand or NaN/Infinity on_hand raise 22023, overflow 22003", [
    ("SELECT supplymkt.days_of_supply(10, -1)", "22023"),
    ("SELECT supplymkt.days_of_supply('NaN', 1)", "22023"),
    ("SELECT supplymkt.days_of_supply(10, 'Infinity')", "22023"),
    ("SELECT supplymkt.days_of_supply('-Infinity', 1)", "22023"),
    ("SELECT supplymkt.days_of_supply(1e300, 1e-300)", "22003"),
])

# XYZ: random cvs (some exactly at the thresholds), default and custom thresholds
cvs = np.concatenate([rng.uniform(0, 2.5, 3000), [0.0, 0.5, 1.0, 0.3, 0.9, np.nextafter(0.5, 1), np.nextafter(1.0, 2)]])
for x_max, y_max, label in ((None, None, "defaults 0.5 / 1.0"), (0.3, 0.9, "x_max 0.3, y_max 0.9"),
                            (0.7, 0.7, "x_max = y_max = 0.7")):
    xm, ym = (0.5, 1.0) if x_max is None else (x_max, y_max)
    want = np.where(cvs <= xm, "X", np.where(cvs <= ym, "Y", "Z"))
    call = "supplymkt.xyz_class(c)" if x_max is None else "supplymkt.xyz_class(c, %r, %r)" % (x_max, y_max)
    got = q("SELECT %s FROM unnest(%%s::float8[]) WITH ORDINALITY u(c, i) ORDER BY i" % call, (cvs.tolist(),))
    bad = ["cv %r: got %s, want %s" % (cvs[i], got[i][0], want[i]) for i in range(len(cvs)) if got[i][0] != want[i]]
    check(not bad, "xyz_class: %d cvs, %s (cv equal to a threshold takes the lower class)" % (len(cvs), label),
          *bad[:5])
check(q("SELECT supplymkt.xyz_class(NULL)")[0][0] is None, "xyz_class: NULL cv gives NULL")
check_error("xyz_class: negative or NaN cv, x_max > y_max raise 22023", [
    ("SELECT supplymkt.xyz_class(-0.1)", "22023"),
    ("SELECT supplymkt.xyz_class('NaN')", "22023"),
    ("SELECT supplymkt.xyz_class(0.2, 0.8, 0.5)", "22023"),
])

# normalize_indicator
n = 4000
v = rng.uniform(-50, 150, n)
lo = rng.uniform(-20, 20, n)
hi = lo + 10.0 ** rng.uniform(-3, 3, n)
hib = rng.random(n) < 0.5
x = np.clip((v - lo) / (hi - lo), 0.0, 1.0)
want = np.where(hib, x, 1.0 - x)
got = q("SELECT supplymkt.normalize_indicator(v, l, h, b) FROM unnest(%s::float8[], %s::float8[], %s::float8[], "
        "%s::bool[]) WITH ORDINALITY u(v, l, h, b, i) ORDER BY i", (v.tolist(), lo.tolist(), hi.tolist(), hib.tolist()))
bad = compare_rows({i: got[i][0] for i in range(n)}, {i: float(w) for i, w in enumerate(want)})
check(not bad, "normalize_indicator: %d random values, bounds and directions (clamped to [0, 1])" % n, *bad)
r = q("SELECT supplymkt.normalize_indicator(5, 0, 10), supplymkt.normalize_indicator(0.05, 0, 0.2, false)")[0]
check(r == (0.5, 0.75), "normalize_indicator: default direction is higher_is_better; inverted case", repr(r))
# the formula must not overflow when the range itself is wider than DBL_MAX: (upper - lower) = inf would
# give 0 for every value (and NaN -> 0 at the top)
r = q("SELECT supplymkt.normalize_indicator(0, -1e308, 1e308), supplymkt.normalize_indicator(1e308, -1e308, 1e308),"
      " supplymkt.normalize_indicator(-1e308, -1e308, 1e308, false)")[0]
check(all(g is not None and close(g, w) for g, w in zip(r, (0.5, 1.0, 1.0))),
      "normalize_indicator: bounds +-1e308 (range overflows float8) give the midpoint 0.5 and the ends 1",
      "got %r, want (0.5, 1.0, 1.0)" % (r,))
check_error("normalize_indicator: upper <= lower or a NaN/Infinity argument raise 22023", [
    ("SELECT supplymkt.normalize_indicator(1, 5, 5)", "22023"),
    ("SELECT supplymkt.normalize_indicator(1, 5, 4)", "22023"),
    ("SELECT supplymkt.normalize_indicator('NaN', 0, 1)", "22023"),
    ("SELECT supplymkt.normalize_indicator(1, '-Infinity', 1)", "22023"),
])

# ------------------------------------------------------------------------------------------------------------
# 6. abc_class (window function)
# ------------------------------------------------------------------------------------------------------------
cur.execute("CREATE TEMP TABLE abc (p int, i int, v float8)")
abc_rows = []
# integer values with many ties (all sums exact in float8, so shares and thresholds compare exactly)
for p in range(12):
    m = int(rng.integers(1, 400))
    vals_p = rng.choice(rng.integers(0, 50, 8) ** 3, m).astype(np.float64)
    vals_p[rng.random(m) < 0.05] = np.nan
    abc_rows += [(p, i, vals_p[i]) for i in range(m)]
# hand-made boundary partition: shares 0, 0, 0.8 (= a_max exactly -> B), 0.9, 0.9, then 0.95 (= b_max -> C)
hand = [40, 40, 10, 5, 5]
abc_rows += [(100, i, float(x)) for i, x in enumerate(hand)]
hand2 = [50, 30, 15, 4, 1]           # shares 0, 0.5, 0.8, 0.95, 0.99
abc_rows += [(101, i, float(x)) for i, x in enumerate(hand2)]
abc_rows += [(102, i, 0.0) for i in range(4)] + [(102, 4, np.nan)]   # zero total: all C, NULL stays NULL
abc_rows += [(103, 0, np.nan), (103, 1, np.nan)]                     # all NULL
abc_rows += [(104, 0, 7.0)]                                          # single row: A
# float values spanning magnitudes (checked below for distance from the thresholds)
for p in range(200, 205):
    m = 300
    vals_p = 10.0 ** rng.uniform(-3, 5, m)
    abc_rows += [(p, i, vals_p[i]) for i in range(m)]
buf = io.StringIO("".join("%d\t%d\t%s\n" % (p, i, "\\N" if np.isnan(x) else repr(float(x))) for p, i, x in abc_rows))
cur.copy_expert("COPY abc FROM STDIN", buf)


def ref_abc(values, a_max, b_max):
    """{index: class}: A when the share of strictly larger values < a_max, B when < b_max, else C."""
    nn = [(i, x) for i, x in enumerate(values) if not np.isnan(x)]
    total = fsum([x for _, x in nn])
    out = {i: None for i, x in enumerate(values) if np.isnan(x)}
    margin = math.inf
    for i, x in nn:
        larger = fsum([y for _, y in nn if y > x])
        share = larger / total if total > 0 else 1.0
        if total > 0:
            margin = min(margin, abs(share - a_max), abs(share - b_max))
        out[i] = "A" if share < a_max else ("B" if share < b_max else "C")
    return out, margin


by_p = {}
for p, i, x in abc_rows:
    by_p.setdefault(p, []).append(x)
for a_max, b_max, label in ((None, None, "defaults 0.80 / 0.95"), (0.5, 0.9, "a_max 0.5, b_max 0.9"),
                            (0.7, 0.7, "a_max = b_max = 0.7")):
    am, bm = (0.8, 0.95) if a_max is None else (a_max, b_max)
    call = "supplymkt.abc_class(v)" if a_max is None else "supplymkt.abc_class(v, %r, %r)" % (a_max, b_max)
    got = {(p, i): c for p, i, c in q("SELECT p, i, %s OVER (PARTITION BY p) FROM abc" % call)}
    want = {}
    float_margin = math.inf
    for p, values in by_p.items():
        classes, margin = ref_abc(values, am, bm)
        if p >= 200:
            float_margin = min(float_margin, margin)
        want.update({(p, i): c for i, c in classes.items()})
    bad = compare_rows(got, want)
    check(not bad and float_margin > 1e-9,
          "abc_class: %d rows in %d partitions (ties, NULLs, zero total, exact boundaries), %s"
          % (len(want), len(by_p), label), *(bad + ["float partitions' closest share to a threshold: %g" % float_margin]))
r = [c for (c,) in q("SELECT supplymkt.abc_class(v) OVER (PARTITION BY p) FROM abc WHERE p = 100 ORDER BY i")]
check(r == ["A", "A", "B", "B", "B"], "abc_class: share exactly a_max gives B, ties share their class", repr(r))
r = [c for (c,) in q("SELECT supplymkt.abc_class(v) OVER (PARTITION BY p ORDER BY v) FROM abc WHERE p = 101 "
                     "ORDER BY i")]
check(r == ["A", "A", "B", "C", "C"], "abc_class: with ORDER BY in the window, share exactly b_max gives C", repr(r))
check_error("abc_class: negative or NaN value and bad thresholds raise 22023, NULL threshold 22004", [
    ("SELECT supplymkt.abc_class(v) OVER () FROM %s(v)" % vals(["1::float8", "-1"]), "22023"),
    ("SELECT supplymkt.abc_class(v) OVER () FROM %s(v)" % vals(["1::float8", "'NaN'"]), "22023"),
    ("SELECT supplymkt.abc_class(v, 0.9, 0.8) OVER () FROM %s(v)" % vals(["1::float8"]), "22023"),
    ("SELECT supplymkt.abc_class(v, 0.5, 1.5) OVER () FROM %s(v)" % vals(["1::float8"]), "22023"),
    ("SELECT supplymkt.abc_class(v, NULL, 0.9) OVER () FROM %s(v)" % vals(["1::float8"]), "22004"),
])

# ------------------------------------------------------------------------------------------------------------
# 7. supply_capability_score against the weights in supplymkt.score_weights
# ------------------------------------------------------------------------------------------------------------
INDICATORS = ["turnover", "fill_rate", "stockout_rate", "renewal_rate", "diversity", "on_time_rate", "return_rate",
              "mean_rating"]
argnames = q("""SELECT proargnames FROM pg_proc WHERE oid =
                'supplymkt.supply_capability_score(float8, float8, float8, float8, float8, float8, float8, float8)'
                ::regprocedure""")[0][0]
table_names = sorted(r[0] for r in q("SELECT indicator FROM supplymkt.score_weights"))
check(list(argnames) == INDICATORS and table_names == sorted(INDICATORS),
      "score_weights has exactly one row per supply_capability_score argument", repr(argnames), repr(table_names))


def read_weights():
    return {r[0]: r[1:] for r in q("SELECT indicator, weight, lower_bound, upper_bound, higher_is_better "
                                   "FROM supplymkt.score_weights")}


def ref_score(row, w):
    num = []
    den = []
    for name, value in zip(INDICATORS, row):
        if value is None or name not in w:
            continue
        weight, lo_b, hi_b, hib_b = w[name]
        x = min(max((value - lo_b) / (hi_b - lo_b), 0.0), 1.0)
        num.append(weight * (x if hib_b else 1.0 - x))
        den.append(weight)
    if not den or fsum(den) == 0:
        return None
    return 100.0 * fsum(num) / fsum(den)


n = 400
cols = [rng.uniform(-2, 15, n), rng.uniform(-0.1, 1.1, n), rng.uniform(0, 0.3, n), rng.uniform(0, 0.3, n),
        rng.uniform(0, 1, n), rng.uniform(0, 1, n), rng.uniform(0, 0.3, n), rng.uniform(0.5, 5.5, n)]
score_rows = [[None if rng.random() < 0.25 else float(c[i]) for c in cols] for i in range(n)]
score_rows[0] = [None] * 8
score_rows[1] = [3.0, None, None, None, None, None, None, None]
score_sql = ("SELECT supplymkt.supply_capability_score(%s) FROM unnest(%s) WITH ORDINALITY u(%s, i) ORDER BY i"
             % (", ".join("c%d" % k for k in range(8)), ", ".join(["%s::float8[]"] * 8),
                ", ".join("c%d" % k for k in range(8))))
score_args = [[r[k] for r in score_rows] for k in range(8)]


def check_scores(desc):
    w = read_weights()
    got = q(score_sql, score_args)
    want = {i: ref_score(r, w) for i, r in enumerate(score_rows)}
    bad = compare_rows({i: got[i][0] for i in range(n)}, want)
    check(not bad, desc, *bad)


default_w = read_weights()
check(close(fsum([w[0] for w in default_w.values()]), 1.0) and default_w["stockout_rate"][3] is False,
      "default weights sum to 1 and stockout_rate is lower-is-better", repr(default_w))
check_scores("supply_capability_score: %d random indicator rows (25%% NULL, renormalised), default weights" % n)
five = [rng.uniform(0, 1) for _ in range(5)]
r = q("SELECT supplymkt.supply_capability_score(%s, %s, %s, %s, %s)", five)[0][0]
check(close(r, ref_score(five + [None] * 3, default_w)), "supply_capability_score: five-argument form",
      "got %r want %r" % (r, ref_score(five + [None] * 3, default_w)))
cur.execute("BEGIN")
cur.execute("UPDATE supplymkt.score_weights SET weight = 0.55 WHERE indicator = 'turnover'")
cur.execute("UPDATE supplymkt.score_weights SET upper_bound = 6, lower_bound = 1 WHERE indicator = 'turnover'")
cur.execute("UPDATE supplymkt.score_weights SET higher_is_better = true WHERE indicator = 'return_rate'")
check_scores("supply_capability_score follows an edited weight, range and direction")
cur.execute("UPDATE supplymkt.score_weights SET weight = 0 WHERE indicator = 'turnover'")
r = q("SELECT supplymkt.supply_capability_score(3, NULL, NULL, NULL, NULL)")[0][0]
check(r is None, "supply_capability_score: NULL when the non-NULL indicators' weights sum to 0", "got %r" % r)
cur.execute("ROLLBACK")
r = q("SELECT supplymkt.supply_capability_score(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)")[0][0]
check(r is None and read_weights() == default_w, "supply_capability_score: all NULL gives NULL; weights restored")
check_error("supply_capability_score: a NaN or infinite indicator raises 22023", [
    ("SELECT supplymkt.supply_capability_score('NaN', 0.9, 0.1, 0.1, 0.5)", "22023"),
    ("SELECT supplymkt.supply_capability_score(1, 0.9, 0.1, 0.1, 0.5, 'Infinity')", "22023"),
])

cur.execute("DROP TABLE %s" % TABLE)
conn.close()
finish()
