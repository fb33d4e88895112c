#!/usr/bin/env bash
# Registrar benchmarks on 127.0.0.1 only, bounded in time:
#   1. single availability checks: wrk against `yuming serve` (SQLite) and, in the same run,
#      against nginx serving the same answer as a static JSON file;
#   2. `yuming bench registrar` (bulk checks and paid registrations) on SQLite and PostgreSQL;
#   3. pgbench's default TPC-B rate on the same PostgreSQL, for comparison.
# Fails when any answer is not the expected one (wrk: a response that is not 2xx/3xx, see
# bench/lib.sh; `yuming bench`: any request without its 2xx answer).
# Needs: a release build (cargo build --release), PostgreSQL on 127.0.0.1:5432; wrk and nginx
# are installed when missing (.ci/install-tools --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
.ci/install-tools --bench
BIN=${BENCH_BIN:-${CARGO_TARGET_DIR:-target}/release/yuming}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-32}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
work=$(mktemp -d)
# nginx's workers run as www-data when started by root: they must be able to read $work/www
# (mktemp makes the directory 0700, and nginx would answer 403 to every request).
chmod 755 "$work"
cleanup() {
    [ -n "${yuming_pid:-}" ] && kill "$yuming_pid" 2>/dev/null || true
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS yuming_bench_pgbench" -c "DROP DATABASE IF EXISTS yuming_bench_registrar" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== single availability check: yuming vs nginx (wrk, $CLIENTS connections, ${DURATION}s each)"
YUMING_DATA_DIR="$work/data" YUMING_HTTP_ADDR=127.0.0.1:18080 YUMING_DNS_ADDR= YUMING_WHOIS_ADDR= YUMING_LOG=warn \
    "$BIN" serve &
yuming_pid=$!
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
url='http://127.0.0.1:18080/api/v1/domains/check?name=example-free.com'
mkdir -p "$work/www"
curl -sf "$url" > "$work/www/check.json"
cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    types { application/json json; }
    server { listen 127.0.0.1:18081; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf"
sleep 0.5
echo "-- nginx, static $(wc -c < "$work/www/check.json")-byte JSON"
wrk_checked -t2 -c"$CLIENTS" -d"${DURATION}s" --latency http://127.0.0.1:18081/check.json > "$work/wrk-nginx.txt" ||
    { cat "$work/wrk-nginx.txt"; exit 1; }
grep -E "Requests/sec|Latency|99%|50%" "$work/wrk-nginx.txt"
echo "-- yuming GET /api/v1/domains/check"
wrk_checked -t2 -c"$CLIENTS" -d"${DURATION}s" --latency "$url" > "$work/wrk-check.txt" ||
    { cat "$work/wrk-check.txt"; exit 1; }
grep -E "Requests/sec|Latency|99%|50%" "$work/wrk-check.txt"
kill "$yuming_pid"; wait "$yuming_pid" 2>/dev/null || true; yuming_pid=

# What counting requests for /metrics costs: the same server with counting off
# ([metrics] enabled = false), the same data directory, the same check.
echo "-- yuming GET /api/v1/domains/check with metrics off"
YUMING_DATA_DIR="$work/data" YUMING_HTTP_ADDR=127.0.0.1:18080 YUMING_DNS_ADDR= YUMING_WHOIS_ADDR= YUMING_LOG=warn \
    YUMING_METRICS__ENABLED=false "$BIN" serve &
yuming_pid=$!
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
wrk_checked -t2 -c"$CLIENTS" -d"${DURATION}s" --latency "$url" > "$work/wrk-check-off.txt" ||
    { cat "$work/wrk-check-off.txt"; exit 1; }
grep -E "Requests/sec" "$work/wrk-check-off.txt"
kill "$yuming_pid"; wait "$yuming_pid" 2>/dev/null || true; yuming_pid=
awk '/Requests\/sec/ { r[FILENAME] = $2 } END {
    on = r[ARGV[1]]; off = r[ARGV[2]];
    printf "metrics overhead on the single check: %.1f %% (%.0f req/s counted, %.0f not)\n", (off - on) / off * 100, on, off }' \
    "$work/wrk-check.txt" "$work/wrk-check-off.txt"

echo "== yuming bench registrar on SQLite"
"$BIN" bench registrar --seconds "$DURATION"

echo "== pgbench TPC-B (scale 1, 16 clients, ${DURATION}s)"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS yuming_bench_pgbench" -c "CREATE DATABASE yuming_bench_pgbench"
PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench | tail -1)
"$PGBENCH" -q -i "$PG/yuming_bench_pgbench" >/dev/null 2>&1
"$PGBENCH" -c 16 -j 2 -T "$DURATION" "$PG/yuming_bench_pgbench" 2>/dev/null | grep -E "^tps"

echo "== yuming bench registrar on PostgreSQL"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS yuming_bench_registrar" -c "CREATE DATABASE yuming_bench_registrar"
"$BIN" bench registrar --seconds "$DURATION" --database-url "$PG/yuming_bench_registrar"
