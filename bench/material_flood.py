#!/usr/bin/env python3
"""Peak RSS of `yuming serve` under N concurrent filing-material uploads (security review item 3).

Usage: material_flood.py BASE_URL SERVER_PID [N=16] [bomb|legit]
  bomb:  a valid all-black 9 200 x 9 200 PNG (247 KB, 254 MB decoded): refused from its header.
  legit: a 6 300 x 6 300 colour PNG (39.7 Mpx, within the budget, 4 MB): decoded, re-encoded.
Samples VmHWM of the server from /proc; talks to 127.0.0.1 only.
"""
import json, struct, sys, threading, time, urllib.request, zlib

BASE = sys.argv[1]            # e.g. http://127.0.0.1:18080
PID = int(sys.argv[2])        # server pid
N = int(sys.argv[3]) if len(sys.argv) > 3 else 16

def call(method, path, body=None, token=None, raw=None, ctype="application/json"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", ctype)
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")

def png_9200():
    side = 9200
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    z = zlib.compressobj(9)
    row = b"\0" * (1 + 3 * side)
    idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))

def status():
    out = {}
    for line in open(f"/proc/{PID}/status"):
        k, _, v = line.partition(":")
        if k in ("VmHWM", "VmRSS"):
            out[k] = int(v.split()[0])
    return out

email = f"flood{int(time.time())}@example.com"
person = {"name": "张三", "id_type": "resident_id", "id_number": "11010519491231002X",
          "mobile": "13800138000", "email": "zhangsan@example.com"}
print("signup", call("POST", "/api/v1/auth/signup", {"email": email, "password": "correct horse battery", "display_name": "flood"})[0])
st, login = call("POST", "/api/v1/auth/login", {"email": email, "password": "correct horse battery"})
token = login["token"]
st, ent = call("POST", "/api/v1/filing/entities", {"entity_type": "PERSON", "name": "张三", "province": "北京",
    "cert_type": "resident_id", "cert_no": "110105194912310021", "address": "北京市东城区长安街 1 号", "principal": person}, token)
print("entity", st)
st, site = call("POST", f"/api/v1/filing/entities/{ent['id']}/sites", {"name": "张三的学习笔记", "domain": "zhangsan-flood.cn",
    "homepage": "https://zhangsan-flood.cn/", "content_types": [100], "purpose": "博客", "principal": person,
    "servers": ["192.0.2.1"]}, token)
print("site", st)
st, order = call("POST", "/api/v1/filing/orders", {"operation": "FIRST", "entity_id": ent["id"], "site_id": site["id"]}, token)
print("order", st, order.get("status"))
def png_legit(side=6300):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    z = zlib.compressobj(9)
    parts = []
    for y in range(side):
        row = bytes([0]) + bytes(v for x in range(side) for v in (x % 256, y % 256, 128))
        parts.append(z.compress(row))
    idat = b"".join(parts) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))

bomb = png_legit() if len(sys.argv) > 4 and sys.argv[4] == "legit" else png_9200()
print("bomb bytes", len(bomb))
print("before", status())
results = []
peak = {"VmHWM": 0}
stop = False
def sampler():
    while not stop:
        s = status(); peak["VmHWM"] = max(peak["VmHWM"], s["VmHWM"]); time.sleep(0.05)
threading.Thread(target=sampler, daemon=True).start()
def up(i):
    st, body = call("POST", f"/api/v1/filing/orders/{order['id']}/materials/other", token=token, raw=bomb, ctype="image/png")
    results.append((st, (body or {}).get("error", {}).get("code")))
t0 = time.time()
threads = [threading.Thread(target=up, args=(i,)) for i in range(N)]
for t in threads: t.start()
for t in threads: t.join()
stop = True
time.sleep(0.2)
print("elapsed %.2fs" % (time.time() - t0))
import collections; print("results", collections.Counter(results))
after = status()
print("after", after, "peak VmHWM kB", max(peak["VmHWM"], after["VmHWM"]))
