#!/usr/bin/python3
"""Hostile-input sweep of every supplymkt function (DESIGN.md quality bar: no input crashes the server).

Discovers every function of the extension (plain, aggregate, window, procedure; type I/O, transition,
combine and final functions included) and calls each with a grid of hostile values per argument type
(test/harness.py: type_grid, plus each state/model type's NULL, valid values built by its transition
function, and malformed JSON texts).  Up to 3 arguments and at most MAX_CALLS_FULL_PRODUCT calls: the full
cartesian product; beyond: every grid value once (the other arguments at their natural value), the
type-confusion pairs of input functions, and a seeded random sample of RANDOM_SAMPLE combinations.  After
SM_SWEEP_BUDGET seconds (default 100) the remaining functions get the coverage combinations only.
Aggregates run over VALUES rows built from the grid, window functions OVER ().  Receive functions (their
argument is `internal`) get hand-built malformed binary COPY streams (truncated, trailing bytes, wrong
version, overwritten counts and lengths).

Every call must succeed or fail with a SQLSTATE outside classes XX, 58 and 57P, not time out (10 s), and
carry a message; a successful float result may be NaN only when an input was NaN; a value accepted by a
receive function must round-trip through text.  The server must never restart (checked every 500 calls and
at the end) and its log (SM_SERVER_LOG, pg_current_logfile() or <data_directory>/server.log) must gain no
crash lines.  TAP: one line per function, then the crash checks.
"""
import decimal
import io
import itertools
import math
import os
import random
import re
import struct
import sys
import time

import psycopg2

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

STATEMENT_TIMEOUT = "10s"
CHECK_EVERY = 500
MAX_CALLS_FULL_PRODUCT = 5000     # calls per function up to which the full product is used (<= 3 arguments)
RANDOM_SAMPLE = 1000
MAX_DETAILS = 8
BUDGET_SECONDS = float(os.environ.get("SM_SWEEP_BUDGET", "100"))
NAN_RE = re.compile(r"(?<![A-Za-z])NaN(?![A-Za-z])")


class Sweep:
    def __init__(self):
        self.conn = None
        self.connect()
        self.watch = h.CrashWatch(self.conn)
        set_autocommit(self.conn, False)
        self.crashes = []          # problems seen by periodic checks or lost connections
        self.calls = 0
        self.t0 = time.time()

    def connect(self):
        deadline = time.time() + 60
        while True:
            try:
                self.conn = h.connect(autocommit=True)
                break
            except psycopg2.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(1)
        h.query(self.conn, f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
        h.query(self.conn, "SET lock_timeout = '5s'")

    def reconnect_after_crash(self, what):
        self.crashes.append(what)
        try:
            self.conn.close()
        except psycopg2.Error:
            pass
        time.sleep(2)
        self.connect()
        self.watch = h.CrashWatch(self.conn)   # new baseline, so later checks blame later calls
        set_autocommit(self.conn, False)

    def periodic_check(self, force=False):
        if not force and self.calls % CHECK_EVERY:
            return
        set_autocommit(self.conn, True)
        problems = self.watch.server_problems(self.conn)
        set_autocommit(self.conn, False)
        if problems:
            self.reconnect_after_crash(f"after call {self.calls}: " + "; ".join(problems))

    def run(self, sql, has_nan, copy_data=None, after_copy=None, post_sql=None):
        """Runs one call in a transaction that is rolled back.  Returns (status, detail): status 'ok',
        'error' (clean, detail = SQLSTATE) or 'fail' (detail = why)."""
        self.calls += 1
        status, detail = "ok", None
        try:
            with self.conn.cursor() as cur:
                if copy_data is not None:
                    cur.copy_expert(sql, io.BytesIO(copy_data))
                    rows = []
                    if after_copy:
                        cur.execute(after_copy)
                        rows = cur.fetchall()
                        bad = [r for r in rows if not r[1]]
                        if bad:
                            status, detail = "fail", f"accepted, but its text output does not read back: {bad[0][0]!r:.300}"
                else:
                    cur.execute(sql)
                    rows = cur.fetchmany(2000) if cur.description is not None else []
                    if post_sql:
                        try:
                            cur.execute(post_sql)
                            bad = [r for r in cur.fetchall() if not r[1]]
                            if bad:
                                status, detail = "fail", f"result does not read back through its type's text input: {bad[0][0]!r:.300}"
                        except psycopg2.Error as e:
                            if self.conn.closed or e.pgcode is None:
                                raise
                            status, detail = "fail", (f"result does not read back through its type's text input: "
                                                      f"{e.pgcode}: {(e.diag.message_primary or '')[:300]}")
                if status == "ok" and not has_nan:
                    for row in rows:
                        if any(contains_nan(v) for v in row):
                            status, detail = "fail", f"NaN result without a NaN input: {row!r:.300}"
                            break
        except psycopg2.Error as e:
            code = e.pgcode
            msg = (e.diag.message_primary or "") if e.diag else ""
            if self.conn.closed or code is None:
                status, detail = "fail", f"connection lost (server crash?): {str(e).strip()[:300]}"
                self.reconnect_after_crash(f"call {self.calls} lost the connection: {sql[:200]}")
                self.periodic_check(force=False)
                return status, detail
            if code.startswith("XX") or code.startswith("58") or code.startswith("57P"):
                status, detail = "fail", f"SQLSTATE {code} (internal/system error): {msg}"
            elif code == "57014":
                status, detail = "fail", f"SQLSTATE 57014: timed out after {STATEMENT_TIMEOUT} (hang?): {msg}"
            elif not msg.strip():
                status, detail = "fail", f"SQLSTATE {code} with an empty message"
            else:
                status, detail = "error", code
        finally:
            if not self.conn.closed:
                try:
                    self.conn.rollback()
                except psycopg2.Error:
                    pass
        self.periodic_check()
        return status, detail


def set_autocommit(conn, on):
    """Switches autocommit, ending any open transaction first (psycopg2 refuses inside one)."""
    if not conn.closed:
        conn.rollback()
        conn.autocommit = on


def contains_nan(v):
    if isinstance(v, float):
        return math.isnan(v)
    if isinstance(v, decimal.Decimal):
        return v.is_nan()
    if isinstance(v, (list, tuple)):
        return any(contains_nan(x) for x in v)
    if isinstance(v, str):
        return bool(NAN_RE.search(v))
    return False


# ---------------------------------------------------------------------------------------------------------
# Grids of the extension's own types
# ---------------------------------------------------------------------------------------------------------


def ext_type_values(conn, ext_types, aggs):
    """For each extension base type: (valid expressions, valid texts, problems)."""
    set_autocommit(conn, True)
    by_name = {t.name: t for t in ext_types}
    valid = {t.name: [] for t in ext_types}
    problems = {t.name: [] for t in ext_types}
    for agg in aggs:
        case = h.AGGREGATES.get(agg.key)
        if case is None or not case.sample_rows:
            continue
        if agg.stype in by_name:
            valid[agg.stype].append((f"valid ({agg.func.name} transfn)", h.nested_transfn_expr(agg, case.sample_rows)))
        if agg.func.rettype in by_name:
            cols = ", ".join(f"c{i + 1}" for i in range(len(agg.func.argtypes)))
            rows = ", ".join("(" + ", ".join(f"({v})::{t}" for v, t in zip(r, agg.func.argtypes)) + ")"
                             for r in case.sample_rows)
            valid[agg.func.rettype].append((f"valid ({agg.func.name} result)",
                                            f"(SELECT {agg.func.qualname}({cols}) FROM (VALUES {rows}) v({cols}))"))
    for tname, exprs in h.TYPE_VALUES.items():
        if tname in valid:
            valid[tname].extend((f"valid (TYPE_VALUES #{i + 1})", e) for i, e in enumerate(exprs))
    out = {}
    for t in ext_types:
        texts, exprs = [], []
        for label, expr in valid[t.name]:
            try:
                text = h.scalar(conn, f"SELECT ({expr})::text")
            except psycopg2.Error as e:
                problems[t.name].append(f"building {label} failed: {e.pgcode}: {str(e).strip()}")
                continue
            if text is None:
                problems[t.name].append(f"{label} is NULL")
                continue
            exprs.append(h.GridValue(label, f"({expr})"))
            texts.append(text)
        if not exprs:
            problems[t.name].append(f"no valid value known for {t.name}: give its aggregate sample_rows in "
                                    "test/harness.py (or add TYPE_VALUES)")
        out[t.name] = (exprs, texts, problems[t.name])
    set_autocommit(conn, False)
    return out


def ext_type_grid(t, ext_values, all_texts):
    exprs, texts, _ = ext_values[t.name]
    others = [(name, ts[0]) for name, (_, ts, _) in all_texts.items() if name != t.name and ts]
    grid = [h.GridValue("NULL", f"NULL::{t.name}")] + list(exprs)
    grid += [h.GridValue(f"valid text #{i + 1}", f"{h.sql_literal(x)}::{t.name}") for i, x in enumerate(texts)]
    if texts:
        for label, text, nan in h.json_state_mutations(texts[0], others):
            grid.append(h.GridValue(label, f"{h.sql_literal(text)}::{t.name}", nan))
    return grid


def cstring_grid_for_input(t, ext_values, all_texts):
    """Texts for a type input function: its valid texts first, then the mutations, then the text grid."""
    _, texts, _ = ext_values[t.name]
    others = [(name, ts[0]) for name, (_, ts, _) in all_texts.items() if name != t.name and ts]
    grid = [h.GridValue(f"valid text #{i + 1}", f"{h.sql_literal(x)}::cstring") for i, x in enumerate(texts)]
    if texts:
        grid += [h.GridValue(label, f"{h.sql_literal(text)}::cstring", nan)
                 for label, text, nan in h.json_state_mutations(texts[0], others)]
    return grid + [g for g in h.type_grid("cstring") if g.label != "NULL"] + [h.GridValue("NULL", "NULL::cstring")]


# ---------------------------------------------------------------------------------------------------------
# Calls
# ---------------------------------------------------------------------------------------------------------


def combos(grids, natural, rng, max_calls_full, per_combo_calls=1, extra=()):
    """Index tuples into the grids: the full product when small, else coverage (every value once with the
    others natural, the `extra` combinations) plus a seeded random sample."""
    sizes = [len(g) for g in grids]
    total = math.prod(sizes) if sizes else 1
    if not grids:
        return [()]
    if len(grids) <= 3 and total * per_combo_calls <= max_calls_full:
        return list(itertools.product(*[range(s) for s in sizes]))
    chosen = []
    seen = set()

    def add(c):
        c = tuple(c)
        if c not in seen:
            seen.add(c)
            chosen.append(c)

    add(natural)
    add([0 if g[0].label == "NULL" else n for g, n in zip(grids, natural)])
    for c in extra:
        add(c)
    for i, s in enumerate(sizes):
        for j in range(s):
            c = list(natural)
            c[i] = j
            add(c)
    target = len(chosen) + min(RANDOM_SAMPLE, total - len(chosen))
    attempts = 0
    while len(chosen) < target and attempts < 20 * RANDOM_SAMPLE:
        attempts += 1
        add([rng.randrange(s) for s in sizes])
    return chosen


def natural_index(grid):
    for i, g in enumerate(grid):
        if g.label != "NULL":
            return i
    return 0


def call_sqls(func, values, ext_types_by_name):
    """(statement, follow-up check) pairs of one combination (several row sets for aggregates and window
    functions).  A result of one of the extension's own types must read back through its text input."""
    sqls = _call_sqls(func, values)
    if func.rettype in ext_types_by_name and func.kind != "p":
        t = func.rettype
        return [(q, f"SELECT x::text, x::text::{t}::text IS NOT DISTINCT FROM x::text FROM ({q}) s(x)") for q in sqls]
    return [(q, None) for q in sqls]


def _call_sqls(func, values):
    args = ", ".join(("VARIADIC " if func.variadic and i == len(values) - 1 else "") + v.sql
                     for i, v in enumerate(values))
    if func.kind == "p":
        return [f"CALL {func.qualname}({args})"]
    if func.kind in ("a", "w"):
        n = len(values)
        cols = ", ".join(f"c{i + 1}" for i in range(n))
        call = f"{func.qualname}({cols})" if n else f"{func.qualname}(*)"
        if func.variadic and n:
            call = f"{func.qualname}({', '.join(f'c{i + 1}' for i in range(n - 1))}{', ' if n > 1 else ''}VARIADIC c{n})"
        over = " OVER ()" if func.kind == "w" else ""
        if n == 0:
            return [f"SELECT {func.qualname}(*){over} FROM generate_series(1, 3)"]
        row = "(" + ", ".join(v.sql for v in values) + ")"
        nat = "(" + ", ".join(v.sql for v in func._natural) + ")"
        nulls = "(" + ", ".join(f"NULL::{t}" for t in func.argtypes) + ")"
        return [f"SELECT {call}{over} FROM (VALUES {rows}) v({cols})"
                for rows in (row, f"{row}, {row}, {row}", f"{nat}, {row}, {nulls}")]
    if func.retset:
        return [f"SELECT * FROM {func.qualname}({args}) LIMIT 2000"]
    return [f"SELECT {func.qualname}({args})"]


def binary_mutations(payload):
    """(label, bytes) malformed variants of a valid binary value."""
    muts = []
    n = len(payload)
    for k in sorted({0, 1, 2, 3, n // 2, n - 8, n - 1}):
        if 0 <= k < n:
            muts.append((f"truncated to {k} bytes", payload[:k]))
    muts += [("one trailing byte", payload + b"\x00"), ("trailing garbage", payload + b"\xff" * 9)]
    if n:
        muts += [(f"version byte {v}", bytes([v]) + payload[1:]) for v in (0, 2, 255)]
    words = [(b"\xff" * 8, "-1"), (b"\x7f" + b"\xff" * 7, "int64 max"), (b"\x80" + b"\x00" * 7, "int64 min"),
             (struct.pack("!d", float("nan")), "NaN"), (struct.pack("!d", float("inf")), "Infinity"),
             (struct.pack("!q", 1 << 24), "2^24"), (struct.pack("!q", 1 << 62), "2^62")]
    for o in range(0, max(0, n - 7)):
        for w, label in words:
            muts.append((f"bytes {o}..{o + 7} = {label}", payload[:o] + w + payload[o + 8:]))
    for o in range(0, max(0, n - 3)):
        for w, label in [(b"\x7f\xff\xff\xff", "int32 max"), (b"\xff\xff\xff\xff", "int32 -1")]:
            muts.append((f"bytes {o}..{o + 3} = {label}", payload[:o] + w + payload[o + 4:]))
    for o in range(n):
        muts.append((f"byte {o} = 0xff", payload[:o] + b"\xff" + payload[o + 1:]))
    return muts


def sweep_receive(sw, t, ext_values):
    """Malformed binary input to a type's receive function through binary COPY."""
    exprs, texts, problems = ext_values[t.name]
    fails = list(problems)
    counts = {"ok": 0, "error": 0, "fail": 0}
    codes = {}
    set_autocommit(sw.conn, True)
    h.query(sw.conn, "DROP TABLE IF EXISTS pg_temp.h_recv")
    h.query(sw.conn, f"CREATE TEMP TABLE h_recv (s {t.name})")
    payloads = []
    for g in exprs:
        try:
            payloads.append(bytes(h.scalar(sw.conn, f"SELECT {t.typsend}({g.sql})")))
        except psycopg2.Error as e:
            fails.append(f"{t.typsend}({g.label}) failed: {e.pgcode}: {str(e).strip()}")
    set_autocommit(sw.conn, False)
    after = f"SELECT s::text, s::text::{t.name}::text IS NOT DISTINCT FROM s::text FROM h_recv"
    cases = [("valid", p, False) for p in payloads]
    for p in payloads[:2]:
        cases += [(label, m, "NaN" in label) for label, m in binary_mutations(p)]
        # binary COPY framing: a field length longer than the data, and a negative one
        cases.append(("COPY field length + 5", None, False))
    cases.append(("empty value", b"", False))
    for label, data, nan in cases:
        if data is None:
            p = payloads[0]
            stream = (h.COPY_SIGNATURE + struct.pack("!ii", 0, 0) + struct.pack("!hi", 1, len(p) + 5) + p
                      + struct.pack("!h", -1))
        else:
            stream = h.binary_copy_file([[data]])
        status, detail = sw.run("COPY h_recv FROM STDIN (FORMAT binary)", nan, copy_data=stream, after_copy=after)
        if label == "valid" and status != "ok":
            status, detail = "fail", f"a valid value was rejected: {detail}"
        counts[status] += 1
        if status == "error":
            codes[detail] = codes.get(detail, 0) + 1
        elif status == "fail":
            fails.append(f"{label}: {detail} [payload {data.hex() if data is not None else ''}]")
    return counts, codes, fails


def main():
    sw = Sweep()
    conn = sw.conn
    set_autocommit(conn, True)
    funcs = h.discover_functions(conn)
    aggs = h.discover_aggregates(conn)
    ext_types = h.discover_base_types(conn)
    set_autocommit(conn, False)
    types_by_name = {t.name: t for t in ext_types}
    recv_of = {t.typreceive: t for t in ext_types}
    input_of = {t.typinput: t for t in ext_types}
    ext_values = ext_type_values(conn, ext_types, aggs)
    grids_by_type = {t.name: ext_type_grid(t, ext_values, ext_values) for t in ext_types}
    tap = h.Tap(len(funcs) + 2)
    tap.comment(f"{len(funcs)} functions, {len(aggs)} aggregates, {len(ext_types)} extension types; "
                f"log: {sw.watch.log or 'not readable'}")
    rng = random.Random(20240101)
    for func in funcs:
        t_start = time.time()
        calls_before = sw.calls
        problems, notes = [], []
        if func.name in h.FUNCTION_NOTES:
            notes.append(h.FUNCTION_NOTES[func.name])
        if func.kind == "a":
            case = h.AGGREGATES.get(func.key)
            if case is None:
                problems.append(f"aggregate {func.key} has no case in test/harness.py AGGREGATES")
            elif case.notes:
                notes.append(case.notes)
        short = func.qualname.split(".")[-1]
        # receive functions: malformed binary through COPY
        if "internal" in func.argtypes:
            t = recv_of.get(func.qualname) or recv_of.get(short)
            if t is None:
                tap.result(True, f"{func.signature}", [], skip="an internal argument cannot be built in SQL")
                continue
            counts, codes, fails = sweep_receive(sw, t, ext_values)
            problems += fails
            desc = (f"{func.signature}: {sum(counts.values())} binary COPY inputs to {t.name} "
                    f"({counts['ok']} accepted and round-tripped, {counts['error']} clean errors "
                    f"{dict(sorted(codes.items()))}) in {time.time() - t_start:.1f} s")
            tap.result(not problems, desc, problems[:MAX_DETAILS] + (["..."] if len(problems) > MAX_DETAILS else []))
            continue
        # argument grids
        grids = []
        is_input = (func.qualname in input_of or short in input_of) and func.argtypes[:1] == ["cstring"]
        in_type = (input_of.get(func.qualname) or input_of.get(short)) if is_input else None
        overrides = h.FUNCTION_GRIDS.get(func.name, {})
        for i, typ in enumerate(func.argtypes):
            over = overrides.get(func.argnames[i]) if func.argnames[i] in overrides else overrides.get(i)
            if over is not None:
                grids.append([h.GridValue(x, f"({x})::{typ}") for x in over])
                notes.append(f"argument {func.argnames[i] or i} uses the grid of FUNCTION_GRIDS")
            elif typ in grids_by_type:
                grids.append(grids_by_type[typ])
            elif in_type is not None and i == 0:
                grids.append(cstring_grid_for_input(in_type, ext_values, ext_values))
            elif typ == "oid" and in_type is not None:
                others = [x for x in ext_types if x.oid != in_type.oid]
                grids.append([h.GridValue("own type", f"{in_type.oid}::oid"), h.GridValue("NULL", "NULL::oid"),
                              h.GridValue("0", "0::oid"), h.GridValue("int4", "'int4'::regtype::oid")]
                             + [h.GridValue(f"{x.name}", f"{x.oid}::oid") for x in others])
            elif typ == "integer" and in_type is not None and i == 2:
                grids.append([h.GridValue("-1", "(-1)::integer")] + h.type_grid("integer"))
            else:
                g = h.type_grid(typ)
                if g is None:
                    notes.append(f"no grid for argument type {typ}: called with NULL only")
                    g = [h.GridValue("NULL", f"NULL::{typ}")]
                grids.append(g)
        natural = [natural_index(g) for g in grids]
        extra = []
        if in_type is not None and len(grids) == 3:
            # another state type's valid text with that type's oid: the type-confusion case
            labels = [g.label for g in grids[0]]
            oid_labels = [g.label for g in grids[1]]
            for x in ext_types:
                if f"valid {x.name} text" in labels and x.name in oid_labels:
                    extra.append((labels.index(f"valid {x.name} text"), oid_labels.index(x.name), natural[2]))
        func._natural = [g[n] for g, n in zip(grids, natural)]
        per_combo = 3 if func.kind in ("a", "w") else 1
        budget_left = BUDGET_SECONDS - (time.time() - sw.t0)
        if budget_left > 0:
            chosen = combos(grids, natural, rng, MAX_CALLS_FULL_PRODUCT, per_combo, extra)
        else:
            chosen = combos(grids, natural, rng, 0, per_combo)[: 1 + sum(len(g) for g in grids)]
            notes.append("time budget spent: coverage combinations only")
        counts = {"ok": 0, "error": 0, "fail": 0}
        codes = {}
        failures = {}   # kind of failure (numbers masked) -> [count, first example]
        timeouts = 0
        for combo in chosen:
            values = [g[j] for g, j in zip(grids, combo)]
            has_nan = any(v.nan for v in values) or (func.kind in ("a", "w") and any(v.nan for v in func._natural))
            for sql, post in call_sqls(func, values, types_by_name):
                status, detail = sw.run(sql, has_nan, post_sql=post)
                counts[status] += 1
                if status == "error":
                    codes[detail] = codes.get(detail, 0) + 1
                elif status == "fail":
                    if "57014" in str(detail):
                        timeouts += 1
                    kind = re.sub(r"\d+", "N", re.sub(r"'.*?'|\".*?\"|type \S+", "...", str(detail)))[:160]
                    entry = failures.setdefault(kind, [0, f"{func.qualname}({', '.join(v.label for v in values)}): {detail}"])
                    entry[0] += 1
            if timeouts >= 3:
                problems.append("3 calls timed out: the rest of this function's grid was skipped")
                break
        for kind, (count, example) in sorted(failures.items(), key=lambda x: -x[1][0])[:MAX_DETAILS]:
            problems.append(f"{count} x {example}")
        if len(failures) > MAX_DETAILS:
            problems.append(f"... and {len(failures) - MAX_DETAILS} more kinds of failure")
        n = sum(counts.values())
        desc = (f"{func.signature}: {n} calls over {len(chosen)} combinations ({counts['ok']} succeeded, "
                f"{counts['error']} clean errors {dict(sorted(codes.items()))}) in {time.time() - t_start:.1f} s")
        if counts["fail"]:
            problems.insert(0, f"{counts['fail']} failing calls")
        details = problems + [f"note: {x}" for x in notes] if problems else [f"note: {x}" for x in notes]
        tap.result(not problems, desc, details)
        assert sw.calls - calls_before == n
    sw.periodic_check(force=True)
    tap.result(not sw.crashes, f"server never restarted and the connection survived "
                               f"({sw.watch.checks} checks over {sw.calls} calls)", sw.crashes)
    log = sw.watch.log_problems()
    if log is None:
        tap.result(True, "server log has no crash lines", skip="no readable server log (set SM_SERVER_LOG)")
    else:
        tap.result(not log, f"server log {sw.watch.log} has no crash lines", log[:10])
    tap.comment(f"{sw.calls} calls in {time.time() - sw.t0:.1f} s")
    return tap.finish()


if __name__ == "__main__":
    h.main_guard(main)
