#!/usr/bin/env bash
# bench/replenishment.sh — HEADER TO BE WRITTEN
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/lib.sh

DIR=${SM_BENCH_DIR:-/tmp/sm-bench-rp}
PORT=${SM_BENCH_PORT:-5492}
PRODUCTS=${SM_BENCH_PRODUCTS:-10000}
RUNS=${SM_BENCH_RUNS:-3}
SCIPY_TIME_LIMIT=${SM_BENCH_SCIPY_TIME_LIMIT:-120}
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
EXACT_MIP = os.environ["EXACT_MIP"] != "0"
SEED = 20241207
SEGMENTS = 24                   # replenishment_options' defaults: segments 24, mip_gap 1e-3, time_limit_ms 60000
MIP_GAP = 1e-3
BUDGET_SHARE = 0.4              # the budget: 40% of what the unconstrained (newsvendor) orders cost
CAPACITY_SHARE = 0.7            # (c): room for 70% of the extra volume the budget-only optimum would bring in
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
    layout = {"pi": pi, "nseg": nseg, "n": n, "pack": pack, "ncol": ncol, "nrow": nrow, "nint": ip.size + bp.size}
    return cobj, integrality, optimize.Bounds(lb, ub), cons, layout


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
            return None, None, False
        dt = time.time() - t1
        j = json.loads(text)
        print(f"{dt:.2f} s, {j['status']}, objective {j['objective']:.4f} (load average {loadavg()})")
        texts.append(text)
        best = dt if best is None or dt < best else best
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

# the exact optima (independent of the plans: the KKT conditions of the exact convex problem, no packs)
t1 = time.time()
q_kb, opt_b, lam_b, _ = kkt(X, B)
on_hand_volume = float(X["volume"] @ X["on_hand"])
CAP = on_hand_volume + CAPACITY_SHARE * float(X["volume"] @ q_kb)
q_kc, opt_c, lam_c, mu_c = kkt(X, B, CAP - on_hand_volume)
print(f"   capacity for (c): on-hand volume {on_hand_volume:.3f} m3 + {CAPACITY_SHARE:.0%} of the {float(X['volume'] @ q_kb):.3f} m3 "
      f"the budget-only optimum orders = {CAP:.3f} m3")
print(f"   exact optima (KKT, bisection on the multipliers, {time.time() - t1:.1f} s): budget only {opt_b:.4f} "
      f"(lam {lam_b:.6g}, spends {float(X['unit_cost'] @ q_kb):.4f}); budget + capacity {opt_c:.4f} "
      f"(lam {lam_c:.6g}, mu {mu_c:.6g}, spends {float(X['unit_cost'] @ q_kc):.4f}, volume "
      f"{on_hand_volume + float(X['volume'] @ q_kc):.4f})")

scen = {}
for key, label, sql, runs, packs, cap in [
        ("a", "(a) LP, budget", SHORT.format(budget=repr(B)), RUNS, False, None),
        ("b", "(b) MIP, packs + min orders, budget", LONG.format(pack="pack_size", moq="min_order",
                                                                 opts=f"budget => {B!r}"), RUNS, True, None),
        ("b0", "(b) with mip_gap 0", LONG.format(pack="pack_size", moq="min_order",
                                                 opts=f"budget => {B!r}, mip_gap => 0, time_limit_ms => 60000"),
         1, True, None),
        ("cl", "(c) LP relaxation, budget + capacity", LONG.format(pack="0", moq="0",
                                                                   opts=f"budget => {B!r}, capacity => {CAP!r}"),
         RUNS, False, CAP),
        ("c", "(c) MIP, packs + min orders, budget + capacity",
         LONG.format(pack="pack_size", moq="min_order", opts=f"budget => {B!r}, capacity => {CAP!r}"), RUNS, True, CAP)]:
    if key == "b0" and not EXACT_MIP:
        continue
    t, j, same = run_sql(label, sql, runs)
    scen[key] = {"label": label, "t": t, "j": j, "same": same, "packs": packs, "cap": cap}

ok = True
print("\n== the plans")
for key, s in scen.items():
    j = s["j"]
    if j is None:
        print(f"-- {s['label']}: no plan (statement_timeout)")
        continue
    q = orders_of(j)
    bad = plan_check(X, q, B, s["cap"], s["packs"])
    recomputed = float(exact_cost(q, *args_of(X)).sum())
    rel = abs(recomputed - j["expected_cost"]) / j["expected_cost"]
    if rel > 1e-9:
        bad.append(f"expected_cost {j['expected_cost']} but numpy's C(q) gives {recomputed}")
    ok &= not bad
    s["q"] = q
    print(f"-- {s['label']}: {j['solver']}, status {j['status']}, best {s['t']:.2f} s"
          + ("" if s["same"] else " (the runs gave DIFFERENT plans)"))
    print(f"   objective {j['objective']:.4f}, expected_cost {j['expected_cost']:.4f} (cost without orders "
          f"{j['cost_without_orders']:.4f}), budget_used {j['budget_used']:.4f} of {B:.4f} (slack {B - j['budget_used']:.4g}), "
          f"budget_shadow_price {j['budget_shadow_price']}")
    if s["cap"] is not None:
        print(f"   capacity_used {j['capacity_used']:.4f} of {CAP:.4f} m3 (slack {CAP - j['capacity_used']:.4g}), "
              f"capacity_shadow_price {j['capacity_shadow_price']}")
    print(f"   binding {j['binding']}; {int(np.sum(q > 0))} products ordered; checks (whole packs, minimums, "
          f"limits, expected_cost recomputed: {rel:.1g}): {'; '.join(bad) if bad else 'ok'}")

# --- gaps
a, b, b0, cl, c = (scen.get(k, {}).get("j") for k in ("a", "b", "b0", "cl", "c"))
bound = {"a": a, "b": a, "b0": a, "cl": cl, "c": cl}
exact = {"a": opt_b, "b": opt_b, "b0": opt_b, "cl": opt_c, "c": opt_c}
print("\n== gaps")
print("   gap to LP bound = (objective - LP objective) / LP objective, the LP being the same products' chords without\n"
      "   integrality: for (b) the objective of (a), for (c) that of (c)'s LP relaxation.  A valid lower bound of the\n"
      "   MIP's objective: the MIP's relaxation (pack counts continuous, minimum-order binaries in [0, 1]) has the\n"
      "   same chords on [0, q*] as the LP plus two chords above q*, whose slopes are positive (C rises past the\n"
      "   newsvendor order) and which take budget and capacity: a relaxed plan using them does better without, so\n"
      "   the relaxation's optimum is the LP's, and every whole-pack plan is feasible in it.  It counts what the\n"
      "   packs and minimums cost as well as the search's own gap (GLPK's mip_gap is against its best bound, >= this).")
print("   gap to exact optimum = (expected_cost - KKT optimum) / KKT optimum, the KKT optimum the exact expected cost\n"
      "   of the convex problem without packs under the same budget (and capacity): every plan is feasible there, so\n"
      "   it is a lower bound; for the LPs it is the loss of the 24 chords, for the MIPs that plus the packs'.")
gaps = {}
for key, s in scen.items():
    j = s["j"]
    if j is None:
        continue
    lb = bound[key]
    g_lp = (j["objective"] - lb["objective"]) / lb["objective"] if lb is not None else float("nan")
    g_ex = (j["expected_cost"] - exact[key]) / exact[key]
    gaps[key] = (g_lp, g_ex)
    print(f"   {s['label']}: gap to LP bound {100 * g_lp:.4f}%, gap to exact optimum {100 * g_ex:.4f}% "
          f"(objective - expected_cost, the chords' own overestimate: {100 * (j['objective'] - j['expected_cost']) / j['expected_cost']:.4f}%)")
if b is not None and b0 is not None and b0["status"] == "optimal":
    print(f"   (b) at mip_gap 1e-3 against (b) at mip_gap 0 (the MIP's true optimum): "
          f"{100 * (b['objective'] - b0['objective']) / b0['objective']:.4f}%")
if a is not None:
    print(f"   budget shadow price of (a) {a['budget_shadow_price']:.6g} against the exact multiplier lam {lam_b:.6g} "
          f"({100 * (a['budget_shadow_price'] - lam_b) / lam_b:+.2f}%)")
if cl is not None:
    print(f"   shadow prices of (c)'s LP: budget {cl['budget_shadow_price']:.6g} (lam {lam_c:.6g}), capacity "
          f"{cl['capacity_shadow_price']:.6g} (mu {mu_c:.6g})")

# --- the analyst: psycopg2 export + scipy.optimize.milp (HiGHS) of the same model
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
    if key == "b0" or s["j"] is None:
        continue
    t1 = time.time()
    model = build_milp(E, B, s["cap"], packs=s["packs"])
    t_build = time.time() - t1
    cobj, integ, bounds, cons, lay = model
    t1 = time.time()
    res = optimize.milp(cobj, integrality=integ, bounds=bounds, constraints=cons,
                        options={"time_limit": SCIPY_TIME_LIMIT, "mip_rel_gap": MIP_GAP, "disp": False})
    t_solve = time.time() - t1
    entry = {"build": t_build, "solve": t_solve, "total": t_export + t_build + t_solve, "status": res.status,
             "message": res.message, "fun": res.fun}
    if res.x is not None:
        q = np.bincount(lay["pi"], weights=res.x[:lay["nseg"]], minlength=lay["n"])
        if s["packs"]:
            q = E["pack_size"] * np.round(q / E["pack_size"])
        q = np.maximum(q, 0)
        entry["expected_cost"] = float(exact_cost(q, *args_of(E)).sum())
        entry["bad"] = plan_check(E, q, B, s["cap"], s["packs"])
    sp[key] = entry
    extra = ""
    if lay["nint"]:
        extra = (f", HiGHS gap {getattr(res, 'mip_gap', float('nan')):.3g}, dual bound "
                 f"{getattr(res, 'mip_dual_bound', float('nan')):.4f}, {getattr(res, 'mip_node_count', '?')} nodes")
    print(f"-- {s['label']}: {lay['ncol']:,} columns ({lay['nint']:,} integer), {lay['nrow']:,} rows; build "
          f"{t_build:.2f} s, solve {t_solve:.2f} s, export + build + solve {entry['total']:.2f} s")
    print(f"   status {res.status} ({res.message}), objective "
          + (f"{res.fun:.4f} (supplymkt {s['j']['objective']:.4f}, {100 * (res.fun - s['j']['objective']) / s['j']['objective']:+.4f}%)"
             if res.fun is not None else "none")
          + (f", expected cost {entry['expected_cost']:.4f}, checks: {'; '.join(entry['bad']) or 'ok'}"
             if "expected_cost" in entry else "") + extra)

# --- result
print(f"\n== result: {N:,} products, budget {BUDGET_SHARE:.0%} of the unconstrained spend, capacity (c) "
      f"{CAPACITY_SHARE:.0%} of the budget-only optimum's extra volume; segments {SEGMENTS}, mip_gap {MIP_GAP:g}, "
      f"time_limit_ms 60000 unless said; supplymkt best of {RUNS} (mip_gap 0: one run); scipy = export + model + "
      f"milp; ratio = scipy s / supplymkt s")
print("| scenario | products | supplymkt s | status | objective | expected cost | gap to LP bound | gap to exact optimum "
      "| scipy milp s | scipy objective | ratio |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for key, s in scen.items():
    j = s["j"]
    if j is None:
        print(f"| {s['label']} | {N:,} | > {SQL_TIMEOUT} | - | - | - | - | - | - | - | - |")
        continue
    g_lp, g_ex = gaps[key]
    glp = "0 (the bound)" if key in ("a", "cl") else f"{100 * g_lp:.3f}%"
    e = sp.get(key)
    if e is None:
        st = sobj = ratio = "-"
    else:
        st = f"{e['total']:.2f}" + (" (time limit)" if e["status"] == 1 else "" if e["status"] == 0 else f" (status {e['status']})")
        sobj = f"{e['fun']:.2f}" if e["fun"] is not None else "none"
        ratio = f"{e['total'] / s['t']:.2f}"
    print(f"| {s['label']} | {N:,} | {s['t']:.2f} | {j['status']} | {j['objective']:.2f} | {j['expected_cost']:.2f} "
          f"| {glp} | {100 * g_ex:.3f}% | {st} | {sobj} | {ratio} |")

print("\nchecks:")
good_status = all(s["j"] is not None and s["j"]["status"] in ("optimal", "within mip_gap")
                  for k, s in scen.items() if k != "b0")
print(f"   every plan optimal or within mip_gap: {'yes' if good_status else 'NO'}")
if "a" in gaps:
    print(f"   (a) within 0.5% of the exact optimum (test/replenishment_oracle.py's tolerance at 24 segments): "
          f"{100 * gaps['a'][1]:.3f}% ({'met' if 0 <= gaps['a'][1] < 5e-3 else 'NOT met'})")
for key in ("b", "c"):
    if key in gaps:
        print(f"   {scen[key]['label']}: gap to LP bound {100 * gaps[key][0]:.3f}% "
              f"({'under' if gaps[key][0] < 0.01 else 'OVER'} 1%)")
for key, e in sp.items():
    if e["fun"] is not None:
        d = (scen[key]["j"]["objective"] - e["fun"]) / e["fun"]
        tol = 1e-9 if not scen[key]["packs"] else 2 * MIP_GAP
        print(f"   {scen[key]['label']}: supplymkt's objective {100 * d:+.4f}% against scipy's "
              f"({'agree' if abs(d) <= tol else 'DISAGREE'} within {tol:g})")
print(f"   plans feasible and their expected cost as numpy computes it: {'yes' if ok else 'NO'}")
print(f"load average at the end: {loadavg()} (the machine is shared: other processes on the cores slow every timing here)")
raise SystemExit(0 if ok else 1)
PY
