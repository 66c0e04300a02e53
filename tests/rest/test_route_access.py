"""Every API route refuses: no token, a token without the route's scope, another
user's ids, and a token bound to another project.

The operations come from the live OpenAPI document, so a new route is checked
the moment it exists; one without a scope, or one that answers a stranger,
fails here. Each call is otherwise valid (the request body is the schema's own
example), so only the check under test can stop it.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import SQLModel

from clawweb.services.accounts.api_tokens import SCOPES
from tests.rest.conftest import VICTIM_SECRETS, client, make_token

CHANGING = ("post", "put", "patch", "delete")
IGNORED_TABLES = {"auditevent", "apitoken"}  # denials are audited; tokens record their use


def _operations(doc: dict) -> list[tuple[str, str, dict]]:
    return [(method, path, op) for path, item in doc["paths"].items()
            for method, op in item.items() if method in ("get", *CHANGING)]


@pytest.fixture(scope="module")
def doc(api_server) -> dict:
    with client(api_server) as c:
        resp = c.get("/openapi.json")
    assert resp.status_code == 200
    return resp.json()


def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _example_body(doc: dict, op: dict):
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = _resolve(doc, content["schema"])
    for option in [schema, *[_resolve(doc, s) for s in schema.get("oneOf", [])
                             + schema.get("anyOf", [])]]:
        if option.get("examples"):
            return option["examples"][0]
    pytest.fail(f"{op['operationId']}: give its request model an example "
                "(json_schema_extra examples) so this test can send a valid body")


def _request(doc, method, path, op, ids, token=None):
    params = {}
    for param in op.get("parameters", []):
        name = param["name"]
        if not name.endswith("_id"):
            continue
        if name not in ids:
            pytest.fail(f"{op['operationId']}: no victim object for {name}: add one to the "
                        "world fixture (tests/rest/conftest.py)")
        if param["in"] == "query":
            params[name] = ids[name]
    url = re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)
    return method, url, params, _example_body(doc, op), token


def _send(server, method, url, params, body, token):
    with client(server, token) as c:
        return c.request(method.upper(), url, params=params, json=body)


def _ids(doc):
    return [pytest.param(m, p, id=f"{m.upper()} {p}") for m, p, _ in _operations(doc)]


def _scope_of(op: dict) -> str:
    return op["security"][0]["bearer"][0]


def test_every_operation_needs_exactly_one_known_scope(doc):
    assert len(_operations(doc)) >= 13
    bad = {op["operationId"]: op.get("security") for _, _, op in _operations(doc)
           if op.get("security") is None or len(op["security"]) != 1
           or list(op["security"][0]) != ["bearer"]
           or len(op["security"][0]["bearer"]) != 1
           or op["security"][0]["bearer"][0] not in SCOPES}
    assert not bad, f"operations without exactly one scope: {bad}"


def _error_code(resp) -> str:
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    return body["error"]["code"]


def test_no_token_or_a_bad_one_is_refused_everywhere(api_server, world, doc):
    for method, path, op in _operations(doc):
        call = _request(doc, method, path, op, world.ids)
        resp = _send(api_server, *call[:4], None)
        assert resp.status_code == 401, (method, path, resp.text)
        assert _error_code(resp) == "api.token_missing"
        assert resp.headers["www-authenticate"].startswith("Bearer")
        resp = _send(api_server, *call[:4], "cwt_not-a-real-token")
        assert resp.status_code == 401, (method, path, resp.text)
        assert _error_code(resp) == "api.token_invalid"


def test_a_token_without_the_route_scope_is_refused_everywhere(api_server, world, doc):
    # The admin's token, with every scope but the route's: only the scope check stops it.
    tokens = {s: make_token(world.root, [o for o in SCOPES if o != s]) for s in SCOPES}
    for method, path, op in _operations(doc):
        token = tokens[_scope_of(op)]
        ids = {**world.ids, "project_id": world.root_project}
        resp = _send(api_server, *_request(doc, method, path, op, ids)[:4], token)
        assert resp.status_code == 403, (method, path, resp.text)
        assert _error_code(resp) == "api.scope_missing"


def _snapshot(engine) -> dict:
    out = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in IGNORED_TABLES:
                out[table.name] = sorted(repr(tuple(r)) for r in conn.execute(table.select()))
    return out


def _leaks(resp) -> list[str]:
    return [s for s in VICTIM_SECRETS if s in resp.text]


def _check_refused(api_server, doc, world, token, label):
    from clawweb.db import get_engine

    before = _snapshot(get_engine())
    for method, path, op in _operations(doc):
        call = _request(doc, method, path, op, world.ids)
        resp = _send(api_server, *call[:4], token)
        names_an_object = "{" in path or bool(call[2])  # in the path or the query
        if names_an_object or method in CHANGING:
            assert resp.status_code in (403, 404), (label, method, path, resp.text)
            _error_code(resp)
        assert not _leaks(resp), (label, method, path, resp.text)
        if method == "get" and "{" not in path:
            # The list itself may be read, without the victim's objects in it.
            unnamed = _send(api_server, method, call[1], {}, None, token)
            assert unnamed.status_code == 200, (label, path, unnamed.text)
            assert not _leaks(unnamed), (label, path, unnamed.text)
    assert _snapshot(get_engine()) == before, f"{label}: a refused call changed something"


def test_another_users_ids_are_refused_everywhere(api_server, world, doc):
    token = make_token(world.mallory, ["read", "tasks", "approvals"])
    _check_refused(api_server, doc, world, token, "mallory")


def test_a_token_bound_to_one_project_reaches_no_other(api_server, world, doc):
    # An admin acting as admin could reach everything; the binding alone must stop it.
    token = make_token(world.root, list(SCOPES), project_id=world.root_project)
    _check_refused(api_server, doc, world, token, "bound admin token")
    # ... while the same admin's unbound token does see the victim's project.
    with client(api_server, make_token(world.root, ["read", "admin"])) as c:
        listed = c.get("/projects", params={"limit": 200}).json()
    assert world.victim_project in [p["id"] for p in listed["items"]]


def test_an_admin_without_the_admin_scope_acts_as_a_member(api_server, world):
    with client(api_server, make_token(world.root, ["read"])) as c:
        assert c.get(f"/projects/{world.victim_project}").status_code == 404
        assert c.get(f"/tasks/{world.victim_task}").status_code == 404
        assert c.get("/me").json()["acting_role"] == "member"
        listed = json.dumps(c.get("/tasks").json())
    assert "victim-secret" not in listed
