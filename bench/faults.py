"""Faults under a write load: PostgreSQL stopped for 5 s, then restarted with `-m immediate`, then
connections cut just after COMMIT was sent (the database commits, the service never hears so);
and on SQLite, the service killed with `kill -9` and started again. All the while 8 clients create
partnerships, each with its own Idempotency-Key, retrying the same key on any failure, as a
careful partner system would. The service reaches PostgreSQL through a TCP proxy here, which is
what cuts the connections.

    bench/faults.py BINARY postgres://postgres@127.0.0.1:5432/test

Needs: Python 3, and `pg_ctlcluster` for the local PostgreSQL (it stops and starts the cluster).
Passes when no acknowledged write is lost, no partnership is created twice, no key is left stuck,
the service answered again within 2 s of the database's return (or of its own restart), and the
history is intact.
"""

import collections
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

CLIENTS = 8
# Generated for each run: every instance of the run shares them, and none is kept anywhere.
ADMIN = ("admin@faults.example", secrets.token_urlsafe(24))
JWT_SECRET = secrets.token_urlsafe(48)
SIGNING_KEY = subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519"], check=True,
                             capture_output=True, text=True).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base, path, token=None, body=None, key=None, timeout=15):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    if key:
        headers["idempotency-key"] = key
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers=headers, method="GET" if data is None else "POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, json.load(response), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), error.headers
    except (urllib.error.URLError, OSError, ValueError):
        return None, None, {}


def cluster(action, *flags):
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action, *flags],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Proxy:
    """Forwards TCP to PostgreSQL; while `cutting`, every tenth COMMIT is passed on and then the
    connection is closed before the answer comes back."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cutting = False
        self.commits = 0
        self.cut = 0
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.listener.accept()
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            # Set when the database's answers to this connection are to be dropped.
            deaf = threading.Event()
            threading.Thread(target=self.pump, args=(client, server, True, deaf), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, False, deaf), daemon=True).start()

    def pump(self, source, target, towards_database, deaf):
        try:
            while data := source.recv(65536):
                cut = False
                if towards_database and b"COMMIT" in data and self.cutting:
                    with self.lock:
                        self.commits += 1
                        cut = self.commits % 10 == 0
                        self.cut += cut
                if cut:
                    deaf.set()
                if not towards_database and deaf.is_set():
                    continue
                target.sendall(data)
                if cut:
                    time.sleep(0.1)  # the database commits, its answer is dropped
                    break
        except OSError:
            pass
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()


class Load:
    def __init__(self, base, token):
        self.base, self.token = base, token
        self.running = True
        self.lock = threading.Lock()
        self.acknowledged = set()
        self.carried_out = set()
        self.stuck = []
        self.errors = []
        # Every answer a client got, by status; a refusal while the database is away must be a
        # 503 that says when to retry, never a 500.
        self.answers = collections.Counter()
        self.unexpected = []
        self.last_success = 0.0

    def client(self, number):
        # An exception in a thread would only be printed; kept, it fails the run.
        try:
            self.write(number)
        except Exception as error:  # noqa: BLE001
            with self.lock:
                self.errors.append(f"client {number}: {error!r}")

    def write(self, number):
        attempt = 0
        while self.running:
            attempt += 1
            name = f"Fault partnership {number}-{attempt}"
            body = {"name": name, "area": name, "lead_authority": f"{name} Council"}
            key = f"faults-{number}-{attempt}"
            deadline = time.monotonic() + 60
            while True:
                status, answer, headers = request(self.base, "/api/v1/partnerships", self.token, body, key)
                with self.lock:
                    self.answers[status] += 1
                    if status == 503 and not (headers.get("retry-after") or "").isdigit():
                        self.unexpected.append(("503 without Retry-After", answer))
                    elif status not in (None, 201, 409, 503):
                        self.unexpected.append((status, answer))
                if status == 201:
                    with self.lock:
                        self.acknowledged.add(name)
                        self.last_success = time.monotonic()
                    break
                if status == 409 and answer and "carried out" in answer.get("detail", ""):
                    with self.lock:
                        self.carried_out.add(name)
                    break
                if time.monotonic() > deadline:
                    with self.lock:
                        self.stuck.append((key, status, answer))
                    break
                time.sleep(0.1)


def wait_for_success(load, after, limit=30):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if load.last_success > after:
            return load.last_success - after
        time.sleep(0.02)
    return None


def start(binary, env, base):
    server = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if request(base, "/health/ready")[0] == 200:
            break
        time.sleep(0.1)
    return server


def service_env(database_url, port):
    return dict(os.environ, DATABASE_URL=database_url,
                CSPFUND_JWT_SECRET=JWT_SECRET, CSPFUND_SIGNING_KEY=SIGNING_KEY,
                CSPFUND_DATA_DIR=tempfile.mkdtemp(), CSPFUND_BIND=f"127.0.0.1:{port}", CSPFUND_LOG="error",
                CSPFUND_ADMIN_EMAIL=ADMIN[0], CSPFUND_ADMIN_PASSWORD=ADMIN[1])


def under_load(base, faults):
    """Runs `faults(load)` while the clients write; returns the load once every client is done."""
    status, answer, _ = request(base, "/api/v1/auth/token", body={"email": ADMIN[0], "password": ADMIN[1]})
    if status != 200:
        sys.exit(f"faults: cannot log in: {status} {answer}")
    load = Load(base, answer["access_token"])
    threads = [threading.Thread(target=load.client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    faults(load)
    load.running = False
    for thread in threads:
        thread.join()
    return load


def outcome(name, binary, env, base, load, recoveries, notes=()):
    """Counts what was lost, duplicated and stuck, verifies the history, prints one line and
    returns the failures."""
    failures = [f"{label}: the first write succeeded after {recovered} s"
                for label, recovered in recoveries if recovered is None or recovered > 2]
    names = []
    cursor = ""
    while True:
        status, page, _ = request(base, f"/api/v1/partnerships?limit=200&cursor={cursor}", load.token)
        if status != 200:
            failures.append(f"cannot list partnerships: {status} {page}")
            break
        names += [p["name"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    lost = load.acknowledged - set(names)
    # "Carried out" says the first attempt committed: its write must be there.
    unfound = load.carried_out - set(names)
    duplicates = {n for n in names if names.count(n) > 1}
    if not load.acknowledged:
        failures.append("no write was acknowledged: the load never ran")
    if lost:
        failures.append(f"{len(lost)} acknowledged writes lost: {sorted(lost)[:5]}")
    if unfound:
        failures.append(f"{len(unfound)} writes answered 'carried out' are not there: {sorted(unfound)[:5]}")
    if load.errors:
        failures.append(f"{len(load.errors)} clients failed: {load.errors[:3]}")
    if duplicates:
        failures.append(f"{len(duplicates)} partnerships created twice: {sorted(duplicates)[:5]}")
    if load.stuck:
        failures.append(f"{len(load.stuck)} keys stuck: {load.stuck[:3]}")
    if load.unexpected:
        failures.append(f"{len(load.unexpected)} unexpected answers: {load.unexpected[:3]}")
    verified = subprocess.run([binary, "verify-history"], env=env, capture_output=True, text=True)
    if verified.returncode != 0:
        failures.append(f"verify-history: {verified.stderr.strip()}")
    summary = ", ".join([f"{label}: writing again {recovered} s after" if recovered is None
                         else f"{label}: writing again {recovered:.2f} s after" for label, recovered in recoveries]
                        + list(notes))
    print(f"faults ({name}): {len(load.acknowledged)} writes acknowledged, {len(load.carried_out)} answered "
          f"'carried out', {answers(load)}, {len(lost)} lost, {len(duplicates)} duplicated, {len(load.stuck)} keys stuck; "
          f"{summary}; {verified.stdout.strip() or 'history not verified'}")
    return [f"{name}: {failure}" for failure in failures]


def answers(load):
    counts = sorted(load.answers.items(), key=lambda item: (item[0] is None, item[0] or 0))
    return "answers " + " ".join(f"{status or 'no answer'}×{count}" for status, count in counts)


def postgres(binary, server_url):
    scratch = f"faults_{int(time.time())}_{os.getpid()}"
    subprocess.run(["psql", "-q", server_url, "-c", f"CREATE DATABASE {scratch}"], check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proxy = Proxy(("127.0.0.1", 5432))
    env = service_env(f"postgres://postgres@127.0.0.1:{proxy.port}/{scratch}?sslmode=disable", port)
    server = start(binary, env, base)
    recoveries = []

    def faults(load):
        for label, stop_flags, down in (("stopped 5 s", ("-m", "fast"), 5), ("restarted -m immediate", ("-m", "immediate"), 0)):
            cluster("stop", *stop_flags)
            time.sleep(down)
            cluster("start")
            back = time.monotonic()
            recoveries.append((label, wait_for_success(load, back)))
            time.sleep(3)
        proxy.cutting = True
        time.sleep(3)
        proxy.cutting = False
        time.sleep(2)

    try:
        load = under_load(base, faults)
        failures = outcome("PostgreSQL", binary, env, base, load, recoveries,
                           [f"{proxy.cut} connections cut after COMMIT"])
        if proxy.cut == 0:
            failures.append("PostgreSQL: no connection was cut after COMMIT, so nothing was tested there")
        if load.answers[503] == 0:
            failures.append("PostgreSQL: no write was answered 503 while the database was stopped")
        return failures
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["psql", "-q", server_url, "-c", f"DROP DATABASE IF EXISTS {scratch}"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def sqlite(binary):
    """The service killed mid-write and started again on the same file: work it was doing either
    committed (a retry is told "carried out") or did not (the key is taken over once its claim's
    lease has run out, and the retry does the work)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = service_env(os.path.join(tempfile.mkdtemp(), "faults.sqlite3"), port)
    servers = [start(binary, env, base)]
    recoveries = []

    def faults(load):
        for _ in range(2):
            servers[-1].kill()
            servers[-1].wait()
            back = time.monotonic()
            servers.append(start(binary, env, base))
            recoveries.append(("killed -9 and started again", wait_for_success(load, back)))
            time.sleep(3)

    try:
        load = under_load(base, faults)
        return outcome("SQLite", binary, env, base, load, recoveries)
    finally:
        servers[-1].terminate()
        servers[-1].wait()


def main(binary, server_url):
    failures = postgres(binary, server_url) + sqlite(binary)
    if failures:
        for failure in failures:
            print(f"faults: FAILED: {failure}")
        sys.exit(1)


if __name__ == "__main__":
    main(*sys.argv[1:])
