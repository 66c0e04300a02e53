"""A token used again skips the full lookup, yet whatever ends it ends it on the next request.

The app runs in this process against the package's database and redis-server
(as ``test_rate_limit``), so the full lookup can be counted.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.rest.conftest import make_token, make_user, token_id


@pytest.fixture
def api(api_server, monkeypatch):
    from clawweb.rest import deps, token_cache
    from clawweb.rest.app import build_app

    token_cache.clear()
    calls = []
    full = deps.api_tokens.authenticate

    def counted(**kwargs):
        calls.append(kwargs["raw"])
        return full(**kwargs)

    monkeypatch.setattr(deps.api_tokens, "authenticate", counted)
    with TestClient(build_app(), base_url="http://127.0.0.1") as c:
        c.full_lookups = calls
        yield c
    token_cache.clear()


def _me(c, token):
    return c.get("/me", headers={"Authorization": f"Bearer {token}"})


def _as_admin(fn, **kwargs):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.accounts import users

    admin = make_user(role="admin")
    with session_scope() as s:
        fn(users, session=s, actor=s.get(User, admin), **kwargs)


def test_a_token_used_again_is_not_looked_up_in_full(api):
    token = make_token(make_user(), ["read"])
    assert [_me(api, token).status_code for _ in range(3)] == [200, 200, 200]
    assert api.full_lookups == [token]


def test_a_revoked_token_is_refused_on_the_next_request(api):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.accounts import api_tokens

    user = make_user()
    token = make_token(user, ["read"])
    assert [_me(api, token).status_code for _ in range(2)] == [200, 200]  # remembered
    with session_scope() as s:
        api_tokens.revoke(session=s, actor=s.get(User, user), token_id=token_id(token))
    refused = _me(api, token)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "api.token_invalid"


def test_a_disabled_user_is_refused_on_the_next_request(api):
    user = make_user()
    token = make_token(user, ["read"])
    assert [_me(api, token).status_code for _ in range(2)] == [200, 200]
    _as_admin(lambda users, **kw: users.set_disabled(**kw), user_id=user, disabled=True)
    assert _me(api, token).status_code == 401


def test_a_forced_password_change_applies_on_the_next_request(api):
    user = make_user()
    token = make_token(user, ["read"])
    assert [_me(api, token).status_code for _ in range(2)] == [200, 200]
    _as_admin(lambda users, **kw: users.reset_password(**kw), user_id=user)
    refused = _me(api, token)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "api.password_change_required"


def test_a_demoted_admin_acts_as_a_member_on_the_next_request(api):
    admin = make_user(role="admin")
    token = make_token(admin, ["read", "admin"])
    assert [_me(api, token).json()["acting_role"] for _ in range(2)] == ["admin", "admin"]
    _as_admin(lambda users, **kw: users.set_role(**kw), user_id=admin, role="member")
    assert _me(api, token).json()["acting_role"] == "member"
