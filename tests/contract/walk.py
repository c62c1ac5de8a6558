"""The yearly cycle through a client generated from openapi/openapi.json, used as it was generated.

A council's software signs and submits the 2021-22 plan, the OPCC reviews it line by line and
approves it; the demo's 2017-18 claim reconciles in the fund report; Torbay's overdue 2021-22 return is
signed, countersigned, accepted in part and paid by finance, and no further. Any field, enum,
header or status the document gets wrong makes the generated code raise or the checks below fail.

Usage: python walk.py BASE_URL CLIENT_DIR   (CLIENT_DIR holds the generated `cspfund_client`)
"""

import datetime
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
from cspfund_client.api.opcc_desk import fund_by_partnership, list_deadlines, record_payment  # noqa: E402
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
    DeadlineState,
    Decision,
    DecisionsInput,
    LineDecision,
    NewPayment,
    PasswordLogin,
    Problem,
    Role,
    SignatureInput,
    Status,
    TokenResponse,
)

PASSWORD = os.environ["CSPFUND_DEMO_PASSWORD"]
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
finance = log_in("finance@opcc.example")
torbay_manager = log_in("manager@torbay.example")
torbay_treasurer = log_in("treasurer@torbay.example")

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

# The demo's 2017-18 claim is approved in part and part-paid; the fund report says so.
fund = fund_by_partnership.sync(client=finance, fund_year="2017-18")
row = fund.rows[0]
check(
    (str(row.available), str(row.claimed), str(row.approved_for_payment), str(row.paid), str(row.outstanding))
    == ("428246.00", "200284.00", "195000.00", "150000.00", "45000.00"),
    f"the 2017-18 year reconciles (got {row!r})",
)

# Torbay's 2021-22 half-year return: signed, countersigned, reviewed, accepted in part and paid.
returns = list_half_year_returns.sync(client=torbay_manager, fund_year="2021-22")
check(len(returns.items) == 1, "Torbay's manager sees its own 2021-22 half-year return")
return_id = returns.items[0].id
read = get_half_year_return.sync_detailed(return_id, client=torbay_manager)
check(ok(read, "read the return").status == Status.DRAFT, "the return is a draft")
check(str(read.parsed.amount_claimed) == "80000.00", "it claims 80,000.00")
check(read.parsed.deadline.state == DeadlineState.OVERDUE, "a draft long after its due date is overdue")
signed = sign_half_year_return.sync_detailed(
    return_id, client=torbay_manager, body=SignatureInput(password=PASSWORD), if_match=etag(read)
)
check(ok(signed, "sign the return").status == Status.SIGNED, "the manager has signed")
countersigned = countersign_half_year_return.sync_detailed(
    return_id, client=torbay_treasurer, body=SignatureInput(password=PASSWORD), if_match=etag(signed)
)
check(ok(countersigned, "countersign the return").status == Status.SUBMITTED, "countersigned: submitted")
check(countersigned.parsed.deadline.state == DeadlineState.SUBMITTED_LATE, "submitted after its due date: late")
reviewing = start_half_year_return_review.sync_detailed(return_id, client=reviewer, if_match=etag(countersigned))
check(ok(reviewing, "start the return's review").status == Status.UNDER_REVIEW, "the return is under review")
accepted = accept_half_year_return.sync_detailed(
    return_id,
    client=reviewer,
    body=AcceptReturn(approved_amount="75000.00", reason="One project's spend is not yet evidenced"),
    if_match=etag(reviewing),
)
check(ok(accepted, "accept the return").status == Status.ACCEPTED, "the return is accepted")
check(str(accepted.parsed.payment.outstanding) == "75000.00", "75,000.00 approved and still to pay")
signatures = half_year_return_signatures.sync(return_id, client=reviewer)
check(
    sorted(s.capacity.value for s in signatures) == ["csp_manager", "treasurer"] and all(s.valid for s in signatures),
    "signed and countersigned, both valid",
)
paid = record_payment.sync_detailed(
    return_id,
    client=finance,
    body=NewPayment(amount="75000.00", paid_on=datetime.date(2021, 12, 10), remittance_reference="BACS 2021-12-10/0101"),
)
check(ok(paid, "record the payment").amount == "75000.00", "finance pays the approved claim")
check(
    record_payment.sync_detailed(
        return_id,
        client=finance,
        body=NewPayment(amount="0.01", paid_on=datetime.date(2021, 12, 10), remittance_reference="BACS"),
    ).status_code
    == 422,
    "nothing is paid beyond the approval",
)
overdue = list_deadlines.sync(client=reviewer, state=DeadlineState.OVERDUE)
check(
    all(item.deadline.overdue for item in overdue.items) and len(overdue.items) > 0,
    "the OPCC sees what is overdue",
)

print(f"walk: {steps} checks passed through the generated client")
