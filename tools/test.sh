#!/usr/bin/env bash
# tools/test.sh — the whole supplymkt test suite, from a fresh Debian 12 (run as root):
#   installs the Debian packages it needs, builds and installs the extension, starts a throwaway cluster
#   (pg_cron preloaded), and runs: pg_regress (sql/, expected/), pgTAP (test/pgtap/*.sql via pg_prove), the
#   test programs in test/ (numeric oracles, parallel equivalence, hostile-input sweep, pg_cron), and the
#   3-node Citus pushdown harness.  Ends with one line: "N passed, M failed" (", K skipped" when a stage was).
#
# Options (environment): SM_CITUS_SOURCE: the Citus kit (source tarball and cluster.sh), default ../shared/citus
#                          beside the repository.  Without it the Citus stage is reported as skipped; with
#                          CI=true a missing kit is a failure, never a skip.
#                        SM_SKIP_CITUS=1 skips the Citus harness (for quick local runs; CI never sets it).
#                        SM_ONLY='regress pgtap programs cron citus' picks stages.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
source tools/lib.sh

SM_TEST_DIR=/tmp/supplymkt-test
SM_TEST_PORT=5488
SM_STAGES=${SM_ONLY:-regress pgtap programs cron citus}
passed=0
failed=0
skipped=0
failures=()

# Adds a stage's counts to the totals and remembers failures by name.
tally() {
	local name=$1 ok=$2 bad=$3
	passed=$((passed + ok))
	failed=$((failed + bad))
	[ "$bad" -gt 0 ] && failures+=("$name ($bad)")
	sm_say "$name: $ok passed, $bad failed"
}

# Runs a TAP-emitting program, shows its output, and tallies ok / not ok lines (a crash, a non-zero exit
# with no failing line, or fewer tests than planned counts as a failure too).
run_tap() {
	local name=$1
	shift
	local out rc ok bad plan
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	ok=$(grep -cE '^ok ' "$out")
	bad=$(grep -cE '^not ok ' "$out")
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
	if [ -n "$plan" ] && [ $((ok + bad)) -lt "$plan" ]; then
		echo "# $name: planned $plan tests, ran $((ok + bad))"
		bad=$((bad + plan - ok - bad))
	fi
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		echo "# $name: exited with status $rc"
		bad=1
	fi
	rm -f "$out"
	tally "$name" "$ok" "$bad"
}

# R's forecast package is a test oracle only (test/forecast_r_oracle.py), so the demo does not install it
sm_install_packages r-cran-forecast
sm_build_install
sm_say "starting a throwaway cluster on port $SM_TEST_PORT"
sm_start_cluster $SM_TEST_DIR $SM_TEST_PORT
trap 'sm_stop_cluster $SM_TEST_DIR' EXIT
export PGHOST=/tmp PGPORT=$SM_TEST_PORT PGUSER=postgres SM_SERVER_LOG=$SM_TEST_DIR/server.log
start=$SECONDS

# Creates a fresh database with the extension for one test program.
fresh_db() {
	psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null &&
		psql -X -q -d "$1" -c "CREATE EXTENSION supplymkt" >/dev/null
}

if [[ " $SM_STAGES " == *" regress "* ]]; then
	sm_say "pg_regress (make installcheck)"
	out=$(mktemp)
	make -s installcheck PG_CONFIG=$SM_PG_BIN/pg_config >"$out" 2>&1
	cat "$out"
	ok=$(grep -cE '^(test| ) .* \.\.\. ok' "$out")
	bad=$(grep -cE '\.\.\. FAILED' "$out")
	if [ "$bad" -gt 0 ] && [ -f regression.diffs ]; then cat regression.diffs; fi
	[ "$ok" -eq 0 ] && [ "$bad" -eq 0 ] && bad=1
	tally pg_regress "$ok" "$bad"
	rm -f "$out"
fi

if [[ " $SM_STAGES " == *" pgtap "* ]] && ls test/pgtap/*.sql >/dev/null 2>&1; then
	sm_say "pgTAP (pg_prove)"
	fresh_db sm_pgtap && psql -X -q -d sm_pgtap -c "CREATE EXTENSION pgtap" >/dev/null
	run_tap pgtap pg_prove --verbose -d sm_pgtap test/pgtap/*.sql
fi

if [[ " $SM_STAGES " == *" programs "* ]]; then
	for prog in test/*.py test/*.sh; do
		[ -f "$prog" ] || continue
		case $(basename "$prog") in
		citus.sh | citus_check.py | pg_cron.sh | harness.py | tap.py) continue ;;
		esac
		db=sm_$(basename "${prog%.*}" | tr -c 'a-z0-9_\n' '_')
		sm_say "$prog (database $db)"
		case $prog in
		*.py) runner=/usr/bin/python3 ;;
		*) runner=bash ;;
		esac
		fresh_db "$db" && run_tap "$prog" env PGDATABASE="$db" $runner "$prog"
	done
fi

if [[ " $SM_STAGES " == *" cron "* ]] && [ -f test/pg_cron.sh ]; then
	sm_say "test/pg_cron.sh"
	run_tap test/pg_cron.sh env PGDATABASE=postgres bash test/pg_cron.sh
fi

if [[ " $SM_STAGES " == *" citus "* ]] && [ -f test/citus.sh ]; then
	citus_source=${SM_CITUS_SOURCE:-$(cd .. && pwd)/shared/citus}
	if [ -n "${SM_SKIP_CITUS:-}" ]; then
		sm_say "Citus harness skipped (SM_SKIP_CITUS is set)"
		skipped=$((skipped + 1))
	elif [ ! -f "$citus_source/cluster.sh" ]; then
		if [ "${CI:-}" = true ]; then
			sm_say "Citus kit not found at $citus_source (set SM_CITUS_SOURCE): a failure under CI"
			tally "test/citus.sh (Citus kit missing)" 0 1
		else
			sm_say "Citus harness skipped: no Citus kit at $citus_source (set SM_CITUS_SOURCE)"
			skipped=$((skipped + 1))
		fi
	else
		sm_say "test/citus.sh (builds Citus from $citus_source if needed)"
		run_tap test/citus.sh env SM_CITUS_SOURCE="$citus_source" bash test/citus.sh
	fi
fi

# The server must have survived everything: no backend crashed.
crashes=$(grep -cE 'terminated by signal|was terminated by|server process .* exited abnormally' "$SM_SERVER_LOG")
if [ "$crashes" -eq 0 ]; then tally "server log (no crash)" 1 0; else
	grep -E 'terminated by signal|was terminated by|exited abnormally' "$SM_SERVER_LOG"
	tally "server log (no crash)" 0 1
fi

sm_say "suite took $((SECONDS - start)) s after the build"
[ ${#failures[@]} -gt 0 ] && sm_say "failed: ${failures[*]}"
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
