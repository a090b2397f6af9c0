#!/usr/bin/env bash
# bench/turnover.sh — how fast supplymkt.inventory_turnover is next to the plain SQL it replaces.
#
# Run as root from anywhere: bash bench/turnover.sh
# Builds and installs supplymkt (set SM_BENCH_NO_INSTALL=1 to use what is installed), starts a throwaway
# cluster on port 5493 (/tmp/sm-bench), loads SM_BENCH_PRODUCTS x SM_BENCH_DAYS inventory snapshot rows
# (default 10,000 x 1,000 = 10 million; columns product_id bigint, cogs float8, inventory_value float8),
# VACUUM ANALYZEs it, and times
#     SELECT product_id, supplymkt.inventory_turnover(cogs, inventory_value) FROM t GROUP BY product_id
#     SELECT product_id, sum(cogs) / avg(inventory_value)                   FROM t GROUP BY product_id
# serially (max_parallel_workers_per_gather = 0) and with 4 parallel workers, each the best of
# SM_BENCH_RUNS (default 5) runs after one warm-up run, alternating the two queries.  Time is the
# "Execution Time" of EXPLAIN (ANALYZE, TIMING OFF): the server's time to run the whole query, without
# sending the 10,000 result rows to the client.  JIT is off (SM_BENCH_JIT=on to keep PostgreSQL's default:
# then JIT compilation time, the same for both queries, is part of every run).  It checks that both
# queries give the same answers, shows the parallel plans, and prints
#     | query | workers | supplymkt ms | plain SQL ms | ratio |
# SM_BENCH_NUMERIC=1 adds a numeric-column variant (the canonical inventory_snapshots.inventory_value is
# numeric): inventory_turnover(cogs::float8, inventory_value::float8) against sum/avg in numeric.
# SM_BENCH_KEEP=1 leaves the cluster running.  Takes about 3 minutes on 2 cores.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/lib.sh

DIR=/tmp/sm-bench
PORT=5493
PRODUCTS=${SM_BENCH_PRODUCTS:-10000}
DAYS=${SM_BENCH_DAYS:-1000}
RUNS=${SM_BENCH_RUNS:-5}
JIT=${SM_BENCH_JIT:-off}
NUMERIC=${SM_BENCH_NUMERIC:-0}

[ "$(id -u)" -eq 0 ] || sm_die "run as root (the cluster runs as the postgres user)"
[ -n "${SM_BENCH_NO_INSTALL:-}" ] || sm_build_install
sm_say "starting a throwaway cluster in $DIR on port $PORT"
# shared_buffers holds the whole table (about 500 MB), so the runs measure aggregation, not I/O.
sm_start_cluster $DIR $PORT "shared_buffers = 2GB" "work_mem = 256MB" "jit = $JIT"
[ -n "${SM_BENCH_KEEP:-}" ] || trap 'sm_stop_cluster $DIR' EXIT

psql_q() { psql -X -q -v ON_ERROR_STOP=1 -h /tmp -p $PORT -U postgres -d postgres "$@"; }
psql_at() { psql_q -At "$@"; }

echo
echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GB"
echo "PostgreSQL: $(psql_at -c 'SELECT version()')"
echo "supplymkt: $(psql_at -c 'CREATE EXTENSION supplymkt' -c "SELECT extversion FROM pg_extension WHERE extname = 'supplymkt'")"
echo "settings: $(psql_at -c "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings
	WHERE name IN ('shared_buffers', 'work_mem', 'jit', 'max_worker_processes', 'max_parallel_workers')")"

echo
echo "== data: $PRODUCTS products x $DAYS days = $((PRODUCTS * DAYS)) rows; columns product_id bigint, cogs float8, inventory_value float8"
start=$SECONDS
# One row per product and day, stored day by day (as daily snapshots arrive), so every product's rows are
# spread over the whole table.  Deterministic: setseed.
psql_q >/dev/null <<SQL
SELECT setseed(0.42);
CREATE TABLE t (product_id bigint NOT NULL, cogs float8, inventory_value float8);
INSERT INTO t
SELECT p, round((random() * 200)::numeric, 2)::float8, round((500 + random() * 4500)::numeric, 2)::float8
  FROM generate_series(1, $DAYS) d, generate_series(1, $PRODUCTS) p;
VACUUM ANALYZE t;
SQL
if [ "$NUMERIC" = 1 ]; then
	psql_q <<SQL
CREATE TABLE tn AS SELECT product_id, cogs::numeric(12, 2) AS cogs, inventory_value::numeric(12, 2) AS inventory_value FROM t;
VACUUM ANALYZE tn;
SQL
fi
echo "loaded in $((SECONDS - start)) s; table size $(psql_at -c "SELECT pg_size_pretty(pg_table_size('t'))")"
# 4 workers: by table size alone the planner would pick 3 for ~500 MB; ask for 4 explicitly.
psql_q -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" -c "ALTER TABLE t SET (parallel_workers = 4)" \
	-c "SELECT pg_prewarm('t')" >/dev/null
if [ "$NUMERIC" = 1 ]; then
	psql_q -c "ALTER TABLE tn SET (parallel_workers = 4)" -c "SELECT pg_prewarm('tn')" >/dev/null
fi

SERIAL="SET max_parallel_workers_per_gather = 0;"
PARALLEL="SET max_parallel_workers_per_gather = 4; SET max_parallel_workers = 8;"

ours() { echo "SELECT product_id, supplymkt.inventory_turnover(cogs${2:-}, inventory_value${2:-}) AS turnover FROM $1 GROUP BY product_id"; }
plain() { echo "SELECT product_id, sum(cogs) / avg(inventory_value) AS turnover FROM $1 GROUP BY product_id"; }

# Execution time in ms of one EXPLAIN (ANALYZE, TIMING OFF) run.
exec_ms() {
	local settings=$1 query=$2
	psql_at -c "$settings" -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $query" |
		/usr/bin/python3 -c 'import json, sys; print("%.1f" % json.load(sys.stdin)[0]["Execution Time"])'
}

# Best of $RUNS runs of each query after one warm-up each, alternating the two queries.
best_pair() {
	local settings=$1 q1=$2 q2=$3 b1="" b2="" t
	exec_ms "$settings" "$q1" >/dev/null
	exec_ms "$settings" "$q2" >/dev/null
	for _ in $(seq "$RUNS"); do
		t=$(exec_ms "$settings" "$q1")
		b1=$(/usr/bin/python3 -c "print(min(float('$t'), float('${b1:-inf}')))")
		t=$(exec_ms "$settings" "$q2")
		b2=$(/usr/bin/python3 -c "print(min(float('$t'), float('${b2:-inf}')))")
	done
	echo "$b1 $b2"
}

# The parallel plan and the number of workers actually launched.
show_plan() {
	local settings=$1 query=$2
	psql_at -c "$settings" -c "EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) $query" |
		grep -vE '^(Planning|Execution) Time' | sed 's/^/    /'
}

# Both queries agree: same groups, relative difference below 1e-12.
check_same() {
	local settings=$1 q1=$2 q2=$3
	psql_at -F ' ' -c "$settings" -c "SELECT count(*), count(*) FILTER (WHERE a.turnover IS DISTINCT FROM b.turnover
			AND NOT abs(a.turnover - b.turnover) <= 1e-12 * abs(b.turnover)),
		       coalesce(max(abs(a.turnover - b.turnover) / nullif(abs(b.turnover), 0)), 0)
		  FROM ($q1) a FULL JOIN ($q2) b USING (product_id)"
}

rows=()
verify=()
bench_case() {
	local label=$1 workers=$2 settings=$3 q1=$4 q2=$5 times same
	times=$(best_pair "$settings" "$q1" "$q2")
	same=$(check_same "$settings" "$q1" "$q2")
	rows+=("$label|$workers|${times% *}|${times#* }")
	verify+=("$label, $workers workers: $same")
}

echo
echo "== timing (best of $RUNS after a warm-up; EXPLAIN (ANALYZE, TIMING OFF) execution time; jit = $JIT)"
bench_case "GROUP BY product_id, float8 columns" 0 "$SERIAL" "$(ours t)" "$(plain t)"
bench_case "GROUP BY product_id, float8 columns" 4 "$PARALLEL" "$(ours t)" "$(plain t)"
if [ "$NUMERIC" = 1 ]; then
	bench_case "GROUP BY product_id, numeric columns (ours casts to float8)" 0 "$SERIAL" "$(ours tn ::float8)" "$(plain tn)"
	bench_case "GROUP BY product_id, numeric columns (ours casts to float8)" 4 "$PARALLEL" "$(ours tn ::float8)" "$(plain tn)"
fi

echo
echo "== same answers (groups, groups differing by more than 1e-12 relative, largest relative difference)"
fail=0
for v in "${verify[@]}"; do
	echo "$v"
	read -r -a f <<<"${v##*: }"
	[ "${f[0]}" -eq "$PRODUCTS" ] && [ "${f[1]}" -eq 0 ] || fail=1
done
[ $fail -eq 0 ] && echo "OK: both queries agree on every product" || echo "MISMATCH: the two queries disagree"

echo
echo "== parallel plans (max_parallel_workers_per_gather = 4)"
echo "-- supplymkt:"
show_plan "$PARALLEL" "$(ours t)"
echo "-- plain SQL:"
show_plan "$PARALLEL" "$(plain t)"

echo
echo "== result: $((PRODUCTS * DAYS)) rows, $PRODUCTS groups; columns float8$([ "$NUMERIC" = 1 ] && echo ' (and numeric where marked)')"
echo "| query | workers | supplymkt ms | plain SQL ms | ratio |"
echo "|---|---|---|---|---|"
worst=0
for r in "${rows[@]}"; do
	IFS='|' read -r label workers a b <<<"$r"
	ratio=$(/usr/bin/python3 -c "print('%.2f' % ($a / $b))")
	printf '| %s | %s | %.1f | %.1f | %s |\n' "$label" "$workers" "$a" "$b" "$ratio"
	[ "$label" = "GROUP BY product_id, float8 columns" ] && worst=$(/usr/bin/python3 -c "print(max($worst, $ratio))")
done
echo
echo "target: ratio <= 1.3 for the float8 rows; worst measured: $worst"
[ $fail -eq 0 ]
