"""The 360Giving export of a live server, validated against the 360Giving package schema (1.4.3)
with the jsonschema library, formats checked.

Usage: giving.py BASE_URL ADMIN_TOKEN PARTNERSHIP_TOKEN
"""

import json
import re
import sys
import urllib.request
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

HERE = Path(__file__).parent / "360giving"
base, admin, partnership = sys.argv[1:4]


def fetch(path, token):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        return response.read()


def check(condition, message):
    if not condition:
        print(f"360giving: FAILED: {message}")
        sys.exit(1)


package_schema = json.loads((HERE / "360-giving-package-schema.json").read_text())
# The schemas name their dialect as "http://json-schema.org/draft/2020-12/schema", which is not the
# dialect's canonical URI, so it is given here rather than detected.
grant_schema = DRAFT202012.create_resource(json.loads((HERE / "360-giving-schema.json").read_text()))
registry = Registry().with_resources(
    [
        ("https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json", grant_schema),
        ("https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.3/schema/360-giving-schema.json", grant_schema),
    ]
)
validator = Draft202012Validator(
    package_schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
)

text = fetch("/api/v1/exports/360giving", admin)
package = json.loads(text)
errors = sorted(validator.iter_errors(package), key=lambda e: list(e.path))
for error in errors[:10]:
    print(f"360giving: {list(error.path)}: {error.message}")
check(not errors, f"{len(errors)} schema errors in the export")

grants = package["grants"]
to_partnerships = [g for g in grants if "regrantType" in g]
onward = [g for g in grants if "relatedActivity" in g]
check(to_partnerships and onward, "grants to partnerships and their onward grants are both published")
check(
    all(g["recipientOrganization"][0]["id"].startswith("GB-LAE-") for g in to_partnerships),
    "each grant goes to a lead authority with its org-id",
)
ids = {g["id"] for g in grants}
check(all(set(g["relatedActivity"]) <= ids for g in onward), "each onward grant names its grant")
exact = json.loads(text, parse_float=str)["grants"]
check(
    all(isinstance(g["amountAwarded"], str) and re.fullmatch(r"[0-9]+\.[0-9]{2}", g["amountAwarded"]) for g in exact),
    "amounts are numbers written with their pence, never rounded through floating point",
)

own = json.loads(fetch("/api/v1/exports/360giving", partnership))["grants"]
check(
    own and all(g["recipientOrganization"][0]["id"] == "GB-LAE-PLY" for g in own if "regrantType" in g),
    "a partnership publishes only its own grants",
)
print(
    f"360giving: {len(to_partnerships)} grants and {len(onward)} onward grants valid against the "
    "360Giving 1.4.3 package schema"
)
