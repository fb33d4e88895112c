# Shared by the bench scripts (sourced): load generators that fail the benchmark when any
# answer is not the expected one, so that a rate never counts refusals or errors.

# wrk_checked ARGS…: runs wrk, prints its report, and fails when a request got no answer
# ("Socket errors": connect, read, write, timeout) or an answer was not exactly 200: wrk's own
# "Non-2xx or 3xx responses" line lets redirects pass, so unless the caller brings its own
# script, bench/status200.lua counts every status other than 200 ("Non-200 responses").
wrk_checked() {
    local out args=("$@")
    if ! printf '%s\n' "$@" | grep -qx -- "-s"; then
        args=(-s "$(dirname "${BASH_SOURCE[0]}")/status200.lua" "$@")
    fi
    out=$(wrk "${args[@]}") || { echo "$out"; echo "FAIL: wrk $* did not run" >&2; return 1; }
    echo "$out"
    if grep -q "Non-2xx or 3xx responses" <<<"$out"; then
        echo "FAIL: wrk $*: $(grep "Non-2xx or 3xx responses" <<<"$out" | xargs) (of $(grep "requests in" <<<"$out" | awk '{print $1}'))" >&2
        return 1
    fi
    if grep -Eq "Non-200 responses: [1-9]" <<<"$out"; then
        echo "FAIL: wrk $*: $(grep "Non-200 responses" <<<"$out" | xargs) (of $(grep "requests in" <<<"$out" | awk '{print $1}'))" >&2
        return 1
    fi
    if grep -q "Socket errors" <<<"$out"; then
        echo "FAIL: wrk $*: $(grep "Socket errors" <<<"$out" | xargs)" >&2
        return 1
    fi
}

# dnsperf_checked NXDOMAIN_MIN NXDOMAIN_MAX ARGS…: runs dnsperf, prints its report, and fails
# when a query was lost, when any response code other than NOERROR and NXDOMAIN came back, or
# when the share of NXDOMAIN (in per cent) is outside [NXDOMAIN_MIN, NXDOMAIN_MAX] (the query
# file's share of missing names): a server answering REFUSED or NXDOMAIN to everything fails.
dnsperf_checked() {
    local nx_min=$1 nx_max=$2 out
    shift 2
    out=$(dnsperf "$@" 2>&1) || { echo "$out"; echo "FAIL: dnsperf $* did not run" >&2; return 1; }
    echo "$out"
    awk -v nx_min="$nx_min" -v nx_max="$nx_max" '
        /Queries lost:/ { lost = $3 }
        /Response codes:/ {
            line = $0; sub(/.*Response codes: */, "", line)
            n = split(line, parts, /, */)
            for (i = 1; i <= n; i++) {
                split(parts[i], f, " ")
                code = f[1]; count = f[2]; pct = f[3]; gsub(/[()%]/, "", pct)
                if (code == "NXDOMAIN") nx = pct
                else if (code != "NOERROR") bad = bad " " code " " count
            }
            seen = 1
        }
        END {
            if (!seen) { print "FAIL: dnsperf printed no response codes"; exit 1 }
            if (lost + 0 > 0) { print "FAIL: dnsperf lost " lost " queries"; exit 1 }
            if (bad != "") { print "FAIL: unexpected response codes:" bad; exit 1 }
            if (nx + 0 < nx_min || nx + 0 > nx_max) {
                print "FAIL: NXDOMAIN share " nx + 0 " % outside " nx_min "–" nx_max " %"; exit 1
            }
        }' <<<"$out" >&2
}

# serve_customer_with_domains HTTP NAME COUNT: starts `yuming serve` ($BIN, SQLite in $work)
# on HTTP, creates the customer NAME@example.com with money, a registrant contact and COUNT
# domains NAME-1.com…, all through the operator CLI and the API. Sets yuming_pid, email,
# password, token (a bearer token) and contact; defines api (curl with the token). The
# caller's EXIT trap kills yuming_pid and removes $work.
serve_customer_with_domains() {
    local http=$1 name=$2 count=$3
    export YUMING_DATA_DIR="$work/data" YUMING_LOG=warn YUMING_DNS_ADDR= YUMING_WHOIS_ADDR=
    export YUMING_HTTP__MAX_CONNECTIONS_PER_IP=0
    email=$name@example.com
    password="$name password 1"
    echo "$password" | "$BIN" user create --email "$email" --role customer --password-stdin >/dev/null
    "$BIN" account credit --email "$email" --amount 100000000 --currency CNY --note bench >/dev/null
    YUMING_HTTP_ADDR=$http "$BIN" serve &
    yuming_pid=$!
    for _ in $(seq 1 100); do curl -sf "http://$http/healthz" >/dev/null && break; sleep 0.1; done
    token=$(curl -sf "http://$http/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"$email\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    api() { curl -sf -H "authorization: Bearer $token" -H 'content-type: application/json' "$@"; }
    contact=$(api "http://$http/api/v1/contacts" -d '{"kind":"person","name":"张三","id_type":"resident_id",
        "id_number":"11010519491231002X","email":"holder@example.com","phone":"+86.13800138000",
        "address":{"country":"CN","province":"北京市","city":"北京市","street":"长安街 1 号"}}' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    local i
    for i in $(seq 1 "$count"); do
        api "http://$http/api/v1/domains" -d "{\"name\":\"$name-$i.com\",\"years\":1,\"registrant_contact_id\":\"$contact\"}" >/dev/null
    done
}
