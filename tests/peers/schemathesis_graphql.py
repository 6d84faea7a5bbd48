"""Schema-driven fuzzing of /graphql with schemathesis: queries and mutations generated from the
schema the server introspects, sent as an admin and anonymously. Every answer must be free of
server errors (no 5xx), and every error in it must carry an `extensions.code`.

Run by tests/integration/schema_fuzz.rs with HPCB_URL, HPCB_TOKEN and HPCB_EXAMPLES set; prints
one summary line `schemathesis: N requests, S server errors, U errors without a code`.
"""

import json
import os

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

URL = os.environ["HPCB_URL"]
TOKEN = os.environ.get("HPCB_TOKEN", "")
EXAMPLES = int(os.environ.get("HPCB_EXAMPLES", "30"))
STATS = {"requests": 0, "server_errors": 0, "uncoded": 0, "examples": []}

# Our scalars: decimals are strings (well-formed or not, huge, negative, with exponents; floats
# and integers too, which the server must refuse with a code), date-times RFC 3339 or junk.
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.from_regex(r"-?[0-9]{1,30}(\.[0-9]{0,12})?", fullmatch=True),
        st.text(max_size=40),
    ).map(nodes.String)
    | st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float)
    | st.integers().map(nodes.Int),
)
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(
        st.datetimes().map(lambda d: d.isoformat() + "Z"),
        st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?)?", fullmatch=True),
        st.text(max_size=40),
    ).map(nodes.String)
    | st.integers().map(nodes.Int),
)

schema = schemathesis.graphql.from_url(URL, headers={"Authorization": f"Bearer {TOKEN}"})


def check(response):
    STATS["requests"] += 1
    if response.status_code >= 500:
        STATS["server_errors"] += 1
        STATS["examples"].append(f"{response.status_code}: {response.text[:300]}")
        return
    try:
        body = response.json()
    except ValueError:
        STATS["uncoded"] += 1
        STATS["examples"].append(f"not JSON: {response.text[:300]}")
        return
    for error in body.get("errors") or []:
        if not (error.get("extensions") or {}).get("code"):
            STATS["uncoded"] += 1
            STATS["examples"].append(json.dumps(error)[:300])


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_admin(case):
    check(case.call(headers={"Authorization": f"Bearer {TOKEN}"}))


@schema.parametrize()
@settings(max_examples=max(EXAMPLES // 3, 1), deadline=None, suppress_health_check=list(HealthCheck))
def test_anonymous(case):
    check(case.call())


def teardown_module(_module):
    print(
        f"\nschemathesis: {STATS['requests']} requests, {STATS['server_errors']} server errors, "
        f"{STATS['uncoded']} errors without a code"
    )
    for example in STATS["examples"][:5]:
        print(f"  example: {example}")
