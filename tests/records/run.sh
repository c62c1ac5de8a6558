#!/usr/bin/env bash
# The forms people file, read as people read them: the demo's Safer Plymouth 2021-22 plan, as a
# draft and once submitted, fetched as PDF/A records from a live server and read by poppler's
# `pdftotext` (every figure, the signer, DRAFT on every page of the draft), checked by `qpdf
# --check`, rendered twice to the same bytes; its first pages drawn by `pdftoppm` into
# target/records/ for a person to look at. poppler-utils and qpdf are Debian's, installed pinned.
#
# Usage: tests/records/run.sh BINARY
set -euo pipefail
cd "$(dirname "$0")/../.."

BINARY=$(realpath "$1")
POPPLER_VERSION=22.12.0-2+deb12u3
QPDF_VERSION=11.3.0-1+deb12u1
if [ "$(dpkg-query -W -f '${Version}' poppler-utils 2>/dev/null)" != "$POPPLER_VERSION" ] ||
    [ "$(dpkg-query -W -f '${Version}' qpdf 2>/dev/null)" != "$QPDF_VERSION" ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        "poppler-utils=$POPPLER_VERSION" "qpdf=$QPDF_VERSION" >/dev/null
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && { wait "$SERVER_PID" 2>/dev/null || true; }
    rm -rf "$WORK"
}
trap cleanup EXIT

export CSPFUND_DATA_DIR="$WORK/data"
unset DATABASE_URL
CSPFUND_DEMO_PASSWORD=$(openssl rand -hex 16)
export CSPFUND_DEMO_PASSWORD
"$BINARY" demo >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log"; exit 1; }
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CSPFUND_BIND="127.0.0.1:$PORT" CSPFUND_LOG=warn "$BINARY" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break
    sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null || { cat "$WORK/server.log"; exit 1; }
mkdir -p target/records
python3 "$(dirname "$0")/check.py" "http://127.0.0.1:$PORT" "$WORK" target/records
