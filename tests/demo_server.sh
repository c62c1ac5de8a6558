# Sourced by the checks that read the demo's records from a live server: loads the demo into a
# scratch database (SQLite under $WORK, or a new database on the PostgreSQL server whose URL is
# in $POSTGRES_SERVER, if set) and starts $BINARY on a free loopback port, setting
# CSPFUND_DEMO_PASSWORD, DATABASE (its name, for summaries) and BASE once it is ready. The
# caller's cleanup calls stop_demo_server.
export CSPFUND_DATA_DIR="$WORK/data"
DEMO_SERVER_PID=
DEMO_SCRATCH=
stop_demo_server() {
    [ -n "$DEMO_SERVER_PID" ] && kill "$DEMO_SERVER_PID" 2>/dev/null && { wait "$DEMO_SERVER_PID" 2>/dev/null || true; }
    if [ -n "$DEMO_SCRATCH" ]; then
        psql -q "$POSTGRES_SERVER" -c "DROP DATABASE IF EXISTS $DEMO_SCRATCH" >/dev/null 2>&1 || true
    fi
}
if [ -n "${POSTGRES_SERVER:-}" ]; then
    DEMO_SCRATCH="demo_$(date +%s)_$$"
    psql -q "$POSTGRES_SERVER" -c "CREATE DATABASE $DEMO_SCRATCH" >/dev/null
    export DATABASE_URL="${POSTGRES_SERVER%/*}/$DEMO_SCRATCH"
    DATABASE=PostgreSQL
else
    unset DATABASE_URL
    DATABASE=SQLite
fi
CSPFUND_DEMO_PASSWORD=$(openssl rand -hex 16)
export CSPFUND_DEMO_PASSWORD
"$BINARY" demo >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log"; exit 1; }
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
CSPFUND_BIND="127.0.0.1:$PORT" CSPFUND_LOG=warn "$BINARY" >"$WORK/server.log" 2>&1 &
DEMO_SERVER_PID=$!
for _ in $(seq 1 50); do
    curl -sf "$BASE/health/ready" >/dev/null && break
    sleep 0.2
done
curl -sf "$BASE/health/ready" >/dev/null || { cat "$WORK/server.log"; exit 1; }
