#!/usr/bin/env bash
# Full-stack authenticated API requests on 127.0.0.1 only, bounded in time: wrk (a separate
# process) against `yuming serve` (SQLite, release build) with a customer's bearer token —
# `GET /api/v1/me` and `GET /api/v1/domains` for an account with 20 domains — and, in the same
# run, nginx serving the same two JSON bodies as static files. Every request passes the whole
# middleware stack (request id, trace, panic guard, timeout, authentication with the session
# looked up in the database on every request, so a revocation takes effect at once on every
# instance). Fails when any answer is not a 2xx (bench/lib.sh).
# Needs: a release build (cargo build --release -p yuming); wrk, nginx and curl are installed
# when missing (.ci/install-tools --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
.ci/install-tools --bench
BIN=${BENCH_BIN:-${CARGO_TARGET_DIR:-target}/release/yuming}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-64}
HTTP=127.0.0.1:18280
NGINX=127.0.0.1:18281
work=$(mktemp -d)
# nginx's workers run as www-data when started by root: they must be able to read $work/www.
chmod 755 "$work"
cleanup() {
    [ -n "${yuming_pid:-}" ] && kill "$yuming_pid" 2>/dev/null || true
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

serve_customer_with_domains "$HTTP" bench-api 20

mkdir -p "$work/www"
api "http://$HTTP/api/v1/me" > "$work/www/me.json"
api "http://$HTTP/api/v1/domains" > "$work/www/domains.json"
listed=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["domains"]))' "$work/www/domains.json")
[ "$listed" = 20 ] || { echo "FAIL: the list has $listed domains, not 20" >&2; exit 1; }
cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    types { application/json json; }
    server { listen $NGINX; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf"
sleep 0.5

rate() { grep "Requests/sec" "$work/$1.txt" | awk '{print $2}'; }
run() { # KEY NAME URL [wrk args…]
    local key=$1 name=$2 url=$3
    shift 3
    wrk_checked -t2 -c"$CLIENTS" -d"${DURATION}s" --latency "$@" "$url" > "$work/$key.txt" ||
        { cat "$work/$key.txt"; exit 1; }
    printf '%-44s %10s req/s   p50 %8s   p99 %8s\n' "$name" "$(rate "$key")" \
        "$(grep -E '^ +50%' "$work/$key.txt" | awk '{print $2}')" "$(grep -E '^ +99%' "$work/$key.txt" | awk '{print $2}')"
}
echo "== $CLIENTS connections, ${DURATION}s each, $(nproc) cores; server and wrk are separate processes"
run nginx-me "nginx static me.json ($(wc -c < "$work/www/me.json") B)" "http://$NGINX/me.json"
run yuming-me "yuming GET /api/v1/me (bearer)" "http://$HTTP/api/v1/me" -H "authorization: Bearer $token"
run nginx-domains "nginx static domains.json ($(wc -c < "$work/www/domains.json") B)" "http://$NGINX/domains.json"
run yuming-domains "yuming GET /api/v1/domains (20, bearer)" "http://$HTTP/api/v1/domains" -H "authorization: Bearer $token"
python3 - "$(rate yuming-me)" "$(rate nginx-me)" "$(rate yuming-domains)" "$(rate nginx-domains)" <<'PY'
import sys
me, nginx_me, domains, nginx_domains = map(float, sys.argv[1:])
print(f"/me: {me / nginx_me:.0%} of nginx; /domains: {domains / nginx_domains:.0%} of nginx")
PY

# Revocation is immediate: after logout, the same token is refused on the next request.
api -X POST "http://$HTTP/api/v1/auth/logout" >/dev/null || true
status=$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $token" "http://$HTTP/api/v1/me")
[ "$status" = 401 ] || { echo "FAIL: a revoked token still answered $status" >&2; exit 1; }
echo "after logout the token is refused at once (401)"
