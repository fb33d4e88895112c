#!/usr/bin/env bash
# DNS benchmark on 127.0.0.1 only, bounded in time: the same 10 000-record zone served by
# `yuming serve` (SQLite; records imported through the API) and by Knot, each measured with
# dnsperf over UDP in the same run, then the ratio; then RDAP domain lookups with wrk against
# `yuming serve` (its RDAP rate limit lifted: RDAP_LIMIT, default 0 = unlimited) and nginx
# serving the same JSON as a static file. Fails when any answer is not the expected one: a
# lost query or a response code other than NOERROR/NXDOMAIN (or an NXDOMAIN share unlike the
# query file's), or any wrk response that is not 2xx/3xx (bench/lib.sh).
# Needs: a release build (cargo build --release -p yuming); dnsperf, knotd, dig, wrk, nginx and
# curl are installed when missing (.ci/install-tools --bench); python3.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
.ci/install-tools --bench
BIN=${BENCH_BIN:-${CARGO_TARGET_DIR:-target}/release/yuming}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-8}
RDAP_LIMIT=${RDAP_LIMIT:-0}
ZONE=bench-dns.com
HTTP=127.0.0.1:18180
YPORT=18153
KPORT=18253
work=$(mktemp -d)
# nginx's workers run as www-data when started by root: they must be able to read $work/www
# (mktemp makes the directory 0700, and nginx would answer 403 to every request).
chmod 755 "$work"
cleanup() {
    [ -n "${yuming_pid:-}" ] && kill "$yuming_pid" 2>/dev/null || true
    [ -n "${knot_pid:-}" ] && kill "$knot_pid" 2>/dev/null || true
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== zone: 10 000 records (A, AAAA, TXT, MX, CNAME mix) and a query file"
python3 - "$work" "$ZONE" <<'PY'
import sys, random
work, zone = sys.argv[1], sys.argv[2]
random.seed(7)
lines, queries = [], []
for i in range(10000):
    kind = i % 10
    name = f"h{i}"
    if kind < 6:
        lines.append(f"{name} 600 IN A 10.{i // 65536}.{(i // 256) % 256}.{i % 256}"); queries.append(f"{name}.{zone} A")
    elif kind == 6:
        lines.append(f"{name} 600 IN AAAA 2001:db8::{i:x}"); queries.append(f"{name}.{zone} AAAA")
    elif kind == 7:
        lines.append(f'{name} 600 IN TXT "v=spf1 include:_spf.example.net ~all"'); queries.append(f"{name}.{zone} TXT")
    elif kind == 8:
        lines.append(f"{name} 600 IN MX 10 mail.example.net."); queries.append(f"{name}.{zone} MX")
    else:
        lines.append(f"{name} 600 IN CNAME h{i - 1}"); queries.append(f"{name}.{zone} A")
for i in range(1000):
    queries.append(f"missing{i}.{zone} A")
random.shuffle(queries)
open(f"{work}/records.txt", "w").write("\n".join(lines) + "\n")
open(f"{work}/queries.txt", "w").write("\n".join(queries) + "\n")
PY

echo "== yuming serve (SQLite), zone imported through the API"
export YUMING_DATA_DIR="$work/data" YUMING_LOG=warn YUMING_WHOIS_ADDR=
YUMING_LOOKUP__RDAP_PER_IP_PER_MINUTE=$RDAP_LIMIT YUMING_HTTP_ADDR=$HTTP YUMING_DNS_ADDR=127.0.0.1:$YPORT \
    "$BIN" serve &
yuming_pid=$!
for _ in $(seq 1 100); do curl -sf "http://$HTTP/healthz" >/dev/null && break; sleep 0.1; done
api() { curl -sf -X "$1" "http://$HTTP$2" -H 'content-type: application/json' ${TOKEN:+-H "authorization: Bearer $TOKEN"} ${3:+--data-binary "$3"}; }
# An operator-made customer counts as verified (a self sign-up would first need the mailed link).
echo 'correct horse battery' | "$BIN" user create --email bench@example.com --role customer --password-stdin >/dev/null
"$BIN" account credit --email bench@example.com --amount 1000000 >/dev/null
TOKEN=$(api POST /api/v1/auth/login '{"email":"bench@example.com","password":"correct horse battery"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
CONTACT=$(api POST /api/v1/contacts '{"kind":"person","name":"张三","id_type":"resident_id","id_number":"11010519491231002X","email":"bench@example.com","phone":"+86.13800138000","address":{"country":"CN","province":"北京市","city":"北京市","street":"长安街 1 号"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api POST /api/v1/domains "{\"name\":\"$ZONE\",\"years\":1,\"registrant_contact_id\":\"$CONTACT\"}" >/dev/null
python3 -c 'import json,sys; print(json.dumps({"zone_file": open(sys.argv[1]).read()}))' "$work/records.txt" > "$work/import.json"
api POST "/api/v1/domains/$ZONE/zone" "@$work/import.json" | python3 -c 'import json,sys; print("imported", len(json.load(sys.stdin)["records"]), "records")'
api GET "/api/v1/domains/$ZONE/zone" | python3 -c 'import json,sys; print(json.load(sys.stdin)["zone_file"], end="")' > "$work/$ZONE.zone"
for _ in $(seq 1 50); do [ -n "$(dig @127.0.0.1 -p $YPORT +short h0.$ZONE A)" ] && break; sleep 0.2; done

echo "== Knot (primary for the same zone file)"
mkdir -p "$work/knot"
cat > "$work/knot/knot.conf" <<CONF
server:
  rundir: $work/knot
  listen: 127.0.0.1@$KPORT
  background-workers: 1
database:
  storage: $work/knot
zone:
  - domain: $ZONE
    file: $work/$ZONE.zone
CONF
knotd -c "$work/knot/knot.conf" >"$work/knot/log" 2>&1 &
knot_pid=$!
for _ in $(seq 1 50); do [ -n "$(dig @127.0.0.1 -p $KPORT +short h0.$ZONE A)" ] && break; sleep 0.2; done
for port in $YPORT $KPORT; do
    [ "$(dig @127.0.0.1 -p $port +short h1.$ZONE A)" = "10.0.0.1" ] || { echo "port $port does not answer"; exit 1; }
done

# 1 000 of the 11 000 queries ask for missing names: NXDOMAIN is expected for 9.1 % of answers.
# At most 100 queries in flight: more overflow a server's default UDP receive buffer (208 KiB)
# whenever it is descheduled, and dropped queries count as lost (a failure here); 100 still
# keeps either server busy on loopback.
run() {
    dnsperf_checked 8 10.5 -s 127.0.0.1 -p "$1" -d "$work/queries.txt" -l "$DURATION" -c "$CLIENTS" \
        -Q 1000000 -q 100 > "$work/dnsperf-$1.txt" || { cat "$work/dnsperf-$1.txt" >&2; return 1; }
    awk '/Queries per second/ {print $4}' "$work/dnsperf-$1.txt"
}
echo "== dnsperf, UDP, ${DURATION}s each, $CLIENTS clients"
knot_qps=$(run $KPORT)
echo "knot:   $knot_qps qps"
yuming_qps=$(run $YPORT)
echo "yuming: $yuming_qps qps (no query lost, every answer NOERROR or NXDOMAIN as expected)"
python3 -c "print(f'ratio yuming/knot: {float(\"$yuming_qps\") / float(\"$knot_qps\") * 100:.0f} %')"

echo "== RDAP: wrk against /rdap/domain/$ZONE (SQLite) vs nginx serving the same JSON, ${DURATION}s each"
echo "(yuming's RDAP limit per source IP: ${RDAP_LIMIT}/min, 0 = lifted for the benchmark)"
mkdir -p "$work/www"
curl -sf "http://$HTTP/rdap/domain/$ZONE" > "$work/www/rdap.json"
cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    types { application/rdap+json json; }
    server { listen 127.0.0.1:18181; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf"
sleep 0.5
wrk_checked -t2 -c32 -d"${DURATION}s" http://127.0.0.1:18181/rdap.json > "$work/wrk-nginx.txt" ||
    { cat "$work/wrk-nginx.txt"; exit 1; }
nginx_rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk-nginx.txt")
echo "nginx:  $nginx_rps req/s (static $(wc -c < "$work/www/rdap.json")-byte JSON)"
wrk_checked -t2 -c32 -d"${DURATION}s" "http://$HTTP/rdap/domain/$ZONE" > "$work/wrk-rdap.txt" ||
    { cat "$work/wrk-rdap.txt"; exit 1; }
rdap_rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk-rdap.txt")
echo "yuming: $rdap_rps req/s (every answer 2xx)"
python3 -c "print(f'ratio yuming/nginx: {float(\"$rdap_rps\") / float(\"$nginx_rps\") * 100:.0f} %')"
