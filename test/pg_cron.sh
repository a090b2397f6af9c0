#!/bin/bash
# Scheduled dashboard refresh through pg_cron (TAP).
# Needs a server with shared_preload_libraries = 'pg_cron' and cron.database_name = 'postgres' (tools/lib.sh).
# Creates pg_cron and supplymkt in database postgres (supplymkt is dropped again if this test created it), a
# scratch database sm_cron_target with a small canonical-schema fixture and its dashboards, and checks:
# schedule_refresh across databases (cron.schedule_in_database) and in the same database (cron.schedule), one
# job per name when called again, the job's command really refreshes the dashboards, unschedule_refresh, and
# the error raised in a database without pg_cron.  When pg_cron can run jobs on this server (background
# workers, or a reachable cron.host) it also waits for pg_cron to run a '* * * * *' job (up to 75 s).
set -u
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

CRON_DB=postgres
TARGET_DB=sm_cron_target
TESTS=32
n=0
failed=0

echo "1..$TESTS"

ok() { # ok CONDITION-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
is() { # is GOT EXPECTED DESCRIPTION
	if [ "$1" == "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"
		echo "#   got:      '$1'"
		echo "#   expected: '$2'"
	fi
}
like() { # like GOT PATTERN DESCRIPTION  (grep -E pattern)
	if printf '%s' "$1" | tr '\n' ' ' | grep -Eq -- "$2"; then ok 0 "$3"; else
		ok 1 "$3"
		echo "#   got: '$1'"
		echo "#   expected to match: '$2'"
	fi
}
skip() { # skip DESCRIPTION REASON
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}
q() { # q DATABASE SQL: one value per line, unaligned
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2" 2>&1
}
qerr() { # qerr DATABASE SQL: the server's error with its SQLSTATE (verbose), or 'no error'
	local out
	if out=$(psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d "$1" -c "$2" 2>&1); then echo "no error"; else echo "$out"; fi
}

created_supplymkt=0
cleanup_objects() {
	q "$CRON_DB" "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE 'supplymkt_refresh:%sm_cron%'" >/dev/null 2>&1
	q "$CRON_DB" "DROP DATABASE IF EXISTS $TARGET_DB WITH (FORCE)" >/dev/null 2>&1
	q "$CRON_DB" "DROP SCHEMA IF EXISTS sm_cron_dash CASCADE; DROP SCHEMA IF EXISTS sm_cron_src CASCADE;
	              DELETE FROM supplymkt.dashboards WHERE target_schema = 'sm_cron_dash'" >/dev/null 2>&1
}
cleanup() {
	cleanup_objects
	if [ "$created_supplymkt" -eq 1 ]; then q "$CRON_DB" "DROP EXTENSION IF EXISTS supplymkt CASCADE" >/dev/null 2>&1; fi
}
trap cleanup EXIT

# The canonical-schema fixture of sql/dashboards.sql (known values), in schema $1.
fixture() {
	cat <<EOF
CREATE SCHEMA $1;
SET search_path = $1;
CREATE TABLE products (product_id bigint PRIMARY KEY, category text, first_listed date, unit_cost numeric, unit_price numeric, supplier_id bigint);
CREATE TABLE orders (order_id bigint PRIMARY KEY, customer_id bigint, order_time timestamptz, channel text);
CREATE TABLE order_items (order_id bigint, product_id bigint, quantity int, unit_price numeric);
CREATE TABLE inventory_snapshots (snapshot_date date, product_id bigint, on_hand int, inventory_value numeric);
CREATE TABLE purchase_orders (po_id bigint, supplier_id bigint, product_id bigint, order_date date, quantity int, received_date date, received_quantity int);
CREATE TABLE shipments (order_id bigint, depot_id bigint, shipped_time timestamptz, promised_date date, delivered_time timestamptz);
CREATE TABLE returns (order_id bigint, product_id bigint, quantity int, return_time timestamptz, reason text);
CREATE TABLE reviews (customer_id bigint, product_id bigint, rating int, review_time timestamptz);
INSERT INTO products VALUES (1, 'grocery', '2023-06-01', 2.00, 5.00, 1), (2, 'grocery', '2024-01-10', 3.00, 6.00, 1),
    (3, 'toys', '2023-01-01', 10.00, 25.00, 2), (4, 'toys', '2024-02-05', 8.00, 20.00, 2), (5, 'garden', NULL, 1.00, 4.00, 3);
INSERT INTO orders VALUES (101, 1, '2024-01-03 10:00+00', 'web'), (102, 2, '2024-01-15 12:00+00', 'app'),
    (103, 3, '2024-01-31 23:30+00', 'web'), (104, 1, '2024-02-02 09:00+00', 'web'), (105, 4, '2024-02-20 18:00+00', 'app');
INSERT INTO order_items VALUES (101, 1, 10, 5.00), (101, 3, 2, 25.00), (102, 1, 4, 5.00), (102, 2, 6, 6.00),
    (103, 3, 1, 25.00), (103, 5, 3, 4.00), (104, 1, 5, 5.00), (104, 4, 2, 20.00), (105, 2, 3, 6.00), (105, 3, 1, 24.00);
INSERT INTO inventory_snapshots VALUES
    ('2024-01-01', 1, 50, 100), ('2024-01-01', 3, 10, 100), ('2024-01-01', 5, 20, 20),
    ('2024-01-15', 1, 40, 80), ('2024-01-15', 2, 30, 90), ('2024-01-15', 3, 0, 0), ('2024-01-15', 5, 17, 17),
    ('2024-02-01', 1, 30, 60), ('2024-02-01', 2, 24, 72), ('2024-02-01', 3, 8, 80), ('2024-02-01', 5, 17, 17),
    ('2024-02-15', 1, 25, 50), ('2024-02-15', 2, 21, 63), ('2024-02-15', 3, 7, 70), ('2024-02-15', 4, 10, 80), ('2024-02-15', 5, 17, 17);
INSERT INTO purchase_orders VALUES (1, 1, 1, '2024-01-05', 20, '2024-01-12', 20), (2, 1, 2, '2024-01-08', 40, '2024-01-14', 30),
    (3, 2, 3, '2024-01-20', 10, '2024-02-01', 10), (4, 2, 4, '2024-02-06', 10, '2024-02-12', 12), (5, 1, 1, '2024-02-25', 15, NULL, NULL);
INSERT INTO shipments VALUES (101, 1, '2024-01-04 08:00+00', '2024-01-06', '2024-01-05 14:00+00'),
    (101, 2, '2024-01-04 09:00+00', '2024-01-06', '2024-01-08 10:00+00'), (102, 1, '2024-01-16 08:00+00', '2024-01-18', '2024-01-19 10:00+00'),
    (103, 1, '2024-02-01 08:00+00', '2024-02-03', '2024-02-03 23:00+00'), (104, 2, '2024-02-03 08:00+00', '2024-02-05', NULL),
    (105, 1, '2024-02-21 08:00+00', '2024-02-24', '2024-02-23 12:00+00');
INSERT INTO returns VALUES (101, 1, 2, '2024-01-10 10:00+00', 'damaged'), (102, 2, 1, '2024-02-01 10:00+00', 'wrong item'),
    (104, 4, 1, '2024-02-10 10:00+00', 'changed mind');
INSERT INTO reviews VALUES (1, 1, 5, '2024-01-10 10:00+00'), (2, 1, 3, '2024-01-20 10:00+00'), (3, 3, 4, '2024-01-25 10:00+00'),
    (4, 4, 2, '2024-02-15 10:00+00'), (5, 2, 4, '2024-02-16 10:00+00');
RESET search_path;
EOF
}

# February's units in the dashboard of schema $2 and, independently, in the source tables of schema $3.
feb_units_dashboard() {
	q "$1" "SELECT units_sold FROM $2.supply_dashboard WHERE scope = 'overall' AND month = '2024-02-01'"
}
feb_units_source() {
	q "$1" "SELECT sum(i.quantity) FROM $2.order_items i JOIN $2.orders o USING (order_id)
	         WHERE o.order_time >= '2024-02-01 00:00+00' AND o.order_time < '2024-03-01 00:00+00'"
}

# ---------------------------------------------------------------------------------------------------------
# Set up: pg_cron and supplymkt in pg_cron's database, a target database with dashboards
# ---------------------------------------------------------------------------------------------------------
is "$(q "$CRON_DB" "SHOW cron.database_name")" "$CRON_DB" "server preloads pg_cron with cron.database_name = $CRON_DB"
[ "$(q "$CRON_DB" "SELECT count(*) FROM pg_extension WHERE extname = 'supplymkt'")" = 0 ] && created_supplymkt=1
out=$(q "$CRON_DB" "CREATE EXTENSION IF NOT EXISTS pg_cron; CREATE EXTENSION IF NOT EXISTS supplymkt;
                    SELECT count(*) FROM pg_extension WHERE extname IN ('pg_cron', 'supplymkt')")
is "$out" "2" "pg_cron and supplymkt installed in $CRON_DB"
cleanup_objects # leftovers of an interrupted run
q "$CRON_DB" "CREATE DATABASE $TARGET_DB" >/dev/null
out=$( (echo "CREATE EXTENSION supplymkt;"; fixture src;
	echo "CREATE TEMP TABLE made AS SELECT * FROM supplymkt.create_dashboards('src', 'dash', 'UTC');";
	echo "SELECT count(*) > 0 AND count(*) = (SELECT count(*) FROM supplymkt.dashboards WHERE target_schema = 'dash') FROM made;") |
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$TARGET_DB" 2>&1)
is "$out" "t" "fixture and dashboards created in $TARGET_DB (every object registered)"
is "$(feb_units_dashboard "$TARGET_DB" dash)" "11" "dashboard shows February's 11 units"

# ---------------------------------------------------------------------------------------------------------
# Scheduling for another database: cron.schedule_in_database
# ---------------------------------------------------------------------------------------------------------
JOB_NAME="supplymkt_refresh:$TARGET_DB:dash"
job_id=$(q "$CRON_DB" "SELECT supplymkt.schedule_refresh('dash', '*/5 * * * *', database_name => '$TARGET_DB')")
like "$job_id" '^[0-9]+$' "schedule_refresh for $TARGET_DB returns a job id"
row=$(q "$CRON_DB" "SELECT jobid, jobname, database, command, schedule, username = current_user, active
                    FROM cron.job WHERE jobname = '$JOB_NAME'")
is "$row" "$job_id|$JOB_NAME|$TARGET_DB|SELECT supplymkt.refresh_dashboards('dash')|*/5 * * * *|t|t" \
	"cron.job row: name, database, command, schedule, owner"
is "$(q "$CRON_DB" "SELECT supplymkt.refresh_job_name('dash', '$TARGET_DB')")" "$JOB_NAME" "refresh_job_name gives the job's name"

job_id2=$(q "$CRON_DB" "SELECT supplymkt.schedule_refresh('dash', '0 3 * * *', database_name => '$TARGET_DB')")
is "$job_id2" "$job_id" "calling schedule_refresh again keeps the job id"
is "$(q "$CRON_DB" "SELECT count(*) || ':' || min(schedule) FROM cron.job WHERE jobname = '$JOB_NAME'")" "1:0 3 * * *" \
	"still exactly one job, with the new schedule"
is "$(q "$CRON_DB" "SELECT count(*) FROM cron.job WHERE command LIKE '%refresh_dashboards(''dash'')%' AND database = '$TARGET_DB'")" "1" \
	"no duplicate refresh job for the schema"

# ---------------------------------------------------------------------------------------------------------
# The job's command, run in the target database, refreshes the dashboards
# ---------------------------------------------------------------------------------------------------------
q "$TARGET_DB" "INSERT INTO src.orders VALUES (106, 5, '2024-02-21 10:00+00', 'web');
                INSERT INTO src.order_items VALUES (106, 1, 7, 5.00), (106, 3, 2, 25.00)" >/dev/null
is "$(feb_units_dashboard "$TARGET_DB" dash)" "11" "before the refresh the dashboard still shows 11 units"
command=$(q "$CRON_DB" "SELECT command FROM cron.job WHERE jobname = '$JOB_NAME'")
out=$(q "$TARGET_DB" "$command")
like "$out" 'supply_dashboard_mv,t,8,.*product_abc_xyz_mv,t,5,' "job command refreshed both views concurrently"
is "$(feb_units_dashboard "$TARGET_DB" dash)" "$(feb_units_source "$TARGET_DB" src)" \
	"after the job's command February's units equal the plain-SQL sum of the source"
is "$(feb_units_dashboard "$TARGET_DB" dash)" "20" "which is 11 + 7 + 2 = 20"
is "$(q "$TARGET_DB" "SELECT revenue FROM dash.supply_dashboard WHERE category = 'toys' AND month = '2024-02-01'")" "114.00" \
	"toys' February revenue 64 + 2 x 25 = 114"

# ---------------------------------------------------------------------------------------------------------
# Same database as pg_cron: cron.schedule
# ---------------------------------------------------------------------------------------------------------
out=$( (fixture sm_cron_src; echo "CREATE TEMP TABLE made AS SELECT * FROM supplymkt.create_dashboards('sm_cron_src', 'sm_cron_dash', 'UTC');";
	echo "SELECT count(*) > 0 AND count(*) = (SELECT count(*) FROM supplymkt.dashboards WHERE target_schema = 'sm_cron_dash') FROM made;") |
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$CRON_DB" 2>&1)
is "$out" "t" "dashboards created in $CRON_DB itself (every object registered)"
LOCAL_JOB="supplymkt_refresh:$CRON_DB:sm_cron_dash"
local_id=$(q "$CRON_DB" "SELECT supplymkt.schedule_refresh('sm_cron_dash', '15 * * * *')")
is "$(q "$CRON_DB" "SELECT jobid || '|' || database || '|' || command || '|' || schedule FROM cron.job WHERE jobname = '$LOCAL_JOB'")" \
	"$local_id|$CRON_DB|SELECT supplymkt.refresh_dashboards('sm_cron_dash')|15 * * * *" "same-database job registered"
q "$CRON_DB" "INSERT INTO sm_cron_src.orders VALUES (106, 5, '2024-02-21 10:00+00', 'web');
              INSERT INTO sm_cron_src.order_items VALUES (106, 2, 4, 6.00)" >/dev/null
q "$CRON_DB" "$(q "$CRON_DB" "SELECT command FROM cron.job WHERE jobname = '$LOCAL_JOB'")" >/dev/null
is "$(feb_units_dashboard "$CRON_DB" sm_cron_dash)" "$(feb_units_source "$CRON_DB" sm_cron_src)" \
	"same-database job command refreshes (15 = 11 + 4 units)"
like "$(qerr "$CRON_DB" "SELECT supplymkt.schedule_refresh('sm_cron_src', '0 3 * * *')")" \
	'ERROR:  42P01: no dashboards are registered in schema "sm_cron_src"' \
	"same database: a schema without dashboards is refused (42P01)"
like "$(qerr "$CRON_DB" "SELECT supplymkt.schedule_refresh('sm_cron_dash', 'every tuesday')")" \
	'ERROR:  22023: invalid schedule: every tuesday' "pg_cron rejects a malformed cron expression (22023)"
like "$(qerr "$CRON_DB" "SELECT supplymkt.schedule_refresh('sm_cron_dash', '')")" \
	'ERROR:  22023: cron_expression must not be empty' "empty cron expression refused (22023)"

# ---------------------------------------------------------------------------------------------------------
# unschedule_refresh
# ---------------------------------------------------------------------------------------------------------
is "$(q "$CRON_DB" "SELECT supplymkt.unschedule_refresh('dash', '$TARGET_DB')")" "t" "unschedule_refresh removes the cross-database job"
is "$(q "$CRON_DB" "SELECT count(*) FROM cron.job WHERE jobname = '$JOB_NAME'")" "0" "its cron.job row is gone"
is "$(q "$CRON_DB" "SELECT supplymkt.unschedule_refresh('dash', '$TARGET_DB')")" "f" "unscheduling again returns false"
is "$(q "$CRON_DB" "SELECT supplymkt.unschedule_refresh('sm_cron_dash')")" "t" "unschedule_refresh removes the same-database job"
is "$(q "$CRON_DB" "SELECT count(*) FROM cron.job WHERE jobname LIKE 'supplymkt_refresh:%'")" "0" "no supplymkt jobs left"

# ---------------------------------------------------------------------------------------------------------
# A database without pg_cron: a clear error naming pg_cron's database and the call to make there
# ---------------------------------------------------------------------------------------------------------
err=$(qerr "$TARGET_DB" "SELECT supplymkt.schedule_refresh('dash', '0 3 * * *')")
like "$err" "ERROR:  55000: pg_cron is installed in database \"$CRON_DB\", not in \"$TARGET_DB\"" \
	"schedule_refresh outside pg_cron's database: 55000 naming $CRON_DB"
like "$err" "HINT:  Connect to database $CRON_DB .*run: SELECT supplymkt.schedule_refresh\('dash', '0 3 \* \* \*', database_name => '$TARGET_DB'\);" \
	"the hint shows the call to make in $CRON_DB"
hinted=$(printf '%s\n' "$err" | sed -n "s/^HINT: .* run: \(SELECT supplymkt.schedule_refresh(.*);\)$/\1/p")
q "$CRON_DB" "$hinted" >/dev/null
is "$(q "$CRON_DB" "SELECT database || '|' || schedule FROM cron.job WHERE jobname = '$JOB_NAME'")" "$TARGET_DB|0 3 * * *" \
	"running the hinted call in $CRON_DB schedules the job"
like "$(qerr "$TARGET_DB" "SELECT supplymkt.unschedule_refresh('dash')")" 'ERROR:  55000: pg_cron is installed in database' \
	"unschedule_refresh outside pg_cron's database: 55000"

# ---------------------------------------------------------------------------------------------------------
# Optional: pg_cron itself runs a '* * * * *' job (needs a way for pg_cron to connect)
# ---------------------------------------------------------------------------------------------------------
settings=$(q "$CRON_DB" "SELECT current_setting('cron.use_background_workers') || '|' || current_setting('cron.host') || '|' ||
                         current_setting('listen_addresses')")
IFS='|' read -r use_bgw cron_host listen <<<"$settings"
if [ "$use_bgw" = on ] || [[ "$cron_host" == /* ]] || [ -n "$listen" ]; then
	q "$TARGET_DB" "INSERT INTO src.orders VALUES (107, 5, '2024-02-22 10:00+00', 'web');
	                INSERT INTO src.order_items VALUES (107, 5, 5, 4.00)" >/dev/null
	live_id=$(q "$CRON_DB" "SELECT supplymkt.schedule_refresh('dash', '* * * * *', database_name => '$TARGET_DB')")
	status=""
	for _ in $(seq 1 75); do
		status=$(q "$CRON_DB" "SELECT status || '|' || coalesce(return_message, '') FROM cron.job_run_details
		                       WHERE jobid = $live_id AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1")
		[ -n "$status" ] && break
		sleep 1
	done
	q "$CRON_DB" "SELECT supplymkt.unschedule_refresh('dash', '$TARGET_DB')" >/dev/null
	echo "# pg_cron run: ${status:-none within 75 s}"
	if [[ "$status" == failed* ]] && printf '%s' "$status" | grep -Eqi 'connect|authentication|password'; then
		skip "pg_cron ran the job" "pg_cron could not connect: $status"
		skip "the run refreshed the dashboard" "pg_cron could not connect"
	else
		like "$status" '^succeeded' "pg_cron ran the scheduled refresh and it succeeded"
		is "$(feb_units_dashboard "$TARGET_DB" dash)" "$(feb_units_source "$TARGET_DB" src)" \
			"the run refreshed the dashboard (25 = 20 + 5 units)"
	fi
else
	skip "pg_cron ran the job" "pg_cron cannot connect here (cron.use_background_workers = off, cron.host = $cron_host, listen_addresses = '')"
	skip "the run refreshed the dashboard" "see above"
fi

if [ "$n" -ne "$TESTS" ]; then
	echo "# planned $TESTS tests but ran $n"
	exit 1
fi
[ "$failed" -eq 0 ]
