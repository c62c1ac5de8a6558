#!/usr/bin/env python3
"""Signing and countersigning a half-year return of 50 projects, one after another.

    bench/return_signing.py http://127.0.0.1:18091 LABEL [ROUNDS]

As the demo's admin it adds a partnership, its manager and treasurer and a 2021-22 allocation; the
manager starts a plan of 50 lines (as bench/plan_saves.py does) and a first-half return with one
project per line, each with an expenditure item and an indicator's actual. Then ROUNDS times
(default 50): the manager signs, the treasurer countersigns (each signature checks its signer's
password with Argon2, canonicalises the whole return and signs it) and the manager withdraws it to
draft again. Prints p50 and p99 of signing and of countersigning.
"""

import statistics
import sys
import time

from plan_saves import PASSWORD, bench_partnership, fifty_lines

SIGNATURE = {"password": PASSWORD}


def fifty_projects(plan):
    projects = []
    for line in plan["lines"]:
        indicators = line.get("indicators", [])
        projects.append({
            "plan_line": line["number"],
            "provider": f"Provider {line['number']}",
            "provider_status": "voluntary",
            "commissioning_body": "Bench City Council",
            "total_service_funding": "4000.00",
            "expenditure": [{"description": "First half delivery", "amount": "400.00"}],
            "intended_outcomes": "Fewer repeat victims.",
            "how_measured": "Quarterly monitoring.",
            "extent_achieved": "On track.",
            "indicator_actuals": [{"indicator": indicators[0]["number"], "actual": "80"}] if indicators else [],
            "actions": "None.",
            "rag": "achieved",
        })
    return projects


def percentile(timings, share):
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main():
    base, label = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    allocation, people = bench_partnership(base, label, ["csp_manager", "treasurer"])
    manager, treasurer = people["csp_manager"], people["treasurer"]
    _, plan = manager.call("POST", "/api/v1/plans", {"allocation_id": allocation["id"], "lines": fifty_lines()})
    _, created = manager.call("POST", "/api/v1/half-year-returns", {
        "allocation_id": allocation["id"], "half": "first", "half_year_end": "2021-09-30",
        "amount_claimed": "20000.00", "invoice_reference": "BENCH-H1", "projects": fifty_projects(plan)})
    path = f"/api/v1/half-year-returns/{created['id']}"
    version = created["version"]
    timings = {"sign": [], "countersign": []}
    for _ in range(rounds):
        for step, who in (("sign", manager), ("countersign", treasurer)):
            started = time.perf_counter()
            _, answer = who.call("POST", f"{path}/{step}", SIGNATURE, {"If-Match": f'"{version}"'})
            timings[step].append((time.perf_counter() - started) * 1000)
            version = answer["version"]
        _, answer = manager.call("POST", f"{path}/withdraw", {}, {"If-Match": f'"{version}"'})
        version = answer["version"]
    for step, taken in timings.items():
        print(f"{label:<10} POST /half-year-returns/{{id}}/{step:<11} (50 projects)             1 conns "
              f"{1000 * len(taken) / sum(taken):9.2f} req/s  p50 {statistics.median(taken):6.2f}ms  "
              f"p99 {percentile(taken, 0.99):6.2f}ms  ({rounds} rounds)")


if __name__ == "__main__":
    main()
