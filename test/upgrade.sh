#!/usr/bin/env bash
# test/upgrade.sh — the upgrade path from the first release (TAP).
#
# 1. Installs supplymkt 0.1.0 (its frozen install script, src/sql/versions/), stores every state type and every
#    model type in a user table (states built by 0.1.0's own transition functions, models by its aggregates),
#    records their text, binary and what the readers say, runs ALTER EXTENSION supplymkt UPDATE, and checks
#    that the stored values read back identically with the new version's I/O and readers.
# 2. Compares the catalog of that upgraded database with a fresh install of the current version: every member
#    object is detached from the extension in a scratch copy of each, and `pg_dump --schema-only` of the two
#    must be identical (same objects, definitions, comments and privileges); the rows of the dashboard catalog
#    must be too, and the upgraded database must build every registered dashboard.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
old=0.1.0
new=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$here/../supplymkt.control")
up=sm_upgrade_from_$(echo $old | tr . _)
fresh=sm_upgrade_fresh
n=0
failed=0
check() { # check DESCRIPTION GOT WANT
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else
		echo "not ok $n - $1"
		echo "#   got:  $(echo "$2" | head -c 600)"
		echo "#   want: $(echo "$3" | head -c 600)"
		failed=1
	fi
}
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
recreate() { q postgres "DROP DATABASE IF EXISTS $1" && q postgres "CREATE DATABASE $1"; }

echo "1..11"
recreate $up && recreate $fresh || { echo "not ok 1 - could not create the test databases"; exit 1; }
q $up "CREATE EXTENSION supplymkt VERSION '$old'"
check "0.1.0 installs from its frozen script" "$(q $up "SELECT extversion FROM pg_extension WHERE extname = 'supplymkt'")" "$old"

# Values written by 0.1.0: states from its transition functions (schema supplymkt in 0.1.0), models from its
# aggregates, over small deterministic data.
q $up "
CREATE TABLE pts AS SELECT g, (g % 7)::float8 AS x, (g % 5)::float8 * 2 AS y, 1 + g % 11 AS item, 1 + g / 4 AS basket,
       timestamptz '2024-01-01 00:00+00' + g * interval '9 hours' AS t, (g * 37 % 100)::float8 AS amount
  FROM generate_series(1, 60) g;
CREATE AGGREGATE st_turnover(float8, float8) (SFUNC = supplymkt.inventory_turnover_transfn, STYPE = supplymkt.turnover_state);
CREATE AGGREGATE st_stockout(float8) (SFUNC = supplymkt.stockout_rate_transfn, STYPE = supplymkt.stockout_state);
CREATE AGGREGATE st_fill(float8, float8) (SFUNC = supplymkt.fill_rate_transfn, STYPE = supplymkt.fill_rate_state);
CREATE AGGREGATE st_sell(float8, float8) (SFUNC = supplymkt.sell_through_rate_transfn, STYPE = supplymkt.sell_through_state);
CREATE AGGREGATE st_renewal(date, date, date) (SFUNC = supplymkt.renewal_rate_transfn, STYPE = supplymkt.renewal_state);
CREATE AGGREGATE st_cv(float8) (SFUNC = supplymkt.demand_cv_transfn, STYPE = supplymkt.variability_state);
CREATE AGGREGATE st_div(text) (SFUNC = supplymkt.assortment_diversity_transfn, STYPE = supplymkt.diversity_state);
CREATE AGGREGATE st_decay(float8, timestamptz, timestamptz, float8) (SFUNC = supplymkt.clv_time_decay_transfn, STYPE = supplymkt.time_decay_state);
CREATE AGGREGATE st_rfm(timestamptz, float8, timestamptz) (SFUNC = supplymkt.rfm_summary_transfn, STYPE = supplymkt.rfm_summary_state);
CREATE AGGREGATE st_breaks(float8, float8, float8) (SFUNC = supplymkt.rfm_breaks_transfn, STYPE = supplymkt.rfm_breaks_state);
CREATE AGGREGATE st_clv(float8, float8, float8, float8) (SFUNC = supplymkt.clv_fit_transfn, STYPE = supplymkt.clv_fit_state);
CREATE AGGREGATE st_km(float8[], int) (SFUNC = supplymkt.kmeans_fit_transfn, STYPE = supplymkt.kmeans_fit_state);
CREATE AGGREGATE st_sim(bigint, bigint) (SFUNC = supplymkt.item_similarity_transfn, STYPE = supplymkt.item_similarity_state);
CREATE AGGREGATE st_rules(bigint, bigint, float8, float8) (SFUNC = supplymkt.assoc_rules_transfn, STYPE = supplymkt.assoc_rules_state);
CREATE TABLE kept AS SELECT
    st_turnover(x, y) AS turnover, st_stockout(x - 3) AS stockout, st_fill(y, x) AS fill, st_sell(x, y) AS sell,
    st_renewal(date '2024-01-01' + g, date '2024-01-01', date '2024-03-01') AS renewal, st_cv(x) AS cv,
    st_div('c' || item) AS div, st_decay(amount, t, timestamptz '2024-02-01 00:00+00', 30) AS decay,
    st_rfm(t, amount, timestamptz '2024-02-01 00:00+00') AS rfm, st_breaks(x, y, amount) AS breaks_state,
    st_clv(x, x, x + y + 1, amount) AS clv_state, st_km(ARRAY[x, y], 3) AS km_state,
    st_sim(basket, item) AS sim_state, st_rules(basket, item, 0.05, 0.2) AS rules_state,
    supplymkt.rfm_breaks(x, y, amount) AS breaks,
    supplymkt.clv_fit(x, x, x + y + 10, amount + 1) AS clv,
    supplymkt.kmeans_fit(ARRAY[x, y], 3) AS km,
    supplymkt.item_similarity(basket, item) AS sim,
    supplymkt.assoc_rules(basket, item, 0.05, 0.2) AS rules
  FROM pts;"
texts="turnover::text || stockout::text || fill::text || sell::text || renewal::text || cv::text || div::text
       || decay::text || rfm::text || breaks_state::text || clv_state::text || km_state::text || sim_state::text
       || rules_state::text || breaks::text || clv::text || km::text || sim::text || rules::text"
readers="concat_ws('|', (supplymkt.rfm_score(3, 2, 50, breaks)).code, supplymkt.probability_alive(clv, 2, 2, 12)::numeric(20,12),
        supplymkt.kmeans_assign(km, ARRAY[1.0, 2.0]), (SELECT count(*) FROM supplymkt.neighbors(sim)),
        (SELECT count(*) FROM supplymkt.rules(rules)), supplymkt.expected_purchases(clv, 30, 2, 2, 12)::numeric(20,12))"
want_text=$(q $up "SELECT md5($texts) FROM kept")
want_readers=$(q $up "SELECT $readers FROM kept")
copy_file=$(mktemp /tmp/supplymkt-upgrade-XXXX.bin)
chmod 666 "$copy_file"
q $up "COPY kept TO '$copy_file' WITH (FORMAT binary)"

q $up "ALTER EXTENSION supplymkt UPDATE"
check "ALTER EXTENSION supplymkt UPDATE reaches $new" "$(q $up "SELECT extversion FROM pg_extension WHERE extname = 'supplymkt'")" "$new"
check "every stored state and model prints the same text after the update" "$(q $up "SELECT md5($texts) FROM kept")" "$want_text"
check "the readers give the same answers on the stored models after the update" "$(q $up "SELECT $readers FROM kept")" "$want_readers"
q $up "CREATE TABLE kept_copy (LIKE kept); COPY kept_copy FROM '$copy_file' WITH (FORMAT binary)"
check "binary COPY written by 0.1.0 reads back in $new (every type's receive)" \
	"$(q $up "SELECT md5(string_agg(k::text, '')) FROM (SELECT * FROM kept_copy) k")" \
	"$(q $up "SELECT md5(string_agg(k::text, '')) FROM (SELECT * FROM kept) k")"
q $up "TRUNCATE kept_copy; COPY kept TO '$copy_file' WITH (FORMAT binary); COPY kept_copy FROM '$copy_file' WITH (FORMAT binary)"
check "binary COPY round-trips in $new" \
	"$(q $up "SELECT md5(string_agg(k::text, '')) FROM (SELECT * FROM kept_copy) k")" \
	"$(q $up "SELECT md5(string_agg(k::text, '')) FROM (SELECT * FROM kept) k")"
rm -f "$copy_file"
check "a state from a future version is rejected naming its version" \
	"$(q $up "SELECT '{\"state\":\"turnover_state\",\"version\":9,\"flags\":0,\"n_cogs\":0,\"n_inventory\":0,\"sum_cogs\":0,\"sum_inventory\":0}'::supplymkt.turnover_state" 2>&1 | head -n 1 | sed 's/^ERROR: *//')" \
	"unsupported turnover_state version 9"

# The dashboard catalog (rows of extension tables: not in a schema-only dump) is the same after the update,
# and the upgraded database builds every dashboard on generated data (three objects each, plus the view models).
q $fresh "CREATE EXTENSION supplymkt"
catalog="SELECT md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM (SELECT g::text FROM supplymkt_internal.dashboard_catalog g
          UNION ALL SELECT c::text FROM supplymkt_internal.dashboard_columns c) t(t)"
check "the dashboard catalog of the upgraded database equals a fresh install's" "$(q $up "$catalog")" "$(q $fresh "$catalog")"
check "the upgraded database creates every registered dashboard" \
	"$(q $up "SET client_min_messages = warning; SELECT count(*) FROM supplymkt.generate_demo_data('sm_up_demo', 60, 12, 60, 3); SELECT count(*) FROM supplymkt.create_dashboards('sm_up_demo', 'sm_up_dash', 'UTC', 3); SELECT count(*) FROM supplymkt.drop_dashboards('sm_up_dash'); DROP SCHEMA sm_up_dash, sm_up_demo CASCADE" | sed -n 2,3p | tr '\n' ' ')" \
	"$(q $up "SELECT 3 * count(*) + (count(*) FILTER (WHERE lists_models) > 0)::int || ' ' || 3 * count(*) + (count(*) FILTER (WHERE lists_models) > 0)::int || ' ' FROM supplymkt_internal.dashboard_catalog")"
q $fresh "DROP EXTENSION supplymkt"

# Catalog equality: detach every member object (so pg_dump prints it) in both databases, then compare dumps.
q $fresh "CREATE EXTENSION supplymkt"
detach="SELECT string_agg(format('ALTER EXTENSION supplymkt DROP %s %s;', o.type, o.identity), E'\n' ORDER BY o.type, o.identity)
          FROM pg_depend d, LATERAL pg_identify_object(d.classid, d.objid, d.objsubid) o
         WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
           AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'supplymkt')"
dump() { # dump DB -> schema-only dump of the extension's objects as ordinary objects
	q "$1" "DROP TABLE IF EXISTS kept, kept_copy, pts; DROP AGGREGATE IF EXISTS st_turnover(float8, float8)" >/dev/null 2>&1
	q "$1" "$(q "$1" "$detach")" >/dev/null
	pg_dump --schema-only --no-owner --exclude-schema=public -d "$1" | grep -v -e '^--' -e '^$' -e '^\\restrict' -e '^\\unrestrict'
}
q $up "DROP TABLE kept, kept_copy, pts" && q $up "$(q $up "SELECT string_agg(format('DROP AGGREGATE %s;', oid::regprocedure), ' ') FROM pg_proc WHERE proname LIKE 'st\_%' AND pronamespace = 'public'::regnamespace")"
want_dump=$(dump $fresh)
got_dump=$(dump $up)
check "a fresh install has objects (dump is not empty)" "$([ "$(echo "$want_dump" | grep -c 'CREATE FUNCTION')" -gt 100 ] && echo yes)" yes
if [ "$got_dump" = "$want_dump" ]; then check "pg_dump of a database upgraded from $old equals a fresh $new install" same same
else
	check "pg_dump of a database upgraded from $old equals a fresh $new install" different same
	diff <(echo "$want_dump") <(echo "$got_dump") | head -n 40 | sed 's/^/#   /'
fi
q postgres "DROP DATABASE IF EXISTS $up" && q postgres "DROP DATABASE IF EXISTS $fresh"
exit $failed
