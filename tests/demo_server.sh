# Sourced by the checks that read the demo's records from a live server: loads the demo into a
# SQLite scratch directory under $WORK and starts $BINARY on a free loopback port, setting
# CSPFUND_DEMO_PASSWORD, SERVER_PID (for the caller's cleanup) and BASE once it is ready.
export CSPFUND_DATA_DIR="$WORK/data"
unset DATABASE_URL
CSPFUND_DEMO_PASSWORD=$(openssl rand -hex 16)
export CSPFUND_DEMO_PASSWORD
"$BINARY" demo >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log"; exit 1; }
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
CSPFUND_BIND="127.0.0.1:$PORT" CSPFUND_LOG=warn "$BINARY" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 50); do
    curl -sf "$BASE/health/ready" >/dev/null && break
    sleep 0.2
done
curl -sf "$BASE/health/ready" >/dev/null || { cat "$WORK/server.log"; exit 1; }
