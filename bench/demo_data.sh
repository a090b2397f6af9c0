#!/usr/bin/env bash
# bench/demo_data.sh — how fast supplymkt.generate_demo_data writes the 15 canonical relations, next to the
# plain SQL an analyst would write for random order lines.
#
# Run as root from anywhere: bash bench/demo_data.sh
# Builds and installs supplymkt (set SM_BENCH_NO_INSTALL=1 to use what is installed), starts a throwaway
# cluster (SM_BENCH_PORT, default 5496; SM_BENCH_DIR, default /tmp/sm-bench-demo; shared_buffers 1GB, JIT off;
# tools/lib.sh sets fsync, synchronous_commit and full_page_writes off) and, for three sizes
#     small  5,000 customers,   500 products, 365 days (the default call)
#     mid   20,000 customers, 2,000 products, 365 days
#     large 200,000 customers, 2,000 products, 365 days
# times, wall clock inside one psql session (clock_timestamp() before the statement and after its commit):
#   supplymkt:  SELECT count(*), sum(rows) FROM supplymkt.generate_demo_data('bd', C, P, 365)
#               into a fresh schema: all 15 relations, primary keys, ANALYZE (statistics target 10)
#   plain SQL:  in one transaction, CREATE TABLE ol (order_id bigint, product_id bigint, quantity int,
#               unit_price numeric); INSERT INTO ol SELECT ... FROM generate_series(1, N) with random()
#               (setseed first), as many order lines as supplymkt made; ANALYZE ol; COMMIT.  One relation of
#               random values, no other tables, no keys, no realism: a floor, not a like-for-like alternative.
# Before every run, outside the timing: DROP SCHEMA bd CASCADE, DROP TABLE ol, CHECKPOINT.  Each is the median
# of SM_BENCH_RUNS (default 5; SM_BENCH_LARGE_RUNS, default 3, for the large size) runs after one warm-up run,
# alternating the two.  It checks that every run returns 15 relations and the same row counts (same seed,
# same data), shows where the time of one small call goes (fill, primary key, ANALYZE per relation), and prints
#     | size | order lines | rows (15 relations) | supplymkt ms | order lines/s | rows/s | plain SQL ... ms | ratio |
# SM_BENCH_SIZES (default "small mid large") picks the sizes.  SM_BENCH_KEEP=1 leaves the cluster running.
# Takes under a minute on 2 cores.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/lib.sh

DIR=${SM_BENCH_DIR:-/tmp/sm-bench-demo}
PORT=${SM_BENCH_PORT:-5496}
RUNS=${SM_BENCH_RUNS:-5}
LARGE_RUNS=${SM_BENCH_LARGE_RUNS:-3}
SIZES=${SM_BENCH_SIZES:-small mid large}
DAYS=365

declare -A CUSTOMERS=([small]=5000 [mid]=20000 [large]=200000)
declare -A PRODUCTS=([small]=500 [mid]=2000 [large]=2000)
for s in $SIZES; do [ -n "${CUSTOMERS[$s]:-}" ] || sm_die "unknown size '$s' in SM_BENCH_SIZES (small, mid, large)"; done

[ "$(id -u)" -eq 0 ] || sm_die "run as root (the cluster runs as the postgres user)"
[ -n "${SM_BENCH_NO_INSTALL:-}" ] || sm_build_install
sm_say "starting a throwaway cluster in $DIR on port $PORT"
sm_start_cluster "$DIR" "$PORT" "shared_buffers = 1GB" "jit = off"
[ -n "${SM_BENCH_KEEP:-}" ] || trap 'sm_stop_cluster "$DIR"' EXIT

export PGOPTIONS="-c client_min_messages=warning"
psql_q() { psql -X -q -v ON_ERROR_STOP=1 -h /tmp -p "$PORT" -U postgres -d postgres "$@"; }
psql_at() { psql_q -At "$@"; }

echo
echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GB"
echo "PostgreSQL: $(psql_at -c 'SELECT version()')"
echo "supplymkt: $(psql_at -c 'CREATE EXTENSION supplymkt' -c "SELECT extversion FROM pg_extension WHERE extname = 'supplymkt'")"
echo "settings: $(psql_at -c "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings
	WHERE name IN ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'jit', 'fsync', 'synchronous_commit',
	               'full_page_writes', 'default_statistics_target')")"

# One timed supplymkt run: prints "ms relations rows order_lines orders".
run_ours() {
	local c=$1 p=$2
	psql_at -F ' ' <<SQL
DROP SCHEMA IF EXISTS bd CASCADE;
DROP TABLE IF EXISTS ol;
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) AS rels, sum(rows) AS all_rows FROM supplymkt.generate_demo_data('bd', $c, $p, $DAYS) \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000, 1) AS ms \gset
SELECT :ms, :rels, :all_rows, (SELECT count(*) FROM bd.order_items), (SELECT count(*) FROM bd.orders);
SQL
}

# One timed plain-SQL run making N order lines in ORDERS orders over P products: prints "ms rows".
run_plain() {
	local n=$1 orders=$2 p=$3
	psql_at -F ' ' <<SQL
DROP SCHEMA IF EXISTS bd CASCADE;
DROP TABLE IF EXISTS ol;
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
BEGIN;
SELECT setseed(0.42) \g /dev/null
CREATE TABLE ol (order_id bigint, product_id bigint, quantity int, unit_price numeric);
INSERT INTO ol
SELECT 1 + (g - 1) * $orders / $n, 1 + floor(random() * $p)::bigint, 1 + floor(random() * 3)::int,
       round((2 + random() * 98)::numeric, 2)
  FROM generate_series(1::bigint, $n) AS g;
ANALYZE ol;
COMMIT;
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000, 1) AS ms \gset
SELECT :ms, (SELECT count(*) FROM ol);
SQL
}

median() { /usr/bin/python3 -c 'import statistics, sys; print("%.1f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

results=()
fail=0
for size in $SIZES; do
	c=${CUSTOMERS[$size]}
	p=${PRODUCTS[$size]}
	runs=$RUNS
	[ "$size" = large ] && runs=$LARGE_RUNS
	echo
	echo "== $size: $c customers, $p products, $DAYS days (median of $runs after a warm-up)"
	read -r ms rels all_rows lines orders <<<"$(run_ours "$c" "$p")"
	echo "warm-up supplymkt: $ms ms; $rels relations, $all_rows rows, $lines order lines in $orders orders"
	read -r pms prows <<<"$(run_plain "$lines" "$orders" "$p")"
	echo "warm-up plain SQL: $pms ms; $prows order lines"
	ours=()
	plain=()
	for r in $(seq "$runs"); do
		read -r ms rels2 all_rows2 lines2 orders2 <<<"$(run_ours "$c" "$p")"
		read -r pms prows <<<"$(run_plain "$lines" "$orders" "$p")"
		echo "run $r: supplymkt $ms ms, plain SQL $pms ms"
		ours+=("$ms")
		plain+=("$pms")
		if [ "$rels2" != 15 ] || [ "$all_rows2 $lines2 $orders2" != "$all_rows $lines $orders" ] || [ "$prows" != "$lines" ]; then
			echo "MISMATCH: run $r gave $rels2 relations, $all_rows2 rows, $lines2 order lines, $orders2 orders; plain SQL $prows lines"
			fail=1
		fi
	done
	[ "$rels" = 15 ] || { echo "MISMATCH: $rels relations, not 15"; fail=1; }
	m=$(median "${ours[@]}")
	pm=$(median "${plain[@]}")
	results+=("$size|$c|$p|$lines|$all_rows|$m|$pm")
done

# Where the time of one call goes: the same steps as generate_demo_data (fill, primary key, ANALYZE with
# statistics target 10), relation by relation, for the first size, into schema bx with bd's columns.
first=${SIZES%% *}
echo
echo "== where the time goes: one $first call, step by step (ms; same steps as generate_demo_data, one transaction)"
read -r _ _ _ _ _ <<<"$(run_ours "${CUSTOMERS[$first]}" "${PRODUCTS[$first]}")"
psql_q <<SQL
SET default_statistics_target = 10;
CREATE TEMP TABLE steps (ord int, relation text, rows bigint, fill_ms numeric, key_ms numeric, analyze_ms numeric);
DO \$\$
DECLARE
    r record;
    t timestamptz;
    n bigint;
    f numeric;
    k numeric;
    key text;
    cols text;
BEGIN
    CREATE SCHEMA bx;
    FOR r IN SELECT c.oid, c.relname::text AS name, row_number() OVER (ORDER BY c.oid) AS ord
               FROM pg_class c WHERE c.relnamespace = 'bd'::regnamespace AND c.relkind = 'r' ORDER BY c.oid LOOP
        -- bd's column names and types, without the NOT NULL its primary key added (demo_fill wants a bare table)
        SELECT string_agg(format('%I %s', attname, format_type(atttypid, atttypmod)), ', ' ORDER BY attnum) INTO cols
          FROM pg_attribute WHERE attrelid = r.oid AND attnum > 0 AND NOT attisdropped;
        EXECUTE format('CREATE TABLE bx.%I (%s)', r.name, cols);
        t := clock_timestamp();
        n := supplymkt.demo_fill(format('bx.%I', r.name)::regclass, r.name, ${CUSTOMERS[$first]}, ${PRODUCTS[$first]}, $DAYS, 42, '2024-01-01');
        f := extract(epoch FROM clock_timestamp() - t) * 1000;
        SELECT pg_get_constraintdef(oid) INTO key FROM pg_constraint WHERE conrelid = r.oid AND contype = 'p';
        t := clock_timestamp();
        IF key IS NOT NULL THEN
            EXECUTE format('ALTER TABLE bx.%I ADD %s', r.name, key);
        END IF;
        k := extract(epoch FROM clock_timestamp() - t) * 1000;
        t := clock_timestamp();
        EXECUTE format('ANALYZE bx.%I', r.name);
        INSERT INTO steps VALUES (r.ord, r.name, n, f, k, extract(epoch FROM clock_timestamp() - t) * 1000);
    END LOOP;
    DROP SCHEMA bx CASCADE;
END
\$\$;
SELECT relation, rows, fill_ms, key_ms, analyze_ms, fill_ms + key_ms + analyze_ms AS total_ms
  FROM (SELECT relation, rows, round(fill_ms, 1) AS fill_ms, round(key_ms, 1) AS key_ms, round(analyze_ms, 1) AS analyze_ms, 0 AS last
          FROM steps
         UNION ALL
        SELECT '(all 15)', sum(rows), round(sum(fill_ms), 1), round(sum(key_ms), 1), round(sum(analyze_ms), 1), 1
          FROM steps) s
 ORDER BY last, rows DESC;
SQL

echo
echo "== result: supplymkt writes all 15 relations (keys, ANALYZE); plain SQL writes the order lines only, as one"
echo "   table of random values (no customers, products, orders, inventory, keys or realism): a floor, not an equal"
echo "| size | order lines | rows (15 relations) | supplymkt ms | order lines/s | rows/s | plain SQL INSERT ... SELECT of the order lines only, ms | ratio |"
echo "|---|---|---|---|---|---|---|---|"
for r in "${results[@]}"; do
	IFS='|' read -r size c p lines all_rows m pm <<<"$r"
	/usr/bin/python3 -c "
size, c, p, days, lines, rows, m, pm = '$size', $c, $p, $DAYS, $lines, $all_rows, $m, $pm
print('| {} ({:,} x {:,} x {}) | {:,} | {:,} | {:.1f} | {:,.0f} | {:,.0f} | {:.1f} | {:.2f} |'.format(
      size, c, p, days, lines, rows, m, lines / m * 1000, rows / m * 1000, pm, m / pm))"
done
echo
[ $fail -eq 0 ] && echo "OK: every run made 15 relations with the same row counts" || echo "MISMATCH: see above"
[ $fail -eq 0 ]
