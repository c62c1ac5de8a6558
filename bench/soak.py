#!/usr/bin/env python3
"""Soak: does the service's resident memory stay flat under a long steady load?

Plan reads at 32 connections (wrk) and a steady writer (five edits a second, each a history entry)
against a release build on a scratch PostgreSQL database with the demo data, metrics served, for
SOAK_SECONDS (default 3600). The service's resident memory (VmRSS) is sampled every
SOAK_SAMPLE_SECONDS (default 60); the first SOAK_WARMUP_SECONDS (default 600) are warm-up. Prints
each sample, then the growth after warm-up: first and last sample, the least-squares slope in MB
an hour over the whole of it and over its second half (a leak keeps its slope; a warm-up that
levels off does not), and the requests served.

    bench/soak.py postgres://postgres@127.0.0.1:5432/test

Needs wrk (Debian package `wrk`) and psql. Builds the release binary.
"""

import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

SECONDS = int(os.environ.get("SOAK_SECONDS", "3600"))
SAMPLE = int(os.environ.get("SOAK_SAMPLE_SECONDS", "60"))
WARMUP = int(os.environ.get("SOAK_WARMUP_SECONDS", "600"))
READERS = 32
WRITES_PER_SECOND = 5
DEMO_PASSWORD = secrets.token_hex(16)


def call(base, method, path, token=None, body=None, headers=None):
    request = urllib.request.Request(base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer) if answer.status != 204 else None


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def slope_per_hour(points):
    """Least-squares slope of (seconds, MB), in MB an hour."""
    if len(points) < 2:
        return float("nan")
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_m = sum(m for _, m in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return 3600 * sum((t - mean_t) * (m - mean_m) for t, m in points) / var if var else float("nan")


def main():
    server_url = sys.argv[1]
    subprocess.run(["cargo", "build", "--release", "--quiet"], check=True)
    database = f"soak_{int(time.time())}_{os.getpid()}"
    subprocess.run(["psql", "-q", server_url, "-c", f"CREATE DATABASE {database}"], check=True)
    scratch = tempfile.mkdtemp()
    url = server_url.rsplit("/", 1)[0] + "/" + database
    port, metrics_port = 18181, 18182
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, DATABASE_URL=url, CSPFUND_DATA_DIR=scratch, CSPFUND_LOG="warn",
               CSPFUND_BIND=f"127.0.0.1:{port}", CSPFUND_METRICS_BIND=f"127.0.0.1:{metrics_port}",
               CSPFUND_ACCESS_TOKEN_TTL="86400", CSPFUND_DEMO_PASSWORD=DEMO_PASSWORD,
               CSPFUND_JWT_SECRET=secrets.token_urlsafe(48),
               CSPFUND_SIGNING_KEY=subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519"], check=True,
                                                  capture_output=True, text=True).stdout)
    server = None
    wrk = None
    stop = threading.Event()
    try:
        subprocess.run(["./target/release/cspfund", "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        server = subprocess.Popen(["./target/release/cspfund"], env=env)
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health/ready", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        login = lambda email: call(base, "POST", "/api/v1/auth/token",
                                   body={"email": email, "password": DEMO_PASSWORD})["access_token"]
        reviewer, admin = login("reviewer@opcc.example"), login("admin@opcc.example")
        plan = call(base, "GET", "/api/v1/plans?limit=1", reviewer)["items"][0]["id"]
        partnership = call(base, "GET", "/api/v1/partnerships?limit=1", admin)["items"][0]["id"]

        writes = [0, 0]

        def writer():
            n = 0
            while not stop.is_set():
                started = time.monotonic()
                n += 1
                try:
                    call(base, "PATCH", f"/api/v1/partnerships/{partnership}", admin,
                         {"area": f"Plymouth (soak edit {n})"}, {"if-match": "*"})
                    writes[0] += 1
                except OSError:
                    writes[1] += 1
                stop.wait(max(0.0, 1 / WRITES_PER_SECOND - (time.monotonic() - started)))

        threading.Thread(target=writer, daemon=True).start()
        wrk = subprocess.Popen(["wrk", "-t2", f"-c{READERS}", f"-d{SECONDS}s", "--latency",
                                "-H", f"Authorization: Bearer {reviewer}", f"{base}/api/v1/plans/{plan}"],
                               stdout=subprocess.PIPE, text=True)
        began = time.monotonic()
        samples = []
        print(f"soak: {SECONDS} s of plan reads at {READERS} connections and {WRITES_PER_SECOND} edits/s on "
              f"PostgreSQL; resident memory every {SAMPLE} s")
        print(f"{'seconds':>8} {'rss_mb':>8} {'writes':>8}")
        while wrk.poll() is None:
            elapsed = time.monotonic() - began
            samples.append((elapsed, rss_mb(server.pid)))
            print(f"{elapsed:8.0f} {samples[-1][1]:8.1f} {writes[0]:8d}", flush=True)
            time.sleep(SAMPLE)
        stop.set()
        reads = wrk.stdout.read()
        after = [(t, m) for t, m in samples if t >= WARMUP]
        second_half = [(t, m) for t, m in after if t >= (WARMUP + SECONDS) / 2]
        print()
        for line in reads.splitlines():
            if "Requests/sec" in line or "requests in" in line or " 99%" in line or "Non-2xx" in line:
                print("wrk:", line.strip())
        print(f"writes: {writes[0]} made, {writes[1]} failed")
        if after:
            print(f"after warm-up ({WARMUP} s): {after[0][1]:.1f} MB at {after[0][0]:.0f} s, "
                  f"{after[-1][1]:.1f} MB at {after[-1][0]:.0f} s, lowest {min(m for _, m in after):.1f}, "
                  f"highest {max(m for _, m in after):.1f}")
            print(f"slope: {slope_per_hour(after):+.1f} MB/h after warm-up, "
                  f"{slope_per_hour(second_half):+.1f} MB/h over the second half")
    finally:
        stop.set()
        for process in (wrk, server):
            if process and process.poll() is None:
                process.terminate()
                process.wait()
        subprocess.run(["psql", "-q", server_url, "-c", f"DROP DATABASE IF EXISTS {database}"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
