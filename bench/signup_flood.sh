#!/usr/bin/env bash
# The sign-up flood of the security review (issue 13 item 2): 64 clients post sign-ups with
# fresh addresses for 10 s against a release `yuming serve` on SQLite, once with the default
# per-IP limit and once with it lifted (so every request reaches the password hasher), and
# report the server's peak RSS (VmHWM) and the answers. Fails when any answer is other than
# 202 (accepted) or 429 (SERVER_BUSY / RATE_LIMITED, with Retry-After), or when the peak RSS
# exceeds 1 GiB.
#
#   bench/signup_flood.sh            # needs wrk (.ci/install-tools --bench)
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-64}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
LIMIT_KIB=$((1024 * 1024))

cargo build --release --locked -q -p yuming
bin=${CARGO_TARGET_DIR:-target}/release/yuming
work=$(mktemp -d)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/signup.lua" <<'LUA'
local counter = 0
local threads = {}
-- Numbers, not a table: wrk copies only plain values between its threads.
accepted, refused, other = 0, 0, 0
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"email":"flood-%d-%d@example.com","password":"correct horse battery","display_name":"f"}',
    id, counter)
  return wrk.format(nil, "/api/v1/auth/signup", nil, body)
end
function response(status, headers, body)
  if status == 202 then accepted = accepted + 1
  elseif status == 429 then refused = refused + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local a, r, o = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted"); r = r + t:get("refused"); o = o + t:get("other")
  end
  io.write(string.format("status 202 %d\nstatus 429 %d\nstatus other %d\n", a, r, o))
end
LUA

run() {
    local label=$1 per_hour=$2 port=$3
    rm -rf "$work/data"
    YUMING_DATA_DIR="$work/data" YUMING_HTTP_ADDR="127.0.0.1:$port" YUMING_DNS_ADDR="" \
        YUMING_AUTH__SIGNUPS_PER_IP_PER_HOUR="$per_hour" YUMING_LOG=warn \
        "$bin" serve >"$work/serve-$label.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
        sleep 0.1
    done
    local before out peak
    before=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
    out=$(wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" --timeout 10s -s "$work/signup.lua" \
        "http://127.0.0.1:$port")
    peak=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
    echo "== $label (signups_per_ip_per_hour=$per_hour): RSS before ${before} KiB, peak $((peak / 1024)) MiB"
    grep -E "Requests/sec|Latency|requests in|Socket errors" <<<"$out" || true
    grep "^status" <<<"$out" | sort
    if grep "^status" <<<"$out" | awk '$2 == "other" && $3 > 0 { bad = 1 } END { exit !bad }'; then
        echo "FAIL: an answer other than 202 or 429" >&2; return 1
    fi
    if grep -q "Socket errors" <<<"$out"; then
        echo "FAIL: requests without an answer" >&2; return 1
    fi
    if [ "$peak" -gt "$LIMIT_KIB" ]; then
        echo "FAIL: peak RSS ${peak} KiB over 1 GiB" >&2; return 1
    fi
}

run default 20 18481
run unlimited 0 18482
