#!/usr/bin/env bash
# bench/replenishment.sh — supplymkt.replenishment_plan on 10,000 products with a budget: time and optimality
# gap, against the analyst's path: export the products with psycopg2 and solve the same piecewise-linear model
# with scipy.optimize.milp (HiGHS).
#
# Run as root from anywhere: bash bench/replenishment.sh
# Builds and installs supplymkt (SM_BENCH_NO_INSTALL=1 to use what is installed), starts a throwaway cluster
# (SM_BENCH_PORT, default 5492; SM_BENCH_DIR, default /tmp/sm-bench-rp; work_mem 256MB, JIT off), draws
# SM_BENCH_PRODUCTS (default 10,000) products with numpy (seeded): demand over the lead time lognormal (median
# 50, clipped to 5-500), sd = CV 0.2-1 x mean, on_hand 0-1.5 x mean (whole units), unit_cost log-uniform 1-200,
# holding 10-30% and shortage 1-5x the unit cost, pack_size 1 for 40% and 6/12/24/48 for the rest, min_order
# 0 for 70%, one pack for 15%, two packs for 15%, volume log-uniform 0.001-0.05 m3; COPYs them into
#     products(product_id, demand_mean, demand_sd, on_hand, unit_cost, holding_cost, shortage_cost, pack_size,
#              min_order, volume)
# Then, wall clock as the client sees it (execute + fetch of the jsonb), best of SM_BENCH_RUNS (default 3; a
# run that ends at its time limit is not repeated), default options (segments 24, mip_gap 1e-3, time_limit_ms
# 60000, statement_timeout 300 s as a safety net):
#   unconstrained:  replenishment_plan(8 arguments, budget NULL): the newsvendor orders; B = 40% of its
#                   budget_used
#   (a) LP:         the 8-argument form with budget B (no packs, no minimums)
#   (b) MIP:        the 11-argument form, pack_size, min_order, volume, replenishment_options(budget => B)
#   (b) mip_gap 0:  the same with mip_gap => 0, time_limit_ms => 60000, one run (skipped when (b) itself hit
#                   its time limit; SM_BENCH_EXACT_MIP=2 runs it anyway, 0 never)
#   (c) MIP:        (b) plus capacity => the on-hand volume + 70% of the extra volume the exact budget-only
#                   optimum orders (binds)
# Each plan is checked (whole packs, 0 or >= the minimum, within budget and capacity, its expected_cost
# recomputed with scipy.stats; exit status 1 if not) and reported with status, objective, expected_cost,
# budget_used, budget_shadow_price, capacity_used, binding.  "objective" in the table is the chords' cost of the
# orders the plan returns (recomputed here; a note says when the plan's own field differs).  Gaps:
#   gap to LP bound:      against the optimum of the same chords without integrality, computed here from its
#                         Lagrangian dual (a continuous knapsack in the budget multiplier, bisection on the
#                         capacity's): a valid lower bound of the LP and of every MIP (see the output for why)
#                         whatever a solver did; for the MIPs it includes what the packs themselves cost
#   gap to exact optimum: against the KKT optimum of the exact convex problem without packs (q_i from the
#                         critical ratio (p - lam c - mu v) / (p + h), brentq on the multipliers, as
#                         test/replenishment_oracle.py's kkt()): the 24 chords' loss for the LP
# The analyst: a fresh psycopg2 connection, SELECT ... fetchall into numpy, the same model as plan.c's RpSolve
# (the chords between 24 breakpoints up to the newsvendor order, 2 more up to max(q* + pack, min_order) for the
# MIPs, integer pack counts, minimum-order binaries, C(0) as a fixed column) built with scipy.sparse, and
# scipy.optimize.milp with time_limit SM_BENCH_SCIPY_TIME_LIMIT (default 60 s) and mip_rel_gap 1e-3, in a
# forked child killed 10 s after that limit (HiGHS in scipy 1.10 overran a 60 s limit to 532 s on the one-row
# LP at 10,000 products); export + build + solve timed.
# Prints
#     | scenario | products | supplymkt s | status | objective | expected cost | gap to LP bound |
#     gap to exact optimum | scipy milp s | scipy objective | ratio |
# ratio = scipy s / supplymkt s; then checks (statuses, (a) within 0.5% of the exact optimum, the MIPs' gap,
# agreement with scipy, HiGHS's dual bound when it has one) and warnings.  SM_BENCH_KEEP=1 leaves the cluster
# running.  Takes about 2.5 min at SM_BENCH_PRODUCTS=1000 and 6 min at 10,000 (2 vCPU), almost all of it the
# solvers running to their time limits (GLPK's two MIPs 60 s each, scipy's three solves 70 s each, killed).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/lib.sh

DIR=${SM_BENCH_DIR:-/tmp/sm-bench-rp}
PORT=${SM_BENCH_PORT:-5492}
PRODUCTS=${SM_BENCH_PRODUCTS:-10000}
RUNS=${SM_BENCH_RUNS:-3}
SCIPY_TIME_LIMIT=${SM_BENCH_SCIPY_TIME_LIMIT:-60}
EXACT_MIP=${SM_BENCH_EXACT_MIP:-1}

[ "$(id -u)" -eq 0 ] || sm_die "run as root (the cluster runs as the postgres user)"
/usr/bin/python3 -c 'import numpy, psycopg2, scipy.sparse, scipy.stats; from scipy.optimize import milp' 2>/dev/null ||
	sm_install_packages
[ -n "${SM_BENCH_NO_INSTALL:-}" ] || sm_build_install
sm_say "starting a throwaway cluster in $DIR on port $PORT"
sm_start_cluster "$DIR" "$PORT" "work_mem = 256MB" "jit = off"
[ -n "${SM_BENCH_KEEP:-}" ] || trap 'sm_stop_cluster "$DIR"' EXIT

export PGHOST=/tmp PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
export PGOPTIONS="-c client_min_messages=warning"
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION supplymkt"

echo
echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GB"
echo "load average at start: $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "PostgreSQL: $(psql -X -At -c 'SELECT version()')"
echo "supplymkt: $(psql -X -At -c "SELECT extversion FROM pg_extension WHERE extname = 'supplymkt'")"
echo "GLPK (libglpk): $(dpkg-query -W -f '${Version}' 'libglpk40' 2>/dev/null || echo '?')"
echo "numpy/scipy/psycopg2: $(/usr/bin/python3 -c 'import numpy, scipy, psycopg2; print(numpy.__version__, scipy.__version__, psycopg2.__version__.split()[0])')"
echo "settings: $(psql -X -At -c "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings
	WHERE name IN ('shared_buffers', 'work_mem', 'jit', 'max_parallel_workers_per_gather')")"

PRODUCTS=$PRODUCTS RUNS=$RUNS SCIPY_TIME_LIMIT=$SCIPY_TIME_LIMIT EXACT_MIP=$EXACT_MIP /usr/bin/python3 -u - <<'PY'
import io
import json
import math
import multiprocessing
import os
import time

import numpy as np
import psycopg2
import psycopg2.errors
import psycopg2.extras
from scipy import optimize, sparse, stats

N = int(os.environ["PRODUCTS"])
RUNS = int(os.environ["RUNS"])
SCIPY_TIME_LIMIT = float(os.environ["SCIPY_TIME_LIMIT"])
EXACT_MIP = os.environ["EXACT_MIP"]          # 0 never, 1 unless (b) hit its time limit, 2 always
SEED = 20241207
SEGMENTS = 24                   # replenishment_options' defaults: segments 24, mip_gap 1e-3, time_limit_ms 60000
MIP_GAP = 1e-3
BUDGET_SHARE = 0.4              # the budget: 40% of what the unconstrained (newsvendor) orders cost
CAPACITY_SHARE = 0.7            # (c): room for 70% of the extra volume the budget-only optimum would bring in
SCIPY_GRACE = 10                # the scipy solve is killed this long after its time limit
SQL_TIMEOUT = 300               # statement_timeout of every timed call (a safety net: GLPK stops at 60 s)
COLS = ["product_id", "demand_mean", "demand_sd", "on_hand", "unit_cost", "holding_cost", "shortage_cost",
        "pack_size", "min_order", "volume"]


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# --- the exact model (as test/replenishment_oracle.py's cost(), vectorised)
def exact_cost(q, a, mean, sd, h, p):
    """C(q) = h E[(a + q - D)+] + p E[(D - a - q)+], D normal (mean, sd > 0), elementwise."""
    z = (a + q - mean) / sd
    short = sd * (stats.norm.pdf(z) - z * stats.norm.sf(z))
    left = np.maximum(a + q - mean + short, 0.0)
    return h * left + p * short


def newsvendor(X):
    level = X["demand_mean"] + X["demand_sd"] * stats.norm.ppf(X["shortage_cost"] / (X["shortage_cost"] + X["holding_cost"]))
    return np.maximum(level - X["on_hand"], 0.0)


def args_of(X):
    return X["on_hand"], X["demand_mean"], X["demand_sd"], X["holding_cost"], X["shortage_cost"]


def kkt(X, budget, capacity_extra=None):
    """Exact optimum of min sum C_i(q_i), sum c_i q_i <= budget [, sum v_i q_i <= capacity_extra], q >= 0, from
    the KKT conditions: q_i(lam, mu) = max(0, F_i^-1((p - lam c - mu v) / (p + h)) - a) (0 when the ratio is <= 0).
    lam by brentq on the budget for each mu; mu by brentq on the capacity (the dual is concave, so the capacity
    used at (lam(mu), mu) falls with mu).  Returns (q, exact cost, lam, mu)."""
    a, mean, sd, h, p = args_of(X)
    c, v = X["unit_cost"], X["volume"]

    def orders(lam, mu):
        r = (p - lam * c - mu * v) / (p + h)
        z = stats.norm.ppf(np.clip(r, 1e-300, 1.0))
        return np.where(r > 0, np.maximum(mean + sd * z - a, 0.0), 0.0)

    def lam_of(mu):
        spend = lambda lam: float(c @ orders(lam, mu)) - budget
        if spend(0.0) <= 0:
            return 0.0
        return optimize.brentq(spend, 0.0, float(np.max(p / c)), xtol=1e-13, rtol=1e-13, maxiter=500)

    mu = 0.0
    if capacity_extra is not None:
        room = lambda m: float(v @ orders(lam_of(m), m)) - capacity_extra
        if room(0.0) > 0:
            mu = optimize.brentq(room, 0.0, float(np.max(p / v)), xtol=1e-13, rtol=1e-13, maxiter=500)
    lam = lam_of(mu)
    q = orders(lam, mu)
    return q, float(exact_cost(q, *args_of(X)).sum()), lam, mu


def lp_bound(X, budget, capacity_extra=None):
    """The optimum of the chords' LP without integrality (build_milp(packs=False): d_ik in [0, len_ik], cost
    C(0) + sum slope_ik d_ik, sum c_i d_ik <= budget [, sum v_i d_ik <= capacity_extra]) from its Lagrangian dual
    g(lam, mu) = C(0) + sum min(0, slope + lam c + mu v) len - lam budget - mu capacity_extra, a lower bound for
    every lam, mu >= 0 and equal to the LP optimum at the best ones (LP duality).  For a given mu the best lam is
    a continuous knapsack's (the chords by -(slope + mu v) / c, the lam where their cost reaches the budget); the
    best mu by bisection on the capacity the chords with a negative reduced cost take.  Returns (bound, lam, mu)."""
    cobj, _, bounds, _, lay = build_milp(X, budget, packs=False)
    ns = lay["nseg"]
    s, L, base = cobj[:ns], bounds.ub[:ns], cobj[-1]
    c, v = X["unit_cost"][lay["pi"]], X["volume"][lay["pi"]]
    cap = capacity_extra if capacity_extra is not None else 0.0

    def g(lam, mu):
        red = s + lam * c + mu * v
        take = red < 0
        return base + float(red[take] @ L[take]) - lam * budget - mu * cap, float(v[take] @ L[take])

    def best_lam(mu):
        red = s + mu * v
        neg = np.flatnonzero(red < 0)
        r = -red[neg] / c[neg]
        order = np.argsort(-r, kind="stable")
        cum = np.cumsum((c[neg] * L[neg])[order])
        if cum.size == 0 or cum[-1] <= budget:
            return 0.0
        return float(r[order][np.searchsorted(cum, budget)])

    mu = 0.0
    if capacity_extra is not None and g(best_lam(0.0), 0.0)[1] > cap:
        lo, hi = 0.0, float(np.max(-s / v)) + 1.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if g(best_lam(mid), mid)[1] > cap:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-13 * hi:
                break
        mu = max((lo, hi), key=lambda m: g(best_lam(m), m)[0])
    lam = best_lam(mu)
    return g(lam, mu)[0], lam, mu


# --- the analyst's model for scipy.optimize.milp: plan.c's RpSolve rebuilt column by column
def build_milp(X, budget, capacity=None, packs=True, segments=SEGMENTS):
    """The same piecewise-linear LP / MIP as plan.c: per product the chords of C between `segments` breakpoints
    on [0, q*] and, with packs or minimum orders, 2 more up to qmax = max(q* + pack, min_order) (incremental
    formulation, 0 <= d_ik <= len_ik); a constant column fixed at 1 carries C(0) (GLPK's constant term, so that
    both gaps are relative to the total cost); rows: budget, capacity (volume x order <= capacity - volume x
    on hand), sum_k d_ik - P_i n_i = 0 with n_i integer, M_i y_i <= sum_k d_ik <= qmax_i y_i with y_i binary.
    Returns (c, integrality, bounds, constraints, layout)."""
    n = len(X["product_id"])
    a, mean, sd, h, p = args_of(X)
    pack = X["pack_size"] if packs else np.zeros(n)
    moq = X["min_order"] if packs else np.zeros(n)
    qstar = newsvendor(X)
    qmax = np.maximum(np.maximum(qstar + pack, moq), qstar)
    k = np.arange(1, segments + 1) / segments
    Q = np.hstack([np.zeros((n, 1)), qstar[:, None] * k[None, :],
                   qstar[:, None] + (qmax - qstar)[:, None] * np.array([0.5, 1.0])[None, :]])
    C = exact_cost(Q, *(x[:, None] for x in args_of(X)))
    L = np.diff(Q, axis=1)
    slope = np.divide(np.diff(C, axis=1), L, out=np.zeros_like(L), where=L > 0)
    keep = L > 0                                  # a product with q* = 0 has no chord below q*
    pi, ki = np.nonzero(keep)                     # column order: product by product, chords in order
    nseg = pi.size
    has = np.bincount(pi, minlength=n) > 0
    ip = np.flatnonzero(has & (pack > 0))         # products with an integer pack count
    bp = np.flatnonzero(has & (moq > 0))          # products with a minimum-order binary
    ncol = nseg + ip.size + bp.size + 1
    cobj = np.concatenate([slope[pi, ki], np.zeros(ip.size + bp.size), [exact_cost(0.0, *args_of(X)).sum()]])
    lb = np.zeros(ncol)
    ub = np.concatenate([L[pi, ki], np.ceil(qmax[ip] / pack[ip]), np.ones(bp.size), [1.0]])
    lb[-1] = 1.0
    integrality = np.concatenate([np.zeros(nseg), np.ones(ip.size + bp.size), [0]])
    rows, cols, vals, rlo, rhi = [], [], [], [], []
    nrow = 0
    segcol = np.arange(nseg)
    rows.append(np.zeros(nseg)); cols.append(segcol); vals.append(X["unit_cost"][pi])
    rlo.append([-np.inf]); rhi.append([budget]); nrow += 1
    if capacity is not None:
        rows.append(np.ones(nseg)); cols.append(segcol); vals.append(X["volume"][pi])
        rlo.append([-np.inf]); rhi.append([capacity - float(X["volume"] @ X["on_hand"])]); nrow += 1
    if ip.size:
        rowof = np.full(n, -1)
        rowof[ip] = nrow + np.arange(ip.size)
        m = rowof[pi] >= 0
        rows += [rowof[pi][m], rowof[ip]]
        cols += [segcol[m], nseg + np.arange(ip.size)]
        vals += [np.ones(m.sum()), -pack[ip]]
        rlo.append(np.zeros(ip.size)); rhi.append(np.zeros(ip.size)); nrow += ip.size
    if bp.size:
        rowof = np.full(n, -1)
        rowof[bp] = nrow + 2 * np.arange(bp.size)
        m = rowof[pi] >= 0
        ycol = nseg + ip.size + np.arange(bp.size)
        rows += [rowof[pi][m], rowof[pi][m] + 1, rowof[bp], rowof[bp] + 1]
        cols += [segcol[m], segcol[m], ycol, ycol]
        vals += [np.ones(m.sum()), np.ones(m.sum()), -moq[bp], -qmax[bp]]
        lo = np.empty(2 * bp.size); hi = np.empty(2 * bp.size)
        lo[0::2], hi[0::2], lo[1::2], hi[1::2] = 0.0, np.inf, -np.inf, 0.0
        rlo.append(lo); rhi.append(hi); nrow += 2 * bp.size
    A = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows).astype(np.int64), np.concatenate(cols))),
                          shape=(nrow, ncol))
    cons = optimize.LinearConstraint(A, np.concatenate(rlo), np.concatenate(rhi))
    layout = {"pi": pi, "nseg": nseg, "n": n, "pack": pack, "ncol": ncol, "nrow": nrow, "nint": ip.size + bp.size,
              "Q": Q, "C": C}
    return cobj, integrality, optimize.Bounds(lb, ub), cons, layout


def chord_cost(X, q, packs):
    """The model's objective at the orders q: each product's chords (build_milp's breakpoints) at q_i, summed."""
    lay = build_milp(X, 0.0, packs=packs)[4]
    return float(sum(np.interp(qi, Qi, Ci) for qi, Qi, Ci in zip(q, lay["Q"], lay["C"])))


def plan_check(X, q, budget, capacity, packs):
    """Problems with a plan's orders (whole packs, 0 or >= the minimum, within budget and capacity)."""
    bad = []
    if np.any(q < -1e-9):
        bad.append("negative orders")
    if packs:
        P = X["pack_size"]
        frac = np.abs(q / P - np.round(q / P))
        if np.any(frac > 1e-6):
            bad.append(f"{int(np.sum(frac > 1e-6))} orders not whole packs")
        low = (q > 1e-9) & (q < X["min_order"] - 1e-6)
        if np.any(low):
            bad.append(f"{int(low.sum())} orders below their minimum")
    spent = float(X["unit_cost"] @ q)
    if spent > budget * (1 + 1e-9):
        bad.append(f"budget exceeded: {spent} > {budget}")
    if capacity is not None:
        used = float(X["volume"] @ (X["on_hand"] + q))
        if used > capacity * (1 + 1e-9):
            bad.append(f"capacity exceeded: {used} > {capacity}")
    return bad


# --- data
rng = np.random.default_rng(SEED)
mean = np.clip(np.exp(rng.normal(math.log(50), 0.8, N)), 5, 500)
X = {
    "product_id": np.arange(1, N + 1, dtype=np.int64),
    "demand_mean": mean,
    "demand_sd": mean * rng.uniform(0.2, 1.0, N),
    "on_hand": np.floor(rng.uniform(0, 1.5, N) * mean),
    "unit_cost": np.round(np.exp(rng.uniform(math.log(1), math.log(200), N)), 2),
}
X["holding_cost"] = X["unit_cost"] * rng.uniform(0.1, 0.3, N)
X["shortage_cost"] = X["unit_cost"] * rng.uniform(1, 5, N)
X["pack_size"] = np.where(rng.random(N) < 0.4, 1.0, rng.choice([6.0, 12.0, 24.0, 48.0], N))
u = rng.random(N)
X["min_order"] = np.where(u < 0.7, 0.0, np.where(u < 0.85, 1.0, 2.0)) * X["pack_size"]
X["volume"] = np.exp(rng.uniform(math.log(0.001), math.log(0.05), N))

conn = psycopg2.connect("")
conn.autocommit = True
psycopg2.extras.register_default_jsonb(conn_or_curs=conn, loads=lambda s: s)   # the plan as text: parsed untimed
cur = conn.cursor()
t0 = time.time()
cur.execute("CREATE TABLE products (product_id bigint PRIMARY KEY, demand_mean float8, demand_sd float8, "
            "on_hand float8, unit_cost float8, holding_cost float8, shortage_cost float8, pack_size float8, "
            "min_order float8, volume float8)")
buf = io.StringIO()
for i in range(N):
    buf.write("\t".join([str(int(X["product_id"][i]))] + [repr(float(X[c][i])) for c in COLS[1:]]) + "\n")
buf.seek(0)
cur.copy_expert("COPY products FROM STDIN", buf)
cur.execute("VACUUM ANALYZE products")
cur.execute("SELECT count(*), pg_size_pretty(pg_table_size('products')) FROM products")
nrows, size = cur.fetchone()
print(f"\n== data: {nrows:,} products (table {size}), drawn and loaded (COPY) in {time.time() - t0:.1f} s")
pk = {int(s): int(np.sum(X['pack_size'] == s)) for s in np.unique(X['pack_size'])}
print(f"   demand_mean {X['demand_mean'].min():.1f} to {X['demand_mean'].max():.1f} (median {np.median(X['demand_mean']):.1f}), "
      f"CV 0.2 to 1, on_hand 0 to 1.5 x mean (whole units), unit_cost {X['unit_cost'].min():.2f} to {X['unit_cost'].max():.2f}, "
      f"holding 10-30% and shortage 1-5x of it, volume 0.001 to 0.05 m3")
print("   pack sizes: " + ", ".join(f"{s}: {c}" for s, c in pk.items())
      + f"; min_order one pack: {int(np.sum((X['min_order'] == X['pack_size'])))}, two packs: "
      f"{int(np.sum(X['min_order'] == 2 * X['pack_size']))}, none: {int(np.sum(X['min_order'] == 0))}")

# --- supplymkt
SHORT = ("SELECT supplymkt.replenishment_plan(product_id, demand_mean, demand_sd, on_hand, unit_cost, holding_cost, "
         "shortage_cost, {budget}) FROM products")
LONG = ("SELECT supplymkt.replenishment_plan(product_id, demand_mean, demand_sd, on_hand, unit_cost, holding_cost, "
        "shortage_cost, {pack}, {moq}, volume, supplymkt.replenishment_options({opts})) FROM products")


def run_sql(label, sql, runs):
    """Best wall time of `runs` executions (execute + fetch of the jsonb as text), the plan, and whether all
    runs gave the same plan text.  None for the time when statement_timeout fired."""
    best, texts = None, []
    cur.execute(f"SET statement_timeout = '{SQL_TIMEOUT}s'")
    for r in range(runs):
        print(f"   supplymkt {label} run {r + 1} ...", end=" ")
        t1 = time.time()
        try:
            cur.execute(sql)
            text = cur.fetchone()[0]
        except psycopg2.errors.QueryCanceled:
            print(f"> {SQL_TIMEOUT} s (statement_timeout)")
            cur.execute("RESET statement_timeout")
            return None, None, f"statement_timeout {SQL_TIMEOUT} s"
        except psycopg2.Error as e:
            dt = time.time() - t1
            msg = f"ERROR {e.pgcode} after {dt:.2f} s: {(e.pgerror or str(e)).strip().splitlines()[0]}"
            print(msg)
            cur.execute("RESET statement_timeout")
            return dt, None, msg
        dt = time.time() - t1
        j = json.loads(text)
        print(f"{dt:.2f} s, {j['status']}, objective {j['objective']:.4f} (load average {loadavg()})")
        texts.append(text)
        best = dt if best is None or dt < best else best
        if j["status"] not in ("optimal", "within mip_gap") and r + 1 < runs:
            print(f"   (status {j['status']}: the search ran to its time limit; not repeated)")
            break
    cur.execute("RESET statement_timeout")
    return best, json.loads(texts[-1]), len(set(texts)) == 1


def orders_of(j):
    got = {o["product_id"]: o["order_qty"] for o in j["orders"]}
    return np.array([got[int(i)] for i in X["product_id"]])


print("\n== supplymkt.replenishment_plan, wall clock as the client sees it (execute + fetch), best of "
      f"{RUNS} for the scenarios")
t_free, free, _ = run_sql("unconstrained (no budget)", SHORT.format(budget="NULL"), 1)
B = BUDGET_SHARE * free["budget_used"]
print(f"   unconstrained plan: {free['status']}, objective {free['objective']:.4f}, expected cost "
      f"{free['expected_cost']:.4f}, budget_used {free['budget_used']:.4f} -> budget B = {BUDGET_SHARE:.0%} of it = {B:.4f}")
q_free = orders_of(free)
nv_err = float(np.max(np.abs(q_free - newsvendor(X)) / (1 + newsvendor(X))))
print(f"   its orders against numpy's newsvendor orders: max relative difference {nv_err:.2g}")

# the exact optima (independent of the plans: the KKT conditions of the exact convex problem, no packs) and the
# chords' LP optimum (its Lagrangian dual: a lower bound whatever the solvers do)
t1 = time.time()
q_kb, opt_b, lam_b, _ = kkt(X, B)
on_hand_volume = float(X["volume"] @ X["on_hand"])
CAP = on_hand_volume + CAPACITY_SHARE * float(X["volume"] @ q_kb)
q_kc, opt_c, lam_c, mu_c = kkt(X, B, CAP - on_hand_volume)
t_kkt = time.time() - t1
t1 = time.time()
lpb_b, lplam_b, _ = lp_bound(X, B)
lpb_c, lplam_c, lpmu_c = lp_bound(X, B, CAP - on_hand_volume)
t_lpb = time.time() - t1
print(f"   capacity for (c): on-hand volume {on_hand_volume:.3f} m3 + {CAPACITY_SHARE:.0%} of the {float(X['volume'] @ q_kb):.3f} m3 "
      f"the budget-only optimum orders = {CAP:.3f} m3")
print(f"   exact optima (KKT, bisection on the multipliers, {t_kkt:.1f} s): budget only {opt_b:.4f} "
      f"(lam {lam_b:.6g}, spends {float(X['unit_cost'] @ q_kb):.4f}); budget + capacity {opt_c:.4f} "
      f"(lam {lam_c:.6g}, mu {mu_c:.6g}, spends {float(X['unit_cost'] @ q_kc):.4f}, volume "
      f"{on_hand_volume + float(X['volume'] @ q_kc):.4f})")
print(f"   the chords' LP optimum (Lagrangian dual, {t_lpb:.1f} s): budget only {lpb_b:.4f} (lam {lplam_b:.6g}); "
      f"budget + capacity {lpb_c:.4f} (lam {lplam_c:.6g}, mu {lpmu_c:.6g})")

scen = {}
for key, label, sql, runs, packs, cap in [
        ("a", "(a) LP, budget", SHORT.format(budget=repr(B)), RUNS, False, None),
        ("b", "(b) MIP, packs + min orders, budget", LONG.format(pack="pack_size", moq="min_order",
                                                                 opts=f"budget => {B!r}"), RUNS, True, None),
        ("b0", "(b) with mip_gap 0", LONG.format(pack="pack_size", moq="min_order",
                                                 opts=f"budget => {B!r}, mip_gap => 0, time_limit_ms => 60000"),
         1, True, None),
        ("c", "(c) MIP, packs + min orders, budget + capacity",
         LONG.format(pack="pack_size", moq="min_order", opts=f"budget => {B!r}, capacity => {CAP!r}"), RUNS, True, CAP)]:
    if key == "b0" and (EXACT_MIP == "0" or EXACT_MIP == "1" and scen["b"]["j"] is not None
                        and scen["b"]["j"]["status"] not in ("optimal", "within mip_gap")):
        print(f"   {label}: skipped ({'SM_BENCH_EXACT_MIP=0' if EXACT_MIP == '0' else '(b) did not finish within its time limit at mip_gap 1e-3, so neither would it at 0; SM_BENCH_EXACT_MIP=2 runs it anyway'})")
        continue
    t, j, same = run_sql(label, sql, runs)
    scen[key] = {"label": label, "t": t, "j": j, "same": same, "packs": packs, "cap": cap}
    if j is None:
        scen[key]["error"] = same

ok = True
warnings = []
print("\n== the plans")
for key, s in scen.items():
    j = s["j"]
    if j is None:
        print(f"-- {s['label']}: no plan ({s['error']})")
        warnings.append(f"{s['label']}: no plan ({s['error']})")
        continue
    q = orders_of(j)
    bad = plan_check(X, q, B, s["cap"], s["packs"])
    recomputed = float(exact_cost(q, *args_of(X)).sum())
    rel = abs(recomputed - j["expected_cost"]) / j["expected_cost"]
    if rel > 1e-9:
        bad.append(f"expected_cost {j['expected_cost']} but numpy's C(q) gives {recomputed}")
    ok &= not bad
    s["q"] = q
    s["pwl"] = chord_cost(X, q, s["packs"])          # the model's objective at the orders the plan returns
    s["mismatch"] = abs(s["pwl"] - j["objective"]) > 1e-7 * abs(j["objective"])
    print(f"-- {s['label']}: {j['solver']}, status {j['status']}, best {s['t']:.2f} s"
          + ("" if s["same"] else " (the runs gave DIFFERENT plans)"))
    print(f"   objective {j['objective']:.4f}, expected_cost {j['expected_cost']:.4f} (cost without orders "
          f"{j['cost_without_orders']:.4f}), budget_used {j['budget_used']:.4f} of {B:.4f} (slack {B - j['budget_used']:.4g}), "
          f"budget_shadow_price {j['budget_shadow_price']}")
    if s["cap"] is not None:
        print(f"   capacity_used {j['capacity_used']:.4f} of {CAP:.4f} m3 (slack {CAP - j['capacity_used']:.4g}), "
              f"capacity_shadow_price {j['capacity_shadow_price']}")
    if s["mismatch"]:
        why = {"rounded LP": "the LP relaxation's (GLPK found no whole-pack plan in time; the orders are the LP's rounded down)",
               "time limit": "not the plan's (the LP relaxation did not finish in time_limit_ms, no MIP search ran)"}
        print(f"   NOTE: the reported objective is not the chords' cost of the orders returned, "
              f"{s['pwl']:.4f} ({100 * (j['objective'] - s['pwl']) / s['pwl']:+.4f}%): with status '{j['status']}' it is "
              f"{why.get(j['status'], 'something else')}; the gaps and the table below use {s['pwl']:.4f}")
        warnings.append(f"{s['label']}: reported objective {j['objective']:.4f} is not the cost of its orders ({s['pwl']:.4f})")
    if j["status"] not in ("optimal", "within mip_gap"):
        warnings.append(f"{s['label']}: status '{j['status']}'")
    if s["t"] > 60 + 15:
        warnings.append(f"{s['label']}: {s['t']:.1f} s, over time_limit_ms 60000 (+15 s for building the model)")
    if not np.any(q > 0):
        warnings.append(f"{s['label']}: the plan orders nothing (cost {j['expected_cost']:.2f}, the cost without orders)")
    print(f"   binding {j['binding']}; {int(np.sum(q > 0))} products ordered; checks (whole packs, minimums, "
          f"limits, expected_cost recomputed: {rel:.1g}): {'; '.join(bad) if bad else 'ok'}")

# --- gaps
bound = {"a": lpb_b, "b": lpb_b, "b0": lpb_b, "c": lpb_c}
exact = {"a": opt_b, "b": opt_b, "b0": opt_b, "c": opt_c}
print("\n== gaps")
print("   gap to LP bound = (the chords' cost of the plan's orders - LP bound) / LP bound.  The LP bound is the optimum\n"
      "   of the same chords without integrality (no packs, no minimums) under the same budget (and capacity), from its\n"
      "   Lagrangian dual computed here in numpy (maximised over the multipliers: for the budget alone a continuous\n"
      "   knapsack, the capacity's multiplier by bisection; any multipliers >= 0 give a lower bound, so it is valid even\n"
      "   where a solver stopped early).  For (a) it measures how far GLPK's LP is from the LP optimum.  For the MIPs\n"
      "   it is the LP relaxation bound: the relaxation (pack counts continuous, minimum-order binaries in [0, 1]) has\n"
      "   the same chords on [0, q*] plus two above q*, whose slopes are positive (C rises past the newsvendor order)\n"
      "   and which take budget: a relaxed plan does better without them, so the relaxation's optimum is the LP's,\n"
      "   and every whole-pack plan is feasible in it.  It counts what the packs and minimums cost as well as the\n"
      "   search's own gap (GLPK's mip_gap is against its own best bound, which is >= this one).")
print("   gap to exact optimum = (expected_cost - KKT optimum) / KKT optimum, the KKT optimum the exact expected cost\n"
      "   of the convex problem without packs under the same budget (and capacity): every plan is feasible there, so\n"
      "   it is a lower bound; for the LP it is the loss of the 24 chords, for the MIPs that plus the packs'.")
gaps = {}
for key, s in scen.items():
    j = s["j"]
    if j is None:
        continue
    g_lp = (s["pwl"] - bound[key]) / bound[key]
    g_ex = (j["expected_cost"] - exact[key]) / exact[key]
    gaps[key] = (g_lp, g_ex)
    print(f"   {s['label']}: gap to LP bound {100 * g_lp:.4f}%, gap to exact optimum {100 * g_ex:.4f}% "
          f"(chords' cost - expected_cost, the chords' overestimate at the plan: {100 * (s['pwl'] - j['expected_cost']) / j['expected_cost']:.4f}%)")
if scen.get("b", {}).get("j") is not None and scen.get("b0", {}).get("j") is not None and scen["b0"]["j"]["status"] == "optimal":
    print(f"   (b) at mip_gap 1e-3 against (b) at mip_gap 0 (the MIP's true optimum): "
          f"{100 * (scen['b']['pwl'] - scen['b0']['pwl']) / scen['b0']['pwl']:.4f}%")
print(f"   the chords' LP optimum against the exact optimum (the 24 chords' own loss, at the LP's orders): budget "
      f"{100 * (lpb_b - opt_b) / opt_b:.4f}%, budget + capacity {100 * (lpb_c - opt_c) / opt_c:.4f}% (objective; the "
      f"exact cost at the LP's orders is lower)")
if scen.get("a", {}).get("j") is not None and scen["a"]["j"]["budget_shadow_price"] is not None:
    sa = scen["a"]["j"]["budget_shadow_price"]
    print(f"   budget shadow price of (a) {sa:.6g}; the LP's multiplier {lplam_b:.6g}, the exact multiplier lam "
          f"{lam_b:.6g} ({100 * (sa - lam_b) / lam_b:+.2f}%)")


# --- the analyst: psycopg2 export + scipy.optimize.milp (HiGHS) of the same model
class Solved:
    """What the bench reads of milp's result (or of a solve killed at the deadline: status -1, nothing else)."""
    def __init__(self, status, message, fun=None, x=None, mip_gap=None, mip_dual_bound=None, mip_node_count=None):
        self.status, self.message, self.fun, self.x = status, message, fun, x
        self.mip_gap, self.mip_dual_bound, self.mip_node_count = mip_gap, mip_dual_bound, mip_node_count


def solve_with_deadline(cobj, integ, bounds, cons):
    """scipy.optimize.milp with time_limit SCIPY_TIME_LIMIT, in a forked child that is killed when it has not
    answered SCIPY_GRACE s after that limit (HiGHS 1.10's simplex does not always look at its clock: a 60 s
    limit took 532 s on the one-row LP at 10,000 products)."""
    ctx = multiprocessing.get_context("fork")
    rx, tx = ctx.Pipe(duplex=False)

    def child():
        r = optimize.milp(cobj, integrality=integ, bounds=bounds, constraints=cons,
                          options={"time_limit": SCIPY_TIME_LIMIT, "mip_rel_gap": MIP_GAP, "disp": False})
        tx.send(Solved(r.status, r.message, r.fun, r.x, getattr(r, "mip_gap", None),
                       getattr(r, "mip_dual_bound", None), getattr(r, "mip_node_count", None)))
        tx.close()

    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    tx.close()
    if rx.poll(SCIPY_TIME_LIMIT + SCIPY_GRACE):
        try:
            out = rx.recv()
        except EOFError:
            out = Solved(-2, "the solver process died")
    else:
        proc.kill()
        out = Solved(-1, f"no answer {SCIPY_GRACE:g} s after its time limit: killed")
    proc.join()
    rx.close()
    return out


print(f"\n== analyst: export with psycopg2, the same piecewise-linear model, scipy.optimize.milp (HiGHS), "
      f"time_limit {SCIPY_TIME_LIMIT:g} s, mip_rel_gap {MIP_GAP:g}")
t1 = time.time()
aconn = psycopg2.connect("")
acur = aconn.cursor()
acur.execute("SELECT " + ", ".join(COLS) + " FROM products ORDER BY product_id")
rows = acur.fetchall()
aconn.close()
E = {c: np.array([r[k] for r in rows], dtype=np.int64 if k == 0 else float) for k, c in enumerate(COLS)}
t_export = time.time() - t1
assert all(np.array_equal(E[c], X[c]) for c in COLS), "the export is the data that was loaded"
print(f"   export: {len(rows):,} rows in {t_export:.2f} s (SELECT ... ORDER BY product_id, fetchall, numpy)")
del rows
sp = {}
for key, s in scen.items():
    if key == "b0":
        continue
    t1 = time.time()
    model = build_milp(E, B, s["cap"], packs=s["packs"])
    t_build = time.time() - t1
    cobj, integ, bounds, cons, lay = model
    t1 = time.time()
    res = solve_with_deadline(cobj, integ, bounds, cons)
    t_solve = time.time() - t1
    entry = {"build": t_build, "solve": t_solve, "total": t_export + t_build + t_solve, "status": res.status,
             "message": res.message, "fun": res.fun, "dual_bound": res.mip_dual_bound}
    if res.x is not None:
        q = np.bincount(lay["pi"], weights=res.x[:lay["nseg"]], minlength=lay["n"])
        if s["packs"]:
            q = E["pack_size"] * np.round(q / E["pack_size"])
        q = np.maximum(q, 0)
        entry["expected_cost"] = float(exact_cost(q, *args_of(E)).sum())
        entry["bad"] = plan_check(E, q, B, s["cap"], s["packs"])
    sp[key] = entry
    extra = ""
    if "expected_cost" in entry:
        extra += (f"; gap to LP bound {100 * (res.fun - bound[key]) / bound[key]:.4f}%, gap to exact optimum "
                  f"{100 * (entry['expected_cost'] - exact[key]) / exact[key]:.4f}%")
    if lay["nint"]:
        fmt = lambda v, f: "none" if v is None else format(v, f)
        extra += (f"; HiGHS gap {fmt(res.mip_gap, '.3g')}, dual bound {fmt(res.mip_dual_bound, '.4f')}, "
                  f"{fmt(res.mip_node_count, 'd')} nodes")
    print(f"-- {s['label']}: {lay['ncol']:,} columns ({lay['nint']:,} integer), {lay['nrow']:,} rows; build "
          f"{t_build:.2f} s, solve {t_solve:.2f} s, export + build + solve {entry['total']:.2f} s")
    print(f"   status {res.status} ({res.message}), objective "
          + ((f"{res.fun:.4f}" + (f" (supplymkt {s['pwl']:.4f}, {100 * (res.fun - s['pwl']) / s['pwl']:+.4f}%)"
                                   if "pwl" in s else ""))
             if res.fun is not None else "none")
          + (f", expected cost {entry['expected_cost']:.4f}, checks: {'; '.join(entry['bad']) or 'ok'}"
             if "expected_cost" in entry else "") + extra)

# --- result
print(f"\n== result: {N:,} products, budget {BUDGET_SHARE:.0%} of the unconstrained spend, capacity (c) "
      f"{CAPACITY_SHARE:.0%} of the budget-only optimum's extra volume; segments {SEGMENTS}, mip_gap {MIP_GAP:g}, "
      f"time_limit_ms 60000; supplymkt best of {RUNS} (a run that ends at its time limit is not repeated; mip_gap 0: "
      f"one run); objective = the chords' cost of the plan's orders; scipy = export + model + milp (time_limit "
      f"{SCIPY_TIME_LIMIT:g} s); ratio = scipy s / supplymkt s")
print("| scenario | products | supplymkt s | status | objective | expected cost | gap to LP bound | gap to exact optimum "
      "| scipy milp s | scipy objective | ratio |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
notes = []
for key, s in scen.items():
    j = s["j"]
    e = sp.get(key)
    if e is None:
        st = sobj = ratio = "-"
    else:
        limited = e["status"] in (1, -1)
        st = f"{'> ' if limited and e['fun'] is None else ''}{e['total']:.2f}" + \
            {0: "", 1: " (time limit)", -1: " (killed)"}.get(e["status"], f" (status {e['status']})")
        sobj = f"{e['fun']:.2f}" if e["fun"] is not None else "none"
        ratio = f"{'> ' if limited and e['fun'] is None else ''}{e['total'] / s['t']:.2f}" if s["t"] else "-"
    if j is None:
        t_txt = f"> {SQL_TIMEOUT}" if s["t"] is None else f"{s['t']:.2f}"
        err = "statement_timeout" if s["t"] is None else s["error"].split(" after")[0]
        print(f"| {s['label']} | {N:,} | {t_txt} | {err} | - | - | - | - | {st} | {sobj} | {ratio} |")
        continue
    if s["mismatch"]:
        notes.append(f"{s['label']}: the plan's own `objective` field says {j['objective']:.2f}, not the cost of "
                     f"the orders it returns")
    g_lp, g_ex = gaps[key]
    print(f"| {s['label']} | {N:,} | {s['t']:.2f} | {j['status']} | {s['pwl']:.2f}{' *' if s['mismatch'] else ''} "
          f"| {j['expected_cost']:.2f} | {100 * g_lp:.3f}% | {100 * g_ex:.3f}% | {st} | {sobj} | {ratio} |")
for note in notes:
    print(f"* {note}")

print("\nchecks:")
good_status = all(s["j"] is not None and s["j"]["status"] in ("optimal", "within mip_gap") for s in scen.values())
print(f"   every plan optimal or within mip_gap: {'yes' if good_status else 'NO'}")
if "a" in gaps:
    print(f"   (a) within 0.5% of the exact optimum (test/replenishment_oracle.py's tolerance at 24 segments): "
          f"{100 * gaps['a'][1]:.3f}% ({'met' if 0 <= gaps['a'][1] < 5e-3 else 'NOT met'})")
for key in ("b", "c"):
    if key in gaps:
        print(f"   {scen[key]['label']}: gap to LP bound {100 * gaps[key][0]:.3f}% "
              f"({'under' if gaps[key][0] < 0.01 else 'OVER'} 1%; it includes what the packs and minimums cost{': see HiGHS' + chr(39) + 's bound below' if sp.get(key, {}).get('dual_bound') is not None else ''})")
for key, e in sp.items():
    if "pwl" not in scen[key]:
        print(f"   {scen[key]['label']}: supplymkt gave no plan ({scen[key]['error']})")
    elif e["fun"] is not None:
        d = (scen[key]["pwl"] - e["fun"]) / e["fun"]
        tol = 1e-7 if not scen[key]["packs"] else 2 * MIP_GAP
        print(f"   {scen[key]['label']}: supplymkt's objective {100 * d:+.4f}% against scipy's "
              f"({'agree' if abs(d) <= tol else 'DISAGREE'} within {tol:g})")
        if scen[key]["packs"] and e["dual_bound"] is not None and np.isfinite(e["dual_bound"]):
            g = (scen[key]["pwl"] - e["dual_bound"]) / e["dual_bound"]
            print(f"      against HiGHS's dual bound {e['dual_bound']:.4f} (a lower bound of this MIP, "
                  f"{'tighter' if e['dual_bound'] > bound[key] else 'weaker'} than the LP's {bound[key]:.4f}): "
                  f"supplymkt's plan {100 * g:+.4f}%, scipy's {100 * (e['fun'] - e['dual_bound']) / e['dual_bound']:+.4f}%")
    else:
        print(f"   {scen[key]['label']}: scipy found no plan ({e['message']})")
print(f"   plans feasible and their expected cost as numpy computes it: {'yes' if ok else 'NO'}")
if warnings:
    print("   warnings:")
    for w in warnings:
        print(f"     - {w}")
print(f"load average at the end: {loadavg()} (the machine is shared: other processes on the cores slow every timing here)")
raise SystemExit(0 if ok else 1)
PY
