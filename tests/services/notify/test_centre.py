"""The notification centre: one row per event and user, unread count, read state, 30 days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clawweb import streams
from clawweb.models import utcnow
from clawweb.services.errors import NotFound
from clawweb.services.notify import centre, events, text
from tests.services.agent_fixtures import make_user


@pytest.fixture
def users(session, fake_redis, settings):
    return make_user(session, "alice"), make_user(session, "bob")


def _add(session, user, task_id, event=events.TASK_FAILED, **params):
    row = centre.add(session=session, user_id=user.id, event=event, task_id=task_id,
                     project_id=1, params={"task_id": task_id, "project": "shop", **params})
    session.commit()
    return row


def test_one_row_per_event_and_user_and_the_count(session, users):
    alice, bob = users
    first = _add(session, alice, 1)
    assert _add(session, alice, 1) is None  # the same event again
    _add(session, alice, 2)
    _add(session, bob, 1)
    assert centre.unread_count(session=session, user_id=alice.id) == 2
    assert first.link == "/tasks/1" and first.dedupe_key == "task.failed:task:1"


def test_opening_marks_read_and_returns_the_link_only_for_its_owner(session, users, fake_redis):
    alice, bob = users
    row = _add(session, alice, 5)
    with pytest.raises(NotFound):
        centre.open_item(session=session, user_id=bob.id, notification_id=row.id)
    assert centre.unread_count(session=session, user_id=alice.id) == 1
    assert centre.open_item(session=session, user_id=alice.id, notification_id=row.id) == \
        "/tasks/5"
    assert centre.unread_count(session=session, user_id=alice.id) == 0
    assert fake_redis.xlen(streams.notify_user_changes_key(alice.id)) == 1


def test_mark_all_read_touches_only_the_callers_rows(session, users):
    alice, bob = users
    for i in range(3):
        _add(session, alice, i)
    _add(session, bob, 9)
    assert centre.mark_all_read(session=session, user_id=alice.id) == 3
    assert centre.unread_count(session=session, user_id=alice.id) == 0
    assert centre.unread_count(session=session, user_id=bob.id) == 1


def test_rows_are_kept_thirty_days(session, users):
    alice, _ = users
    old, new = _add(session, alice, 1), _add(session, alice, 2)
    old.created_at = utcnow() - timedelta(days=30, minutes=1)
    new.created_at = utcnow() - timedelta(days=29)
    session.add_all([old, new])
    session.commit()
    assert centre.purge(session=session) == 1
    session.expire_all()
    assert [r.id for r in centre.list_for(session=session, user_id=alice.id)] == [new.id]


def test_text_is_in_the_readers_language_and_task_text_is_inert(session, users):
    alice, _ = users
    hostile = "\x1b]52;c;c2VjcmV0\x07<img src=x onerror=alert(1)>\r\n" + "x" * 500
    row = _add(session, alice, 3, summary=hostile)
    en, zh = centre.as_public(row, "en"), centre.as_public(row, "zh")
    assert en["title"] == "Task #3 failed" and zh["title"] == "任务 #3 失败"
    assert "\x1b" not in en["body"] and "\n" not in en["body"] and "52;c" not in en["body"]
    assert len(en["body"]) <= len("shop: ") + text.SUMMARY_CHARS
    assert en["body"].endswith("…")


def test_a_group_names_the_count_and_the_first_few(session, users):
    items = [(events.TASK_FAILED, {"task_id": i, "project": "shop", "summary": f"job {i}"})
             for i in range(20)]
    msg = text.render_group(items, "en", "/notifications")
    assert msg.title == "20 tasks failed"
    assert msg.body.splitlines()[:2] == ["Task #0 failed", "Task #1 failed"]
    assert msg.body.splitlines()[-1] == "and 15 more"
    mixed = text.render_group(items[:2] + [(events.TASK_SUCCEEDED, {"task_id": 9})], "zh", "/")
    assert mixed.title == "3 条通知"


def test_every_event_has_a_deep_link_and_texts_in_both_languages():
    from clawweb.i18n import messages

    for key, event in events.EVENTS.items():
        for part in ("title", "body", "group"):
            assert f"{event.message_key}.{part}" in messages(), key
        link = events.deep_link(key, task_id=4, approval_id=2)
        assert link == ("/tasks/4#approval-2" if event.approval else "/tasks/4")
