#!/usr/bin/python3
"""Citus pushdown of every supplymkt aggregate, on the 3-node cluster started by test/citus.sh.

Run by test/citus.sh (not by itself: it needs the cluster of ../shared/citus/cluster.sh on ports
CITUS_PORT_BASE..+2, default 9700-9702).  On the coordinator: CREATE EXTENSION supplymkt (Citus propagates
it; checked on all three nodes), the harness table of test/harness.py as a local table and as a table
distributed by id (4 shards on 2 workers).  Then, for every aggregate in the catalog (each must have a case
in test/harness.py), with citus.coordinator_aggregation_strategy = 'disabled' (an aggregate Citus cannot
compute on the workers is then an error): ungrouped, GROUP BY id (the distribution column: computed whole
on the workers) and GROUP BY grp (partial states on the workers, shipped as text through the state type's
output/input functions and combined on the coordinator); the answers must equal the local table's within
the registry tolerance, and EXPLAIN (VERBOSE) must show worker_partial_agg( in the worker query of the
ungrouped and GROUP BY grp queries.  TAP on stdout.
"""
import os
import re
import sys
import time

import psycopg2

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

BASE = int(os.environ.get("CITUS_PORT_BASE", "9700"))
DB = os.environ.get("CITUS_DB") or "postgres"
PORTS = [BASE, BASE + 1, BASE + 2]
DIST = h.HARNESS_TABLE
LOCAL = h.HARNESS_TABLE + "_local"
CHECKS_PER_AGG = 5
QUERY_RE = re.compile(r"^\s*Query: (.*)$")


def node(port, autocommit=True):
    return h.connect(f"host=/tmp port={port} user=postgres dbname={DB} connect_timeout=10", autocommit=autocommit)


def worker_query(conn, sql):
    """The first 'Query:' line of EXPLAIN (VERBOSE, COSTS OFF): the SQL each shard runs."""
    for (line,) in h.query(conn, "EXPLAIN (VERBOSE, COSTS OFF) " + sql):
        m = QUERY_RE.match(line)
        if m:
            return m.group(1)
    return None


def main():
    if os.environ.get("SM_CITUS_HARNESS") != "1":
        print("1..0 # SKIP run by test/citus.sh, which starts the Citus cluster first")
        return 0
    t0 = time.time()
    coord = node(PORTS[0])
    aggs_local = None
    # --- cluster and extension
    workers = h.query(coord, "SELECT node_name, node_port FROM citus_get_active_worker_nodes() ORDER BY 2")
    citus_version = h.scalar(coord, "SELECT extversion FROM pg_extension WHERE extname = 'citus'")
    h.query(coord, "DROP EXTENSION IF EXISTS supplymkt CASCADE")
    err = None
    try:
        h.query(coord, "CREATE EXTENSION supplymkt")
    except psycopg2.Error as e:
        err = f"{e.pgcode}: {str(e).strip()}"
    aggs_local = h.discover_aggregates(coord) if err is None else []
    tap = h.Tap(2 + len(PORTS) + 1 + CHECKS_PER_AGG * len(aggs_local) + 1)
    tap.result(len(workers) == 2, f"Citus {citus_version} cluster: coordinator on {PORTS[0]} with 2 active workers",
               [f"workers: {workers}"])
    tap.result(err is None, "CREATE EXTENSION supplymkt on the coordinator", [err] if err else [])
    nfuncs = h.scalar(coord, f"SELECT count(*) FROM pg_proc WHERE pronamespace = to_regnamespace('{h.SCHEMA}')")
    version = h.scalar(coord, f"SELECT extversion FROM pg_extension WHERE extname = '{h.SCHEMA}'")
    for port in PORTS:
        try:
            c = node(port)
            v = h.scalar(c, f"SELECT extversion FROM pg_extension WHERE extname = '{h.SCHEMA}'")
            n = h.scalar(c, f"SELECT count(*) FROM pg_proc WHERE pronamespace = to_regnamespace('{h.SCHEMA}')")
            c.close()
            tap.result(v == version and v is not None and n == nfuncs,
                       f"node on port {port}: extension {h.SCHEMA} {v} with {n} functions",
                       [] if v == version and n == nfuncs else [f"coordinator has {version} with {nfuncs} functions"])
        except psycopg2.Error as e:
            tap.result(False, f"node on port {port}: extension {h.SCHEMA} present", [str(e).strip()])
    # --- data: the same rows locally and distributed by id
    t1 = time.time()
    try:
        h.query(coord, f"DROP TABLE IF EXISTS {DIST}")
        h.create_harness_data(coord, LOCAL)
        h.query(coord, f"CREATE TABLE {DIST} (LIKE {LOCAL})")
        h.query(coord, f"SELECT create_distributed_table('{DIST}', 'id')")
        h.query(coord, f"INSERT INTO {DIST} SELECT * FROM {LOCAL}")
        h.query(coord, f"ANALYZE {DIST}")
        n_dist = h.scalar(coord, f"SELECT count(*) FROM {DIST}")
        n_local = h.scalar(coord, f"SELECT count(*) FROM {LOCAL}")
        shards = h.query(coord, f"SELECT count(*), count(DISTINCT nodeport) FROM citus_shards WHERE table_name = '{DIST}'::regclass")[0]
        tap.result(n_dist == n_local == h.HARNESS_ROWS and shards[0] >= 2 and shards[1] == 2,
                   f"{DIST}: {n_dist} rows distributed by id over {shards[0]} shards on {shards[1]} workers, "
                   f"local copy {LOCAL} has {n_local} ({time.time() - t1:.1f} s)")
    except psycopg2.Error as e:
        tap.result(False, f"{DIST}: distributed harness table created", [f"{e.pgcode}: {str(e).strip()}"])

    h.query(coord, "SET citus.coordinator_aggregation_strategy = 'disabled'")
    for agg in aggs_local:
        name = agg.key
        case = h.AGGREGATES.get(name)
        problems = []
        if case is None:
            problems.append(f"no case for {name} in test/harness.py AGGREGATES: add one (see the module docstring)")
        if not agg.combinefn:
            problems.append("no COMBINEFUNC: Citus gathers every row to the coordinator")
        if agg.stype_typtype == "p":
            problems.append(f"state type {agg.stype} is a pseudo-type: Citus gathers every row to the coordinator")
        tap.result(not problems, f"{name}: registry case, COMBINEFUNC and real state type {agg.stype}", problems)
        if case is None:
            for what in ("ungrouped", "GROUP BY id", "GROUP BY grp", "worker_partial_agg in worker queries"):
                tap.result(False, f"{name} {what}", ["no registry case"])
            continue
        pushdown = []
        for key, label in ((None, "ungrouped"), ("id", "GROUP BY id (distribution column)"), ("grp", "GROUP BY grp")):
            t2 = time.time()
            try:
                got = h.fetch_keyed(coord, h.agg_query(case, DIST, key))
                want = h.fetch_keyed(coord, h.agg_query(case, LOCAL, key))
                diffs = h.compare_keyed(got, want, case.tol, 0.0, case.exact_fields)
                nonnull = sum(1 for v in got.values() if v is not None)
                if nonnull == 0:
                    diffs.append("every result is NULL: the case tests nothing")
                tap.result(not diffs, f"{name} {label} on Citus = one node within {case.tol:g} "
                                      f"({len(got)} rows, {nonnull} non-NULL, {time.time() - t2:.2f} s)",
                           diffs + ([f"tolerance: {case.tol_why}"] if diffs else []))
                if key != "id":
                    wq = worker_query(coord, h.agg_query(case, DIST, key))
                    if not wq or "worker_partial_agg(" not in wq:
                        pushdown.append(f"{label}: worker query without worker_partial_agg(: {wq}")
            except psycopg2.Error as e:
                tap.result(False, f"{name} {label} on Citus (coordinator_aggregation_strategy = disabled)",
                           [f"{e.pgcode}: {str(e).strip()}"])
                if key != "id":
                    pushdown.append(f"{label}: query failed")
        tap.result(not pushdown, f"{name}: worker queries (ungrouped, GROUP BY grp) run worker_partial_agg(", pushdown)
    h.query(coord, f"DROP TABLE IF EXISTS {DIST}, {LOCAL}")
    crashes = []
    for port in PORTS:
        try:
            c = node(port)
            log = os.path.join(h.scalar(c, "SELECT current_setting('data_directory')"), "server.log")
            c.close()
            with open(log, "rb") as f:
                crashes += [f"{port}: {line}" for line in f.read().decode("utf-8", "replace").splitlines()
                            if h.CRASH_RE.search(line)]
        except (psycopg2.Error, OSError) as e:
            crashes.append(f"{port}: {str(e).strip()}")
    tap.result(not crashes, "all three nodes are up and their server logs have no crash lines", crashes[:10])
    tap.comment(f"citus_check.py took {time.time() - t0:.1f} s")
    return tap.finish()


if __name__ == "__main__":
    h.main_guard(main)
