#!/usr/bin/env bash
# The web console under load, on 127.0.0.1 only, bounded in time: wrk (a separate process)
# against `yuming serve` (SQLite, release build) with a signed-in session cookie, for an account
# with 200 domains — `GET /console` (the overview, which reads all 200) and
# `GET /console/domains` (the first page of 50) — and, in the same run, nginx serving the same
# two HTML pages as static files. Every console request passes the whole stack: session and
# account looked up in the database, the unread count, the use case, the template. Fails when
# any answer is not 200 (bench/status200.lua: a redirect to /login would not count as served),
# or when a page does not show the domains it should. Also prints each page's weight (HTML,
# CSS and script).
# Needs: a release build (cargo build --release -p yuming); wrk, nginx and curl are installed
# when missing (.ci/install-tools --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
.ci/install-tools --bench
BIN=${BENCH_BIN:-${CARGO_TARGET_DIR:-target}/release/yuming}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-64}
DOMAINS=${DOMAINS:-200}
HTTP=127.0.0.1:18290
NGINX=127.0.0.1:18291
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
    [ -n "${yuming_pid:-}" ] && kill "$yuming_pid" 2>/dev/null || true
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

serve_customer_with_domains "$HTTP" bench-console "$DOMAINS"

# A browser's login: the form's CSRF token and seed cookie, then the session cookie.
jar="$work/cookies"
csrf=$(curl -sf -c "$jar" -b "$jar" "http://$HTTP/login" | grep -o 'name="csrf_token" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"//')
curl -sf -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$csrf" \
    --data-urlencode "email=$email" --data-urlencode "password=$password" "http://$HTTP/login"
cookie=$(awk '$6 == "ym_session" || $6 == "ym_csrf" { printf "%s=%s; ", $6, $7 }' "$jar")
[[ "$cookie" == *ym_session=* ]] || { echo "FAIL: the console login set no session cookie" >&2; exit 1; }

mkdir -p "$work/www"
curl -sf -H "cookie: $cookie" "http://$HTTP/console" > "$work/www/overview.html"
curl -sf -H "cookie: $cookie" "http://$HTTP/console/domains" > "$work/www/domains.html"
curl -sf -H "cookie: $cookie" "http://$HTTP/console/domains?sort=expiry" > "$work/www/by-expiry.html"
for page in domains by-expiry; do
    listed=$(grep -c 'href="/console/domains/bench-console-' "$work/www/$page.html" || true)
    [ "$listed" = 50 ] || { echo "FAIL: the $page page lists $listed domains, not 50" >&2; exit 1; }
done
grep -q ">$DOMAINS<" "$work/www/overview.html" ||
    { echo "FAIL: the overview does not count $DOMAINS domains" >&2; exit 1; }

weight() { # PAGE: HTML + every stylesheet and script it links, in bytes; no other origin
    local page=$1 total assets
    total=$(wc -c < "$page")
    if grep -Eo '(src|href)="https?://' "$page" >/dev/null; then
        echo "FAIL: $page refers to another origin" >&2; exit 1
    fi
    assets=$(grep -Eo '(href|src)="/assets/[^"]+\.(css|js)[^"]*"' "$page" | sed -E 's/^(href|src)="//; s/"$//')
    for asset in $assets; do
        total=$((total + $(curl -sf "http://$HTTP$asset" | wc -c)))
    done
    echo "$total"
}
echo "== page weight (HTML + CSS + JS, uncompressed; goal ≤ 100 KB)"
for page in overview domains; do
    printf '%-20s %8s bytes\n' "/console${page/overview/}" "$(weight "$work/www/$page.html")" | sed 's#/consoledomains#/console/domains#'
done

cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    types { text/html html; }
    server { listen $NGINX; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf"
sleep 0.5

rate() { grep "Requests/sec" "$work/$1.txt" | awk '{print $2}'; }
run() { # KEY NAME URL [wrk args…]
    local key=$1 name=$2 url=$3
    shift 3
    wrk_checked -t2 -c"$CLIENTS" -d"${DURATION}s" --latency -s bench/status200.lua "$@" "$url" \
        > "$work/$key.txt" || { cat "$work/$key.txt"; exit 1; }
    grep -q "Non-200 responses: 0$" "$work/$key.txt" ||
        { cat "$work/$key.txt"; echo "FAIL: $name: $(grep 'Non-200' "$work/$key.txt")" >&2; exit 1; }
    printf '%-48s %9s req/s   p50 %8s   p99 %8s\n' "$name" "$(rate "$key")" \
        "$(grep -E '^ +50%' "$work/$key.txt" | awk '{print $2}')" "$(grep -E '^ +99%' "$work/$key.txt" | awk '{print $2}')"
}
echo "== $CLIENTS connections, ${DURATION}s each, $(nproc) cores; server and wrk are separate processes"
run nginx-overview "nginx static overview.html" "http://$NGINX/overview.html"
run yuming-overview "yuming GET /console ($DOMAINS domains, cookie)" "http://$HTTP/console" -H "cookie: $cookie"
run nginx-domains "nginx static domains.html" "http://$NGINX/domains.html"
run yuming-domains "yuming GET /console/domains (50 of $DOMAINS, cookie)" "http://$HTTP/console/domains" -H "cookie: $cookie"
run yuming-by-expiry "yuming GET /console/domains?sort=expiry (50 of $DOMAINS)" "http://$HTTP/console/domains?sort=expiry" -H "cookie: $cookie"
python3 - "$(rate yuming-overview)" "$(rate nginx-overview)" "$(rate yuming-domains)" "$(rate nginx-domains)" <<'PY'
import sys
overview, nginx_overview, domains, nginx_domains = map(float, sys.argv[1:])
print(f"/console: {overview / nginx_overview:.0%} of nginx; /console/domains: {domains / nginx_domains:.0%} of nginx")
PY
