"""Two instances of the service on one PostgreSQL, behind nginx: they behave as one service.

    check.py PROXY_URL INSTANCE_A_URL INSTANCE_B_URL

- evidence uploaded through one instance is downloaded through the other;
- the login throttle trips at the same count whichever instance the failures reached;
- X-Forwarded-For is believed from the proxy alone: through nginx (which connects from
  127.0.0.2, the one trusted proxy) each client address is counted apart, while a client that
  writes the header itself straight to an instance is counted as itself.
"""

import http.client
import json
import os
import sys
import urllib.parse

PASSWORD = os.environ["CSPFUND_DEMO_PASSWORD"]


def call(base, method, path, body=None, token=None, source="127.0.0.1", headers=None, raw=None):
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30, source_address=(source, 0))
    sent = dict(headers or {})
    if token:
        sent["authorization"] = f"Bearer {token}"
    payload = raw
    if body is not None:
        payload = json.dumps(body).encode()
        sent["content-type"] = "application/json"
    connection.request(method, path, body=payload, headers=sent)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def login(base, email, password=PASSWORD, source="127.0.0.1", headers=None):
    status, data = call(base, "POST", "/api/v1/auth/token", {"email": email, "password": password},
                        source=source, headers=headers)
    return status, (json.loads(data)["access_token"] if status == 200 else None)


def expect(what, got, wanted):
    if got != wanted:
        sys.exit(f"instances: {what}: got {got}, expected {wanted}")


def main(proxy, first, second):
    # Evidence: uploaded through the first instance, read through the second.
    _, manager = login(first, "manager@safer-plymouth.example")
    status, data = call(first, "GET", "/api/v1/plans?limit=1", token=manager)
    plan = json.loads(data)["items"][0]["id"]
    form = b"%PDF-1.4 uploaded through one instance"
    status, data = call(first, "GET", f"/api/v1/plans/{plan}", token=manager)
    status, data = call(first, "POST", f"/api/v1/plans/{plan}/attachments?filename=evidence.pdf", token=manager,
                        raw=form, headers={"content-type": "application/pdf"})
    if status == 409:
        # The demo's plan is no longer a draft: attach to a half-year return draft instead.
        status, data = call(first, "GET", "/api/v1/half-year-returns?status=draft&limit=1", token=manager)
        draft = json.loads(data)["items"][0]["id"]
        status, data = call(first, "POST", f"/api/v1/half-year-returns/{draft}/attachments?filename=evidence.pdf",
                            token=manager, raw=form, headers={"content-type": "application/pdf"})
    expect("an upload through the first instance", status, 201)
    attachment = json.loads(data)["id"]
    status, data = call(second, "GET", f"/api/v1/attachments/{attachment}/content", token=manager)
    expect("the download through the second instance", (status, data), (200, form))

    # The throttle: 4 failures for one account, 2 on each instance, lock it on both and the proxy.
    for base in (first, first, second, second):
        expect("a wrong password", login(base, "treasurer@safer-plymouth.example", "wrong-guess")[0], 401)
    for base in (first, second, proxy):
        expect("the right password after 4 failures", login(base, "treasurer@safer-plymouth.example")[0], 429)

    # X-Forwarded-For, believed from the proxy alone: 6 failures through nginx from 127.0.0.3 lock
    # that address, not 127.0.0.4 behind the same proxy...
    for n in range(6):
        expect("a wrong password through the proxy",
               login(proxy, f"nobody{n}@example.org", "wrong-guess", source="127.0.0.3")[0], 401)
    expect("a seventh try from 127.0.0.3", login(proxy, "nobody9@example.org", "x", source="127.0.0.3")[0], 429)
    expect("a try from 127.0.0.4 through the proxy",
           login(proxy, "nobody9@example.org", "x", source="127.0.0.4")[0], 401)
    # ...and a client naming 127.0.0.3 in the header itself, straight to an instance, is itself.
    expect("a forged X-Forwarded-For straight to an instance",
           login(first, "nobody9@example.org", "x", source="127.0.0.5", headers={"x-forwarded-for": "127.0.0.3"})[0],
           401)
    print("instances: evidence shared, the throttle trips at the same count on both instances, "
          "X-Forwarded-For believed from the proxy alone")


if __name__ == "__main__":
    main(*sys.argv[1:])
