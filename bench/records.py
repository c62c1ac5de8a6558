#!/usr/bin/env python3
"""Rendering records: a 50-line plan and an eight-project half-year return as PDF/A.

    bench/records.py http://127.0.0.1:18092 SERVER_PID [ROUNDS]

As the demo's admin it adds a partnership with a 2021-22 allocation, whose manager starts a plan of
50 lines (as bench/plan_saves.py does) and a first-half return of eight projects (A-H). Then ROUNDS
times each (default 50): the draft is edited (one text), its record fetched (new content: rendered
from scratch) and fetched again (the same content: Typst's caches help). Then the demo's
countersigned 2017-18 return's submitted version, rendered and kept at its first reading and served
as kept from then on; the plan from 4 clients at once; and 4 x ROUNDS more renderings of new plan
content, to show the memory stays bounded. Prints p50 and p99 of each, the records' sizes, and the
server's resident memory (now and at its peak, from /proc).
"""

import http.client
import statistics
import sys
import threading
import time
import urllib.parse

from plan_saves import Client, bench_partnership, fifty_lines
from return_signing import fifty_projects


def percentile(timings, share):
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return fields["VmRSS"], fields["VmHWM"]


def fetch(base, token, path):
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/pdf"})
    response = connection.getresponse()
    pdf = response.read()
    taken = (time.perf_counter() - started) * 1000
    if response.status != 200 or not pdf.startswith(b"%PDF-"):
        sys.exit(f"records: {path} answered {response.status}")
    return taken, pdf


def report(label, timings, pdf):
    pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type/Page") or "?"
    print(f"{label:<62} p50 {statistics.median(timings):7.1f}ms  p99 {percentile(timings, 0.99):7.1f}ms  "
          f"{len(pdf) // 1024:4d} KiB  ({len(timings)} rounds)")


def editor(manager, path, document, field_of):
    """Edits the draft at `path` between renders, so each rendering is of new content."""
    state = {"etag": None, "round": 0}

    def edit():
        if state["etag"] is None:
            response, _ = manager.call("GET", path)
            state["etag"] = response.getheader("ETag")
        state["round"] += 1
        field_of(document, state["round"])
        response, _ = manager.call("PUT", path, document, {"If-Match": state["etag"]})
        state["etag"] = response.getheader("ETag")
    return edit


def main():
    base, pid = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    allocation, people = bench_partnership(base, "records", ["csp_manager"])
    manager = people["csp_manager"]
    plan = {"allocation_id": allocation["id"], "lines": fifty_lines()}
    _, created = manager.call("POST", "/api/v1/plans", plan)
    plan_path = f"/api/v1/plans/{created['id']}"
    the_return = {
        "allocation_id": allocation["id"], "half": "first", "half_year_end": "2021-09-30",
        "amount_claimed": "4000.00", "invoice_reference": "BENCH-H1",
        "projects": fifty_projects(created)[:8]}
    _, made = manager.call("POST", "/api/v1/half-year-returns", the_return)
    return_path = f"/api/v1/half-year-returns/{made['id']}"

    def retitle(document, round_number):
        document["lines"][0]["title"] = f"Bench line, edit {round_number}"

    def reclaim(document, round_number):
        document["projects"][0]["extent_achieved"] = f"On track, edit {round_number}."

    print(f"server memory at the start: resident {memory(pid)[0]}")
    for label, path, edit in (
        ("a 50-line plan", plan_path, editor(manager, plan_path, plan, retitle)),
        ("an eight-project half-year return", return_path, editor(manager, return_path, the_return, reclaim)),
    ):
        fresh, again, pdf = [], [], b""
        for _ in range(rounds):
            edit()
            taken, pdf = fetch(base, manager.token, path)
            fresh.append(taken)
            taken, _ = fetch(base, manager.token, path)
            again.append(taken)
        report(f"{label}, each rendering of new content", fresh, pdf)
        report(f"{label}, the same content again", again, pdf)

    reviewer = Client(base)
    reviewer.log_in("reviewer@opcc.example")
    _, returns = reviewer.call("GET", "/api/v1/half-year-returns?fund_year=2017-18&partnership_id=1")
    demo_return = f"/api/v1/half-year-returns/{returns['items'][0]['id']}"
    _, versions = reviewer.call("GET", f"{demo_return}/versions")
    submitted = next(v for v in versions["items"] if v["reason"] == "submitted")
    version = f"{demo_return}/versions/{submitted['number']}"
    first, pdf = fetch(base, reviewer.token, version)
    print(f"{'the demo return' + chr(39) + 's submitted version, first reading (rendered, kept)':<62} {first:7.1f}ms")
    timings = []
    for _ in range(rounds):
        taken, again = fetch(base, reviewer.token, version)
        if again != pdf:
            sys.exit("records: the kept version came back different")
        timings.append(taken)
    report("the same version from then on (served as kept)", timings, pdf)

    clients, timings, lock = 4, [], threading.Lock()

    def reader():
        for _ in range(rounds // clients):
            taken, _ = fetch(base, manager.token, plan_path)
            with lock:
                timings.append(taken)

    started = time.perf_counter()
    threads = [threading.Thread(target=reader) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    _, pdf = fetch(base, manager.token, plan_path)
    report(f"the 50-line plan, {clients} clients ({len(timings) / elapsed:.1f} records/s)", timings, pdf)

    resident, peak = memory(pid)
    print(f"server memory after those: resident {resident}, peak {peak}")
    edit = editor(manager, plan_path, plan, retitle)
    for _ in range(4 * rounds):
        edit()
        fetch(base, manager.token, plan_path)
    resident, peak = memory(pid)
    print(f"server memory after {4 * rounds} more renderings of new plan content: resident {resident}, peak {peak}")


if __name__ == "__main__":
    main()
