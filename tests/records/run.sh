#!/usr/bin/env bash
# The forms people file, read as people read them: the demo's Safer Plymouth 2021-22 plan (a
# draft, then submitted), its 2017-18 half-year return (countersigned) and a signed version of it,
# its draft 2017-18 final report and the OPCC's two fund reports, fetched as PDF/A records from a
# live server and read by poppler's `pdftotext` (every figure, the signers in their blocks, DRAFT
# on every page of a draft), checked by `qpdf --check`, rendered twice to the same bytes, the QR
# code read by `zbarimg`; first pages drawn by `pdftoppm` into target/records/ for a person to
# look at. poppler-utils, qpdf and zbar-tools are Debian's, installed pinned.
#
# Usage: tests/records/run.sh BINARY [postgres://server/ URL to make a scratch database on]
set -euo pipefail
cd "$(dirname "$0")/../.."

BINARY=$(realpath "$1")
POSTGRES_SERVER=${2:-}
POPPLER_VERSION=22.12.0-2+deb12u3
QPDF_VERSION=11.3.0-1+deb12u1
ZBAR_VERSION=0.23.92-7+deb12u1
if [ "$(dpkg-query -W -f '${Version}' poppler-utils 2>/dev/null)" != "$POPPLER_VERSION" ] ||
    [ "$(dpkg-query -W -f '${Version}' qpdf 2>/dev/null)" != "$QPDF_VERSION" ] ||
    [ "$(dpkg-query -W -f '${Version}' zbar-tools 2>/dev/null)" != "$ZBAR_VERSION" ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        "poppler-utils=$POPPLER_VERSION" "qpdf=$QPDF_VERSION" "zbar-tools=$ZBAR_VERSION" >/dev/null
fi

WORK=$(mktemp -d)
cleanup() {
    declare -F stop_demo_server >/dev/null && stop_demo_server
    rm -rf "$WORK"
}
trap cleanup EXIT

# A live server with the demo's records, in a scratch database.
# shellcheck source=../demo_server.sh
source "$(dirname "$0")/../demo_server.sh"
mkdir -p target/records
python3 "$(dirname "$0")/check.py" "$BASE" "$WORK" target/records | sed "s/\$/ ($DATABASE)/"
