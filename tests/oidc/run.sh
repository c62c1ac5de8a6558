#!/usr/bin/env bash
# The service as an OAuth 2.0 resource server against a real OpenID Provider: oidc-provider from
# the npm registry (pinned in package-lock.json) runs three tenants, the OPCC's, Safer Plymouth's
# council's and Safer Torbay's, each its own issuer; the service trusts each for its own
# organisation; check.py signs people in through them and checks what the service accepts,
# refuses and records, and machines' OAuth 2.0 token requests through Authlib.
#
# Usage: tests/oidc/run.sh BINARY [postgres://server/ URL to make a scratch database on]
# Needs: node and npm (the machine's Node.js 20), python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

BINARY=$(realpath "$1")
POSTGRES_SERVER=${2:-}
TOOLS=target/oidc-tools
AUTHLIB_VERSION=1.6.5
REQUESTS_VERSION=2.32.5
CRYPTOGRAPHY_VERSION=50.0.2
AUDIENCE=https://cspfund.example/api/v1
SIGNING_MAX_AGE=5

say() { printf 'oidc: %s\n' "$*"; }

if ! "$TOOLS/bin/python" -c "import authlib, requests, cryptography" 2>/dev/null \
    || [ "$("$TOOLS/bin/python" -c 'import authlib; print(authlib.__version__)')" != "$AUTHLIB_VERSION" ]; then
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install --quiet --disable-pip-version-check \
        "authlib==$AUTHLIB_VERSION" "requests==$REQUESTS_VERSION" "cryptography==$CRYPTOGRAPHY_VERSION"
fi
PROVIDER_DIR=target/oidc-provider
mkdir -p "$PROVIDER_DIR"
cp tests/oidc/package.json tests/oidc/package-lock.json tests/oidc/provider.mjs "$PROVIDER_DIR/"
(cd "$PROVIDER_DIR" && npm ci --silent --no-audit --no-fund >/dev/null)

WORK=$(mktemp -d)
SERVER_PID=
PROVIDER_PID=
cleanup() {
    for pid in "$SERVER_PID" "$PROVIDER_PID"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }
    done
    if [ -n "$POSTGRES_SERVER" ] && [ -n "${SCRATCH:-}" ]; then
        psql -q "$POSTGRES_SERVER" -c "DROP DATABASE IF EXISTS $SCRATCH" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

export CSPFUND_DATA_DIR="$WORK/data"
if [ -n "$POSTGRES_SERVER" ]; then
    SCRATCH="oidc_$(date +%s)_$$"
    psql -q "$POSTGRES_SERVER" -c "CREATE DATABASE $SCRATCH" >/dev/null
    export DATABASE_URL="${POSTGRES_SERVER%/*}/$SCRATCH"
    DATABASE=PostgreSQL
else
    unset DATABASE_URL
    DATABASE=SQLite
fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
OPCC_PORT=$(free_port) PLYMOUTH_PORT=$(free_port) TORBAY_PORT=$(free_port) PORT=$(free_port)
OPCC="http://127.0.0.1:$OPCC_PORT" PLYMOUTH="http://127.0.0.1:$PLYMOUTH_PORT" TORBAY="http://127.0.0.1:$TORBAY_PORT"
AUDIENCE=$AUDIENCE TENANTS="{\"opcc\": $OPCC_PORT, \"plymouth\": $PLYMOUTH_PORT, \"torbay\": $TORBAY_PORT}" \
    node "$PROVIDER_DIR/provider.mjs" >"$WORK/provider.log" 2>&1 &
PROVIDER_PID=$!

# The demo's partnerships: Safer Plymouth is the first made, Safer Torbay the second.
cat >"$WORK/issuers.json" <<JSON
[
  {"issuer": "$OPCC", "audience": "$AUDIENCE", "organisation": "opcc"},
  {"issuer": "$PLYMOUTH", "audience": "$AUDIENCE", "organisation": {"partnership_id": 1},
   "signing_max_age": $SIGNING_MAX_AGE, "mfa_acr_values": ["urn:cspfund:test:multi-factor"]},
  {"issuer": "$TORBAY", "audience": "$AUDIENCE", "organisation": {"partnership_id": 2}}
]
JSON
CSPFUND_DEMO_PASSWORD=$(openssl rand -hex 16)
export CSPFUND_DEMO_PASSWORD
"$BINARY" demo >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log"; exit 1; }
BASE="http://127.0.0.1:$PORT"
CSPFUND_BIND="127.0.0.1:$PORT" CSPFUND_PUBLIC_URL="$BASE" CSPFUND_LOG=warn CSPFUND_OIDC_ISSUERS="$WORK/issuers.json" \
    CSPFUND_OIDC_KEY_REFETCH_INTERVAL=1 "$BINARY" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
# Each issuer makes an RSA key as it starts, which on a busy machine can take seconds: wait for
# every issuer and the service, up to a minute, and name the one that did not come up.
ready() {
    local url=$1 log=$2
    for _ in $(seq 1 300); do
        curl -sf "$url" >/dev/null && return
        sleep 0.2
    done
    say "no answer from $url within 60 s"
    cat "$log"
    exit 1
}
for issuer in "$OPCC" "$PLYMOUTH" "$TORBAY"; do ready "$issuer/.well-known/openid-configuration" "$WORK/provider.log"; done
ready "$BASE/health/ready" "$WORK/server.log"

AUDIENCE=$AUDIENCE SIGNING_MAX_AGE=$SIGNING_MAX_AGE "$TOOLS/bin/python" tests/oidc/check.py "$BASE" "$OPCC" "$PLYMOUTH" "$TORBAY" ||
    { tail -20 "$WORK/server.log"; tail -20 "$WORK/provider.log"; exit 1; }
say "passed on $DATABASE against oidc-provider $(node -p "require('./$PROVIDER_DIR/node_modules/oidc-provider/package.json').version")"
