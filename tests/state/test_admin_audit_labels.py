"""The audit log names each action in the reader's language, keeping the code as a tooltip."""

from __future__ import annotations

import json
from types import SimpleNamespace

from clawweb.models import utcnow


def _event(action: str):
    return SimpleNamespace(id=1, at=utcnow(), actor_name="ann", action=action,
                           object_type="user", object_id="7", ip="", detail="",
                           before=None, after=None)


def test_an_audit_row_carries_its_action_in_both_languages():
    from clawweb.state.admin import _audit_row

    row = _audit_row(_event("auth.sign_in"))
    assert (row.action, row.action_en, row.action_zh) == ("auth.sign_in", "Signed in", "登录")
    odd = _audit_row(_event("old.code_from_before"))  # rows older than the catalog
    assert (odd.action_en, odd.action_zh) == ("old.code_from_before", "old.code_from_before")


def test_the_audit_badge_shows_the_label_for_the_language_and_the_code_as_title():
    from clawweb import clawweb as _app  # noqa: F401 - registers the states
    from clawweb.components.admin import audit_row
    from clawweb.state.admin import AdminState

    rendered = json.dumps(audit_row(AdminState.audit[0]).render(), default=str)
    assert "action_zh" in rendered and "action_en" in rendered
    assert '\\"zh\\"' in rendered  # picked by the UI language
    assert 'title:' in rendered and '[\\"action\\"]' in rendered


def test_every_object_type_of_the_audit_filter_has_a_name():
    from clawweb.i18n import messages
    from clawweb.state.admin import OBJECT_TYPES

    assert [t for t in OBJECT_TYPES if f"admin.object.{t}" not in messages()] == []


def test_an_invited_user_who_has_not_joined_is_not_shown_as_active():
    from clawweb.models import User
    from clawweb.state.admin import user_row

    invited = user_row(User(id=3, username="ivy", password_hash=""), actor_id=1, last={})
    joined = user_row(User(id=4, username="joe", password_hash="argon2..."), actor_id=1,
                      last={})
    assert (invited.invited, joined.invited) == (True, False)


def test_the_status_badge_says_invited_before_active():
    from clawweb import clawweb as _app  # noqa: F401 - registers the states
    from clawweb.components.admin import _status_badges
    from clawweb.state.admin import AdminState

    rendered = json.dumps(_status_badges(AdminState.users[0]).render(), default=str)
    assert "invited" in rendered and "status-invited" in rendered


def test_a_detail_that_is_a_message_reads_in_both_languages():
    from clawweb.i18n import stored, t
    from clawweb.state.admin import _audit_row

    event = _event("remote.sync")
    event.detail = "remotes.sync_updated"  # how the sync records its outcome
    row = _audit_row(event)
    assert (row.detail_en, row.detail_zh) == (t("remotes.sync_updated", "en"),
                                              t("remotes.sync_updated", "zh"))
    event.detail = stored.encode("tasks.ended.exit_code", code=3)
    row = _audit_row(event)
    assert row.detail_zh == stored.render(event.detail, "zh") != event.detail
    event.detail = "refs/heads/main"  # plain text stays as it is
    assert _audit_row(event).detail_en == _audit_row(event).detail_zh == "refs/heads/main"
