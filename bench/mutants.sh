#!/usr/bin/env bash
# Mutation testing of the rules that guard money, scope and signatures, with cargo-mutants
# (crates.io, pinned): each mutant is a small change to the code (a comparison flipped, a
# function made to return a default); a test must fail for it, or it "survives". Exclusions,
# each with its reason, are in .cargo/mutants.toml.
#
#   bench/mutants.sh                 every mutant of the guarded modules (hours on 2 cores)
#   bench/mutants.sh --in-diff REV   only mutants in lines changed since REV
#   bench/mutants.sh --lib           unit tests only (fast, but API tests kill many more)
#
# Prints cargo-mutants' counts; its full report is in mutants.out/.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=25.3.1
if [ "$(cargo mutants --version 2>/dev/null | awk '{print $2}')" != "$VERSION" ]; then
    cargo install cargo-mutants --version "$VERSION" --locked
fi

GUARDED=(
    src/money.rs
    src/payments/mod.rs
    src/signatures/mod.rs
    src/auth/mod.rs
    src/auth/providers.rs
    src/documents/mod.rs
    src/documents/lifecycle.rs
    src/history/mod.rs
    src/plans/rules.rs
    src/half_year_returns/rules.rs
    src/final_reports/rules.rs
)
args=(--no-shuffle)
for file in "${GUARDED[@]}"; do
    [ -e "$file" ] && args+=(--file "$file")
done
test_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --in-diff)
            mkdir -p target
            git diff "$2" -- "${GUARDED[@]}" >target/mutants.diff
            args+=(--in-diff target/mutants.diff)
            shift 2
            ;;
        --lib) test_args=(-- --lib); shift ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
started=$SECONDS
status=0
cargo mutants "${args[@]}" "${test_args[@]}" || status=$?
echo "mutants: $(cat mutants.out/outcomes.json 2>/dev/null | python3 -c '
import json, sys
o = json.load(sys.stdin)
print(f"{o[\"total_mutants\"]} mutants: {o[\"caught\"]} caught, {o[\"missed\"]} survived, {o[\"timeout\"]} timed out, {o[\"unviable\"]} unviable")
' 2>/dev/null || echo "no report") in $((SECONDS - started)) s"
# cargo-mutants exits 2 when mutants survive, 3 on timeouts: either fails the run.
exit "$status"
