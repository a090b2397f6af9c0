#!/usr/bin/python3
"""test/inventory_oracle.py — numeric oracle for the inventory-policy functions (src/sql/inventory.sql).

Every expected value is computed here from the COMMENT ON text of the function alone (not from the C code),
with Debian's python3-scipy / numpy:

1. Closed forms on a seeded grid (a few hundred argument rows per function, one query per function):
   eoq, eoq_total_cost, safety_stock (z sqrt(L sd^2 + d^2 sdL^2), z = scipy.stats.norm.ppf), reorder_point,
   order_up_to_level, normal_loss (the closed form phi(z) - z (1 - Phi(z)) with scipy's norm.pdf / norm.sf,
   and E[(Z - z)+] by scipy.integrate.quad), safety_stock_fill_rate (k from G(k) = (1 - beta) Q / sigma_L by
   scipy.optimize.brentq), newsvendor_quantity and newsvendor_quantity_by_cost (normal: the quantile;
   Poisson: the smallest q with scipy.stats.poisson.cdf(q) >= ratio, means up to 1e6, the documented maximum), expected_inventory_cost
   (normal: h (Q - D)+ + p (D - Q)+ integrated against the normal pdf with quad; Poisson: summed over the pmf,
   integer and fractional Q).  Above a Poisson mean of 1e5 the quantile uses the cdf of the same pmf summation
   instead of poisson.cdf: scipy 1.10's Poisson upper tail is wrong there (see ref_pois_quantile).
2. Optimality: scipy.optimize.minimize_scalar of the database's expected_inventory_cost lands on
   newsvendor_quantity_by_cost (normal); the Poisson quantity is a discrete local (so, by convexity, global)
   minimum of the cost; minimize_scalar of eoq_total_cost lands on eoq.
3. Published textbook examples with their printed answers, at the printed precision.
4. Documented errors (SQLSTATE 22023), NULL rules and the documented zeros.
5. A hostile grid of huge / tiny valid arguments: every result is finite (never NaN or Infinity), or the call
   raises 22003 / 22023 (statement_timeout 15 s catches a hang).

Tolerances: relative 1e-9 with an absolute floor of 1e-9 (per unit of the result's natural scale where stated:
sigma_L for safety stocks, sd for quantities).  The references are accurate to ~1e-13 (scipy's ndtri, ndtr,
pdtr are good to a few ulps; quad runs at epsrel 1e-13; the Poisson pmf is summed (math.fsum) after a
recurrence from the mode that keeps every term to ~1e-14), so 1e-9 catches any wrong formula, wrong quantile,
off-by-one Poisson quantity or mis-scaled term, while leaving room for the database's own special functions.
Two documented exceptions: the Poisson expected cost at means 1e5..1e6 is compared at 1e-7, because the
documented exact form mean P(D >= k-1) - Q P(D >= k) subtracts two numbers ~ mean to get one ~ sqrt(mean)
(a 1e-14 error in P(D >= k) becomes ~1e-9 at large means); and the optimality checks compare minimisers at 1e-4
(a minimiser of a flat function is only good to ~sqrt(eps)).

Reads the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE: CREATE EXTENSION supplymkt done) and
prints TAP.  Runs in well under 30 seconds.
"""
import math
import os
import sys
import warnings

import numpy as np
import psycopg2
from scipy import integrate, optimize, special
from scipy.stats import norm, poisson

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402 (test/tap.py, beside this file)

SEED = 20240611
RTOL = 1e-9
ATOL = 1e-9
S = "supplymkt"
LIMIT = 5           # mismatches listed per TAP line
SQRT2PI = math.sqrt(2.0 * math.pi)

warnings.simplefilter("ignore")
rng = np.random.default_rng(SEED)

# ------------------------------------------------------------------------------------------------------------
# TAP
# ------------------------------------------------------------------------------------------------------------
tap = Tap(limit=LIMIT)
check, finish = tap.check, tap.finish


def close(got, want, rtol=RTOL, atol=ATOL):
    """got is a finite float within max(atol, rtol |want|) of want (both None also matches)."""
    if want is None or got is None:
        return want is None and got is None
    got = float(got)
    if not math.isfinite(got):
        return False
    return abs(got - float(want)) <= max(atol, rtol * abs(float(want)))


def mismatch(args, got, want):
    rel = ""
    if got is not None and want not in (None, 0):
        rel = " (rel err %.3g)" % (abs(float(got) - float(want)) / abs(float(want)))
    return "%s: got %r, want %r%s" % (args, got, want, rel)


# ------------------------------------------------------------------------------------------------------------
# Database
# ------------------------------------------------------------------------------------------------------------
conn = psycopg2.connect("")
conn.autocommit = True
cur = conn.cursor()
cur.execute("SET client_min_messages = warning")
cur.execute("SET extra_float_digits = 3")
cur.execute("SET statement_timeout = '15s'")

# argument types of each function, in order (the distribution argument is text)
SIG = {
    "eoq": ["float8"] * 3,
    "eoq_total_cost": ["float8"] * 4,
    "safety_stock": ["float8"] * 5,
    "safety_stock_fill_rate": ["float8"] * 6,
    "reorder_point": ["float8"] * 5,
    "order_up_to_level": ["float8"] * 6,
    "newsvendor_quantity": ["float8"] * 5 + ["text"],
    "newsvendor_quantity_by_cost": ["float8"] * 4 + ["text"],
    "expected_inventory_cost": ["float8"] * 5 + ["text"],
    "normal_loss": ["float8"],
}


def pyval(v):
    if v is None or isinstance(v, str):
        return v
    return float(v)


def batch(func, rows):
    """supplymkt.func(row...) for every row, in one query (rows must all be valid); returns the results."""
    types = SIG[func][:len(rows[0])]
    cols = [[pyval(r[k]) for r in rows] for k in range(len(types))]
    names = ", ".join("c%d" % k for k in range(len(types)))
    sql = "SELECT %s.%s(%s) FROM unnest(%s) WITH ORDINALITY u(%s, i) ORDER BY i" % (
        S, func, names, ", ".join("%%s::%s[]" % t for t in types), names)
    cur.execute(sql, cols)
    return [r[0] for r in cur.fetchall()]


def call(func, *args):
    """('ok', value) or ('err', SQLSTATE, message) of one call of supplymkt.func(args) (typed parameters)."""
    types = SIG[func]
    sql = "SELECT %s.%s(%s)" % (S, func, ", ".join("%%s::%s" % t for t in types[:len(args)]))
    try:
        cur.execute(sql, [pyval(a) for a in args])
        return ("ok", cur.fetchone()[0])
    except psycopg2.Error as e:
        return ("err", e.pgcode, (e.pgerror or "").strip().splitlines()[0] if e.pgerror else "")


def value(func, *args):
    r = call(func, *args)
    if r[0] != "ok":
        raise RuntimeError("%s%r raised %s %s" % (func, args, r[1], r[2]))
    return r[1]


def compare_grid(func, rows, want, tol=None, extra=None):
    """Runs func over rows, compares with want (list) using tol(row, want) -> (rtol, atol); mismatch list."""
    got = batch(func, rows)
    bad = []
    for row, g, w in zip(rows, got, want):
        rtol, atol = tol(row, w) if tol else (RTOL, ATOL)
        if isinstance(w, set):
            if g is None or float(g) not in w:
                bad.append("%s%r: got %r, want one of %s" % (func, tuple(row), g, sorted(w)))
        elif not close(g, w, rtol, atol):
            bad.append(mismatch("%s%r" % (func, tuple(row)), g, w))
    return bad, got


# ------------------------------------------------------------------------------------------------------------
# References (straight from the COMMENT ON texts)
# ------------------------------------------------------------------------------------------------------------
def z_of(p):
    return float(norm.ppf(p))


def sigma_l(d, sd, lt, sdl):
    return math.sqrt(lt * sd * sd + d * d * sdl * sdl)


def ref_safety_stock(d, sd, lt, sdl, sl):
    return z_of(sl) * sigma_l(d, sd, lt, sdl)


def ref_reorder_point(d, sd, lt, sdl, sl):
    return d * lt + ref_safety_stock(d, sd, lt, sdl, sl)


def ref_order_up_to(d, sd, r, lt, sdl, sl):
    p = r + lt
    return d * p + z_of(sl) * math.sqrt(p * sd * sd + d * d * sdl * sdl)


def loss_closed(z):
    """G(z) = phi(z) - z (1 - Phi(z)), scipy.stats.norm (1 - Phi as norm.sf, no cancellation in 1 - Phi)."""
    return float(norm.pdf(z) - z * norm.sf(z))


def loss_quad(z):
    """G(z) = E[(Z - z)+] = int_0^inf u phi(z + u) du by scipy.integrate.quad (epsrel 1e-13).  For z >= 0
    phi(z) is taken out of the integral (phi(z + u) = phi(z) exp(-z u - u^2/2)), which keeps the integrand
    of order 1 however far in the tail z is; for z < 0 the integrand peaks at u = -z, where it is split."""
    if z >= 0:
        val = integrate.quad(lambda u: u * math.exp(-z * u - 0.5 * u * u), 0, math.inf,
                             epsabs=0, epsrel=1e-13, limit=400)[0]
        return float(norm.pdf(z)) * val
    a = -z
    f = lambda u: u * math.exp(-0.5 * (z + u) ** 2) / SQRT2PI  # noqa: E731
    lo = max(0.0, a - 12.0)
    v = integrate.quad(f, lo, a, epsabs=0, epsrel=1e-13, limit=400)[0]
    v += integrate.quad(f, a, math.inf, epsabs=0, epsrel=1e-13, limit=400)[0]
    if lo > 0:
        v += integrate.quad(f, 0, lo, epsabs=0, epsrel=1e-13, limit=400)[0]
    return v


def log_loss(k):
    """log G(k) without cancellation trouble.  k <= 0: G = phi(k) + |k| (1 - Phi(k)), two positive terms;
    k > 0: G = phi(k) (1 - k M(k)), M(k) = (1 - Phi(k)) / phi(k) the Mills ratio (scipy.special.erfcx)."""
    if k <= 0:
        return math.log(math.exp(-0.5 * k * k) / SQRT2PI - k * float(special.ndtr(-k)))
    mills = math.sqrt(math.pi / 2) * float(special.erfcx(k / math.sqrt(2)))
    return -0.5 * k * k - math.log(SQRT2PI) + math.log1p(-k * mills)


def ref_fill_rate_ss(d, sd, lt, sdl, beta, q):
    """k sigma_L with G(k) = (1 - beta) q / sigma_L (brentq on log G, which is decreasing); 0 if sigma_L = 0."""
    s = sigma_l(d, sd, lt, sdl)
    if s == 0:
        return 0.0
    target = math.log((1 - beta) * q / s)
    f = lambda k: log_loss(k) - target  # noqa: E731
    lo, hi = -1.0, 1.0
    while f(lo) < 0:
        lo *= 2
    while f(hi) > 0:
        hi *= 2
    k = optimize.brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    return k * s


def ref_pois_quantile(mu, r):
    """Smallest whole q with P(D <= q) >= r, D ~ Poisson(mu), as a set that also holds the neighbour when the
    cdf is within 1e-12 of r (a tie within rounding).  Means up to 1e5: scipy.stats.poisson.cdf.  Above, the
    cdf of the pmf summation (pois_pmf; lower tail summed from below, upper tail from above, in long double):
    scipy 1.10's poisson.sf / cdf (cephes igamc) is wrong in the upper tail at large means (4.7 sd above a mean
    of 1e9 it gives 2.8e-7 where the pmf sum and the normal approximation give 1.07e-6; 8e-6 relative already
    at 1e6), while the two agree to ~1e-13 everywhere else."""
    if mu == 0:
        return {0.0}
    if mu <= 1e5:
        q = int(poisson.ppf(r, mu))
        while q > 0 and poisson.cdf(q - 1, mu) >= r:
            q -= 1
        while poisson.cdf(q, mu) < r:
            q += 1
        ok = {float(q)}
        if abs(poisson.cdf(q, mu) - r) < 1e-12:
            ok.add(float(q + 1))
        if q > 0 and abs(poisson.cdf(q - 1, mu) - r) < 1e-12:
            ok.add(float(q - 1))
        return ok
    ks, lower, upper = pois_cdf(mu)
    if r <= 0.5:            # P(D <= k) from below
        val, thr = lower[:-1], r
        cond = val >= thr
    else:                   # P(D <= k) = 1 - P(D >= k + 1): compare the upper tail with 1 - r (exact)
        val, thr = upper[1:], 1.0 - r
        cond = val <= thr
    i = int(np.argmax(cond))
    ok = {float(ks[i])}
    if abs(float(val[i]) - thr) < 1e-12:
        ok.add(float(ks[i] + 1))
    if i > 0 and abs(float(val[i - 1]) - thr) < 1e-12:
        ok.add(float(ks[i] - 1))
    return ok


_cdf_cache = {}


def pois_cdf(mu):
    """(k, P(D <= k), P(D >= k)) over pois_pmf's range, by long-double prefix sums of the pmf."""
    if mu not in _cdf_cache:
        ks, pm = pois_pmf(mu)
        pl = pm.astype(np.longdouble)
        _cdf_cache.clear()
        _cdf_cache[mu] = (ks, np.cumsum(pl), np.cumsum(pl[::-1])[::-1])
    return _cdf_cache[mu]


def ref_quantile(mu, sd, r, dist):
    if dist == "normal":
        return max(0.0, mu + z_of(r) * sd)
    return ref_pois_quantile(mu, r)


def ref_newsvendor(mu, sd, price, cost, salvage, dist):
    if price <= cost:
        return 0.0
    return ref_quantile(mu, sd, (price - cost) / (price - salvage), dist)


def ref_newsvendor_by_cost(mu, sd, h, p, dist):
    if p == 0:
        return 0.0
    return ref_quantile(mu, sd, p / (p + h), dist)


def ref_cost_normal(q, mu, sd, h, p):
    """h E[(Q - D)+] + p E[(D - Q)+], D ~ N(mu, sd), each expectation integrated against the normal pdf with
    quad.  With D = mu + sd t and z0 = (Q - mu) / sd:  E[(D - Q)+] = sd int_0^inf u phi(z0 + u) du  (u = t - z0)
    and E[(Q - D)+] = sd int_0^inf u phi(z0 - u) du  (u = z0 - t) = sd loss_quad(-z0) since phi is even."""
    z0 = (q - mu) / sd
    return h * sd * loss_quad(-z0) + p * sd * loss_quad(z0)


_pmf_cache = {}


def pois_pmf(mu, upto=0.0):
    """(k, pmf) over [mu - 40 sqrt(mu) - 60, max(upto, mu + 40 sqrt(mu) + 60)] (the mass outside is < 1e-300):
    pmf by the recurrence pmf(k + 1) = pmf(k) mu / (k + 1) from the mode in log space, then normalised with
    math.fsum (scipy's pmf through lgamma loses ~1e-6 relative at mean 1e9; this keeps ~1e-13)."""
    s = math.sqrt(mu)
    lo = max(0, math.floor(mu - 40 * s - 60))
    hi = math.ceil(max(upto + 1, mu + 40 * s + 60))
    key = (mu, lo, hi)
    if key in _pmf_cache:
        return _pmf_cache[key]
    m = min(max(math.floor(mu), lo), hi)
    ks = np.arange(lo, hi + 1, dtype=np.float64)
    lw = np.zeros(len(ks))
    i0 = m - lo
    lw[i0 + 1:] = np.cumsum(np.log1p((mu - ks[i0 + 1:]) / ks[i0 + 1:]))   # log(mu / k), k > mode
    if i0 > 0:
        lw[:i0] = -np.cumsum(np.log1p((mu - ks[1:i0 + 1]) / ks[1:i0 + 1])[::-1])[::-1]
    w = np.exp(lw)
    pm = w / psum(w)
    _pmf_cache.clear()
    _pmf_cache[key] = (ks, pm)
    return ks, pm


def psum(x):
    """Sum of non-negative terms: math.fsum (exact) for up to 2e5 terms, numpy's pairwise sum (relative error
    < log2(n) eps) beyond."""
    return math.fsum(x.tolist()) if len(x) <= 200000 else float(np.sum(x))


def ref_cost_poisson(q, mu, h, p):
    """h E[(Q - D)+] + p E[(D - Q)+] summed directly over the Poisson pmf."""
    if mu == 0:
        return h * q
    ks, pm = pois_pmf(mu, q)
    over = psum(((q - ks) * pm)[ks < q])
    short = psum(((ks - q) * pm)[ks > q])
    return h * over + p * short


def loguniform(lo, hi, n):
    return np.exp(rng.uniform(math.log(lo), math.log(hi), n))


def zero_some(x, frac):
    x = np.array(x, dtype=float)
    x[rng.random(len(x)) < frac] = 0.0
    return x


# ------------------------------------------------------------------------------------------------------------
# 1. Closed forms on seeded grids
# ------------------------------------------------------------------------------------------------------------
N = 300

# eoq
D = np.concatenate([loguniform(1, 1e7, N), [0.0, 1.0, 1e-3]])
K = np.concatenate([loguniform(0.01, 1e4, N), [10.0, 0.0, 1e-3]])
H = np.concatenate([loguniform(0.01, 1e3, N), [0.5, 2.0, 1e-3]])
rows = list(zip(D, K, H))
bad, _ = compare_grid("eoq", rows, [math.sqrt(2 * d * k / h) for d, k, h in rows])
check(not bad, "eoq = sqrt(2 D S / H) on %d seeded rows (D 1..1e7, S 0.01..1e4, H 0.01..1e3, and zeros)" % len(rows),
      bad)

# eoq_total_cost: random Q, and at the EOQ (total sqrt(2 D S H), halves equal)
Q = loguniform(1e-2, 1e6, N)
rows = list(zip(D[:N], K[:N], H[:N], Q))
rows += [(d, k, h, math.sqrt(2 * d * k / h)) for d, k, h in zip(D[:50], K[:50], H[:50])]
want = [d / q * k + q / 2 * h for d, k, h, q in rows]
bad, got = compare_grid("eoq_total_cost", rows, want)
for (d, k, h, q), g in list(zip(rows, got))[N:]:
    if not close(g, math.sqrt(2 * d * k * h)):
        bad.append(mismatch("eoq_total_cost%r at the EOQ vs sqrt(2DSH)" % ((d, k, h, q),), g, math.sqrt(2 * d * k * h)))
check(not bad, "eoq_total_cost = D/Q S + Q/2 H on %d rows; at the EOQ it is sqrt(2 D S H)" % len(rows), bad)

# safety stock family
M = 320
dm = zero_some(loguniform(0.01, 1e5, M), 0.05)
dsd = zero_some(dm * rng.uniform(0, 1.5, M), 0.08)
lt = zero_some(rng.uniform(0, 60, M), 0.05)
lsd = zero_some(lt * rng.uniform(0, 0.8, M), 0.3)
sl = rng.uniform(0.001, 0.999, M)
sl[:12] = [0.5, 0.9, 0.95, 0.99, 0.999999, 1e-6, 0.3, 0.05, 0.999, 0.8, 0.6, 0.97]
rp = loguniform(0.1, 30, M)
rows = list(zip(dm, dsd, lt, lsd, sl))
ss_tol = lambda row, w: (RTOL, ATOL * max(1.0, sigma_l(*row[:4])))  # noqa: E731
bad, _ = compare_grid("safety_stock", rows, [ref_safety_stock(*r) for r in rows], ss_tol)
check(not bad, "safety_stock = z sqrt(L sd^2 + d^2 sdL^2), z = norm.ppf(service_level), %d rows (incl. service 0.5, "
      "below 0.5, fixed lead times, zero sd)" % len(rows), bad)

bad, _ = compare_grid("reorder_point", rows, [ref_reorder_point(*r) for r in rows], ss_tol)
check(not bad, "reorder_point = d L + safety_stock on %d rows" % len(rows), bad)

rows6 = list(zip(dm, dsd, rp, lt, lsd, sl))
bad, _ = compare_grid("order_up_to_level", rows6, [ref_order_up_to(*r) for r in rows6],
                      lambda row, w: (RTOL, ATOL * max(1.0, sigma_l(row[0], row[1], row[2] + row[3], row[4]))))
check(not bad, "order_up_to_level = d (R + L) + z sqrt((R + L) sd^2 + d^2 sdL^2) on %d rows" % len(rows6), bad)

# normal_loss: closed form (scipy) and quad
zs = np.concatenate([rng.uniform(-10, 10, 250), np.linspace(-40, 40, 81), rng.normal(0, 1, 40),
                     [0.0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8, 8.5, -8.5, 20.0, 37.0, 38.0, 39.0, 100.0, -100.0, 1e6,
                      -1e6]])
rows = [(float(z),) for z in zs]
bad, got_loss = compare_grid("normal_loss", rows, [loss_closed(z) for (z,) in rows])
sym_rows = [(z,) for (z,) in rows if abs(z) <= 40]
g_neg = batch("normal_loss", [(-z,) for (z,) in sym_rows])
for (z,), gp, gn in zip(sym_rows, [g for (zz,), g in zip(rows, got_loss) if abs(zz) <= 40], g_neg):
    if not close(gn, gp + z, 1e-12, 1e-12):
        bad.append("symmetry G(-z) = G(z) + z at z = %r: G(-z) = %r, G(z) + z = %r" % (z, gn, gp + z))
    if gp is not None and gp < 0:
        bad.append("normal_loss(%r) = %r < 0" % (z, gp))
check(not bad, "normal_loss = phi(z) - z (1 - Phi(z)) (scipy closed form) on %d z in [-1e6, 1e6]; "
      "G(-z) = G(z) + z; G >= 0" % len(rows), bad)

bad = []
qrows = [(z,) for (z,) in rows if -40.5 <= z <= 37.0]
for (z,), g in zip(rows, got_loss):
    if -40.5 <= z <= 37.0:
        w = loss_quad(z)
        if not close(g, w, RTOL, 0.0):
            bad.append(mismatch("normal_loss(%r) vs quad of E[(Z-z)+]" % z, g, w))
    elif 37.0 < z < 1e5:   # G underflows past ~38.5: 0 <= G < 1e-290
        if g is None or not (0.0 <= g < 1e-290):
            bad.append("normal_loss(%r) = %r, want 0 <= G < 1e-290 (underflow region)" % (z, g))
check(not bad, "normal_loss matches quad integration of E[(Z - z)+] to 1e-9 RELATIVE for %d z in [-40, 37] "
      "(the far upper tail included)" % len(qrows), bad)

# safety_stock_fill_rate
M = 300
fd = zero_some(loguniform(0.01, 1e4, M), 0.04)
fsd = zero_some(fd * rng.uniform(0, 1.2, M), 0.1)
flt = zero_some(rng.uniform(0, 40, M), 0.04)
flsd = zero_some(flt * rng.uniform(0, 0.6, M), 0.3)
fbeta = 1 - loguniform(1e-6, 0.7, M)
fq = loguniform(0.01, 1e6, M)
fsd[:3], flsd[:3] = 0.0, 0.0          # sigma_L = 0: certain lead-time demand -> 0
rows = list(zip(fd, fsd, flt, flsd, fbeta, fq))
want = [ref_fill_rate_ss(*r) for r in rows]
bad, got = compare_grid("safety_stock_fill_rate", rows, want,
                        lambda row, w: (RTOL, ATOL * max(1.0, sigma_l(*row[:4]))))
nneg = sum(1 for w in want if w < 0)
check(not bad, "safety_stock_fill_rate = k sigma_L, G(k) = (1 - fill_rate) Q / sigma_L solved with brentq, %d rows "
      "(%d negative, 3 with sigma_L = 0)" % (len(rows), nneg), bad)

# newsvendor_quantity, normal
M = 300
nm = zero_some(loguniform(0.01, 1e6, M), 0.03)
nsd = zero_some(nm * rng.uniform(0, 1.5, M), 0.05)
ncost = loguniform(0.01, 1e3, M)
nsalv = ncost * rng.uniform(0, 0.95, M) * (rng.random(M) < 0.7)
nprice = ncost * (1 + loguniform(1e-3, 20, M))
nprice[:10] = ncost[:10] * rng.uniform(0.2, 1.0, 10)      # price <= cost -> 0
nprice[10] = ncost[10]
tol_q = lambda row, w: (RTOL, ATOL * max(1.0, row[1] if row[1] is not None else 1.0))  # noqa: E731


def ratio_ok(price, cost, salvage):
    r = (price - cost) / (price - salvage)
    return price <= cost or 1e-6 <= r <= 1 - 1e-6


keep = [i for i in range(M) if ratio_ok(nprice[i], ncost[i], nsalv[i])]
rows = [(nm[i], nsd[i], nprice[i], ncost[i], nsalv[i], "normal") for i in keep]
bad, _ = compare_grid("newsvendor_quantity", rows, [ref_newsvendor(*r) for r in rows], tol_q)
got4 = batch("newsvendor_quantity", [r[:4] for r in rows[:40]])   # defaults: salvage 0, normal
for r, g in zip(rows[:40], got4):
    w = ref_newsvendor(r[0], r[1], r[2], r[3], 0.0, "normal")
    if not close(g, w, RTOL, ATOL * max(1.0, r[1])):
        bad.append(mismatch("newsvendor_quantity%r (defaults)" % (r[:4],), g, w))
nclamp = sum(1 for r in rows if r[2] > r[3] and ref_newsvendor(*r) == 0)
check(not bad, "newsvendor_quantity normal = max(0, mean + z sd), z at (price - cost)/(price - salvage), %d rows "
      "(11 with price <= cost, %d clamped at 0) + 40 with the defaults" % (len(rows), nclamp), bad)

# newsvendor_quantity, Poisson (means up to 1e6 here; 1e5..1e6 in the sweep below)
M = 260
pm_ = np.concatenate([loguniform(1e-3, 1e4, M - 12), [0.0, 0.5, 1.0, 2.0, 1e5, 3.3e5, 1e6, 12.0, 7.0, 1e6, 1e6,
                                                     1e6]])
pcost = loguniform(0.01, 100, M)
psalv = pcost * rng.uniform(0, 0.95, M) * (rng.random(M) < 0.5)
pprice = pcost * (1 + loguniform(1e-3, 20, M))
pprice[M - 2], psalv[M - 2] = pcost[M - 2] * (1 + 1e-5), 0.0        # ratio ~1e-5 at mean 1e6
pprice[M - 1], psalv[M - 1] = pcost[M - 1] * 2, pcost[M - 1] * (1 - 1e-5)  # ratio ~1 - 1e-5 at mean 1e6
pprice[:6] = pcost[:6] * 0.5
keep = [i for i in range(M) if ratio_ok(pprice[i], pcost[i], psalv[i])]
rows = [(pm_[i], None, pprice[i], pcost[i], psalv[i], "poisson") for i in keep]
bad, _ = compare_grid("newsvendor_quantity", rows, [ref_newsvendor(*r) for r in rows])
check(not bad, "newsvendor_quantity poisson = smallest q with poisson.cdf(q) >= ratio, %d rows (means 0..1e6; "
      "ratios 1e-5..1-1e-5; 6 with price <= cost)" % len(rows), bad)

# newsvendor_quantity_by_cost, normal and Poisson
M = 240
bm = zero_some(loguniform(0.01, 1e5, M), 0.03)
bsd = bm * rng.uniform(0, 1.5, M)
bh = loguniform(1e-3, 1e3, M)
bp = loguniform(1e-3, 1e3, M) * (rng.random(M) > 0.03)
rows = [(bm[i], bsd[i], bh[i], bp[i], "normal") for i in range(M) if 1e-6 <= bp[i] / (bp[i] + bh[i]) <= 1 - 1e-6
        or bp[i] == 0]
pmb = np.concatenate([loguniform(1e-3, 1e4, M - 6), [0.0, 1e5, 1e6, 1e6, 5.5, 1e6]])
rows += [(pmb[i], None, bh[i], bp[i], "poisson") for i in range(M) if 1e-6 <= bp[i] / (bp[i] + bh[i]) <= 1 - 1e-6
         or bp[i] == 0]
bad, _ = compare_grid("newsvendor_quantity_by_cost", rows, [ref_newsvendor_by_cost(*r) for r in rows],
                      lambda row, w: (RTOL, ATOL * max(1.0, row[1] or 1.0)))
check(not bad, "newsvendor_quantity_by_cost = the shortage/(shortage + holding) quantile, %d rows normal and "
      "poisson (means to 1e6, some shortage_cost 0)" % len(rows), bad)

# Poisson quantities at means 1e5..1e6 (the documented maximum): a sweep of critical ratios through both tails
bad = []
RATIOS = [1e-9, 1e-4, 1e-3, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 0.99, 0.999,
          0.9999, 1 - 1e-9]
BIG = [1e5, 3e5, 7e5, 1e6]
rows_n, rows_c = [], []
for mu in BIG:
    for r in RATIOS:
        rows_n.append((mu, None, 1.0, 1.0 - r, 0.0, "poisson"))     # ratio (1 - (1 - r)) / 1
        rows_c.append((mu, None, 1.0 - r, r, "poisson"))            # ratio r / (r + 1 - r)
for func, rws, ref in [("newsvendor_quantity", rows_n, lambda r: ref_newsvendor(*r)),
                       ("newsvendor_quantity_by_cost", rows_c, lambda r: ref_newsvendor_by_cost(*r))]:
    got = batch(func, rws)
    for row, g in zip(rws, got):
        w = ref(row)
        if g is None or float(g) not in w:
            q = min(w)
            if g is None:
                bad.append("%s%r: got NULL, want %d" % (func, row, q))
                continue
            ks, lower, upper = pois_cdf(row[0])
            cdf = lambda k: float(lower[int(k - ks[0])]) if k < row[0] else 1 - float(upper[int(k + 1 - ks[0])])  # noqa
            bad.append("%s%r: got %r, want %d (off by %+.3g sd; P(D <= got) = %.9g, P(D <= want) = %.9g, "
                       "P(D <= want - 1) = %.9g)" % (func, row, g, q, (float(g) - q) / math.sqrt(row[0]),
                                                     cdf(g), cdf(q), cdf(q - 1)))
check(not bad, "newsvendor_quantity / _by_cost poisson at means 1e5..1e6: %d critical ratios 1e-9..1-1e-9 each give "
      "the smallest q with P(D <= q) >= ratio (pmf-sum cdf)" % (2 * len(rows_n)), bad)

# expected_inventory_cost, normal (quad)
M = 300
em = loguniform(0.1, 1e5, M)
esd = em * loguniform(1e-3, 2, M)
ez0 = np.concatenate([rng.uniform(-4, 4, M - 40), rng.uniform(-12, 12, 30), [0.0] * 10])
eq = np.maximum(0.0, em + ez0 * esd)
eh = loguniform(1e-2, 1e2, M)
ep = loguniform(1e-2, 1e2, M)
rows = [(eq[i], em[i], esd[i], eh[i], ep[i], "normal") for i in range(M)]
want = [ref_cost_normal(*r[:5]) for r in rows]
bad, _ = compare_grid("expected_inventory_cost", rows, want,
                      lambda row, w: (RTOL, 1e-12 * (row[3] + row[4]) * (row[0] + row[1] + row[2])))
check(not bad, "expected_inventory_cost normal = quad of h (Q - D)+ + p (D - Q)+ against the normal pdf, %d rows "
      "((Q - mean)/sd in [-12, 12], Q = 0 where mean + z sd < 0)" % len(rows), bad)

# expected_inventory_cost, Poisson (pmf summation), means up to 1e4; integer and fractional Q
M = 300
xm = np.concatenate([loguniform(1e-3, 1e4, M - 6), [0.0, 0.0, 1.0, 3.0, 0.2, 50.0]])
xs = np.sqrt(xm)
xq = np.maximum(0.0, xm + rng.uniform(-5, 6, M) * xs + rng.uniform(-3, 3, M))
xq[::3] = np.floor(xq[::3])                    # a third integer quantities
xq[1::7] = xm[1::7] * 3 + 40                   # far above the mean
xq[2::11] = 0.0
xh = loguniform(1e-2, 1e2, M)
xp = loguniform(1e-2, 1e2, M)
rows = [(xq[i], xm[i], None, xh[i], xp[i], "poisson") for i in range(M)]
want = [ref_cost_poisson(r[0], r[1], r[3], r[4]) for r in rows]
bad, _ = compare_grid("expected_inventory_cost", rows, want,
                      lambda row, w: (RTOL, 1e-12 * (row[3] + row[4]) * (row[0] + row[1] + 1)))
nfrac = sum(1 for r in rows if r[0] != math.floor(r[0]))
check(not bad, "expected_inventory_cost poisson = h E[(Q-D)+] + p E[(D-Q)+] summed over the pmf, %d rows "
      "(means 0..1e4, %d fractional Q, Q = 0 and Q = 3 mean + 40)" % (len(rows), nfrac), bad)

# expected_inventory_cost, Poisson at large means (1e-7, see the docstring)
rows = []
for mu in [1e5, 3.7e5, 4e5, 1e6]:
    s = math.sqrt(mu)
    for zq, h, p in [(0.0, 1.0, 1.0), (1.3, 0.5, 4.0), (-2.2, 2.0, 3.0), (4.0, 1.0, 9.0), (-1.0, 1.0, 1.0),
                     (-0.3, 1.0, 2.0)]:
        rows.append((math.floor(mu + zq * s) + (0.25 if zq > 1 else 0.0), mu, None, h, p, "poisson"))
want = [ref_cost_poisson(r[0], r[1], r[3], r[4]) for r in rows]
bad, _ = compare_grid("expected_inventory_cost", rows, want, lambda row, w: (1e-7, 0.0))
check(not bad, "expected_inventory_cost poisson at means 1e5..1e6 (%d rows) matches the pmf sum to 1e-7" % len(rows),
      bad)

# ------------------------------------------------------------------------------------------------------------
# 2. Optimality
# ------------------------------------------------------------------------------------------------------------
bad = []
worst = 0.0
cases = [(float(mu), float(mu * c), float(h), float(p)) for mu, c, h, p in
         zip(loguniform(1, 1e4, 36), rng.uniform(0.05, 0.8, 36), loguniform(0.1, 20, 36), loguniform(0.1, 50, 36))]
cases += [(5.0, 20.0, 10.0, 1.0), (1.0, 3.0, 4.0, 1.0), (100.0, 1.0, 1.0, 1.0), (1e3, 300.0, 0.2, 30.0)]  # clamp at 0
for mu, sd, h, p in cases:
    qstar = value("newsvendor_quantity_by_cost", mu, sd, h, p, "normal")
    f = lambda q: value("expected_inventory_cost", q, mu, sd, h, p, "normal")  # noqa: E731
    res = optimize.minimize_scalar(f, bounds=(max(0.0, mu - 8 * sd), mu + 8 * sd), method="bounded",
                                   options={"xatol": 1e-9 * sd, "maxiter": 500})
    dev = abs(res.x - qstar) / max(abs(qstar), sd)
    worst = max(worst, dev)
    if dev > 1e-4:
        bad.append("mean %r sd %r h %r p %r: newsvendor_quantity_by_cost %r, argmin of SQL cost %r (dev %.2g sd)"
                   % (mu, sd, h, p, qstar, res.x, dev))
    c0 = f(qstar)
    for dq in (-1e-3 * sd, 1e-3 * sd):
        if qstar + dq >= 0 and f(qstar + dq) < c0 * (1 - 1e-13):
            bad.append("mean %r sd %r h %r p %r: cost(Q* %+g) = %r < cost(Q*) = %r"
                       % (mu, sd, h, p, dq, f(qstar + dq), c0))
check(not bad, "normal: minimize_scalar of expected_inventory_cost lands on newsvendor_quantity_by_cost, %d cases "
      "(4 clamped at 0; worst deviation %.2g x max(Q, sd))" % (len(cases), worst), bad)

bad = []
pcases = [(float(mu), float(h), float(p)) for mu, h, p in
          zip(loguniform(0.05, 2000, 40), loguniform(0.1, 20, 40), loguniform(0.1, 50, 40))] + [(3.0, 1.0, 1.0)]
for mu, h, p in pcases:
    q = value("newsvendor_quantity_by_cost", mu, None, h, p, "poisson")
    cq = value("expected_inventory_cost", q, mu, None, h, p, "poisson")
    for nb in (q - 1, q + 1):
        if nb < 0:
            continue
        cn = value("expected_inventory_cost", nb, mu, None, h, p, "poisson")
        if cq > cn * (1 + 1e-12):
            bad.append("mean %r h %r p %r: Q = %r costs %r > cost(%r) = %r (SQL cost)" % (mu, h, p, q, cq, nb, cn))
        if ref_cost_poisson(q, mu, h, p) > ref_cost_poisson(nb, mu, h, p) * (1 + 1e-12):
            bad.append("mean %r h %r p %r: Q = %r not a minimum of the summed cost vs %r" % (mu, h, p, q, nb))
check(not bad, "poisson: newsvendor_quantity_by_cost q costs no more than q - 1 and q + 1 (SQL and summed cost), "
      "%d cases" % len(pcases), bad)

bad = []
worst = 0.0
ecases = list(zip(loguniform(1, 1e7, 40), loguniform(0.01, 1e4, 40), loguniform(0.01, 1e3, 40)))
for d, k, h in ecases:
    d, k, h = float(d), float(k), float(h)
    qe = value("eoq", d, k, h)
    res = optimize.minimize_scalar(lambda x: value("eoq_total_cost", d, k, h, math.exp(x)),
                                   bounds=(math.log(qe) - 5, math.log(qe) + 5), method="bounded",
                                   options={"xatol": 1e-10, "maxiter": 500})
    dev = abs(math.exp(res.x) - qe) / qe
    worst = max(worst, dev)
    if dev > 1e-4:
        bad.append("D %r S %r H %r: eoq %r, argmin of eoq_total_cost %r" % (d, k, h, qe, math.exp(res.x)))
check(not bad, "minimize_scalar of eoq_total_cost lands on eoq, %d cases (worst relative deviation %.2g)"
      % (len(ecases), worst), bad)

# ------------------------------------------------------------------------------------------------------------
# 3. Published textbook examples (printed answer, printed precision)
# ------------------------------------------------------------------------------------------------------------
def printed(bad, label, got, want, places):
    """got rounded to `places` decimals equals the printed `want`."""
    if got is None or round(float(got), places) != round(want, places):
        rounded = None if got is None else round(float(got), places)
        bad.append("%s: SQL %r rounds to %r, printed %r" % (label, got, rounded, want))


bad = []
# Heizer & Render, Operations Management, ch. 12 "Inventory Management", Example 3 (Sharp, Inc., hypodermic
# needles): D = 1,000 units/yr, S = $10/order, H = $.50/unit/yr -> Q* = sqrt(40,000) = 200 units; Learning
# Exercise: D = 1,200 -> Q* = 219 units; the example continues with total cost (1000/200) 10 + (200/2) .50 = $100.
printed(bad, "H&R Ex.3 eoq(1000, 10, 0.5)", value("eoq", 1000, 10, 0.5), 200, 0)
printed(bad, "H&R Ex.3 learning exercise eoq(1200, 10, 0.5)", value("eoq", 1200, 10, 0.5), 219, 0)
printed(bad, "H&R Ex.3 eoq_total_cost(1000, 10, 0.5, 200)", value("eoq_total_cost", 1000, 10, 0.5, 200), 100, 0)
check(not bad, "textbook EOQ: Heizer & Render, Operations Management, ch. 12 Example 3 (Sharp, Inc.): Q* = 200, "
      "219 for D = 1,200, TC = $100", bad)

bad = []
# Stevenson, Operations Management (14th ed.), ch. 12 Example 8: lead-time demand for sand N(50, 5) tons, stockout
# risk 3% -> z = 1.88, safety stock 1.88 x 5 = 9.40 tons, ROP = 59.40 tons (one period = the lead time).
printed(bad, "Stevenson Ex.8 safety_stock(50, 5, 1, 0, 0.97)", value("safety_stock", 50, 5, 1, 0, 0.97), 9.40, 2)
printed(bad, "Stevenson Ex.8 reorder_point(50, 5, 1, 0, 0.97)", value("reorder_point", 50, 5, 1, 0, 0.97), 59.40, 2)
# Heizer & Render, ch. 12 solved problem (surgery packs): weekly demand 60 (constant), lead time normal with mean
# 6 weeks and sd 2 weeks, 90% service -> ROP = 60 x 6 + 1.28 x 60 x 2 = 513.6 ~ 514 surgery packs.
printed(bad, "H&R surgery packs reorder_point(60, 0, 6, 2, 0.90)", value("reorder_point", 60, 0, 6, 2, 0.90), 514, 0)
# Chopra & Meindl, Supply Chain Management, ch. "Managing Uncertainty: Safety Inventory": Lego at a Walmart store,
# weekly demand N(2,500, 500), lead time 2 weeks, CSL 90% -> sigma_L = 707, ss = NORMSINV(0.9) x 707 = 906 boxes.
printed(bad, "Chopra Lego safety_stock(2500, 500, 2, 0, 0.9)", value("safety_stock", 2500, 500, 2, 0, 0.9), 906, 0)
# Chopra & Meindl, impact of lead-time uncertainty: Dell, daily demand N(1,000, 300), lead time 7 days with sd 7
# days, CSL 90% -> sigma_L = sqrt(7 x 300^2 + 1000^2 x 7^2) = 7,045 and ss = NORMSINV(0.9) x 7,045 = 9,029 PCs
# (the book multiplies the rounded 7,045, so the exact ss 9,028.4 is allowed within 1 of 9,029).
printed(bad, "Chopra Dell sigma_L = safety_stock(1000, 300, 7, 7, Phi(1))",
        value("safety_stock", 1000, 300, 7, 7, float(norm.cdf(1.0))), 7045, 0)
g = value("safety_stock", 1000, 300, 7, 7, 0.9)
if g is None or abs(g - 9029) >= 1:
    bad.append("Chopra Dell safety_stock(1000, 300, 7, 7, 0.9) = %r, printed 9,029 (from the rounded sigma_L)" % g)
check(not bad, "textbook safety stock / ROP: Stevenson Ex. 8 (9.40, 59.40), Heizer & Render surgery packs (514), "
      "Chopra & Meindl Lego (906) and Dell lead-time uncertainty (7,045; 9,029)", bad)

bad = []
# Chopra & Meindl, fill rate examples on the same Lego data with lot size Q = 10,000, sigma_L = 707.1:
#  given ss = 1,000 (ROP 6,000): ESC = -ss (1 - F(ss/sigma_L)) + sigma_L f(ss/sigma_L) = 25.13, fr = 0.9975;
#  given fr = 0.975: ESC = 250, Goal Seek gives ss = 67 boxes.
sL = 500 * math.sqrt(2)
esc = sL * value("normal_loss", 1000 / sL)
printed(bad, "Chopra ESC = sigma_L normal_loss(1000/sigma_L)", esc, 25.13, 2)
printed(bad, "Chopra fill rate 1 - ESC/Q", 1 - esc / 10000, 0.9975, 4)
c11 = value("expected_inventory_cost", 6000, 5000, sL, 1, 1, "normal")   # = (Q - mean + ESC) + ESC
printed(bad, "Chopra ESC from expected_inventory_cost(6000, 5000, sigma_L, 1, 1)", (c11 - 1000) / 2, 25.13, 2)
printed(bad, "Chopra safety_stock_fill_rate(2500, 500, 2, 0, 0.975, 10000)",
        value("safety_stock_fill_rate", 2500, 500, 2, 0, 0.975, 10000), 67, 0)
# Standard normal loss function table (e.g. the unit normal loss table in Silver, Pyke & Peterson, Inventory
# Management and Production Planning and Scheduling, or Cachon & Terwiesch, Matching Supply with Demand), 4
# decimals; and the COMMENT's own G(0) = 0.398942.
for z, want in [(0.0, 0.3989), (0.5, 0.1978), (1.0, 0.0833), (1.5, 0.0293), (2.0, 0.0085), (2.5, 0.0020),
                (3.0, 0.0004), (-1.0, 1.0833), (-2.0, 2.0085)]:
    printed(bad, "loss table G(%g)" % z, value("normal_loss", z), want, 4)
printed(bad, "COMMENT G(0)", value("normal_loss", 0.0), 0.398942, 6)
check(not bad, "textbook fill rate / loss function: Chopra & Meindl ESC 25.13, fr 0.9975, ss 67 boxes at fr 97.5%; "
      "unit normal loss table", bad)

bad = []
# Nahmias, Production and Operations Analysis, ch. 5 (the newsboy model): Mac's newsstand, weekly demand for the
# Computer Journal N(11.73, 4.74); copies cost 25 cents and sell for 75 cents, no salvage: cu = 0.50, co = 0.25,
# critical ratio 0.667, z = .43, Q* = 4.74 (.43) + 11.73 = 13.77, about 14 copies.
printed(bad, "Nahmias newsvendor_quantity(11.73, 4.74, 0.75, 0.25)", value("newsvendor_quantity", 11.73, 4.74, 0.75,
                                                                         0.25), 13.77, 2)
printed(bad, "Nahmias newsvendor_quantity_by_cost(11.73, 4.74, 0.25, 0.50)",
        value("newsvendor_quantity_by_cost", 11.73, 4.74, 0.25, 0.50), 13.77, 2)
check(not bad, "textbook newsvendor: Nahmias, Mac's newsstand (mean 11.73, sd 4.74, cost .25, price .75): Q* = 13.77",
      bad)

# ------------------------------------------------------------------------------------------------------------
# 4. Errors, NULLs, documented zeros
# ------------------------------------------------------------------------------------------------------------
NAN, INF = float("nan"), float("inf")
err_cases = []
for sl_bad in (0.0, 1.0, 1.5, NAN, -0.2):
    err_cases += [("safety_stock", (10, 2, 5, 1, sl_bad)), ("reorder_point", (10, 2, 5, 1, sl_bad)),
                  ("order_up_to_level", (10, 2, 7, 5, 1, sl_bad))]
for fr_bad in (0.0, 1.0, 1.5, NAN):
    err_cases.append(("safety_stock_fill_rate", (10, 2, 5, 1, fr_bad, 100)))
err_cases += [
    ("safety_stock", (10, -1, 5, 1, 0.9)), ("reorder_point", (10, -1, 5, 1, 0.9)),
    ("order_up_to_level", (10, -1, 7, 5, 1, 0.9)), ("safety_stock_fill_rate", (10, -1, 5, 1, 0.9, 100)),
    ("safety_stock", (10, 2, 5, -1, 0.9)), ("safety_stock", (-10, 2, 5, 1, 0.9)),
    ("safety_stock", (10, 2, INF, 1, 0.9)),
    ("newsvendor_quantity", (100, -1, 5, 3, 0, "normal")), ("newsvendor_quantity_by_cost", (100, -1, 1, 2, "normal")),
    ("expected_inventory_cost", (100, 100, -1, 1, 2, "normal")),
    ("eoq", (1000, 10, 0)), ("eoq", (-1000, 10, 1)), ("eoq", (1000, NAN, 1)), ("eoq", (1000, 10, INF)),
    ("eoq_total_cost", (1000, 10, 1, 0)), ("eoq_total_cost", (1000, 10, 1, -5)),
    ("order_up_to_level", (10, 2, 0, 5, 1, 0.9)),
    ("newsvendor_quantity", (100, 10, 5, 3, 3, "normal")), ("newsvendor_quantity", (100, 10, 5, 3, 4, "normal")),
    ("newsvendor_quantity", (100, None, 5, 3, 3, "poisson")),
    ("newsvendor_quantity_by_cost", (100, 10, 0, 2, "normal")),
    ("newsvendor_quantity_by_cost", (100, None, 0, 2, "poisson")),
    ("newsvendor_quantity", (100, 10, 5, 3, 0, "gamma")), ("newsvendor_quantity_by_cost", (100, 10, 1, 2, "gamma")),
    ("expected_inventory_cost", (100, 100, 10, 1, 2, "gamma")),
    ("newsvendor_quantity", (100, 10, 5, 3, 0, "poisson")), ("newsvendor_quantity_by_cost", (100, 10, 1, 2, "poisson")),
    ("expected_inventory_cost", (100, 100, 10, 1, 2, "poisson")),
    ("newsvendor_quantity", (NAN, 10, 5, 3, 0, "normal")), ("newsvendor_quantity", (100, 10, -5, 3, 0, "normal")),
    ("expected_inventory_cost", (INF, 100, 10, 1, 2, "normal")),
    ("expected_inventory_cost", (100, 100, 10, -1, 2, "normal")),
    ("safety_stock_fill_rate", (10, 2, 5, 1, 0.9, 0)), ("safety_stock_fill_rate", (10, 2, 5, 1, 0.9, -3)),
    ("normal_loss", (NAN,)), ("normal_loss", (INF,)), ("normal_loss", (-INF,)),
]
bad = []
for func, args in err_cases:
    r = call(func, *args)
    if r[0] != "err" or r[1] != "22023":
        bad.append("%s%r: %s, want SQLSTATE 22023" % (func, args, "returned %r" % (r[1],) if r[0] == "ok"
                                                      else "raised %s (%s)" % (r[1], r[2])))
for args in [(1.5e6, None, 5, 3, 0, "poisson"), (2e9, None, 5, 3, 0, "poisson")]:   # "demand_mean at most 1e6"
    r = call("newsvendor_quantity", *args)
    if r[0] != "err" or r[1] not in ("22023", "22003"):
        bad.append("newsvendor_quantity%r (poisson mean above 1e6): %r, want an error (22023)" % (args, r))
check(not bad, "%d documented invalid calls raise SQLSTATE 22023 (service level 0/1/1.5/NaN, negative sd, holding 0, "
      "salvage >= cost, 'gamma', sd with poisson, Q 0, NaN/Inf), poisson mean > 1e6 errors" % (len(err_cases) + 2), bad)

bad = []
null_cases = []
for func, good in [("eoq", (1000, 10, 0.5)), ("eoq_total_cost", (1000, 10, 0.5, 100)),
                   ("safety_stock", (10, 2, 5, 1, 0.9)), ("reorder_point", (10, 2, 5, 1, 0.9)),
                   ("order_up_to_level", (10, 2, 7, 5, 1, 0.9)), ("safety_stock_fill_rate", (10, 2, 5, 1, 0.9, 100)),
                   ("normal_loss", (0.3,)), ("newsvendor_quantity", (100, 10, 5, 3, 1, "normal")),
                   ("newsvendor_quantity_by_cost", (100, 10, 1, 2, "normal")),
                   ("expected_inventory_cost", (100, 100, 10, 1, 2, "normal"))]:
    for k in range(len(good)):
        null_cases.append((func, good[:k] + (None,) + good[k + 1:]))
for func, args in null_cases:
    r = call(func, *args)
    if r != ("ok", None):
        bad.append("%s%r: %r, want NULL" % (func, args, r))
for func, args in [("newsvendor_quantity", (100, None, 5, 3, 1, "poisson")),
                   ("newsvendor_quantity_by_cost", (100, None, 1, 2, "poisson"))]:
    for k in (0, 2, 3, len(args) - 1):
        a = args[:k] + (None,) + args[k + 1:]
        r = call(func, *a)
        if r != ("ok", None):
            bad.append("%s%r: %r, want NULL" % (func, a, r))
for k in (0, 1, 3, 4, 5):
    a = (90.5, 100, None, 1, 2, "poisson")
    a = a[:k] + (None,) + a[k + 1:]
    r = call("expected_inventory_cost", *a)
    if r != ("ok", None):
        bad.append("expected_inventory_cost%r: %r, want NULL" % (a, r))
# poisson with demand_sd NULL is allowed, and gives the value
for func, args, want in [
        ("newsvendor_quantity", (100, None, 5, 3, 1, "poisson"), ref_newsvendor(100, None, 5, 3, 1, "poisson")),
        ("newsvendor_quantity", (4.2, None, 5, 3), None),          # 4 arguments: normal, sd NULL -> NULL
        ("newsvendor_quantity_by_cost", (100, None, 1, 2, "poisson"),
         ref_newsvendor_by_cost(100, None, 1, 2, "poisson")),
        ("expected_inventory_cost", (90.5, 100, None, 1, 2, "poisson"), ref_cost_poisson(90.5, 100, 1, 2)),
        # documented zeros
        ("newsvendor_quantity", (100, 10, 5, 5, 0, "normal"), 0.0),
        ("newsvendor_quantity", (100, 10, 4, 5, 1, "normal"), 0.0),
        ("newsvendor_quantity", (100, None, 3, 5, 0, "poisson"), 0.0),
        ("newsvendor_quantity", (100, None, 5, 5, 0, "poisson"), 0.0),
        ("newsvendor_quantity_by_cost", (100, 10, 1, 0, "normal"), 0.0),
        ("newsvendor_quantity_by_cost", (100, None, 1, 0, "poisson"), 0.0),
        ("safety_stock_fill_rate", (10, 0, 5, 0, 0.9, 100), 0.0),
        ("safety_stock_fill_rate", (0, 0, 5, 3, 0.9, 100), 0.0),
        ("safety_stock_fill_rate", (10, 3, 0, 0, 0.9, 100), 0.0),
        ("eoq", (0, 10, 1), 0.0), ("newsvendor_quantity", (0, None, 5, 3, 0, "poisson"), 0.0)]:
    r = call(func, *args)
    if r[0] != "ok":
        good = False
    elif want is None:
        good = r[1] is None
    elif isinstance(want, set):
        good = r[1] is not None and float(r[1]) in want
    else:
        good = close(r[1], want)
    if not good:
        bad.append("%s%r: %r, want %r" % (func, args, r, want))
check(not bad, "%d calls with a NULL argument give NULL (demand_sd NULL allowed for poisson); unit_price <= unit_cost, "
      "shortage_cost 0, sigma_L 0 give 0" % (len(null_cases) + 13), bad)

# ------------------------------------------------------------------------------------------------------------
# 5. Hostile grid: finite, or 22003 / 22023
# ------------------------------------------------------------------------------------------------------------
MAG = [0.0, 1e-300, 1e-10, 1.0, 1e10, 1e150, 1e300, 1.7e308]
POS = MAG[1:]
SLS = [1e-300, 1e-12, 0.5, 0.9, 1 - 1e-12, 1 - 2 ** -53]
hostile = []
for a in MAG:
    for b in MAG:
        for c in POS:
            hostile.append(("eoq", (a, b, c)))
for _ in range(500):
    hostile.append(("eoq_total_cost", tuple(float(rng.choice(MAG if i < 3 else POS)) for i in range(4))))
hm = [0.0, 1e-300, 1.0, 1e150, 1e300, 1.7e308]
for _ in range(700):
    d, sd, lt, sdl = (float(rng.choice(hm)) for _ in range(4))
    hostile.append(("safety_stock", (d, sd, lt, sdl, float(rng.choice(SLS)))))
    hostile.append(("reorder_point", (d, sd, lt, sdl, float(rng.choice(SLS)))))
    hostile.append(("order_up_to_level", (d, sd, float(rng.choice(POS)), lt, sdl, float(rng.choice(SLS)))))
    hostile.append(("safety_stock_fill_rate", (d, sd, lt, sdl, float(rng.choice(SLS)), float(rng.choice(POS)))))
for z in [1e300, -1e300, 1.7e308, -1.7e308, 1e10, -1e10, 40.0, -40.0, 38.5, 1e-300, 5e-324, -0.0]:
    hostile.append(("normal_loss", (z,)))
for _ in range(400):
    mu, sd = float(rng.choice(MAG)), float(rng.choice(MAG))
    cost = float(rng.choice(POS))
    price = cost * float(rng.choice([1 + 1e-15, 1 + 1e-9, 2.0, 1e10, 1e300]))
    salvage = cost * float(rng.choice([0.0, 0.5, 1 - 1e-15]))
    hostile.append(("newsvendor_quantity", (mu, sd, price, cost, salvage, "normal")))
    hostile.append(("newsvendor_quantity_by_cost", (mu, sd, float(rng.choice(POS)), float(rng.choice(MAG)), "normal")))
    hostile.append(("expected_inventory_cost", (float(rng.choice(MAG)), mu, float(rng.choice(POS)),
                                                float(rng.choice(MAG)), float(rng.choice(MAG)), "normal")))
PMU = [0.0, 1e-300, 1e-10, 1.0, 1e6, 1e7, 1e8, 1e9 - 0.5, 1e9]
for mu in PMU:
    for price, cost, salvage in [(1 + 1e-12, 1.0, 0.0), (2.0, 1.0, 1 - 1e-12), (2.0, 1.0, 0.0), (1e300, 1e-300, 0.0),
                                 (1.7e308, 1.0, 0.0), (2.0, 1.0, 1 - 2 ** -52)]:
        hostile.append(("newsvendor_quantity", (mu, None, price, cost, salvage, "poisson")))
    for h, p in [(1e-300, 1.0), (1.0, 1e-300), (1e-12, 1.0), (1.0, 1e300), (1e300, 1e300), (1.7e308, 1.7e308)]:
        hostile.append(("newsvendor_quantity_by_cost", (mu, None, h, p, "poisson")))
    for q in [0.0, 1e-300, 0.5, mu, mu + 0.5, 2 * mu + 10, 1e300, 1.7e308]:
        for h, p in [(1.0, 1.0), (1e300, 1e300), (1e-300, 1.0)]:
            hostile.append(("expected_inventory_cost", (q, mu, None, h, p, "poisson")))
# degenerate normal demand (sd 0): if a value comes back it must be the deterministic cost
DET = [(5.0, 10.0, 0.0, 2.0, 3.0), (12.0, 10.0, 0.0, 2.0, 3.0), (10.0, 10.0, 0.0, 2.0, 3.0)]
for args in DET:
    hostile.append(("expected_inventory_cost", args + ("normal",)))

bad = []
counts = {"ok": 0, "22003": 0, "22023": 0}
for func, args in hostile:
    r = call(func, *args)
    if r[0] == "ok":
        v = r[1]
        if v is None or not math.isfinite(float(v)):
            bad.append("%s%r returned %r" % (func, args, v))
        elif func == "expected_inventory_cost" and args[2] == 0.0 and args[5] == "normal":
            q, mu, _, h, p, _ = args
            want = h * max(q - mu, 0) + p * max(mu - q, 0)
            if not close(v, want):
                bad.append("%s%r = %r, want the deterministic cost %r" % (func, args, v, want))
        counts["ok"] += 1
    elif r[1] in ("22003", "22023"):
        counts[r[1]] += 1
    else:
        bad.append("%s%r raised %s (%s)" % (func, args, r[1], r[2]))
check(not bad, "hostile grid: %d calls with huge / tiny valid arguments (Poisson means to 1e9: above 1e6 an error, ratios at 1 - 1e-16) "
      "are finite or raise 22003 / 22023 (%d finite, %d 22003, %d 22023)"
      % (len(hostile), counts["ok"], counts["22003"], counts["22023"]), bad)

conn.close()
finish()
