"""The yearly cycle through a client generated from openapi/openapi.json, used as it was generated.

A council's software signs and submits the 2021-22 plan, the OPCC reviews it line by line and
approves it; the demo's 2017-18 claim reconciles in the fund report; the demo's commissioning paper is
followed from recommendation to plan line, and a new paper for 2021-22 is drafted and put to the board; Torbay's overdue 2021-22 return is
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
from cspfund_client.api.commissioning import (  # noqa: E402
    create_commissioning_paper,
    get_commissioning_paper,
    list_commissioning_papers,
    table_commissioning_paper,
)
from cspfund_client.api.half_year_returns import (  # noqa: E402
    accept_half_year_return,
    countersign_half_year_return,
    get_half_year_return,
    half_year_return_signatures,
    list_half_year_returns,
    sign_half_year_return,
    start_half_year_return_review,
)
from cspfund_client.api.opcc_desk import (  # noqa: E402
    contributions_to_confirm,
    fund_by_partnership,
    list_deadlines,
    recommendation_outcomes,
    record_payment,
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
    AmountState,
    CommissioningPaperInput,
    CommissioningPriorityInput,
    PrioritySource,
    ProposedAmount,
    RecommendationInput,
    TableInput,
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

# The demo's commissioning paper, agreed by Safer Plymouth's board, and the 2017-18 plan carrying it out.
papers = list_commissioning_papers.sync(client=reviewer, fund_year="2017-18")
check(len(papers.items) == 1 and papers.items[0].status == Status.AGREED, "the OPCC reads the agreed 2017-18 paper")
paper = get_commissioning_paper.sync(papers.items[0].id, client=manager)
check(paper.fund_years == ["2017-18", "2018-19"], f"the paper covers two years (got {paper.fund_years!r})")
check(len(paper.recommendations) == 8, "eight recommendations")
first = paper.recommendations[0]
check(
    (first.opcc_contribution.state, str(first.opcc_contribution.amount), str(first.total_budget.amount))
    == (AmountState.KNOWN, "110000.00", "501753.00"),
    f"the domestic abuse service was proposed at 110,000.00 of 501,753.00 (got {first!r})",
)
check(paper.recommendations[3].opcc_contribution.state == AmountState.AWAITING_CONFIRMATION, "one awaits confirmation")
check(paper.priorities[3].source == PrioritySource.EMERGING, "Modern Slavery is an emerging area")
plan_2017 = get_plan.sync(list_plans.sync(client=manager, fund_year="2017-18").items[0].id, client=manager)
recommendation_ids = {r.id for r in paper.recommendations}
check(
    all(line.recommendation_id in recommendation_ids for line in plan_2017.lines),
    "every 2017-18 plan line traces back to the paper",
)
outcomes = recommendation_outcomes.sync(client=reviewer, fund_year="2017-18")
check(
    [(row.number, str(row.opcc_contribution), str(row.total_budget)) for row in outcomes.rows[:3]]
    == [(1, "110000.00", "501753.00"), (2, "25000.00", "75000.00"), (3, "98500.00", "2000000.00")],
    f"the report shows what each recommendation proposed (got {outcomes.rows[:3]!r})",
)
check(
    not any(row.funded for row in outcomes.rows),
    "nothing is planned against the paper while the demo's 2017-18 plan awaits approval",
)
asked = contributions_to_confirm.sync(client=reviewer)
check(
    {row.number for row in asked.rows} == {4, 5, 6, 7, 8},
    "the OPCC sees the five contributions it has not confirmed",
)
draft = create_commissioning_paper.sync_detailed(
    client=manager,
    body=CommissioningPaperInput(
        fund_years=["2021-22"],
        title="Commissioning intentions 2021-22",
        priorities=[
            CommissioningPriorityInput(
                number=1, title="Domestic abuse", source=PrioritySource.STRATEGIC_ASSESSMENT, plan_priorities=[3, 4]
            )
        ],
        recommendations=[
            RecommendationInput(
                number=1,
                area_need="Victims of domestic abuse need an integrated service.",
                recommendation="Continue the Plymouth Domestic Abuse Service",
                opcc_contribution=ProposedAmount(state=AmountState.KNOWN, amount="210000.00"),
                total_budget=ProposedAmount(state=AmountState.TO_BE_CONFIRMED),
                priorities=[1],
            )
        ],
    ),
)
check(ok(draft, "draft a commissioning paper").status == Status.DRAFT, "the new paper is a draft")
tabled = table_commissioning_paper.sync_detailed(
    draft.parsed.id,
    client=manager,
    body=TableInput(board="Safer Plymouth", meeting_on=datetime.date(2021, 3, 2)),
    if_match=etag(draft),
)
check(ok(tabled, "put the paper to the board").status == Status.FOR_DISCUSSION, "the paper is for discussion")

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
