"""The yearly cycle through a client generated from openapi/openapi.json, used as it was generated.

A council's software signs and submits the 2021-22 plan, the OPCC reviews it line by line and
approves it; the 2017-18 half-year return is signed, countersigned and accepted. Any field, enum,
header or status the document gets wrong makes the generated code raise or the checks below fail.

Usage: python walk.py BASE_URL CLIENT_DIR   (CLIENT_DIR holds the generated `cspfund_client`)
"""

import os
import sys
import uuid

BASE_URL, CLIENT_DIR = sys.argv[1], sys.argv[2]
sys.path.insert(0, CLIENT_DIR)

from cspfund_client import AuthenticatedClient, Client  # noqa: E402
from cspfund_client.api.auth import get_me, issue_token  # noqa: E402
from cspfund_client.api.half_year_returns import (  # noqa: E402
    accept_half_year_return,
    countersign_half_year_return,
    get_half_year_return,
    half_year_return_signatures,
    list_half_year_returns,
    sign_half_year_return,
    start_half_year_return_review,
)
from cspfund_client.api.plans import (  # noqa: E402
    approve_plan,
    get_plan,
    list_plans,
    plan_history,
    plan_signatures,
    record_plan_decisions,
    start_plan_review,
    submit_plan,
)
from cspfund_client.models import (  # noqa: E402
    AcceptReturn,
    Capacity,
    Decision,
    DecisionsInput,
    LineDecision,
    PasswordLogin,
    Problem,
    Role,
    SignatureInput,
    Status,
    TokenResponse,
)

PASSWORD = os.environ.get("CSPFUND_DEMO_PASSWORD", "cspfund-demo-password")
steps = 0


def check(condition, message):
    global steps
    if not condition:
        raise SystemExit(f"walk: {message}")
    steps += 1


def log_in(email):
    answer = issue_token.sync(client=Client(base_url=BASE_URL), body=PasswordLogin(email=email, password=PASSWORD))
    check(isinstance(answer, TokenResponse), f"{email} logs in (got {answer!r})")
    return AuthenticatedClient(base_url=BASE_URL, token=answer.access_token)


def etag(response):
    value = response.headers.get("etag")
    check(value is not None, "a document answers with its ETag")
    return value


def ok(response, what):
    check(response.status_code in (200, 201), f"{what}: {response.status_code} {response.parsed!r}")
    check(not isinstance(response.parsed, Problem), f"{what} parses as a document")
    return response.parsed


manager = log_in("manager@safer-plymouth.example")
treasurer = log_in("treasurer@safer-plymouth.example")
reviewer = log_in("reviewer@opcc.example")

me = get_me.sync(client=manager)
check(me.role == Role.CSP_MANAGER, f"the manager is a csp_manager (got {me.role!r})")
check(me.partnership is not None and me.partnership.name == "Safer Plymouth", "the manager acts for Safer Plymouth")

# The 2021-22 plan: signed and submitted by the partnership, approved line by line by the OPCC.
plans = list_plans.sync(client=manager, fund_year="2021-22")
check(len(plans.items) == 1, "the manager sees one 2021-22 plan, its own")
plan_id = plans.items[0].id
read = get_plan.sync_detailed(plan_id, client=manager)
plan = ok(read, "read the plan")
check(plan.status == Status.DRAFT, f"the plan is a draft (got {plan.status!r})")
check(str(plan.totals.allocated) == "400568.00", f"the lines add up to the grant (got {plan.totals.allocated!r})")
key = str(uuid.uuid4())
submitted = submit_plan.sync_detailed(
    plan_id, client=manager, body=SignatureInput(password=PASSWORD), if_match=etag(read), idempotency_key=key
)
check(ok(submitted, "submit the plan").status == Status.SUBMITTED, "the plan is submitted")
replayed = submit_plan.sync_detailed(
    plan_id, client=manager, body=SignatureInput(password=PASSWORD), if_match=etag(read), idempotency_key=key
)
check(replayed.headers.get("idempotent-replayed") == "true", "a retried submission is replayed, not repeated")
signatures = plan_signatures.sync(plan_id, client=manager)
check([s.capacity for s in signatures] == [Capacity.CSP_MANAGER] and signatures[0].valid, "one valid signature")

reviewing = start_plan_review.sync_detailed(plan_id, client=reviewer, if_match=etag(submitted))
check(ok(reviewing, "start the review").status == Status.UNDER_REVIEW, "the plan is under review")
decisions = DecisionsInput(
    decisions=[LineDecision(line=line.number, decision=Decision.APPROVED) for line in reviewing.parsed.lines]
)
decided = record_plan_decisions.sync_detailed(plan_id, client=reviewer, body=decisions, if_match=etag(reviewing))
ok(decided, "decide every line")
approved = approve_plan.sync_detailed(plan_id, client=reviewer, if_match=etag(decided))
plan = ok(approved, "approve the plan")
check(plan.status == Status.APPROVED, "the plan is approved")
check(str(plan.review.approved_amount) == "400568.00", "approved for the sum of its lines")
history = plan_history.sync(plan_id, client=manager)
check(
    [entry.action for entry in history.items][-4:] == ["submit", "start-review", "decisions", "approve"],
    "the history records each step",
)

# The 2017-18 half-year return: signed, countersigned, reviewed and accepted for payment.
returns = list_half_year_returns.sync(client=manager, fund_year="2017-18")
check(len(returns.items) == 1, "the manager sees the 2017-18 half-year return")
return_id = returns.items[0].id
read = get_half_year_return.sync_detailed(return_id, client=manager)
check(ok(read, "read the return").status == Status.DRAFT, "the return is a draft")
check(str(read.parsed.amount_claimed) == "200284.00", "it claims 200,284.00")
signed = sign_half_year_return.sync_detailed(
    return_id, client=manager, body=SignatureInput(password=PASSWORD), if_match=etag(read)
)
check(ok(signed, "sign the return").status == Status.SIGNED, "the manager has signed")
countersigned = countersign_half_year_return.sync_detailed(
    return_id, client=treasurer, body=SignatureInput(password=PASSWORD), if_match=etag(signed)
)
check(ok(countersigned, "countersign the return").status == Status.SUBMITTED, "countersigned: submitted")
reviewing = start_half_year_return_review.sync_detailed(return_id, client=reviewer, if_match=etag(countersigned))
check(ok(reviewing, "start the return's review").status == Status.UNDER_REVIEW, "the return is under review")
accepted = accept_half_year_return.sync_detailed(return_id, client=reviewer, body=AcceptReturn(), if_match=etag(reviewing))
check(ok(accepted, "accept the return").status == Status.ACCEPTED, "the return is accepted")
signatures = half_year_return_signatures.sync(return_id, client=reviewer)
check(
    sorted(s.capacity.value for s in signatures) == ["csp_manager", "treasurer"] and all(s.valid for s in signatures),
    "signed and countersigned, both valid",
)

print(f"walk: {steps} checks passed through the generated client")
