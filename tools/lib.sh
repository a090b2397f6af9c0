# tools/lib.sh — shared steps of the README's commands (demo.sh, test.sh): install what is needed from
# Debian's packages, build and install supplymkt, and run a throwaway PostgreSQL cluster as the postgres user.
# Sourced, not run.  Everything here is safe to repeat.

SM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SM_PG_BIN=/usr/lib/postgresql/15/bin
SM_PACKAGES=(postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap postgresql-15-cron
	libtap-parser-sourcehandler-pgtap-perl libgsl-dev libglpk-dev make gcc clang-14 llvm-14 python3 python3-numpy python3-scipy python3-sklearn
	python3-statsmodels
	python3-psycopg2 ca-certificates)

sm_say() { echo "supplymkt: $*"; }
sm_die() {
	echo "supplymkt: ERROR: $*" >&2
	exit 1
}

# Runs a command (its output is the caller's to redirect inside it), saying every 15 s that it still runs and
# at the end how long it took: sm_progress LABEL COMMAND [ARGS...].  Returns the command's status.
sm_progress() {
	local label=$1 start=$SECONDS pid rc=0 next=15
	shift
	"$@" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if [ $((SECONDS - start)) -ge $next ]; then
			sm_say "$label ... $((SECONDS - start)) s"
			next=$((next + 15))
		fi
	done
	wait "$pid" || rc=$?
	[ $rc -eq 0 ] && sm_say "$label: done in $((SECONDS - start)) s"
	return $rc
}

# Installs the Debian packages that are missing (apt-get update only when something is).
sm_install_packages() {
	[ "$(id -u)" -eq 0 ] || sm_die "run as root: packages are installed with apt-get and the cluster runs as postgres"
	local missing=() p
	for p in "${SM_PACKAGES[@]}" "$@"; do
		dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		sm_say "installing Debian packages: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		sm_progress "apt-get update" apt-get update -qq || sm_die "apt-get update failed"
		sm_progress "apt-get install (${#missing[@]} packages)" \
			sh -c 'apt-get install -y -qq --no-install-recommends "$@" >/tmp/supplymkt-apt.log 2>&1' sh "${missing[@]}" ||
			{ tail -n 30 /tmp/supplymkt-apt.log; sm_die "apt-get install failed"; }
	fi
	# Debian's postgresql-common creates a default cluster on install; we use our own throwaway ones.
	if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q '^15 *main'; then
		pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
	fi
}

# Builds (warnings are errors: WERROR=1) and installs the extension into the system PostgreSQL 15.
sm_build_install() {
	sm_progress "building" sh -c 'make -C "$1" -s -j"$(nproc)" WERROR=1 PG_CONFIG="$2" >/tmp/supplymkt-build.log 2>&1' \
		sh "$SM_ROOT" "$SM_PG_BIN/pg_config" ||
		{ cat /tmp/supplymkt-build.log; sm_die "build failed"; }
	make -C "$SM_ROOT" -s PG_CONFIG=$SM_PG_BIN/pg_config install >>/tmp/supplymkt-build.log 2>&1 ||
		{ tail -n 30 /tmp/supplymkt-build.log; sm_die "make install failed"; }
}

# Runs a command as the postgres OS user from a directory it can read.
sm_as_pg() { (cd / && runuser -u postgres -- "$@"); }

# Starts a throwaway cluster: sm_start_cluster DIR PORT [extra postgresql.conf lines...].
# Sockets in /tmp; trust authentication on the socket and loopback; pg_cron preloaded.
sm_start_cluster() {
	local dir=$1 port=$2
	shift 2
	sm_stop_cluster "$dir"
	rm -rf "$dir"
	mkdir -p "$dir" && chown postgres:postgres "$dir"
	sm_as_pg $SM_PG_BIN/initdb -D "$dir" -A trust -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 ||
		{ cat "$dir.initdb.log"; sm_die "initdb failed"; }
	{
		echo "port = $port"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '/tmp'"
		echo "shared_preload_libraries = 'pg_cron'"
		echo "cron.database_name = 'postgres'"
		echo "cron.use_background_workers = on"
		echo "max_worker_processes = 16"
		echo "max_parallel_workers = 8"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		echo "shared_buffers = 256MB"
		echo "log_min_messages = warning"
		for line in "$@"; do echo "$line"; done
	} >>"$dir/postgresql.conf"
	sm_as_pg $SM_PG_BIN/pg_ctl -D "$dir" -l "$dir/server.log" -w start >/dev/null ||
		{ cat "$dir/server.log"; sm_die "server did not start"; }
}

# Stops a throwaway cluster if it runs.
sm_stop_cluster() {
	local dir=$1
	[ -f "$dir/PG_VERSION" ] && sm_as_pg $SM_PG_BIN/pg_ctl -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
}
