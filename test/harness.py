#!/usr/bin/python3
"""Shared helpers and the case registry of supplymkt's reusable test harnesses.

Used by test/parallel_equivalence.py, test/hostile_sweep.py and test/citus_check.py (run by test/citus.sh).
Not a test program itself (tools/test.sh skips it).

Every harness DISCOVERS the extension's functions and aggregates from the catalog and reports `not ok` for an
aggregate that has no entry in AGGREGATES below, so a new aggregate cannot land without coverage.

Adding an aggregate: add an AggCase to AGGREGATES, keyed by `name(argument types)` exactly as
`oidvectortypes(proargtypes)` spells them (e.g. 'fill_rate(double precision, double precision)').  Give:
  args         argument expressions over the columns of HARNESS_COLUMNS (add a column to data_sql() if none
               fits; every column gets NULLs), e.g. ["first_listed", "date '2024-01-01'", "date '2024-03-31'"]
  tol          relative float tolerance between parallel and serial / Citus and one node (0 = bit-identical);
               tol_why says why
  oracle_expr  an independent plain-SQL aggregate expression over the same columns computing the same answer
               (e.g. "sum(cogs) / nullif(avg(inv_value), 0)"), or
  oracle_query a whole query template with {k} (group key expression), {t} (table), {where} / {and_where}
               (the case's filter), returning rows (k, jsonb); a group it omits counts as a NULL result
  oracle_tol   relative tolerance against the oracle (oracle_abs_tol: absolute floor, for values near 0)
  sample_rows  a few rows of SQL literals (one per argument) the sweep and the round-trip checks feed to the
               transition function directly to build valid states
  exact_fields fields of a composite result that are counts and must match exactly
  notes        what the hostile sweep should know (e.g. "returns NULL for zero demand")
Results are compared as to_jsonb(<aggregate call>), so scalar and composite results work the same way.
"""
import io
import json
import math
import os
import re
import struct
import sys
import time
import traceback
from dataclasses import dataclass, field

import psycopg2

SCHEMA = "supplymkt"

# ---------------------------------------------------------------------------------------------------------
# TAP output
# ---------------------------------------------------------------------------------------------------------


class Tap:
    """Streams TAP: plan first, then numbered ok / not ok lines with '# ' detail lines."""

    def __init__(self, planned):
        self.planned = planned
        self.n = 0
        self.failed = 0
        print(f"1..{planned}", flush=True)

    def result(self, ok, description, details=(), skip=None):
        self.n += 1
        if not ok:
            self.failed += 1
        line = f"{'ok' if ok else 'not ok'} {self.n} - {description}"
        if skip:
            line += f" # SKIP {skip}"
        print(line, flush=True)
        for d in details:
            for part in str(d).splitlines() or [""]:
                print(f"#   {part}", flush=True)
        return ok

    def comment(self, text):
        for part in str(text).splitlines():
            print(f"# {part}", flush=True)

    def finish(self):
        """Fails the run when fewer or more tests ran than planned; returns the exit status."""
        if self.n != self.planned:
            print(f"# planned {self.planned} tests but ran {self.n}", flush=True)
            return 1
        return 1 if self.failed else 0


# ---------------------------------------------------------------------------------------------------------
# Connections
# ---------------------------------------------------------------------------------------------------------


def connect(dsn="", autocommit=True, **kwargs):
    """A connection from the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE) or the given DSN."""
    conn = psycopg2.connect(dsn, **kwargs)
    conn.autocommit = autocommit
    with conn.cursor() as cur:
        cur.execute("SET client_min_messages = warning")
        cur.execute("SET extra_float_digits = 3")
    return conn


def query(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description is not None else []


def scalar(conn, sql, params=None):
    rows = query(conn, sql, params)
    return rows[0][0] if rows else None


def sql_literal(value):
    """A standard-conforming SQL string literal (standard_conforming_strings is on since PostgreSQL 9.1)."""
    return "'" + str(value).replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------------------
# Catalog discovery
# ---------------------------------------------------------------------------------------------------------

# Objects of the extension: in its schema, or members of the extension wherever they live.
_MEMBER = f"""(p.pronamespace = '{SCHEMA}'::regnamespace OR EXISTS (
    SELECT 1 FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.refclassid = 'pg_extension'::regclass
       AND d.deptype = 'e' AND e.extname = '{SCHEMA}'))"""


@dataclass
class Func:
    oid: int
    name: str            # proname
    qualname: str        # quoted schema.name, for calls
    kind: str            # prokind: f, a, w, p
    argtypes: list       # format_type of each argument
    argtypeoids: list
    rettype: str
    rettypeoid: int
    retset: bool
    strict: bool
    parallel: str
    nargdefaults: int
    argnames: list = field(default_factory=list)   # input argument names ('' when unnamed)
    variadic: bool = False                          # the last argument is VARIADIC

    @property
    def key(self):
        return f"{self.name}({', '.join(self.argtypes)})"

    @property
    def signature(self):
        return f"{self.qualname}({', '.join(self.argtypes)})"


def discover_functions(conn):
    """Every function, aggregate, window function and procedure of the extension, by name."""
    rows = query(conn, f"""
        SELECT p.oid, p.proname, quote_ident(n.nspname) || '.' || quote_ident(p.proname), p.prokind,
               ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, i) ORDER BY i),
               p.proargtypes::oid[], format_type(p.prorettype, NULL), p.prorettype, p.proretset, p.proisstrict,
               p.proparallel, p.pronargdefaults, p.proargnames, p.proargmodes::text[],
               p.provariadic <> 0
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE {_MEMBER}
         ORDER BY p.proname, p.oid""")
    funcs = []
    for r in rows:
        names, modes = r[12] or [], r[13]
        if modes:
            names = [n for n, m in zip(names, modes) if m in ("i", "b", "v")]
        names = (list(names) + [""] * len(r[4]))[: len(r[4])]
        funcs.append(Func(r[0], r[1], r[2], r[3], list(r[4]), [int(x) for x in r[5]], r[6], r[7], r[8], r[9],
                          r[10], r[11], names, r[14]))
    return funcs


@dataclass
class Agg:
    func: Func
    transfn: str          # qualified name, callable
    combinefn: str        # qualified name or None
    finalfn: str          # qualified name or None
    stype: str            # format_type
    stypeoid: int
    stype_typtype: str    # 'p' for pseudo-types such as internal
    stype_has_send: bool
    stype_has_recv: bool
    aggkind: str
    initcond: str
    fn_parallel: dict     # proparallel of transfn / combinefn / finalfn

    @property
    def key(self):
        return self.func.key


def discover_aggregates(conn):
    funcs = {f.oid: f for f in discover_functions(conn) if f.kind == "a"}
    if not funcs:
        return []
    rows = query(conn, """
        SELECT a.aggfnoid::oid,
               (SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname) FROM pg_proc p
                  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = a.aggtransfn),
               (SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname) FROM pg_proc p
                  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = a.aggcombinefn),
               (SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname) FROM pg_proc p
                  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = a.aggfinalfn),
               format_type(a.aggtranstype, NULL), a.aggtranstype, t.typtype, t.typsend <> 0, t.typreceive <> 0,
               a.aggkind, a.agginitval,
               (SELECT proparallel FROM pg_proc WHERE oid = a.aggtransfn),
               (SELECT proparallel FROM pg_proc WHERE oid = a.aggcombinefn),
               (SELECT proparallel FROM pg_proc WHERE oid = a.aggfinalfn)
          FROM pg_aggregate a JOIN pg_type t ON t.oid = a.aggtranstype
         WHERE a.aggfnoid = ANY(%s)""", (list(funcs),))
    aggs = []
    for r in rows:
        aggs.append(Agg(funcs[r[0]], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                        {"transfn": r[11], "combinefn": r[12], "finalfn": r[13]}))
    aggs.sort(key=lambda a: a.key)
    return aggs


@dataclass
class ExtType:
    oid: int
    name: str            # format_type, e.g. supplymkt.turnover_state
    typname: str
    typinput: str        # regproc text
    typreceive: str
    typsend: str
    typoutput: str


def discover_base_types(conn):
    """The extension's own base types (state and model types), not their array types."""
    rows = query(conn, f"""
        SELECT t.oid, format_type(t.oid, NULL), t.typname, t.typinput::regproc::text,
               t.typreceive::regproc::text, t.typsend::regproc::text, t.typoutput::regproc::text
          FROM pg_type t
         WHERE t.typnamespace = '{SCHEMA}'::regnamespace AND t.typtype = 'b' AND t.typcategory <> 'A'
         ORDER BY t.typname""")
    return [ExtType(*r) for r in rows]


# ---------------------------------------------------------------------------------------------------------
# The shared test data
# ---------------------------------------------------------------------------------------------------------

HARNESS_TABLE = "harness_data"
HARNESS_ROWS = 300_000
HARNESS_GROUPS = 50
HARNESS_IDS = 3000      # distinct values of the distribution column id (so GROUP BY id aggregates ~100 rows)

# Column -> what it holds.  Special groups make every "NULL result" path run on real data.
HARNESS_COLUMNS = {
    "rid": "bigint, row number 1..N, unique, never NULL",
    "id": "bigint, distribution column (Citus), 1..3000, ~100 rows each, never NULL",
    "grp": "int, grouping key 0..49 (~6000 rows each), 1% NULL",
    "cogs": "float8 >= 0, cents, 2% NULL",
    "inv_value": "float8 >= 0, cents, 3% zeros, 2% NULL; grp 0: always 0 (turnover NULL)",
    "on_hand": "float8 in -10..49 (zeros and negatives), 2% NULL; grp 6: always NULL (stockout NULL)",
    "demanded": "float8 integer units 0..99, 2% NULL; grp 2: always 0 (fill_rate NULL)",
    "fulfilled": "float8 units, often above demanded, 2% NULL",
    "sold": "float8 units 0..249, 2% NULL",
    "received": "float8 units 0..199, 2% NULL; grp 3: always 0 (sell_through NULL)",
    "qty": "float8 >= 0, one decimal, 2% NULL; grp 4: always 0 (demand_cv NULL: zero mean)",
    "first_listed": "date 2022-01-01..2024-12-31, 2% NULL; grp 5: all after 2024-12-31 (renewal NULL)",
    "category": "text, ~30 skewed categories plus '' and a non-ASCII one, 5% NULL; grp 1: always NULL",
    "day": "date, 2024-01-01 + (rid % 366), 1% NULL",
    "ts": "timestamptz, 2024 at second resolution, 1% NULL",
    "amount": "float8 money amount >= 0, 2% NULL",
    "user_id": "bigint 1..5000, 1% NULL",
    "item_id": "bigint 1..800, 1% NULL",
    "variant": "text 'A' / 'B', 1% NULL",
    "converted": "boolean, 1% NULL",
    "features": "float8[3] (feature vectors), 1% NULL",
}


def data_sql(table=HARNESS_TABLE, rows=HARNESS_ROWS):
    """CREATE TABLE ... AS for the deterministic harness data (hash-based, the same on every machine)."""
    # u(k): a uniform number in [0, 1) derived from the row number and the stream k
    def u(k):
        return f"((hashint8extended(g, {k}) & 2147483647)::float8 / 2147483648.0)"

    return f"""
CREATE TABLE {table} AS
SELECT rid, id, grp,
       CASE WHEN {u(3)} < 0.02 THEN NULL ELSE round(({u(4)} * 1000)::numeric, 2)::float8 END AS cogs,
       CASE WHEN grp = 0 THEN 0::float8 WHEN {u(5)} < 0.02 THEN NULL WHEN {u(5)} < 0.05 THEN 0::float8
            ELSE round(({u(6)} * 5000)::numeric, 2)::float8 END AS inv_value,
       CASE WHEN grp = 6 OR {u(7)} < 0.02 THEN NULL ELSE floor({u(8)} * 60) - 10 END AS on_hand,
       demanded,
       CASE WHEN {u(10)} < 0.02 THEN NULL ELSE floor(coalesce(demanded, 50) * (0.6 + {u(11)} * 0.6)) END AS fulfilled,
       CASE WHEN {u(12)} < 0.02 THEN NULL ELSE floor({u(13)} * 250) END AS sold,
       CASE WHEN grp = 3 THEN 0::float8 WHEN {u(14)} < 0.02 THEN NULL ELSE floor({u(15)} * 200) END AS received,
       CASE WHEN grp = 4 THEN 0::float8 WHEN {u(16)} < 0.02 THEN NULL
            ELSE round(({u(17)} * {u(17)} * 40)::numeric, 1)::float8 END AS qty,
       CASE WHEN grp = 5 THEN date '2025-01-01' + floor({u(18)} * 100)::int
            WHEN {u(19)} < 0.02 THEN NULL ELSE date '2022-01-01' + floor({u(18)} * 1096)::int END AS first_listed,
       CASE WHEN grp = 1 OR {u(20)} < 0.05 THEN NULL WHEN {u(20)} < 0.06 THEN ''
            WHEN {u(20)} < 0.07 THEN 'catégorie ünïcode' ELSE 'cat_' || floor({u(21)} * {u(21)} * 30)::int END AS category,
       CASE WHEN {u(22)} < 0.01 THEN NULL ELSE date '2024-01-01' + (rid % 366)::int END AS day,
       CASE WHEN {u(23)} < 0.01 THEN NULL
            ELSE timestamptz '2024-01-01 00:00:00+00' + floor({u(24)} * 31622400) * interval '1 second' END AS ts,
       CASE WHEN {u(25)} < 0.02 THEN NULL ELSE round(({u(26)} * 300)::numeric, 2)::float8 END AS amount,
       CASE WHEN {u(27)} < 0.01 THEN NULL ELSE 1 + floor({u(28)} * 5000)::bigint END AS user_id,
       CASE WHEN {u(29)} < 0.01 THEN NULL ELSE 1 + floor({u(30)} * {u(30)} * 800)::bigint END AS item_id,
       CASE WHEN {u(31)} < 0.01 THEN NULL WHEN {u(32)} < 0.5 THEN 'A' ELSE 'B' END AS variant,
       CASE WHEN {u(33)} < 0.01 THEN NULL ELSE {u(34)} < 0.1 + 0.05 * (grp % 2) END AS converted,
       CASE WHEN {u(35)} < 0.01 THEN NULL
            ELSE ARRAY[round(({u(36)} * 10)::numeric, 3)::float8, round(({u(37)} * 10)::numeric, 3)::float8,
                       round(({u(38)} * 10)::numeric, 3)::float8] END AS features
  FROM (SELECT g AS rid, g, 1 + (g % {HARNESS_IDS}) AS id,
               CASE WHEN {u(1)} < 0.01 THEN NULL ELSE floor({u(2)} * {HARNESS_GROUPS})::int END AS grp,
               CASE WHEN {u(9)} < 0.02 THEN NULL
                    WHEN floor({u(2)} * {HARNESS_GROUPS})::int = 2 AND {u(1)} >= 0.01 THEN 0::float8
                    ELSE floor({u(39)} * 100) END AS demanded
          FROM generate_series(1, {rows}) g) s
"""


def data_fingerprint(rows=HARNESS_ROWS):
    """Identifies the data definition; stored as the table's comment so a stale table is rebuilt."""
    import hashlib
    return "supplymkt harness data " + hashlib.md5(data_sql("t", rows).encode()).hexdigest()


def create_harness_data(conn, table=HARNESS_TABLE, rows=HARNESS_ROWS):
    """(Re)creates the shared harness table (regular, not temporary, so parallel workers can scan it)."""
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(data_sql(table, rows))
        cur.execute(f"COMMENT ON TABLE {table} IS {sql_literal(data_fingerprint(rows))}")
        cur.execute(f"ANALYZE {table}")


def ensure_harness_data(conn, table=HARNESS_TABLE, rows=HARNESS_ROWS):
    """Creates the harness table unless an identical one exists; returns 'created' or 'reused'."""
    have = scalar(conn, f"SELECT obj_description(to_regclass({sql_literal(table)}), 'pg_class')")
    if have == data_fingerprint(rows) and not os.environ.get("SM_REBUILD_DATA"):
        return "reused"
    create_harness_data(conn, table, rows)
    return "created"


# Checks that the generated data has the shape the cases rely on: (description, SQL returning boolean).
DATA_SHAPE_CHECKS = [
    ("row count", f"SELECT count(*) = {HARNESS_ROWS} FROM {{t}}"),
    ("~50 groups plus NULL", f"SELECT count(DISTINCT grp) = {HARNESS_GROUPS} AND count(*) FILTER (WHERE grp IS NULL) > 0 FROM {{t}}"),
    ("NULLs in every column except rid and id",
     "SELECT bool_and(n > 0) FROM (SELECT count(*) - count(grp) n FROM {t} UNION ALL SELECT count(*) - count(cogs) FROM {t} "
     "UNION ALL SELECT count(*) - count(inv_value) FROM {t} UNION ALL SELECT count(*) - count(on_hand) FROM {t} "
     "UNION ALL SELECT count(*) - count(demanded) FROM {t} UNION ALL SELECT count(*) - count(fulfilled) FROM {t} "
     "UNION ALL SELECT count(*) - count(sold) FROM {t} UNION ALL SELECT count(*) - count(received) FROM {t} "
     "UNION ALL SELECT count(*) - count(qty) FROM {t} UNION ALL SELECT count(*) - count(first_listed) FROM {t} "
     "UNION ALL SELECT count(*) - count(category) FROM {t} UNION ALL SELECT count(*) - count(day) FROM {t} "
     "UNION ALL SELECT count(*) - count(ts) FROM {t} UNION ALL SELECT count(*) - count(amount) FROM {t} "
     "UNION ALL SELECT count(*) - count(user_id) FROM {t} UNION ALL SELECT count(*) - count(item_id) FROM {t} "
     "UNION ALL SELECT count(*) - count(variant) FROM {t} UNION ALL SELECT count(*) - count(converted) FROM {t} "
     "UNION ALL SELECT count(*) - count(features) FROM {t}) c"),
    ("on_hand has zeros and negatives", "SELECT count(*) FILTER (WHERE on_hand = 0) > 0 AND count(*) FILTER (WHERE on_hand < 0) > 0 FROM {t}"),
    ("fulfilled sometimes exceeds demanded", "SELECT count(*) FILTER (WHERE fulfilled > demanded) > 1000 FROM {t}"),
    ("distribution column id has ~100 rows per value", f"SELECT count(DISTINCT id) = {HARNESS_IDS} FROM {{t}}"),
]


# ---------------------------------------------------------------------------------------------------------
# The case registry
# ---------------------------------------------------------------------------------------------------------


@dataclass
class AggCase:
    name: str
    args: list
    tol: float
    tol_why: str
    sample_rows: list
    oracle_expr: str = None
    oracle_query: str = None
    oracle_tol: float = 1e-12
    oracle_abs_tol: float = 0.0
    exact_fields: tuple = ()
    where: str = None
    notes: str = ""

    @property
    def call(self):
        return f"{SCHEMA}.{self.name}({', '.join(self.args)})"


DIVERSITY_ORACLE = """
SELECT k, jsonb_build_object(
         'categories', count(*), 'items', sum(n)::bigint,
         'shannon', -sum(p * ln(p)), 'simpson', 1 - sum(p * p), 'hhi', sum(p * p),
         'effective_categories', exp(-sum(p * ln(p))),
         'evenness', CASE WHEN count(*) > 1 THEN -sum(p * ln(p)) / ln(count(*)) END)
  FROM (SELECT k, n, n / sum(n) OVER (PARTITION BY k) AS p
          FROM (SELECT {k} AS k, category, count(*)::float8 AS n FROM {t}
                 WHERE category IS NOT NULL {and_where} GROUP BY 1, 2) c) c2
 GROUP BY k"""

_SUM_ORDER = "float sums: parallel workers and Citus shards add the rows in a different order"

# customers.c: rfm_summary as of a date inside the data (later orders are left out), days in UTC
RFM_AS_OF = "timestamptz '2024-07-01 00:00:00+00'"
DECAY_AS_OF = "timestamptz '2024-10-01 00:00:00+00'"
RFM_SUMMARY_ORACLE = """
WITH r AS (
    SELECT {k} AS k, ts, amount, (ts AT TIME ZONE 'UTC')::date AS d FROM {t}
     WHERE ts IS NOT NULL AND amount IS NOT NULL AND ts <= """ + RFM_AS_OF + """ {and_where}
), days AS (
    SELECT k, d, sum(amount) AS day_total, min(d) OVER (PARTITION BY k) AS d0 FROM r GROUP BY k, d
), rep AS (
    SELECT k, avg(day_total) AS repeat_mean FROM days WHERE d > d0 GROUP BY k
)
SELECT r.k, jsonb_build_object(
         'recency_days', extract(epoch FROM """ + RFM_AS_OF + """ - max(r.ts))::float8 / 86400,
         'orders', count(*), 'frequency', count(DISTINCT r.d) - 1,
         'recency_bgnbd', (max(r.d) - min(r.d))::float8,
         'age_days', (date '2024-07-01' - min(r.d))::float8,
         'monetary_mean', avg(r.amount), 'monetary_repeat_mean', min(rep.repeat_mean),
         'monetary_total', sum(r.amount), 'first_order', min(r.ts), 'last_order', max(r.ts))
  FROM r LEFT JOIN rep ON rep.k IS NOT DISTINCT FROM r.k
 GROUP BY r.k"""
# rfm_breaks's documented rule in plain SQL: w = customers strictly worse (rank() - 1); threshold j is the least
# good value with w * bins >= j * n (recency: worse = larger, so the largest such value)
RFM_BREAKS_ORACLE = """
WITH r AS (
    SELECT {k} AS k, on_hand AS x1, qty AS x2, cogs AS x3 FROM {t}
     WHERE on_hand IS NOT NULL AND qty IS NOT NULL AND cogs IS NOT NULL {and_where}
), ranked AS (
    SELECT k, x1, x2, x3, count(*) OVER (PARTITION BY k) AS n,
           rank() OVER (PARTITION BY k ORDER BY x1 DESC) - 1 AS w1,
           rank() OVER (PARTITION BY k ORDER BY x2) - 1 AS w2,
           rank() OVER (PARTITION BY k ORDER BY x3) - 1 AS w3
      FROM r
), th AS (
    SELECT k, n, j, max(x1) FILTER (WHERE w1 * {bins} >= j * n) AS t1, min(x2) FILTER (WHERE w2 * {bins} >= j * n) AS t2,
           min(x3) FILTER (WHERE w3 * {bins} >= j * n) AS t3
      FROM ranked CROSS JOIN generate_series(1, {bins} - 1) AS j
     GROUP BY k, n, j
)
SELECT k, jsonb_build_object('version', 1, 'bins', {bins}, 'customers', n, 'recency', jsonb_agg(t1 ORDER BY j),
                             'frequency', jsonb_agg(t2 ORDER BY j), 'monetary', jsonb_agg(t3 ORDER BY j))
  FROM th GROUP BY k, n"""

# kmeans.c: the fits sort their points first; refine starts from a hand-typed raw-units model
_KM_SORTED = ("the final function sorts the points before fitting, so the same rows give a bit-identical model in "
              "any order (serial, parallel, Citus)")
_KM_MODEL = """'{"k":2,"dim":3,"centroids":[2,2,2,7,7,7]}'::supplymkt.kmeans_model"""
_KM_ROWS = [("ARRAY[1,2,3]::float8[]", "3", "7", "2", "50", "0.0001", "false"),
            ("ARRAY[4,5,6.5]::float8[]", "3", "7", "2", "50", "0.0001", "false"),
            ("NULL", "3", "7", "2", "50", "0.0001", "false"),
            ("ARRAY[0,0,0]::float8[]", "3", "7", "2", "50", "0.0001", "false"),
            ("ARRAY[10,1,2]::float8[]", "3", "7", "2", "50", "0.0001", "false")]

AGGREGATES = {c.name + "(" + types + ")": c for c, types in [
    (AggCase("inventory_turnover", ["cogs", "inv_value"], 1e-12, _SUM_ORDER,
             [("120.5", "1000"), ("80.25", "NULL"), ("NULL", "950.75"), ("0", "0"), ("33", "12.5")],
             oracle_expr="sum(cogs) / nullif(avg(inv_value), 0)",
             notes="NULL without rows or with zero average inventory; negative, NaN or infinite inputs raise 22023"),
     "double precision, double precision"),
    (AggCase("stockout_rate", ["on_hand"], 0.0, "integer counts; the same division everywhere",
             [("5",), ("0",), ("-3",), ("NULL",), ("12.5",)],
             oracle_expr="(count(*) FILTER (WHERE on_hand <= 0))::float8 / nullif(count(on_hand), 0)::float8",
             oracle_tol=0.0,
             notes="on_hand <= 0 is a stockout; NaN or infinite on_hand raises 22023"),
     "double precision"),
    (AggCase("fill_rate", ["demanded", "fulfilled"], 1e-12, _SUM_ORDER,
             [("10", "8"), ("5", "7"), ("NULL", "3"), ("4", "NULL"), ("0", "0"), ("2.5", "2.5")],
             oracle_expr="sum(least(fulfilled, demanded)) FILTER (WHERE demanded IS NOT NULL AND fulfilled IS NOT NULL)"
                         " / nullif(sum(demanded) FILTER (WHERE fulfilled IS NOT NULL), 0)",
             notes="over-delivery counts as filled; NULL when nothing was demanded"),
     "double precision, double precision"),
    (AggCase("sell_through_rate", ["sold", "received"], 1e-12, _SUM_ORDER,
             [("10", "20"), ("5", "NULL"), ("NULL", "7"), ("0", "0"), ("30", "10")],
             oracle_expr="sum(sold) FILTER (WHERE received IS NOT NULL)"
                         " / nullif(sum(received) FILTER (WHERE sold IS NOT NULL), 0)",
             notes="rows with a NULL left out (as fill_rate); can exceed 1; NULL when nothing was received"),
     "double precision, double precision"),
    (AggCase("sell_through_rate", ["sold", "demanded", "received"], 1e-12, _SUM_ORDER,
             [("10", "5", "20"), ("5", "NULL", "3"), ("NULL", "2", "7"), ("0", "0", "0"), ("30", "4", "10")],
             oracle_expr="sum(sold) FILTER (WHERE demanded IS NOT NULL AND received IS NOT NULL)"
                         " / nullif(sum(demanded + received) FILTER (WHERE sold IS NOT NULL), 0)",
             notes="retail form, opening stock = demanded here; rows with a NULL left out; NULL when nothing "
                   "was available"),
     "double precision, double precision, double precision"),
    (AggCase("renewal_rate", ["first_listed", "date '2024-01-01'", "date '2024-03-31'"], 0.0,
             "integer counts; the same division everywhere",
             [("date '2024-02-01'", "date '2024-01-01'", "date '2024-03-31'"),
              ("date '2023-05-01'", "date '2024-01-01'", "date '2024-03-31'"),
              ("date '2024-06-01'", "date '2024-01-01'", "date '2024-03-31'"),
              ("NULL", "date '2024-01-01'", "date '2024-03-31'")],
             oracle_expr="(count(*) FILTER (WHERE first_listed BETWEEN date '2024-01-01' AND date '2024-03-31'))::float8"
                         " / nullif(count(*) FILTER (WHERE first_listed <= date '2024-03-31'), 0)::float8",
             oracle_tol=0.0,
             notes="the period must be non-NULL (22004), ordered and the same on every row (22023)"),
     "date, date, date"),
    (AggCase("demand_cv", ["qty"], 1e-12,
             "Welford per worker merged by Chan et al.'s formula: rounding differs from the serial scan",
             [("4",), ("6.5",), ("NULL",), ("0",), ("10",)],
             oracle_expr="stddev_samp(qty) / nullif(avg(qty), 0)",
             oracle_tol=1e-11,
             notes="NULL with fewer than 2 rows or a zero mean; the oracle is PostgreSQL's stddev_samp "
                   "(Youngs-Cramer), a different algorithm, hence 1e-11"),
     "double precision"),
    (AggCase("assortment_diversity", ["category"], 0.0,
             "integer counts per category; the final function sorts the categories, so the floats are bit-identical",
             [("'a'",), ("'b'",), ("'a'",), ("NULL",), ("''",), ("'ünï'",)],
             oracle_query=DIVERSITY_ORACLE, oracle_tol=1e-12, oracle_abs_tol=1e-15,
             exact_fields=("categories", "items"),
             notes="composite result; NULL categories skipped; NULL without items; evenness NULL with one category"),
     "text"),
    (AggCase("rfm_summary", ["ts", "amount", RFM_AS_OF], 0.0,
             "the final function sorts the orders by (time, amount), so its sums run in one order: bit-identical",
             [("timestamptz '2024-01-01 10:00:00+00'", "10", RFM_AS_OF), ("timestamptz '2024-01-01 20:00:00+00'", "5.5", RFM_AS_OF),
              ("NULL", "3", RFM_AS_OF), ("timestamptz '2024-03-05 00:00:00+00'", "NULL", RFM_AS_OF),
              ("timestamptz '2024-08-01 00:00:00+00'", "7", RFM_AS_OF), ("timestamptz '2024-02-29 12:00:00+00'", "0", RFM_AS_OF)],
             oracle_query=RFM_SUMMARY_ORACLE, oracle_tol=1e-12,
             exact_fields=("orders", "frequency", "recency_bgnbd", "age_days", "first_order", "last_order"),
             notes="composite result; orders after as_of are left out; NULL without orders on or before as_of; "
                   "as_of must be non-NULL (22004) and constant; infinite times, negative/NaN/infinite amounts raise 22023"),
     "timestamp with time zone, double precision, timestamp with time zone"),
    (AggCase("rfm_breaks", ["on_hand", "qty", "cogs"], 0.0,
             "breakpoints are data values picked by rank after sorting: identical whatever the row order",
             [("10", "1", "20.5"), ("3", "1", "5"), ("NULL", "2", "1"), ("7", "2", "40"), ("0", "5", "99.5"), ("3", "1", "5")],
             oracle_query=RFM_BREAKS_ORACLE.replace("{bins}", "5"), oracle_tol=0.0,
             exact_fields=("version", "bins", "customers"),
             notes="returns rfm_breaks (cast to json for to_jsonb); rows with a NULL are skipped; heavy ties in on_hand "
                   "and qty leave score steps unreached (null thresholds)"),
     "double precision, double precision, double precision"),
    (AggCase("rfm_breaks", ["on_hand", "demanded", "amount", "3"], 0.0,
             "breakpoints are data values picked by rank after sorting: identical whatever the row order",
             [("10", "1", "20.5", "3"), ("3", "1", "5", "3"), ("NULL", "2", "1", "3"), ("7", "2", "40", "3"), ("0", "5", "99.5", "3")],
             oracle_query=RFM_BREAKS_ORACLE.replace("{bins}", "3").replace("qty", "demanded").replace("cogs", "amount"),
             oracle_tol=0.0, exact_fields=("version", "bins", "customers"),
             notes="bins must be 2..100 (22023), non-NULL (22004) and constant; grp 2 has demanded = 0 throughout "
                   "(every frequency threshold null)"),
     "double precision, double precision, double precision, integer"),
    (AggCase("clv_time_decay", ["amount", "ts", DECAY_AS_OF, "45.5"], 1e-12, _SUM_ORDER,
             [("10", "timestamptz '2024-01-01 00:00:00+00'", DECAY_AS_OF, "45.5"),
              ("NULL", "timestamptz '2024-02-01 00:00:00+00'", DECAY_AS_OF, "45.5"),
              ("7.25", "timestamptz '2024-09-30 12:00:00+00'", DECAY_AS_OF, "45.5"),
              ("3", "timestamptz '2024-12-01 00:00:00+00'", DECAY_AS_OF, "45.5"),
              ("0", "NULL", DECAY_AS_OF, "45.5")],
             oracle_expr=f"sum(amount * power(0.5, extract(epoch FROM {DECAY_AS_OF} - ts)::float8 / 86400 / 45.5)) "
                         f"FILTER (WHERE ts <= {DECAY_AS_OF})",
             oracle_tol=1e-12,
             notes="orders after as_of are left out; NULL without orders on or before as_of; half_life_days must be "
                   "positive and finite; as_of and half_life_days non-NULL (22004) and constant (22023)"),
     "double precision, timestamp with time zone, timestamp with time zone, double precision"),
] + [  # clv_fit: one case per overload (aggregates have no argument defaults); oracle: test/clv_oracle.py
    (AggCase("clv_fit", ["floor(qty / 4)", "CASE WHEN floor(qty / 4) = 0 THEN 0 ELSE least(floor(received / 10) + 1, "
                         "1 + floor(sold / 10)) END", "1 + floor(sold / 10)", "amount + 1"][:n] + extra, 0.0,
             "the final function sorts the rows and collapses identical (frequency, recency, t) before fitting, so the "
             "same rows give a bit-identical model in any order (serial, parallel, Citus)",
             [r[:min(n, 4)] + tuple(extra) for r in [
                 ("0", "0", "5", "NULL"), ("1", "2", "6", "10.5"), ("2", "4", "7", "20"), ("0", "0", "3", "NULL"),
                 ("3", "5", "8", "15.25"), ("1", "1", "4", "8"), ("4", "6", "9", "31"), ("2", "3", "5", "12"),
                 ("1", "4", "6", "9.99"), ("5", "7", "10", "22"), ("0", "0", "8", "NULL"), ("2", "2", "9", "14"),
                 ("3", "6", "7", "18.5"), ("1", "3", "3", "7"), ("NULL", "1", "2", "5")]],
             notes="returns clv_model (compared as its JSON text); NULL with fewer than 10 customers or no repeat "
                   "purchase (grp 4: qty = 0, so frequency 0); converged may be false on this non-BG/NBD data; "
                   "invalid values raise 22023, NULL model/unit 22004",
             # fits cost ~10 ms (Pareto/NBD on this non-Pareto data ~0.3 s) a group: a fifth of the rows keeps the
             # suite fast (GROUP BY id then gives mostly NULL groups of < 10 customers, GROUP BY grp 10 fits)
             where="grp % 5 = 0"),
     ", ".join(["double precision"] * min(n, 4) + ["text"] * (n - 4)))
    # the 5-argument case fits Pareto/NBD, the 6-argument one BG/NBD in weeks (Pareto/NBD once: it is the slower fit)
    for n, extra in ((3, []), (4, []), (5, ["'pnbd'"]), (6, ["'bgnbd'", "'weeks'"]))
] + [  # kmeans_fit: one case per overload; oracle: test/kmeans_oracle.py (scikit-learn)
    (AggCase("kmeans_fit", ["features", "3", "7", "2", "50", "0.0001", "false"][:n], 0.0, _KM_SORTED,
             [r[:n] for r in _KM_ROWS],
             notes="returns kmeans_model (compared as its JSON text); NULL without non-NULL features; k > points or "
                   "> distinct points, bad options, ragged/empty/2-D arrays and NaN raise 22023/2202E/22004",
             where="grp % 5 = 0"),
     ", ".join(["double precision[]"] + ["integer"] * min(n - 1, 4) + ["double precision", "boolean"][:max(0, n - 5)]))
    for n in range(2, 8)
] + [
    (AggCase("kmeans_elbow", ["features", "1", "4", "3"][:n], 0.0, _KM_SORTED,
             [("ARRAY[1,2,3]::float8[]", "1", "3", "5"), ("ARRAY[4,5,6.5]::float8[]", "1", "3", "5"),
              ("NULL", "1", "3", "5"), ("ARRAY[0,0,0]::float8[]", "1", "3", "5"), ("ARRAY[10,1,2]::float8[]", "1", "3", "5")],
             notes="kmeans_elbow_point[] per k; k_max - k_min < 50", where="grp % 10 = 0"),
     ", ".join(["double precision[]", "integer", "integer", "integer"][:n]))
    for n in (3, 4)
] + [
    (AggCase("kmeans_refine", [_KM_MODEL, "features"], 1e-12, _SUM_ORDER,
             [(_KM_MODEL, "ARRAY[1,2,3]::float8[]"), (_KM_MODEL, "ARRAY[8,8,9]::float8[]"), (_KM_MODEL, "NULL"),
              ("NULL", "NULL")],
             notes="one Lloyd step; a model that differs between rows raises 22023; features of another length 22023"),
     "supplymkt.kmeans_model, double precision[]"),
] + [  # item_similarity: one case per overload; oracle: test/recommend_oracle.py (numpy)
    (AggCase("item_similarity", ["user_id", "item_id", "amount", "5", "'jaccard'", "2"][:n], 1e-12,
             "duplicate (user, item) weights are summed in weight order; scores are computed in the same order "
             "everywhere, but the last bits of a summed weight may differ",
             [r[:n] for r in [("1", "10", "2.5", "5", "'jaccard'", "2"), ("1", "11", "1", "5", "'jaccard'", "2"),
                              ("2", "10", "NULL", "5", "'jaccard'", "2"), ("NULL", "12", "1", "5", "'jaccard'", "2"),
                              ("2", "11", "0", "5", "'jaccard'", "2"), ("3", "12", "4", "5", "'jaccard'", "2")]],
             notes="returns item_neighbors (compared as its JSON text); ids are exact bigints; top_k, measure, "
                   "min_support must be constant; a negative or NaN weight raises 22023",
             where="grp % 2 = 0"),
     ", ".join(["bigint", "bigint", "double precision", "integer", "text", "integer"][:n]))
    for n in range(2, 7)
] + [
    (AggCase("item_content_similarity", ["rid", "features", "5"][:n], 0.0,
             "one cosine per pair, computed in the same order everywhere (rows sorted by item)",
             [r[:n] for r in [("1", "ARRAY[1,0,2]::float8[]", "5"), ("2", "ARRAY[0,1,1]::float8[]", "5"),
                              ("3", "NULL", "5"), ("4", "ARRAY[1,1,1]::float8[]", "5")]],
             notes="one row per item (rid here); a repeated item raises 22023", where="rid % 300 = 0"),
     ", ".join(["bigint", "double precision[]", "integer"][:n]))
    for n in (2, 3)
] + [
    (AggCase("assoc_rules", ["user_id", "item_id % 40", "0.05", "0.2", "3"][:n], 0.0,
             "integer counts of itemsets; the same Eclat over sorted rows everywhere",
             [r[:n] for r in [("1", "10", "0.05", "0.2", "3"), ("1", "11", "0.05", "0.2", "3"),
                              ("2", "10", "0.05", "0.2", "3"), ("NULL", "12", "0.05", "0.2", "3"),
                              ("2", "10", "0.05", "0.2", "3")]],
             notes="returns assoc_rules_model; min_support in (0, 1], min_confidence in [0, 1], max_len 1..10",
             where="grp % 5 = 0"),
     ", ".join(["bigint", "bigint", "double precision", "double precision", "integer"][:n]))
    for n in (4, 5)
] + [  # the options forms: the same aggregates with their tuning arguments in one options value
    (AggCase("kmeans_fit", ["features", f"{SCHEMA}.kmeans_options(k => 3, seed => 7, n_init => 2, max_iter => 50)"],
             0.0, _KM_SORTED,
             [("ARRAY[1,2,3]::float8[]", f"{SCHEMA}.kmeans_options(k => 3, seed => 7, n_init => 2, max_iter => 50)")],
             notes="kmeans_options: same model as the positional form; a NULL options value raises 22004",
             where="grp % 5 = 0"),
     "double precision[], supplymkt.kmeans_options"),
    (AggCase("item_similarity", ["user_id", "item_id", "amount",
                                 f"{SCHEMA}.similarity_options(top_k => 5, measure => 'jaccard', min_support => 2)"], 1e-12,
             "duplicate (user, item) weights are summed in weight order, as in the positional form",
             [("1", "10", "2.5", f"{SCHEMA}.similarity_options(top_k => 5, measure => 'jaccard', min_support => 2)")],
             notes="similarity_options: same model as the positional form", where="grp % 2 = 0"),
     "bigint, bigint, double precision, supplymkt.similarity_options"),
    (AggCase("assoc_rules", ["user_id", "item_id % 40",
                             f"{SCHEMA}.assoc_rules_options(min_support => 0.05, min_confidence => 0.2)"], 0.0,
             "integer counts of itemsets; the same Eclat over sorted rows everywhere",
             [("1", "10", f"{SCHEMA}.assoc_rules_options(min_support => 0.05, min_confidence => 0.2)")],
             notes="assoc_rules_options: same model as the positional form", where="grp % 5 = 0"),
     "bigint, bigint, supplymkt.assoc_rules_options"),
    (AggCase("clv_fit", ["floor(qty / 4)", "CASE WHEN floor(qty / 4) = 0 THEN 0 ELSE least(floor(received / 10) + 1, "
                         "1 + floor(sold / 10)) END", "1 + floor(sold / 10)", "amount + 1",
                         f"{SCHEMA}.clv_options(unit => 'weeks')"], 0.0,
             "the final function sorts and collapses the rows before fitting, as in the positional form",
             [("1", "2", "6", "10.5", f"{SCHEMA}.clv_options(unit => 'weeks')")],
             notes="clv_options: same model as the positional form", where="grp % 5 = 0"),
     "double precision, double precision, double precision, double precision, supplymkt.clv_options"),
] + [
    (AggCase("demand_forecast", ["day", "qty", "7", "'ANN'"][:n], 0.0,
             "the final function sorts the rows by day and sums each day in that order before fitting, so the same "
             "rows give a bit-identical model in any order (serial, parallel, Citus)",
             [r[:n] for r in [("date '2024-01-01'", "3", "7", "'ANN'"), ("date '2024-01-02'", "0", "7", "'ANN'"),
                              ("date '2024-01-02'", "4.5", "7", "'ANN'"), ("date '2024-01-05'", "1", "7", "'ANN'"),
                              ("NULL", "2", "7", "'ANN'"), ("date '2024-01-06'", "NULL", "7", "'ANN'"),
                              ("date '2024-01-09'", "6", "7", "'ANN'"), ("date '2024-01-10'", "2", "7", "'ANN'")]],
             notes="returns forecast_model (compared as its JSON text); grp 4 (qty 0) is a constant series (the mean "
                   "method); negative qty and infinite days raise 22023",
             where="grp % 5 = 0"),
     ", ".join(["date", "double precision", "integer", "text"][:n]))
    for n in range(2, 5)
] + [
    (AggCase("demand_forecast", ["day", "qty", f"{SCHEMA}.forecast_options(season_length => 7, method => 'ANN')"],
             0.0, "sorted and summed per day before fitting, as in the positional form",
             [("date '2024-01-01'", "3", f"{SCHEMA}.forecast_options(season_length => 7, method => 'ANN')")],
             notes="forecast_options: same model as the positional form", where="grp % 5 = 0"),
     "date, double precision, supplymkt.forecast_options"),
] + [
    (AggCase("forecast_accuracy", ["qty", "amount", "2.5"][:n], 1e-12,
             "the final function sorts the (actual, predicted) rows before summing, so the sums do not depend on "
             "the row order up to the last bit",
             [r[:n] for r in [("3", "2.5", "2.5"), ("0", "1", "2.5"), ("NULL", "4", "2.5"), ("10", "12", "2.5"),
                              ("0", "0", "2.5")]],
             notes="returns forecast_accuracy (compared as JSON); mape NULL when every actual is 0, mase NULL "
                   "without a scale or with scale 0"),
     ", ".join(["double precision"] * n))
    for n in (2, 3)
] + [
    (AggCase("replenishment_plan", ["rid", "sold", "received / 10", "demanded", "1 + cogs / 1000", "0.5", "2", "500"],
             0.0, "the final function sorts the products by id before building the LP, and GLPK is deterministic, so "
             "the same rows give the same plan (as jsonb) in any order",
             [("1", "50", "10", "20", "3", "0.5", "2", "500"), ("2", "30", "5", "0", "1.5", "0.5", "2", "500"),
              ("3", "NULL", "5", "0", "1", "0.5", "2", "500"), ("4", "0", "0", "5", "2", "0.5", "2", "500")],
             notes="returns jsonb (the plan); a product twice, negative inputs and shortage without holding cost "
                   "raise 22023", where="rid % 100 = 0"),
     "bigint, double precision, double precision, double precision, double precision, double precision, "
     "double precision, double precision"),
    (AggCase("replenishment_plan", ["rid", "sold", "received / 10", "demanded", "1 + cogs / 1000", "0.5", "2", "6", "0",
                                    "1", f"{SCHEMA}.replenishment_options(budget => 500, capacity => 100000)"],
             0.0, "sorted by product before the LP; GLPK's simplex in fixed iteration slices and its MIP search "
                  "(packs of 6: whole packs, stopped only by a cancel, never by a benign interrupt such as a "
                  "parallel worker's message) are deterministic, so the same rows give the same plan in any order",
             [("1", "50", "10", "20", "3", "0.5", "2", "6", "0", "1",
               f"{SCHEMA}.replenishment_options(budget => 500, capacity => 100000)"),
              ("2", "30", "5", "0", "1.5", "0.5", "2", "6", "12", "1",
               f"{SCHEMA}.replenishment_options(budget => 500, capacity => 100000)")],
             notes="returns jsonb (the plan: a MIP with a budget and a capacity)", where="rid % 500 = 0"),
     "bigint, double precision, double precision, double precision, double precision, double precision, "
     "double precision, double precision, double precision, double precision, supplymkt.replenishment_options"),
]}

# The options forms are fed the sample rows of their positional twins (the tuning columns replaced by the one
# options value), so the sweep can build a valid model from them.
for _opt_sig, _pos_sig, _keep in (
        ("kmeans_fit(double precision[], supplymkt.kmeans_options)",
         "kmeans_fit(double precision[], integer, integer, integer, integer)", 1),
        ("item_similarity(bigint, bigint, double precision, supplymkt.similarity_options)",
         "item_similarity(bigint, bigint, double precision, integer, text, integer)", 3),
        ("assoc_rules(bigint, bigint, supplymkt.assoc_rules_options)",
         "assoc_rules(bigint, bigint, double precision, double precision)", 2),
        ("clv_fit(double precision, double precision, double precision, double precision, supplymkt.clv_options)",
         "clv_fit(double precision, double precision, double precision, double precision)", 4),
        ("demand_forecast(date, double precision, supplymkt.forecast_options)",
         "demand_forecast(date, double precision)", 2)):
    _opt = AGGREGATES[_opt_sig]
    _opt.sample_rows = [tuple(r[:_keep]) + (_opt.sample_rows[0][-1],) for r in AGGREGATES[_pos_sig].sample_rows]


# Optional notes on plain functions for the hostile sweep (shown with their TAP line).
FUNCTION_NOTES = {
    "recommend": "k 1..10000; NULL history = popular items only; exclude NULL = the history",
    "item_neighbors_blend": "weight_a in [0, 1]; NULL models give NULL",
    "kmeans_segment": "window function; fits on its partition (k and seed constant per partition)",
    "kmeans_assign": "features must have the model's dim elements",
    "kmeans_distance": "features must have the model's dim elements",
    "days_of_supply": "returns 0 for on_hand <= 0 and NULL for zero daily demand",
    "xyz_class": "thresholds must be ordered and non-negative",
    "abc_class": "window function; a_max/b_max are fractions, read from the first row of the partition",
    "normalize_indicator": "upper must exceed lower",
    "supply_capability_score": "SQL function reading supplymkt.score_weights",
}


# Valid values of the extension's own types that no aggregate case builds (the sweep builds states with each
# aggregate's transition function over its sample_rows, and model types with the aggregate returning them):
# type name (format_type, e.g. 'supplymkt.kmeans_model') -> [SQL expressions of that type].
TYPE_VALUES = {
    # options values are made by their maker functions, not by an aggregate
    "supplymkt.kmeans_options": [f"{SCHEMA}.kmeans_options(k => 3)", f"{SCHEMA}.kmeans_options(2, -5, 1, 1, 0, false)"],
    "supplymkt.similarity_options": [f"{SCHEMA}.similarity_options()",
                                     f"{SCHEMA}.similarity_options(1000, 'SHRUNK_COSINE', 2147483647)"],
    "supplymkt.assoc_rules_options": [f"{SCHEMA}.assoc_rules_options(1, 0)", f"{SCHEMA}.assoc_rules_options(1e-300, 1, 10)"],
    "supplymkt.clv_options": [f"{SCHEMA}.clv_options()", f"{SCHEMA}.clv_options('pnbd', 'weeks')"],
    "supplymkt.replenishment_options": [f"{SCHEMA}.replenishment_options()",
                                        f"{SCHEMA}.replenishment_options(0, 1e300, 200, 100, 0.5)"],
    "supplymkt.forecast_options": [f"{SCHEMA}.forecast_options()",
                                   f"{SCHEMA}.forecast_options(366, 'tsb', 1, 0.001, 100000, 2147483647)"],
}

# Optional grid overrides for the hostile sweep: function name -> {argument name or 0-based index: [SQL
# expressions]}, replacing the type's grid for that argument.  For arguments whose hostile values are
# legitimately slow (e.g. a row count of 2^31 for a data generator, which should rather be capped with a clean
# error), say why next to the entry.
FUNCTION_GRIDS = {
    # bins must be 2..100: the integer grid's only valid value would be none, so add a valid one
    "rfm_breaks": {"bins": ["NULL", "5", "0", "1", "-1", "101", "2147483647"]},
}


def agg_query(case, table, key):
    """The aggregate over the table, ungrouped (key None) or grouped: rows (k, to_jsonb(result))."""
    k = key if key else "NULL::int"
    sql = f"SELECT {k} AS k, to_jsonb({case.call}) AS v FROM {table}"
    if case.where:
        sql += f" WHERE {case.where}"
    if key:
        sql += f" GROUP BY {key}"
    return sql


def oracle_sql(case, table, key):
    """The independent plain-SQL computation, same shape as agg_query; None when the registry has none."""
    k = key if key else "NULL::int"
    if case.oracle_query:
        return case.oracle_query.format(k=k, t=table, where=f"WHERE {case.where}" if case.where else "",
                                        and_where=f"AND {case.where}" if case.where else "")
    if case.oracle_expr:
        sql = f"SELECT {k} AS k, to_jsonb({case.oracle_expr}) AS v FROM {table}"
        if case.where:
            sql += f" WHERE {case.where}"
        return sql + " GROUP BY 1"
    return None


def fetch_keyed(conn, sql):
    """Runs a (k, v) query and returns {k: v}."""
    return {r[0]: r[1] for r in query(conn, sql)}


def _num_close(a, b, rel, abs_tol):
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if a == b:
        return True
    fa, fb = float(a), float(b)
    if math.isnan(fa) and math.isnan(fb):
        return True
    if math.isinf(fa) or math.isinf(fb):
        return fa == fb
    return abs(fa - fb) <= max(rel * max(abs(fa), abs(fb)), abs_tol)


def values_close(a, b, rel, abs_tol=0.0, exact_fields=(), path=""):
    """Compares two to_jsonb results; returns None when equal within tolerance, else a description."""
    if a is None or b is None:
        return None if a is None and b is None else f"{path or 'value'}: {a!r} vs {b!r}"
    if isinstance(a, str) and isinstance(b, str) and a != b and a[:1] == "{" and b[:1] == "{":
        # a type whose text is a JSON object (a model) arrives as a JSON string: compare its fields
        try:
            a, b = json.loads(a), json.loads(b)
        except ValueError:
            pass
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return f"{path}: keys {sorted(a)} vs {sorted(b)}"
        for key in sorted(a):
            exact = key in exact_fields
            d = values_close(a[key], b[key], 0.0 if exact else rel, 0.0 if exact else abs_tol, exact_fields,
                             f"{path}.{key}" if path else key)
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: lengths {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = values_close(x, y, rel, abs_tol, exact_fields, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if _num_close(a, b, rel, abs_tol):
            return None
        fa, fb = float(a), float(b)
        diff = abs(fa - fb) / max(abs(fa), abs(fb)) if max(abs(fa), abs(fb)) > 0 else abs(fa - fb)
        return f"{path or 'value'}: {a!r} vs {b!r} (relative difference {diff:.3g}, tolerance {rel:g})"
    return None if a == b else f"{path or 'value'}: {a!r} vs {b!r}"


def compare_keyed(got, want, rel, abs_tol=0.0, exact_fields=(), missing_is_null=False, limit=5):
    """Compares {k: v} maps; returns a list of difference descriptions (empty when equal)."""
    diffs = []
    keys = set(got) | set(want)
    for k in sorted(keys, key=lambda x: (x is None, str(x))):
        if k not in got or k not in want:
            present = got.get(k, want.get(k))
            if missing_is_null and present is None:
                continue
            diffs.append(f"group {k!r}: only in {'first' if k in got else 'second'} result ({present!r})")
        else:
            d = values_close(got[k], want[k], rel, abs_tol, exact_fields)
            if d:
                diffs.append(f"group {k!r}: {d}")
        if len(diffs) >= limit:
            diffs.append("...")
            break
    return diffs


# ---------------------------------------------------------------------------------------------------------
# States built by calling the transition function directly
# ---------------------------------------------------------------------------------------------------------


def nested_transfn_expr(agg, rows):
    """transfn(transfn(transfn(NULL, row1...), row2...), ...) with each value cast to its argument type."""
    expr = f"NULL::{agg.stype}"
    for row in rows:
        args = ", ".join(f"({v})::{t}" for v, t in zip(row, agg.func.argtypes))
        expr = f"{agg.transfn}({expr}, {args})"
    return expr


def copy_out_binary(conn, select_sql):
    """COPY (select) TO STDOUT (FORMAT binary): the bytes, via the client (no server file permissions)."""
    buf = io.BytesIO()
    with conn.cursor() as cur:
        cur.copy_expert(f"COPY ({select_sql}) TO STDOUT (FORMAT binary)", buf)
    return buf.getvalue()


def copy_in_binary(conn, table, data):
    with conn.cursor() as cur:
        cur.copy_expert(f"COPY {table} FROM STDIN (FORMAT binary)", io.BytesIO(data))


COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def binary_copy_file(rows):
    """A binary COPY stream of rows of raw field values (bytes, or None for NULL)."""
    out = [COPY_SIGNATURE, struct.pack("!ii", 0, 0)]
    for row in rows:
        out.append(struct.pack("!h", len(row)))
        for f in row:
            out.append(struct.pack("!i", -1) if f is None else struct.pack("!i", len(f)) + f)
    out.append(struct.pack("!h", -1))
    return b"".join(out)


# ---------------------------------------------------------------------------------------------------------
# Hostile value grids (hostile_sweep.py)
# ---------------------------------------------------------------------------------------------------------


@dataclass
class GridValue:
    label: str
    sql: str              # a SQL expression of the argument's type
    nan: bool = False     # the value contains a NaN (a NaN result is then allowed)

    def __repr__(self):
        return self.label


def _g(label, literal, typ, nan=False):
    if literal is None:
        return GridValue("NULL", f"NULL::{typ}")
    return GridValue(label, f"{sql_literal(literal)}::{typ}", nan)


_FLOAT8 = ["NaN", "Infinity", "-Infinity", "0", "-1", "-1e308", "1e308", "1e-308", "1", "0.5"]


def type_grid(typ):
    """The hostile grid of a type by its format_type name, or None for a type without one.  The first
    non-NULL value is the 'natural' value used while another argument varies."""
    if typ in ("double precision", "real"):
        vals = ["1", "0.5"] + [v for v in _FLOAT8 if v not in ("1", "0.5")]
        if typ == "real":
            vals = [v.replace("308", "38") for v in vals]
        return [_g("NULL", None, typ)] + [_g(v, v, typ, nan=(v == "NaN")) for v in vals]
    if typ == "numeric":
        return [_g("NULL", None, typ)] + [_g(v, v, typ, nan=(v == "NaN"))
                                          for v in ["1", "0.5", "NaN", "Infinity", "-Infinity", "0", "-1", "1e308", "-1e308", "1e-308"]]
    ints = {"smallint": 2 ** 15, "integer": 2 ** 31, "bigint": 2 ** 63}
    if typ in ints:
        m = ints[typ]
        return [_g("NULL", None, typ)] + [_g(str(v), str(v), typ) for v in [1, 0, -1, m - 1, -m]]
    if typ in ("text", "character varying", "cstring", "name"):
        return [_g("NULL", None, typ), _g("'x'", "x", typ), _g("''", "", typ),
                GridValue("10k chars", f"repeat('x', 10000)::{typ}"), GridValue("E'\\x01'", f"chr(1)::{typ}"),
                _g("'ünï'", "ünï", typ)]
    if typ == "date":
        return [_g("NULL", None, typ)] + [_g(v, v, typ) for v in
                                          ["2024-01-01", "infinity", "-infinity", "4713-01-01 BC", "5874897-12-31"]]
    if typ in ("timestamp with time zone", "timestamp without time zone"):
        return [_g("NULL", None, typ)] + [_g(v, v, typ) for v in
                                          ["2024-01-01 00:00:00+00", "infinity", "-infinity", "4713-01-01 00:00:00+00 BC",
                                           "294276-12-31 23:59:59+00"]]
    if typ == "interval":
        return [_g("NULL", None, typ)] + [_g(v, v, typ) for v in ["1 day", "0", "-1 day", "178000000 years", "-178000000 years"]]
    if typ == "boolean":
        return [_g("NULL", None, typ), _g("true", "true", typ), _g("false", "false", typ)]
    if typ in ("double precision[]", "numeric[]", "real[]", "integer[]", "bigint[]"):
        vals = [("{1,2,3}", False), ("{}", False), ("{{1,2},{3,4}}", False), ("{1,NULL}", False),
                ("[0:1]={1,2}", False), ("{-1,0,1e308}" if typ[0] in "dnr" else "{-1,0,2147483647}", False)]
        if typ.split("[")[0] in ("double precision", "numeric", "real"):
            vals += [("{NaN}", True), ("{Infinity,-Infinity}", False)]
        if typ.startswith("real"):
            vals = [(v.replace("308", "38"), n) for v, n in vals]
        grid = [_g("NULL", None, typ)] + [_g(v, v, typ, nan=n) for v, n in vals]
        base = typ[:-2]
        grid.append(GridValue("100k elements", f"ARRAY(SELECT (i % 97)::{base} FROM generate_series(1, 100000) i)"))
        return grid
    if typ == "text[]":
        return [_g("NULL", None, typ), _g("{a,b}", "{a,b}", typ), _g("{}", "{}", typ), _g("{{a},{b}}", "{{a},{b}}", typ),
                _g("{a,NULL}", "{a,NULL}", typ)]
    if typ == "jsonb" or typ == "json":
        return [_g("NULL", None, typ)] + [_g(v, v, typ) for v in ['{"a":1}', "{}", "[]", "null", '"x"', "1e400"]]
    if typ in ("oid", "regtype", "regclass"):
        return [_g("NULL", None, typ), GridValue("0", f"0::{typ}"), GridValue("int4", f"'int4'::regtype::oid::{typ}")]
    return None


def json_state_mutations(valid_text, other_valid_texts=()):
    """Malformed or extreme text inputs derived from a valid state/model JSON text: (label, text, has_nan).
    other_valid_texts: (type name, valid text) of the other types (the wrong-kind inputs)."""
    muts = [("empty string", "", False), ("{}", "{}", False), ("null", "null", False), ("[]", "[]", False),
            ('{"state":"x"}', '{"state":"x"}', False), ("not JSON", "state", False), ("a number", "42", False),
            ("truncated", valid_text[: len(valid_text) // 2], False),
            ("trailing garbage", valid_text + "x", False), ("two objects", valid_text + valid_text, False),
            ("nested 10000 arrays", "[" * 10000 + "]" * 10000, False),
            ("nested arrays as a value", '{"state":' + "[" * 10000 + "]" * 10000 + "}", False),
            ("nested object", '{"state":{"a":1}}', False),
            ("NUL escape", '{"state":"\\u0000"}', False)]
    try:
        doc = json.loads(valid_text)
    except ValueError:
        return muts
    if not isinstance(doc, dict):
        return muts

    def dump(d):
        return json.dumps(d, separators=(",", ":"), allow_nan=False)

    def with_raw(key, raw):
        parts = [f"{json.dumps(k)}:{raw if k == key else json.dumps(v, separators=(',', ':'))}" for k, v in doc.items()]
        return "{" + ",".join(parts) + "}"

    first = next(iter(doc))
    muts.append(("duplicate key", valid_text[:-1] + "," + json.dumps(first) + ":" + json.dumps(doc[first]) + "}", False))
    muts.append(("unknown key", valid_text[:-1] + ',"zzz_unknown":1}', False))
    muts.append(("keys missing", dump({first: doc[first]}), False))
    if "version" in doc:
        for v in (2, 0, -1, "1"):
            d = dict(doc)
            d["version"] = v
            muts.append((f"version {v!r}", dump(d), False))
    for key, value in doc.items():
        if key == "version":
            continue
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, float)):
            for label, raw, nan in [("-1", "-1", False), ("int64 max", "9223372036854775807", False),
                                    ("int64 overflow", "99999999999999999999", False), ("1e308", "1e308", False),
                                    ("1e400", "1e400", False), ('"NaN"', '"NaN"', True), ("bare NaN", "NaN", True),
                                    ('"Infinity"', '"Infinity"', False), ("1.5", "1.5", False), ("null", "null", False),
                                    ("string", '"x"', False), ("array", "[1]", False)]:
                muts.append((f"{key} = {label}", with_raw(key, raw), nan))
        elif isinstance(value, list):
            for label, raw, nan in [("[]", "[]", False), ("[-1]", "[-1]", False), ("[null]", "[null]", False),
                                    ("nested", "[[1]]", False), ("scalar", "1", False), ('["NaN"]', '["NaN"]', True),
                                    ("longer", json.dumps(value + value[:1] + [1]), False),
                                    ("huge numbers", json.dumps([99999999999999999999] * max(1, len(value))), False),
                                    ("1e400", "[" + ",".join(["1e400"] * max(1, len(value))) + "]", False)]:
                muts.append((f"{key} = {label}", with_raw(key, raw), nan))
        elif isinstance(value, str):
            for label, raw in [('""', '""'), ("other", '"x"'), ("number", "1")]:
                muts.append((f"{key} = {label}", with_raw(key, raw), False))
    # every number at once: all zero (an empty state), all maximal, all -1
    for label, fn in [("all zero", lambda v: 0), ("all max", lambda v: 9223372036854775807 if isinstance(v, int) else 1.7976931348623157e308),
                      ("all -1", lambda v: -1), ("all tiny", lambda v: 1 if isinstance(v, int) else 5e-324)]:
        d = {}
        for k, v in doc.items():
            if k == "version" or isinstance(v, (bool, str)) or v is None:
                d[k] = v
            elif isinstance(v, (int, float)):
                d[k] = fn(v)
            elif isinstance(v, list):
                d[k] = [fn(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x for x in v]
            else:
                d[k] = v
        muts.append((label, dump(d), False))
    for name, other in other_valid_texts:
        muts.append((f"valid {name} text", other, False))
    return muts


# ---------------------------------------------------------------------------------------------------------
# Crash detection
# ---------------------------------------------------------------------------------------------------------

CRASH_RE = re.compile(r"terminated by signal|server process .* was terminated|was terminated by exception|"
                      r"exited abnormally|PANIC:")


def server_log_path(conn):
    """The server log: SM_SERVER_LOG, else pg_current_logfile(), else <data_directory>/server.log."""
    env = os.environ.get("SM_SERVER_LOG")
    if env:
        return env
    try:
        path = scalar(conn, "SELECT pg_current_logfile()")
        if path:
            if not os.path.isabs(path):
                path = os.path.join(scalar(conn, "SELECT current_setting('data_directory')"), path)
            return path
        d = scalar(conn, "SELECT current_setting('data_directory')")
        if d and os.path.exists(os.path.join(d, "server.log")):
            return os.path.join(d, "server.log")
    except psycopg2.Error:
        pass
    return None


class CrashWatch:
    """Remembers the postmaster start time, our backend pid and the log size; check() says what changed."""

    def __init__(self, conn):
        self.log = server_log_path(conn)
        self.start = scalar(conn, "SELECT pg_postmaster_start_time()")
        self.pid = scalar(conn, "SELECT pg_backend_pid()")
        self.offset = 0
        self.checks = 0
        if self.log:
            try:
                self.offset = os.path.getsize(self.log)
            except OSError:
                self.log = None

    def server_problems(self, conn):
        """A list of problems: connection lost, postmaster restarted, backend replaced."""
        self.checks += 1
        try:
            start, pid = query(conn, "SELECT pg_postmaster_start_time(), pg_backend_pid()")[0]
        except psycopg2.Error as e:
            return [f"connection lost: {str(e).strip()}"]
        problems = []
        if start != self.start:
            problems.append(f"postmaster restarted: started {self.start}, now {start}")
        if pid != self.pid:
            problems.append(f"backend pid changed from {self.pid} to {pid}")
        return problems

    def log_problems(self):
        """Crash lines written to the server log since we started (None when no log is readable)."""
        if not self.log:
            return None
        try:
            with open(self.log, "rb") as f:
                f.seek(self.offset)
                text = f.read().decode("utf-8", "replace")
        except OSError as e:
            return [f"cannot read {self.log}: {e}"]
        return [line for line in text.splitlines() if CRASH_RE.search(line)]


def run_sections(tap, conn, sections, data):
    """Runs oracle sections: each (generator function, planned checks) yields (ok, description, details) per
    check and gets (conn, data).  A section that raises reports its remaining checks as failed (with the
    traceback) and the run goes on, on a new connection when the backend died.  Returns the connection."""
    for fn, count in sections:
        t1 = time.time()
        done = 0
        try:
            for ok, desc, details in fn(conn, data):
                tap.result(bool(ok), desc, details if not ok else details[:4])
                done += 1
        except Exception as e:  # noqa: BLE001 - a section that dies reports its remaining checks as failed
            tb = traceback.format_exc().splitlines()
            msg = " ".join(str(e).split())[:200]
            for i in range(count - done):
                tap.result(False, f"{fn.__doc__.strip()} (aborted: {type(e).__name__}: {msg})",
                           tb[-8:] if i == 0 else [])
            done = count
            try:
                query(conn, "RESET ALL; SET client_min_messages = warning; SET extra_float_digits = 3")
            except psycopg2.Error:   # the backend died: go on with a new connection
                conn = connect()
        if done != count:
            for _ in range(count - done):
                tap.result(False, f"{fn.__doc__.strip()}: a check did not run")
        tap.comment(f"{fn.__doc__.strip()} {time.time() - t1:.1f} s")
    return conn


def main_guard(fn):
    """Runs a harness main(); an unexpected Python exception still yields a failing exit status."""
    try:
        sys.exit(fn())
    except Exception as e:  # noqa: BLE001 - report anything as a failure
        print(f"not ok - harness aborted: {type(e).__name__}: {e}", flush=True)
        import traceback
        for line in traceback.format_exc().splitlines():
            print(f"# {line}", flush=True)
        sys.exit(2)
