#!/bin/bash
# Property-based check of the running API against its own OpenAPI document (not part of CI):
# a fresh `yuming serve` (SQLite) on 127.0.0.1, a customer with a little seed data (a contact,
# a registration, a filing order, so that lists are not empty), then schemathesis with a
# customer bearer token. Passes when there is no 5xx, no response outside its schema and no
# undocumented status code.
#
#   BINARY=target/debug/yuming ST=st MAX_TIME=600 SEED=3 \
#     crates/yuming-http/tests/it/tools/schemathesis.sh
#
# Needs schemathesis (PyPI, 4.x) and curl; extra arguments go to `st run`. (Not YUMING_BIN:
# every YUMING_* variable is configuration to the binary.)
set -u
BIN=${BINARY:-target/debug/yuming}
ST=${ST:-st}
PORT=${PORT:-18473}
BASE=http://127.0.0.1:$PORT
WORK=$(mktemp -d)
trap 'kill "${SERVER:-}" 2>/dev/null; rm -rf "$WORK"' EXIT
export YUMING_DATA_DIR=$WORK/data YUMING_HTTP_ADDR=127.0.0.1:$PORT YUMING_DNS_ADDR= \
  YUMING_WHOIS_ADDR= YUMING_AUTH__ARGON2_MEMORY_KIB=64 YUMING_AUTH__ARGON2_ITERATIONS=1 \
  YUMING_LOG=warn
echo 'correct horse battery' | "$BIN" user create --email c@example.com --role customer --password-stdin >/dev/null
"$BIN" account credit --email c@example.com --amount 10000000 --currency CNY >/dev/null
"$BIN" serve > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.2; done
json() { python3 -c "import sys,json;print(json.load(sys.stdin)[\"$1\"])"; }
TOKEN=$(curl -s -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"c@example.com","password":"correct horse battery"}' | json token)
H="Authorization: Bearer $TOKEN"
J='content-type: application/json'
P='{"name":"张三","id_type":"resident_id","id_number":"11010519491231002X","mobile":"13800138000","email":"p@example.com"}'
CID=$(curl -s -X POST "$BASE/api/v1/contacts" -H "$H" -H "$J" -d '{"kind":"person","name":"张三","id_type":"resident_id","id_number":"11010519491231002X","email":"z@example.com","phone":"+86.13800138000","address":{"country":"CN","province":"北京市","city":"北京市","street":"长安街 1 号"}}' | json id)
curl -sf -X POST "$BASE/api/v1/domains" -H "$H" -H "$J" -d "{\"name\":\"seed-example.cn\",\"years\":1,\"registrant_contact_id\":\"$CID\"}" >/dev/null
EID=$(curl -s -X POST "$BASE/api/v1/filing/entities" -H "$H" -H "$J" -d "{\"entity_type\":\"PERSON\",\"name\":\"张三\",\"province\":\"北京\",\"cert_type\":\"resident_id\",\"cert_no\":\"11010519491231002X\",\"address\":\"北京市东城区长安街 1 号\",\"principal\":$P,\"principal_is_legal_rep\":true}" | json id)
SID=$(curl -s -X POST "$BASE/api/v1/filing/entities/$EID/sites" -H "$H" -H "$J" -d "{\"name\":\"张三的学习笔记\",\"domain\":\"seed-example.cn\",\"homepage\":\"https://www.seed-example.cn/\",\"content_types\":[100],\"preapprovals\":[],\"purpose\":\"记录生活与学习\",\"languages\":[\"zh-CN\"],\"principal\":$P,\"servers\":[\"203.0.113.30\"]}" | json id)
curl -sf -X POST "$BASE/api/v1/filing/orders" -H "$H" -H "$J" -d "{\"operation\":\"FIRST\",\"entity_id\":\"$EID\",\"site_id\":\"$SID\"}" >/dev/null
# Logout would end the token every other request uses; security parameters are not generated
# (a random X-Yuming-Key next to the token is a 401 by design).
"$ST" run "$BASE/api/openapi.json" --url "$BASE" -H "$H" \
  --generation-with-security-parameters false \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
  --exclude-path /api/v1/auth/logout \
  --max-examples 20 --max-time "${MAX_TIME:-600}" --workers 2 --seed "${SEED:-3}" --no-color "$@"
