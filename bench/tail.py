#!/usr/bin/env python3
"""Where a request's time goes under load: one client sends requests one after another while the
load runs beside it (started by bench/load), and reads each answer's Server-Timing header (the
service started with CSPFUND_SERVER_TIMING=true). Prints, for the median and the slowest 1 %, the
time seen by the client, and of it: waiting for a database connection (the queue in front of the
pool), the database work, and the rest (HTTP, JSON, and waiting for a core).

    python3 bench/tail.py http://127.0.0.1:18092 TOKEN /api/v1/plans/1 5 PostgreSQL
"""

import http.client
import statistics
import sys
import time
from urllib.parse import urlsplit


def timings(header):
    """`db-wait;dur=0.1, db;dur=1.2, total;dur=2.0` as {name: milliseconds}."""
    metrics = {}
    for metric in header.split(","):
        name, _, duration = metric.strip().partition(";dur=")
        metrics[name] = float(duration)
    return metrics


def sample(base, token, path, seconds):
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        response.read()
        seen = (time.perf_counter() - started) * 1000
        header = response.getheader("Server-Timing")
        if response.status != 200 or header is None:
            sys.exit(f"tail: {path} answered {response.status} without Server-Timing")
        metrics = timings(header)
        samples.append((seen, metrics["db-wait"], metrics["db"]))
    return samples


def split(samples):
    """The client's time, and the mean wait, work and rest of the requests around that time."""
    return (
        statistics.mean(s[0] for s in samples),
        statistics.mean(s[1] for s in samples),
        statistics.mean(s[2] for s in samples),
        statistics.mean(s[0] - s[1] - s[2] for s in samples),
    )


def main():
    base, token, path, seconds, label = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
    samples = sorted(sample(base, token, path, seconds))
    count = len(samples)
    middle = samples[max(0, count // 2 - count // 100) : count // 2 + count // 100 + 1]
    slowest = samples[-max(1, count // 100) :]
    for name, group in (("p50", middle), ("slowest 1%", slowest)):
        seen, waited, worked, rest = split(group)
        print(
            f"{label:<10} GET {path} under load, {name:>10} of {count}: {seen:7.2f} ms seen by the client = "
            f"{waited:6.2f} waiting for a connection + {worked:6.2f} database work + {rest:6.2f} HTTP, JSON and cores"
        )


if __name__ == "__main__":
    main()
