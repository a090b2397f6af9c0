#!/usr/bin/env bash
# test/citus.sh — every supplymkt aggregate on a real 3-node Citus cluster (DESIGN.md pattern 3), TAP output.
#
# Uses the Citus kit's cluster.sh (SM_CITUS_SOURCE, default ../shared/citus beside the repository): builds Citus 13.2.2 into the system
# PostgreSQL 15 if it is not installed yet (about 90 s), resets and starts a coordinator and two workers on
# ports 9700-9702 (CITUS_PORT_BASE), then runs test/citus_check.py (extension on all nodes, the harness data
# distributed by id, every aggregate ungrouped / GROUP BY id / GROUP BY grp with coordinator aggregation
# disabled, answers equal to one node's, worker_partial_agg in the worker queries), and stops the cluster.
# supplymkt must be `make install`ed first.  Run as root (cluster.sh runs the nodes as postgres).
# Log of the cluster commands: /tmp/supplymkt-citus.log.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kit=${SM_CITUS_SOURCE:-$(cd "$here/../.." && pwd)/shared/citus}
cluster=$kit/cluster.sh
log=/tmp/supplymkt-citus.log
: >"$log"
# The libpq environment of the suite points at its own throwaway cluster; the kit uses its own ports.
unset PGHOST PGPORT PGDATABASE PGUSER PGOPTIONS

# Prints a one-test TAP plan that failed, with the end of the log, and exits.
fail_early() {
	echo "1..1"
	echo "not ok 1 - $1"
	tail -n 30 "$log" | sed 's/^/#   /'
	exit 1
}

[ -f "$cluster" ] || fail_early "Citus kit not found: $cluster (set SM_CITUS_SOURCE)"
[ "$(id -u)" -eq 0 ] || fail_early "test/citus.sh must run as root (cluster.sh runs the nodes as postgres)"
start=$SECONDS
bash "$cluster" build >>"$log" 2>&1 || fail_early "cluster.sh build failed"
built=$SECONDS
echo "# Citus build step: $((built - start)) s" >&2
bash "$cluster" reset >>"$log" 2>&1 || fail_early "cluster.sh reset failed"
trap 'bash "$cluster" stop >>"$log" 2>&1' EXIT
bash "$cluster" start >>"$log" 2>&1 || fail_early "cluster.sh start failed"
echo "# Citus cluster started in $((SECONDS - built)) s" >&2

SM_CITUS_HARNESS=1 /usr/bin/python3 "$here/citus_check.py"
rc=$?
echo "# test/citus.sh: $((SECONDS - built)) s after the build step" >&2
exit $rc
