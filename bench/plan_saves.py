#!/usr/bin/env python3
"""Saving a draft plan of 50 lines, one save after another on one connection.

    bench/plan_saves.py http://127.0.0.1:18091 LABEL [SAVES]

As the demo's admin it adds a partnership, its manager and a 2021-22 allocation; the manager starts
a plan of 50 lines (the demo's Plymouth 2021-22 lines over and over, each with its sub-allocations,
priorities and indicators), then replaces it SAVES times (default 200), each save changing one
line's amount, with the ETag of the save before. Prints p50, p99 and saves/s.
"""

import http.client
import json
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

# The demo logins' password, which bench/load makes for its run.
PASSWORD = os.environ["CSPFUND_DEMO_PASSWORD"]
LINES = 50


class Client:
    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.connection = http.client.HTTPConnection(url.hostname, url.port)
        self.token = None

    def call(self, method, path, body=None, headers=None, expect=(200, 201)):
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        self.connection.request(method, path, json.dumps(body) if body is not None else None, sent)
        response = self.connection.getresponse()
        answer = response.read()
        if response.status not in expect:
            sys.exit(f"plan_saves: {method} {path} answered {response.status}: {answer[:300]!r}")
        return response, json.loads(answer) if answer else None

    def log_in(self, email):
        _, token = self.call("POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD})
        self.token = token["access_token"]


def fifty_lines():
    seed = json.loads((Path(__file__).parent.parent / "src/demo/documents/plymouth-2021-22-plan.json").read_text())
    lines = []
    for number in range(1, LINES + 1):
        line = json.loads(json.dumps(seed["lines"][(number - 1) % len(seed["lines"])]))
        line["number"] = number
        line["amount"] = "1000.00"
        line["total_contract_value"] = "4000.00"
        for position, sub in enumerate(line.get("sub_allocations", [])):
            sub["amount"] = "600.00" if position == 0 else "400.00"
        line["sub_allocations"] = line.get("sub_allocations", [])[:2]
        lines.append(line)
    return lines


def bench_partnership(base, label, roles):
    """A new partnership with a 2021-22 allocation of £1,000,000 and one person per role, logged
    in: returns the allocation and a client per role."""
    admin = Client(base)
    admin.log_in("admin@opcc.example")
    suffix = f"{label} {time.time_ns()}"
    _, partnership = admin.call("POST", "/api/v1/partnerships", {
        "name": f"Bench {suffix}", "area": f"Bench {suffix}", "lead_authority": f"Bench {suffix}"})
    people = {}
    for role in roles:
        email = f"{role}-{time.time_ns()}@bench.example"
        admin.call("POST", "/api/v1/users", {
            "email": email, "display_name": f"Bench {role}", "job_title": role, "role": role,
            "partnership_id": partnership["id"], "password": PASSWORD})
        people[role] = Client(base)
        people[role].log_in(email)
    _, years = admin.call("GET", "/api/v1/fund-years")
    year = next(y for y in years["items"] if y["label"] == "2021-22")
    _, allocation = admin.call("POST", "/api/v1/allocations", {
        "fund_year_id": year["id"], "partnership_id": partnership["id"], "grant": "1000000.00"})
    return allocation, people


def main():
    base, label = sys.argv[1], sys.argv[2]
    saves = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    allocation, people = bench_partnership(base, label, ["csp_manager"])
    manager = people["csp_manager"]
    plan = {"allocation_id": allocation["id"], "lines": fifty_lines()}
    response, created = manager.call("POST", "/api/v1/plans", plan)
    etag = response.getheader("ETag")
    timings = []
    for save in range(saves):
        plan["lines"][0]["amount"] = "1000.00" if save % 2 else "1001.00"
        started = time.perf_counter()
        response, _ = manager.call("PUT", f"/api/v1/plans/{created['id']}", plan, {"If-Match": etag})
        timings.append((time.perf_counter() - started) * 1000)
        etag = response.getheader("ETag")
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(f"{label:<10} PUT /api/v1/plans/{{id}} ({LINES} lines)                          1 conns "
          f"{1000 * len(timings) / sum(timings):9.2f} saves/s  p50 {statistics.median(timings):6.2f}ms  "
          f"p99 {p99:6.2f}ms  ({saves} saves)")


if __name__ == "__main__":
    main()
