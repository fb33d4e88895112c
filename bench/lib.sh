# Shared by the bench scripts (sourced): load generators that fail the benchmark when any
# answer is not the expected one, so that a rate never counts refusals or errors.

# wrk_checked ARGS…: runs wrk, prints its report, and fails when a response was not 2xx/3xx
# ("Non-2xx or 3xx responses") or a request got no answer ("Socket errors": connect, read,
# write, timeout).
wrk_checked() {
    local out
    out=$(wrk "$@") || { echo "$out"; echo "FAIL: wrk $* did not run" >&2; return 1; }
    echo "$out"
    if grep -q "Non-2xx or 3xx responses" <<<"$out"; then
        echo "FAIL: wrk $*: $(grep "Non-2xx or 3xx responses" <<<"$out" | xargs) (of $(grep "requests in" <<<"$out" | awk '{print $1}'))" >&2
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
