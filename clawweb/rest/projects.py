"""Projects: list the caller's, read one (viewer or better)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from clawweb.db import session_scope
from clawweb.models import ProjectRole
from clawweb.rest import threads
from clawweb.rest.deps import Caller, require_scope
from clawweb.rest.errors import ERROR_RESPONSES
from clawweb.rest.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, Page, page_of
from clawweb.rest.schemas import ProjectId, ProjectOut, project_out
from clawweb.services import access
from clawweb.services.projects import service as projects

router = APIRouter(tags=["projects"], responses=ERROR_RESPONSES)


def _list(caller: Caller) -> list[ProjectOut]:
    out = []
    with session_scope() as s:
        for project in projects.list_projects(session=s, user=caller.user):
            if caller.allows_project(project.id):
                role = access.require_role(session=s, user=caller.user, project_id=project.id,
                                             at_least=ProjectRole.viewer)
                out.append(project_out(project, role))
    return out


def _get(caller: Caller, project_id: int) -> ProjectOut:
    caller.check_project(project_id)
    with session_scope() as s:
        role = access.require_role(session=s, user=caller.user, project_id=project_id,
                                     at_least=ProjectRole.viewer)
        return project_out(projects.get_project(session=s, user=caller.user,
                                                project_id=project_id), role)


@router.get("/projects", operation_id="listProjects", summary="Projects the caller can see")
async def list_projects(caller: Caller = Depends(require_scope("read")),
                        cursor: CursorParam = None,
                        limit: LimitParam = DEFAULT_LIMIT) -> Page[ProjectOut]:
    # Sorted here, not by the database: a cursor compares as Python does.
    items = sorted(await threads.run(_list, caller), key=lambda p: (p.name, p.id))
    return page_of(items, key=lambda p: [p.name, p.id], cursor=cursor, limit=limit)


@router.get("/projects/{project_id}", operation_id="getProject", summary="One project")
async def get_project(project_id: ProjectId,
                      caller: Caller = Depends(require_scope("read"))) -> ProjectOut:
    return await threads.run(_get, caller, project_id)
