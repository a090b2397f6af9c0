#!/usr/bin/env bash
# tools/demo.sh — the supplymkt demo, from a fresh Debian 12 (run as root): installs the Debian packages it
# needs, builds and installs the extension, starts a throwaway cluster (port 5487, socket /tmp), creates
# database `shop` with the extension, generates demo data, builds and refreshes the dashboards and prints them.
# The cluster keeps running so you can explore:  psql -h /tmp -p 5487 -U postgres shop
#   tools/demo.sh stop      stops the demo cluster and deletes it
# Environment: SM_DEMO_CUSTOMERS (5000), SM_DEMO_PRODUCTS (500), SM_DEMO_DAYS (365), SM_DEMO_SEED (42).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/lib.sh

SM_DEMO_DIR=/tmp/supplymkt-demo
SM_DEMO_PORT=5487
if [ "${1:-}" = stop ]; then
	sm_stop_cluster $SM_DEMO_DIR
	rm -rf $SM_DEMO_DIR $SM_DEMO_DIR.initdb.log
	sm_say "demo cluster stopped and deleted"
	exit 0
fi

sm_install_packages
sm_build_install
sm_say "starting a throwaway cluster on port $SM_DEMO_PORT"
sm_start_cluster $SM_DEMO_DIR $SM_DEMO_PORT
export PGHOST=/tmp PGPORT=$SM_DEMO_PORT PGUSER=postgres
psql -X -q -d postgres -c "CREATE DATABASE shop"
psql -X -q -v ON_ERROR_STOP=1 -d shop \
	-v customers="${SM_DEMO_CUSTOMERS:-5000}" -v products="${SM_DEMO_PRODUCTS:-500}" \
	-v days="${SM_DEMO_DAYS:-365}" -v seed="${SM_DEMO_SEED:-42}" -f tools/demo.sql
sm_say "the demo cluster keeps running: psql -h /tmp -p $SM_DEMO_PORT -U postgres shop   (stop: tools/demo.sh stop)"
