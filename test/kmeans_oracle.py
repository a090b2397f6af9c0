#!/usr/bin/python3
"""Oracle test of supplymkt's k-means family (src/kmeans/, src/sql/kmeans.sql) against scikit-learn and numpy.

Seeded data: make_blobs (3,000 points, 5 features, 6 well separated centers), an anisotropic overlapping set
(make_blobs with cluster_std 2 through a random linear map), the demo customers (generate_demo_data, 5,000
customers: recency in days, orders, ln(1 + total spend), in plain SQL), and small hand-made sets.

1. Same init, same answer: kmeans_fit's "init" (the k-means++ seeds of the winning run) given to scikit-learn's
   KMeans(init=..., n_init=1, algorithm='lloyd', same max_iter and tol) on StandardScaler().fit_transform(X) (or
   raw X with standardize false) must give the same partition (up to a relabelling), the same iteration count,
   and inertia and centroids within 1e-9.  Why 1e-9: both run exact Lloyd on the same doubles; they differ only
   in summation order and scikit-learn's |x|^2 - 2x.c + |c|^2 distances (and its mean-centring of X), i.e.
   rounding at ~1e-15 relative, amplified by at most ~30 iterations; a wrong step (a missed relocation, an
   off-by-one iteration, a different convergence rule) moves centroids by >= 1e-3.
2. Seeding quality: kmeans_fit(f, k, 0) (n_init 10) inertia <= 1.005 x scikit-learn's KMeans(n_init=10,
   random_state=0) on blobs, the anisotropic set and the demo customers (both are greedy k-means++ with
   2 + floor(ln k) trials; 0.5% allows a different but equally good local optimum, not a worse seeding).
3. Model content against numpy: mean / population std (scale exactly 1 for a constant feature, also one whose
   naive mean is not exactly the constant), centroids_original = centroids * scale + mean, sizes = counts of
   kmeans_assign, clusters by descending size, kmeans_assign = numpy argmin and kmeans_distance = numpy distance
   (1e-12), kmeans_centroids = the JSON, metadata.
4. kmeans_refine: one step = one numpy Lloyd step (assignment to the model's centroids, means, an empty cluster
   keeps its centroid) to 1e-12; iterating it to its fixed point = scikit-learn's converged fit (tol 0) from the
   same init (1e-9).
5. kmeans_segment OVER (PARTITION BY g) / OVER () = kmeans_assign(kmeans_fit(f, k, seed), f) per partition.
6. kmeans_elbow: per k, inertia / iterations / converged = kmeans_fit's; silhouette = sklearn.metrics.
   silhouette_score on the standardized data (n <= 2000, 1e-9), NULL for k = 1; for n > 2000 the sampled
   silhouette is within 0.03 of the full one.
7. Edge cases: k = 1, k = n, duplicates, constant features, identical points, huge values, the documented
   SQLSTATEs of bad input, NULL results without rows.
8. supplymkt.kmeans_max_memory sampling: sampled model fields, serial = forced-parallel (model text identical,
   sampled and not), row order independence (kmeans_fit(... ORDER BY x), four orders, sampled and not), the
   sampled inertia within 10% of the full fit, kmeans_refine parallel = serial (5e-12).
TAP on stdout; libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE with CREATE EXTENSION supplymkt done).
Works in its own schemas kmeans_oracle and kmeans_demo (dropped at the end unless KMEANS_ORACLE_KEEP is
set).  Runs in well under a minute.
"""
import io
import json
import math
import os
import sys
import time
import warnings

import numpy as np
import psycopg2
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

warnings.simplefilter("ignore")   # scikit-learn's FutureWarnings / ConvergenceWarnings are not our business
S = "supplymkt"
W = "kmeans_oracle"               # working schema (regular tables: parallel plans never scan temp tables)
DEMO = "kmeans_demo"
SAME_TOL = 1e-9                   # same-init comparison with scikit-learn (see the docstring)
STEP_TOL = 1e-12                  # one Lloyd step / readers against numpy (naive sums of <= 3,000 terms: 3e-13)
SEED_SLACK = 1.005
PLAN = 42


# ---------------------------------------------------------------------------------------------------------
# Data and database helpers
# ---------------------------------------------------------------------------------------------------------

def blobs():
    X, _ = make_blobs(n_samples=3000, n_features=5, centers=6, cluster_std=1.0, random_state=11)
    return X


def aniso():
    X, _ = make_blobs(n_samples=3000, n_features=5, centers=6, cluster_std=2.0, random_state=12)
    A = np.random.default_rng(12).normal(size=(5, 5))
    return X @ A


def arr_lit(row):
    return "{" + ",".join(repr(float(v)) for v in row) + "}"


def load(conn, table, X, groups=None, null_rows=0):
    """kmeans_oracle.<table>(id, g, f float8[]) by COPY; null_rows extra rows with a NULL f at the end."""
    h.query(conn, f"DROP TABLE IF EXISTS {W}.{table}")
    h.query(conn, f"CREATE TABLE {W}.{table} (id int, g int, f float8[])")
    buf = io.StringIO()
    for i, row in enumerate(X):
        g = 0 if groups is None else int(groups[i])
        buf.write(f"{i}\t{g}\t{arr_lit(row)}\n")
    for j in range(null_rows):
        g = 0 if groups is None else int(groups[j % len(groups)])
        buf.write(f"{len(X) + j}\t{g}\t\\N\n")
    buf.seek(0)
    with conn.cursor() as cur:
        cur.copy_expert(f"COPY {W}.{table} (id, g, f) FROM STDIN", buf)
    h.query(conn, f"ANALYZE {W}.{table}")


def model(conn, sql, params=None):
    """(text, parsed JSON) of a model-returning query (None, None for NULL)."""
    t = h.scalar(conn, sql, params)
    return (t, None) if t is None else (t, json.loads(t))


def fit(conn, table, args):
    return model(conn, f"SELECT {S}.kmeans_fit(f, {args})::text FROM {W}.{table}")


def assign(conn, mtext, table):
    rows = h.query(conn, f"SELECT {S}.kmeans_assign(%s::{S}.kmeans_model, f) FROM {W}.{table} "
                         f"WHERE f IS NOT NULL ORDER BY id", (mtext,))
    return np.array([r[0] for r in rows])


def model_diff(a_text, b_text, limit=6):
    """The fields in which two model texts differ (largest relative difference of numeric arrays)."""
    a, b = json.loads(a_text), json.loads(b_text)
    out = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if x == y:
            continue
        if isinstance(x, list) and isinstance(y, list) and len(x) == len(y) and all(
                isinstance(v, (int, float)) for v in x + y):
            worst = max(rel(float(u), float(v)) for u, v in zip(x, y))
            out.append(f"{key}: {sum(u != v for u, v in zip(x, y))} of {len(x)} values differ, largest relative "
                       f"difference {worst:.2e}")
        else:
            out.append(f"{key}: {str(x)[:120]} / {str(y)[:120]}")
    return out[:limit] or ["texts differ only in formatting"]


def sqlstate_of(conn, sql):
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            cur.fetchall()
        return "ok"
    except psycopg2.Error as e:
        return e.pgcode


def cent(m):
    return np.array(m["centroids"], dtype=float).reshape(m["k"], m["dim"])


def standardized(X, m):
    return (X - np.array(m["mean"])) / np.array(m["scale"])


def match(ours, theirs, k):
    """Our labels 1..k against labels 0..k-1: (perm {ours: theirs} or None, rows not following the best map)."""
    cont = np.zeros((k + 1, k), dtype=int)
    np.add.at(cont, (ours, theirs), 1)
    best = {c: int(np.argmax(cont[c])) for c in range(1, k + 1)}
    bad = int(sum(cont[c].sum() - cont[c, best[c]] for c in best))
    return (best if bad == 0 and len(set(best.values())) == k else None), bad


def rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-300) if a != b else 0.0


def sk_scaled(X):
    return StandardScaler().fit_transform(X)


def numpy_step(Z, C):
    """One Lloyd step from centroids C: (labels 0..k-1, inertia to C, new centroids, counts)."""
    d2 = ((Z[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)
    lab = np.argmin(d2, axis=1)             # ties: the first (lower numbered) centroid
    inertia = math.fsum(d2[np.arange(len(Z)), lab])
    k, d = C.shape
    counts = np.bincount(lab, minlength=k)
    new = C.copy()
    for j in range(k):
        if counts[j]:
            new[j] = [math.fsum(Z[lab == j, a]) / counts[j] for a in range(d)]
    return lab, inertia, new, counts


def renumber(C, counts):
    """The documented cluster order: descending size, ties by lexicographic order of the centroid."""
    order = sorted(range(len(C)), key=lambda j: (-counts[j], tuple(C[j])))
    return C[order], counts[order]


# ---------------------------------------------------------------------------------------------------------
# Sections: each yields exactly its count of (ok, description, details)
# ---------------------------------------------------------------------------------------------------------

def sec_same_init(conn, D):
    """1. The model's init into scikit-learn gives the same fit."""
    cases = [("blobs", 6, 1, 1, True), ("aniso", 6, 2, 1, True), ("blobs", 6, 3, 1, False),
             ("aniso", 6, 4, 1, False), ("blobs", 6, 5, 10, True), ("aniso", 6, 6, 10, True)]
    for table, k, seed, n_init, std in cases:
        X = D[table]
        t0 = time.time()
        mt, m = fit(conn, table, f"{k}, {seed}, {n_init}, 300, 1e-4, {str(std).lower()}")
        t_db = time.time() - t0
        Z = sk_scaled(X) if std else X.copy()
        init = np.array(m["init"], dtype=float).reshape(k, -1)
        km = KMeans(n_clusters=k, init=init.copy(), n_init=1, max_iter=300, tol=1e-4, algorithm="lloyd").fit(Z)
        ours = assign(conn, mt, table)
        perm, bad = match(ours, km.labels_, k)
        C = cent(m)
        cdiff = (max(float(np.max(np.abs(C[c - 1] - km.cluster_centers_[perm[c]]) / np.maximum(1, np.abs(C[c - 1]))))
                     for c in perm) if perm else float("inf"))
        ri = rel(m["inertia"], km.inertia_)
        ok = perm is not None and ri <= SAME_TOL and m["iterations"] == km.n_iter_ and cdiff <= SAME_TOL
        yield (ok, f"same init as scikit-learn: {table}, k={k}, seed={seed}, n_init={n_init}, standardize={std}: "
                   f"same partition, iterations, inertia and centroids (1e-9)",
               [f"rows assigned differently from the best relabelling: {bad}",
                f"inertia: database {m['inertia']!r}, sklearn {km.inertia_!r} (relative {ri:.2e})",
                f"iterations: database {m['iterations']}, sklearn {km.n_iter_}; converged {m['converged']}",
                f"largest centroid difference {cdiff:.2e}; kmeans_fit took {t_db:.2f} s"])


def sec_seeding(conn, D):
    """2. Own seeding is as good as scikit-learn's."""
    for table, k in (("blobs", 6), ("aniso", 6), ("cust", 5)):
        X = D[table]
        mt, m = fit(conn, table, f"{k}, 0")
        km = KMeans(n_clusters=k, n_init=10, random_state=0, algorithm="lloyd").fit(sk_scaled(X))
        ratio = m["inertia"] / km.inertia_
        yield (ratio <= SEED_SLACK, f"seeding quality: {table} ({len(X)} points), k={k}: kmeans_fit(f, {k}, 0) "
                                    f"inertia <= {SEED_SLACK} x sklearn KMeans(n_init=10, random_state=0)",
               [f"database {m['inertia']:.10g}, sklearn {km.inertia_:.10g}, ratio {ratio:.6f}"])


def sec_content(conn, D):
    """3. Model content."""
    X = D["wide"]
    n, d = X.shape
    k = 6
    mt, m = fit(conn, "wide", f"{k}, 5")
    mean, scale = np.array(m["mean"]), np.array(m["scale"])
    const = np.ptp(X, axis=0) == 0
    want_mean, want_scale = X.mean(axis=0), np.where(const, 1.0, X.std(axis=0))
    em = np.abs(mean - want_mean) / np.maximum(np.abs(want_mean), want_scale)
    es = np.abs(scale - want_scale) / want_scale
    ok = bool(np.all(em <= STEP_TOL) and np.all(es <= STEP_TOL) and np.all(scale[const] == 1.0))
    yield (ok, "mean and scale = numpy mean and std(ddof=0) (1e-12; a feature at 1e6 + N(0,1) needs two-pass "
               "accuracy); constant features (0.1 and 7) have scale exactly 1",
           [f"mean: database {mean.tolist()}", f"      numpy    {want_mean.tolist()}",
            f"scale: database {scale.tolist()}", f"       numpy    {want_scale.tolist()}",
            f"worst relative error: mean {em.max():.2e}, scale {es.max():.2e}"])
    C = cent(m)
    CO = np.array(m["centroids_original"]).reshape(k, d)
    want = C * scale + mean
    e = np.max(np.abs(CO - want) / (np.abs(C * scale) + np.abs(mean)))
    yield (e <= STEP_TOL, "centroids_original = centroids * scale + mean (1e-12)", [f"worst relative error {e:.2e}"])
    ours = assign(conn, mt, "wide")
    counts = np.bincount(ours, minlength=k + 1)[1:]
    sizes = np.array(m["sizes"])
    order_ok = all((sizes[j] > sizes[j + 1]) or (sizes[j] == sizes[j + 1] and tuple(C[j]) <= tuple(C[j + 1]))
                   for j in range(k - 1))
    ok = sizes.sum() == n and np.array_equal(sizes, counts) and order_ok and ours.min() >= 1 and ours.max() <= k
    yield (ok, f"sizes sum to n = {n}, equal the counts of kmeans_assign, clusters numbered by descending size",
           [f"sizes {sizes.tolist()}, kmeans_assign counts {counts.tolist()}, ordered: {order_ok}"])
    Z = standardized(X, m)
    d2 = ((Z[:, None, :] - C[None]) ** 2).sum(axis=2)
    lab = np.argmin(d2, axis=1) + 1
    dist = np.sqrt(d2[np.arange(n), lab - 1])
    got = np.array([r[0] for r in h.query(conn, f"SELECT {S}.kmeans_distance(%s::{S}.kmeans_model, f) FROM {W}.wide "
                                                "ORDER BY id", (mt,))])
    scale_ref = dist + np.linalg.norm(Z, axis=1) + np.linalg.norm(C[lab - 1], axis=1)
    ed = np.max(np.abs(got - dist) / scale_ref)
    inertia_np = math.fsum(d2[np.arange(n), lab - 1])
    ei = rel(m["inertia"], inertia_np)
    ok = np.array_equal(lab, ours) and ed <= STEP_TOL and ei <= 1e-10
    yield (ok, "kmeans_assign = numpy nearest centroid, kmeans_distance = numpy distance (1e-12 of the norms), "
               "inertia = sum of squared distances (1e-10)",
           [f"assignments differing: {int(np.sum(lab != ours))}", f"worst distance error {ed:.2e}",
            f"inertia: database {m['inertia']!r}, numpy {inertia_np!r} (relative {ei:.2e})"])
    rows = h.query(conn, f"SELECT cluster, size, centroid, centroid_original FROM {S}.kmeans_centroids(%s) "
                         "ORDER BY cluster", (mt,))
    ok = (len(rows) == k and [r[0] for r in rows] == list(range(1, k + 1))
          and [r[1] for r in rows] == m["sizes"]
          and all(list(r[2]) == C[i].tolist() and list(r[3]) == CO[i].tolist() for i, r in enumerate(rows)))
    yield (ok, "kmeans_centroids returns the model's clusters, sizes, centroids and centroids_original exactly",
           [f"{r[0]}: size {r[1]}" for r in rows])
    mt2, m2 = fit(conn, "wide", f"{k}, 5, 1, 300, 1e-4, false")
    problems = []
    for key, want_v in (("version", 1), ("k", k), ("dim", d), ("standardize", True), ("n_points", n),
                        ("sampled", False), ("sample_points", n), ("seed", 5), ("n_init", 10), ("converged", True)):
        if m.get(key) != want_v:
            problems.append(f"{key}: {m.get(key)!r}, expected {want_v!r}")
    if len(m.get("init", [])) != k * d:
        problems.append(f"init has {len(m.get('init', []))} values, expected {k * d}")
    if not (m2["standardize"] is False and m2["mean"] == [0.0] * d and m2["scale"] == [1.0] * d
            and m2["centroids"] == m2["centroids_original"] and m2["n_init"] == 1):
        problems.append(f"standardize false: standardize {m2['standardize']}, mean {m2['mean']}, scale {m2['scale']}, "
                        f"centroids == centroids_original: {m2['centroids'] == m2['centroids_original']}")
    yield (not problems, "model metadata (version, k, dim, n_points, sampled, seed, n_init, converged, init); "
                         "standardize false has mean 0, scale 1 and centroids_original = centroids", problems)


def hand_model(k, d, C, mean, scale):
    return json.dumps({"version": 1, "k": k, "dim": d, "standardize": True, "mean": list(map(float, mean)),
                       "scale": list(map(float, scale)), "centroids": [float(v) for v in C.ravel()]})


def refine_check(conn, table, X, mt, m, label):
    k = m["k"]
    Z = standardized(X, m)
    lab, inertia, new, counts = numpy_step(Z, cent(m))
    wantC, wantN = renumber(new, counts)
    rt, r = model(conn, f"SELECT {S}.kmeans_refine(%s::{S}.kmeans_model, f)::text FROM {W}.{table}", (mt,))
    gotC = cent(r)
    mag = np.array([max(1.0, float(np.mean(np.abs(Z[lab == j])))) if counts[j] else 1.0 for j in range(k)])
    mag = mag[sorted(range(k), key=lambda j: (-counts[j], tuple(new[j])))]
    ec = float(np.max(np.abs(gotC - wantC) / mag[:, None]))
    ei = rel(r["inertia"], inertia)
    ok = (r["sizes"] == wantN.tolist() and ec <= STEP_TOL and ei <= STEP_TOL
          and r["iterations"] == m.get("iterations", 0) + 1 and "init" not in r and r["n_points"] == len(X)
          and r["mean"] == m["mean"] and r["scale"] == m["scale"])
    return (ok, f"kmeans_refine from {label} = one numpy Lloyd step (centroids and inertia 1e-12, sizes, "
                f"iterations + 1, no init)",
            [f"sizes: database {r['sizes']}, numpy {wantN.tolist()}",
             f"worst centroid error {ec:.2e}; inertia database {r['inertia']!r}, numpy {inertia!r} ({ei:.2e})",
             f"iterations {r['iterations']} (model {m.get('iterations')}), init present: {'init' in r}, "
             f"n_points {r['n_points']}"])


def sec_refine(conn, D):
    """4. kmeans_refine."""
    X = D["blobs"]
    n, d = X.shape
    mean, std = X.mean(axis=0), X.std(axis=0)
    Z = (X - mean) / std
    C = np.vstack([Z[[5, 17, 2000]], np.full((1, d), 50.0)])        # the last centroid gets no point
    mt = hand_model(4, d, C, mean, std)
    m = json.loads(mt)
    yield refine_check(conn, "blobs", X, mt, m, "a hand-typed model with an empty cluster")
    mt, m = fit(conn, "aniso", "6, 7, 1, 2")
    yield refine_check(conn, "aniso", D["aniso"], mt, m, "kmeans_fit(f, 6, 7, 1, 2) (two iterations)")
    # fixed point: hand model at the k-means++ init of a fit, refined until converged
    X = D["aniso"]
    _, f0 = fit(conn, "aniso", "6, 8, 1")
    k = 6
    init = np.array(f0["init"]).reshape(k, d)
    cur_t = hand_model(k, d, init, f0["mean"], f0["scale"])
    steps, r = 0, None
    t0 = time.time()
    while steps < 300:
        cur_t, r = model(conn, f"SELECT {S}.kmeans_refine(%s::{S}.kmeans_model, f)::text FROM {W}.aniso", (cur_t,))
        steps += 1
        if r["converged"]:
            break
    Z = standardized(X, f0)
    km = KMeans(n_clusters=k, init=init.copy(), n_init=1, max_iter=1000, tol=0.0, algorithm="lloyd").fit(Z)
    perm, bad = match(assign(conn, cur_t, "aniso"), km.labels_, k)
    Cr = cent(r)
    cdiff = (max(float(np.max(np.abs(Cr[c - 1] - km.cluster_centers_[perm[c]]))) for c in perm)
             if perm else float("inf"))
    ok = r["converged"] and perm is not None and cdiff <= SAME_TOL
    yield (ok, "kmeans_refine iterated to its fixed point = scikit-learn's converged Lloyd fit (tol 0) from the "
               "same init (same partition, centroids 1e-9)",
           [f"{steps} refine steps ({time.time() - t0:.1f} s), converged {r['converged']}; sklearn {km.n_iter_} "
            f"iterations", f"rows off the best relabelling: {bad}, largest centroid difference {cdiff:.2e}"])


def sec_segment(conn, D):
    """5. kmeans_segment."""
    cases = [
        ("OVER (PARTITION BY g), k=4, seed 11, NULL rows", "4, 11", "OVER (PARTITION BY g)", "GROUP BY g", "g"),
        ("OVER () with the default seed, k=3", "3", "OVER ()", "", None),
        ("OVER (PARTITION BY g ORDER BY id) (the whole partition, not the frame)", "4, 11",
         "OVER (PARTITION BY g ORDER BY id)", "GROUP BY g", "g"),
    ]
    for label, args, over, group, key in cases:
        sel_g = "g, " if key else ""
        join = "JOIN m USING (g)" if key else "CROSS JOIN m"
        rows = h.query(conn, f"""
            WITH m AS (SELECT {sel_g}{S}.kmeans_fit(f, {args}) m FROM {W}.seg {group}),
                 s AS (SELECT id, g, f, {S}.kmeans_segment(f, {args}) {over} seg FROM {W}.seg)
            SELECT s.id, s.seg, {S}.kmeans_assign(m.m, s.f) FROM s {join} ORDER BY s.id""")
        diff = [r for r in rows if r[1] != r[2]]
        nulls = sum(1 for r in rows if r[1] is None)
        ok = len(rows) == D["seg_rows"] and not diff and nulls == D["seg_nulls"]
        yield (ok, f"kmeans_segment {label} = kmeans_assign(kmeans_fit(...)) per partition",
               [f"{len(rows)} rows, {len(diff)} differ, {nulls} NULL (expected {D['seg_nulls']})"]
               + [f"id {r[0]}: segment {r[1]}, assign {r[2]}" for r in diff[:5]])


def sec_elbow(conn, D):
    """6. kmeans_elbow."""
    X = D["small"]
    pts = h.query(conn, f"SELECT (unnest({S}.kmeans_elbow(f, 1, 6, 5))).* FROM {W}.small")
    problems, sil_rows, sil_err = [], [], 0.0
    Zs = (X - X.mean(axis=0)) / X.std(axis=0)
    for k, inertia, sil, it, conv in pts:
        mt, m = fit(conn, "small", f"{k}, 5")
        if rel(inertia, m["inertia"]) > STEP_TOL or it != m["iterations"] or conv != m["converged"]:
            problems.append(f"k={k}: elbow ({inertia!r}, {it}, {conv}), kmeans_fit ({m['inertia']!r}, "
                            f"{m['iterations']}, {m['converged']})")
        if k == 1:
            sil_rows.append(f"k=1: silhouette {sil} (want NULL)")
            if sil is not None:
                sil_err = float("inf")
        else:
            want = silhouette_score(Zs, assign(conn, mt, "small"))
            e = float("inf") if sil is None else abs(sil - want)
            sil_err = max(sil_err, e)
            sil_rows.append(f"k={k}: silhouette database {sil!r}, sklearn {want!r}")
    ok = [p[0] for p in pts] == list(range(1, 7)) and not problems
    yield (ok, f"kmeans_elbow(f, 1, 6, 5) on {len(X)} points: k = 1..6, inertia, iterations and converged = "
               "kmeans_fit(f, k, 5)'s", problems or [f"{len(pts)} points"])
    yield (sil_err <= SAME_TOL, "kmeans_elbow silhouette = sklearn silhouette_score of kmeans_assign's labels on the "
                                "standardized data (1e-9; n <= 2000: every point), NULL for k = 1", sil_rows)
    X = D["mid"]
    Zs = (X - X.mean(axis=0)) / X.std(axis=0)
    pts = h.query(conn, f"SELECT (unnest({S}.kmeans_elbow(f, 2, 4))).* FROM {W}.mid")
    rows, worst = [], 0.0
    for k, inertia, sil, it, conv in pts:
        mt, _ = fit(conn, "mid", f"{k}, 0")
        want = silhouette_score(Zs, assign(conn, mt, "mid"))
        worst = max(worst, float("inf") if sil is None else abs(sil - want))
        rows.append(f"k={k}: sampled {sil!r}, full {want!r}")
    # 2,000 of 6,000 silhouettes: their spread is ~0.15, so the sample mean's SE is ~0.003; 0.03 is ~10 SE
    yield ([p[0] for p in pts] == [2, 3, 4] and worst <= 0.03,
           f"kmeans_elbow on {len(X)} points (> 2000): sampled silhouette within 0.03 of the full silhouette", rows)


def vals(rows):
    return " UNION ALL ".join(f"SELECT {i} id, {r}::float8[] f" for i, r in enumerate(rows))


def sec_edges(conn, D):
    """7. Edge cases."""
    X = D["blobs"]
    n, d = X.shape
    _, m = fit(conn, "blobs", "1")
    C, CO = cent(m), np.array(m["centroids_original"])
    e_mean = float(np.max(np.abs(CO - X.mean(axis=0)) / X.std(axis=0)))
    ok = (m["sizes"] == [n] and float(np.max(np.abs(C))) <= 1e-12 and e_mean <= 1e-12
          and rel(m["inertia"], n * d) <= 1e-12)
    yield (ok, "k = 1: centroid = mean (standardized 0, original = numpy mean), inertia = n * dim",
           [f"centroid {C.tolist()}, original error {e_mean:.2e} std, inertia {m['inertia']!r} (want {n * d})"])
    pts = ["'{0,0}'", "'{1,0}'", "'{0,1}'", "'{5,5}'", "'{5,6}'", "'{-3,2}'", "'{10,-1}'"]
    m = json.loads(h.scalar(conn, f"SELECT {S}.kmeans_fit(f, 7)::text FROM ({vals(pts)}) s"))
    yield (m["inertia"] == 0 and m["sizes"] == [1] * 7, "k = n (7 distinct points): inertia 0, every size 1",
           [f"inertia {m['inertia']!r}, sizes {m['sizes']}"])
    dup = ["'{1,1}'"] * 4 + ["'{2,3}'"] * 3 + ["'{-4,0}'"] * 2
    res = []
    for seed in range(5):
        m = json.loads(h.scalar(conn, f"SELECT {S}.kmeans_fit(f, 3, {seed})::text FROM ({vals(dup)}) s"))
        res.append((m["inertia"], m["sizes"]))
    # the mean of 4 copies of z is z only up to rounding (z + z + z loses a bit): inertia ~1e-32, not exactly 0
    yield (all(r[0] <= 1e-20 and r[1] == [4, 3, 2] for r in res),
           "duplicate points (3 distinct, 9 rows), k = 3, seeds 0..4: sizes 4, 3, 2 and inertia 0 (1e-20)",
           [f"seed {s}: inertia {r[0]!r}, sizes {r[1]}" for s, r in enumerate(res)])
    cst = ["'{1,5}'", "'{2,5}'", "'{10,5}'", "'{11,5}'"]
    t = h.scalar(conn, f"SELECT {S}.kmeans_fit(f, 2)::text FROM ({vals(cst)}) s")
    m = json.loads(t)
    a = h.scalar(conn, f"SELECT {S}.kmeans_assign(%s::{S}.kmeans_model, '{{1,5}}')", (t,))
    ok = ("NaN" not in t and "nan" not in t and rel(m["scale"][0], math.sqrt(20.5)) <= STEP_TOL
          and m["scale"][1] == 1.0 and m["mean"] == [6.0, 5.0] and m["sizes"] == [2, 2] and a == 1
          and rel(m["inertia"], 1 / 20.5) <= STEP_TOL)
    yield (ok, "a zero-variance feature with standardize: scale 1, no NaN; equal sizes numbered by the centroid's "
               "lexicographic order; inertia 4 x 0.5^2 / 20.5", [t, f"kmeans_assign(m, {{1,5}}) = {a}"])
    same = ["'{3.3,0.1}'"] * 5
    t1 = h.scalar(conn, f"SELECT {S}.kmeans_fit(f, 1)::text FROM ({vals(same)}) s")
    m = json.loads(t1)
    c2 = sqlstate_of(conn, f"SELECT {S}.kmeans_fit(f, 2) FROM ({vals(same)}) s")
    ok = m["scale"] == [1.0, 1.0] and m["inertia"] == 0 and m["sizes"] == [5] and c2 == "22023"
    yield (ok, "identical points: k = 1 gives scale 1, inertia 0; k = 2 raises 22023 (k > distinct points)",
           [t1, f"k = 2: {c2}"])
    f2 = "(SELECT ARRAY[1,2]::float8[] f UNION ALL SELECT ARRAY[2,2] UNION ALL SELECT ARRAY[5,1]) s"
    mt = h.sql_literal(json.dumps({"version": 1, "k": 2, "dim": 2, "standardize": False, "mean": [0, 0],
                                   "scale": [1, 1], "centroids": [0, 0, 1, 1]}))
    expect = [
        (f"SELECT {S}.kmeans_fit(f, 0) FROM {f2}", ("22023",)),
        (f"SELECT {S}.kmeans_fit(f, -1) FROM {f2}", ("22023",)),
        (f"SELECT {S}.kmeans_fit(f, NULL::integer) FROM {f2}", ("22004", "22023")),
        (f"SELECT {S}.kmeans_fit(f, NULL::{S}.kmeans_options) FROM {f2}", ("22004",)),
        # an untyped NULL fits both kmeans_fit(float8[], integer) and kmeans_fit(float8[], kmeans_options)
        (f"SELECT {S}.kmeans_fit(f, NULL) FROM {f2}", ("42725",)),
        (f"SELECT {S}.kmeans_fit(f, 4) FROM {f2}", ("22023",)),
        (f"SELECT {S}.kmeans_fit(f, 4) FROM ({vals(dup)}) s", ("22023",)),
        (f"SELECT {S}.kmeans_fit(f, 2, 0, 0) FROM {f2}", ("22023",)),
        (f"SELECT {S}.kmeans_fit(f, 2, 0, 1, 0) FROM {f2}", ("22023",)),
        (f"SELECT {S}.kmeans_fit(f, 2, 0, 1, 10, -1) FROM {f2}", ("22023",)),
        (f"SELECT {S}.kmeans_fit(f, 2, 0, 1, 10, 'NaN') FROM {f2}", ("22023",)),
        (f"SELECT {S}.kmeans_fit(f, 2, 0, 1, 10, 'Infinity') FROM {f2}", ("22023",)),
        (f"SELECT {S}.kmeans_fit(f, (id % 2) + 1) FROM {W}.small", ("22023",)),
        (f"SELECT {S}.kmeans_fit(f, 2, id % 2) FROM {W}.small", ("22023",)),
        (f"SELECT {S}.kmeans_fit(f, 1) FROM (VALUES (ARRAY[1,2]::float8[]), (ARRAY[1,2,3])) s(f)", ("22023",)),
        (f"SELECT {S}.kmeans_fit(f, 1) FROM (VALUES ('{{}}'::float8[])) s(f)", ("2202E", "22023")),
        (f"SELECT {S}.kmeans_fit(f, 1) FROM (VALUES ('{{{{1,2}},{{3,4}}}}'::float8[])) s(f)", ("2202E",)),
        (f"SELECT {S}.kmeans_fit(f, 1) FROM (VALUES (ARRAY[1,NULL]::float8[])) s(f)", ("22004",)),
        (f"SELECT {S}.kmeans_fit(f, 1) FROM (VALUES (ARRAY[1,'NaN']::float8[])) s(f)", ("22023", "22003")),
        (f"SELECT {S}.kmeans_fit(f, 1) FROM (VALUES (ARRAY[1,'Infinity']::float8[])) s(f)", ("22023", "22003")),
        (f"SELECT {S}.kmeans_fit(f, 1) FROM (VALUES (ARRAY['-Infinity',1]::float8[])) s(f)", ("22023", "22003")),
        (f"SELECT {S}.kmeans_assign({mt}, ARRAY[1,2,3])", ("22023",)),
        (f"SELECT {S}.kmeans_assign({mt}, ARRAY[1,'NaN']::float8[])", ("22023", "22003")),
        (f"SELECT {S}.kmeans_assign({mt}, ARRAY[1,NULL]::float8[])", ("22004",)),
        (f"SELECT {S}.kmeans_assign({mt}, '{{{{1,2}},{{3,4}}}}')", ("2202E",)),
        (f"SELECT {S}.kmeans_distance({mt}, '{{}}')", ("2202E", "22023")),
        (f"SELECT {S}.kmeans_refine({mt}, f) FROM (VALUES (ARRAY[1,2,3]::float8[])) s(f)", ("22023",)),
        (f"SELECT {S}.kmeans_segment(f, 0) OVER () FROM {f2}", ("22023",)),
        (f"SELECT {S}.kmeans_elbow(f, 0, 2) FROM {f2}", ("22023",)),
        (f"SELECT {S}.kmeans_elbow(f, 3, 2) FROM {W}.small", ("22023",)),
        (f"SELECT {S}.kmeans_elbow(f, 1, 60) FROM {W}.small", ("22023",)),
        ("SELECT 'not json'::" + S + ".kmeans_model", ("22P02",)),
        ("SELECT '{\"version\":1,\"k\":2,\"dim\":2,\"centroids\":[1,2,3]}'::" + S + ".kmeans_model",
         ("22P02", "22023")),
        ("SELECT '{\"version\":1,\"k\":1,\"dim\":1,\"centroids\":[\"NaN\"]}'::" + S + ".kmeans_model",
         ("22P02", "22023")),
    ]
    got = [(sql, want, sqlstate_of(conn, sql)) for sql, want in expect]
    bad = [f"{sql}: {code}, expected {' or '.join(want)}" for sql, want, code in got if code not in want]
    yield (not bad, f"{len(expect)} bad inputs raise the documented SQLSTATE (22023, 22004, 2202E, 22003, 22P02)", bad)
    nullq = [
        f"SELECT {S}.kmeans_fit(f, 2)::text FROM {W}.small WHERE false",
        f"SELECT {S}.kmeans_fit(NULL::float8[], 2)::text FROM {W}.small",
        f"SELECT {S}.kmeans_elbow(f, 1, 3)::text FROM {W}.small WHERE false",
        f"SELECT {S}.kmeans_refine({mt}, f)::text FROM {W}.small WHERE false",
    ]
    got = [(sql, h.query(conn, sql)) for sql in nullq]
    bad = [f"{sql}: {r}" for sql, r in got if r != [(None,)]]
    yield (not bad, "no (non-NULL) rows: kmeans_fit, kmeans_elbow and kmeans_refine return NULL", bad)
    huge = ["'{1e300,1}'", "'{-1e300,2}'", "'{1e300,3}'", "'{-1e300,4}'", "'{0,5}'"]
    probs = []
    for args in ("2", "2, 0, 10, 300, 1e-4, false", "1, 0, 10, 300, 1e-4, false"):
        try:
            t = h.scalar(conn, f"SELECT {S}.kmeans_fit(f, {args})::text FROM ({vals(huge)}) s")
            mm = json.loads(t)
            if not (isinstance(mm["inertia"], float) and math.isfinite(mm["inertia"])) or "NaN" in t:
                probs.append(f"kmeans_fit(f, {args}): {t}")
        except psycopg2.Error as e:
            if e.pgcode != "22003":
                probs.append(f"kmeans_fit(f, {args}): {e.pgcode} {str(e).strip()}")
    yield (not probs, "features at +-1e300: a finite model or a clean 22003 (never NaN or another error)", probs)


def set_parallel(conn, on):
    if on:
        h.query(conn, "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; "
                      "SET max_parallel_workers_per_gather = 4")
    else:
        h.query(conn, "SET max_parallel_workers_per_gather = 0")


def workers_launched(conn, sql):
    plan = "\n".join(r[0] for r in h.query(conn, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql))
    launched = [int(line.split(":")[1]) for line in plan.splitlines() if "Workers Launched" in line]
    return (launched[0] if launched else 0), plan


def sec_sampling(conn, D):
    """8. kmeans_max_memory sampling, parallel = serial."""
    X = D["big"]
    n = len(X)
    minv = h.scalar(conn, "SELECT min_val::int FROM pg_settings WHERE name = 'supplymkt.kmeans_max_memory'")
    mem = max(64, minv or 64)
    q_fit = f"SELECT {S}.kmeans_fit(f, 6, 0)::text FROM {W}.big"
    set_parallel(conn, False)
    full_t, full = model(conn, q_fit)
    set_parallel(conn, True)
    par_full_t, _ = model(conn, q_fit)
    wl_full, _ = workers_launched(conn, q_fit)
    h.query(conn, f"SET supplymkt.kmeans_max_memory = '{mem}kB'")
    set_parallel(conn, False)
    ser_t, ser = model(conn, q_fit)
    q_el = f"SELECT {S}.kmeans_elbow(f, 2, 4)::text FROM {W}.big"
    ser_el = h.scalar(conn, q_el)
    set_parallel(conn, True)
    par_t, _ = model(conn, q_fit)
    par_el = h.scalar(conn, q_el)
    wl, plan = workers_launched(conn, q_fit)
    orders = ("id", "id DESC", "f[3]", "md5(id::text)")
    texts = [h.scalar(conn, f"SELECT {S}.kmeans_fit(f, 6, 0 ORDER BY {o})::text FROM {W}.big") for o in orders]
    samp_order = [f"ORDER BY {o}: " + ("same as ORDER BY id" if t == texts[0] else "; ".join(model_diff(texts[0], t)))
                  for o, t in zip(orders[1:], texts[1:])]
    samp_order_ok = all(t == texts[0] for t in texts)
    h.query(conn, "RESET supplymkt.kmeans_max_memory")
    texts = [h.scalar(conn, f"SELECT {S}.kmeans_fit(f, 6, 0 ORDER BY {o})::text FROM {W}.aniso") for o in orders]
    yield (all(t == texts[0] for t in texts),
           "row order does not matter: kmeans_fit(f, 6, 0 ORDER BY id / id DESC / f[3] / md5(id::text)) give the "
           "same model text (aniso, 3,000 rows, not sampled)",
           [f"ORDER BY {o}: " + ("same as ORDER BY id" if t == texts[0] else "; ".join(model_diff(texts[0], t)))
            for o, t in zip(orders[1:], texts[1:])])
    yield (samp_order_ok, f"row order does not matter when sampled ({mem}kB): the same four orders give the same "
                          "model text (20,000 rows)", samp_order)
    ok = ser["sampled"] is True and ser["n_points"] == n and 6 <= ser["sample_points"] < n and full["sampled"] is False
    yield (ok, f"kmeans_max_memory = {mem}kB on {n} points of 5 features: sampled true, n_points = rows, "
               "sample_points < rows (and not sampled at the default)",
           [f"sampled {ser['sampled']}, n_points {ser['n_points']}, sample_points {ser['sample_points']}; "
            f"default: sampled {full['sampled']}, sample_points {full['sample_points']}"])
    yield (ser_t == par_t and wl >= 1, f"sampled fit: the same model text from a forced-parallel plan "
                                       f"({wl} workers launched) as from a serial plan",
           [] if ser_t == par_t else ["serial vs parallel: " + d for d in model_diff(ser_t, par_t)] + [plan])
    yield (full_t == par_full_t and wl_full >= 1, f"unsampled fit: the same model text from a forced-parallel plan "
                                                  f"({wl_full} workers launched) as from a serial plan",
           [] if full_t == par_full_t else ["serial vs parallel: " + d for d in model_diff(full_t, par_full_t)])
    yield (ser_el == par_el and ser_el is not None, "sampled kmeans_elbow(f, 2, 4): parallel plan = serial plan",
           [f"serial: {ser_el}", f"parallel: {par_el}"])
    set_parallel(conn, False)
    over_all = h.scalar(conn, f"SELECT sum({S}.kmeans_distance(%s::{S}.kmeans_model, f) ^ 2) FROM {W}.big", (ser_t,))
    r_all = over_all / full["inertia"]
    r_pp = (ser["inertia"] / ser["sample_points"]) / (full["inertia"] / n)
    # a sample of ~1,000+ points: per-point inertia has a relative SE of ~3%, so 10% is > 3 SE
    yield (r_all <= 1.10 and abs(r_pp - 1) <= 0.10,
           "sampled fit within 10% of the full fit: its inertia over all rows <= 1.10 x, per-point inertia +-10%",
           [f"full inertia {full['inertia']:.6g}; sampled model over all rows {over_all:.6g} (x{r_all:.4f}); "
            f"per point: sample {ser['inertia'] / ser['sample_points']:.6g}, full {full['inertia'] / n:.6g}"])
    q_ref = f"SELECT {S}.kmeans_refine(%s::{S}.kmeans_model, f)::text FROM {W}.big"
    _, r_ser = model(conn, q_ref, (ser_t,))
    set_parallel(conn, True)
    _, r_par = model(conn, q_ref, (ser_t,))
    set_parallel(conn, False)
    ec = float(np.max(np.abs(cent(r_ser) - cent(r_par)) / np.maximum(1, np.abs(cent(r_ser)))))
    # 20,000-term sums added in another order: error <= 2e4 * 1.1e-16 = 2.2e-12 relative to the mean |z| (~1)
    ok = r_ser["sizes"] == r_par["sizes"] and ec <= 5e-12 and rel(r_ser["inertia"], r_par["inertia"]) <= 5e-12
    yield (ok, "kmeans_refine over 20,000 rows: parallel = serial (sizes exact, centroids and inertia 5e-12)",
           [f"sizes {r_ser['sizes']} / {r_par['sizes']}, worst centroid difference {ec:.2e}, inertia "
            f"{r_ser['inertia']!r} / {r_par['inertia']!r}"])


def sec_cancel(conn, D):
    """cancel"""
    # A long fit (400k points x 8 features, k = 50, n_init 10 takes minutes) must stop on statement_timeout:
    # the loops check for interrupts every few thousand points, so the error comes well within a second of the
    # deadline (allowance 1.5 s on a loaded 2-core machine).
    sql = ("SELECT supplymkt.kmeans_fit(ARRAY[random(), random(), random(), random(), random(), random(), "
           "random(), random()], 50, 0, 10) FROM generate_series(1, 400000)")
    for phase, timeout_ms in (("while collecting or seeding", 300), ("while iterating", 2500)):
        h.query(conn, f"SET statement_timeout = {timeout_ms}")
        t = time.time()
        state = sqlstate_of(conn, sql)
        elapsed = time.time() - t
        h.query(conn, "RESET statement_timeout")
        yield (state == "57014" and elapsed < timeout_ms / 1000 + 1.5,
               f"statement_timeout {timeout_ms} ms stops a long kmeans_fit {phase} (57014, within 1.5 s)",
               [f"SQLSTATE {state}, {elapsed:.2f} s"])


SECTIONS = [(sec_same_init, 6), (sec_seeding, 3), (sec_content, 6), (sec_refine, 3), (sec_segment, 3),
            (sec_elbow, 3), (sec_edges, 8), (sec_sampling, 8), (sec_cancel, 2)]


def setup(conn):
    D = {"blobs": blobs(), "aniso": aniso()}
    h.query(conn, f"DROP SCHEMA IF EXISTS {W} CASCADE; CREATE SCHEMA {W}")
    load(conn, "blobs", D["blobs"])
    load(conn, "aniso", D["aniso"])
    rng = np.random.default_rng(7)
    wide = np.hstack([D["blobs"], np.full((3000, 1), 0.1), 1e6 + rng.normal(size=(3000, 1)),
                      np.full((3000, 1), 7.0)])
    D["wide"] = wide
    load(conn, "wide", wide)
    parts, groups = [], []
    for g, (nn, c, rs) in enumerate([(400, 4, 21), (250, 3, 22), (30, 5, 23)], start=1):
        Xg, _ = make_blobs(n_samples=nn, n_features=3, centers=c, random_state=rs)
        parts.append(Xg + 10 * g)
        groups += [g] * nn
    load(conn, "seg", np.vstack(parts), groups=groups, null_rows=6)
    D["seg_rows"], D["seg_nulls"] = len(groups) + 6, 6
    D["small"], _ = make_blobs(n_samples=1500, n_features=4, centers=4, cluster_std=1.5, random_state=31)
    load(conn, "small", D["small"])
    D["mid"], _ = make_blobs(n_samples=6000, n_features=3, centers=4, cluster_std=1.5, random_state=32)
    load(conn, "mid", D["mid"])
    D["big"], _ = make_blobs(n_samples=20000, n_features=5, centers=6, random_state=33)
    load(conn, "big", D["big"])
    h.query(conn, f"ALTER TABLE {W}.big SET (parallel_workers = 4)")
    h.query(conn, f"SELECT * FROM {S}.generate_demo_data('{DEMO}', 5000, replace => true)")
    h.query(conn, f"""
        CREATE TABLE {W}.cust AS
        SELECT row_number() OVER (ORDER BY customer_id) - 1 id, 0 g,
               ARRAY[extract(epoch FROM timestamptz '2025-01-01 00:00:00+00' - max(o.order_time)) / 86400,
                     count(*), ln(1 + sum(a.amount))]::float8[] f
          FROM {DEMO}.orders o
          JOIN (SELECT order_id, sum(quantity * unit_price)::float8 amount
                  FROM {DEMO}.order_items GROUP BY order_id) a USING (order_id)
         GROUP BY o.customer_id""")
    D["cust"] = np.array([r[0] for r in h.query(conn, f"SELECT f FROM {W}.cust ORDER BY id")], dtype=float)
    return D


def main():
    t0 = time.time()
    conn = h.connect()
    tap = h.Tap(PLAN)
    D = setup(conn)
    tap.comment(f"data loaded in {time.time() - t0:.1f} s ({len(D['cust'])} demo customers)")
    conn = h.run_sections(tap, conn, SECTIONS, D)
    if not os.environ.get("KMEANS_ORACLE_KEEP"):      # set it to keep the tables for reproducing a failure
        h.query(conn, f"DROP SCHEMA IF EXISTS {W} CASCADE; DROP SCHEMA IF EXISTS {DEMO} CASCADE")
    tap.comment(f"total {time.time() - t0:.1f} s")
    return tap.finish()


if __name__ == "__main__":
    h.main_guard(main)
