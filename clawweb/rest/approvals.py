"""Approvals: the pending requests the caller may answer, and answering one (once).

``approvals.pending_for`` and ``approvals.decide`` are the services the
approval cards use: editors and owners answer, one decision per request, an
expired or answered request is refused.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from clawweb.db import session_scope
from clawweb.models import Task
from clawweb.rest import threads
from clawweb.rest.deps import MAX_ID, Caller, require_scope
from clawweb.rest.errors import ERROR_RESPONSES
from clawweb.rest.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, Page, page_of
from clawweb.rest.schemas import ApprovalId, ApprovalOut, DecisionIn, approval_out
from clawweb.services import approvals
from clawweb.services.tasks import service as tasks

router = APIRouter(tags=["approvals"], responses=ERROR_RESPONSES)


def _pending(caller: Caller, task_id: int | None) -> list[ApprovalOut]:
    out = []
    with session_scope() as s:
        if task_id is not None:  # a task the caller cannot see is refused, not empty
            caller.check_project(tasks.get_task(session=s, user=caller.user,
                                                task_id=task_id).project_id)
        for row in approvals.pending_for(session=s, user=caller.user, task_id=task_id):
            project_id = s.get(Task, row.task_id).project_id
            if caller.allows_project(project_id):
                out.append(approval_out(row, project_id))
    return out


@router.get("/approvals", operation_id="listApprovals",
            summary="Pending requests the caller may answer, oldest first")
async def list_approvals(caller: Caller = Depends(require_scope("read")),
                         task_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                         cursor: CursorParam = None,
                         limit: LimitParam = DEFAULT_LIMIT) -> Page[ApprovalOut]:
    items = await threads.run(_pending, caller, task_id)
    return page_of(items, key=lambda a: [a.id], cursor=cursor, limit=limit)


def _decide(caller: Caller, approval_id: int, body: DecisionIn) -> ApprovalOut:
    with session_scope() as s:
        row = approvals.decide(session=s, user=caller.user, approval_id=approval_id,
                               decision=body.decision, message=body.message, ip=caller.ip)
        return approval_out(row, s.get(Task, row.task_id).project_id)


@router.post("/approvals/{approval_id}/decision", operation_id="decideApproval",
             summary="Allow, deny or always allow a pending request (editor or better)")
async def decide(approval_id: ApprovalId, body: DecisionIn,
                 caller: Caller = Depends(require_scope("approvals"))) -> ApprovalOut:
    return await threads.run(_decide, caller, approval_id, body)
