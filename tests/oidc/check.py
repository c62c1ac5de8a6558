"""The service as an OAuth 2.0 resource server, against a real OpenID Provider (provider.mjs).

People sign in at their organisation's tenant with the authorization code flow and PKCE, driven
by Authlib (a stock OAuth 2.0 client library) and the provider's login pages over plain HTTP;
their access tokens then read the API. Refusals: another audience, an expired token, the
algorithm changed, another council's tenant, an unlinked person. The provider rotates its key
and sign-in carries on. A declaration after a stale sign-in gets the RFC 9470 challenge (max_age
and acr_values), after a fresh single-factor one the challenge for acr_values alone; after a fresh
multi-factor sign-in it is made and the signature records the issuer, auth_time, acr and amr. A flood
of tokens naming random keys makes no more key fetches than the refetch interval allows. Machines
obtain tokens with the OAuth 2.0 form: client_secret_basic and private_key_jwt, through Authlib.

Usage: check.py API_BASE OPCC_ISSUER PLYMOUTH_ISSUER TORBAY_ISSUER
Reads CSPFUND_DEMO_PASSWORD (the demo logins' password), AUDIENCE, SIGNING_MAX_AGE.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import sys
import time
import uuid

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

API, OPCC, PLYMOUTH, TORBAY = sys.argv[1:5]
AUDIENCE = os.environ["AUDIENCE"]
SIGNING_MAX_AGE = int(os.environ["SIGNING_MAX_AGE"])
PASSWORD = os.environ["CSPFUND_DEMO_PASSWORD"]
REDIRECT_URI = "http://127.0.0.1:9/callback"
MULTI_FACTOR = "urn:cspfund:test:multi-factor"
checks = []


def check(condition, message):
    if not condition:
        raise SystemExit(f"oidc: FAILED: {message}")
    checks.append(message)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims_of(token):
    return json.loads(unb64url(token.split(".")[1]))


def sign_in(issuer, person, client_id="cspfund-front-end", browser=None, max_age=None, resource=AUDIENCE,
            mfa=False, acr_values=None):
    """The authorization code flow with PKCE, as a front end runs it: Authlib makes the request
    and redeems the code; the person logs in on the provider's pages (a browser: cookies)."""
    browser = browser or requests.Session()
    discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    front_end = OAuth2Session(client_id, redirect_uri=REDIRECT_URI, scope="openid",
                              code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier = b64url(os.urandom(48))
    extra = {"resource": resource}
    if max_age is not None:
        extra["max_age"] = str(max_age)
    if acr_values:
        extra["acr_values"] = acr_values
    url, state = front_end.create_authorization_url(discovery["authorization_endpoint"],
                                                    code_verifier=verifier, **extra)
    response = browser.get(url, allow_redirects=False, timeout=10)
    for _ in range(10):
        location = response.headers.get("location", "")
        if location.startswith(REDIRECT_URI):
            break
        if location:
            response = browser.get(requests.compat.urljoin(response.url, location), allow_redirects=False, timeout=10)
            continue
        page = response.text
        prompt = re.search(r'name="prompt" value="(\w+)"', page)
        if prompt is None:
            raise SystemExit(f"oidc: FAILED: the provider showed no login or consent page ({response.status_code})")
        action = re.search(r'action="([^"]+)"', page).group(1)
        form = {"prompt": prompt.group(1)}
        if prompt.group(1) == "login":
            form.update(login=person, password="any", mfa="yes" if mfa else "no")
        response = browser.post(requests.compat.urljoin(response.url, action), data=form,
                                allow_redirects=False, timeout=10)
    else:
        raise SystemExit("oidc: FAILED: the sign-in did not come back to the front end")
    token = front_end.fetch_token(discovery["token_endpoint"], authorization_response=location,
                                  code_verifier=verifier, state=state, resource=resource)
    return token["access_token"], browser


def api(method, path, token, **kwargs):
    return requests.request(method, f"{API}{path}", headers={"Authorization": f"Bearer {token}",
                                                            **kwargs.pop("headers", {})}, timeout=30, **kwargs)


def admin_token():
    reply = requests.post(f"{API}/api/v1/auth/token", json={"email": "admin@opcc.example", "password": PASSWORD},
                          timeout=30)
    reply.raise_for_status()
    return reply.json()["access_token"]


def user_id(admin, email):
    users = api("GET", "/api/v1/users?limit=100", admin).json()["items"]
    return next(u["id"] for u in users if u["email"] == email)


def link(admin, user, issuer, subject):
    return api("POST", f"/api/v1/users/{user}/identities", admin, json={"issuer": issuer, "subject": subject})


def main():
    admin = admin_token()
    partnerships = {p["name"]: p["id"] for p in api("GET", "/api/v1/partnerships", admin).json()["items"]}
    check(partnerships.get("Safer Plymouth") == 1 and partnerships.get("Safer Torbay") == 2,
          "the demo's partnerships are the ones the issuers are configured for")
    manager = user_id(admin, "manager@safer-plymouth.example")
    reviewer = user_id(admin, "reviewer@opcc.example")
    check(link(admin, manager, PLYMOUTH, "plymouth-officer").status_code == 201,
          "the admin links the manager to their identity at Plymouth's tenant")
    check(link(admin, manager, TORBAY, "plymouth-officer").status_code == 422,
          "Torbay's tenant cannot be linked to a Plymouth manager")
    check(link(admin, reviewer, OPCC, "opcc-reviewer").status_code == 201,
          "the admin links the reviewer to the OPCC's tenant")

    # Expiry is checked last (it takes the token's second of life plus the clock leeway).
    short_lived, _ = sign_in(PLYMOUTH, "plymouth-officer", client_id="short-lived-front-end")
    short_lived_at = time.time()

    token, browser = sign_in(PLYMOUTH, "plymouth-officer")
    claims = claims_of(token)
    header = json.loads(unb64url(token.split(".")[0]))
    check(header["typ"] == "at+jwt" and claims["aud"] == AUDIENCE and claims["iss"] == PLYMOUTH,
          "the provider issues an RFC 9068 access token for the service")
    me = api("GET", "/api/v1/me", token)
    check(me.status_code == 200 and me.json()["role"] == "csp_manager"
          and me.json()["partnership"]["name"] == "Safer Plymouth",
          "a manager signed in at Plymouth's tenant reads the API as themselves")
    reviewer_token, _ = sign_in(OPCC, "opcc-reviewer")
    check(api("GET", "/api/v1/me", reviewer_token).json().get("role") == "opcc_reviewer",
          "a reviewer signed in at the OPCC's tenant reads as the reviewer")

    other_audience, _ = sign_in(PLYMOUTH, "plymouth-officer", resource="https://another-api.example")
    check(claims_of(other_audience)["aud"] == "https://another-api.example"
          and api("GET", "/api/v1/me", other_audience).status_code == 401,
          "a token for another audience is refused")
    jwk = requests.get(f"{PLYMOUTH}/jwks", timeout=10).json()["keys"][0]
    forged_header = b64url(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": jwk["kid"]}).encode())
    signing_input = f"{forged_header}.{token.split('.')[1]}".encode()
    forged = f"{signing_input.decode()}.{b64url(hmac.new(unb64url(jwk['n']), signing_input, hashlib.sha256).digest())}"
    check(api("GET", "/api/v1/me", forged).status_code == 401,
          "the same token re-signed with alg changed to HS256 (keyed with the public key) is refused")
    from_torbay, _ = sign_in(TORBAY, "plymouth-officer")
    check(api("GET", "/api/v1/me", from_torbay).status_code == 403,
          "a token from the other council's tenant for the same subject does not act for Safer Plymouth")
    stranger, _ = sign_in(PLYMOUTH, "somebody-else")
    refused = api("GET", "/api/v1/me", stranger)
    check(refused.status_code == 403 and "ask the fund administrator" in refused.json()["detail"],
          "an unlinked person gets a clear 403 and no account")

    # A flood of tokens naming keys the provider never had.
    before = requests.get(f"{PLYMOUTH}/__stats", timeout=10).json()["key_fetches"]
    started = time.time()
    for _ in range(100):
        made_up = b64url(json.dumps({"alg": "RS256", "typ": "at+jwt", "kid": str(uuid.uuid4())}).encode())
        api("GET", "/api/v1/me", f"{made_up}.{token.split('.')[1]}.{b64url(os.urandom(256))}")
    fetched = requests.get(f"{PLYMOUTH}/__stats", timeout=10).json()["key_fetches"] - before
    allowed = int(time.time() - started) + 1
    check(fetched <= allowed,
          f"100 tokens with random key ids made {fetched} key fetches in {time.time() - started:.1f} s "
          f"(at most one a second allowed)")

    # The provider rotates its signing key; sign-in carries on without a restart.
    requests.post(f"{PLYMOUTH}/__rotate", timeout=10).raise_for_status()
    time.sleep(1.2)
    rotated, _ = sign_in(PLYMOUTH, "plymouth-officer")
    check(json.loads(unb64url(rotated.split(".")[0]))["kid"] != header["kid"]
          and api("GET", "/api/v1/me", rotated).status_code == 200,
          "after the provider rotates its key, its new tokens are accepted")

    # A declaration: submitting the manager's draft plan.
    plans = api("GET", "/api/v1/plans?limit=100", rotated).json()["items"]
    draft = next(p for p in plans if p["status"] == "draft")
    path = f"/api/v1/plans/{draft['id']}"
    session = requests.Session()
    _, session = sign_in(PLYMOUTH, "plymouth-officer", browser=session)
    time.sleep(SIGNING_MAX_AGE + 1)
    # Single sign-on: the provider does not ask again, so auth_time stays as it was.
    stale, session = sign_in(PLYMOUTH, "plymouth-officer", browser=session)
    version = api("GET", path, stale).headers["ETag"]
    challenged = api("POST", f"{path}/submit", stale, json={}, headers={"If-Match": version})
    challenge = challenged.headers.get("WWW-Authenticate", "")
    check(challenged.status_code == 401 and 'error="insufficient_user_authentication"' in challenge
          and f'max_age="{SIGNING_MAX_AGE}"' in challenge and f'acr_values="{MULTI_FACTOR}"' in challenge,
          "submitting after a stale single-factor sign-in gets the RFC 9470 challenge with max_age and acr_values")
    fresh, _ = sign_in(PLYMOUTH, "plymouth-officer", browser=session, max_age=0)
    check(claims_of(fresh)["auth_time"] > claims_of(stale)["auth_time"],
          "max_age=0 makes the provider sign the person in again")
    weak = api("POST", f"{path}/submit", fresh, json={}, headers={"If-Match": version})
    challenge = weak.headers.get("WWW-Authenticate", "")
    check(weak.status_code == 401 and f'acr_values="{MULTI_FACTOR}"' in challenge and "max_age" not in challenge,
          "a fresh sign-in without a second factor is challenged for acr_values alone")
    strong, _ = sign_in(PLYMOUTH, "plymouth-officer", browser=session, max_age=0, mfa=True, acr_values=MULTI_FACTOR)
    submitted = api("POST", f"{path}/submit", strong, json={}, headers={"If-Match": version})
    check(submitted.status_code == 200 and submitted.json()["status"] == "submitted",
          "after a fresh multi-factor sign-in the plan is submitted")
    signature = api("GET", f"{path}/signatures", strong).json()[-1]
    check(signature["sign_in"]["issuer"] == PLYMOUTH and signature["sign_in"]["subject"] == "plymouth-officer"
          and signature["sign_in"]["auth_time"] == claims_of(strong)["auth_time"]
          and signature["sign_in"]["acr"] == MULTI_FACTOR and "mfa" in signature["sign_in"]["amr"]
          and json.loads(signature["attestation"]["message"])["sign_in"] == signature["sign_in"],
          "the signature records the issuer, auth_time, acr and amr, under the service's attestation")

    # Machines: the OAuth 2.0 form through Authlib.
    created = api("POST", "/api/v1/api-clients", admin,
                  json={"name": "Plymouth case system", "role": "csp_manager", "partnership_id": 1}).json()
    token_url = f"{API}/api/v1/oauth/token"
    by_secret = OAuth2Session(created["client_id"], created["client_secret"],
                              token_endpoint_auth_method="client_secret_basic")
    machine = by_secret.fetch_token(token_url, grant_type="client_credentials")
    check(api("GET", "/api/v1/me", machine["access_token"]).json()["api_client"]["client_id"] == created["client_id"],
          "a client obtains a token with client_secret_basic through Authlib")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    public_jwk = {"kty": "RSA", "kid": "case-system-1", "alg": "RS256",
                  "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                  "e": b64url(numbers.e.to_bytes(3, "big"))}
    registered = api("PUT", f"/api/v1/api-clients/{created['id']}/public-key", admin, json={"public_key": public_jwk})
    check(registered.status_code == 200, "the admin registers the client's public key")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    by_key = OAuth2Session(created["client_id"], pem, token_endpoint_auth_method=PrivateKeyJWT(token_url))
    machine = by_key.fetch_token(token_url, grant_type="client_credentials")
    check(api("GET", "/api/v1/me", machine["access_token"]).status_code == 200,
          "a client obtains a token with private_key_jwt through Authlib, holding no secret of the service")

    time.sleep(max(0.0, short_lived_at + 63 - time.time()))
    check(api("GET", "/api/v1/me", short_lived).status_code == 401,
          "a token past its expiry (and the clock leeway) is refused")
    print(f"oidc: {len(checks)} checks passed against oidc-provider")


if __name__ == "__main__":
    main()
