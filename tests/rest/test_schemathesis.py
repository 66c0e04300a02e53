"""Property-based fuzzing of the live API from its own OpenAPI document (schemathesis):
no 5xx, and every answer matches its documented status, content type, headers and schema.

The document is the app's own (``build_app().openapi()``, the code the backend
serves, read at collection so each operation is its own test; schemathesis's
lazy fixture loader does not work with pytest 9). Requests go to the live backend.

The caller is an admin with every scope, so generated requests reach real
objects as often as the ids allow. The live event stream is left out: it is
text/event-stream that ends only with its task (tests/rest/test_events_stream.py
covers it). Bounded: a few examples per operation, well under two minutes.
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from tests.rest.conftest import make_task, make_token, make_user, make_project

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz(api_server):
    root = make_user(role="admin")
    project = make_project(root)
    for status in ("queued", "succeeded", "failed"):
        make_task(project, root, status=status)
    _automation(root, project)
    token = make_token(root, ["read", "tasks", "approvals", "admin"])
    session = requests.Session()
    session.trust_env = False  # straight to loopback, whatever the environment says
    session.headers["Authorization"] = f"Bearer {token}"
    yield api_server, session
    session.close()


def _automation(user_id: int, project_id: int) -> None:
    """A schedule and a webhook, so generated schedule and webhook ids can hit one."""
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.schedules import store as schedules
    from clawweb.services.webhooks import store as webhooks

    with session_scope() as s:
        user = s.get(User, user_id)
        schedules.create(session=s, user=user, project_id=project_id,
                         values={"cron": "0 3 * * *", "command": "echo nightly"})
        webhooks.create(session=s, user=user, project_id=project_id, forge="gitlab")


def _schema():
    from clawweb.rest.app import build_app

    loaded = schemathesis.openapi.from_dict(build_app().openapi())
    return loaded.exclude(operation_id="streamTaskEvents")


schema = _schema()


@pytest.mark.timeout(240)
@schema.parametrize()
@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_documented_promises(case, fuzz):
    server, session = fuzz
    case.call_and_validate(base_url=server.api, session=session, checks=CHECKS, timeout=15)
