"""Webhooks over the REST API, for project owners: list, create (the secret is in
that answer only), read, change the rules, rotate the secret, delete, and the
delivery log.

The receivers themselves are not here: ``/api/hooks/<forge>/<key>`` lives in
``clawweb/http/webhooks.py`` (signed by the forge, no token). The token needs
``read`` for GETs and ``tasks`` for changes (a webhook starts tasks).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from clawweb.db import session_scope
from clawweb.models import Webhook
from clawweb.rest import deps, threads
from clawweb.rest.deps import Caller, require_scope
from clawweb.rest.errors import ERROR_RESPONSES
from clawweb.rest.pagination import (DEFAULT_LIMIT, CursorParam, LimitParam, Page,
                                     encode_cursor, page_of)
from clawweb.rest.schedules import before_id
from clawweb.services.webhooks import store

router = APIRouter(tags=["webhooks"], responses=ERROR_RESPONSES)
READ = require_scope("read")
CHANGE = require_scope("tasks")
MAX_ID = 2_147_483_647
ProjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
WebhookId = Annotated[int, Path(ge=1, le=MAX_ID)]
Forge = Literal["github", "gitlab", "gitea", "generic"]


@deps.project_resolver("webhook_id")
def _webhook_project(session: Session, webhook_id: int) -> int | None:
    row = session.get(Webhook, webhook_id)
    return row.project_id if row else None


class WebhookIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"forge": "github",
                                                               "name": "CI"}]})
    forge: Forge
    name: str = Field("", max_length=100)


class WebhookRules(BaseModel):
    """Only the fields given change. Turning a rule on needs its settings."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"push_enabled": True, "push_branches": "main", "push_command": "make test"}]})

    name: str | None = Field(None, max_length=100)
    enabled: bool | None = None
    push_enabled: bool | None = None
    push_branches: str | None = Field(None, max_length=500,
                                      description="globs, comma-separated; empty: the default branch")
    push_command: str | None = Field(None, max_length=100 * 1024)
    comment_enabled: bool | None = None
    comment_command: str | None = Field(None, max_length=40, description="like /clawweb")
    comment_users: str | None = Field(None, max_length=2000,
                                      description="forge user names allowed to give commands")
    review_enabled: bool | None = None
    review_prompt: str | None = Field(None, max_length=20000)


class WebhookOut(BaseModel):
    id: int
    project_id: int
    forge: Forge
    name: str
    url: str = Field(description="where the forge posts deliveries")
    enabled: bool
    push_enabled: bool
    push_branches: str
    push_command: str
    comment_enabled: bool
    comment_command: str
    comment_users: str
    review_enabled: bool
    review_prompt: str
    runs_as: str
    last_delivery_at: str
    created_at: str


class WebhookCreated(WebhookOut):
    secret: str = Field(description="shown only in this answer: paste it into the forge")


class SecretOut(BaseModel):
    secret: str = Field(description="shown only in this answer; the old one stopped working")


class DeliveryOut(BaseModel):
    id: int
    received_at: str
    delivery_id: str
    event: str
    status: Literal["accepted", "processing", "done", "ignored", "failed", "refused"]
    reason: str = Field(description="a message key, or empty")
    params: dict[str, Any]
    task_id: int | None
    size: int
    ip: str
    processed_at: str


def _list(caller: Caller, project_id: int) -> list[WebhookOut]:
    caller.check_project(project_id)
    with session_scope() as s:
        return [WebhookOut(**store.view(s, h)) for h in store.list_for_project(
            session=s, user=caller.user, project_id=project_id)]


@router.get("/projects/{project_id}/webhooks", operation_id="listWebhooks",
            summary="A project's webhooks (owners)")
async def list_webhooks(project_id: ProjectId, cursor: CursorParam = None,
                        limit: LimitParam = DEFAULT_LIMIT,
                        caller: Caller = Depends(READ)) -> Page[WebhookOut]:
    items = sorted(await threads.run(_list, caller, project_id), key=lambda h: h.id)
    return page_of(items, key=lambda h: [h.id], cursor=cursor, limit=limit)


def _create(caller: Caller, project_id: int, body: WebhookIn) -> WebhookCreated:
    caller.check_project(project_id)
    with session_scope() as s:
        hook, secret = store.create(session=s, user=caller.user, project_id=project_id,
                                    forge=body.forge, name=body.name, ip=caller.ip)
        return WebhookCreated(**store.view(s, hook), secret=secret)


@router.post("/projects/{project_id}/webhooks", status_code=201, operation_id="createWebhook",
             summary="Create a webhook; its secret is shown once")
async def create_webhook(project_id: ProjectId, body: WebhookIn,
                         caller: Caller = Depends(CHANGE)) -> WebhookCreated:
    return await threads.run(_create, caller, project_id, body)


def _owned(s: Session, caller: Caller, webhook_id: int) -> Webhook:
    hook = store.get_owned(session=s, user=caller.user, webhook_id=webhook_id)
    caller.check_project(hook.project_id)
    return hook


def _get(caller: Caller, webhook_id: int) -> WebhookOut:
    with session_scope() as s:
        return WebhookOut(**store.view(s, _owned(s, caller, webhook_id)))


@router.get("/webhooks/{webhook_id}", operation_id="getWebhook", summary="A webhook")
async def get_webhook(webhook_id: WebhookId, caller: Caller = Depends(READ)) -> WebhookOut:
    return await threads.run(_get, caller, webhook_id)


def _update(caller: Caller, webhook_id: int, values: dict[str, Any]) -> WebhookOut:
    with session_scope() as s:
        _owned(s, caller, webhook_id)
        hook = store.update(session=s, user=caller.user, webhook_id=webhook_id, values=values,
                            ip=caller.ip)
        return WebhookOut(**store.view(s, hook))


@router.patch("/webhooks/{webhook_id}", operation_id="updateWebhook",
              summary="Change a webhook's rules (it then runs as you)")
async def update_webhook(webhook_id: WebhookId, body: WebhookRules,
                         caller: Caller = Depends(CHANGE)) -> WebhookOut:
    values = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return await threads.run(_update, caller, webhook_id, values)


def _rotate(caller: Caller, webhook_id: int) -> SecretOut:
    with session_scope() as s:
        _owned(s, caller, webhook_id)
        return SecretOut(secret=store.rotate_secret(session=s, user=caller.user,
                                                    webhook_id=webhook_id, ip=caller.ip))


@router.post("/webhooks/{webhook_id}/rotate-secret", operation_id="rotateWebhookSecret",
             summary="A new secret; the old one stops working at once")
async def rotate_secret(webhook_id: WebhookId, caller: Caller = Depends(CHANGE)) -> SecretOut:
    return await threads.run(_rotate, caller, webhook_id)


def _delete(caller: Caller, webhook_id: int) -> None:
    with session_scope() as s:
        _owned(s, caller, webhook_id)
        store.delete(session=s, user=caller.user, webhook_id=webhook_id, ip=caller.ip)


@router.delete("/webhooks/{webhook_id}", status_code=204, operation_id="deleteWebhook",
               summary="Delete a webhook and its log")
async def delete_webhook(webhook_id: WebhookId, caller: Caller = Depends(CHANGE)) -> Response:
    await threads.run(_delete, caller, webhook_id)
    return Response(status_code=204)


def _deliveries(caller: Caller, webhook_id: int, before: int | None,
                limit: int) -> list[DeliveryOut]:
    with session_scope() as s:
        _owned(s, caller, webhook_id)
        return [DeliveryOut(**store.delivery_view(r)) for r in store.deliveries(
            session=s, user=caller.user, webhook_id=webhook_id, limit=limit, before_id=before)]


@router.get("/webhooks/{webhook_id}/deliveries", operation_id="listWebhookDeliveries",
            summary="The delivery log, newest first: accepted, refused and why")
async def list_deliveries(webhook_id: WebhookId, cursor: CursorParam = None,
                          limit: LimitParam = 50,
                          caller: Caller = Depends(READ)) -> Page[DeliveryOut]:
    rows = await threads.run(_deliveries, caller, webhook_id, before_id(cursor), limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    return Page(items=rows, next_cursor=encode_cursor([rows[-1].id]) if more else None)
