#!/usr/bin/env bash
# The published contract read by the most used client generator, as an integrator would:
#   0. openapi-spec-validator checks openapi/openapi.json (3.1) and its 3.0.3 rendition,
#      openapi/openapi-3.0.json, against the specifications;
#   1. openapi-generator's validation of openapi/openapi.json: no error and no warning;
#   2. a TypeScript client (typescript-fetch) generated from it with no warning but the generator's
#      notice that OpenAPI 3.1 support is in development, and compiled by `tsc --strict`;
#   3. a Python client (the `python` generator) generated from it with no warning but that notice
#      and those the generator gives for a document of one trivial schema (its own, whatever it
#      reads), then used unmodified by read_every_kind.py to read the demo's records from a live
#      server: every document kind with its versions and history, reference data, payments.
# openapi-spec-validator, openapi-generator-cli and the Python client's libraries come from PyPI (the
# generator carries its JAR; Java 17 runs it) and TypeScript from npm, all at pinned versions, into
# target/generator-tools.
#
# Usage: tests/contract/generators.sh BINARY
set -euo pipefail
cd "$(dirname "$0")/../.."

BINARY=$(realpath "$1")
TOOLS=$PWD/target/generator-tools
GENERATOR_VERSION=7.10.0
SPEC_VALIDATOR_VERSION=0.7.1
TYPESCRIPT_VERSION=5.7.3
# The Python client's requirements (its requirements.txt gives ranges), pinned.
PYDANTIC_VERSION=2.10.6
URLLIB3_VERSION=2.3.0
DATEUTIL_VERSION=2.9.0.post0
TYPING_EXTENSIONS_VERSION=4.12.2
SPEC=openapi/openapi.json
SPEC_3_0=openapi/openapi-3.0.json

say() { printf 'generators: %s\n' "$*"; }

if [ "$("$TOOLS/bin/openapi-generator-cli" version 2>/dev/null | tail -1)" != "$GENERATOR_VERSION" ] ||
    ! "$TOOLS/bin/pip" show openapi-spec-validator 2>/dev/null | grep -qx "Version: $SPEC_VALIDATOR_VERSION" ||
    ! "$TOOLS/bin/pip" show pydantic 2>/dev/null | grep -qx "Version: $PYDANTIC_VERSION"; then
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install --quiet --disable-pip-version-check "openapi-generator-cli==$GENERATOR_VERSION" \
        "openapi-spec-validator==$SPEC_VALIDATOR_VERSION" "pydantic==$PYDANTIC_VERSION" "urllib3==$URLLIB3_VERSION" \
        "python-dateutil==$DATEUTIL_VERSION" "typing-extensions==$TYPING_EXTENSIONS_VERSION"
fi
if [ "$("$TOOLS/node/node_modules/.bin/tsc" --version 2>/dev/null)" != "Version $TYPESCRIPT_VERSION" ]; then
    mkdir -p "$TOOLS/node"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS/node" "typescript@$TYPESCRIPT_VERSION" >/dev/null
fi

WORK=$(mktemp -d)
cleanup() {
    declare -F stop_demo_server >/dev/null && stop_demo_server
    rm -rf "$WORK"
}
trap cleanup EXIT

# Anything the generator warns of, but its notice that 3.1 support is still in development.
warnings() { grep -i 'warn' "$1" | grep -v 'Generation using 3.1.0 specs is in development' || true; }

"$TOOLS/bin/openapi-spec-validator" "$SPEC" "$SPEC_3_0"
say "openapi-spec-validator $SPEC_VALIDATOR_VERSION: $SPEC (3.1) and $SPEC_3_0 (3.0.3) are valid"

"$TOOLS/bin/openapi-generator-cli" validate -i "$SPEC" >"$WORK/validate.log" 2>&1 ||
    { cat "$WORK/validate.log"; say "openapi-generator's validation failed"; exit 1; }
if ! grep -q 'No validation issues detected' "$WORK/validate.log"; then
    cat "$WORK/validate.log"
    say "openapi-generator's validation reported issues"
    exit 1
fi
say "openapi-generator $GENERATOR_VERSION validates $SPEC with no issues"

# Both boolean options are given: left unset, the generator warns that they are neither.
"$TOOLS/bin/openapi-generator-cli" generate -i "$SPEC" -g typescript-fetch -o "$WORK/typescript" \
    -p supportsES6=true,validationAttributes=false >"$WORK/typescript.log" 2>&1 ||
    { cat "$WORK/typescript.log"; exit 1; }
if [ -n "$(warnings "$WORK/typescript.log")" ]; then
    warnings "$WORK/typescript.log"
    say "openapi-generator warned while writing the TypeScript client"
    exit 1
fi
"$TOOLS/node/node_modules/.bin/tsc" --strict --noEmit --target es2020 --lib es2020,dom \
    --moduleResolution node "$WORK/typescript/index.ts"
say "typescript-fetch client ($(find "$WORK/typescript" -name '*.ts' | wc -l) files) compiled by tsc $TYPESCRIPT_VERSION --strict"

# The generator's own warnings: those it gives for a document of one trivial schema.
cat >"$WORK/trivial.json" <<'JSON'
{"openapi": "3.1.0", "info": {"title": "trivial", "version": "1"}, "paths": {},
 "components": {"schemas": {"Thing": {"type": "object", "properties": {"name": {"type": "string"}}}}}}
JSON
"$TOOLS/bin/openapi-generator-cli" generate -i "$WORK/trivial.json" -g python -o "$WORK/trivial" \
    >"$WORK/trivial.log" 2>&1 || { cat "$WORK/trivial.log"; exit 1; }
warnings "$WORK/trivial.log" | sort -u >"$WORK/own.txt"
"$TOOLS/bin/openapi-generator-cli" generate -i "$SPEC" -g python -o "$WORK/python" \
    -p packageName=cspfund_openapi >"$WORK/python.log" 2>&1 || { cat "$WORK/python.log"; exit 1; }
warnings "$WORK/python.log" | sort -u | comm -23 - "$WORK/own.txt" >"$WORK/python-warnings.txt"
if [ -s "$WORK/python-warnings.txt" ]; then
    cat "$WORK/python-warnings.txt"
    say "openapi-generator warned while writing the Python client"
    exit 1
fi
say "python client generated with no warning but the generator's own ($(wc -l <"$WORK/own.txt") for a trivial document)"

# A live server with the demo's records, on SQLite in a scratch directory.
# shellcheck source=../demo_server.sh
source "$(dirname "$0")/../demo_server.sh"
PYTHONPATH="$WORK/python" "$TOOLS/bin/python" "$(dirname "$0")/read_every_kind.py" "$BASE"
