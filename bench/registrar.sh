#!/usr/bin/env bash
# Registrar benchmarks on 127.0.0.1 only, bounded in time:
#   1. single availability checks: wrk against `yuming serve` (SQLite) and, in the same run,
#      against nginx serving the same answer as a static JSON file;
#   2. `yuming bench registrar` (bulk checks and paid registrations) on SQLite and PostgreSQL;
#   3. pgbench's default TPC-B rate on the same PostgreSQL, for comparison.
# Needs: a release build (cargo build --release), wrk, nginx, PostgreSQL on 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BENCH_BIN:-${CARGO_TARGET_DIR:-target}/release/yuming}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-32}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
work=$(mktemp -d)
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
wrk -t2 -c"$CLIENTS" -d"${DURATION}s" --latency http://127.0.0.1:18081/check.json | grep -E "Requests/sec|Latency|99%|50%"
echo "-- yuming GET /api/v1/domains/check"
wrk -t2 -c"$CLIENTS" -d"${DURATION}s" --latency "$url" | grep -E "Requests/sec|Latency|99%|50%"
kill "$yuming_pid"; wait "$yuming_pid" 2>/dev/null || true; yuming_pid=

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
