#!/usr/bin/env bash
# Two instances of the service on one PostgreSQL database behind nginx (from Debian's packages),
# on loopback: the yearly cycle walked through the proxy by the client generated from the
# OpenAPI document (tests/contract/walk.py), then tests/instances/check.py.
#
# Usage: tests/instances/run.sh BINARY postgres://server/ URL to make a scratch database on
# Needs: nginx (installed with apt-get when missing), and the contract tools that
# tests/contract/run.sh installs into target/contract-tools.
set -euo pipefail
cd "$(dirname "$0")/../.."

BINARY=$(realpath "$1")
POSTGRES_SERVER=$2
TOOLS=target/contract-tools
say() { printf 'instances: %s\n' "$*"; }

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    apt-get install -y --no-install-recommends nginx-light >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y --no-install-recommends nginx-light >/dev/null; }
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

WORK=$(mktemp -d)
SCRATCH="instances_$(date +%s)_$$"
PIDS=()
cleanup() {
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    psql -q "$POSTGRES_SERVER" -c "DROP DATABASE IF EXISTS $SCRATCH" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

psql -q "$POSTGRES_SERVER" -c "CREATE DATABASE $SCRATCH" >/dev/null
export DATABASE_URL="${POSTGRES_SERVER%/*}/$SCRATCH"
export CSPFUND_JWT_SECRET="instances-test-signing-secret-of-at-least-32-bytes"
CSPFUND_SIGNING_KEY=$(openssl genpkey -algorithm ed25519)
export CSPFUND_SIGNING_KEY
export CSPFUND_ATTACHMENT_STORAGE=database
export CSPFUND_TRUSTED_PROXIES=127.0.0.2
export CSPFUND_LOGIN_MAX_FAILURES=4
export CSPFUND_LOGIN_MAX_FAILURES_PER_ADDRESS=6
export CSPFUND_LOG=warn
CSPFUND_DEMO_PASSWORD=$(openssl rand -hex 16)
export CSPFUND_DEMO_PASSWORD
CSPFUND_DATA_DIR="$WORK/demo" "$BINARY" demo >/dev/null

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORTS=()
for name in a b; do
    port=$(free_port)
    CSPFUND_DATA_DIR="$WORK/$name" CSPFUND_BIND="127.0.0.1:$port" "$BINARY" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    PORTS+=("$port")
done
PROXY_PORT=$(free_port)
cat >"$WORK/nginx.conf" <<CONF
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events {}
http {
    access_log off;
    client_body_temp_path $WORK/body;
    proxy_temp_path $WORK/proxy;
    upstream cspfund { server 127.0.0.1:${PORTS[0]}; server 127.0.0.1:${PORTS[1]}; }
    server {
        listen 127.0.0.1:$PROXY_PORT;
        client_max_body_size 25m;
        location / {
            proxy_pass http://cspfund;
            proxy_bind 127.0.0.2;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }
    }
}
CONF
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK"
BASE="http://127.0.0.1:$PROXY_PORT"
for url in "http://127.0.0.1:${PORTS[0]}" "http://127.0.0.1:${PORTS[1]}" "$BASE"; do
    for _ in $(seq 1 50); do curl -sf "$url/health/ready" >/dev/null && break; sleep 0.2; done
    curl -sf "$url/health/ready" >/dev/null || { cat "$WORK"/*.log; exit 1; }
done
say "two instances on one PostgreSQL database behind nginx $("$NGINX" -v 2>&1 | sed 's/.*\///')"

"$TOOLS/bin/openapi-python-client" generate --path openapi/openapi.json \
    --output-path "$WORK/client/cspfund_client" --meta none >/dev/null 2>&1
"$TOOLS/bin/python" tests/contract/walk.py "$BASE" "$WORK/client"
python3 tests/instances/check.py "$BASE" "http://127.0.0.1:${PORTS[0]}" "http://127.0.0.1:${PORTS[1]}"
