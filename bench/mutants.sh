#!/usr/bin/env bash
# Mutation testing of the rules that guard money, scope and signatures, with cargo-mutants
# (crates.io, pinned): each mutant is a small change to the code (a comparison flipped, a
# function made to return a default); a test must fail for it, or it "survives". Exclusions,
# each with its reason, are in .cargo/mutants.toml.
#
#   bench/mutants.sh                 every mutant of the guarded modules (hours on 2 cores)
#   bench/mutants.sh --in-diff REV   only mutants in lines changed since REV
#   bench/mutants.sh --lib           unit tests only (fast, but API tests kill many more)
#   bench/mutants.sh --file PATH     one guarded file (repeatable)
#   --in-place                       mutate this checkout and reuse its build (a disposable
#                                    checkout only: CI's fresh clone, or a git worktree)
#   --at-most N                      when more mutants match, run one shard of them of about N,
#                                    chosen by the commit, so that a large diff keeps CI bounded
#
# Tests run under cargo-nextest when it is installed, stopping at the first failure: a caught
# mutant then costs its build and its first failing test, not the whole suite.
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
    src/lifecycle/mod.rs
    src/history/mod.rs
    src/plans/rules.rs
    src/half_year_returns/rules.rs
    src/final_reports/rules.rs
)
args=(--no-shuffle)
test_args=()
at_most=
chosen=()
since=
while [ $# -gt 0 ]; do
    case "$1" in
        --file) chosen+=("$2"); shift 2 ;;
        --in-diff) since=$2; shift 2 ;;
        --lib) test_args+=(--lib); shift ;;
        # The build and baseline tests are those just run on this checkout: reused, not repeated.
        --in-place) args+=(--in-place --baseline=skip --timeout 300); shift ;;
        --at-most) at_most=$2; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
[ ${#chosen[@]} -gt 0 ] && GUARDED=("${chosen[@]}")
if cargo nextest --version >/dev/null 2>&1; then
    args+=(--test-tool nextest)
    test_args+=(--max-fail 1:immediate)
fi
for file in "${GUARDED[@]}"; do
    [ -e "$file" ] && args+=(--file "$file")
done
if [ -n "$since" ]; then
    mkdir -p target
    git diff "$since" -- "${GUARDED[@]}" >target/mutants.diff
    args+=(--in-diff target/mutants.diff)
fi
if [ -n "$at_most" ]; then
    count=$(cargo mutants "${args[@]}" --list | grep -c . || true)
    if [ "$count" -eq 0 ]; then
        echo "mutants: none in the changed lines of the guarded files"
        exit 0
    fi
    if [ "$count" -gt "$at_most" ]; then
        shards=$(((count + at_most - 1) / at_most))
        shard=$((0x$(git rev-parse --short=7 HEAD) % shards))
        echo "mutants: $count match; testing shard $shard of $shards"
        args+=(--shard "$shard/$shards")
    fi
fi
started=$SECONDS
status=0
cargo mutants "${args[@]}" -- "${test_args[@]}" || status=$?
counts=$(python3 -c 'import json
o = json.load(open("mutants.out/outcomes.json"))
print("%d mutants: %d caught, %d survived, %d timed out, %d unviable" % tuple(
    o[k] for k in ("total_mutants", "caught", "missed", "timeout", "unviable")))' 2>/dev/null || echo "no report")
echo "mutants: $counts in $((SECONDS - started)) s"
# cargo-mutants exits 2 when mutants survive, 3 on timeouts: either fails the run.
exit "$status"
