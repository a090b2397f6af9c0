#!/usr/bin/python3
"""Offline evaluation of the recommenders on the demo data (supplymkt.evaluate_recommenders), TAP output.

Generates the demo world (5,000 customers, 500 products, 2024), splits the order lines two thirds into the
period, and checks evaluate_recommenders against an independent recomputation in Python/numpy of the whole
pipeline (train/test split, cosine neighbours, content features and neighbours, blend, recommend's scoring and
popularity fill, the metrics), and against metrics re-derived here from recommend() outputs fetched per user.
Then: the item-based recommender must beat popularity on recall@10 (the acceptance criterion), hybrid_weight 1
and 0 reproduce item_based and content, and bad arguments give their SQLSTATEs.  Reads PGHOST/PGPORT/PGUSER/
PGDATABASE (a database with CREATE EXTENSION supplymkt done).
"""
import collections
import math
import sys
import time

import numpy as np
import psycopg2

SCHEMA = 'reco_demo'
K = 10
TOP_K = 20
HYBRID_WEIGHT = 0.9     # evaluate_recommenders' default
TOL = 1e-9
METRICS = ('precision_at_k', 'recall_at_k', 'ndcg_at_k', 'hit_rate', 'coverage')

started = time.time()
conn = psycopg2.connect('')
conn.autocommit = True
cur = conn.cursor()
results = []


def check(ok, description, *details):
    """Records one TAP result with optional detail lines."""
    results.append((bool(ok), description, details if not ok else ()))


def sqlstate(statement, args=None):
    """Runs statement and returns the SQLSTATE of its error, or None."""
    try:
        cur.execute(statement, args)
        cur.fetchall()
        return None
    except psycopg2.Error as e:
        return e.pgcode


def evaluate(**options):
    """evaluate_recommenders(SCHEMA, cutoff, ...) as {recommender: row dict}, in the order returned."""
    named = ''.join(f', {name} => %({name})s' for name in options)
    cur.execute(f"SELECT * FROM supplymkt.evaluate_recommenders(%(schema)s, %(cutoff)s{named})",
                dict(schema=SCHEMA, cutoff=cutoff, **options))
    names = [d[0] for d in cur.description]
    return collections.OrderedDict((r[0], dict(zip(names, r))) for r in cur.fetchall())


# ---------------------------------------------------------------------------------------------------------
# Demo data and the split
# ---------------------------------------------------------------------------------------------------------
cur.execute("SELECT * FROM supplymkt.generate_demo_data(%s, 5000, replace => true)", (SCHEMA,))
cur.execute(f"SELECT min(order_time) + (max(order_time) - min(order_time)) * 2 / 3 FROM {SCHEMA}.orders")
cutoff = cur.fetchone()[0]
cur.execute(f"""SELECT o.customer_id, oi.product_id, o.order_time < %s
                  FROM {SCHEMA}.orders o JOIN {SCHEMA}.order_items oi ON oi.order_id = o.order_id
                 WHERE o.customer_id IS NOT NULL AND oi.product_id IS NOT NULL AND o.order_time IS NOT NULL""",
            (cutoff,))
lines = cur.fetchall()
cur.execute(f"""SELECT product_id, COALESCE(category, '(uncategorized)'), unit_price::float8
                  FROM {SCHEMA}.products
                 WHERE product_id IS NOT NULL AND (first_listed IS NULL OR first_listed < %s)""", (cutoff,))
catalogue = cur.fetchall()

train = collections.defaultdict(collections.Counter)     # user -> item -> order lines before the cutoff
test_items = collections.defaultdict(set)
for user, item, in_train in lines:
    if in_train:
        train[user][item] += 1
    else:
        test_items[user].add(item)
history = {u: set(items) for u, items in train.items()}
relevant = {u: test_items[u] - history[u] for u in train if test_items[u] - history[u]}
users = sorted(relevant)

t0 = time.time()
got = evaluate()
eval_seconds = time.time() - t0


# ---------------------------------------------------------------------------------------------------------
# Independent models (dict: item -> [(neighbour, score)] best first, popularity: item -> number)
# ---------------------------------------------------------------------------------------------------------
def top_neighbours(ids, scores, top_k):
    """Per row of the item-item score matrix: the top_k other items with score > 0, ties by lower id."""
    ids = np.asarray(ids)
    out = {}
    for a in range(len(ids)):
        row = scores[a].copy()
        row[a] = 0.0
        candidates = np.flatnonzero(row > 0)
        order = candidates[np.lexsort((ids[candidates], -row[candidates]))][:top_k]
        out[int(ids[a])] = [(int(ids[b]), float(row[b])) for b in order]
    return out


def item_model(top_k):
    """Cosine of the per-user weight vectors (weight = order lines), support >= 1."""
    items = sorted({i for u in train for i in train[u]})
    index = {i: n for n, i in enumerate(items)}
    users_all = sorted(train)
    w = np.zeros((len(users_all), len(items)))
    for n, u in enumerate(users_all):
        for i, c in train[u].items():
            w[n, index[i]] = c
    dot = w.T @ w
    norm = np.sqrt(np.diag(dot))
    cosine = dot / np.outer(norm, norm)
    popularity = {i: int((w[:, index[i]] > 0).sum()) for i in items}
    return top_neighbours(items, cosine, top_k), popularity


def content_model(top_k):
    """Cosine of [one-hot category (byte order), 0.5 cos(q pi/2), 0.5 sin(q pi/2)], q = min-max scaled ln price."""
    categories = sorted({c for _, c, _ in catalogue}, key=lambda c: c.encode())
    logs = [math.log(p) for _, _, p in catalogue if p is not None and p > 0]
    lo, hi = (min(logs), max(logs)) if logs else (0.0, 0.0)
    ids, vectors = [], []
    for item, category, price in sorted(catalogue):
        v = [1.0 if c == category else 0.0 for c in categories]
        if price is not None and price > 0:
            q = (math.log(price) - lo) / (hi - lo) if hi > lo else 0.0
            v += [0.5 * math.cos(math.pi / 2 * q), 0.5 * math.sin(math.pi / 2 * q)]
        else:
            v += [0.0, 0.0]
        ids.append(item)
        vectors.append(v)
    x = np.array(vectors)
    # sums in feature order, one IEEE operation per term, as the C code adds them: a BLAS product (whose
    # rounding depends on the BLAS library installed) would break exact ties differently
    dot = np.zeros((len(ids), len(ids)))
    sq = np.zeros(len(ids))
    for q in range(x.shape[1]):
        dot += np.outer(x[:, q], x[:, q])
        sq += x[:, q] * x[:, q]
    norm = np.sqrt(sq)
    cosine = np.minimum(dot / np.outer(norm, norm), 1.0)
    return top_neighbours(ids, cosine, top_k), {i: 0 for i in ids}


def blend(a, b, weight, top_k):
    """(weight x score_a / sum_a + (1 - weight) x score_b / sum_b) x the weighted mean of sum_a and sum_b over
    the models that list the item, over the union of the neighbour lists, sum_* being the sum of the item's
    scores in each model (weight 0 or 1: that model's scores); popularity from a, else b."""
    (na, pa), (nb, pb) = a, b
    out = {}
    for item in set(na) | set(nb):
        scores = collections.defaultdict(float)
        la, lb = na.get(item, []), nb.get(item, [])
        ta = sum(s for _, s in la)     # left to right in list order, as the C code adds them
        tb = sum(s for _, s in lb)
        scale_w = (weight if la else 0.0) + ((1 - weight) if lb else 0.0)
        scale = ((weight * ta if la else 0.0) + ((1 - weight) * tb if lb else 0.0)) / scale_w if scale_w > 0 else 0.0
        one_model = weight in (0.0, 1.0)      # weight 0 or 1: the one model's scores as they are
        for j, s in la:
            scores[j] += (weight if one_model else weight / ta) * s
        for j, s in lb:
            scores[j] += ((1 - weight) if one_model else (1 - weight) / tb) * s
        for j in scores:
            scores[j] *= 1.0 if one_model else scale
        ranked = sorted((j for j in scores if scores[j] > 0), key=lambda j: (-scores[j], j))[:top_k]
        out[item] = [(j, scores[j]) for j in ranked]
    popularity = dict(pb)
    popularity.update(pa)
    return out, popularity


def recommend(model, hist, k, exclude):
    """recommend() as documented: summed neighbour scores of the history items, then the most popular."""
    neighbours, popularity = model
    scores = collections.defaultdict(float)
    for i in sorted(set(hist)):
        for j, s in neighbours.get(i, []):
            if j not in exclude:
                scores[j] += s
    ranked = sorted(scores, key=lambda j: (-scores[j], j))[:k]
    listed = set(ranked)
    for j in sorted(popularity, key=lambda j: (-popularity[j], j)):
        if len(ranked) >= k:
            break
        if j not in exclude and j not in listed:
            ranked.append(j)
    return ranked


def metrics(recs, k, catalogue_size):
    """Means over the evaluated users of precision/recall/NDCG@k and hit rate; coverage of the catalogue."""
    p = r = n = h = 0.0
    covered = set()
    for u in users:
        rec = recs[u]
        covered.update(rec)
        hits = [1 if item in relevant[u] else 0 for item in rec]
        p += sum(hits) / k
        r += sum(hits) / len(relevant[u])
        ideal = sum(1 / math.log2(g + 1) for g in range(1, min(k, len(relevant[u])) + 1))
        n += sum(hit / math.log2(rank + 1) for rank, hit in enumerate(hits, 1)) / ideal
        h += 1 if sum(hits) else 0
    m = len(users)
    return dict(precision_at_k=p / m, recall_at_k=r / m, ndcg_at_k=n / m, hit_rate=h / m,
                coverage=len(covered) / catalogue_size)


def compare(name, got_row, expected, k=K):
    """One check: a recommender's row equals the independent metrics (to TOL) and has every evaluated user."""
    bad = [f'{m}: got {got_row[m]!r}, expected {expected[m]!r}' for m in METRICS
           if got_row[m] is None or abs(got_row[m] - expected[m]) > TOL]
    if got_row['users'] != len(users):
        bad.append(f"users: got {got_row['users']}, expected {len(users)}")
    check(not bad, f'{name} metrics@{k} equal the independent recomputation', *bad)


catalogue_size = len({c[0] for c in catalogue})
models = {'item_based': item_model(TOP_K), 'content': content_model(TOP_K)}
models['hybrid'] = blend(models['item_based'], models['content'], HYBRID_WEIGHT, TOP_K)
expected_recs = {name: {u: recommend(m, history[u], K, history[u]) for u in users} for name, m in models.items()}
expected_recs['popularity'] = {u: recommend(models['item_based'], set(), K, history[u]) for u in users}
expected = {name: metrics(recs, K, catalogue_size) for name, recs in expected_recs.items()}

# ---------------------------------------------------------------------------------------------------------
# 1-5: the rows against the independent pipeline
# ---------------------------------------------------------------------------------------------------------
check(list(got) == ['item_based', 'content', 'hybrid', 'popularity'] and len(users) > 500,
      f'four recommenders in order, {len(users)} evaluated users (cutoff {cutoff})', f'got {list(got)}')
for name in ('item_based', 'content', 'hybrid', 'popularity'):
    compare(name, got[name], expected[name])

# ---------------------------------------------------------------------------------------------------------
# 6-7: metrics re-derived from recommend() outputs fetched per user, and those lists against the Python ones
# ---------------------------------------------------------------------------------------------------------
cur.execute("CREATE TEMP TABLE eval_user (user_id bigint PRIMARY KEY, history bigint[])")
cur.executemany("INSERT INTO eval_user VALUES (%s, %s)", [(u, sorted(history[u])) for u in users])
cur.execute(f"""
    WITH model AS (
        SELECT supplymkt.item_similarity(o.customer_id, oi.product_id) AS m
          FROM {SCHEMA}.orders o JOIN {SCHEMA}.order_items oi ON oi.order_id = o.order_id
         WHERE o.order_time < %s)
    SELECT 'item_based', e.user_id, r.rank, r.item_id
      FROM model, eval_user e, supplymkt.recommend(model.m, e.history, %s) r
    UNION ALL
    SELECT 'popularity', e.user_id, r.rank, r.item_id
      FROM model, eval_user e, supplymkt.recommend(model.m, '{{}}', %s, e.history) r
     ORDER BY 1, 2, 3""", (cutoff, K, K))
fetched = collections.defaultdict(lambda: collections.defaultdict(list))
for name, user, rank, item in cur.fetchall():
    fetched[name][user].append(item)
for name in ('item_based', 'popularity'):
    derived = metrics(fetched[name], K, catalogue_size)
    bad = [f'{m}: evaluate_recommenders {got[name][m]!r}, from recommend() {derived[m]!r}' for m in METRICS
           if abs(got[name][m] - derived[m]) > TOL]
    check(not bad, f'{name}: metrics re-derived from recommend() per user equal evaluate_recommenders', *bad)
for name in ('item_based', 'popularity'):
    differ = [u for u in users if fetched[name][u] != expected_recs[name][u]]
    check(not differ, f'{name}: recommend() lists equal the Python lists for all {len(users)} users',
          *[f'user {u}: recommend() {fetched[name][u]}, Python {expected_recs[name][u]}' for u in differ[:5]])

# ---------------------------------------------------------------------------------------------------------
# 8: the acceptance criterion
# ---------------------------------------------------------------------------------------------------------
report = [f"{name:10s} users {row['users']} precision@{K} {row['precision_at_k']:.4f} recall@{K} "
          f"{row['recall_at_k']:.4f} ndcg@{K} {row['ndcg_at_k']:.4f} hit_rate {row['hit_rate']:.4f} "
          f"coverage {row['coverage']:.4f}" for name, row in got.items()]
check(got['item_based']['recall_at_k'] > got['popularity']['recall_at_k']
      and got['hybrid']['recall_at_k'] >= got['item_based']['recall_at_k'],
      f"item_based recall@{K} ({got['item_based']['recall_at_k']:.4f}) beats popularity "
      f"({got['popularity']['recall_at_k']:.4f}), and the hybrid at the default weight "
      f"({got['hybrid']['recall_at_k']:.4f}) is no worse than item_based on the demo data", *report)

# ---------------------------------------------------------------------------------------------------------
# 9-11: hybrid_weight 1 is item_based, 0 is content; another k against the independent pipeline
# ---------------------------------------------------------------------------------------------------------
for weight, same_as in ((1.0, 'item_based'), (0.0, 'content')):
    row = evaluate(hybrid_weight=weight)['hybrid']
    bad = [f'{m}: hybrid {row[m]!r}, {same_as} {got[same_as][m]!r}' for m in METRICS
           if abs(row[m] - got[same_as][m]) > TOL]
    check(not bad, f'hybrid_weight {weight:g} reproduces {same_as}', *bad)
k5 = evaluate(k=5, top_k=5)
model5 = item_model(5)
recs5 = {u: recommend(model5, history[u], 5, history[u]) for u in users}
compare('item_based (top_k 5)', k5['item_based'], metrics(recs5, 5, catalogue_size), k=5)

# ---------------------------------------------------------------------------------------------------------
# 12-13: no user to evaluate: cutoff at the first order (coverage 0 of the products listed before it), and
# before every product's listing (no catalogue: coverage NULL)
# ---------------------------------------------------------------------------------------------------------
for first, coverage in ((True, 0.0), (False, None)):
    when = f'(SELECT min(order_time) FROM {SCHEMA}.orders)' if first else "'1990-01-01 00:00+00'"
    cur.execute("SELECT recommender, users, precision_at_k, recall_at_k, ndcg_at_k, hit_rate, coverage "
                f"FROM supplymkt.evaluate_recommenders(%s, {when})", (SCHEMA,))
    empty = cur.fetchall()
    check(empty == [(n, 0, None, None, None, None, coverage) for n in ('item_based', 'content', 'hybrid', 'popularity')],
          f"cutoff {'at the first order' if first else 'before every listing'}: four rows, 0 users, NULL metrics, "
          f"coverage {coverage}", f'got {empty}')

# ---------------------------------------------------------------------------------------------------------
# 13-: argument errors
# ---------------------------------------------------------------------------------------------------------
cur.execute("DROP SCHEMA IF EXISTS reco_partial CASCADE; CREATE SCHEMA reco_partial; "
            f"CREATE VIEW reco_partial.orders AS SELECT * FROM {SCHEMA}.orders; "
            f"CREATE VIEW reco_partial.order_items AS SELECT order_id, quantity FROM {SCHEMA}.order_items")
call = "SELECT * FROM supplymkt.evaluate_recommenders"
for args, state, why in (
        (f"('{SCHEMA}', now(), 0)", '22023', 'k = 0'),
        (f"('{SCHEMA}', now(), 1001)", '22023', 'k = 1001'),
        (f"('{SCHEMA}', now(), NULL)", '22004', 'k NULL'),
        (f"('{SCHEMA}', now(), 10, 0)", '22023', 'top_k = 0'),
        (f"('{SCHEMA}', NULL)", '22004', 'cutoff NULL'),
        (f"('{SCHEMA}', 'infinity')", '22023', 'cutoff infinity'),
        (f"('{SCHEMA}', now(), hybrid_weight => 1.5)", '22023', 'hybrid_weight 1.5'),
        (f"('{SCHEMA}', now(), hybrid_weight => -0.1)", '22023', 'hybrid_weight -0.1'),
        (f"('{SCHEMA}', now(), hybrid_weight => 'NaN')", '22023', 'hybrid_weight NaN'),
        ("(NULL, now())", '22004', 'source_schema NULL'),
        ("('no_such_schema', now())", '3F000', 'unknown schema'),
        ("('reco_partial', now())", '42P01', 'products missing'),
):
    state_got = sqlstate(call + args)
    check(state_got == state, f'{why}: SQLSTATE {state}', f'got {state_got}')
cur.execute("CREATE VIEW reco_partial.products AS SELECT product_id, category, first_listed, unit_price "
            f"FROM {SCHEMA}.products")
state_got = sqlstate(call + "('reco_partial', now())")
check(state_got == '42703', 'order_items.product_id missing: SQLSTATE 42703', f'got {state_got}')
cur.execute("DROP SCHEMA reco_partial CASCADE")

cur.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
print(f'1..{len(results)}')
for n, (ok, description, details) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {n} - {description}")
    for line in details:
        print(f'# {line}')
for line in report:
    print(f'# {line}')
print(f'# evaluate_recommenders took {eval_seconds:.2f} s; the whole test {time.time() - started:.1f} s')
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
