"""Reads the demo's records as a person would: the Safer Plymouth 2021-22 plan (draft, then
submitted), the 2017-18 half-year return (countersigned, accepted, part-paid) and its versions, the
2017-18 final report (a draft), and the OPCC's fund reports as panel papers.

Usage: check.py BASE_URL WORK_DIR PICTURES_DIR  (CSPFUND_DEMO_PASSWORD in the environment)
"""

import hashlib
import json
import os
import subprocess
import sys
import urllib.request

PASSWORD = os.environ["CSPFUND_DEMO_PASSWORD"]
# The seed's figures: each line's amount, the two sub-allocations of line 1, the grant.
# The seed's 2017-18 return: the claim, the grant with its carry-forward, each project's funding A-H.
RETURN_FIGURES = ["£200,284.00", "£400,568.00", "£27,678.00", "£428,246.00", "£160,200.00", "£25,000.00",
                  "£98,500.00", "£43,500.00", "£36,000.00", "£16,046.00", "£10,000.00", "£39,000.00"]
FIGURES = ["£240,819.00", "£210,000.00", "£30,819.00", "£25,000.00", "£93,575.00", "£26,500.00",
           "£10,000.00", "£4,674.00", "£400,568.00"]


def fail(message):
    sys.exit(f"records: {message}")


def call(base, path, token=None, body=None, headers=None, method=None):
    request = urllib.request.Request(base + path, method=method, headers=dict(headers or {}))
    if token:
        request.add_header("authorization", f"Bearer {token}")
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read(), response.headers


def login(base, email):
    body, _ = call(base, "/api/v1/auth/token", body={"email": email, "password": PASSWORD})
    return json.loads(body)["access_token"]


def record(base, path, token, work, name):
    pdf, headers = call(base, path, token, headers={"accept": "application/pdf"})
    if headers.get("content-type") != "application/pdf":
        fail(f"{path} answered {headers.get('content-type')}")
    again, _ = call(base, path, token, headers={"accept": "application/pdf"})
    if again != pdf:
        fail(f"{path} rendered to different bytes the second time")
    file = os.path.join(work, name + ".pdf")
    with open(file, "wb") as out:
        out.write(pdf)
    checked = subprocess.run(["qpdf", "--check", file], capture_output=True, text=True)
    if checked.returncode != 0:
        fail(f"qpdf --check {name}: {checked.stdout}{checked.stderr}")
    text = subprocess.run(["pdftotext", "-layout", file, "-"], capture_output=True, text=True, check=True).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    return file, text, pages


def picture(file, pictures, name, page=1, resolution=70):
    """Draws one page of a record as a PNG for a person (or zbarimg) to look at."""
    target = os.path.join(pictures, name)
    subprocess.run(["pdftoppm", "-png", "-r", str(resolution), "-f", str(page), "-l", str(page), "-singlefile",
                    file, target], check=True)
    return target + ".png"


def qr_code(file, page, work):
    """What the QR code on a page of a record says, read by zbarimg."""
    png = picture(file, work, "qr", page=page, resolution=200)
    read = subprocess.run(["zbarimg", "-q", "--raw", png], capture_output=True, text=True)
    return read.stdout.strip()


def shows_all(text, expected, what):
    """Fails unless every expected string is in `text`, read with its line breaks as spaces."""
    flat = " ".join(text.split())
    for part in expected:
        if part not in flat:
            fail(f"{what} lacks {part!r}")


def draft_on_every_page(pages, what):
    unmarked = [number for number, page in enumerate(pages, 1) if "DRAFT" not in page]
    if unmarked:
        fail(f"{what}'s pages {unmarked} do not say DRAFT")


def in_order(text, *parts):
    """Whether `parts` appear in `text` in this order."""
    at = 0
    for part in parts:
        at = text.find(part, at)
        if at < 0:
            return False
        at += len(part)
    return True


def check_return(base, work, pictures, reviewer):
    returns = json.loads(call(base, "/api/v1/half-year-returns?fund_year=2017-18&partnership_id=1", reviewer)[0])
    path = f"/api/v1/half-year-returns/{returns['items'][0]['id']}"
    signatures = json.loads(call(base, path + "/signatures", reviewer)[0])
    manager, treasurer = signatures[0]["printed_name"], signatures[1]["printed_name"]
    file, text, pages = record(base, path, reviewer, work, "return-accepted")
    flat = " ".join(text.split())
    shows_all(text, RETURN_FIGURES + ["HALF YEAR REPORT RETURN – COMMUNITY SAFETY FUND 2017-18",
                                      "Friday 3 November 2017", "October 2017", "(Project A)", "(Project H)",
                                      "Outcomes Achieved", "On Track to Achieve", "Not Achieved/Behind Schedule",
                                      "£195,000.00", "£150,000.00"], "the return's text")
    if not in_order(flat, "TO BE COMPLETED AND SIGNED BY CSP MANAGER", manager,
                    "TO BE SIGNED BY TREASURER / CFO", treasurer):
        fail(f"the return does not show {manager} under the CSP manager's block and {treasurer} under the treasurer's")
    if "DRAFT" in text:
        fail("the accepted return says DRAFT")
    picture(file, pictures, "return-accepted")

    # The manager's signature alone: version 1, the content it covers, the treasurer's block empty.
    version = json.loads(call(base, path + "/versions/1", reviewer)[0])
    file, text, pages = record(base, path + "/versions/1", reviewer, work, "return-signed")
    with open(file, "rb") as pdf:
        if hashlib.sha256(pdf.read()).hexdigest() != version["record_sha256"]:
            fail("version 1's record is not the one its record_sha256 names")
    flat = " ".join(text.split())
    if signatures[0]["content_sha256"] not in flat:
        fail("version 1's record does not state the SHA-256 its signature covers")
    if not in_order(flat, "SIGNED BY CSP MANAGER", manager, "TO BE SIGNED BY TREASURER / CFO", "Not signed"):
        fail("version 1's record should carry the manager's signature and an empty treasurer's block")
    if treasurer in flat:
        fail("version 1's record shows the treasurer's countersignature, given later")
    check_at = qr_code(file, len(pages), work)
    if check_at != f"{base}/api/v1/records/{signatures[0]['content_sha256']}":
        fail(f"the QR code on version 1's last page says {check_at!r}")
    # Whoever holds the paper follows the QR code without an account: it names the version and its signer.
    check = json.loads(urllib.request.urlopen(check_at, timeout=60).read())
    first = check["versions"][0]
    if (first["address"], first["record_sha256"]) != (path + "/versions/1", version["record_sha256"]):
        fail(f"the check at {check_at} does not name version 1 and its record: {check}")
    if [s["printed_name"] for s in first["signatures"]] != [manager]:
        fail(f"the check at {check_at} does not name {manager} alone as the signer of version 1: {check}")
    picture(file, pictures, "return-signed")
    return manager, treasurer


def check_final_report(base, work, pictures, reviewer):
    reports = json.loads(call(base, "/api/v1/final-reports?fund_year=2017-18&partnership_id=1", reviewer)[0])
    path = f"/api/v1/final-reports/{reports['items'][0]['id']}"
    file, text, pages = record(base, path, reviewer, work, "final-report-draft")
    shows_all(text, ["Final Evaluation Report", "£400,568.00 (+ carried forward £27,678.00", "£160,200.00",
                     "£16,046.00", "Spent £16,486.00", "£440.00", "£428,246.00",
                     "Infrastructure underspend meets the ASB overspend"], "the final report's text")
    draft_on_every_page(pages, "the draft final report")
    picture(file, pictures, "final-report-draft")
    return len(pages)


def check_fund_reports(base, work, pictures, reviewer):
    file, text, _ = record(base, "/api/v1/reports/fund-by-partnership", reviewer, work, "fund-by-partnership")
    shows_all(text, ["Fund year 2017 – 2018", "Fund year 2021 – 2022", "Safer Torbay", "£400,568.00",
                     "£27,678.00", "£428,246.00", "£200,284.00", "£195,000.00", "£150,000.00", "£45,000.00"],
              "the fund by partnership")
    picture(file, pictures, "fund-by-partnership")
    file, text, _ = record(base, "/api/v1/reports/fund-by-priority", reviewer, work, "fund-by-priority")
    shows_all(text, ["Fund year 2017 – 2018", "Protecting people at risk of abuse", "Total (each line once)"],
              "the fund by priority")
    picture(file, pictures, "fund-by-priority")


def check_every_demo_document(base, work, reviewer):
    """Every plan, return and report the demo loads renders, and qpdf finds each file sound."""
    rendered = 0
    for collection in ("plans", "half-year-returns", "final-reports"):
        for item in json.loads(call(base, f"/api/v1/{collection}?limit=100", reviewer)[0])["items"]:
            record(base, f"/api/v1/{collection}/{item['id']}", reviewer, work, f"{collection}-{item['id']}")
            rendered += 1
    return rendered


def main(base, work, pictures):
    reviewer = login(base, "reviewer@opcc.example")
    manager = login(base, "manager@safer-plymouth.example")
    plans = json.loads(call(base, "/api/v1/plans?fund_year=2021-22&partnership_id=1", reviewer)[0])["items"]
    if len(plans) != 1:
        fail(f"the demo should hold one Safer Plymouth 2021-22 plan, not {len(plans)}")
    path = f"/api/v1/plans/{plans[0]['id']}"

    file, text, pages = record(base, path, reviewer, work, "plan-draft")
    shows_all(text, FIGURES + ["Spending Intentions Plan", "Community Safety Partnership Fund 2021 – 2022",
                               "Safer Plymouth Partnership", "3. Protecting people at risk of", "Approved"],
              "the draft's text")
    draft_on_every_page(pages, "the draft")
    picture(file, pictures, "plan-draft")

    plan = json.loads(call(base, path, manager)[0])
    call(base, path + "/submit", manager, body={"password": PASSWORD},
         headers={"if-match": f'"{plan["version"]}"'}, method="POST")
    versions = json.loads(call(base, path + "/versions", reviewer)[0])["items"]
    submitted = versions[-1]
    signatures = json.loads(call(base, path + "/signatures", reviewer)[0])
    file, text, pages = record(base, f"{path}/versions/{submitted['number']}", reviewer, work, "plan-submitted")
    shows_all(text, FIGURES + [signatures[0]["printed_name"], submitted["content_sha256"]],
              "the submitted version's text")
    if "DRAFT" in text:
        fail("the submitted version still says DRAFT")
    picture(file, pictures, "plan-submitted")
    plan_pages = len(pages)
    manager, treasurer = check_return(base, work, pictures, reviewer)
    report_pages = check_final_report(base, work, pictures, reviewer)
    check_fund_reports(base, work, pictures, reviewer)
    every = check_every_demo_document(base, work, reviewer)
    print(f"records: the plan as a draft ({plan_pages} pages, DRAFT on each) and as submitted, signed by "
          f"{signatures[0]['printed_name']}; the 2017-18 return signed by {manager} and countersigned by "
          f"{treasurer}, its signed version kept (record_sha256 true, its QR code read by zbarimg and followed "
          f"without a token); the draft final report ({report_pages} pages, DRAFT on each); both fund reports: "
          f"every figure found by pdftotext; all {every} demo documents and every record above: qpdf --check "
          f"clean, same bytes twice")


if __name__ == "__main__":
    main(*sys.argv[1:4])
