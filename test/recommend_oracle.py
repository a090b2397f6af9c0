#!/usr/bin/python3
"""Oracle test of supplymkt's recommendations family (src/recommend/, src/sql/recommend.sql) against numpy and
brute force (itertools), independent of the C code.

Seeded data: 400 users x 150 items with Zipf-like popularity (~4,200 rows: duplicate (user, item) rows up to
four times, random positive weights, NULL ids and NULL weights, negative ids and 2^53 - 1; ids at the ends of bigint in an edge case), plus four clone
items (the same (user, weight) rows as their source item: some with a lower id than the source, one source
with two clones) so that exact ties are everywhere; 70 content items (one-hot category + continuous features,
identical and power-of-two-scaled vectors); 600 market baskets over 41 items (Zipf, repeated items, an item
that only occurs with the most popular one, so confidence-1 rules exist).

1. item_similarity for cosine / jaccard / lift / shrunk_cosine, top_k 1, 5, 20, min_support 1, 3: neighbors()
   = a dense numpy computation (user x item matrix W, W.T @ W, presence B.T @ B): exact neighbour lists (ties
   by neighbour id), scores to 1e-12 relative, support = co-users exactly; the model JSON (users, interactions,
   items, popularity, offsets) = numpy; the overloads = their defaults.  Why 1e-12: a score is a sum of at most
   400 positive products (relative rounding <= 400 x 1.1e-16 = 4.4e-14) and a few more roundings; a wrong
   formula or a missed row is off by >= 1e-4.  Ordering is decided by an exact key (Fraction for jaccard and
   lift, long double for cosine), so mathematically tied neighbours must come in id order.
2. recommend(model, history, k, exclude) = a Python re-implementation on the model's own neighbour lists (200+
   random histories): ranks, items, sources, because lists exact, scores 1e-12 (sums of <= 12 terms);
   exclude default / '{}' / explicit lists; NULL, empty and unknown histories (all popular); k > items.
3. item_content_similarity: cosine top-k = numpy (pairs with cosine <= 0 left out), ties by id; score error
   bounded by 1e-12 x sum|x_k y_k| / (|x||y|) (a dot product's rounding bound, >= |cosine|).
4. item_neighbors_blend = the documented union rule applied to the two models' own lists, each list divided by
   its best score first and the sum scaled by the weighted mean of the best scores of the models that list the item.
5. assoc_rules: frequent_itemsets = brute force over every itemset (itertools.combinations, exact counts);
   rules = brute-force generation with mlxtend's formulas (support, confidence, lift to 1e-12 relative,
   leverage to 1e-12 absolute (a difference of numbers <= 1), conviction 1e-12 relative or Infinity at
   confidence 1), for max_len 1..4 and threshold values sitting exactly on an itemset's support.
6. Edge cases and the documented SQLSTATEs.
7. Row order (ORDER BY permutations) and forced-parallel plans give the same model text as serial ones.
TAP on stdout; libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE with CREATE EXTENSION supplymkt done).
Works in its own schema recommend_oracle (dropped at the end unless RECOMMEND_ORACLE_KEEP is set, to
reproduce a failure).  Runs in well under a minute.
"""
import io
import itertools
import json
import math
import os
import sys
import time
from collections import defaultdict
from fractions import Fraction

import numpy as np
import psycopg2

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

S = "supplymkt"
W = "recommend_oracle"     # working schema (regular tables: parallel plans never scan temp tables)
TOL = 1e-12
MEASURES = ("cosine", "jaccard", "lift", "shrunk_cosine")
TWO53 = 2 ** 53
INF = float("inf")


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------

def rel(a, b):
    if a == b:
        return 0.0
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return INF
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def sqlstate_of(conn, sql, params=None):
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            cur.fetchall()
        return "ok"
    except psycopg2.Error as e:
        return e.pgcode


def copy_rows(conn, table, cols, rows):
    """COPY rows (tuples; None = NULL, lists = float8[] / bigint[]) into W.table."""
    def lit(v):
        if v is None:
            return "\\N"
        if isinstance(v, (list, tuple, np.ndarray)):
            return "{" + ",".join(repr(float(x)) if isinstance(x, float) else str(x) for x in v) + "}"
        if isinstance(v, float):
            return repr(v)
        return str(v)
    buf = io.StringIO()
    for r in rows:
        buf.write("\t".join(lit(v) for v in r) + "\n")
    buf.seek(0)
    with conn.cursor() as cur:
        cur.copy_expert(f"COPY {W}.{table} ({', '.join(cols)}) FROM STDIN", buf)
    h.query(conn, f"ANALYZE {W}.{table}")


def model_json(conn, sql, params=None):
    t = h.scalar(conn, sql, params)
    return (t, None) if t is None else (t, json.loads(t))


def nbr_rows(conn, agg_sql):
    """neighbors() of the model computed by agg_sql (a SELECT returning one model) as (item, nbr, rank, score,
    support) tuples."""
    return h.query(conn, f"SELECT n.item_id, n.neighbor_id, n.rank, n.score, n.support "
                         f"FROM ({agg_sql}) s(m), LATERAL {S}.neighbors(s.m) n")


def rows_to_lists(rows):
    """{item: [(nbr, score, support), ...] by rank} from neighbors() rows."""
    d = defaultdict(list)
    for item, nb, rank, score, sup in sorted(rows, key=lambda r: (r[0], r[2])):
        d[item].append((nb, score, sup))
    return dict(d)


NEAR = 1e-13   # reference scores closer than this (but not bitwise equal) are a rounding-level tie


def compare_lists(got_rows, ref_full, top_k, tol_of=None, sup_ok=None, limit=8, stats=None, may_swap=None):
    """Problems of neighbors() rows against reference lists {item: [(nbr, score, key, support), ...]} (full,
    sorted by exact key desc, id asc).  The first top_k must come back in the same order, ranks 1..n, with
    scores within tolerance and the right supports.  The returned list must also be ordered by its own scores
    (desc, ties by id asc: the documented rule, checked bit-exactly).  Against the reference, two neighbours
    may only swap when their reference scores differ by < NEAR relative and may_swap(item, a, b) allows it:
    a mathematical tie of irrational values (e.g. 1/sqrt(36) = 1/6 from other integers) that double rounding
    may split by an ulp, never structural ties (clone items: the same operations on the same numbers) and
    never exact rational ties (jaccard, lift: one correctly rounded division).  Counted in stats['near']."""
    got = defaultdict(list)
    for item, nb, rank, score, sup in got_rows:
        got[item].append((rank, nb, score, sup))
    probs = []
    for item in sorted(set(got) | set(ref_full)):
        g = sorted(got.get(item, []))
        r = ref_full.get(item, [])[:top_k]
        refd = {x[0]: x for x in ref_full.get(item, [])}
        if [x[0] for x in g] != list(range(1, len(g) + 1)):
            probs.append(f"item {item}: ranks {[x[0] for x in g][:10]}")
            continue
        gi, ri = [x[1] for x in g], [x[0] for x in r]
        bad = None
        for a, b in zip(g, g[1:]):
            if not (a[2] > b[2] or (a[2] == b[2] and a[1] < b[1])):
                bad = (f"not ordered by score desc, id asc: rank {a[0]} {a[1]} ({a[2]!r}) before {b[1]} "
                       f"({b[2]!r})")
                break
        if bad is None and len(gi) != len(ri):
            bad = "length"
        if bad is None:
            for p in range(len(gi)):
                if gi[p] == ri[p]:
                    continue
                x, y = refd.get(gi[p]), r[p]
                if x is None or rel(x[1], y[1]) > NEAR or not (may_swap and may_swap(item, gi[p], ri[p])):
                    bad = (f"at rank {p + 1} got {gi[p]} (score {g[p][2]!r}, reference "
                           f"{x[1] if x else None!r}), expected {ri[p]} (reference {y[1]!r})")
                    break
                if stats is not None:
                    stats["near"] = stats.get("near", 0) + 1
        if bad:
            probs.append(f"item {item}: neighbours {gi[:8]}{'...' if len(gi) > 8 else ''} ({len(gi)}), expected "
                         f"{ri[:8]}{'...' if len(ri) > 8 else ''} ({len(ri)}); {bad}")
            continue
        for rank, nb, sc, sup in g:
            j, v, _key, c = refd[nb]
            tol = tol_of(item, j) if tol_of else TOL * abs(v)
            if sc is None or not abs(sc - v) <= tol:
                probs.append(f"item {item} -> {j}: score {sc!r}, expected {v!r} (tolerance {tol:.1e})")
                break
            ok_sup = sup_ok(item, j, sup) if sup_ok else sup == c
            if not ok_sup:
                probs.append(f"item {item} -> {j}: support {sup}, expected {c}")
                break
    return probs[:limit] + ([f"... {len(probs) - limit} more items"] if len(probs) > limit else [])


def count_ties(ref_full, top_k):
    """Adjacent exact ties inside the first top_k + 1 reference entries (the ties the id rule decides)."""
    return sum(1 for lst in ref_full.values() for a, b in zip(lst[:top_k], lst[1:top_k + 1]) if a[2] == b[2])


def set_parallel(conn, on):
    if on:
        h.query(conn, "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; "
                      "SET max_parallel_workers_per_gather = 4")
    else:
        h.query(conn, "RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size; "
                      "SET max_parallel_workers_per_gather = 0")


def workers_launched(conn, sql):
    plan = "\n".join(r[0] for r in h.query(conn, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql))
    launched = [int(line.split(":")[1]) for line in plan.splitlines() if "Workers Launched" in line]
    return (launched[0] if launched else 0), plan


def text_diff(a, b):
    """Where two model texts differ (first differing JSON field)."""
    if a is None or b is None:
        return [f"{a is None and 'NULL' or 'model'} vs {b is None and 'NULL' or 'model'}"]
    try:
        x, y = json.loads(a), json.loads(b)
    except ValueError:
        return ["(not JSON)"]
    out = []
    for k in sorted(set(x) | set(y)):
        if x.get(k) != y.get(k):
            u, v = x.get(k), y.get(k)
            if isinstance(u, list) and isinstance(v, list) and len(u) == len(v):
                idx = [i for i in range(len(u)) if u[i] != v[i]]
                out.append(f"{k}: {len(idx)} of {len(u)} entries differ, first at {idx[0]}: {u[idx[0]]!r} / "
                           f"{v[idx[0]]!r}")
            else:
                out.append(f"{k}: {str(u)[:100]} / {str(v)[:100]}")
    return out[:5] or ["texts differ only in formatting"]


# ---------------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------------

def gen_interactions(seed=20250611, n_users=400, n_items=150, n_rows=3600):
    rng = np.random.default_rng(seed)
    specials = [-3, -1000, TWO53 - 1, 7]
    ids = [int(x) for x in rng.choice(np.arange(10, 20000), n_items - len(specials), replace=False)] + specials
    perm = rng.permutation(n_items)
    ids = [ids[k] for k in perm]                  # popularity rank = position
    pop = 1.0 / (np.arange(n_items) + 1.5) ** 1.05
    pop /= pop.sum()
    users = [int(x) for x in 1000 + rng.choice(100000, n_users, replace=False)]
    act = rng.gamma(2.0, 1.0, n_users)
    act /= act.sum()
    us = rng.choice(n_users, n_rows, p=act)
    its = rng.choice(n_items, n_rows, p=pop)
    rows = [[users[a], ids[b], float(rng.uniform(0.05, 5.0))] for a, b in zip(us, its)]
    base = len(rows)
    for k in rng.choice(base, 250, replace=False):          # duplicate (user, item) rows
        rows.append([rows[k][0], rows[k][1], float(rng.uniform(0.05, 5.0))])
    for k in rng.choice(base, 60, replace=False):           # three and four rows for a pair
        for _ in range(2 + int(rng.integers(0, 2))):
            rows.append([rows[k][0], rows[k][1], float(rng.uniform(0.05, 5.0))])
    for k in rng.choice(base, 12, replace=False):           # NULL weight (= 1) on existing pairs
        rows.append([rows[k][0], rows[k][1], None])
    for _ in range(6):                                       # NULL weight on new pairs
        rows.append([users[int(rng.integers(n_users))], ids[int(rng.integers(n_items))], None])
    # clone items: the same (user, weight) rows as their source; dyadic weights on sources so that duplicate
    # rows sum exactly in any order (the clones are then exact ties in every measure)
    used = set(ids)

    def fresh(start, step):
        x = start + step
        while x in used:
            x += step
        used.add(x)
        return x
    sources = [ids[1], ids[14], ids[49]]
    for r in rows:
        if r[1] in sources and r[2] is not None:
            r[2] = float(rng.integers(1, 20)) * 0.25
    clones = {sources[0]: [fresh(sources[0], -1), fresh(sources[0], 1)], sources[1]: [fresh(sources[1], -1)],
              sources[2]: [fresh(sources[2], 1)]}
    for r in list(rows):
        for c in clones.get(r[1], []):
            rows.append([r[0], c, r[2]])
    ghost_user = 123456789
    rows += [[None, 777777, 1.0], [None, ids[0], 2.0], [users[0], None, 1.0], [ghost_user, None, 3.0],
             [None, None, None]]
    order = rng.permutation(len(rows))
    rows = [tuple(rows[k]) for k in order]
    return rows, {"sources": sources, "clones": clones, "ghost_item": 777777, "ghost_user": ghost_user,
                  "ids_by_pop": ids}


class Interactions:
    """Dense numpy reference of item_similarity."""

    def __init__(self, rows, weight_one=False):
        agg = {}
        for u, i, w in rows:
            if u is None or i is None:
                continue
            agg[(u, i)] = agg.get((u, i), 0.0) + (1.0 if (w is None or weight_one) else w)
        self.agg = agg
        self.users = sorted({u for u, _ in agg})
        self.items = sorted({i for _, i in agg})
        ui = {u: k for k, u in enumerate(self.users)}
        ii = {i: k for k, i in enumerate(self.items)}
        Wm = np.zeros((len(self.users), len(self.items)))
        Bm = np.zeros((len(self.users), len(self.items)), dtype=np.int64)
        for (u, i), w in agg.items():
            Wm[ui[u], ii[i]] = w
            Bm[ui[u], ii[i]] = 1
        self.W = Wm
        self.n = [int(x) for x in Bm.sum(axis=0)]
        self.co = Bm.T @ Bm
        self.G = Wm.T @ Wm
        WL = Wm.astype(np.longdouble)
        self.GL = WL.T @ WL
        self.nrm = np.sqrt(np.diag(self.G))
        self.nrmL = np.sqrt(np.diag(self.GL))
        self.U = len(self.users)
        self._cache = {}

    def full_lists(self, measure, min_support):
        """{item: [(nbr, score, exact key, co), ...]} sorted by key desc, nbr asc (all candidates)."""
        ck = (measure, min_support)
        if ck in self._cache:
            return self._cache[ck]
        thr = max(1, min_support)
        res = {}
        for a, ia in enumerate(self.items):
            cand = []
            for b in np.nonzero(self.co[a] >= thr)[0]:
                if b == a:
                    continue
                c = int(self.co[a, b])
                na, nb = self.n[a], self.n[b]
                if measure in ("cosine", "shrunk_cosine"):
                    den, denL = self.nrm[a] * self.nrm[b], self.nrmL[a] * self.nrmL[b]
                    if not (den > 0):
                        continue
                    v = float(self.G[a, b] / den)
                    key = self.GL[a, b] / denL
                    if measure == "shrunk_cosine":
                        v = v * c / (c + 10)
                        key = key * c / (c + 10)
                elif measure == "jaccard":
                    v = c / (na + nb - c)
                    key = Fraction(c, na + nb - c)
                else:
                    v = c * self.U / (na * nb)
                    key = Fraction(c * self.U, na * nb)
                if key > 0:
                    cand.append((self.items[b], v, key, c))
            cand.sort(key=lambda t: (-t[2], t[0]))
            res[ia] = cand
        self._cache[ck] = res
        return res


def gen_content(seed, inter_items):
    """70 items: 45 ids shared with the interaction data, 25 new; features = one-hot of 4 categories and 3
    continuous values; 10 pure one-hot items (cosine exactly 0 or 1 between them), two identical pairs, one
    vector scaled by 4 (exact ties)."""
    rng = np.random.default_rng(seed)
    shared = [int(x) for x in rng.choice(inter_items, 45, replace=False)]
    used = set(inter_items)
    new = []
    while len(new) < 25:
        x = int(rng.integers(-5000, 30000))
        if x not in used:
            used.add(x)
            new.append(x)
    ids = shared + new
    rng.shuffle(ids)
    feats = []
    for k in range(len(ids)):
        v = [0.0] * 7
        v[int(rng.integers(4))] = 1.0
        if k >= 10:
            v[4:] = [float(x) for x in rng.normal(0, 1.2, 3)]
        feats.append(v)
    feats[20] = list(feats[30])
    feats[40] = list(feats[41])
    feats[50] = [4.0 * x for x in feats[60]]
    return list(zip(ids, feats))


def content_reference(items_feats):
    ids = [i for i, _ in items_feats]
    F = np.array([f for _, f in items_feats])
    FL = F.astype(np.longdouble)
    dots, dotsL = F @ F.T, FL @ FL.T
    absd = np.abs(F) @ np.abs(F).T
    nrm, nrmL = np.sqrt((F * F).sum(axis=1)), np.sqrt((FL * FL).sum(axis=1))
    res, tol = {}, {}
    # structural clones: the same vector up to a power-of-two factor (exactly the same cosines)
    group = {i: tuple(float(x) for x in F[a] / np.abs(F[a]).max()) for a, i in enumerate(ids)}
    for a in range(len(ids)):
        cand = []
        for b in range(len(ids)):
            if a == b:
                continue
            key = dotsL[a, b] / (nrmL[a] * nrmL[b])
            v = float(dots[a, b] / (nrm[a] * nrm[b]))
            tol[(ids[a], ids[b])] = TOL * max(float(absd[a, b] / (nrm[a] * nrm[b])), abs(v))
            if key > 0:
                cand.append((ids[b], v, key, 0))
        cand.sort(key=lambda t: (-t[2], t[0]))
        res[ids[a]] = cand
    return res, tol, group


def gen_baskets(seed=77, nb=600, ni=40):
    rng = np.random.default_rng(seed)
    ids = [int(x) for x in rng.choice(np.arange(-60, 500), ni, replace=False)]
    ids = [x for x in ids if x != 999]
    pop = 1.0 / (np.arange(len(ids)) + 1.0) ** 0.9
    pop /= pop.sum()
    top, z = ids[0], 999
    bids = [int(x) for x in rng.choice(np.arange(-10 ** 6, 10 ** 6), nb, replace=False)]
    rows = []
    for b in bids:
        its = [ids[k] for k in rng.choice(len(ids), 1 + int(rng.poisson(2.5)), p=pop)]
        rows += [(b, i) for i in its]                       # drawn with replacement: repeated items
        if top in its and rng.random() < 0.15:
            rows += [(b, z)] * (1 + int(rng.integers(0, 2)))
    rows += [(None, ids[0]), (bids[0], None), (None, None), (None, 31337)]
    order = rng.permutation(len(rows))
    return [rows[k] for k in order]


def brute_itemsets(rows, max_len):
    baskets = {}
    for b, i in rows:
        if b is None or i is None:
            continue
        baskets.setdefault(b, set()).add(i)
    bidx = {b: k for k, b in enumerate(sorted(baskets))}
    items = sorted(set().union(*baskets.values()))
    mask = {i: 0 for i in items}
    for b, s in baskets.items():
        for i in s:
            mask[i] |= 1 << bidx[b]
    counts = {}
    for L in range(1, max_len + 1):
        for combo in itertools.combinations(items, L):
            m = mask[combo[0]]
            for x in combo[1:]:
                m &= mask[x]
            c = m.bit_count()
            if c:
                counts[combo] = c
    return len(baskets), counts


def brute_rules(N, freq, min_conf):
    """{(A, C): fields} with mlxtend's formulas; 'ambiguous' when count-ratio and support-ratio confidence
    fall on different sides of min_conf (a rounding boundary either answer is right on)."""
    out = {}
    for S_, cS in freq.items():
        if len(S_) < 2:
            continue
        sS = cS / N
        for r in range(1, len(S_)):
            for A in itertools.combinations(S_, r):
                C = tuple(x for x in S_ if x not in A)
                cA, cC = freq[A], freq[C]
                sA, sC = cA / N, cC / N
                conf = sS / sA
                inc, inc2 = conf >= min_conf, cS / cA >= min_conf
                if not inc and not inc2:
                    continue
                conv = INF if conf >= 1 else (1 - sC) / (1 - conf)
                out[(A, C)] = {"support": sS, "confidence": conf, "lift": conf / sC, "leverage": sS - sA * sC,
                               "conviction": conv, "count": cS, "ambiguous": inc != inc2}
    return out


# ---------------------------------------------------------------------------------------------------------
# Sections: each yields exactly its count of (ok, description, details)
# ---------------------------------------------------------------------------------------------------------

def sec_similarity(conn, D):
    """1. item_similarity = dense numpy"""
    R = D["ref"]
    meta_probs, results = [], {}
    for measure in MEASURES:
        for ms in (1, 3):
            for k in (1, 5, 20):
                agg = f"SELECT {S}.item_similarity(u, i, w, {k}, '{measure}', {ms}) FROM {W}.inter"
                text, m = model_json(conn, agg.replace(" FROM ", "::text FROM ", 1))
                got = nbr_rows(conn, agg)
                results[(measure, ms, k)] = (text, m, got)
                if m is None:
                    meta_probs.append(f"{measure}/{ms}/{k}: NULL model")
                    continue
                want = {"measure": measure, "top_k": k, "min_support": ms, "users": R.U,
                        "interactions": len(R.agg), "items": R.items, "popularity": R.n}
                for f, v in want.items():
                    if m.get(f) != v:
                        meta_probs.append(f"{measure}/{ms}/{k}: {f} = {str(m.get(f))[:80]}, expected {str(v)[:80]}")
                off = m.get("offsets") or []
                gl = rows_to_lists(got)
                flat = [(it, nb, sc, su) for it in R.items for nb, sc, su in gl.get(it, [])]
                jflat = []
                if len(off) == len(R.items) + 1:
                    for x, it in enumerate(R.items):
                        for e in range(off[x], off[x + 1]):
                            jflat.append((it, m["neighbor"][e], m["score"][e], m["support"][e]))
                if jflat != flat or off[:1] != [0] or off[-1:] != [len(m.get("neighbor", []))]:
                    meta_probs.append(f"{measure}/{ms}/{k}: JSON offsets/neighbor/score/support do not match "
                                      f"neighbors() ({len(jflat)} vs {len(flat)} entries)")
    # the text form reads back to the same model
    t = results[("lift", 3, 5)][0]
    back = h.scalar(conn, f"SELECT %s::{S}.item_neighbors::text", (t,))
    if back != t:
        meta_probs.append("lift/3/5: text -> item_neighbors -> text changed: " + "; ".join(text_diff(t, back)))
    yield (not meta_probs, f"model JSON of 24 models = numpy: users {R.U} (a user with only NULL items and "
                           f"NULL-user rows not counted), interactions {len(R.agg)}, items {len(R.items)} ascending "
                           "(an item seen only with a NULL user absent), popularity = distinct users, offsets/"
                           "neighbor/score/support = neighbors(); text round trip", meta_probs)
    for measure in MEASURES:
        for ms in (1, 3):
            full = R.full_lists(measure, ms)
            probs, ties, st = [], [], {}
            for k in (1, 5, 20):
                p = compare_lists(results[(measure, ms, k)][2], full, k, stats=st,
                                  may_swap=None if measure in ("jaccard", "lift") else D["may_swap"])
                probs += [f"top_k {k}: {x}" for x in p]
                ties.append(count_ties(full, k))
            kinds = "exact rational key" if measure in ("jaccard", "lift") else "long double key"
            yield (not probs, f"{measure}, min_support {ms}: neighbors() = numpy for top_k 1, 5, 20 (exact lists, "
                              f"ties by id; scores 1e-12; support = co-users)",
                   probs + [f"exact ties decided by the id rule at top_k 1/5/20: {ties} ({kinds}); rounding-level "
                            f"near ties accepted in either order: {st.get('near', 0)}"])
    # overloads and the weight-less form (weight 1 per row: w = number of rows of the pair)
    same = [("item_similarity(u, i)", "item_similarity(u, i, 1::float8, 20, 'cosine', 1)"),
            ("item_similarity(u, i, w)", "item_similarity(u, i, w, 20, 'cosine', 1)"),
            ("item_similarity(u, i, w, 7)", "item_similarity(u, i, w, 7, 'cosine', 1)"),
            ("item_similarity(u, i, w, 7, 'lift')", "item_similarity(u, i, w, 7, 'lift', 1)")]
    probs = []
    for a, b in same:
        ta = h.scalar(conn, f"SELECT {S}.{a}::text FROM {W}.inter")
        tb = h.scalar(conn, f"SELECT {S}.{b}::text FROM {W}.inter")
        if ta != tb or ta is None:
            probs.append(f"{a} vs {b}: " + "; ".join(text_diff(ta, tb)))
    R1 = Interactions(D["inter_rows"], weight_one=True)
    got = nbr_rows(conn, f"SELECT {S}.item_similarity(u, i) FROM {W}.inter")
    st = {}
    probs += ["item_similarity(u, i): " + x for x in compare_lists(got, R1.full_lists("cosine", 1), 20, stats=st,
                                                                   may_swap=D["may_swap"])]
    yield (not probs, "overloads = their defaults (weight 1, top_k 20, cosine, min_support 1: same text); "
                      "item_similarity(u, i) = numpy with w = rows per pair",
           probs + [f"integer weights: {st.get('near', 0)} mathematical ties split by rounding (e.g. 1/sqrt(36) vs "
                    "1/6) accepted in either order"])


def rec_ref(lists, pop, items, history, k, exclude):
    """recommend() re-implemented: lists {item: [(nbr, score, support)]}, pop {item: users}."""
    hist = [] if history is None else sorted(set(history))
    excl = set(hist) if exclude is None else set(exclude)
    score, contrib = {}, defaultdict(list)
    for i in hist:
        for j, s, _c in lists.get(i, []):
            if j in excl:
                continue
            score[j] = score.get(j, 0.0) + s
            contrib[j].append((s, i))
    ranked = sorted(score, key=lambda j: (-score[j], j))[:k]
    out = [(j, score[j], "similar", [i for _s, i in sorted(contrib[j], key=lambda t: (-t[0], t[1]))[:3]])
           for j in ranked]
    listed = set(ranked)
    for j in sorted(items, key=lambda j: (-pop[j], j)):
        if len(out) >= k:
            break
        if j not in excl and j not in listed:
            out.append((j, float(pop[j]), "popular", []))
    return out


def rec_compare(got, want):
    """Problem text or None: got = recommend() rows (rank, item, score, source, because)."""
    if [r[0] for r in got] != list(range(1, len(got) + 1)):
        return f"ranks {[r[0] for r in got][:12]}"
    if len(got) != len(want):
        return (f"{len(got)} rows, expected {len(want)}: got {[(r[1], r[3][0]) for r in got][:12]}, expected "
                f"{[(r[0], r[2][0]) for r in want][:12]}")
    for g, w in zip(got, want):
        if g[1] != w[0] or g[3] != w[2]:
            return (f"rank {g[0]}: item {g[1]} {g[3]} score {g[2]!r}, expected item {w[0]} {w[2]} score {w[1]!r}; "
                    f"got {[r[1] for r in got][:12]}, expected {[r[0] for r in want][:12]}")
        if rel(g[2], w[1]) > TOL:
            return f"rank {g[0]} item {g[1]}: score {g[2]!r}, expected {w[1]!r}"
        if g[4] != w[3]:
            return f"rank {g[0]} item {g[1]}: because {g[4]}, expected {w[3]}"
    return None


def sec_recommend(conn, D):
    """2. recommend = Python re-implementation"""
    R, info = D["ref"], D["inter_info"]
    rng = np.random.default_rng(404)
    models = {}
    for name, args in (("cos", "w, 20, 'cosine', 1"), ("jac", "w, 5, 'jaccard', 3")):
        h.query(conn, f"INSERT INTO {W}.models SELECT %s, {S}.item_similarity(u, i, {args}) FROM {W}.inter", (name,))
        rows = nbr_rows(conn, f"SELECT m FROM {W}.models WHERE name = '{name}'")
        mj = json.loads(h.scalar(conn, f"SELECT m::text FROM {W}.models WHERE name = '{name}'"))
        models[name] = (rows_to_lists(rows), dict(zip(mj["items"], mj["popularity"])), mj["items"])
    items = R.items
    p = np.array(R.n, dtype=float)
    p /= p.sum()
    clones = [c for cs in info["clones"].values() for c in cs] + info["sources"]

    def history():
        n = int(rng.integers(0, 11))
        hst = [items[x] for x in rng.choice(len(items), n, p=p)]
        r = rng.random()
        if r < 0.25 and hst:
            hst.append(hst[0])                                    # a repeat
        elif r < 0.45:
            hst += [int(x) for x in rng.choice(clones, 2, replace=False)]
        elif r < 0.55:
            hst.append(424242)                                     # unknown item
        return [int(x) for x in rng.permutation(hst)] if hst else hst

    def call(name, hist, k, exclude, form="full"):
        model = f"(SELECT m FROM {W}.models WHERE name = '{name}')"
        if form == "full":
            sql, params = f"SELECT * FROM {S}.recommend({model}, %s::bigint[], %s, %s::bigint[])", (hist, k, exclude)
        elif form == "noexcl":
            sql, params = f"SELECT * FROM {S}.recommend({model}, %s::bigint[], %s)", (hist, k)
        else:
            sql, params = f"SELECT * FROM {S}.recommend({model}, %s::bigint[])", (hist,)
        return sorted(h.query(conn, sql, params))

    def run(cases):
        bad = []
        for name, hist, k, excl, form in cases:
            lists, pop, its = models[name]
            want = rec_ref(lists, pop, its, hist, 10 if form == "nok" else k, excl)
            prob = rec_compare(call(name, hist, k, excl, form), want)
            if prob:
                ex = "default" if form != "full" else ("NULL" if excl is None else str(excl))
                bad.append(f"recommend({name}, {hist}, {k if form != 'nok' else 'default'}, exclude {ex}): {prob}")
        return bad
    ks = (1, 3, 5, 10, 25)
    hs = [history() for _ in range(120)]
    cases = [("cos", hst, ks[n % 5], None, "noexcl") for n, hst in enumerate(hs)]
    bad = run(cases)
    sim = [(r, models["cos"][0]) for _, hst, k, _e, _f in cases for r in rec_ref(*models["cos"], hst, k, None)
           if r[2] == "similar"]
    tied = sum(1 for r, lists in sim if any(
        a == b for a, b in itertools.pairwise([dict((j, sc) for j, sc, _c in lists[i])[r[0]] for i in r[3]])))
    yield (not bad, f"cosine model (top_k 20): 120 random histories (repeats, clones, unknown ids), k 1..25, default "
                    f"exclude = history: rows, scores (1e-12), sources, because = Python ({len(sim)} similar rows)",
           bad[:6] + [f"{tied} because lists with tied contributions (lower id first)"])
    cases = [("jac", hst, ks[(n + 2) % 5], None, "noexcl") for n, hst in enumerate(hs)]
    bad = run(cases)
    npop = sum(1 for _, hst, k, _e, _f in cases for r in rec_ref(*models["jac"], hst, k, None) if r[2] == "popular")
    yield (not bad, f"jaccard model (top_k 5, min_support 3): the same 120 histories: popularity fill ({npop} "
                    "popular rows, ties by lower id) and similar rows = Python", bad[:6])
    cases = [("cos", hst, ks[n % 5] + 5, [], "full") for n, hst in enumerate(hs[:60])]
    bad = run(cases)
    back = sum(1 for _, hst, k, e, _f in cases for r in rec_ref(*models["cos"], hst, k, e) if r[0] in hst)
    yield (not bad and back > 0, f"exclude '{{}}' excludes nothing: history items come back ({back} rows) = Python",
           bad[:6])
    cases = []
    for n, hst in enumerate(hs[60:]):
        ex = [int(x) for x in rng.choice(items, int(rng.integers(0, 30)), replace=False)]
        if hst and n % 2:
            ex += hst[: len(hst) // 2]
        if n % 5 == 0:
            ex.append(99999999)
        cases.append(("cos" if n % 3 else "jac", hst, ks[n % 5] * 2, ex, "full"))
    bad = run(cases)
    yield (not bad, "explicit exclude lists (random items, part of the history, unknown ids): only they are left "
                    "out (history items not in the list may come back) = Python", bad[:6])
    cases = []
    for name in ("cos", "jac"):
        for k in (1, 7, 40):
            cases += [(name, None, k, None, "full"), (name, [], k, None, "full"), (name, [424242, -77], k, None, "full"),
                      (name, None, k, [], "full"), (name, None, k, info["ids_by_pop"][:5], "full"),
                      (name, [424242], k, None, "noexcl")]
    bad = run(cases)
    got_null = call("cos", None, 12, None)
    ok_pop = [r[3] for r in got_null] == ["popular"] * 12 and [r[1] for r in got_null] == \
        sorted(items, key=lambda j: (-R.n[items.index(j)], j))[:12]
    yield (not bad and ok_pop, "NULL, empty and unknown-only histories: all rows popular (popularity desc, ties "
                               "lower id), score = users, because empty; exclude applies", bad[:6])
    cases = [("cos", hst, 10, None, "nok") for hst in hs[:20]]
    bad = run(cases)
    for hst in hs[20:30]:
        a = call("cos", hst, 10, None, "nok")
        b = call("cos", hst, 10, None, "full")
        if a != b:
            bad.append(f"history {hst}: recommend(m, h) != recommend(m, h, 10, NULL)")
    yield (not bad, "defaults: recommend(m, h) = k 10 and exclude NULL (= history) = Python", bad[:6])
    cases = [("cos", hst, 1000, None if n % 2 else [], "full") for n, hst in enumerate(hs[:12])]
    bad = run(cases)
    for name, hst, k, ex, _f in cases[:4]:
        got = call(name, hst, k, ex)
        want_n = len(set(items) - (set(hst) if ex is None else set(ex)))
        if len(got) != want_n or len({r[1] for r in got}) != want_n:
            bad.append(f"history {hst}: {len(got)} rows ({len({r[1] for r in got})} distinct), expected {want_n}")
    yield (not bad, f"k 1000 > {len(items)} items: every non-excluded item exactly once, = Python", bad[:6])


def sec_content(conn, D):
    """3. item_content_similarity = numpy cosine"""
    ref, tol, group = D["content_ref"]
    probs, ties, st = [], [], {}
    for k in (1, 5, 20, 100):
        got = nbr_rows(conn, f"SELECT {S}.item_content_similarity(id, f, {k}) FROM {W}.content")
        probs += [f"top_k {k}: {x}" for x in compare_lists(
            got, ref, k, tol_of=lambda a, b: tol[(a, b)], stats=st,
            may_swap=lambda i, a, b: group[a] != group[b])]
        ties.append(count_ties(ref, k))
    nzero = sum(1 for a in ref for b in ref if a != b and (a, b) not in {(a, x[0]) for x in ref[a]})
    yield (not probs, "item_content_similarity(id, f, top_k) for top_k 1, 5, 20, 100 = numpy (exact lists, ties by "
                      "id, scores within 1e-12 x sum|x_k y_k|/(|x||y|), cosine <= 0 left out)",
           probs + [f"exact ties decided by the id rule at top_k 1/5/20/100: {ties}; {nzero} ordered pairs with "
                    f"cosine <= 0; rounding-level near ties accepted in either order: {st.get('near', 0)}"])
    t, m = model_json(conn, f"SELECT {S}.item_content_similarity(id, f, 100)::text FROM {W}.content")
    ids = sorted(ref)
    bad = []
    want = {"measure": "content_cosine", "top_k": 100, "users": 0, "items": ids, "popularity": [0] * len(ids)}
    for f, v in want.items():
        if m is None or m.get(f) != v:
            bad.append(f"{f} = {str(m.get(f) if m else None)[:80]}, expected {str(v)[:80]}")
    yield (not bad, "content model JSON: measure content_cosine, top_k, users 0, popularity 0, every item listed "
                    "(support 0 checked above)", bad)
    ta = h.scalar(conn, f"SELECT {S}.item_content_similarity(id, f)::text FROM {W}.content")
    tb = h.scalar(conn, f"SELECT {S}.item_content_similarity(id, f, 20)::text FROM {W}.content")
    yield (ta == tb and ta is not None, "item_content_similarity(id, f) = top_k 20", text_diff(ta, tb) if ta != tb else [])


def blend_ref(A, B, wa, top_k):
    """A, B = (lists {item: [(nbr, score, support)]}, json).  Returns ({item: [(nbr, score, key, support set)]},
    popularity {item: pop}, items)."""
    la_all, ja = A
    lb_all, jb = B
    ia, ib = set(ja["items"]), set(jb["items"])
    items = sorted(ia | ib)
    popa, popb = dict(zip(ja["items"], ja["popularity"])), dict(zip(jb["items"], jb["popularity"]))
    res = {}
    for i in items:
        la = {j: (s, c) for j, s, c in la_all.get(i, [])}
        lb = {j: (s, c) for j, s, c in lb_all.get(i, [])}
        # each list divided by the sum of its scores, the sum scaled by the weighted mean of the list sums (the
        # documented normalisation), in the C code's order of operations (lists summed best first); weight 0 or
        # 1 copies the one model's scores
        ta = sum(s for s, _ in sorted(la.values(), key=lambda t: -t[0])) if la else 0.0
        tb = sum(s for s, _ in sorted(lb.values(), key=lambda t: -t[0])) if lb else 0.0
        wla = wa / ta if la else 0.0
        wlb = (1 - wa) / tb if lb else 0.0
        scale_w = (wa if la else 0.0) + ((1 - wa) if lb else 0.0)
        scale = ((wa * ta if la else 0.0) + ((1 - wa) * tb if lb else 0.0)) / scale_w if scale_w > 0 else 0.0
        if wa in (0.0, 1.0):
            wla, wlb, scale = wa, 1 - wa, 1.0
        cand = []
        for j in set(la) | set(lb):
            acc = 0.0
            if j in la:
                acc += wla * la[j][0]
            if j in lb:
                acc += wlb * lb[j][0]
            v = acc * scale
            if j in la:
                sup = {la[j][1]}
            elif i not in ia:
                sup = {lb[j][1]}
            else:
                sup = {lb[j][1], 0}
            if v > 0:
                cand.append((j, v, v, sup))
        cand.sort(key=lambda t: (-t[2], t[0]))
        res[i] = cand[:top_k]
    pop = {i: (popa[i] if i in ia else popb[i]) for i in items}
    return res, pop, items


def sec_blend(conn, D):
    """4. item_neighbors_blend = union rule"""
    h.query(conn, f"INSERT INTO {W}.models SELECT 'a', {S}.item_similarity(u, i, w, 10) FROM {W}.inter")
    h.query(conn, f"INSERT INTO {W}.models SELECT 'b', {S}.item_content_similarity(id, f, 8) FROM {W}.content")
    mods = {}
    for name in ("a", "b"):
        rows = nbr_rows(conn, f"SELECT m FROM {W}.models WHERE name = '{name}'")
        mods[name] = (rows_to_lists(rows), json.loads(h.scalar(conn, f"SELECT m::text FROM {W}.models WHERE name = '{name}'")))
    cases = [("a", "b", None, None, "default weight 0.5 and top_k (the larger: 10)"),
             ("a", "b", 0.3, 5, "weight_a 0.3, top_k 5"), ("a", "b", 0.8, 30, "weight_a 0.8, top_k 30"),
             ("b", "a", 0.4, None, "content first (popularity and support from it for its items)")]
    for x, y, wa, k, label in cases:
        if wa is None:
            sql = f"SELECT {S}.item_neighbors_blend(x.m, y.m)"
        else:
            sql = f"SELECT {S}.item_neighbors_blend(x.m, y.m, {wa}, {'NULL' if k is None else k})"
        sql += f" FROM {W}.models x, {W}.models y WHERE x.name = '{x}' AND y.name = '{y}'"
        kk = k if k is not None else max(mods[x][1]["top_k"], mods[y][1]["top_k"])
        ref, pop, items = blend_ref(mods[x], mods[y], 0.5 if wa is None else wa, kk)
        got = nbr_rows(conn, sql)
        sups = {(i, e[0]): e[3] for i, lst in ref.items() for e in lst}
        probs = compare_lists(got, ref, kk, sup_ok=lambda i, j, s: s in sups.get((i, j), ()), may_swap=D["may_swap"])
        t, m = model_json(conn, sql.replace(") FROM", ")::text FROM", 1))
        want = {"measure": "blend", "top_k": kk, "items": items, "popularity": [pop[i] for i in items]}
        for f, v in want.items():
            if m is None or m.get(f) != v:
                probs.append(f"JSON {f} = {str(m.get(f) if m else None)[:80]}, expected {str(v)[:80]}")
        yield (not probs, f"item_neighbors_blend({x}, {y}), {label}: union of the lists, (wa sa / sum sa + (1 - wa) sb / sum sb) x weighted mean of the listing models' sums (missing "
                          "= 0), top_k, ties by id, popularity/support origin = Python", probs)


def sec_assoc(conn, D):
    """5. assoc_rules = brute force"""
    N, counts = D["brute"]
    # a min_support sitting exactly on an itemset's count whose product with the basket count is not exact
    pair_counts = sorted({c for s, c in counts.items() if len(s) == 2 and c >= 5})
    edge = next((c for c in pair_counts if (c / N) * N != c), pair_counts[len(pair_counts) // 2])
    settings = [(0.05, 0.3, 1), (0.02, 0.4, 2), (0.01, 0.5, 3), (0.015, 0.0, 4), (edge / N, 1.0, 3),
                (1.0, 0.5, 3)]
    for smin, cmin, L in settings:
        freq = {s: c for s, c in counts.items() if len(s) <= L and c / N >= smin}
        want = sorted(freq, key=lambda s: (len(s), s))
        agg = f"{S}.assoc_rules(b, i, {smin!r}, {cmin!r}, {L})"
        t, m = model_json(conn, f"SELECT {agg}::text FROM {W}.baskets")
        got = h.query(conn, f"SELECT f.items, f.support, f.count FROM (SELECT {agg} m FROM {W}.baskets) s, "
                            f"LATERAL {S}.frequent_itemsets(s.m) f")
        probs = []
        if m is None or m.get("baskets") != N or m.get("max_len") != L:
            probs.append(f"JSON baskets {m and m.get('baskets')} (expected {N}), max_len {m and m.get('max_len')}")
        gi = [tuple(r[0]) for r in got]
        if gi != want:
            miss, extra = set(want) - set(gi), set(gi) - set(want)
            probs.append(f"{len(gi)} itemsets, expected {len(want)}; missing {sorted(miss)[:5]} "
                         f"(counts {[freq[s] for s in sorted(miss)[:5]]}), extra {sorted(extra)[:5]}"
                         + ("" if miss or extra else "; order differs"))
        else:
            for (items, sup, cnt), s in zip(got, want):
                if cnt != freq[s] or rel(sup, freq[s] / N) > TOL:
                    probs.append(f"{s}: support {sup!r} count {cnt}, expected {freq[s] / N!r} {freq[s]}")
                    break
        at_edge = sum(1 for c in freq.values() if c / N == smin)
        yield (not probs, f"frequent_itemsets(assoc_rules(b, i, {smin:.6g}, {cmin}, {L})) = brute force over every "
                          f"itemset: {len(want)} itemsets (order by size then ids, exact counts, support = count/"
                          f"baskets)", probs + [f"{at_edge} itemsets exactly at min_support"])
        rr = brute_rules(N, freq, cmin)
        got = h.query(conn, f"SELECT r.antecedent, r.consequent, r.support, r.confidence, r.lift, r.leverage, "
                            f"r.conviction, r.count FROM (SELECT {agg} m FROM {W}.baskets) s, LATERAL {S}.rules(s.m) r")
        probs = []
        gk = [(tuple(r[0]), tuple(r[1])) for r in got]
        if len(set(gk)) != len(gk):
            probs.append("duplicate rules")
        need = {k for k, v in rr.items() if not v["ambiguous"]}
        miss = need - set(gk)
        extra = set(gk) - set(rr)
        if miss or extra:
            probs.append(f"{len(gk)} rules; missing {len(miss)} {sorted(miss)[:4]}, extra {len(extra)} "
                         f"{sorted(extra)[:4]}")
        for r in got:
            key = (tuple(r[0]), tuple(r[1]))
            if key not in rr:
                continue
            e = rr[key]
            vals = dict(zip(("support", "confidence", "lift", "leverage", "conviction", "count"), r[2:]))
            bad = [f for f in ("support", "confidence", "lift", "conviction") if rel(vals[f], e[f]) > TOL]
            if abs(vals["leverage"] - e["leverage"]) > 1e-12:
                bad.append("leverage")
            if vals["count"] != e["count"]:
                bad.append("count")
            if bad:
                probs.append(f"{key}: " + ", ".join(f"{f} {vals[f]!r} expected {e[f]!r}" for f in bad))
                if len(probs) > 6:
                    break
        # order: grouped by itemset in frequent-itemset order; antecedents in one consistent order within
        rank = {s: n for n, s in enumerate(want)}
        seq = [rank.get(tuple(sorted(a + c)), -1) for a, c in gk]
        if seq != sorted(seq):
            probs.append("rules not grouped in itemset order")
        orders = {"(size, ids)": lambda a: (len(a), a), "ids": lambda a: a}
        fits = [name for name, fn in orders.items()
                if all(fn(gk[x][0]) < fn(gk[x + 1][0]) for x in range(len(gk) - 1) if seq[x] == seq[x + 1])]
        if not fits:
            probs.append("antecedents within an itemset in no consistent order")
        n_inf = sum(1 for v in rr.values() if v["conviction"] == INF and not v["ambiguous"])
        n_amb = sum(1 for v in rr.values() if v["ambiguous"])
        n_at = sum(1 for v in rr.values() if v["confidence"] == cmin)
        yield (not probs, f"rules(...) at min_confidence {cmin}, max_len {L} = brute force with mlxtend's formulas: "
                          f"{len(need)} rules ({n_inf} with conviction Infinity), values 1e-12",
               probs + [f"{n_at} rules exactly at min_confidence; {n_amb} on a rounding boundary of it (either "
                        f"answer accepted); antecedent order: {fits}"])
    ta = h.scalar(conn, f"SELECT {S}.assoc_rules(b, i, 0.02, 0.4)::text FROM {W}.baskets")
    tb = h.scalar(conn, f"SELECT {S}.assoc_rules(b, i, 0.02, 0.4, 3)::text FROM {W}.baskets")
    yield (ta == tb and ta is not None, "assoc_rules(b, i, s, c) = max_len 3 (same text)",
           text_diff(ta, tb) if ta != tb else [])


def sec_edges(conn, D):
    """6. edge cases and SQLSTATEs"""
    nulls = [f"SELECT {S}.item_similarity(u, i, w)::text FROM {W}.inter WHERE false",
             f"SELECT {S}.item_content_similarity(id, f)::text FROM {W}.content WHERE false",
             f"SELECT {S}.assoc_rules(b, i, 0.1, 0.5)::text FROM {W}.baskets WHERE false"]
    bad = [f"{q}: {r}" for q in nulls for r in [h.query(conn, q)] if r != [(None,)]]
    yield (not bad, "no rows: item_similarity, item_content_similarity, assoc_rules return NULL", bad)
    nulls = [f"SELECT {S}.item_similarity(NULL::bigint, i, w)::text FROM {W}.inter",
             f"SELECT {S}.item_similarity(u, NULL::bigint)::text FROM {W}.inter",
             f"SELECT {S}.item_content_similarity(NULL::bigint, f)::text FROM {W}.content",
             f"SELECT {S}.item_content_similarity(id, NULL::float8[])::text FROM {W}.content",
             f"SELECT {S}.assoc_rules(b, NULL::bigint, 0.1, 0.5)::text FROM {W}.baskets"]
    bad = [f"{q}: {str(r)[:150]}" for q in nulls for r in [h.query(conn, q)] if r != [(None,)]]
    yield (not bad, "only rows with a NULL id (or NULL features) return NULL, like sum()", bad)

    def lists_of(sql):
        return rows_to_lists(nbr_rows(conn, sql))
    one = "(VALUES (42, 5, 2.0), (42, 3, 1.0), (42, 9, 0.5), (42, 5, 1.0)) s(u, i, w)"
    bad = []
    for measure, v in (("cosine", 1.0), ("jaccard", 1.0), ("lift", 1.0), ("shrunk_cosine", 1 / 11)):
        got = lists_of(f"SELECT {S}.item_similarity(u::bigint, i::bigint, w::float8, 20, '{measure}') FROM {one}")
        want = {3: [(5, v, 1), (9, v, 1)], 5: [(3, v, 1), (9, v, 1)], 9: [(3, v, 1), (5, v, 1)]}
        if got.keys() != want.keys() or any(
                [(a, c) for a, _s, c in got[x]] != [(a, c) for a, _s, c in want[x]] or
                any(rel(g[1], e[1]) > TOL for g, e in zip(got[x], want[x])) for x in want):
            bad.append(f"{measure}: {got}, expected {want}")
    _, m = model_json(conn, f"SELECT {S}.item_similarity(u::bigint, i::bigint, w::float8)::text FROM {one}")
    if not m or (m["users"], m["interactions"], m["items"], m["popularity"]) != (1, 3, [3, 5, 9], [1, 1, 1]):
        bad.append(f"JSON: {m}")
    yield (not bad, "a single user: every pair scores 1 (cosine, jaccard, lift) or 1/11 (shrunk), ties by id; "
                    "users 1, interactions 3", bad)
    lone = ("(VALUES (1, 10), (2, 10), (1, 11), (3, 10), (3, 12), (4, 99)) s(u, i)")
    h.query(conn, f"INSERT INTO {W}.models SELECT 'lone', {S}.item_similarity(u::bigint, i::bigint) FROM {lone}")
    got = lists_of(f"SELECT m FROM {W}.models WHERE name = 'lone'")
    m = json.loads(h.scalar(conn, f"SELECT m::text FROM {W}.models WHERE name = 'lone'"))
    rec = h.query(conn, f"SELECT item_id, source, score FROM {S}.recommend((SELECT m FROM {W}.models WHERE name = "
                        f"'lone'), ARRAY[99]::bigint[], 3) ORDER BY rank")
    bad = []
    if 99 in got or m["items"] != [10, 11, 12, 99] or m["popularity"] != [3, 1, 1, 1]:
        bad.append(f"lists {got}; items {m['items']} popularity {m['popularity']}")
    x = m["items"].index(99)
    if m["offsets"][x] != m["offsets"][x + 1]:
        bad.append(f"offsets {m['offsets']}")
    if rec != [(10, "popular", 3.0), (11, "popular", 1.0), (12, "popular", 1.0)]:
        bad.append(f"recommend(m, [99], 3) = {rec}")
    yield (not bad, "an item without co-users: listed with popularity 1 and an empty neighbour list; recommend from "
                    "it = all popular", bad)
    zero = "(VALUES (1, 20, 1.0), (1, 21, 0.0), (2, 20, 2.0), (2, 21, 0.0), (2, 22, 1.0), (3, 22, 1.5)) s(u, i, w)"
    bad = []
    tc = h.scalar(conn, f"SELECT {S}.item_similarity(u::bigint, i::bigint, w::float8)::text FROM {zero}")
    c = lists_of(f"SELECT {S}.item_similarity(u::bigint, i::bigint, w::float8) FROM {zero}")
    jc = lists_of(f"SELECT {S}.item_similarity(u::bigint, i::bigint, w::float8, 20, 'jaccard') FROM {zero}")
    cos = 2.0 / (math.sqrt(5.0) * math.sqrt(3.25))
    if tc is None or "NaN" in tc or "Infinity" in tc:
        bad.append(f"cosine model text: {tc}")
    if set(c) != {20, 22} or [e[0] for e in c[20]] != [22] or [e[0] for e in c[22]] != [20] or \
            rel(c[20][0][1], cos) > TOL:
        bad.append(f"cosine lists {c}, expected 20 -> 22, 22 -> 20 at {cos!r}, none for 21")
    if {k: [e[0] for e in v] for k, v in jc.items()} != {20: [21, 22], 21: [20, 22], 22: [20, 21]}:
        bad.append(f"jaccard lists {jc}")
    yield (not bad, "an item whose weights are all 0: no cosine neighbours (0/0 is not > 0), no NaN in the model; "
                    "jaccard still counts it", bad)
    # ids at both ends of bigint and on either side of 2^53, where float8 would merge 2^53 and 2^53 + 1
    hi, lo, p53, p53b = 2 ** 63 - 1, -2 ** 63, TWO53, TWO53 + 1
    edge = (f"(VALUES ({hi}, {lo}), ({hi}, {hi}), ({lo}, {lo}), ({lo}, 5), ({p53}, {p53}), ({p53}, {p53b}),"
            f" ({p53b}, {p53b})) s(u, i)")
    bad = []
    try:
        got = lists_of(f"SELECT {S}.item_similarity(u::bigint, i::bigint, 1::float8, 20, 'jaccard') FROM {edge}")
        want = {lo: [5, hi], 5: [lo], hi: [lo], p53: [p53b], p53b: [p53]}
        if {k: [e[0] for e in v] for k, v in got.items()} != want:
            bad.append(f"neighbours {got}, expected {want}")
        for b, i in ((hi, lo), (lo, hi), (p53, p53b)):
            r = h.query(conn, f"SELECT f.items FROM (SELECT {S}.assoc_rules(b::bigint, i::bigint, 0.5, 0) m FROM "
                              f"(VALUES ({b}, {i}), ({b}, 1)) s(b, i)) s, LATERAL {S}.frequent_itemsets(s.m) f")
            if sorted(r) != sorted([([min(i, 1)],), ([max(i, 1)],), ([min(i, 1), max(i, 1)],)]):
                bad.append(f"assoc_rules with ids {b}, {i}: {r}")
        r = h.query(conn, f"SELECT n.item_id, n.neighbor_id FROM (SELECT {S}.item_content_similarity(i::bigint, "
                          f"ARRAY[1, i % 2]::float8[]) m FROM (VALUES ({hi}), ({lo}), ({p53b})) s(i)) s, "
                          f"LATERAL {S}.neighbors(s.m) n ORDER BY 1, 2")
        want_c = sorted([(x, y) for x in (hi, lo, p53b) for y in (hi, lo, p53b) if x != y])
        if r != want_c:
            bad.append(f"content: {r}, expected {want_c}")
    except psycopg2.Error as e:
        bad.append(f"{e.pgcode}: {str(e).strip()}")
    yield (not bad, "ids over the whole bigint range come back exactly, 2^53 and 2^53 + 1 stay apart "
                    "(item_similarity, assoc_rules, content)", bad)
    it = f"{W}.inter"
    ct = f"{W}.content"
    bk = f"{W}.baskets"
    mt = f"(SELECT m FROM {W}.models WHERE name = 'lone')"
    expect = [
        (f"SELECT {S}.item_similarity(u, i, w, 0) FROM {it}", ("22023",)),
        (f"SELECT {S}.item_similarity(u, i, w, 1001) FROM {it}", ("22023",)),
        (f"SELECT {S}.item_similarity(u, i, w, -5) FROM {it}", ("22023",)),
        (f"SELECT {S}.item_similarity(u, i, w, NULL::integer) FROM {it}", ("22004", "22023")),
        (f"SELECT {S}.item_similarity(u, i, w, NULL::{S}.similarity_options) FROM {it}", ("22004",)),
        # an untyped NULL fits both the top_k and the options overload
        (f"SELECT {S}.item_similarity(u, i, w, NULL) FROM {it}", ("42725",)),
        (f"SELECT {S}.item_similarity(u, i, w, 1000) FROM {it}", ("ok",)),
        (f"SELECT {S}.item_similarity(u, i, w, 5, 'pearson') FROM {it}", ("22023",)),
        (f"SELECT {S}.item_similarity(u, i, w, 5, '') FROM {it}", ("22023",)),
        (f"SELECT {S}.item_similarity(u, i, w, 5, NULL) FROM {it}", ("22004", "22023")),
        (f"SELECT {S}.item_similarity(u, i, w, 5, 'cosine', NULL) FROM {it}", ("22004", "22023")),
        (f"SELECT {S}.item_similarity(u, i, -1.0) FROM {it}", ("22023",)),
        (f"SELECT {S}.item_similarity(u, i, CASE WHEN rid = 77 THEN -1e-300 ELSE w END) FROM {it}", ("22023",)),
        (f"SELECT {S}.item_similarity(u, i, 'NaN') FROM {it}", ("22023",)),
        (f"SELECT {S}.item_similarity(u, i, 'Infinity') FROM {it}", ("22023", "22003")),
        (f"SELECT {S}.item_similarity(u, i, '-Infinity') FROM {it}", ("22023", "22003")),
        (f"SELECT {S}.item_similarity(u, i, w, (rid % 2)::int + 1) FROM {it}", ("22023",)),
        (f"SELECT {S}.item_similarity(u, i, w, 5, CASE WHEN rid % 2 = 0 THEN 'lift' ELSE 'cosine' END) FROM {it}",
         ("22023",)),
        (f"SELECT {S}.item_similarity(u, i, w, 5, 'cosine', (rid % 2)::int + 1) FROM {it}", ("22023",)),
        (f"SELECT {S}.assoc_rules(b, i, 0, 0.5) FROM {bk}", ("22023",)),
        (f"SELECT {S}.assoc_rules(b, i, 1.5, 0.5) FROM {bk}", ("22023",)),
        (f"SELECT {S}.assoc_rules(b, i, -0.1, 0.5) FROM {bk}", ("22023",)),
        (f"SELECT {S}.assoc_rules(b, i, 'NaN', 0.5) FROM {bk}", ("22023",)),
        (f"SELECT {S}.assoc_rules(b, i, NULL, 0.5) FROM {bk}", ("22004", "22023")),
        (f"SELECT {S}.assoc_rules(b, i, 1, 0.5) FROM {bk}", ("ok",)),
        (f"SELECT {S}.assoc_rules(b, i, 0.5, -0.1) FROM {bk}", ("22023",)),
        (f"SELECT {S}.assoc_rules(b, i, 0.5, 1.0000001) FROM {bk}", ("22023",)),
        (f"SELECT {S}.assoc_rules(b, i, 0.5, 'NaN') FROM {bk}", ("22023",)),
        (f"SELECT {S}.assoc_rules(b, i, 0.5, 0) FROM {bk}", ("ok",)),
        (f"SELECT {S}.assoc_rules(b, i, 0.5, 1) FROM {bk}", ("ok",)),
        (f"SELECT {S}.assoc_rules(b, i, 0.1, 0.5, 0) FROM {bk}", ("22023",)),
        (f"SELECT {S}.assoc_rules(b, i, 0.1, 0.5, 11) FROM {bk}", ("22023",)),
        (f"SELECT {S}.assoc_rules(b, i, 0.1, 0.5, -1) FROM {bk}", ("22023",)),
        (f"SELECT {S}.assoc_rules(b, i, 0.1, 0.5, 10) FROM {bk}", ("ok",)),
        (f"SELECT {S}.assoc_rules(b, i, CASE WHEN b % 2 = 0 THEN 0.1 ELSE 0.2 END, 0.5) FROM {bk}", ("22023",)),
        (f"SELECT {S}.item_content_similarity(i, f) FROM (VALUES (1::bigint, ARRAY[1.0, 2.0]::float8[]), "
         f"(2, ARRAY[1.0, 2.0, 3.0])) s(i, f)", ("22023",)),
        (f"SELECT {S}.item_content_similarity(i, f) FROM (VALUES (1::bigint, ARRAY[1.0, 2.0]::float8[]), "
         f"(2, ARRAY[1.0, 3.0]), (1, ARRAY[0.5, 1.0])) s(i, f)", ("22023",)),
        (f"SELECT {S}.item_content_similarity(id, f) FROM (SELECT id, f FROM {ct} UNION ALL SELECT id, f FROM {ct} "
         f"WHERE id = (SELECT max(id) FROM {ct} WHERE f IS NOT NULL)) s", ("22023",)),
        (f"SELECT {S}.item_content_similarity(i, f) FROM (VALUES (1::bigint, '{{{{1,2}},{{3,4}}}}'::float8[])) s(i, f)",
         ("2202E",)),
        (f"SELECT {S}.item_content_similarity(i, f) FROM (VALUES (1::bigint, ARRAY[1, NULL]::float8[])) s(i, f)",
         ("22004",)),
        (f"SELECT {S}.item_content_similarity(i, f) FROM (VALUES (1::bigint, ARRAY[1, 'NaN']::float8[])) s(i, f)",
         ("22023", "22003")),
        (f"SELECT {S}.item_content_similarity(i, f) FROM (VALUES (1::bigint, ARRAY['Infinity', 1]::float8[])) "
         f"s(i, f)", ("22023", "22003")),
        (f"SELECT {S}.item_content_similarity(i, f) FROM (VALUES (1::bigint, '{{}}'::float8[])) s(i, f)",
         ("2202E", "22023")),
        (f"SELECT {S}.item_content_similarity(id, f, 0) FROM {ct}", ("22023",)),
        (f"SELECT {S}.item_content_similarity(id, f, 1001) FROM {ct}", ("22023",)),
        (f"SELECT {S}.item_neighbors_blend({mt}, {mt}, 0.5, 0)", ("22023",)),
        (f"SELECT {S}.item_neighbors_blend({mt}, {mt}, 0.5, 1001)", ("22023",)),
        (f"SELECT 'not json'::{S}.item_neighbors", ("22P02",)),
        (f"SELECT '{{}}'::{S}.item_neighbors", ("22P02", "22023")),
        (f"SELECT 'not json'::{S}.assoc_rules_model", ("22P02",)),
        (f"SELECT '{{}}'::{S}.assoc_rules_model", ("22P02", "22023")),
    ]
    got = [(q, want, sqlstate_of(conn, q)) for q, want in expect]
    bad = [f"{q}: {c}, expected {' or '.join(w)}" for q, w, c in got if c not in w]
    yield (not bad, f"{len(expect)} bad (and boundary-valid) arguments: top_k 0/1001, unknown measure, negative/NaN "
                    "weight, varying parameters, min_support 0/1.5, min_confidence, max_len 0/11, ragged / repeated "
                    "/ 2-D / NULL / NaN features, bad model text -> the documented SQLSTATE", bad)
    q0 = f"SELECT {S}.item_similarity(u, i, w, 20, 'jaccard', 0) FROM {it}"
    code = sqlstate_of(conn, q0)
    detail = [f"min_support 0: {code}"]
    ok = code == "22023"
    if code == "ok":
        a = sorted(nbr_rows(conn, q0))
        b = sorted(nbr_rows(conn, q0.replace(", 0)", ", 1)")))
        ok = a == b and len(a) > 0
        detail.append("neighbours equal to min_support 1" if ok else "neighbours differ from min_support 1")
    yield (ok, "item_similarity min_support 0: 22023, or the same neighbours as min_support 1 (co >= 1 always)",
           detail)


def sec_order_parallel(conn, D):
    """7. row order and parallel plans"""
    orders = ("rid", "rid DESC", "p", "md5(rid::text)")
    bad = []
    for args in ("u, i, w, 20, 'cosine'", "u, i, w, 10, 'lift', 2", "u, i, w, 5, 'shrunk_cosine'"):
        base = h.scalar(conn, f"SELECT {S}.item_similarity({args})::text FROM {W}.inter")
        for o in orders:
            t = h.scalar(conn, f"SELECT {S}.item_similarity({args} ORDER BY {o})::text FROM {W}.inter")
            if t != base:
                bad.append(f"item_similarity({args} ORDER BY {o}): " + "; ".join(text_diff(base, t)))
    yield (not bad, "item_similarity (cosine, lift, shrunk_cosine): the same model text for 4 row orders (duplicate "
                    "rows with non-dyadic weights summed in any order)", bad)
    bad = []
    base = h.scalar(conn, f"SELECT {S}.assoc_rules(b, i, 0.01, 0.2, 4)::text FROM {W}.baskets")
    for o in orders:
        t = h.scalar(conn, f"SELECT {S}.assoc_rules(b, i, 0.01, 0.2, 4 ORDER BY {o})::text FROM {W}.baskets")
        if t != base:
            bad.append(f"ORDER BY {o}: " + "; ".join(text_diff(base, t)))
    yield (not bad, "assoc_rules: the same model text for 4 row orders", bad)
    bad = []
    base = h.scalar(conn, f"SELECT {S}.item_content_similarity(id, f, 7)::text FROM {W}.content")
    for o in ("id", "id DESC", "p", "md5(id::text)"):
        t = h.scalar(conn, f"SELECT {S}.item_content_similarity(id, f, 7 ORDER BY {o})::text FROM {W}.content")
        if t != base:
            bad.append(f"ORDER BY {o}: " + "; ".join(text_diff(base, t)))
    yield (not bad, "item_content_similarity: the same model text for 4 row orders", bad)
    for label, sql in (
            ("item_similarity(u, i, w, 20) over 60,000 rows", f"SELECT {S}.item_similarity(u, i, w, 20)::text FROM {W}.big_inter"),
            ("item_similarity(u, i, w, 10, 'shrunk_cosine', 2)",
             f"SELECT {S}.item_similarity(u, i, w, 10, 'shrunk_cosine', 2)::text FROM {W}.big_inter"),
            ("assoc_rules(b, i, 0.005, 0.1, 3) over 20,000 baskets",
             f"SELECT {S}.assoc_rules(b, i, 0.005, 0.1, 3)::text FROM {W}.big_baskets"),
            ("item_content_similarity(id, f, 10) over 2,000 items",
             f"SELECT {S}.item_content_similarity(id, f, 10)::text FROM {W}.big_content")):
        set_parallel(conn, False)
        ser = h.scalar(conn, sql)
        set_parallel(conn, True)
        par = h.scalar(conn, sql)
        wl, plan = workers_launched(conn, sql)
        set_parallel(conn, False)
        ok = ser is not None and ser == par and wl >= 1
        yield (ok, f"{label}: the same model text from a forced-parallel plan ({wl} workers launched) as serially",
               ([] if ser == par else ["serial vs parallel: " + d for d in text_diff(ser, par)])
               + ([] if wl >= 1 else [plan]))


SECTIONS = [(sec_similarity, 10), (sec_recommend, 7), (sec_content, 3), (sec_blend, 4), (sec_assoc, 13),
            (sec_edges, 8), (sec_order_parallel, 7)]
PLAN = sum(c for _, c in SECTIONS)


def setup(conn):
    h.query(conn, f"DROP SCHEMA IF EXISTS {W} CASCADE; CREATE SCHEMA {W}")
    D = {}
    rows, info = gen_interactions()
    D["inter_rows"], D["inter_info"] = rows, info
    rng = np.random.default_rng(5)
    perm = rng.permutation(len(rows))
    h.query(conn, f"CREATE TABLE {W}.inter (rid int, u bigint, i bigint, w float8, p int)")
    copy_rows(conn, "inter", ("rid", "u", "i", "w", "p"),
              [(k, u, i, w, int(perm[k])) for k, (u, i, w) in enumerate(rows)])
    D["ref"] = Interactions(rows)
    group = {c: src for src, cs in info["clones"].items() for c in cs + [src]}
    # near ties of irrational cosines may come in either order, except between clones (structural ties)
    D["may_swap"] = lambda item, a, b: a not in group or b not in group or group[a] != group[b]
    h.query(conn, f"CREATE TABLE {W}.models (name text, m {S}.item_neighbors)")
    cf = gen_content(9, D["ref"].items)
    perm = rng.permutation(len(cf))
    h.query(conn, f"CREATE TABLE {W}.content (id bigint, f float8[], p int)")
    copy_rows(conn, "content", ("id", "f", "p"), [(i, f, int(perm[k])) for k, (i, f) in enumerate(cf)]
              + [(None, [1.0] * 7, -1), (12345678, None, -2)])
    D["content_ref"] = content_reference(cf)
    brows = gen_baskets()
    perm = rng.permutation(len(brows))
    h.query(conn, f"CREATE TABLE {W}.baskets (rid int, b bigint, i bigint, p int)")
    copy_rows(conn, "baskets", ("rid", "b", "i", "p"), [(k, b, i, int(perm[k])) for k, (b, i) in enumerate(brows)])
    D["brute"] = brute_itemsets(brows, 4)
    # big tables for the parallel plans (generated in SQL: only serial = parallel is checked on them)
    h.query(conn, f"""
        CREATE TABLE {W}.big_inter AS
        SELECT g AS rid, 1 + (hashint8extended(g, 1) & 2147483647) % 3000 AS u,
               1 + floor(400 * power(((hashint8extended(g, 2) & 2147483647) / 2147483648.0)::float8, 2))::bigint AS i,
               0.05 + ((hashint8extended(g, 3) & 2147483647) / 2147483648.0)::float8 * 4.95 AS w
          FROM generate_series(1, 60000) g;
        INSERT INTO {W}.big_inter SELECT rid + 60000, u, i, w / 3 FROM {W}.big_inter WHERE rid % 10 = 0;
        CREATE TABLE {W}.big_baskets AS
        SELECT g AS rid, 1 + (hashint8extended(g, 4) & 2147483647) % 20000 AS b,
               1 + floor(60 * power(((hashint8extended(g, 5) & 2147483647) / 2147483648.0)::float8, 2))::bigint AS i
          FROM generate_series(1, 80000) g;
        CREATE TABLE {W}.big_content AS
        SELECT g::bigint AS id, ARRAY(SELECT ((hashint8extended(g * 16 + d, 6) & 2147483647) / 2147483648.0)::float8 - 0.4
                                        FROM generate_series(1, 8) d) AS f
          FROM generate_series(1, 2000) g""")
    for t in ("big_inter", "big_baskets", "big_content"):
        h.query(conn, f"ALTER TABLE {W}.{t} SET (parallel_workers = 4); ANALYZE {W}.{t}")
    set_parallel(conn, False)
    return D


def main():
    t0 = time.time()
    conn = h.connect()
    tap = h.Tap(PLAN)
    D = setup(conn)
    R = D["ref"]
    tap.comment(f"data: {len(D['inter_rows'])} interaction rows, {R.U} users, {len(R.items)} items, "
                f"{len(R.agg)} pairs; {len(D['content_ref'][0])} content items; {D['brute'][0]} baskets; "
                f"set up in {time.time() - t0:.1f} s")
    conn = h.run_sections(tap, conn, SECTIONS, D)
    if not os.environ.get("RECOMMEND_ORACLE_KEEP"):      # set it to keep the tables for reproducing a failure
        h.query(conn, f"DROP SCHEMA IF EXISTS {W} CASCADE")
    tap.comment(f"total {time.time() - t0:.1f} s")
    return tap.finish()


if __name__ == "__main__":
    h.main_guard(main)
