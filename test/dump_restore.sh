#!/usr/bin/env bash
# test/dump_restore.sh — pg_dump / restore keeps users' data (TAP): edited score_weights rows (configuration
# table registered with pg_extension_config_dump), and stored aggregate states (text I/O round-trip).
set -uo pipefail
db=${PGDATABASE:?PGDATABASE must name a database with supplymkt}
copy=${db}_restored
n=0
failed=0
check() { # check DESCRIPTION GOT WANT
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else
		echo "not ok $n - $1"
		echo "#   got:  $2"
		echo "#   want: $3"
		failed=1
	fi
}
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

echo "1..4"
q "$db" "UPDATE supplymkt.score_weights SET weight = 0.5, upper_bound = 6 WHERE indicator = 'turnover'"
q "$db" "CREATE TABLE kept_states AS
         SELECT g, supplymkt_internal.inventory_turnover_transfn(NULL, g / 3.0, g / 7.0) AS t,
                supplymkt_internal.assortment_diversity_transfn(NULL, 'c' || g) AS d
           FROM generate_series(1, 5) g"
want_weights=$(q "$db" "SELECT string_agg(format('%s:%s:%s:%s', indicator, weight, lower_bound, upper_bound), ',' ORDER BY indicator) FROM supplymkt.score_weights")
want_states=$(q "$db" "SELECT md5(string_agg(t::text || d::text, ',' ORDER BY g)) FROM kept_states")
want_score=$(q "$db" "SELECT supplymkt.supply_capability_score(3, 0.9, 0.1, 0.1, 0.5)")

q postgres "DROP DATABASE IF EXISTS $copy" 2>/dev/null
q postgres "CREATE DATABASE $copy"
dump_log=$(mktemp)
if pg_dump -d "$db" | psql -X -q -v ON_ERROR_STOP=1 -d "$copy" >"$dump_log" 2>&1; then
	check "pg_dump | psql restores without error" ok ok
else
	check "pg_dump | psql restores without error" "$(tail -n 3 "$dump_log" | tr '\n' ' ')" ok
fi
check "edited score_weights survive dump/restore" \
	"$(q "$copy" "SELECT string_agg(format('%s:%s:%s:%s', indicator, weight, lower_bound, upper_bound), ',' ORDER BY indicator) FROM supplymkt.score_weights")" \
	"$want_weights"
check "supply_capability_score uses the restored weights" \
	"$(q "$copy" "SELECT supplymkt.supply_capability_score(3, 0.9, 0.1, 0.1, 0.5)")" "$want_score"
check "stored aggregate states survive dump/restore bit for bit" \
	"$(q "$copy" "SELECT md5(string_agg(t::text || d::text, ',' ORDER BY g)) FROM kept_states")" "$want_states"
q postgres "DROP DATABASE IF EXISTS $copy"
rm -f "$dump_log"
exit $failed
