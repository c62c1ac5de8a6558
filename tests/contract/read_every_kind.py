"""Reads the demo's records through the client openapi-generator's `python` generator wrote from
openapi/openapi.json, used unmodified: every document kind with its versions and history, the
reference data, payments, reports and the history's checkpoints. Each answer is parsed into the
generated (pydantic) models, so a response that strays from the document fails here.

Usage: read_every_kind.py BASE_URL  (the generated package `cspfund_openapi` on PYTHONPATH;
CSPFUND_DEMO_PASSWORD in the environment)
"""

import json
import os
import sys
import urllib.request
from decimal import Decimal

import cspfund_openapi as api
# The package's top level exports the model `ApiClient` (an API client of this service) over the
# generator's HTTP client of that name; the latter is taken from its module.
from cspfund_openapi.api_client import ApiClient as HttpClient


def token(base, email):
    request = urllib.request.Request(
        base + "/api/v1/auth/token",
        data=json.dumps({"email": email, "password": os.environ["CSPFUND_DEMO_PASSWORD"]}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["access_token"]


def client(base, email):
    configuration = api.Configuration(host=base, access_token=token(base, email))
    return HttpClient(configuration)


def every(list_page, **filters):
    """Every item of a collection, following next_cursor."""
    items, cursor = [], None
    while True:
        page = list_page(limit=200, cursor=cursor, **filters)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


def fail(message):
    sys.exit(f"python client: {message}")


def main(base):
    reviewer = client(base, "reviewer@opcc.example")
    admin = client(base, "admin@opcc.example")
    finance = client(base, "finance@opcc.example")
    checks = 0

    kinds = [
        ("plans", api.PlansApi(reviewer), "list_plans", "get_plan", "plan_versions", "plan_version", "plan_history"),
        ("half-year returns", api.HalfYearReturnsApi(reviewer), "list_half_year_returns", "get_half_year_return",
         "half_year_return_versions", "half_year_return_version", "half_year_return_history"),
        ("final reports", api.FinalReportsApi(reviewer), "list_final_reports", "get_final_report",
         "final_report_versions", "final_report_version", "final_report_history"),
        ("commissioning papers", api.CommissioningApi(reviewer), "list_commissioning_papers",
         "get_commissioning_paper", "commissioning_paper_versions", "commissioning_paper_version",
         "commissioning_paper_history"),
    ]
    for name, kind, list_name, get_name, versions_name, version_name, history_name in kinds:
        summaries = every(getattr(kind, list_name))
        if not summaries:
            fail(f"the demo has no {name}")
        for summary in summaries:
            document = getattr(kind, get_name)(summary.id)
            if document.id != summary.id or document.status != summary.status:
                fail(f"{name} {summary.id} reads otherwise than its summary")
            for version in every(getattr(kind, versions_name), id=summary.id):
                snapshot = getattr(kind, version_name)(summary.id, version.number)
                if snapshot.content_sha256 != version.content_sha256 or not snapshot.content:
                    fail(f"{name} {summary.id} version {version.number} differs from its summary")
                checks += 1
            entries = every(getattr(kind, history_name), id=summary.id)
            if not entries or entries[0].action.value != "created":
                fail(f"{name} {summary.id} has no history starting with its creation")
            checks += 1
        # The same collection by change: the same items.
        changed = every(getattr(kind, list_name), updated_since="2000-01-01T00:00:00Z")
        if sorted(s.id for s in changed) != sorted(s.id for s in summaries):
            fail(f"{name} listed by change differ from {name} listed by id")
        checks += 1

    # The seed plan's figures, as the generated models read them.
    plans = api.PlansApi(reviewer)
    plan = next(p for p in every(plans.list_plans, fund_year="2017-18") if p.partnership == "Safer Plymouth")
    full = plans.get_plan(plan.id)
    if Decimal(full.totals.available) != Decimal("428246.00") or len(full.lines) != plan.line_count:
        fail(f"Safer Plymouth's 2017-18 plan reads {full.totals.available} available, {len(full.lines)} lines")
    checks += 1

    reference = api.ReferenceDataApi(reviewer)
    allocations = every(reference.list_allocations)
    years = every(reference.list_fund_years)
    sets = every(reference.list_priority_sets)
    partnerships = every(api.PartnershipsApi(reviewer).list_partnerships)
    for allocation in allocations:
        if reference.get_allocation(allocation.id).grant != allocation.grant:
            fail(f"allocation {allocation.id} reads otherwise than listed")
    if not (allocations and years and sets and len(partnerships) >= 2):
        fail("the demo's reference data is missing")
    users = every(api.UsersApi(admin).list_users)
    checks += 1

    desk = api.OpccDeskApi(finance)
    payments = every(desk.list_payments)
    for payment in payments:
        if desk.get_payment(payment.id) != payment:
            fail(f"payment {payment.id} reads otherwise than listed")
    report = desk.fund_by_partnership(fund_year="2017-18")
    paid = sum(Decimal(row.paid) for row in report.rows)
    if paid != sum(Decimal(p.amount) for p in payments if p.fund_year == "2017-18"):
        fail("the fund report's payments differ from the payments listed")
    checks += 1

    history = api.HistoryApi(reviewer)
    feed = history.list_history(limit=200)
    checkpoints = every(history.list_checkpoints)
    if not feed.items or not checkpoints:
        fail("the history or its checkpoints are empty")
    checks += 1

    print(
        f"python client: {checks} checks passed reading {len(kinds)} document kinds, allocations ({len(allocations)}), "
        f"users ({len(users)}), payments ({len(payments)}) and checkpoints ({len(checkpoints)})"
    )


if __name__ == "__main__":
    main(sys.argv[1])
