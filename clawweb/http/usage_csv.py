"""``GET /api/admin/usage.csv``: the usage table as CSV, for admins only.

Behind the browser's session cookie, like ``downloads.py``: no session is 401,
a member is 403. The file is an attachment that no browser renders.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from clawweb import routes
from clawweb.db import session_scope
from clawweb.http import session_cookie
from clawweb.http.downloads import HEADERS, disposition
from clawweb.models import Role
from clawweb.services.accounts import auth_sessions
from clawweb.services.ops import usage


def _csv(token: str) -> tuple[int, str]:
    with session_scope() as s:
        found = auth_sessions.resolve(session=s, token=token)
        if not found:
            return 401, "sign in first"
        if found[0].role != Role.admin:
            return 403, "forbidden"
        return 200, usage.usage_csv(usage.usage(session=s))


async def usage_csv(request: Request) -> Response:
    token = session_cookie.read_token(request.headers.get("cookie", ""))
    status, body = await run_in_threadpool(_csv, token)
    if status != 200:
        return PlainTextResponse(body, status_code=status, headers=HEADERS)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={**HEADERS, "Content-Disposition":
                             disposition("attachment", "clawweb-usage.csv")})


def csv_routes() -> list[Route]:
    return [Route(routes.API_ADMIN_USAGE_CSV, usage_csv, methods=["GET"])]
