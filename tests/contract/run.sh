#!/usr/bin/env bash
# The published contract, checked against a live server by tools nobody here wrote:
#   1. a Python client generated afresh from openapi/openapi.json (openapi-python-client), used
#      unmodified by walk.py to take a plan and a half-year return through the cycle;
#   2. the 360Giving export validated against the 360Giving package schema by jsonschema
#      (giving.py);
#   3. the webhooks the walk set off, each verified by the `standardwebhooks` library and its
#      payload by the document's schema, and the history checkpoints and signature attestations
#      verified by `cryptography` against the published Ed25519 key (webhooks.py);
#   4. schemathesis, every check and every phase, authenticated in turn as each role and as an
#      API client;
#   5. while all that runs, a real Prometheus server (Debian's package) scrapes the service's
#      metrics address and its query API must show the request and outbox series; promtool checks
#      the exposition; an OTLP/HTTP collector built on the official opentelemetry-proto classes
#      must receive the span of a request sent with a known traceparent (observability.py).
# The server runs with the demo data on the database given (a SQLite file by default).
# With CONTRACT_SUMMARY set, the observability checks' one-line results are appended to it.
#
# Usage: tests/contract/run.sh BINARY [postgres://server/ URL to make a scratch database on]
# Needs: python3 (installs its pinned tools into target/contract-tools on first use).
# CONTRACT_SECONDS bounds schemathesis per role (default 60).
set -euo pipefail
cd "$(dirname "$0")/../.."

BINARY=$(realpath "$1")
POSTGRES_SERVER=${2:-}
SECONDS_PER_ROLE=${CONTRACT_SECONDS:-60}
TOOLS=target/contract-tools
SCHEMATHESIS_VERSION=4.32.5
GENERATOR_VERSION=0.29.1
JSONSCHEMA_VERSION=4.23.0
RFC3339_VALIDATOR_VERSION=0.1.4
STANDARDWEBHOOKS_VERSION=1.1.0
CRYPTOGRAPHY_VERSION=50.0.2
OTEL_PROTO_VERSION=1.39.1
PROTOBUF_VERSION=6.33.6
PROMETHEUS_VERSION=2.42.0+ds-5+deb12u1

say() { printf 'contract: %s\n' "$*"; }

if ! "$TOOLS/bin/python" -c "import schemathesis, openapi_python_client, jsonschema, rfc3339_validator, standardwebhooks, cryptography, opentelemetry.proto" 2>/dev/null \
    || [ "$("$TOOLS/bin/schemathesis" --version 2>/dev/null | grep -o '[0-9][0-9.]*')" != "$SCHEMATHESIS_VERSION" ]; then
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION" "openapi-python-client==$GENERATOR_VERSION" \
        "jsonschema==$JSONSCHEMA_VERSION" "rfc3339-validator==$RFC3339_VALIDATOR_VERSION" \
        "standardwebhooks==$STANDARDWEBHOOKS_VERSION" "cryptography==$CRYPTOGRAPHY_VERSION" \
        "opentelemetry-proto==$OTEL_PROTO_VERSION" "protobuf==$PROTOBUF_VERSION"
fi
if [ "$(dpkg-query -W -f '${Version}' prometheus 2>/dev/null)" != "$PROMETHEUS_VERSION" ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "prometheus=$PROMETHEUS_VERSION" >/dev/null
fi
export PATH="$PWD/$TOOLS/bin:$PATH"

WORK=$(mktemp -d)
SERVER_PID=
RECEIVER_PID=
COLLECTOR_PID=
PROMETHEUS_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    for pid in "$COLLECTOR_PID" "$PROMETHEUS_PID"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }
    done
    # Killed, the receiver exits 143: not a failure of the run.
    [ -n "$RECEIVER_PID" ] && kill "$RECEIVER_PID" 2>/dev/null && { wait "$RECEIVER_PID" 2>/dev/null || true; }
    if [ -n "$POSTGRES_SERVER" ] && [ -n "${SCRATCH:-}" ]; then
        psql -q "$POSTGRES_SERVER" -c "DROP DATABASE IF EXISTS $SCRATCH" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

export CSPFUND_DATA_DIR="$WORK/data"
if [ -n "$POSTGRES_SERVER" ]; then
    SCRATCH="contract_$(date +%s)_$$"
    psql -q "$POSTGRES_SERVER" -c "CREATE DATABASE $SCRATCH" >/dev/null
    export DATABASE_URL="${POSTGRES_SERVER%/*}/$SCRATCH"
    export CSPFUND_JWT_SECRET="contract-test-signing-secret-of-at-least-32-bytes"
    CSPFUND_SIGNING_KEY=$(openssl genpkey -algorithm ed25519)
    export CSPFUND_SIGNING_KEY
    DATABASE=PostgreSQL
else
    unset DATABASE_URL
    DATABASE=SQLite
fi

openapi-python-client generate --path openapi/openapi.json --output-path "$WORK/client/cspfund_client" \
    --meta none >"$WORK/generate.log" 2>&1 || { cat "$WORK/generate.log"; exit 1; }
if grep -qi "warning" "$WORK/generate.log"; then
    cat "$WORK/generate.log"
    say "the generator could not read all of openapi/openapi.json"
    exit 1
fi
say "client generated from openapi/openapi.json by openapi-python-client $GENERATOR_VERSION"

# The demo's logins get a password of this run's, which walk.py reads from the environment too.
CSPFUND_DEMO_PASSWORD=$(openssl rand -hex 16)
export CSPFUND_DEMO_PASSWORD
"$BINARY" demo >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log"; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
METRICS_PORT=$(free_port)
COLLECTOR_PORT=$(free_port)
PROMETHEUS_PORT=$(free_port)
python "$(dirname "$0")/observability.py" receive-otlp "$COLLECTOR_PORT" "$WORK/spans.jsonl" &
COLLECTOR_PID=$!
cat >"$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: cspfund
    static_configs:
      - targets: ["127.0.0.1:$METRICS_PORT"]
YAML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" >"$WORK/prometheus.log" 2>&1 &
PROMETHEUS_PID=$!
# The webhook receiver runs on loopback, which only this allowance lets the service reach.
CSPFUND_BIND="127.0.0.1:$PORT" CSPFUND_LOG=warn CSPFUND_WEBHOOK_ALLOW_PRIVATE=true CSPFUND_WEBHOOK_POLL_MS=100 \
    CSPFUND_METRICS_BIND="127.0.0.1:$METRICS_PORT" CSPFUND_OTLP_ENDPOINT="http://127.0.0.1:$COLLECTOR_PORT" \
    "$BINARY" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 50); do
    curl -sf "$BASE/health/ready" >/dev/null && break
    sleep 0.2
done
curl -sf "$BASE/health/ready" >/dev/null || { cat "$WORK/server.log"; exit 1; }

token() {
    curl -sf "$BASE/api/v1/auth/token" -H 'content-type: application/json' -d "$1" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
login() { token "{\"email\": \"$1\", \"password\": \"$CSPFUND_DEMO_PASSWORD\"}"; }
ADMIN=$(login admin@opcc.example)

RECEIVER_PORT=$(free_port)
python "$(dirname "$0")/webhooks.py" receive "$RECEIVER_PORT" "$WORK/deliveries.jsonl" &
RECEIVER_PID=$!
SUBSCRIPTION=$(python "$(dirname "$0")/webhooks.py" subscribe "$BASE" "$ADMIN" "$RECEIVER_PORT")

python "$(dirname "$0")/walk.py" "$BASE" "$WORK/client"
python "$(dirname "$0")/webhooks.py" check "$BASE" "$ADMIN" "$SUBSCRIPTION" "$WORK/deliveries.jsonl"

# Every token first: the admin's fuzzing may deactivate or re-role the other accounts.
CLIENT=$(curl -sf "$BASE/api/v1/api-clients" -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' \
    -d '{"name": "Plymouth grants system", "role": "csp_manager", "partnership_id": 1}')
CLIENT_LOGIN=$(python3 -c 'import json, sys; c = json.loads(sys.argv[1]); print(json.dumps({"client_id": c["client_id"], "client_secret": c["client_secret"]}))' "$CLIENT")
declare -A TOKENS=(
    [csp_manager]=$(login manager@safer-plymouth.example)
    [treasurer]=$(login treasurer@safer-plymouth.example)
    [api_client]=$(token "$CLIENT_LOGIN")
    [opcc_reviewer]=$(login reviewer@opcc.example)
    [opcc_finance]=$(login finance@opcc.example)
    [admin]=$ADMIN
)

python "$(dirname "$0")/giving.py" "$BASE" "$ADMIN" "${TOKENS[csp_manager]}"

# A request that names its caller's span: the service's span must reach the collector under it.
TRACE=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
PARENT=$(python3 -c 'import secrets; print(secrets.token_hex(8))')
curl -sf -o /dev/null "$BASE/api/v1/me" -H "authorization: Bearer $ADMIN" -H "traceparent: 00-$TRACE-$PARENT-01"
observed() {
    say "$1"
    if [ -n "${CONTRACT_SUMMARY:-}" ]; then printf '%s\n' "$1 ($DATABASE)" >>"$CONTRACT_SUMMARY"; fi
}
# Each check is assigned first, so that one failing stops the run (set -e).
line=$(python "$(dirname "$0")/observability.py" check-otlp "$WORK/spans.jsonl" "$TRACE" "$PARENT")
observed "$line"
curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >"$WORK/metrics.txt"
if promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.log" 2>&1; then
    observed "promtool: check metrics found no problems in $(grep -vc '^#' "$WORK/metrics.txt") samples"
else
    cat "$WORK/promtool.log"
    observed "promtool: check metrics FAILED"
    exit 1
fi
line=$(python "$(dirname "$0")/observability.py" check-prometheus "http://127.0.0.1:$PROMETHEUS_PORT" \
    'cspfund_http_requests_total{route="/api/v1/me"}' cspfund_webhook_outbox_backlog cspfund_webhook_outbox_unread_entries \
    cspfund_webhook_deliveries_total cspfund_process_resident_memory_bytes)
observed "$line"

# One worker: CPython 3.11 keeps the AST parser's recursion count per interpreter, and
# hypothesis parsing lambdas on two threads at once fails with "AST constructor recursion depth
# mismatch".
failed=0
for role in csp_manager treasurer api_client opcc_reviewer opcc_finance admin; do
    if schemathesis --config-file tests/contract/schemathesis.toml run "$BASE/api/v1/openapi.json" \
        --url "$BASE" -H "Authorization: Bearer ${TOKENS[$role]}" \
        --checks all --phases examples,coverage,fuzzing,stateful \
        --max-time "$SECONDS_PER_ROLE" --workers 1 --seed 1 >"$WORK/schemathesis-$role.log" 2>&1; then
        say "schemathesis as $role on $DATABASE: $(grep -E '^=+ .* in [0-9.]+s =+$' "$WORK/schemathesis-$role.log" | tr -d '=' | xargs)"
    else
        cat "$WORK/schemathesis-$role.log"
        say "schemathesis as $role on $DATABASE FAILED"
        failed=1
    fi
done
if grep -q "panicked" "$WORK/server.log"; then
    cat "$WORK/server.log"
    say "the server panicked"
    failed=1
fi
exit $failed
