"""The exchange system's API over real HTTP (a live server, urllib, token auth): recording uses under
contract, what each caller may list, bad input answered 4xx and never 500, and the OpenAPI schema.
The query-count part uses Django's test client, where queries can be counted."""

import json
import urllib.error
import urllib.request
from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from sharing import services
from sharing.choices import UsageMode, UsageOutcome
from sharing.models import LedgerEntry, UsageRecord

pytestmark = pytest.mark.django_db(transaction=True)

# Local requests must not go through a proxy the environment may name.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(server, method, path, *, token=None, body=None, raw=None, content_type="application/json"):
    """(status, decoded JSON body or text) of one HTTP request; 4xx/5xx are answers, not exceptions."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    if data is not None:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(server.url + path, data=data, method=method, headers=headers)
    try:
        with _opener.open(request, timeout=30) as response:
            status, content = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, content = error.code, error.read()
    try:
        return status, json.loads(content) if content else None
    except ValueError:
        return status, content.decode(errors="replace")


def token_for(user):
    return Token.objects.create(user=user).key


def use_body(agreement, /, **fields):
    return {"agreement": agreement.number, "mode": "query", "items": ["F0"], "record_count": 3, **fields}


@pytest.fixture
def token_a(liaison_a):
    return token_for(liaison_a)


# --- POST /api/usage/ -------------------------------------------------------------------------


def test_use_within_the_agreement_answers_201_and_is_recorded(live_server, conditional_active, token_a):
    status, body = call(live_server, "POST", "/api/usage/", token=token_a, body=use_body(conditional_active))

    assert status == 201, body
    code = conditional_active.items.get(code="F0").resource.catalogue_code
    assert (body["outcome"], body["agreement"], body["items"]) == (
        "accepted",
        conditional_active.number,
        [f"{code}/F0"],
    )
    record = UsageRecord.objects.get()
    assert (record.pk, record.outcome) == (body["id"], UsageOutcome.ACCEPTED)
    assert LedgerEntry.objects.order_by("-seq").first().action == "usage.accepted"


def _suspend(agreement, officer):
    services.agreement_suspend(agreement=agreement, actor=officer, reason="配合专项检查")
    return {}


def _after_the_period(agreement, officer):
    late = timezone.make_aware(datetime.combine(agreement.valid_to + timedelta(days=1), time(9)))
    return {"used_at": late.isoformat()}


REFUSALS = {
    "not-active": _suspend,
    "outside-the-period": _after_the_period,
    "items-outside-the-scope": lambda agreement, officer: {"items": ["F0", "SECRET"]},
    "stronger-mode-than-granted": lambda agreement, officer: {"mode": "bulk"},
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_refusal_answers_422_with_its_reason_and_is_recorded(
    case, live_server, conditional_active, officer, token_a
):
    fields = REFUSALS[case](conditional_active, officer)

    status, body = call(live_server, "POST", "/api/usage/", token=token_a, body=use_body(conditional_active, **fields))

    assert status == 422, body
    record = UsageRecord.objects.get()
    assert record.outcome == UsageOutcome.REJECTED
    assert (body["id"], body["outcome"], body["rejection_reason"]) == (record.pk, "rejected", record.rejection_reason)
    assert body["rejection_reason"]
    assert LedgerEntry.objects.order_by("-seq").first().action == "usage.rejected"


def test_missing_token_answers_401_and_records_nothing(live_server, conditional_active):
    status, body = call(live_server, "POST", "/api/usage/", body=use_body(conditional_active))

    assert status == 401, body
    assert not UsageRecord.objects.exists()


def test_unknown_token_answers_401(live_server, conditional_active):
    status, _body = call(live_server, "POST", "/api/usage/", token="0" * 40, body=use_body(conditional_active))

    assert status == 401


def test_agreement_of_another_department_answers_400_as_if_it_did_not_exist(live_server, conditional_active, liaison_c):
    token_c = token_for(liaison_c)
    entries = LedgerEntry.objects.count()

    status, body = call(live_server, "POST", "/api/usage/", token=token_c, body=use_body(conditional_active))
    _status, unknown = call(
        live_server, "POST", "/api/usage/", token=token_c, body={**use_body(conditional_active), "agreement": "GX-0"}
    )

    assert status == 400, body
    assert body["agreement"] == [m.replace("GX-0", conditional_active.number) for m in unknown["agreement"]]
    assert not UsageRecord.objects.exists()
    assert LedgerEntry.objects.count() == entries


def test_provider_recording_a_use_answers_403_and_records_nothing(live_server, conditional_active, liaison_b):
    status, body = call(
        live_server, "POST", "/api/usage/", token=token_for(liaison_b), body=use_body(conditional_active)
    )

    assert status == 403, body
    assert body["detail"]
    assert not UsageRecord.objects.exists()


MALFORMED = {
    "broken-json": b'{"agreement": ',
    "json-list": b"[]",
    "json-string": b'"usage"',
    "empty-object": b"{}",
    "not-utf8": b"\xff\xfe{",
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_body_answers_400_not_500(case, live_server, conditional_active, token_a):
    status, body = call(live_server, "POST", "/api/usage/", token=token_a, raw=MALFORMED[case])

    assert status == 400, body
    assert isinstance(body, dict)
    assert not UsageRecord.objects.exists()


INVALID_FIELDS = {
    "unknown-mode": {"mode": "download"},
    "items-not-a-list": {"items": "F0"},
    "no-items": {"items": []},
    "item-not-a-code": {"items": [{"code": "F0"}]},
    "negative-count": {"record_count": -1},
    "count-beyond-any-column": {"record_count": 2**70},
    "count-not-a-number": {"record_count": "many"},
    "garbled-time": {"used_at": "yesterday"},
    "purpose-too-long": {"purpose_reference": "x" * 201},
    "agreement-not-a-number": {"agreement": ["GX"]},
}


@pytest.mark.parametrize("case", list(INVALID_FIELDS))
def test_invalid_field_answers_400_naming_the_field(case, live_server, conditional_active, token_a):
    fields = INVALID_FIELDS[case]

    status, body = call(live_server, "POST", "/api/usage/", token=token_a, body=use_body(conditional_active, **fields))

    assert status == 400, body
    assert set(body) == set(fields)
    assert not UsageRecord.objects.exists()


def test_body_that_is_not_json_answers_415(live_server, conditional_active, token_a):
    status, _body = call(live_server, "POST", "/api/usage/", token=token_a, raw=b"agreement", content_type="text/plain")

    assert status == 415


# --- GET /api/agreements/ and /api/usage/ -----------------------------------------------------


@pytest.fixture
def agreement_c_with_b(make_agreement, unconditional_resource, liaison_c):
    """A request of the third department to dept_b (submitted, so dept_b sees it), which dept_a must not see."""
    agreement = make_agreement(unconditional_resource.items.all(), actor=liaison_c)
    return services.agreement_submit(agreement=agreement, actor=liaison_c)


def listed_numbers(server, path, token):
    status, body = call(server, "GET", path, token=token)
    assert status == 200, body
    return sorted(row["number"] if "number" in row else row["agreement"] for row in body["results"])


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("liaison_a", ["a"]),
        ("liaison_c", ["c"]),
        ("liaison_b", ["a", "c"]),
        ("officer", ["a", "c"]),
        ("auditor", ["a", "c"]),
    ],
)
def test_agreement_list_shows_only_the_callers_agreements(
    who, sees, live_server, conditional_active, agreement_c_with_b, request
):
    numbers = {"a": conditional_active.number, "c": agreement_c_with_b.number}

    listed = listed_numbers(live_server, "/api/agreements/", token_for(request.getfixturevalue(who)))

    assert listed == sorted(numbers[key] for key in sees)


def test_agreement_of_another_department_answers_404(live_server, agreement_c_with_b, token_a):
    status, _body = call(live_server, "GET", f"/api/agreements/{agreement_c_with_b.pk}/", token=token_a)

    assert status == 404


def test_agreement_shows_its_items_and_parties(live_server, conditional_active, conditional_resource, token_a):
    status, body = call(live_server, "GET", f"/api/agreements/{conditional_active.pk}/", token=token_a)

    assert status == 200, body
    assert (body["requester"]["code"], body["provider"]["code"], body["status"]) == ("PSB", "AMR", "active")
    assert body["items"] == [
        {"code": i.code, "name": i.name, "resource": conditional_resource.catalogue_code}
        for i in conditional_resource.items.order_by("pk")
    ]


@pytest.fixture
def recorded_uses(conditional_active, liaison_a):
    for mode in (UsageMode.QUERY, UsageMode.BULK):
        services.usage_record(
            agreement=conditional_active, actor=liaison_a, mode=mode, item_codes=["F0"], record_count=1
        )
    return conditional_active


@pytest.mark.parametrize(("who", "count"), [("liaison_a", 2), ("liaison_b", 2), ("liaison_c", 0)])
def test_uses_of_an_agreement_are_shown_to_both_sides_only(who, count, live_server, recorded_uses, request):
    token = token_for(request.getfixturevalue(who))

    listed = listed_numbers(live_server, f"/api/usage/?agreement={recorded_uses.number}", token)

    assert listed == [recorded_uses.number] * count


def test_usage_list_shows_refusals_too(live_server, recorded_uses, token_a):
    status, body = call(live_server, "GET", f"/api/usage/?agreement={recorded_uses.number}", token=token_a)

    assert status == 200, body
    assert sorted(row["outcome"] for row in body["results"]) == ["accepted", "rejected"]


def test_agreement_list_without_token_answers_401(live_server):
    status, _body = call(live_server, "GET", "/api/agreements/")

    assert status == 401


def test_schema_is_an_openapi_document_describing_usage_recording(live_server):
    status, schema = call(live_server, "GET", "/api/schema/?format=json")

    assert status == 200, schema
    assert schema["openapi"].startswith("3.")
    assert "/api/usage/" in schema["paths"]
    assert {"201", "422"} <= set(schema["paths"]["/api/usage/"]["post"]["responses"])


# --- Query counts (test client) ---------------------------------------------------------------

AGREEMENT_LIST_QUERIES = 6
USAGE_LIST_QUERIES = 5


def api_client(user):
    return Client(headers={"authorization": f"Token {token_for(user)}"})


@pytest.mark.parametrize("rows", [5, 50])
def test_agreement_list_query_count_does_not_grow_with_rows(
    rows, make_agreement, conditional_resource, liaison_a, django_assert_max_num_queries
):
    for _ in range(rows):
        make_agreement(conditional_resource.items.all())
    client = api_client(liaison_a)

    with django_assert_max_num_queries(AGREEMENT_LIST_QUERIES):
        response = client.get("/api/agreements/")

    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [5, 50])
def test_usage_list_query_count_does_not_grow_with_rows(
    rows, conditional_active, liaison_a, django_assert_max_num_queries
):
    for _ in range(rows):
        services.usage_record(
            agreement=conditional_active, actor=liaison_a, mode=UsageMode.QUERY, item_codes=["F0"], record_count=1
        )
    client = api_client(liaison_a)

    with django_assert_max_num_queries(USAGE_LIST_QUERIES):
        response = client.get(f"/api/usage/?agreement={conditional_active.number}")

    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


def test_a_draft_request_is_not_shown_to_the_provider_until_submitted(live_server, conditional_draft, liaison_b):
    token_b = token_for(liaison_b)

    status, body = call(live_server, "GET", f"/api/agreements/{conditional_draft.pk}/", token=token_b)
    assert status == 404

    services.agreement_submit(agreement=conditional_draft, actor=conditional_draft.created_by)
    status, body = call(live_server, "GET", f"/api/agreements/{conditional_draft.pk}/", token=token_b)
    assert status == 200, body
