"""Deleting a webhook removes it and its whole delivery log, each row once (no
SAWarning about rows the database had already removed)."""

from __future__ import annotations

import warnings

from sqlalchemy.exc import SAWarning
from sqlmodel import select

from clawweb.models import (Project, ProjectMember, ProjectRole, User, Webhook,
                            WebhookDelivery)
from clawweb.services.webhooks import store


def test_deleting_a_webhook_removes_its_log_without_warnings(session):
    alice, project = User(username="alice"), Project(name="P", slug="p")
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.commit()
    hook, _secret = store.create(session=session, user=alice, project_id=project.id,
                                 forge="github")
    session.add_all([WebhookDelivery(webhook_id=hook.id, event="push", status=status)
                     for status in ("done", "refused", "accepted")])
    session.commit()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)
        store.delete(session=session, user=alice, webhook_id=hook.id)
    session.expire_all()
    assert session.exec(select(Webhook)).all() == []
    assert session.exec(select(WebhookDelivery)).all() == []
