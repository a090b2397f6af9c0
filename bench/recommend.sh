#!/usr/bin/env bash
# bench/recommend.sh — item_similarity and assoc_rules inside the database, against what an analyst writes
# today: the plain-SQL self-join, and (item similarity) an export with psycopg2 into scipy.sparse.
#
# Run as root from anywhere: bash bench/recommend.sh
# Builds and installs supplymkt (SM_BENCH_NO_INSTALL=1 to use what is installed), starts a throwaway cluster
# (SM_BENCH_PORT, default 5492; SM_BENCH_DIR, default /tmp/sm-bench-reco; shared_buffers 1GB, work_mem 256MB,
# JIT off) and loads, drawn with numpy (seeded) and COPYed in binary:
#   interactions(user_id bigint, item_id bigint): SM_BENCH_INTERACTIONS (2,000,000) rows, SM_BENCH_USERS
#       (100,000) users (each at least once, the rest by a Gamma(1) activity: geometric-like, a few heavy
#       users), SM_BENCH_ITEMS (20,000) items with Zipf(1) popularity (ids shuffled); repeated (user, item)
#       rows are kept: they are the weight
#   baskets(basket_id bigint, item_id bigint): SM_BENCH_BASKET_LINES (1,000,000) order lines, baskets of
#       1 + Poisson(2.6) items drawn from 5,000 items with Zipf(1) popularity, plus 200 planted bundles of 2-3
#       items (a quarter of the baskets carry one, each item with probability 0.85)
# Then times, wall clock as a client sees it:
#   item_similarity (cosine, top 20, weights = repeated rows summed):
#     supplymkt:  CREATE UNLOGGED TABLE AS SELECT supplymkt.neighbors(item_similarity(user_id, item_id)) rows
#                 (and the aggregate alone), best of SM_BENCH_RUNS (3) after a warm-up, default planner settings
#     plain SQL:  the self-join on user (item pairs a < b), sum of weight products per pair, cosine
#                 normalisation, both directions, row_number() top 20 per item, into a table; once, under
#                 statement_timeout SM_BENCH_SQL_TIMEOUT (900 s; reported as "> N s" when it fires)
#     scipy:      COPY ... TO STDOUT (FORMAT binary) + np.frombuffer (best of RUNS), then scipy.sparse csr
#                 X (users x items), X.T @ X, cosine normalisation, top 20 per item with np.argpartition and
#                 ties by neighbour id (best of RUNS)
#   assoc_rules (min_support SM_BENCH_MIN_SUPPORT = 0.001, min_confidence SM_BENCH_MIN_CONFIDENCE = 0.1):
#     supplymkt:  rules(assoc_rules(basket_id, item_id, s, c, 2)) into a table (max_len 2: pair rules, what the
#                 SQL computes), best of RUNS; the default max_len 3 for information
#     plain SQL:  DISTINCT (basket, item), self-join on basket (item pairs a < b), count per pair with HAVING
#                 count >= s x baskets, both directions, confidence / lift from the item counts, into a table;
#                 also the variant that first keeps the frequent items only (Apriori's first pass); once each
# and checks that all results agree: the same neighbour lists (per item: same length, same scores rank by rank
# within 1e-9, same neighbours except among scores tied within 1e-9 at the cut-off), the same pair rules (same
# (antecedent, consequent) set, counts equal, support / confidence / lift within 1e-12 relative; numpy's pair
# rules, untimed, are a reference that always runs), the number of frequent pairs against numpy; prints
# PASS/FAIL and
#     | benchmark | path | export s | compute s | total s | ratio to supplymkt |
# The exit status is non-zero on FAIL (or when supplymkt's functions are not installed: the SQL and scipy
# paths still run and are checked against each other).  SM_BENCH_KEEP=1 leaves the cluster running.
# Takes about 2 minutes on 2 cores, half of it the SQL self-join.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/lib.sh

DIR=${SM_BENCH_DIR:-/tmp/sm-bench-reco}
PORT=${SM_BENCH_PORT:-5492}
RUNS=${SM_BENCH_RUNS:-3}

[ "$(id -u)" -eq 0 ] || sm_die "run as root (the cluster runs as the postgres user)"
/usr/bin/python3 -c 'import scipy.sparse, psycopg2' 2>/dev/null || sm_install_packages
[ -n "${SM_BENCH_NO_INSTALL:-}" ] || sm_build_install
sm_say "starting a throwaway cluster in $DIR on port $PORT"
sm_start_cluster "$DIR" "$PORT" "shared_buffers = 1GB" "work_mem = 256MB" "jit = off"
[ -n "${SM_BENCH_KEEP:-}" ] || trap 'sm_stop_cluster "$DIR"' EXIT

export PGHOST=/tmp PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION supplymkt"

echo
echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GB"
echo "load average: $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "PostgreSQL: $(psql -X -At -c 'SELECT version()')"
echo "numpy/scipy/psycopg2: $(/usr/bin/python3 -c 'import numpy, scipy, psycopg2; print(numpy.__version__, scipy.__version__, psycopg2.__version__.split()[0])')"

RUNS=$RUNS /usr/bin/python3 - <<'PY'
import io
import os
import struct
import time

import numpy as np
import psycopg2
import psycopg2.errors
import scipy.sparse as sp

RUNS = int(os.environ["RUNS"])
N_INTER = int(os.environ.get("SM_BENCH_INTERACTIONS", 2_000_000))
N_USERS = int(os.environ.get("SM_BENCH_USERS", 100_000))
N_ITEMS = int(os.environ.get("SM_BENCH_ITEMS", 20_000))
N_LINES = int(os.environ.get("SM_BENCH_BASKET_LINES", 1_000_000))
MIN_SUPPORT = float(os.environ.get("SM_BENCH_MIN_SUPPORT", 0.001))
MIN_CONF = float(os.environ.get("SM_BENCH_MIN_CONFIDENCE", 0.1))
SQL_TIMEOUT = int(os.environ.get("SM_BENCH_SQL_TIMEOUT", 900))
TOP_K = 20
BASKET_ITEMS, BUNDLES = 5000, 200
assert N_INTER >= N_USERS, "SM_BENCH_INTERACTIONS must be at least SM_BENCH_USERS"


def draw_interactions(n, users, items, seed=1):
    """Every user once, the other rows by a Gamma(1) user activity; items by Zipf(1) popularity, ids shuffled."""
    rng = np.random.default_rng(seed)
    act = rng.gamma(1.0, 1.0, users)
    u = np.concatenate([np.arange(users), rng.choice(users, n - users, p=act / act.sum())])
    pop = 1.0 / np.arange(1, items + 1)
    ids = rng.permutation(items) + 1
    it = ids[rng.choice(items, n, p=pop / pop.sum())]
    order = rng.permutation(n)
    return (u[order] + 1).astype(np.int64), it[order].astype(np.int64)


def draw_baskets(lines, seed=2):
    """Baskets of 1 + Poisson(2.6) Zipf(1) items, a quarter also carrying one of 200 planted bundles of 2-3 items."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, BASKET_ITEMS + 1)
    pop /= pop.sum()
    ids = rng.permutation(BASKET_ITEMS) + 1
    bundles = [rng.choice(BASKET_ITEMS, rng.integers(2, 4), replace=False) for _ in range(BUNDLES)]
    bpop = 1.0 / np.arange(1, BUNDLES + 1)
    nbask = int(lines / 4.0 * 1.05) + 10
    bask = np.repeat(np.arange(nbask), 1 + rng.poisson(2.6, nbask))
    it = rng.choice(BASKET_ITEMS, len(bask), p=pop)
    carriers = np.nonzero(rng.random(nbask) < 0.25)[0]
    which = rng.choice(BUNDLES, len(carriers), p=bpop / bpop.sum())
    eb, ei = [bask], [it]
    for k in range(BUNDLES):
        bs = carriers[which == k]
        for item in bundles[k]:
            keep = bs[rng.random(len(bs)) < 0.85]
            eb.append(keep)
            ei.append(np.full(len(keep), item))
    bask, it = np.concatenate(eb), np.concatenate(ei)
    order = np.lexsort((rng.random(len(bask)), bask))        # lines grouped by basket, as an order table is
    assert len(order) >= lines
    return (bask[order][:lines] + 1).astype(np.int64), ids[it[order][:lines]].astype(np.int64)


COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
PAIR = np.dtype([("n", ">i2"), ("l1", ">i4"), ("a", ">i8"), ("l2", ">i4"), ("b", ">i8")])


def to_copy_binary(a, b):
    rec = np.empty(len(a), PAIR)
    rec["n"], rec["l1"], rec["l2"], rec["a"], rec["b"] = 2, 8, 8, a, b
    return COPY_HEADER + rec.tobytes() + struct.pack(">h", -1)


conn = psycopg2.connect("")
conn.autocommit = True
cur = conn.cursor()


def timed(sql, params=None):
    t = time.time()
    cur.execute(sql, params)
    return time.time() - t


def best_of(fn, runs=RUNS):
    times = []
    for _ in range(runs):
        t = time.time()
        fn()
        times.append(time.time() - t)
    return min(times), times


def plan_of(sql, params=None):
    cur.execute("EXPLAIN (COSTS OFF) " + sql, params)
    return " <- ".join(r[0].strip().replace("->  ", "") for r in cur.fetchall()
                       if not r[0].strip().startswith(("Group Key", "Hash Cond", "Merge Cond", "Join Filter",
                                                       "Sort Key", "Filter", "Run Condition", "Workers", "Output")))


def fmt_runs(times):
    return ", ".join(f"{t:.2f}" for t in times)


def sql_with_timeout(label, sql, params=None):
    """Runs a statement once under statement_timeout; returns its seconds, or None when the timeout fired."""
    cur.execute(f"SET statement_timeout = '{SQL_TIMEOUT}s'")
    try:
        t = timed(sql, params)
    except psycopg2.errors.QueryCanceled:
        t = None
    cur.execute("RESET statement_timeout")
    print(f"   {label}: " + (f"{t:.2f} s" if t is not None else f"> {SQL_TIMEOUT} s (statement_timeout fired)"))
    return t


cur.execute("SELECT count(*) FROM pg_proc WHERE pronamespace = 'supplymkt'::regnamespace "
            "AND proname IN ('item_similarity', 'neighbors', 'assoc_rules', 'rules', 'frequent_itemsets')")
HAVE_SM = cur.fetchone()[0] >= 10    # 5 item_similarity and 2 assoc_rules overloads, 3 readers
if not HAVE_SM:
    print("\nNOTE: supplymkt.item_similarity / assoc_rules are not installed: only the SQL and scipy paths run")

# --- data
t0 = time.time()
users, items = draw_interactions(N_INTER, N_USERS, N_ITEMS)
cur.execute("CREATE TABLE interactions (user_id bigint, item_id bigint)")
cur.copy_expert("COPY interactions FROM STDIN (FORMAT binary)", io.BytesIO(to_copy_binary(users, items)))
bask, bitems = draw_baskets(N_LINES)
cur.execute("CREATE TABLE baskets (basket_id bigint, item_id bigint)")
cur.copy_expert("COPY baskets FROM STDIN (FORMAT binary)", io.BytesIO(to_copy_binary(bask, bitems)))
cur.execute("VACUUM ANALYZE interactions")
cur.execute("VACUUM ANALYZE baskets")
t_load = time.time() - t0

_, uix = np.unique(users, return_inverse=True)
iid, iix = np.unique(items, return_inverse=True)
X0 = sp.csr_matrix((np.ones(len(uix)), (uix, iix)))
per_user = np.diff(X0.indptr)
pairs_join = int((per_user * (per_user - 1)).sum() // 2)
pop_items = np.bincount(iix)
cur.execute("SELECT pg_size_pretty(pg_table_size('interactions')), pg_size_pretty(pg_table_size('baskets'))")
size_i, size_b = cur.fetchone()
print(f"\n== data (drawn and loaded in {t_load:.1f} s)")
print(f"   interactions: {len(users)} rows, {X0.shape[0]} users, {len(iid)} items, {X0.nnz} distinct (user, item) "
      f"(weights 1 to {int(X0.data.max())}); distinct items per user: mean {per_user.mean():.1f}, max "
      f"{per_user.max()}; most popular item in {pop_items.max()} rows ({pop_items.max() / len(users):.1%}); "
      f"the self-join makes {pairs_join} item pairs (a < b); table {size_i}")
ub, bix = np.unique(bask, return_inverse=True)
bi_id, bi_ix = np.unique(bitems, return_inverse=True)
B0 = sp.csr_matrix((np.ones(len(bix)), (bix, bi_ix)))
n_dup_lines = len(bix) - B0.nnz
B0.data[:] = 1.0
n_baskets = B0.shape[0]
item_cnt = np.asarray(B0.sum(axis=0)).ravel()
P0 = sp.triu(B0.T @ B0, k=1).tocoo()
thr = MIN_SUPPORT * n_baskets
np_freq_pairs = int((P0.data >= thr).sum())
np_freq_items = int((item_cnt >= thr).sum())
# numpy's pair rules (untimed reference): both directions of every frequent pair, mlxtend's formulas as the SQL
fp = P0.data >= thr
pa, pc, pn = bi_id[P0.row[fp]], bi_id[P0.col[fp]], P0.data[fp]
ca, cc = item_cnt[P0.row[fp]], item_cnt[P0.col[fp]]
np_rules = np.empty(2 * len(pn), dtype=[("a", "i8"), ("c", "i8"), ("support", "f8"), ("confidence", "f8"),
                                        ("lift", "f8"), ("count", "i8")])
np_rules["a"], np_rules["c"] = np.concatenate([pa, pc]), np.concatenate([pc, pa])
np_rules["count"] = np.concatenate([pn, pn])
np_rules["support"] = np_rules["count"] / float(n_baskets)
np_rules["confidence"] = np_rules["count"] / np.concatenate([ca, cc])
np_rules["lift"] = np_rules["confidence"] / (np.concatenate([cc, ca]) / float(n_baskets))
np_rules = np.sort(np_rules[np_rules["confidence"] >= MIN_CONF], order=["a", "c"])
print(f"   baskets: {len(bask)} lines ({n_dup_lines} repeat an item of their basket), {n_baskets} baskets, "
      f"{len(bi_id)} items; min_support {MIN_SUPPORT} = {thr:.3f} baskets: {np_freq_items} frequent items, "
      f"{np_freq_pairs} frequent pairs (numpy); table {size_b}")
del X0, B0, P0

# ============================================================================================== item_similarity
print(f"\n== item_similarity: cosine, top {TOP_K} neighbours per item")
SM_NB_MODEL = "SELECT supplymkt.item_similarity(user_id, item_id) IS NOT NULL FROM interactions"
SM_NB_ROWS = ("CREATE UNLOGGED TABLE nb_sm AS SELECT n.item_id, n.neighbor_id, n.rank, n.score, n.support "
              "FROM (SELECT supplymkt.item_similarity(user_id, item_id) AS m FROM interactions) s "
              "CROSS JOIN LATERAL supplymkt.neighbors(s.m) n")
res = {}
if HAVE_SM:
    timed(SM_NB_MODEL)    # warm-up (and the table into shared buffers)

    def sm_rows():
        cur.execute("DROP TABLE IF EXISTS nb_sm")
        cur.execute(SM_NB_ROWS)

    sm_model_t, sm_model_runs = best_of(lambda: cur.execute(SM_NB_MODEL))
    sm_rows_t, sm_rows_runs = best_of(sm_rows)
    print(f"   supplymkt, the aggregate alone: best of {RUNS} {sm_model_t:.2f} s (runs {fmt_runs(sm_model_runs)}); "
          f"plan: {plan_of(SM_NB_MODEL)}")
    print(f"   supplymkt, neighbours into a table: best of {RUNS} {sm_rows_t:.2f} s (runs {fmt_runs(sm_rows_runs)})")
    cur.execute("SELECT m::text::jsonb ->> 'users', m::text::jsonb ->> 'interactions', m::text::jsonb ->> 'measure' "
                "FROM (SELECT supplymkt.item_similarity(user_id, item_id) AS m FROM interactions) s")
    print("   model: users {}, interactions {}, measure {}".format(*cur.fetchone()))
    cur.execute("SELECT item_id, neighbor_id, score FROM nb_sm ORDER BY item_id, rank")
    res["supplymkt"] = np.array(cur.fetchall(), dtype=[("i", "i8"), ("j", "i8"), ("s", "f8")])
else:
    timed("SELECT count(*) FROM interactions")

SQL_NB = f"""
CREATE UNLOGGED TABLE nb_sql AS
WITH w AS (SELECT user_id, item_id, count(*)::float8 AS w FROM interactions GROUP BY user_id, item_id),
     norms AS (SELECT item_id, sqrt(sum(w * w)) AS norm FROM w GROUP BY item_id),
     pairs AS (SELECT a.item_id AS i, b.item_id AS j, sum(a.w * b.w) AS dot
                 FROM w a JOIN w b ON b.user_id = a.user_id AND b.item_id > a.item_id
                GROUP BY a.item_id, b.item_id),
     sims AS (SELECT p.i, p.j, p.dot / (ni.norm * nj.norm) AS score
                FROM pairs p JOIN norms ni ON ni.item_id = p.i JOIN norms nj ON nj.item_id = p.j),
     both_ways AS (SELECT i, j, score FROM sims UNION ALL SELECT j, i, score FROM sims),
     ranked AS (SELECT i, j, score, row_number() OVER (PARTITION BY i ORDER BY score DESC, j) AS rank
                  FROM both_ways)
SELECT i AS item_id, j AS neighbor_id, rank, score FROM ranked WHERE rank <= {TOP_K}
"""
print(f"   plain SQL plan: {plan_of(SQL_NB.replace('CREATE UNLOGGED TABLE nb_sql AS', ''))}")
sql_nb_t = sql_with_timeout("plain SQL self-join into a table (once)", SQL_NB)
if sql_nb_t is not None:
    cur.execute("SELECT item_id, neighbor_id, score FROM nb_sql ORDER BY item_id, rank")
    res["plain SQL"] = np.array(cur.fetchall(), dtype=[("i", "i8"), ("j", "i8"), ("s", "f8")])


def export_copy_binary():
    buf = io.BytesIO()
    cur.copy_expert("COPY (SELECT user_id, item_id FROM interactions) TO STDOUT (FORMAT binary)", buf)
    raw = buf.getbuffer()
    assert bytes(raw[:len(COPY_HEADER)]) == COPY_HEADER
    rec = np.frombuffer(raw, PAIR, count=(len(raw) - len(COPY_HEADER) - 2) // PAIR.itemsize, offset=len(COPY_HEADER))
    assert (rec["n"] == 2).all() and (rec["l1"] == 8).all() and (rec["l2"] == 8).all()
    return rec["a"].astype(np.int64), rec["b"].astype(np.int64)


def scipy_neighbors(u, it):
    """Cosine item-item neighbours: csr X (users x items, repeated rows summed), X.T @ X, top K per item.
    Returns the neighbour rows and the seconds of the four steps."""
    t = [time.time()]
    _, ui = np.unique(u, return_inverse=True)
    ids, ii = np.unique(it, return_inverse=True)
    X = sp.csr_matrix((np.ones(len(ui)), (ui, ii)), shape=(ui.max() + 1, len(ids)))
    t.append(time.time())
    C = (X.T @ X).tocsr()
    t.append(time.time())
    norm = np.sqrt(C.diagonal())
    C.setdiag(0.0)
    C.eliminate_zeros()
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    C.data /= norm[rows] * norm[C.indices]
    t.append(time.time())
    out_i, out_j, out_s = [], [], []
    indptr, ind, data = C.indptr, C.indices, C.data
    for r in range(C.shape[0]):
        a, b = indptr[r], indptr[r + 1]
        if a == b:
            continue
        sc, cols = data[a:b], ind[a:b]
        if b - a > TOP_K:        # everything tied with the K-th score, then ties by neighbour id
            top = np.argpartition(-sc, TOP_K - 1)[:TOP_K]
            keep = np.nonzero(sc >= sc[top].min())[0]
            sc, cols = sc[keep], cols[keep]
        o = np.lexsort((cols, -sc))[:TOP_K]
        out_i.append(np.full(len(o), ids[r]))
        out_j.append(ids[cols[o]])
        out_s.append(sc[o])
    out = np.empty(sum(len(x) for x in out_i), dtype=[("i", "i8"), ("j", "i8"), ("s", "f8")])
    out["i"], out["j"], out["s"] = np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_s)
    t.append(time.time())
    return out, np.diff(t), C.nnz


exp_times = []
for _ in range(RUNS):
    t = time.time()
    eu, ei = export_copy_binary()
    exp_times.append(time.time() - t)
export_ok = np.array_equal(np.sort(eu), np.sort(users)) and np.array_equal(np.sort(ei), np.sort(items))
fit_times, fit_steps = [], None
for _ in range(RUNS):
    t = time.time()
    res["scipy"], steps, c_nnz = scipy_neighbors(eu, ei)
    fit_times.append(time.time() - t)
    if fit_times[-1] == min(fit_times):
        fit_steps = steps
scipy_exp_t, scipy_fit_t = min(exp_times), min(fit_times)
print(f"   psycopg2 COPY binary + np.frombuffer: best of {RUNS} {scipy_exp_t:.2f} s (runs {fmt_runs(exp_times)}); "
      f"the rows loaded: {export_ok}")
print(f"   scipy.sparse X.T @ X + cosine + top {TOP_K}: best of {RUNS} {scipy_fit_t:.2f} s "
      f"(runs {fmt_runs(fit_times)}); best run: np.unique + csr {fit_steps[0]:.2f} s, X.T @ X ({c_nnz} non-zero "
      f"off the diagonal) {fit_steps[1]:.2f} s, cosine {fit_steps[2]:.2f} s, top {TOP_K} per item {fit_steps[3]:.2f} s")


def compare_neighbors(A, B, tol=1e-9):
    """Per item: same list length, scores equal rank by rank within tol, every neighbour both lists hold with the
    same score, and the same neighbours above the cut-off (scores tied within tol at the cut-off may differ).
    Returns (items, identical lists, lists differing only among tied scores, bad items, largest score difference)."""
    def split(R):
        items, start = np.unique(R["i"], return_index=True)
        return dict(zip(items.tolist(), np.split(np.arange(len(R)), start[1:])))
    sa, sb = split(A), split(B)
    identical = near = 0
    bad = []
    maxdiff = 0.0
    for item in sorted(set(sa) | set(sb)):
        if item not in sa or item not in sb:
            bad.append(item)
            continue
        a, b = A[sa[item]], B[sb[item]]
        if len(a) != len(b):
            bad.append(item)
            continue
        d = float(np.max(np.abs(a["s"] - b["s"])))
        maxdiff = max(maxdiff, d)
        if d <= tol and np.array_equal(a["j"], b["j"]):
            identical += 1
            continue
        sa_j, sb_j = dict(zip(a["j"].tolist(), a["s"])), dict(zip(b["j"].tolist(), b["s"]))
        common_ok = all(abs(sa_j[j] - sb_j[j]) <= tol for j in set(sa_j) & set(sb_j))
        cut = min(a["s"][-1], b["s"][-1]) + tol
        inside_ok = set(a["j"][a["s"] > cut].tolist()) == set(b["j"][b["s"] > cut].tolist())
        if d <= tol and common_ok and inside_ok:
            near += 1
        else:
            bad.append(item)
    return len(set(sa) | set(sb)), identical, near, bad, maxdiff


nb_ok = True
names = list(res)
print(f"   neighbour rows: " + ", ".join(f"{k} {len(v)}" for k, v in res.items()))
for x in range(len(names)):
    for y in range(x + 1, len(names)):
        n_items, identical, near, bad, maxdiff = compare_neighbors(res[names[x]], res[names[y]])
        good = not bad
        nb_ok &= good
        print(f"   {names[x]} vs {names[y]}: {n_items} items, {identical} identical lists, {near} differing only "
              f"among scores tied within 1e-9 at the cut-off, {len(bad)} different"
              f"{' (e.g. items ' + ', '.join(map(str, bad[:5])) + ')' if bad else ''}; largest score difference "
              f"{maxdiff:.1e}: {'same neighbours' if good else 'DIFFERENT'}")
if "plain SQL" not in res:
    print("   (the plain SQL timed out: its neighbours are not compared)")
nb_ok = nb_ok and export_ok and len(res) >= 2

# ================================================================================================== assoc_rules
print(f"\n== assoc_rules: min_support {MIN_SUPPORT}, min_confidence {MIN_CONF}, pair rules")
P = {"s": MIN_SUPPORT, "c": MIN_CONF}
SM_AR_MODEL = "SELECT supplymkt.assoc_rules(basket_id, item_id, %(s)s, %(c)s, {len}) IS NOT NULL FROM baskets"
SM_AR_ROWS = ("CREATE UNLOGGED TABLE {table} AS SELECT r.* FROM (SELECT supplymkt.assoc_rules(basket_id, item_id, "
              "%(s)s, %(c)s, {len}) AS m FROM baskets) s CROSS JOIN LATERAL supplymkt.rules(s.m) r")
RULE = [("a", "i8"), ("c", "i8"), ("support", "f8"), ("confidence", "f8"), ("lift", "f8"), ("count", "i8")]
rules = {}


def fetch_rules(table, where=""):
    """Pair rules, ordered: supplymkt's tables hold arrays (one element each here), the SQL's plain ids."""
    cols = "antecedent[1], consequent[1]" if table.startswith("rules_sm") else "antecedent, consequent"
    cur.execute(f"SELECT {cols}, support, confidence, lift, count FROM {table} {where} ORDER BY 1, 2")
    return np.array(cur.fetchall(), dtype=RULE)


if HAVE_SM:
    timed(SM_AR_MODEL.format(len=2), P)    # warm-up

    def sm_ar_rows(length, table):
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(SM_AR_ROWS.format(len=length, table=table), P)

    sm_ar_model_t, sm_ar_model_runs = best_of(lambda: cur.execute(SM_AR_MODEL.format(len=2), P))
    sm_ar_t, sm_ar_runs = best_of(lambda: sm_ar_rows(2, "rules_sm"))
    sm_ar3_t, sm_ar3_runs = best_of(lambda: sm_ar_rows(3, "rules_sm3"))
    print(f"   supplymkt max_len 2, the aggregate alone: best of {RUNS} {sm_ar_model_t:.2f} s "
          f"(runs {fmt_runs(sm_ar_model_runs)}); plan: {plan_of(SM_AR_MODEL.format(len=2), P)}")
    print(f"   supplymkt max_len 2, rules into a table: best of {RUNS} {sm_ar_t:.2f} s (runs {fmt_runs(sm_ar_runs)})")
    print(f"   supplymkt max_len 3 (the default), rules into a table: best of {RUNS} {sm_ar3_t:.2f} s "
          f"(runs {fmt_runs(sm_ar3_runs)})")
    cur.execute("SELECT cardinality(f.items), count(*) FROM (SELECT supplymkt.assoc_rules(basket_id, item_id, "
                "%(s)s, %(c)s, 3) AS m FROM baskets) s CROSS JOIN LATERAL supplymkt.frequent_itemsets(s.m) f "
                "GROUP BY 1 ORDER BY 1", P)
    sizes = dict(cur.fetchall())
    cur.execute("SELECT cardinality(antecedent) || '->' || cardinality(consequent), count(*) FROM rules_sm3 "
                "GROUP BY 1 ORDER BY 1")
    print(f"   frequent itemsets by size {sizes}; max_len 3 rules by shape {dict(cur.fetchall())}")
    rules["supplymkt"] = fetch_rules("rules_sm")
    rules["supplymkt max_len 3"] = fetch_rules(
        "rules_sm3", "WHERE cardinality(antecedent) = 1 AND cardinality(consequent) = 1")
    sm_freq_pairs = sizes.get(2, 0)
else:
    timed("SELECT count(*) FROM baskets")

SQL_AR = """
CREATE UNLOGGED TABLE {table} AS
WITH b AS (SELECT DISTINCT basket_id, item_id FROM baskets),
     n AS (SELECT count(DISTINCT basket_id)::float8 AS n FROM b),
     ic AS (SELECT item_id, count(*) AS c FROM b GROUP BY item_id),
     {prune}
     pc AS (SELECT x.item_id AS a, y.item_id AS c, count(*) AS cnt
              FROM {src} x JOIN {src} y ON y.basket_id = x.basket_id AND y.item_id > x.item_id
             GROUP BY x.item_id, y.item_id
            HAVING count(*) >= %(s)s * (SELECT n FROM n)),
     r AS (SELECT a AS antecedent, c AS consequent, cnt FROM pc UNION ALL SELECT c, a, cnt FROM pc)
SELECT r.antecedent, r.consequent, r.cnt / n.n AS support, r.cnt::float8 / ca.c AS confidence,
       (r.cnt::float8 / ca.c) / (cc.c / n.n) AS lift, r.cnt AS count
  FROM r CROSS JOIN n JOIN ic ca ON ca.item_id = r.antecedent JOIN ic cc ON cc.item_id = r.consequent
 WHERE r.cnt::float8 / ca.c >= %(c)s
"""
PRUNE = ("bf AS (SELECT b.basket_id, b.item_id FROM b JOIN ic USING (item_id) "
         "WHERE ic.c >= %(s)s * (SELECT n FROM n)),")
sql_ar_t = sql_with_timeout("plain SQL self-join into a table (once)",
                            SQL_AR.format(table="rules_sql", prune="", src="b"), P)
sql_ar_pruned_t = sql_with_timeout("plain SQL self-join of the frequent items only, into a table (once)",
                                   SQL_AR.format(table="rules_sql_pruned", prune=PRUNE, src="bf"), P)
if sql_ar_t is not None:
    rules["plain SQL"] = fetch_rules("rules_sql")
if sql_ar_pruned_t is not None:
    rules["plain SQL, frequent items first"] = fetch_rules("rules_sql_pruned")
rules["numpy (untimed reference)"] = np_rules


def compare_rules(A, B, tol=1e-12):
    if len(A) != len(B) or not (np.array_equal(A["a"], B["a"]) and np.array_equal(A["c"], B["c"])):
        return False, float("nan")
    rel = max(float(np.max(np.abs(A[k] - B[k]) / np.abs(B[k]), initial=0.0))
              for k in ("support", "confidence", "lift"))
    return np.array_equal(A["count"], B["count"]) and rel <= tol, rel


ar_ok = True
print("   pair rules: " + ", ".join(f"{k} {len(v)}" for k, v in rules.items()))
names = list(rules)
for x in range(1, len(names)):
    good, rel = compare_rules(rules[names[0]], rules[names[x]])
    ar_ok &= good
    print(f"   {names[0]} vs {names[x]}: {len(rules[names[0]])} vs {len(rules[names[x]])} rules, largest relative "
          f"difference of support/confidence/lift {rel:.1e}: {'same rules' if good else 'DIFFERENT'}")
if HAVE_SM:
    good = sm_freq_pairs == np_freq_pairs
    ar_ok &= good
    print(f"   frequent pairs: supplymkt {sm_freq_pairs}, numpy {np_freq_pairs}: {'same' if good else 'DIFFERENT'}")
ar_ok = ar_ok and len(rules) >= 2

# ======================================================================================================= result
def secs(t):
    return f"> {SQL_TIMEOUT}" if t is None else f"{t:.2f}"


def ratio(t, ref):
    if ref is None:
        return "-"
    return f"> {SQL_TIMEOUT / ref:.1f}" if t is None else f"{t / ref:.1f}"


sm_nb = sm_rows_t if HAVE_SM else None
sm_ar = sm_ar_t if HAVE_SM else None
print(f"\n== result: {len(users)} interactions / {len(bask)} basket lines, end to end")
print("| benchmark | path | export s | compute s | total s | ratio to supplymkt |")
print("|---|---|---|---|---|---|")
if HAVE_SM:
    print(f"| item_similarity | supplymkt.item_similarity -> neighbors() into a table | - | {sm_rows_t:.2f} | "
          f"{sm_rows_t:.2f} | 1.0 |")
    print(f"| item_similarity | (supplymkt.item_similarity, the aggregate alone) | - | {sm_model_t:.2f} | "
          f"{sm_model_t:.2f} | {sm_model_t / sm_rows_t:.2f} |")
print(f"| item_similarity | plain SQL self-join + row_number() into a table | - | {secs(sql_nb_t)} | "
      f"{secs(sql_nb_t)} | {ratio(sql_nb_t, sm_nb)} |")
print(f"| item_similarity | psycopg2 COPY binary + scipy.sparse X.T @ X + argpartition | {scipy_exp_t:.2f} | "
      f"{scipy_fit_t:.2f} | {scipy_exp_t + scipy_fit_t:.2f} | {ratio(scipy_exp_t + scipy_fit_t, sm_nb)} |")
if HAVE_SM:
    print(f"| assoc_rules | supplymkt.assoc_rules(max_len 2) -> rules() into a table | - | {sm_ar_t:.2f} | "
          f"{sm_ar_t:.2f} | 1.0 |")
    print(f"| assoc_rules | (supplymkt.assoc_rules, max_len 3, the default) | - | {sm_ar3_t:.2f} | {sm_ar3_t:.2f} | "
          f"{sm_ar3_t / sm_ar_t:.2f} |")
print(f"| assoc_rules | plain SQL pair-count self-join into a table | - | {secs(sql_ar_t)} | {secs(sql_ar_t)} | "
      f"{ratio(sql_ar_t, sm_ar)} |")
print(f"| assoc_rules | plain SQL pair-count self-join, frequent items first | - | {secs(sql_ar_pruned_t)} | "
      f"{secs(sql_ar_pruned_t)} | {ratio(sql_ar_pruned_t, sm_ar)} |")

print(f"\nneighbour lists agree (supplymkt, plain SQL, scipy): {'PASS' if nb_ok else 'FAIL'}")
print(f"pair rules agree (supplymkt max_len 2 and 3, plain SQL both ways, numpy; frequent pairs against numpy): "
      f"{'PASS' if ar_ok else 'FAIL'}")
if HAVE_SM:
    for label, t, ref, need in (
            ("item_similarity >= 10x faster than the SQL self-join", sql_nb_t, sm_nb, 10),
            ("item_similarity faster than export + scipy", scipy_exp_t + scipy_fit_t, sm_nb, 1),
            ("assoc_rules >= 10x faster than the SQL self-join", sql_ar_t, sm_ar, 10)):
        r = (SQL_TIMEOUT if t is None else t) / ref
        print(f"target: {label}: measured {'> ' if t is None else ''}{r:.1f}x ({'met' if r >= need else 'NOT met'})")
else:
    print("supplymkt's functions are not installed: nothing to compare against (FAIL)")
raise SystemExit(0 if nb_ok and ar_ok and HAVE_SM else 1)
PY
