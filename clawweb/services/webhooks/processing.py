"""The RQ job's body: a verified delivery becomes a task, and the forge hears of it.

``process(delivery_id)`` claims the delivery (accepted → processing, compare-
and-set, so a second job for it does nothing), matches the webhook's rules,
and submits the task as the webhook's owner through the same services the UI
uses (rights checked as of now; the idempotency key is the delivery's, so a
re-run never makes a second task). A comment command or an opened pull
request gets a reply on the forge with a link to the task, through the
project's remote and forge adapter, and only when the delivery came from
the repository that remote names. A failure notifies the owner.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlmodel import Session

from clawweb import routes
from clawweb.i18n import t
from clawweb.models import Project, ProjectRole, Task, User, Webhook, WebhookDelivery, utcnow
from clawweb.services import automation_notify, forges
from clawweb.services.tasks import service as tasks
from clawweb.services.errors import PermissionDenied, ServiceError
from clawweb.services.access import require_role
from clawweb.services.remotes import store as remote_store
from clawweb.services.schedules import store
from clawweb.services.webhooks import events, review, rules
from clawweb.settings import get_settings

log = logging.getLogger(__name__)


def _claim(session: Session, delivery_id: int) -> bool:
    won = session.execute(update(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.status == "accepted")
        .values(status="processing", processed_at=utcnow())).rowcount == 1
    session.commit()
    return won


def _finish(session: Session, row: WebhookDelivery, status: str, reason: str,
            params: dict[str, Any] | None = None, task_id: int | None = None) -> str:
    row.status, row.reason, row.params = status, reason, dict(params or {})
    row.task_id, row.payload, row.processed_at = task_id, "", utcnow()
    session.add(row)
    session.commit()
    return status


def _start(session: Session, hook: Webhook, owner: User | None, row: WebhookDelivery,
           plan: rules.Plan, branch: str | None = None) -> Task:
    if owner is None:
        raise PermissionDenied("webhooks.no_owner")
    key = f"webhook-{row.id}"
    if plan.kind == "claude":
        # The credential check of agent_tasks.submit_prompt, then the task on ``branch``.
        store.check_credential(session, owner, hook.project_id)
    return tasks.submit_task(session=session, user=owner, project_id=hook.project_id,
                             command=plan.command, idempotency_key=key, kind=plan.kind,
                             trigger="webhook", branch=branch)


def _review_branch(session: Session, hook: Webhook, project: Project, owner: User | None,
                   trigger: events.Trigger, params: dict[str, Any]) -> str | None:
    """For a review: the pull request's code as a branch the task continues (or None)."""
    if trigger.kind != "pull_request_opened" or owner is None:
        return None
    require_role(session=session, user=owner, project_id=project.id,
                 at_least=ProjectRole.editor)  # nothing is fetched for a stranger
    branch, why = review.fetch_head(session, project, hook.forge, trigger)
    params.update({"branch": branch} if branch else {"fetch": why})
    return branch


def _safe(url: str) -> str:
    return url if urlsplit(url).scheme.lower() in ("http", "https") else ""


def reply(session: Session, hook: Webhook, owner: User, trigger: events.Trigger,
          task: Task) -> dict[str, str]:
    """Comment on the issue or pull request with a link to ``task``; what came of it."""
    try:
        url, creds, kind = remote_store.opened(session, hook.project_id)
        if kind != hook.forge:
            return {"reply": "webhooks.reply_other_forge"}
        if not trigger.repo or trigger.repo.lower() != url.repo_path.lower():
            # The signed payload names another repository: its #N is not ours to answer.
            return {"reply": "webhooks.reply_other_repo"}
        remote = remote_store.get_remote(session, hook.project_id)
        forge = forges.for_remote(remote=url, kind=kind, token=creds.token,
                                  api_url=remote.forge_api_url if remote else "")
        link = get_settings().origin + routes.task(task.id)
        body = t("webhooks.reply_body", owner.language or "en", id=task.id, link=link)
        posted = forge.comment(number=trigger.number, body=body,
                               on_request=trigger.on_pull_request)
    except ServiceError as exc:
        log.warning("webhook %s: reply not posted (%s)", hook.id, exc.key)
        return {"reply": exc.key}
    return {"reply": "webhooks.reply_sent", "reply_url": _safe(posted)}


def process(*, session: Session, delivery_id: int) -> str:
    """Run one delivery to its end; its final status ("done", "ignored", "failed").

    Returns ``"not-accepted"`` when another job has it or it was done before.
    """
    if not _claim(session, delivery_id):
        return "not-accepted"
    row = session.get(WebhookDelivery, delivery_id)
    hook = session.get(Webhook, row.webhook_id)
    project = session.get(Project, hook.project_id)
    trigger = events.parse(hook.forge, row.event, json.loads(row.payload or "{}"))
    plan = rules.match(hook, project, trigger)
    if isinstance(plan, rules.Ignored):
        return _finish(session, row, "ignored", plan.reason, {"kind": trigger.kind})
    owner = session.get(User, hook.created_by) if hook.created_by else None
    params: dict[str, Any] = {"kind": trigger.kind}
    try:
        branch = _review_branch(session, hook, project, owner, trigger, params)
        task = _start(session, hook, owner, row, plan, branch)
    except ServiceError as exc:
        session.rollback()
        params.update({k: v for k, v in exc.params.items() if isinstance(v, (str, int, float))})
        status = _finish(session, row, "failed", exc.key, params)
        automation_notify.failed(session=session, user_id=hook.created_by,
                                 project_id=hook.project_id, source="webhook",
                                 object_id=hook.id, reason=exc.key, params=params,
                                 link=routes.project_settings(hook.project_id))
        return status
    params["task_id"] = task.id
    if plan.reply:
        params.update(reply(session, hook, owner, trigger, task))
    return _finish(session, row, "done", "webhooks.task_started", params, task_id=task.id)
