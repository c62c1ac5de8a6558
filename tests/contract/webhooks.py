"""Webhooks and signatures as an outside system checks them, with libraries nobody here wrote.

    webhooks.py receive PORT FILE          a receiver on loopback: records each delivery to FILE
    webhooks.py subscribe BASE TOKEN PORT  subscribes the receiver to every event the document lists
    webhooks.py check BASE TOKEN SUBSCRIPTION FILE
        waits for the subscription's messages, then verifies every delivery with the
        `standardwebhooks` library, its payload against the document's schema with jsonschema,
        the checkpoint it carries and a document signature's attestation with `cryptography`
        against the published Ed25519 key, and the signed version's exact bytes with hashlib.
"""

import base64
import hashlib
import http.server
import json
import sys
import time
import urllib.request

import jsonschema
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.exceptions import InvalidSignature
from standardwebhooks.webhooks import Webhook


def call(base, token, path, body=None):
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def receive(port, path):
    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
            headers = {name.lower(): value for name, value in self.headers.items()}
            with open(path, "a") as out:
                out.write(json.dumps({"headers": headers, "body": body}) + "\n")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Receiver).serve_forever()


def subscribe(base, token, port):
    with urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=30) as response:
        events = sorted(json.load(response)["webhooks"])
    created = call(base, token, "/api/v1/webhook-subscriptions",
                   {"url": f"http://127.0.0.1:{port}/events", "event_types": events,
                    "description": "contract receiver"})
    print(json.dumps({"id": created["id"], "secret": created["secret"]}))


def verify_ed25519(public_key, message, signature):
    try:
        public_key.verify(base64.b64decode(signature), message.encode())
        return True
    except InvalidSignature:
        return False


# What walk.py's steps must raise: the plan from submission to approval, the half-year return from
# signature to acceptance, its claim approved and paid. A deadline passing may also be announced
# (the demo's documents are years overdue), depending on when the first sweep meets the
# subscription.
WALK_EVENTS = {
    "plan.submitted", "plan.review_started", "plan.approved",
    "half_year_return.signed", "half_year_return.countersigned", "half_year_return.review_started",
    "half_year_return.accepted", "claim.approved", "payment.recorded",
    # The witness's event: the walk's changes are checkpointed within seconds.
    "history.checkpoint_signed",
}
MAY_ALSO_ARRIVE = {"deadline.overdue"}


def check(base, token, subscription, path):
    subscription = json.loads(subscription)
    messages = []
    for _ in range(120):
        messages = call(base, token, f"/api/v1/webhook-subscriptions/{subscription['id']}/messages?limit=200")["items"]
        # The outbox reads the history after each change commits: wait for the walk's every
        # event to be queued, and for all that is queued to be delivered.
        queued = {m["event_type"] for m in messages}
        if WALK_EVENTS <= queued and all(m["status"] == "delivered" for m in messages):
            break
        time.sleep(0.5)
    delivered = {m["webhook_id"] for m in messages if m["status"] == "delivered"}
    if not delivered or len(delivered) != len(messages):
        sys.exit(f"webhooks: not every message was delivered: {messages}")
    with open(path) as recorded:
        deliveries = [json.loads(line) for line in recorded]

    with urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=30) as response:
        document = json.load(response)
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/WebhookPayload", "components": document["components"]})
    published = call(base, token, "/api/v1/signing-key")
    public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(published["public_key"]))

    verifier = Webhook(subscription["secret"])
    seen, checkpoints, types = set(), 0, set()
    for delivery in deliveries:
        payload = verifier.verify(delivery["body"], delivery["headers"])
        errors = sorted(validator.iter_errors(payload), key=str)
        if errors:
            sys.exit(f"webhooks: a {payload['type']} payload breaks the documented schema: {errors[0].message}")
        if payload["type"] not in document["webhooks"]:
            sys.exit(f"webhooks: {payload['type']} is not a documented event")
        checkpoint = payload["data"]["checkpoint"]
        if checkpoint is None or not verify_ed25519(public_key, checkpoint["message"], checkpoint["signature"]):
            sys.exit(f"webhooks: the checkpoint of {delivery['headers']['webhook-id']} does not verify")
        checkpoints += 1
        seen.add(delivery["headers"]["webhook-id"])
        types.add(payload["type"])
    if seen != delivered:
        sys.exit(f"webhooks: delivered {len(delivered)} messages, the receiver verified {len(seen)}")
    if not WALK_EVENTS <= types:
        sys.exit(f"webhooks: the walk's events never arrived: {sorted(WALK_EVENTS - types)}")
    if types - WALK_EVENTS - MAY_ALSO_ARRIVE:
        sys.exit(f"webhooks: events nothing in the walk did: {sorted(types - WALK_EVENTS - MAY_ALSO_ARRIVE)}")

    # A document signature: the service's attestation, and the signed version's exact bytes.
    returns = call(base, token, "/api/v1/half-year-returns?limit=200")["items"]
    attested = 0
    for item in returns:
        for signature in call(base, token, f"/api/v1/half-year-returns/{item['id']}/signatures"):
            attestation = signature["attestation"]
            if attestation is None:
                sys.exit(f"webhooks: signature {signature['id']} has no attestation; every signature made is attested")
            if not verify_ed25519(public_key, attestation["message"], attestation["signature"]):
                sys.exit(f"webhooks: signature {signature['id']}'s attestation does not verify")
            said = json.loads(attestation["message"])
            if said["content_sha256"] != signature["content_sha256"] or said["signer"] != signature["signer"]:
                sys.exit(f"webhooks: signature {signature['id']}'s attestation says something else")
            version = call(base, token, f"/api/v1/half-year-returns/{item['id']}/versions/{signature['version']}")
            if hashlib.sha256(version["canonical_content"].encode()).hexdigest() != signature["content_sha256"]:
                sys.exit(f"webhooks: version {signature['version']} does not hash to what was signed")
            attested += 1
    if attested == 0:
        sys.exit("webhooks: no attested signature to check")
    print(f"contract: {len(seen)} webhook deliveries ({len(types)} event types) verified by standardwebhooks, "
          f"their payloads by the document's schema, {checkpoints} checkpoints and {attested} signature "
          f"attestations by cryptography's Ed25519")


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    {"receive": receive, "subscribe": subscribe, "check": check}[command](*arguments)
