"""Reads the demo's Safer Plymouth 2021-22 plan as PDF/A records, as a person would read them.

Usage: check.py BASE_URL WORK_DIR PICTURES_DIR  (CSPFUND_DEMO_PASSWORD in the environment)
"""

import json
import os
import subprocess
import sys
import urllib.request

PASSWORD = os.environ["CSPFUND_DEMO_PASSWORD"]
# The seed's figures: each line's amount, the two sub-allocations of line 1, the grant.
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


def main(base, work, pictures):
    reviewer = login(base, "reviewer@opcc.example")
    manager = login(base, "manager@safer-plymouth.example")
    plans = json.loads(call(base, "/api/v1/plans?fund_year=2021-22&partnership_id=1", reviewer)[0])["items"]
    if len(plans) != 1:
        fail(f"the demo should hold one Safer Plymouth 2021-22 plan, not {len(plans)}")
    path = f"/api/v1/plans/{plans[0]['id']}"

    file, text, pages = record(base, path, reviewer, work, "plan-draft")
    for expected in FIGURES + ["Spending Intentions Plan", "Community Safety Partnership Fund 2021 – 2022",
                               "Safer Plymouth Partnership", "3. Protecting people at risk of", "Approved"]:
        if expected not in text:
            fail(f"the draft's text lacks {expected!r}")
    unmarked = [number for number, page in enumerate(pages, 1) if "DRAFT" not in page]
    if unmarked:
        fail(f"the draft's pages {unmarked} do not say DRAFT")
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", file,
                    os.path.join(pictures, "plan-draft")], check=True)

    plan = json.loads(call(base, path, manager)[0])
    call(base, path + "/submit", manager, body={"password": PASSWORD},
         headers={"if-match": f'"{plan["version"]}"'}, method="POST")
    versions = json.loads(call(base, path + "/versions", reviewer)[0])["items"]
    submitted = versions[-1]
    signatures = json.loads(call(base, path + "/signatures", reviewer)[0])
    file, text, pages = record(base, f"{path}/versions/{submitted['number']}", reviewer, work, "plan-submitted")
    for expected in FIGURES + [signatures[0]["printed_name"], submitted["content_sha256"]]:
        if expected not in text.replace("\n", " "):
            fail(f"the submitted version's text lacks {expected!r}")
    if "DRAFT" in text:
        fail("the submitted version still says DRAFT")
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", file,
                    os.path.join(pictures, "plan-submitted")], check=True)
    print(f"records: the plan as a draft ({len(pages)} pages, DRAFT on each) and as submitted, signed by "
          f"{signatures[0]['printed_name']}: every figure found by pdftotext, qpdf --check clean, same bytes twice")


if __name__ == "__main__":
    main(*sys.argv[1:4])
