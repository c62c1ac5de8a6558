#!/usr/bin/env python3
"""Rendering records: a 50-line plan and the demo's eight-project half-year return as PDF/A.

    bench/records.py http://127.0.0.1:18092 SERVER_PID [ROUNDS]

As the demo's admin it adds a partnership with a 2021-22 allocation, whose manager starts a plan of
50 lines (as bench/plan_saves.py does). Then, ROUNDS times each (default 50), one after another:
the 50-line plan as it reads now, and Safer Plymouth's 2017-18 return (projects A-H, countersigned,
accepted) as it reads now, each rendered afresh; then the return's submitted version, rendered and
kept at its first reading and served as kept from then on; then the plan from 4 clients at once.
Prints p50 and p99 of each, the records' sizes and pages, and the server's resident memory (now and
at its peak, from /proc).
"""

import http.client
import statistics
import sys
import threading
import time
import urllib.parse

from plan_saves import Client, bench_partnership, fifty_lines


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
    print(f"{label:<58} p50 {statistics.median(timings):7.1f}ms  p99 {percentile(timings, 0.99):7.1f}ms  "
          f"{len(pdf) // 1024:4d} KiB  ({len(timings)} rounds)")


def main():
    base, pid = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    print(f"server memory at the start: resident {memory(pid)[0]}")
    allocation, people = bench_partnership(base, "records", ["csp_manager"])
    manager = people["csp_manager"]
    _, plan = manager.call("POST", "/api/v1/plans", {"allocation_id": allocation["id"], "lines": fifty_lines()})
    reviewer = Client(base)
    reviewer.log_in("reviewer@opcc.example")
    _, returns = reviewer.call("GET", "/api/v1/half-year-returns?fund_year=2017-18&partnership_id=1")
    the_return = f"/api/v1/half-year-returns/{returns['items'][0]['id']}"
    _, versions = reviewer.call("GET", f"{the_return}/versions")
    submitted = next(v for v in versions["items"] if v["reason"] == "submitted")
    version = f"{the_return}/versions/{submitted['number']}"

    for label, token, path in (
        ("a 50-line plan as it reads now, rendered each time", manager.token, f"/api/v1/plans/{plan['id']}"),
        ("the eight-project return as it reads now, rendered each time", reviewer.token, the_return),
    ):
        timings, pdf = [], b""
        for _ in range(rounds):
            taken, pdf = fetch(base, token, path)
            timings.append(taken)
        report(label, timings, pdf)

    first, pdf = fetch(base, reviewer.token, version)
    print(f"{'the return' + chr(39) + 's submitted version, first reading (rendered, kept)':<58} {first:7.1f}ms")
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
            taken, _ = fetch(base, manager.token, f"/api/v1/plans/{plan['id']}")
            with lock:
                timings.append(taken)

    started = time.perf_counter()
    threads = [threading.Thread(target=reader) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    report(f"the 50-line plan, {clients} clients at once ({len(timings) / elapsed:.1f} records/s)", timings, pdf)
    resident, peak = memory(pid)
    print(f"server memory at the end: resident {resident}, peak {peak}")


if __name__ == "__main__":
    main()
