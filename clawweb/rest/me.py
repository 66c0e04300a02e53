"""``GET /me``: who the token belongs to, and what it may do."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from clawweb.db import session_scope
from clawweb.models import User
from clawweb.rest import threads
from clawweb.rest.deps import Caller, require_scope
from clawweb.rest.errors import ERROR_RESPONSES
from clawweb.rest.schemas import MeOut, me_out
from clawweb.services.errors import NotFound

router = APIRouter(tags=["me"], responses=ERROR_RESPONSES)


def _me(caller: Caller) -> MeOut:
    with session_scope() as s:
        user = s.get(User, caller.user.id)
        if user is None:
            raise NotFound()
        return me_out(user, caller.user, caller.token)


@router.get("/me", operation_id="getMe", summary="The token's user, role and scopes")
async def get_me(caller: Caller = Depends(require_scope("read"))) -> MeOut:
    return await threads.run(_me, caller)
