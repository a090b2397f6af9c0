#!/usr/bin/python3
"""Parallel-query equivalence of every supplymkt aggregate (DESIGN.md pattern 3).

For each aggregate found in the catalog (and required to have a case in test/harness.py):
  - catalog: a combine function, a real (non-pseudo) state type with send/receive, PARALLEL SAFE aggregate
    and support functions;
  - ungrouped and grouped by grp over the shared 300k-row harness table, with parallel query forced:
    EXPLAIN ANALYZE shows a Partial Aggregate node and at least one launched worker; the answer equals the
    serial answer (max_parallel_workers_per_gather = 0) within the registry tolerance (exact for counts), and
    equals the registry's independent plain-SQL computation;
  - states built by calling the transition function directly (and whole-group states, and combined states)
    round-trip exactly through text (state::text::stype::text) and binary (COPY ... (FORMAT binary) out and
    back in, send output identical).
TAP on stdout; libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE with CREATE EXTENSION supplymkt done).
"""
import re
import sys
import time

import psycopg2

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
import harness as h  # noqa: E402

PARALLEL = ["SET parallel_setup_cost = 0", "SET parallel_tuple_cost = 0", "SET min_parallel_table_scan_size = 0",
            "SET max_parallel_workers_per_gather = 4", "SET force_parallel_mode = on",
            "SET parallel_leader_participation = on"]
SERIAL = ["SET max_parallel_workers_per_gather = 0", "SET force_parallel_mode = off"]
PARTIAL_RE = re.compile(r"Partial (Hash|Group)?Aggregate")
WORKERS_RE = re.compile(r"Workers Launched: (\d+)")
CHECKS_PER_AGG = 9
TABLE = h.HARNESS_TABLE


def run_settings(conn, settings):
    for s in settings:
        h.query(conn, s)


def plan_check(conn, sql):
    """(ok, details) for EXPLAIN ANALYZE of a forced-parallel query: a partial aggregate ran in workers."""
    lines = [r[0] for r in h.query(conn, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql)]
    plan = "\n".join(lines)
    partial = PARTIAL_RE.search(plan)
    launched = [int(x) for x in WORKERS_RE.findall(plan)]
    ok = bool(partial) and bool(launched) and max(launched) >= 1
    details = [] if ok else ["no Partial Aggregate node with launched workers in:"] + lines
    return ok, details, (partial.group(0) if partial else None), (max(launched) if launched else 0)


def catalog_check(agg):
    problems = []
    if not agg.combinefn:
        problems.append("no COMBINEFUNC (parallel query and Citus cannot split it)")
    if agg.stype_typtype == "p":
        problems.append(f"state type {agg.stype} is a pseudo-type (Citus gathers every row)")
    if not (agg.stype_has_send and agg.stype_has_recv):
        problems.append(f"state type {agg.stype} lacks binary send/receive")
    if agg.func.parallel != "s":
        problems.append(f"aggregate is not PARALLEL SAFE (proparallel = {agg.func.parallel!r})")
    for role, p in agg.fn_parallel.items():
        if p is not None and p != "s":
            problems.append(f"{role} is not PARALLEL SAFE (proparallel = {p!r})")
    if agg.aggkind != "n":
        problems.append(f"aggkind {agg.aggkind!r}: ordered-set aggregates cannot run as partial aggregates")
    return problems


def build_states(conn, agg, case):
    """Fills temp table h_states(i, s) with states: transfn called directly on the sample rows and on data
    rows, whole-group states from a temporary aggregate without final function, and combined states."""
    h.query(conn, "DROP TABLE IF EXISTS h_states")
    h.query(conn, f"CREATE TEMP TABLE h_states (i int, s {agg.stype})")
    exprs = [h.nested_transfn_expr(agg, case.sample_rows[:n]) for n in range(1, len(case.sample_rows) + 1)]
    # a few rows from the data, one value per argument, as literals
    cols = ", ".join(f"({a})::text" for a in case.args)
    where = f"WHERE {case.where}" if case.where else ""
    data_rows = h.query(conn, f"SELECT {cols} FROM {TABLE} {where} ORDER BY rid LIMIT 12")
    lit_rows = [tuple("NULL" if v is None else h.sql_literal(v) for v in row) for row in data_rows]
    exprs.append(h.nested_transfn_expr(agg, lit_rows))
    for i, e in enumerate(exprs):
        h.query(conn, f"INSERT INTO h_states VALUES ({i}, {e})")
    # whole-group states, through the aggregate code path (in-place updates, growth), and combined pairs
    types = ", ".join(agg.func.argtypes)
    init = f", INITCOND = {h.sql_literal(agg.initcond)}" if agg.initcond is not None else ""
    h.query(conn, "DROP AGGREGATE IF EXISTS pg_temp.h_state_of(" + types + ")")
    h.query(conn, f"CREATE AGGREGATE pg_temp.h_state_of({types}) (SFUNC = {agg.transfn}, STYPE = {agg.stype}{init})")
    h.query(conn, f"INSERT INTO h_states SELECT 1000 + coalesce(grp, -1), pg_temp.h_state_of({', '.join(case.args)}) "
                  f"FROM {TABLE} {where} GROUP BY grp")
    if agg.combinefn:
        h.query(conn, f"INSERT INTO h_states SELECT 2000 + a.i, {agg.combinefn}(a.s, b.s) FROM h_states a "
                      f"JOIN h_states b ON b.i = a.i + 1 WHERE a.i BETWEEN 1000 AND 1100")
    return h.scalar(conn, "SELECT count(*) FROM h_states WHERE s IS NOT NULL")


def text_roundtrip(conn, agg):
    bad = h.query(conn, f"SELECT i, s::text, s::text::{agg.stype}::text FROM h_states "
                        f"WHERE s IS NOT NULL AND s::text::{agg.stype}::text IS DISTINCT FROM s::text ORDER BY i LIMIT 3")
    return [f"state #{i}: {a[:300]} -> {b[:300]}" for i, a, b in bad]


def binary_roundtrip(conn, agg):
    data = h.copy_out_binary(conn, "SELECT i, s FROM h_states ORDER BY i")
    h.query(conn, "DROP TABLE IF EXISTS h_states_back")
    h.query(conn, f"CREATE TEMP TABLE h_states_back (i int, s {agg.stype})")
    h.copy_in_binary(conn, "h_states_back", data)
    bad = h.query(conn, f"""
        SELECT a.i, a.s::text, b.s::text FROM h_states a FULL JOIN h_states_back b USING (i)
         WHERE a.s::text IS DISTINCT FROM b.s::text
            OR (SELECT typsend FROM pg_type WHERE oid = '{agg.stype}'::regtype) IS NULL
         ORDER BY 1 LIMIT 3""")
    details = [f"state #{i}: {a and a[:300]} -> {b and b[:300]}" for i, a, b in bad]
    # the send output of the value read back is byte-identical to the original's
    typsend = h.scalar(conn, f"SELECT typsend::regproc::text FROM pg_type WHERE oid = '{agg.stype}'::regtype")
    diff = h.scalar(conn, f"SELECT count(*) FROM h_states a JOIN h_states_back b USING (i) "
                          f"WHERE {typsend}(a.s) IS DISTINCT FROM {typsend}(b.s)")
    if diff:
        details.append(f"{diff} states whose {typsend} output differs after the binary round trip")
    n = h.scalar(conn, "SELECT count(*) FROM h_states_back")
    m = h.scalar(conn, "SELECT count(*) FROM h_states")
    if n != m:
        details.append(f"{m} states copied out, {n} read back")
    return details


def grouping_checks(conn, case, name, key, label):
    """The three results (plan, parallel = serial, = plain SQL) of one grouping, always three."""
    sql = h.agg_query(case, TABLE, key)
    out = []
    try:
        run_settings(conn, PARALLEL)
        ok, details, node, workers = plan_check(conn, sql)
        out.append((ok, f"{name} {label}: {node or 'no partial aggregate'} ran with {workers} parallel workers",
                    details, None))
        t1 = time.time()
        par = h.fetch_keyed(conn, sql)
        tpar = time.time() - t1
        run_settings(conn, SERIAL)
        t1 = time.time()
        ser = h.fetch_keyed(conn, sql)
        tser = time.time() - t1
        diffs = h.compare_keyed(par, ser, case.tol, 0.0, case.exact_fields)
        nonnull = sum(1 for v in par.values() if v is not None)
        if nonnull == 0:
            diffs.append("every result is NULL: the case tests nothing")
        out.append((not diffs, f"{name} {label}: parallel = serial within {case.tol:g} ({len(par)} rows, "
                               f"{nonnull} non-NULL; parallel {tpar:.2f} s, serial {tser:.2f} s)",
                    diffs + ([f"tolerance: {case.tol_why}"] if diffs else []), None))
        osql = h.oracle_sql(case, TABLE, key)
        if osql is None:
            out.append((True, f"{name} {label}: plain-SQL equivalent", [], "the registry has no oracle"))
        else:
            want = h.fetch_keyed(conn, osql)
            diffs = h.compare_keyed(par, want, case.oracle_tol, case.oracle_abs_tol, case.exact_fields,
                                    missing_is_null=True)
            out.append((not diffs, f"{name} {label}: parallel result = plain SQL within {case.oracle_tol:g}",
                        diffs, None))
    except psycopg2.Error as e:
        out.append((False, f"{name} {label}: query failed", [f"{e.pgcode}: {str(e).strip()}", sql], None))
    finally:
        run_settings(conn, SERIAL)
    while len(out) < 3:
        out.append((False, f"{name} {label}: not run after the failure above", [], None))
    return out


def main():
    conn = h.connect()
    aggs = h.discover_aggregates(conn)
    tap = h.Tap(1 + len(h.DATA_SHAPE_CHECKS) + CHECKS_PER_AGG * len(aggs))
    t0 = time.time()
    made = h.ensure_harness_data(conn)
    tap.result(h.scalar(conn, f"SELECT relpersistence = 'p' FROM pg_class WHERE oid = '{TABLE}'::regclass"),
               f"harness table {TABLE} {made} as a regular table in {time.time() - t0:.1f} s")
    for desc, sql in h.DATA_SHAPE_CHECKS:
        tap.result(bool(h.scalar(conn, sql.format(t=TABLE))), f"harness data: {desc}")
    tap.comment(f"{len(aggs)} aggregates found: {', '.join(a.key for a in aggs)}")

    for agg in aggs:
        case = h.AGGREGATES.get(agg.key)
        name = agg.key
        problems = catalog_check(agg)
        if case is None:
            problems.append(f"no case for {name} in test/harness.py AGGREGATES: add one (see the module docstring)")
        tap.result(not problems, f"{name}: has a registry case, combinefunc, real state type {agg.stype} "
                                 f"with send/recv, PARALLEL SAFE", problems)
        if case is None:
            for what in ["ungrouped parallel plan", "ungrouped parallel = serial", "ungrouped = plain SQL",
                         "grouped parallel plan", "grouped parallel = serial", "grouped = plain SQL",
                         "state text round trip", "state binary round trip"]:
                tap.result(False, f"{name}: {what}", ["no registry case"])
            continue
        for key in (None, "grp"):
            label = "grouped by grp" if key else "ungrouped"
            for ok, desc, details, skip in grouping_checks(conn, case, name, key, label):
                tap.result(ok, desc, details, skip)
        try:
            n = build_states(conn, agg, case)
            d = text_roundtrip(conn, agg)
            tap.result(not d and n > 0, f"{name}: {n} states ({agg.transfn} called directly, whole groups, "
                                        f"combined) round-trip exactly through text", d or ([] if n else ["no states"]))
            d = binary_roundtrip(conn, agg)
            tap.result(not d and n > 0, f"{name}: {n} states round-trip through binary COPY "
                                        f"(send/recv, identical send output)", d)
        except psycopg2.Error as e:
            tap.result(False, f"{name}: state text round trip", [f"{e.pgcode}: {str(e).strip()}"])
            tap.result(False, f"{name}: state binary round trip", ["not run"])
    tap.comment(f"total {time.time() - t0:.1f} s")
    return tap.finish()


if __name__ == "__main__":
    h.main_guard(main)
