# Parses our /rdap/domain answer with the independent PyPI client `whoisit` (installed by ./test),
# pointed at the test server through bootstrap data of its own; prints what it understood.
import json, sys, whoisit
port = sys.argv[1]
name = sys.argv[2]
url = f"http://127.0.0.1:{port}/rdap/"
data = {
    "timestamp": 1700000000,
    "dns": {"services": [[["com"], [url]]]},
    "asn": {"services": [[["64496-64511"], [url]]]},
    "ipv4": {"services": [[["192.0.2.0/24"], [url]]]},
    "ipv6": {"services": [[["2001:db8::/32"], [url]]]},
    "object": {"services": [[["test@example.com"], ["TEST"], [url]]]},
}
whoisit.load_bootstrap_data(json.dumps(data), allow_insecure=True)
r = whoisit.domain(name, allow_insecure_ssl=True, follow_related=False)
print(json.dumps(r, default=str))
