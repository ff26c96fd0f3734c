"""The schema is the API: what /api/schema/ says about pages, nulls and errors is what the API
answers (schemathesis checks it against a live server in .ci/schemathesis; these pin it)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

PAGINATED = ["customers_list", "customer_loyalty_entries", "me_loyalty_entries", "rewards_list",
             "segments_list", "segments_customers", "me_nps_responses"]


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def resolve(schema, ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


def ok_body(schema, operation) -> dict:
    content = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return resolve(schema, content)


@pytest.mark.parametrize("operation_id", PAGINATED)
def test_paginated_operations_are_documented_as_pages(schema, operation_id):
    [operation] = [op for _p, _m, op in operations(schema) if op["operationId"] == operation_id]

    body = ok_body(schema, operation)

    assert body["type"] == "object"
    assert {"count", "next", "previous", "results"} <= set(body["properties"])
    assert body["properties"]["results"]["type"] == "array"
    assert {p["name"] for p in operation["parameters"]} >= {"limit", "offset"}


@pytest.mark.parametrize(("component", "field"), [
    ("Item", "converted_at"), ("Item", "hold_until"), ("Item", "rewarded_at"),
    ("Reward", "min_tier"), ("VoucherOutput", "used_at"),
])
def test_fields_that_can_be_null_are_nullable(schema, component, field):
    assert schema["components"]["schemas"][component]["properties"][field].get("nullable")


def test_every_operation_documents_its_errors_in_the_error_shape(schema):
    seen = set()
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            seen.add(int(status))
            ref = response["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/Error"), (method, path, status)
        statuses = set(operation["responses"])
        if "{" in path:
            assert "404" in statuses, (method, path)
        if method in {"post", "put", "patch"}:
            assert {"400", "415"} <= statuses, (method, path)
    assert {400, 401, 403, 404, 409, 415, 429} <= seen


@pytest.mark.parametrize("operation_id", ["nps_response_create", "voucher_retrieve",
                                          "voucher_use", "quiz_response_create"])
def test_throttled_operations_document_429_with_retry_after(schema, operation_id):
    [operation] = [op for _p, _m, op in operations(schema) if op["operationId"] == operation_id]

    throttled = operation["responses"]["429"]

    assert throttled["headers"]["Retry-After"]["schema"]["type"] == "integer"


@pytest.mark.django_db
def test_the_api_takes_json_only(api):
    response = api.post("/api/v1/customers/", data="email=ada%40example.com",
                        content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "offset=-1", "offset=null",
                                   "limit=100000"])
def test_bad_pagination_is_a_400(api, query):
    response = api.get(f"/api/v1/customers/?{query}")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"email": "ada@example.com", "first_name": 7},
                                  {"email": "ada@example.com", "accepts_marketing": 1}])
def test_numbers_are_not_taken_for_text_or_booleans(api, body):
    response = api.post("/api/v1/customers/", data=body, format="json")

    assert response.status_code == 400
